//! The HTTP seam: [`Transport`] sends one request and returns the status and body.
//!
//! [`Client`](crate::Client) does everything else (URLs, authentication, limits, retries,
//! the overall request timeout) and talks to the network only through this trait, so tests
//! and applications can substitute their own ([`ClientBuilder::transport`](crate::ClientBuilder::transport)).
//! The default is [`ReqwestTransport`] (HTTP/1.1 and HTTP/2 over the TLS backend the
//! Cargo features choose: `rustls-ring` by default, `rustls-aws-lc-rs` or `native-tls`;
//! without any, it cannot reach `https` URLs and needs a [`Transport`] of your own).

use std::fmt;
use std::time::Duration;

pub use futures_util::future::BoxFuture;
use reqwest::header::{ACCEPT, CONTENT_TYPE};

use crate::BoxError;

/// The largest response body [`ReqwestTransport`] reads by default, in bytes: 64 MiB, far
/// above the largest real answer (a `batch` of 50 full list pages is a few MiB).
pub const DEFAULT_MAX_BODY: usize = 64 * 1024 * 1024;

/// `User-Agent` sent by [`ReqwestTransport`]: `bitrix24-rust/<crate version>`.
pub const USER_AGENT: &str = concat!("bitrix24-rust/", env!("CARGO_PKG_VERSION"));

/// A complete HTTP answer: the status code and the whole body.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct HttpReply {
    /// HTTP status code, e.g. `200` or `503`.
    pub status: u16,
    /// The response body, as received.
    pub body: Vec<u8>,
}

impl HttpReply {
    /// A reply with `status` and `body`.
    pub fn new(status: u16, body: impl Into<Vec<u8>>) -> Self {
        HttpReply {
            status,
            body: body.into(),
        }
    }
}

impl fmt::Debug for HttpReply {
    /// Shows the status and the body length only (a body may hold tokens).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpReply")
            .field("status", &self.status)
            .field("body_len", &self.body.len())
            .finish()
    }
}

/// One `POST` a [`Client`](crate::Client) asks its [`Transport`] to send.
///
/// `Debug` shows the header names and the body length only: the URL of a webhook call
/// holds the webhook code, the body of an OAuth call the access token.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct HttpRequest {
    /// The full URL, e.g. `https://example.bitrix24.com/rest/1/<code>/crm.deal.add`.
    pub url: String,
    /// The `Content-Type` of `body` (`application/json` for every REST call).
    pub content_type: &'static str,
    /// The body, as it is to be sent.
    pub body: Vec<u8>,
    /// Further headers to send as given, e.g. `Idempotency-Key` on a REST 3.0 call (the
    /// same value on every attempt of one call, so the portal runs a write once).
    pub headers: Vec<(&'static str, String)>,
}

impl HttpRequest {
    /// A `POST` of `body` with `Content-Type: content_type` to `url`, with no further
    /// headers.
    pub fn new(url: impl Into<String>, content_type: &'static str, body: Vec<u8>) -> Self {
        HttpRequest {
            url: url.into(),
            content_type,
            body,
            headers: Vec::new(),
        }
    }

    /// The same request with the header `name: value` added.
    #[must_use]
    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }
}

impl fmt::Debug for HttpRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.headers.iter().map(|(name, _)| *name).collect();
        f.debug_struct("HttpRequest")
            .field("content_type", &self.content_type)
            .field("body_len", &self.body.len())
            .field("headers", &names)
            .finish_non_exhaustive()
    }
}

/// Sends HTTP requests for a [`Client`](crate::Client).
///
/// Implementations must not follow redirects (they would carry a webhook code or token to
/// another address) and must not put the URL into their errors or logs: the URL of a
/// webhook call contains the webhook code, the URL of a token request the application
/// secret. The client applies its own overall timeout around each call, so an
/// implementation needs none (a connect timeout is still useful).
pub trait Transport: Send + Sync + 'static {
    /// Sends `request` as a `POST` (its body with its `Content-Type`, every one of its
    /// `headers`, and `Accept: application/json`) and returns the status and the whole
    /// body, whatever the status (4xx and 5xx are answers, not errors).
    ///
    /// An implementation must send every header of `request.headers`: the client retries
    /// a REST 3.0 write after an ambiguous failure only because its `Idempotency-Key`
    /// makes the portal run it once.
    ///
    /// # Errors
    /// A [`TransportError`] when no complete answer arrived. Use
    /// [`TransportErrorKind::Connect`] only when the request certainly did not reach the
    /// server (the client then retries even writing methods).
    fn post(&self, request: HttpRequest) -> BoxFuture<'_, Result<HttpReply, TransportError>>;

    /// Sends a `GET` to `url` (with `Accept: application/json`); used only for the OAuth
    /// token endpoint (`https://oauth.bitrix.info/oauth/token/?grant_type=...`), which the
    /// docs call with `GET` and the parameters in the query string.
    ///
    /// The default implementation fails with [`TransportErrorKind::Other`] without sending
    /// anything: a transport used only with webhooks need not implement it.
    ///
    /// # Errors
    /// As [`Transport::post`].
    fn get(&self, url: &str) -> BoxFuture<'_, Result<HttpReply, TransportError>> {
        let _ = url;
        Box::pin(std::future::ready(Err(TransportError::new(
            TransportErrorKind::Other,
            "this transport does not support GET requests",
        ))))
    }
}

