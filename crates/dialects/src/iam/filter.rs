//! The AIP-160 subset of `GET /iam/idp/v1/users?filter=`: comparisons `field = value` and `field != value` on
//! `id`, `username`, `name`, `email`, `phone`, `status` and `tenant_code`, joined by `AND` and `OR` (which, as in
//! AIP-160, binds tighter than `AND`), `NOT`, and parentheses. Values are double-quoted strings (with `\"` and
//! `\\` escapes) or bare words.

use domain::model::{AccountFilter, AccountStatus};

use super::status::IamError;

/// Longest filter accepted, and deepest nesting.
const MAX_LEN: usize = 2000;
const MAX_DEPTH: usize = 16;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Open,
    Close,
    Eq,
    Ne,
    And,
    Or,
    Not,
    Word(String),
    Quoted(String),
}

fn bad(message: impl Into<String>) -> IamError {
    IamError::field("filter", message)
}

fn tokens(input: &str) -> Result<Vec<Token>, IamError> {
    let mut out = Vec::new();
    let mut chars = input.chars().peekable();
    while let Some(&c) = chars.peek() {
        match c {
            c if c.is_whitespace() => {
                chars.next();
            }
            '(' | ')' | '=' => {
                chars.next();
                out.push(match c {
                    '(' => Token::Open,
                    ')' => Token::Close,
                    _ => Token::Eq,
                });
            }
            '!' => {
                chars.next();
                if chars.next() != Some('=') {
                    return Err(bad("`!` must be followed by `=`."));
                }
                out.push(Token::Ne);
            }
            '"' => {
                chars.next();
                let mut value = String::new();
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => value.push(chars.next().ok_or_else(|| bad("unfinished escape."))?),
                        Some(other) => value.push(other),
                        None => return Err(bad("unterminated string.")),
                    }
                }
                out.push(Token::Quoted(value));
            }
            _ => {
                let mut word = String::new();
                while let Some(&c) = chars.peek() {
                    if c.is_whitespace() || "()=!\"".contains(c) {
                        break;
                    }
                    word.push(c);
                    chars.next();
                }
                out.push(match word.as_str() {
                    "AND" => Token::And,
                    "OR" => Token::Or,
                    "NOT" => Token::Not,
                    _ => Token::Word(word),
                });
            }
        }
    }
    Ok(out)
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn next(&mut self) -> Option<Token> {
        let t = self.tokens.get(self.at).cloned();
        self.at += 1;
        t
    }

    /// `and := or ("AND" or)*`
    fn and(&mut self, depth: usize) -> Result<AccountFilter, IamError> {
        let mut parts = vec![self.or(depth)?];
        while self.peek() == Some(&Token::And) {
            self.next();
            parts.push(self.or(depth)?);
        }
        Ok(if parts.len() == 1 { parts.remove(0) } else { AccountFilter::All(parts) })
    }

    /// `or := term ("OR" term)*`
    fn or(&mut self, depth: usize) -> Result<AccountFilter, IamError> {
        let mut parts = vec![self.term(depth)?];
        while self.peek() == Some(&Token::Or) {
            self.next();
            parts.push(self.term(depth)?);
        }
        Ok(if parts.len() == 1 { parts.remove(0) } else { AccountFilter::Any(parts) })
    }

    /// `term := "NOT" term | "(" and ")" | field ("=" | "!=") value`
    fn term(&mut self, depth: usize) -> Result<AccountFilter, IamError> {
        if depth > MAX_DEPTH {
            return Err(bad(format!("nested deeper than {MAX_DEPTH} levels.")));
        }
        match self.next() {
            Some(Token::Not) => Ok(AccountFilter::Not(Box::new(self.term(depth + 1)?))),
            Some(Token::Open) => {
                let inner = self.and(depth + 1)?;
                match self.next() {
                    Some(Token::Close) => Ok(inner),
                    _ => Err(bad("missing `)`.")),
                }
            }
            Some(Token::Word(field)) => {
                let negated = match self.next() {
                    Some(Token::Eq) => false,
                    Some(Token::Ne) => true,
                    _ => return Err(bad(format!("`{field}` must be followed by `=` or `!=`."))),
                };
                let value = match self.next() {
                    Some(Token::Quoted(v) | Token::Word(v)) => v,
                    _ => return Err(bad(format!("`{field}` needs a value."))),
                };
                let condition = comparison(&field, value)?;
                Ok(if negated { AccountFilter::Not(Box::new(condition)) } else { condition })
            }
            Some(other) => Err(bad(format!("unexpected {other:?}."))),
            None => Err(bad("unexpected end.")),
        }
    }
}

