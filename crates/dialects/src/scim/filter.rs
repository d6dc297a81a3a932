//! SCIM filters (RFC 7644 §3.4.2.2) and PATCH paths (§3.5.2): the grammar parsed once into [`Filter`] and
//! [`PatchPath`]. A filter on `/Users` is compiled to the domain's [`AccountFilter`] (and so to SQL with bound
//! values, by the store); a filter inside a PATCH path is evaluated on the elements of a multi-valued attribute.
//!
//! Operators and attribute names are case-insensitive; `not` binds tighter than `and`, which binds tighter than
//! `or`.

use domain::model::{AccountFilter, AccountStatus, Comparison, TextAttribute, TimeAttribute};
use serde_json::Value;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use uuid::Uuid;

use super::error::{ScimError, ScimType};
use super::schema::{self, USER_URN};

/// Longest filter accepted, and deepest nesting.
const MAX_LEN: usize = 4096;
const MAX_DEPTH: usize = 32;

/// An attribute path: `[schema URN ":"] name ["." sub-attribute]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttrPath {
    /// The schema URN, when given (`urn:…:enterprise:2.0:User`).
    pub schema: Option<String>,
    /// The attribute's name as given.
    pub name: String,
    /// The sub-attribute's name, when given.
    pub sub: Option<String>,
}

impl AttrPath {
    /// Parses `raw` (no brackets).
    pub fn parse(raw: &str, kind: ScimType) -> Result<Self, ScimError> {
        let invalid = || ScimError::bad(kind, format!("{raw:?} is not an attribute path."));
        // a URN prefix ends at the last `:`; the attribute's name follows it
        let (schema, rest) = match raw.rfind(':') {
            Some(at) if raw[..at].to_ascii_lowercase().starts_with("urn:") => (Some(&raw[..at]), &raw[at + 1..]),
            Some(_) => return Err(invalid()),
            None => (None, raw),
        };
        let (name, sub) = match rest.split_once('.') {
            Some((name, sub)) => (name, Some(sub)),
            None => (rest, None),
        };
        let word = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$');
        if !word(name) || sub.is_some_and(|s| !word(s)) {
            return Err(invalid());
        }
        Ok(Self { schema: schema.map(str::to_owned), name: name.to_owned(), sub: sub.map(str::to_owned) })
    }

    /// The path in lower case without the core User schema, `name` or `name.sub`: what the compiler matches.
    fn key(&self) -> String {
        let mut key = self.name.to_ascii_lowercase();
        if let Some(sub) = &self.sub {
            key.push('.');
            key.push_str(&sub.to_ascii_lowercase());
        }
        key
    }

    /// Whether the path is in the core User schema (or names none).
    fn in_core_user(&self) -> bool {
        self.schema.as_deref().is_none_or(|s| s.eq_ignore_ascii_case(USER_URN))
    }
}

/// A comparison operator, or `pr`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `eq`, `ne`, `co`, `sw`, `ew`, `gt`, `ge`, `lt`, `le`.
    Compare(Comparison),
    /// `pr`: has a value.
    Present,
}

/// A parsed filter.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    /// Every part holds.
    And(Vec<Filter>),
    /// Some part holds.
    Or(Vec<Filter>),
    /// The inner filter does not hold.
    Not(Box<Filter>),
    /// `attrPath op value` (`value` is `Null` for `pr`).
    Attr {
        /// The attribute.
        path: AttrPath,
        /// The operator.
        op: Op,
        /// The value compared with: a string, number, boolean or null.
        value: Value,
    },
    /// `attrPath[filter]`: some element of the multi-valued attribute meets the filter.
    Elements {
        /// The multi-valued attribute.
        path: AttrPath,
        /// The condition on one element.
        filter: Box<Filter>,
    },
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Open,
    Close,
    OpenBracket,
    CloseBracket,
    Word(String),
    Quoted(String),
}

