//! Datasets (knowledge-base metadata) of the current workspace, and the group-wide dataset listing.
//!
//! Visibility: the creator always; `all_team_members` — members of the workspace; `partial_members` — the
//! members on the list; `all_group` — members of the workspace's group; the workspace owner sees every dataset
//! of the workspace. Creating needs the owner, admin, editor or dataset_operator role, or the
//! `create_knowledge` permission; changing and deleting need visibility plus being the creator or holding one
//! of those roles.

use uuid::Uuid;

use crate::error::{DomainError, DomainResult};
use crate::model::{
    Account, Dataset, DatasetPermission, DatasetView, GroupRole, Page, PageRequest, WorkspaceMembership,
    WorkspacePermission, WorkspaceRole,
};
use crate::policy::{self, Subject};
use crate::ports::DatasetViewer;
use crate::values::{nullable_change, optional_text, required_text};

use super::groups::Visible;
use super::UseCases;

/// Longest dataset name.
pub const DATASET_NAME_MAX: usize = 40;
/// Most members on a `partial_members` list.
pub const MAX_PARTIAL_MEMBERS: usize = 1000;
/// Longest dataset description.
pub const DATASET_DESCRIPTION_MAX: usize = 400;

/// Longest indexing technique, icon or icon background of a dataset.
pub const DATASET_ATTRIBUTE_MAX: usize = 255;

/// Fields of a dataset to set; `None` leaves a field as it is (or at its default on creation).
#[derive(Debug, Clone, Default)]
pub struct DatasetInput {
    /// Name.
    pub name: Option<String>,
    /// Description (`Some(None)` clears it).
    pub description: Option<Option<String>>,
    /// Visibility.
    pub permission: Option<DatasetPermission>,
    /// Members allowed under `partial_members`.
    pub partial_members: Option<Vec<Uuid>>,
    /// `high_quality` or `economy` (checked by the dialect).
    pub indexing_technique: Option<Option<String>>,
    /// Icon.
    pub icon: Option<Option<String>>,
    /// Icon background.
    pub icon_background: Option<Option<String>>,
}

fn edits_datasets(m: &WorkspaceMembership) -> bool {
    matches!(
        m.role,
        WorkspaceRole::Owner | WorkspaceRole::Admin | WorkspaceRole::Editor | WorkspaceRole::DatasetOperator
    )
}

fn sees(dataset: &Dataset, viewer: &Account, membership: Option<&WorkspaceMembership>, in_group: bool) -> bool {
    dataset.created_by == viewer.id
        || membership.is_some_and(|m| m.role == WorkspaceRole::Owner)
        || match dataset.permission {
            DatasetPermission::OnlyMe => false,
            DatasetPermission::AllTeamMembers => membership.is_some(),
            DatasetPermission::PartialMembers => dataset.partial_members.contains(&viewer.id),
            DatasetPermission::AllGroup => membership.is_some() || in_group,
        }
}

impl UseCases {
    /// Applies `input` to `dataset`, checking names and that partial members belong to the workspace.
    async fn apply_dataset_input(&self, dataset: &mut Dataset, input: DatasetInput) -> DomainResult<()> {
        if let Some(name) = input.name {
            dataset.name = required_text("name", &name, DATASET_NAME_MAX)?;
        }
        if let Some(description) = input.description {
            dataset.description = optional_text("description", description.as_deref(), DATASET_DESCRIPTION_MAX)?;
        }
        if let Some(permission) = input.permission {
            dataset.permission = permission;
        }
        if let Some(mut members) = input.partial_members {
            members.sort();
            members.dedup();
            if members.len() > MAX_PARTIAL_MEMBERS {
                return Err(DomainError::invalid(
                    "partial_member_list",
                    format!("At most {MAX_PARTIAL_MEMBERS} members."),
                ));
            }
            for id in &members {
                if self.ports.workspaces.workspace_membership(dataset.tenant_id, *id).await?.is_none() {
                    return Err(DomainError::invalid(
                        "partial_member_list",
                        format!("{id} is not a member of this workspace."),
                    ));
                }
            }
            dataset.partial_members = members;
        }
        for (field, slot, value) in [
            ("indexing_technique", &mut dataset.indexing_technique, input.indexing_technique),
            ("icon", &mut dataset.icon, input.icon),
            ("icon_background", &mut dataset.icon_background, input.icon_background),
        ] {
            if let Some(value) = nullable_change(value, |v| required_text(field, v, DATASET_ATTRIBUTE_MAX))? {
                *slot = value;
            }
        }
        if dataset.permission != DatasetPermission::PartialMembers {
            dataset.partial_members.clear();
        }
        Ok(())
    }

