//! In-memory storage adapters: the workspace and dataset ports of accountd's domain, implemented in full over
//! maps behind a mutex. Each method keeps the contract written on the port (ordering, errors, one owner per
//! workspace); nothing here survives the process.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use domain::model::{
    Account, Dataset, DatasetPermission, DatasetView, Page, PageRequest, Workspace, WorkspaceMembership, WorkspaceRole,
    WorkspaceStatus,
};
use domain::ports::{DatasetRepository, DatasetViewer, WorkspaceRepository, WorkspaceScope, WorkspaceWrite};
use domain::{DomainError, DomainResult};
use uuid::Uuid;

/// Accounts, workspaces and memberships.
#[derive(Default)]
pub struct Directory {
    data: Mutex<DirectoryData>,
}

#[derive(Default)]
struct DirectoryData {
    accounts: HashMap<Uuid, Account>,
    workspaces: HashMap<Uuid, Workspace>,
    memberships: Vec<WorkspaceMembership>,
}

impl DirectoryData {
    fn membership_mut(&mut self, tenant_id: Uuid, account_id: Uuid) -> Option<&mut WorkspaceMembership> {
        self.memberships.iter_mut().find(|m| m.tenant_id == tenant_id && m.account_id == account_id)
    }

    /// The account's memberships of normal workspaces, oldest first.
    fn normal_memberships(&self, account_id: Uuid) -> Vec<(Workspace, WorkspaceMembership)> {
        let mut found: Vec<_> = self
            .memberships
            .iter()
            .filter(|m| m.account_id == account_id)
            .filter_map(|m| self.workspaces.get(&m.tenant_id).map(|w| (w.clone(), m.clone())))
            .filter(|(w, _)| w.status == WorkspaceStatus::Normal)
            .collect();
        found.sort_by_key(|(_, m)| m.created_at);
        found
    }

    /// Checks that `owner_id` owns the workspace and `account_id` is another member of it.
    fn check_owner_over(&self, tenant_id: Uuid, owner_id: Uuid, account_id: Uuid) -> DomainResult<()> {
        let role = |a| self.memberships.iter().find(|m| m.tenant_id == tenant_id && m.account_id == a).map(|m| m.role);
        if role(owner_id) != Some(WorkspaceRole::Owner) {
            return Err(DomainError::Forbidden("Only the workspace owner can manage members."));
        }
        match role(account_id) {
            None => Err(DomainError::NotFound { entity: "workspace member" }),
            Some(WorkspaceRole::Owner) => Err(DomainError::Stale),
            Some(_) => Ok(()),
        }
    }
}

impl Directory {
    fn data(&self) -> MutexGuard<'_, DirectoryData> {
        self.data.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Stores an account.
    pub fn add_account(&self, account: Account) {
        self.data().accounts.insert(account.id, account);
    }

    /// Stores a workspace.
    pub fn add_workspace(&self, workspace: Workspace) {
        self.data().workspaces.insert(workspace.id, workspace);
    }

    /// Stores an account with its membership of a workspace.
    pub fn add_member(&self, account: Account, membership: WorkspaceMembership) {
        let mut data = self.data();
        data.accounts.insert(account.id, account);
        data.memberships.push(membership);
    }

    /// The name of an account and of a workspace, for listings.
    fn names(&self, account_id: Uuid, tenant_id: Uuid) -> (Option<String>, String) {
        let data = self.data();
        let account = data.accounts.get(&account_id).filter(|a| a.deleted_at.is_none()).map(|a| a.name.clone());
        (account, data.workspaces.get(&tenant_id).map(|w| w.name.clone()).unwrap_or_default())
    }

    fn workspaces_of_group(&self, group_id: Uuid) -> Vec<Uuid> {
        self.data().workspaces.values().filter(|w| w.group_id == Some(group_id)).map(|w| w.id).collect()
    }

