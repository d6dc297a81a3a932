//! GitHub: an OAuth 2.0 code exchange (with PKCE), then the user and its verified addresses from the REST API.

use domain::model::ExternalIdentity;
use domain::ports::AuthorizationRequest;
use domain::DomainResult;
use oauth2::basic::BasicClient;
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, EndpointNotSet, EndpointSet, PkceCodeVerifier, RedirectUrl,
    TokenResponse, TokenUrl,
};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::{failed, ProviderSettings};

/// GitHub's addresses (GitHub Enterprise Server has its own).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitHubEndpoints {
    /// The authorization page.
    pub authorize: String,
    /// The token endpoint.
    pub token: String,
    /// The REST API base.
    pub api: String,
}

impl Default for GitHubEndpoints {
    fn default() -> Self {
        Self {
            authorize: "https://github.com/login/oauth/authorize".into(),
            token: "https://github.com/login/oauth/access_token".into(),
            api: "https://api.github.com".into(),
        }
    }
}

type GitHubClient = BasicClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointSet>;

pub(crate) fn client(
    settings: &ProviderSettings,
    endpoints: &GitHubEndpoints,
    redirect: &RedirectUrl,
) -> DomainResult<GitHubClient> {
    let name = settings.name.as_str();
    Ok(BasicClient::new(ClientId::new(settings.client_id.clone()))
        .set_client_secret(ClientSecret::new(settings.client_secret.clone()))
        .set_auth_uri(AuthUrl::new(endpoints.authorize.clone()).map_err(|e| failed(name, "authorize URL", e))?)
        .set_token_uri(TokenUrl::new(endpoints.token.clone()).map_err(|e| failed(name, "token URL", e))?)
        .set_redirect_uri(redirect.clone()))
}

/// Redeems the code and reads who signed in.
pub(crate) async fn identify(
    http: &oauth2::reqwest::Client,
    settings: &ProviderSettings,
    endpoints: &GitHubEndpoints,
    redirect: &RedirectUrl,
    code: &str,
    request: &AuthorizationRequest,
) -> DomainResult<ExternalIdentity> {
    let name = settings.name.as_str();
    let tokens = client(settings, endpoints, redirect)?
        .exchange_code(AuthorizationCode::new(code.to_owned()))
        .set_pkce_verifier(PkceCodeVerifier::new(request.pkce_verifier.clone()))
        .request_async(http)
        .await
        .map_err(|e| failed(name, "code exchange", e))?;
    let token = tokens.access_token().secret();
    let api = endpoints.api.trim_end_matches('/');
    let user = get(http, &format!("{api}/user"), token).await.map_err(|e| failed(name, "user API", e))?;
    // the address list needs the `user:email` scope; without it the public address (if any) stands unverified
    let emails = get(http, &format!("{api}/user/emails"), token).await.ok();
    github_identity(name, &user, emails.as_deref()).map_err(|e| failed(name, "user API answer", e))
}

async fn get(http: &oauth2::reqwest::Client, url: &str, token: &str) -> Result<Vec<u8>, oauth2::reqwest::Error> {
    let response = http
        .get(url)
        .bearer_auth(token)
        .header("Accept", "application/vnd.github+json")
        .header("User-Agent", "accountd")
        .header("X-GitHub-Api-Version", "2022-11-28")
        .send()
        .await?
        .error_for_status()?;
    Ok(response.bytes().await?.to_vec())
}

#[derive(Deserialize)]
struct GitHubUser {
    id: u64,
    login: String,
    name: Option<String>,
    avatar_url: Option<String>,
    html_url: Option<String>,
    company: Option<String>,
    location: Option<String>,
}

#[derive(Deserialize)]
struct GitHubEmail {
    email: String,
    #[serde(default)]
    primary: bool,
    #[serde(default)]
    verified: bool,
}

