//! PATCH (RFC 7644 §3.5.2): `add`, `remove` and `replace` operations applied to a resource's JSON
//! representation. The handler renders the resource, applies the operations here, and reads the result back as
//! it reads a PUT body, so PATCH and PUT share one translation into the use case's patch.
//!
//! Accepted as identity providers send it: operation names in any case (`"Replace"`), paths with schema URNs,
//! value filters on multi-valued attributes (`emails[type eq "work"].value`), an operation without a path whose
//! value's keys are paths (`{"name.givenName": "Ann"}`), and a `replace` (or `add`) through a filter that
//! matches nothing, which adds an element made of the filter's `eq` comparisons and the value.

use serde_json::{Map, Value};

use super::error::{ScimError, ScimType};
use super::filter::{get_ci, matches, AttrPath, Filter, Op, PatchPath};
use super::resource::require_schema;
use super::schema::{PATCH_URN, USER_URN};
use domain::model::Comparison;

/// Most operations in one request.
const MAX_OPERATIONS: usize = 1000;

/// What an operation does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Add a value (to a multi-valued attribute: append it).
    Add,
    /// Remove a value.
    Remove,
    /// Replace a value.
    Replace,
}

/// One PATCH operation.
#[derive(Debug, Clone)]
pub struct Operation {
    /// What it does.
    pub kind: Kind,
    /// Where; `None` means the resource itself.
    pub path: Option<PatchPath>,
    /// The value (`Null` when absent).
    pub value: Value,
}

/// The operations of a PATCH body.
///
/// # Errors
/// `invalidSyntax` for a body that is not a PatchOp message, `invalidPath` for a path that does not parse.
pub fn operations(body: &Map<String, Value>) -> Result<Vec<Operation>, ScimError> {
    require_schema(body, PATCH_URN)?;
    let syntax = |message: String| ScimError::bad(ScimType::InvalidSyntax, message);
    let list = get_ci(body, "Operations")
        .and_then(Value::as_array)
        .filter(|l| !l.is_empty())
        .ok_or_else(|| syntax("Operations must be a non-empty array.".into()))?;
    if list.len() > MAX_OPERATIONS {
        return Err(syntax(format!("At most {MAX_OPERATIONS} operations are accepted.")));
    }
    list.iter()
        .enumerate()
        .map(|(index, item)| {
            let item = item.as_object().ok_or_else(|| syntax(format!("Operations[{index}] must be an object.")))?;
            let kind = match get_ci(item, "op").and_then(Value::as_str).map(str::to_ascii_lowercase).as_deref() {
                Some("add") => Kind::Add,
                Some("remove") => Kind::Remove,
                Some("replace") => Kind::Replace,
                _ => return Err(syntax(format!("Operations[{index}].op must be add, remove or replace."))),
            };
            let path = match get_ci(item, "path") {
                None | Some(Value::Null) => None,
                Some(Value::String(raw)) if raw.trim().is_empty() => None,
                Some(Value::String(raw)) => Some(PatchPath::parse(raw)?),
                Some(_) => return Err(syntax(format!("Operations[{index}].path must be a string."))),
            };
            let value = get_ci(item, "value").cloned().unwrap_or(Value::Null);
            if kind == Kind::Remove && path.is_none() {
                return Err(ScimError::bad(ScimType::NoTarget, format!("Operations[{index}]: remove needs a path.")));
            }
            if kind != Kind::Remove && value.is_null() && path.as_ref().is_none_or(|p| p.filter.is_none()) {
                return Err(ScimError::bad(
                    ScimType::InvalidValue,
                    format!("Operations[{index}]: {kind:?} needs a value.").to_lowercase(),
                ));
            }
            Ok(Operation { kind, path, value })
        })
        .collect()
}

