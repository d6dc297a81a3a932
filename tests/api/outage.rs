//! The database going away, seen from outside: an unreachable database is answered 503 with `Retry-After`, in
//! each dialect's envelope, at once once the outage grace is over; pooled connections a restart broke are
//! replaced without a failed request; `/readyz` answers quickly whatever the queue; the service is back within
//! a second of the database.

use std::time::{Duration, Instant};

use awc::http::Method;
use serde_json::json;

use crate::helpers::*;
use crate::http_test;

/// Runs a statement on the maintenance database of the app's Postgres server.
fn maintenance(app: &TestApp, statement: &str) {
    use diesel::{Connection, RunQueryDsl};
    let url = app.db.url();
    let server = url.split_once('?').map_or(url, |(u, _)| u).rsplit_once('/').unwrap().0;
    let mut conn = diesel::PgConnection::establish(&format!("{server}/postgres")).unwrap();
    diesel::sql_query(statement).execute(&mut conn).unwrap();
}

/// The name of the app's Postgres database.
fn database_name(app: &TestApp) -> String {
    let url = app.db.url();
    url.split_once('?').map_or(url, |(u, _)| u).rsplit_once('/').unwrap().1.to_owned()
}

/// Ends every connection the server holds, as a restart does.
fn end_connections(app: &TestApp) {
    let name = database_name(app);
    maintenance(app, &format!("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}' AND pid <> pg_backend_pid()"));
}

