//! Sign-in through GitHub, Google and OpenID Connect providers (`/oauth/login/{provider}`,
//! `/oauth/authorize/{provider}`), and the caller's linked identities (`/account/integrates`).
//!
//! The browser-facing endpoints answer with redirects: to the provider, to the console with tokens, or to the
//! console's sign-in page with a `message`. Only an unknown provider gets Dify's `400 {"error": "Invalid provider"}`.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use domain::model::LinkedIdentity;
use domain::usecases::{SocialCallback, SocialLanding};
use domain::values::percent_encode;
use domain::{DomainError, SignInRefusal};
use serde::Serialize;
use utoipa::ToSchema;

use super::dto::{Success, SUCCESS};
use super::error::{BadRequestBody, ConsoleError, ErrorBody, SessionFailures};
use super::extract::{best_language, client_ip, Authenticated, QueryParams};
use crate::common::routes::routes;
use crate::AppState;

/// The cookie that binds a sign-in attempt to the browser that started it.
const ATTEMPT_COOKIE: &str = "accountd_sign_in";

/// Where the cookie is sent: the callback only.
const ATTEMPT_COOKIE_PATH: &str = "/console/api/oauth/authorize";

routes! {
    get "/oauth/login/{provider}" => login,
    get "/oauth/authorize/{provider}" => authorize,
    get "/account/integrates" => integrates,
    delete "/account/integrates/{provider}" => unlink,
}

/// The operations of this module, for the API document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(login, authorize, integrates, unlink))]
pub(crate) struct ApiPaths;

fn attempt_cookie(state: &AppState, value: String, max_age_secs: i64) -> Cookie<'static> {
    Cookie::build(ATTEMPT_COOKIE, value)
        .path(ATTEMPT_COOKIE_PATH)
        .http_only(true)
        // sent along when the provider redirects the browser back (a top-level GET from another site)
        .same_site(SameSite::Lax)
        .secure(state.console_api_url.starts_with("https://"))
        .max_age(actix_web::cookie::time::Duration::seconds(max_age_secs))
        .finish()
}

fn redirect(location: &str) -> actix_web::HttpResponseBuilder {
    let mut response = HttpResponse::Found();
    response.insert_header((header::LOCATION, location)).insert_header((header::CACHE_CONTROL, "no-store"));
    response
}

/// `CONSOLE_WEB_URL` without a trailing slash.
fn web_base(state: &AppState) -> &str {
    state.console_web_url.trim_end_matches('/')
}

/// The console's sign-in page with a message for the person.
fn to_sign_in_page(state: &AppState, message: &str) -> actix_web::HttpResponseBuilder {
    redirect(&format!("{}/signin?message={}", web_base(state), percent_encode(message)))
}

/// The text shown on the sign-in page for a failed sign-in.
fn failure_message(error: DomainError) -> String {
    match error {
        DomainError::InvalidInvitation => "Invalid invitation token.".into(),
        other => ConsoleError::from(other).message(),
    }
}

/// `{"error": "Invalid provider"}`: Dify's answer for a provider that is not configured.
#[derive(Serialize, ToSchema)]
struct InvalidProvider {
    /// Always `Invalid provider`.
    error: &'static str,
}

/// `GET /oauth/login/{provider}?invite_token=`: `302` to the provider, with the attempt's cookie.
#[utoipa::path(
    get,
    path = "/console/api/oauth/login/{provider}",
    tag = "sign-in through providers",
    params(
        ("provider" = String, Path, description = "A configured provider: `github`, `google` or an OpenID Connect \
            provider's name."),
        ("invite_token" = Option<String>, Query, description = "An invitation to accept with this sign-in."),
    ),
    responses(
        (
            status = 302,
            description = "To the provider, with the `accountd_sign_in` cookie of the attempt; on any other failure \
                to the console's sign-in page with a `message`.",
            headers(
                ("Location" = String, description = "The provider's authorization URL, or the sign-in page."),
                ("Set-Cookie" = String, description = "The attempt's cookie (with the redirect to the provider)."),
            )
        ),
        (status = 400, description = "The provider is not configured.", body = InvalidProvider),
    )
)]
pub(super) async fn login(
    state: web::Data<AppState>,
    provider: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, ConsoleError> {
    let query = QueryParams::of(&req);
    match state.use_cases.begin_social_sign_in(&provider, query.get("invite_token")).await {
        Ok(start) => {
            let cookie = attempt_cookie(&state, URL_SAFE_NO_PAD.encode(&start.cookie), start.max_age_secs);
            Ok(redirect(&start.redirect_url).cookie(cookie).finish())
        }
        Err(unknown @ DomainError::SignInRefused(SignInRefusal::UnknownProvider)) => Err(unknown.into()),
        Err(other) => Ok(to_sign_in_page(&state, &failure_message(other)).finish()),
    }
}

/// `GET /oauth/authorize/{provider}?code&state`: `302` to `CONSOLE_WEB_URL?access_token&refresh_token`, to the
/// invitation page, or to the sign-in page with a message. The attempt's cookie is cleared in every case.
#[utoipa::path(
    get,
    path = "/console/api/oauth/authorize/{provider}",
    tag = "sign-in through providers",
    params(
        ("provider" = String, Path, description = "The provider that redirected here."),
        ("code" = Option<String>, Query, description = "The provider's authorization code."),
        ("state" = Option<String>, Query, description = "The state of the attempt, as sent to the provider."),
    ),
    responses(
        (
            status = 302,
            description = "To the console with `access_token` and `refresh_token`; to the invitation page; to the \
                sign-in page with `code=mfa_required` or `code=mfa_enrollment_required` and an `mfa_token`; or to \
                the sign-in page with a `message` when the sign-in failed.",
            headers(
                ("Location" = String, description = "Where the browser goes on (below `CONSOLE_WEB_URL`)."),
                ("Set-Cookie" = String, description = "Clears the attempt's cookie."),
            )
        ),
        (status = 400, description = "The provider is not configured.", body = InvalidProvider),
    )
)]
pub(super) async fn authorize(
    state: web::Data<AppState>,
    provider: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, ConsoleError> {
    let query = QueryParams::of(&req);
    let language =
        req.headers().get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).map_or("en-US", best_language);
    let callback = SocialCallback {
        provider: provider.into_inner(),
        code: query.get("code").map(str::to_owned),
        state: query.get("state").map(str::to_owned),
        cookie: req.cookie(ATTEMPT_COOKIE).and_then(|c| URL_SAFE_NO_PAD.decode(c.value()).ok()),
        language,
        ip: client_ip(&req, state.trust_forwarded_headers),
    };
    let mut spent = attempt_cookie(&state, String::new(), 0);
    spent.make_removal();
    let mut response = match state.use_cases.finish_social_sign_in(callback).await {
        Ok(SocialLanding::Session(pair)) => redirect(&format!(
            "{}?access_token={}&refresh_token={}",
            web_base(&state),
            percent_encode(&pair.access_token),
            percent_encode(&pair.refresh_token)
        )),
        Ok(SocialLanding::Invitation { token }) => {
            redirect(&format!("{}/signin/invite-settings?invite_token={token}", web_base(&state)))
        }
        // the provider stood in for the password; the console page asks for the second factor (or its enrolment)
        Err(DomainError::SecondFactorRequired { token }) => {
            redirect(&format!("{}/signin?code=mfa_required&mfa_token={}", web_base(&state), percent_encode(&token)))
        }
        Err(DomainError::EnrollmentRequired { token }) => redirect(&format!(
            "{}/signin?code=mfa_enrollment_required&mfa_token={}",
            web_base(&state),
            percent_encode(&token)
        )),
        Err(DomainError::SignInRefused(SignInRefusal::UnknownProvider)) => {
            return Ok(HttpResponse::BadRequest().cookie(spent).json(InvalidProvider { error: "Invalid provider" }));
        }
        Err(other) => to_sign_in_page(&state, &failure_message(other)),
    };
    Ok(response.cookie(spent).finish())
}

