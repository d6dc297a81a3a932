-- The search statements of one `GET /openapi/v1/accounts/?q=TERM&limit=20` with a term of three characters or
-- more (crates/db/src/repo/account_search.rs). bench/run.sh makes one script per term of the scenario (TERM is
-- replaced by the LIKE pattern, ORDERED by 1 when the server's sample sends the term to the ordered index, else 0)
-- and runs them with pgbench, prepared, at the scenario's concurrency.
--   ordered: the page and one account more, with every column, oldest first from accounts_search_ordered, through
--   the function account_search_ordered as the server calls it;
--   otherwise: every match from the trigram GIN index (which the server orders), then 20 accounts by id (as the
--   page's are read).
-- The access key check is left out, so this is less than Postgres does for a search.
\set ordered ORDERED
\if :ordered
SELECT * FROM account_search_ordered('TERM', 21);
\else
SELECT created_at, id FROM accounts WHERE deleted_at IS NULL AND lower(coalesce(username, '') || ' ' || name || ' ' || coalesce(description, '') || ' ' || coalesce(phone, '') || ' ' || coalesce(email, '')) LIKE 'TERM' ESCAPE '\';
SELECT * FROM accounts WHERE id = ANY(ARRAY(SELECT md5('acct' || i)::uuid::text FROM generate_series(1, 20) AS i));
\endif
