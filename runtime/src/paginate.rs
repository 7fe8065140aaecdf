//! List methods: pages by `start`, all items, and fast export by ID cursor.
//!
//! Bitrix24 list methods answer 50 rows a request, with `total` (rows matching) and `next`
//! (the `start` of the next page, absent on the last one). [`Client::pages`] and
//! [`Client::items`] follow `next`. For large tables the docs recommend the ID cursor
//! instead (`settings/performance/huge-data.md`): order by ID ascending, filter `>ID` from
//! the last ID seen, `start=-1` (no `COUNT`), until a page has fewer than 50 rows;
//! [`Client::export`] does that one page per request, [`Client::export_batched`] chains
//! 50 such pages in one `batch` request (up to 2,500 rows per request).
//!
//! ```no_run
//! # use bitrix24_runtime::{Client, Error, ListMethod};
//! # async fn demo<M: ListMethod>(client: Client, request: M) -> Result<(), Error>
//! # where M::Item: Send + std::fmt::Debug {
//! use futures_util::TryStreamExt;
//!
//! let mut rows = std::pin::pin!(client.export(request));
//! while let Some(row) = rows.try_next().await? {
//!     println!("{row:?}");
//! }
//! # Ok(())
//! # }
//! ```
//!
//! # Why the ID cursor delivers every row exactly once
//!
//! Each export request asks for the rows with `ID > c` in ascending ID order, where `c` is
//! the largest ID delivered so far, and the next cursor is the last ID of the page. Take a
//! row with ID `x` that exists for the whole export. Some request is the first whose page
//! ends at an ID `≥ x` or is short (the last one); its cursor is `< x`. A full page holds
//! the 50 smallest IDs above its cursor that exist at that moment, so it holds every
//! existing ID up to its last one, `x` included; a short page holds all rows above its
//! cursor, `x` included. So `x` is delivered, and only once, because the cursor only
//! grows and every later request starts above it. Rows deleted meanwhile may or may not
//! appear; rows added meanwhile get larger IDs and appear when the cursor has not yet
//! passed them. As a defence against a portal that ignores the filter, rows whose ID is
//! not above the cursor are dropped, and a full page that does not move the cursor is an
//! error. Rows whose filtered fields or access rights change during the export may still
//! enter or leave the selection (the docs' own caveat).
//!
//! `start`-paging ([`Client::pages`]) has no such guarantee: a row deleted on an earlier
//! page shifts the rest by one, so a row can be skipped; one added can be seen twice.

use futures_util::stream::{self, Stream, TryStreamExt};
use serde::de::Error as _;
use serde_json::{Map, Value};

use crate::batch::{self, MAX_COMMANDS};
use crate::wire::Decode;
use crate::{Client, Error, Method, Time};

/// How many characters of an undecodable row [`Error::Decode`] keeps.
const BODY_KEPT: usize = 2048;

/// A list method: paged by `start`, 50 rows a page; implemented by the generated request
/// types of the methods the spec marks as lists.
///
/// The constants name the request's wire parameters, so that [`Client::pages`],
/// [`Client::items`], [`Client::export`] and [`Client::export_batched`] can edit the
/// serialised request (a JSON object) without knowing its Rust type.
pub trait ListMethod: Method {
    /// One row of the list, decoded leniently.
    type Item: Decode;
    /// Where the rows sit inside `result`, as a dotted key path (`"items"` for
    /// `crm.item.list`); `""` when `result` itself is the array of rows.
    const ITEMS: &'static str;
    /// Rows per page (50): a shorter page is the last one when exporting by ID.
    const PAGE_SIZE: u32;
    /// Wire name of the paging parameter (`start`, or `START` for `bizproc.task.list`).
    const START: &'static str;
    /// The row field holding the numeric ID, when the method can filter and sort by it
    /// (`ID`, or `id` for `crm.item.list`); required by the export functions.
    const ID_FIELD: Option<&'static str>;
    /// Wire name of the filter parameter (`filter` or `FILTER`), `""` when there is none.
    const FILTER: &'static str;
    /// How the method takes its sort order.
    const ORDER: ListOrder;
    /// Wire name of the parameter listing the fields to return (`select` or `SELECT`),
    /// `""` when there is none; the export adds [`ID_FIELD`](Self::ID_FIELD) to it when it
    /// is set and lacks it (the cursor needs the ID).
    const SELECT: &'static str;
}

