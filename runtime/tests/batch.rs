//! `batch`: query-string encoding of commands, typed results, response shapes, chunking,
//! references; against wiremock on 127.0.0.1.

mod php_query;

use std::sync::{Arc, Mutex};

use bitrix24_runtime::wire::query;
use bitrix24_runtime::{Client, CommandError, Error, Method, RetryPolicy};
use serde::Serialize;
use serde_json::{Map, Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const BATCH_PATH: &str = "/rest/1/abc123/batch";

fn client(server: &MockServer) -> Client {
    Client::builder(&format!("{}/rest/1/abc123/", server.uri()))
        .allow_insecure_loopback()
        .retry(RetryPolicy::never())
        .build()
        .unwrap()
}

#[derive(Serialize)]
struct DealAdd {
    fields: Value,
}

impl Method for DealAdd {
    const NAME: &'static str = "crm.deal.add";
    const READ_ONLY: bool = false;
    type Output = i64;
}

#[derive(Serialize)]
struct DealGet {
    id: Value,
}

impl Method for DealGet {
    const NAME: &'static str = "crm.deal.get";
    const READ_ONLY: bool = true;
    type Output = Map<String, Value>;
}

#[derive(Serialize)]
struct DealList {
    filter: Value,
    select: Vec<&'static str>,
}

impl Method for DealList {
    const NAME: &'static str = "crm.deal.list";
    const READ_ONLY: bool = true;
    type Output = Vec<Map<String, Value>>;
}

/// A method without parameters (serialises to `null`).
#[derive(Serialize)]
struct UserCurrent;

impl Method for UserCurrent {
    const NAME: &'static str = "user.current";
    const READ_ONLY: bool = true;
    type Output = Value;
}

// ---------------------------------------------------------------------------------------
// Query-string encoding

#[test]
fn query_nested_arrays_and_scalars() {
    let q = query::encode(&json!({
        "fields": {"TITLE": "Deal", "OPPORTUNITY": 1500.5, "OPENED": "Y", "CLOSED": "N"},
        "filter": {">ID": 5, "!@STAGE_ID": ["WON", "LOSE"], "=%TITLE": "Big%"},
        "select": ["ID", "UF_*"],
        "params": {"REGISTER_SONET_EVENT": true, "IMPORT": false},
        "start": -1
    }))
    .unwrap();
    assert_eq!(
        q,
        "fields[TITLE]=Deal&fields[OPPORTUNITY]=1500.5&fields[OPENED]=Y&fields[CLOSED]=N\
         &filter[>ID]=5&filter[!@STAGE_ID][0]=WON&filter[!@STAGE_ID][1]=LOSE\
         &filter[%3D%25TITLE]=Big%25&select[0]=ID&select[1]=UF_%2A\
         &params[REGISTER_SONET_EVENT]=1&params[IMPORT]=0&start=-1"
    );
}

#[test]
fn query_special_characters_round_trip_through_parse_str() {
    let tricky = "John&Martin = 100% #1 + a?b/c 'x' \"y\" Ünïcödé 😀 [z]";
    let params = json!({
        "fields": {"TITLE": tricky, "COMMENTS": "line1\nline2\ttab"},
        "filter": {"<=DATE": "2025-01-31T10:00:00+03:00", "%NAME": "a&b"},
        "deep": {"a": {"b": {"c": [1, [2, 3]]}}}
    });
    let q = query::encode(&params).unwrap();
    for bad in [' ', '#', '\n', '"', '+', '\''] {
        assert!(!q.contains(bad), "{bad:?} must be encoded: {q}");
    }
    let parsed = Value::Object(php_query::parse_str(&q));
    assert_eq!(
        parsed,
        json!({
            "fields": {"TITLE": tricky, "COMMENTS": "line1\nline2\ttab"},
            "filter": {"<=DATE": "2025-01-31T10:00:00+03:00", "%NAME": "a&b"},
            "deep": {"a": {"b": {"c": {"0": "1", "1": {"0": "2", "1": "3"}}}}}
        })
    );
}

#[test]
fn query_refuses_null_naming_the_key() {
    let e = query::encode(&json!({"filter": {"UF_CRM_1": null}})).unwrap_err();
    assert_eq!(e.key(), "filter[UF_CRM_1]");
    assert!(e.to_string().contains("`filter[UF_CRM_1]`"), "{e}");
    let e = query::encode(&json!({"select": ["ID", null]})).unwrap_err();
    assert_eq!(e.key(), "select[1]");
    let e = query::encode(&json!({"start": null})).unwrap_err();
    assert_eq!(e.key(), "start");
}

#[test]
fn query_empty_containers_are_left_out_and_bad_names_refused() {
    assert_eq!(
        query::encode(&json!({"filter": {}, "select": [], "order": {"ID": "ASC"}})).unwrap(),
        "order[ID]=ASC"
    );
    assert_eq!(query::encode(&Value::Null).unwrap(), "");
    assert_eq!(query::encode(&json!({})).unwrap(), "");
    assert_eq!(
        query::encode(&json!({"fields": {"a]b": 1}}))
            .unwrap_err()
            .key(),
        "fields[a]b]"
    );
    assert_eq!(
        query::encode(&json!({"fields": {"": 1}}))
            .unwrap_err()
            .key(),
        "fields[]"
    );
    assert!(query::encode(&json!({"a.b": 1})).is_err());
    assert!(query::encode(&json!({"a b": 1})).is_err());
    assert!(query::encode(&json!([1, 2])).is_err());
    // Below the top level, PHP keeps dots and spaces.
    assert_eq!(
        query::encode(&json!({"f": {"a.b c": 1}})).unwrap(),
        "f[a.b%20c]=1"
    );
}

#[test]
fn query_keeps_references_readable() {
    assert_eq!(
        query::encode(&json!({"ID": "$result[cmd0][items][49][id]"})).unwrap(),
        "ID=$result[cmd0][items][49][id]"
    );
}

// ---------------------------------------------------------------------------------------
// Typed batches

fn time_json() -> Value {
    json!({"start": 1.5, "finish": 1.75, "duration": 0.25, "processing": 0.2,
           "date_start": "2025-01-31T10:00:00+03:00", "date_finish": "2025-01-31T10:00:00+03:00"})
}

#[tokio::test]
async fn three_typed_commands_with_mixed_results() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(BATCH_PATH))
        .and(wiremock::matchers::body_json(json!({
            "halt": 0,
            "cmd": {
                "cmd0": "crm.deal.add?fields[TITLE]=A%20%26%20B&fields[OPENED]=Y",
                "cmd1": "crm.deal.get?id=999",
                "cmd2": "crm.deal.list?filter[>ID]=0&select[0]=ID&select[1]=TITLE"
            }
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "result": {
                "result": {"cmd0": "11", "cmd2": [{"ID": "1", "TITLE": "x"}, {"ID": "2", "TITLE": "y"}]},
                "result_error": {"cmd1": {"error": "", "error_description": "Not found"}},
                "result_total": {"cmd2": 120},
                "result_next": {"cmd2": 50},
                "result_time": {"cmd0": time_json(), "cmd2": time_json()}
            },
            "time": time_json()
        })))
        .expect(1)
        .mount(&server)
        .await;

    let client = client(&server);
    let mut batch = client.batch();
    let a = batch
        .push(DealAdd {
            fields: json!({"TITLE": "A & B", "OPENED": "Y"}),
        })
        .unwrap();
    let b = batch.push(DealGet { id: json!(999) }).unwrap();
    let c = batch
        .push(DealList {
            filter: json!({">ID": 0}),
            select: vec!["ID", "TITLE"],
        })
        .unwrap();
    assert_eq!((a.key(), b.key(), c.key()), ("cmd0", "cmd1", "cmd2"));
    assert_eq!(batch.requests(), 1);
    assert_eq!(batch.command(&b), Some("crm.deal.get?id=999"));
    let results = batch.send().await.unwrap();

    let id: i64 = results.get(&a).unwrap();
    assert_eq!(id, 11);
    assert!(results.result_time(&a).is_some());
    assert_eq!(results.result_total(&a), None);

    let err = results.get(&b).unwrap_err();
    let api = err.api().unwrap();
    assert_eq!(api.code, "");
    assert_eq!(api.description, "Not found");
    assert!(
        matches!(err, CommandError::Api { ref key, method, .. } if key == "cmd1" && method == "crm.deal.get")
    );
    assert_eq!(results.error(&b).unwrap().description, "Not found");
    // As the crate's error, through `?`.
    let as_error: Error = err.into();
    assert!(matches!(as_error, Error::Api(ref e) if e.description == "Not found"));

    let rows = results.get(&c).unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(
        (results.result_total(&c), results.result_next(&c)),
        (Some(120), Some(50))
    );
    let response = results.response(&c).unwrap();
    assert_eq!((response.total, response.next), (Some(120), Some(50)));
    assert_eq!(response.time.unwrap().duration, 0.25);
    assert_eq!(results.requests(), 1);
    assert!(results.request_error().is_none());
}

