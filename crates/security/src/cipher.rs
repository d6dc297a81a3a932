use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use domain::ports::SecretCipher;
use domain::{DomainError, DomainResult};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

const NONCE_LEN: usize = 12;

/// ChaCha20-Poly1305 sealing of access-key secrets: a fresh random nonce per seal, stored in front of the
/// ciphertext; the key's id is the associated data, so a sealed secret cannot be moved to another key row.
#[derive(Clone)]
pub struct AccessKeyCipher {
    cipher: ChaCha20Poly1305,
}

impl std::fmt::Debug for AccessKeyCipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AccessKeyCipher { .. }")
    }
}

impl AccessKeyCipher {
    /// A cipher with this 256-bit key (`ACCESS_KEY_ENCRYPTION_KEY`).
    pub fn new(key: [u8; 32]) -> Self {
        Self { cipher: ChaCha20Poly1305::new(&Key::from(key)) }
    }

    /// A cipher whose key is derived from `SECRET_KEY` (HMAC-SHA256, domain-separated from its other uses).
    pub fn derived_from(secret: &[u8]) -> Self {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret).expect("HMAC accepts keys of any length");
        mac.update(b"accountd access-key encryption");
        Self::new(mac.finalize().into_bytes().into())
    }
}

impl SecretCipher for AccessKeyCipher {
    fn seal(&self, context: &str, secret: &str) -> DomainResult<Vec<u8>> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rng().fill_bytes(&mut nonce);
        let sealed = self
            .cipher
            .encrypt(&Nonce::from(nonce), Payload { msg: secret.as_bytes(), aad: context.as_bytes() })
            .map_err(|_| DomainError::internal_msg("cannot seal the secret"))?;
        Ok([nonce.as_slice(), &sealed].concat())
    }

    fn open(&self, context: &str, sealed: &[u8]) -> DomainResult<String> {
        if sealed.len() < NONCE_LEN {
            return Err(DomainError::internal_msg("sealed secret is too short"));
        }
        let (nonce, body) = sealed.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce.try_into().expect("split at the nonce length");
        let plain = self
            .cipher
            .decrypt(&Nonce::from(nonce), Payload { msg: body, aad: context.as_bytes() })
            .map_err(|_| DomainError::internal_msg("sealed secret does not open: wrong ACCESS_KEY_ENCRYPTION_KEY?"))?;
        String::from_utf8(plain).map_err(|_| DomainError::internal_msg("sealed secret is not text"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_round_trip_only_with_their_key_and_context() {
        let c = AccessKeyCipher::derived_from(b"secret");
        let sealed = c.seal("id-1", "s3cret").unwrap();
        assert!(!sealed.windows(6).any(|w| w == b"s3cret"));
        assert_ne!(sealed, c.seal("id-1", "s3cret").unwrap(), "fresh nonce each time");
        assert_eq!(c.open("id-1", &sealed).unwrap(), "s3cret");
        assert!(c.open("id-2", &sealed).is_err(), "bound to its key row");
        assert!(AccessKeyCipher::derived_from(b"other").open("id-1", &sealed).is_err());
        let mut tampered = sealed.clone();
        *tampered.last_mut().unwrap() ^= 1;
        assert!(c.open("id-1", &tampered).is_err());
        assert!(c.open("id-1", b"short").is_err());
    }
}
