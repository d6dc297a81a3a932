//! `Authorization: Bearer <access_key>.<secret>` → the key's account.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{web, FromRequest, HttpRequest};
use domain::model::Account;
use domain::usecases::{Actor, KeyProof};

use super::error::OpenApiError;
use crate::request_id::RequestId;
use crate::AppState;

/// The account of a valid access key, with the key's id and the request id (for the audit trail).
pub struct KeyAccount(pub Account, pub Caller);

/// Who is calling, for the audit trail.
pub struct Caller {
    /// The access key's id.
    pub key_id: uuid::Uuid,
    /// The request id.
    pub request_id: String,
}

impl KeyAccount {
    /// As the domain's actor.
    pub fn actor(&self) -> Actor<'_> {
        Actor { account: &self.0, access_key_id: Some(self.1.key_id), request_id: Some(&self.1.request_id) }
    }
}

fn credentials(req: &HttpRequest) -> Option<(String, String)> {
    let header = req.headers().get("Authorization")?.to_str().ok()?;
    let (scheme, token) = header.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let (key, secret) = token.trim().split_once('.')?;
    (!key.is_empty() && !secret.is_empty()).then(|| (key.to_owned(), secret.to_owned()))
}

impl FromRequest for KeyAccount {
    type Error = OpenApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, OpenApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let (key, secret) = credentials(&req).ok_or_else(|| {
                OpenApiError::new(StatusCode::UNAUTHORIZED, "Authorization: Bearer <access_key>.<secret> is required.")
            })?;
            let state = req
                .app_data::<web::Data<AppState>>()
                .ok_or_else(|| OpenApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "Internal server error."))?;
            let request_id = RequestId::of(&req);
            let (account, key) =
                state.use_cases.authenticate_access_key(&key, KeyProof::Secret(&secret), Some(&request_id)).await?;
            Ok(KeyAccount(account, Caller { key_id: key.id, request_id }))
        })
    }
}
