//! `/scim/v2/Users`: create, get, replace (PUT), PATCH, delete and list with `filter`, paging, sorting and
//! `attributes` / `excludedAttributes`, over the shared account use cases.
//!
//! The mapping: `userName` is the login name, `displayName` (or `name.formatted`) the display name, `emails` and
//! `phoneNumbers` the account's one email and phone (type `work`), `externalId` its id in the external
//! directory, `active: false` a disabled (banned) account, `password` a new password. `name.givenName`,
//! `name.familyName` and the enterprise extension's attributes are kept in the account's IdP-owned attributes.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use domain::model::{Account, AccountOrder, AccountSortKey, AccountStatus};
use domain::usecases::{AccountPatch, NewAccount};
use domain::values::{parse_external_id, parse_phone, parse_username, DisplayName, EmailAddress, Password};
use domain::DomainError;
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;
use uuid::Uuid;

use super::auth::ScimCall;
use super::error::{ErrorBody, KeyFailures, ScimError, ScimType};
use super::filter::{self, get_ci};
use super::resource::{self, ListResponse, Meta, Projection};
use super::schema::{bool_text, ENTERPRISE_PARTS, ENTERPRISE_URN, NAME_PARTS, USER_URN, WORK};
use super::{patch, public_base};
use crate::common::query::QueryParams;
use crate::common::routes::routes;
use crate::AppState;

routes! {
    get "/Users" => list,
    post "/Users" => create,
    get "/Users/{id}" => get,
    put "/Users/{id}" => replace,
    patch "/Users/{id}" => update,
    delete "/Users/{id}" => delete,
}

/// The operations of this module, for the API document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(list, create, get, replace, update, delete))]
pub(crate) struct ApiPaths;

/// `name`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Name {
    /// The display name.
    pub formatted: String,
    /// Given name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
    /// Family name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub family_name: Option<String>,
}

/// One email or phone number.
#[derive(Debug, Serialize, ToSchema)]
pub struct WorkValue {
    /// The address or number.
    pub value: String,
    /// Always `work`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Always true.
    pub primary: bool,
}

/// The enterprise extension's attributes that are kept.
#[derive(Debug, Default, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EnterpriseUser {
    /// Employee number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub employee_number: Option<String>,
    /// Cost center.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cost_center: Option<String>,
    /// Organization.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organization: Option<String>,
    /// Division.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub division: Option<String>,
    /// Department.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub department: Option<String>,
}

/// A User resource.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserResource {
    /// The core User schema, and the enterprise extension when the user has any of its attributes.
    pub schemas: Vec<&'static str>,
    /// The account's id.
    pub id: Uuid,
    /// The id in the external directory.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    /// The login name.
    pub user_name: String,
    /// The name.
    pub name: Name,
    /// The display name.
    pub display_name: String,
    /// The email, if any.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub emails: Vec<WorkValue>,
    /// The phone number, if any.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub phone_numbers: Vec<WorkValue>,
    /// False when the account is disabled (banned or closed).
    pub active: bool,
    /// The enterprise extension.
    #[serde(
        rename = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
        skip_serializing_if = "Option::is_none"
    )]
    pub enterprise: Option<EnterpriseUser>,
    /// Times, location and version.
    pub meta: Meta,
}

fn attribute_text(account: &Account, key: &str) -> Option<String> {
    account.attributes.get(key).and_then(Value::as_str).map(str::to_owned)
}

fn is_active(status: AccountStatus) -> bool {
    !matches!(status, AccountStatus::Banned | AccountStatus::Closed)
}

/// The account as a User resource.
pub fn user_resource(account: &Account, base: &str) -> UserResource {
    let work = |value: &Option<String>| {
        value.iter().map(|v| WorkValue { value: v.clone(), kind: WORK, primary: true }).collect::<Vec<_>>()
    };
    let [employee_number, cost_center, organization, division, department] =
        ENTERPRISE_PARTS.map(|(_, key)| attribute_text(account, key));
    let enterprise = EnterpriseUser { employee_number, cost_center, organization, division, department };
    let has_enterprise = serde_json::to_value(&enterprise).is_ok_and(|v| v.as_object().is_some_and(|o| !o.is_empty()));
    UserResource {
        schemas: if has_enterprise { vec![USER_URN, ENTERPRISE_URN] } else { vec![USER_URN] },
        id: account.id,
        external_id: account.external_id.clone(),
        user_name: account.user_name(),
        name: Name {
            formatted: account.name.clone(),
            given_name: attribute_text(account, NAME_PARTS[0].1),
            family_name: attribute_text(account, NAME_PARTS[1].1),
        },
        display_name: account.name.clone(),
        emails: work(&account.email),
        phone_numbers: work(&account.phone),
        active: is_active(account.status),
        enterprise: has_enterprise.then_some(enterprise),
        meta: Meta {
            resource_type: "User",
            created: resource::rfc3339(account.created_at),
            last_modified: resource::rfc3339(account.updated_at),
            location: format!("{base}/Users/{}", account.id),
            version: resource::version_of(account.updated_at),
        },
    }
}

