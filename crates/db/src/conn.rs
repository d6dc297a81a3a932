use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{self, ManageConnection, Pool};
use domain::{DomainError, DomainResult};
use tokio::sync::Semaphore;

use crate::error::{connection_lost, RepoError};

/// A connection to either backend.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    /// Postgres.
    Postgres(diesel::PgConnection),
    /// Embedded SQLite.
    Sqlite(diesel::SqliteConnection),
}

/// Which database a URL names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Backend {
    /// `postgres://…` or `postgresql://…`.
    Postgres(String),
    /// `sqlite://<path>`: the file path.
    Sqlite(String),
}

impl Backend {
    /// Picks the backend from the URL scheme.
    ///
    /// # Errors
    /// A message naming the accepted schemes for anything else.
    pub fn from_url(url: &str) -> Result<Self, String> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Self::Postgres(url.to_owned()))
        } else if let Some(path) = url.strip_prefix("sqlite://") {
            if path.is_empty() {
                return Err("DATABASE_URL sqlite:// needs a file path, e.g. sqlite://data/accountd.db".into());
            }
            Ok(Self::Sqlite(path.to_owned()))
        } else {
            // Only a short, plain scheme is echoed: anything else may be a URL with a password in it.
            let scheme = url
                .split_once("://")
                .map(|(s, _)| s)
                .filter(|s| s.len() <= 16 && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '+'));
            Err(match scheme {
                Some(s) => format!("unsupported DATABASE_URL scheme {s:?}: use postgres://… or sqlite://<path>"),
                None => "unsupported DATABASE_URL scheme: use postgres://… or sqlite://<path>".into(),
            })
        }
    }

    /// True for SQLite.
    pub fn is_sqlite(&self) -> bool {
        matches!(self, Self::Sqlite(_))
    }
}

/// Opens connections of one backend and prepares each SQLite connection.
#[derive(Debug, Clone)]
struct Manager {
    backend: Backend,
}

impl ManageConnection for Manager {
    type Connection = DbConnection;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<DbConnection, r2d2::Error> {
        match &self.backend {
            Backend::Postgres(url) => {
                diesel::PgConnection::establish(url).map(DbConnection::Postgres).map_err(r2d2::Error::ConnectionError)
            }
            Backend::Sqlite(path) => {
                let mut conn = diesel::SqliteConnection::establish(path).map_err(r2d2::Error::ConnectionError)?;
                conn.batch_execute(
                    "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000; PRAGMA synchronous = NORMAL;",
                )
                .map_err(r2d2::Error::QueryError)?;
                Ok(DbConnection::Sqlite(conn))
            }
        }
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), r2d2::Error> {
        conn.batch_execute("SELECT 1").map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        match conn {
            DbConnection::Postgres(c) => r2d2::R2D2Connection::is_broken(c),
            DbConnection::Sqlite(c) => r2d2::R2D2Connection::is_broken(c),
        }
    }
}

/// Marks a connection the server has closed so that the pool drops it when it comes back (its check of a
/// returned connection sees a broken transaction manager) and opens a fresh one, instead of handing the dead
/// connection to the next request.
fn discard_on_return(conn: &mut DbConnection) {
    use diesel::connection::{AnsiTransactionManager, TransactionManager};
    if let DbConnection::Postgres(pg) = conn {
        <AnsiTransactionManager as TransactionManager<diesel::PgConnection>>::transaction_manager_status_mut(pg)
            .set_in_error();
    }
}

/// Pool settings.
#[derive(Debug, Clone)]
pub struct DbOptions {
    /// Maximum connections.
    pub pool_size: u32,
    /// How long to wait for a free connection.
    pub acquire_timeout: Duration,
    /// Open every connection at once and keep them open (a server, whose first burst of requests would
    /// otherwise wait for connections being opened); otherwise one is kept open and the rest opened on demand.
    pub open_all: bool,
}

impl Default for DbOptions {
    fn default() -> Self {
        Self { pool_size: 10, acquire_timeout: Duration::from_secs(5), open_all: false }
    }
}

/// The connection pool and the blocking-pool runner every repository uses.
#[derive(Clone)]
pub struct Database {
    pool: Pool<Manager>,
    backend: Backend,
    /// One permit per pooled connection: a task waits here, without a thread, until a connection is free, so
    /// only as many blocking threads run database work as there are connections.
    hops: Arc<Semaphore>,
    acquire_timeout: Duration,
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = if self.backend.is_sqlite() { "sqlite" } else { "postgres" };
        f.debug_struct("Database").field("backend", &kind).finish_non_exhaustive()
    }
}

