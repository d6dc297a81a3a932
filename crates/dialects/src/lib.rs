//! # accountd HTTP adapter
//!
//! The outermost ring of the hexagon on the inbound side: actix-web routes for each dialect. A dialect parses
//! its DTOs, calls one shared use case from [`domain::usecases::UseCases`], and renders the result in its own
//! envelope; it holds no business rules. This crate depends on the domain crate only.
//!
//! Dialects: [`console`] (`/console/api`), [`openapi`] (`/openapi/v1/accounts`), [`account_modify`]
//! (`/api/v1/account`), [`iam`] (`/iam/idp/v1`), [`scim`] (`/scim/v2`). Operations: [`ops`] (`/healthz`, `/readyz`). What the dialects
//! share (JSON bodies, query parameters, the access-key caller, request ids) is in [`common`]; every response
//! carries the request id of [`common::request_id`].

pub mod account_modify;
pub mod apidoc;
pub mod common;
pub mod console;
pub mod iam;
pub mod openapi;
pub mod ops;
pub mod scim;

use std::sync::Arc;

use actix_web::web;
use domain::ports::{FileUrlSigner, StoreHealth};
use domain::usecases::UseCases;

/// Flags reported by `GET /console/api/system-features`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SystemFeatures {
    /// Unknown emails may sign up (code, OAuth).
    pub allow_register: bool,
    /// Users without a workspace may create one.
    pub allow_create_workspace: bool,
    /// Self-registration endpoints are open.
    pub is_public_deployment: bool,
    /// Mail really leaves the system.
    pub is_email_setup: bool,
    /// Social / OIDC login is configured.
    pub enable_social_oauth_login: bool,
    /// Email-code login is offered.
    pub enable_email_code_login: bool,
    /// Email + password login is offered.
    pub enable_email_password_login: bool,
    /// Marketplace switch of the console UI.
    pub enable_marketplace: bool,
    /// Plugin package size limit shown by the console UI.
    pub max_plugin_package_size: u64,
}

impl Default for SystemFeatures {
    fn default() -> Self {
        Self {
            allow_register: false,
            allow_create_workspace: false,
            is_public_deployment: false,
            is_email_setup: false,
            enable_social_oauth_login: false,
            enable_email_code_login: false,
            enable_email_password_login: true,
            enable_marketplace: true,
            max_plugin_package_size: 52_428_800,
        }
    }
}

/// Everything handlers need, shared by all workers.
pub struct AppState {
    /// The use cases.
    pub use_cases: Arc<UseCases>,
    /// Signs avatar links.
    pub files: Arc<dyn FileUrlSigner>,
    /// Storage health for `/readyz`.
    pub health: Arc<dyn StoreHealth>,
    /// Console feature flags.
    pub features: SystemFeatures,
    /// Public URL of the console web UI (activation and sign-in links).
    pub console_web_url: String,
    /// Public URL of this API (`CONSOLE_API_URL`: sign-in links and callbacks; the request's own when empty).
    pub console_api_url: String,
    /// Take the client address from `CF-Connecting-IP` / `X-Forwarded-For` (only behind a trusted proxy).
    pub trust_forwarded_headers: bool,
    /// Accept iam writes signed over the date alone (`IAM_ALLOW_DATE_ONLY_WRITES`).
    pub iam_allow_date_only_writes: bool,
    /// Accept iam writes whose signature does not cover a body digest (`IAM_ALLOW_WRITES_WITHOUT_DIGEST`).
    pub iam_allow_writes_without_digest: bool,
    /// How long a request body may take to arrive after its head (`BODY_READ_TIMEOUT_SECONDS`).
    pub body_read_timeout: std::time::Duration,
    /// Set when the server begins to shut down.
    pub draining: Arc<common::connection::Draining>,
}

/// Largest accepted request body.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// Largest body of the openapi/v1 dialect, whose batches carry up to 1000 accounts.
pub const MAX_BATCH_BODY_BYTES: usize = 2 * 1024 * 1024;

/// Registers every route and the shared state.
pub fn configure(state: web::Data<AppState>) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg| {
        cfg.app_data(state)
            .app_data(web::PayloadConfig::new(MAX_BODY_BYTES))
            .configure(ops::config)
            .configure(apidoc::config)
            .service(web::scope(console::BASE).configure(console::register_routes))
            .service(
                web::scope(openapi::BASE)
                    .app_data(web::PayloadConfig::new(MAX_BATCH_BODY_BYTES))
                    .configure(openapi::register_routes)
                    .default_service(web::to(openapi::unknown_route)),
            )
            .service(web::scope("/openapi/v1").default_service(web::to(openapi::unknown_route)))
            .configure(account_modify::config)
            .configure(iam::config)
            .configure(scim::config)
            .default_service(web::to(not_found));
    }
}

/// Unknown paths (and methods a path does not serve) answer a JSON 404 instead of an empty body.
async fn not_found() -> actix_web::HttpResponse {
    actix_web::HttpResponse::NotFound().json(serde_json::json!({
        "code": "not_found",
        "message": "The requested URL was not found on the server.",
        "status": 404,
    }))
}
