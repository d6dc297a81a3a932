//! The iam dialect (`/iam/idp/v1/users…`, an IDP service in Google AIP style): `X-Date` + `Authorization: hmac
//! …` request signing ([`auth`]), `google.rpc.Status` errors ([`status`]), the AIP-160 filter subset
//! ([`filter`]), users with `update_mask` and per-user access keys ([`users`]).

mod auth;
mod filter;
mod status;
mod users;

use actix_web::middleware::from_fn;
use actix_web::web;

pub use status::IamError;

use crate::common::request_id::trace_errors;

/// Registers the dialect's scope, `/iam/idp/v1`.
pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/iam/idp/v1")
            .wrap(from_fn(trace_errors::<IamError>))
            .route("/users", web::post().to(users::create))
            .route("/users", web::get().to(users::list))
            .route("/users/{id}", web::get().to(users::get))
            .route("/users/{id}", web::patch().to(users::update))
            .route("/users/{id}", web::put().to(users::update))
            .route("/users/{id}", web::delete().to(users::delete))
            .route("/users/{id}/accessKeys", web::post().to(users::create_key))
            .route("/users/{id}/accessKeys", web::get().to(users::list_keys))
            .route("/users/{id}/accessKeys/{ak_id}", web::delete().to(users::delete_key))
            .default_service(web::to(status::unknown_route)),
    );
}
