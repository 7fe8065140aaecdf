//! Bounded, seeded fuzzing of the runtime's input parsers, with `arbtest`: the event
//! delivery parser, the response decoder (envelope, `batch`, typed results) and the PHP
//! query encoder / decoder. Each target runs a fixed list of seeds (reproducible; a
//! failure prints its seed), by default 1,500 inputs per target, a few seconds in all.
//!
//! Longer runs for maintainers (inputs per target; the seeds continue the same list):
//!
//! ```sh
//! BITRIX24_FUZZ_CASES=200000 cargo test --release -p bitrix24-runtime --features testing --test fuzz -- --nocapture
//! ```
//!
//! Reproduce one failing seed with `ARBTEST_SEED=0x... cargo test ... --test fuzz <target>`.
//! Every failure found becomes a regression test in the file of its module.
#![cfg(feature = "testing")]

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use arbtest::arbitrary::{self, Unstructured};
use arbtest::arbtest;
use bitrix24_runtime::testing::parse_php_query;
use bitrix24_runtime::transport::BoxFuture;
use bitrix24_runtime::wire::Decode;
use bitrix24_runtime::wire::query::encode;
use bitrix24_runtime::{
    Client, Error, HttpReply, HttpRequest, Method, RetryPolicy, TokioClock, Transport,
    TransportError, event,
};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use serde_json::{Map, Number, Value};

/// Inputs per target: `BITRIX24_FUZZ_CASES`, default 1,500.
fn cases() -> u64 {
    std::env::var("BITRIX24_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_500)
}

/// SplitMix64: the seed list.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// Runs `property` on the target's seeds: input sizes cycle through 0..4,096 bytes.
fn fuzz(target: &str, mut property: impl FnMut(&mut Unstructured<'_>) -> arbitrary::Result<()>) {
    let base = target.bytes().fold(0xCBF2_9CE4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01B3)
    });
    let n = cases();
    for i in 0..n {
        let size = (i * 97) % 4_096;
        let seed = (mix(base ^ i) << 32) | size;
        arbtest(&mut property).seed(seed).run();
    }
    eprintln!("fuzz target {target}: {n} inputs, 0 panics");
}

/// Pieces that matter to the parsers, mixed with arbitrary text.
const TOKENS: &[&str] = &[
    "[",
    "]",
    "[]",
    "=",
    "&",
    "%",
    "%5B",
    "%5D",
    "%00",
    "%FF",
    "%2B",
    "+",
    " ",
    ".",
    "\0",
    "$result[cmd0]",
    "$result[cmd0][49][ID]",
    "auth",
    "auth[application_token]",
    "event",
    "data",
    "FIELDS",
    "ID",
    ">ID",
    "0",
    "-1",
    "1e+300",
    "é",
    "🎉",
    "\u{FFFD}",
    "null",
    "result",
    "error",
    "time",
    "operating",
    "s3cr3tc0de42",
    "app-t0k3n-9",
];

fn text(u: &mut Unstructured<'_>) -> arbitrary::Result<String> {
    let mut s = String::new();
    for _ in 0..u.int_in_range(0..=6)? {
        if u.ratio(2, 3)? {
            s.push_str(u.choose(TOKENS)?);
        } else {
            s.push_str(u.arbitrary::<&str>()?);
        }
    }
    Ok(s)
}

/// A JSON value at most `depth` levels deep.
fn json(u: &mut Unstructured<'_>, depth: u32) -> arbitrary::Result<Value> {
    let kind = u.int_in_range(0..=if depth == 0 { 3 } else { 5 })?;
    Ok(match kind {
        0 => Value::Null,
        1 => Value::Bool(u.arbitrary()?),
        2 => match u.int_in_range(0..=2)? {
            0 => Value::from(u.arbitrary::<i64>()?),
            1 => Number::from_f64(u.arbitrary()?).map_or(Value::Null, Value::Number),
            _ => Value::from(*u.choose(&[0.0, -1.0, 1e300, 1e-300, 2.5e-7, 480.0])?),
        },
        3 => Value::String(text(u)?),
        4 => Value::Array(
            (0..u.int_in_range(0..=4)?)
                .map(|_| json(u, depth - 1))
                .collect::<arbitrary::Result<_>>()?,
        ),
        _ => {
            let mut m = Map::new();
            for _ in 0..u.int_in_range(0..=4)? {
                let key = if u.ratio(1, 2)? {
                    (*u.choose(&[
                        "result",
                        "error",
                        "error_description",
                        "time",
                        "total",
                        "next",
                        "result_error",
                        "result_time",
                        "result_total",
                        "result_next",
                        "cmd0",
                        "cmd1",
                        "operating",
                        "operating_reset_at",
                        "start",
                        "ID",
                        "items",
                    ])?)
                    .to_owned()
                } else {
                    text(u)?
                };
                m.insert(key, json(u, depth - 1)?);
            }
            Value::Object(m)
        }
    })
}

