-- The statements one `GET /console/api/account-ex/list?page=…&limit=20` runs, in its order, once the caller's
-- account and group memberships are kept in memory (AUTH_CACHE_MILLISECONDS): the caller's current workspace
-- (which names its group), the member count, the page's member ids with their roles (from the index alone), and
-- their accounts. bench/run.sh runs this with pgbench, prepared, at the scenario's concurrency.
-- Variables (pgbench -D): account, group, pages.
\set off random(0, :pages - 1) * 20
SELECT t.*, tm.* FROM tenant_members tm JOIN tenants t ON tm.tenant_id = t.id WHERE tm.account_id = :account AND t.status = 'normal' ORDER BY tm.is_current DESC, tm.created_at, tm.tenant_id LIMIT 1;
SELECT count(*) FROM group_members WHERE group_id = :group;
SELECT array_agg(account_id) AS ids, array_agg(role) AS roles FROM (SELECT account_id, role FROM group_members WHERE group_id = :group ORDER BY created_at DESC, account_id LIMIT 20 OFFSET :off) page \gset
SELECT * FROM accounts WHERE id = ANY(:ids::text[]);
