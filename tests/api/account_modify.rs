//! The account-modify dialect over HTTP. Requests are signed here as the dialect's documentation describes
//! (hex HMAC-SHA256 of `"{METHOD} {nonce} {path_with_query} {timestamp} {body}"`), independently of the server.

use awc::http::{Method, StatusCode};
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

use crate::helpers::*;
use crate::http_test;

fn hex_hmac(secret: &str, message: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(message.as_bytes());
    mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect()
}

fn now_secs() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

/// What goes into one signed request; the `signed_*` fields let a test sign something other than it sends.
struct Signed<'a> {
    method: Method,
    path: &'a str,
    body: &'a str,
    timestamp: i64,
    nonce: String,
    secret: &'a str,
    signed_path: Option<&'a str>,
    signed_body: Option<&'a str>,
}

impl<'a> Signed<'a> {
    fn new(key: &'a Key, method: Method, path: &'a str, body: &'a str) -> Self {
        Self {
            method,
            path,
            body,
            timestamp: now_secs(),
            nonce: uuid::Uuid::new_v4().simple().to_string(),
            secret: &key.secret,
            signed_path: None,
            signed_body: None,
        }
    }

    async fn send(&self, app: &TestApp, key: &Key) -> Reply {
        let to_sign = format!(
            "{} {} {} {} {}",
            self.method,
            self.nonce,
            self.signed_path.unwrap_or(self.path),
            self.timestamp,
            self.signed_body.unwrap_or(self.body)
        );
        let signature = hex_hmac(self.secret, &to_sign);
        let timestamp = self.timestamp.to_string();
        let headers = [
            ("X-Df-Access-Key", key.access_key.as_str()),
            ("X-Df-Timestamp", timestamp.as_str()),
            ("X-Df-Nonce", self.nonce.as_str()),
            ("X-Df-SVersion", "v20240417"),
            ("X-Df-Signature", signature.as_str()),
        ];
        let body = (!self.body.is_empty()).then_some(self.body.as_bytes());
        app.request(self.method.clone(), self.path, None, body, &headers).await
    }
}

pub(crate) async fn post(app: &TestApp, key: &Key, path: &str, body: Value) -> Reply {
    let body = body.to_string();
    Signed::new(key, Method::POST, path, &body).send(app, key).await
}

pub(crate) async fn get(app: &TestApp, key: &Key, path: &str) -> Reply {
    Signed::new(key, Method::GET, path, "").send(app, key).await
}

#[track_caller]
pub(crate) fn assert_ok(r: &Reply) -> &Value {
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!((r.body["code"].clone(), r.body["success"].clone()), (json!(200), json!(true)), "{}", r.body);
    assert_eq!(r.body["errorCode"], "", "{}", r.body);
    let trace = r.headers.get("x-request-id").unwrap().to_str().unwrap();
    assert_eq!(r.body["traceId"], trace);
    &r.body["content"]
}

#[track_caller]
fn assert_fails(r: &Reply, status: u16, code: &str) {
    assert_eq!(r.status.as_u16(), status, "{}", r.body);
    assert_eq!(r.body["code"], status, "{}", r.body);
    assert_eq!(r.body["success"], false, "{}", r.body);
    assert_eq!(r.body["errorCode"], code, "{}", r.body);
    assert!(r.body["message"].as_str().is_some_and(|m| !m.is_empty()), "{}", r.body);
    let trace = r.headers.get("x-request-id").unwrap().to_str().unwrap();
    assert_eq!(r.body["traceId"], trace, "{}", r.body);
}

/// A 400 `ft.ParamError` whose message starts with `field`.
#[track_caller]
pub(crate) fn assert_param_error(r: &Reply, field: &str) {
    assert_fails(r, 400, "ft.ParamError");
    assert!(r.body["message"].as_str().unwrap().starts_with(&format!("{field}:")), "{field}: {}", r.body);
}

