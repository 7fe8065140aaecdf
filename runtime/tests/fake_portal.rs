//! The fake portal (`bitrix24_runtime::testing`) against raw HTTP: auth, envelope, paging,
//! batch, limits, faults, observability. Run with `--features testing` (the workspace test
//! run enables it through the tests package).
#![cfg(feature = "testing")]

use std::sync::LazyLock;
use std::time::Duration;

use bitrix24_runtime::testing::{
    AuthKind, FakePortal, Fault, MethodError, PortalRateLimit, to_php_query,
};
use serde_json::{Value, json};

/// A client without timeouts or pooled connections: safe under a paused clock (no timer
/// for the clock to jump to while a request is in flight), and shareable by the tests'
/// separate runtimes (no connection outlives its test).
fn http() -> reqwest::Client {
    static CLIENT: LazyLock<reqwest::Client> = LazyLock::new(|| {
        // reqwest's rustls is built without a provider under `rustls-ring`; the runtime
        // installs `ring` as the default when it builds its own client, which these
        // tests may not have done yet.
        let _ = rustls::crypto::ring::default_provider().install_default();
        reqwest::Client::builder()
            .pool_max_idle_per_host(0)
            .build()
            .unwrap()
    });
    CLIENT.clone()
}

trait Ext {
    fn json_body(self, body: &Value) -> Self;
    fn form_body(self, pairs: &[(&str, &str)]) -> Self;
}

impl Ext for reqwest::RequestBuilder {
    fn json_body(self, body: &Value) -> Self {
        self.header("content-type", "application/json")
            .body(serde_json::to_vec(body).unwrap())
    }

    fn form_body(self, pairs: &[(&str, &str)]) -> Self {
        let map: serde_json::Map<String, Value> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), json!(v)))
            .collect();
        self.header("content-type", "application/x-www-form-urlencoded")
            .body(to_php_query(&Value::Object(map)))
    }
}

async fn json_of(r: reqwest::Response) -> Value {
    serde_json::from_slice(&r.bytes().await.unwrap()).unwrap()
}

async fn post(url: &str, body: Value) -> (u16, Value) {
    let r = http().post(url).json_body(&body).send().await.unwrap();
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}")),
    )
}

async fn post_raw(url: &str, body: Value) -> (u16, String, String) {
    let r = http().post(url).json_body(&body).send().await.unwrap();
    let status = r.status().as_u16();
    let ct = r
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, ct, r.text().await.unwrap())
}

fn hook(portal: &FakePortal, method: &str) -> String {
    format!("{}{method}", portal.webhook_url())
}

async fn portal() -> FakePortal {
    FakePortal::builder()
        .base_unix_time(1_778_747_192.0)
        .start()
        .await
        .unwrap()
}

