//! Who may read or change which account: the permission matrix of `docs/SECURITY.md` as pure functions.
//!
//! Inputs are the actor, the target and their group memberships; outputs are [`Decision`]s. A target the actor
//! may not even read is [`Decision::Hidden`], so that lookups answer "not found" and reveal nothing.

use crate::model::{
    Account, GroupMembership, GroupRole, SystemRole, Workspace, WorkspaceMembership, WorkspaceRole, WorkspaceStatus,
};

/// What an actor wants to do to an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountAction {
    /// Read its profile.
    Read,
    /// Change name, avatar and contact details.
    UpdateProfile,
    /// Change its status (ban, unban).
    UpdateStatus,
    /// Change its role in the actor's current group.
    SetGroupRole,
    /// Change its platform role.
    SetSystemRole,
    /// Issue, list, disable or delete its access keys. A key acts as the account, so besides the account itself
    /// only platform admins may (never on the super admin, unless they are it).
    ManageAccessKeys,
    /// Set its password or clear its login lockout (admin help for users without mail). Group managers may do
    /// it only to accounts whose every group they manage and outrank them in.
    ResetCredentials,
    /// Delete it (softly: its identifiers become free, its sessions and keys stop). Platform admins only, never
    /// the super admin nor their own account.
    Delete,
    /// Change how it may sign in and what a directory says of it: access switches (console, open API, MFA),
    /// demanded password changes, session limits, attribute bags, partner classification, source. Platform
    /// admins only (never on the super admin, unless they are it).
    UpdateSettings,
}

/// The outcome of a permission check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Go ahead.
    Allow,
    /// The actor may see the target but not do this.
    Deny(&'static str),
    /// The actor may not see the target at all: answer as if it did not exist.
    Hidden,
}

/// An account together with its group memberships.
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    /// The account.
    pub account: &'a Account,
    /// Its groups.
    pub groups: &'a [GroupMembership],
}

fn rank(role: GroupRole) -> u8 {
    match role {
        GroupRole::SuperAdmin => 3,
        GroupRole::Admin => 2,
        GroupRole::Normal => 1,
    }
}

fn platform_role(account: &Account) -> SystemRole {
    account.system_role.unwrap_or(SystemRole::Normal)
}

/// The best role the actor holds in a group that the target also belongs to, with the target's role there.
fn shared_groups<'a>(actor: Subject<'a>, target: Subject<'a>) -> impl Iterator<Item = (GroupRole, GroupRole)> + 'a {
    actor
        .groups
        .iter()
        .filter_map(move |a| target.groups.iter().find(|t| t.group_id == a.group_id).map(|t| (a.role, t.role)))
}

/// True when the actor manages a group of the target (group super admin or admin there).
fn manages_a_group_of(actor: Subject<'_>, target: Subject<'_>) -> bool {
    shared_groups(actor, target).any(|(a, _)| a.manages())
}

/// True when the actor manages a shared group and outranks the target there, and the target leads no group
/// (as super admin or admin) where the actor does not outrank it: account status and profile are global, so a
/// manager of one group must not reach the leader of another.
fn outranks_in_a_group(actor: Subject<'_>, target: Subject<'_>) -> bool {
    let outranks_somewhere = shared_groups(actor, target).any(|(a, t)| a.manages() && rank(a) > rank(t));
    let leads_elsewhere = target
        .groups
        .iter()
        .filter(|t| t.role.manages())
        .any(|t| !actor.groups.iter().any(|a| a.group_id == t.group_id && rank(a.role) > rank(t.role)));
    outranks_somewhere && !leads_elsewhere
}

/// True when the actor manages and outranks the target in every group the target belongs to: a password is the
/// whole account, so a manager of one group must not take over a member of another.
fn outranks_in_every_group(actor: Subject<'_>, target: Subject<'_>) -> bool {
    !target.groups.is_empty()
        && target.groups.iter().all(|t| {
            actor.groups.iter().any(|a| a.group_id == t.group_id && a.role.manages() && rank(a.role) > rank(t.role))
        })
}

