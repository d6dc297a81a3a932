//! One rule per field, seen from outside: NUL and other control characters in a text field answer 400 naming the
//! field, in the dialect's envelope, on both backends, and nothing is written. The console and openapi/v1 cases
//! are here; account-modify and iam sign their requests, and their cases live beside their signing helpers.

use awc::http::Method;
use serde_json::{json, Map, Value};

use crate::helpers::*;
use crate::http_test;

/// `base` with `field` set to `value`.
pub fn with(base: &Value, field: &str, value: &str) -> Value {
    let mut body: Map<String, Value> = base.as_object().cloned().unwrap_or_default();
    body.insert(field.to_owned(), json!(value));
    Value::Object(body)
}

/// Text values no field accepts: NUL, another C0 control, DEL, a C1 control, and an escape sequence.
pub const CONTROLS: &[&str] = &["a\u{0}b", "a\u{7}b", "a\u{7f}b", "a\u{85}b", "\u{1b}[31mred"];

http_test! {
    async fn console_refuses_control_characters_in_every_text_field(kind) {
        let app = spawn_app(kind).await;
        let admin = app.admin().await;
        let register = json!({"email": "new@example.com", "name": "New", "password": "user1234"});
        let dataset = json!({"name": "Docs", "description": "d", "indexing_technique": "economy", "icon": "i", "icon_background": "#fff"});
        let cases: &[(Method, &str, &Value, &[&str])] = &[
            (Method::POST, "/console/api/account/register", &register, &["name", "password"]),
            (Method::PUT, "/console/api/account-ex/id", &json!({}), &["name", "avatar", "mobile", "wechat", "address", "gender"]),
            (Method::POST, "/console/api/enterprise-groups", &json!({"name": "Group"}), &["name", "short_name"]),
            (Method::POST, "/console/api/datasets", &dataset, &["name", "description", "indexing_technique", "icon", "icon_background"]),
            (Method::POST, "/console/api/access-keys", &json!({}), &["name"]),
        ];
        for (method, path, base, fields) in cases {
            for field in *fields {
                for bad in CONTROLS {
                    let body = with(base, field, bad).to_string();
                    let r = app.request(method.clone(), path, Some(&admin), Some(body.as_bytes()), &[]).await;
                    assert_eq!(r.status.as_u16(), 400, "{method} {path} {field}={bad:?}: {}", r.body);
                    assert_eq!((r.body["code"].clone(), r.body["params"].clone()), (json!("invalid_param"), json!(field)), "{path} {field}={bad:?}: {}", r.body);
                }
            }
        }
        for path in ["/console/api/datasets?keyword=a%00b", "/console/api/datasets?keyword=%1b%5b31m"] {
            assert_param(&app.get(path, Some(&admin)).await, "keyword");
        }
        // nothing was written
        let r = app.get("/console/api/account-ex/profile", Some(&admin)).await;
        assert_eq!(r.body["name"], "Admin", "{}", r.body);
        let r = app.get("/console/api/datasets?page=1&limit=100", Some(&admin)).await;
        assert_eq!(r.body["total"], 0, "{}", r.body);
    }

    async fn openapi_refuses_control_characters_in_every_text_field(kind) {
        let app = spawn_app(kind).await;
        let admin = app.admin().await;
        let key = issue_key(&app, &admin).await;
        let auth = format!("Bearer {}.{}", key.access_key, key.secret);
        let r = app.request(Method::POST, "/openapi/v1/accounts/", None, Some(json!({"email": "t@example.com"}).to_string().as_bytes()), &[("Authorization", &auth)]).await;
        let uid = r.body["data"]["uid"].as_str().unwrap().to_owned();
        let one = format!("/openapi/v1/accounts/{uid}/");
        let fields = ["username", "phone", "email", "nickname", "desc", "password"];
        for (method, path) in [(Method::POST, "/openapi/v1/accounts/"), (Method::PUT, one.as_str())] {
            for field in fields {
                for bad in CONTROLS {
                    let body = with(&json!({"email": "fresh@example.com"}), field, bad).to_string();
                    let r = app.request(method.clone(), path, None, Some(body.as_bytes()), &[("Authorization", &auth)]).await;
                    assert_eq!((r.status.as_u16(), r.body["errcode"].clone()), (400, json!(400)), "{method} {path} {field}={bad:?}: {}", r.body);
                    assert!(r.body["errmsg"].as_str().unwrap().starts_with(field), "{path} {field}={bad:?}: {}", r.body);
                }
            }
        }
        let r = app.request(Method::GET, "/openapi/v1/accounts/?count=1", None, None, &[("Authorization", &auth)]).await;
        assert_eq!(r.body["total"], 2, "{}", r.body);
        // a search term too
        let r = app.request(Method::GET, "/openapi/v1/accounts/?q=a%00b", None, None, &[("Authorization", &auth)]).await;
        assert_eq!((r.status.as_u16(), r.body["errcode"].clone()), (400, json!(400)), "{}", r.body);
        assert!(r.body["errmsg"].as_str().unwrap().starts_with('q'), "{}", r.body);
    }

    async fn a_value_saved_through_one_dialect_is_accepted_back_by_every_other(kind) {
        use crate::{account_modify, iam};
        let app = spawn_app(kind).await;
        let admin = app.admin().await;
        let key = issue_key(&app, &admin).await;
        let bearer = format!("Bearer {}.{}", key.access_key, key.secret);
        let openapi = |method: Method, path: String, body: Option<Value>| {
            let (app, bearer) = (&app, bearer.clone());
            async move {
                let body = body.map(|b| b.to_string());
                app.request(method, &path, None, body.as_deref().map(str::as_bytes), &[("Authorization", bearer.as_str())]).await
            }
        };
        // the widest value of each field, created through iam: a 64-character name, a 255-character remark over
        // two lines, a legacy mainland mobile (which implies +86), a password longer than iam's seed range
        let (name, remark, password) = ("名".repeat(64), format!("first line\n{}", "r".repeat(244)), "a-long-passphrase-of-40-characters-1234".to_owned());
        let mut wide = iam::user("wide");
        wide["name"] = json!(name);
        wide["remark"] = json!(remark);
        wide["phone"] = json!("13800138000");
        wide["password"] = json!(password);
        wide["confirm_password"] = json!(password);
        let r = iam::call(&app, &key, Method::POST, "/iam/idp/v1/users", Some(json!({"user": [wide]}))).await;
        assert_eq!(r.status.as_u16(), 200, "{}", r.body);
        let id = r.body["user"][0]["id"].as_str().unwrap().to_owned();
        assert_eq!(r.body["user"][0]["region_code"], "86", "{}", r.body);
        app.tokens("wide@example.com", &password).await;

        // each other dialect reads the values and saves them back unchanged
        let read = openapi(Method::GET, format!("/openapi/v1/accounts/{id}/"), None).await.body["data"].clone();
        assert_eq!((read["nickname"].as_str(), read["desc"].as_str()), (Some(name.as_str()), Some(remark.as_str())));
        let back = json!({"nickname": read["nickname"], "desc": read["desc"], "phone": read["phone"], "email": read["email"], "username": read["username"]});
        let r = openapi(Method::PUT, format!("/openapi/v1/accounts/{id}/"), Some(back)).await;
        assert_eq!(r.status.as_u16(), 200, "{}", r.body);
        let got = account_modify::assert_ok(&account_modify::get(&app, &key, &format!("/api/v1/account/get?accountUUID={id}")).await).clone();
        let back = json!({"name": got["name"], "username": got["username"], "email": got["email"], "mobile": got["mobile"], "countryCode": got["countryCode"]});
        account_modify::assert_ok(&account_modify::post(&app, &key, &format!("/api/v1/account/{id}/modify"), back).await);
        let r = app.get(&format!("/console/api/account-ex/id?id={id}"), Some(&admin)).await;
        let r = app.put(&format!("/console/api/account-ex/id?id={id}"), Some(&admin), json!({"name": r.body["name"]})).await;
        assert_eq!(r.status.as_u16(), 200, "{}", r.body);
        let r = iam::call(&app, &key, Method::PATCH, &format!("/iam/idp/v1/users/{id}?update_mask=name,remark"), Some(json!({"name": name, "remark": remark}))).await;
        assert_eq!((r.status.as_u16(), r.body["name"].as_str(), r.body["remark"].as_str()), (200, Some(name.as_str()), Some(remark.as_str())), "{}", r.body);

        // and one character more is refused by all four, naming the field in each dialect's words
        let longer = "名".repeat(65);
        assert_param(&app.put(&format!("/console/api/account-ex/id?id={id}"), Some(&admin), json!({"name": longer})).await, "name");
        let r = openapi(Method::PUT, format!("/openapi/v1/accounts/{id}/"), Some(json!({"nickname": longer}))).await;
        assert!((r.status.as_u16() == 400) && r.body["errmsg"].as_str().unwrap().starts_with("nickname"), "{}", r.body);
        account_modify::assert_param_error(&account_modify::post(&app, &key, &format!("/api/v1/account/{id}/modify"), json!({"name": longer})).await, "name");
        iam::assert_violation(&iam::call(&app, &key, Method::PATCH, &format!("/iam/idp/v1/users/{id}?update_mask=name"), Some(json!({"name": longer}))).await, "name");
    }
}
