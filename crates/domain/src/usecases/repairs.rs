//! Group workspace defaults and the two maintenance repairs.
//!
//! A group carries default workspace settings: `model_providers` (a list of `{provider, …}` objects) and
//! `system_default_models` (an object). `repair-model-providers` gives every workspace of every active group the
//! group's model providers where they are missing or differ. `repair-system-default` restores the structural
//! invariants — every group has its shadow workspace and every member is in it, every workspace has exactly one
//! owner, every account with a workspace has a current one — and fills in missing default models. Both are
//! idempotent, for platform admins only, run one transaction per group, and report what they changed.

use serde_json::{Map, Value};
use uuid::Uuid;

use crate::error::{DomainError, DomainResult};
use crate::model::{Account, EnterpriseGroup, Workspace, WorkspaceMembership, WorkspaceRole};
use crate::policy::{self, Subject};
use crate::ports::{GroupRepair, GroupSnapshot};

use super::groups::Visible;
use super::UseCases;

/// Keys of a group's workspace defaults.
pub const DEFAULT_KEYS: [&str; 2] = ["model_providers", "system_default_models"];

/// Checks a workspace-defaults document: an object with at most the two known keys, `model_providers` a list
/// of objects with a non-empty `provider`, `system_default_models` an object.
///
/// # Errors
/// [`DomainError::Invalid`] naming the offending key.
pub fn parse_workspace_defaults(doc: Value) -> DomainResult<Value> {
    let Value::Object(map) = doc else {
        return Err(DomainError::invalid("body", "Workspace defaults must be a JSON object."));
    };
    for key in map.keys() {
        if !DEFAULT_KEYS.contains(&key.as_str()) {
            return Err(DomainError::invalid(
                "body",
                format!("Unknown key {key}: expected model_providers or system_default_models."),
            ));
        }
    }
    if let Some(providers) = map.get("model_providers") {
        let ok = providers.as_array().is_some_and(|list| {
            list.iter().all(|p| p.get("provider").and_then(Value::as_str).is_some_and(|s| !s.trim().is_empty()))
        });
        if !ok {
            return Err(DomainError::invalid(
                "model_providers",
                "model_providers must be a list of objects with a provider name.",
            ));
        }
    }
    if map.get("system_default_models").is_some_and(|v| !v.is_object()) {
        return Err(DomainError::invalid("system_default_models", "system_default_models must be an object."));
    }
    Ok(Value::Object(map))
}

/// What a repair did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RepairReport {
    /// Groups looked at.
    pub groups: usize,
    /// Shadow workspaces created.
    pub shadow_tenants_created: usize,
    /// Memberships added (members missing from their group's shadow workspace).
    pub members_added: usize,
    /// Workspaces that got an owner.
    pub owners_assigned: usize,
    /// Workspaces without any member (no owner can be chosen).
    pub workspaces_without_members: usize,
    /// Workspaces whose settings changed.
    pub workspaces_updated: usize,
    /// Accounts that got a current workspace.
    pub current_workspaces_set: usize,
    /// Groups whose repair failed (a concurrent change, a name clash); the others were still repaired and a
    /// second run retries them.
    pub groups_failed: usize,
}

fn settings_with(tenant: &Workspace, key: &str, value: &Value) -> Value {
    let mut map = tenant.settings.as_object().cloned().unwrap_or_else(Map::new);
    map.insert(key.to_owned(), value.clone());
    Value::Object(map)
}

/// The model-provider repair of one group.
pub fn plan_model_providers(snapshot: &GroupSnapshot) -> GroupRepair {
    let mut repair = GroupRepair::default();
    if let Some(providers) = snapshot.group.workspace_defaults.get("model_providers") {
        for tenant in &snapshot.tenants {
            if tenant.settings.get("model_providers") != Some(providers) {
                repair.settings.push((tenant.id, settings_with(tenant, "model_providers", providers)));
            }
        }
    }
    repair
}

