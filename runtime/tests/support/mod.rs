//! A scripted in-memory transport for deterministic tests (paused tokio clock, no sockets).
#![allow(dead_code)]

use std::future::pending;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bitrix24_runtime::transport::BoxFuture;
use bitrix24_runtime::{
    Client, ClientBuilder, HttpReply, HttpRequest, RetryPolicy, TokioClock, Transport,
    TransportError, TransportErrorKind,
};
use serde_json::Value;
use tokio::time::Instant;

pub const CODE: &str = "s3cr3tc0de42xyz";
pub const WEBHOOK: &str = "https://example.bitrix24.com/rest/7/s3cr3tc0de42xyz/";
/// Unix time (seconds) at the start of each test.
pub const T0: f64 = 1_778_747_000.0;

/// One request the client sent.
#[derive(Debug, Clone)]
pub struct Sent {
    pub verb: &'static str,
    pub url: String,
    pub body: String,
    /// Headers beyond `Content-Type` (e.g. `Idempotency-Key`).
    pub headers: Vec<(&'static str, String)>,
    /// Seconds since the transport was made (tokio clock).
    pub at: f64,
}

impl Sent {
    /// The REST method: the last path segment.
    pub fn method(&self) -> &str {
        self.url
            .split('?')
            .next()
            .unwrap_or("")
            .rsplit('/')
            .next()
            .unwrap_or("")
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }
}

/// What the fake answers.
#[derive(Debug, Clone)]
pub enum Reply {
    Json(u16, Value),
    Raw(u16, String),
    Fail(TransportErrorKind),
    Hang,
    After(Duration, Box<Reply>),
}

pub fn ok(result: Value) -> Reply {
    Reply::Json(200, serde_json::json!({ "result": result }))
}

pub fn api_error(status: u16, code: &str) -> Reply {
    Reply::Json(
        status,
        serde_json::json!({"error": code, "error_description": "scripted"}),
    )
}

type Script = dyn Fn(&Sent, usize) -> Reply + Send + Sync;

/// Answers each request with `script(request, index)`; records every request.
pub struct Fake {
    script: Box<Script>,
    sent: Mutex<Vec<Sent>>,
    start: Instant,
}

impl Fake {
    pub fn new(script: impl Fn(&Sent, usize) -> Reply + Send + Sync + 'static) -> Arc<Fake> {
        Arc::new(Fake {
            script: Box::new(script),
            sent: Mutex::new(Vec::new()),
            start: Instant::now(),
        })
    }

    pub fn sent(&self) -> Vec<Sent> {
        self.sent.lock().unwrap().clone()
    }

    /// Send times (seconds) of requests to `method`.
    pub fn times(&self, method: &str) -> Vec<f64> {
        self.sent()
            .iter()
            .filter(|s| s.method() == method)
            .map(|s| s.at)
            .collect()
    }

    fn answer(
        &self,
        verb: &'static str,
        url: &str,
        body: Vec<u8>,
        headers: Vec<(&'static str, String)>,
    ) -> Reply {
        let sent = Sent {
            verb,
            url: url.to_owned(),
            body: String::from_utf8_lossy(&body).into_owned(),
            headers,
            at: Instant::now().duration_since(self.start).as_secs_f64(),
        };
        let mut log = self.sent.lock().unwrap();
        let index = log.len();
        log.push(sent.clone());
        drop(log);
        (self.script)(&sent, index)
    }
}

fn resolve(reply: Reply) -> BoxFuture<'static, Result<HttpReply, TransportError>> {
    Box::pin(async move {
        match reply {
            Reply::Json(status, v) => Ok(HttpReply::new(status, v.to_string())),
            Reply::Raw(status, s) => Ok(HttpReply::new(status, s)),
            Reply::Fail(kind) => Err(TransportError::new(kind, "scripted failure")),
            Reply::Hang => pending().await,
            Reply::After(d, r) => {
                tokio::time::sleep(d).await;
                resolve(*r).await
            }
        }
    })
}

impl Transport for Fake {
    fn post(&self, request: HttpRequest) -> BoxFuture<'_, Result<HttpReply, TransportError>> {
        assert_eq!(request.content_type, "application/json");
        resolve(self.answer("POST", &request.url, request.body, request.headers))
    }

    fn get(&self, url: &str) -> BoxFuture<'_, Result<HttpReply, TransportError>> {
        resolve(self.answer("GET", url, Vec::new(), Vec::new()))
    }
}

/// Retries without jitter, so waits are exact.
pub fn policy() -> RetryPolicy {
    let mut p = RetryPolicy::default();
    p.jitter = false;
    p
}

/// A webhook client on `fake`, paused-clock friendly.
pub fn builder(fake: &Arc<Fake>) -> ClientBuilder {
    Client::builder(WEBHOOK)
        .transport(fake.clone())
        .clock(Arc::new(TokioClock::starting_at(T0)))
        .retry(policy())
}

pub fn client(fake: &Arc<Fake>) -> Client {
    builder(fake).build().unwrap()
}

/// The envelope `time` with `operating` seconds used and a reset `reset_in` seconds after T0.
pub fn time(operating: f64, reset_at: f64) -> Value {
    serde_json::json!({
        "start": T0, "finish": T0 + 0.1, "duration": 0.1, "processing": 0.05,
        "date_start": "2026-05-14T10:26:32+02:00", "date_finish": "2026-05-14T10:26:32+02:00",
        "operating": operating, "operating_reset_at": reset_at as i64
    })
}

pub fn ok_with_time(result: Value, operating: f64, reset_at: f64) -> Reply {
    Reply::Json(
        200,
        serde_json::json!({"result": result, "time": time(operating, reset_at)}),
    )
}

/// Seconds since `start` (tokio clock).
pub fn since(start: Instant) -> f64 {
    Instant::now().duration_since(start).as_secs_f64()
}
