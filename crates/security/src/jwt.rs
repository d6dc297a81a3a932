use domain::ports::{AccessClaims, AccessTokenCodec};
use domain::{DomainError, DomainResult};
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

/// JWT `sub` of console tokens.
const SUBJECT: &str = "Console API Passport";

#[derive(Serialize, Deserialize)]
struct Claims {
    user_id: String,
    exp: i64,
    iss: String,
    sub: String,
}

/// Console access tokens: HS256 JWT `{user_id, exp, iss, sub}` signed with the secret key.
pub struct JwtCodec {
    encoding: EncodingKey,
    decoding: DecodingKey,
    ttl: Duration,
    issuer: String,
}

impl JwtCodec {
    /// A codec signing with `secret`, issuing tokens that live `ttl`, with `iss = issuer` (`SELF_HOSTED`).
    pub fn new(secret: &[u8], ttl: Duration, issuer: impl Into<String>) -> Self {
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            ttl,
            issuer: issuer.into(),
        }
    }
}

impl AccessTokenCodec for JwtCodec {
    fn issue(&self, account_id: Uuid, now: OffsetDateTime) -> DomainResult<String> {
        let claims = Claims {
            user_id: account_id.to_string(),
            exp: (now + self.ttl).unix_timestamp(),
            iss: self.issuer.clone(),
            sub: SUBJECT.into(),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding).map_err(DomainError::internal)
    }

    fn verify(&self, token: &str, now: OffsetDateTime) -> DomainResult<AccessClaims> {
        let mut validation = Validation::new(Algorithm::HS256);
        // Expiry is checked against the injected clock below.
        validation.validate_exp = false;
        validation.required_spec_claims.clear();
        validation.set_issuer(&[&self.issuer]);
        validation.sub = Some(SUBJECT.into());
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation).map_err(|e| {
            DomainError::Unauthenticated(match e.kind() {
                ErrorKind::InvalidSignature => "Invalid token signature.",
                _ => "Invalid token.",
            })
        })?;
        let expires_at = OffsetDateTime::from_unix_timestamp(data.claims.exp)
            .map_err(|_| DomainError::Unauthenticated("Invalid token."))?;
        if expires_at <= now {
            return Err(DomainError::Unauthenticated("Token has expired."));
        }
        let account_id =
            Uuid::parse_str(&data.claims.user_id).map_err(|_| DomainError::Unauthenticated("Invalid token."))?;
        Ok(AccessClaims { account_id, issued_at: expires_at - self.ttl, expires_at })
    }
}

#[cfg(test)]
mod tests {
    use base64::Engine;

    use super::*;

    const NOW: OffsetDateTime = time::macros::datetime!(2026-01-01 00:00 UTC);

    fn codec() -> JwtCodec {
        JwtCodec::new(b"secret", Duration::minutes(60), "SELF_HOSTED")
    }

    fn msg(r: DomainResult<AccessClaims>) -> &'static str {
        match r {
            Err(DomainError::Unauthenticated(m)) => m,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn round_trip_has_exactly_the_four_claims() {
        let id = Uuid::new_v4();
        let token = codec().issue(id, NOW).unwrap();
        let payload = token.split('.').nth(1).unwrap();
        let json: serde_json::Value =
            serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
        let keys: Vec<_> = json.as_object().unwrap().keys().cloned().collect();
        assert_eq!(keys.len(), 4);
        assert_eq!(json["sub"], "Console API Passport");
        assert_eq!(json["iss"], "SELF_HOSTED");
        assert_eq!(json["exp"], (NOW + Duration::minutes(60)).unix_timestamp());
        let claims = codec().verify(&token, NOW + Duration::minutes(59)).unwrap();
        assert_eq!(claims.account_id, id);
        assert_eq!(claims.issued_at, NOW);
    }

    #[test]
    fn rejections() {
        let token = codec().issue(Uuid::new_v4(), NOW).unwrap();
        assert_eq!(msg(codec().verify(&token, NOW + Duration::minutes(60))), "Token has expired.");
        let other = JwtCodec::new(b"other", Duration::minutes(60), "SELF_HOSTED");
        assert_eq!(msg(other.verify(&token, NOW)), "Invalid token signature.");
        assert_eq!(msg(codec().verify("garbage", NOW)), "Invalid token.");
        // alg:none
        let e = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let none = format!("{}.{}.", e.encode(r#"{"alg":"none","typ":"JWT"}"#), token.split('.').nth(1).unwrap());
        assert_eq!(msg(codec().verify(&none, NOW)), "Invalid token.");
    }
}
