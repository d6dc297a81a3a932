//! Import of a Dify 1.x console database (zgi-next's too): accounts with their PBKDF2 passwords, workspaces
//! (`tenants`), memberships (`tenant_account_joins`) and sign-in provider links (`account_integrates`), ids
//! preserved. The source is only read (its session is read-only). Every row is written with an upsert keyed by
//! its id, in batches of one transaction each, so a second run updates instead of duplicating, and a run that
//! was interrupted is resumed by running it again. The source schema facts relied on are in `docs/IMPORT.md`.

use std::collections::{HashMap, HashSet};

use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Nullable, Text, Timestamp};
use domain::model::{AccountStatus, GroupRole, GroupStatus, WireEnum, WorkspaceRole, WorkspaceStatus};
use domain::values::{required_text, DisplayName, EmailAddress};
use time::PrimitiveDateTime;
use uuid::Uuid;

use crate::conn::DbConnection;
use crate::repo::for_backend;
use crate::{schema, Database};

/// PBKDF2 iterations of Dify's `hash_password`.
const DIFY_PBKDF2_ITERATIONS: u32 = 10_000;

/// Why an import stopped.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The source could not be opened or read.
    #[error("source database: {0}")]
    Source(String),
    /// The source lacks a table or column the import needs (not a Dify console database?).
    #[error("the source is not a Dify console database: {0}")]
    NotDify(String),
    /// Writing to accountd's database failed (the batch in progress was rolled back).
    #[error("accountd database: {0}")]
    Target(String),
}

/// What happened to the rows of one source table.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct TableReport {
    /// Rows read.
    pub read: u64,
    /// Rows written (inserted or updated).
    pub written: u64,
    /// Rows left out, with the row's key and the reason.
    pub skipped: Vec<(String, String)>,
}

/// The outcome of an import, per source table.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ImportReport {
    /// `accounts`.
    pub accounts: TableReport,
    /// `tenants` → workspaces.
    pub tenants: TableReport,
    /// `tenant_account_joins` → memberships.
    pub joins: TableReport,
    /// `account_integrates` → sign-in provider links.
    pub integrates: TableReport,
    /// zgi-next's `enterprise_groups`, when the source has them.
    pub groups: Option<TableReport>,
    /// zgi-next's `enterprise_group_account_joins` → group members.
    pub group_members: Option<TableReport>,
    /// zgi-next's `enterprise_group_tenant_joins` → the group of each workspace.
    pub group_tenants: Option<TableReport>,
    /// Tables found in the source that this import does not carry over.
    pub not_imported: Vec<String>,
    /// Live accounts of accountd whose password is still an imported PBKDF2 hash (replaced by bcrypt at their
    /// next sign-in).
    pub pbkdf2_accounts: i64,
    /// Nothing was written (`--dry-run`).
    pub dry_run: bool,
}

/// How far an import is, for a progress display.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Accounts handled so far.
    pub accounts_done: u64,
    /// Accounts in the source.
    pub accounts_total: u64,
}

fn source_error(e: impl std::fmt::Display) -> ImportError {
    ImportError::Source(e.to_string())
}

fn target_error(e: impl std::fmt::Display) -> ImportError {
    ImportError::Target(e.to_string())
}

#[derive(QueryableByName)]
struct SourceAccount {
    #[diesel(sql_type = Text)]
    id: String,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    email: String,
    #[diesel(sql_type = Nullable<Text>)]
    password: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    password_salt: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    avatar: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    interface_language: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    interface_theme: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    timezone: Option<String>,
    #[diesel(sql_type = Nullable<Timestamp>)]
    last_login_at: Option<PrimitiveDateTime>,
    #[diesel(sql_type = Nullable<Text>)]
    last_login_ip: Option<String>,
    #[diesel(sql_type = Nullable<Timestamp>)]
    last_active_at: Option<PrimitiveDateTime>,
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = Nullable<Timestamp>)]
    initialized_at: Option<PrimitiveDateTime>,
    #[diesel(sql_type = Timestamp)]
    created_at: PrimitiveDateTime,
    #[diesel(sql_type = Timestamp)]
    updated_at: PrimitiveDateTime,
}

#[derive(QueryableByName)]
struct SourceTenant {
    #[diesel(sql_type = Text)]
    id: String,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    plan: String,
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = Timestamp)]
    created_at: PrimitiveDateTime,
    #[diesel(sql_type = Timestamp)]
    updated_at: PrimitiveDateTime,
}

