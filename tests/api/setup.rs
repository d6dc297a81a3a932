use awc::http::{Method, StatusCode};
use serde_json::json;

use crate::helpers::*;
use crate::http_test;

http_test! {
    async fn setup_status_moves_from_not_started_to_finished(kind) {
        let app = spawn_app(kind).await;
        let r = app.get("/console/api/setup", None).await;
        assert_eq!(r.body, json!({"step": "not_started"}));
        assert_eq!(app.setup().await.body, json!({"result": "success"}));
        let r = app.get("/console/api/setup", None).await;
        assert_eq!(r.body["step"], "finished");
        let at = r.body["setup_at"].as_str().unwrap();
        assert_eq!(at.len(), 19, "{at}");
        assert_eq!(&at[10..11], "T");
    }

    async fn endpoints_answer_not_setup_before_setup(kind) {
        let app = spawn_app(kind).await;
        assert_error(&app.get("/console/api/account/profile", None).await, 401, "not_setup");
        assert_error(&app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await, 401, "not_setup");
        assert_error(&app.get("/console/api/account-ex/list", Some("x")).await, 401, "not_setup");
    }

    async fn second_setup_is_refused(kind) {
        let app = spawn_app(kind).await;
        assert_eq!(app.setup().await.status, StatusCode::CREATED);
        let r = app.post("/console/api/setup", None, json!({"email": "other@example.com", "name": "x", "password": "abc12345"})).await;
        assert_error(&r, 403, "already_setup");
    }

    async fn concurrent_setups_create_one_installation(kind) {
        let app = spawn_app(kind).await;
        let a = app.post("/console/api/setup", None, json!({"email": "a@example.com", "name": "A", "password": "abc12345"}));
        let b = app.post("/console/api/setup", None, json!({"email": "b@example.com", "name": "B", "password": "abc12345"}));
        let (a, b) = futures_util::future::join(a, b).await;
        let mut statuses = [a.status.as_u16(), b.status.as_u16()];
        statuses.sort();
        assert_eq!(statuses, [201, 403], "{} {}", a.body, b.body);
    }

    async fn setup_validates_every_field(kind) {
        let app = spawn_app(kind).await;
        let post = |body: serde_json::Value| app.post("/console/api/setup", None, body);
        assert_param(&post(json!({"name": "x", "password": "abc12345"})).await, "email");
        assert_param(&post(json!({"email": 42, "name": "x", "password": "abc12345"})).await, "email");
        assert_param(&post(json!({"email": "nope", "name": "x", "password": "abc12345"})).await, "email");
        assert_param(&post(json!({"email": "a@example.com", "name": "x".repeat(65), "password": "abc12345"})).await, "name");
        assert_param(&post(json!({"email": "a@example.com", "name": "x", "password": "short1"})).await, "password");
        assert_param(&post(json!({"email": "a@example.com", "name": "x", "password": "onlyletters"})).await, "password");
        let long = format!("a1{}", "x".repeat(80));
        assert_param(&post(json!({"email": "a@example.com", "name": "x", "password": long})).await, "password");
        let r = app.request(Method::POST, "/console/api/setup", None, Some(b"{not json"), &[]).await;
        assert_error(&r, 400, "bad_request");
        assert_eq!(r.body["message"], "Invalid JSON payload received or JSON payload is empty.");
        let big = vec![b' '; 70 * 1024];
        assert_error(&app.request(Method::POST, "/console/api/setup", None, Some(&big), &[]).await, 413, "request_entity_too_large");
        // nothing was half-written
        assert_eq!(app.get("/console/api/setup", None).await.body, json!({"step": "not_started"}));
    }

    async fn setup_creates_the_admin_group_and_workspace(kind) {
        let app = spawn_app(kind).await;
        let token = app.admin().await;
        let me = app.get("/console/api/account-ex/profile", Some(&token)).await;
        assert_eq!(me.body["account_role"], json!({"role_type": "super_admin"}));
        assert_eq!(me.body["status"], "active");
        let list = app.get("/console/api/account-ex/list", Some(&token)).await;
        assert_eq!(list.body["total"], 1);
        assert_eq!(list.body["data"][0]["group_role"], "super_admin");
    }

    async fn system_features_follow_configuration(kind) {
        let app = spawn_app_with(kind, &[("IS_PUBLIC_DEPLOYMENT", "true"), ("ALLOW_REGISTER", "true")]).await;
        let r = app.get("/console/api/system-features", None).await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.body["is_public_deployment"], true);
        assert_eq!(r.body["is_allow_register"], true);
        assert_eq!(r.body["is_allow_create_workspace"], false);
        assert_eq!(r.body["is_email_setup"], false);
        assert_eq!(r.body["license"], json!({"status": "none", "expired_at": ""}));
        assert_eq!(r.body.as_object().unwrap().len(), 15);
    }

    async fn health_and_readiness(kind) {
        let app = spawn_app(kind).await;
        assert_eq!(app.get("/healthz", None).await.status, StatusCode::OK);
        let r = app.get("/readyz", None).await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.body["status"], "ready");
    }

    async fn request_ids_are_echoed(kind) {
        let app = spawn_app(kind).await;
        let r = app.request(Method::GET, "/healthz", None, None, &[("X-Request-Id", "abc-123")]).await;
        assert_eq!(r.headers.get("x-request-id").unwrap(), "abc-123");
        let r = app.request(Method::GET, "/healthz", None, None, &[("X-Request-Id", "bad id with spaces")]).await;
        let generated = r.headers.get("x-request-id").unwrap().to_str().unwrap();
        assert_eq!(generated.len(), 32);
        let r = app.get("/console/api/setup", None).await;
        assert!(r.headers.contains_key("x-request-id"));
    }
}
