//! OAuth: code exchange, renewal on `expired_token` (once, single flight), token store,
//! secrets kept out of Debug, errors and logs.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bitrix24_runtime::{
    BoxError, Client, ClientBuilder, Error, MemoryTokenStore, OAuthApp, OAuthConfig, OAuthError,
    RetryPolicy, TokenStore, Tokens, TokioClock,
};
use futures_util::future::join_all;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};
use support::{CODE, Fake, Reply, T0, api_error, ok, policy};

const ACCESS: &str = "acc3ss0ld0000";
const NEW_ACCESS: &str = "acc3ssn3w1111";
const REFRESH: &str = "r3fr3sh0ld2222";
const NEW_REFRESH: &str = "r3fr3shn3w3333";
const SECRET: &str = "cl13nts3cr3t4444";
const AUTH_CODE: &str = "auth0c0de5555";
const ALL_SECRETS: [&str; 7] = [
    ACCESS,
    NEW_ACCESS,
    REFRESH,
    NEW_REFRESH,
    SECRET,
    AUTH_CODE,
    CODE,
];

fn assert_no_secret(text: &str) {
    for s in ALL_SECRETS {
        assert!(!text.contains(s), "secret {s} leaked: {text}");
    }
}

fn app() -> OAuthApp {
    OAuthApp::new("local.abc.123", SecretString::from(SECRET))
}

fn tokens() -> Tokens {
    Tokens::new(SecretString::from(ACCESS), SecretString::from(REFRESH))
}

fn grant_body() -> Value {
    json!({
        "access_token": NEW_ACCESS, "refresh_token": NEW_REFRESH, "expires_in": 3600,
        "client_endpoint": "https://example.bitrix24.com/rest/", "domain": "oauth.bitrix.info",
        "member_id": "a223c6b3", "scope": "crm,user", "status": "L", "user_id": 67,
        "server_endpoint": "https://oauth.bitrix.info/rest/"
    })
}

/// A portal that accepts only `valid` as `auth`, and an OAuth server that answers each
/// renewal after 1 s with `renewal`, making `NEW_ACCESS` valid when it succeeds.
struct Portal {
    valid: Mutex<String>,
    renewals: AtomicUsize,
    renewal: Reply,
    /// Keep answering expired_token even to the new token.
    always_expired: bool,
}

impl Portal {
    fn new(valid: &str) -> Arc<Portal> {
        Arc::new(Portal {
            valid: Mutex::new(valid.to_owned()),
            renewals: AtomicUsize::new(0),
            renewal: Reply::Json(200, grant_body()),
            always_expired: false,
        })
    }

    fn fake(self: &Arc<Self>) -> Arc<Fake> {
        let portal = Arc::clone(self);
        Fake::new(move |s, _| {
            if s.verb == "GET" {
                portal.renewals.fetch_add(1, Ordering::SeqCst);
                if matches!(portal.renewal, Reply::Json(200, _)) {
                    *portal.valid.lock().unwrap() = NEW_ACCESS.to_owned();
                }
                return Reply::After(Duration::from_secs(1), Box::new(portal.renewal.clone()));
            }
            let auth = s.json()["auth"].as_str().unwrap_or("").to_owned();
            if !portal.always_expired && auth == *portal.valid.lock().unwrap() {
                ok(json!({"ok": true}))
            } else {
                api_error(401, "expired_token")
            }
        })
    }

    fn renewals(&self) -> usize {
        self.renewals.load(Ordering::SeqCst)
    }
}

fn oauth_builder(fake: &Arc<Fake>, store: Arc<dyn TokenStore>) -> ClientBuilder {
    let config =
        OAuthConfig::new("https://example.bitrix24.com/rest/", app(), tokens()).store(store);
    Client::oauth_builder(config)
        .transport(fake.clone())
        .clock(Arc::new(TokioClock::starting_at(T0)))
        .retry(policy())
}

fn posts(fake: &Fake) -> usize {
    fake.sent().iter().filter(|s| s.verb == "POST").count()
}

// ---------------------------------------------------------------------------------------
// Authorization URL and code exchange

