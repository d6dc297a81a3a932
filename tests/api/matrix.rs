//! Every cell of the account permission matrix of `docs/SECURITY.md`, from the outside.

use awc::http::StatusCode;
use diesel::connection::SimpleConnection;
use serde_json::json;

use crate::helpers::*;
use crate::http_test;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Action {
    ReadById,
    ReadByEmail,
    UpdateProfile,
    Ban,
    SetGroupRole,
    SetSystemRole,
    ResetPassword,
    Unlock,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Expect {
    Allowed,
    /// 403 forbidden
    Denied,
    /// reads answer `{}`, writes 404: the target's existence is not revealed
    Hidden,
    /// 401
    Unauthenticated,
}

struct Actor {
    name: &'static str,
    token: String,
}

struct World {
    app: TestApp,
    admin: String,
    actors: Vec<Actor>,
    next: std::cell::Cell<u32>,
    second_group: uuid::Uuid,
}

/// Creates a second group whose admin is `account_id`, makes its shadow tenant the account's current
/// workspace and removes the account from the first group.
fn move_to_second_group(url: &str, account_id: &str) -> uuid::Uuid {
    let db = db::Database::connect(url, &db::DbOptions { pool_size: 1, ..Default::default() }).unwrap();
    let mut conn = db.get().unwrap();
    let g2 = uuid::Uuid::new_v4();
    conn.batch_execute(&format!(
        "DELETE FROM tenant_members WHERE account_id = '{account_id}';
         DELETE FROM group_members WHERE account_id = '{account_id}';
         INSERT INTO enterprise_groups (id, name, status, workspace_defaults, created_at, updated_at)
             VALUES ('{g2}', 'Second Group', 'active', '{{}}', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP);
         INSERT INTO tenants (id, name, status, locked, group_id, plan, settings, created_at, updated_at)
             VALUES ('{g2}', 'Second Group', 'normal', FALSE, '{g2}', 'basic', '{{}}', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP);
         INSERT INTO group_members (group_id, account_id, role, created_at, updated_at)
             VALUES ('{g2}', '{account_id}', 'admin', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP);
         INSERT INTO tenant_members (tenant_id, account_id, role, permissions, is_current, created_at, updated_at)
             VALUES ('{g2}', '{account_id}', 'admin', '[]', TRUE, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP);"
    ))
    .unwrap();
    g2
}

/// Adds `account_id` to group `group` with `role` (without changing its current workspace).
fn join_group(url: &str, group: uuid::Uuid, account_id: &str, role: &str) {
    let db = db::Database::connect(url, &db::DbOptions { pool_size: 1, ..Default::default() }).unwrap();
    db.get()
        .unwrap()
        .batch_execute(&format!(
            "INSERT INTO group_members (group_id, account_id, role, created_at, updated_at)
             VALUES ('{group}', '{account_id}', '{role}', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP);"
        ))
        .unwrap();
}

impl World {
    async fn new(kind: Kind) -> Self {
        let app = spawn_app(kind).await;
        let admin = app.admin().await;
        let mut actors = vec![Actor { name: "super_admin", token: admin.clone() }];
        let mut second_group = uuid::Uuid::nil();
        for (name, email) in [
            ("system_admin", "sysadmin@example.com"),
            ("auditor", "auditor@example.com"),
            ("group_admin", "g1admin@example.com"),
            ("other_group_admin", "g2admin@example.com"),
            ("normal", "bob@example.com"),
            ("banned", "banned@example.com"),
        ] {
            let id = app.create_user(&admin, email).await;
            match name {
                "system_admin" | "auditor" => {
                    let r = app
                        .put(&format!("/console/api/account-ex/role?id={id}"), Some(&admin), json!({"role_type": name}))
                        .await;
                    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
                }
                "group_admin" => {
                    let r = app
                        .put(
                            &format!("/console/api/account-ex/id?id={id}"),
                            Some(&admin),
                            json!({"group_role": "admin"}),
                        )
                        .await;
                    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
                }
                "other_group_admin" => second_group = move_to_second_group(app.db.url(), &id),
                _ => {}
            }
            let (token, _) = app.tokens(email, "user1234").await;
            if name == "banned" {
                let r = app
                    .put(&format!("/console/api/account-ex/id?id={id}"), Some(&admin), json!({"status": "banned"}))
                    .await;
                assert_eq!(r.status, StatusCode::OK, "{}", r.body);
            }
            actors.push(Actor { name, token });
        }
        Self { app, admin, actors, next: std::cell::Cell::new(0), second_group }
    }

    /// A fresh normal member of the first group: (id, email).
    async fn target(&self) -> (String, String) {
        let n = self.next.get();
        self.next.set(n + 1);
        let email = format!("target{n}@example.com");
        (self.app.create_user(&self.admin, &email).await, email)
    }

    async fn perform(&self, token: &str, action: Action, id: &str, email: &str) -> Reply {
        let app = &self.app;
        match action {
            Action::ReadById => app.get(&format!("/console/api/account-ex/id?id={id}"), Some(token)).await,
            Action::ReadByEmail => app.get(&format!("/console/api/account-ex/email?email={email}"), Some(token)).await,
            Action::UpdateProfile => {
                app.put(&format!("/console/api/account-ex/id?id={id}"), Some(token), json!({"name": "Renamed"})).await
            }
            Action::Ban => {
                app.put(&format!("/console/api/account-ex/id?id={id}"), Some(token), json!({"status": "banned"})).await
            }
            Action::SetGroupRole => {
                app.put(&format!("/console/api/account-ex/id?id={id}"), Some(token), json!({"group_role": "admin"}))
                    .await
            }
            Action::SetSystemRole => {
                app.put(
                    &format!("/console/api/account-ex/role?id={id}"),
                    Some(token),
                    json!({"role_type": "system_admin"}),
                )
                .await
            }
            Action::ResetPassword => {
                app.post(
                    &format!("/console/api/account-ex/reset-password?id={id}"),
                    Some(token),
                    json!({"new_password": "reset1234"}),
                )
                .await
            }
            Action::Unlock => {
                app.post(&format!("/console/api/account-ex/unlock?id={id}"), Some(token), json!({})).await
            }
        }
    }
}

#[track_caller]
fn check(actor: &str, action: Action, r: &Reply, expect: Expect, id: &str) {
    let ctx = format!("{actor} {action:?}: {} {}", r.status, r.body);
    let is_read = matches!(action, Action::ReadById | Action::ReadByEmail);
    match expect {
        Expect::Allowed if matches!(action, Action::ResetPassword | Action::Unlock) => {
            assert_eq!((r.status, r.body.clone()), (StatusCode::OK, json!({"result": "success"})), "{ctx}");
        }
        Expect::Allowed => {
            assert_eq!(r.status, StatusCode::OK, "{ctx}");
            assert_eq!(r.body["id"], id, "{ctx}");
        }
        Expect::Denied => assert_error(r, 403, "forbidden"),
        Expect::Hidden if is_read => assert_eq!((r.status, r.body.clone()), (StatusCode::OK, json!({})), "{ctx}"),
        Expect::Hidden => assert_error(r, 404, "not_found"),
        Expect::Unauthenticated => assert_error(r, 401, "unauthorized"),
    }
}

use Action::*;
use Expect::*;

const ACTIONS: [Action; 8] =
    [ReadById, ReadByEmail, UpdateProfile, Ban, SetGroupRole, SetSystemRole, ResetPassword, Unlock];

/// Expected outcome of `actor` doing `action` to a normal member of the first group.
fn expected(actor: &str) -> [Expect; 8] {
    match actor {
        "super_admin" | "system_admin" => [Allowed; 8],
        "auditor" => [Allowed, Allowed, Denied, Denied, Denied, Denied, Denied, Denied],
        "group_admin" => [Allowed, Allowed, Allowed, Allowed, Denied, Denied, Allowed, Allowed],
        "other_group_admin" | "normal" => [Hidden; 8],
        "banned" => [Unauthenticated; 8],
        other => panic!("{other}"),
    }
}

http_test! {
    async fn every_actor_on_a_group_member(kind) {
        let w = World::new(kind).await;
        for actor in &w.actors {
            for (action, expect) in ACTIONS.iter().zip(expected(actor.name)) {
                let (id, email) = w.target().await;
                let r = w.perform(&actor.token, *action, &id, &email).await;
                check(actor.name, *action, &r, expect, &id);
            }
        }
    }

    async fn actors_on_themselves(kind) {
        let w = World::new(kind).await;
        let me = |token: &str| {
            let app = &w.app;
            let token = token.to_owned();
            async move {
                let r = app.get("/console/api/account-ex/profile", Some(&token)).await;
                (r.body["id"].as_str().unwrap_or_default().to_owned(), r.body["email"].as_str().unwrap_or_default().to_owned())
            }
        };
        for actor in w.actors.iter().filter(|a| a.name != "banned") {
            let (id, email) = me(&actor.token).await;
            let expect = [Allowed, Allowed, Allowed, Denied, Denied, Denied, Denied, Denied];
            for (action, expect) in ACTIONS.iter().zip(expect) {
                let r = w.perform(&actor.token, *action, &id, &email).await;
                check(actor.name, *action, &r, expect, &id);
            }
        }
    }

    async fn privileged_targets_are_protected(kind) {
        let w = World::new(kind).await;
        let id_of = |name: &str| w.actors.iter().find(|a| a.name == name).unwrap().token.clone();
        let super_id = w.app.get("/console/api/account-ex/profile", Some(&w.admin)).await.body["id"].as_str().unwrap().to_owned();
        let sys = id_of("system_admin");
        // a system admin cannot ban, rename, demote, reset or unlock the super admin
        for action in [UpdateProfile, Ban, SetSystemRole, ResetPassword, Unlock] {
            let r = w.perform(&sys, action, &super_id, "admin@example.com").await;
            assert_error(&r, 403, "forbidden");
        }
        // nobody reassigns the group owner's role, not even a platform admin
        let r = w.perform(&sys, SetGroupRole, &super_id, "admin@example.com").await;
        assert_error(&r, 403, "forbidden");
        // a group admin cannot touch a system admin
        let sys_id = w.app.get("/console/api/account-ex/profile", Some(&sys)).await.body["id"].as_str().unwrap().to_owned();
        let r = w.perform(&id_of("group_admin"), Ban, &sys_id, "sysadmin@example.com").await;
        assert_error(&r, 403, "forbidden");
        // a password is the whole account: a group admin cannot reset or unlock a member who also belongs to
        // a group it does not manage, though it may still edit the member's profile there
        let (shared, email) = w.target().await;
        join_group(w.app.db.url(), w.second_group, &shared, "normal");
        for action in [ResetPassword, Unlock] {
            assert_error(&w.perform(&id_of("group_admin"), action, &shared, &email).await, 403, "forbidden");
            check("system_admin", action, &w.perform(&sys, action, &shared, &email).await, Allowed, &shared);
        }
        check("group_admin", UpdateProfile, &w.perform(&id_of("group_admin"), UpdateProfile, &shared, &email).await, Allowed, &shared);
    }

    async fn listing_and_creating_accounts(kind) {
        let w = World::new(kind).await;
        for actor in &w.actors {
            let list = w.app.get("/console/api/account-ex/list", Some(&actor.token)).await;
            let email = format!("new-by-{}@example.com", actor.name.replace('_', "-"));
            let created = w.app.post("/console/api/account/register", Some(&actor.token), json!({"email": email, "name": "n", "password": "user1234"})).await;
            let (list_status, create_status) = match actor.name {
                "super_admin" | "system_admin" | "group_admin" | "other_group_admin" => (200, 200),
                "auditor" => (200, 403),
                "normal" => (403, 403),
                "banned" => (401, 401),
                other => panic!("{other}"),
            };
            assert_eq!(list.status.as_u16(), list_status, "{} list {}", actor.name, list.body);
            assert_eq!(created.status.as_u16(), create_status, "{} create {}", actor.name, created.body);
            if actor.name == "other_group_admin" {
                // it only sees its own group, which does not contain the first group's members
                let emails: Vec<_> = list.body["data"].as_array().unwrap().iter().map(|a| a["email"].as_str().unwrap().to_owned()).collect();
                assert!(!emails.iter().any(|e| e == "bob@example.com"), "{emails:?}");
                let again = w.app.get("/console/api/account-ex/list", Some(&actor.token)).await;
                assert!(again.body["data"].as_array().unwrap().iter().any(|a| a["email"] == email.as_str()));
            }
        }
    }

    async fn a_group_admin_cannot_reach_the_leader_of_another_group(kind) {
        let w = World::new(kind).await;
        let g2_admin = w.actors.iter().find(|a| a.name == "other_group_admin").unwrap().token.clone();
        let me = w.app.get("/console/api/account-ex/profile", Some(&w.admin)).await;
        let super_id = me.body["id"].as_str().unwrap().to_owned();
        // the first group's owner is a plain member of the second group
        join_group(w.app.db.url(), w.second_group, &super_id, "normal");
        let g1_admin_id = {
            let token = &w.actors.iter().find(|a| a.name == "group_admin").unwrap().token;
            w.app.get("/console/api/account-ex/profile", Some(token)).await.body["id"].as_str().unwrap().to_owned()
        };
        join_group(w.app.db.url(), w.second_group, &g1_admin_id, "normal");
        for target in [&super_id, &g1_admin_id] {
            for action in [UpdateProfile, Ban] {
                let r = w.perform(&g2_admin, action, target, "x@example.com").await;
                assert_error(&r, 403, "forbidden");
            }
        }
        // a plain member of both groups is within reach
        let (id, email) = w.target().await;
        join_group(w.app.db.url(), w.second_group, &id, "normal");
        check("other_group_admin", Ban, &w.perform(&g2_admin, Ban, &id, &email).await, Allowed, &id);
    }

    async fn a_ban_by_a_platform_admin_is_lifted_only_by_one(kind) {
        let w = World::new(kind).await;
        let token = |name: &str| w.actors.iter().find(|a| a.name == name).unwrap().token.clone();
        let (id, _) = w.target().await;
        let path = format!("/console/api/account-ex/id?id={id}");
        assert_eq!(w.app.put(&path, Some(&token("system_admin")), json!({"status": "banned"})).await.status, StatusCode::OK);
        let r = w.app.put(&path, Some(&token("group_admin")), json!({"status": "active"})).await;
        assert_error(&r, 403, "forbidden");
        assert_eq!(w.app.put(&path, Some(&w.admin), json!({"status": "active"})).await.status, StatusCode::OK);
        // a group admin may ban and unban on its own, but not close
        assert_eq!(w.app.put(&path, Some(&token("group_admin")), json!({"status": "banned"})).await.status, StatusCode::OK);
        assert_eq!(w.app.put(&path, Some(&token("group_admin")), json!({"status": "active"})).await.status, StatusCode::OK);
        assert_error(&w.app.put(&path, Some(&token("group_admin")), json!({"status": "closed"})).await, 403, "forbidden");
    }
}
