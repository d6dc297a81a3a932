//! `GET /openapi/v1/accounts/`, `GET /openapi/v1/accounts/{uid}/` and `POST /openapi/v1/accounts/fetch/`.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use domain::model::{Account, AccountStatus, SystemRole, WorkspaceRole};
use domain::usecases::{AccountPatch, NewAccount, MAX_BATCH};
use domain::values::{parse_description, parse_phone, parse_username, DisplayName, EmailAddress, Password};
use domain::DomainError;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::KeyAccount;
use super::error::{field_name, ErrorEnvelope, OpenApiError};
use crate::common::query::QueryParams;
use crate::common::routes::routes;
use crate::console::dto::double_option;
use crate::AppState;

routes! {
    get "" => list,
    get "/" => list,
    post "" => create,
    post "/" => create,
    post "/create-accounts" => create_batch,
    post "/create-accounts/" => create_batch,
    post "/fetch" => fetch,
    post "/fetch/" => fetch,
    put "/update-accounts" => update_batch,
    put "/update-accounts/" => update_batch,
    delete "/delete-accounts" => delete_batch,
    delete "/delete-accounts/" => delete_batch,
    get "/{uid}/projects" => projects,
    get "/{uid}/projects/" => projects,
    get "/{uid}" => get,
    get "/{uid}/" => get,
    put "/{uid}" => update,
    put "/{uid}/" => update,
    delete "/{uid}" => delete,
    delete "/{uid}/" => delete,
}

/// The operations of this module, for the API document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(list, create, create_batch, fetch, update_batch, delete_batch, projects, get, update, delete))]
pub(crate) struct ApiPaths;

/// The status code of the dialect: 0 deregistered, 1 normal, 2 not activated, 3 dormant, 4 disabled.
fn status_code(account: &Account) -> i32 {
    if !account.is_live() {
        return 0;
    }
    match account.status {
        AccountStatus::Active => 1,
        AccountStatus::Pending | AccountStatus::Uninitialized => 2,
        AccountStatus::Dormant => 3,
        AccountStatus::Banned | AccountStatus::Closed => 4,
    }
}

/// A user: an account as partners see it.
#[derive(Serialize, ToSchema)]
pub(super) struct User {
    uid: uuid::Uuid,
    /// 0 deregistered, 1 normal, 2 not activated, 3 dormant, 4 disabled.
    status: i32,
    /// The login name.
    username: Option<String>,
    phone: Option<String>,
    email: Option<String>,
    /// The display name.
    nickname: String,
    /// The description.
    desc: Option<String>,
    /// 1 business user, 2 auditor, 3 system admin.
    role: i16,
    /// 1 to 3.
    tier: i16,
    /// 0 temporary, 1 regular.
    #[serde(rename = "type")]
    kind: i16,
}

/// The user object.
pub(super) fn user(account: &Account) -> User {
    User {
        uid: account.id,
        status: status_code(account),
        username: account.username.clone(),
        phone: account.phone.clone(),
        email: account.email.clone(),
        nickname: account.name.clone(),
        desc: account.description.clone(),
        role: role_code(account.system_role.unwrap_or(SystemRole::Normal)),
        tier: account.partner.tier,
        kind: account.partner.kind,
    }
}

/// `{errcode: 200, errmsg: "success", data, total?}`: the openapi/v1 success answer.
#[derive(Serialize, ToSchema)]
struct Envelope<T> {
    /// Always 200.
    errcode: u16,
    /// Always `success`.
    errmsg: &'static str,
    /// The answer.
    data: T,
    /// The number of matches across pages; lists asked with `count=1` only.
    #[serde(skip_serializing_if = "Option::is_none")]
    total: Option<i64>,
}

/// JSON `null`: the `data` of a deletion.
struct Null;

impl Serialize for Null {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_unit()
    }
}

impl utoipa::PartialSchema for Null {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new().schema_type(utoipa::openapi::schema::Type::Null).into()
    }
}

impl ToSchema for Null {}

/// 200 with `data`, and `total` when given.
fn success_with_total<T: Serialize>(data: T, total: Option<i64>) -> HttpResponse {
    HttpResponse::Ok().json(Envelope { errcode: 200, errmsg: "success", data, total })
}

