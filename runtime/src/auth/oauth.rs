//! OAuth 2.0 application authentication: tokens, their store, the authorization server.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Map, Value};

use super::portal::Portal;
use crate::client::mask_secrets;
use crate::limits::{Clock, SystemClock};
use crate::transport::{ReqwestTransport, Transport, TransportError};
use crate::wire::Decode;
use crate::{ApiError, BoxError, Error};

/// The Bitrix24 authorization server, which issues and renews every application's tokens.
pub const DEFAULT_OAUTH_SERVER: &str = "https://oauth.bitrix.info";
/// Timeout of one token request, in seconds.
const TOKEN_TIMEOUT: Duration = Duration::from_secs(30);
/// Connect timeout of the transport made for a standalone token request.
const TOKEN_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Characters escaped in query values: everything but letters, digits and `-._~`.
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// An OAuth token pair. `Debug` never shows the tokens.
#[derive(Clone)]
#[non_exhaustive]
pub struct Tokens {
    /// Sent as `auth` with every call; lives one hour.
    pub access_token: SecretString,
    /// Exchanged for a new pair when the access token has expired; lives 180 days, and
    /// each renewal replaces it (save the new one: see [`TokenStore`]).
    pub refresh_token: SecretString,
    /// When the access token expires, Unix time in seconds, when known. Informational: the
    /// client renews on the portal's `expired_token` answer, never ahead of time.
    pub expires_at: Option<i64>,
}

impl Tokens {
    /// A pair with no known expiry; takes `String`s, `&str`s or [`SecretString`]s.
    pub fn new(
        access_token: impl Into<SecretString>,
        refresh_token: impl Into<SecretString>,
    ) -> Self {
        Tokens {
            access_token: access_token.into(),
            refresh_token: refresh_token.into(),
            expires_at: None,
        }
    }

    /// The same pair, expiring at `unix_secs` (Unix time, in seconds).
    pub fn expires_at(mut self, unix_secs: i64) -> Self {
        self.expires_at = Some(unix_secs);
        self
    }
}

impl fmt::Debug for Tokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tokens")
            .field("access_token", &"[REDACTED]")
            .field("refresh_token", &"[REDACTED]")
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// Where a [`Client`](crate::Client) saves tokens after renewing them.
///
/// Renewal replaces the refresh token, so an application that does not persist the new
/// pair cannot renew again after a restart. `save` is called once after each renewal,
/// from the task whose call triggered it, before any call uses the new token; keep it
/// quick (it blocks that task).
pub trait TokenStore: Send + Sync + 'static {
    /// Persists `tokens`, the new pair of `portal` (key them by
    /// [`Portal::member_id`] when known, else by [`Portal::domain`]: an application
    /// installed on several portals has one pair per portal).
    ///
    /// # Errors
    /// Any failure to persist. The client keeps using the new tokens in memory and the
    /// call that triggered the renewal fails with [`OAuthError::Store`].
    fn save(&self, portal: &Portal, tokens: &Tokens) -> Result<(), BoxError>;
}

/// A [`TokenStore`] that keeps the last saved pair in memory (the default; read it with
/// [`MemoryTokenStore::load`]).
#[derive(Default)]
pub struct MemoryTokenStore {
    tokens: Mutex<Option<(Portal, Tokens)>>,
}

impl MemoryTokenStore {
    /// An empty store.
    pub fn new() -> Self {
        MemoryTokenStore::default()
    }

    /// The last saved pair, if any.
    pub fn load(&self) -> Option<Tokens> {
        self.load_with_portal().map(|(_, tokens)| tokens)
    }

    /// The last saved pair with the portal it was saved for, if any.
    pub fn load_with_portal(&self) -> Option<(Portal, Tokens)> {
        self.tokens
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

impl TokenStore for MemoryTokenStore {
    fn save(&self, portal: &Portal, tokens: &Tokens) -> Result<(), BoxError> {
        *self.tokens.lock().unwrap_or_else(|p| p.into_inner()) =
            Some((portal.clone(), tokens.clone()));
        Ok(())
    }
}

impl fmt::Debug for MemoryTokenStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryTokenStore").finish_non_exhaustive()
    }
}

