//! The SCIM 2.0 dialect over HTTP (`/scim/v2`): discovery, authentication and permissions, the user lifecycle
//! (create, get, replace, PATCH as identity providers send it, deactivate, delete), filters, paging, sorting,
//! attribute selection, ETags and RFC 7644 errors.

use awc::http::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::*;
use crate::http_test;

const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const PATCH: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const ERROR: &str = "urn:ietf:params:scim:api:messages:2.0:Error";

async fn scim(
    app: &TestApp,
    method: Method,
    path: &str,
    bearer: &str,
    body: Option<Value>,
    headers: &[(&str, &str)],
) -> Reply {
    let auth = format!("Bearer {bearer}");
    let mut all: Vec<(&str, &str)> = vec![("Authorization", auth.as_str())];
    all.extend_from_slice(headers);
    let body = body.map(|b| b.to_string());
    app.request(method, &format!("/scim/v2{path}"), None, body.as_deref().map(str::as_bytes), &all).await
}

/// An access key of the admin, as the bearer credential SCIM takes.
async fn admin_bearer(app: &TestApp) -> (String, String) {
    let admin = app.admin().await;
    let key = issue_key(app, &admin).await;
    (admin, format!("{}.{}", key.access_key, key.secret))
}

#[track_caller]
fn assert_scim_error(r: &Reply, status: u16, scim_type: Option<&str>) {
    assert_eq!(r.status.as_u16(), status, "{}", r.body);
    assert_eq!(r.body["schemas"], json!([ERROR]), "{}", r.body);
    assert_eq!(r.body["status"], status.to_string(), "{}", r.body);
    assert_eq!(r.body["scimType"].as_str(), scim_type, "{}", r.body);
    assert!(r.body["detail"].as_str().is_some_and(|d| !d.is_empty()), "{}", r.body);
    assert_eq!(r.headers.get("content-type").unwrap(), "application/scim+json", "{}", r.body);
}

fn new_user(user_name: &str, email: &str) -> Value {
    json!({
        "schemas": [USER, ENTERPRISE],
        "userName": user_name,
        "externalId": format!("ext-{user_name}"),
        "name": {"givenName": "Ann", "familyName": "Example"},
        "emails": [{"value": email, "type": "work", "primary": true}],
        "active": true,
        "password": "Scim-pass-1234",
        ENTERPRISE: {"department": "R&D", "employeeNumber": "42"},
    })
}

async fn create(app: &TestApp, bearer: &str, user_name: &str, email: &str) -> Value {
    let r = scim(app, Method::POST, "/Users", bearer, Some(new_user(user_name, email)), &[]).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    r.body
}

fn tag(r: &Reply) -> String {
    r.headers.get("etag").expect("an ETag").to_str().unwrap().to_owned()
}