#[derive(QueryableByName)]
struct SourceJoin {
    #[diesel(sql_type = Text)]
    tenant_id: String,
    #[diesel(sql_type = Text)]
    account_id: String,
    #[diesel(sql_type = Text)]
    role: String,
    #[diesel(sql_type = Bool)]
    current: bool,
    #[diesel(sql_type = Nullable<Text>)]
    invited_by: Option<String>,
    #[diesel(sql_type = Timestamp)]
    created_at: PrimitiveDateTime,
    #[diesel(sql_type = Timestamp)]
    updated_at: PrimitiveDateTime,
}

#[derive(QueryableByName)]
struct SourceIntegrate {
    #[diesel(sql_type = Text)]
    account_id: String,
    #[diesel(sql_type = Text)]
    provider: String,
    #[diesel(sql_type = Text)]
    open_id: String,
    #[diesel(sql_type = Timestamp)]
    created_at: PrimitiveDateTime,
}

#[derive(QueryableByName)]
struct SourceGroup {
    #[diesel(sql_type = Text)]
    id: String,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Nullable<Text>)]
    short_name: Option<String>,
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = Timestamp)]
    created_at: PrimitiveDateTime,
    #[diesel(sql_type = Timestamp)]
    updated_at: PrimitiveDateTime,
}

#[derive(QueryableByName)]
struct SourceGroupMember {
    #[diesel(sql_type = Text)]
    group_id: String,
    #[diesel(sql_type = Text)]
    account_id: String,
    #[diesel(sql_type = Text)]
    role: String,
    #[diesel(sql_type = Timestamp)]
    created_at: PrimitiveDateTime,
}

#[derive(QueryableByName)]
struct SourceGroupTenant {
    #[diesel(sql_type = Text)]
    group_id: String,
    #[diesel(sql_type = Text)]
    tenant_id: String,
}

#[derive(QueryableByName)]
struct Holder {
    #[diesel(sql_type = Text)]
    key: String,
    #[diesel(sql_type = Text)]
    id: String,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = Text)]
    name: String,
}

/// An account row as accountd stores it.
struct AccountRow {
    id: String,
    name: String,
    email: String,
    email_key: String,
    password_hash: Option<String>,
    status: &'static str,
    source: SourceAccount,
}

/// The accountd row of a Dify account, or why it cannot be one. Values go through the domain's rules.
fn account_row(a: SourceAccount) -> Result<AccountRow, (String, String)> {
    let skip = |why: String| (a.id.clone(), why);
    let id = Uuid::parse_str(&a.id).map_err(|_| skip("id is not a UUID".into()))?;
    let email = EmailAddress::parse("email", &a.email).map_err(|e| skip(e.to_string()))?;
    let name = DisplayName::parse("name", &a.name).map_err(|e| skip(e.to_string()))?;
    let status = match a.status.as_str() {
        // accountd's console activates uninitialized accounts as Dify does pending ones
        "uninitialized" => AccountStatus::Pending,
        other => AccountStatus::parse(other).ok_or_else(|| skip(format!("unknown status {other:?}")))?,
    };
    // Dify keeps base64(hex(PBKDF2-SHA256(password, salt, 10000))) and base64(salt): the verifier of the
    // security crate takes exactly these in its `pbkdf2_sha256$iterations$salt$hash` form
    let password_hash = match (&a.password, &a.password_salt) {
        (Some(hash), Some(salt)) if !hash.is_empty() && !salt.is_empty() => {
            Some(format!("pbkdf2_sha256${DIFY_PBKDF2_ITERATIONS}${salt}${hash}"))
        }
        _ => None,
    };
    Ok(AccountRow {
        id: id.to_string(),
        name: name.as_str().to_owned(),
        email: email.as_str().to_owned(),
        email_key: email.key(),
        password_hash,
        status: status.as_str(),
        source: a,
    })
}

/// Opens the source read-only and checks it has the tables the import reads.
fn open_source(url: &str) -> Result<PgConnection, ImportError> {
    if !url.starts_with("postgres://") && !url.starts_with("postgresql://") {
        return Err(ImportError::Source("--from must be a postgres:// URL of the Dify database".into()));
    }
    let mut source = PgConnection::establish(url).map_err(source_error)?;
    source.batch_execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY").map_err(source_error)?;
    let tables: Vec<Name> = diesel::sql_query(
        "SELECT table_name::text AS name FROM information_schema.tables WHERE table_schema = current_schema()",
    )
    .load(&mut source)
    .map_err(source_error)?;
    let found: HashSet<String> = tables.into_iter().map(|t| t.name).collect();
    for needed in ["accounts", "tenants", "tenant_account_joins", "account_integrates"] {
        if !found.contains(needed) {
            return Err(ImportError::NotDify(format!("no table {needed}")));
        }
    }
    Ok(source)
}

