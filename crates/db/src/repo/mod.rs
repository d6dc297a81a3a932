//! Diesel implementations of the domain's storage ports.

mod access_keys;
mod account_search;
mod accounts;
mod audit;
mod auth_cache;
mod bounded;
mod codes;
mod datasets;
mod directory;
mod housekeeping;
mod identities;
mod mfa;
mod outbox;
mod sessions;
mod throttles;

pub use access_keys::DieselAccessKeys;
pub use accounts::DieselAccounts;
pub use audit::DieselAuditLog;
pub use codes::DieselCodes;
pub use datasets::DieselDatasets;
pub use directory::DieselDirectory;
pub use housekeeping::DieselHousekeeping;
pub use identities::DieselIdentities;
pub use mfa::DieselMfa;
pub use outbox::{DieselOutbox, OutboxCounts};
pub use sessions::DieselSessions;
pub use throttles::DieselThrottles;

use async_trait::async_trait;
use domain::ports::StoreHealth;
use domain::DomainResult;

use crate::conn::DbConnection;
use crate::Database;

/// The statement with the backend's placeholders: Postgres `$n`, SQLite `?n` (the same numbering).
pub(crate) fn for_backend(conn: &DbConnection, sql: &str) -> String {
    match conn {
        DbConnection::Postgres(_) => sql.to_owned(),
        DbConnection::Sqlite(_) => sql.replace('$', "?"),
    }
}

/// The rows of `page` of a listing of `total` rows: `load` runs only when the page holds any (a page past the
/// end, and every page of an empty listing, costs the count alone).
pub(crate) fn rows_of_page<T>(
    total: i64,
    page: domain::model::PageRequest,
    load: impl FnOnce() -> Result<Vec<T>, crate::error::RepoError>,
) -> Result<Vec<T>, crate::error::RepoError> {
    if total > page.offset() {
        load()
    } else {
        Ok(Vec::new())
    }
}

/// How long a readiness check may take.
const READY_WITHIN: std::time::Duration = std::time::Duration::from_millis(90);

#[async_trait]
impl StoreHealth for Database {
    async fn ping(&self) -> DomainResult<()> {
        self.check_ready(READY_WITHIN).await
    }
}
