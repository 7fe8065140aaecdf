//! Errors of event parsing.

use std::fmt;

/// Longest key or event name quoted in an error message, in characters; longer ones are cut
/// and end in `…`.
const QUOTE_LIMIT: usize = 100;

/// Everything that can go wrong when parsing an event delivery.
///
/// Messages quote keys (`auth[domain]`) and the event name, never a value from the body:
/// neither `Display` nor `Debug` of an `EventError` contains a token, whatever the input.
/// (The one exception is [`EventError::InvalidField`], which quotes the non-secret value of
/// `ts`, `event_handler_id` or `auth[expires_in]` that did not parse.)
///
/// Bitrix24 never retries a failed delivery: log the error before answering.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EventError {
    /// The body is longer than [`MAX_BODY_BYTES`](super::MAX_BODY_BYTES) (1 MiB); nothing was
    /// parsed.
    #[error("event body is {len} bytes, over the limit of {limit} bytes")]
    TooLarge {
        /// Length of the body, in bytes.
        len: usize,
        /// The limit, in bytes.
        limit: usize,
    },

    /// The body is not a well-formed form in PHP bracket notation (see [`FormFault`]).
    /// Located by the 0-based index of the `&`-separated pair and the byte offset where that
    /// pair starts in the body.
    #[error("malformed event body: {fault} in key {key:?} (pair {pair}, byte {offset})")]
    Malformed {
        /// What is wrong.
        fault: FormFault,
        /// The offending key after percent-decoding (lossily converted to UTF-8 and cut to
        /// 100 characters for the message).
        key: String,
        /// 0-based index of the pair among the `&`-separated pairs of the body (empty pairs,
        /// as in `a=1&&b=2`, count too).
        pair: usize,
        /// Byte offset in the body where the pair starts.
        offset: usize,
    },

    /// The token check failed: no usable `auth[application_token]`, or one that differs
    /// from the expected token. The delivery must be rejected; the message contains neither
    /// token.
    #[error("unauthenticated event delivery: {0}")]
    Unauthenticated(AuthFailure),

    /// A required field is absent: `event`, `ts`, or one of `auth[domain]`,
    /// `auth[client_endpoint]`, `auth[server_endpoint]`, `auth[member_id]`.
    #[error("event delivery has no `{field}`")]
    MissingField {
        /// The field, in bracket notation, e.g. `auth[domain]`.
        field: &'static str,
    },

    /// A top-level or `auth` field has the wrong shape: a map where a text is expected
    /// (`event[x]=1`), or a `ts`, `event_handler_id` or `auth[expires_in]` that is not an
    /// integer.
    #[error("invalid `{field}` in the event delivery: {reason}")]
    InvalidField {
        /// The field, in bracket notation, e.g. `ts`.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },

    /// The delivery is for another event than the one asked for with
    /// [`parse`](super::parse).
    #[error("unexpected event {found:?}, expected {expected:?} (compared ignoring ASCII case)")]
    UnexpectedEvent {
        /// The expected name, [`Event::NAME`](super::Event::NAME).
        expected: &'static str,
        /// The name in the delivery, as sent (cut to 100 characters).
        found: String,
    },

    /// `data` does not match the event's payload type. Located by `path`, the key in the
    /// body's bracket notation where decoding failed (`data[FIELDS][ID]`, or `data` for the
    /// payload itself); the source is serde's message, e.g. ``missing field `FIELDS` `` or
    /// `invalid value: string "abc", expected an integer (i64) ...`.
    #[error("could not decode the data of event {event:?}: {path}: {source}")]
    Data {
        /// The event name, as sent.
        event: String,
        /// Where in `data` decoding failed, in bracket notation: `data[FIELDS][ID]` (keys
        /// cut to 100 characters).
        path: String,
        /// What did not match.
        #[source]
        source: serde_json::Error,
    },
}

