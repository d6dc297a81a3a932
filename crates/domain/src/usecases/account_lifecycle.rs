//! Creating and deleting accounts, for every dialect: one [`NewAccount`] type and one use case each, whoever
//! calls (a console session or an access key); permissions decided by [`crate::policy`].

use std::collections::HashMap;

use serde_json::{Map, Value};
use uuid::Uuid;

use crate::error::{DomainError, DomainResult};
use crate::model::{
    Account, AccountSource, AccountStatus, AuditEvent, PartnerClass, SessionPolicy, SystemRole, Workspace,
    WorkspaceMembership, WorkspaceRole,
};
use crate::policy::{self, AccountAction, Subject};
use crate::ports::{NewAccountEntry, WantedIdentifiers};
use crate::values::{check_login_name, implied_country_code, DisplayName, EmailAddress, Password};

use super::access_keys::Actor;
use super::accounts::{check_key_caller, checked_source, enforce, new_member_joins};
use super::UseCases;

/// Most accounts in one batch.
pub const MAX_BATCH: usize = 1000;

/// An account to create, whichever dialect asks: every value already parsed by the domain's rules; what is
/// absent takes its default.
#[derive(Debug, Clone)]
pub struct NewAccount {
    /// Requested id (generated when absent).
    pub id: Option<Uuid>,
    /// Login name (generated when absent).
    pub username: Option<String>,
    /// Phone number.
    pub phone: Option<String>,
    /// Email.
    pub email: Option<EmailAddress>,
    /// Display name (the login name when absent).
    pub name: Option<DisplayName>,
    /// Description.
    pub description: Option<String>,
    /// Password; none disables password login.
    pub password: Option<Password>,
    /// Platform role: normal, auditor or system admin.
    pub system_role: SystemRole,
    /// Partner tier (1–3).
    pub tier: i16,
    /// Partner type (0 temporary, 1 regular).
    pub kind: i16,
    /// Initial status.
    pub status: AccountStatus,
    /// Phone country code.
    pub country_code: Option<String>,
    /// Id in the external directory (unique among live accounts).
    pub external_id: Option<String>,
    /// Identity origin; `None` means `local` without an external id and `unknown` with one.
    pub source: Option<AccountSource>,
    /// Interface language tag (the console default when absent).
    pub language: Option<String>,
    /// IdP-owned attributes.
    pub attributes: Map<String, Value>,
    /// Application-owned attributes.
    pub custom_attributes: Map<String, Value>,
    /// Free-form metadata kept with the account ([`Account::metadata`]).
    pub metadata: Map<String, Value>,
    /// Session limits.
    pub session_policy: SessionPolicy,
    /// The workspace to make the account's current one (besides its group's shadow workspace).
    pub home_tenant: Option<WorkspaceRef>,
    /// Console login allowed.
    pub console_access: bool,
    /// Access keys usable.
    pub open_api_access: bool,
    /// Multi-factor authentication required (stored and reported; not enforced yet).
    pub mfa_enabled: bool,
    /// A new password must be set at the first login.
    pub password_change_on_first_login: bool,
    /// A new password must be set at the next login.
    pub password_change_on_next_login: bool,
}

/// A workspace named by id or by code.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum WorkspaceRef {
    /// By id.
    Id(Uuid),
    /// By its unique code.
    Code(String),
}

impl Default for NewAccount {
    fn default() -> Self {
        Self {
            id: None,
            username: None,
            phone: None,
            email: None,
            name: None,
            description: None,
            password: None,
            system_role: SystemRole::Normal,
            tier: PartnerClass::default().tier,
            kind: PartnerClass::default().kind,
            status: AccountStatus::Active,
            country_code: None,
            external_id: None,
            source: None,
            language: None,
            attributes: Map::new(),
            custom_attributes: Map::new(),
            metadata: Map::new(),
            session_policy: SessionPolicy::default(),
            home_tenant: None,
            console_access: true,
            open_api_access: true,
            mfa_enabled: false,
            password_change_on_first_login: false,
            password_change_on_next_login: false,
        }
    }
}