fn success<T: Serialize>(data: T) -> HttpResponse {
    success_with_total(data, None)
}

/// The `{uid}` of a path; one that is not a UUID names no account (404).
fn path_uid(path: &str) -> Result<uuid::Uuid, OpenApiError> {
    uuid::Uuid::parse_str(path.trim()).map_err(|_| OpenApiError::from(DomainError::NotFound { entity: "account" }))
}

/// `GET {uid}/`: the account; 404 for unknown or deleted ones.
#[utoipa::path(
    get,
    path = "/openapi/v1/accounts/{uid}/",
    tag = "accounts",
    params(("uid" = uuid::Uuid, Path, description = "The account's id.")),
    responses(
        (status = 200, description = "The user.", body = Envelope<User>),
        (status = 401, description = "The access key or secret is missing or refused.", body = ErrorEnvelope),
        (status = 403, description = "The key's account may not read accounts.", body = ErrorEnvelope),
        (status = 404, description = "No such account (unknown, deleted, hidden, or `uid` not a UUID).",
            body = ErrorEnvelope),
        (status = 503, description = "The database is unavailable.", body = ErrorEnvelope),
    ),
    security(("access_key" = []))
)]
pub(super) async fn get(
    state: web::Data<AppState>,
    caller: KeyAccount,
    path: web::Path<String>,
) -> Result<HttpResponse, OpenApiError> {
    let uid = path_uid(&path)?;
    let account = state.use_cases.get_account(caller.actor(), uid).await?;
    Ok(success(user(&account)))
}

/// Default and largest page of the list.
const DEFAULT_LIMIT: i64 = 20;
const MAX_LIMIT: i64 = 1000;

/// `count=1` (or `true`) asks for the total.
fn count_param(query: &QueryParams) -> Result<bool, OpenApiError> {
    match query.get("count").map(str::trim).unwrap_or_default() {
        "" | "0" | "false" => Ok(false),
        "1" | "true" => Ok(true),
        other => Err(bad("count", format!("must be 0, 1, true or false, not {other:?}."))),
    }
}

/// `GET /?q=&offset=&limit=&count=`: a page of users.
///
/// `data` is the array of users; with `count=1` (or `true`) the envelope also carries `total`.
#[utoipa::path(
    get,
    path = "/openapi/v1/accounts/",
    tag = "accounts",
    params(
        ("q" = Option<String>, Query, description = "A substring of the login name, nickname, description, phone \
            or email (case-insensitive)."),
        ("offset" = Option<i64>, Query, minimum = 0, maximum = 2147483647, description = "Users to skip; 0 when \
            absent."),
        ("limit" = Option<i64>, Query, minimum = 1, maximum = 1000, description = "Users per page; 20 when absent."),
        ("count" = Option<bool>, Query, description = "`1` or `true` adds `total` to the answer (`0` and `false` \
            are accepted too)."),
    ),
    responses(
        (status = 200, description = "The users, and `total` with `count=1`.", body = Envelope<Vec<User>>),
        (status = 400, description = "`q`, `offset`, `limit` or `count` is invalid.", body = ErrorEnvelope),
        (status = 401, description = "The access key or secret is missing or refused.", body = ErrorEnvelope),
        (status = 403, description = "The key's account may not read the whole directory.", body = ErrorEnvelope),
        (status = 503, description = "The database is unavailable.", body = ErrorEnvelope),
    ),
    security(("access_key" = []))
)]
pub(super) async fn list(
    state: web::Data<AppState>,
    caller: KeyAccount,
    req: HttpRequest,
) -> Result<HttpResponse, OpenApiError> {
    let query = QueryParams::of(&req);
    let offset = query.int_in("offset", 0..=i64::from(i32::MAX), 0)?;
    let limit = query.int_in("limit", 1..=MAX_LIMIT, DEFAULT_LIMIT)?;
    let count = count_param(&query)?;
    let term = domain::values::search_term("q", query.get("q"))?;
    let (accounts, total) =
        state.use_cases.search_accounts(&caller.account, term.as_deref(), offset, limit, count).await?;
    Ok(success_with_total(accounts.iter().map(user).collect::<Vec<_>>(), total))
}

