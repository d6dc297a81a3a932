//! The console dialect (`/console/api`): the zgi-next console UI's API, wire-compatible with the seed
//! samples. Handlers translate; rules live in the use cases.

mod access_keys;
mod account;
pub mod audit;
mod auth;
mod datasets;
pub mod dto;
pub mod error;
pub mod extract;
mod groups;
mod invitations;
mod mfa;
mod oauth;
mod recovery;
mod setup;
mod workspaces;

use actix_web::web;

/// Registers the console routes (mounted under `/console/api`).
pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.route("/setup", web::get().to(setup::status))
        .route("/setup", web::post().to(setup::setup))
        .route("/system-features", web::get().to(setup::system_features))
        .route("/login", web::post().to(auth::login))
        .route("/login/password-change", web::post().to(auth::change_required_password))
        .route("/refresh-token", web::post().to(auth::refresh))
        .route("/logout", web::get().to(auth::logout))
        .route("/logout", web::post().to(auth::logout))
        .route("/account/profile", web::get().to(account::profile))
        .route("/account/register", web::post().to(account::register))
        .route("/account-ex/profile", web::get().to(account::profile_ex))
        .route("/account-ex/list", web::get().to(account::list))
        .route("/account-ex/email", web::get().to(account::by_email))
        .route("/account-ex/id", web::get().to(account::by_id))
        .route("/account-ex/id", web::put().to(account::update))
        .route("/account-ex/role", web::put().to(account::set_role))
        .configure(datasets::config)
        .configure(groups::config)
        .configure(workspaces::config)
        .configure(invitations::config)
        .configure(oauth::config)
        .configure(recovery::config)
        .configure(access_keys::config)
        .configure(audit::config)
        .configure(mfa::config);
}
