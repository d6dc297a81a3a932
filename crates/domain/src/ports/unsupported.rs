//! [`Unsupported`]: an adapter for every port a service does not provide. A service that embeds the domain
//! and runs only some use cases implements the ports those use cases need and fills the rest with this one
//! (see [`crate::usecases::Ports::minimal`]). A call that reaches it fails with [`DomainError::Internal`]
//! naming the port and method, so a missing adapter shows up in the first test that needs it.

use async_trait::async_trait;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use super::*;
use crate::error::{DomainError, DomainResult};
use crate::model::{
    AccessKey, AccessKeyStatus, Account, AccountFilter, AccountOrder, AuditEvent, AuditQuery, Dataset, DatasetView,
    EnterpriseGroup, GroupMembership, GroupRole, GroupStatus, IdentitySignIn, Installation, Invitation,
    InvitationBatch, LinkedIdentity, LoginSession, Mail, OutboxMail, OutboxState, Page, PageRequest, RefreshOutcome,
    Registration, TotpFactor, VerificationCode, Workspace, WorkspaceMembership, WorkspaceRole, WorkspaceStatus,
};
use crate::values::Password;

/// A port that is not provided: every method that can fail does, with [`DomainError::Internal`] naming the port
/// and method; [`Mailer::is_configured`] is false.
///
/// ```
/// use domain::ports::{AccountRepository, Unsupported};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let refused = AccountRepository::get(&Unsupported, uuid::Uuid::nil()).await.unwrap_err();
/// assert_eq!(refused.to_string(), "internal error: AccountRepository::get is not provided by this service");
/// # }
/// ```
#[derive(Debug, Default, Clone, Copy)]
pub struct Unsupported;

fn not_provided(port: &str, method: &str) -> DomainError {
    DomainError::internal_msg(format!("{port}::{method} is not provided by this service"))
}

/// Implements each listed async port for [`Unsupported`], every method refusing.
macro_rules! refuse_all {
    ($($port:ident { $(fn $method:ident($($arg:ty),*) -> $ret:ty;)* })*) => {$(
        #[async_trait]
        impl $port for Unsupported {
            $(async fn $method(&self, $(_: $arg),*) -> $ret {
                Err(not_provided(stringify!($port), stringify!($method)))
            })*
        }
    )*};
}

