//! The account endpoints: `POST add`, `GET get`, `GET list`, `POST delete`, `POST set-disable` and
//! `POST {account_uuid}/modify`: the dialect's field names and shapes, translated to the domain's rules.

use actix_web::{web, HttpRequest, HttpResponse};
use domain::model::{Account, AccountSource, AccountStatus, WireEnum};
use domain::usecases::{AccountPatch, NewAccount};
use domain::values::{
    parse_country_code, parse_external_id, parse_language, parse_phone, parse_session_secs, parse_username,
    DisplayName, EmailAddress, Password, IDLE_TIMEOUT_SECS, MAX_LIFETIME_SECS,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;
use uuid::Uuid;

use super::auth::SignedCall;
use super::envelope::{field_name, success, ErrorEnvelope, ModifyError, PageInfo, SuccessEnvelope};
use crate::common::query::QueryParams;
use crate::common::routes::routes;
use crate::console::dto::double_option;
use crate::AppState;

routes! {
    post "/add" => add,
    get "/get" => get,
    get "/list" => list,
    post "/delete" => delete,
    post "/set-disable" => set_disable,
    post "/{account_uuid}/modify" => modify,
}

/// The operations of this module, for the API document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(add, get, list, delete, set_disable, modify))]
pub(crate) struct ApiPaths;

/// `acnt_<32 hex>`.
pub fn render_id(id: Uuid) -> String {
    format!("acnt_{}", id.simple())
}

/// An account id as `acnt_<32 hex>` or a dashed UUID.
fn parse_id(raw: &str) -> Option<Uuid> {
    let raw = raw.trim();
    let hex = raw.strip_prefix("acnt_");
    match hex {
        Some(hex) if hex.len() == 32 => Uuid::try_parse(hex).ok(),
        Some(_) => None,
        None if raw.len() == 36 => Uuid::try_parse(raw).ok(),
        None => None,
    }
}

/// Seconds of a session limit: the account's own, or the system default brought into the field's range (so that
/// an account read and written back stays valid).
fn effective_secs(own: Option<i64>, default: time::Duration, range: &std::ops::RangeInclusive<i64>) -> i64 {
    own.unwrap_or_else(|| default.whole_seconds().clamp(*range.start(), *range.end()))
}

/// An account as the dialect shows it.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = Account)]
struct AccountObject {
    /// `acnt_<32 hex>`.
    uuid: String,
    /// The login name.
    username: String,
    /// The display name.
    name: String,
    /// `""` when none.
    email: String,
    /// The phone number without country code; `""` when none.
    mobile: String,
    /// `""` when none.
    country_code: String,
    /// The id in the external directory; `""` when none.
    exter_id: String,
    /// `local`, `unknown`, `oidc` or `ldap`.
    source: &'static str,
    /// The client's own metadata, set at creation.
    #[schema(value_type = Object)]
    extend: Map<String, Value>,
    /// The identity provider's attributes.
    #[schema(value_type = Object)]
    attributes: Map<String, Value>,
    /// The application's attributes.
    #[schema(value_type = Object)]
    custom_attributes: Map<String, Value>,
    /// `zh` or `en`.
    language: &'static str,
    /// IANA timezone.
    timezone: String,
    /// 1 disabled, 0 not.
    status: i32,
    /// Banned or closed.
    is_disable: bool,
    /// 1 once the account has signed in, else 0.
    is_used: i32,
    /// Multi-factor authentication required.
    #[serde(rename = "enableMFA")]
    enable_mfa: bool,
    /// Idle timeout of a console session, in seconds.
    token_hold_time: i64,
    /// Absolute lifetime of a console session, in seconds.
    token_max_valid_duration: i64,
    /// Unix seconds.
    create_at: i64,
    /// Unix seconds.
    update_at: i64,
    /// Unix seconds; -1 for live accounts.
    delete_at: i64,
}

/// The account object.
fn account_object(state: &AppState, a: &Account) -> AccountObject {
    let settings = state.use_cases.settings();
    let disabled = matches!(a.status, AccountStatus::Banned | AccountStatus::Closed);
    AccountObject {
        uuid: render_id(a.id),
        username: a.username.clone().unwrap_or_default(),
        name: a.name.clone(),
        email: a.email.clone().unwrap_or_default(),
        mobile: a.phone.clone().unwrap_or_default(),
        country_code: a.country_code.clone().unwrap_or_default(),
        exter_id: a.external_id.clone().unwrap_or_default(),
        source: a.source.as_str(),
        extend: a.metadata.clone(),
        attributes: a.attributes.clone(),
        custom_attributes: a.custom_attributes.clone(),
        language: if a.interface_language.starts_with("zh") { "zh" } else { "en" },
        timezone: a.timezone.clone(),
        status: i32::from(disabled),
        is_disable: disabled,
        is_used: i32::from(a.last_login_at.is_some()),
        enable_mfa: a.mfa_enabled,
        token_hold_time: effective_secs(
            a.session_policy.idle_timeout_secs,
            settings.refresh_token_ttl,
            &IDLE_TIMEOUT_SECS,
        ),
        token_max_valid_duration: effective_secs(
            a.session_policy.max_lifetime_secs,
            settings.session_max_lifetime,
            &MAX_LIFETIME_SECS,
        ),
        create_at: a.created_at.unix_timestamp(),
        update_at: a.updated_at.unix_timestamp(),
        delete_at: a.deleted_at.map_or(-1, time::OffsetDateTime::unix_timestamp),
    }
}

/// The fields of `add` and `modify`. `None` is absent, `Some(None)` an explicit `null`.
///
/// `add` requires `username`, `name`, `email` and `password`; `modify` changes the fields given and refuses
/// `exterId`, `extend`, `language` and `isDisable`. No field may be `null`.
#[derive(Deserialize, Default, ToSchema)]
#[serde(rename_all = "camelCase")]
struct AccountInput {
    /// The login name (required by `add`).
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    username: Option<Option<String>>,
    /// Required by `add`, where it may be `""` only with an `exterId` (no password sign-in).
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    password: Option<Option<String>>,
    /// The display name (required by `add`).
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    name: Option<Option<String>>,
    /// Required by `add`; `""` clears it.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    email: Option<Option<String>>,
    /// The phone number without country code; `""` clears it.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    mobile: Option<Option<String>>,
    /// 1 to 4 digits, optionally after `+`; `""` clears it.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    country_code: Option<Option<String>>,
    /// `local`, `unknown`, `oidc` or `ldap`; `""` clears it.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    source: Option<Option<String>>,
    /// Idle timeout of a console session, in seconds: 1800 to 604800.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i64>)]
    token_hold_time: Option<Option<i64>>,
    /// Absolute lifetime of a console session, in seconds: 60 to 2592000.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i64>)]
    token_max_valid_duration: Option<Option<i64>>,
    /// The identity provider's attributes (replaced whole).
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Object>)]
    attributes: Option<Option<Map<String, Value>>>,
    /// The application's attributes (replaced whole).
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Object>)]
    custom_attributes: Option<Option<Map<String, Value>>>,
    // `add` only
    /// The id in the external directory (`add` only).
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    exter_id: Option<Option<String>>,
    /// The client's own metadata (`add` only).
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Object>)]
    extend: Option<Option<Map<String, Value>>>,
    /// `zh` or `en` (`add` only).
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    language: Option<Option<String>>,
    /// Create the account disabled (`add` only).
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<bool>)]
    is_disable: Option<Option<bool>>,
}