#[tokio::test]
async fn webhook_auth_and_envelope() {
    let portal = portal().await;
    portal.on("user.current", |_| Ok(json!({"ID": "1", "NAME": "John"})));
    assert!(portal.webhook_url().starts_with("http://127.0.0.1:"));

    let (status, body) = post(&hook(&portal, "user.current"), json!({})).await;
    assert_eq!(status, 200);
    assert_eq!(body["result"], json!({"ID": "1", "NAME": "John"}));
    let time = body["time"].as_object().unwrap();
    for key in [
        "start",
        "finish",
        "duration",
        "processing",
        "date_start",
        "date_finish",
        "operating_reset_at",
        "operating",
    ] {
        assert!(time.contains_key(key), "time.{key}: {body}");
    }
    assert_eq!(time["date_start"], "2026-05-14T08:26:32+00:00");
    assert_eq!(time["operating_reset_at"], 1_778_747_792);
    assert!(body.get("total").is_none() && body.get("next").is_none());

    // `.json` suffix and case do not matter.
    let (status, _) = post(&hook(&portal, "USER.current.json"), json!({})).await;
    assert_eq!(status, 200);

    let base = portal.base_url();
    for url in [
        format!("{base}/rest/1/wrongcode/user.current"),
        format!("{base}/rest/2/fakeportalwebhook0code/user.current"),
        format!("{base}/rest/x/fakeportalwebhook0code/user.current"),
    ] {
        let (status, body) = post(&url, json!({})).await;
        assert_eq!(status, 401, "{url}");
        assert_eq!(body["error"], "NO_AUTH_FOUND");
        assert_eq!(body["error_description"], "Wrong authorization data");
    }
    let (status, body) = post(&hook(&portal, "no.such.method"), json!({})).await;
    assert_eq!(
        (status, body["error"].clone()),
        (404, json!("ERROR_METHOD_NOT_FOUND"))
    );
    let r = http()
        .get(format!("{base}/elsewhere"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 404);
}

#[tokio::test]
async fn parameters_from_json_form_and_query_and_malformed_bodies() {
    let portal = portal().await;
    portal.on("echo", |p| Ok(p.clone()));
    let url = hook(&portal, "echo");
    let (_, body) = post(&format!("{url}?a=1&f[x][]=2"), json!({"b": [1]})).await;
    assert_eq!(
        body["result"],
        json!({"a": "1", "f": {"x": ["2"]}, "b": [1]})
    );

    let r = http()
        .post(&url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("fields[TITLE]=A+b&ids[]=1&ids[]=2")
        .send()
        .await
        .unwrap();
    let body: Value = json_of(r).await;
    assert_eq!(
        body["result"],
        json!({"fields": {"TITLE": "A b"}, "ids": ["1", "2"]})
    );

    let r = http().get(format!("{url}?x=y")).send().await.unwrap();
    let body: Value = json_of(r).await;
    assert_eq!(body["result"], json!({"x": "y"}));

    // A JSON array is PHP's positional parameters, keyed 0, 1, ... (legacy `task.*`).
    let r = http()
        .post(&url)
        .header("content-type", "application/json")
        .body(r#"[{"ID": "desc"}, 7]"#)
        .send()
        .await
        .unwrap();
    let body: Value = json_of(r).await;
    assert_eq!(body["result"], json!({"0": {"ID": "desc"}, "1": 7}));

    for bad in ["{\"a\":", "42", "\u{1}garbage"] {
        let r = http()
            .post(&url)
            .header("content-type", "application/json")
            .body(bad)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 400, "{bad:?}");
        let body: Value = json_of(r).await;
        assert_eq!(body["error"], "ERROR_ARGUMENT", "{bad:?}");
    }
    assert_eq!(portal.call_count("echo"), 4);
}

#[tokio::test]
async fn handler_errors_keep_status_and_code() {
    let portal = portal().await;
    portal.on("crm.calllist.get", |_| {
        Err((400, "ERROR_CALLLIST_NOT_FOUND", "Call list not found").into())
    });
    portal.on("crm.empty", |_| {
        Err(MethodError::new(400, "", "Access denied."))
    });
    let (status, body) = post(&hook(&portal, "crm.calllist.get"), json!({"ID": 1})).await;
    assert_eq!(status, 400);
    assert_eq!(
        body,
        json!({"error": "ERROR_CALLLIST_NOT_FOUND", "error_description": "Call list not found"})
    );
    let (status, body) = post(&hook(&portal, "crm.empty"), json!({})).await;
    assert_eq!((status, body["error"].clone()), (400, json!("")));
}

#[tokio::test]
async fn oauth_tokens_expiry_and_refresh() {
    let portal = portal().await;
    portal.on("app.info", |_| Ok(json!({"ID": 7})));
    let oauth = portal.oauth();
    let url = format!("{}app.info", oauth.client_endpoint);
    let token = oauth.tokens.access_token.clone();

    let (status, body) = post(&url, json!({"auth": token})).await;
    assert_eq!((status, body["result"]["ID"].clone()), (200, json!(7)));
    let r = http()
        .get(format!("{url}?auth={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);

    let (status, body) = post(&url, json!({})).await;
    assert_eq!(
        (status, body["error"].clone()),
        (401, json!("NO_AUTH_FOUND"))
    );
    let (status, body) = post(&url, json!({"auth": "not-a-token"})).await;
    assert_eq!(
        (status, body["error"].clone()),
        (401, json!("NO_AUTH_FOUND"))
    );

    portal.expire_access_token();
    let (status, body) = post(&url, json!({"auth": token})).await;
    assert_eq!(
        (status, body["error"].clone()),
        (401, json!("expired_token"))
    );

    // Refresh as the docs show it: a GET with the query.
    let refresh = format!(
        "{}?grant_type=refresh_token&client_id={}&client_secret={}&refresh_token={}",
        oauth.token_url, oauth.client_id, oauth.client_secret, oauth.tokens.refresh_token
    );
    let r = http().get(&refresh).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let grant: Value = json_of(r).await;
    for key in [
        "access_token",
        "refresh_token",
        "expires",
        "expires_in",
        "domain",
        "member_id",
        "client_endpoint",
        "server_endpoint",
        "scope",
        "status",
        "user_id",
    ] {
        assert!(grant.get(key).is_some(), "{key}: {grant}");
    }
    assert_eq!(grant["expires_in"], 3600);
    assert_eq!(grant["client_endpoint"], oauth.client_endpoint.as_str());
    assert_eq!(grant["member_id"], oauth.member_id.as_str());
    assert_eq!(portal.refresh_count(), 1);
    let new_token = grant["access_token"].as_str().unwrap();
    assert_ne!(new_token, token);
    let (status, _) = post(&url, json!({"auth": new_token})).await;
    assert_eq!(status, 200);

    // Refresh tokens are single use: a second refresh with the old one fails.
    let r = http().get(&refresh).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 400);
    let body: Value = json_of(r).await;
    assert_eq!(body["error"], "invalid_grant");
    assert_eq!(portal.refresh_count(), 1);

    // Wrong client secret; then a form POST with the new refresh token.
    let r = http()
        .post(&oauth.token_url)
        .form_body(&[
            ("grant_type", "refresh_token"),
            ("client_id", &oauth.client_id),
            ("client_secret", "wrong"),
            ("refresh_token", grant["refresh_token"].as_str().unwrap()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
    let r = http()
        .post(&oauth.token_url)
        .form_body(&[
            ("grant_type", "refresh_token"),
            ("client_id", &oauth.client_id),
            ("client_secret", &oauth.client_secret),
            ("refresh_token", grant["refresh_token"].as_str().unwrap()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(portal.refresh_count(), 2);

    // authorization_code: single use.
    let code = portal.issue_authorization_code();
    let exchange = format!(
        "{}?grant_type=authorization_code&client_id={}&client_secret={}&code={code}",
        oauth.token_url, oauth.client_id, oauth.client_secret
    );
    assert_eq!(
        http()
            .get(&exchange)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        200
    );
    assert_eq!(
        http()
            .get(&exchange)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        400
    );
    let r = http()
        .get(format!("{}?grant_type=password", oauth.token_url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);

    // Secrets never reach the log.
    let log = format!("{:?}", portal.requests());
    for secret in [
        token.as_str(),
        new_token,
        &oauth.client_secret,
        &oauth.tokens.refresh_token,
        &code,
    ] {
        assert!(!log.contains(secret), "{secret} in {log}");
    }
    assert!(
        portal
            .requests()
            .iter()
            .any(|r| r.auth == AuthKind::TokenEndpoint && r.params["client_secret"] == "***")
    );
}

#[tokio::test(start_paused = true)]
async fn access_tokens_expire_after_their_lifetime() {
    let portal = FakePortal::builder()
        .access_token_lifetime(Duration::from_secs(60))
        .start()
        .await
        .unwrap();
    portal.on("app.info", |_| Ok(json!(1)));
    let oauth = portal.oauth();
    let url = format!("{}app.info", oauth.client_endpoint);
    let auth = json!({"auth": oauth.tokens.access_token});
    assert_eq!(post(&url, auth.clone()).await.0, 200);
    tokio::time::advance(Duration::from_secs(61)).await;
    let (status, body) = post(&url, auth).await;
    assert_eq!(
        (status, body["error"].clone()),
        (401, json!("expired_token"))
    );
}

#[tokio::test]
async fn list_paging_total_next_and_start_minus_one() {
    let portal = portal().await;
    let table = portal.table("crm.deal.list");
    table.insert_many(
        (1..=120).map(|i| json!({"TITLE": format!("Deal {i}"), "OPPORTUNITY": i * 10})),
    );
    let url = hook(&portal, "crm.deal.list");

    let (_, p1) = post(&url, json!({})).await;
    assert_eq!(p1["result"].as_array().unwrap().len(), 50);
    assert_eq!(
        (p1["total"].clone(), p1["next"].clone()),
        (json!(120), json!(50))
    );
    assert_eq!(p1["result"][0]["ID"], "1");
    let (_, p3) = post(&url, json!({"start": 100})).await;
    assert_eq!(p3["result"].as_array().unwrap().len(), 20);
    assert_eq!(p3["total"], 120);
    assert!(p3.get("next").is_none(), "{p3}");

    let (_, fast) = post(&url, json!({"start": -1, "order": {"ID": "DESC"}})).await;
    assert!(
        fast.get("total").is_none() && fast.get("next").is_none(),
        "{fast}"
    );
    assert_eq!(fast["result"][0]["ID"], "120");

    let (_, filtered) = post(
        &url,
        json!({"filter": {">ID": 10, "<ID": "20", "!=ID": 15}, "select": ["ID"], "order": {"ID": "ASC"}}),
    )
    .await;
    assert_eq!(filtered["total"], 8);
    assert_eq!(filtered["result"][0], json!({"ID": "11"}));
    let (_, exact) = post(&url, json!({"filter": {"ID": 7}})).await;
    assert_eq!(exact["total"], 1);
    let (_, exact) = post(&url, json!({"filter": {"=ID": "7"}})).await;
    assert_eq!(exact["result"][0]["TITLE"], "Deal 7");
    let (status, bad) = post(&url, json!({"filter": 5})).await;
    assert_eq!(status, 400);
    assert_eq!(
        bad["error_description"],
        "Parameter 'filter' must be array."
    );
}

/// An export by `start` offsets loses rows when rows are deleted meanwhile; the fast
/// export (`>ID`, `order ID`, `start=-1`) does not.
#[tokio::test]
async fn table_edits_during_an_export() {
    let portal = portal().await;
    let table = portal.table("crm.deal.list");
    table.insert_many((1..=150).map(|i| json!({"TITLE": format!("Deal {i}")})));
    let url = hook(&portal, "crm.deal.list");

    let mut seen = Vec::new();
    let mut start = Some(0);
    while let Some(s) = start {
        let (_, page) = post(&url, json!({"start": s})).await;
        seen.extend(
            page["result"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["ID"].clone()),
        );
        if s == 0 {
            // Delete ten rows of the first page while the export runs; add one.
            for id in 1..=10 {
                assert!(table.delete(id));
            }
            table.insert(json!({"TITLE": "late"}));
        }
        start = page["next"].as_u64();
    }
    assert_eq!(seen.len(), 50 + 91, "offsets skip 10 rows");

    let mut seen = Vec::new();
    let mut last = 0;
    loop {
        let (_, page) = post(
            &url,
            json!({"order": {"ID": "ASC"}, "filter": {">ID": last}, "start": -1}),
        )
        .await;
        let rows = page["result"].as_array().unwrap();
        seen.extend(
            rows.iter()
                .map(|r| r["ID"].as_str().unwrap().parse::<i64>().unwrap()),
        );
        if seen.len() == 50 {
            table.delete(100);
            table.insert(json!({"TITLE": "later"}));
        }
        if rows.len() < 50 {
            break;
        }
        last = *seen.last().unwrap();
    }
    let expected: Vec<i64> = (11..=152).filter(|id| *id != 100).collect();
    assert_eq!(seen, expected);
}

#[tokio::test]
async fn batch_references_halt_and_php_arrays() {
    let portal = portal().await;
    portal.on("user.current", |_| {
        Ok(json!({"ID": "1", "UF_DEPARTMENT": [5]}))
    });
    portal.on("department.get", |p| {
        Ok(json!([{"ID": p["ID"].clone(), "NAME": "DEMO"}]))
    });
    portal.on("fail", |_| Err((400, "ERROR_X", "failed").into()));
    portal
        .table("crm.deal.list")
        .insert_many((1..=60).map(|i| json!({"TITLE": format!("Deal {i}")})));
    let url = hook(&portal, "batch");

    let (status, body) = post(
        &url,
        json!({"halt": 0, "cmd": {
            "get_user": "user.current",
            "get_department": "department.get?ID=$result[get_user][UF_DEPARTMENT][0]",
            "deals": format!("crm.deal.list?{}", to_php_query(&json!({"filter": {">ID": 5}, "select": ["ID"]}))),
            "broken": "fail",
            "after": "department.get?ID=x"
        }}),
    )
    .await;
    assert_eq!(status, 200);
    let r = &body["result"];
    assert_eq!(
        r["result"]["get_department"],
        json!([{"ID": "5", "NAME": "DEMO"}])
    );
    assert_eq!(r["result"]["deals"].as_array().unwrap().len(), 50);
    assert_eq!(r["result_total"], json!({"deals": 55}));
    assert_eq!(r["result_next"], json!({"deals": 50}));
    assert_eq!(
        r["result_error"],
        json!({"broken": {"error": "ERROR_X", "error_description": "failed"}})
    );
    assert!(r["result"].get("after").is_some(), "halt=0 runs on");
    assert!(r["result_time"]["get_user"]["operating"].is_number());
    assert!(
        body["time"].get("operating").is_none(),
        "batch itself has no operating time"
    );

    // halt=1 stops at the first error; numeric keys come back as JSON lists.
    let (_, body) = post(
        &url,
        json!({"halt": 1, "cmd": ["user.current", "fail", "user.current"]}),
    )
    .await;
    let r = &body["result"];
    assert_eq!(r["result"], json!([{"ID": "1", "UF_DEPARTMENT": [5]}]));
    assert_eq!(
        r["result_error"],
        json!({"1": {"error": "ERROR_X", "error_description": "failed"}})
    );
    assert_eq!(r["result_total"], json!([]));
    assert_eq!(r["result_next"], json!([]));
    assert_eq!(portal.call_count("user.current"), 2);

    // A nested batch and commands past the 50th end with errors.
    let mut cmd = serde_json::Map::new();
    cmd.insert("nested".into(), json!("batch?cmd[a]=user.current"));
    for i in 0..51 {
        cmd.insert(format!("c{i}"), json!("user.current"));
    }
    let (status, body) = post(&url, json!({"cmd": cmd})).await;
    assert_eq!(status, 200);
    let errors = body["result"]["result_error"].as_object().unwrap();
    assert_eq!(errors["nested"]["error"], "ERROR_BATCH_METHOD_NOT_ALLOWED");
    assert_eq!(errors["c49"]["error"], "ERROR_BATCH_LENGTH_EXCEEDED");
    assert_eq!(errors["c50"]["error"], "ERROR_BATCH_LENGTH_EXCEEDED");
    assert_eq!(errors.len(), 3);
    assert_eq!(body["result"]["result"].as_object().unwrap().len(), 49);

    // An empty batch answers empty PHP arrays.
    let (_, body) = post(&url, json!({"cmd": {}})).await;
    assert_eq!(body["result"]["result"], json!([]));
}

#[tokio::test(start_paused = true)]
async fn leaky_bucket() {
    let portal = portal().await;
    portal.on("user.current", |_| Ok(json!({})));
    let url = hook(&portal, "user.current");
    for i in 0..50 {
        assert_eq!(post(&url, json!({})).await.0, 200, "call {i}");
    }
    let (status, body) = post(&url, json!({})).await;
    assert_eq!(
        (status, body["error"].clone()),
        (503, json!("QUERY_LIMIT_EXCEEDED"))
    );
    assert_eq!(body["error_description"], "Too many requests");
    assert_eq!(
        portal.call_count("user.current"),
        50,
        "the refused call did not run"
    );

    tokio::time::advance(Duration::from_millis(500)).await;
    assert_eq!(post(&url, json!({})).await.0, 200);
    assert_eq!(post(&url, json!({})).await.0, 503);
    tokio::time::advance(Duration::from_secs(1)).await;
    assert_eq!(post(&url, json!({})).await.0, 200);
    assert_eq!(post(&url, json!({})).await.0, 200);
    assert_eq!(post(&url, json!({})).await.0, 503);
    // A batch is one request.
    tokio::time::advance(Duration::from_millis(500)).await;
    let (status, body) = post(
        &hook(&portal, "batch"),
        json!({"cmd": ["user.current", "user.current"]}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["result"]["result"].as_array().unwrap().len(), 2);
    assert!(portal.rate_limit_level() > 49.9);

    portal.set_rate_limit(PortalRateLimit::ENTERPRISE);
    for _ in 0..250 {
        assert_eq!(post(&url, json!({})).await.0, 200);
    }
    assert_eq!(post(&url, json!({})).await.0, 503);
    tokio::time::advance(Duration::from_secs(1)).await;
    for _ in 0..5 {
        assert_eq!(post(&url, json!({})).await.0, 200);
    }
    assert_eq!(post(&url, json!({})).await.0, 503);
}

#[tokio::test(start_paused = true)]
async fn operating_time_limit() {
    let portal = portal().await;
    portal.on("crm.item.list", |_| Ok(json!([])));
    portal.on("crm.item.get", |_| Ok(json!({})));
    portal.set_operating_cost("crm.item.list", 100.0);
    let url = hook(&portal, "crm.item.list");
    for i in 1..=5 {
        let (status, body) = post(&url, json!({})).await;
        assert_eq!(status, 200, "call {i}");
        assert_eq!(body["time"]["operating"], json!(100.0 * f64::from(i)));
        assert_eq!(body["time"]["operating_reset_at"], 1_778_747_192 + 600);
        assert_eq!(body["time"]["duration"], json!(100.0));
    }
    let (status, body) = post(&url, json!({})).await;
    assert_eq!(
        (status, body["error"].clone()),
        (429, json!("OPERATION_TIME_LIMIT"))
    );
    assert_eq!(portal.operating_time("crm.item.list"), 500.0);
    // Other methods are not blocked, inside a batch neither; the blocked one is.
    assert_eq!(post(&hook(&portal, "crm.item.get"), json!({})).await.0, 200);
    let (_, body) = post(
        &hook(&portal, "batch"),
        json!({"cmd": {"a": "crm.item.get", "b": "crm.item.list"}}),
    )
    .await;
    assert_eq!(
        body["result"]["result_error"]["b"]["error"],
        "OPERATION_TIME_LIMIT"
    );
    assert!(body["result"]["result"].get("a").is_some());

    // Ten minutes after the first call its basket is released.
    tokio::time::advance(Duration::from_secs(600)).await;
    let (status, body) = post(&url, json!({})).await;
    assert_eq!(status, 200);
    assert_eq!(body["time"]["operating"], json!(100.0));
}

#[tokio::test(start_paused = true)]
async fn operating_time_baskets() {
    let portal = portal().await;
    portal.on("m", |_| Ok(json!(1)));
    portal.set_operating_cost("m", 200.0);
    let url = hook(&portal, "m");
    assert_eq!(post(&url, json!({})).await.0, 200); // t=0: basket 1 = 200
    tokio::time::advance(Duration::from_secs(120)).await;
    assert_eq!(post(&url, json!({})).await.0, 200); // t=120: basket 2 = 200
    tokio::time::advance(Duration::from_secs(120)).await;
    let (_, body) = post(&url, json!({})).await; // t=240: 600 > 480 afterwards
    assert_eq!(body["time"]["operating"], json!(600.0));
    assert_eq!(body["time"]["operating_reset_at"], 1_778_747_192 + 600);
    assert_eq!(post(&url, json!({})).await.0, 429);
    tokio::time::advance(Duration::from_secs(360)).await; // t=600: basket 1 released
    let (status, body) = post(&url, json!({})).await;
    assert_eq!(status, 200);
    assert_eq!(body["time"]["operating"], json!(600.0));
    assert_eq!(body["time"]["operating_reset_at"], 1_778_747_192 + 720);
}

#[tokio::test]
async fn faults_503_storm_and_api_errors() {
    let portal = portal().await;
    portal.on("user.current", |_| Ok(json!({"ID": "1"})));
    let url = hook(&portal, "user.current");
    portal.inject(Fault::QueryLimit, 3);
    assert_eq!(portal.pending_faults(), 3);
    for _ in 0..3 {
        let (status, body) = post(&url, json!({})).await;
        assert_eq!(
            (status, body["error"].clone()),
            (503, json!("QUERY_LIMIT_EXCEEDED"))
        );
    }
    assert_eq!(post(&url, json!({})).await.0, 200);
    assert_eq!(portal.call_count("user.current"), 1);
    assert_eq!(portal.request_count(), 4);

    portal.inject_for("other.method", Fault::OperationTimeLimit, 1);
    portal.inject(
        Fault::Error(MethodError::new(
            500,
            "INTERNAL_SERVER_ERROR",
            "Internal server error",
        )),
        1,
    );
    let (status, body) = post(&url, json!({})).await;
    assert_eq!(
        (status, body["error"].clone()),
        (500, json!("INTERNAL_SERVER_ERROR"))
    );
    assert_eq!(
        post(&url, json!({})).await.0,
        200,
        "the per-method fault waits for its method"
    );
    assert_eq!(portal.pending_faults(), 1);

    // API-error faults for a method hit its batch commands too.
    portal.inject_for("user.current", Fault::QueryLimit, 1);
    let (status, body) = post(
        &hook(&portal, "batch"),
        json!({"cmd": {"a": "user.current", "b": "user.current"}}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        body["result"]["result_error"]["a"]["error"],
        "QUERY_LIMIT_EXCEEDED"
    );
    assert_eq!(body["result"]["result"]["b"]["ID"], "1");
    let records = portal.requests();
    assert_eq!(records[0].fault, Some(Fault::QueryLimit));
    assert_eq!(records[0].status, Some(503));
}

#[tokio::test]
async fn faults_html_truncated_and_dropped() {
    let portal = portal().await;
    portal.on("crm.deal.add", |_| Ok(json!(11)));
    let url = hook(&portal, "crm.deal.add");

    portal.inject(Fault::BadGatewayHtml, 1);
    let (status, ct, text) = post_raw(&url, json!({})).await;
    assert_eq!(status, 502);
    assert!(
        ct.starts_with("text/html") && text.contains("502 Bad Gateway"),
        "{ct} {text}"
    );

    portal.inject(Fault::HtmlOk, 1);
    let (status, ct, text) = post_raw(&url, json!({})).await;
    assert_eq!(status, 200);
    assert!(ct.starts_with("text/html") && text.starts_with("<!DOCTYPE html>"));
    assert_eq!(portal.call_count("crm.deal.add"), 0);

    portal.inject(Fault::TruncatedJson, 1);
    let (status, _, text) = post_raw(&url, json!({})).await;
    assert_eq!(status, 200);
    assert!(text.starts_with("{\"result\":11"), "{text}");
    assert!(serde_json::from_str::<Value>(&text).is_err());
    assert_eq!(portal.call_count("crm.deal.add"), 1, "the call ran");

    portal.inject(Fault::DropConnection, 1);
    let err = http()
        .post(&url)
        .json_body(&json!({}))
        .send()
        .await
        .unwrap_err();
    assert!(!err.is_timeout(), "{err}");
    assert_eq!(
        portal.call_count("crm.deal.add"),
        1,
        "the dropped call did not run"
    );
    assert_eq!(portal.requests().last().unwrap().status, None);
    assert_eq!(
        post(&url, json!({})).await.0,
        200,
        "the portal still serves"
    );
}

#[tokio::test(start_paused = true)]
async fn faults_slow_and_expired_token() {
    let portal = portal().await;
    portal.on("app.info", |_| Ok(json!(1)));
    let url = hook(&portal, "app.info");
    portal.inject(Fault::Slow(Duration::from_secs(30)), 1);
    let started = tokio::time::Instant::now();
    assert_eq!(post(&url, json!({})).await.0, 200);
    assert!(started.elapsed() >= Duration::from_secs(30));

    let oauth = portal.oauth();
    let app = format!("{}app.info", oauth.client_endpoint);
    let auth = json!({"auth": oauth.tokens.access_token});
    portal.inject(Fault::ExpiredToken, 1);
    let (status, body) = post(&app, auth.clone()).await;
    assert_eq!(
        (status, body["error"].clone()),
        (401, json!("expired_token"))
    );
    let (status, _) = post(&app, auth).await;
    assert_eq!(status, 401, "the token stays expired");

    // Faults for the token endpoint.
    portal.inject_for(
        FakePortal::TOKEN_ENDPOINT,
        Fault::Slow(Duration::from_secs(2)),
        1,
    );
    let started = tokio::time::Instant::now();
    let r = http()
        .post(&oauth.token_url)
        .form_body(&[
            ("grant_type", "refresh_token"),
            ("client_id", oauth.client_id.as_str()),
            ("client_secret", oauth.client_secret.as_str()),
            ("refresh_token", oauth.tokens.refresh_token.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert!(started.elapsed() >= Duration::from_secs(2));
    assert_eq!(portal.refresh_count(), 1);
}

#[tokio::test]
async fn required_params_and_examples() {
    let portal = portal().await;
    portal.require_params("crm.calllist.add", &["ENTITY_TYPE", "ENTITIES"]);
    portal.answer_from_examples([
        (
            "crm.calllist.add",
            json!({"result": 11, "time": {"start": 1.0}}),
        ),
        ("crm.calllist.add", json!({"result": 12})),
        (
            "crm.status.list",
            json!({"result": [{"ID": "1"}], "total": 1}),
        ),
        ("bare", json!([1, 2])),
    ]);
    let url = hook(&portal, "crm.calllist.add");
    let (status, body) = post(&url, json!({"ENTITY_TYPE": ""})).await;
    assert_eq!(status, 400);
    assert_eq!(
        body,
        json!({"error": "ERROR_ARGUMENT", "error_description": "ENTITY_TYPE is not found, ENTITIES is not found"})
    );
    let (status, body) = post(&url, json!({"entity_type": "CONTACT", "ENTITIES": [1]})).await;
    assert_eq!((status, body["result"].clone()), (200, json!(11)));
    assert_ne!(body["time"]["start"], 1.0, "the portal's own time");
    let (_, body) = post(&hook(&portal, "crm.status.list"), json!({})).await;
    assert_eq!(body["total"], 1);
    let (_, body) = post(&hook(&portal, "bare"), json!({})).await;
    assert_eq!(body["result"], json!([1, 2]));

    portal.require_params_with_error(
        "crm.activity.badge.add",
        &["code"],
        MethodError::new(
            400,
            "REQUIRED_ARG_MISSING",
            "Required fields are not filled",
        ),
    );
    let (status, body) = post(&hook(&portal, "crm.activity.badge.add"), json!({})).await;
    assert_eq!(
        (status, body["error"].clone()),
        (400, json!("REQUIRED_ARG_MISSING"))
    );
}

#[tokio::test]
async fn request_log() {
    let portal = portal().await;
    portal.on("user.current", |_| Ok(json!({})));
    post(&hook(&portal, "user.current"), json!({"x": 1})).await;
    post(
        &format!(
            "{}rest/1/wrongcode/user.current",
            portal.base_url().to_owned() + "/"
        ),
        json!({}),
    )
    .await;
    let records = portal.requests();
    assert_eq!(records.len(), 2);
    assert_eq!(records[0].method, "user.current");
    assert_eq!(records[0].params, json!({"x": 1}));
    assert_eq!(records[0].auth, AuthKind::Webhook { user_id: 1 });
    assert_eq!(records[0].status, Some(200));
    assert_eq!(records[1].status, Some(401));
    let debug = format!("{records:?} {portal:?}");
    assert!(!debug.contains("fakeportalwebhook0code") && !debug.contains("wrongcode"));
    assert_eq!(portal.call_counts().get("user.current"), Some(&1));
    portal.clear_log();
    assert_eq!(portal.request_count(), 0);
    assert!(portal.requests().is_empty());
}

/// `webhook_url()` with `/rest/` turned into the REST 3.0 `/rest/api/`.
fn hook_v3(portal: &FakePortal, method: &str) -> String {
    hook(portal, method).replacen("/rest/", "/rest/api/", 1)
}

async fn post_with_key(url: &str, body: &Value, key: &str) -> (u16, Value, Option<String>) {
    let r = http()
        .post(url)
        .header("idempotency-key", key)
        .json_body(body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let replayed = r
        .headers()
        .get("idempotent-replayed")
        .map(|v| v.to_str().unwrap().to_owned());
    (status, json_of(r).await, replayed)
}

#[tokio::test]
async fn rest_v3_address_error_object_and_idempotency_key() {
    let portal = portal().await;
    portal.on("tasks.task.add", |_| Ok(json!({"item": {"id": 42}})));
    portal.on("tasks.task.get", |_| {
        Err((
            400,
            "BITRIX_REST_V3_EXCEPTION_ENTITYNOTFOUNDEXCEPTION",
            "Task not found",
        )
            .into())
    });
    let add = hook_v3(&portal, "tasks.task.add");
    let body = json!({"fields": {"title": "Prepare a report"}});

    // First call runs; the repeat with the same key and body is answered from the kept
    // answer, marked as a replay, and does not run again.
    let (status, first, replayed) = post_with_key(&add, &body, "k-1").await;
    assert_eq!((status, replayed), (200, None));
    assert_eq!(first["result"]["item"]["id"], 42);
    let (status, again, replayed) = post_with_key(&add, &body, "k-1").await;
    assert_eq!((status, replayed.as_deref()), (200, Some("true")));
    assert_eq!(again, first);
    assert_eq!(portal.call_count("tasks.task.add"), 1);

    // The same key with another body is refused; a new key runs again.
    let other = json!({"fields": {"title": "Another"}});
    let (status, refused, _) = post_with_key(&add, &other, "k-1").await;
    assert_eq!(status, 422);
    assert_eq!(
        refused["error"]["code"],
        "BITRIX_REST_V3_EXCEPTION_IDEMPOTENCYKEYREUSEDEXCEPTION"
    );
    let (status, _, _) = post_with_key(&add, &other, "k-2").await;
    assert_eq!(status, 200);
    assert_eq!(portal.call_count("tasks.task.add"), 2);
    let (status, bad, _) = post_with_key(&add, &other, "").await;
    assert_eq!(status, 400);
    assert_eq!(
        bad["error"]["code"],
        "BITRIX_REST_V3_EXCEPTION_INVALIDIDEMPOTENCYKEYEXCEPTION"
    );

    // Errors come as the REST 3.0 object.
    let (status, error) = post(&hook_v3(&portal, "tasks.task.get"), json!({"id": 1})).await;
    assert_eq!(status, 400);
    assert_eq!(
        error,
        json!({"error": {"code": "BITRIX_REST_V3_EXCEPTION_ENTITYNOTFOUNDEXCEPTION", "message": "Task not found"}})
    );
    // `batch` does not exist at the REST 3.0 address.
    let (status, error) = post(&hook_v3(&portal, "batch"), json!({"cmd": {}})).await;
    assert_eq!(status, 404);
    assert_eq!(error["error"]["code"], "ERROR_METHOD_NOT_FOUND");

    let log = portal.requests();
    assert!(log.iter().all(|r| r.rest_v3));
    assert_eq!(log.iter().filter(|r| r.replayed).count(), 1);
}