/// A user object as sent by the partner; every field optional, checked by [`parse_user`].
#[derive(Deserialize, Default, ToSchema)]
#[schema(as = NewUser)]
pub(super) struct UserInput {
    /// The new account's id (a UUID); generated when absent.
    uid: Option<String>,
    /// The login name; generated when absent.
    username: Option<String>,
    phone: Option<String>,
    email: Option<String>,
    /// The display name; the login name when absent.
    nickname: Option<String>,
    /// The description.
    desc: Option<String>,
    /// The password; none (no password sign-in) when absent or empty.
    password: Option<String>,
    /// 1 business user (the default), 2 auditor, 3 system admin.
    role: Option<i64>,
    /// 1 to 3 (3 when absent).
    tier: Option<i64>,
    /// 0 temporary, 1 regular (the default).
    #[serde(rename = "type")]
    kind: Option<i64>,
    /// 1 normal (the default), 2 not activated, 3 dormant, 4 disabled.
    status: Option<i64>,
}

fn bad(field: &str, message: impl std::fmt::Display) -> OpenApiError {
    OpenApiError::new(StatusCode::BAD_REQUEST, format!("{field}: {message}"))
}

fn non_empty(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

/// A domain value check, its field named with the prefix `at` (`accounts[3].` in a batch).
fn checked<T>(at: &str, result: domain::DomainResult<T>) -> Result<T, OpenApiError> {
    result.map_err(|e| match e {
        DomainError::Invalid { field, message } => bad(&format!("{at}{field}"), message),
        DomainError::TooLong { field, max, .. } => {
            bad(&format!("{at}{field}"), format!("must be at most {max} characters."))
        }
        other => other.into(),
    })
}

/// Checks a user object field by field; `at` prefixes field names (`accounts[3].` in a batch).
fn parse_user(input: UserInput, at: &str) -> Result<NewAccount, OpenApiError> {
    let field = |name: &str| format!("{at}{name}");
    let id = non_empty(input.uid)
        .map(|u| uuid::Uuid::parse_str(&u).map_err(|_| bad(&field("uid"), "must be a UUID.")))
        .transpose()?;
    let username = non_empty(input.username).map(|u| checked(at, parse_username("username", &u))).transpose()?;
    let phone = non_empty(input.phone).map(|p| checked(at, parse_phone("phone", &p))).transpose()?;
    let email = non_empty(input.email).map(|e| checked(at, EmailAddress::parse("email", &e))).transpose()?;
    let name = non_empty(input.nickname).map(|n| checked(at, DisplayName::parse("nickname", &n))).transpose()?;
    let description = checked(at, parse_description("desc", input.desc.as_deref()))?;
    let password = input
        .password
        .filter(|p| !p.is_empty())
        .map(|p| checked(at, Password::parse_new("password", &p)))
        .transpose()?;
    let code = |name: &str, value: Option<i64>, allowed: &[i64], default: i64| -> Result<i16, OpenApiError> {
        let v = value.unwrap_or(default);
        if allowed.contains(&v) {
            Ok(i16::try_from(v).expect("allowed codes are small"))
        } else {
            Err(bad(&field(name), format!("must be one of {allowed:?}.")))
        }
    };
    let system_role = match code("role", input.role, &[1, 2, 3], 1)? {
        3 => SystemRole::SystemAdmin,
        2 => SystemRole::Auditor,
        _ => SystemRole::Normal,
    };
    let tier = code("tier", input.tier, &[1, 2, 3], 3)?;
    let kind = code("type", input.kind, &[0, 1], 1)?;
    let status = match code("status", input.status, &[1, 2, 3, 4], 1)? {
        2 => AccountStatus::Pending,
        3 => AccountStatus::Dormant,
        4 => AccountStatus::Banned,
        _ => AccountStatus::Active,
    };
    Ok(NewAccount {
        id,
        username,
        phone,
        email,
        name,
        description,
        password,
        system_role,
        tier,
        kind,
        status,
        ..NewAccount::default()
    })
}

/// `POST /` with a user object: creates one account → `data` = the user.
#[utoipa::path(
    post,
    path = "/openapi/v1/accounts/",
    tag = "accounts",
    request_body = UserInput,
    responses(
        (status = 200, description = "The user, created.", body = Envelope<User>),
        (status = 400, description = "The body or a field is invalid (named in `errmsg`).", body = ErrorEnvelope),
        (status = 401, description = "The access key or secret is missing or refused.", body = ErrorEnvelope),
        (status = 403, description = "The key's account may not create accounts, or give this role.",
            body = ErrorEnvelope),
        (status = 409, description = "The uid, login name, phone or email is already in use.", body = ErrorEnvelope),
        (status = 413, description = "The body is larger than 2 MiB.", body = ErrorEnvelope),
        (status = 503, description = "The database is unavailable.", body = ErrorEnvelope),
    ),
    security(("access_key" = []))
)]
pub(super) async fn create(state: web::Data<AppState>, caller: KeyAccount) -> Result<HttpResponse, OpenApiError> {
    let input: UserInput = crate::common::json::parse(&caller.body)?;
    let item = parse_user(input, "")?;
    let created = state.use_cases.create_accounts(caller.actor(), vec![item]).await.map_err(|e| match e {
        DomainError::ConflictAt { field, .. } => {
            OpenApiError::new(StatusCode::CONFLICT, format!("{}: already in use.", field_name(field)))
        }
        other => other.into(),
    })?;
    Ok(success(user(&created[0])))
}

