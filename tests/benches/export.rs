//! Exporting 100,000 rows from the fake portal: naive `start` paging, the one-page-per-request
//! ID-cursor export and the batch-chained ID-cursor export.
//!
//! The table behind `crm.deal.list` holds 100,000 deals of 10 fields each (strings, as the
//! portal writes them). Each mode runs against a fresh portal and client, twice:
//!
//! - **limited**: the documented limits on both sides (portal and client: the standard
//!   leaky bucket, burst 50, drain 2/s; operating time 480 s per method per 10 minutes,
//!   each call costing the portal's default 0.01 s) on a current-thread runtime with
//!   tokio's clock paused, so the rate-limit waits take no real time. `modeled` is the
//!   tokio time that passed (the time the export would spend waiting for the limits
//!   against a portal that answers instantly); `wall` and `cpu` are the real time and
//!   the thread's CPU time of the run (`/proc/thread-self/schedstat`; client and portal
//!   share the one thread, so both include the fake portal's work). The client gets no
//!   effective timeouts (the paused clock jumps to the next timer whenever the runtime
//!   idles, see the fake portal's docs), and a `TokioClock`;
//! - **unlimited**: no limits on either side, real clock, same runtime: the real wall and
//!   CPU time.
//!
//! `requests` is the portal's `request_count()`; a row count and order check follows each
//! run, and a 503 from the portal fails the bench (the client's bucket must keep it under
//! the limit). The batch-chained export must use at most 41 requests (the bench panics
//! otherwise; `tests/export_limits.rs` checks the same in `cargo test`).
//!
//! Each mode and setting runs 3 times; the table shows the median wall and CPU time.
//!
//! Run: `cargo bench -p bitrix24-tests --bench export` (about 20 s after the build).
//! Without `--bench` (e.g. `cargo test --benches`) it exports 5,000 rows once.
#![allow(deprecated)] // `crm.deal.list` is deprecated upstream; it is still the classic export.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bitrix24::Client;
use bitrix24::crm::deal::list::{Deal, List};
use bitrix24::futures_util::TryStreamExt;
use bitrix24_runtime::TokioClock;
use bitrix24_runtime::testing::{FakePortal, PortalRateLimit};
use serde_json::{Value, json};

const METHOD: &str = "crm.deal.list";
/// Rows in a bench run.
const BENCH_ROWS: usize = 100_000;
/// Rows in a test run (`cargo test --benches`).
const TEST_ROWS: usize = 5_000;
/// Runs per mode and setting in a bench run; the table shows the median wall and CPU time.
const REPEATS: usize = 3;
/// Unix time of the portal's clock at start (and of the client's `TokioClock`).
const BASE_UNIX: f64 = 1_778_747_192.0;
/// A timeout that never fires under the paused clock.
const NEVER: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Mode {
    /// `Client::items`: `start` = 0, 50, 100, ... following `next`.
    Naive,
    /// `Client::export`: `>ID` cursor, `start=-1`, one page per request.
    Cursor,
    /// `Client::export_batched`: 50 chained cursor pages per `batch` request.
    Batched,
}

impl Mode {
    const ALL: [Mode; 3] = [Mode::Naive, Mode::Cursor, Mode::Batched];

    fn name(self) -> &'static str {
        match self {
            Mode::Naive => "naive start paging (items)",
            Mode::Cursor => "cursor export (export)",
            Mode::Batched => "batch-chained export (export_batched)",
        }
    }

    /// Requests the mode needs for `rows` rows (50 a page, 50 pages a batch).
    fn expected_requests(self, rows: usize) -> usize {
        match self {
            Mode::Naive => rows.div_ceil(50).max(1),
            Mode::Cursor => rows / 50 + 1,
            Mode::Batched => rows / 2_500 + 1,
        }
    }
}

/// What one run measured.
struct Run {
    requests: usize,
    refused: usize,
    modeled: Duration,
    wall: Duration,
    cpu: Option<Duration>,
}

