//! `/iam/idp/v1/users…`: batch create, list with filter and order, get, update with `update_mask`, delete, and
//! the per-user access keys.

use actix_web::{web, HttpRequest, HttpResponse};
use domain::model::{AccessKeyStatus, Account, AccountOrder, AccountSortKey, AccountSource, AccountStatus};
use domain::usecases::{AccessKeyView, AccountPatch, NewAccount, WorkspaceRef};
use domain::values::{
    parse_country_code, parse_description, parse_phone, parse_username, DisplayName, EmailAddress, Password,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

use super::auth::HmacCall;
use super::filter;
use super::status::{Code, IamError, Status};
use crate::common::query::QueryParams;
use crate::common::routes::routes;
use crate::console::dto::double_option;
use crate::AppState;

routes! {
    post "/users" => create,
    get "/users" => list,
    get "/users/{id}" => get,
    patch "/users/{id}" => update,
    put "/users/{id}" => update,
    delete "/users/{id}" => delete,
    post "/users/{id}/accessKeys" => create_key,
    get "/users/{id}/accessKeys" => list_keys,
    delete "/users/{id}/accessKeys/{ak_id}" => delete_key,
}

/// The operations of this module, for the API document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(create, list, get, update, delete, create_key, list_keys, delete_key))]
pub(crate) struct ApiPaths;

/// Most users in one create request.
const MAX_CREATE: usize = 100;

/// RFC 3339, `null` when there is no time.
fn time_or_null(t: Option<OffsetDateTime>) -> Option<String> {
    t.and_then(|t| t.format(&Rfc3339).ok())
}

fn state(on: bool) -> &'static str {
    if on {
        "enable"
    } else {
        "disable"
    }
}

/// `valid` / `invalid` / `forbidden`.
fn status_name(status: AccountStatus) -> &'static str {
    match status {
        AccountStatus::Active => "valid",
        AccountStatus::Banned => "forbidden",
        AccountStatus::Pending | AccountStatus::Uninitialized | AccountStatus::Dormant | AccountStatus::Closed => {
            "invalid"
        }
    }
}

/// An access key (the `ak` object).
#[derive(Serialize, ToSchema)]
#[schema(as = AccessKey)]
struct AkMessage {
    id: Uuid,
    user_id: Uuid,
    access_key: String,
    /// The secret: in the answer of `POST /users/{id}/accessKeys` only, empty everywhere else.
    secret_key: String,
    /// `enable` or `disable`.
    status: &'static str,
    /// The key is old enough that a new one should replace it.
    advice_renew: bool,
    /// RFC 3339.
    #[schema(format = DateTime)]
    create_time: Option<String>,
    /// The last use (the creation when never used), RFC 3339.
    #[schema(format = DateTime)]
    update_time: Option<String>,
}

/// An access key as the `ak` object; the secret only when just issued.
fn ak_object(view: &AccessKeyView, secret: Option<&str>) -> AkMessage {
    let key = &view.key;
    AkMessage {
        id: key.id,
        user_id: key.account_id,
        access_key: key.access_key.clone(),
        secret_key: secret.unwrap_or_default().to_owned(),
        status: match key.status {
            AccessKeyStatus::Active => "enable",
            AccessKeyStatus::Disabled => "disable",
        },
        advice_renew: view.advice_renew,
        create_time: time_or_null(Some(key.created_at)),
        update_time: time_or_null(Some(key.last_used_at.unwrap_or(key.created_at))),
    }
}

