//! Streams the rows of a list method page by page (`start`/`next`), as typed items.
//!
//! Run with `cargo run -p bitrix24 --example stream --features testing`.

use bitrix24::Client;
use bitrix24::crm::item::list::List;
use bitrix24::futures_util::TryStreamExt;
use bitrix24::testing::FakePortal;
use serde_json::json;

/// `entityTypeId` of deals.
const DEALS: i64 = 2;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let portal = FakePortal::start().await?;
    portal
        .table("crm.item.list")
        .set_id_field("id")
        .set_items_key("items")
        .insert_many(
            (1..=320).map(|i| json!({"title": format!("Deal {i}"), "opportunity": i * 10})),
        );
    let client = Client::builder(&portal.webhook_url())
        .allow_insecure_loopback()
        .build()?;

    let request = List::new(DEALS)
        .select(["ID", "title", "opportunity"])
        .filter(json!({">opportunity": 1000}));
    let mut rows = std::pin::pin!(client.items(request));
    let mut count = 0;
    while let Some(row) = rows.try_next().await? {
        count += 1;
        if count <= 3 {
            println!("{row:?}");
        }
    }
    println!(
        "{count} deals over 1000 (crm.item.list, entityTypeId 2), {} HTTP requests (one per page of 50)",
        portal.request_count()
    );

    // Pages, with the portal's `total` and `next`.
    let pages: Vec<_> = client.pages(List::new(DEALS)).try_collect().await?;
    for page in &pages {
        println!(
            "page at start {}: {} rows, total {:?}, next {:?}",
            page.start,
            page.items.len(),
            page.total,
            page.next
        );
    }
    Ok(())
}
