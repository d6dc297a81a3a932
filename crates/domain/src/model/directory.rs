use serde_json::Value;
use time::OffsetDateTime;
use uuid::Uuid;

use super::{wire_enum, Account};

wire_enum! {
    /// State of an enterprise group.
    GroupStatus {
        /// In use.
        Active = "active",
        /// Archived.
        Archived = "archived",
    }
}

wire_enum! {
    /// A member's role in an enterprise group.
    GroupRole {
        /// Manages the group and its administrators.
        SuperAdmin = "super_admin",
        /// Manages the group's members and workspaces.
        Admin = "admin",
        /// A member.
        Normal = "normal",
    }
}

impl GroupRole {
    /// Group super admins and admins manage the group.
    pub fn manages(self) -> bool {
        matches!(self, Self::SuperAdmin | Self::Admin)
    }
}

wire_enum! {
    /// State of a workspace.
    WorkspaceStatus {
        /// In use.
        Normal = "normal",
        /// Archived: kept, not entered.
        Archive = "archive",
    }
}

wire_enum! {
    /// A member's role in a workspace. Exactly one `owner` per workspace.
    WorkspaceRole {
        /// Owns the workspace: everything, including its deletion and ownership.
        Owner = "owner",
        /// Administers members and settings.
        Admin = "admin",
        /// Builds apps and datasets.
        Editor = "editor",
        /// Uses what others built.
        Normal = "normal",
        /// Manages datasets only.
        DatasetOperator = "dataset_operator",
    }
}

wire_enum! {
    /// Extra rights of a workspace member beyond the role.
    WorkspacePermission {
        /// May create agents (apps).
        CreateAgent = "create_agent",
        /// May create knowledge bases (datasets).
        CreateKnowledge = "create_knowledge",
    }
}

/// An enterprise group: a set of workspaces and members with a shadow workspace of the same id.
#[derive(Debug, Clone, PartialEq)]
pub struct EnterpriseGroup {
    /// Group id, also the id of its shadow tenant.
    pub id: Uuid,
    /// Unique name.
    pub name: String,
    /// Optional short name.
    pub short_name: Option<String>,
    /// State.
    pub status: GroupStatus,
    /// Default workspace settings (`model_providers`, `system_default_models`).
    pub workspace_defaults: Value,
    /// Creation time.
    pub created_at: OffsetDateTime,
    /// Last change.
    pub updated_at: OffsetDateTime,
}

/// A workspace (tenant).
#[derive(Debug, Clone, PartialEq)]
pub struct Workspace {
    /// Id; equals the group id for a shadow tenant.
    pub id: Uuid,
    /// Sequential number assigned by storage (`None` until stored).
    pub number: Option<i64>,
    /// Name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// State.
    pub status: WorkspaceStatus,
    /// Locked against changes.
    pub locked: bool,
    /// Owning group, at most one.
    pub group_id: Option<Uuid>,
    /// Unique slug (iam `tenant_code`).
    pub code: Option<String>,
    /// Plan name (`basic`).
    pub plan: String,
    /// Workspace settings (model providers, system default models).
    pub settings: Value,
    /// Creation time.
    pub created_at: OffsetDateTime,
    /// Last change.
    pub updated_at: OffsetDateTime,
}

impl Workspace {
    /// A normal, unlocked workspace.
    pub fn new(id: Uuid, name: String, group_id: Option<Uuid>, now: OffsetDateTime) -> Self {
        Self {
            id,
            number: None,
            name,
            description: None,
            status: WorkspaceStatus::Normal,
            locked: false,
            group_id,
            code: None,
            plan: "basic".into(),
            settings: Value::Object(Default::default()),
            created_at: now,
            updated_at: now,
        }
    }

    /// True for the shadow tenant of a group (id equals the group id).
    pub fn is_shadow(&self) -> bool {
        self.group_id == Some(self.id)
    }
}

/// An account's membership of a group.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupMembership {
    /// Group.
    pub group_id: Uuid,
    /// Member.
    pub account_id: Uuid,
    /// Role in the group.
    pub role: GroupRole,
    /// When the account joined.
    pub created_at: OffsetDateTime,
}

/// An account's membership of a workspace.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkspaceMembership {
    /// Workspace.
    pub tenant_id: Uuid,
    /// Member.
    pub account_id: Uuid,
    /// Role.
    pub role: WorkspaceRole,
    /// Free-text position.
    pub position: Option<String>,
    /// Extra rights.
    pub permissions: Vec<WorkspacePermission>,
    /// The member's current workspace.
    pub current: bool,
    /// Who invited the member.
    pub invited_by: Option<Uuid>,
    /// When the member joined.
    pub created_at: OffsetDateTime,
}

/// An invitation to a workspace, redeemed once by activating the invited (pending) account.
#[derive(Debug, Clone, PartialEq)]
pub struct Invitation {
    /// The secret token of the invitation link.
    pub token: Uuid,
    /// The invited account.
    pub account_id: Uuid,
    /// The address it was sent to.
    pub email: String,
    /// The workspace.
    pub tenant_id: Uuid,
    /// Who invited.
    pub invited_by: Uuid,
    /// When it was created.
    pub created_at: OffsetDateTime,
    /// When it stops working.
    pub expires_at: OffsetDateTime,
}

/// Everything an invitation request writes, in one transaction.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct InvitationBatch {
    /// Pending accounts created for unknown addresses.
    pub new_accounts: Vec<Account>,
    /// Group memberships to add.
    pub group_members: Vec<GroupMembership>,
    /// Workspace memberships to add (the workspace, and the group's shadow workspace).
    pub tenant_members: Vec<WorkspaceMembership>,
    /// Invitation tokens.
    pub invitations: Vec<Invitation>,
    /// The invitation mails, written to the outbox with the rest.
    pub mails: Vec<super::OutboxMail>,
}

impl WorkspaceMembership {
    /// A membership with `role`, no position or extra rights, not current, invited by nobody.
    pub fn new(tenant_id: Uuid, account_id: Uuid, role: WorkspaceRole, created_at: OffsetDateTime) -> Self {
        Self {
            tenant_id,
            account_id,
            role,
            position: None,
            permissions: Vec::new(),
            current: false,
            invited_by: None,
            created_at,
        }
    }
}

/// A new group founded by one account: the account, the group, its shadow tenant and the founder's workspace,
/// and the founder's memberships. Setup and self-registration both write one.
#[derive(Debug, Clone)]
pub struct GroupFounding {
    /// The founder.
    pub founder: Account,
    /// The group.
    pub group: EnterpriseGroup,
    /// The group's shadow tenant and the founder's own workspace.
    pub tenants: Vec<Workspace>,
    /// Group memberships.
    pub group_members: Vec<GroupMembership>,
    /// Workspace memberships.
    pub tenant_members: Vec<WorkspaceMembership>,
}

/// What setup writes: the super admin founding "Default Group".
#[derive(Debug, Clone)]
pub struct Installation {
    /// The admin's group.
    pub founding: GroupFounding,
    /// Product version recorded with the setup.
    pub version: String,
}

/// What a self-registration writes: the new account founding its own group, with what proved the address in
/// the same transaction (the redeemed code, or the sign-in provider identity that is linked).
#[derive(Debug, Clone)]
pub struct Registration {
    /// The new account's group.
    pub founding: GroupFounding,
    /// Digest of the registration code's token, redeemed with the registration.
    pub code: Option<String>,
    /// The provider identity linked to the new account.
    pub identity: Option<crate::model::LinkedIdentity>,
}
