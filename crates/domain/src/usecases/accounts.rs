//! Account administration for the console: create, look up, list a group's members, update, set roles.
//! Every check goes through [`crate::policy`].

use uuid::Uuid;

use crate::error::{DomainError, DomainResult};
use crate::model::{
    Account, AccountStatus, GroupMembership, GroupRole, Page, PageRequest, SystemRole, TenantMembership, WorkspaceRole,
};
use crate::policy::{self, AccountAction, Decision, Subject};
use crate::ports::AccountChange;
use crate::values::{DisplayName, EmailAddress, Password};

use super::{UseCases, WRITE_ATTEMPTS};

/// Input of [`UseCases::create_account`].
#[derive(Debug, Clone)]
pub struct NewAccount {
    /// Email.
    pub email: EmailAddress,
    /// Display name.
    pub name: DisplayName,
    /// Initial password.
    pub password: Password,
}

/// Changes to an account; `None` leaves a field alone, `Some(None)` clears a nullable one.
#[derive(Debug, Clone, Default)]
pub struct AccountUpdate {
    /// Display name.
    pub name: Option<DisplayName>,
    /// Avatar file id or URL.
    pub avatar: Option<Option<String>>,
    /// Status.
    pub status: Option<AccountStatus>,
    /// Mobile number.
    pub mobile: Option<Option<String>>,
    /// WeChat id.
    pub wechat: Option<Option<String>>,
    /// Address.
    pub address: Option<Option<String>>,
    /// Gender.
    pub gender: Option<Option<String>>,
    /// Platform role (`system_admin`, `auditor` or `normal`).
    pub system_role: Option<SystemRole>,
    /// Role in the actor's current group (`admin` or `normal`).
    pub group_role: Option<GroupRole>,
}

impl AccountUpdate {
    fn touches_profile(&self) -> bool {
        self.name.is_some()
            || self.avatar.is_some()
            || self.mobile.is_some()
            || self.wechat.is_some()
            || self.address.is_some()
            || self.gender.is_some()
    }
}

/// The memberships an account created by `creator` starts with: the creator's current group (role normal) and
/// its shadow workspace (current), or none.
pub(super) fn new_member_joins(
    group_id: Option<Uuid>,
    account_id: Uuid,
    creator: Uuid,
    now: time::OffsetDateTime,
) -> (Vec<GroupMembership>, Vec<TenantMembership>) {
    match group_id {
        Some(group_id) => (
            vec![GroupMembership { group_id, account_id, role: GroupRole::Normal, created_at: now }],
            vec![TenantMembership {
                current: true,
                invited_by: Some(creator),
                ..TenantMembership::new(group_id, account_id, WorkspaceRole::Normal, now)
            }],
        ),
        None => (Vec::new(), Vec::new()),
    }
}

pub(super) fn enforce(decision: Decision) -> DomainResult<()> {
    match decision {
        Decision::Allow => Ok(()),
        Decision::Deny(why) => Err(DomainError::Forbidden(why)),
        Decision::Hidden => Err(DomainError::NotFound { entity: "account" }),
    }
}

impl UseCases {
    /// The group of the account's current workspace, if it belongs to one.
    pub async fn current_group_id(&self, account_id: Uuid) -> DomainResult<Option<Uuid>> {
        Ok(self.ports.directory.current_tenant(account_id).await?.and_then(|(tenant, _)| tenant.group_id))
    }

    pub(super) async fn memberships(&self, account_id: Uuid) -> DomainResult<Vec<GroupMembership>> {
        self.ports.directory.group_memberships(account_id).await
    }

    /// The target if the actor may read it; `None` when it does not exist or is hidden from the actor.
    async fn readable(
        &self,
        actor: &Account,
        actor_groups: &[GroupMembership],
        target: Option<Account>,
    ) -> DomainResult<Option<(Account, Vec<GroupMembership>)>> {
        let Some(target) = target.filter(Account::is_live) else { return Ok(None) };
        let target_groups = self.memberships(target.id).await?;
        let decision = policy::decide(
            Subject { account: actor, groups: actor_groups },
            Subject { account: &target, groups: &target_groups },
            AccountAction::Read,
        );
        Ok((decision == Decision::Allow).then_some((target, target_groups)))
    }