fn as_json(user: &UserResource) -> Value {
    serde_json::to_value(user).unwrap_or(Value::Null)
}

/// What a User body says, each value as sent (parsed by the domain's rules when turned into a command).
#[derive(Debug, Default, Clone)]
struct UserInput {
    user_name: Option<String>,
    external_id: Option<String>,
    display_name: Option<String>,
    formatted: Option<String>,
    name_parts: [Option<String>; 2],
    email: Option<String>,
    phone: Option<String>,
    active: Option<bool>,
    password: Option<String>,
    enterprise: [Option<String>; 5],
}

fn text_at(object: &Map<String, Value>, name: &str, label: &str) -> Result<Option<String>, ScimError> {
    match get_ci(object, name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text.trim().to_owned()).filter(|t| !t.is_empty())),
        Some(_) => Err(ScimError::bad(ScimType::InvalidValue, format!("{label} must be a string."))),
    }
}

/// The one value of a multi-valued attribute (`emails`, `phoneNumbers`): accountd keeps one, so distinct values
/// beyond it are refused rather than dropped.
fn single_value(object: &Map<String, Value>, name: &str) -> Result<Option<String>, ScimError> {
    let items = match get_ci(object, name) {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Array(items)) => items.clone(),
        Some(single) => vec![single.clone()],
    };
    let mut values: Vec<String> = Vec::new();
    for item in &items {
        let value = match item {
            Value::String(text) => Some(text.trim().to_owned()),
            Value::Object(o) => text_at(o, "value", &format!("{name}.value"))?,
            _ => return Err(ScimError::bad(ScimType::InvalidValue, format!("{name} must hold objects."))),
        };
        if let Some(value) = value.filter(|v| !v.is_empty()) {
            if !values.iter().any(|v| v.eq_ignore_ascii_case(&value)) {
                values.push(value);
            }
        }
    }
    if values.len() > 1 {
        return Err(ScimError::bad(
            ScimType::InvalidValue,
            format!("{name}: accountd keeps one value per user; send one."),
        ));
    }
    Ok(values.pop())
}

fn user_input(object: &Map<String, Value>) -> Result<UserInput, ScimError> {
    let name = match get_ci(object, "name") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(o)) => o.clone(),
        Some(_) => return Err(ScimError::bad(ScimType::InvalidValue, "name must be an object.")),
    };
    let enterprise = match get_ci(object, ENTERPRISE_URN) {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(o)) => o.clone(),
        Some(_) => return Err(ScimError::bad(ScimType::InvalidValue, format!("{ENTERPRISE_URN} must be an object."))),
    };
    let active = match get_ci(object, "active") {
        None | Some(Value::Null) => None,
        Some(Value::Bool(b)) => Some(*b),
        Some(Value::String(s)) if bool_text(s).is_some() => bool_text(s),
        Some(_) => return Err(ScimError::bad(ScimType::InvalidValue, "active must be true or false.")),
    };
    let password = match get_ci(object, "password") {
        None | Some(Value::Null) => None,
        Some(Value::String(p)) => Some(p.clone()),
        Some(_) => return Err(ScimError::bad(ScimType::InvalidValue, "password must be a string.")),
    };
    let parts = |o: &Map<String, Value>, names: &[(&str, &str)]| -> Result<Vec<Option<String>>, ScimError> {
        names.iter().map(|(n, _)| text_at(o, n, n)).collect()
    };
    let name_parts = parts(&name, &NAME_PARTS)?;
    let enterprise = parts(&enterprise, &ENTERPRISE_PARTS)?;
    Ok(UserInput {
        user_name: text_at(object, "userName", "userName")?,
        external_id: text_at(object, "externalId", "externalId")?,
        display_name: text_at(object, "displayName", "displayName")?,
        formatted: text_at(&name, "formatted", "name.formatted")?,
        name_parts: [name_parts[0].clone(), name_parts[1].clone()],
        email: single_value(object, "emails")?,
        phone: single_value(object, "phoneNumbers")?,
        active,
        password,
        enterprise: std::array::from_fn(|i| enterprise[i].clone()),
    })
}

