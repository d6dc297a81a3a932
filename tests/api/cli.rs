//! The `accountd` binary's subcommands.

use std::process::Command;

use awc::http::StatusCode;

use crate::helpers::*;
use crate::http_test;

fn accountd(url: &str, args: &[&str]) -> std::process::Output {
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
    }
}