/// How a list method takes its sort order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ListOrder {
    /// The method has no order parameter (it cannot be exported by ID cursor).
    None,
    /// An object parameter mapping fields to directions: `order: {"ID": "ASC"}`; holds the
    /// parameter's wire name.
    Map(&'static str),
    /// A field-name parameter and a direction parameter, as `user.get`'s
    /// `sort: "ID", order: "ASC"`.
    SortField {
        /// Wire name of the parameter holding the field name.
        sort: &'static str,
        /// Wire name of the parameter holding `ASC` or `DESC`.
        order: &'static str,
    },
}

/// One page of a list.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Page<T> {
    /// The rows of the page, in the order received (at most 50).
    pub items: Vec<T>,
    /// The `start` this page was asked with.
    pub start: i64,
    /// The number of rows matching the request (absent when asked with `start=-1`).
    pub total: Option<u64>,
    /// The `start` of the next page; absent on the last page.
    pub next: Option<u64>,
    /// Server timing of the request.
    pub time: Option<Time>,
}

impl Client {
    /// The pages of the list `request`, one request each, following `next` from the
    /// request's own `start` (0 when unset) until a page comes without `next`.
    ///
    /// The stream ends after the first error. With `start` set to `-1` there is one page.
    /// For large lists prefer [`Client::export`] (see the [module docs](crate::paginate)
    /// for why): each page here makes the portal count all matching rows.
    ///
    /// # Errors
    /// Each item is an error as [`Client::call`] reports it, or [`Error::Encode`] when the
    /// request does not serialise to a JSON object.
    pub fn pages<M: ListMethod>(
        &self,
        request: M,
    ) -> impl Stream<Item = Result<Page<M::Item>, Error>> + Send + use<M>
    where
        M::Item: Send,
    {
        let state = match params_of::<M>(&request) {
            Ok(params) => {
                let start = params
                    .get(M::START)
                    .and_then(|v| Option::<i64>::decode(v.clone()).ok().flatten())
                    .unwrap_or(0);
                PageState::Next {
                    client: self.clone(),
                    params,
                    start,
                }
            }
            Err(e) => PageState::Failed(e),
        };
        stream::try_unfold(state, |state| async move {
            let (client, mut params, start) = match state {
                PageState::Next {
                    client,
                    params,
                    start,
                } => (client, params, start),
                PageState::Failed(e) => return Err(e),
                PageState::Done => return Ok(None),
            };
            params.insert(M::START.to_owned(), Value::from(start));
            let response = batch::call_json(
                &client,
                M::NAME,
                Value::Object(params.clone()),
                M::READ_ONLY,
            )
            .await?;
            let items = rows_at::<M>(response.result)
                .and_then(decode_rows::<M>)
                .map_err(|e| client.masked(e))?;
            let next_state = match response.next {
                Some(next) if i64::try_from(next).is_ok_and(|n| n > start) => PageState::Next {
                    client,
                    params,
                    start: i64::try_from(next).unwrap_or(i64::MAX),
                },
                _ => PageState::Done,
            };
            let page = Page {
                items,
                start,
                total: response.total,
                next: response.next,
                time: response.time,
            };
            Ok(Some((page, next_state)))
        })
    }

    /// Every row of the list `request`, page after page (as [`Client::pages`]).
    ///
    /// # Errors
    /// As [`Client::pages`]; the stream ends after the first error.
    pub fn items<M: ListMethod>(
        &self,
        request: M,
    ) -> impl Stream<Item = Result<M::Item, Error>> + Send + use<M>
    where
        M::Item: Send,
    {
        self.pages(request)
            .map_ok(|page| stream::iter(page.items.into_iter().map(Ok)))
            .try_flatten()
    }

