//! The SCIM 2.0 dialect (`/scim/v2`, RFC 7643 and RFC 7644), for identity providers that provision users:
//! `Authorization: Bearer <access_key>.<secret>` ([`auth`]), `application/scim+json` bodies, errors as
//! `urn:ietf:params:scim:api:messages:2.0:Error` ([`error`]), the filter and PATCH-path grammar ([`filter`]),
//! PATCH operations ([`patch`]), discovery ([`discovery`]), `Users` ([`users`]) and `Groups` ([`groups`]). A translator over the shared
//! account use cases, as the other dialects are.

mod auth;
mod discovery;
mod error;
mod filter;
mod groups;
mod patch;
mod resource;
mod schema;
mod users;

use actix_web::{web, HttpRequest};

pub use error::ScimError;

use crate::common::routes::dialect_modules;
use crate::AppState;

/// Where the dialect is mounted.
pub const BASE: &str = "/scim/v2";

/// The media type of SCIM bodies.
pub const CONTENT_TYPE: &str = "application/scim+json";

dialect_modules!(base = BASE; discovery, users, groups);

/// Registers the dialect's scope, `/scim/v2`.
pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.service(web::scope(BASE).configure(register_routes).default_service(web::to(error::unknown_route)));
}

/// The dialect's public base URL (`CONSOLE_API_URL`, else the request's own scheme and host) with `/scim/v2`,
/// for `meta.location`.
fn public_base(state: &AppState, req: &HttpRequest) -> String {
    let root = state.console_api_url.trim_end_matches('/');
    if root.is_empty() {
        let info = req.connection_info();
        format!("{}://{}{BASE}", info.scheme(), info.host())
    } else {
        format!("{root}{BASE}")
    }
}
