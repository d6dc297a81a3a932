//! The workspaces of the caller's current group, managed as a whole by a provisioning client (the SCIM
//! dialect's Groups): list, read with members, create with members, rename and change members in one write,
//! archive. The caller must manage the group ([`policy::may_manage_group`]); an access key's account must also
//! be a platform reader to read and a platform admin to write ([`policy::may_provision`]), as for every machine
//! dialect.

use std::collections::HashSet;

use time::OffsetDateTime;
use uuid::Uuid;

use crate::error::{DomainError, DomainResult};
use crate::model::{
    Account, GroupMembership, Page, PageRequest, Workspace, WorkspaceMembership, WorkspaceRole, WorkspaceStatus,
};
use crate::policy::{self, Subject};
use crate::ports::{WorkspaceScope, WorkspaceWrite};
use crate::values::required_text;

use super::access_keys::Actor;
use super::accounts::{check_key_caller, new_member_joins};
use super::groups::NAME_MAX;
use super::{UseCases, MAX_BATCH, WRITE_ATTEMPTS};

/// A change to a workspace: a new name, members added and removed, optionally only at a known version.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WorkspaceChange {
    /// The new name.
    pub name: Option<String>,
    /// Accounts that become members (normal role); accounts outside the group join it too.
    pub add_members: Vec<Uuid>,
    /// Accounts whose membership ends (never the owner's).
    pub remove_members: Vec<Uuid>,
    /// Apply the change only if the workspace's last change (`updated_at`) is this one, else `VersionMismatch`.
    pub if_updated_at: Option<OffsetDateTime>,
}

impl WorkspaceChange {
    /// Whether the change changes nothing.
    pub fn changes_nothing(&self) -> bool {
        self.name.is_none() && self.add_members.is_empty() && self.remove_members.is_empty()
    }
}

const WORKSPACE: &str = "workspace";

impl UseCases {
    /// The caller's current group, which it must manage.
    async fn managed_current_group(&self, actor: &Actor<'_>, write: bool) -> DomainResult<Uuid> {
        check_key_caller(actor, write)?;
        let group_id = self
            .current_group_id(actor.account.id)
            .await?
            .ok_or(DomainError::NotFound { entity: "enterprise group" })?;
        let groups = self.memberships(actor.account.id).await?;
        if policy::may_manage_group(Subject { account: actor.account, groups: &groups }, group_id) {
            Ok(group_id)
        } else {
            Err(DomainError::Forbidden("Only the group's administrators manage its workspaces."))
        }
    }

    /// The normal workspace `id` of the group (never its shadow workspace).
    async fn workspace_in(&self, group_id: Uuid, id: Uuid) -> DomainResult<Workspace> {
        self.ports
            .workspaces
            .get_workspace(id)
            .await?
            .filter(|w| w.group_id == Some(group_id) && !w.is_shadow() && w.status == WorkspaceStatus::Normal)
            .ok_or(DomainError::NotFound { entity: WORKSPACE })
    }

    /// The normal workspaces of the caller's current group, newest first, each with its live members when
    /// `with_members` (else with none).
    ///
    /// # Errors
    /// `NotFound` without a current group; `Forbidden` unless the caller manages it (and, for an access key,
    /// reads the directory).
    pub async fn current_group_workspaces(
        &self,
        actor: Actor<'_>,
        page: PageRequest,
        with_members: bool,
    ) -> DomainResult<Page<(Workspace, Vec<(Account, WorkspaceMembership)>)>> {
        let group_id = self.managed_current_group(&actor, false).await?;
        let found = self
            .ports
            .workspaces
            .group_workspaces(group_id, WorkspaceScope::All, Some(WorkspaceStatus::Normal), page)
            .await?;
        let members = if with_members {
            let ids: Vec<Uuid> = found.items.iter().map(|w| w.id).collect();
            self.ports.workspaces.members_of_workspaces(&ids).await?
        } else {
            vec![Vec::new(); found.items.len()]
        };
        let items = found.items.into_iter().zip(members).collect();
        Ok(Page { items, total: found.total, request: found.request })
    }

    /// A workspace of the caller's current group with its live members.
    ///
    /// # Errors
    /// As [`UseCases::current_group_workspaces`]; `NotFound` for a workspace outside the group or archived.
    pub async fn current_group_workspace(
        &self,
        actor: Actor<'_>,
        id: Uuid,
    ) -> DomainResult<(Workspace, Vec<(Account, WorkspaceMembership)>)> {
        let group_id = self.managed_current_group(&actor, false).await?;
        let workspace = self.workspace_in(group_id, id).await?;
        let members = self.ports.workspaces.workspace_members_of(id).await?;
        Ok((workspace, members))
    }

