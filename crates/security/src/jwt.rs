use domain::ports::{AccessClaims, AccessTokenCodec, SignInStep};
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
    /// Issue time, present only when the session ends before the configured lifetime does; without it a
    /// token was issued one lifetime before `exp`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    iat: Option<i64>,
    /// The account's token generation, present once its tokens were revoked; without it, generation 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    r#gen: Option<i64>,
}

/// Console access tokens: HS256 JWT `{user_id, exp, iss, sub}` signed with the secret key (plus the standard
/// `iat` when the account's session policy ends the token early, and `gen`, the account's token generation,
/// once its tokens were revoked).
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

impl JwtCodec {
    fn encode(&self, account_id: Uuid, generation: i64, exp: i64, sub: &str, iat: Option<i64>) -> DomainResult<String> {
        let claims = Claims {
            user_id: account_id.to_string(),
            exp,
            iss: self.issuer.clone(),
            sub: sub.into(),
            iat,
            r#gen: (generation > 0).then_some(generation),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding).map_err(DomainError::internal)
    }

    /// Verifies a token with subject `sub`; without `iat` it was issued `ttl` before it expires.
    fn decode(&self, token: &str, now: OffsetDateTime, sub: &str, ttl: Duration) -> DomainResult<AccessClaims> {
        let mut validation = Validation::new(Algorithm::HS256);
        // Expiry is checked against the injected clock below.
        validation.validate_exp = false;
        validation.required_spec_claims.clear();
        validation.set_issuer(&[&self.issuer]);
        validation.sub = Some(sub.into());
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
        let issued_at = match data.claims.iat {
            Some(iat) => {
                OffsetDateTime::from_unix_timestamp(iat).map_err(|_| DomainError::Unauthenticated("Invalid token."))?
            }
            None => expires_at - ttl,
        };
        Ok(AccessClaims { account_id, issued_at, expires_at, generation: data.claims.r#gen })
    }
}

/// The JWT `sub` and lifetime of the tokens of a sign-in step (each accepted by its step only).
fn step_subject(step: SignInStep) -> (&'static str, Duration) {
    match step {
        SignInStep::PasswordChange => ("Password Change", Duration::minutes(10)),
        SignInStep::SecondFactor => ("Second Factor", Duration::minutes(5)),
        SignInStep::Enrollment => ("Second Factor Enrollment", Duration::minutes(10)),
    }
}

impl AccessTokenCodec for JwtCodec {
    fn issue(
        &self,
        account_id: Uuid,
        generation: i64,
        now: OffsetDateTime,
        not_after: OffsetDateTime,
    ) -> DomainResult<String> {
        let full = (now + self.ttl).unix_timestamp();
        let exp = full.min(not_after.unix_timestamp());
        self.encode(account_id, generation, exp, SUBJECT, (exp < full).then_some(now.unix_timestamp()))
    }

    fn verify(&self, token: &str, now: OffsetDateTime) -> DomainResult<AccessClaims> {
        self.decode(token, now, SUBJECT, self.ttl)
    }

    fn issue_step(
        &self,
        step: SignInStep,
        account_id: Uuid,
        generation: i64,
        now: OffsetDateTime,
    ) -> DomainResult<String> {
        let (subject, ttl) = step_subject(step);
        self.encode(account_id, generation, (now + ttl).unix_timestamp(), subject, Some(now.unix_timestamp()))
    }

    fn verify_step(&self, step: SignInStep, token: &str, now: OffsetDateTime) -> DomainResult<AccessClaims> {
        let (subject, ttl) = step_subject(step);
        self.decode(token, now, subject, ttl)
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
    fn round_trip_has_exactly_the_four_console_claims() {
        let id = Uuid::new_v4();
        let token = codec().issue(id, 0, NOW, NOW + Duration::days(1)).unwrap();
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
        assert_eq!((claims.issued_at, claims.generation), (NOW, None));
    }

    #[test]
    fn a_revoked_accounts_tokens_carry_its_generation() {
        let token = codec().issue(Uuid::new_v4(), 3, NOW, NOW + Duration::days(1)).unwrap();
        let payload = token.split('.').nth(1).unwrap();
        let json: serde_json::Value =
            serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
        assert_eq!(json["gen"], 3);
        assert_eq!(codec().verify(&token, NOW).unwrap().generation, Some(3));
        let change = codec().issue_step(SignInStep::PasswordChange, Uuid::new_v4(), 2, NOW).unwrap();
        assert_eq!(codec().verify_step(SignInStep::PasswordChange, &change, NOW).unwrap().generation, Some(2));
    }

    #[test]
    fn a_token_ends_with_its_session_and_then_says_when_it_was_issued() {
        let token = codec().issue(Uuid::new_v4(), 0, NOW, NOW + Duration::minutes(5)).unwrap();
        let claims = codec().verify(&token, NOW + Duration::minutes(4)).unwrap();
        assert_eq!((claims.issued_at, claims.expires_at), (NOW, NOW + Duration::minutes(5)));
        assert_eq!(msg(codec().verify(&token, NOW + Duration::minutes(5))), "Token has expired.");
    }

    #[test]
    fn tokens_without_an_issue_time_were_issued_one_lifetime_before_expiry() {
        let full = codec().issue(Uuid::new_v4(), 0, NOW, NOW + Duration::days(1)).unwrap();
        assert_eq!(codec().verify(&full, NOW).unwrap().issued_at, NOW);
        let claims = serde_json::json!({
            "user_id": Uuid::new_v4().to_string(), "exp": (NOW + Duration::minutes(30)).unix_timestamp(),
            "iss": "SELF_HOSTED", "sub": "Console API Passport",
        });
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(b"secret"))
            .unwrap();
        assert_eq!(codec().verify(&token, NOW).unwrap().issued_at, NOW - Duration::minutes(30));
    }

    #[test]
    fn password_change_tokens_and_access_tokens_do_not_stand_in_for_each_other() {
        let id = Uuid::new_v4();
        let change = codec().issue_step(SignInStep::PasswordChange, id, 0, NOW).unwrap();
        assert_eq!(
            codec().verify_step(SignInStep::PasswordChange, &change, NOW + Duration::minutes(9)).unwrap().account_id,
            id
        );
        assert_eq!(
            msg(codec().verify_step(SignInStep::PasswordChange, &change, NOW + Duration::minutes(10))),
            "Token has expired."
        );
        assert_eq!(msg(codec().verify(&change, NOW)), "Invalid token.");
        let access = codec().issue(id, 0, NOW, NOW + Duration::days(1)).unwrap();
        assert_eq!(msg(codec().verify_step(SignInStep::PasswordChange, &access, NOW)), "Invalid token.");
    }

    #[test]
    fn each_sign_in_step_accepts_its_own_tokens_only() {
        let steps = [SignInStep::PasswordChange, SignInStep::SecondFactor, SignInStep::Enrollment];
        let id = Uuid::new_v4();
        for issued in steps {
            let token = codec().issue_step(issued, id, 3, NOW).unwrap();
            assert_eq!(msg(codec().verify(&token, NOW)), "Invalid token.", "{issued:?} as an access token");
            for step in steps {
                let verified = codec().verify_step(step, &token, NOW);
                assert_eq!(verified.is_ok(), step == issued, "{issued:?} token at the {step:?} step");
            }
        }
        let second = codec().issue_step(SignInStep::SecondFactor, id, 0, NOW).unwrap();
        assert!(codec().verify_step(SignInStep::SecondFactor, &second, NOW + Duration::seconds(299)).is_ok());
        let expired = codec().verify_step(SignInStep::SecondFactor, &second, NOW + Duration::minutes(5));
        assert_eq!(msg(expired), "Token has expired.");
    }

    #[test]
    fn rejections() {
        let token = codec().issue(Uuid::new_v4(), 0, NOW, NOW + Duration::days(1)).unwrap();
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
