DROP INDEX datasets_tenant_scope;
DROP INDEX tenants_group_ids;
