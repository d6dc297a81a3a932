//! `accountd import dify`: a Dify 1.x database built from the fixture DDL in a scratch Postgres database, with
//! 10⁴ accounts whose passwords are hashed the Dify way (PBKDF2-SHA256, 10 000 iterations, base64 of the hex
//! digest), imported into accountd on each backend: the original passwords sign in through the console (and are
//! rehashed with bcrypt), memberships and provider links arrive, a second run updates without duplicating, and
//! a run after a partial import completes it. The source also has zgi-next's enterprise group tables: a group
//! with two workspaces and three members, whose own (shadow) workspace the source never created.

use base64::Engine;
use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection, RunQueryDsl};
use serde_json::json;

use crate::cli::accountd;
use crate::helpers::*;
use crate::http_test;

const ACCOUNTS: u32 = 10_000;
const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// A scratch database holding a Dify console's tables, dropped at the end.
struct DifySource {
    admin: String,
    name: String,
    url: String,
}

impl Drop for DifySource {
    fn drop(&mut self) {
        if let Ok(mut c) = PgConnection::establish(&self.admin) {
            let _ = c.batch_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name));
        }
    }
}

/// The password of Dify account number `n`, and its columns as Dify stores them (four salts in turn).
fn dify_password(n: u32) -> String {
    format!("dify-pass-{}", n % 4)
}

fn dify_columns(k: u32) -> (String, String) {
    let salt = [k as u8; 16];
    let mut derived = [0u8; 32];
    pbkdf2::pbkdf2_hmac::<sha2::Sha256>(dify_password(k).as_bytes(), &salt, 10_000, &mut derived);
    (B64.encode(hex::encode(derived)), B64.encode(salt))
}

