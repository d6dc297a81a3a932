//! Inviting people into a workspace by email and activating invited accounts. An unknown address gets a
//! pending account; the invitee joins the workspace with the given role, and — when the workspace belongs to a
//! group — the group (role normal) and its shadow workspace. The pending account is activated once, with the
//! invitation token, and is then signed in.

use uuid::Uuid;

use crate::error::{DomainError, DomainResult};
use crate::model::{
    Account, AccountStatus, GroupMembership, GroupRole, Invitation, InvitationBatch, MailMessage, TokenPair, Workspace,
    WorkspaceMembership, WorkspaceRole, WorkspaceStatus,
};
use crate::values::{default_timezone, DisplayName, EmailAddress};

use super::UseCases;

/// Most addresses in one invitation request.
pub const MAX_INVITES: usize = 100;

/// What happened to one invited address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InviteOutcome {
    /// A pending account was invited; the activation link was mailed.
    Invited {
        /// The address.
        email: String,
        /// The activation link (`{CONSOLE_WEB_URL}/activate?email=…&token=…`).
        url: String,
    },
    /// The address belongs to an account that has already signed up: it was added to the workspace (if it was
    /// not a member) and signs in as usual.
    Added {
        /// The address.
        email: String,
        /// The sign-in page.
        url: String,
    },
    /// The address belongs to an account outside this workspace's group: inviting it would hand the group's
    /// administrators power over an account that never agreed to join. Only platform admins may do that.
    Refused {
        /// The address.
        email: String,
    },
}

/// Input of [`UseCases::activate`].
#[derive(Debug, Clone)]
pub struct Activation {
    /// The invitation token.
    pub token: Uuid,
    /// The address, when the link carries it (must match).
    pub email: Option<EmailAddress>,
    /// The workspace, when the link carries it (must match).
    pub workspace_id: Option<Uuid>,
    /// The name the invitee chose.
    pub name: DisplayName,
    /// Interface language.
    pub language: &'static str,
    /// Timezone.
    pub timezone: String,
    /// Client address.
    pub ip: Option<String>,
}

