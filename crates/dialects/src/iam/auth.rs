//! Request signing of the iam dialect: `X-Date` (RFC 1123, within five minutes of the server's clock) and
//! `Authorization: hmac accesskey="<AK>", algorithm="hmac-sha256", headers="…", signature="<base64>"`, the
//! signature being HMAC-SHA256 under the secret of the covered parts, one line each in the order `headers` lists
//! them: `x-date: <X-Date>`, the request line `<METHOD> <path?query> HTTP/1.1` (`request-line`) and
//! `digest: <Digest header>` (`digest`, whose `SHA-256=<base64>` must be the body's). Reads may sign the date
//! alone; writes must cover all three, which binds them to their path and body, and each write signature is
//! accepted once.

use actix_web::http::Method;
use actix_web::HttpRequest;
use domain::model::{AccessKey, Account};
use domain::usecases::{KeyProof, SignatureWindow};
use time::OffsetDateTime;

use super::status::IamError;
use crate::common::caller::{KeyCall, KeyScheme};
use crate::AppState;

/// The dialect's scheme: `X-Date` and an `Authorization: hmac …` signature over the parts it lists.
pub struct DateSignature;

/// An authenticated iam request.
pub type HmacCall = KeyCall<DateSignature>;

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

/// A part of the request a signature covers, as named in `headers="…"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Covered {
    /// `x-date`: the `X-Date` header.
    Date,
    /// `request-line`: `<METHOD> <path?query> HTTP/1.1`.
    RequestLine,
    /// `digest`: the `Digest` header, checked against the body.
    Digest,
}

/// The parts named by `headers="…"` in the order the client signed them: `x-date` required, `request-line` and
/// `digest` optional, none twice.
fn covered_parts(headers: &str) -> Option<Vec<Covered>> {
    let mut parts = Vec::with_capacity(3);
    for name in headers.split_whitespace() {
        let part = match name.to_ascii_lowercase().as_str() {
            "x-date" => Covered::Date,
            "request-line" => Covered::RequestLine,
            "digest" => Covered::Digest,
            _ => return None,
        };
        if parts.contains(&part) {
            return None;
        }
        parts.push(part);
    }
    parts.contains(&Covered::Date).then_some(parts)
}

/// The `Digest` header (RFC 3230) as sent, once its `SHA-256=<base64>` value is found to be the body's.
fn body_digest<'r>(req: &'r HttpRequest, body: &[u8]) -> Result<&'r str, IamError> {
    use base64::Engine;
    use sha2::Digest;
    let header = req.headers().get("Digest").and_then(|v| v.to_str().ok()).ok_or_else(|| {
        IamError::unauthenticated("missingDigest", "The Digest header (SHA-256=<base64 of the body>) is required.")
    })?;
    let claimed = header
        .split(',')
        .filter_map(|item| item.trim().split_once('='))
        .find(|(algorithm, _)| algorithm.trim().eq_ignore_ascii_case("sha-256"))
        .and_then(|(_, value)| base64::engine::general_purpose::STANDARD.decode(value.trim()).ok())
        .ok_or_else(|| IamError::unauthenticated("missingDigest", "The Digest header must carry SHA-256=<base64>."))?;
    if claimed[..] != sha2::Sha256::digest(body)[..] {
        return Err(IamError::unauthenticated("digestMismatch", "The body does not match its Digest header."));
    }
    Ok(header)
}

impl KeyScheme for DateSignature {
    type Error = IamError;

    async fn verify(
        req: &HttpRequest,
        state: &AppState,
        body: &[u8],
        request_id: &str,
    ) -> Result<(Account, AccessKey), IamError> {
        let header = req.headers().get("Authorization").and_then(|v| v.to_str().ok()).unwrap_or_default();
        let params = hmac_params(header).ok_or_else(|| {
            IamError::unauthenticated(
                "invalidAuthenticationType",
                "Authorization: hmac accesskey=\"…\", algorithm=\"hmac-sha256\", headers=\"x-date\", signature=\"…\" is required.",
            )
        })?;
        let param = |name: &str| params.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str());
        let malformed = |what: &str| IamError::unauthenticated("invalidAuthenticationType", what.to_owned());
        let access_key =
            param("accesskey").filter(|v| !v.is_empty()).ok_or_else(|| malformed("accesskey is required."))?;
        if !param("algorithm").is_some_and(|a| a.eq_ignore_ascii_case("hmac-sha256")) {
            return Err(malformed("algorithm must be hmac-sha256."));
        }
        let covered = covered_parts(param("headers").unwrap_or("x-date")).ok_or_else(|| {
            malformed("headers must list x-date, optionally with request-line and digest, each once.")
        })?;
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
        let signed_at = parse_http_date(date)
            .ok_or_else(|| IamError::unauthenticated("invalidDate", "X-Date must be an RFC 1123 date in GMT."))?;
        let write = !matches!(*req.method(), Method::GET | Method::HEAD);
        if write && !covered.contains(&Covered::RequestLine) && !state.iam_allow_date_only_writes {
            return Err(IamError::unauthenticated(
                "requestLineRequired",
                "Writes must be signed with headers=\"x-date request-line digest\".",
            ));
        }
        if write && !covered.contains(&Covered::Digest) && !state.iam_allow_writes_without_digest {
            return Err(IamError::unauthenticated(
                "digestRequired",
                "Writes must sign the body's digest: send Digest: SHA-256=<base64> and headers=\"x-date request-line digest\".",
            ));
        }
        let mut lines = Vec::with_capacity(covered.len());
        for part in &covered {
            lines.push(match part {
                Covered::Date => format!("x-date: {date}"),
                Covered::RequestLine => {
                    let path = req.uri().path_and_query().map_or_else(|| req.path(), |p| p.as_str());
                    format!("{} {path} HTTP/1.1", req.method())
                }
                Covered::Digest => format!("digest: {}", body_digest(req, body)?),
            });
        }
        let message = lines.join("\n");
        // A write signature is accepted once, whatever the body sent with it the second time.
        let write_id = hex::encode(&signature);
        let proof = KeyProof::Signature {
            message: message.as_bytes(),
            signature: &signature,
            signed_at,
            window: SignatureWindow::Date,
            once: write.then_some(write_id.as_str()),
        };
        Ok(state.use_cases.authenticate_access_key(access_key, proof, Some(request_id)).await?)
    }
}