/// Whether the source has zgi-next's enterprise groups.
fn has_groups(source: &mut PgConnection) -> Result<bool, ImportError> {
    let found: Count = diesel::sql_query(
        "SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = current_schema() \
         AND table_name IN ('enterprise_groups', 'enterprise_group_account_joins', 'enterprise_group_tenant_joins')",
    )
    .get_result(source)
    .map_err(source_error)?;
    Ok(found.n == 3)
}

/// Source tables that hold console data this import does not carry over.
fn not_imported(source: &mut PgConnection) -> Result<Vec<String>, ImportError> {
    let tables: Vec<Name> = diesel::sql_query(
        "SELECT table_name::text AS name FROM information_schema.tables WHERE table_schema = current_schema() \
         AND table_name IN ('invitation_codes', 'enterprise_group_providers', 'enterprise_invite_links', \
         'enterprise_join_requests', 'enterprise_group_roles') ORDER BY table_name",
    )
    .load(source)
    .map_err(source_error)?;
    Ok(tables.into_iter().map(|t| t.name).collect())
}

/// Runs `work` in one transaction on the target (a savepoint inside a dry run's transaction).
fn batch<T>(
    target: &mut DbConnection,
    work: impl FnOnce(&mut DbConnection) -> Result<T, diesel::result::Error>,
) -> Result<T, ImportError> {
    target.transaction(work).map_err(target_error)
}

/// Imports the Dify database at `source_url` into `target`, `batch_size` accounts per transaction, reporting
/// progress after each batch.
///
/// # Errors
/// When the source cannot be read, is no Dify database, or the target refuses a write.
pub fn import_dify(
    source_url: &str,
    target: &Database,
    batch_size: i64,
    dry_run: bool,
    progress: &mut dyn FnMut(Progress),
) -> Result<ImportReport, ImportError> {
    let mut source = open_source(source_url)?;
    let mut target = target.get().map_err(target_error)?;
    let mut report = ImportReport { dry_run, not_imported: not_imported(&mut source)?, ..ImportReport::default() };
    let total: Count =
        diesel::sql_query("SELECT COUNT(*) AS n FROM accounts").get_result(&mut source).map_err(source_error)?;
    let total = u64::try_from(total.n).unwrap_or(0);
    let with_groups = has_groups(&mut source)?;

    let mut run = |target: &mut DbConnection| -> Result<i64, ImportError> {
        let accounts = import_accounts(&mut source, target, batch_size, &mut report.accounts, |done| {
            progress(Progress { accounts_done: done, accounts_total: total });
        })?;
        let (groups, tenant_groups) = if with_groups {
            let (mut g, mut t) = (TableReport::default(), TableReport::default());
            let groups = import_groups(&mut source, target, &mut g)?;
            let tenant_groups = group_of_tenants(&mut source, &groups, &mut t)?;
            report.groups = Some(g);
            report.group_tenants = Some(t);
            (groups, tenant_groups)
        } else {
            (HashSet::new(), HashMap::new())
        };
        let tenants = import_tenants(&mut source, target, &tenant_groups, &groups, &mut report.tenants)?;
        if let Some(t) = report.group_tenants.as_mut() {
            t.written = tenant_groups.keys().filter(|id| tenants.contains(*id)).count() as u64;
        }
        import_joins(&mut source, target, &accounts, &tenants, &mut report.joins)?;
        if with_groups {
            let mut m = TableReport::default();
            import_group_members(&mut source, target, &accounts, &groups, &tenants, &mut m)?;
            report.group_members = Some(m);
        }
        import_integrates(&mut source, target, &accounts, &mut report.integrates)?;
        let left: Count = diesel::sql_query(
            "SELECT COUNT(*) AS n FROM accounts WHERE deleted_at IS NULL AND password_hash LIKE 'pbkdf2_sha256%'",
        )
        .get_result(target)
        .map_err(target_error)?;
        Ok(left.n)
    };
    let left = if dry_run {
        // one transaction around everything, rolled back: later tables see the rows of earlier ones
        let mut outcome = None;
        let rolled_back = target.transaction::<(), diesel::result::Error, _>(|conn| {
            outcome = Some(run(conn));
            Err(diesel::result::Error::RollbackTransaction)
        });
        match (outcome, rolled_back) {
            (Some(outcome), _) => outcome?,
            // the transaction could not even begin
            (None, Err(e)) => return Err(target_error(e)),
            (None, Ok(())) => return Err(target_error("the dry run did not run")),
        }
    } else {
        run(&mut target)?
    };
    report.pbkdf2_accounts = left;
    Ok(report)
}

