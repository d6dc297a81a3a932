//! Account administration for every dialect: create, look up, list a group's members, change (one use case
//! and one patch type for console sessions and access keys alike), set roles. Every check goes through
//! [`crate::policy`].

use std::collections::HashMap;

use serde_json::{Map, Value};
use uuid::Uuid;

use crate::error::{DomainError, DomainResult};
use crate::model::{
    Account, AccountSource, AccountStatus, AuditEvent, GroupMembership, GroupRole, Page, PageRequest, SystemRole,
    WorkspaceMembership, WorkspaceRole,
};
use crate::policy::{self, AccountAction, Decision, Subject};
use crate::ports::AccountChange;
use crate::values::{check_login_name, email_key, implied_country_code, DisplayName, EmailAddress, Password};

use super::access_keys::Actor;
use super::auth::lockout_key;
use super::{UseCases, MAX_BATCH, WRITE_ATTEMPTS};

/// Changes to an account, whichever dialect carries them: `None` leaves a field alone, `Some(None)` clears a
/// nullable one. Every value is already parsed by the domain's rules ([`crate::values`]).
#[derive(Debug, Clone, Default)]
pub struct AccountPatch {
    /// Display name.
    pub name: Option<DisplayName>,
    /// Avatar file id or URL.
    pub avatar: Option<Option<String>>,
    /// Extension: mobile number.
    pub mobile: Option<Option<String>>,
    /// Extension: WeChat id.
    pub wechat: Option<Option<String>>,
    /// Extension: address.
    pub address: Option<Option<String>>,
    /// Extension: gender.
    pub gender: Option<Option<String>>,
    /// Login name.
    pub username: Option<String>,
    /// Phone number.
    pub phone: Option<Option<String>>,
    /// Email.
    pub email: Option<Option<EmailAddress>>,
    /// Description.
    pub description: Option<Option<String>>,
    /// Phone country code.
    pub country_code: Option<Option<String>>,
    /// New password (ends the account's sessions).
    pub password: Option<Password>,
    /// Status (banning or closing ends the account's sessions).
    pub status: Option<AccountStatus>,
    /// Platform role (`system_admin`, `auditor` or `normal`).
    pub system_role: Option<SystemRole>,
    /// Role in the actor's current group (`admin` or `normal`).
    pub group_role: Option<GroupRole>,
    /// Partner tier (1–3).
    pub tier: Option<i16>,
    /// Partner type (0 temporary, 1 regular).
    pub kind: Option<i16>,
    /// Identity origin; `Some(None)` resets it to the default for the account's external id.
    pub source: Option<Option<AccountSource>>,
    /// IdP-owned attributes (replaced whole).
    pub attributes: Option<Map<String, Value>>,
    /// Application-owned attributes (replaced whole).
    pub custom_attributes: Option<Map<String, Value>>,
    /// Idle timeout of the account's console sessions, in seconds.
    pub idle_timeout_secs: Option<i64>,
    /// Absolute lifetime of the account's console sessions, in seconds.
    pub max_lifetime_secs: Option<i64>,
    /// Console login allowed (switching it off ends console sessions at their next request).
    pub console_access: Option<bool>,
    /// Access keys usable.
    pub open_api_access: Option<bool>,
    /// Multi-factor authentication required.
    pub mfa_enabled: Option<bool>,
    /// A new password must be set at the first login.
    pub password_change_on_first_login: Option<bool>,
    /// A new password must be set at the next login.
    pub password_change_on_next_login: Option<bool>,
    /// Id in the external directory (unique among live accounts); the source follows it unless also given.
    pub external_id: Option<Option<String>>,
    /// Apply the patch only if the account's last change (`updated_at`) is this one, else `VersionMismatch`.
    pub if_updated_at: Option<time::OffsetDateTime>,
}

impl AccountPatch {
    /// Whether the patch changes nothing.
    pub fn changes_nothing(&self) -> bool {
        self.actions().is_empty() && self.group_role.is_none()
    }

