//! List methods: pages by `next`, item streams, export by ID cursor (plain and chained in
//! `batch`), against a wiremock portal on 127.0.0.1 serving an in-memory table.

mod php_query;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use bitrix24_runtime::futures_util::{StreamExt, TryStreamExt};
use bitrix24_runtime::{Client, Error, ListMethod, ListOrder, Method, RetryPolicy};
use serde::Serialize;
use serde_json::{Map, Value, json};
use wiremock::matchers::{method, path_regex};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

/// `crm.deal.list`: rows are `result` itself, ID field `ID`.
#[derive(Debug, Clone, Default, Serialize)]
struct DealList {
    #[serde(skip_serializing_if = "Option::is_none")]
    select: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    filter: Option<Map<String, Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    order: Option<Map<String, Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    start: Option<i64>,
}

impl Method for DealList {
    const NAME: &'static str = "crm.deal.list";
    const READ_ONLY: bool = true;
    type Output = Vec<Map<String, Value>>;
}

impl ListMethod for DealList {
    type Item = Deal;
    const ITEMS: &'static str = "";
    const PAGE_SIZE: u32 = 50;
    const START: &'static str = "start";
    const ID_FIELD: Option<&'static str> = Some("ID");
    const FILTER: &'static str = "filter";
    const ORDER: ListOrder = ListOrder::Map("order");
    const SELECT: &'static str = "select";
}

/// A row of `crm.deal.list`, decoded leniently (IDs come as strings).
#[derive(Debug, Clone, PartialEq)]
struct Deal {
    id: i64,
}

impl bitrix24_runtime::wire::Decode for Deal {
    fn decode<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let map = Map::<String, Value>::decode(d)?;
        let id = map
            .get("ID")
            .and_then(|v| i64::decode(v.clone()).ok())
            .ok_or_else(|| serde::de::Error::custom("no ID"))?;
        Ok(Deal { id })
    }
}

/// `crm.item.list`: rows under `result.items`, ID field `id`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
struct ItemList {
    entity_type_id: i64,
}

impl Method for ItemList {
    const NAME: &'static str = "crm.item.list";
    const READ_ONLY: bool = true;
    type Output = Value;
}

impl ListMethod for ItemList {
    type Item = Map<String, Value>;
    const ITEMS: &'static str = "items";
    const PAGE_SIZE: u32 = 50;
    const START: &'static str = "start";
    const ID_FIELD: Option<&'static str> = Some("id");
    const FILTER: &'static str = "filter";
    const ORDER: ListOrder = ListOrder::Map("order");
    const SELECT: &'static str = "select";
}

/// A list method without an ID field.
#[derive(Debug, Clone, Serialize)]
struct AddressList {}

impl Method for AddressList {
    const NAME: &'static str = "crm.address.list";
    const READ_ONLY: bool = true;
    type Output = Value;
}

impl ListMethod for AddressList {
    type Item = Value;
    const ITEMS: &'static str = "";
    const PAGE_SIZE: u32 = 50;
    const START: &'static str = "start";
    const ID_FIELD: Option<&'static str> = None;
    const FILTER: &'static str = "filter";
    const ORDER: ListOrder = ListOrder::Map("order");
    const SELECT: &'static str = "select";
}

// ---------------------------------------------------------------------------------------
// The fake portal: one table, served by `crm.deal.list` / `crm.item.list`, directly or in
// `batch`.

type Hook = Box<dyn Fn(usize, &mut BTreeMap<i64, Value>) + Send + Sync>;

#[derive(Default)]
struct State {
    rows: BTreeMap<i64, Value>,
    /// HTTP requests served.
    requests: usize,
    /// Parameters of every list call (direct or in a batch), after substitution.
    calls: Vec<Map<String, Value>>,
    /// Raw `batch` bodies.
    batches: Vec<Value>,
    /// Runs before serving HTTP request `n` (1-based).
    before: Option<Hook>,
    /// Serve `>=` instead of `>` on the given HTTP request (a misbehaving portal).
    inclusive_on: Option<usize>,
    /// Ignore the `>ID` filter altogether.
    ignore_filter: bool,
}

