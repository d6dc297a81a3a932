//! Configuration from the environment (and `.env` in development, read by the binary). Every key, its
//! default and meaning is listed in `.env.example` and `docs/CONFIGURATION.md`. Secrets are kept in
//! [`secrecy::SecretString`] and never printed.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use secrecy::{ExposeSecret, SecretString};

/// Text or JSON log lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable.
    Text,
    /// One JSON object per line.
    Json,
}

/// Where the secret key came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretKeySource {
    /// `SECRET_KEY` or `SECRET_KEY_FILE`.
    Configured,
    /// Generated now (development only) and kept at this path.
    Generated(PathBuf),
    /// Generated earlier and read from this path.
    Kept(PathBuf),
}

/// All settings of the server and CLI.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `DATABASE_URL`: `sqlite://path` or `postgres://…` (default `sqlite://{DATA_DIR}/accountd.db`).
    pub database_url: SecretString,
    /// `DATABASE_POOL_SIZE`.
    pub database_pool_size: u32,
    /// `DATABASE_OUTAGE_GRACE_SECONDS`: how long after the database was found unreachable requests still wait
    /// for it; after that they are answered 503 at once until it answers again.
    pub database_outage_grace_secs: u64,
    /// `AUTH_CACHE_MILLISECONDS`: how long an account read to authenticate a console request may answer later
    /// ones from memory; writes through this instance drop it at once, writes by others take effect within it.
    pub auth_cache_millis: u64,
    /// `BIND_ADDR`.
    pub bind_addr: String,
    /// `WORKERS`: actix worker threads (default: cores).
    pub workers: Option<usize>,
    /// `LISTEN_BACKLOG`: connections the kernel queues before the server accepts them (capped by the kernel's
    /// `net.core.somaxconn`).
    pub listen_backlog: u32,
    /// `BODY_READ_TIMEOUT_SECONDS`: how long a request body may take to arrive after its head (`408` after).
    pub body_read_timeout_secs: u64,
    /// `SHUTDOWN_DRAIN_SECONDS`: after SIGTERM or SIGINT, how long the server goes on answering (with
    /// `Connection: close`, `/readyz` 503) before it stops accepting and finishes what is in flight.
    pub shutdown_drain_secs: u64,
    /// `DATA_DIR`: where the default SQLite file and a generated secret key are kept.
    pub data_dir: PathBuf,
    /// `APP_ENV`: `development` or `production` (production requires `SECRET_KEY`).
    pub production: bool,
    /// `SECRET_KEY` / `SECRET_KEY_FILE`: signs tokens and file links.
    pub secret_key: SecretString,
    /// `BCRYPT_COST`.
    pub bcrypt_cost: u32,
    /// `PASSWORD_HASH_CONCURRENCY`: hashes at once (default: cores).
    pub password_hash_concurrency: usize,
    /// `ACCESS_TOKEN_EXPIRE_MINUTES`.
    pub access_token_expire_minutes: i64,
    /// `REFRESH_TOKEN_EXPIRE_DAYS`: idle lifetime of a session.
    pub refresh_token_expire_days: i64,
    /// `SESSION_MAX_LIFETIME_DAYS`: absolute lifetime of a session.
    pub session_max_lifetime_days: i64,
    /// `EDITION`: JWT issuer.
    pub edition: String,
    /// `MFA_ISSUER`: the issuer authenticator apps show next to a TOTP factor.
    pub mfa_issuer: String,
    /// `CONSOLE_WEB_URL`.
    pub console_web_url: String,
    /// `CONSOLE_API_URL`.
    pub console_api_url: String,
    /// `FILES_URL`: base of signed file links.
    pub files_url: String,
    /// `ALLOW_REGISTER`.
    pub allow_register: bool,
    /// `ALLOW_CREATE_WORKSPACE`.
    pub allow_create_workspace: bool,
    /// `IS_PUBLIC_DEPLOYMENT`.
    pub is_public_deployment: bool,
    /// `LOGIN_LOCKOUT_THRESHOLD`: failures tolerated before lock.
    pub login_lockout_threshold: i64,
    /// `LOGIN_LOCKOUT_DURATION`: seconds failures are remembered.
    pub login_lockout_duration_secs: i64,
    /// `INVITE_EXPIRY_HOURS`: how long an invitation link works.
    pub invite_expiry_hours: i64,
    /// `AUTO_MIGRATE`: migrate on `serve`.
    pub auto_migrate: bool,
    /// `LOG_FORMAT`.
    pub log_format: LogFormat,
    /// `TRUST_FORWARDED_HEADERS`: take client addresses from proxy headers.
    pub trust_forwarded_headers: bool,
    /// `IAM_ALLOW_DATE_ONLY_WRITES`: accept iam writes signed with `headers="x-date"` alone (replayable against any
    /// path within five minutes); otherwise writes need `headers="x-date request-line"`.
    pub iam_allow_date_only_writes: bool,
    /// `IAM_ALLOW_WRITES_WITHOUT_DIGEST`: accept iam writes whose signature does not cover a `Digest` of the body
    /// (such a captured write can be replayed once with another body within five minutes).
    pub iam_allow_writes_without_digest: bool,
    /// `DANGER_REVEAL_UNKNOWN_ACCOUNTS`: Dify's `account_not_found` answers (reveals which emails exist).
    pub reveal_unknown_accounts: bool,
    /// `SMTP_URL`: `smtp://host:25`, `smtp://host:587?tls=starttls`, `smtps://user:pass@host:465`; unset → mails
    /// are logged.
    pub smtp_url: Option<SecretString>,
    /// `MAIL_FROM`: sender, `Name <address>` or an address (required with `SMTP_URL`).
    pub mail_from: String,
    /// `MAIL_WORKER`: run the outbox worker in this process.
    pub mail_worker: bool,
    /// `MAIL_POLL_INTERVAL_MS`: how often the worker looks for due mail.
    pub mail_poll_interval_ms: u64,
    /// `MAIL_MAX_ATTEMPTS`: attempts before a mail is given up.
    pub mail_max_attempts: i32,
    /// `MAIL_RETRY_BASE_SECONDS`: wait after the first failure, doubled per further failure (at most an hour).
    pub mail_retry_base_secs: i64,
    /// `EMAIL_RESEND_INTERVAL_SECONDS`: shortest time between two code mails to one address.
    pub email_resend_interval_secs: i64,
    /// `EMAIL_SEND_IP_LIMIT_PER_MINUTE`: code mails one client address may request per minute.
    pub email_send_ip_limit_per_minute: i64,
    /// `RESET_PASSWORD_TOKEN_EXPIRY_MINUTES`: lifetime of mailed codes.
    pub code_expiry_minutes: i64,
    /// `FORGOT_PASSWORD_LOCKOUT_DURATION`: seconds wrong codes are remembered.
    pub code_lockout_duration_secs: i64,
    /// `ACCESS_KEY_ENCRYPTION_KEY`: 64 hex characters sealing access-key secrets; derived from `SECRET_KEY`
    /// when unset.
    pub access_key_encryption_key: Option<SecretString>,
    /// `METRICS_TOKEN`: the bearer token `GET /metrics` requires; without it there is no `/metrics`.
    pub metrics_token: Option<SecretString>,
    /// `ACCESS_KEY_ROTATION_DAYS`: keys older than this are advised to be renewed.
    pub access_key_rotation_days: i64,
    /// `SIGNATURE_TIMESTAMP_WINDOW_SECONDS`: how far a signed account-modify request's `X-Df-Timestamp` may be
    /// from the server's clock (its nonce is remembered for twice as long).
    pub signature_window_secs: i64,
    /// Sign-in providers: `GITHUB_CLIENT_ID`/`_SECRET`, `GOOGLE_CLIENT_ID`/`_SECRET`, and the OpenID Connect
    /// providers named in `OIDC_PROVIDERS`, each with `OIDC_<NAME>_ISSUER`, `_CLIENT_ID`, `_CLIENT_SECRET` and
    /// optional `_SCOPES`.
    pub sign_in_providers: Vec<oidc::ProviderSettings>,
    /// `OAUTH_STATE_TTL_SECONDS`: how long a browser has to come back from a sign-in provider.
    pub oauth_state_ttl_secs: i64,
    /// `HOUSEKEEPING_INTERVAL_SECONDS`: how often the server removes what has outlived its use (0: never; then
    /// run `accountd purge` from a scheduler).
    pub housekeeping_interval_secs: u64,
    /// `HOUSEKEEPING_RETENTION_DAYS`: how long ended sessions, expired tokens and codes, and sent mail are kept.
    pub housekeeping_retention_days: i64,
}