impl UserInput {
    /// The display name: `displayName`, else `name.formatted`, else the given and family names, else the login
    /// name.
    fn display(&self, user_name: &str) -> String {
        let joined = self.name_parts.iter().flatten().cloned().collect::<Vec<_>>().join(" ");
        self.display_name
            .clone()
            .or_else(|| self.formatted.clone())
            .or_else(|| Some(joined).filter(|j| !j.is_empty()))
            .unwrap_or_else(|| user_name.to_owned())
    }

    fn user_name(&self) -> Result<String, ScimError> {
        let raw =
            self.user_name.as_deref().ok_or_else(|| ScimError::bad(ScimType::InvalidValue, "userName is required."))?;
        Ok(parse_username("userName", raw)?)
    }

    /// The account's IdP-owned attributes with the name parts and enterprise attributes of this body.
    fn attributes(&self, current: &Map<String, Value>) -> Map<String, Value> {
        let mut attributes = current.clone();
        let pairs = NAME_PARTS.iter().zip(&self.name_parts).chain(ENTERPRISE_PARTS.iter().zip(&self.enterprise));
        for ((_, key), value) in pairs {
            match value {
                Some(value) => attributes.insert((*key).to_owned(), Value::String(value.clone())),
                None => attributes.remove(*key),
            };
        }
        attributes
    }

    fn new_account(&self) -> Result<NewAccount, ScimError> {
        let user_name = self.user_name()?;
        Ok(NewAccount {
            name: Some(DisplayName::parse("displayName", &self.display(&user_name))?),
            email: self.email.as_deref().map(|e| EmailAddress::parse("emails", e)).transpose()?,
            phone: self.phone.as_deref().map(|p| parse_phone("phoneNumbers", p)).transpose()?,
            external_id: self.external_id.as_deref().map(|x| parse_external_id("externalId", x)).transpose()?,
            password: self.password.as_deref().map(|p| Password::parse_new("password", p)).transpose()?,
            status: if self.active == Some(false) { AccountStatus::Banned } else { AccountStatus::Active },
            attributes: self.attributes(&Map::new()),
            username: Some(user_name),
            ..NewAccount::default()
        })
    }

    /// The change that makes `current` what this body says (fields that already match are left out, so a
    /// write asks only for the permissions its real changes need).
    fn patch_for(&self, current: &Account) -> Result<AccountPatch, ScimError> {
        let user_name = self.user_name()?;
        let display = self.display(&user_name);
        let mut patch = AccountPatch::default();
        if current.username.as_deref() != Some(user_name.as_str()) {
            patch.username = Some(user_name);
        }
        if display != current.name {
            patch.name = Some(DisplayName::parse("displayName", &display)?);
        }
        if self.email.as_deref() != current.email.as_deref() {
            patch.email = Some(self.email.as_deref().map(|e| EmailAddress::parse("emails", e)).transpose()?);
        }
        if self.phone.as_deref() != current.phone.as_deref() {
            patch.phone = Some(self.phone.as_deref().map(|p| parse_phone("phoneNumbers", p)).transpose()?);
        }
        if self.external_id.as_deref() != current.external_id.as_deref() {
            patch.external_id =
                Some(self.external_id.as_deref().map(|x| parse_external_id("externalId", x)).transpose()?);
        }
        match self.active {
            Some(false) if is_active(current.status) => patch.status = Some(AccountStatus::Banned),
            Some(true) if !is_active(current.status) => patch.status = Some(AccountStatus::Active),
            _ => {}
        }
        let attributes = self.attributes(&current.attributes);
        if attributes != current.attributes {
            patch.attributes = Some(attributes);
        }
        patch.password = self.password.as_deref().map(|p| Password::parse_new("password", p)).transpose()?;
        Ok(patch)
    }
}

fn user_id(raw: &str) -> Result<Uuid, ScimError> {
    Uuid::parse_str(raw).map_err(|_| ScimError::not_found("User"))
}

