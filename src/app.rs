//! Wiring: adapters into ports, ports into use cases, use cases into the HTTP server.

use std::sync::Arc;

use actix_web::dev::Service;
use actix_web::middleware::from_fn;
use actix_web::{web, App};
use anyhow::{Context, Result};
use db::{Database, DbOptions};
use dialects::common::connection::Draining;
use dialects::{AppState, SystemFeatures};
use domain::ports::{AuthEvents, Mailer, NoSignInProviders, SignInProviders};
use domain::usecases::{Ports, Settings as UseCaseSettings, UseCases};
use mail::{LogMailer, SmtpMailer};
use secrecy::ExposeSecret;
use security::{AccessKeyCipher, BcryptHasher, FileSigner, JwtCodec, RandomSecrets, TotpCodes};
use time::Duration;

use crate::config::Settings;
use crate::metrics::{Metrics, Sources};
use crate::protocol::ProtocolErrorBodies;

/// Who opens the database, which decides how many connections are opened at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PoolUse {
    /// The server: every connection opened at start and kept open.
    Server,
    /// A one-off command: one connection, the rest on demand.
    Command,
}

/// Opens the pool for `used_by` and, unless told not to, applies pending migrations. Blocking.
///
/// # Errors
/// Unreachable database or failed migration.
pub fn open_database(settings: &Settings, used_by: PoolUse, migrate: bool) -> Result<Database> {
    let options = DbOptions {
        pool_size: settings.database_pool_size,
        outage_grace: std::time::Duration::from_secs(settings.database_outage_grace_secs),
        authentication_cache: std::time::Duration::from_millis(settings.auth_cache_millis),
        open_all: used_by == PoolUse::Server,
        ..Default::default()
    };
    let db = Database::connect(settings.database_url.expose_secret(), &options)?;
    if migrate {
        let mut conn = db.get()?;
        let applied = db::run_migrations(&mut conn).map_err(|e| anyhow::anyhow!("migration failed: {e}"))?;
        if !applied.is_empty() {
            tracing::info!(?applied, "migrations applied");
        }
    }
    Ok(db)
}

/// The password hasher of these settings, with its dummy hash already built.
///
/// # Errors
/// When hashing fails.
pub async fn password_hasher(settings: &Settings) -> Result<BcryptHasher> {
    let hasher = BcryptHasher::new(settings.bcrypt_cost, settings.password_hash_concurrency);
    hasher.warm_up().await?;
    Ok(hasher)
}

/// The mailer of these settings: SMTP when `SMTP_URL` is set, else the log (with bodies outside production).
///
/// # Errors
/// A malformed `SMTP_URL` or `MAIL_FROM`.
pub fn mailer(settings: &Settings) -> Result<Arc<dyn Mailer>> {
    Ok(match &settings.smtp_url {
        Some(url) => Arc::new(SmtpMailer::new(url.expose_secret(), &settings.mail_from).map_err(anyhow::Error::msg)?),
        None => Arc::new(LogMailer { show_content: !settings.production }),
    })
}

/// The sign-in providers of these settings.
///
/// # Errors
/// A provider whose issuer or callback URL is malformed.
pub fn sign_in_providers(settings: &Settings) -> Result<Arc<dyn SignInProviders>> {
    if settings.sign_in_providers.is_empty() {
        return Ok(Arc::new(NoSignInProviders));
    }
    let providers = oidc::Providers::new(&settings.console_api_url, settings.sign_in_providers.clone())
        .map_err(anyhow::Error::msg)?;
    Ok(Arc::new(providers))
}