/// A failed request to the authorization server (code exchange or renewal). Never
/// contains a token, the code or the application secret.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum OAuthError {
    /// The server answered with an error: `invalid_grant` (the refresh token or code is
    /// expired or wrong: authorize again), `invalid_client`, `PAYMENT_REQUIRED`, ...
    #[error("the OAuth server refused: {0}")]
    Refused(ApiError),
    /// No complete answer from the server.
    #[error("could not reach the OAuth server: {0}")]
    Transport(#[source] Arc<TransportError>),
    /// The answer was not a token response (the body is not kept: it may hold tokens).
    #[error("unexpected answer from the OAuth server (HTTP {status}): {reason}")]
    Decode {
        /// HTTP status code of the answer.
        status: u16,
        /// What was wrong.
        reason: String,
    },
    /// The renewed tokens could not be saved by the [`TokenStore`]; the client uses them
    /// anyway, but they are not persisted.
    #[error("could not save the renewed tokens: {0}")]
    Store(#[source] Arc<dyn std::error::Error + Send + Sync>),
    /// A renewal failed while this call was waiting for it (the first caller got the
    /// cause); the call was not sent again.
    #[error("renewing the OAuth tokens failed in a concurrent call: {0}")]
    ConcurrentRenewal(Box<OAuthError>),
}

impl OAuthError {
    /// The error with `mask` applied to the texts the server wrote (a refusal's code and
    /// description, also inside [`OAuthError::ConcurrentRenewal`]); the other variants
    /// never quote the server.
    pub(crate) fn masked(self, mask: &dyn Fn(&str) -> String) -> OAuthError {
        match self {
            OAuthError::Refused(e) => OAuthError::Refused(e.masked(mask)),
            OAuthError::ConcurrentRenewal(e) => {
                OAuthError::ConcurrentRenewal(Box::new(e.masked(mask)))
            }
            other => other,
        }
    }
}

/// The authorization server's answer to a code exchange or a renewal.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct TokenGrant {
    /// The new token pair (`expires_at` from `expires`, or now + `expires_in`).
    pub tokens: Tokens,
    /// The portal's REST address, e.g. `https://portal.bitrix24.com/rest/`: pass it to
    /// [`OAuthConfig::new`].
    pub client_endpoint: Option<String>,
    /// The portal's permanent identifier.
    pub member_id: Option<String>,
    /// Granted permissions, comma-separated (`crm,entity,im`).
    pub scope: Option<String>,
    /// The ID of the user the tokens act as (sent on renewal).
    pub user_id: Option<u64>,
    /// The application's status on the portal (`F` free, `D` demo, `T` trial, `P` paid,
    /// `L` local, `S` subscription).
    pub status: Option<String>,
}

/// A registered application: its `client_id` and `client_secret`, and the authorization
/// server it talks to. `Debug` never shows the secret.
#[derive(Clone)]
pub struct OAuthApp {
    client_id: String,
    client_secret: SecretString,
    server: String,
    allow_insecure_loopback: bool,
    transport: Option<Arc<dyn Transport>>,
}

impl OAuthApp {
    /// The application with `client_id` (e.g. `app.573ad8a0346747.09223434` or
    /// `local.…`) and `client_secret`, using [`DEFAULT_OAUTH_SERVER`].
    pub fn new(client_id: impl Into<String>, client_secret: impl Into<SecretString>) -> Self {
        OAuthApp {
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            server: DEFAULT_OAUTH_SERVER.to_owned(),
            allow_insecure_loopback: false,
            transport: None,
        }
    }

