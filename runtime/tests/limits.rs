//! The request-rate bucket and the per-method operating-time tracker, with a paused clock.

mod support;

use std::sync::Arc;
use std::time::Duration;

use bitrix24_runtime::{Clock, Error, OperatingLimit, RateLimit, RetryPolicy, TokioClock};
use futures_util::future::join_all;
use serde_json::json;
use support::{Fake, T0, api_error, builder, client, ok, ok_with_time};

#[test]
fn presets_follow_the_docs() {
    assert_eq!(
        (RateLimit::STANDARD.burst, RateLimit::STANDARD.drain_per_sec),
        (50, 2.0)
    );
    assert_eq!(
        (
            RateLimit::ENTERPRISE.burst,
            RateLimit::ENTERPRISE.drain_per_sec
        ),
        (250, 5.0)
    );
    assert_eq!(RateLimit::default(), RateLimit::STANDARD);
    let op = OperatingLimit::default();
    assert_eq!(
        (op.budget_secs, op.pause_at, op.fallback_block.as_secs()),
        (480.0, 1.0, 60)
    );
}

#[test]
fn invalid_limits_are_config_errors() {
    let fake = Fake::new(|_, _| ok(json!(1)));
    for limit in [
        RateLimit::new(0, 2.0),
        RateLimit::new(5, 0.0),
        RateLimit::new(5, f64::NAN),
        RateLimit::new(5, f64::INFINITY),
        // One request per 10^300 s would overflow every wait.
        RateLimit::new(1, 1e-300),
    ] {
        let e = builder(&fake).rate_limit(limit).build().unwrap_err();
        assert!(matches!(e, Error::Config(_)), "{limit:?}: {e}");
    }
    for (budget, pause) in [(0.0, 0.9), (480.0, 0.0), (480.0, 1.5), (f64::NAN, 0.9)] {
        let mut limit = OperatingLimit::default();
        limit.budget_secs = budget;
        limit.pause_at = pause;
        let e = builder(&fake).operating_limit(limit).build().unwrap_err();
        assert!(matches!(e, Error::Config(_)), "{limit:?}: {e}");
    }
    for block in [Duration::MAX, Duration::ZERO, Duration::from_secs(601)] {
        let mut limit = OperatingLimit::default();
        limit.fallback_block = block;
        let e = builder(&fake).operating_limit(limit).build().unwrap_err();
        assert!(e.to_string().contains("fallback_block"), "{block:?}: {e}");
    }
}

#[tokio::test(start_paused = true)]
async fn bucket_allows_a_burst_then_drains() {
    let fake = Fake::new(|_, _| ok(json!(1)));
    let client = builder(&fake)
        .rate_limit(RateLimit::new(3, 1.0))
        .build()
        .unwrap();
    let calls = (0..6).map(|_| client.call_raw("user.current", json!({})));
    for r in join_all(calls).await {
        r.unwrap();
    }
    assert_eq!(fake.times("user.current"), [0.0, 0.0, 0.0, 1.0, 2.0, 3.0]);
}

#[tokio::test(start_paused = true)]
async fn standard_bucket_sustains_two_per_second() {
    let fake = Fake::new(|_, _| ok(json!(1)));
    let client = client(&fake);
    let calls = (0..54).map(|_| client.call_raw("user.current", json!({})));
    join_all(calls).await;
    let times = fake.times("user.current");
    assert!(times[..50].iter().all(|t| *t == 0.0), "{times:?}");
    assert_eq!(&times[50..], [0.5, 1.0, 1.5, 2.0]);
}

#[tokio::test(start_paused = true)]
async fn no_rate_limit_sends_at_once() {
    let fake = Fake::new(|_, _| ok(json!(1)));
    let client = builder(&fake).no_rate_limit().build().unwrap();
    join_all((0..300).map(|_| client.call_raw("user.current", json!({})))).await;
    assert!(fake.times("user.current").iter().all(|t| *t == 0.0));
}

#[tokio::test(start_paused = true)]
async fn query_limit_exceeded_fills_the_bucket() {
    let fake = Fake::new(|_, i| {
        if i == 0 {
            api_error(503, "QUERY_LIMIT_EXCEEDED")
        } else {
            ok(json!(1))
        }
    });
    let client = builder(&fake).retry(RetryPolicy::never()).build().unwrap();
    client
        .call_raw("user.current", json!({}))
        .await
        .unwrap_err();
    // Our bucket had room for 49 more, but the portal's is full: wait for one to drain.
    client.call_raw("user.current", json!({})).await.unwrap();
    client.call_raw("user.current", json!({})).await.unwrap();
    assert_eq!(fake.times("user.current"), [0.0, 0.5, 1.0]);
}

#[tokio::test(start_paused = true)]
async fn clones_share_the_bucket() {
    let fake = Fake::new(|_, _| ok(json!(1)));
    let a = builder(&fake)
        .rate_limit(RateLimit::new(1, 1.0))
        .build()
        .unwrap();
    let b = a.clone();
    a.call_raw("x.y", json!({})).await.unwrap();
    b.call_raw("x.y", json!({})).await.unwrap();
    assert_eq!(fake.times("x.y"), [0.0, 1.0]);
}

