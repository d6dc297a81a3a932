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

http_test! {
    async fn a_ban_written_by_another_instance_takes_effect_within_the_authentication_cache_bound(kind) {
        // two instances on one database, each keeping authenticated accounts for at most one second
        let bound = std::time::Duration::from_millis(1000);
        let cache = [("AUTH_CACHE_MILLISECONDS", "1000")];
        let one = spawn_app_with(kind, &cache).await;
        let two = spawn_on(one.db.clone(), &cache).await;
        let admin = one.admin().await;
        let uid = one.create_user(&admin, USER).await;
        let key = issue_key(&one, &admin).await;
        let bearer = format!("Bearer {}.{}", key.access_key, key.secret);
        let (token, _) = one.tokens(USER, "user1234").await;
        // both instances have read the account for this token, and keep it
        for app in [&one, &two] {
            assert_eq!(app.get("/console/api/account/profile", Some(&token)).await.status, StatusCode::OK);
        }
        // the ban is written through instance one: it refuses the token at once
        let ban = json!({"status": 4}).to_string();
        let r = one.request(Method::PUT, &format!("/openapi/v1/accounts/{uid}/"), None, Some(ban.as_bytes()), &[("Authorization", &bearer)]).await;
        assert_eq!(r.body["data"]["status"], 4, "{}", r.body);
        let banned_at = std::time::Instant::now();
        assert_eq!(one.get("/console/api/account/profile", Some(&token)).await.status, StatusCode::UNAUTHORIZED);
        // instance two refuses it within the bound (it may accept it until then, never after)
        loop {
            // a request sent within the bound may still be accepted
            let sent = banned_at.elapsed();
            let status = two.get("/console/api/account/profile", Some(&token)).await.status;
            if status == StatusCode::UNAUTHORIZED {
                assert!(sent <= bound + std::time::Duration::from_millis(100), "refused after {sent:?}");
                break;
            }
            assert_eq!(status, StatusCode::OK);
            assert!(sent < bound, "still accepted {sent:?} after the ban");
            actix_web::rt::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        // a password change through instance two is at once refused there, and on instance one within the bound
        let r = one.request(Method::PUT, &format!("/openapi/v1/accounts/{uid}/"), None, Some(json!({"status": 1}).to_string().as_bytes()), &[("Authorization", &bearer)]).await;
        assert_eq!(r.body["data"]["status"], 1, "{}", r.body);
        let (fresh, _) = two.tokens(USER, "user1234").await;
        assert_eq!(one.get("/console/api/account/profile", Some(&fresh)).await.status, StatusCode::OK);
        let key_two = issue_key(&two, &admin).await;
        let body = json!({"password": "changed1234"}).to_string();
        let auth_two = format!("Bearer {}.{}", key_two.access_key, key_two.secret);
        let r = two.request(Method::PUT, &format!("/openapi/v1/accounts/{uid}/"), None, Some(body.as_bytes()), &[("Authorization", &auth_two)]).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let changed_at = std::time::Instant::now();
        assert_eq!(two.get("/console/api/account/profile", Some(&fresh)).await.status, StatusCode::UNAUTHORIZED);
        loop {
            let sent = changed_at.elapsed();
            let status = one.get("/console/api/account/profile", Some(&fresh)).await.status;
            if status == StatusCode::UNAUTHORIZED {
                break;
            }
            assert!(sent < bound, "still accepted {sent:?} after the password change");
            actix_web::rt::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }
}

http_test! {
    async fn a_demotion_written_by_another_instance_takes_effect_within_the_cache_bound(kind) {
        // two instances on one database, each keeping group memberships for at most one second
        let bound = std::time::Duration::from_millis(1000);
        let cache = [("AUTH_CACHE_MILLISECONDS", "1000")];
        let one = spawn_app_with(kind, &cache).await;
        let two = spawn_on(one.db.clone(), &cache).await;
        let admin = one.admin().await;
        let current = one.get("/console/api/enterprise-groups/current", Some(&admin)).await;
        let gid = current.body["id"].as_str().expect("the admin's current group").to_owned();
        let uid = one.create_user(&admin, USER).await;
        let role = |role: &str| json!({"group_role": role});
        let r = one.put(&format!("/console/api/account-ex/id?id={uid}"), Some(&admin), role("admin")).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let (token, _) = one.tokens(USER, "user1234").await;
        let members = format!("/console/api/enterprise-groups/{gid}/members");
        // both instances have read the group admin's memberships for its permission check, and keep them
        for app in [&one, &two] {
            assert_eq!(app.get(&members, Some(&token)).await.status, StatusCode::OK);
        }
        // the demotion is written through instance one: it refuses the page at once
        let r = one.put(&format!("/console/api/account-ex/id?id={uid}"), Some(&admin), role("normal")).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let demoted_at = std::time::Instant::now();
        assert_error(&one.get(&members, Some(&token)).await, 403, "forbidden");
        // instance two refuses it within the bound (it may allow it until then, never after)
        loop {
            // a request sent within the bound may still be allowed
            let sent = demoted_at.elapsed();
            let status = two.get(&members, Some(&token)).await.status;
            if status == StatusCode::FORBIDDEN {
                assert!(sent <= bound + std::time::Duration::from_millis(100), "refused after {sent:?}");
                break;
            }
            assert_eq!(status, StatusCode::OK);
            assert!(sent < bound, "still allowed {sent:?} after the demotion");
            actix_web::rt::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        // and a promotion through instance two is at once in force there
        let r = two.put(&format!("/console/api/account-ex/id?id={uid}"), Some(&admin), role("admin")).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(two.get(&members, Some(&token)).await.status, StatusCode::OK);
    }
}
