use async_trait::async_trait;
use diesel::prelude::*;
use diesel::sql_types::{Integer, Text, Timestamp};
use domain::model::{CodePurpose, OutboxMail, VerificationCode, WireEnum};
use domain::ports::CodeRepository;
use domain::values::email_key;
use domain::{DomainError, DomainResult};
use serde::{Deserialize, Serialize};
use time::{OffsetDateTime, PrimitiveDateTime};

use super::for_backend;
use super::outbox::insert_outbox;
use crate::rows::{from_db, id_from_db, id_to_db, to_db};
use crate::schema::verification_codes;
use crate::Database;

/// Mailed one-time codes in the database (`verification_codes`, keyed by the token's digest).
#[derive(Debug, Clone)]
pub struct DieselCodes {
    db: Database,
}

impl DieselCodes {
    /// Repository over `db`.
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

/// What the `payload` column holds for a code.
#[derive(Serialize, Deserialize)]
struct CodePayload {
    email: String,
    language: String,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = verification_codes)]
struct CodeRow {
    id: String,
    purpose: String,
    account_id: Option<String>,
    code_digest: Option<String>,
    payload: String,
    attempts: i32,
    created_at: PrimitiveDateTime,
    expires_at: PrimitiveDateTime,
    verified_at: Option<PrimitiveDateTime>,
    consumed_at: Option<PrimitiveDateTime>,
}

impl CodeRow {
    fn into_domain(self) -> DomainResult<VerificationCode> {
        let purpose = CodePurpose::parse(&self.purpose)
            .ok_or_else(|| DomainError::internal_msg(format!("stored code purpose {:?} is unknown", self.purpose)))?;
        let payload: CodePayload = serde_json::from_str(&self.payload)
            .map_err(|e| DomainError::internal_msg(format!("stored code payload is unreadable: {e}")))?;
        Ok(VerificationCode {
            token_digest: self.id,
            purpose,
            account_id: self.account_id.as_deref().map(id_from_db).transpose()?,
            email: payload.email,
            code_digest: self.code_digest,
            language: payload.language,
            attempts: self.attempts,
            created_at: from_db(self.created_at),
            expires_at: from_db(self.expires_at),
            verified_at: self.verified_at.map(from_db),
            consumed_at: self.consumed_at.map(from_db),
        })
    }
}

/// Redeems a confirmed, unredeemed code inside the caller's transaction; `false` when it is not (any more).
pub(crate) fn redeem_code(
    conn: &mut crate::DbConnection,
    token_digest: &str,
    at: PrimitiveDateTime,
) -> Result<bool, crate::RepoError> {
    let redeemed = diesel::update(
        verification_codes::table
            .find(token_digest)
            .filter(verification_codes::consumed_at.is_null())
            .filter(verification_codes::verified_at.is_not_null()),
    )
    .set(verification_codes::consumed_at.eq(Some(at)))
    .execute(conn)?;
    Ok(redeemed == 1)
}

#[derive(QueryableByName)]
struct Attempts {
    #[diesel(sql_type = Integer)]
    attempts: i32,
}

#[async_trait]
impl CodeRepository for DieselCodes {
    async fn issue(&self, code: &VerificationCode, mail: &OutboxMail) -> DomainResult<()> {
        let (code, mail) = (code.clone(), mail.clone());
        self.db
            .write(move |conn| {
                let key = email_key(&code.email);
                let now = to_db(code.created_at);
                diesel::update(
                    verification_codes::table
                        .filter(verification_codes::purpose.eq(code.purpose.as_str()))
                        .filter(verification_codes::email_key.eq(&key))
                        .filter(verification_codes::consumed_at.is_null()),
                )
                .set(verification_codes::consumed_at.eq(Some(now)))
                .execute(conn)?;
                let payload =
                    serde_json::to_string(&CodePayload { email: code.email.clone(), language: code.language.clone() })
                        .map_err(|e| DomainError::internal_msg(format!("cannot store the code: {e}")))?;
                diesel::insert_into(verification_codes::table)
                    .values((
                        verification_codes::id.eq(&code.token_digest),
                        verification_codes::purpose.eq(code.purpose.as_str()),
                        verification_codes::account_id.eq(code.account_id.map(id_to_db)),
                        verification_codes::email_key.eq(&key),
                        verification_codes::code_digest.eq(&code.code_digest),
                        verification_codes::payload.eq(payload),
                        verification_codes::attempts.eq(code.attempts),
                        verification_codes::created_at.eq(now),
                        verification_codes::expires_at.eq(to_db(code.expires_at)),
                    ))
                    .execute(conn)?;
                insert_outbox(conn, &mail)
            })
            .await
    }

    async fn find(&self, token_digest: &str) -> DomainResult<Option<VerificationCode>> {
        let id = token_digest.to_owned();
        let purposes: Vec<&'static str> = CodePurpose::ALL.iter().map(|p| p.as_str()).collect();
        let row = self
            .db
            .run(move |conn| {
                Ok(verification_codes::table
                    .find(&id)
                    .filter(verification_codes::purpose.eq_any(purposes.clone()))
                    .select(CodeRow::as_select())
                    .first(conn)
                    .optional()?)
            })
            .await?;
        row.map(CodeRow::into_domain).transpose()
    }

    async fn count_attempt(&self, token_digest: &str, now: OffsetDateTime) -> DomainResult<Option<i32>> {
        let id = token_digest.to_owned();
        self.db
            .run(move |conn| {
                let sql = "UPDATE verification_codes SET attempts = attempts + 1 \
                           WHERE id = $1 AND consumed_at IS NULL AND expires_at > $2 RETURNING attempts";
                let row: Option<Attempts> = diesel::sql_query(for_backend(conn, sql))
                    .bind::<Text, _>(&id)
                    .bind::<Timestamp, _>(to_db(now))
                    .get_result(conn)
                    .optional()?;
                Ok(row.map(|r| r.attempts))
            })
            .await
    }

    async fn mark_verified(
        &self,
        token_digest: &str,
        now: OffsetDateTime,
        valid_until: OffsetDateTime,
    ) -> DomainResult<()> {
        let id = token_digest.to_owned();
        self.db
            .run(move |conn| {
                diesel::update(verification_codes::table.find(&id).filter(verification_codes::consumed_at.is_null()))
                    .set((
                        verification_codes::verified_at.eq(Some(to_db(now))),
                        verification_codes::expires_at.eq(to_db(valid_until)),
                    ))
                    .execute(conn)?;
                Ok(())
            })
            .await
    }
}