fn tokens(input: &str, kind: ScimType) -> Result<Vec<Token>, ScimError> {
    let bad = |message: &str| ScimError::bad(kind, message.to_owned());
    let mut out = Vec::new();
    let mut chars = input.char_indices().peekable();
    while let Some(&(at, c)) = chars.peek() {
        match c {
            c if c.is_whitespace() => {
                chars.next();
            }
            '(' | ')' | '[' | ']' => {
                chars.next();
                out.push(match c {
                    '(' => Token::Open,
                    ')' => Token::Close,
                    '[' => Token::OpenBracket,
                    _ => Token::CloseBracket,
                });
            }
            '"' => {
                // a JSON string: find its end, then let the JSON parser handle the escapes
                chars.next();
                let mut end = None;
                while let Some((i, c)) = chars.next() {
                    match c {
                        '\\' => {
                            chars.next();
                        }
                        '"' => {
                            end = Some(i);
                            break;
                        }
                        _ => {}
                    }
                }
                let end = end.ok_or_else(|| bad("The filter has an unterminated string."))?;
                let text: String = serde_json::from_str(&input[at..=end])
                    .map_err(|_| bad("The filter has a string with an invalid escape."))?;
                out.push(Token::Quoted(text));
            }
            _ => {
                let mut end = input.len();
                while let Some(&(i, c)) = chars.peek() {
                    if c.is_whitespace() || "()[]\"".contains(c) {
                        end = i;
                        break;
                    }
                    chars.next();
                }
                out.push(Token::Word(input[at..end].to_owned()));
            }
        }
    }
    Ok(out)
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
    kind: ScimType,
}

impl Parser {
    fn bad(&self, message: impl Into<String>) -> ScimError {
        ScimError::bad(self.kind, message)
    }

    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn next(&mut self) -> Option<Token> {
        let t = self.tokens.get(self.at).cloned();
        self.at += 1;
        t
    }

    fn keyword(&self, word: &str) -> bool {
        matches!(self.peek(), Some(Token::Word(w)) if w.eq_ignore_ascii_case(word))
    }

    /// `or := and ("or" and)*`
    fn or(&mut self, depth: usize) -> Result<Filter, ScimError> {
        let mut parts = vec![self.and(depth)?];
        while self.keyword("or") {
            self.next();
            parts.push(self.and(depth)?);
        }
        Ok(if parts.len() == 1 { parts.remove(0) } else { Filter::Or(parts) })
    }

    /// `and := unary ("and" unary)*`
    fn and(&mut self, depth: usize) -> Result<Filter, ScimError> {
        let mut parts = vec![self.unary(depth)?];
        while self.keyword("and") {
            self.next();
            parts.push(self.unary(depth)?);
        }
        Ok(if parts.len() == 1 { parts.remove(0) } else { Filter::And(parts) })
    }

    fn group(&mut self, depth: usize) -> Result<Filter, ScimError> {
        if depth >= MAX_DEPTH {
            return Err(self.bad(format!("The filter nests more than {MAX_DEPTH} levels.")));
        }
        let inner = self.or(depth + 1)?;
        match self.next() {
            Some(Token::Close) => Ok(inner),
            _ => Err(self.bad("The filter is missing a closing parenthesis.")),
        }
    }

    /// `unary := "not" "(" or ")" | "(" or ")" | attrExp | valuePath`
    fn unary(&mut self, depth: usize) -> Result<Filter, ScimError> {
        if self.keyword("not") {
            self.next();
            if self.next() != Some(Token::Open) {
                return Err(self.bad("`not` must be followed by a parenthesised filter."));
            }
            return Ok(Filter::Not(Box::new(self.group(depth)?)));
        }
        match self.next() {
            Some(Token::Open) => self.group(depth),
            Some(Token::Word(word)) => {
                let path = AttrPath::parse(&word, self.kind)?;
                if self.peek() == Some(&Token::OpenBracket) {
                    self.next();
                    if depth >= MAX_DEPTH {
                        return Err(self.bad(format!("The filter nests more than {MAX_DEPTH} levels.")));
                    }
                    let filter = self.or(depth + 1)?;
                    if self.next() != Some(Token::CloseBracket) {
                        return Err(self.bad("The filter is missing a closing bracket."));
                    }
                    return Ok(Filter::Elements { path, filter: Box::new(filter) });
                }
                self.comparison(path)
            }
            Some(other) => Err(self.bad(format!("Unexpected {other:?} in the filter."))),
            None => Err(self.bad("The filter ends too early.")),
        }
    }

