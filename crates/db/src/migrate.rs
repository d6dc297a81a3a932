use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use crate::conn::DbConnection;

const POSTGRES: EmbeddedMigrations = embed_migrations!("../../migrations/postgres");
const SQLITE: EmbeddedMigrations = embed_migrations!("../../migrations/sqlite");

/// A migration that failed (and was rolled back), pending migrations where none may be, or the migration
/// bookkeeping failing; the message says which.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct MigrationError(Box<dyn std::error::Error + Send + Sync>);

impl From<Box<dyn std::error::Error + Send + Sync>> for MigrationError {
    fn from(e: Box<dyn std::error::Error + Send + Sync>) -> Self {
        Self(e)
    }
}

type BoxError = MigrationError;

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

/// Checks that every migration this crate embeds has been applied. A service that embeds the adapters on
/// accountd's database calls it at start instead of migrating: accountd (`accountd migrate`) owns the schema.
///
/// # Errors
/// When migrations are pending (the message says how many and what to run), or the check itself fails.
pub fn require_migrated(conn: &mut DbConnection) -> Result<(), BoxError> {
    let pending = match conn {
        DbConnection::Postgres(c) => c.pending_migrations(POSTGRES)?.len(),
        DbConnection::Sqlite(c) => c.pending_migrations(SQLITE)?.len(),
    };
    if pending > 0 {
        return Err(MigrationError(
            format!(
                "the database lacks {pending} of the migrations this build expects: run `accountd migrate` with the \
                 accountd release whose crates this service uses"
            )
            .into(),
        ));
    }
    Ok(())
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
