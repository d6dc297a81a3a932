use std::collections::HashMap;

use async_trait::async_trait;
use diesel::prelude::*;
use domain::model::{Dataset, DatasetView, Page, PageRequest};
use domain::ports::{DatasetRepository, DatasetViewer};
use domain::{DomainError, DomainResult};
use uuid::Uuid;

use crate::conn::DbConnection;
use crate::error::RepoError;
use crate::rows::{id_from_db, id_to_db, to_db, DatasetRow};
use crate::schema::{accounts, dataset_members, datasets, tenant_members, tenants};
use crate::Database;

diesel::define_sql_function!(fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text);

/// Datasets in the database.
#[derive(Debug, Clone)]
pub struct DieselDatasets {
    db: Database,
}

impl DieselDatasets {
    /// Repository over `db`.
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

/// `%text%` for a case-insensitive LIKE, with `%`, `_` and `\` taken literally.
fn contains_pattern(text: &str) -> String {
    let escaped: String = text
        .to_lowercase()
        .chars()
        .flat_map(|c| match c {
            '%' | '_' | '\\' => vec!['\\', c],
            c => vec![c],
        })
        .collect();
    format!("%{escaped}%")
}

fn write_members(conn: &mut DbConnection, dataset: &Dataset) -> Result<(), RepoError> {
    let id = id_to_db(dataset.id);
    diesel::delete(dataset_members::table.filter(dataset_members::dataset_id.eq(&id))).execute(conn)?;
    for account in &dataset.partial_members {
        diesel::insert_into(dataset_members::table)
            .values((
                dataset_members::dataset_id.eq(&id),
                dataset_members::account_id.eq(id_to_db(*account)),
                dataset_members::created_at.eq(to_db(dataset.updated_at)),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Partial-member lists of the given datasets.
fn members_of(conn: &mut DbConnection, ids: Vec<String>) -> Result<HashMap<String, Vec<Uuid>>, RepoError> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(String, String)> = dataset_members::table
        .filter(dataset_members::dataset_id.eq_any(ids))
        .order((dataset_members::dataset_id, dataset_members::created_at, dataset_members::account_id))
        .select((dataset_members::dataset_id, dataset_members::account_id))
        .load(conn)?;
    let mut map: HashMap<String, Vec<Uuid>> = HashMap::new();
    for (dataset, account) in rows {
        map.entry(dataset).or_default().push(id_from_db(&account)?);
    }
    Ok(map)
}

type Listed = (Vec<(DatasetRow, String, Option<String>)>, i64, HashMap<String, Vec<Uuid>>);

fn into_page(listed: Listed, page: PageRequest) -> DomainResult<Page<DatasetView>> {
    let (rows, total, mut members) = listed;
    let items = rows
        .into_iter()
        .map(|(row, tenant_name, creator_name)| {
            let partial = members.remove(&row.id).unwrap_or_default();
            Ok(DatasetView { dataset: row.into_domain(partial)?, tenant_name, creator_name })
        })
        .collect::<DomainResult<_>>()?;
    Ok(Page { items, total, request: page })
}

/// Which datasets a listing covers.
#[derive(Clone, Copy)]
enum Scope {
    Workspace(Uuid),
    Group(Uuid),
}

impl DieselDatasets {
    async fn list(
        &self,
        scope: Scope,
        viewer: DatasetViewer,
        search: Option<String>,
        page: PageRequest,
    ) -> DomainResult<Page<DatasetView>> {
        let listed = self
            .db
            .run(move |conn| {
                let query = || {
                    let mut q = datasets::table
                        .inner_join(tenants::table)
                        .left_join(accounts::table.on(accounts::id.eq(datasets::created_by)))
                        .into_boxed();
                    q = match scope {
                        Scope::Workspace(t) => q.filter(datasets::tenant_id.eq(id_to_db(t))),
                        Scope::Group(g) => q.filter(tenants::group_id.eq(id_to_db(g))),
                    };
                    if let Some(text) = search.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
                        q = q.filter(lower(datasets::name).like(contains_pattern(text)).escape('\\'));
                    }
                    if let DatasetViewer::Member(account) = viewer {
                        let me = id_to_db(account);
                        let joined = tenant_members::table
                            .filter(tenant_members::account_id.eq(me.clone()))
                            .select(tenant_members::tenant_id);
                        let listed_in = dataset_members::table
                            .filter(dataset_members::account_id.eq(me.clone()))
                            .select(dataset_members::dataset_id);
                        let in_team = datasets::tenant_id.eq_any(joined).and(
                            datasets::permission
                                .eq("all_team_members")
                                .or(datasets::permission.eq("partial_members").and(datasets::id.eq_any(listed_in))),
                        );
                        // all_group datasets reach every member of the group; in a workspace listing the viewer
                        // is a member of the workspace anyway
                        q = q.filter(datasets::created_by.eq(me).or(datasets::permission.eq("all_group")).or(in_team));
                    }
                    q
                };
                let total: i64 = query().count().get_result(conn)?;
                let rows = crate::repo::rows_of_page(total, page, || {
                    Ok(query()
                        .order((datasets::created_at.desc(), datasets::id.asc()))
                        .limit(i64::from(page.limit))
                        .offset(page.offset())
                        .select((DatasetRow::as_select(), tenants::name, accounts::name.nullable()))
                        .load::<(DatasetRow, String, Option<String>)>(conn)?)
                })?;
                // only datasets shared with some members have a member list
                let partial =
                    rows.iter().filter(|(r, _, _)| r.permission == "partial_members").map(|(r, _, _)| r.id.clone());
                let members = members_of(conn, partial.collect())?;
                Ok((rows, total, members))
            })
            .await?;
        into_page(listed, page)
    }
}

#[async_trait]
impl DatasetRepository for DieselDatasets {
    async fn insert(&self, dataset: &Dataset) -> DomainResult<()> {
        let dataset = dataset.clone();
        self.db
            .write(move |conn| {
                diesel::insert_into(datasets::table).values(DatasetRow::from(&dataset)).execute(conn)?;
                write_members(conn, &dataset)
            })
            .await
    }

    async fn get(&self, id: Uuid) -> DomainResult<Option<Dataset>> {
        let found = self
            .db
            .run(move |conn| {
                let row: Option<DatasetRow> =
                    datasets::table.find(id_to_db(id)).select(DatasetRow::as_select()).first(conn).optional()?;
                let Some(row) = row else { return Ok(None) };
                let mut members = members_of(conn, vec![row.id.clone()])?;
                let partial = members.remove(&row.id).unwrap_or_default();
                Ok(Some((row, partial)))
            })
            .await?;
        found.map(|(row, partial)| row.into_domain(partial)).transpose()
    }

    async fn update(&self, dataset: &Dataset) -> DomainResult<()> {
        let dataset = dataset.clone();
        self.db
            .write(move |conn| {
                let row = DatasetRow::from(&dataset);
                let n = diesel::update(datasets::table.find(&row.id)).set(&row).execute(conn)?;
                if n == 0 {
                    return Err(DomainError::NotFound { entity: "dataset" }.into());
                }
                write_members(conn, &dataset)
            })
            .await
    }

    async fn delete(&self, id: Uuid) -> DomainResult<()> {
        self.db
            .write(move |conn| {
                let id = id_to_db(id);
                diesel::delete(dataset_members::table.filter(dataset_members::dataset_id.eq(&id))).execute(conn)?;
                let n = diesel::delete(datasets::table.find(&id)).execute(conn)?;
                if n == 0 {
                    return Err(DomainError::NotFound { entity: "dataset" }.into());
                }
                Ok(())
            })
            .await
    }

    async fn list_in_workspace(
        &self,
        tenant_id: Uuid,
        viewer: DatasetViewer,
        keyword: Option<String>,
        page: PageRequest,
    ) -> DomainResult<Page<DatasetView>> {
        self.list(Scope::Workspace(tenant_id), viewer, keyword, page).await
    }

    async fn list_in_group(
        &self,
        group_id: Uuid,
        viewer: DatasetViewer,
        search: Option<String>,
        page: PageRequest,
    ) -> DomainResult<Page<DatasetView>> {
        self.list(Scope::Group(group_id), viewer, search, page).await
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn search_patterns_take_wildcards_literally() {
        assert_eq!(super::contains_pattern("A_b%"), "%a\\_b\\%%");
    }
}
