//! An OAuth 2.0 application: the client renews an expired access token once, saves the
//! new pair with its token store, and sends the call again.
//!
//! Run with `cargo run -p bitrix24 --example oauth_refresh --features testing`.
//!
//! The fake portal plays both the portal (`client_endpoint`) and the authorization
//! server (`oauth.bitrix.info` in production).

use std::sync::Arc;

use bitrix24::Client;
use bitrix24::crm::calllist::get::Get;
use bitrix24::events::{ExposeSecret, SecretString};
use bitrix24::testing::FakePortal;
use bitrix24::{MemoryTokenStore, OAuthApp, OAuthConfig, Tokens};
use serde_json::json;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let portal = FakePortal::start().await?;
    portal.on("crm.calllist.get", |p| {
        Ok(json!({"ID": p["ID"].to_string()}))
    });
    let settings = portal.oauth();

    // What an application keeps: client_id/client_secret, and the token pair it got at
    // installation (or from `OAuthApp::exchange_code`).
    let app = OAuthApp::new(
        settings.client_id.clone(),
        SecretString::from(settings.client_secret.clone()),
    )
    .oauth_server(portal.base_url()) // default: https://oauth.bitrix.info
    .allow_insecure_loopback();
    let tokens = Tokens::new(
        SecretString::from(settings.tokens.access_token.clone()),
        SecretString::from(settings.tokens.refresh_token.clone()),
    );
    let store = Arc::new(MemoryTokenStore::new());
    let config =
        OAuthConfig::new(settings.client_endpoint.clone(), app, tokens).store(store.clone());
    let client = Client::oauth_builder(config)
        .allow_insecure_loopback()
        .build()?;

    let list = client.call(Get::new(1)).await?;
    println!(
        "call with the first token: id {:?}, refreshes {}",
        list.id,
        portal.refresh_count()
    );

    // An hour later the portal answers 401 expired_token.
    portal.expire_access_token();
    let list = client.call(Get::new(2)).await?;
    println!(
        "call after expiry: id {:?}, refreshes {}",
        list.id,
        portal.refresh_count()
    );
    assert_eq!(portal.refresh_count(), 1);

    let saved = store.load().ok_or("the store received no tokens")?;
    let changed = saved.access_token.expose_secret() != settings.tokens.access_token;
    println!("token store saved a new pair: {changed} ({saved:?})");
    assert!(changed);
    Ok(())
}
