-- The statements one `GET /console/api/enterprise-groups/{id}/datasets?page=1&limit=20` runs for a group member
-- who is not its super admin, in its order, once the caller's account and group memberships are kept in memory
-- (AUTH_CACHE_MILLISECONDS): the group (the policy), the count of the datasets the caller may see, and their first
-- page with each one's workspace and creator when there are any (crates/db/src/repo/datasets.rs). bench/run.sh runs this with
-- pgbench, prepared, at the scenario's concurrency.
-- Variables (pgbench -D): group, account (the caller).
SELECT * FROM enterprise_groups WHERE id = :group LIMIT 1;
SELECT count(*) AS total FROM datasets d JOIN tenants t ON d.tenant_id = t.id LEFT JOIN accounts a ON a.id = d.created_by WHERE t.group_id = :group AND (d.created_by = :account OR d.permission = 'all_group' OR (d.tenant_id IN (SELECT tenant_id FROM tenant_members WHERE account_id = :account) AND (d.permission = 'all_team_members' OR (d.permission = 'partial_members' AND d.id IN (SELECT dataset_id FROM dataset_members WHERE account_id = :account))))); \gset
\if :total > 0
SELECT d.*, t.name, a.name FROM datasets d JOIN tenants t ON d.tenant_id = t.id LEFT JOIN accounts a ON a.id = d.created_by WHERE t.group_id = :group AND (d.created_by = :account OR d.permission = 'all_group' OR (d.tenant_id IN (SELECT tenant_id FROM tenant_members WHERE account_id = :account) AND (d.permission = 'all_team_members' OR (d.permission = 'partial_members' AND d.id IN (SELECT dataset_id FROM dataset_members WHERE account_id = :account))))) ORDER BY d.created_at DESC, d.id LIMIT 20 OFFSET 0;
\endif