/// Provider names reserved for the built-in providers.
const BUILT_IN_PROVIDERS: [&str; 2] = ["github", "google"];

/// The sign-in providers configured through `get`.
fn sign_in_providers(get: &impl Fn(&str) -> Option<String>) -> Result<Vec<oidc::ProviderSettings>> {
    let pair = |prefix: &str| -> Result<Option<(String, String)>> {
        match (get(&format!("{prefix}_CLIENT_ID")), get(&format!("{prefix}_CLIENT_SECRET"))) {
            (Some(id), Some(secret)) => Ok(Some((id, secret))),
            (None, None) => Ok(None),
            _ => bail!("{prefix}_CLIENT_ID and {prefix}_CLIENT_SECRET must be set together"),
        }
    };
    let mut providers = Vec::new();
    if let Some((id, secret)) = pair("GITHUB")? {
        providers.push(oidc::ProviderSettings::github(id, secret));
    }
    if let Some((id, secret)) = pair("GOOGLE")? {
        providers.push(oidc::ProviderSettings::google(id, secret));
    }
    let names = get("OIDC_PROVIDERS").unwrap_or_default();
    for name in names.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        let well_formed = name.len() <= 32
            && name.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
            && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
        if !well_formed || BUILT_IN_PROVIDERS.contains(&name) {
            bail!("OIDC_PROVIDERS: {name:?} must be 1-32 lower-case letters, digits, '-' or '_', and not github or google");
        }
        if providers.iter().any(|p: &oidc::ProviderSettings| p.name == name) {
            bail!("OIDC_PROVIDERS names {name:?} twice");
        }
        let prefix = format!("OIDC_{}", name.to_ascii_uppercase().replace('-', "_"));
        if providers.iter().any(|p| format!("OIDC_{}", p.name.to_ascii_uppercase().replace('-', "_")) == prefix) {
            bail!("OIDC_PROVIDERS: {name:?} and another name share the keys {prefix}_*");
        }
        let issuer = get(&format!("{prefix}_ISSUER")).with_context(|| format!("{prefix}_ISSUER is required"))?;
        let (id, secret) =
            pair(&prefix)?.with_context(|| format!("{prefix}_CLIENT_ID and {prefix}_CLIENT_SECRET are required"))?;
        let scopes = get(&format!("{prefix}_SCOPES")).map(|raw| {
            let mut scopes: Vec<String> = raw.split([' ', ',']).filter(|s| !s.is_empty()).map(str::to_owned).collect();
            if !scopes.iter().any(|s| s == "openid") {
                scopes.insert(0, "openid".into());
            }
            scopes
        });
        providers.push(oidc::ProviderSettings::openid_connect(name.to_owned(), issuer, id, secret, scopes));
    }
    Ok(providers)
}

