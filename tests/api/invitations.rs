//! Inviting members by email and activating invited accounts.

use awc::http::StatusCode;
use serde_json::{json, Value};

use crate::helpers::*;
use crate::http_test;

fn token_of(url: &str) -> String {
    url.split("token=").nth(1).unwrap().to_owned()
}

async fn invite(app: &TestApp, token: &str, emails: &[&str], role: &str) -> Reply {
    app.post(
        "/console/api/workspaces/current/members/invite-email",
        Some(token),
        json!({"emails": emails, "role": role, "language": "en-US"}),
    )
    .await
}

fn names(r: &Reply, key: &str) -> Vec<String> {
    r.body[key].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap().to_owned()).collect()
}

http_test! {
    async fn group_workspaces_invitation_activation_and_switching(kind) {
        let app = spawn_app_with(kind, &[("CONSOLE_WEB_URL", "https://console.test/")]).await;
        let admin = app.admin().await;
        // the super admin creates a group with two workspaces
        app.post("/console/api/enterprise-groups", Some(&admin), json!({"name": "Acme"})).await;
        let groups = app.get("/console/api/enterprise-groups", Some(&admin)).await;
        let gid = groups.body["data"].as_array().unwrap().iter().find(|g| g["name"] == "Acme").unwrap()["id"].as_str().unwrap().to_owned();
        for name in ["Sales", "Support"] {
            assert_eq!(app.post(&format!("/console/api/enterprise-groups/{gid}/tenants"), Some(&admin), json!({"name": name})).await.status, StatusCode::CREATED);
        }
        let tenants = app.get(&format!("/console/api/enterprise-groups/{gid}/tenants"), Some(&admin)).await;
        let sales = tenants.body["data"].as_array().unwrap().iter().find(|t| t["name"] == "Sales").unwrap()["id"].as_str().unwrap().to_owned();
        app.post("/console/api/workspaces/switch", Some(&admin), json!({"tenant_id": sales})).await;

        // invites a member
        let r = invite(&app, &admin, &["Carol@Example.com"], "editor").await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        assert_eq!(r.body["result"], "success");
        let result = &r.body["invitation_results"][0];
        assert_eq!((result["status"].as_str(), result["email"].as_str()), (Some("success"), Some("Carol@Example.com")));
        let url = result["url"].as_str().unwrap();
        assert!(url.starts_with("https://console.test/activate?email=Carol%40Example.com&token="), "{url}");
        let token = token_of(url);
        let members = app.get("/console/api/workspaces/current/members", Some(&admin)).await;
        let carol = members.body["accounts"].as_array().unwrap().iter().find(|a| a["email"] == "Carol@Example.com").unwrap().clone();
        assert_eq!((carol["status"].as_str(), carol["role"].as_str()), (Some("pending"), Some("editor")));

        // the link is valid; the member activates and is signed in
        let check = app.get(&format!("/console/api/activate/check?email=carol%40example.com&token={token}"), None).await;
        assert_eq!(check.body, json!({"is_valid": true, "data": {"workspace_name": "Sales", "workspace_id": sales, "email": "Carol@Example.com"}}));
        let activate = json!({"token": token, "name": "Carol", "interface_language": "zh-Hans", "timezone": "Asia/Shanghai"});
        let r = app.post("/console/api/activate", None, activate.clone()).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let carol_token = r.body["data"]["access_token"].as_str().unwrap().to_owned();
        let me = app.get("/console/api/account-ex/profile", Some(&carol_token)).await;
        assert_eq!((me.body["name"].as_str(), me.body["status"].as_str(), me.body["timezone"].as_str()), (Some("Carol"), Some("active"), Some("Asia/Shanghai")));
        assert_eq!(app.get("/console/api/workspaces/current", Some(&carol_token)).await.body["id"], sales.as_str());
        let mut workspaces = names(&app.get("/console/api/workspaces", Some(&carol_token)).await, "workspaces");
        workspaces.sort();
        assert_eq!(workspaces, ["Acme", "Sales"], "the workspace and the group's shadow workspace");
        // the link works once
        assert_error(&app.post("/console/api/activate", None, activate).await, 403, "already_activate");
        assert_eq!(app.get(&format!("/console/api/activate/check?token={token}"), None).await.body, json!({"is_valid": false}));

        // the member switches to the group and sees what it manages there
        let r = app.get(&format!("/console/api/enterprise-groups/{gid}/check-manage-permission"), Some(&carol_token)).await;
        assert_eq!(r.body, json!({"has_permission": false}));
        let current = app.get("/console/api/enterprise-groups/current", Some(&carol_token)).await;
        assert_eq!((current.body["id"].as_str(), current.body["group_role"].as_str()), (Some(gid.as_str()), Some("normal")));
        assert_eq!(app.get(&format!("/console/api/enterprise-groups/{gid}/managed-tenants"), Some(&carol_token)).await.body["total"], 0);
        let mine = app.get(&format!("/console/api/enterprise-groups/{gid}/tenants"), Some(&carol_token)).await;
        assert_eq!(mine.body["data"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect::<Vec<_>>(), ["Sales"]);
        let roles = app.get(&format!("/console/api/enterprise-groups/{gid}/joined-tenants-roles/{}", me.body["id"].as_str().unwrap()), Some(&carol_token)).await;
        assert_eq!(roles.body[0]["role"], "editor");
        // and the group's datasets it may see
        app.post("/console/api/workspaces/switch", Some(&admin), json!({"tenant_id": sales})).await;
        for (name, permission) in [("Playbook", "all_group"), ("Secret", "only_me")] {
            let r = app.post("/console/api/datasets", Some(&admin), json!({"name": name, "permission": permission})).await;
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        }
        let datasets = app.get(&format!("/console/api/enterprise-groups/{gid}/datasets"), Some(&carol_token)).await;
        assert_eq!(datasets.body["data"].as_array().unwrap().iter().map(|d| d["name"].as_str().unwrap()).collect::<Vec<_>>(), ["Playbook"]);
        // the admin sees the new member in the group
        let members = app.get(&format!("/console/api/enterprise-groups/{gid}/members"), Some(&admin)).await;
        assert!(members.body["data"].as_array().unwrap().iter().any(|a| a["email"] == "Carol@Example.com"));
    }

    async fn existing_accounts_are_added_without_a_link(kind) {
        let app = spawn_app_with(kind, &[("CONSOLE_WEB_URL", "https://console.test")]).await;
        let admin = app.admin().await;
        app.create_user(&admin, "dave@example.com").await;
        let r = invite(&app, &admin, &["dave@example.com"], "admin").await;
        assert_eq!(r.body["invitation_results"][0]["url"], "https://console.test/signin");
        let members = app.get("/console/api/workspaces/current/members", Some(&admin)).await;
        let dave: Vec<&Value> = members.body["accounts"].as_array().unwrap().iter().filter(|a| a["email"] == "dave@example.com").collect();
        assert_eq!(dave.len(), 1);
        assert_eq!(dave[0]["role"], "admin");
        // inviting again changes nothing and creates no second membership
        invite(&app, &admin, &["dave@example.com"], "normal").await;
        let again = app.get("/console/api/workspaces/current/members", Some(&admin)).await;
        assert_eq!(again.body["accounts"].as_array().unwrap().iter().filter(|a| a["email"] == "dave@example.com").count(), 1);
    }

    async fn invitation_input_and_permissions(kind) {
        let app = spawn_app(kind).await;
        let admin = app.admin().await;
        for role in ["owner", "king"] {
            let r = invite(&app, &admin, &["x@example.com"], role).await;
            assert_eq!((r.status.as_u16(), r.body.clone()), (400, json!({"code": "invalid-role", "message": "Invalid role"})));
        }
        assert_param(&invite(&app, &admin, &["not-an-email"], "normal").await, "emails");
        assert_param(&invite(&app, &admin, &[], "normal").await, "emails");
        assert_param(&app.post("/console/api/workspaces/current/members/invite-email", Some(&admin), json!({"emails": "x@example.com", "role": "normal"})).await, "emails");
        app.create_user(&admin, "bob@example.com").await;
        let (bob, _) = app.tokens("bob@example.com", "user1234").await;
        let r = invite(&app, &bob, &["y@example.com"], "normal").await;
        assert_eq!((r.status.as_u16(), r.body["code"].as_str()), (403, Some("forbidden")));
        assert_error(&app.post("/console/api/workspaces/current/members/invite-email", None, json!({"emails": [], "role": "normal"})).await, 401, "unauthorized");
        // nothing was created for the refused requests
        assert_eq!(app.get("/console/api/account-ex/email?email=y@example.com", Some(&admin)).await.body, json!({}));
    }

    async fn activation_is_validated(kind) {
        let app = spawn_app(kind).await;
        let admin = app.admin().await;
        let r = invite(&app, &admin, &["eve@example.com"], "normal").await;
        let token = token_of(r.body["invitation_results"][0]["url"].as_str().unwrap());
        let body = |extra: Value| {
            let mut b = json!({"token": token, "name": "Eve", "interface_language": "en-US", "timezone": "UTC"});
            b.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
            b
        };
        assert_param(&app.post("/console/api/activate", None, body(json!({"name": ""}))).await, "name");
        assert_param(&app.post("/console/api/activate", None, body(json!({"timezone": "mars base"}))).await, "timezone");
        assert_param(&app.post("/console/api/activate", None, body(json!({"interface_language": "xx"}))).await, "interface_language");
        assert_error(&app.post("/console/api/activate", None, body(json!({"token": "nope"}))).await, 403, "already_activate");
        assert_error(&app.post("/console/api/activate", None, body(json!({"token": uuid::Uuid::new_v4()}))).await, 403, "already_activate");
        assert_error(&app.post("/console/api/activate", None, body(json!({"email": "other@example.com"}))).await, 403, "already_activate");
        assert_error(&app.post("/console/api/activate", None, body(json!({"workspace_id": uuid::Uuid::new_v4()}))).await, 403, "already_activate");
        assert_eq!(app.get(&format!("/console/api/activate/check?email=other@example.com&token={token}"), None).await.body, json!({"is_valid": false}));
        assert_param(&app.get("/console/api/activate/check", None).await, "token");
        // after all those refusals the link still works
        assert_eq!(app.post("/console/api/activate", None, body(json!({}))).await.status, StatusCode::OK);
    }

    async fn accounts_outside_the_group_are_not_pulled_in(kind) {
        let app = spawn_app(kind).await;
        let admin = app.admin().await;
        let eve_id = app.create_user(&admin, "eve@example.com").await; // in Default Group
        app.post("/console/api/enterprise-groups", Some(&admin), json!({"name": "Acme"})).await;
        let groups = app.get("/console/api/enterprise-groups", Some(&admin)).await;
        let acme = groups.body["data"].as_array().unwrap().iter().find(|g| g["name"] == "Acme").unwrap()["id"].as_str().unwrap().to_owned();
        app.post(&format!("/console/api/enterprise-groups/{acme}/tenants"), Some(&admin), json!({"name": "Sales"})).await;
        let sales = app.get(&format!("/console/api/enterprise-groups/{acme}/tenants"), Some(&admin)).await.body["data"][0]["id"].as_str().unwrap().to_owned();
        app.post("/console/api/workspaces/switch", Some(&admin), json!({"tenant_id": sales})).await;
        // gina: a new Acme member made admin of Sales, no platform role
        let r = invite(&app, &admin, &["gina@example.com"], "admin").await;
        let token = token_of(r.body["invitation_results"][0]["url"].as_str().unwrap());
        let r = app.post("/console/api/activate", None, json!({"token": token, "name": "Gina", "interface_language": "en-US", "timezone": "UTC"})).await;
        let gina = r.body["data"]["access_token"].as_str().unwrap().to_owned();
        // gina cannot pull eve (another group's member) into Acme
        let r = invite(&app, &gina, &["eve@example.com"], "normal").await;
        assert_eq!(r.status, StatusCode::CREATED);
        assert_eq!((r.body["invitation_results"][0]["status"].as_str(), r.body["invitation_results"][0].get("url")), (Some("failed"), None));
        let eve_groups = app.get(&format!("/console/api/enterprise-groups/joined-groups/{eve_id}"), Some(&admin)).await;
        assert_eq!(eve_groups.body["total"], 1, "{}", eve_groups.body);
        // a platform admin may
        let r = invite(&app, &admin, &["eve@example.com"], "normal").await;
        assert_eq!(r.body["invitation_results"][0]["status"], "success");
        assert_eq!(app.get(&format!("/console/api/enterprise-groups/joined-groups/{eve_id}"), Some(&admin)).await.body["total"], 2);
    }

    async fn inviting_into_a_groups_own_workspace_joins_the_group(kind) {
        let app = spawn_app(kind).await;
        let admin = app.admin().await;
        let gid = app.get("/console/api/enterprise-groups/current", Some(&admin)).await.body["id"].as_str().unwrap().to_owned();
        app.post("/console/api/workspaces/switch", Some(&admin), json!({"tenant_id": gid})).await;
        let r = invite(&app, &admin, &["newbie@example.com"], "normal").await;
        let token = token_of(r.body["invitation_results"][0]["url"].as_str().unwrap());
        let r = app.post("/console/api/activate", None, json!({"token": token, "name": "New", "interface_language": "en-US", "timezone": "UTC"})).await;
        let newbie = r.body["data"]["access_token"].as_str().unwrap().to_owned();
        let groups = app.get("/console/api/enterprise-groups/joined-groups", Some(&newbie)).await;
        assert_eq!(groups.body["data"][0]["id"], gid.as_str(), "{}", groups.body);
        assert_eq!(app.get("/console/api/workspaces", Some(&newbie)).await.body["workspaces"].as_array().unwrap().len(), 1);
    }

    async fn a_banned_invitee_cannot_activate(kind) {
        let app = spawn_app(kind).await;
        let admin = app.admin().await;
        let r = invite(&app, &admin, &["pat@example.com"], "normal").await;
        let token = token_of(r.body["invitation_results"][0]["url"].as_str().unwrap());
        let pat = app.get("/console/api/account-ex/email?email=pat@example.com", Some(&admin)).await.body["id"].as_str().unwrap().to_owned();
        assert_eq!(app.put(&format!("/console/api/account-ex/id?id={pat}"), Some(&admin), json!({"status": "banned"})).await.status, StatusCode::OK);
        let body = json!({"token": token, "name": "Pat", "interface_language": "en-US", "timezone": "UTC"});
        assert_error(&app.post("/console/api/activate", None, body).await, 403, "already_activate");
        let me = app.get(&format!("/console/api/account-ex/id?id={pat}"), Some(&admin)).await;
        assert_eq!(me.body["name"], "pat", "nothing of the activation was written");
    }
}