/// Decides whether `actor` may do `action` to `target`. `SetGroupRole` is decided by
/// [`decide_group_role`], which knows the group.
pub fn decide(actor: Subject<'_>, target: Subject<'_>, action: AccountAction) -> Decision {
    let is_self = actor.account.id == target.account.id;
    let actor_role = platform_role(actor.account);
    let target_role = platform_role(target.account);
    let can_read = is_self || actor_role.can_read_all() || manages_a_group_of(actor, target);
    if !can_read {
        return Decision::Hidden;
    }
    // Platform admins other than the super admin are out of reach of group managers.
    let target_is_privileged = target_role != SystemRole::Normal;
    let admin_over_target =
        actor_role.can_administer() && (target_role != SystemRole::SuperAdmin || actor_role == SystemRole::SuperAdmin);
    let group_manager_over_target = !target_is_privileged && outranks_in_a_group(actor, target);
    match action {
        AccountAction::Read => Decision::Allow,
        AccountAction::UpdateProfile => {
            if is_self || admin_over_target || group_manager_over_target {
                Decision::Allow
            } else {
                Decision::Deny("You are not allowed to change this account.")
            }
        }
        AccountAction::UpdateStatus => {
            if is_self {
                Decision::Deny("You cannot change the status of your own account.")
            } else if target_role == SystemRole::SuperAdmin {
                Decision::Deny("The super admin account cannot be disabled.")
            } else if admin_over_target || group_manager_over_target {
                Decision::Allow
            } else {
                Decision::Deny("You are not allowed to change this account.")
            }
        }
        AccountAction::SetSystemRole => {
            if is_self {
                Decision::Deny("You cannot change your own role.")
            } else if target_role == SystemRole::SuperAdmin {
                Decision::Deny("The super admin role cannot be changed.")
            } else if actor_role.can_administer() {
                Decision::Allow
            } else {
                Decision::Deny("Only system administrators can perform this operation.")
            }
        }
        AccountAction::ManageAccessKeys => {
            if is_self || admin_over_target {
                Decision::Allow
            } else {
                Decision::Deny("Only system administrators can manage another account's access keys.")
            }
        }
        AccountAction::ResetCredentials => {
            if is_self {
                Decision::Deny("Change your own password with your current password.")
            } else if admin_over_target || (!target_is_privileged && outranks_in_every_group(actor, target)) {
                Decision::Allow
            } else {
                Decision::Deny("You are not allowed to change this account.")
            }
        }
        AccountAction::Delete => {
            if is_self {
                Decision::Deny("You cannot delete your own account.")
            } else if target_role == SystemRole::SuperAdmin {
                Decision::Deny("The super admin account cannot be deleted.")
            } else if admin_over_target {
                Decision::Allow
            } else {
                Decision::Deny("Only system administrators can delete accounts.")
            }
        }
        AccountAction::UpdateSettings => {
            if admin_over_target {
                Decision::Allow
            } else {
                Decision::Deny("Only system administrators can change this account's settings.")
            }
        }
        AccountAction::SetGroupRole => Decision::Deny("Group roles are decided per group."),
    }
}

/// Decides whether `actor` may set `target`'s role in the group `group_id` (the actor's current group).
/// Only the group's super admin or a platform admin may; nobody changes their own role or the role of the
/// group's super admin, and the target must be a member.
pub fn decide_group_role(actor: Subject<'_>, target: Subject<'_>, group_id: uuid::Uuid) -> Decision {
    match decide(actor, target, AccountAction::Read) {
        Decision::Allow => {}
        other => return other,
    }
    let Some(target_membership) = target.groups.iter().find(|m| m.group_id == group_id) else {
        return Decision::Deny("The account is not a member of this group.");
    };
    if actor.account.id == target.account.id {
        return Decision::Deny("You cannot change your own role.");
    }
    if target_membership.role == GroupRole::SuperAdmin {
        return Decision::Deny("The group owner's role cannot be changed.");
    }
    let actor_is_group_owner = actor.groups.iter().any(|m| m.group_id == group_id && m.role == GroupRole::SuperAdmin);
    if actor_is_group_owner || platform_role(actor.account).can_administer() {
        Decision::Allow
    } else {
        Decision::Deny("Only group owners or system administrators can perform this operation.")
    }
}

