//! Field names and JSON types of our responses against the samples of the seed API documents.

use serde_json::{json, Value};

use crate::helpers::*;
use crate::http_test;

/// Same keys (recursively) and same JSON types; a null in the sample means "nullable", so anything matches it.
/// `allowed_extra` names keys we may add (documented superset fields).
#[track_caller]
fn assert_shape(ours: &Value, sample: &Value, path: &str, allowed_extra: &[&str]) {
    match (ours, sample) {
        (_, Value::Null) => {}
        (Value::Object(o), Value::Object(s)) => {
            for key in s.keys() {
                assert!(o.contains_key(key), "{path}.{key} missing in {ours}");
                assert_shape(&o[key], &s[key], &format!("{path}.{key}"), allowed_extra);
            }
            for key in o.keys() {
                assert!(s.contains_key(key) || allowed_extra.contains(&key.as_str()), "{path}.{key} not in the sample");
            }
        }
        (Value::Array(o), Value::Array(s)) => {
            if let (Some(o), Some(s)) = (o.first(), s.first()) {
                assert_shape(o, s, &format!("{path}[0]"), allowed_extra);
            }
        }
        (o, s) => assert_eq!(std::mem::discriminant(o), std::mem::discriminant(s), "{path}: {o} vs sample {s}"),
    }
}

fn sample_account() -> Value {
    json!({
        "id": "4d436d1a-8910-41cb-b208-574726726f26", "name": "zgi", "avatar": null, "avatar_url": null,
        "email": "i@zgi.ai", "is_password_set": true, "interface_language": "en-US", "interface_theme": "light",
        "timezone": "America/New_York", "last_login_at": 1741107948, "last_login_ip": "127.0.0.1", "created_at": 1741083308
    })
}

fn with(mut base: Value, extra: Value) -> Value {
    base.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    base
}

