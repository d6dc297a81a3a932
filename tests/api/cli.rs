//! The `accountd` binary's subcommands.

use std::process::Command;

use awc::http::StatusCode;

use crate::helpers::*;
use crate::http_test;

pub(crate) fn accountd(url: &str, args: &[&str]) -> std::process::Output {
    let data_dir = std::env::temp_dir().join("accountd-test-data");
    Command::new(env!("CARGO_BIN_EXE_accountd"))
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", url)
        .env("BCRYPT_COST", "4")
        .env("SECRET_KEY", SECRET)
        .env("DATA_DIR", data_dir)
        .output()
        .expect("run accountd")
}

#[test]
fn unsupported_database_urls_are_refused_with_a_clear_message() {
    let out = accountd("mysql://localhost/x", &["migrate"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("unsupported DATABASE_URL scheme"), "{stderr}");
}

#[test]
fn migrate_creates_a_fresh_sqlite_database() {
    let path = std::env::temp_dir().join(format!("accountd-cli-{}/nested/a.db", uuid::Uuid::new_v4().simple()));
    let url = format!("sqlite://{}", path.display());
    let out = accountd(&url, &["migrate"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let all = db::migration_versions().1.len();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), format!("{all} migration(s) applied"));
    let again = accountd(&url, &["migrate"]);
    assert_eq!(String::from_utf8_lossy(&again.stdout).trim(), "0 migration(s) applied");
    let _ = std::fs::remove_dir_all(path.parent().unwrap().parent().unwrap());
}

http_test! {
    async fn create_admin_sets_up_once_and_the_admin_can_log_in(kind) {
        let app = spawn_app(kind).await;
        let url = app.db.url().to_owned();
        let args = ["create-admin", "--email", "root@example.com", "--name", "Root", "--password", "rootpass1"];
        let out = accountd(&url, &args);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert!(String::from_utf8_lossy(&out.stdout).contains("Root's Workspace"));
        let again = accountd(&url, &args);
        assert!(!again.status.success());
        let weak = accountd(&url, &["create-admin", "--email", "x@example.com", "--name", "X", "--password", "weak"]);
        assert!(!weak.status.success());
        let r = app.login("root@example.com", "rootpass1").await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_error(&app.setup().await, 403, "already_setup");
    }

    async fn unlock_and_reset_password_help_users_without_mail(kind) {
        let app = spawn_app(kind).await;
        let admin = app.admin().await;
        app.create_user(&admin, "bob@example.com").await;
        for _ in 0..7 {
            app.login("bob@example.com", "wrong-pass1").await;
        }
        assert_error(&app.login("bob@example.com", "user1234").await, 429, "email_code_login_limit");
        let url = app.db.url().to_owned();
        let out = accountd(&url, &["unlock", "--email", "Bob@Example.com"]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        app.tokens("bob@example.com", "user1234").await;

        let out = accountd(&url, &["reset-password", "--email", "bob@example.com", "--password", "cli-pass1"]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert!(String::from_utf8_lossy(&out.stdout).contains("sessions were revoked"));
        assert_error(&app.login("bob@example.com", "user1234").await, 400, "email_or_password_mismatch");
        app.tokens("bob@example.com", "cli-pass1").await;

        let weak = accountd(&url, &["reset-password", "--email", "bob@example.com", "--password", "weak"]);
        assert!(!weak.status.success());
        let ghost = accountd(&url, &["reset-password", "--email", "ghost@example.com", "--password", "ghost-pass1"]);
        assert!(!ghost.status.success());
        assert!(String::from_utf8_lossy(&ghost.stderr).contains("ghost@example.com"));

        // a lost authenticator: the operator removes the factor, the password alone signs in again
        let (bob, _) = app.tokens("bob@example.com", "cli-pass1").await;
        crate::mfa::enrol(&app, &bob).await;
        assert_eq!(app.login("bob@example.com", "cli-pass1").await.body["code"], "mfa_required");
        let out = accountd(&url, &["mfa", "reset", "--email", "bob@example.com"]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        app.tokens("bob@example.com", "cli-pass1").await;
        let again = accountd(&url, &["mfa", "reset", "--email", "bob@example.com"]);
        assert!(!again.status.success(), "no factor left to remove");
    }
}

/// `accountd <args>` with only `env` set (and `PATH`), standard input closed; stdout and stderr together.
fn accountd_in(env: &[(&str, &str)], args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_accountd"))
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("BCRYPT_COST", "4")
        .envs(env.iter().copied())
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run accountd");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

/// A fresh directory for one test.
fn scratch() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("accountd-cli-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn the_first_hour_is_clear() {
    let dir = scratch();
    let data = dir.join("data").display().to_string();
    let url = format!("sqlite://{data}/accountd.db");
    let env = [("DATA_DIR", data.as_str()), ("DATABASE_URL", url.as_str())];

    // the generated secret key is announced once, when it is generated; logs to a pipe carry no colours
    let (ok, first) = accountd_in(&env, &["migrate"]);
    assert!(ok, "{first}");
    assert!(first.contains("generated a key"), "{first}");
    let (ok, second) = accountd_in(&env, &["migrate"]);
    assert!(ok, "{second}");
    assert!(!second.contains("SECRET_KEY"), "{second}");
    assert!(!first.contains('\u{1b}') && !second.contains('\u{1b}'), "no ANSI escapes: {first:?}");

    // create-admin without a password on a closed standard input says so
    let admin = ["create-admin", "--email", "root@example.com", "--name", "Root"];
    let (ok, out) = accountd_in(&env, &admin);
    assert!(!ok && out.contains("no password given"), "{out}");
    let (ok, out) = accountd_in(&env, &[&admin[..], &["--password", "rootpass1"]].concat());
    assert!(ok, "{out}");
    // once set up, it says so before judging the password
    let (ok, out) = accountd_in(&env, &[&admin[..], &["--password", "weak"]].concat());
    assert!(!ok && out.contains("already set up"), "{out}");

    // a directory or an unusable place as the SQLite file
    let as_dir = format!("sqlite://{data}");
    let (ok, out) = accountd_in(&[("DATA_DIR", data.as_str()), ("DATABASE_URL", as_dir.as_str())], &["migrate"]);
    assert!(!ok && out.contains("names a directory") && out.contains("accountd.db"), "{out}");
    let under_file = format!("sqlite://{data}/secret_key/accountd.db");
    let (ok, out) = accountd_in(&[("DATA_DIR", data.as_str()), ("DATABASE_URL", under_file.as_str())], &["migrate"]);
    assert!(!ok && out.contains("cannot create the directory"), "{out}");

    // production refuses to serve without the console's URL, which links in mails need
    let prod = [
        ("DATA_DIR", data.as_str()),
        ("DATABASE_URL", url.as_str()),
        ("APP_ENV", "production"),
        ("SECRET_KEY", SECRET),
    ];
    let (ok, out) = accountd_in(&prod, &["serve"]);
    assert!(!ok && out.contains("CONSOLE_WEB_URL is required"), "{out}");
    let _ = std::fs::remove_dir_all(dir);
}

/// `serve --bind` and `--database-url` take the place of BIND_ADDR and DATABASE_URL.
#[test]
fn serve_flags_mirror_the_environment() {
    use std::io::{BufRead, BufReader};
    let dir = scratch();
    let flagged = dir.join("flag.db");
    let mut child = Command::new(env!("CARGO_BIN_EXE_accountd"))
        .args(["serve", "--bind", "127.0.0.1:0", "--database-url", &format!("sqlite://{}", flagged.display())])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATA_DIR", &dir)
        .env("BIND_ADDR", "127.0.0.1:1")
        .env("DATABASE_URL", format!("sqlite://{}", dir.join("env.db").display()))
        .env("LOG_FORMAT", "json")
        .env("SHUTDOWN_DRAIN_SECONDS", "0")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let listening = BufReader::new(child.stdout.take().unwrap()).lines().map_while(Result::ok).find_map(|line| {
        let v: serde_json::Value = serde_json::from_str(&line).ok()?;
        (v["message"] == "accountd listening").then(|| v["port"].as_u64()).flatten()
    });
    let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    let _ = child.wait();
    assert!(listening.is_some_and(|port| port != 1), "listened on the flag's address: {listening:?}");
    assert!(flagged.exists() && !dir.join("env.db").exists(), "the flag's database was used");
    let _ = std::fs::remove_dir_all(dir);
}