/// Columns of the account upsert, and what a conflict on the id updates (a password hash only while it is still an
/// imported one: a bcrypt hash made at a sign-in since stays).
const ACCOUNT_COLUMNS: &str = "id, name, email, email_key, password_hash, avatar, status, interface_language, \
     interface_theme, timezone, last_login_at, last_login_ip, last_active_at, initialized_at, created_at, updated_at";
const ACCOUNT_ON_CONFLICT: &str = "ON CONFLICT (id) DO UPDATE SET name = excluded.name, email = excluded.email, \
     email_key = excluded.email_key, password_hash = CASE WHEN accounts.password_hash LIKE 'pbkdf2_sha256%' \
     OR accounts.password_hash IS NULL THEN excluded.password_hash ELSE accounts.password_hash END, \
     avatar = excluded.avatar, status = excluded.status, interface_language = excluded.interface_language, \
     interface_theme = excluded.interface_theme, timezone = excluded.timezone, last_login_at = excluded.last_login_at, \
     last_login_ip = excluded.last_login_ip, last_active_at = excluded.last_active_at, \
     initialized_at = excluded.initialized_at, updated_at = excluded.updated_at";

/// Rows per multi-row statement (under both backends' limits on bound values).
const ROWS_PER_STATEMENT: usize = 500;

/// `INSERT INTO table (columns) VALUES ($1, …), (…) …` for `rows` rows of `width` values, then `tail`, with the
/// backend's placeholders.
fn multi_row_insert(conn: &DbConnection, table: &str, columns: &str, width: usize, rows: usize, tail: &str) -> String {
    let tuples: Vec<String> = (0..rows)
        .map(|r| {
            let values: Vec<String> = (1..=width).map(|c| format!("${}", r * width + c)).collect();
            format!("({})", values.join(", "))
        })
        .collect();
    for_backend(conn, &format!("INSERT INTO {table} ({columns}) VALUES {} {tail}", tuples.join(", ")))
}

type Backend = <DbConnection as diesel::Connection>::Backend;

/// Imports the accounts in id order; answers the ids written (or, in a dry run, that would be).
fn import_accounts(
    source: &mut PgConnection,
    target: &mut DbConnection,
    batch_size: i64,
    report: &mut TableReport,
    mut progress: impl FnMut(u64),
) -> Result<HashSet<String>, ImportError> {
    let mut written = HashSet::new();
    let mut after = String::new();
    loop {
        let page: Vec<SourceAccount> = diesel::sql_query(
            "SELECT id::text AS id, name, email, password, password_salt, avatar, interface_language, \
             interface_theme, timezone, last_login_at, last_login_ip, last_active_at, status, initialized_at, \
             created_at, updated_at FROM accounts WHERE id::text > $1 ORDER BY id::text LIMIT $2",
        )
        .bind::<Text, _>(&after)
        .bind::<BigInt, _>(batch_size)
        .load(source)
        .map_err(source_error)?;
        let Some(last) = page.last() else { break };
        after = last.id.clone();
        report.read += page.len() as u64;
        let rows: Vec<AccountRow> = page
            .into_iter()
            .filter_map(|a| account_row(a).map_err(|skipped| report.skipped.push(skipped)).ok())
            .collect();
        let outcome = batch(target, |conn| {
            let (mut done, mut taken) = (Vec::new(), Vec::new());
            // the live accounts holding these addresses, in one query planned for these values (a prepared,
            // generic plan made while the table was still empty would scan it whole)
            let holders: HashMap<String, String> = if rows.is_empty() {
                HashMap::new()
            } else {
                let list: Vec<String> = (1..=rows.len()).map(|n| format!("${n}")).collect();
                let sql = for_backend(
                    conn,
                    &format!(
                        "SELECT email_key AS key, id FROM accounts WHERE deleted_at IS NULL AND email_key IN ({})",
                        list.join(", ")
                    ),
                );
                let mut query = diesel::sql_query(sql).into_boxed::<Backend>();
                for row in &rows {
                    query = query.bind::<Text, _>(&row.email_key);
                }
                query.load::<Holder>(conn)?.into_iter().map(|h| (h.key, h.id)).collect()
            };
            // Dify does not constrain emails in its schema: of two source accounts with one address in a batch,
            // the first is imported (one in an earlier batch is found among the holders above)
            let (mut fresh, mut claimed) = (Vec::new(), HashSet::new());
            for row in &rows {
                if holders.get(&row.email_key).is_some_and(|holder| *holder != row.id) {
                    taken.push((row.id.clone(), "email belongs to another accountd account".to_owned()));
                } else if !claimed.insert(row.email_key.as_str()) {
                    taken.push((row.id.clone(), "another account of the source has this email".to_owned()));
                } else {
                    fresh.push(row);
                }
            }
            for chunk in fresh.chunks(ROWS_PER_STATEMENT) {
                let sql = multi_row_insert(conn, "accounts", ACCOUNT_COLUMNS, 16, chunk.len(), ACCOUNT_ON_CONFLICT);
                let mut query = diesel::sql_query(sql).into_boxed::<Backend>();
                for row in chunk {
                    let a = &row.source;
                    query = query
                        .bind::<Text, _>(&row.id)
                        .bind::<Text, _>(&row.name)
                        .bind::<Text, _>(&row.email)
                        .bind::<Text, _>(&row.email_key)
                        .bind::<Nullable<Text>, _>(&row.password_hash)
                        .bind::<Nullable<Text>, _>(&a.avatar)
                        .bind::<Text, _>(row.status)
                        .bind::<Text, _>(a.interface_language.as_deref().unwrap_or("en-US"))
                        .bind::<Text, _>(a.interface_theme.as_deref().unwrap_or("light"))
                        .bind::<Text, _>(a.timezone.as_deref().unwrap_or("America/New_York"))
                        .bind::<Nullable<Timestamp>, _>(a.last_login_at)
                        .bind::<Nullable<Text>, _>(&a.last_login_ip)
                        .bind::<Nullable<Timestamp>, _>(a.last_active_at)
                        .bind::<Nullable<Timestamp>, _>(a.initialized_at)
                        .bind::<Timestamp, _>(a.created_at)
                        .bind::<Timestamp, _>(a.updated_at);
                }
                query.execute(conn)?;
                done.extend(chunk.iter().map(|row| row.id.clone()));
            }
            Ok((done, taken))
        })?;
        let (done, taken) = outcome;
        report.written += done.len() as u64;
        report.skipped.extend(taken);
        written.extend(done);
        progress(report.read);
    }
    Ok(written)
}

