//! `batch`: several typed calls in one HTTP request.
//!
//! ```no_run
//! # async fn demo(client: bitrix24_runtime::Client) -> Result<(), Box<dyn std::error::Error>> {
//! # #[derive(serde::Serialize)] struct Add { title: String }
//! # impl bitrix24_runtime::Method for Add { const NAME: &'static str = "crm.deal.add"; const READ_ONLY: bool = false; type Output = i64; }
//! let mut batch = client.batch();
//! let a = batch.push(Add { title: "first".into() })?;
//! let b = batch.push(Add { title: "second".into() })?;
//! let results = batch.send().await?;
//! let first: i64 = results.get(&a)?;
//! match results.get(&b) {
//!     Ok(id) => println!("{first}, {id}"),
//!     Err(e) => println!("the second add failed: {e}"),
//! }
//! # Ok(())
//! # }
//! ```
//!
//! Each command is written as `method?query` with [`wire::query::encode`]
//! and keyed `cmd0`, `cmd1`, ... (never `"0"`, `"1"`, ..., for which the portal would answer
//! with JSON arrays; both shapes are decoded anyway). The `batch` call itself is never
//! retried as a whole: it is sent as a writing call, whatever its commands do.

use std::collections::HashMap;
use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::Error as _;
use serde_json::{Map, Value, json};

use crate::error::text;
use crate::limits::commands as operating;
use crate::wire::{self, Decode};
use crate::{ApiError, Client, Error, Method, Response, Time};

/// The most commands one `batch` request may hold (the portal answers
/// `ERROR_BATCH_LENGTH_EXCEEDED` beyond it).
pub const MAX_COMMANDS: usize = 50;

/// How much of an undecodable `batch` result [`Error::Decode`] keeps.
const BODY_KEPT: usize = 2048;

impl Client {
    /// An empty [`Batch`] on this client: [`push`](Batch::push) typed requests, then
    /// [`send`](Batch::send) them in as few requests as possible (50 commands each).
    pub fn batch(&self) -> Batch {
        Batch {
            client: self.clone(),
            commands: Vec::new(),
            halt: false,
        }
    }
}

/// Calls `method` through the client's full request path (limits, OAuth, retries);
/// `read_only` tells the client whether an ambiguous failure may be retried (`batch` is
/// always sent with `false`: never retried whole).
pub(crate) async fn call_json(
    client: &Client,
    method: &str,
    params: Value,
    read_only: bool,
) -> Result<Response<Value>, Error> {
    client.call_value(method, params, read_only).await
}

/// A list of commands for one or more `batch` requests; made by [`Client::batch`].
///
/// Independent commands are sent 50 per request, in order, one request after the other.
/// A batch that stops on the first error ([`halt`](Batch::halt)) or whose commands refer
/// to earlier results (`$result[...]`, see [`Handle::reference`]) must fit one request
/// (at most [`MAX_COMMANDS`] commands): [`send`](Batch::send) refuses it otherwise.
pub struct Batch {
    client: Client,
    commands: Vec<Command>,
    halt: bool,
}

struct Command {
    key: String,
    /// `method?query`, or `method` without parameters.
    text: String,
    /// The query refers to earlier results (`$result...`).
    has_ref: bool,
}

impl Batch {
    /// Whether the portal stops at the first failing command (`halt=1`); the commands
    /// after it get no result ([`CommandError::NoResult`]). Default `false`: every command
    /// runs and failures are reported per command.
    pub fn halt(&mut self, halt: bool) -> &mut Self {
        self.halt = halt;
        self
    }

    /// Adds the call `request` and returns the handle to read its result with
    /// [`BatchResults::get`].
    ///
    /// The request is encoded now, as the JSON it serialises to (see
    /// [`wire::query::encode`] for the rules).
    ///
    /// # Errors
    /// - [`Error::Encode`]: the request does not serialise, or holds a value without a
    ///   query-string form (`null`, a key with brackets); the message names the key.
    /// - [`Error::Config`]: `M::NAME` is not a valid method name, or is `batch` (the
    ///   portal does not nest batches), or `M` is a REST 3.0 method
    ///   ([`Method::REST_V3`]: `batch` runs only classic methods; call it on its own).
    pub fn push<M: Method>(&mut self, request: M) -> Result<Handle<M>, Error> {
        if M::REST_V3 {
            return Err(Error::Config(format!(
                "`{}` is a REST 3.0 method: `batch` runs only classic methods; call it with `Client::call`",
                M::NAME
            )));
        }
        let key = format!("cmd{}", self.commands.len());
        let text = command_text(M::NAME, &request)?;
        let has_ref = has_reference(&text);
        self.commands.push(Command {
            key: key.clone(),
            text,
            has_ref,
        });
        Ok(Handle {
            key,
            method: M::NAME,
            _method: PhantomData,
        })
    }

