//! Mail the product sends, the outbox that carries it, and the one-time codes some mails contain.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

/// What a mail says, before it is rendered in a language. Stored in the outbox as JSON with its `template`
/// name, so a mail written today renders the same way when the worker sends it. Once a mail is sent or given
/// up only `{"template": …}` is kept, which reads back with empty fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "template", rename_all = "snake_case")]
pub enum MailMessage {
    /// An invitation to join a workspace, with the activation link.
    Invitation {
        /// Who invited.
        #[serde(default)]
        inviter: String,
        /// The workspace's name.
        #[serde(default)]
        workspace: String,
        /// The activation link.
        #[serde(default)]
        link: String,
    },
    /// A code to reset the password.
    PasswordResetCode {
        /// Six digits.
        #[serde(default)]
        code: String,
        /// How long the code works.
        #[serde(default)]
        minutes: i64,
    },
    /// A code to confirm the address of a new account.
    RegistrationCode {
        /// Six digits.
        #[serde(default)]
        code: String,
        /// How long the code works.
        #[serde(default)]
        minutes: i64,
    },
    /// Someone asked for a password reset for an address no account uses.
    UnknownAddressNotice,
    /// Someone tried to register an address that already has an account.
    ExistingAccountNotice {
        /// Where to sign in.
        #[serde(default)]
        signin_link: String,
    },
}

impl MailMessage {
    /// Whether it carries a one-time code (useless once the code expired).
    pub fn carries_code(&self) -> bool {
        matches!(self, Self::PasswordResetCode { .. } | Self::RegistrationCode { .. })
    }

    /// The template name, as stored in the outbox.
    pub fn template(&self) -> &'static str {
        match self {
            Self::Invitation { .. } => "invitation",
            Self::PasswordResetCode { .. } => "password_reset_code",
            Self::RegistrationCode { .. } => "registration_code",
            Self::UnknownAddressNotice => "unknown_address_notice",
            Self::ExistingAccountNotice { .. } => "existing_account_notice",
        }
    }
}

/// A mail with its recipient and language (`en-US`, `zh-Hans`, …; unknown languages render in English).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    /// Recipient address.
    pub to: String,
    /// Interface language of the recipient or of the request that caused the mail.
    pub language: String,
    /// The content.
    pub message: MailMessage,
}

super::wire_enum!(
    /// Where an outbox mail stands.
    OutboxState {
        /// Waiting for its first or next attempt.
        Pending = "pending",
        /// Handed to the SMTP server.
        Sent = "sent",
        /// Given up after the configured number of attempts.
        Failed = "failed",
    }
);

/// A mail in the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxMail {
    /// Id.
    pub id: Uuid,
    /// The mail.
    pub mail: Mail,
    /// When it was written (with the change it belongs to).
    pub created_at: OffsetDateTime,
    /// When the next attempt is due.
    pub due_at: OffsetDateTime,
    /// Attempts made so far (counted when a worker claims it).
    pub attempts: i32,
    /// Until when the worker that claimed it holds it; also names that claim (a later claim sets another time).
    pub claimed_until: Option<OffsetDateTime>,
    /// The error of the last failed attempt.
    pub last_error: Option<String>,
    /// When the SMTP server accepted it.
    pub sent_at: Option<OffsetDateTime>,
    /// When the worker gave up.
    pub failed_at: Option<OffsetDateTime>,
}

impl OutboxMail {
    /// A mail due at once.
    pub fn new(id: Uuid, mail: Mail, now: OffsetDateTime) -> Self {
        Self {
            id,
            mail,
            created_at: now,
            due_at: now,
            attempts: 0,
            claimed_until: None,
            last_error: None,
            sent_at: None,
            failed_at: None,
        }
    }

    /// Where it stands.
    pub fn state(&self) -> OutboxState {
        if self.sent_at.is_some() {
            OutboxState::Sent
        } else if self.failed_at.is_some() {
            OutboxState::Failed
        } else {
            OutboxState::Pending
        }
    }
}

super::wire_enum!(
    /// What a one-time code confirms.
    CodePurpose {
        /// Forgot-password.
        ResetPassword = "reset_password",
        /// Self-registration.
        Register = "register",
    }
);

/// A one-time code mailed to an address. The client holds a token naming it; only the token's digest and a
/// keyed digest of the code are stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerificationCode {
    /// Digest of the token the client holds.
    pub token_digest: String,
    /// What it confirms.
    pub purpose: CodePurpose,
    /// The account, when the address belongs to one.
    pub account_id: Option<Uuid>,
    /// The address as typed.
    pub email: String,
    /// Keyed digest of the code; `None` when no code was mailed (a notice went out instead), so no code matches.
    pub code_digest: Option<String>,
    /// Language of the request, used for the account a registration creates.
    pub language: String,
    /// Code entries so far.
    pub attempts: i32,
    /// When it was issued.
    pub created_at: OffsetDateTime,
    /// When it stops working.
    pub expires_at: OffsetDateTime,
    /// When the right code was entered.
    pub verified_at: Option<OffsetDateTime>,
    /// When it was used up (or replaced, or exhausted).
    pub consumed_at: Option<OffsetDateTime>,
}

impl VerificationCode {
    /// Whether it can still be entered or redeemed at `now`.
    pub fn is_live_at(&self, now: OffsetDateTime) -> bool {
        self.consumed_at.is_none() && self.expires_at > now
    }
}