    fn comparison(&mut self, path: AttrPath) -> Result<Filter, ScimError> {
        let Some(Token::Word(op)) = self.next() else {
            return Err(self.bad(format!("An operator must follow {:?}.", path.name)));
        };
        let op = match op.to_ascii_lowercase().as_str() {
            "pr" => return Ok(Filter::Attr { path, op: Op::Present, value: Value::Null }),
            "eq" => Comparison::Eq,
            "ne" => Comparison::Ne,
            "co" => Comparison::Contains,
            "sw" => Comparison::StartsWith,
            "ew" => Comparison::EndsWith,
            "gt" => Comparison::Gt,
            "ge" => Comparison::Ge,
            "lt" => Comparison::Lt,
            "le" => Comparison::Le,
            _ => return Err(self.bad(format!("{op:?} is not a filter operator."))),
        };
        let value = match self.next() {
            Some(Token::Quoted(text)) => Value::String(text),
            Some(Token::Word(word)) => match word.as_str() {
                "true" => Value::Bool(true),
                "false" => Value::Bool(false),
                "null" => Value::Null,
                number => serde_json::from_str::<serde_json::Number>(number)
                    .map(Value::Number)
                    .map_err(|_| self.bad(format!("{word:?} is not a value; quote strings.")))?,
            },
            _ => return Err(self.bad("A value must follow the operator.")),
        };
        Ok(Filter::Attr { path, op: Op::Compare(op), value })
    }
}

/// Parses a `filter` query parameter.
///
/// # Errors
/// `invalidFilter` naming what is wrong.
pub fn parse(input: &str) -> Result<Filter, ScimError> {
    parse_as(input, ScimType::InvalidFilter)
}

fn parse_as(input: &str, kind: ScimType) -> Result<Filter, ScimError> {
    if input.len() > MAX_LEN {
        return Err(ScimError::bad(kind, format!("The filter is longer than {MAX_LEN} bytes.")));
    }
    let mut parser = Parser { tokens: tokens(input, kind)?, at: 0, kind };
    if parser.tokens.is_empty() {
        return Err(ScimError::bad(kind, "The filter is empty."));
    }
    let filter = parser.or(0)?;
    if parser.at != parser.tokens.len() {
        return Err(ScimError::bad(kind, "The filter has text after its end."));
    }
    Ok(filter)
}

/// A PATCH path: `attrPath`, or `valuePath` with an optional sub-attribute (`emails[type eq "work"].value`).
#[derive(Debug, Clone, PartialEq)]
pub struct PatchPath {
    /// The attribute (with its sub-attribute when there is no filter).
    pub attr: AttrPath,
    /// The filter selecting elements of a multi-valued attribute.
    pub filter: Option<Filter>,
    /// The sub-attribute of the selected elements.
    pub sub: Option<String>,
}

impl PatchPath {
    /// Parses an operation's `path`.
    ///
    /// # Errors
    /// `invalidPath` naming what is wrong.
    pub fn parse(raw: &str) -> Result<Self, ScimError> {
        let raw = raw.trim();
        let Some(open) = raw.find('[') else {
            return Ok(Self { attr: AttrPath::parse(raw, ScimType::InvalidPath)?, filter: None, sub: None });
        };
        let close = raw
            .rfind(']')
            .filter(|c| *c > open)
            .ok_or_else(|| ScimError::bad(ScimType::InvalidPath, format!("{raw:?} is missing a closing bracket.")))?;
        let attr = AttrPath::parse(&raw[..open], ScimType::InvalidPath)?;
        if attr.sub.is_some() {
            return Err(ScimError::bad(ScimType::InvalidPath, format!("{raw:?}: a filter follows a whole attribute.")));
        }
        let filter = parse_as(&raw[open + 1..close], ScimType::InvalidPath)?;
        let sub = match &raw[close + 1..] {
            "" => None,
            rest => match rest.strip_prefix('.') {
                Some(sub) if !sub.is_empty() && sub.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') => {
                    Some(sub.to_owned())
                }
                _ => return Err(ScimError::bad(ScimType::InvalidPath, format!("{raw:?} is not a path."))),
            },
        };
        Ok(Self { attr, filter: Some(filter), sub })
    }
}

/// The value of key `name` of a JSON object, matching the name without regard to case.
pub fn get_ci<'a>(object: &'a serde_json::Map<String, Value>, name: &str) -> Option<&'a Value> {
    object.get(name).or_else(|| object.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v))
}