    /// How many rows the list `request` matches: one request for its first page (with
    /// `start` 0), returning the page's `total`; `None` when the portal sent none. For a
    /// progress bar over [`Client::export`] or [`Client::export_batched`], which ask
    /// without a count (`start=-1`) to spare the portal: count the rows the stream yields
    /// (`inspect_ok`) against this total. Rows added or deleted during the export make the
    /// final count differ from it.
    ///
    /// ```no_run
    /// # async fn demo<M: bitrix24_runtime::ListMethod + Clone>(client: bitrix24_runtime::Client, list: M) -> Result<(), bitrix24_runtime::Error>
    /// # where M::Item: Send {
    /// use bitrix24_runtime::futures_util::TryStreamExt;
    ///
    /// let total = client.total(&list).await?.unwrap_or(0);
    /// let mut done = 0u64;
    /// let rows: Vec<_> = client
    ///     .export_batched(list)
    ///     .inspect_ok(|_| {
    ///         done += 1;
    ///         if done % 10_000 == 0 {
    ///             eprintln!("{done} of {total} rows");
    ///         }
    ///     })
    ///     .try_collect()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// As [`Client::call`], and [`Error::Encode`] when the request does not serialise to
    /// a JSON object.
    pub async fn total<M: ListMethod>(&self, request: &M) -> Result<Option<u64>, Error> {
        let mut params = params_of::<M>(request)?;
        params.insert(M::START.to_owned(), Value::from(0));
        let response = batch::call_json(self, M::NAME, Value::Object(params), M::READ_ONLY).await?;
        Ok(response.total)
    }

    /// Every row of the list `request` by ID cursor, one page per request: the request's
    /// order is replaced by ID ascending, `>ID` (greater than the last ID seen) is added to
    /// its filter, `start` is `-1` (no row count), until a page has fewer than 50 rows.
    ///
    /// Keeps the request's other filter keys; a `>ID` already in the filter is the
    /// starting point. Adds the ID field to `select` when `select` is set without it (and
    /// without `*`). Delivers every row that exists from start to end exactly once, also
    /// while rows are added and deleted (see the [module docs](crate::paginate)). A list
    /// of `n` rows takes `n / 50 + 1` requests (rounded down).
    ///
    /// # Errors
    /// The stream yields one error and ends:
    /// - [`Error::Config`]: `M` has no ID field, filter or order parameter
    ///   ([`ListMethod::ID_FIELD`], [`ListMethod::FILTER`], [`ListMethod::ORDER`]), or the
    ///   request's filter is not an object; nothing was sent.
    /// - [`Error::Decode`]: a row has no numeric ID field, or a full page did not get past
    ///   the cursor (the portal ignored the filter).
    /// - Any error of a call, as [`Client::call`] reports it.
    pub fn export<M: ListMethod>(
        &self,
        request: M,
    ) -> impl Stream<Item = Result<M::Item, Error>> + Send + use<M>
    where
        M::Item: Send,
    {
        self.cursor_stream(&request, |client, mut export| async move {
            let params = export.params::<M>(Value::from(export.cursor));
            let response =
                batch::call_json(&client, M::NAME, Value::Object(params), M::READ_ONLY).await?;
            let (items, last) = export.take::<M>(response.result)?;
            let state = if last {
                ExportState::Done
            } else {
                ExportState::Next(client, export)
            };
            Ok((items, state))
        })
    }

