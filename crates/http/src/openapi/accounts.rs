//! `GET /openapi/v1/accounts/`, `GET /openapi/v1/accounts/{uid}/` and `POST /openapi/v1/accounts/fetch/`.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use domain::model::{Account, AccountStatus, SystemRole};
use serde::Deserialize;
use serde_json::{json, Value};

use super::auth::KeyAccount;
use super::error::OpenApiError;
use crate::console::extract::QueryParams;
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

/// The role code: 1 business user, 2 auditor, 3 system admin.
fn role_code(account: &Account) -> i32 {
    match account.system_role {
        Some(SystemRole::SuperAdmin | SystemRole::SystemAdmin) => 3,
        Some(SystemRole::Auditor) => 2,
        Some(SystemRole::Normal) | None => 1,
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
        "role": role_code(account),
        "tier": account.partner.tier,
        "type": account.partner.kind,
    })
}

fn success(data: Value) -> HttpResponse {
    HttpResponse::Ok().json(json!({"errcode": 200, "errmsg": "success", "data": data}))
}

/// `GET {uid}/`: the account; 404 for unknown or deleted ones.
pub(super) async fn get(
    state: web::Data<AppState>,
    KeyAccount(caller): KeyAccount,
    path: web::Path<String>,
) -> Result<HttpResponse, OpenApiError> {
    let uid = uuid::Uuid::parse_str(path.trim())
        .map_err(|_| OpenApiError::from(domain::DomainError::NotFound { entity: "account" }))?;
    let account = state.use_cases.machine_get_account(&caller, uid).await?;
    Ok(success(user(&account)))
}

/// Default and largest page of the list.
const DEFAULT_LIMIT: i64 = 20;
const MAX_LIMIT: i64 = 1000;

/// An integer query parameter within `min..=max`, `default` when absent.
fn int_param(query: &QueryParams, name: &str, min: i64, max: i64, default: i64) -> Result<i64, OpenApiError> {
    let Some(raw) = query.get(name).filter(|v| !v.is_empty()) else { return Ok(default) };
    raw.trim().parse::<i64>().ok().filter(|v| (min..=max).contains(v)).ok_or_else(|| {
        OpenApiError::new(
            StatusCode::BAD_REQUEST,
            format!("{name}: must be an integer from {min} to {max}, not {raw:?}."),
        )
    })
}

/// `GET /?q=&offset=&limit=&count=`: `data` is the array of users; with `count=1` (or `true`) the envelope also
/// carries `total`.
pub(super) async fn list(
    state: web::Data<AppState>,
    KeyAccount(caller): KeyAccount,
    req: HttpRequest,
) -> Result<HttpResponse, OpenApiError> {
    let query = QueryParams::of(&req);
    let offset = int_param(&query, "offset", 0, i64::from(i32::MAX), 0)?;
    let limit = int_param(&query, "limit", 1, MAX_LIMIT, DEFAULT_LIMIT)?;
    let count = match query.get("count").map(str::trim).unwrap_or_default() {
        "" | "0" | "false" => false,
        "1" | "true" => true,
        other => {
            return Err(OpenApiError::new(
                StatusCode::BAD_REQUEST,
                format!("count: must be 0, 1, true or false, not {other:?}."),
            ))
        }
    };
    let (accounts, total) = state.use_cases.machine_search_accounts(&caller, query.get("q"), offset, limit).await?;
    let mut body = json!({"errcode": 200, "errmsg": "success", "data": accounts.iter().map(user).collect::<Vec<_>>()});
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
pub(super) async fn fetch(
    state: web::Data<AppState>,
    KeyAccount(caller): KeyAccount,
    body: web::Bytes,
) -> Result<HttpResponse, OpenApiError> {
    let body: FetchBody = crate::json::parse(&body)?;
    let found = state.use_cases.machine_find_account(&caller, &body.username).await?;
    Ok(success(found.as_ref().map_or(Value::Null, user)))
}
