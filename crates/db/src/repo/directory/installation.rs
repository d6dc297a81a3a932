//! The installation port on the database: setup in one transaction, and self-registrations founding their group.

use super::*;

#[async_trait]
impl InstallationRepository for DieselDirectory {
    async fn setup_completed_at(&self) -> DomainResult<Option<OffsetDateTime>> {
        let at = self.db.run(|conn| Ok(setups::table.select(setups::setup_at).first(conn).optional()?)).await?;
        Ok(at.map(from_db))
    }

    async fn install(&self, installation: &Installation) -> DomainResult<()> {
        let inst = installation.clone();
        self.db
            .write(move |conn| {
                // Postgres runs concurrent installs side by side under READ COMMITTED: serialise them here
                // (SQLite's BEGIN IMMEDIATE already does).
                if let DbConnection::Postgres(_) = conn {
                    conn.batch_execute("LOCK TABLE setups IN EXCLUSIVE MODE")?;
                }
                let done = setups::table.count().get_result::<i64>(conn)? > 0;
                let any_tenant = tenants::table.count().get_result::<i64>(conn)? > 0;
                if done || any_tenant {
                    return Err(DomainError::AlreadySetup.into());
                }
                let now = to_db(inst.founding.group.created_at);
                insert_founding(conn, &inst.founding)?;
                diesel::insert_into(setups::table)
                    .values((setups::id.eq(1i16), setups::version.eq(&inst.version), setups::setup_at.eq(now)))
                    .execute(conn)
                    .map_err(|e| match e {
                        diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _) => {
                            RepoError::Domain(DomainError::AlreadySetup)
                        }
                        other => other.into(),
                    })?;
                Ok(())
            })
            .await
    }

    async fn register(&self, registration: &Registration) -> DomainResult<bool> {
        let registration = registration.clone();
        self.db
            .write(move |conn| {
                let at = to_db(registration.founding.founder.created_at);
                if let Some(code) = &registration.code {
                    if !redeem_code(conn, code, at)? {
                        return Ok(false);
                    }
                }
                insert_founding(conn, &registration.founding)?;
                if let Some(identity) = &registration.identity {
                    crate::repo::identities::insert_identity(conn, identity)?;
                }
                Ok(true)
            })
            .await
    }
}
