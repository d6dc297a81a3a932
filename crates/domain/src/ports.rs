//! Ports: what the use cases need from the outside world. Storage adapters live in the `db` crate,
//! hashing and tokens in `security`, mail in `mail`. Each method's contract is in its doc comment;
//! unless stated otherwise adapters map unexpected failures to [`DomainError::Internal`].
//!
//! Storage methods are called from async code; adapters run blocking work (Diesel, bcrypt) on the blocking
//! pool, never on the caller's thread.

use async_trait::async_trait;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

#[allow(unused_imports, reason = "named by the ports' contracts in their doc links")]
use crate::error::DomainError;
use crate::error::DomainResult;
use crate::model::{
    AccessKey, AccessKeyStatus, Account, AccountFilter, AccountOrder, AuditEvent, AuditQuery, Dataset, DatasetView,
    EnterpriseGroup, ExternalIdentity, GroupMembership, GroupRole, GroupStatus, IdentitySignIn, Installation,
    Invitation, InvitationBatch, LinkedIdentity, LoginSession, Mail, OutboxMail, OutboxState, Page, PageRequest,
    RefreshOutcome, Registration, TotpFactor, VerificationCode, Workspace, WorkspaceMembership, WorkspacePermission,
    WorkspaceRole, WorkspaceStatus,
};
use crate::values::Password;

mod unsupported;

pub use unsupported::Unsupported;

/// The current time. Injected so tests are deterministic.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
pub trait Clock: Send + Sync {
    /// Now, in UTC.
    fn now(&self) -> OffsetDateTime;
}

/// New entity ids. Injected so tests are deterministic.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
pub trait IdGenerator: Send + Sync {
    /// A fresh id.
    fn new_id(&self) -> Uuid;
}

/// The system clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// Random (v4) ids.
#[derive(Debug, Default, Clone, Copy)]
pub struct RandomIds;

impl IdGenerator for RandomIds {
    fn new_id(&self) -> Uuid {
        Uuid::new_v4()
    }
}

/// Accounts.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait AccountRepository: Send + Sync {
    /// The account with this id, soft-deleted ones included; `None` when there is none.
    async fn get(&self, id: Uuid) -> DomainResult<Option<Account>>;

    /// The account `id` for authenticating a request. An adapter may answer from accounts it read before, if its
    /// own writes of an account drop what it kept at once and nothing kept is older than a bound it documents
    /// (so a ban, a revocation or a password change written by another instance takes effect within it). By
    /// default, [`AccountRepository::get`].
    async fn get_for_authentication(&self, id: Uuid) -> DomainResult<Option<Account>> {
        self.get(id).await
    }

    /// The live (not soft-deleted) account whose lower-cased email is `email_key`.
    async fn find_live_by_email(&self, email_key: &str) -> DomainResult<Option<Account>>;

    /// Live accounts whose login name, name, description, phone or email contains `query` (case-insensitive;
    /// all live accounts without a query), oldest first, `limit` from `offset`, with the total when `count` (a
    /// count over a common term reads every match, so callers ask only when they show it). A query of one or
    /// two characters matches the start of the login name, name, email or phone instead.
    async fn search(
        &self,
        query: Option<String>,
        offset: i64,
        limit: i64,
        count: bool,
    ) -> DomainResult<(Vec<Account>, Option<i64>)>;

    /// Live accounts matching `filter` (all without one) in `order`, `limit` from `offset`, with the total.
    async fn filter(
        &self,
        filter: Option<AccountFilter>,
        order: AccountOrder,
        offset: i64,
        limit: i64,
    ) -> DomainResult<(Vec<Account>, i64)>;

    /// Stores several new accounts with their memberships and audit events in one transaction: all or none.
    ///
    /// # Errors
    /// [`DomainError::Conflict`] naming the field when a live account took an identifier meanwhile.
    async fn insert_batch(&self, entries: &[NewAccountEntry], audits: &[AuditEvent]) -> DomainResult<()>;

    /// Saves account changes and their audit events in one transaction, all or none. For each change: every
    /// field of `change.account` except the login-activity fields (kept by [`AccountRepository::record_login`]
    /// and [`AccountRepository::touch_active`]), the optional group-role change, and the optional revocation of
    /// all the account's sessions. Rows are locked in one canonical order whatever the order of `changes`, so
    /// concurrent batches over the same accounts queue instead of deadlocking.
    ///
    /// # Errors
    /// [`DomainError::Stale`] when an account's stored `updated_at` differs from its
    /// `change.expected_updated_at` (someone else changed it since it was read), or when the database rolled the
    /// transaction back as a deadlock or serialization failure; [`DomainError::NotFound`] when no account has an
    /// id or the account is not a member of the group; [`DomainError::Conflict`] as for `insert`. Nothing is
    /// written then.
    async fn update_batch(&self, changes: &[AccountChange], audits: &[AuditEvent]) -> DomainResult<()>;

    /// Soft-deletes accounts in one transaction: `deleted_at` (which frees their identifiers), every session
    /// revoked, every access key deleted, tokens issued before `at` refused, and the audit events.
    ///
    /// # Errors
    /// [`DomainError::OwnsWorkspace`] (nothing written) when one of them owns a workspace;
    /// [`DomainError::UnknownAccounts`] when one is missing or already deleted.
    async fn soft_delete(&self, ids: &[Uuid], at: OffsetDateTime, audits: &[AuditEvent]) -> DomainResult<()>;

    /// Which of these identifiers live accounts already hold: `("id" | "username" | "phone" | "email" | "external_id", value)`
    /// (emails compared by their key).
    async fn taken_identifiers(&self, wanted: &WantedIdentifiers) -> DomainResult<Vec<(&'static str, String)>>;

    /// The live account whose username or phone is `identifier`, or whose email key is its lower case.
    async fn find_live_by_login(&self, identifier: &str) -> DomainResult<Option<Account>>;

    /// The live account with this id in the external directory.
    async fn find_live_by_external_id(&self, external_id: &str) -> DomainResult<Option<Account>>;

    /// Stores a new account with its group and workspace memberships, all or nothing.
    ///
    /// # Errors
    /// [`DomainError::Conflict`] naming `email`, `username`, `phone` or `external_id` when a live account holds it.
    async fn insert(
        &self,
        account: &Account,
        groups: &[GroupMembership],
        tenants: &[WorkspaceMembership],
    ) -> DomainResult<()>;

    /// Records a successful login: last login time and address, and `pending` → `active` with
    /// `initialized_at` set.
    async fn record_login(&self, id: Uuid, at: OffsetDateTime, ip: Option<String>) -> DomainResult<()>;

    /// Sets `last_active_at` to `at` unless it is already `since` or later, so that the many requests of one
    /// account arriving together write it once (the others find it fresh, instead of queueing on the row).
    async fn touch_active(&self, id: Uuid, at: OffsetDateTime, since: OffsetDateTime) -> DomainResult<()>;

    /// Replaces the password hash `old` by `new` (upgrading an old scheme after a login); does nothing when the
    /// stored hash is no longer `old` (the password changed meanwhile). Leaves sessions alone.
    async fn replace_password_hash(&self, id: Uuid, old: String, new: String) -> DomainResult<()>;

    /// Live members of a group with their group role, newest membership first.
    async fn list_group_members(&self, group_id: Uuid, page: PageRequest) -> DomainResult<Page<(Account, GroupRole)>>;

    /// Sets a new password in one transaction: redeems the code (when the reset comes from one), stores the
    /// hash, revokes every session of the account, and clears the login lockout counter.
    ///
    /// Returns `false`, writing nothing, when the code was already redeemed (two resets racing with one code)
    /// or the stored hash is no longer `replaces_hash`.
    async fn reset_password(&self, reset: &PasswordReset) -> DomainResult<bool>;
}