#[tokio::test(start_paused = true)]
async fn a_method_near_its_operating_budget_pauses_until_its_reset() {
    // 490 s > 480 s: the portal would refuse the next call, so crm.item.list pauses
    // until T0 + 30 (+1 s: the reset time is in whole seconds); other methods do not.
    let fake = Fake::new(|s, _| {
        if s.method() == "crm.item.list" {
            ok_with_time(json!("list"), 490.0, T0 + 30.0)
        } else {
            ok(json!("other"))
        }
    });
    let client = client(&fake);
    client.call_raw("crm.item.list", json!({})).await.unwrap();
    client.call_raw("user.current", json!({})).await.unwrap();
    client.call_raw("crm.item.list", json!({})).await.unwrap();
    assert_eq!(fake.times("user.current"), [0.0]);
    assert_eq!(fake.times("crm.item.list"), [0.0, 31.0]);
}

#[tokio::test(start_paused = true)]
async fn a_method_under_the_threshold_is_not_paused() {
    let fake = Fake::new(|_, _| ok_with_time(json!(1), 400.0, T0 + 30.0));
    let client = client(&fake);
    for _ in 0..3 {
        client.call_raw("crm.item.list", json!({})).await.unwrap();
    }
    assert_eq!(fake.times("crm.item.list"), [0.0, 0.0, 0.0]);
}

#[tokio::test(start_paused = true)]
async fn a_lower_operating_report_lifts_the_pause() {
    let fake = Fake::new(|s, i| match (s.method(), i) {
        ("crm.item.list", 0) => ok_with_time(json!(1), 480.5, T0 + 30.0),
        _ => ok_with_time(json!(1), 100.0, T0 + 300.0),
    });
    let client = client(&fake);
    client.call_raw("crm.item.list", json!({})).await.unwrap();
    client.call_raw("crm.item.list", json!({})).await.unwrap();
    client.call_raw("crm.item.list", json!({})).await.unwrap();
    assert_eq!(fake.times("crm.item.list"), [0.0, 31.0, 31.0]);
}

#[tokio::test(start_paused = true)]
async fn the_pause_fraction_is_configurable() {
    let fake = Fake::new(|_, _| ok_with_time(json!(1), 250.0, T0 + 20.0));
    let mut limit = OperatingLimit::default();
    limit.pause_at = 0.5;
    let client = builder(&fake).operating_limit(limit).build().unwrap();
    client.call_raw("crm.item.list", json!({})).await.unwrap();
    client.call_raw("crm.item.list", json!({})).await.unwrap();
    assert_eq!(fake.times("crm.item.list"), [0.0, 21.0]);
}

#[tokio::test(start_paused = true)]
async fn method_names_are_tracked_ignoring_case() {
    let fake = Fake::new(|_, _| ok_with_time(json!(1), 481.0, T0 + 10.0));
    let client = client(&fake);
    client.call_raw("crm.item.list", json!({})).await.unwrap();
    client.call_raw("CRM.Item.List", json!({})).await.unwrap();
    let times: Vec<f64> = fake.sent().iter().map(|s| s.at).collect();
    assert_eq!(times, [0.0, 11.0]);
}

#[tokio::test(start_paused = true)]
async fn without_a_reset_time_the_pause_lasts_the_documented_window() {
    // 12 of 27 recorded answers carry `operating` without `operating_reset_at`.
    let fake = Fake::new(|_, _| {
        let mut time = support::time(481.0, T0);
        time.as_object_mut().unwrap().remove("operating_reset_at");
        support::Reply::Json(200, json!({"result": 1, "time": time}))
    });
    let client = client(&fake);
    client.call_raw("crm.item.list", json!({})).await.unwrap();
    client.call_raw("crm.item.list", json!({})).await.unwrap();
    assert_eq!(fake.times("crm.item.list"), [0.0, 600.0]);
}

#[tokio::test(start_paused = true)]
async fn a_batch_feeds_each_command_method_with_its_largest_operating_time() {
    // Real portals report a method's total on its first command, 0 on later ones.
    let time = |op: f64| support::time(op, T0 + 40.0);
    let fake = Fake::new(move |s, _| match s.method() {
        "batch" => ok(json!({
            "result": {"cmd0": 1, "cmd1": 2, "cmd2": 3},
            "result_error": [],
            "result_time": {"cmd0": time(481.0), "cmd1": time(0.0), "cmd2": time(5.0)},
        })),
        _ => ok(json!(1)),
    });
    let client = client(&fake);
    let mut batch = client.batch();
    batch.push(ItemList).unwrap();
    batch.push(ItemList).unwrap();
    batch.push(UserGet).unwrap();
    batch.send().await.unwrap();
    client.call_raw("user.get", json!({})).await.unwrap();
    client.call_raw("crm.item.list", json!({})).await.unwrap();
    // 481 s (the first command's), not 0 (the last one's): crm.item.list waits for T0 + 41.
    assert_eq!(fake.times("crm.item.list"), [41.0]);
    assert_eq!(fake.times("user.get"), [0.0]);
}

#[tokio::test(start_paused = true)]
async fn tokio_clock_follows_the_paused_clock() {
    let clock = TokioClock::starting_at(T0);
    tokio::time::sleep(std::time::Duration::from_secs(42)).await;
    assert_eq!(clock.unix_now(), T0 + 42.0);
    let _ = Arc::new(clock);
}

#[derive(serde::Serialize)]
struct ItemList;

impl bitrix24_runtime::Method for ItemList {
    const NAME: &'static str = "crm.item.list";
    const READ_ONLY: bool = true;
    type Output = serde_json::Value;
}

#[derive(serde::Serialize)]
struct UserGet;

impl bitrix24_runtime::Method for UserGet {
    const NAME: &'static str = "user.get";
    const READ_ONLY: bool = true;
    type Output = serde_json::Value;
}
