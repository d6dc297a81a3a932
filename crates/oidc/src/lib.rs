//! # accountd sign-in provider adapter
//!
//! Implements the domain's [`SignInProviders`] port over the maintained `openidconnect` and `oauth2` crates:
//! GitHub (OAuth 2.0 and its user API), Google and any OpenID Connect provider found by discovery. Every request
//! uses PKCE (S256); ID tokens are validated by `openidconnect` (signature by the provider's published keys,
//! issuer, audience, expiry, nonce). The HTTP client follows no redirects and gives up after ten seconds.

mod claims;
mod github;

use std::sync::RwLock;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use domain::model::ExternalIdentity;
use domain::ports::{AuthorizationRequest, SignInProviders};
use domain::{DomainError, DomainResult, SignInRefusal};
use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata};
use openidconnect::{
    AccessToken, AuthorizationCode, ClaimsVerificationError, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce,
    OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope, TokenResponse,
};

pub use claims::identity_from_claims;
pub use github::{github_identity, GitHubEndpoints};

/// How long discovered provider metadata (endpoints and signing keys) is reused.
const METADATA_TTL: Duration = Duration::from_secs(3600);

/// Timeout of every request to a provider.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// What kind of provider a configured name stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProviderKind {
    /// GitHub: OAuth 2.0 and the user API (no ID token).
    GitHub(GitHubEndpoints),
    /// An OpenID Connect provider found by discovery at this issuer (Google is one).
    OpenIdConnect {
        /// The issuer URL.
        issuer: String,
    },
}

/// One configured provider.
#[derive(Clone)]
pub struct ProviderSettings {
    /// The name in the sign-in URLs (`github`, `google`, or an OpenID Connect provider's own name).
    pub name: String,
    /// What it is.
    pub kind: ProviderKind,
    /// The client id registered at the provider.
    pub client_id: String,
    /// The client secret registered at the provider.
    pub client_secret: String,
    /// Scopes asked for.
    pub scopes: Vec<String>,
}

impl std::fmt::Debug for ProviderSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProviderSettings")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("client_id", &self.client_id)
            .field("client_secret", &"[redacted]")
            .field("scopes", &self.scopes)
            .finish()
    }
}

impl ProviderSettings {
    /// GitHub with the scope `user:email` (the verified addresses are read from its API).
    pub fn github(client_id: String, client_secret: String) -> Self {
        Self {
            name: "github".into(),
            kind: ProviderKind::GitHub(GitHubEndpoints::default()),
            client_id,
            client_secret,
            scopes: vec!["user:email".into()],
        }
    }

    /// Google, as the OpenID Connect provider `https://accounts.google.com`.
    pub fn google(client_id: String, client_secret: String) -> Self {
        Self::openid_connect("google".into(), "https://accounts.google.com".into(), client_id, client_secret, None)
    }

    /// An OpenID Connect provider; scopes default to `openid email profile` (`openid` is always asked for).
    pub fn openid_connect(
        name: String,
        issuer: String,
        client_id: String,
        client_secret: String,
        scopes: Option<Vec<String>>,
    ) -> Self {
        let scopes = scopes.unwrap_or_else(|| vec!["openid".into(), "email".into(), "profile".into()]);
        Self { name, kind: ProviderKind::OpenIdConnect { issuer }, client_id, client_secret, scopes }
    }
}

struct Provider {
    settings: ProviderSettings,
    redirect: RedirectUrl,
    /// Discovered metadata and when it was read.
    metadata: RwLock<Option<(Instant, CoreProviderMetadata)>>,
}

/// The configured providers.
pub struct Providers {
    http: openidconnect::reqwest::Client,
    providers: Vec<Provider>,
}

fn failed(provider: &str, what: &str, error: impl std::fmt::Display) -> DomainError {
    tracing::warn!(provider, %error, "sign-in provider step failed: {what}");
    DomainError::SignInRefused(SignInRefusal::ProviderFailed)
}

