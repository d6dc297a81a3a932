//! Links between accounts and identities at external sign-in providers (`account_identities`).

use async_trait::async_trait;
use diesel::prelude::*;
use domain::model::{Account, AccountStatus, IdentitySignIn, LinkedIdentity, WireEnum};
use domain::ports::{IdentityRepository, Unlinked};
use domain::{DomainError, DomainResult};
use uuid::Uuid;

use crate::conn::{Database, DbConnection};
use crate::error::RepoError;
use crate::rows::{from_db, id_from_db, id_to_db, to_db, AccountRow};
use crate::schema::{account_identities, accounts};

/// Stores a new link; a taken identity, or a second identity of the account at the provider, is a conflict on
/// `identity`.
pub(crate) fn insert_identity(conn: &mut DbConnection, link: &LinkedIdentity) -> Result<(), RepoError> {
    diesel::insert_into(account_identities::table)
        .values((
            account_identities::provider.eq(&link.provider),
            account_identities::subject.eq(&link.subject),
            account_identities::account_id.eq(id_to_db(link.account_id)),
            account_identities::email.eq(&link.email),
            account_identities::created_at.eq(to_db(link.created_at)),
        ))
        .execute(conn)?;
    Ok(())
}

/// Links (or keeps linked) the identity, merges the provider's claims into the account's attributes and records
/// the login, refusing banned and closed accounts. The account's `source` stays: a sign-in link is not an
/// external id.
pub(crate) fn record_sign_in(conn: &mut DbConnection, sign_in: &IdentitySignIn) -> Result<(), RepoError> {
    let link = &sign_in.identity;
    let account_id = id_to_db(link.account_id);
    let holder: Option<String> = account_identities::table
        .find((&link.provider, &link.subject))
        .select(account_identities::account_id)
        .first(conn)
        .optional()?;
    match holder {
        Some(holder) if holder != account_id => return Err(DomainError::Conflict { field: "identity" }.into()),
        Some(_) => {
            diesel::update(account_identities::table.find((&link.provider, &link.subject)))
                .set(account_identities::email.eq(&link.email))
                .execute(conn)?;
        }
        None => insert_identity(conn, link)?,
    }
    let current: Option<String> = accounts::table
        .find(&account_id)
        .filter(accounts::deleted_at.is_null())
        .filter(accounts::status.ne_all([AccountStatus::Banned.as_str(), AccountStatus::Closed.as_str()]))
        .select(accounts::attributes)
        .first(conn)
        .optional()?;
    let Some(attributes) = current else { return Err(DomainError::AccountBanned.into()) };
    let mut merged: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&attributes).unwrap_or_default();
    merged.extend(sign_in.attributes.clone());
    diesel::update(accounts::table.find(&account_id))
        .set((
            accounts::attributes.eq(serde_json::Value::Object(merged).to_string()),
            accounts::updated_at.eq(to_db(sign_in.at)),
        ))
        .execute(conn)?;
    if let Some(ip) = &sign_in.login {
        crate::repo::accounts::mark_login(conn, &account_id, sign_in.at, ip.clone())?;
    }
    Ok(())
}

/// Removes the account's link to `provider` unless it is the account's only way in (no password, no other
/// link), deciding in the same transaction.
pub(crate) fn unlink(conn: &mut DbConnection, account_id: &str, provider: &str) -> Result<Unlinked, RepoError> {
    let links: Vec<String> = account_identities::table
        .filter(account_identities::account_id.eq(account_id))
        .select(account_identities::provider)
        .load(conn)?;
    if !links.iter().any(|p| p == provider) {
        return Ok(Unlinked::NotLinked);
    }
    let has_password = accounts::table
        .find(account_id)
        .filter(accounts::password_hash.is_not_null())
        .count()
        .get_result::<i64>(conn)?
        > 0;
    if !has_password && links.len() == 1 {
        return Ok(Unlinked::OnlyWayIn);
    }
    diesel::delete(
        account_identities::table
            .filter(account_identities::account_id.eq(account_id))
            .filter(account_identities::provider.eq(provider)),
    )
    .execute(conn)?;
    Ok(Unlinked::Removed)
}

/// The account's links, oldest first.
pub(crate) fn identities_of(conn: &mut DbConnection, account_id: &str) -> Result<Vec<LinkedIdentity>, RepoError> {
    let rows: Vec<(String, String, String, Option<String>, time::PrimitiveDateTime)> = account_identities::table
        .filter(account_identities::account_id.eq(account_id))
        .order((account_identities::created_at.asc(), account_identities::provider.asc()))
        .select((
            account_identities::provider,
            account_identities::subject,
            account_identities::account_id,
            account_identities::email,
            account_identities::created_at,
        ))
        .load(conn)?;
    rows.into_iter()
        .map(|(provider, subject, account_id, email, created_at)| {
            Ok(LinkedIdentity {
                account_id: id_from_db(&account_id)?,
                provider,
                subject,
                email,
                created_at: from_db(created_at),
            })
        })
        .collect()
}

/// The [`IdentityRepository`] port on the database.
#[derive(Clone)]
pub struct DieselIdentities {
    db: Database,
}

impl DieselIdentities {
    /// Identities on this database.
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

#[async_trait]
impl IdentityRepository for DieselIdentities {
    async fn find_live_by_identity(&self, provider: &str, subject: &str) -> DomainResult<Option<Account>> {
        let (provider, subject) = (provider.to_owned(), subject.to_owned());
        let row = self
            .db
            .run(move |conn| {
                Ok(accounts::table
                    .filter(
                        accounts::id.eq_any(
                            account_identities::table
                                .filter(account_identities::provider.eq(&provider))
                                .filter(account_identities::subject.eq(&subject))
                                .select(account_identities::account_id),
                        ),
                    )
                    .filter(accounts::deleted_at.is_null())
                    .select(AccountRow::as_select())
                    .first(conn)
                    .optional()?)
            })
            .await?;
        row.map(AccountRow::into_domain).transpose()
    }

    async fn identities(&self, account_id: Uuid) -> DomainResult<Vec<LinkedIdentity>> {
        self.db.run(move |conn| identities_of(conn, &id_to_db(account_id))).await
    }

    async fn record_identity_sign_in(&self, sign_in: &IdentitySignIn) -> DomainResult<()> {
        let sign_in = sign_in.clone();
        self.db.write(move |conn| record_sign_in(conn, &sign_in)).await
    }

    async fn unlink_identity(&self, account_id: Uuid, provider: &str) -> DomainResult<Unlinked> {
        let provider = provider.to_owned();
        self.db.write(move |conn| unlink(conn, &id_to_db(account_id), &provider)).await
    }
}
