//! The HTTP seam: [`Transport`] sends one request and returns the status and body.
//!
//! [`Client`](crate::Client) does everything else (URLs, authentication, limits, retries,
//! the overall request timeout) and talks to the network only through this trait, so tests
//! and applications can substitute their own ([`ClientBuilder::transport`](crate::ClientBuilder::transport)).
//! The default is [`ReqwestTransport`] (rustls, HTTP/1.1 and HTTP/2).

use std::fmt;
use std::time::Duration;

pub use futures_util::future::BoxFuture;
use reqwest::header::{ACCEPT, CONTENT_TYPE};

use crate::BoxError;

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

/// Sends HTTP requests for a [`Client`](crate::Client).
///
/// Implementations must not follow redirects (they would carry a webhook code or token to
/// another address) and must not put the URL into their errors or logs: the URL of a
/// webhook call contains the webhook code, the URL of a token request the application
/// secret. The client applies its own overall timeout around each call, so an
/// implementation needs none (a connect timeout is still useful).
pub trait Transport: Send + Sync + 'static {
    /// Sends a `POST` of `body` (with `Content-Type: content_type` and
    /// `Accept: application/json`) to `url` and returns the status and the whole body,
    /// whatever the status (4xx and 5xx are answers, not errors).
    ///
    /// # Errors
    /// A [`TransportError`] when no complete answer arrived. Use
    /// [`TransportErrorKind::Connect`] only when the request certainly did not reach the
    /// server (the client then retries even writing methods).
    fn post(
        &self,
        url: &str,
        content_type: &'static str,
        body: Vec<u8>,
    ) -> BoxFuture<'_, Result<HttpReply, TransportError>>;

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

    fn from_reqwest(e: reqwest::Error) -> Self {
        let kind = if e.is_connect() {
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
        };
        write!(f, "{what}: {}", self.source)
    }
}

impl std::error::Error for TransportError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&*self.source)
    }
}

/// The default [`Transport`]: `reqwest` with rustls, no redirects, `User-Agent`
/// [`USER_AGENT`]. Cheap to clone (clones share the connection pool).
#[derive(Clone)]
pub struct ReqwestTransport {
    http: reqwest::Client,
}

impl ReqwestTransport {
    /// A transport that gives up connecting after `connect_timeout` (the client's builder
    /// uses 10 s). It sets no overall timeout: the client applies its own.
    ///
    /// # Errors
    /// When the TLS backend cannot be initialised.
    pub fn new(connect_timeout: Duration) -> Result<Self, TransportError> {
        let http = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .connect_timeout(connect_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(TransportError::from_reqwest)?;
        Ok(ReqwestTransport { http })
    }

    async fn send(request: reqwest::RequestBuilder) -> Result<HttpReply, TransportError> {
        let response = request
            .header(ACCEPT, "application/json")
            .send()
            .await
            .map_err(TransportError::from_reqwest)?;
        let status = response.status().as_u16();
        let body = response
            .bytes()
            .await
            .map_err(TransportError::from_reqwest)?;
        Ok(HttpReply::new(status, body))
    }
}

impl Transport for ReqwestTransport {
    fn post(
        &self,
        url: &str,
        content_type: &'static str,
        body: Vec<u8>,
    ) -> BoxFuture<'_, Result<HttpReply, TransportError>> {
        let request = self
            .http
            .post(url)
            .header(CONTENT_TYPE, content_type)
            .body(body);
        Box::pin(Self::send(request))
    }

    fn get(&self, url: &str) -> BoxFuture<'_, Result<HttpReply, TransportError>> {
        Box::pin(Self::send(self.http.get(url)))
    }
}

impl fmt::Debug for ReqwestTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReqwestTransport").finish_non_exhaustive()
    }
}
