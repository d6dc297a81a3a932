//! Enterprise groups: creation with a shadow tenant, listings of a group's workspaces and members, the
//! "managed" views, and switching into a group. Every check goes through [`crate::policy`].

use uuid::Uuid;

use crate::error::{DomainError, DomainResult};
use crate::model::{
    Account, EnterpriseGroup, GroupMembership, GroupRole, GroupStatus, Page, PageRequest, Workspace,
    WorkspaceMembership, WorkspacePermission, WorkspaceRole, WorkspaceStatus,
};
use crate::policy::{self, Subject};
use crate::ports::{GroupCreation, WorkspaceScope};
use crate::values::{optional_text, required_text};

use super::UseCases;

/// Longest group or workspace name.
pub const NAME_MAX: usize = 255;
/// Longest group short name.
pub const SHORT_NAME_MAX: usize = 100;

/// A group the caller may see, with the caller's memberships.
pub(super) struct Visible {
    pub(super) group: EnterpriseGroup,
    pub(super) actor_groups: Vec<GroupMembership>,
}

impl UseCases {
    /// The group if the actor may see it (members and platform readers; archived groups only the latter).
    pub(super) async fn visible_group(&self, actor: &Account, group_id: Uuid) -> DomainResult<Visible> {
        let actor_groups = self.memberships(actor.id).await?;
        let subject = Subject { account: actor, groups: &actor_groups };
        let reader = actor.system_role.is_some_and(|r| r.can_read_all());
        let group = self
            .ports
            .groups
            .get_group(group_id)
            .await?
            .filter(|g| policy::may_see_group(subject, g.id) && (g.status == GroupStatus::Active || reader))
            .ok_or(DomainError::NotFound { entity: "enterprise group" })?;
        Ok(Visible { group, actor_groups })
    }

    /// Creates a group with its shadow tenant (same id, same name); the creator becomes its super admin and
    /// owner of the shadow tenant.
    ///
    /// # Errors
    /// `Forbidden` unless a platform admin; `Invalid` for bad names; `Conflict { field: "name" }`.
    ///
    /// ```
    /// # use domain::usecases::UseCases;
    /// # async fn demo(use_cases: &UseCases, bearer: &str) -> domain::DomainResult<()> {
    /// let admin = use_cases.authenticate(bearer).await?;
    /// // platform admins only: the group comes with its own (shadow) workspace, and the creator leads it
    /// let group = use_cases.create_group(&admin, "Research", Some("R&D")).await?;
    /// let lab = use_cases.create_group_workspace(&admin, group.id, "Lab").await?;
    /// assert_eq!(lab.group_id, Some(group.id));
    /// # Ok(()) }
    /// ```
    pub async fn create_group(
        &self,
        actor: &Account,
        name: &str,
        short_name: Option<&str>,
    ) -> DomainResult<EnterpriseGroup> {
        let groups = self.memberships(actor.id).await?;
        if !policy::may_create_groups(Subject { account: actor, groups: &groups }) {
            return Err(DomainError::Forbidden("Only system administrators can create enterprise groups."));
        }
        let name = required_text("name", name, NAME_MAX)?;
        let short_name = optional_text("short_name", short_name, SHORT_NAME_MAX)?;
        let now = self.ports.clock.now();
        let id = self.ports.ids.new_id();
        let group = EnterpriseGroup {
            id,
            name: name.clone(),
            short_name,
            status: GroupStatus::Active,
            workspace_defaults: serde_json::json!({}),
            created_at: now,
            updated_at: now,
        };
        let creation = GroupCreation {
            shadow: Workspace::new(id, name, Some(id), now),
            members: vec![GroupMembership {
                group_id: id,
                account_id: actor.id,
                role: GroupRole::SuperAdmin,
                created_at: now,
            }],
            tenant_members: vec![WorkspaceMembership::new(id, actor.id, WorkspaceRole::Owner, now)],
            group: group.clone(),
        };
        self.ports.groups.create_group(&creation).await?;
        Ok(group)
    }

    /// Groups of `account_id` (the actor's own when `None`) with the role held there.
    ///
    /// # Errors
    /// `Forbidden` when asking about another account without being a platform reader.
    pub async fn joined_groups(
        &self,
        actor: &Account,
        account_id: Option<Uuid>,
        status: Option<GroupStatus>,
        page: PageRequest,
    ) -> DomainResult<Page<(EnterpriseGroup, GroupRole)>> {
        let account_id = account_id.unwrap_or(actor.id);
        let reader = actor.system_role.is_some_and(|r| r.can_read_all());
        if account_id != actor.id && !reader {
            return Err(DomainError::Forbidden("You can only list your own groups."));
        }
        // archived groups have left their members' views; platform readers still see them
        let status =
            if reader { status } else { Some(GroupStatus::Active).filter(|_| status != Some(GroupStatus::Archived)) };
        if status.is_none() && !reader {
            return Ok(Page { items: Vec::new(), total: 0, request: page });
        }
        self.ports.groups.groups_of(account_id, status, page).await
    }

