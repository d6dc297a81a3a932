//! The iam dialect over HTTP. Requests are signed here as the dialect's documentation describes (base64
//! HMAC-SHA256 of `"x-date: <X-Date>"`, or with the request line), independently of the server.

use awc::http::{Method, StatusCode};
use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

use crate::helpers::*;
use crate::http_test;

/// An RFC 1123 date `offset_secs` from now.
fn http_date(offset_secs: i64) -> String {
    let t = time::OffsetDateTime::now_utc() + time::Duration::seconds(offset_secs);
    let format = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    t.format(&format).unwrap()
}

fn signature(secret: &str, message: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(message.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// How a test signs one request.
#[derive(Clone, Copy)]
enum Signing<'a> {
    /// `headers="x-date"`.
    Date,
    /// `headers="x-date request-line"`, signing this request line's path (the sent one when `None`).
    RequestLine(Option<&'a str>),
    /// `headers="x-date request-line digest"` with `Digest: SHA-256=<base64>` of the sent body.
    Digest,
}

/// The signing part of a request: the variant, the `X-Date` and the secret used.
#[derive(Clone)]
struct Sig<'a> {
    signing: Signing<'a>,
    date: String,
    secret: &'a str,
}

impl<'a> Sig<'a> {
    fn new(signing: Signing<'a>, offset_secs: i64, secret: &'a str) -> Self {
        Self { signing, date: http_date(offset_secs), secret }
    }
}

/// `SHA-256=<base64>` of a body.
fn digest_of(body: &[u8]) -> String {
    use sha2::Digest;
    format!("SHA-256={}", base64::engine::general_purpose::STANDARD.encode(Sha256::digest(body)))
}

/// The headers that sign a request (`Authorization`, `X-Date`, and `Digest` when it is signed).
fn signed_headers(key: &Key, method: &Method, path: &str, body: &[u8], sig: &Sig<'_>) -> Vec<(&'static str, String)> {
    let date = sig.date.as_str();
    let digest = digest_of(body);
    let (headers, message) = match sig.signing {
        Signing::Date => ("x-date", format!("x-date: {date}")),
        Signing::RequestLine(signed) => {
            ("x-date request-line", format!("x-date: {date}\n{method} {} HTTP/1.1", signed.unwrap_or(path)))
        }
        Signing::Digest => {
            ("x-date request-line digest", format!("x-date: {date}\n{method} {path} HTTP/1.1\ndigest: {digest}"))
        }
    };
    let auth = format!(
        r#"hmac accesskey="{}", algorithm="hmac-sha256", headers="{headers}", signature="{}""#,
        key.access_key,
        signature(sig.secret, &message)
    );
    let mut out = vec![("Authorization", auth), ("X-Date", date.to_owned())];
    if matches!(sig.signing, Signing::Digest) {
        out.push(("Digest", digest));
    }
    out
}

/// Sends `body` with headers given as owned pairs.
async fn send_with(
    app: &TestApp,
    method: Method,
    path: &str,
    body: Option<&[u8]>,
    headers: &[(&str, String)],
) -> Reply {
    let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
    app.request(method, path, None, body, &headers).await
}

async fn send(app: &TestApp, key: &Key, method: Method, path: &str, body: Option<Value>, sig: Sig<'_>) -> Reply {
    let body = body.map(|b| b.to_string());
    let headers = signed_headers(key, &method, path, body.as_deref().unwrap_or_default().as_bytes(), &sig);
    send_with(app, method, path, body.as_deref().map(str::as_bytes), &headers).await
}

pub(crate) async fn call(app: &TestApp, key: &Key, method: Method, path: &str, body: Option<Value>) -> Reply {
    send(app, key, method, path, body, Sig::new(Signing::Digest, 0, &key.secret)).await
}

#[track_caller]
fn assert_status(r: &Reply, http: u16, code: u16, reason: &str) {
    assert_eq!(r.status.as_u16(), http, "{}", r.body);
    assert_eq!(r.body["code"], code, "{}", r.body);
    assert_eq!(r.body["details"][0]["@type"], "type.googleapis.com/google.rpc.ErrorInfo", "{}", r.body);
    assert_eq!(
        (r.body["details"][0]["reason"].clone(), r.body["details"][0]["domain"].clone()),
        (json!(reason), json!("iam")),
        "{}",
        r.body
    );
    let request_id = r.headers.get("x-request-id").unwrap().to_str().unwrap();
    assert_eq!(r.body["request_id"], request_id, "{}", r.body);
}

/// Code 3 with a field violation on `field`.
#[track_caller]
pub(crate) fn assert_violation(r: &Reply, field: &str) {
    assert_status(r, 400, 3, "invalidArgument");
    assert_eq!(r.body["details"][1]["@type"], "type.googleapis.com/google.rpc.BadRequest", "{}", r.body);
    assert_eq!(r.body["details"][1]["field_violations"][0]["field"], field, "{}", r.body);
}

pub(crate) fn user(username: &str) -> Value {
    json!({"name": format!("User {username}"), "username": username, "password": "secret123", "confirm_password": "secret123",
           "email": format!("{username}@example.com"), "console_state": "enable", "open_api_state": "enable",
           "mfa_state": "disable", "set_password_first_login": "disable"})
}

async fn create(app: &TestApp, key: &Key, users: Vec<Value>) -> Reply {
    call(app, key, Method::POST, "/iam/idp/v1/users", Some(json!({"user": users}))).await
}

http_test! {
    async fn signatures_are_checked_as_documented(kind) {
        let app = spawn_app(kind).await;
        let admin = app.admin().await;
        let key = issue_key(&app, &admin).await;
        let list = "/iam/idp/v1/users?page_size=5";

        let r = send(&app, &key, Method::GET, list, None, Sig::new(Signing::Date, 0, &key.secret)).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.body["total_size"], 1);
        // writes must bind their request line and body, and each write signature works once
        let body = json!({"user": [user("once")]});
        let date_only = send(&app, &key, Method::POST, "/iam/idp/v1/users", Some(body.clone()), Sig::new(Signing::Date, 0, &key.secret)).await;
        assert_status(&date_only, 401, 16, "requestLineRequired");
        let line_only = send(&app, &key, Method::POST, "/iam/idp/v1/users", Some(body.clone()), Sig::new(Signing::RequestLine(None), 0, &key.secret)).await;
        assert_status(&line_only, 401, 16, "digestRequired");
        let sig = Sig::new(Signing::Digest, 0, &key.secret);
        let first = send(&app, &key, Method::POST, "/iam/idp/v1/users", Some(body.clone()), sig.clone()).await;
        assert_eq!(first.status, StatusCode::OK, "{}", first.body);
        assert_status(&send(&app, &key, Method::POST, "/iam/idp/v1/users", Some(body), sig).await, 401, 16, "replayedSignature");

        // a captured PATCH replayed with another body: the digest no longer matches, a new digest breaks the
        // signature, and the original body again is a replay
        let target = first.body["user"][0]["id"].as_str().unwrap().to_owned();
        let path = format!("/iam/idp/v1/users/{target}?update_mask=password,confirm_password");
        let honest = json!({"password": "honest123", "confirm_password": "honest123"}).to_string();
        let captured = signed_headers(&key, &Method::PATCH, &path, honest.as_bytes(), &Sig::new(Signing::Digest, 0, &key.secret));
        let evil = json!({"password": "attacker1", "confirm_password": "attacker1"}).to_string();
        for tampered in [evil.clone(), format!("{honest} ")] {
            let r = send_with(&app, Method::PATCH, &path, Some(tampered.as_bytes()), &captured).await;
            assert_status(&r, 401, 16, "digestMismatch");
        }
        let mut redigested = captured.clone();
        redigested.retain(|(name, _)| *name != "Digest");
        redigested.push(("Digest", digest_of(evil.as_bytes())));
        assert_status(&send_with(&app, Method::PATCH, &path, Some(evil.as_bytes()), &redigested).await, 401, 16, "invalidSignature");
        let mut undigested = captured.clone();
        undigested.retain(|(name, _)| *name != "Digest");
        assert_status(&send_with(&app, Method::PATCH, &path, Some(honest.as_bytes()), &undigested).await, 401, 16, "missingDigest");
        let r = send_with(&app, Method::PATCH, &path, Some(honest.as_bytes()), &captured).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_status(&send_with(&app, Method::PATCH, &path, Some(honest.as_bytes()), &captured).await, 401, 16, "replayedSignature");
        assert_error(&app.login("once@example.com", "attacker1").await, 400, "email_or_password_mismatch");
        let r = app.login("once@example.com", "honest123").await;
        assert_eq!((r.status, r.body["result"].clone()), (StatusCode::OK, json!("success")), "{}", r.body);

        // an instance configured for clients that sign writes over the date alone, without a digest
        let lenient = spawn_on(app.db.clone(), &[("IAM_ALLOW_DATE_ONLY_WRITES", "true"), ("IAM_ALLOW_WRITES_WITHOUT_DIGEST", "true")]).await;
        let body = json!({"user": [user("lenient")]});
        let sig = Sig::new(Signing::Date, 0, &key.secret);
        let r = send(&lenient, &key, Method::POST, "/iam/idp/v1/users", Some(body), sig.clone()).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        // even there a write signature is accepted once, whatever the body sent with it again
        let other = json!({"user": [user("lenient2")]});
        assert_status(&send(&lenient, &key, Method::POST, "/iam/idp/v1/users", Some(other), sig).await, 401, 16, "replayedSignature");
        let good = send(&app, &key, Method::GET, list, None, Sig::new(Signing::RequestLine(None), -240, &key.secret)).await;
        assert_eq!(good.status, StatusCode::OK, "{}", good.body);

        assert_status(&send(&app, &key, Method::GET, list, None, Sig::new(Signing::Date, 0, "wrong")).await, 401, 16, "invalidSignature");
        let ghost = Key { id: String::new(), access_key: "AKghost".into(), secret: key.secret.clone() };
        assert_status(&call(&app, &ghost, Method::GET, list, None).await, 401, 16, "invalidSignature");
        for skew in [-360, 360] {
            assert_status(&send(&app, &key, Method::GET, list, None, Sig::new(Signing::Date, skew, &key.secret)).await, 401, 16, "dateSkew");
        }
        // the request line binds path and query
        let moved = send(&app, &key, Method::GET, list, None, Sig::new(Signing::RequestLine(Some("/iam/idp/v1/users?page_size=6")), 0, &key.secret)).await;
        assert_status(&moved, 401, 16, "invalidSignature");
        let r = app.request(Method::GET, list, None, None, &[("Authorization", "Bearer x")]).await;
        assert_status(&r, 401, 16, "invalidAuthenticationType");
        let r = app.request(Method::GET, list, None, None, &[("Authorization", r#"hmac accesskey="a", algorithm="hmac-sha256", headers="x-date", signature="AAAA""#)]).await;
        assert_status(&r, 401, 16, "missingDate");

        // a normal account's key authenticates but may not read users
        let r = create(&app, &key, vec![user("plain")]).await;
        let plain_id = r.body["user"][0]["id"].as_str().unwrap().to_owned();
        let r = call(&app, &key, Method::POST, &format!("/iam/idp/v1/users/{plain_id}/accessKeys"), None).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let plain = Key { id: r.body["id"].as_str().unwrap().to_owned(), access_key: r.body["access_key"].as_str().unwrap().to_owned(), secret: r.body["secret_key"].as_str().unwrap().to_owned() };
        assert_status(&call(&app, &plain, Method::GET, list, None).await, 403, 7, "permissionDenied");

        // open_api_state=disable blocks the account's keys in every machine dialect
        let r = call(&app, &key, Method::PATCH, &format!("/iam/idp/v1/users/{plain_id}?update_mask=open_api_state"), Some(json!({"open_api_state": "Disabled"}))).await;
        assert_eq!(r.body["open_api_state"], "disable", "{}", r.body);
        assert_status(&call(&app, &plain, Method::GET, list, None).await, 401, 16, "openApiDisabled");
        let bearer = format!("Bearer {}.{}", plain.access_key, plain.secret);
        let r = app.request(Method::GET, "/openapi/v1/accounts/", None, None, &[("Authorization", bearer.as_str())]).await;
        assert_eq!((r.status.as_u16(), r.body["errcode"].clone()), (401, json!(401)), "{}", r.body);

        // a disabled key
        let body = json!({"status": "disabled"}).to_string();
        app.request(Method::PATCH, &format!("/console/api/access-keys/{}", key.id), Some(&admin), Some(body.as_bytes()), &[]).await;
        assert_status(&call(&app, &key, Method::GET, list, None).await, 401, 16, "accessKeyDisabled");
    }

    async fn users_follow_the_field_rules(kind) {
        let app = spawn_app(kind).await;
        let admin = app.admin().await;
        let key = issue_key(&app, &admin).await;
        sql(&app, "UPDATE tenants SET code = 'ailabdev' WHERE group_id IS NULL OR group_id <> id");

        // all or nothing: one bad item writes nothing and is named with its index
        let mut bad = user("b2");
        bad["password"] = json!("short1");
        assert_violation(&create(&app, &key, vec![user("a1"), bad]).await, "user[1].password");
        let mut mismatch = user("b2");
        mismatch["confirm_password"] = json!("other123");
        assert_violation(&create(&app, &key, vec![mismatch]).await, "user[0].confirm_password");
        let mut state = user("b2");
        state["console_state"] = json!("maybe");
        assert_violation(&create(&app, &key, vec![state]).await, "user[0].console_state");
        for missing in ["name", "username", "password"] {
            let mut u = user("b2");
            u.as_object_mut().unwrap().remove(missing);
            assert_violation(&create(&app, &key, vec![u]).await, &format!("user[0].{missing}"));
        }
        for (field, value) in [
            ("name", json!("")), ("name", json!("n".repeat(65))), ("username", json!("u".repeat(65))), ("username", json!("123456")),
            ("phone", json!("12ab")), ("email", json!("x")), ("region_code", json!("12345")), ("remark", json!("r".repeat(256))),
            ("password", json!("p1".repeat(37))), ("open_api_state", json!("maybe")), ("mfa_state", json!(3)), ("tenant_id", json!("nope")),
            ("tenant_code", json!("no-such-code")),
        ] {
            let mut u = user("b2");
            u[field] = value;
            if field == "password" {
                u["confirm_password"] = u["password"].clone();
            }
            assert_violation(&create(&app, &key, vec![u]).await, &format!("user[0].{field}"));
        }
                assert_violation(&create(&app, &key, vec![]).await, "user");
        assert_violation(&create(&app, &key, (0..101).map(|i| user(&format!("u{i}x"))).collect()).await, "user");
        let r = create(&app, &key, vec![user("a1"), user("a1")]).await;
        assert_status(&r, 409, 6, "alreadyExists");
        assert!(r.body["message"].as_str().unwrap().contains("user[1]"), "{}", r.body);
        assert_eq!(call(&app, &key, Method::GET, "/iam/idp/v1/users", None).await.body["total_size"], 1, "nothing was written");

        let mut b = user("b2");
        b["tenant_code"] = json!("ailabdev");
        b["region_code"] = json!("+86");
        b["phone"] = json!("13900001111");
        b["mfa_state"] = json!("on");
        b["status"] = json!("forbidden");
        let r = create(&app, &key, vec![user("a1"), b]).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let created = r.body["user"].as_array().unwrap().clone();
        assert_eq!(created.len(), 2);
        let (a1, b2) = (created[0]["id"].as_str().unwrap().to_owned(), created[1]["id"].as_str().unwrap().to_owned());
        assert_eq!((created[1]["tenant_code"].clone(), created[1]["region_code"].clone(), created[1]["mfa_state"].clone()), (json!("ailabdev"), json!("86"), json!("enable")));
        assert_eq!((created[1]["status"].clone(), created[1]["source"].clone()), (json!("valid"), json!("build_in")), "status is output only");
        assert!(created[0]["password"].is_null() && created[0]["ak"].is_null());

        // filters, order, pages
        let list = |q: &str| format!("/iam/idp/v1/users?{q}");
        let ids = |r: &Reply| r.body["users"].as_array().unwrap().iter().map(|u| u["id"].as_str().unwrap().to_owned()).collect::<Vec<_>>();
        let enc = |f: &str| f.replace(' ', "%20").replace('"', "%22").replace('=', "%3D").replace('(', "%28").replace(')', "%29").replace('!', "%21");
        let r = call(&app, &key, Method::GET, &list(&format!("filter={}", enc(r#"username="a1""#))), None).await;
        assert_eq!(ids(&r), vec![a1.clone()], "{}", r.body);
        let r = call(&app, &key, Method::GET, &list(&format!("filter={}", enc(r#"status="valid" AND (name="User a1" OR name="User b2")"#))), None).await;
        let mut found = ids(&r);
        found.sort();
        let mut both = vec![a1.clone(), b2.clone()];
        both.sort();
        assert_eq!(found, both, "one batch: same creation time, any order");
        let r = call(&app, &key, Method::GET, &list(&format!("filter={}&order_by=create_time%20desc", enc(r#"email!="A1@example.com""#))), None).await;
        assert_eq!(r.body["total_size"], 2, "{}", r.body);
        assert_eq!(ids(&r)[0], b2);
        // the admin's workspace got the code, and b2 was made at home there; a1 lives in the group's shadow workspace
        let r = call(&app, &key, Method::GET, &list(&format!("filter={}", enc(r#"tenant_code="ailabdev""#))), None).await;
        assert!(ids(&r).contains(&b2) && !ids(&r).contains(&a1) && ids(&r).len() == 2, "{}", r.body);
        let r = call(&app, &key, Method::GET, &list("page_size=2"), None).await;
        assert_eq!((r.body["users"].as_array().unwrap().len(), r.body["next_page_token"].clone(), r.body["total_size"].clone()), (2, json!("2"), json!(3)));
        let r = call(&app, &key, Method::GET, &list("page_size=2&page_token=2"), None).await;
        assert_eq!((r.body["users"].as_array().unwrap().len(), r.body["next_page_token"].clone()), (1, json!("")));
        assert_violation(&call(&app, &key, Method::GET, &list("page_token=abc"), None).await, "page_token");
        assert_violation(&call(&app, &key, Method::GET, &list(&format!("filter={}", enc("nickname=x"))), None).await, "filter");
        assert_violation(&call(&app, &key, Method::GET, &list("order_by=email"), None).await, "order_by");

        // status is derived: banned accounts are forbidden, pending ones invalid
        sql(&app, &format!("UPDATE accounts SET status = 'banned' WHERE id = '{b2}'"));
        let r = call(&app, &key, Method::GET, &list(&format!("filter={}", enc(r#"status="forbidden""#))), None).await;
        assert_eq!((ids(&r), r.body["users"][0]["status"].clone()), (vec![b2.clone()], json!("forbidden")));
        sql(&app, &format!("UPDATE accounts SET status = 'pending' WHERE id = '{b2}'"));
        let r = call(&app, &key, Method::GET, &list(&format!("filter={}", enc(r#"status="invalid""#))), None).await;
        assert_eq!(ids(&r), vec![b2.clone()]);

        // get
        let one = format!("/iam/idp/v1/users/{a1}");
        assert_eq!(call(&app, &key, Method::GET, &one, None).await.body["username"], "a1");
        assert_status(&call(&app, &key, Method::GET, &format!("/iam/idp/v1/users/{}", uuid::Uuid::new_v4()), None).await, 404, 5, "userNotFound");

        // update: only masked fields change and are checked
        let r = call(&app, &key, Method::PATCH, &format!("{one}?update_mask=name"), Some(json!({"name": "Alpha", "email": "not-an-email"}))).await;
        assert_eq!((r.status, r.body["name"].clone(), r.body["email"].clone()), (StatusCode::OK, json!("Alpha"), json!("a1@example.com")), "{}", r.body);
        assert_violation(&call(&app, &key, Method::PATCH, &format!("{one}?update_mask=nickname"), Some(json!({}))).await, "update_mask");
        assert_violation(&call(&app, &key, Method::PATCH, &format!("{one}?update_mask=status"), Some(json!({"status": "forbidden"}))).await, "update_mask");
        assert_violation(&call(&app, &key, Method::PATCH, &format!("{one}?update_mask=tenant_code"), Some(json!({"tenant_code": "x"}))).await, "update_mask");
        assert_violation(&call(&app, &key, Method::PATCH, &format!("{one}?update_mask=email"), Some(json!({"email": "not-an-email"}))).await, "email");
        assert_violation(&call(&app, &key, Method::PATCH, &format!("{one}?update_mask=name"), Some(json!({}))).await, "name");
        assert_violation(&call(&app, &key, Method::PATCH, &format!("{one}?update_mask=password"), Some(json!({"password": "secret456", "confirm_password": "secret789"}))).await, "confirm_password");
        // an empty mask means the fields present; PUT is accepted too; absent masked text fields clear
        let r = call(&app, &key, Method::PUT, &one, Some(json!({"remark": "ops", "console_state": "FALSE"}))).await;
        assert_eq!((r.body["remark"].clone(), r.body["console_state"].clone()), (json!("ops"), json!("disable")), "{}", r.body);
        assert_error(&app.login("a1@example.com", "secret123").await, 403, "console_login_disabled");
        let r = call(&app, &key, Method::PATCH, &format!("{one}?update_mask=console_state,phone"), Some(json!({"console_state": "on"}))).await;
        assert_eq!((r.body["console_state"].clone(), r.body["phone"].clone()), (json!("enable"), json!("")), "{}", r.body);
        app.tokens("a1@example.com", "secret123").await;

        // delete
        assert_eq!(call(&app, &key, Method::DELETE, &one, None).await.body, json!({}));
        assert_status(&call(&app, &key, Method::GET, &one, None).await, 404, 5, "userNotFound");
        assert_status(&call(&app, &key, Method::GET, "/iam/idp/v1/nothing", None).await, 404, 5, "notFound");
    }

    async fn access_keys_are_issued_per_user_at_most_two(kind) {
        let app = spawn_app(kind).await;
        let admin = app.admin().await;
        let key = issue_key(&app, &admin).await;
        let id = create(&app, &key, vec![user("keyed")]).await.body["user"][0]["id"].as_str().unwrap().to_owned();
        let keys = format!("/iam/idp/v1/users/{id}/accessKeys");

        let first = call(&app, &key, Method::POST, &keys, Some(json!({"name": "ci"}))).await;
        assert_eq!(first.status, StatusCode::OK, "{}", first.body);
        assert_eq!((first.body["user_id"].clone(), first.body["status"].clone(), first.body["advice_renew"].clone()), (json!(id), json!("enable"), json!(false)));
        assert_eq!(first.body["secret_key"].as_str().unwrap().len(), 40);
        // identical writes need distinct X-Date seconds: a write's signature is accepted once
        let one_second = || std::thread::sleep(std::time::Duration::from_millis(1050));
        one_second();
        assert_eq!(call(&app, &key, Method::POST, &keys, None).await.status, StatusCode::OK);
        one_second();
        assert_status(&call(&app, &key, Method::POST, &keys, None).await, 400, 9, "activeKeyLimit");

        let r = call(&app, &key, Method::GET, &keys, None).await;
        let listed = r.body["access_keys"].as_array().unwrap();
        assert_eq!(listed.len(), 2);
        assert!(listed.iter().all(|k| k["secret_key"] == ""), "{}", r.body);
        let shown = call(&app, &key, Method::GET, &format!("/iam/idp/v1/users/{id}"), None).await;
        assert_eq!(shown.body["ak"]["secret_key"], "", "{}", shown.body);

        let first_id = first.body["id"].as_str().unwrap();
        assert_eq!(call(&app, &key, Method::DELETE, &format!("{keys}/{first_id}"), None).await.body, json!({}));
        one_second();
        assert_status(&call(&app, &key, Method::DELETE, &format!("{keys}/{first_id}"), None).await, 404, 5, "accessKeyNotFound");
        assert_eq!(call(&app, &key, Method::GET, &keys, None).await.body["access_keys"].as_array().unwrap().len(), 1);
        // a key of another user is not reachable through this one
        let other = create(&app, &key, vec![user("other")]).await.body["user"][0]["id"].as_str().unwrap().to_owned();
        let remaining = call(&app, &key, Method::GET, &keys, None).await.body["access_keys"][0]["id"].as_str().unwrap().to_owned();
        assert_status(&call(&app, &key, Method::DELETE, &format!("/iam/idp/v1/users/{other}/accessKeys/{remaining}"), None).await, 404, 5, "accessKeyNotFound");
    }

    async fn a_demanded_password_change_comes_before_the_console(kind) {
        let app = spawn_app(kind).await;
        let admin = app.admin().await;
        let key = issue_key(&app, &admin).await;
        let mut u = user("fresh");
        u["set_password_first_login"] = json!("enable");
        let id = create(&app, &key, vec![u]).await.body["user"][0]["id"].as_str().unwrap().to_owned();

        let r = app.login("fresh@example.com", "secret123").await;
        assert_error(&r, 403, "password_change_required");
        let change = r.body["change_token"].as_str().unwrap().to_owned();
        assert_eq!(app.get("/console/api/account/profile", Some(&change)).await.status, StatusCode::UNAUTHORIZED, "not an access token");
        let step = |password: &str| json!({"change_token": change, "new_password": password, "password_confirm": password});
        let r = app.post("/console/api/login/password-change", None, step("secret123")).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "the same password again: {}", r.body);
        let r = app.post("/console/api/login/password-change", None, json!({"change_token": change, "new_password": "newpass123", "password_confirm": "other123"})).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
        let r = app.post("/console/api/login/password-change", None, step("newpass123")).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let access = r.body["data"]["access_token"].as_str().unwrap().to_owned();
        assert_eq!(app.get("/console/api/account/profile", Some(&access)).await.status, StatusCode::OK);
        assert_eq!(app.post("/console/api/login/password-change", None, step("newpass456")).await.status, StatusCode::UNAUTHORIZED, "used once");
        assert_eq!(app.login("fresh@example.com", "secret123").await.status, StatusCode::BAD_REQUEST, "old password");
        let (_, refresh) = app.tokens("fresh@example.com", "newpass123").await;
        let shown = call(&app, &key, Method::GET, &format!("/iam/idp/v1/users/{id}"), None).await;
        assert_eq!(shown.body["set_password_first_login"], "disable", "{}", shown.body);

        // at the next login: demanded again by an admin; the change ends the other sessions
        let r = call(&app, &key, Method::PATCH, &format!("/iam/idp/v1/users/{id}?update_mask=set_password_next_login"), Some(json!({"set_password_next_login": "enable"}))).await;
        assert_eq!(r.body["set_password_next_login"], "enable", "{}", r.body);
        let r = app.login("fresh@example.com", "newpass123").await;
        assert_error(&r, 403, "password_change_required");
        let change = r.body["change_token"].as_str().unwrap().to_owned();
        let r = app.post("/console/api/login/password-change", None, json!({"change_token": change, "new_password": "third1234"})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let r = app.post("/console/api/refresh-token", None, json!({"refresh_token": refresh})).await;
        assert_ne!(r.status, StatusCode::OK, "the earlier session ended: {}", r.body);
        app.tokens("fresh@example.com", "third1234").await;
    }

    async fn control_characters_are_refused_in_every_text_field(kind) {
        use crate::field_rules::{with, CONTROLS};
        let app = spawn_app(kind).await;
        let admin = app.admin().await;
        let key = issue_key(&app, &admin).await;
        let r = create(&app, &key, vec![user("kept")]).await;
        let id = r.body["user"][0]["id"].as_str().unwrap().to_owned();
        let fields = ["name", "username", "password", "email", "phone", "remark", "region_code"];
        for field in fields {
            for bad in CONTROLS {
                let mut item = with(&user("fresh"), field, bad);
                if field == "password" {
                    item["confirm_password"] = json!(bad);
                }
                assert_violation(&create(&app, &key, vec![user("fine"), item.clone()]).await, &format!("user[1].{field}"));
                let mask = if field == "password" { "password,confirm_password".to_owned() } else { field.to_owned() };
                let r = call(&app, &key, Method::PATCH, &format!("/iam/idp/v1/users/{id}?update_mask={mask}"), Some(item)).await;
                assert_violation(&r, field);
            }
        }
        // nothing was written
        let r = call(&app, &key, Method::GET, "/iam/idp/v1/users?page_size=10", None).await;
        assert_eq!(r.body["total_size"], 2, "{}", r.body);
        assert_violation(&call(&app, &key, Method::GET, "/iam/idp/v1/users?filter=name%3D%22a%00b%22", None).await, "filter");
        let r = call(&app, &key, Method::GET, &format!("/iam/idp/v1/users/{id}"), None).await;
        assert_eq!(r.body["name"], "User kept", "{}", r.body);
    }

    async fn an_oversized_body_is_413_in_the_dialects_envelope(kind) {
        let app = spawn_app(kind).await;
        let admin = app.admin().await;
        let key = issue_key(&app, &admin).await;
        let big = json!({"user": [{"remark": "x".repeat(70 * 1024)}]});
        let r = call(&app, &key, Method::POST, "/iam/idp/v1/users", Some(big)).await;
        assert_status(&r, 413, 8, "bodyTooLarge");
    }

    async fn a_create_that_loses_a_race_still_names_the_item(kind) {
        let app = spawn_app(kind).await;
        let admin = app.admin().await;
        let key = issue_key(&app, &admin).await;
        let mut losers = 0;
        for round in 0..6 {
            // four batches at once, each with its own first item and the same second one
            let batches = (0..4).map(|n| create(&app, &key, vec![user(&format!("own{round}x{n}")), user(&format!("shared{round}"))]));
            let replies = futures_util::future::join_all(batches).await;
            let won = replies.iter().filter(|r| r.status.as_u16() == 200).count();
            assert_eq!(won, 1, "round {round}: exactly one batch creates the shared user");
            for r in replies.iter().filter(|r| r.status.as_u16() != 200) {
                assert_status(r, 409, 6, "alreadyExists");
                let message = r.body["message"].as_str().unwrap();
                assert!(message.contains("user[1]"), "round {round}: {message}");
                losers += 1;
            }
        }
        assert_eq!(losers, 18);
        assert_eq!(call(&app, &key, Method::GET, "/iam/idp/v1/users?page_size=100", None).await.body["total_size"], 13, "twelve and the admin");
    }
}
