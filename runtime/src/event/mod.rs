//! Inbound event deliveries: parsing the POST that Bitrix24 sends to an event handler,
//! checking its application token, and decoding its `data`.
//!
//! Bitrix24 delivers an event as an `application/x-www-form-urlencoded` POST in PHP bracket
//! notation:
//!
//! ```text
//! event=ONCRMACTIVITYADD&event_handler_id=5&data[FIELDS][ID]=999&ts=1466439714
//! &auth[domain]=some.bitrix24.com&auth[client_endpoint]=https://some.bitrix24.com/rest/
//! &auth[server_endpoint]=https://oauth.bitrix.info/rest/&auth[member_id]=a223...
//! &auth[application_token]=5185...&auth[access_token]=s6p6...&auth[expires_in]=3600 ...
//! ```
//!
//! - [`parse`] reads one known event into [`Delivery<E::Data>`](Delivery), [`parse_any`]
//!   any event into `Delivery<serde_json::Value>` (then [`Delivery::decode_data`]);
//!   [`parse_form`] is the bracket-notation parser underneath.
//! - Authentication: `auth[application_token]` is compared with the token the application
//!   stored at installation (`ONAPPINSTALL`), in constant time, *before* `data` is decoded;
//!   a delivery without it or with another one is [`EventError::Unauthenticated`].
//! - Event names are compared ignoring ASCII case: portals send `ONCRMACTIVITYADD`, the docs
//!   write `onCrmActivityAdd`.
//! - Secrets (`access_token`, `refresh_token`, `application_token`) are held as
//!   [`SecretString`] and never appear in `Debug` or in error messages.
//!
//! Bitrix24 never retries a delivery that failed: log errors before answering.
//!
//! ```
//! use bitrix24_runtime::event;
//! use secrecy::SecretString;
//!
//! let expected = SecretString::from("51856fefc120afa4b628cc82d3935cce");
//! let body = b"event=ONCRMACTIVITYADD&data[FIELDS][ID]=999&ts=1466439714\
//!     &auth[domain]=some.bitrix24.com&auth[client_endpoint]=https://some.bitrix24.com/rest/\
//!     &auth[server_endpoint]=https://oauth.bitrix.info/rest/\
//!     &auth[member_id]=a223c6b3710f85df22e9377d6c4f7553\
//!     &auth[application_token]=51856fefc120afa4b628cc82d3935cce";
//! let delivery = event::parse_any(body, &expected)?;
//! assert!(delivery.is("onCrmActivityAdd"));
//! assert_eq!(delivery.data["FIELDS"]["ID"], "999");
//! assert_eq!(delivery.ts, 1466439714);
//!
//! let forged = SecretString::from("something else");
//! assert!(matches!(
//!     event::parse_any(body, &forged),
//!     Err(event::EventError::Unauthenticated(_))
//! ));
//! # Ok::<(), event::EventError>(())
//! ```

use std::fmt;

use serde_json::{Map, Value};
use subtle::ConstantTimeEq;

/// The secret type of the application token and OAuth tokens (from the `secrecy` crate),
/// re-exported so that callers need no direct dependency to build the expected token.
pub use secrecy::{ExposeSecret, SecretString};

use crate::wire::Decode;

pub mod app;
mod error;
mod form;

pub use error::{AuthFailure, EventError, FormFault};
pub use form::parse_form;

use error::quote;

/// Largest body [`parse_form`] accepts: 1 MiB (1,048,576 bytes).
pub const MAX_BODY_BYTES: usize = 1 << 20;

/// Deepest bracket nesting [`parse_form`] accepts: 16 levels (`a[1]...[16]`).
pub const MAX_DEPTH: usize = 16;

/// One event, as documented: its name and the type of its `data`.
///
/// The generated crate implements it for each documented event's payload type; use it with
/// [`parse`].
///
/// ```
/// use bitrix24_runtime::{event::Event, wire::{self, Decode}};
/// use serde::{Deserialize, Deserializer};
///
/// #[derive(Deserialize)]
/// struct ActivityAdd {
///     #[serde(rename = "FIELDS")]
///     fields: Fields,
/// }
/// #[derive(Deserialize)]
/// struct Fields {
///     #[serde(rename = "ID", deserialize_with = "wire::decode")]
///     id: i64,
/// }
/// impl Decode for ActivityAdd {
///     fn decode<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
///         <ActivityAdd as Deserialize>::deserialize(d)
///     }
/// }
/// impl Event for ActivityAdd {
///     const NAME: &'static str = "onCrmActivityAdd";
///     type Data = ActivityAdd;
/// }
/// ```
pub trait Event {
    /// The event name as documented, e.g. `"onCrmActivityAdd"`; compared with the
    /// delivery's `event` ignoring ASCII case.
    const NAME: &'static str;
    /// Type of the delivery's `data`, decoded leniently with [`Decode`] (IDs as strings,
    /// ...) from the form's tree of strings.
    type Data: Decode;
}

