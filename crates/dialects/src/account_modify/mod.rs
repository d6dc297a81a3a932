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

pub use envelope::ModifyError;

/// Registers the dialect's scope, `/api/v1/account`.
pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api/v1/account")
            .wrap(from_fn(trace_errors::<ModifyError>))
            .route("/add", web::post().to(accounts::add))
            .route("/get", web::get().to(accounts::get))
            .route("/list", web::get().to(accounts::list))
            .route("/delete", web::post().to(accounts::delete))
            .route("/set-disable", web::post().to(accounts::set_disable))
            .route("/{account_uuid}/modify", web::post().to(accounts::modify))
            .default_service(web::to(envelope::unknown_route)),
    );
}
