//! # accountd domain
//!
//! The centre of the hexagon: entities ([`model`]), value objects that cannot hold invalid data ([`values`]),
//! the ports that storage, security and mail adapters implement ([`ports`]), and the use cases every HTTP
//! dialect shares ([`usecases`]). This crate depends on no web, database or SMTP crate; `just test` checks it.
//!
//! With the `mock` feature every port has a mockall double (`MockAccountRepository`, …) for other crates' tests.

#![warn(missing_docs)]

pub mod error;
pub mod model;
pub mod policy;
pub mod ports;
pub mod usecases;
pub mod values;

pub use error::{DomainError, DomainResult, KeyRefusal, SignInRefusal};
