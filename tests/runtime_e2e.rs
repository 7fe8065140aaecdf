//! The production request path end to end: typed requests of the generated crate
//! (`bitrix24::...`) through `bitrix24::Client` against the runtime's fake portal
//! (`bitrix24_runtime::testing`), one section per item of the runtime issue: auth,
//! transport, decoding hazards, limits, retries, typed batch, paging and export.
//!
//! The fake portal answering every documented example and enforcing required parameters
//! is tested in `tests/fake_portal.rs`. Every error this file produces goes through
//! [`seen`], which asserts that its `Display` and `Debug` hold no webhook code, client
//! secret or token.
//!
//! Tests where time matters run on a paused clock (`start_paused`); the client then gets a
//! long request timeout, so that the clock, which jumps to the next timer whenever the
//! runtime idles, reaches the rate-limit and backoff timers first.

use std::collections::{BTreeSet, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bitrix24::crm::activity::get::Get as ActivityGet;
use bitrix24::crm::calllist::add::{Add, EntityType};
use bitrix24::crm::calllist::get::Get;
use bitrix24::crm::item::list::List;
use bitrix24::futures_util::{StreamExt, TryStreamExt, future};
use bitrix24::{Client, CommandError, Error, ErrorCode};
use bitrix24_runtime::event::{ExposeSecret, SecretString};
use bitrix24_runtime::testing::{FakePortal, Fault, LogCapture, MethodError, PortalRateLimit};
use bitrix24_runtime::{
    ClientBuilder, MemoryTokenStore, OAuthApp, OAuthConfig, RateLimit, Tokens, TokioClock,
};
use serde_json::{Value, json};
use tokio::time::Instant;

const CODE: &str = "e2ewebhookc0de7secret";
const CLIENT_SECRET: &str = "e2ecl1entsecret0000000000000000x";
/// `entityTypeId` of deals, for `crm.item.list`.
const DEALS: i64 = 2;
/// Unix time at the portal's start (paused-clock tests).
const T0: f64 = 1_750_000_000.0;

/// Secrets that must never show: the webhook code, the client secret, every token issued.
static SECRETS: Mutex<Vec<String>> = Mutex::new(Vec::new());

fn secret(s: &str) {
    SECRETS.lock().unwrap().push(s.to_owned());
}

fn assert_no_secret(text: &str) {
    assert!(!text.contains(CODE), "webhook code leaked: {text}");
    assert!(
        !text.contains(CLIENT_SECRET),
        "client secret leaked: {text}"
    );
    for s in SECRETS.lock().unwrap().iter() {
        assert!(!text.contains(s.as_str()), "secret {s} leaked: {text}");
    }
}

/// Checks an error produced in this file for secrets, and returns it.
fn seen(error: Error) -> Error {
    assert_no_secret(&format!("{error} {error:?}"));
    error
}

async fn portal(limit: PortalRateLimit) -> FakePortal {
    let portal = FakePortal::builder()
        .webhook(1, CODE)
        .oauth_client("local.e2e.app", CLIENT_SECRET)
        .rate_limit(limit)
        .base_unix_time(T0)
        .start()
        .await
        .unwrap();
    let tokens = portal.oauth().tokens;
    secret(&tokens.access_token);
    secret(&tokens.refresh_token);
    portal
}

/// A webhook client for `portal`, safe under a paused clock.
fn builder(portal: &FakePortal) -> ClientBuilder {
    Client::builder(&portal.webhook_url())
        .allow_insecure_loopback()
        .timeout(Duration::from_secs(24 * 3600))
        .clock(Arc::new(TokioClock::starting_at(T0)))
}

fn client(portal: &FakePortal) -> Client {
    builder(portal).build().unwrap()
}

/// `crm.calllist.add` creating rows in a counter; returns the number of creates.
fn count_adds(portal: &FakePortal) -> Arc<AtomicUsize> {
    let created = Arc::new(AtomicUsize::new(0));
    let c = created.clone();
    portal.on("crm.calllist.add", move |_| {
        Ok(json!(c.fetch_add(1, Ordering::SeqCst) + 1))
    });
    created
}

/// `crm.calllist.get` answering as the portal does: numbers as strings.
fn serve_get(portal: &FakePortal) -> Arc<AtomicUsize> {
    let runs = Arc::new(AtomicUsize::new(0));
    let r = runs.clone();
    portal.on("crm.calllist.get", move |p| {
        r.fetch_add(1, Ordering::SeqCst);
        let id = p["ID"].as_i64().or_else(|| p["ID"].as_str()?.parse().ok());
        match id {
            Some(id) if id < 900 => Ok(json!({
                "ID": id.to_string(), "ENTITY_TYPE": "CONTACT", "ENTITY_TYPE_ID": "3",
                "WEBFORM_ID": "5", "CREATED_BY_ID": "1"
            })),
            _ => Err(MethodError::new(
                400,
                "ERROR_NOT_FOUND",
                "Call list not found",
            )),
        }
    });
    runs
}

// ---------------------------------------------------------------------------------------
// 1. Auth

#[tokio::test]
async fn webhook_calls_and_a_wrong_code_is_no_auth_found() {
    let portal = portal(PortalRateLimit::UNLIMITED).await;
    serve_get(&portal);
    let list = client(&portal).call(Get::new(7)).await.unwrap();
    assert_eq!(list.id, Some(7));

    let wrong = portal.webhook_url().replace(CODE, "wr0ngc0de");
    let client = Client::builder(&wrong)
        .allow_insecure_loopback()
        .build()
        .unwrap();
    let err = seen(client.call(Get::new(7)).await.unwrap_err());
    assert_eq!(err.status(), Some(401), "{err}");
    assert_eq!(err.api().unwrap().code, "NO_AUTH_FOUND");
    assert!(!format!("{err:?}").contains("wr0ngc0de"), "{err:?}");
    assert_eq!(
        portal.call_count("crm.calllist.get"),
        1,
        "refused before the method"
    );
}

fn oauth_client(portal: &FakePortal, store: Arc<MemoryTokenStore>) -> Client {
    let settings = portal.oauth();
    let app = OAuthApp::new(
        settings.client_id.clone(),
        SecretString::from(settings.client_secret.clone()),
    )
    .oauth_server(portal.base_url())
    .allow_insecure_loopback();
    let tokens = Tokens::new(
        SecretString::from(settings.tokens.access_token.clone()),
        SecretString::from(settings.tokens.refresh_token.clone()),
    );
    let config = OAuthConfig::new(settings.client_endpoint.clone(), app, tokens).store(store);
    Client::oauth_builder(config)
        .allow_insecure_loopback()
        .build()
        .unwrap()
}

#[tokio::test]
async fn oauth_refreshes_once_for_ten_concurrent_callers_and_saves_the_tokens() {
    let portal = portal(PortalRateLimit::UNLIMITED).await;
    let runs = serve_get(&portal);
    let store = Arc::new(MemoryTokenStore::new());
    let client = oauth_client(&portal, store.clone());
    assert_eq!(client.call(Get::new(1)).await.unwrap().id, Some(1));
    assert!(store.load().is_none(), "nothing renewed yet");

    portal.expire_access_token();
    let calls: Vec<_> = (1..=10)
        .map(|i| {
            let client = client.clone();
            tokio::spawn(async move { client.call(Get::new(i)).await })
        })
        .collect();
    let mut ids = BTreeSet::new();
    for call in calls {
        ids.insert(call.await.unwrap().unwrap().id.unwrap());
    }
    assert_eq!(ids, (1..=10).collect());
    assert_eq!(portal.refresh_count(), 1, "single flight");
    assert_eq!(runs.load(Ordering::SeqCst), 11, "each call ran once");

    let (owner, saved) = store
        .load_with_portal()
        .expect("the store received the new pair");
    // The config set no member_id: the renewal's answer names the portal.
    assert_eq!(
        owner.member_id.as_deref(),
        Some(portal.oauth().member_id.as_str())
    );
    assert_eq!(owner.domain, portal.addr().to_string());
    let current = client.tokens().unwrap();
    secret(saved.access_token.expose_secret());
    secret(saved.refresh_token.expose_secret());
    let initial = portal.oauth().tokens;
    assert_ne!(saved.access_token.expose_secret(), initial.access_token);
    assert_ne!(saved.refresh_token.expose_secret(), initial.refresh_token);
    assert_eq!(
        saved.access_token.expose_secret(),
        current.access_token.expose_secret()
    );
    // The portal's log masks the token, and the client's Debug hides it.
    for r in portal.requests() {
        assert_no_secret(&format!("{r:?}"));
    }
    assert_no_secret(&format!("{client:?} {saved:?} {store:?}"));

    // A revoked refresh token: the renewal fails, as an OAuth error without secrets.
    portal.revoke_refresh_tokens();
    portal.expire_access_token();
    let err = seen(client.call(Get::new(1)).await.unwrap_err());
    assert!(matches!(err, Error::OAuth(_)), "{err:?}");
}

// ---------------------------------------------------------------------------------------
// 2. Transport

#[tokio::test]
async fn user_agent_is_sent() {
    use wiremock::matchers::{header, method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/rest/1/{CODE}/crm.calllist.get")))
        .and(header(
            "user-agent",
            bitrix24_runtime::transport::USER_AGENT,
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"result": {"ID": "3"}})))
        .expect(1)
        .mount(&server)
        .await;
    let client = Client::builder(&format!("{}/rest/1/{CODE}/", server.uri()))
        .allow_insecure_loopback()
        .build()
        .unwrap();
    assert_eq!(client.call(Get::new(3)).await.unwrap().id, Some(3));
    assert!(bitrix24_runtime::transport::USER_AGENT.starts_with("bitrix24-rust/"));
}

