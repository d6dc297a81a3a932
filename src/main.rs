//! The `accountd` binary: `serve` (default), `migrate`, `create-admin`, `reset-password`, `unlock`,
//! `access-key create`, `mfa reset`, `audit`, `purge`, `import dify`, and the benchmark helpers `seed` and `bench-hash`.

use std::io::IsTerminal;

use accountd::app::{open_database, password_hasher, use_cases, Application, PoolUse};
use accountd::config::{SecretKeySource, Settings};
use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use domain::ports::{AccountRepository, PasswordHasher};
use domain::usecases::{SetupCommand, UseCases};
use domain::values::{DisplayName, EmailAddress, Password};

/// accountd: accounts, groups and workspaces behind four HTTP dialects.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve HTTP on BIND_ADDR (migrating first unless AUTO_MIGRATE=false).
    Serve {
        /// Address to listen on, instead of BIND_ADDR (`host:port`; port 0 picks a free one).
        #[arg(long, value_name = "HOST:PORT")]
        bind: Option<String>,
        /// Database, instead of DATABASE_URL (`postgres://…` or `sqlite://<path>`).
        #[arg(long, value_name = "URL")]
        database_url: Option<String>,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Create the first admin (the same as POST /console/api/setup).
    CreateAdmin {
        /// Email of the admin.
        #[arg(long)]
        email: String,
        /// Display name.
        #[arg(long)]
        name: String,
        /// Password; prompted for when omitted.
        #[arg(long)]
        password: Option<String>,
    },
    /// Set an account's password (for users without mail): revokes its sessions and clears its login lockout.
    ResetPassword {
        /// Email of the account.
        #[arg(long)]
        email: String,
        /// New password; prompted for (or read from standard input) when omitted.
        #[arg(long)]
        password: Option<String>,
    },
    /// Print audit events, newest first, one JSON object per line (the next page's cursor goes to stderr).
    Audit {
        /// Only events of this acting account (its id).
        #[arg(long)]
        actor: Option<String>,
        /// Only events on targets of this kind (account, access_key, …).
        #[arg(long)]
        target_type: Option<String>,
        /// Only events on this target.
        #[arg(long)]
        target_id: Option<String>,
        /// Only events of this action (account.update, …).
        #[arg(long)]
        action: Option<String>,
        /// Only events at or after this RFC 3339 time.
        #[arg(long)]
        since: Option<String>,
        /// Only events before this RFC 3339 time.
        #[arg(long)]
        until: Option<String>,
        /// Start after this cursor (printed by the previous page).
        #[arg(long)]
        cursor: Option<String>,
        /// Events to print (1–100).
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// Remove what has outlived its use (ended sessions, expired tokens, codes, counters and nonces, sent mail),
    /// as the server's housekeeping task does every HOUSEKEEPING_INTERVAL_SECONDS.
    Purge,
    /// Clear the login lockout of an email address after too many failed logins.
    Unlock {
        /// The email address.
        #[arg(long)]
        email: String,
    },
    /// Manage access keys (machine credentials).
    AccessKey {
        #[command(subcommand)]
        command: AccessKeyCommand,
    },
    /// Manage second factors.
    Mfa {
        #[command(subcommand)]
        command: MfaCommand,
    },
    /// Import accounts, workspaces, memberships and provider links from another console's database.
    Import {
        #[command(subcommand)]
        command: ImportCommand,
    },
    /// Fill an installed Postgres database with a benchmark population (accounts, groups, workspaces,
    /// memberships, datasets), generated inside Postgres; the admin `--manager` administers the first seeded group.
    Seed {
        /// Accounts to create; groups, workspaces and datasets follow in the proportions 10⁶ : 10³ : 10⁵ : 10⁵.
        #[arg(long, default_value_t = 1_000_000)]
        accounts: u64,
        /// Password of every seeded account (hashed once, at the configured bcrypt cost).
        #[arg(long, default_value = "bench1234")]
        password: String,
        /// Email of the installed admin who manages the seeded groups.
        #[arg(long)]
        manager: String,
    },
    /// Measure the bcrypt verify rate of this machine at the configured cost on the server's hashing pool
    /// (the bound of the login benchmark) and print verifies per second.
    BenchHash {
        /// How long to measure.
        #[arg(long, default_value_t = 5)]
        seconds: u64,
    },
}

#[derive(Subcommand)]
enum AccessKeyCommand {
    /// Issue a key for an account and print the pair once (the secret cannot be shown again).
    Create {
        /// Email of the account.
        #[arg(long)]
        email: String,
        /// Label of the key.
        #[arg(long)]
        name: Option<String>,
    },
}

#[derive(Subcommand)]
enum ImportCommand {
    /// From a Dify 1.x or zgi-next console database (read only), ids preserved, passwords kept (their PBKDF2 hashes
    /// are replaced by bcrypt at each account's next sign-in). Safe to run again: it updates, never duplicates,
    /// and an interrupted run is resumed by running it again. docs/IMPORT.md says what moves.
    Dify {
        /// The source database, `postgres://…`.
        #[arg(long)]
        from: String,
        /// Report what would be imported without writing anything.
        #[arg(long)]
        dry_run: bool,
        /// Accounts per transaction.
        #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(i64).range(1..=10_000))]
        batch: i64,
    },
}

#[derive(Subcommand)]
enum MfaCommand {
    /// Remove an account's TOTP factor and recovery codes (a lost device); audited. When a second factor is
    /// mandatory for the account, it enrols a new one at its next sign-in.
    Reset {
        /// Email of the account.
        #[arg(long)]
        email: String,
    },
}

fn read_password() -> Result<String> {
    const NONE_GIVEN: &str = "no password given: pass --password, or write it to standard input";
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Password: ")?;
        let again = rpassword::prompt_password("Repeat password: ")?;
        if first != again {
            bail!("the passwords do not match");
        }
        Ok(first)
    } else {
        let mut line = String::new();
        if std::io::stdin().read_line(&mut line)? == 0 {
            bail!(NONE_GIVEN);
        }
        let password = line.trim_end_matches(['\r', '\n']);
        if password.is_empty() {
            bail!(NONE_GIVEN);
        }
        Ok(password.to_owned())
    }
}

