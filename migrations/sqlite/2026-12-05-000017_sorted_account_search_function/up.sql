-- The sorted account search is Postgres only. The version exists so that both backends keep the same
-- migration list.
SELECT 1;