type Shared = Arc<Mutex<State>>;

fn table(ids: impl IntoIterator<Item = i64>) -> Shared {
    let rows = ids
        .into_iter()
        .map(|id| {
            (
                id,
                json!({"ID": id.to_string(), "TITLE": format!("deal {id}")}),
            )
        })
        .collect();
    Arc::new(Mutex::new(State {
        rows,
        ..State::default()
    }))
}

fn number(v: Option<&Value>) -> Option<i64> {
    match v? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

/// One list call: `(rows, total, next)`.
fn list(
    state: &mut State,
    method: &str,
    params: &Map<String, Value>,
) -> (Value, Option<u64>, Option<u64>) {
    state.calls.push(params.clone());
    let id_key = if method == "crm.item.list" {
        "id"
    } else {
        "ID"
    };
    let filter = params.get("filter").and_then(Value::as_object);
    let cursor = filter.and_then(|f| f.get(&format!(">{id_key}")));
    // A value that is not a number (an unresolved reference) is ignored, as a worst case.
    let after = if state.ignore_filter {
        None
    } else {
        number(cursor)
    };
    let inclusive = state.inclusive_on == Some(state.requests);
    let matching: Vec<(i64, &Value)> = state
        .rows
        .iter()
        .filter(|(id, _)| match after {
            Some(a) if inclusive => **id >= a,
            Some(a) => **id > a,
            None => true,
        })
        .map(|(id, row)| (*id, row))
        .collect();
    let start = number(params.get("start")).unwrap_or(0);
    let to_row = |(id, row): &(i64, &Value)| {
        if method == "crm.item.list" {
            json!({"id": id, "title": row["TITLE"]})
        } else {
            (*row).clone()
        }
    };
    let (page, total, next): (Vec<Value>, _, _) = if start < 0 {
        (matching.iter().take(50).map(to_row).collect(), None, None)
    } else {
        let s = start as usize;
        let page = matching.iter().skip(s).take(50).map(to_row).collect();
        let next = (s + 50 < matching.len()).then_some((s + 50) as u64);
        (page, Some(matching.len() as u64), next)
    };
    let result = if method == "crm.item.list" {
        json!({ "items": page })
    } else {
        Value::Array(page)
    };
    (result, total, next)
}

fn respond(shared: &Shared, req: &Request) -> ResponseTemplate {
    let mut guard = shared.lock().unwrap();
    let state = &mut *guard;
    state.requests += 1;
    let n = state.requests;
    if let Some(hook) = state.before.take() {
        hook(n, &mut state.rows);
        state.before = Some(hook);
    }
    let method = req.url.path().rsplit('/').next().unwrap().to_owned();
    let body: Value = serde_json::from_slice(&req.body).unwrap();
    if method == "batch" {
        state.batches.push(body.clone());
        let mut results = Map::new();
        let mut totals = Map::new();
        let mut nexts = Map::new();
        for (key, text) in body["cmd"].as_object().unwrap() {
            let (m, params) = php_query::command(text.as_str().unwrap());
            let mut params = Value::Object(params);
            php_query::substitute(&mut params, &results);
            let (result, total, next) = list(state, &m, params.as_object().unwrap());
            results.insert(key.clone(), result);
            if let Some(t) = total {
                totals.insert(key.clone(), t.into());
            }
            if let Some(x) = next {
                nexts.insert(key.clone(), x.into());
            }
        }
        return ResponseTemplate::new(200).set_body_json(json!({
            "result": {"result": results, "result_error": [], "result_total": totals,
                       "result_next": nexts, "result_time": []}
        }));
    }
    let (result, total, next) = list(state, &method, body.as_object().unwrap());
    let mut envelope = json!({ "result": result });
    if let Some(t) = total {
        envelope["total"] = t.into();
    }
    if let Some(x) = next {
        envelope["next"] = x.into();
    }
    ResponseTemplate::new(200).set_body_json(envelope)
}

async fn portal(shared: &Shared) -> (MockServer, Client) {
    let server = MockServer::start().await;
    let s = shared.clone();
    Mock::given(method("POST"))
        .and(path_regex("^/rest/1/abc123/"))
        .respond_with(move |req: &Request| respond(&s, req))
        .mount(&server)
        .await;
    let client = Client::builder(&format!("{}/rest/1/abc123/", server.uri()))
        .allow_insecure_loopback()
        .no_rate_limit()
        .retry(RetryPolicy::never())
        .build()
        .unwrap();
    (server, client)
}

fn requests(shared: &Shared) -> usize {
    shared.lock().unwrap().requests
}

// ---------------------------------------------------------------------------------------
// Pages and items

#[tokio::test]
async fn pages_follow_next_until_it_is_absent() {
    let shared = table(1..=120);
    let (_server, client) = portal(&shared).await;
    let pages: Vec<_> = client
        .pages(DealList::default())
        .try_collect::<Vec<_>>()
        .await
        .unwrap();
    let shape: Vec<_> = pages
        .iter()
        .map(|p| (p.start, p.items.len(), p.total, p.next))
        .collect();
    assert_eq!(
        shape,
        [
            (0, 50, Some(120), Some(50)),
            (50, 50, Some(120), Some(100)),
            (100, 20, Some(120), None)
        ]
    );
    assert_eq!(requests(&shared), 3);
    let starts: Vec<_> = shared
        .lock()
        .unwrap()
        .calls
        .iter()
        .map(|c| c["start"].clone())
        .collect();
    assert_eq!(starts, [json!(0), json!(50), json!(100)]);
}

#[tokio::test]
async fn items_stream_every_row_in_order() {
    let shared = table(1..=120);
    let (_server, client) = portal(&shared).await;
    let ids: Vec<i64> = client
        .items(DealList::default())
        .map_ok(|d| d.id)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(ids, (1..=120).collect::<Vec<_>>());
}

#[tokio::test]
async fn pages_start_at_the_request_start_and_read_nested_items() {
    let shared = table(1..=120);
    let (_server, client) = portal(&shared).await;
    let request = DealList {
        start: Some(100),
        ..DealList::default()
    };
    let pages: Vec<_> = client.pages(request).try_collect::<Vec<_>>().await.unwrap();
    assert_eq!(pages.len(), 1);
    assert_eq!(pages[0].items.first().map(|d| d.id), Some(101));

    let rows: Vec<_> = client
        .items(ItemList { entity_type_id: 2 })
        .try_collect::<Vec<_>>()
        .await
        .unwrap();
    assert_eq!(rows.len(), 120);
    assert_eq!(rows[0]["id"], 1);
    assert_eq!(shared.lock().unwrap().calls[1]["entityTypeId"], 2);
}

// ---------------------------------------------------------------------------------------
// Export by ID cursor

#[tokio::test]
async fn export_requests_by_cursor_without_count() {
    let shared = table(1..=230);
    let (_server, client) = portal(&shared).await;
    let mut filter = Map::new();
    filter.insert("CATEGORY_ID".into(), json!(0));
    let mut order = Map::new();
    order.insert("TITLE".into(), json!("DESC"));
    let request = DealList {
        select: Some(vec!["TITLE".into()]),
        filter: Some(filter),
        order: Some(order),
        start: Some(100),
    };
    let ids: Vec<i64> = client
        .export(request)
        .map_ok(|d| d.id)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(ids, (1..=230).collect::<Vec<_>>());
    // 50 + 50 + 50 + 50 + 30: the short page ends it.
    assert_eq!(requests(&shared), 5);
    let state = shared.lock().unwrap();
    let first = &state.calls[0];
    assert_eq!(first["start"], -1);
    assert_eq!(first["order"], json!({"ID": "ASC"}));
    assert_eq!(first["filter"], json!({"CATEGORY_ID": 0, ">ID": 0}));
    assert_eq!(first["select"], json!(["TITLE", "ID"]));
    let cursors: Vec<_> = state
        .calls
        .iter()
        .map(|c| c["filter"][">ID"].clone())
        .collect();
    assert_eq!(
        cursors,
        [json!(0), json!(50), json!(100), json!(150), json!(200)]
    );
}

#[tokio::test]
async fn export_of_an_exact_multiple_ends_on_an_empty_page() {
    let shared = table(1..=100);
    let (_server, client) = portal(&shared).await;
    let n = client
        .export(DealList::default())
        .try_collect::<Vec<_>>()
        .await
        .unwrap()
        .len();
    assert_eq!(n, 100);
    assert_eq!(requests(&shared), 3);
}

#[tokio::test]
async fn export_starts_after_a_given_id() {
    let shared = table(1..=120);
    let (_server, client) = portal(&shared).await;
    let mut filter = Map::new();
    filter.insert(">ID".into(), json!("100"));
    let request = DealList {
        filter: Some(filter),
        ..DealList::default()
    };
    let ids: Vec<i64> = client
        .export(request)
        .map_ok(|d| d.id)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(ids, (101..=120).collect::<Vec<_>>());
}

/// Rows are deleted and added while the export runs, and the portal once repeats the
/// cursor row: every row present from start to end comes exactly once, in ID order.
#[tokio::test]
async fn export_is_exact_while_rows_change() {
    let initial: Vec<i64> = (1..=300).filter(|i| i % 4 != 0).collect(); // 225 rows, gaps
    let shared = table(initial.clone());
    {
        let mut s = shared.lock().unwrap();
        s.before = Some(Box::new(|n, rows| {
            if n == 3 {
                rows.remove(&5); // already delivered
                rows.remove(&250); // not yet delivered
                rows.insert(1000, json!({"ID": "1000"}));
                rows.insert(301, json!({"ID": 301}));
                rows.insert(4, json!({"ID": "4"})); // new, behind the cursor: never seen
            }
        }));
        s.inclusive_on = Some(4);
    }
    let (_server, client) = portal(&shared).await;
    let ids: Vec<i64> = client
        .export(DealList::default())
        .map_ok(|d| d.id)
        .try_collect()
        .await
        .unwrap();
    let unique: BTreeSet<i64> = ids.iter().copied().collect();
    assert_eq!(unique.len(), ids.len(), "duplicates in {ids:?}");
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "not in ID order");
    for id in initial.iter().filter(|id| ![5, 250].contains(*id)) {
        assert!(
            unique.contains(id),
            "row {id} was present throughout but not delivered"
        );
    }
    assert!(!unique.contains(&250));
    assert!(unique.contains(&1000) && unique.contains(&301));
    assert!(!unique.contains(&4));
}

