use async_trait::async_trait;
use base64::Engine;
use diesel::prelude::*;
use diesel::sql_types::Text;
use domain::model::{AccessKey, AccessKeyStatus, AuditEvent, WireEnum};
use domain::ports::AccessKeyRepository;
use domain::{DomainError, DomainResult};
use time::{OffsetDateTime, PrimitiveDateTime};
use uuid::Uuid;

use crate::conn::DbConnection;
use crate::error::RepoError;
use crate::rows::{from_db, id_from_db, id_to_db, to_db};
use crate::schema::{access_keys, audit_events};
use crate::Database;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// Access keys in the database; the sealed secret is stored as base64 text.
#[derive(Debug, Clone)]
pub struct DieselAccessKeys {
    db: Database,
}

impl DieselAccessKeys {
    /// Repository over `db`.
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = access_keys)]
struct KeyRow {
    id: String,
    account_id: String,
    access_key: String,
    secret_ciphertext: String,
    name: Option<String>,
    status: String,
    created_at: PrimitiveDateTime,
    last_used_at: Option<PrimitiveDateTime>,
    deleted_at: Option<PrimitiveDateTime>,
}

impl KeyRow {
    fn into_domain(self) -> DomainResult<AccessKey> {
        Ok(AccessKey {
            id: id_from_db(&self.id)?,
            account_id: id_from_db(&self.account_id)?,
            access_key: self.access_key,
            secret_ciphertext: B64
                .decode(&self.secret_ciphertext)
                .map_err(|e| DomainError::internal_msg(format!("stored sealed secret is not base64: {e}")))?,
            name: self.name,
            status: AccessKeyStatus::parse(&self.status)
                .ok_or_else(|| DomainError::internal_msg(format!("stored key status {:?} is unknown", self.status)))?,
            created_at: from_db(self.created_at),
            last_used_at: self.last_used_at.map(from_db),
            deleted_at: self.deleted_at.map(from_db),
        })
    }
}

