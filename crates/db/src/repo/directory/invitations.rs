//! The invitation port on the database: invitations saved with their mails, found and redeemed once.

use super::*;

#[async_trait]
impl InvitationRepository for DieselDirectory {
    async fn save_invitations(&self, batch: &InvitationBatch) -> DomainResult<()> {
        let batch = batch.clone();
        self.db
            .write(move |conn| {
                for account in &batch.new_accounts {
                    diesel::insert_into(accounts::table).values(AccountRow::from(account)).execute(conn)?;
                }
                insert_memberships(conn, &batch.group_members, &batch.tenant_members)?;
                for i in &batch.invitations {
                    let payload =
                        serde_json::json!({"tenant_id": i.tenant_id, "invited_by": i.invited_by, "email": i.email});
                    diesel::insert_into(verification_codes::table)
                        .values((
                            verification_codes::id.eq(id_to_db(i.token)),
                            verification_codes::purpose.eq(INVITE),
                            verification_codes::account_id.eq(Some(id_to_db(i.account_id))),
                            verification_codes::email_key.eq(domain::values::email_key(&i.email)),
                            verification_codes::payload.eq(payload.to_string()),
                            verification_codes::created_at.eq(to_db(i.created_at)),
                            verification_codes::expires_at.eq(to_db(i.expires_at)),
                        ))
                        .execute(conn)?;
                }
                for mail in &batch.mails {
                    insert_outbox(conn, mail)?;
                }
                Ok(())
            })
            .await
    }

    async fn find_invitation(&self, token: Uuid) -> DomainResult<Option<Invitation>> {
        let row = self
            .db
            .run(move |conn| {
                Ok(verification_codes::table
                    .find(id_to_db(token))
                    .filter(verification_codes::purpose.eq(INVITE))
                    .filter(verification_codes::consumed_at.is_null())
                    .select((
                        verification_codes::account_id,
                        verification_codes::payload,
                        verification_codes::created_at,
                        verification_codes::expires_at,
                    ))
                    .first::<(Option<String>, String, time::PrimitiveDateTime, time::PrimitiveDateTime)>(conn)
                    .optional()?)
            })
            .await?;
        let Some((account_id, payload, created_at, expires_at)) = row else { return Ok(None) };
        let payload: serde_json::Value = serde_json::from_str(&payload).map_err(DomainError::internal)?;
        let field = |name: &str| {
            payload[name]
                .as_str()
                .map(str::to_owned)
                .ok_or_else(|| DomainError::internal_msg(format!("invitation without {name}")))
        };
        Ok(Some(Invitation {
            token,
            account_id: id_from_db(
                &account_id.ok_or_else(|| DomainError::internal_msg("invitation without account"))?,
            )?,
            email: field("email")?,
            tenant_id: id_from_db(&field("tenant_id")?)?,
            invited_by: id_from_db(&field("invited_by")?)?,
            created_at: from_db(created_at),
            expires_at: from_db(expires_at),
        }))
    }

    async fn redeem_invitation(
        &self,
        token: Uuid,
        account: &Account,
        tenant_id: Uuid,
        now: OffsetDateTime,
    ) -> DomainResult<bool> {
        let row = AccountRow::from(account);
        self.db
            .write(move |conn| {
                let redeemed = diesel::update(
                    verification_codes::table
                        .find(id_to_db(token))
                        .filter(verification_codes::purpose.eq(INVITE))
                        .filter(verification_codes::consumed_at.is_null()),
                )
                .set(verification_codes::consumed_at.eq(Some(to_db(now))))
                .execute(conn)?;
                if redeemed == 0 {
                    return Ok(false);
                }
                let activated = diesel::update(
                    accounts::table
                        .find(&row.id)
                        .filter(accounts::status.eq("pending"))
                        .filter(accounts::deleted_at.is_null()),
                )
                .set((
                    accounts::name.eq(&row.name),
                    accounts::interface_language.eq(&row.interface_language),
                    accounts::interface_theme.eq(&row.interface_theme),
                    accounts::timezone.eq(&row.timezone),
                    accounts::status.eq(&row.status),
                    accounts::initialized_at.eq(row.initialized_at),
                    accounts::updated_at.eq(row.updated_at),
                ))
                .execute(conn)?;
                if activated == 0 {
                    // banned or deleted meanwhile: roll the redemption back
                    return Err(DomainError::InvalidInvitation.into());
                }
                diesel::update(tenant_members::table.filter(tenant_members::account_id.eq(&row.id)))
                    .set(tenant_members::is_current.eq(false))
                    .execute(conn)?;
                diesel::update(tenant_members::table.find((id_to_db(tenant_id), &row.id)))
                    .set(tenant_members::is_current.eq(true))
                    .execute(conn)?;
                Ok(true)
            })
            .await
    }
}