fn answer(state: &AppState, req: &HttpRequest, status: StatusCode, account: &Account, created: bool) -> HttpResponse {
    let user = user_resource(account, &public_base(state, req));
    resource::answer(req, status, as_json(&user), &user.meta, created)
}

/// Lists users.
#[utoipa::path(
    get,
    path = "/scim/v2/Users",
    tag = "Users",
    params(
        ("filter" = Option<String>, Query, description = "A SCIM filter (RFC 7644 §3.4.2.2) on `id`, `externalId`, \
            `userName`, `displayName`, `name.formatted`, `emails`, `emails.value`, `emails.type`, `phoneNumbers`, \
            `active`, `meta.created` or `meta.lastModified`, with `eq ne co sw ew gt ge lt le pr`, `and`, `or`, \
            `not` and parentheses."),
        ("startIndex" = Option<i64>, Query, description = "1-based index of the first result; 1 when absent."),
        ("count" = Option<i64>, Query, description = "Results per page, at most 1000; 100 when absent."),
        ("sortBy" = Option<String>, Query, description = "`userName`, `displayName`, `name.formatted`, \
            `meta.created` or `meta.lastModified`; creation order when absent."),
        ("sortOrder" = Option<String>, Query, description = "`ascending` (the default) or `descending`."),
        ("attributes" = Option<String>, Query, description = "Only these attributes (comma-separated)."),
        ("excludedAttributes" = Option<String>, Query, description = "All but these attributes."),
    ),
    responses(
        (status = 200, description = "A page of users.", body = ListResponse<UserResource>,
            content_type = "application/scim+json"),
        (status = 400, description = "`invalidFilter` or `invalidValue`.", body = ErrorBody,
            content_type = "application/scim+json"),
        (status = 403, description = "The key's account may not read the directory.", body = ErrorBody,
            content_type = "application/scim+json"),
        KeyFailures,
    ),
    security(("access_key" = []))
)]
pub(super) async fn list(
    state: web::Data<AppState>,
    req: HttpRequest,
    call: ScimCall,
) -> Result<HttpResponse, ScimError> {
    let query = QueryParams::of(&req);
    let filter = query
        .get("filter")
        .filter(|f| !f.trim().is_empty())
        .map(|f| filter::parse(f).and_then(|parsed| filter::users_filter(&parsed)))
        .transpose()?;
    let (start_index, count) = resource::page(&query)?;
    let projection = Projection::of(&query)?;
    let order = sort_order(query.get("sortBy"), query.get("sortOrder"))?;
    let (accounts, total) = state.use_cases.list_accounts(&call.account, filter, order, start_index - 1, count).await?;
    let base = public_base(&state, &req);
    let resources = accounts.iter().map(|a| projection.apply(as_json(&user_resource(a, &base)))).collect();
    Ok(ListResponse::new(resources, start_index, total).response())
}

fn sort_order(by: Option<&str>, order: Option<&str>) -> Result<AccountOrder, ScimError> {
    let descending = match order.map(str::trim).filter(|o| !o.is_empty()) {
        None => false,
        Some(o) if o.eq_ignore_ascii_case("ascending") => false,
        Some(o) if o.eq_ignore_ascii_case("descending") => true,
        Some(_) => return Err(ScimError::bad(ScimType::InvalidValue, "sortOrder is ascending or descending.")),
    };
    let Some(by) = by.map(str::trim).filter(|b| !b.is_empty()) else {
        return Ok(AccountOrder(vec![(AccountSortKey::CreatedAt, descending)]));
    };
    let path = filter::AttrPath::parse(by, ScimType::InvalidValue)?;
    let mut key = path.name.to_ascii_lowercase();
    if let Some(sub) = &path.sub {
        key = format!("{key}.{}", sub.to_ascii_lowercase());
    }
    let key = match key.as_str() {
        "username" => AccountSortKey::Username,
        "displayname" | "name.formatted" => AccountSortKey::Name,
        "meta.created" => AccountSortKey::CreatedAt,
        "meta.lastmodified" => AccountSortKey::UpdatedAt,
        _ => return Err(ScimError::bad(ScimType::InvalidValue, format!("{by} cannot be sorted by."))),
    };
    Ok(AccountOrder(vec![(key, descending)]))
}

