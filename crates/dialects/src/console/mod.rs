//! The console dialect (`/console/api`): the zgi-next console UI's API, wire-compatible with the seed
//! samples. Handlers translate; rules live in the use cases.

mod access_keys;
mod account;
pub mod audit;
mod auth;
mod datasets;
pub mod dto;
pub mod error;
pub mod extract;
mod groups;
mod invitations;
mod mfa;
mod oauth;
mod recovery;
mod setup;
mod workspaces;

use crate::common::routes::dialect_modules;

/// Where the console is mounted.
pub const BASE: &str = "/console/api";

dialect_modules!(base = BASE;
    setup, auth, account, datasets, groups, workspaces, invitations, oauth, recovery, access_keys, audit, mfa);
