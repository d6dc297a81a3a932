//! Access keys of accounts: `POST /access-keys`, `GET /access-keys`, `PATCH /access-keys/{id}`,
//! `DELETE /access-keys/{id}`. The secret is in the creation answer only.

use actix_web::{web, HttpRequest, HttpResponse};
use domain::model::{AccessKeyStatus, WireEnum};
use domain::usecases::{AccessKeyView, Actor};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::dto::{Success, SUCCESS};
use super::error::{BadRequestBody, ConsoleError, ErrorBody, SessionFailures};
use super::extract::{one_of, path_id, value_id, Authenticated, ConsoleJson, ConsoleQuery, QueryParams};
use crate::common::request_id::RequestId;
use crate::common::routes::routes;
use crate::AppState;

routes! {
    post "/access-keys" => create,
    get "/access-keys" => list,
    patch "/access-keys/{id}" => update,
    delete "/access-keys/{id}" => delete,
}

/// The operations of this module, for the API document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(create, list, update, delete))]
pub(crate) struct ApiPaths;

/// An access key as listed (the secret is never shown again after creation).
#[derive(Serialize, ToSchema)]
#[schema(as = AccessKey)]
struct KeyItem {
    id: uuid::Uuid,
    account_id: uuid::Uuid,
    access_key: String,
    name: Option<String>,
    /// `active` or `disabled`.
    status: &'static str,
    /// Unix seconds.
    created_at: i64,
    /// Unix seconds.
    last_used_at: Option<i64>,
    /// The key is old enough that a new one should replace it.
    advice_renew: bool,
}

/// A new access key: the listed fields and its secret, shown this once.
#[derive(Serialize, ToSchema)]
#[schema(as = NewAccessKey)]
struct CreatedKey {
    #[serde(flatten)]
    key: KeyItem,
    secret_key: String,
}

/// `{"data": [access key, …]}`.
#[derive(Serialize, ToSchema)]
#[schema(as = AccessKeyList)]
struct KeyList {
    data: Vec<KeyItem>,
}

fn item(view: &AccessKeyView) -> KeyItem {
    let k = &view.key;
    KeyItem {
        id: k.id,
        account_id: k.account_id,
        access_key: k.access_key.clone(),
        name: k.name.clone(),
        status: k.status.as_str(),
        created_at: k.created_at.unix_timestamp(),
        last_used_at: k.last_used_at.map(time::OffsetDateTime::unix_timestamp),
        advice_renew: view.advice_renew,
    }
}

/// `POST /access-keys` body.
#[derive(Deserialize, ToSchema)]
#[schema(as = CreateAccessKey)]
pub(super) struct CreateBody {
    /// The account the key acts as (platform admins only); the caller when absent.
    #[serde(default)]
    account_id: Option<String>,
    /// A label.
    #[serde(default)]
    name: Option<String>,
}

/// `POST /access-keys {account_id?, name?}` → 201 `{id, access_key, secret_key, name, status, created_at, …}`.
#[utoipa::path(
    post,
    path = "/console/api/access-keys",
    tag = "access keys",
    request_body = CreateBody,
    responses(
        (status = 201, description = "The key and its secret, shown this once.", body = CreatedKey),
        (status = 400, description = "A field is invalid.", body = BadRequestBody),
        (status = 403, description = "Keys for another account need a platform admin.", body = ErrorBody),
        (status = 404, description = "The account does not exist.", body = ErrorBody),
        SessionFailures,
    ),
    security(("console_session" = []))
)]
async fn create(
    state: web::Data<AppState>,
    Authenticated(me): Authenticated,
    req: HttpRequest,
    ConsoleJson(body): ConsoleJson<CreateBody>,
) -> Result<HttpResponse, ConsoleError> {
    let account_id = body.account_id.filter(|a| !a.is_empty()).map(|a| value_id("account_id", &a)).transpose()?;
    let request_id = RequestId::of(&req);
    let (view, secret) =
        state.use_cases.create_access_key(Actor::session(&me, &request_id), account_id, body.name).await?;
    Ok(HttpResponse::Created().json(CreatedKey { key: item(&view), secret_key: secret }))
}

/// `GET /access-keys?account_id=` → `{"data":[…]}` (own keys by default).
#[utoipa::path(
    get,
    path = "/console/api/access-keys",
    tag = "access keys",
    params(("account_id" = Option<uuid::Uuid>, Query, description = "Another account's keys (platform admins).")),
    responses(
        (status = 200, description = "The keys.", body = KeyList),
        (status = 400, description = "`account_id` is not a UUID.", body = BadRequestBody),
        (status = 403, description = "Another account's keys need a platform admin.", body = ErrorBody),
        (status = 404, description = "The account does not exist.", body = ErrorBody),
        SessionFailures,
    ),
    security(("console_session" = []))
)]
async fn list(
    state: web::Data<AppState>,
    Authenticated(me): Authenticated,
    req: HttpRequest,
) -> Result<HttpResponse, ConsoleError> {
    let account_id = QueryParams::of(&req).uuid("account_id")?;
    let keys = state.use_cases.list_access_keys(&me, account_id).await?;
    Ok(HttpResponse::Ok().json(KeyList { data: keys.iter().map(item).collect() }))
}

/// `PATCH /access-keys/{id}` body.
#[derive(Deserialize, ToSchema)]
#[schema(as = UpdateAccessKey)]
pub(super) struct UpdateBody {
    /// `active` or `disabled`.
    #[schema(example = "disabled")]
    status: String,
}

/// `PATCH /access-keys/{id} {status: active|disabled}` → the key.
#[utoipa::path(
    patch,
    path = "/console/api/access-keys/{id}",
    tag = "access keys",
    params(("id" = uuid::Uuid, Path, description = "The key's id.")),
    request_body = UpdateBody,
    responses(
        (status = 200, description = "The key.", body = KeyItem),
        (status = 400, description = "A field is invalid.", body = BadRequestBody),
        (status = 403, description = "Not the caller's key, and the caller is no platform admin.", body = ErrorBody),
        (status = 404, description = "No such key.", body = ErrorBody),
        SessionFailures,
    ),
    security(("console_session" = []))
)]
async fn update(
    state: web::Data<AppState>,
    Authenticated(me): Authenticated,
    req: HttpRequest,
    path: web::Path<String>,
    ConsoleJson(body): ConsoleJson<UpdateBody>,
) -> Result<HttpResponse, ConsoleError> {
    let id = path_id(&path, "access key")?;
    let status = one_of("status", &body.status, AccessKeyStatus::ALL)?;
    let request_id = RequestId::of(&req);
    let view = state.use_cases.set_access_key_status(Actor::session(&me, &request_id), id, status).await?;
    Ok(HttpResponse::Ok().json(item(&view)))
}

/// `DELETE /access-keys/{id}` → `{"result":"success"}`.
#[utoipa::path(
    delete,
    path = "/console/api/access-keys/{id}",
    tag = "access keys",
    params(("id" = uuid::Uuid, Path, description = "The key's id.")),
    responses(
        (status = 200, description = "Deleted.", body = Success),
        (status = 403, description = "Not the caller's key, and the caller is no platform admin.", body = ErrorBody),
        (status = 404, description = "No such key.", body = ErrorBody),
        SessionFailures,
    ),
    security(("console_session" = []))
)]
async fn delete(
    state: web::Data<AppState>,
    Authenticated(me): Authenticated,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ConsoleError> {
    let id = path_id(&path, "access key")?;
    let request_id = RequestId::of(&req);
    state.use_cases.delete_access_key(Actor::session(&me, &request_id), id).await?;
    Ok(HttpResponse::Ok().json(SUCCESS))
}