#[tokio::test]
async fn plain_http_needs_the_loopback_opt_in() {
    let portal = portal(PortalRateLimit::UNLIMITED).await;
    let err = seen(Client::webhook(&portal.webhook_url()).unwrap_err());
    assert!(matches!(err, Error::Config(_)), "{err:?}");
    // The opt-in covers loopback hosts only.
    let remote = format!("http://example.com/rest/1/{CODE}/");
    let err = seen(
        Client::builder(&remote)
            .allow_insecure_loopback()
            .build()
            .unwrap_err(),
    );
    assert!(matches!(err, Error::Config(_)), "{err:?}");
    assert_eq!(portal.request_count(), 0);
}

#[tokio::test(start_paused = true)]
async fn logs_show_method_and_status_never_secrets() {
    let capture = LogCapture::global();
    let portal = portal(PortalRateLimit::STANDARD).await;
    serve_get(&portal);
    let webhook = client(&portal);
    // A retried 502 page, an API error, a decode error.
    portal.inject_for("crm.calllist.get", Fault::BadGatewayHtml, 1);
    webhook.call(Get::new(4)).await.unwrap();
    seen(webhook.call(Get::new(999)).await.unwrap_err());
    portal.inject(Fault::HtmlOk, 1);
    seen(webhook.call(Get::new(4)).await.unwrap_err());
    // OAuth with a renewal.
    let store = Arc::new(MemoryTokenStore::new());
    let oauth = oauth_client(&portal, store.clone());
    portal.expire_access_token();
    oauth.call(Get::new(5)).await.unwrap();
    let saved = store.load().unwrap();
    secret(saved.access_token.expose_secret());
    secret(saved.refresh_token.expose_secret());

    let lines = capture.lines();
    let all = lines.join("\n");
    for line in &lines {
        assert_no_secret(line);
    }
    assert!(
        all.contains("span bitrix24.call method=crm.calllist.get"),
        "{all}"
    );
    for status in ["status=502", "status=200", "status=400", "status=401"] {
        assert!(all.contains(status), "{status} in {all}");
    }
    assert!(all.contains("retrying"), "{all}");
    assert!(all.contains("renewing the OAuth tokens"), "{all}");
}

