//! The audit log: `GET /audit-events` for platform administrators and auditors, newest first, filtered by
//! `actor`, `target_type`, `target_id`, `action`, `since` and `until` (RFC 3339), paged by `cursor`.

use actix_web::{web, HttpRequest, HttpResponse};
use domain::model::{AuditEvent, AuditQuery, AuditQueryText};
use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;

use super::error::ConsoleError;
use super::extract::{Authenticated, QueryParams};
use crate::AppState;

/// Registers the routes of this module.
pub(super) fn config(cfg: &mut web::ServiceConfig) {
    cfg.route("/audit-events", web::get().to(list));
}

/// One event as the console shows it.
pub fn event_json(e: &AuditEvent) -> Value {
    json!({
        "id": e.id,
        "at": e.at.format(&Rfc3339).unwrap_or_default(),
        "actor_account_id": e.actor_account_id,
        "actor_access_key_id": e.actor_access_key_id,
        "action": e.action,
        "target_type": e.target_type,
        "target_id": e.target_id,
        "request_id": e.request_id,
        "changes": e.changes,
    })
}

/// `GET /audit-events`: `{"data": [event…], "limit", "has_more", "next_cursor"}`.
async fn list(
    state: web::Data<AppState>,
    Authenticated(me): Authenticated,
    req: HttpRequest,
) -> Result<HttpResponse, ConsoleError> {
    let q = QueryParams::of(&req);
    let limit = q.int_in("limit", 1..=i64::from(domain::usecases::MAX_AUDIT_PAGE), 20)?;
    let text = AuditQueryText {
        actor: q.get("actor"),
        target_type: q.get("target_type"),
        target_id: q.get("target_id"),
        action: q.get("action"),
        since: q.get("since"),
        until: q.get("until"),
        cursor: q.get("cursor"),
    };
    // the range above fits in u32
    let query = AuditQuery::parse(text, limit as u32)?;
    let page = state.use_cases.audit_events(&me, query).await?;
    Ok(HttpResponse::Ok().json(json!({
        "data": page.events.iter().map(event_json).collect::<Vec<_>>(),
        "limit": limit,
        "has_more": page.next.is_some(),
        "next_cursor": page.next.map(|c| c.encode()),
    })))
}