/// The structural repair of one group (shadow workspace, shadow membership, owners, default models), with the
/// number of workspaces left without members.
pub fn plan_system_default(snapshot: &GroupSnapshot, now: time::OffsetDateTime) -> (GroupRepair, usize) {
    let group: &EnterpriseGroup = &snapshot.group;
    let mut repair = GroupRepair::default();
    let mut tenants: Vec<Workspace> = snapshot.tenants.clone();
    let mut joins: Vec<WorkspaceMembership> = snapshot.tenant_members.clone();
    if !tenants.iter().any(|t| t.id == group.id) {
        let shadow = Workspace::new(group.id, group.name.clone(), Some(group.id), now);
        repair.create_shadow = Some(shadow.clone());
        tenants.push(shadow);
    }
    for member in &snapshot.members {
        if !joins.iter().any(|j| j.tenant_id == group.id && j.account_id == member.account_id) {
            let join = WorkspaceMembership::new(group.id, member.account_id, WorkspaceRole::Normal, now);
            repair.add_tenant_members.push(join.clone());
            joins.push(join);
        }
    }
    let mut without_members = 0;
    for tenant in &tenants {
        let mut members: Vec<&WorkspaceMembership> = joins.iter().filter(|j| j.tenant_id == tenant.id).collect();
        if members.iter().any(|j| j.role == WorkspaceRole::Owner) {
            continue;
        }
        if members.is_empty() {
            without_members += 1;
            continue;
        }
        // the group's super admin owns the shadow workspace; elsewhere the senior admin, else the senior member
        members.sort_by_key(|j| (j.created_at, j.account_id));
        let group_owner =
            snapshot.members.iter().find(|m| m.role == crate::model::GroupRole::SuperAdmin).map(|m| m.account_id);
        let chosen = members
            .iter()
            .find(|j| tenant.id == group.id && Some(j.account_id) == group_owner)
            .or_else(|| members.iter().find(|j| j.role == WorkspaceRole::Admin))
            .unwrap_or(&members[0]);
        repair.set_roles.push((tenant.id, chosen.account_id, WorkspaceRole::Owner));
    }
    if let Some(models) = group.workspace_defaults.get("system_default_models") {
        for tenant in tenants.iter().filter(|t| t.settings.get("system_default_models").is_none()) {
            repair.settings.push((tenant.id, settings_with(tenant, "system_default_models", models)));
        }
    }
    (repair, without_members)
}

impl UseCases {
    fn require_platform_admin(&self, actor: &Account) -> DomainResult<()> {
        if actor.system_role.is_some_and(|r| r.can_administer()) {
            Ok(())
        } else {
            Err(DomainError::Forbidden("Only system administrators can perform this operation."))
        }
    }

    /// A group's workspace defaults (group managers and platform readers).
    ///
    /// # Errors
    /// `NotFound` for invisible groups, `Forbidden` for plain members.
    pub async fn workspace_defaults(&self, actor: &Account, group_id: Uuid) -> DomainResult<Value> {
        let Visible { group, actor_groups } = self.visible_group(actor, group_id).await?;
        let subject = Subject { account: actor, groups: &actor_groups };
        if !policy::may_manage_group(subject, group_id) && !actor.system_role.is_some_and(|r| r.can_read_all()) {
            return Err(DomainError::Forbidden("Only group administrators can see the workspace defaults."));
        }
        Ok(group.workspace_defaults)
    }

    /// Replaces a group's workspace defaults (its super admin and platform admins).
    ///
    /// # Errors
    /// `NotFound`, `Forbidden`; `Invalid` naming the offending key unless `doc` is an object with at most
    /// `model_providers` (a list of objects with a non-empty `provider`) and `system_default_models` (an object).
    pub async fn set_workspace_defaults(&self, actor: &Account, group_id: Uuid, doc: Value) -> DomainResult<Value> {
        let Visible { mut group, actor_groups } = self.visible_group(actor, group_id).await?;
        if !policy::may_own_group(Subject { account: actor, groups: &actor_groups }, group_id) {
            return Err(DomainError::Forbidden(
                "Only the group's super administrator can change the workspace defaults.",
            ));
        }
        group.workspace_defaults = parse_workspace_defaults(doc)?;
        group.updated_at = self.ports.clock.now();
        self.ports.groups.update_group(&group).await?;
        Ok(group.workspace_defaults)
    }

