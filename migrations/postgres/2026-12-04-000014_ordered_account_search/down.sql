ALTER INDEX accounts_search_trgm ALTER COLUMN 1 SET STATISTICS -1;
DROP INDEX accounts_search_ordered;
