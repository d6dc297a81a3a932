//! `/iam/idp/v1/users…`: batch create, list with filter and order, get, update with `update_mask`, delete, and
//! the per-user access keys.

use actix_web::{web, HttpRequest, HttpResponse};
use domain::model::{AccessKeyStatus, Account, AccountOrder, AccountSortKey, AccountSource, AccountStatus};
use domain::usecases::{AccessKeyView, AccountPatch, NewAccount, WorkspaceRef};
use domain::values::{
    parse_country_code, parse_description, parse_phone, parse_username, DisplayName, EmailAddress, Password,
};
use serde::Deserialize;
use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use uuid::Uuid;

use super::auth::HmacCall;
use super::filter;
use super::status::{Code, IamError};
use crate::common::query::QueryParams;
use crate::console::dto::double_option;
use crate::AppState;

/// Most users in one create request.
const MAX_CREATE: usize = 100;

fn time_or_null(t: Option<OffsetDateTime>) -> Value {
    t.and_then(|t| t.format(&Rfc3339).ok()).map_or(Value::Null, Value::String)
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

/// An access key as the `ak` object; the secret only when just issued.
fn ak_object(view: &AccessKeyView, secret: Option<&str>) -> Value {
    let key = &view.key;
    json!({
        "id": key.id,
        "user_id": key.account_id,
        "access_key": key.access_key,
        "secret_key": secret.unwrap_or_default(),
        "status": match key.status { AccessKeyStatus::Active => "enable", AccessKeyStatus::Disabled => "disable" },
        "advice_renew": view.advice_renew,
        "create_time": time_or_null(Some(key.created_at)),
        "update_time": time_or_null(Some(key.last_used_at.unwrap_or(key.created_at))),
    })
}

/// The User message, with the account's home workspace and newest active key.
async fn user_object(state_: &AppState, caller: &Account, a: &Account) -> Result<Value, IamError> {
    let use_cases = &state_.use_cases;
    let home = use_cases.home_workspace(caller, a.id).await?;
    let keys = use_cases.account_access_keys(caller, a.id).await?;
    let ak = keys.iter().rev().find(|k| k.key.status == AccessKeyStatus::Active).map(|k| ak_object(k, None));
    Ok(json!({
        "id": a.id,
        "name": a.name,
        "username": a.username.clone().unwrap_or_default(),
        "phone": a.phone.clone().unwrap_or_default(),
        "email": a.email.clone().unwrap_or_default(),
        "tenant_id": home.as_ref().map(|t| t.id.to_string()).unwrap_or_default(),
        "tenant_code": home.as_ref().and_then(|t| t.code.clone()).unwrap_or_default(),
        "region_code": a.country_code.clone().unwrap_or_default(),
        "status": status_name(a.status),
        "source": if a.source == AccountSource::Ldap { "ad" } else { "build_in" },
        "remark": a.description.clone().unwrap_or_default(),
        "console_state": state(a.console_access),
        "open_api_state": state(a.open_api_access),
        "mfa_state": state(a.mfa_enabled),
        "set_password_first_login": state(a.password_change_on_first_login),
        "set_password_next_login": state(a.password_change_on_next_login),
        "set_password_at_login": state(a.password_change_on_first_login),
        "ak": ak,
        "set_password_time": time_or_null(a.password_changed_at),
        "last_login_time": time_or_null(a.last_login_at),
        "create_time": time_or_null(Some(a.created_at)),
        "update_time": time_or_null(Some(a.updated_at)),
        "password_updator_id": a.password_changed_by.map(|id| id.to_string()).unwrap_or_default(),
        "invalid_time": time_or_null(a.expires_at),
    }))
}

/// A User as sent; `None` is absent, `Some(None)` an explicit `null`. Output-only fields are ignored.
#[derive(Deserialize, Default)]
struct UserInput {
    #[serde(default, deserialize_with = "double_option")]
    name: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    username: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    phone: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    email: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    tenant_id: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    tenant_code: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    region_code: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    password: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    confirm_password: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    remark: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    console_state: Option<Option<Value>>,
    #[serde(default, deserialize_with = "double_option")]
    open_api_state: Option<Option<Value>>,
    #[serde(default, deserialize_with = "double_option")]
    mfa_state: Option<Option<Value>>,
    #[serde(default, deserialize_with = "double_option")]
    set_password_first_login: Option<Option<Value>>,
    #[serde(default, deserialize_with = "double_option")]
    set_password_next_login: Option<Option<Value>>,
    #[serde(default, deserialize_with = "double_option")]
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

#[derive(Deserialize)]
struct CreateInput {
    user: Vec<serde_json::Map<String, Value>>,
}

/// `POST /users {"user": [User…]}` (1–100, all or nothing) → `{"user": [User…]}`.
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
    Ok(HttpResponse::Ok().json(json!({"user": users})))
}

fn user_id(raw: &str) -> Result<Uuid, IamError> {
    Uuid::parse_str(raw.trim()).map_err(|_| IamError::user_not_found())
}

/// `GET /users/{id}` → the User.
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

/// `GET /users?filter=&order_by=&page_size=&page_token=` → `{users, next_page_token, total_size}`.
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
    Ok(HttpResponse::Ok().json(json!({"users": users, "next_page_token": next, "total_size": total})))
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

/// `DELETE /users/{id}` → `{}` (soft delete, as the other machine dialects).
pub(super) async fn delete(
    state_: web::Data<AppState>,
    call: HmacCall,
    path: web::Path<String>,
) -> Result<HttpResponse, IamError> {
    let id = user_id(&path)?;
    state_.use_cases.delete_accounts(call.actor(), vec![id]).await?;
    Ok(HttpResponse::Ok().json(json!({})))
}

#[derive(Deserialize, Default)]
struct KeyInput {
    name: Option<String>,
}

/// `POST /users/{id}/accessKeys` (optional `{"name"}`) → the `ak` object with its secret, shown this once.
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

/// `GET /users/{id}/accessKeys` → `{"access_keys": [ak…]}` without secrets.
pub(super) async fn list_keys(
    state_: web::Data<AppState>,
    call: HmacCall,
    path: web::Path<String>,
) -> Result<HttpResponse, IamError> {
    let id = user_id(&path)?;
    let keys = state_.use_cases.list_access_keys(&call.account, Some(id)).await?;
    Ok(HttpResponse::Ok().json(json!({"access_keys": keys.iter().map(|k| ak_object(k, None)).collect::<Vec<_>>()})))
}

/// `DELETE /users/{id}/accessKeys/{ak_id}` → `{}`; the key stops working at once.
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
    Ok(HttpResponse::Ok().json(json!({})))
}
