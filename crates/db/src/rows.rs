//! Row structs and their conversion to and from domain entities. Stored enumerations use the domain's wire
//! names; JSON documents are text; times are UTC `timestamp` with microsecond precision.

use diesel::prelude::*;
use domain::model::{
    Account, AccountExtension, AccountSource, AccountStatus, Dataset, DatasetPermission, EnterpriseGroup,
    GroupMembership, GroupRole, GroupStatus, LoginSession, PartnerClass, SessionPolicy, SystemRole, WireEnum,
    Workspace, WorkspaceMembership, WorkspacePermission, WorkspaceRole, WorkspaceStatus,
};
use domain::{DomainError, DomainResult};
use time::{OffsetDateTime, PrimitiveDateTime, UtcOffset};
use uuid::Uuid;

use crate::schema::{accounts, datasets, enterprise_groups, group_members, login_sessions, tenant_members, tenants};

/// UTC wall time, truncated to microseconds (what both backends keep).
pub fn to_db(t: OffsetDateTime) -> PrimitiveDateTime {
    let utc = t.to_offset(UtcOffset::UTC);
    let micros = utc.microsecond();
    let utc = utc.replace_nanosecond(micros * 1000).expect("valid nanosecond");
    PrimitiveDateTime::new(utc.date(), utc.time())
}

/// A stored UTC wall time.
pub fn from_db(t: PrimitiveDateTime) -> OffsetDateTime {
    t.assume_utc()
}

pub fn id_to_db(id: Uuid) -> String {
    id.to_string()
}

pub fn id_from_db(s: &str) -> DomainResult<Uuid> {
    Uuid::parse_str(s).map_err(|e| DomainError::internal_msg(format!("stored id {s:?} is not a UUID: {e}")))
}

fn enum_from_db<E: WireEnum>(s: &str, what: &str) -> DomainResult<E> {
    E::parse(s).ok_or_else(|| DomainError::internal_msg(format!("stored {what} {s:?} is unknown")))
}

fn json_map(s: &str) -> serde_json::Map<String, serde_json::Value> {
    serde_json::from_str(s).unwrap_or_default()
}

/// An account row. As a changeset it leaves out the id, the creation time and the login-activity columns,
/// which only `record_login` and `touch_active` write.
#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = accounts, treat_none_as_null = true)]
pub struct AccountRow {
    #[diesel(skip_update)]
    pub id: String,
    pub name: String,
    pub username: Option<String>,
    pub email: Option<String>,
    pub email_key: Option<String>,
    pub phone: Option<String>,
    pub country_code: Option<String>,
    pub avatar: Option<String>,
    pub password_hash: Option<String>,
    pub status: String,
    pub interface_language: String,
    pub interface_theme: String,
    pub timezone: String,
    #[diesel(skip_update)]
    pub last_login_at: Option<PrimitiveDateTime>,
    #[diesel(skip_update)]
    pub last_login_ip: Option<String>,
    #[diesel(skip_update)]
    pub last_active_at: Option<PrimitiveDateTime>,
    pub initialized_at: Option<PrimitiveDateTime>,
    #[diesel(skip_update)]
    pub created_at: PrimitiveDateTime,
    pub updated_at: PrimitiveDateTime,
    pub description: Option<String>,
    pub partner_tier: i16,
    pub partner_type: i16,
    pub source: String,
    pub external_id: Option<String>,
    pub attributes: String,
    pub custom_attributes: String,
    pub idle_timeout_secs: Option<i64>,
    pub max_session_secs: Option<i64>,
    pub console_access: bool,
    pub open_api_access: bool,
    pub mfa_enabled: bool,
    pub password_change_on_first_login: bool,
    pub password_change_on_next_login: bool,
    pub password_changed_at: Option<PrimitiveDateTime>,
    pub password_changed_by: Option<String>,
    pub expires_at: Option<PrimitiveDateTime>,
    pub status_changed_by: Option<String>,
    pub deleted_at: Option<PrimitiveDateTime>,
    pub tokens_not_before: Option<PrimitiveDateTime>,
    pub system_role: Option<String>,
    pub system_role_assigned_by: Option<String>,
    pub mobile: Option<String>,
    pub wechat: Option<String>,
    pub address: Option<String>,
    pub gender: Option<String>,
    pub extend: String,
    pub token_generation: i64,
}