/// Imports every workspace; answers the ids written.
fn import_tenants(
    source: &mut PgConnection,
    target: &mut DbConnection,
    tenant_groups: &HashMap<String, String>,
    groups: &HashSet<String>,
    report: &mut TableReport,
) -> Result<HashSet<String>, ImportError> {
    let tenants: Vec<SourceTenant> = diesel::sql_query(
        "SELECT id::text AS id, name, plan, status, created_at, updated_at FROM tenants ORDER BY id::text",
    )
    .load(source)
    .map_err(source_error)?;
    report.read = tenants.len() as u64;
    let (mut rows, mut names_in_group, mut missing_shadows) = (Vec::new(), HashSet::new(), Vec::new());
    for t in tenants {
        let checked = Uuid::parse_str(&t.id)
            .map_err(|_| "id is not a UUID".to_owned())
            .and_then(|_| required_text("name", &t.name, 255).map_err(|e| e.to_string()))
            .and_then(|name| {
                let status =
                    WorkspaceStatus::parse(&t.status).ok_or_else(|| format!("unknown status {:?}", t.status))?;
                Ok((name, status))
            });
        // a group's own (shadow) workspace has the group's id; the others are linked by the group-tenant joins
        let group = if groups.contains(&t.id) { Some(t.id.clone()) } else { tenant_groups.get(&t.id).cloned() };
        match checked {
            Ok((name, status)) => {
                if group.as_ref().is_some_and(|g| !names_in_group.insert((g.clone(), name.clone()))) {
                    report.skipped.push((t.id, "another workspace of its group has this name".into()));
                } else {
                    rows.push((t, name, status, group));
                }
            }
            Err(why) => report.skipped.push((t.id, why)),
        }
    }
    // shadow workspaces the source never created (zgi-next makes them lazily) are created here
    for g in groups {
        if !rows.iter().any(|(t, ..)| t.id == *g) {
            missing_shadows.push(g.clone());
        }
    }
    let written = batch(target, |conn| {
        let upsert = for_backend(
            conn,
            "INSERT INTO tenants (id, name, status, plan, group_id, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO UPDATE SET name = excluded.name, \
             status = excluded.status, plan = excluded.plan, group_id = excluded.group_id, \
             updated_at = excluded.updated_at",
        );
        let mut written = HashSet::new();
        for (t, name, status, group) in &rows {
            diesel::sql_query(&upsert)
                .bind::<Text, _>(&t.id)
                .bind::<Text, _>(name)
                .bind::<Text, _>(status.as_str())
                .bind::<Text, _>(&t.plan)
                .bind::<Nullable<Text>, _>(group)
                .bind::<Timestamp, _>(t.created_at)
                .bind::<Timestamp, _>(t.updated_at)
                .execute(conn)?;
            written.insert(t.id.clone());
        }
        let shadow = for_backend(
            conn,
            "INSERT INTO tenants (id, name, status, plan, group_id, created_at, updated_at) \
             SELECT id, name, 'normal', 'basic', id, created_at, updated_at FROM enterprise_groups WHERE id = $1 \
             ON CONFLICT (id) DO NOTHING",
        );
        for g in &missing_shadows {
            diesel::sql_query(&shadow).bind::<Text, _>(g).execute(conn)?;
            written.insert(g.clone());
        }
        Ok(written)
    })?;
    report.written = written.len() as u64;
    Ok(written)
}