#[tokio::test]
async fn array_shaped_sections_and_halt() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(BATCH_PATH))
        .and(wiremock::matchers::body_json(json!({
            "halt": 1,
            "cmd": {"cmd0": "user.current", "cmd1": "crm.deal.get?id=1", "cmd2": "crm.deal.get?id=2"}
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "result": {
                "result": {"cmd0": {"ID": "1"}},
                "result_error": {"cmd1": {"error": "ACCESS_DENIED", "error_description": "Access denied"}},
                "result_total": [],
                "result_next": [],
                "result_time": []
            }
        })))
        .mount(&server)
        .await;
    let client = client(&server);
    let mut batch = client.batch();
    batch.halt(true);
    let a = batch.push(UserCurrent).unwrap();
    let b = batch.push(DealGet { id: json!(1) }).unwrap();
    let c = batch.push(DealGet { id: json!(2) }).unwrap();
    let results = batch.send().await.unwrap();
    assert_eq!(results.get(&a).unwrap(), json!({"ID": "1"}));
    assert!(
        results
            .get(&b)
            .unwrap_err()
            .api()
            .unwrap()
            .is("access_denied")
    );
    assert!(matches!(
        results.get(&c).unwrap_err(),
        CommandError::NoResult { ref key, .. } if key == "cmd2"
    ));
    assert!(results.raw(&c).is_none());
}