    fn is_member(&self, tenant_id: Uuid, account_id: Uuid) -> bool {
        self.data().memberships.iter().any(|m| m.tenant_id == tenant_id && m.account_id == account_id)
    }
}

/// One page of `items` (already in order).
fn page_of<T>(items: Vec<T>, page: PageRequest) -> Page<T> {
    let total = items.len() as i64;
    let skip = usize::try_from(page.offset()).unwrap_or(usize::MAX);
    Page { items: items.into_iter().skip(skip).take(page.limit as usize).collect(), total, request: page }
}

#[async_trait]
impl WorkspaceRepository for Directory {
    async fn current_workspace_of(&self, account_id: Uuid) -> DomainResult<Option<(Workspace, WorkspaceMembership)>> {
        let mut data = self.data();
        let normal = data.normal_memberships(account_id);
        if let Some(current) = normal.iter().find(|(_, m)| m.current) {
            return Ok(Some(current.clone()));
        }
        let Some((workspace, mut oldest)) = normal.into_iter().next() else { return Ok(None) };
        oldest.current = true;
        if let Some(m) = data.membership_mut(workspace.id, account_id) {
            m.current = true;
        }
        Ok(Some((workspace, oldest)))
    }

    async fn get_workspace(&self, id: Uuid) -> DomainResult<Option<Workspace>> {
        Ok(self.data().workspaces.get(&id).cloned())
    }

    async fn find_workspace_by_code(&self, code: &str) -> DomainResult<Option<Workspace>> {
        Ok(self.data().workspaces.values().find(|w| w.code.as_deref() == Some(code)).cloned())
    }

    async fn create_workspace(&self, tenant: &Workspace, owner: &WorkspaceMembership) -> DomainResult<()> {
        let mut data = self.data();
        let taken = tenant.group_id.is_some()
            && data.workspaces.values().any(|w| w.group_id == tenant.group_id && w.name == tenant.name);
        if taken {
            return Err(DomainError::Conflict { field: "name" });
        }
        data.workspaces.insert(tenant.id, tenant.clone());
        data.memberships.push(owner.clone());
        Ok(())
    }

    async fn group_workspaces(
        &self,
        group_id: Uuid,
        scope: WorkspaceScope,
        status: Option<WorkspaceStatus>,
        page: PageRequest,
    ) -> DomainResult<Page<Workspace>> {
        let data = self.data();
        let membership =
            |w: &Workspace, a: Uuid| data.memberships.iter().find(|m| m.tenant_id == w.id && m.account_id == a);
        let mut found: Vec<Workspace> = data
            .workspaces
            .values()
            .filter(|w| w.group_id == Some(group_id) && w.id != group_id)
            .filter(|w| status.is_none_or(|s| w.status == s))
            .filter(|w| match scope {
                WorkspaceScope::All => true,
                WorkspaceScope::JoinedBy(a) => membership(w, a).is_some(),
                WorkspaceScope::NotJoinedBy(a) => membership(w, a).is_none(),
                WorkspaceScope::ManagedBy { account, permission } => membership(w, account).is_some_and(|m| {
                    matches!(m.role, WorkspaceRole::Owner | WorkspaceRole::Admin)
                        || permission.is_some_and(|p| m.permissions.contains(&p))
                }),
            })
            .cloned()
            .collect();
        found.sort_by_key(|w| std::cmp::Reverse(w.created_at));
        Ok(page_of(found, page))
    }

    async fn workspaces_of(&self, account_id: Uuid) -> DomainResult<Vec<(Workspace, WorkspaceMembership)>> {
        Ok(self.data().normal_memberships(account_id))
    }

    async fn workspace_membership(
        &self,
        tenant_id: Uuid,
        account_id: Uuid,
    ) -> DomainResult<Option<WorkspaceMembership>> {
        Ok(self.data().memberships.iter().find(|m| m.tenant_id == tenant_id && m.account_id == account_id).cloned())
    }