/// Imports zgi-next's enterprise groups; answers the ids written.
fn import_groups(
    source: &mut PgConnection,
    target: &mut DbConnection,
    report: &mut TableReport,
) -> Result<HashSet<String>, ImportError> {
    let groups: Vec<SourceGroup> = diesel::sql_query(
        "SELECT id::text AS id, name, short_name, status, created_at, updated_at FROM enterprise_groups \
         ORDER BY id::text",
    )
    .load(source)
    .map_err(source_error)?;
    report.read = groups.len() as u64;
    let mut rows = Vec::new();
    for g in groups {
        let status = match g.status.as_str() {
            "active" => GroupStatus::Active,
            "archived" | "inactive" => GroupStatus::Archived,
            other => {
                report.skipped.push((g.id, format!("status {other:?} is not carried over")));
                continue;
            }
        };
        let checked = Uuid::parse_str(&g.id)
            .map_err(|_| "id is not a UUID".to_owned())
            .and_then(|_| required_text("name", &g.name, 255).map_err(|e| e.to_string()))
            .and_then(|name| {
                let short = g.short_name.as_deref().map(|s| required_text("short_name", s, 100)).transpose();
                short.map(|short| (name, short)).map_err(|e| e.to_string())
            });
        match checked {
            Ok((name, short)) => rows.push((g, name, short, status)),
            Err(why) => report.skipped.push((g.id, why)),
        }
    }
    let (written, taken) = batch(target, |conn| {
        let upsert = for_backend(
            conn,
            "INSERT INTO enterprise_groups (id, name, short_name, status, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO UPDATE SET name = excluded.name, \
             short_name = excluded.short_name, status = excluded.status, updated_at = excluded.updated_at",
        );
        let holder = for_backend(
            conn,
            "SELECT COUNT(*) AS n FROM enterprise_groups WHERE name = $1 AND status <> 'archived' AND id <> $2",
        );
        let (mut written, mut taken) = (HashSet::new(), Vec::new());
        for (g, name, short, status) in &rows {
            let other: Count =
                diesel::sql_query(&holder).bind::<Text, _>(name).bind::<Text, _>(&g.id).get_result(conn)?;
            if other.n > 0 && *status == GroupStatus::Active {
                taken.push((g.id.clone(), format!("accountd already has an active group named {name:?}")));
                continue;
            }
            diesel::sql_query(&upsert)
                .bind::<Text, _>(&g.id)
                .bind::<Text, _>(name)
                .bind::<Nullable<Text>, _>(short)
                .bind::<Text, _>(status.as_str())
                .bind::<Timestamp, _>(g.created_at)
                .bind::<Timestamp, _>(g.updated_at)
                .execute(conn)?;
            written.insert(g.id.clone());
        }
        Ok((written, taken))
    })?;
    report.written = written.len() as u64;
    report.skipped.extend(taken);
    Ok(written)
}

/// The group of each workspace, from zgi-next's group-tenant joins (a workspace belongs to at most one group).
fn group_of_tenants(
    source: &mut PgConnection,
    groups: &HashSet<String>,
    report: &mut TableReport,
) -> Result<HashMap<String, String>, ImportError> {
    let links: Vec<SourceGroupTenant> = diesel::sql_query(
        "SELECT group_id::text AS group_id, tenant_id::text AS tenant_id FROM enterprise_group_tenant_joins \
         ORDER BY tenant_id::text, created_at",
    )
    .load(source)
    .map_err(source_error)?;
    report.read = links.len() as u64;
    let mut of = HashMap::new();
    for l in links {
        let key = format!("{}/{}", l.group_id, l.tenant_id);
        if !groups.contains(&l.group_id) {
            report.skipped.push((key, "its group was not imported".into()));
            continue;
        }
        match of.entry(l.tenant_id) {
            std::collections::hash_map::Entry::Occupied(_) => {
                report.skipped.push((key, "the workspace already belongs to another group".into()));
            }
            std::collections::hash_map::Entry::Vacant(slot) => {
                slot.insert(l.group_id);
            }
        }
    }
    Ok(of)
}

