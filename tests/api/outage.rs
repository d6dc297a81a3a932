//! An unavailable database is answered 503 with `Retry-After`, in each dialect's envelope (Postgres: its
//! connections are ended and new ones refused while the server runs).

use awc::http::Method;
use serde_json::json;

use crate::helpers::*;
use crate::http_test;

http_test! {
    async fn an_unreachable_database_is_503_with_retry_after_in_every_dialect(kind) {
        if matches!(kind, Kind::Sqlite) {
            return; // an embedded file does not go away while the server holds it open
        }
        let app = spawn_app(kind).await;
        let admin = app.admin().await;
        let key = issue_key(&app, &admin).await;
        let bearer = format!("Bearer {}.{}", key.access_key, key.secret);
        // the database refuses new connections and ends the server's
        let db_url = app.db.url().to_owned();
        let (server, name) = db_url.split_once('?').map_or(db_url.as_str(), |(u, _)| u).rsplit_once('/').unwrap();
        let maintenance = |statement: String| {
            use diesel::{Connection, RunQueryDsl};
            let mut conn = diesel::PgConnection::establish(&format!("{server}/postgres")).unwrap();
            diesel::sql_query(statement).execute(&mut conn).unwrap();
        };
        maintenance(format!("ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS false"));
        maintenance(format!("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"));

        let console = app.get("/console/api/account/profile", Some(&admin)).await;
        let openapi = app.request(Method::GET, "/openapi/v1/accounts/", None, None, &[("Authorization", bearer.as_str())]).await;
        let register = app.post("/console/api/account/register", Some(&admin), json!({"email": "x@example.com", "name": "X", "password": "user1234"})).await;
        let ready = app.get("/readyz", None).await;
        for r in [&console, &openapi, &register, &ready] {
            assert_eq!(r.status.as_u16(), 503, "{}", r.body);
            assert_eq!(r.headers.get("retry-after").and_then(|v| v.to_str().ok()), Some("1"), "{}", r.body);
        }
        assert_eq!((console.body["code"].clone(), console.body["status"].clone()), (json!("service_unavailable"), json!(503)));
        assert_eq!((openapi.body["errcode"].clone(), openapi.body["data"].clone()), (json!(503), json!(null)));

        // once the database is back, so is the service: a pooled connection the outage broke is dropped when it is
        // found broken (answering that request 503; a retry on a fresh connection is not built yet), never a 500
        maintenance(format!("ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS true"));
        let mut statuses = Vec::new();
        for _ in 0..40 {
            let status = app.get("/console/api/account/profile", Some(&admin)).await.status.as_u16();
            statuses.push(status);
            if status == 200 {
                break;
            }
        }
        assert_eq!(statuses.last(), Some(&200), "{statuses:?}");
        assert!(statuses.iter().all(|s| *s == 200 || *s == 503), "{statuses:?}");
    }
}
