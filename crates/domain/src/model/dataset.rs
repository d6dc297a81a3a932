use time::OffsetDateTime;
use uuid::Uuid;

use super::wire_enum;

wire_enum! {
    /// Who may see a dataset.
    DatasetPermission {
        OnlyMe = "only_me",
        AllTeamMembers = "all_team_members",
        PartialMembers = "partial_members",
        AllGroup = "all_group",
    }
}

/// Knowledge-base metadata owned by a workspace.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    /// Id.
    pub id: Uuid,
    /// Owning workspace.
    pub tenant_id: Uuid,
    /// Name (1–40 characters).
    pub name: String,
    /// Description (≤ 400 characters).
    pub description: Option<String>,
    /// Visibility.
    pub permission: DatasetPermission,
    /// Members allowed under `partial_members`.
    pub partial_members: Vec<Uuid>,
    /// Creator.
    pub created_by: Uuid,
    /// Creation time.
    pub created_at: OffsetDateTime,
    /// Last editor.
    pub updated_by: Option<Uuid>,
    /// Last change.
    pub updated_at: OffsetDateTime,
}
