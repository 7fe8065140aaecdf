//! Each quirk switch of the fake portal reproduces its recorded shape (and only when on).
#![cfg(feature = "testing")]

use bitrix24_runtime::testing::{FakePortal, Quirks};
use serde_json::{Value, json};

async fn post(url: &str, body: Value) -> Value {
    let r = reqwest::Client::new()
        .post(url)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    serde_json::from_slice(&r.bytes().await.unwrap()).unwrap()
}

/// A single list call (50 of 50 rows) and a batch of three commands of one method.
async fn answers(quirks: Quirks) -> (Value, Value) {
    let portal = FakePortal::builder()
        .base_unix_time(1_778_747_192.0)
        .default_operating_cost(1.25)
        .quirks(quirks)
        .start()
        .await
        .unwrap();
    portal
        .table("crm.deal.list")
        .insert_many((1..=50).map(|i| json!({ "TITLE": format!("Deal {i}") })));
    let url = portal.webhook_url();
    let single = post(&format!("{url}crm.deal.list"), json!({})).await;
    let batch = post(
        &format!("{url}batch"),
        json!({"cmd": {"a": "crm.deal.list?start=-1", "b": "crm.deal.list?start=-1",
                       "c": "crm.deal.list?start=-1"}}),
    )
    .await;
    (single, batch)
}

#[tokio::test]
async fn every_switch_changes_its_shape() {
    let (single, batch) = answers(Quirks::default()).await;
    // Documented shapes.
    let time = &single["time"];
    assert_eq!(
        (
            time["operating"].clone(),
            time["operating_reset_at"].is_i64()
        ),
        (json!(1.25), true)
    );
    assert_eq!(time["processing"], time["duration"]);
    assert!(time["date_start"].as_str().unwrap().ends_with("+00:00"));
    assert_eq!(
        (single["total"].clone(), single.get("next")),
        (json!(50), None)
    );
    assert!(batch["time"].get("operating").is_none());
    let per_command: Vec<f64> = ["a", "b", "c"]
        .iter()
        .map(|k| {
            batch["result"]["result_time"][k]["operating"]
                .as_f64()
                .unwrap()
        })
        .collect();
    assert_eq!(
        per_command,
        [2.5, 3.75, 5.0],
        "a running total on every command"
    );

    for (name, quirks) in Quirks::each() {
        let (single, batch) = answers(quirks).await;
        let time = &single["time"];
        let cmd = |k: &str| batch["result"]["result_time"][k]["operating"].clone();
        if quirks.no_operating {
            assert!(
                time.get("operating").is_none() && time.get("operating_reset_at").is_none(),
                "{name}"
            );
        } else if quirks.no_operating_reset_at {
            assert!(
                time.get("operating").is_some() && time.get("operating_reset_at").is_none(),
                "{name}"
            );
        } else {
            assert!(time["operating_reset_at"].is_i64(), "{name}");
        }
        if quirks.batch_operating && !quirks.no_operating {
            assert_eq!(
                batch["time"]["operating"],
                json!(5.0),
                "{name}: the largest command value"
            );
        } else {
            assert!(batch["time"].get("operating").is_none(), "{name}");
        }
        if quirks.operating_on_first_command_only {
            assert_eq!(
                (cmd("a"), cmd("b"), cmd("c")),
                (json!(2.5), json!(0), json!(0)),
                "{name}"
            );
        }
        if quirks.next_at_total {
            assert_eq!(
                (single["total"].clone(), single["next"].clone()),
                (json!(50), json!(50)),
                "{name}"
            );
        } else {
            assert!(single.get("next").is_none(), "{name}");
        }
        if quirks.utc_offset_secs == 3 * 3600 {
            assert!(
                time["date_start"].as_str().unwrap().ends_with("+03:00"),
                "{name}: {time}"
            );
        }
        if let Some(ratio) = quirks.processing_ratio {
            let (p, d) = (
                time["processing"].as_f64().unwrap(),
                time["duration"].as_f64().unwrap(),
            );
            assert!((p - d * ratio).abs() < 1e-9 && p < d, "{name}");
        }
    }
}
