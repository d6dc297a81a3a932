//! Operational endpoints: what this server is (`/`), liveness and readiness.

use actix_web::{web, HttpResponse};
use serde_json::json;

use crate::AppState;

/// Registers `/`, `/healthz` and `/readyz`.
pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(index))
        .route("/healthz", web::get().to(healthz))
        .route("/readyz", web::get().to(readyz));
}

/// What answers here: the service, its version, where each dialect and the health endpoints are.
async fn index() -> HttpResponse {
    let documents: serde_json::Map<_, _> =
        crate::apidoc::DOCUMENTS.iter().map(|d| (d.slug.to_owned(), json!(d.url))).collect();
    HttpResponse::Ok().json(json!({
        "service": "accountd",
        "version": env!("CARGO_PKG_VERSION"),
        "dialects": {
            "console": crate::console::BASE,
            "openapi-v1": "/openapi/v1/accounts/",
            "account-modify": "/api/v1/account/",
            "iam": "/iam/idp/v1/users",
        },
        "docs": {
            "reference": crate::apidoc::REFERENCE_PAGE,
            "openapi": documents,
        },
        "health": {"liveness": "/healthz", "readiness": "/readyz"},
        "metrics": "/metrics (with METRICS_TOKEN as a bearer token, when it is set)",
    }))
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