/// A domain value check, its field named in the dialect's words.
fn checked<T>(result: domain::DomainResult<T>) -> Result<T, ModifyError> {
    result.map_err(ModifyError::from)
}

/// A field that may be absent but not `null`.
fn not_null<T>(field: &str, value: Option<Option<T>>) -> Result<Option<T>, ModifyError> {
    match value {
        Some(None) => Err(ModifyError::param(field, "must not be null.")),
        Some(Some(v)) => Ok(Some(v)),
        None => Ok(None),
    }
}

/// A field that must be present and not `null`.
fn required<T>(field: &str, value: Option<Option<T>>) -> Result<T, ModifyError> {
    not_null(field, value)?.ok_or_else(|| ModifyError::param(field, "is required."))
}

/// `""` clears, other text is parsed by `parse`.
fn clearable<T>(
    value: Option<String>,
    parse: impl FnOnce(&str) -> Result<T, ModifyError>,
) -> Result<Option<Option<T>>, ModifyError> {
    value.map(|v| if v.trim().is_empty() { Ok(None) } else { parse(&v).map(Some) }).transpose()
}

/// The fields `add` and `modify` share, checked.
struct Common {
    name: Option<DisplayName>,
    username: Option<String>,
    email: Option<Option<EmailAddress>>,
    mobile: Option<Option<String>>,
    country_code: Option<Option<String>>,
    source: Option<Option<AccountSource>>,
    hold_time: Option<i64>,
    max_valid: Option<i64>,
    attributes: Option<Map<String, Value>>,
    custom_attributes: Option<Map<String, Value>>,
}

