//! Identities at external sign-in providers (GitHub, Google, OpenID Connect) and their links to accounts.

use serde_json::{Map, Value};
use time::OffsetDateTime;
use uuid::Uuid;

/// Who a sign-in provider says the person is, after the provider's answer was validated.
#[derive(Debug, Clone, PartialEq)]
pub struct ExternalIdentity {
    /// The configured provider name (`github`, `google`, or an OpenID Connect provider's name).
    pub provider: String,
    /// The provider's stable id of the person (`sub`; GitHub's numeric user id).
    pub subject: String,
    /// The email address the provider gives, if any.
    pub email: Option<String>,
    /// Whether the provider vouches that the person controls `email`.
    pub email_verified: bool,
    /// A display name, if the provider gives one.
    pub name: Option<String>,
    /// The provider's claims about the person (protocol claims left out): the account's IdP-owned
    /// `attributes` bag.
    pub attributes: Map<String, Value>,
}

/// A provider identity linked to an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkedIdentity {
    /// The account.
    pub account_id: Uuid,
    /// The provider name.
    pub provider: String,
    /// The provider's id of the person.
    pub subject: String,
    /// The address the provider gave when the link was made or last used.
    pub email: Option<String>,
    /// When the link was made.
    pub created_at: OffsetDateTime,
}

/// A sign-in through a provider, stored with the account it signs in: the link (made when missing), the
/// provider's claims merged into the account's `attributes` (a `local` source becomes `oidc`), and the login.
#[derive(Debug, Clone, PartialEq)]
pub struct IdentitySignIn {
    /// The link.
    pub identity: LinkedIdentity,
    /// The provider's claims.
    pub attributes: Map<String, Value>,
    /// When.
    pub at: OffsetDateTime,
    /// The login to record (last login time and client address; pending → active), or `None` when the
    /// identity is only linked (an invited account that still has to be activated).
    pub login: Option<Option<String>>,
}
