//! End to end against the fake portal (`bitrix24_runtime::testing`): every method of
//! `spec/` answers its documented response example through `Client::call_raw`, required
//! parameters (from the spec) are enforced, and the typed client works against it.

use std::path::Path;

use bitrix24::crm::calllist::add::{Add, EntityType};
use bitrix24::{Client, Error, ErrorCode, Response};
use bitrix24_codegen::spec::{self, Method, Spec};
use bitrix24_runtime::event::SecretString;
use bitrix24_runtime::testing::{FakePortal, Fault, MethodError, PortalRateLimit};
use bitrix24_runtime::{OAuthApp, OAuthConfig, Tokens};
use serde_json::{Value, json};

fn spec() -> Spec {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../spec");
    spec::load(&root).unwrap_or_else(|d| panic!("spec does not load:\n{d}"))
}

/// The first documented response example of `m`, parsed.
fn response_example(m: &Method) -> Option<Value> {
    m.examples
        .response
        .first()
        .map(|e| serde_json::from_str(&e.json).expect("examples are valid JSON"))
}

/// The first documented request example of `m`, or `{}`.
fn request_example(m: &Method) -> Value {
    m.examples
        .request
        .first()
        .map(|e| serde_json::from_str(&e.json).expect("examples are valid JSON"))
        .unwrap_or_else(|| json!({}))
}

/// The error `m` documents for a missing required parameter, else `ERROR_ARGUMENT`.
fn missing_param_error(m: &Method) -> MethodError {
    m.errors
        .iter()
        .find(|e| {
            let text =
                format!("{} {}", e.message.as_deref().unwrap_or(""), e.description).to_lowercase();
            !e.code.is_empty()
                && (text.contains("required") || text.contains("not passed"))
                && !text.contains("permission")
        })
        .map(|e| MethodError::new(e.status.unwrap_or(400), e.code.clone(), ""))
        .unwrap_or_else(|| MethodError::new(400, "ERROR_ARGUMENT", ""))
}

/// Calls `m` raw at its address (REST 3.0 at `/rest/api/`).
async fn call(client: &Client, m: &Method, params: Value) -> Result<Response<Value>, Error> {
    if m.rest_v3 {
        client.call_raw_v3(&m.method, params).await
    } else {
        client.call_raw(&m.method, params).await
    }
}

async fn webhook_client(portal: &FakePortal) -> Client {
    Client::builder(&portal.webhook_url())
        .allow_insecure_loopback()
        .no_rate_limit()
        .build()
        .expect("client")
}

/// Feeds the portal every method's documented answer and required parameters.
fn feed(portal: &FakePortal, spec: &Spec) {
    portal.answer_from_examples(
        spec.methods
            .iter()
            .filter_map(|f| response_example(&f.method).map(|e| (f.method.id().into_owned(), e))),
    );
    for f in &spec.methods {
        let m = &f.method;
        let required: Vec<&str> = m
            .params
            .iter()
            .filter(|p| p.required)
            .map(|p| p.name.as_str())
            .collect();
        if !required.is_empty() {
            portal.require_params_with_error(&m.id(), &required, missing_param_error(m));
        }
    }
}

#[tokio::test]
async fn every_method_answers_its_documented_example() {
    let spec = spec();
    let portal = FakePortal::builder()
        .rate_limit(PortalRateLimit::UNLIMITED)
        .start()
        .await
        .unwrap();
    feed(&portal, &spec);
    let client = webhook_client(&portal).await;

    let (mut answered, mut refused) = (0, 0);
    for f in &spec.methods {
        let m = &f.method;
        let Some(example) = response_example(m) else {
            continue;
        };
        let params = request_example(m);
        let required_present = m.params.iter().filter(|p| p.required).all(|p| {
            params
                .as_object()
                .is_some_and(|o| o.keys().any(|k| k.eq_ignore_ascii_case(&p.name)))
        });
        if !required_present {
            // The docs' request example lacks a required parameter: the portal refuses it.
            let err = call(&client, m, params).await.unwrap_err();
            assert_eq!(
                err.status(),
                Some(missing_param_error(m).status),
                "{}",
                m.method
            );
            refused += 1;
            continue;
        }
        let reply = call(&client, m, params)
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", m.method));
        let expected = match &example {
            Value::Object(o) if o.contains_key("result") => o["result"].clone(),
            other => other.clone(),
        };
        assert_eq!(reply.result, expected, "{}", m.method);
        if let Some(total) = example.get("total").and_then(Value::as_u64) {
            assert_eq!(reply.total, Some(total), "{}", m.method);
        }
        assert!(reply.time.is_some(), "{}", m.method);
        answered += 1;
    }
    let with_examples = spec
        .methods
        .iter()
        .filter(|f| !f.method.examples.response.is_empty())
        .count();
    assert_eq!(
        answered + refused,
        with_examples,
        "every method with a response example"
    );
    assert!(
        answered >= 90,
        "only {answered} methods answered their example"
    );
    assert_eq!(portal.request_count(), portal.requests().len());
}

