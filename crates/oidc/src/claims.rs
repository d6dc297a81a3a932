//! From OpenID Connect claims (an ID token's payload, merged with user-info claims) to an identity.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use domain::model::ExternalIdentity;
use serde_json::{Map, Value};

/// Claims about the token rather than the person: kept out of the account's attributes.
const PROTOCOL_CLAIMS: &[&str] = &[
    "iss",
    "sub",
    "aud",
    "exp",
    "iat",
    "nbf",
    "jti",
    "nonce",
    "at_hash",
    "c_hash",
    "s_hash",
    "auth_time",
    "azp",
    "sid",
    "acr",
    "amr",
];

/// The payload of a compact JWT, read without checking anything: only for a token that was validated.
pub(crate) fn payload(jwt: &str) -> Option<Map<String, Value>> {
    let encoded = jwt.split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(encoded.trim_end_matches('=')).ok()?;
    match serde_json::from_slice(&bytes).ok()? {
        Value::Object(map) => Some(map),
        _ => None,
    }
}

fn text<'a>(claims: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    claims.get(key).and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty())
}

/// The identity of validated claims: `sub`, `email` with `email_verified` (a boolean, or the string `"true"`
/// some providers send), a name from `name`, else `given_name family_name`, else `preferred_username`; the
/// attributes are every claim except the protocol ones. `None` without a subject.
pub fn identity_from_claims(provider: &str, claims: &Map<String, Value>) -> Option<ExternalIdentity> {
    let subject = text(claims, "sub")?.to_owned();
    let email_verified = match claims.get("email_verified") {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
        _ => false,
    };
    let full_name = match (text(claims, "given_name"), text(claims, "family_name")) {
        (Some(given), Some(family)) => Some(format!("{given} {family}")),
        (Some(one), None) | (None, Some(one)) => Some(one.to_owned()),
        (None, None) => None,
    };
    let name = text(claims, "name")
        .map(str::to_owned)
        .or(full_name)
        .or_else(|| text(claims, "preferred_username").map(str::to_owned));
    let attributes = claims
        .iter()
        .filter(|(key, _)| !PROTOCOL_CLAIMS.contains(&key.as_str()))
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect();
    Some(ExternalIdentity {
        provider: provider.to_owned(),
        subject,
        email: text(claims, "email").map(str::to_owned),
        email_verified,
        name,
        attributes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => unreachable!(),
        }
    }

    /// The payload of a Google ID token, in the shape Google documents (values made up).
    const GOOGLE_ID_TOKEN_PAYLOAD: &str = r#"{
        "iss": "https://accounts.google.com",
        "azp": "1234987819200.apps.googleusercontent.com",
        "aud": "1234987819200.apps.googleusercontent.com",
        "sub": "10769150350006150715113082367",
        "at_hash": "HK6E_P6Dh8Y93mRNtsDB1Q",
        "hd": "example.com",
        "email": "jsmith@example.com",
        "email_verified": true,
        "iat": 1353601026,
        "exp": 1353604926,
        "nonce": "0394852-3190485-2490358",
        "name": "Jane Smith",
        "picture": "https://lh3.googleusercontent.com/a/photo.jpg",
        "given_name": "Jane",
        "family_name": "Smith",
        "locale": "en"
    }"#;

    #[test]
    fn a_google_id_token_gives_subject_verified_address_name_and_profile_attributes() {
        let claims = object(serde_json::from_str(GOOGLE_ID_TOKEN_PAYLOAD).unwrap());
        let identity = identity_from_claims("google", &claims).unwrap();
        assert_eq!(identity.provider, "google");
        assert_eq!(identity.subject, "10769150350006150715113082367");
        assert_eq!(identity.email.as_deref(), Some("jsmith@example.com"));
        assert!(identity.email_verified);
        assert_eq!(identity.name.as_deref(), Some("Jane Smith"));
        let mut kept: Vec<&str> = identity.attributes.keys().map(String::as_str).collect();
        kept.sort_unstable();
        assert_eq!(kept, ["email", "email_verified", "family_name", "given_name", "hd", "locale", "name", "picture"]);
    }

    #[test]
    fn string_booleans_names_from_parts_and_missing_subjects() {
        let claims = object(serde_json::json!({
            "sub": "u1", "email": " a@example.com ", "email_verified": "true",
            "given_name": "Ann", "family_name": "Lee", "groups": ["admins"]
        }));
        let identity = identity_from_claims("corp", &claims).unwrap();
        assert!(identity.email_verified);
        assert_eq!(identity.email.as_deref(), Some("a@example.com"));
        assert_eq!(identity.name.as_deref(), Some("Ann Lee"));
        assert_eq!(identity.attributes["groups"], serde_json::json!(["admins"]));

        let unverified =
            object(serde_json::json!({"sub": "u2", "email": "b@example.com", "preferred_username": "bee"}));
        let identity = identity_from_claims("corp", &unverified).unwrap();
        assert!(!identity.email_verified, "no claim means not verified");
        assert_eq!(identity.name.as_deref(), Some("bee"));

        assert!(identity_from_claims("corp", &object(serde_json::json!({"email": "c@example.com"}))).is_none());
        assert!(identity_from_claims("corp", &object(serde_json::json!({"sub": "  "}))).is_none());
    }

    #[test]
    fn a_payload_is_read_from_the_middle_segment() {
        let body = URL_SAFE_NO_PAD.encode(br#"{"sub":"x"}"#);
        assert_eq!(payload(&format!("h.{body}.s")).unwrap()["sub"], "x");
        assert!(payload("not-a-jwt").is_none());
        assert!(payload("h.!!!.s").is_none());
    }
}
