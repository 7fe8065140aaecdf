//! Hand-written half of the typed Bitrix24 REST client.
//!
//! The generated `bitrix24` crate describes each REST method as a plain request value that
//! implements [`Method`]; this crate sends it with [`Client::call`] and decodes the reply.
//!
//! - [`Client`]: a client for one portal, authenticated by an inbound webhook
//!   (`https://<portal>/rest/<user_id>/<code>/`) or an OAuth 2.0 application
//!   ([`OAuthConfig`], [`OAuthApp`], [`Tokens`], [`TokenStore`]); it keeps under the
//!   request-rate limit ([`RateLimit`]) and each method's operating-time budget
//!   ([`OperatingLimit`]), and retries what is safe to retry ([`RetryPolicy`]).
//! - [`Transport`]: the HTTP seam ([`ReqwestTransport`] by default).
//! - [`Response`] and [`Time`]: the JSON envelope around every result.
//! - [`Error`] and [`ApiError`]: transport, decoding and API failures.
//! - [`wire`]: lenient decoding (IDs as strings, `"Y"`/`"N"` booleans, `[]` as an empty
//!   map, ...) and wire encodings used by the generated `#[serde(...)]` attributes.
//! - [`File`]: a file parameter or value, `[name, base64 content]` on the wire.
//! - [`DateTime`]: a date-time as the portal writes it, with or without a UTC offset;
//!   [`JsonObject`]: the value of an `object` parameter (a `Map` or a `json!` value).
//! - [`Client::batch`]: typed `batch` requests ([`Batch`], [`Handle`], [`BatchResults`]).
//! - [`ListMethod`]: list methods; [`Client::pages`], [`Client::items`] and the fast
//!   exports by ID cursor [`Client::export`] and [`Client::export_batched`] (see
//!   [`paginate`]).
//! - [`event`]: inbound event deliveries (form-encoded POSTs to a handler): parsing, a
//!   constant-time application-token check, typed `data`.
//! - `testing` (Cargo feature `testing`): a fake portal on 127.0.0.1 for offline tests,
//!   enforcing auth, the envelope, paging, `batch` and the limits, with fault injection.
//!
//! ```no_run
//! # async fn demo() -> Result<(), bitrix24_runtime::Error> {
//! let client = bitrix24_runtime::Client::webhook("https://example.bitrix24.com/rest/1/abc123/")?;
//! let reply = client.call_raw("user.current", serde_json::json!({})).await?;
//! println!("{}", reply.result);
//! # Ok(())
//! # }
//! ```
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod auth;
pub mod batch;
mod client;
mod datetime;
mod envelope;
mod error;
pub mod event;
mod file;
mod json_object;
mod limits;
pub mod paginate;
mod retry;
#[cfg(feature = "testing")]
pub mod testing;
pub mod transport;
pub mod wire;

pub use auth::{
    DEFAULT_OAUTH_SERVER, MemoryTokenStore, OAuthApp, OAuthConfig, OAuthError, Portal, TokenGrant,
    TokenStore, Tokens, authorization_url,
};
pub use batch::{Batch, BatchResults, CommandError, Handle, Reference};
/// The date-time crate of the generated types: `date` fields are [`chrono::NaiveDate`],
/// `datetime` fields are [`DateTime`] (which converts to and from chrono's types).
pub use chrono;
pub use client::{Client, ClientBuilder};
pub use datetime::{DateTime, ParseDateTimeError};
pub use envelope::{Response, Time};
pub use error::{ApiError, Error, Violation};
pub use file::File;
/// The streams crate: [`Client::pages`] and the other list functions return
/// [`futures_util::Stream`]s; read them with [`futures_util::TryStreamExt`].
pub use futures_util;
pub use json_object::JsonObject;
pub use limits::{Clock, OperatingLimit, RateLimit, SystemClock, TokioClock};
pub use limits::{ExportEstimate, ExportWay, estimate_export};
pub use paginate::{ListMethod, ListOrder, Page};
pub use retry::RetryPolicy;
/// An exact decimal (`rust_decimal`): the type of `double` fields (amounts such as
/// `OPPORTUNITY`), decoded from `"3607999.00"` without rounding and sent as a string.
pub use rust_decimal::Decimal;
/// A secret string (`secrecy`): OAuth client secrets, tokens and application tokens;
/// `Debug` prints `[REDACTED]`, `expose_secret()` reads it.
pub use secrecy::{ExposeSecret, SecretString};
pub use transport::{
    HttpReply, HttpRequest, ReqwestTransport, Transport, TransportError, TransportErrorKind,
};

/// The code blocks of `README.md`, compiled as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

/// A boxed error from user code (a [`TokenStore`], a [`Transport`]).
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// One REST method call: the request is the value itself (its parameters), serialised to a
/// JSON object with `serde`.
///
/// Implemented by the generated request types; pass a value to [`Client::call`]. A request
/// that serialises to `null` (a unit struct, for a method without parameters) is sent as
/// `{}`.
pub trait Method: serde::Serialize {
    /// REST method name, e.g. `"crm.calllist.add"`.
    const NAME: &'static str;
    /// True when the method only reads (safe to retry after an ambiguous failure such as a
    /// timeout or a 5xx without an error code; see [`Error::is_retryable`]).
    const READ_ONLY: bool;
    /// True for a REST 3.0 method (default `false`). The client then calls it at
    /// `<portal>/rest/api/...` instead of `<portal>/rest/...`, reads the REST 3.0 error
    /// object (`{"error": {"code", "message", "validation"}}`), and sends an
    /// `Idempotency-Key` header, the same on every attempt, so that a writing method may
    /// be retried after an ambiguous failure: the portal runs it once (see
    /// [`RetryPolicy`]). A REST 3.0 method cannot run inside a [`Batch`].
    const REST_V3: bool = false;
    /// Type of the envelope's `result` on success, decoded leniently with
    /// [`wire::Decode`].
    type Output: wire::Decode;
}
