use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{self, ManageConnection, Pool};
use domain::{DomainError, DomainResult};

use crate::error::{connection_lost, RepoError};
use crate::threads::DbThreads;

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

/// Why a database could not be opened or a connection had: a message that says what to change (it never
/// repeats a URL, which may hold a password).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ConnectError(String);

impl Backend {
    /// Picks the backend from the URL scheme.
    ///
    /// # Errors
    /// A message naming the accepted schemes for anything else.
    pub fn from_url(url: &str) -> Result<Self, ConnectError> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Self::Postgres(url.to_owned()))
        } else if let Some(path) = url.strip_prefix("sqlite://") {
            if path.is_empty() {
                return Err(ConnectError(
                    "DATABASE_URL sqlite:// needs a file path, e.g. sqlite://data/accountd.db".into(),
                ));
            }
            Ok(Self::Sqlite(path.to_owned()))
        } else {
            // Only a short, plain scheme is echoed: anything else may be a URL with a password in it.
            let scheme = url
                .split_once("://")
                .map(|(s, _)| s)
                .filter(|s| s.len() <= 16 && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '+'));
            Err(ConnectError(match scheme {
                Some(s) => format!("unsupported DATABASE_URL scheme {s:?}: use postgres://… or sqlite://<path>"),
                None => "unsupported DATABASE_URL scheme: use postgres://… or sqlite://<path>".into(),
            }))
        }
    }

    /// True for SQLite.
    pub fn is_sqlite(&self) -> bool {
        matches!(self, Self::Sqlite(_))
    }
}

/// Creates the SQLite file's directory and switches the file to WAL, with errors that say what to change.
fn open_sqlite_file(path: &str) -> Result<(), String> {
    let file = Path::new(path);
    if file.is_dir() {
        return Err(format!(
            "DATABASE_URL sqlite://{path} names a directory: give a file in it, such as sqlite://{}",
            file.join("accountd.db").display()
        ));
    }
    if let Some(parent) = file.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .map_err(|e| format!("cannot create the directory {} for the SQLite file {path}: {e}", parent.display()))?;
    }
    let mut conn = diesel::SqliteConnection::establish(path)
        .map_err(|e| format!("cannot open the SQLite file {path}: {e} (is its directory writable?)"))?;
    conn.batch_execute("PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL;").map_err(|e| {
        format!("cannot write to the SQLite file {path}: {e} (the file and its directory must be writable)")
    })
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
    /// How long after the database was found unreachable requests still wait for it (a restart takes about a
    /// second); after that they fail at once, until it answers again.
    pub outage_grace: Duration,
    /// How long the account repository may answer an authentication from an account it read before
    /// ([`crate::DieselAccounts`]); zero reads every time.
    pub authentication_cache: Duration,
}

impl Default for DbOptions {
    fn default() -> Self {
        Self {
            pool_size: 10,
            acquire_timeout: Duration::from_secs(5),
            open_all: false,
            outage_grace: Duration::from_secs(3),
            authentication_cache: Duration::ZERO,
        }
    }
}

/// While the database is known to be unreachable, one request in this interval goes on to try it.
const PROBE_INTERVAL: Duration = Duration::from_millis(250);

/// How long such a probing request waits for a connection.
const PROBE_WAIT: Duration = Duration::from_millis(500);

/// r2d2 opens a connection that failed again after a back-off that doubles from 200 ms up to half its
/// connection timeout: this one keeps that back-off at 500 ms, so the pool finds a database that came back
/// within half a second. (Waits for a connection use their own timeouts.)
const RECONNECT_TIMEOUT: Duration = Duration::from_secs(1);

/// What the pool knows of the database's reachability. Connection failures (reported by r2d2) mark it down;
/// any work that got a connection marks it up again.
#[derive(Debug)]
struct Reachability {
    down: AtomicBool,
    state: Mutex<Outage>,
    grace: Duration,
    /// Milliseconds since `epoch` of the last work that got a connection.
    last_ok_ms: AtomicU64,
    epoch: Instant,
}

