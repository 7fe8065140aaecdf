//! The export bench's claims, checked in `cargo test`: 100,000 rows of the fake portal's
//! `crm.deal.list` table (10 fields each) under the documented limits (standard leaky
//! bucket on both sides, default operating time), with tokio's clock paused.
//!
//! `benches/export.rs` measures the same exports; see it for the numbers.
#![allow(deprecated)] // `crm.deal.list` is deprecated upstream; it is still the classic export.

use std::sync::Arc;
use std::time::Duration;

use bitrix24::Client;
use bitrix24::TokioClock;
use bitrix24::crm::deal::list::{Deal, List};
use bitrix24::futures_util::TryStreamExt;
use bitrix24::testing::FakePortal;
use serde_json::{Value, json};

const ROWS: usize = 100_000;
const BASE_UNIX: f64 = 1_778_747_192.0;
/// A timeout that never fires (the paused clock jumps to the next timer when idle).
const NEVER: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

/// A portal with the documented limits and `rows` deals, and a client with the documented
/// limits (the builder's defaults).
async fn setup(rows: usize) -> (FakePortal, Client) {
    let portal = FakePortal::builder()
        .base_unix_time(BASE_UNIX)
        .start()
        .await
        .unwrap();
    portal
        .table("crm.deal.list")
        .insert_many((1..=rows).map(|i| {
            json!({
                "TITLE": format!("Deal #{i}"),
                "STAGE_ID": "NEW",
                "CURRENCY_ID": "USD",
                "OPPORTUNITY": format!("{i}.00"),
                "ASSIGNED_BY_ID": (i % 40 + 1).to_string(),
                "COMPANY_ID": (i % 5_000 + 1).to_string(),
                "CONTACT_ID": (i % 20_000 + 1).to_string(),
                "DATE_CREATE": "2025-03-01T10:15:00+03:00",
                "DATE_MODIFY": "2025-04-01T18:40:00+03:00",
            })
        }));
    let client = Client::builder(&portal.webhook_url())
        .allow_insecure_loopback()
        .timeout(NEVER)
        .connect_timeout(NEVER)
        .clock(Arc::new(TokioClock::starting_at(BASE_UNIX)))
        .build()
        .unwrap();
    (portal, client)
}

/// The IDs of the exported rows.
fn ids(rows: &[Deal]) -> Vec<usize> {
    rows.iter()
        .map(|r| usize::try_from(r.id.expect("every row has an ID")).unwrap())
        .collect()
}

/// The keys of a row that arrived with a value (typed fields and `extra()` alike).
fn keys_with_values(row: &Deal) -> usize {
    let v: Value = serde_json::to_value(row).unwrap();
    v.as_object()
        .unwrap()
        .values()
        .filter(|v| !v.is_null())
        .count()
}

#[tokio::test(start_paused = true)]
async fn batch_chained_export_of_100_000_rows_uses_at_most_41_requests() {
    let (portal, client) = setup(ROWS).await;
    let started = tokio::time::Instant::now();
    let rows: Vec<_> = client
        .export_batched(List::new())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(ids(&rows), (1..=ROWS).collect::<Vec<_>>());
    assert!(
        rows.iter().all(|r| keys_with_values(r) == 10),
        "every field arrives"
    );
    assert!(
        portal.request_count() <= 41,
        "batch-chained export of 100,000 rows used {} requests; it must use at most 41",
        portal.request_count()
    );
    assert_eq!(
        portal.request_count(),
        41,
        "40 full batches and one that finds the end"
    );
    assert!(portal.requests().iter().all(|r| r.status == Some(200)));
    // 41 requests fit in the burst of 50: no waiting for the rate limit.
    assert!(started.elapsed() < Duration::from_secs(1));
}

#[tokio::test(start_paused = true)]
async fn cursor_export_takes_a_request_per_page_and_waits_for_the_bucket() {
    let (portal, client) = setup(ROWS).await;
    let started = tokio::time::Instant::now();
    let rows: Vec<_> = client.export(List::new()).try_collect().await.unwrap();
    assert_eq!(ids(&rows), (1..=ROWS).collect::<Vec<_>>());
    assert_eq!(portal.request_count(), ROWS / 50 + 1);
    assert!(portal.requests().iter().all(|r| r.status == Some(200)));
    // 50 requests at once, then 2 a second: (2,001 - 50) / 2 = 975.5 s.
    let modeled = started.elapsed().as_secs_f64();
    assert!((975.0..976.5).contains(&modeled), "{modeled} s");
}

// ---- Operating time: the limit that really bounds an export ----------------------------
//
// The portal runs a call while the method's operating time over the last 10 minutes is at
// most 480 s, and refuses it with `OPERATION_TIME_LIMIT` above. At `c` seconds per page a
// window therefore runs `floor(480 / c) + 1` calls; an export of `p` pages (plus the
// short page that ends it) needs `ceil((p + 1) / per_window)` windows, and the last one
// starts `600 s` after the one before: the time the budget allows is
// `(windows - 1) * 600 s` plus the bucket time inside the last window (0 here: every
// window's requests fit in the burst of 50). The client's pauses round the portal's
// whole-second `operating_reset_at` up by 1 s per window; 5 % is the allowed slack.

