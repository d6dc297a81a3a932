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
use serde::Deserialize;
use serde_json::json;

use super::dto::{double_option, Paginated, Render};
use super::error::ConsoleError;
use super::extract::{one_of, Authenticated, ConsoleJson, ConsoleQuery, QueryParams};
use crate::common::request_id::RequestId;
use crate::AppState;

/// `GET /account/profile`: the caller's `account_fields`.
pub(super) async fn profile(state: web::Data<AppState>, Authenticated(me): Authenticated) -> HttpResponse {
    HttpResponse::Ok().json(Render::new(&state).fields(&me))
}

/// `GET /account-ex/profile`: the caller with status, account role and extension.
pub(super) async fn profile_ex(state: web::Data<AppState>, Authenticated(me): Authenticated) -> HttpResponse {
    HttpResponse::Ok().json(Render::new(&state).ex(&me, None))
}

#[derive(Deserialize)]
pub(super) struct RegisterBody {
    email: String,
    name: String,
    password: String,
}

/// `POST /account/register`: an admin creates an account (joining the admin's current group).
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
            Err(ConsoleError::Body {
                status: StatusCode::BAD_REQUEST,
                body: json!({"code": "user_register_failed", "message": "Email already exists."}),
            })
        }
        Err(e) => Err(e.into()),
    }
}

/// `GET /account-ex/list?page&limit`: members of the caller's current group with their group roles.
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
pub(super) async fn by_email(
    state: web::Data<AppState>,
    Authenticated(me): Authenticated,
    req: HttpRequest,
) -> Result<HttpResponse, ConsoleError> {
    let query = QueryParams::of(&req);
    let email = EmailAddress::parse("email", query.required("email")?)?;
    let found = state.use_cases.find_account_by_email(&me, &email).await?;
    Ok(match found {
        Some(a) => HttpResponse::Ok().json(Render::new(&state).with_extension(&a)),
        None => HttpResponse::Ok().json(json!({})),
    })
}

/// `GET /account-ex/id?id=`: the account, or `{}` when unknown or not visible to the caller.
pub(super) async fn by_id(
    state: web::Data<AppState>,
    Authenticated(me): Authenticated,
    req: HttpRequest,
) -> Result<HttpResponse, ConsoleError> {
    let id = QueryParams::of(&req).required_uuid("id")?;
    let request_id = RequestId::of(&req);
    Ok(match state.use_cases.get_account(Actor::session(&me, &request_id), id).await {
        Ok(a) => HttpResponse::Ok().json(Render::new(&state).with_extension(&a)),
        Err(DomainError::NotFound { .. }) => HttpResponse::Ok().json(json!({})),
        Err(other) => return Err(other.into()),
    })
}

#[derive(Deserialize)]
pub(super) struct UpdateBody {
    name: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    avatar: Option<Option<String>>,
    status: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    mobile: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    wechat: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    address: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    gender: Option<Option<String>>,
    role_type: Option<String>,
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

#[derive(Deserialize)]
pub(super) struct RoleBody {
    role_type: String,
}

/// `PUT /account-ex/role?id=`: sets the platform role; answers the account with `account_role`.
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
