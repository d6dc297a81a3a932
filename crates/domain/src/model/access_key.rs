use time::OffsetDateTime;
use uuid::Uuid;

use super::wire_enum;

wire_enum! {
    /// Whether a key may be used.
    AccessKeyStatus {
        /// May be used.
        Active = "active",
        /// Kept, refused until enabled again.
        Disabled = "disabled",
    }
}

/// A machine credential of an account. The secret is stored encrypted, never in plain text.
#[derive(Debug, Clone, PartialEq)]
pub struct AccessKey {
    /// Id.
    pub id: Uuid,
    /// Owner.
    pub account_id: Uuid,
    /// Public key id sent with requests.
    pub access_key: String,
    /// AEAD ciphertext of the secret.
    pub secret_ciphertext: Vec<u8>,
    /// Label.
    pub name: Option<String>,
    /// Usable or not.
    pub status: AccessKeyStatus,
    /// Creation time.
    pub created_at: OffsetDateTime,
    /// Last successful use.
    pub last_used_at: Option<OffsetDateTime>,
    /// Deletion time.
    pub deleted_at: Option<OffsetDateTime>,
}
