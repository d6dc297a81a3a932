//! accountd's domain with adapters of this program's own: workspaces, memberships and datasets live in memory,
//! secrets come from this file, and every other port stays [`domain::ports::Unsupported`]. It runs the dataset
//! and workspace use cases as a service embedding the domain would, and checks each answer (a wrong one panics,
//! so the process fails).

mod memory;
mod secrets;

use std::sync::Arc;

use domain::model::{Account, DatasetPermission, Workspace, WorkspaceMembership, WorkspaceRole};
use domain::usecases::{DatasetInput, Ports, Settings, UseCases};
use domain::DomainError;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::memory::{Datasets, Directory};
use crate::secrets::Secrets;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), DomainError> {
    let now = OffsetDateTime::now_utc();
    let person = |name: &str| Account::new(Uuid::new_v4(), name.into(), Some(format!("{name}@example.com")), now);
    let (alice, bob, carol, dave) = (person("alice"), person("bob"), person("carol"), person("dave"));

    // this program's own store, filled as its own data: one workspace, three members, one outsider
    let directory = Arc::new(Directory::default());
    let research = Workspace::new(Uuid::new_v4(), "Research".into(), None, now);
    let join = |account: &Account, role| WorkspaceMembership {
        current: true,
        ..WorkspaceMembership::new(research.id, account.id, role, now)
    };
    directory.add_workspace(research.clone());
    for (account, role) in
        [(&alice, WorkspaceRole::Owner), (&bob, WorkspaceRole::Editor), (&carol, WorkspaceRole::Normal)]
    {
        directory.add_member(account.clone(), join(account, role));
    }
    directory.add_account(dave.clone());

    let secrets = Arc::new(Secrets::new(b"a key of this program's own"));
    let ports = Ports {
        workspaces: directory.clone(),
        datasets: Arc::new(Datasets::new(directory.clone())),
        ..Ports::minimal(secrets.clone(), secrets)
    };
    let use_cases = UseCases::new(ports, Settings::default());

    // alice creates a dataset only she may open
    let input = DatasetInput {
        name: Some("Interviews".into()),
        permission: Some(DatasetPermission::OnlyMe),
        ..Default::default()
    };
    let interviews = use_cases.create_dataset(&alice, input).await?;
    println!("alice created {:?} ({:?}) in {}", interviews.name, interviews.permission, research.name);
    assert!(matches!(use_cases.get_dataset(&bob, interviews.id).await, Err(DomainError::Forbidden(_))));
    assert!(matches!(use_cases.get_dataset(&dave, interviews.id).await, Err(DomainError::NotFound { .. })));
    println!("bob may not open it; for dave, outside the workspace, it does not exist");

    // she shares it with carol only
    let share = DatasetInput {
        permission: Some(DatasetPermission::PartialMembers),
        partial_members: Some(vec![carol.id]),
        ..Default::default()
    };
    use_cases.update_dataset(&alice, interviews.id, share).await?;
    assert_eq!(use_cases.get_dataset(&carol, interviews.id).await?.name, "Interviews");
    assert!(matches!(use_cases.get_dataset(&bob, interviews.id).await, Err(DomainError::Forbidden(_))));
    let page = domain::model::PageRequest { page: 1, limit: 20 };
    assert_eq!(use_cases.list_datasets(&carol, None, page).await?.total, 1);
    assert_eq!(use_cases.list_datasets(&bob, None, page).await?.total, 0);
    println!("shared with carol: she opens and lists it, bob still does not");

    // a partial-member list only takes members of the workspace
    let outsider = DatasetInput { partial_members: Some(vec![dave.id]), ..Default::default() };
    let refused = use_cases.update_dataset(&alice, interviews.id, outsider).await.unwrap_err();
    assert!(matches!(refused, DomainError::Invalid { field: "partial_member_list", .. }), "{refused}");
    println!("sharing with dave is refused: {refused}");

    // roles decide who creates datasets and who manages the workspace
    let draft = || DatasetInput { name: Some("Draft".into()), ..Default::default() };
    use_cases.create_dataset(&bob, draft()).await?;
    assert!(matches!(use_cases.create_dataset(&carol, draft()).await, Err(DomainError::Forbidden(_))));
    println!("bob (editor) creates a dataset, carol (normal) may not");
    assert!(!use_cases.may_manage_workspace(&bob, research.id).await?);
    use_cases.update_member_role(&alice, bob.id, WorkspaceRole::Admin).await?;
    assert!(use_cases.may_manage_workspace(&bob, research.id).await?);
    assert!(!use_cases.may_manage_workspace(&carol, research.id).await?);
    println!("alice makes bob an admin: he now manages {}, carol does not", research.name);

    // a port this program does not provide says so
    let unsupported = use_cases.is_setup().await.unwrap_err();
    println!("not provided here: {unsupported}");
    assert!(unsupported.to_string().contains("InstallationRepository::setup_completed_at"));

    println!("ok: every answer as expected");
    Ok(())
}
