DROP FUNCTION account_search_ordered(text, bigint);
