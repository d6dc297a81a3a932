//! The openapi/v1 dialect (`/openapi/v1/accounts/…`, partner provisioning): `Authorization: Bearer
//! <access_key>.<secret>`, the envelope `{errcode, errmsg, data}` with the HTTP status as `errcode`, integer
//! codes for status and role. Trailing slashes are optional.
//!
//! Served so far: `GET /?q&offset&limit&count`, `POST /`, `POST create-accounts/`, `GET {uid}/`, `PUT {uid}/`, `PUT update-accounts/`, `DELETE {uid}/`,
//! `DELETE delete-accounts/`, `POST fetch/`, `GET {uid}/projects/`.

mod accounts;
mod auth;
mod error;

use crate::common::routes::dialect_modules;

pub use error::{unknown_route, OpenApiError};

/// Where the dialect is mounted.
pub const BASE: &str = "/openapi/v1/accounts";

dialect_modules!(base = BASE; accounts);
