//! Workspaces as the console sees them: the caller's list, switching, the current workspace and its members,
//! role changes (with owner transfer) and removal. Member management follows Dify: only the owner changes roles
//! or removes members, and nobody operates on their own membership.

use uuid::Uuid;

use crate::error::{DomainError, DomainResult};
use crate::model::{Account, Workspace, WorkspaceMembership, WorkspaceRole};
use crate::policy::{self, Subject};

use super::UseCases;

const MEMBER: &str = "workspace member";

impl UseCases {
    /// The actor's workspaces in status normal (the shadow tenants of its groups included), oldest first.
    pub async fn list_workspaces(&self, actor: &Account) -> DomainResult<Vec<(Workspace, WorkspaceMembership)>> {
        // reading the current workspace picks one when none is marked, so the list always shows one
        self.ports.workspaces.current_workspace_of(actor.id).await?;
        self.ports.workspaces.workspaces_of(actor.id).await
    }

    /// Makes `tenant_id` the actor's current workspace and returns it.
    ///
    /// # Errors
    /// `NotFound { entity: "workspace membership" }` when the actor is not a member of a normal workspace of
    /// that id.
    pub async fn switch_workspace(
        &self,
        actor: &Account,
        tenant_id: Uuid,
    ) -> DomainResult<(Workspace, WorkspaceMembership)> {
        let not_member = || DomainError::NotFound { entity: "workspace membership" };
        let (tenant, _) =
            self.list_workspaces(actor).await?.into_iter().find(|(t, _)| t.id == tenant_id).ok_or_else(not_member)?;
        self.ports.workspaces.switch_workspace_of(actor.id, tenant_id).await?;
        let membership =
            self.ports.workspaces.workspace_membership(tenant_id, actor.id).await?.ok_or_else(not_member)?;
        Ok((tenant, membership))
    }

    /// The actor's current workspace with its membership.
    ///
    /// # Errors
    /// `NotFound` when the actor has no workspace in status normal.
    pub async fn current_workspace(&self, actor: &Account) -> DomainResult<(Workspace, WorkspaceMembership)> {
        self.ports.workspaces.current_workspace_of(actor.id).await?.ok_or(DomainError::NotFound { entity: "workspace" })
    }

    /// Members of the actor's current workspace (any member may list them).
    ///
    /// # Errors
    /// `NotFound` without a current workspace.
    pub async fn workspace_members(&self, actor: &Account) -> DomainResult<Vec<(Account, WorkspaceMembership)>> {
        let (tenant, _) = self.current_workspace(actor).await?;
        self.ports.workspaces.workspace_members_of(tenant.id).await
    }

    /// Whether the actor may manage the workspace `workspace_id` ([`crate::policy::may_manage_workspace`]):
    /// `false` for unknown workspaces, as for ones the actor does not manage.
    ///
    /// ```
    /// # async fn check(use_cases: &domain::usecases::UseCases, bearer: &str, workspace: uuid::Uuid)
    /// # -> domain::DomainResult<()> {
    /// let account = use_cases.authenticate(bearer).await?;
    /// if !use_cases.may_manage_workspace(&account, workspace).await? {
    ///     return Err(domain::DomainError::Forbidden("Only the workspace's owner and admins manage it."));
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn may_manage_workspace(&self, actor: &Account, workspace_id: Uuid) -> DomainResult<bool> {
        let Some(workspace) = self.ports.workspaces.get_workspace(workspace_id).await? else { return Ok(false) };
        let mine = self.ports.workspaces.workspace_membership(workspace_id, actor.id).await?;
        let groups = if workspace.group_id.is_some() { self.memberships(actor.id).await? } else { Vec::new() };
        Ok(policy::may_manage_workspace(Subject { account: actor, groups: &groups }, &workspace, mine.as_ref()))
    }

    /// The target's membership of the actor's current workspace, after the owner-only and not-self checks.
    async fn owner_over_member(
        &self,
        actor: &Account,
        member_id: Uuid,
    ) -> DomainResult<(Workspace, WorkspaceMembership)> {
        let (tenant, mine) = self.current_workspace(actor).await?;
        if member_id == actor.id {
            return Err(DomainError::CannotOperateSelf);
        }
        if mine.role != WorkspaceRole::Owner {
            return Err(DomainError::Forbidden("Only the workspace owner can manage members."));
        }
        let theirs = self
            .ports
            .workspaces
            .workspace_membership(tenant.id, member_id)
            .await?
            .ok_or(DomainError::NotFound { entity: MEMBER })?;
        Ok((tenant, theirs))
    }

    /// Gives a member of the actor's current workspace a new role. Making someone owner makes the actor (the
    /// old owner) an admin, in the same transaction.
    ///
    /// # Errors
    /// `CannotOperateSelf`, `Forbidden` unless the actor owns the workspace, `NotFound` for non-members.
    pub async fn update_member_role(&self, actor: &Account, member_id: Uuid, role: WorkspaceRole) -> DomainResult<()> {
        let (tenant, theirs) = self.owner_over_member(actor, member_id).await?;
        if theirs.role == role {
            return Ok(());
        }
        self.ports.workspaces.set_workspace_role(tenant.id, actor.id, member_id, role).await
    }