/// Creates a user.
#[utoipa::path(
    post,
    path = "/scim/v2/Users",
    tag = "Users",
    request_body(content = Object, content_type = "application/scim+json", description = "A User resource: \
        `userName` is required; `id`, `meta` and unknown attributes are ignored."),
    responses(
        (status = 201, description = "The user, created; `Location` and `ETag` name it.", body = UserResource,
            content_type = "application/scim+json"),
        (status = 400, description = "`invalidSyntax` or `invalidValue`, naming the attribute.", body = ErrorBody,
            content_type = "application/scim+json"),
        (status = 403, description = "The key's account may not create accounts.", body = ErrorBody,
            content_type = "application/scim+json"),
        (status = 409, description = "`uniqueness`: the userName, email, phone number or externalId is taken.",
            body = ErrorBody, content_type = "application/scim+json"),
        KeyFailures,
    ),
    security(("access_key" = []))
)]
pub(super) async fn create(
    state: web::Data<AppState>,
    req: HttpRequest,
    call: ScimCall,
) -> Result<HttpResponse, ScimError> {
    let body = resource::body_object(&call.body)?;
    let item = user_input(&body)?.new_account()?;
    let account = state.use_cases.create_account(call.actor(), item).await?;
    Ok(answer(&state, &req, StatusCode::CREATED, &account, true))
}

/// Reads a user.
#[utoipa::path(
    get,
    path = "/scim/v2/Users/{id}",
    tag = "Users",
    params(
        ("id" = String, Path, description = "The user's id."),
        ("attributes" = Option<String>, Query, description = "Only these attributes (comma-separated)."),
        ("excludedAttributes" = Option<String>, Query, description = "All but these attributes."),
    ),
    responses(
        (status = 200, description = "The user, with its version as `ETag`.", body = UserResource,
            content_type = "application/scim+json"),
        (status = 304, description = "`If-None-Match` names the current version."),
        (status = 403, description = "The key's account may not read accounts.", body = ErrorBody,
            content_type = "application/scim+json"),
        (status = 404, description = "No such user.", body = ErrorBody, content_type = "application/scim+json"),
        KeyFailures,
    ),
    security(("access_key" = []))
)]
pub(super) async fn get(
    state: web::Data<AppState>,
    req: HttpRequest,
    call: ScimCall,
    path: web::Path<String>,
) -> Result<HttpResponse, ScimError> {
    let account = state.use_cases.get_account(call.actor(), user_id(&path)?).await?;
    let version = resource::version_of(account.updated_at);
    Ok(resource::unchanged(&req, &version).unwrap_or_else(|| answer(&state, &req, StatusCode::OK, &account, false)))
}

/// Most reads and writes of one PUT or PATCH that keeps losing races to other writers.
const WRITE_ATTEMPTS: usize = 3;

/// Writes what `desired` makes of the current account: at the version `If-Match` names (412 otherwise), or
/// without it at the version read, read again and redone when another write came first. A body that changes
/// nothing writes nothing.
async fn write(
    state: &AppState,
    req: &HttpRequest,
    call: &ScimCall,
    id: Uuid,
    desired: impl Fn(&Account) -> Result<UserInput, ScimError>,
) -> Result<HttpResponse, ScimError> {
    let wanted = resource::if_match(req)?;
    for _ in 0..WRITE_ATTEMPTS {
        let current = state.use_cases.get_account(call.actor(), id).await?;
        if wanted.is_some_and(|version| version != current.updated_at) {
            return Err(DomainError::VersionMismatch.into());
        }
        let mut patch = desired(&current)?.patch_for(&current)?;
        if patch.changes_nothing() {
            return Ok(answer(state, req, StatusCode::OK, &current, false));
        }
        patch.if_updated_at = Some(current.updated_at);
        match state.use_cases.update_account(call.actor(), id, patch).await {
            Err(DomainError::VersionMismatch) if wanted.is_none() => continue,
            changed => return Ok(answer(state, req, StatusCode::OK, &changed?, false)),
        }
    }
    Err(DomainError::Stale.into())
}