// ---- event deliveries ----------------------------------------------------------------

const APP_TOKEN: &str = "app-t0k3n-9";

#[test]
fn event_delivery_parser() {
    let token = SecretString::from(APP_TOKEN);
    fuzz("event_delivery_parser", |u| {
        let body: Vec<u8> = if u.ratio(1, 2)? {
            u.arbitrary::<&[u8]>()?.to_vec()
        } else {
            text(u)?.into_bytes()
        };
        let _ = event::parse_form(&body);
        match event::parse_any(&body, &token) {
            Ok(d) => {
                assert_eq!(d.auth.application_token().expose_secret(), APP_TOKEN);
                let _ = d.decode_data::<BTreeMap<String, Value>>();
            }
            Err(e) => {
                // A rejected delivery never quotes the expected token.
                assert!(!e.to_string().contains(APP_TOKEN), "{e}");
            }
        }
        Ok(())
    });
}

// ---- query encoder / decoder ----------------------------------------------------------

/// What PHP's `parse_str` gives back for `v` written by `encode`: scalars as text, empty
/// containers dropped, keys `0..n-1` (in order) as lists.
fn php_view(v: &Value) -> Option<Value> {
    match v {
        Value::Object(m) => container(m.iter().map(|(k, v)| (k.clone(), v))),
        Value::Array(a) => container(a.iter().enumerate().map(|(i, v)| (i.to_string(), v))),
        Value::String(s) => Some(Value::String(s.clone())),
        Value::Bool(b) => Some(Value::String(if *b { "1" } else { "0" }.into())),
        Value::Number(n) => Some(Value::String(n.to_string())),
        Value::Null => None,
    }
}

fn container<'a>(entries: impl Iterator<Item = (String, &'a Value)>) -> Option<Value> {
    let mut m = Map::new();
    for (k, v) in entries {
        if let Some(v) = php_view(v) {
            m.insert(k, v);
        }
    }
    if m.is_empty() {
        return None;
    }
    let is_list = m.keys().enumerate().all(|(i, k)| *k == i.to_string());
    Some(if is_list {
        Value::Array(m.into_iter().map(|(_, v)| v).collect())
    } else {
        Value::Object(m)
    })
}

#[test]
fn query_encoder_round_trips_through_parse_str() {
    let mut encoded = 0u64;
    fuzz("query_encoder", |u| {
        let Value::Object(params) = json(u, 4).map(|v| match v {
            Value::Object(m) => Value::Object(m),
            other => Value::Object(Map::from_iter([("p".to_owned(), other)])),
        })?
        else {
            unreachable!()
        };
        let params = Value::Object(params);
        match encode(&params) {
            Ok(query) => {
                encoded += 1;
                assert!(!query.contains('+') && !query.contains('\0'), "{query}");
                let back = parse_php_query(&query);
                let expected = php_view(&params).unwrap_or(Value::Object(Map::new()));
                // The top level is always an object in PHP.
                let expected = match expected {
                    Value::Array(items) => Value::Object(
                        items
                            .into_iter()
                            .enumerate()
                            .map(|(i, v)| (i.to_string(), v))
                            .collect(),
                    ),
                    other => other,
                };
                assert_eq!(back, expected, "{params} → {query}");
            }
            Err(e) => assert!(!e.to_string().is_empty()),
        }
        Ok(())
    });
    assert!(encoded > 0, "the generator reaches the encoder");
}

