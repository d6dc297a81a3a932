-- The search statements of one `GET /openapi/v1/accounts/?q=TERM&limit=20` with a term of three characters or
-- more (crates/db/src/repo/account_search.rs). bench/run.sh makes one script per term of the scenario (TERM is
-- replaced by the LIKE pattern, ORDERED by 1 when the server's sample sends the term to the ordered index, else 0)
-- and runs them with pgbench, prepared, at the scenario's concurrency.
--   ordered: the page and one account more, with every column, oldest first from accounts_search_ordered, through
--   the function account_search_ordered as the server calls it;
--   otherwise: the page from every match of the trigram GIN index, through the function account_search_sorted as
--   the server calls it.
-- The access key check is left out, so this is less than Postgres does for a search.
\set ordered ORDERED
\if :ordered
SELECT * FROM account_search_ordered('TERM', 21);
\else
SELECT * FROM account_search_sorted('TERM', 0, 20);
\endif