    /// The actions of the permission matrix this patch needs, each decided by [`policy::decide`].
    fn actions(&self) -> Vec<AccountAction> {
        let profile = self.name.is_some()
            || self.avatar.is_some()
            || self.mobile.is_some()
            || self.wechat.is_some()
            || self.address.is_some()
            || self.gender.is_some()
            || self.username.is_some()
            || self.phone.is_some()
            || self.email.is_some()
            || self.description.is_some()
            || self.country_code.is_some();
        let settings = self.tier.is_some()
            || self.external_id.is_some()
            || self.kind.is_some()
            || self.source.is_some()
            || self.attributes.is_some()
            || self.custom_attributes.is_some()
            || self.idle_timeout_secs.is_some()
            || self.max_lifetime_secs.is_some()
            || self.console_access.is_some()
            || self.open_api_access.is_some()
            || self.mfa_enabled.is_some()
            || self.password_change_on_first_login.is_some()
            || self.password_change_on_next_login.is_some();
        [
            (profile, AccountAction::UpdateProfile),
            (self.status.is_some(), AccountAction::UpdateStatus),
            (self.system_role.is_some(), AccountAction::SetSystemRole),
            (self.password.is_some(), AccountAction::ResetCredentials),
            (settings, AccountAction::UpdateSettings),
        ]
        .into_iter()
        .filter_map(|(touched, action)| touched.then_some(action))
        .collect()
    }

    /// The identifiers this patch sets, which must be unique, as `(field, value)`; emails by their key.
    fn identifiers(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        out.extend(self.username.clone().map(|u| ("username", u)));
        out.extend(self.phone.clone().flatten().map(|p| ("phone", p)));
        out.extend(self.email.clone().flatten().map(|e| ("email", e.key())));
        out.extend(self.external_id.clone().flatten().map(|x| ("external_id", x)));
        out
    }
}

/// The source an account may have given its external id: `local` exactly when it has none (a sign-in link
/// through a provider is not an external id); with one, any other source, `unknown` by default.
pub(super) fn checked_source(source: Option<AccountSource>, has_external_id: bool) -> DomainResult<AccountSource> {
    match (source, has_external_id) {
        (None | Some(AccountSource::Local), false) => Ok(AccountSource::Local),
        (None, true) => Ok(AccountSource::Unknown),
        (Some(AccountSource::Local), true) => {
            Err(DomainError::invalid("source", "An account with an external id cannot have the source local."))
        }
        (Some(_), false) => {
            Err(DomainError::invalid("source", "An account without an external id has the source local."))
        }
        (Some(s), true) => Ok(s),
    }
}

/// Refuses a caller acting with an access key whose account may not read or change the whole directory
/// ([`policy::may_provision`]); a console session passes.
pub(super) fn check_key_caller(actor: &Actor<'_>, write: bool) -> DomainResult<()> {
    if actor.access_key_id.is_none() || policy::may_provision(actor.account, write) {
        Ok(())
    } else if write {
        Err(DomainError::Forbidden("This access key's account may not change accounts."))
    } else {
        Err(DomainError::Forbidden("This access key's account may not read accounts."))
    }
}