fn parse_common(input: &mut AccountInput) -> Result<Common, ModifyError> {
    let name = not_null("name", input.name.take())?.map(|n| checked(DisplayName::parse("name", &n))).transpose()?;
    let username =
        not_null("username", input.username.take())?.map(|u| checked(parse_username("username", &u))).transpose()?;
    let email = clearable(not_null("email", input.email.take())?, |e| checked(EmailAddress::parse("email", e)))?;
    let mobile = clearable(not_null("mobile", input.mobile.take())?, |m| checked(parse_phone("mobile", m)))?;
    let country_code = clearable(not_null("countryCode", input.country_code.take())?, |c| {
        checked(parse_country_code("countryCode", c))
    })?;
    let source = match input.source.take() {
        None => None,
        Some(None) => Some(None),
        Some(Some(s)) if s.trim().is_empty() => Some(None),
        Some(Some(s)) => Some(Some(
            AccountSource::parse(s.trim())
                .ok_or_else(|| ModifyError::param("source", "must be one of local, unknown, oidc, ldap."))?,
        )),
    };
    let hold_time = not_null("tokenHoldTime", input.token_hold_time.take())?
        .map(|s| checked(parse_session_secs("tokenHoldTime", s, &IDLE_TIMEOUT_SECS)))
        .transpose()?;
    let max_valid = not_null("tokenMaxValidDuration", input.token_max_valid_duration.take())?
        .map(|s| checked(parse_session_secs("tokenMaxValidDuration", s, &MAX_LIFETIME_SECS)))
        .transpose()?;
    Ok(Common {
        name,
        username,
        email,
        mobile,
        country_code,
        source,
        hold_time,
        max_valid,
        attributes: not_null("attributes", input.attributes.take())?,
        custom_attributes: not_null("customAttributes", input.custom_attributes.take())?,
    })
}

/// A JSON object body (serde would also read a struct from an array).
fn parse_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ModifyError> {
    if body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(ModifyError::param("body", "must be a JSON object."));
    }
    Ok(crate::common::json::parse::<T>(body)?)
}