impl From<&Account> for AccountRow {
    fn from(a: &Account) -> Self {
        Self {
            id: id_to_db(a.id),
            name: a.name.clone(),
            username: a.username.clone(),
            email: a.email.clone(),
            email_key: a.email_key(),
            phone: a.phone.clone(),
            country_code: a.country_code.clone(),
            avatar: a.avatar.clone(),
            password_hash: a.password_hash.clone(),
            status: a.status.as_str().into(),
            interface_language: a.interface_language.clone(),
            interface_theme: a.interface_theme.clone(),
            timezone: a.timezone.clone(),
            last_login_at: a.last_login_at.map(to_db),
            last_login_ip: a.last_login_ip.clone(),
            last_active_at: a.last_active_at.map(to_db),
            initialized_at: a.initialized_at.map(to_db),
            created_at: to_db(a.created_at),
            updated_at: to_db(a.updated_at),
            description: a.description.clone(),
            partner_tier: a.partner.tier,
            partner_type: a.partner.kind,
            source: a.source.as_str().into(),
            external_id: a.external_id.clone(),
            attributes: serde_json::Value::Object(a.attributes.clone()).to_string(),
            custom_attributes: serde_json::Value::Object(a.custom_attributes.clone()).to_string(),
            idle_timeout_secs: a.session_policy.idle_timeout_secs,
            max_session_secs: a.session_policy.max_lifetime_secs,
            console_access: a.console_access,
            open_api_access: a.open_api_access,
            mfa_enabled: a.mfa_enabled,
            password_change_on_first_login: a.password_change_on_first_login,
            password_change_on_next_login: a.password_change_on_next_login,
            password_changed_at: a.password_changed_at.map(to_db),
            password_changed_by: a.password_changed_by.map(id_to_db),
            expires_at: a.expires_at.map(to_db),
            status_changed_by: a.status_changed_by.map(id_to_db),
            deleted_at: a.deleted_at.map(to_db),
            tokens_not_before: a.tokens_not_before.map(to_db),
            system_role: a.system_role.map(|r| r.as_str().into()),
            system_role_assigned_by: a.system_role_assigned_by.map(id_to_db),
            mobile: a.extension.mobile.clone(),
            wechat: a.extension.wechat.clone(),
            address: a.extension.address.clone(),
            gender: a.extension.gender.clone(),
            extend: serde_json::Value::Object(a.metadata.clone()).to_string(),
            token_generation: a.token_generation,
        }
    }
}

impl AccountRow {
    pub fn into_domain(self) -> DomainResult<Account> {
        Ok(Account {
            id: id_from_db(&self.id)?,
            name: self.name,
            username: self.username,
            email: self.email,
            phone: self.phone,
            country_code: self.country_code,
            avatar: self.avatar,
            password_hash: self.password_hash,
            status: enum_from_db::<AccountStatus>(&self.status, "account status")?,
            interface_language: self.interface_language,
            interface_theme: self.interface_theme,
            timezone: self.timezone,
            last_login_at: self.last_login_at.map(from_db),
            last_login_ip: self.last_login_ip,
            last_active_at: self.last_active_at.map(from_db),
            initialized_at: self.initialized_at.map(from_db),
            created_at: from_db(self.created_at),
            updated_at: from_db(self.updated_at),
            description: self.description,
            partner: PartnerClass { tier: self.partner_tier, kind: self.partner_type },
            source: enum_from_db::<AccountSource>(&self.source, "account source")?,
            external_id: self.external_id,
            attributes: json_map(&self.attributes),
            custom_attributes: json_map(&self.custom_attributes),
            session_policy: SessionPolicy {
                idle_timeout_secs: self.idle_timeout_secs,
                max_lifetime_secs: self.max_session_secs,
            },
            console_access: self.console_access,
            open_api_access: self.open_api_access,
            mfa_enabled: self.mfa_enabled,
            password_change_on_first_login: self.password_change_on_first_login,
            password_change_on_next_login: self.password_change_on_next_login,
            password_changed_at: self.password_changed_at.map(from_db),
            password_changed_by: self.password_changed_by.as_deref().map(id_from_db).transpose()?,
            expires_at: self.expires_at.map(from_db),
            status_changed_by: self.status_changed_by.as_deref().map(id_from_db).transpose()?,
            deleted_at: self.deleted_at.map(from_db),
            tokens_not_before: self.tokens_not_before.map(from_db),
            token_generation: self.token_generation,
            system_role: self
                .system_role
                .as_deref()
                .map(|r| enum_from_db::<SystemRole>(r, "system role"))
                .transpose()?,
            system_role_assigned_by: self.system_role_assigned_by.as_deref().map(id_from_db).transpose()?,
            extension: AccountExtension {
                mobile: self.mobile,
                wechat: self.wechat,
                address: self.address,
                gender: self.gender,
            },
            metadata: json_map(&self.extend),
        })
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = enterprise_groups)]
pub struct GroupRow {
    pub id: String,
    pub name: String,
    pub short_name: Option<String>,
    pub status: String,
    pub workspace_defaults: String,
    pub created_at: PrimitiveDateTime,
    pub updated_at: PrimitiveDateTime,
}