/// Status of the application that subscribed to the event (`auth[status]`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AppStatus {
    /// `L`: a local application (or an outgoing webhook).
    Local,
    /// `F`: a free mass-market (Marketplace) application.
    Free,
    /// Any other value, as sent.
    Unknown(String),
}

impl AppStatus {
    /// The status for a wire value: `L` → [`AppStatus::Local`], `F` → [`AppStatus::Free`],
    /// anything else kept in [`AppStatus::Unknown`].
    pub fn from_wire(s: &str) -> Self {
        match s {
            "L" => AppStatus::Local,
            "F" => AppStatus::Free,
            other => AppStatus::Unknown(other.to_owned()),
        }
    }

    /// The wire value: `"L"`, `"F"`, or the unknown value.
    pub fn as_str(&self) -> &str {
        match self {
            AppStatus::Local => "L",
            AppStatus::Free => "F",
            AppStatus::Unknown(s) => s,
        }
    }
}

/// The delivery's `auth`: the portal that sent the event and, sometimes, OAuth 2.0 tokens.
///
/// `Debug` prints the public fields and `[REDACTED]` for each secret; the secrets are
/// reachable only through [`Auth::access_token`], [`Auth::refresh_token`] and
/// [`Auth::application_token`].
///
/// Which keys are required follows the docs (`auth-params-in-events`), loosened where
/// documented deliveries omit them: outgoing webhooks send only `domain`,
/// `client_endpoint`, `server_endpoint`, `member_id` and `application_token`, and tokens
/// are not passed when the action is not tied to a user (automation rules, workflows,
/// `ONAPPUNINSTALL`). Other keys of `auth` are ignored.
#[derive(Clone)]
#[non_exhaustive]
pub struct Auth {
    /// `auth[domain]`: the portal's address, e.g. `some-domain.bitrix24.com`. Required.
    pub domain: String,
    /// `auth[client_endpoint]`: base URL for REST calls to that portal, e.g.
    /// `https://some-domain.bitrix24.com/rest/`. Required.
    pub client_endpoint: String,
    /// `auth[server_endpoint]`: the OAuth 2.0 server that refreshes tokens, e.g.
    /// `https://oauth.bitrix.info/rest/`. Required.
    pub server_endpoint: String,
    /// `auth[member_id]`: identifier of the portal. Required.
    pub member_id: String,
    /// `auth[scope]`: scopes of the application, comma-separated (e.g. `crm` or
    /// `entity,im`); `None` when absent or empty.
    pub scope: Option<String>,
    /// `auth[status]`: status of the application; `None` when absent or empty.
    pub status: Option<AppStatus>,
    /// `auth[expires_in]`: seconds until `access_token` expires (e.g. 3600); `None` when
    /// absent or empty.
    pub expires_in: Option<i64>,
    access_token: Option<SecretString>,
    refresh_token: Option<SecretString>,
    application_token: SecretString,
}

impl Auth {
    /// `auth[access_token]`: OAuth 2.0 token of the user whose action raised the event;
    /// `None` when absent or empty (no user, outgoing webhooks).
    pub fn access_token(&self) -> Option<&SecretString> {
        self.access_token.as_ref()
    }

    /// `auth[refresh_token]`: OAuth 2.0 refresh token; `None` when absent or empty.
    pub fn refresh_token(&self) -> Option<&SecretString> {
        self.refresh_token.as_ref()
    }