#[tokio::test]
async fn export_needs_an_id_field_and_a_moving_cursor() {
    let shared = table(1..=120);
    let (_server, client) = portal(&shared).await;
    let first = std::pin::pin!(client.export(AddressList {}))
        .next()
        .await
        .unwrap();
    assert!(matches!(first, Err(Error::Config(ref m)) if m.contains("crm.address.list")));
    let first = std::pin::pin!(client.export_batched(AddressList {}))
        .next()
        .await
        .unwrap();
    assert!(matches!(first, Err(Error::Config(_))));
    assert_eq!(requests(&shared), 0);

    shared.lock().unwrap().ignore_filter = true;
    let result: Result<Vec<_>, _> = client.export(DealList::default()).try_collect().await;
    assert!(
        matches!(result, Err(Error::Decode { ref source, .. }) if source.to_string().contains("ignored the filter"))
    );
}

// ---------------------------------------------------------------------------------------
// Export chained in batch

#[tokio::test]
async fn batched_export_of_1000_rows_is_one_request() {
    let shared = table(1..=1000);
    let (_server, client) = portal(&shared).await;
    let ids: Vec<i64> = client
        .export_batched(DealList::default())
        .map_ok(|d| d.id)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(ids, (1..=1000).collect::<Vec<_>>());
    // 20 full pages and an empty 21st, all in the first batch of 50 commands.
    assert_eq!(requests(&shared), 1);
    let state = shared.lock().unwrap();
    let batch = &state.batches[0];
    assert_eq!(batch["halt"], 1);
    let cmd = batch["cmd"].as_object().unwrap();
    assert_eq!(cmd.len(), 50);
    assert_eq!(
        cmd["cmd0"],
        "crm.deal.list?order[ID]=ASC&start=-1&filter[>ID]=0"
    );
    assert_eq!(
        cmd["cmd1"],
        "crm.deal.list?order[ID]=ASC&start=-1&filter[>ID]=$result[cmd0][49][ID]"
    );
}

