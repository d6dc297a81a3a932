//! The two ports that cannot refuse, implemented here: new secrets from the operating system's CSPRNG (through
//! v4 UUIDs, 122 random bits each), keyed SHA-256 digests, HMAC-SHA256 signatures and constant-time
//! comparisons.

use domain::ports::{SecretVerifier, TokenFactory};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use uuid::Uuid;

/// Secrets and their digests under one key.
pub struct Secrets {
    key: Vec<u8>,
}

impl Secrets {
    /// Secrets keyed by `key`.
    pub fn new(key: &[u8]) -> Self {
        Self { key: key.to_vec() }
    }

    fn keyed_digest(&self, parts: &[&[u8]]) -> String {
        let mut hash = Sha256::new();
        hash.update(&self.key);
        for part in parts {
            hash.update((part.len() as u64).to_be_bytes());
            hash.update(part);
        }
        hex::encode(hash.finalize())
    }
}

fn random_hex(uuids: usize) -> String {
    (0..uuids).map(|_| Uuid::new_v4().simple().to_string()).collect()
}

impl TokenFactory for Secrets {
    fn new_refresh_token(&self) -> String {
        random_hex(4)
    }

    fn digest(&self, token: &str) -> String {
        self.keyed_digest(&[token.as_bytes()])
    }

    fn new_access_key(&self) -> (String, String) {
        (random_hex(1), random_hex(2))
    }

    fn new_code(&self) -> String {
        format!("{:06}", Uuid::new_v4().as_u128() % 1_000_000)
    }

    fn code_digest(&self, token_digest: &str, code: &str) -> String {
        self.keyed_digest(&[token_digest.as_bytes(), code.as_bytes()])
    }
}

impl SecretVerifier for Secrets {
    fn secrets_equal(&self, a: &str, b: &str) -> bool {
        a.as_bytes().ct_eq(b.as_bytes()).into()
    }

    fn code_matches(&self, token_digest: &str, code: &str, digest: &str) -> bool {
        self.secrets_equal(&self.code_digest(token_digest, code), digest)
    }

    fn signature_matches(&self, secret: &str, message: &[u8], signature: &[u8]) -> bool {
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else { return false };
        mac.update(message);
        mac.verify_slice(signature).is_ok()
    }
}