/// `rows` deals of 10 fields each, IDs 1..=rows.
fn deals(rows: usize) -> Vec<Value> {
    const STAGES: [&str; 5] = ["NEW", "PREPARATION", "EXECUTING", "WON", "LOSE"];
    const CURRENCIES: [&str; 3] = ["USD", "EUR", "RUB"];
    (1..=rows)
        .map(|i| {
            let day = i % 28 + 1;
            json!({
                "ID": i.to_string(),
                "TITLE": format!("Deal #{i}: annual service contract"),
                "STAGE_ID": STAGES[i % STAGES.len()],
                "CURRENCY_ID": CURRENCIES[i % CURRENCIES.len()],
                "OPPORTUNITY": format!("{}.00", (i * 37) % 100_000),
                "ASSIGNED_BY_ID": (i % 40 + 1).to_string(),
                "COMPANY_ID": (i % 5_000 + 1).to_string(),
                "CONTACT_ID": (i % 20_000 + 1).to_string(),
                "DATE_CREATE": format!("2025-03-{day:02}T10:15:00+03:00"),
                "DATE_MODIFY": format!("2025-04-{day:02}T18:40:00+03:00"),
            })
        })
        .collect()
}

/// CPU time of the calling thread so far, where the kernel reports it.
fn thread_cpu() -> Option<Duration> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: u64 = s.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(ns))
}

/// Exports every row of the portal's `crm.deal.list` in `mode`; checks that IDs
/// 1..=`rows` arrive once each, in order.
async fn export(client: &Client, mode: Mode, rows: usize) {
    let mut next_id = 1usize;
    let mut check = |row: Deal| {
        let id = row
            .id
            .and_then(|id| usize::try_from(id).ok())
            .unwrap_or_default();
        assert_eq!(id, next_id, "{}: rows out of order", mode.name());
        let v = serde_json::to_value(&row).unwrap_or_default();
        let fields = v
            .as_object()
            .map_or(0, |o| o.values().filter(|v| !v.is_null()).count());
        assert_eq!(fields, 10, "{}: a row lost fields", mode.name());
        next_id += 1;
    };
    let result = match mode {
        Mode::Naive => {
            client
                .items(List::new())
                .try_for_each(|row| {
                    check(row);
                    std::future::ready(Ok(()))
                })
                .await
        }
        Mode::Cursor => {
            client
                .export(List::new())
                .try_for_each(|row| {
                    check(row);
                    std::future::ready(Ok(()))
                })
                .await
        }
        Mode::Batched => {
            client
                .export_batched(List::new())
                .try_for_each(|row| {
                    check(row);
                    std::future::ready(Ok(()))
                })
                .await
        }
    };
    if let Err(e) = result {
        panic!("{}: the export failed: {e}", mode.name());
    }
    assert_eq!(next_id - 1, rows, "{}: wrong number of rows", mode.name());
}

/// One run of `mode` over `rows` (cloned into a fresh portal), limited under a paused
/// clock or unlimited under the real one.
fn run(mode: Mode, rows: &[Value], limited: bool) -> Run {
    let mut builder = tokio::runtime::Builder::new_current_thread();
    builder.enable_all();
    if limited {
        builder.start_paused(true);
    }
    let rt = builder.build().expect("a runtime");
    rt.block_on(async {
        let portal = if limited {
            FakePortal::builder()
        } else {
            FakePortal::builder()
                .rate_limit(PortalRateLimit::UNLIMITED)
                .operating_limit(f64::INFINITY)
        }
        .base_unix_time(BASE_UNIX)
        .start()
        .await
        .expect("the fake portal starts");
        portal.table(METHOD).insert_many(rows.iter().cloned());
        let builder = Client::builder(&portal.webhook_url()).allow_insecure_loopback();
        let client = if limited {
            // Documented limits (the builder's defaults: PortalRateLimit::STANDARD,
            // OperatingLimit::DEFAULT).
            builder
                .timeout(NEVER)
                .connect_timeout(NEVER)
                .clock(Arc::new(TokioClock::starting_at(BASE_UNIX)))
        } else {
            builder.no_rate_limit().no_operating_limit()
        }
        .build()
        .expect("a client");

        let (virtual_start, wall_start, cpu_start) =
            (tokio::time::Instant::now(), Instant::now(), thread_cpu());
        export(&client, mode, rows.len()).await;
        let (modeled, wall) = (virtual_start.elapsed(), wall_start.elapsed());
        let cpu = thread_cpu()
            .zip(cpu_start)
            .map(|(end, start)| end.saturating_sub(start));
        let refused = portal
            .requests()
            .iter()
            .filter(|r| r.status != Some(200))
            .count();
        Run {
            requests: portal.request_count(),
            refused,
            modeled,
            wall,
            cpu,
        }
    })
}

