//! Revocation is exact: an access token issued before a password change or a ban is refused at once, even when
//! both happen in the same second, and one issued after it is accepted at once.

use awc::http::{Method, StatusCode};
use serde_json::json;

use crate::helpers::*;
use crate::http_test;

const USER: &str = "rita@example.com";

http_test! {
    async fn a_token_issued_in_the_second_of_a_password_change_is_refused(kind) {
        let app = spawn_app(kind).await;
        let admin = app.admin().await;
        let uid = app.create_user(&admin, USER).await;
        let key = issue_key(&app, &admin).await;
        let bearer = format!("Bearer {}.{}", key.access_key, key.secret);
        let mut password = "user1234".to_owned();
        // Several rounds without pauses: before generations, each round was accepted unless it crossed a second.
        for round in 0..4 {
            let (before, _) = app.tokens(USER, &password).await;
            let next = format!("round{round}pass");
            let r = if round % 2 == 0 {
                app.post(&format!("/console/api/account-ex/reset-password?id={uid}"), Some(&admin), json!({"new_password": next})).await
            } else {
                let body = json!({"password": next}).to_string();
                app.request(Method::PUT, &format!("/openapi/v1/accounts/{uid}/"), None, Some(body.as_bytes()), &[("Authorization", &bearer)]).await
            };
            assert_eq!(r.status, StatusCode::OK, "round {round}: {}", r.body);
            password = next;
            let refused = app.get("/console/api/account/profile", Some(&before)).await;
            assert_error(&refused, 401, "unauthorized");
            let (after, _) = app.tokens(USER, &password).await;
            assert_eq!(app.get("/console/api/account/profile", Some(&after)).await.status, StatusCode::OK, "round {round}");
        }
    }

    async fn a_ban_refuses_the_token_issued_just_before_it(kind) {
        let app = spawn_app(kind).await;
        let admin = app.admin().await;
        let uid = app.create_user(&admin, USER).await;
        let key = issue_key(&app, &admin).await;
        let bearer = format!("Bearer {}.{}", key.access_key, key.secret);
        let status = |value: i64| json!({"status": value}).to_string();
        for round in 0..3 {
            let (before, _) = app.tokens(USER, "user1234").await;
            let path = format!("/openapi/v1/accounts/{uid}/");
            let r = app.request(Method::PUT, &path, None, Some(status(4).as_bytes()), &[("Authorization", &bearer)]).await;
            assert_eq!(r.body["data"]["status"], 4, "round {round}: {}", r.body);
            let r = app.request(Method::PUT, &path, None, Some(status(1).as_bytes()), &[("Authorization", &bearer)]).await;
            assert_eq!(r.body["data"]["status"], 1, "round {round}: {}", r.body);
            // the ban is lifted again, but the token issued before it stays refused
            assert_error(&app.get("/console/api/account/profile", Some(&before)).await, 401, "unauthorized");
            let (after, _) = app.tokens(USER, "user1234").await;
            assert_eq!(app.get("/console/api/account/profile", Some(&after)).await.status, StatusCode::OK, "round {round}");
        }
    }
}
