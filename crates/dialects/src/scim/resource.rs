//! What every SCIM resource answer shares: `meta`, versions as weak ETags, `If-Match` / `If-None-Match`, list
//! answers, `attributes` / `excludedAttributes`, and request bodies read as JSON objects.

use actix_web::http::header::{HeaderValue, ETAG, IF_MATCH, IF_NONE_MATCH, LOCATION};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use serde::Serialize;
use serde_json::{Map, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use utoipa::ToSchema;

use super::error::{ScimError, ScimType};
use super::filter::{get_ci, AttrPath};
use super::schema::{LIST_URN, MAX_RESULTS, USER_URN};
use super::CONTENT_TYPE;
use crate::common::query::QueryParams;

/// `meta` of a resource.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Meta {
    /// `User`.
    pub resource_type: &'static str,
    /// Creation time (RFC 3339).
    pub created: String,
    /// Last change (RFC 3339).
    pub last_modified: String,
    /// The resource's URL.
    pub location: String,
    /// The version, a weak entity tag: `W/"…"`. Sent as `ETag`; `If-Match` names it.
    #[schema(example = "W/\"1764892800000000\"")]
    pub version: String,
}

/// RFC 3339 text of a time, to the microsecond the store keeps (so a write's answer and a later read agree).
pub fn rfc3339(at: OffsetDateTime) -> String {
    at.replace_nanosecond(at.microsecond() * 1000).unwrap_or(at).format(&Rfc3339).unwrap_or_default()
}

/// The version of a resource last changed at `updated_at`: its microseconds since the epoch (what the store
/// keeps), as a weak entity tag.
pub fn version_of(updated_at: OffsetDateTime) -> String {
    format!("W/\"{}\"", updated_at.unix_timestamp_nanos() / 1000)
}

/// The time a version names.
fn time_of(version: &str) -> Option<OffsetDateTime> {
    let quoted = version.trim().trim_start_matches("W/");
    let micros: i128 = quoted.strip_prefix('"')?.strip_suffix('"')?.parse().ok()?;
    OffsetDateTime::from_unix_timestamp_nanos(micros.checked_mul(1000)?).ok()
}

/// The version `If-Match` requires, as the last-change time a conditional write passes to the use case; `None`
/// without the header or with `*`.
///
/// # Errors
/// 412 when the header names no version this server issues (it then matches no resource).
pub fn if_match(req: &HttpRequest) -> Result<Option<OffsetDateTime>, ScimError> {
    let Some(raw) = req.headers().get(IF_MATCH).and_then(|v| v.to_str().ok()) else { return Ok(None) };
    if raw.trim() == "*" {
        return Ok(None);
    }
    // a list of tags: the resource has one version, so only a single tag can match
    time_of(raw).map(Some).ok_or_else(|| {
        ScimError::new(StatusCode::PRECONDITION_FAILED, "If-Match names no current version of the resource.")
    })
}

/// `304 Not Modified` with the `ETag` when `If-None-Match` names `version` (the client's copy is current).
pub fn unchanged(req: &HttpRequest, version: &str) -> Option<HttpResponse> {
    let raw = req.headers().get(IF_NONE_MATCH).and_then(|v| v.to_str().ok())?;
    let strip = |tag: &str| tag.trim().trim_start_matches("W/").to_owned();
    raw.split(',')
        .any(|tag| tag.trim() == "*" || strip(tag) == strip(version))
        .then(|| HttpResponse::NotModified().insert_header((ETAG, version.to_owned())).finish())
}

/// A resource answer: the resource with only the attributes the query asks for (`attributes`,
/// `excludedAttributes`; a malformed list answers it whole), its `ETag`, and `Location` when it was created.
pub fn answer(req: &HttpRequest, status: StatusCode, resource: Value, meta: &Meta, created: bool) -> HttpResponse {
    let body = match Projection::of(&QueryParams::of(req)) {
        Ok(projection) => projection.apply(resource),
        Err(_) => resource,
    };
    let mut response = HttpResponse::build(status);
    response.content_type(CONTENT_TYPE);
    if let Ok(tag) = HeaderValue::from_str(&meta.version) {
        response.insert_header((ETAG, tag));
    }
    if let Some(location) = created.then(|| HeaderValue::from_str(&meta.location).ok()).flatten() {
        response.insert_header((LOCATION, location));
    }
    response.json(body)
}