/// One run with the median wall and CPU time of `runs` (each taken separately); the
/// request counts and, under the paused clock (`paused`), the modeled time must agree
/// (they are deterministic).
fn median_run(mut runs: Vec<Run>, paused: bool) -> Run {
    let first = &runs[0];
    let (requests, refused, modeled) = (first.requests, first.refused, first.modeled);
    for r in &runs {
        assert_eq!(
            (r.requests, r.refused),
            (requests, refused),
            "request counts differ between repeats"
        );
        assert!(
            !paused || r.modeled.abs_diff(modeled) < Duration::from_millis(1),
            "modeled time differs between repeats: {:?} vs {modeled:?}",
            r.modeled
        );
    }
    let mid = runs.len() / 2;
    runs.sort_by_key(|r| r.wall);
    let wall = runs[mid].wall;
    let cpu = if runs.iter().all(|r| r.cpu.is_some()) {
        runs.sort_by_key(|r| r.cpu);
        runs[mid].cpu
    } else {
        None
    };
    Run {
        requests,
        refused,
        modeled,
        wall,
        cpu,
    }
}

fn secs(d: Duration) -> String {
    format!("{:.3} s", d.as_secs_f64())
}

fn main() {
    let bench = std::env::args().any(|a| a == "--bench");
    let rows = if bench { BENCH_ROWS } else { TEST_ROWS };
    let data = deals(rows);
    let repeats = if bench { REPEATS } else { 1 };
    println!(
        "export of {rows} rows of crm.deal.list (10 fields each) from the fake portal{}; \
         median of {repeats} runs",
        if bench { "" } else { " (test mode)" }
    );
    println!(
        "{:<40} {:>8} {:>12} {:>10} {:>10} | {:>8} {:>10} {:>10}",
        "mode", "requests", "modeled", "real wall", "real cpu", "requests", "wall", "cpu"
    );
    println!(
        "{:<40} {:-^44} | {:-^30}",
        "", " documented limits, paused clock ", " limits off, real clock "
    );
    for mode in Mode::ALL {
        let limited = median_run((0..repeats).map(|_| run(mode, &data, true)).collect(), true);
        let free = median_run(
            (0..repeats).map(|_| run(mode, &data, false)).collect(),
            false,
        );
        let na = |cpu: Option<Duration>| cpu.map_or_else(|| "n/a".to_owned(), secs);
        println!(
            "{:<40} {:>8} {:>12} {:>10} {:>10} | {:>8} {:>10} {:>10}",
            mode.name(),
            limited.requests,
            secs(limited.modeled),
            secs(limited.wall),
            na(limited.cpu),
            free.requests,
            secs(free.wall),
            na(free.cpu),
        );
        for (what, r) in [("limited", &limited), ("unlimited", &free)] {
            assert_eq!(
                r.refused,
                0,
                "{} ({what}): the portal refused {} requests (the client's bucket should keep \
                 under the limit)",
                mode.name(),
                r.refused
            );
            assert_eq!(
                r.requests,
                mode.expected_requests(rows),
                "{} ({what}): unexpected number of requests",
                mode.name()
            );
        }
        if mode == Mode::Batched && rows == BENCH_ROWS {
            assert!(
                limited.requests <= 41 && free.requests <= 41,
                "batch-chained export of 100,000 rows used {} / {} requests (limited / \
                 unlimited); it must use at most 41",
                limited.requests,
                free.requests
            );
        }
    }
}
