//! Access keys through the console and the CLI: the secret shown once and sealed at rest, two active keys at
//! most, who may manage whose keys, and the audit trail.

use awc::http::{Method, StatusCode};
use serde_json::json;

use crate::helpers::*;
use crate::http_test;

async fn create(app: &TestApp, token: &str, body: serde_json::Value) -> Reply {
    app.post("/console/api/access-keys", Some(token), body).await
}

async fn patch(app: &TestApp, token: &str, id: &str, status: &str) -> Reply {
    let body = json!({"status": status}).to_string();
    app.request(Method::PATCH, &format!("/console/api/access-keys/{id}"), Some(token), Some(body.as_bytes()), &[]).await
}

async fn delete(app: &TestApp, token: &str, id: &str) -> Reply {
    app.request(Method::DELETE, &format!("/console/api/access-keys/{id}"), Some(token), None, &[]).await
}

/// Rows of a table matching a condition, counted on the test database.
fn count(app: &TestApp, sql: &str) -> i64 {
    use diesel::prelude::*;
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let db = db::Database::connect(app.db.url(), &db::DbOptions { pool_size: 1, ..Default::default() }).unwrap();
    let mut conn = db.get().unwrap();
    diesel::sql_query(sql).get_result::<N>(&mut *conn).unwrap().n
}

/// The stored `secret_ciphertext` of a key, decoded from its base64 column.
fn stored_secret(app: &TestApp, id: &str) -> Vec<u8> {
    use base64::Engine;
    use diesel::prelude::*;
    #[derive(QueryableByName)]
    struct Sealed {
        #[diesel(sql_type = diesel::sql_types::Text)]
        secret_ciphertext: String,
    }
    let db = db::Database::connect(app.db.url(), &db::DbOptions { pool_size: 1, ..Default::default() }).unwrap();
    let mut conn = db.get().unwrap();
    let row: Sealed = diesel::sql_query(format!("SELECT secret_ciphertext FROM access_keys WHERE id = '{id}'"))
        .get_result(&mut *conn)
        .unwrap();
    base64::engine::general_purpose::STANDARD.decode(row.secret_ciphertext).unwrap()
}

