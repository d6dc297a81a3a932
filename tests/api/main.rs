//! Black-box HTTP tests: the whole server on a free port, one private database per test, every test on
//! SQLite and on Postgres.

mod access_keys;
mod account_modify;
mod accounts;
mod apidoc;
mod audit;
mod auth;
mod cli;
mod connections;
mod datasets;
mod field_rules;
mod groups;
mod helpers;
mod housekeeping;
mod iam;
mod import;
mod invitations;
mod mail;
mod matrix;
mod metrics;
mod mfa;
mod oauth;
mod openapi;
mod outage;
mod repairs;
mod revocation;
mod scim;
mod seed;
mod service;
mod setup;
mod smtp;
mod wire_shapes;
mod workspaces;