/// `{"accounts": [item, …]}` of the batch endpoints.
#[derive(Deserialize, ToSchema)]
pub(super) struct BatchBody<T> {
    /// 1 to 1000 items.
    accounts: Vec<T>,
}

/// Parses a batch body of 1–1000 items, checking each with `check(index, item)`.
fn parse_batch<T: serde::de::DeserializeOwned, U>(
    body: &[u8],
    check: impl Fn(usize, T) -> Result<U, OpenApiError>,
) -> Result<Vec<U>, OpenApiError> {
    let batch: BatchBody<T> = crate::common::json::parse(body)?;
    if batch.accounts.is_empty() || batch.accounts.len() > MAX_BATCH {
        return Err(bad("accounts", format!("between 1 and {MAX_BATCH} accounts are required.")));
    }
    batch.accounts.into_iter().enumerate().map(|(i, item)| check(i, item)).collect()
}

/// `POST create-accounts/ {"accounts": [user, …]}` (1–1000): all or nothing → `data` = the users.
#[utoipa::path(
    post,
    path = "/openapi/v1/accounts/create-accounts/",
    tag = "accounts",
    request_body = BatchBody<UserInput>,
    responses(
        (status = 200, description = "The users, created, in the order sent.", body = Envelope<Vec<User>>),
        (status = 400, description = "The body or a field is invalid (named `accounts[i].field`); nothing is \
            written.", body = ErrorEnvelope),
        (status = 401, description = "The access key or secret is missing or refused.", body = ErrorEnvelope),
        (status = 403, description = "The key's account may not create accounts, or give these roles.",
            body = ErrorEnvelope),
        (status = 409, description = "A uid, login name, phone or email is already in use, or twice in the batch \
            (named `accounts[i].field`).", body = ErrorEnvelope),
        (status = 413, description = "The body is larger than 2 MiB.", body = ErrorEnvelope),
        (status = 503, description = "The database is unavailable.", body = ErrorEnvelope),
    ),
    security(("access_key" = []))
)]
pub(super) async fn create_batch(state: web::Data<AppState>, caller: KeyAccount) -> Result<HttpResponse, OpenApiError> {
    let items = parse_batch(&caller.body, |i, input: UserInput| parse_user(input, &format!("accounts[{i}].")))?;
    let created = state.use_cases.create_accounts(caller.actor(), items).await?;
    Ok(success(created.iter().map(user).collect::<Vec<_>>()))
}