impl UseCases {
    /// Invites `emails` into the actor's current workspace with `role` (not owner), in one transaction.
    ///
    /// # Errors
    /// `Forbidden` unless the actor is owner or admin of its current workspace; `Invalid` for an owner role or
    /// too many addresses; `NotFound` without a current workspace.
    ///
    /// ```
    /// # use domain::model::WorkspaceRole;
    /// # use domain::usecases::{InviteOutcome, UseCases};
    /// # use domain::values::EmailAddress;
    /// # async fn demo(use_cases: &UseCases, bearer: &str) -> domain::DomainResult<()> {
    /// let owner = use_cases.authenticate(bearer).await?;
    /// let emails = [EmailAddress::parse("email", "new@example.com")?];
    /// for outcome in use_cases.invite_members(&owner, &emails, WorkspaceRole::Editor, "en-US").await? {
    ///     if let InviteOutcome::Invited { email, url } = outcome {
    ///         println!("{email}: {url}");
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn invite_members(
        &self,
        actor: &Account,
        emails: &[EmailAddress],
        role: WorkspaceRole,
        language: &'static str,
    ) -> DomainResult<Vec<InviteOutcome>> {
        if role == WorkspaceRole::Owner {
            return Err(DomainError::invalid("role", "Invalid role"));
        }
        if emails.is_empty() || emails.len() > MAX_INVITES {
            return Err(DomainError::invalid("emails", format!("Between 1 and {MAX_INVITES} addresses are required.")));
        }
        let (tenant, mine) = self.current_workspace(actor).await?;
        if !matches!(mine.role, WorkspaceRole::Owner | WorkspaceRole::Admin) {
            return Err(DomainError::Forbidden("Only the workspace owner or an admin can invite members."));
        }
        if let Some(group_id) = tenant.group_id {
            let active = self
                .ports
                .groups
                .get_group(group_id)
                .await?
                .is_some_and(|g| g.status == crate::model::GroupStatus::Active);
            if !active {
                return Err(DomainError::Forbidden("This workspace belongs to an archived group."));
            }
        }
        let platform_admin = actor.system_role.is_some_and(|r| r.can_administer());
        let now = self.ports.clock.now();
        let base = self.settings.console_web_url.trim_end_matches('/');
        let mut batch = InvitationBatch::default();
        let mut outcomes = Vec::with_capacity(emails.len());
        let mut seen = std::collections::HashSet::new();
        for email in emails.iter().filter(|e| seen.insert(e.key())) {
            let existing = self.ports.accounts.find_live_by_email(&email.key()).await?;
            let account = match existing {
                Some(account) => {
                    let in_group = match tenant.group_id {
                        Some(group_id) => self.memberships(account.id).await?.iter().any(|m| m.group_id == group_id),
                        None => true,
                    };
                    if !in_group && !platform_admin {
                        outcomes.push(InviteOutcome::Refused { email: email.as_str().to_owned() });
                        continue;
                    }
                    account
                }
                None => {
                    let name = email
                        .as_str()
                        .split('@')
                        .next()
                        .unwrap_or_default()
                        .chars()
                        .take(DisplayName::MAX_CHARS)
                        .collect();
                    let mut account = Account::new(self.ports.ids.new_id(), name, Some(email.as_str().to_owned()), now);
                    account.status = AccountStatus::Pending;
                    account.interface_language = language.to_owned();
                    account.timezone = default_timezone(language).to_owned();
                    batch.new_accounts.push(account.clone());
                    account
                }
            };
            self.plan_memberships(&mut batch, &tenant, &account, role, actor.id, now).await?;
            if account.status == AccountStatus::Pending {
                let token = self.ports.ids.new_id();
                batch.invitations.push(Invitation {
                    token,
                    account_id: account.id,
                    email: email.as_str().to_owned(),
                    tenant_id: tenant.id,
                    invited_by: actor.id,
                    created_at: now,
                    expires_at: now + self.settings.invitation_ttl,
                });
                let url =
                    format!("{base}/activate?email={}&token={token}", crate::values::percent_encode(email.as_str()));
                let message = MailMessage::Invitation {
                    inviter: actor.name.clone(),
                    workspace: tenant.name.clone(),
                    link: url.clone(),
                };
                batch.mails.push(self.outbox_mail(email.as_str(), language, message, now));
                outcomes.push(InviteOutcome::Invited { email: email.as_str().to_owned(), url });
            } else {
                outcomes.push(InviteOutcome::Added { email: email.as_str().to_owned(), url: format!("{base}/signin") });
            }
        }
        self.ports.invitations.save_invitations(&batch).await?;
        Ok(outcomes)
    }

    /// Adds to `batch` the memberships the invitee lacks: the workspace (with `role`), and for a group's workspace
    /// the group (normal) and its shadow workspace (normal).
    async fn plan_memberships(
        &self,
        batch: &mut InvitationBatch,
        tenant: &Workspace,
        account: &Account,
        role: WorkspaceRole,
        invited_by: Uuid,
        now: time::OffsetDateTime,
    ) -> DomainResult<()> {
        let join = |tenant_id: Uuid, role: WorkspaceRole| WorkspaceMembership {
            invited_by: Some(invited_by),
            ..WorkspaceMembership::new(tenant_id, account.id, role, now)
        };
        let is_new = batch.new_accounts.iter().any(|a| a.id == account.id);
        let member_of = |tenant_id: Uuid| async move {
            if is_new {
                Ok(false)
            } else {
                Ok::<_, DomainError>(self.ports.workspaces.workspace_membership(tenant_id, account.id).await?.is_some())
            }
        };
        if !member_of(tenant.id).await? {
            batch.tenant_members.push(WorkspaceMembership { current: is_new, ..join(tenant.id, role) });
        }
        if let Some(group_id) = tenant.group_id {
            let in_group = !is_new && self.memberships(account.id).await?.iter().any(|m| m.group_id == group_id);
            if !in_group {
                batch.group_members.push(GroupMembership {
                    group_id,
                    account_id: account.id,
                    role: GroupRole::Normal,
                    created_at: now,
                });
            }
            // for a group's own workspace the join above already is the shadow membership
            if group_id != tenant.id && !member_of(group_id).await? {
                batch.tenant_members.push(join(group_id, WorkspaceRole::Normal));
            }
        }
        Ok(())
    }