impl DifySource {
    /// Accounts `user<from>` to `user<to>` (with their memberships) in a new source database.
    fn new() -> Self {
        let admin =
            std::env::var("TEST_DATABASE_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
        let name = format!("dify_src_{}", uuid::Uuid::new_v4().simple());
        PgConnection::establish(&admin).unwrap().batch_execute(&format!("CREATE DATABASE {name}")).unwrap();
        let url = format!("{}/{name}", admin.rsplit_once('/').unwrap().0);
        let source = Self { admin, name, url };
        source.conn().batch_execute(include_str!("../fixtures/dify-1.x.sql")).unwrap();
        source.conn().batch_execute(include_str!("../fixtures/zgi-next-groups.sql")).unwrap();
        source
            .conn()
            .batch_execute(
                &(0..20).map(|t| format!("INSERT INTO tenants (name) VALUES ('Workspace {t}');")).collect::<String>(),
            )
            .unwrap();
        source
    }

    fn conn(&self) -> PgConnection {
        PgConnection::establish(&self.url).unwrap()
    }

    /// Adds accounts `from..=to`: each joins workspace n % 20 (the first twenty own theirs), user1 has a GitHub
    /// link.
    fn add_accounts(&self, from: u32, to: u32) {
        let (hashes, salts): (Vec<String>, Vec<String>) = (0..4).map(dify_columns).unzip();
        let array = |v: &[String]| format!("ARRAY['{}']", v.join("','"));
        self.conn()
            .batch_execute(&format!(
                "INSERT INTO accounts (name, email, password, password_salt, status, interface_language, timezone, \
                 last_login_at, created_at, updated_at) \
                 SELECT 'User ' || n, 'user' || n || '@example.com', ({h})[n % 4 + 1], ({s})[n % 4 + 1], 'active', \
                 'zh-Hans', 'Asia/Shanghai', now(), now(), now() FROM generate_series({from}, {to}) n; \
                 INSERT INTO tenant_account_joins (tenant_id, account_id, current, role) \
                 SELECT t.id, a.id, true, CASE WHEN a.n <= 20 THEN 'owner' ELSE 'normal' END \
                 FROM (SELECT id, split_part(split_part(email, '@', 1), 'user', 2)::int AS n FROM accounts \
                       WHERE email LIKE 'user%') a \
                 JOIN tenants t ON t.name = 'Workspace ' || (a.n % 20) \
                 WHERE a.n BETWEEN {from} AND {to}; \
                 INSERT INTO account_integrates (account_id, provider, open_id, encrypted_token) \
                 SELECT id, 'github', '1001', 'token' FROM accounts WHERE email = 'user1@example.com' \
                 AND {from} <= 1;",
                h = array(&hashes),
                s = array(&salts),
            ))
            .unwrap();
    }
}

fn import(app: &TestApp, source: &DifySource, extra: &[&str]) -> String {
    let mut args = vec!["import", "dify", "--from", &source.url];
    args.extend_from_slice(extra);
    let out = accountd(app.db.url(), &args);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    stdout
}

fn count(app: &TestApp, sql: &str) -> i64 {
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let db = db::Database::connect(app.db.url(), &db::DbOptions { pool_size: 1, ..Default::default() }).unwrap();
    diesel::sql_query(sql).get_result::<N>(&mut *db.get().unwrap()).unwrap().n
}

http_test! {
    async fn a_dify_console_signs_in_to_accountd_with_its_own_passwords(kind) {
        if !testkit::postgres_enabled() {
            return;
        }
        let source = DifySource::new();
        source.add_accounts(1, ACCOUNTS / 2);
        source.conn().batch_execute(
            "INSERT INTO accounts (name, email, status) VALUES ('Broken', 'not-an-email', 'active'); \
             INSERT INTO accounts (id, name, email, status) VALUES \
                 ('ffffffff-ffff-4fff-bfff-fffffffffffe', 'Twin', 'twin@example.com', 'active'), \
                 ('ffffffff-ffff-4fff-bfff-ffffffffffff', 'Twin', 'TWIN@example.com', 'active'); \
             INSERT INTO accounts (name, email, status, password, password_salt) VALUES ('New', 'fresh@example.com', 'uninitialized', NULL, NULL);"
        ).unwrap();
        source.conn().batch_execute(
            "INSERT INTO enterprise_groups (id, name, short_name) VALUES ('6f1b1c9e-0000-4000-8000-000000000001', 'Research Group', 'R&D'); \
             INSERT INTO enterprise_group_tenant_joins (group_id, tenant_id) \
             SELECT '6f1b1c9e-0000-4000-8000-000000000001', id FROM tenants WHERE name IN ('Workspace 1', 'Workspace 2'); \
             INSERT INTO enterprise_group_account_joins (group_id, account_id, role) \
             SELECT '6f1b1c9e-0000-4000-8000-000000000001', id, \
                    CASE email WHEN 'user1@example.com' THEN 'super_admin' WHEN 'user2@example.com' THEN 'admin' ELSE 'normal' END \
             FROM accounts WHERE email IN ('user1@example.com', 'user2@example.com', 'user3@example.com');"
        ).unwrap();
        let app = spawn_app(kind).await;
        let admin = app.admin().await;

        let dry = import(&app, &source, &["--dry-run"]);
        assert!(dry.contains("dry run: nothing was written"), "{dry}");
        assert_eq!(count(&app, "SELECT COUNT(*) AS n FROM accounts"), 1, "{dry}");

        // a first run imports half the accounts; the source grows; the next run completes it
        let first = import(&app, &source, &["--batch", "700"]);
        assert!(first.contains(&format!("accounts: read {}, written {}, skipped 2", ACCOUNTS / 2 + 4, ACCOUNTS / 2 + 2)), "{first}");
        assert!(first.contains("not-an-email"), "{first}");
        // two source accounts with one address (in other letter case), in one batch: the first is imported
        assert!(first.contains("skipped ffffffff-ffff-4fff-bfff-ffffffffffff: another account of the source has this email"), "{first}");
        assert_eq!(count(&app, "SELECT COUNT(*) AS n FROM accounts WHERE email_key = 'twin@example.com'"), 1);
        assert!(first.contains("invitation_codes: found in the source, not imported"), "{first}");
        source.add_accounts(ACCOUNTS / 2 + 1, ACCOUNTS);
        let second = import(&app, &source, &[]);
        let app = TestApp { base: app.base.clone(), client: awc::Client::default(), db: app.db.clone() };
        assert!(second.contains(&format!("accounts: read {}, written {}, skipped 2", ACCOUNTS + 4, ACCOUNTS + 2)), "{second}");
        // twenty workspaces, and the group's own one, which the source never created
        assert!(second.contains("tenants (workspaces): read 20, written 21, skipped 0"), "{second}");
        assert!(second.contains(&format!("tenant_account_joins (memberships): read {ACCOUNTS}, written {ACCOUNTS}, skipped 0")), "{second}");
        assert!(second.contains("account_integrates (provider links): read 1, written 1, skipped 0"), "{second}");
        assert!(second.contains(&format!("{ACCOUNTS} accounts still sign in with an imported PBKDF2 password")), "{second}");
        assert!(second.contains("enterprise_groups (groups): read 1, written 1, skipped 0"), "{second}");
        assert!(second.contains("enterprise_group_tenant_joins (workspaces of groups): read 2, written 2, skipped 0"), "{second}");
        assert!(second.contains("enterprise_group_account_joins (group members): read 3, written 3, skipped 0"), "{second}");
        assert_eq!(count(&app, "SELECT COUNT(*) AS n FROM accounts"), i64::from(ACCOUNTS) + 3);
        // the admin's two, and the three group members in the group's own workspace
        assert_eq!(count(&app, "SELECT COUNT(*) AS n FROM tenant_members"), i64::from(ACCOUNTS) + 5);

        // the original passwords sign in; the hash becomes bcrypt at that sign-in
        for n in [1, 2, 7, ACCOUNTS] {
            let email = format!("user{n}@example.com");
            let (token, _) = app.tokens(&email, &dify_password(n)).await;
            let me = app.get("/console/api/account/profile", Some(&token)).await;
            assert_eq!((me.body["email"].as_str(), me.body["timezone"].as_str()), (Some(email.as_str()), Some("Asia/Shanghai")), "{}", me.body);
            assert_error(&app.login(&email, "wrong-pass-9").await, 400, "email_or_password_mismatch");
        }
        // the group arrives whole: its super admin manages it and sees its two workspaces, a plain member does not
        let group = "6f1b1c9e-0000-4000-8000-000000000001";
        let (lead, _) = app.tokens("user1@example.com", &dify_password(1)).await;
        let (plain, _) = app.tokens("user3@example.com", &dify_password(3)).await;
        let check = format!("/console/api/enterprise-groups/{group}/check-manage-permission?switch_tenant=false");
        assert_eq!(app.get(&check, Some(&lead)).await.body["has_permission"], true);
        assert_eq!(app.get(&check, Some(&plain)).await.body["has_permission"], false);
        let tenants = app.get(&format!("/console/api/enterprise-groups/{group}/tenants"), Some(&lead)).await;
        assert_eq!(tenants.body["total"], 2, "{}", tenants.body);
        assert_eq!(count(&app, &format!("SELECT COUNT(*) AS n FROM tenants WHERE id = '{group}' AND group_id = '{group}'")), 1);
        let left = count(&app, "SELECT COUNT(*) AS n FROM accounts WHERE password_hash LIKE 'pbkdf2_sha256%'");
        assert_eq!(left, i64::from(ACCOUNTS) - 5, "users 1, 2, 3, 7 and the last signed in");
        assert_eq!(count(&app, "SELECT COUNT(*) AS n FROM accounts WHERE email = 'user7@example.com' AND password_hash LIKE '$2%'"), 1);
        let owner = app.tokens("user3@example.com", &dify_password(3)).await.0;
        let members = app.get("/console/api/workspaces/current/members", Some(&owner)).await;
        assert_eq!(members.body["accounts"].as_array().map(Vec::len), Some(500), "{}", members.body);

        // a third run updates and duplicates nothing; it keeps the bcrypt hashes made since
        import(&app, &source, &[]);
        // (the client's kept-alive connection may have been closed by the server while the import ran)
        let app = TestApp { base: app.base.clone(), client: awc::Client::default(), db: app.db.clone() };
        assert_eq!(count(&app, "SELECT COUNT(*) AS n FROM accounts"), i64::from(ACCOUNTS) + 3);
        assert_eq!(count(&app, "SELECT COUNT(*) AS n FROM account_identities"), 1);
        assert_eq!(count(&app, "SELECT COUNT(*) AS n FROM accounts WHERE password_hash LIKE 'pbkdf2_sha256%'"), left);
        app.tokens("user7@example.com", &dify_password(7)).await;
        let r = app.get("/console/api/account/profile", Some(&admin)).await;
        assert_eq!(r.body["email"], json!(ADMIN_EMAIL));
    }

    async fn an_interrupted_import_is_completed_by_running_it_again(kind) {
        if !testkit::postgres_enabled() {
            return;
        }
        let source = DifySource::new();
        source.add_accounts(1, ACCOUNTS);
        let app = spawn_app(kind).await;
        app.admin().await;
        let mut run = std::process::Command::new(env!("CARGO_BIN_EXE_accountd"))
            .args(["import", "dify", "--from", &source.url, "--batch", "100"])
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("DATABASE_URL", app.db.url())
            .env("SECRET_KEY", SECRET)
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        // killed (SIGKILL) as soon as some batches are in
        let killed_midway = loop {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            if run.try_wait().unwrap().is_some() {
                break false;
            }
            if count(&app, "SELECT COUNT(*) AS n FROM accounts") > 1 {
                run.kill().unwrap();
                break true;
            }
        };
        run.wait().unwrap();
        let partial = count(&app, "SELECT COUNT(*) AS n FROM accounts") - 1;
        eprintln!("killed midway: {killed_midway}, {partial} accounts were in");
        if killed_midway && partial < i64::from(ACCOUNTS) {
            assert_eq!(partial % 100, 0, "whole batches only: {partial}");
        }
        import(&app, &source, &[]);
        assert_eq!(count(&app, "SELECT COUNT(*) AS n FROM accounts"), i64::from(ACCOUNTS) + 1);
        assert_eq!(count(&app, "SELECT COUNT(*) AS n FROM tenant_members"), i64::from(ACCOUNTS) + 2);
        let app = TestApp { base: app.base.clone(), client: awc::Client::default(), db: app.db.clone() };
        app.tokens("user99@example.com", &dify_password(99)).await;
    }
}