    /// Creates a workspace in the caller's current group with these members, in one transaction; the caller
    /// becomes its owner.
    ///
    /// # Errors
    /// As [`UseCases::current_group_workspaces`] (writing); `Invalid` for the name or too many members;
    /// `UnknownAccounts` for members that do not exist; `Conflict { field: "name" }`.
    pub async fn create_current_group_workspace(
        &self,
        actor: Actor<'_>,
        name: &str,
        members: Vec<Uuid>,
    ) -> DomainResult<(Workspace, Vec<(Account, WorkspaceMembership)>)> {
        let group_id = self.managed_current_group(&actor, true).await?;
        let name = required_text("name", name, NAME_MAX)?;
        let now = self.ports.clock.now();
        let workspace = Workspace::new(self.ports.ids.new_id(), name, Some(group_id), now);
        let owner = WorkspaceMembership::new(workspace.id, actor.account.id, WorkspaceRole::Owner, now);
        let members: Vec<Uuid> = members.into_iter().filter(|m| *m != actor.account.id).collect();
        let (join_group, mut add) = self.member_joins(group_id, workspace.id, &members, actor.account.id, now).await?;
        add.insert(0, owner);
        let write = WorkspaceWrite { workspace, expected_updated_at: None, join_group, add, remove: Vec::new() };
        self.ports.workspaces.save_workspace(&write).await?;
        let members = self.ports.workspaces.workspace_members_of(write.workspace.id).await?;
        Ok((write.workspace, members))
    }

    /// Renames a workspace of the caller's current group and changes its members, in one transaction. A lost
    /// race is planned again from fresh data (unless the change names a version).
    ///
    /// # Errors
    /// As [`UseCases::create_current_group_workspace`]; `NotFound` for a workspace outside the group;
    /// `Forbidden` for removing its owner; `VersionMismatch`; `Stale` when it keeps changing underneath.
    pub async fn change_current_group_workspace(
        &self,
        actor: Actor<'_>,
        id: Uuid,
        change: WorkspaceChange,
    ) -> DomainResult<(Workspace, Vec<(Account, WorkspaceMembership)>)> {
        let group_id = self.managed_current_group(&actor, true).await?;
        if change.add_members.len() + change.remove_members.len() > MAX_BATCH {
            return Err(DomainError::invalid("members", format!("At most {MAX_BATCH} members change at once.")));
        }
        let name = change.name.as_deref().map(|n| required_text("name", n, NAME_MAX)).transpose()?;
        for _ in 0..WRITE_ATTEMPTS {
            let mut workspace = self.workspace_in(group_id, id).await?;
            if change.if_updated_at.is_some_and(|version| version != workspace.updated_at) {
                return Err(DomainError::VersionMismatch);
            }
            let members = self.ports.workspaces.workspace_members_of(id).await?;
            if change.changes_nothing() {
                return Ok((workspace, members));
            }
            let now = self.ports.clock.now();
            let expected = workspace.updated_at;
            let current: HashSet<Uuid> = members.iter().map(|(a, _)| a.id).collect();
            let removed: HashSet<Uuid> = change.remove_members.iter().copied().collect();
            if members.iter().any(|(a, m)| m.role == WorkspaceRole::Owner && removed.contains(&a.id)) {
                return Err(DomainError::Forbidden("A workspace's owner leaves it only by handing it over."));
            }
            let added: Vec<Uuid> =
                change.add_members.iter().copied().filter(|a| !current.contains(a) && !removed.contains(a)).collect();
            let (join_group, add) = self.member_joins(group_id, id, &added, actor.account.id, now).await?;
            if let Some(name) = &name {
                workspace.name.clone_from(name);
            }
            workspace.updated_at = now.max(expected + time::Duration::microseconds(1));
            let remove = change.remove_members.iter().copied().filter(|a| current.contains(a)).collect();
            let write = WorkspaceWrite { workspace, expected_updated_at: Some(expected), join_group, add, remove };
            match self.ports.workspaces.save_workspace(&write).await {
                Err(DomainError::Stale) => continue,
                Err(other) => return Err(other),
                Ok(()) => {
                    let members = self.ports.workspaces.workspace_members_of(id).await?;
                    return Ok((write.workspace, members));
                }
            }
        }
        Err(DomainError::Stale)
    }

    /// Archives a workspace of the caller's current group: it leaves every list, its members keep their rows.
    ///
    /// # Errors
    /// As [`UseCases::change_current_group_workspace`].
    pub async fn archive_current_group_workspace(
        &self,
        actor: Actor<'_>,
        id: Uuid,
        if_updated_at: Option<OffsetDateTime>,
    ) -> DomainResult<()> {
        let group_id = self.managed_current_group(&actor, true).await?;
        let mut workspace = self.workspace_in(group_id, id).await?;
        if if_updated_at.is_some_and(|version| version != workspace.updated_at) {
            return Err(DomainError::VersionMismatch);
        }
        let expected = workspace.updated_at;
        workspace.status = WorkspaceStatus::Archive;
        workspace.updated_at = self.ports.clock.now().max(expected + time::Duration::microseconds(1));
        let write = WorkspaceWrite {
            workspace,
            expected_updated_at: Some(expected),
            join_group: Vec::new(),
            add: Vec::new(),
            remove: Vec::new(),
        };
        self.ports.workspaces.save_workspace(&write).await
    }

