DROP INDEX accounts_search_trgm;
