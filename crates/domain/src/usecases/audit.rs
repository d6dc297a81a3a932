//! Reading the audit log: platform readers in the console, the operator on the command line.

use super::UseCases;
use crate::error::{DomainError, DomainResult};
use crate::model::{Account, AuditCursor, AuditEvent, AuditQuery};
use crate::policy;

/// Most events on one page.
pub const MAX_AUDIT_PAGE: u32 = 100;

/// A page of audit events, newest first, and where the next one starts.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditPage {
    /// The events.
    pub events: Vec<AuditEvent>,
    /// The cursor of the next page; `None` on the last.
    pub next: Option<AuditCursor>,
}

impl UseCases {
    /// A page of the audit log for `reader`.
    ///
    /// # Errors
    /// `Forbidden` unless the reader is a platform reader (super admin, system admin, auditor);
    /// `OutOfRange` for a page size outside 1–[`MAX_AUDIT_PAGE`]; `Invalid` naming `until` when it is not after
    /// `since`.
    ///
    /// ```
    /// # use domain::model::{AuditQuery, AuditQueryText};
    /// # use domain::usecases::UseCases;
    /// # async fn demo(use_cases: &UseCases, bearer: &str) -> domain::DomainResult<()> {
    /// let reader = use_cases.authenticate(bearer).await?;
    /// let text = AuditQueryText { action: Some("account.update"), since: Some("2026-01-01T00:00:00Z"), ..Default::default() };
    /// let mut query = AuditQuery::parse(text, 50)?;
    /// loop {
    ///     let page = use_cases.audit_events(&reader, query.clone()).await?;
    ///     for event in &page.events {
    ///         println!("{} {}", event.at, event.action);
    ///     }
    ///     let Some(next) = page.next else { break };
    ///     query.after = Some(next);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn audit_events(&self, reader: &Account, query: AuditQuery) -> DomainResult<AuditPage> {
        if !policy::may_read_audit_log(reader) {
            return Err(DomainError::Forbidden("Only platform administrators and auditors can read the audit log."));
        }
        self.audit_page(query).await
    }

    /// A page of the audit log for the operator's command line.
    ///
    /// # Errors
    /// As [`Self::audit_events`], without the permission check.
    pub async fn operator_audit_events(&self, query: AuditQuery) -> DomainResult<AuditPage> {
        self.audit_page(query).await
    }

    async fn audit_page(&self, query: AuditQuery) -> DomainResult<AuditPage> {
        if !(1..=MAX_AUDIT_PAGE).contains(&query.limit) {
            return Err(DomainError::OutOfRange {
                field: "limit",
                min: 1,
                max: i64::from(MAX_AUDIT_PAGE),
                value: query.limit.to_string(),
            });
        }
        if let (Some(since), Some(until)) = (query.since, query.until) {
            if until <= since {
                return Err(DomainError::invalid("until", "Must be after since."));
            }
        }
        // one more than asked tells whether there is a next page
        let limit = query.limit as usize;
        let mut events = self.ports.audit.list_audit_events(&AuditQuery { limit: query.limit + 1, ..query }).await?;
        let next = (events.len() > limit).then(|| {
            events.truncate(limit);
            events.last().map(AuditCursor::after)
        });
        Ok(AuditPage { events, next: next.flatten() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::SystemRole;
    use crate::usecases::test_support::{Mocks, NOW};

    fn event(n: u128) -> AuditEvent {
        AuditEvent {
            id: uuid::Uuid::from_u128(n),
            at: NOW,
            actor_account_id: None,
            actor_access_key_id: None,
            action: "account.update".into(),
            target_type: "account".into(),
            target_id: None,
            request_id: None,
            changes: serde_json::json!({}),
        }
    }

    fn reader(role: Option<SystemRole>) -> Account {
        let mut a = Account::new(uuid::Uuid::new_v4(), "r".into(), None, NOW);
        a.system_role = role;
        a
    }

    #[tokio::test]
    async fn platform_readers_page_with_one_more_than_asked() {
        let mut m = Mocks::new();
        m.audit.expect_list_audit_events().withf(|q| q.limit == 3).returning(|_| Ok((1..=3).map(event).collect()));
        let page = m
            .build()
            .audit_events(&reader(Some(SystemRole::Auditor)), AuditQuery { limit: 2, ..Default::default() })
            .await
            .unwrap();
        assert_eq!(page.events.len(), 2);
        assert_eq!(page.next, Some(AuditCursor { at: NOW, id: uuid::Uuid::from_u128(2) }));
    }

    #[tokio::test]
    async fn others_are_refused_and_bad_queries_named() {
        let m = Mocks::new().build();
        let query = AuditQuery { limit: 20, ..Default::default() };
        for role in [None, Some(SystemRole::Normal)] {
            assert!(matches!(m.audit_events(&reader(role), query.clone()).await, Err(DomainError::Forbidden(_))));
        }
        let admin = reader(Some(SystemRole::SystemAdmin));
        let too_many = AuditQuery { limit: 101, ..Default::default() };
        assert!(matches!(m.audit_events(&admin, too_many).await, Err(DomainError::OutOfRange { field: "limit", .. })));
        let backwards = AuditQuery { since: Some(NOW), until: Some(NOW), ..query };
        assert!(matches!(m.audit_events(&admin, backwards).await, Err(DomainError::Invalid { field: "until", .. })));
    }
}
