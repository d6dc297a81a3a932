use async_trait::async_trait;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text, Timestamp};
use domain::model::{Mail, MailMessage, OutboxMail, OutboxState, Page, PageRequest};
use domain::ports::OutboxRepository;
use domain::{DomainError, DomainResult};
use time::{Duration, OffsetDateTime, PrimitiveDateTime};
use uuid::Uuid;

use super::for_backend;
use crate::conn::DbConnection;
use crate::error::RepoError;
use crate::rows::{from_db, id_from_db, id_to_db, to_db};
use crate::schema::mail_outbox;
use crate::Database;

/// Mails in the outbox by state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OutboxCounts {
    /// Waiting for their first or next attempt.
    pub pending: i64,
    /// Handed to the SMTP server.
    pub sent: i64,
    /// Given up.
    pub failed: i64,
}

/// The mail outbox in the database.
#[derive(Debug, Clone)]
pub struct DieselOutbox {
    db: Database,
}

impl DieselOutbox {
    /// Repository over `db`.
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    /// How many mails are pending, sent and given up (sent and given-up mails are kept until housekeeping
    /// removes them), for metrics.
    pub async fn counts(&self) -> DomainResult<OutboxCounts> {
        #[derive(QueryableByName)]
        struct Row {
            #[diesel(sql_type = BigInt)]
            pending: i64,
            #[diesel(sql_type = BigInt)]
            sent: i64,
            #[diesel(sql_type = BigInt)]
            failed: i64,
        }
        let row = self
            .db
            .run(|conn| {
                Ok(diesel::sql_query(
                    "SELECT \
                     COALESCE(SUM(CASE WHEN sent_at IS NULL AND failed_at IS NULL THEN 1 ELSE 0 END), 0) AS pending, \
                     COALESCE(SUM(CASE WHEN sent_at IS NOT NULL THEN 1 ELSE 0 END), 0) AS sent, \
                     COALESCE(SUM(CASE WHEN sent_at IS NULL AND failed_at IS NOT NULL THEN 1 ELSE 0 END), 0) AS failed \
                     FROM mail_outbox",
                )
                .get_result::<Row>(conn)?)
            })
            .await?;
        Ok(OutboxCounts { pending: row.pending, sent: row.sent, failed: row.failed })
    }
}

#[derive(Queryable, Selectable, QueryableByName)]
#[diesel(table_name = mail_outbox)]
struct OutboxRow {
    id: String,
    recipient: String,
    language: String,
    payload: String,
    created_at: PrimitiveDateTime,
    due_at: PrimitiveDateTime,
    attempts: i32,
    claimed_until: Option<PrimitiveDateTime>,
    last_error: Option<String>,
    sent_at: Option<PrimitiveDateTime>,
    failed_at: Option<PrimitiveDateTime>,
}

impl OutboxRow {
    fn into_domain(self) -> DomainResult<OutboxMail> {
        let message: MailMessage = serde_json::from_str(&self.payload)
            .map_err(|e| DomainError::internal_msg(format!("stored mail {} is unreadable: {e}", self.id)))?;
        Ok(OutboxMail {
            id: id_from_db(&self.id)?,
            mail: Mail { to: self.recipient, language: self.language, message },
            created_at: from_db(self.created_at),
            due_at: from_db(self.due_at),
            attempts: self.attempts,
            claimed_until: self.claimed_until.map(from_db),
            last_error: self.last_error,
            sent_at: self.sent_at.map(from_db),
            failed_at: self.failed_at.map(from_db),
        })
    }
}

/// Writes a mail to the outbox on `conn` (inside the caller's transaction).
pub(crate) fn insert_outbox(conn: &mut DbConnection, mail: &OutboxMail) -> Result<(), RepoError> {
    let payload = serde_json::to_string(&mail.mail.message)
        .map_err(|e| DomainError::internal_msg(format!("cannot store the mail: {e}")))?;
    diesel::insert_into(mail_outbox::table)
        .values((
            mail_outbox::id.eq(id_to_db(mail.id)),
            mail_outbox::recipient.eq(&mail.mail.to),
            mail_outbox::template.eq(mail.mail.message.template()),
            mail_outbox::language.eq(&mail.mail.language),
            mail_outbox::payload.eq(payload),
            mail_outbox::created_at.eq(to_db(mail.created_at)),
            mail_outbox::due_at.eq(to_db(mail.due_at)),
            mail_outbox::attempts.eq(mail.attempts),
        ))
        .execute(conn)?;
    Ok(())
}

const COLUMNS: &str =
    "id, recipient, language, payload, created_at, due_at, attempts, claimed_until, last_error, sent_at, failed_at";

/// Only the template name survives delivery (codes and links do not stay in the database).
const DROP_CONTENT: &str = "payload = '{\"template\":\"' || template || '\"}'";

#[async_trait]
impl OutboxRepository for DieselOutbox {
    async fn enqueue(&self, mail: &OutboxMail) -> DomainResult<()> {
        let mail = mail.clone();
        self.db.run(move |conn| insert_outbox(conn, &mail)).await
    }

