//! REST 3.0 methods (`Method::REST_V3`): their address, their error object, and the
//! `Idempotency-Key` that makes a write safe to resend, on a scripted transport with a
//! paused clock.

mod support;

use bitrix24_runtime::{Client, Error, Method, TransportErrorKind};
use serde::Serialize;
use serde_json::{Value, json};
use support::{Fake, Reply, builder, client, ok};

/// `tasks.task.add` of REST 3.0: a write.
#[derive(Serialize)]
struct AddTask {
    fields: Value,
}

impl Method for AddTask {
    const NAME: &'static str = "tasks.task.add";
    const READ_ONLY: bool = false;
    const REST_V3: bool = true;
    type Output = Value;
}

/// `tasks.task.get` of REST 3.0: a read.
#[derive(Serialize)]
struct GetTask {
    id: i64,
}

impl Method for GetTask {
    const NAME: &'static str = "tasks.task.get";
    const READ_ONLY: bool = true;
    const REST_V3: bool = true;
    type Output = Value;
}

/// The classic `tasks.task.add` (same name, other address).
#[derive(Serialize)]
struct ClassicAdd {
    fields: Value,
}

impl Method for ClassicAdd {
    const NAME: &'static str = "tasks.task.add";
    const READ_ONLY: bool = false;
    type Output = Value;
}

fn add() -> AddTask {
    AddTask {
        fields: json!({"title": "Prepare a report", "responsibleId": 1}),
    }
}

fn key(sent: &support::Sent) -> Option<&str> {
    sent.headers
        .iter()
        .find(|(name, _)| *name == "Idempotency-Key")
        .map(|(_, v)| v.as_str())
}

#[tokio::test(start_paused = true)]
async fn a_rest_v3_method_is_called_at_rest_api() {
    let fake = Fake::new(|_, _| ok(json!({"item": {"id": 42}})));
    let c = client(&fake);
    let item = c.call(GetTask { id: 42 }).await.unwrap();
    assert_eq!(item["item"]["id"], 42);
    c.call(ClassicAdd { fields: json!({}) }).await.unwrap();
    let sent = fake.sent();
    assert_eq!(
        sent[0].url,
        "https://example.bitrix24.com/rest/api/7/s3cr3tc0de42xyz/tasks.task.get"
    );
    assert_eq!(sent[0].json(), json!({"id": 42}));
    // A read carries no key; the classic method keeps the classic address.
    assert_eq!(key(&sent[0]), None);
    assert_eq!(
        sent[1].url,
        "https://example.bitrix24.com/rest/7/s3cr3tc0de42xyz/tasks.task.add"
    );
    assert_eq!(key(&sent[1]), None);
}

#[tokio::test(start_paused = true)]
async fn the_rest_v3_error_object_is_an_api_error_with_its_validation() {
    let fake = Fake::new(|_, _| {
        Reply::Json(
            400,
            json!({"error": {
                "code": "BITRIX_REST_V3_EXCEPTION_VALIDATION_REQUESTVALIDATIONEXCEPTION",
                "message": "Error validating request object",
                "validation": [{"message": "Required field `id` is not specified", "field": "id"}]
            }}),
        )
    });
    let e = client(&fake).call(GetTask { id: 0 }).await.unwrap_err();
    let api = e.api().expect("an API error");
    assert!(api.is("BITRIX_REST_V3_EXCEPTION_VALIDATION_REQUESTVALIDATIONEXCEPTION"));
    assert_eq!(api.description, "Error validating request object");
    assert_eq!(api.status, 400);
    assert_eq!(api.validation.len(), 1);
    assert_eq!(api.validation[0].field.as_deref(), Some("id"));
    assert_eq!(
        e.to_string(),
        "Bitrix24 API error BITRIX_REST_V3_EXCEPTION_VALIDATION_REQUESTVALIDATIONEXCEPTION (HTTP 400): \
         Error validating request object; `id`: Required field `id` is not specified"
    );
    // A validation error is final: sent once.
    assert_eq!(fake.sent().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_rest_v3_write_is_resent_with_the_same_key_after_the_portal_is_done() {
    // The connection drops after the request went out: the task may have been created.
    let fake = Fake::new(|_, i| {
        if i == 0 {
            Reply::Fail(TransportErrorKind::Other)
        } else {
            ok(json!({"item": {"id": 7}}))
        }
    });
    let item = client(&fake).call(add()).await.unwrap();
    assert_eq!(item["item"]["id"], 7);
    let sent = fake.sent();
    assert_eq!(sent.len(), 2);
    let first = key(&sent[0]).expect("a key on the write");
    assert_eq!(first.len(), 32);
    assert!(first.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_eq!(
        key(&sent[1]),
        Some(first),
        "the resend carries the same key"
    );
    assert_eq!(sent[0].body, sent[1].body, "and the same body");
    // Not before the portal's 60 s limit on one call has passed since the first send.
    assert_eq!(fake.times("tasks.task.add"), [0.0, 60.0]);
}

#[tokio::test(start_paused = true)]
async fn each_call_gets_its_own_key() {
    let fake = Fake::new(|_, _| ok(json!({"item": {"id": 1}})));
    let c = client(&fake);
    c.call(add()).await.unwrap();
    c.call(add()).await.unwrap();
    let sent = fake.sent();
    assert_ne!(key(&sent[0]), key(&sent[1]));
}

#[tokio::test(start_paused = true)]
async fn a_classic_write_is_still_sent_once() {
    let fake = Fake::new(|_, _| Reply::Fail(TransportErrorKind::Other));
    let e = client(&fake)
        .call(ClassicAdd { fields: json!({}) })
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Transport { .. }), "{e}");
    assert_eq!(fake.sent().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_rest_v3_write_is_not_resent_past_the_delay_budget() {
    let fake = Fake::new(|_, _| Reply::Fail(TransportErrorKind::Other));
    let mut p = support::policy();
    p.max_total_delay = std::time::Duration::from_secs(30);
    let e = builder(&fake)
        .retry(p)
        .build()
        .unwrap()
        .call(add())
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Transport { .. }), "{e}");
    assert_eq!(fake.sent().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_raw_rest_v3_call_is_a_write_at_rest_api() {
    let fake = Fake::new(|_, _| ok(json!({"result": true})));
    let c = client(&fake);
    c.call_raw_v3("tasks.task.delete", json!({"id": 5}))
        .await
        .unwrap();
    let sent = fake.sent();
    assert!(
        sent[0]
            .url
            .ends_with("/rest/api/7/s3cr3tc0de42xyz/tasks.task.delete"),
        "{}",
        sent[0].url
    );
    assert!(key(&sent[0]).is_some(), "a raw REST 3.0 call is a write");
}

#[test]
fn a_rest_v3_method_cannot_join_a_batch() {
    let c = Client::webhook(support::WEBHOOK).unwrap();
    let mut batch = c.batch();
    let e = batch.push(GetTask { id: 1 }).unwrap_err();
    assert!(matches!(e, Error::Config(_)), "{e}");
    assert!(e.to_string().contains("REST 3.0"), "{e}");
}