    /// Creates a dataset in the actor's current workspace.
    ///
    /// # Errors
    /// `Forbidden` without a role or permission that creates datasets; `Invalid` for bad fields.
    ///
    /// ```
    /// # use domain::model::{DatasetPermission, PageRequest};
    /// # use domain::usecases::{DatasetInput, UseCases};
    /// # async fn demo(use_cases: &UseCases, bearer: &str) -> domain::DomainResult<()> {
    /// let me = use_cases.authenticate(bearer).await?;
    /// let input = DatasetInput {
    ///     name: Some("Handbook".into()),
    ///     permission: Some(DatasetPermission::AllTeamMembers),
    ///     ..Default::default()
    /// };
    /// let handbook = use_cases.create_dataset(&me, input).await?;
    /// // whoever may see it opens it; the others get Forbidden, or NotFound outside the workspace
    /// let opened = use_cases.get_dataset(&me, handbook.id).await?;
    /// let listed = use_cases.list_datasets(&me, Some("hand".into()), PageRequest { page: 1, limit: 20 }).await?;
    /// assert!(listed.items.iter().any(|view| view.dataset.id == opened.id));
    /// # Ok(()) }
    /// ```
    pub async fn create_dataset(&self, actor: &Account, input: DatasetInput) -> DomainResult<Dataset> {
        let (tenant, mine) = self.current_workspace(actor).await?;
        if !edits_datasets(&mine) && !mine.permissions.contains(&WorkspacePermission::CreateKnowledge) {
            return Err(DomainError::Forbidden("You are not allowed to create datasets in this workspace."));
        }
        if input.name.is_none() {
            return Err(DomainError::invalid("name", "Missing required parameter in the JSON body"));
        }
        let now = self.ports.clock.now();
        let mut dataset = Dataset::new(self.ports.ids.new_id(), tenant.id, String::new(), actor.id, now);
        self.apply_dataset_input(&mut dataset, input).await?;
        self.ports.datasets.insert(&dataset).await?;
        Ok(dataset)
    }

    /// Datasets of the actor's current workspace that it may see, filtered by `keyword`.
    pub async fn list_datasets(
        &self,
        actor: &Account,
        keyword: Option<String>,
        page: PageRequest,
    ) -> DomainResult<Page<DatasetView>> {
        let (tenant, mine) = self.current_workspace(actor).await?;
        let viewer =
            if mine.role == WorkspaceRole::Owner { DatasetViewer::All } else { DatasetViewer::Member(actor.id) };
        self.ports.datasets.list_in_workspace(tenant.id, viewer, keyword, page).await
    }

    /// A dataset of one of the actor's workspaces, with the actor's membership there.
    ///
    /// # Errors
    /// `NotFound` for unknown datasets and datasets of workspaces the actor does not belong to; `Forbidden`
    /// when the actor may not see it.
    async fn visible_dataset(&self, actor: &Account, id: Uuid) -> DomainResult<(Dataset, Option<WorkspaceMembership>)> {
        let not_found = || DomainError::NotFound { entity: "dataset" };
        let dataset = self.ports.datasets.get(id).await?.ok_or_else(not_found)?;
        let mine = self.ports.workspaces.workspace_membership(dataset.tenant_id, actor.id).await?;
        // outside the workspace, only members of its group may know an all_group dataset exists
        let in_group = match (&mine, dataset.permission) {
            (None, DatasetPermission::AllGroup) => {
                let group = self.ports.workspaces.get_workspace(dataset.tenant_id).await?.and_then(|t| t.group_id);
                let groups = self.memberships(actor.id).await?;
                group.is_some_and(|g| groups.iter().any(|m| m.group_id == g))
            }
            _ => false,
        };
        if mine.is_none() && !in_group {
            return Err(not_found());
        }
        if !sees(&dataset, actor, mine.as_ref(), in_group) {
            return Err(DomainError::Forbidden("You do not have permission to access this dataset."));
        }
        Ok((dataset, mine))
    }

    /// A dataset the actor may see.
    ///
    /// # Errors
    /// As `visible_dataset`.
    pub async fn get_dataset(&self, actor: &Account, id: Uuid) -> DomainResult<Dataset> {
        Ok(self.visible_dataset(actor, id).await?.0)
    }