#[tokio::test]
async fn all_failed_batch_has_array_result_section() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(BATCH_PATH))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "result": {
                "result": [],
                "result_error": {
                    "cmd0": {"error": "insufficient_scope", "error_description": ""},
                    "cmd1": {"error": "insufficient_scope", "error_description": ""}
                },
                "result_total": [], "result_next": [], "result_time": []
            }
        })))
        .mount(&server)
        .await;
    let client = client(&server);
    let mut batch = client.batch();
    let a = batch.push(UserCurrent).unwrap();
    let b = batch.push(UserCurrent).unwrap();
    let results = batch.send().await.unwrap();
    for h in [&a, &b] {
        assert!(
            results
                .get(h)
                .unwrap_err()
                .api()
                .unwrap()
                .is("INSUFFICIENT_SCOPE")
        );
    }
}

#[tokio::test]
async fn result_decoding_errors_are_per_command() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(BATCH_PATH))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "result": {"result": {"cmd0": "not a number", "cmd1": "7"}, "result_error": []}
        })))
        .mount(&server)
        .await;
    let client = client(&server);
    let mut batch = client.batch();
    let a = batch.push(DealAdd { fields: json!({}) }).unwrap();
    let b = batch.push(DealAdd { fields: json!({}) }).unwrap();
    let results = batch.send().await.unwrap();
    assert!(matches!(results.get(&a), Err(CommandError::Decode { .. })));
    assert_eq!(results.get(&b).unwrap(), 7);
}

/// Answers every batch by echoing each command's key as its result, and records the
/// commands of each request.
fn echo_portal(log: Arc<Mutex<Vec<Vec<String>>>>, fail_from: usize) -> impl wiremock::Respond {
    move |req: &Request| {
        let body: Value = serde_json::from_slice(&req.body).unwrap();
        let cmd = body["cmd"].as_object().unwrap();
        let mut log = log.lock().unwrap();
        log.push(cmd.keys().cloned().collect());
        if log.len() > fail_from {
            return ResponseTemplate::new(500).set_body_string("<html>gateway</html>");
        }
        let result: Map<String, Value> = cmd
            .iter()
            .map(|(k, v)| {
                let (_, params) = php_query::command(v.as_str().unwrap());
                (k.clone(), params["fields"]["N"].clone())
            })
            .collect();
        ResponseTemplate::new(200)
            .set_body_json(json!({"result": {"result": result, "result_error": []}}))
    }
}

#[tokio::test]
async fn independent_commands_are_chunked_by_fifty() {
    let server = MockServer::start().await;
    let log = Arc::new(Mutex::new(Vec::new()));
    Mock::given(method("POST"))
        .and(path(BATCH_PATH))
        .respond_with(echo_portal(log.clone(), usize::MAX))
        .mount(&server)
        .await;
    let client = client(&server);
    let mut batch = client.batch();
    let handles: Vec<_> = (0..120)
        .map(|i| {
            batch
                .push(DealAdd {
                    fields: json!({"N": i}),
                })
                .unwrap()
        })
        .collect();
    assert_eq!(batch.requests(), 3);
    let results = batch.send().await.unwrap();
    let sizes: Vec<usize> = log.lock().unwrap().iter().map(Vec::len).collect();
    assert_eq!(sizes, [50, 50, 20]);
    assert_eq!(results.requests(), 3);
    for (i, h) in handles.iter().enumerate() {
        assert_eq!(results.get(h).unwrap(), i as i64);
    }
}

