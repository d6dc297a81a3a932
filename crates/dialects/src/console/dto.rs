//! Wire shapes of the console dialect (seed samples) and pure conversions from domain entities.

use domain::model::{Account, GroupRole, Page, SystemRole, WireEnum};
use domain::ports::FileUrlSigner;
use serde::{Deserialize, Deserializer, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

/// `{"result": "success"}`.
#[derive(Serialize, ToSchema)]
pub struct Success {
    /// Always `success`.
    pub result: &'static str,
}

/// The success body.
pub const SUCCESS: Success = Success { result: "success" };

/// `{"result": "success", "data": …}`.
#[derive(Serialize, ToSchema)]
pub struct SuccessWith<T: Serialize> {
    /// Always `success`.
    pub result: &'static str,
    /// The payload.
    pub data: T,
}

impl<T: Serialize> SuccessWith<T> {
    /// Wraps `data`.
    pub fn new(data: T) -> Self {
        Self { result: "success", data }
    }
}

/// Access and refresh token of a login.
#[derive(Serialize, ToSchema)]
pub struct Tokens {
    /// JWT.
    pub access_token: String,
    /// 128 hex characters.
    pub refresh_token: String,
}

/// Paginated list envelope.
#[derive(Serialize, ToSchema)]
pub struct Paginated<T: Serialize> {
    /// Page number.
    pub page: u32,
    /// Page size.
    pub limit: u32,
    /// Items across pages.
    pub total: i64,
    /// `page * limit < total`.
    pub has_more: bool,
    /// This page.
    pub data: Vec<T>,
}

impl<T: Serialize> Paginated<T> {
    /// Converts a domain page with `f`.
    pub fn from_page<U>(page: Page<U>, f: impl FnMut(U) -> T) -> Self {
        Self {
            page: page.request.page,
            limit: page.request.limit,
            total: page.total,
            has_more: page.has_more(),
            data: page.items.into_iter().map(f).collect(),
        }
    }
}

/// Dify's `account_fields`.
#[derive(Serialize, ToSchema)]
pub struct AccountFields {
    pub id: String,
    pub name: String,
    pub avatar: Option<String>,
    pub avatar_url: Option<String>,
    pub email: String,
    pub is_password_set: bool,
    pub interface_language: String,
    pub interface_theme: String,
    pub timezone: String,
    pub last_login_at: Option<i64>,
    pub last_login_ip: Option<String>,
    pub created_at: i64,
}

/// `account_role` of zgi-next.
#[derive(Serialize, ToSchema)]
pub struct RoleType {
    pub role_type: &'static str,
}

/// `extension` of zgi-next.
#[derive(Serialize, ToSchema)]
pub struct ExtensionFields {
    pub mobile: Option<String>,
    pub wechat: Option<String>,
    pub address: Option<String>,
    pub gender: Option<String>,
}

/// Account fields plus `extension` (`account-ex/email`, `account-ex/id`).
#[derive(Serialize, ToSchema)]
pub struct AccountWithExtension {
    #[serde(flatten)]
    pub base: AccountFields,
    pub extension: Option<ExtensionFields>,
}

/// Account fields plus `status`, optional `group_role`, `account_role` and `extension`.
#[derive(Serialize, ToSchema)]
pub struct AccountEx {
    #[serde(flatten)]
    pub base: AccountFields,
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_role: Option<&'static str>,
    pub account_role: Option<RoleType>,
    pub extension: Option<ExtensionFields>,
}

fn is_url(avatar: &str) -> bool {
    avatar.starts_with("http://") || avatar.starts_with("https://")
}

/// Renders accounts, signing avatar file ids.
pub struct Render<'a> {
    /// Link signer.
    pub files: &'a dyn FileUrlSigner,
    /// Signing time.
    pub now: OffsetDateTime,
}

impl<'a> Render<'a> {
    /// A renderer with the application's signer and clock.
    pub fn new(state: &'a crate::AppState) -> Self {
        Render { files: state.files.as_ref(), now: state.use_cases.now() }
    }

    /// `account_fields`.
    pub fn fields(&self, a: &Account) -> AccountFields {
        AccountFields {
            id: a.id.to_string(),
            name: a.name.clone(),
            avatar: a.avatar.clone(),
            avatar_url: a.avatar.as_deref().map(|av| {
                if is_url(av) {
                    av.to_owned()
                } else {
                    self.files.preview_url(av, self.now)
                }
            }),
            email: a.email.clone().unwrap_or_default(),
            is_password_set: a.password_hash.is_some(),
            interface_language: a.interface_language.clone(),
            interface_theme: a.interface_theme.clone(),
            timezone: a.timezone.clone(),
            last_login_at: a.last_login_at.map(OffsetDateTime::unix_timestamp),
            last_login_ip: a.last_login_ip.clone(),
            created_at: a.created_at.unix_timestamp(),
        }
    }

    fn extension(a: &Account) -> Option<ExtensionFields> {
        (!a.extension.is_empty()).then(|| ExtensionFields {
            mobile: a.extension.mobile.clone(),
            wechat: a.extension.wechat.clone(),
            address: a.extension.address.clone(),
            gender: a.extension.gender.clone(),
        })
    }

    /// Account with extension.
    pub fn with_extension(&self, a: &Account) -> AccountWithExtension {
        AccountWithExtension { base: self.fields(a), extension: Self::extension(a) }
    }

    /// The account-ex shape, with `group_role` when given.
    pub fn ex(&self, a: &Account, group_role: Option<GroupRole>) -> AccountEx {
        AccountEx {
            base: self.fields(a),
            status: a.status.as_str(),
            group_role: group_role.map(GroupRole::as_str),
            account_role: a.system_role.map(|r: SystemRole| RoleType { role_type: r.as_str() }),
            extension: Self::extension(a),
        }
    }
}

/// Distinguishes an absent field (`None`) from an explicit `null` (`Some(None)`).
pub fn double_option<'de, D, T>(de: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(de).map(Some)
}
