use time::OffsetDateTime;
use uuid::Uuid;

/// A console login session: a chain of rotated refresh tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginSession {
    /// Id.
    pub id: Uuid,
    /// Owner.
    pub account_id: Uuid,
    /// Start of the session.
    pub created_at: OffsetDateTime,
    /// The session ends here whatever happens (absolute lifetime).
    pub absolute_expires_at: OffsetDateTime,
    /// Client address at login.
    pub ip: Option<String>,
}

/// What the store did with a presented refresh token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefreshOutcome {
    /// The token was live and is now replaced by the new one.
    Rotated {
        /// The session it belongs to.
        session: LoginSession,
    },
    /// The token had already been rotated: the session is now revoked.
    Reused,
    /// Unknown, expired or revoked.
    Invalid,
}

/// Tokens handed to a console client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenPair {
    /// HS256 JWT.
    pub access_token: String,
    /// 128 hex characters; only its hash is stored.
    pub refresh_token: String,
}
