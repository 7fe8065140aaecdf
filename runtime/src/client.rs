//! The client: one portal, webhook or OAuth authentication, limits and retries.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::de::Error as _;
use serde_json::{Map, Value};
use tokio::time::Instant;
use tracing::Instrument;
use tracing::field::Empty;

use crate::auth::{OAuthSession, TokenView, parse_client_endpoint, parse_webhook};
use crate::limits::{Bucket, Clock, OperatingLimit, OperatingTracker, RateLimit, SystemClock};
use crate::retry::{Failure, RetryPolicy};
use crate::transport::{
    DEFAULT_MAX_BODY, HttpRequest, ReqwestTransport, Transport, TransportError,
};
use crate::wire::Decode;
use crate::{ApiError, Error, Method, OAuthConfig, Response, Tokens};

/// Default limit for one request, from sending to the end of the body: the portal stops a
/// method after 60 s, plus a margin for the network.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(70);
/// Default limit for establishing the connection.
const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How much of an undecodable body [`Error::Decode`] keeps.
const BODY_KEPT: usize = 2048;

/// A client for one portal, authenticated by an inbound webhook ([`Client::webhook`]) or
/// an OAuth 2.0 application ([`Client::oauth`]).
///
/// Cheap to clone: clones share the connection pool, the rate-limit bucket, the
/// operating-time tracker and the OAuth tokens. `Debug` shows the portal and the user ID
/// or application ID, never the webhook code or a token.
///
/// Each call is a `POST` of the parameters as JSON to `<portal>/rest/<user_id>/<code>/<method>`
/// (webhook) or `<portal>/rest/<method>` with the access token as `auth` in the body
/// (OAuth). Every call goes through the same path ([`Client::call_value`]):
///
/// 1. wait while the method is paused for its operating-time budget ([`OperatingLimit`]);
/// 2. wait for room in the request-rate bucket ([`RateLimit`], on by default with
///    [`RateLimit::STANDARD`]);
/// 3. send, with an overall timeout (70 s by default; connecting 10 s);
/// 4. on OAuth `expired_token`, renew the tokens once (one renewal shared by all
///    concurrent calls) and send again;
/// 5. on a failure the [`RetryPolicy`] allows, wait and go back to 1.
///
/// Redirects are not followed (they would move the webhook code to another address): a
/// 3xx answer is an [`Error::Decode`].
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    auth: Auth,
    /// `scheme://host[:port]`, no trailing slash.
    portal: String,
    transport: Arc<dyn Transport>,
    timeout: Duration,
    bucket: Option<Bucket>,
    operating: Option<OperatingTracker>,
    retry: RetryPolicy,
    clock: Arc<dyn Clock>,
    allow_insecure_loopback: bool,
    max_body: usize,
}

enum Auth {
    Webhook { user_id: u64, code: SecretString },
    OAuth(Box<OAuthSession>),
}

/// A successful answer with what [`Client::call`] needs to report a decoding failure.
struct Exchange {
    response: Response<Value>,
    status: u16,
    body: Vec<u8>,
    /// The webhook code or access token the request carried (masked in kept bodies).
    secret: SecretString,
}

impl Client {
    /// A client for the inbound webhook `url`, e.g.
    /// `https://example.bitrix24.com/rest/1/abc123def456/` (the trailing slash is
    /// optional), with default settings (see [`ClientBuilder`]).
    ///
    /// # Errors
    /// [`Error::Config`] when `url` is not of that form (a scheme other than `https`, no
    /// host, user credentials, query or fragment, a path other than
    /// `/rest/<user_id>/<code>/` where `user_id` is a positive integer and `code` is
    /// letters, digits, `_` or `-`), or when the HTTP client cannot be initialised. The
    /// message never contains the code. `http://` to a loopback host needs
    /// [`ClientBuilder::allow_insecure_loopback`].
    pub fn webhook(url: &str) -> Result<Client, Error> {
        Client::builder(url).build()
    }

    /// A [`ClientBuilder`] for the inbound webhook `url`, to change the defaults; the URL
    /// is checked by [`ClientBuilder::build`].
    pub fn builder(url: &str) -> ClientBuilder {
        ClientBuilder::new(AuthSpec::Webhook(SecretString::from(url)))
    }

