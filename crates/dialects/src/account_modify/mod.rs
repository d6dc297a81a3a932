//! The account-modify dialect (`/api/v1/account/…`, signed admin API in the shape of a private-deployment
//! external API): HMAC-SHA256 request signing with the `X-Df-*` headers ([`auth`]), the envelope `{code,
//! content, pageInfo, errorCode, message, success, traceId}` with `ft.*` error codes ([`envelope`]), account ids
//! as `acnt_<32 hex>`.
//!
//! Served: `POST add`, `GET get`, `GET list`, `POST delete`, `POST set-disable`, `POST {account_uuid}/modify`.

mod accounts;
mod auth;
mod envelope;

use actix_web::middleware::from_fn;
use actix_web::web;

use crate::common::request_id::trace_errors;
use crate::common::routes::dialect_modules;

/// Where the dialect is mounted.
pub const BASE: &str = "/api/v1/account";

dialect_modules!(base = BASE; accounts);

pub use envelope::ModifyError;

/// Registers the dialect's scope, `/api/v1/account`.
pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope(BASE)
            .wrap(from_fn(trace_errors::<ModifyError>))
            .configure(register_routes)
            .default_service(web::to(envelope::unknown_route)),
    );
}