/// Accounts' links to identities at external sign-in providers (GitHub, Google, OpenID Connect).
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait IdentityRepository: Send + Sync {
    /// The live account linked to this provider identity.
    async fn find_live_by_identity(&self, provider: &str, subject: &str) -> DomainResult<Option<Account>>;

    /// The provider identities linked to the account, oldest first.
    async fn identities(&self, account_id: Uuid) -> DomainResult<Vec<LinkedIdentity>>;

    /// Records a sign-in through a provider in one transaction: links the identity when the link is missing
    /// (keeping its email current otherwise), merges the provider's claims into the account's `attributes`
    /// (the provider's keys win), and records the login when asked; the account's `source` stays.
    ///
    /// # Errors
    /// [`DomainError::Conflict`] naming `identity` when the identity is linked to another account, or the account
    /// to another identity at this provider; [`DomainError::AccountBanned`] when the account is deleted, banned or
    /// closed. Nothing is written then.
    async fn record_identity_sign_in(&self, sign_in: &IdentitySignIn) -> DomainResult<()>;

    /// Removes the account's link to this provider, unless it is the account's only way in (no password, no
    /// other link): decided and written in one transaction.
    async fn unlink_identity(&self, account_id: Uuid, provider: &str) -> DomainResult<Unlinked>;
}

/// What [`IdentityRepository::unlink_identity`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unlinked {
    /// The link is gone.
    Removed,
    /// The account had no link to the provider.
    NotLinked,
    /// The link is the account's only way in: kept.
    OnlyWayIn,
}

/// A new account with the memberships it starts with.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAccountEntry {
    /// The account.
    pub account: Account,
    /// Its group memberships.
    pub groups: Vec<GroupMembership>,
    /// Its workspace memberships.
    pub tenants: Vec<WorkspaceMembership>,
}

/// Identifiers whose owners are looked up before a batch is written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WantedIdentifiers {
    /// Account ids (any account, deleted ones included: ids are never reused).
    pub ids: Vec<Uuid>,
    /// Login names.
    pub usernames: Vec<String>,
    /// Phone numbers.
    pub phones: Vec<String>,
    /// Email keys (lower-cased addresses).
    pub email_keys: Vec<String>,
    /// Ids in the external directory.
    pub external_ids: Vec<String>,
}

/// A password set by someone who proved control of the address, or by an admin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordReset {
    /// The account.
    pub account_id: Uuid,
    /// The new hash.
    pub password_hash: String,
    /// When.
    pub at: OffsetDateTime,
    /// The admin who set it; `None` when the account holder did (which also clears the demands for a password
    /// change at the next or first login).
    pub changed_by: Option<Uuid>,
    /// The code token's digest, redeemed in the same transaction.
    pub code: Option<String>,
    /// The login lockout counter to clear.
    pub lockout_key: String,
    /// Change only while this is still the stored hash (a one-time step racing with itself); `None`: always.
    pub replaces_hash: Option<String>,
}

/// A change to an account, written in one transaction by [`AccountRepository::update_batch`].
#[derive(Debug, Clone, PartialEq)]
pub struct AccountChange {
    /// The account as it should be stored.
    pub account: Account,
    /// `updated_at` as read before the change (optimistic concurrency check).
    pub expected_updated_at: OffsetDateTime,
    /// A new role in a group the account belongs to.
    pub group_role: Option<(Uuid, GroupRole)>,
    /// Revoke every live session of the account at this time.
    pub revoke_sessions_at: Option<OffsetDateTime>,
}

