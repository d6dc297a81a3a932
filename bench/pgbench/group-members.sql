-- The statements one `GET /console/api/enterprise-groups/{id}/members?page=…&limit=20` runs, in its order:
-- the caller's account (authentication), the caller's group memberships and the group (the policy), the member
-- count, the page's member ids with their roles (from the index alone), and their accounts. bench/run.sh runs
-- this with pgbench, prepared, at the scenario's concurrency: what Postgres alone needs for a member page, the
-- bound for the member lists.
-- Variables (pgbench -D): account, group, pages.
\set off random(0, :pages - 1) * 20
SELECT * FROM accounts WHERE id = :account LIMIT 1;
SELECT gm.* FROM group_members gm JOIN enterprise_groups g ON gm.group_id = g.id WHERE gm.account_id = :account AND g.status = 'active';
SELECT * FROM enterprise_groups WHERE id = :group LIMIT 1;
SELECT count(*) FROM group_members WHERE group_id = :group;
SELECT array_agg(account_id) AS ids, array_agg(role) AS roles FROM (SELECT account_id, role FROM group_members WHERE group_id = :group ORDER BY created_at DESC, account_id LIMIT 20 OFFSET :off) page \gset
SELECT * FROM accounts WHERE id = ANY(:ids::text[]);
