//! Repository contract tests: one body per behaviour, run on SQLite and on Postgres.

use db::{
    DieselAccessKeys, DieselAccounts, DieselCodes, DieselDirectory, DieselHousekeeping, DieselIdentities, DieselOutbox,
    DieselSessions, DieselThrottles,
};
use domain::model::*;
use domain::ports::*;
use domain::DomainError;
use testkit::both_backends;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

fn now() -> OffsetDateTime {
    // microsecond precision, as stored
    let t = OffsetDateTime::now_utc();
    t.replace_nanosecond(t.microsecond() * 1000).unwrap()
}

fn account(email: &str) -> Account {
    let mut a = Account::new(Uuid::new_v4(), "name".into(), Some(email.into()), now());
    a.password_hash = Some("$2b$04$hash".into());
    a
}

fn change(account: Account, expected_updated_at: OffsetDateTime) -> AccountChange {
    AccountChange { account, expected_updated_at, group_role: None, revoke_sessions_at: None }
}

fn installation(at: OffsetDateTime) -> Installation {
    let mut admin = account("Root@Example.com");
    admin.name = "root".into();
    admin.system_role = Some(SystemRole::SuperAdmin);
    Installation { founding: founding(admin, "Default Group", at), version: "test".into() }
}

/// `founder` founding the group `name` with its shadow tenant and own workspace.
fn founding(admin: Account, name: &str, at: OffsetDateTime) -> GroupFounding {
    let gid = Uuid::new_v4();
    let shadow = Workspace::new(gid, name.into(), Some(gid), at);
    let ws = Workspace::new(Uuid::new_v4(), format!("{}'s Workspace", admin.name), Some(gid), at);
    let join = |t: &Workspace, current| WorkspaceMembership {
        tenant_id: t.id,
        account_id: admin.id,
        role: WorkspaceRole::Owner,
        position: None,
        permissions: vec![WorkspacePermission::CreateAgent],
        current,
        invited_by: None,
        created_at: at,
    };
    GroupFounding {
        tenant_members: vec![join(&shadow, false), join(&ws, true)],
        group_members: vec![GroupMembership {
            group_id: gid,
            account_id: admin.id,
            role: GroupRole::SuperAdmin,
            created_at: at,
        }],
        group: EnterpriseGroup {
            id: gid,
            name: name.into(),
            short_name: None,
            status: GroupStatus::Active,
            workspace_defaults: serde_json::json!({}),
            created_at: at,
            updated_at: at,
        },
        tenants: vec![shadow, ws],
        founder: admin,
    }
}

#[test]
fn both_backends_have_the_same_migration_versions() {
    let (pg, sqlite) = db::migration_versions();
    assert!(!pg.is_empty());
    assert_eq!(pg, sqlite);
}