/// Prints what an import did, table by table, with the first skipped rows and why.
fn print_import_report(report: &db::ImportReport) {
    let verb = if report.dry_run { "would write" } else { "written" };
    let groups = [
        ("enterprise_groups (groups)", report.groups.as_ref()),
        ("enterprise_group_tenant_joins (workspaces of groups)", report.group_tenants.as_ref()),
        ("enterprise_group_account_joins (group members)", report.group_members.as_ref()),
    ];
    let tables = [
        ("accounts", Some(&report.accounts)),
        ("tenants (workspaces)", Some(&report.tenants)),
        ("tenant_account_joins (memberships)", Some(&report.joins)),
        ("account_integrates (provider links)", Some(&report.integrates)),
    ];
    for (table, t) in tables.into_iter().chain(groups).filter_map(|(name, t)| t.map(|t| (name, t))) {
        println!("{table}: read {}, {verb} {}, skipped {}", t.read, t.written, t.skipped.len());
        for (key, why) in t.skipped.iter().take(20) {
            println!("  skipped {key}: {why}");
        }
        if t.skipped.len() > 20 {
            println!("  … and {} more", t.skipped.len() - 20);
        }
    }
    for table in &report.not_imported {
        println!("{table}: found in the source, not imported");
    }
    println!("{} accounts still sign in with an imported PBKDF2 password", report.pbkdf2_accounts);
    if report.dry_run {
        println!("dry run: nothing was written");
    }
}

/// The use cases for a one-off command: the database (migrated when `AUTO_MIGRATE`) without the server.
async fn offline_use_cases(settings: &Settings) -> Result<UseCases> {
    let for_db = settings.clone();
    let db =
        tokio::task::spawn_blocking(move || open_database(&for_db, PoolUse::Command, for_db.auto_migrate)).await??;
    let hasher = password_hasher(settings).await?;
    use_cases(settings, &db, hasher, std::sync::Arc::new(domain::ports::NoAuthEvents))
}

