//! `Authorization: Bearer <access_key>.<secret>` → the key's account, as openapi/v1 takes it.

use actix_web::http::StatusCode;
use actix_web::HttpRequest;
use domain::model::{AccessKey, Account};
use domain::usecases::KeyProof;

use super::error::ScimError;
use crate::common::caller::{bearer_key_secret, KeyCall, KeyScheme};
use crate::AppState;

/// The dialect's scheme: the secret itself as a bearer credential.
pub struct ScimBearer;

/// An authenticated SCIM request.
pub type ScimCall = KeyCall<ScimBearer>;

impl KeyScheme for ScimBearer {
    type Error = ScimError;

    async fn verify(
        req: &HttpRequest,
        state: &AppState,
        _body: &[u8],
        request_id: &str,
    ) -> Result<(Account, AccessKey), ScimError> {
        let (key, secret) = bearer_key_secret(req).ok_or_else(|| {
            ScimError::new(StatusCode::UNAUTHORIZED, "Authorization: Bearer <access_key>.<secret> is required.")
        })?;
        Ok(state.use_cases.authenticate_access_key(key, KeyProof::Secret(secret), Some(request_id)).await?)
    }
}