/// The fields `PUT {uid}/` may change; absent leaves a field alone, `null` or `""` clears the clearable ones.
#[derive(Deserialize, ToSchema)]
#[schema(as = UserUpdate)]
pub(super) struct UpdateInput {
    /// The login name (not empty).
    username: Option<String>,
    /// `null` or `""` clears it.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    phone: Option<Option<String>>,
    /// `null` or `""` clears it.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    email: Option<Option<String>>,
    /// The display name (not empty).
    nickname: Option<String>,
    /// The description; `null` or `""` clears it.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    desc: Option<Option<String>>,
    /// A new password; `""` leaves it alone.
    password: Option<String>,
    /// 1 business user, 2 auditor, 3 system admin.
    role: Option<i64>,
    /// 1 to 3.
    tier: Option<i64>,
    /// 0 temporary, 1 regular.
    #[serde(rename = "type")]
    kind: Option<i64>,
    /// 1 normal, 2 not activated, 3 dormant, 4 disabled.
    status: Option<i64>,
}

/// Checks the fields of an update with the rules of [`parse_user`]: each present field is run through them.
fn parse_update(input: UpdateInput) -> Result<AccountPatch, OpenApiError> {
    let cleared =
        |v: &Option<Option<String>>| matches!(v, Some(None)) || matches!(v, Some(Some(s)) if s.trim().is_empty());
    if input.username.as_ref().is_some_and(|u| u.trim().is_empty()) {
        return Err(bad("username", "cannot be empty."));
    }
    if input.nickname.as_ref().is_some_and(|n| n.trim().is_empty()) {
        return Err(bad("nickname", "cannot be empty."));
    }
    let checked = parse_user(
        UserInput {
            uid: None,
            username: input.username.clone(),
            phone: input.phone.clone().flatten(),
            email: input.email.clone().flatten(),
            nickname: input.nickname.clone(),
            desc: input.desc.clone().flatten(),
            password: input.password.clone(),
            role: input.role,
            tier: input.tier,
            kind: input.kind,
            status: input.status,
        },
        "",
    )?;
    Ok(AccountPatch {
        username: checked.username,
        phone: input.phone.as_ref().map(|_| if cleared(&input.phone) { None } else { checked.phone.clone() }),
        email: input.email.as_ref().map(|_| if cleared(&input.email) { None } else { checked.email.clone() }),
        name: checked.name,
        description: input.desc.as_ref().map(|_| if cleared(&input.desc) { None } else { checked.description.clone() }),
        password: checked.password,
        system_role: input.role.map(|_| checked.system_role),
        tier: input.tier.map(|_| checked.tier),
        kind: input.kind.map(|_| checked.kind),
        status: input.status.map(|_| checked.status),
        ..AccountPatch::default()
    })
}

/// `PUT {uid}/` with any user fields: changes them → `data` = the user.
#[utoipa::path(
    put,
    path = "/openapi/v1/accounts/{uid}/",
    tag = "accounts",
    params(("uid" = uuid::Uuid, Path, description = "The account's id.")),
    request_body = UpdateInput,
    responses(
        (status = 200, description = "The user, changed.", body = Envelope<User>),
        (status = 400, description = "The body or a field is invalid (named in `errmsg`).", body = ErrorEnvelope),
        (status = 401, description = "The access key or secret is missing or refused.", body = ErrorEnvelope),
        (status = 403, description = "The key's account may not make this change.", body = ErrorEnvelope),
        (status = 404, description = "No such account (unknown, deleted, hidden, or `uid` not a UUID).",
            body = ErrorEnvelope),
        (status = 409, description = "A login name, phone or email is already in use, or the account kept \
            changing underneath.", body = ErrorEnvelope),
        (status = 413, description = "The body is larger than 2 MiB.", body = ErrorEnvelope),
        (status = 503, description = "The database is unavailable.", body = ErrorEnvelope),
    ),
    security(("access_key" = []))
)]
pub(super) async fn update(
    state: web::Data<AppState>,
    caller: KeyAccount,
    path: web::Path<String>,
) -> Result<HttpResponse, OpenApiError> {
    let uid = path_uid(&path)?;
    let input: UpdateInput = crate::common::json::parse(&caller.body)?;
    let update = parse_update(input)?;
    let account = state.use_cases.update_account(caller.actor(), uid, update).await?;
    Ok(success(user(&account)))
}