/// Installation state: setup, and self-registration founding a group.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait InstallationRepository: Send + Sync {
    /// When setup finished, or `None` before it.
    async fn setup_completed_at(&self) -> DomainResult<Option<OffsetDateTime>>;

    /// Writes everything setup creates in one transaction.
    ///
    /// # Errors
    /// [`DomainError::AlreadySetup`] when setup has already run or a workspace exists.
    async fn install(&self, installation: &Installation) -> DomainResult<()>;

    /// Writes a self-registration in one transaction, redeeming its code and linking its provider identity.
    ///
    /// Returns `false`, writing nothing, when the code was already redeemed.
    ///
    /// # Errors
    /// [`DomainError::Conflict`] naming `email` when a live account took the address meanwhile, `identity` when
    /// another account took the provider identity.
    async fn register(&self, registration: &Registration) -> DomainResult<bool>;
}

/// Enterprise groups and their members.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait GroupRepository: Send + Sync {
    /// The account's group memberships (active groups only).
    async fn group_memberships(&self, account_id: Uuid) -> DomainResult<Vec<GroupMembership>>;

    /// Creates a group with its shadow tenant and the given memberships, in one transaction.
    ///
    /// # Errors
    /// [`DomainError::Conflict`] naming `name` when a group that is not archived has this name.
    async fn create_group(&self, group: &GroupCreation) -> DomainResult<()>;

    /// The group with this id, archived ones included.
    async fn get_group(&self, id: Uuid) -> DomainResult<Option<EnterpriseGroup>>;

    /// Groups the account belongs to with its role there, newest membership first; only groups in `status`
    /// when given.
    async fn groups_of(
        &self,
        account_id: Uuid,
        status: Option<GroupStatus>,
        page: PageRequest,
    ) -> DomainResult<Page<(EnterpriseGroup, GroupRole)>>;

    /// Saves a group's name, short name, status and workspace defaults (and renames its shadow tenant).
    ///
    /// # Errors
    /// [`DomainError::NotFound`] for an unknown group; [`DomainError::Conflict`] naming `name`.
    async fn update_group(&self, group: &EnterpriseGroup) -> DomainResult<()>;

    /// The account's memberships of the group's workspaces in status normal (not the shadow tenant), newest
    /// workspace first.
    async fn memberships_in_group(
        &self,
        group_id: Uuid,
        account_id: Uuid,
    ) -> DomainResult<Vec<(Workspace, WorkspaceMembership)>>;

    /// Ids of the groups that are not archived.
    async fn active_group_ids(&self) -> DomainResult<Vec<Uuid>>;

    /// A group with all its workspaces (shadow included) and all memberships of both.
    ///
    /// # Errors
    /// [`DomainError::NotFound`] for an unknown group.
    async fn group_snapshot(&self, group_id: Uuid) -> DomainResult<GroupSnapshot>;

    /// Applies a group's repairs in one transaction.
    async fn apply_group_repair(&self, repair: &GroupRepair) -> DomainResult<()>;
}

/// Workspaces (tenants), their members and each account's current workspace.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait WorkspaceRepository: Send + Sync {
    /// The account's current workspace (status normal) and its membership. When none is marked current, the
    /// oldest normal membership becomes current. `None` when the account has no normal workspace.
    async fn current_workspace_of(&self, account_id: Uuid) -> DomainResult<Option<(Workspace, WorkspaceMembership)>>;

    /// The workspace with this id.
    async fn get_workspace(&self, id: Uuid) -> DomainResult<Option<Workspace>>;

    /// The workspace with this code.
    async fn find_workspace_by_code(&self, code: &str) -> DomainResult<Option<Workspace>>;

    /// Creates a workspace with its owner's membership, in one transaction.
    ///
    /// # Errors
    /// [`DomainError::Conflict`] naming `name` when the group already has a workspace of this name.
    async fn create_workspace(&self, tenant: &Workspace, owner: &WorkspaceMembership) -> DomainResult<()>;

    /// Workspaces of a group in `scope`, never its shadow tenant, newest first; only workspaces in `status`
    /// when given.
    async fn group_workspaces(
        &self,
        group_id: Uuid,
        scope: WorkspaceScope,
        status: Option<WorkspaceStatus>,
        page: PageRequest,
    ) -> DomainResult<Page<Workspace>>;

    /// The account's memberships of workspaces in status normal, oldest first.
    async fn workspaces_of(&self, account_id: Uuid) -> DomainResult<Vec<(Workspace, WorkspaceMembership)>>;

    /// The account's membership of the workspace, if any.
    async fn workspace_membership(
        &self,
        tenant_id: Uuid,
        account_id: Uuid,
    ) -> DomainResult<Option<WorkspaceMembership>>;

    /// Live members of a workspace with their memberships, owner first, then by join time.
    async fn workspace_members_of(&self, tenant_id: Uuid) -> DomainResult<Vec<(Account, WorkspaceMembership)>>;

    /// [`WorkspaceRepository::workspace_members_of`] for each of these workspaces, in their order. By default one
    /// call per workspace; a store should read them together.
    async fn members_of_workspaces(
        &self,
        tenant_ids: &[Uuid],
    ) -> DomainResult<Vec<Vec<(Account, WorkspaceMembership)>>> {
        let mut all = Vec::with_capacity(tenant_ids.len());
        for id in tenant_ids {
            all.push(self.workspace_members_of(*id).await?);
        }
        Ok(all)
    }

    /// As the workspace's owner `owner_id`, gives another member a new role; making it owner turns `owner_id`
    /// into an admin. Checked and written in one transaction, so a workspace always has exactly one owner.
    ///
    /// # Errors
    /// [`DomainError::Forbidden`] when `owner_id` is not (or no longer) the owner; [`DomainError::NotFound`] when
    /// the account is not a member; [`DomainError::Stale`] when it became the owner meanwhile.
    async fn set_workspace_role(
        &self,
        tenant_id: Uuid,
        owner_id: Uuid,
        account_id: Uuid,
        role: WorkspaceRole,
    ) -> DomainResult<()>;

    /// As the workspace's owner `owner_id`, removes another member, in one transaction.
    ///
    /// # Errors
    /// As [`WorkspaceRepository::set_workspace_role`].
    async fn remove_workspace_member(&self, tenant_id: Uuid, owner_id: Uuid, account_id: Uuid) -> DomainResult<()>;

    /// Up to `limit` accounts that belong to a workspace in status normal but have no current workspace.
    async fn accounts_without_current_workspace(&self, limit: i64) -> DomainResult<Vec<Uuid>>;

    /// Makes the workspace the account's current one.
    ///
    /// # Errors
    /// [`DomainError::NotFound`] when the account is not a member of it.
    async fn switch_workspace_of(&self, account_id: Uuid, tenant_id: Uuid) -> DomainResult<()>;

    /// Writes a workspace and changes to its members in one transaction ([`WorkspaceWrite`]).
    ///
    /// # Errors
    /// [`DomainError::Conflict`] naming `name` when the group has another workspace of this name;
    /// [`DomainError::Stale`] when the workspace changed since `expected_updated_at` (or is gone).
    async fn save_workspace(&self, write: &WorkspaceWrite) -> DomainResult<()>;
}