    /// Removes a member from the actor's current workspace.
    ///
    /// # Errors
    /// `CannotOperateSelf`, `Forbidden` unless the actor owns the workspace or when it is a group's shadow
    /// workspace, `NotFound` for non-members.
    pub async fn remove_member(&self, actor: &Account, member_id: Uuid) -> DomainResult<()> {
        let (tenant, _) = self.owner_over_member(actor, member_id).await?;
        if tenant.is_shadow() {
            // every member of a group belongs to its shadow workspace
            return Err(DomainError::Forbidden("Members leave a group's own workspace only by leaving the group."));
        }
        self.ports.workspaces.remove_workspace_member(tenant.id, actor.id, member_id).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{GroupMembership, GroupRole, WorkspaceStatus};
    use crate::usecases::test_support::*;

    fn join(tenant: Uuid, account: Uuid, role: WorkspaceRole) -> WorkspaceMembership {
        WorkspaceMembership { current: true, ..WorkspaceMembership::new(tenant, account, role, NOW) }
    }

    fn with_current(m: &mut Mocks, tenant: Uuid, role: WorkspaceRole) {
        m.workspaces
            .expect_current_workspace_of()
            .returning(move |a| Ok(Some((Workspace::new(tenant, "w".into(), None, NOW), join(tenant, a, role)))));
    }

    #[tokio::test]
    async fn promoting_to_owner_demotes_the_old_owner_in_one_call() {
        let mut m = Mocks::new();
        let (tenant, member) = (Uuid::new_v4(), Uuid::new_v4());
        let owner = Account::new(Uuid::new_v4(), "o".into(), None, NOW);
        let owner_id = owner.id;
        with_current(&mut m, tenant, WorkspaceRole::Owner);
        m.workspaces.expect_workspace_membership().returning(move |t, a| Ok(Some(join(t, a, WorkspaceRole::Admin))));
        m.workspaces
            .expect_set_workspace_role()
            .withf(move |t, o, a, r| *t == tenant && *o == owner_id && *a == member && *r == WorkspaceRole::Owner)
            .times(1)
            .returning(|_, _, _, _| Ok(()));
        m.build().update_member_role(&owner, member, WorkspaceRole::Owner).await.unwrap();
    }

    #[tokio::test]
    async fn only_the_owner_manages_and_never_itself() {
        let mut m = Mocks::new();
        let tenant = Uuid::new_v4();
        with_current(&mut m, tenant, WorkspaceRole::Admin);
        m.workspaces.expect_set_workspace_role().never();
        m.workspaces.expect_remove_workspace_member().never();
        let admin = Account::new(Uuid::new_v4(), "a".into(), None, NOW);
        let uc = m.build();
        assert!(matches!(uc.remove_member(&admin, Uuid::new_v4()).await, Err(DomainError::Forbidden(_))));
        assert!(matches!(uc.remove_member(&admin, admin.id).await, Err(DomainError::CannotOperateSelf)));
        assert!(matches!(
            uc.update_member_role(&admin, Uuid::new_v4(), WorkspaceRole::Normal).await,
            Err(DomainError::Forbidden(_))
        ));
    }

    /// A workspace of a group, its one admin member, and a manager and a plain member of the group.
    fn group_setup(m: &mut Mocks, status: WorkspaceStatus) -> (Uuid, Uuid, Uuid, Uuid) {
        let (group, tenant) = (Uuid::new_v4(), Uuid::new_v4());
        let (admin, manager, member) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
        m.workspaces.expect_get_workspace().returning(move |id| {
            Ok((id == tenant).then(|| Workspace { status, ..Workspace::new(tenant, "w".into(), Some(group), NOW) }))
        });
        m.workspaces.expect_workspace_membership().returning(move |t, a| {
            Ok((t == tenant && a == admin).then(|| WorkspaceMembership::new(t, a, WorkspaceRole::Admin, NOW)))
        });
        m.groups.expect_group_memberships().returning(move |a| {
            let role = if a == manager { GroupRole::Admin } else { GroupRole::Normal };
            Ok(vec![GroupMembership { group_id: group, account_id: a, role, created_at: NOW }])
        });
        (tenant, admin, manager, member)
    }

    #[tokio::test]
    async fn workspace_admins_and_group_managers_manage_a_workspace_others_do_not() {
        let mut m = Mocks::new();
        let (tenant, admin, manager, member) = group_setup(&mut m, WorkspaceStatus::Normal);
        let uc = m.build();
        let account = |id| Account::new(id, "a".into(), None, NOW);
        assert!(uc.may_manage_workspace(&account(admin), tenant).await.unwrap());
        assert!(uc.may_manage_workspace(&account(manager), tenant).await.unwrap());
        assert!(!uc.may_manage_workspace(&account(member), tenant).await.unwrap());
        assert!(!uc.may_manage_workspace(&account(admin), Uuid::new_v4()).await.unwrap(), "unknown workspace");
    }

    #[tokio::test]
    async fn nobody_manages_an_archived_workspace() {
        let mut m = Mocks::new();
        let (tenant, admin, manager, _) = group_setup(&mut m, WorkspaceStatus::Archive);
        let uc = m.build();
        for id in [admin, manager] {
            assert!(!uc.may_manage_workspace(&Account::new(id, "a".into(), None, NOW), tenant).await.unwrap());
        }
    }
}