    /// As [`Client::export`], with 50 pages chained in one `batch` request: command `k`
    /// filters `>ID` on the last ID of command `k-1`'s page through a reference
    /// (`$result[cmd{k-1}][49][ID]`, with the items path for methods such as
    /// `crm.item.list`), so one request returns up to 2,500 rows. A list of `n` rows takes
    /// `n / 2,500 + 1` requests (rounded down).
    ///
    /// The first short page ends the export; the commands after it (whose reference
    /// does not resolve) are ignored, whatever they return. The batch halts on the first
    /// failing command; its error ends the stream, after the rows of the pages before it.
    ///
    /// Each command counts against the method's own operating-time budget (480 s per
    /// 10 minutes), which bounds an export far more than the request rate: at the 1.2 s a
    /// recorded 50-row page costs, a window runs 401 pages (20,050 rows). The export
    /// chains only as many pages as the budget has room for (as the client's
    /// [`OperatingLimit`](crate::OperatingLimit) estimates it), waits for the window while
    /// it has none, and when a command still meets `OPERATION_TIME_LIMIT` it delivers the
    /// pages before it, waits, and resumes from the cursor: the error never reaches the
    /// caller (unless the client was built with
    /// [`no_operating_limit`](crate::ClientBuilder::no_operating_limit)). See
    /// [`estimate_export`](crate::estimate_export) for the time an export needs.
    ///
    /// # Errors
    /// As [`Client::export`]; a command's error is [`Error::Api`].
    pub fn export_batched<M: ListMethod>(
        &self,
        request: M,
    ) -> impl Stream<Item = Result<M::Item, Error>> + Send + use<M>
    where
        M::Item: Send,
    {
        self.cursor_stream(&request, |client, mut export| async move {
            let cmds = export.chain::<M>(chain_length::<M>(&client).await)?;
            let keys: Vec<String> = cmds.iter().map(|(k, _)| k.clone()).collect();
            let mut entries = batch::send_request(&client, true, cmds.into_iter()).await?;
            let mut rows = Vec::new();
            let mut last = false;
            let mut failure = None;
            for key in &keys {
                let Some(entry) = entries.remove(key) else {
                    failure = Some(no_result::<M>(key));
                    break;
                };
                if let Some(e) = entry.error {
                    // The method's budget ran out mid-batch: the tracker blocked the
                    // method; the next step waits and resumes from the cursor.
                    if !(e.is("OPERATION_TIME_LIMIT") && client.operating().is_some()) {
                        failure = Some(Error::Api(e));
                    }
                    break;
                }
                let Some(result) = entry.result else {
                    failure = Some(no_result::<M>(key));
                    break;
                };
                match export.take::<M>(result) {
                    Ok((items, short)) => {
                        rows.extend(items);
                        if short {
                            last = true;
                            break;
                        }
                    }
                    Err(e) => {
                        failure = Some(e);
                        break;
                    }
                }
            }
            let state = match failure {
                Some(e) => ExportState::Failed(e),
                None if last => ExportState::Done,
                None => ExportState::Next(client, export),
            };
            Ok((rows, state))
        })
    }

    /// The stream both exports share: `step` fetches the rows after the cursor (one page,
    /// or a chain of pages) and says what comes next; a failed state ends the stream with
    /// its error after the rows before it.
    fn cursor_stream<M, S, F>(
        &self,
        request: &M,
        mut step: S,
    ) -> impl Stream<Item = Result<M::Item, Error>> + Send + use<M, S, F>
    where
        M: ListMethod,
        M::Item: Send,
        S: FnMut(Client, Export) -> F + Send,
        F: Future<Output = Result<(Vec<M::Item>, ExportState), Error>> + Send,
    {
        let state = match Export::new::<M>(request) {
            Ok(export) => ExportState::Next(self.clone(), export),
            Err(e) => ExportState::Failed(e),
        };
        stream::try_unfold(state, move |state| {
            let next = match state {
                ExportState::Next(client, export) => {
                    Ok(Some((client.clone(), step(client, export))))
                }
                ExportState::Failed(e) => Err(e),
                ExportState::Done => Ok(None),
            };
            async move {
                let Some(fetch) = next? else {
                    return Ok::<_, Error>(None);
                };
                let (client, fetch) = fetch;
                // A row that fails to decode is quoted: mask what the client knows.
                let (rows, state) = fetch.await.map_err(|e| client.masked(e))?;
                let state = match state {
                    ExportState::Failed(e) => ExportState::Failed(client.masked(e)),
                    other => other,
                };
                Ok(Some((stream::iter(rows.into_iter().map(Ok)), state)))
            }
        })
        .try_flatten()
    }
}

enum PageState {
    Next {
        client: Client,
        params: Map<String, Value>,
        start: i64,
    },
    Failed(Error),
    Done,
}

enum ExportState {
    Next(Client, Export),
    Failed(Error),
    Done,
}