/// `POST add`: creates an account → `content` = the account.
#[utoipa::path(
    post,
    path = "/api/v1/account/add",
    tag = "accounts",
    request_body(content = AccountInput, description = "`username`, `name`, `email` and `password` are required."),
    responses(
        (status = 200, description = "The account, created.", body = SuccessEnvelope<AccountObject>),
        (status = 400, description = "`ft.ParamError`: the body or a field is invalid (named in `message`).",
            body = ErrorEnvelope),
        (status = 401, description = "A signing header is missing or malformed, the timestamp is stale, the nonce \
            was used, or the signature or access key is refused.", body = ErrorEnvelope),
        (status = 403, description = "`ft.PermissionDenied`: the key's account may not create accounts.",
            body = ErrorEnvelope),
        (status = 409, description = "`ft.AccountConflict`: the login name, email, phone or exterId is already in \
            use.", body = ErrorEnvelope),
        (status = 413, description = "`ft.BodyTooLarge`: the body is larger than 64 KiB.", body = ErrorEnvelope),
        (status = 503, description = "The database is unavailable.", body = ErrorEnvelope),
    ),
    security(("df_signature" = []))
)]
pub(super) async fn add(state: web::Data<AppState>, call: SignedCall) -> Result<HttpResponse, ModifyError> {
    let mut input: AccountInput = parse_body(&call.body)?;
    required("username", input.username.clone())?;
    required("name", input.name.clone())?;
    required("email", input.email.clone())?;
    let password = required("password", input.password.take())?;
    let common = parse_common(&mut input)?;
    let external_id =
        not_null("exterId", input.exter_id.take())?.map(|x| checked(parse_external_id("exterId", &x))).transpose()?;
    let password = if password.is_empty() {
        if external_id.is_none() {
            return Err(ModifyError::param("password", "may be empty only for accounts with an exterId."));
        }
        None
    } else {
        Some(checked(Password::parse_new("password", &password))?)
    };
    let language = not_null("language", input.language.take())?
        .map(|l| match l.trim() {
            "zh" => Ok("zh-Hans"),
            "en" => Ok("en-US"),
            other => checked(parse_language("language", other))
                .map_err(|_| ModifyError::param("language", "must be zh or en.")),
        })
        .transpose()?;
    let disabled = not_null("isDisable", input.is_disable.take())?.unwrap_or(false);
    let item = NewAccount {
        username: common.username,
        phone: common.mobile.flatten(),
        email: common.email.flatten(),
        name: common.name,
        password,
        status: if disabled { AccountStatus::Banned } else { AccountStatus::Active },
        country_code: common.country_code.flatten(),
        external_id,
        source: common.source.flatten(),
        language: language.map(str::to_owned),
        attributes: common.attributes.unwrap_or_default(),
        custom_attributes: common.custom_attributes.unwrap_or_default(),
        metadata: not_null("extend", input.extend.take())?.unwrap_or_default(),
        session_policy: domain::model::SessionPolicy {
            idle_timeout_secs: common.hold_time,
            max_lifetime_secs: common.max_valid,
        },
        ..NewAccount::default()
    };
    let mut created = state.use_cases.create_accounts(call.actor(), vec![item]).await?;
    Ok(success(&call.request_id, account_object(&state, &created.remove(0)), None))
}

