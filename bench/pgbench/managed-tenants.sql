-- The statements one `GET /console/api/enterprise-groups/{id}/managed-tenants` of a group manager runs, in its
-- order, once the caller's account and group memberships are kept in memory (AUTH_CACHE_MILLISECONDS): the group
-- (the policy), the count of its normal workspaces, and their first page (crates/db/src/repo/directory/
-- workspaces.rs). bench/run.sh runs this with pgbench, prepared, at the scenario's concurrency: what Postgres alone
-- needs for the page, the bound for the scenario.
-- Variables (pgbench -D): group.
SELECT * FROM enterprise_groups WHERE id = :group LIMIT 1;
SELECT count(*) FROM tenants WHERE group_id = :group AND id <> :group AND status = 'normal';
SELECT * FROM tenants WHERE group_id = :group AND id <> :group AND status = 'normal' ORDER BY created_at DESC, id LIMIT 20 OFFSET 0;