    /// A client for an OAuth 2.0 application, with default settings.
    ///
    /// Calls carry the access token as `auth` in the JSON body. When the portal answers
    /// `expired_token`, the client renews the tokens at the authorization server once
    /// (concurrent calls wait for that one renewal and reuse its result), saves them with
    /// the config's [`TokenStore`](crate::TokenStore), and sends the call again. Tokens are
    /// never renewed ahead of time or on a timer.
    ///
    /// # Errors
    /// [`Error::Config`] when the client endpoint is not `https://<portal>/rest/` (or the
    /// portal's address alone), or the HTTP client cannot be initialised.
    pub fn oauth(config: OAuthConfig) -> Result<Client, Error> {
        Client::oauth_builder(config).build()
    }

    /// A [`ClientBuilder`] for an OAuth 2.0 application (see [`Client::oauth`]).
    pub fn oauth_builder(config: OAuthConfig) -> ClientBuilder {
        ClientBuilder::new(AuthSpec::OAuth(Box::new(config)))
    }

    /// The portal address, `scheme://host[:port]`, e.g. `https://example.bitrix24.com`.
    pub fn portal(&self) -> &str {
        &self.inner.portal
    }

    /// The ID of the user a webhook acts as; `None` for an OAuth client.
    pub fn user_id(&self) -> Option<u64> {
        match &self.inner.auth {
            Auth::Webhook { user_id, .. } => Some(*user_id),
            Auth::OAuth(_) => None,
        }
    }

    /// The OAuth tokens currently in use (after any renewal); `None` for a webhook client.
    pub fn tokens(&self) -> Option<Tokens> {
        match &self.inner.auth {
            Auth::Webhook { .. } => None,
            Auth::OAuth(session) => Some(session.tokens()),
        }
    }

    /// Calls the method `M` with the parameters in `request` and decodes its `result` as
    /// `M::Output` (the envelope's `total`, `next` and `time` are dropped; use
    /// [`Client::call_value`] to see them). Retries follow [`Method::READ_ONLY`].
    ///
    /// # Errors
    /// - [`Error::Config`]: `M::NAME` is not a valid method name; nothing was sent.
    /// - [`Error::Encode`]: `request` could not be serialised (or, for an OAuth client, is
    ///   not a JSON object); nothing was sent.
    /// - [`Error::Transport`]: no complete answer (connection, timeout, body read).
    /// - [`Error::Api`]: the body is a JSON object with a non-null `error`, whatever the
    ///   HTTP status.
    /// - [`Error::OAuth`]: renewing expired OAuth tokens failed.
    /// - [`Error::Decode`]: the body is not JSON, has neither `result` nor `error`, comes
    ///   with a non-2xx status and no `error`, or its `result` does not decode as
    ///   `M::Output`; keeps the status and the first 2 KiB of the body.
    ///
    /// Each is the last attempt's error, after the retries the [`RetryPolicy`] allows.
    pub async fn call<M: Method>(&self, request: M) -> Result<M::Output, Error> {
        check_method_name(M::NAME)?;
        let params = serde_json::to_value(&request).map_err(|source| Error::Encode {
            method: M::NAME.to_owned(),
            source,
        })?;
        drop(request);
        let call = Call {
            method: M::NAME,
            read_only: M::READ_ONLY,
            rest_v3: M::REST_V3,
        };
        let exchange = self.execute(call, params).await?;
        M::Output::decode(exchange.response.result).map_err(|source| {
            self.masked(decode_error(
                M::NAME,
                exchange.status,
                source,
                &exchange.body,
                exchange.secret.expose_secret(),
            ))
        })
    }

    /// Calls any method by name and decodes its `result` into your own type `T` with the
    /// portal's leniency ([`wire::from_value`](crate::wire::from_value): numbers and IDs
    /// as strings, `"Y"`/`"N"` booleans, `[]` as an empty map, `""` as `None`), so a plain
    /// `#[derive(Deserialize)]` struct works. `params` is any `Serialize` value that
    /// serialises to a JSON object (a `serde_json::json!({...})`, a `HashMap`, your own
    /// struct); `()` sends no parameters.
    ///
    /// Like [`Client::call_raw`], the method is treated as writing: not retried after an
    /// ambiguous failure. For a read-only method, or to use the type with
    /// [`Client::batch`], declare it as a [`Method`] with `type Output =
    /// wire::Lenient<T>` instead.
    ///
    /// ```no_run
    /// # async fn demo(client: bitrix24_runtime::Client) -> Result<(), bitrix24_runtime::Error> {
    /// #[derive(serde::Deserialize)]
    /// struct Deal {
    ///     #[serde(rename = "ID")]
    ///     id: i64,
    ///     #[serde(rename = "OPPORTUNITY")]
    ///     amount: f64,
    /// }
    /// let deal: Deal = client.call_as("crm.deal.get", serde_json::json!({"id": 7})).await?;
    /// println!("{} {}", deal.id, deal.amount);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// As [`Client::call`]: [`Error::Encode`] when `params` cannot be serialised,
    /// [`Error::Decode`] when `result` does not decode as `T` (with the status and the
    /// start of the body), and the transport, API and OAuth errors of any call.
    pub async fn call_as<T: serde::de::DeserializeOwned>(
        &self,
        method: &str,
        params: impl serde::Serialize,
    ) -> Result<T, Error> {
        check_method_name(method)?;
        let params = serde_json::to_value(&params).map_err(|source| Error::Encode {
            method: method.to_owned(),
            source,
        })?;
        let exchange = self.execute(Call::classic(method, false), params).await?;
        crate::wire::from_value(exchange.response.result).map_err(|source| {
            self.masked(decode_error(
                method,
                exchange.status,
                source,
                &exchange.body,
                exchange.secret.expose_secret(),
            ))
        })
    }

