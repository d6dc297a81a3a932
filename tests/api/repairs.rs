//! Group workspace defaults and the two repair endpoints.

use awc::http::StatusCode;
use diesel::connection::SimpleConnection;
use serde_json::{json, Value};

use crate::helpers::*;
use crate::http_test;

fn sql(url: &str, statements: &str) {
    let db = db::Database::connect(url, &db::DbOptions { pool_size: 1, ..Default::default() }).unwrap();
    db.get().unwrap().batch_execute(statements).unwrap();
}

async fn current_group(app: &TestApp, token: &str) -> String {
    app.get("/console/api/enterprise-groups/current", Some(token)).await.body["id"].as_str().unwrap().to_owned()
}

http_test! {
    async fn workspace_defaults_are_validated_and_guarded(kind) {
        let app = spawn_app(kind).await;
        let admin = app.admin().await;
        let gid = current_group(&app, &admin).await;
        let path = format!("/console/api/enterprise-groups/{gid}/workspace-defaults");
        assert_eq!(app.get(&path, Some(&admin)).await.body, json!({}));
        let doc = json!({"model_providers": [{"provider": "openai", "config": {"base": "x"}}], "system_default_models": {"llm": {"provider": "openai", "model": "gpt-4o"}}});
        assert_eq!(app.put(&path, Some(&admin), doc.clone()).await.body, doc);
        assert_eq!(app.get(&path, Some(&admin)).await.body, doc);
        assert_param(&app.put(&path, Some(&admin), json!({"model_providers": "openai"})).await, "model_providers");
        assert_param(&app.put(&path, Some(&admin), json!({"colour": "red"})).await, "body");
        assert_param(&app.put(&path, Some(&admin), json!([1])).await, "body");
        let bob_id = app.create_user(&admin, "bob@example.com").await;
        let (bob, _) = app.tokens("bob@example.com", "user1234").await;
        assert_error(&app.get(&path, Some(&bob)).await, 403, "forbidden");
        app.put(&format!("/console/api/account-ex/id?id={bob_id}"), Some(&admin), json!({"group_role": "admin"})).await;
        assert_eq!(app.get(&path, Some(&bob)).await.status, StatusCode::OK, "group admins read the defaults");
        assert_error(&app.put(&path, Some(&bob), json!({})).await, 403, "forbidden");
        assert_eq!(app.get(&path, Some(&admin)).await.body, doc, "refused changes wrote nothing");
    }

    async fn repair_model_providers_is_idempotent_and_admin_only(kind) {
        let app = spawn_app(kind).await;
        let admin = app.admin().await;
        let gid = current_group(&app, &admin).await;
        app.put(&format!("/console/api/enterprise-groups/{gid}/workspace-defaults"), Some(&admin), json!({"model_providers": [{"provider": "openai"}]})).await;
        let path = "/console/api/enterprise-groups/workspaces/repair-model-providers";
        let first = app.post(path, Some(&admin), json!({})).await;
        assert_eq!(first.status, StatusCode::OK, "{}", first.body);
        assert_eq!((first.body["groups"].clone(), first.body["workspaces_updated"].clone()), (json!(1), json!(2)), "{}", first.body);
        assert_eq!(app.post(path, Some(&admin), json!({})).await.body["workspaces_updated"], 0);
        app.create_user(&admin, "bob@example.com").await;
        let (bob, _) = app.tokens("bob@example.com", "user1234").await;
        assert_error(&app.post(path, Some(&bob), json!({})).await, 403, "forbidden");
    }

    async fn repair_system_default_restores_the_invariants(kind) {
        let app = spawn_app(kind).await;
        let admin = app.admin().await;
        let gid = current_group(&app, &admin).await;
        app.post(&format!("/console/api/enterprise-groups/{gid}/tenants"), Some(&admin), json!({"name": "Team"})).await;
        let team = app.get(&format!("/console/api/enterprise-groups/{gid}/tenants"), Some(&admin)).await.body["data"][0]["id"].as_str().unwrap().to_owned();
        let bob_id = app.create_user(&admin, "bob@example.com").await;
        let admin_id = app.get("/console/api/account/profile", Some(&admin)).await.body["id"].as_str().unwrap().to_owned();
        app.put(&format!("/console/api/enterprise-groups/{gid}/workspace-defaults"), Some(&admin), json!({"system_default_models": {"llm": {"provider": "p", "model": "m"}}})).await;
        // break things: bob leaves the shadow workspace, Team loses its owner (bob stays as admin), bob has no current workspace
        sql(app.db.url(), &format!(
            "DELETE FROM tenant_members WHERE tenant_id = '{gid}' AND account_id = '{bob_id}';
             INSERT INTO tenant_members (tenant_id, account_id, role, permissions, is_current, created_at, updated_at)
                 VALUES ('{team}', '{bob_id}', 'admin', '[]', FALSE, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP);
             DELETE FROM tenant_members WHERE tenant_id = '{team}' AND account_id = '{admin_id}';"
        ));
        let path = "/console/api/enterprise-groups/workspaces/repair-system-default";
        let r = app.post(path, Some(&admin), json!({})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let count = |key: &str| r.body[key].as_i64().unwrap();
        assert_eq!((count("members_added"), count("owners_assigned"), count("current_workspaces_set")), (1, 1, 1), "{}", r.body);
        assert_eq!(count("workspaces_updated"), 3, "default models for the shadow, the admin's workspace and Team: {}", r.body);
        let (bob, _) = app.tokens("bob@example.com", "user1234").await;
        app.post("/console/api/workspaces/switch", Some(&bob), json!({"tenant_id": team})).await;
        let members = app.get("/console/api/workspaces/current/members", Some(&bob)).await;
        assert_eq!(members.body["accounts"][0]["role"], "owner");
        let names: Vec<Value> = app.get("/console/api/workspaces", Some(&bob)).await.body["workspaces"].as_array().unwrap().iter().map(|w| w["name"].clone()).collect();
        assert!(names.contains(&json!("Default Group")), "{names:?}");
        // nothing left to do
        let again = app.post(path, Some(&admin), json!({})).await.body;
        for key in ["shadow_tenants_created", "members_added", "owners_assigned", "workspaces_updated", "current_workspaces_set"] {
            assert_eq!(again[key], 0, "{key}: {again}");
        }
        assert_error(&app.post(path, Some(&bob), json!({})).await, 403, "forbidden");
    }
}
