//! Second factors over HTTP: TOTP enrolment, sign-in with a code or a recovery code (each once), replayed codes
//! refused, wrong codes counted towards the lockout, a factor made mandatory by `mfa_state`, and the admin and
//! operator resets. Codes are computed from the enrolled secret by the maintained `totp-rs` crate, as an
//! authenticator app would.

use awc::http::{Method, StatusCode};
use serde_json::{json, Value};
use totp_rs::{Algorithm, Secret, TOTP};

use crate::helpers::*;
use crate::http_test;

const USER: &str = "mia@example.com";
const PASSWORD: &str = "user1234";

/// The code of `secret` at `offset` seconds from now, as an authenticator app shows it.
pub(crate) fn code(secret: &str, offset: i64) -> String {
    let bytes = Secret::Encoded(secret.to_owned()).to_bytes().unwrap();
    let totp = TOTP::new(Algorithm::SHA1, 6, 1, 30, bytes, None, String::new()).unwrap();
    let now = time::OffsetDateTime::now_utc().unix_timestamp() + offset;
    totp.generate(u64::try_from(now).unwrap())
}

/// A six-digit code that is none of the codes of `secret` around now.
fn wrong_code(secret: &str) -> String {
    let near: Vec<String> = (-2..=2).map(|s| code(secret, s * 30)).collect();
    (0..1_000_000).map(|n| format!("{n:06}")).find(|c| !near.contains(c)).unwrap()
}