    /// Uses another authorization server, `scheme://host[:port]` without path (tokens are
    /// requested from `<server>/oauth/token/`). Checked when used: `https`, or `http` to a
    /// loopback host after [`OAuthApp::allow_insecure_loopback`] (or, in a client,
    /// [`ClientBuilder::allow_insecure_loopback`](crate::ClientBuilder::allow_insecure_loopback)).
    pub fn oauth_server(mut self, url: impl Into<String>) -> Self {
        self.server = url.into();
        self
    }

    /// Allows `http://` to a loopback authorization server (127.0.0.1, ::1, localhost),
    /// for local tests.
    pub fn allow_insecure_loopback(mut self) -> Self {
        self.allow_insecure_loopback = true;
        self
    }

    /// Sends token requests through `transport` (it must implement
    /// [`Transport::get`]). Default: a [`ReqwestTransport`] for standalone requests, the
    /// client's transport inside a [`Client`](crate::Client).
    pub fn transport(mut self, transport: Arc<dyn Transport>) -> Self {
        self.transport = Some(transport);
        self
    }

    /// The application's `client_id`.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// The address to send the user to: `https://<portal>/oauth/authorize/?client_id=..&state=..`;
    /// see [`authorization_url`].
    ///
    /// # Errors
    /// As [`authorization_url`].
    pub fn authorization_url(&self, portal: &str, state: &str) -> Result<String, Error> {
        authorization_url(portal, &self.client_id, state)
    }

    /// Exchanges the one-time `code` (from the redirect after the user authorized; it lives
    /// 30 s) for the first token pair (`grant_type=authorization_code`).
    ///
    /// # Errors
    /// [`Error::Config`] for an invalid server address; [`Error::OAuth`] when the server
    /// refuses (e.g. `invalid_grant` for an expired code), cannot be reached within 30 s,
    /// or answers something else than tokens.
    pub async fn exchange_code(&self, code: &str) -> Result<TokenGrant, Error> {
        let transport = self.standalone_transport()?;
        self.token_request(
            &*transport,
            &[("grant_type", "authorization_code"), ("code", code)],
            self.allow_insecure_loopback,
            &SystemClock,
        )
        .await
        .map_err(Error::from)
    }

    /// Renews a token pair with `refresh_token` (`grant_type=refresh_token`), outside a
    /// client. A [`Client`](crate::Client) made with [`Client::oauth`](crate::Client::oauth)
    /// does this by itself when needed.
    ///
    /// # Errors
    /// As [`OAuthApp::exchange_code`]; `invalid_grant` means the refresh token expired
    /// (180 days) or was already replaced.
    pub async fn refresh(&self, refresh_token: &SecretString) -> Result<TokenGrant, Error> {
        let transport = self.standalone_transport()?;
        self.token_request(
            &*transport,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh_token.expose_secret()),
            ],
            self.allow_insecure_loopback,
            &SystemClock,
        )
        .await
        .map_err(Error::from)
    }

    fn standalone_transport(&self) -> Result<Arc<dyn Transport>, Error> {
        match &self.transport {
            Some(t) => Ok(Arc::clone(t)),
            None => ReqwestTransport::new(TOKEN_CONNECT_TIMEOUT)
                .map(|t| Arc::new(t) as Arc<dyn Transport>)
                .map_err(|e| Error::Config(format!("could not initialise the HTTP client: {e}"))),
        }
    }

    /// `GET <server>/oauth/token/?<params>&client_id=..&client_secret=..`.
    async fn token_request(
        &self,
        transport: &dyn Transport,
        params: &[(&str, &str)],
        allow_loopback: bool,
        clock: &dyn Clock,
    ) -> Result<TokenGrant, TokenRequestError> {
        let server = crate::auth::check_base_url(
            "OAuth server",
            &self.server,
            allow_loopback || self.allow_insecure_loopback,
        )
        .map_err(TokenRequestError::Config)?;
        let mut url = format!("{server}/oauth/token/?");
        let secret = self.client_secret.expose_secret();
        let all = params.iter().copied().chain([
            ("client_id", self.client_id.as_str()),
            ("client_secret", secret),
        ]);
        for (i, (k, v)) in all.enumerate() {
            if i > 0 {
                url.push('&');
            }
            url.push_str(k);
            url.push('=');
            url.extend(utf8_percent_encode(v, QUERY_VALUE));
        }
        let reply = match tokio::time::timeout(TOKEN_TIMEOUT, transport.get(&url)).await {
            Ok(Ok(reply)) => reply,
            Ok(Err(e)) => return Err(OAuthError::Transport(Arc::new(e)).into()),
            Err(_) => {
                return Err(OAuthError::Transport(Arc::new(TransportError::timeout(
                    TOKEN_TIMEOUT,
                )))
                .into());
            }
        };
        drop(url);
        // A refusal may echo what was sent: the code or refresh token, the secret.
        let sent = params
            .iter()
            .filter(|(k, _)| *k != "grant_type")
            .map(|(_, v)| *v)
            .chain([secret]);
        parse_grant(reply.status, &reply.body, clock)
            .map_err(|e| TokenRequestError::OAuth(e.masked(&|t| mask_secrets(t, sent.clone()))))
    }
}

