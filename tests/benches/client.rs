//! Per-call overhead of the typed client against raw `reqwest` + `serde_json::Value`.
//!
//! Every variant POSTs the same JSON body (`{"ID":13}`) to the same loopback URL
//! (`<webhook>/crm.calllist.get`) over one kept-alive HTTP/1.1 connection, with the same
//! `Content-Type` and `Accept` headers, and reads the whole body:
//!
//! - `client_call`: `Client::call(crm::calllist::Get::new(13))` → `GetResult`; the
//!   client's rate limiter is off (`ClientBuilder::no_rate_limit`: with the documented
//!   2 requests/s the bench would measure the limiter), everything else is the default
//!   request path (operating-time tracker, retry policy, 70 s timeout, tracing span);
//! - `raw_value`: `reqwest` + `serde_json::from_slice::<Value>` of the body, then
//!   `result` taken out of the object (what an untyped caller does);
//! - `raw_typed`: `reqwest` + `serde_json::from_slice` straight into
//!   `{result: GetResult}` (the cheapest typed decode possible, for reference).
//!
//! Two loopback servers, each on its own thread and runtime (the client runs on a
//! current-thread runtime on the bench thread):
//!
//! - `minimal`: a bare HTTP/1.1 responder answering the documented response example of
//!   `crm.calllist.get` verbatim (~0.5 KB), so the server's share of the time is as small
//!   as it gets and the ratio is the strictest;
//! - `fake_portal`: the runtime's `FakePortal` (rate limit and operating-time limit
//!   disabled, calls costing no operating time) answering from the same example, i.e.
//!   with auth, routing, the request log and its own `time` object.
//!
//! A third group, `in_memory`, takes the network out: the client gets a `Transport` that
//! answers [`EXAMPLE`] from memory (a copy into a fresh `Vec`, as a body read would make),
//! and `raw_value` there is only the same work without HTTP (serialise the body, copy the
//! answer, parse it into `Value`, take `result`). It shows the client's own CPU cost per
//! call in absolute terms, which the loopback groups dilute with the round trip.
//!
//! After the criterion groups, a whole bench run (`--bench`, no filter) prints medians from an interleaved
//! A/B run (rounds of 2,000 calls, alternating client and raw, median of the per-round
//! means) and the ratio client / raw. `cargo test --benches` runs every routine once.
//!
//! Run: `cargo bench -p bitrix24-tests --bench client`.

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bitrix24::Client;
use bitrix24::crm::calllist::get::GetResult;
use bitrix24_runtime::testing::{FakePortal, PortalRateLimit};
use bitrix24_runtime::transport::{BoxFuture, HttpReply, HttpRequest, Transport, TransportError};
use criterion::{Criterion, criterion_group};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::runtime::Runtime;

/// The documented response example of `crm.calllist.get`
/// (`spec/methods/crm/crm.calllist.get.yaml`), verbatim.
const EXAMPLE: &str = r#"{
    "result": {
        "ID": "13",
        "DATE_CREATE": "2025-07-14 08:47:19",
        "CREATED_BY_ID": "29",
        "WEBFORM_ID": "1",
        "ENTITY_TYPE_ID": "3",
        "ENTITY_TYPE": "CONTACT"
    },
    "time": {
        "start": 1752472572.278248,
        "finish": 1752472572.332555,
        "duration": 0.054306983947753906,
        "processing": 0.004546165466308594,
        "date_start": "2025-07-14T08:56:12+02:00",
        "date_finish": "2025-07-14T08:56:12+02:00",
        "operating_reset_at": 1752473172,
        "operating": 0
    }
}"#;

const METHOD: &str = "crm.calllist.get";
/// Calls per round of the interleaved summary.
const ROUND: u32 = 2_000;
/// Rounds per variant in the interleaved summary.
const ROUNDS: usize = 15;

/// `{result: GetResult}`: the raw typed variant's envelope.
#[derive(serde::Deserialize)]
struct Envelope {
    result: GetResult,
}

