//! Every everyday task of a Bitrix24 integration, as a new user writes it: only `bitrix24`
//! (and Tokio) as dependencies, only its public API, against its fake portal. Each task
//! asserts what it shows; the program fails on the first that does not hold.
//!
//! Run with `cargo run --manifest-path tests/adopter/Cargo.toml`.

use std::collections::BTreeMap;
use std::pin::pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bitrix24::chrono::{FixedOffset, NaiveDate};
use bitrix24::crm::activity::todo::Add as TodoAdd;
use bitrix24::crm::calllist::{Add, Get, add::EntityType, get::GetResult};
use bitrix24::crm::item::list::List as ItemList;
use bitrix24::events::{self, AppRequest, Event, EventError, SecretString};
use bitrix24::futures_util::future::BoxFuture;
use bitrix24::futures_util::{StreamExt, TryStreamExt};
use bitrix24::serde_json::{self, Value, json};
use bitrix24::testing::{FakePortal, LogCapture, MethodError, PortalRateLimit};
use bitrix24::wire::{self, Lenient};
use bitrix24::{
    BoxError, Client, Clock, DateTime, Decimal, Error, ErrorCode, ExposeSecret, HttpReply,
    HttpRequest, JsonObject, Method, OAuthApp, OAuthConfig, OAuthError, Portal, RateLimit,
    Reference, ReqwestTransport, RetryPolicy, TokenGrant, TokenStore, Tokens, TokioClock,
    Transport, TransportError, TransportErrorKind,
};

type Result<T = ()> = std::result::Result<T, Box<dyn std::error::Error>>;

fn main() -> Result {
    tokio::runtime::Runtime::new()?.block_on(tasks())?;
    paused_clock()?;
    println!("adopter: every task done with `bitrix24` alone");
    Ok(())
}

async fn tasks() -> Result {
    let portal = FakePortal::start().await?;
    let client = Client::builder(&portal.webhook_url())
        .allow_insecure_loopback()
        .retry(RetryPolicy::default().max_attempts(3))
        .build()?;

    call_and_documented_error(&portal, &client).await?;
    own_types_and_methods_outside_the_spec(&portal, &client).await?;
    batch_with_a_reference(&portal, &client).await?;
    stream_export_and_progress(&portal, &client).await?;
    oauth_renewal_with_a_custom_store(&portal).await?;
    custom_transport_and_oauth_errors(&portal).await?;
    inbound_events_and_the_app_life_cycle()?;
    dates_money_and_names()?;
    Ok(())
}

/// A typed call, and a documented error matched by its code (not the HTTP status).
async fn call_and_documented_error(portal: &FakePortal, client: &Client) -> Result {
    portal.on("crm.calllist.add", |p| match p["ENTITIES"].as_array() {
        Some(e) if !e.is_empty() => Ok(json!(11)),
        _ => Err(MethodError::new(
            400,
            "ENTITIES_ERROR",
            "Entities is not array",
        )),
    });
    let id: i64 = client
        .call(Add::new(EntityType::Contact, [1, 2, 3]))
        .await?;
    assert_eq!(id, 11);
    let err = client
        .call(Add::new(EntityType::Contact, Vec::<i64>::new()))
        .await
        .expect_err("an empty ENTITIES is refused");
    assert_eq!(ErrorCode::of(&err), Some(ErrorCode::EntitiesError));
    assert!(matches!(err, Error::Api(_)));
    Ok(())
}