/// `POST {account_uuid}/modify`: changes the given fields → `content` = the account.
#[utoipa::path(
    post,
    path = "/api/v1/account/{account_uuid}/modify",
    tag = "accounts",
    params(("account_uuid" = String, Path, description = "The account's id: `acnt_<32 hex>` or a dashed UUID.")),
    request_body(content = AccountInput, description = "The fields to change; `exterId`, `extend`, `language` and \
        `isDisable` are refused."),
    responses(
        (status = 200, description = "The account, changed.", body = SuccessEnvelope<AccountObject>),
        (status = 400, description = "`ft.ParamError`: the body or a field is invalid (named in `message`).",
            body = ErrorEnvelope),
        (status = 401, description = "A signing header is missing or malformed, the timestamp is stale, the nonce \
            was used, or the signature or access key is refused.", body = ErrorEnvelope),
        (status = 403, description = "`ft.PermissionDenied`: the key's account may not make this change.",
            body = ErrorEnvelope),
        (status = 404, description = "`ft.AccountNotFound`: no such account (or not an account id).",
            body = ErrorEnvelope),
        (status = 409, description = "`ft.AccountConflict`: the login name, email or phone is already in use, or \
            the account kept changing underneath.", body = ErrorEnvelope),
        (status = 413, description = "`ft.BodyTooLarge`: the body is larger than 64 KiB.", body = ErrorEnvelope),
        (status = 503, description = "The database is unavailable.", body = ErrorEnvelope),
    ),
    security(("df_signature" = []))
)]
pub(super) async fn modify(
    state: web::Data<AppState>,
    call: SignedCall,
    path: web::Path<String>,
) -> Result<HttpResponse, ModifyError> {
    let id = parse_id(&path).ok_or_else(ModifyError::account_not_found)?;
    let mut input: AccountInput = parse_body(&call.body)?;
    let password = not_null("password", input.password.take())?
        .map(|p| checked(Password::parse_new("password", &p)))
        .transpose()?;
    let common = parse_common(&mut input)?;
    for (field, present) in [
        ("exterId", input.exter_id.is_some()),
        ("extend", input.extend.is_some()),
        ("language", input.language.is_some()),
        ("isDisable", input.is_disable.is_some()),
    ] {
        if present {
            return Err(ModifyError::param(field, "cannot be changed by modify."));
        }
    }
    let update = AccountPatch {
        username: common.username,
        phone: common.mobile,
        email: common.email,
        name: common.name,
        password,
        country_code: common.country_code,
        source: common.source,
        attributes: common.attributes,
        custom_attributes: common.custom_attributes,
        idle_timeout_secs: common.hold_time,
        max_lifetime_secs: common.max_valid,
        ..AccountPatch::default()
    };
    let account = state.use_cases.update_account(call.actor(), id, update).await?;
    Ok(success(&call.request_id, account_object(&state, &account), None))
}

/// `GET get?accountUUID=|exterId=` → `content` = the account; 404 when none matches.
#[utoipa::path(
    get,
    path = "/api/v1/account/get",
    tag = "accounts",
    params(
        ("accountUUID" = Option<String>, Query, description = "The account's id: `acnt_<32 hex>` or a dashed \
            UUID. Takes precedence over `exterId`."),
        ("exterId" = Option<String>, Query, description = "The account's id in the external directory."),
    ),
    responses(
        (status = 200, description = "The account.", body = SuccessEnvelope<AccountObject>),
        (status = 400, description = "`ft.ParamError`: neither `accountUUID` nor `exterId` is given.",
            body = ErrorEnvelope),
        (status = 401, description = "A signing header is missing or malformed, the timestamp is stale, the nonce \
            was used, or the signature or access key is refused.", body = ErrorEnvelope),
        (status = 403, description = "`ft.PermissionDenied`: the key's account may not read accounts.",
            body = ErrorEnvelope),
        (status = 404, description = "`ft.AccountNotFound`: no account matches.", body = ErrorEnvelope),
        (status = 503, description = "The database is unavailable.", body = ErrorEnvelope),
    ),
    security(("df_signature" = []))
)]
pub(super) async fn get(
    state: web::Data<AppState>,
    call: SignedCall,
    req: HttpRequest,
) -> Result<HttpResponse, ModifyError> {
    let query = QueryParams::of(&req);
    let use_cases = &state.use_cases;
    let account = match (query.get("accountUUID").filter(|v| !v.trim().is_empty()), query.get("exterId")) {
        (Some(raw), _) => {
            let id = parse_id(raw).ok_or_else(ModifyError::account_not_found)?;
            use_cases.get_account(call.actor(), id).await?
        }
        (None, Some(external_id)) if !external_id.trim().is_empty() => use_cases
            .find_account_by_external_id(&call.account, external_id.trim())
            .await?
            .ok_or_else(ModifyError::account_not_found)?,
        _ => return Err(ModifyError::param("accountUUID", "accountUUID or exterId is required.")),
    };
    Ok(success(&call.request_id, account_object(&state, &account), None))
}