    /// The number of commands.
    pub fn len(&self) -> usize {
        self.commands.len()
    }

    /// True when no command was pushed ([`send`](Batch::send) then sends nothing).
    pub fn is_empty(&self) -> bool {
        self.commands.is_empty()
    }

    /// How many HTTP requests [`send`](Batch::send) makes: commands / 50, rounded up.
    pub fn requests(&self) -> usize {
        self.commands.len().div_ceil(MAX_COMMANDS)
    }

    /// The command of `handle` as sent: `method?query`.
    pub fn command<M>(&self, handle: &Handle<M>) -> Option<&str> {
        self.commands
            .iter()
            .find(|c| c.key == handle.key)
            .map(|c| c.text.as_str())
    }

    /// True when a command refers to an earlier result (`$result[...]`), so the batch must
    /// go in one request.
    pub fn has_references(&self) -> bool {
        self.commands.iter().any(|c| c.has_ref)
    }

    /// Sends the commands, 50 per `batch` request, requests one after the other.
    ///
    /// When a request after the first fails, the results of the earlier requests are still
    /// returned (their commands ran): the error is [`BatchResults::request_error`] and the
    /// commands of that request and the later ones have no result
    /// ([`CommandError::NoResult`]). An empty batch sends nothing.
    ///
    /// # Errors
    /// - [`Error::Config`]: the batch has more than 50 commands and uses
    ///   [`halt`](Batch::halt) or `$result[...]` references; nothing was sent.
    /// - Any error of the first request (as [`Client::call_value`] reports it): nothing is
    ///   known to have run.
    pub async fn send(self) -> Result<BatchResults, Error> {
        let mut results = BatchResults {
            client: Some(self.client.clone()),
            ..BatchResults::default()
        };
        if self.commands.is_empty() {
            return Ok(results);
        }
        if self.commands.len() > MAX_COMMANDS && (self.halt || self.has_references()) {
            let why = if self.halt {
                "stops on the first error (`halt`)"
            } else {
                "refers to earlier results (`$result[...]`)"
            };
            return Err(Error::Config(format!(
                "a batch that {why} must fit one request: it has {} commands, at most {MAX_COMMANDS} are allowed",
                self.commands.len()
            )));
        }
        for (i, chunk) in self.commands.chunks(MAX_COMMANDS).enumerate() {
            let cmds = chunk.iter().map(|c| (c.key.clone(), c.text.clone()));
            match send_request(&self.client, self.halt, cmds).await {
                Ok(entries) => {
                    results.requests += 1;
                    results.entries.extend(entries);
                }
                Err(e) if i == 0 => return Err(e),
                Err(e) => {
                    results.request_error = Some(e);
                    break;
                }
            }
        }
        Ok(results)
    }
}

impl fmt::Debug for Batch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Batch")
            .field("commands", &self.commands.len())
            .field("halt", &self.halt)
            .finish_non_exhaustive()
    }
}

/// `method?query` for a request (`method` alone when it has no parameters).
pub(crate) fn command_text<M: serde::Serialize + ?Sized>(
    method: &str,
    request: &M,
) -> Result<String, Error> {
    check_command_name(method)?;
    let params = serde_json::to_value(request).map_err(|source| Error::Encode {
        method: method.to_owned(),
        source,
    })?;
    command_text_value(method, &params)
}

/// `method?query` for parameters already in JSON.
pub(crate) fn command_text_value(method: &str, params: &Value) -> Result<String, Error> {
    let query = wire::query::encode(params).map_err(|e| Error::Encode {
        method: method.to_owned(),
        source: serde_json::Error::custom(e),
    })?;
    Ok(if query.is_empty() {
        method.to_owned()
    } else {
        format!("{method}?{query}")
    })
}

fn check_command_name(name: &str) -> Result<(), Error> {
    let mut bytes = name.bytes();
    let first_ok = bytes.next().is_some_and(|b| b.is_ascii_alphanumeric());
    if !(first_ok && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))) {
        return Err(Error::Config(format!(
            "invalid REST method name {name:?}: expected a letter or digit, then letters, digits, '.', '_' or '-'"
        )));
    }
    if name.eq_ignore_ascii_case("batch") {
        return Err(Error::Config(
            "`batch` cannot be a command of a batch (the portal does not nest batches)".into(),
        ));
    }
    Ok(())
}