http_test! {
    async fn console_responses_match_the_seed_samples(kind) {
        let app = spawn_app(kind).await;
        assert_shape(&app.get("/console/api/setup", None).await.body, &json!({"step": "not_started"}), "setup", &[]);
        assert_shape(&app.setup().await.body, &json!({"result": "success"}), "setup", &[]);
        assert_shape(&app.get("/console/api/setup", None).await.body, &json!({"step": "finished", "setup_at": "2025-02-26T23:05:31"}), "setup", &[]);
        let login = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await.body;
        assert_shape(&login, &json!({"result": "success", "data": {"access_token": "x", "refresh_token": "y"}}), "login", &[]);
        let token = login["data"]["access_token"].as_str().unwrap().to_owned();
        let features = json!({
            "sso_enforced_for_signin": false, "sso_enforced_for_signin_protocol": "", "sso_enforced_for_web": false,
            "sso_enforced_for_web_protocol": "", "enable_web_sso_switch_component": false, "enable_marketplace": true,
            "max_plugin_package_size": 52428800, "enable_email_code_login": false, "enable_email_password_login": true,
            "enable_social_oauth_login": false, "is_allow_register": false, "is_allow_create_workspace": false,
            "is_email_setup": true, "license": {"status": "none", "expired_at": ""}, "is_public_deployment": true
        });
        assert_shape(&app.get("/console/api/system-features", None).await.body, &features, "system-features", &[]);
        let profile = app.get("/console/api/account/profile", Some(&token)).await.body;
        assert_shape(&profile, &sample_account(), "profile", &[]);
        let ex = with(sample_account(), json!({"status": "active", "account_role": {"role_type": "super_admin"}, "extension": null}));
        assert_shape(&app.get("/console/api/account-ex/profile", Some(&token)).await.body, &ex, "profile-ex", &[]);
        let id = app.create_user(&token, "test_invite2@zgi.ai").await;
        app.put(&format!("/console/api/account-ex/id?id={id}"), Some(&token), json!({"mobile": "13000000000"})).await;
        // a member who never logged in, as the seed's pending members show
        let list_item = with(sample_account(), json!({"last_login_at": null, "last_login_ip": null, "status": "active", "group_role": "normal", "account_role": null,
            "extension": {"mobile": "13401151771", "wechat": null, "address": null, "gender": null}}));
        let list = json!({"page": 1, "limit": 30, "total": 21, "has_more": false, "data": [list_item]});
        assert_shape(&app.get("/console/api/account-ex/list", Some(&token)).await.body, &list, "account-ex/list", &[]);
        let by_email = with(sample_account(), json!({"last_login_at": null, "last_login_ip": null, "extension": {"mobile": "13000000000", "wechat": null, "address": null}}));
        let ours = app.get("/console/api/account-ex/email?email=test_invite2@zgi.ai", Some(&token)).await.body;
        assert_shape(&ours, &by_email, "account-ex/email", &["gender"]);
        let ours = app.get(&format!("/console/api/account-ex/id?id={id}"), Some(&token)).await.body;
        assert_shape(&ours, &by_email, "account-ex/id", &["gender"]);
        let ours = app.put(&format!("/console/api/account-ex/id?id={id}"), Some(&token), json!({"name": "test User"})).await.body;
        assert_shape(&ours, &by_email, "PUT account-ex/id", &["gender"]);
        let role = with(sample_account(), json!({"last_login_at": null, "last_login_ip": null, "status": "active", "account_role": {"role_type": "system_admin"},
            "extension": {"mobile": "13000000000", "wechat": null, "address": null}}));
        let ours = app.put(&format!("/console/api/account-ex/role?id={id}"), Some(&token), json!({"role_type": "system_admin"})).await.body;
        assert_shape(&ours, &role, "PUT account-ex/role", &["gender"]);
        let register = app.post("/console/api/account/register", Some(&token), json!({"email": "test1@zgi.ai", "name": "test1", "password": "zgi@zgi123"})).await.body;
        let never_logged_in = with(sample_account(), json!({"last_login_at": null, "last_login_ip": null}));
        assert_shape(&register, &never_logged_in, "account/register", &[]);
        let dup = app.post("/console/api/account/register", Some(&token), json!({"email": "test1@zgi.ai", "name": "test1", "password": "zgi@zgi123"})).await.body;
        assert_shape(&dup, &json!({"code": "user_register_failed", "message": "Email already exists."}), "register conflict", &[]);
        let again = app.setup().await.body;
        assert_shape(&again, &json!({"code": "already_setup", "message": "x", "status": 403}), "setup again", &[]);
    }

    async fn group_responses_match_the_seed_samples(kind) {
        let app = spawn_app(kind).await;
        let token = app.admin().await;
        let created = app.post("/console/api/enterprise-groups", Some(&token), json!({"name": "test group1", "short_name": ""})).await;
        assert_eq!(created.status.as_u16(), 201);
        assert_shape(&created.body, &json!({"message": "success"}), "create group", &[]);
        let item = json!({"id": "c7efcf23-b60f-46c7-9c90-5b77422e3159", "name": "Default Group", "status": "active", "created_at": 1741294643});
        let page = |item: Value| json!({"page": 1, "limit": 20, "total": 1, "has_more": false, "data": [item]});
        let list = app.get("/console/api/enterprise-groups", Some(&token)).await.body;
        assert_shape(&list, &page(item.clone()), "groups", &[]);
        let gid = list["data"].as_array().unwrap().iter().find(|g| g["name"] == "test group1").unwrap()["id"].as_str().unwrap().to_owned();
        let info = json!({"id": "x", "name": "test group", "short_name": null, "status": "active", "created_at": 1743972307});
        assert_shape(&app.get(&format!("/console/api/enterprise-groups/info/{gid}"), Some(&token)).await.body, &info, "info", &[]);
        let r = app.post(&format!("/console/api/enterprise-groups/{gid}/tenants"), Some(&token), json!({"name": "my workspace"})).await;
        assert_eq!(r.status.as_u16(), 201);
        assert_shape(&r.body, &json!({"message": "workspace created."}), "create tenant", &[]);
        let tenant = json!({"id": "x", "name": "my workspace", "status": "normal", "created_at": 1741317173});
        for path in ["tenants", "managed-tenants", "managed-app-tenants", "managed-dataset-tenants"] {
            let r = app.get(&format!("/console/api/enterprise-groups/{gid}/{path}"), Some(&token)).await;
            assert_shape(&r.body, &page(tenant.clone()), path, &[]);
        }
        let me = app.get("/console/api/account-ex/profile", Some(&token)).await.body["id"].as_str().unwrap().to_owned();
        let roles = app.get(&format!("/console/api/enterprise-groups/{gid}/joined-tenants-roles/{me}"), Some(&token)).await.body;
        let role_sample = json!([{"tenant_id": "x", "tenant_name": "my workspace", "role": "normal", "position": null, "permissions": ["create_agent"]}]);
        assert_shape(&roles, &role_sample, "joined-tenants-roles", &[]);
        assert_shape(&app.get(&format!("/console/api/enterprise-groups/joined-groups/{me}"), Some(&token)).await.body, &page(item.clone()), "joined-groups", &[]);
        let check = app.get(&format!("/console/api/enterprise-groups/{gid}/check-manage-permission"), Some(&token)).await.body;
        assert_shape(&check, &json!({"has_permission": true}), "check-manage-permission", &[]);
        let current = json!({"id": "x", "name": "Default Group", "short_name": null, "status": "active", "created_at": 1741294643, "group_role": "super_admin"});
        assert_shape(&app.get("/console/api/enterprise-groups/current", Some(&token)).await.body, &current, "current", &[]);
        let detail = json!({"enterprise_group": current, "shadow_tenant": {"id": "x", "name": "x", "status": "normal", "created_at": 1744870218}});
        assert_shape(&app.get("/console/api/enterprise-groups/current-detail", Some(&token)).await.body, &detail, "current-detail", &[]);
        let member = with(sample_account(), json!({"status": "active", "account_role": null, "extension": null}));
        assert_shape(&app.get(&format!("/console/api/enterprise-groups/{gid}/members"), Some(&token)).await.body, &page(member), "members", &[]);
        let created = app.post("/console/api/datasets", Some(&token), json!({"name": "test..", "description": "useful", "indexing_technique": "economy"})).await;
        assert_eq!(created.status.as_u16(), 201, "{}", created.body);
        let dataset = json!({
            "id": "x", "name": "test..", "description": "useful", "provider": "vendor", "permission": "only_me",
            "data_source_type": null, "indexing_technique": "economy", "app_count": 0, "document_count": 1, "word_count": 0,
            "created_by": "x", "created_at": 1743730867, "updated_by": "x", "updated_at": 1744278309,
            "embedding_model": "", "embedding_model_provider": "", "embedding_available": null,
            "retrieval_model_dict": {"search_method": "semantic_search", "reranking_enable": false, "reranking_mode": null,
                "reranking_model": {"reranking_provider_name": "", "reranking_model_name": ""}, "weights": null, "top_k": 2,
                "score_threshold_enabled": false, "score_threshold": 1},
            "tags": [], "doc_form": null,
            "external_knowledge_info": {"external_knowledge_id": null, "external_knowledge_api_id": null,
                "external_knowledge_api_name": null, "external_knowledge_api_endpoint": null},
            "external_retrieval_model": {"top_k": 2, "score_threshold": 1, "score_threshold_enabled": false},
            "icon": null, "icon_background": null, "owner": null, "owner_account": {"name": "zgi"}, "tenant": {"name": "zgi's Workspace"}
        });
        let current = app.get("/console/api/enterprise-groups/current", Some(&token)).await.body["id"].as_str().unwrap().to_owned();
        let listed = app.get(&format!("/console/api/enterprise-groups/{current}/datasets"), Some(&token)).await.body;
        assert_shape(&listed, &page(dataset), "group datasets", &[]);
    }
}