http_test! {
    async fn keys_are_issued_once_limited_to_two_active_and_audited(kind) {
        let app = spawn_app(kind).await;
        let admin = app.admin().await;
        let r = create(&app, &admin, json!({"name": "ci"})).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let first = r.body.clone();
        let secret = first["secret_key"].as_str().unwrap().to_owned();
        assert!(first["access_key"].as_str().unwrap().starts_with("AK"));
        assert_eq!((first["name"].clone(), first["status"].clone(), first["advice_renew"].clone()), (json!("ci"), json!("active"), json!(false)));
        assert!(first["created_at"].is_i64());
        // the secret is sealed at rest and never listed
        let sealed = stored_secret(&app, first["id"].as_str().unwrap());
        assert_eq!(sealed.len(), 12 + secret.len() + 16, "nonce, ciphertext, tag");
        assert!(!sealed.windows(secret.len()).any(|w| w == secret.as_bytes()), "the secret is not stored in clear");
        let listed = app.get("/console/api/access-keys", Some(&admin)).await;
        assert_eq!(listed.body["data"].as_array().unwrap().len(), 1);
        assert!(!listed.body.to_string().contains(&secret));
        assert!(listed.body["data"][0].get("secret_key").is_none());

        // two active at most; a disabled one makes room, enabling it again does not fit
        let second = create(&app, &admin, json!({})).await;
        assert_eq!(second.status, StatusCode::CREATED);
        assert_error(&create(&app, &admin, json!({})).await, 400, "access_key_limit");
        let id = first["id"].as_str().unwrap();
        let r = patch(&app, &admin, id, "disabled").await;
        assert_eq!(r.body["status"], "disabled", "{}", r.body);
        let third = create(&app, &admin, json!({"name": "rotated in"})).await;
        assert_eq!(third.status, StatusCode::CREATED);
        assert_error(&patch(&app, &admin, id, "active").await, 400, "access_key_limit");
        assert_param(&patch(&app, &admin, id, "paused").await, "status");
        assert_eq!(delete(&app, &admin, id).await.body, json!({"result": "success"}));
        assert_error(&delete(&app, &admin, id).await, 404, "not_found");
        assert_eq!(app.get("/console/api/access-keys", Some(&admin)).await.body["data"].as_array().unwrap().len(), 2);

        // every change is an audit event carrying the request id
        let actions = count(&app, "SELECT COUNT(*) AS n FROM audit_events WHERE target_type = 'access_key' AND request_id IS NOT NULL AND request_id <> ''");
        assert_eq!(actions, 5, "three creations, a disable, a delete");

        // bad input names the field
        assert_param(&create(&app, &admin, json!({"name": "x".repeat(65)})).await, "name");
        assert_param(&create(&app, &admin, json!({"account_id": "nope"})).await, "account_id");
        assert_error(&patch(&app, &admin, "not-a-uuid", "active").await, 404, "not_found");
    }

    async fn only_the_owner_and_platform_admins_manage_an_accounts_keys(kind) {
        let app = spawn_app(kind).await;
        let admin = app.admin().await;
        let bob_id = app.create_user(&admin, "bob@example.com").await;
        app.create_user(&admin, "eve@example.com").await;
        let bob = app.tokens("bob@example.com", "user1234").await.0;
        let eve = app.tokens("eve@example.com", "user1234").await.0;

        // anyone manages their own keys; a platform admin issues one for bob
        let own = create(&app, &bob, json!({"name": "mine"})).await;
        assert_eq!(own.status, StatusCode::CREATED, "{}", own.body);
        let issued = create(&app, &admin, json!({"account_id": bob_id})).await;
        assert_eq!(issued.status, StatusCode::CREATED, "{}", issued.body);
        assert_eq!(issued.body["account_id"], bob_id.as_str());
        let listed = app.get(&format!("/console/api/access-keys?account_id={bob_id}"), Some(&admin)).await;
        assert_eq!(listed.body["data"].as_array().unwrap().len(), 2);

        // another normal account neither sees nor touches them
        let key_id = own.body["id"].as_str().unwrap();
        assert_error(&create(&app, &eve, json!({"account_id": bob_id})).await, 404, "not_found");
        assert_error(&app.get(&format!("/console/api/access-keys?account_id={bob_id}"), Some(&eve)).await, 404, "not_found");
        assert_error(&patch(&app, &eve, key_id, "disabled").await, 404, "not_found");
        assert_error(&delete(&app, &eve, key_id).await, 404, "not_found");
        // a group admin may edit bob's profile but not mint credentials for him
        let eve_id = app.get("/console/api/account-ex/profile", Some(&eve)).await.body["id"].as_str().unwrap().to_owned();
        app.put(&format!("/console/api/account-ex/id?id={eve_id}"), Some(&admin), json!({"group_role": "admin"})).await;
        assert_error(&create(&app, &eve, json!({"account_id": bob_id})).await, 403, "forbidden");
        // nobody touches the super admin's keys but the super admin
        let admin_id = app.get("/console/api/account-ex/profile", Some(&admin)).await.body["id"].as_str().unwrap().to_owned();
        assert_error(&create(&app, &bob, json!({"account_id": admin_id})).await, 404, "not_found");
        assert_error(&app.get("/console/api/access-keys", None).await, 401, "unauthorized");
    }

    async fn the_cli_prints_a_working_pair_once(kind) {
        let app = spawn_app(kind).await;
        app.admin().await;
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_accountd"))
            .args(["access-key", "create", "--email", ADMIN_EMAIL, "--name", "partner"])
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("DATABASE_URL", app.db.url())
            .env("SECRET_KEY", SECRET)
            .env("BCRYPT_COST", "4")
            .env("DATA_DIR", std::env::temp_dir().join("accountd-test-data"))
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let stdout = String::from_utf8_lossy(&out.stdout);
        let value = |label: &str| stdout.lines().find_map(|l| l.strip_prefix(label)).unwrap().trim().to_owned();
        let (access_key, secret) = (value("access_key:"), value("secret_key:"));
        assert_eq!(secret.len(), 40);
        let admin = app.tokens(ADMIN_EMAIL, ADMIN_PASSWORD).await.0;
        let listed = app.get("/console/api/access-keys", Some(&admin)).await;
        assert_eq!(listed.body["data"][0]["access_key"], access_key.as_str());
        assert_eq!(listed.body["data"][0]["name"], "partner");
        assert_eq!(count(&app, "SELECT COUNT(*) AS n FROM audit_events WHERE action = 'access_key.create' AND request_id = 'cli'"), 1);
        let unknown = std::process::Command::new(env!("CARGO_BIN_EXE_accountd"))
            .args(["access-key", "create", "--email", "ghost@example.com"])
            .env_clear()
            .env("DATABASE_URL", app.db.url())
            .env("SECRET_KEY", SECRET)
            .env("DATA_DIR", std::env::temp_dir().join("accountd-test-data"))
            .output()
            .unwrap();
        assert!(!unknown.status.success());
    }
}