    /// A group the actor may see.
    ///
    /// # Errors
    /// `NotFound` for unknown groups and groups the actor may not see.
    pub async fn group_info(&self, actor: &Account, group_id: Uuid) -> DomainResult<EnterpriseGroup> {
        Ok(self.visible_group(actor, group_id).await?.group)
    }

    /// Renames a group (and its shadow tenant).
    ///
    /// # Errors
    /// `NotFound`, `Forbidden` unless its super admin or a platform admin, `Invalid`, `Conflict`.
    pub async fn rename_group(
        &self,
        actor: &Account,
        group_id: Uuid,
        name: &str,
        short_name: Option<&str>,
    ) -> DomainResult<EnterpriseGroup> {
        let Visible { mut group, actor_groups } = self.visible_group(actor, group_id).await?;
        if !policy::may_own_group(Subject { account: actor, groups: &actor_groups }, group_id) {
            return Err(DomainError::Forbidden("Only the group's super administrator can change it."));
        }
        group.name = required_text("name", name, NAME_MAX)?;
        group.short_name = optional_text("short_name", short_name, SHORT_NAME_MAX)?;
        group.updated_at = self.ports.clock.now();
        self.ports.groups.update_group(&group).await?;
        Ok(group)
    }

    /// Archives a group: its workspaces and memberships stay, it disappears from its members' views.
    ///
    /// # Errors
    /// `NotFound`, `Forbidden` unless its super admin or a platform admin.
    pub async fn archive_group(&self, actor: &Account, group_id: Uuid) -> DomainResult<()> {
        let Visible { mut group, actor_groups } = self.visible_group(actor, group_id).await?;
        if !policy::may_own_group(Subject { account: actor, groups: &actor_groups }, group_id) {
            return Err(DomainError::Forbidden("Only the group's super administrator can delete it."));
        }
        group.status = GroupStatus::Archived;
        group.updated_at = self.ports.clock.now();
        self.ports.groups.update_group(&group).await
    }

    /// Workspaces of a group: all of them for its managers and platform readers, the joined ones for members.
    ///
    /// # Errors
    /// `NotFound` for groups the actor may not see.
    pub async fn group_workspaces(
        &self,
        actor: &Account,
        group_id: Uuid,
        status: Option<WorkspaceStatus>,
        page: PageRequest,
    ) -> DomainResult<Page<Workspace>> {
        let Visible { actor_groups, .. } = self.visible_group(actor, group_id).await?;
        let subject = Subject { account: actor, groups: &actor_groups };
        let sees_all =
            policy::may_manage_group(subject, group_id) || actor.system_role.is_some_and(|r| r.can_read_all());
        let scope = if sees_all { WorkspaceScope::All } else { WorkspaceScope::JoinedBy(actor.id) };
        self.ports.workspaces.group_workspaces(group_id, scope, status, page).await
    }

    /// Creates a workspace in a group; the actor becomes its owner.
    ///
    /// # Errors
    /// `NotFound`, `Forbidden` unless a manager of the group, `Invalid`, `Conflict { field: "name" }`.
    pub async fn create_group_workspace(&self, actor: &Account, group_id: Uuid, name: &str) -> DomainResult<Workspace> {
        let Visible { actor_groups, .. } = self.visible_group(actor, group_id).await?;
        if !policy::may_manage_group(Subject { account: actor, groups: &actor_groups }, group_id) {
            return Err(DomainError::Forbidden("Only super administrators can perform this operation"));
        }
        let name = required_text("name", name, NAME_MAX)?;
        let now = self.ports.clock.now();
        let tenant = Workspace::new(self.ports.ids.new_id(), name, Some(group_id), now);
        let owner = WorkspaceMembership::new(tenant.id, actor.id, WorkspaceRole::Owner, now);
        self.ports.workspaces.create_workspace(&tenant, &owner).await?;
        Ok(tenant)
    }

