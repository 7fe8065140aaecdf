//! `Client` against a local wiremock server on 127.0.0.1.

use std::time::Duration;

use bitrix24_runtime::{Client, Error, Method, RetryPolicy, TransportErrorKind};
use serde::Serialize;
use serde_json::{Value, json};
use wiremock::matchers::{body_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// A code that must never show up in any message.
const CODE: &str = "s3cr3tc0de42xyz";

fn webhook(server: &MockServer) -> String {
    format!("{}/rest/7/{CODE}/", server.uri())
}

/// A client for the mock portal: plain http to 127.0.0.1 needs the explicit opt-in; no
/// retries, so each test sees the portal's first answer.
fn client_for(url: &str) -> Client {
    Client::builder(url)
        .allow_insecure_loopback()
        .retry(RetryPolicy::never())
        .build()
        .unwrap()
}

fn method_path(name: &str) -> String {
    format!("/rest/7/{CODE}/{name}")
}

fn assert_no_code(text: &str) {
    assert!(!text.contains(CODE), "webhook code leaked: {text}");
}

/// Display and Debug of an error, checked for the code.
fn shown(e: &Error) -> String {
    let s = format!("{e} | {e:?}");
    assert_no_code(&s);
    s
}

#[derive(Serialize)]
struct CallListAdd {
    #[serde(rename = "ENTITY_TYPE")]
    entity_type: &'static str,
    #[serde(rename = "ENTITIES")]
    entities: Vec<i64>,
}

impl Method for CallListAdd {
    const NAME: &'static str = "crm.calllist.add";
    const READ_ONLY: bool = false;
    type Output = i64;
}

fn add() -> CallListAdd {
    CallListAdd {
        entity_type: "CONTACT",
        entities: vec![1, 2],
    }
}

#[derive(Serialize)]
struct UserCurrent;

impl Method for UserCurrent {
    const NAME: &'static str = "user.current";
    const READ_ONLY: bool = true;
    type Output = Value;
}

async fn serve(template: ResponseTemplate) -> (MockServer, Client) {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(template)
        .mount(&server)
        .await;
    let client = client_for(&webhook(&server));
    (server, client)
}

// ---------------------------------------------------------------------------------------
// Success

#[tokio::test]
async fn call_posts_json_and_decodes_result() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(method_path("crm.calllist.add")))
        .and(header("content-type", "application/json"))
        .and(header(
            "user-agent",
            concat!("bitrix24-rust/", env!("CARGO_PKG_VERSION")),
        ))
        .and(body_json(
            json!({"ENTITY_TYPE": "CONTACT", "ENTITIES": [1, 2]}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "result": "15",
            "time": {"start": 1.0, "finish": 2.0, "duration": 1.0, "processing": 0.5,
                     "date_start": "a", "date_finish": "b"}
        })))
        .expect(1)
        .mount(&server)
        .await;
    let client = client_for(&webhook(&server));
    assert_eq!(client.call(add()).await.unwrap(), 15);
}

#[tokio::test]
async fn unit_request_is_sent_as_empty_object() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(method_path("user.current")))
        .and(body_json(json!({})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"result": {"ID": "7"}})))
        .expect(1)
        .mount(&server)
        .await;
    let client = client_for(&webhook(&server));
    assert_eq!(client.call(UserCurrent).await.unwrap(), json!({"ID": "7"}));
}

