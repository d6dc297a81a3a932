-- SQLite has no ordered trigram index: the account search walks and scans (the embedded backend is for small
-- installations). The version exists so that both backends keep the same migration list.
SELECT 1;