/// The identity of a GitHub `GET /user` body and, when readable, its `GET /user/emails` body: the subject is
/// the numeric user id; the address is the primary verified one, else another verified one, else the user's
/// no-reply address `{id}+{login}@users.noreply.github.com` (GitHub's own, so it counts as verified). The
/// public profile address is never used: GitHub does not vouch for it.
///
/// # Errors
/// When the user body is not a GitHub user.
pub fn github_identity(
    provider: &str,
    user: &[u8],
    emails: Option<&[u8]>,
) -> Result<ExternalIdentity, serde_json::Error> {
    let user: GitHubUser = serde_json::from_slice(user)?;
    let emails: Vec<GitHubEmail> = emails.and_then(|body| serde_json::from_slice(body).ok()).unwrap_or_default();
    let verified = emails
        .iter()
        .filter(|e| e.verified)
        .max_by_key(|e| e.primary)
        .map(|e| e.email.trim().to_owned())
        .filter(|e| !e.is_empty());
    // GitHub's no-reply address is built from the user id, so it belongs to this user whatever they verified;
    // the public profile address is not checked by GitHub and is not used
    let email = verified.unwrap_or_else(|| format!("{}+{}@users.noreply.github.com", user.id, user.login));
    let mut attributes = Map::new();
    attributes.insert("login".into(), Value::from(user.login.clone()));
    let optional = [
        ("name", &user.name),
        ("avatar_url", &user.avatar_url),
        ("html_url", &user.html_url),
        ("company", &user.company),
        ("location", &user.location),
    ];
    for (key, value) in optional {
        if let Some(value) = value {
            attributes.insert(key.into(), Value::from(value.clone()));
        }
    }
    let name = user.name.filter(|n| !n.trim().is_empty()).unwrap_or(user.login);
    Ok(ExternalIdentity {
        provider: provider.to_owned(),
        subject: user.id.to_string(),
        email: Some(email),
        email_verified: true,
        name: Some(name),
        attributes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `GET /user` body in the shape GitHub documents (values made up, fields trimmed).
    const USER: &str = r#"{
        "login": "octocat", "id": 583231, "node_id": "MDQ6VXNlcjU4MzIzMQ==",
        "avatar_url": "https://avatars.githubusercontent.com/u/583231?v=4", "gravatar_id": "",
        "html_url": "https://github.com/octocat", "type": "User", "site_admin": false,
        "name": "The Octocat", "company": "@github", "blog": "https://github.blog", "location": "San Francisco",
        "email": "octocat@github.com", "hireable": null, "bio": null, "public_repos": 8, "followers": 9999,
        "created_at": "2011-01-25T18:44:36Z", "updated_at": "2024-01-22T12:00:00Z"
    }"#;

    /// A `GET /user/emails` body in the shape GitHub documents.
    const EMAILS: &str = r#"[
        {"email": "old@example.com", "verified": true, "primary": false, "visibility": null},
        {"email": "octocat@example.com", "verified": true, "primary": true, "visibility": "private"},
        {"email": "unconfirmed@example.com", "verified": false, "primary": false, "visibility": null}
    ]"#;

    #[test]
    fn the_primary_verified_address_wins() {
        let identity = github_identity("github", USER.as_bytes(), Some(EMAILS.as_bytes())).unwrap();
        assert_eq!(identity.subject, "583231");
        assert_eq!(identity.email.as_deref(), Some("octocat@example.com"));
        assert!(identity.email_verified);
        assert_eq!(identity.name.as_deref(), Some("The Octocat"));
        assert_eq!(identity.attributes["login"], "octocat");
        assert_eq!(identity.attributes["html_url"], "https://github.com/octocat");
        assert!(!identity.attributes.contains_key("followers"));
    }

    #[test]
    fn without_a_verified_address_the_noreply_one_stands_and_the_public_one_is_never_used() {
        let only_unverified = br#"[{"email": "x@example.com", "verified": false, "primary": true}]"#;
        let identity = github_identity("github", USER.as_bytes(), Some(only_unverified)).unwrap();
        assert_eq!(identity.email.as_deref(), Some("583231+octocat@users.noreply.github.com"));
        assert!(identity.email_verified, "the no-reply address is the user's own");

        let private = br#"{"login": "hubot", "id": 42, "name": null, "email": null}"#;
        let identity = github_identity("github", private, None).unwrap();
        assert_eq!(identity.email.as_deref(), Some("42+hubot@users.noreply.github.com"));
        assert_eq!(identity.name.as_deref(), Some("hubot"), "the login stands in for a missing name");

        // a scope-less token gets an error object instead of the list: ignored
        let identity = github_identity("github", USER.as_bytes(), Some(br#"{"message": "Not Found"}"#)).unwrap();
        assert_eq!(identity.email.as_deref(), Some("583231+octocat@users.noreply.github.com"));
    }

    #[test]
    fn a_body_that_is_no_user_is_an_error() {
        assert!(github_identity("github", br#"{"message": "Bad credentials"}"#, None).is_err());
        assert!(github_identity("github", b"<html>", None).is_err());
    }
}
