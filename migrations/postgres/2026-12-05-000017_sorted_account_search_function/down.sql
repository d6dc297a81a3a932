DROP FUNCTION account_search_sorted(text, bigint, bigint);