/// Whether a command refers to earlier results: the portal substitutes `$result`,
/// `$result_error`, `$result_total`, ... anywhere in a value, ignoring case.
fn has_reference(text: &str) -> bool {
    text.to_ascii_lowercase().contains("$result")
}

/// Sends one `batch` request (at most 50 commands) and splits its answer per command.
pub(crate) async fn send_request(
    client: &Client,
    halt: bool,
    cmds: impl Iterator<Item = (String, String)>,
) -> Result<HashMap<String, Entry>, Error> {
    let cmds: Vec<(String, String)> = cmds.collect();
    for (method, calls) in operating::calls_per_method(&cmds) {
        client.wait_for_operating(method, calls).await;
    }
    let cmd: Map<String, Value> = cmds
        .iter()
        .map(|(k, t)| (k.clone(), Value::String(t.clone())))
        .collect();
    let params = json!({ "halt": u8::from(halt), "cmd": cmd });
    let response = call_json(client, "batch", params, false).await?;
    let mut entries = parse_result(response.result).map_err(|(source, body)| {
        client.masked(Error::Decode {
            method: "batch".to_owned(),
            status: 200,
            source,
            body,
        })
    })?;
    for entry in entries.values_mut() {
        entry.error = entry.error.take().map(|e| e.masked(|t| client.mask(t)));
    }
    if let Some(tracker) = client.operating() {
        operating::observe(tracker, &cmds, &entries);
    }
    Ok(entries)
}

/// One command's share of a `batch` answer.
#[derive(Debug, Clone, Default)]
pub(crate) struct Entry {
    /// `result[key]`, when present (may be `null`).
    pub(crate) result: Option<Value>,
    /// `result_error[key]`.
    pub(crate) error: Option<ApiError>,
    pub(crate) total: Option<u64>,
    pub(crate) next: Option<u64>,
    pub(crate) time: Option<Time>,
}

/// Splits `{"result": {...}, "result_error": {...}, "result_total": ..., ...}` per key.
/// Each section may be an object keyed by command, an array (keys `"0"`, `"1"`, ...: how
/// PHP writes numeric keys, and `[]` when empty) or absent.
fn parse_result(result: Value) -> Result<HashMap<String, Entry>, (serde_json::Error, String)> {
    let Value::Object(mut obj) = result else {
        let mut body = result.to_string();
        truncate(&mut body);
        return Err((
            serde_json::Error::custom(
                "the `batch` result is not an object with `result` and `result_error`",
            ),
            body,
        ));
    };
    let mut entries: HashMap<String, Entry> = HashMap::new();
    for (key, v) in section(obj.remove("result")) {
        entries.entry(key).or_default().result = Some(v);
    }
    for (key, v) in section(obj.remove("result_error")) {
        entries.entry(key).or_default().error = Some(api_error(v));
    }
    for (key, v) in section(obj.remove("result_total")) {
        entries.entry(key).or_default().total = Option::<u64>::decode(v).ok().flatten();
    }
    for (key, v) in section(obj.remove("result_next")) {
        entries.entry(key).or_default().next = Option::<u64>::decode(v).ok().flatten();
    }
    for (key, v) in section(obj.remove("result_time")) {
        entries.entry(key).or_default().time = Time::deserialize(v).ok();
    }
    Ok(entries)
}

fn section(v: Option<Value>) -> Vec<(String, Value)> {
    match v {
        Some(Value::Object(map)) => map.into_iter().collect(),
        Some(Value::Array(items)) => items
            .into_iter()
            .enumerate()
            .map(|(i, v)| (i.to_string(), v))
            .collect(),
        _ => Vec::new(),
    }
}

/// A `result_error` entry: `{"error": "...", "error_description": "..."}` (the code may
/// be empty); anything else is kept as the description.
fn api_error(v: Value) -> ApiError {
    match &v {
        Value::Object(obj) => ApiError::from_answer(obj, 200)
            .unwrap_or_else(|| ApiError::new("", text(obj.get("error_description")), 200)),
        other => ApiError::new("", text(Some(other)), 200),
    }
}

fn truncate(body: &mut String) {
    if body.len() > BODY_KEPT {
        let mut end = BODY_KEPT;
        while !body.is_char_boundary(end) {
            end -= 1;
        }
        body.truncate(end);
    }
}