both_backends! {
    async fn work_runs_on_at_most_pool_size_connections_and_waiting_times_out(tdb) {
        use std::sync::atomic::{AtomicUsize, Ordering};
        use std::sync::Arc;
        let options = db::DbOptions {
            pool_size: 2,
            acquire_timeout: std::time::Duration::from_millis(300),
            ..Default::default()
        };
        let db = db::Database::connect(tdb.url(), &options).unwrap();
        let (running, most) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let hops: Vec<_> = (0..8)
            .map(|_| {
                let (db, running, most) = (db.clone(), Arc::clone(&running), Arc::clone(&most));
                tokio::spawn(async move {
                    db.run(move |_| {
                        let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                        most.fetch_max(now, Ordering::SeqCst);
                        std::thread::sleep(std::time::Duration::from_millis(20));
                        running.fetch_sub(1, Ordering::SeqCst);
                        Ok(())
                    })
                    .await
                })
            })
            .collect();
        for hop in hops {
            hop.await.unwrap().unwrap();
        }
        assert_eq!(most.load(Ordering::SeqCst), 2, "work ran beyond the pool's two connections");

        // both connections busy for longer than the acquire timeout: a third caller gives up with an error
        let busy = |db: db::Database| async move {
            db.run(|_| {
                std::thread::sleep(std::time::Duration::from_millis(900));
                Ok(())
            })
            .await
        };
        let (first, second) = (tokio::spawn(busy(db.clone())), tokio::spawn(busy(db.clone())));
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        let err = db.run(|_| Ok(())).await.unwrap_err();
        assert!(err.to_string().contains("no database connection"), "{err}");
        first.await.unwrap().unwrap();
        second.await.unwrap().unwrap();
        db.run(|_| Ok(())).await.unwrap();
    }

    async fn migrations_go_down_and_up_again(tdb) {
        let db = tdb.connect();
        let mut conn = db.get().unwrap();
        db::require_migrated(&mut conn).unwrap();
        assert!(db::revert_all(&mut conn).unwrap() >= 1);
        let pending = db::require_migrated(&mut conn).unwrap_err().to_string();
        assert!(pending.contains("accountd migrate"), "{pending}");
        assert!(!db::run_migrations(&mut conn).unwrap().is_empty());
        db::require_migrated(&mut conn).unwrap();
    }

    async fn activity_is_written_only_when_older_than_the_cutoff(tdb) {
        let repo = DieselAccounts::new(tdb.connect());
        let a = account("active@example.com");
        repo.insert(&a, &[], &[]).await.unwrap();
        let last_active = |r: &DieselAccounts| {
            let r = r.clone();
            async move { r.get(a.id).await.unwrap().unwrap().last_active_at }
        };
        let t0 = now();
        // never active: written
        repo.touch_active(a.id, t0, t0 - Duration::minutes(10)).await.unwrap();
        assert_eq!(last_active(&repo).await, Some(t0));
        // active within the interval: left alone
        let t1 = t0 + Duration::minutes(5);
        repo.touch_active(a.id, t1, t1 - Duration::minutes(10)).await.unwrap();
        assert_eq!(last_active(&repo).await, Some(t0));
        // older than the cutoff: written
        let t2 = t0 + Duration::minutes(11);
        repo.touch_active(a.id, t2, t2 - Duration::minutes(10)).await.unwrap();
        assert_eq!(last_active(&repo).await, Some(t2));
    }

    async fn account_round_trips_every_field(tdb) {
        let repo = DieselAccounts::new(tdb.connect());
        let mut a = account("Ann@Example.com");
        a.username = Some("ann".into());
        a.phone = Some("13800138000".into());
        a.attributes.insert("k".into(), serde_json::json!("v"));
        a.system_role = Some(SystemRole::Auditor);
        a.extension.mobile = Some("1".into());
        a.session_policy.idle_timeout_secs = Some(1800);
        a.last_login_at = Some(now());
        repo.insert(&a, &[], &[]).await.unwrap();
        assert_eq!(repo.get(a.id).await.unwrap(), Some(a.clone()));
        assert_eq!(repo.find_live_by_email("ann@example.com").await.unwrap().map(|x| x.id), Some(a.id));
        assert_eq!(repo.get(Uuid::new_v4()).await.unwrap(), None);
    }

    async fn identifiers_are_unique_among_live_accounts_only(tdb) {
        let repo = DieselAccounts::new(tdb.connect());
        let mut first = account("dup@example.com");
        first.username = Some("dup".into());
        repo.insert(&first, &[], &[]).await.unwrap();
        let err = repo.insert(&account("DUP@example.com"), &[], &[]).await.unwrap_err();
        assert!(matches!(err, DomainError::Conflict { field: "email" }), "{err:?}");
        let mut same_name = account("other@example.com");
        same_name.username = Some("dup".into());
        let err = repo.insert(&same_name, &[], &[]).await.unwrap_err();
        assert!(matches!(err, DomainError::Conflict { field: "username" }), "{err:?}");
        // soft delete frees the identifiers
        let read_at = first.updated_at;
        first.deleted_at = Some(now());
        first.updated_at = now();
        repo.update_batch(&[change(first.clone(), read_at)], &[]).await.unwrap();
        repo.insert(&account("dup@example.com"), &[], &[]).await.unwrap();
        repo.insert(&same_name, &[], &[]).await.unwrap();
        assert_eq!(repo.find_live_by_email("dup@example.com").await.unwrap().map(|a| a.deleted_at), Some(None));
    }

    async fn update_of_unknown_account_is_not_found(tdb) {
        let repo = DieselAccounts::new(tdb.connect());
        let a = account("x@example.com");
        assert!(matches!(repo.update_batch(&[change(a.clone(), a.updated_at)], &[]).await, Err(DomainError::NotFound { .. })));
    }

    async fn a_stale_update_is_refused_and_writes_nothing(tdb) {
        let repo = DieselAccounts::new(tdb.connect());
        let a = account("stale@example.com");
        repo.insert(&a, &[], &[]).await.unwrap();
        let mut first = a.clone();
        first.name = "first".into();
        first.updated_at = a.updated_at + Duration::seconds(1);
        repo.update_batch(&[change(first, a.updated_at)], &[]).await.unwrap();
        // a writer that read before the first change
        let mut late = a.clone();
        late.name = "late".into();
        late.status = AccountStatus::Active;
        late.updated_at = a.updated_at + Duration::seconds(2);
        assert!(matches!(repo.update_batch(&[change(late, a.updated_at)], &[]).await, Err(DomainError::Stale)));
        assert_eq!(repo.get(a.id).await.unwrap().unwrap().name, "first");
    }

    async fn an_update_keeps_login_activity_written_meanwhile(tdb) {
        let repo = DieselAccounts::new(tdb.connect());
        let a = account("act@example.com");
        repo.insert(&a, &[], &[]).await.unwrap();
        let at = now();
        repo.record_login(a.id, at, Some("10.1.1.1".into())).await.unwrap();
        let mut edited = a.clone();
        edited.name = "edited".into();
        edited.updated_at = at;
        repo.update_batch(&[change(edited, a.updated_at)], &[]).await.unwrap();
        let got = repo.get(a.id).await.unwrap().unwrap();
        assert_eq!((got.name.as_str(), got.last_login_at, got.last_login_ip.as_deref()), ("edited", Some(at), Some("10.1.1.1")));
    }

    async fn an_update_with_a_failing_group_role_change_writes_nothing(tdb) {
        let db = tdb.connect();
        let repo = DieselAccounts::new(db.clone());
        let sessions = DieselSessions::new(db.clone());
        let a = account("grp@example.com");
        repo.insert(&a, &[], &[]).await.unwrap();
        let t0 = now();
        let s = LoginSession { id: Uuid::new_v4(), account_id: a.id, created_at: t0, absolute_expires_at: t0 + Duration::days(1), ip: None };
        sessions.start(&s, "g1", t0 + Duration::days(1)).await.unwrap();
        let mut banned = a.clone();
        banned.status = AccountStatus::Banned;
        banned.updated_at = t0;
        let c = AccountChange { account: banned, expected_updated_at: a.updated_at, group_role: Some((Uuid::new_v4(), GroupRole::Admin)), revoke_sessions_at: Some(t0) };
        assert!(matches!(repo.update_batch(std::slice::from_ref(&c), &[]).await, Err(DomainError::NotFound { .. })));
        assert_eq!(repo.get(a.id).await.unwrap().unwrap().status, AccountStatus::Active);
        assert!(sessions.find_by_token("g1").await.unwrap().is_some());
        // without the bad group change the ban and the revocation land together
        let ok = AccountChange { group_role: None, ..c };
        repo.update_batch(&[ok], &[]).await.unwrap();
        assert_eq!(repo.get(a.id).await.unwrap().unwrap().status, AccountStatus::Banned);
        assert_eq!(sessions.find_by_token("g1").await.unwrap(), None);
    }

    async fn a_rehash_does_not_overwrite_a_newer_password(tdb) {
        let repo = DieselAccounts::new(tdb.connect());
        let a = account("rh@example.com");
        repo.insert(&a, &[], &[]).await.unwrap();
        repo.replace_password_hash(a.id, "not-the-stored-hash".into(), "x".into()).await.unwrap();
        assert_eq!(repo.get(a.id).await.unwrap().unwrap().password_hash, a.password_hash);
        repo.replace_password_hash(a.id, a.password_hash.clone().unwrap(), "fresh".into()).await.unwrap();
        assert_eq!(repo.get(a.id).await.unwrap().unwrap().password_hash.as_deref(), Some("fresh"));
    }

    async fn install_is_all_or_nothing_and_only_once(tdb) {
        let db = tdb.connect();
        let dir = DieselDirectory::new(db.clone());
        let accounts = DieselAccounts::new(db.clone());
        assert_eq!(dir.setup_completed_at().await.unwrap(), None);
        let at = now();
        let inst = installation(at);
        dir.install(&inst).await.unwrap();
        assert_eq!(dir.setup_completed_at().await.unwrap(), Some(at));
        let (tenant, join) = dir.current_workspace_of(inst.founding.founder.id).await.unwrap().unwrap();
        assert_eq!(tenant.name, "root's Workspace");
        assert!(tenant.number.is_some());
        assert_eq!(join.permissions, vec![WorkspacePermission::CreateAgent]);
        assert_eq!(dir.group_memberships(inst.founding.founder.id).await.unwrap()[0].role, GroupRole::SuperAdmin);
        // a second installation is refused and writes nothing
        let again = installation(at);
        assert!(matches!(dir.install(&again).await, Err(DomainError::AlreadySetup)));
        assert_eq!(accounts.get(again.founding.founder.id).await.unwrap(), None);
    }

    async fn a_failing_install_leaves_nothing_behind(tdb) {
        let db = tdb.connect();
        let dir = DieselDirectory::new(db.clone());
        let accounts = DieselAccounts::new(db.clone());
        let mut inst = installation(now());
        // the same workspace twice: the second insert fails after the account was written
        inst.founding.tenants.push(inst.founding.tenants[1].clone());
        assert!(dir.install(&inst).await.is_err());
        assert_eq!(accounts.get(inst.founding.founder.id).await.unwrap(), None);
        assert_eq!(dir.setup_completed_at().await.unwrap(), None);
    }

    async fn only_one_super_admin_can_exist(tdb) {
        let repo = DieselAccounts::new(tdb.connect());
        let mut a = account("a@example.com");
        a.system_role = Some(SystemRole::SuperAdmin);
        repo.insert(&a, &[], &[]).await.unwrap();
        let mut b = account("b@example.com");
        b.system_role = Some(SystemRole::SuperAdmin);
        assert!(matches!(repo.insert(&b, &[], &[]).await, Err(DomainError::Conflict { field: "system_role" })));
        // a soft-deleted super admin frees the place
        let read_at = a.updated_at;
        a.deleted_at = Some(now());
        repo.update_batch(&[change(a, read_at)], &[]).await.unwrap();
        repo.insert(&b, &[], &[]).await.unwrap();
    }

    async fn current_tenant_falls_back_to_the_oldest_and_marks_it(tdb) {
        let db = tdb.connect();
        let dir = DieselDirectory::new(db.clone());
        let accounts = DieselAccounts::new(db.clone());
        let at = now();
        let inst = installation(at);
        dir.install(&inst).await.unwrap();
        let newcomer = account("new@example.com");
        let join = WorkspaceMembership {
            tenant_id: inst.founding.group.id,
            account_id: newcomer.id,
            role: WorkspaceRole::Normal,
            position: Some("dev".into()),
            permissions: vec![],
            current: false,
            invited_by: Some(inst.founding.founder.id),
            created_at: at,
        };
        let gm = GroupMembership { group_id: inst.founding.group.id, account_id: newcomer.id, role: GroupRole::Normal, created_at: at };
        accounts.insert(&newcomer, &[gm], &[join]).await.unwrap();
        let (tenant, m) = dir.current_workspace_of(newcomer.id).await.unwrap().unwrap();
        assert_eq!(tenant.id, inst.founding.group.id);
        assert!(tenant.is_shadow());
        assert!(m.current);
        assert_eq!(m.position.as_deref(), Some("dev"));
        assert_eq!(dir.current_workspace_of(Uuid::new_v4()).await.unwrap(), None);
        // a group-role change travels with the account update
        let mut promoted = newcomer.clone();
        promoted.updated_at = newcomer.updated_at + Duration::seconds(1);
        let c = AccountChange { group_role: Some((inst.founding.group.id, GroupRole::Admin)), ..change(promoted, newcomer.updated_at) };
        accounts.update_batch(&[c], &[]).await.unwrap();
        assert_eq!(dir.group_memberships(newcomer.id).await.unwrap()[0].role, GroupRole::Admin);
    }

    async fn group_members_page_newest_first_with_total(tdb) {
        let db = tdb.connect();
        let dir = DieselDirectory::new(db.clone());
        let accounts = DieselAccounts::new(db.clone());
        let at = now();
        let inst = installation(at);
        dir.install(&inst).await.unwrap();
        for i in 0..5 {
            let a = account(&format!("m{i}@example.com"));
            let gm = GroupMembership { group_id: inst.founding.group.id, account_id: a.id, role: GroupRole::Normal, created_at: at + Duration::seconds(i + 1) };
            accounts.insert(&a, &[gm], &[]).await.unwrap();
        }
        let page = accounts.list_group_members(inst.founding.group.id, PageRequest { page: 1, limit: 2 }).await.unwrap();
        assert_eq!(page.total, 6);
        assert!(page.has_more());
        assert_eq!(page.items[0].0.email.as_deref(), Some("m4@example.com"));
        let last = accounts.list_group_members(inst.founding.group.id, PageRequest { page: 3, limit: 2 }).await.unwrap();
        assert_eq!(last.items.len(), 2);
        assert!(!last.has_more());
        assert_eq!(last.items[1].1, GroupRole::SuperAdmin);
    }

    async fn record_login_activates_pending_accounts(tdb) {
        let repo = DieselAccounts::new(tdb.connect());
        let mut a = account("p@example.com");
        a.status = AccountStatus::Pending;
        repo.insert(&a, &[], &[]).await.unwrap();
        let at = now();
        repo.record_login(a.id, at, Some("10.0.0.1".into())).await.unwrap();
        let got = repo.get(a.id).await.unwrap().unwrap();
        assert_eq!(got.status, AccountStatus::Active);
        assert_eq!(got.initialized_at, Some(at));
        assert_eq!(got.last_login_ip.as_deref(), Some("10.0.0.1"));
    }

    async fn refresh_tokens_rotate_once_and_reuse_revokes_the_session(tdb) {
        let db = tdb.connect();
        let accounts = DieselAccounts::new(db.clone());
        let sessions = DieselSessions::new(db.clone());
        let a = account("s@example.com");
        accounts.insert(&a, &[], &[]).await.unwrap();
        let t0 = now();
        let session = LoginSession { id: Uuid::new_v4(), account_id: a.id, created_at: t0, absolute_expires_at: t0 + Duration::days(1), ip: None };
        sessions.start(&session, "d1", t0 + Duration::hours(1)).await.unwrap();
        assert_eq!(sessions.find_by_token("d1").await.unwrap().map(|s| s.id), Some(session.id));
        let t1 = t0 + Duration::minutes(1);
        assert!(matches!(sessions.rotate("d1", "d2", t1 + Duration::hours(1), t1).await.unwrap(), RefreshOutcome::Rotated { .. }));
        let t2 = t1 + Duration::minutes(1);
        assert!(matches!(sessions.rotate("d2", "d3", t2 + Duration::hours(1), t2).await.unwrap(), RefreshOutcome::Rotated { .. }));
        // d1 again: reuse → whole session revoked, d3 dead too
        let t3 = t2 + Duration::minutes(1);
        assert_eq!(sessions.rotate("d1", "d4", t3 + Duration::hours(1), t3).await.unwrap(), RefreshOutcome::Reused);
        assert_eq!(sessions.find_by_token("d3").await.unwrap(), None);
        assert_eq!(sessions.rotate("d3", "d5", t3 + Duration::hours(1), t3).await.unwrap(), RefreshOutcome::Invalid);
        assert_eq!(sessions.rotate("unknown", "d6", t3, t3).await.unwrap(), RefreshOutcome::Invalid);
    }

    async fn expired_refresh_tokens_and_sessions_do_not_rotate(tdb) {
        let db = tdb.connect();
        let accounts = DieselAccounts::new(db.clone());
        let sessions = DieselSessions::new(db.clone());
        let a = account("e@example.com");
        accounts.insert(&a, &[], &[]).await.unwrap();
        let t0 = now();
        let s1 = LoginSession { id: Uuid::new_v4(), account_id: a.id, created_at: t0, absolute_expires_at: t0 + Duration::days(1), ip: None };
        sessions.start(&s1, "idle", t0 + Duration::minutes(30)).await.unwrap();
        let late = t0 + Duration::minutes(31);
        assert_eq!(sessions.rotate("idle", "x", late + Duration::hours(1), late).await.unwrap(), RefreshOutcome::Invalid);
        let s2 = LoginSession { id: Uuid::new_v4(), account_id: a.id, created_at: t0, absolute_expires_at: t0 + Duration::minutes(5), ip: None };
        sessions.start(&s2, "abs", t0 + Duration::hours(1)).await.unwrap();
        let after = t0 + Duration::minutes(6);
        assert_eq!(sessions.rotate("abs", "y", after + Duration::hours(1), after).await.unwrap(), RefreshOutcome::Invalid);
    }

    async fn sessions_are_revoked_by_token_latest_or_all(tdb) {
        let db = tdb.connect();
        let accounts = DieselAccounts::new(db.clone());
        let sessions = DieselSessions::new(db.clone());
        let a = account("r@example.com");
        accounts.insert(&a, &[], &[]).await.unwrap();
        let t0 = now();
        for (i, digest) in ["a", "b", "c"].iter().enumerate() {
            let at = t0 + Duration::seconds(i as i64);
            let s = LoginSession { id: Uuid::new_v4(), account_id: a.id, created_at: at, absolute_expires_at: at + Duration::days(1), ip: None };
            sessions.start(&s, digest, at + Duration::days(1)).await.unwrap();
        }
        assert!(!sessions.revoke_by_token(Uuid::new_v4(), "a", t0).await.unwrap(), "another account's session");
        assert!(sessions.revoke_by_token(a.id, "a", t0).await.unwrap());
        assert!(!sessions.revoke_by_token(a.id, "a", t0).await.unwrap());
        assert!(sessions.revoke_latest(a.id, t0).await.unwrap());
        assert_eq!(sessions.find_by_token("c").await.unwrap(), None);
        assert!(sessions.find_by_token("b").await.unwrap().is_some());
        // the rest go with an account change that revokes sessions (a ban)
        let c = AccountChange { revoke_sessions_at: Some(t0), ..change(a.clone(), a.updated_at) };
        accounts.update_batch(&[c], &[]).await.unwrap();
        assert_eq!(sessions.find_by_token("b").await.unwrap(), None);
    }

    async fn throttles_count_within_a_window(tdb) {
        let t = DieselThrottles::new(tdb.connect());
        let t0 = now();
        let w = Duration::minutes(1);
        assert_eq!(t.count("k", t0).await.unwrap(), 0);
        assert_eq!(t.hit("k", t0, w).await.unwrap(), 1);
        assert_eq!(t.hit("k", t0 + Duration::seconds(10), w).await.unwrap(), 2);
        assert_eq!(t.count("k", t0 + Duration::seconds(20)).await.unwrap(), 2);
        assert_eq!(t.count("k", t0 + Duration::seconds(61)).await.unwrap(), 0);
        assert_eq!(t.hit("k", t0 + Duration::seconds(61), w).await.unwrap(), 1);
        assert_eq!(t.hit("other", t0, w).await.unwrap(), 1);
        t.clear("k").await.unwrap();
        assert_eq!(t.count("k", t0 + Duration::seconds(62)).await.unwrap(), 0);
    }

    async fn concurrent_hits_are_all_counted(tdb) {
        let t = DieselThrottles::new(tdb.connect());
        let t0 = now();
        let hits: Vec<_> = (0..20).map(|_| { let t = t.clone(); tokio::spawn(async move { t.hit("race", t0, Duration::minutes(1)).await.unwrap() }) }).collect();
        let mut seen = Vec::new();
        for h in hits { seen.push(h.await.unwrap()); }
        seen.sort();
        assert_eq!(seen, (1..=20).collect::<Vec<i64>>());
    }

    async fn groups_are_created_with_their_shadow_tenant_and_listed_per_member(tdb) {
        let db = tdb.connect();
        let dir = DieselDirectory::new(db.clone());
        let accounts = DieselAccounts::new(db.clone());
        let owner = account("owner@example.com");
        accounts.insert(&owner, &[], &[]).await.unwrap();
        let at = now();
        let creation = group_creation("Acme", &owner, at);
        let gid = creation.group.id;
        dir.create_group(&creation).await.unwrap();
        let group = dir.get_group(gid).await.unwrap().unwrap();
        assert_eq!((group.name.as_str(), group.status), ("Acme", GroupStatus::Active));
        let shadow = dir.get_workspace(gid).await.unwrap().unwrap();
        assert!(shadow.is_shadow());
        // a second group of the same name is refused and leaves nothing behind
        let dup = group_creation("Acme", &owner, at);
        assert!(matches!(dir.create_group(&dup).await, Err(DomainError::Conflict { field: "name" })));
        assert_eq!(dir.get_workspace(dup.group.id).await.unwrap(), None);
        let mine = dir.groups_of(owner.id, None, PageRequest { page: 1, limit: 10 }).await.unwrap();
        assert_eq!(mine.total, 1);
        assert_eq!(mine.items[0].1, GroupRole::SuperAdmin);
        // renaming renames the shadow tenant; archiving frees the name
        let mut renamed = group.clone();
        renamed.name = "Acme Corp".into();
        renamed.status = GroupStatus::Archived;
        dir.update_group(&renamed).await.unwrap();
        assert_eq!(dir.get_workspace(gid).await.unwrap().unwrap().name, "Acme Corp");
        assert_eq!(dir.groups_of(owner.id, Some(GroupStatus::Active), PageRequest { page: 1, limit: 10 }).await.unwrap().total, 0);
        dir.create_group(&group_creation("Acme Corp", &owner, at)).await.unwrap();
    }

    async fn group_tenant_scopes(tdb) {
        let db = tdb.connect();
        let dir = DieselDirectory::new(db.clone());
        let accounts = DieselAccounts::new(db.clone());
        let (owner, member, outsider) = (account("o@example.com"), account("m@example.com"), account("x@example.com"));
        for a in [&owner, &member, &outsider] {
            accounts.insert(a, &[], &[]).await.unwrap();
        }
        let at = now();
        let creation = group_creation("G", &owner, at);
        let gid = creation.group.id;
        dir.create_group(&creation).await.unwrap();
        let mut ids = Vec::new();
        for (i, name) in ["w1", "w2", "w3"].iter().enumerate() {
            let t = Workspace::new(Uuid::new_v4(), (*name).into(), Some(gid), at + Duration::seconds(i as i64));
            dir.create_workspace(&t, &membership(&t, &owner, WorkspaceRole::Owner, vec![], at)).await.unwrap();
            ids.push(t.id);
        }
        let dup = Workspace::new(Uuid::new_v4(), "w1".into(), Some(gid), at);
        assert!(matches!(dir.create_workspace(&dup, &membership(&dup, &owner, WorkspaceRole::Owner, vec![], at)).await, Err(DomainError::Conflict { field: "name" })));
        // member: admin of w1, normal with create_knowledge in w2, nothing in w3
        let joins = [
            membership_by_id(ids[0], &member, WorkspaceRole::Admin, vec![], at),
            membership_by_id(ids[1], &member, WorkspaceRole::Normal, vec![WorkspacePermission::CreateKnowledge], at),
        ];
        accounts.insert(&account("filler@example.com"), &[], &[]).await.unwrap();
        add_memberships(&db, &joins);
        let page = PageRequest { page: 1, limit: 10 };
        let names = |p: Page<Workspace>| p.items.into_iter().map(|t| t.name).collect::<Vec<_>>();
        assert_eq!(names(dir.group_workspaces(gid, WorkspaceScope::All, None, page).await.unwrap()), ["w3", "w2", "w1"]);
        assert_eq!(names(dir.group_workspaces(gid, WorkspaceScope::JoinedBy(member.id), None, page).await.unwrap()), ["w2", "w1"]);
        assert_eq!(names(dir.group_workspaces(gid, WorkspaceScope::NotJoinedBy(member.id), None, page).await.unwrap()), ["w3"]);
        let managed = |perm| WorkspaceScope::ManagedBy { account: member.id, permission: perm };
        assert_eq!(names(dir.group_workspaces(gid, managed(None), None, page).await.unwrap()), ["w1"]);
        assert_eq!(names(dir.group_workspaces(gid, managed(Some(WorkspacePermission::CreateKnowledge)), None, page).await.unwrap()), ["w2", "w1"]);
        assert_eq!(names(dir.group_workspaces(gid, managed(Some(WorkspacePermission::CreateAgent)), None, page).await.unwrap()), ["w1"]);
        assert_eq!(dir.group_workspaces(gid, WorkspaceScope::JoinedBy(outsider.id), None, page).await.unwrap().total, 0);
        let second = dir.group_workspaces(gid, WorkspaceScope::All, Some(WorkspaceStatus::Normal), PageRequest { page: 2, limit: 2 }).await.unwrap();
        assert_eq!((second.total, second.items.len()), (3, 1));
        // the members of several workspaces at once are those of each, in each one's order (owner first)
        let who = |members: &[(Account, WorkspaceMembership)]| members.iter().map(|(a, m)| (a.id, m.role)).collect::<Vec<_>>();
        let together = dir.members_of_workspaces(&[ids[2], ids[0], ids[1]]).await.unwrap();
        assert_eq!(together.len(), 3);
        for (id, members) in [ids[2], ids[0], ids[1]].into_iter().zip(&together) {
            assert_eq!(who(members), who(&dir.workspace_members_of(id).await.unwrap()));
        }
        assert_eq!(who(&together[1]), [(owner.id, WorkspaceRole::Owner), (member.id, WorkspaceRole::Admin)]);
        let roles = dir.memberships_in_group(gid, member.id).await.unwrap();
        assert_eq!(roles.iter().map(|(t, m)| (t.name.as_str(), m.role)).collect::<Vec<_>>(), [("w2", WorkspaceRole::Normal), ("w1", WorkspaceRole::Admin)]);
        // only the owner manages members, inside the transaction; the owner itself is never removed
        assert!(matches!(dir.remove_workspace_member(ids[0], member.id, owner.id).await, Err(DomainError::Forbidden(_))));
        assert!(matches!(dir.remove_workspace_member(ids[0], owner.id, owner.id).await, Err(DomainError::Stale)));
        assert!(matches!(dir.set_workspace_role(ids[2], owner.id, member.id, WorkspaceRole::Admin).await, Err(DomainError::NotFound { .. })));
        dir.set_workspace_role(ids[0], owner.id, member.id, WorkspaceRole::Owner).await.unwrap();
        let roles_in_w1 = |joins: Vec<(Workspace, WorkspaceMembership)>| joins.into_iter().filter(|(t, _)| t.id == ids[0]).map(|(_, m)| m.role).collect::<Vec<_>>();
        assert_eq!(roles_in_w1(dir.memberships_in_group(gid, member.id).await.unwrap()), [WorkspaceRole::Owner]);
        assert_eq!(roles_in_w1(dir.memberships_in_group(gid, owner.id).await.unwrap()), [WorkspaceRole::Admin], "ownership moved in one step");
        assert!(matches!(dir.set_workspace_role(ids[0], owner.id, member.id, WorkspaceRole::Normal).await, Err(DomainError::Forbidden(_))), "the old owner lost its power");
        // switching
        dir.switch_workspace_of(member.id, ids[1]).await.unwrap();
        assert_eq!(dir.current_workspace_of(member.id).await.unwrap().unwrap().0.id, ids[1]);
        assert!(matches!(dir.switch_workspace_of(member.id, ids[2]).await, Err(DomainError::NotFound { .. })));
        assert_eq!(dir.current_workspace_of(member.id).await.unwrap().unwrap().0.id, ids[1]);
    }
}

