use std::sync::Arc;

use async_trait::async_trait;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Text};
use domain::model::{
    Account, AccountFilter, AccountOrder, AccountSortKey, AuditEvent, Comparison, GroupMembership, GroupRole, Page,
    PageRequest, TextAttribute, TimeAttribute, WireEnum, WorkspaceMembership,
};
use domain::ports::{AccountChange, AccountRepository, NewAccountEntry, PasswordReset, WantedIdentifiers};
use domain::{DomainError, DomainResult};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::error::RepoError;
use crate::repo::access_keys::insert_audit;
use crate::repo::account_search::{self, SearchSample};
use crate::repo::auth_cache::AuthCache;
use crate::repo::codes::redeem_code;
use crate::rows::{id_to_db, to_db, AccountRow, GroupMemberRow, TenantMemberRow};
use crate::schema::{
    access_keys, account_identities, accounts, dataset_members, group_members, login_sessions, tenant_members, tenants,
    throttles,
};
use crate::Database;

/// The backend of [`crate::DbConnection`].
type Backend = <crate::DbConnection as diesel::Connection>::Backend;

/// A condition on the `accounts` table.
pub(super) type Condition = Box<dyn BoxableExpression<accounts::table, Backend, SqlType = Bool>>;

/// A nullable text column as text, absent values as `''` (so that a negated comparison includes them).
fn text_or_empty(column: &'static str) -> diesel::expression::SqlLiteral<Text> {
    diesel::dsl::sql::<Text>(match column {
        "username" => "COALESCE(accounts.username, '')",
        "email_key" => "COALESCE(accounts.email_key, '')",
        _ => "COALESCE(accounts.phone, '')",
    })
}

/// A text attribute lower-cased, absent values as `''`.
fn lowered(attribute: TextAttribute) -> diesel::expression::SqlLiteral<Text> {
    diesel::dsl::sql::<Text>(match attribute {
        TextAttribute::Id => "LOWER(accounts.id)",
        TextAttribute::UserName => "LOWER(COALESCE(accounts.username, accounts.email, accounts.id))",
        TextAttribute::Name => "LOWER(accounts.name)",
        TextAttribute::Email => "COALESCE(accounts.email_key, '')",
        TextAttribute::Phone => "LOWER(COALESCE(accounts.phone, ''))",
        TextAttribute::ExternalId => "LOWER(COALESCE(accounts.external_id, ''))",
    })
}

