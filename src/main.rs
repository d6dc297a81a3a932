//! The `accountd` binary: `serve` (default), `migrate`, `create-admin`, `reset-password`, `unlock`.

use std::io::IsTerminal;

use accountd::app::{open_database, password_hasher, use_cases, Application};
use accountd::config::Settings;
use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
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
    Serve,
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

fn read_password() -> Result<String> {
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Password: ")?;
        let again = rpassword::prompt_password("Repeat password: ")?;
        if first != again {
            bail!("the passwords do not match");
        }
        Ok(first)
    } else {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line)?;
        Ok(line.trim_end_matches(['\r', '\n']).to_owned())
    }
}

/// The use cases for a one-off command: the database (migrated when `AUTO_MIGRATE`) without the server.
async fn offline_use_cases(settings: &Settings) -> Result<UseCases> {
    let for_db = settings.clone();
    let db = tokio::task::spawn_blocking(move || open_database(&for_db, for_db.auto_migrate)).await??;
    let hasher = password_hasher(settings).await?;
    use_cases(settings, &db, hasher)
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
    settings.resolve_secret_key()?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            let app = Application::build(settings.clone()).await?;
            tracing::info!(addr = %settings.bind_addr, port = app.port(), "accountd listening");
            app.run_until_stopped().await?;
            tracing::info!("accountd stopped");
        }
        Command::Migrate => {
            let applied = tokio::task::spawn_blocking(move || {
                let db = open_database(&settings, false)?;
                let mut conn = db.get().map_err(anyhow::Error::msg)?;
                db::run_migrations(&mut conn).map_err(|e| anyhow::anyhow!("migration failed: {e}"))
            })
            .await??;
            println!("{} migration(s) applied", applied.len());
        }
        Command::CreateAdmin { email, name, password } => {
            let password = match password {
                Some(p) => p,
                None => read_password()?,
            };
            let command = SetupCommand {
                email: EmailAddress::parse("email", &email)?,
                name: DisplayName::parse("name", &name)?,
                password: Password::parse_console("password", &password)?,
                ip: None,
            };
            offline_use_cases(&settings).await?.setup(command).await.context("cannot create the admin")?;
            println!("admin {email} created with the group \"Default Group\" and the workspace \"{name}'s Workspace\"");
        }
        Command::ResetPassword { email, password } => {
            let address = EmailAddress::parse("email", &email)?;
            let password = match password {
                Some(p) => p,
                None => read_password()?,
            };
            let password = Password::parse_console("password", &password)?;
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
        Command::Unlock { email } => {
            let address = EmailAddress::parse("email", &email)?;
            offline_use_cases(&settings).await?.unlock_login(&address).await?;
            println!("login lockout of {email} cleared");
        }
    }
    Ok(())
}