/// What kind of failure a [`TransportError`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransportErrorKind {
    /// The connection could not be established (DNS, refused, TLS handshake, connect
    /// timeout): the request was not sent, so retrying it is safe for any method.
    Connect,
    /// The request was sent but no complete answer arrived in time: the method may have
    /// run.
    Timeout,
    /// Any other failure (connection reset, body read error, ...): the method may have run.
    Other,
    /// The answer's body was larger than the transport's limit
    /// ([`ClientBuilder::max_body_size`](crate::ClientBuilder::max_body_size)); reading
    /// stopped there. The method may have run; it is not retried (the next answer would
    /// be as large).
    BodyTooLarge,
    /// The server's TLS certificate was refused (expired, wrong name, unknown issuer): the
    /// request was not sent, and it is not retried (the next attempt would meet the same
    /// certificate).
    Certificate,
}

/// A request that got no complete answer. Never contains the URL.
#[derive(Debug)]
pub struct TransportError {
    kind: TransportErrorKind,
    source: BoxError,
}

impl TransportError {
    /// An error of `kind` caused by `source` (which must not contain the URL).
    pub fn new(kind: TransportErrorKind, source: impl Into<BoxError>) -> Self {
        TransportError {
            kind,
            source: source.into(),
        }
    }

    /// The request timed out after `after` (the client's overall request timeout).
    pub fn timeout(after: Duration) -> Self {
        TransportError::new(
            TransportErrorKind::Timeout,
            format!("no complete answer within {} s", after.as_secs_f64()),
        )
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> TransportErrorKind {
        self.kind
    }

    /// True for [`TransportErrorKind::Timeout`].
    pub fn is_timeout(&self) -> bool {
        self.kind == TransportErrorKind::Timeout
    }

    /// True for [`TransportErrorKind::Connect`]: the request was not sent.
    pub fn is_connect(&self) -> bool {
        self.kind == TransportErrorKind::Connect
    }

    /// The answer's body is over `limit` bytes.
    pub fn body_too_large(limit: usize) -> Self {
        TransportError::new(
            TransportErrorKind::BodyTooLarge,
            format!(
                "the answer's body is larger than the limit of {limit} bytes (see ClientBuilder::max_body_size)"
            ),
        )
    }

    fn from_reqwest(e: reqwest::Error) -> Self {
        let kind = if is_certificate_failure(&e) {
            TransportErrorKind::Certificate
        } else if e.is_connect() {
            TransportErrorKind::Connect
        } else if e.is_timeout() {
            TransportErrorKind::Timeout
        } else {
            TransportErrorKind::Other
        };
        TransportError::new(kind, e.without_url())
    }
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            TransportErrorKind::Connect => "could not connect",
            TransportErrorKind::Timeout => "timed out",
            TransportErrorKind::Other => "request failed",
            TransportErrorKind::BodyTooLarge => "answer too large",
            TransportErrorKind::Certificate => "TLS certificate refused",
        };
        write!(f, "{what}: {}", self.source)?;
        // The causes (reqwest's own text is only "error sending request").
        let mut cause = self.source.source();
        while let Some(e) = cause {
            write!(f, ": {e}")?;
            cause = e.source();
        }
        Ok(())
    }
}

/// Whether a failure is the server's certificate being refused (rustls' `InvalidCertificate`
/// reads "invalid peer certificate: ..."), found in the error's causes.
fn is_certificate_failure(e: &reqwest::Error) -> bool {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
    while let Some(c) = cause {
        if c.to_string().to_ascii_lowercase().contains("certificate") {
            return true;
        }
        cause = c.source();
    }
    false
}

impl std::error::Error for TransportError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&*self.source)
    }
}

/// The default [`Transport`]: `reqwest` with the feature-selected TLS backend (certificates
/// checked against the operating system's roots), no redirects, `User-Agent`
/// [`USER_AGENT`]. Cheap to clone (clones share the connection pool).
#[derive(Clone)]
pub struct ReqwestTransport {
    http: reqwest::Client,
    max_body: usize,
}

/// `native-tls`: the platform's TLS library.
#[cfg(feature = "native-tls")]
fn tls_backend(builder: reqwest::ClientBuilder) -> Result<reqwest::ClientBuilder, TransportError> {
    Ok(builder.tls_backend_native())
}

/// `rustls-aws-lc-rs`: reqwest's own rustls setup (aws-lc-rs, platform verifier).
#[cfg(all(feature = "rustls-aws-lc-rs", not(feature = "native-tls")))]
fn tls_backend(builder: reqwest::ClientBuilder) -> Result<reqwest::ClientBuilder, TransportError> {
    Ok(builder.tls_backend_rustls())
}