/// `value` as a `LIKE` pattern matching itself literally (`%`, `_` and the escape character escaped).
fn like_literal(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    for c in value.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A text comparison, ignoring case.
fn compare_text(attribute: TextAttribute, op: Comparison, value: &str) -> Condition {
    let (column, value) = (lowered(attribute), value.to_lowercase());
    match op {
        Comparison::Eq => Box::new(column.eq(value)),
        Comparison::Ne => Box::new(column.ne(value)),
        Comparison::Contains => Box::new(column.like(format!("%{}%", like_literal(&value))).escape('\\')),
        Comparison::StartsWith => Box::new(column.like(format!("{}%", like_literal(&value))).escape('\\')),
        Comparison::EndsWith => Box::new(column.like(format!("%{}", like_literal(&value))).escape('\\')),
        Comparison::Gt => Box::new(column.gt(value)),
        Comparison::Ge => Box::new(column.ge(value)),
        Comparison::Lt => Box::new(column.lt(value)),
        Comparison::Le => Box::new(column.le(value)),
    }
}

/// A time comparison.
fn compare_time(attribute: TimeAttribute, op: Comparison, at: OffsetDateTime) -> Condition {
    macro_rules! on {
        ($column:expr) => {{
            let at = to_db(at);
            match op {
                Comparison::Eq => Box::new($column.eq(at)),
                Comparison::Ne => Box::new($column.ne(at)),
                Comparison::Gt => Box::new($column.gt(at)),
                Comparison::Ge => Box::new($column.ge(at)),
                Comparison::Lt => Box::new($column.lt(at)),
                Comparison::Le => Box::new($column.le(at)),
                Comparison::Contains | Comparison::StartsWith | Comparison::EndsWith => {
                    Box::new(diesel::dsl::sql::<Bool>("1 = 0"))
                }
            }
        }};
    }
    match attribute {
        TimeAttribute::CreatedAt => on!(accounts::created_at),
        TimeAttribute::UpdatedAt => on!(accounts::updated_at),
    }
}

/// Compiles a domain filter to SQL.
fn condition(filter: &AccountFilter) -> Condition {
    match filter {
        AccountFilter::All(parts) => parts
            .iter()
            .map(condition)
            .reduce(|a, b| Box::new(a.and(b)))
            .unwrap_or_else(|| Box::new(diesel::dsl::sql::<Bool>("1 = 1"))),
        AccountFilter::Any(parts) => parts
            .iter()
            .map(condition)
            .reduce(|a, b| Box::new(a.or(b)))
            .unwrap_or_else(|| Box::new(diesel::dsl::sql::<Bool>("1 = 0"))),
        AccountFilter::Not(inner) => Box::new(diesel::dsl::not(condition(inner))),
        AccountFilter::Id(id) => Box::new(accounts::id.eq(id_to_db(*id))),
        AccountFilter::Username(v) => Box::new(text_or_empty("username").eq(v.clone())),
        AccountFilter::Name(v) => Box::new(accounts::name.eq(v.clone())),
        AccountFilter::EmailKey(v) => Box::new(text_or_empty("email_key").eq(v.clone())),
        AccountFilter::Phone(v) => Box::new(text_or_empty("phone").eq(v.clone())),
        AccountFilter::Status(statuses) => {
            Box::new(accounts::status.eq_any(statuses.iter().map(|s| s.as_str()).collect::<Vec<_>>()))
        }
        AccountFilter::WorkspaceCode(code) => Box::new(
            accounts::id.eq_any(
                tenant_members::table
                    .inner_join(tenants::table)
                    .filter(tenants::code.eq(code.clone()))
                    .filter(tenants::status.eq(domain::model::WorkspaceStatus::Normal.as_str()))
                    .filter(tenant_members::is_current.eq(true))
                    .select(tenant_members::account_id),
            ),
        ),
        AccountFilter::Text { attribute, op, value } => compare_text(*attribute, *op, value),
        AccountFilter::Present(attribute) => Box::new(lowered(*attribute).ne("")),
        AccountFilter::Time { attribute, op, at } => compare_time(*attribute, *op, *at),
    }
}

impl DieselAccounts {
    /// Live accounts meeting `condition` (built anew for the count and the page) in `order`, with the total when
    /// `count`.
    async fn list_where(
        &self,
        order: AccountOrder,
        offset: i64,
        limit: i64,
        count: bool,
        condition: impl Fn() -> Condition + Send + 'static,
    ) -> DomainResult<(Vec<Account>, Option<i64>)> {
        let (rows, total) = self
            .db
            .run(move |conn| {
                let total = if count {
                    let live = accounts::table.filter(accounts::deleted_at.is_null());
                    Some(live.filter(condition()).count().get_result::<i64>(conn)?)
                } else {
                    None
                };
                let mut query = accounts::table
                    .filter(accounts::deleted_at.is_null())
                    .filter(condition())
                    .select(AccountRow::as_select())
                    .into_boxed();
                for (key, descending) in &order.0 {
                    query = match (key, descending) {
                        (AccountSortKey::CreatedAt, false) => query.then_order_by(accounts::created_at.asc()),
                        (AccountSortKey::CreatedAt, true) => query.then_order_by(accounts::created_at.desc()),
                        (AccountSortKey::UpdatedAt, false) => query.then_order_by(accounts::updated_at.asc()),
                        (AccountSortKey::UpdatedAt, true) => query.then_order_by(accounts::updated_at.desc()),
                        (AccountSortKey::Name, false) => query.then_order_by(accounts::name.asc()),
                        (AccountSortKey::Name, true) => query.then_order_by(accounts::name.desc()),
                        (AccountSortKey::Username, false) => query.then_order_by(accounts::username.asc()),
                        (AccountSortKey::Username, true) => query.then_order_by(accounts::username.desc()),
                    };
                }
                let rows: Vec<AccountRow> =
                    query.then_order_by(accounts::id.asc()).offset(offset).limit(limit).load(conn)?;
                Ok((rows, total))
            })
            .await?;
        Ok((rows.into_iter().map(AccountRow::into_domain).collect::<DomainResult<_>>()?, total))
    }
}

/// Records a login inside the caller's transaction: last login time and address, pending → active.
pub(crate) fn mark_login(
    conn: &mut crate::DbConnection,
    id: &str,
    at: OffsetDateTime,
    ip: Option<String>,
) -> Result<(), RepoError> {
    diesel::update(accounts::table.find(id))
        .set((
            accounts::last_login_at.eq(Some(to_db(at))),
            accounts::last_login_ip.eq(ip),
            accounts::last_active_at.eq(Some(to_db(at))),
        ))
        .execute(conn)?;
    diesel::update(accounts::table.find(id).filter(accounts::status.eq("pending")))
        .set((accounts::status.eq("active"), accounts::initialized_at.eq(Some(to_db(at)))))
        .execute(conn)?;
    Ok(())
}

/// Saves one account change inside the caller's transaction (see [`AccountRepository::update`]).
fn apply_change(conn: &mut crate::DbConnection, change: &AccountChange) -> Result<(), RepoError> {
    let row = AccountRow::from(&change.account);
    let expected = to_db(change.expected_updated_at);
    let changed = diesel::update(accounts::table.find(&row.id).filter(accounts::updated_at.eq(expected)))
        .set(&row)
        .execute(conn)?;
    if changed == 0 {
        let exists = accounts::table.find(&row.id).count().get_result::<i64>(conn)? > 0;
        return Err(if exists { DomainError::Stale } else { DomainError::NotFound { entity: "account" } }.into());
    }
    if let Some((group_id, role)) = change.group_role {
        let n = diesel::update(group_members::table.find((id_to_db(group_id), &row.id)))
            .set((group_members::role.eq(role.as_str()), group_members::updated_at.eq(row.updated_at)))
            .execute(conn)?;
        if n == 0 {
            return Err(DomainError::NotFound { entity: "group member" }.into());
        }
    }
    if let Some(at) = change.revoke_sessions_at {
        diesel::update(
            login_sessions::table
                .filter(login_sessions::account_id.eq(&row.id))
                .filter(login_sessions::revoked_at.is_null()),
        )
        .set(login_sessions::revoked_at.eq(Some(to_db(at))))
        .execute(conn)?;
    }
    Ok(())
}

/// No condition.
fn all_accounts() -> Condition {
    Box::new(diesel::dsl::sql::<Bool>("1 = 1"))
}

/// Accounts in the database.
#[derive(Debug, Clone)]
pub struct DieselAccounts {
    db: Database,
    /// Accounts read for authentication, when `db` allows keeping them ([`Database::authentication_cache`]).
    authenticated: Option<Arc<AuthCache>>,
    /// What a search's term is checked against to choose how its page is found.
    search_sample: Arc<SearchSample>,
}

impl DieselAccounts {
    /// Repository over `db`.
    pub fn new(db: Database) -> Self {
        let ttl = db.authentication_cache();
        Self {
            db,
            authenticated: (!ttl.is_zero()).then(|| Arc::new(AuthCache::new(ttl))),
            search_sample: Arc::default(),
        }
    }

    /// Drops what the authentication cache keeps of these accounts: they were just written.
    fn forget(&self, ids: impl IntoIterator<Item = Uuid>) {
        if let Some(cache) = &self.authenticated {
            cache.forget(ids);
        }
    }
}

/// Inserts membership rows; a new current workspace clears the account's other current flag first.
pub(crate) fn insert_memberships(
    conn: &mut crate::DbConnection,
    groups: &[GroupMembership],
    tenants: &[WorkspaceMembership],
) -> Result<(), RepoError> {
    // One statement per row: multi-row VALUES is not portable through MultiConnection.
    for m in groups {
        diesel::insert_into(group_members::table).values(GroupMemberRow::from(m)).execute(conn)?;
    }
    for m in tenants {
        if m.current {
            diesel::update(tenant_members::table.filter(tenant_members::account_id.eq(id_to_db(m.account_id))))
                .set(tenant_members::is_current.eq(false))
                .execute(conn)?;
        }
        diesel::insert_into(tenant_members::table).values(TenantMemberRow::from(m)).execute(conn)?;
    }
    Ok(())
}

#[async_trait]
impl AccountRepository for DieselAccounts {
    async fn get(&self, id: Uuid) -> DomainResult<Option<Account>> {
        let row = self
            .db
            .run(move |conn| {
                Ok(accounts::table.find(id_to_db(id)).select(AccountRow::as_select()).first(conn).optional()?)
            })
            .await?;
        row.map(AccountRow::into_domain).transpose()
    }

    async fn get_for_authentication(&self, id: Uuid) -> DomainResult<Option<Account>> {
        let Some(cache) = &self.authenticated else { return self.get(id).await };
        if let Some(account) = cache.get(id) {
            return Ok(Some(account));
        }
        let epoch = cache.epoch();
        let found = self.get(id).await?;
        if let Some(account) = &found {
            cache.keep(account, epoch);
        }
        Ok(found)
    }

    async fn find_live_by_email(&self, email_key: &str) -> DomainResult<Option<Account>> {
        let key = email_key.to_owned();
        let row = self
            .db
            .run(move |conn| {
                Ok(accounts::table
                    .filter(accounts::email_key.eq(&key))
                    .filter(accounts::deleted_at.is_null())
                    .select(AccountRow::as_select())
                    .first(conn)
                    .optional()?)
            })
            .await?;
        row.map(AccountRow::into_domain).transpose()
    }

    async fn insert_batch(&self, entries: &[NewAccountEntry], audits: &[AuditEvent]) -> DomainResult<()> {
        let (entries, audits) = (entries.to_vec(), audits.to_vec());
        self.db
            .write(move |conn| {
                for entry in &entries {
                    diesel::insert_into(accounts::table).values(AccountRow::from(&entry.account)).execute(conn)?;
                    insert_memberships(conn, &entry.groups, &entry.tenants)?;
                }
                for audit in &audits {
                    insert_audit(conn, audit)?;
                }
                Ok(())
            })
            .await
    }

    async fn soft_delete(&self, ids: &[Uuid], at: OffsetDateTime, audits: &[AuditEvent]) -> DomainResult<()> {
        let ids_of_delete = ids.to_vec();
        let (ids, audits) = (ids.iter().map(|id| id_to_db(*id)).collect::<Vec<_>>(), audits.to_vec());
        let result = self
            .db
            .write(move |conn| {
                let at = to_db(at);
                for chunk in ids.chunks(500) {
                    let live: Vec<String> = accounts::table
                        .filter(accounts::id.eq_any(chunk))
                        .filter(accounts::deleted_at.is_null())
                        .select(accounts::id)
                        .load(conn)?;
                    let missing: Vec<Uuid> = chunk
                        .iter()
                        .filter(|id| !live.contains(id))
                        .filter_map(|id| Uuid::parse_str(id).ok())
                        .collect();
                    if !missing.is_empty() {
                        return Err(DomainError::UnknownAccounts(missing).into());
                    }
                    let owner: Option<String> = tenant_members::table
                        .filter(tenant_members::account_id.eq_any(chunk))
                        .filter(tenant_members::role.eq(domain::model::WorkspaceRole::Owner.as_str()))
                        .select(tenant_members::account_id)
                        .first(conn)
                        .optional()?;
                    if let Some(owner) = owner {
                        return Err(DomainError::OwnsWorkspace { account_id: crate::rows::id_from_db(&owner)? }.into());
                    }
                    diesel::update(accounts::table.filter(accounts::id.eq_any(chunk)))
                        .set((
                            accounts::deleted_at.eq(Some(at)),
                            accounts::tokens_not_before.eq(Some(at)),
                            accounts::token_generation.eq(accounts::token_generation + 1),
                            accounts::updated_at.eq(at),
                        ))
                        .execute(conn)?;
                    diesel::update(
                        login_sessions::table
                            .filter(login_sessions::account_id.eq_any(chunk))
                            .filter(login_sessions::revoked_at.is_null()),
                    )
                    .set(login_sessions::revoked_at.eq(Some(at)))
                    .execute(conn)?;
                    diesel::update(
                        access_keys::table
                            .filter(access_keys::account_id.eq_any(chunk))
                            .filter(access_keys::deleted_at.is_null()),
                    )
                    .set(access_keys::deleted_at.eq(Some(at)))
                    .execute(conn)?;
                    // a deleted account is nobody's member: member lists and their counts read the
                    // membership tables alone
                    diesel::delete(group_members::table.filter(group_members::account_id.eq_any(chunk)))
                        .execute(conn)?;
                    diesel::delete(tenant_members::table.filter(tenant_members::account_id.eq_any(chunk)))
                        .execute(conn)?;
                    diesel::delete(dataset_members::table.filter(dataset_members::account_id.eq_any(chunk)))
                        .execute(conn)?;
                    // the provider identities are free to sign in to (or found) another account
                    diesel::delete(account_identities::table.filter(account_identities::account_id.eq_any(chunk)))
                        .execute(conn)?;
                }
                for audit in &audits {
                    insert_audit(conn, audit)?;
                }
                Ok(())
            })
            .await;
        self.forget(ids_of_delete);
        result
    }

    async fn taken_identifiers(&self, wanted: &WantedIdentifiers) -> DomainResult<Vec<(&'static str, String)>> {
        let wanted = wanted.clone();
        self.db
            .run(move |conn| {
                let mut taken = Vec::new();
                // bounded chunks: SQLite limits the number of bound parameters
                for chunk in wanted.ids.chunks(500) {
                    let ids: Vec<String> = chunk.iter().map(|id| id_to_db(*id)).collect();
                    let found: Vec<String> =
                        accounts::table.filter(accounts::id.eq_any(&ids)).select(accounts::id).load(conn)?;
                    taken.extend(found.into_iter().map(|v| ("id", v)));
                }
                for chunk in wanted.usernames.chunks(500) {
                    let found: Vec<Option<String>> = accounts::table
                        .filter(accounts::deleted_at.is_null())
                        .filter(accounts::username.eq_any(chunk))
                        .select(accounts::username)
                        .load(conn)?;
                    taken.extend(found.into_iter().flatten().map(|v| ("username", v)));
                }
                for chunk in wanted.phones.chunks(500) {
                    let found: Vec<Option<String>> = accounts::table
                        .filter(accounts::deleted_at.is_null())
                        .filter(accounts::phone.eq_any(chunk))
                        .select(accounts::phone)
                        .load(conn)?;
                    taken.extend(found.into_iter().flatten().map(|v| ("phone", v)));
                }
                for chunk in wanted.email_keys.chunks(500) {
                    let found: Vec<Option<String>> = accounts::table
                        .filter(accounts::deleted_at.is_null())
                        .filter(accounts::email_key.eq_any(chunk))
                        .select(accounts::email_key)
                        .load(conn)?;
                    taken.extend(found.into_iter().flatten().map(|v| ("email", v)));
                }
                for chunk in wanted.external_ids.chunks(500) {
                    let found: Vec<Option<String>> = accounts::table
                        .filter(accounts::deleted_at.is_null())
                        .filter(accounts::external_id.eq_any(chunk))
                        .select(accounts::external_id)
                        .load(conn)?;
                    taken.extend(found.into_iter().flatten().map(|v| ("external_id", v)));
                }
                Ok(taken)
            })
            .await
    }

    async fn search(
        &self,
        query: Option<String>,
        offset: i64,
        limit: i64,
        count: bool,
    ) -> DomainResult<(Vec<Account>, Option<i64>)> {
        let Some(term) = query.filter(|q| !q.is_empty()) else {
            return self.list_where(AccountOrder::default(), offset, limit, count, all_accounts).await;
        };
        let sample = Arc::clone(&self.search_sample);
        let (rows, total) = self
            .db
            .run(move |conn| account_search::page_of_matches(conn, &sample, &term, offset, limit, count))
            .await?;
        Ok((rows.into_iter().map(AccountRow::into_domain).collect::<DomainResult<_>>()?, total))
    }

    async fn filter(
        &self,
        filter: Option<AccountFilter>,
        order: AccountOrder,
        offset: i64,
        limit: i64,
    ) -> DomainResult<(Vec<Account>, i64)> {
        let filter = filter.unwrap_or(AccountFilter::All(Vec::new()));
        let (rows, total) = self.list_where(order, offset, limit, true, move || condition(&filter)).await?;
        Ok((rows, total.unwrap_or_default()))
    }

    async fn find_live_by_login(&self, identifier: &str) -> DomainResult<Option<Account>> {
        let (raw, key) = (identifier.trim().to_owned(), domain::values::email_key(identifier));
        let row = self
            .db
            .run(move |conn| {
                Ok(accounts::table
                    .filter(accounts::deleted_at.is_null())
                    .filter(accounts::username.eq(&raw).or(accounts::phone.eq(&raw)).or(accounts::email_key.eq(&key)))
                    .order((accounts::created_at.asc(), accounts::id.asc()))
                    .select(AccountRow::as_select())
                    .first(conn)
                    .optional()?)
            })
            .await?;
        row.map(AccountRow::into_domain).transpose()
    }

    async fn find_live_by_external_id(&self, external_id: &str) -> DomainResult<Option<Account>> {
        let external_id = external_id.to_owned();
        let row = self
            .db
            .run(move |conn| {
                Ok(accounts::table
                    .filter(accounts::deleted_at.is_null())
                    .filter(accounts::external_id.eq(&external_id))
                    .select(AccountRow::as_select())
                    .first(conn)
                    .optional()?)
            })
            .await?;
        row.map(AccountRow::into_domain).transpose()
    }

    async fn insert(
        &self,
        account: &Account,
        groups: &[GroupMembership],
        tenants: &[WorkspaceMembership],
    ) -> DomainResult<()> {
        let row = AccountRow::from(account);
        let (groups, tenants) = (groups.to_vec(), tenants.to_vec());
        self.db
            .write(move |conn| {
                diesel::insert_into(accounts::table).values(&row).execute(conn)?;
                insert_memberships(conn, &groups, &tenants)
            })
            .await
    }

    async fn update_batch(&self, changes: &[AccountChange], audits: &[AuditEvent]) -> DomainResult<()> {
        let changed_ids: Vec<Uuid> = changes.iter().map(|c| c.account.id).collect();
        let (mut changes, audits) = (changes.to_vec(), audits.to_vec());
        // Rows are locked in one canonical order (by id) whatever the request's order, so two batches over the
        // same accounts queue instead of deadlocking.
        changes.sort_by_key(|c| c.account.id);
        let result = self
            .db
            .write(move |conn| {
                for change in &changes {
                    apply_change(conn, change)?;
                }
                for audit in &audits {
                    insert_audit(conn, audit)?;
                }
                Ok(())
            })
            .await;
        self.forget(changed_ids);
        result
    }

    async fn reset_password(&self, reset: &PasswordReset) -> DomainResult<bool> {
        let account_id = reset.account_id;
        let reset = reset.clone();
        let result = self
            .db
            .write(move |conn| {
                let id = id_to_db(reset.account_id);
                let at = to_db(reset.at);
                if let Some(code) = &reset.code {
                    if !redeem_code(conn, code, at)? {
                        return Ok(false);
                    }
                }
                let changes = (
                    accounts::password_hash.eq(Some(reset.password_hash.clone())),
                    accounts::password_changed_at.eq(Some(at)),
                    accounts::password_changed_by.eq(reset.changed_by.map(id_to_db)),
                    accounts::tokens_not_before.eq(Some(at)),
                    accounts::token_generation.eq(accounts::token_generation + 1),
                    accounts::updated_at.eq(at),
                );
                let changed = match &reset.replaces_hash {
                    Some(old) => diesel::update(accounts::table.find(&id).filter(accounts::password_hash.eq(old)))
                        .set(changes)
                        .execute(conn)?,
                    None => diesel::update(accounts::table.find(&id)).set(changes).execute(conn)?,
                };
                if changed == 0 {
                    if reset.replaces_hash.is_some() {
                        return Ok(false);
                    }
                    return Err(DomainError::NotFound { entity: "account" }.into());
                }
                if reset.changed_by.is_none() {
                    // the holder chose this password: no further change is demanded
                    diesel::update(accounts::table.find(&id))
                        .set((
                            accounts::password_change_on_first_login.eq(false),
                            accounts::password_change_on_next_login.eq(false),
                        ))
                        .execute(conn)?;
                }
                diesel::update(
                    login_sessions::table
                        .filter(login_sessions::account_id.eq(&id))
                        .filter(login_sessions::revoked_at.is_null()),
                )
                .set(login_sessions::revoked_at.eq(Some(at)))
                .execute(conn)?;
                diesel::delete(throttles::table.find(&reset.lockout_key)).execute(conn)?;
                Ok(true)
            })
            .await;
        self.forget([account_id]);
        result
    }

    async fn record_login(&self, id: Uuid, at: OffsetDateTime, ip: Option<String>) -> DomainResult<()> {
        let result = self.db.write(move |conn| mark_login(conn, &id_to_db(id), at, ip.clone())).await;
        self.forget([id]);
        result
    }

    async fn touch_active(&self, id: Uuid, at: OffsetDateTime, since: OffsetDateTime) -> DomainResult<()> {
        let result = self
            .db
            .run(move |conn| {
                // Concurrent touches of one account: the first writes; the others wait for its commit at most,
                // then find the row fresh and write nothing.
                diesel::update(accounts::table.find(id_to_db(id)))
                    .filter(accounts::last_active_at.is_null().or(accounts::last_active_at.lt(to_db(since))))
                    .set(accounts::last_active_at.eq(Some(to_db(at))))
                    .execute(conn)?;
                Ok(())
            })
            .await;
        self.forget([id]);
        result
    }

    async fn replace_password_hash(&self, id: Uuid, old: String, new: String) -> DomainResult<()> {
        let result = self
            .db
            .run(move |conn| {
                diesel::update(accounts::table.find(id_to_db(id)).filter(accounts::password_hash.eq(&old)))
                    .set(accounts::password_hash.eq(Some(&new)))
                    .execute(conn)?;
                Ok(())
            })
            .await;
        self.forget([id]);
        result
    }

    async fn list_group_members(&self, group_id: Uuid, page: PageRequest) -> DomainResult<Page<(Account, GroupRole)>> {
        let (rows, total) = self
            .db
            .run(move |conn| {
                let gid = id_to_db(group_id);
                // Deleted accounts have no memberships: count and page on the membership index alone (an
                // index-only scan of `group_members_newest`, which holds the role too, so an offset skips index
                // entries, not table rows), then read the page's accounts by key.
                let members = group_members::table.filter(group_members::group_id.eq(&gid));
                let total: i64 = members.count().get_result(conn)?;
                let page_members = crate::repo::rows_of_page(total, page, || {
                    Ok(members
                        .order((group_members::created_at.desc(), group_members::account_id.asc()))
                        .limit(i64::from(page.limit))
                        .offset(page.offset())
                        .select((group_members::account_id, group_members::role))
                        .load::<(String, String)>(conn)?)
                })?;
                if page_members.is_empty() {
                    return Ok((Vec::new(), total));
                }
                let ids: Vec<&String> = page_members.iter().map(|(id, _)| id).collect();
                let mut accounts: std::collections::HashMap<String, AccountRow> = accounts::table
                    .filter(accounts::id.eq_any(&ids))
                    .select(AccountRow::as_select())
                    .load::<AccountRow>(conn)?
                    .into_iter()
                    .map(|row| (row.id.clone(), row))
                    .collect();
                let rows: Vec<(AccountRow, String)> = page_members
                    .into_iter()
                    .filter_map(|(id, role)| accounts.remove(&id).map(|row| (row, role)))
                    .collect();
                Ok((rows, total))
            })
            .await?;
        let items = rows
            .into_iter()
            .map(|(row, role)| Ok((row.into_domain()?, GroupRole::parse(&role).unwrap_or(GroupRole::Normal))))
            .collect::<DomainResult<_>>()?;
        Ok(Page { items, total, request: page })
    }
}
