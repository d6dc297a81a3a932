-- The room left for updates on each page of accounts is a Postgres setting (fillfactor). The version exists so
-- that both backends keep the same migration list.
SELECT 1;