#[tokio::test]
async fn call_raw_returns_the_envelope() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(method_path("crm.item.list")))
        .and(body_json(json!({"entityTypeId": 2, "start": 50})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "result": {"items": []},
            "total": "120",
            "next": 100,
            "time": {
                "start": 1778747192.910734, "finish": 1778747193.530359,
                "duration": 0.6196250915527344, "processing": "0.032338857650756836",
                "date_start": "2026-05-14T10:26:32+02:00",
                "date_finish": "2026-05-14T10:26:33+02:00",
                "operating_reset_at": 1778747792, "operating": 3.307_624_101_638_794
            }
        })))
        .expect(1)
        .mount(&server)
        .await;
    let client = client_for(&webhook(&server));
    let r = client
        .call_raw("crm.item.list", json!({"entityTypeId": 2, "start": 50}))
        .await
        .unwrap();
    assert_eq!(r.result, json!({"items": []}));
    assert_eq!((r.total, r.next), (Some(120), Some(100)));
    let t = r.time.unwrap();
    assert_eq!(t.start, 1778747192.910734);
    assert_eq!(t.processing, 0.032338857650756836);
    assert_eq!(t.date_start, "2026-05-14T10:26:32+02:00");
    assert_eq!(t.operating_reset_at, Some(1778747792));
    assert_eq!(t.operating, Some(3.307_624_101_638_794));
}

#[tokio::test]
async fn malformed_metadata_does_not_fail_the_call() {
    let (_s, client) = serve(ResponseTemplate::new(200).set_body_json(json!({
        "result": true, "total": "lots", "time": {"start": "soon"}
    })))
    .await;
    let r = client.call_raw("x.y", Value::Null).await.unwrap();
    assert_eq!(r.result, json!(true));
    assert_eq!((r.total, r.next, r.time), (None, None, None));
}

// ---------------------------------------------------------------------------------------
// API errors

#[tokio::test]
async fn api_error_with_400() {
    let (_s, client) = serve(ResponseTemplate::new(400).set_body_json(json!({
        "error": "ERROR_ENTITY_TYPE", "error_description": "Invalid entity type"
    })))
    .await;
    let e = client.call(add()).await.unwrap_err();
    let api = e.api().expect("an API error");
    assert_eq!(api.code, "ERROR_ENTITY_TYPE");
    assert_eq!(api.description, "Invalid entity type");
    assert_eq!(api.status, 400);
    assert_eq!(e.status(), Some(400));
    assert!(api.is("error_entity_type"));
    assert!(!api.is("ERROR_ENTITY"));
    assert!(!e.is_retryable());
    let s = shown(&e);
    assert!(
        s.contains("ERROR_ENTITY_TYPE") && s.contains("Invalid entity type"),
        "{s}"
    );
    assert!(s.contains("400"), "{s}");
}

#[tokio::test]
async fn query_limit_exceeded_503_is_retryable() {
    let (_s, client) = serve(ResponseTemplate::new(503).set_body_json(json!({
        "error": "QUERY_LIMIT_EXCEEDED", "error_description": "Too many requests"
    })))
    .await;
    let e = client.call(add()).await.unwrap_err();
    let api = e.api().unwrap();
    assert!(api.is("query_limit_exceeded"));
    assert!(api.is("Query_Limit_Exceeded"));
    assert_eq!(api.status, 503);
    assert!(e.is_retryable());
    shown(&e);
}

#[tokio::test]
async fn overload_limit_503_is_not_retryable_despite_status() {
    let (_s, client) =
        serve(ResponseTemplate::new(503).set_body_json(json!({"error": "OVERLOAD_LIMIT"}))).await;
    let e = client.call(add()).await.unwrap_err();
    assert!(e.api().unwrap().is("OVERLOAD_LIMIT"));
    assert_eq!(e.api().unwrap().description, "");
    assert!(!e.is_retryable());
}

#[tokio::test]
async fn operation_time_limit_429_is_retryable() {
    let (_s, client) = serve(ResponseTemplate::new(429).set_body_json(json!({
        "error": "OPERATION_TIME_LIMIT", "error_description": "Method is blocked"
    })))
    .await;
    let e = client.call(add()).await.unwrap_err();
    assert!(e.api().unwrap().is("operation_time_limit"));
    assert!(e.is_retryable());
}

#[tokio::test]
async fn error_with_200_and_empty_code_is_an_api_error() {
    let (_s, client) = serve(
        ResponseTemplate::new(200)
            .set_body_json(json!({"error": "", "error_description": "Something failed"})),
    )
    .await;
    let e = client.call(add()).await.unwrap_err();
    let api = e.api().unwrap();
    assert_eq!((api.code.as_str(), api.status), ("", 200));
    assert_eq!(api.description, "Something failed");
    assert!(e.to_string().contains("(no code)"), "{e}");
}

