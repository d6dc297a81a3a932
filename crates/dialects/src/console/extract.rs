//! Request parsing for the console: JSON bodies with field-naming errors, query parameters, pagination,
//! the bearer-token account, and the client address.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{web, FromRequest, HttpRequest};
use domain::model::{Account, PageRequest, WireEnum};
use serde::de::DeserializeOwned;

use super::error::ConsoleError;
use crate::common::json::BodyError;
use crate::AppState;

/// Parses a JSON body. Syntax errors answer `400 bad_request`; a missing or wrongly typed field answers
/// `invalid_param` naming it. Unknown fields are ignored.
///
/// # Errors
/// As above.
pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, ConsoleError> {
    crate::common::json::parse(body).map_err(|e| match e {
        BodyError::Syntax => ConsoleError::bad_json(),
        BodyError::Field { field, message, .. } => ConsoleError::param(field, message),
    })
}

/// The value of `allowed` whose wire name is `raw`.
///
/// # Errors
/// `invalid_param` naming `field` and listing the allowed names.
pub fn one_of<E: WireEnum>(field: &str, raw: &str, allowed: &[E]) -> Result<E, ConsoleError> {
    allowed.iter().copied().find(|v| v.as_str() == raw).ok_or_else(|| {
        let names: Vec<&str> = allowed.iter().map(|v| v.as_str()).collect();
        ConsoleError::param(field, format!("{field} must be one of {}.", names.join(", ")))
    })
}

/// An id sent as a value (body field, query parameter).
///
/// # Errors
/// `invalid_param` naming `field` when `raw` is not a UUID.
pub fn value_id(field: &str, raw: &str) -> Result<uuid::Uuid, ConsoleError> {
    uuid::Uuid::parse_str(raw.trim()).map_err(|_| ConsoleError::param(field, format!("{raw} is not a valid id.")))
}

/// An id from the path; anything that is not a UUID names nothing (`404` for `entity`).
///
/// # Errors
/// `NotFound { entity }` for a malformed id.
pub fn path_id(raw: &str, entity: &'static str) -> Result<uuid::Uuid, ConsoleError> {
    uuid::Uuid::parse_str(raw).map_err(|_| domain::DomainError::NotFound { entity }.into())
}

/// A JSON body parsed with [`parse_json`].
pub struct ConsoleJson<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for ConsoleJson<T> {
    type Error = ConsoleError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ConsoleError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let bytes = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            let bytes = bytes.await.map_err(body_error)?;
            parse_json(&bytes).map(ConsoleJson)
        })
    }
}

/// Maps a payload failure (too large, too slow, broken stream) to the console envelope.
pub fn body_error(e: actix_web::Error) -> ConsoleError {
    if e.as_response_error().status_code() == StatusCode::PAYLOAD_TOO_LARGE {
        ConsoleError::standard(
            StatusCode::PAYLOAD_TOO_LARGE,
            "request_entity_too_large",
            "The data value transmitted exceeds the capacity limit.",
        )
    } else if crate::common::connection::is_body_expired(&e) {
        ConsoleError::standard(
            StatusCode::REQUEST_TIMEOUT,
            "request_timeout",
            "The request body did not arrive in time.",
        )
    } else {
        ConsoleError::bad_json()
    }
}

/// An optional interface language: a supported one, or `en-US` when absent or empty.
///
/// # Errors
/// `invalid_param` naming `language` for unsupported values.
pub fn language_or_default(raw: Option<&str>) -> Result<&'static str, ConsoleError> {
    match raw.filter(|l| !l.is_empty()) {
        Some(l) => Ok(domain::values::parse_language("language", l)?),
        None => Ok("en-US"),
    }
}

pub use crate::common::query::QueryParams;

/// The console's readings of query parameters, in its words.
pub trait ConsoleQuery {
    /// A required parameter.
    ///
    /// # Errors
    /// `invalid_param` naming it when absent or empty.
    fn required(&self, name: &str) -> Result<&str, ConsoleError>;

    /// `page` (1–99999, default 1) and `limit` (1–100, default 20).
    ///
    /// # Errors
    /// `invalid_param` for out-of-range values.
    fn page(&self) -> Result<PageRequest, ConsoleError>;

    /// A required UUID parameter.
    ///
    /// # Errors
    /// `invalid_param` naming it when absent, empty or malformed.
    fn required_uuid(&self, name: &str) -> Result<uuid::Uuid, ConsoleError>;

    /// A UUID parameter.
    ///
    /// # Errors
    /// `invalid_param` naming it when malformed.
    fn uuid(&self, name: &str) -> Result<Option<uuid::Uuid>, ConsoleError>;
}

impl ConsoleQuery for QueryParams {
    fn required(&self, name: &str) -> Result<&str, ConsoleError> {
        self.get(name)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| ConsoleError::param(name, "Missing required parameter in the query string"))
    }

    fn page(&self) -> Result<PageRequest, ConsoleError> {
        let page = self.int_in("page", 1..=99_999, 1)?;
        let limit = self.int_in("limit", 1..=100, 20)?;
        // both ranges fit in u32
        Ok(PageRequest { page: page as u32, limit: limit as u32 })
    }

    fn required_uuid(&self, name: &str) -> Result<uuid::Uuid, ConsoleError> {
        self.required(name)?;
        Ok(self.uuid(name)?.expect("present: checked above"))
    }

    fn uuid(&self, name: &str) -> Result<Option<uuid::Uuid>, ConsoleError> {
        self.get(name).filter(|v| !v.is_empty()).map(|v| value_id(name, v)).transpose()
    }
}