impl Providers {
    /// The providers, calling back to `{console_api_url}/console/api/oauth/authorize/{name}`.
    ///
    /// # Errors
    /// A message naming the provider when its callback URL or issuer is not a valid URL.
    pub fn new(console_api_url: &str, settings: Vec<ProviderSettings>) -> Result<Self, String> {
        let http = openidconnect::reqwest::Client::builder()
            .redirect(openidconnect::reqwest::redirect::Policy::none())
            .timeout(REQUEST_TIMEOUT)
            .build()
            .map_err(|e| format!("cannot build the HTTP client of the sign-in providers: {e}"))?;
        let base = console_api_url.trim_end_matches('/');
        let providers = settings
            .into_iter()
            .map(|settings| {
                let url = format!("{base}/console/api/oauth/authorize/{}", settings.name);
                let redirect = RedirectUrl::new(url)
                    .map_err(|e| format!("sign-in provider {}: bad callback URL: {e}", settings.name))?;
                if let ProviderKind::OpenIdConnect { issuer } = &settings.kind {
                    IssuerUrl::new(issuer.clone())
                        .map_err(|e| format!("sign-in provider {}: bad issuer URL: {e}", settings.name))?;
                }
                Ok(Provider { settings, redirect, metadata: RwLock::new(None) })
            })
            .collect::<Result<_, String>>()?;
        Ok(Self { http, providers })
    }

    fn find(&self, name: &str) -> Option<&Provider> {
        self.providers.iter().find(|p| p.settings.name == name)
    }

    /// The provider's discovered metadata, read again when older than an hour or when `fresh` is asked for
    /// (the provider may have rotated its signing keys).
    async fn metadata(&self, provider: &Provider, issuer: &str, fresh: bool) -> DomainResult<CoreProviderMetadata> {
        if !fresh {
            let cached = provider.metadata.read().unwrap_or_else(std::sync::PoisonError::into_inner);
            if let Some((_, metadata)) = cached.as_ref().filter(|(read_at, _)| read_at.elapsed() < METADATA_TTL) {
                return Ok(metadata.clone());
            }
        }
        let name = &provider.settings.name;
        let issuer = IssuerUrl::new(issuer.to_owned()).map_err(|e| failed(name, "issuer", e))?;
        let metadata =
            CoreProviderMetadata::discover_async(issuer, &self.http).await.map_err(|e| failed(name, "discovery", e))?;
        *provider.metadata.write().unwrap_or_else(std::sync::PoisonError::into_inner) =
            Some((Instant::now(), metadata.clone()));
        Ok(metadata)
    }

    fn client(&self, provider: &Provider, metadata: CoreProviderMetadata) -> OidcClient {
        CoreClient::from_provider_metadata(
            metadata,
            ClientId::new(provider.settings.client_id.clone()),
            Some(ClientSecret::new(provider.settings.client_secret.clone())),
        )
        .set_redirect_uri(provider.redirect.clone())
    }

    async fn identify_oidc(
        &self,
        provider: &Provider,
        issuer: &str,
        code: &str,
        request: &AuthorizationRequest,
    ) -> DomainResult<ExternalIdentity> {
        let name = provider.settings.name.as_str();
        let client = self.client(provider, self.metadata(provider, issuer, false).await?);
        let tokens = client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .map_err(|e| failed(name, "token endpoint", e))?
            .set_pkce_verifier(PkceCodeVerifier::new(request.pkce_verifier.clone()))
            .request_async(&self.http)
            .await
            .map_err(|e| failed(name, "code exchange", e))?;
        let id_token = tokens.id_token().ok_or_else(|| failed(name, "token response", "no ID token"))?;
        let nonce = Nonce::new(request.nonce.clone());
        let first = id_token.claims(&client.id_token_verifier(), &nonce).map(|_| ()).map_err(|e| match e {
            // an unknown signing key: the provider may have rotated its keys since discovery
            ClaimsVerificationError::SignatureVerification(_) => None,
            other => Some(other.to_string()),
        });
        match first {
            Ok(()) => {}
            Err(Some(error)) => return Err(failed(name, "ID token validation", error)),
            Err(None) => {
                let fresh = self.client(provider, self.metadata(provider, issuer, true).await?);
                let verifier = fresh.id_token_verifier();
                if let Err(error) = id_token.claims(&verifier, &nonce) {
                    return Err(failed(name, "ID token validation", error));
                }
            }
        }
        let mut claims =
            claims::payload(&id_token.to_string()).ok_or_else(|| failed(name, "ID token", "unreadable"))?;
        if !claims.contains_key("email") {
            if let Some(more) = self.user_info(&client, tokens.access_token(), &claims).await {
                for (key, value) in more {
                    claims.entry(key).or_insert(value);
                }
            }
        }
        identity_from_claims(name, &claims).ok_or_else(|| failed(name, "claims", "no subject"))
    }

