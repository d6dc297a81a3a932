//! Black-box HTTP tests: the whole server on a free port, one private database per test, every test on
//! SQLite and on Postgres.

mod accounts;
mod auth;
mod cli;
mod datasets;
mod groups;
mod helpers;
mod invitations;
mod matrix;
mod repairs;
mod setup;
mod wire_shapes;
mod workspaces;
