//! Exports a table of 10,000 rows by ID cursor: `export` (one request per 50 rows) and
//! `export_batched` (50 pages chained in one `batch` request, 2,500 rows per request),
//! the latter with a progress bar (`Client::total`, then one tick per row; `indicatif`).
//!
//! Run with `cargo run -p bitrix24 --example fast_export --features testing`.
//!
//! Portal and client use the Enterprise rate limit (burst 250, 5 requests/s) so that the
//! 201 requests of the plain export go through in one burst.

use std::time::Instant;

use bitrix24::Client;
use bitrix24::crm::item::list::List;
use bitrix24::futures_util::TryStreamExt;
use bitrix24::testing::{FakePortal, PortalRateLimit};
use bitrix24::RateLimit;
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;

const ROWS: usize = 10_000;

/// `entityTypeId` of deals.
const DEALS: i64 = 2;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let portal = FakePortal::builder()
        .rate_limit(PortalRateLimit::ENTERPRISE)
        .start()
        .await?;
    portal
        .table("crm.item.list")
        .set_id_field("id")
        .set_items_key("items")
        .insert_many((1..=ROWS).map(|i| json!({"title": format!("Deal {i}")})));
    let client = Client::builder(&portal.webhook_url())
        .allow_insecure_loopback()
        .rate_limit(RateLimit::ENTERPRISE)
        .build()?;

    let started = Instant::now();
    let rows: Vec<_> = client.export(List::new(DEALS)).try_collect().await?;
    println!(
        "export: {} rows in {} HTTP requests, {:?}",
        rows.len(),
        portal.request_count(),
        started.elapsed()
    );
    assert_eq!(rows.len(), ROWS);

    // A progress bar: the total from one counted page, then one tick per row.
    let total = client.total(&List::new(DEALS)).await?.unwrap_or(0);
    portal.clear_log();
    let bar = ProgressBar::new(total).with_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} rows, {per_sec}")?,
    );
    let started = Instant::now();
    let rows: Vec<_> = client
        .export_batched(List::new(DEALS))
        .inspect_ok(|_| bar.inc(1))
        .try_collect()
        .await?;
    bar.finish();
    println!(
        "export_batched: {} of {total} rows in {} HTTP requests ({} list commands), {:?}",
        rows.len(),
        portal.request_count(),
        portal.call_count("crm.item.list"),
        started.elapsed()
    );
    assert_eq!(bar.position(), ROWS as u64);
    assert_eq!(rows.len(), ROWS);
    println!("first {:?}, last {:?}", rows.first(), rows.last());
    Ok(())
}
