//! Mail flows against a real SMTP server on loopback: forgot-password, self-registration, invitation mail,
//! throttles and code limits, an SMTP outage, two server instances sharing one outbox, and the admin help for
//! users without mail. Codes are read out of the received messages.

use awc::http::StatusCode;
use serde_json::{json, Value};

use crate::helpers::*;
use crate::http_test;
use crate::smtp::{code_in, free_port, smtp_url, SmtpSink};

const FROM: &str = "accountd <no-reply@example.com>";
const USER_EMAIL: &str = "user@example.com";

/// A server sending through `smtp_url`, with a fast outbox worker.
async fn mail_app(kind: Kind, smtp_url: &str, extra: &[(&str, &str)]) -> TestApp {
    let mut settings = vec![("SMTP_URL", smtp_url), ("MAIL_FROM", FROM), ("MAIL_POLL_INTERVAL_MS", "50")];
    settings.extend_from_slice(extra);
    spawn_app_with(kind, &settings).await
}

async fn forgot(app: &TestApp, email: &str) -> Reply {
    app.post("/console/api/forgot-password", None, json!({"email": email, "language": "en-US"})).await
}

async fn validity(app: &TestApp, flow: &str, email: &str, code: &str, token: &str) -> Reply {
    app.post(&format!("/console/api/{flow}/validity"), None, json!({"email": email, "code": code, "token": token}))
        .await
}

fn data_token(r: &Reply) -> String {
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.body["data"].as_str().unwrap_or_else(|| panic!("no token in {}", r.body)).to_owned()
}

/// Runs a statement on the test's database (to age rows instead of waiting).
async fn sql(app: &TestApp, statement: &'static str) {
    let db = db::Database::connect(app.db.url(), &db::DbOptions::default()).expect("connect");
    db.run(move |c| {
        diesel::connection::SimpleConnection::batch_execute(c, statement)?;
        Ok(())
    })
    .await
    .expect("statement");
}

fn has_code(mail: &Value) -> bool {
    mail["text"].as_str().unwrap().split(|c: char| !c.is_ascii_digit()).any(|w| w.len() == 6)
}