/// An item of `PUT update-accounts/`: the account's `uid` and the fields to change.
#[derive(Deserialize, ToSchema)]
#[schema(as = UserUpdateItem)]
pub(super) struct UpdateBatchItem {
    /// The account's id (a UUID).
    uid: String,
    #[serde(flatten)]
    fields: UpdateInput,
}

/// `PUT update-accounts/ {"accounts": [{uid, …fields}, …]}` (1–1000): every item changed, or none.
#[utoipa::path(
    put,
    path = "/openapi/v1/accounts/update-accounts/",
    tag = "accounts",
    request_body = BatchBody<UpdateBatchItem>,
    responses(
        (status = 200, description = "The users, changed, in the order sent.", body = Envelope<Vec<User>>),
        (status = 400, description = "The body or a field is invalid (named `accounts[i].field`); nothing is \
            written.", body = ErrorEnvelope),
        (status = 401, description = "The access key or secret is missing or refused.", body = ErrorEnvelope),
        (status = 403, description = "The key's account may not make one of the changes.", body = ErrorEnvelope),
        (status = 404, description = "An account does not exist (or is hidden).", body = ErrorEnvelope),
        (status = 409, description = "An account or identifier is named twice in the batch, an identifier is \
            already in use, or the accounts kept changing underneath.", body = ErrorEnvelope),
        (status = 413, description = "The body is larger than 2 MiB.", body = ErrorEnvelope),
        (status = 503, description = "The database is unavailable.", body = ErrorEnvelope),
    ),
    security(("access_key" = []))
)]
pub(super) async fn update_batch(state: web::Data<AppState>, caller: KeyAccount) -> Result<HttpResponse, OpenApiError> {
    let items = parse_batch(&caller.body, |i, item: UpdateBatchItem| {
        let uid = uuid::Uuid::parse_str(item.uid.trim())
            .map_err(|_| bad(&format!("accounts[{i}].uid"), "must be a UUID."))?;
        let update = parse_update(item.fields).map_err(|e| e.prefixed(&format!("accounts[{i}].")))?;
        Ok((uid, update))
    })?;
    let changed = state.use_cases.update_accounts(caller.actor(), items).await?;
    Ok(success(changed.iter().map(user).collect::<Vec<_>>()))
}

/// `DELETE {uid}/`: soft delete → `data: null`.
#[utoipa::path(
    delete,
    path = "/openapi/v1/accounts/{uid}/",
    tag = "accounts",
    params(("uid" = uuid::Uuid, Path, description = "The account's id.")),
    responses(
        (status = 200, description = "Deleted; `data` is null.", body = Envelope<Null>),
        (status = 401, description = "The access key or secret is missing or refused.", body = ErrorEnvelope),
        (status = 403, description = "The key's account may not delete this account.", body = ErrorEnvelope),
        (status = 404, description = "No such account (`Unknown accounts: …`).", body = ErrorEnvelope),
        (status = 409, description = "The account is the only owner of a workspace.", body = ErrorEnvelope),
        (status = 503, description = "The database is unavailable.", body = ErrorEnvelope),
    ),
    security(("access_key" = []))
)]
pub(super) async fn delete(
    state: web::Data<AppState>,
    caller: KeyAccount,
    path: web::Path<String>,
) -> Result<HttpResponse, OpenApiError> {
    let uid = uuid::Uuid::parse_str(path.trim())
        .map_err(|_| OpenApiError::new(StatusCode::NOT_FOUND, format!("Unknown accounts: {}.", path.trim())))?;
    state.use_cases.delete_accounts(caller.actor(), vec![uid]).await?;
    Ok(success(Null))
}

/// `{"accountUids": […]}`.
#[derive(Deserialize, ToSchema)]
#[schema(as = DeleteUsers)]
pub(super) struct DeleteBatchBody {
    /// 1 to 1000 account ids (UUIDs).
    #[serde(rename = "accountUids")]
    account_uids: Vec<String>,
}

