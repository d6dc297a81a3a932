//! JSON bodies for every dialect: parsed with the path of the offending field, so each dialect can name it in
//! its own envelope. Unknown fields are ignored.

use std::future::Future;

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{web, FromRequest, HttpRequest};
use serde::de::DeserializeOwned;

/// Why a request body could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadError {
    /// Larger than [`crate::MAX_BODY_BYTES`].
    TooLarge,
    /// Not received whole within the body deadline ([`super::connection`]).
    TimedOut,
    /// The stream broke or was not acceptable.
    Broken,
}

/// Reads the whole request body within the payload limit, for dialects that answer failures in their own
/// envelope.
pub fn read_body(req: &HttpRequest, payload: &mut Payload) -> impl Future<Output = Result<web::Bytes, ReadError>> {
    let bytes = web::Bytes::from_request(req, payload);
    async move {
        bytes.await.map_err(|e| {
            if e.as_response_error().status_code() == StatusCode::PAYLOAD_TOO_LARGE {
                ReadError::TooLarge
            } else if super::connection::is_body_expired(&e) {
                ReadError::TimedOut
            } else {
                ReadError::Broken
            }
        })
    }
}

/// Why a body did not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyError {
    /// Empty, not JSON, or trailing garbage.
    Syntax,
    /// A field is missing or has the wrong type; `field` is its path (`body` for the whole document).
    Field {
        /// Path of the field.
        field: String,
        /// What is wrong, in words.
        message: String,
        /// Whether the field is missing (rather than wrongly typed).
        missing: bool,
    },
}

/// Parses a JSON body.
///
/// # Errors
/// [`BodyError`] saying what is wrong and where.
pub fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, BodyError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(BodyError::Syntax);
    }
    let mut de = serde_json::Deserializer::from_slice(body);
    let parsed: Result<T, _> = serde_path_to_error::deserialize(&mut de);
    let value = parsed.map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        if !inner.is_data() {
            return BodyError::Syntax;
        }
        let text = inner.to_string();
        if let Some(rest) = text.strip_prefix("missing field `") {
            let field = rest.split('`').next().unwrap_or_default();
            let field = if path == "." { field.to_owned() } else { format!("{path}.{field}") };
            return BodyError::Field {
                field,
                message: "Missing required parameter in the JSON body".into(),
                missing: true,
            };
        }
        let reason = without_type_names(text.split(" at line ").next().unwrap_or(&text));
        if path == "." {
            BodyError::Field {
                field: "body".into(),
                message: format!("The JSON body must be an object: {reason}"),
                missing: false,
            }
        } else {
            BodyError::Field { message: format!("Invalid value for {path}: {reason}"), field: path, missing: false }
        }
    })?;
    de.end().map_err(|_| BodyError::Syntax)?;
    Ok(value)
}

/// Serde's explanation without the server's Rust type names: `expected struct LoginBody` reads `expected a JSON
/// object`, `expected enum Role` reads `expected one of the accepted values`.
fn without_type_names(reason: &str) -> String {
    let mut out = String::with_capacity(reason.len());
    let mut rest = reason;
    loop {
        let next = [("struct ", "a JSON object"), ("enum ", "one of the accepted values")]
            .into_iter()
            .filter_map(|(word, words)| rest.find(word).map(|at| (at, word, words)))
            .min();
        let Some((at, word, words)) = next else { break };
        out.push_str(&rest[..at]);
        out.push_str(words);
        let after = &rest[at + word.len()..];
        rest = after.trim_start_matches(|c: char| c.is_alphanumeric() || c == '_');
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    struct LoginBody {
        #[expect(dead_code, reason = "the test only parses it")]
        email: String,
    }

    #[test]
    fn messages_name_no_rust_type() {
        for body in [&b"[1]"[..], b"\"x\"", b"5"] {
            let Err(BodyError::Field { message, .. }) = parse::<LoginBody>(body) else { panic!("{body:?}") };
            assert!(!message.contains("LoginBody") && !message.contains("struct"), "{message}");
        }
        assert_eq!(
            without_type_names("expected struct UserInput or enum Role_2"),
            "expected a JSON object or one of the accepted values"
        );
    }
}