impl From<&EnterpriseGroup> for GroupRow {
    fn from(g: &EnterpriseGroup) -> Self {
        Self {
            id: id_to_db(g.id),
            name: g.name.clone(),
            short_name: g.short_name.clone(),
            status: g.status.as_str().into(),
            workspace_defaults: g.workspace_defaults.to_string(),
            created_at: to_db(g.created_at),
            updated_at: to_db(g.updated_at),
        }
    }
}

impl GroupRow {
    pub fn into_domain(self) -> DomainResult<EnterpriseGroup> {
        Ok(EnterpriseGroup {
            id: id_from_db(&self.id)?,
            name: self.name,
            short_name: self.short_name,
            status: enum_from_db::<GroupStatus>(&self.status, "group status")?,
            workspace_defaults: serde_json::from_str(&self.workspace_defaults).unwrap_or_default(),
            created_at: from_db(self.created_at),
            updated_at: from_db(self.updated_at),
        })
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = group_members)]
pub struct GroupMemberRow {
    pub group_id: String,
    pub account_id: String,
    pub role: String,
    pub created_at: PrimitiveDateTime,
    pub updated_at: PrimitiveDateTime,
}

impl From<&GroupMembership> for GroupMemberRow {
    fn from(m: &GroupMembership) -> Self {
        Self {
            group_id: id_to_db(m.group_id),
            account_id: id_to_db(m.account_id),
            role: m.role.as_str().into(),
            created_at: to_db(m.created_at),
            updated_at: to_db(m.created_at),
        }
    }
}

impl GroupMemberRow {
    pub fn into_domain(self) -> DomainResult<GroupMembership> {
        Ok(GroupMembership {
            group_id: id_from_db(&self.group_id)?,
            account_id: id_from_db(&self.account_id)?,
            role: enum_from_db::<GroupRole>(&self.role, "group role")?,
            created_at: from_db(self.created_at),
        })
    }
}

/// A tenant row without its storage-assigned number (for inserts).
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = tenants)]
pub struct NewTenantRow {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub status: String,
    pub locked: bool,
    pub group_id: Option<String>,
    pub code: Option<String>,
    pub plan: String,
    pub settings: String,
    pub created_at: PrimitiveDateTime,
    pub updated_at: PrimitiveDateTime,
}