fn parse_bool(key: &str, raw: &str) -> Result<bool> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" | "" => Ok(false),
        _ => bail!("{key} must be true or false, not {raw:?}"),
    }
}

fn parse_num<T: std::str::FromStr>(key: &str, raw: &str) -> Result<T> {
    raw.trim().parse().ok().with_context(|| format!("{key} must be a number, not {raw:?}"))
}

impl Settings {
    /// Reads the process environment.
    ///
    /// # Errors
    /// A message naming the key for malformed values.
    pub fn from_env() -> Result<Self> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// Reads settings through `lookup` (tests pass a map).
    ///
    /// # Errors
    /// A message naming the key for malformed values.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let get = |k: &str| lookup(k).filter(|v| !v.is_empty());
        let text = |k: &str, d: &str| get(k).unwrap_or_else(|| d.to_owned());
        let flag = |k: &str, d: bool| get(k).map_or(Ok(d), |v| parse_bool(k, &v));
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let secret = match (get("SECRET_KEY"), get("SECRET_KEY_FILE")) {
            (Some(v), _) => Some(v),
            (None, Some(path)) => Some(
                std::fs::read_to_string(&path)
                    .with_context(|| format!("cannot read SECRET_KEY_FILE {path}"))?
                    .trim()
                    .to_owned(),
            ),
            (None, None) => None,
        };
        let data_dir = text("DATA_DIR", "data");
        let settings = Self {
            database_url: get("DATABASE_URL").unwrap_or_else(|| format!("sqlite://{data_dir}/accountd.db")).into(),
            database_pool_size: get("DATABASE_POOL_SIZE").map_or(Ok(10), |v| parse_num("DATABASE_POOL_SIZE", &v))?,
            database_outage_grace_secs: get("DATABASE_OUTAGE_GRACE_SECONDS")
                .map_or(Ok(3), |v| parse_num("DATABASE_OUTAGE_GRACE_SECONDS", &v))?,
            auth_cache_millis: get("AUTH_CACHE_MILLISECONDS")
                .map_or(Ok(1000), |v| parse_num("AUTH_CACHE_MILLISECONDS", &v))?,
            bind_addr: text("BIND_ADDR", "127.0.0.1:5001"),
            workers: get("WORKERS").map(|v| parse_num("WORKERS", &v)).transpose()?,
            listen_backlog: get("LISTEN_BACKLOG").map_or(Ok(2048), |v| parse_num("LISTEN_BACKLOG", &v))?,
            body_read_timeout_secs: get("BODY_READ_TIMEOUT_SECONDS")
                .map_or(Ok(10), |v| parse_num("BODY_READ_TIMEOUT_SECONDS", &v))?,
            shutdown_drain_secs: get("SHUTDOWN_DRAIN_SECONDS")
                .map_or(Ok(5), |v| parse_num("SHUTDOWN_DRAIN_SECONDS", &v))?,
            data_dir: PathBuf::from(&data_dir),
            production: match text("APP_ENV", "development").as_str() {
                "production" => true,
                "development" => false,
                other => bail!("APP_ENV must be development or production, not {other:?}"),
            },
            secret_key: secret.unwrap_or_default().into(),
            bcrypt_cost: get("BCRYPT_COST").map_or(Ok(10), |v| parse_num("BCRYPT_COST", &v))?,
            password_hash_concurrency: get("PASSWORD_HASH_CONCURRENCY")
                .map_or(Ok(cores), |v| parse_num("PASSWORD_HASH_CONCURRENCY", &v))?,
            access_token_expire_minutes: get("ACCESS_TOKEN_EXPIRE_MINUTES")
                .map_or(Ok(60), |v| parse_num("ACCESS_TOKEN_EXPIRE_MINUTES", &v))?,
            refresh_token_expire_days: get("REFRESH_TOKEN_EXPIRE_DAYS")
                .map_or(Ok(30), |v| parse_num("REFRESH_TOKEN_EXPIRE_DAYS", &v))?,
            session_max_lifetime_days: get("SESSION_MAX_LIFETIME_DAYS")
                .map_or(Ok(30), |v| parse_num("SESSION_MAX_LIFETIME_DAYS", &v))?,
            edition: text("EDITION", "SELF_HOSTED"),
            mfa_issuer: text("MFA_ISSUER", "accountd"),
            console_web_url: text("CONSOLE_WEB_URL", ""),
            console_api_url: text("CONSOLE_API_URL", ""),
            files_url: text("FILES_URL", ""),
            allow_register: flag("ALLOW_REGISTER", false)?,
            allow_create_workspace: flag("ALLOW_CREATE_WORKSPACE", false)?,
            is_public_deployment: flag("IS_PUBLIC_DEPLOYMENT", false)?,
            login_lockout_threshold: get("LOGIN_LOCKOUT_THRESHOLD")
                .map_or(Ok(5), |v| parse_num("LOGIN_LOCKOUT_THRESHOLD", &v))?,
            login_lockout_duration_secs: get("LOGIN_LOCKOUT_DURATION")
                .map_or(Ok(86_400), |v| parse_num("LOGIN_LOCKOUT_DURATION", &v))?,
            invite_expiry_hours: get("INVITE_EXPIRY_HOURS").map_or(Ok(72), |v| parse_num("INVITE_EXPIRY_HOURS", &v))?,
            auto_migrate: flag("AUTO_MIGRATE", true)?,
            log_format: match text("LOG_FORMAT", "text").as_str() {
                "text" => LogFormat::Text,
                "json" => LogFormat::Json,
                other => bail!("LOG_FORMAT must be text or json, not {other:?}"),
            },
            trust_forwarded_headers: flag("TRUST_FORWARDED_HEADERS", false)?,
            iam_allow_date_only_writes: flag("IAM_ALLOW_DATE_ONLY_WRITES", false)?,
            iam_allow_writes_without_digest: flag("IAM_ALLOW_WRITES_WITHOUT_DIGEST", false)?,
            reveal_unknown_accounts: flag("DANGER_REVEAL_UNKNOWN_ACCOUNTS", false)?,
            smtp_url: get("SMTP_URL").map(SecretString::from),
            mail_from: text("MAIL_FROM", ""),
            mail_worker: flag("MAIL_WORKER", true)?,
            mail_poll_interval_ms: get("MAIL_POLL_INTERVAL_MS")
                .map_or(Ok(1000), |v| parse_num("MAIL_POLL_INTERVAL_MS", &v))?,
            mail_max_attempts: get("MAIL_MAX_ATTEMPTS").map_or(Ok(8), |v| parse_num("MAIL_MAX_ATTEMPTS", &v))?,
            mail_retry_base_secs: get("MAIL_RETRY_BASE_SECONDS")
                .map_or(Ok(30), |v| parse_num("MAIL_RETRY_BASE_SECONDS", &v))?,
            email_resend_interval_secs: get("EMAIL_RESEND_INTERVAL_SECONDS")
                .map_or(Ok(60), |v| parse_num("EMAIL_RESEND_INTERVAL_SECONDS", &v))?,
            email_send_ip_limit_per_minute: get("EMAIL_SEND_IP_LIMIT_PER_MINUTE")
                .map_or(Ok(50), |v| parse_num("EMAIL_SEND_IP_LIMIT_PER_MINUTE", &v))?,
            code_expiry_minutes: get("RESET_PASSWORD_TOKEN_EXPIRY_MINUTES")
                .map_or(Ok(5), |v| parse_num("RESET_PASSWORD_TOKEN_EXPIRY_MINUTES", &v))?,
            code_lockout_duration_secs: get("FORGOT_PASSWORD_LOCKOUT_DURATION")
                .map_or(Ok(86_400), |v| parse_num("FORGOT_PASSWORD_LOCKOUT_DURATION", &v))?,
            access_key_encryption_key: get("ACCESS_KEY_ENCRYPTION_KEY").map(SecretString::from),
            metrics_token: get("METRICS_TOKEN").filter(|t| !t.is_empty()).map(SecretString::from),
            access_key_rotation_days: get("ACCESS_KEY_ROTATION_DAYS")
                .map_or(Ok(90), |v| parse_num("ACCESS_KEY_ROTATION_DAYS", &v))?,
            signature_window_secs: get("SIGNATURE_TIMESTAMP_WINDOW_SECONDS")
                .map_or(Ok(60), |v| parse_num("SIGNATURE_TIMESTAMP_WINDOW_SECONDS", &v))?,
            sign_in_providers: sign_in_providers(&get)?,
            oauth_state_ttl_secs: get("OAUTH_STATE_TTL_SECONDS")
                .map_or(Ok(600), |v| parse_num("OAUTH_STATE_TTL_SECONDS", &v))?,
            housekeeping_interval_secs: get("HOUSEKEEPING_INTERVAL_SECONDS")
                .map_or(Ok(300), |v| parse_num("HOUSEKEEPING_INTERVAL_SECONDS", &v))?,
            housekeeping_retention_days: get("HOUSEKEEPING_RETENTION_DAYS")
                .map_or(Ok(7), |v| parse_num("HOUSEKEEPING_RETENTION_DAYS", &v))?,
        };
        settings.check()?;
        Ok(settings)
    }

    fn check(&self) -> Result<()> {
        if !(4..=31).contains(&self.bcrypt_cost) {
            bail!("BCRYPT_COST must be between 4 and 31");
        }
        let ranges: [(&str, i64, i64, i64); 23] = [
            ("AUTH_CACHE_MILLISECONDS", i64::try_from(self.auth_cache_millis).unwrap_or(i64::MAX), 0, 60_000),
            (
                "HOUSEKEEPING_INTERVAL_SECONDS",
                i64::try_from(self.housekeeping_interval_secs).unwrap_or(i64::MAX),
                0,
                86_400,
            ),
            ("HOUSEKEEPING_RETENTION_DAYS", self.housekeeping_retention_days, 0, 3650),
            (
                "DATABASE_OUTAGE_GRACE_SECONDS",
                i64::try_from(self.database_outage_grace_secs).unwrap_or(i64::MAX),
                0,
                60,
            ),
            ("LISTEN_BACKLOG", i64::from(self.listen_backlog), 1, 65_535),
            ("BODY_READ_TIMEOUT_SECONDS", i64::try_from(self.body_read_timeout_secs).unwrap_or(i64::MAX), 1, 300),
            ("SHUTDOWN_DRAIN_SECONDS", i64::try_from(self.shutdown_drain_secs).unwrap_or(i64::MAX), 0, 300),
            ("OAUTH_STATE_TTL_SECONDS", self.oauth_state_ttl_secs, 1, 3600),
            ("ACCESS_KEY_ROTATION_DAYS", self.access_key_rotation_days, 1, 3650),
            ("SIGNATURE_TIMESTAMP_WINDOW_SECONDS", self.signature_window_secs, 1, 3600),
            ("EMAIL_RESEND_INTERVAL_SECONDS", self.email_resend_interval_secs, 1, 86_400),
            ("MAIL_POLL_INTERVAL_MS", i64::try_from(self.mail_poll_interval_ms).unwrap_or(i64::MAX), 10, 3_600_000),
            ("MAIL_MAX_ATTEMPTS", i64::from(self.mail_max_attempts), 1, 100),
            ("MAIL_RETRY_BASE_SECONDS", self.mail_retry_base_secs, 1, 3600),
            ("EMAIL_SEND_IP_LIMIT_PER_MINUTE", self.email_send_ip_limit_per_minute, 1, 1_000_000),
            ("RESET_PASSWORD_TOKEN_EXPIRY_MINUTES", self.code_expiry_minutes, 1, 24 * 60),
            ("INVITE_EXPIRY_HOURS", self.invite_expiry_hours, 1, 24 * 365),
            ("ACCESS_TOKEN_EXPIRE_MINUTES", self.access_token_expire_minutes, 1, 60 * 24 * 30),
            ("REFRESH_TOKEN_EXPIRE_DAYS", self.refresh_token_expire_days, 1, 3650),
            ("SESSION_MAX_LIFETIME_DAYS", self.session_max_lifetime_days, 1, 3650),
            ("LOGIN_LOCKOUT_THRESHOLD", self.login_lockout_threshold, 1, 1000),
            ("LOGIN_LOCKOUT_DURATION", self.login_lockout_duration_secs, 1, 3650 * 86_400),
            ("FORGOT_PASSWORD_LOCKOUT_DURATION", self.code_lockout_duration_secs, 1, 3650 * 86_400),
        ];

        for (key, value, min, max) in ranges {
            if !(min..=max).contains(&value) {
                bail!("{key} must be between {min} and {max}");
            }
        }
        if !(1..=1000).contains(&self.database_pool_size) {
            bail!("DATABASE_POOL_SIZE must be between 1 and 1000");
        }
        if !(1..=1024).contains(&self.password_hash_concurrency) {
            bail!("PASSWORD_HASH_CONCURRENCY must be between 1 and 1024");
        }
        if self.workers.is_some_and(|w| !(1..=512).contains(&w)) {
            bail!("WORKERS must be between 1 and 512");
        }
        self.access_key_cipher_key()?;
        if !self.sign_in_providers.is_empty() {
            for (key, url) in [("CONSOLE_API_URL", &self.console_api_url), ("CONSOLE_WEB_URL", &self.console_web_url)] {
                if !(url.starts_with("https://") || url.starts_with("http://")) {
                    bail!("{key} must be an http(s) URL when sign-in providers are configured");
                }
            }
        }
        if !(self.console_web_url.is_empty()
            || self.console_web_url.starts_with("https://")
            || self.console_web_url.starts_with("http://"))
        {
            bail!("CONSOLE_WEB_URL must be an http(s) URL, such as https://console.example.com");
        }
        if self.smtp_url.is_some() && self.mail_from.is_empty() {
            bail!("MAIL_FROM is required when SMTP_URL is set");
        }
        db::Backend::from_url(self.database_url.expose_secret())?;
        Ok(())
    }

    /// The configured access-key encryption key, if any.
    ///
    /// # Errors
    /// When `ACCESS_KEY_ENCRYPTION_KEY` is not 64 hex characters (the value is not echoed).
    pub fn access_key_cipher_key(&self) -> Result<Option<[u8; 32]>> {
        let Some(raw) = &self.access_key_encryption_key else { return Ok(None) };
        let bytes = hex::decode(raw.expose_secret().trim()).ok().filter(|b| b.len() == 32);
        match bytes {
            Some(b) => Ok(Some(b.try_into().expect("32 bytes"))),
            None => bail!("ACCESS_KEY_ENCRYPTION_KEY must be 64 hex characters (32 bytes)"),
        }
    }

    /// Replaces the database URL (the `serve --database-url` flag), checked as `DATABASE_URL` is.
    ///
    /// # Errors
    /// An unsupported scheme.
    pub fn set_database_url(&mut self, url: String) -> Result<()> {
        db::Backend::from_url(&url)?;
        self.database_url = url.into();
        Ok(())
    }

    /// The secret key, generating and storing one in `DATA_DIR/secret_key` when unset outside production.
    ///
    /// # Errors
    /// In production without `SECRET_KEY`, or when the key file cannot be written.
    pub fn resolve_secret_key(&mut self) -> Result<SecretKeySource> {
        if !self.secret_key.expose_secret().is_empty() {
            return Ok(SecretKeySource::Configured);
        }
        if self.production {
            bail!("SECRET_KEY (or SECRET_KEY_FILE) is required when APP_ENV=production");
        }
        let path = self.data_dir.join("secret_key");
        let (key, source) = match std::fs::read_to_string(&path) {
            Ok(existing) if !existing.trim().is_empty() => (existing.trim().to_owned(), SecretKeySource::Kept(path)),
            _ => {
                std::fs::create_dir_all(&self.data_dir)
                    .with_context(|| format!("cannot create {}", self.data_dir.display()))?;
                let mut bytes = [0u8; 32];
                rand::RngCore::fill_bytes(&mut rand::rng(), &mut bytes);
                let key = hex::encode(bytes);
                write_private(&path, &key).with_context(|| format!("cannot write {}", path.display()))?;
                (key, SecretKeySource::Generated(path))
            }
        };
        self.secret_key = key.into();
        Ok(source)
    }
}