/// A workspace written with changes to its members, in one transaction.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkspaceWrite {
    /// The workspace as it should be stored.
    pub workspace: Workspace,
    /// `None` for a new workspace (inserted); else its `updated_at` as read (the optimistic check).
    pub expected_updated_at: Option<OffsetDateTime>,
    /// Group memberships of accounts joining the workspace's group; one the account gained meanwhile is kept.
    pub join_group: Vec<GroupMembership>,
    /// Workspace memberships added; one that exists meanwhile is kept as it is.
    pub add: Vec<WorkspaceMembership>,
    /// Accounts whose membership of the workspace ends (never its owner).
    pub remove: Vec<Uuid>,
}

/// Workspace invitations.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait InvitationRepository: Send + Sync {
    /// Writes an invitation request (new pending accounts, memberships, tokens) in one transaction.
    ///
    /// # Errors
    /// [`DomainError::Conflict`] when a new account's email was taken meanwhile.
    async fn save_invitations(&self, batch: &InvitationBatch) -> DomainResult<()>;

    /// The invitation of this token if it was not redeemed yet (expired ones included).
    async fn find_invitation(&self, token: Uuid) -> DomainResult<Option<Invitation>>;

    /// Redeems the invitation, saves the activated account and makes the invitation's workspace its current
    /// one, in one transaction. Returns false (and writes nothing) when the invitation was redeemed meanwhile or
    /// the account is no longer a live pending account.
    ///
    /// # Errors
    /// [`DomainError::InvalidInvitation`] (nothing written) when the account stopped being a live pending account.
    async fn redeem_invitation(
        &self,
        token: Uuid,
        account: &Account,
        tenant_id: Uuid,
        now: OffsetDateTime,
    ) -> DomainResult<bool>;
}

/// A group with everything the repairs look at.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupSnapshot {
    /// The group.
    pub group: EnterpriseGroup,
    /// Its workspaces, the shadow tenant included when it exists.
    pub tenants: Vec<Workspace>,
    /// Its members.
    pub members: Vec<GroupMembership>,
    /// Memberships of its workspaces.
    pub tenant_members: Vec<WorkspaceMembership>,
}

/// Changes that restore a group's invariants, written in one transaction.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GroupRepair {
    /// A shadow tenant to create.
    pub create_shadow: Option<Workspace>,
    /// Memberships to add.
    pub add_tenant_members: Vec<WorkspaceMembership>,
    /// `(workspace, account, role)` role changes (owners for workspaces without one).
    pub set_roles: Vec<(Uuid, Uuid, WorkspaceRole)>,
    /// `(workspace, settings)` replacements.
    pub settings: Vec<(Uuid, serde_json::Value)>,
}

impl GroupRepair {
    /// True when there is nothing to do.
    pub fn is_empty(&self) -> bool {
        self.create_shadow.is_none()
            && self.add_tenant_members.is_empty()
            && self.set_roles.is_empty()
            && self.settings.is_empty()
    }
}

/// Which workspaces of a group a listing wants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkspaceScope {
    /// All of them.
    All,
    /// Those the account is a member of.
    JoinedBy(Uuid),
    /// Those the account is not a member of.
    NotJoinedBy(Uuid),
    /// Those where the account is owner or admin, or holds `permission` when given.
    ManagedBy {
        /// The account.
        account: Uuid,
        /// An extra right that also counts as managing.
        permission: Option<WorkspacePermission>,
    },
}

/// Everything creating a group writes, in one transaction.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupCreation {
    /// The group.
    pub group: EnterpriseGroup,
    /// Its shadow tenant (same id).
    pub shadow: Workspace,
    /// Group memberships (the creator as super admin).
    pub members: Vec<GroupMembership>,
    /// Shadow-tenant memberships.
    pub tenant_members: Vec<WorkspaceMembership>,
}

/// Who a dataset listing is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatasetViewer {
    /// Sees every dataset in scope.
    All,
    /// Sees what `account` may see: its own datasets, `all_team_members` ones of workspaces it belongs to,
    /// `partial_members` ones that list it, and (in group listings) `all_group` ones.
    Member(Uuid),
}

