//! Request signing of the account-modify dialect: `X-Df-Access-Key`, `X-Df-Timestamp` (unix seconds within the
//! configured window), `X-Df-Nonce` (accepted once), `X-Df-SVersion: v20240417` and `X-Df-Signature` = hex
//! HMAC-SHA256(secret, `"{METHOD} {nonce} {path_with_query} {timestamp} {body}"`).

use actix_web::HttpRequest;
use domain::model::{AccessKey, Account};
use domain::usecases::{KeyProof, SignatureWindow};
use domain::{DomainError, KeyRefusal};

use super::envelope::ModifyError;
use crate::common::caller::{KeyCall, KeyScheme};
use crate::AppState;

/// The signature version this server speaks.
const SIGNATURE_VERSION: &str = "v20240417";

/// Longest nonce accepted.
const MAX_NONCE_CHARS: usize = 128;

/// The dialect's scheme: `X-Df-*` headers and an HMAC of method, nonce, path, timestamp and body.
pub struct DfSignature;

/// An authenticated account-modify request.
pub type SignedCall = KeyCall<DfSignature>;

fn header<'r>(req: &'r HttpRequest, name: &str) -> Result<&'r str, ModifyError> {
    req.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| ModifyError::auth_header(format!("The {name} header is required.")))
}

/// Hex (as documented) or base64 (as one documentation example shows) signature bytes.
fn signature_bytes(raw: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    if raw.len() == 64 {
        if let Ok(bytes) = hex::decode(raw) {
            return Some(bytes);
        }
    }
    base64::engine::general_purpose::STANDARD.decode(raw).ok().filter(|b| b.len() == 32)
}

impl KeyScheme for DfSignature {
    type Error = ModifyError;

    async fn verify(
        req: &HttpRequest,
        state: &AppState,
        body: &[u8],
        trace_id: &str,
    ) -> Result<(Account, AccessKey), ModifyError> {
        let access_key = header(req, "X-Df-Access-Key")?;
        let timestamp = header(req, "X-Df-Timestamp")?;
        let nonce = header(req, "X-Df-Nonce")?;
        let signature = header(req, "X-Df-Signature")?;
        if let Some(version) = req.headers().get("X-Df-SVersion") {
            if version.to_str().map(str::trim).ok() != Some(SIGNATURE_VERSION) {
                return Err(ModifyError::auth_header(format!("X-Df-SVersion must be {SIGNATURE_VERSION}.")));
            }
        }
        if nonce.chars().count() > MAX_NONCE_CHARS || !nonce.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(ModifyError::auth_header(format!(
                "X-Df-Nonce must be 1 to {MAX_NONCE_CHARS} visible ASCII characters."
            )));
        }
        let signature = signature_bytes(signature)
            .ok_or_else(|| ModifyError::auth_header("X-Df-Signature must be a hex HMAC-SHA256 digest."))?;
        let use_cases = &state.use_cases;
        let signed_at = timestamp
            .parse::<i64>()
            .ok()
            .and_then(|t| time::OffsetDateTime::from_unix_timestamp(t).ok())
            .ok_or_else(|| ModifyError::auth_header("X-Df-Timestamp must be unix seconds."))?;
        let path = req.uri().path_and_query().map_or_else(|| req.path(), |p| p.as_str());
        let mut message = format!("{} {nonce} {path} {timestamp} ", req.method()).into_bytes();
        message.extend_from_slice(body);
        let proof = KeyProof::Signature {
            message: &message,
            signature: &signature,
            signed_at,
            window: SignatureWindow::Timestamp,
            once: Some(nonce),
        };
        use_cases.authenticate_access_key(access_key, proof, Some(trace_id)).await.map_err(|e| match e {
            DomainError::KeyRefused(KeyRefusal::ClockSkew) => ModifyError::auth_header(format!(
                "X-Df-Timestamp is more than {} seconds from the server's clock.",
                use_cases.signature_window(SignatureWindow::Timestamp).whole_seconds()
            )),
            other => other.into(),
        })
    }
}