/// The actor's role in a group, if a member.
pub fn group_role_in(actor: Subject<'_>, group_id: uuid::Uuid) -> Option<GroupRole> {
    actor.groups.iter().find(|m| m.group_id == group_id).map(|m| m.role)
}

/// Whether the actor may see a group at all: its members and platform readers. Others are answered as if the
/// group did not exist.
pub fn may_see_group(actor: Subject<'_>, group_id: uuid::Uuid) -> bool {
    platform_role(actor.account).can_read_all() || group_role_in(actor, group_id).is_some()
}

/// Whether the actor manages a group (sees all its workspaces, creates workspaces): the group's super admin and
/// admins, and platform admins.
pub fn may_manage_group(actor: Subject<'_>, group_id: uuid::Uuid) -> bool {
    platform_role(actor.account).can_administer() || group_role_in(actor, group_id).is_some_and(GroupRole::manages)
}

/// Whether the actor manages a workspace (its members and settings): an owner or admin of it, or a manager of
/// its group ([`may_manage_group`], which includes platform admins). `membership` is the actor's membership of
/// the workspace, if any; a workspace that is not in status normal is managed by nobody.
///
/// ```
/// use domain::model::{Account, Workspace, WorkspaceMembership, WorkspaceRole};
/// use domain::policy::{may_manage_workspace, Subject};
/// use time::OffsetDateTime;
/// use uuid::Uuid;
///
/// let now = OffsetDateTime::now_utc();
/// let alice = Account::new(Uuid::new_v4(), "Alice".into(), Some("alice@example.com".into()), now);
/// let workspace = Workspace::new(Uuid::new_v4(), "Research".into(), None, now);
/// let alice_there = Subject { account: &alice, groups: &[] };
///
/// let admin = WorkspaceMembership::new(workspace.id, alice.id, WorkspaceRole::Admin, now);
/// assert!(may_manage_workspace(alice_there, &workspace, Some(&admin)));
/// let editor = WorkspaceMembership::new(workspace.id, alice.id, WorkspaceRole::Editor, now);
/// assert!(!may_manage_workspace(alice_there, &workspace, Some(&editor)));
/// assert!(!may_manage_workspace(alice_there, &workspace, None));
/// ```
pub fn may_manage_workspace(
    actor: Subject<'_>,
    workspace: &Workspace,
    membership: Option<&WorkspaceMembership>,
) -> bool {
    let member_manages = membership.is_some_and(|m| {
        m.account_id == actor.account.id
            && m.tenant_id == workspace.id
            && matches!(m.role, WorkspaceRole::Owner | WorkspaceRole::Admin)
    });
    workspace.status == WorkspaceStatus::Normal
        && (member_manages || workspace.group_id.is_some_and(|g| may_manage_group(actor, g)))
}

/// Whether the actor may rename or archive a group: its super admin and platform admins.
pub fn may_own_group(actor: Subject<'_>, group_id: uuid::Uuid) -> bool {
    platform_role(actor.account).can_administer() || group_role_in(actor, group_id) == Some(GroupRole::SuperAdmin)
}

/// Whether the actor may create groups: platform admins.
pub fn may_create_groups(actor: Subject<'_>) -> bool {
    platform_role(actor.account).can_administer()
}

/// Whether the actor may list the members of a group: its managers and platform readers.
pub fn may_list_group(actor: Subject<'_>, group_id: uuid::Uuid) -> bool {
    platform_role(actor.account).can_read_all()
        || actor.groups.iter().any(|m| m.group_id == group_id && m.role.manages())
}

/// Whether the actor may create accounts: platform admins, and managers of the group the new account joins.
pub fn may_create_accounts(actor: Subject<'_>, group_id: Option<uuid::Uuid>) -> bool {
    platform_role(actor.account).can_administer()
        || group_id.is_some_and(|g| actor.groups.iter().any(|m| m.group_id == g && m.role.manages()))
}

/// Whether the actor may give new accounts a platform role (system admin, auditor): platform admins.
pub fn may_assign_system_roles(actor: Subject<'_>) -> bool {
    platform_role(actor.account).can_administer()
}

