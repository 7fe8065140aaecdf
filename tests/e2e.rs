//! End to end: generated requests sent through `bitrix24::Client` to a mock portal on
//! 127.0.0.1, checking the wire request (path, method name, encoded parameters) and the
//! typed decoding of the answer, including the portal's numbers-as-strings.

use bitrix24::crm::calllist::add::{Add, EntityType};
use bitrix24::crm::calllist::get::Get;
use bitrix24::{Client, ErrorCode};
use serde_json::json;
use wiremock::matchers::{body_json, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const HOOK: &str = "/rest/1/abc123";

async fn portal() -> (MockServer, Client) {
    let server = MockServer::start().await;
    assert!(
        server.uri().starts_with("http://127.0.0.1:"),
        "{}",
        server.uri()
    );
    // Plain http to 127.0.0.1 needs the explicit opt-in; no retries, so the
    // QUERY_LIMIT_EXCEEDED answer below comes back at once.
    let client = Client::builder(&format!("{}{HOOK}/", server.uri()))
        .allow_insecure_loopback()
        .retry(bitrix24_runtime::RetryPolicy::never())
        .build()
        .expect("webhook URL");
    (server, client)
}

#[tokio::test]
async fn add_then_get_a_call_list() {
    let (server, client) = portal().await;
    Mock::given(method("POST"))
        .and(path(format!("{HOOK}/crm.calllist.add")))
        .and(body_json(
            json!({"ENTITY_TYPE": "CONTACT", "ENTITIES": [1, 2, 3], "WEBFORM_ID": 5}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "result": 11,
            "time": {"start": 1752471668.06, "finish": 1752471668.53, "duration": 0.47,
                     "processing": 0.41, "date_start": "2025-07-14T08:41:08+02:00",
                     "date_finish": "2025-07-14T08:41:08+02:00",
                     "operating_reset_at": 1752472268, "operating": 0.41}
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("{HOOK}/crm.calllist.get")))
        .and(body_json(json!({"ID": 11})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "result": {"ID": "11", "DATE_CREATE": "2025-07-14 08:47:19", "CREATED_BY_ID": "29",
                       "WEBFORM_ID": "5", "ENTITY_TYPE_ID": "3", "ENTITY_TYPE": "CONTACT",
                       "UF_NEW_FIELD": "kept"}
        })))
        .expect(1)
        .mount(&server)
        .await;

    let id = client
        .call(Add::new(EntityType::Contact, [1, 2, 3]).webform_id(5))
        .await
        .expect("crm.calllist.add succeeds");
    assert_eq!(id, 11);

    let list = client
        .call(Get::new(id))
        .await
        .expect("crm.calllist.get succeeds");
    assert_eq!(list.id, Some(11), "\"11\" decodes as an integer");
    assert_eq!(list.created_by_id, Some(29));
    assert_eq!(list.entity_type_id, Some(3));
    let created = list.date_create.expect("DATE_CREATE");
    assert_eq!(created.to_string(), "2025-07-14 08:47:19");
    assert_eq!(created.offset(), None, "the portal's local time, no offset");
    assert_eq!(
        list.extra().get("UF_NEW_FIELD"),
        Some(&json!("kept")),
        "unknown fields are kept"
    );
}

#[tokio::test]
async fn documented_errors_map_to_error_codes() {
    let (server, client) = portal().await;
    Mock::given(method("POST"))
        .and(path(format!("{HOOK}/crm.calllist.get")))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "error": "LIST_ID_ERROR",
            "error_description": "Incorrect list id"
        })))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("{HOOK}/crm.calllist.add")))
        .respond_with(ResponseTemplate::new(503).set_body_json(json!({
            "error": "query_limit_exceeded",
            "error_description": "Too many requests"
        })))
        .mount(&server)
        .await;

    let err = client
        .call(Get::new(999))
        .await
        .expect_err("the portal refuses");
    assert_eq!(ErrorCode::of(&err), Some(ErrorCode::ListIdError));
    let api = err.api().expect("an API error");
    assert_eq!(
        (api.status, api.description.as_str()),
        (400, "Incorrect list id")
    );

    let err = client
        .call(Add::new(EntityType::Company, [7]))
        .await
        .expect_err("over the limit");
    assert_eq!(
        ErrorCode::of(&err),
        Some(ErrorCode::QueryLimitExceeded),
        "codes match case-insensitively"
    );
    assert!(err.is_retryable());
    assert!(
        !err.to_string().contains("abc123"),
        "no webhook code in errors: {err}"
    );
}