// ---------------------------------------------------------------------------------------
// 3. Decoding hazards

#[tokio::test]
async fn typed_results_survive_the_portals_encodings() {
    let portal = portal(PortalRateLimit::UNLIMITED).await;
    portal.on("crm.activity.get", |_| {
        Ok(json!({
            "ID": "15", "OWNER_ID": "3", "OWNER_TYPE_ID": "2", "TYPE_ID": "6", "AUTHOR_ID": "1",
            "RESPONSIBLE_ID": "1", "COMPLETED": "Y", "CREATED": "2025-07-14T08:47:19+02:00",
            "PROVIDER_PARAMS": [], "SETTINGS": [], "PRIORITY": "2", "RESULT_SUM": "12.50",
            "UF_CRM_TASK": "kept"
        }))
    });
    let client = client(&portal);
    let activity = client.call(ActivityGet::new(15)).await.unwrap();
    assert_eq!(
        (activity.id, activity.owner_id, activity.type_id),
        (15, 3, 6),
        "IDs as strings"
    );
    assert!(activity.completed, "Y is true");
    assert_eq!(
        activity.provider_params,
        Some(Default::default()),
        "[] is {{}}"
    );
    assert_eq!(activity.priority, Some(2));
    assert_eq!(
        activity.result_sum.map(|d| d.to_string()),
        Some("12.50".to_owned()),
        "amounts stay exact, scale included"
    );

    portal.on("crm.activity.get", |_| {
        Ok(json!({
            "ID": 16, "OWNER_ID": 3, "OWNER_TYPE_ID": 2, "TYPE_ID": 6, "AUTHOR_ID": 1,
            "RESPONSIBLE_ID": 1, "COMPLETED": "N", "CREATED": "2025-07-14T08:47:19+02:00"
        }))
    });
    let activity = client.call(ActivityGet::new(16)).await.unwrap();
    assert!(!activity.completed, "N is false");
    assert_eq!(activity.provider_params, None);
}

