use async_trait::async_trait;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text, Timestamp};
use domain::ports::ThrottleRepository;
use domain::DomainResult;
use time::{Duration, OffsetDateTime};

use super::for_backend;
use crate::rows::to_db;
use crate::schema::throttles;
use crate::Database;

/// Windowed counters and used request nonces in the database.
#[derive(Debug, Clone)]
pub struct DieselThrottles {
    db: Database,
}

impl DieselThrottles {
    /// Repository over `db`.
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

/// Records a nonce unless a live record exists (an expired one is taken over); returns a row when recorded.
const USE_ONCE_SQL: &str = "INSERT INTO request_nonces (nonce_key, expires_at) VALUES ($1, $2) \
     ON CONFLICT (nonce_key) DO UPDATE SET expires_at = $2 WHERE request_nonces.expires_at <= $3 \
     RETURNING CAST(1 AS BIGINT) AS count";

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    count: i64,
}

/// One atomic upsert; both backends speak `ON CONFLICT … DO UPDATE … RETURNING`, they differ in placeholders.
const HIT_SQL: &str = "INSERT INTO throttles (key, count, window_ends_at) VALUES ($1, 1, $2) \
     ON CONFLICT (key) DO UPDATE SET \
     count = CASE WHEN throttles.window_ends_at <= $3 THEN 1 ELSE throttles.count + 1 END, \
     window_ends_at = CASE WHEN throttles.window_ends_at <= $3 THEN $2 ELSE throttles.window_ends_at END \
     RETURNING count";

#[async_trait]
impl ThrottleRepository for DieselThrottles {
    async fn hit(&self, key: &str, now: OffsetDateTime, window: Duration) -> DomainResult<i64> {
        let key = key.to_owned();
        self.db
            .run(move |conn| {
                let row: Count = diesel::sql_query(for_backend(conn, HIT_SQL))
                    .bind::<Text, _>(&key)
                    .bind::<Timestamp, _>(to_db(now + window))
                    .bind::<Timestamp, _>(to_db(now))
                    .get_result(conn)?;
                Ok(row.count)
            })
            .await
    }

    async fn count(&self, key: &str, now: OffsetDateTime) -> DomainResult<i64> {
        let key = key.to_owned();
        self.db
            .run(move |conn| {
                Ok(throttles::table
                    .find(&key)
                    .filter(throttles::window_ends_at.gt(to_db(now)))
                    .select(throttles::count)
                    .first(conn)
                    .optional()?
                    .unwrap_or(0))
            })
            .await
    }

    async fn use_once(&self, key: &str, now: OffsetDateTime, expires_at: OffsetDateTime) -> DomainResult<bool> {
        let key = key.to_owned();
        self.db
            .run(move |conn| {
                let recorded: Option<Count> = diesel::sql_query(for_backend(conn, USE_ONCE_SQL))
                    .bind::<Text, _>(&key)
                    .bind::<Timestamp, _>(to_db(expires_at))
                    .bind::<Timestamp, _>(to_db(now))
                    .get_result(conn)
                    .optional()?;
                Ok(recorded.is_some())
            })
            .await
    }

    async fn clear(&self, key: &str) -> DomainResult<()> {
        let key = key.to_owned();
        self.db
            .run(move |conn| {
                diesel::delete(throttles::table.find(&key)).execute(conn)?;
                Ok(())
            })
            .await
    }
}
