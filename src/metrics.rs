//! Prometheus metrics at `GET /metrics` (OpenMetrics text), only when `METRICS_TOKEN` is set and only for a
//! scraper that sends it as `Authorization: Bearer <token>`:
//!
//! - `accountd_http_request_duration_seconds{dialect, route, method, status}`: a histogram per route template
//!   (its `_count` is the number of requests);
//! - `accountd_db_pool_connections{state}`, `accountd_db_pool_max_connections`, `accountd_db_pool_waiting`,
//!   `accountd_db_pool_acquire_timeouts_total`;
//! - `accountd_password_hash_waiting`, `accountd_password_hash_running`, `accountd_password_hashes_total`,
//!   `accountd_password_hash_seconds_total`;
//! - `accountd_mail_outbox{state}` (pending, sent, failed);
//! - `accountd_imported_password_accounts`: accounts still signing in with an imported (Dify PBKDF2) hash;
//! - `accountd_sign_ins_failed_total`, `accountd_sign_in_lockouts_total`,
//!   `accountd_access_key_refusals_total{reason}`.

use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use actix_web::dev::ServiceResponse;
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use db::{Database, DieselOutbox};
use domain::ports::AuthEvents;
use domain::KeyRefusal;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use secrecy::{ExposeSecret, SecretString};
use security::BcryptHasher;
use subtle::ConstantTimeEq;

/// Upper bounds of the request-duration buckets, in seconds.
const DURATION_BUCKETS: [f64; 14] =
    [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    dialect: &'static str,
    route: String,
    method: &'static str,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabels {
    state: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabels {
    reason: &'static str,
}

type FloatCounter = Counter<f64, AtomicU64>;

/// Totals read from their sources at the last scrape (the counters grow by the difference).
#[derive(Default)]
struct Seen {
    acquire_timeouts: u64,
    hashes: u64,
    hash_seconds: f64,
}

/// Every metric, registered once.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Histogram, fn() -> Histogram>,
    sign_ins_failed: Counter,
    sign_in_lockouts: Counter,
    key_refusals: Family<ReasonLabels, Counter>,
    pool_connections: Family<StateLabels, Gauge>,
    pool_max: Gauge,
    pool_waiting: Gauge,
    pool_acquire_timeouts: Counter,
    hash_waiting: Gauge,
    hash_running: Gauge,
    hashes: Counter,
    hash_seconds: FloatCounter,
    outbox: Family<StateLabels, Gauge>,
    imported_passwords: Gauge,
    seen: Mutex<Seen>,
}

fn request_histogram() -> Histogram {
    Histogram::new(DURATION_BUCKETS)
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("accountd");
        let requests = Family::<RequestLabels, Histogram, fn() -> Histogram>::new_with_constructor(request_histogram);
        let metrics = Self {
            requests,
            sign_ins_failed: Counter::default(),
            sign_in_lockouts: Counter::default(),
            key_refusals: Family::default(),
            pool_connections: Family::default(),
            pool_max: Gauge::default(),
            pool_waiting: Gauge::default(),
            pool_acquire_timeouts: Counter::default(),
            hash_waiting: Gauge::default(),
            hash_running: Gauge::default(),
            hashes: Counter::default(),
            hash_seconds: FloatCounter::default(),
            outbox: Family::default(),
            imported_passwords: Gauge::default(),
            seen: Mutex::default(),
            registry: Registry::default(),
        };
        let r = &mut registry;
        r.register(
            "http_request_duration_seconds",
            "HTTP requests by dialect, route template, method and status",
            metrics.requests.clone(),
        );
        r.register(
            "sign_ins_failed",
            "Sign-ins refused for a wrong password, an unknown address or a wrong second-factor code",
            metrics.sign_ins_failed.clone(),
        );
        r.register(
            "sign_in_lockouts",
            "Sign-ins refused because the address is locked",
            metrics.sign_in_lockouts.clone(),
        );
        r.register(
            "access_key_refusals",
            "Machine requests whose access key was refused, by reason",
            metrics.key_refusals.clone(),
        );
        r.register(
            "db_pool_connections",
            "Database connections open, by state (in_use, idle)",
            metrics.pool_connections.clone(),
        );
        r.register("db_pool_max_connections", "Most database connections", metrics.pool_max.clone());
        r.register("db_pool_waiting", "Database work waiting for a connection", metrics.pool_waiting.clone());
        r.register(
            "db_pool_acquire_timeouts",
            "Database work that gave up waiting for a connection",
            metrics.pool_acquire_timeouts.clone(),
        );
        r.register(
            "password_hash_waiting",
            "Password hashes and verifications waiting for a permit",
            metrics.hash_waiting.clone(),
        );
        r.register("password_hash_running", "Password hashes and verifications running", metrics.hash_running.clone());
        r.register("password_hashes", "Password hashes and verifications done", metrics.hashes.clone());
        r.register("password_hash_seconds", "Time password hashes and verifications ran", metrics.hash_seconds.clone());
        r.register("mail_outbox", "Mails in the outbox, by state (pending, sent, failed)", metrics.outbox.clone());
        r.register(
            "imported_password_accounts",
            "Accounts still signing in with an imported PBKDF2 password hash",
            metrics.imported_passwords.clone(),
        );
        Self { registry, ..metrics }
    }
}