/// Datasets (knowledge-base metadata).
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait DatasetRepository: Send + Sync {
    /// Stores a new dataset with its partial-member list, in one transaction.
    async fn insert(&self, dataset: &Dataset) -> DomainResult<()>;

    /// The dataset with this id, with its partial-member list.
    async fn get(&self, id: Uuid) -> DomainResult<Option<Dataset>>;

    /// Saves every field and replaces the partial-member list, in one transaction.
    ///
    /// # Errors
    /// [`DomainError::NotFound`] for an unknown dataset.
    async fn update(&self, dataset: &Dataset) -> DomainResult<()>;

    /// Deletes the dataset and its partial-member list.
    ///
    /// # Errors
    /// [`DomainError::NotFound`] for an unknown dataset.
    async fn delete(&self, id: Uuid) -> DomainResult<()>;

    /// Datasets of a workspace visible to `viewer` whose name contains `keyword` (case-insensitive), newest
    /// first.
    async fn list_in_workspace(
        &self,
        tenant_id: Uuid,
        viewer: DatasetViewer,
        keyword: Option<String>,
        page: PageRequest,
    ) -> DomainResult<Page<DatasetView>>;

    /// Datasets of a group's workspaces and its shadow workspace visible to `viewer` (for a member: of the
    /// workspaces it belongs to, plus every `all_group` one), whose name contains `search`, newest first.
    async fn list_in_group(
        &self,
        group_id: Uuid,
        viewer: DatasetViewer,
        search: Option<String>,
        page: PageRequest,
    ) -> DomainResult<Page<DatasetView>>;
}

/// Console login sessions and their refresh tokens (stored as digests only).
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait SessionRepository: Send + Sync {
    /// Starts a session whose first refresh token has digest `token_digest`, valid until `token_expires_at`.
    async fn start(
        &self,
        session: &LoginSession,
        token_digest: &str,
        token_expires_at: OffsetDateTime,
    ) -> DomainResult<()>;

    /// The unrevoked session the token digest belongs to, whatever the token's own state.
    async fn find_by_token(&self, token_digest: &str) -> DomainResult<Option<LoginSession>>;

    /// Atomically replaces a live token by a new one. A token that was already rotated revokes its whole
    /// session and yields [`RefreshOutcome::Reused`]; an unknown, expired or revoked one yields `Invalid`.
    async fn rotate(
        &self,
        old_digest: &str,
        new_digest: &str,
        new_expires_at: OffsetDateTime,
        now: OffsetDateTime,
    ) -> DomainResult<RefreshOutcome>;

    /// Revokes the session of this token if it belongs to `account_id`. Returns whether one was revoked.
    async fn revoke_by_token(&self, account_id: Uuid, token_digest: &str, now: OffsetDateTime) -> DomainResult<bool>;

    /// Revokes the account's most recently used live session, if any.
    async fn revoke_latest(&self, account_id: Uuid, now: OffsetDateTime) -> DomainResult<bool>;
}

/// Counters with a time window (login failures, mail throttles), kept in the database so every server
/// instance sees the same numbers.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait ThrottleRepository: Send + Sync {
    /// Adds one to `key` and returns the new count. A counter whose window ended restarts at one with a new
    /// window of `window` from `now`.
    async fn hit(&self, key: &str, now: OffsetDateTime, window: Duration) -> DomainResult<i64>;

    /// The count of `key` within its window (0 when absent or ended).
    async fn count(&self, key: &str, now: OffsetDateTime) -> DomainResult<i64>;

    /// Removes the counter.
    async fn clear(&self, key: &str) -> DomainResult<()>;

    /// Records `key` as used until `expires_at`; false when it is already recorded and not yet expired at
    /// `now` (request nonces: each is accepted once, across every instance).
    async fn use_once(&self, key: &str, now: OffsetDateTime, expires_at: OffsetDateTime) -> DomainResult<bool>;
}

/// One-time codes mailed to addresses (forgot-password, registration).
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait CodeRepository: Send + Sync {
    /// Stores a new code and the mail carrying it in one transaction, retiring the unredeemed codes of the
    /// same purpose and address.
    async fn issue(&self, code: &VerificationCode, mail: &OutboxMail) -> DomainResult<()>;

    /// The code named by a token digest, whatever its state.
    async fn find(&self, token_digest: &str) -> DomainResult<Option<VerificationCode>>;

    /// Counts one code entry and returns the new count, atomically, so parallel guesses each take a number;
    /// `None` when the code is unknown, expired, redeemed or replaced.
    async fn count_attempt(&self, token_digest: &str, now: OffsetDateTime) -> DomainResult<Option<i32>>;

    /// Records that the right code was entered; the token then works until `valid_until`.
    async fn mark_verified(
        &self,
        token_digest: &str,
        now: OffsetDateTime,
        valid_until: OffsetDateTime,
    ) -> DomainResult<()>;
}

/// Access keys of accounts (machine credentials). Every change is written with its audit event, in one
/// transaction.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait AccessKeyRepository: Send + Sync {
    /// Stores a new key.
    ///
    /// # Errors
    /// [`DomainError::ActiveKeyLimit`] when the account already has `max_active` active keys (checked under a
    /// lock on the account, so parallel requests cannot exceed it).
    async fn insert(&self, key: &AccessKey, max_active: i64, audit: &AuditEvent) -> DomainResult<()>;

    /// The account's keys that are not deleted, oldest first.
    async fn list(&self, account_id: Uuid) -> DomainResult<Vec<AccessKey>>;

    /// The key with this id, unless deleted.
    async fn get(&self, id: Uuid) -> DomainResult<Option<AccessKey>>;

    /// The key with this public access key, unless deleted.
    async fn find_by_access_key(&self, access_key: &str) -> DomainResult<Option<AccessKey>>;

    /// Enables or disables a key.
    ///
    /// # Errors
    /// [`DomainError::ActiveKeyLimit`] when enabling would exceed `max_active`; `NotFound` for a deleted key.
    async fn set_status(
        &self,
        id: Uuid,
        status: AccessKeyStatus,
        max_active: i64,
        audit: &AuditEvent,
    ) -> DomainResult<()>;

    /// Deletes a key (it stops working at once; the row stays for the audit trail).
    async fn delete(&self, id: Uuid, at: OffsetDateTime, audit: &AuditEvent) -> DomainResult<()>;

    /// Records a successful use: `last_used_at` and the audit event.
    async fn record_use(&self, id: Uuid, at: OffsetDateTime, audit: &AuditEvent) -> DomainResult<()>;
}