    async fn editable_dataset(&self, actor: &Account, id: Uuid) -> DomainResult<Dataset> {
        let (dataset, mine) = self.visible_dataset(actor, id).await?;
        if dataset.created_by != actor.id && !mine.as_ref().is_some_and(edits_datasets) {
            return Err(DomainError::Forbidden("You are not allowed to change this dataset."));
        }
        Ok(dataset)
    }

    /// Changes a dataset.
    ///
    /// # Errors
    /// As `visible_dataset`; `Forbidden` unless the creator or an editing role; `Invalid`.
    pub async fn update_dataset(&self, actor: &Account, id: Uuid, input: DatasetInput) -> DomainResult<Dataset> {
        let mut dataset = self.editable_dataset(actor, id).await?;
        self.apply_dataset_input(&mut dataset, input).await?;
        dataset.updated_by = Some(actor.id);
        dataset.updated_at = self.ports.clock.now();
        self.ports.datasets.update(&dataset).await?;
        Ok(dataset)
    }

    /// Deletes a dataset.
    ///
    /// # Errors
    /// As [`UseCases::update_dataset`].
    pub async fn delete_dataset(&self, actor: &Account, id: Uuid) -> DomainResult<()> {
        self.editable_dataset(actor, id).await?;
        self.ports.datasets.delete(id).await
    }

    /// Datasets across a group: everything for the group's super admin; for everyone else (platform admins
    /// included) what their memberships let them see.
    ///
    /// # Errors
    /// `NotFound` for groups the actor may not see.
    pub async fn group_datasets(
        &self,
        actor: &Account,
        group_id: Uuid,
        search: Option<String>,
        page: PageRequest,
    ) -> DomainResult<Page<DatasetView>> {
        let Visible { actor_groups, .. } = self.visible_group(actor, group_id).await?;
        let sees_all = policy::group_role_in(Subject { account: actor, groups: &actor_groups }, group_id)
            == Some(GroupRole::SuperAdmin);
        let viewer = if sees_all { DatasetViewer::All } else { DatasetViewer::Member(actor.id) };
        self.ports.datasets.list_in_group(group_id, viewer, search, page).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::usecases::test_support::NOW;

    fn dataset(permission: DatasetPermission, creator: Uuid, partial: Vec<Uuid>) -> Dataset {
        Dataset {
            permission,
            partial_members: partial,
            ..Dataset::new(Uuid::new_v4(), Uuid::new_v4(), "d".into(), creator, NOW)
        }
    }

    fn membership(role: WorkspaceRole) -> WorkspaceMembership {
        WorkspaceMembership { current: true, ..WorkspaceMembership::new(Uuid::nil(), Uuid::nil(), role, NOW) }
    }

    #[test]
    fn visibility_rules() {
        let me = Account::new(Uuid::new_v4(), "me".into(), None, NOW);
        let other = Uuid::new_v4();
        let normal = membership(WorkspaceRole::Normal);
        let owner = membership(WorkspaceRole::Owner);
        assert!(sees(&dataset(DatasetPermission::OnlyMe, me.id, vec![]), &me, Some(&normal), false));
        assert!(!sees(&dataset(DatasetPermission::OnlyMe, other, vec![]), &me, Some(&normal), false));
        assert!(!sees(
            &dataset(DatasetPermission::OnlyMe, other, vec![]),
            &me,
            Some(&membership(WorkspaceRole::Admin)),
            false
        ));
        assert!(sees(&dataset(DatasetPermission::OnlyMe, other, vec![]), &me, Some(&owner), false));
        assert!(sees(&dataset(DatasetPermission::AllTeamMembers, other, vec![]), &me, Some(&normal), false));
        assert!(!sees(&dataset(DatasetPermission::AllTeamMembers, other, vec![]), &me, None, true));
        assert!(sees(&dataset(DatasetPermission::PartialMembers, other, vec![me.id]), &me, Some(&normal), false));
        assert!(!sees(&dataset(DatasetPermission::PartialMembers, other, vec![other]), &me, Some(&normal), false));
        assert!(sees(&dataset(DatasetPermission::AllGroup, other, vec![]), &me, None, true));
        assert!(!sees(&dataset(DatasetPermission::AllGroup, other, vec![]), &me, None, false));
    }
}
