//! `GET /openapi/v1/accounts/`, `GET /openapi/v1/accounts/{uid}/` and `POST /openapi/v1/accounts/fetch/`.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use domain::model::{Account, AccountStatus, SystemRole, WorkspaceRole};
use domain::usecases::{AccountPatch, NewAccount, MAX_BATCH};
use domain::values::{parse_description, parse_phone, parse_username, DisplayName, EmailAddress, Password};
use domain::DomainError;
use serde::Deserialize;
use serde_json::{json, Value};

use super::auth::KeyAccount;
use super::error::{field_name, OpenApiError};
use crate::common::query::QueryParams;
use crate::console::dto::double_option;
use crate::AppState;

/// The status code of the dialect: 0 deregistered, 1 normal, 2 not activated, 3 dormant, 4 disabled.
fn status_code(account: &Account) -> i32 {
    if !account.is_live() {
        return 0;
    }
    match account.status {
        AccountStatus::Active => 1,
        AccountStatus::Pending | AccountStatus::Uninitialized => 2,
        AccountStatus::Dormant => 3,
        AccountStatus::Banned | AccountStatus::Closed => 4,
    }
}

/// The user object.
pub(super) fn user(account: &Account) -> Value {
    json!({
        "uid": account.id,
        "status": status_code(account),
        "username": account.username,
        "phone": account.phone,
        "email": account.email,
        "nickname": account.name,
        "desc": account.description,
        "role": role_code(account.system_role.unwrap_or(SystemRole::Normal)),
        "tier": account.partner.tier,
        "type": account.partner.kind,
    })
}

fn success(data: Value) -> HttpResponse {
    HttpResponse::Ok().json(json!({"errcode": 200, "errmsg": "success", "data": data}))
}

/// The `{uid}` of a path; one that is not a UUID names no account (404).
fn path_uid(path: &str) -> Result<uuid::Uuid, OpenApiError> {
    uuid::Uuid::parse_str(path.trim()).map_err(|_| OpenApiError::from(DomainError::NotFound { entity: "account" }))
}

/// `GET {uid}/`: the account; 404 for unknown or deleted ones.
pub(super) async fn get(
    state: web::Data<AppState>,
    caller: KeyAccount,
    path: web::Path<String>,
) -> Result<HttpResponse, OpenApiError> {
    let uid = path_uid(&path)?;
    let account = state.use_cases.get_account(caller.actor(), uid).await?;
    Ok(success(user(&account)))
}

/// Default and largest page of the list.
const DEFAULT_LIMIT: i64 = 20;
const MAX_LIMIT: i64 = 1000;

/// `count=1` (or `true`) asks for the total.
fn count_param(query: &QueryParams) -> Result<bool, OpenApiError> {
    match query.get("count").map(str::trim).unwrap_or_default() {
        "" | "0" | "false" => Ok(false),
        "1" | "true" => Ok(true),
        other => Err(bad("count", format!("must be 0, 1, true or false, not {other:?}."))),
    }
}

/// `GET /?q=&offset=&limit=&count=`: `data` is the array of users; with `count=1` (or `true`) the envelope also
/// carries `total`.
pub(super) async fn list(
    state: web::Data<AppState>,
    caller: KeyAccount,
    req: HttpRequest,
) -> Result<HttpResponse, OpenApiError> {
    let query = QueryParams::of(&req);
    let offset = query.int_in("offset", 0..=i64::from(i32::MAX), 0)?;
    let limit = query.int_in("limit", 1..=MAX_LIMIT, DEFAULT_LIMIT)?;
    let count = count_param(&query)?;
    let term = domain::values::search_term("q", query.get("q"))?;
    let (accounts, total) =
        state.use_cases.search_accounts(&caller.account, term.as_deref(), offset, limit, count).await?;
    let mut body = json!({"errcode": 200, "errmsg": "success", "data": accounts.iter().map(user).collect::<Vec<_>>()});
    if let Some(total) = total {
        body["total"] = json!(total);
    }
    Ok(HttpResponse::Ok().json(body))
}

/// A user object as sent by the partner; every field optional, checked by [`parse_user`].
#[derive(Deserialize, Default)]
pub(super) struct UserInput {
    uid: Option<String>,
    username: Option<String>,
    phone: Option<String>,
    email: Option<String>,
    nickname: Option<String>,
    desc: Option<String>,
    password: Option<String>,
    role: Option<i64>,
    tier: Option<i64>,
    #[serde(rename = "type")]
    kind: Option<i64>,
    status: Option<i64>,
}

