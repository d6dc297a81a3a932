//! The outbox worker's step and the admins' view of the outbox. Mails are written to the outbox by the change
//! they belong to; [`UseCases::deliver_due_mail`] sends what is due, retries with exponential backoff, and
//! gives up after the configured number of attempts.

use crate::error::{DomainError, DomainResult};
use crate::model::{Account, Mail, MailMessage, OutboxMail, OutboxState, Page, PageRequest};
use time::{Duration, OffsetDateTime};

use super::UseCases;

/// How long a claimed mail is reserved for the worker that claimed it, so a mail is only claimed again when its
/// worker died.
const CLAIM_LEASE: Duration = Duration::minutes(5);

/// A mail whose claim has less than this left is not sent by its worker (SMTP exchanges time out well within
/// it): it waits for a fresh claim, so two workers never send it.
const CLAIM_MARGIN: Duration = Duration::minutes(2);

/// Most mails claimed in one step.
const CLAIM_BATCH: i64 = 10;

/// The longest wait between two attempts.
const MAX_BACKOFF: Duration = Duration::hours(1);

/// What one worker step did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeliveryReport {
    /// Mails the SMTP server accepted.
    pub sent: usize,
    /// Mails that failed and will be tried again.
    pub retried: usize,
    /// Mails given up.
    pub failed: usize,
}

impl UseCases {
    /// A mail to `to`, due now, for the outbox.
    pub(super) fn outbox_mail(
        &self,
        to: &str,
        language: &str,
        message: MailMessage,
        now: OffsetDateTime,
    ) -> OutboxMail {
        OutboxMail::new(
            self.ports.ids.new_id(),
            Mail { to: to.to_owned(), language: language.to_owned(), message },
            now,
        )
    }

    /// When attempt number `attempts` failed, when to try again: the base delay doubled per attempt, at most an
    /// hour; `None` when the attempts are used up.
    fn retry_at(&self, attempts: i32, now: OffsetDateTime) -> Option<OffsetDateTime> {
        if attempts >= self.settings.mail_max_attempts {
            return None;
        }
        let doublings = u32::try_from(attempts.saturating_sub(1)).unwrap_or(0).min(20);
        Some(now + (self.settings.mail_retry_base * 2_i32.pow(doublings)).min(MAX_BACKOFF))
    }

    /// One worker step: claims the due mails and sends each once. An SMTP failure is recorded on the mail,
    /// never returned: only storage failures are errors.
    ///
    /// ```
    /// # use domain::usecases::UseCases;
    /// # async fn demo(use_cases: &UseCases) -> domain::DomainResult<()> {
    /// // the outbox worker's step: mails written in the transactions of their use cases leave here
    /// let report = use_cases.deliver_due_mail().await?;
    /// println!("sent {}, to retry {}, given up {}", report.sent, report.retried, report.failed);
    /// # Ok(()) }
    /// ```
    pub async fn deliver_due_mail(&self) -> DomainResult<DeliveryReport> {
        let now = self.ports.clock.now();
        let claimed = self.ports.outbox.claim_due(now, CLAIM_LEASE, CLAIM_BATCH).await?;
        let mut report = DeliveryReport::default();
        for mail in claimed {
            let now = self.ports.clock.now();
            let Some(claim) = mail.claimed_until.filter(|c| *c - now > CLAIM_MARGIN) else { continue };
            if mail.mail.message.carries_code() && now >= mail.created_at + self.settings.code_ttl {
                let why = "the code expired before the mail could be delivered";
                self.ports.outbox.mark_attempt_failed(mail.id, claim, why, None, now).await?;
                report.failed += 1;
                continue;
            }
            match self.ports.mailer.send(&mail.mail).await {
                Ok(()) => {
                    if !self.ports.outbox.mark_sent(mail.id, claim, self.ports.clock.now()).await? {
                        tracing::warn!(mail = %mail.id, "mail sent after its claim ran out: it may arrive twice");
                    }
                    report.sent += 1;
                }
                Err(error) => {
                    let now = self.ports.clock.now();
                    let retry_at = self.retry_at(mail.attempts, now);
                    let text = error.to_string();
                    tracing::warn!(mail = %mail.id, attempt = mail.attempts, error = %text, gave_up = retry_at.is_none(), "mail not sent");
                    self.ports.outbox.mark_attempt_failed(mail.id, claim, &text, retry_at, now).await?;
                    if retry_at.is_some() {
                        report.retried += 1;
                    } else {
                        report.failed += 1;
                    }
                }
            }
        }
        Ok(report)
    }