#[cfg(unix)]
fn write_private(path: &std::path::Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(path)?;
    f.write_all(contents.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &std::path::Path, contents: &str) -> std::io::Result<()> {
    std::fs::write(path, contents)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn from(pairs: &[(&str, &str)]) -> Result<Settings> {
        let map: HashMap<String, String> = pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        Settings::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_need_nothing() {
        let s = from(&[]).unwrap();
        assert_eq!(s.database_url.expose_secret(), "sqlite://data/accountd.db");
        assert_eq!(s.bind_addr, "127.0.0.1:5001");
        assert_eq!(s.bcrypt_cost, 10);
        assert_eq!(s.access_token_expire_minutes, 60);
        assert!(s.auto_migrate);
        assert!(!s.reveal_unknown_accounts);
        let moved = from(&[("DATA_DIR", "/var/lib/accountd")]).unwrap();
        assert_eq!(moved.database_url.expose_secret(), "sqlite:///var/lib/accountd/accountd.db");
    }

    #[test]
    fn bad_values_name_the_key() {
        let err = from(&[("BCRYPT_COST", "ten")]).unwrap_err().to_string();
        assert!(err.contains("BCRYPT_COST"), "{err}");
        let err = from(&[("DATABASE_URL", "mysql://x")]).unwrap_err().to_string();
        assert!(err.contains("unsupported DATABASE_URL"), "{err}");
        assert!(from(&[("AUTO_MIGRATE", "maybe")]).unwrap_err().to_string().contains("AUTO_MIGRATE"));
        assert!(from(&[("WORKERS", "0")]).unwrap_err().to_string().contains("WORKERS"));
        assert!(from(&[("REFRESH_TOKEN_EXPIRE_DAYS", "0")])
            .unwrap_err()
            .to_string()
            .contains("REFRESH_TOKEN_EXPIRE_DAYS"));
        assert!(from(&[("APP_ENV", "prod")]).unwrap_err().to_string().contains("APP_ENV"));
        assert!(from(&[("SMTP_URL", "smtp://127.0.0.1:25")]).unwrap_err().to_string().contains("MAIL_FROM"));
        assert!(from(&[("MAIL_MAX_ATTEMPTS", "0")]).unwrap_err().to_string().contains("MAIL_MAX_ATTEMPTS"));
        let err = from(&[("ACCESS_KEY_ENCRYPTION_KEY", "zz-not-hex-secretvalue")]).unwrap_err().to_string();
        assert!(err.contains("ACCESS_KEY_ENCRYPTION_KEY") && !err.contains("secretvalue"), "{err}");
        assert!(from(&[("ACCESS_KEY_ENCRYPTION_KEY", &"ab".repeat(32))])
            .unwrap()
            .access_key_cipher_key()
            .unwrap()
            .is_some());
        // a malformed URL is not echoed: it may carry a password
        let err = from(&[("DATABASE_URL", "user:secretpw@host/db")]).unwrap_err().to_string();
        assert!(!err.contains("secretpw"), "{err}");
    }

    #[test]
    fn secrets_are_not_printed() {
        let s = from(&[
            ("SECRET_KEY", "hunter2hunter2"),
            ("DATABASE_URL", "postgres://u:pw@h/db"),
            ("SMTP_URL", "smtps://mailer:smtppass@h:465"),
            ("MAIL_FROM", "a@example.com"),
        ])
        .unwrap();
        let shown = format!("{s:?}");
        assert!(!shown.contains("hunter2"));
        assert!(!shown.contains("pw@"));
        assert!(!shown.contains("smtppass"));
    }

    #[test]
    fn sign_in_providers_come_in_complete_sets() {
        let urls = [("CONSOLE_API_URL", "https://api.example.com"), ("CONSOLE_WEB_URL", "https://console.example.com")];
        let with = |pairs: &[(&str, &str)]| from(&[&urls[..], pairs].concat());
        assert!(with(&[]).unwrap().sign_in_providers.is_empty());
        let s = with(&[
            ("GITHUB_CLIENT_ID", "gh"),
            ("GITHUB_CLIENT_SECRET", "ghsecretvalue"),
            ("OIDC_PROVIDERS", "corp, okta-eu"),
            ("OIDC_CORP_ISSUER", "https://id.corp.example"),
            ("OIDC_CORP_CLIENT_ID", "c"),
            ("OIDC_CORP_CLIENT_SECRET", "corpsecretvalue"),
            ("OIDC_CORP_SCOPES", "email groups"),
            ("OIDC_OKTA_EU_ISSUER", "https://okta.example"),
            ("OIDC_OKTA_EU_CLIENT_ID", "o"),
            ("OIDC_OKTA_EU_CLIENT_SECRET", "oktasecretvalue"),
        ])
        .unwrap();
        let names: Vec<&str> = s.sign_in_providers.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["github", "corp", "okta-eu"]);
        assert_eq!(s.sign_in_providers[1].scopes, ["openid", "email", "groups"]);
        assert_eq!(s.sign_in_providers[2].scopes, ["openid", "email", "profile"]);
        let shown = format!("{s:?}");
        assert!(!shown.contains("secretvalue"), "{shown}");

        let err = with(&[("GOOGLE_CLIENT_ID", "g")]).unwrap_err().to_string();
        assert!(err.contains("GOOGLE_CLIENT_SECRET"), "{err}");
        let err = with(&[("OIDC_PROVIDERS", "corp")]).unwrap_err().to_string();
        assert!(err.contains("OIDC_CORP_ISSUER"), "{err}");
        let err = with(&[("OIDC_PROVIDERS", "okta-eu,okta_eu")]).unwrap_err().to_string();
        assert!(err.contains("OIDC_OKTA_EU"), "{err}");
        for bad in ["github", "Corp", "a/b"] {
            let err = with(&[("OIDC_PROVIDERS", bad)]).unwrap_err().to_string();
            assert!(err.contains("OIDC_PROVIDERS"), "{bad}: {err}");
        }
        let err = from(&[("GITHUB_CLIENT_ID", "gh"), ("GITHUB_CLIENT_SECRET", "s")]).unwrap_err().to_string();
        assert!(err.contains("CONSOLE_API_URL"), "{err}");
    }

    #[test]
    fn production_requires_a_secret_key() {
        let mut s = from(&[("APP_ENV", "production")]).unwrap();
        assert!(s.resolve_secret_key().is_err());
    }
}
