//! Request signing of the iam dialect: `X-Date` (RFC 1123, within five minutes of the server's clock) and
//! `Authorization: hmac accesskey="<AK>", algorithm="hmac-sha256", headers="x-date", signature="<base64>"`, the
//! signature being HMAC-SHA256 under the secret of `"x-date: <X-Date>"`; with `headers="x-date request-line"` it
//! signs `"x-date: <X-Date>\n<METHOD> <path?query> HTTP/1.1"`, which binds the request to its path.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::Method;
use actix_web::{web, FromRequest, HttpRequest};
use domain::model::Account;
use domain::usecases::{Actor, KeyProof, RequestNonce};
use time::{Duration, OffsetDateTime};

use super::status::{Code, IamError};
use crate::json::read_body;
use crate::request_id::RequestId;
use crate::AppState;

/// How far `X-Date` may be from the server's clock.
pub const DATE_SKEW: Duration = Duration::minutes(5);

/// A verified request: the key's account, the key, the request id and the body.
pub struct HmacCall {
    /// The key's account.
    pub account: Account,
    /// The key's id.
    pub key_id: uuid::Uuid,
    /// The request id.
    pub request_id: String,
    /// The body as received.
    pub body: web::Bytes,
}

impl HmacCall {
    /// As the domain's actor.
    pub fn actor(&self) -> Actor<'_> {
        Actor { account: &self.account, access_key_id: Some(self.key_id), request_id: Some(&self.request_id) }
    }
}

/// The parameters of `Authorization: hmac k="v", …` (quotes optional), names lower-cased.
fn hmac_params(header: &str) -> Option<Vec<(String, String)>> {
    let (scheme, rest) = header.trim().split_once(char::is_whitespace)?;
    if !scheme.eq_ignore_ascii_case("hmac") {
        return None;
    }
    rest.split(',')
        .map(|part| {
            let (name, value) = part.split_once('=')?;
            let value = value.trim();
            let value = value.strip_prefix('"').and_then(|v| v.strip_suffix('"')).unwrap_or(value);
            Some((name.trim().to_ascii_lowercase(), value.to_owned()))
        })
        .collect()
}

/// An RFC 1123 date (`Mon, 23 Nov 2026 16:00:00 GMT`).
fn parse_http_date(raw: &str) -> Option<OffsetDateTime> {
    let format = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    time::PrimitiveDateTime::parse(raw.trim(), &format).ok().map(time::PrimitiveDateTime::assume_utc)
}

async fn verify(req: HttpRequest, body: web::Bytes) -> Result<HmacCall, IamError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| IamError::new(Code::Internal, "internal", "Internal error."))?;
    let header = req.headers().get("Authorization").and_then(|v| v.to_str().ok()).unwrap_or_default();
    let params = hmac_params(header).ok_or_else(|| {
        IamError::unauthenticated(
            "invalidAuthenticationType",
            "Authorization: hmac accesskey=\"…\", algorithm=\"hmac-sha256\", headers=\"x-date\", signature=\"…\" is required.",
        )
    })?;
    let param = |name: &str| params.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str());
    let malformed = |what: &str| IamError::unauthenticated("invalidAuthenticationType", what.to_owned());
    let access_key = param("accesskey").filter(|v| !v.is_empty()).ok_or_else(|| malformed("accesskey is required."))?;
    if !param("algorithm").is_some_and(|a| a.eq_ignore_ascii_case("hmac-sha256")) {
        return Err(malformed("algorithm must be hmac-sha256."));
    }
    let headers = param("headers").unwrap_or("x-date").to_ascii_lowercase();
    let with_request_line = match headers.split_whitespace().collect::<Vec<_>>().as_slice() {
        ["x-date"] => false,
        ["x-date", "request-line"] => true,
        _ => return Err(malformed("headers must be \"x-date\" or \"x-date request-line\".")),
    };
    let signature = param("signature")
        .and_then(|s| {
            use base64::Engine;
            base64::engine::general_purpose::STANDARD.decode(s).ok()
        })
        .ok_or_else(|| malformed("signature must be base64."))?;
    let date = req
        .headers()
        .get("X-Date")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| IamError::unauthenticated("missingDate", "The X-Date header is required."))?;
    let sent_at = parse_http_date(date)
        .ok_or_else(|| IamError::unauthenticated("invalidDate", "X-Date must be an RFC 1123 date in GMT."))?;
    let use_cases = &state.use_cases;
    let now = use_cases.ports().clock.now();
    if (now - sent_at).abs() > DATE_SKEW {
        return Err(IamError::unauthenticated("dateSkew", "X-Date is more than five minutes from the server's clock."));
    }
    let write = !matches!(*req.method(), Method::GET | Method::HEAD);
    if write && !with_request_line && !state.iam_allow_date_only_writes {
        return Err(IamError::unauthenticated(
            "requestLineRequired",
            "Writes must be signed with headers=\"x-date request-line\".",
        ));
    }
    let mut message = format!("x-date: {date}");
    if with_request_line {
        let path = req.uri().path_and_query().map_or_else(|| req.path(), |p| p.as_str());
        message.push_str(&format!("\n{} {path} HTTP/1.1", req.method()));
    }
    let request_id = RequestId::of(&req);
    // a write is accepted once: the same signature with the same body again within the window is a replay
    let write_id = format!("{} {}", param("signature").unwrap_or_default(), String::from_utf8_lossy(&body));
    let once = write.then_some(RequestNonce { value: &write_id, kept_until: sent_at.max(now) + DATE_SKEW });
    let proof = KeyProof::Signature { message: message.as_bytes(), signature: &signature, nonce: once };
    let (account, key) = use_cases.authenticate_access_key(access_key, proof, Some(&request_id)).await?;
    Ok(HmacCall { account, key_id: key.id, request_id, body })
}

impl FromRequest for HmacCall {
    type Error = IamError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, IamError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = read_body(req, payload);
        let req = req.clone();
        Box::pin(async move { verify(req, body.await?).await })
    }
}