/// Whether the actor may reset another account's second factor: platform admins.
pub fn may_reset_second_factors(actor: &Account) -> bool {
    platform_role(actor).can_administer()
}

/// Whether the actor may search and list the whole directory of accounts: platform readers (super admin,
/// system admin, auditor).
pub fn may_read_directory(actor: &Account) -> bool {
    platform_role(actor).can_read_all()
}

/// Whether the actor may read the audit log: platform readers (super admin, system admin, auditor).
pub fn may_read_audit_log(actor: &Account) -> bool {
    platform_role(actor).can_read_all()
}

/// Whether an access key's account may use the machine dialects (openapi/v1, account-modify, iam), which act on
/// the whole directory: reading needs a platform role that reads everything (super admin, system admin,
/// auditor), writing one that administers (super admin, system admin). Group managers manage their groups through
/// the console only.
pub fn may_provision(actor: &Account, write: bool) -> bool {
    let role = platform_role(actor);
    if write {
        role.can_administer()
    } else {
        role.can_read_all()
    }
}

#[cfg(test)]
mod tests {
    use time::OffsetDateTime;
    use uuid::Uuid;

    use super::*;

    fn account(role: Option<SystemRole>) -> Account {
        let mut a = Account::new(Uuid::new_v4(), "a".into(), None, OffsetDateTime::UNIX_EPOCH);
        a.system_role = role;
        a
    }

    fn member(group: Uuid, who: &Account, role: GroupRole) -> GroupMembership {
        GroupMembership { group_id: group, account_id: who.id, role, created_at: OffsetDateTime::UNIX_EPOCH }
    }

    struct World {
        g1: Uuid,
        g2: Uuid,
        owner: Account,
        sysadmin: Account,
        auditor: Account,
        g1_admin: Account,
        g2_admin: Account,
        alice: Account,
        bob: Account,
    }

    impl World {
        fn new() -> Self {
            Self {
                g1: Uuid::new_v4(),
                g2: Uuid::new_v4(),
                owner: account(Some(SystemRole::SuperAdmin)),
                sysadmin: account(Some(SystemRole::SystemAdmin)),
                auditor: account(Some(SystemRole::Auditor)),
                g1_admin: account(None),
                g2_admin: account(None),
                alice: account(None),
                bob: account(Some(SystemRole::Normal)),
            }
        }

        fn groups(&self, a: &Account) -> Vec<GroupMembership> {
            let mut v = Vec::new();
            if a.id == self.owner.id {
                v.push(member(self.g1, a, GroupRole::SuperAdmin));
            }
            if a.id == self.g1_admin.id {
                v.push(member(self.g1, a, GroupRole::Admin));
            }
            if a.id == self.g2_admin.id {
                v.push(member(self.g2, a, GroupRole::Admin));
            }
            if a.id == self.alice.id || a.id == self.bob.id || a.id == self.sysadmin.id {
                v.push(member(self.g1, a, GroupRole::Normal));
            }
            v
        }

        fn check(&self, actor: &Account, target: &Account, action: AccountAction) -> Decision {
            let ag = self.groups(actor);
            let tg = self.groups(target);
            decide(Subject { account: actor, groups: &ag }, Subject { account: target, groups: &tg }, action)
        }

        fn check_group_role(&self, actor: &Account, target: &Account) -> Decision {
            let ag = self.groups(actor);
            let tg = self.groups(target);
            decide_group_role(
                Subject { account: actor, groups: &ag },
                Subject { account: target, groups: &tg },
                self.g1,
            )
        }
    }

    use AccountAction::*;

    fn allowed(d: Decision) -> bool {
        d == Decision::Allow
    }

    #[test]
    fn read_matrix() {
        let w = World::new();
        for actor in [&w.owner, &w.sysadmin, &w.auditor, &w.g1_admin] {
            assert!(allowed(w.check(actor, &w.alice, Read)), "{actor:?}");
        }
        assert_eq!(w.check(&w.g2_admin, &w.alice, Read), Decision::Hidden);
        assert_eq!(w.check(&w.bob, &w.alice, Read), Decision::Hidden);
        assert!(allowed(w.check(&w.alice, &w.alice, Read)));
    }

