//! Every storage port of the domain on one database, for services that assemble [`Ports`] themselves.

use std::sync::Arc;

use domain::usecases::Ports;

use crate::repo::{
    DieselAccessKeys, DieselAccounts, DieselAuditLog, DieselCodes, DieselDatasets, DieselDirectory, DieselHousekeeping,
    DieselIdentities, DieselMfa, DieselOutbox, DieselSessions, DieselThrottles,
};
use crate::Database;

/// `base` with every storage port (accounts, identities, installation, groups, workspaces, invitations,
/// datasets, sessions, throttles, codes, outbox, housekeeping, audit log, access keys, second factors) replaced by the Diesel
/// adapter on `database`; the other ports (hashing, tokens, secrets, mail, sign-in providers, clock, ids) stay
/// as `base` has them.
pub fn storage_ports(database: &Database, base: Ports) -> Ports {
    let directory = Arc::new(DieselDirectory::new(database.clone()));
    Ports {
        accounts: Arc::new(DieselAccounts::new(database.clone())),
        identities: Arc::new(DieselIdentities::new(database.clone())),
        installation: directory.clone(),
        groups: directory.clone(),
        workspaces: directory.clone(),
        invitations: directory,
        datasets: Arc::new(DieselDatasets::new(database.clone())),
        sessions: Arc::new(DieselSessions::new(database.clone())),
        throttles: Arc::new(DieselThrottles::new(database.clone())),
        codes: Arc::new(DieselCodes::new(database.clone())),
        outbox: Arc::new(DieselOutbox::new(database.clone())),
        housekeeping: Arc::new(DieselHousekeeping::new(database.clone())),
        audit: Arc::new(DieselAuditLog::new(database.clone())),
        access_keys: Arc::new(DieselAccessKeys::new(database.clone())),
        mfa: Arc::new(DieselMfa::new(database.clone())),
        ..base
    }
}