    /// Calls `method` with `params` as given (the escape hatch for what the generated
    /// types lack) and returns the whole envelope with `result` as raw JSON. The method is
    /// treated as writing: it is not retried after an ambiguous failure (timeout, 5xx
    /// without a code), since it may have run; use [`Client::call_raw_read_only`] for a
    /// method that only reads.
    ///
    /// `params` should be a JSON object; `null` is sent as `{}`.
    ///
    /// # Errors
    /// As [`Client::call_value`].
    pub async fn call_raw(&self, method: &str, params: Value) -> Result<Response<Value>, Error> {
        self.call_value(method, params, false).await
    }

    /// [`Client::call_raw`] for a method that only reads: also retried after a timeout,
    /// a transport failure or a 5xx answer without an error code.
    ///
    /// # Errors
    /// As [`Client::call_value`].
    pub async fn call_raw_read_only(
        &self,
        method: &str,
        params: Value,
    ) -> Result<Response<Value>, Error> {
        self.call_value(method, params, true).await
    }

    /// Calls `method` with `params` through the full request path (operating-time pause,
    /// rate limit, OAuth renewal, retries; see [`Client`]) and returns the envelope with
    /// `result` as raw JSON. [`Client::call`] and [`Client::call_raw`] are built on it;
    /// it is public for code that builds requests itself, such as `batch` helpers.
    ///
    /// `read_only` says whether the method only reads: only then is it retried after an
    /// ambiguous failure (see [`RetryPolicy`]). Pass `false` for anything that writes and
    /// for `batch` (a batch is never retried as a whole after an ambiguous failure; after
    /// `QUERY_LIMIT_EXCEEDED` it is, as none of its commands ran).
    ///
    /// `params` should be a JSON object (`null` is sent as `{}`); an OAuth client adds
    /// `auth` to it, replacing any `auth` key.
    ///
    /// # Errors
    /// - [`Error::Config`]: `method` is empty, does not start with a letter or digit, or
    ///   holds characters other than letters, digits, `.`, `_` and `-`; nothing was sent.
    /// - [`Error::Encode`]: an OAuth client got `params` that are not a JSON object.
    /// - [`Error::Transport`], [`Error::Api`], [`Error::OAuth`], [`Error::Decode`]: as on
    ///   [`Client::call`] (there is no output type, so a decodable envelope with `result`
    ///   never fails).
    pub async fn call_value(
        &self,
        method: &str,
        params: Value,
        read_only: bool,
    ) -> Result<Response<Value>, Error> {
        self.execute(Call::classic(method, read_only), params)
            .await
            .map(|exchange| exchange.response)
    }

    /// Calls the REST 3.0 method `method` (at `<portal>/rest/api/...`) with `params` as
    /// given and returns the whole envelope with `result` as raw JSON: the escape hatch for
    /// REST 3.0 methods the generated types lack (a generated REST 3.0 request, under
    /// `bitrix24::v3`, goes through [`Client::call`]).
    ///
    /// The call carries an `Idempotency-Key` header, the same on every attempt, so the
    /// portal runs it once: after an ambiguous failure it is retried like a read-only
    /// method, but no sooner than [`RetryPolicy::IDEMPOTENT_RESEND_AFTER`] after the
    /// attempt was sent (the portal may run two requests with one key that overlap).
    ///
    /// # Errors
    /// As [`Client::call_value`]; a REST 3.0 error object (`{"error": {"code",
    /// "message", "validation"}}`) is an [`Error::Api`] with its
    /// [`validation`](ApiError::validation) entries.
    pub async fn call_raw_v3(&self, method: &str, params: Value) -> Result<Response<Value>, Error> {
        let call = Call {
            method,
            read_only: false,
            rest_v3: true,
        };
        self.execute(call, params)
            .await
            .map(|exchange| exchange.response)
    }

