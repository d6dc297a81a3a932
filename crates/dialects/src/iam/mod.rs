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
use crate::common::routes::dialect_modules;

/// Where the dialect is mounted.
pub const BASE: &str = "/iam/idp/v1";

dialect_modules!(base = BASE; users);

/// Registers the dialect's scope, `/iam/idp/v1`.
pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope(BASE)
            .wrap(from_fn(trace_errors::<IamError>))
            .configure(register_routes)
            .default_service(web::to(status::unknown_route)),
    );
}
