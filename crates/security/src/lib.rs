//! # accountd security adapters
//!
//! Implementations of the domain's security ports: [`BcryptHasher`] (bcrypt on the blocking pool under a
//! semaphore, with verification of imported Dify PBKDF2 hashes), [`JwtCodec`] (console HS256 access tokens),
//! [`RandomSecrets`] (refresh tokens, one-time codes, access keys), [`AccessKeyCipher`] (sealed access-key
//! and TOTP secrets), [`TotpCodes`] (TOTP second factors and recovery codes) and [`FileSigner`] (signed
//! file-preview links).

mod cipher;
mod files;
mod jwt;
mod password;
mod secrets;
mod totp;

pub use cipher::AccessKeyCipher;
pub use files::FileSigner;
pub use jwt::JwtCodec;
pub use password::{BcryptHasher, HashStats};
pub use secrets::RandomSecrets;
pub use totp::TotpCodes;
