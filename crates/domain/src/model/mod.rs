//! Entities of the account, group and workspace domain. Plain data with the enumerations that give their
//! fields meaning; rules that span entities live in [`crate::policy`] and [`crate::usecases`].

mod access_key;
mod account;
mod audit;
mod dataset;
mod directory;
mod identity;
mod mail;
mod mfa;
mod page;
mod query;
mod session;

pub use access_key::{AccessKey, AccessKeyStatus};
pub use account::{Account, AccountExtension, AccountSource, AccountStatus, PartnerClass, SessionPolicy, SystemRole};
pub use audit::{AuditCursor, AuditEvent, AuditQuery, AuditQueryText};
pub use dataset::{Dataset, DatasetPermission, DatasetView};
pub use directory::{
    EnterpriseGroup, GroupFounding, GroupMembership, GroupRole, GroupStatus, Installation, Invitation, InvitationBatch,
    Registration, Workspace, WorkspaceMembership, WorkspacePermission, WorkspaceRole, WorkspaceStatus,
};
pub use identity::{ExternalIdentity, IdentitySignIn, LinkedIdentity};
pub use mail::{CodePurpose, Mail, MailMessage, OutboxMail, OutboxState, VerificationCode};
pub use mfa::{MfaStatus, TotpEnrollment, TotpFactor};
pub use page::{Page, PageRequest};
pub use query::{AccountFilter, AccountOrder, AccountSortKey, Comparison, TextAttribute, TimeAttribute};
pub use session::{LoginSession, RefreshOutcome, TokenPair};

/// Parses the wire name of an enumeration, the inverse of its `as_str`.
pub trait WireEnum: Sized + Copy + 'static {
    /// Every value, in declaration order.
    const ALL: &'static [Self];
    /// The stored and wire name.
    fn as_str(self) -> &'static str;
    /// Finds the value whose name is `s`.
    fn parse(s: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|v| v.as_str() == s)
    }
}

/// Declares a `WireEnum` with its names.
macro_rules! wire_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($(#[$vmeta])* $variant),+ }
        impl $crate::model::WireEnum for $name {
            const ALL: &'static [Self] = &[$(Self::$variant),+];
            fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $text),+ }
            }
        }
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str($crate::model::WireEnum::as_str(*self))
            }
        }
    };
}
pub(crate) use wire_enum;
