use time::OffsetDateTime;
use uuid::Uuid;

use super::AccountStatus;

/// A condition on live accounts (the iam and SCIM dialects' filters), compiled by the store to SQL with bound
/// values.
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
    /// A text attribute compared with `value`, ignoring case; an absent attribute counts as the empty string.
    Text {
        /// The attribute.
        attribute: TextAttribute,
        /// How it is compared.
        op: Comparison,
        /// The value compared with.
        value: String,
    },
    /// The text attribute has a non-empty value.
    Present(TextAttribute),
    /// A time attribute compared with `at` ([`Comparison::Contains`], `StartsWith` and `EndsWith` never match).
    Time {
        /// The attribute.
        attribute: TimeAttribute,
        /// How it is compared.
        op: Comparison,
        /// The time compared with.
        at: OffsetDateTime,
    },
}

/// A text attribute of an account that filters compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextAttribute {
    /// The id, as text.
    Id,
    /// The name the account goes by ([`super::Account::user_name`]): its login name, else its email, else its id.
    UserName,
    /// Display name.
    Name,
    /// Email.
    Email,
    /// Phone number.
    Phone,
    /// Id in the external directory.
    ExternalId,
}

/// A time attribute of an account that filters compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeAttribute {
    /// Creation time.
    CreatedAt,
    /// Last change.
    UpdatedAt,
}

/// How an attribute is compared with a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    /// Equal.
    Eq,
    /// Not equal.
    Ne,
    /// Contains the value.
    Contains,
    /// Starts with the value.
    StartsWith,
    /// Ends with the value.
    EndsWith,
    /// Greater than (text: lexicographically).
    Gt,
    /// Greater than or equal.
    Ge,
    /// Less than.
    Lt,
    /// Less than or equal.
    Le,
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
