//! Housekeeping from outside: the server's periodic task and `accountd purge` remove ended sessions and ended
//! counters, and leave what is alive working.

use std::process::Command;
use std::time::Duration;

use awc::http::StatusCode;
use serde_json::json;

use crate::helpers::*;
use crate::http_test;

/// Rows in `table` of the app's database.
fn rows(app: &TestApp, table: &str) -> i64 {
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let db = db::Database::connect(app.db.url(), &db::DbOptions { pool_size: 1, ..Default::default() }).unwrap();
    diesel::sql_query(format!("SELECT COUNT(*) AS n FROM {table}")).get_result::<N>(&mut *db.get().unwrap()).unwrap().n
}

/// The admin signed in twice, the second session ended, and a failed login counted in a one-second window.
async fn leave_something_to_purge(app: &TestApp) -> String {
    let (_, refresh) = app.tokens(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let (access, ended) = app.tokens(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let r = app.post("/console/api/logout", Some(&access), json!({"refresh_token": ended})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(app.login(ADMIN_EMAIL, "wrong-pass1").await.status, StatusCode::BAD_REQUEST);
    assert_eq!(rows(app, "login_sessions"), 3, "setup's, and the two sign-ins'");
    refresh
}

http_test! {
    async fn the_server_purges_what_ended_and_keeps_what_lives(kind) {
        let app = spawn_app_with(kind, &[("HOUSEKEEPING_INTERVAL_SECONDS", "1"), ("HOUSEKEEPING_RETENTION_DAYS", "0"), ("LOGIN_LOCKOUT_DURATION", "1")]).await;
        app.admin().await;
        let alive = leave_something_to_purge(&app).await;
        let mut waited = Duration::ZERO;
        while rows(&app, "login_sessions") > 2 || rows(&app, "throttles") > 0 {
            assert!(waited < Duration::from_secs(5), "sessions {}, counters {}", rows(&app, "login_sessions"), rows(&app, "throttles"));
            actix_web::rt::time::sleep(Duration::from_millis(100)).await;
            waited += Duration::from_millis(100);
        }
        assert_eq!(rows(&app, "login_sessions"), 2, "the ended session is gone, the live ones stay");
        let r = app.post("/console/api/refresh-token", None, json!({"refresh_token": alive})).await;
        assert_eq!(r.status, StatusCode::OK, "a live session still refreshes: {}", r.body);
    }

    async fn accountd_purge_does_it_on_demand(kind) {
        let app = spawn_app_with(kind, &[("LOGIN_LOCKOUT_DURATION", "1")]).await;
        app.admin().await;
        let alive = leave_something_to_purge(&app).await;
        actix_web::rt::time::sleep(Duration::from_millis(1100)).await;
        let out = Command::new(env!("CARGO_BIN_EXE_accountd"))
            .arg("purge")
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("DATABASE_URL", app.db.url())
            .env("SECRET_KEY", SECRET)
            .env("BCRYPT_COST", "4")
            .env("HOUSEKEEPING_RETENTION_DAYS", "0")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{stdout} {}", String::from_utf8_lossy(&out.stderr));
        assert!(stdout.starts_with("removed 2 rows: 1 sessions, 0 refresh tokens, 0 codes, 1 counters"), "{stdout}");
        assert_eq!((rows(&app, "login_sessions"), rows(&app, "throttles")), (2, 0));
        let r = app.post("/console/api/refresh-token", None, json!({"refresh_token": alive})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }
}
