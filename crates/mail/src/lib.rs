//! # accountd mail adapters
//!
//! Implementations of the domain's [`Mailer`] port, used by the outbox worker: [`SmtpMailer`] delivers over
//! SMTP with lettre (`SMTP_URL`, `MAIL_FROM`); [`LogMailer`] is used when no SMTP server is configured and
//! writes each mail to the log (development), reporting itself as not configured so the console shows
//! `is_email_setup: false`; [`MemoryMailer`] keeps mails in memory for tests. [`templates`] holds the text.

mod smtp;
pub mod templates;

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use domain::model::Mail;
use domain::ports::Mailer;
use domain::{DomainError, DomainResult};

pub use smtp::SmtpMailer;
pub use templates::{render, RenderedMail};

/// Writes mails to the log instead of sending them (development), or refuses them (production).
#[derive(Debug, Default, Clone, Copy)]
pub struct LogMailer {
    /// Development: log each mail with its text (codes and links included) and count it as sent. Production
    /// (`false`): log recipient and subject only and refuse the mail, so it stays in the outbox, is given up
    /// after its attempts and is listed to admins, instead of vanishing with its code or link.
    pub show_content: bool,
}

#[async_trait]
impl Mailer for LogMailer {
    fn is_configured(&self) -> bool {
        false
    }

    async fn send(&self, mail: &Mail) -> DomainResult<()> {
        let rendered = render(mail);
        if self.show_content {
            tracing::info!(to = %mail.to, subject = %rendered.subject, body = %rendered.text, "mail not sent: no SMTP server configured");
            Ok(())
        } else {
            tracing::warn!(to = %mail.to, subject = %rendered.subject, "mail not sent: no SMTP server configured");
            Err(DomainError::internal_msg("no SMTP server is configured (SMTP_URL)"))
        }
    }
}

/// Keeps sent mails in memory (tests).
#[derive(Debug, Default, Clone)]
pub struct MemoryMailer {
    sent: Arc<Mutex<Vec<Mail>>>,
}

impl MemoryMailer {
    /// The mails sent so far.
    pub fn sent(&self) -> Vec<Mail> {
        self.sent.lock().map(|v| v.clone()).unwrap_or_default()
    }
}

#[async_trait]
impl Mailer for MemoryMailer {
    fn is_configured(&self) -> bool {
        true
    }

    async fn send(&self, mail: &Mail) -> DomainResult<()> {
        if let Ok(mut sent) = self.sent.lock() {
            sent.push(mail.clone());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use domain::model::MailMessage;

    use super::*;

    fn mail() -> Mail {
        Mail { to: "a@example.com".into(), language: "en-US".into(), message: MailMessage::UnknownAddressNotice }
    }

    #[tokio::test]
    async fn log_mailer_is_not_a_configured_mailer() {
        assert!(!LogMailer::default().is_configured());
        LogMailer { show_content: true }.send(&mail()).await.unwrap();
        let refused = LogMailer { show_content: false }.send(&mail()).await.unwrap_err();
        assert!(refused.to_string().contains("SMTP_URL"), "{refused}");
    }

    #[tokio::test]
    async fn memory_mailer_keeps_what_it_sends() {
        let m = MemoryMailer::default();
        m.send(&mail()).await.unwrap();
        assert_eq!(m.sent(), vec![mail()]);
    }
}