/// Largest `pageSize`, and its default.
const MAX_PAGE_SIZE: i64 = 100;
const DEFAULT_PAGE_SIZE: i64 = 10;

/// `{"data": [account, …]}`: the `content` of `list`.
#[derive(Serialize, ToSchema)]
#[schema(as = AccountList)]
struct AccountPage {
    data: Vec<AccountObject>,
}

/// `GET list?search=&pageIndex=&pageSize=` → `content.data` and `pageInfo`.
#[utoipa::path(
    get,
    path = "/api/v1/account/list",
    tag = "accounts",
    params(
        ("search" = Option<String>, Query, description = "A substring of the login name, name, description, phone \
            or email (case-insensitive)."),
        ("pageIndex" = Option<i64>, Query, minimum = 1, maximum = 2147483647, description = "The page, from 1; 1 \
            when absent."),
        ("pageSize" = Option<i64>, Query, minimum = 1, maximum = 100, description = "Accounts per page; 10 when \
            absent."),
    ),
    responses(
        (status = 200, description = "A page of accounts, with `pageInfo`.", body = SuccessEnvelope<AccountPage>),
        (status = 400, description = "`ft.ParamError`: `search`, `pageIndex` or `pageSize` is invalid.",
            body = ErrorEnvelope),
        (status = 401, description = "A signing header is missing or malformed, the timestamp is stale, the nonce \
            was used, or the signature or access key is refused.", body = ErrorEnvelope),
        (status = 403, description = "`ft.PermissionDenied`: the key's account may not read the whole directory.",
            body = ErrorEnvelope),
        (status = 503, description = "The database is unavailable.", body = ErrorEnvelope),
    ),
    security(("df_signature" = []))
)]
pub(super) async fn list(
    state: web::Data<AppState>,
    call: SignedCall,
    req: HttpRequest,
) -> Result<HttpResponse, ModifyError> {
    let query = QueryParams::of(&req);
    let page_index = query.int_in("pageIndex", 1..=i64::from(i32::MAX), 1)?;
    let page_size = query.int_in("pageSize", 1..=MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE)?;
    let term = domain::values::search_term("search", query.get("search"))?;
    let (accounts, total) = state
        .use_cases
        .search_accounts(&call.account, term.as_deref(), (page_index - 1) * page_size, page_size, true)
        .await?;
    let data: Vec<AccountObject> = accounts.iter().map(|a| account_object(&state, a)).collect();
    let page_info = PageInfo { count: data.len(), page_index, page_size, total_count: total.unwrap_or_default() };
    Ok(success(&call.request_id, AccountPage { data }, Some(page_info)))
}

/// The body of `delete` and `set-disable`.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = AccountIds)]
struct IdsInput {
    /// 1 to 1000 account ids, `acnt_<32 hex>` or dashed UUIDs.
    #[serde(rename = "accountUUIDs")]
    account_uuids: Vec<String>,
    /// `set-disable` only, and required there: disable (true) or re-activate (false).
    is_disable: Option<bool>,
}

fn parse_ids(raw: &[String]) -> Result<Vec<Uuid>, ModifyError> {
    if raw.is_empty() || raw.len() > domain::usecases::MAX_BATCH {
        return Err(ModifyError::param(
            field_name("accounts"),
            format!("between 1 and {} ids are required.", domain::usecases::MAX_BATCH),
        ));
    }
    let mut ids = raw
        .iter()
        .enumerate()
        .map(|(i, id)| {
            parse_id(id).ok_or_else(|| ModifyError::param(&format!("accountUUIDs[{i}]"), "is not an account id."))
        })
        .collect::<Result<Vec<_>, _>>()?;
    ids.sort_unstable();
    ids.dedup();
    Ok(ids)
}

