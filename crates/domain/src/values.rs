//! Value objects and field rules: every value a dialect accepts is parsed here, with one rule per field for
//! every dialect (the widest the seeds allow); once constructed a value is valid. Error texts are plain and
//! name the field; each dialect renders them in its own words and envelope.

use std::fmt;
use std::sync::LazyLock;

use regex::Regex;

use crate::error::{DomainError, DomainResult};

static EMAIL_RE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[\w.!#$%&'*+\-/=?^_`{|}~]+@([\w-]+\.)+[\w-]{2,}$").expect("static regex"));

/// A trimmed email address. Comparison and uniqueness use [`EmailAddress::key`] (lower case).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct EmailAddress(String);

impl EmailAddress {
    /// Longest address accepted (RFC 5321 path limit).
    pub const MAX_LEN: usize = 254;

    /// Parses `raw` for the field `field`.
    ///
    /// # Errors
    /// [`DomainError::Invalid`] when the trimmed value is not an email address.
    pub fn parse(field: &'static str, raw: &str) -> DomainResult<Self> {
        let trimmed = raw.trim();
        if trimmed.len() > Self::MAX_LEN || !EMAIL_RE.is_match(trimmed) {
            return Err(DomainError::invalid(field, format!("{raw} is not a valid email.")));
        }
        Ok(Self(trimmed.to_owned()))
    }

    /// The address as given (trimmed).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The case-insensitive key stored in the unique index.
    pub fn key(&self) -> String {
        self.0.to_lowercase()
    }
}

impl fmt::Debug for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EmailAddress({})", self.0)
    }
}

/// Lower-cased lookup key for an email given in any form (used for throttle keys of unparsed input).
pub fn email_key(raw: &str) -> String {
    raw.trim().to_lowercase()
}

/// A plain-text password in transit. Its `Debug` never shows the value.
#[derive(Clone)]
pub struct Password(String);

impl Password {
    /// bcrypt only reads 72 bytes; longer passwords are refused rather than silently truncated.
    pub const MAX_BYTES: usize = 72;

