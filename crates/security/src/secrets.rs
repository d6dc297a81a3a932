use domain::ports::SecretTokens;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// Refresh tokens from the operating system's CSPRNG, stored as SHA-256 digests.
#[derive(Debug, Default, Clone, Copy)]
pub struct RandomSecrets;

impl SecretTokens for RandomSecrets {
    fn new_refresh_token(&self) -> String {
        let mut bytes = [0u8; 64];
        rand::rng().fill_bytes(&mut bytes);
        hex::encode(bytes)
    }

    fn digest(&self, token: &str) -> String {
        hex::encode(Sha256::digest(token.as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refresh_tokens_are_128_hex_and_digests_are_stable() {
        let t = RandomSecrets.new_refresh_token();
        assert_eq!(t.len(), 128);
        assert!(t.chars().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
        assert_ne!(t, RandomSecrets.new_refresh_token());
        assert_eq!(RandomSecrets.digest("a"), RandomSecrets.digest("a"));
        assert_ne!(RandomSecrets.digest(&t), t);
    }
}