#[tokio::test]
async fn html_and_truncated_bodies_are_decode_errors_with_status_and_body() {
    let portal = portal(PortalRateLimit::UNLIMITED).await;
    serve_get(&portal);
    let client = builder(&portal)
        .retry(bitrix24_runtime::RetryPolicy::never())
        .build()
        .unwrap();

    portal.inject(Fault::HtmlOk, 1);
    let err = seen(client.call(Get::new(1)).await.unwrap_err());
    let Error::Decode {
        method,
        status,
        body,
        ..
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!((method.as_str(), *status), ("crm.calllist.get", 200));
    assert!(body.contains("<html"), "{body}");

    portal.inject(Fault::TruncatedJson, 1);
    let err = seen(client.call(Get::new(2)).await.unwrap_err());
    let Error::Decode { status, body, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(*status, 200);
    assert!(body.starts_with("{\"result\""), "{body}");
    assert!(
        body.len() <= 2048 + 16,
        "kept body is truncated: {}",
        body.len()
    );

    portal.inject(Fault::BadGatewayHtml, 1);
    let err = seen(client.call(Get::new(3)).await.unwrap_err());
    assert!(
        matches!(&err, Error::Decode { status: 502, body, .. } if body.contains("502")),
        "{err:?}"
    );
    assert_eq!(ErrorCode::of(&err), None, "no API code to match");
}

// ---------------------------------------------------------------------------------------
// 4. Limits

#[tokio::test(start_paused = true)]
async fn a_burst_of_60_calls_stays_under_the_documented_bucket() {
    let portal = portal(PortalRateLimit::STANDARD).await;
    serve_get(&portal);
    let client = builder(&portal)
        .rate_limit(RateLimit::STANDARD)
        .build()
        .unwrap();
    let start = Instant::now();
    let done: Vec<Duration> = future::join_all((1..=60).map(|i| {
        let client = client.clone();
        async move {
            let list = client.call(Get::new(i)).await.map_err(seen).unwrap();
            assert_eq!(list.id, Some(i));
            start.elapsed()
        }
    }))
    .await;
    let statuses: Vec<_> = portal.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses.len(), 60, "no request was refused and resent");
    assert!(statuses.iter().all(|s| *s == Some(200)), "{statuses:?}");
    let mut done = done;
    done.sort();
    // 50 at once, then one every 0.5 s (2/s).
    assert!(done[49] < Duration::from_millis(100), "{:?}", done[49]);
    for (k, t) in done[50..].iter().enumerate() {
        let due = Duration::from_millis(500 * (k as u64 + 1));
        assert!(
            *t >= due - Duration::from_millis(10) && *t < due + Duration::from_millis(100),
            "call {} at {t:?}, due {due:?}",
            51 + k
        );
    }
}

#[tokio::test(start_paused = true)]
async fn operation_time_limit_pauses_only_that_method() {
    let portal = portal(PortalRateLimit::UNLIMITED).await;
    let runs = serve_get(&portal);
    count_adds(&portal);
    // One call of crm.calllist.get costs more than the 480 s budget: the portal reports
    // it in `time.operating`, and refuses the next call until the basket is released.
    portal.set_operating_cost("crm.calllist.get", 500.0);
    let client = client(&portal);
    let start = Instant::now();
    client.call(Get::new(1)).await.unwrap();

    let get = {
        let client = client.clone();
        tokio::spawn(async move {
            client.call(Get::new(2)).await.map_err(seen).unwrap();
            start.elapsed()
        })
    };
    tokio::task::yield_now().await;
    client
        .call(Add::new(EntityType::Contact, [1]))
        .await
        .unwrap();
    let add_done = start.elapsed();
    let get_done = get.await.unwrap();
    assert!(add_done < Duration::from_secs(1), "add waited {add_done:?}");
    assert!(
        get_done >= Duration::from_secs(595) && get_done <= Duration::from_secs(661),
        "get waited {get_done:?}"
    );
    assert_eq!(runs.load(Ordering::SeqCst), 2);
    let refused = portal
        .requests()
        .iter()
        .filter(|r| r.status == Some(429))
        .count();
    assert_eq!(refused, 0, "the client waited instead of being refused");
}

// ---------------------------------------------------------------------------------------
// 5. Retries

#[tokio::test(start_paused = true)]
async fn a_503_storm_on_a_writing_method_is_retried_and_creates_once() {
    let portal = portal(PortalRateLimit::STANDARD).await;
    let created = count_adds(&portal);
    let client = client(&portal);
    portal.inject_for("crm.calllist.add", Fault::QueryLimit, 3);
    let id = client
        .call(Add::new(EntityType::Contact, [1, 2]))
        .await
        .unwrap();
    assert_eq!(id, 1);
    assert_eq!(created.load(Ordering::SeqCst), 1, "ran once");
    assert_eq!(portal.request_count(), 4, "3 refused + 1");
    assert_eq!(portal.call_count("crm.calllist.add"), 1);
}

#[tokio::test(start_paused = true)]
async fn ambiguous_failures_are_not_retried_on_writing_methods() {
    let portal = portal(PortalRateLimit::STANDARD).await;
    let created = count_adds(&portal);
    let client = client(&portal);

    portal.inject_for("crm.calllist.add", Fault::BadGatewayHtml, 1);
    let err = seen(
        client
            .call(Add::new(EntityType::Contact, [1]))
            .await
            .unwrap_err(),
    );
    assert_eq!(err.status(), Some(502), "{err:?}");
    assert!(err.api().is_none());

    portal.inject_for("crm.calllist.add", Fault::DropConnection, 1);
    let err = seen(
        client
            .call(Add::new(EntityType::Contact, [1]))
            .await
            .unwrap_err(),
    );
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");

    assert_eq!(portal.request_count(), 2, "each sent once");
    assert_eq!(created.load(Ordering::SeqCst), 0, "no create, no duplicate");
    // The next call goes through: one create.
    assert_eq!(
        client
            .call(Add::new(EntityType::Contact, [1]))
            .await
            .unwrap(),
        1
    );
}

#[tokio::test(start_paused = true)]
async fn ambiguous_failures_are_retried_on_read_only_methods() {
    let portal = portal(PortalRateLimit::STANDARD).await;
    let runs = serve_get(&portal);
    let client = client(&portal);
    portal.inject_for("crm.calllist.get", Fault::BadGatewayHtml, 1);
    portal.inject_for("crm.calllist.get", Fault::DropConnection, 1);
    portal.inject_for("crm.calllist.get", Fault::QueryLimit, 1);
    let list = client.call(Get::new(8)).await.unwrap();
    assert_eq!(list.id, Some(8));
    assert_eq!(portal.request_count(), 4);
    assert_eq!(runs.load(Ordering::SeqCst), 1);
    assert_eq!(portal.pending_faults(), 0);
}

// ---------------------------------------------------------------------------------------
// 6. Typed batch

#[tokio::test]
async fn typed_batch_with_a_reference_and_halt() {
    let portal = portal(PortalRateLimit::STANDARD).await;
    let created = count_adds(&portal);
    serve_get(&portal);
    let client = client(&portal);

    let mut batch = client.batch();
    batch.halt(true);
    let add = batch.push(Add::new(EntityType::Contact, [1, 2])).unwrap();
    let get = batch
        .push(Get::new(0).insert_extra("ID", add.result()))
        .unwrap();
    let missing = batch.push(Get::new(999)).unwrap();
    let after = batch.push(Add::new(EntityType::Contact, [3])).unwrap();
    assert_eq!(
        batch.command(&get),
        Some("crm.calllist.get?ID=$result[cmd0]")
    );
    let results = batch.send().await.unwrap();

    assert_eq!(results.get(&add).unwrap(), 1);
    assert_eq!(
        results.get(&get).unwrap().id,
        Some(1),
        "the reference resolved"
    );
    let err = results.get(&missing).unwrap_err();
    assert_eq!(err.api().map(|a| a.code.as_str()), Some("ERROR_NOT_FOUND"));
    assert_no_secret(&format!("{err} {err:?}"));
    assert!(
        matches!(results.get(&after), Err(CommandError::NoResult { .. })),
        "halted: {:?}",
        results.get(&after)
    );
    assert_eq!(
        created.load(Ordering::SeqCst),
        1,
        "the command after the halt did not run"
    );
    assert_eq!(portal.request_count(), 1);
}

// ---------------------------------------------------------------------------------------
// 7. Paging and export

fn deals(portal: &FakePortal, n: usize) -> bitrix24_runtime::testing::Table {
    let table = portal.table("crm.item.list");
    table.set_id_field("id").set_items_key("items");
    table.insert_many((1..=n).map(|i| json!({"title": format!("Deal {i}")})));
    table
}

fn id_of(row: &bitrix24::serde_json::Map<String, Value>) -> i64 {
    match &row["id"] {
        Value::String(s) => s.parse().unwrap(),
        v => v.as_i64().unwrap(),
    }
}

/// Consumes `stream`, calling `edit(n)` after each row; returns the IDs in order.
async fn drain<S>(stream: S, mut edit: impl FnMut(usize)) -> Vec<i64>
where
    S: bitrix24::futures_util::Stream<
            Item = Result<bitrix24::serde_json::Map<String, Value>, Error>,
        >,
{
    let mut stream = std::pin::pin!(stream);
    let mut ids = Vec::new();
    while let Some(row) = stream.next().await {
        let row = row.map_err(seen).unwrap();
        ids.push(id_of(&row));
        edit(ids.len());
    }
    ids
}

/// Every row present from start to end delivered exactly once; no duplicates at all.
fn assert_exactly_once(ids: &[i64], stable: &BTreeSet<i64>) {
    let unique: HashSet<i64> = ids.iter().copied().collect();
    assert_eq!(unique.len(), ids.len(), "duplicates");
    let missing: Vec<_> = stable.iter().filter(|i| !unique.contains(i)).collect();
    assert!(
        missing.is_empty(),
        "missing {} rows: {:?}",
        missing.len(),
        &missing[..missing.len().min(10)]
    );
}

#[tokio::test(start_paused = true)]
async fn export_under_churn_storms_and_dropped_connections() {
    let portal = portal(PortalRateLimit::STANDARD).await;
    let table = deals(&portal, 3_000);
    let client = client(&portal);
    let mut deleted = BTreeSet::new();
    let ids = drain(client.export(List::new(DEALS)), |n| {
        if n % 200 == 0 {
            // Delete one row behind the cursor and one ahead, add one.
            let behind = (n / 2) as i64;
            let ahead = n as i64 + 500;
            for id in [behind, ahead] {
                if table.delete(id) {
                    deleted.insert(id);
                }
            }
            table.insert(json!({"title": "added"}));
        }
        match n {
            500 => {
                portal.inject_for("crm.item.list", Fault::DropConnection, 2);
            }
            1_000 => {
                portal.inject_for("crm.item.list", Fault::QueryLimit, 4);
            }
            1_500 => {
                portal.inject_for("crm.item.list", Fault::BadGatewayHtml, 1);
            }
            _ => {}
        }
    })
    .await;
    let stable: BTreeSet<i64> = (1..=3_000).filter(|i| !deleted.contains(i)).collect();
    assert_exactly_once(&ids, &stable);
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "ascending IDs");
    assert_eq!(portal.pending_faults(), 0, "every fault hit");
    let dropped = portal
        .requests()
        .iter()
        .filter(|r| r.status.is_none())
        .count();
    assert_eq!(dropped, 2);
}

