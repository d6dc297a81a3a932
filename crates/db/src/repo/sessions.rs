use async_trait::async_trait;
use diesel::prelude::*;
use domain::model::{LoginSession, RefreshOutcome};
use domain::ports::SessionRepository;
use domain::DomainResult;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::rows::{id_to_db, to_db, SessionRow};
use crate::schema::{login_sessions, refresh_tokens};
use crate::Database;

/// Login sessions and refresh-token digests in the database.
#[derive(Debug, Clone)]
pub struct DieselSessions {
    db: Database,
}

impl DieselSessions {
    /// Repository over `db`.
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

#[async_trait]
impl SessionRepository for DieselSessions {
    async fn start(
        &self,
        session: &LoginSession,
        token_digest: &str,
        token_expires_at: OffsetDateTime,
    ) -> DomainResult<()> {
        let row = SessionRow {
            id: id_to_db(session.id),
            account_id: id_to_db(session.account_id),
            created_at: to_db(session.created_at),
            last_used_at: to_db(session.created_at),
            absolute_expires_at: to_db(session.absolute_expires_at),
            revoked_at: None,
            ip: session.ip.clone(),
        };
        let digest = token_digest.to_owned();
        self.db
            .write(move |conn| {
                diesel::insert_into(login_sessions::table).values(&row).execute(conn)?;
                diesel::insert_into(refresh_tokens::table)
                    .values((
                        refresh_tokens::token_digest.eq(&digest),
                        refresh_tokens::session_id.eq(&row.id),
                        refresh_tokens::issued_at.eq(row.created_at),
                        refresh_tokens::expires_at.eq(to_db(token_expires_at)),
                    ))
                    .execute(conn)?;
                Ok(())
            })
            .await
    }

    async fn find_by_token(&self, token_digest: &str) -> DomainResult<Option<LoginSession>> {
        let digest = token_digest.to_owned();
        let row = self
            .db
            .run(move |conn| {
                Ok(refresh_tokens::table
                    .inner_join(login_sessions::table)
                    .filter(refresh_tokens::token_digest.eq(&digest))
                    .filter(login_sessions::revoked_at.is_null())
                    .select(SessionRow::as_select())
                    .first(conn)
                    .optional()?)
            })
            .await?;
        row.map(SessionRow::into_domain).transpose()
    }

    async fn rotate(
        &self,
        old_digest: &str,
        new_digest: &str,
        new_expires_at: OffsetDateTime,
        now: OffsetDateTime,
    ) -> DomainResult<RefreshOutcome> {
        let (old, new) = (old_digest.to_owned(), new_digest.to_owned());
        let outcome = self
            .db
            .write(move |conn| {
                let now = to_db(now);
                let claimed = diesel::update(
                    refresh_tokens::table
                        .filter(refresh_tokens::token_digest.eq(&old))
                        .filter(refresh_tokens::rotated_at.is_null())
                        .filter(refresh_tokens::expires_at.gt(now)),
                )
                .set(refresh_tokens::rotated_at.eq(Some(now)))
                .execute(conn)?;
                let token: Option<(String, Option<time::PrimitiveDateTime>)> = refresh_tokens::table
                    .find(&old)
                    .select((refresh_tokens::session_id, refresh_tokens::rotated_at))
                    .first(conn)
                    .optional()?;
                let Some((session_id, _)) = token else { return Ok(None) };
                if claimed == 0 {
                    // Already rotated (or expired): a rotated token presented again means it leaked.
                    let rotated_before = refresh_tokens::table
                        .find(&old)
                        .select(refresh_tokens::rotated_at)
                        .first::<Option<time::PrimitiveDateTime>>(conn)?
                        .is_some_and(|t| t < now);
                    if rotated_before {
                        diesel::update(
                            login_sessions::table.find(&session_id).filter(login_sessions::revoked_at.is_null()),
                        )
                        .set(login_sessions::revoked_at.eq(Some(now)))
                        .execute(conn)?;
                        return Ok(Some(Err(())));
                    }
                    return Ok(None);
                }
                let session: Option<SessionRow> = login_sessions::table
                    .find(&session_id)
                    .filter(login_sessions::revoked_at.is_null())
                    .filter(login_sessions::absolute_expires_at.gt(now))
                    .select(SessionRow::as_select())
                    .first(conn)
                    .optional()?;
                let Some(session) = session else { return Ok(None) };
                diesel::insert_into(refresh_tokens::table)
                    .values((
                        refresh_tokens::token_digest.eq(&new),
                        refresh_tokens::session_id.eq(&session_id),
                        refresh_tokens::issued_at.eq(now),
                        refresh_tokens::expires_at.eq(to_db(new_expires_at)),
                    ))
                    .execute(conn)?;
                diesel::update(login_sessions::table.find(&session_id))
                    .set(login_sessions::last_used_at.eq(now))
                    .execute(conn)?;
                Ok(Some(Ok(session)))
            })
            .await?;
        Ok(match outcome {
            Some(Ok(row)) => RefreshOutcome::Rotated { session: row.into_domain()? },
            Some(Err(())) => RefreshOutcome::Reused,
            None => RefreshOutcome::Invalid,
        })
    }

    async fn revoke_by_token(&self, account_id: Uuid, token_digest: &str, now: OffsetDateTime) -> DomainResult<bool> {
        let digest = token_digest.to_owned();
        self.db
            .run(move |conn| {
                let session_id: Option<String> =
                    refresh_tokens::table.find(&digest).select(refresh_tokens::session_id).first(conn).optional()?;
                let Some(session_id) = session_id else { return Ok(false) };
                let n = diesel::update(
                    login_sessions::table
                        .find(session_id)
                        .filter(login_sessions::account_id.eq(id_to_db(account_id)))
                        .filter(login_sessions::revoked_at.is_null()),
                )
                .set(login_sessions::revoked_at.eq(Some(to_db(now))))
                .execute(conn)?;
                Ok(n > 0)
            })
            .await
    }

    async fn revoke_latest(&self, account_id: Uuid, now: OffsetDateTime) -> DomainResult<bool> {
        self.db
            .run(move |conn| {
                let latest: Option<String> = login_sessions::table
                    .filter(login_sessions::account_id.eq(id_to_db(account_id)))
                    .filter(login_sessions::revoked_at.is_null())
                    .order(login_sessions::last_used_at.desc())
                    .select(login_sessions::id)
                    .first(conn)
                    .optional()?;
                let Some(id) = latest else { return Ok(false) };
                let n = diesel::update(login_sessions::table.find(id))
                    .set(login_sessions::revoked_at.eq(Some(to_db(now))))
                    .execute(conn)?;
                Ok(n > 0)
            })
            .await
    }
}
