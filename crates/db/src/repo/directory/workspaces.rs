//! The workspace port on the database: workspaces, their members, and each account's current workspace.

use super::*;

#[async_trait]
impl WorkspaceRepository for DieselDirectory {
    async fn current_workspace_of(&self, account_id: Uuid) -> DomainResult<Option<(Workspace, WorkspaceMembership)>> {
        let found = self
            .db
            .run(move |conn| {
                let aid = id_to_db(account_id);
                let row: Option<(TenantRow, TenantMemberRow)> = tenant_members::table
                    .inner_join(tenants::table)
                    .filter(tenant_members::account_id.eq(&aid))
                    .filter(tenants::status.eq("normal"))
                    .order((
                        tenant_members::is_current.desc(),
                        tenant_members::created_at.asc(),
                        tenant_members::tenant_id.asc(),
                    ))
                    .select((TenantRow::as_select(), TenantMemberRow::as_select()))
                    .first(conn)
                    .optional()?;
                let Some((tenant, mut member)) = row else { return Ok(None) };
                if !member.is_current {
                    crate::conn::write_transaction(conn, |conn| {
                        diesel::update(tenant_members::table.filter(tenant_members::account_id.eq(&aid)))
                            .set(tenant_members::is_current.eq(false))
                            .execute(conn)?;
                        diesel::update(tenant_members::table.find((&member.tenant_id, &aid)))
                            .set(tenant_members::is_current.eq(true))
                            .execute(conn)?;
                        Ok(())
                    })?;
                    member.is_current = true;
                }
                Ok(Some((tenant, member)))
            })
            .await?;
        found.map(|(t, m)| Ok((t.into_domain()?, m.into_domain()?))).transpose()
    }

    async fn get_workspace(&self, id: Uuid) -> DomainResult<Option<Workspace>> {
        let row = self
            .db
            .run(move |conn| {
                Ok(tenants::table.find(id_to_db(id)).select(TenantRow::as_select()).first(conn).optional()?)
            })
            .await?;
        row.map(TenantRow::into_domain).transpose()
    }

    async fn find_workspace_by_code(&self, code: &str) -> DomainResult<Option<Workspace>> {
        let code = code.to_owned();
        let row = self
            .db
            .run(move |conn| {
                Ok(tenants::table
                    .filter(tenants::code.eq(&code))
                    .select(TenantRow::as_select())
                    .first(conn)
                    .optional()?)
            })
            .await?;
        row.map(TenantRow::into_domain).transpose()
    }

    async fn create_workspace(&self, tenant: &Workspace, owner: &WorkspaceMembership) -> DomainResult<()> {
        let (tenant, owner) = (NewTenantRow::from(tenant), owner.clone());
        self.db
            .write(move |conn| {
                diesel::insert_into(tenants::table).values(&tenant).execute(conn)?;
                insert_memberships(conn, &[], std::slice::from_ref(&owner))
            })
            .await
    }

    async fn group_workspaces(
        &self,
        group_id: Uuid,
        scope: WorkspaceScope,
        status: Option<WorkspaceStatus>,
        page: PageRequest,
    ) -> DomainResult<Page<Workspace>> {
        let (rows, total) = self
            .db
            .run(move |conn| {
                let gid = id_to_db(group_id);
                let query = || {
                    let mut q = tenants::table
                        .filter(tenants::group_id.eq(gid.clone()))
                        .filter(tenants::id.ne(gid.clone()))
                        .into_boxed();
                    if let Some(status) = status {
                        q = q.filter(tenants::status.eq(status.as_str()));
                    }
                    let joined = |account: Uuid| {
                        tenant_members::table
                            .filter(tenant_members::account_id.eq(id_to_db(account)))
                            .select(tenant_members::tenant_id)
                    };
                    match scope {
                        WorkspaceScope::All => q,
                        WorkspaceScope::JoinedBy(account) => q.filter(tenants::id.eq_any(joined(account))),
                        WorkspaceScope::NotJoinedBy(account) => {
                            q.filter(diesel::dsl::not(tenants::id.eq_any(joined(account))))
                        }
                        WorkspaceScope::ManagedBy { account, permission } => {
                            // permissions are a JSON array of names: match the quoted name
                            let pattern = permission.map_or_else(String::new, |p| format!("%\"{}\"%", p.as_str()));
                            let managed = tenant_members::table
                                .filter(tenant_members::account_id.eq(id_to_db(account)))
                                .filter(
                                    tenant_members::role.eq_any(["owner", "admin"]).or(tenant_members::permissions
                                        .like(pattern)
                                        .and(permission.is_some().into_sql::<diesel::sql_types::Bool>())),
                                )
                                .select(tenant_members::tenant_id);
                            q.filter(tenants::id.eq_any(managed))
                        }
                    }
                };
                let total: i64 = query().count().get_result(conn)?;
                let rows = crate::repo::rows_of_page(total, page, || {
                    Ok(query()
                        .order((tenants::created_at.desc(), tenants::id.asc()))
                        .limit(i64::from(page.limit))
                        .offset(page.offset())
                        .select(TenantRow::as_select())
                        .load::<TenantRow>(conn)?)
                })?;
                Ok((rows, total))
            })
            .await?;
        let items = rows.into_iter().map(TenantRow::into_domain).collect::<DomainResult<_>>()?;
        Ok(Page { items, total, request: page })
    }