#[tokio::test(start_paused = true)]
async fn export_batched_under_churn_and_storms() {
    let portal = portal(PortalRateLimit::STANDARD).await;
    let table = deals(&portal, 12_000);
    let client = client(&portal);
    let mut deleted = BTreeSet::new();
    let ids = drain(client.export_batched(List::new(DEALS)), |n| {
        if n % 1_000 == 0 {
            for id in [(n / 3) as i64, n as i64 + 1_700, n as i64 + 4_000] {
                if table.delete(id) {
                    deleted.insert(id);
                }
            }
            table.insert_many((0..3).map(|_| json!({"title": "added"})));
        }
        if n == 2_500 {
            // `batch` is a writing method for the client, but a refused batch never ran.
            portal.inject_for("batch", Fault::QueryLimit, 3);
        }
    })
    .await;
    let stable: BTreeSet<i64> = (1..=12_000).filter(|i| !deleted.contains(i)).collect();
    assert_exactly_once(&ids, &stable);
    assert_eq!(portal.pending_faults(), 0);
    // 12,000 rows + a few added: 5 batches of 2,500, plus 3 refused.
    assert!(
        portal.request_count() <= 6 + 3,
        "{}",
        portal.request_count()
    );
}

#[tokio::test]
async fn items_follow_next_over_pages() {
    let portal = portal(PortalRateLimit::UNLIMITED).await;
    deals(&portal, 230);
    let client = client(&portal);
    let ids = drain(client.items(List::new(DEALS)), |_| {}).await;
    assert_eq!(ids, (1..=230).collect::<Vec<_>>());
    assert_eq!(portal.request_count(), 5);
    let pages: Vec<_> = client.pages(List::new(DEALS)).try_collect().await.unwrap();
    assert_eq!(pages.len(), 5);
    assert_eq!(pages[0].total, Some(230));
    assert_eq!(pages[4].next, None);
}

