use uuid::Uuid;

use super::AccountStatus;

/// A condition on live accounts (the iam dialect's filter, compiled by the store).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountFilter {
    /// Every condition holds (true when empty).
    All(Vec<AccountFilter>),
    /// Some condition holds (false when empty).
    Any(Vec<AccountFilter>),
    /// The condition does not hold (an absent value counts as the empty string).
    Not(Box<AccountFilter>),
    /// The id is this.
    Id(Uuid),
    /// The login name is exactly this.
    Username(String),
    /// The display name is exactly this.
    Name(String),
    /// The email, compared case-insensitively (give the lower-cased key).
    EmailKey(String),
    /// The phone number is exactly this.
    Phone(String),
    /// The status is one of these.
    Status(Vec<AccountStatus>),
    /// The account's current workspace has this code.
    WorkspaceCode(String),
}

/// What a list of accounts is sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountSortKey {
    /// Creation time.
    CreatedAt,
    /// Last change.
    UpdatedAt,
    /// Display name.
    Name,
    /// Login name.
    Username,
}

/// A sort order: keys in priority, each ascending or descending (`true`); the id breaks ties.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountOrder(pub Vec<(AccountSortKey, bool)>);

impl Default for AccountOrder {
    /// Oldest first.
    fn default() -> Self {
        Self(vec![(AccountSortKey::CreatedAt, false)])
    }
}