#[test]
fn authorization_url_follows_the_docs() {
    let url = app()
        .authorization_url("portal.bitrix24.com", "JJHgsdgfkdaslg7lbadsfg")
        .unwrap();
    assert_eq!(
        url,
        "https://portal.bitrix24.com/oauth/authorize/?client_id=local.abc.123&state=JJHgsdgfkdaslg7lbadsfg"
    );
    assert_eq!(
        bitrix24_runtime::authorization_url("https://portal.bitrix24.com", "app.1", "a b").unwrap(),
        "https://portal.bitrix24.com/oauth/authorize/?client_id=app.1&state=a%20b"
    );
    let e =
        bitrix24_runtime::authorization_url("http://portal.bitrix24.com", "app.1", "").unwrap_err();
    assert!(matches!(e, Error::Config(_)), "{e}");
}

#[tokio::test(start_paused = true)]
async fn exchange_code_gets_the_first_pair() {
    let fake = Fake::new(|_, _| Reply::Json(200, grant_body()));
    let app = app().transport(fake.clone());
    let grant = app.exchange_code(AUTH_CODE).await.unwrap();
    let sent = &fake.sent()[0];
    assert_eq!(sent.verb, "GET");
    assert_eq!(
        sent.url,
        format!(
            "https://oauth.bitrix.info/oauth/token/?grant_type=authorization_code&code={AUTH_CODE}&client_id=local.abc.123&client_secret={SECRET}"
        )
    );
    assert_eq!(grant.tokens.access_token.expose_secret(), NEW_ACCESS);
    assert_eq!(grant.tokens.refresh_token.expose_secret(), NEW_REFRESH);
    assert!(grant.tokens.expires_at.is_some());
    assert_eq!(
        grant.client_endpoint.as_deref(),
        Some("https://example.bitrix24.com/rest/")
    );
    assert_eq!(grant.member_id.as_deref(), Some("a223c6b3"));
    assert_eq!(grant.scope.as_deref(), Some("crm,user"));
    assert_eq!(grant.user_id, Some(67));
    assert_eq!(grant.status.as_deref(), Some("L"));
    assert_no_secret(&format!("{grant:?}"));
}

#[tokio::test(start_paused = true)]
async fn exchange_code_refused_is_an_oauth_error_without_secrets() {
    let fake = Fake::new(|_, _| {
        Reply::Json(
            400,
            json!({"error": "invalid_grant", "error_description": "Invalid authorization code"}),
        )
    });
    let e = app()
        .transport(fake.clone())
        .exchange_code(AUTH_CODE)
        .await
        .unwrap_err();
    match &e {
        Error::OAuth(OAuthError::Refused(api)) => {
            assert!(api.is("INVALID_GRANT"));
            assert_eq!(api.status, 400);
        }
        other => panic!("expected OAuthError::Refused, got {other:?}"),
    }
    assert_no_secret(&format!("{e} | {e:?}"));
    assert!(!e.is_retryable());
}

#[tokio::test(start_paused = true)]
async fn a_token_answer_that_is_not_json_is_a_decode_error() {
    let fake = Fake::new(|_, _| Reply::Raw(502, format!("<html>{SECRET}</html>")));
    let e = app()
        .transport(fake)
        .refresh(&SecretString::from(REFRESH))
        .await
        .unwrap_err();
    assert!(
        matches!(e, Error::OAuth(OAuthError::Decode { status: 502, .. })),
        "{e:?}"
    );
    assert_no_secret(&format!("{e} | {e:?}"));
}

#[tokio::test]
async fn the_oauth_server_must_be_https() {
    let e = app()
        .oauth_server("http://oauth.example.com")
        .exchange_code(AUTH_CODE)
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Config(_)), "{e}");
}

// ---------------------------------------------------------------------------------------
// Calls and renewal

#[tokio::test(start_paused = true)]
async fn calls_carry_the_token_in_the_body() {
    let portal = Portal::new(ACCESS);
    let fake = portal.fake();
    let client = oauth_builder(&fake, Arc::new(MemoryTokenStore::new()))
        .build()
        .unwrap();
    let r = client
        .call_raw(
            "crm.item.list",
            json!({"entityTypeId": 2, "auth": "ignored"}),
        )
        .await
        .unwrap();
    assert_eq!(r.result, json!({"ok": true}));
    let sent = &fake.sent()[0];
    assert_eq!(sent.url, "https://example.bitrix24.com/rest/crm.item.list");
    assert_eq!(sent.json(), json!({"entityTypeId": 2, "auth": ACCESS}));
    assert_eq!(client.portal(), "https://example.bitrix24.com");
    assert_eq!(client.user_id(), None);
    assert_eq!(portal.renewals(), 0);
}

