//! Reading the directory of accounts, for every dialect: one account as far as the caller may see it, and the
//! searches, lists and lookups over all accounts that platform readers (`super_admin`, `system_admin`,
//! `auditor`) may make.

use uuid::Uuid;

use crate::error::{DomainError, DomainResult};
use crate::model::{Account, AccountFilter, AccountOrder, Workspace, WorkspaceRole};
use crate::policy;

use super::access_keys::{AccessKeyView, Actor};
use super::accounts::check_key_caller;
use super::UseCases;

fn require_reader(caller: &Account) -> DomainResult<()> {
    if policy::may_read_directory(caller) {
        Ok(())
    } else {
        Err(DomainError::Forbidden("Only platform administrators and auditors can read the whole directory."))
    }
}

impl UseCases {
    /// The live account `id` as far as the caller may see it (its own, or per the permission matrix).
    ///
    /// # Errors
    /// `Forbidden` for an access key whose account may not read accounts; `NotFound` for unknown, deleted or
    /// hidden accounts.
    pub async fn get_account(&self, caller: Actor<'_>, id: Uuid) -> DomainResult<Account> {
        check_key_caller(&caller, false)?;
        if id == caller.account.id {
            return Ok(caller.account.clone());
        }
        let found = self.ports.accounts.get(id).await?;
        // a platform reader reads every live account: the matrix needs no memberships (one query, not three)
        if policy::may_read_directory(caller.account) {
            return found.filter(Account::is_live).ok_or(DomainError::NotFound { entity: "account" });
        }
        let caller_groups = self.memberships(caller.account.id).await?;
        let readable = self.readable(caller.account, &caller_groups, found).await?;
        readable.map(|(account, _)| account).ok_or(DomainError::NotFound { entity: "account" })
    }

    /// Live accounts matching `query` (substring of login name, nickname, description, phone or email,
    /// case-insensitive), `limit` from `offset`, with the total when `count`.
    ///
    /// # Errors
    /// `Forbidden` unless the caller reads all accounts.
    ///
    /// ```
    /// # use domain::usecases::UseCases;
    /// # async fn demo(use_cases: &UseCases, bearer: &str) -> domain::DomainResult<()> {
    /// let reader = use_cases.authenticate(bearer).await?;
    /// // platform readers only (super admin, system admin, auditor); others get Forbidden
    /// let (accounts, total) = use_cases.search_accounts(&reader, Some("ann"), 0, 20, true).await?;
    /// println!("{} of {:?}", accounts.len(), total);
    /// # Ok(()) }
    /// ```
    pub async fn search_accounts(
        &self,
        caller: &Account,
        query: Option<&str>,
        offset: i64,
        limit: i64,
        count: bool,
    ) -> DomainResult<(Vec<Account>, Option<i64>)> {
        require_reader(caller)?;
        let query = query.map(str::trim).filter(|q| !q.is_empty()).map(str::to_owned);
        self.ports.accounts.search(query, offset, limit, count).await
    }

    /// The workspaces of account `uid` (shadow workspaces of groups excluded), optionally only those where it
    /// has `role`, oldest first, `limit` from `offset`, each with its owner; and the total.
    ///
    /// # Errors
    /// `Forbidden` unless the caller reads all accounts; `NotFound` for unknown or deleted accounts.
    pub async fn account_workspaces(
        &self,
        caller: &Account,
        uid: Uuid,
        role: Option<WorkspaceRole>,
        offset: usize,
        limit: usize,
    ) -> DomainResult<(Vec<(Workspace, Option<Account>)>, usize)> {
        require_reader(caller)?;
        let account = self.get_account(Actor { account: caller, access_key_id: None, request_id: None }, uid).await?;
        let joined: Vec<Workspace> = self
            .ports
            .workspaces
            .workspaces_of(account.id)
            .await?
            .into_iter()
            .filter(|(t, m)| t.group_id != Some(t.id) && role.is_none_or(|r| m.role == r))
            .map(|(t, _)| t)
            .collect();
        let total = joined.len();
        let mut page = Vec::new();
        for tenant in joined.into_iter().skip(offset).take(limit) {
            let owner = self
                .ports
                .workspaces
                .workspace_members_of(tenant.id)
                .await?
                .into_iter()
                .find(|(a, m)| m.role == WorkspaceRole::Owner && a.is_live())
                .map(|(a, _)| a);
            page.push((tenant, owner));
        }
        Ok((page, total))
    }

    /// Live accounts matching `filter` in `order`, `limit` from `offset`, with the total.
    ///
    /// # Errors
    /// `Forbidden` unless the caller reads all accounts.
    pub async fn list_accounts(
        &self,
        caller: &Account,
        filter: Option<AccountFilter>,
        order: AccountOrder,
        offset: i64,
        limit: i64,
    ) -> DomainResult<(Vec<Account>, i64)> {
        require_reader(caller)?;
        self.ports.accounts.filter(filter, order, offset, limit).await
    }

    /// The access keys of account `uid`, oldest first, without secrets, for a directory reader.
    ///
    /// # Errors
    /// `Forbidden` unless the caller reads all accounts.
    pub async fn account_access_keys(&self, caller: &Account, uid: Uuid) -> DomainResult<Vec<AccessKeyView>> {
        require_reader(caller)?;
        let now = self.ports.clock.now();
        Ok(self.ports.access_keys.list(uid).await?.into_iter().map(|k| self.view(k, now)).collect())
    }

    /// The current workspace of account `uid` (its home), for a directory reader.
    ///
    /// # Errors
    /// `Forbidden` unless the caller reads all accounts.
    pub async fn home_workspace(&self, caller: &Account, uid: Uuid) -> DomainResult<Option<Workspace>> {
        require_reader(caller)?;
        Ok(self.ports.workspaces.current_workspace_of(uid).await?.map(|(tenant, _)| tenant))
    }

    /// The live account with this id in the external directory (`None` when there is none).
    ///
    /// # Errors
    /// `Forbidden` unless the caller reads all accounts.
    pub async fn find_account_by_external_id(
        &self,
        caller: &Account,
        external_id: &str,
    ) -> DomainResult<Option<Account>> {
        require_reader(caller)?;
        self.ports.accounts.find_live_by_external_id(external_id).await
    }

    /// The live account whose login name, phone or email is `identifier` (`None` when there is none).
    ///
    /// # Errors
    /// `Forbidden` unless the caller reads all accounts.
    pub async fn find_account_by_login(&self, caller: &Account, identifier: &str) -> DomainResult<Option<Account>> {
        require_reader(caller)?;
        if identifier.trim().is_empty() {
            return Ok(None);
        }
        self.ports.accounts.find_live_by_login(identifier).await
    }
}