    async fn workspaces_of(&self, account_id: Uuid) -> DomainResult<Vec<(Workspace, WorkspaceMembership)>> {
        let rows = self
            .db
            .run(move |conn| {
                Ok(tenant_members::table
                    .inner_join(tenants::table)
                    .filter(tenant_members::account_id.eq(id_to_db(account_id)))
                    .filter(tenants::status.eq("normal"))
                    .order((tenant_members::created_at.asc(), tenant_members::tenant_id.asc()))
                    .select((TenantRow::as_select(), TenantMemberRow::as_select()))
                    .load::<(TenantRow, TenantMemberRow)>(conn)?)
            })
            .await?;
        rows.into_iter().map(|(t, m)| Ok((t.into_domain()?, m.into_domain()?))).collect()
    }

    async fn workspace_membership(
        &self,
        tenant_id: Uuid,
        account_id: Uuid,
    ) -> DomainResult<Option<WorkspaceMembership>> {
        let row = self
            .db
            .run(move |conn| {
                Ok(tenant_members::table
                    .find((id_to_db(tenant_id), id_to_db(account_id)))
                    .select(TenantMemberRow::as_select())
                    .first(conn)
                    .optional()?)
            })
            .await?;
        row.map(TenantMemberRow::into_domain).transpose()
    }

    async fn workspace_members_of(&self, tenant_id: Uuid) -> DomainResult<Vec<(Account, WorkspaceMembership)>> {
        let rows = self
            .db
            .run(move |conn| {
                Ok(tenant_members::table
                    .inner_join(accounts::table)
                    .filter(tenant_members::tenant_id.eq(id_to_db(tenant_id)))
                    .filter(accounts::deleted_at.is_null())
                    .order((
                        tenant_members::role.eq("owner").desc(),
                        tenant_members::created_at.asc(),
                        tenant_members::account_id.asc(),
                    ))
                    .select((AccountRow::as_select(), TenantMemberRow::as_select()))
                    .load::<(AccountRow, TenantMemberRow)>(conn)?)
            })
            .await?;
        rows.into_iter().map(|(a, m)| Ok((a.into_domain()?, m.into_domain()?))).collect()
    }

    async fn members_of_workspaces(
        &self,
        tenant_ids: &[Uuid],
    ) -> DomainResult<Vec<Vec<(Account, WorkspaceMembership)>>> {
        let ids: Vec<String> = tenant_ids.iter().map(|id| id_to_db(*id)).collect();
        let rows = self
            .db
            .run(move |conn| {
                let mut rows = Vec::new();
                for chunk in ids.chunks(500) {
                    rows.extend(
                        tenant_members::table
                            .inner_join(accounts::table)
                            .filter(tenant_members::tenant_id.eq_any(chunk))
                            .filter(accounts::deleted_at.is_null())
                            .order((
                                tenant_members::tenant_id.asc(),
                                tenant_members::role.eq("owner").desc(),
                                tenant_members::created_at.asc(),
                                tenant_members::account_id.asc(),
                            ))
                            .select((AccountRow::as_select(), TenantMemberRow::as_select()))
                            .load::<(AccountRow, TenantMemberRow)>(conn)?,
                    );
                }
                Ok(rows)
            })
            .await?;
        let mut by_workspace: std::collections::HashMap<Uuid, Vec<(Account, WorkspaceMembership)>> =
            std::collections::HashMap::new();
        for (account, member) in rows {
            let member = member.into_domain()?;
            by_workspace.entry(member.tenant_id).or_default().push((account.into_domain()?, member));
        }
        Ok(tenant_ids.iter().map(|id| by_workspace.remove(id).unwrap_or_default()).collect())
    }

    async fn set_workspace_role(
        &self,
        tenant_id: Uuid,
        owner_id: Uuid,
        account_id: Uuid,
        role: WorkspaceRole,
    ) -> DomainResult<()> {
        self.db
            .write(move |conn| {
                let (tid, aid) = (id_to_db(tenant_id), id_to_db(account_id));
                let now = to_db(OffsetDateTime::now_utc());
                require_owner(conn, &tid, &id_to_db(owner_id))?;
                if role == WorkspaceRole::Owner {
                    // the old owner steps down first: the single-owner index never sees two owners
                    diesel::update(tenant_members::table.find((&tid, id_to_db(owner_id))))
                        .set((
                            tenant_members::role.eq(WorkspaceRole::Admin.as_str()),
                            tenant_members::updated_at.eq(now),
                        ))
                        .execute(conn)?;
                }
                let n =
                    diesel::update(tenant_members::table.find((&tid, &aid)).filter(tenant_members::role.ne("owner")))
                        .set((tenant_members::role.eq(role.as_str()), tenant_members::updated_at.eq(now)))
                        .execute(conn)?;
                if n == 0 {
                    return Err(missing_or_owner(conn, &tid, &aid)?.into());
                }
                Ok(())
            })
            .await
    }