/// `DELETE delete-accounts/ {"accountUids": […]}`: all or nothing; unknown uids answer 404 listing them.
#[utoipa::path(
    delete,
    path = "/openapi/v1/accounts/delete-accounts/",
    tag = "accounts",
    request_body = DeleteBatchBody,
    responses(
        (status = 200, description = "Deleted; `data` is null.", body = Envelope<Null>),
        (status = 400, description = "The body is invalid, or holds no or more than 1000 ids.", body = ErrorEnvelope),
        (status = 401, description = "The access key or secret is missing or refused.", body = ErrorEnvelope),
        (status = 403, description = "The key's account may not delete one of the accounts.", body = ErrorEnvelope),
        (status = 404, description = "Some ids are not UUIDs or name no account (`Unknown accounts: …`); nothing \
            is deleted.", body = ErrorEnvelope),
        (status = 409, description = "An account is the only owner of a workspace.", body = ErrorEnvelope),
        (status = 413, description = "The body is larger than 2 MiB.", body = ErrorEnvelope),
        (status = 503, description = "The database is unavailable.", body = ErrorEnvelope),
    ),
    security(("access_key" = []))
)]
pub(super) async fn delete_batch(state: web::Data<AppState>, caller: KeyAccount) -> Result<HttpResponse, OpenApiError> {
    let body: DeleteBatchBody = crate::common::json::parse(&caller.body)?;
    let malformed: Vec<&str> =
        body.account_uids.iter().map(String::as_str).filter(|u| uuid::Uuid::parse_str(u.trim()).is_err()).collect();
    if !malformed.is_empty() {
        return Err(OpenApiError::new(StatusCode::NOT_FOUND, format!("Unknown accounts: {}.", malformed.join(", "))));
    }
    let uids = body.account_uids.iter().filter_map(|u| uuid::Uuid::parse_str(u.trim()).ok()).collect();
    state.use_cases.delete_accounts(caller.actor(), uids).await?;
    Ok(success(Null))
}

/// The dialect's role code of a platform role: 1 business user, 2 auditor, 3 system admin.
fn role_code(role: SystemRole) -> i16 {
    match role {
        SystemRole::SuperAdmin | SystemRole::SystemAdmin => 3,
        SystemRole::Auditor => 2,
        SystemRole::Normal => 1,
    }
}

/// Workspace role codes of the dialect: 1 owner, 2 admin, 3 editor, 4 normal, 5 dataset operator.
const ROLE_CODES: [(i64, WorkspaceRole); 5] = [
    (1, WorkspaceRole::Owner),
    (2, WorkspaceRole::Admin),
    (3, WorkspaceRole::Editor),
    (4, WorkspaceRole::Normal),
    (5, WorkspaceRole::DatasetOperator),
];

/// A workspace of an account, in `GET {uid}/projects/`.
#[derive(Serialize, ToSchema)]
#[schema(as = Project)]
struct ProjectItem {
    /// The workspace's sequential number.
    id: Option<i64>,
    name: String,
    /// The description.
    desc: Option<String>,
    /// Its owner; null when it has none.
    owner: Option<ProjectOwner>,
    /// Whether the workspace is locked.
    locked: bool,
}

/// The owner of a workspace.
#[derive(Serialize, ToSchema)]
struct ProjectOwner {
    uid: uuid::Uuid,
    email: Option<String>,
    /// The display name.
    nickname: String,
    /// The description.
    desc: Option<String>,
    /// 0 deregistered, 1 normal, 2 not activated, 3 dormant, 4 disabled.
    status: i32,
}

