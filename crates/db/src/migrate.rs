use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use crate::conn::DbConnection;

const POSTGRES: EmbeddedMigrations = embed_migrations!("../../migrations/postgres");
const SQLITE: EmbeddedMigrations = embed_migrations!("../../migrations/sqlite");

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Applies pending migrations of the connection's backend; returns the versions applied.
///
/// # Errors
/// When a migration fails (it is rolled back).
pub fn run_migrations(conn: &mut DbConnection) -> Result<Vec<String>, BoxError> {
    let applied = match conn {
        DbConnection::Postgres(c) => c.run_pending_migrations(POSTGRES)?,
        DbConnection::Sqlite(c) => c.run_pending_migrations(SQLITE)?,
    };
    Ok(applied.into_iter().map(|v| v.to_string()).collect())
}

/// Reverts every applied migration (tests: up → down → up).
///
/// # Errors
/// When a down migration fails.
pub fn revert_all(conn: &mut DbConnection) -> Result<usize, BoxError> {
    let reverted = match conn {
        DbConnection::Postgres(c) => c.revert_all_migrations(POSTGRES)?,
        DbConnection::Sqlite(c) => c.revert_all_migrations(SQLITE)?,
    };
    Ok(reverted.len())
}

/// The embedded migration versions of each backend: `(postgres, sqlite)`.
pub fn migration_versions() -> (Vec<String>, Vec<String>) {
    use diesel::migration::MigrationSource;
    let names = |m: &EmbeddedMigrations| -> Vec<String> {
        MigrationSource::<diesel::pg::Pg>::migrations(m)
            .map(|v| v.iter().map(|m| m.name().version().to_string()).collect())
            .unwrap_or_default()
    };
    (names(&POSTGRES), names(&SQLITE))
}