    async fn remove_workspace_member(&self, tenant_id: Uuid, owner_id: Uuid, account_id: Uuid) -> DomainResult<()> {
        self.db
            .write(move |conn| {
                let (tid, aid) = (id_to_db(tenant_id), id_to_db(account_id));
                require_owner(conn, &tid, &id_to_db(owner_id))?;
                let n =
                    diesel::delete(tenant_members::table.find((&tid, &aid)).filter(tenant_members::role.ne("owner")))
                        .execute(conn)?;
                if n == 0 {
                    return Err(missing_or_owner(conn, &tid, &aid)?.into());
                }
                Ok(())
            })
            .await
    }

    async fn accounts_without_current_workspace(&self, limit: i64) -> DomainResult<Vec<Uuid>> {
        let ids: Vec<String> = self
            .db
            .run(move |conn| {
                let current = diesel::alias!(tenant_members as current_members);
                let with_current = current
                    .filter(current.field(tenant_members::is_current).eq(true))
                    .select(current.field(tenant_members::account_id));
                Ok(tenant_members::table
                    .inner_join(tenants::table)
                    .filter(tenants::status.eq("normal"))
                    .filter(diesel::dsl::not(tenant_members::account_id.eq_any(with_current)))
                    .select(tenant_members::account_id)
                    .distinct()
                    .limit(limit)
                    .load(conn)?)
            })
            .await?;
        ids.iter().map(|id| id_from_db(id)).collect()
    }

    async fn switch_workspace_of(&self, account_id: Uuid, tenant_id: Uuid) -> DomainResult<()> {
        self.db
            .write(move |conn| {
                let (aid, tid) = (id_to_db(account_id), id_to_db(tenant_id));
                let member = tenant_members::table.find((&tid, &aid)).count().get_result::<i64>(conn)? > 0;
                if !member {
                    return Err(DomainError::NotFound { entity: "workspace membership" }.into());
                }
                diesel::update(tenant_members::table.filter(tenant_members::account_id.eq(&aid)))
                    .set(tenant_members::is_current.eq(false))
                    .execute(conn)?;
                diesel::update(tenant_members::table.find((&tid, &aid)))
                    .set(tenant_members::is_current.eq(true))
                    .execute(conn)?;
                Ok(())
            })
            .await
    }

    async fn save_workspace(&self, write: &WorkspaceWrite) -> DomainResult<()> {
        let write = write.clone();
        self.db
            .write(move |conn| {
                let tenant = NewTenantRow::from(&write.workspace);
                match write.expected_updated_at {
                    None => {
                        diesel::insert_into(tenants::table).values(&tenant).execute(conn)?;
                    }
                    Some(expected) => {
                        let changed = diesel::update(
                            tenants::table.find(&tenant.id).filter(tenants::updated_at.eq(to_db(expected))),
                        )
                        .set((
                            tenants::name.eq(&tenant.name),
                            tenants::status.eq(&tenant.status),
                            tenants::updated_at.eq(tenant.updated_at),
                        ))
                        .execute(conn)?;
                        if changed == 0 {
                            return Err(DomainError::Stale.into());
                        }
                    }
                }
                // memberships gained meanwhile are kept as they are
                let joins: Vec<GroupMembership> = write
                    .join_group
                    .iter()
                    .filter(|m| {
                        let key = (id_to_db(m.group_id), id_to_db(m.account_id));
                        !group_members::table.find(key).count().get_result::<i64>(conn).is_ok_and(|n| n > 0)
                    })
                    .cloned()
                    .collect();
                let adds: Vec<WorkspaceMembership> = write
                    .add
                    .iter()
                    .filter(|m| {
                        let key = (id_to_db(m.tenant_id), id_to_db(m.account_id));
                        !tenant_members::table.find(key).count().get_result::<i64>(conn).is_ok_and(|n| n > 0)
                    })
                    .cloned()
                    .collect();
                insert_memberships(conn, &joins, &adds)?;
                if !write.remove.is_empty() {
                    diesel::delete(
                        tenant_members::table
                            .filter(tenant_members::tenant_id.eq(&tenant.id))
                            .filter(tenant_members::account_id.eq_any(write.remove.iter().map(|a| id_to_db(*a))))
                            .filter(tenant_members::role.ne(WorkspaceRole::Owner.as_str())),
                    )
                    .execute(conn)?;
                }
                Ok(())
            })
            .await
    }
}