    #[test]
    fn update_profile_matrix() {
        let w = World::new();
        assert!(allowed(w.check(&w.owner, &w.alice, UpdateProfile)));
        assert!(allowed(w.check(&w.sysadmin, &w.alice, UpdateProfile)));
        assert!(allowed(w.check(&w.g1_admin, &w.alice, UpdateProfile)));
        assert!(allowed(w.check(&w.alice, &w.alice, UpdateProfile)));
        assert!(matches!(w.check(&w.auditor, &w.alice, UpdateProfile), Decision::Deny(_)));
        assert_eq!(w.check(&w.g2_admin, &w.alice, UpdateProfile), Decision::Hidden);
        assert_eq!(w.check(&w.bob, &w.alice, UpdateProfile), Decision::Hidden);
        // group admins cannot touch platform admins, platform admins cannot touch the super admin
        assert!(matches!(w.check(&w.g1_admin, &w.sysadmin, UpdateProfile), Decision::Deny(_)));
        assert!(matches!(w.check(&w.sysadmin, &w.owner, UpdateProfile), Decision::Deny(_)));
        // a group admin cannot edit the group's super admin (outranked)
        assert!(matches!(w.check(&w.g1_admin, &w.owner, UpdateProfile), Decision::Deny(_)));
    }

    #[test]
    fn update_status_matrix() {
        let w = World::new();
        assert!(allowed(w.check(&w.owner, &w.alice, UpdateStatus)));
        assert!(allowed(w.check(&w.sysadmin, &w.alice, UpdateStatus)));
        assert!(allowed(w.check(&w.g1_admin, &w.alice, UpdateStatus)));
        assert!(matches!(w.check(&w.alice, &w.alice, UpdateStatus), Decision::Deny(_)));
        assert!(matches!(w.check(&w.auditor, &w.alice, UpdateStatus), Decision::Deny(_)));
        assert!(matches!(w.check(&w.sysadmin, &w.owner, UpdateStatus), Decision::Deny(_)));
        assert_eq!(w.check(&w.g2_admin, &w.alice, UpdateStatus), Decision::Hidden);
    }

    #[test]
    fn system_role_matrix() {
        let w = World::new();
        assert!(allowed(w.check(&w.owner, &w.alice, SetSystemRole)));
        assert!(allowed(w.check(&w.sysadmin, &w.alice, SetSystemRole)));
        assert!(matches!(w.check(&w.auditor, &w.alice, SetSystemRole), Decision::Deny(_)));
        assert!(matches!(w.check(&w.g1_admin, &w.alice, SetSystemRole), Decision::Deny(_)));
        assert!(matches!(w.check(&w.sysadmin, &w.owner, SetSystemRole), Decision::Deny(_)));
        assert!(matches!(w.check(&w.owner, &w.owner, SetSystemRole), Decision::Deny(_)));
        assert_eq!(w.check(&w.bob, &w.alice, SetSystemRole), Decision::Hidden);
    }

    #[test]
    fn settings_matrix() {
        let w = World::new();
        assert!(allowed(w.check(&w.owner, &w.alice, UpdateSettings)));
        assert!(allowed(w.check(&w.sysadmin, &w.alice, UpdateSettings)));
        assert!(allowed(w.check(&w.sysadmin, &w.sysadmin, UpdateSettings)), "a platform admin's own settings");
        assert!(allowed(w.check(&w.owner, &w.owner, UpdateSettings)));
        // group managers, auditors and the account itself do not
        assert!(matches!(w.check(&w.g1_admin, &w.alice, UpdateSettings), Decision::Deny(_)));
        assert!(matches!(w.check(&w.owner, &w.g1_admin, UpdateSettings), Decision::Allow));
        assert!(matches!(w.check(&w.auditor, &w.alice, UpdateSettings), Decision::Deny(_)));
        assert!(matches!(w.check(&w.alice, &w.alice, UpdateSettings), Decision::Deny(_)));
        assert!(matches!(w.check(&w.sysadmin, &w.owner, UpdateSettings), Decision::Deny(_)));
    }

