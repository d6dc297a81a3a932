//! # accountd security adapters
//!
//! Implementations of the domain's security ports: [`BcryptHasher`] (bcrypt on the blocking pool under a
//! semaphore, with verification of imported Dify PBKDF2 hashes), [`JwtCodec`] (console HS256 access tokens),
//! [`RandomSecrets`] (refresh tokens and their digests) and [`FileSigner`] (signed file-preview links).

mod files;
mod jwt;
mod password;
mod secrets;

pub use files::FileSigner;
pub use jwt::JwtCodec;
pub use password::BcryptHasher;
pub use secrets::RandomSecrets;