impl From<&Workspace> for NewTenantRow {
    fn from(t: &Workspace) -> Self {
        Self {
            id: id_to_db(t.id),
            name: t.name.clone(),
            description: t.description.clone(),
            status: t.status.as_str().into(),
            locked: t.locked,
            group_id: t.group_id.map(id_to_db),
            code: t.code.clone(),
            plan: t.plan.clone(),
            settings: t.settings.to_string(),
            created_at: to_db(t.created_at),
            updated_at: to_db(t.updated_at),
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = tenants)]
pub struct TenantRow {
    pub id: String,
    pub number: Option<i64>,
    pub name: String,
    pub description: Option<String>,
    pub status: String,
    pub locked: bool,
    pub group_id: Option<String>,
    pub code: Option<String>,
    pub plan: String,
    pub settings: String,
    pub created_at: PrimitiveDateTime,
    pub updated_at: PrimitiveDateTime,
}

impl TenantRow {
    pub fn into_domain(self) -> DomainResult<Workspace> {
        Ok(Workspace {
            id: id_from_db(&self.id)?,
            number: self.number,
            name: self.name,
            description: self.description,
            status: enum_from_db::<WorkspaceStatus>(&self.status, "tenant status")?,
            locked: self.locked,
            group_id: self.group_id.as_deref().map(id_from_db).transpose()?,
            code: self.code,
            plan: self.plan,
            settings: serde_json::from_str(&self.settings).unwrap_or_default(),
            created_at: from_db(self.created_at),
            updated_at: from_db(self.updated_at),
        })
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = tenant_members)]
pub struct TenantMemberRow {
    pub tenant_id: String,
    pub account_id: String,
    pub role: String,
    pub position: Option<String>,
    pub permissions: String,
    pub is_current: bool,
    pub invited_by: Option<String>,
    pub created_at: PrimitiveDateTime,
    pub updated_at: PrimitiveDateTime,
}

impl From<&WorkspaceMembership> for TenantMemberRow {
    fn from(m: &WorkspaceMembership) -> Self {
        let permissions: Vec<&str> = m.permissions.iter().map(|p| p.as_str()).collect();
        Self {
            tenant_id: id_to_db(m.tenant_id),
            account_id: id_to_db(m.account_id),
            role: m.role.as_str().into(),
            position: m.position.clone(),
            permissions: serde_json::to_string(&permissions).expect("strings serialise"),
            is_current: m.current,
            invited_by: m.invited_by.map(id_to_db),
            created_at: to_db(m.created_at),
            updated_at: to_db(m.created_at),
        }
    }
}

impl TenantMemberRow {
    pub fn into_domain(self) -> DomainResult<WorkspaceMembership> {
        let names: Vec<String> = serde_json::from_str(&self.permissions).unwrap_or_default();
        Ok(WorkspaceMembership {
            tenant_id: id_from_db(&self.tenant_id)?,
            account_id: id_from_db(&self.account_id)?,
            role: enum_from_db::<WorkspaceRole>(&self.role, "workspace role")?,
            position: self.position,
            permissions: names.iter().filter_map(|n| WorkspacePermission::parse(n)).collect(),
            current: self.is_current,
            invited_by: self.invited_by.as_deref().map(id_from_db).transpose()?,
            created_at: from_db(self.created_at),
        })
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = login_sessions)]
pub struct SessionRow {
    pub id: String,
    pub account_id: String,
    pub created_at: PrimitiveDateTime,
    pub last_used_at: PrimitiveDateTime,
    pub absolute_expires_at: PrimitiveDateTime,
    pub revoked_at: Option<PrimitiveDateTime>,
    pub ip: Option<String>,
}

impl SessionRow {
    pub fn into_domain(self) -> DomainResult<LoginSession> {
        Ok(LoginSession {
            id: id_from_db(&self.id)?,
            account_id: id_from_db(&self.account_id)?,
            created_at: from_db(self.created_at),
            absolute_expires_at: from_db(self.absolute_expires_at),
            ip: self.ip,
        })
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = datasets, treat_none_as_null = true)]
pub struct DatasetRow {
    #[diesel(skip_update)]
    pub id: String,
    #[diesel(skip_update)]
    pub tenant_id: String,
    pub name: String,
    pub description: Option<String>,
    pub permission: String,
    pub provider: String,
    pub data_source_type: Option<String>,
    pub indexing_technique: Option<String>,
    pub embedding_model: Option<String>,
    pub embedding_model_provider: Option<String>,
    pub retrieval_model: Option<String>,
    pub doc_form: Option<String>,
    pub icon: Option<String>,
    pub icon_background: Option<String>,
    pub icon_type: Option<String>,
    #[diesel(skip_update)]
    pub created_by: String,
    #[diesel(skip_update)]
    pub created_at: PrimitiveDateTime,
    pub updated_by: Option<String>,
    pub updated_at: PrimitiveDateTime,
}

impl From<&Dataset> for DatasetRow {
    fn from(d: &Dataset) -> Self {
        Self {
            id: id_to_db(d.id),
            tenant_id: id_to_db(d.tenant_id),
            name: d.name.clone(),
            description: d.description.clone(),
            permission: d.permission.as_str().into(),
            provider: d.provider.clone(),
            data_source_type: d.data_source_type.clone(),
            indexing_technique: d.indexing_technique.clone(),
            embedding_model: d.embedding_model.clone(),
            embedding_model_provider: d.embedding_model_provider.clone(),
            retrieval_model: d.retrieval_model.as_ref().map(ToString::to_string),
            doc_form: d.doc_form.clone(),
            icon: d.icon.clone(),
            icon_background: d.icon_background.clone(),
            icon_type: d.icon_type.clone(),
            created_by: id_to_db(d.created_by),
            created_at: to_db(d.created_at),
            updated_by: d.updated_by.map(id_to_db),
            updated_at: to_db(d.updated_at),
        }
    }
}

impl DatasetRow {
    pub fn into_domain(self, partial_members: Vec<uuid::Uuid>) -> DomainResult<Dataset> {
        Ok(Dataset {
            id: id_from_db(&self.id)?,
            tenant_id: id_from_db(&self.tenant_id)?,
            name: self.name,
            description: self.description,
            permission: enum_from_db::<DatasetPermission>(&self.permission, "dataset permission")?,
            partial_members,
            provider: self.provider,
            data_source_type: self.data_source_type,
            indexing_technique: self.indexing_technique,
            embedding_model: self.embedding_model,
            embedding_model_provider: self.embedding_model_provider,
            retrieval_model: self.retrieval_model.as_deref().and_then(|r| serde_json::from_str(r).ok()),
            doc_form: self.doc_form,
            icon: self.icon,
            icon_background: self.icon_background,
            icon_type: self.icon_type,
            created_by: id_from_db(&self.created_by)?,
            created_at: from_db(self.created_at),
            updated_by: self.updated_by.as_deref().map(id_from_db).transpose()?,
            updated_at: from_db(self.updated_at),
        })
    }
}
