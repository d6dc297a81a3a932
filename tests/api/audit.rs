//! The audit log from outside: platform administrators and auditors read it newest first, filtered and paged by
//! cursor without gaps or repeats; anybody else is refused; `accountd audit` prints the same events.

use std::collections::HashSet;
use std::process::Command;

use awc::http::StatusCode;
use serde_json::{json, Value};

use crate::helpers::*;
use crate::http_test;

fn events(r: &Reply) -> Vec<Value> {
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.body["data"].as_array().unwrap().clone()
}

http_test! {
    async fn platform_readers_read_the_audit_log_filtered_and_paged(kind) {
        let app = spawn_app(kind).await;
        let admin = app.admin().await;
        let admin_id = app.get("/console/api/account/profile", Some(&admin)).await.body["id"].as_str().unwrap().to_owned();
        let mut users = Vec::new();
        for n in 0..3 {
            users.push(app.create_user(&admin, &format!("audited{n}@example.com")).await);
        }
        let r = app.post(&format!("/console/api/account-ex/reset-password?id={}", users[0]), Some(&admin), json!({"new_password": "fresh1234"})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);

        let all = events(&app.get("/console/api/audit-events?limit=100", Some(&admin)).await);
        assert!(all.len() >= 4, "{all:?}");
        let times: Vec<&str> = all.iter().map(|e| e["at"].as_str().unwrap()).collect();
        assert!(times.windows(2).all(|w| w[0] >= w[1]), "newest first: {times:?}");

        // pages of two, followed by cursor, give every event once
        let mut seen = Vec::new();
        let mut path = "/console/api/audit-events?limit=2".to_owned();
        loop {
            let r = app.get(&path, Some(&admin)).await;
            let page = events(&r);
            assert!(page.len() <= 2);
            seen.extend(page.iter().map(|e| e["id"].as_str().unwrap().to_owned()));
            match r.body["next_cursor"].as_str() {
                Some(cursor) => {
                    assert_eq!(r.body["has_more"], true);
                    path = format!("/console/api/audit-events?limit=2&cursor={cursor}");
                }
                None => break,
            }
        }
        let all_ids: Vec<String> = all.iter().map(|e| e["id"].as_str().unwrap().to_owned()).collect();
        assert_eq!(seen, all_ids, "the pages are the whole log, in order");
        assert_eq!(seen.iter().collect::<HashSet<_>>().len(), seen.len());

        // filters
        let created = events(&app.get("/console/api/audit-events?action=account.create", Some(&admin)).await);
        assert_eq!(created.len(), 3, "{created:?}");
        assert!(created.iter().all(|e| e["action"] == "account.create" && e["actor_account_id"] == admin_id.as_str()));
        let one = events(&app.get(&format!("/console/api/audit-events?target_type=account&target_id={}", users[0]), Some(&admin)).await);
        assert!(one.len() >= 2 && one.iter().all(|e| e["target_id"] == users[0].as_str()), "{one:?}");
        let mine = events(&app.get(&format!("/console/api/audit-events?actor={admin_id}"), Some(&admin)).await);
        assert_eq!(mine.len(), all.len(), "every event here is the admin's");
        let later = events(&app.get("/console/api/audit-events?since=2999-01-01T00:00:00Z", Some(&admin)).await);
        assert!(later.is_empty());
        let earlier = events(&app.get("/console/api/audit-events?until=2000-01-01T00:00:00%2B08:00", Some(&admin)).await);
        assert!(earlier.is_empty());

        // bad parameters are named
        for (query, field) in [("cursor=nonsense", "cursor"), ("since=yesterday", "since"), ("actor=42", "actor"), ("limit=101", "limit"), ("since=2026-01-02T00:00:00Z&until=2026-01-01T00:00:00Z", "until")] {
            assert_param(&app.get(&format!("/console/api/audit-events?{query}"), Some(&admin)).await, field);
        }

        // a normal user is refused; an auditor reads
        let user = app.tokens("audited1@example.com", "user1234").await.0;
        assert_error(&app.get("/console/api/audit-events", Some(&user)).await, 403, "forbidden");
        assert_error(&app.get("/console/api/audit-events", None).await, 401, "unauthorized");
        sql(&app, &format!("UPDATE accounts SET system_role = 'auditor' WHERE id = '{}'", users[2]));
        let auditor = app.tokens("audited2@example.com", "user1234").await.0;
        assert_eq!(events(&app.get("/console/api/audit-events?limit=100", Some(&auditor)).await).len(), all.len());

        // the command line prints the same events
        let out = Command::new(env!("CARGO_BIN_EXE_accountd"))
            .args(["audit", "--action", "account.create", "--limit", "2"])
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("DATABASE_URL", app.db.url())
            .env("SECRET_KEY", SECRET)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let printed: Vec<Value> = String::from_utf8_lossy(&out.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(printed, created[..2].to_vec());
        assert!(String::from_utf8_lossy(&out.stderr).contains("more: --cursor "), "a third event is left");
    }
}
