-- Statistics for the account search at once, with the larger sample migration 000014 asked for (it takes effect
-- only in a transaction after the one that set it). Without them a search reads all its matches until the next
-- automatic ANALYZE.
ANALYZE accounts;
