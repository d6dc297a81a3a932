use serde_json::Value;
use time::OffsetDateTime;
use uuid::Uuid;

/// A state change made by an administrator or a machine credential. Never holds secrets.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEvent {
    /// Id.
    pub id: Uuid,
    /// When it happened.
    pub at: OffsetDateTime,
    /// Acting account.
    pub actor_account_id: Option<Uuid>,
    /// Acting access key, for machine requests.
    pub actor_access_key_id: Option<Uuid>,
    /// What was done, e.g. `account.update`.
    pub action: String,
    /// Kind of target, e.g. `account`.
    pub target_type: String,
    /// Target id.
    pub target_id: Option<String>,
    /// Request id of the HTTP request.
    pub request_id: Option<String>,
    /// Names (and non-secret new values) of changed fields.
    pub changes: Value,
}

/// Where a page of audit events ends: the next page starts after this event (events are read newest first, by
/// time and then id).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuditCursor {
    /// Time of the last event read.
    pub at: OffsetDateTime,
    /// Id of the last event read.
    pub id: Uuid,
}

impl AuditCursor {
    /// The cursor after `event`.
    pub fn after(event: &AuditEvent) -> Self {
        Self { at: event.at, id: event.id }
    }

    /// The text form clients hand back: microseconds since the epoch and the id.
    pub fn encode(&self) -> String {
        format!("{}_{}", self.at.unix_timestamp_nanos() / 1000, self.id.simple())
    }

    /// Reads the text form of [`Self::encode`].
    ///
    /// # Errors
    /// [`crate::DomainError::Invalid`] naming `field` for anything else.
    pub fn parse(field: &'static str, raw: &str) -> crate::DomainResult<Self> {
        let invalid = || crate::DomainError::invalid(field, "Not a cursor this server handed out.");
        let (micros, id) = raw.split_once('_').ok_or_else(invalid)?;
        let micros: i128 = micros.parse().map_err(|_| invalid())?;
        let at = OffsetDateTime::from_unix_timestamp_nanos(micros * 1000).map_err(|_| invalid())?;
        Ok(Self { at, id: Uuid::parse_str(id).map_err(|_| invalid())? })
    }
}

/// Which audit events to read, newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditQuery {
    /// Only events of this acting account.
    pub actor: Option<Uuid>,
    /// Only events on targets of this kind (`account`, `access_key`, …).
    pub target_type: Option<String>,
    /// Only events on this target.
    pub target_id: Option<String>,
    /// Only events of this action (`account.update`, …).
    pub action: Option<String>,
    /// Only events at or after this time.
    pub since: Option<OffsetDateTime>,
    /// Only events before this time.
    pub until: Option<OffsetDateTime>,
    /// Only events after this cursor (the next page).
    pub after: Option<AuditCursor>,
    /// Events per page.
    pub limit: u32,
}

/// The text of an audit query as a client sends it (query parameters, command-line flags), to be parsed once by
/// [`AuditQuery::parse`].
#[derive(Debug, Clone, Copy, Default)]
pub struct AuditQueryText<'a> {
    /// `actor`: an account id.
    pub actor: Option<&'a str>,
    /// `target_type`.
    pub target_type: Option<&'a str>,
    /// `target_id`.
    pub target_id: Option<&'a str>,
    /// `action`.
    pub action: Option<&'a str>,
    /// `since`: RFC 3339.
    pub since: Option<&'a str>,
    /// `until`: RFC 3339.
    pub until: Option<&'a str>,
    /// `cursor`: as [`AuditCursor::encode`] wrote it.
    pub cursor: Option<&'a str>,
}

impl AuditQuery {
    /// Parses the client's text; empty values count as absent.
    ///
    /// # Errors
    /// `Invalid` (or `TooLong`) naming the parameter that is wrong.
    pub fn parse(text: AuditQueryText<'_>, limit: u32) -> crate::DomainResult<Self> {
        use crate::values::{audit_filter_text, parse_instant};
        fn present(raw: Option<&str>) -> Option<&str> {
            raw.map(str::trim).filter(|v| !v.is_empty())
        }
        let actor = present(text.actor)
            .map(|raw| Uuid::parse_str(raw).map_err(|_| crate::DomainError::invalid("actor", "Not an account id.")))
            .transpose()?;
        Ok(Self {
            actor,
            target_type: audit_filter_text("target_type", text.target_type)?,
            target_id: audit_filter_text("target_id", text.target_id)?,
            action: audit_filter_text("action", text.action)?,
            since: present(text.since).map(|raw| parse_instant("since", raw)).transpose()?,
            until: present(text.until).map(|raw| parse_instant("until", raw)).transpose()?,
            after: present(text.cursor).map(|raw| AuditCursor::parse("cursor", raw)).transpose()?,
            limit,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_reads_back_what_it_wrote_and_nothing_else() {
        let cursor = AuditCursor { at: time::macros::datetime!(2026-12-04 08:30:01.123456 UTC), id: Uuid::new_v4() };
        assert_eq!(AuditCursor::parse("cursor", &cursor.encode()).unwrap(), cursor);
        for bad in ["", "x", "12_", "_abc", "1_not-a-uuid", "99999999999999999999999_00000000000000000000000000000000"]
        {
            assert!(AuditCursor::parse("cursor", bad).is_err(), "{bad}");
        }
    }
}