/// A loopback server running on its own thread until dropped.
struct Server {
    /// The webhook URL, ending in `/`.
    webhook: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Server {
    /// Starts `serve(ready)` on a current-thread runtime of a new thread; `serve` sends
    /// the webhook URL through `ready` and runs until the returned future is dropped.
    fn spawn<F, Fut>(name: &str, serve: F) -> Server
    where
        F: FnOnce(std::sync::mpsc::Sender<String>) -> Fut + Send + 'static,
        Fut: Future<Output = ()>,
    {
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name(name.to_owned())
            .spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("a server runtime");
                rt.block_on(async move {
                    tokio::select! {
                        () = serve(ready_tx) => {}
                        _ = stop_rx => {}
                    }
                });
            })
            .expect("a server thread");
        let webhook = ready_rx.recv().expect("the server reports its URL");
        Server {
            webhook,
            stop: Some(stop_tx),
            thread: Some(thread),
        }
    }

    /// The bare HTTP/1.1 responder: every request (any path) gets [`EXAMPLE`].
    fn minimal() -> Server {
        Server::spawn("minimal-server", |ready| async move {
            let listener = TcpListener::bind(("127.0.0.1", 0)).await.expect("bind");
            let addr = listener.local_addr().expect("local address");
            let answer: Arc<[u8]> = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json; charset=utf-8\r\n\
                 content-length: {}\r\n\r\n{EXAMPLE}",
                EXAMPLE.len()
            )
            .into_bytes()
            .into();
            ready
                .send(format!("http://{addr}/rest/1/benchcode0000/"))
                .expect("the bench waits for the URL");
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                tokio::spawn(respond(stream, answer.clone()));
            }
        })
    }

    /// The fake portal, limits off, answering `crm.calllist.get` from [`EXAMPLE`].
    fn fake_portal() -> Server {
        Server::spawn("fake-portal", |ready| async move {
            let portal = FakePortal::builder()
                .rate_limit(PortalRateLimit::UNLIMITED)
                .operating_limit(f64::INFINITY)
                // Calls cost no operating time: the portal's limit is off, and the
                // client's tracker would otherwise pause the method after 432 s of
                // reported time (43,200 calls at the default 0.01 s).
                .default_operating_cost(0.0)
                .start()
                .await
                .expect("the fake portal starts");
            let example: Value = serde_json::from_str(EXAMPLE).expect("the example is JSON");
            portal.answer_from_examples([(METHOD, example)]);
            ready
                .send(portal.webhook_url())
                .expect("the bench waits for the URL");
            // The portal serves until this future is dropped (with `portal`).
            std::future::pending::<()>().await;
        })
    }
}

/// Answers each request on `stream` with `answer`, keeping the connection open.
async fn respond(mut stream: TcpStream, answer: Arc<[u8]>) {
    let _ = stream.set_nodelay(true);
    let mut buf: Vec<u8> = Vec::with_capacity(16 * 1024);
    let mut chunk = vec![0u8; 16 * 1024];
    loop {
        // Headers.
        let head_end = loop {
            if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        };
        let head = String::from_utf8_lossy(&buf[..head_end]);
        let length = head
            .lines()
            .filter_map(|l| l.split_once(':'))
            .find(|(k, _)| k.trim().eq_ignore_ascii_case("content-length"))
            .and_then(|(_, v)| v.trim().parse::<usize>().ok())
            .unwrap_or(0);
        // Body.
        while buf.len() < head_end + length {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
        buf.drain(..head_end + length);
        if stream.write_all(&answer).await.is_err() {
            return;
        }
    }
}

/// A transport answering every POST with [`EXAMPLE`] from memory.
struct InMemory;

impl Transport for InMemory {
    fn post(&self, request: HttpRequest) -> BoxFuture<'_, Result<HttpReply, TransportError>> {
        black_box(request);
        Box::pin(std::future::ready(Ok(HttpReply::new(
            200,
            EXAMPLE.as_bytes().to_vec(),
        ))))
    }
}

