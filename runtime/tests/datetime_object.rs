//! `DateTime` and `JsonObject` in a request written the way generated requests are
//! (through `wire::ObjectWriter`) and in a decoded result, against a local wiremock portal.

use bitrix24_runtime::wire::{Decode, Fields, ObjectWriter};
use bitrix24_runtime::{Client, DateTime, Error, JsonObject, Method, RetryPolicy};
use serde::{Deserializer, Serialize, Serializer};
use serde_json::{Map, Value, json};
use wiremock::matchers::{body_json, method};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// Like a generated request: optional fields written through `ObjectWriter`.
#[derive(Default)]
struct List {
    filter: Option<JsonObject>,
    since: Option<DateTime>,
    extra: Map<String, Value>,
}

impl List {
    fn filter(mut self, value: impl Into<JsonObject>) -> Self {
        self.filter = Some(value.into());
        self
    }

    fn since(mut self, value: impl Into<DateTime>) -> Self {
        self.since = Some(value.into());
        self
    }
}

impl Serialize for List {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut w = ObjectWriter::new(s, &self.extra)?;
        w.optional("filter", self.filter.as_ref());
        w.optional("since", self.since.as_ref());
        w.end()
    }
}

/// Like a generated result.
#[derive(Debug)]
struct Row {
    created: DateTime,
    closed: Option<DateTime>,
}

impl Decode for Row {
    fn decode<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mut f = Fields::new(d)?;
        Ok(Row {
            created: f.required("DATE_CREATE")?,
            closed: f.optional("CLOSED")?,
        })
    }
}

impl Method for List {
    const NAME: &'static str = "crm.calllist.list";
    const READ_ONLY: bool = true;
    type Output = Vec<Row>;
}

async fn portal(expected: Value, result: Value) -> (MockServer, Client) {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(body_json(expected))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"result": result})))
        .mount(&server)
        .await;
    let client = Client::builder(&format!("{}/rest/1/code/", server.uri()))
        .allow_insecure_loopback()
        .retry(RetryPolicy::never())
        .build()
        .unwrap();
    (server, client)
}

#[tokio::test]
async fn a_json_filter_and_a_date_time_are_sent_as_written_and_read_back() {
    let since: DateTime = "2025-07-14T08:47:19+02:00".parse().unwrap();
    let (_server, client) = portal(
        json!({"filter": {">ID": 5}, "since": "2025-07-14T08:47:19+02:00"}),
        json!([
            {"DATE_CREATE": "2025-07-14 08:47:19", "CLOSED": ""},
            {"DATE_CREATE": "2025-07-14T08:47:19.5Z", "CLOSED": "2025-07-15T00:00:00+03:00"}
        ]),
    )
    .await;
    let rows = client
        .call(List::default().filter(json!({">ID": 5})).since(since))
        .await
        .unwrap();
    assert_eq!(rows[0].created.to_string(), "2025-07-14 08:47:19");
    assert_eq!(rows[0].created.offset(), None);
    assert_eq!(rows[0].closed, None);
    assert_eq!(rows[1].created.to_string(), "2025-07-14T08:47:19.5Z");
    assert_eq!(
        rows[1].closed.map(|t| t.to_string()).as_deref(),
        Some("2025-07-15T00:00:00+03:00")
    );
}

#[tokio::test]
async fn a_filter_that_is_not_an_object_is_an_encode_error_and_nothing_is_sent() {
    let (server, client) = portal(json!({}), json!([])).await;
    let e = client
        .call(List::default().filter(json!([">ID", 5])))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Encode { .. }), "{e:?}");
    assert_eq!(
        e.to_string(),
        "could not encode the parameters of crm.calllist.list: `filter`: expected a JSON object, found an array: [\">ID\",5]"
    );
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_date_time_the_type_cannot_read_fails_decoding_with_its_text() {
    let (_server, client) =
        portal(json!({}), json!([{"DATE_CREATE": "14/07/2025 08:47:19"}])).await;
    let e = client.call(List::default()).await.unwrap_err();
    assert!(matches!(e, Error::Decode { .. }), "{e:?}");
    assert!(e.to_string().contains("14/07/2025 08:47:19"), "{e}");
}