/// A `ListResponse` (RFC 7644 §3.4.2).
#[derive(Debug, Serialize, ToSchema)]
pub struct ListResponse<T> {
    /// `["urn:ietf:params:scim:api:messages:2.0:ListResponse"]`.
    pub schemas: [&'static str; 1],
    /// How many resources match in all.
    #[serde(rename = "totalResults")]
    pub total_results: i64,
    /// The 1-based index of the first resource of the page.
    #[serde(rename = "startIndex")]
    pub start_index: i64,
    /// How many resources this page holds.
    #[serde(rename = "itemsPerPage")]
    pub items_per_page: i64,
    /// The page.
    #[serde(rename = "Resources")]
    pub resources: Vec<T>,
}

impl<T: Serialize> ListResponse<T> {
    /// A page of `resources` starting at `start_index` of `total_results`.
    pub fn new(resources: Vec<T>, start_index: i64, total_results: i64) -> Self {
        let items_per_page = i64::try_from(resources.len()).unwrap_or(i64::MAX);
        Self { schemas: [LIST_URN], total_results, start_index, items_per_page, resources }
    }

    /// As an answer.
    pub fn response(&self) -> HttpResponse {
        HttpResponse::Ok().content_type(CONTENT_TYPE).json(self)
    }
}

/// `startIndex` (1-based; below 1 counts as 1) and `count` (at most [`MAX_RESULTS`]; negative counts as 0).
pub fn page(query: &QueryParams) -> Result<(i64, i64), ScimError> {
    let number = |name: &str, default: i64| -> Result<i64, ScimError> {
        match query.get(name).map(str::trim).filter(|v| !v.is_empty()) {
            None => Ok(default),
            Some(raw) => raw
                .parse::<i64>()
                .map_err(|_| ScimError::bad(ScimType::InvalidValue, format!("{name} must be an integer."))),
        }
    };
    Ok((number("startIndex", 1)?.max(1), number("count", 100)?.clamp(0, MAX_RESULTS)))
}

/// Which attributes an answer returns: `attributes` (only these, with `id` and `schemas`) or
/// `excludedAttributes` (all but these), each a comma-separated list of attribute paths.
#[derive(Debug, Default)]
pub struct Projection {
    only: Vec<AttrPath>,
    without: Vec<AttrPath>,
}

impl Projection {
    /// From the query parameters.
    ///
    /// # Errors
    /// `invalidValue` for a path that does not parse.
    pub fn of(query: &QueryParams) -> Result<Self, ScimError> {
        let paths = |name: &str| -> Result<Vec<AttrPath>, ScimError> {
            query
                .get(name)
                .unwrap_or_default()
                .split(',')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(|p| AttrPath::parse(p, ScimType::InvalidValue))
                .collect()
        };
        Ok(Self { only: paths("attributes")?, without: paths("excludedAttributes")? })
    }

    /// Whether answers return the core attribute `name` (in whole or in part).
    pub fn returns(&self, name: &str) -> bool {
        let names = |p: &AttrPath| in_container(p, None) && p.name.eq_ignore_ascii_case(name);
        (self.only.is_empty() || self.only.iter().any(names))
            && !self.without.iter().any(|p| names(p) && p.sub.is_none())
    }