impl Database {
    /// Opens a pool for `url` (`postgres://…` or `sqlite://path`). For SQLite the parent directory is
    /// created and the file switched to WAL once. Blocking: call before the server starts, or from
    /// `spawn_blocking`.
    ///
    /// # Errors
    /// A readable message for bad URLs and unreachable databases.
    pub fn connect(url: &str, options: &DbOptions) -> Result<Self, String> {
        let backend = Backend::from_url(url)?;
        if let Backend::Sqlite(path) = &backend {
            if let Some(parent) = Path::new(path).parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent).map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
            }
            let mut conn = diesel::SqliteConnection::establish(path).map_err(|e| format!("cannot open {path}: {e}"))?;
            conn.batch_execute("PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL;")
                .map_err(|e| format!("cannot enable WAL on {path}: {e}"))?;
        }
        let pool = Pool::builder()
            .max_size(options.pool_size)
            .min_idle(Some(if options.open_all { options.pool_size } else { 1 }))
            .connection_timeout(options.acquire_timeout)
            // Checking out does not ping: a broken connection is detected by `has_broken` and replaced.
            .test_on_check_out(false)
            .build(Manager { backend: backend.clone() })
            .map_err(|e| format!("cannot connect to the database: {e}"))?;
        let hops = Arc::new(Semaphore::new(options.pool_size as usize));
        Ok(Self { pool, backend, hops, acquire_timeout: options.acquire_timeout })
    }

    /// The backend in use.
    pub fn backend(&self) -> &Backend {
        &self.backend
    }

    /// A pooled connection, for blocking code only (CLI, migrations, tests).
    ///
    /// # Errors
    /// When no connection can be had within the acquire timeout.
    pub fn get(&self) -> Result<r2d2::PooledConnection<impl ManageConnection<Connection = DbConnection>>, String> {
        self.pool.get().map_err(|e| format!("no database connection: {e}"))
    }

    /// Runs `work` on the blocking pool with a pooled connection taken there, once one is free.
    ///
    /// # Errors
    /// [`DomainError::Unavailable`] when no connection can be had within the acquire timeout; whatever `work`
    /// returns.
    pub async fn run<T, F>(&self, work: F) -> DomainResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection) -> Result<T, RepoError> + Send + 'static,
    {
        let permit = tokio::time::timeout(self.acquire_timeout, Arc::clone(&self.hops).acquire_owned())
            .await
            .map_err(|_| DomainError::unavailable("no database connection: timed out waiting for a free connection"))?
            .map_err(DomainError::internal)?;
        let pool = self.pool.clone();
        let span = tracing::Span::current();
        let joined = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let _entered = span.enter();
            let mut conn = pool.get().map_err(|e| RepoError::Domain(DomainError::unavailable(e)))?;
            let result = work(&mut conn);
            if let Err(RepoError::Diesel(e)) = &result {
                if connection_lost(e) {
                    discard_on_return(&mut conn);
                }
            }
            result
        })
        .await;
        match joined {
            Ok(result) => result.map_err(RepoError::into_domain),
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(e) => Err(DomainError::internal(e)),
        }
    }

    /// Runs `work` in one write transaction (`BEGIN IMMEDIATE` on SQLite, so concurrent writers queue on the
    /// busy timeout instead of failing), on the blocking pool.
    pub async fn write<T, F>(&self, work: F) -> DomainResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection) -> Result<T, RepoError> + Send + 'static,
    {
        self.run(move |conn| write_transaction(conn, work)).await
    }
}

/// Runs `work` in a write transaction on `conn`; commits on `Ok`, rolls back on `Err`.
///
/// # Errors
/// Whatever `work` returns, or the failure to begin or commit.
pub(crate) fn write_transaction<T>(
    conn: &mut DbConnection,
    work: impl FnOnce(&mut DbConnection) -> Result<T, RepoError>,
) -> Result<T, RepoError> {
    match conn {
        DbConnection::Postgres(_) => conn.transaction(work),
        DbConnection::Sqlite(_) => {
            conn.batch_execute("BEGIN IMMEDIATE")?;
            // Diesel does not know about this transaction: roll it back on a panic too, so the connection goes
            // back to the pool clean, then let the panic continue.
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(conn)));
            let outcome = match outcome {
                Ok(outcome) => outcome,
                Err(panic) => {
                    let _ = conn.batch_execute("ROLLBACK");
                    std::panic::resume_unwind(panic)
                }
            };
            match outcome {
                Ok(value) => match conn.batch_execute("COMMIT") {
                    Ok(()) => Ok(value),
                    Err(e) => {
                        let _ = conn.batch_execute("ROLLBACK");
                        Err(e.into())
                    }
                },
                Err(e) => {
                    conn.batch_execute("ROLLBACK")?;
                    Err(e)
                }
            }
        }
    }
}