/// 100,000 rows: `crm.item.list` answered by a handler that computes each page from the
/// `>id` cursor, so this test checks the client's chaining alone; the fake portal's table
/// is covered by the churn tests above and by `tests/export_limits.rs` (100,000 rows under
/// the documented limits).
#[tokio::test]
async fn export_batched_of_100_000_rows_takes_41_requests() {
    const N: i64 = 100_000;
    let portal = portal(PortalRateLimit::UNLIMITED).await;
    portal.on("crm.item.list", |p| {
        assert_eq!(p["order"]["id"], "ASC");
        assert_eq!(p["start"].to_string().trim_matches('"'), "-1");
        // Past the end, the reference to the previous page's 50th row resolves to "".
        let after = match &p["filter"][">id"] {
            Value::String(s) => s.parse::<i64>().unwrap_or(N),
            v => v.as_i64().unwrap(),
        };
        let items: Vec<Value> = (after + 1..=(after + 50).min(N))
            .map(|id| json!({"id": id, "title": format!("Deal {id}")}))
            .collect();
        Ok(json!({"items": items}))
    });
    let client = builder(&portal).no_rate_limit().build().unwrap();
    let ids = drain(client.export_batched(List::new(DEALS)), |_| {}).await;
    assert_eq!(ids, (1..=N).collect::<Vec<_>>(), "every row once, in order");
    // 100,000 / 2,500 = 40 full batches, and one that finds the end.
    assert_eq!(portal.request_count(), 41);
    assert!(portal.requests().iter().all(|r| r.method == "batch"));
}

