//! The SCIM schema URNs and the attributes this server keeps, described for `/Schemas` exactly as supported.

use serde_json::{json, Value};

/// The core User schema.
pub const USER_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
/// The core Group schema.
pub const GROUP_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
/// The enterprise User extension.
pub const ENTERPRISE_URN: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
/// A list answer.
pub const LIST_URN: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
/// A PATCH request.
pub const PATCH_URN: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
/// The service provider configuration.
pub const CONFIG_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";
/// A resource type.
pub const RESOURCE_TYPE_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:ResourceType";
/// A schema definition.
pub const SCHEMA_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:Schema";

/// The one `type` of the email and phone number an account keeps.
pub const WORK: &str = "work";

/// Most resources in one list page.
pub const MAX_RESULTS: i64 = 1000;

/// The name parts and enterprise attributes kept in the account's IdP-owned `attributes`, as (SCIM name, key):
/// the keys are the OpenID Connect claim names where one exists, so a later sign-in through a provider speaks
/// of the same values.
pub const NAME_PARTS: [(&str, &str); 2] = [("givenName", "given_name"), ("familyName", "family_name")];
/// The enterprise extension's attributes kept, as (SCIM name, key in the account's `attributes`).
pub const ENTERPRISE_PARTS: [(&str, &str); 5] = [
    ("employeeNumber", "employee_number"),
    ("costCenter", "cost_center"),
    ("organization", "organization"),
    ("division", "division"),
    ("department", "department"),
];

/// `"true"` / `"false"` in any case (identity providers send booleans as strings).
pub fn bool_text(text: &str) -> Option<bool> {
    if text.eq_ignore_ascii_case("true") {
        Some(true)
    } else if text.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// One attribute definition of a schema (RFC 7643 §7).
fn attribute(name: &str, kind: &str, description: &str) -> Value {
    json!({
        "name": name, "type": kind, "multiValued": false, "description": description, "required": false,
        "caseExact": false, "mutability": "readWrite", "returned": "default", "uniqueness": "none",
    })
}

fn with(mut attribute: Value, changes: Value) -> Value {
    if let (Some(target), Value::Object(changes)) = (attribute.as_object_mut(), changes) {
        target.extend(changes);
    }
    attribute
}

fn single_work_value(name: &str, what: &str) -> Value {
    with(
        attribute(name, "complex", &format!("The user's {what}; accountd keeps one, of type work.")),
        json!({
            "multiValued": true,
            "subAttributes": [
                attribute("value", "string", &format!("The {what}.")),
                with(attribute("type", "string", "Always work."), json!({"canonicalValues": [WORK]})),
                attribute("primary", "boolean", "Always true."),
            ],
        }),
    )
}

/// The schema definitions served by `/Schemas`.
pub fn definitions(base: &str) -> Vec<Value> {
    let user = json!({
        "schemas": [SCHEMA_URN],
        "id": USER_URN,
        "name": "User",
        "description": "An account.",
        "attributes": [
            with(
                attribute("userName", "string", "The login name: letters, digits or . _ + -, or the user's email."),
                json!({"required": true, "uniqueness": "server"}),
            ),
            with(
                attribute("name", "complex", "The user's name; formatted is the display name."),
                json!({"subAttributes": [
                    attribute("formatted", "string", "The display name (the same as displayName)."),
                    attribute("givenName", "string", "Given name."),
                    attribute("familyName", "string", "Family name."),
                ]}),
            ),
            attribute("displayName", "string", "The display name."),
            single_work_value("emails", "email address"),
            single_work_value("phoneNumbers", "phone number"),
            attribute("active", "boolean", "false disables the account and ends its sessions."),
            with(
                attribute("password", "string", "A new password (write-only)."),
                json!({"mutability": "writeOnly", "returned": "never"}),
            ),
        ],
        "meta": {"resourceType": "Schema", "location": format!("{base}/Schemas/{USER_URN}")},
    });
    let enterprise = json!({
        "schemas": [SCHEMA_URN],
        "id": ENTERPRISE_URN,
        "name": "EnterpriseUser",
        "description": "Enterprise attributes of an account.",
        "attributes": ENTERPRISE_PARTS.iter().map(|(name, _)| attribute(name, "string", name)).collect::<Vec<_>>(),
        "meta": {"resourceType": "Schema", "location": format!("{base}/Schemas/{ENTERPRISE_URN}")},
    });
    let group = json!({
        "schemas": [SCHEMA_URN],
        "id": GROUP_URN,
        "name": "Group",
        "description": "A workspace of the enterprise group of the access key's account.",
        "attributes": [
            with(
                attribute("displayName", "string", "The workspace's name, unique in the enterprise group."),
                json!({"required": true, "uniqueness": "server"}),
            ),
            with(
                attribute("members", "complex", "The workspace's members other than its owner."),
                json!({
                    "multiValued": true,
                    "subAttributes": [
                        with(attribute("value", "string", "The member's id."), json!({"mutability": "immutable"})),
                        with(
                            attribute("display", "string", "The member's display name."),
                            json!({"mutability": "readOnly"}),
                        ),
                        with(
                            attribute("type", "string", "Always User."),
                            json!({"mutability": "readOnly", "canonicalValues": ["User"]}),
                        ),
                        with(
                            attribute("$ref", "reference", "The member's URL."),
                            json!({"mutability": "readOnly", "referenceTypes": ["User"]}),
                        ),
                    ],
                }),
            ),
        ],
        "meta": {"resourceType": "Schema", "location": format!("{base}/Schemas/{GROUP_URN}")},
    });
    vec![user, enterprise, group]
}

/// The resource types served by `/ResourceTypes`.
pub fn resource_types(base: &str) -> Vec<Value> {
    vec![
        json!({
            "schemas": [RESOURCE_TYPE_URN],
            "id": "User",
            "name": "User",
            "endpoint": "/Users",
            "description": "Accounts.",
            "schema": USER_URN,
            "schemaExtensions": [{"schema": ENTERPRISE_URN, "required": false}],
            "meta": {"resourceType": "ResourceType", "location": format!("{base}/ResourceTypes/User")},
        }),
        json!({
            "schemas": [RESOURCE_TYPE_URN],
            "id": "Group",
            "name": "Group",
            "endpoint": "/Groups",
            "description": "Workspaces of the enterprise group of the access key's account.",
            "schema": GROUP_URN,
            "schemaExtensions": [],
            "meta": {"resourceType": "ResourceType", "location": format!("{base}/ResourceTypes/Group")},
        }),
    ]
}

/// The document served by `/ServiceProviderConfig`.
pub fn service_provider_config(base: &str) -> Value {
    json!({
        "schemas": [CONFIG_URN],
        "documentationUri": format!("{}/docs/", base.trim_end_matches(super::BASE)),
        "patch": {"supported": true},
        "bulk": {"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": true, "maxResults": MAX_RESULTS},
        "changePassword": {"supported": true},
        "sort": {"supported": true},
        "etag": {"supported": true},
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "Access key",
            "description": "Authorization: Bearer <access key>.<secret>, an access key of a platform administrator.",
            "primary": true,
        }],
        "meta": {"resourceType": "ServiceProviderConfig", "location": format!("{base}/ServiceProviderConfig")},
    })
}