/// The User message. Text fields are empty, never `null`, when unset.
#[derive(Serialize, ToSchema)]
#[schema(as = User)]
struct UserMessage {
    id: Uuid,
    /// The display name.
    name: String,
    /// The login name.
    username: String,
    phone: String,
    email: String,
    /// The home workspace's id.
    tenant_id: String,
    /// The home workspace's code.
    tenant_code: String,
    /// The phone's country calling code, digits only.
    region_code: String,
    /// `valid`, `invalid` (pending, uninitialized, dormant or closed) or `forbidden` (banned).
    status: &'static str,
    /// `build_in`, or `ad` for accounts from the LDAP directory.
    source: &'static str,
    /// A description.
    remark: String,
    /// `enable` or `disable`: may sign in to the console.
    console_state: &'static str,
    /// `enable` or `disable`: its access keys work.
    open_api_state: &'static str,
    /// `enable` or `disable`: sign-in asks for a second factor.
    mfa_state: &'static str,
    /// `enable` or `disable`: a new password is demanded at the first sign-in.
    set_password_first_login: &'static str,
    /// `enable` or `disable`: a new password is demanded at the next sign-in.
    set_password_next_login: &'static str,
    /// The same as `set_password_first_login`.
    set_password_at_login: &'static str,
    /// The newest active access key, without its secret; `null` when none is active.
    ak: Option<AkMessage>,
    /// When the password was last set, RFC 3339.
    #[schema(format = DateTime)]
    set_password_time: Option<String>,
    /// RFC 3339.
    #[schema(format = DateTime)]
    last_login_time: Option<String>,
    /// RFC 3339.
    #[schema(format = DateTime)]
    create_time: Option<String>,
    /// RFC 3339.
    #[schema(format = DateTime)]
    update_time: Option<String>,
    /// Who last set the password (a user id).
    password_updator_id: String,
    /// When the account expires, RFC 3339; `null` when it does not.
    #[schema(format = DateTime)]
    invalid_time: Option<String>,
}

/// The User message, with the account's home workspace and newest active key.
async fn user_object(state_: &AppState, caller: &Account, a: &Account) -> Result<UserMessage, IamError> {
    let use_cases = &state_.use_cases;
    let home = use_cases.home_workspace(caller, a.id).await?;
    let keys = use_cases.account_access_keys(caller, a.id).await?;
    let ak = keys.iter().rev().find(|k| k.key.status == AccessKeyStatus::Active).map(|k| ak_object(k, None));
    Ok(UserMessage {
        id: a.id,
        name: a.name.clone(),
        username: a.username.clone().unwrap_or_default(),
        phone: a.phone.clone().unwrap_or_default(),
        email: a.email.clone().unwrap_or_default(),
        tenant_id: home.as_ref().map(|t| t.id.to_string()).unwrap_or_default(),
        tenant_code: home.as_ref().and_then(|t| t.code.clone()).unwrap_or_default(),
        region_code: a.country_code.clone().unwrap_or_default(),
        status: status_name(a.status),
        source: if a.source == AccountSource::Ldap { "ad" } else { "build_in" },
        remark: a.description.clone().unwrap_or_default(),
        console_state: state(a.console_access),
        open_api_state: state(a.open_api_access),
        mfa_state: state(a.mfa_enabled),
        set_password_first_login: state(a.password_change_on_first_login),
        set_password_next_login: state(a.password_change_on_next_login),
        set_password_at_login: state(a.password_change_on_first_login),
        ak,
        set_password_time: time_or_null(a.password_changed_at),
        last_login_time: time_or_null(a.last_login_at),
        create_time: time_or_null(Some(a.created_at)),
        update_time: time_or_null(Some(a.updated_at)),
        password_updator_id: a.password_changed_by.map(|id| id.to_string()).unwrap_or_default(),
        invalid_time: time_or_null(a.expires_at),
    })
}

/// The schema of a state switch as sent.
fn switch_schema() -> utoipa::openapi::schema::OneOfBuilder {
    use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Type};
    OneOfBuilder::new()
        .item(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some(["enable", "disable", "enabled", "disabled", "true", "false", "on", "off"])),
        )
        .item(ObjectBuilder::new().schema_type(Type::Boolean))
        .item(ObjectBuilder::new().schema_type(Type::Null))
        .description(Some(
            "A switch: `enable`/`disable`, `enabled`/`disabled`, `true`/`false` or `on`/`off` (any case), or a JSON \
             boolean. On create, absent or `null` means enable for `console_state` and `open_api_state`, disable for \
             the others.",
        ))
}

/// A User as sent (create, update); `None` is absent, `Some(None)` an explicit `null`. Output-only fields are
/// ignored.
#[derive(Deserialize, Default, ToSchema)]
struct UserInput {
    /// The display name; required on create.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    name: Option<Option<String>>,
    /// The login name: 1 to 64 letters, digits or `. _ + -`, not only digits; required on create.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    username: Option<Option<String>>,
    /// 3 to 20 digits, optionally after a `+`.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    phone: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    email: Option<Option<String>>,
    /// The home workspace's id (create only; preferred to `tenant_code`).
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    tenant_id: Option<Option<String>>,
    /// The home workspace's code (create only).
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    tenant_code: Option<Option<String>>,
    /// The phone's country calling code: 1 to 4 digits, optionally after a `+`.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    region_code: Option<Option<String>>,
    /// The new password; required on create, with `confirm_password`.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    password: Option<Option<String>>,
    /// Must equal `password`.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    confirm_password: Option<Option<String>>,
    /// A description; blank clears it.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    remark: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(schema_with = switch_schema)]
    console_state: Option<Option<Value>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(schema_with = switch_schema)]
    open_api_state: Option<Option<Value>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(schema_with = switch_schema)]
    mfa_state: Option<Option<Value>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(schema_with = switch_schema)]
    set_password_first_login: Option<Option<Value>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(schema_with = switch_schema)]
    set_password_next_login: Option<Option<Value>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(schema_with = switch_schema)]
    set_password_at_login: Option<Option<Value>>,
}

