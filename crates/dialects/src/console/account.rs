//! `/account/profile`, `/account/register` and the zgi-next `/account-ex/*` endpoints.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use domain::model::{AccountStatus, GroupRole, SystemRole};
use domain::usecases::{AccountPatch, Actor, NewAccount};
use domain::values::{
    nullable_change, parse_phone, required_text, DisplayName, EmailAddress, Password, ADDRESS_MAX_CHARS,
    AVATAR_MAX_CHARS, GENDER_MAX_CHARS, WECHAT_MAX_CHARS,
};
use domain::DomainError;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::dto::{double_option, AccountEx, AccountFields, AccountWithExtension, Paginated, Render};
use super::error::{BadRequestBody, CodeMessage, ConsoleError, ErrorBody, SessionFailures};
use super::extract::{one_of, Authenticated, ConsoleJson, ConsoleQuery, QueryParams};
use crate::common::request_id::RequestId;
use crate::common::routes::routes;
use crate::AppState;

routes! {
    get "/account/profile" => profile,
    post "/account/register" => register,
    get "/account-ex/profile" => profile_ex,
    get "/account-ex/list" => list,
    get "/account-ex/email" => by_email,
    get "/account-ex/id" => by_id,
    put "/account-ex/id" => update,
    put "/account-ex/role" => set_role,
}

/// The operations of this module, for the API document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(profile, register, profile_ex, list, by_email, by_id, update, set_role))]
pub(crate) struct ApiPaths;

/// `{}`: no account, or none the caller may see.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct NoAccount {}

/// The account found by `GET /account-ex/email` or `GET /account-ex/id`, or `{}`.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
#[schema(as = AccountLookup)]
enum Lookup {
    /// The account with its extension.
    Found(Box<AccountWithExtension>),
    /// `{}`: unknown, or not visible to the caller.
    Unknown(NoAccount),
}

/// `GET /account/profile`: the caller's `account_fields`.
#[utoipa::path(
    get,
    path = "/console/api/account/profile",
    tag = "accounts",
    responses(
        (status = 200, description = "The caller.", body = AccountFields),
        SessionFailures,
    ),
    security(("console_session" = []))
)]
pub(super) async fn profile(state: web::Data<AppState>, Authenticated(me): Authenticated) -> HttpResponse {
    HttpResponse::Ok().json(Render::new(&state).fields(&me))
}

/// `GET /account-ex/profile`: the caller with status, account role and extension.
#[utoipa::path(
    get,
    path = "/console/api/account-ex/profile",
    tag = "accounts",
    responses(
        (status = 200, description = "The caller (without `group_role`).", body = AccountEx),
        SessionFailures,
    ),
    security(("console_session" = []))
)]
pub(super) async fn profile_ex(state: web::Data<AppState>, Authenticated(me): Authenticated) -> HttpResponse {
    HttpResponse::Ok().json(Render::new(&state).ex(&me, None))
}

/// `POST /account/register` body.
#[derive(Deserialize, ToSchema)]
#[schema(as = RegisterAccount)]
pub(super) struct RegisterBody {
    email: String,
    name: String,
    /// A new password (the password rules apply).
    password: String,
}

/// `POST /account/register`: an admin creates an account (joining the admin's current group).
#[utoipa::path(
    post,
    path = "/console/api/account/register",
    tag = "accounts",
    request_body = RegisterBody,
    responses(
        (status = 200, description = "The new account.", body = AccountFields),
        (
            status = 400,
            description = "A field is invalid (`invalid_param`, with `params`), or the email is taken \
                (`user_register_failed`, without `status`).",
            body = CodeMessage
        ),
        (status = 403, description = "Only platform admins and group managers create accounts.", body = ErrorBody),
        SessionFailures,
    ),
    security(("console_session" = []))
)]
pub(super) async fn register(
    state: web::Data<AppState>,
    Authenticated(me): Authenticated,
    req: HttpRequest,
    ConsoleJson(body): ConsoleJson<RegisterBody>,
) -> Result<HttpResponse, ConsoleError> {
    let item = NewAccount {
        email: Some(EmailAddress::parse("email", &body.email)?),
        name: Some(DisplayName::parse("name", &body.name)?),
        password: Some(Password::parse_new("password", &body.password)?),
        ..NewAccount::default()
    };
    let request_id = RequestId::of(&req);
    match state.use_cases.create_account(Actor::session(&me, &request_id), item).await {
        Ok(account) => Ok(HttpResponse::Ok().json(Render::new(&state).fields(&account))),
        // zgi-next answers this one without a `status` key.
        Err(DomainError::Conflict { field: "email" } | DomainError::ConflictAt { field: "email", .. }) => {
            Err(ConsoleError::code_message(StatusCode::BAD_REQUEST, "user_register_failed", "Email already exists."))
        }
        Err(e) => Err(e.into()),
    }
}