#[tokio::test]
async fn a_failed_later_request_keeps_the_earlier_results() {
    let server = MockServer::start().await;
    let log = Arc::new(Mutex::new(Vec::new()));
    Mock::given(method("POST"))
        .and(path(BATCH_PATH))
        .respond_with(echo_portal(log.clone(), 1))
        .mount(&server)
        .await;
    let client = client(&server);
    let mut batch = client.batch();
    let handles: Vec<_> = (0..120)
        .map(|i| {
            batch
                .push(DealAdd {
                    fields: json!({"N": i}),
                })
                .unwrap()
        })
        .collect();
    let results = batch.send().await.unwrap();
    // The second request failed; the third was not sent.
    assert_eq!(log.lock().unwrap().len(), 2);
    assert_eq!(results.requests(), 1);
    assert!(results.request_error().is_some());
    assert_eq!(results.get(&handles[49]).unwrap(), 49);
    assert!(matches!(
        results.get(&handles[50]),
        Err(CommandError::NoResult { .. })
    ));
    assert!(matches!(
        results.get(&handles[119]),
        Err(CommandError::NoResult { .. })
    ));
}

#[tokio::test]
async fn a_failed_first_request_is_the_error() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(BATCH_PATH))
        .respond_with(ResponseTemplate::new(503).set_body_json(
            json!({"error": "QUERY_LIMIT_EXCEEDED", "error_description": "Too many requests"}),
        ))
        .mount(&server)
        .await;
    let client = client(&server);
    let mut batch = client.batch();
    batch.push(UserCurrent).unwrap();
    let e = batch.send().await.unwrap_err();
    assert!(e.api().unwrap().is("QUERY_LIMIT_EXCEEDED"));
}

#[tokio::test]
async fn references_go_in_one_request() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(BATCH_PATH))
        .and(wiremock::matchers::body_json(json!({
            "halt": 0,
            "cmd": {
                "cmd0": "crm.deal.add?fields[TITLE]=x",
                "cmd1": "crm.deal.get?id=$result[cmd0]"
            }
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "result": {"result": {"cmd0": 5, "cmd1": {"ID": "5"}}}
        })))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server);
    let mut batch = client.batch();
    let a = batch
        .push(DealAdd {
            fields: json!({"TITLE": "x"}),
        })
        .unwrap();
    assert_eq!(a.reference(["ID"]), "$result[cmd0][ID]");
    assert_eq!(a.reference([]), a.result());
    assert_eq!(a.result(), "$result[cmd0]");
    assert_eq!(
        a.reference(["items", "0", "id"]),
        "$result[cmd0][items][0][id]"
    );
    let b = batch
        .push(DealGet {
            id: Value::from(a.reference([])),
        })
        .unwrap();
    assert!(batch.has_references());
    let results = batch.send().await.unwrap();
    assert_eq!(results.get(&b).unwrap()["ID"], "5");
}

#[tokio::test]
async fn references_or_halt_beyond_fifty_are_refused() {
    let server = MockServer::start().await;
    let client = client(&server);

    let mut batch = client.batch();
    let first = batch.push(DealAdd { fields: json!({}) }).unwrap();
    for _ in 0..49 {
        batch.push(DealAdd { fields: json!({}) }).unwrap();
    }
    batch
        .push(DealGet {
            id: Value::from(first.reference(["ID"])),
        })
        .unwrap();
    assert_eq!(batch.len(), 51);
    let e = batch.send().await.unwrap_err();
    assert!(
        matches!(e, Error::Config(ref m) if m.contains("$result") && m.contains("51")),
        "{e}"
    );

    let mut batch = client.batch();
    batch.halt(true);
    for _ in 0..51 {
        batch.push(UserCurrent).unwrap();
    }
    let e = batch.send().await.unwrap_err();
    assert!(
        matches!(e, Error::Config(ref m) if m.contains("halt")),
        "{e}"
    );
    // Nothing was sent.
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn push_refuses_null_and_nested_batches() {
    let server = MockServer::start().await;
    let client = client(&server);
    let mut batch = client.batch();
    let e = batch
        .push(DealList {
            filter: json!({"UF_CRM_1": null}),
            select: vec![],
        })
        .unwrap_err();
    assert!(matches!(e, Error::Encode { ref method, .. } if method == "crm.deal.list"));
    assert!(e.to_string().contains("filter[UF_CRM_1]"), "{e}");

    #[derive(Serialize)]
    struct Nested;
    impl Method for Nested {
        const NAME: &'static str = "batch";
        const READ_ONLY: bool = false;
        type Output = Value;
    }
    assert!(matches!(batch.push(Nested), Err(Error::Config(_))));
    assert!(batch.is_empty());
    // An empty batch sends nothing.
    let results = batch.send().await.unwrap();
    assert_eq!(results.requests(), 0);
}
