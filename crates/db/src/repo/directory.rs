use async_trait::async_trait;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use domain::model::{GroupMembership, GroupRole, Installation, Tenant, TenantMembership, WireEnum};
use domain::ports::DirectoryRepository;
use domain::{DomainError, DomainResult};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::error::RepoError;
use crate::repo::accounts::insert_memberships;
use crate::rows::{
    from_db, id_to_db, to_db, AccountRow, GroupMemberRow, GroupRow, NewTenantRow, TenantMemberRow, TenantRow,
};
use crate::schema::{accounts, enterprise_groups, group_members, setups, tenant_members, tenants};
use crate::{Database, DbConnection};

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

#[async_trait]
impl DirectoryRepository for DieselDirectory {
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
                let now = to_db(inst.group.created_at);
                diesel::insert_into(accounts::table).values(AccountRow::from(&inst.admin)).execute(conn)?;
                diesel::insert_into(enterprise_groups::table)
                    .values(GroupRow {
                        id: id_to_db(inst.group.id),
                        name: inst.group.name.clone(),
                        short_name: inst.group.short_name.clone(),
                        status: inst.group.status.as_str().into(),
                        workspace_defaults: inst.group.workspace_defaults.to_string(),
                        created_at: now,
                        updated_at: now,
                    })
                    .execute(conn)?;
                for tenant in &inst.tenants {
                    diesel::insert_into(tenants::table).values(NewTenantRow::from(tenant)).execute(conn)?;
                }
                insert_memberships(conn, &inst.group_members, &inst.tenant_members)?;
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

    async fn set_group_role(&self, group_id: Uuid, account_id: Uuid, role: GroupRole) -> DomainResult<()> {
        let changed = self
            .db
            .run(move |conn| {
                Ok(diesel::update(group_members::table.find((id_to_db(group_id), id_to_db(account_id))))
                    .set((
                        group_members::role.eq(role.as_str()),
                        group_members::updated_at.eq(to_db(OffsetDateTime::now_utc())),
                    ))
                    .execute(conn)?)
            })
            .await?;
        if changed == 0 {
            return Err(DomainError::NotFound { entity: "group member" });
        }
        Ok(())
    }
}