/// `GET /account-ex/list?page&limit`: members of the caller's current group with their group roles.
#[utoipa::path(
    get,
    path = "/console/api/account-ex/list",
    tag = "accounts",
    params(
        ("page" = Option<u32>, Query, description = "Page number, 1–99999 (default 1)."),
        ("limit" = Option<u32>, Query, description = "Page size, 1–100 (default 20)."),
    ),
    responses(
        (status = 200, description = "A page of members, with `group_role`.", body = Paginated<AccountEx>),
        (status = 400, description = "A parameter is out of range.", body = BadRequestBody),
        (status = 403, description = "Only the group's managers and platform readers list it.", body = ErrorBody),
        (status = 404, description = "The caller's current workspace is in no group.", body = ErrorBody),
        SessionFailures,
    ),
    security(("console_session" = []))
)]
pub(super) async fn list(
    state: web::Data<AppState>,
    Authenticated(me): Authenticated,
    req: HttpRequest,
) -> Result<HttpResponse, ConsoleError> {
    let page = QueryParams::of(&req).page()?;
    let result = state.use_cases.list_group_accounts(&me, page).await?;
    let r = Render::new(&state);
    Ok(HttpResponse::Ok().json(Paginated::from_page(result, |(a, role)| r.ex(&a, Some(role)))))
}

/// `GET /account-ex/email?email=`: the account, or `{}` when unknown or not visible to the caller.
#[utoipa::path(
    get,
    path = "/console/api/account-ex/email",
    tag = "accounts",
    params(("email" = String, Query, description = "The address.")),
    responses(
        (status = 200, description = "The account, or `{}`.", body = Lookup),
        (status = 400, description = "`email` is missing or invalid.", body = BadRequestBody),
        SessionFailures,
    ),
    security(("console_session" = []))
)]
pub(super) async fn by_email(
    state: web::Data<AppState>,
    Authenticated(me): Authenticated,
    req: HttpRequest,
) -> Result<HttpResponse, ConsoleError> {
    let query = QueryParams::of(&req);
    let email = EmailAddress::parse("email", query.required("email")?)?;
    let found = state.use_cases.find_account_by_email(&me, &email).await?;
    Ok(match found {
        Some(a) => HttpResponse::Ok().json(Lookup::Found(Box::new(Render::new(&state).with_extension(&a)))),
        None => HttpResponse::Ok().json(Lookup::Unknown(NoAccount {})),
    })
}

/// `GET /account-ex/id?id=`: the account, or `{}` when unknown or not visible to the caller.
#[utoipa::path(
    get,
    path = "/console/api/account-ex/id",
    tag = "accounts",
    params(("id" = uuid::Uuid, Query, description = "The account's id.")),
    responses(
        (status = 200, description = "The account, or `{}`.", body = Lookup),
        (status = 400, description = "`id` is missing or not a UUID.", body = BadRequestBody),
        SessionFailures,
    ),
    security(("console_session" = []))
)]
pub(super) async fn by_id(
    state: web::Data<AppState>,
    Authenticated(me): Authenticated,
    req: HttpRequest,
) -> Result<HttpResponse, ConsoleError> {
    let id = QueryParams::of(&req).required_uuid("id")?;
    let request_id = RequestId::of(&req);
    Ok(match state.use_cases.get_account(Actor::session(&me, &request_id), id).await {
        Ok(a) => HttpResponse::Ok().json(Lookup::Found(Box::new(Render::new(&state).with_extension(&a)))),
        Err(DomainError::NotFound { .. }) => HttpResponse::Ok().json(Lookup::Unknown(NoAccount {})),
        Err(other) => return Err(other.into()),
    })
}

/// `PUT /account-ex/id` body: absent fields are left alone; `null` or empty text clears a nullable one.
#[derive(Deserialize, ToSchema)]
#[schema(as = UpdateAccountEx)]
pub(super) struct UpdateBody {
    name: Option<String>,
    /// A file id or an `http(s)` URL.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    avatar: Option<Option<String>>,
    /// `active`, `pending`, `banned` or `closed`.
    status: Option<String>,
    /// 3 to 20 digits, optionally after a `+`.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    mobile: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    wechat: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    address: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    gender: Option<Option<String>>,
    /// The platform role: `system_admin`, `auditor` or `normal`.
    role_type: Option<String>,
    /// The role in the caller's current group: `admin` or `normal`.
    group_role: Option<String>,
    /// A second factor is mandatory (`mfa_state`).
    mfa_required: Option<bool>,
}

/// Statuses an account may be given through the console.
const STATUSES: &[AccountStatus] =
    &[AccountStatus::Active, AccountStatus::Pending, AccountStatus::Banned, AccountStatus::Closed];
