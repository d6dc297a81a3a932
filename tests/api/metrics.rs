//! `GET /metrics`: absent without `METRICS_TOKEN`, refused without the token, and with it the series of requests
//! (by dialect, route template and status), sign-in failures and lockouts, access-key refusals by reason, the
//! database pool, password hashing and the mail outbox, moved by real requests.

use awc::http::{Method, StatusCode};

use crate::helpers::*;
use crate::http_test;

const TOKEN: &str = "scrape-token-0123456789";

/// The value of the series `name` (labels included, as printed), if present.
fn value(text: &str, series: &str) -> Option<f64> {
    text.lines().find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.split(' ').next()?.parse().ok())
}

async fn scrape(app: &TestApp) -> String {
    let r = app.request(Method::GET, "/metrics", Some(TOKEN), None, &[]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let kind = r.headers.get("content-type").unwrap().to_str().unwrap().to_owned();
    assert!(kind.starts_with("application/openmetrics-text"), "{kind}");
    r.body.as_str().unwrap().to_owned()
}

http_test! {
    async fn metrics_need_their_token_and_count_what_happened(kind) {
        let app = spawn_app_with(kind, &[("METRICS_TOKEN", TOKEN)]).await;
        assert_eq!(app.get("/metrics", None).await.status, StatusCode::UNAUTHORIZED);
        assert_eq!(app.get("/metrics", Some("scrape-token-wrong")).await.status, StatusCode::UNAUTHORIZED);

        let admin = app.admin().await;
        app.create_user(&admin, "nia@example.com").await;
        for _ in 0..7 {
            app.login("nia@example.com", "wrong-pass1").await;
        }
        let bearer = [("Authorization", "Bearer AKNOTAKEY.secret")];
        let r = app.request(Method::GET, "/openapi/v1/accounts/search/", None, None, &bearer).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.body);
        app.get("/no/such/path", None).await;

        let text = scrape(&app).await;
        assert!(text.ends_with("# EOF\n"), "{text}");
        // six wrong passwords were checked, the seventh attempt was locked out before any check
        assert_eq!(value(&text, "accountd_sign_ins_failed_total"), Some(6.0), "{text}");
        assert_eq!(value(&text, "accountd_sign_in_lockouts_total"), Some(1.0), "{text}");
        assert_eq!(value(&text, r#"accountd_access_key_refusals_total{reason="bad_credentials"}"#), Some(1.0), "{text}");
        let login = r#"accountd_http_request_duration_seconds_count{dialect="console",route="/console/api/login",method="POST""#;
        assert_eq!(value(&text, &format!(r#"{login},status="400"}}"#)), Some(6.0), "{text}");
        assert_eq!(value(&text, &format!(r#"{login},status="429"}}"#)), Some(1.0), "{text}");
        assert!(value(&text, &format!(r#"{login},status="200"}}"#)).is_some(), "{text}");
        let unmatched = r#"accountd_http_request_duration_seconds_count{dialect="service",route="unmatched",method="GET",status="404"}"#;
        assert_eq!(value(&text, unmatched), Some(1.0), "{text}");
        assert!(value(&text, "accountd_db_pool_max_connections").is_some_and(|n| n >= 1.0), "{text}");
        assert!(value(&text, r#"accountd_db_pool_connections{state="idle"}"#).is_some(), "{text}");
        assert_eq!(value(&text, "accountd_db_pool_waiting"), Some(0.0), "{text}");
        assert_eq!(value(&text, "accountd_db_pool_acquire_timeouts_total"), Some(0.0), "{text}");
        // setup, one registration and eight logins hashed or verified a password (the lockout none)
        assert!(value(&text, "accountd_password_hashes_total").is_some_and(|n| n >= 8.0), "{text}");
        assert!(value(&text, "accountd_password_hash_seconds_total").is_some_and(|s| s > 0.0), "{text}");
        assert_eq!(value(&text, "accountd_password_hash_waiting"), Some(0.0), "{text}");
        for state in ["pending", "sent", "failed"] {
            assert!(value(&text, &format!(r#"accountd_mail_outbox{{state="{state}"}}"#)).is_some(), "{state}: {text}");
        }
        assert_eq!(value(&text, "accountd_imported_password_accounts"), Some(0.0), "{text}");
        // counters only grow: a second scrape counts the first one and keeps the rest
        let again = scrape(&app).await;
        assert_eq!(value(&again, "accountd_sign_ins_failed_total"), Some(6.0));
        assert_eq!(value(&again, "accountd_password_hashes_total"), value(&text, "accountd_password_hashes_total"));
    }

    async fn without_a_token_there_are_no_metrics(kind) {
        let app = spawn_app(kind).await;
        assert_eq!(app.get("/metrics", Some(TOKEN)).await.status, StatusCode::NOT_FOUND);
    }
}