/// Whether `element` (a resource, or one value of a multi-valued attribute such as `{"type": "work", "value":
/// "…"}`) meets `filter`. Strings compare without regard to case, as the core schema's `caseExact: false` says;
/// a comparison on a multi-valued attribute holds when it holds for one of its values.
pub fn matches(filter: &Filter, element: &Value) -> bool {
    match filter {
        Filter::And(parts) => parts.iter().all(|f| matches(f, element)),
        Filter::Or(parts) => parts.iter().any(|f| matches(f, element)),
        Filter::Not(inner) => !matches(inner, element),
        Filter::Elements { path, filter } => match attribute_of(element, path) {
            Value::Array(items) => items.iter().any(|item| matches(filter, item)),
            Value::Null => false,
            single => matches(filter, &single),
        },
        Filter::Attr { path, op, value } => {
            let found = attribute_of(element, path);
            let sub = |v: &Value| match (&path.sub, v) {
                (Some(sub), Value::Object(o)) => get_ci(o, sub).cloned().unwrap_or(Value::Null),
                (Some(_), _) => Value::Null,
                (None, v) => v.clone(),
            };
            match found {
                Value::Array(items) if !items.is_empty() => {
                    items.iter().any(|item| compare_json(&sub(item), *op, value))
                }
                Value::Array(_) => compare_json(&Value::Null, *op, value),
                single => compare_json(&sub(&single), *op, value),
            }
        }
    }
}

/// The attribute a path names in `element` (its schema URN naming an extension object when it is one).
fn attribute_of(element: &Value, path: &AttrPath) -> Value {
    match element {
        Value::Object(object) => {
            let container =
                path.schema.as_deref().and_then(|urn| get_ci(object, urn)).and_then(Value::as_object).unwrap_or(object);
            get_ci(container, &path.name).cloned().unwrap_or(Value::Null)
        }
        // a multi-valued attribute of plain values: `value` is the element itself
        plain if path.name.eq_ignore_ascii_case("value") => plain.clone(),
        _ => Value::Null,
    }
}

