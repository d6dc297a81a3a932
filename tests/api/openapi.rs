//! The openapi/v1 dialect over HTTP: access-key authentication, the `{errcode, errmsg, data}` envelope, and the
//! read endpoints.

use awc::http::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::*;
use crate::http_test;

/// Issues a key through the console for the account of `token`; returns the bearer credential.
async fn key_for(app: &TestApp, token: &str, account_id: Option<&str>) -> (String, String) {
    let r = app.post("/console/api/access-keys", Some(token), json!({"account_id": account_id})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    (
        r.body["id"].as_str().unwrap().to_owned(),
        format!("{}.{}", r.body["access_key"].as_str().unwrap(), r.body["secret_key"].as_str().unwrap()),
    )
}

async fn call(app: &TestApp, method: Method, path: &str, bearer: Option<&str>, body: Option<Value>) -> Reply {
    let auth = bearer.map(|b| format!("Bearer {b}"));
    let headers: Vec<(&str, &str)> = auth.iter().map(|a| ("Authorization", a.as_str())).collect();
    let body = body.map(|b| b.to_string());
    app.request(method, path, None, body.as_deref().map(str::as_bytes), &headers).await
}

#[track_caller]
fn assert_envelope_error(r: &Reply, status: u16) {
    assert_eq!(r.status.as_u16(), status, "{}", r.body);
    assert_eq!(r.body["errcode"], status, "{}", r.body);
    assert!(r.body["errmsg"].as_str().is_some_and(|m| !m.is_empty()), "{}", r.body);
    assert_eq!(r.body["data"], Value::Null, "{}", r.body);
}

http_test! {
    async fn reads_accounts_with_an_admin_key(kind) {
        let app = spawn_app(kind).await;
        let admin = app.admin().await;
        let admin_id = app.get("/console/api/account/profile", Some(&admin)).await.body["id"].as_str().unwrap().to_owned();
        let (_, bearer) = key_for(&app, &admin, None).await;

        for path in [format!("/openapi/v1/accounts/{admin_id}/"), format!("/openapi/v1/accounts/{admin_id}")] {
            let r = call(&app, Method::GET, &path, Some(&bearer), None).await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.body);
            assert_eq!((r.body["errcode"].clone(), r.body["errmsg"].clone()), (json!(200), json!("success")));
            let data = &r.body["data"];
            assert_eq!(data["uid"], admin_id.as_str());
            assert_eq!((data["status"].clone(), data["role"].clone(), data["tier"].clone(), data["type"].clone()), (json!(1), json!(3), json!(3), json!(1)));
            assert_eq!((data["nickname"].clone(), data["email"].clone()), (json!("Admin"), json!(ADMIN_EMAIL)));
            assert!(r.headers.contains_key("x-request-id"));
        }
        assert_envelope_error(&call(&app, Method::GET, &format!("/openapi/v1/accounts/{}/", uuid::Uuid::new_v4()), Some(&bearer), None).await, 404);
        assert_envelope_error(&call(&app, Method::GET, "/openapi/v1/accounts/not-a-uid/", Some(&bearer), None).await, 404);

        // fetch by login name, phone or email; null when nothing matches
        let r = call(&app, Method::POST, "/openapi/v1/accounts/fetch/", Some(&bearer), Some(json!({"username": "ADMIN@example.com"}))).await;
        assert_eq!(r.body["data"]["uid"], admin_id.as_str(), "{}", r.body);
        let r = call(&app, Method::POST, "/openapi/v1/accounts/fetch", Some(&bearer), Some(json!({"username": "nobody"}))).await;
        assert_eq!((r.status, r.body.clone()), (StatusCode::OK, json!({"errcode": 200, "errmsg": "success", "data": null})));
        let r = call(&app, Method::POST, "/openapi/v1/accounts/fetch/", Some(&bearer), Some(json!({}))).await;
        assert_envelope_error(&r, 400);
        assert!(r.body["errmsg"].as_str().unwrap().contains("username"), "{}", r.body);
        assert_envelope_error(&call(&app, Method::POST, "/openapi/v1/accounts/fetch/", Some(&bearer), Some(json!({"username": 5}))).await, 400);

        // a key's use is audited with its request id, at most once a minute: the first use of a fresh key is
        let (_, fresh) = key_for(&app, &admin, None).await;
        let uses = |request_id: String| {
            use diesel::prelude::*;
            #[derive(QueryableByName)]
            struct N {
                #[diesel(sql_type = diesel::sql_types::BigInt)]
                n: i64,
            }
            let db = db::Database::connect(app.db.url(), &db::DbOptions { pool_size: 1, ..Default::default() }).unwrap();
            let sql = format!("SELECT COUNT(*) AS n FROM audit_events WHERE action = 'access_key.use' AND request_id = '{request_id}'");
            diesel::sql_query(sql).get_result::<N>(&mut *db.get().unwrap()).unwrap().n
        };
        let request_id = |r: &Reply| r.headers.get("x-request-id").unwrap().to_str().unwrap().to_owned();
        let first = call(&app, Method::GET, &format!("/openapi/v1/accounts/{admin_id}/"), Some(&fresh), None).await;
        let second = call(&app, Method::GET, &format!("/openapi/v1/accounts/{admin_id}/"), Some(&fresh), None).await;
        assert_eq!((uses(request_id(&first)), uses(request_id(&second))), (1, 0));
    }

    async fn refuses_every_kind_of_bad_credential(kind) {
        let app = spawn_app(kind).await;
        let admin = app.admin().await;
        let admin_id = app.get("/console/api/account/profile", Some(&admin)).await.body["id"].as_str().unwrap().to_owned();
        let path = format!("/openapi/v1/accounts/{admin_id}/");
        let (key_id, bearer) = key_for(&app, &admin, None).await;
        let (access_key, _) = bearer.split_once('.').unwrap();

        assert_envelope_error(&call(&app, Method::GET, &path, None, None).await, 401);
        assert_envelope_error(&call(&app, Method::GET, &path, Some(access_key), None).await, 401);
        let wrong = call(&app, Method::GET, &path, Some(&format!("{access_key}.wrongsecret")), None).await;
        let unknown = call(&app, Method::GET, &path, Some("AKNOPE.wrongsecret"), None).await;
        assert_envelope_error(&wrong, 401);
        assert_eq!(wrong.body, unknown.body, "a wrong secret answers like an unknown key");
        let basic = app.request(Method::GET, &path, None, None, &[("Authorization", &format!("Basic {bearer}"))]).await;
        assert_envelope_error(&basic, 401);

        // a disabled key, then a deleted one
        let body = json!({"status": "disabled"}).to_string();
        app.request(Method::PATCH, &format!("/console/api/access-keys/{key_id}"), Some(&admin), Some(body.as_bytes()), &[]).await;
        assert_envelope_error(&call(&app, Method::GET, &path, Some(&bearer), None).await, 401);
        app.request(Method::DELETE, &format!("/console/api/access-keys/{key_id}"), Some(&admin), None, &[]).await;
        assert_envelope_error(&call(&app, Method::GET, &path, Some(&bearer), None).await, 401);

        // a normal account's key authenticates but may not read accounts
        let bob_id = app.create_user(&admin, "bob@example.com").await;
        let bob = app.tokens("bob@example.com", "user1234").await.0;
        let (_, bob_key) = key_for(&app, &bob, None).await;
        assert_envelope_error(&call(&app, Method::GET, &path, Some(&bob_key), None).await, 403);
        // the key of a banned account stops at once
        let (_, admin_key) = key_for(&app, &admin, None).await;
        let issued_for_bob = key_for(&app, &admin, Some(&bob_id)).await.1;
        app.put(&format!("/console/api/account-ex/id?id={bob_id}"), Some(&admin), json!({"status": "banned"})).await;
        assert_envelope_error(&call(&app, Method::GET, &path, Some(&issued_for_bob), None).await, 401);
        assert_eq!(call(&app, Method::GET, &path, Some(&admin_key), None).await.status, StatusCode::OK);
        // so does the key of an account that is not active (here: provisioned as not activated)
        let r = call(&app, Method::POST, "/openapi/v1/accounts/", Some(&admin_key), Some(json!({"email": "pending@example.com", "status": 2, "role": 3}))).await;
        let pending = r.body["data"]["uid"].as_str().unwrap().to_owned();
        let (_, pending_key) = key_for(&app, &admin, Some(&pending)).await;
        assert_envelope_error(&call(&app, Method::GET, &path, Some(&pending_key), None).await, 401);
    }

    async fn lists_and_searches_with_offset_limit_and_count(kind) {
        let app = spawn_app(kind).await;
        let admin = app.admin().await;
        let (_, bearer) = key_for(&app, &admin, None).await;
        for email in ["alice.wong@example.com", "bob@example.com", "carol@acme.test", "dave_100%@example.com"] {
            app.create_user(&admin, email).await;
        }
        let list = |query: &'static str| {
            let (app, bearer) = (&app, bearer.clone());
            async move { call(app, Method::GET, &format!("/openapi/v1/accounts/{query}"), Some(&bearer), None).await }
        };
        let all = list("?count=1").await;
        assert_eq!(all.status, StatusCode::OK, "{}", all.body);
        assert_eq!(all.body["total"], 5);
        assert_eq!(all.body["data"].as_array().unwrap().len(), 5);
        assert!(list("").await.body.get("total").is_none(), "total only with count");
        assert_eq!(call(&app, Method::GET, "/openapi/v1/accounts", Some(&bearer), None).await.body["data"].as_array().unwrap().len(), 5);

        let emails = |r: &Reply| r.body["data"].as_array().unwrap().iter().map(|u| u["email"].as_str().unwrap().to_owned()).collect::<Vec<_>>();
        assert_eq!(emails(&list("?q=ACME").await), vec!["carol@acme.test"], "case-insensitive substring of the email");
        assert_eq!(emails(&list("?q=wong").await), vec!["alice.wong@example.com"]);
        assert_eq!(emails(&list("?q=100%25").await), vec!["dave_100%@example.com"], "% is literal");
        assert_eq!(emails(&list("?q=e_1").await), vec!["dave_100%@example.com"], "_ is literal");
        assert!(emails(&list("?q=nothing-like-it").await).is_empty());
        // pages of a common term come from walking the oldest accounts, rare terms from the index: same answers
        assert_eq!(emails(&list("?q=example&limit=1").await), vec!["admin@example.com"]);
        assert_eq!(emails(&list("?q=example&offset=1&limit=1").await), vec!["alice.wong@example.com"]);
        assert_eq!(emails(&list("?q=example&offset=1&limit=2").await), vec!["alice.wong@example.com", "bob@example.com"]);
        // one or two characters match the start of the login name, name, email or phone
        assert_eq!(emails(&list("?q=AL").await), vec!["alice.wong@example.com"]);
        assert_eq!(emails(&list("?q=a&limit=1").await), vec!["admin@example.com"]);
        assert!(emails(&list("?q=ob").await).is_empty(), "not a prefix of anything");
        assert!(emails(&list("?q=%25").await).is_empty(), "% is literal");
        assert!(emails(&list("?q=_").await).is_empty(), "_ is literal");

        let page = list("?offset=1&limit=2&count=true").await;
        assert_eq!((page.body["total"].clone(), page.body["data"].as_array().unwrap().len()), (json!(5), 2));
        assert_eq!(emails(&page), emails(&all)[1..3].to_vec(), "oldest first, stable");
        assert!(list("?offset=10").await.body["data"].as_array().unwrap().is_empty());
        for bad in ["?limit=0", "?limit=1001", "?offset=-1", "?offset=x", "?count=maybe"] {
            let r = list(bad).await;
            assert_envelope_error(&r, 400);
            let field = bad[1..].split('=').next().unwrap();
            assert!(r.body["errmsg"].as_str().unwrap().starts_with(field), "{bad}: {}", r.body);
        }
        assert_envelope_error(&call(&app, Method::GET, "/openapi/v1/accounts/", None, None).await, 401);
    }

    async fn creates_accounts_one_by_one_and_in_all_or_nothing_batches(kind) {
        let app = spawn_app(kind).await;
        let admin = app.admin().await;
        let (_, bearer) = key_for(&app, &admin, None).await;
        let post = |path: &'static str, body: Value| {
            let (app, bearer) = (&app, bearer.clone());
            async move { call(app, Method::POST, path, Some(&bearer), Some(body)).await }
        };
        let total = || {
            let (app, bearer) = (&app, bearer.clone());
            async move { call(app, Method::GET, "/openapi/v1/accounts/?count=1", Some(&bearer), None).await.body["total"].as_i64().unwrap() }
        };

        let uid = uuid::Uuid::new_v4().to_string();
        let full = json!({"uid": uid, "username": "zhang.san", "phone": "13800138000", "email": "Zhang@Example.com", "nickname": "Zhang San", "desc": "analyst", "password": "partner123", "role": 2, "tier": 1, "type": 0});
        let r = post("/openapi/v1/accounts/", full).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.body["data"], json!({"uid": uid, "status": 1, "username": "zhang.san", "phone": "13800138000", "email": "Zhang@Example.com", "nickname": "Zhang San", "desc": "analyst", "role": 2, "tier": 1, "type": 0}));
        assert!(r.body["data"].get("password").is_none());
        // the password works in the console: the account joined the key owner's group
        app.tokens("zhang@example.com", "partner123").await;

        let r = post("/openapi/v1/accounts", json!({"email": "minimal@example.com"})).await;
        let data = &r.body["data"];
        assert!(data["username"].as_str().unwrap().starts_with('u') && data["username"].as_str().unwrap().len() == 13, "{data}");
        assert_eq!((data["status"].clone(), data["role"].clone(), data["tier"].clone(), data["type"].clone()), (json!(1), json!(1), json!(3), json!(1)));
        assert_eq!(data["nickname"], data["username"]);
        assert!(uuid::Uuid::parse_str(data["uid"].as_str().unwrap()).is_ok());

        // identifiers are unique among live accounts: 409 naming the field
        for (body, field) in [
            (json!({"email": "ZHANG@example.com"}), "email"),
            (json!({"username": "zhang.san"}), "username"),
            (json!({"phone": "13800138000"}), "phone"),
            (json!({"uid": uid}), "uid"),
        ] {
            let r = post("/openapi/v1/accounts/", body).await;
            assert_envelope_error(&r, 409);
            assert!(r.body["errmsg"].as_str().unwrap().starts_with(field), "{}", r.body);
        }
        // every field rule, naming the field
        for (body, field) in [
            (json!({"uid": "not-a-uuid"}), "uid"),
            (json!({"username": "has space"}), "username"),
            (json!({"username": "13800138001"}), "username"),
            (json!({"username": "looks@like.mail"}), "username"),
            (json!({"username": "x".repeat(65)}), "username"),
            (json!({"phone": "12ab"}), "phone"),
            (json!({"email": "nope"}), "email"),
            (json!({"nickname": "n".repeat(65)}), "nickname"),
            (json!({"desc": "d".repeat(256)}), "desc"),
            (json!({"password": "short"}), "password"),
            (json!({"role": 4}), "role"),
            (json!({"tier": 0}), "tier"),
            (json!({"type": 2}), "type"),
            (json!({"status": 0}), "status"),
            (json!({"role": "admin"}), "role"),
        ] {
            let r = post("/openapi/v1/accounts/", body.clone()).await;
            assert_envelope_error(&r, 400);
            assert!(r.body["errmsg"].as_str().unwrap().contains(field), "{body}: {}", r.body);
        }
        let before = total().await;

        // a batch is all or nothing: item 57 is bad, nothing is written
        let mut items: Vec<Value> = (0..60).map(|i| json!({"email": format!("batch{i}@example.com"), "status": 2})).collect();
        items[57] = json!({"email": "broken"});
        let r = post("/openapi/v1/accounts/create-accounts/", json!({"accounts": items})).await;
        assert_envelope_error(&r, 400);
        assert!(r.body["errmsg"].as_str().unwrap().starts_with("accounts[57].email"), "{}", r.body);
        assert_eq!(total().await, before);
        // conflicts inside the batch and against live accounts name the index
        items[57] = json!({"email": "batch3@example.com"});
        let r = post("/openapi/v1/accounts/create-accounts/", json!({"accounts": items})).await;
        assert_envelope_error(&r, 409);
        assert!(r.body["errmsg"].as_str().unwrap().starts_with("accounts[57].email"), "{}", r.body);
        items[57] = json!({"phone": "13800138000"});
        let r = post("/openapi/v1/accounts/create-accounts/", json!({"accounts": items})).await;
        assert!(r.body["errmsg"].as_str().unwrap().starts_with("accounts[57].phone"), "{}", r.body);
        assert_eq!(total().await, before);
        items[57] = json!({"email": "batch57@example.com", "password": "batch1234"});
        let r = post("/openapi/v1/accounts/create-accounts", json!({"accounts": items})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let created = r.body["data"].as_array().unwrap();
        assert_eq!(created.len(), 60);
        assert_eq!((created[0]["status"].clone(), created[57]["status"].clone()), (json!(2), json!(1)));
        assert_eq!(total().await, before + 60);

        assert_envelope_error(&post("/openapi/v1/accounts/create-accounts/", json!({"accounts": []})).await, 400);
        let too_many: Vec<Value> = (0..1001).map(|_| json!({})).collect();
        assert_envelope_error(&post("/openapi/v1/accounts/create-accounts/", json!({"accounts": too_many})).await, 400);
        assert_envelope_error(&post("/openapi/v1/accounts/create-accounts/", json!({})).await, 400);
        // an oversized body is refused in the envelope too, and malformed JSON is a 400
        // batches of 1000 accounts fit; more than 2 MiB does not
        assert_envelope_error(&post("/openapi/v1/accounts/", json!({"desc": "x".repeat(2100 * 1024)})).await, 413);
        let auth = format!("Bearer {bearer}");
        let r = app.request(Method::POST, "/openapi/v1/accounts/", None, Some(b"{not json"), &[("Authorization", auth.as_str())]).await;
        assert_envelope_error(&r, 400);

        // only platform admins create; an auditor's key reads but does not write
        let auditor = app.create_user(&admin, "auditor@example.com").await;
        app.put(&format!("/console/api/account-ex/role?id={auditor}"), Some(&admin), json!({"role_type": "auditor"})).await;
        let (_, auditor_key) = key_for(&app, &admin, Some(&auditor)).await;
        assert_eq!(call(&app, Method::GET, "/openapi/v1/accounts/", Some(&auditor_key), None).await.status, StatusCode::OK);
        assert_envelope_error(&call(&app, Method::POST, "/openapi/v1/accounts/", Some(&auditor_key), Some(json!({}))).await, 403);
    }

    async fn deletes_softly_freeing_identifiers_and_stopping_sessions_and_keys(kind) {
        let app = spawn_app(kind).await;
        let admin = app.admin().await;
        let (_, bearer) = key_for(&app, &admin, None).await;
        let create = |email: &'static str| {
            let (app, bearer) = (&app, bearer.clone());
            async move {
                let r = call(app, Method::POST, "/openapi/v1/accounts/", Some(&bearer), Some(json!({"email": email, "phone": null, "password": "partner123"}))).await;
                assert_eq!(r.status, StatusCode::OK, "{}", r.body);
                r.body["data"]["uid"].as_str().unwrap().to_owned()
            }
        };
        let gone = create("gone@example.com").await;
        let (access, refresh) = app.tokens("gone@example.com", "partner123").await;
        let (_, gone_key) = key_for(&app, &admin, Some(&gone)).await;
        let members = || async { app.get("/console/api/account-ex/list?page=1&limit=50", Some(&admin)).await.body["total"].clone() };
        let before = members().await;

        let r = call(&app, Method::DELETE, &format!("/openapi/v1/accounts/{gone}/"), Some(&bearer), None).await;
        assert_eq!(r.body, json!({"errcode": 200, "errmsg": "success", "data": null}), "{}", r.body);
        // a deleted account leaves its group and workspaces
        assert_eq!(members().await, json!(before.as_i64().unwrap() - 1));
        assert_envelope_error(&call(&app, Method::GET, &format!("/openapi/v1/accounts/{gone}/"), Some(&bearer), None).await, 404);
        let r = call(&app, Method::POST, "/openapi/v1/accounts/fetch/", Some(&bearer), Some(json!({"username": "gone@example.com"}))).await;
        assert_eq!(r.body["data"], Value::Null);
        // sessions, tokens and keys stop at once; the address is free again
        assert_eq!(app.get("/console/api/account/profile", Some(&access)).await.status, StatusCode::UNAUTHORIZED);
        assert_eq!(app.post("/console/api/refresh-token", None, json!({"refresh_token": refresh})).await.status, StatusCode::UNAUTHORIZED);
        assert_envelope_error(&call(&app, Method::GET, "/openapi/v1/accounts/", Some(&gone_key), None).await, 401);
        assert_ne!(app.login("gone@example.com", "partner123").await.status, StatusCode::OK);
        let again = create("gone@example.com").await;
        assert_ne!(again, gone);
        assert_envelope_error(&call(&app, Method::DELETE, &format!("/openapi/v1/accounts/{gone}/"), Some(&bearer), None).await, 404);

        // a batch is all or nothing; unknown uids are listed
        let a = create("a@example.com").await;
        let b = create("b@example.com").await;
        let ghost = uuid::Uuid::new_v4().to_string();
        let r = call(&app, Method::DELETE, "/openapi/v1/accounts/delete-accounts/", Some(&bearer), Some(json!({"accountUids": [a, ghost, b]}))).await;
        assert_envelope_error(&r, 404);
        assert!(r.body["errmsg"].as_str().unwrap().contains(&ghost), "{}", r.body);
        assert_eq!(call(&app, Method::GET, &format!("/openapi/v1/accounts/{a}/"), Some(&bearer), None).await.status, StatusCode::OK);
        let r = call(&app, Method::DELETE, "/openapi/v1/accounts/delete-accounts", Some(&bearer), Some(json!({"accountUids": [a, b]}))).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_envelope_error(&call(&app, Method::GET, &format!("/openapi/v1/accounts/{b}/"), Some(&bearer), None).await, 404);
        assert_envelope_error(&call(&app, Method::DELETE, "/openapi/v1/accounts/delete-accounts/", Some(&bearer), Some(json!({"accountUids": []}))).await, 400);
        assert_envelope_error(&call(&app, Method::DELETE, "/openapi/v1/accounts/delete-accounts/", Some(&bearer), Some(json!({"accountUids": ["nope"]}))).await, 404);

        // the key's own account and the super admin are not deleted this way
        let admin_id = app.get("/console/api/account/profile", Some(&admin)).await.body["id"].as_str().unwrap().to_owned();
        assert_envelope_error(&call(&app, Method::DELETE, &format!("/openapi/v1/accounts/{admin_id}/"), Some(&bearer), None).await, 403);

        // a workspace is never orphaned: its owner cannot be deleted
        let owner = create("owner@example.com").await;
        let r = app.post("/console/api/workspaces/current/members/invite-email", Some(&admin), json!({"emails": ["owner@example.com"], "role": "normal"})).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let r = app.put(&format!("/console/api/workspaces/current/members/{owner}/update-role"), Some(&admin), json!({"role": "owner"})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let r = call(&app, Method::DELETE, &format!("/openapi/v1/accounts/{owner}/"), Some(&bearer), None).await;
        assert_envelope_error(&r, 409);
        assert_eq!(call(&app, Method::GET, &format!("/openapi/v1/accounts/{owner}/"), Some(&bearer), None).await.status, StatusCode::OK);
    }

    async fn updates_only_the_fields_sent(kind) {
        let app = spawn_app(kind).await;
        let admin = app.admin().await;
        let (_, bearer) = key_for(&app, &admin, None).await;
        let put = |uid: String, body: Value| {
            let (app, bearer) = (&app, bearer.clone());
            async move { call(app, Method::PUT, &format!("/openapi/v1/accounts/{uid}/"), Some(&bearer), Some(body)).await }
        };
        let r = call(&app, Method::POST, "/openapi/v1/accounts/", Some(&bearer), Some(json!({"username": "li.si", "phone": "13900139000", "email": "li@example.com", "nickname": "Li", "desc": "ops", "password": "partner123"}))).await;
        let uid = r.body["data"]["uid"].as_str().unwrap().to_owned();
        call(&app, Method::POST, "/openapi/v1/accounts/", Some(&bearer), Some(json!({"email": "taken@example.com"}))).await;

        let r = put(uid.clone(), json!({"nickname": "Li Si", "phone": "", "tier": 2})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let data = &r.body["data"];
        assert_eq!((data["nickname"].clone(), data["phone"].clone(), data["tier"].clone()), (json!("Li Si"), Value::Null, json!(2)));
        assert_eq!((data["username"].clone(), data["email"].clone(), data["desc"].clone(), data["type"].clone()), (json!("li.si"), json!("li@example.com"), json!("ops"), json!(1)), "untouched fields stay");
        let r = put(uid.clone(), json!({"desc": null, "role": 3})).await;
        assert_eq!((r.body["data"]["desc"].clone(), r.body["data"]["role"].clone()), (Value::Null, json!(3)));

        // a conflict names the field; bad values name the field; nothing changes
        let r = put(uid.clone(), json!({"email": "TAKEN@example.com", "nickname": "Never"})).await;
        assert_envelope_error(&r, 409);
        assert!(r.body["errmsg"].as_str().unwrap().starts_with("email"), "{}", r.body);
        for (body, field) in [(json!({"username": ""}), "username"), (json!({"status": 0}), "status"), (json!({"phone": "x"}), "phone"), (json!({"tier": "2"}), "tier")] {
            let r = put(uid.clone(), body).await;
            assert_envelope_error(&r, 400);
            assert!(r.body["errmsg"].as_str().unwrap().contains(field), "{}", r.body);
        }
        assert_eq!(call(&app, Method::GET, &format!("/openapi/v1/accounts/{uid}/"), Some(&bearer), None).await.body["data"]["nickname"], "Li Si");

        // a new password ends the sessions; so does a ban
        let (access, _) = app.tokens("li@example.com", "partner123").await;
        assert_eq!(put(uid.clone(), json!({"password": "changed123"})).await.status, StatusCode::OK);
        assert_eq!(app.get("/console/api/account/profile", Some(&access)).await.status, StatusCode::UNAUTHORIZED);
        let (access, _) = app.tokens("li@example.com", "changed123").await;
        let r = put(uid.clone(), json!({"status": 4})).await;
        assert_eq!(r.body["data"]["status"], 4);
        assert_eq!(app.get("/console/api/account/profile", Some(&access)).await.status, StatusCode::UNAUTHORIZED);

        // the super admin and the key's own role are out of reach; unknown accounts are 404
        let admin_id = app.get("/console/api/account/profile", Some(&admin)).await.body["id"].as_str().unwrap().to_owned();
        let (_, sys_key) = key_for(&app, &admin, Some(&uid)).await;
        put(uid.clone(), json!({"status": 1})).await;
        let r = call(&app, Method::PUT, &format!("/openapi/v1/accounts/{admin_id}/"), Some(&sys_key), Some(json!({"nickname": "Owned"}))).await;
        assert_envelope_error(&r, 403);
        assert_envelope_error(&put(admin_id.clone(), json!({"role": 1})).await, 403);
        let r = call(&app, Method::DELETE, &format!("/openapi/v1/accounts/{admin_id}/"), Some(&sys_key), None).await;
        assert_envelope_error(&r, 403);
        // changes made with a key are audited with the key and the request id
        let db = db::Database::connect(app.db.url(), &db::DbOptions { pool_size: 1, ..Default::default() }).unwrap();
        let audited: i64 = {
            use diesel::prelude::*;
            #[derive(QueryableByName)]
            struct N {
                #[diesel(sql_type = diesel::sql_types::BigInt)]
                n: i64,
            }
            let sql = format!(
                "SELECT COUNT(*) AS n FROM audit_events WHERE target_id = '{uid}' AND action IN ('account.create', 'account.update') \
                 AND actor_access_key_id IS NOT NULL AND request_id IS NOT NULL AND changes LIKE '%system_admin%'"
            );
            diesel::sql_query(sql).get_result::<N>(&mut *db.get().unwrap()).unwrap().n
        };
        assert!(audited >= 1, "the role change is in the audit trail");
        assert_envelope_error(&put(uuid::Uuid::new_v4().to_string(), json!({"nickname": "x"})).await, 404);
    }

    async fn lists_an_accounts_workspaces(kind) {
        let app = spawn_app(kind).await;
        let admin = app.admin().await;
        let (_, bearer) = key_for(&app, &admin, None).await;
        let admin_id = app.get("/console/api/account/profile", Some(&admin)).await.body["id"].as_str().unwrap().to_owned();
        let get = |path: String| {
            let (app, bearer) = (&app, bearer.clone());
            async move { call(app, Method::GET, &path, Some(&bearer), None).await }
        };
        let r = get(format!("/openapi/v1/accounts/{admin_id}/projects/?count=1")).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.body["total"], 1, "the group's shadow workspace is not listed: {}", r.body);
        let ws = &r.body["data"][0];
        assert_eq!((ws["name"].clone(), ws["locked"].clone(), ws["desc"].clone()), (json!("Admin's Workspace"), json!(false), Value::Null));
        assert!(ws["id"].is_i64(), "the sequential number: {ws}");
        assert_eq!(ws["owner"], json!({"uid": admin_id, "email": ADMIN_EMAIL, "nickname": "Admin", "desc": null, "status": 1}));
        assert_eq!(get(format!("/openapi/v1/accounts/{admin_id}/projects?role=1")).await.body["data"].as_array().unwrap().len(), 1);
        assert!(get(format!("/openapi/v1/accounts/{admin_id}/projects/?role=4")).await.body["data"].as_array().unwrap().is_empty());
        assert!(get(format!("/openapi/v1/accounts/{admin_id}/projects/?offset=1")).await.body["data"].as_array().unwrap().is_empty());
        assert_envelope_error(&get(format!("/openapi/v1/accounts/{admin_id}/projects/?role=9")).await, 400);
        assert_envelope_error(&get(format!("/openapi/v1/accounts/{admin_id}/projects/?limit=0")).await, 400);
        assert_envelope_error(&get(format!("/openapi/v1/accounts/{}/projects/", uuid::Uuid::new_v4())).await, 404);

        // a member sees the workspace with its owner, filtered by its own role
        let r = call(&app, Method::POST, "/openapi/v1/accounts/", Some(&bearer), Some(json!({"email": "member@example.com"}))).await;
        let member = r.body["data"]["uid"].as_str().unwrap().to_owned();
        assert!(get(format!("/openapi/v1/accounts/{member}/projects/")).await.body["data"].as_array().unwrap().is_empty());
        app.post("/console/api/workspaces/current/members/invite-email", Some(&admin), json!({"emails": ["member@example.com"], "role": "editor"})).await;
        let r = get(format!("/openapi/v1/accounts/{member}/projects/?role=3")).await;
        assert_eq!(r.body["data"][0]["owner"]["uid"], admin_id.as_str(), "{}", r.body);
    }

    async fn updates_batches_all_or_nothing(kind) {
        let app = spawn_app(kind).await;
        let admin = app.admin().await;
        let (_, bearer) = key_for(&app, &admin, None).await;
        let mut uids = Vec::new();
        for i in 0..3 {
            let r = call(&app, Method::POST, "/openapi/v1/accounts/", Some(&bearer), Some(json!({"email": format!("m{i}@example.com"), "nickname": "Old"}))).await;
            uids.push(r.body["data"]["uid"].as_str().unwrap().to_owned());
        }
        let put = |body: Value| {
            let (app, bearer) = (&app, bearer.clone());
            async move { call(app, Method::PUT, "/openapi/v1/accounts/update-accounts/", Some(&bearer), Some(body)).await }
        };
        let nickname = |uid: String| {
            let (app, bearer) = (&app, bearer.clone());
            async move { call(app, Method::GET, &format!("/openapi/v1/accounts/{uid}/"), Some(&bearer), None).await.body["data"]["nickname"].clone() }
        };
        // item 2 is bad: nothing changes
        let r = put(json!({"accounts": [{"uid": uids[0], "nickname": "New"}, {"uid": uids[1], "nickname": "New"}, {"uid": uids[2], "tier": 7}]})).await;
        assert_envelope_error(&r, 400);
        assert!(r.body["errmsg"].as_str().unwrap().starts_with("accounts[2].tier"), "{}", r.body);
        assert_eq!(nickname(uids[0].clone()).await, "Old");
        // two items taking one address, or naming one account twice
        let r = put(json!({"accounts": [{"uid": uids[0], "email": "same@example.com"}, {"uid": uids[1], "email": "SAME@example.com"}]})).await;
        assert_envelope_error(&r, 409);
        assert!(r.body["errmsg"].as_str().unwrap().starts_with("accounts[1].email"), "{}", r.body);
        let r = put(json!({"accounts": [{"uid": uids[0]}, {"uid": uids[0]}]})).await;
        assert!(r.body["errmsg"].as_str().unwrap().starts_with("accounts[1].uid"), "{}", r.body);
        // an address taken by an account outside the batch: the transaction rolls back
        let r = put(json!({"accounts": [{"uid": uids[0], "nickname": "New"}, {"uid": uids[1], "email": "m2@example.com"}]})).await;
        assert_envelope_error(&r, 409);
        assert_eq!(nickname(uids[0].clone()).await, "Old");
        assert_envelope_error(&put(json!({"accounts": [{"uid": uuid::Uuid::new_v4(), "nickname": "x"}]})).await, 404);
        assert_envelope_error(&put(json!({"accounts": [{"uid": "nope"}]})).await, 400);
        assert_envelope_error(&put(json!({"accounts": []})).await, 400);

        let r = put(json!({"accounts": [{"uid": uids[0], "nickname": "New", "phone": "13700137000"}, {"uid": uids[1], "nickname": "Newer", "type": 0}]})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!((r.body["data"][0]["phone"].clone(), r.body["data"][1]["type"].clone()), (json!("13700137000"), json!(0)));
        assert_eq!((nickname(uids[0].clone()).await, nickname(uids[1].clone()).await, nickname(uids[2].clone()).await), (json!("New"), json!("Newer"), json!("Old")));
    }

    async fn opposite_order_bulk_updates_queue_instead_of_deadlocking(kind) {
        let app = spawn_app(kind).await;
        let admin = app.admin().await;
        let (_, bearer) = key_for(&app, &admin, None).await;
        let items: Vec<Value> = (0..40).map(|i| json!({"email": format!("c{i}@example.com"), "nickname": "Old"})).collect();
        let r = call(&app, Method::POST, "/openapi/v1/accounts/create-accounts/", Some(&bearer), Some(json!({"accounts": items}))).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let uids: Vec<String> = r.body["data"].as_array().unwrap().iter().map(|a| a["uid"].as_str().unwrap().to_owned()).collect();
        let put = |order: Vec<&String>, nickname: String| {
            let (app, bearer) = (&app, bearer.clone());
            let accounts: Vec<Value> = order.into_iter().map(|uid| json!({"uid": uid, "nickname": nickname})).collect();
            async move { call(app, Method::PUT, "/openapi/v1/accounts/update-accounts/", Some(&bearer), Some(json!({"accounts": accounts}))).await }
        };
        for round in 0..6 {
            let forward = put(uids.iter().collect(), format!("A{round}"));
            let backward = put(uids.iter().rev().collect(), format!("B{round}"));
            let (a, b) = futures_util::future::join(forward, backward).await;
            // both batches land, one after the other: never a 500 (deadlock) nor a 409 (a lost race not retried)
            assert_eq!((a.status, b.status), (StatusCode::OK, StatusCode::OK), "{} / {}", a.body["errmsg"], b.body["errmsg"]);
            // and each applied whole: every account carries the nickname of the batch that committed last
            let r = call(&app, Method::GET, "/openapi/v1/accounts/?q=c&limit=100", Some(&bearer), None).await;
            let names: std::collections::BTreeSet<String> = r.body["data"].as_array().unwrap().iter()
                .filter(|a| uids.iter().any(|u| a["uid"] == u.as_str()))
                .map(|a| a["nickname"].as_str().unwrap().to_owned()).collect();
            assert_eq!(names.len(), 1, "{names:?}");
            assert!(names.contains(&format!("A{round}")) || names.contains(&format!("B{round}")), "{names:?}");
        }
    }

    async fn contended_updates_of_one_account_are_retried_and_none_is_lost(kind) {
        let app = spawn_app(kind).await;
        let admin = app.admin().await;
        let (_, bearer) = key_for(&app, &admin, None).await;
        let r = call(&app, Method::POST, "/openapi/v1/accounts/", Some(&bearer), Some(json!({"email": "busy@example.com"}))).await;
        let uid = r.body["data"]["uid"].as_str().unwrap().to_owned();
        let path = format!("/openapi/v1/accounts/{uid}/");
        // each writer changes its own field of the same account at the same moment
        let changes = [("nickname", json!("Busy")), ("desc", json!("contended")), ("tier", json!(2)), ("type", json!(0)), ("phone", json!("13900139000"))];
        let writers = changes.iter().map(|(field, value)| {
            let (app, bearer, path) = (&app, bearer.clone(), path.clone());
            async move { call(app, Method::PUT, &path, Some(&bearer), Some(json!({ *field: value }))).await }
        });
        let replies = futures_util::future::join_all(writers).await;
        let stored = call(&app, Method::GET, &path, Some(&bearer), None).await.body["data"].clone();
        for ((field, value), reply) in changes.iter().zip(&replies) {
            // a race is retried with fresh data; what was acknowledged is stored
            assert_eq!(reply.status, StatusCode::OK, "{field}: {}", reply.body);
            assert_eq!(&stored[*field], value, "{field} lost: {stored}");
        }
    }

    async fn a_key_cannot_take_over_its_own_account(kind) {
        let app = spawn_app(kind).await;
        let admin = app.admin().await;
        let admin_id = app.get("/console/api/account/profile", Some(&admin)).await.body["id"].as_str().unwrap().to_owned();
        let (_, bearer) = key_for(&app, &admin, None).await;
        let own = format!("/openapi/v1/accounts/{admin_id}/");
        // its own password, status and role are out of a key's reach; its profile is not
        for body in [json!({"password": "taken0ver1"}), json!({"status": 3}), json!({"role": 1})] {
            assert_envelope_error(&call(&app, Method::PUT, &own, Some(&bearer), Some(body)).await, 403);
        }
        assert_envelope_error(&call(&app, Method::DELETE, &own, Some(&bearer), None).await, 403);
        let r = call(&app, Method::PUT, &own, Some(&bearer), Some(json!({"desc": "the operator"}))).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        app.tokens(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    }

    async fn every_failure_has_the_dialects_envelope(kind) {
        let app = spawn_app(kind).await;
        let admin = app.admin().await;
        let (_, bearer) = key_for(&app, &admin, None).await;
        // unknown paths and methods under /openapi/v1
        for (method, path) in [
            (Method::GET, "/openapi/v1/accounts/create-accounts/"),
            (Method::PATCH, "/openapi/v1/accounts/"),
            (Method::GET, "/openapi/v1/accounts/a/b/c"),
            (Method::GET, "/openapi/v1/other"),
        ] {
            let r = call(&app, method.clone(), path, Some(&bearer), None).await;
            assert_envelope_error(&r, 404);
        }
        // one wording for a taken identifier, whichever endpoint
        call(&app, Method::POST, "/openapi/v1/accounts/", Some(&bearer), Some(json!({"email": "taken@example.com"}))).await;
        let r = call(&app, Method::POST, "/openapi/v1/accounts/", Some(&bearer), Some(json!({"email": "TAKEN@example.com"}))).await;
        assert_eq!((r.status.as_u16(), r.body["errmsg"].clone()), (409, json!("email: already in use.")), "{}", r.body);
        let r = call(&app, Method::POST, "/openapi/v1/accounts/create-accounts/", Some(&bearer), Some(json!({"accounts": [{"email": "new@example.com"}, {"email": "taken@example.com"}]}))).await;
        assert_eq!((r.status.as_u16(), r.body["errmsg"].clone()), (409, json!("accounts[1].email: already in use.")), "{}", r.body);
        // a body of the wrong shape is described without the server's type names
        let r = call(&app, Method::POST, "/openapi/v1/accounts/", Some(&bearer), Some(json!([1, 2]))).await;
        assert_envelope_error(&r, 400);
        assert!(!r.body["errmsg"].as_str().unwrap().contains("struct"), "{}", r.body);
    }
}
