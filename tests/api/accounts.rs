use awc::http::StatusCode;
use serde_json::json;

use crate::helpers::*;
use crate::http_test;

http_test! {
    async fn admins_register_accounts_that_join_their_group(kind) {
        let app = spawn_app(kind).await;
        let admin = app.admin().await;
        let r = app.post("/console/api/account/register", Some(&admin), json!({"email": "Alice@Example.com", "name": "alice", "password": "user1234"})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.body["email"], "Alice@Example.com");
        assert_eq!(r.body["is_password_set"], true);
        assert_eq!(r.body["last_login_at"], serde_json::Value::Null);
        let dup = app.post("/console/api/account/register", Some(&admin), json!({"email": "alice@example.COM", "name": "a2", "password": "user1234"})).await;
        assert_eq!(dup.status, StatusCode::BAD_REQUEST);
        assert_eq!(dup.body, json!({"code": "user_register_failed", "message": "Email already exists."}));
        assert_param(&app.post("/console/api/account/register", Some(&admin), json!({"email": "b@example.com", "name": "b", "password": "weak"})).await, "password");
        let (token, _) = app.tokens("alice@example.com", "user1234").await;
        assert_eq!(app.get("/console/api/account/profile", Some(&token)).await.body["name"], "alice");
        let list = app.get("/console/api/account-ex/list", Some(&admin)).await;
        assert_eq!(list.body["total"], 2);
        assert_eq!(list.body["data"][0]["email"], "Alice@Example.com");
        assert_eq!(list.body["data"][0]["group_role"], "normal");
        assert_eq!(list.body["data"][0]["account_role"], serde_json::Value::Null);
    }

    async fn lookups_by_email_and_id(kind) {
        let app = spawn_app(kind).await;
        let admin = app.admin().await;
        let id = app.create_user(&admin, "bob@example.com").await;
        let r = app.get("/console/api/account-ex/email?email=BOB@example.com", Some(&admin)).await;
        assert_eq!(r.body["id"], id.as_str());
        assert_eq!(r.body["extension"], serde_json::Value::Null);
        assert_eq!(app.get("/console/api/account-ex/email?email=nobody@example.com", Some(&admin)).await.body, json!({}));
        assert_param(&app.get("/console/api/account-ex/email", Some(&admin)).await, "email");
        assert_param(&app.get("/console/api/account-ex/email?email=notanemail", Some(&admin)).await, "email");
        assert_eq!(app.get(&format!("/console/api/account-ex/id?id={id}"), Some(&admin)).await.body["email"], "bob@example.com");
        let unknown = uuid::Uuid::new_v4();
        assert_eq!(app.get(&format!("/console/api/account-ex/id?id={unknown}"), Some(&admin)).await.body, json!({}));
        assert_param(&app.get("/console/api/account-ex/id?id=xyz", Some(&admin)).await, "id");
        assert_param(&app.get("/console/api/account-ex/id", Some(&admin)).await, "id");
    }

    async fn profile_updates_and_their_validation(kind) {
        let app = spawn_app(kind).await;
        let admin = app.admin().await;
        let id = app.create_user(&admin, "carol@example.com").await;
        let path = format!("/console/api/account-ex/id?id={id}");
        let r = app.put(&path, Some(&admin), json!({"name": "Carol", "mobile": "13800138000", "gender": "f", "unknown_field": 1})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.body["name"], "Carol");
        assert_eq!(r.body["extension"], json!({"mobile": "13800138000", "wechat": null, "address": null, "gender": "f"}));
        let r = app.put(&path, Some(&admin), json!({"mobile": null, "gender": null})).await;
        assert_eq!(r.body["extension"], serde_json::Value::Null);
        assert_param(&app.put(&path, Some(&admin), json!({"mobile": "1".repeat(21)})).await, "mobile");
        assert_param(&app.put(&path, Some(&admin), json!({"status": "deleted"})).await, "status");
        assert_param(&app.put(&path, Some(&admin), json!({"name": "x".repeat(65)})).await, "name");
        assert_param(&app.put(&path, Some(&admin), json!({"name": 5})).await, "name");
        assert_param(&app.put(&path, Some(&admin), json!({"role_type": "super_admin"})).await, "role_type");
        assert_param(&app.put(&path, Some(&admin), json!({"group_role": "super_admin"})).await, "group_role");
        let unknown = uuid::Uuid::new_v4();
        assert_error(&app.put(&format!("/console/api/account-ex/id?id={unknown}"), Some(&admin), json!({"name": "x"})).await, 404, "not_found");
        // without id the caller updates itself
        let me = app.put("/console/api/account-ex/id", Some(&admin), json!({"wechat": "admin-wx"})).await;
        assert_eq!(me.body["extension"]["wechat"], "admin-wx");
    }

    async fn roles_are_set_and_shown(kind) {
        let app = spawn_app(kind).await;
        let admin = app.admin().await;
        let id = app.create_user(&admin, "dan@example.com").await;
        let r = app.put(&format!("/console/api/account-ex/role?id={id}"), Some(&admin), json!({"role_type": "system_admin"})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.body["account_role"], json!({"role_type": "system_admin"}));
        assert_eq!(r.body["status"], "active");
        assert_param(&app.put(&format!("/console/api/account-ex/role?id={id}"), Some(&admin), json!({"role_type": "super_admin"})).await, "role_type");
        assert_param(&app.put(&format!("/console/api/account-ex/role?id={id}"), Some(&admin), json!({})).await, "role_type");
        let r = app.put(&format!("/console/api/account-ex/id?id={id}"), Some(&admin), json!({"group_role": "admin"})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let list = app.get("/console/api/account-ex/list", Some(&admin)).await;
        let dan = list.body["data"].as_array().unwrap().iter().find(|a| a["id"] == id.as_str()).unwrap().clone();
        assert_eq!(dan["group_role"], "admin");
        assert_eq!(dan["account_role"], json!({"role_type": "system_admin"}));
    }

    async fn pagination_of_the_group_list(kind) {
        let app = spawn_app(kind).await;
        let admin = app.admin().await;
        for i in 0..11 {
            app.create_user(&admin, &format!("u{i}@example.com")).await;
        }
        let r = app.get("/console/api/account-ex/list?page=1&limit=5", Some(&admin)).await;
        assert_eq!((r.body["page"].clone(), r.body["limit"].clone(), r.body["total"].clone(), r.body["has_more"].clone()), (json!(1), json!(5), json!(12), json!(true)));
        assert_eq!(r.body["data"].as_array().unwrap().len(), 5);
        let last = app.get("/console/api/account-ex/list?page=3&limit=5", Some(&admin)).await;
        assert_eq!(last.body["has_more"], false);
        assert_eq!(last.body["data"].as_array().unwrap().len(), 2);
        let beyond = app.get("/console/api/account-ex/list?page=9&limit=5", Some(&admin)).await;
        assert_eq!(beyond.body["data"], json!([]));
        assert_eq!(app.get("/console/api/account-ex/list", Some(&admin)).await.body["limit"], 20);
        for bad in ["limit=0", "limit=101", "page=0", "page=abc", "limit=-1"] {
            let r = app.get(&format!("/console/api/account-ex/list?{bad}"), Some(&admin)).await;
            assert_param(&r, bad.split('=').next().unwrap());
        }
    }

    async fn avatars_are_signed_when_they_are_file_ids(kind) {
        let app = spawn_app(kind).await;
        let admin = app.admin().await;
        let r = app.put("/console/api/account-ex/id", Some(&admin), json!({"avatar": "a70eaaf8-90b5-4cfc-b848-06d6b3b5792f"})).await;
        let url = r.body["avatar_url"].as_str().unwrap();
        assert!(url.starts_with("http://files.test/files/a70eaaf8-90b5-4cfc-b848-06d6b3b5792f/file-preview?timestamp="), "{url}");
        assert!(url.contains("&nonce=") && url.contains("&sign="));
        let r = app.put("/console/api/account-ex/id", Some(&admin), json!({"avatar": "https://example.com/a.png"})).await;
        assert_eq!(r.body["avatar_url"], "https://example.com/a.png");
    }
}
