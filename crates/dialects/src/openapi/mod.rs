//! The openapi/v1 dialect (`/openapi/v1/accounts/…`, partner provisioning): `Authorization: Bearer
//! <access_key>.<secret>`, the envelope `{errcode, errmsg, data}` with the HTTP status as `errcode`, integer
//! codes for status and role. Trailing slashes are optional.
//!
//! Served so far: `GET /?q&offset&limit&count`, `POST /`, `POST create-accounts/`, `GET {uid}/`, `PUT {uid}/`, `PUT update-accounts/`, `DELETE {uid}/`,
//! `DELETE delete-accounts/`, `POST fetch/`, `GET {uid}/projects/`.

mod accounts;
mod auth;
mod error;

use actix_web::web;

pub use error::{unknown_route, OpenApiError};

/// Registers the routes (mounted under `/openapi/v1/accounts`).
pub fn config(cfg: &mut web::ServiceConfig) {
    for root in ["", "/"] {
        cfg.route(root, web::get().to(accounts::list)).route(root, web::post().to(accounts::create));
    }
    for batch in ["/create-accounts", "/create-accounts/"] {
        cfg.route(batch, web::post().to(accounts::create_batch));
    }
    for fetch in ["/fetch", "/fetch/"] {
        cfg.route(fetch, web::post().to(accounts::fetch));
    }
    for batch in ["/update-accounts", "/update-accounts/"] {
        cfg.route(batch, web::put().to(accounts::update_batch));
    }
    for batch in ["/delete-accounts", "/delete-accounts/"] {
        cfg.route(batch, web::delete().to(accounts::delete_batch));
    }
    for projects in ["/{uid}/projects", "/{uid}/projects/"] {
        cfg.route(projects, web::get().to(accounts::projects));
    }
    for one in ["/{uid}", "/{uid}/"] {
        cfg.route(one, web::get().to(accounts::get))
            .route(one, web::put().to(accounts::update))
            .route(one, web::delete().to(accounts::delete));
    }
}
