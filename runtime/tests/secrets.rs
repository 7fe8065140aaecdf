//! No secret in any text the client produces: errors, log lines, the fake portal's request
//! log, even when the server echoes the webhook code or a token.
#![cfg(feature = "testing")]

use std::sync::Arc;

use bitrix24_runtime::batch::CommandError;
use bitrix24_runtime::testing::{FakePortal, LogCapture, MethodError};
use bitrix24_runtime::transport::{BoxFuture, HttpReply, HttpRequest, Transport, TransportError};
use bitrix24_runtime::{
    Client, Error, MemoryTokenStore, Method, OAuthApp, OAuthConfig, OAuthError, RetryPolicy, Tokens,
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
    .oauth_server(portal.base_url().trim_end_matches('/'))
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
        errors.push(client.call_as::<i64>("x.count", ()).await.unwrap_err());
        assert!(matches!(errors[1], Error::Decode { .. }), "{}", errors[1]);
        assert!(matches!(errors[3], Error::Decode { .. }), "{}", errors[3]);
        for e in &errors {
            assert_clean(&e.to_string(), known);
            assert_clean(&format!("{e:?}"), known);
            assert!(e.to_string().contains("***"), "{e}");
        }
        // The same inside a batch: a command's error echoing the secrets.
        // A command whose result echoes them and does not decode (serde quotes it).
        let mut batch = client.batch();
        let handle = batch.push(Fail).unwrap();
        let count = batch.push(Count).unwrap();
        let results = batch.send().await.unwrap();
        let e = results.get(&handle).unwrap_err();
        assert_clean(&e.to_string(), known);
        assert_clean(&format!("{e:?}"), known);
        let e = results.get(&count).unwrap_err();
        assert!(matches!(e, CommandError::Decode { .. }), "{e}");
        assert!(e.to_string().contains("***"), "{e}");
        assert_clean(&e.to_string(), known);
        assert_clean(&format!("{e:?}"), known);
        let e = results.response(&count).unwrap_err();
        assert_clean(&format!("{e} {e:?}"), known);
        let e = Error::from(e);
        assert_clean(&format!("{e} {e:?}"), known);
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

/// A token server refusing every request with a description that echoes the query it got
/// (percent-decoded: the code or refresh token, the client secret) and `also`.
struct EchoingTokenServer {
    also: String,
}

impl Transport for EchoingTokenServer {
    fn post(&self, _: HttpRequest) -> BoxFuture<'_, Result<HttpReply, TransportError>> {
        unreachable!("token requests are GETs")
    }

    fn get(&self, url: &str) -> BoxFuture<'_, Result<HttpReply, TransportError>> {
        let query = url.split_once('?').map_or("", |(_, q)| q);
        let echo = format!("{} {}", percent_decode(query), self.also);
        let body = json!({"error": echo.clone(), "error_description": echo}).to_string();
        Box::pin(std::future::ready(Ok(HttpReply::new(400, body))))
    }
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
                out.push(u8::from_str_radix(hex, 16).unwrap());
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).unwrap()
}

fn assert_refused_clean(e: &Error, secrets: &[String]) {
    let text = format!("{e} {e:?}");
    assert!(
        matches!(
            e,
            Error::OAuth(OAuthError::Refused(_) | OAuthError::ConcurrentRenewal(_))
        ),
        "{text}"
    );
    assert!(text.contains("***"), "{text}");
    assert_clean(&text, secrets);
}

#[tokio::test]
async fn a_token_server_echoing_secrets_in_its_refusal_is_masked() {
    // Outside a client: the code or refresh token sent, and the client secret.
    let (code, secret, refresh) = ("c0d3-4x/y z", "s3cr3t+s3cr3t", "r3fr3sh%r3fr3sh");
    let app = OAuthApp::new("app.1", SecretString::from(secret)).transport(Arc::new(
        EchoingTokenServer {
            also: String::new(),
        },
    ));
    let secrets = [code, secret, refresh].map(String::from);
    let e = app.exchange_code(code).await.unwrap_err();
    assert_refused_clean(&e, &secrets);
    let e = app.refresh(&SecretString::from(refresh)).await.unwrap_err();
    assert_refused_clean(&e, &secrets);

    // Inside a client, renewing after `expired_token`: the server also echoes the access
    // token; both concurrent callers' errors and the log lines are masked.
    let capture = LogCapture::global();
    let portal = FakePortal::start().await.unwrap();
    let settings = portal.oauth();
    let access = settings.tokens.access_token.clone();
    let refresh = settings.tokens.refresh_token.clone();
    let secrets = vec![
        access.clone(),
        refresh.clone(),
        settings.client_secret.clone(),
    ];
    let app = OAuthApp::new(
        settings.client_id.clone(),
        SecretString::from(settings.client_secret.clone()),
    )
    .oauth_server(portal.base_url().trim_end_matches('/'))
    .allow_insecure_loopback()
    .transport(Arc::new(EchoingTokenServer {
        also: access.clone(),
    }));
    let client = Client::oauth_builder(OAuthConfig::new(
        settings.client_endpoint.clone(),
        app,
        Tokens::new(
            SecretString::from(access.clone()),
            SecretString::from(refresh.clone()),
        ),
    ))
    .allow_insecure_loopback()
    .retry(RetryPolicy::never())
    .build()
    .unwrap();
    portal.on("x.count", |_| Ok(json!(1)));
    portal.expire_access_token();
    let (a, b) = tokio::join!(client.call(Count), client.call(Count));
    for e in [a.unwrap_err(), b.unwrap_err()] {
        assert_refused_clean(&e, &secrets);
    }
    let lines = capture.lines();
    assert!(
        lines
            .iter()
            .any(|l| l.contains("renewing the OAuth tokens failed")),
        "{lines:?}"
    );
    for line in lines {
        assert_clean(&line, &secrets);
    }
}
