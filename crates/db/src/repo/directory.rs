use async_trait::async_trait;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use domain::model::{
    Account, EnterpriseGroup, GroupFounding, GroupMembership, GroupRole, GroupStatus, Installation, Invitation,
    InvitationBatch, Page, PageRequest, Registration, Tenant, TenantMembership, TenantStatus, WireEnum, WorkspaceRole,
};
use domain::ports::{
    GroupCreation, GroupRepair, GroupRepository, GroupSnapshot, InstallationRepository, InvitationRepository,
    TenantScope, WorkspaceRepository,
};
use domain::{DomainError, DomainResult};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::error::RepoError;
use crate::repo::accounts::insert_memberships;
use crate::repo::codes::redeem_code;
use crate::repo::outbox::insert_outbox;
use crate::rows::{
    from_db, id_from_db, id_to_db, to_db, AccountRow, GroupMemberRow, GroupRow, NewTenantRow, TenantMemberRow,
    TenantRow,
};
use crate::schema::{accounts, enterprise_groups, group_members, setups, tenant_members, tenants, verification_codes};
use crate::{Database, DbConnection};

/// Refuses unless `owner` is (still) the workspace's owner; runs inside the caller's transaction.
fn require_owner(conn: &mut DbConnection, tenant: &str, owner: &str) -> Result<(), RepoError> {
    let role: Option<String> =
        tenant_members::table.find((tenant, owner)).select(tenant_members::role).first(conn).optional()?;
    if role.as_deref() == Some("owner") {
        Ok(())
    } else {
        Err(DomainError::Forbidden("Only the workspace owner can manage members.").into())
    }
}

/// Why a membership change touched no row: no such member, or it became the owner meanwhile.
fn missing_or_owner(conn: &mut DbConnection, tenant: &str, account: &str) -> Result<DomainError, RepoError> {
    let exists = tenant_members::table.find((tenant, account)).count().get_result::<i64>(conn)? > 0;
    Ok(if exists { DomainError::Stale } else { DomainError::NotFound { entity: "workspace member" } })
}

/// `verification_codes.purpose` of workspace invitations.
const INVITE: &str = "invite";

/// Installation state, groups and workspaces in the database.
#[derive(Debug, Clone)]
pub struct DieselDirectory {
    db: Database,
}

impl DieselDirectory {
    /// Repository over `db`.
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

/// Inserts a founded group: the founder, the group, its tenants and the memberships.
fn insert_founding(conn: &mut DbConnection, founding: &GroupFounding) -> Result<(), RepoError> {
    diesel::insert_into(accounts::table).values(AccountRow::from(&founding.founder)).execute(conn)?;
    diesel::insert_into(enterprise_groups::table).values(GroupRow::from(&founding.group)).execute(conn)?;
    for tenant in &founding.tenants {
        diesel::insert_into(tenants::table).values(NewTenantRow::from(tenant)).execute(conn)?;
    }
    insert_memberships(conn, &founding.group_members, &founding.tenant_members)
}

#[async_trait]
impl InstallationRepository for DieselDirectory {
    async fn setup_completed_at(&self) -> DomainResult<Option<OffsetDateTime>> {
        let at = self.db.run(|conn| Ok(setups::table.select(setups::setup_at).first(conn).optional()?)).await?;
        Ok(at.map(from_db))
    }

    async fn install(&self, installation: &Installation) -> DomainResult<()> {
        let inst = installation.clone();
        self.db
            .write(move |conn| {
                // Postgres runs concurrent installs side by side under READ COMMITTED: serialise them here
                // (SQLite's BEGIN IMMEDIATE already does).
                if let DbConnection::Postgres(_) = conn {
                    conn.batch_execute("LOCK TABLE setups IN EXCLUSIVE MODE")?;
                }
                let done = setups::table.count().get_result::<i64>(conn)? > 0;
                let any_tenant = tenants::table.count().get_result::<i64>(conn)? > 0;
                if done || any_tenant {
                    return Err(DomainError::AlreadySetup.into());
                }
                let now = to_db(inst.founding.group.created_at);
                insert_founding(conn, &inst.founding)?;
                diesel::insert_into(setups::table)
                    .values((setups::id.eq(1i16), setups::version.eq(&inst.version), setups::setup_at.eq(now)))
                    .execute(conn)
                    .map_err(|e| match e {
                        diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _) => {
                            RepoError::Domain(DomainError::AlreadySetup)
                        }
                        other => other.into(),
                    })?;
                Ok(())
            })
            .await
    }

