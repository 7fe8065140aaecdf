//! The crate's error type.

use std::fmt;

use serde_json::{Map, Value};

/// Codes for which the call did not run (or was refused for now) and a later attempt may
/// succeed.
const RETRYABLE_CODES: [&str; 2] = ["QUERY_LIMIT_EXCEEDED", "OPERATION_TIME_LIMIT"];

/// Everything that can go wrong when building a [`Client`](crate::Client) or calling a
/// method.
///
/// Neither `Display` nor `Debug` ever contains the webhook code or an OAuth token: URLs are
/// stripped from transport errors and the code or access token is masked as `***` in kept
/// response bodies.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The client or a call was set up wrongly: a webhook URL not of the form
    /// `https://<portal>/rest/<user_id>/<code>/`, an invalid OAuth or portal address, plain
    /// `http` without [`ClientBuilder::allow_insecure_loopback`](crate::ClientBuilder::allow_insecure_loopback),
    /// invalid limits, a method name with characters other than letters, digits, `.`, `_`
    /// and `-`, or an HTTP client that could not be initialised. Nothing was sent.
    #[error("invalid configuration: {0}")]
    Config(String),

    /// The request parameters could not be serialised to JSON (for example a non-finite
    /// number written with [`wire::number_as_string`](crate::wire::number_as_string), or
    /// an `object` parameter set to a JSON value that is not an object: see
    /// [`JsonObject`](crate::JsonObject)); the message names the parameter. Nothing was
    /// sent.
    #[error("could not encode the parameters of {method}: {source}")]
    Encode {
        /// REST method name.
        method: String,
        /// The serialisation error.
        #[source]
        source: serde_json::Error,
    },

    /// The request did not complete: connection refused, DNS, TLS, timeout (70 s by
    /// default), or the body could not be read. Unless
    /// [`TransportError::is_connect`](crate::TransportError::is_connect) (the request was
    /// not sent), whether the method ran on the server is unknown. The error carries no
    /// URL.
    #[error("transport error calling {method}: {source}")]
    Transport {
        /// REST method name.
        method: String,
        /// The transport's error, without the URL.
        #[source]
        source: crate::TransportError,
    },

    /// The portal answered with an `error` in the JSON body (whatever the HTTP status).
    #[error(transparent)]
    Api(#[from] ApiError),

    /// Getting or renewing OAuth tokens failed (an OAuth client renews once when the portal
    /// answers `expired_token`; the call was not sent again). Never contains a token or
    /// the application secret.
    #[error("OAuth token request failed: {0}")]
    OAuth(#[from] crate::OAuthError),

    /// The portal answered, but the body could not be understood: not JSON (an HTML error
    /// page, a truncated body), a JSON value without `result` or `error`, a non-2xx status
    /// without `error`, or a `result` that does not match the method's output type.
    #[error("could not decode the response of {method} (HTTP {status}): {source}")]
    Decode {
        /// REST method name.
        method: String,
        /// HTTP status code of the response.
        status: u16,
        /// What did not match.
        #[source]
        source: serde_json::Error,
        /// The response body, lossily converted to UTF-8, truncated to 2 KiB, webhook code
        /// or access token masked.
        body: String,
    },
}

impl Error {
    /// The API error, when the portal answered with an `error` code.
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            Error::Api(e) => Some(e),
            _ => None,
        }
    }

    /// HTTP status of the response, when there was one ([`Error::Api`] and
    /// [`Error::Decode`]).
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Api(e) => Some(e.status),
            Error::Decode { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// True when a later attempt may succeed:
    /// - API errors `QUERY_LIMIT_EXCEEDED` (the call did not run) and `OPERATION_TIME_LIMIT`
    ///   (wait for `time.operating_reset_at`); other API codes are decided by the code,
    ///   never the HTTP status (`OVERLOAD_LIMIT` is a 503 too, but a manual block);
    /// - an undecodable answer with a 5xx status (a gateway page without an error code);
    /// - transport errors (connection, timeout, body).
    ///
    /// Whether a retry is *safe* also depends on the method: after a transport error
    /// (other than a failed connection) or a 5xx the call may have run, so retry those
    /// only when [`Method::READ_ONLY`](crate::Method::READ_ONLY) is true (a retried `add`
    /// can create duplicates). `QUERY_LIMIT_EXCEEDED` is always safe to retry. The
    /// [`Client`](crate::Client) already retried what its
    /// [`RetryPolicy`](crate::RetryPolicy) allows before returning the error.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Api(e) => RETRYABLE_CODES.iter().any(|c| e.is(c)),
            Error::Decode { status, .. } => *status >= 500,
            Error::Transport { .. } => true,
            Error::Config(_) | Error::Encode { .. } | Error::OAuth(_) => false,
        }
    }
}