    /// Gives every workspace of every active group the group's model providers.
    ///
    /// # Errors
    /// `Forbidden` unless a platform admin.
    ///
    /// ```
    /// # use domain::usecases::UseCases;
    /// # async fn demo(use_cases: &UseCases, bearer: &str) -> domain::DomainResult<()> {
    /// let admin = use_cases.authenticate(bearer).await?;
    /// let report = use_cases.repair_model_providers(&admin).await?;
    /// println!("{} workspaces updated in {} groups", report.workspaces_updated, report.groups);
    /// # Ok(()) }
    /// ```
    pub async fn repair_model_providers(&self, actor: &Account) -> DomainResult<RepairReport> {
        self.require_platform_admin(actor)?;
        let mut report = RepairReport::default();
        for group_id in self.ports.groups.active_group_ids().await? {
            report.groups += 1;
            let repaired = async {
                let repair = plan_model_providers(&self.ports.groups.group_snapshot(group_id).await?);
                if !repair.is_empty() {
                    self.ports.groups.apply_group_repair(&repair).await?;
                }
                Ok::<_, DomainError>(repair.settings.len())
            };
            // one group's failure (say, a concurrent change) does not stop the others
            match repaired.await {
                Ok(updated) => report.workspaces_updated += updated,
                Err(_) => report.groups_failed += 1,
            }
        }
        Ok(report)
    }