    /// The memberships that make `accounts` normal members of workspace `workspace_id` of group `group_id`:
    /// accounts outside the group join it too (as normal members, with its shadow workspace), without changing
    /// their current workspace.
    async fn member_joins(
        &self,
        group_id: Uuid,
        workspace_id: Uuid,
        accounts: &[Uuid],
        by: Uuid,
        now: OffsetDateTime,
    ) -> DomainResult<(Vec<GroupMembership>, Vec<WorkspaceMembership>)> {
        if accounts.len() > MAX_BATCH {
            return Err(DomainError::invalid("members", format!("At most {MAX_BATCH} members change at once.")));
        }
        let (mut join_group, mut add, mut unknown) = (Vec::new(), Vec::new(), Vec::new());
        let mut seen = HashSet::new();
        for id in accounts.iter().copied().filter(|id| seen.insert(*id)) {
            if !self.ports.accounts.get(id).await?.is_some_and(|a| a.is_live()) {
                unknown.push(id);
                continue;
            }
            if !self.memberships(id).await?.iter().any(|m| m.group_id == group_id) {
                let (groups, mut shadow) = new_member_joins(Some(group_id), id, by, now);
                shadow.iter_mut().for_each(|m| m.current = false);
                join_group.extend(groups);
                add.extend(shadow);
            }
            add.push(WorkspaceMembership {
                invited_by: Some(by),
                ..WorkspaceMembership::new(workspace_id, id, WorkspaceRole::Normal, now)
            });
        }
        if unknown.is_empty() {
            Ok((join_group, add))
        } else {
            Err(DomainError::UnknownAccounts(unknown))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{GroupRole, SystemRole};
    use crate::usecases::test_support::*;

    fn manager_setup(m: &mut Mocks, group: Uuid, role: GroupRole) {
        m.workspaces.expect_current_workspace_of().returning(move |a| {
            let shadow = Workspace::new(group, "g".into(), Some(group), NOW);
            Ok(Some((shadow, WorkspaceMembership::new(group, a, WorkspaceRole::Normal, NOW))))
        });
        m.groups
            .expect_group_memberships()
            .returning(move |a| Ok(vec![GroupMembership { group_id: group, account_id: a, role, created_at: NOW }]));
    }

    #[tokio::test]
    async fn a_new_workspace_comes_with_its_owner_and_members_in_one_write() {
        let mut m = Mocks::new();
        let group = Uuid::new_v4();
        manager_setup(&mut m, group, GroupRole::Admin);
        let (member, stranger) = (Account::new(Uuid::new_v4(), "m".into(), None, NOW), Uuid::new_v4());
        let member_id = member.id;
        m.accounts.expect_get().returning(move |id| Ok((id == member_id).then(|| member.clone())));
        let admin = Account::new(Uuid::new_v4(), "a".into(), None, NOW);
        let admin_id = admin.id;
        m.workspaces
            .expect_save_workspace()
            .withf(move |w| {
                w.expected_updated_at.is_none()
                    && w.workspace.group_id == Some(group)
                    && w.add.len() == 2
                    && w.add[0].role == WorkspaceRole::Owner
                    && w.add[0].account_id == admin_id
                    && w.add[1].account_id == member_id
                    && w.join_group.is_empty()
            })
            .times(1)
            .returning(|_| Ok(()));
        m.workspaces.expect_workspace_members_of().returning(|_| Ok(Vec::new()));
        let uc = m.build();
        let actor = || Actor { account: &admin, access_key_id: None, request_id: None };
        let (created, _) = uc.create_current_group_workspace(actor(), " Lab ", vec![member_id]).await.unwrap();
        assert_eq!(created.name, "Lab");
        let refused = uc.create_current_group_workspace(actor(), "Lab", vec![stranger]).await;
        assert!(matches!(refused, Err(DomainError::UnknownAccounts(ref ids)) if ids == &[stranger]), "{refused:?}");
    }

    #[tokio::test]
    async fn plain_members_and_keys_of_group_admins_are_refused() {
        let mut m = Mocks::new();
        let group = Uuid::new_v4();
        manager_setup(&mut m, group, GroupRole::Normal);
        m.workspaces.expect_save_workspace().never();
        let member = Account::new(Uuid::new_v4(), "n".into(), None, NOW);
        let uc = m.build();
        let session = Actor { account: &member, access_key_id: None, request_id: None };
        assert!(matches!(
            uc.create_current_group_workspace(session, "x", vec![]).await,
            Err(DomainError::Forbidden(_))
        ));
        // a key acts on the directory only for a platform admin, whatever its account's role in the group
        let key = Actor { account: &member, access_key_id: Some(Uuid::new_v4()), request_id: None };
        let refused = uc.change_current_group_workspace(key, group, WorkspaceChange::default()).await;
        assert!(matches!(refused, Err(DomainError::Forbidden(_))), "{refused:?}");
        let mut admin = Account::new(Uuid::new_v4(), "s".into(), None, NOW);
        admin.system_role = Some(SystemRole::SystemAdmin);
        let key = Actor { account: &admin, access_key_id: Some(Uuid::new_v4()), request_id: None };
        assert!(uc.managed_current_group(&key, true).await.is_ok());
    }
}