#[derive(Debug, Default)]
struct Outage {
    since: Option<Instant>,
    next_probe: Option<Instant>,
}

/// How a request may go on.
#[derive(Debug, Clone, Copy)]
enum Admission {
    /// Wait for a connection until `until` at most; a request that is not the probe stops waiting, too, when
    /// the grace of an outage noticed meanwhile ends.
    Wait { until: Instant, probe: bool },
    /// The database is known to be down: answer at once.
    Refuse,
}

impl Reachability {
    fn new(grace: Duration) -> Self {
        Self {
            down: AtomicBool::new(false),
            state: Mutex::new(Outage::default()),
            grace,
            last_ok_ms: AtomicU64::new(0),
            epoch: Instant::now(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Outage> {
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A connection could not be opened.
    fn connect_failed(&self, error: &str) {
        let mut outage = self.lock();
        if outage.since.is_none() {
            outage.since = Some(Instant::now());
            self.down.store(true, Ordering::Release);
            tracing::warn!(%error, "database unreachable");
        } else {
            tracing::debug!(%error, "database still unreachable");
        }
    }

    /// Work got a connection.
    fn reached(&self) {
        self.last_ok_ms.store(self.ms_since_epoch(), Ordering::Relaxed);
        if self.down.load(Ordering::Acquire) {
            let mut outage = self.lock();
            if let Some(since) = outage.since.take() {
                tracing::info!(down_ms = since.elapsed().as_millis() as u64, "database reachable again");
            }
            outage.next_probe = None;
            self.down.store(false, Ordering::Release);
        }
    }

    fn ms_since_epoch(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// Whether some work got a connection within `recently`.
    fn reached_within(&self, recently: Duration) -> bool {
        let last = self.last_ok_ms.load(Ordering::Relaxed);
        last > 0 && self.ms_since_epoch().saturating_sub(last) <= u64::try_from(recently.as_millis()).unwrap_or(0)
    }

    /// Whether a request may try the database now, and until when it may wait for a connection: `usual`
    /// from now while the database is not known to be down; until the end of the grace period during the first
    /// moments of an outage; after that, only one probing request per [`PROBE_INTERVAL`].
    fn admit(&self, usual: Duration) -> Admission {
        let now = Instant::now();
        if !self.down.load(Ordering::Acquire) {
            return Admission::Wait { until: now + usual, probe: false };
        }
        let mut outage = self.lock();
        let Some(since) = outage.since else { return Admission::Wait { until: now + usual, probe: false } };
        if now < since + self.grace {
            return Admission::Wait { until: (since + self.grace).min(now + usual), probe: false };
        }
        match outage.next_probe {
            Some(next) if next > now => Admission::Refuse,
            _ => {
                outage.next_probe = Some(now + PROBE_INTERVAL);
                Admission::Wait { until: now + PROBE_WAIT.min(usual), probe: true }
            }
        }
    }

    /// When the grace of the current outage ends, if the database is known to be down.
    fn grace_end(&self) -> Option<Instant> {
        if !self.down.load(Ordering::Acquire) {
            return None;
        }
        self.lock().since.map(|since| since + self.grace)
    }
}

/// Reports r2d2's connection failures to [`Reachability`].
#[derive(Debug)]
struct WatchConnects(Arc<Reachability>);

impl r2d2::HandleError<r2d2::Error> for WatchConnects {
    fn handle_error(&self, error: r2d2::Error) {
        self.0.connect_failed(&error.to_string());
    }
}

/// The answer for work refused or timed out while the database cannot be reached.
fn unreachable() -> DomainError {
    DomainError::unavailable("the database cannot be reached")
}

/// The connection pool and the blocking-pool runner every repository uses.
#[derive(Clone)]
pub struct Database {
    pool: Pool<Manager>,
    backend: Backend,
    /// One thread per pooled connection, on which all database work runs; work waits in their queue, without a
    /// thread of its own, until one is free.
    threads: Arc<DbThreads>,
    acquire_timeout: Duration,
    reachability: Arc<Reachability>,
    counters: Arc<PoolCounters>,
    authentication_cache: Duration,
    /// Moves each time a write transaction ends, committed or not ([`Database::write_generation`]).
    writes: Arc<AtomicU64>,
}

/// What the pool counts as it goes.
#[derive(Debug, Default)]
struct PoolCounters {
    /// Work that gave up waiting for a connection.
    acquire_timeouts: AtomicU64,
}

/// The state of the connection pool, for metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolStats {
    /// Most connections.
    pub max_connections: u32,
    /// Connections open.
    pub connections: u32,
    /// Open connections not in use.
    pub idle: u32,
    /// Database work waiting for a connection.
    pub waiting: usize,
    /// Database work that gave up waiting for a connection (answered 503) since start.
    pub acquire_timeouts: u64,
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = if self.backend.is_sqlite() { "sqlite" } else { "postgres" };
        f.debug_struct("Database").field("backend", &kind).finish_non_exhaustive()
    }
}

impl Database {
    /// How long authentications may be answered from accounts read before ([`DbOptions::authentication_cache`]).
    pub fn authentication_cache(&self) -> Duration {
        self.authentication_cache
    }

    /// How many write transactions of this process have ended. A cache that keeps what it read next to the
    /// generation taken before the read may use it only while the generation has not moved: any write through
    /// [`Database::write`] makes everything read before it stale at once.
    pub fn write_generation(&self) -> u64 {
        self.writes.load(Ordering::Acquire)
    }

    /// Opens a pool for `url` (`postgres://…` or `sqlite://path`). For SQLite the parent directory is
    /// created and the file switched to WAL once. Blocking: call before the server starts, or from
    /// `spawn_blocking`.
    ///
    /// # Errors
    /// A readable message for bad URLs and unreachable databases.
    pub fn connect(url: &str, options: &DbOptions) -> Result<Self, ConnectError> {
        let backend = Backend::from_url(url)?;
        if let Backend::Sqlite(path) = &backend {
            open_sqlite_file(path).map_err(ConnectError)?;
        }
        let reachability = Arc::new(Reachability::new(options.outage_grace));
        let pool = Pool::builder()
            .max_size(options.pool_size)
            .min_idle(Some(if options.open_all { options.pool_size } else { 1 }))
            .connection_timeout(RECONNECT_TIMEOUT.min(options.acquire_timeout))
            // Checking out does not ping: a broken connection is detected by `has_broken` and replaced.
            .test_on_check_out(false)
            .error_handler(Box::new(WatchConnects(Arc::clone(&reachability))))
            .build_unchecked(Manager { backend: backend.clone() });
        // the first connection is opened here, so that a wrong URL or password stops the program at once; a
        // server then waits (a little) for the rest, so that its first burst of requests finds them open
        let first = pool
            .get_timeout(options.acquire_timeout)
            .map_err(|e| ConnectError(format!("cannot connect to the database: {e}")))?;
        drop(first);
        let opened = Instant::now();
        while options.open_all
            && pool.state().connections < options.pool_size
            && opened.elapsed() < options.acquire_timeout
        {
            std::thread::sleep(Duration::from_millis(5));
        }
        let threads = DbThreads::start(options.pool_size as usize)
            .map_err(|e| ConnectError(format!("cannot start the database threads: {e}")))?;
        let counters = Arc::default();
        Ok(Self {
            pool,
            backend,
            threads: Arc::new(threads),
            acquire_timeout: options.acquire_timeout,
            reachability,
            counters,
            authentication_cache: options.authentication_cache,
            writes: Arc::new(AtomicU64::new(0)),
        })
    }

    /// The state of the connection pool.
    pub fn pool_stats(&self) -> PoolStats {
        let state = self.pool.state();
        PoolStats {
            max_connections: self.pool.max_size(),
            connections: state.connections,
            idle: state.idle_connections,
            waiting: self.threads.queued(),
            acquire_timeouts: self.counters.acquire_timeouts.load(Ordering::Relaxed),
        }
    }

    /// The backend in use.
    pub fn backend(&self) -> &Backend {
        &self.backend
    }

    /// A pooled connection, for blocking code only (CLI, migrations, tests).
    ///
    /// # Errors
    /// When no connection can be had within the acquire timeout.
    pub fn get(
        &self,
    ) -> Result<r2d2::PooledConnection<impl ManageConnection<Connection = DbConnection>>, ConnectError> {
        self.pool.get_timeout(self.acquire_timeout).map_err(|e| ConnectError(format!("no database connection: {e}")))
    }

    /// Whether the database can be expected to answer, without waiting: `Err` at once while it is known to be
    /// unreachable; otherwise a `SELECT 1` on an idle connection when there is one, or, when every connection
    /// is busy, whether work got a connection within the last two seconds. For readiness probes, which must
    /// answer quickly whatever the queue of requests.
    ///
    /// # Errors
    /// [`DomainError::Unavailable`] saying why.
    pub async fn check_ready(&self, within: Duration) -> DomainResult<()> {
        if let Admission::Refuse = self.reachability.admit(within) {
            return Err(unreachable());
        }
        let Some(mut conn) = self.pool.try_get() else {
            return if self.reachability.reached_within(Duration::from_secs(2)) {
                Ok(())
            } else {
                Err(DomainError::unavailable("no database connection is free and none was had lately"))
            };
        };
        let reachability = Arc::clone(&self.reachability);
        let ping = tokio::task::spawn_blocking(move || match conn.batch_execute("SELECT 1") {
            Ok(()) => {
                reachability.reached();
                Ok(())
            }
            Err(e) => {
                if connection_lost(&e) {
                    discard_on_return(&mut conn);
                }
                Err(DomainError::unavailable(e))
            }
        });
        match tokio::time::timeout(within, ping).await {
            Ok(Ok(result)) => result,
            Ok(Err(e)) => Err(DomainError::internal(e)),
            Err(_) => Err(DomainError::unavailable(format!("the database did not answer within {within:?}"))),
        }
    }

    /// Runs `work` on a database thread with a pooled connection taken there, once a thread is free. When the
    /// connection turns out to be broken (the database restarted since it was opened) and nothing can have been
    /// committed, `work` runs once more on a connection that answers.
    ///
    /// # Errors
    /// [`DomainError::Unavailable`] when no connection can be had within the acquire timeout, at once while the
    /// database is known to be unreachable, and when a connection broke during a commit (the outcome is then
    /// unknown); whatever `work` returns.
    pub async fn run<T, F>(&self, mut work: F) -> DomainResult<T>
    where
        T: Send + 'static,
        F: FnMut(&mut DbConnection) -> Result<T, RepoError> + Send + 'static,
    {
        let admission = self.reachability.admit(self.acquire_timeout);
        let Admission::Wait { until, .. } = admission else {
            return Err(unreachable());
        };
        let (pool, reachability) = (self.pool.clone(), Arc::clone(&self.reachability));
        let (usual, pool_size) = (self.acquire_timeout, self.pool.max_size());
        let span = tracing::Span::current();
        let done = self
            .threads
            .run(tokio::time::Instant::from_std(until), move || {
                let _entered = span.enter();
                let mut conn = pooled_connection(&pool, &reachability, admission)?;
                reachability.reached();
                match work(&mut conn) {
                    Err(RepoError::Diesel(e)) if connection_lost(&e) => {
                        discard_on_return(&mut conn);
                        drop(conn);
                        tracing::info!(error = %e, "a pooled connection was broken; running the work again on another");
                        let admission = reachability.admit(usual);
                        let mut fresh = answering_connection(&pool, &reachability, admission, pool_size)?;
                        reachability.reached();
                        let result = work(&mut fresh);
                        if let Err(RepoError::Diesel(e)) = &result {
                            if connection_lost(e) {
                                discard_on_return(&mut fresh);
                            }
                        }
                        result
                    }
                    result => result,
                }
            })
            .await;
        match done {
            Ok(result) => result.map_err(RepoError::into_domain),
            Err(_abandoned) => {
                self.counters.acquire_timeouts.fetch_add(1, Ordering::Relaxed);
                Err(DomainError::unavailable("no database connection: timed out waiting for a free connection"))
            }
        }
    }

    /// Runs `work` in one write transaction (`BEGIN IMMEDIATE` on SQLite, so concurrent writers queue on the
    /// busy timeout instead of failing), on a database thread.
    pub async fn write<T, F>(&self, mut work: F) -> DomainResult<T>
    where
        T: Send + 'static,
        F: FnMut(&mut DbConnection) -> Result<T, RepoError> + Send + 'static,
    {
        let writes = Arc::clone(&self.writes);
        self.run(move |conn| {
            let result = write_transaction(conn, &mut work);
            // on the blocking thread, so that it moves even when the caller stopped waiting
            writes.fetch_add(1, Ordering::AcqRel);
            result
        })
        .await
    }
}

/// How long one wait for a pooled connection lasts before the database's reachability is looked at again.
const WAIT_SLICE: Duration = Duration::from_millis(100);

/// A pooled connection, waited for as `admission` allows; a request that is not the probe also stops waiting
/// when the grace of an outage noticed while it waited ends (it must not wait longer than one that came later).
fn pooled_connection(
    pool: &Pool<Manager>,
    reachability: &Reachability,
    admission: Admission,
) -> Result<r2d2::PooledConnection<Manager>, RepoError> {
    let Admission::Wait { until, probe } = admission else {
        return Err(RepoError::Domain(unreachable()));
    };
    loop {
        let until = match reachability.grace_end() {
            Some(end) if !probe => until.min(end),
            _ => until,
        };
        let left = until.saturating_duration_since(Instant::now());
        match pool.get_timeout(left.min(WAIT_SLICE).max(Duration::from_millis(1))) {
            Ok(conn) => return Ok(conn),
            Err(e) if left <= WAIT_SLICE => {
                return Err(RepoError::Domain(DomainError::unavailable(format!("no database connection: {e}"))));
            }
            Err(_) => {}
        }
    }
}

/// A pooled connection that answers `SELECT 1`, for running work again after a broken one: the others idle in
/// the pool were opened before the same restart and are likely broken too; each one found broken is dropped.
fn answering_connection(
    pool: &Pool<Manager>,
    reachability: &Reachability,
    admission: Admission,
    pool_size: u32,
) -> Result<r2d2::PooledConnection<Manager>, RepoError> {
    for _ in 0..=pool_size {
        let mut conn = pooled_connection(pool, reachability, admission)?;
        match conn.batch_execute("SELECT 1") {
            Ok(()) => return Ok(conn),
            Err(e) if connection_lost(&e) => discard_on_return(&mut conn),
            Err(e) => return Err(e.into()),
        }
    }
    Err(RepoError::Domain(unreachable()))
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
        DbConnection::Postgres(_) => {
            let mut body_done = false;
            conn.transaction(|conn| {
                let result = work(conn);
                body_done = result.is_ok();
                result
            })
            .map_err(|e| match e {
                // the work was done and the commit was sent when the connection broke: whether it committed is
                // unknown, so it must not run again
                RepoError::Diesel(e) if body_done && connection_lost(&e) => {
                    RepoError::Domain(DomainError::unavailable(format!(
                        "the connection broke while committing; the outcome is unknown: {e}"
                    )))
                }
                other => other,
            })
        }
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
