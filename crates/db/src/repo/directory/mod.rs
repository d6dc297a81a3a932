//! The directory on the database: one adapter, [`DieselDirectory`], for the installation, group, workspace and
//! invitation ports (one file each), sharing the transaction helpers below.

mod groups;
mod installation;
mod invitations;
mod membership_cache;
mod workspaces;

use async_trait::async_trait;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use domain::model::{
    Account, EnterpriseGroup, GroupFounding, GroupMembership, GroupRole, GroupStatus, Installation, Invitation,
    InvitationBatch, Page, PageRequest, Registration, WireEnum, Workspace, WorkspaceMembership, WorkspaceRole,
    WorkspaceStatus,
};
use domain::ports::{
    GroupCreation, GroupRepair, GroupRepository, GroupSnapshot, InstallationRepository, InvitationRepository,
    WorkspaceRepository, WorkspaceScope, WorkspaceWrite,
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
    /// Group memberships read for permission checks, kept as long as `db` keeps authenticated accounts
    /// ([`Database::authentication_cache`]).
    memberships: Option<std::sync::Arc<membership_cache::MembershipCache>>,
}

impl DieselDirectory {
    /// Repository over `db`.
    pub fn new(db: Database) -> Self {
        let ttl = db.authentication_cache();
        let memberships = (!ttl.is_zero()).then(|| std::sync::Arc::new(membership_cache::MembershipCache::new(ttl)));
        Self { db, memberships }
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