/// The use cases over the Diesel repositories, security adapters and mailer, reporting authentication outcomes
/// to `events`.
///
/// # Errors
/// A malformed mail setting.
pub fn use_cases(
    settings: &Settings,
    db: &Database,
    hasher: BcryptHasher,
    events: Arc<dyn AuthEvents>,
) -> Result<UseCases> {
    let secret = settings.secret_key.expose_secret().as_bytes();
    let secrets = Arc::new(RandomSecrets::new(secret));
    let services = Ports {
        mailer: mailer(settings)?,
        sign_in: sign_in_providers(settings)?,
        cipher: Arc::new(match settings.access_key_cipher_key()? {
            Some(key) => AccessKeyCipher::new(key),
            None => AccessKeyCipher::derived_from(secret),
        }),
        hasher: Arc::new(hasher),
        otp: Arc::new(TotpCodes),
        events,
        tokens: Arc::new(JwtCodec::new(
            secret,
            Duration::minutes(settings.access_token_expire_minutes),
            &settings.edition,
        )),
        ..Ports::minimal(secrets.clone(), secrets)
    };
    let ports = db::storage_ports(db, services);
    Ok(UseCases::new(
        ports,
        UseCaseSettings {
            access_token_ttl: Duration::minutes(settings.access_token_expire_minutes),
            refresh_token_ttl: Duration::days(settings.refresh_token_expire_days),
            session_max_lifetime: Duration::days(settings.session_max_lifetime_days),
            login_lockout_threshold: settings.login_lockout_threshold,
            login_lockout_window: Duration::seconds(settings.login_lockout_duration_secs),
            reveal_unknown_accounts: settings.reveal_unknown_accounts,
            invitation_ttl: Duration::hours(settings.invite_expiry_hours),
            allow_register: settings.allow_register,
            public_deployment: settings.is_public_deployment,
            console_web_url: settings.console_web_url.clone(),
            code_ttl: Duration::minutes(settings.code_expiry_minutes),
            code_error_window: Duration::seconds(settings.code_lockout_duration_secs),
            mail_resend_interval: Duration::seconds(settings.email_resend_interval_secs),
            mail_ip_limit_per_minute: settings.email_send_ip_limit_per_minute,
            mail_max_attempts: settings.mail_max_attempts,
            mail_retry_base: Duration::seconds(settings.mail_retry_base_secs),
            access_key_rotation_days: settings.access_key_rotation_days,
            signature_window: Duration::seconds(settings.signature_window_secs),
            sign_in_state_ttl: Duration::seconds(settings.oauth_state_ttl_secs),
            retention: Duration::days(settings.housekeeping_retention_days),
            totp_issuer: settings.mfa_issuer.clone(),
            ..Default::default()
        },
    ))
}

/// The outbox worker: delivers due mail every `every`, and at once again while there is more.
pub async fn run_mail_worker(use_cases: Arc<UseCases>, every: std::time::Duration) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        loop {
            match use_cases.deliver_due_mail().await {
                Ok(report) if report.sent + report.retried + report.failed > 0 => {
                    tracing::debug!(?report, "outbox step");
                }
                Ok(_) => break,
                Err(error) => {
                    tracing::warn!(%error, "outbox step failed");
                    break;
                }
            }
        }
    }
}

/// A listening socket on `addr` with room for `backlog` connections not yet accepted.
fn listen(addr: &str, backlog: u32) -> Result<std::net::TcpListener> {
    use std::net::ToSocketAddrs;
    let address = addr.to_socket_addrs()?.next().context("the address names no host")?;
    let socket = if address.is_ipv4() { tokio::net::TcpSocket::new_v4()? } else { tokio::net::TcpSocket::new_v6()? };
    socket.set_reuseaddr(true)?;
    socket.bind(address)?;
    Ok(socket.listen(backlog)?.into_std()?)
}

/// HTTP/1.1 over each accepted connection, as actix-web's own server sets it up (keep-alive 5 s, request heads
/// within 5 s, connections draining when a graceful shutdown begins), with one difference: the connection is
/// wrapped in [`ProtocolErrorBodies`], so that the HTTP layer's own error answers have a body too.
fn http_service<T, B>(
    app: App<T>,
    local: std::net::SocketAddr,
    shutdown: actix_server::GracefulShutdownSignal,
) -> impl actix_service::ServiceFactory<
    actix_web::rt::net::TcpStream,
    Config = (),
    Response = (),
    Error = actix_http::error::DispatchError,
    InitError = (),