impl fmt::Debug for OAuthApp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthApp")
            .field("client_id", &self.client_id)
            .field("server", &self.server)
            .finish_non_exhaustive()
    }
}

/// A token request's failure: a bad server address, or the request itself.
enum TokenRequestError {
    Config(Error),
    OAuth(OAuthError),
}

impl From<OAuthError> for TokenRequestError {
    fn from(e: OAuthError) -> Self {
        TokenRequestError::OAuth(e)
    }
}

impl From<TokenRequestError> for Error {
    fn from(e: TokenRequestError) -> Self {
        match e {
            TokenRequestError::Config(e) => e,
            TokenRequestError::OAuth(e) => Error::OAuth(e),
        }
    }
}

fn string_field(obj: &Map<String, Value>, key: &str) -> Option<String> {
    match obj.get(key) {
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        _ => None,
    }
}

fn int_field(obj: &Map<String, Value>, key: &str) -> Option<i64> {
    obj.get(key)
        .cloned()
        .and_then(|v| Option::<i64>::decode(v).ok().flatten())
}

/// Reads a token response. Error messages never quote the body.
fn parse_grant(status: u16, body: &[u8], clock: &dyn Clock) -> Result<TokenGrant, OAuthError> {
    let decode = |reason: &str| OAuthError::Decode {
        status,
        reason: reason.to_owned(),
    };
    let Ok(Value::Object(obj)) = serde_json::from_slice::<Value>(body) else {
        return Err(decode("the body is not a JSON object"));
    };
    if let Some(refused) = ApiError::from_answer(&obj, status) {
        return Err(OAuthError::Refused(refused));
    }
    if !(200..300).contains(&status) {
        return Err(decode("non-2xx status without an `error`"));
    }
    let (Some(access), Some(refresh)) = (
        string_field(&obj, "access_token"),
        string_field(&obj, "refresh_token"),
    ) else {
        return Err(decode("`access_token` or `refresh_token` is missing"));
    };
    let expires_at = int_field(&obj, "expires").or_else(|| {
        int_field(&obj, "expires_in").map(|secs| (clock.unix_now() as i64).saturating_add(secs))
    });
    Ok(TokenGrant {
        tokens: Tokens {
            access_token: SecretString::from(access),
            refresh_token: SecretString::from(refresh),
            expires_at,
        },
        client_endpoint: string_field(&obj, "client_endpoint"),
        member_id: string_field(&obj, "member_id"),
        scope: string_field(&obj, "scope"),
        user_id: int_field(&obj, "user_id").and_then(|id| u64::try_from(id).ok()),
        status: string_field(&obj, "status"),
    })
}