/// `POST delete {"accountUUIDs": […]}`: soft-deletes all or none → `content: true`.
#[utoipa::path(
    post,
    path = "/api/v1/account/delete",
    tag = "accounts",
    request_body = IdsInput,
    responses(
        (status = 200, description = "Deleted; `content` is true.", body = SuccessEnvelope<bool>),
        (status = 400, description = "`ft.ParamError`: the body is invalid, an id is malformed, or there are no or \
            more than 1000 ids.", body = ErrorEnvelope),
        (status = 401, description = "A signing header is missing or malformed, the timestamp is stale, the nonce \
            was used, or the signature or access key is refused.", body = ErrorEnvelope),
        (status = 403, description = "`ft.PermissionDenied`: the key's account may not delete one of the accounts.",
            body = ErrorEnvelope),
        (status = 404, description = "`ft.AccountNotFound`: some accounts do not exist (`Unknown accounts: …`); \
            nothing is deleted.", body = ErrorEnvelope),
        (status = 409, description = "`ft.AccountOwnsWorkspace`: an account is the only owner of a workspace.",
            body = ErrorEnvelope),
        (status = 413, description = "`ft.BodyTooLarge`: the body is larger than 64 KiB.", body = ErrorEnvelope),
        (status = 503, description = "The database is unavailable.", body = ErrorEnvelope),
    ),
    security(("df_signature" = []))
)]
pub(super) async fn delete(state: web::Data<AppState>, call: SignedCall) -> Result<HttpResponse, ModifyError> {
    let input: IdsInput = parse_body(&call.body)?;
    let ids = parse_ids(&input.account_uuids)?;
    state.use_cases.delete_accounts(call.actor(), ids).await?;
    Ok(success(&call.request_id, true, None))
}

/// `{}`: the `content` of `set-disable`.
#[derive(Serialize, ToSchema)]
struct EmptyObject {}

/// `POST set-disable {"accountUUIDs": […], "isDisable": bool}`: bans or re-activates all or none.
///
/// `content` is `{}`.
#[utoipa::path(
    post,
    path = "/api/v1/account/set-disable",
    tag = "accounts",
    request_body = IdsInput,
    responses(
        (status = 200, description = "Done; `content` is `{}`.", body = SuccessEnvelope<EmptyObject>),
        (status = 400, description = "`ft.ParamError`: the body is invalid, `isDisable` is missing, an id is \
            malformed, or there are no or more than 1000 ids.", body = ErrorEnvelope),
        (status = 401, description = "A signing header is missing or malformed, the timestamp is stale, the nonce \
            was used, or the signature or access key is refused.", body = ErrorEnvelope),
        (status = 403, description = "`ft.PermissionDenied`: the key's account may not change one of the accounts' \
            status.", body = ErrorEnvelope),
        (status = 404, description = "`ft.AccountNotFound`: an account does not exist.", body = ErrorEnvelope),
        (status = 409, description = "`ft.AccountConflict`: the accounts kept changing underneath.",
            body = ErrorEnvelope),
        (status = 413, description = "`ft.BodyTooLarge`: the body is larger than 64 KiB.", body = ErrorEnvelope),
        (status = 503, description = "The database is unavailable.", body = ErrorEnvelope),
    ),
    security(("df_signature" = []))
)]
pub(super) async fn set_disable(state: web::Data<AppState>, call: SignedCall) -> Result<HttpResponse, ModifyError> {
    let input: IdsInput = parse_body(&call.body)?;
    let disable = input.is_disable.ok_or_else(|| ModifyError::param("isDisable", "is required."))?;
    let ids = parse_ids(&input.account_uuids)?;
    let status = if disable { AccountStatus::Banned } else { AccountStatus::Active };
    let items =
        ids.into_iter().map(|id| (id, AccountPatch { status: Some(status), ..AccountPatch::default() })).collect();
    state.use_cases.update_accounts(call.actor(), items).await?;
    Ok(success(&call.request_id, EmptyObject {}, None))
}