both_backends! {
    async fn dataset_visibility_in_workspace_and_group_listings(tdb) {
        let db = tdb.connect();
        let dir = DieselDirectory::new(db.clone());
        let accounts = DieselAccounts::new(db.clone());
        let datasets = db::DieselDatasets::new(db.clone());
        let (owner, member, listed, outsider) = (account("o@example.com"), account("m@example.com"), account("l@example.com"), account("x@example.com"));
        for a in [&owner, &member, &listed, &outsider] {
            accounts.insert(a, &[], &[]).await.unwrap();
        }
        let at = now();
        let creation = group_creation("G", &owner, at);
        let gid = creation.group.id;
        dir.create_group(&creation).await.unwrap();
        let w = Workspace::new(Uuid::new_v4(), "W".into(), Some(gid), at);
        dir.create_workspace(&w, &membership(&w, &owner, WorkspaceRole::Owner, vec![], at)).await.unwrap();
        add_memberships(&db, &[membership(&w, &member, WorkspaceRole::Normal, vec![], at), membership(&w, &listed, WorkspaceRole::Normal, vec![], at)]);
        let make = |name: &str, permission: DatasetPermission, partial: Vec<Uuid>, secs: i64| Dataset {
            id: Uuid::new_v4(),
            tenant_id: w.id,
            name: name.into(),
            description: None,
            permission,
            partial_members: partial,
            provider: "vendor".into(),
            data_source_type: None,
            indexing_technique: Some("economy".into()),
            embedding_model: None,
            embedding_model_provider: None,
            retrieval_model: Some(serde_json::json!({"top_k": 2})),
            doc_form: None,
            icon: None,
            icon_background: None,
            icon_type: None,
            created_by: owner.id,
            created_at: at + Duration::seconds(secs),
            updated_by: None,
            updated_at: at + Duration::seconds(secs),
        };
        let private = make("Private 100%", DatasetPermission::OnlyMe, vec![], 1);
        let team = make("Team_docs", DatasetPermission::AllTeamMembers, vec![], 2);
        let partial = make("Partial", DatasetPermission::PartialMembers, vec![listed.id], 3);
        let group_wide = make("Group wide", DatasetPermission::AllGroup, vec![], 4);
        for d in [&private, &team, &partial, &group_wide] {
            datasets.insert(d).await.unwrap();
        }
        assert_eq!(datasets.get(partial.id).await.unwrap().as_ref(), Some(&partial));
        let page = PageRequest { page: 1, limit: 10 };
        let names = |p: Page<DatasetView>| p.items.into_iter().map(|v| v.dataset.name).collect::<Vec<_>>();
        let tenant = |viewer| datasets.list_in_workspace(w.id, viewer, None, page);
        assert_eq!(names(tenant(DatasetViewer::All).await.unwrap()), ["Group wide", "Partial", "Team_docs", "Private 100%"]);
        assert_eq!(names(tenant(DatasetViewer::Member(member.id)).await.unwrap()), ["Group wide", "Team_docs"]);
        assert_eq!(names(tenant(DatasetViewer::Member(listed.id)).await.unwrap()), ["Group wide", "Partial", "Team_docs"]);
        assert_eq!(names(tenant(DatasetViewer::Member(owner.id)).await.unwrap()).len(), 4, "a creator sees its own");
        // group listing: an outsider of the workspace who is in the group sees only all_group datasets
        assert_eq!(names(datasets.list_in_group(gid, DatasetViewer::Member(outsider.id), None, page).await.unwrap()), ["Group wide"]);
        let all = datasets.list_in_group(gid, DatasetViewer::All, None, page).await.unwrap();
        assert_eq!(all.total, 4);
        assert_eq!((all.items[0].tenant_name.as_str(), all.items[0].creator_name.as_deref()), ("W", Some("name")));
        // search is case-insensitive and takes wildcards literally
        let search = |s: &str| datasets.list_in_group(gid, DatasetViewer::All, Some(s.into()), page);
        assert_eq!(names(search("team_").await.unwrap()), ["Team_docs"]);
        assert_eq!(names(search("100%").await.unwrap()), ["Private 100%"]);
        assert_eq!(search("%").await.unwrap().total, 1);
        // update replaces the partial list; delete removes everything
        let mut changed = partial.clone();
        changed.partial_members = vec![member.id];
        changed.name = "Partial 2".into();
        datasets.update(&changed).await.unwrap();
        assert_eq!(datasets.get(partial.id).await.unwrap().unwrap().partial_members, vec![member.id]);
        assert_eq!(names(tenant(DatasetViewer::Member(listed.id)).await.unwrap()), ["Group wide", "Team_docs"]);
        datasets.delete(partial.id).await.unwrap();
        assert_eq!(datasets.get(partial.id).await.unwrap(), None);
        assert!(matches!(datasets.delete(partial.id).await, Err(DomainError::NotFound { .. })));
    }
}

