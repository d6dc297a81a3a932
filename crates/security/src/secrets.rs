use domain::ports::{SecretVerifier, TokenFactory};
use hmac::{Hmac, Mac};
use rand::{Rng, RngCore};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

type HmacSha256 = Hmac<Sha256>;

/// Refresh tokens and one-time codes from the operating system's CSPRNG. Tokens are stored as SHA-256
/// digests; codes, having only a million values, as HMAC-SHA256 under a key derived from `SECRET_KEY`, so the
/// database alone does not give them away.
#[derive(Clone)]
pub struct RandomSecrets {
    code_key: [u8; 32],
}

impl RandomSecrets {
    /// Secrets whose code digests are keyed by `secret` (domain-separated from its other uses).
    pub fn new(secret: &[u8]) -> Self {
        let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC accepts keys of any length");
        mac.update(b"accountd one-time code digest");
        Self { code_key: mac.finalize().into_bytes().into() }
    }

    fn code_mac(&self, token_digest: &str, code: &str) -> [u8; 32] {
        let mut mac = HmacSha256::new_from_slice(&self.code_key).expect("HMAC accepts keys of any length");
        mac.update(token_digest.as_bytes());
        mac.update(b"|");
        mac.update(code.as_bytes());
        mac.finalize().into_bytes().into()
    }
}

impl std::fmt::Debug for RandomSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RandomSecrets { .. }")
    }
}

impl TokenFactory for RandomSecrets {
    fn new_refresh_token(&self) -> String {
        let mut bytes = [0u8; 64];
        rand::rng().fill_bytes(&mut bytes);
        hex::encode(bytes)
    }

    fn digest(&self, token: &str) -> String {
        hex::encode(Sha256::digest(token.as_bytes()))
    }

    fn new_access_key(&self) -> (String, String) {
        const ID: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        const SECRET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        let mut rng = rand::rng();
        let mut draw = |n: usize, alphabet: &[u8]| -> String {
            (0..n).map(|_| char::from(alphabet[rng.random_range(0..alphabet.len())])).collect()
        };
        // ~103 bits for the public id, ~238 bits for the secret
        (format!("AK{}", draw(20, ID)), draw(40, SECRET))
    }

    fn new_code(&self) -> String {
        format!("{:06}", rand::rng().random_range(0..1_000_000u32))
    }

    fn code_digest(&self, token_digest: &str, code: &str) -> String {
        hex::encode(self.code_mac(token_digest, code))
    }
}

impl SecretVerifier for RandomSecrets {
    fn secrets_equal(&self, a: &str, b: &str) -> bool {
        bool::from(a.as_bytes().ct_eq(b.as_bytes()))
    }

    fn code_matches(&self, token_digest: &str, code: &str, digest: &str) -> bool {
        let Ok(expected) = hex::decode(digest) else { return false };
        bool::from(self.code_mac(token_digest, code.trim()).ct_eq(&expected))
    }

    fn signature_matches(&self, secret: &str, message: &[u8], signature: &[u8]) -> bool {
        let mut mac = HmacSha256::new_from_slice(secret.as_bytes()).expect("HMAC accepts keys of any length");
        mac.update(message);
        mac.verify_slice(signature).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refresh_tokens_are_128_hex_and_digests_are_stable() {
        let s = RandomSecrets::new(b"k");
        let t = s.new_refresh_token();
        assert_eq!(t.len(), 128);
        assert!(t.chars().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
        assert_ne!(t, s.new_refresh_token());
        assert_eq!(s.digest("a"), s.digest("a"));
        assert_ne!(s.digest(&t), t);
    }

    #[test]
    fn access_keys_are_random_alphanumeric_and_compared_in_constant_time() {
        let s = RandomSecrets::new(b"k");
        let (id, secret) = s.new_access_key();
        assert!(id.starts_with("AK") && id.len() == 22, "{id}");
        assert!(id[2..].bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()), "{id}");
        assert!(secret.len() == 40 && secret.bytes().all(|b| b.is_ascii_alphanumeric()), "{secret}");
        assert_ne!(s.new_access_key(), (id, secret.clone()));
        assert!(s.secrets_equal(&secret, &secret.clone()));
        assert!(!s.secrets_equal(&secret, "x"));
    }

    #[test]
    fn signatures_are_hmac_sha256_of_the_message_under_the_secret() {
        let s = RandomSecrets::new(b"k");
        // RFC 4231 test case 2
        let expected = hex::decode("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843").unwrap();
        assert!(s.signature_matches("Jefe", b"what do ya want for nothing?", &expected));
        assert!(!s.signature_matches("Jefe", b"what do ya want for nothing!", &expected));
        assert!(!s.signature_matches("jefe", b"what do ya want for nothing?", &expected));
        assert!(!s.signature_matches("Jefe", b"what do ya want for nothing?", &expected[..31]));
    }

    #[test]
    fn codes_are_six_digits_and_match_only_their_token_and_key() {
        let s = RandomSecrets::new(b"k");
        let codes: Vec<String> = (0..200).map(|_| s.new_code()).collect();
        assert!(codes.iter().all(|c| c.len() == 6 && c.bytes().all(|b| b.is_ascii_digit())));
        assert!(codes.iter().collect::<std::collections::HashSet<_>>().len() > 150, "codes repeat too often");
        let digest = s.code_digest("t1", "123456");
        assert!(!digest.contains("123456"));
        assert!(s.code_matches("t1", "123456", &digest));
        assert!(s.code_matches("t1", " 123456 ", &digest), "surrounding blanks are forgiven");
        assert!(!s.code_matches("t1", "123457", &digest));
        assert!(!s.code_matches("t2", "123456", &digest), "bound to the token");
        assert!(!RandomSecrets::new(b"other").code_matches("t1", "123456", &digest), "bound to the key");
        assert!(!s.code_matches("t1", "123456", "not hex"));
    }
}