/// `GET {uid}/projects/?role=&count=&offset=&limit=`: the account's workspaces.
///
/// Each is `{id (sequential number), name, desc, owner{uid, email, nickname, desc, status}, locked}`.
#[utoipa::path(
    get,
    path = "/openapi/v1/accounts/{uid}/projects/",
    tag = "accounts",
    params(
        ("uid" = uuid::Uuid, Path, description = "The account's id."),
        ("role" = Option<i64>, Query, minimum = 1, maximum = 5, description = "Only the workspaces where the \
            account has this role: 1 owner, 2 admin, 3 editor, 4 normal, 5 dataset operator."),
        ("offset" = Option<i64>, Query, minimum = 0, maximum = 2147483647, description = "Workspaces to skip; 0 \
            when absent."),
        ("limit" = Option<i64>, Query, minimum = 1, maximum = 1000, description = "Workspaces per page; 20 when \
            absent."),
        ("count" = Option<bool>, Query, description = "`1` or `true` adds `total` to the answer (`0` and `false` \
            are accepted too)."),
    ),
    responses(
        (status = 200, description = "The workspaces, and `total` with `count=1`.", body = Envelope<Vec<ProjectItem>>),
        (status = 400, description = "`role`, `offset`, `limit` or `count` is invalid.", body = ErrorEnvelope),
        (status = 401, description = "The access key or secret is missing or refused.", body = ErrorEnvelope),
        (status = 403, description = "The key's account may not read the whole directory.", body = ErrorEnvelope),
        (status = 404, description = "No such account (unknown, deleted, or `uid` not a UUID).", body = ErrorEnvelope),
        (status = 503, description = "The database is unavailable.", body = ErrorEnvelope),
    ),
    security(("access_key" = []))
)]
pub(super) async fn projects(
    state: web::Data<AppState>,
    caller: KeyAccount,
    path: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, OpenApiError> {
    let uid = path_uid(&path)?;
    let query = QueryParams::of(&req);
    let offset = query.int_in("offset", 0..=i64::from(i32::MAX), 0)?;
    let limit = query.int_in("limit", 1..=MAX_LIMIT, DEFAULT_LIMIT)?;
    let count = count_param(&query)?;
    let role = match query.get("role").filter(|r| !r.is_empty()) {
        None => None,
        Some(raw) => Some(
            raw.trim()
                .parse::<i64>()
                .ok()
                .and_then(|code| ROLE_CODES.iter().find(|(c, _)| *c == code).map(|(_, r)| *r))
                .ok_or_else(|| {
                    bad("role", "must be 1 (owner), 2 (admin), 3 (editor), 4 (normal) or 5 (dataset operator).")
                })?,
        ),
    };
    let (offset, limit) = (usize::try_from(offset).unwrap_or(0), usize::try_from(limit).unwrap_or(0));
    let (workspaces, total) = state.use_cases.account_workspaces(&caller.account, uid, role, offset, limit).await?;
    let data: Vec<ProjectItem> = workspaces
        .iter()
        .map(|(t, owner)| ProjectItem {
            id: t.number,
            name: t.name.clone(),
            desc: t.description.clone(),
            owner: owner.as_ref().map(|o| ProjectOwner {
                uid: o.id,
                email: o.email.clone(),
                nickname: o.name.clone(),
                desc: o.description.clone(),
                status: status_code(o),
            }),
            locked: t.locked,
        })
        .collect();
    Ok(success_with_total(data, count.then(|| i64::try_from(total).unwrap_or(i64::MAX))))
}

/// `{"username": login name | phone | email}`.
#[derive(Deserialize, ToSchema)]
#[schema(as = FetchUser)]
pub(super) struct FetchBody {
    /// A login name, phone number or email.
    username: String,
}

/// `POST fetch/ {"username": login name | phone | email}`: the account, or `data: null`.
#[utoipa::path(
    post,
    path = "/openapi/v1/accounts/fetch/",
    tag = "accounts",
    request_body = FetchBody,
    responses(
        (status = 200, description = "The user, or `data: null` when none matches.", body = Envelope<Option<User>>),
        (status = 400, description = "The body is invalid.", body = ErrorEnvelope),
        (status = 401, description = "The access key or secret is missing or refused.", body = ErrorEnvelope),
        (status = 403, description = "The key's account may not read the whole directory.", body = ErrorEnvelope),
        (status = 413, description = "The body is larger than 2 MiB.", body = ErrorEnvelope),
        (status = 503, description = "The database is unavailable.", body = ErrorEnvelope),
    ),
    security(("access_key" = []))
)]
pub(super) async fn fetch(state: web::Data<AppState>, caller: KeyAccount) -> Result<HttpResponse, OpenApiError> {
    let body: FetchBody = crate::common::json::parse(&caller.body)?;
    let found = state.use_cases.find_account_by_login(&caller.account, &body.username).await?;
    Ok(success(found.as_ref().map(user)))
}
