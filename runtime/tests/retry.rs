//! The retry policy, rule by rule, on a scripted transport with a paused clock.

mod support;

use std::sync::Arc;
use std::time::Duration;

use bitrix24_runtime::{Client, Error, Method, RetryPolicy, TransportErrorKind};
use serde::Serialize;
use serde_json::{Value, json};
use support::{Fake, Reply, T0, api_error, builder, client, ok, ok_with_time, policy, since};
use tokio::time::Instant;

#[derive(Serialize)]
struct Add {
    title: &'static str,
}

impl Method for Add {
    const NAME: &'static str = "crm.item.add";
    const READ_ONLY: bool = false;
    type Output = i64;
}

#[derive(Serialize)]
struct List;

impl Method for List {
    const NAME: &'static str = "crm.item.list";
    const READ_ONLY: bool = true;
    type Output = Value;
}

fn add() -> Add {
    Add { title: "deal" }
}

fn bad_gateway() -> Reply {
    Reply::Raw(502, "<html><h1>502 Bad Gateway</h1></html>".into())
}

// ---------------------------------------------------------------------------------------
// QUERY_LIMIT_EXCEEDED: always retried, with backoff

#[tokio::test(start_paused = true)]
async fn query_limit_exceeded_is_retried_even_for_writes() {
    let fake = Fake::new(|_, i| {
        if i < 2 {
            api_error(503, "QUERY_LIMIT_EXCEEDED")
        } else {
            ok(json!(15))
        }
    });
    let id = client(&fake).call(add()).await.unwrap();
    assert_eq!(id, 15);
    // Backoff 0.5 s then 1 s; the bucket, set full by the error, has drained by then.
    assert_eq!(fake.times("crm.item.add"), [0.0, 0.5, 1.5]);
}

#[tokio::test(start_paused = true)]
async fn query_limit_exceeded_gives_up_after_max_attempts() {
    let fake = Fake::new(|_, _| api_error(503, "query_limit_exceeded"));
    let mut p = policy();
    p.max_attempts = 3;
    let e = builder(&fake)
        .retry(p)
        .build()
        .unwrap()
        .call(add())
        .await
        .unwrap_err();
    assert!(e.api().unwrap().is("QUERY_LIMIT_EXCEEDED"), "{e}");
    assert_eq!(fake.sent().len(), 3);
}

#[tokio::test(start_paused = true)]
async fn total_delay_is_bounded() {
    let fake = Fake::new(|_, _| api_error(503, "QUERY_LIMIT_EXCEEDED"));
    let mut p = policy();
    p.max_attempts = 100;
    p.base_delay = Duration::from_secs(1);
    p.max_total_delay = Duration::from_secs(2);
    let start = Instant::now();
    let e = builder(&fake)
        .retry(p)
        .build()
        .unwrap()
        .call(add())
        .await
        .unwrap_err();
    assert!(e.api().is_some());
    // 1 s, then 2 s would make 3 s > 2 s: stop after the second attempt.
    assert_eq!(fake.times("crm.item.add"), [0.0, 1.0]);
    assert_eq!(since(start), 1.0);
}

#[tokio::test(start_paused = true)]
async fn backoff_doubles_up_to_the_maximum() {
    let fake = Fake::new(|_, _| api_error(503, "QUERY_LIMIT_EXCEEDED"));
    let mut p = policy();
    p.max_attempts = 6;
    p.base_delay = Duration::from_secs(1);
    p.max_delay = Duration::from_secs(4);
    builder(&fake)
        .retry(p)
        .build()
        .unwrap()
        .call(add())
        .await
        .unwrap_err();
    assert_eq!(fake.times("crm.item.add"), [0.0, 1.0, 3.0, 7.0, 11.0, 15.0]);
}

#[tokio::test(start_paused = true)]
async fn never_sends_once() {
    let fake = Fake::new(|_, _| api_error(503, "QUERY_LIMIT_EXCEEDED"));
    let client = builder(&fake).retry(RetryPolicy::never()).build().unwrap();
    client.call(List).await.unwrap_err();
    assert_eq!(fake.sent().len(), 1);
}

#[test]
fn zero_attempts_is_a_config_error() {
    let fake = Fake::new(|_, _| ok(json!(1)));
    let mut p = policy();
    p.max_attempts = 0;
    let e = builder(&fake).retry(p).build().unwrap_err();
    assert!(matches!(e, Error::Config(_)), "{e}");
}