/// `in_memory/client_call`.
async fn in_memory_client(client: &Client) -> GetResult {
    client
        .call(bitrix24::crm::calllist::Get::new(13))
        .await
        .expect("crm.calllist.get through the in-memory transport")
}

/// `in_memory/raw_value`: the raw caller's work without HTTP.
fn in_memory_raw(webhook: &str) -> Value {
    let body = serde_json::to_vec(&json!({"ID": 13})).expect("a JSON body");
    black_box((format!("{webhook}{METHOD}"), body));
    let answer = EXAMPLE.as_bytes().to_vec();
    let value: Value = serde_json::from_slice(&answer).expect("a JSON body");
    match value {
        Value::Object(mut obj) => obj.remove("result").expect("a result"),
        other => panic!("expected an object, got {other}"),
    }
}

fn bench_in_memory(c: &mut Criterion) {
    let rt = client_runtime();
    let webhook = "http://127.0.0.1:9/rest/1/benchcode0000/";
    let client = Client::builder(webhook)
        .no_rate_limit()
        .allow_insecure_loopback()
        .transport(Arc::new(InMemory))
        .build()
        .expect("a client over the in-memory transport");
    assert_eq!(rt.block_on(in_memory_client(&client)).id, Some(13));
    assert_eq!(in_memory_raw(webhook)["ID"], "13");
    let mut g = c.benchmark_group("call/in_memory");
    g.bench_function("client_call", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let start = Instant::now();
                for _ in 0..iters {
                    black_box(in_memory_client(&client).await);
                }
                start.elapsed()
            })
        });
    });
    g.bench_function("raw_value", |b| {
        b.iter(|| in_memory_raw(black_box(webhook)))
    });
    g.finish();
}

/// The three callers, sharing one server.
struct Callers {
    client: Client,
    http: reqwest::Client,
    webhook: String,
}

impl Callers {
    fn new(webhook: &str) -> Callers {
        let client = Client::builder(webhook)
            .no_rate_limit()
            .allow_insecure_loopback()
            .build()
            .expect("a client for the loopback server");
        // As `ReqwestTransport` builds its client.
        let http = reqwest::Client::builder()
            .user_agent(bitrix24_runtime::transport::USER_AGENT)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("a reqwest client");
        Callers {
            client,
            http,
            webhook: webhook.to_owned(),
        }
    }

    async fn client_call(&self) -> GetResult {
        self.client
            .call(bitrix24::crm::calllist::Get::new(13))
            .await
            .expect("crm.calllist.get through the client")
    }

    /// POSTs `{"ID":13}` as the client does and returns the whole body.
    async fn raw_body(&self) -> reqwest::Result<impl std::ops::Deref<Target = [u8]>> {
        let body = serde_json::to_vec(&json!({"ID": 13})).expect("a JSON body");
        self.http
            .post(format!("{}{METHOD}", self.webhook))
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(reqwest::header::ACCEPT, "application/json")
            .body(body)
            .send()
            .await?
            .bytes()
            .await
    }

    async fn raw_value(&self) -> Value {
        let body = self
            .raw_body()
            .await
            .expect("crm.calllist.get over reqwest");
        let value: Value = serde_json::from_slice(&body).expect("a JSON body");
        match value {
            Value::Object(mut obj) => obj.remove("result").expect("a result"),
            other => panic!("expected an object, got {other}"),
        }
    }