    /// Checks that the actor may look at `account_id`'s place in the group: itself, the group's managers, and
    /// platform readers.
    async fn may_inspect_member(&self, actor: &Account, group_id: Uuid, account_id: Uuid) -> DomainResult<()> {
        let Visible { actor_groups, .. } = self.visible_group(actor, group_id).await?;
        let subject = Subject { account: actor, groups: &actor_groups };
        if account_id == actor.id
            || policy::may_manage_group(subject, group_id)
            || actor.system_role.is_some_and(|r| r.can_read_all())
        {
            Ok(())
        } else {
            Err(DomainError::Forbidden("Only group administrators can see other members' workspaces."))
        }
    }

    /// Normal workspaces of the group that `account_id` has joined (`joined`) or not.
    ///
    /// # Errors
    /// `NotFound` for invisible groups, `Forbidden` per [`UseCases::account_group_roles`].
    pub async fn account_group_workspaces(
        &self,
        actor: &Account,
        group_id: Uuid,
        account_id: Uuid,
        joined: bool,
        page: PageRequest,
    ) -> DomainResult<Page<Workspace>> {
        self.may_inspect_member(actor, group_id, account_id).await?;
        let scope = if joined { WorkspaceScope::JoinedBy(account_id) } else { WorkspaceScope::NotJoinedBy(account_id) };
        self.ports.workspaces.group_workspaces(group_id, scope, Some(WorkspaceStatus::Normal), page).await
    }

    /// `account_id`'s memberships of the group's workspaces (role, position, permissions).
    ///
    /// # Errors
    /// `NotFound` for invisible groups; `Forbidden` unless the actor is that account, a manager of the group or
    /// a platform reader.
    pub async fn account_group_roles(
        &self,
        actor: &Account,
        group_id: Uuid,
        account_id: Uuid,
    ) -> DomainResult<Vec<(Workspace, WorkspaceMembership)>> {
        self.may_inspect_member(actor, group_id, account_id).await?;
        self.ports.groups.memberships_in_group(group_id, account_id).await
    }

