//! Datasets: CRUD in the current workspace, the four permissions, and the group-wide listing.

use awc::http::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::*;
use crate::http_test;

/// Invites `email` into the admin's current workspace with `role`, activates it, returns (token, id).
async fn member(app: &TestApp, admin: &str, email: &str, role: &str) -> (String, String) {
    let r = app
        .post(
            "/console/api/workspaces/current/members/invite-email",
            Some(admin),
            json!({"emails": [email], "role": role}),
        )
        .await;
    let url = r.body["invitation_results"][0]["url"].as_str().unwrap().to_owned();
    let token = url.split("token=").nth(1).unwrap();
    let r = app.post("/console/api/activate", None, json!({"token": token, "name": email.split('@').next().unwrap(), "interface_language": "en-US", "timezone": "UTC"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let access = r.body["data"]["access_token"].as_str().unwrap().to_owned();
    let id = app.get("/console/api/account/profile", Some(&access)).await.body["id"].as_str().unwrap().to_owned();
    (access, id)
}

async fn create(app: &TestApp, token: &str, body: Value) -> Reply {
    app.post("/console/api/datasets", Some(token), body).await
}

fn names(r: &Reply) -> Vec<String> {
    let mut v: Vec<String> =
        r.body["data"].as_array().unwrap().iter().map(|d| d["name"].as_str().unwrap().to_owned()).collect();
    v.sort();
    v
}

http_test! {
    async fn create_read_update_delete(kind) {
        let app = spawn_app(kind).await;
        let admin = app.admin().await;
        let r = create(&app, &admin, json!({"name": "Handbook", "description": "useful", "indexing_technique": "economy"})).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let id = r.body["id"].as_str().unwrap().to_owned();
        assert_eq!((r.body["permission"].as_str(), r.body["provider"].as_str()), (Some("only_me"), Some("vendor")));
        assert_eq!(r.body["retrieval_model_dict"]["search_method"], "semantic_search");
        assert_eq!(r.body["document_count"], 0);
        let got = app.get(&format!("/console/api/datasets/{id}"), Some(&admin)).await;
        assert_eq!(got.body["description"], "useful");
        let list = app.get("/console/api/datasets?keyword=HAND", Some(&admin)).await;
        assert_eq!((list.body["total"].clone(), list.body["has_more"].clone()), (json!(1), json!(false)));
        assert_eq!(app.get("/console/api/datasets?keyword=zzz", Some(&admin)).await.body["total"], 0);
        let r = app.request(Method::PATCH, &format!("/console/api/datasets/{id}"), Some(&admin), Some(json!({"name": "Handbook 2", "description": null, "permission": "all_team_members"}).to_string().as_bytes()), &[]).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!((r.body["name"].as_str(), r.body["description"].clone(), r.body["permission"].as_str()), (Some("Handbook 2"), Value::Null, Some("all_team_members")));
        let r = app.request(Method::DELETE, &format!("/console/api/datasets/{id}"), Some(&admin), None, &[]).await;
        assert_eq!(r.status, StatusCode::NO_CONTENT);
        let gone = app.get(&format!("/console/api/datasets/{id}"), Some(&admin)).await;
        assert_error(&gone, 404, "not_found");
        assert_eq!(gone.body["message"], "Dataset not found.");
        assert_error(&app.get("/console/api/datasets/not-a-uuid", Some(&admin)).await, 404, "not_found");
    }

    async fn dataset_input_is_validated(kind) {
        let app = spawn_app(kind).await;
        let admin = app.admin().await;
        assert_param(&create(&app, &admin, json!({})).await, "name");
        assert_param(&create(&app, &admin, json!({"name": "x".repeat(41)})).await, "name");
        assert_param(&create(&app, &admin, json!({"name": "d", "description": "x".repeat(401)})).await, "description");
        assert_param(&create(&app, &admin, json!({"name": "d", "permission": "everyone"})).await, "permission");
        assert_param(&create(&app, &admin, json!({"name": "d", "indexing_technique": "magic"})).await, "indexing_technique");
        let stranger = uuid::Uuid::new_v4().to_string();
        assert_param(&create(&app, &admin, json!({"name": "d", "permission": "partial_members", "partial_member_list": [stranger]})).await, "partial_member_list");
        assert_param(&create(&app, &admin, json!({"name": "d", "partial_member_list": ["nope"]})).await, "partial_member_list");
        assert_eq!(app.get("/console/api/datasets", Some(&admin)).await.body["total"], 0, "nothing was written");
    }

    async fn who_sees_and_changes_which_dataset(kind) {
        let app = spawn_app(kind).await;
        let admin = app.admin().await;
        let (bob, bob_id) = member(&app, &admin, "bob@example.com", "normal").await;
        let (carol, _) = member(&app, &admin, "carol@example.com", "editor").await;
        // a normal member without create_knowledge creates nothing
        assert_error(&create(&app, &bob, json!({"name": "nope"})).await, 403, "forbidden");
        let private = create(&app, &carol, json!({"name": "Carol private"})).await.body["id"].as_str().unwrap().to_owned();
        let team = create(&app, &carol, json!({"name": "Carol team", "permission": "all_team_members"})).await.body["id"].as_str().unwrap().to_owned();
        let partial = create(&app, &carol, json!({"name": "Carol partial", "permission": "partial_members", "partial_member_list": [{"user_id": bob_id}]})).await;
        assert_eq!(partial.status, StatusCode::CREATED, "{}", partial.body);
        assert_eq!(partial.body["partial_member_list"], json!([bob_id]));
        let partial = partial.body["id"].as_str().unwrap().to_owned();

        assert_eq!(names(&app.get("/console/api/datasets", Some(&bob)).await), ["Carol partial", "Carol team"]);
        assert_eq!(names(&app.get("/console/api/datasets", Some(&carol)).await), ["Carol partial", "Carol private", "Carol team"]);
        assert_eq!(names(&app.get("/console/api/datasets", Some(&admin)).await).len(), 3, "the owner sees everything");
        assert_error(&app.get(&format!("/console/api/datasets/{private}"), Some(&bob)).await, 403, "forbidden");
        // bob may read the team dataset but not change it; the owner may
        let patch = |token: &str, id: &str, body: Value| {
            let (app, token, id) = (&app, token.to_owned(), id.to_owned());
            async move { app.request(Method::PATCH, &format!("/console/api/datasets/{id}"), Some(&token), Some(body.to_string().as_bytes()), &[]).await }
        };
        assert_error(&patch(&bob, &team, json!({"name": "mine"})).await, 403, "forbidden");
        assert_error(&app.request(Method::DELETE, &format!("/console/api/datasets/{team}"), Some(&bob), None, &[]).await, 403, "forbidden");
        assert_eq!(patch(&admin, &team, json!({"name": "Team"})).await.status, StatusCode::OK);
        // dropping bob from the partial list hides it from him
        assert_eq!(patch(&carol, &partial, json!({"partial_member_list": []})).await.status, StatusCode::OK);
        assert_eq!(names(&app.get("/console/api/datasets", Some(&bob)).await), ["Team"]);
        // the group listing: the group's super admin sees all, a member what its memberships allow
        let gid = app.get("/console/api/enterprise-groups/current", Some(&admin)).await.body["id"].as_str().unwrap().to_owned();
        let everything = app.get(&format!("/console/api/enterprise-groups/{gid}/datasets"), Some(&admin)).await;
        assert_eq!(everything.body["total"], 3, "{}", everything.body);
        assert_eq!(everything.body["data"][0]["tenant"]["name"], "Admin's Workspace");
        assert_eq!(everything.body["data"][0]["owner_account"]["name"], "carol");
        assert_eq!(names(&app.get(&format!("/console/api/enterprise-groups/{gid}/datasets"), Some(&bob)).await), ["Team"]);
        assert_eq!(names(&app.get(&format!("/console/api/enterprise-groups/{gid}/datasets?search=priv"), Some(&admin)).await), ["Carol private"]);
    }

    async fn all_group_datasets_reach_members_of_other_workspaces(kind) {
        let app = spawn_app(kind).await;
        let admin = app.admin().await;
        let gid = app.get("/console/api/enterprise-groups/current", Some(&admin)).await.body["id"].as_str().unwrap().to_owned();
        create(&app, &admin, json!({"name": "For everyone", "permission": "all_group"})).await;
        create(&app, &admin, json!({"name": "Team only", "permission": "all_team_members"})).await;
        // dave is in the group (via a different workspace) but not in the admin's workspace
        app.post(&format!("/console/api/enterprise-groups/{gid}/tenants"), Some(&admin), json!({"name": "Other"})).await;
        let other = app.get(&format!("/console/api/enterprise-groups/{gid}/tenants"), Some(&admin)).await.body["data"][0]["id"].as_str().unwrap().to_owned();
        let home = app.get("/console/api/workspaces/current", Some(&admin)).await.body["id"].as_str().unwrap().to_owned();
        app.post("/console/api/workspaces/switch", Some(&admin), json!({"tenant_id": other})).await;
        let (dave, _) = member(&app, &admin, "dave@example.com", "normal").await;
        let listed = app.get(&format!("/console/api/enterprise-groups/{gid}/datasets"), Some(&dave)).await;
        assert_eq!(names(&listed), ["For everyone"]);
        assert!(listed.body["data"][0].get("partial_member_list").is_none(), "the group listing does not show member lists");
        let id = listed.body["data"][0]["id"].as_str().unwrap().to_owned();
        assert_eq!(app.get(&format!("/console/api/datasets/{id}"), Some(&dave)).await.body["name"], "For everyone", "readable by group members outside the workspace");
        assert_error(&app.request(Method::PATCH, &format!("/console/api/datasets/{id}"), Some(&dave), Some(json!({"name": "x"}).to_string().as_bytes()), &[]).await, 403, "forbidden");
        app.post("/console/api/workspaces/switch", Some(&admin), json!({"tenant_id": home})).await;
        assert_eq!(names(&app.get(&format!("/console/api/enterprise-groups/{gid}/datasets"), Some(&admin)).await), ["For everyone", "Team only"]);
        let stranger_group = uuid::Uuid::new_v4();
        assert_error(&app.get(&format!("/console/api/enterprise-groups/{stranger_group}/datasets"), Some(&dave)).await, 404, "not_found");
    }
}