    /// The user-info claims, for providers that keep the address out of the ID token (best effort: the
    /// endpoint is optional).
    async fn user_info(
        &self,
        client: &OidcClient,
        access_token: &AccessToken,
        id_claims: &serde_json::Map<String, serde_json::Value>,
    ) -> Option<serde_json::Map<String, serde_json::Value>> {
        let subject = id_claims.get("sub")?.as_str()?.to_owned();
        let request =
            client.user_info(access_token.clone(), Some(openidconnect::SubjectIdentifier::new(subject))).ok()?;
        let info: openidconnect::core::CoreUserInfoClaims = request.request_async(&self.http).await.ok()?;
        match serde_json::to_value(info).ok()? {
            serde_json::Value::Object(map) => Some(map),
            _ => None,
        }
    }
}

type OidcClient = CoreClient<
    openidconnect::EndpointSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointMaybeSet,
    openidconnect::EndpointMaybeSet,
>;

#[async_trait]
impl SignInProviders for Providers {
    fn names(&self) -> Vec<String> {
        self.providers.iter().map(|p| p.settings.name.clone()).collect()
    }

    async fn authorization_url(&self, name: &str, request: &AuthorizationRequest) -> DomainResult<Option<String>> {
        let Some(provider) = self.find(name) else { return Ok(None) };
        let challenge =
            PkceCodeChallenge::from_code_verifier_sha256(&PkceCodeVerifier::new(request.pkce_verifier.clone()));
        let scopes = provider.settings.scopes.iter().map(|s| Scope::new(s.clone()));
        let state = CsrfToken::new(request.state.clone());
        let url = match &provider.settings.kind {
            ProviderKind::GitHub(endpoints) => {
                github::client(&provider.settings, endpoints, &provider.redirect)?
                    .authorize_url(|| state)
                    .add_scopes(scopes)
                    .set_pkce_challenge(challenge)
                    .url()
                    .0
            }
            ProviderKind::OpenIdConnect { issuer } => {
                let client = self.client(provider, self.metadata(provider, issuer, false).await?);
                let nonce = Nonce::new(request.nonce.clone());
                client
                    .authorize_url(CoreAuthenticationFlow::AuthorizationCode, || state, || nonce)
                    .add_scopes(scopes.filter(|s| s.as_str() != "openid"))
                    .set_pkce_challenge(challenge)
                    .url()
                    .0
            }
        };
        Ok(Some(url.to_string()))
    }

    async fn identify(&self, name: &str, code: &str, request: &AuthorizationRequest) -> DomainResult<ExternalIdentity> {
        let provider = self.find(name).ok_or(DomainError::SignInRefused(SignInRefusal::UnknownProvider))?;
        match &provider.settings.kind {
            ProviderKind::GitHub(endpoints) => {
                github::identify(&self.http, &provider.settings, endpoints, &provider.redirect, code, request).await
            }
            ProviderKind::OpenIdConnect { issuer } => self.identify_oidc(provider, issuer, code, request).await,
        }
    }
}