/// The dialect a request path belongs to.
fn dialect_of(path: &str) -> &'static str {
    if path.starts_with("/console/api") {
        "console"
    } else if path.starts_with("/openapi/v1") {
        "openapi-v1"
    } else if path.starts_with("/api/v1/account") {
        "account-modify"
    } else if path.starts_with("/iam/") {
        "iam"
    } else {
        "service"
    }
}

/// The method's name without allocating; methods outside HTTP's own are counted as `other`.
fn method_name(method: &actix_web::http::Method) -> &'static str {
    match method.as_str() {
        "GET" => "GET",
        "POST" => "POST",
        "PUT" => "PUT",
        "PATCH" => "PATCH",
        "DELETE" => "DELETE",
        "HEAD" => "HEAD",
        "OPTIONS" => "OPTIONS",
        _ => "other",
    }
}

impl Metrics {
    /// Records one answered request: its route template (`unmatched` for unknown paths, so that the label set
    /// stays bounded), method, status and duration.
    pub fn observe<B>(&self, response: &ServiceResponse<B>, started: Instant) {
        let request = response.request();
        let labels = RequestLabels {
            dialect: dialect_of(request.path()),
            route: request.match_pattern().unwrap_or_else(|| "unmatched".to_owned()),
            method: method_name(request.method()),
            status: response.status().as_u16(),
        };
        self.requests.get_or_create(&labels).observe(started.elapsed().as_secs_f64());
    }

    fn refresh(&self, sources: &Sources, outbox: Option<db::OutboxCounts>, imported: Option<i64>) {
        let pool = sources.database.pool_stats();
        let state = |s| StateLabels { state: s };
        self.pool_connections.get_or_create(&state("in_use")).set(i64::from(pool.connections - pool.idle));
        self.pool_connections.get_or_create(&state("idle")).set(i64::from(pool.idle));
        self.pool_max.set(i64::from(pool.max_connections));
        self.pool_waiting.set(i64::try_from(pool.waiting).unwrap_or(i64::MAX));
        let hashing = sources.hasher.stats();
        self.hash_waiting.set(i64::try_from(hashing.waiting).unwrap_or(i64::MAX));
        self.hash_running.set(i64::try_from(hashing.running).unwrap_or(i64::MAX));
        if let Some(counts) = outbox {
            self.outbox.get_or_create(&state("pending")).set(counts.pending);
            self.outbox.get_or_create(&state("sent")).set(counts.sent);
            self.outbox.get_or_create(&state("failed")).set(counts.failed);
        }
        if let Some(imported) = imported {
            self.imported_passwords.set(imported);
        }
        let mut seen = self.seen.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        self.pool_acquire_timeouts.inc_by(pool.acquire_timeouts.saturating_sub(seen.acquire_timeouts));
        self.hashes.inc_by(hashing.done.saturating_sub(seen.hashes));
        self.hash_seconds.inc_by((hashing.seconds - seen.hash_seconds).max(0.0));
        *seen = Seen { acquire_timeouts: pool.acquire_timeouts, hashes: hashing.done, hash_seconds: hashing.seconds };
    }

    fn encode(&self) -> String {
        let mut text = String::new();
        // writing to a String does not fail
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        text
    }
}

impl AuthEvents for Metrics {
    fn sign_in_failed(&self) {
        self.sign_ins_failed.inc();
    }

    fn sign_in_locked(&self) {
        self.sign_in_lockouts.inc();
    }

    fn access_key_refused(&self, reason: KeyRefusal) {
        self.key_refusals.get_or_create(&ReasonLabels { reason: reason.as_str() }).inc();
    }
}

/// What `GET /metrics` reads besides the metrics themselves, and the token it requires.
pub struct Sources {
    /// The metrics.
    pub metrics: Arc<Metrics>,
    /// The database (pool state).
    pub database: Database,
    /// The outbox (mails by state).
    pub outbox: DieselOutbox,
    /// The password hasher (queue and work).
    pub hasher: BcryptHasher,
    /// The bearer token a scraper must send.
    pub token: SecretString,
}

/// `GET /metrics`: 401 without the right bearer token (compared in constant time), else the metrics.
pub async fn scrape(req: HttpRequest, sources: web::Data<Sources>) -> HttpResponse {
    let presented = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    if !bool::from(presented.as_bytes().ct_eq(sources.token.expose_secret().as_bytes())) {
        return HttpResponse::Unauthorized()
            .insert_header((header::WWW_AUTHENTICATE, "Bearer"))
            .json(serde_json::json!({"error": "A valid METRICS_TOKEN is required as a bearer token."}));
    }
    // an unreachable database leaves the outbox and import series as they were; the pool series still tell why
    let outbox = sources.outbox.counts().await.ok();
    let imported = db::imported_password_count(&sources.database).await.ok();
    sources.metrics.refresh(&sources, outbox, imported);
    HttpResponse::Ok()
        .content_type("application/openmetrics-text; version=1.0.0; charset=utf-8")
        .body(sources.metrics.encode())
}