/// The account of a valid console access token (`Authorization: Bearer …`, or `?_token=` when the header is
/// absent). Refuses before setup with `401 not_setup`.
pub struct Authenticated(pub Account);

impl FromRequest for Authenticated {
    type Error = ConsoleError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ConsoleError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = bearer_token(req);
        Box::pin(async move {
            let state = state.ok_or_else(|| domain::DomainError::internal_msg("application state missing"))?;
            state.use_cases.require_setup().await?;
            let token = token?;
            Ok(Authenticated(state.use_cases.authenticate(&token).await?))
        })
    }
}

fn unauthorized(message: &'static str) -> ConsoleError {
    ConsoleError::standard(StatusCode::UNAUTHORIZED, "unauthorized", message)
}

fn bearer_token(req: &HttpRequest) -> Result<String, ConsoleError> {
    if let Some(header) = req.headers().get(actix_web::http::header::AUTHORIZATION) {
        let value = header.to_str().unwrap_or_default();
        let malformed = || unauthorized("Invalid Authorization header format. Expected 'Bearer <api-key>' format.");
        let (scheme, token) = value.split_once(' ').ok_or_else(malformed)?;
        if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
            return Err(malformed());
        }
        return Ok(token.trim().to_owned());
    }
    QueryParams::of(req)
        .get("_token")
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .ok_or_else(|| unauthorized("Invalid Authorization token."))
}

/// The client address: the peer, or with `trust_forwarded_headers` the `CF-Connecting-IP` header or the first
/// `X-Forwarded-For` entry.
pub fn client_ip(req: &HttpRequest, trust_forwarded_headers: bool) -> Option<String> {
    if trust_forwarded_headers {
        let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok()).map(str::trim);
        if let Some(ip) = header("cf-connecting-ip").filter(|v| !v.is_empty()) {
            return Some(ip.to_owned());
        }
        if let Some(first) = header("x-forwarded-for").and_then(|v| v.split(',').next()).map(str::trim) {
            if !first.is_empty() {
                return Some(first.to_owned());
            }
        }
    }
    req.peer_addr().map(|a| a.ip().to_string())
}

/// The supported language an HTTP `Accept-Language` header prefers most (by its `q` weights), matching a tag
/// exactly or by its primary subtag (`zh-TW` and `zh-HK` mean traditional Chinese); `en-US` when none matches.
pub fn best_language(accept_language: &str) -> &'static str {
    let mut wanted: Vec<(f32, usize, &str)> = accept_language
        .split(',')
        .enumerate()
        .filter_map(|(i, part)| {
            let mut pieces = part.split(';');
            let tag = pieces.next()?.trim();
            let q = pieces
                .filter_map(|p| p.trim().strip_prefix("q="))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            (!tag.is_empty() && q > 0.0).then_some((q, i, tag))
        })
        .collect();
    wanted.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    for (_, _, tag) in wanted {
        if let Some((found, _)) = domain::values::LANGUAGES.iter().find(|(t, _)| t.eq_ignore_ascii_case(tag)) {
            return found;
        }
        let lower = tag.to_ascii_lowercase();
        let primary = lower.split('-').next().unwrap_or_default();
        if primary == "zh" {
            let traditional = ["hant", "tw", "hk", "mo"].iter().any(|t| lower.split('-').skip(1).any(|s| s == *t));
            return if traditional { "zh-Hant" } else { "zh-Hans" };
        }
        if let Some((found, _)) = domain::values::LANGUAGES
            .iter()
            .find(|(t, _)| t.split('-').next().is_some_and(|p| p.eq_ignore_ascii_case(primary)))
        {
            return found;
        }
    }
    "en-US"
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    #[test]
    fn the_preferred_supported_language_wins() {
        assert_eq!(best_language("fr-CH, fr;q=0.9, en;q=0.8, de;q=0.7, *;q=0.5"), "fr-FR");
        assert_eq!(best_language("en;q=0.5, ja-JP"), "ja-JP");
        assert_eq!(best_language("zh-TW,zh;q=0.9"), "zh-Hant");
        assert_eq!(best_language("zh-CN"), "zh-Hans");
        assert_eq!(best_language("xx, de;q=0"), "en-US");
        assert_eq!(best_language(""), "en-US");
    }

    use super::*;

    #[derive(Deserialize, Debug)]
    #[expect(dead_code, reason = "the test only parses it")]
    struct Body {
        email: String,
        n: Option<u8>,
    }

    fn param_field(e: ConsoleError) -> String {
        match e {
            ConsoleError::Param { field, .. } => field,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn json_errors_name_the_field() {
        assert!(matches!(parse_json::<Body>(b""), Err(ConsoleError::Standard { code: "bad_request", .. })));
        assert!(matches!(parse_json::<Body>(b"{nope"), Err(ConsoleError::Standard { code: "bad_request", .. })));
        assert_eq!(param_field(parse_json::<Body>(b"{}").unwrap_err()), "email");
        assert_eq!(param_field(parse_json::<Body>(br#"{"email": 5}"#).unwrap_err()), "email");
        assert_eq!(param_field(parse_json::<Body>(br#"{"email": "a", "n": 300}"#).unwrap_err()), "n");
        assert_eq!(param_field(parse_json::<Body>(b"[]").unwrap_err()), "body");
        assert!(parse_json::<Body>(br#"{"email": "a", "extra": true}"#).is_ok());
    }
}