fn bad(field: &str, message: impl std::fmt::Display) -> OpenApiError {
    OpenApiError::new(StatusCode::BAD_REQUEST, format!("{field}: {message}"))
}

fn non_empty(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

/// A domain value check, its field named with the prefix `at` (`accounts[3].` in a batch).
fn checked<T>(at: &str, result: domain::DomainResult<T>) -> Result<T, OpenApiError> {
    result.map_err(|e| match e {
        DomainError::Invalid { field, message } => bad(&format!("{at}{field}"), message),
        DomainError::TooLong { field, max, .. } => {
            bad(&format!("{at}{field}"), format!("must be at most {max} characters."))
        }
        other => other.into(),
    })
}

/// Checks a user object field by field; `at` prefixes field names (`accounts[3].` in a batch).
fn parse_user(input: UserInput, at: &str) -> Result<NewAccount, OpenApiError> {
    let field = |name: &str| format!("{at}{name}");
    let id = non_empty(input.uid)
        .map(|u| uuid::Uuid::parse_str(&u).map_err(|_| bad(&field("uid"), "must be a UUID.")))
        .transpose()?;
    let username = non_empty(input.username).map(|u| checked(at, parse_username("username", &u))).transpose()?;
    let phone = non_empty(input.phone).map(|p| checked(at, parse_phone("phone", &p))).transpose()?;
    let email = non_empty(input.email).map(|e| checked(at, EmailAddress::parse("email", &e))).transpose()?;
    let name = non_empty(input.nickname).map(|n| checked(at, DisplayName::parse("nickname", &n))).transpose()?;
    let description = checked(at, parse_description("desc", input.desc.as_deref()))?;
    let password = input
        .password
        .filter(|p| !p.is_empty())
        .map(|p| checked(at, Password::parse_new("password", &p)))
        .transpose()?;
    let code = |name: &str, value: Option<i64>, allowed: &[i64], default: i64| -> Result<i16, OpenApiError> {
        let v = value.unwrap_or(default);
        if allowed.contains(&v) {
            Ok(i16::try_from(v).expect("allowed codes are small"))
        } else {
            Err(bad(&field(name), format!("must be one of {allowed:?}.")))
        }
    };
    let system_role = match code("role", input.role, &[1, 2, 3], 1)? {
        3 => SystemRole::SystemAdmin,
        2 => SystemRole::Auditor,
        _ => SystemRole::Normal,
    };
    let tier = code("tier", input.tier, &[1, 2, 3], 3)?;
    let kind = code("type", input.kind, &[0, 1], 1)?;
    let status = match code("status", input.status, &[1, 2, 3, 4], 1)? {
        2 => AccountStatus::Pending,
        3 => AccountStatus::Dormant,
        4 => AccountStatus::Banned,
        _ => AccountStatus::Active,
    };
    Ok(NewAccount {
        id,
        username,
        phone,
        email,
        name,
        description,
        password,
        system_role,
        tier,
        kind,
        status,
        ..NewAccount::default()
    })
}

/// `POST /` with a user object: creates one account → `data` = the user.
pub(super) async fn create(state: web::Data<AppState>, caller: KeyAccount) -> Result<HttpResponse, OpenApiError> {
    let input: UserInput = crate::common::json::parse(&caller.body)?;
    let item = parse_user(input, "")?;
    let created = state.use_cases.create_accounts(caller.actor(), vec![item]).await.map_err(|e| match e {
        DomainError::ConflictAt { field, .. } => {
            OpenApiError::new(StatusCode::CONFLICT, format!("{}: already in use.", field_name(field)))
        }
        other => other.into(),
    })?;
    Ok(success(user(&created[0])))
}

/// `{"accounts": [item, …]}` of the batch endpoints.
#[derive(Deserialize)]
pub(super) struct BatchBody<T> {
    accounts: Vec<T>,
}

/// Parses a batch body of 1–1000 items, checking each with `check(index, item)`.
fn parse_batch<T: serde::de::DeserializeOwned, U>(
    body: &[u8],
    check: impl Fn(usize, T) -> Result<U, OpenApiError>,
) -> Result<Vec<U>, OpenApiError> {
    let batch: BatchBody<T> = crate::common::json::parse(body)?;
    if batch.accounts.is_empty() || batch.accounts.len() > MAX_BATCH {
        return Err(bad("accounts", format!("between 1 and {MAX_BATCH} accounts are required.")));
    }
    batch.accounts.into_iter().enumerate().map(|(i, item)| check(i, item)).collect()
}

/// `POST create-accounts/ {"accounts": [user, …]}` (1–1000): all or nothing → `data` = the users.
pub(super) async fn create_batch(state: web::Data<AppState>, caller: KeyAccount) -> Result<HttpResponse, OpenApiError> {
    let items = parse_batch(&caller.body, |i, input: UserInput| parse_user(input, &format!("accounts[{i}].")))?;
    let created = state.use_cases.create_accounts(caller.actor(), items).await?;
    Ok(success(Value::Array(created.iter().map(user).collect())))
}

/// The fields `PUT {uid}/` may change; absent leaves a field alone, `null` or `""` clears the clearable ones.
#[derive(Deserialize)]
pub(super) struct UpdateInput {
    username: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    phone: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    email: Option<Option<String>>,
    nickname: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    desc: Option<Option<String>>,
    password: Option<String>,
    role: Option<i64>,
    tier: Option<i64>,
    #[serde(rename = "type")]
    kind: Option<i64>,
    status: Option<i64>,
}

/// Checks the fields of an update with the rules of [`parse_user`]: each present field is run through them.
fn parse_update(input: UpdateInput) -> Result<AccountPatch, OpenApiError> {
    let cleared =
        |v: &Option<Option<String>>| matches!(v, Some(None)) || matches!(v, Some(Some(s)) if s.trim().is_empty());
    if input.username.as_ref().is_some_and(|u| u.trim().is_empty()) {
        return Err(bad("username", "cannot be empty."));
    }
    if input.nickname.as_ref().is_some_and(|n| n.trim().is_empty()) {
        return Err(bad("nickname", "cannot be empty."));
    }
    let checked = parse_user(
        UserInput {
            uid: None,
            username: input.username.clone(),
            phone: input.phone.clone().flatten(),
            email: input.email.clone().flatten(),
            nickname: input.nickname.clone(),
            desc: input.desc.clone().flatten(),
            password: input.password.clone(),
            role: input.role,
            tier: input.tier,
            kind: input.kind,
            status: input.status,
        },
        "",
    )?;
    Ok(AccountPatch {
        username: checked.username,
        phone: input.phone.as_ref().map(|_| if cleared(&input.phone) { None } else { checked.phone.clone() }),
        email: input.email.as_ref().map(|_| if cleared(&input.email) { None } else { checked.email.clone() }),
        name: checked.name,
        description: input.desc.as_ref().map(|_| if cleared(&input.desc) { None } else { checked.description.clone() }),
        password: checked.password,
        system_role: input.role.map(|_| checked.system_role),
        tier: input.tier.map(|_| checked.tier),
        kind: input.kind.map(|_| checked.kind),
        status: input.status.map(|_| checked.status),
        ..AccountPatch::default()
    })
}

/// `PUT {uid}/` with any user fields: changes them → `data` = the user.
pub(super) async fn update(
    state: web::Data<AppState>,
    caller: KeyAccount,
    path: web::Path<String>,
) -> Result<HttpResponse, OpenApiError> {
    let uid = path_uid(&path)?;
    let input: UpdateInput = crate::common::json::parse(&caller.body)?;
    let update = parse_update(input)?;
    let account = state.use_cases.update_account(caller.actor(), uid, update).await?;
    Ok(success(user(&account)))
}

#[derive(Deserialize)]
pub(super) struct UpdateBatchItem {
    uid: String,
    #[serde(flatten)]
    fields: UpdateInput,
}

/// `PUT update-accounts/ {"accounts": [{uid, …fields}, …]}` (1–1000): every item changed, or none.
pub(super) async fn update_batch(state: web::Data<AppState>, caller: KeyAccount) -> Result<HttpResponse, OpenApiError> {
    let items = parse_batch(&caller.body, |i, item: UpdateBatchItem| {
        let uid = uuid::Uuid::parse_str(item.uid.trim())
            .map_err(|_| bad(&format!("accounts[{i}].uid"), "must be a UUID."))?;
        let update = parse_update(item.fields).map_err(|e| e.prefixed(&format!("accounts[{i}].")))?;
        Ok((uid, update))
    })?;
    let changed = state.use_cases.update_accounts(caller.actor(), items).await?;
    Ok(success(Value::Array(changed.iter().map(user).collect())))
}

/// `DELETE {uid}/`: soft delete → `data: null`.
pub(super) async fn delete(
    state: web::Data<AppState>,
    caller: KeyAccount,
    path: web::Path<String>,
) -> Result<HttpResponse, OpenApiError> {
    let uid = uuid::Uuid::parse_str(path.trim())
        .map_err(|_| OpenApiError::new(StatusCode::NOT_FOUND, format!("Unknown accounts: {}.", path.trim())))?;
    state.use_cases.delete_accounts(caller.actor(), vec![uid]).await?;
    Ok(success(Value::Null))
}

#[derive(Deserialize)]
pub(super) struct DeleteBatchBody {
    #[serde(rename = "accountUids")]
    account_uids: Vec<String>,
}

/// `DELETE delete-accounts/ {"accountUids": […]}`: all or nothing; unknown uids answer 404 listing them.
pub(super) async fn delete_batch(state: web::Data<AppState>, caller: KeyAccount) -> Result<HttpResponse, OpenApiError> {
    let body: DeleteBatchBody = crate::common::json::parse(&caller.body)?;
    let malformed: Vec<&str> =
        body.account_uids.iter().map(String::as_str).filter(|u| uuid::Uuid::parse_str(u.trim()).is_err()).collect();
    if !malformed.is_empty() {
        return Err(OpenApiError::new(StatusCode::NOT_FOUND, format!("Unknown accounts: {}.", malformed.join(", "))));
    }
    let uids = body.account_uids.iter().filter_map(|u| uuid::Uuid::parse_str(u.trim()).ok()).collect();
    state.use_cases.delete_accounts(caller.actor(), uids).await?;
    Ok(success(Value::Null))
}

/// The dialect's role code of a platform role: 1 business user, 2 auditor, 3 system admin.
fn role_code(role: SystemRole) -> i16 {
    match role {
        SystemRole::SuperAdmin | SystemRole::SystemAdmin => 3,
        SystemRole::Auditor => 2,
        SystemRole::Normal => 1,
    }
}

/// Workspace role codes of the dialect: 1 owner, 2 admin, 3 editor, 4 normal, 5 dataset operator.
const ROLE_CODES: [(i64, WorkspaceRole); 5] = [
    (1, WorkspaceRole::Owner),
    (2, WorkspaceRole::Admin),
    (3, WorkspaceRole::Editor),
    (4, WorkspaceRole::Normal),
    (5, WorkspaceRole::DatasetOperator),
];

/// `GET {uid}/projects/?role=&count=&offset=&limit=`: the account's workspaces `{id (sequential number), name,
/// desc, owner{uid, email, nickname, desc, status}, locked}`.
pub(super) async fn projects(
    state: web::Data<AppState>,
    caller: KeyAccount,
    path: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, OpenApiError> {
    let uid = path_uid(&path)?;
    let query = QueryParams::of(&req);
    let offset = query.int_in("offset", 0..=i64::from(i32::MAX), 0)?;
    let limit = query.int_in("limit", 1..=MAX_LIMIT, DEFAULT_LIMIT)?;
    let count = count_param(&query)?;
    let role = match query.get("role").filter(|r| !r.is_empty()) {
        None => None,
        Some(raw) => Some(
            raw.trim()
                .parse::<i64>()
                .ok()
                .and_then(|code| ROLE_CODES.iter().find(|(c, _)| *c == code).map(|(_, r)| *r))
                .ok_or_else(|| {
                    bad("role", "must be 1 (owner), 2 (admin), 3 (editor), 4 (normal) or 5 (dataset operator).")
                })?,
        ),
    };
    let (offset, limit) = (usize::try_from(offset).unwrap_or(0), usize::try_from(limit).unwrap_or(0));
    let (workspaces, total) = state.use_cases.account_workspaces(&caller.account, uid, role, offset, limit).await?;
    let data: Vec<Value> = workspaces
        .iter()
        .map(|(t, owner)| {
            json!({
                "id": t.number,
                "name": t.name,
                "desc": t.description,
                "owner": owner.as_ref().map(|o| json!({
                    "uid": o.id, "email": o.email, "nickname": o.name, "desc": o.description, "status": status_code(o),
                })),
                "locked": t.locked,
            })
        })
        .collect();
    let mut body = json!({"errcode": 200, "errmsg": "success", "data": data});
    if count {
        body["total"] = json!(total);
    }
    Ok(HttpResponse::Ok().json(body))
}

#[derive(Deserialize)]
pub(super) struct FetchBody {
    username: String,
}

/// `POST fetch/ {"username": login name | phone | email}`: the account, or `data: null`.
pub(super) async fn fetch(state: web::Data<AppState>, caller: KeyAccount) -> Result<HttpResponse, OpenApiError> {
    let body: FetchBody = crate::common::json::parse(&caller.body)?;
    let found = state.use_cases.find_account_by_login(&caller.account, &body.username).await?;
    Ok(success(found.as_ref().map_or(Value::Null, user)))
}
