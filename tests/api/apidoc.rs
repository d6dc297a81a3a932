//! The API documents (`/docs/{dialect}/openapi.json`) against the routes really served, and the reference page.

use std::collections::BTreeSet;

use awc::http::StatusCode;
use dialects::apidoc::DOCUMENTS;
use serde_json::Value;

use crate::helpers::*;
use crate::http_test;

/// `(METHOD, path)` with the trailing slash that openapi/v1 makes optional removed.
fn normalized(method: &str, path: &str) -> (String, String) {
    let path = if path.len() > 1 { path.trim_end_matches('/') } else { path };
    (method.to_ascii_uppercase(), path.to_owned())
}

fn documented(doc: &Value) -> BTreeSet<(String, String)> {
    let mut all = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, _) in item.as_object().expect("path item") {
            if ["get", "put", "post", "delete", "patch", "head", "options"].contains(&method.as_str()) {
                all.insert(normalized(method, path));
            }
        }
    }
    all
}

/// Every `$ref` in `value`, to check it resolves.
fn refs<'v>(value: &'v Value, out: &mut Vec<&'v str>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                match (k.as_str(), v) {
                    ("$ref", Value::String(r)) => out.push(r),
                    _ => refs(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

http_test! {
    async fn every_served_route_is_documented_and_every_documented_one_served(kind) {
        let app = spawn_app(kind).await;
        for d in &DOCUMENTS {
            let r = app.get(d.url, None).await;
            assert_eq!(r.status, StatusCode::OK, "{}: {}", d.url, r.body);
            let doc = &r.body;
            assert_eq!(doc["openapi"], "3.1.0", "{}", d.slug);
            assert!(doc["info"]["title"].as_str().is_some_and(|t| !t.is_empty()), "{}", d.slug);

            let served: BTreeSet<_> = (d.served_routes)().iter().map(|r| normalized(&r.method, &r.path)).collect();
            let documented = documented(doc);
            let undocumented: Vec<_> = served.difference(&documented).collect();
            let unserved: Vec<_> = documented.difference(&served).collect();
            assert!(undocumented.is_empty(), "{}: served but not documented: {undocumented:?}", d.slug);
            assert!(unserved.is_empty(), "{}: documented but not served: {unserved:?}", d.slug);

            // every schema reference resolves, and every operation says what it answers and how to authenticate
            let mut all_refs = Vec::new();
            refs(doc, &mut all_refs);
            for r in all_refs {
                let name = r.strip_prefix("#/components/schemas/").unwrap_or_else(|| panic!("{}: odd $ref {r}", d.slug));
                assert!(doc["components"]["schemas"][name].is_object(), "{}: {r} does not resolve", d.slug);
            }
            let schemes = doc["components"]["securitySchemes"].as_object().expect("security schemes");
            for (path, item) in doc["paths"].as_object().unwrap() {
                for (method, op) in item.as_object().unwrap() {
                    let responses = op["responses"].as_object().unwrap_or_else(|| panic!("{method} {path}: no responses"));
                    assert!(!responses.is_empty(), "{method} {path}: no responses");
                    for requirement in op["security"].as_array().into_iter().flatten() {
                        for scheme in requirement.as_object().unwrap().keys() {
                            assert!(schemes.contains_key(scheme), "{method} {path}: unknown scheme {scheme}");
                        }
                    }
                }
            }
        }
    }

    async fn the_reference_page_serves_every_document(kind) {
        let app = spawn_app(kind).await;
        let root = app.get("/", None).await;
        assert_eq!(root.body["docs"]["reference"], "/docs/", "{}", root.body);
        let page = app.get("/docs/", None).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.headers.get("content-type").unwrap().to_str().unwrap().starts_with("text/html"));
        // the page's configuration names the four documents, and the assets come from this server
        let config = app.get("/docs/swagger-initializer.js", None).await;
        assert_eq!(config.status, StatusCode::OK);
        let text = config.body.as_str().unwrap_or_default().to_owned();
        for d in &DOCUMENTS {
            assert!(text.contains(d.url), "{} missing from the page's configuration", d.url);
        }
        // no third-party origin: the online validator is off
        assert!(text.contains(r#""validatorUrl": "none""#) || text.contains(r#""validatorUrl":"none""#), "{text}");
        assert_eq!(app.get("/docs/swagger-ui-bundle.js", None).await.status, StatusCode::OK);
    }
}

/// The browser the page test drives: `CHROMIUM` or Debian's `chromium` (`just browser` installs it).
fn chromium() -> String {
    std::env::var("CHROMIUM").unwrap_or_else(|_| "chromium".to_owned())
}

/// Runs headless Chromium on `url` with `args`, off the server's thread.
async fn browse(url: String, args: Vec<String>) -> std::process::Output {
    actix_web::rt::task::spawn_blocking(move || {
        std::process::Command::new(chromium())
            .args(["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"])
            .args(["--virtual-time-budget=20000", "--window-size=1280,1600"])
            .args(args)
            .arg(url)
            .output()
            .unwrap_or_else(|e| panic!("cannot run {} ({e}); install it with `just browser`", chromium()))
    })
    .await
    .expect("browser thread")
}

#[actix_web::test]
async fn the_reference_page_shows_the_four_dialects_in_a_browser() {
    let app = spawn_app(Kind::Sqlite).await;
    let page = format!("{}/docs", app.base);
    let out = browse(page.clone(), vec!["--dump-dom".to_owned()]).await;
    let dom = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "chromium failed: {}", String::from_utf8_lossy(&out.stderr));
    // the definitions list names every dialect, and the first document is rendered with its operations
    for d in &DOCUMENTS {
        assert!(dom.contains(&format!(">{}</option>", d.slug)), "{} is not offered by the page", d.slug);
    }
    assert!(dom.contains(DOCUMENTS[0].title), "the console document is not rendered");
    assert!(dom.contains("/console/api/login"), "the console operations are not rendered");
    // a screenshot for people, kept in the build directory, out of the repository
    let shot = format!("--screenshot={}/docs-page.png", env!("CARGO_TARGET_TMPDIR"));
    assert!(browse(page, vec![shot]).await.status.success());
}