/// The address to send a user to so that they authorize the application on their portal:
/// `https://<portal>/oauth/authorize/?client_id=<client_id>&state=<state>` (values
/// percent-encoded; `state` omitted when empty). After authorizing, the portal redirects
/// to the application's registered `redirect_uri` with `code` and the same `state`:
/// exchange the code with [`OAuthApp::exchange_code`] within 30 s.
///
/// `portal` is the portal's host (`portal.bitrix24.com`) or its `https://` address.
///
/// # Errors
/// [`Error::Config`] when `portal` is not a host name or an `https://` address without
/// path, query or credentials, or `client_id` is empty.
pub fn authorization_url(portal: &str, client_id: &str, state: &str) -> Result<String, Error> {
    let portal = portal.trim();
    let with_scheme = if portal.contains("://") {
        portal.to_owned()
    } else {
        format!("https://{portal}")
    };
    let origin = crate::auth::check_base_url("portal address", &with_scheme, false)?;
    if client_id.is_empty() {
        return Err(Error::Config("the OAuth client_id is empty".into()));
    }
    let mut url = format!(
        "{origin}/oauth/authorize/?client_id={}",
        utf8_percent_encode(client_id, QUERY_VALUE)
    );
    if !state.is_empty() {
        url.push_str("&state=");
        url.extend(utf8_percent_encode(state, QUERY_VALUE));
    }
    Ok(url)
}

/// How a [`Client`](crate::Client) authenticates with OAuth: the portal's REST address,
/// the application, its current tokens and where renewed tokens are saved.
#[derive(Debug)]
pub struct OAuthConfig {
    pub(crate) client_endpoint: String,
    pub(crate) app: OAuthApp,
    pub(crate) tokens: Tokens,
    pub(crate) store: Arc<dyn TokenStore>,
    pub(crate) member_id: Option<String>,
}

impl OAuthConfig {
    /// Calls go to `client_endpoint` (`https://<portal>/rest/`, as returned in the token
    /// response; the portal's address alone is accepted too) with `tokens`, renewed through
    /// `app`; renewed tokens go to a [`MemoryTokenStore`] unless set with
    /// [`OAuthConfig::store`]. The address is checked by
    /// [`ClientBuilder::build`](crate::ClientBuilder::build).
    pub fn new(client_endpoint: impl Into<String>, app: OAuthApp, tokens: Tokens) -> Self {
        OAuthConfig {
            client_endpoint: client_endpoint.into(),
            app,
            tokens,
            store: Arc::new(MemoryTokenStore::new()),
            member_id: None,
        }
    }

    /// Saves renewed tokens to `store`.
    pub fn store(mut self, store: Arc<dyn TokenStore>) -> Self {
        self.store = store;
        self
    }

    /// The portal's `member_id` (from the install event, the application page or the
    /// code exchange's [`TokenGrant::member_id`]), passed to the [`TokenStore`] with each
    /// save. Without it the store gets the `member_id` of the renewal's answer.
    pub fn member_id(mut self, member_id: impl Into<String>) -> Self {
        self.member_id = Some(member_id.into());
        self
    }
}

impl fmt::Debug for dyn TokenStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenStore")
    }
}

/// The access token a call was sent with, and the state it was read in.
#[derive(Clone)]
pub(crate) struct TokenView {
    pub(crate) access_token: SecretString,
    generation: u64,
    failures: u64,
}

struct TokenState {
    tokens: Tokens,
    /// Bumped by each successful renewal.
    generation: u64,
    /// Bumped by each failed renewal.
    failures: u64,
    /// The failure of the last attempt, if it failed.
    last_failure: Option<OAuthError>,
}

/// A client's OAuth state: the current tokens and the single-flight renewal.
pub(crate) struct OAuthSession {
    app: OAuthApp,
    store: Arc<dyn TokenStore>,
    /// Whose tokens these are, for the store.
    portal: Mutex<Portal>,
    state: Mutex<TokenState>,
    /// Held by the one task renewing; the others wait on it, then reuse its result.
    renewal: tokio::sync::Mutex<()>,
}

