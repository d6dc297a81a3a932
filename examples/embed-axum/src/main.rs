//! `dataset-gate`: a small axum service beside accountd. For the bearer token of a console session it answers
//! whether the account may open a dataset or manage a workspace, by running accountd's domain use cases on
//! accountd's own database (the db crate's adapters, the security crate's token verification); it never calls
//! accountd over HTTP, and it decides exactly as accountd does.
//!
//! - `GET /datasets/{id}`: 200 with the dataset's id, name and workspace when the bearer may open it.
//! - `GET /workspaces/{id}/manage`: 204 when the bearer may manage the workspace.
//!
//! Otherwise 401 (no or bad token, revoked session), 403, 404, or 503 while the database is unreachable, each
//! with `{"error": "…"}`. 2xx means yes, so a proxy can use either route as an authorization subrequest.
//!
//! Configuration: `DATABASE_URL` and `SECRET_KEY` as accountd has them, `EDITION` when accountd sets one (its
//! tokens' issuer, `SELF_HOSTED` by default), `BIND` (`127.0.0.1:8080`). The database must have been migrated
//! by accountd (`accountd migrate`); this service only reads it.

use std::sync::Arc;

use anyhow::Context;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use db::{Database, DbOptions};
use domain::usecases::{Ports, Settings, UseCases};
use domain::DomainError;
use security::{JwtCodec, RandomSecrets};
use serde_json::json;
use uuid::Uuid;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let database_url = std::env::var("DATABASE_URL").context("DATABASE_URL is required (accountd's database)")?;
    let secret_key = std::env::var("SECRET_KEY").context("SECRET_KEY is required (accountd's)")?;
    let issuer = std::env::var("EDITION").unwrap_or_else(|_| "SELF_HOSTED".into());
    let bind = std::env::var("BIND").unwrap_or_else(|_| "127.0.0.1:8080".into());

    // opening the pool blocks (it connects once to fail early), so not on the runtime's threads; accountd owns
    // the schema, so this service only checks that it is migrated
    let database = tokio::task::spawn_blocking(move || -> anyhow::Result<Database> {
        let database = Database::connect(&database_url, &DbOptions::default())?;
        db::require_migrated(&mut *database.get()?)?;
        Ok(database)
    })
    .await??;
    let use_cases = Arc::new(use_cases(&database, secret_key.as_bytes(), &issuer));

    let app = Router::new()
        .route("/datasets/{id}", get(open_dataset))
        .route("/workspaces/{id}/manage", get(manage_workspace))
        .with_state(use_cases);
    let listener = tokio::net::TcpListener::bind(&bind).await.with_context(|| format!("cannot listen on {bind}"))?;
    println!("dataset-gate listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}

/// accountd's use cases on its database: every storage port from the db crate, access tokens verified by the
/// security crate's codec under accountd's secret. Nothing else is needed to authenticate and to decide: the
/// other ports stay unsupported.
fn use_cases(database: &Database, secret: &[u8], issuer: &str) -> UseCases {
    let secrets = Arc::new(RandomSecrets::new(secret));
    let settings = Settings::default();
    let services = Ports {
        tokens: Arc::new(JwtCodec::new(secret, settings.access_token_ttl, issuer)),
        ..Ports::minimal(secrets.clone(), secrets)
    };
    UseCases::new(db::storage_ports(database, services), settings)
}

type Shared = State<Arc<UseCases>>;

/// `GET /datasets/{id}`: the dataset, when the bearer may open it.
async fn open_dataset(State(use_cases): Shared, headers: HeaderMap, Path(id): Path<Uuid>) -> Result<Response, Refusal> {
    let account = use_cases.authenticate(bearer(&headers)?).await?;
    let dataset = use_cases.get_dataset(&account, id).await?;
    Ok(Json(json!({ "id": dataset.id, "name": dataset.name, "workspace_id": dataset.tenant_id })).into_response())
}

/// `GET /workspaces/{id}/manage`: 204 when the bearer may manage the workspace.
async fn manage_workspace(
    State(use_cases): Shared,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
) -> Result<StatusCode, Refusal> {
    let account = use_cases.authenticate(bearer(&headers)?).await?;
    if use_cases.may_manage_workspace(&account, id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(DomainError::Forbidden("You do not manage this workspace.").into())
    }
}

/// The token of an `Authorization: Bearer …` header.
fn bearer(headers: &HeaderMap) -> Result<&str, Refusal> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or_else(|| DomainError::Unauthenticated("Authorization: Bearer <access token> is required.").into())
}

/// A domain refusal as this service's answer.
struct Refusal(DomainError);

impl From<DomainError> for Refusal {
    fn from(e: DomainError) -> Self {
        Self(e)
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let status = match &self.0 {
            DomainError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
            DomainError::Forbidden(_) => StatusCode::FORBIDDEN,
            DomainError::NotFound { .. } => StatusCode::NOT_FOUND,
            DomainError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            DomainError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::BAD_REQUEST,
        };
        let message = match &self.0 {
            DomainError::Unauthenticated(text) | DomainError::Forbidden(text) => (*text).to_owned(),
            DomainError::Internal(source) | DomainError::Unavailable(source) => {
                eprintln!("dataset-gate: {source}");
                status.canonical_reason().unwrap_or("error").to_owned()
            }
            other => other.to_string(),
        };
        (status, Json(json!({ "error": message }))).into_response()
    }
}