http_test! {
    async fn an_unreachable_database_is_503_at_once_after_the_grace_and_back_within_a_second(kind) {
        if matches!(kind, Kind::Sqlite) {
            return; // an embedded file does not go away while the server holds it open
        }
        // without the authentication cache, which would answer the profile of a session seen within its bound
        let app = spawn_app_with(kind, &[("DATABASE_OUTAGE_GRACE_SECONDS", "1"), ("AUTH_CACHE_MILLISECONDS", "0")]).await;
        let admin = app.admin().await;
        let key = issue_key(&app, &admin).await;
        let bearer = format!("Bearer {}.{}", key.access_key, key.secret);
        let name = database_name(&app);
        // the database refuses new connections and ends the server's
        maintenance(&app, &format!("ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS false"));
        end_connections(&app);

        // within the grace, a request waits for the database (at most the grace), then is answered 503
        let started = Instant::now();
        let first = app.get("/console/api/account/profile", Some(&admin)).await;
        assert_eq!(first.status.as_u16(), 503, "{}", first.body);
        assert!(started.elapsed() < Duration::from_millis(2500), "{:?}", started.elapsed());
        actix_web::rt::time::sleep(Duration::from_millis(1100)).await;

        // after it, every dialect answers 503 at once
        let started = Instant::now();
        let console = app.get("/console/api/account/profile", Some(&admin)).await;
        let openapi = app.request(Method::GET, "/openapi/v1/accounts/", None, None, &[("Authorization", bearer.as_str())]).await;
        let register = app.post("/console/api/account/register", Some(&admin), json!({"email": "x@example.com", "name": "X", "password": "user1234"})).await;
        let ready = app.get("/readyz", None).await;
        let elapsed = started.elapsed();
        for r in [&console, &openapi, &register, &ready] {
            assert_eq!(r.status.as_u16(), 503, "{}", r.body);
            assert_eq!(r.headers.get("retry-after").and_then(|v| v.to_str().ok()), Some("1"), "{}", r.body);
        }
        assert_eq!((console.body["code"].clone(), console.body["status"].clone()), (json!("service_unavailable"), json!(503)));
        assert_eq!((openapi.body["errcode"].clone(), openapi.body["data"].clone()), (json!(503), json!(null)));
        assert!(elapsed < Duration::from_millis(1200), "four 503s took {elapsed:?}: requests must not wait for the pool while the database is known down");
        let started = Instant::now();
        for _ in 0..20 {
            assert_eq!(app.get("/readyz", None).await.status.as_u16(), 503);
        }
        assert!(started.elapsed() < Duration::from_millis(1000), "20 readiness checks took {:?}", started.elapsed());

        // back within a second of the database
        maintenance(&app, &format!("ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS true"));
        let back = Instant::now();
        let mut statuses = Vec::new();
        loop {
            let status = app.get("/console/api/account/profile", Some(&admin)).await.status.as_u16();
            statuses.push(status);
            if status == 200 || back.elapsed() > Duration::from_secs(5) {
                break;
            }
            actix_web::rt::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(statuses.last(), Some(&200), "{statuses:?}");
        assert!(statuses.iter().all(|s| *s == 200 || *s == 503), "{statuses:?}");
        assert!(back.elapsed() < Duration::from_millis(1000), "recovered after {:?}", back.elapsed());
        assert_eq!(app.get("/readyz", None).await.status.as_u16(), 200);
    }

    async fn connections_a_restart_broke_are_replaced_without_a_failed_request(kind) {
        if matches!(kind, Kind::Sqlite) {
            return;
        }
        let app = spawn_app_with(kind, &[("DATABASE_POOL_SIZE", "4")]).await;
        let admin = app.admin().await;
        let key = issue_key(&app, &admin).await;
        let bearer = format!("Bearer {}.{}", key.access_key, key.secret);
        for round in 0..3 {
            // every pooled connection is broken, as after `pg_ctl restart`; reads and writes go on
            end_connections(&app);
            let reads = futures_util::future::join_all((0..6).map(|_| app.get("/console/api/account/profile", Some(&admin)))).await;
            for r in &reads {
                assert_eq!(r.status.as_u16(), 200, "round {round}: {}", r.body);
            }
            end_connections(&app);
            let body = json!({"email": format!("r{round}@example.com"), "nickname": "R"}).to_string();
            let r = app.request(Method::POST, "/openapi/v1/accounts/", None, Some(body.as_bytes()), &[("Authorization", bearer.as_str())]).await;
            assert_eq!(r.status.as_u16(), 200, "round {round}: {}", r.body);
        }
        let r = app.request(Method::GET, "/openapi/v1/accounts/?count=1", None, None, &[("Authorization", bearer.as_str())]).await;
        assert_eq!(r.body["total"], 4, "three created, once each, and the admin: {}", r.body);
    }

    async fn readiness_answers_quickly_while_every_connection_is_busy(kind) {
        let app = spawn_app_with(kind, &[("DATABASE_POOL_SIZE", "2")]).await;
        let admin = app.admin().await;
        // another client holds a lock every account change needs, so the server's requests queue for connections
        let locker = app.db.clone();
        let (locked_tx, locked_rx) = std::sync::mpsc::channel();
        let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
        let holder = std::thread::spawn(move || {
            use diesel::connection::SimpleConnection;
            let db = db::Database::connect(locker.url(), &db::DbOptions { pool_size: 1, ..Default::default() }).unwrap();
            let mut conn = db.get().unwrap();
            let lock = match kind {
                Kind::Postgres => "BEGIN; LOCK TABLE accounts IN ACCESS EXCLUSIVE MODE;",
                Kind::Sqlite => "BEGIN EXCLUSIVE;",
            };
            conn.batch_execute(lock).unwrap();
            locked_tx.send(()).unwrap();
            let _ = release_rx.recv_timeout(Duration::from_secs(10));
            conn.batch_execute("ROLLBACK").unwrap();
        });
        locked_rx.recv().unwrap();
        let queued: Vec<_> = (0..8)
            .map(|n| app.post("/console/api/account/register", Some(&admin), json!({"email": format!("q{n}@example.com"), "name": "Q", "password": "user1234"})))
            .collect();
        let waiting = futures_util::future::join_all(queued);
        let probe = async {
            actix_web::rt::time::sleep(Duration::from_millis(300)).await;
            let mut slowest = Duration::ZERO;
            for _ in 0..5 {
                let started = Instant::now();
                let r = app.get("/readyz", None).await;
                slowest = slowest.max(started.elapsed());
                assert_eq!(r.status.as_u16(), 200, "{}", r.body);
            }
            release_tx.send(()).unwrap();
            slowest
        };
        let (replies, slowest) = futures_util::future::join(waiting, probe).await;
        assert!(slowest < Duration::from_millis(100), "readiness took {slowest:?} behind a queue of requests");
        for r in &replies {
            assert_eq!(r.status.as_u16(), 200, "the queued requests are served once the lock goes: {}", r.body);
        }
        holder.join().unwrap();
    }
}