    /// Every secret the client knows: the webhook code, or the OAuth access token,
    /// refresh token and client secret.
    fn secrets(&self) -> Vec<SecretString> {
        match &self.inner.auth {
            Auth::Webhook { code, .. } => vec![code.clone()],
            Auth::OAuth(session) => session.secrets().into(),
        }
    }

    /// `text` with every secret the client knows replaced by `***`.
    pub(crate) fn mask(&self, text: &str) -> String {
        let secrets = self.secrets();
        mask_secrets(text, secrets.iter().map(|s| s.expose_secret()))
    }

    /// A decoding error's message with every secret the client knows masked (the error
    /// itself when there is none in it): serde quotes the value that did not decode.
    pub(crate) fn masked_json(&self, source: serde_json::Error) -> serde_json::Error {
        let message = source.to_string();
        let masked = self.mask(&message);
        if masked == message {
            source
        } else {
            serde_json::Error::custom(masked)
        }
    }

    /// `error` with every secret the client knows masked in its texts (an API error's
    /// code and description, a decoding error's message and body): a server may echo the
    /// webhook code or a token.
    pub(crate) fn masked(&self, error: Error) -> Error {
        match error {
            Error::Api(e) => Error::Api(e.masked(|t| self.mask(t))),
            Error::Decode {
                method,
                status,
                source,
                body,
            } => Error::Decode {
                method,
                status,
                source: self.masked_json(source),
                body: self.mask(&body),
            },
            other => other,
        }
    }

    /// The operating-time tracker, when the client tracks operating time.
    pub(crate) fn operating(&self) -> Option<&OperatingTracker> {
        self.inner.operating.as_ref()
    }

    /// Waits while a request making `calls` calls of `method` would be held back for the
    /// method's operating-time budget (see [`OperatingLimit`]); at most one window.
    pub(crate) async fn wait_for_operating(&self, method: &str, calls: u32) {
        if let Some(until) = self.operating().and_then(|t| t.paused_until(method, calls)) {
            tracing::info!(
                method,
                calls,
                wait_ms = millis(until.saturating_duration_since(Instant::now())),
                "method paused for its operating-time budget: waiting"
            );
            tokio::time::sleep_until(until).await;
        }
    }