// ---------------------------------------------------------------------------------------
// Undecodable answers

#[tokio::test]
async fn html_body_is_a_decode_error_keeping_status_and_body() {
    let html = format!(
        "<html><body><h1>502 Bad Gateway</h1>The URL /rest/7/{CODE}/crm.calllist.add failed</body></html>"
    );
    let (_s, client) =
        serve(ResponseTemplate::new(502).set_body_raw(html.clone(), "text/html")).await;
    let e = client.call(add()).await.unwrap_err();
    match &e {
        Error::Decode {
            method,
            status,
            body,
            ..
        } => {
            assert_eq!(method, "crm.calllist.add");
            assert_eq!(*status, 502);
            assert!(body.contains("502 Bad Gateway"), "{body}");
            assert!(body.contains("/rest/7/***/crm.calllist.add"), "{body}");
        }
        other => panic!("expected Error::Decode, got {other:?}"),
    }
    assert_eq!(e.status(), Some(502));
    assert!(e.api().is_none());
    assert!(e.is_retryable(), "a 5xx without a code may be retried");
    let s = shown(&e);
    assert!(s.contains("crm.calllist.add") && s.contains("502"), "{s}");
}

#[tokio::test]
async fn truncated_json_is_a_decode_error() {
    let (_s, client) =
        serve(ResponseTemplate::new(200).set_body_raw("{\"result\": [1, 2", "application/json"))
            .await;
    let e = client
        .call_raw("crm.item.list", json!({}))
        .await
        .unwrap_err();
    match &e {
        Error::Decode { status, body, .. } => {
            assert_eq!(*status, 200);
            assert_eq!(body, "{\"result\": [1, 2");
        }
        other => panic!("expected Error::Decode, got {other:?}"),
    }
    assert!(!e.is_retryable());
    assert!(e.to_string().contains("EOF"), "{e}");
}

#[tokio::test]
async fn long_body_is_truncated_to_2_kib_on_a_char_boundary() {
    // 'é' is two bytes; 1 + 2 * 2000 bytes puts byte 2048 inside a character.
    let body = format!("x{}", "é".repeat(2000));
    let (_s, client) =
        serve(ResponseTemplate::new(500).set_body_raw(body.clone(), "text/plain")).await;
    let e = client.call(add()).await.unwrap_err();
    let Error::Decode { body: kept, .. } = &e else {
        panic!("expected Error::Decode, got {e:?}");
    };
    assert_eq!(kept.len(), 2047);
    assert!(body.starts_with(kept.as_str()));
}