/// Writes an audit event inside the caller's transaction.
pub(crate) fn insert_audit(conn: &mut DbConnection, event: &AuditEvent) -> Result<(), RepoError> {
    diesel::insert_into(audit_events::table)
        .values((
            audit_events::id.eq(id_to_db(event.id)),
            audit_events::at.eq(to_db(event.at)),
            audit_events::actor_account_id.eq(event.actor_account_id.map(id_to_db)),
            audit_events::actor_access_key_id.eq(event.actor_access_key_id.map(id_to_db)),
            audit_events::action.eq(&event.action),
            audit_events::target_type.eq(&event.target_type),
            audit_events::target_id.eq(&event.target_id),
            audit_events::request_id.eq(&event.request_id),
            audit_events::changes.eq(event.changes.to_string()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Refuses when the account already has `max_active` active keys; on Postgres the account row is locked first,
/// so parallel requests are counted one after the other (SQLite's write transaction already is exclusive).
fn check_active_limit(conn: &mut DbConnection, account_id: &str, max_active: i64) -> Result<(), RepoError> {
    if let DbConnection::Postgres(_) = conn {
        diesel::sql_query("SELECT id FROM accounts WHERE id = $1 FOR UPDATE")
            .bind::<Text, _>(account_id)
            .execute(conn)?;
    }
    let active: i64 = access_keys::table
        .filter(access_keys::account_id.eq(account_id))
        .filter(access_keys::deleted_at.is_null())
        .filter(access_keys::status.eq(AccessKeyStatus::Active.as_str()))
        .count()
        .get_result(conn)?;
    if active >= max_active {
        return Err(DomainError::ActiveKeyLimit.into());
    }
    Ok(())
}

fn live_key(conn: &mut DbConnection, id: &str) -> Result<KeyRow, RepoError> {
    access_keys::table
        .find(id)
        .filter(access_keys::deleted_at.is_null())
        .select(KeyRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| DomainError::NotFound { entity: "access key" }.into())
}

#[async_trait]
impl AccessKeyRepository for DieselAccessKeys {
    async fn insert(&self, key: &AccessKey, max_active: i64, audit: &AuditEvent) -> DomainResult<()> {
        let (key, audit) = (key.clone(), audit.clone());
        self.db
            .write(move |conn| {
                let account_id = id_to_db(key.account_id);
                check_active_limit(conn, &account_id, max_active)?;
                diesel::insert_into(access_keys::table)
                    .values((
                        access_keys::id.eq(id_to_db(key.id)),
                        access_keys::account_id.eq(&account_id),
                        access_keys::access_key.eq(&key.access_key),
                        access_keys::secret_ciphertext.eq(B64.encode(&key.secret_ciphertext)),
                        access_keys::name.eq(&key.name),
                        access_keys::status.eq(key.status.as_str()),
                        access_keys::created_at.eq(to_db(key.created_at)),
                    ))
                    .execute(conn)?;
                insert_audit(conn, &audit)
            })
            .await
    }

    async fn list(&self, account_id: Uuid) -> DomainResult<Vec<AccessKey>> {
        let rows = self
            .db
            .run(move |conn| {
                Ok(access_keys::table
                    .filter(access_keys::account_id.eq(id_to_db(account_id)))
                    .filter(access_keys::deleted_at.is_null())
                    .order((access_keys::created_at.asc(), access_keys::id.asc()))
                    .select(KeyRow::as_select())
                    .load(conn)?)
            })
            .await?;
        rows.into_iter().map(KeyRow::into_domain).collect()
    }

    async fn get(&self, id: Uuid) -> DomainResult<Option<AccessKey>> {
        let row = self
            .db
            .run(move |conn| match live_key(conn, &id_to_db(id)) {
                Ok(row) => Ok(Some(row)),
                Err(RepoError::Domain(DomainError::NotFound { .. })) => Ok(None),
                Err(other) => Err(other),
            })
            .await?;
        row.map(KeyRow::into_domain).transpose()
    }

    async fn find_by_access_key(&self, access_key: &str) -> DomainResult<Option<AccessKey>> {
        let access_key = access_key.to_owned();
        let row = self
            .db
            .run(move |conn| {
                Ok(access_keys::table
                    .filter(access_keys::access_key.eq(&access_key))
                    .filter(access_keys::deleted_at.is_null())
                    .select(KeyRow::as_select())
                    .first(conn)
                    .optional()?)
            })
            .await?;
        row.map(KeyRow::into_domain).transpose()
    }

    async fn set_status(
        &self,
        id: Uuid,
        status: AccessKeyStatus,
        max_active: i64,
        audit: &AuditEvent,
    ) -> DomainResult<()> {
        let audit = audit.clone();
        self.db
            .write(move |conn| {
                let row = live_key(conn, &id_to_db(id))?;
                if status == AccessKeyStatus::Active && row.status != status.as_str() {
                    check_active_limit(conn, &row.account_id, max_active)?;
                }
                diesel::update(access_keys::table.find(&row.id))
                    .set(access_keys::status.eq(status.as_str()))
                    .execute(conn)?;
                insert_audit(conn, &audit)
            })
            .await
    }

    async fn delete(&self, id: Uuid, at: OffsetDateTime, audit: &AuditEvent) -> DomainResult<()> {
        let audit = audit.clone();
        self.db
            .write(move |conn| {
                let row = live_key(conn, &id_to_db(id))?;
                diesel::update(access_keys::table.find(&row.id))
                    .set(access_keys::deleted_at.eq(Some(to_db(at))))
                    .execute(conn)?;
                insert_audit(conn, &audit)
            })
            .await
    }

    async fn record_use(&self, id: Uuid, at: OffsetDateTime, audit: &AuditEvent) -> DomainResult<()> {
        let audit = audit.clone();
        self.db
            .write(move |conn| {
                diesel::update(access_keys::table.find(id_to_db(id)))
                    .set(access_keys::last_used_at.eq(Some(to_db(at))))
                    .execute(conn)?;
                insert_audit(conn, &audit)
            })
            .await
    }
}
