//! The caller of a machine dialect (openapi/v1, account-modify, iam): the account of an access key that proved
//! itself by the dialect's scheme, with the key, the request id and the body. One type for the three dialects;
//! each supplies its [`KeyScheme`].

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest, ResponseError};
use domain::model::{AccessKey, Account};
use domain::usecases::Actor;
use domain::DomainError;

use super::json::{read_body, ReadError};
use super::request_id::RequestId;
use crate::AppState;

/// How a machine dialect proves a request comes from an access key's holder.
pub trait KeyScheme: 'static {
    /// The dialect's error, in its envelope.
    type Error: ResponseError + From<ReadError> + From<DomainError> + 'static;

    /// Checks the request (its headers, and `body` where the scheme signs it) and authenticates the key through
    /// the access-key use case.
    fn verify<'a>(
        req: &'a HttpRequest,
        state: &'a AppState,
        body: &'a [u8],
        request_id: &'a str,
    ) -> impl Future<Output = Result<(Account, AccessKey), Self::Error>> + 'a;
}

/// `Authorization: Bearer <access_key>.<secret>` as `(access_key, secret)`, for the dialects that take the
/// key's secret itself as a bearer credential (openapi/v1, SCIM).
pub fn bearer_key_secret(req: &HttpRequest) -> Option<(&str, &str)> {
    let header = req.headers().get("Authorization")?.to_str().ok()?;
    let (scheme, token) = header.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let (key, secret) = token.trim().split_once('.')?;
    (!key.is_empty() && !secret.is_empty()).then_some((key, secret))
}

/// An authenticated machine request: the key's account, the key's id, the request id and the body as received.
pub struct KeyCall<S> {
    /// The key's account: the request acts with its permissions.
    pub account: Account,
    /// The key's id.
    pub key_id: uuid::Uuid,
    /// The request id (the machine envelopes' trace id).
    pub request_id: String,
    /// The body as received (within the dialect's payload limit).
    pub body: web::Bytes,
    scheme: PhantomData<S>,
}

impl<S> KeyCall<S> {
    /// As the domain's actor.
    pub fn actor(&self) -> Actor<'_> {
        Actor { account: &self.account, access_key_id: Some(self.key_id), request_id: Some(&self.request_id) }
    }
}

impl<S: KeyScheme> FromRequest for KeyCall<S> {
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, S::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = read_body(req, payload);
        let req = req.clone();
        Box::pin(async move {
            let body = body.await?;
            let state = req
                .app_data::<web::Data<AppState>>()
                .ok_or_else(|| DomainError::internal_msg("the application state is not registered"))?;
            let request_id = RequestId::of(&req);
            let (account, key) = S::verify(&req, state, &body, &request_id).await?;
            Ok(Self { account, key_id: key.id, request_id, body, scheme: PhantomData })
        })
    }
}
