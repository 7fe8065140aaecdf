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