/// Applies the operations, in order, to `resource`. `extensions` are the schema URNs whose attributes live in
/// an object of that name.
///
/// # Errors
/// `mutability` for `id` and `meta`, `invalidPath` for a filter on a single-valued attribute, `invalidValue` for
/// a value of the wrong shape.
pub fn apply(resource: &mut Map<String, Value>, ops: &[Operation], extensions: &[&str]) -> Result<(), ScimError> {
    for op in ops {
        match &op.path {
            Some(path) => apply_at(resource, op.kind, path, op.value.clone(), extensions)?,
            None => {
                let Value::Object(values) = &op.value else {
                    return Err(ScimError::bad(ScimType::InvalidValue, "An operation without a path takes an object."));
                };
                for (key, value) in values {
                    // Okta sends the resource's own id along with the values it replaces
                    let own_id = key.eq_ignore_ascii_case("id") && get_ci(resource, "id") == Some(value);
                    if key.eq_ignore_ascii_case("schemas") || key.eq_ignore_ascii_case("meta") || own_id {
                        continue;
                    }
                    if let (Some(urn), Value::Object(inner)) =
                        (extensions.iter().chain([&USER_URN]).find(|u| u.eq_ignore_ascii_case(key)), value)
                    {
                        for (name, value) in inner {
                            let path = PatchPath::parse(&format!("{urn}:{name}"))?;
                            apply_at(resource, op.kind, &path, value.clone(), extensions)?;
                        }
                        continue;
                    }
                    apply_at(resource, op.kind, &PatchPath::parse(key)?, value.clone(), extensions)?;
                }
            }
        }
    }
    Ok(())
}

/// The key of `object` that is `name` without regard to case.
fn key_of(object: &Map<String, Value>, name: &str) -> String {
    object.keys().find(|k| k.eq_ignore_ascii_case(name)).cloned().unwrap_or_else(|| name.to_owned())
}

/// The object holding the attributes of the path's schema: the resource itself, or an extension's object.
fn container<'a>(
    resource: &'a mut Map<String, Value>,
    attr: &AttrPath,
    extensions: &[&str],
) -> Result<&'a mut Map<String, Value>, ScimError> {
    let Some(schema) = attr.schema.as_deref().filter(|s| !s.eq_ignore_ascii_case(USER_URN)) else {
        return Ok(resource);
    };
    let urn = extensions
        .iter()
        .find(|u| u.eq_ignore_ascii_case(schema))
        .ok_or_else(|| ScimError::bad(ScimType::InvalidPath, format!("{schema} is not a schema of this resource.")))?;
    let key = key_of(resource, urn);
    let slot = resource.entry(key).or_insert_with(|| Value::Object(Map::new()));
    if !slot.is_object() {
        *slot = Value::Object(Map::new());
    }
    Ok(slot.as_object_mut().expect("made an object above"))
}

fn apply_at(
    resource: &mut Map<String, Value>,
    kind: Kind,
    path: &PatchPath,
    value: Value,
    extensions: &[&str],
) -> Result<(), ScimError> {
    let name = &path.attr.name;
    if path.attr.schema.is_none() && (name.eq_ignore_ascii_case("id") || name.eq_ignore_ascii_case("meta")) {
        return Err(ScimError::bad(ScimType::Mutability, format!("{name} is read-only.")));
    }
    let container = container(resource, &path.attr, extensions)?;
    let key = key_of(container, name);
    match (&path.filter, &path.attr.sub) {
        (Some(filter), _) => apply_filtered(container, &key, kind, filter, path.sub.as_deref(), value),
        (None, Some(sub)) => {
            apply_sub(container, &key, kind, sub, value);
            Ok(())
        }
        (None, None) => {
            apply_whole(container, key, kind, value);
            Ok(())
        }
    }
}