fn group_creation(name: &str, owner: &Account, at: OffsetDateTime) -> GroupCreation {
    let id = Uuid::new_v4();
    let shadow = Workspace::new(id, name.into(), Some(id), at);
    GroupCreation {
        members: vec![GroupMembership {
            group_id: id,
            account_id: owner.id,
            role: GroupRole::SuperAdmin,
            created_at: at,
        }],
        tenant_members: vec![membership(&shadow, owner, WorkspaceRole::Owner, vec![], at)],
        shadow,
        group: EnterpriseGroup {
            id,
            name: name.into(),
            short_name: None,
            status: GroupStatus::Active,
            workspace_defaults: serde_json::json!({}),
            created_at: at,
            updated_at: at,
        },
    }
}

fn membership(
    t: &Workspace,
    a: &Account,
    role: WorkspaceRole,
    permissions: Vec<WorkspacePermission>,
    at: OffsetDateTime,
) -> WorkspaceMembership {
    membership_by_id(t.id, a, role, permissions, at)
}

fn membership_by_id(
    tenant_id: Uuid,
    a: &Account,
    role: WorkspaceRole,
    permissions: Vec<WorkspacePermission>,
    at: OffsetDateTime,
) -> WorkspaceMembership {
    WorkspaceMembership {
        tenant_id,
        account_id: a.id,
        role,
        position: Some("dev".into()),
        permissions,
        current: false,
        invited_by: None,
        created_at: at,
    }
}