    /// `auth[application_token]`: the token that authenticated this delivery (equal to the
    /// expected token passed to [`parse`]).
    pub fn application_token(&self) -> &SecretString {
        &self.application_token
    }
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let redacted = |s: &Option<SecretString>| s.as_ref().map(|_| Redacted);
        f.debug_struct("Auth")
            .field("domain", &self.domain)
            .field("client_endpoint", &self.client_endpoint)
            .field("server_endpoint", &self.server_endpoint)
            .field("member_id", &self.member_id)
            .field("scope", &self.scope)
            .field("status", &self.status)
            .field("expires_in", &self.expires_in)
            .field("access_token", &redacted(&self.access_token))
            .field("refresh_token", &redacted(&self.refresh_token))
            .field("application_token", &Redacted)
            .finish()
    }
}

/// Prints `[REDACTED]` in `Debug`.
struct Redacted;

impl fmt::Debug for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[REDACTED]")
    }
}

/// One authenticated event delivery, with `data` of type `D`.
///
/// Produced by [`parse`] (typed) or [`parse_any`] (`D` = [`serde_json::Value`], a tree of
/// strings as the form carried them).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Delivery<D> {
    /// `event`: the event name as sent, e.g. `ONCRMACTIVITYADD` (compare with
    /// [`Delivery::is`]).
    pub event: String,
    /// `data`: the event's payload; `{}` when the body has no `data[...]` key (PHP drops
    /// empty arrays when encoding).
    pub data: D,
    /// `ts`: when the event left the event queue, in Unix seconds.
    pub ts: i64,
    /// `auth`: the sending portal and tokens.
    pub auth: Auth,
    /// `event_handler_id`: the handler's ID (as returned by `event.get`); `None` when
    /// absent or empty.
    pub event_handler_id: Option<i64>,
    /// Top-level keys other than `event`, `event_handler_id`, `data`, `ts` and `auth`, as
    /// parsed (strings, or maps of them); usually empty.
    pub extra: Map<String, Value>,
}

impl<D> Delivery<D> {
    /// True when the delivery's event is `name`, ignoring ASCII case
    /// (`ONCRMACTIVITYADD` is `onCrmActivityAdd`).
    pub fn is(&self, name: &str) -> bool {
        self.event.eq_ignore_ascii_case(name)
    }
}

impl Delivery<Value> {
    /// Decodes `data` as `D` with [`Decode`], keeping the rest.
    ///
    /// # Errors
    ///
    /// [`EventError::Data`] with serde's message and the key where it failed
    /// (`data[FIELDS][ID]`) when `data` does not match `D`.
    pub fn decode_data<D: Decode>(self) -> Result<Delivery<D>, EventError> {
        let mut track = serde_path_to_error::Track::new();
        let decoded = D::decode(serde_path_to_error::Deserializer::new(
            self.data, &mut track,
        ));
        let data = match decoded {
            Ok(data) => data,
            Err(source) => {
                // Generated structs decode field by field from a buffered object, so the
                // tracker stops at the struct; the keys below it lead the message.
                let mut path = form_path(&track.path());
                let message = source.to_string();
                let (keys, rest) = crate::wire::field_path(&message);
                for key in &keys {
                    path.push_str(&format!("[{}]", quote(key)));
                }
                let source = if keys.is_empty() {
                    source
                } else {
                    serde::de::Error::custom(rest)
                };
                return Err(EventError::Data {
                    event: quote(&self.event),
                    path,
                    source,
                });
            }
        };
        Ok(Delivery {
            event: self.event,
            data,
            ts: self.ts,
            auth: self.auth,
            event_handler_id: self.event_handler_id,
            extra: self.extra,
        })
    }
}

/// Parses a delivery of the event `E` and decodes its `data` as `E::Data`.
///
/// Steps, each failing with its own error:
/// 1. [`parse_form`] (size, syntax, duplicates: [`EventError::TooLarge`],
///    [`EventError::Malformed`]);
/// 2. `event` present ([`EventError::MissingField`]) and equal to `E::NAME` ignoring ASCII
///    case ([`EventError::UnexpectedEvent`]);
/// 3. `auth[application_token]` present, non-empty and equal to
///    `expected_application_token`, compared in constant time
///    ([`EventError::Unauthenticated`]);
/// 4. `ts`, `event_handler_id` and the other `auth` fields ([`EventError::MissingField`],
///    [`EventError::InvalidField`]);
/// 5. `data` decoded as `E::Data` ([`EventError::Data`]).
pub fn parse<E: Event>(
    body: &[u8],
    expected_application_token: &SecretString,
) -> Result<Delivery<E::Data>, EventError> {
    let secret = expected_application_token.expose_secret();
    parse_checked(body, Some(expected_application_token), Some(E::NAME))
        .and_then(|d| d.decode_data())
        .map_err(|e| e.masked(secret))
}

