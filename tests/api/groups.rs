//! Enterprise groups over HTTP: the console flow, validation, and the permission matrix of the group endpoints.

use awc::http::StatusCode;
use serde_json::{json, Value};

use crate::helpers::*;
use crate::http_test;

async fn id_of(app: &TestApp, token: &str) -> String {
    app.get("/console/api/account-ex/profile", Some(token)).await.body["id"].as_str().unwrap().to_owned()
}

fn names(r: &Reply) -> Vec<String> {
    r.body["data"].as_array().unwrap_or(&Vec::new()).iter().map(|t| t["name"].as_str().unwrap().to_owned()).collect()
}

/// Creates a group as `token` and returns its id.
async fn create_group(app: &TestApp, token: &str, name: &str) -> String {
    let r = app.post("/console/api/enterprise-groups", Some(token), json!({"name": name, "short_name": ""})).await;
    assert_eq!((r.status, r.body.clone()), (StatusCode::CREATED, json!({"message": "success"})));
    let list = app.get("/console/api/enterprise-groups?limit=100", Some(token)).await;
    let group = list.body["data"].as_array().unwrap().iter().find(|g| g["name"] == name).unwrap().clone();
    group["id"].as_str().unwrap().to_owned()
}

http_test! {
    async fn a_group_with_workspaces_and_a_member(kind) {
        let app = spawn_app(kind).await;
        let admin = app.admin().await;
        let gid = create_group(&app, &admin, "Acme").await;
        let info = app.get(&format!("/console/api/enterprise-groups/info/{gid}"), Some(&admin)).await;
        assert_eq!(info.body["name"], "Acme");
        assert_eq!(info.body["short_name"], Value::Null);
        assert_eq!(info.body["status"], "active");
        for name in ["Sales", "Support"] {
            let r = app.post(&format!("/console/api/enterprise-groups/{gid}/tenants"), Some(&admin), json!({"name": name})).await;
            assert_eq!((r.status, r.body.clone()), (StatusCode::CREATED, json!({"message": "workspace created."})));
        }
        let tenants = app.get(&format!("/console/api/enterprise-groups/{gid}/tenants"), Some(&admin)).await;
        assert_eq!(names(&tenants), ["Support", "Sales"], "the shadow tenant is not listed");
        assert_eq!(tenants.body["total"], 2);
        assert_eq!(tenants.body["data"][0]["status"], "normal");

        // switching into the group makes it current; an account registered now joins it
        let r = app.get(&format!("/console/api/enterprise-groups/{gid}/check-manage-permission"), Some(&admin)).await;
        assert_eq!(r.body, json!({"has_permission": true}));
        let current = app.get("/console/api/enterprise-groups/current", Some(&admin)).await;
        assert_eq!((current.body["id"].as_str(), current.body["group_role"].as_str()), (Some(gid.as_str()), Some("super_admin")));
        let bob_id = app.create_user(&admin, "bob@example.com").await;
        let (bob, _) = app.tokens("bob@example.com", "user1234").await;

        let detail = app.get("/console/api/enterprise-groups/current-detail", Some(&bob)).await;
        assert_eq!(detail.body["enterprise_group"]["group_role"], "normal");
        assert_eq!(detail.body["shadow_tenant"]["id"], gid.as_str());
        assert_eq!(detail.body["shadow_tenant"]["status"], "normal");
        assert_eq!(names(&app.get("/console/api/enterprise-groups/joined-groups", Some(&bob)).await), ["Acme"]);
        assert_eq!(app.get(&format!("/console/api/enterprise-groups/{gid}/tenants"), Some(&bob)).await.body["total"], 0);
        assert_eq!(app.get(&format!("/console/api/enterprise-groups/{gid}/managed-tenants"), Some(&bob)).await.body["total"], 0);
        let r = app.get(&format!("/console/api/enterprise-groups/{gid}/check-manage-permission?switch_tenant=false"), Some(&bob)).await;
        assert_eq!(r.body, json!({"has_permission": false}));
        assert_eq!(app.get(&format!("/console/api/enterprise-groups/{gid}/check-app-permission"), Some(&bob)).await.body, json!({"has_permission": false}));

        // the admin sees where bob is and is not
        let base = format!("/console/api/enterprise-groups/{gid}");
        assert_eq!(names(&app.get(&format!("{base}/unjoined-tenants/{bob_id}"), Some(&admin)).await), ["Support", "Sales"]);
        assert_eq!(app.get(&format!("{base}/joined-tenants/{bob_id}"), Some(&admin)).await.body["total"], 0);
        assert_eq!(app.get(&format!("{base}/joined-tenants-roles/{bob_id}"), Some(&admin)).await.body, json!([]));
        let admin_id = id_of(&app, &admin).await;
        let roles = app.get(&format!("{base}/joined-tenants-roles/{admin_id}"), Some(&admin)).await;
        assert_eq!(roles.body.as_array().unwrap().len(), 2);
        assert_eq!(roles.body[0]["role"], "owner");
        assert_eq!(roles.body[0]["permissions"], json!([]));
        let members = app.get(&format!("{base}/members"), Some(&admin)).await;
        assert_eq!(members.body["total"], 2);
        assert_eq!(members.body["data"][0]["email"], "bob@example.com");
        assert_eq!(names(&app.get(&format!("{base}/managed-dataset-tenants"), Some(&admin)).await), ["Support", "Sales"]);
        assert_eq!(app.get(&format!("{base}/check-dataset-permission"), Some(&admin)).await.body, json!({"has_permission": true}));

        // rename, then archive: the group leaves the members' views
        let r = app.put("/console/api/enterprise-groups", Some(&admin), json!({"id": gid, "name": "Acme Corp", "short_name": "AC"})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert!(names(&r).contains(&"Acme Corp".to_owned()));
        assert_eq!(app.get(&format!("/console/api/enterprise-groups/info/{gid}"), Some(&bob)).await.body["short_name"], "AC");
        let r = app.request(awc::http::Method::DELETE, "/console/api/enterprise-groups", Some(&admin), Some(json!({"id": gid}).to_string().as_bytes()), &[]).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_error(&app.get(&format!("/console/api/enterprise-groups/info/{gid}"), Some(&bob)).await, 404, "not_found");
        assert_eq!(app.get("/console/api/enterprise-groups/joined-groups", Some(&bob)).await.body["total"], 0, "archived groups leave members' lists");
        assert_eq!(names(&app.get("/console/api/enterprise-groups?status=active", Some(&admin)).await), ["Default Group"]);
        assert_eq!(names(&app.get("/console/api/enterprise-groups?status=archived", Some(&admin)).await), ["Acme Corp"]);
        // the name is free again
        create_group(&app, &admin, "Acme Corp").await;
    }

    async fn group_input_is_validated(kind) {
        let app = spawn_app(kind).await;
        let admin = app.admin().await;
        assert_param(&app.post("/console/api/enterprise-groups", Some(&admin), json!({})).await, "name");
        assert_param(&app.post("/console/api/enterprise-groups", Some(&admin), json!({"name": "   "})).await, "name");
        assert_param(&app.post("/console/api/enterprise-groups", Some(&admin), json!({"name": "x".repeat(256)})).await, "name");
        assert_param(&app.post("/console/api/enterprise-groups", Some(&admin), json!({"name": "Default Group"})).await, "name");
        assert_param(&app.put("/console/api/enterprise-groups", Some(&admin), json!({"id": "nope", "name": "x"})).await, "id");
        assert_param(&app.get("/console/api/enterprise-groups?status=gone", Some(&admin)).await, "status");
        assert_error(&app.get("/console/api/enterprise-groups/info/not-a-uuid", Some(&admin)).await, 404, "not_found");
        let unknown = uuid::Uuid::new_v4();
        assert_error(&app.get(&format!("/console/api/enterprise-groups/info/{unknown}"), Some(&admin)).await, 404, "not_found");
        assert_error(&app.get(&format!("/console/api/enterprise-groups/{unknown}/tenants"), Some(&admin)).await, 404, "not_found");
        let gid = create_group(&app, &admin, "G").await;
        // managers may manage apps and datasets even before the group has a workspace
        assert_eq!(app.get(&format!("/console/api/enterprise-groups/{gid}/check-app-permission"), Some(&admin)).await.body, json!({"has_permission": true}));
        app.post(&format!("/console/api/enterprise-groups/{gid}/tenants"), Some(&admin), json!({"name": "W"})).await;
        assert_param(&app.post(&format!("/console/api/enterprise-groups/{gid}/tenants"), Some(&admin), json!({"name": "W"})).await, "name");
        assert_param(&app.post(&format!("/console/api/enterprise-groups/{gid}/tenants"), Some(&admin), json!({"name": ""})).await, "name");
        assert_param(&app.get(&format!("/console/api/enterprise-groups/{gid}/tenants?limit=500"), Some(&admin)).await, "limit");
        assert_eq!(app.get("/console/api/enterprise-groups/not-a-uuid/check-manage-permission", Some(&admin)).await.body, json!({"has_permission": false}));
    }
}

/// Who may call which group endpoint. Actors: platform super admin and system admin, the group's admin, the
/// owner of one of the group's workspaces (a normal group member), a normal member, the admin of another group,
/// a banned account, and no token.
mod matrix {
    use super::*;

    struct World {
        app: TestApp,
        gid: String,
        tokens: Vec<(&'static str, Option<String>)>,
        bob_id: String,
    }

    async fn world(kind: Kind) -> World {
        let app = spawn_app(kind).await;
        let admin = app.admin().await;
        let gid = create_group(&app, &admin, "Acme").await;
        let other = create_group(&app, &admin, "Other").await;
        let mut ids = std::collections::HashMap::new();
        // accounts registered while the admin's current group is Acme join Acme
        app.get(&format!("/console/api/enterprise-groups/{gid}/check-manage-permission"), Some(&admin)).await;
        for email in ["sys", "gadmin", "wsowner", "bob", "banned"] {
            ids.insert(email, app.create_user(&admin, &format!("{email}@example.com")).await);
        }
        app.get(&format!("/console/api/enterprise-groups/{other}/check-manage-permission"), Some(&admin)).await;
        ids.insert("otheradmin", app.create_user(&admin, "otheradmin@example.com").await);
        let put = |path: String, body: Value| {
            let app = &app;
            let admin = admin.clone();
            async move {
                let r = app.put(&path, Some(&admin), body).await;
                assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.body);
            }
        };
        put(format!("/console/api/account-ex/role?id={}", ids["sys"]), json!({"role_type": "system_admin"})).await;
        put(format!("/console/api/account-ex/id?id={}", ids["otheradmin"]), json!({"group_role": "admin"})).await;
        app.get(&format!("/console/api/enterprise-groups/{gid}/check-manage-permission"), Some(&admin)).await;
        put(format!("/console/api/account-ex/id?id={}", ids["gadmin"]), json!({"group_role": "admin"})).await;
        put(format!("/console/api/account-ex/id?id={}", ids["wsowner"]), json!({"group_role": "admin"})).await;
        let mut tokens = vec![("super_admin", Some(admin.clone()))];
        for (name, email) in [
            ("system_admin", "sys"),
            ("group_admin", "gadmin"),
            ("workspace_owner", "wsowner"),
            ("normal", "bob"),
            ("other_group_admin", "otheradmin"),
            ("banned", "banned"),
        ] {
            tokens.push((name, Some(app.tokens(&format!("{email}@example.com"), "user1234").await.0)));
        }
        // the workspace owner creates a workspace while a group admin, then goes back to normal
        let ws = tokens.iter().find(|t| t.0 == "workspace_owner").unwrap().1.clone().unwrap();
        let r = app
            .post(&format!("/console/api/enterprise-groups/{gid}/tenants"), Some(&ws), json!({"name": "Owned"}))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        put(format!("/console/api/account-ex/id?id={}", ids["wsowner"]), json!({"group_role": "normal"})).await;
        put(format!("/console/api/account-ex/id?id={}", ids["banned"]), json!({"status": "banned"})).await;
        tokens.push(("no_token", None));
        World { app, gid, tokens, bob_id: ids["bob"].clone() }
    }

    /// Expected status per actor, in the order of `world`'s tokens.
    fn expect(statuses: [u16; 8]) -> [u16; 8] {
        statuses
    }

    async fn run(
        w: &World,
        what: &str,
        method: awc::http::Method,
        path: String,
        body: Option<Value>,
        expected: [u16; 8],
    ) {
        for ((actor, token), status) in w.tokens.iter().zip(expected) {
            // "{actor}" in a body becomes the actor's name, so creations do not clash
            let bytes = body.as_ref().map(|b| b.to_string().replace("{actor}", actor).into_bytes());
            let r = w.app.request(method.clone(), &path, token.as_deref(), bytes.as_deref(), &[]).await;
            assert_eq!(r.status.as_u16(), status, "{what} as {actor}: {}", r.body);
        }
    }

    http_test! {
        async fn every_actor_on_every_group_endpoint(kind) {
            let w = world(kind).await;
            let g = format!("/console/api/enterprise-groups/{}", w.gid);
            let bob = &w.bob_id;
            use awc::http::Method as M;
            //                                           super sys  gadm wsown norm other banned none
            run(&w, "info", M::GET, format!("/console/api/enterprise-groups/info/{}", w.gid), None, expect([200, 200, 200, 200, 200, 404, 401, 401])).await;
            run(&w, "tenants", M::GET, format!("{g}/tenants"), None, expect([200, 200, 200, 200, 200, 404, 401, 401])).await;
            run(&w, "members", M::GET, format!("{g}/members"), None, expect([200, 200, 200, 403, 403, 404, 401, 401])).await;
            run(&w, "managed-tenants", M::GET, format!("{g}/managed-tenants"), None, expect([200, 200, 200, 200, 200, 404, 401, 401])).await;
            run(&w, "unjoined-tenants of bob", M::GET, format!("{g}/unjoined-tenants/{bob}"), None, expect([200, 200, 200, 403, 200, 404, 401, 401])).await;
            run(&w, "joined-tenants-roles of bob", M::GET, format!("{g}/joined-tenants-roles/{bob}"), None, expect([200, 200, 200, 403, 200, 404, 401, 401])).await;
            run(&w, "joined-groups of bob", M::GET, format!("/console/api/enterprise-groups/joined-groups/{bob}"), None, expect([200, 200, 403, 403, 200, 403, 401, 401])).await;
            run(&w, "check-manage-permission", M::GET, format!("{g}/check-manage-permission?switch_tenant=false"), None, expect([200, 200, 200, 200, 200, 200, 401, 401])).await;
            run(&w, "create tenant", M::POST, format!("{g}/tenants"), Some(json!({"name": "ws {actor}"})), expect([201, 201, 201, 403, 403, 404, 401, 401])).await;
            run(&w, "rename", M::PUT, "/console/api/enterprise-groups".into(), Some(json!({"id": w.gid, "name": "Acme"})), expect([200, 200, 403, 403, 403, 404, 401, 401])).await;
            run(&w, "create group", M::POST, "/console/api/enterprise-groups".into(), Some(json!({"name": "group {actor}"})), expect([201, 201, 403, 403, 403, 403, 401, 401])).await;
            run(&w, "GET workspace-defaults", M::GET, format!("{g}/workspace-defaults"), None, expect([200, 200, 200, 403, 403, 404, 401, 401])).await;
            run(&w, "PUT workspace-defaults", M::PUT, format!("{g}/workspace-defaults"), Some(json!({})), expect([200, 200, 403, 403, 403, 404, 401, 401])).await;
            run(&w, "group datasets", M::GET, format!("{g}/datasets"), None, expect([200, 200, 200, 200, 200, 404, 401, 401])).await;
            for repair in ["repair-model-providers", "repair-system-default"] {
                run(&w, repair, M::POST, format!("/console/api/enterprise-groups/workspaces/{repair}"), Some(json!({})), expect([200, 200, 403, 403, 403, 403, 401, 401])).await;
            }
            // workspace endpoints act on each caller's current workspace: the super admin owns the group's shadow
            // workspace (its current one), every other member is a normal member of its group's shadow workspace
            run(&w, "GET /workspaces", M::GET, "/console/api/workspaces".into(), None, expect([200, 200, 200, 200, 200, 200, 401, 401])).await;
            run(&w, "current members", M::GET, "/console/api/workspaces/current/members".into(), None, expect([200, 200, 200, 200, 200, 200, 401, 401])).await;
            run(&w, "invite", M::POST, "/console/api/workspaces/current/members/invite-email".into(), Some(json!({"emails": ["inv-{actor}@example.com"], "role": "normal"})), expect([201, 403, 403, 403, 403, 403, 401, 401])).await;
            run(&w, "create dataset", M::POST, "/console/api/datasets".into(), Some(json!({"name": "ds {actor}"})), expect([201, 403, 403, 403, 403, 403, 401, 401])).await;
            run(&w, "list datasets", M::GET, "/console/api/datasets".into(), None, expect([200, 200, 200, 200, 200, 200, 401, 401])).await;
            // the super admin's dataset (only_me, in the shadow workspace every Acme member belongs to)
            let owner_token = w.tokens[0].1.clone().unwrap();
            let ds = w.app.get("/console/api/datasets", Some(&owner_token)).await.body["data"][0]["id"].as_str().unwrap().to_owned();
            run(&w, "read a private dataset", M::GET, format!("/console/api/datasets/{ds}"), None, expect([200, 403, 403, 403, 403, 404, 401, 401])).await;
            run(&w, "change a private dataset", M::PATCH, format!("/console/api/datasets/{ds}"), Some(json!({"name": "x {actor}"})), expect([200, 403, 403, 403, 403, 404, 401, 401])).await;
            // archived by the super admin first: platform admins still see it (archiving again is a no-op), others do not
            run(&w, "archive", M::DELETE, "/console/api/enterprise-groups".into(), Some(json!({"id": w.gid})), expect([200, 200, 404, 404, 404, 404, 401, 401])).await;
        }

        async fn what_each_actor_manages(kind) {
            let w = world(kind).await;
            let g = format!("/console/api/enterprise-groups/{}", w.gid);
            for (actor, token) in &w.tokens {
                let Some(token) = token else { continue };
                if *actor == "banned" {
                    continue;
                }
                let managed = w.app.get(&format!("{g}/managed-tenants"), Some(token)).await;
                let check = w.app.get(&format!("{g}/check-manage-permission?switch_tenant=false"), Some(token)).await;
                let (count, has) = match *actor {
                    "super_admin" | "system_admin" | "group_admin" => (1, true),
                    "workspace_owner" => (1, true),
                    "normal" => (0, false),
                    "other_group_admin" => (-1, false),
                    other => panic!("{other}"),
                };
                if count >= 0 {
                    assert_eq!(managed.body["total"], count, "{actor}: {}", managed.body);
                }
                assert_eq!(check.body["has_permission"], has, "{actor}");
            }
        }
    }
}
