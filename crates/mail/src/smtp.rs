//! SMTP delivery with lettre.

use std::time::Duration;

use async_trait::async_trait;
use domain::model::Mail;
use domain::ports::Mailer;
use domain::{DomainError, DomainResult};
use lettre::message::header::ContentType;
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::templates::render;

/// How long one SMTP exchange may take.
const SMTP_TIMEOUT: Duration = Duration::from_secs(20);

/// Sends mail through one SMTP server.
#[derive(Clone)]
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl std::fmt::Debug for SmtpMailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpMailer").field("from", &self.from.to_string()).finish_non_exhaustive()
    }
}

/// Lettre's URL form, accepting `tls=starttls` as another name of `tls=required` (STARTTLS, refused if the
/// server cannot upgrade).
fn lettre_url(url: &str) -> String {
    url.replace("tls=starttls", "tls=required")
}

impl SmtpMailer {
    /// A mailer for `url` — `smtp://host:25` (plain), `smtp://host:587?tls=starttls` (or `tls=required`;
    /// `tls=opportunistic` upgrades when offered), `smtps://user:pass@host:465` (TLS from the start) — sending
    /// as `from` (`Name <address>` or a bare address).
    ///
    /// # Errors
    /// A message naming the bad setting; the URL itself is never echoed (it may hold a password).
    pub fn new(url: &str, from: &str) -> Result<Self, String> {
        let from: Mailbox = from.parse().map_err(|e| format!("MAIL_FROM is not a mail address: {e}"))?;
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(&lettre_url(url))
            .map_err(|e| format!("SMTP_URL is not a valid smtp:// or smtps:// URL: {e}"))?
            .timeout(Some(SMTP_TIMEOUT))
            .build();
        Ok(Self { transport, from })
    }

    fn message(&self, mail: &Mail) -> DomainResult<Message> {
        let to: Mailbox = mail.to.parse().map_err(|e| DomainError::internal_msg(format!("bad recipient: {e}")))?;
        let rendered = render(mail);
        Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(rendered.subject)
            .multipart(
                MultiPart::alternative()
                    .singlepart(SinglePart::builder().header(ContentType::TEXT_PLAIN).body(rendered.text))
                    .singlepart(SinglePart::builder().header(ContentType::TEXT_HTML).body(rendered.html)),
            )
            .map_err(|e| DomainError::internal_msg(format!("cannot build the message: {e}")))
    }
}

#[async_trait]
impl Mailer for SmtpMailer {
    fn is_configured(&self) -> bool {
        true
    }

    async fn send(&self, mail: &Mail) -> DomainResult<()> {
        let message = self.message(mail)?;
        self.transport.send(message).await.map(|_| ()).map_err(|e| DomainError::internal_msg(format!("SMTP: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_senders_are_checked_without_echoing_secrets() {
        assert!(SmtpMailer::new("smtp://127.0.0.1:2525", "accountd <no-reply@example.com>").is_ok());
        assert!(SmtpMailer::new("smtp://mail.example.com:587?tls=starttls", "no-reply@example.com").is_ok());
        assert!(SmtpMailer::new("smtps://user:pw@mail.example.com:465", "no-reply@example.com").is_ok());
        let err = SmtpMailer::new("http://user:hunter2@x", "no-reply@example.com").unwrap_err();
        assert!(err.contains("SMTP_URL") && !err.contains("hunter2"), "{err}");
        assert!(SmtpMailer::new("smtp://127.0.0.1:2525", "not an address").unwrap_err().contains("MAIL_FROM"));
    }

    #[test]
    fn messages_have_both_parts() {
        let m = SmtpMailer::new("smtp://127.0.0.1:2525", "accountd <no-reply@example.com>").unwrap();
        let mail = Mail {
            to: "a@example.com".into(),
            language: "zh-Hans".into(),
            message: domain::model::MailMessage::PasswordResetCode { code: "123456".into(), minutes: 5 },
        };
        let raw = String::from_utf8(m.message(&mail).unwrap().formatted()).unwrap();
        assert!(raw.contains("multipart/alternative") && raw.contains("text/plain") && raw.contains("text/html"));
        assert!(raw.contains("To: a@example.com"));
    }
}