#[tokio::test(start_paused = true)]
async fn oauth_params_must_be_an_object() {
    let portal = Portal::new(ACCESS);
    let fake = portal.fake();
    let client = oauth_builder(&fake, Arc::new(MemoryTokenStore::new()))
        .build()
        .unwrap();
    let e = client.call_raw("x.y", json!([1, 2])).await.unwrap_err();
    assert!(matches!(e, Error::Encode { .. }), "{e:?}");
    assert!(fake.sent().is_empty());
    // null is sent as {} (plus auth).
    client.call_raw("x.y", Value::Null).await.unwrap();
    assert_eq!(fake.sent()[0].json(), json!({"auth": ACCESS}));
}

#[tokio::test(start_paused = true)]
async fn expired_token_renews_once_saves_and_resends() {
    let portal = Portal::new(NEW_ACCESS);
    let fake = portal.fake();
    let store = Arc::new(MemoryTokenStore::new());
    let client = oauth_builder(&fake, store.clone()).build().unwrap();
    let r = client
        .call_raw("crm.item.add", json!({"fields": {"title": "x"}}))
        .await;
    assert_eq!(r.unwrap().result, json!({"ok": true}));
    let sent = fake.sent();
    assert_eq!(sent.len(), 3);
    assert_eq!(sent[0].json()["auth"], json!(ACCESS));
    assert_eq!(
        sent[1].url,
        format!(
            "https://oauth.bitrix.info/oauth/token/?grant_type=refresh_token&refresh_token={REFRESH}&client_id=local.abc.123&client_secret={SECRET}"
        )
    );
    assert_eq!(sent[2].json()["auth"], json!(NEW_ACCESS));
    assert_eq!(
        sent[2].json()["fields"],
        json!({"title": "x"}),
        "same parameters"
    );
    let saved = store.load().expect("saved after the renewal");
    assert_eq!(saved.access_token.expose_secret(), NEW_ACCESS);
    assert_eq!(saved.refresh_token.expose_secret(), NEW_REFRESH);
    assert_eq!(saved.expires_at, Some(T0 as i64 + 1 + 3600));
    let current = client.tokens().unwrap();
    assert_eq!(current.refresh_token.expose_secret(), NEW_REFRESH);
    // The next call uses the new token straight away.
    client.call_raw("crm.item.list", json!({})).await.unwrap();
    assert_eq!(portal.renewals(), 1);
    assert_eq!(fake.sent().len(), 4);
}

#[tokio::test(start_paused = true)]
async fn concurrent_expired_calls_share_one_renewal() {
    let portal = Portal::new(NEW_ACCESS);
    let fake = portal.fake();
    let client = oauth_builder(&fake, Arc::new(MemoryTokenStore::new()))
        .build()
        .unwrap();
    let calls = (0..10).map(|i| client.call_raw("crm.item.get", json!({"id": i})));
    for r in join_all(calls).await {
        assert_eq!(r.unwrap().result, json!({"ok": true}));
    }
    assert_eq!(portal.renewals(), 1, "single flight");
    let sent = fake.sent();
    let with = |token: &str| {
        sent.iter()
            .filter(|s| s.verb == "POST" && s.json()["auth"] == json!(token))
            .count()
    };
    assert_eq!((with(ACCESS), with(NEW_ACCESS)), (10, 10));
}

#[tokio::test(start_paused = true)]
async fn still_expired_after_the_renewal_is_returned() {
    let portal = Arc::new(Portal {
        always_expired: true,
        ..Arc::into_inner(Portal::new(NEW_ACCESS)).unwrap()
    });
    let fake = portal.fake();
    let client = oauth_builder(&fake, Arc::new(MemoryTokenStore::new()))
        .build()
        .unwrap();
    let e = client
        .call_raw("crm.item.list", json!({}))
        .await
        .unwrap_err();
    assert!(e.api().unwrap().is("expired_token"), "{e}");
    assert_eq!(portal.renewals(), 1, "exactly once");
    assert_eq!(posts(&fake), 2);
}