fn checked<T>(result: domain::DomainResult<T>) -> Result<T, IamError> {
    result.map_err(IamError::from)
}

/// A state switch: `enable`/`disable`, `true`/`false`, `on`/`off`, `enabled`/`disabled` (any case), or a JSON
/// boolean.
fn switch(field: &str, value: &Value) -> Result<bool, IamError> {
    let text = match value {
        Value::Bool(b) => return Ok(*b),
        Value::String(s) => s.trim().to_ascii_lowercase(),
        _ => String::new(),
    };
    match text.as_str() {
        "enable" | "enabled" | "true" | "on" => Ok(true),
        "disable" | "disabled" | "false" | "off" => Ok(false),
        _ => Err(IamError::field(field, "must be enable or disable (also true/false, on/off, enabled/disabled).")),
    }
}

fn text(value: &Option<Option<String>>) -> Option<&str> {
    value.as_ref().and_then(Option::as_deref).map(str::trim).filter(|v| !v.is_empty())
}

fn new_password(input: &UserInput) -> Result<Password, IamError> {
    let raw = input.password.as_ref().and_then(Option::as_deref).unwrap_or_default();
    let password = checked(Password::parse_new("password", raw))?;
    if input.confirm_password.as_ref().and_then(Option::as_deref) != Some(raw) {
        return Err(IamError::field("confirm_password", "must be sent with password and equal it."));
    }
    Ok(password)
}

fn switch_or(field: &str, value: &Option<Option<Value>>, default: bool) -> Result<bool, IamError> {
    match value {
        Some(Some(v)) => switch(field, v),
        _ => Ok(default),
    }
}

/// Checks a User for creation.
fn parse_new(input: &UserInput) -> Result<NewAccount, IamError> {
    let name = text(&input.name).ok_or_else(|| IamError::field("name", "is required."))?;
    let username = text(&input.username).ok_or_else(|| IamError::field("username", "is required."))?;
    let home_tenant = match (text(&input.tenant_id), text(&input.tenant_code)) {
        (Some(id), _) => Some(WorkspaceRef::Id(
            Uuid::parse_str(id).map_err(|_| IamError::field("tenant_id", "must be a workspace id."))?,
        )),
        (None, Some(code)) => Some(WorkspaceRef::Code(code.to_owned())),
        (None, None) => None,
    };
    let first_login = match &input.set_password_first_login {
        Some(Some(v)) => switch("set_password_first_login", v)?,
        _ => switch_or("set_password_at_login", &input.set_password_at_login, false)?,
    };
    Ok(NewAccount {
        name: Some(checked(DisplayName::parse("name", name))?),
        username: Some(checked(parse_username("username", username))?),
        phone: text(&input.phone).map(|p| checked(parse_phone("phone", p))).transpose()?,
        email: text(&input.email).map(|e| checked(EmailAddress::parse("email", e))).transpose()?,
        country_code: text(&input.region_code).map(|c| checked(parse_country_code("region_code", c))).transpose()?,
        description: checked(parse_description("remark", text(&input.remark)))?,
        password: Some(new_password(input)?),
        home_tenant,
        console_access: switch_or("console_state", &input.console_state, true)?,
        open_api_access: switch_or("open_api_state", &input.open_api_state, true)?,
        mfa_enabled: switch_or("mfa_state", &input.mfa_state, false)?,
        password_change_on_first_login: first_login,
        password_change_on_next_login: switch_or("set_password_next_login", &input.set_password_next_login, false)?,
        ..NewAccount::default()
    })
}

fn parse_body(body: &[u8]) -> Result<serde_json::Map<String, Value>, IamError> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(IamError::field("body", "must be a JSON object.")),
    }
}