    /// The live account `target` when the actor may do `action` to it.
    ///
    /// # Errors
    /// `NotFound` when it does not exist or is hidden from the actor; `Forbidden` when the actor may see it but
    /// not do `action`.
    pub(super) async fn account_for(
        &self,
        actor: &Account,
        target: Uuid,
        action: AccountAction,
    ) -> DomainResult<Account> {
        let actor_groups = self.memberships(actor.id).await?;
        let found = self.ports.accounts.get(target).await?;
        let (target, target_groups) =
            self.readable(actor, &actor_groups, found).await?.ok_or(DomainError::NotFound { entity: "account" })?;
        enforce(policy::decide(
            Subject { account: actor, groups: &actor_groups },
            Subject { account: &target, groups: &target_groups },
            action,
        ))?;
        Ok(target)
    }

    /// Looks up a live account by email, as far as the actor may see it.
    pub async fn find_account_by_email(&self, actor: &Account, email: &EmailAddress) -> DomainResult<Option<Account>> {
        let actor_groups = self.memberships(actor.id).await?;
        let target = self.ports.accounts.find_live_by_email(&email.key()).await?;
        Ok(self.readable(actor, &actor_groups, target).await?.map(|(a, _)| a))
    }

    /// Looks up a live account by id, as far as the actor may see it.
    pub async fn find_account_by_id(&self, actor: &Account, id: Uuid) -> DomainResult<Option<Account>> {
        if id == actor.id {
            return Ok(Some(actor.clone()));
        }
        let actor_groups = self.memberships(actor.id).await?;
        let target = self.ports.accounts.get(id).await?;
        Ok(self.readable(actor, &actor_groups, target).await?.map(|(a, _)| a))
    }

    /// Members of the actor's current group with their group roles.
    ///
    /// # Errors
    /// `Forbidden` unless the actor manages that group or is a platform reader; `NotFound` without a group.
    pub async fn list_group_accounts(
        &self,
        actor: &Account,
        page: PageRequest,
    ) -> DomainResult<Page<(Account, GroupRole)>> {
        let group_id =
            self.current_group_id(actor.id).await?.ok_or(DomainError::NotFound { entity: "enterprise group" })?;
        let groups = self.memberships(actor.id).await?;
        if !policy::may_list_group(Subject { account: actor, groups: &groups }, group_id) {
            return Err(DomainError::Forbidden("Only group administrators can list the group's accounts."));
        }
        self.ports.accounts.list_group_members(group_id, page).await
    }

    /// Creates an active account with a password. When the actor has a current group the account joins it
    /// (role normal) and its shadow workspace, in the same transaction.
    ///
    /// # Errors
    /// `Forbidden` unless the actor is a platform admin or manages that group; `Conflict { field: "email" }`.
    pub async fn create_account(&self, actor: &Account, cmd: NewAccount) -> DomainResult<Account> {
        let group_id = self.current_group_id(actor.id).await?;
        let groups = self.memberships(actor.id).await?;
        if !policy::may_create_accounts(Subject { account: actor, groups: &groups }, group_id) {
            return Err(DomainError::Forbidden("You are not allowed to create accounts."));
        }
        if self.ports.accounts.find_live_by_email(&cmd.email.key()).await?.is_some() {
            return Err(DomainError::Conflict { field: "email" });
        }
        let hash = self.ports.hasher.hash(&cmd.password).await?;
        let now = self.ports.clock.now();
        let mut account =
            Account::new(self.ports.ids.new_id(), cmd.name.into_inner(), Some(cmd.email.as_str().to_owned()), now);
        account.password_hash = Some(hash);
        account.password_changed_at = Some(now);
        account.password_changed_by = Some(actor.id);
        let (group_joins, tenant_joins) = new_member_joins(group_id, account.id, actor.id, now);
        self.ports.accounts.insert(&account, &group_joins, &tenant_joins).await?;
        Ok(account)
    }