    #[test]
    fn delete_matrix() {
        let w = World::new();
        assert!(allowed(w.check(&w.owner, &w.alice, Delete)));
        assert!(allowed(w.check(&w.sysadmin, &w.alice, Delete)));
        assert!(allowed(w.check(&w.owner, &w.sysadmin, Delete)));
        for (actor, target) in [(&w.sysadmin, &w.owner), (&w.owner, &w.owner), (&w.sysadmin, &w.sysadmin)] {
            assert!(matches!(w.check(actor, target, Delete), Decision::Deny(_)));
        }
        assert!(matches!(w.check(&w.g1_admin, &w.alice, Delete), Decision::Deny(_)));
        assert!(matches!(w.check(&w.auditor, &w.alice, Delete), Decision::Deny(_)));
        assert_eq!(w.check(&w.bob, &w.alice, Delete), Decision::Hidden);
    }

    #[test]
    fn machine_dialects_need_a_platform_role() {
        let w = World::new();
        for (who, read, write) in [
            (&w.owner, true, true),
            (&w.sysadmin, true, true),
            (&w.auditor, true, false),
            (&w.g1_admin, false, false),
            (&w.bob, false, false),
        ] {
            assert_eq!((may_provision(who, false), may_provision(who, true)), (read, write));
        }
    }

    #[test]
    fn a_manager_of_one_group_cannot_reach_the_leader_of_another() {
        let w = World::new();
        // the owner of g1 is also a normal member of g2, where g2_admin manages
        let mut owner_groups = w.groups(&w.owner);
        owner_groups.push(member(w.g2, &w.owner, GroupRole::Normal));
        let mut plain = account(None);
        plain.id = w.owner.id;
        let ag = w.groups(&w.g2_admin);
        let actor = Subject { account: &w.g2_admin, groups: &ag };
        let target = Subject { account: &plain, groups: &owner_groups };
        assert!(matches!(decide(actor, target, UpdateStatus), Decision::Deny(_)));
        assert!(matches!(decide(actor, target, UpdateProfile), Decision::Deny(_)));
    }

    #[test]
    fn group_role_matrix() {
        let w = World::new();
        assert!(allowed(w.check_group_role(&w.owner, &w.alice)));
        assert!(allowed(w.check_group_role(&w.sysadmin, &w.alice)));
        assert!(matches!(w.check_group_role(&w.g1_admin, &w.alice), Decision::Deny(_)));
        assert!(matches!(w.check_group_role(&w.sysadmin, &w.owner), Decision::Deny(_)));
        assert!(matches!(w.check_group_role(&w.owner, &w.owner), Decision::Deny(_)));
        assert_eq!(w.check_group_role(&w.g2_admin, &w.alice), Decision::Hidden);
        assert_eq!(w.check_group_role(&w.bob, &w.alice), Decision::Hidden);
    }

    #[test]
    fn listing_and_creating() {
        let w = World::new();
        let s = |a: &Account| w.groups(a);
        let (o, a1, a2, al, au) = (s(&w.owner), s(&w.g1_admin), s(&w.g2_admin), s(&w.alice), s(&w.auditor));
        assert!(may_list_group(Subject { account: &w.owner, groups: &o }, w.g1));
        assert!(may_list_group(Subject { account: &w.g1_admin, groups: &a1 }, w.g1));
        assert!(may_list_group(Subject { account: &w.auditor, groups: &au }, w.g1));
        assert!(!may_list_group(Subject { account: &w.g2_admin, groups: &a2 }, w.g1));
        assert!(!may_list_group(Subject { account: &w.alice, groups: &al }, w.g1));
        assert!(may_create_accounts(Subject { account: &w.g1_admin, groups: &a1 }, Some(w.g1)));
        assert!(!may_create_accounts(Subject { account: &w.g2_admin, groups: &a2 }, Some(w.g1)));
        assert!(!may_create_accounts(Subject { account: &w.auditor, groups: &au }, Some(w.g1)));
        assert!(!may_create_accounts(Subject { account: &w.alice, groups: &al }, Some(w.g1)));
    }
}