fn user_input(map: serde_json::Map<String, Value>, at: &str) -> Result<UserInput, IamError> {
    let bytes = serde_json::to_vec(&Value::Object(map)).map_err(|_| IamError::field("body", "unreadable."))?;
    crate::common::json::parse::<UserInput>(&bytes).map_err(|e| IamError::from(e).prefixed(at))
}

/// `POST /users` body.
#[derive(Deserialize, ToSchema)]
#[schema(as = CreateUsers)]
struct CreateInput {
    /// The users to create, all or nothing.
    #[schema(value_type = Vec<UserInput>, min_items = 1, max_items = 100)]
    user: Vec<serde_json::Map<String, Value>>,
}

/// `{"user": [User…]}`: the users created.
#[derive(Serialize, ToSchema)]
#[schema(as = CreatedUsers)]
struct CreatedUsers {
    user: Vec<UserMessage>,
}

/// `POST /users {"user": [User…]}` (1–100, all or nothing) → `{"user": [User…]}`.
#[utoipa::path(
    post,
    path = "/iam/idp/v1/users",
    tag = "users",
    request_body = CreateInput,
    responses(
        (status = 200, description = "The users, created.", body = CreatedUsers),
        (status = 400, description = "The body or a field is invalid (named `user[i].field`), or a workspace is \
            unknown; nothing is written.", body = Status),
        (status = 401, description = "The signature, `X-Date`, `Digest` or access key is missing or refused.",
            body = Status),
        (status = 403, description = "The key's account may not create users.", body = Status),
        (status = 409, description = "A login name, email or phone is already in use, or twice in the batch.",
            body = Status),
        (status = 413, description = "The body is larger than 64 KiB.", body = Status),
        (status = 503, description = "The database is unavailable.", body = Status),
    ),
    security(("hmac_signature" = []))
)]
pub(super) async fn create(state_: web::Data<AppState>, call: HmacCall) -> Result<HttpResponse, IamError> {
    let body = &call.body;
    parse_body(body)?;
    let input: CreateInput = crate::common::json::parse(body)?;
    if input.user.is_empty() || input.user.len() > MAX_CREATE {
        return Err(IamError::field("user", format!("between 1 and {MAX_CREATE} users are required.")));
    }
    let mut items = Vec::with_capacity(input.user.len());
    for (i, map) in input.user.into_iter().enumerate() {
        let at = format!("user[{i}].");
        let user = user_input(map, &at)?;
        items.push(parse_new(&user).map_err(|e| e.prefixed(&at))?);
    }
    let created = state_.use_cases.create_accounts(call.actor(), items).await?;
    let mut users = Vec::with_capacity(created.len());
    for account in &created {
        users.push(user_object(&state_, &call.account, account).await?);
    }
    Ok(HttpResponse::Ok().json(CreatedUsers { user: users }))
}

fn user_id(raw: &str) -> Result<Uuid, IamError> {
    Uuid::parse_str(raw.trim()).map_err(|_| IamError::user_not_found())
}

/// `GET /users/{id}` → the User.
#[utoipa::path(
    get,
    path = "/iam/idp/v1/users/{id}",
    tag = "users",
    params(("id" = uuid::Uuid, Path, description = "The user's id.")),
    responses(
        (status = 200, description = "The user.", body = UserMessage),
        (status = 401, description = "The signature, `X-Date` or access key is missing or refused.", body = Status),
        (status = 403, description = "The key's account may not read users.", body = Status),
        (status = 404, description = "No such user (or not visible to the key's account).", body = Status),
        (status = 503, description = "The database is unavailable.", body = Status),
    ),
    security(("hmac_signature" = []))
)]
pub(super) async fn get(
    state_: web::Data<AppState>,
    call: HmacCall,
    path: web::Path<String>,
) -> Result<HttpResponse, IamError> {
    let account = state_.use_cases.get_account(call.actor(), user_id(&path)?).await?;
    Ok(HttpResponse::Ok().json(user_object(&state_, &call.account, &account).await?))
}

/// Default and largest `page_size`.
const DEFAULT_PAGE_SIZE: i64 = 20;
const MAX_PAGE_SIZE: i64 = 100;