http_test! {
    async fn forgot_password_end_to_end_with_the_code_from_the_mail(kind) {
        let sink = SmtpSink::start();
        let app = mail_app(kind, &sink.url(), &[]).await;
        assert_eq!(app.get("/console/api/system-features", None).await.body["is_email_setup"], true);
        let admin = app.admin().await;
        app.create_user(&admin, USER_EMAIL).await;
        let (old_access, old_refresh) = app.tokens(USER_EMAIL, "user1234").await;

        let r = app.post("/console/api/forgot-password", None, json!({"email": "User@Example.com", "language": "zh-Hans"})).await;
        assert_eq!(r.body["result"], "success", "{}", r.body);
        let token = data_token(&r);
        let mail = &sink.wait_for(USER_EMAIL, 1).await[0];
        assert_eq!(mail["subject"], "您的密码重置验证码");
        assert!(mail["from"].as_str().unwrap().contains("no-reply@example.com"));
        assert!(mail["html"].as_str().unwrap().contains(&code_in(mail)));
        let code = code_in(mail);

        assert_error(&validity(&app, "forgot-password", "other@example.com", &code, &token).await, 400, "invalid_email");
        assert_error(&validity(&app, "forgot-password", USER_EMAIL, &code, "not-a-token").await, 400, "invalid_or_expired_token");
        // malformed codes are bad input, not guesses
        for bad in ["", "12345", "1234567", "12a456"] {
            assert_param(&validity(&app, "forgot-password", USER_EMAIL, bad, &token).await, "code");
        }
        // the reset needs the code first
        let reset = json!({"email": USER_EMAIL, "password": "newpass123", "password_confirm": "newpass123", "token": token});
        assert_error(&app.post("/console/api/forgot-password/resets", None, reset.clone()).await, 400, "invalid_or_expired_token");
        let r = validity(&app, "forgot-password", USER_EMAIL, &code, &token).await;
        assert_eq!(r.body, json!({"is_valid": true, "email": USER_EMAIL}), "the account's own address");

        for confirm in ["newpass124", "newpass123 "] {
            let mismatch = json!({"password": "newpass123", "password_confirm": confirm, "token": token});
            assert_error(&app.post("/console/api/forgot-password/resets", None, mismatch).await, 400, "password_mismatch");
        }
        let weak = json!({"new_password": "short", "password_confirm": "short", "token": token});
        assert_param(&app.post("/console/api/forgot-password/resets", None, weak).await, "new_password");
        let r = app.post("/console/api/forgot-password/resets", None, reset.clone()).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.body["result"], "success");
        let fresh = r.body["data"]["access_token"].as_str().unwrap().to_owned();
        assert_eq!(app.get("/console/api/account/profile", Some(&fresh)).await.status, StatusCode::OK);
        // one use only; the old password and the old sessions are gone
        assert_error(&app.post("/console/api/forgot-password/resets", None, reset).await, 400, "invalid_or_expired_token");
        assert_error(&app.login(USER_EMAIL, "user1234").await, 400, "email_or_password_mismatch");
        app.tokens(USER_EMAIL, "newpass123").await;
        assert_eq!(app.post("/console/api/refresh-token", None, json!({"refresh_token": old_refresh})).await.status, StatusCode::UNAUTHORIZED);
        assert_eq!(app.get("/console/api/account/profile", Some(&old_access)).await.status, StatusCode::UNAUTHORIZED);

        // the outbox keeps the delivery state, not the code
        let sent = app.get("/console/api/mail-outbox?status=sent", Some(&admin)).await;
        assert_eq!(sent.body["total"], 1, "{}", sent.body);
        assert_eq!(sent.body["data"][0]["template"], "password_reset_code");
        assert!(!sent.body.to_string().contains(&code));
    }

    async fn unknown_addresses_get_the_same_answer_and_a_notice(kind) {
        let sink = SmtpSink::start();
        let app = mail_app(kind, &sink.url(), &[]).await;
        app.admin().await;
        let known = forgot(&app, ADMIN_EMAIL).await;
        let unknown = forgot(&app, "ghost@example.com").await;
        assert_eq!(unknown.status, known.status);
        assert_eq!(unknown.body["result"], "success");
        assert_eq!(unknown.body.as_object().unwrap().keys().collect::<Vec<_>>(), known.body.as_object().unwrap().keys().collect::<Vec<_>>());
        let token = data_token(&unknown);
        let notice = &sink.wait_for("ghost@example.com", 1).await[0];
        assert_eq!(notice["subject"], "Password reset request");
        assert!(!has_code(notice), "{notice}");
        assert_error(&validity(&app, "forgot-password", "ghost@example.com", "000000", &token).await, 400, "email_code_error");

        // Dify's answers under the compatibility switch
        let reveal = spawn_on(app.db.clone(), &[("DANGER_REVEAL_UNKNOWN_ACCOUNTS", "true")]).await;
        assert_error(&forgot(&reveal, "nobody@example.com").await, 400, "account_not_found");
        let open = spawn_on(
            app.db.clone(),
            &[("DANGER_REVEAL_UNKNOWN_ACCOUNTS", "true"), ("ALLOW_REGISTER", "true"), ("SMTP_URL", &sink.url()), ("MAIL_FROM", FROM), ("MAIL_POLL_INTERVAL_MS", "50")],
        )
        .await;
        let r = forgot(&open, "walkin@example.com").await;
        assert_eq!(r.body["result"], "fail", "{}", r.body);
        assert_eq!(r.body["code"], "account_not_found");
        let token = data_token(&r);
        let code = code_in(&sink.wait_for("walkin@example.com", 1).await[0]);
        assert_eq!(validity(&open, "forgot-password", "walkin@example.com", &code, &token).await.body["is_valid"], true);
        let r = open.post("/console/api/forgot-password/resets", None, json!({"password": "walkin123", "password_confirm": "walkin123", "token": token})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        open.tokens("walkin@example.com", "walkin123").await;
    }

    async fn codes_are_throttled_attempt_limited_and_expire(kind) {
        let sink = SmtpSink::start();
        let app = mail_app(kind, &sink.url(), &[("EMAIL_RESEND_INTERVAL_SECONDS", "1")]).await;
        let admin = app.admin().await;
        app.create_user(&admin, USER_EMAIL).await;

        let first = data_token(&forgot(&app, ADMIN_EMAIL).await);
        assert_error(&forgot(&app, ADMIN_EMAIL).await, 429, "password_reset_rate_limit_exceeded");
        let code = code_in(&sink.wait_for(ADMIN_EMAIL, 1).await[0]);
        let wrong = if code == "000000" { "111111" } else { "000000" };
        for _ in 0..5 {
            assert_error(&validity(&app, "forgot-password", ADMIN_EMAIL, wrong, &first).await, 400, "email_code_error");
        }
        // five entries per code: the right one no longer helps
        assert_error(&validity(&app, "forgot-password", ADMIN_EMAIL, &code, &first).await, 400, "invalid_or_expired_token");
        actix_web::rt::time::sleep(std::time::Duration::from_millis(1100)).await;
        let second = data_token(&forgot(&app, ADMIN_EMAIL).await);
        let code = code_in(&sink.wait_for(ADMIN_EMAIL, 2).await[1]);
        assert_error(&validity(&app, "forgot-password", ADMIN_EMAIL, wrong, &second).await, 400, "email_code_error");
        // six wrong codes for the address: locked for the day, whatever the token
        assert_error(&validity(&app, "forgot-password", ADMIN_EMAIL, &code, &second).await, 429, "email_password_reset_limit");

        // an expired code is refused
        let token = data_token(&forgot(&app, USER_EMAIL).await);
        let code = code_in(&sink.wait_for(USER_EMAIL, 1).await[0]);
        sql(&app, "UPDATE verification_codes SET expires_at = '2000-01-01 00:00:00' WHERE purpose = 'reset_password'").await;
        assert_error(&validity(&app, "forgot-password", USER_EMAIL, &code, &token).await, 400, "invalid_or_expired_token");
    }

    async fn the_per_client_mail_throttle_holds_across_addresses(kind) {
        let sink = SmtpSink::start();
        let app = mail_app(kind, &sink.url(), &[("EMAIL_SEND_IP_LIMIT_PER_MINUTE", "2")]).await;
        app.admin().await;
        data_token(&forgot(&app, "a@example.com").await);
        data_token(&forgot(&app, "b@example.com").await);
        assert_error(&forgot(&app, "c@example.com").await, 429, "email_send_ip_limit");
        // bad input is named, not throttled into silence
        assert_param(&app.post("/console/api/forgot-password", None, json!({"email": "nope"})).await, "email");
        assert_param(&app.post("/console/api/forgot-password", None, json!({})).await, "email");
    }

    async fn an_smtp_outage_delays_mail_but_loses_none(kind) {
        let port = free_port();
        let app = mail_app(kind, &smtp_url(port), &[("MAIL_RETRY_BASE_SECONDS", "1")]).await;
        app.admin().await;
        // nothing listens: the request still succeeds
        let token = data_token(&forgot(&app, ADMIN_EMAIL).await);
        actix_web::rt::time::sleep(std::time::Duration::from_millis(1500)).await;
        let admin = app.tokens(ADMIN_EMAIL, ADMIN_PASSWORD).await.0;
        let pending = app.get("/console/api/mail-outbox?status=pending", Some(&admin)).await;
        assert_eq!(pending.body["total"], 1, "{}", pending.body);
        assert!(pending.body["data"][0]["attempts"].as_i64().unwrap() >= 1);
        assert!(pending.body["data"][0]["last_error"].as_str().is_some_and(|e| !e.is_empty()));
        // the server comes back: the mail arrives, once
        let sink = SmtpSink::start_on(port);
        let mail = sink.wait_for(ADMIN_EMAIL, 1).await;
        actix_web::rt::time::sleep(std::time::Duration::from_millis(2500)).await;
        assert_eq!(sink.messages().len(), 1, "{:?}", sink.messages());
        assert_eq!(validity(&app, "forgot-password", ADMIN_EMAIL, &code_in(&mail[0]), &token).await.body["is_valid"], true);
    }

    async fn mails_that_keep_failing_are_given_up_and_shown_to_admins(kind) {
        let app = mail_app(kind, &smtp_url(free_port()), &[("MAIL_MAX_ATTEMPTS", "1")]).await;
        let admin = app.admin().await;
        app.create_user(&admin, USER_EMAIL).await;
        data_token(&forgot(&app, ADMIN_EMAIL).await);
        let mut failed = Value::Null;
        for _ in 0..100 {
            failed = app.get("/console/api/mail-outbox?status=failed", Some(&admin)).await.body;
            if failed["total"] == 1 {
                break;
            }
            actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert_eq!(failed["total"], 1, "{failed}");
        let item = &failed["data"][0];
        assert_eq!(item["template"], "password_reset_code");
        assert_eq!(item["status"], "failed");
        assert_eq!(item["attempts"], 1);
        assert!(item["failed_at"].is_i64());
        let user = app.tokens(USER_EMAIL, "user1234").await.0;
        assert_error(&app.get("/console/api/mail-outbox", Some(&user)).await, 403, "forbidden");
        assert_param(&app.get("/console/api/mail-outbox?status=lost", Some(&admin)).await, "status");
    }

    async fn two_instances_share_the_outbox_and_send_each_mail_once(kind) {
        let sink = SmtpSink::start();
        let fast = [("SMTP_URL", sink.url()), ("MAIL_FROM", FROM.to_owned()), ("MAIL_POLL_INTERVAL_MS", "10".to_owned()), ("CONSOLE_WEB_URL", "https://console.test".to_owned())];
        let fast: Vec<(&str, &str)> = fast.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let one = spawn_app_with(kind, &fast).await;
        let _two = spawn_on(one.db.clone(), &fast).await;
        let admin = one.admin().await;
        let emails: Vec<String> = (0..12).map(|i| format!("invitee{i}@example.com")).collect();
        let r = one.post("/console/api/workspaces/current/members/invite-email", Some(&admin), json!({"emails": emails, "role": "normal", "language": "en-US"})).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        for email in &emails {
            sink.wait_for(email, 1).await;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(500)).await;
        assert_eq!(sink.messages().len(), emails.len(), "every invitation exactly once");

        // the mailed link activates the account
        let mail = &sink.messages_to("invitee0@example.com")[0];
        assert_eq!(mail["subject"], "Admin invited you to join Admin's Workspace");
        let text = mail["text"].as_str().unwrap();
        let link = text.split_whitespace().find(|w| w.starts_with("https://console.test/activate?")).expect("activation link");
        assert_eq!(link, r.body["invitation_results"][0]["url"].as_str().unwrap());
        let token = link.split("token=").nth(1).unwrap();
        let activate = json!({"email": "invitee0@example.com", "token": token, "name": "Invitee", "interface_language": "en-US", "timezone": "UTC"});
        let r = one.post("/console/api/activate", None, activate).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.body["result"], "success");
    }

    async fn self_registration_end_to_end(kind) {
        let sink = SmtpSink::start();
        let app = mail_app(kind, &sink.url(), &[("IS_PUBLIC_DEPLOYMENT", "true"), ("CONSOLE_WEB_URL", "https://console.test")]).await;
        app.admin().await;
        let r = app.post("/console/api/register", None, json!({"email": "new@example.com", "language": "en-US"})).await;
        let token = data_token(&r);
        let mail = &sink.wait_for("new@example.com", 1).await[0];
        assert_eq!(mail["subject"], "Your sign-up code");
        let code = code_in(mail);
        let finish = json!({"email": "new@example.com", "name": "Newbie", "password": "newbie123", "password_confirm": "newbie123", "token": token});
        // not before the code was entered
        assert_error(&app.post("/console/api/register/finish", None, finish.clone()).await, 400, "invalid_or_expired_token");
        assert_error(&validity(&app, "forgot-password", "new@example.com", &code, &token).await, 400, "invalid_or_expired_token");
        assert_eq!(validity(&app, "register", "new@example.com", &code, &token).await.body, json!({"is_valid": true, "email": "new@example.com"}));
        let r = app.post("/console/api/register/finish", None, finish.clone()).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let access = r.body["data"]["access_token"].as_str().unwrap().to_owned();
        assert_eq!(app.get("/console/api/account/profile", Some(&access)).await.body["name"], "Newbie");
        let group = app.get("/console/api/enterprise-groups/current", Some(&access)).await;
        assert!(group.body["name"].as_str().unwrap().starts_with("Newbie's group "), "{}", group.body);
        assert_eq!(group.body["group_role"], "super_admin");
        let current = app.get("/console/api/workspaces/current", Some(&access)).await;
        assert_eq!(current.body["name"], "Newbie's Workspace", "{}", current.body);
        assert_error(&app.post("/console/api/register/finish", None, finish).await, 400, "invalid_or_expired_token");
        app.tokens("new@example.com", "newbie123").await;

        // a taken address gets a notice, and the same answer
        let r = app.post("/console/api/register", None, json!({"email": ADMIN_EMAIL})).await;
        assert_eq!(r.body["result"], "success");
        let notice = &sink.wait_for(ADMIN_EMAIL, 1).await[0];
        assert_eq!(notice["subject"], "Someone tried to sign up with your address");
        assert!(notice["text"].as_str().unwrap().contains("https://console.test/signin"));
        assert!(!has_code(notice));

        // Dify's answer under the compatibility switch
        let reveal = spawn_on(app.db.clone(), &[("IS_PUBLIC_DEPLOYMENT", "true"), ("DANGER_REVEAL_UNKNOWN_ACCOUNTS", "true")]).await;
        assert_error(&reveal.post("/console/api/register", None, json!({"email": ADMIN_EMAIL})).await, 400, "user_register_failed");

        // closed unless the deployment is public
        let private = spawn_on(app.db.clone(), &[]).await;
        assert_error(&private.post("/console/api/register", None, json!({"email": "x@example.com"})).await, 403, "forbidden");
    }

    async fn admins_reset_passwords_and_clear_lockouts_without_mail(kind) {
        let app = spawn_app(kind).await;
        let admin = app.admin().await;
        let uid = app.create_user(&admin, USER_EMAIL).await;
        let (old_access, old_refresh) = app.tokens(USER_EMAIL, "user1234").await;
        for _ in 0..6 {
            assert_error(&app.login(USER_EMAIL, "wrong-pass1").await, 400, "email_or_password_mismatch");
        }
        assert_error(&app.login(USER_EMAIL, "user1234").await, 429, "email_code_login_limit");
        let r = app.post(&format!("/console/api/account-ex/unlock?id={uid}"), Some(&admin), json!({})).await;
        assert_eq!(r.body, json!({"result": "success"}));
        app.tokens(USER_EMAIL, "user1234").await;

        // the user cannot reach the admin; nobody resets their own password this way
        let user = app.tokens(USER_EMAIL, "user1234").await.0;
        let admin_id = app.get("/console/api/account/profile", Some(&admin)).await.body["id"].as_str().unwrap().to_owned();
        let body = json!({"new_password": "hijack123"});
        assert_error(&app.post(&format!("/console/api/account-ex/reset-password?id={admin_id}"), Some(&user), body.clone()).await, 404, "not_found");
        assert_error(&app.post(&format!("/console/api/account-ex/unlock?id={admin_id}"), Some(&user), json!({})).await, 404, "not_found");
        assert_error(&app.post(&format!("/console/api/account-ex/reset-password?id={uid}"), Some(&user), body.clone()).await, 403, "forbidden");
        assert_param(&app.post("/console/api/account-ex/reset-password", Some(&admin), body.clone()).await, "id");
        assert_param(&app.post(&format!("/console/api/account-ex/reset-password?id={uid}"), Some(&admin), json!({"new_password": "short"})).await, "new_password");
        let mismatch = json!({"new_password": "fresh1234", "repeat_new_password": "fresh1235"});
        assert_error(&app.post(&format!("/console/api/account-ex/reset-password?id={uid}"), Some(&admin), mismatch).await, 400, "repeat_password_not_match");

        // a reset clears the lockout and ends the user's sessions
        for _ in 0..7 {
            app.login(USER_EMAIL, "wrong-pass1").await;
        }
        let r = app.post(&format!("/console/api/account-ex/reset-password?id={uid}"), Some(&admin), json!({"new_password": "fresh1234"})).await;
        assert_eq!(r.body, json!({"result": "success"}), "{}", r.body);
        assert_eq!(app.get("/console/api/account/profile", Some(&old_access)).await.status, StatusCode::UNAUTHORIZED);
        assert_eq!(app.post("/console/api/refresh-token", None, json!({"refresh_token": old_refresh})).await.status, StatusCode::UNAUTHORIZED);
        assert_error(&app.login(USER_EMAIL, "user1234").await, 400, "email_or_password_mismatch");
        app.tokens(USER_EMAIL, "fresh1234").await;
    }
}
