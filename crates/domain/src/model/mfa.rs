use time::OffsetDateTime;
use uuid::Uuid;

/// An account's TOTP second factor (RFC 6238). It protects sign-ins once confirmed by a first code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TotpFactor {
    /// The account.
    pub account_id: Uuid,
    /// The AEAD-sealed base32 secret (`SecretCipher`, context `totp:<account id>`).
    pub secret_ciphertext: Vec<u8>,
    /// When it was enrolled.
    pub created_at: OffsetDateTime,
    /// When its first code was entered; until then it protects nothing.
    pub confirmed_at: Option<OffsetDateTime>,
    /// The time step of the last code accepted (no code is accepted twice).
    pub last_used_step: Option<i64>,
}

/// What an account's sign-in asks besides the password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MfaStatus {
    /// When the TOTP factor was confirmed; `None` without one.
    pub totp_confirmed_at: Option<OffsetDateTime>,
    /// A factor was enrolled but not confirmed yet.
    pub totp_pending: bool,
    /// A second factor is mandatory for the account (`mfa_state = enable`).
    pub required: bool,
    /// Recovery codes not used yet.
    pub recovery_codes_left: i64,
}

/// A TOTP factor being enrolled: what the account's authenticator app needs, shown once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TotpEnrollment {
    /// The base32 secret.
    pub secret: String,
    /// The `otpauth://totp/…` URI (for a QR code).
    pub otpauth_uri: String,
}
