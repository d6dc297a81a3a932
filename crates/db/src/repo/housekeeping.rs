use async_trait::async_trait;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Timestamp};
use domain::ports::{Housekeeping, PurgeCutoffs, PurgeReport};
use domain::DomainResult;

use super::for_backend;
use crate::rows::to_db;
use crate::Database;

/// Removes rows that outlived their use. Each kind is one `DELETE … WHERE key IN (SELECT key … LIMIT n)` on its
/// own (no transaction spans kinds), so locks are held briefly; two instances purging at once remove each row
/// once between them.
#[derive(Debug, Clone)]
pub struct DieselHousekeeping {
    db: Database,
}

impl DieselHousekeeping {
    /// Housekeeping over `db`.
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

/// Ended sessions; their refresh tokens go with them (`ON DELETE CASCADE`). `$1`: ended before; `$2`: batch.
const SESSIONS: &str = "DELETE FROM login_sessions WHERE id IN (SELECT id FROM login_sessions \
     WHERE revoked_at < $1 OR absolute_expires_at < $1 LIMIT $2)";
/// Expired refresh tokens (rotated ones are kept until then, so that a reuse is recognised).
const REFRESH_TOKENS: &str = "DELETE FROM refresh_tokens WHERE token_digest IN (SELECT token_digest \
     FROM refresh_tokens WHERE expires_at < $1 LIMIT $2)";
/// Expired one-time codes.
const CODES: &str =
    "DELETE FROM verification_codes WHERE id IN (SELECT id FROM verification_codes WHERE expires_at < $1 LIMIT $2)";
/// Counters and sign-in states whose window ended.
const THROTTLES: &str =
    "DELETE FROM throttles WHERE key IN (SELECT key FROM throttles WHERE window_ends_at < $1 LIMIT $2)";
/// Expired request nonces.
const NONCES: &str = "DELETE FROM request_nonces WHERE nonce_key IN (SELECT nonce_key FROM request_nonces \
     WHERE expires_at < $1 LIMIT $2)";
/// Mails sent or given up.
const MAILS: &str = "DELETE FROM mail_outbox WHERE id IN (SELECT id FROM mail_outbox \
     WHERE sent_at < $1 OR failed_at < $1 LIMIT $2)";

#[async_trait]
impl Housekeeping for DieselHousekeeping {
    async fn purge_batch(&self, cutoffs: &PurgeCutoffs, batch: u32) -> DomainResult<PurgeReport> {
        let (expired, ended) = (to_db(cutoffs.expired_before), to_db(cutoffs.ended_before));
        let limit = i64::from(batch);
        self.db
            .run(move |conn| {
                let mut purge = |sql: &str, before| -> QueryResult<u64> {
                    let removed = diesel::sql_query(for_backend(conn, sql))
                        .bind::<Timestamp, _>(before)
                        .bind::<BigInt, _>(limit)
                        .execute(conn)?;
                    Ok(u64::try_from(removed).unwrap_or(u64::MAX))
                };
                Ok(PurgeReport {
                    sessions: purge(SESSIONS, ended)?,
                    refresh_tokens: purge(REFRESH_TOKENS, ended)?,
                    codes: purge(CODES, ended)?,
                    throttles: purge(THROTTLES, expired)?,
                    nonces: purge(NONCES, expired)?,
                    mails: purge(MAILS, ended)?,
                })
            })
            .await
    }
}