impl OAuthSession {
    pub(crate) fn new(
        app: OAuthApp,
        tokens: Tokens,
        store: Arc<dyn TokenStore>,
        portal: Portal,
    ) -> Self {
        OAuthSession {
            app,
            store,
            portal: Mutex::new(portal),
            state: Mutex::new(TokenState {
                tokens,
                generation: 0,
                failures: 0,
                last_failure: None,
            }),
            renewal: tokio::sync::Mutex::new(()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, TokenState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The token to send now.
    pub(crate) fn current(&self) -> TokenView {
        let s = self.lock();
        TokenView {
            access_token: s.tokens.access_token.clone(),
            generation: s.generation,
            failures: s.failures,
        }
    }

    /// Every secret of the session (access token, refresh token, client secret), to mask
    /// in texts.
    pub(crate) fn secrets(&self) -> [SecretString; 3] {
        let s = self.lock();
        [
            s.tokens.access_token.clone(),
            s.tokens.refresh_token.clone(),
            self.app.client_secret.clone(),
        ]
    }

    /// The current token pair.
    pub(crate) fn tokens(&self) -> Tokens {
        self.lock().tokens.clone()
    }

    /// The access token in `seen` was answered with `expired_token`: renew it, unless
    /// another caller already did (then reuse theirs) or a renewal failed since `seen` was
    /// read (the caller waited for it: fail with its error). One renewal at a time.
    pub(crate) async fn renew(
        &self,
        seen: &TokenView,
        transport: &dyn Transport,
        allow_loopback: bool,
        clock: &dyn Clock,
        policy: &crate::RetryPolicy,
    ) -> Result<(), Error> {
        let _renewing = self.renewal.lock().await;
        let refresh_token = {
            let s = self.lock();
            if s.generation != seen.generation {
                tracing::debug!("OAuth tokens already renewed by a concurrent call");
                return Ok(());
            }
            if s.failures != seen.failures
                && let Some(failure) = &s.last_failure
            {
                return Err(Error::OAuth(OAuthError::ConcurrentRenewal(Box::new(
                    failure.clone(),
                ))));
            }
            s.tokens.refresh_token.clone()
        };
        tracing::info!("access token expired: renewing the OAuth tokens");
        let transport: &dyn Transport = match &self.app.transport {
            Some(t) => &**t,
            None => transport,
        };
        // A transient failure (no answer, a 5xx page) is retried within the client's
        // retry policy: every caller waiting on this renewal would fail with it.
        let mut backoff = policy.backoff();
        let mut attempts = 0u32;
        let mut delayed = std::time::Duration::ZERO;
        let result = loop {
            attempts += 1;
            let result = self
                .app
                .token_request(
                    transport,
                    &[
                        ("grant_type", "refresh_token"),
                        ("refresh_token", refresh_token.expose_secret()),
                    ],
                    allow_loopback,
                    clock,
                )
                .await;
            let transient = match &result {
                Err(TokenRequestError::OAuth(OAuthError::Transport(e))) => !matches!(
                    e.kind(),
                    crate::TransportErrorKind::BodyTooLarge
                        | crate::TransportErrorKind::Certificate
                ),
                Err(TokenRequestError::OAuth(OAuthError::Decode { status, .. })) => *status >= 500,
                _ => false,
            };
            if !transient || attempts >= policy.max_attempts {
                break result;
            }
            let Some(wait) = backoff.next() else {
                break result;
            };
            if delayed + wait > policy.max_total_delay {
                break result;
            }
            if let Err(TokenRequestError::OAuth(e)) = &result {
                tracing::info!(attempt = attempts, error = %e, "renewing the OAuth tokens: retrying");
            }
            tokio::time::sleep(wait).await;
            delayed += wait;
        };
        let grant = match result {
            Ok(grant) => grant,
            Err(e) => {
                // The refusal is masked with what was sent; mask the access token too.
                let e = match Error::from(e) {
                    Error::OAuth(e) => {
                        let secrets = self.secrets();
                        Error::OAuth(e.masked(&|t| {
                            mask_secrets(t, secrets.iter().map(|s| s.expose_secret()))
                        }))
                    }
                    other => other,
                };
                if let Error::OAuth(failure) = &e {
                    let mut s = self.lock();
                    s.failures += 1;
                    s.last_failure = Some(failure.clone());
                }
                tracing::warn!(error = %e, "renewing the OAuth tokens failed");
                return Err(e);
            }
        };
        let portal = {
            let mut portal = self.portal.lock().unwrap_or_else(|p| p.into_inner());
            if portal.member_id.is_none() {
                portal.member_id = grant.member_id.clone();
            }
            portal.clone()
        };
        let saved = self.store.save(&portal, &grant.tokens);
        {
            let mut s = self.lock();
            s.tokens = grant.tokens;
            s.generation += 1;
            s.last_failure = None;
        }
        match saved {
            Ok(()) => {
                tracing::info!("OAuth tokens renewed and saved");
                Ok(())
            }
            Err(e) => {
                let e = OAuthError::Store(Arc::from(e));
                tracing::warn!(error = %e, "renewed OAuth tokens could not be saved");
                Err(Error::OAuth(e))
            }
        }
    }
}

impl fmt::Debug for OAuthSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthSession")
            .field("app", &self.app)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authorization_urls() {
        assert_eq!(
            authorization_url(
                "portal.bitrix24.com",
                "app.573ad8a0346747.09223434",
                "JJH g&s"
            )
            .unwrap(),
            "https://portal.bitrix24.com/oauth/authorize/?client_id=app.573ad8a0346747.09223434&state=JJH%20g%26s"
        );
        assert_eq!(
            authorization_url("https://p.example.org:8443/", "local.1", "").unwrap(),
            "https://p.example.org:8443/oauth/authorize/?client_id=local.1"
        );
        for bad in [
            "",
            "http://p.bitrix24.com",
            "https://p.bitrix24.com/x",
            "a b",
        ] {
            assert!(authorization_url(bad, "c", "s").is_err(), "{bad:?}");
        }
        assert!(authorization_url("p.bitrix24.com", "", "s").is_err());
    }

    #[test]
    fn grants() {
        let clock = crate::limits::TokioClock::starting_at(1000.0);
        let body = br#"{"access_token":"a1","refresh_token":"r1","expires_in":3600,
            "client_endpoint":"https://p.bitrix24.com/rest/","member_id":"m","scope":"crm",
            "status":"L","user_id":"67"}"#;
        let g = parse_grant(200, body, &clock).unwrap();
        assert_eq!(g.tokens.access_token.expose_secret(), "a1");
        assert_eq!(g.tokens.expires_at, Some(4600));
        assert_eq!(g.user_id, Some(67));
        assert_eq!(
            g.client_endpoint.as_deref(),
            Some("https://p.bitrix24.com/rest/")
        );
        let g = parse_grant(
            200,
            br#"{"access_token":"a","refresh_token":"r","expires":77}"#,
            &clock,
        )
        .unwrap();
        assert_eq!(g.tokens.expires_at, Some(77));
        // A server-sent lifetime that overflows saturates (no panic, no wrap-around).
        let g = parse_grant(
            200,
            format!(
                r#"{{"access_token":"a","refresh_token":"r","expires_in":{}}}"#,
                i64::MAX
            )
            .as_bytes(),
            &clock,
        )
        .unwrap();
        assert_eq!(g.tokens.expires_at, Some(i64::MAX));
        let e = parse_grant(
            400,
            br#"{"error":"invalid_grant","error_description":"x"}"#,
            &clock,
        )
        .unwrap_err();
        assert!(matches!(&e, OAuthError::Refused(a) if a.is("INVALID_GRANT") && a.status == 400));
        let e = parse_grant(200, br#"{"access_token":"secretvalue"}"#, &clock).unwrap_err();
        assert!(!e.to_string().contains("secretvalue"), "{e}");
        assert!(parse_grant(502, b"<html>", &clock).is_err());
    }
}