/// Replaces a user.
#[utoipa::path(
    put,
    path = "/scim/v2/Users/{id}",
    tag = "Users",
    params(("id" = String, Path, description = "The user's id.")),
    request_body(content = Object, content_type = "application/scim+json", description = "The whole User \
        resource: attributes left out are cleared (the password is kept); `id` and `meta` are ignored."),
    responses(
        (status = 200, description = "The user, replaced.", body = UserResource, content_type = "application/scim+json"),
        (status = 400, description = "`invalidSyntax` or `invalidValue`.", body = ErrorBody,
            content_type = "application/scim+json"),
        (status = 403, description = "The key's account may not make this change.", body = ErrorBody,
            content_type = "application/scim+json"),
        (status = 404, description = "No such user.", body = ErrorBody, content_type = "application/scim+json"),
        (status = 409, description = "`uniqueness`, or a concurrent change.", body = ErrorBody,
            content_type = "application/scim+json"),
        (status = 412, description = "`If-Match` names another version.", body = ErrorBody,
            content_type = "application/scim+json"),
        KeyFailures,
    ),
    security(("access_key" = []))
)]
pub(super) async fn replace(
    state: web::Data<AppState>,
    req: HttpRequest,
    call: ScimCall,
    path: web::Path<String>,
) -> Result<HttpResponse, ScimError> {
    let id = user_id(&path)?;
    let body = resource::body_object(&call.body)?;
    let input = user_input(&body)?;
    write(&state, &req, &call, id, |_| Ok(input.clone())).await
}

/// Changes a user by PATCH operations.
#[utoipa::path(
    patch,
    path = "/scim/v2/Users/{id}",
    tag = "Users",
    params(("id" = String, Path, description = "The user's id.")),
    request_body(content = Object, content_type = "application/scim+json", description = "A PatchOp message \
        (RFC 7644 §3.5.2): `add`, `remove` and `replace` (in any case), with paths such as `active`, \
        `name.givenName`, `emails[type eq \"work\"].value` or the enterprise extension's URN and attribute."),
    responses(
        (status = 200, description = "The user, changed.", body = UserResource, content_type = "application/scim+json"),
        (status = 400, description = "`invalidSyntax`, `invalidPath`, `noTarget`, `mutability` or `invalidValue`.",
            body = ErrorBody, content_type = "application/scim+json"),
        (status = 403, description = "The key's account may not make this change.", body = ErrorBody,
            content_type = "application/scim+json"),
        (status = 404, description = "No such user.", body = ErrorBody, content_type = "application/scim+json"),
        (status = 409, description = "`uniqueness`, or a concurrent change.", body = ErrorBody,
            content_type = "application/scim+json"),
        (status = 412, description = "`If-Match` names another version.", body = ErrorBody,
            content_type = "application/scim+json"),
        KeyFailures,
    ),
    security(("access_key" = []))
)]
pub(super) async fn update(
    state: web::Data<AppState>,
    req: HttpRequest,
    call: ScimCall,
    path: web::Path<String>,
) -> Result<HttpResponse, ScimError> {
    let id = user_id(&path)?;
    let operations = patch::operations(&resource::body_object(&call.body)?)?;
    write(&state, &req, &call, id, |current| {
        let Value::Object(mut document) = as_json(&user_resource(current, "")) else {
            return Err(ScimError::new(StatusCode::INTERNAL_SERVER_ERROR, "Internal error."));
        };
        patch::apply(&mut document, &operations, &[ENTERPRISE_URN])?;
        user_input(&document)
    })
    .await
}

/// Deletes a user.
#[utoipa::path(
    delete,
    path = "/scim/v2/Users/{id}",
    tag = "Users",
    params(("id" = String, Path, description = "The user's id.")),
    responses(
        (status = 204, description = "Deleted."),
        (status = 403, description = "The key's account may not delete accounts.", body = ErrorBody,
            content_type = "application/scim+json"),
        (status = 404, description = "No such user.", body = ErrorBody, content_type = "application/scim+json"),
        (status = 409, description = "The user is the only owner of a workspace.", body = ErrorBody,
            content_type = "application/scim+json"),
        (status = 412, description = "`If-Match` names another version.", body = ErrorBody,
            content_type = "application/scim+json"),
        KeyFailures,
    ),
    security(("access_key" = []))
)]
pub(super) async fn delete(
    state: web::Data<AppState>,
    req: HttpRequest,
    call: ScimCall,
    path: web::Path<String>,
) -> Result<HttpResponse, ScimError> {
    let id = user_id(&path)?;
    if let Some(version) = resource::if_match(&req)? {
        let current = state.use_cases.get_account(call.actor(), id).await?;
        if current.updated_at != version {
            return Err(DomainError::VersionMismatch.into());
        }
    }
    state.use_cases.delete_accounts(call.actor(), vec![id]).await?;
    Ok(HttpResponse::NoContent().finish())
}
