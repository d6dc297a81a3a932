use async_trait::async_trait;
use diesel::prelude::*;
use domain::model::{AuditEvent, AuditQuery};
use domain::ports::AuditLog;
use domain::DomainResult;

use crate::rows::{from_db, id_from_db, id_to_db, to_db};
use crate::schema::audit_events;
use crate::Database;

/// The audit log, read newest first with keyset paging on `(at, id)` (`audit_events_at`,
/// `audit_events_target`, `audit_events_actor`).
#[derive(Debug, Clone)]
pub struct DieselAuditLog {
    db: Database,
}

impl DieselAuditLog {
    /// The audit log of `db`.
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

type Row = (
    String,
    time::PrimitiveDateTime,
    Option<String>,
    Option<String>,
    String,
    String,
    Option<String>,
    Option<String>,
    String,
);

fn event(row: Row) -> DomainResult<AuditEvent> {
    let (id, at, actor, key, action, target_type, target_id, request_id, changes) = row;
    Ok(AuditEvent {
        id: id_from_db(&id)?,
        at: from_db(at),
        actor_account_id: actor.as_deref().map(id_from_db).transpose()?,
        actor_access_key_id: key.as_deref().map(id_from_db).transpose()?,
        action,
        target_type,
        target_id,
        request_id,
        changes: serde_json::from_str(&changes).unwrap_or(serde_json::Value::Null),
    })
}

#[async_trait]
impl AuditLog for DieselAuditLog {
    async fn list_audit_events(&self, query: &AuditQuery) -> DomainResult<Vec<AuditEvent>> {
        let query = query.clone();
        let rows: Vec<Row> = self
            .db
            .run(move |conn| {
                let mut select = audit_events::table.into_boxed();
                if let Some(actor) = query.actor {
                    select = select.filter(audit_events::actor_account_id.eq(id_to_db(actor)));
                }
                if let Some(kind) = &query.target_type {
                    select = select.filter(audit_events::target_type.eq(kind.clone()));
                }
                if let Some(target) = &query.target_id {
                    select = select.filter(audit_events::target_id.eq(target.clone()));
                }
                if let Some(action) = &query.action {
                    select = select.filter(audit_events::action.eq(action.clone()));
                }
                if let Some(since) = query.since {
                    select = select.filter(audit_events::at.ge(to_db(since)));
                }
                if let Some(until) = query.until {
                    select = select.filter(audit_events::at.lt(to_db(until)));
                }
                if let Some(after) = query.after {
                    let (at, id) = (to_db(after.at), id_to_db(after.id));
                    select =
                        select.filter(audit_events::at.lt(at).or(audit_events::at.eq(at).and(audit_events::id.lt(id))));
                }
                Ok(select
                    .select((
                        audit_events::id,
                        audit_events::at,
                        audit_events::actor_account_id,
                        audit_events::actor_access_key_id,
                        audit_events::action,
                        audit_events::target_type,
                        audit_events::target_id,
                        audit_events::request_id,
                        audit_events::changes,
                    ))
                    .order((audit_events::at.desc(), audit_events::id.desc()))
                    .limit(i64::from(query.limit))
                    .load(conn)?)
            })
            .await?;
        rows.into_iter().map(event).collect()
    }
}
