//! The HTTP client for inbound webhooks.

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{ACCEPT, CONTENT_TYPE};
use secrecy::{ExposeSecret, SecretString};
use serde::de::Error as _;
use serde_json::Value;
use tracing::Instrument;

use crate::wire::Decode;
use crate::{ApiError, Error, Method, Response};

/// Default limit for a whole request: the portal stops a method after 60 s.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);
/// Default limit for establishing the connection.
const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const USER_AGENT: &str = concat!("bitrix24-rust/", env!("CARGO_PKG_VERSION"));
/// How much of an undecodable body [`Error::Decode`] keeps.
const BODY_KEPT: usize = 2048;
const EXPECTED_URL: &str =
    "expected a webhook URL of the form https://<portal>/rest/<user_id>/<code>/";

/// A client for one portal, authenticated by an inbound webhook.
///
/// Cheap to clone (clones share the connection pool). `Debug` shows the portal and the
/// user ID, never the webhook code.
///
/// Each call is a `POST` of the parameters as JSON to `<webhook URL><method>`; the request
/// times out after 60 s (connecting after 10 s) unless set otherwise with
/// [`Client::builder`]. Redirects are not followed (they would move the webhook code to
/// another address): a 3xx answer is an [`Error::Decode`].
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    /// `scheme://host[:port]`, no trailing slash.
    portal: String,
    user_id: u64,
    code: SecretString,
}

impl Client {
    /// A client for the inbound webhook `url`, e.g.
    /// `https://example.bitrix24.com/rest/1/abc123def456/` (the trailing slash is
    /// optional), with default timeouts.
    ///
    /// `http://` is accepted only for loopback hosts (`127.0.0.1`, `::1`, `localhost`), for
    /// local test servers.
    ///
    /// # Errors
    /// [`Error::Config`] when `url` is not of that form (wrong scheme, no host, user
    /// credentials, query or fragment, a path other than `/rest/<user_id>/<code>/` where
    /// `user_id` is a positive integer and `code` is letters, digits, `_` or `-`), or when
    /// the HTTP client cannot be initialised. The message never contains the code.
    pub fn webhook(url: &str) -> Result<Client, Error> {
        Client::builder(url).build()
    }

    /// A [`ClientBuilder`] for the inbound webhook `url`, to change timeouts; the URL is
    /// checked by [`ClientBuilder::build`].
    pub fn builder(url: &str) -> ClientBuilder {
        ClientBuilder {
            url: SecretString::from(url),
            timeout: DEFAULT_TIMEOUT,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
        }
    }

    /// The portal address, `scheme://host[:port]`, e.g. `https://example.bitrix24.com`.
    pub fn portal(&self) -> &str {
        &self.inner.portal
    }

    /// The ID of the user the webhook acts as.
    pub fn user_id(&self) -> u64 {
        self.inner.user_id
    }

    /// Calls the method `M` with the parameters in `request` and decodes its `result` as
    /// `M::Output` (the envelope's `total`, `next` and `time` are dropped; use
    /// [`Client::call_raw`] to see them).
    ///
    /// # Errors
    /// - [`Error::Config`]: `M::NAME` is not a valid method name; nothing was sent.
    /// - [`Error::Encode`]: `request` could not be serialised; nothing was sent.
    /// - [`Error::Transport`]: no complete answer (connection, timeout, body read).
    /// - [`Error::Api`]: the body is a JSON object with a non-null `error`, whatever the
    ///   HTTP status.
    /// - [`Error::Decode`]: the body is not JSON, has neither `result` nor `error`, comes
    ///   with a non-2xx status and no `error`, or its `result` does not decode as
    ///   `M::Output`; keeps the status and the first 2 KiB of the body.
    pub async fn call<M: Method>(&self, request: M) -> Result<M::Output, Error> {
        let span = tracing::debug_span!("bitrix24.call", method = M::NAME);
        async move {
            check_method_name(M::NAME)?;
            let body = serde_json::to_vec(&request).map_err(|source| Error::Encode {
                method: M::NAME.to_owned(),
                source,
            })?;
            drop(request);
            let (status, bytes) = self.post(M::NAME, body).await?;
            let response = self.envelope(M::NAME, status, &bytes)?;
            M::Output::decode(response.result)
                .map_err(|source| self.decode_error(M::NAME, status, source, &bytes))
        }
        .instrument(span)
        .await
    }

    /// Calls `method` with `params` as given (the escape hatch for what the generated
    /// types lack) and returns the whole envelope with `result` as raw JSON.
    ///
    /// `params` should be a JSON object; `null` is sent as `{}`.
    ///
    /// # Errors
    /// As [`Client::call`]; [`Error::Config`] when `method` is empty, does not start
    /// with a letter or digit, or holds characters other than letters, digits, `.`, `_`
    /// and `-`. There is no output type, so a decodable envelope with `result` never
    /// fails.
    pub async fn call_raw(&self, method: &str, params: Value) -> Result<Response<Value>, Error> {
        let span = tracing::debug_span!("bitrix24.call", method);
        async move {
            check_method_name(method)?;
            let body = serde_json::to_vec(&params).map_err(|source| Error::Encode {
                method: method.to_owned(),
                source,
            })?;
            drop(params);
            let (status, bytes) = self.post(method, body).await?;
            self.envelope(method, status, &bytes)
        }
        .instrument(span)
        .await
    }

