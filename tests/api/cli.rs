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

/// `accountd serve` on a free port: answers, then exits cleanly on SIGTERM.
#[test]
fn serve_stops_gracefully_on_sigterm() {
    use std::io::{BufRead, BufReader, Read, Write};
    use std::process::Stdio;

    let dir = std::env::temp_dir().join(format!("accountd-serve-{}", uuid::Uuid::new_v4().simple()));
    let mut child = Command::new(env!("CARGO_BIN_EXE_accountd"))
        .arg("serve")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATA_DIR", &dir)
        .env("BIND_ADDR", "127.0.0.1:0")
        .env("BCRYPT_COST", "4")
        .env("LOG_FORMAT", "json")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start accountd serve");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let port = lines
        .by_ref()
        .map_while(Result::ok)
        .find_map(|line| {
            let v: serde_json::Value = serde_json::from_str(&line).ok()?;
            (v["message"] == "accountd listening").then(|| v["port"].as_u64()).flatten()
        })
        .expect("listening line with the port");
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port as u16)).unwrap();
    stream.write_all(b"GET /readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").unwrap();
    let mut reply = String::new();
    stream.read_to_string(&mut reply).unwrap();
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    assert!(reply.to_ascii_lowercase().contains("x-request-id"), "{reply}");

    let killed = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(killed.success());
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(started.elapsed() < std::time::Duration::from_secs(15), "no exit after SIGTERM");
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    assert!(status.success(), "{status:?}");
    assert!(lines.map_while(Result::ok).any(|l| l.contains("accountd stopped")));
    assert!(dir.join("accountd.db").exists(), "the default database lives under DATA_DIR");
    let _ = std::fs::remove_dir_all(dir);
}