/// The state of an export: the request with order, select and start fixed, the rest of
/// its filter, and the cursor.
struct Export {
    params: Map<String, Value>,
    filter: Map<String, Value>,
    /// `>ID`, or `>id`.
    cursor_key: String,
    id_field: &'static str,
    /// The largest ID delivered (or the starting point).
    cursor: i64,
}

impl Export {
    fn new<M: ListMethod>(request: &M) -> Result<Export, Error> {
        let unsupported = |what: &str| {
            Error::Config(format!(
                "{} cannot be exported by ID cursor: it has no {what}",
                M::NAME
            ))
        };
        let id_field = M::ID_FIELD.ok_or_else(|| unsupported("numeric ID field"))?;
        if M::FILTER.is_empty() {
            return Err(unsupported("filter parameter"));
        }
        let mut params = params_of::<M>(request)?;
        let mut filter = match params.remove(M::FILTER) {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(f)) => f,
            Some(Value::Array(a)) if a.is_empty() => Map::new(),
            Some(_) => {
                return Err(Error::Config(format!(
                    "{}: the `{}` parameter must be an object to export by ID cursor",
                    M::NAME,
                    M::FILTER
                )));
            }
        };
        let cursor_key = format!(">{id_field}");
        let cursor = filter
            .remove(&cursor_key)
            .and_then(|v| Option::<i64>::decode(v).ok().flatten())
            .unwrap_or(0);
        match M::ORDER {
            ListOrder::Map(name) => {
                let mut order = Map::new();
                order.insert(id_field.to_owned(), Value::from("ASC"));
                params.insert(name.to_owned(), Value::Object(order));
            }
            ListOrder::SortField { sort, order } => {
                params.insert(sort.to_owned(), Value::from(id_field));
                params.insert(order.to_owned(), Value::from("ASC"));
            }
            ListOrder::None => return Err(unsupported("order parameter")),
        }
        if !M::SELECT.is_empty()
            && let Some(Value::Array(select)) = params.get_mut(M::SELECT)
        {
            let has = |s: &Value| {
                s.as_str()
                    .is_some_and(|s| s == "*" || s.eq_ignore_ascii_case(id_field))
            };
            if !select.is_empty() && !select.iter().any(has) {
                select.push(Value::from(id_field));
            }
        }
        params.insert(M::START.to_owned(), Value::from(-1));
        Ok(Export {
            params,
            filter,
            cursor_key,
            id_field,
            cursor,
        })
    }

    /// The request with `>ID` set to `after` (a number, or a `$result[...]` reference).
    fn params<M: ListMethod>(&self, after: Value) -> Map<String, Value> {
        let mut filter = self.filter.clone();
        filter.insert(self.cursor_key.clone(), after);
        let mut params = self.params.clone();
        params.insert(M::FILTER.to_owned(), Value::Object(filter));
        params
    }

    /// `length` (1 to 50) chained commands `cmd0`..: the first from the cursor, each next
    /// one from the last row of the one before.
    fn chain<M: ListMethod>(&self, length: usize) -> Result<Vec<(String, String)>, Error> {
        let mut items_path = String::new();
        for seg in M::ITEMS.split('.').filter(|s| !s.is_empty()) {
            items_path.push_str(&format!("[{seg}]"));
        }
        let last = M::PAGE_SIZE.saturating_sub(1);
        let length = length.clamp(1, MAX_COMMANDS);
        let mut cmds = Vec::with_capacity(length);
        for k in 0..length {
            let after = if k == 0 {
                Value::from(self.cursor)
            } else {
                Value::from(format!(
                    "$result[cmd{}]{items_path}[{last}][{}]",
                    k - 1,
                    self.id_field
                ))
            };
            let text = batch::command_text_value(M::NAME, &Value::Object(self.params::<M>(after)))?;
            cmds.push((format!("cmd{k}"), text));
        }
        Ok(cmds)
    }

    /// Decodes one page of an export and moves the cursor: the rows above the cursor, and
    /// whether this was the last page (fewer rows than a full page).
    fn take<M: ListMethod>(&mut self, result: Value) -> Result<(Vec<M::Item>, bool), Error> {
        let raw = rows_at::<M>(result)?;
        let short = raw.len() < M::PAGE_SIZE as usize;
        let before = self.cursor;
        let mut fresh = Vec::with_capacity(raw.len());
        for row in raw {
            let id = row
                .get(self.id_field)
                .and_then(|v| Option::<i64>::decode(v.clone()).ok().flatten())
                .ok_or_else(|| {
                    decode_error::<M>(
                        &format!(
                            "a row has no numeric `{}` field, which the ID cursor needs",
                            self.id_field
                        ),
                        &row,
                    )
                })?;
            if id > self.cursor {
                self.cursor = id;
                fresh.push(row);
            }
        }
        if !short && self.cursor == before {
            return Err(decode_error::<M>(
                &format!(
                    "a full page did not get past `{}` {before}: the portal ignored the filter",
                    self.id_field
                ),
                &Value::Null,
            ));
        }
        Ok((decode_rows::<M>(fresh)?, short))
    }
}