/// Whether two elements of a multi-valued attribute are the same value.
fn same_element(a: &Value, b: &Value) -> bool {
    let value = |v: &Value| match v {
        Value::Object(o) => get_ci(o, "value").cloned(),
        other => Some(other.clone()),
    };
    match (value(a), value(b)) {
        (Some(Value::String(x)), Some(Value::String(y))) => x.eq_ignore_ascii_case(&y),
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

/// Merges `value`'s keys into `target` (sub-attributes not named stay).
fn merge(target: &mut Value, value: Value) {
    match (target, value) {
        (Value::Object(target), Value::Object(value)) => {
            for (k, v) in value {
                let key = key_of(target, &k);
                target.insert(key, v);
            }
        }
        (target, value) => *target = value,
    }
}

fn as_list(value: Value) -> Vec<Value> {
    match value {
        Value::Array(items) => items,
        Value::Null => Vec::new(),
        single => vec![single],
    }
}

fn apply_whole(container: &mut Map<String, Value>, key: String, kind: Kind, value: Value) {
    match kind {
        Kind::Remove => match (container.get_mut(&key), value) {
            // remove the listed elements of a multi-valued attribute
            (Some(Value::Array(items)), Value::Array(gone)) if !gone.is_empty() => {
                items.retain(|item| !gone.iter().any(|g| same_element(item, g)));
            }
            _ => {
                container.remove(&key);
            }
        },
        Kind::Add | Kind::Replace if value.is_null() => {
            container.remove(&key);
        }
        Kind::Add => match container.get_mut(&key) {
            Some(Value::Array(items)) => {
                for new in as_list(value) {
                    if !items.iter().any(|item| same_element(item, &new)) {
                        items.push(new);
                    }
                }
            }
            Some(existing @ Value::Object(_)) => merge(existing, value),
            _ => {
                container.insert(key, value);
            }
        },
        Kind::Replace => match container.get_mut(&key) {
            Some(existing @ Value::Object(_)) if value.is_object() => merge(existing, value),
            _ => {
                container.insert(key, value);
            }
        },
    }
}

fn apply_sub(container: &mut Map<String, Value>, key: &str, kind: Kind, sub: &str, value: Value) {
    let slot = container.entry(key.to_owned()).or_insert_with(|| Value::Object(Map::new()));
    let set = |element: &mut Value| {
        if !element.is_object() {
            *element = Value::Object(Map::new());
        }
        let object = element.as_object_mut().expect("made an object above");
        let sub_key = key_of(object, sub);
        if kind == Kind::Remove || value.is_null() {
            object.remove(&sub_key);
        } else {
            object.insert(sub_key, value.clone());
        }
    };
    match slot {
        Value::Array(items) if items.is_empty() && kind != Kind::Remove => {
            let mut element = Value::Object(Map::new());
            set(&mut element);
            items.push(element);
        }
        Value::Array(items) => items.iter_mut().for_each(set),
        single => set(single),
    }
}

/// The `attr eq value` comparisons a filter requires, as the element they describe.
fn element_from(filter: &Filter, into: &mut Map<String, Value>) {
    match filter {
        Filter::And(parts) => parts.iter().for_each(|f| element_from(f, into)),
        Filter::Attr { path, op: Op::Compare(Comparison::Eq), value } if path.sub.is_none() => {
            into.insert(path.name.clone(), value.clone());
        }
        _ => {}
    }
}

fn apply_filtered(
    container: &mut Map<String, Value>,
    key: &str,
    kind: Kind,
    filter: &Filter,
    sub: Option<&str>,
    value: Value,
) -> Result<(), ScimError> {
    let slot = container.entry(key.to_owned()).or_insert_with(|| Value::Array(Vec::new()));
    if slot.is_null() {
        *slot = Value::Array(Vec::new());
    }
    let Value::Array(items) = slot else {
        return Err(ScimError::bad(ScimType::InvalidPath, format!("{key} is not multi-valued; it takes no filter.")));
    };
    let matched: Vec<usize> = (0..items.len()).filter(|i| matches(filter, &items[*i])).collect();
    match kind {
        Kind::Remove => {
            match sub {
                None => {
                    let mut index = 0;
                    items.retain(|_| {
                        index += 1;
                        !matched.contains(&(index - 1))
                    });
                }
                Some(sub) => {
                    for i in matched {
                        if let Value::Object(o) = &mut items[i] {
                            o.retain(|k, _| !k.eq_ignore_ascii_case(sub));
                        }
                    }
                }
            }
            Ok(())
        }
        Kind::Add | Kind::Replace => {
            let update = |element: &mut Value| match sub {
                Some(sub) => {
                    if let Value::Object(o) = element {
                        let sub_key = key_of(o, sub);
                        o.insert(sub_key, value.clone());
                    }
                }
                None => merge(element, value.clone()),
            };
            if matched.is_empty() {
                let mut element = Map::new();
                element_from(filter, &mut element);
                let mut element = Value::Object(element);
                update(&mut element);
                items.push(element);
            } else {
                for i in matched {
                    update(&mut items[i]);
                }
            }
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::schema::ENTERPRISE_URN;
    use serde_json::json;

    fn run(resource: Value, body: Value) -> Result<Value, ScimError> {
        let Value::Object(mut resource) = resource else { panic!() };
        let Value::Object(body) = body else { panic!() };
        apply(&mut resource, &operations(&body)?, &[ENTERPRISE_URN])?;
        Ok(Value::Object(resource))
    }

    fn ops(list: Value) -> Value {
        json!({"schemas": [PATCH_URN], "Operations": list})
    }

    #[test]
    fn entra_style_replace_with_a_filter_and_capitalised_ops() {
        let got = run(
            json!({"userName": "a", "emails": [{"value": "old@example.com", "type": "work", "primary": true}]}),
            ops(json!([
                {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "new@example.com"},
                {"op": "Add", "path": "phoneNumbers[type eq \"work\"].value", "value": "+15550100"},
                {"op": "Replace", "path": "active", "value": "False"},
                {"op": "Add", "path": format!("{ENTERPRISE_URN}:department"), "value": "R&D"},
            ])),
        )
        .unwrap();
        assert_eq!(got["emails"], json!([{"value": "new@example.com", "type": "work", "primary": true}]));
        assert_eq!(got["phoneNumbers"], json!([{"type": "work", "value": "+15550100"}]));
        assert_eq!(got["active"], "False");
        assert_eq!(got[ENTERPRISE_URN]["department"], "R&D");
    }

    #[test]
    fn a_pathless_operation_takes_paths_and_extensions_as_keys() {
        let got = run(
            json!({"userName": "a", "name": {"formatted": "A", "givenName": "A"}}),
            ops(json!([{"op": "replace", "value": {
                "name.familyName": "B", "DisplayName": "A B", ENTERPRISE_URN: {"division": "X"},
            }}])),
        )
        .unwrap();
        assert_eq!(got["name"], json!({"formatted": "A", "givenName": "A", "familyName": "B"}));
        assert_eq!(got["DisplayName"], "A B");
        assert_eq!(got[ENTERPRISE_URN]["division"], "X");
    }

    #[test]
    fn remove_takes_filters_and_listed_values() {
        let got = run(
            json!({"emails": [{"value": "a@x.com", "type": "work"}, {"value": "b@x.com", "type": "home"}],
                   "members": [{"value": "1"}, {"value": "2"}], "externalId": "e"}),
            ops(json!([
                {"op": "remove", "path": "emails[type eq \"home\"]"},
                {"op": "remove", "path": "members", "value": [{"value": "2"}]},
                {"op": "remove", "path": "externalId"},
            ])),
        )
        .unwrap();
        assert_eq!(got["emails"], json!([{"value": "a@x.com", "type": "work"}]));
        assert_eq!(got["members"], json!([{"value": "1"}]));
        assert!(got.get("externalId").is_none());
    }

    #[test]
    fn refusals_name_their_scim_type() {
        let cases = [
            (json!({"Operations": [{"op": "add", "path": "x", "value": 1}]}), ScimType::InvalidSyntax),
            (ops(json!([])), ScimType::InvalidSyntax),
            (ops(json!([{"op": "move", "path": "x"}])), ScimType::InvalidSyntax),
            (ops(json!([{"op": "remove"}])), ScimType::NoTarget),
            (ops(json!([{"op": "replace", "path": "id", "value": "x"}])), ScimType::Mutability),
            (ops(json!([{"op": "replace", "path": "userName[value eq \"a\"]", "value": "x"}])), ScimType::InvalidPath),
            (ops(json!([{"op": "replace", "path": "emails[", "value": "x"}])), ScimType::InvalidPath),
            (ops(json!([{"op": "replace", "path": "urn:other:schema:attr", "value": "x"}])), ScimType::InvalidPath),
            (ops(json!([{"op": "replace", "value": "x"}])), ScimType::InvalidValue),
        ];
        for (body, expected) in cases {
            let error = run(json!({"userName": "a"}), body.clone()).unwrap_err();
            assert_eq!(error.scim_type, Some(expected), "{body}: {error:?}");
        }
    }
}
