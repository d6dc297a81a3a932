use serde_json::Value;
use time::OffsetDateTime;
use uuid::Uuid;

use super::wire_enum;

wire_enum! {
    /// Who may see a dataset.
    DatasetPermission {
        /// Its creator.
        OnlyMe = "only_me",
        /// Every member of its workspace.
        AllTeamMembers = "all_team_members",
        /// The members on its list (and its creator).
        PartialMembers = "partial_members",
        /// Every member of its workspace's enterprise group.
        AllGroup = "all_group",
    }
}

/// Knowledge-base metadata owned by a workspace (documents live in another service).
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
    /// `vendor` or `external`.
    pub provider: String,
    /// Where documents come from (`upload_file`, …).
    pub data_source_type: Option<String>,
    /// `high_quality`, `economy`, or none yet.
    pub indexing_technique: Option<String>,
    /// Embedding model name.
    pub embedding_model: Option<String>,
    /// Embedding model provider.
    pub embedding_model_provider: Option<String>,
    /// Retrieval settings (`retrieval_model_dict`).
    pub retrieval_model: Option<Value>,
    /// Document form (`text_model`, …).
    pub doc_form: Option<String>,
    /// Icon.
    pub icon: Option<String>,
    /// Icon background.
    pub icon_background: Option<String>,
    /// Icon type.
    pub icon_type: Option<String>,
    /// Creator.
    pub created_by: Uuid,
    /// Creation time.
    pub created_at: OffsetDateTime,
    /// Last editor.
    pub updated_by: Option<Uuid>,
    /// Last change.
    pub updated_at: OffsetDateTime,
}

impl Dataset {
    /// A vendor dataset visible only to its creator, with nothing else set.
    pub fn new(id: Uuid, tenant_id: Uuid, name: String, created_by: Uuid, now: OffsetDateTime) -> Self {
        Self {
            id,
            tenant_id,
            name,
            description: None,
            permission: DatasetPermission::OnlyMe,
            partial_members: Vec::new(),
            provider: "vendor".into(),
            data_source_type: None,
            indexing_technique: None,
            embedding_model: None,
            embedding_model_provider: None,
            retrieval_model: None,
            doc_form: None,
            icon: None,
            icon_background: None,
            icon_type: None,
            created_by,
            created_at: now,
            updated_by: Some(created_by),
            updated_at: now,
        }
    }
}

/// A dataset with the names a listing shows next to it.
#[derive(Debug, Clone, PartialEq)]
pub struct DatasetView {
    /// The dataset.
    pub dataset: Dataset,
    /// Name of its workspace.
    pub tenant_name: String,
    /// Name of its creator (none once the account is gone).
    pub creator_name: Option<String>,
}