#[tokio::test]
async fn result_of_the_wrong_type_is_a_decode_error() {
    let (_s, client) =
        serve(ResponseTemplate::new(200).set_body_json(json!({"result": {"ID": 1}}))).await;
    let e = client.call(add()).await.unwrap_err();
    let s = shown(&e);
    assert!(matches!(e, Error::Decode { status: 200, .. }), "{s}");
    assert!(
        s.contains("crm.calllist.add") && s.contains("expected an integer"),
        "{s}"
    );
    assert!(s.contains(r#"{\"result\":{\"ID\":1}}"#), "body kept: {s}");
}

#[tokio::test]
async fn object_without_result_or_error_is_a_decode_error() {
    let (_s, client) = serve(ResponseTemplate::new(200).set_body_json(json!({"foo": 1}))).await;
    let e = client.call(add()).await.unwrap_err();
    assert!(
        e.to_string().contains("neither `result` nor `error`"),
        "{e}"
    );
    let (_s, client) = serve(ResponseTemplate::new(200).set_body_json(json!([1]))).await;
    let e = client.call(add()).await.unwrap_err();
    assert!(
        matches!(e, Error::Decode { .. }) && e.to_string().contains("JSON object"),
        "{e}"
    );
}

#[tokio::test]
async fn non_2xx_without_error_is_a_decode_error() {
    let (_s, client) = serve(ResponseTemplate::new(500).set_body_json(json!({"result": 1}))).await;
    let e = client.call(add()).await.unwrap_err();
    assert!(matches!(e, Error::Decode { status: 500, .. }), "{e:?}");
    assert!(e.is_retryable());
}

#[tokio::test]
async fn redirects_are_not_followed() {
    let (_s, client) =
        serve(ResponseTemplate::new(302).insert_header("location", "https://elsewhere.example/"))
            .await;
    let e = client.call(add()).await.unwrap_err();
    assert!(matches!(e, Error::Decode { status: 302, .. }), "{e:?}");
}

// ---------------------------------------------------------------------------------------
// Transport

#[tokio::test]
async fn connection_refused_is_a_transport_error_without_the_url() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let client = client_for(&format!("http://127.0.0.1:{port}/rest/7/{CODE}/"));
    let e = client.call(add()).await.unwrap_err();
    match &e {
        Error::Transport { source, .. } => {
            assert_eq!(source.kind(), TransportErrorKind::Connect, "{source:?}");
            assert!(source.is_connect() && !source.is_timeout());
        }
        other => panic!("expected Error::Transport, got {other:?}"),
    }
    assert!(e.is_retryable());
    assert_eq!(e.status(), None);
    let s = shown(&e);
    assert!(s.contains("crm.calllist.add"), "{s}");
    assert!(!s.contains("/rest/"), "{s}");
}

#[tokio::test]
async fn timeout_is_a_transport_error() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"result": 1}))
                .set_delay(Duration::from_secs(5)),
        )
        .mount(&server)
        .await;
    let client = Client::builder(&webhook(&server))
        .allow_insecure_loopback()
        .timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let e = client.call(add()).await.unwrap_err();
    match &e {
        Error::Transport { source, .. } => assert!(source.is_timeout(), "{source:?}"),
        other => panic!("expected Error::Transport, got {other:?}"),
    }
    assert!(e.is_retryable());
    shown(&e);
}

// ---------------------------------------------------------------------------------------
// Configuration

#[tokio::test]
async fn invalid_method_name_is_rejected_before_sending() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"result": 1})))
        .expect(0)
        .mount(&server)
        .await;
    let client = client_for(&webhook(&server));
    for bad in ["", "../profile", "crm.item.list?x=1", "a/b"] {
        let e = client.call_raw(bad, json!({})).await.unwrap_err();
        assert!(matches!(e, Error::Config(_)), "{bad}: {e:?}");
    }
}

#[test]
fn webhook_urls_accepted() {
    let cases = [
        (
            "https://example.bitrix24.com/rest/1/abc123/",
            "https://example.bitrix24.com",
            1,
        ),
        (
            "https://example.bitrix24.com/rest/1/abc123",
            "https://example.bitrix24.com",
            1,
        ),
        (
            "https://b24.example.org:8443/rest/42/AbC_1-x/",
            "https://b24.example.org:8443",
            42,
        ),
        (
            "  https://EXAMPLE.bitrix24.com/rest/1/abc/  ",
            "https://example.bitrix24.com",
            1,
        ),
    ];
    for (url, portal, user) in cases {
        let c = Client::webhook(url).unwrap_or_else(|e| panic!("{url}: {e}"));
        assert_eq!((c.portal(), c.user_id()), (portal, Some(user)), "{url}");
        assert!(c.tokens().is_none());
    }
}