    /// [`Client::call_value`], keeping the raw answer; one tracing span per call.
    async fn execute(&self, call: Call<'_>, params: Value) -> Result<Exchange, Error> {
        let Call {
            method,
            read_only,
            rest_v3,
        } = call;
        check_method_name(method)?;
        let span = tracing::debug_span!(
            "bitrix24.call",
            method,
            read_only,
            rest_v3,
            attempt = Empty,
            status = Empty,
            operating = Empty,
            duration_ms = Empty,
        );
        let started = Instant::now();
        let result = self.run(call, params, &span).instrument(span.clone()).await;
        let elapsed = Instant::now().saturating_duration_since(started);
        span.record(
            "duration_ms",
            u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX),
        );
        result
    }

    /// The retry loop.
    async fn run(
        &self,
        call: Call<'_>,
        params: Value,
        span: &tracing::Span,
    ) -> Result<Exchange, Error> {
        let Call {
            method, read_only, ..
        } = call;
        let inner = &*self.inner;
        // One key for every attempt of a REST 3.0 write: the portal runs it once. Without
        // randomness (never seen in practice) the write goes without a key and is not
        // retried after an ambiguous failure.
        let idempotency_key = if call.rest_v3 && !read_only {
            idempotency_key()
        } else {
            None
        };
        let params = if params.is_null() {
            Value::Object(Map::new())
        } else {
            params
        };
        let policy = &inner.retry;
        let mut backoff = policy.backoff();
        let mut sent = 0u32;
        let mut counted = 0u32;
        let mut delayed = Duration::ZERO;
        let mut renewed = false;
        loop {
            if let Some(until) = inner
                .operating
                .as_ref()
                .and_then(|t| t.paused_until(method, 1))
            {
                let wait = until.saturating_duration_since(Instant::now());
                if delayed + wait <= policy.max_total_delay {
                    tracing::info!(
                        wait_ms = millis(wait),
                        "method paused for its operating-time budget: waiting"
                    );
                    tokio::time::sleep_until(until).await;
                    delayed += wait;
                } else {
                    tracing::debug!(
                        wait_ms = millis(wait),
                        "operating-time pause longer than the retry budget: sending anyway"
                    );
                }
            }
            if let Some(bucket) = &inner.bucket {
                let waited = bucket.acquire().await;
                if !waited.is_zero() {
                    tracing::debug!(wait_ms = millis(waited), "waited for the rate limit");
                }
            }
            sent += 1;
            counted += 1;
            span.record("attempt", sent);
            let (request, view) = self.request(call, &params, idempotency_key.as_deref())?;
            let secret = match (&inner.auth, &view) {
                (_, Some(view)) => view.access_token.clone(),
                (Auth::Webhook { code, .. }, None) => code.clone(),
                (Auth::OAuth(_), None) => SecretString::from(""),
            };
            let attempt_sent = Instant::now();
            let outcome = self.send(method, request, secret).await;
            let error = match outcome {
                Ok(exchange) => {
                    span.record("status", exchange.status);
                    if let Some(time) = &exchange.response.time {
                        if let Some(operating) = time.operating {
                            span.record("operating", operating);
                        }
                        // A batch's own `time` sums up its commands, which
                        // `batch::send_request` reports per method.
                        if let Some(tracker) = &inner.operating
                            && !method.eq_ignore_ascii_case("batch")
                        {
                            tracker.observe(method, time);
                        }
                    }
                    return Ok(exchange);
                }
                Err(error) => error,
            };
            if let Some(status) = error.status() {
                span.record("status", status);
            }
            let wait = match Failure::of(&error) {
                Failure::ExpiredToken => match (&inner.auth, view) {
                    (Auth::OAuth(session), Some(view)) if !renewed => {
                        renewed = true;
                        session
                            .renew(
                                &view,
                                &*inner.transport,
                                inner.allow_insecure_loopback,
                                &*inner.clock,
                                &inner.retry,
                            )
                            .await?;
                        // The call did not run; the resend is not a retry.
                        counted -= 1;
                        continue;
                    }
                    _ => return Err(error),
                },
                Failure::RateLimited => {
                    if let Some(bucket) = &inner.bucket {
                        bucket.saturate().await;
                    }
                    backoff.next()
                }
                Failure::OperatingLimited => inner
                    .operating
                    .as_ref()
                    .map(|t| t.blocked(method).saturating_duration_since(Instant::now())),
                Failure::NotSent => backoff.next(),
                Failure::Ambiguous if read_only => backoff.next(),
                // The key makes the portal run the write once, but two requests with one
                // key that overlap may both run: resend only once the portal has
                // certainly finished the first (it cuts a call at 60 s).
                Failure::Ambiguous if idempotency_key.is_some() => backoff.next().map(|b| {
                    let until = attempt_sent + RetryPolicy::IDEMPOTENT_RESEND_AFTER;
                    b.max(until.saturating_duration_since(Instant::now()))
                }),
                Failure::Ambiguous | Failure::Fatal => return Err(error),
            };
            let Some(wait) = wait else {
                return Err(error);
            };
            if counted >= policy.max_attempts || delayed + wait > policy.max_total_delay {
                tracing::debug!(
                    attempt = sent,
                    error = %error,
                    "not retrying: attempts or delay budget used up"
                );
                return Err(error);
            }
            tracing::info!(
                attempt = sent,
                wait_ms = millis(wait),
                error = %error,
                "retrying"
            );
            tokio::time::sleep(wait).await;
            delayed += wait;
        }
    }

    /// The request of one attempt, and the OAuth token it carries.
    fn request(
        &self,
        call: Call<'_>,
        params: &Value,
        idempotency_key: Option<&str>,
    ) -> Result<(HttpRequest, Option<TokenView>), Error> {
        let inner = &*self.inner;
        let method = call.method;
        // REST 3.0 lives at `/rest/api/`, the rest of the address is the same.
        let rest = if call.rest_v3 { "rest/api" } else { "rest" };
        let http = |url: String, body: Vec<u8>| {
            let request = HttpRequest::new(url, "application/json", body);
            match idempotency_key {
                Some(key) => request.header("Idempotency-Key", key),
                None => request,
            }
        };
        let encode = |source| Error::Encode {
            method: method.to_owned(),
            source,
        };
        match &inner.auth {
            Auth::Webhook { user_id, code } => {
                let url = format!(
                    "{}/{rest}/{}/{}/{}",
                    inner.portal,
                    user_id,
                    code.expose_secret(),
                    method
                );
                let body = serde_json::to_vec(params).map_err(encode)?;
                Ok((http(url, body), None))
            }
            Auth::OAuth(session) => {
                let Value::Object(params) = params else {
                    return Err(encode(serde_json::Error::custom(
                        "an OAuth call needs its parameters as a JSON object (to add `auth`)",
                    )));
                };
                let view = session.current();
                let mut params = params.clone();
                params.insert(
                    "auth".to_owned(),
                    Value::String(view.access_token.expose_secret().to_owned()),
                );
                let body = serde_json::to_vec(&params).map_err(encode)?;
                let url = format!("{}/{rest}/{}", inner.portal, method);
                Ok((http(url, body), Some(view)))
            }
        }
    }

    /// Sends one request and reads the envelope.
    async fn send(
        &self,
        method: &str,
        request: HttpRequest,
        secret: SecretString,
    ) -> Result<Exchange, Error> {
        let inner = &*self.inner;
        let started = Instant::now();
        let post = inner.transport.post(request);
        let reply = match tokio::time::timeout(inner.timeout, post).await {
            Ok(Ok(reply)) => reply,
            Ok(Err(source)) => {
                tracing::debug!(error = %source, "no answer");
                return Err(Error::Transport {
                    method: method.to_owned(),
                    source,
                });
            }
            Err(_) => {
                tracing::debug!("timed out");
                return Err(Error::Transport {
                    method: method.to_owned(),
                    source: TransportError::timeout(inner.timeout),
                });
            }
        };
        if reply.body.len() > inner.max_body {
            return Err(Error::Transport {
                method: method.to_owned(),
                source: TransportError::body_too_large(inner.max_body),
            });
        }
        tracing::debug!(
            status = reply.status,
            bytes = reply.body.len(),
            elapsed_ms = millis(Instant::now().saturating_duration_since(started)),
            "response"
        );
        let response = envelope(method, reply.status, &reply.body, secret.expose_secret())
            .map_err(|e| self.masked(e))?;
        Ok(Exchange {
            response,
            status: reply.status,
            body: reply.body,
            secret,
        })
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Client");
        d.field("portal", &self.inner.portal);
        match &self.inner.auth {
            Auth::Webhook { user_id, .. } => d.field("user_id", user_id),
            Auth::OAuth(session) => d.field("oauth", session),
        };
        d.finish_non_exhaustive()
    }
}