    /// Applies `update` to the account `target_id` (the actor's own when `None`). The target is read fresh,
    /// checked against the permission matrix and saved with an optimistic version check in one transaction
    /// (with the group-role change and, for bans and closures, the revocation of its sessions); a concurrent
    /// change (or a deadlock with one) makes it start over, up to [`WRITE_ATTEMPTS`] times.
    ///
    /// # Errors
    /// `NotFound` for unknown or hidden targets, `Forbidden` per the permission matrix, `Conflict`, and `Stale`
    /// when the account keeps changing underneath.
    pub async fn update_account(
        &self,
        actor: &Account,
        target_id: Option<Uuid>,
        update: AccountUpdate,
    ) -> DomainResult<Account> {
        let target_id = target_id.unwrap_or(actor.id);
        for _ in 0..WRITE_ATTEMPTS {
            match self.try_update_account(actor, target_id, &update).await {
                Err(DomainError::Stale) => continue,
                other => return other,
            }
        }
        Err(DomainError::Stale)
    }

    async fn try_update_account(
        &self,
        actor: &Account,
        target_id: Uuid,
        update: &AccountUpdate,
    ) -> DomainResult<Account> {
        let actor_groups = self.memberships(actor.id).await?;
        let target = self.ports.accounts.get(target_id).await?;
        let (mut target, target_groups) =
            self.readable(actor, &actor_groups, target).await?.ok_or(DomainError::NotFound { entity: "account" })?;
        let actor_subject = Subject { account: actor, groups: &actor_groups };
        let target_subject = Subject { account: &target, groups: &target_groups };
        let platform_admin = actor.system_role.is_some_and(SystemRole::can_administer);
        if update.touches_profile() {
            enforce(policy::decide(actor_subject, target_subject, AccountAction::UpdateProfile))?;
        }
        if let Some(status) = update.status {
            enforce(policy::decide(actor_subject, target_subject, AccountAction::UpdateStatus))?;
            if !platform_admin && status == AccountStatus::Closed {
                return Err(DomainError::Forbidden("Only system administrators can close accounts."));
            }
            if !platform_admin && self.disabled_by_platform_admin(&target, actor.id).await? {
                return Err(DomainError::Forbidden("This account was disabled by a system administrator."));
            }
        }
        if update.system_role.is_some() {
            enforce(policy::decide(actor_subject, target_subject, AccountAction::SetSystemRole))?;
        }
        let group_role = match update.group_role {
            Some(role) => {
                let group_id = self
                    .current_group_id(actor.id)
                    .await?
                    .ok_or(DomainError::NotFound { entity: "enterprise group" })?;
                enforce(policy::decide_group_role(actor_subject, target_subject, group_id))?;
                Some((group_id, role))
            }
            None => None,
        };

        let now = self.ports.clock.now();
        let expected_updated_at = target.updated_at;
        let mut revoke_sessions_at = None;
        if let Some(name) = &update.name {
            target.name = name.as_str().to_owned();
        }
        for (slot, value) in [
            (&mut target.avatar, &update.avatar),
            (&mut target.extension.mobile, &update.mobile),
            (&mut target.extension.wechat, &update.wechat),
            (&mut target.extension.address, &update.address),
            (&mut target.extension.gender, &update.gender),
        ] {
            if let Some(value) = value {
                slot.clone_from(value);
            }
        }
        if let Some(status) = update.status {
            if target.change_status(status, actor.id, now) {
                revoke_sessions_at = Some(now);
            }
        }
        if let Some(role) = update.system_role {
            if Some(role) != target.system_role {
                target.system_role = Some(role);
                target.system_role_assigned_by = Some(actor.id);
            }
        }
        target.updated_at = now.max(expected_updated_at + time::Duration::microseconds(1));
        self.ports
            .accounts
            .update(&AccountChange { account: target.clone(), expected_updated_at, group_role, revoke_sessions_at })
            .await?;
        Ok(target)
    }

    /// True when the target is banned or closed by someone else who is a platform admin.
    async fn disabled_by_platform_admin(&self, target: &Account, actor_id: Uuid) -> DomainResult<bool> {
        if !matches!(target.status, AccountStatus::Banned | AccountStatus::Closed) {
            return Ok(false);
        }
        let Some(by) = target.status_changed_by.filter(|by| *by != actor_id) else { return Ok(false) };
        Ok(self.ports.accounts.get(by).await?.is_some_and(|a| a.system_role.is_some_and(SystemRole::can_administer)))
    }