#[test]
fn query_decoder() {
    fuzz("query_decoder", |u| {
        let query = text(u)?;
        let v = parse_php_query(&query);
        assert!(v.is_object(), "{query}");
        Ok(())
    });
}

// ---- response decoder -----------------------------------------------------------------

const CODE: &str = "s3cr3tc0de42";

/// Answers every request with the next scripted reply.
struct Scripted(Mutex<Vec<HttpReply>>);

impl Transport for Scripted {
    fn post(&self, _: HttpRequest) -> BoxFuture<'_, Result<HttpReply, TransportError>> {
        let reply = self
            .0
            .lock()
            .unwrap()
            .pop()
            .unwrap_or_else(|| HttpReply::new(200, "{}"));
        Box::pin(async move { Ok(reply) })
    }
}

#[derive(Serialize)]
struct Rows;

impl Method for Rows {
    const NAME: &'static str = "crm.item.list";
    const READ_ONLY: bool = true;
    type Output = Vec<BTreeMap<String, Option<f64>>>;
}

#[derive(Serialize)]
struct Number1;

impl Method for Number1 {
    const NAME: &'static str = "x.count";
    const READ_ONLY: bool = true;
    type Output = Option<i64>;
}

fn reply(u: &mut Unstructured<'_>) -> arbitrary::Result<HttpReply> {
    let status = *u.choose(&[200u16, 200, 200, 400, 401, 429, 500, 502, 503])?;
    let body = match u.int_in_range(0..=2)? {
        0 => u.arbitrary::<&[u8]>()?.to_vec(),
        1 => json(u, 5)?.to_string().into_bytes(),
        _ => {
            // An envelope around a random result: the shapes the decoder branches on.
            let mut m = Map::new();
            m.insert("result".into(), json(u, 4)?);
            for key in ["time", "total", "next", "error", "error_description"] {
                if u.ratio(1, 3)? {
                    m.insert(key.into(), json(u, 2)?);
                }
            }
            Value::Object(m).to_string().into_bytes()
        }
    };
    Ok(HttpReply::new(status, body))
}

#[test]
fn response_decoder_envelope_batch_and_typed() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap();
    fuzz("response_decoder", |u| {
        let replies: Vec<HttpReply> = (0..4).map(|_| reply(u)).collect::<arbitrary::Result<_>>()?;
        rt.block_on(async {
            let transport = Arc::new(Scripted(Mutex::new(replies)));
            let client = Client::builder(&format!("https://example.bitrix24.com/rest/7/{CODE}/"))
                .transport(transport)
                .retry(RetryPolicy::never())
                .clock(Arc::new(TokioClock::starting_at(1_778_747_192.0)))
                .build()
                .unwrap();
            let mut errors: Vec<Error> = Vec::new();
            errors.extend(client.call_raw_read_only("x.raw", Value::Null).await.err());
            errors.extend(client.call(Rows).await.err());
            errors.extend(client.call(Number1).await.err());
            let mut batch = client.batch();
            let a = batch.push(Rows).unwrap();
            let b = batch.push(Number1).unwrap();
            match batch.send().await {
                Ok(results) => {
                    for e in [
                        results.get(&a).err().map(|e| e.to_string()),
                        results.get(&b).err().map(|e| e.to_string()),
                    ]
                    .into_iter()
                    .flatten()
                    {
                        assert!(!e.contains(CODE), "{e}");
                    }
                }
                Err(e) => errors.push(e),
            }
            for e in errors {
                let text = format!("{e} {e:?}");
                assert!(!text.contains(CODE), "{text}");
            }
        });
        Ok(())
    });
}

#[test]
fn typed_decoding() {
    fuzz("typed_decoding", |u| {
        let v = json(u, 5)?;
        let _ = i64::decode(v.clone());
        let _ = f64::decode(v.clone());
        let _ = bool::decode(v.clone());
        let _ = String::decode(v.clone());
        let _ = Option::<u64>::decode(v.clone());
        let _ = Vec::<Option<i32>>::decode(v.clone());
        let _ = BTreeMap::<String, Vec<bool>>::decode(v.clone());
        let _ = Map::<String, Value>::decode(v);
        Ok(())
    });
}