    /// The outbox in one state, newest first (platform admins only). Contents are not listed: the template,
    /// recipient and delivery state are.
    ///
    /// # Errors
    /// `Forbidden` for anyone but platform admins.
    pub async fn outbox(
        &self,
        actor: &Account,
        state: OutboxState,
        page: PageRequest,
    ) -> DomainResult<Page<OutboxMail>> {
        if !actor.system_role.is_some_and(|r| r.can_administer()) {
            return Err(DomainError::Forbidden("Only system administrators can perform this operation."));
        }
        self.ports.outbox.list(state, page).await
    }
}

#[cfg(test)]
mod tests {
    use uuid::Uuid;

    use super::*;
    use crate::usecases::test_support::*;

    fn queued(attempts: i32) -> OutboxMail {
        let mail =
            Mail { to: "a@example.com".into(), language: "en-US".into(), message: MailMessage::UnknownAddressNotice };
        OutboxMail { attempts, claimed_until: Some(NOW + CLAIM_LEASE), ..OutboxMail::new(Uuid::new_v4(), mail, NOW) }
    }

    #[tokio::test]
    async fn a_sent_mail_is_marked_sent() {
        let mut m = Mocks::new();
        let mail = queued(1);
        let id = mail.id;
        m.outbox.expect_claim_due().times(1).returning(move |_, _, _| Ok(vec![mail.clone()]));
        m.mailer.expect_send().times(1).returning(|_| Ok(()));
        m.outbox
            .expect_mark_sent()
            .withf(move |i, claim, _| *i == id && *claim == NOW + CLAIM_LEASE)
            .times(1)
            .returning(|_, _, _| Ok(true));
        m.outbox.expect_mark_attempt_failed().never();
        let report = m.build().deliver_due_mail().await.unwrap();
        assert_eq!(report, DeliveryReport { sent: 1, retried: 0, failed: 0 });
    }

    #[tokio::test]
    async fn failures_back_off_exponentially_then_give_up() {
        for (attempts, expected) in [(1, Some(30)), (2, Some(60)), (4, Some(240)), (8, None)] {
            let mut m = Mocks::new();
            let mail = queued(attempts);
            m.outbox.expect_claim_due().returning(move |_, _, _| Ok(vec![mail.clone()]));
            m.mailer.expect_send().returning(|_| Err(DomainError::internal_msg("connection refused")));
            m.outbox
                .expect_mark_attempt_failed()
                .withf(move |_, _, error, retry_at, _| {
                    error.contains("connection refused") && *retry_at == expected.map(|s| NOW + Duration::seconds(s))
                })
                .times(1)
                .returning(|_, _, _, _, _| Ok(()));
            m.build().deliver_due_mail().await.unwrap();
        }
    }

    #[tokio::test]
    async fn a_mail_whose_claim_is_running_out_is_left_for_a_fresh_claim() {
        let mut m = Mocks::new();
        let mail = OutboxMail { claimed_until: Some(NOW + Duration::seconds(30)), ..queued(1) };
        m.outbox.expect_claim_due().returning(move |_, _, _| Ok(vec![mail.clone()]));
        m.mailer.expect_send().never();
        m.outbox.expect_mark_sent().never();
        m.outbox.expect_mark_attempt_failed().never();
        assert_eq!(m.build().deliver_due_mail().await.unwrap(), DeliveryReport::default());
    }

    #[tokio::test]
    async fn a_code_mail_is_given_up_once_its_code_expired() {
        let mut m = Mocks::new();
        let code = MailMessage::PasswordResetCode { code: "123456".into(), minutes: 5 };
        let mut mail = queued(3);
        mail.mail.message = code;
        mail.created_at = NOW - Duration::minutes(5);
        m.outbox.expect_claim_due().returning(move |_, _, _| Ok(vec![mail.clone()]));
        m.mailer.expect_send().never();
        m.outbox
            .expect_mark_attempt_failed()
            .withf(|_, _, why, retry_at, _| why.contains("expired") && retry_at.is_none())
            .times(1)
            .returning(|_, _, _, _, _| Ok(()));
        assert_eq!(m.build().deliver_due_mail().await.unwrap().failed, 1);
    }
}