/// Seals access-key secrets for storage (AEAD): the machine dialects that sign requests need the secret back.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
pub trait SecretCipher: Send + Sync {
    /// Encrypts `secret`, bound to `context` (the key's id), with a fresh nonce.
    fn seal(&self, context: &str, secret: &str) -> DomainResult<Vec<u8>>;
    /// Decrypts what [`SecretCipher::seal`] made for the same `context`.
    ///
    /// # Errors
    /// [`DomainError::Internal`] when the ciphertext was altered or sealed under another key or context.
    fn open(&self, context: &str, sealed: &[u8]) -> DomainResult<String>;
}

/// The mail outbox: mails written with the change they belong to, sent later by a worker.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait OutboxRepository: Send + Sync {
    /// Adds a mail on its own (mails that belong to a change are written by that change's method).
    async fn enqueue(&self, mail: &OutboxMail) -> DomainResult<()>;

    /// Claims up to `limit` due, unclaimed mails for `lease` and counts an attempt on each, atomically: two
    /// workers never claim the same mail while a lease runs. A claimed row whose content cannot be read is
    /// given up on the spot (failed, with the reason) instead of being returned.
    async fn claim_due(&self, now: OffsetDateTime, lease: Duration, limit: i64) -> DomainResult<Vec<OutboxMail>>;

    /// Marks a mail sent under the claim `claim` (its `claimed_until` when claimed) and drops its content
    /// (codes do not stay in the database). `false` when it was already marked or the claim was lost.
    async fn mark_sent(&self, id: Uuid, claim: OffsetDateTime, now: OffsetDateTime) -> DomainResult<bool>;

    /// Records a failed attempt under the claim `claim`: due again at `retry_at`, or given up (failed, content
    /// dropped) when `None`. Does nothing when the claim was lost.
    async fn mark_attempt_failed(
        &self,
        id: Uuid,
        claim: OffsetDateTime,
        error: &str,
        retry_at: Option<OffsetDateTime>,
        now: OffsetDateTime,
    ) -> DomainResult<()>;

    /// Mails in a state, newest first.
    async fn list(&self, state: OutboxState, page: PageRequest) -> DomainResult<Page<OutboxMail>>;
}

/// Result of checking a password against a stored hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordCheck {
    /// Right password. `needs_rehash` when the hash is of an older scheme or cost.
    Match {
        /// The stored hash should be replaced by a fresh one.
        needs_rehash: bool,
    },
    /// Wrong password, or no hash to check against.
    Mismatch,
}

/// Password hashing. Implementations bound concurrent hashing to about the number of cores and never run
/// it on the caller's thread.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait PasswordHasher: Send + Sync {
    /// A new hash of the password.
    async fn hash(&self, password: &Password) -> DomainResult<String>;

    /// Checks the password. With `hash = None` the same work is spent against a dummy hash (no timing
    /// oracle for unknown accounts) and the answer is [`PasswordCheck::Mismatch`].
    async fn verify(&self, password: &Password, hash: Option<String>) -> DomainResult<PasswordCheck>;

    /// New hashes of several passwords (a batch), in their order; `None` stays `None`. The hasher may work on
    /// them in parallel within its bound.
    ///
    /// # Errors
    /// The first failure of [`PasswordHasher::hash`].
    async fn hash_all(&self, passwords: Vec<Option<Password>>) -> DomainResult<Vec<Option<String>>>;
}

/// Claims of a verified console access token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccessClaims {
    /// Account the token was issued to.
    pub account_id: Uuid,
    /// When it was issued.
    pub issued_at: OffsetDateTime,
    /// When it expires.
    pub expires_at: OffsetDateTime,
    /// The account's token generation it was issued under; `None` for generation 0 and for tokens issued
    /// before generations existed.
    pub generation: Option<i64>,
}

/// Console access tokens (HS256 JWT `{user_id, exp, iss, sub}`, plus `gen` once the account's tokens were
/// revoked).
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
pub trait AccessTokenCodec: Send + Sync {
    /// A token for the account under its token `generation`, issued at `now`, expiring after the configured
    /// lifetime or at `not_after` (the end of its session), whichever comes first.
    fn issue(
        &self,
        account_id: Uuid,
        generation: i64,
        now: OffsetDateTime,
        not_after: OffsetDateTime,
    ) -> DomainResult<String>;

    /// Verifies signature, algorithm, issuer, subject and expiry at `now`.
    ///
    /// # Errors
    /// [`DomainError::Unauthenticated`] with "Invalid token signature.", "Token has expired." or "Invalid token.".
    fn verify(&self, token: &str, now: OffsetDateTime) -> DomainResult<AccessClaims>;

    /// A short-lived token that only `step` of a sign-in accepts (never an access token, nor another step's).
    fn issue_step(
        &self,
        step: SignInStep,
        account_id: Uuid,
        generation: i64,
        now: OffsetDateTime,
    ) -> DomainResult<String>;