>
where
    T: actix_service::ServiceFactory<
            actix_web::dev::ServiceRequest,
            Config = (),
            Response = actix_web::dev::ServiceResponse<B>,
            Error = actix_web::Error,
            InitError = (),
        > + 'static,
    B: actix_web::body::MessageBody + 'static,
{
    use actix_service::{fn_service, map_config, IntoServiceFactory, ServiceFactoryExt};
    let factory = app.into_factory().map_err(|e| e.error_response());
    let http = actix_http::HttpService::build()
        .keep_alive(std::time::Duration::from_secs(5))
        .client_request_timeout(std::time::Duration::from_secs(5))
        .client_disconnect_timeout(std::time::Duration::from_secs(1))
        .local_addr(local)
        .graceful_shutdown_signal(move || {
            let shutdown = shutdown.clone();
            async move { shutdown.notified().await }
        })
        // actix-web offers no other way to name the host and address its applications see
        .finish(map_config(factory, move |()| {
            actix_web::dev::AppConfig::__priv_test_new(false, local.to_string(), local)
        }));
    fn_service(|io: actix_web::rt::net::TcpStream| async move {
        let _ = io.set_nodelay(true);
        let peer = io.peer_addr().ok();
        Ok((ProtocolErrorBodies::new(io), actix_http::Protocol::Http1, peer))
    })
    .and_then(http)
}

/// Longest wait, once the server stops accepting, for the requests in flight.
pub const SHUTDOWN_TIMEOUT_SECS: u64 = 10;

/// The housekeeping task: removes what has outlived its use every `every`, starting at a random point of the
/// first interval so that several instances started together do not purge in step.
pub async fn run_housekeeping(use_cases: Arc<UseCases>, every: std::time::Duration) {
    let offset = every.mul_f64(rand::random::<f64>());
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + offset, every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match use_cases.purge_expired().await {
            Ok(report) if report.total() > 0 => tracing::info!(?report, "housekeeping removed expired rows"),
            Ok(_) => tracing::debug!("housekeeping found nothing to remove"),
            Err(error) => tracing::warn!(%error, "housekeeping failed; it runs again at the next interval"),
        }
    }
}

/// A bound, not yet running server.
pub struct Application {
    port: u16,
    server: actix_web::dev::Server,
    draining: Arc<Draining>,
    drain: std::time::Duration,
}