http_test! {
    async fn signatures_are_checked_as_documented(kind) {
        let app = spawn_app(kind).await;
        let admin = app.admin().await;
        let key = issue_key(&app, &admin).await;
        let list = "/api/v1/account/list?search=admin&pageIndex=1&pageSize=5";

        let r = get(&app, &key, list).await;
        let content = assert_ok(&r);
        assert_eq!(content["data"][0]["email"], ADMIN_EMAIL);
        assert_eq!(r.body["pageInfo"], json!({"count": 1, "pageIndex": 1, "pageSize": 5, "totalCount": 1}));

        // a wrong secret answers like an unknown key
        let mut wrong = Signed::new(&key, Method::GET, list, "");
        wrong.secret = "not-the-secret";
        assert_fails(&wrong.send(&app, &key).await, 401, "ft.InvalidSignature");
        let unknown = Key { id: String::new(), access_key: "AKunknown0000000000".into(), secret: key.secret.clone() };
        assert_fails(&get(&app, &unknown, list).await, 401, "ft.InvalidSignature");

        // stale or future timestamps, and unparsable ones
        for skew in [-61, 61, -3600] {
            let mut stale = Signed::new(&key, Method::GET, list, "");
            stale.timestamp += skew;
            assert_fails(&stale.send(&app, &key).await, 401, "ft.MissingAuthHeaderInfo");
        }
        let mut near = Signed::new(&key, Method::GET, list, "");
        near.timestamp -= 50;
        assert_ok(&near.send(&app, &key).await);

        // a nonce is accepted once
        let once = Signed::new(&key, Method::GET, list, "");
        assert_ok(&once.send(&app, &key).await);
        assert_fails(&once.send(&app, &key).await, 401, "ft.NonceUsed");

        // the signature covers body and path with query
        let body = json!({"accountUUIDs": ["acnt_00000000000000000000000000000000"], "isDisable": true}).to_string();
        let mut altered = Signed::new(&key, Method::POST, "/api/v1/account/set-disable", &body);
        altered.signed_body = Some("{}");
        assert_fails(&altered.send(&app, &key).await, 401, "ft.InvalidSignature");
        let mut moved = Signed::new(&key, Method::GET, "/api/v1/account/list?search=other", "");
        moved.signed_path = Some(list);
        assert_fails(&moved.send(&app, &key).await, 401, "ft.InvalidSignature");

        // missing headers name themselves
        let r = app.request(Method::GET, list, None, None, &[("X-Df-Access-Key", key.access_key.as_str())]).await;
        assert_fails(&r, 401, "ft.MissingAuthHeaderInfo");
        assert!(r.body["message"].as_str().unwrap().contains("X-Df-Timestamp"), "{}", r.body);

        // a normal account's key reads nothing
        let user_id = app.create_user(&admin, "user@example.com").await;
        // a write is bound to its body and accepted once: replayed as it was, its nonce is refused; replayed with
        // another body (one trailing space is enough), its signature no longer matches
        let body = json!({"accountUUIDs": [user_id], "isDisable": false}).to_string();
        let write = Signed::new(&key, Method::POST, "/api/v1/account/set-disable", &body);
        assert_ok(&write.send(&app, &key).await);
        assert_fails(&write.send(&app, &key).await, 401, "ft.NonceUsed");
        let (spaced, disabling) = (format!("{body} "), json!({"accountUUIDs": [user_id], "isDisable": true}).to_string());
        for tampered in [&spaced, &disabling] {
            let mut replay = Signed::new(&key, Method::POST, "/api/v1/account/set-disable", tampered);
            replay.nonce.clone_from(&write.nonce);
            replay.timestamp = write.timestamp;
            replay.signed_body = Some(&body);
            assert_fails(&replay.send(&app, &key).await, 401, "ft.InvalidSignature");
        }
        let (user, _) = app.tokens("user@example.com", "user1234").await;
        let user_key = issue_key(&app, &user).await;
        assert_fails(&get(&app, &user_key, list).await, 403, "ft.PermissionDenied");

        // open API access switched off for the account, then a disabled key
        // written past this instance, as another instance would: it takes effect within the authentication cache's
        // bound (AUTH_CACHE_MILLISECONDS, 1000 here), for which the account behind a key is kept too
        sql(&app, &format!("UPDATE accounts SET open_api_access = false WHERE id = '{user_id}'"));
        tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
        assert_fails(&get(&app, &user_key, list).await, 401, "ft.OpenApiDisabled");
        let body = json!({"status": "disabled"}).to_string();
        let r = app.request(Method::PATCH, &format!("/console/api/access-keys/{}", key.id), Some(&admin), Some(body.as_bytes()), &[]).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_fails(&get(&app, &key, list).await, 401, "ft.AccessKeyDisabled");

        // unknown endpoints answer in the envelope
        let key2 = issue_key(&app, &admin).await;
        assert_fails(&get(&app, &key2, "/api/v1/account/nothing-here").await, 404, "ft.NotFound");
    }

    async fn accounts_are_added_read_listed_and_deleted(kind) {
        let app = spawn_app(kind).await;
        let admin = app.admin().await;
        let key = issue_key(&app, &admin).await;

        let r = post(&app, &key, "/api/v1/account/add", json!({
            "username": "wanglei", "password": "secret123", "name": "Wang Lei", "email": "wang@example.com",
            "mobile": "18621000000", "exterId": "ldap-42", "language": "zh", "extend": {"dept": "ops"},
            "attributes": {"部门": "A部门"}, "customAttributes": {"level": "3"},
        })).await;
        let created = assert_ok(&r).clone();
        let uuid = created["uuid"].as_str().unwrap().to_owned();
        assert!(uuid.starts_with("acnt_") && uuid.len() == 37, "{uuid}");
        assert_eq!(created["countryCode"], "86", "legacy 11-digit CN mobile");
        assert_eq!(created["source"], "unknown", "an external account is not local");
        assert_eq!((created["language"].clone(), created["isDisable"].clone(), created["deleteAt"].clone()), (json!("zh"), json!(false), json!(-1)));
        assert_eq!(created["extend"], json!({"dept": "ops"}));
        assert_eq!(created["attributes"], json!({"部门": "A部门"}));
        // the system defaults (30 days both), the idle one brought into its 1800..604800 range
        assert_eq!((created["tokenHoldTime"].clone(), created["tokenMaxValidDuration"].clone()), (json!(604_800), json!(30 * 86400)));

        // get by acnt id, by dashed UUID, by exterId
        let dashed = uuid::Uuid::parse_str(&uuid[5..]).unwrap().to_string();
        for path in [format!("/api/v1/account/get?accountUUID={uuid}"), format!("/api/v1/account/get?accountUUID={dashed}"), "/api/v1/account/get?exterId=ldap-42".into()] {
            assert_eq!(assert_ok(&get(&app, &key, &path).await)["uuid"], uuid.as_str(), "{path}");
        }
        assert_fails(&get(&app, &key, "/api/v1/account/get?exterId=nobody").await, 404, "ft.AccountNotFound");
        assert_fails(&get(&app, &key, "/api/v1/account/get?accountUUID=acnt_zz").await, 404, "ft.AccountNotFound");
        assert_param_error(&get(&app, &key, "/api/v1/account/get").await, "accountUUID");

        // required fields, null and empty-string rules of add
        let base = json!({"username": "li", "password": "secret123", "name": "Li", "email": ""});
        for field in ["username", "password", "name", "email"] {
            let mut body = base.clone();
            body.as_object_mut().unwrap().remove(field);
            assert_param_error(&post(&app, &key, "/api/v1/account/add", body).await, field);
        }
        let mut body = base.clone();
        body["name"] = json!("  ");
        assert_param_error(&post(&app, &key, "/api/v1/account/add", body).await, "name");
        let mut body = base.clone();
        body["password"] = json!("");
        assert_param_error(&post(&app, &key, "/api/v1/account/add", body.clone()).await, "password");
        body["exterId"] = json!("oidc-7");
        body["source"] = json!("local");
        assert_param_error(&post(&app, &key, "/api/v1/account/add", body.clone()).await, "source");
        body["source"] = json!("oidc");
        let third_party = assert_ok(&post(&app, &key, "/api/v1/account/add", body.clone()).await).clone();
        // without an external id the source is local, whatever else is sent (seed 004)
        for source in ["oidc", "ldap", "unknown"] {
            let mut body = base.clone();
            body["username"] = json!(format!("nox{source}"));
            body["email"] = json!(format!("nox{source}@example.com"));
            body["source"] = json!(source);
            assert_param_error(&post(&app, &key, "/api/v1/account/add", body).await, "source");
        }
        assert_eq!((third_party["email"].clone(), third_party["source"].clone()), (json!(""), json!("oidc")));
        let mut body = base.clone();
        body["username"] = json!("li2");
        body["language"] = json!("fr");
        assert_param_error(&post(&app, &key, "/api/v1/account/add", body).await, "language");

        // unique identifiers
        let mut body = base.clone();
        body["username"] = json!("wanglei");
        assert_fails(&post(&app, &key, "/api/v1/account/add", body).await, 409, "ft.AccountConflict");
        let mut body = base.clone();
        body["username"] = json!("other");
        body["exterId"] = json!("ldap-42");
        let r = post(&app, &key, "/api/v1/account/add", body).await;
        assert_fails(&r, 409, "ft.AccountConflict");
        assert!(r.body["message"].as_str().unwrap().contains("exterId"), "{}", r.body);

        // list with search and pages
        let r = get(&app, &key, "/api/v1/account/list?pageIndex=1&pageSize=2").await;
        assert_eq!(assert_ok(&r)["data"].as_array().unwrap().len(), 2);
        assert_eq!(r.body["pageInfo"]["totalCount"], 3);
        let r = get(&app, &key, "/api/v1/account/list?pageIndex=2&pageSize=2").await;
        assert_eq!(r.body["pageInfo"], json!({"count": 1, "pageIndex": 2, "pageSize": 2, "totalCount": 3}));
        let r = get(&app, &key, "/api/v1/account/list?search=WANG").await;
        assert_eq!(assert_ok(&r)["data"][0]["uuid"], uuid.as_str());
        for bad in ["pageSize=101", "pageSize=0", "pageIndex=0", "pageIndex=x"] {
            assert_param_error(&get(&app, &key, &format!("/api/v1/account/list?{bad}")).await, bad.split('=').next().unwrap());
        }

        // set-disable: the account cannot sign in, then can again
        let r = post(&app, &key, "/api/v1/account/set-disable", json!({"accountUUIDs": [uuid], "isDisable": true})).await;
        assert_eq!(assert_ok(&r), &json!({}));
        assert_eq!(assert_ok(&get(&app, &key, &format!("/api/v1/account/get?accountUUID={uuid}")).await)["isDisable"], true);
        assert_error(&app.login("wang@example.com", "secret123").await, 400, "account_banned");
        let r = post(&app, &key, "/api/v1/account/set-disable", json!({"accountUUIDs": [uuid], "isDisable": false})).await;
        assert_ok(&r);
        app.tokens("wang@example.com", "secret123").await;
        assert_param_error(&post(&app, &key, "/api/v1/account/set-disable", json!({"accountUUIDs": [uuid]})).await, "isDisable");
        assert_param_error(&post(&app, &key, "/api/v1/account/set-disable", json!({"accountUUIDs": ["x"], "isDisable": true})).await, "accountUUIDs[0]");

        // delete all or nothing
        let unknown = format!("acnt_{}", uuid::Uuid::new_v4().simple());
        let r = post(&app, &key, "/api/v1/account/delete", json!({"accountUUIDs": [uuid, unknown]})).await;
        assert_fails(&r, 404, "ft.AccountNotFound");
        assert!(r.body["message"].as_str().unwrap().contains(&unknown), "{}", r.body);
        assert_ok(&get(&app, &key, &format!("/api/v1/account/get?accountUUID={uuid}")).await);
        assert_eq!(assert_ok(&post(&app, &key, "/api/v1/account/delete", json!({"accountUUIDs": [uuid]})).await), &json!(true));
        assert_fails(&get(&app, &key, &format!("/api/v1/account/get?accountUUID={uuid}")).await, 404, "ft.AccountNotFound");
        assert_param_error(&post(&app, &key, "/api/v1/account/delete", json!({"accountUUIDs": []})).await, "accountUUIDs");
    }

    async fn modify_follows_every_field_rule(kind) {
        let app = spawn_app(kind).await;
        let admin = app.admin().await;
        let key = issue_key(&app, &admin).await;
        let local = assert_ok(&post(&app, &key, "/api/v1/account/add", json!({
            "username": "zhao", "password": "secret123", "name": "Zhao", "email": "zhao@example.com", "mobile": "555123",
        })).await)["uuid"].as_str().unwrap().to_owned();
        let external = assert_ok(&post(&app, &key, "/api/v1/account/add", json!({
            "username": "qian", "password": "", "name": "Qian", "email": "", "exterId": "x-1",
        })).await)["uuid"].as_str().unwrap().to_owned();
        let modify = |id: &str| format!("/api/v1/account/{id}/modify");

        // rejected values name their field and change nothing
        for (field, value) in [
            ("name", json!(null)), ("name", json!("")), ("name", json!("n".repeat(65))),
            ("username", json!(null)), ("username", json!("")), ("username", json!("12345")),
            ("email", json!(null)), ("email", json!("not-an-email")), ("email", json!(format!("{}@example.com", "a".repeat(250)))),
            ("mobile", json!(null)), ("mobile", json!("12ab")),
            ("countryCode", json!(null)), ("countryCode", json!("12345")),
            ("password", json!(null)), ("password", json!("short")),
            ("source", json!("ftp")), ("source", json!("ldap")),
            ("tokenHoldTime", json!(1799)), ("tokenHoldTime", json!(604_801)), ("tokenHoldTime", json!(null)), ("tokenHoldTime", json!("1800")),
            ("tokenMaxValidDuration", json!(59)), ("tokenMaxValidDuration", json!(2_592_001)), ("tokenMaxValidDuration", json!(null)),
            ("attributes", json!(null)), ("attributes", json!(["a"])), ("customAttributes", json!("x")),
            ("exterId", json!("new")), ("isDisable", json!(true)),
        ] {
            let r = post(&app, &key, &modify(&local), json!({ field: value, "name": if field == "name" { value.clone() } else { json!("Changed") } })).await;
            assert_param_error(&r, field);
        }
        let unchanged = assert_ok(&get(&app, &key, &format!("/api/v1/account/get?accountUUID={local}")).await).clone();
        assert_eq!((unchanged["name"].clone(), unchanged["mobile"].clone()), (json!("Zhao"), json!("555123")));

        // accepted values, at the range bounds; empty strings clear
        let r = post(&app, &key, &modify(&local), json!({
            "name": "Zhao Yun", "username": "zhaoyun", "email": "", "mobile": "13900001111", "source": "local",
            "tokenHoldTime": 1800, "tokenMaxValidDuration": 60, "attributes": {"部门": "B"}, "customAttributes": {"k": "v"},
        })).await;
        let a = assert_ok(&r).clone();
        assert_eq!((a["name"].clone(), a["username"].clone(), a["email"].clone()), (json!("Zhao Yun"), json!("zhaoyun"), json!("")));
        assert_eq!((a["mobile"].clone(), a["countryCode"].clone()), (json!("13900001111"), json!("86")));
        assert_eq!((a["tokenHoldTime"].clone(), a["tokenMaxValidDuration"].clone()), (json!(1800), json!(60)));
        assert_eq!((a["attributes"].clone(), a["customAttributes"].clone()), (json!({"部门": "B"}), json!({"k": "v"})));
        let a = assert_ok(&post(&app, &key, &modify(&local), json!({"mobile": "", "countryCode": "", "tokenHoldTime": 604_800, "tokenMaxValidDuration": 2_592_000, "source": null})).await).clone();
        assert_eq!((a["mobile"].clone(), a["countryCode"].clone(), a["source"].clone()), (json!(""), json!(""), json!("local")));
        assert_eq!((a["tokenHoldTime"].clone(), a["tokenMaxValidDuration"].clone()), (json!(604_800), json!(2_592_000)));
        let a = assert_ok(&post(&app, &key, &modify(&local), json!({"countryCode": "+44", "source": ""})).await).clone();
        assert_eq!(a["countryCode"], "44");
        // a legacy-looking mobile does not override a stored code
        let a = assert_ok(&post(&app, &key, &modify(&local), json!({"mobile": "13900002222"})).await).clone();
        assert_eq!((a["mobile"].clone(), a["countryCode"].clone()), (json!("13900002222"), json!("44")));

        // the source rule for accounts with an external id
        assert_param_error(&post(&app, &key, &modify(&external), json!({"source": "local"})).await, "source");
        assert_eq!(assert_ok(&post(&app, &key, &modify(&external), json!({"source": "ldap"})).await)["source"], "ldap");
        assert_eq!(assert_ok(&post(&app, &key, &modify(&external), json!({"source": null})).await)["source"], "unknown");

        // a taken username, an unknown account, the dashed form of the id
        assert_fails(&post(&app, &key, &modify(&external), json!({"username": "zhaoyun"})).await, 409, "ft.AccountConflict");
        assert_fails(&post(&app, &key, &modify(&format!("acnt_{}", uuid::Uuid::new_v4().simple())), json!({})).await, 404, "ft.AccountNotFound");
        let dashed = uuid::Uuid::parse_str(&external[5..]).unwrap().to_string();
        assert_eq!(assert_ok(&post(&app, &key, &modify(&dashed), json!({"name": "Qian Er"})).await)["name"], "Qian Er");
        assert_param_error(&post(&app, &key, &modify(&external), json!([1])).await, "body");
    }

    async fn session_policy_bounds_console_tokens(kind) {
        let app = spawn_app(kind).await;
        let admin = app.admin().await;
        let key = issue_key(&app, &admin).await;
        let id = app.create_user(&admin, "policy@example.com").await;
        let acnt = format!("acnt_{}", uuid::Uuid::parse_str(&id).unwrap().simple());
        let access_exp = |token: &str| -> i64 {
            use base64::Engine;
            let payload = token.split('.').nth(1).unwrap();
            let claims: Value = serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
            claims["exp"].as_i64().unwrap()
        };

        // no policy: the access token lives its configured hour
        let (token, _) = app.tokens("policy@example.com", "user1234").await;
        assert!((access_exp(&token) - now_secs() - 3600).abs() <= 2);

        // an absolute lifetime of one minute ends the access token with the session
        assert_ok(&post(&app, &key, &format!("/api/v1/account/{acnt}/modify"), json!({"tokenMaxValidDuration": 60})).await);
        let (token, refresh) = app.tokens("policy@example.com", "user1234").await;
        assert!((access_exp(&token) - now_secs() - 60).abs() <= 2, "{}", access_exp(&token) - now_secs());
        // a refresh does not outlive the session either
        let r = app.post("/console/api/refresh-token", None, json!({"refresh_token": refresh})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let refreshed = r.body["data"]["access_token"].as_str().unwrap();
        assert!(access_exp(refreshed) - now_secs() <= 60);
        assert_eq!(app.get("/console/api/account/profile", Some(refreshed)).await.status, StatusCode::OK);

        // an idle timeout of 30 minutes under a long lifetime
        assert_ok(&post(&app, &key, &format!("/api/v1/account/{acnt}/modify"), json!({"tokenMaxValidDuration": 2_592_000, "tokenHoldTime": 1800})).await);
        let (token, _) = app.tokens("policy@example.com", "user1234").await;
        assert!((access_exp(&token) - now_secs() - 1800).abs() <= 2);
        assert_eq!(app.get("/console/api/account/profile", Some(&token)).await.status, StatusCode::OK);
    }

    async fn control_characters_are_refused_in_every_text_field(kind) {
        use crate::field_rules::{with, CONTROLS};
        let app = spawn_app(kind).await;
        let admin = app.admin().await;
        let key = issue_key(&app, &admin).await;
        let add = json!({"username": "zhao", "password": "secret123", "name": "Zhao", "email": "zhao@example.com", "mobile": "555123", "exterId": "x-1", "source": "ldap", "language": "zh"});
        let existing = assert_ok(&post(&app, &key, "/api/v1/account/add", with(&add, "username", "qian")).await)["uuid"].as_str().unwrap().to_owned();
        let modify = format!("/api/v1/account/{existing}/modify");
        let fields = ["username", "password", "name", "email", "mobile", "countryCode", "exterId", "language", "source"];
        for (path, base) in [("/api/v1/account/add", &add), (modify.as_str(), &json!({"name": "Changed"}))] {
            for field in fields {
                if path == modify && field == "exterId" {
                    continue; // an external id is set once, at creation
                }
                for bad in CONTROLS {
                    let r = post(&app, &key, path, with(base, field, bad)).await;
                    assert_param_error(&r, field);
                }
            }
        }
        // nothing was written
        let r = get(&app, &key, "/api/v1/account/list?pageIndex=1&pageSize=10").await;
        assert_eq!(r.body["pageInfo"]["totalCount"], 2, "{}", r.body);
        assert_param_error(&get(&app, &key, "/api/v1/account/list?search=a%00b").await, "search");
        let unchanged = assert_ok(&get(&app, &key, &format!("/api/v1/account/get?accountUUID={existing}")).await).clone();
        assert_eq!(unchanged["name"], "Zhao", "{unchanged}");
    }
}