// ---------------------------------------------------------------------------------------
// Ambiguous failures: read-only methods only

#[tokio::test(start_paused = true)]
async fn a_write_is_sent_exactly_once_on_a_502() {
    let fake = Fake::new(|_, i| if i == 0 { bad_gateway() } else { ok(json!(99)) });
    let e = client(&fake).call(add()).await.unwrap_err();
    assert!(matches!(e, Error::Decode { status: 502, .. }), "{e:?}");
    assert_eq!(fake.sent().len(), 1, "no duplicate create");
}

#[tokio::test(start_paused = true)]
async fn a_write_is_sent_exactly_once_on_a_timeout() {
    let fake = Fake::new(|_, i| if i == 0 { Reply::Hang } else { ok(json!(99)) });
    let start = Instant::now();
    let e = client(&fake).call(add()).await.unwrap_err();
    match &e {
        Error::Transport { source, .. } => assert!(source.is_timeout(), "{source}"),
        other => panic!("expected a timeout, got {other:?}"),
    }
    assert_eq!(since(start), 70.0, "default request timeout");
    assert_eq!(fake.sent().len(), 1, "no duplicate create");
}

#[tokio::test(start_paused = true)]
async fn a_write_is_sent_once_on_a_connection_reset() {
    let fake = Fake::new(|_, _| Reply::Fail(TransportErrorKind::Other));
    let e = client(&fake).call(add()).await.unwrap_err();
    assert!(matches!(e, Error::Transport { .. }), "{e:?}");
    assert_eq!(fake.sent().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_failed_connection_is_retried_even_for_writes() {
    let fake = Fake::new(|_, i| {
        if i == 0 {
            Reply::Fail(TransportErrorKind::Connect)
        } else {
            ok(json!(5))
        }
    });
    assert_eq!(client(&fake).call(add()).await.unwrap(), 5);
    assert_eq!(fake.times("crm.item.add"), [0.0, 0.5]);
}

#[tokio::test(start_paused = true)]
async fn a_read_is_retried_on_502_timeout_and_reset() {
    let fake = Fake::new(|_, i| match i {
        0 => bad_gateway(),
        1 => Reply::Hang,
        2 => Reply::Fail(TransportErrorKind::Other),
        _ => ok(json!({"items": []})),
    });
    let client = builder(&fake)
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    assert_eq!(client.call(List).await.unwrap(), json!({"items": []}));
    // 502 at 0, backoff 0.5; hang at 0.5 until 5.5, backoff 1; reset at 6.5, backoff 2.
    assert_eq!(fake.times("crm.item.list"), [0.0, 0.5, 6.5, 8.5]);
}

#[tokio::test(start_paused = true)]
async fn a_5xx_with_an_error_code_is_final_even_for_reads() {
    let fake = Fake::new(|_, _| api_error(500, "INTERNAL_SERVER_ERROR"));
    let e = client(&fake).call(List).await.unwrap_err();
    assert!(e.api().unwrap().is("INTERNAL_SERVER_ERROR"));
    assert_eq!(fake.sent().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn overload_limit_is_final() {
    let fake = Fake::new(|_, _| api_error(503, "OVERLOAD_LIMIT"));
    client(&fake).call(List).await.unwrap_err();
    assert_eq!(fake.sent().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn other_api_errors_are_final() {
    let fake = Fake::new(|_, _| api_error(400, "ERROR_CORE"));
    client(&fake).call(List).await.unwrap_err();
    assert_eq!(fake.sent().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn call_raw_is_writing_unless_said_read_only() {
    let fake = Fake::new(|s, _| {
        if s.json()["n"] == json!(1) {
            bad_gateway()
        } else {
            ok(json!(true))
        }
    });
    let client = client(&fake);
    client
        .call_raw("crm.item.list", json!({"n": 1}))
        .await
        .unwrap_err();
    assert_eq!(fake.sent().len(), 1);
    client
        .call_raw_read_only("crm.item.list", json!({"n": 1}))
        .await
        .unwrap_err();
    assert_eq!(fake.sent().len(), 1 + 5, "read-only: all 5 attempts");
}

#[tokio::test(start_paused = true)]
async fn batch_is_retried_on_query_limit_but_never_after_an_ambiguous_failure() {
    let fake = Fake::new(|_, i| match i {
        0 => api_error(503, "QUERY_LIMIT_EXCEEDED"),
        1 => ok(json!({"result": {"a": 1}})),
        _ => bad_gateway(),
    });
    let client = client(&fake);
    let cmd = json!({"halt": 0, "cmd": {"a": "crm.item.add?fields[title]=x"}});
    let r = client
        .call_value("batch", cmd.clone(), false)
        .await
        .unwrap();
    assert_eq!(r.result, json!({"result": {"a": 1}}));
    assert_eq!(fake.sent().len(), 2);
    client.call_value("batch", cmd, false).await.unwrap_err();
    assert_eq!(fake.sent().len(), 3, "a 502 on a batch is not retried");
}

// ---------------------------------------------------------------------------------------
// OPERATION_TIME_LIMIT: wait for the method's reset

#[tokio::test(start_paused = true)]
async fn operation_time_limit_waits_for_the_last_known_reset() {
    // First call succeeds and reports a reset 100 s ahead; the second is refused once.
    let fake = Fake::new(move |_, i| match i {
        0 => ok_with_time(json!(1), 10.0, T0 + 100.0),
        1 => api_error(429, "OPERATION_TIME_LIMIT"),
        _ => ok(json!(2)),
    });
    let client = client(&fake);
    assert_eq!(client.call(List).await.unwrap(), json!(1));
    assert_eq!(client.call(List).await.unwrap(), json!(2));
    // The reset is in whole seconds: the client waits until 1 s after it.
    assert_eq!(fake.times("crm.item.list"), [0.0, 0.0, 101.0]);
}

#[tokio::test(start_paused = true)]
async fn operation_time_limit_without_a_known_reset_waits_the_fallback() {
    let fake = Fake::new(|_, i| {
        if i < 2 {
            api_error(429, "operation_time_limit")
        } else {
            ok(json!(3))
        }
    });
    assert_eq!(client(&fake).call(List).await.unwrap(), json!(3));
    // No reset known: 60 s; then the known reset has passed: 60 s again.
    assert_eq!(fake.times("crm.item.list"), [0.0, 60.0, 120.0]);
}

#[tokio::test(start_paused = true)]
async fn operation_time_limit_is_returned_when_the_wait_exceeds_the_budget() {
    let fake = Fake::new(|_, _| api_error(429, "OPERATION_TIME_LIMIT"));
    let mut p = policy();
    p.max_total_delay = Duration::from_secs(30);
    let e = builder(&fake)
        .retry(p)
        .build()
        .unwrap()
        .call(add())
        .await
        .unwrap_err();
    assert!(e.api().unwrap().is("OPERATION_TIME_LIMIT"));
    assert_eq!(fake.sent().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn operation_time_limit_blocks_only_that_method() {
    let fake = Fake::new(|s, _| {
        if s.method() == "crm.item.list" && s.at < 1.0 {
            api_error(429, "OPERATION_TIME_LIMIT")
        } else {
            ok(json!(s.method()))
        }
    });
    let client = client(&fake);
    let other = async {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let r = client.call_raw("user.current", json!({})).await.unwrap();
        (r.result, Instant::now())
    };
    let start = Instant::now();
    let (blocked, (other, other_at)) = tokio::join!(client.call(List), other);
    assert_eq!(blocked.unwrap(), json!("crm.item.list"));
    assert_eq!(other, json!("user.current"));
    assert_eq!(other_at.duration_since(start), Duration::from_secs(1));
    assert_eq!(fake.times("crm.item.list"), [0.0, 60.0]);
}

#[tokio::test(start_paused = true)]
async fn no_operating_limit_returns_operation_time_limit_at_once() {
    let fake = Fake::new(|_, _| api_error(429, "OPERATION_TIME_LIMIT"));
    let client = builder(&fake).no_operating_limit().build().unwrap();
    client.call(List).await.unwrap_err();
    assert_eq!(fake.sent().len(), 1);
}

#[tokio::test]
async fn a_custom_transport_sees_the_webhook_url_and_json_body() {
    let fake = Fake::new(|_, _| ok(json!(1)));
    let client: Client = client(&fake);
    client.call(add()).await.unwrap();
    let sent = &fake.sent()[0];
    assert_eq!(sent.verb, "POST");
    assert_eq!(
        sent.url,
        "https://example.bitrix24.com/rest/7/s3cr3tc0de42xyz/crm.item.add"
    );
    assert_eq!(sent.json(), json!({"title": "deal"}));
    let _ = Arc::clone(&fake);
}