    /// The resource with only the attributes asked for.
    pub fn apply(&self, resource: Value) -> Value {
        let Value::Object(mut object) = resource else { return resource };
        if !self.only.is_empty() {
            let mut kept = Map::new();
            for (key, value) in object {
                if key == "id" || key == "schemas" {
                    kept.insert(key, value);
                } else if let Some(value) = keep(&self.only, None, &key, value) {
                    kept.insert(key, value);
                }
            }
            object = kept;
        }
        for path in &self.without {
            remove(&mut object, path);
        }
        Value::Object(object)
    }
}

/// Whether a path names the container `schema` (core when `None`).
fn in_container(path: &AttrPath, schema: Option<&str>) -> bool {
    match (path.schema.as_deref(), schema) {
        (None, None) => true,
        (Some(s), None) => s.eq_ignore_ascii_case(USER_URN),
        (Some(s), Some(container)) => s.eq_ignore_ascii_case(container),
        (None, Some(_)) => false,
    }
}

/// What of attribute `key` (in container `schema`) the paths keep.
fn keep(paths: &[AttrPath], schema: Option<&str>, key: &str, value: Value) -> Option<Value> {
    if key.starts_with("urn:") {
        // an extension: named whole by its URN, or attribute by attribute
        if paths
            .iter()
            .any(|p| format!("{}:{}", p.schema.as_deref().unwrap_or_default(), p.name).eq_ignore_ascii_case(key))
        {
            return Some(value);
        }
        let Value::Object(inner) = value else { return None };
        let kept: Map<String, Value> =
            inner.into_iter().filter_map(|(k, v)| keep(paths, Some(key), &k, v).map(|v| (k, v))).collect();
        return (!kept.is_empty()).then_some(Value::Object(kept));
    }
    let named: Vec<&AttrPath> =
        paths.iter().filter(|p| in_container(p, schema) && p.name.eq_ignore_ascii_case(key)).collect();
    if named.is_empty() {
        return None;
    }
    if named.iter().any(|p| p.sub.is_none()) {
        return Some(value);
    }
    let subs: Vec<&str> = named.iter().filter_map(|p| p.sub.as_deref()).collect();
    let only_subs = |v: Value| match v {
        Value::Object(o) => {
            Value::Object(o.into_iter().filter(|(k, _)| subs.iter().any(|s| s.eq_ignore_ascii_case(k))).collect())
        }
        other => other,
    };
    Some(match value {
        Value::Array(items) => Value::Array(items.into_iter().map(only_subs).collect()),
        other => only_subs(other),
    })
}

fn remove(object: &mut Map<String, Value>, path: &AttrPath) {
    if path.name.eq_ignore_ascii_case("id") || path.name.eq_ignore_ascii_case("schemas") {
        return;
    }
    let container = match path.schema.as_deref() {
        Some(schema) if !schema.eq_ignore_ascii_case(USER_URN) => {
            let key = object.keys().find(|k| k.eq_ignore_ascii_case(schema)).cloned();
            match key.and_then(|k| object.get_mut(&k)) {
                Some(Value::Object(inner)) => inner,
                _ => return,
            }
        }
        _ => object,
    };
    let Some(key) = container.keys().find(|k| k.eq_ignore_ascii_case(&path.name)).cloned() else { return };
    match &path.sub {
        None => {
            container.remove(&key);
        }
        Some(sub) => {
            let strip = |v: &mut Value| {
                if let Value::Object(o) = v {
                    o.retain(|k, _| !k.eq_ignore_ascii_case(sub));
                }
            };
            match container.get_mut(&key) {
                Some(Value::Array(items)) => items.iter_mut().for_each(strip),
                Some(other) => strip(other),
                None => {}
            }
        }
    }
}

/// A request body as a JSON object.
///
/// # Errors
/// `invalidSyntax` when it is not one.
pub fn body_object(body: &[u8]) -> Result<Map<String, Value>, ScimError> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(object)) => Ok(object),
        Ok(_) => Err(ScimError::bad(ScimType::InvalidSyntax, "The body must be a JSON object.")),
        Err(_) => Err(ScimError::bad(ScimType::InvalidSyntax, "The body is not valid JSON.")),
    }
}

/// Whether the object's `schemas` lists `urn` (a message without `schemas` is refused, as RFC 7644 asks).
///
/// # Errors
/// `invalidSyntax` otherwise.
pub fn require_schema(object: &Map<String, Value>, urn: &str) -> Result<(), ScimError> {
    let listed = get_ci(object, "schemas")
        .and_then(Value::as_array)
        .is_some_and(|all| all.iter().any(|s| s.as_str().is_some_and(|s| s.eq_ignore_ascii_case(urn))));
    if listed {
        Ok(())
    } else {
        Err(ScimError::bad(ScimType::InvalidSyntax, format!("schemas must list {urn}.")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::schema::ENTERPRISE_URN;

    fn projection(only: &str, without: &str) -> Projection {
        let mut query = std::collections::HashMap::new();
        query.insert("attributes".to_owned(), only.to_owned());
        query.insert("excludedAttributes".to_owned(), without.to_owned());
        Projection::of(&QueryParams(query)).unwrap()
    }

    fn user() -> Value {
        serde_json::json!({
            "schemas": [USER_URN], "id": "1", "userName": "ann",
            "name": {"formatted": "Ann", "givenName": "A"},
            "emails": [{"value": "a@example.com", "type": "work"}],
            ENTERPRISE_URN: {"department": "R&D", "division": "X"},
            "meta": {"version": "W/\"1\""},
        })
    }

    #[test]
    fn attributes_keep_only_what_is_named_with_id_and_schemas() {
        let got =
            projection(&format!("userName,name.givenName,emails.value,{ENTERPRISE_URN}:department"), "").apply(user());
        assert_eq!(
            got,
            serde_json::json!({
                "schemas": [USER_URN], "id": "1", "userName": "ann", "name": {"givenName": "A"},
                "emails": [{"value": "a@example.com"}], ENTERPRISE_URN: {"department": "R&D"},
            })
        );
    }

    #[test]
    fn excluded_attributes_drop_what_is_named_but_never_the_id() {
        let got = projection("", "id,meta,name.givenName,emails").apply(user());
        assert_eq!(got["id"], "1");
        assert!(got.get("meta").is_none() && got.get("emails").is_none());
        assert_eq!(got["name"], serde_json::json!({"formatted": "Ann"}));
    }

    #[test]
    fn versions_round_trip_and_foreign_tags_fail() {
        let at = OffsetDateTime::from_unix_timestamp_nanos(1_764_892_800_123_456_000).unwrap();
        let tag = version_of(at);
        assert_eq!(time_of(&tag), Some(at));
        assert_eq!(time_of("\"1764892800123456\""), Some(at));
        assert_eq!(time_of("W/\"abc\""), None);
    }
}
