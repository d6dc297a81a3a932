-- Listings over a group's workspaces (the group's datasets, its managed and joined workspaces) find the group's
-- workspaces and then each workspace's datasets. These two indexes hold every column those steps read, so both
-- are answered from the indexes alone, without visiting a table row per workspace and per dataset.
CREATE INDEX tenants_group_ids ON tenants (group_id, id);
CREATE INDEX datasets_tenant_scope ON datasets (tenant_id, permission, created_by, id);