/// Platform roles that may be assigned (the super admin exists once, from setup).
const ASSIGNABLE_ROLES: &[SystemRole] = &[SystemRole::SystemAdmin, SystemRole::Auditor, SystemRole::Normal];
/// Group roles that may be assigned (the group's super admin is its owner).
const GROUP_ROLES: &[GroupRole] = &[GroupRole::Admin, GroupRole::Normal];

/// `PUT /account-ex/id?id=`: changes profile, status, roles, whether a second factor is mandatory (the caller
/// when `id` is absent).
#[utoipa::path(
    put,
    path = "/console/api/account-ex/id",
    tag = "accounts",
    params(("id" = Option<uuid::Uuid>, Query, description = "The account's id; the caller when absent.")),
    request_body = UpdateBody,
    responses(
        (status = 200, description = "The account with its extension.", body = AccountWithExtension),
        (status = 400, description = "The body is not JSON, or a field or `id` is invalid.", body = BadRequestBody),
        (status = 403, description = "The caller may not make this change.", body = ErrorBody),
        (
            status = 404,
            description = "No such account (or hidden from the caller), or no current group for `group_role`.",
            body = ErrorBody
        ),
        (status = 409, description = "The account was changed at the same time; retry.", body = ErrorBody),
        SessionFailures,
    ),
    security(("console_session" = []))
)]
pub(super) async fn update(
    state: web::Data<AppState>,
    Authenticated(me): Authenticated,
    req: HttpRequest,
    ConsoleJson(body): ConsoleJson<UpdateBody>,
) -> Result<HttpResponse, ConsoleError> {
    let target = QueryParams::of(&req).uuid("id")?.unwrap_or(me.id);
    let patch = AccountPatch {
        name: body.name.as_deref().map(|n| DisplayName::parse("name", n)).transpose()?,
        avatar: nullable_change(body.avatar, |v| required_text("avatar", v, AVATAR_MAX_CHARS))?,
        status: body.status.as_deref().map(|v| one_of("status", v, STATUSES)).transpose()?,
        mobile: nullable_change(body.mobile, |v| parse_phone("mobile", v))?,
        wechat: nullable_change(body.wechat, |v| required_text("wechat", v, WECHAT_MAX_CHARS))?,
        address: nullable_change(body.address, |v| required_text("address", v, ADDRESS_MAX_CHARS))?,
        gender: nullable_change(body.gender, |v| required_text("gender", v, GENDER_MAX_CHARS))?,
        system_role: body.role_type.as_deref().map(|v| one_of("role_type", v, ASSIGNABLE_ROLES)).transpose()?,
        group_role: body.group_role.as_deref().map(|v| one_of("group_role", v, GROUP_ROLES)).transpose()?,
        mfa_enabled: body.mfa_required,
        ..AccountPatch::default()
    };
    let request_id = RequestId::of(&req);
    let account = state.use_cases.update_account(Actor::session(&me, &request_id), target, patch).await?;
    Ok(HttpResponse::Ok().json(Render::new(&state).with_extension(&account)))
}

/// `PUT /account-ex/role` body.
#[derive(Deserialize, ToSchema)]
#[schema(as = SetPlatformRole)]
pub(super) struct RoleBody {
    /// `system_admin`, `auditor` or `normal`.
    #[schema(example = "auditor")]
    role_type: String,
}

/// `PUT /account-ex/role?id=`: sets the platform role; answers the account with `account_role`.
#[utoipa::path(
    put,
    path = "/console/api/account-ex/role",
    tag = "accounts",
    params(("id" = Option<uuid::Uuid>, Query, description = "The account's id; the caller when absent.")),
    request_body = RoleBody,
    responses(
        (status = 200, description = "The account (without `group_role`).", body = AccountEx),
        (status = 400, description = "The body is not JSON, or a field or `id` is invalid.", body = BadRequestBody),
        (status = 403, description = "The caller may not assign this role to this account.", body = ErrorBody),
        (status = 404, description = "No such account (or hidden from the caller).", body = ErrorBody),
        (status = 409, description = "The account was changed at the same time; retry.", body = ErrorBody),
        SessionFailures,
    ),
    security(("console_session" = []))
)]
pub(super) async fn set_role(
    state: web::Data<AppState>,
    Authenticated(me): Authenticated,
    req: HttpRequest,
    ConsoleJson(body): ConsoleJson<RoleBody>,
) -> Result<HttpResponse, ConsoleError> {
    let target = QueryParams::of(&req).uuid("id")?.unwrap_or(me.id);
    let role = one_of("role_type", &body.role_type, ASSIGNABLE_ROLES)?;
    let request_id = RequestId::of(&req);
    let account = state.use_cases.set_system_role(Actor::session(&me, &request_id), target, role).await?;
    Ok(HttpResponse::Ok().json(Render::new(&state).ex(&account, None)))
}