impl Application {
    /// Opens the database (migrating when `AUTO_MIGRATE`), binds `BIND_ADDR` and builds the server.
    ///
    /// # Errors
    /// Database, migration or bind failures.
    pub async fn build(settings: Settings) -> Result<Self> {
        let for_db = settings.clone();
        let db =
            tokio::task::spawn_blocking(move || open_database(&for_db, PoolUse::Server, for_db.auto_migrate)).await??;
        let files_url = if settings.files_url.is_empty() {
            format!("http://{}", settings.bind_addr)
        } else {
            settings.files_url.clone()
        };
        let hasher = password_hasher(&settings).await?;
        let metrics = Arc::new(Metrics::default());
        let use_cases = Arc::new(use_cases(&settings, &db, hasher.clone(), metrics.clone())?);
        if settings.mail_worker {
            let every = std::time::Duration::from_millis(settings.mail_poll_interval_ms);
            actix_web::rt::spawn(run_mail_worker(use_cases.clone(), every));
        }
        if settings.housekeeping_interval_secs > 0 {
            let every = std::time::Duration::from_secs(settings.housekeeping_interval_secs);
            actix_web::rt::spawn(run_housekeeping(use_cases.clone(), every));
        }
        let draining = Arc::new(Draining::default());
        let state = web::Data::new(AppState {
            use_cases,
            files: Arc::new(FileSigner::new(&files_url, settings.secret_key.expose_secret().as_bytes())),
            health: Arc::new(db.clone()),
            features: SystemFeatures {
                is_email_setup: settings.smtp_url.is_some(),
                allow_register: settings.allow_register,
                allow_create_workspace: settings.allow_create_workspace,
                is_public_deployment: settings.is_public_deployment,
                enable_social_oauth_login: !settings.sign_in_providers.is_empty(),
                ..SystemFeatures::default()
            },
            console_web_url: settings.console_web_url.clone(),
            console_api_url: settings.console_api_url.clone(),
            trust_forwarded_headers: settings.trust_forwarded_headers,
            iam_allow_date_only_writes: settings.iam_allow_date_only_writes,
            iam_allow_writes_without_digest: settings.iam_allow_writes_without_digest,
            body_read_timeout: std::time::Duration::from_secs(settings.body_read_timeout_secs),
            draining: draining.clone(),
        });
        let listener = listen(&settings.bind_addr, settings.listen_backlog)
            .with_context(|| format!("cannot bind {}", settings.bind_addr))?;
        let local = listener.local_addr()?;
        // signals are handled by `run_until_stopped`, which drains first
        let mut builder = actix_server::Server::build().disable_signals().shutdown_timeout(SHUTDOWN_TIMEOUT_SECS);
        if let Some(workers) = settings.workers {
            builder = builder.workers(workers);
        }
        let shutdown = builder.graceful_shutdown_signal();
        let scrape = settings.metrics_token.clone().map(|token| {
            web::Data::new(Sources {
                metrics: metrics.clone(),
                database: db.clone(),
                outbox: db::DieselOutbox::new(db.clone()),
                hasher,
                token,
            })
        });
        let builder = builder.listen("accountd", listener, move || {
            let metrics = metrics.clone();
            let mut app = App::new();
            if let Some(sources) = &scrape {
                app = app.app_data(sources.clone()).route("/metrics", web::get().to(crate::metrics::scrape));
            }
            let app = app
                .wrap(from_fn(dialects::common::connection::middleware))
                .wrap(from_fn(dialects::common::request_id::middleware))
                .wrap_fn(move |req, service| {
                    let (metrics, started) = (metrics.clone(), std::time::Instant::now());
                    let answer = service.call(req);
                    async move {
                        let response = answer.await?;
                        metrics.observe(&response, started);
                        Ok(response)
                    }
                })
                .configure(dialects::configure(state.clone()));
            http_service(app, local, shutdown.clone())
        })?;
        Ok(Self {
            port: local.port(),
            server: builder.run(),
            draining,
            drain: std::time::Duration::from_secs(settings.shutdown_drain_secs),
        })
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until SIGTERM or SIGINT, then shuts down gracefully: for `SHUTDOWN_DRAIN_SECONDS` it goes on
    /// answering, every response with `Connection: close` and `/readyz` with 503, so that load balancers and
    /// kept-alive clients move away without a request racing a closing connection; then it stops accepting,
    /// finishes the requests in flight (at most [`SHUTDOWN_TIMEOUT_SECS`]) and returns. A second signal stops
    /// at once.
    ///
    /// # Errors
    /// I/O failures of the server or of installing the signal handlers.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        use tokio::signal::unix::{signal, SignalKind};
        let mut terminate = signal(SignalKind::terminate())?;
        let mut interrupt = signal(SignalKind::interrupt())?;
        let handle = self.server.handle();
        let (draining, drain) = (self.draining, self.drain);
        actix_web::rt::spawn(async move {
            let first = tokio::select! {
                _ = terminate.recv() => "SIGTERM",
                _ = interrupt.recv() => "SIGINT",
            };
            tracing::info!(signal = first, drain_secs = drain.as_secs(), "shutting down: draining connections");
            draining.begin();
            let graceful = tokio::select! {
                () = tokio::time::sleep(drain) => true,
                _ = terminate.recv() => false,
                _ = interrupt.recv() => false,
            };
            if graceful {
                tracing::info!("shutting down: no longer accepting; finishing requests in flight");
            } else {
                tracing::warn!("second signal: stopping at once");
            }
            handle.stop(graceful).await;
        });
        self.server.await
    }

    /// Splits into the server future (to spawn) and its port.
    pub fn into_parts(self) -> (u16, actix_web::dev::Server) {
        (self.port, self.server)
    }
}
