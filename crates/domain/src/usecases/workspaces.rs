//! Workspaces as the console sees them: the caller's list, switching, the current workspace and its members,
//! role changes (with owner transfer) and removal. Member management follows Dify: only the owner changes roles
//! or removes members, and nobody operates on their own membership.

use uuid::Uuid;

use crate::error::{DomainError, DomainResult};
use crate::model::{Account, Workspace, WorkspaceMembership, WorkspaceRole};

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
}
