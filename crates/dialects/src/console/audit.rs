//! The audit log: `GET /audit-events` for platform administrators and auditors, newest first, filtered by
//! `actor`, `target_type`, `target_id`, `action`, `since` and `until` (RFC 3339), paged by `cursor`.

use actix_web::{web, HttpRequest, HttpResponse};
use domain::model::{AuditEvent, AuditQuery, AuditQueryText};
use serde::Serialize;
use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;
use utoipa::ToSchema;
use uuid::Uuid;

use super::error::{BadRequestBody, ConsoleError, ErrorBody, SessionFailures};
use super::extract::{Authenticated, QueryParams};
use crate::common::routes::routes;
use crate::AppState;

routes! {
    get "/audit-events" => list,
}

/// The operations of this module, for the API document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(list))]
pub(crate) struct ApiPaths;

/// One audit event.
#[derive(Serialize, ToSchema)]
#[schema(as = AuditEvent)]
struct EventItem {
    id: Uuid,
    /// RFC 3339.
    #[schema(format = DateTime)]
    at: String,
    /// The acting account.
    actor_account_id: Option<Uuid>,
    /// The acting access key, for machine requests.
    actor_access_key_id: Option<Uuid>,
    /// What was done, e.g. `account.update`.
    action: String,
    /// Kind of target, e.g. `account`.
    target_type: String,
    target_id: Option<String>,
    /// Request id of the HTTP request.
    request_id: Option<String>,
    /// Names (and non-secret new values) of the changed fields.
    changes: Value,
}

/// One event as the console shows it.
fn event_item(e: &AuditEvent) -> EventItem {
    EventItem {
        id: e.id,
        at: e.at.format(&Rfc3339).unwrap_or_default(),
        actor_account_id: e.actor_account_id,
        actor_access_key_id: e.actor_access_key_id,
        action: e.action.clone(),
        target_type: e.target_type.clone(),
        target_id: e.target_id.clone(),
        request_id: e.request_id.clone(),
        changes: e.changes.clone(),
    }
}

/// One event as the console shows it, as a JSON value (the operator's command line prints it).
pub fn event_json(e: &AuditEvent) -> Value {
    json!(event_item(e))
}

/// `{"data": [event…], "limit", "has_more", "next_cursor"}`.
#[derive(Serialize, ToSchema)]
#[schema(as = AuditEventPage)]
struct EventPage {
    /// Newest first.
    data: Vec<EventItem>,
    /// Page size.
    limit: i64,
    /// More events follow.
    has_more: bool,
    /// Pass as `cursor` for the next page; `null` on the last.
    next_cursor: Option<String>,
}

/// `GET /audit-events`: the audit log, newest first (platform administrators and auditors).
#[utoipa::path(
    get,
    path = "/console/api/audit-events",
    tag = "audit log",
    params(
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 100, description = "Page size (default 20)."),
        ("actor" = Option<uuid::Uuid>, Query, description = "Only events of this acting account."),
        ("target_type" = Option<String>, Query, description = "Only events on targets of this kind (`account`, …)."),
        ("target_id" = Option<String>, Query, description = "Only events on this target."),
        ("action" = Option<String>, Query, description = "Only events of this action (`account.update`, …)."),
        ("since" = Option<String>, Query, format = DateTime, description = "Only events at or after this time."),
        ("until" = Option<String>, Query, format = DateTime, description = "Only events before this time."),
        ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page."),
    ),
    responses(
        (status = 200, description = "A page of events.", body = EventPage),
        (status = 400, description = "A parameter is invalid.", body = BadRequestBody),
        (status = 403, description = "Only platform administrators and auditors.", body = ErrorBody),
        SessionFailures,
    ),
    security(("console_session" = []))
)]
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
    Ok(HttpResponse::Ok().json(EventPage {
        data: page.events.iter().map(event_item).collect(),
        limit,
        has_more: page.next.is_some(),
        next_cursor: page.next.map(|c| c.encode()),
    }))
}