    /// The rule for a new password, in every dialect: at least 8 characters with a letter and a digit, at most 72
    /// bytes, no control characters.
    ///
    /// # Errors
    /// [`DomainError::Invalid`] naming `field` when the rule is not met.
    pub fn parse_new(field: &'static str, raw: &str) -> DomainResult<Self> {
        refuse_control_characters(field, raw, false)?;
        if raw.len() > Self::MAX_BYTES {
            return Err(DomainError::invalid(field, "Password must be at most 72 bytes long."));
        }
        let long_enough = raw.chars().count() >= 8;
        let has_letter = raw.chars().any(|c| c.is_ascii_alphabetic());
        let has_digit = raw.chars().any(|c| c.is_ascii_digit());
        if !(long_enough && has_letter && has_digit) {
            return Err(DomainError::invalid(
                field,
                "Password must contain letters and numbers, and the length must be greater than 8.",
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    /// Any non-empty password within bcrypt's limit (used to check a login attempt, not to set one).
    ///
    /// # Errors
    /// [`DomainError::Invalid`] when empty or longer than 72 bytes.
    pub fn parse_any(field: &'static str, raw: &str) -> DomainResult<Self> {
        if raw.is_empty() {
            return Err(DomainError::invalid(field, "Password must not be empty."));
        }
        refuse_control_characters(field, raw, false)?;
        if raw.len() > Self::MAX_BYTES {
            return Err(DomainError::invalid(field, "Password must be at most 72 bytes long."));
        }
        Ok(Self(raw.to_owned()))
    }

    /// The secret itself, for hashers only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

/// A display name: trimmed, 1 to 64 characters, no control characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DisplayName(String);

impl DisplayName {
    /// Longest name in characters (the widest of the dialects' limits: iam and account-modify allow 64, the
    /// console's seed 30).
    pub const MAX_CHARS: usize = 64;

    /// # Errors
    /// [`DomainError::Invalid`] naming `field` when empty or holding a control character;
    /// [`DomainError::TooLong`] when too long.
    pub fn parse(field: &'static str, raw: &str) -> DomainResult<Self> {
        let trimmed = raw.trim();
        refuse_control_characters(field, trimmed, false)?;
        if trimmed.is_empty() {
            return Err(DomainError::invalid(field, "Name must not be empty."));
        }
        if trimmed.chars().count() > Self::MAX_CHARS {
            return Err(DomainError::TooLong { field, max: Self::MAX_CHARS, value: trimmed.to_owned() });
        }
        Ok(Self(trimmed.to_owned()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Takes the inner string.
    pub fn into_inner(self) -> String {
        self.0
    }
}

/// A phone number (local part): 3 to 20 digits, optionally after a `+`.
///
/// # Errors
/// [`DomainError::Invalid`] naming `field` otherwise.
pub fn parse_phone(field: &'static str, raw: &str) -> DomainResult<String> {
    let phone = raw.trim();
    let digits = phone.strip_prefix('+').unwrap_or(phone);
    if !(3..=20).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(DomainError::invalid(field, "3 to 20 digits, optionally after a +."));
    }
    Ok(phone.to_owned())
}

/// A phone country code: 1 to 4 digits, optionally after a `+` (stored without it).
///
/// # Errors
/// [`DomainError::Invalid`] naming `field` otherwise.
pub fn parse_country_code(field: &'static str, raw: &str) -> DomainResult<String> {
    let code = raw.trim();
    let digits = code.strip_prefix('+').unwrap_or(code);
    if !(1..=4).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(DomainError::invalid(field, "1 to 4 digits, optionally after a +."));
    }
    Ok(digits.to_owned())
}

/// Refuses NUL and every other control character (C0, DEL and C1) in text a person or a client typed; text that
/// may span lines (`multiline`) keeps tabs and line breaks. Stored text never holds a character that one backend
/// refuses (Postgres cannot store NUL) or that a terminal, a log line or a CSV export would act on.
///
/// # Errors
/// [`DomainError::Invalid`] naming `field`.
pub fn refuse_control_characters(field: &'static str, raw: &str, multiline: bool) -> DomainResult<()> {
    let allowed = |c: char| multiline && matches!(c, '\t' | '\n' | '\r');
    if raw.chars().any(|c| c.is_control() && !allowed(c)) {
        return Err(DomainError::invalid(field, format!("{field} must not contain control characters.")));
    }
    Ok(())
}

/// Trimmed, non-empty text of at most `max` characters.
///
/// # Errors
/// [`DomainError::Invalid`] naming `field` when empty or holding a control character; [`DomainError::TooLong`]
/// when longer than `max`.
pub fn required_text(field: &'static str, raw: &str, max: usize) -> DomainResult<String> {
    let trimmed = raw.trim();
    refuse_control_characters(field, trimmed, false)?;
    if trimmed.is_empty() {
        return Err(DomainError::invalid(field, format!("{field} must not be empty.")));
    }
    if trimmed.chars().count() > max {
        return Err(DomainError::TooLong { field, max, value: trimmed.to_owned() });
    }
    Ok(trimmed.to_owned())
}

/// Like [`required_text`], but absent or blank text is `None`.
///
/// # Errors
/// [`DomainError::Invalid`] naming `field` when too long.
pub fn optional_text(field: &'static str, raw: Option<&str>, max: usize) -> DomainResult<Option<String>> {
    match raw.map(str::trim).filter(|t| !t.is_empty()) {
        Some(t) => required_text(field, t, max).map(Some),
        None => Ok(None),
    }
}

/// A change of a nullable text field: `None` leaves it alone; `Some(None)` or blank text clears it; other text
/// is trimmed and parsed by `parse`.
///
/// # Errors
/// Whatever `parse` refuses.
pub fn nullable_change<T>(
    value: Option<Option<String>>,
    parse: impl FnOnce(&str) -> DomainResult<T>,
) -> DomainResult<Option<Option<T>>> {
    match value {
        None => Ok(None),
        Some(value) => match value.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            None => Ok(Some(None)),
            Some(text) => parse(text).map(|parsed| Some(Some(parsed))),
        },
    }
}

/// Longest description of an account (openapi/v1 `desc`, iam `remark`).
pub const DESCRIPTION_MAX_CHARS: usize = 255;

/// An account's description: trimmed, blank is none, may span lines, no other control characters, at most
/// [`DESCRIPTION_MAX_CHARS`].
///
/// # Errors
/// [`DomainError::Invalid`] or [`DomainError::TooLong`] naming `field`.
pub fn parse_description(field: &'static str, raw: Option<&str>) -> DomainResult<Option<String>> {
    let Some(text) = raw.map(str::trim).filter(|t| !t.is_empty()) else { return Ok(None) };
    refuse_control_characters(field, text, true)?;
    if text.chars().count() > DESCRIPTION_MAX_CHARS {
        return Err(DomainError::TooLong { field, max: DESCRIPTION_MAX_CHARS, value: text.to_owned() });
    }
    Ok(Some(text.to_owned()))
}

/// Longest external id (the account's id in a partner's directory).
pub const EXTERNAL_ID_MAX_CHARS: usize = 128;

/// An external id: trimmed, 1 to [`EXTERNAL_ID_MAX_CHARS`] characters, no control characters.
///
/// # Errors
/// [`DomainError::Invalid`] or [`DomainError::TooLong`] naming `field`.
pub fn parse_external_id(field: &'static str, raw: &str) -> DomainResult<String> {
    required_text(field, raw, EXTERNAL_ID_MAX_CHARS)
}

/// Allowed idle timeout of an account's console sessions, in seconds (30 minutes to 7 days).
pub const IDLE_TIMEOUT_SECS: std::ops::RangeInclusive<i64> = 1800..=604_800;
/// Allowed absolute lifetime of an account's console sessions, in seconds (1 minute to 30 days).
pub const MAX_LIFETIME_SECS: std::ops::RangeInclusive<i64> = 60..=2_592_000;

/// A session limit in seconds within `range` ([`IDLE_TIMEOUT_SECS`] or [`MAX_LIFETIME_SECS`]).
///
/// # Errors
/// [`DomainError::Invalid`] naming `field` outside the range.
pub fn parse_session_secs(field: &'static str, secs: i64, range: &std::ops::RangeInclusive<i64>) -> DomainResult<i64> {
    if range.contains(&secs) {
        Ok(secs)
    } else {
        Err(DomainError::invalid(field, format!("must be from {} to {} seconds.", range.start(), range.end())))
    }
}

/// The country code a phone number implies when none is given: 11 digits starting with 1 is a mainland China
/// mobile number written without its code (the legacy form the account-modify seed describes), `86`.
pub fn implied_country_code(phone: &str) -> Option<&'static str> {
    let legacy = phone.len() == 11 && phone.starts_with('1') && phone.bytes().all(|b| b.is_ascii_digit());
    legacy.then_some("86")
}

/// Longest search term.
pub const SEARCH_TERM_MAX_CHARS: usize = 256;

/// A search term from a query string: trimmed, blank is no term, no control characters, at most
/// [`SEARCH_TERM_MAX_CHARS`].
///
/// # Errors
/// [`DomainError::Invalid`] naming `field`.
pub fn search_term(field: &'static str, raw: Option<&str>) -> DomainResult<Option<String>> {
    optional_text(field, raw, SEARCH_TERM_MAX_CHARS)
}

/// Longest avatar reference (a file id or a URL).
pub const AVATAR_MAX_CHARS: usize = 255;
/// Longest WeChat id of an account's extension.
pub const WECHAT_MAX_CHARS: usize = 50;
/// Longest postal address of an account's extension.
pub const ADDRESS_MAX_CHARS: usize = 255;
/// Longest gender text of an account's extension.
pub const GENDER_MAX_CHARS: usize = 10;

/// Longest login name.
pub const MAX_USERNAME_CHARS: usize = 64;

/// A login name: trimmed, 1 to 64 letters, digits or `. _ + -`, and not only digits; or an email address of
/// at most 64 characters, which must then be the account's own email ([`check_login_name`]). Login names never
/// look like a phone number nor like another account's email, so a lookup by "login name, phone or email" is
/// unambiguous.
///
/// # Errors
/// [`DomainError::Invalid`] naming `field` otherwise.
pub fn parse_username(field: &'static str, raw: &str) -> DomainResult<String> {
    let name = raw.trim();
    let valid_chars = name.chars().all(|c| c.is_ascii_alphanumeric() || "._+-".contains(c));
    let email_like = name.contains('@') && EmailAddress::parse(field, name).is_ok();
    let phone_like = name.trim_start_matches('+').bytes().all(|b| b.is_ascii_digit());
    if name.is_empty() || name.chars().count() > MAX_USERNAME_CHARS || !(valid_chars || email_like) || phone_like {
        return Err(DomainError::invalid(
            field,
            format!(
                "at most {MAX_USERNAME_CHARS} letters, digits or . _ + -, not only digits, or the account's email \
                 address."
            ),
        ));
    }
    Ok(name.to_owned())
}

/// An account's login name may be an email address only if it is the account's own email (compared as
/// [`email_key`]), so that no login name can stand for another account's address.
///
/// # Errors
/// [`DomainError::Invalid`] naming `username` otherwise.
pub fn check_login_name(username: Option<&str>, email: Option<&str>) -> DomainResult<()> {
    match username {
        Some(name) if name.contains('@') && email.map(email_key) != Some(email_key(name)) => Err(DomainError::invalid(
            "username",
            "A login name that is an email address must be the account's own email; change both together.",
        )),
        _ => Ok(()),
    }
}

static TIMEZONE_RE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(UTC|[A-Z][A-Za-z_]+(/[A-Za-z0-9_+\-]+){1,2})$").expect("static regex"));

/// An IANA timezone name such as `Asia/Shanghai` or `UTC` (checked for shape; the zone database is the
/// client's).
///
/// # Errors
/// [`DomainError::Invalid`] naming `field` for anything else.
pub fn parse_timezone(field: &'static str, raw: &str) -> DomainResult<String> {
    if raw.len() <= 64 && TIMEZONE_RE.is_match(raw) {
        Ok(raw.to_owned())
    } else {
        Err(DomainError::invalid(field, format!("{raw} is not a valid timezone.")))
    }
}

/// The default timezone of a supported language.
pub fn default_timezone(language: &str) -> &'static str {
    LANGUAGES.iter().find(|(tag, _)| *tag == language).map_or("America/New_York", |(_, tz)| tz)
}

/// Interface languages the console supports, with the default timezone of each.
pub const LANGUAGES: &[(&str, &str)] = &[
    ("en-US", "America/New_York"),
    ("zh-Hans", "Asia/Shanghai"),
    ("zh-Hant", "Asia/Taipei"),
    ("pt-BR", "America/Sao_Paulo"),
    ("es-ES", "Europe/Madrid"),
    ("fr-FR", "Europe/Paris"),
    ("de-DE", "Europe/Berlin"),
    ("ja-JP", "Asia/Tokyo"),
    ("ko-KR", "Asia/Seoul"),
    ("ru-RU", "Europe/Moscow"),
    ("it-IT", "Europe/Rome"),
    ("uk-UA", "Europe/Kyiv"),
    ("vi-VN", "Asia/Ho_Chi_Minh"),
    ("ro-RO", "Europe/Bucharest"),
    ("pl-PL", "Europe/Warsaw"),
    ("hi-IN", "Asia/Kolkata"),
    ("tr-TR", "Europe/Istanbul"),
    ("fa-IR", "Asia/Tehran"),
    ("sl-SI", "Europe/Ljubljana"),
    ("th-TH", "Asia/Bangkok"),
];

/// Checks a language tag against [`LANGUAGES`].
///
/// # Errors
/// [`DomainError::Invalid`] naming `field` for an unsupported tag.
pub fn parse_language(field: &'static str, raw: &str) -> DomainResult<&'static str> {
    LANGUAGES
        .iter()
        .find(|(tag, _)| *tag == raw)
        .map(|(tag, _)| *tag)
        .ok_or_else(|| DomainError::invalid(field, format!("{raw} is not a valid language.")))
}

/// Percent-encodes a URL query value (RFC 3986 unreserved characters stay).
pub fn percent_encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// An instant written in RFC 3339 (`2026-12-04T08:00:00Z`, with any offset).
///
/// # Errors
/// [`DomainError::Invalid`] naming `field` for anything else.
pub fn parse_instant(field: &'static str, raw: &str) -> DomainResult<time::OffsetDateTime> {
    time::OffsetDateTime::parse(raw.trim(), &time::format_description::well_known::Rfc3339)
        .map_err(|_| DomainError::invalid(field, "Must be an RFC 3339 time, such as 2026-12-04T08:00:00Z."))
}

/// Longest action, target type or target id an audit filter names.
pub const AUDIT_FILTER_MAX_CHARS: usize = 128;

/// An audit filter's text (action, target type or id): trimmed, empty as none, no control characters.
///
/// # Errors
/// `TooLong` or `Invalid` naming `field`.
pub fn audit_filter_text(field: &'static str, raw: Option<&str>) -> DomainResult<Option<String>> {
    optional_text(field, raw, AUDIT_FILTER_MAX_CHARS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(percent_encode("a+b@example.com"), "a%2Bb%40example.com");
        assert_eq!(percent_encode("plain-._~"), "plain-._~");
        assert_eq!(percent_encode("Account is banned."), "Account%20is%20banned.");
    }

    #[test]
    fn usernames_never_look_like_a_phone_or_another_accounts_email() {
        assert_eq!(parse_username("username", " zhang.san_1+x-y ").unwrap(), "zhang.san_1+x-y");
        for bad in ["", "13800138000", "+8613800138000", "a@b@c", "@b.com", "has space", "名字", &"x".repeat(65)] {
            let err = parse_username("username", bad).unwrap_err();
            assert!(matches!(err, DomainError::Invalid { field: "username", .. }), "{bad:?}");
        }
        assert!(parse_username("username", "007bond").is_ok(), "digits with letters are fine");
        // an email as the login name (what identity providers send as SCIM userName), only the account's own
        assert_eq!(parse_username("username", "Ann@Example.com").unwrap(), "Ann@Example.com");
        assert!(check_login_name(Some("Ann@Example.com"), Some("ann@example.COM")).is_ok());
        assert!(check_login_name(Some("ann"), None).is_ok());
        for email in [None, Some("bo@example.com")] {
            let err = check_login_name(Some("ann@example.com"), email).unwrap_err();
            assert!(matches!(err, DomainError::Invalid { field: "username", .. }), "{email:?}");
        }
    }

    #[test]
    fn email_is_trimmed_and_keyed_case_insensitively() {
        let e = EmailAddress::parse("email", "  Ann@Example.COM ").unwrap();
        assert_eq!(e.as_str(), "Ann@Example.COM");
        assert_eq!(e.key(), "ann@example.com");
    }

    #[test]
    fn email_rejects_garbage_with_console_text() {
        let err = EmailAddress::parse("email", "not-an-email").unwrap_err();
        assert!(
            matches!(err, DomainError::Invalid { field: "email", ref message } if message == "not-an-email is not a valid email.")
        );
        assert!(EmailAddress::parse("email", "a@b").is_err());
    }

    #[test]
    fn new_password_rule() {
        assert!(Password::parse_new("password", "abcdefg1").is_ok());
        assert!(Password::parse_new("password", "abcdefgh").is_err());
        assert!(Password::parse_new("password", "12345678").is_err());
        assert!(Password::parse_new("password", "abc123").is_err());
        let long = format!("a1{}", "x".repeat(71));
        assert!(matches!(Password::parse_new("password", &long), Err(DomainError::Invalid { field: "password", .. })));
        assert_eq!(format!("{:?}", Password::parse_any("p", "secret1x").unwrap()), "Password(***)");
    }

    #[test]
    fn display_name_limits() {
        assert_eq!(DisplayName::parse("name", " zgi ").unwrap().as_str(), "zgi");
        assert!(DisplayName::parse("name", "   ").is_err());
        assert!(DisplayName::parse("name", &"名".repeat(64)).is_ok());
        let long = DisplayName::parse("name", &"名".repeat(65)).unwrap_err();
        assert!(matches!(long, DomainError::TooLong { field: "name", max: 64, .. }), "{long:?}");
    }

    #[test]
    fn control_characters_are_refused_in_text() {
        for bad in ["a\u{0}b", "a\u{7}", "\u{1b}[31m", "a\u{7f}", "a\u{85}b"] {
            assert!(required_text("desc", bad, 255).is_err(), "{bad:?}");
            assert!(DisplayName::parse("name", bad).is_err(), "{bad:?}");
            assert!(Password::parse_new("password", &format!("abc12345{bad}")).is_err(), "{bad:?}");
            assert!(refuse_control_characters("desc", bad, true).is_err(), "{bad:?}");
        }
        assert!(required_text("name", "a\tb", 10).is_err(), "single-line text holds no tab");
        assert_eq!(required_text("name", "pasted\n", 10).unwrap(), "pasted", "surrounding whitespace is trimmed first");
        assert!(refuse_control_characters("desc", "line one\r\nline\ttwo", true).is_ok());
        assert_eq!(required_text("name", " 名字 ", 10).unwrap(), "名字");
    }

    #[test]
    fn languages() {
        assert_eq!(parse_language("language", "zh-Hans").unwrap(), "zh-Hans");
        assert!(parse_language("language", "xx").is_err());
    }
}