    /// Whether the actor manages the group (group super admin or admin, or owner or admin of one of its
    /// workspaces). With `switch`, the actor's current workspace becomes the group's shadow tenant when the actor
    /// is a member of it.
    ///
    /// # Errors
    /// Storage failures only: unknown and invisible groups answer `false`.
    pub async fn check_manage_permission(&self, actor: &Account, group_id: Uuid, switch: bool) -> DomainResult<bool> {
        let Ok(Visible { actor_groups, .. }) = self.visible_group(actor, group_id).await else { return Ok(false) };
        let subject = Subject { account: actor, groups: &actor_groups };
        let manages = policy::may_manage_group(subject, group_id) || {
            let scope = WorkspaceScope::ManagedBy { account: actor.id, permission: None };
            let one = PageRequest { page: 1, limit: 1 };
            self.ports.workspaces.group_workspaces(group_id, scope, Some(WorkspaceStatus::Normal), one).await?.total > 0
        };
        if switch && policy::group_role_in(subject, group_id).is_some() {
            match self.ports.workspaces.switch_workspace_of(actor.id, group_id).await {
                Ok(()) | Err(DomainError::NotFound { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(manages)
    }

    /// The group of the actor's current workspace, the actor's role there (normal without a membership row), and
    /// the group's shadow tenant.
    ///
    /// # Errors
    /// `NotFound` when the current workspace belongs to no active group.
    pub async fn current_group(&self, actor: &Account) -> DomainResult<(EnterpriseGroup, GroupRole, Workspace)> {
        let not_found = || DomainError::NotFound { entity: "enterprise group" };
        let group_id = self.current_group_id(actor.id).await?.ok_or_else(not_found)?;
        let group = self
            .ports
            .groups
            .get_group(group_id)
            .await?
            .filter(|g| g.status == GroupStatus::Active)
            .ok_or_else(not_found)?;
        let shadow = self.ports.workspaces.get_workspace(group_id).await?.ok_or_else(not_found)?;
        let role = self.group_role_of(actor.id, group_id).await?;
        Ok((group, role, shadow))
    }

    /// Workspaces of the group the actor manages: all for group managers and platform admins; otherwise those
    /// where the actor is owner or admin, or holds `permission`.
    ///
    /// # Errors
    /// `NotFound` for invisible groups.
    pub async fn managed_workspaces(
        &self,
        actor: &Account,
        group_id: Uuid,
        permission: Option<WorkspacePermission>,
        page: PageRequest,
    ) -> DomainResult<Page<Workspace>> {
        let Visible { actor_groups, .. } = self.visible_group(actor, group_id).await?;
        let scope = if policy::may_manage_group(Subject { account: actor, groups: &actor_groups }, group_id) {
            WorkspaceScope::All
        } else {
            WorkspaceScope::ManagedBy { account: actor.id, permission }
        };
        self.ports.workspaces.group_workspaces(group_id, scope, Some(WorkspaceStatus::Normal), page).await
    }

    /// Whether the actor may manage apps (`CreateAgent`) or datasets (`CreateKnowledge`) somewhere in the group.
    ///
    /// # Errors
    /// Storage failures only: invisible groups answer `false`.
    pub async fn check_group_permission(
        &self,
        actor: &Account,
        group_id: Uuid,
        permission: WorkspacePermission,
    ) -> DomainResult<bool> {
        let Ok(Visible { actor_groups, .. }) = self.visible_group(actor, group_id).await else { return Ok(false) };
        if policy::may_manage_group(Subject { account: actor, groups: &actor_groups }, group_id) {
            return Ok(true);
        }
        let scope = WorkspaceScope::ManagedBy { account: actor.id, permission: Some(permission) };
        let one = PageRequest { page: 1, limit: 1 };
        Ok(self.ports.workspaces.group_workspaces(group_id, scope, Some(WorkspaceStatus::Normal), one).await?.total > 0)
    }

    /// Members of a group with their group roles, newest first.
    ///
    /// # Errors
    /// `NotFound` for invisible groups; `Forbidden` unless a manager of the group or a platform reader.
    pub async fn group_members(
        &self,
        actor: &Account,
        group_id: Uuid,
        page: PageRequest,
    ) -> DomainResult<Page<(Account, GroupRole)>> {
        let Visible { actor_groups, .. } = self.visible_group(actor, group_id).await?;
        if !policy::may_list_group(Subject { account: actor, groups: &actor_groups }, group_id) {
            return Err(DomainError::Forbidden("Only group administrators can list the group's members."));
        }
        self.ports.accounts.list_group_members(group_id, page).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::SystemRole;
    use crate::usecases::test_support::*;

    fn admin() -> Account {
        let mut a = Account::new(Uuid::new_v4(), "root".into(), None, NOW);
        a.system_role = Some(SystemRole::SystemAdmin);
        a
    }

    #[tokio::test]
    async fn a_new_group_has_its_shadow_tenant_and_its_creator_as_super_admin() {
        let mut m = Mocks::new();
        m.groups.expect_group_memberships().returning(|_| Ok(vec![]));
        let actor = admin();
        let actor_id = actor.id;
        m.groups
            .expect_create_group()
            .withf(move |c| {
                c.shadow.id == c.group.id
                    && c.shadow.group_id == Some(c.group.id)
                    && c.shadow.name == "Acme"
                    && c.members
                        == vec![GroupMembership {
                            group_id: c.group.id,
                            account_id: actor_id,
                            role: GroupRole::SuperAdmin,
                            created_at: NOW,
                        }]
                    && c.tenant_members.len() == 1
                    && c.tenant_members[0].role == WorkspaceRole::Owner
                    && c.group.short_name.is_none()
            })
            .times(1)
            .returning(|_| Ok(()));
        let group = m.build().create_group(&actor, "  Acme ", Some("")).await.unwrap();
        assert_eq!(group.name, "Acme");
    }

    #[tokio::test]
    async fn normal_users_cannot_create_groups() {
        let mut m = Mocks::new();
        m.groups.expect_group_memberships().returning(|_| Ok(vec![]));
        m.groups.expect_create_group().never();
        let actor = Account::new(Uuid::new_v4(), "n".into(), None, NOW);
        assert!(matches!(m.build().create_group(&actor, "x", None).await, Err(DomainError::Forbidden(_))));
    }

    #[tokio::test]
    async fn strangers_do_not_see_a_group() {
        let mut m = Mocks::new();
        let gid = Uuid::new_v4();
        m.groups.expect_group_memberships().returning(|_| Ok(vec![]));
        m.groups.expect_get_group().returning(move |_| {
            Ok(Some(EnterpriseGroup {
                id: gid,
                name: "g".into(),
                short_name: None,
                status: GroupStatus::Active,
                workspace_defaults: serde_json::json!({}),
                created_at: NOW,
                updated_at: NOW,
            }))
        });
        let stranger = Account::new(Uuid::new_v4(), "s".into(), None, NOW);
        let uc = m.build();
        assert!(matches!(uc.group_info(&stranger, gid).await, Err(DomainError::NotFound { .. })));
        assert!(!uc.check_manage_permission(&stranger, gid, true).await.unwrap());
    }
}