    async fn raw_typed(&self) -> GetResult {
        let body = self
            .raw_body()
            .await
            .expect("crm.calllist.get over reqwest");
        serde_json::from_slice::<Envelope>(&body)
            .expect("the envelope decodes")
            .result
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Variant {
    ClientCall,
    RawValue,
    RawTyped,
}

impl Variant {
    const ALL: [Variant; 3] = [Variant::ClientCall, Variant::RawValue, Variant::RawTyped];

    fn name(self) -> &'static str {
        match self {
            Variant::ClientCall => "client_call",
            Variant::RawValue => "raw_value",
            Variant::RawTyped => "raw_typed",
        }
    }
}

/// Runs `iters` calls of `variant` one after the other and returns the time taken.
fn run(rt: &Runtime, callers: &Callers, variant: Variant, iters: u64) -> Duration {
    rt.block_on(async {
        let start = Instant::now();
        for _ in 0..iters {
            match variant {
                Variant::ClientCall => drop(black_box(callers.client_call().await)),
                Variant::RawValue => drop(black_box(callers.raw_value().await)),
                Variant::RawTyped => drop(black_box(callers.raw_typed().await)),
            }
        }
        start.elapsed()
    })
}

/// Checks once that all three variants read the documented example.
fn check(rt: &Runtime, callers: &Callers) {
    rt.block_on(async {
        let typed = callers.client_call().await;
        assert_eq!(
            (typed.id, typed.entity_type.as_deref()),
            (Some(13), Some("CONTACT"))
        );
        assert_eq!(callers.raw_value().await["ID"], "13");
        assert_eq!(callers.raw_typed().await, typed);
    });
}

fn client_runtime() -> Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("the client runtime")
}

fn bench_calls(c: &mut Criterion) {
    let rt = client_runtime();
    for (server_name, server) in [
        ("minimal", Server::minimal as fn() -> Server),
        ("fake_portal", Server::fake_portal),
    ] {
        let server = server();
        let callers = Callers::new(&server.webhook);
        check(&rt, &callers);
        let mut g = c.benchmark_group(format!("call/{server_name}"));
        for variant in Variant::ALL {
            g.bench_function(variant.name(), |b| {
                b.iter_custom(|iters| run(&rt, &callers, variant, iters));
            });
        }
        g.finish();
    }
}

/// Median of `xs` (sorted in place).
fn median(xs: &mut [f64]) -> f64 {
    xs.sort_by(f64::total_cmp);
    let n = xs.len();
    if n % 2 == 1 {
        xs[n / 2]
    } else {
        (xs[n / 2 - 1] + xs[n / 2]) / 2.0
    }
}

/// The interleaved A/B summary: per server, rounds of [`ROUND`] calls per variant in
/// turn; prints the median per-call time of each variant and the ratios to `raw_value`.
fn summary() {
    let rt = client_runtime();
    println!(
        "\ninterleaved summary: {ROUNDS} rounds of {ROUND} calls per variant, median of the \
         per-round means (client rate limiter off)"
    );
    for (server_name, server) in [
        ("minimal", Server::minimal as fn() -> Server),
        ("fake_portal", Server::fake_portal),
    ] {
        let server = server();
        let callers = Callers::new(&server.webhook);
        check(&rt, &callers);
        // Warm up the connection pools and caches.
        for variant in Variant::ALL {
            run(&rt, &callers, variant, u64::from(ROUND));
        }
        let mut samples: [Vec<f64>; 3] = Default::default();
        for _ in 0..ROUNDS {
            for (i, variant) in Variant::ALL.into_iter().enumerate() {
                let t = run(&rt, &callers, variant, u64::from(ROUND));
                samples[i].push(t.as_secs_f64() * 1e6 / f64::from(ROUND));
            }
        }
        let [client, raw, typed] = samples.map(|mut s| median(&mut s));
        println!(
            "  {server_name:<12} client_call {client:7.2} µs | raw_value {raw:7.2} µs | \
             raw_typed {typed:7.2} µs | client/raw_value {:.3}x | client/raw_typed {:.3}x",
            client / raw,
            client / typed
        );
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(30)
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(5));
    targets = bench_calls, bench_in_memory
}

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    // Only in a whole bench run: not with `cargo test --benches`, a name filter or
    // `--profile-time N`.
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--bench") && args.iter().all(|a| a.starts_with('-')) {
        summary();
    }
}