/// A plain `#[derive(Deserialize)]` type decodes the portal's shapes, for any method name
/// (`call_as`) or through a user-declared `Method`.
async fn own_types_and_methods_outside_the_spec(portal: &FakePortal, client: &Client) -> Result {
    #[derive(Debug, bitrix24::serde::Deserialize)]
    #[serde(crate = "bitrix24::serde")]
    struct Deal {
        #[serde(rename = "ID")]
        id: i64,
        #[serde(rename = "OPPORTUNITY")]
        amount: f64,
        #[serde(rename = "EXACT")]
        exact: Decimal,
        #[serde(rename = "CLOSED")]
        closed: bool,
        #[serde(rename = "CLOSEDATE", default)]
        closed_on: Option<NaiveDate>,
        #[serde(rename = "UF_LIST")]
        tags: BTreeMap<String, String>,
    }
    portal.on("crm.deal.get", |p| {
        let id = p["id"]
            .as_str()
            .map_or_else(|| p["id"].to_string(), str::to_owned);
        Ok(json!({"ID": id, "OPPORTUNITY": "100.50",
                  "EXACT": "3607999.00", "CLOSED": "N", "CLOSEDATE": "", "UF_LIST": []}))
    });
    let deal: Deal = client.call_as("crm.deal.get", json!({"id": "7"})).await?;
    assert_eq!((deal.id, deal.amount, deal.closed), (7, 100.5, false));
    assert_eq!(deal.exact.to_string(), "3607999.00");
    assert_eq!((deal.closed_on, deal.tags.len()), (None, 0));

    #[derive(bitrix24::serde::Serialize)]
    #[serde(crate = "bitrix24::serde")]
    struct GetDeal {
        id: String,
    }
    impl Method for GetDeal {
        const NAME: &'static str = "crm.deal.get";
        const READ_ONLY: bool = true;
        type Output = Lenient<Deal>;
    }
    let deal = client.call(GetDeal { id: "8".into() }).await?.into_inner();
    assert_eq!(deal.id, 8);

    // One lenient field in an otherwise strict type.
    #[derive(bitrix24::serde::Deserialize)]
    #[serde(crate = "bitrix24::serde")]
    struct Strict {
        #[serde(deserialize_with = "wire::lenient")]
        n: i64,
    }
    let s: Strict = serde_json::from_value(json!({"n": "42"}))?;
    assert_eq!(s.n, 42);

    // The raw envelope for anything else.
    let raw = client.call_raw("crm.deal.get", json!({"id": 9})).await?;
    assert_eq!(raw.result["ID"], "9");
    Ok(())
}

/// A batch whose second command takes the first one's result where its typed `id` is.
async fn batch_with_a_reference(portal: &FakePortal, client: &Client) -> Result {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    portal.on("crm.calllist.get", move |p| {
        log.lock().unwrap().push(p.clone());
        Ok(json!({"ID": p["ID"].clone()}))
    });
    let mut batch = client.batch();
    batch.halt(true);
    let add = batch.push(Add::new(EntityType::Contact, [1]))?;
    let whole: Reference = add.result();
    assert_eq!(whole, "$result[cmd0]");
    assert_eq!(
        add.reference(["items", "0", "id"]),
        "$result[cmd0][items][0][id]"
    );
    assert_eq!(add.reference([]), whole);
    // `id` (the Rust name) is sent as `ID`, once, replacing the typed value.
    let get = batch.push(Get::new(0).insert_extra("id", whole))?;
    let results = batch.send().await?;
    let id: i64 = results.get(&add)?;
    let list = results.get(&get)?;
    assert_eq!((id, list.id), (11, Some(11)));
    let params = seen
        .lock()
        .unwrap()
        .pop()
        .ok_or("crm.calllist.get was not called")?;
    assert_eq!(
        params.get("id"),
        None,
        "the Rust name is not sent: {params}"
    );
    assert_eq!(params["ID"], "11");
    assert_eq!(bitrix24::MAX_COMMANDS, 50);
    Ok(())
}

/// Rows page by page, an export by ID cursor, and a progress count against the total.
async fn stream_export_and_progress(portal: &FakePortal, client: &Client) -> Result {
    portal
        .table("crm.item.list")
        .set_id_field("id")
        .set_items_key("items")
        .insert_many((1..=320).map(|i| json!({"title": format!("Deal {i}")})));
    let mut rows = pin!(client.items(ItemList::new(2).select(["id", "title"])));
    let mut n = 0;
    while let Some(row) = rows.try_next().await? {
        assert!(row.contains_key("title"));
        n += 1;
    }
    assert_eq!(n, 320);
    let total = client.total(&ItemList::new(2)).await?;
    assert_eq!(total, Some(320));
    let mut done = 0u64;
    let exported: Vec<_> = client
        .export_batched(ItemList::new(2).filter(json!({})))
        .inspect_ok(|_| done += 1)
        .try_collect()
        .await?;
    assert_eq!((exported.len(), done), (320, 320));
    let pages: Vec<_> = client.pages(ItemList::new(2)).collect().await;
    assert_eq!(pages.len(), 7);
    // A filter that is not an object is refused before anything is sent.
    let sent = portal.call_count("crm.item.list");
    let err = client
        .total(&ItemList::new(2).filter(json!(["stageId", "NEW"])))
        .await
        .expect_err("a list is not a filter");
    assert!(matches!(err, Error::Encode { .. }), "{err:?}");
    assert_eq!(portal.call_count("crm.item.list"), sent);
    Ok(())
}

/// The token store told which portal the renewed tokens belong to.
#[derive(Default)]
struct Store(Mutex<Vec<(Portal, Tokens)>>);

impl TokenStore for Store {
    fn save(&self, portal: &Portal, tokens: &Tokens) -> std::result::Result<(), BoxError> {
        self.0
            .lock()
            .unwrap()
            .push((portal.clone(), tokens.clone()));
        Ok(())
    }
}

