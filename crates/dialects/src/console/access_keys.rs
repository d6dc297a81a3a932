//! Access keys of accounts: `POST /access-keys`, `GET /access-keys`, `PATCH /access-keys/{id}`,
//! `DELETE /access-keys/{id}`. The secret is in the creation answer only.

use actix_web::{web, HttpRequest, HttpResponse};
use domain::model::{AccessKeyStatus, WireEnum};
use domain::usecases::{AccessKeyView, Actor};
use serde::Deserialize;
use serde_json::{json, Value};

use super::dto::SUCCESS;
use super::error::ConsoleError;
use super::extract::{one_of, path_id, value_id, Authenticated, ConsoleJson, ConsoleQuery, QueryParams};
use crate::common::request_id::RequestId;
use crate::AppState;

/// Registers the routes of this module.
pub(super) fn config(cfg: &mut web::ServiceConfig) {
    cfg.route("/access-keys", web::post().to(create))
        .route("/access-keys", web::get().to(list))
        .route("/access-keys/{id}", web::patch().to(update))
        .route("/access-keys/{id}", web::delete().to(delete));
}

fn item(view: &AccessKeyView) -> Value {
    let k = &view.key;
    json!({
        "id": k.id,
        "account_id": k.account_id,
        "access_key": k.access_key,
        "name": k.name,
        "status": k.status.as_str(),
        "created_at": k.created_at.unix_timestamp(),
        "last_used_at": k.last_used_at.map(time::OffsetDateTime::unix_timestamp),
        "advice_renew": view.advice_renew,
    })
}

#[derive(Deserialize)]
pub(super) struct CreateBody {
    #[serde(default)]
    account_id: Option<String>,
    #[serde(default)]
    name: Option<String>,
}

/// `POST /access-keys {account_id?, name?}` → 201 `{id, access_key, secret_key, name, status, created_at, …}`.
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
    let mut out = item(&view);
    out["secret_key"] = json!(secret);
    Ok(HttpResponse::Created().json(out))
}

/// `GET /access-keys?account_id=` → `{"data":[…]}` (own keys by default).
async fn list(
    state: web::Data<AppState>,
    Authenticated(me): Authenticated,
    req: HttpRequest,
) -> Result<HttpResponse, ConsoleError> {
    let account_id = QueryParams::of(&req).uuid("account_id")?;
    let keys = state.use_cases.list_access_keys(&me, account_id).await?;
    Ok(HttpResponse::Ok().json(json!({"data": keys.iter().map(item).collect::<Vec<_>>()})))
}

#[derive(Deserialize)]
pub(super) struct UpdateBody {
    status: String,
}

/// `PATCH /access-keys/{id} {status: active|disabled}` → the key.
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
