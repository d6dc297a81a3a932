//! # accountd
//!
//! The composition root: reads [`config::Settings`], opens the database, wires the Diesel repositories and
//! security adapters into the domain's use cases, and serves the HTTP dialects ([`app::Application`]).
//! The `accountd` binary adds the CLI (`serve`, `migrate`, `create-admin`).

pub mod app;
pub mod config;
pub mod metrics;
pub mod protocol;
pub mod telemetry;