impl EventError {
    /// The error with `secret` (the expected application token) replaced by `***` in every
    /// text it quotes from the delivery.
    pub(crate) fn masked(self, secret: &str) -> Self {
        if secret.is_empty() {
            return self;
        }
        let mask = |text: String| crate::client::mask_secrets(&text, [secret]);
        match self {
            EventError::Malformed {
                fault,
                key,
                pair,
                offset,
            } => EventError::Malformed {
                fault,
                key: mask(key),
                pair,
                offset,
            },
            EventError::InvalidField { field, reason } => EventError::InvalidField {
                field,
                reason: mask(reason),
            },
            EventError::UnexpectedEvent { expected, found } => EventError::UnexpectedEvent {
                expected,
                found: mask(found),
            },
            EventError::Data {
                event,
                path,
                source,
            } => {
                let message = source.to_string();
                let masked = mask(message.clone());
                EventError::Data {
                    event: mask(event),
                    path: mask(path),
                    source: if masked == message {
                        source
                    } else {
                        serde::de::Error::custom(masked)
                    },
                }
            }
            other => other,
        }
    }
}

/// What is wrong with a form body; part of [`EventError::Malformed`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FormFault {
    /// The key appeared before (`a=1&a=2`). PHP would keep the last value; a repeated
    /// `auth[application_token]` could be an attempt to smuggle a second token past a
    /// checking proxy, so it is refused.
    DuplicateKey,
    /// The key is used both as a value and as a map (`a=1&a[b]=2`, or `a[b]=2&a=1`).
    ValueAndMap,
    /// The key is used both as a list (`a[]=x`) and as a map with named keys (`a[b]=y`).
    ListAndMap,
    /// The brackets of the key are malformed; the text says how.
    Brackets(&'static str),
    /// The key is empty (`=1`).
    EmptyKey,
    /// The key nests more than [`MAX_DEPTH`](super::MAX_DEPTH) (16) bracket levels.
    TooDeep {
        /// Number of bracket levels of the key.
        depth: usize,
    },
    /// The key is not valid UTF-8 after percent-decoding.
    InvalidUtf8Key,
    /// The value is not valid UTF-8 after percent-decoding.
    InvalidUtf8Value,
}

impl fmt::Display for FormFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FormFault::DuplicateKey => f.write_str("duplicated key"),
            FormFault::ValueAndMap => f.write_str("key used both as a value and as a map"),
            FormFault::ListAndMap => {
                f.write_str("key used both as a list (`[]`) and as a map with named keys")
            }
            FormFault::Brackets(how) => write!(f, "malformed brackets ({how})"),
            FormFault::EmptyKey => f.write_str("empty key"),
            FormFault::TooDeep { depth } => write!(
                f,
                "nesting {depth} levels deep, over the limit of {}",
                super::MAX_DEPTH
            ),
            FormFault::InvalidUtf8Key => f.write_str("key not valid UTF-8 after percent-decoding"),
            FormFault::InvalidUtf8Value => {
                f.write_str("value not valid UTF-8 after percent-decoding")
            }
        }
    }
}

/// Why the token check failed; part of [`EventError::Unauthenticated`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthFailure {
    /// `auth[application_token]` is absent, empty, or not a text (e.g. `auth` is not a map).
    Missing,
    /// `auth[application_token]` differs from the expected token (content or length).
    Mismatch,
}

impl fmt::Display for AuthFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AuthFailure::Missing => f.write_str("`auth[application_token]` is missing or empty"),
            AuthFailure::Mismatch => f.write_str(
                "`auth[application_token]` does not match the expected application token",
            ),
        }
    }
}

/// `text` cut to [`QUOTE_LIMIT`] characters, with `…` when cut.
pub(super) fn quote(text: &str) -> String {
    match text.char_indices().nth(QUOTE_LIMIT) {
        Some((end, _)) => format!("{}…", text.get(..end).unwrap_or_default()),
        None => text.to_owned(),
    }
}
