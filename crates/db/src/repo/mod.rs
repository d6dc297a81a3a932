//! Diesel implementations of the domain's storage ports.

mod accounts;
mod datasets;
mod directory;
mod sessions;
mod throttles;

pub use accounts::DieselAccounts;
pub use datasets::DieselDatasets;
pub use directory::DieselDirectory;
pub use sessions::DieselSessions;
pub use throttles::DieselThrottles;

use async_trait::async_trait;
use diesel::connection::SimpleConnection;
use domain::ports::StoreHealth;
use domain::DomainResult;

use crate::Database;

#[async_trait]
impl StoreHealth for Database {
    async fn ping(&self) -> DomainResult<()> {
        self.run(|conn| Ok(conn.batch_execute("SELECT 1")?)).await
    }
}