/// An error reported by the portal: `{"error": "<code>", "error_description": "<text>"}`,
/// or, from a REST 3.0 method, `{"error": {"code": "<code>", "message": "<text>",
/// "validation": [{"field": "id", "message": "..."}]}}`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub struct ApiError {
    /// The `error` code as sent, e.g. `QUERY_LIMIT_EXCEEDED` or `expired_token`; may be empty
    /// (batch errors sometimes have no code). Compare with [`ApiError::is`].
    pub code: String,
    /// The `error_description` text (REST 3.0: `message`); empty when absent.
    pub description: String,
    /// HTTP status of the response (Bitrix24 sends errors with 200, 4xx and 5xx statuses).
    pub status: u16,
    /// REST 3.0 only: the parameters the portal rejected (`validation`), in its order;
    /// empty otherwise.
    pub validation: Vec<Violation>,
}

/// One parameter a REST 3.0 method rejected: an entry of the error's `validation`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Violation {
    /// The parameter, as the portal names it (`id`, `fields.title`); `None` when absent.
    pub field: Option<String>,
    /// Why, in the portal's language.
    pub message: String,
}

impl ApiError {
    /// An error with `code`, `description` and `status`, and no validation entries.
    pub fn new(code: impl Into<String>, description: impl Into<String>, status: u16) -> Self {
        ApiError {
            code: code.into(),
            description: description.into(),
            status,
            validation: Vec::new(),
        }
    }

    /// The error an answer's JSON object reports, if any: its `error` is present and not
    /// `null`. Reads both shapes: `error` as the code with `error_description` beside it,
    /// and the REST 3.0 object with `code`, `message` and `validation`. A code or text
    /// that is not a string is kept as its JSON text.
    pub fn from_answer(answer: &Map<String, Value>, status: u16) -> Option<ApiError> {
        let error = answer.get("error").filter(|v| !v.is_null())?;
        Some(match error {
            Value::Object(v3) => ApiError {
                code: text(v3.get("code")),
                description: text(v3.get("message")),
                status,
                validation: match v3.get("validation") {
                    Some(Value::Array(items)) => items.iter().map(Violation::of).collect(),
                    _ => Vec::new(),
                },
            },
            code => ApiError::new(
                text(Some(code)),
                text(answer.get("error_description")),
                status,
            ),
        })
    }

    /// True when the error code equals `code`, ignoring ASCII case (the portal's spelling
    /// of a code is not stable: `expired_token`, `ACCESS_DENIED`).
    pub fn is(&self, code: &str) -> bool {
        self.code.eq_ignore_ascii_case(code)
    }

    /// The error with `mask` applied to its texts: code, description and the validation
    /// entries (secrets masked).
    pub(crate) fn masked(mut self, mask: impl Fn(&str) -> String) -> ApiError {
        self.code = mask(&self.code);
        self.description = mask(&self.description);
        for v in &mut self.validation {
            v.message = mask(&v.message);
            v.field = v.field.as_deref().map(&mask);
        }
        self
    }
}

impl Violation {
    fn of(v: &Value) -> Violation {
        match v {
            Value::Object(o) => Violation {
                field: o
                    .get("field")
                    .filter(|f| !f.is_null())
                    .map(|f| text(Some(f))),
                message: text(o.get("message")),
            },
            other => Violation {
                field: None,
                message: text(Some(other)),
            },
        }
    }
}

/// The text of an error's code or message: a string as it is, `null` or absent as empty,
/// any other JSON as its JSON text.
pub(crate) fn text(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let code = if self.code.is_empty() {
            "(no code)"
        } else {
            &self.code
        };
        write!(f, "Bitrix24 API error {code} (HTTP {})", self.status)?;
        if !self.description.is_empty() {
            write!(f, ": {}", self.description)?;
        }
        for v in &self.validation {
            match &v.field {
                Some(field) => write!(f, "; `{field}`: {}", v.message)?,
                None => write!(f, "; {}", v.message)?,
            }
        }
        Ok(())
    }
}