// ---------------------------------------------------------------------------------------
// REST 3.0: the generated `bitrix24::v3` requests at `/rest/api/`

#[tokio::test(start_paused = true)]
async fn a_rest_v3_write_whose_answer_was_lost_is_resent_with_its_key_and_runs_once() {
    use bitrix24::v3::tasks::task::add::{Add as AddTask, Fields};

    let portal = portal(PortalRateLimit::UNLIMITED).await;
    let created = Arc::new(AtomicUsize::new(0));
    let c = created.clone();
    portal.on("tasks.task.add", move |_| {
        let id = c.fetch_add(1, Ordering::SeqCst) + 100;
        Ok(json!({"item": {"id": id, "title": "Prepare a report"}}))
    });
    // The task is created, then the answer is lost on the way.
    portal.inject_for("tasks.task.add", Fault::LostAnswer, 1);
    let client = client(&portal);
    let started = Instant::now();
    let added = client
        .call(AddTask::new(Fields::new("Prepare a report", 1, 1)))
        .await
        .unwrap();
    let item = added.item.expect("the created task");
    assert_eq!(item["id"], 100, "the first run's answer, replayed");
    assert_eq!(created.load(Ordering::SeqCst), 1, "created once");
    let log = portal.requests();
    assert_eq!(log.len(), 2);
    assert!(log.iter().all(|r| r.rest_v3));
    assert!(!log[0].replayed && log[1].replayed, "{log:?}");
    // Resent once the portal's 60 s limit on the first attempt had passed.
    assert!(
        started.elapsed() >= Duration::from_secs(60),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test(start_paused = true)]
async fn a_rest_v3_error_is_a_documented_error_code() {
    use bitrix24::v3::tasks::task::Get as GetTask;

    let portal = portal(PortalRateLimit::UNLIMITED).await;
    portal.on("tasks.task.get", |_| {
        Err((
            400,
            "BITRIX_REST_V3_EXCEPTION_ENTITYNOTFOUNDEXCEPTION",
            "Record with ID = `2` not found",
        )
            .into())
    });
    let err = seen(client(&portal).call(GetTask::new(2)).await.unwrap_err());
    assert_eq!(
        ErrorCode::of(&err),
        Some(ErrorCode::V3Entitynotfound),
        "{err}"
    );
    assert_eq!(err.status(), Some(400));
    assert_eq!(portal.requests()[0].method, "tasks.task.get");
    assert!(portal.requests()[0].rest_v3);
}