fn order(raw: &str) -> Result<AccountOrder, IamError> {
    if raw.trim().is_empty() {
        return Ok(AccountOrder::default());
    }
    let keys = raw
        .split(',')
        .map(|part| {
            let words: Vec<&str> = part.split_whitespace().collect();
            let key = match words.first().copied() {
                Some("create_time") => AccountSortKey::CreatedAt,
                Some("update_time") => AccountSortKey::UpdatedAt,
                Some("name") => AccountSortKey::Name,
                Some("username") => AccountSortKey::Username,
                _ => return Err(IamError::field("order_by", "fields: create_time, update_time, name, username.")),
            };
            let descending = match words.get(1..) {
                Some([]) | Some(["asc"]) => false,
                Some(["desc"]) => true,
                _ => return Err(IamError::field("order_by", "each field may be followed by asc or desc.")),
            };
            Ok((key, descending))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(AccountOrder(keys))
}

/// A page of users.
#[derive(Serialize, ToSchema)]
#[schema(as = UserPage)]
struct UserPage {
    users: Vec<UserMessage>,
    /// The `page_token` of the next page; empty on the last page.
    next_page_token: String,
    /// How many users match the filter, on all pages.
    total_size: i64,
}

/// `GET /users?filter=&order_by=&page_size=&page_token=` → `{users, next_page_token, total_size}`.
#[utoipa::path(
    get,
    path = "/iam/idp/v1/users",
    tag = "users",
    params(
        ("filter" = Option<String>, Query, description = "An AIP-160 subset: comparisons `field = value` and \
            `field != value` on `id`, `username`, `name`, `email`, `phone`, `status` (`valid`, `invalid` or \
            `forbidden`) and `tenant_code`, joined by `AND` and `OR` (`OR` binds tighter than `AND`), with `NOT` \
            and parentheses (at most 16 deep); values are double-quoted strings (`\\\"` and `\\\\` escapes) or bare \
            words; at most 2000 characters. Example: `status = valid AND (name = \"Ann\" OR username != ann)`. \
            Blank or absent: every user."),
        ("order_by" = Option<String>, Query, description = "Comma-separated fields among `create_time`, \
            `update_time`, `name` and `username`, each optionally followed by `asc` (the default) or `desc`, e.g. \
            `create_time desc,name`."),
        ("page_size" = Option<i64>, Query, description = "Users per page: 1 to 100 (more is taken as 100); 0 or \
            absent means 20."),
        ("page_token" = Option<String>, Query, description = "The `next_page_token` of the previous page; absent \
            for the first page."),
    ),
    responses(
        (status = 200, description = "A page of users.", body = UserPage),
        (status = 400, description = "`filter`, `order_by`, `page_size` or `page_token` is invalid (named in the \
            field violation).", body = Status),
        (status = 401, description = "The signature, `X-Date` or access key is missing or refused.", body = Status),
        (status = 403, description = "The key's account may not read every user.", body = Status),
        (status = 503, description = "The database is unavailable.", body = Status),
    ),
    security(("hmac_signature" = []))
)]
pub(super) async fn list(
    state_: web::Data<AppState>,
    call: HmacCall,
    req: HttpRequest,
) -> Result<HttpResponse, IamError> {
    let query = QueryParams::of(&req);
    let filter = filter::parse(query.get("filter").unwrap_or_default())?;
    let order = order(query.get("order_by").unwrap_or_default())?;
    let page_size = match query.get("page_size").map(str::trim).filter(|v| !v.is_empty()) {
        None => DEFAULT_PAGE_SIZE,
        Some(raw) => match raw.parse::<i64>() {
            Ok(0) => DEFAULT_PAGE_SIZE,
            Ok(n) if n > 0 => n.min(MAX_PAGE_SIZE),
            _ => return Err(IamError::field("page_size", "must be a positive integer.")),
        },
    };
    let page = match query.get("page_token").map(str::trim).filter(|v| !v.is_empty()) {
        None => 1,
        Some(raw) => raw
            .parse::<i64>()
            .ok()
            .filter(|p| (1..=i64::from(i32::MAX)).contains(p))
            .ok_or_else(|| IamError::field("page_token", "is not a token this server issued."))?,
    };
    let (accounts, total) =
        state_.use_cases.list_accounts(&call.account, filter, order, (page - 1) * page_size, page_size).await?;
    let mut users = Vec::with_capacity(accounts.len());
    for account in &accounts {
        users.push(user_object(&state_, &call.account, account).await?);
    }
    let next = if page * page_size < total { (page + 1).to_string() } else { String::new() };
    Ok(HttpResponse::Ok().json(UserPage { users, next_page_token: next, total_size: total }))
}

