//! No secret in any text the client produces: errors, log lines, the fake portal's request
//! log, even when the server echoes the webhook code or a token.
#![cfg(feature = "testing")]

use std::sync::Arc;

use bitrix24_runtime::testing::{FakePortal, LogCapture, MethodError};
use bitrix24_runtime::{
    Client, Error, MemoryTokenStore, Method, OAuthApp, OAuthConfig, RetryPolicy, Tokens,
};
use secrecy::SecretString;
use serde::Serialize;
use serde_json::{Value, json};

/// A method whose result must be a number.
#[derive(Serialize)]
struct Count;

impl Method for Count {
    const NAME: &'static str = "x.count";
    const READ_ONLY: bool = true;
    type Output = i64;
}

fn webhook_client(portal: &FakePortal) -> Client {
    Client::builder(&portal.webhook_url())
        .allow_insecure_loopback()
        .retry({
            let mut policy = RetryPolicy::default();
            policy.base_delay = std::time::Duration::from_millis(1);
            policy.max_delay = std::time::Duration::from_millis(2);
            policy
        })
        .build()
        .unwrap()
}

fn assert_clean(text: &str, secrets: &[String]) {
    for s in secrets {
        assert!(!text.contains(s.as_str()), "secret {s:?} in: {text}");
    }
}

#[tokio::test]
async fn a_server_echoing_secrets_is_masked_in_errors_logs_and_the_portal_log() {
    let capture = LogCapture::global();
    let portal = FakePortal::start().await.unwrap();
    let settings = portal.oauth();
    let code = portal
        .webhook_url()
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    let access = settings.tokens.access_token.clone();
    let refresh = settings.tokens.refresh_token.clone();
    let secrets = vec![
        code.clone(),
        access.clone(),
        refresh.clone(),
        settings.client_secret.clone(),
    ];
    let webhook = webhook_client(&portal);
    let app = OAuthApp::new(
        settings.client_id.clone(),
        SecretString::from(settings.client_secret.clone()),
    )
    .oauth_server(settings.token_url.clone())
    .allow_insecure_loopback();
    let oauth = Client::oauth_builder(
        OAuthConfig::new(
            settings.client_endpoint.clone(),
            app,
            Tokens::new(
                SecretString::from(access.clone()),
                SecretString::from(refresh.clone()),
            ),
        )
        .store(Arc::new(MemoryTokenStore::new())),
    )
    .allow_insecure_loopback()
    .retry(RetryPolicy::never())
    .build()
    .unwrap();

    // Each client masks what it knows: the webhook code; the OAuth tokens and secret.
    let known = [vec![code.clone()], secrets[1..].to_vec()];
    for (client, known) in [(&webhook, &known[0]), (&oauth, &known[1])] {
        let echo = known.join(" ");
        // An error description echoing the secrets, retried first (503
        // QUERY_LIMIT_EXCEEDED is retried and logged), then as the final error.
        let text = echo.clone();
        portal.on("x.echo", move |_| {
            Err(MethodError::new(503, "QUERY_LIMIT_EXCEEDED", text.clone()))
        });
        let text = echo.clone();
        portal.on("x.count", move |_| Ok(json!(text.clone())));
        let text = echo.clone();
        portal.on("x.fail", move |_| {
            Err(MethodError::new(400, text.clone(), text.clone()))
        });

        let mut errors: Vec<Error> = Vec::new();
        errors.push(
            client
                .call_raw_read_only("x.echo", json!({}))
                .await
                .unwrap_err(),
        );
        errors.push(client.call(Count).await.unwrap_err());
        errors.push(client.call_raw("x.fail", json!({})).await.unwrap_err());
        assert!(matches!(errors[1], Error::Decode { .. }), "{}", errors[1]);
        for e in &errors {
            assert_clean(&e.to_string(), known);
            assert_clean(&format!("{e:?}"), known);
            assert!(e.to_string().contains("***"), "{e}");
        }
        // The same inside a batch: a command's error echoing the secrets.
        let mut batch = client.batch();
        let handle = batch.push(Fail).unwrap();
        let results = batch.send().await.unwrap();
        let e = results.get(&handle).unwrap_err();
        assert_clean(&e.to_string(), known);
        assert_clean(&format!("{e:?}"), known);
    }
    for line in capture.lines() {
        assert_clean(&line, &secrets);
    }

    // The portal's log: a malformed webhook path, `auth=` inside a batch command string.
    let http = reqwest::Client::new();
    let base = portal.base_url().trim_end_matches('/').to_owned();
    for path in [
        format!("/rest/7/{code}"),
        format!("/rest/7/{code}/a/b"),
        format!("/{code}"),
    ] {
        http.post(format!("{base}{path}"))
            .body("{}")
            .send()
            .await
            .unwrap();
    }
    http.post(format!("{}batch", portal.webhook_url()))
        .header("content-type", "application/json")
        .body(
            json!({"cmd": {"a": format!("x.count?auth={access}&x=1"),
                           "b": format!("x.count?auth%5Baccess_token%5D={access}"),
                           "c": format!("x.count?note={refresh}")}})
            .to_string(),
        )
        .send()
        .await
        .unwrap();
    let log = format!("{:?}", portal.requests());
    assert_clean(&log, &secrets);
    assert!(log.contains("/rest/7/***"), "{log}");
}

#[derive(Serialize)]
struct Fail;

impl Method for Fail {
    const NAME: &'static str = "x.fail";
    const READ_ONLY: bool = true;
    type Output = Value;
}

#[test]
fn config_errors_never_quote_credentials_in_an_oauth_url() {
    let app = OAuthApp::new("app.1", SecretString::from("s3cr3t"))
        .oauth_server("https://id:s3cr3tpw@oauth.example.com/x?client_secret=s3cr3t");
    let config = OAuthConfig::new(
        "https://u:s3cr3tpw@example.bitrix24.com/rest/?auth=t0k3n",
        app,
        Tokens::new(SecretString::from("t0k3n"), SecretString::from("r3fr3sh")),
    );
    let e = Client::oauth(config).unwrap_err();
    let text = e.to_string();
    assert!(matches!(e, Error::Config(_)), "{text}");
    for s in ["s3cr3t", "t0k3n", "r3fr3sh"] {
        assert!(!text.contains(s), "{s} in {text}");
    }
}