    /// Verifies a token of `step`, as [`Self::verify`] does an access token.
    ///
    /// # Errors
    /// [`DomainError::Unauthenticated`].
    fn verify_step(&self, step: SignInStep, token: &str, now: OffsetDateTime) -> DomainResult<AccessClaims>;
}

/// A step a sign-in must pass after the right password and before tokens are issued. Its token is accepted by
/// that step only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignInStep {
    /// A new password must be set (ten minutes).
    PasswordChange,
    /// A code of the account's second factor must be entered (five minutes).
    SecondFactor,
    /// A second factor must be enrolled first (ten minutes); the token allows enrolment only.
    Enrollment,
}

/// New secrets handed to clients (stored only as digests) and the digests stored for them.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
pub trait TokenFactory: Send + Sync {
    /// A new refresh token: 128 lowercase hex characters from a CSPRNG.
    fn new_refresh_token(&self) -> String;
    /// The digest stored in place of a token.
    fn digest(&self, token: &str) -> String;
    /// A new access key pair: the public key id and the secret, both from a CSPRNG, letters and digits only.
    fn new_access_key(&self) -> (String, String);
    /// A new one-time code: six decimal digits from a CSPRNG.
    fn new_code(&self) -> String;
    /// A keyed digest of `code` bound to the token that names it (a database leak alone does not reveal codes).
    fn code_digest(&self, token_digest: &str, code: &str) -> String;
}

/// Checks of what a client presents against what is kept, each in constant time.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
pub trait SecretVerifier: Send + Sync {
    /// Whether two secrets are equal.
    fn secrets_equal(&self, a: &str, b: &str) -> bool;
    /// Whether `code` matches `digest` (made by [`TokenFactory::code_digest`] for the same token).
    fn code_matches(&self, token_digest: &str, code: &str, digest: &str) -> bool;
    /// Whether `signature` is the HMAC-SHA256 of `message` under `secret`.
    fn signature_matches(&self, secret: &str, message: &[u8], signature: &[u8]) -> bool;
}

/// Second factors: the account's TOTP factor and its recovery codes.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait MfaRepository: Send + Sync {
    /// The account's TOTP factor, confirmed or not.
    async fn totp(&self, account_id: Uuid) -> DomainResult<Option<TotpFactor>>;

    /// Stores a new unconfirmed factor, replacing an unconfirmed one.
    ///
    /// # Errors
    /// [`DomainError::SecondFactorExists`] when the account has a confirmed factor.
    async fn begin_totp(&self, factor: &TotpFactor) -> DomainResult<()>;

    /// Confirms the account's unconfirmed factor (whose secret is `secret_ciphertext`), records `step` as its last
    /// used time step, and replaces the account's recovery codes by `recovery_digests`, in one transaction with
    /// `audit`. `false` when no such unconfirmed factor exists any more.
    async fn confirm_totp(
        &self,
        account_id: Uuid,
        secret_ciphertext: &[u8],
        step: i64,
        at: OffsetDateTime,
        recovery_digests: &[String],
        audit: &AuditEvent,
    ) -> DomainResult<bool>;

    /// Records `step` as the factor's last used time step when it is later than the one recorded: `false` when
    /// a code of this or a later step was accepted already (a replay), so each code works once.
    async fn use_totp_step(&self, account_id: Uuid, step: i64) -> DomainResult<bool>;

    /// Marks an unused recovery code of the account used: `false` when there is no such unused code.
    async fn use_recovery_code(&self, account_id: Uuid, digest: &str, at: OffsetDateTime) -> DomainResult<bool>;

    /// Recovery codes of the account not used yet.
    async fn recovery_codes_left(&self, account_id: Uuid) -> DomainResult<i64>;

    /// Removes the account's factor and recovery codes, in one transaction with `audit`: `false` when it had
    /// none.
    async fn remove_totp(&self, account_id: Uuid, audit: &AuditEvent) -> DomainResult<bool>;
}

/// Time-based one-time passwords (RFC 6238: SHA-1, six digits, 30-second steps) and recovery codes.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
pub trait OneTimePasswords: Send + Sync {
    /// A new secret from a CSPRNG (160 bits), base32 without padding as authenticator apps take it.
    ///
    /// # Errors
    /// When no secret can be made.
    fn new_totp_secret(&self) -> DomainResult<String>;

    /// The `otpauth://totp/…` URI of `secret` for `account_name` (its email) under `issuer`, which authenticator
    /// apps read from a QR code.
    ///
    /// # Errors
    /// When the secret is not base32.
    fn totp_uri(&self, secret: &str, issuer: &str, account_name: &str) -> DomainResult<String>;

    /// The time step (Unix time / 30) at which `code` is the code of `secret`, looking at the step of `now` and
    /// one step either side (clock skew); `None` when it is none of them.
    fn totp_step(&self, secret: &str, code: &str, now: OffsetDateTime) -> Option<i64>;

    /// A new recovery code from a CSPRNG: ten lowercase letters and digits as `xxxxx-xxxxx`.
    ///
    /// # Errors
    /// When no code can be made.
    fn new_recovery_code(&self) -> DomainResult<String>;
}

/// Outcomes of authentication, reported for monitoring (metrics). A report must neither block nor fail.
pub trait AuthEvents: Send + Sync {
    /// A sign-in was refused for a wrong password or an unknown address, or a wrong second-factor code.
    fn sign_in_failed(&self);
    /// A sign-in was refused because its address is locked after too many failures.
    fn sign_in_locked(&self);
    /// An access key did not authenticate a machine request.
    fn access_key_refused(&self, reason: crate::KeyRefusal);
}

/// Reports authentication outcomes nowhere.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoAuthEvents;