enum AuthSpec {
    Webhook(SecretString),
    OAuth(Box<OAuthConfig>),
}

/// Options for a [`Client`]; start with [`Client::builder`] or [`Client::oauth_builder`].
pub struct ClientBuilder {
    auth: AuthSpec,
    timeout: Duration,
    connect_timeout: Duration,
    transport: Option<Arc<dyn Transport>>,
    rate_limit: Option<RateLimit>,
    operating: Option<OperatingLimit>,
    retry: RetryPolicy,
    clock: Arc<dyn Clock>,
    allow_insecure_loopback: bool,
    max_body: usize,
}

impl ClientBuilder {
    fn new(auth: AuthSpec) -> Self {
        ClientBuilder {
            auth,
            timeout: DEFAULT_TIMEOUT,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            transport: None,
            rate_limit: Some(RateLimit::STANDARD),
            operating: Some(OperatingLimit::DEFAULT),
            retry: RetryPolicy::default(),
            clock: Arc::new(SystemClock),
            allow_insecure_loopback: false,
            max_body: DEFAULT_MAX_BODY,
        }
    }

    /// The largest response body the client accepts, in bytes (default
    /// [`DEFAULT_MAX_BODY`], 64 MiB; at least 1 KiB). A larger answer is an
    /// [`Error::Transport`] of kind
    /// [`BodyTooLarge`](crate::transport::TransportErrorKind::BodyTooLarge), not retried;
    /// the default transport stops reading at the limit, and the client checks the body of
    /// any other [`Transport`] too.
    pub fn max_body_size(mut self, bytes: usize) -> Self {
        self.max_body = bytes;
        self
    }

    /// Limit for one request, from sending to the end of the body (default 70 s: the
    /// portal stops a method after 60 s). Must be above zero. A request over it is an
    /// [`Error::Transport`] that [`TransportError::is_timeout`].
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Limit for establishing the connection (default 10 s); used by the default
    /// transport only.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Sends requests through `transport` instead of the default [`ReqwestTransport`]
    /// (for tests, proxies, recording). OAuth renewals go through it too, unless the
    /// [`OAuthApp`](crate::OAuthApp) has its own.
    pub fn transport(mut self, transport: Arc<dyn Transport>) -> Self {
        self.transport = Some(transport);
        self
    }

