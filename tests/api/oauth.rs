//! Sign-in through an OpenID Connect provider: a real provider process (the npm package `oidc-provider`, see
//! `tests/oidc-provider/`) on loopback, driven through the whole redirect dance by a cookie-keeping client.

use std::collections::HashMap;
use std::io::BufRead;
use std::process::{Child, Command, Stdio};

use awc::http::StatusCode;
use serde_json::{json, Value};

use crate::helpers::*;
use crate::http_test;

const CLIENT_ID: &str = "accountd-test";
const CLIENT_SECRET: &str = "accountd-test-secret-of-some-length";
const WEB: &str = "http://console.test";

/// The provider process; killed when dropped.
struct Provider {
    child: Child,
    issuer: String,
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// People known to the provider: login → claims.
fn people() -> Value {
    json!({
        "alice": {"email": "alice@example.com", "email_verified": true, "name": "Alice Liddell", "department": "R&D"},
        "bob-unverified": {"email": "bob@example.com", "email_verified": false, "name": "Not Bob"},
        "bob": {"email": "Bob@Example.com", "email_verified": true, "name": "Bob"},
        "carol": {"email": "carol@example.com", "email_verified": true, "name": "Carol"},
        "mallory": {"email": "mallory@example.com", "email_verified": true, "name": "Mallory"},
        "dave": {"email": "dave@example.com", "email_verified": true, "name": "Dave"},
        "no-email": {"name": "Nobody"},
        "alice-again": {"email": "Alice@example.com", "email_verified": true, "name": "Alice, second identity"},
    })
}

/// Starts the provider with a client whose callback is `redirect_uri`; `extra` is merged into its configuration.
fn start_provider(redirect_uri: &str, extra: Value) -> Provider {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/oidc-provider");
    assert!(
        std::path::Path::new(dir).join("node_modules/oidc-provider").exists(),
        "the test provider's packages are missing: run `just test` (or `npm ci` in {dir})"
    );
    let mut config = json!({
        "clients": [{"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "redirect_uris": [redirect_uri]}],
        "accounts": people(),
    });
    if let (Some(config), Value::Object(extra)) = (config.as_object_mut(), extra) {
        config.extend(extra);
    }
    let mut child = Command::new("node")
        .arg("server.mjs")
        .arg(config.to_string())
        .current_dir(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("node runs the test provider");
    let mut line = String::new();
    let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
    out.read_line(&mut line).unwrap();
    // the provider logs to its standard output too: keep reading it, or its writes fail
    std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
    let issuer = serde_json::from_str::<Value>(&line).expect("the provider announces its issuer")["issuer"]
        .as_str()
        .unwrap()
        .to_owned();
    Provider { child, issuer }
}

/// The server with the provider configured as `corp`, and the provider.
async fn spawn_with_provider(kind: Kind, settings: &[(&str, &str)], provider: Value) -> (TestApp, Provider) {
    let port = crate::smtp::free_port();
    let base = format!("http://127.0.0.1:{port}");
    let provider = start_provider(&format!("{base}/console/api/oauth/authorize/corp"), provider);
    let bind = format!("127.0.0.1:{port}");
    let mut all = vec![
        ("BIND_ADDR", bind.as_str()),
        ("CONSOLE_API_URL", base.as_str()),
        ("CONSOLE_WEB_URL", WEB),
        ("OIDC_PROVIDERS", "corp"),
        ("OIDC_CORP_ISSUER", provider.issuer.as_str()),
        ("OIDC_CORP_CLIENT_ID", CLIENT_ID),
        ("OIDC_CORP_CLIENT_SECRET", CLIENT_SECRET),
    ];
    all.extend_from_slice(settings);
    let app = spawn_app_with(kind, &all).await;
    assert_eq!(app.base, base);
    (app, provider)
}

/// A browser: follows nothing by itself, keeps cookies per origin.
struct Browser {
    client: awc::Client,
    jar: HashMap<String, HashMap<String, String>>,
}

/// One answer: status, `Location`, body text.
struct Page {
    status: StatusCode,
    location: Option<String>,
    set_cookie: Vec<String>,
    body: String,
}

fn origin(url: &str) -> String {
    let rest = url.split("://").nth(1).unwrap_or(url);
    rest.split(['/', '?']).next().unwrap_or_default().to_owned()
}

/// A query parameter of a URL, percent-decoded.
fn param(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    query.split('&').filter_map(|kv| kv.split_once('=')).find(|(k, _)| *k == name).map(|(_, v)| decode(v))
}

fn decode(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                out.push(u8::from_str_radix(&value[i + 1..i + 3], 16).unwrap());
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).unwrap()
}

impl Browser {
    fn new() -> Self {
        Self { client: awc::Client::builder().disable_redirects().finish(), jar: HashMap::new() }
    }

    fn cookie(&self, url: &str, name: &str) -> Option<&String> {
        self.jar.get(&origin(url)).and_then(|c| c.get(name))
    }

    async fn send(&mut self, url: &str, form: Option<&[(&str, &str)]>) -> Page {
        let mut req = match form {
            Some(_) => self.client.post(url),
            None => self.client.get(url),
        };
        let cookies = self.jar.get(&origin(url)).map(|c| c.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>());
        if let Some(cookies) = cookies.filter(|c| !c.is_empty()) {
            req = req.insert_header(("Cookie", cookies.join("; ")));
        }
        let mut res = match form {
            Some(form) => req.send_form(&form).await,
            None => req.send().await,
        }
        .unwrap_or_else(|e| panic!("{url}: {e}"));
        let jar = self.jar.entry(origin(url)).or_default();
        let set_cookie: Vec<String> =
            res.headers().get_all("set-cookie").map(|v| v.to_str().unwrap().to_owned()).collect();
        for set in &set_cookie {
            let (name, value) = set.split(';').next().unwrap().split_once('=').unwrap();
            let removed = set.to_ascii_lowercase().contains("max-age=0") || value.is_empty();
            if removed {
                jar.remove(name.trim());
            } else {
                jar.insert(name.trim().to_owned(), value.to_owned());
            }
        }
        let location = res.headers().get("location").map(|l| l.to_str().unwrap().to_owned());
        let location = location.map(|l| if l.starts_with('/') { format!("http://{}{l}", origin(url)) } else { l });
        let body = String::from_utf8_lossy(&res.body().await.unwrap_or_default()).into_owned();
        Page { status: res.status(), location, set_cookie, body }
    }

    /// Starts a sign-in at the server and goes through the provider's login and consent pages as `login`;
    /// returns the callback URL the provider sends the browser to (not yet visited).
    async fn through_provider(&mut self, app: &TestApp, login: &str, invite: Option<&str>) -> String {
        // sign in at the provider afresh (its session would keep the previous person)
        let ours = origin(&app.base);
        self.jar.retain(|o, _| *o == ours);
        let mut url = format!("{}/console/api/oauth/login/corp", app.base);
        if let Some(token) = invite {
            url.push_str(&format!("?invite_token={token}"));
        }
        let start = self.send(&url, None).await;
        assert_eq!(start.status, StatusCode::FOUND, "{}", start.body);
        let mut next = start.location.expect("redirect to the provider");
        for _ in 0..12 {
            if next.starts_with(&app.base) {
                return next;
            }
            let page = self.send(&next, None).await;
            if let Some(location) = page.location {
                next = location;
                continue;
            }
            assert_eq!(page.status, StatusCode::OK, "{}", page.body);
            let form: &[(&str, &str)] = if page.body.contains(r#"value="login""#) {
                &[("prompt", "login"), ("login", login), ("password", "any")]
            } else {
                &[("prompt", "consent")]
            };
            let submitted = self.send(&next, Some(form)).await;
            next = submitted.location.unwrap_or_else(|| panic!("{} {}", submitted.status, submitted.body));
        }
        panic!("the provider never sent the browser back");
    }

    /// Visits the callback; returns where the server sends the browser.
    async fn callback(&mut self, url: &str) -> String {
        let page = self.send(url, None).await;
        assert_eq!(page.status, StatusCode::FOUND, "{}", page.body);
        assert!(self.cookie(url, "accountd_sign_in").is_none(), "the attempt's cookie is cleared");
        page.location.unwrap()
    }

    /// The whole walk; returns where the server sends the browser at the end.
    async fn sign_in(&mut self, app: &TestApp, login: &str, invite: Option<&str>) -> String {
        let callback = self.through_provider(app, login, invite).await;
        self.callback(&callback).await
    }
}

/// The access token of a landing on the console, after checking the refresh token came along.
#[track_caller]
fn landed(location: &str) -> String {
    assert!(location.starts_with(&format!("{WEB}?access_token=")), "{location}");
    assert_eq!(param(location, "refresh_token").map(|t| t.len()), Some(128), "{location}");
    param(location, "access_token").unwrap()
}

#[track_caller]
fn refused(location: &str, message: &str) {
    assert_eq!(location, format!("{WEB}/signin?message={}", domain::values::percent_encode(message)));
}

const STATE_REFUSED: &str = "The sign-in request is invalid or has expired. Please try again.";

async fn account_of(app: &TestApp, token: &str) -> domain::model::Account {
    let id = app.get("/console/api/account/profile", Some(token)).await.body["id"].as_str().unwrap().to_owned();
    let db = db::Database::connect(app.db.url(), &db::DbOptions { pool_size: 1, ..Default::default() }).unwrap();
    domain::ports::AccountRepository::get(&db::DieselAccounts::new(db), id.parse().unwrap()).await.unwrap().unwrap()
}

http_test! {
    async fn a_new_person_signs_up_through_the_provider_and_comes_back_to_the_same_account(kind) {
        let (app, provider) = spawn_with_provider(kind, &[("ALLOW_REGISTER", "true")], json!({})).await;
        let admin = app.admin().await;
        assert_eq!(app.get("/console/api/system-features", None).await.body["enable_social_oauth_login"], true);

        // an address the provider does not vouch for creates nothing, even with registration open
        let mut stranger = Browser::new();
        refused(&stranger.sign_in(&app, "bob-unverified", None).await, "The provider has not verified this email address.");
        assert_error(&app.login("bob@example.com", "whatever1").await, 400, "email_or_password_mismatch");

        // the way out: the provider's authorization endpoint with PKCE, state and nonce; the attempt in a cookie
        let mut browser = Browser::new();
        let start = browser.send(&format!("{}/console/api/oauth/login/corp", app.base), None).await;
        assert_eq!(start.status, StatusCode::FOUND);
        let to = start.location.unwrap();
        assert!(to.starts_with(&format!("{}/auth?", provider.issuer)), "{to}");
        assert_eq!(param(&to, "code_challenge_method").as_deref(), Some("S256"));
        assert_eq!(param(&to, "redirect_uri"), Some(format!("{}/console/api/oauth/authorize/corp", app.base)));
        assert!(param(&to, "state").is_some_and(|s| s.len() >= 64) && param(&to, "nonce").is_some(), "{to}");
        assert!(param(&to, "scope").unwrap().split(' ').any(|s| s == "email"), "{to}");
        assert!(browser.cookie(&app.base, "accountd_sign_in").is_some());
        let set_cookie = start.set_cookie.join("\n");
        for attribute in ["HttpOnly", "SameSite=Lax", "Path=/console/api/oauth/authorize", "Max-Age=600"] {
            assert!(set_cookie.contains(attribute), "{set_cookie}");
        }
        assert!(!set_cookie.contains("Secure"), "plain http here: {set_cookie}");

        // the whole walk lands on the console with working tokens for a new account
        let token = landed(&browser.sign_in(&app, "alice", None).await);
        let me = app.get("/console/api/account/profile", Some(&token)).await;
        assert_eq!((me.body["email"].as_str(), me.body["name"].as_str()), (Some("alice@example.com"), Some("Alice Liddell")));
        assert_eq!(me.body["is_password_set"], false);
        assert!(app.get("/console/api/workspaces/current", Some(&token)).await.body["id"].is_string());
        let stored = account_of(&app, &token).await;
        // a sign-in link is not an external id: the account stays local
        assert_eq!(stored.source, domain::model::AccountSource::Local);
        assert_eq!(stored.attributes["department"], "R&D");
        assert!(!stored.attributes.contains_key("nonce") && !stored.attributes.contains_key("aud"));
        let integrates = app.get("/console/api/account/integrates", Some(&token)).await;
        assert_eq!(integrates.body["data"][0]["provider"], "corp");
        assert_eq!(integrates.body["data"][0]["is_bound"], true);
        assert!(integrates.body["data"][0]["created_at"].is_i64());

        // coming back finds the same account by its link
        let again = landed(&browser.sign_in(&app, "alice", None).await);
        assert_eq!(app.get("/console/api/account/profile", Some(&again)).await.body["id"], me.body["id"]);

        // a callback works once: the same state again (even with its cookie) is refused
        let callback = browser.through_provider(&app, "alice", None).await;
        let cookie = browser.cookie(&app.base, "accountd_sign_in").unwrap().clone();
        landed(&browser.callback(&callback).await);
        browser.jar.get_mut(&origin(&app.base)).unwrap().insert("accountd_sign_in".into(), cookie);
        refused(&browser.callback(&callback).await, STATE_REFUSED);

        // a used code under a fresh attempt: the provider refuses it
        let old_code = param(&callback, "code").unwrap();
        let fresh = browser.send(&format!("{}/console/api/oauth/login/corp", app.base), None).await.location.unwrap();
        let state = param(&fresh, "state").unwrap();
        let replay = format!("{}/console/api/oauth/authorize/corp?code={old_code}&state={state}", app.base);
        refused(&browser.callback(&replay).await, "OAuth process failed.");

        // the only way in cannot be removed; the admin (with a password) has nothing to remove
        assert_param(&app.request(awc::http::Method::DELETE, "/console/api/account/integrates/corp", Some(&token), None, &[]).await, "provider");
        let r = app.request(awc::http::Method::DELETE, "/console/api/account/integrates/corp", Some(&admin), None, &[]).await;
        assert_error(&r, 404, "not_found");
        let unbound = app.get("/console/api/account/integrates", Some(&admin)).await;
        assert_eq!(unbound.body["data"], json!([{"provider": "corp", "created_at": null, "is_bound": false, "link": format!("{}/console/api/oauth/login/corp", app.base)}]));
    }

    async fn the_state_is_bound_to_the_browser_and_unknown_providers_are_refused(kind) {
        let (app, _provider) = spawn_with_provider(kind, &[("ALLOW_REGISTER", "true")], json!({})).await;
        app.admin().await;
        let mut browser = Browser::new();
        let callback = browser.through_provider(&app, "alice", None).await;

        // another browser (no cookie) with the same callback URL
        let mut stranger = Browser::new();
        refused(&stranger.callback(&callback).await, STATE_REFUSED);
        // a state that is not the one sent
        let state = param(&callback, "state").unwrap();
        let forged = callback.replace(&state, &"0".repeat(state.len()));
        refused(&browser.callback(&forged).await, STATE_REFUSED);
        // the person cancelled at the provider
        let mut canceller = Browser::new();
        let out = canceller.send(&format!("{}/console/api/oauth/login/corp", app.base), None).await.location.unwrap();
        let cancelled = format!(
            "{}/console/api/oauth/authorize/corp?error=access_denied&state={}",
            app.base,
            param(&out, "state").unwrap()
        );
        refused(&canceller.callback(&cancelled).await, "OAuth process failed.");
        // nothing was created
        let listed = app.get("/console/api/account-ex/list?page=1&limit=100", Some(&app.tokens(ADMIN_EMAIL, ADMIN_PASSWORD).await.0)).await;
        assert!(!listed.body.to_string().contains("alice@example.com"), "{}", listed.body);

        for path in ["/console/api/oauth/login/github", "/console/api/oauth/login/nope", "/console/api/oauth/authorize/google?code=x&state=y"] {
            let r = app.get(path, None).await;
            assert_eq!((r.status.as_u16(), r.body.clone()), (400, json!({"error": "Invalid provider"})), "{path}");
        }
    }

    async fn an_expired_attempt_is_refused(kind) {
        let (app, _provider) = spawn_with_provider(kind, &[("ALLOW_REGISTER", "true"), ("OAUTH_STATE_TTL_SECONDS", "1")], json!({})).await;
        app.admin().await;
        let mut browser = Browser::new();
        let callback = browser.through_provider(&app, "alice", None).await;
        actix_web::rt::time::sleep(std::time::Duration::from_millis(1500)).await;
        refused(&browser.callback(&callback).await, STATE_REFUSED);
    }

    async fn id_tokens_failing_validation_are_refused(kind) {
        // each a correctly formed token the provider's endpoint hands out instead of the right one
        let tampered = [
            json!({"id_token_claims": {"aud": "someone-else"}}),
            json!({"id_token_claims": {"nonce": "another-nonce"}}),
            json!({"id_token_claims": {"iss": "http://127.0.0.1:9/evil"}}),
            json!({"id_token_claims": {"exp": 1_000_000_000, "iat": 999_999_000}}),
            json!({"id_token_foreign_key": true}),
        ];
        for provider_config in tampered {
            let (app, _provider) = spawn_with_provider(kind, &[("ALLOW_REGISTER", "true")], provider_config.clone()).await;
            app.admin().await;
            let mut browser = Browser::new();
            let landing = browser.sign_in(&app, "alice", None).await;
            assert_eq!(landing, format!("{WEB}/signin?message=OAuth%20process%20failed."), "{provider_config}");
            let admin = app.tokens(ADMIN_EMAIL, ADMIN_PASSWORD).await.0;
            let listed = app.get("/console/api/account-ex/list?page=1&limit=100", Some(&admin)).await;
            assert!(!listed.body.to_string().contains("alice@example.com"), "nothing created: {provider_config}");
        }
    }

    async fn addresses_link_only_when_the_provider_vouches_for_them(kind) {
        let (app, _provider) = spawn_with_provider(kind, &[], json!({})).await;
        let admin = app.admin().await;
        let bob = app.create_user(&admin, "bob@example.com").await;
        let mut browser = Browser::new();

        // same address, unverified: no link, no sign-in
        refused(&browser.sign_in(&app, "bob-unverified", None).await, "The provider has not verified this email address.");
        let bob_token = app.tokens("bob@example.com", "user1234").await.0;
        assert_eq!(app.get("/console/api/account/integrates", Some(&bob_token)).await.body["data"][0]["is_bound"], false);

        // registration is closed: a stranger is not let in
        refused(&browser.sign_in(&app, "mallory", None).await, "Account not found.");

        // verified (in other letter case): linked to the existing account
        let token = landed(&browser.sign_in(&app, "bob", None).await);
        let me = app.get("/console/api/account/profile", Some(&token)).await;
        assert_eq!(me.body["id"], bob.as_str());
        assert_eq!(account_of(&app, &token).await.source, domain::model::AccountSource::Local);
        assert_eq!(app.get("/console/api/account/integrates", Some(&bob_token)).await.body["data"][0]["is_bound"], true);

        // bob has a password, so the link can go; then the identity finds him by address again
        let r = app.request(awc::http::Method::DELETE, "/console/api/account/integrates/corp", Some(&bob_token), None, &[]).await;
        assert_eq!((r.status, r.body), (StatusCode::OK, json!({"result": "success"})));
        assert_eq!(app.get("/console/api/account/integrates", Some(&bob_token)).await.body["data"][0]["is_bound"], false);

        // a banned account is turned away
        let r = app.put(&format!("/console/api/account-ex/id?id={bob}"), Some(&admin), json!({"status": "banned"})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        refused(&browser.sign_in(&app, "bob", None).await, "Account is banned.");
    }

    async fn the_provider_stands_in_for_the_password_but_not_for_the_second_factor(kind) {
        let (app, _provider) = spawn_with_provider(kind, &[], json!({})).await;
        let admin = app.admin().await;
        app.create_user(&admin, "carol@example.com").await;
        let (carol, _) = app.tokens("carol@example.com", "user1234").await;
        let (secret, _) = crate::mfa::enrol(&app, &carol).await;
        let mut browser = Browser::new();
        let location = browser.sign_in(&app, "carol", None).await;
        assert!(location.starts_with(&format!("{WEB}/signin?code=mfa_required&mfa_token=")), "{location}");
        let mfa_token = param(&location, "mfa_token").unwrap();
        let r = app.post("/console/api/login/mfa", None, json!({"mfa_token": mfa_token, "code": crate::mfa::code(&secret, 30)})).await;
        assert_eq!(r.body["result"], "success", "{}", r.body);

        // a mandatory factor not enrolled yet: the provider's sign-in leads to enrolment
        let dave = app.create_user(&admin, "dave@example.com").await;
        let r = app.put(&format!("/console/api/account-ex/id?id={dave}"), Some(&admin), json!({"mfa_required": true})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let location = browser.sign_in(&app, "dave", None).await;
        assert!(location.starts_with(&format!("{WEB}/signin?code=mfa_enrollment_required&mfa_token=")), "{location}");
    }

    async fn each_refusal_lands_on_the_sign_in_page_with_its_message(kind) {
        let (app, _provider) = spawn_with_provider(kind, &[("ALLOW_REGISTER", "true")], json!({})).await;
        app.admin().await;
        let mut browser = Browser::new();
        // no address: nothing to find or create an account with
        refused(&browser.sign_in(&app, "no-email", None).await, "The provider did not share an email address.");
        // alice signs up; a second identity at the same provider with her address cannot take her account
        let token = landed(&browser.sign_in(&app, "alice", None).await);
        refused(
            &browser.sign_in(&app, "alice-again", None).await,
            "This account is already linked to another identity at this provider.",
        );
        // console access switched off
        let id = app.get("/console/api/account/profile", Some(&token)).await.body["id"].as_str().unwrap().to_owned();
        sql(&app, &format!("UPDATE accounts SET console_access = false WHERE id = '{id}'"));
        refused(&browser.sign_in(&app, "alice", None).await, "Console login is disabled for this account.");
        sql(&app, &format!("UPDATE accounts SET console_access = true WHERE id = '{id}'"));
        // no workspace left
        sql(&app, &format!("DELETE FROM tenant_members WHERE account_id = '{id}'"));
        refused(
            &browser.sign_in(&app, "alice", None).await,
            "Workspace not found, please contact system admin to invite you to join in a workspace.",
        );
    }

    async fn an_invitation_rides_through_the_provider(kind) {
        let (app, _provider) = spawn_with_provider(kind, &[], json!({})).await;
        let admin = app.admin().await;
        let invite = |email: &'static str| {
            let app = &app;
            let admin = admin.clone();
            async move {
                let r = app
                    .post(
                        "/console/api/workspaces/current/members/invite-email",
                        Some(&admin),
                        json!({"emails": [email], "role": "normal", "language": "en-US"}),
                    )
                    .await;
                assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
                param(r.body["invitation_results"][0]["url"].as_str().unwrap(), "token").unwrap()
            }
        };
        let carol = invite("carol@example.com").await;
        let dave = invite("dave@example.com").await;
        let mut browser = Browser::new();

        // someone else's invitation
        refused(&browser.sign_in(&app, "carol", Some(&dave)).await, "Invalid invitation token.");
        // her own: linked, and sent to the invitation page to finish
        let to = browser.sign_in(&app, "carol", Some(&carol)).await;
        assert_eq!(to, format!("{WEB}/signin/invite-settings?invite_token={carol}"));
        let activate = json!({"token": carol, "name": "Carol", "interface_language": "en-US", "timezone": "UTC"});
        let r = app.post("/console/api/activate", None, activate).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        // from then on the provider signs her in
        let token = landed(&browser.sign_in(&app, "carol", None).await);
        assert_eq!(app.get("/console/api/account/profile", Some(&token)).await.body["email"], "carol@example.com");
        // an invited (pending) account whose verified address signs in without the link becomes active
        let token = landed(&browser.sign_in(&app, "dave", None).await);
        let me = app.get("/console/api/account-ex/profile", Some(&token)).await;
        assert_eq!((me.body["email"].as_str(), me.body["status"].as_str()), (Some("dave@example.com"), Some("active")));
    }
}