/// A portal with `rows` deals costing `cost` s of operating time per call, and `quirks`.
async fn costly_setup(
    rows: usize,
    cost: f64,
    quirks: bitrix24_runtime::testing::Quirks,
) -> (FakePortal, Client) {
    let portal = FakePortal::builder()
        .base_unix_time(BASE_UNIX)
        .default_operating_cost(cost)
        .quirks(quirks)
        .start()
        .await
        .unwrap();
    portal
        .table("crm.deal.list")
        .insert_many((1..=rows).map(|i| json!({ "TITLE": format!("Deal #{i}") })));
    let client = Client::builder(&portal.webhook_url())
        .allow_insecure_loopback()
        .timeout(NEVER)
        .connect_timeout(NEVER)
        .clock(Arc::new(TokioClock::starting_at(BASE_UNIX)))
        .build()
        .unwrap();
    (portal, client)
}

/// Asserts `elapsed` is within 5 % above `allowed` (and not below it: that would mean the
/// portal's budget was not enforced).
fn assert_within_budget_time(elapsed: Duration, allowed: f64) {
    let secs = elapsed.as_secs_f64();
    assert!(
        (allowed..=allowed * 1.05).contains(&secs),
        "took {secs} s; the budget allows {allowed} s (5 % slack)"
    );
}

#[derive(Clone, Copy, Debug)]
enum Way {
    Export,
    Batched,
    Items,
}

async fn run_export(way: Way, client: &Client) -> Vec<Deal> {
    match way {
        Way::Export => client.export(List::new()).try_collect().await,
        Way::Batched => client.export_batched(List::new()).try_collect().await,
        Way::Items => client.items(List::new()).try_collect().await,
    }
    .expect("the export never surfaces OPERATION_TIME_LIMIT")
}

/// The recorded cost (1.2 s per page) with a batch-chained export of 100,000 rows: 2,000
/// full pages + 1 short = 2,001 calls = 2,401.2 s of operating time. A window runs
/// floor(480 / 1.2) + 1 = 401 calls, so 2,001 calls take 5 windows (4 × 401 + 397): the
/// last starts at 4 × 600 = 2,400 s.
#[tokio::test(start_paused = true)]
async fn batched_export_under_the_recorded_cost_waits_for_the_budget_and_loses_nothing() {
    use bitrix24_runtime::testing::{Quirks, RECORDED_PAGE_COST};
    for (name, quirks) in [
        ("documented", Quirks::default()),
        ("recorded", Quirks::recorded_portal()),
    ] {
        let (portal, client) = costly_setup(ROWS, RECORDED_PAGE_COST, quirks).await;
        let started = tokio::time::Instant::now();
        let rows = run_export(Way::Batched, &client).await;
        assert_eq!(ids(&rows), (1..=ROWS).collect::<Vec<_>>(), "{name}");
        assert_eq!(
            portal.operating_limit_refusals(),
            0,
            "{name}: paused ahead of the limit"
        );
        assert_within_budget_time(started.elapsed(), 2_400.0);
        // What the client says the export needs, in advance.
        let estimate = bitrix24_runtime::estimate_export(
            ROWS as u64,
            RECORDED_PAGE_COST,
            bitrix24_runtime::ExportWay::Batched,
            bitrix24_runtime::RateLimit::STANDARD,
            bitrix24_runtime::OperatingLimit::DEFAULT,
        );
        assert_within_budget_time(started.elapsed(), estimate.duration.as_secs_f64());
    }
}

/// 12 s per page, 3,000 rows: 60 full pages + 1 short = 61 calls. A window runs
/// floor(480 / 12) + 1 = 41 calls, so 2 windows: the second starts at 600 s. The first
/// batch (50 chained pages, cost not yet known) crosses the budget at its 42nd command:
/// the 41 pages before it are delivered, the export waits for the window and resumes from
/// the cursor.
#[tokio::test(start_paused = true)]
async fn a_budget_crossed_inside_a_batch_resumes_from_the_cursor() {
    use bitrix24_runtime::testing::Quirks;
    for (name, quirks) in Quirks::each() {
        for way in [Way::Batched, Way::Export, Way::Items] {
            let (portal, client) = costly_setup(3_000, 12.0, quirks).await;
            let started = tokio::time::Instant::now();
            let rows = run_export(way, &client).await;
            let expected: Vec<usize> = (1..=3_000).collect();
            assert_eq!(ids(&rows), expected, "{name} {way:?}");
            // Only the first batch meets the limit (it did not know the cost yet); a
            // portal that reports no operating time at all is met once, after which the
            // client counts its calls at the cost the stop implied.
            let refused = usize::from(matches!(way, Way::Batched) || quirks.no_operating);
            assert_eq!(portal.operating_limit_refusals(), refused, "{name} {way:?}");
            assert_within_budget_time(started.elapsed(), 600.0);
        }
    }
}