/// Paths of `update_mask` that change something.
const UPDATABLE: [&str; 14] = [
    "name",
    "username",
    "phone",
    "email",
    "region_code",
    "password",
    "confirm_password",
    "remark",
    "console_state",
    "open_api_state",
    "mfa_state",
    "set_password_first_login",
    "set_password_next_login",
    "set_password_at_login",
];

/// Paths that are output only.
const OUTPUT_ONLY: [&str; 14] = [
    "id",
    "status",
    "source",
    "ak",
    "set_password_time",
    "last_login_time",
    "create_time",
    "update_time",
    "join_time",
    "password_updator_id",
    "password_updator_username",
    "invalid_time",
    "message_phone",
    "message_email",
];

/// The paths to change: the mask's, or every updatable field present in the body when it is empty.
fn mask_paths(mask: &str, body: &serde_json::Map<String, Value>) -> Result<Vec<String>, IamError> {
    let paths: Vec<String> = mask.split(',').map(str::trim).filter(|p| !p.is_empty()).map(str::to_owned).collect();
    if paths.is_empty() {
        return Ok(body.keys().filter(|k| UPDATABLE.contains(&k.as_str())).cloned().collect());
    }
    for path in &paths {
        if path == "tenant_id" || path == "tenant_code" {
            return Err(IamError::field(
                "update_mask",
                format!("{path} cannot be changed here; change workspace membership."),
            ));
        }
        if OUTPUT_ONLY.contains(&path.as_str()) {
            return Err(IamError::field("update_mask", format!("{path} is output only.")));
        }
        if !UPDATABLE.contains(&path.as_str()) {
            return Err(IamError::field("update_mask", format!("{path} is not a field of User.")));
        }
    }
    Ok(paths)
}

/// The change the masked fields ask for; only they are checked.
fn parse_update(paths: &[String], input: &UserInput) -> Result<AccountPatch, IamError> {
    if paths.iter().any(|p| p == "set_password_first_login") && paths.iter().any(|p| p == "set_password_at_login") {
        let same = match (&input.set_password_first_login, &input.set_password_at_login) {
            (Some(Some(a)), Some(Some(b))) => {
                switch("set_password_first_login", a)? == switch("set_password_at_login", b)?
            }
            _ => false,
        };
        if !same {
            return Err(IamError::field("set_password_at_login", "names set_password_first_login; the two differ."));
        }
    }
    let mut update = AccountPatch::default();
    let required_switch = |field: &str, value: &Option<Option<Value>>| match value {
        Some(Some(v)) => switch(field, v),
        _ => Err(IamError::field(field, "is in update_mask but has no value.")),
    };
    for path in paths {
        match path.as_str() {
            "name" => {
                let name = text(&input.name).ok_or_else(|| IamError::field("name", "must not be empty."))?;
                update.name = Some(checked(DisplayName::parse("name", name))?);
            }
            "username" => {
                let name = text(&input.username).ok_or_else(|| IamError::field("username", "must not be empty."))?;
                update.username = Some(checked(parse_username("username", name))?);
            }
            "phone" => update.phone = Some(text(&input.phone).map(|p| checked(parse_phone("phone", p))).transpose()?),
            "email" => {
                update.email = Some(text(&input.email).map(|e| checked(EmailAddress::parse("email", e))).transpose()?);
            }
            "region_code" => {
                update.country_code =
                    Some(text(&input.region_code).map(|c| checked(parse_country_code("region_code", c))).transpose()?);
            }
            "remark" => {
                update.description = Some(checked(parse_description("remark", text(&input.remark)))?);
            }
            "password" => update.password = Some(new_password(input)?),
            "confirm_password" => {}
            "console_state" => update.console_access = Some(required_switch("console_state", &input.console_state)?),
            "open_api_state" => {
                update.open_api_access = Some(required_switch("open_api_state", &input.open_api_state)?);
            }
            "mfa_state" => update.mfa_enabled = Some(required_switch("mfa_state", &input.mfa_state)?),
            "set_password_first_login" => {
                update.password_change_on_first_login =
                    Some(required_switch("set_password_first_login", &input.set_password_first_login)?);
            }
            "set_password_at_login" => {
                update.password_change_on_first_login =
                    Some(required_switch("set_password_at_login", &input.set_password_at_login)?);
            }
            "set_password_next_login" => {
                update.password_change_on_next_login =
                    Some(required_switch("set_password_next_login", &input.set_password_next_login)?);
            }
            _ => {}
        }
    }
    Ok(update)
}