http_test! {
    async fn discovery_describes_what_is_supported_without_credentials(kind) {
        let app = spawn_app(kind).await;
        let r = app.get("/scim/v2/ServiceProviderConfig", None).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.headers.get("content-type").unwrap(), "application/scim+json");
        assert_eq!((r.body["patch"]["supported"].clone(), r.body["bulk"]["supported"].clone()), (json!(true), json!(false)));
        assert_eq!((r.body["filter"]["maxResults"].clone(), r.body["etag"]["supported"].clone()), (json!(1000), json!(true)));
        let types = app.get("/scim/v2/ResourceTypes", None).await;
        assert_eq!(types.body["totalResults"], 2, "{}", types.body);
        assert_eq!(types.body["Resources"][1]["endpoint"], "/Groups");
        assert_eq!(types.body["Resources"][0]["endpoint"], "/Users");
        assert_eq!(app.get("/scim/v2/ResourceTypes/User", None).await.body["schema"], USER);
        let schemas = app.get("/scim/v2/Schemas", None).await;
        let names: Vec<&str> = schemas.body["Resources"][0]["attributes"].as_array().unwrap().iter().map(|a| a["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["userName", "name", "displayName", "emails", "phoneNumbers", "active", "password"]);
        let enterprise = app.get(&format!("/scim/v2/Schemas/{ENTERPRISE}"), None).await;
        assert_eq!(enterprise.body["attributes"].as_array().unwrap().len(), 5, "{}", enterprise.body);
        assert_scim_error(&app.get("/scim/v2/Schemas/urn:nope", None).await, 404, None);
        assert_scim_error(&app.get("/scim/v2/Groupz", None).await, 404, None);
    }

    async fn credentials_and_permissions_are_checked(kind) {
        let app = spawn_app(kind).await;
        let (admin, bearer) = admin_bearer(&app).await;
        // none, malformed, a wrong secret
        let r = app.get("/scim/v2/Users", None).await;
        assert_scim_error(&r, 401, None);
        assert!(r.headers.get("www-authenticate").unwrap().to_str().unwrap().starts_with("Bearer"));
        let wrong = format!("{}.wrong", bearer.split('.').next().unwrap());
        assert_scim_error(&scim(&app, Method::GET, "/Users", &wrong, None, &[]).await, 401, None);
        assert_scim_error(&scim(&app, Method::GET, "/Users", "no-dot", None, &[]).await, 401, None);
        // a normal user's key reads nothing and creates nothing
        create(&app, &bearer, "normal.one", "normal.one@example.com").await;
        let normal = app.tokens("normal.one@example.com", "Scim-pass-1234").await.0;
        let normal_key = issue_key(&app, &normal).await;
        let normal_bearer = format!("{}.{}", normal_key.access_key, normal_key.secret);
        assert_scim_error(&scim(&app, Method::GET, "/Users", &normal_bearer, None, &[]).await, 403, None);
        let r = scim(&app, Method::POST, "/Users", &normal_bearer, Some(new_user("by.normal", "by.normal@example.com")), &[]).await;
        assert_scim_error(&r, 403, None);
        // a disabled key is refused
        let key = issue_key(&app, &admin).await;
        let r = app.request(Method::PATCH, &format!("/console/api/access-keys/{}", key.id), Some(&admin), Some(br#"{"status":"disabled"}"#), &[]).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_scim_error(&scim(&app, Method::GET, "/Users", &format!("{}.{}", key.access_key, key.secret), None, &[]).await, 401, None);
    }

    async fn users_are_created_read_and_conditionally_fetched(kind) {
        let app = spawn_app(kind).await;
        let (_, bearer) = admin_bearer(&app).await;
        let r = scim(&app, Method::POST, "/Users", &bearer, Some(new_user("ann.example", "Ann@Example.com")), &[("Content-Type", "application/scim+json")]).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let user = r.body.clone();
        let id = user["id"].as_str().unwrap().to_owned();
        assert_eq!(r.headers.get("location").unwrap().to_str().unwrap(), format!("{}/scim/v2/Users/{id}", app.base));
        assert_eq!(tag(&r), user["meta"]["version"].as_str().unwrap());
        assert_eq!(user["schemas"], json!([USER, ENTERPRISE]));
        assert_eq!((user["userName"].clone(), user["displayName"].clone(), user["externalId"].clone()), (json!("ann.example"), json!("Ann Example"), json!("ext-ann.example")));
        assert_eq!(user["name"], json!({"formatted": "Ann Example", "givenName": "Ann", "familyName": "Example"}));
        assert_eq!(user["emails"], json!([{"value": "Ann@Example.com", "type": "work", "primary": true}]));
        assert_eq!((user["active"].clone(), user[ENTERPRISE].clone()), (json!(true), json!({"employeeNumber": "42", "department": "R&D"})));
        assert!(user.get("password").is_none(), "the password is never returned");
        assert_eq!(user["meta"]["resourceType"], "User");

        // the password set through SCIM signs in to the console
        assert_eq!(app.login("ann@example.com", "Scim-pass-1234").await.status, StatusCode::OK);

        let r = scim(&app, Method::GET, &format!("/Users/{id}"), &bearer, None, &[]).await;
        assert_eq!((r.status, r.body.clone()), (StatusCode::OK, user.clone()));
        let version = tag(&r);
        let r = scim(&app, Method::GET, &format!("/Users/{id}"), &bearer, None, &[("If-None-Match", &version)]).await;
        assert_eq!(r.status, StatusCode::NOT_MODIFIED);
        let r = scim(&app, Method::GET, &format!("/Users/{id}?attributes=userName,emails.value"), &bearer, None, &[]).await;
        assert_eq!(r.body, json!({"schemas": [USER, ENTERPRISE], "id": id, "userName": "ann.example", "emails": [{"value": "Ann@Example.com"}]}));
        assert_scim_error(&scim(&app, Method::GET, &format!("/Users/{}", uuid::Uuid::new_v4()), &bearer, None, &[]).await, 404, None);
        assert_scim_error(&scim(&app, Method::GET, "/Users/not-an-id", &bearer, None, &[]).await, 404, None);

        // uniqueness: the login name, the email (any case) and the external id
        for (body, attribute) in [
            (json!({"schemas": [USER], "userName": "ann.example", "emails": [{"value": "other@example.com"}]}), "userName"),
            (json!({"schemas": [USER], "userName": "other", "emails": [{"value": "ANN@example.com"}]}), "emails"),
            (json!({"schemas": [USER], "userName": "third", "externalId": "ext-ann.example"}), "externalId"),
        ] {
            let r = scim(&app, Method::POST, "/Users", &bearer, Some(body), &[]).await;
            assert_scim_error(&r, 409, Some("uniqueness"));
            assert!(r.body["detail"].as_str().unwrap().contains(attribute), "{}", r.body);
        }
    }

    async fn bad_input_is_refused_with_the_rfc_error_and_no_write(kind) {
        let app = spawn_app(kind).await;
        let (_, bearer) = admin_bearer(&app).await;
        let post = |body: &'static [u8]| {
            let auth = format!("Bearer {bearer}");
            let app = &app;
            async move { app.request(Method::POST, "/scim/v2/Users", None, Some(body), &[("Authorization", auth.as_str())]).await }
        };
        assert_scim_error(&post(b"{not json").await, 400, Some("invalidSyntax"));
        assert_scim_error(&post(b"[1]").await, 400, Some("invalidSyntax"));
        for (body, names) in [
            (json!({"schemas": [USER]}), "userName"),
            (json!({"schemas": [USER], "userName": "bad name!"}), "userName"),
            (json!({"schemas": [USER], "userName": 5}), "userName"),
            (json!({"schemas": [USER], "userName": "x@example.com"}), "userName"),
            (json!({"schemas": [USER], "userName": "ok", "emails": [{"value": "not-an-email"}]}), "emails"),
            (json!({"schemas": [USER], "userName": "ok", "emails": [{"value": "a@example.com"}, {"value": "b@example.com"}]}), "emails"),
            (json!({"schemas": [USER], "userName": "ok", "phoneNumbers": [{"value": "call me"}]}), "phoneNumbers"),
            (json!({"schemas": [USER], "userName": "ok", "active": "maybe"}), "active"),
            (json!({"schemas": [USER], "userName": "ok", "password": "short"}), "password"),
        ] {
            let r = scim(&app, Method::POST, "/Users", &bearer, Some(body.clone()), &[]).await;
            assert_scim_error(&r, 400, Some("invalidValue"));
            assert!(r.body["detail"].as_str().unwrap().contains(names), "{body}: {}", r.body);
        }
        // a login name that is the user's own email is accepted
        let r = scim(&app, Method::POST, "/Users", &bearer, Some(json!({"schemas": [USER], "userName": "bo@example.com", "emails": [{"value": "Bo@example.com"}]})), &[]).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let listed = scim(&app, Method::GET, "/Users", &bearer, None, &[]).await;
        assert_eq!(listed.body["totalResults"], 2, "only the admin and Bo: {}", listed.body);
        for filter in ["userName", "userName eq", "(userName eq \"a\"", "userName eq a", "title eq \"x\"", "not userName eq \"a\""] {
            let r = scim(&app, Method::GET, &format!("/Users?filter={}", urlencoding(filter)), &bearer, None, &[]).await;
            assert_scim_error(&r, 400, Some("invalidFilter"));
        }
        assert_scim_error(&scim(&app, Method::GET, "/Users?sortBy=title", &bearer, None, &[]).await, 400, Some("invalidValue"));
        assert_scim_error(&scim(&app, Method::GET, "/Users?count=x", &bearer, None, &[]).await, 400, Some("invalidValue"));
    }

    async fn filters_pages_and_sorts(kind) {
        let app = spawn_app(kind).await;
        let (_, bearer) = admin_bearer(&app).await;
        for (name, email) in [("carol", "carol@corp.example"), ("dave", "dave@corp.example"), ("erin", "erin@home.example"), ("pct", "pct@corp.example")] {
            create(&app, &bearer, name, email).await;
        }
        let pct = scim(&app, Method::GET, "/Users?filter=userName%20eq%20%22pct%22", &bearer, None, &[]).await.body["Resources"][0]["id"].clone();
        let rename = json!({"schemas": [PATCH], "Operations": [{"op": "replace", "path": "displayName", "value": "100%_sure"}]});
        assert_eq!(scim(&app, Method::PATCH, &format!("/Users/{}", pct.as_str().unwrap()), &bearer, Some(rename), &[]).await.status, StatusCode::OK);
        let names = |r: &Reply| -> Vec<String> {
            r.body["Resources"].as_array().unwrap().iter().map(|u| u["userName"].as_str().unwrap().to_owned()).collect()
        };
        let list = |query: String| {
            let (app, bearer) = (&app, &bearer);
            async move {
                let r = scim(app, Method::GET, &format!("/Users?{query}"), bearer, None, &[]).await;
                assert_eq!(r.status, StatusCode::OK, "{query}: {}", r.body);
                r
            }
        };
        let by = |filter: &str| list(format!("filter={}&sortBy=userName", urlencoding(filter)));
        assert_eq!(names(&by("userName eq \"CAROL\"").await), ["carol"]);
        // an account without a login name goes by its email, in answers and filters alike
        assert_eq!(names(&by(&format!("userName eq \"{}\"", ADMIN_EMAIL.to_uppercase())).await), [ADMIN_EMAIL]);
        assert_eq!(names(&by("emails co \"@corp.\"").await), ["carol", "dave", "pct"]);
        assert_eq!(names(&by("emails[type eq \"work\" and value ew \"home.example\"]").await), ["erin"]);
        assert_eq!(names(&by("userName sw \"d\" or userName sw \"e\"").await), ["dave", "erin"]);
        assert_eq!(names(&by("displayName co \"%_\"").await), ["pct"], "LIKE wildcards are matched literally");
        assert_eq!(names(&by("not (emails co \"corp\") and externalId pr").await), ["erin"]);
        assert_eq!(names(&by("externalId eq \"ext-dave\"").await), ["dave"]);
        assert_eq!(names(&by("userName gt \"d\" and userName lt \"e\"").await), ["dave"]);
        assert_eq!(names(&by("meta.created gt \"2000-01-01T00:00:00Z\" and userName ne \"dave\" and externalId pr").await), ["carol", "erin", "pct"]);
        assert_eq!(names(&by("meta.lastModified lt \"2000-01-01T00:00:00Z\"").await), Vec::<String>::new());
        assert_eq!(names(&by("active eq true and emails ew \"home.example\"").await), ["erin"]);
        // paging: 1-based startIndex, count, totalResults over the whole match
        let r = list("filter=externalId%20pr&sortBy=userName&sortOrder=descending&startIndex=2&count=2".into()).await;
        assert_eq!((r.body["totalResults"].clone(), r.body["startIndex"].clone(), r.body["itemsPerPage"].clone()), (json!(4), json!(2), json!(2)));
        assert_eq!(names(&r), ["erin", "dave"]);
        let r = list("count=0".into()).await;
        assert_eq!((r.body["totalResults"].clone(), r.body["Resources"].clone()), (json!(5), json!([])));
        assert_eq!(r.body["schemas"], json!(["urn:ietf:params:scim:api:messages:2.0:ListResponse"]));
        let r = list("filter=userName%20eq%20%22carol%22&excludedAttributes=emails,meta,name".into()).await;
        let carol = &r.body["Resources"][0];
        assert!(carol.get("emails").is_none() && carol.get("meta").is_none() && carol.get("name").is_none(), "{carol}");
        assert_eq!(carol["userName"], "carol");
    }

    async fn patch_as_identity_providers_send_it_and_deactivation_ends_sessions(kind) {
        let app = spawn_app(kind).await;
        let (_, bearer) = admin_bearer(&app).await;
        let id = create(&app, &bearer, "fay", "fay@example.com").await["id"].as_str().unwrap().to_owned();
        let (session, _) = app.tokens("fay@example.com", "Scim-pass-1234").await;
        assert_eq!(app.get("/console/api/account/profile", Some(&session)).await.status, StatusCode::OK);

        // Entra: capitalised operations, filters on emails, boolean strings, the enterprise extension by URN
        let r = scim(&app, Method::PATCH, &format!("/Users/{id}"), &bearer, Some(json!({
            "schemas": [PATCH],
            "Operations": [
                {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "fay.new@example.com"},
                {"op": "Add", "path": "phoneNumbers[type eq \"work\"].value", "value": "+15550100"},
                {"op": "Replace", "path": "name.familyName", "value": "Newname"},
                {"op": "Replace", "path": "displayName", "value": "Fay Newname"},
                {"op": "Replace", "path": format!("{ENTERPRISE}:department"), "value": "Sales"},
                {"op": "Remove", "path": format!("{ENTERPRISE}:employeeNumber")},
                {"op": "Replace", "path": "active", "value": "False"},
            ],
        })), &[]).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.body["emails"][0]["value"], "fay.new@example.com");
        assert_eq!(r.body["phoneNumbers"][0]["value"], "+15550100");
        assert_eq!((r.body["displayName"].clone(), r.body["name"]["familyName"].clone()), (json!("Fay Newname"), json!("Newname")));
        assert_eq!(r.body[ENTERPRISE], json!({"department": "Sales"}));
        assert_eq!(r.body["active"], false);
        // deactivation ends the sessions and refuses sign-in
        assert_eq!(app.get("/console/api/account/profile", Some(&session)).await.status, StatusCode::UNAUTHORIZED);
        assert_ne!(app.login("fay.new@example.com", "Scim-pass-1234").await.status, StatusCode::OK);
        let listed = scim(&app, Method::GET, &format!("/Users?filter={}", urlencoding("active eq false")), &bearer, None, &[]).await;
        assert_eq!(listed.body["Resources"][0]["id"], id.as_str(), "{}", listed.body);

        // a pathless replace (Okta and Entra both send it) reactivates
        let r = scim(&app, Method::PATCH, &format!("/Users/{id}"), &bearer, Some(json!({
            "schemas": [PATCH], "Operations": [{"op": "replace", "value": {"active": true, "externalId": "fay-2"}}],
        })), &[]).await;
        assert_eq!((r.status, r.body["active"].clone(), r.body["externalId"].clone()), (StatusCode::OK, json!(true), json!("fay-2")));
        assert_eq!(app.login("fay.new@example.com", "Scim-pass-1234").await.status, StatusCode::OK);

        // a PATCH that changes nothing keeps the version
        let before = tag(&scim(&app, Method::GET, &format!("/Users/{id}"), &bearer, None, &[]).await);
        let r = scim(&app, Method::PATCH, &format!("/Users/{id}"), &bearer, Some(json!({
            "schemas": [PATCH], "Operations": [{"op": "replace", "path": "userName", "value": "fay"}],
        })), &[]).await;
        assert_eq!((r.status, tag(&r)), (StatusCode::OK, before));

        // refusals, and none of them writes
        for (ops, scim_type) in [
            (json!({"Operations": [{"op": "replace", "path": "userName", "value": "x"}]}), "invalidSyntax"),
            (json!({"schemas": [PATCH], "Operations": [{"op": "remove"}]}), "noTarget"),
            (json!({"schemas": [PATCH], "Operations": [{"op": "replace", "path": "id", "value": "x"}]}), "mutability"),
            (json!({"schemas": [PATCH], "Operations": [{"op": "replace", "path": "emails[type eq", "value": "x"}]}), "invalidPath"),
            (json!({"schemas": [PATCH], "Operations": [{"op": "remove", "path": "userName"}]}), "invalidValue"),
            (json!({"schemas": [PATCH], "Operations": [{"op": "add", "path": "emails", "value": [{"value": "two@example.com"}]}]}), "invalidValue"),
        ] {
            let r = scim(&app, Method::PATCH, &format!("/Users/{id}"), &bearer, Some(ops.clone()), &[]).await;
            assert_scim_error(&r, 400, Some(scim_type));
        }
        let after = scim(&app, Method::GET, &format!("/Users/{id}"), &bearer, None, &[]).await;
        assert_eq!(after.body["userName"], "fay");
        assert_eq!(after.body["emails"], json!([{"value": "fay.new@example.com", "type": "work", "primary": true}]));
    }

    async fn put_replaces_with_etags_and_delete_removes(kind) {
        let app = spawn_app(kind).await;
        let (_, bearer) = admin_bearer(&app).await;
        let user = create(&app, &bearer, "gus", "gus@example.com").await;
        let id = user["id"].as_str().unwrap().to_owned();
        let version = user["meta"]["version"].as_str().unwrap().to_owned();

        // Okta: the whole user by PUT; attributes left out are cleared
        let mut whole = user.clone();
        whole["displayName"] = json!("Gus Renamed");
        whole.as_object_mut().unwrap().remove(ENTERPRISE);
        whole.as_object_mut().unwrap().remove("externalId");
        let r = scim(&app, Method::PUT, &format!("/Users/{id}"), &bearer, Some(whole.clone()), &[("If-Match", &version)]).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.body["displayName"], "Gus Renamed");
        assert!(r.body.get("externalId").is_none() && r.body.get(ENTERPRISE).is_none(), "{}", r.body);
        assert_eq!(r.body["schemas"], json!([USER]));
        let new_version = tag(&r);
        assert_ne!(new_version, version);
        // the old version no longer matches, for PUT, PATCH and DELETE
        assert_scim_error(&scim(&app, Method::PUT, &format!("/Users/{id}"), &bearer, Some(whole), &[("If-Match", &version)]).await, 412, None);
        let noop = json!({"schemas": [PATCH], "Operations": [{"op": "replace", "path": "displayName", "value": "X"}]});
        assert_scim_error(&scim(&app, Method::PATCH, &format!("/Users/{id}"), &bearer, Some(noop), &[("If-Match", &version)]).await, 412, None);
        assert_scim_error(&scim(&app, Method::DELETE, &format!("/Users/{id}"), &bearer, None, &[("If-Match", "W/\"1\"")]).await, 412, None);
        assert_eq!(scim(&app, Method::GET, &format!("/Users/{id}"), &bearer, None, &[]).await.body["displayName"], "Gus Renamed");

        let r = scim(&app, Method::DELETE, &format!("/Users/{id}"), &bearer, None, &[("If-Match", &new_version)]).await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
        assert_scim_error(&scim(&app, Method::GET, &format!("/Users/{id}"), &bearer, None, &[]).await, 404, None);
        assert_scim_error(&scim(&app, Method::DELETE, &format!("/Users/{id}"), &bearer, None, &[]).await, 404, None);
        // the identifiers are free again
        create(&app, &bearer, "gus", "gus@example.com").await;
    }
}

