-- The statements one `GET /console/api/enterprise-groups/{id}/members?page=…&limit=20` runs, in its order, once
-- the caller's account and group memberships are kept in memory (AUTH_CACHE_MILLISECONDS): the group (the
-- policy), the member count, the page's member ids with their roles (from the index alone), and their accounts.
-- bench/run.sh runs this with pgbench, prepared, at the scenario's concurrency: what Postgres alone needs for a
-- member page, the bound for the member lists.
-- Variables (pgbench -D): group, pages.
\set off random(0, :pages - 1) * 20
SELECT * FROM enterprise_groups WHERE id = :group LIMIT 1;
SELECT count(*) FROM group_members WHERE group_id = :group;
SELECT array_agg(account_id) AS ids, array_agg(role) AS roles FROM (SELECT account_id, role FROM group_members WHERE group_id = :group ORDER BY created_at DESC, account_id LIMIT 20 OFFSET :off) page \gset
SELECT * FROM accounts WHERE id = ANY(:ids::text[]);