/// `PATCH` or `PUT /users/{id}?update_mask=a,b` with a User body → the User.
#[utoipa::path(
    method(patch, put),
    path = "/iam/idp/v1/users/{id}",
    tag = "users",
    params(
        ("id" = uuid::Uuid, Path, description = "The user's id."),
        ("update_mask" = Option<String>, Query, description = "Comma-separated fields of the body to change, \
            among `name`, `username`, `phone`, `email`, `region_code`, `password` (with `confirm_password`), \
            `confirm_password`, `remark`, `console_state`, `open_api_state`, `mfa_state`, \
            `set_password_first_login`, `set_password_next_login` and `set_password_at_login`; only they are read \
            and checked, and a masked text field that is empty or `null` is cleared (`name` and `username` cannot \
            be). Output-only fields and `tenant_id`/`tenant_code` are refused. Blank or absent: every one of \
            those fields present in the body."),
        ("updateMask" = Option<String>, Query, description = "The same as `update_mask`, read when that is \
            absent."),
    ),
    request_body(content = UserInput, description = "A User (a JSON object); output-only fields are ignored."),
    responses(
        (status = 200, description = "The user, changed.", body = UserMessage),
        (status = 400, description = "The body, `update_mask` or a masked field is invalid.", body = Status),
        (status = 401, description = "The signature, `X-Date`, `Digest` or access key is missing or refused.",
            body = Status),
        (status = 403, description = "The key's account may not make this change.", body = Status),
        (status = 404, description = "No such user (or not visible to the key's account).", body = Status),
        (status = 409, description = "A login name, email or phone is already in use, or the user kept changing \
            underneath.", body = Status),
        (status = 413, description = "The body is larger than 64 KiB.", body = Status),
        (status = 503, description = "The database is unavailable.", body = Status),
    ),
    security(("hmac_signature" = []))
)]
pub(super) async fn update(
    state_: web::Data<AppState>,
    call: HmacCall,
    path: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, IamError> {
    let body = &call.body;
    let id = user_id(&path)?;
    let map = parse_body(body)?;
    let query = QueryParams::of(&req);
    let mask = query.get("update_mask").or_else(|| query.get("updateMask")).unwrap_or_default();
    let paths = mask_paths(mask, &map)?;
    let input = user_input(map, "")?;
    let update = parse_update(&paths, &input)?;
    let account = state_.use_cases.update_account(call.actor(), id, update).await?;
    Ok(HttpResponse::Ok().json(user_object(&state_, &call.account, &account).await?))
}

/// `{}` (`google.protobuf.Empty`).
#[derive(Serialize, ToSchema)]
struct Empty {}

/// `DELETE /users/{id}` → `{}` (soft delete, as the other machine dialects).
#[utoipa::path(
    delete,
    path = "/iam/idp/v1/users/{id}",
    tag = "users",
    params(("id" = uuid::Uuid, Path, description = "The user's id.")),
    responses(
        (status = 200, description = "Deleted: its login name, email and phone are free again, its sessions and \
            keys stop.", body = Empty),
        (status = 400, description = "The user is the only owner of a workspace.", body = Status),
        (status = 401, description = "The signature, `X-Date`, `Digest` or access key is missing or refused.",
            body = Status),
        (status = 403, description = "The key's account may not delete this user.", body = Status),
        (status = 404, description = "No such user (or not visible to the key's account).", body = Status),
        (status = 503, description = "The database is unavailable.", body = Status),
    ),
    security(("hmac_signature" = []))
)]
pub(super) async fn delete(
    state_: web::Data<AppState>,
    call: HmacCall,
    path: web::Path<String>,
) -> Result<HttpResponse, IamError> {
    let id = user_id(&path)?;
    state_.use_cases.delete_accounts(call.actor(), vec![id]).await?;
    Ok(HttpResponse::Ok().json(Empty {}))
}

/// `POST /users/{id}/accessKeys` body.
#[derive(Deserialize, Default, ToSchema)]
#[schema(as = CreateAccessKey)]
struct KeyInput {
    /// A label, at most 64 characters.
    name: Option<String>,
}