#[tokio::test]
async fn batched_export_takes_a_request_per_2500_rows() {
    let shared = table(1..=2600);
    let (_server, client) = portal(&shared).await;
    let ids: Vec<i64> = client
        .export_batched(DealList::default())
        .map_ok(|d| d.id)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(ids, (1..=2600).collect::<Vec<_>>());
    assert_eq!(requests(&shared), 2);
    let state = shared.lock().unwrap();
    assert_eq!(
        state.batches[1]["cmd"]["cmd0"],
        "crm.deal.list?order[ID]=ASC&start=-1&filter[>ID]=2500"
    );
}

#[tokio::test]
async fn batched_export_of_2500_rows_needs_a_second_request_to_see_the_end() {
    let shared = table(1..=2500);
    let (_server, client) = portal(&shared).await;
    let n = client
        .export_batched(DealList::default())
        .try_collect::<Vec<_>>()
        .await
        .unwrap()
        .len();
    assert_eq!(n, 2500);
    assert_eq!(requests(&shared), 2);
}

#[tokio::test]
async fn batched_export_follows_nested_items() {
    let shared = table(1..=120);
    let (_server, client) = portal(&shared).await;
    let rows: Vec<_> = client
        .export_batched(ItemList { entity_type_id: 2 })
        .try_collect::<Vec<_>>()
        .await
        .unwrap();
    let ids: Vec<i64> = rows.iter().map(|r| r["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, (1..=120).collect::<Vec<_>>());
    assert_eq!(requests(&shared), 1);
    let state = shared.lock().unwrap();
    assert_eq!(
        state.batches[0]["cmd"]["cmd1"],
        "crm.item.list?entityTypeId=2&order[id]=ASC&start=-1&filter[>id]=$result[cmd0][items][49][id]"
    );
}

/// A command's error ends the export after the rows before it; `OPERATION_TIME_LIMIT` too
/// when the client does not track operating time (otherwise it is waited out: see
/// `tests/export_limits.rs`).
#[tokio::test]
async fn batched_export_surfaces_a_command_error() {
    for (code, tracked) in [("ACCESS_DENIED", true), ("OPERATION_TIME_LIMIT", false)] {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path_regex("batch$"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "result": {
                    "result": {"cmd0": (1..=50).map(|i| json!({"ID": i})).collect::<Vec<_>>()},
                    "result_error": {"cmd1": {"error": code, "error_description": "scripted"}}
                }
            })))
            .mount(&server)
            .await;
        let builder = Client::builder(&format!("{}/rest/1/abc123/", server.uri()))
            .allow_insecure_loopback()
            .retry(RetryPolicy::never());
        let builder = if tracked {
            builder
        } else {
            builder.no_operating_limit()
        };
        let client = builder.build().unwrap();
        let mut stream = std::pin::pin!(client.export_batched(DealList::default()));
        let mut ok = 0;
        let mut error = None;
        while let Some(item) = stream.next().await {
            match item {
                Ok(_) => ok += 1,
                Err(e) => error = Some(e),
            }
        }
        assert_eq!(ok, 50, "{code}");
        assert!(error.unwrap().api().unwrap().is(code));
    }
}