#[test]
fn plain_http_needs_the_loopback_opt_in() {
    let cases = [
        (
            "http://127.0.0.1:8080/rest/1/abc/",
            "http://127.0.0.1:8080",
            1,
        ),
        ("http://localhost/rest/1/abc/", "http://localhost", 1),
        ("http://[::1]:9000/rest/3/abc/", "http://[::1]:9000", 3),
    ];
    for (url, portal, user) in cases {
        let e = Client::webhook(url).unwrap_err();
        assert!(
            matches!(&e, Error::Config(m) if m.contains("allow_insecure_loopback")),
            "{url}: {e}"
        );
        let c = Client::builder(url)
            .allow_insecure_loopback()
            .build()
            .unwrap_or_else(|e| panic!("{url}: {e}"));
        assert_eq!((c.portal(), c.user_id()), (portal, Some(user)), "{url}");
    }
    // The opt-in is for loopback hosts only.
    let e = Client::builder("http://example.bitrix24.com/rest/1/abc/")
        .allow_insecure_loopback()
        .build()
        .unwrap_err();
    assert!(e.to_string().contains("loopback"), "{e}");
}

#[test]
fn webhook_urls_rejected_with_a_clear_message_and_no_code() {
    let cases = [
        ("not a url", "does not parse"),
        (
            "example.bitrix24.com/rest/1/s3cr3tc0de42xyz/",
            "does not parse",
        ),
        (
            "http://example.bitrix24.com/rest/1/s3cr3tc0de42xyz/",
            "loopback",
        ),
        (
            "ftp://example.bitrix24.com/rest/1/s3cr3tc0de42xyz/",
            "scheme must be https",
        ),
        (
            "https://u:p@example.bitrix24.com/rest/1/s3cr3tc0de42xyz/",
            "credentials",
        ),
        (
            "https://example.bitrix24.com/rest/1/s3cr3tc0de42xyz/?a=1",
            "query",
        ),
        (
            "https://example.bitrix24.com/rest/1/s3cr3tc0de42xyz/#x",
            "fragment",
        ),
        ("https://example.bitrix24.com/rest/1/", "code is missing"),
        (
            "https://example.bitrix24.com/rest/1/s3cr3tc0de42xyz/crm.item.list",
            "path must be",
        ),
        (
            "https://example.bitrix24.com/api/1/s3cr3tc0de42xyz/",
            "path must be",
        ),
        (
            "https://example.bitrix24.com/rest/0/s3cr3tc0de42xyz/",
            "positive integer",
        ),
        (
            "https://example.bitrix24.com/rest/x/s3cr3tc0de42xyz/",
            "positive integer",
        ),
        (
            "https://example.bitrix24.com/rest/+1/s3cr3tc0de42xyz/",
            "positive integer",
        ),
        (
            "https://example.bitrix24.com/rest/1/s3cr3t%20c0de42xyz/",
            "letters, digits",
        ),
        ("https://example.bitrix24.com/rest/1//", "code is missing"),
        ("https:///rest/1/s3cr3tc0de42xyz/", "path must be"),
    ];
    for (url, want) in cases {
        let e = Client::webhook(url).unwrap_err();
        let s = shown(&e);
        assert!(matches!(e, Error::Config(_)), "{url}: {s}");
        assert!(s.contains(want), "{url}: {s}");
        assert!(
            s.contains("https://<portal>/rest/<user_id>/<code>/"),
            "{url}: {s}"
        );
    }
}

#[test]
fn debug_of_client_and_builder_hides_the_code() {
    let url = format!("https://example.bitrix24.com/rest/7/{CODE}/");
    let client = Client::webhook(&url).unwrap();
    let dbg = format!("{client:?}");
    assert_no_code(&dbg);
    assert!(
        dbg.contains("https://example.bitrix24.com") && dbg.contains("user_id: 7"),
        "{dbg}"
    );
    let builder = Client::builder(&url).timeout(Duration::from_secs(5));
    let dbg = format!("{builder:?}");
    assert_no_code(&dbg);
    assert!(dbg.contains("5s"), "{dbg}");
}

#[test]
fn client_and_call_futures_are_send() {
    fn is_send<T: Send>(_: &T) {}
    fn is_send_sync_clone<T: Send + Sync + Clone>(_: &T) {}
    let client = Client::webhook("https://example.bitrix24.com/rest/1/abc/").unwrap();
    is_send_sync_clone(&client);
    is_send(&client.call(add()));
    is_send(&client.call_raw("user.current", Value::Null));
}