/// `POST /users/{id}/accessKeys` (optional `{"name"}`) → the `ak` object with its secret, shown this once.
#[utoipa::path(
    post,
    path = "/iam/idp/v1/users/{id}/accessKeys",
    tag = "access keys",
    params(("id" = uuid::Uuid, Path, description = "The user's id.")),
    request_body(content = Option<KeyInput>, description = "Optional: an empty body issues an unnamed key."),
    responses(
        (status = 200, description = "The key and its secret, shown this once.", body = AkMessage),
        (status = 400, description = "The body or `name` is invalid, or the user already has two active keys.",
            body = Status),
        (status = 401, description = "The signature, `X-Date`, `Digest` or access key is missing or refused.",
            body = Status),
        (status = 403, description = "The key's account may not manage this user's keys.", body = Status),
        (status = 404, description = "No such user (or not visible to the key's account).", body = Status),
        (status = 413, description = "The body is larger than 64 KiB.", body = Status),
        (status = 503, description = "The database is unavailable.", body = Status),
    ),
    security(("hmac_signature" = []))
)]
pub(super) async fn create_key(
    state_: web::Data<AppState>,
    call: HmacCall,
    path: web::Path<String>,
) -> Result<HttpResponse, IamError> {
    let body = &call.body;
    let id = user_id(&path)?;
    let input: KeyInput =
        if body.iter().all(u8::is_ascii_whitespace) { KeyInput::default() } else { crate::common::json::parse(body)? };
    let (view, secret) = state_.use_cases.create_access_key(call.actor(), Some(id), input.name).await?;
    Ok(HttpResponse::Ok().json(ak_object(&view, Some(&secret))))
}

/// `{"access_keys": [ak…]}`, oldest first, without secrets.
#[derive(Serialize, ToSchema)]
#[schema(as = AccessKeyList)]
struct KeyList {
    access_keys: Vec<AkMessage>,
}

/// `GET /users/{id}/accessKeys` → `{"access_keys": [ak…]}` without secrets.
#[utoipa::path(
    get,
    path = "/iam/idp/v1/users/{id}/accessKeys",
    tag = "access keys",
    params(("id" = uuid::Uuid, Path, description = "The user's id.")),
    responses(
        (status = 200, description = "The user's keys, oldest first; `secret_key` is empty.", body = KeyList),
        (status = 401, description = "The signature, `X-Date` or access key is missing or refused.", body = Status),
        (status = 403, description = "The key's account may not manage this user's keys.", body = Status),
        (status = 404, description = "No such user (or not visible to the key's account).", body = Status),
        (status = 503, description = "The database is unavailable.", body = Status),
    ),
    security(("hmac_signature" = []))
)]
pub(super) async fn list_keys(
    state_: web::Data<AppState>,
    call: HmacCall,
    path: web::Path<String>,
) -> Result<HttpResponse, IamError> {
    let id = user_id(&path)?;
    let keys = state_.use_cases.list_access_keys(&call.account, Some(id)).await?;
    Ok(HttpResponse::Ok().json(KeyList { access_keys: keys.iter().map(|k| ak_object(k, None)).collect() }))
}

/// `DELETE /users/{id}/accessKeys/{ak_id}` → `{}`; the key stops working at once.
#[utoipa::path(
    delete,
    path = "/iam/idp/v1/users/{id}/accessKeys/{ak_id}",
    tag = "access keys",
    params(
        ("id" = uuid::Uuid, Path, description = "The user's id."),
        ("ak_id" = uuid::Uuid, Path, description = "The key's id (the `id` of the `ak` object)."),
    ),
    responses(
        (status = 200, description = "Deleted.", body = Empty),
        (status = 401, description = "The signature, `X-Date`, `Digest` or access key is missing or refused.",
            body = Status),
        (status = 403, description = "The key's account may not manage this user's keys.", body = Status),
        (status = 404, description = "No such user, or no such key of this user.", body = Status),
        (status = 503, description = "The database is unavailable.", body = Status),
    ),
    security(("hmac_signature" = []))
)]
pub(super) async fn delete_key(
    state_: web::Data<AppState>,
    call: HmacCall,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, IamError> {
    let (user, key) = path.into_inner();
    let user = user_id(&user)?;
    let not_found = || IamError::new(Code::NotFound, "accessKeyNotFound", "The access key does not exist.");
    let key = Uuid::parse_str(key.trim()).map_err(|_| not_found())?;
    let keys = state_.use_cases.list_access_keys(&call.account, Some(user)).await?;
    if !keys.iter().any(|k| k.key.id == key) {
        return Err(not_found());
    }
    state_.use_cases.delete_access_key(call.actor(), key).await?;
    Ok(HttpResponse::Ok().json(Empty {}))
}