/// `rustls-ring`: rustls with the `ring` provider and the platform verifier, passed to
/// reqwest ready-made. The feature builds reqwest's rustls without a provider, which makes
/// any other reqwest client in the process panic unless rustls has a process-wide default
/// provider: so `ring` is also installed as that default when none is set yet.
#[cfg(all(
    feature = "rustls-ring",
    not(any(feature = "native-tls", feature = "rustls-aws-lc-rs"))
))]
fn tls_backend(builder: reqwest::ClientBuilder) -> Result<reqwest::ClientBuilder, TransportError> {
    use rustls_platform_verifier::BuilderVerifierExt as _;
    install_default_provider();
    let provider = std::sync::Arc::new(ring_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .and_then(|b| b.with_platform_verifier())
        .map_err(|e| TransportError::new(TransportErrorKind::Other, e))?
        .with_no_client_auth();
    // HTTP/1.1 only: reqwest is built without HTTP/2 (see the workspace manifest).
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(builder.tls_backend_preconfigured(config))
}

/// Under `rustls-ring` (and no other TLS feature), installs `ring` as rustls' process-wide
/// default provider when none is set: reqwest's rustls is then built without a provider,
/// and any reqwest client in the process (the runtime's, a test's, the application's own)
/// panics without a default. Called before the runtime builds a client and by the fake
/// portal.
#[cfg_attr(
    not(any(feature = "rustls-ring", feature = "testing")),
    allow(dead_code)
)]
pub(crate) fn install_default_provider() {
    #[cfg(all(
        feature = "rustls-ring",
        not(any(feature = "native-tls", feature = "rustls-aws-lc-rs"))
    ))]
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // Err only when another thread installed one first: either default serves.
        let _ = ring_provider().install_default();
    }
}

/// rustls' `ring` provider. rustls 0.23.48 deprecates it for lacking post-quantum key
/// exchange, which only `aws-lc-rs` offers: `ring` stays the cheap default (see
/// ARCHITECTURE.md, build cost), and the `rustls-aws-lc-rs` feature is the choice for
/// post-quantum TLS.
#[cfg(all(
    feature = "rustls-ring",
    not(any(feature = "native-tls", feature = "rustls-aws-lc-rs"))
))]
#[allow(deprecated)]
fn ring_provider() -> rustls::crypto::CryptoProvider {
    rustls::crypto::ring::default_provider()
}

/// No TLS feature: plain `http` only (bring a [`Transport`] for `https`).
#[cfg(not(any(
    feature = "native-tls",
    feature = "rustls-aws-lc-rs",
    feature = "rustls-ring"
)))]
fn tls_backend(builder: reqwest::ClientBuilder) -> Result<reqwest::ClientBuilder, TransportError> {
    Ok(builder)
}

impl ReqwestTransport {
    /// A transport that gives up connecting after `connect_timeout` (the client's builder
    /// uses 10 s). It sets no overall timeout: the client applies its own.
    ///
    /// # Errors
    /// When the TLS backend cannot be initialised.
    pub fn new(connect_timeout: Duration) -> Result<Self, TransportError> {
        let builder = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .connect_timeout(connect_timeout)
            .redirect(reqwest::redirect::Policy::none());
        let http = tls_backend(builder)?
            .build()
            .map_err(TransportError::from_reqwest)?;
        Ok(ReqwestTransport {
            http,
            max_body: DEFAULT_MAX_BODY,
        })
    }

    /// The same transport reading at most `bytes` of a response body (default
    /// [`DEFAULT_MAX_BODY`]); a larger body (by its `Content-Length`, or as it streams in)
    /// fails with [`TransportErrorKind::BodyTooLarge`] without being read further.
    pub fn with_max_body(mut self, bytes: usize) -> Self {
        self.max_body = bytes;
        self
    }

    async fn send(
        request: reqwest::RequestBuilder,
        max_body: usize,
    ) -> Result<HttpReply, TransportError> {
        let mut response = request
            .header(ACCEPT, "application/json")
            .send()
            .await
            .map_err(TransportError::from_reqwest)?;
        let status = response.status().as_u16();
        let limit = u64::try_from(max_body).unwrap_or(u64::MAX);
        if response.content_length().is_some_and(|len| len > limit) {
            return Err(TransportError::body_too_large(max_body));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(TransportError::from_reqwest)?
        {
            if body.len().saturating_add(chunk.len()) > max_body {
                return Err(TransportError::body_too_large(max_body));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(HttpReply::new(status, body))
    }
}

impl Transport for ReqwestTransport {
    fn post(&self, request: HttpRequest) -> BoxFuture<'_, Result<HttpReply, TransportError>> {
        let mut builder = self
            .http
            .post(request.url)
            .header(CONTENT_TYPE, request.content_type);
        for (name, value) in request.headers {
            builder = builder.header(name, value);
        }
        Box::pin(Self::send(builder.body(request.body), self.max_body))
    }

    fn get(&self, url: &str) -> BoxFuture<'_, Result<HttpReply, TransportError>> {
        Box::pin(Self::send(self.http.get(url), self.max_body))
    }
}

impl fmt::Debug for ReqwestTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReqwestTransport").finish_non_exhaustive()
    }
}
