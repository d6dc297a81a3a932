//! The enterprise-group port on the database: groups, their members, and the repairs of their invariants.

use super::*;

#[async_trait]
impl GroupRepository for DieselDirectory {
    async fn group_memberships(&self, account_id: Uuid) -> DomainResult<Vec<GroupMembership>> {
        let generation = self.db.write_generation();
        if let Some(kept) = self.memberships.as_ref().and_then(|c| c.get(account_id, generation)) {
            return Ok(kept);
        }
        let rows = self
            .db
            .run(move |conn| {
                Ok(group_members::table
                    .inner_join(enterprise_groups::table)
                    .filter(group_members::account_id.eq(id_to_db(account_id)))
                    .filter(enterprise_groups::status.eq("active"))
                    .select(GroupMemberRow::as_select())
                    .load(conn)?)
            })
            .await?;
        let memberships = rows.into_iter().map(GroupMemberRow::into_domain).collect::<DomainResult<Vec<_>>>()?;
        if let Some(cache) = &self.memberships {
            cache.keep(account_id, &memberships, generation);
        }
        Ok(memberships)
    }

    async fn create_group(&self, creation: &GroupCreation) -> DomainResult<()> {
        let c = creation.clone();
        self.db
            .write(move |conn| {
                diesel::insert_into(enterprise_groups::table).values(GroupRow::from(&c.group)).execute(conn)?;
                diesel::insert_into(tenants::table).values(NewTenantRow::from(&c.shadow)).execute(conn)?;
                insert_memberships(conn, &c.members, &c.tenant_members)
            })
            .await
    }

    async fn get_group(&self, id: Uuid) -> DomainResult<Option<EnterpriseGroup>> {
        let row = self
            .db
            .run(move |conn| {
                Ok(enterprise_groups::table.find(id_to_db(id)).select(GroupRow::as_select()).first(conn).optional()?)
            })
            .await?;
        row.map(GroupRow::into_domain).transpose()
    }

    async fn groups_of(
        &self,
        account_id: Uuid,
        status: Option<GroupStatus>,
        page: PageRequest,
    ) -> DomainResult<Page<(EnterpriseGroup, GroupRole)>> {
        let (rows, total) = self
            .db
            .run(move |conn| {
                let query = || {
                    let mut q = group_members::table
                        .inner_join(enterprise_groups::table)
                        .filter(group_members::account_id.eq(id_to_db(account_id)))
                        .into_boxed();
                    if let Some(status) = status {
                        q = q.filter(enterprise_groups::status.eq(status.as_str()));
                    }
                    q
                };
                let total: i64 = query().count().get_result(conn)?;
                let rows = crate::repo::rows_of_page(total, page, || {
                    Ok(query()
                        .order((group_members::created_at.desc(), group_members::group_id.asc()))
                        .limit(i64::from(page.limit))
                        .offset(page.offset())
                        .select((GroupRow::as_select(), group_members::role))
                        .load::<(GroupRow, String)>(conn)?)
                })?;
                Ok((rows, total))
            })
            .await?;
        let items = rows
            .into_iter()
            .map(|(g, role)| Ok((g.into_domain()?, GroupRole::parse(&role).unwrap_or(GroupRole::Normal))))
            .collect::<DomainResult<_>>()?;
        Ok(Page { items, total, request: page })
    }

    async fn update_group(&self, group: &EnterpriseGroup) -> DomainResult<()> {
        let row = GroupRow::from(group);
        self.db
            .write(move |conn| {
                let n = diesel::update(enterprise_groups::table.find(&row.id))
                    .set((
                        enterprise_groups::name.eq(&row.name),
                        enterprise_groups::short_name.eq(&row.short_name),
                        enterprise_groups::status.eq(&row.status),
                        enterprise_groups::workspace_defaults.eq(&row.workspace_defaults),
                        enterprise_groups::updated_at.eq(row.updated_at),
                    ))
                    .execute(conn)?;
                if n == 0 {
                    return Err(DomainError::NotFound { entity: "enterprise group" }.into());
                }
                // the shadow tenant carries the group's name
                diesel::update(tenants::table.find(&row.id))
                    .set((tenants::name.eq(&row.name), tenants::updated_at.eq(row.updated_at)))
                    .execute(conn)?;
                Ok(())
            })
            .await
    }

