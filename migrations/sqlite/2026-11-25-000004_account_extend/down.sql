ALTER TABLE accounts DROP COLUMN extend;