    /// Keeps requests under `limit` (default [`RateLimit::STANDARD`]; use
    /// [`RateLimit::ENTERPRISE`] on Enterprise plans).
    pub fn rate_limit(mut self, limit: RateLimit) -> Self {
        self.rate_limit = Some(limit);
        self
    }

    /// Sends requests without client-side rate limiting (the portal's
    /// `QUERY_LIMIT_EXCEEDED` is still retried per the [`RetryPolicy`]).
    pub fn no_rate_limit(mut self) -> Self {
        self.rate_limit = None;
        self
    }

    /// Tracks each method's operating time with `limit` (default
    /// [`OperatingLimit::DEFAULT`]).
    pub fn operating_limit(mut self, limit: OperatingLimit) -> Self {
        self.operating = Some(limit);
        self
    }

    /// Does not track operating time: no method is paused ahead of the portal's limit,
    /// and `OPERATION_TIME_LIMIT` is returned at once instead of being waited out.
    pub fn no_operating_limit(mut self) -> Self {
        self.operating = None;
        self
    }

    /// Retries failed calls per `policy` (default [`RetryPolicy::default`]; no retries
    /// with [`RetryPolicy::never`]).
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Reads Unix time from `clock` (default [`SystemClock`]) to turn the portal's
    /// `operating_reset_at` into a wait; tests with a paused tokio clock use
    /// [`TokioClock`](crate::TokioClock).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Allows plain `http://` to loopback hosts (`127.0.0.1`, `::1`, `localhost`), for
    /// local test servers; applies to the portal and the OAuth server. Without it, every
    /// address must be `https://`.
    pub fn allow_insecure_loopback(mut self) -> Self {
        self.allow_insecure_loopback = true;
        self
    }

    /// Checks the settings and builds the client.
    ///
    /// # Errors
    /// [`Error::Config`]: the webhook URL or OAuth endpoint is invalid (see
    /// [`Client::webhook`], [`Client::oauth`]); a rate limit with a burst of 0 or a drain
    /// rate that is not a finite number of at least 0.001 per second; an operating limit
    /// with a budget that is not a positive number, a pause fraction outside (0, 1] or a
    /// fallback block outside (0, 600 s]; a retry policy with 0 attempts;
    /// a zero timeout; or an HTTP client that cannot be initialised.
    pub fn build(self) -> Result<Client, Error> {
        let allow = self.allow_insecure_loopback;
        let (portal, auth) = match self.auth {
            AuthSpec::Webhook(url) => {
                let (portal, user_id, code) = parse_webhook(url.expose_secret(), allow)?;
                (portal, Auth::Webhook { user_id, code })
            }
            AuthSpec::OAuth(config) => {
                let OAuthConfig {
                    client_endpoint,
                    app,
                    tokens,
                    store,
                    member_id,
                } = *config;
                let portal = parse_client_endpoint(&client_endpoint, allow)?;
                let owner = crate::Portal::from_endpoint(&portal, member_id);
                (
                    portal,
                    Auth::OAuth(Box::new(OAuthSession::new(app, tokens, store, owner))),
                )
            }
        };
        if let Some(limit) = &self.rate_limit {
            limit.check().map_err(Error::Config)?;
        }
        if let Some(limit) = &self.operating {
            limit.check().map_err(Error::Config)?;
        }
        if self.retry.max_attempts == 0 {
            return Err(Error::Config(
                "retry policy: max_attempts must be at least 1".into(),
            ));
        }
        if self.max_body < 1024 {
            return Err(Error::Config(format!(
                "max_body_size must be at least 1024 bytes (got {})",
                self.max_body
            )));
        }
        if self.timeout.is_zero() {
            return Err(Error::Config(
                "the request timeout must be above zero".into(),
            ));
        }
        let transport = match self.transport {
            Some(transport) => transport,
            None => Arc::new(
                ReqwestTransport::new(self.connect_timeout)
                    .map_err(|e| {
                        Error::Config(format!("could not initialise the HTTP client: {e}"))
                    })?
                    .with_max_body(self.max_body),
            ),
        };
        let clock = self.clock;
        Ok(Client {
            inner: Arc::new(Inner {
                auth,
                portal,
                transport,
                timeout: self.timeout,
                bucket: self.rate_limit.map(Bucket::new),
                operating: self
                    .operating
                    .map(|limit| OperatingTracker::new(limit, Arc::clone(&clock))),
                retry: self.retry,
                clock,
                allow_insecure_loopback: allow,
                max_body: self.max_body,
            }),
        })
    }
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let auth = match &self.auth {
            AuthSpec::Webhook(_) => "webhook",
            AuthSpec::OAuth(_) => "oauth",
        };
        f.debug_struct("ClientBuilder")
            .field("auth", &auth)
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("rate_limit", &self.rate_limit)
            .field("operating", &self.operating)
            .field("retry", &self.retry)
            .field("allow_insecure_loopback", &self.allow_insecure_loopback)
            .finish_non_exhaustive()
    }
}

