use awc::http::{Method, StatusCode};
use base64::Engine;
use serde_json::json;

use crate::helpers::*;
use crate::http_test;

fn jwt(claims: serde_json::Value, key: &str) -> String {
    jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(key.as_bytes()),
    )
    .unwrap()
}

fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

http_test! {
    async fn login_returns_a_jwt_with_the_four_claims_and_a_hex_refresh_token(kind) {
        let app = spawn_app(kind).await;
        app.setup().await;
        let r = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
        assert_eq!(r.status, StatusCode::OK);
        let access = r.body["data"]["access_token"].as_str().unwrap();
        let refresh = r.body["data"]["refresh_token"].as_str().unwrap();
        assert_eq!(refresh.len(), 128);
        assert!(refresh.chars().all(|c| c.is_ascii_hexdigit()));
        let payload = access.split('.').nth(1).unwrap();
        let claims: serde_json::Value = serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
        assert_eq!(claims.as_object().unwrap().len(), 4, "{claims}");
        assert_eq!(claims["iss"], "SELF_HOSTED");
        assert_eq!(claims["sub"], "Console API Passport");
        assert!((claims["exp"].as_i64().unwrap() - (now() + 3600)).abs() < 30);
        let me = app.get("/console/api/account/profile", Some(access)).await;
        assert_eq!(claims["user_id"], me.body["id"]);
        assert_eq!(me.body["last_login_ip"], "127.0.0.1");
    }

    async fn wrong_password_and_unknown_email_look_the_same(kind) {
        let app = spawn_app(kind).await;
        app.setup().await;
        let wrong = app.login(ADMIN_EMAIL, "wrong1234").await;
        let unknown = app.login("ghost@example.com", "wrong1234").await;
        assert_error(&wrong, 400, "email_or_password_mismatch");
        assert_eq!(wrong.status, unknown.status);
        assert_eq!(wrong.body, unknown.body);
        // emails compare case-insensitively
        assert_eq!(app.login("ADMIN@Example.COM", ADMIN_PASSWORD).await.status, StatusCode::OK);
    }

    async fn the_compatibility_switch_reveals_unknown_accounts(kind) {
        let app = spawn_app_with(kind, &[("DANGER_REVEAL_UNKNOWN_ACCOUNTS", "true")]).await;
        app.setup().await;
        assert_error(&app.login("ghost@example.com", "wrong1234").await, 400, "account_not_found");
        assert_error(&app.login(ADMIN_EMAIL, "wrong1234").await, 400, "email_or_password_mismatch");
    }

    async fn login_input_is_validated(kind) {
        let app = spawn_app(kind).await;
        app.setup().await;
        assert_param(&app.post("/console/api/login", None, json!({"password": "x"})).await, "email");
        assert_param(&app.post("/console/api/login", None, json!({"email": "bad", "password": "x"})).await, "email");
        assert_param(&app.post("/console/api/login", None, json!({"email": ADMIN_EMAIL})).await, "password");
        assert_param(&app.post("/console/api/login", None, json!({"email": ADMIN_EMAIL, "password": ["x"]})).await, "password");
        assert_param(&app.post("/console/api/login", None, json!({"email": ADMIN_EMAIL, "password": "a".repeat(73)})).await, "password");
        assert_error(&app.request(Method::POST, "/console/api/login", None, Some(b""), &[]).await, 400, "bad_request");
    }

    async fn repeated_failures_lock_the_address_across_instances(kind) {
        let app = spawn_app(kind).await;
        app.setup().await;
        for _ in 0..6 {
            assert_error(&app.login(ADMIN_EMAIL, "wrong1234").await, 400, "email_or_password_mismatch");
        }
        // a second server on the same database sees the same counter
        let other = spawn_on(app.db.clone(), &[]).await;
        let locked = other.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
        assert_error(&locked, 429, "email_code_login_limit");
        assert_error(&app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await, 429, "email_code_login_limit");
    }

    async fn a_success_clears_the_failure_count(kind) {
        let app = spawn_app(kind).await;
        app.setup().await;
        for _ in 0..5 {
            app.login(ADMIN_EMAIL, "wrong1234").await;
        }
        app.tokens(ADMIN_EMAIL, ADMIN_PASSWORD).await;
        for _ in 0..6 {
            assert_error(&app.login(ADMIN_EMAIL, "wrong1234").await, 400, "email_or_password_mismatch");
        }
    }

    async fn bad_tokens_are_refused_with_dify_texts(kind) {
        let app = spawn_app(kind).await;
        let token = app.admin().await;
        let me = app.get("/console/api/account/profile", Some(&token)).await.body["id"].as_str().unwrap().to_owned();
        let check = |r: &Reply, message: &str| {
            assert_error(r, 401, "unauthorized");
            assert_eq!(r.body["message"], message, "{}", r.body);
        };
        check(&app.get("/console/api/account/profile", None).await, "Invalid Authorization token.");
        let basic = app.request(Method::GET, "/console/api/account/profile", None, None, &[("Authorization", "Basic abc")]).await;
        check(&basic, "Invalid Authorization header format. Expected 'Bearer <api-key>' format.");
        let claims = |exp: i64| json!({"user_id": me, "exp": exp, "iss": "SELF_HOSTED", "sub": "Console API Passport"});
        check(&app.get("/console/api/account/profile", Some(&jwt(claims(now() - 10), SECRET))).await, "Token has expired.");
        check(&app.get("/console/api/account/profile", Some(&jwt(claims(now() + 600), "other-key"))).await, "Invalid token signature.");
        let e = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let none = format!("{}.{}.", e.encode(r#"{"alg":"none","typ":"JWT"}"#), e.encode(claims(now() + 600).to_string()));
        check(&app.get("/console/api/account/profile", Some(&none)).await, "Invalid token.");
        check(&app.get("/console/api/account/profile", Some("garbage")).await, "Invalid token.");
        let stranger = json!({"user_id": uuid::Uuid::new_v4().to_string(), "exp": now() + 600, "iss": "SELF_HOSTED", "sub": "Console API Passport"});
        check(&app.get("/console/api/account/profile", Some(&jwt(stranger, SECRET))).await, "Unauthorized.");
        // a well-signed token of the account works, also as ?_token=
        assert_eq!(app.get("/console/api/account/profile", Some(&jwt(claims(now() + 600), SECRET))).await.status, StatusCode::OK);
        assert_eq!(app.get(&format!("/console/api/account/profile?_token={token}"), None).await.status, StatusCode::OK);
    }

    async fn refresh_rotates_and_reuse_revokes_the_session(kind) {
        let app = spawn_app(kind).await;
        app.setup().await;
        let (_, first) = app.tokens(ADMIN_EMAIL, ADMIN_PASSWORD).await;
        let r = app.post("/console/api/refresh-token", None, json!({"refresh_token": first})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.body["result"], "success");
        let second = r.body["data"]["refresh_token"].as_str().unwrap().to_owned();
        assert_ne!(second, first);
        assert_eq!(app.get("/console/api/account/profile", r.body["data"]["access_token"].as_str()).await.status, StatusCode::OK);
        // the first token again: refused, and the whole session with it
        let reuse = app.post("/console/api/refresh-token", None, json!({"refresh_token": first})).await;
        assert_eq!(reuse.status, StatusCode::UNAUTHORIZED);
        assert_eq!(reuse.body, json!({"result": "fail", "data": "Invalid refresh token"}));
        assert_eq!(app.post("/console/api/refresh-token", None, json!({"refresh_token": second})).await.status, StatusCode::UNAUTHORIZED);
        assert_eq!(app.post("/console/api/refresh-token", None, json!({"refresh_token": "00"})).await.status, StatusCode::UNAUTHORIZED);
        assert_param(&app.post("/console/api/refresh-token", None, json!({})).await, "refresh_token");
    }

    async fn logout_ends_the_session(kind) {
        let app = spawn_app(kind).await;
        app.setup().await;
        let (access, refresh) = app.tokens(ADMIN_EMAIL, ADMIN_PASSWORD).await;
        let (access2, refresh2) = app.tokens(ADMIN_EMAIL, ADMIN_PASSWORD).await;
        let r = app.post("/console/api/logout", Some(&access), json!({"refresh_token": refresh})).await;
        assert_eq!(r.body, json!({"result": "success"}));
        assert_eq!(app.post("/console/api/refresh-token", None, json!({"refresh_token": refresh})).await.status, StatusCode::UNAUTHORIZED);
        // GET /logout without a token in the body ends the latest session
        assert_eq!(app.get("/console/api/logout", Some(&access2)).await.body, json!({"result": "success"}));
        assert_eq!(app.post("/console/api/refresh-token", None, json!({"refresh_token": refresh2})).await.status, StatusCode::UNAUTHORIZED);
        assert_error(&app.get("/console/api/logout", None).await, 401, "unauthorized");
    }

    async fn banned_accounts_cannot_log_in_and_their_tokens_stop_at_once(kind) {
        let app = spawn_app(kind).await;
        let admin = app.admin().await;
        let id = app.create_user(&admin, "alice@example.com").await;
        let (token, refresh) = app.tokens("alice@example.com", "user1234").await;
        let r = app.put(&format!("/console/api/account-ex/id?id={id}"), Some(&admin), json!({"status": "banned"})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let r = app.get("/console/api/account/profile", Some(&token)).await;
        assert_error(&r, 401, "unauthorized");
        assert_eq!(r.body["message"], "Account is banned.");
        assert_eq!(app.post("/console/api/refresh-token", None, json!({"refresh_token": refresh})).await.status, StatusCode::UNAUTHORIZED);
        assert_error(&app.login("alice@example.com", "user1234").await, 400, "account_banned");
        // the wrong password does not reveal the ban
        assert_error(&app.login("alice@example.com", "wrong1234").await, 400, "email_or_password_mismatch");
    }

    async fn pending_accounts_become_active_at_their_first_login(kind) {
        let app = spawn_app(kind).await;
        let admin = app.admin().await;
        let id = app.create_user(&admin, "pat@example.com").await;
        let r = app.put(&format!("/console/api/account-ex/id?id={id}"), Some(&admin), json!({"status": "pending"})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let (token, _) = app.tokens("pat@example.com", "user1234").await;
        let me = app.get("/console/api/account-ex/profile", Some(&token)).await;
        assert_eq!(me.body["status"], "active");
        assert!(me.body["last_login_at"].is_i64());
    }

    async fn parallel_guesses_cannot_outrun_the_lockout(kind) {
        let app = spawn_app(kind).await;
        app.setup().await;
        let attempts = (0..20).map(|_| app.login(ADMIN_EMAIL, "wrong1234"));
        let replies = futures_util::future::join_all(attempts).await;
        let checked = replies.iter().filter(|r| r.status == StatusCode::BAD_REQUEST).count();
        let locked = replies.iter().filter(|r| r.status == StatusCode::TOO_MANY_REQUESTS).count();
        assert_eq!(checked + locked, 20);
        assert!(checked <= 6, "{checked} passwords were checked");
        assert_error(&app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await, 429, "email_code_login_limit");
    }

    async fn logout_cannot_end_another_accounts_session(kind) {
        let app = spawn_app(kind).await;
        let admin = app.admin().await;
        app.create_user(&admin, "eve@example.com").await;
        let (eve, _) = app.tokens("eve@example.com", "user1234").await;
        let (_, admin_refresh) = app.tokens(ADMIN_EMAIL, ADMIN_PASSWORD).await;
        assert_eq!(app.post("/console/api/logout", Some(&eve), json!({"refresh_token": admin_refresh})).await.status, StatusCode::OK);
        let r = app.post("/console/api/refresh-token", None, json!({"refresh_token": admin_refresh})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }

    async fn unknown_paths_answer_json(kind) {
        let app = spawn_app(kind).await;
        assert_error(&app.get("/console/api/nope", None).await, 404, "not_found");
        assert_error(&app.request(Method::DELETE, "/console/api/login", None, None, &[]).await, 404, "not_found");
    }
}
