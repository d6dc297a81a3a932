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

use crate::request_id::trace_errors;

pub use envelope::ModifyError;

/// The dialect's scope, mounted at `/api/v1/account`.
pub fn scope() -> actix_web::Scope<
    impl actix_web::dev::ServiceFactory<
        actix_web::dev::ServiceRequest,
        Config = (),
        Response = actix_web::dev::ServiceResponse<actix_web::body::BoxBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    web::scope("/api/v1/account")
        .wrap(from_fn(trace_errors::<ModifyError>))
        .route("/add", web::post().to(accounts::add))
        .route("/get", web::get().to(accounts::get))
        .route("/list", web::get().to(accounts::list))
        .route("/delete", web::post().to(accounts::delete))
        .route("/set-disable", web::post().to(accounts::set_disable))
        .route("/{account_uuid}/modify", web::post().to(accounts::modify))
        .default_service(web::to(envelope::unknown_route))
}