const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";

http_test! {
    async fn groups_are_workspaces_of_the_keys_group_with_members(kind) {
        let app = spawn_app(kind).await;
        let (admin, bearer) = admin_bearer(&app).await;
        let ann = create(&app, &bearer, "ann", "ann@example.com").await["id"].as_str().unwrap().to_owned();
        let bo = create(&app, &bearer, "bo", "bo@example.com").await["id"].as_str().unwrap().to_owned();
        // the workspaces setup made are groups too
        let before = scim(&app, Method::GET, "/Groups", &bearer, None, &[]).await.body["totalResults"].as_i64().unwrap();

        let r = scim(&app, Method::POST, "/Groups", &bearer, Some(json!({"schemas": [GROUP], "displayName": "Lab", "members": [{"value": ann}]})), &[]).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let id = r.body["id"].as_str().unwrap().to_owned();
        assert_eq!(r.headers.get("location").unwrap().to_str().unwrap(), format!("{}/scim/v2/Groups/{id}", app.base));
        assert_eq!(r.body["displayName"], "Lab");
        assert_eq!(r.body["members"], json!([{"value": ann, "display": "Ann Example", "type": "User", "$ref": format!("{}/scim/v2/Users/{ann}", app.base)}]));
        // the workspace is there for the console too, in the admin's group, with its owner and member
        let group_id = app.get("/console/api/enterprise-groups/current", Some(&admin)).await.body["id"].as_str().map(str::to_owned);
        if let Some(group_id) = group_id {
            let tenants = app.get(&format!("/console/api/enterprise-groups/{group_id}/tenants"), Some(&admin)).await;
            assert!(tenants.body.to_string().contains(&id), "{}", tenants.body);
        }
        let v1 = tag(&r);

        // Entra: add by value list, remove by filter, capitalised
        let r = scim(&app, Method::PATCH, &format!("/Groups/{id}"), &bearer, Some(json!({"schemas": [PATCH], "Operations": [
            {"op": "Add", "path": "members", "value": [{"value": bo}]},
            {"op": "Remove", "path": format!("members[value eq \"{ann}\"]")},
        ]})), &[]).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let members: Vec<&str> = r.body["members"].as_array().unwrap().iter().map(|m| m["value"].as_str().unwrap()).collect();
        assert_eq!(members, [bo.as_str()]);
        // Okta: a pathless replace carrying the group's own id renames it
        let r = scim(&app, Method::PATCH, &format!("/Groups/{id}"), &bearer, Some(json!({"schemas": [PATCH], "Operations": [
            {"op": "replace", "value": {"id": id, "displayName": "Lab 2"}},
        ]})), &[]).await;
        assert_eq!((r.status, r.body["displayName"].clone()), (StatusCode::OK, json!("Lab 2")), "{}", r.body);
        // PUT: the complete member list
        let r = scim(&app, Method::PUT, &format!("/Groups/{id}"), &bearer, Some(json!({"schemas": [GROUP], "displayName": "Lab 2", "members": [{"value": ann}, {"value": bo}]})), &[]).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.body["members"].as_array().unwrap().len(), 2);
        // the old version no longer matches
        assert_scim_error(&scim(&app, Method::PATCH, &format!("/Groups/{id}"), &bearer, Some(json!({"schemas": [PATCH], "Operations": [{"op": "replace", "path": "displayName", "value": "X"}]})), &[("If-Match", &v1)]).await, 412, None);

        // list, filter, members left out on request
        scim(&app, Method::POST, "/Groups", &bearer, Some(json!({"schemas": [GROUP], "displayName": "Other"})), &[]).await;
        let r = scim(&app, Method::GET, &format!("/Groups?filter={}&excludedAttributes=members", urlencoding("displayName eq \"lab 2\"")), &bearer, None, &[]).await;
        assert_eq!(r.body["totalResults"], 1, "{}", r.body);
        assert!(r.body["Resources"][0].get("members").is_none(), "{}", r.body);
        let r = scim(&app, Method::GET, &format!("/Groups?filter={}", urlencoding(&format!("members[value eq \"{bo}\"]"))), &bearer, None, &[]).await;
        assert_eq!(r.body["Resources"][0]["id"], id.as_str(), "{}", r.body);
        let r = scim(&app, Method::GET, "/Groups?count=1&startIndex=2", &bearer, None, &[]).await;
        assert_eq!((r.body["totalResults"].clone(), r.body["itemsPerPage"].clone()), (json!(before + 2), json!(1)), "{}", r.body);

        // refusals
        let unknown = uuid::Uuid::new_v4();
        let r = scim(&app, Method::POST, "/Groups", &bearer, Some(json!({"schemas": [GROUP], "displayName": "Bad", "members": [{"value": unknown}]})), &[]).await;
        assert_scim_error(&r, 400, Some("invalidValue"));
        assert!(r.body["detail"].as_str().unwrap().contains(&unknown.to_string()), "{}", r.body);
        assert_scim_error(&scim(&app, Method::POST, "/Groups", &bearer, Some(json!({"schemas": [GROUP], "displayName": "Other"})), &[]).await, 409, Some("uniqueness"));
        assert_scim_error(&scim(&app, Method::POST, "/Groups", &bearer, Some(json!({"schemas": [GROUP]})), &[]).await, 400, Some("invalidValue"));
        assert_scim_error(&scim(&app, Method::POST, "/Groups", &bearer, Some(json!({"schemas": [GROUP], "displayName": "M", "members": [{"value": "nope"}]})), &[]).await, 400, Some("invalidValue"));
        let normal = app.tokens("ann@example.com", "Scim-pass-1234").await.0;
        let key = issue_key(&app, &normal).await;
        assert_scim_error(&scim(&app, Method::GET, "/Groups", &format!("{}.{}", key.access_key, key.secret), None, &[]).await, 403, None);

        // delete archives: gone from SCIM
        assert_eq!(scim(&app, Method::DELETE, &format!("/Groups/{id}"), &bearer, None, &[]).await.status, StatusCode::NO_CONTENT);
        assert_scim_error(&scim(&app, Method::GET, &format!("/Groups/{id}"), &bearer, None, &[]).await, 404, None);
        assert_eq!(scim(&app, Method::GET, "/Groups", &bearer, None, &[]).await.body["totalResults"], before + 1);
    }
}

http_test! {
    async fn a_standard_scim_client_drives_the_dialect(kind) {
        // scim2-client (Python, `just scim-client` installs it) validates every answer against the RFC models
        let app = spawn_app(kind).await;
        let (_, bearer) = admin_bearer(&app).await;
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/scim/standard_client.py");
        let base = app.base.clone();
        let out = actix_web::rt::task::spawn_blocking(move || {
            std::process::Command::new("python3")
                .args(["-W", "error::DeprecationWarning", script, &base, &bearer])
                .output()
                .expect("python3 runs")
        })
        .await
        .expect("client thread");
        let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert!(out.status.success(), "{stdout}\n{stderr}\n(install the client with `just scim-client`)");
        assert!(stdout.contains("groups and members: ok"), "{stdout}");
    }
}

/// Percent-encodes a query value.
fn urlencoding(raw: &str) -> String {
    raw.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