impl NewAccount {
    /// The identifiers that must be unique, as `(field, value)`; emails by their key.
    fn identifiers(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if let Some(id) = self.id {
            out.push(("id", id.to_string()));
        }
        if let Some(u) = &self.username {
            out.push(("username", u.clone()));
        }
        if let Some(p) = &self.phone {
            out.push(("phone", p.clone()));
        }
        if let Some(e) = &self.email {
            out.push(("email", e.key()));
        }
        if let Some(x) = &self.external_id {
            out.push(("external_id", x.clone()));
        }
        out
    }
}

impl UseCases {
    /// Creates one account for any caller: see [`UseCases::create_accounts`].
    ///
    /// # Errors
    /// As [`UseCases::create_accounts`].
    pub async fn create_account(&self, caller: Actor<'_>, item: NewAccount) -> DomainResult<Account> {
        let mut created = self.create_accounts(caller, vec![item]).await?;
        Ok(created.remove(0))
    }

    /// Creates accounts for any caller (a console session or an access key), all or nothing: identifiers are
    /// checked for duplicates inside the batch and against live accounts (the index of the first offending item
    /// is reported), passwords are hashed through the hashing port, and every account, its memberships (the
    /// caller's current group and its shadow workspace, or the workspace the item names) and its audit event
    /// are written in one transaction.
    ///
    /// # Errors
    /// `Forbidden` for an access key whose account may not write accounts, unless the caller is a platform admin
    /// or manages its current group ([`policy::may_create_accounts`]), and for platform roles given by a caller
    /// who is not a platform admin; `Invalid` for an empty or oversized batch; `InvalidAt` for an unknown
    /// workspace; `ConflictAt { index, field }`, also when a concurrent write took an identifier between the
    /// check and the insert (`Conflict` only when the identifier's holder cannot be found again).
    ///
    /// ```
    /// # use domain::usecases::{Actor, NewAccount, UseCases};
    /// # use domain::values::{DisplayName, EmailAddress, Password};
    /// # async fn demo(use_cases: &UseCases, bearer: &str) -> domain::DomainResult<()> {
    /// let admin = use_cases.authenticate(bearer).await?;
    /// let item = |email: &str, name: &str| -> domain::DomainResult<NewAccount> {
    ///     Ok(NewAccount {
    ///         email: Some(EmailAddress::parse("email", email)?),
    ///         name: Some(DisplayName::parse("name", name)?),
    ///         password: Some(Password::parse_new("password", "Correct-horse-9")?),
    ///         ..Default::default()
    ///     })
    /// };
    /// // all or nothing: a refusal names the item (`ConflictAt { index, field }`, `InvalidAt { .. }`)
    /// let created = use_cases
    ///     .create_accounts(Actor::session(&admin, "request-1"), vec![item("ann@example.com", "Ann")?, item("bo@example.com", "Bo")?])
    ///     .await?;
    /// assert_eq!(created.len(), 2);
    /// # Ok(()) }
    /// ```
    pub async fn create_accounts(&self, caller: Actor<'_>, items: Vec<NewAccount>) -> DomainResult<Vec<Account>> {
        check_key_caller(&caller, true)?;
        let group_id = self.current_group_id(caller.account.id).await?;
        let caller_groups = self.memberships(caller.account.id).await?;
        let subject = Subject { account: caller.account, groups: &caller_groups };
        if !policy::may_create_accounts(subject, group_id) {
            return Err(DomainError::Forbidden("You are not allowed to create accounts."));
        }
        if items.iter().any(|i| i.system_role != SystemRole::Normal) && !policy::may_assign_system_roles(subject) {
            return Err(DomainError::Forbidden("Only system administrators can perform this operation."));
        }
        if items.is_empty() || items.len() > MAX_BATCH {
            return Err(DomainError::invalid("accounts", format!("Between 1 and {MAX_BATCH} accounts are required.")));
        }
        let mut first_holder: HashMap<(&'static str, String), usize> = HashMap::new();
        let mut wanted = WantedIdentifiers::default();
        for (index, item) in items.iter().enumerate() {
            for (field, value) in item.identifiers() {
                if first_holder.insert((field, value.clone()), index).is_some() {
                    return Err(DomainError::ConflictAt { index, field });
                }
                match field {
                    "id" => wanted.ids.extend(item.id),
                    "username" => wanted.usernames.push(value),
                    "phone" => wanted.phones.push(value),
                    "external_id" => wanted.external_ids.push(value),
                    _ => wanted.email_keys.push(value),
                }
            }
        }
        let first_taken = |taken: Vec<(&'static str, String)>| {
            taken.into_iter().filter_map(|(field, value)| first_holder.get(&(field, value)).map(|i| (*i, field))).min()
        };
        if let Some((index, field)) = first_taken(self.ports.accounts.taken_identifiers(&wanted).await?) {
            return Err(DomainError::ConflictAt { index, field });
        }
        for (index, item) in items.iter().enumerate() {
            if let Err(DomainError::Invalid { field, message }) =
                check_login_name(item.username.as_deref(), item.email.as_ref().map(EmailAddress::as_str))
            {
                return Err(DomainError::InvalidAt { index, field, message });
            }
        }
        let sources = items
            .iter()
            .map(|i| checked_source(i.source, i.external_id.is_some()))
            .collect::<DomainResult<Vec<_>>>()?;
        // each workspace named by the batch is looked up once
        let mut found: HashMap<WorkspaceRef, Option<Workspace>> = HashMap::new();
        let mut homes = Vec::with_capacity(items.len());
        for (index, item) in items.iter().enumerate() {
            let Some(wanted) = &item.home_tenant else {
                homes.push(None);
                continue;
            };
            if !found.contains_key(wanted) {
                let tenant = match wanted {
                    WorkspaceRef::Id(id) => self.ports.workspaces.get_workspace(*id).await?,
                    WorkspaceRef::Code(code) => self.ports.workspaces.find_workspace_by_code(code).await?,
                };
                found.insert(wanted.clone(), tenant);
            }
            let (field, message) = match wanted {
                WorkspaceRef::Id(_) => ("tenant_id", "No workspace has this id."),
                WorkspaceRef::Code(_) => ("tenant_code", "No workspace has this code."),
            };
            let home = found[wanted].clone().ok_or(DomainError::InvalidAt { index, field, message: message.into() })?;
            homes.push(Some(home));
        }
        let hashes = self.ports.hasher.hash_all(items.iter().map(|i| i.password.clone()).collect()).await?;
        let now = self.ports.clock.now();
        let mut entries = Vec::with_capacity(items.len());
        let mut audits = Vec::with_capacity(items.len());
        for (((item, hash), source), home) in items.into_iter().zip(hashes).zip(sources).zip(homes) {
            let id = item.id.unwrap_or_else(|| self.ports.ids.new_id());
            let username =
                item.username.unwrap_or_else(|| format!("u{}", &self.ports.ids.new_id().simple().to_string()[..12]));
            let name = item
                .name
                .map_or_else(|| username.chars().take(DisplayName::MAX_CHARS).collect(), DisplayName::into_inner);
            let mut account = Account::new(id, name, item.email.map(|e| e.as_str().to_owned()), now);
            account.username = Some(username);
            account.phone = item.phone;
            account.country_code = item
                .country_code
                .or_else(|| account.phone.as_deref().and_then(implied_country_code).map(str::to_owned));
            account.external_id = item.external_id;
            account.source = source;
            account.attributes = item.attributes;
            account.custom_attributes = item.custom_attributes;
            account.metadata = item.metadata;
            account.session_policy = item.session_policy;
            account.console_access = item.console_access;
            account.open_api_access = item.open_api_access;
            account.mfa_enabled = item.mfa_enabled;
            account.password_change_on_first_login = item.password_change_on_first_login;
            account.password_change_on_next_login = item.password_change_on_next_login;
            if let Some(language) = item.language {
                account.interface_language = language;
            }
            account.description = item.description;
            account.partner = PartnerClass { tier: item.tier, kind: item.kind };
            account.change_status(item.status, caller.account.id, now);
            account.system_role = (item.system_role != SystemRole::Normal).then_some(item.system_role);
            account.system_role_assigned_by = account.system_role.map(|_| caller.account.id);
            account.password_changed_at = hash.as_ref().map(|_| now);
            account.password_changed_by = hash.as_ref().map(|_| caller.account.id);
            account.password_hash = hash;
            let (groups, mut tenants) = new_member_joins(group_id, id, caller.account.id, now);
            if let Some(home) = home {
                tenants.retain(|t| t.tenant_id != home.id);
                tenants.iter_mut().for_each(|t| t.current = false);
                tenants.push(WorkspaceMembership {
                    current: true,
                    invited_by: Some(caller.account.id),
                    ..WorkspaceMembership::new(home.id, id, WorkspaceRole::Normal, now)
                });
            }
            audits.push(AuditEvent {
                id: self.ports.ids.new_id(),
                at: now,
                actor_account_id: Some(caller.account.id),
                actor_access_key_id: caller.access_key_id,
                action: "account.create".into(),
                target_type: "account".into(),
                target_id: Some(id.to_string()),
                request_id: caller.request_id.map(str::to_owned),
                changes: serde_json::json!({
                    "username": account.username, "email": account.email, "phone": account.phone,
                    "status": account.status.to_string(), "system_role": account.system_role.map(|r| r.to_string()),
                    "tier": account.partner.tier, "type": account.partner.kind, "password_set": account.password_hash.is_some(),
                }),
            });
            entries.push(NewAccountEntry { account, groups, tenants });
        }
        match self.ports.accounts.insert_batch(&entries, &audits).await {
            Ok(()) => Ok(entries.into_iter().map(|e| e.account).collect()),
            // a concurrent write took an identifier between the check and the insert: name the item it took
            // it from, as the check would have
            Err(DomainError::Conflict { field }) => {
                Err(match first_taken(self.ports.accounts.taken_identifiers(&wanted).await?) {
                    Some((index, field)) => DomainError::ConflictAt { index, field },
                    None => DomainError::Conflict { field },
                })
            }
            Err(other) => Err(other),
        }
    }

    /// Soft-deletes accounts for any caller, all or nothing: their identifiers become free for new accounts,
    /// their sessions and access keys stop at once; each deletion is audited.
    ///
    /// # Errors
    /// `Forbidden` for an access key whose account may not write accounts, and per the permission matrix
    /// ([`AccountAction::Delete`]: platform admins, never the super admin nor themselves); `Invalid` for an empty
    /// or oversized list; `UnknownAccounts` listing unknown, deleted or hidden ids; `OwnsWorkspace` (a
    /// workspace is never orphaned).
    pub async fn delete_accounts(&self, caller: Actor<'_>, uids: Vec<Uuid>) -> DomainResult<()> {
        check_key_caller(&caller, true)?;
        let mut uids = uids;
        uids.sort_unstable();
        uids.dedup();
        if uids.is_empty() || uids.len() > MAX_BATCH {
            return Err(DomainError::invalid("ids", format!("Between 1 and {MAX_BATCH} ids are required.")));
        }
        let caller_groups = self.memberships(caller.account.id).await?;
        let mut unknown = Vec::new();
        for uid in &uids {
            let found = self.ports.accounts.get(*uid).await?;
            match self.readable(caller.account, &caller_groups, found).await? {
                None => unknown.push(*uid),
                Some((target, target_groups)) => enforce(policy::decide(
                    Subject { account: caller.account, groups: &caller_groups },
                    Subject { account: &target, groups: &target_groups },
                    AccountAction::Delete,
                ))?,
            }
        }
        if !unknown.is_empty() {
            return Err(DomainError::UnknownAccounts(unknown));
        }
        let now = self.ports.clock.now();
        let audits: Vec<AuditEvent> = uids
            .iter()
            .map(|uid| AuditEvent {
                id: self.ports.ids.new_id(),
                at: now,
                actor_account_id: Some(caller.account.id),
                actor_access_key_id: caller.access_key_id,
                action: "account.delete".into(),
                target_type: "account".into(),
                target_id: Some(uid.to_string()),
                request_id: caller.request_id.map(str::to_owned),
                changes: serde_json::json!({"deleted": true}),
            })
            .collect();
        self.ports.accounts.soft_delete(&uids, now, &audits).await
    }
}
