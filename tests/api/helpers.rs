use std::collections::HashMap;

use accountd::app::Application;
use accountd::config::Settings;
use awc::http::{Method, StatusCode};
use serde_json::{json, Value};
pub use testkit::Kind;
use testkit::TestDb;

pub const SECRET: &str = "test-secret-key";
pub const ADMIN_EMAIL: &str = "admin@example.com";
pub const ADMIN_PASSWORD: &str = "admin1234";

/// Defines `name::sqlite` and `name::postgres` from one body `async fn(kind: Kind)`.
#[macro_export]
macro_rules! http_test {
    ($($(#[$meta:meta])* async fn $name:ident($kind:ident) $body:block)+) => {
        $(
            mod $name {
                #[allow(unused_imports, reason = "a test body need not use what its module imports")]
                use super::*;

                async fn body($kind: $crate::helpers::Kind) $body

                #[actix_web::test]
                async fn sqlite() {
                    body($crate::helpers::Kind::Sqlite).await
                }

                #[actix_web::test]
                async fn postgres() {
                    if testkit::postgres_enabled() {
                        body($crate::helpers::Kind::Postgres).await
                    }
                }
            }
        )+
    };
}

/// A running server and a client for it.
pub struct TestApp {
    pub base: String,
    pub client: awc::Client,
    pub db: std::sync::Arc<TestDb>,
}

/// A response: status, JSON body (or `Value::Null`), headers.
pub struct Reply {
    pub status: StatusCode,
    pub body: Value,
    pub headers: awc::http::header::HeaderMap,
}

pub fn settings(url: &str, extra: &[(&str, &str)]) -> Settings {
    let data_dir = std::env::temp_dir().join("accountd-test-data");
    let mut map: HashMap<String, String> = [
        ("DATABASE_URL", url),
        ("BIND_ADDR", "127.0.0.1:0"),
        ("BCRYPT_COST", "4"),
        ("SECRET_KEY", SECRET),
        ("WORKERS", "2"),
        ("DATABASE_POOL_SIZE", "4"),
        ("AUTO_MIGRATE", "false"),
        ("FILES_URL", "http://files.test"),
        // housekeeping runs only where a test asks for it
        ("HOUSEKEEPING_INTERVAL_SECONDS", "0"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    map.insert("DATA_DIR".into(), data_dir.display().to_string());
    for (k, v) in extra {
        map.insert((*k).to_owned(), (*v).to_owned());
    }
    Settings::from_lookup(|k| map.get(k).cloned()).expect("test settings")
}

pub async fn spawn_app(kind: Kind) -> TestApp {
    spawn_app_with(kind, &[]).await
}

pub async fn spawn_app_with(kind: Kind, extra: &[(&str, &str)]) -> TestApp {
    let db = std::sync::Arc::new(TestDb::of(kind).expect("database for this backend"));
    spawn_on(db, extra).await
}

/// Another server instance on the same database (two instances behind one load balancer).
pub async fn spawn_on(db: std::sync::Arc<TestDb>, extra: &[(&str, &str)]) -> TestApp {
    let _ = tracing_subscriber::fmt().with_test_writer().try_init();
    let app = Application::build(settings(db.url(), extra)).await.expect("build app");
    let (port, server) = app.into_parts();
    actix_web::rt::spawn(server);
    TestApp { base: format!("http://127.0.0.1:{port}"), client: awc::Client::default(), db }
}

impl TestApp {
    pub async fn request(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&[u8]>,
        headers: &[(&str, &str)],
    ) -> Reply {
        let mut req = self.client.request(method, format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.insert_header(("Authorization", format!("Bearer {t}")));
        }
        for (k, v) in headers {
            req = req.insert_header((*k, *v));
        }
        let mut res = match body {
            Some(b) => req.insert_header(("Content-Type", "application/json")).send_body(b.to_vec()).await,
            None => req.send().await,
        }
        .expect("request sent");
        let bytes = res.body().limit(10 * 1024 * 1024).await.expect("body");
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or_else(|_| json!(String::from_utf8_lossy(&bytes)))
        };
        Reply { status: res.status(), body, headers: res.headers().clone() }
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Reply {
        self.request(Method::GET, path, token, None, &[]).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Reply {
        self.request(Method::POST, path, token, Some(body.to_string().as_bytes()), &[]).await
    }

    pub async fn put(&self, path: &str, token: Option<&str>, body: Value) -> Reply {
        self.request(Method::PUT, path, token, Some(body.to_string().as_bytes()), &[]).await
    }

    pub async fn setup(&self) -> Reply {
        self.post(
            "/console/api/setup",
            None,
            json!({"email": ADMIN_EMAIL, "name": "Admin", "password": ADMIN_PASSWORD}),
        )
        .await
    }

    pub async fn login(&self, email: &str, password: &str) -> Reply {
        self.post("/console/api/login", None, json!({"email": email, "password": password})).await
    }

    /// Logs in and returns (access, refresh).
    pub async fn tokens(&self, email: &str, password: &str) -> (String, String) {
        let r = self.login(email, password).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.body["result"], "success", "{}", r.body);
        (
            r.body["data"]["access_token"].as_str().unwrap().to_owned(),
            r.body["data"]["refresh_token"].as_str().unwrap().to_owned(),
        )
    }

    /// Sets up and returns the admin's access token.
    pub async fn admin(&self) -> String {
        assert_eq!(self.setup().await.status, StatusCode::CREATED);
        self.tokens(ADMIN_EMAIL, ADMIN_PASSWORD).await.0
    }

    /// Creates an account through `POST /account/register`; returns its id.
    pub async fn create_user(&self, token: &str, email: &str) -> String {
        let r = self
            .post(
                "/console/api/account/register",
                Some(token),
                json!({"email": email, "name": email.split('@').next().unwrap(), "password": "user1234"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        r.body["id"].as_str().unwrap().to_owned()
    }
}

/// Asserts `{code, message, status}` with this status and code.
#[track_caller]
pub fn assert_error(r: &Reply, status: u16, code: &str) {
    assert_eq!(r.status.as_u16(), status, "{}", r.body);
    assert_eq!(r.body["code"], code, "{}", r.body);
    if code != "invalid_param" && code != "unknown" {
        assert_eq!(r.body["status"], status, "{}", r.body);
        assert!(r.body["message"].as_str().is_some_and(|m| !m.is_empty()), "{}", r.body);
    }
}

/// Asserts a validation error naming `field`.
#[track_caller]
pub fn assert_param(r: &Reply, field: &str) {
    assert_eq!(r.status.as_u16(), 400, "{}", r.body);
    assert_eq!(r.body["code"], "invalid_param", "{}", r.body);
    assert_eq!(r.body["params"], field, "{}", r.body);
}

/// An access key as issued: its id, public key and secret.
pub struct Key {
    pub id: String,
    pub access_key: String,
    pub secret: String,
}

/// Issues an access key through the console for the account of `token`.
pub async fn issue_key(app: &TestApp, token: &str) -> Key {
    let r = app.post("/console/api/access-keys", Some(token), json!({})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    Key {
        id: r.body["id"].as_str().unwrap().to_owned(),
        access_key: r.body["access_key"].as_str().unwrap().to_owned(),
        secret: r.body["secret_key"].as_str().unwrap().to_owned(),
    }
}

/// Runs one SQL statement on the app's database (to set up states no endpoint reaches).
pub fn sql(app: &TestApp, statement: &str) {
    use diesel::RunQueryDsl;
    let db = db::Database::connect(app.db.url(), &db::DbOptions { pool_size: 1, ..Default::default() }).unwrap();
    diesel::sql_query(statement).execute(&mut *db.get().unwrap()).unwrap();
}