/// Imports zgi-next's group members, and makes each one a member of its group's own (shadow) workspace where
/// the source had not.
fn import_group_members(
    source: &mut PgConnection,
    target: &mut DbConnection,
    accounts: &HashSet<String>,
    groups: &HashSet<String>,
    tenants: &HashSet<String>,
    report: &mut TableReport,
) -> Result<(), ImportError> {
    let members: Vec<SourceGroupMember> = diesel::sql_query(
        "SELECT group_id::text AS group_id, account_id::text AS account_id, role, created_at \
         FROM enterprise_group_account_joins ORDER BY group_id::text, created_at",
    )
    .load(source)
    .map_err(source_error)?;
    report.read = members.len() as u64;
    let mut super_admins = HashSet::new();
    let mut rows = Vec::new();
    for m in members {
        let key = format!("{}/{}", m.group_id, m.account_id);
        if !accounts.contains(&m.account_id) || !groups.contains(&m.group_id) {
            report.skipped.push((key, "its account or group was not imported".into()));
            continue;
        }
        // the Go port of zgi-next calls the super admin "owner"
        let role = match m.role.as_str() {
            "owner" => Some(GroupRole::SuperAdmin),
            other => GroupRole::parse(other),
        };
        let Some(role) = role else {
            report.skipped.push((key, format!("unknown role {:?}", m.role)));
            continue;
        };
        if role == GroupRole::SuperAdmin && !super_admins.insert(m.group_id.clone()) {
            report.skipped.push((key, "the group already has a super admin".into()));
            continue;
        }
        rows.push((m, role));
    }
    let written = batch(target, |conn| {
        let upsert = for_backend(
            conn,
            "INSERT INTO group_members (group_id, account_id, role, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $4) ON CONFLICT (group_id, account_id) DO UPDATE SET role = excluded.role",
        );
        let shadow = for_backend(
            conn,
            "INSERT INTO tenant_members (tenant_id, account_id, role, is_current, created_at, updated_at) \
             VALUES ($1, $2, $3, FALSE, $4, $4) ON CONFLICT (tenant_id, account_id) DO NOTHING",
        );
        let owner =
            for_backend(conn, "SELECT COUNT(*) AS n FROM tenant_members WHERE tenant_id = $1 AND role = 'owner'");
        for (m, role) in &rows {
            diesel::sql_query(&upsert)
                .bind::<Text, _>(&m.group_id)
                .bind::<Text, _>(&m.account_id)
                .bind::<Text, _>(role.as_str())
                .bind::<Timestamp, _>(m.created_at)
                .execute(conn)?;
            if tenants.contains(&m.group_id) {
                let has_owner: Count = diesel::sql_query(&owner).bind::<Text, _>(&m.group_id).get_result(conn)?;
                let shadow_role = if *role == GroupRole::SuperAdmin && has_owner.n == 0 { "owner" } else { "normal" };
                diesel::sql_query(&shadow)
                    .bind::<Text, _>(&m.group_id)
                    .bind::<Text, _>(&m.account_id)
                    .bind::<Text, _>(shadow_role)
                    .bind::<Timestamp, _>(m.created_at)
                    .execute(conn)?;
            }
        }
        Ok(rows.len())
    })?;
    report.written = written as u64;
    Ok(())
}