/// Parses a delivery of any event, leaving `data` as the parsed [`Value`] (a tree of
/// strings); decode it later with [`Delivery::decode_data`].
///
/// Same steps and errors as [`parse`], without the event name check and the decoding of
/// `data`: the token is checked all the same.
pub fn parse_any(
    body: &[u8],
    expected_application_token: &SecretString,
) -> Result<Delivery<Value>, EventError> {
    parse_checked(body, Some(expected_application_token), None)
        .map_err(|e| e.masked(expected_application_token.expose_secret()))
}

/// `expected` is `None` only for `ONAPPINSTALL`, the delivery that brings the token (see
/// [`app::parse_install`]); the token must be present all the same.
fn parse_checked(
    body: &[u8],
    expected: Option<&SecretString>,
    expected_event: Option<&'static str>,
) -> Result<Delivery<Value>, EventError> {
    let mut root = match parse_form(body)? {
        Value::Object(map) => map,
        _ => Map::new(), // parse_form always returns an object
    };

    let event = take_text(&mut root, "event", "event")?
        .ok_or(EventError::MissingField { field: "event" })?;
    if let Some(expected_event) = expected_event
        && !event.eq_ignore_ascii_case(expected_event)
    {
        return Err(EventError::UnexpectedEvent {
            expected: expected_event,
            found: quote(&event),
        });
    }

    // The token check comes before anything else is interpreted.
    let mut auth = match root.remove("auth") {
        Some(Value::Object(map)) => map,
        _ => return Err(EventError::Unauthenticated(AuthFailure::Missing)),
    };
    let application_token = match auth.remove("application_token") {
        Some(Value::String(s)) if !s.is_empty() => SecretString::from(s),
        _ => return Err(EventError::Unauthenticated(AuthFailure::Missing)),
    };
    if let Some(expected) = expected
        && !tokens_match(&application_token, expected)
    {
        return Err(EventError::Unauthenticated(AuthFailure::Mismatch));
    }

    let ts = take_int(&mut root, "ts", "ts")?.ok_or(EventError::MissingField { field: "ts" })?;
    let event_handler_id = take_int(&mut root, "event_handler_id", "event_handler_id")?;
    let data = root
        .remove("data")
        .unwrap_or_else(|| Value::Object(Map::new()));

    let required = |auth: &mut Map<String, Value>, key: &str, field: &'static str| {
        take_text(auth, key, field)?.ok_or(EventError::MissingField { field })
    };
    let auth = Auth {
        domain: required(&mut auth, "domain", "auth[domain]")?,
        client_endpoint: required(&mut auth, "client_endpoint", "auth[client_endpoint]")?,
        server_endpoint: required(&mut auth, "server_endpoint", "auth[server_endpoint]")?,
        member_id: required(&mut auth, "member_id", "auth[member_id]")?,
        scope: non_empty(take_text(&mut auth, "scope", "auth[scope]")?),
        status: non_empty(take_text(&mut auth, "status", "auth[status]")?)
            .map(|s| AppStatus::from_wire(&s)),
        expires_in: take_int(&mut auth, "expires_in", "auth[expires_in]")?,
        access_token: take_secret(&mut auth, "access_token", "auth[access_token]")?,
        refresh_token: take_secret(&mut auth, "refresh_token", "auth[refresh_token]")?,
        application_token,
    };

    Ok(Delivery {
        event,
        data,
        ts,
        auth,
        event_handler_id,
        extra: root,
    })
}

/// A path inside `data` in the body's bracket notation: `data[FIELDS][ID]`.
fn form_path(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::from("data");
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => out.push_str(&format!("[{index}]")),
            Segment::Map { key } => out.push_str(&format!("[{}]", quote(key))),
            Segment::Enum { variant } => out.push_str(&format!("[{}]", quote(variant))),
            Segment::Unknown => out.push_str("[?]"),
        }
    }
    out
}