    /// Sends one `POST`; returns the status and the body.
    async fn post(&self, method: &str, mut body: Vec<u8>) -> Result<(u16, Vec<u8>), Error> {
        if body == b"null" {
            body = b"{}".to_vec();
        }
        let inner = &*self.inner;
        let url = format!(
            "{}/rest/{}/{}/{}",
            inner.portal,
            inner.user_id,
            inner.code.expose_secret(),
            method
        );
        let transport = |e: reqwest::Error| Error::Transport {
            method: method.to_owned(),
            source: e.without_url(),
        };
        let response = inner
            .http
            .post(url)
            .header(CONTENT_TYPE, "application/json")
            .header(ACCEPT, "application/json")
            .body(body)
            .send()
            .await
            .map_err(transport)?;
        let status = response.status().as_u16();
        let bytes = response.bytes().await.map_err(transport)?;
        tracing::debug!(status, bytes = bytes.len(), "response");
        Ok((status, bytes.into()))
    }

    /// Reads the envelope: an API error, or the result with `total`, `next` and `time`.
    fn envelope(&self, method: &str, status: u16, body: &[u8]) -> Result<Response<Value>, Error> {
        let value: Value =
            serde_json::from_slice(body).map_err(|e| self.decode_error(method, status, e, body))?;
        let Value::Object(obj) = value else {
            let e = serde_json::Error::custom(
                "expected a JSON object with `result` or `error`, found another JSON value",
            );
            return Err(self.decode_error(method, status, e, body));
        };
        if let Some(code) = obj.get("error").filter(|v| !v.is_null()) {
            return Err(Error::Api(ApiError {
                code: text(code),
                description: obj.get("error_description").map(text).unwrap_or_default(),
                status,
            }));
        }
        if !(200..300).contains(&status) {
            let e = serde_json::Error::custom(format_args!(
                "HTTP status {status} without an `error` in the body"
            ));
            return Err(self.decode_error(method, status, e, body));
        }
        if !obj.contains_key("result") {
            let e = serde_json::Error::custom("the JSON object has neither `result` nor `error`");
            return Err(self.decode_error(method, status, e, body));
        }
        Ok(Response::from_object(obj))
    }

    /// An [`Error::Decode`] keeping the first 2 KiB of `body`, webhook code masked.
    fn decode_error(
        &self,
        method: &str,
        status: u16,
        source: serde_json::Error,
        body: &[u8],
    ) -> Error {
        let code = self.inner.code.expose_secret();
        let mut body = String::from_utf8_lossy(body).replace(code, "***");
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
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("portal", &self.inner.portal)
            .field("user_id", &self.inner.user_id)
            .finish_non_exhaustive()
    }
}

/// Options for a [`Client`]; start with [`Client::builder`].
pub struct ClientBuilder {
    url: SecretString,
    timeout: Duration,
    connect_timeout: Duration,
}

impl ClientBuilder {
    /// Limit for a whole request, from connecting to the end of the body (default 60 s,
    /// the portal's own limit for one call).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Limit for establishing the connection (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Checks the webhook URL and builds the client.
    ///
    /// # Errors
    /// [`Error::Config`], as described on [`Client::webhook`].
    pub fn build(self) -> Result<Client, Error> {
        let (portal, user_id, code) = parse_webhook(self.url.expose_secret())?;
        let http = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .timeout(self.timeout)
            .connect_timeout(self.connect_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| {
                Error::Config(format!(
                    "could not initialise the HTTP client: {}",
                    e.without_url()
                ))
            })?;
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                portal,
                user_id,
                code,
            }),
        })
    }
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .finish_non_exhaustive()
    }
}

fn config(problem: &str) -> Error {
    Error::Config(format!("{EXPECTED_URL}: {problem}"))
}

/// Splits a webhook URL into (portal, user ID, code).
fn parse_webhook(url: &str) -> Result<(String, u64, SecretString), Error> {
    let url = reqwest::Url::parse(url.trim())
        .map_err(|e| config(&format!("the URL does not parse ({e})")))?;
    let Some(host) = url.host_str() else {
        return Err(config("the URL has no host"));
    };
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(host) => {}
        "http" => {
            return Err(config(
                "plain http is only allowed for loopback hosts (127.0.0.1, ::1, localhost)",
            ));
        }
        _ => return Err(config("the scheme must be https")),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(config("the URL must not contain user credentials"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(config("the URL must not have a query or a fragment"));
    }
    let segments: Vec<&str> = url
        .path_segments()
        .map(Iterator::collect)
        .unwrap_or_default();
    let (user, code) = match segments.as_slice() {
        ["rest", user, code] | ["rest", user, code, ""] => (*user, *code),
        _ => return Err(config("the path must be /rest/<user_id>/<code>/")),
    };
    let user_id = match user.parse::<u64>() {
        Ok(id) if id > 0 && user.bytes().all(|b| b.is_ascii_digit()) => id,
        _ => return Err(config("the user ID must be a positive integer")),
    };
    if code.is_empty() {
        return Err(config("the webhook code is missing"));
    }
    if !code
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        return Err(config(
            "the webhook code must be letters, digits, '_' or '-'",
        ));
    }
    let portal = url.origin().ascii_serialization();
    Ok((portal, user_id, SecretString::from(code)))
}

fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    match bare.parse::<IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => host.eq_ignore_ascii_case("localhost"),
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

/// The text of an `error` / `error_description` value (a number or other JSON as JSON text).
fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
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

    #[test]
    fn loopback_hosts() {
        for h in ["127.0.0.1", "127.1.2.3", "[::1]", "localhost", "LOCALHOST"] {
            assert!(is_loopback(h), "{h}");
        }
        for h in ["example.com", "10.0.0.1", "[::2]", "localhost.example.com"] {
            assert!(!is_loopback(h), "{h}");
        }
    }
}
