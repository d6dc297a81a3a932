//! Operational endpoints: liveness and readiness.

use actix_web::{web, HttpResponse};
use serde_json::json;

use crate::AppState;

/// Registers `/healthz` and `/readyz`.
pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(healthz)).route("/readyz", web::get().to(readyz));
}

/// The process answers.
async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

/// The database answers, and the server is not shutting down.
async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    if state.draining.is_set() {
        return HttpResponse::ServiceUnavailable().json(json!({"status": "unavailable", "reason": "shutting down"}));
    }
    match state.health.ping().await {
        Ok(()) => HttpResponse::Ok().json(json!({"status": "ready"})),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            HttpResponse::ServiceUnavailable().json(json!({"status": "unavailable", "reason": "database unreachable"}))
        }
    }
}