    async fn memberships_in_group(
        &self,
        group_id: Uuid,
        account_id: Uuid,
    ) -> DomainResult<Vec<(Workspace, WorkspaceMembership)>> {
        let rows = self
            .db
            .run(move |conn| {
                let gid = id_to_db(group_id);
                Ok(tenant_members::table
                    .inner_join(tenants::table)
                    .filter(tenant_members::account_id.eq(id_to_db(account_id)))
                    .filter(tenants::group_id.eq(&gid))
                    .filter(tenants::id.ne(&gid))
                    .filter(tenants::status.eq("normal"))
                    .order((tenants::created_at.desc(), tenants::id.asc()))
                    .select((TenantRow::as_select(), TenantMemberRow::as_select()))
                    .load::<(TenantRow, TenantMemberRow)>(conn)?)
            })
            .await?;
        rows.into_iter().map(|(t, m)| Ok((t.into_domain()?, m.into_domain()?))).collect()
    }

    async fn active_group_ids(&self) -> DomainResult<Vec<Uuid>> {
        let ids: Vec<String> = self
            .db
            .run(|conn| {
                Ok(enterprise_groups::table
                    .filter(enterprise_groups::status.eq("active"))
                    .order(enterprise_groups::created_at.asc())
                    .select(enterprise_groups::id)
                    .load(conn)?)
            })
            .await?;
        ids.iter().map(|id| id_from_db(id)).collect()
    }

    async fn group_snapshot(&self, group_id: Uuid) -> DomainResult<GroupSnapshot> {
        let (group, tenant_rows, members, joins) = self
            .db
            .run(move |conn| {
                let gid = id_to_db(group_id);
                let group: Option<GroupRow> =
                    enterprise_groups::table.find(&gid).select(GroupRow::as_select()).first(conn).optional()?;
                let Some(group) = group else {
                    return Err(DomainError::NotFound { entity: "enterprise group" }.into());
                };
                let tenant_rows: Vec<TenantRow> =
                    tenants::table.filter(tenants::group_id.eq(&gid)).select(TenantRow::as_select()).load(conn)?;
                let members: Vec<GroupMemberRow> = group_members::table
                    .filter(group_members::group_id.eq(&gid))
                    .select(GroupMemberRow::as_select())
                    .load(conn)?;
                let joins: Vec<TenantMemberRow> = tenant_members::table
                    .filter(
                        tenant_members::tenant_id
                            .eq_any(tenants::table.filter(tenants::group_id.eq(&gid)).select(tenants::id)),
                    )
                    .select(TenantMemberRow::as_select())
                    .load(conn)?;
                Ok((group, tenant_rows, members, joins))
            })
            .await?;
        Ok(GroupSnapshot {
            group: group.into_domain()?,
            tenants: tenant_rows.into_iter().map(TenantRow::into_domain).collect::<DomainResult<_>>()?,
            members: members.into_iter().map(GroupMemberRow::into_domain).collect::<DomainResult<_>>()?,
            tenant_members: joins.into_iter().map(TenantMemberRow::into_domain).collect::<DomainResult<_>>()?,
        })
    }

    async fn apply_group_repair(&self, repair: &GroupRepair) -> DomainResult<()> {
        let repair = repair.clone();
        self.db
            .write(move |conn| {
                // the plan was made from a snapshot: apply each change only if it is still needed
                if let Some(shadow) = &repair.create_shadow {
                    if tenants::table.find(id_to_db(shadow.id)).count().get_result::<i64>(conn)? == 0 {
                        diesel::insert_into(tenants::table).values(NewTenantRow::from(shadow)).execute(conn)?;
                    }
                }
                for join in &repair.add_tenant_members {
                    let key = (id_to_db(join.tenant_id), id_to_db(join.account_id));
                    if tenant_members::table.find((&key.0, &key.1)).count().get_result::<i64>(conn)? == 0 {
                        insert_memberships(conn, &[], std::slice::from_ref(join))?;
                    }
                }
                for (tenant, account, role) in &repair.set_roles {
                    let tid = id_to_db(*tenant);
                    let has_owner = tenant_members::table
                        .filter(tenant_members::tenant_id.eq(&tid))
                        .filter(tenant_members::role.eq("owner"))
                        .count()
                        .get_result::<i64>(conn)?
                        > 0;
                    if *role != WorkspaceRole::Owner || !has_owner {
                        diesel::update(tenant_members::table.find((&tid, id_to_db(*account))))
                            .set(tenant_members::role.eq(role.as_str()))
                            .execute(conn)?;
                    }
                }
                for (tenant, settings) in &repair.settings {
                    diesel::update(tenants::table.find(id_to_db(*tenant)))
                        .set(tenants::settings.eq(settings.to_string()))
                        .execute(conn)?;
                }
                Ok(())
            })
            .await
    }
}