#[tokio::test(start_paused = true)]
async fn a_failed_renewal_is_shared_and_not_repeated() {
    let portal = Arc::new(Portal {
        renewal: Reply::Json(
            400,
            json!({"error": "invalid_grant", "error_description": "Refresh token expired"}),
        ),
        ..Arc::into_inner(Portal::new(NEW_ACCESS)).unwrap()
    });
    let fake = portal.fake();
    let client = oauth_builder(&fake, Arc::new(MemoryTokenStore::new()))
        .build()
        .unwrap();
    let results = join_all((0..5).map(|_| client.call_raw("crm.item.list", json!({})))).await;
    assert_eq!(portal.renewals(), 1);
    let mut refused = 0;
    let mut shared = 0;
    for r in results {
        let e = r.unwrap_err();
        assert_no_secret(&format!("{e} | {e:?}"));
        match e {
            Error::OAuth(OAuthError::Refused(api)) => {
                assert!(api.is("invalid_grant"));
                refused += 1;
            }
            Error::OAuth(OAuthError::ConcurrentRenewal(inner)) => {
                assert!(matches!(*inner, OAuthError::Refused(_)));
                shared += 1;
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!((refused, shared), (1, 4));
    assert_eq!(posts(&fake), 5, "no call was resent");
    assert_eq!(
        client.tokens().unwrap().access_token.expose_secret(),
        ACCESS
    );
}

struct FailingStore;

impl TokenStore for FailingStore {
    fn save(&self, _: &bitrix24_runtime::Portal, _: &Tokens) -> Result<(), BoxError> {
        Err("disk full".into())
    }
}

#[tokio::test(start_paused = true)]
async fn a_store_failure_is_reported_and_the_new_tokens_are_still_used() {
    let portal = Portal::new(NEW_ACCESS);
    let fake = portal.fake();
    let client = oauth_builder(&fake, Arc::new(FailingStore))
        .build()
        .unwrap();
    let e = client
        .call_raw("crm.item.list", json!({}))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::OAuth(OAuthError::Store(_))), "{e:?}");
    assert!(e.to_string().contains("disk full"), "{e}");
    client.call_raw("crm.item.list", json!({})).await.unwrap();
    assert_eq!(portal.renewals(), 1);
}

#[tokio::test(start_paused = true)]
async fn renewal_does_not_count_as_a_retry() {
    let portal = Portal::new(NEW_ACCESS);
    let fake = portal.fake();
    let client = oauth_builder(&fake, Arc::new(MemoryTokenStore::new()))
        .retry(RetryPolicy::never())
        .build()
        .unwrap();
    client.call_raw("crm.item.list", json!({})).await.unwrap();
    assert_eq!(posts(&fake), 2);
}

#[tokio::test(start_paused = true)]
async fn a_webhook_client_does_not_renew() {
    let fake = Fake::new(|_, _| api_error(401, "expired_token"));
    let e = support::client(&fake)
        .call_raw("crm.item.list", json!({}))
        .await
        .unwrap_err();
    assert!(e.api().unwrap().is("expired_token"));
    assert_eq!(fake.sent().len(), 1);
}

#[test]
fn oauth_endpoints_are_checked() {
    let fake = Fake::new(|_, _| ok(json!(1)));
    for bad in [
        "http://example.bitrix24.com/rest/",
        "https://example.bitrix24.com/rest/1/abc/",
        "https://example.bitrix24.com/rest/?auth=x",
        "not a url",
    ] {
        let config = OAuthConfig::new(bad, app(), tokens());
        let e = Client::oauth_builder(config)
            .transport(fake.clone())
            .build()
            .unwrap_err();
        assert!(matches!(e, Error::Config(_)), "{bad}: {e}");
    }
    let config = OAuthConfig::new("https://example.bitrix24.com", app(), tokens());
    assert!(Client::oauth(config).is_ok());
}

#[test]
fn debug_never_shows_secrets() {
    let tokens = tokens().expires_at(1_780_319_382);
    let config = OAuthConfig::new("https://example.bitrix24.com/rest/", app(), tokens.clone());
    let builder = Client::oauth_builder(OAuthConfig::new(
        "https://example.bitrix24.com/rest/",
        app(),
        tokens.clone(),
    ));
    let client = Client::oauth(OAuthConfig::new(
        "https://example.bitrix24.com/rest/",
        app(),
        tokens.clone(),
    ))
    .unwrap();
    let store = MemoryTokenStore::new();
    store
        .save(
            &bitrix24_runtime::Portal::new("example.bitrix24.com", None),
            &tokens,
        )
        .unwrap();
    let shown = format!(
        "{tokens:?} {config:?} {builder:?} {client:?} {store:?} {:?}",
        app()
    );
    assert_no_secret(&shown);
    assert!(
        shown.contains("local.abc.123") && shown.contains("1780319382"),
        "{shown}"
    );
}

// ---------------------------------------------------------------------------------------
// Logs

/// Needs the `testing` feature for [`LogCapture`] (the workspace test run enables it).
#[cfg(feature = "testing")]
#[tokio::test(start_paused = true)]
async fn no_secret_appears_in_any_log_line() {
    use bitrix24_runtime::testing::LogCapture;
    let capture = LogCapture::global();

    // Webhook: a 502 page quoting the URL (retried, read-only), then a decode error.
    let fake = Fake::new(|_, i| {
        if i < 2 {
            Reply::Raw(
                502,
                format!("<html>/rest/7/{CODE}/crm.item.list failed</html>"),
            )
        } else {
            Reply::Json(200, json!({"result": {"echo": CODE}}))
        }
    });
    let client = support::client(&fake);
    client
        .call_raw_read_only("crm.item.list", json!({}))
        .await
        .unwrap();
    // OAuth: renewal, then a failed renewal and a store failure.
    let portal = Portal::new(NEW_ACCESS);
    let fake = portal.fake();
    let client = oauth_builder(&fake, Arc::new(MemoryTokenStore::new()))
        .build()
        .unwrap();
    client.call_raw("crm.item.list", json!({})).await.unwrap();
    let refusing = Arc::new(Portal {
        renewal: Reply::Json(400, json!({"error": "invalid_grant"})),
        ..Arc::into_inner(Portal::new(NEW_ACCESS)).unwrap()
    });
    let fake = refusing.fake();
    let client = oauth_builder(&fake, Arc::new(MemoryTokenStore::new()))
        .build()
        .unwrap();
    client
        .call_raw("crm.item.list", json!({}))
        .await
        .unwrap_err();
    let portal = Portal::new(NEW_ACCESS);
    let fake = portal.fake();
    let client = oauth_builder(&fake, Arc::new(FailingStore))
        .build()
        .unwrap();
    client
        .call_raw("crm.item.list", json!({}))
        .await
        .unwrap_err();

    let lines = capture.lines();
    let all = lines.join("\n");
    for line in &lines {
        assert_no_secret(line);
    }
    // The capture saw the request path: spans with their fields, retries, renewals.
    assert!(
        all.contains("span bitrix24.call method=crm.item.list"),
        "{all}"
    );
    assert!(
        all.contains("attempt=3") && all.contains("status=502"),
        "{all}"
    );
    assert!(all.contains("duration_ms="), "{all}");
    assert!(all.contains("retrying"), "{all}");
    assert!(all.contains("renewing the OAuth tokens"), "{all}");
    assert!(all.contains("could not be saved"), "{all}");
}

// ---------------------------------------------------------------------------------------
// Real HTTP (reqwest) against a local server

#[tokio::test]
async fn renewal_over_http_with_the_default_transport() {
    use wiremock::matchers::{body_json, method, path, query_param};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/rest/user.current"))
        .and(body_json(json!({"auth": ACCESS})))
        .respond_with(ResponseTemplate::new(401).set_body_json(
            json!({"error": "expired_token", "error_description": "The access token provided has expired."}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/oauth/token/"))
        .and(query_param("grant_type", "refresh_token"))
        .and(query_param("refresh_token", REFRESH))
        .and(query_param("client_id", "local.abc.123"))
        .and(query_param("client_secret", SECRET))
        .respond_with(ResponseTemplate::new(200).set_body_json(grant_body()))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/rest/user.current"))
        .and(body_json(json!({"auth": NEW_ACCESS})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"result": {"ID": "1"}})))
        .expect(1)
        .mount(&server)
        .await;
    let config = OAuthConfig::new(
        format!("{}/rest/", server.uri()),
        app().oauth_server(server.uri()),
        tokens(),
    );
    let client = Client::oauth_builder(config)
        .allow_insecure_loopback()
        .build()
        .unwrap();
    let r = client.call_raw("user.current", json!({})).await.unwrap();
    assert_eq!(r.result, json!({"ID": "1"}));
    assert_eq!(
        client.tokens().unwrap().access_token.expose_secret(),
        NEW_ACCESS
    );
}
