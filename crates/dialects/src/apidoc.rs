//! The API documents: one OpenAPI 3.1 document per dialect, generated from the handlers' `#[utoipa::path]`
//! annotations and the wire types' `ToSchema` derives, served at `/docs/{dialect}/openapi.json`, and the
//! reference page at `/docs` (Swagger UI, its assets built into the binary, so it works offline).

use actix_web::web;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{InfoBuilder, OpenApi, Server};
use utoipa_swagger_ui::{Config, SwaggerUi, Url};

use crate::common::routes::ServedRoute;

/// One dialect's document.
pub struct Document {
    /// The dialect's name in the reference page.
    pub slug: &'static str,
    /// Where the document is served: `/docs/{slug}/openapi.json`.
    pub url: &'static str,
    /// Title of the document.
    pub title: &'static str,
    /// What the dialect is, for the document's description.
    pub description: &'static str,
    /// The operations, merged from the dialect's modules.
    paths: fn() -> OpenApi,
    /// The security schemes the dialect accepts.
    schemes: fn() -> Vec<(&'static str, SecurityScheme)>,
    /// The routes the dialect serves.
    pub served_routes: fn() -> Vec<ServedRoute>,
}

impl Document {
    /// The whole document.
    pub fn openapi(&self) -> OpenApi {
        let mut doc = (self.paths)();
        doc.info = InfoBuilder::new()
            .title(self.title)
            .version(env!("CARGO_PKG_VERSION"))
            .description(Some(self.description))
            .build();
        doc.servers = Some(vec![Server::new("/")]);
        let components = doc.components.get_or_insert_with(Default::default);
        for (name, scheme) in (self.schemes)() {
            components.add_security_scheme(name, scheme);
        }
        doc
    }
}

/// The five dialects' documents.
pub const DOCUMENTS: [Document; 5] = [
    Document {
        slug: "console",
        url: "/docs/console/openapi.json",
        title: "accountd console API (/console/api)",
        description: "The zgi-next console UI's API, a Dify console with enterprise groups. Sessions are JWT \
            bearer tokens from `POST /console/api/login`. Errors are `{code, message, status}`; validation \
            errors are `{code: \"invalid_param\", message, params}`.",
        paths: crate::console::api_paths,
        schemes: console_schemes,
        served_routes: crate::console::served_routes,
    },
    Document {
        slug: "openapi-v1",
        url: "/docs/openapi-v1/openapi.json",
        title: "accountd openapi/v1 (/openapi/v1/accounts)",
        description: "Partner provisioning. `Authorization: Bearer <access_key>.<secret_key>`. Every answer is \
            `{errcode, errmsg, data}` with the HTTP status as `errcode`. Trailing slashes are optional.",
        paths: crate::openapi::api_paths,
        schemes: access_key_schemes,
        served_routes: crate::openapi::served_routes,
    },
    Document {
        slug: "account-modify",
        url: "/docs/account-modify/openapi.json",
        title: "accountd account-modify (/api/v1/account)",
        description: "The signed admin API. Every request carries `X-Df-Access-Key`, `X-Df-Timestamp` (unix \
            seconds), `X-Df-Nonce` (used once), `X-Df-SVersion: v20240417` and `X-Df-Signature`: the hex \
            HMAC-SHA256 under the secret key of `\"{METHOD} {nonce} {path_with_query} {timestamp} {body}\"`. \
            Every answer is `{code, content, pageInfo?, errorCode, message, success, traceId}`.",
        paths: crate::account_modify::api_paths,
        schemes: account_modify_schemes,
        served_routes: crate::account_modify::served_routes,
    },
    Document {
        slug: "iam",
        url: "/docs/iam/openapi.json",
        title: "accountd iam (/iam/idp/v1)",
        description: "Google-AIP style users and access keys. Every request carries `X-Date` (RFC 1123) and \
            `Authorization: hmac accesskey=\"<AK>\", algorithm=\"hmac-sha256\", headers=\"x-date request-line \
            digest\", signature=\"<base64>\"`: HMAC-SHA256 under the secret key of one line per covered part \
            (`x-date: <X-Date>`, `<METHOD> <path?query> HTTP/1.1`, `digest: SHA-256=<base64 of the body>`). \
            Writes must cover all three and send the `Digest` header. Errors are `google.rpc.Status` with a \
            `request_id`.",
        paths: crate::iam::api_paths,
        schemes: iam_schemes,
        served_routes: crate::iam::served_routes,
    },
    Document {
        slug: "scim",
        url: "/docs/scim/openapi.json",
        title: "accountd SCIM 2.0 (/scim/v2)",
        description: "SCIM 2.0 (RFC 7643, RFC 7644) for identity providers that provision users. \
            `Authorization: Bearer <access_key>.<secret_key>`; bodies are `application/scim+json` (plain JSON \
            is accepted too). Errors are `urn:ietf:params:scim:api:messages:2.0:Error` with `scimType`. \
            Discovery (`/ServiceProviderConfig`, `/ResourceTypes`, `/Schemas`) needs no credentials.",
        paths: crate::scim::api_paths,
        schemes: access_key_schemes,
        served_routes: crate::scim::served_routes,
    },
];

fn console_schemes() -> Vec<(&'static str, SecurityScheme)> {
    vec![(
        "console_session",
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .bearer_format("JWT")
                .description(Some("The access token of `POST /console/api/login` (or a provider sign-in)."))
                .build(),
        ),
    )]
}

fn access_key_schemes() -> Vec<(&'static str, SecurityScheme)> {
    vec![(
        "access_key",
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .bearer_format("<access_key>.<secret_key>")
                .description(Some(
                    "An access key and its secret joined by a dot; the key's account must have `open_api_state` \
                     enabled and a platform role that manages accounts.",
                ))
                .build(),
        ),
    )]
}

fn account_modify_schemes() -> Vec<(&'static str, SecurityScheme)> {
    vec![(
        "df_signature",
        SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
            "X-Df-Access-Key",
            "The access key; the request must also carry `X-Df-Timestamp`, `X-Df-Nonce`, \
             `X-Df-SVersion: v20240417` and `X-Df-Signature` = hex HMAC-SHA256(secret, \
             \"{METHOD} {nonce} {path_with_query} {timestamp} {body}\").",
        ))),
    )]
}

fn iam_schemes() -> Vec<(&'static str, SecurityScheme)> {
    vec![(
        "hmac_signature",
        SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
            "Authorization",
            "`hmac accesskey=\"<AK>\", algorithm=\"hmac-sha256\", headers=\"x-date request-line digest\", \
             signature=\"<base64 HMAC-SHA256>\"` over `x-date: <X-Date>`, `<METHOD> <path?query> HTTP/1.1` and \
             `digest: <Digest>`, one per line in the order `headers` lists; `X-Date` within five minutes. Writes \
             cover all three parts and each write signature is accepted once.",
        ))),
    )]
}

/// Where the reference page is.
pub const REFERENCE_PAGE: &str = "/docs/";

/// Registers `/docs/` (the reference page, `/docs` redirecting there) and every `/docs/{dialect}/openapi.json`.
pub fn config(cfg: &mut actix_web::web::ServiceConfig) {
    let urls = DOCUMENTS.iter().map(|d| (Url::new(d.slug, d.url), d.openapi())).collect::<Vec<_>>();
    // `validator_url: none`: the page never sends the document's address to swagger.io's online validator.
    let page = SwaggerUi::new("/docs/{_:.*}").urls(urls).config(Config::default().validator_url("none"));
    cfg.service(web::redirect("/docs", REFERENCE_PAGE)).service(page);
}
