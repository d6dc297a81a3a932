//! `accountd seed`'s population: generated inside Postgres, usable through the API.

use awc::http::StatusCode;
use diesel::prelude::*;

use crate::helpers::*;

#[derive(QueryableByName)]
struct Text {
    #[diesel(sql_type = diesel::sql_types::Text)]
    value: String,
}

#[actix_web::test]
async fn seeding_fills_an_installed_postgres_database_and_refuses_sqlite() {
    let sqlite = testkit::TestDb::sqlite();
    let plan = db::seed::SeedPlan::scaled(2000);
    assert!(db::seed::seed(&mut sqlite.connect().get().unwrap(), &plan, "h", "m").is_err());
    if !testkit::postgres_enabled() {
        return;
    }
    let app = spawn_app(Kind::Postgres).await;
    let admin = app.admin().await;
    let admin_id = app.get("/console/api/account/profile", Some(&admin)).await.body["id"].as_str().unwrap().to_owned();
    let database = db::Database::connect(app.db.url(), &db::DbOptions { pool_size: 1, ..Default::default() }).unwrap();
    let mut conn = database.get().unwrap();
    // every seeded account gets the admin's own hash, so it signs in with the admin's password
    let hash = diesel::sql_query(format!("SELECT password_hash AS value FROM accounts WHERE id = '{admin_id}'"))
        .get_result::<Text>(&mut *conn)
        .unwrap()
        .value;
    assert_eq!((plan.groups, plan.workspaces, plan.datasets), (2, 200, 200));
    db::seed::seed(&mut conn, &plan, &hash, &admin_id).unwrap();
    assert!(db::seed::seed(&mut conn, &plan, &hash, &admin_id).is_err(), "a second seeding collides");
    drop(conn);

    let (user, _) = app.tokens("user7@corp.example", ADMIN_PASSWORD).await;
    assert_eq!(app.get("/console/api/account/profile", Some(&user)).await.status, StatusCode::OK);
    assert_error(&app.login("user97@corp.example", ADMIN_PASSWORD).await, 400, "account_banned");
    // the admin's console now lists the first seeded group: 1000 accounts and the admin
    let (admin, _) = app.tokens(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let r = app.get("/console/api/account-ex/list?page=1&limit=20", Some(&admin)).await;
    assert_eq!((r.status, r.body["total"].clone()), (StatusCode::OK, serde_json::json!(1001)), "{}", r.body);
}
