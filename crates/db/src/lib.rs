//! # accountd storage adapter
//!
//! One Diesel code base over two backends: Postgres (production) and embedded SQLite (the zero-setup
//! default), through `#[derive(MultiConnection)]`. [`Database`] owns an r2d2 pool and runs every query on
//! a database thread of its own (one per pooled connection) with the connection taken inside the closure, so no
//! actix worker ever waits on the database. The repositories in [`repo`] implement the domain's storage ports; per-backend SQL appears
//! only inside a `match` on [`DbConnection`] here.

mod conn;
mod dify;
mod error;
mod migrate;
mod ports;
pub mod repo;
mod rows;
pub mod schema;
pub mod seed;
mod threads;

pub use conn::{Backend, ConnectError, Database, DbConnection, DbOptions, PoolStats};
pub use dify::{
    import_dify, imported_password_count, ImportError, ImportReport, Progress as ImportProgress, TableReport,
};
pub use error::RepoError;
pub use migrate::{migration_versions, require_migrated, revert_all, run_migrations, MigrationError};
pub use ports::storage_ports;
pub use repo::{
    DieselAccessKeys, DieselAccounts, DieselAuditLog, DieselCodes, DieselDatasets, DieselDirectory, DieselHousekeeping,
    DieselIdentities, DieselMfa, DieselOutbox, DieselSessions, DieselThrottles, OutboxCounts,
};
