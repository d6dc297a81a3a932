//! # accountd test support
//!
//! Per-test databases: [`TestDb::sqlite`] makes a migrated SQLite file in the temp directory;
//! [`TestDb::postgres`] clones a migrated template database (`CREATE DATABASE … TEMPLATE …`) on the server of
//! `TEST_DATABASE_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`). Both are removed on drop, so
//! tests run in parallel without sharing state.
//!
//! Postgres tests are skipped with a loud message when the server cannot be reached, except under
//! `CI=true`, where an unreachable server fails the test.

use std::path::PathBuf;
use std::sync::OnceLock;

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};

/// Default server for Postgres tests.
pub const DEFAULT_TEST_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// The two storage backends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Embedded SQLite.
    Sqlite,
    /// Postgres from `TEST_DATABASE_URL`.
    Postgres,
}

/// A migrated, private database for one test.
#[derive(Debug)]
pub struct TestDb {
    url: String,
    cleanup: Cleanup,
}

#[derive(Debug)]
enum Cleanup {
    File(PathBuf),
    Database { admin_url: String, name: String },
}

/// The server of `TEST_DATABASE_URL`. Unless the URL chooses an `sslmode`, TLS is switched off: the test server
/// is local, and a short test process that exits while a pool thread is still inside libpq's TLS setup can
/// crash in OpenSSL's exit handlers (seen once as a SIGSEGV at the end of a passing test).
fn admin_url() -> String {
    let url = std::env::var("TEST_DATABASE_URL").unwrap_or_else(|_| DEFAULT_TEST_DATABASE_URL.into());
    match url.split_once('?') {
        Some((_, q)) if q.contains("sslmode=") => url,
        Some(_) => format!("{url}&sslmode=disable"),
        None => format!("{url}?sslmode=disable"),
    }
}

/// `url` pointing at database `name`, keeping its query.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url.split_once('?').map_or((url, None), |(b, q)| (b, Some(q)));
    let prefix = base.rsplit_once('/').map_or(base, |(p, _)| p);
    match query {
        Some(q) => format!("{prefix}/{name}?{q}"),
        None => format!("{prefix}/{name}"),
    }
}

fn migrations_fingerprint() -> String {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../migrations/postgres");
    let mut entries: Vec<_> = walk(&dir);
    entries.sort();
    // FNV-1a over relative file names and contents: cheap, stable, and the same for every checkout.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for path in entries {
        let name = path.strip_prefix(&dir).unwrap_or(&path).to_string_lossy().into_owned();
        for byte in name.bytes().chain(std::fs::read(&path).unwrap_or_default()) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{hash:016x}")
}

fn walk(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(read) = std::fs::read_dir(dir) {
        for entry in read.flatten() {
            let path = entry.path();
            if path.is_dir() {
                out.extend(walk(&path));
            } else {
                out.push(path);
            }
        }
    }
    out
}

/// Creates (once per process, guarded by an advisory lock across processes) the migrated template database.
fn template(admin: &str) -> Result<String, String> {
    static TEMPLATE: OnceLock<Result<String, String>> = OnceLock::new();
    TEMPLATE
        .get_or_init(|| {
            let name = format!("accountd_tpl_{}", migrations_fingerprint());
            let mut conn = PgConnection::establish(admin).map_err(|e| e.to_string())?;
            conn.batch_execute("SELECT pg_advisory_lock(724001)").map_err(|e| e.to_string())?;
            let result = (|| {
                #[derive(diesel::QueryableByName)]
                struct Exists {
                    #[diesel(sql_type = diesel::sql_types::Bool)]
                    exists: bool,
                }
                let exists: Exists = diesel::RunQueryDsl::get_result(
                    diesel::sql_query("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1) AS exists")
                        .bind::<diesel::sql_types::Text, _>(&name),
                    &mut conn,
                )
                .map_err(|e| e.to_string())?;
                if !exists.exists {
                    let building = format!("{name}_building");
                    conn.batch_execute(&format!("DROP DATABASE IF EXISTS {building} WITH (FORCE)"))
                        .map_err(|e| e.to_string())?;
                    conn.batch_execute(&format!("CREATE DATABASE {building}")).map_err(|e| e.to_string())?;
                    {
                        let db = db::Database::connect(
                            &with_database(admin, &building),
                            &db::DbOptions { pool_size: 1, ..Default::default() },
                        )
                        .map_err(|e| e.to_string())?;
                        let mut c = db.get().map_err(|e| e.to_string())?;
                        db::run_migrations(&mut c).map_err(|e| e.to_string())?;
                    }
                    conn.batch_execute(&format!("ALTER DATABASE {building} RENAME TO {name}"))
                        .map_err(|e| e.to_string())?;
                }
                Ok(name.clone())
            })();
            let _ = conn.batch_execute("SELECT pg_advisory_unlock(724001)");
            result
        })
        .clone()
}