fn compare_json(found: &Value, op: Op, value: &Value) -> bool {
    let present = !matches!(found, Value::Null) && found.as_str() != Some("");
    let Op::Compare(op) = op else { return present };
    let text = |v: &Value| match v {
        Value::String(s) => Some(s.to_lowercase()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    let (Some(left), Some(right)) = (text(found), text(value)) else {
        // null compares equal to an absent value only
        let both_null = !present && value.is_null();
        return match op {
            Comparison::Eq => both_null,
            Comparison::Ne => !both_null,
            _ => false,
        };
    };
    match op {
        Comparison::Eq => left == right,
        Comparison::Ne => left != right,
        Comparison::Contains => left.contains(&right),
        Comparison::StartsWith => left.starts_with(&right),
        Comparison::EndsWith => left.ends_with(&right),
        Comparison::Gt => left > right,
        Comparison::Ge => left >= right,
        Comparison::Lt => left < right,
        Comparison::Le => left <= right,
    }
}

fn unfilterable(path: &AttrPath) -> ScimError {
    ScimError::bad(ScimType::InvalidFilter, format!("{} cannot be filtered on.", path.key()))
}

/// A filter on `/Users` as the domain's account filter.
///
/// # Errors
/// `invalidFilter` for attributes that cannot be filtered on and for values of the wrong type.
pub fn users_filter(filter: &Filter) -> Result<AccountFilter, ScimError> {
    match filter {
        Filter::And(parts) => Ok(AccountFilter::All(parts.iter().map(users_filter).collect::<Result<_, _>>()?)),
        Filter::Or(parts) => Ok(AccountFilter::Any(parts.iter().map(users_filter).collect::<Result<_, _>>()?)),
        Filter::Not(inner) => Ok(AccountFilter::Not(Box::new(users_filter(inner)?))),
        Filter::Elements { path, filter } => element_filter(path, filter),
        Filter::Attr { path, op, value } => {
            if !path.in_core_user() {
                return Err(unfilterable(path));
            }
            attribute_filter(path, &path.key(), *op, value)
        }
    }
}

/// `emails[…]` or `phoneNumbers[…]`: accountd keeps one work value of each, so `value` compares it and `type`
/// and `primary` hold exactly when it is there.
fn element_filter(path: &AttrPath, filter: &Filter) -> Result<AccountFilter, ScimError> {
    let attribute = match path.key().as_str() {
        "emails" => TextAttribute::Email,
        "phonenumbers" => TextAttribute::Phone,
        _ => return Err(unfilterable(path)),
    };
    match filter {
        Filter::And(parts) => {
            Ok(AccountFilter::All(parts.iter().map(|f| element_filter(path, f)).collect::<Result<_, _>>()?))
        }
        Filter::Or(parts) => {
            Ok(AccountFilter::Any(parts.iter().map(|f| element_filter(path, f)).collect::<Result<_, _>>()?))
        }
        Filter::Not(inner) => Ok(AccountFilter::Not(Box::new(element_filter(path, inner)?))),
        Filter::Elements { .. } => Err(unfilterable(path)),
        Filter::Attr { path: inner, op, value } => match inner.key().as_str() {
            "value" => text_filter(attribute, inner, *op, value),
            "type" | "primary" => {
                let element = serde_json::json!({"type": schema::WORK, "primary": true});
                Ok(if matches(&Filter::Attr { path: inner.clone(), op: *op, value: value.clone() }, &element) {
                    AccountFilter::Present(attribute)
                } else {
                    AccountFilter::Any(Vec::new())
                })
            }
            _ => Err(unfilterable(inner)),
        },
    }
}

fn text_filter(attribute: TextAttribute, path: &AttrPath, op: Op, value: &Value) -> Result<AccountFilter, ScimError> {
    match (op, value) {
        (Op::Present, _) => Ok(AccountFilter::Present(attribute)),
        (Op::Compare(Comparison::Eq), Value::Null) => {
            Ok(AccountFilter::Not(Box::new(AccountFilter::Present(attribute))))
        }
        (Op::Compare(Comparison::Ne), Value::Null) => Ok(AccountFilter::Present(attribute)),
        (Op::Compare(op), Value::String(text)) => Ok(AccountFilter::Text { attribute, op, value: text.clone() }),
        _ => Err(ScimError::bad(ScimType::InvalidFilter, format!("{} compares with a string.", path.key()))),
    }
}

fn attribute_filter(path: &AttrPath, key: &str, op: Op, value: &Value) -> Result<AccountFilter, ScimError> {
    let text = match key {
        "id" => {
            // an id that is not a UUID matches nothing for `eq`, and compares as text otherwise
            if let (Op::Compare(Comparison::Eq), Value::String(raw)) = (op, value) {
                return Ok(match Uuid::parse_str(raw) {
                    Ok(id) => AccountFilter::Id(id),
                    Err(_) => AccountFilter::Any(Vec::new()),
                });
            }
            TextAttribute::Id
        }
        "username" => TextAttribute::UserName,
        "displayname" | "name.formatted" => TextAttribute::Name,
        "externalid" => TextAttribute::ExternalId,
        "emails" | "emails.value" => TextAttribute::Email,
        "phonenumbers" | "phonenumbers.value" => TextAttribute::Phone,
        "emails.type" | "emails.primary" | "phonenumbers.type" | "phonenumbers.primary" => {
            let inner = AttrPath { schema: None, name: path.sub.clone().unwrap_or_default(), sub: None };
            return element_filter(
                &AttrPath { schema: None, name: path.name.clone(), sub: None },
                &Filter::Attr { path: inner, op, value: value.clone() },
            );
        }
        "active" => return active_filter(op, value),
        "meta.created" => return time_filter(TimeAttribute::CreatedAt, path, op, value),
        "meta.lastmodified" => return time_filter(TimeAttribute::UpdatedAt, path, op, value),
        _ => return Err(unfilterable(path)),
    };
    text_filter(text, path, op, value)
}

/// `active`: live and not disabled (banned or closed).
fn active_filter(op: Op, value: &Value) -> Result<AccountFilter, ScimError> {
    let disabled = || AccountFilter::Status(vec![AccountStatus::Banned, AccountStatus::Closed]);
    let enabled = || AccountFilter::Not(Box::new(disabled()));
    match (op, value.as_bool().or_else(|| value.as_str().and_then(schema::bool_text))) {
        (Op::Present, _) => Ok(AccountFilter::All(Vec::new())),
        (Op::Compare(Comparison::Eq), Some(true)) | (Op::Compare(Comparison::Ne), Some(false)) => Ok(enabled()),
        (Op::Compare(Comparison::Eq), Some(false)) | (Op::Compare(Comparison::Ne), Some(true)) => Ok(disabled()),
        _ => Err(ScimError::bad(ScimType::InvalidFilter, "active compares with eq or ne and true or false.")),
    }
}

fn time_filter(attribute: TimeAttribute, path: &AttrPath, op: Op, value: &Value) -> Result<AccountFilter, ScimError> {
    let bad = || ScimError::bad(ScimType::InvalidFilter, format!("{} compares with an RFC 3339 time.", path.key()));
    match op {
        Op::Present => Ok(AccountFilter::All(Vec::new())),
        Op::Compare(Comparison::Contains | Comparison::StartsWith | Comparison::EndsWith) => Err(bad()),
        Op::Compare(op) => {
            let at = value.as_str().and_then(|s| OffsetDateTime::parse(s, &Rfc3339).ok()).ok_or_else(bad)?;
            Ok(AccountFilter::Time { attribute, op, at })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attr(name: &str, op: Comparison, value: &str) -> Filter {
        Filter::Attr {
            path: AttrPath { schema: None, name: name.into(), sub: None },
            op: Op::Compare(op),
            value: Value::String(value.into()),
        }
    }

    #[test]
    fn precedence_is_not_then_and_then_or() {
        let parsed = parse(r#"userName eq "a" or userName eq "b" and not (displayName co "c")"#).unwrap();
        assert_eq!(
            parsed,
            Filter::Or(vec![
                attr("userName", Comparison::Eq, "a"),
                Filter::And(vec![
                    attr("userName", Comparison::Eq, "b"),
                    Filter::Not(Box::new(attr("displayName", Comparison::Contains, "c"))),
                ]),
            ])
        );
    }

    #[test]
    fn operators_are_case_insensitive_and_urns_are_stripped() {
        let parsed = parse(r#"urn:ietf:params:scim:schemas:core:2.0:User:userName EQ "Ann""#).unwrap();
        let Filter::Attr { path, .. } = &parsed else { panic!("{parsed:?}") };
        assert_eq!(path.schema.as_deref(), Some(USER_URN));
        assert_eq!(
            users_filter(&parsed).unwrap(),
            AccountFilter::Text { attribute: TextAttribute::UserName, op: Comparison::Eq, value: "Ann".into() }
        );
    }

    #[test]
    fn strings_take_json_escapes() {
        let Filter::Attr { value, .. } = parse(r#"displayName eq "a \"quoted\" \u00e9""#).unwrap() else { panic!() };
        assert_eq!(value, Value::String("a \"quoted\" é".into()));
    }

    #[test]
    fn malformed_filters_are_invalid_filter() {
        for bad in [
            "",
            "userName",
            "userName eq",
            "userName zz \"a\"",
            "(userName eq \"a\"",
            "userName eq \"a",
            "userName eq a",
            "not userName eq \"a\"",
            "emails[type eq \"work\"",
            "userName eq \"a\" extra",
            "title eq \"x\"",
            "active eq \"maybe\"",
            "meta.created gt \"yesterday\"",
        ] {
            let error = parse(bad).and_then(|f| users_filter(&f)).unwrap_err();
            assert_eq!(error.scim_type, Some(ScimType::InvalidFilter), "{bad}: {error:?}");
        }
        let deep = format!("{}userName pr{}", "(".repeat(40), ")".repeat(40));
        assert!(parse(&deep).is_err());
    }

    #[test]
    fn element_filters_evaluate_on_json() {
        let path = PatchPath::parse(r#"emails[type eq "WORK" and value ew "example.com"].value"#).unwrap();
        assert_eq!(path.attr.name, "emails");
        assert_eq!(path.sub.as_deref(), Some("value"));
        let filter = path.filter.unwrap();
        assert!(matches(&filter, &serde_json::json!({"type": "work", "value": "a@example.com"})));
        assert!(!matches(&filter, &serde_json::json!({"type": "home", "value": "a@example.com"})));
        assert!(!matches(&filter, &serde_json::json!({"value": "a@example.com"})));
    }

    #[test]
    fn patch_paths_take_schema_urns() {
        let path = PatchPath::parse("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department").unwrap();
        assert_eq!(path.attr.schema.as_deref(), Some(schema::ENTERPRISE_URN));
        assert_eq!(path.attr.name, "department");
        assert!(PatchPath::parse("emails[type eq \"work\"]x").is_err());
        assert!(PatchPath::parse("a:b").is_err());
    }

    #[test]
    fn active_and_times_compile() {
        assert_eq!(
            users_filter(&parse("active eq \"False\"").unwrap()).unwrap(),
            AccountFilter::Status(vec![AccountStatus::Banned, AccountStatus::Closed])
        );
        let f = users_filter(&parse("meta.lastModified ge \"2026-01-01T00:00:00Z\"").unwrap()).unwrap();
        assert!(matches!(f, AccountFilter::Time { attribute: TimeAttribute::UpdatedAt, op: Comparison::Ge, .. }));
        assert_eq!(users_filter(&parse("id eq \"not-a-uuid\"").unwrap()).unwrap(), AccountFilter::Any(Vec::new()));
    }
}
