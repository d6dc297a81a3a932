use diesel::result::{DatabaseErrorKind, Error as DieselError};
use domain::DomainError;

/// An error inside a repository closure: a Diesel failure or a domain answer decided there.
#[derive(Debug)]
pub enum RepoError {
    /// From Diesel; mapped to a domain error on the way out.
    Diesel(DieselError),
    /// Already a domain answer.
    Domain(DomainError),
}

impl std::fmt::Display for RepoError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Diesel(e) => e.fmt(f),
            Self::Domain(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for RepoError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Diesel(e) => Some(e),
            Self::Domain(e) => Some(e),
        }
    }
}

impl From<DieselError> for RepoError {
    fn from(e: DieselError) -> Self {
        Self::Diesel(e)
    }
}

impl From<DomainError> for RepoError {
    fn from(e: DomainError) -> Self {
        Self::Domain(e)
    }
}

/// The domain field a unique index protects, from the index name (Postgres) or message (SQLite).
fn conflict_field(text: &str) -> &'static str {
    const FIELDS: &[(&str, &str)] = &[
        ("account_identities", "identity"),
        ("email", "email"),
        ("username", "username"),
        ("phone", "phone"),
        ("external_id", "external_id"),
        ("enterprise_groups", "name"),
        ("access_key", "access_key"),
        ("tenants_group_name", "name"),
        ("tenants.group_id, tenants.name", "name"),
        ("tenants_code", "code"),
        ("tenants.code", "code"),
        ("one_super_admin", "system_role"),
        ("system_role", "system_role"),
        ("one_owner", "role"),
    ];
    FIELDS.iter().find(|(needle, _)| text.contains(needle)).map_or("id", |(_, field)| field)
}

/// Whether the error says the connection itself is gone (the server closed it, was shut down or restarted), as
/// opposed to a statement failing on a good connection.
pub(crate) fn connection_lost(e: &DieselError) -> bool {
    match e {
        DieselError::DatabaseError(DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand, _) => {
            true
        }
        DieselError::DatabaseError(_, info) => {
            let message = info.message();
            message.starts_with("terminating connection") || message.starts_with("server closed the connection")
        }
        _ => false,
    }
}

impl RepoError {
    /// Maps to the domain: unique violations become `Conflict { field }`, serialization failures and deadlocks
    /// `Stale` (retried by the use case), everything else `Internal`.
    pub fn into_domain(self) -> DomainError {
        match self {
            Self::Domain(e) => e,
            Self::Diesel(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info)) => {
                let text = format!("{} {}", info.constraint_name().unwrap_or_default(), info.message());
                DomainError::Conflict { field: conflict_field(&text) }
            }
            Self::Diesel(DieselError::NotFound) => DomainError::NotFound { entity: "row" },
            // The transaction lost a race with another writer and was rolled back: the use case may start over.
            Self::Diesel(DieselError::DatabaseError(DatabaseErrorKind::SerializationFailure, _)) => DomainError::Stale,
            Self::Diesel(DieselError::DatabaseError(_, info)) if info.message().starts_with("deadlock detected") => {
                DomainError::Stale
            }
            // the connection broke (server restarted or stopped): nothing was committed
            Self::Diesel(e) if connection_lost(&e) => DomainError::unavailable(e),
            Self::Diesel(e) => DomainError::internal(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::conflict_field;

    #[test]
    fn names_fields_for_both_backends() {
        assert_eq!(conflict_field("accounts_email_live duplicate key"), "email");
        assert_eq!(conflict_field(" UNIQUE constraint failed: accounts.email_key"), "email");
        assert_eq!(conflict_field(" UNIQUE constraint failed: accounts.username"), "username");
        assert_eq!(conflict_field("enterprise_groups_name"), "name");
    }
}
