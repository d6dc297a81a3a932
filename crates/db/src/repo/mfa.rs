use async_trait::async_trait;
use base64::Engine;
use diesel::prelude::*;
use domain::model::{AuditEvent, TotpFactor};
use domain::ports::MfaRepository;
use domain::{DomainError, DomainResult};
use time::{OffsetDateTime, PrimitiveDateTime};
use uuid::Uuid;

use super::access_keys::insert_audit;
use crate::rows::{from_db, id_from_db, id_to_db, to_db};
use crate::schema::{account_recovery_codes as codes, account_totp as totp};
use crate::Database;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// TOTP factors and recovery codes in the database; the sealed secret is stored as base64 text, recovery codes
/// as keyed digests.
#[derive(Debug, Clone)]
pub struct DieselMfa {
    db: Database,
}

impl DieselMfa {
    /// Repository over `db`.
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = totp)]
struct TotpRow {
    account_id: String,
    secret_ciphertext: String,
    created_at: PrimitiveDateTime,
    confirmed_at: Option<PrimitiveDateTime>,
    last_used_step: Option<i64>,
}

impl TotpRow {
    fn into_domain(self) -> DomainResult<TotpFactor> {
        Ok(TotpFactor {
            account_id: id_from_db(&self.account_id)?,
            secret_ciphertext: B64
                .decode(&self.secret_ciphertext)
                .map_err(|e| DomainError::internal_msg(format!("stored sealed TOTP secret is not base64: {e}")))?,
            created_at: from_db(self.created_at),
            confirmed_at: self.confirmed_at.map(from_db),
            last_used_step: self.last_used_step,
        })
    }
}

#[async_trait]
impl MfaRepository for DieselMfa {
    async fn totp(&self, account_id: Uuid) -> DomainResult<Option<TotpFactor>> {
        let id = id_to_db(account_id);
        let row = self
            .db
            .run(move |conn| Ok(totp::table.find(&id).select(TotpRow::as_select()).first(conn).optional()?))
            .await?;
        row.map(TotpRow::into_domain).transpose()
    }

    async fn begin_totp(&self, factor: &TotpFactor) -> DomainResult<()> {
        let (id, sealed, created_at) =
            (id_to_db(factor.account_id), B64.encode(&factor.secret_ciphertext), to_db(factor.created_at));
        self.db
            .write(move |conn| {
                let confirmed: Option<Option<PrimitiveDateTime>> =
                    totp::table.find(&id).select(totp::confirmed_at).first(conn).optional()?;
                if confirmed.flatten().is_some() {
                    return Err(DomainError::SecondFactorExists.into());
                }
                diesel::delete(totp::table.find(&id)).execute(conn)?;
                diesel::insert_into(totp::table)
                    .values((
                        totp::account_id.eq(&id),
                        totp::secret_ciphertext.eq(&sealed),
                        totp::created_at.eq(created_at),
                    ))
                    .execute(conn)?;
                Ok(())
            })
            .await
    }

    async fn confirm_totp(
        &self,
        account_id: Uuid,
        secret_ciphertext: &[u8],
        step: i64,
        at: OffsetDateTime,
        recovery_digests: &[String],
        audit: &AuditEvent,
    ) -> DomainResult<bool> {
        let (id, sealed, at) = (id_to_db(account_id), B64.encode(secret_ciphertext), to_db(at));
        let (digests, audit) = (recovery_digests.to_vec(), audit.clone());
        self.db
            .write(move |conn| {
                let confirmed = diesel::update(
                    totp::table
                        .find(&id)
                        .filter(totp::confirmed_at.is_null())
                        .filter(totp::secret_ciphertext.eq(&sealed)),
                )
                .set((totp::confirmed_at.eq(at), totp::last_used_step.eq(step)))
                .execute(conn)?;
                if confirmed == 0 {
                    return Ok(false);
                }
                diesel::delete(codes::table.filter(codes::account_id.eq(&id))).execute(conn)?;
                for digest in &digests {
                    diesel::insert_into(codes::table)
                        .values((codes::account_id.eq(&id), codes::code_digest.eq(digest)))
                        .execute(conn)?;
                }
                insert_audit(conn, &audit)?;
                Ok(true)
            })
            .await
    }

    async fn use_totp_step(&self, account_id: Uuid, step: i64) -> DomainResult<bool> {
        let id = id_to_db(account_id);
        // one statement: of two requests with the same code, exactly one moves the step forward
        self.db
            .run(move |conn| {
                let moved = diesel::update(
                    totp::table
                        .find(&id)
                        .filter(totp::confirmed_at.is_not_null())
                        .filter(totp::last_used_step.is_null().or(totp::last_used_step.lt(step))),
                )
                .set(totp::last_used_step.eq(step))
                .execute(conn)?;
                Ok(moved == 1)
            })
            .await
    }

    async fn use_recovery_code(&self, account_id: Uuid, digest: &str, at: OffsetDateTime) -> DomainResult<bool> {
        let (id, digest, at) = (id_to_db(account_id), digest.to_owned(), to_db(at));
        self.db
            .run(move |conn| {
                let used = diesel::update(
                    codes::table
                        .filter(codes::account_id.eq(&id))
                        .filter(codes::code_digest.eq(&digest))
                        .filter(codes::used_at.is_null()),
                )
                .set(codes::used_at.eq(at))
                .execute(conn)?;
                Ok(used == 1)
            })
            .await
    }

    async fn recovery_codes_left(&self, account_id: Uuid) -> DomainResult<i64> {
        let id = id_to_db(account_id);
        self.db
            .run(move |conn| {
                Ok(codes::table
                    .filter(codes::account_id.eq(&id))
                    .filter(codes::used_at.is_null())
                    .count()
                    .get_result(conn)?)
            })
            .await
    }

    async fn remove_totp(&self, account_id: Uuid, audit: &AuditEvent) -> DomainResult<bool> {
        let (id, audit) = (id_to_db(account_id), audit.clone());
        self.db
            .write(move |conn| {
                let removed = diesel::delete(totp::table.find(&id)).execute(conn)?;
                diesel::delete(codes::table.filter(codes::account_id.eq(&id))).execute(conn)?;
                if removed > 0 {
                    insert_audit(conn, &audit)?;
                }
                Ok(removed > 0)
            })
            .await
    }
}