/// The statuses an iam status names.
pub fn statuses(value: &str) -> Option<Vec<AccountStatus>> {
    match value {
        "valid" => Some(vec![AccountStatus::Active]),
        "invalid" => Some(vec![
            AccountStatus::Pending,
            AccountStatus::Uninitialized,
            AccountStatus::Dormant,
            AccountStatus::Closed,
        ]),
        "forbidden" => Some(vec![AccountStatus::Banned]),
        _ => None,
    }
}

fn comparison(field: &str, value: String) -> Result<AccountFilter, IamError> {
    Ok(match field {
        // an id that is not a UUID matches no user
        "id" => uuid::Uuid::parse_str(&value).map_or(AccountFilter::Any(Vec::new()), AccountFilter::Id),
        "username" => AccountFilter::Username(value),
        "name" => AccountFilter::Name(value),
        "email" => AccountFilter::EmailKey(domain::values::email_key(&value)),
        "phone" => AccountFilter::Phone(value),
        "tenant_code" => AccountFilter::WorkspaceCode(value),
        "status" => {
            AccountFilter::Status(statuses(&value).ok_or_else(|| bad("status must be valid, invalid or forbidden."))?)
        }
        other => {
            return Err(bad(format!(
                "unknown field `{other}`: id, username, name, email, phone, status and tenant_code can be filtered."
            )))
        }
    })
}

/// Parses a filter; blank means none.
///
/// # Errors
/// Code 3 naming `filter`.
pub fn parse(input: &str) -> Result<Option<AccountFilter>, IamError> {
    if input.trim().is_empty() {
        return Ok(None);
    }
    if input.len() > MAX_LEN {
        return Err(bad(format!("at most {MAX_LEN} characters.")));
    }
    domain::values::refuse_control_characters("filter", input, false)?;
    let mut parser = Parser { tokens: tokens(input)?, at: 0 };
    let filter = parser.and(0)?;
    if let Some(extra) = parser.peek() {
        return Err(bad(format!("unexpected {extra:?}.")));
    }
    Ok(Some(filter))
}

#[cfg(test)]
mod tests {
    use super::*;
    use AccountFilter::*;

    #[test]
    fn or_binds_tighter_than_and() {
        let f = parse(r#"status="valid" AND username = a OR name = "B c""#).unwrap().unwrap();
        assert_eq!(
            f,
            All(vec![Status(vec![AccountStatus::Active]), Any(vec![Username("a".into()), Name("B c".into())])])
        );
    }

    #[test]
    fn parentheses_not_and_inequality() {
        let id = uuid::Uuid::new_v4();
        let f = parse(&format!(r#"(id="{id}") AND NOT (email = "A@X.io" OR phone != 1)"#)).unwrap().unwrap();
        assert_eq!(
            f,
            All(vec![Id(id), Not(Box::new(Any(vec![EmailKey("a@x.io".into()), Not(Box::new(Phone("1".into())))])))])
        );
        assert_eq!(parse(r#"id = "nope""#).unwrap(), Some(Any(vec![])));
        assert_eq!(parse(r#"name = "say \"hi\"""#).unwrap(), Some(Name("say \"hi\"".into())));
        assert_eq!(parse("  ").unwrap(), None);
    }

    #[test]
    fn errors_name_the_filter() {
        for bad in [
            "nickname = a",
            "status = gone",
            "name =",
            "name a",
            "(name = a",
            "name = a)",
            "name = \"a",
            "name ! a",
            "AND",
            &"(".repeat(40),
        ] {
            let err = parse(bad).unwrap_err();
            assert!(err.to_string().contains("filter"), "{bad}: {err}");
        }
    }
}
