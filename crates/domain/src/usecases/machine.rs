//! Account lookups for the machine dialects: a request authenticated by an access key acts with the
//! permissions of the key's account; reading accounts needs a platform role that reads everything
//! (`super_admin`, `system_admin`, `auditor`).

use uuid::Uuid;

use crate::error::{DomainError, DomainResult};
use crate::model::Account;

use super::UseCases;

fn require_reader(caller: &Account) -> DomainResult<()> {
    if caller.system_role.is_some_and(|r| r.can_read_all()) {
        Ok(())
    } else {
        Err(DomainError::Forbidden("This access key's account may not read accounts."))
    }
}

impl UseCases {
    /// The live account `uid`, for a machine caller.
    ///
    /// # Errors
    /// `Forbidden` unless the caller reads all accounts; `NotFound` for unknown or deleted accounts.
    pub async fn machine_get_account(&self, caller: &Account, uid: Uuid) -> DomainResult<Account> {
        require_reader(caller)?;
        self.ports.accounts.get(uid).await?.filter(Account::is_live).ok_or(DomainError::NotFound { entity: "account" })
    }

    /// Live accounts matching `query` (substring of login name, nickname, description, phone or email,
    /// case-insensitive), `limit` from `offset`, with the total.
    ///
    /// # Errors
    /// `Forbidden` unless the caller reads all accounts.
    pub async fn machine_search_accounts(
        &self,
        caller: &Account,
        query: Option<&str>,
        offset: i64,
        limit: i64,
    ) -> DomainResult<(Vec<Account>, i64)> {
        require_reader(caller)?;
        let query = query.map(str::trim).filter(|q| !q.is_empty()).map(str::to_owned);
        self.ports.accounts.search(query, offset, limit).await
    }

    /// The live account whose login name, phone or email is `identifier` (`None` when there is none).
    ///
    /// # Errors
    /// `Forbidden` unless the caller reads all accounts.
    pub async fn machine_find_account(&self, caller: &Account, identifier: &str) -> DomainResult<Option<Account>> {
        require_reader(caller)?;
        if identifier.trim().is_empty() {
            return Ok(None);
        }
        self.ports.accounts.find_live_by_login(identifier).await
    }
}