    /// The invitation, if `token` names a live one for a pending member of a normal workspace, matching
    /// `email` and `workspace_id` when given.
    pub(super) async fn live_invitation(
        &self,
        token: Uuid,
        email: Option<&EmailAddress>,
        workspace_id: Option<Uuid>,
    ) -> DomainResult<Option<(Invitation, Workspace, Account)>> {
        let now = self.ports.clock.now();
        let Some(invitation) = self.ports.invitations.find_invitation(token).await?.filter(|i| i.expires_at > now)
        else {
            return Ok(None);
        };
        if email.is_some_and(|e| e.key() != crate::values::email_key(&invitation.email))
            || workspace_id.is_some_and(|w| w != invitation.tenant_id)
        {
            return Ok(None);
        }
        let tenant = self
            .ports
            .workspaces
            .get_workspace(invitation.tenant_id)
            .await?
            .filter(|t| t.status == WorkspaceStatus::Normal);
        let account = self
            .ports
            .accounts
            .get(invitation.account_id)
            .await?
            .filter(|a| a.is_live() && a.status == AccountStatus::Pending);
        let member =
            self.ports.workspaces.workspace_membership(invitation.tenant_id, invitation.account_id).await?.is_some();
        Ok(match (tenant, account) {
            (Some(tenant), Some(account)) if member => Some((invitation, tenant, account)),
            _ => None,
        })
    }

    /// Whether an invitation link is valid; with its workspace and address when it is.
    pub async fn check_invitation(
        &self,
        token: Uuid,
        email: Option<&EmailAddress>,
        workspace_id: Option<Uuid>,
    ) -> DomainResult<Option<(Workspace, String)>> {
        Ok(self.live_invitation(token, email, workspace_id).await?.map(|(i, t, _)| (t, i.email)))
    }