/// Imports the memberships of imported accounts in imported workspaces. An account keeps one current
/// workspace (its first marked current), a workspace one owner.
fn import_joins(
    source: &mut PgConnection,
    target: &mut DbConnection,
    accounts: &HashSet<String>,
    tenants: &HashSet<String>,
    report: &mut TableReport,
) -> Result<(), ImportError> {
    let joins: Vec<SourceJoin> = diesel::sql_query(
        "SELECT tenant_id::text AS tenant_id, account_id::text AS account_id, role, current, \
         invited_by::text AS invited_by, created_at, updated_at FROM tenant_account_joins \
         ORDER BY account_id::text, created_at",
    )
    .load(source)
    .map_err(source_error)?;
    report.read = joins.len() as u64;
    let mut current_taken: HashSet<String> = HashSet::new();
    let mut owners: HashMap<String, String> = HashMap::new();
    let mut rows = Vec::new();
    for j in joins {
        let key = format!("{}/{}", j.tenant_id, j.account_id);
        if !accounts.contains(&j.account_id) || !tenants.contains(&j.tenant_id) {
            report.skipped.push((key, "its account or workspace was not imported".into()));
            continue;
        }
        let Some(role) = WorkspaceRole::parse(&j.role) else {
            report.skipped.push((key, format!("unknown role {:?}", j.role)));
            continue;
        };
        if role == WorkspaceRole::Owner {
            if let Some(owner) = owners.insert(j.tenant_id.clone(), j.account_id.clone()) {
                report.skipped.push((key, format!("the workspace already has an owner ({owner})")));
                continue;
            }
        }
        let current = j.current && current_taken.insert(j.account_id.clone());
        rows.push((j, role, current));
    }
    let written = batch(target, |conn| {
        // a membership made current in accountd since an earlier run stays the current one
        let current_now: HashMap<String, String> = schema::tenant_members::table
            .filter(schema::tenant_members::is_current.eq(true))
            .select((schema::tenant_members::account_id, schema::tenant_members::tenant_id))
            .load::<(String, String)>(conn)?
            .into_iter()
            .collect();
        for chunk in rows.chunks(ROWS_PER_STATEMENT) {
            let sql = multi_row_insert(
                conn,
                "tenant_members",
                "tenant_id, account_id, role, is_current, invited_by, created_at, updated_at",
                7,
                chunk.len(),
                "ON CONFLICT (tenant_id, account_id) DO UPDATE SET role = excluded.role, \
                 is_current = excluded.is_current, updated_at = excluded.updated_at",
            );
            let mut query = diesel::sql_query(sql).into_boxed::<Backend>();
            for (j, role, current) in chunk {
                let current = *current && current_now.get(&j.account_id).is_none_or(|t| *t == j.tenant_id);
                let invited_by = j.invited_by.as_ref().filter(|i| accounts.contains(*i));
                query = query
                    .bind::<Text, _>(&j.tenant_id)
                    .bind::<Text, _>(&j.account_id)
                    .bind::<Text, _>(role.as_str())
                    .bind::<Bool, _>(current)
                    .bind::<Nullable<Text>, _>(invited_by)
                    .bind::<Timestamp, _>(j.created_at)
                    .bind::<Timestamp, _>(j.updated_at);
            }
            query.execute(conn)?;
        }
        Ok(rows.len())
    })?;
    report.written = written as u64;
    Ok(())
}

/// Imports the provider links of imported accounts (GitHub and Google in Dify).
fn import_integrates(
    source: &mut PgConnection,
    target: &mut DbConnection,
    accounts: &HashSet<String>,
    report: &mut TableReport,
) -> Result<(), ImportError> {
    let links: Vec<SourceIntegrate> = diesel::sql_query(
        "SELECT account_id::text AS account_id, provider, open_id, created_at FROM account_integrates \
         ORDER BY account_id::text, provider",
    )
    .load(source)
    .map_err(source_error)?;
    report.read = links.len() as u64;
    let (kept, skipped): (Vec<_>, Vec<_>) = links.into_iter().partition(|l| accounts.contains(&l.account_id));
    report.skipped.extend(
        skipped.into_iter().map(|l| (format!("{}/{}", l.provider, l.open_id), "its account was not imported".into())),
    );
    let taken = batch(target, |conn| {
        let insert = for_backend(
            conn,
            "INSERT INTO account_identities (provider, subject, account_id, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT DO NOTHING",
        );
        let holder = for_backend(
            conn,
            "SELECT COUNT(*) AS n FROM account_identities WHERE ((provider = $1 AND subject = $2) \
             OR (account_id = $3 AND provider = $1)) AND NOT (provider = $1 AND subject = $2 AND account_id = $3)",
        );
        let mut taken = Vec::new();
        for l in &kept {
            let other: Count = diesel::sql_query(&holder)
                .bind::<Text, _>(&l.provider)
                .bind::<Text, _>(&l.open_id)
                .bind::<Text, _>(&l.account_id)
                .get_result(conn)?;
            if other.n > 0 {
                taken.push((format!("{}/{}", l.provider, l.open_id), "linked to another identity or account".into()));
                continue;
            }
            diesel::sql_query(&insert)
                .bind::<Text, _>(&l.provider)
                .bind::<Text, _>(&l.open_id)
                .bind::<Text, _>(&l.account_id)
                .bind::<Timestamp, _>(l.created_at)
                .execute(conn)?;
        }
        Ok(taken)
    })?;
    report.written = (kept.len() - taken.len()) as u64;
    report.skipped.extend(taken);
    Ok(())
}

/// Live accounts whose password is still an imported PBKDF2 hash (replaced by bcrypt at their next sign-in).
///
/// # Errors
/// When the database cannot be read.
pub async fn imported_password_count(database: &Database) -> domain::DomainResult<i64> {
    database
        .run(|conn| {
            let left: Count = diesel::sql_query(
                "SELECT COUNT(*) AS n FROM accounts WHERE deleted_at IS NULL AND password_hash LIKE 'pbkdf2_sha256%'",
            )
            .get_result(conn)?;
            Ok(left.n)
        })
        .await
}