impl AuthEvents for NoAuthEvents {
    fn sign_in_failed(&self) {}
    fn sign_in_locked(&self) {}
    fn access_key_refused(&self, _: crate::KeyRefusal) {}
}

/// Signs links to uploaded files (avatars).
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
pub trait FileUrlSigner: Send + Sync {
    /// A signed preview URL for the file id, valid from `now`.
    fn preview_url(&self, file_id: &str, now: OffsetDateTime) -> String;
}

/// The audit log, for reading (events are written by the repositories, in the transaction of their change).
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait AuditLog: Send + Sync {
    /// Events matching `query`, newest first (by time, then id), at most `query.limit`.
    async fn list_audit_events(&self, query: &AuditQuery) -> DomainResult<Vec<AuditEvent>>;
}

/// What has outlived its use, by cut-off: rows past these times are removed by [`Housekeeping::purge_batch`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PurgeCutoffs {
    /// Counters, sign-in states and request nonces whose window or lifetime ended before this are removed.
    pub expired_before: OffsetDateTime,
    /// Sessions ended (revoked or past their absolute lifetime), refresh tokens expired, codes expired and mails
    /// sent or given up before this are removed (kept a while after, for investigations).
    pub ended_before: OffsetDateTime,
}

/// How many rows one purge removed, by kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PurgeReport {
    /// Ended login sessions (with their refresh tokens).
    pub sessions: u64,
    /// Expired refresh tokens of sessions still alive (rotated ones, kept until then to detect reuse).
    pub refresh_tokens: u64,
    /// Expired one-time codes.
    pub codes: u64,
    /// Counters and sign-in states whose window ended.
    pub throttles: u64,
    /// Expired request nonces.
    pub nonces: u64,
    /// Mails sent or given up.
    pub mails: u64,
}

impl PurgeReport {
    /// Rows removed in all.
    pub fn total(&self) -> u64 {
        self.sessions + self.refresh_tokens + self.codes + self.throttles + self.nonces + self.mails
    }

    /// Adds another purge's counts.
    pub fn add(&mut self, other: &Self) {
        self.sessions += other.sessions;
        self.refresh_tokens += other.refresh_tokens;
        self.codes += other.codes;
        self.throttles += other.throttles;
        self.nonces += other.nonces;
        self.mails += other.mails;
    }

    /// The largest count of one kind (a batch is done when every kind fell short of the batch size).
    pub fn largest(&self) -> u64 {
        [self.sessions, self.refresh_tokens, self.codes, self.throttles, self.nonces, self.mails]
            .into_iter()
            .max()
            .unwrap_or(0)
    }
}

/// Removes rows that have outlived their use, in bounded batches (safe with several instances at once).
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait Housekeeping: Send + Sync {
    /// Removes at most `batch` rows of each kind past `cutoffs`, each kind in its own short statement.
    async fn purge_batch(&self, cutoffs: &PurgeCutoffs, batch: u32) -> DomainResult<PurgeReport>;
}

/// Whether storage answers.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait StoreHealth: Send + Sync {
    /// Whether storage can be expected to answer, found out quickly (a readiness probe must not queue behind
    /// requests).
    async fn ping(&self) -> DomainResult<()>;
}

/// Sends mail.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait Mailer: Send + Sync {
    /// True when mail really leaves the system (SMTP configured).
    fn is_configured(&self) -> bool;
    /// Renders and delivers one mail.
    ///
    /// # Errors
    /// [`DomainError::Internal`] carrying the transport's error text when the mail was not accepted.
    async fn send(&self, mail: &Mail) -> DomainResult<()>;
}

/// The secrets of one sign-in attempt at a provider, made when the browser is sent there and needed again when it
/// comes back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizationRequest {
    /// The `state` parameter (the browser must come back with it).
    pub state: String,
    /// The OpenID Connect `nonce` the ID token must carry.
    pub nonce: String,
    /// The PKCE code verifier (its S256 challenge goes to the provider).
    pub pkce_verifier: String,
}

/// The external sign-in providers: GitHub, Google and OpenID Connect providers configured by name.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait SignInProviders: Send + Sync {
    /// Names of the configured providers, in configuration order.
    fn names(&self) -> Vec<String>;

    /// The provider's URL to send the browser to (with the request's state, nonce and PKCE challenge, and the
    /// callback address); `None` when no provider has this name.
    ///
    /// # Errors
    /// [`DomainError::SignInRefused`] with `ProviderFailed` when the provider's metadata cannot be loaded.
    async fn authorization_url(&self, provider: &str, request: &AuthorizationRequest) -> DomainResult<Option<String>>;

    /// Redeems an authorization code of `request` and says who signed in: the ID token validated (issuer,
    /// audience, expiry, nonce, signature by the provider's published keys) or, for GitHub, the user read from
    /// its API.
    ///
    /// # Errors
    /// [`DomainError::SignInRefused`] with `ProviderFailed` when the provider refuses the code or its answer
    /// fails validation; `UnknownProvider` for an unknown name.
    async fn identify(
        &self,
        provider: &str,
        code: &str,
        request: &AuthorizationRequest,
    ) -> DomainResult<ExternalIdentity>;
}

/// No sign-in provider configured.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoSignInProviders;

#[async_trait]
impl SignInProviders for NoSignInProviders {
    fn names(&self) -> Vec<String> {
        Vec::new()
    }

    async fn authorization_url(&self, _: &str, _: &AuthorizationRequest) -> DomainResult<Option<String>> {
        Ok(None)
    }

    async fn identify(&self, _: &str, _: &str, _: &AuthorizationRequest) -> DomainResult<ExternalIdentity> {
        Err(DomainError::SignInRefused(crate::SignInRefusal::UnknownProvider))
    }
}
