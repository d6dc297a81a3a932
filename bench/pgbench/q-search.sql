-- The search statements of one `GET /openapi/v1/accounts/?q=TERM&limit=20` with a term of three characters or
-- more: the walk over the 5000 oldest live accounts, and when it does not fill the page, every match from the
-- trigram index (which the server orders). bench/run.sh makes one script per term of the scenario (TERM is
-- replaced by the LIKE pattern) and runs them with pgbench, prepared, at the scenario's concurrency. The access
-- key check and the page's final read by key are left out, so this is less than Postgres does for a search.
SELECT count(*) AS walked FROM (SELECT id FROM (SELECT id, created_at, username, name, description, phone, email, email_key FROM accounts WHERE deleted_at IS NULL ORDER BY created_at, id LIMIT 5000) AS walked WHERE lower(coalesce(username, '') || ' ' || name || ' ' || coalesce(description, '') || ' ' || coalesce(phone, '') || ' ' || coalesce(email, '')) LIKE 'TERM' ESCAPE '\' ORDER BY created_at, id LIMIT 20) page \gset
\if :walked < 20
SELECT created_at, id FROM accounts WHERE deleted_at IS NULL AND lower(coalesce(username, '') || ' ' || name || ' ' || coalesce(description, '') || ' ' || coalesce(phone, '') || ' ' || coalesce(email, '')) LIKE 'TERM' ESCAPE '\';
\endif