/// Runs a statement with plain Diesel (a state no repository call sets up on its own).
fn sql_exec(db: &db::Database, statement: &str) {
    use diesel::connection::SimpleConnection;
    db.get().unwrap().batch_execute(statement).unwrap();
}

/// Adds workspace memberships with plain Diesel (the repositories add them as part of larger operations).
fn add_memberships(db: &db::Database, joins: &[WorkspaceMembership]) {
    use diesel::connection::SimpleConnection;
    let mut conn = db.get().unwrap();
    for m in joins {
        let permissions = serde_json::to_string(&m.permissions.iter().map(|p| p.as_str()).collect::<Vec<_>>()).unwrap();
        conn.batch_execute(&format!(
            "INSERT INTO tenant_members (tenant_id, account_id, role, permissions, is_current, created_at, updated_at) \
             VALUES ('{}', '{}', '{}', '{permissions}', FALSE, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
            m.tenant_id,
            m.account_id,
            m.role.as_str()
        ))
        .unwrap();
    }
}

fn notice_to(to: &str, at: OffsetDateTime) -> OutboxMail {
    let mail = Mail { to: to.into(), language: "en-US".into(), message: MailMessage::UnknownAddressNotice };
    OutboxMail::new(Uuid::new_v4(), mail, at)
}

fn reset_code(token_digest: &str, email: &str, at: OffsetDateTime) -> VerificationCode {
    VerificationCode {
        token_digest: token_digest.into(),
        purpose: CodePurpose::ResetPassword,
        account_id: None,
        email: email.into(),
        code_digest: Some("digest".into()),
        language: "zh-Hans".into(),
        attempts: 0,
        created_at: at,
        expires_at: at + Duration::minutes(5),
        verified_at: None,
        consumed_at: None,
    }
}

/// Page layout is a Postgres matter (migration `2026-12-05-000018`): no SQLite variant.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sign_in_updates_its_account_where_it_lies() {
    use diesel::prelude::*;
    let Some(tdb) = testkit::TestDb::postgres() else { return };
    let db = tdb.connect();
    let accounts = DieselAccounts::new(db.clone());
    // more accounts than one page holds, so that the first page is as full as the table lets it be
    let mut first = None;
    for i in 0..80 {
        let a = account(&format!("page{i}@example.com"));
        accounts.insert(&a, &[], &[]).await.unwrap();
        first.get_or_insert(a.id);
    }
    let first = first.unwrap().to_string();
    let page_of = || -> String {
        diesel::select(diesel::dsl::sql::<diesel::sql_types::Text>(&format!(
            "(SELECT (ctid::text::point)[0]::text FROM accounts WHERE id = '{first}')"
        )))
        .get_result(&mut db.get().unwrap())
        .unwrap()
    };
    let before = page_of();
    accounts.record_login(first.parse().unwrap(), now(), Some("10.0.0.1".into())).await.unwrap();
    // on a full page the new version would move to another, and every index of accounts would get an entry
    assert_eq!(page_of(), before, "the updated row stayed on its page (a heap-only update, no index entries)");
}