fn oauth_app(portal: &FakePortal) -> OAuthApp {
    let settings = portal.oauth();
    OAuthApp::new(settings.client_id.clone(), settings.client_secret.clone())
        .oauth_server(portal.base_url())
        .allow_insecure_loopback()
}

async fn oauth_renewal_with_a_custom_store(portal: &FakePortal) -> Result {
    let settings = portal.oauth();
    let grant: TokenGrant = oauth_app(portal)
        .exchange_code(&portal.issue_authorization_code())
        .await?;
    assert!(grant.client_endpoint.is_some());
    let store = Arc::new(Store::default());
    let config = OAuthConfig::new(
        settings.client_endpoint.clone(),
        oauth_app(portal),
        grant.tokens,
    )
    .member_id("m-1")
    .store(store.clone());
    let client = Client::oauth_builder(config)
        .allow_insecure_loopback()
        .build()?;
    portal.expire_access_token();
    let id: i64 = client.call(Add::new(EntityType::Contact, [1])).await?;
    assert_eq!(id, 11);
    let saved = store.0.lock().unwrap();
    let (owner, tokens) = saved.last().ok_or("no tokens saved")?;
    assert_eq!(owner.member_id.as_deref(), Some("m-1"));
    assert!(owner.domain.starts_with("127.0.0.1:"), "{owner:?}");
    assert!(!tokens.access_token.expose_secret().is_empty());
    Ok(())
}

/// A recording transport around the default one, and an OAuth failure matched by kind.
struct Recording {
    inner: ReqwestTransport,
    urls: Mutex<Vec<String>>,
}

impl Transport for Recording {
    fn post(
        &self,
        request: HttpRequest,
    ) -> BoxFuture<'_, std::result::Result<HttpReply, TransportError>> {
        let url = &request.url;
        self.urls
            .lock()
            .unwrap()
            .push(url.split('?').next().unwrap_or(url).to_owned());
        self.inner.post(request)
    }
}

async fn custom_transport_and_oauth_errors(portal: &FakePortal) -> Result {
    let transport = Arc::new(Recording {
        inner: ReqwestTransport::new(Duration::from_secs(5))?,
        urls: Mutex::new(Vec::new()),
    });
    let client = Client::builder(&portal.webhook_url())
        .allow_insecure_loopback()
        .transport(transport.clone())
        .build()?;
    let _: i64 = client.call(Add::new(EntityType::Contact, [1])).await?;
    assert!(
        transport
            .urls
            .lock()
            .unwrap()
            .iter()
            .any(|u| u.contains("crm.calllist.add"))
    );

    // An expired access token and a revoked refresh token: the renewal is refused, an
    // OAuth error matched by kind.
    let settings = portal.oauth();
    let issued = portal.issue_tokens();
    let tokens = Tokens::new(issued.access_token, issued.refresh_token);
    let config = OAuthConfig::new(settings.client_endpoint.clone(), oauth_app(portal), tokens);
    let client = Client::oauth_builder(config)
        .allow_insecure_loopback()
        .build()?;
    portal.expire_access_token();
    portal.revoke_refresh_tokens();
    match client.call(Add::new(EntityType::Contact, [1])).await {
        Err(Error::OAuth(OAuthError::Refused(e))) => assert_eq!(e.code, "invalid_grant"),
        other => return Err(format!("expected a refused renewal, got {other:?}").into()),
    }
    let e = TransportError::new(TransportErrorKind::Connect, "no route");
    assert!(e.is_connect());
    Ok(())
}

