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
}
