-- SQLite scans for short search terms too (the embedded backend is for small installations).
-- The version exists so that both backends keep the same migration list.
SELECT 1;