    /// Activates the invited account (name, language, timezone; pending → active), redeems the invitation and
    /// makes the workspace current in one transaction, and signs the account in.
    ///
    /// # Errors
    /// `InvalidInvitation` for unknown, expired, redeemed or mismatching invitations.
    pub async fn activate(&self, cmd: Activation) -> DomainResult<TokenPair> {
        let (invitation, _, mut account) = self
            .live_invitation(cmd.token, cmd.email.as_ref(), cmd.workspace_id)
            .await?
            .ok_or(DomainError::InvalidInvitation)?;
        let now = self.ports.clock.now();
        account.name = cmd.name.into_inner();
        account.interface_language = cmd.language.to_owned();
        account.timezone = cmd.timezone;
        account.interface_theme = "light".into();
        account.status = AccountStatus::Active;
        account.initialized_at = Some(now);
        account.updated_at = now;
        if !self.ports.invitations.redeem_invitation(invitation.token, &account, invitation.tenant_id, now).await? {
            return Err(DomainError::InvalidInvitation);
        }
        self.ports.accounts.record_login(account.id, now, cmd.ip.clone()).await?;
        self.start_session(&account, now, cmd.ip).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::usecases::test_support::*;

    fn membership(tenant: Uuid, account: Uuid, role: WorkspaceRole) -> WorkspaceMembership {
        WorkspaceMembership { current: true, ..WorkspaceMembership::new(tenant, account, role, NOW) }
    }

    #[tokio::test]
    async fn an_unknown_address_gets_a_pending_account_in_the_workspace_group_and_shadow() {
        let mut m = Mocks::new();
        let (tenant, group) = (Uuid::new_v4(), Uuid::new_v4());
        m.workspaces.expect_current_workspace_of().returning(move |a| {
            Ok(Some((
                Workspace::new(tenant, "w".into(), Some(group), NOW),
                membership(tenant, a, WorkspaceRole::Admin),
            )))
        });
        m.groups.expect_get_group().returning(move |id| {
            Ok(Some(crate::model::EnterpriseGroup {
                id,
                name: "g".into(),
                short_name: None,
                status: crate::model::GroupStatus::Active,
                workspace_defaults: serde_json::json!({}),
                created_at: NOW,
                updated_at: NOW,
            }))
        });
        m.accounts.expect_find_live_by_email().returning(|_| Ok(None));
        m.invitations
            .expect_save_invitations()
            .withf(move |b| {
                let account = &b.new_accounts[0];
                b.new_accounts.len() == 1
                    && account.status == AccountStatus::Pending
                    && account.name == "new"
                    && account.timezone == "Asia/Shanghai"
                    && b.group_members
                        == vec![GroupMembership {
                            group_id: group,
                            account_id: account.id,
                            role: GroupRole::Normal,
                            created_at: NOW,
                        }]
                    && b.tenant_members.len() == 2
                    && b.tenant_members
                        .iter()
                        .any(|m| m.tenant_id == tenant && m.role == WorkspaceRole::Editor && m.current)
                    && b.tenant_members.iter().any(|m| m.tenant_id == group && m.role == WorkspaceRole::Normal)
                    && b.invitations.len() == 1
                    && b.invitations[0].expires_at == NOW + time::Duration::hours(72)
            })
            .times(1)
            .returning(|_| Ok(()));
        let admin = Account::new(Uuid::new_v4(), "a".into(), None, NOW);
        let emails = [
            EmailAddress::parse("emails", "new@example.com").unwrap(),
            EmailAddress::parse("emails", "NEW@example.com").unwrap(),
        ];
        let out = m.build().invite_members(&admin, &emails, WorkspaceRole::Editor, "zh-Hans").await.unwrap();
        assert!(matches!(out.as_slice(), [InviteOutcome::Invited { .. }]), "duplicates are invited once: {out:?}");
    }

    #[tokio::test]
    async fn normal_members_cannot_invite_and_nobody_invites_an_owner() {
        let mut m = Mocks::new();
        let tenant = Uuid::new_v4();
        m.workspaces.expect_current_workspace_of().returning(move |a| {
            Ok(Some((Workspace::new(tenant, "w".into(), None, NOW), membership(tenant, a, WorkspaceRole::Normal))))
        });
        m.invitations.expect_save_invitations().never();
        let user = Account::new(Uuid::new_v4(), "u".into(), None, NOW);
        let emails = [EmailAddress::parse("emails", "x@example.com").unwrap()];
        let uc = m.build();
        assert!(matches!(
            uc.invite_members(&user, &emails, WorkspaceRole::Normal, "en-US").await,
            Err(DomainError::Forbidden(_))
        ));
        assert!(matches!(
            uc.invite_members(&user, &emails, WorkspaceRole::Owner, "en-US").await,
            Err(DomainError::Invalid { field: "role", .. })
        ));
    }

    #[tokio::test]
    async fn an_expired_invitation_is_not_valid() {
        let mut m = Mocks::new();
        let token = Uuid::new_v4();
        m.invitations.expect_find_invitation().returning(move |_| {
            Ok(Some(Invitation {
                token,
                account_id: Uuid::new_v4(),
                email: "x@example.com".into(),
                tenant_id: Uuid::new_v4(),
                invited_by: Uuid::new_v4(),
                created_at: NOW - time::Duration::hours(73),
                expires_at: NOW - time::Duration::hours(1),
            }))
        });
        m.workspaces.expect_get_workspace().never();
        assert_eq!(m.build().check_invitation(token, None, None).await.unwrap(), None);
    }
}