    /// Sets the platform role of an account (`PUT /account-ex/role`).
    ///
    /// # Errors
    /// As [`UseCases::update_account`].
    pub async fn set_system_role(
        &self,
        actor: &Account,
        target_id: Option<Uuid>,
        role: SystemRole,
    ) -> DomainResult<Account> {
        if role == SystemRole::SuperAdmin {
            return Err(DomainError::invalid("role_type", "role_type must be one of system_admin, auditor, normal."));
        }
        self.update_account(actor, target_id, AccountUpdate { system_role: Some(role), ..Default::default() }).await
    }

    /// The group role of an account in a group, `normal` when it has no membership row.
    pub async fn group_role_of(&self, account_id: Uuid, group_id: Uuid) -> DomainResult<GroupRole> {
        Ok(self
            .memberships(account_id)
            .await?
            .into_iter()
            .find(|m| m.group_id == group_id)
            .map_or(GroupRole::Normal, |m| m.role))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::usecases::test_support::*;

    #[tokio::test]
    async fn normal_user_cannot_create_accounts_and_nothing_is_hashed() {
        let mut m = Mocks::new();
        m.directory.expect_current_tenant().returning(|_| Ok(None));
        m.directory.expect_group_memberships().returning(|_| Ok(vec![]));
        m.hasher.expect_hash().never();
        m.accounts.expect_insert().never();
        let actor = Account::new(Uuid::new_v4(), "n".into(), None, NOW);
        let cmd = NewAccount {
            email: EmailAddress::parse("email", "x@example.com").unwrap(),
            name: DisplayName::parse("name", "x").unwrap(),
            password: Password::parse_console("password", "abcdefg1").unwrap(),
        };
        assert!(matches!(m.build().create_account(&actor, cmd).await, Err(DomainError::Forbidden(_))));
    }

    #[tokio::test]
    async fn banning_revokes_sessions_and_old_tokens() {
        let mut m = Mocks::new();
        let mut admin = Account::new(Uuid::new_v4(), "root".into(), None, NOW);
        admin.system_role = Some(SystemRole::SuperAdmin);
        let target = Account::new(Uuid::new_v4(), "t".into(), None, NOW);
        let tid = target.id;
        m.directory.expect_group_memberships().returning(|_| Ok(vec![]));
        m.accounts.expect_get().returning(move |_| Ok(Some(target.clone())));
        m.accounts
            .expect_update()
            .withf(|c| {
                c.account.status == AccountStatus::Banned
                    && c.account.tokens_not_before == Some(NOW)
                    && c.revoke_sessions_at == Some(NOW)
                    && c.expected_updated_at == NOW
            })
            .times(1)
            .returning(|_| Ok(()));
        let update = AccountUpdate { status: Some(AccountStatus::Banned), ..Default::default() };
        let out = m.build().update_account(&admin, Some(tid), update).await.unwrap();
        assert_eq!(out.status, AccountStatus::Banned);
        assert_eq!(out.status_changed_by, Some(admin.id));
    }

    #[tokio::test]
    async fn a_concurrent_change_makes_the_update_start_over_from_fresh_data() {
        let mut m = Mocks::new();
        let mut admin = Account::new(Uuid::new_v4(), "root".into(), None, NOW);
        admin.system_role = Some(SystemRole::SuperAdmin);
        let target = Account::new(Uuid::new_v4(), "t".into(), None, NOW);
        let tid = target.id;
        m.directory.expect_group_memberships().returning(|_| Ok(vec![]));
        m.accounts.expect_get().times(2).returning(move |_| Ok(Some(target.clone())));
        let mut calls = 0;
        m.accounts.expect_update().times(2).returning(move |_| {
            calls += 1;
            if calls == 1 {
                Err(DomainError::Stale)
            } else {
                Ok(())
            }
        });
        let update = AccountUpdate { name: Some(DisplayName::parse("name", "New").unwrap()), ..Default::default() };
        assert_eq!(m.build().update_account(&admin, Some(tid), update).await.unwrap().name, "New");
    }
}