#[tokio::test]
async fn required_parameters_from_the_spec_are_enforced() {
    let spec = spec();
    let portal = FakePortal::builder()
        .rate_limit(PortalRateLimit::UNLIMITED)
        .start()
        .await
        .unwrap();
    feed(&portal, &spec);
    let client = webhook_client(&portal).await;
    let mut checked = 0;
    for f in &spec.methods {
        let m = &f.method;
        let required: Vec<&str> = m
            .params
            .iter()
            .filter(|p| p.required)
            .map(|p| p.name.as_str())
            .collect();
        if required.is_empty() {
            continue;
        }
        let err = call(&client, m, json!({})).await.unwrap_err();
        let api = err.api().unwrap_or_else(|| panic!("{}: {err}", m.method));
        let want = missing_param_error(m);
        assert_eq!(
            (api.status, api.code.as_str()),
            (want.status, want.code.as_str()),
            "{}",
            m.method
        );
        for name in &required {
            assert!(
                api.description.contains(&format!("{name} is not found")),
                "{}: {}",
                m.method,
                api.description
            );
        }
        checked += 1;
    }
    assert!(
        checked >= 30,
        "only {checked} methods with required parameters"
    );

    // The documented shape for crm.calllist.add, through the typed client.
    let err = client
        .call_raw("crm.calllist.add", json!({"ENTITIES": [1]}))
        .await
        .unwrap_err();
    assert_eq!(ErrorCode::of(&err), Some(ErrorCode::ErrorArgument));
    assert_eq!(err.api().unwrap().description, "ENTITY_TYPE is not found");
    let id = client
        .call(Add::new(EntityType::Contact, [1, 2, 3]).webform_id(5))
        .await
        .expect("the documented answer decodes");
    assert_eq!(id, 11);
}

#[tokio::test]
async fn typed_client_against_handlers_and_faults() {
    let portal = FakePortal::start().await.unwrap();
    portal.on("crm.calllist.add", |p| {
        assert_eq!(p["ENTITY_TYPE"], "CONTACT");
        Ok(json!(p["ENTITIES"].as_array().map_or(0, Vec::len)))
    });
    let client = webhook_client(&portal).await;
    let n = client
        .call(Add::new(EntityType::Contact, [4, 5]))
        .await
        .unwrap();
    assert_eq!(n, 2);

    // Documented errors reach the typed client with their code.
    portal.inject_for(
        "crm.calllist.add",
        Fault::Error(MethodError::new(
            400,
            "ENTITIES_ERROR",
            "Entities is not array",
        )),
        1,
    );
    let err = client
        .call(Add::new(EntityType::Contact, [1]))
        .await
        .unwrap_err();
    assert_eq!(err.api().map(|a| a.code.as_str()), Some("ENTITIES_ERROR"));

    // An HTML page is a decode error, not a panic; the portal keeps serving.
    portal.inject(Fault::HtmlOk, 1);
    let err = client
        .call(Add::new(EntityType::Contact, [1]))
        .await
        .unwrap_err();
    assert!(err.api().is_none(), "{err}");
    assert_eq!(
        client
            .call(Add::new(EntityType::Contact, [1]))
            .await
            .unwrap(),
        1
    );
}

#[tokio::test]
async fn oauth_client_refreshes_on_expired_token() {
    let portal = FakePortal::start().await.unwrap();
    portal.on("app.info", |_| Ok(json!({"ID": 7})));
    let oauth = portal.oauth();
    let app = OAuthApp::new(
        oauth.client_id.clone(),
        SecretString::from(oauth.client_secret.clone()),
    )
    .oauth_server(portal.base_url())
    .allow_insecure_loopback();
    let tokens = Tokens::new(
        SecretString::from(oauth.tokens.access_token.clone()),
        SecretString::from(oauth.tokens.refresh_token.clone()),
    );
    let client =
        Client::oauth_builder(OAuthConfig::new(oauth.client_endpoint.clone(), app, tokens))
            .allow_insecure_loopback()
            .build()
            .expect("client");
    assert_eq!(
        client.call_raw("app.info", json!({})).await.unwrap().result["ID"],
        7
    );
    assert_eq!(portal.refresh_count(), 0);

    portal.expire_access_token();
    let calls: Vec<_> = (0..5)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.call_raw("app.info", json!({})).await })
        })
        .collect();
    for call in calls {
        assert_eq!(call.await.unwrap().unwrap().result["ID"], 7);
    }
    assert_eq!(
        portal.refresh_count(),
        1,
        "one refresh shared by concurrent callers"
    );
}