    async fn workspace_members_of(&self, tenant_id: Uuid) -> DomainResult<Vec<(Account, WorkspaceMembership)>> {
        let data = self.data();
        let mut members: Vec<_> = data
            .memberships
            .iter()
            .filter(|m| m.tenant_id == tenant_id)
            .filter_map(|m| {
                data.accounts.get(&m.account_id).filter(|a| a.deleted_at.is_none()).map(|a| (a.clone(), m.clone()))
            })
            .collect();
        members.sort_by_key(|(_, m)| (m.role != WorkspaceRole::Owner, m.created_at));
        Ok(members)
    }

    async fn set_workspace_role(
        &self,
        tenant_id: Uuid,
        owner_id: Uuid,
        account_id: Uuid,
        role: WorkspaceRole,
    ) -> DomainResult<()> {
        let mut data = self.data();
        data.check_owner_over(tenant_id, owner_id, account_id)?;
        if role == WorkspaceRole::Owner {
            if let Some(old_owner) = data.membership_mut(tenant_id, owner_id) {
                old_owner.role = WorkspaceRole::Admin;
            }
        }
        if let Some(member) = data.membership_mut(tenant_id, account_id) {
            member.role = role;
        }
        Ok(())
    }

    async fn remove_workspace_member(&self, tenant_id: Uuid, owner_id: Uuid, account_id: Uuid) -> DomainResult<()> {
        let mut data = self.data();
        data.check_owner_over(tenant_id, owner_id, account_id)?;
        data.memberships.retain(|m| !(m.tenant_id == tenant_id && m.account_id == account_id));
        Ok(())
    }

    async fn accounts_without_current_workspace(&self, limit: i64) -> DomainResult<Vec<Uuid>> {
        let data = self.data();
        let mut without: Vec<Uuid> = data
            .accounts
            .keys()
            .filter(|a| {
                let normal = data.normal_memberships(**a);
                !normal.is_empty() && !normal.iter().any(|(_, m)| m.current)
            })
            .copied()
            .collect();
        without.truncate(usize::try_from(limit).unwrap_or(0));
        Ok(without)
    }

    async fn switch_workspace_of(&self, account_id: Uuid, tenant_id: Uuid) -> DomainResult<()> {
        let mut data = self.data();
        if data.membership_mut(tenant_id, account_id).is_none() {
            return Err(DomainError::NotFound { entity: "workspace membership" });
        }
        for m in data.memberships.iter_mut().filter(|m| m.account_id == account_id) {
            m.current = m.tenant_id == tenant_id;
        }
        Ok(())
    }

    async fn save_workspace(&self, write: &WorkspaceWrite) -> DomainResult<()> {
        if !write.join_group.is_empty() {
            return Err(DomainError::internal_msg("this directory keeps no groups"));
        }
        let mut data = self.data();
        let workspace = &write.workspace;
        let stored = data.workspaces.get(&workspace.id).map(|w| w.updated_at);
        if stored != write.expected_updated_at {
            return Err(DomainError::Stale);
        }
        let taken = workspace.group_id.is_some()
            && data
                .workspaces
                .values()
                .any(|w| w.id != workspace.id && w.group_id == workspace.group_id && w.name == workspace.name);
        if taken {
            return Err(DomainError::Conflict { field: "name" });
        }
        data.workspaces.insert(workspace.id, workspace.clone());
        for m in &write.add {
            if data.membership_mut(m.tenant_id, m.account_id).is_none() {
                data.memberships.push(m.clone());
            }
        }
        data.memberships.retain(|m| {
            m.tenant_id != workspace.id || m.role == WorkspaceRole::Owner || !write.remove.contains(&m.account_id)
        });
        Ok(())
    }
}

/// Datasets, with the directory for visibility and the names listings show.
pub struct Datasets {
    directory: Arc<Directory>,
    datasets: Mutex<HashMap<Uuid, Dataset>>,
}

impl Datasets {
    /// An empty store over `directory`.
    pub fn new(directory: Arc<Directory>) -> Self {
        Self { directory, datasets: Mutex::default() }
    }

