use serde_json::Value;
use time::OffsetDateTime;
use uuid::Uuid;

/// A state change made by an administrator or a machine credential. Never holds secrets.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEvent {
    /// Id.
    pub id: Uuid,
    /// When it happened.
    pub at: OffsetDateTime,
    /// Acting account.
    pub actor_account_id: Option<Uuid>,
    /// Acting access key, for machine requests.
    pub actor_access_key_id: Option<Uuid>,
    /// What was done, e.g. `account.update`.
    pub action: String,
    /// Kind of target, e.g. `account`.
    pub target_type: String,
    /// Target id.
    pub target_id: Option<String>,
    /// Request id of the HTTP request.
    pub request_id: Option<String>,
    /// Names (and non-secret new values) of changed fields.
    pub changes: Value,
}
