//! The Dify workspace endpoints: list, switch, current, members, role changes and removal.

use awc::http::{Method, StatusCode};
use diesel::connection::SimpleConnection;
use serde_json::json;

use crate::helpers::*;
use crate::http_test;

/// Adds an account to a workspace with plain SQL (invitations arrive with the invitation endpoints).
fn add_member(url: &str, tenant: &str, account: &str, role: &str) {
    let db = db::Database::connect(url, &db::DbOptions { pool_size: 1, ..Default::default() }).unwrap();
    db.get()
        .unwrap()
        .batch_execute(&format!(
            "INSERT INTO tenant_members (tenant_id, account_id, role, permissions, is_current, created_at, updated_at) \
             VALUES ('{tenant}', '{account}', '{role}', '[]', FALSE, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
        ))
        .unwrap();
}

fn member_error(r: &Reply, status: u16, code: &str) {
    assert_eq!(r.status.as_u16(), status, "{}", r.body);
    assert_eq!(r.body["code"], code, "{}", r.body);
    assert!(r.body.get("status").is_none(), "Dify's member errors carry no status: {}", r.body);
}

http_test! {
    async fn listing_switching_and_the_current_workspace(kind) {
        let app = spawn_app(kind).await;
        let admin = app.admin().await;
        let list = app.get("/console/api/workspaces", Some(&admin)).await;
        let workspaces = list.body["workspaces"].as_array().unwrap().clone();
        assert_eq!(workspaces.len(), 2, "{}", list.body);
        let current: Vec<_> = workspaces.iter().filter(|w| w["current"] == true).collect();
        assert_eq!(current.len(), 1);
        assert_eq!(current[0]["name"], "Admin's Workspace");
        assert_eq!(current[0]["plan"], "basic");
        let shadow = workspaces.iter().find(|w| w["name"] == "Default Group").unwrap()["id"].as_str().unwrap().to_owned();

        let r = app.post("/console/api/workspaces/switch", Some(&admin), json!({"tenant_id": shadow})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.body["result"], "success");
        assert_eq!(r.body["new_tenant"]["id"], shadow.as_str());
        assert_eq!(r.body["new_tenant"]["role"], "owner");
        let cur = app.get("/console/api/workspaces/current", Some(&admin)).await;
        assert_eq!(cur.body["id"], shadow.as_str());
        assert_eq!(cur.body["custom_config"], json!({}));
        assert_eq!(app.request(Method::POST, "/console/api/workspaces/current", Some(&admin), None, &[]).await.body["id"], shadow.as_str());
        assert_eq!(app.get("/console/api/enterprise-groups/current", Some(&admin)).await.body["id"], shadow.as_str());

        let unknown = uuid::Uuid::new_v4().to_string();
        for bad in [unknown.as_str(), "nope"] {
            assert_error(&app.post("/console/api/workspaces/switch", Some(&admin), json!({"tenant_id": bad})).await, 403, "account_not_link_tenant");
        }
        assert_param(&app.post("/console/api/workspaces/switch", Some(&admin), json!({})).await, "tenant_id");
    }

    async fn the_owner_manages_members_and_can_hand_over(kind) {
        let app = spawn_app(kind).await;
        let admin = app.admin().await;
        // a group workspace owned by the admin, with bob and carol in it
        let gid = app.get("/console/api/enterprise-groups/current", Some(&admin)).await.body["id"].as_str().unwrap().to_owned();
        app.post(&format!("/console/api/enterprise-groups/{gid}/tenants"), Some(&admin), json!({"name": "Team"})).await;
        let team = app.get(&format!("/console/api/enterprise-groups/{gid}/tenants"), Some(&admin)).await.body["data"][0]["id"].as_str().unwrap().to_owned();
        let bob_id = app.create_user(&admin, "bob@example.com").await;
        let carol_id = app.create_user(&admin, "carol@example.com").await;
        add_member(app.db.url(), &team, &bob_id, "normal");
        add_member(app.db.url(), &team, &carol_id, "editor");
        let (bob, _) = app.tokens("bob@example.com", "user1234").await;
        app.post("/console/api/workspaces/switch", Some(&admin), json!({"tenant_id": team})).await;
        app.post("/console/api/workspaces/switch", Some(&bob), json!({"tenant_id": team})).await;
        let admin_id = app.get("/console/api/account/profile", Some(&admin)).await.body["id"].as_str().unwrap().to_owned();

        let members = app.get("/console/api/workspaces/current/members", Some(&bob)).await;
        let accounts = members.body["accounts"].as_array().unwrap();
        assert_eq!(accounts.len(), 3);
        assert_eq!(accounts[0]["role"], "owner");
        assert_eq!(accounts[0]["id"], admin_id.as_str());
        assert!(accounts.iter().all(|a| a.get("last_active_at").is_some() && a["status"] == "active"));

        let role = |who: &str| format!("/console/api/workspaces/current/members/{who}/update-role");
        let member = |who: &str| format!("/console/api/workspaces/current/members/{who}");
        // only the owner manages; nobody operates on itself; roles are checked
        member_error(&app.put(&role(&carol_id), Some(&bob), json!({"role": "admin"})).await, 403, "forbidden");
        member_error(&app.request(Method::DELETE, &member(&carol_id), Some(&bob), None, &[]).await, 403, "forbidden");
        member_error(&app.put(&role(&admin_id), Some(&admin), json!({"role": "admin"})).await, 400, "cannot-operate-self");
        member_error(&app.request(Method::DELETE, &member(&admin_id), Some(&admin), None, &[]).await, 400, "cannot-operate-self");
        member_error(&app.put(&role(&bob_id), Some(&admin), json!({"role": "king"})).await, 400, "invalid-role");
        let stranger = uuid::Uuid::new_v4().to_string();
        member_error(&app.put(&role(&stranger), Some(&admin), json!({"role": "admin"})).await, 404, "member-not-found");
        member_error(&app.request(Method::DELETE, &member("not-a-uuid"), Some(&admin), None, &[]).await, 404, "member-not-found");

        assert_eq!(app.put(&role(&bob_id), Some(&admin), json!({"role": "admin"})).await.body, json!({"result": "success"}));
        // hand over: bob becomes owner, the admin steps down to admin
        assert_eq!(app.put(&role(&bob_id), Some(&admin), json!({"role": "owner"})).await.status, StatusCode::OK);
        let roles: Vec<(String, String)> = app.get("/console/api/workspaces/current/members", Some(&admin)).await.body["accounts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| (a["id"].as_str().unwrap().to_owned(), a["role"].as_str().unwrap().to_owned()))
            .collect();
        assert!(roles.contains(&(bob_id.clone(), "owner".into())) && roles.contains(&(admin_id.clone(), "admin".into())), "{roles:?}");
        assert_eq!(roles.iter().filter(|(_, r)| r == "owner").count(), 1);
        member_error(&app.request(Method::DELETE, &member(&carol_id), Some(&admin), None, &[]).await, 403, "forbidden");
        // the new owner removes the old one
        let r = app.request(Method::DELETE, &member(&admin_id), Some(&bob), None, &[]).await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
        let names: Vec<_> = app.get("/console/api/workspaces", Some(&admin)).await.body["workspaces"].as_array().unwrap().iter().map(|w| w["name"].as_str().unwrap().to_owned()).collect();
        assert!(!names.contains(&"Team".to_owned()), "{names:?}");
        // and the admin's current workspace fell back to another one
        assert_ne!(app.get("/console/api/workspaces/current", Some(&admin)).await.body["id"], team.as_str());
    }

    async fn nobody_is_removed_from_a_groups_own_workspace(kind) {
        let app = spawn_app(kind).await;
        let admin = app.admin().await;
        let bob_id = app.create_user(&admin, "bob@example.com").await;
        let gid = app.get("/console/api/enterprise-groups/current", Some(&admin)).await.body["id"].as_str().unwrap().to_owned();
        app.post("/console/api/workspaces/switch", Some(&admin), json!({"tenant_id": gid})).await;
        let r = app.request(Method::DELETE, &format!("/console/api/workspaces/current/members/{bob_id}"), Some(&admin), None, &[]).await;
        member_error(&r, 403, "forbidden");
        assert_eq!(app.get("/console/api/workspaces/current/members", Some(&admin)).await.body["accounts"].as_array().unwrap().len(), 2);
    }
}