both_backends! {
    async fn a_search_page_is_the_same_whichever_index_finds_it(tdb) {
        use diesel::prelude::*;
        // one connection, so that the index statistics read below are this test's own scans (Postgres)
        let options = db::DbOptions { pool_size: 1, ..Default::default() };
        let db = db::Database::connect(tdb.url(), &options).unwrap();
        let accounts = DieselAccounts::new(db.clone());
        let postgres = tdb.url().starts_with("postgres");
        if postgres {
            // on a table this small Postgres would rather scan it than use an index: this test is about the indexes
            sql_exec(&db, "SET enable_seqscan = off");
        }
        // 60 accounts created eight at a time (same microsecond: their ids order them), every other one matching:
        // four matches at each time; the pages below end inside such a group and between two groups
        let at = now();
        let mut matching = Vec::new();
        for i in 0..60_i64 {
            let mut a = account(&format!("user{i}@search.test"));
            a.created_at = at + Duration::seconds(i / 8);
            a.updated_at = a.created_at;
            a.name = if i % 2 == 0 { format!("Tiebreak {i}") } else { format!("Other {i}") };
            if i % 2 == 0 {
                matching.push((a.created_at, a.id.to_string()));
            }
            accounts.insert(&a, &[], &[]).await.unwrap();
        }
        matching.sort();
        let ids = |found: Vec<Account>| found.into_iter().map(|a| a.id.to_string()).collect::<Vec<_>>();
        let ordered_scans = || -> i64 {
            let mut conn = db.get().unwrap();
            // flushes this connection's pending statistics when the statement ends, before the next one reads them
            diesel::select(diesel::dsl::sql::<diesel::sql_types::Bool>("pg_stat_force_next_flush() IS NULL"))
                .get_result::<bool>(&mut conn)
                .unwrap();
            diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
                "(SELECT idx_scan FROM pg_stat_user_indexes WHERE indexrelname = 'accounts_search_ordered')",
            ))
            .get_result::<i64>(&mut conn)
            .unwrap()
        };
        let pages = [(0, 5), (2, 5), (4, 4), (3, 6), (11, 10), (25, 2), (25, 5), (28, 10), (30, 5)];
        // before any statistics every page comes from all the matches; after ANALYZE (Postgres) the sample sends
        // this term, which half the accounts match, to the ordered index
        for analysed in [false, true] {
            if analysed && postgres {
                sql_exec(&db, "ANALYZE accounts");
            }
            // a new repository: a repository reads the statistics once a minute
            let accounts = DieselAccounts::new(db.clone());
            let scans_before = if postgres { ordered_scans() } else { 0 };
            for (offset, limit) in pages {
                let expected: Vec<String> =
                    matching.iter().skip(offset).take(limit).map(|(_, id)| id.clone()).collect();
                let (page, total) = accounts.search(Some("TIEBREAK".into()), offset as i64, limit as i64, false).await.unwrap();
                assert_eq!(ids(page), expected, "page {offset}+{limit}, analysed: {analysed}");
                assert_eq!(total, None);
                let (page, total) = accounts.search(Some("tiebreak".into()), offset as i64, limit as i64, true).await.unwrap();
                assert_eq!(ids(page), expected, "counted page {offset}+{limit}");
                assert_eq!(total, Some(30));
            }
            if postgres {
                let scans = ordered_scans() - scans_before;
                if analysed {
                    // the seven pages that end within the 30 expected matches
                    assert!(scans >= 7, "the ordered index answered {scans} pages");
                } else {
                    assert_eq!(scans, 0, "without statistics no page uses the ordered index");
                }
            }
        }
    }

    async fn outbox_claims_are_exclusive_and_delivery_drops_the_content(tdb) {
        let db = tdb.connect();
        let outbox = DieselOutbox::new(db.clone());
        let at = now();
        let code_mail = Mail {
            to: "a@example.com".into(),
            language: "en-US".into(),
            message: MailMessage::PasswordResetCode { code: "123456".into(), minutes: 5 },
        };
        let first = OutboxMail::new(Uuid::new_v4(), code_mail, at);
        outbox.enqueue(&first).await.unwrap();
        outbox.enqueue(&notice_to("b@example.com", at + Duration::seconds(1))).await.unwrap();
        // not due yet
        assert!(outbox.claim_due(at - Duration::seconds(1), Duration::minutes(5), 10).await.unwrap().is_empty());
        let claimed = outbox.claim_due(at, Duration::minutes(5), 10).await.unwrap();
        assert_eq!(claimed.len(), 1);
        assert_eq!(claimed[0].mail, first.mail);
        assert_eq!(claimed[0].attempts, 1);
        // claimed mails are not handed out again while the lease runs; others still are
        let later = at + Duration::seconds(2);
        let others = outbox.claim_due(later, Duration::minutes(5), 10).await.unwrap();
        assert_eq!(others.iter().map(|m| m.mail.to.as_str()).collect::<Vec<_>>(), vec!["b@example.com"]);
        assert!(outbox.claim_due(later, Duration::minutes(5), 10).await.unwrap().is_empty());
        // a dead worker's lease runs out
        let again = outbox.claim_due(at + Duration::minutes(6), Duration::minutes(5), 10).await.unwrap();
        assert_eq!(again.len(), 2);
        assert_eq!(again.iter().find(|m| m.id == first.id).unwrap().attempts, 2);

        let stale = claimed[0].claimed_until.unwrap();
        let current = again.iter().find(|m| m.id == first.id).unwrap().claimed_until.unwrap();
        assert!(!outbox.mark_sent(first.id, stale, later).await.unwrap(), "a lost claim marks nothing");
        assert!(outbox.mark_sent(first.id, current, later).await.unwrap());
        assert!(!outbox.mark_sent(first.id, current, later).await.unwrap(), "sent once");
        let sent = outbox.list(OutboxState::Sent, PageRequest { page: 1, limit: 10 }).await.unwrap();
        assert_eq!(sent.total, 1);
        assert_eq!(sent.items[0].mail.message, MailMessage::PasswordResetCode { code: String::new(), minutes: 0 }, "the code is gone");
        // the other mail's claim from `again` ran out too: it comes back, the sent one does not
        let reclaimed = outbox.claim_due(at + Duration::hours(1), Duration::minutes(5), 10).await.unwrap();
        assert_eq!(reclaimed.iter().map(|m| m.mail.to.as_str()).collect::<Vec<_>>(), vec!["b@example.com"]);

        let other = &reclaimed[0];
        outbox.mark_attempt_failed(other.id, other.claimed_until.unwrap(), "SMTP: refused", Some(at + Duration::hours(2)), later).await.unwrap();
        let pending = outbox.list(OutboxState::Pending, PageRequest { page: 1, limit: 10 }).await.unwrap();
        assert_eq!(pending.items[0].last_error.as_deref(), Some("SMTP: refused"));
        assert!(outbox.claim_due(at + Duration::hours(1), Duration::minutes(5), 10).await.unwrap().is_empty(), "not before retry_at");
        let retried = outbox.claim_due(at + Duration::hours(2), Duration::minutes(5), 10).await.unwrap();
        assert_eq!(retried.len(), 1);
        outbox.mark_attempt_failed(other.id, retried[0].claimed_until.unwrap(), "SMTP: refused", None, later).await.unwrap();
        assert_eq!(outbox.list(OutboxState::Failed, PageRequest { page: 1, limit: 10 }).await.unwrap().total, 1);
        assert!(outbox.claim_due(at + Duration::days(1), Duration::minutes(5), 10).await.unwrap().is_empty(), "given up");
    }

    async fn an_unreadable_mail_is_given_up_instead_of_blocking_the_others(tdb) {
        let db = tdb.connect();
        let outbox = DieselOutbox::new(db.clone());
        let at = now();
        db.run(|c| {
            diesel::connection::SimpleConnection::batch_execute(
                c,
                "INSERT INTO mail_outbox (id, recipient, template, language, payload, created_at, due_at, attempts) \
                 VALUES ('00000000-0000-4000-8000-000000000001', 'x@example.com', 'gone', 'en-US', \
                 '{\"template\":\"gone\"}', '2000-01-01 00:00:00', '2000-01-01 00:00:00', 0)",
            )?;
            Ok(())
        })
        .await
        .unwrap();
        outbox.enqueue(&notice_to("a@example.com", at)).await.unwrap();
        let claimed = outbox.claim_due(at, Duration::minutes(5), 10).await.unwrap();
        assert_eq!(claimed.iter().map(|m| m.mail.to.as_str()).collect::<Vec<_>>(), vec!["a@example.com"]);
        let failed = outbox.list(OutboxState::Failed, PageRequest { page: 1, limit: 10 }).await.unwrap();
        assert_eq!(failed.total, 1, "given up");
        assert!(failed.items.is_empty(), "and left out of the listing instead of failing it");
        let later = outbox.claim_due(at + Duration::days(1), Duration::minutes(5), 10).await.unwrap();
        assert_eq!(later.iter().map(|m| m.mail.to.as_str()).collect::<Vec<_>>(), vec!["a@example.com"], "never again");
    }

    async fn parallel_workers_never_claim_one_mail_twice(tdb) {
        let db = tdb.connect();
        let outbox = DieselOutbox::new(db.clone());
        let at = now();
        for i in 0..40 {
            outbox.enqueue(&notice_to(&format!("r{i}@example.com"), at)).await.unwrap();
        }
        let workers: Vec<_> = (0..4)
            .map(|_| {
                let outbox = outbox.clone();
                tokio::spawn(async move {
                    let mut mine = Vec::new();
                    loop {
                        let batch = outbox.claim_due(at, Duration::minutes(5), 3).await.unwrap();
                        if batch.is_empty() {
                            break mine;
                        }
                        mine.extend(batch.into_iter().map(|m| m.id));
                    }
                })
            })
            .collect();
        let mut all = Vec::new();
        for w in workers {
            all.extend(w.await.unwrap());
        }
        let distinct: std::collections::HashSet<_> = all.iter().collect();
        assert_eq!(all.len(), 40);
        assert_eq!(distinct.len(), 40);
    }

    async fn codes_are_issued_with_their_mail_and_retire_older_ones(tdb) {
        let db = tdb.connect();
        let codes = DieselCodes::new(db.clone());
        let outbox = DieselOutbox::new(db.clone());
        let at = now();
        codes.issue(&reset_code("t1", "Ann@Example.com", at), &notice_to("Ann@Example.com", at)).await.unwrap();
        let found = codes.find("t1").await.unwrap().unwrap();
        assert_eq!(found, reset_code("t1", "Ann@Example.com", at));
        assert_eq!(outbox.list(OutboxState::Pending, PageRequest { page: 1, limit: 10 }).await.unwrap().total, 1);
        assert_eq!(codes.count_attempt("t1", at).await.unwrap(), Some(1));
        assert_eq!(codes.count_attempt("t1", at).await.unwrap(), Some(2));
        assert_eq!(codes.count_attempt("t1", at + Duration::minutes(6)).await.unwrap(), None, "expired");
        codes.mark_verified("t1", at, at + Duration::minutes(5)).await.unwrap();
        let verified = codes.find("t1").await.unwrap().unwrap();
        assert_eq!((verified.verified_at, verified.expires_at), (Some(at), at + Duration::minutes(5)));
        // a new code for the address retires the old one
        codes.issue(&reset_code("t2", "ann@example.com", at), &notice_to("ann@example.com", at)).await.unwrap();
        assert!(codes.find("t1").await.unwrap().unwrap().consumed_at.is_some());
        assert_eq!(codes.count_attempt("t1", at).await.unwrap(), None);
        assert_eq!(codes.find("nope").await.unwrap(), None);
        // a failing mail insert takes the code with it
        let dup = notice_to("ann@example.com", at);
        outbox.enqueue(&dup).await.unwrap();
        assert!(codes.issue(&reset_code("t3", "ann@example.com", at), &dup).await.is_err());
        assert_eq!(codes.find("t3").await.unwrap(), None);
        assert!(codes.find("t2").await.unwrap().unwrap().consumed_at.is_none(), "nothing retired either");
    }

    async fn a_password_reset_redeems_its_code_once_and_ends_sessions(tdb) {
        let db = tdb.connect();
        let accounts = DieselAccounts::new(db.clone());
        let codes = DieselCodes::new(db.clone());
        let throttles = DieselThrottles::new(db.clone());
        let sessions = DieselSessions::new(db.clone());
        let at = now();
        let ann = account("ann@example.com");
        accounts.insert(&ann, &[], &[]).await.unwrap();
        let session = LoginSession { id: Uuid::new_v4(), account_id: ann.id, created_at: at, absolute_expires_at: at + Duration::days(1), ip: None };
        sessions.start(&session, "refresh", at + Duration::days(1)).await.unwrap();
        throttles.hit("login_error:ann@example.com", at, Duration::hours(1)).await.unwrap();
        codes.issue(&VerificationCode { account_id: Some(ann.id), ..reset_code("t", "ann@example.com", at) }, &notice_to("ann@example.com", at)).await.unwrap();
        let reset = PasswordReset {
            account_id: ann.id,
            password_hash: "$2b$04$new".into(),
            at,
            changed_by: None,
            code: Some("t".into()),
            lockout_key: "login_error:ann@example.com".into(),
            replaces_hash: None,
        };
        assert!(!accounts.reset_password(&reset).await.unwrap(), "not before the code was entered");
        assert_eq!(accounts.get(ann.id).await.unwrap().unwrap().password_hash, ann.password_hash);
        codes.mark_verified("t", at, at + Duration::minutes(5)).await.unwrap();
        assert!(accounts.reset_password(&reset).await.unwrap());
        assert!(!accounts.reset_password(&reset).await.unwrap(), "once");
        let stored = accounts.get(ann.id).await.unwrap().unwrap();
        assert_eq!(stored.password_hash.as_deref(), Some("$2b$04$new"));
        assert_eq!(stored.tokens_not_before, Some(at));
        assert_eq!(sessions.find_by_token("refresh").await.unwrap(), None);
        assert_eq!(throttles.count("login_error:ann@example.com", at).await.unwrap(), 0);

        // a one-time step conditioned on the hash it replaces happens once, and clears the change demands
        sql_exec(&db, &format!("UPDATE accounts SET password_change_on_next_login = true WHERE id = '{}'", ann.id));
        let step = PasswordReset { code: None, password_hash: "$2b$04$newer".into(), replaces_hash: Some("$2b$04$new".into()), ..reset };
        assert!(accounts.reset_password(&step).await.unwrap());
        assert!(!accounts.reset_password(&step).await.unwrap(), "the hash it replaces is gone");
        let stored = accounts.get(ann.id).await.unwrap().unwrap();
        assert_eq!(stored.password_hash.as_deref(), Some("$2b$04$newer"));
        assert!(!stored.password_change_on_next_login);
    }

    async fn a_registration_founds_its_group_and_redeems_its_code_once(tdb) {
        let db = tdb.connect();
        let dir = DieselDirectory::new(db.clone());
        let codes = DieselCodes::new(db.clone());
        let accounts = DieselAccounts::new(db.clone());
        let at = now();
        let code = |token: &str| VerificationCode { purpose: CodePurpose::Register, ..reset_code(token, "new@example.com", at) };
        codes.issue(&code("r"), &notice_to("new@example.com", at)).await.unwrap();
        let mut founder = account("new@example.com");
        founder.name = "new".into();
        let registration = Registration { founding: founding(founder.clone(), "new's group", at), code: Some("r".into()), identity: None };
        assert!(!dir.register(&registration).await.unwrap(), "not before the code was confirmed");
        assert_eq!(accounts.get(founder.id).await.unwrap(), None);
        codes.mark_verified("r", at, at + Duration::minutes(5)).await.unwrap();
        assert!(dir.register(&registration).await.unwrap());
        let (tenant, join) = dir.current_workspace_of(founder.id).await.unwrap().unwrap();
        assert_eq!((tenant.name.as_str(), join.role), ("new's Workspace", WorkspaceRole::Owner));
        assert_eq!(dir.group_memberships(founder.id).await.unwrap()[0].role, GroupRole::SuperAdmin);
        // the code works once
        let other = account("other@example.com");
        let again = Registration { founding: founding(other.clone(), "other's group", at), code: Some("r".into()), identity: None };
        assert!(!dir.register(&again).await.unwrap());
        assert_eq!(accounts.get(other.id).await.unwrap(), None);
        // an address taken meanwhile: nothing written, the code not spent
        codes.issue(&code("r2"), &notice_to("new@example.com", at)).await.unwrap();
        codes.mark_verified("r2", at, at + Duration::minutes(5)).await.unwrap();
        let dup = account("NEW@example.com");
        let taken = Registration { founding: founding(dup.clone(), "dup's group", at), code: Some("r2".into()), identity: None };
        let err = dir.register(&taken).await.unwrap_err();
        assert!(matches!(err, DomainError::Conflict { field: "email" }), "{err:?}");
        assert!(codes.find("r2").await.unwrap().unwrap().consumed_at.is_none());
        assert_eq!(dir.group_memberships(dup.id).await.unwrap(), vec![]);
    }

    async fn identity_links_are_unique_carry_the_claims_and_leave_with_the_account(tdb) {
        let db = tdb.connect();
        let dir = DieselDirectory::new(db.clone());
        let accounts = DieselAccounts::new(db.clone());
        let links = DieselIdentities::new(db.clone());
        let at = now();
        let link = |account_id, subject: &str| LinkedIdentity {
            account_id,
            provider: "corp".into(),
            subject: subject.into(),
            email: Some("ann@example.com".into()),
            created_at: at,
        };
        // a registration links its identity in the same transaction
        let mut ann = account("ann@example.com");
        ann.source = AccountSource::Oidc;
        let registration =
            Registration { founding: founding(ann.clone(), "ann's group", at), code: None, identity: Some(link(ann.id, "s-ann")) };
        assert!(dir.register(&registration).await.unwrap());
        assert_eq!(links.find_live_by_identity("corp", "s-ann").await.unwrap().map(|a| a.id), Some(ann.id));
        assert_eq!(links.find_live_by_identity("corp", "other").await.unwrap(), None);
        assert_eq!(links.find_live_by_identity("github", "s-ann").await.unwrap(), None);

        // a sign-in keeps the link, merges the claims and records the login
        let claims = serde_json::json!({"department": "R&D", "groups": ["a", "b"]});
        let sign_in = |identity| IdentitySignIn {
            identity,
            attributes: claims.as_object().unwrap().clone(),
            at,
            login: Some(Some("10.0.0.1".into())),
        };
        let mut kept = accounts.get(ann.id).await.unwrap().unwrap();
        kept.attributes.insert("department".into(), "old".into());
        kept.attributes.insert("badge".into(), "7".into());
        kept.status = AccountStatus::Pending;
        accounts.update_batch(&[change(kept.clone(), kept.updated_at)], &[]).await.unwrap();
        links.record_identity_sign_in(&sign_in(link(ann.id, "s-ann"))).await.unwrap();
        let stored = accounts.get(ann.id).await.unwrap().unwrap();
        assert_eq!(
            serde_json::Value::Object(stored.attributes),
            serde_json::json!({"badge": "7", "department": "R&D", "groups": ["a", "b"]})
        );
        assert_eq!(stored.source, AccountSource::Oidc);
        assert_eq!((stored.status, stored.last_login_ip.as_deref()), (AccountStatus::Active, Some("10.0.0.1")));

        // one identity per account and provider, one account per identity
        let bob = account("bob@example.com");
        accounts.insert(&bob, &[], &[]).await.unwrap();
        let err = links.record_identity_sign_in(&sign_in(link(bob.id, "s-ann"))).await.unwrap_err();
        assert!(matches!(err, DomainError::Conflict { field: "identity" }), "{err:?}");
        let err = links.record_identity_sign_in(&sign_in(link(ann.id, "s-second"))).await.unwrap_err();
        assert!(matches!(err, DomainError::Conflict { field: "identity" }), "{err:?}");
        assert_eq!(accounts.get(bob.id).await.unwrap().unwrap().source, AccountSource::Local, "nothing written");
        links.record_identity_sign_in(&sign_in(link(bob.id, "s-bob"))).await.unwrap();
        let listed = links.identities(bob.id).await.unwrap();
        assert_eq!(listed.iter().map(|l| l.subject.as_str()).collect::<Vec<_>>(), ["s-bob"]);

        // a partner-provisioned source stays; a banned account is refused with nothing written
        let mut carol = account("carol@example.com");
        carol.source = AccountSource::Ldap;
        carol.external_id = Some("ldap-1".into());
        carol.status = AccountStatus::Banned;
        accounts.insert(&carol, &[], &[]).await.unwrap();
        let err = links.record_identity_sign_in(&sign_in(link(carol.id, "s-carol"))).await.unwrap_err();
        assert!(matches!(err, DomainError::AccountBanned), "{err:?}");
        assert_eq!(links.find_live_by_identity("corp", "s-carol").await.unwrap(), None);
        let mut unbanned = accounts.get(carol.id).await.unwrap().unwrap();
        unbanned.status = AccountStatus::Active;
        accounts.update_batch(&[change(unbanned.clone(), unbanned.updated_at)], &[]).await.unwrap();
        links.record_identity_sign_in(&sign_in(link(carol.id, "s-carol"))).await.unwrap();
        assert_eq!(accounts.get(carol.id).await.unwrap().unwrap().source, AccountSource::Ldap);

        // the only way in stays; unlinking, and soft deletion, free the identity
        assert_eq!(links.unlink_identity(ann.id, "corp").await.unwrap(), Unlinked::Removed, "ann has a password");
        let mut passwordless = account("dan@example.com");
        passwordless.password_hash = None;
        accounts.insert(&passwordless, &[], &[]).await.unwrap();
        links.record_identity_sign_in(&sign_in(link(passwordless.id, "s-dan"))).await.unwrap();
        assert_eq!(links.unlink_identity(passwordless.id, "corp").await.unwrap(), Unlinked::OnlyWayIn);
        assert!(links.find_live_by_identity("corp", "s-dan").await.unwrap().is_some());
        assert_eq!(links.unlink_identity(bob.id, "corp").await.unwrap(), Unlinked::Removed);
        assert_eq!(links.unlink_identity(bob.id, "corp").await.unwrap(), Unlinked::NotLinked);
        links.record_identity_sign_in(&sign_in(link(bob.id, "s-bob"))).await.unwrap();
        accounts.soft_delete(&[bob.id], at, &[]).await.unwrap();
        assert_eq!(links.find_live_by_identity("corp", "s-bob").await.unwrap(), None);
        assert_eq!(links.identities(bob.id).await.unwrap(), vec![]);
    }

    async fn access_keys_round_trip_and_never_exceed_two_active(tdb) {
        let db = tdb.connect();
        let accounts = DieselAccounts::new(db.clone());
        let keys = DieselAccessKeys::new(db.clone());
        let owner = account("owner@example.com");
        accounts.insert(&owner, &[], &[]).await.unwrap();
        let at = now();
        let key = |n: u32| AccessKey {
            id: Uuid::new_v4(),
            account_id: owner.id,
            access_key: format!("AK{n}"),
            secret_ciphertext: vec![0, 1, 2, 255],
            name: Some(format!("k{n}")),
            status: AccessKeyStatus::Active,
            created_at: at,
            last_used_at: None,
            deleted_at: None,
        };
        let audit = |action: &str| AuditEvent {
            id: Uuid::new_v4(),
            at,
            actor_account_id: Some(owner.id),
            actor_access_key_id: None,
            action: action.into(),
            target_type: "access_key".into(),
            target_id: None,
            request_id: Some("r".into()),
            changes: serde_json::json!({}),
        };
        // ten parallel issues: exactly two succeed
        let attempts: Vec<_> = (0..10)
            .map(|n| {
                let (keys, k, a) = (keys.clone(), key(n), audit("access_key.create"));
                tokio::spawn(async move { keys.insert(&k, 2, &a).await })
            })
            .collect();
        let mut ok = 0;
        for a in attempts {
            match a.await.unwrap() {
                Ok(()) => ok += 1,
                Err(DomainError::ActiveKeyLimit) => {}
                Err(other) => panic!("{other:?}"),
            }
        }
        assert_eq!(ok, 2);
        let listed = keys.list(owner.id).await.unwrap();
        assert_eq!(listed.len(), 2);
        let first = listed[0].clone();
        assert_eq!(keys.find_by_access_key(&first.access_key).await.unwrap(), Some(first.clone()));
        assert_eq!(first.secret_ciphertext, vec![0, 1, 2, 255]);

        keys.set_status(first.id, AccessKeyStatus::Disabled, 2, &audit("access_key.disable")).await.unwrap();
        let spare = key(99);
        keys.insert(&spare, 2, &audit("access_key.create")).await.unwrap();
        let err = keys.set_status(first.id, AccessKeyStatus::Active, 2, &audit("access_key.enable")).await.unwrap_err();
        assert!(matches!(err, DomainError::ActiveKeyLimit), "{err:?}");
        keys.record_use(spare.id, at, &audit("access_key.use")).await.unwrap();
        assert_eq!(keys.get(spare.id).await.unwrap().unwrap().last_used_at, Some(at));
        keys.delete(first.id, at, &audit("access_key.delete")).await.unwrap();
        assert_eq!(keys.get(first.id).await.unwrap(), None);
        assert_eq!(keys.find_by_access_key(&first.access_key).await.unwrap(), None, "a deleted key stops working");
        let err = keys.delete(first.id, at, &audit("access_key.delete")).await.unwrap_err();
        assert!(matches!(err, DomainError::NotFound { .. }), "{err:?}");
    }

    async fn housekeeping_removes_what_outlived_its_use_in_bounded_batches_and_nothing_else(tdb) {
        let db = tdb.connect();
        let accounts = DieselAccounts::new(db.clone());
        let sessions = DieselSessions::new(db.clone());
        let throttles = DieselThrottles::new(db.clone());
        let codes = DieselCodes::new(db.clone());
        let outbox = DieselOutbox::new(db.clone());
        let housekeeping = DieselHousekeeping::new(db.clone());
        let t0 = now();
        let (long_ago, lately) = (t0 - Duration::days(8), t0 - Duration::days(1));
        let a = account("h@example.com");
        accounts.insert(&a, &[], &[]).await.unwrap();
        let session = |created: OffsetDateTime, absolute: OffsetDateTime| LoginSession {
            id: Uuid::new_v4(),
            account_id: a.id,
            created_at: created,
            absolute_expires_at: absolute,
            ip: None,
        };
        // ended long ago: two revoked, one past its absolute lifetime; ended lately; alive
        for digest in ["old-1", "old-2"] {
            sessions.start(&session(long_ago, t0 + Duration::days(1)), digest, t0 + Duration::days(1)).await.unwrap();
            assert!(sessions.revoke_by_token(a.id, digest, long_ago).await.unwrap());
        }
        sessions.start(&session(long_ago - Duration::days(1), long_ago), "old-3", long_ago).await.unwrap();
        sessions.start(&session(lately, t0 + Duration::days(1)), "lately", t0 + Duration::days(1)).await.unwrap();
        assert!(sessions.revoke_by_token(a.id, "lately", lately).await.unwrap());
        sessions.start(&session(t0, t0 + Duration::days(1)), "alive", t0 + Duration::days(1)).await.unwrap();
        // a rotated token that expired long ago, in a session still alive
        sessions.start(&session(long_ago, t0 + Duration::days(30)), "rotated", long_ago + Duration::hours(1)).await.unwrap();
        let at = long_ago + Duration::minutes(1);
        assert!(matches!(sessions.rotate("rotated", "current", t0 + Duration::days(1), at).await.unwrap(), RefreshOutcome::Rotated { .. }));
        // counters: one ended, one running; nonces: one expired, one live
        throttles.hit("ended", t0 - Duration::hours(2), Duration::hours(1)).await.unwrap();
        throttles.hit("running", t0, Duration::hours(1)).await.unwrap();
        assert!(throttles.use_once("nonce-old", t0 - Duration::hours(1), t0 - Duration::minutes(1)).await.unwrap());
        assert!(throttles.use_once("nonce-live", t0, t0 + Duration::hours(1)).await.unwrap());
        // codes: expired long ago, expired lately; mails: sent long ago, pending
        codes.issue(&reset_code("code-old", "h@example.com", long_ago), &notice_to("h@example.com", long_ago)).await.unwrap();
        codes.issue(&reset_code("code-lately", "x@example.com", lately), &notice_to("x@example.com", lately)).await.unwrap();
        sql_exec(&db, "UPDATE mail_outbox SET sent_at = '2001-01-01 00:00:00' WHERE recipient = 'h@example.com'");

        let cutoffs = PurgeCutoffs { expired_before: t0, ended_before: t0 - Duration::days(7) };
        // a batch of one removes at most one row of each kind
        let mut removed = housekeeping.purge_batch(&cutoffs, 1).await.unwrap();
        assert_eq!((removed.sessions, removed.codes, removed.throttles, removed.nonces, removed.mails), (1, 1, 1, 1, 1));
        assert!(removed.refresh_tokens <= 1, "{removed:?}");
        for _ in 0..4 {
            let next = housekeeping.purge_batch(&cutoffs, 1).await.unwrap();
            assert!(next.largest() <= 1, "{next:?}");
            removed.add(&next);
        }
        assert_eq!((removed.sessions, removed.codes, removed.throttles, removed.nonces, removed.mails), (3, 1, 1, 1, 1));
        assert_eq!(housekeeping.purge_batch(&cutoffs, 1000).await.unwrap(), PurgeReport::default(), "nothing left");

        // what is alive or ended lately is still there and works
        assert!(sessions.find_by_token("alive").await.unwrap().is_some());
        assert!(sessions.find_by_token("current").await.unwrap().is_some());
        assert_eq!(throttles.count("running", t0).await.unwrap(), 1);
        assert!(!throttles.use_once("nonce-live", t0, t0 + Duration::hours(1)).await.unwrap(), "still remembered");
        assert!(codes.find("code-lately").await.unwrap().is_some());
        assert_eq!(codes.find("code-old").await.unwrap(), None);
        let pending = outbox.list(OutboxState::Pending, PageRequest { page: 1, limit: 10 }).await.unwrap();
        assert_eq!(pending.total, 1, "the mail of the recent code");
        let count = |table: &str| {
            use diesel::RunQueryDsl;
            #[derive(diesel::QueryableByName)]
            struct N {
                #[diesel(sql_type = diesel::sql_types::BigInt)]
                n: i64,
            }
            diesel::sql_query(format!("SELECT COUNT(*) AS n FROM {table}")).get_result::<N>(&mut *db.get().unwrap()).unwrap().n
        };
        assert_eq!(count("login_sessions"), 3, "lately, alive and the one with the rotated token");
        assert_eq!(count("refresh_tokens"), 3, "lately, alive, current");
    }
}
