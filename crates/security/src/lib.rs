//! # accountd security adapters
//!
//! Implementations of the domain's security ports: [`BcryptHasher`] (bcrypt on the blocking pool under a
//! semaphore, with verification of imported Dify PBKDF2 hashes), [`JwtCodec`] (console HS256 access tokens),
//! [`RandomSecrets`] (refresh tokens, one-time codes, access keys), [`AccessKeyCipher`] (sealed access-key
//! secrets) and [`FileSigner`] (signed file-preview links).

mod cipher;
mod files;
mod jwt;
mod password;
mod secrets;

pub use cipher::AccessKeyCipher;
pub use files::FileSigner;
pub use jwt::JwtCodec;
pub use password::BcryptHasher;
pub use secrets::RandomSecrets;