/// How many pages the next batch of an export chains: 50, or as many as the method's
/// operating-time budget has room for (after waiting while it has none); one page to
/// learn the method's total after its budget was released.
async fn chain_length<M: ListMethod>(client: &Client) -> usize {
    client.wait_for_operating(M::NAME, 1).await;
    let Some(tracker) = client.operating() else {
        return MAX_COMMANDS;
    };
    match tracker.room(M::NAME) {
        Some(room) => usize::try_from(room)
            .unwrap_or(MAX_COMMANDS)
            .clamp(1, MAX_COMMANDS),
        None if tracker.needs_probe(M::NAME) => 1,
        None => MAX_COMMANDS,
    }
}

/// The request as a JSON object (`null`, for a request without parameters, is empty).
fn params_of<M: Method>(request: &M) -> Result<Map<String, Value>, Error> {
    let encode = |source| Error::Encode {
        method: M::NAME.to_owned(),
        source,
    };
    match serde_json::to_value(request).map_err(encode)? {
        Value::Object(map) => Ok(map),
        Value::Null => Ok(Map::new()),
        _ => Err(encode(serde_json::Error::custom(
            "the request does not serialise to a JSON object",
        ))),
    }
}

/// The rows at [`ListMethod::ITEMS`] inside `result`: an array, an object with numeric keys
/// (its values), or nothing (`null`, a missing key, `[]` where an object was expected).
fn rows_at<M: ListMethod>(result: Value) -> Result<Vec<Value>, Error> {
    let mut cur = result;
    for seg in M::ITEMS.split('.').filter(|s| !s.is_empty()) {
        cur = match cur {
            Value::Object(mut obj) => obj.remove(seg).unwrap_or(Value::Null),
            Value::Array(a) if a.is_empty() => Value::Null,
            other => {
                return Err(decode_error::<M>(
                    &format!("expected an object holding `{}`", M::ITEMS),
                    &other,
                ));
            }
        };
    }
    match cur {
        Value::Array(rows) => Ok(rows),
        Value::Object(obj) => Ok(obj.into_iter().map(|(_, v)| v).collect()),
        Value::Null => Ok(Vec::new()),
        other => Err(decode_error::<M>("expected an array of rows", &other)),
    }
}

fn decode_rows<M: ListMethod>(rows: Vec<Value>) -> Result<Vec<M::Item>, Error> {
    rows.into_iter()
        .map(|row| {
            let kept = row.clone();
            M::Item::decode(row).map_err(|source| {
                let mut body = kept.to_string();
                truncate(&mut body);
                Error::Decode {
                    method: M::NAME.to_owned(),
                    status: 200,
                    source,
                    body,
                }
            })
        })
        .collect()
}

fn decode_error<M: Method>(problem: &str, value: &Value) -> Error {
    let mut body = if value.is_null() {
        String::new()
    } else {
        value.to_string()
    };
    truncate(&mut body);
    Error::Decode {
        method: M::NAME.to_owned(),
        status: 200,
        source: serde_json::Error::custom(problem),
        body,
    }
}

fn no_result<M: Method>(key: &str) -> Error {
    decode_error::<M>(
        &format!("the batch answer has no result for {key}"),
        &Value::Null,
    )
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
