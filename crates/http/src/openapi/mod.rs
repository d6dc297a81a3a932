//! The openapi/v1 dialect (`/openapi/v1/accounts/…`, partner provisioning): `Authorization: Bearer
//! <access_key>.<secret>`, the envelope `{errcode, errmsg, data}` with the HTTP status as `errcode`, integer
//! codes for status and role. Trailing slashes are optional.
//!
//! This release serves the read side: `GET /?q&offset&limit&count`, `GET {uid}/` and `POST fetch/`.

mod accounts;
mod auth;
mod error;

use actix_web::web;

pub use error::OpenApiError;

/// Registers the routes (mounted under `/openapi/v1/accounts`).
pub fn config(cfg: &mut web::ServiceConfig) {
    for root in ["", "/"] {
        cfg.route(root, web::get().to(accounts::list));
    }
    for fetch in ["/fetch", "/fetch/"] {
        cfg.route(fetch, web::post().to(accounts::fetch));
    }
    for one in ["/{uid}", "/{uid}/"] {
        cfg.route(one, web::get().to(accounts::get));
    }
}