/// Enrols and confirms a TOTP factor for the account of `token`: the secret and the recovery codes.
pub(crate) async fn enrol(app: &TestApp, token: &str) -> (String, Vec<String>) {
    let r = app.post("/console/api/account/mfa/totp", Some(token), json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let secret = r.body["secret"].as_str().unwrap().to_owned();
    let r = app.post("/console/api/account/mfa/totp/confirm", Some(token), json!({"code": code(&secret, 0)})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let codes = r.body["recovery_codes"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_owned()).collect();
    (secret, codes)
}

/// Signs in with the password; expects the second-factor step and returns its token.
async fn password_step(app: &TestApp, expected: &str) -> String {
    let r = app.login(USER, PASSWORD).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!((r.body["result"].as_str(), r.body["code"].as_str()), (Some("fail"), Some(expected)), "{}", r.body);
    assert!(r.body["data"].get("access_token").is_none(), "{}", r.body);
    r.body["data"]["mfa_token"].as_str().unwrap().to_owned()
}

async fn second_factor(app: &TestApp, mfa_token: &str, code: &str) -> crate::helpers::Reply {
    app.post("/console/api/login/mfa", None, json!({"mfa_token": mfa_token, "code": code})).await
}

fn access_token(r: &crate::helpers::Reply) -> String {
    assert_eq!((r.status, r.body["result"].as_str()), (StatusCode::OK, Some("success")), "{}", r.body);
    r.body["data"]["access_token"].as_str().unwrap().to_owned()
}

async fn status(app: &TestApp, token: &str) -> Value {
    let r = app.get("/console/api/account/mfa", Some(token)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.body
}

http_test! {
    async fn a_factor_is_enrolled_then_asked_at_sign_in_and_no_code_works_twice(kind) {
        let app = spawn_app(kind).await;
        let admin = app.admin().await;
        app.create_user(&admin, USER).await;
        let (token, _) = app.tokens(USER, PASSWORD).await;
        let before = status(&app, &token).await;
        assert_eq!((before["totp_enabled"].clone(), before["required"].clone()), (json!(false), json!(false)));

        let r = app.post("/console/api/account/mfa/totp", Some(&token), json!({})).await;
        let secret = r.body["secret"].as_str().unwrap().to_owned();
        let uri = r.body["otpauth_uri"].as_str().unwrap();
        assert!(uri.starts_with("otpauth://totp/accountd:mia%40example.com?"), "{uri}");
        assert!(uri.contains(&format!("secret={secret}")), "{uri}");
        // not protecting anything until confirmed: the password alone still signs in
        app.tokens(USER, PASSWORD).await;
        let confirm = |c: String| app.post("/console/api/account/mfa/totp/confirm", Some(&token), json!({"code": c}));
        assert_error(&confirm(wrong_code(&secret)).await, 400, "invalid_mfa_code");
        assert_param(&confirm("12x".into()).await, "code");
        let r = confirm(code(&secret, 0)).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let recovery: Vec<String> =
            r.body["recovery_codes"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_owned()).collect();
        assert_eq!(recovery.len(), 10);
        assert_error(&app.post("/console/api/account/mfa/totp", Some(&token), json!({})).await, 409, "mfa_already_enabled");
        let now = status(&app, &token).await;
        assert_eq!((now["totp_enabled"].clone(), now["recovery_codes_left"].clone()), (json!(true), json!(10)));

        // the password alone no longer signs in; its token is no access token
        let mfa_token = password_step(&app, "mfa_required").await;
        assert_error(&app.get("/console/api/account/profile", Some(&mfa_token)).await, 401, "unauthorized");
        let r = second_factor(&app, &token, &code(&secret, 30)).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "an access token is no sign-in token: {}", r.body);
        // the code that confirmed the factor was used; the next one works once
        assert_error(&second_factor(&app, &mfa_token, &code(&secret, 0)).await, 400, "invalid_mfa_code");
        let next = code(&secret, 30);
        let signed_in = access_token(&second_factor(&app, &mfa_token, &next).await);
        assert_eq!(app.get("/console/api/account/profile", Some(&signed_in)).await.status, StatusCode::OK);
        let mfa_token = password_step(&app, "mfa_required").await;
        assert_error(&second_factor(&app, &mfa_token, &next).await, 400, "invalid_mfa_code");

        // a recovery code works once, typed in upper case too
        access_token(&second_factor(&app, &mfa_token, &recovery[0].to_uppercase()).await);
        let mfa_token = password_step(&app, "mfa_required").await;
        assert_error(&second_factor(&app, &mfa_token, &recovery[0]).await, 400, "invalid_mfa_code");
        access_token(&second_factor(&app, &mfa_token, &recovery[1]).await);
        assert_eq!(status(&app, &signed_in).await["recovery_codes_left"], 8);

        // removal needs the password; then the password alone signs in again
        let path = "/console/api/account/mfa/totp";
        let wrong = json!({"password": "wrong-password"}).to_string();
        let r = app.request(Method::DELETE, path, Some(&signed_in), Some(wrong.as_bytes()), &[]).await;
        assert_error(&r, 400, "email_or_password_mismatch");
        let right = json!({"password": PASSWORD}).to_string();
        let r = app.request(Method::DELETE, path, Some(&signed_in), Some(right.as_bytes()), &[]).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        app.tokens(USER, PASSWORD).await;
    }

    async fn wrong_codes_count_towards_the_login_lockout(kind) {
        let app = spawn_app(kind).await;
        let admin = app.admin().await;
        let uid = app.create_user(&admin, USER).await;
        let (token, _) = app.tokens(USER, PASSWORD).await;
        let (secret, _) = enrol(&app, &token).await;
        // the password counts one attempt and is not cleared before the factor; five wrong codes make six
        let mfa_token = password_step(&app, "mfa_required").await;
        let wrong = wrong_code(&secret);
        for _ in 0..5 {
            assert_error(&second_factor(&app, &mfa_token, &wrong).await, 400, "invalid_mfa_code");
        }
        // the seventh attempt is refused before the code is looked at, even the right one
        assert_error(&second_factor(&app, &mfa_token, &code(&secret, 30)).await, 429, "email_code_login_limit");
        assert_error(&app.login(USER, PASSWORD).await, 429, "email_code_login_limit");
        let r = app.post(&format!("/console/api/account-ex/unlock?id={uid}"), Some(&admin), json!({})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let mfa_token = password_step(&app, "mfa_required").await;
        access_token(&second_factor(&app, &mfa_token, &code(&secret, 30)).await);
    }

    async fn a_mandatory_factor_is_enrolled_at_sign_in_and_an_admin_resets_it(kind) {
        let app = spawn_app(kind).await;
        let admin = app.admin().await;
        let uid = app.create_user(&admin, USER).await;
        let r = app.put(&format!("/console/api/account-ex/id?id={uid}"), Some(&admin), json!({"mfa_required": true})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);

        // enrolment first: its token allows nothing else
        let enrol_token = password_step(&app, "mfa_enrollment_required").await;
        assert_error(&app.get("/console/api/account/profile", Some(&enrol_token)).await, 401, "unauthorized");
        assert_eq!(second_factor(&app, &enrol_token, "123456").await.status, StatusCode::UNAUTHORIZED);
        let r = app.post("/console/api/login/mfa/enrollment", None, json!({"mfa_token": enrol_token})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let secret = r.body["secret"].as_str().unwrap().to_owned();
        let confirm = |c: String| {
            app.post("/console/api/login/mfa/enrollment/confirm", None, json!({"mfa_token": enrol_token, "code": c}))
        };
        assert_error(&confirm(wrong_code(&secret)).await, 400, "invalid_mfa_code");
        let r = confirm(code(&secret, 0)).await;
        let signed_in = access_token(&r);
        assert_eq!(r.body["data"]["recovery_codes"].as_array().map(Vec::len), Some(10), "{}", r.body);
        let now = status(&app, &signed_in).await;
        assert_eq!((now["totp_enabled"].clone(), now["required"].clone()), (json!(true), json!(true)));
        // a mandatory factor is not removed by its holder
        let body = json!({"password": PASSWORD}).to_string();
        let r = app.request(Method::DELETE, "/console/api/account/mfa/totp", Some(&signed_in), Some(body.as_bytes()), &[]).await;
        assert_error(&r, 403, "forbidden");
        password_step(&app, "mfa_required").await;

        // the device is lost: a normal user may not reset it, a platform admin may; enrolment is asked again
        app.create_user(&admin, "other@example.com").await;
        let (other, _) = app.tokens("other@example.com", PASSWORD).await;
        let reset = format!("/console/api/account-ex/mfa-reset?id={uid}");
        assert_error(&app.post(&reset, Some(&other), json!({})).await, 403, "forbidden");
        assert_eq!(app.post(&reset, Some(&admin), json!({})).await.status, StatusCode::OK);
        assert_error(&app.post(&reset, Some(&admin), json!({})).await, 404, "not_found");
        password_step(&app, "mfa_enrollment_required").await;
        let audit = app.get("/console/api/audit-events?action=mfa.totp.reset", Some(&admin)).await;
        assert_eq!(audit.body["data"].as_array().map(Vec::len), Some(1), "{}", audit.body);
    }
}