/// An event checked with the application token; the install event and a placement POST.
fn inbound_events_and_the_app_life_cycle() -> Result {
    let auth = "auth[domain]=p.bitrix24.com&auth[client_endpoint]=https://p.bitrix24.com/rest/\
        &auth[server_endpoint]=https://oauth.bitrix.info/rest/&auth[member_id]=m-1";
    let install = format!(
        "event=ONAPPINSTALL&data[VERSION]=1&data[ACTIVE]=Y&data[INSTALLED]=Y&data[LANGUAGE_ID]=en\
         &ts=1&{auth}&auth[application_token]=app-token&auth[access_token]=a&auth[refresh_token]=r"
    );
    let installation = events::parse_install(install.as_bytes())?;
    let token: SecretString = installation.application_token().clone();
    assert_eq!(installation.portal().member_id.as_deref(), Some("m-1"));
    assert_eq!(installation.delivery.data.installed, Some(true));

    let activity = format!(
        "event=ONCRMACTIVITYADD&data[FIELDS][ID]=999&ts=2&{auth}&auth[application_token]=app-token"
    );
    match Event::parse(activity.as_bytes(), &token)? {
        Event::OnCrmActivityAdd(d) => assert_eq!(d.data.fields.and_then(|f| f.id), Some(999)),
        other => return Err(format!("unexpected {}", other.name()).into()),
    }
    let forged = SecretString::from("other");
    assert!(matches!(
        Event::parse(activity.as_bytes(), &forged),
        Err(EventError::Unauthenticated(_))
    ));

    let page = AppRequest::parse(
        b"DOMAIN=p.bitrix24.com&PROTOCOL=1&LANG=en",
        b"AUTH_ID=a&REFRESH_ID=r&member_id=m-1&PLACEMENT=CRM_DEAL_DETAIL_TAB\
          &PLACEMENT_OPTIONS=%7B%22ID%22%3A%2242%22%7D&APPLICATION_TOKEN=app-token",
    )?;
    page.verify(&token)?;
    assert_eq!(page.placement_options["ID"], "42");
    assert_eq!(page.client_endpoint(), "https://p.bitrix24.com/rest/");
    assert!(page.oauth_config(OAuthApp::new("id", "secret")).is_some());
    Ok(())
}

/// Dates, exact money, code names that read as words, both rate limits in one scope.
fn dates_money_and_names() -> Result {
    let date: Option<NaiveDate> = wire::from_value(json!(""))?;
    assert_eq!(date, None);
    let amount: Decimal = wire::from_value(json!("3607999.00"))?;
    assert_eq!(amount.to_string(), "3607999.00");
    assert_eq!(ErrorCode::from_code("100"), ErrorCode::Code100);
    let (_client_side, _portal_side) = (RateLimit::STANDARD, PortalRateLimit::STANDARD);
    // An application that installed its own subscriber still gets an answer.
    let _ = LogCapture::try_global();
    let v: Value = wire::from_value(json!({"a": 1}))?;
    assert_eq!(v["a"], 1);

    // Date-times as the portal wrote them: this one without an offset (the portal's own
    // time zone, which the application knows), so nothing is guessed.
    let list: GetResult =
        wire::from_value(json!({"ID": "13", "DATE_CREATE": "2025-07-14 08:47:19"}))?;
    let created = list.date_create.ok_or("DATE_CREATE")?;
    assert_eq!(created.offset(), None);
    let portal_zone = FixedOffset::east_opt(2 * 3600).ok_or("offset")?;
    let instant = created.with_offset_or(portal_zone);
    assert_eq!(instant.to_rfc3339(), "2025-07-14T08:47:19+02:00");
    assert_eq!(
        created.to_string(),
        "2025-07-14 08:47:19",
        "written back as read"
    );
    let deadline: DateTime = "2025-07-15T18:00:00+02:00".parse()?;
    let todo = TodoAdd::new(2, 7, deadline).title("Call back");
    assert_eq!(
        serde_json::to_value(&todo)?["deadline"],
        "2025-07-15T18:00:00+02:00"
    );
    let todo = TodoAdd::new(2, 7, instant + bitrix24::chrono::Duration::days(1));
    assert_eq!(
        serde_json::to_value(&todo)?["deadline"],
        "2025-07-15T08:47:19+02:00"
    );

    // Object parameters take `json!({...})` or a `Map`.
    let rows = ItemList::new(2).filter(json!({">id": 5, "stageId": "NEW"}));
    assert_eq!(serde_json::to_value(&rows)?["filter"]["stageId"], "NEW");
    let rows = ItemList::new(2).order(serde_json::Map::from_iter([("id".into(), json!("ASC"))]));
    assert_eq!(
        rows.order
            .as_ref()
            .and_then(JsonObject::as_map)
            .map(|m| m.len()),
        Some(1)
    );
    Ok(())
}

/// A paused-clock test: the client's clock is Tokio's, so the request-rate queue is
/// waited out instantly.
fn paused_clock() -> Result {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()?;
    rt.block_on(async {
        let portal = FakePortal::start().await?;
        portal.on("user.current", |_| Ok(json!({"ID": "1"})));
        let clock: Arc<dyn Clock> = Arc::new(TokioClock::starting_at(1_700_000_000.0));
        let client = Client::builder(&portal.webhook_url())
            .allow_insecure_loopback()
            .clock(clock)
            .rate_limit(RateLimit::new(2, 1.0))
            .build()?;
        let started = tokio::time::Instant::now();
        for _ in 0..4 {
            client.call_raw("user.current", json!({})).await?;
        }
        assert!(
            started.elapsed() >= Duration::from_secs(2),
            "{:?}",
            started.elapsed()
        );
        Ok::<_, Box<dyn std::error::Error>>(())
    })
}