/// Whether Postgres tests run: true when the template database could be prepared. Outside CI an unreachable
/// server prints one loud message per test process and skips; under `CI=true` it panics.
///
/// # Panics
/// When `CI=true` and the server is unreachable.
pub fn postgres_enabled() -> bool {
    static ENABLED: OnceLock<bool> = OnceLock::new();
    *ENABLED.get_or_init(|| match template(&admin_url()) {
        Ok(_) => true,
        Err(e) if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("Postgres tests are mandatory in CI but {} failed: {e}", admin_url())
        }
        Err(e) => {
            eprintln!(
                "\n!!!! SKIPPING POSTGRES TESTS: cannot use {}: {e}\n!!!! set TEST_DATABASE_URL or start Postgres\n",
                admin_url()
            );
            false
        }
    })
}

impl TestDb {
    /// A fresh migrated SQLite file.
    pub fn sqlite() -> Self {
        let path = std::env::temp_dir().join(format!("accountd-test-{}.db", uuid::Uuid::new_v4().simple()));
        let url = format!("sqlite://{}", path.display());
        let db =
            db::Database::connect(&url, &db::DbOptions { pool_size: 1, ..Default::default() }).expect("open sqlite");
        db::run_migrations(&mut db.get().expect("connection")).expect("migrate sqlite");
        Self { url, cleanup: Cleanup::File(path) }
    }

    /// A fresh migrated Postgres database, or `None` (after a loud message) when the server is unreachable
    /// outside CI.
    ///
    /// # Panics
    /// When `CI=true` and the server is unreachable.
    pub fn postgres() -> Option<Self> {
        if !postgres_enabled() {
            return None;
        }
        let admin = admin_url();
        let attempt = (|| {
            let tpl = template(&admin)?;
            let name = format!("accountd_t_{}", uuid::Uuid::new_v4().simple());
            let mut conn = PgConnection::establish(&admin).map_err(|e| e.to_string())?;
            conn.batch_execute(&format!("CREATE DATABASE {name} TEMPLATE {tpl}")).map_err(|e| e.to_string())?;
            Ok::<_, String>(Self {
                url: with_database(&admin, &name),
                cleanup: Cleanup::Database { admin_url: admin.clone(), name },
            })
        })();
        match attempt {
            Ok(db) => Some(db),
            Err(e) if std::env::var("CI").is_ok_and(|v| v == "true") => {
                panic!("Postgres tests are mandatory in CI but {admin} failed: {e}")
            }
            Err(e) => {
                eprintln!("\n!!!! SKIPPING POSTGRES TEST: cannot use {admin}: {e}\n!!!! set TEST_DATABASE_URL or start Postgres\n");
                None
            }
        }
    }

    /// A database of the given kind (see [`TestDb::postgres`] for `None`).
    pub fn of(kind: Kind) -> Option<Self> {
        match kind {
            Kind::Sqlite => Some(Self::sqlite()),
            Kind::Postgres => Self::postgres(),
        }
    }

    /// Its URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// A pool on it.
    pub fn connect(&self) -> db::Database {
        db::Database::connect(&self.url, &db::DbOptions { pool_size: 4, ..Default::default() })
            .expect("connect test database")
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::File(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
            }
            Cleanup::Database { admin_url, name } => {
                if let Ok(mut conn) = PgConnection::establish(admin_url) {
                    let _ = conn.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
                }
            }
        }
    }
}

/// Defines one test per backend from one async body `fn(TestDb)`: `mod_name::sqlite` and
/// `mod_name::postgres`.
#[macro_export]
macro_rules! both_backends {
    ($($(#[$meta:meta])* async fn $name:ident($db:ident) $body:block)+) => {
        $(
            mod $name {
                #[allow(unused_imports, reason = "a test body need not use what its module imports")]
                use super::*;

                async fn body($db: $crate::TestDb) $body

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    body($crate::TestDb::sqlite()).await
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    if let Some(db) = $crate::TestDb::postgres() {
                        body(db).await
                    }
                }
            }
        )+
    };
}