/// The typed ticket for one command of a [`Batch`]: its key (`cmd0`, ...) and, in the
/// type, the method whose `Output` [`BatchResults::get`] decodes.
pub struct Handle<M> {
    key: String,
    method: &'static str,
    _method: PhantomData<fn() -> M>,
}

impl<M> Handle<M> {
    /// The command's key in the batch, e.g. `cmd0`.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// A reference to this command's whole result (`$result[cmd0]`), for a parameter of a
    /// later command in the same batch: the ID an `add` returns, say.
    pub fn result(&self) -> Reference {
        Reference(format!("$result[{}]", self.key))
    }

    /// A reference to a part of this command's result, for a parameter of a later command
    /// in the same batch: `handle.reference(["ID"])` is `$result[cmd0][ID]`, and
    /// `handle.reference(["items", "0", "id"])` is `$result[cmd0][items][0][id]` (list
    /// results are arrays: index them). An empty path (`reference([])`) is
    /// [`result`](Handle::result).
    ///
    /// Pass it where the value belongs: `insert_extra` with the parameter's wire or Rust
    /// name (it replaces the typed value, so the parameter is sent once), a string
    /// parameter, a filter value. The portal replaces it before running the later
    /// command. A batch with references is sent in one request, so it holds at most 50
    /// commands.
    pub fn reference<'a>(&self, path: impl IntoIterator<Item = &'a str>) -> Reference {
        let mut s = format!("$result[{}]", self.key);
        for seg in path {
            s.push('[');
            s.push_str(seg);
            s.push(']');
        }
        Reference(s)
    }
}

/// A `$result[cmd0][...]` reference to an earlier command's result in a batch (from
/// [`Handle::result`] or [`Handle::reference`]); sent as its text, which the portal
/// replaces with the value. Converts into a [`serde_json::Value`] and a `String`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct Reference(String);

impl Reference {
    /// The reference text, e.g. `$result[cmd0][ID]`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Reference {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl PartialEq<&str> for Reference {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl From<Reference> for String {
    fn from(r: Reference) -> String {
        r.0
    }
}

impl From<Reference> for Value {
    fn from(r: Reference) -> Value {
        Value::String(r.0)
    }
}

impl<M> Clone for Handle<M> {
    fn clone(&self) -> Self {
        Handle {
            key: self.key.clone(),
            method: self.method,
            _method: PhantomData,
        }
    }
}

impl<M> fmt::Debug for Handle<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Handle")
            .field("key", &self.key)
            .field("method", &self.method)
            .finish()
    }
}

/// Why a command of a batch has no usable result.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CommandError {
    /// The portal ran the command and it failed (its `result_error` entry). The code may be
    /// empty; `status` is 200, the status of the whole `batch` answer.
    #[error("batch command {key} ({method}): {error}")]
    Api {
        /// The command's key, e.g. `cmd2`.
        key: String,
        /// REST method name.
        method: &'static str,
        /// The error as reported.
        error: ApiError,
    },
    /// The command succeeded but its result does not decode as the method's output.
    #[error("batch command {key} ({method}): could not decode the result: {source}")]
    Decode {
        /// The command's key.
        key: String,
        /// REST method name.
        method: &'static str,
        /// What did not match.
        #[source]
        source: serde_json::Error,
    },
    /// The answer has neither a result nor an error for the command: the batch stopped
    /// before it ([`Batch::halt`]), or its request failed or was not sent (see
    /// [`BatchResults::request_error`]).
    #[error(
        "batch command {key} ({method}) has no result (halted before it, or its request failed)"
    )]
    NoResult {
        /// The command's key.
        key: String,
        /// REST method name.
        method: &'static str,
    },
}

impl CommandError {
    /// The API error, when the portal reported one for the command.
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            CommandError::Api { error, .. } => Some(error),
            _ => None,
        }
    }
}

/// A [`CommandError`] as the crate's [`Error`], so `?` works in functions returning
/// `Result<_, Error>`: [`CommandError::Api`] becomes [`Error::Api`]; the others become
/// [`Error::Decode`] (status 200, empty body) whose message says what is missing.
impl From<CommandError> for Error {
    fn from(e: CommandError) -> Error {
        match e {
            CommandError::Api { error, .. } => Error::Api(error),
            CommandError::Decode { method, source, .. } => Error::Decode {
                method: method.to_owned(),
                status: 200,
                source,
                body: String::new(),
            },
            CommandError::NoResult { key, method } => Error::Decode {
                method: method.to_owned(),
                status: 200,
                source: serde_json::Error::custom(format_args!(
                    "batch command {key} has no result (halted before it, or its request failed)"
                )),
                body: String::new(),
            },
        }
    }
}