    /// Restores the structural invariants of every active group and fills in missing default models; then
    /// gives every account with a workspace a current one.
    ///
    /// # Errors
    /// `Forbidden` unless a platform admin.
    pub async fn repair_system_default(&self, actor: &Account) -> DomainResult<RepairReport> {
        self.require_platform_admin(actor)?;
        let now = self.ports.clock.now();
        let mut report = RepairReport::default();
        for group_id in self.ports.groups.active_group_ids().await? {
            report.groups += 1;
            let repaired = async {
                let (repair, without_members) =
                    plan_system_default(&self.ports.groups.group_snapshot(group_id).await?, now);
                if !repair.is_empty() {
                    self.ports.groups.apply_group_repair(&repair).await?;
                }
                Ok::<_, DomainError>((repair, without_members))
            };
            match repaired.await {
                Ok((repair, without_members)) => {
                    report.shadow_tenants_created += usize::from(repair.create_shadow.is_some());
                    report.members_added += repair.add_tenant_members.len();
                    report.owners_assigned += repair.set_roles.len();
                    report.workspaces_without_members += without_members;
                    report.workspaces_updated += repair.settings.len();
                }
                Err(_) => report.groups_failed += 1,
            }
        }
        loop {
            let batch = self.ports.workspaces.accounts_without_current_workspace(500).await?;
            if batch.is_empty() {
                break;
            }
            for account in &batch {
                // choosing the oldest normal membership is what reading the current workspace does
                if self.ports.workspaces.current_workspace_of(*account).await?.is_some() {
                    report.current_workspaces_set += 1;
                }
            }
            if batch.len() < 500 {
                break;
            }
        }
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::model::{GroupMembership, GroupRole, GroupStatus};
    use crate::usecases::test_support::NOW;

    fn group(defaults: Value) -> EnterpriseGroup {
        EnterpriseGroup {
            id: Uuid::new_v4(),
            name: "G".into(),
            short_name: None,
            status: GroupStatus::Active,
            workspace_defaults: defaults,
            created_at: NOW,
            updated_at: NOW,
        }
    }

    fn join(tenant: Uuid, account: Uuid, role: WorkspaceRole, secs: i64) -> WorkspaceMembership {
        WorkspaceMembership::new(tenant, account, role, NOW + time::Duration::seconds(secs))
    }

    #[test]
    fn defaults_documents_are_checked() {
        assert!(parse_workspace_defaults(
            json!({"model_providers": [{"provider": "openai"}], "system_default_models": {}})
        )
        .is_ok());
        assert!(parse_workspace_defaults(json!({})).is_ok());
        assert!(matches!(parse_workspace_defaults(json!([])), Err(DomainError::Invalid { field: "body", .. })));
        assert!(matches!(parse_workspace_defaults(json!({"x": 1})), Err(DomainError::Invalid { field: "body", .. })));
        assert!(matches!(
            parse_workspace_defaults(json!({"model_providers": [{"name": "x"}]})),
            Err(DomainError::Invalid { field: "model_providers", .. })
        ));
        assert!(matches!(
            parse_workspace_defaults(json!({"system_default_models": []})),
            Err(DomainError::Invalid { field: "system_default_models", .. })
        ));
    }

    #[test]
    fn system_default_restores_shadow_membership_and_owners() {
        let g = group(json!({"system_default_models": {"llm": {"provider": "openai", "model": "gpt"}}}));
        let (owner, alice, bob) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
        let w = Workspace::new(Uuid::new_v4(), "W".into(), Some(g.id), NOW);
        let snapshot = GroupSnapshot {
            members: vec![
                GroupMembership { group_id: g.id, account_id: owner, role: GroupRole::SuperAdmin, created_at: NOW },
                GroupMembership { group_id: g.id, account_id: alice, role: GroupRole::Normal, created_at: NOW },
            ],
            // no shadow tenant; W has a normal and an admin member but no owner
            tenants: vec![w.clone()],
            tenant_members: vec![join(w.id, bob, WorkspaceRole::Normal, 1), join(w.id, alice, WorkspaceRole::Admin, 2)],
            group: g.clone(),
        };
        let (repair, empty) = plan_system_default(&snapshot, NOW);
        assert_eq!(empty, 0);
        assert_eq!(repair.create_shadow.as_ref().map(|t| t.id), Some(g.id));
        assert_eq!(repair.add_tenant_members.len(), 2, "both group members join the new shadow");
        assert!(
            repair.set_roles.contains(&(w.id, alice, WorkspaceRole::Owner)),
            "the admin becomes owner: {:?}",
            repair.set_roles
        );
        assert!(repair.set_roles.contains(&(g.id, owner, WorkspaceRole::Owner)), "the group owner owns the shadow");
        assert_eq!(repair.settings.len(), 2);
        // applying it leaves nothing to do
        let mut fixed = snapshot.clone();
        fixed.tenants.push(repair.create_shadow.clone().unwrap());
        fixed.tenant_members.extend(repair.add_tenant_members.clone());
        for (t, a, r) in &repair.set_roles {
            fixed
                .tenant_members
                .iter_mut()
                .filter(|j| j.tenant_id == *t && j.account_id == *a)
                .for_each(|j| j.role = *r);
        }
        for (t, s) in &repair.settings {
            fixed.tenants.iter_mut().filter(|x| x.id == *t).for_each(|x| x.settings = s.clone());
        }
        assert!(plan_system_default(&fixed, NOW).0.is_empty());
    }

    #[test]
    fn model_providers_follow_the_group() {
        let g = group(json!({"model_providers": [{"provider": "openai"}]}));
        let mut same = Workspace::new(Uuid::new_v4(), "A".into(), Some(g.id), NOW);
        same.settings = json!({"model_providers": [{"provider": "openai"}], "other": 1});
        let mut diverged = Workspace::new(Uuid::new_v4(), "B".into(), Some(g.id), NOW);
        diverged.settings = json!({"model_providers": [], "other": 2});
        let snapshot =
            GroupSnapshot { group: g, tenants: vec![same, diverged.clone()], members: vec![], tenant_members: vec![] };
        let repair = plan_model_providers(&snapshot);
        assert_eq!(
            repair.settings,
            vec![(diverged.id, json!({"model_providers": [{"provider": "openai"}], "other": 2}))]
        );
    }
}