    async fn register(&self, registration: &Registration) -> DomainResult<bool> {
        let registration = registration.clone();
        self.db
            .write(move |conn| {
                let at = to_db(registration.founding.founder.created_at);
                if let Some(code) = &registration.code {
                    if !redeem_code(conn, code, at)? {
                        return Ok(false);
                    }
                }
                insert_founding(conn, &registration.founding)?;
                if let Some(identity) = &registration.identity {
                    crate::repo::identities::insert_identity(conn, identity)?;
                }
                Ok(true)
            })
            .await
    }
}

#[async_trait]
impl GroupRepository for DieselDirectory {
    async fn group_memberships(&self, account_id: Uuid) -> DomainResult<Vec<GroupMembership>> {
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
        rows.into_iter().map(GroupMemberRow::into_domain).collect()
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
                let rows: Vec<(GroupRow, String)> = query()
                    .order((group_members::created_at.desc(), group_members::group_id.asc()))
                    .limit(i64::from(page.limit))
                    .offset(page.offset())
                    .select((GroupRow::as_select(), group_members::role))
                    .load(conn)?;
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
    ) -> DomainResult<Vec<(Tenant, TenantMembership)>> {
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

#[async_trait]
impl WorkspaceRepository for DieselDirectory {
    async fn current_tenant(&self, account_id: Uuid) -> DomainResult<Option<(Tenant, TenantMembership)>> {
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

    async fn get_tenant(&self, id: Uuid) -> DomainResult<Option<Tenant>> {
        let row = self
            .db
            .run(move |conn| {
                Ok(tenants::table.find(id_to_db(id)).select(TenantRow::as_select()).first(conn).optional()?)
            })
            .await?;
        row.map(TenantRow::into_domain).transpose()
    }

    async fn find_tenant_by_code(&self, code: &str) -> DomainResult<Option<Tenant>> {
        let code = code.to_owned();
        let row = self
            .db
            .run(move |conn| {
                Ok(tenants::table
                    .filter(tenants::code.eq(code))
                    .select(TenantRow::as_select())
                    .first(conn)
                    .optional()?)
            })
            .await?;
        row.map(TenantRow::into_domain).transpose()
    }

    async fn create_tenant(&self, tenant: &Tenant, owner: &TenantMembership) -> DomainResult<()> {
        let (tenant, owner) = (NewTenantRow::from(tenant), owner.clone());
        self.db
            .write(move |conn| {
                diesel::insert_into(tenants::table).values(&tenant).execute(conn)?;
                insert_memberships(conn, &[], std::slice::from_ref(&owner))
            })
            .await
    }

    async fn group_tenants(
        &self,
        group_id: Uuid,
        scope: TenantScope,
        status: Option<TenantStatus>,
        page: PageRequest,
    ) -> DomainResult<Page<Tenant>> {
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
                        TenantScope::All => q,
                        TenantScope::JoinedBy(account) => q.filter(tenants::id.eq_any(joined(account))),
                        TenantScope::NotJoinedBy(account) => {
                            q.filter(diesel::dsl::not(tenants::id.eq_any(joined(account))))
                        }
                        TenantScope::ManagedBy { account, permission } => {
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
                let rows: Vec<TenantRow> = query()
                    .order((tenants::created_at.desc(), tenants::id.asc()))
                    .limit(i64::from(page.limit))
                    .offset(page.offset())
                    .select(TenantRow::as_select())
                    .load(conn)?;
                Ok((rows, total))
            })
            .await?;
        let items = rows.into_iter().map(TenantRow::into_domain).collect::<DomainResult<_>>()?;
        Ok(Page { items, total, request: page })
    }

    async fn account_tenants(&self, account_id: Uuid) -> DomainResult<Vec<(Tenant, TenantMembership)>> {
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

    async fn tenant_membership(&self, tenant_id: Uuid, account_id: Uuid) -> DomainResult<Option<TenantMembership>> {
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

    async fn tenant_members(&self, tenant_id: Uuid) -> DomainResult<Vec<(Account, TenantMembership)>> {
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

    async fn set_tenant_role(
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

    async fn remove_tenant_member(&self, tenant_id: Uuid, owner_id: Uuid, account_id: Uuid) -> DomainResult<()> {
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

    async fn switch_tenant(&self, account_id: Uuid, tenant_id: Uuid) -> DomainResult<()> {
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
}

#[async_trait]
impl InvitationRepository for DieselDirectory {
    async fn save_invitations(&self, batch: &InvitationBatch) -> DomainResult<()> {
        let batch = batch.clone();
        self.db
            .write(move |conn| {
                for account in &batch.new_accounts {
                    diesel::insert_into(accounts::table).values(AccountRow::from(account)).execute(conn)?;
                }
                insert_memberships(conn, &batch.group_members, &batch.tenant_members)?;
                for i in &batch.invitations {
                    let payload =
                        serde_json::json!({"tenant_id": i.tenant_id, "invited_by": i.invited_by, "email": i.email});
                    diesel::insert_into(verification_codes::table)
                        .values((
                            verification_codes::id.eq(id_to_db(i.token)),
                            verification_codes::purpose.eq(INVITE),
                            verification_codes::account_id.eq(Some(id_to_db(i.account_id))),
                            verification_codes::email_key.eq(domain::values::email_key(&i.email)),
                            verification_codes::payload.eq(payload.to_string()),
                            verification_codes::created_at.eq(to_db(i.created_at)),
                            verification_codes::expires_at.eq(to_db(i.expires_at)),
                        ))
                        .execute(conn)?;
                }
                for mail in &batch.mails {
                    insert_outbox(conn, mail)?;
                }
                Ok(())
            })
            .await
    }

    async fn find_invitation(&self, token: Uuid) -> DomainResult<Option<Invitation>> {
        let row = self
            .db
            .run(move |conn| {
                Ok(verification_codes::table
                    .find(id_to_db(token))
                    .filter(verification_codes::purpose.eq(INVITE))
                    .filter(verification_codes::consumed_at.is_null())
                    .select((
                        verification_codes::account_id,
                        verification_codes::payload,
                        verification_codes::created_at,
                        verification_codes::expires_at,
                    ))
                    .first::<(Option<String>, String, time::PrimitiveDateTime, time::PrimitiveDateTime)>(conn)
                    .optional()?)
            })
            .await?;
        let Some((account_id, payload, created_at, expires_at)) = row else { return Ok(None) };
        let payload: serde_json::Value = serde_json::from_str(&payload).map_err(DomainError::internal)?;
        let field = |name: &str| {
            payload[name]
                .as_str()
                .map(str::to_owned)
                .ok_or_else(|| DomainError::internal_msg(format!("invitation without {name}")))
        };
        Ok(Some(Invitation {
            token,
            account_id: id_from_db(
                &account_id.ok_or_else(|| DomainError::internal_msg("invitation without account"))?,
            )?,
            email: field("email")?,
            tenant_id: id_from_db(&field("tenant_id")?)?,
            invited_by: id_from_db(&field("invited_by")?)?,
            created_at: from_db(created_at),
            expires_at: from_db(expires_at),
        }))
    }

    async fn redeem_invitation(
        &self,
        token: Uuid,
        account: &Account,
        tenant_id: Uuid,
        now: OffsetDateTime,
    ) -> DomainResult<bool> {
        let row = AccountRow::from(account);
        self.db
            .write(move |conn| {
                let redeemed = diesel::update(
                    verification_codes::table
                        .find(id_to_db(token))
                        .filter(verification_codes::purpose.eq(INVITE))
                        .filter(verification_codes::consumed_at.is_null()),
                )
                .set(verification_codes::consumed_at.eq(Some(to_db(now))))
                .execute(conn)?;
                if redeemed == 0 {
                    return Ok(false);
                }
                let activated = diesel::update(
                    accounts::table
                        .find(&row.id)
                        .filter(accounts::status.eq("pending"))
                        .filter(accounts::deleted_at.is_null()),
                )
                .set((
                    accounts::name.eq(&row.name),
                    accounts::interface_language.eq(&row.interface_language),
                    accounts::interface_theme.eq(&row.interface_theme),
                    accounts::timezone.eq(&row.timezone),
                    accounts::status.eq(&row.status),
                    accounts::initialized_at.eq(row.initialized_at),
                    accounts::updated_at.eq(row.updated_at),
                ))
                .execute(conn)?;
                if activated == 0 {
                    // banned or deleted meanwhile: roll the redemption back
                    return Err(DomainError::InvalidInvitation.into());
                }
                diesel::update(tenant_members::table.filter(tenant_members::account_id.eq(&row.id)))
                    .set(tenant_members::is_current.eq(false))
                    .execute(conn)?;
                diesel::update(tenant_members::table.find((id_to_db(tenant_id), &row.id)))
                    .set(tenant_members::is_current.eq(true))
                    .execute(conn)?;
                Ok(true)
            })
            .await
    }
}