/// Compares the received token with the expected one in constant time (`subtle`): the time
/// taken depends only on the lengths, never on where the contents differ. Tokens of
/// different lengths do not match.
fn tokens_match(received: &SecretString, expected: &SecretString) -> bool {
    bool::from(
        received
            .expose_secret()
            .as_bytes()
            .ct_eq(expected.expose_secret().as_bytes()),
    )
}

/// Describes the shape of a value that should have been a text, without quoting it.
fn shape(v: &Value) -> &'static str {
    match v {
        Value::Object(_) => "a map",
        Value::Array(_) => "a list",
        _ => "a non-text value",
    }
}

/// Removes `key` from `map`: `None` when absent, the text when a string leaf.
fn take_text(
    map: &mut Map<String, Value>,
    key: &str,
    field: &'static str,
) -> Result<Option<String>, EventError> {
    match map.remove(key) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(EventError::InvalidField {
            field,
            reason: format!("expected a text, found {}", shape(&other)),
        }),
    }
}

/// Removes `key` from `map` as a secret: `None` when absent or empty. The error never quotes
/// the value.
fn take_secret(
    map: &mut Map<String, Value>,
    key: &str,
    field: &'static str,
) -> Result<Option<SecretString>, EventError> {
    Ok(non_empty(take_text(map, key, field)?).map(SecretString::from))
}

/// Removes `key` from `map` as an integer (decoded with [`Decode`]): `None` when absent or
/// empty.
fn take_int(
    map: &mut Map<String, Value>,
    key: &str,
    field: &'static str,
) -> Result<Option<i64>, EventError> {
    match map.remove(key) {
        None => Ok(None),
        Some(v) => match v {
            Value::Object(_) | Value::Array(_) => Err(EventError::InvalidField {
                field,
                reason: format!("expected an integer, found {}", shape(&v)),
            }),
            _ => Option::<i64>::decode(v).map_err(|e| EventError::InvalidField {
                field,
                reason: e.to_string(),
            }),
        },
    }
}

fn non_empty(s: Option<String>) -> Option<String> {
    s.filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `tokens_match` behaves exactly like `subtle`'s `ConstantTimeEq` on the bytes,
    /// including rejecting different lengths and prefixes.
    #[test]
    fn tokens_match_is_subtle_ct_eq() {
        let cases: [(&str, &str); 8] = [
            (
                "51856fefc120afa4b628cc82d3935cce",
                "51856fefc120afa4b628cc82d3935cce",
            ),
            (
                "51856fefc120afa4b628cc82d3935cce",
                "51856fefc120afa4b628cc82d3935ccf",
            ),
            (
                "51856fefc120afa4b628cc82d3935cce",
                "61856fefc120afa4b628cc82d3935cce",
            ),
            (
                "51856fefc120afa4b628cc82d3935cce",
                "51856fefc120afa4b628cc82d3935cc",
            ),
            (
                "51856fefc120afa4b628cc82d3935cc",
                "51856fefc120afa4b628cc82d3935cce",
            ),
            ("", ""),
            ("x", ""),
            ("ä", "ä"),
        ];
        for (a, b) in cases {
            let subtle_says = bool::from(a.as_bytes().ct_eq(b.as_bytes()));
            assert_eq!(subtle_says, a == b, "{a:?} vs {b:?}");
            assert_eq!(
                tokens_match(&SecretString::from(a), &SecretString::from(b)),
                subtle_says,
                "{a:?} vs {b:?}"
            );
        }
    }

    #[test]
    fn auth_debug_redacts() {
        let auth = Auth {
            domain: "d".into(),
            client_endpoint: "c".into(),
            server_endpoint: "s".into(),
            member_id: "m".into(),
            scope: None,
            status: Some(AppStatus::Local),
            expires_in: Some(3600),
            access_token: Some(SecretString::from("AAA-secret")),
            refresh_token: None,
            application_token: SecretString::from("TTT-secret"),
        };
        let debug = format!("{auth:?}");
        assert!(!debug.contains("secret"), "{debug}");
        assert!(
            debug.contains("access_token: Some([REDACTED])")
                && debug.contains("refresh_token: None")
                && debug.contains("application_token: [REDACTED]"),
            "{debug}"
        );
    }

    #[test]
    fn app_status_round_trips() {
        for s in ["L", "F", "P", ""] {
            assert_eq!(AppStatus::from_wire(s).as_str(), s);
        }
        assert_eq!(AppStatus::from_wire("F"), AppStatus::Free);
    }
}
