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
use serde_json::json;

use super::dto::SUCCESS;
use super::error::ConsoleError;
use super::extract::{best_language, client_ip, Authenticated, QueryParams};
use crate::AppState;

/// The cookie that binds a sign-in attempt to the browser that started it.
const ATTEMPT_COOKIE: &str = "accountd_sign_in";

/// Where the cookie is sent: the callback only.
const ATTEMPT_COOKIE_PATH: &str = "/console/api/oauth/authorize";

/// Registers the routes.
pub(super) fn config(cfg: &mut web::ServiceConfig) {
    cfg.route("/oauth/login/{provider}", web::get().to(login))
        .route("/oauth/authorize/{provider}", web::get().to(authorize))
        .route("/account/integrates", web::get().to(integrates))
        .route("/account/integrates/{provider}", web::delete().to(unlink));
}

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

/// `GET /oauth/login/{provider}?invite_token=`: `302` to the provider, with the attempt's cookie.
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
            return Ok(HttpResponse::BadRequest().cookie(spent).json(json!({"error": "Invalid provider"})));
        }
        Err(other) => to_sign_in_page(&state, &failure_message(other)),
    };
    Ok(response.cookie(spent).finish())
}

/// One provider in `GET /account/integrates`.
#[derive(Serialize)]
struct Integrate {
    provider: String,
    created_at: Option<i64>,
    is_bound: bool,
    link: Option<String>,
}

/// `GET /account/integrates`: `{"data": [{provider, created_at, is_bound, link}]}`, one entry per configured
/// provider (with the link that starts a sign-in when unbound) and per linked one no longer configured.
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
    Ok(HttpResponse::Ok().json(json!({ "data": data })))
}

/// `DELETE /account/integrates/{provider}`: removes the caller's link (`{"result": "success"}`).
pub(super) async fn unlink(
    state: web::Data<AppState>,
    provider: web::Path<String>,
    Authenticated(me): Authenticated,
) -> Result<HttpResponse, ConsoleError> {
    state.use_cases.unlink_identity(&me, &provider).await?;
    Ok(HttpResponse::Ok().json(SUCCESS))
}