    fn datasets(&self) -> MutexGuard<'_, HashMap<Uuid, Dataset>> {
        self.datasets.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Whether `viewer` sees `dataset` in a listing (`in_group`: a group listing, where `all_group` counts).
    fn visible(&self, dataset: &Dataset, viewer: DatasetViewer, in_group: bool) -> bool {
        let DatasetViewer::Member(account) = viewer else { return true };
        let member = || self.directory.is_member(dataset.tenant_id, account);
        dataset.created_by == account
            || match dataset.permission {
                DatasetPermission::OnlyMe => false,
                DatasetPermission::AllTeamMembers => member(),
                DatasetPermission::PartialMembers => dataset.partial_members.contains(&account),
                DatasetPermission::AllGroup => in_group || member(),
            }
    }

    /// Datasets of `tenants` that `viewer` sees and whose name contains `search`, newest first, as a page.
    fn listing(
        &self,
        tenants: &[Uuid],
        viewer: DatasetViewer,
        search: Option<String>,
        in_group: bool,
        page: PageRequest,
    ) -> Page<DatasetView> {
        let search = search.map(|s| s.to_lowercase());
        let mut found: Vec<Dataset> = self
            .datasets()
            .values()
            .filter(|d| tenants.contains(&d.tenant_id))
            .filter(|d| search.as_ref().is_none_or(|s| d.name.to_lowercase().contains(s)))
            .cloned()
            .collect();
        found.retain(|d| self.visible(d, viewer, in_group));
        found.sort_by_key(|d| std::cmp::Reverse(d.created_at));
        let views = found
            .into_iter()
            .map(|dataset| {
                let (creator_name, tenant_name) = self.directory.names(dataset.created_by, dataset.tenant_id);
                DatasetView { dataset, tenant_name, creator_name }
            })
            .collect();
        page_of(views, page)
    }
}

#[async_trait]
impl DatasetRepository for Datasets {
    async fn insert(&self, dataset: &Dataset) -> DomainResult<()> {
        self.datasets().insert(dataset.id, dataset.clone());
        Ok(())
    }

    async fn get(&self, id: Uuid) -> DomainResult<Option<Dataset>> {
        Ok(self.datasets().get(&id).cloned())
    }

    async fn update(&self, dataset: &Dataset) -> DomainResult<()> {
        match self.datasets().get_mut(&dataset.id) {
            Some(stored) => {
                *stored = dataset.clone();
                Ok(())
            }
            None => Err(DomainError::NotFound { entity: "dataset" }),
        }
    }

    async fn delete(&self, id: Uuid) -> DomainResult<()> {
        self.datasets().remove(&id).map(drop).ok_or(DomainError::NotFound { entity: "dataset" })
    }

    async fn list_in_workspace(
        &self,
        tenant_id: Uuid,
        viewer: DatasetViewer,
        keyword: Option<String>,
        page: PageRequest,
    ) -> DomainResult<Page<DatasetView>> {
        Ok(self.listing(&[tenant_id], viewer, keyword, false, page))
    }

    async fn list_in_group(
        &self,
        group_id: Uuid,
        viewer: DatasetViewer,
        search: Option<String>,
        page: PageRequest,
    ) -> DomainResult<Page<DatasetView>> {
        let mut tenants = self.directory.workspaces_of_group(group_id);
        tenants.push(group_id);
        if let DatasetViewer::Member(account) = viewer {
            // a member lists the datasets of the group's workspaces it belongs to, plus every all_group one
            let all_group = |d: &Dataset| d.permission == DatasetPermission::AllGroup;
            let page_all = PageRequest { page: 1, limit: u32::MAX };
            let mut views = self.listing(&tenants, viewer, search, true, page_all).items;
            views.retain(|v| all_group(&v.dataset) || self.directory.is_member(v.dataset.tenant_id, account));
            return Ok(page_of(views, page));
        }
        Ok(self.listing(&tenants, viewer, search, true, page))
    }
}