/// What is called: the method, whether it only reads, and whether it is a REST 3.0
/// method (at `/rest/api/`).
#[derive(Debug, Clone, Copy)]
struct Call<'a> {
    method: &'a str,
    read_only: bool,
    rest_v3: bool,
}

impl<'a> Call<'a> {
    fn classic(method: &'a str, read_only: bool) -> Self {
        Call {
            method,
            read_only,
            rest_v3: false,
        }
    }
}

/// A fresh `Idempotency-Key`: 128 random bits as 32 hex digits (the portal takes 1 to 255
/// printable ASCII characters); `None` when the system has no randomness to give.
fn idempotency_key() -> Option<String> {
    let mut bytes = [0u8; 16];
    getrandom::getrandom(&mut bytes).ok()?;
    Some(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// Reads the envelope: an API error, or the result with `total`, `next` and `time`.
fn envelope(
    method: &str,
    status: u16,
    body: &[u8],
    secret: &str,
) -> Result<Response<Value>, Error> {
    let value: Value =
        serde_json::from_slice(body).map_err(|e| decode_error(method, status, e, body, secret))?;
    let Value::Object(obj) = value else {
        let e = serde_json::Error::custom(
            "expected a JSON object with `result` or `error`, found another JSON value",
        );
        return Err(decode_error(method, status, e, body, secret));
    };
    if let Some(error) = ApiError::from_answer(&obj, status) {
        return Err(Error::Api(error));
    }
    if !(200..300).contains(&status) {
        let e = serde_json::Error::custom(format_args!(
            "HTTP status {status} without an `error` in the body"
        ));
        return Err(decode_error(method, status, e, body, secret));
    }
    if !obj.contains_key("result") {
        let e = serde_json::Error::custom("the JSON object has neither `result` nor `error`");
        return Err(decode_error(method, status, e, body, secret));
    }
    Ok(Response::from_object(obj))
}

/// `text` with each of `secrets` (empty ones skipped) replaced by `***`: the one masking
/// rule of every error and log text ([`Client::mask`], OAuth refusals).
pub(crate) fn mask_secrets<'a>(text: &str, secrets: impl IntoIterator<Item = &'a str>) -> String {
    let mut text = text.to_owned();
    for secret in secrets {
        if !secret.is_empty() && text.contains(secret) {
            text = text.replace(secret, "***");
        }
    }
    text
}

/// An [`Error::Decode`] keeping the first 2 KiB of `body`, `secret` masked.
fn decode_error(
    method: &str,
    status: u16,
    source: serde_json::Error,
    body: &[u8],
    secret: &str,
) -> Error {
    let mut body = mask_secrets(&String::from_utf8_lossy(body), [secret]);
    if body.len() > BODY_KEPT {
        let mut end = BODY_KEPT;
        while !body.is_char_boundary(end) {
            end -= 1;
        }
        body.truncate(end);
    }
    Error::Decode {
        method: method.to_owned(),
        status,
        source,
        body,
    }
}

/// Accepts REST method names such as `crm.calllist.add`: a letter or digit, then letters,
/// digits, `.`, `_` or `-` (so the name is one path segment and never `.` or `..`).
fn check_method_name(name: &str) -> Result<(), Error> {
    let mut bytes = name.bytes();
    let first_ok = bytes.next().is_some_and(|b| b.is_ascii_alphanumeric());
    if first_ok && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-')) {
        Ok(())
    } else {
        Err(Error::Config(format!(
            "invalid REST method name {name:?}: expected a letter or digit, then letters, digits, '.', '_' or '-'"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn method_names() {
        for ok in ["crm.calllist.add", "user.current", "a", "im.v2_Chat-x"] {
            assert!(check_method_name(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            ".",
            "..",
            ".x",
            "a/b",
            "a?b",
            "a b",
            "crm.item.list#",
            "é",
        ] {
            assert!(check_method_name(bad).is_err(), "{bad:?}");
        }
    }
}