refuse_all! {
    AccountRepository {
        fn get(Uuid) -> DomainResult<Option<Account>>;
        fn find_live_by_email(&str) -> DomainResult<Option<Account>>;
        fn search(Option<String>, i64, i64, bool) -> DomainResult<(Vec<Account>, Option<i64>)>;
        fn filter(Option<AccountFilter>, AccountOrder, i64, i64) -> DomainResult<(Vec<Account>, i64)>;
        fn insert_batch(&[NewAccountEntry], &[AuditEvent]) -> DomainResult<()>;
        fn update_batch(&[AccountChange], &[AuditEvent]) -> DomainResult<()>;
        fn soft_delete(&[Uuid], OffsetDateTime, &[AuditEvent]) -> DomainResult<()>;
        fn taken_identifiers(&WantedIdentifiers) -> DomainResult<Vec<(&'static str, String)>>;
        fn find_live_by_login(&str) -> DomainResult<Option<Account>>;
        fn find_live_by_external_id(&str) -> DomainResult<Option<Account>>;
        fn insert(&Account, &[GroupMembership], &[WorkspaceMembership]) -> DomainResult<()>;
        fn record_login(Uuid, OffsetDateTime, Option<String>) -> DomainResult<()>;
        fn touch_active(Uuid, OffsetDateTime, OffsetDateTime) -> DomainResult<()>;
        fn replace_password_hash(Uuid, String, String) -> DomainResult<()>;
        fn list_group_members(Uuid, PageRequest) -> DomainResult<Page<(Account, GroupRole)>>;
        fn reset_password(&PasswordReset) -> DomainResult<bool>;
    }
    IdentityRepository {
        fn find_live_by_identity(&str, &str) -> DomainResult<Option<Account>>;
        fn identities(Uuid) -> DomainResult<Vec<LinkedIdentity>>;
        fn record_identity_sign_in(&IdentitySignIn) -> DomainResult<()>;
        fn unlink_identity(Uuid, &str) -> DomainResult<Unlinked>;
    }
    InstallationRepository {
        fn setup_completed_at() -> DomainResult<Option<OffsetDateTime>>;
        fn install(&Installation) -> DomainResult<()>;
        fn register(&Registration) -> DomainResult<bool>;
    }
    GroupRepository {
        fn group_memberships(Uuid) -> DomainResult<Vec<GroupMembership>>;
        fn create_group(&GroupCreation) -> DomainResult<()>;
        fn get_group(Uuid) -> DomainResult<Option<EnterpriseGroup>>;
        fn groups_of(Uuid, Option<GroupStatus>, PageRequest) -> DomainResult<Page<(EnterpriseGroup, GroupRole)>>;
        fn update_group(&EnterpriseGroup) -> DomainResult<()>;
        fn memberships_in_group(Uuid, Uuid) -> DomainResult<Vec<(Workspace, WorkspaceMembership)>>;
        fn active_group_ids() -> DomainResult<Vec<Uuid>>;
        fn group_snapshot(Uuid) -> DomainResult<GroupSnapshot>;
        fn apply_group_repair(&GroupRepair) -> DomainResult<()>;
    }
    WorkspaceRepository {
        fn current_workspace_of(Uuid) -> DomainResult<Option<(Workspace, WorkspaceMembership)>>;
        fn get_workspace(Uuid) -> DomainResult<Option<Workspace>>;
        fn find_workspace_by_code(&str) -> DomainResult<Option<Workspace>>;
        fn create_workspace(&Workspace, &WorkspaceMembership) -> DomainResult<()>;
        fn group_workspaces(Uuid, WorkspaceScope, Option<WorkspaceStatus>, PageRequest) -> DomainResult<Page<Workspace>>;
        fn workspaces_of(Uuid) -> DomainResult<Vec<(Workspace, WorkspaceMembership)>>;
        fn workspace_membership(Uuid, Uuid) -> DomainResult<Option<WorkspaceMembership>>;
        fn workspace_members_of(Uuid) -> DomainResult<Vec<(Account, WorkspaceMembership)>>;
        fn set_workspace_role(Uuid, Uuid, Uuid, WorkspaceRole) -> DomainResult<()>;
        fn remove_workspace_member(Uuid, Uuid, Uuid) -> DomainResult<()>;
        fn accounts_without_current_workspace(i64) -> DomainResult<Vec<Uuid>>;
        fn switch_workspace_of(Uuid, Uuid) -> DomainResult<()>;
        fn save_workspace(&WorkspaceWrite) -> DomainResult<()>;
    }
    InvitationRepository {
        fn save_invitations(&InvitationBatch) -> DomainResult<()>;
        fn find_invitation(Uuid) -> DomainResult<Option<Invitation>>;
        fn redeem_invitation(Uuid, &Account, Uuid, OffsetDateTime) -> DomainResult<bool>;
    }
    DatasetRepository {
        fn insert(&Dataset) -> DomainResult<()>;
        fn get(Uuid) -> DomainResult<Option<Dataset>>;
        fn update(&Dataset) -> DomainResult<()>;
        fn delete(Uuid) -> DomainResult<()>;
        fn list_in_workspace(Uuid, DatasetViewer, Option<String>, PageRequest) -> DomainResult<Page<DatasetView>>;
        fn list_in_group(Uuid, DatasetViewer, Option<String>, PageRequest) -> DomainResult<Page<DatasetView>>;
    }
    SessionRepository {
        fn start(&LoginSession, &str, OffsetDateTime) -> DomainResult<()>;
        fn find_by_token(&str) -> DomainResult<Option<LoginSession>>;
        fn rotate(&str, &str, OffsetDateTime, OffsetDateTime) -> DomainResult<RefreshOutcome>;
        fn revoke_by_token(Uuid, &str, OffsetDateTime) -> DomainResult<bool>;
        fn revoke_latest(Uuid, OffsetDateTime) -> DomainResult<bool>;
    }
    ThrottleRepository {
        fn hit(&str, OffsetDateTime, Duration) -> DomainResult<i64>;
        fn count(&str, OffsetDateTime) -> DomainResult<i64>;
        fn clear(&str) -> DomainResult<()>;
        fn use_once(&str, OffsetDateTime, OffsetDateTime) -> DomainResult<bool>;
    }
    CodeRepository {
        fn issue(&VerificationCode, &OutboxMail) -> DomainResult<()>;
        fn find(&str) -> DomainResult<Option<VerificationCode>>;
        fn count_attempt(&str, OffsetDateTime) -> DomainResult<Option<i32>>;
        fn mark_verified(&str, OffsetDateTime, OffsetDateTime) -> DomainResult<()>;
    }
    AccessKeyRepository {
        fn insert(&AccessKey, i64, &AuditEvent) -> DomainResult<()>;
        fn list(Uuid) -> DomainResult<Vec<AccessKey>>;
        fn get(Uuid) -> DomainResult<Option<AccessKey>>;
        fn find_by_access_key(&str) -> DomainResult<Option<AccessKey>>;
        fn set_status(Uuid, AccessKeyStatus, i64, &AuditEvent) -> DomainResult<()>;
        fn delete(Uuid, OffsetDateTime, &AuditEvent) -> DomainResult<()>;
        fn record_use(Uuid, OffsetDateTime, &AuditEvent) -> DomainResult<()>;
    }
    OutboxRepository {
        fn enqueue(&OutboxMail) -> DomainResult<()>;
        fn claim_due(OffsetDateTime, Duration, i64) -> DomainResult<Vec<OutboxMail>>;
        fn mark_sent(Uuid, OffsetDateTime, OffsetDateTime) -> DomainResult<bool>;
        fn mark_attempt_failed(Uuid, OffsetDateTime, &str, Option<OffsetDateTime>, OffsetDateTime) -> DomainResult<()>;
        fn list(OutboxState, PageRequest) -> DomainResult<Page<OutboxMail>>;
    }
    PasswordHasher {
        fn hash(&Password) -> DomainResult<String>;
        fn verify(&Password, Option<String>) -> DomainResult<PasswordCheck>;
        fn hash_all(Vec<Option<Password>>) -> DomainResult<Vec<Option<String>>>;
    }
    AuditLog {
        fn list_audit_events(&AuditQuery) -> DomainResult<Vec<AuditEvent>>;
    }
    Housekeeping {
        fn purge_batch(&PurgeCutoffs, u32) -> DomainResult<PurgeReport>;
    }
    StoreHealth {
        fn ping() -> DomainResult<()>;
    }
    MfaRepository {
        fn totp(Uuid) -> DomainResult<Option<TotpFactor>>;
        fn begin_totp(&TotpFactor) -> DomainResult<()>;
        fn confirm_totp(Uuid, &[u8], i64, OffsetDateTime, &[String], &AuditEvent) -> DomainResult<bool>;
        fn use_totp_step(Uuid, i64) -> DomainResult<bool>;
        fn use_recovery_code(Uuid, &str, OffsetDateTime) -> DomainResult<bool>;
        fn recovery_codes_left(Uuid) -> DomainResult<i64>;
        fn remove_totp(Uuid, &AuditEvent) -> DomainResult<bool>;
    }
}

impl SecretCipher for Unsupported {
    fn seal(&self, _: &str, _: &str) -> DomainResult<Vec<u8>> {
        Err(not_provided("SecretCipher", "seal"))
    }

    fn open(&self, _: &str, _: &[u8]) -> DomainResult<String> {
        Err(not_provided("SecretCipher", "open"))
    }
}

impl AccessTokenCodec for Unsupported {
    fn issue(&self, _: Uuid, _: i64, _: OffsetDateTime, _: OffsetDateTime) -> DomainResult<String> {
        Err(not_provided("AccessTokenCodec", "issue"))
    }

    fn verify(&self, _: &str, _: OffsetDateTime) -> DomainResult<AccessClaims> {
        Err(not_provided("AccessTokenCodec", "verify"))
    }

    fn issue_step(&self, _: SignInStep, _: Uuid, _: i64, _: OffsetDateTime) -> DomainResult<String> {
        Err(not_provided("AccessTokenCodec", "issue_step"))
    }

    fn verify_step(&self, _: SignInStep, _: &str, _: OffsetDateTime) -> DomainResult<AccessClaims> {
        Err(not_provided("AccessTokenCodec", "verify_step"))
    }
}

#[async_trait]
impl Mailer for Unsupported {
    fn is_configured(&self) -> bool {
        false
    }

    async fn send(&self, _: &Mail) -> DomainResult<()> {
        Err(not_provided("Mailer", "send"))
    }
}

impl OneTimePasswords for Unsupported {
    fn new_totp_secret(&self) -> DomainResult<String> {
        Err(not_provided("OneTimePasswords", "new_totp_secret"))
    }

    fn totp_uri(&self, _: &str, _: &str, _: &str) -> DomainResult<String> {
        Err(not_provided("OneTimePasswords", "totp_uri"))
    }

    fn totp_step(&self, _: &str, _: &str, _: OffsetDateTime) -> Option<i64> {
        None
    }

    fn new_recovery_code(&self) -> DomainResult<String> {
        Err(not_provided("OneTimePasswords", "new_recovery_code"))
    }
}