#[actix_web::main]
async fn main() -> Result<()> {
    // `.env` is a development convenience: a production service gets its environment from its supervisor.
    if std::env::var("APP_ENV").as_deref() != Ok("production") {
        let _ = dotenvy::dotenv();
    }
    let cli = Cli::parse();
    let mut settings = Settings::from_env()?;
    accountd::telemetry::init(settings.log_format);
    let command = cli.command.unwrap_or(Command::Serve { bind: None, database_url: None });
    let serving = matches!(command, Command::Serve { .. });
    match settings.resolve_secret_key()? {
        SecretKeySource::Generated(path) => tracing::warn!(
            path = %path.display(),
            "SECRET_KEY is not set: generated a key and kept it in the data directory (set SECRET_KEY in production)"
        ),
        SecretKeySource::Kept(path) if serving => {
            tracing::info!(path = %path.display(), "SECRET_KEY is not set: using the key generated earlier");
        }
        _ => {}
    }
    match command {
        Command::Serve { bind, database_url } => {
            if let Some(bind) = bind {
                settings.bind_addr = bind;
            }
            if let Some(url) = database_url {
                settings.set_database_url(url)?;
            }
            if settings.console_web_url.is_empty() {
                if settings.production {
                    bail!("CONSOLE_WEB_URL is required when APP_ENV=production: invitation and password-reset mails link to the console");
                }
                tracing::warn!(
                    "CONSOLE_WEB_URL is not set: links in mails will be relative (set it to the console's public URL)"
                );
            }
            let app = Application::build(settings.clone()).await?;
            tracing::info!(addr = %settings.bind_addr, port = app.port(), "accountd listening");
            app.run_until_stopped().await?;
            tracing::info!("accountd stopped");
        }
        Command::Migrate => {
            let applied = tokio::task::spawn_blocking(move || {
                let db = open_database(&settings, PoolUse::Command, false)?;
                let mut conn = db.get()?;
                db::run_migrations(&mut conn).map_err(|e| anyhow::anyhow!("migration failed: {e}"))
            })
            .await??;
            println!("{} migration(s) applied", applied.len());
        }
        Command::CreateAdmin { email, name, password } => {
            let email_address = EmailAddress::parse("email", &email)?;
            let display_name = DisplayName::parse("name", &name)?;
            let use_cases = offline_use_cases(&settings).await?;
            if use_cases.is_setup().await? {
                bail!(
                    "already set up: this installation has its admin (reset a password with `accountd reset-password`)"
                );
            }
            let password = match password {
                Some(p) => p,
                None => read_password()?,
            };
            let command = SetupCommand {
                email: email_address,
                name: display_name,
                password: Password::parse_new("password", &password)?,
                ip: None,
            };
            use_cases.setup(command).await.context("cannot create the admin")?;
            println!("admin {email} created with the group \"Default Group\" and the workspace \"{name}'s Workspace\"");
        }
        Command::ResetPassword { email, password } => {
            let address = EmailAddress::parse("email", &email)?;
            let password = match password {
                Some(p) => p,
                None => read_password()?,
            };
            let password = Password::parse_new("password", &password)?;
            offline_use_cases(&settings)
                .await?
                .operator_reset_password(&address, &password)
                .await
                .with_context(|| format!("cannot reset the password of {email}"))?;
            println!("password of {email} set; its sessions were revoked and its login lockout cleared");
        }
        Command::AccessKey { command: AccessKeyCommand::Create { email, name } } => {
            let address = EmailAddress::parse("email", &email)?;
            let (view, secret) = offline_use_cases(&settings)
                .await?
                .operator_create_access_key(&address, name)
                .await
                .with_context(|| format!("cannot create an access key for {email}"))?;
            println!("access_key: {}", view.key.access_key);
            println!("secret_key: {secret}");
            println!("(the secret is shown only now; openapi/v1 takes it as Authorization: Bearer <access_key>.<secret_key>)");
        }
        Command::Seed { accounts, password, manager } => {
            let plan = db::seed::SeedPlan::scaled(accounts);
            let manager = EmailAddress::parse("manager", &manager)?;
            let password = Password::parse_new("password", &password)?;
            let for_db = settings.clone();
            let database =
                tokio::task::spawn_blocking(move || open_database(&for_db, PoolUse::Command, for_db.auto_migrate))
                    .await??;
            let admin = db::DieselAccounts::new(database)
                .find_live_by_email(&manager.key())
                .await?
                .context("the --manager account does not exist: set up the installation first")?;
            let hash = password_hasher(&settings).await?.hash(&password).await?;
            let started = std::time::Instant::now();
            tokio::task::spawn_blocking(move || {
                let db = open_database(&settings, PoolUse::Command, false)?;
                let mut conn = db.get()?;
                db::seed::seed(&mut conn, &plan, &hash, &admin.id.to_string())
                    .map_err(|e| anyhow::anyhow!("seeding failed: {e}"))
            })
            .await??;
            println!(
                "seeded {} accounts, {} groups, {} workspaces, {} datasets, {} memberships in {:.1} s",
                plan.accounts,
                plan.groups,
                plan.workspaces,
                plan.datasets,
                3 * plan.accounts + plan.groups,
                started.elapsed().as_secs_f64()
            );
        }
        Command::BenchHash { seconds } => {
            let hasher = std::sync::Arc::new(password_hasher(&settings).await?);
            let password = Password::parse_new("password", "bench1234")?;
            let hash = domain::ports::PasswordHasher::hash(&*hasher, &password).await?;
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(seconds);
            let workers = std::thread::available_parallelism().map_or(2, |n| n.get()) * 2;
            let mut tasks = tokio::task::JoinSet::new();
            for _ in 0..workers {
                let (hasher, password, hash) = (hasher.clone(), password.clone(), hash.clone());
                tasks.spawn(async move {
                    let mut done = 0u64;
                    while std::time::Instant::now() < deadline {
                        domain::ports::PasswordHasher::verify(&*hasher, &password, Some(hash.clone())).await?;
                        done += 1;
                    }
                    Ok::<u64, domain::DomainError>(done)
                });
            }
            let mut total = 0;
            while let Some(done) = tasks.join_next().await {
                total += done??;
            }
            println!("bcrypt verify rate at cost {}: {:.1}/s", settings.bcrypt_cost, total as f64 / seconds as f64);
        }
        Command::Audit { actor, target_type, target_id, action, since, until, cursor, limit } => {
            let text = domain::model::AuditQueryText {
                actor: actor.as_deref(),
                target_type: target_type.as_deref(),
                target_id: target_id.as_deref(),
                action: action.as_deref(),
                since: since.as_deref(),
                until: until.as_deref(),
                cursor: cursor.as_deref(),
            };
            let query = domain::model::AuditQuery::parse(text, limit)?;
            let page = offline_use_cases(&settings).await?.operator_audit_events(query).await?;
            for event in &page.events {
                println!("{}", dialects::console::audit::event_json(event));
            }
            if let Some(next) = page.next {
                eprintln!("more: --cursor {}", next.encode());
            }
        }
        Command::Import { command: ImportCommand::Dify { from, dry_run, batch } } => {
            let for_db = settings.clone();
            let db = tokio::task::spawn_blocking(move || open_database(&for_db, PoolUse::Command, for_db.auto_migrate))
                .await??;
            let bar = indicatif::ProgressBar::new(0);
            bar.set_style(
                indicatif::ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} accounts ({per_sec}, {eta})")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            bar.set_message(if dry_run { "checking" } else { "importing" });
            let shown = bar.clone();
            let report = tokio::task::spawn_blocking(move || {
                db::import_dify(&from, &db, batch, dry_run, &mut |p| {
                    shown.set_length(p.accounts_total);
                    shown.set_position(p.accounts_done);
                })
            })
            .await??;
            bar.finish_and_clear();
            print_import_report(&report);
        }
        Command::Purge => {
            let report = offline_use_cases(&settings).await?.purge_expired().await.context("purge failed")?;
            println!(
                "removed {} rows: {} sessions, {} refresh tokens, {} codes, {} counters, {} nonces, {} mails",
                report.total(),
                report.sessions,
                report.refresh_tokens,
                report.codes,
                report.throttles,
                report.nonces,
                report.mails
            );
        }
        Command::Mfa { command: MfaCommand::Reset { email } } => {
            let address = EmailAddress::parse("email", &email)?;
            offline_use_cases(&settings).await?.operator_reset_second_factor(&address).await?;
            println!("second factor of {email} removed");
        }
        Command::Unlock { email } => {
            let address = EmailAddress::parse("email", &email)?;
            offline_use_cases(&settings).await?.operator_unlock_login(&address).await?;
            println!("login lockout of {email} cleared");
        }
    }
    Ok(())
}
