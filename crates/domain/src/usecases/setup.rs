//! First-run setup: the super admin, "Default Group" with its shadow tenant, and the admin's workspace.

use crate::error::DomainResult;
use crate::model::{
    Account, EnterpriseGroup, GroupFounding, GroupMembership, GroupRole, GroupStatus, Installation, SystemRole,
    Workspace, WorkspaceMembership, WorkspaceRole,
};
use crate::values::{DisplayName, EmailAddress, Password};
use crate::DomainError;

use super::UseCases;

/// Input of [`UseCases::setup`].
#[derive(Debug, Clone)]
pub struct SetupCommand {
    /// The super admin's email.
    pub email: EmailAddress,
    /// The super admin's name.
    pub name: DisplayName,
    /// The super admin's password.
    pub password: Password,
    /// Client address, recorded as the last login address.
    pub ip: Option<String>,
}

/// Name of the group setup creates.
pub const DEFAULT_GROUP_NAME: &str = "Default Group";

impl UseCases {
    /// Plans a new active group named `group_name` founded by `founder`: its shadow tenant, the workspace
    /// "<name>'s Workspace" in it (made current), and the founder as group super admin and owner of both.
    pub(super) fn found_group(&self, founder: Account, group_name: String, now: time::OffsetDateTime) -> GroupFounding {
        let group_id = self.ports.ids.new_id();
        let group = EnterpriseGroup {
            id: group_id,
            name: group_name,
            short_name: None,
            status: GroupStatus::Active,
            workspace_defaults: serde_json::json!({}),
            created_at: now,
            updated_at: now,
        };
        let shadow = Workspace::new(group_id, group.name.clone(), Some(group_id), now);
        let workspace =
            Workspace::new(self.ports.ids.new_id(), format!("{}'s Workspace", founder.name), Some(group_id), now);
        let join = |tenant: &Workspace, current: bool| WorkspaceMembership {
            current,
            ..WorkspaceMembership::new(tenant.id, founder.id, WorkspaceRole::Owner, now)
        };
        GroupFounding {
            tenant_members: vec![join(&shadow, false), join(&workspace, true)],
            group_members: vec![GroupMembership {
                group_id,
                account_id: founder.id,
                role: GroupRole::SuperAdmin,
                created_at: now,
            }],
            tenants: vec![shadow, workspace],
            group,
            founder,
        }
    }

    /// When setup finished, `None` before.
    pub async fn setup_status(&self) -> DomainResult<Option<time::OffsetDateTime>> {
        self.ports.installation.setup_completed_at().await
    }

    /// Creates, in one transaction, the super admin, "Default Group" with its shadow tenant, the workspace
    /// "`<name>`'s Workspace" in that group, and all memberships.
    ///
    /// # Errors
    /// [`DomainError::AlreadySetup`] on a second call.
    ///
    /// ```
    /// # use domain::usecases::{SetupCommand, UseCases};
    /// # use domain::values::{DisplayName, EmailAddress, Password};
    /// # async fn demo(use_cases: &UseCases) -> domain::DomainResult<()> {
    /// if !use_cases.is_setup().await? {
    ///     use_cases
    ///         .setup(SetupCommand {
    ///             email: EmailAddress::parse("email", "admin@example.com")?,
    ///             name: DisplayName::parse("name", "Admin")?,
    ///             password: Password::parse_new("password", "Correct-horse-9")?,
    ///             ip: None,
    ///         })
    ///         .await?;
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn setup(&self, cmd: SetupCommand) -> DomainResult<()> {
        if self.is_setup().await? {
            return Err(DomainError::AlreadySetup);
        }
        let hash = self.ports.hasher.hash(&cmd.password).await?;
        let now = self.ports.clock.now();
        let mut admin = Account::new(
            self.ports.ids.new_id(),
            cmd.name.as_str().to_owned(),
            Some(cmd.email.as_str().to_owned()),
            now,
        );
        admin.password_hash = Some(hash);
        admin.password_changed_at = Some(now);
        admin.initialized_at = Some(now);
        admin.last_login_ip = cmd.ip;
        admin.system_role = Some(SystemRole::SuperAdmin);

        let installation = Installation {
            founding: self.found_group(admin, DEFAULT_GROUP_NAME.into(), now),
            version: self.settings.version.clone(),
        };
        self.ports.installation.install(&installation).await?;
        self.setup_seen.store(true, std::sync::atomic::Ordering::Relaxed);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::usecases::test_support::*;

    fn command() -> SetupCommand {
        SetupCommand {
            email: EmailAddress::parse("email", "i@zgi.ai").unwrap(),
            name: DisplayName::parse("name", "zgi").unwrap(),
            password: Password::parse_new("password", "zgi@zgi123").unwrap(),
            ip: Some("127.0.0.1".into()),
        }
    }

    #[tokio::test]
    async fn setup_writes_one_installation_with_group_shadow_and_workspace() {
        let mut m = Mocks::new();
        m.installation.expect_setup_completed_at().times(1).returning(|| Ok(None));
        m.hasher.expect_hash().times(1).returning(|_| Ok("hash".into()));
        m.installation
            .expect_install()
            .withf(|i: &Installation| {
                let i = &i.founding;
                let shadow = i.tenants.iter().find(|t| t.id == i.group.id).expect("shadow tenant");
                let own = i.tenants.iter().find(|t| t.id != i.group.id).expect("workspace");
                i.group.name == "Default Group"
                    && shadow.group_id == Some(i.group.id)
                    && own.name == "zgi's Workspace"
                    && own.group_id == Some(i.group.id)
                    && i.founder.system_role == Some(SystemRole::SuperAdmin)
                    && i.founder.password_hash.as_deref() == Some("hash")
                    && i.group_members.len() == 1
                    && i.group_members[0].role == GroupRole::SuperAdmin
                    && i.tenant_members.iter().filter(|m| m.current).count() == 1
                    && i.tenant_members.iter().all(|m| m.role == WorkspaceRole::Owner)
            })
            .times(1)
            .returning(|_| Ok(()));
        let uc = m.build();
        uc.setup(command()).await.unwrap();
        // remembered: a second call refuses without asking storage again
        assert!(matches!(uc.setup(command()).await, Err(DomainError::AlreadySetup)));
    }

    #[tokio::test]
    async fn setup_refuses_when_already_done() {
        let mut m = Mocks::new();
        m.installation.expect_setup_completed_at().returning(|| Ok(Some(NOW)));
        m.hasher.expect_hash().never();
        m.installation.expect_install().never();
        assert!(matches!(m.build().setup(command()).await, Err(DomainError::AlreadySetup)));
    }
}