/// The memberships an account created by `creator` starts with: the creator's current group (role normal) and
/// its shadow workspace (current), or none.
pub(super) fn new_member_joins(
    group_id: Option<Uuid>,
    account_id: Uuid,
    creator: Uuid,
    now: time::OffsetDateTime,
) -> (Vec<GroupMembership>, Vec<WorkspaceMembership>) {
    match group_id {
        Some(group_id) => (
            vec![GroupMembership { group_id, account_id, role: GroupRole::Normal, created_at: now }],
            vec![WorkspaceMembership {
                current: true,
                invited_by: Some(creator),
                ..WorkspaceMembership::new(group_id, account_id, WorkspaceRole::Normal, now)
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
    pub(crate) async fn current_group_id(&self, account_id: Uuid) -> DomainResult<Option<Uuid>> {
        Ok(self.ports.workspaces.current_workspace_of(account_id).await?.and_then(|(tenant, _)| tenant.group_id))
    }

    pub(super) async fn memberships(&self, account_id: Uuid) -> DomainResult<Vec<GroupMembership>> {
        self.ports.groups.group_memberships(account_id).await
    }

    /// The target if the actor may read it; `None` when it does not exist or is hidden from the actor.
    pub(super) async fn readable(
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

    /// Applies `patch` to the account `target_id` for any caller (a console session or an access key): see
    /// [`UseCases::update_accounts`].
    ///
    /// # Errors
    /// As [`UseCases::update_accounts`].
    ///
    /// ```
    /// # use domain::usecases::{AccountPatch, Actor, UseCases};
    /// # use domain::values::DisplayName;
    /// # async fn demo(use_cases: &UseCases, bearer: &str, target: uuid::Uuid) -> domain::DomainResult<()> {
    /// let admin = use_cases.authenticate(bearer).await?;
    /// let patch = AccountPatch { name: Some(DisplayName::parse("name", "Ann Example")?), ..Default::default() };
    /// let updated = use_cases.update_account(Actor::session(&admin, "request-1"), target, patch).await?;
    /// assert_eq!(updated.name, "Ann Example");
    /// # Ok(()) }
    /// ```
    pub async fn update_account(
        &self,
        actor: Actor<'_>,
        target_id: Uuid,
        patch: AccountPatch,
    ) -> DomainResult<Account> {
        let mut changed = self.update_accounts(actor, vec![(target_id, patch)]).await?;
        Ok(changed.remove(0))
    }

    /// Applies each patch to its account, all or nothing, for any caller. Each target is read fresh, checked
    /// against the permission matrix ([`policy::decide`]) for every kind of change the patch makes, and saved
    /// with an optimistic version check in one transaction, with its audit event, the group-role change and,
    /// for a new password, a ban or a closure, the revocation of its sessions (a new password also clears the
    /// account's login lockout). A lost race (a concurrent change,
    /// or a deadlock with one) makes the whole batch start over from fresh data, up to five times.
    ///
    /// # Errors
    /// `Forbidden` for an access key whose account may not write accounts, and per the permission matrix;
    /// `NotFound` for unknown, deleted or hidden targets; `Invalid` for an empty or oversized batch;
    /// `ConflictAt { index, field }` for an account or identifier that two items name; `Conflict` naming a
    /// taken identifier; `Stale` when the accounts keep changing underneath.
    pub async fn update_accounts(
        &self,
        actor: Actor<'_>,
        items: Vec<(Uuid, AccountPatch)>,
    ) -> DomainResult<Vec<Account>> {
        check_key_caller(&actor, true)?;
        if items.is_empty() || items.len() > MAX_BATCH {
            return Err(DomainError::invalid("accounts", format!("Between 1 and {MAX_BATCH} accounts are required.")));
        }
        let mut seen: HashMap<(&'static str, String), usize> = HashMap::new();
        for (index, (uid, patch)) in items.iter().enumerate() {
            for key in std::iter::once(("id", uid.to_string())).chain(patch.identifiers()) {
                if let Some(field) = seen.insert(key.clone(), index).map(|_| key.0) {
                    return Err(DomainError::ConflictAt { index, field });
                }
            }
        }
        let hashes = self.ports.hasher.hash_all(items.iter().map(|(_, p)| p.password.clone()).collect()).await?;
        // a group role is set in the actor's current group
        let group_id = if items.iter().any(|(_, p)| p.group_role.is_some()) {
            let current = self.current_group_id(actor.account.id).await?;
            Some(current.ok_or(DomainError::NotFound { entity: "enterprise group" })?)
        } else {
            None
        };
        let now = self.ports.clock.now();
        for _ in 0..WRITE_ATTEMPTS {
            let actor_groups = self.memberships(actor.account.id).await?;
            let mut changes = Vec::with_capacity(items.len());
            for ((uid, patch), hash) in items.iter().zip(&hashes) {
                let found = self.ports.accounts.get(*uid).await?;
                let (target, target_groups) = self
                    .readable(actor.account, &actor_groups, found)
                    .await?
                    .ok_or(DomainError::NotFound { entity: "account" })?;
                let subjects = (
                    Subject { account: actor.account, groups: &actor_groups },
                    Subject { account: &target, groups: &target_groups },
                );
                self.check_patch(subjects, patch, group_id).await?;
                changes.push(plan_change(&actor, target, patch, hash.clone(), group_id, now)?);
            }
            let audits: Vec<AuditEvent> = changes.iter().map(|c| self.update_audit(&actor, c, now)).collect();
            match self.ports.accounts.update_batch(&changes, &audits).await {
                Err(DomainError::Stale) => continue,
                Err(other) => return Err(other),
                Ok(()) => {
                    self.clear_lockouts(
                        changes.iter().zip(&hashes).filter(|(_, h)| h.is_some()).map(|(c, _)| &c.account),
                    )
                    .await;
                    return Ok(changes.into_iter().map(|c| c.account).collect());
                }
            }
        }
        Err(DomainError::Stale)
    }

    /// Clears the login lockout of accounts whose password an administrator just set (after the change
    /// committed; a failure is logged, the new password stands).
    async fn clear_lockouts(&self, accounts: impl Iterator<Item = &Account>) {
        for email in accounts.filter_map(|a| a.email.as_deref()) {
            if let Err(error) = self.ports.throttles.clear(&lockout_key(&email_key(email))).await {
                tracing::warn!(%error, "the login lockout of an account with a new password was not cleared");
            }
        }
    }

    /// Every permission the patch needs, for the actor over the target.
    async fn check_patch(
        &self,
        (actor, target): (Subject<'_>, Subject<'_>),
        patch: &AccountPatch,
        group_id: Option<Uuid>,
    ) -> DomainResult<()> {
        for action in patch.actions() {
            enforce(policy::decide(actor, target, action))?;
        }
        let platform_admin = actor.account.system_role.is_some_and(SystemRole::can_administer);
        if let Some(status) = patch.status {
            if !platform_admin && status == AccountStatus::Closed {
                return Err(DomainError::Forbidden("Only system administrators can close accounts."));
            }
            if !platform_admin && self.disabled_by_platform_admin(target.account, actor.account.id).await? {
                return Err(DomainError::Forbidden("This account was disabled by a system administrator."));
            }
        }
        if let (Some(_), Some(group_id)) = (patch.group_role, group_id) {
            enforce(policy::decide_group_role(actor, target, group_id))?;
        }
        Ok(())
    }

    /// The audit event of a change of an account.
    fn update_audit(&self, actor: &Actor<'_>, c: &AccountChange, now: time::OffsetDateTime) -> AuditEvent {
        AuditEvent {
            id: self.ports.ids.new_id(),
            at: now,
            actor_account_id: Some(actor.account.id),
            actor_access_key_id: actor.access_key_id,
            action: "account.update".into(),
            target_type: "account".into(),
            target_id: Some(c.account.id.to_string()),
            request_id: actor.request_id.map(str::to_owned),
            changes: serde_json::json!({
                "name": c.account.name, "username": c.account.username, "email": c.account.email,
                "phone": c.account.phone, "status": c.account.status.to_string(),
                "system_role": c.account.system_role.map(|r| r.to_string()),
                "group_role": c.group_role.map(|(_, r)| r.to_string()),
                "tier": c.account.partner.tier, "type": c.account.partner.kind,
                "password_changed": c.account.password_changed_at == Some(now),
                "console_access": c.account.console_access, "open_api_access": c.account.open_api_access,
                "mfa_enabled": c.account.mfa_enabled,
                "password_change_on_first_login": c.account.password_change_on_first_login,
                "password_change_on_next_login": c.account.password_change_on_next_login,
                "sessions_ended": c.revoke_sessions_at.is_some(),
            }),
        }
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
    /// As [`UseCases::update_accounts`]; `Invalid` for the super admin role, which exists once, from setup.
    pub async fn set_system_role(&self, actor: Actor<'_>, target_id: Uuid, role: SystemRole) -> DomainResult<Account> {
        if role == SystemRole::SuperAdmin {
            return Err(DomainError::invalid(
                "system_role",
                "The super admin exists once, from setup: give system_admin, auditor or normal.",
            ));
        }
        self.update_account(actor, target_id, AccountPatch { system_role: Some(role), ..Default::default() }).await
    }

    /// The group role of an account in a group, `normal` when it has no membership row.
    pub(crate) async fn group_role_of(&self, account_id: Uuid, group_id: Uuid) -> DomainResult<GroupRole> {
        Ok(self
            .memberships(account_id)
            .await?
            .into_iter()
            .find(|m| m.group_id == group_id)
            .map_or(GroupRole::Normal, |m| m.role))
    }
}

/// The stored form of `patch` (its new password already hashed as `hash`) applied to `target` by `actor`, once
/// the permissions are checked.
fn plan_change(
    actor: &Actor<'_>,
    mut target: Account,
    patch: &AccountPatch,
    hash: Option<String>,
    group_id: Option<Uuid>,
    now: time::OffsetDateTime,
) -> DomainResult<AccountChange> {
    let expected_updated_at = target.updated_at;
    if patch.if_updated_at.is_some_and(|version| version != expected_updated_at) {
        return Err(DomainError::VersionMismatch);
    }
    let mut revoke_sessions_at = None;
    if let Some(name) = &patch.name {
        target.name = name.as_str().to_owned();
    }
    for (slot, value) in [
        (&mut target.avatar, &patch.avatar),
        (&mut target.extension.mobile, &patch.mobile),
        (&mut target.extension.wechat, &patch.wechat),
        (&mut target.extension.address, &patch.address),
        (&mut target.extension.gender, &patch.gender),
        (&mut target.phone, &patch.phone),
        (&mut target.description, &patch.description),
        (&mut target.country_code, &patch.country_code),
    ] {
        if let Some(value) = value {
            slot.clone_from(value);
        }
    }
    if let Some(username) = &patch.username {
        target.username = Some(username.clone());
    }
    if let Some(email) = &patch.email {
        target.email = email.as_ref().map(|e| e.as_str().to_owned());
    }
    // a new phone without a country code for an account that has none may imply one
    if let (Some(Some(phone)), None, None) = (&patch.phone, &patch.country_code, &target.country_code) {
        target.country_code = implied_country_code(phone).map(str::to_owned);
    }
    if let Some(external_id) = &patch.external_id {
        target.external_id.clone_from(external_id);
    }
    if let Some(source) = patch.source {
        target.source = checked_source(source, target.external_id.is_some())?;
    } else if patch.external_id.is_some() {
        // a new external id keeps a source that still fits it, else takes the default
        let kept = (target.source != AccountSource::Local).then_some(target.source);
        target.source = checked_source(kept, target.external_id.is_some())
            .or_else(|_| checked_source(None, target.external_id.is_some()))?;
    }
    if let Some(attributes) = &patch.attributes {
        target.attributes.clone_from(attributes);
    }
    if let Some(custom_attributes) = &patch.custom_attributes {
        target.custom_attributes.clone_from(custom_attributes);
    }
    if let Some(secs) = patch.idle_timeout_secs {
        target.session_policy.idle_timeout_secs = Some(secs);
    }
    if let Some(secs) = patch.max_lifetime_secs {
        target.session_policy.max_lifetime_secs = Some(secs);
    }
    for (slot, value) in [
        (&mut target.console_access, patch.console_access),
        (&mut target.open_api_access, patch.open_api_access),
        (&mut target.mfa_enabled, patch.mfa_enabled),
        (&mut target.password_change_on_first_login, patch.password_change_on_first_login),
        (&mut target.password_change_on_next_login, patch.password_change_on_next_login),
    ] {
        if let Some(value) = value {
            *slot = value;
        }
    }
    if let Some(hash) = hash {
        target.password_hash = Some(hash);
        target.password_changed_at = Some(now);
        target.password_changed_by = Some(actor.account.id);
        target.revoke_tokens(now);
        revoke_sessions_at = Some(now);
    }
    if let Some(role) = patch.system_role {
        let stored = (role != SystemRole::Normal).then_some(role);
        if stored != target.system_role {
            target.system_role = stored;
            target.system_role_assigned_by = Some(actor.account.id);
        }
    }
    if let Some(tier) = patch.tier {
        target.partner.tier = tier;
    }
    if let Some(kind) = patch.kind {
        target.partner.kind = kind;
    }
    if let Some(status) = patch.status {
        if target.change_status(status, actor.account.id, now) {
            revoke_sessions_at = Some(now);
        }
    }
    let group_role = patch.group_role.zip(group_id).map(|(role, group)| (group, role));
    check_login_name(target.username.as_deref(), target.email.as_deref())?;
    target.updated_at = now.max(expected_updated_at + time::Duration::microseconds(1));
    Ok(AccountChange { account: target, expected_updated_at, group_role, revoke_sessions_at })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::usecases::test_support::*;
    use crate::usecases::NewAccount;

    #[tokio::test]
    async fn normal_user_cannot_create_accounts_and_nothing_is_hashed() {
        let mut m = Mocks::new();
        m.workspaces.expect_current_workspace_of().returning(|_| Ok(None));
        m.groups.expect_group_memberships().returning(|_| Ok(vec![]));
        m.hasher.expect_hash_all().never();
        m.accounts.expect_insert_batch().never();
        let actor = Account::new(Uuid::new_v4(), "n".into(), None, NOW);
        let cmd = NewAccount {
            email: Some(EmailAddress::parse("email", "x@example.com").unwrap()),
            name: Some(DisplayName::parse("name", "x").unwrap()),
            password: Some(Password::parse_new("password", "abcdefg1").unwrap()),
            ..NewAccount::default()
        };
        let actor = Actor { account: &actor, access_key_id: None, request_id: None };
        assert!(matches!(m.build().create_account(actor, cmd).await, Err(DomainError::Forbidden(_))));
    }

    #[tokio::test]
    async fn an_access_key_of_a_group_manager_changes_nothing() {
        let mut m = Mocks::new();
        m.hasher.expect_hash_all().never();
        m.accounts.expect_update_batch().never();
        let manager = Account::new(Uuid::new_v4(), "m".into(), None, NOW);
        let actor = Actor { account: &manager, access_key_id: Some(Uuid::new_v4()), request_id: None };
        let patch = AccountPatch { name: Some(DisplayName::parse("name", "x").unwrap()), ..Default::default() };
        let refused = m.build().update_account(actor, Uuid::new_v4(), patch).await;
        assert!(matches!(refused, Err(DomainError::Forbidden(_))), "{refused:?}");
    }

    #[tokio::test]
    async fn a_patch_needs_the_permission_of_every_kind_of_change_it_makes() {
        let mut m = Mocks::new();
        let manager = Account::new(Uuid::new_v4(), "m".into(), None, NOW);
        let member = Account::new(Uuid::new_v4(), "t".into(), None, NOW);
        let (mid, group) = (manager.id, Uuid::new_v4());
        let tid = member.id;
        m.groups.expect_group_memberships().returning(move |who| {
            let role = if who == mid { GroupRole::Admin } else { GroupRole::Normal };
            Ok(vec![GroupMembership { group_id: group, account_id: who, role, created_at: NOW }])
        });
        m.accounts.expect_get().returning(move |_| Ok(Some(member.clone())));
        m.hasher.expect_hash_all().returning(|p| Ok(vec![None; p.len()]));
        m.accounts.expect_update_batch().never();
        // a group admin may rename a member of its group, but not change its settings in the same patch
        let patch = AccountPatch {
            name: Some(DisplayName::parse("name", "x").unwrap()),
            open_api_access: Some(false),
            ..Default::default()
        };
        let actor = Actor { account: &manager, access_key_id: None, request_id: None };
        let refused = m.build().update_account(actor, tid, patch).await;
        assert!(matches!(refused, Err(DomainError::Forbidden(_))), "{refused:?}");
    }

    #[tokio::test]
    async fn banning_revokes_sessions_and_old_tokens() {
        let mut m = Mocks::new();
        let mut admin = Account::new(Uuid::new_v4(), "root".into(), None, NOW);
        admin.system_role = Some(SystemRole::SuperAdmin);
        let target = Account::new(Uuid::new_v4(), "t".into(), None, NOW);
        let tid = target.id;
        m.groups.expect_group_memberships().returning(|_| Ok(vec![]));
        m.accounts.expect_get().returning(move |_| Ok(Some(target.clone())));
        m.hasher.expect_hash_all().returning(|p| Ok(vec![None; p.len()]));
        m.accounts
            .expect_update_batch()
            .withf(|changes, audits| {
                let c = &changes[0];
                c.account.status == AccountStatus::Banned
                    && c.account.tokens_not_before == Some(NOW)
                    && c.revoke_sessions_at == Some(NOW)
                    && c.expected_updated_at == NOW
                    && audits.len() == 1
                    && audits[0].changes["sessions_ended"] == true
            })
            .times(1)
            .returning(|_, _| Ok(()));
        let update = AccountPatch { status: Some(AccountStatus::Banned), ..Default::default() };
        let actor = Actor { account: &admin, access_key_id: None, request_id: None };
        let out = m.build().update_account(actor, tid, update).await.unwrap();
        assert_eq!(out.status, AccountStatus::Banned);
        assert_eq!(out.status_changed_by, Some(admin.id));
    }

    #[tokio::test]
    async fn a_conditional_patch_writes_only_at_the_version_it_names() {
        let mut m = Mocks::new();
        let mut admin = Account::new(Uuid::new_v4(), "root".into(), None, NOW);
        admin.system_role = Some(SystemRole::SuperAdmin);
        let mut target = Account::new(Uuid::new_v4(), "t".into(), None, NOW);
        target.source = AccountSource::Local;
        let tid = target.id;
        m.groups.expect_group_memberships().returning(|_| Ok(vec![]));
        m.accounts.expect_get().returning(move |_| Ok(Some(target.clone())));
        m.hasher.expect_hash_all().returning(|p| Ok(vec![None; p.len()]));
        m.accounts
            .expect_update_batch()
            .withf(|changes, _| {
                changes[0].account.external_id.as_deref() == Some("ext-1")
                    && changes[0].account.source == AccountSource::Unknown
            })
            .times(1)
            .returning(|_, _| Ok(()));
        let uc = m.build();
        let actor = || Actor { account: &admin, access_key_id: None, request_id: None };
        let patch = |at| AccountPatch {
            external_id: Some(Some("ext-1".into())),
            if_updated_at: Some(at),
            ..Default::default()
        };
        let refused = uc.update_account(actor(), tid, patch(NOW - time::Duration::seconds(1))).await;
        assert!(matches!(refused, Err(DomainError::VersionMismatch)), "{refused:?}");
        // a new external id takes the source that fits it
        let out = uc.update_account(actor(), tid, patch(NOW)).await.unwrap();
        assert_eq!((out.external_id.as_deref(), out.source), (Some("ext-1"), AccountSource::Unknown));
    }

    #[tokio::test]
    async fn a_concurrent_change_makes_the_update_start_over_from_fresh_data() {
        let mut m = Mocks::new();
        let mut admin = Account::new(Uuid::new_v4(), "root".into(), None, NOW);
        admin.system_role = Some(SystemRole::SuperAdmin);
        let target = Account::new(Uuid::new_v4(), "t".into(), None, NOW);
        let tid = target.id;
        m.groups.expect_group_memberships().returning(|_| Ok(vec![]));
        m.accounts.expect_get().times(2).returning(move |_| Ok(Some(target.clone())));
        m.hasher.expect_hash_all().returning(|p| Ok(vec![None; p.len()]));
        let mut calls = 0;
        m.accounts.expect_update_batch().times(2).returning(move |_, _| {
            calls += 1;
            if calls == 1 {
                Err(DomainError::Stale)
            } else {
                Ok(())
            }
        });
        let update = AccountPatch { name: Some(DisplayName::parse("name", "New").unwrap()), ..Default::default() };
        let actor = Actor { account: &admin, access_key_id: None, request_id: None };
        assert_eq!(m.build().update_account(actor, tid, update).await.unwrap().name, "New");
    }
}