/// One provider in `GET /account/integrates`.
#[derive(Serialize, ToSchema)]
#[schema(as = LinkedProvider)]
struct Integrate {
    /// The provider's name.
    provider: String,
    /// Unix seconds: when the link was made; `null` when unbound.
    created_at: Option<i64>,
    /// The caller is linked to an identity at the provider.
    is_bound: bool,
    /// When unbound: the URL that starts a sign-in (and so a link) through the provider.
    link: Option<String>,
}

/// `{"data": [provider, …]}`.
#[derive(Serialize, ToSchema)]
#[schema(as = LinkedProviders)]
struct IntegrateList {
    data: Vec<Integrate>,
}

/// `GET /account/integrates`: `{"data": [{provider, created_at, is_bound, link}]}`, one entry per configured
/// provider (with the link that starts a sign-in when unbound) and per linked one no longer configured.
#[utoipa::path(
    get,
    path = "/console/api/account/integrates",
    tag = "sign-in through providers",
    responses(
        (status = 200, description = "The configured and the linked providers.", body = IntegrateList),
        SessionFailures,
    ),
    security(("console_session" = []))
)]
pub(super) async fn integrates(
    state: web::Data<AppState>,
    Authenticated(me): Authenticated,
) -> Result<HttpResponse, ConsoleError> {
    let linked = state.use_cases.linked_identities(&me).await?;
    // configuration requires CONSOLE_API_URL whenever a provider is configured
    let base = state.console_api_url.trim_end_matches('/');
    let bound = |identity: &LinkedIdentity| Integrate {
        provider: identity.provider.clone(),
        created_at: Some(identity.created_at.unix_timestamp()),
        is_bound: true,
        link: None,
    };
    let configured = state.use_cases.sign_in_providers();
    let mut data: Vec<Integrate> = configured
        .iter()
        .map(|provider| match linked.iter().find(|l| l.provider == *provider) {
            Some(identity) => bound(identity),
            None => Integrate {
                provider: provider.clone(),
                created_at: None,
                is_bound: false,
                link: Some(format!("{base}/console/api/oauth/login/{provider}")),
            },
        })
        .collect();
    data.extend(linked.iter().filter(|l| !configured.contains(&l.provider)).map(bound));
    Ok(HttpResponse::Ok().json(IntegrateList { data }))
}

/// `DELETE /account/integrates/{provider}`: removes the caller's link (`{"result": "success"}`).
#[utoipa::path(
    delete,
    path = "/console/api/account/integrates/{provider}",
    tag = "sign-in through providers",
    params(("provider" = String, Path, description = "The provider's name.")),
    responses(
        (status = 200, description = "The link is removed.", body = Success),
        (
            status = 400,
            description = "The link is the account's only way to sign in (`params`: `provider`).",
            body = BadRequestBody
        ),
        (status = 404, description = "The caller has no link to this provider.", body = ErrorBody),
        SessionFailures,
    ),
    security(("console_session" = []))
)]
pub(super) async fn unlink(
    state: web::Data<AppState>,
    provider: web::Path<String>,
    Authenticated(me): Authenticated,
) -> Result<HttpResponse, ConsoleError> {
    state.use_cases.unlink_identity(&me, &provider).await?;
    Ok(HttpResponse::Ok().json(SUCCESS))
}
