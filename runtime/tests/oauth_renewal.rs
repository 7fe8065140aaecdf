//! A renewal that meets a transient failure is retried within the retry policy: the calls
//! waiting on it do not all fail.
#![cfg(feature = "testing")]

use std::sync::Arc;

use bitrix24_runtime::testing::{FakePortal, Fault, PortalRateLimit};
use bitrix24_runtime::{Client, MemoryTokenStore, OAuthApp, OAuthConfig, Tokens};
use futures_util::future::join_all;
use secrecy::SecretString;
use serde_json::json;

async fn oauth_client(portal: &FakePortal) -> Client {
    let s = portal.oauth();
    let app = OAuthApp::new(
        s.client_id.clone(),
        SecretString::from(s.client_secret.clone()),
    )
    .oauth_server(portal.base_url().trim_end_matches('/'))
    .allow_insecure_loopback();
    let tokens = Tokens::new(
        SecretString::from(s.tokens.access_token.clone()),
        SecretString::from(s.tokens.refresh_token.clone()),
    );
    Client::oauth_builder(
        OAuthConfig::new(s.client_endpoint.clone(), app, tokens)
            .store(Arc::new(MemoryTokenStore::new())),
    )
    .allow_insecure_loopback()
    .no_rate_limit()
    .build()
    .unwrap()
}

#[tokio::test]
async fn one_502_or_dropped_connection_at_the_token_endpoint_fails_no_caller() {
    for fault in [Fault::BadGatewayHtml, Fault::DropConnection] {
        // No rate limit on either side: 200 requests at once (100 expired, 100 resent).
        let portal = FakePortal::builder()
            .rate_limit(PortalRateLimit::UNLIMITED)
            .start()
            .await
            .unwrap();
        portal.on("x.ping", |_| Ok(json!("pong")));
        let client = oauth_client(&portal).await;
        portal.expire_access_token();
        portal.inject_for(FakePortal::TOKEN_ENDPOINT, fault.clone(), 1);
        let calls = (0..100).map(|_| client.call_raw_read_only("x.ping", json!({})));
        let results = join_all(calls).await;
        let ok = results.iter().filter(|r| r.is_ok()).count();
        assert_eq!(
            ok,
            100,
            "{fault:?}: {:?}",
            results.iter().find(|r| r.is_err())
        );
        assert_eq!(
            portal.refresh_count(),
            1,
            "{fault:?}: one successful renewal"
        );
        assert_eq!(portal.pending_faults(), 0);
    }
}
