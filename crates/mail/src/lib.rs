//! # accountd mail adapters
//!
//! Implementations of the domain's [`Mailer`] port. [`LogMailer`] is used when no SMTP server is configured:
//! it writes each mail to the log (development) and reports itself as not configured, so the console shows
//! `is_email_setup: false`. [`MemoryMailer`] keeps mails in memory for tests. The SMTP adapter and the outbox
//! worker arrive with the email work.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use domain::ports::{Mailer, OutgoingMail};
use domain::DomainResult;

/// Writes mails to the log instead of sending them.
#[derive(Debug, Default, Clone, Copy)]
pub struct LogMailer;

#[async_trait]
impl Mailer for LogMailer {
    fn is_configured(&self) -> bool {
        false
    }

    async fn send(&self, mail: &OutgoingMail) -> DomainResult<()> {
        tracing::info!(to = %mail.to, subject = %mail.subject, body = %mail.text, "mail not sent: no SMTP server configured");
        Ok(())
    }
}

/// Keeps sent mails in memory (tests).
#[derive(Debug, Default, Clone)]
pub struct MemoryMailer {
    sent: Arc<Mutex<Vec<OutgoingMail>>>,
}

impl MemoryMailer {
    /// The mails sent so far.
    pub fn sent(&self) -> Vec<OutgoingMail> {
        self.sent.lock().map(|v| v.clone()).unwrap_or_default()
    }
}

#[async_trait]
impl Mailer for MemoryMailer {
    fn is_configured(&self) -> bool {
        true
    }

    async fn send(&self, mail: &OutgoingMail) -> DomainResult<()> {
        if let Ok(mut sent) = self.sent.lock() {
            sent.push(mail.clone());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mail() -> OutgoingMail {
        OutgoingMail { to: "a@example.com".into(), subject: "s".into(), text: "t".into() }
    }

    #[tokio::test]
    async fn log_mailer_is_not_a_configured_mailer() {
        assert!(!LogMailer.is_configured());
        LogMailer.send(&mail()).await.unwrap();
    }

    #[tokio::test]
    async fn memory_mailer_keeps_what_it_sends() {
        let m = MemoryMailer::default();
        m.send(&mail()).await.unwrap();
        assert_eq!(m.sent(), vec![mail()]);
    }
}