/// The answers to a sent [`Batch`], per command; read them with the [`Handle`]s.
///
/// Results are decoded when read, so reading one twice decodes twice.
#[derive(Debug, Default)]
pub struct BatchResults {
    /// Masks the client's secrets in decoding errors (`None` for `default()`).
    client: Option<Client>,
    entries: HashMap<String, Entry>,
    request_error: Option<Error>,
    requests: usize,
}

impl BatchResults {
    /// The command's result decoded as `M::Output`.
    ///
    /// # Errors
    /// [`CommandError::Api`] when the command failed, [`CommandError::Decode`] when its
    /// result does not decode, [`CommandError::NoResult`] when the answer has neither.
    pub fn get<M: Method>(&self, handle: &Handle<M>) -> Result<M::Output, CommandError> {
        let entry = self.entry(handle)?;
        let value = entry.result.clone().unwrap_or(Value::Null);
        M::Output::decode(value).map_err(|source| CommandError::Decode {
            key: handle.key.clone(),
            method: handle.method,
            source: match &self.client {
                Some(client) => client.masked_json(source),
                None => source,
            },
        })
    }

    /// As [`get`](Self::get), with the command's `total`, `next` and `time` in a
    /// [`Response`].
    ///
    /// # Errors
    /// As [`get`](Self::get).
    pub fn response<M: Method>(
        &self,
        handle: &Handle<M>,
    ) -> Result<Response<M::Output>, CommandError> {
        let result = self.get(handle)?;
        let entry = self.entries.get(&handle.key);
        Ok(Response {
            result,
            total: entry.and_then(|e| e.total),
            next: entry.and_then(|e| e.next),
            time: entry.and_then(|e| e.time.clone()),
        })
    }

    /// The command's raw result (`None` when it has none: failed, halted, not sent).
    pub fn raw<M>(&self, handle: &Handle<M>) -> Option<&Value> {
        self.entries.get(&handle.key)?.result.as_ref()
    }

    /// The command's error, when the portal reported one.
    pub fn error<M>(&self, handle: &Handle<M>) -> Option<&ApiError> {
        self.entries.get(&handle.key)?.error.as_ref()
    }

    /// `result_total` of a list command: the number of matching rows (absent with
    /// `start=-1` and for non-list methods).
    pub fn result_total<M>(&self, handle: &Handle<M>) -> Option<u64> {
        self.entries.get(&handle.key)?.total
    }

    /// `result_next` of a list command: the `start` of the next page; absent on the last.
    pub fn result_next<M>(&self, handle: &Handle<M>) -> Option<u64> {
        self.entries.get(&handle.key)?.next
    }

    /// `result_time` of the command: its server-side timing.
    pub fn result_time<M>(&self, handle: &Handle<M>) -> Option<&Time> {
        self.entries.get(&handle.key)?.time.as_ref()
    }

    /// The error of the request that failed after earlier ones succeeded; its commands and
    /// those of later requests (never sent) have no result.
    pub fn request_error(&self) -> Option<&Error> {
        self.request_error.as_ref()
    }

    /// How many `batch` requests answered.
    pub fn requests(&self) -> usize {
        self.requests
    }

    fn entry<M>(&self, handle: &Handle<M>) -> Result<&Entry, CommandError> {
        let entry = self.entries.get(&handle.key);
        if let Some(error) = entry.and_then(|e| e.error.clone()) {
            return Err(CommandError::Api {
                key: handle.key.clone(),
                method: handle.method,
                error,
            });
        }
        match entry {
            Some(e) if e.result.is_some() => Ok(e),
            _ => Err(CommandError::NoResult {
                key: handle.key.clone(),
                method: handle.method,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arrays_and_objects() {
        let parsed = parse_result(json!({
            "result": [10, {"ID": "5"}],
            "result_error": {"2": {"error": "", "error_description": "Not found"}},
            "result_total": [],
            "result_next": {"1": 50},
            "result_time": []
        }))
        .unwrap();
        assert_eq!(parsed["0"].result, Some(json!(10)));
        assert_eq!(parsed["1"].next, Some(50));
        let e = parsed["2"].error.clone().unwrap();
        assert_eq!((e.code.as_str(), e.description.as_str()), ("", "Not found"));
    }

    #[test]
    fn references_detected() {
        assert!(has_reference("crm.deal.get?id=$RESULT[cmd0]"));
        assert!(!has_reference("crm.deal.get?id=5"));
    }
}
