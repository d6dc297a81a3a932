-- The account search of SQLite uses no statistics. The version exists so that both backends keep the same
-- migration list.
SELECT 1;