    async fn claim_due(&self, now: OffsetDateTime, lease: Duration, limit: i64) -> DomainResult<Vec<OutboxMail>> {
        let mut mails = self
            .db
            .write(move |conn| {
                // Postgres: rows another worker is claiming right now are skipped, not waited for. SQLite: the
                // write transaction already excludes every other writer.
                let lock = match conn {
                    DbConnection::Postgres(_) => " FOR UPDATE SKIP LOCKED",
                    DbConnection::Sqlite(_) => "",
                };
                let sql = format!(
                    "UPDATE mail_outbox SET claimed_until = $1, attempts = attempts + 1 WHERE id IN (\
                     SELECT id FROM mail_outbox WHERE sent_at IS NULL AND failed_at IS NULL AND due_at <= $2 \
                     AND (claimed_until IS NULL OR claimed_until <= $3) ORDER BY due_at, id LIMIT $4{lock}) \
                     RETURNING {COLUMNS}"
                );
                let rows: Vec<OutboxRow> = diesel::sql_query(for_backend(conn, &sql))
                    .bind::<Timestamp, _>(to_db(now + lease))
                    .bind::<Timestamp, _>(to_db(now))
                    .bind::<Timestamp, _>(to_db(now))
                    .bind::<BigInt, _>(limit)
                    .load(conn)?;
                let mut mails = Vec::with_capacity(rows.len());
                for row in rows {
                    let id = row.id.clone();
                    match row.into_domain() {
                        Ok(mail) => mails.push(mail),
                        // a row no worker can read would be claimed again and again: give it up now
                        Err(error) => {
                            tracing::error!(mail = %id, %error, "unreadable mail given up");
                            let sql = format!(
                                "UPDATE mail_outbox SET failed_at = $1, claimed_until = NULL, last_error = $2, \
                                 {DROP_CONTENT} WHERE id = $3"
                            );
                            diesel::sql_query(for_backend(conn, &sql))
                                .bind::<Timestamp, _>(to_db(now))
                                .bind::<Nullable<Text>, _>(Some(format!("unreadable: {error}")))
                                .bind::<Text, _>(id)
                                .execute(conn)?;
                        }
                    }
                }
                Ok(mails)
            })
            .await?;
        mails.sort_by_key(|m| (m.due_at, m.id));
        Ok(mails)
    }

    async fn mark_sent(&self, id: Uuid, claim: OffsetDateTime, now: OffsetDateTime) -> DomainResult<bool> {
        self.db
            .run(move |conn| {
                let sql = format!(
                    "UPDATE mail_outbox SET sent_at = $1, claimed_until = NULL, last_error = NULL, {DROP_CONTENT} \
                     WHERE id = $2 AND claimed_until = $3 AND sent_at IS NULL"
                );
                let n = diesel::sql_query(for_backend(conn, &sql))
                    .bind::<Timestamp, _>(to_db(now))
                    .bind::<Text, _>(id_to_db(id))
                    .bind::<Timestamp, _>(to_db(claim))
                    .execute(conn)?;
                Ok(n == 1)
            })
            .await
    }

    async fn mark_attempt_failed(
        &self,
        id: Uuid,
        claim: OffsetDateTime,
        error: &str,
        retry_at: Option<OffsetDateTime>,
        now: OffsetDateTime,
    ) -> DomainResult<()> {
        let error: String = error.chars().take(1000).collect();
        self.db
            .run(move |conn| {
                let sql = match retry_at {
                    Some(_) => "UPDATE mail_outbox SET due_at = $1, claimed_until = NULL, last_error = $2 \
                                WHERE id = $3 AND claimed_until = $4 AND sent_at IS NULL"
                        .to_owned(),
                    None => format!(
                        "UPDATE mail_outbox SET failed_at = $1, claimed_until = NULL, last_error = $2, {DROP_CONTENT} \
                         WHERE id = $3 AND claimed_until = $4 AND sent_at IS NULL"
                    ),
                };
                diesel::sql_query(for_backend(conn, &sql))
                    .bind::<Timestamp, _>(to_db(retry_at.unwrap_or(now)))
                    .bind::<Nullable<Text>, _>(Some(&error))
                    .bind::<Text, _>(id_to_db(id))
                    .bind::<Timestamp, _>(to_db(claim))
                    .execute(conn)?;
                Ok(())
            })
            .await
    }

    async fn list(&self, state: OutboxState, page: PageRequest) -> DomainResult<Page<OutboxMail>> {
        let (rows, total) = self
            .db
            .run(move |conn| {
                let query = || {
                    let q = mail_outbox::table.into_boxed();
                    match state {
                        OutboxState::Pending => {
                            q.filter(mail_outbox::sent_at.is_null()).filter(mail_outbox::failed_at.is_null())
                        }
                        OutboxState::Sent => q.filter(mail_outbox::sent_at.is_not_null()),
                        OutboxState::Failed => q.filter(mail_outbox::failed_at.is_not_null()),
                    }
                };
                let total: i64 = query().count().get_result(conn)?;
                let rows: Vec<OutboxRow> = query()
                    .order((mail_outbox::created_at.desc(), mail_outbox::id.asc()))
                    .limit(i64::from(page.limit))
                    .offset(page.offset())
                    .select(OutboxRow::as_select())
                    .load(conn)?;
                Ok((rows, total))
            })
            .await?;
        // one unreadable row must not hide the others from the admins looking for trouble
        let items = rows
            .into_iter()
            .filter_map(|row| {
                let id = row.id.clone();
                row.into_domain()
                    .map_err(|error| tracing::error!(mail = %id, %error, "unreadable mail not listed"))
                    .ok()
            })
            .collect();
        Ok(Page { items, total, request: page })
    }
}
