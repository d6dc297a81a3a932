use domain::ports::OneTimePasswords;
use domain::{DomainError, DomainResult};
use rand::{Rng, RngCore};
use subtle::ConstantTimeEq;
use time::OffsetDateTime;
use totp_rs::{Algorithm, Secret, TOTP};

/// Seconds per TOTP time step.
const STEP_SECONDS: u64 = 30;

/// Letters and digits of recovery codes, without the ones easily mistaken for each other (0/o, 1/l/i).
const RECOVERY_ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";

/// TOTP (RFC 6238: SHA-1, six digits, 30-second steps) through the `totp-rs` crate, and recovery codes from the
/// operating system's CSPRNG.
#[derive(Debug, Default, Clone, Copy)]
pub struct TotpCodes;

fn totp(secret: &str, issuer: &str, account_name: &str) -> DomainResult<TOTP> {
    let bytes = Secret::Encoded(secret.to_owned())
        .to_bytes()
        .map_err(|e| DomainError::internal_msg(format!("TOTP secret is not base32: {e:?}")))?;
    // the otpauth label separates issuer and account with ':', so neither may hold one
    let (issuer, account_name) = (issuer.replace(':', " "), account_name.replace(':', " "));
    TOTP::new(Algorithm::SHA1, 6, 1, STEP_SECONDS, bytes, Some(issuer), account_name)
        .map_err(|e| DomainError::internal_msg(format!("TOTP parameters refused: {e:?}")))
}

impl OneTimePasswords for TotpCodes {
    fn new_totp_secret(&self) -> DomainResult<String> {
        let mut bytes = vec![0u8; 20];
        rand::rng().fill_bytes(&mut bytes);
        Ok(Secret::Raw(bytes).to_encoded().to_string())
    }

    fn totp_uri(&self, secret: &str, issuer: &str, account_name: &str) -> DomainResult<String> {
        Ok(totp(secret, issuer, account_name)?.get_url())
    }

    fn totp_step(&self, secret: &str, code: &str, now: OffsetDateTime) -> Option<i64> {
        let totp = totp(secret, "accountd", "account").ok()?;
        let now = u64::try_from(now.unix_timestamp()).ok()?;
        let mut found = None;
        // every candidate is computed and compared, in constant time, whichever matches
        for time in [now.saturating_sub(STEP_SECONDS), now, now + STEP_SECONDS] {
            if bool::from(totp.generate(time).as_bytes().ct_eq(code.as_bytes())) {
                found = Some(i64::try_from(time / STEP_SECONDS).ok()?);
            }
        }
        found
    }

    fn new_recovery_code(&self) -> DomainResult<String> {
        let mut rng = rand::rng();
        let mut pick = || char::from(RECOVERY_ALPHABET[rng.random_range(0..RECOVERY_ALPHABET.len())]);
        let (first, second): (String, String) = ((0..5).map(|_| pick()).collect(), (0..5).map(|_| pick()).collect());
        Ok(format!("{first}-{second}"))
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    /// The SHA-1 secret of RFC 6238's test vectors ("12345678901234567890"), base32.
    const RFC_SECRET: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

    #[test]
    fn codes_match_the_rfc_6238_test_vectors_at_their_step_and_one_either_side() {
        // RFC 6238 appendix B, SHA-1, last six of the eight digits
        let at = datetime!(2009-02-13 23:31:30 UTC); // Unix time 1234567890
        let step = 1_234_567_890 / 30;
        assert_eq!(TotpCodes.totp_step(RFC_SECRET, "005924", at), Some(step));
        assert_eq!(TotpCodes.totp_step(RFC_SECRET, "005924", at + time::Duration::seconds(30)), Some(step));
        assert_eq!(TotpCodes.totp_step(RFC_SECRET, "005924", at - time::Duration::seconds(30)), Some(step));
        assert_eq!(TotpCodes.totp_step(RFC_SECRET, "005924", at + time::Duration::seconds(60)), None);
        assert_eq!(TotpCodes.totp_step(RFC_SECRET, "005925", at), None);
        let at = datetime!(2033-05-18 03:33:20 UTC); // Unix time 2000000000
        assert_eq!(TotpCodes.totp_step(RFC_SECRET, "279037", at), Some(2_000_000_000 / 30));
    }

    #[test]
    fn secrets_are_fresh_base32_of_160_bits_and_their_uri_names_issuer_and_account() {
        let (a, b) = (TotpCodes.new_totp_secret().unwrap(), TotpCodes.new_totp_secret().unwrap());
        assert_ne!(a, b);
        assert_eq!(a.len(), 32);
        let uri = TotpCodes.totp_uri(&a, "accountd", "ann@example.com").unwrap();
        assert!(uri.starts_with("otpauth://totp/accountd:ann%40example.com?"), "{uri}");
        assert!(uri.contains(&format!("secret={a}")) && uri.contains("issuer=accountd"), "{uri}");
    }

    #[test]
    fn recovery_codes_are_ten_unambiguous_characters() {
        let code = TotpCodes.new_recovery_code().unwrap();
        assert_eq!(code.len(), 11);
        assert_eq!(code.as_bytes()[5], b'-');
        assert!(code.chars().filter(|c| *c != '-').all(|c| RECOVERY_ALPHABET.contains(&(c as u8))), "{code}");
        assert_ne!(code, TotpCodes.new_recovery_code().unwrap());
    }
}
