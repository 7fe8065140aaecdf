//! The PHP query encoder (`wire::query::encode`, used for `batch` commands) and the fake
//! portal's decoder (`testing::parse_php_query`) against a table of PHP `parse_str`
//! results for hard cases. The expected values are PHP 8's, worked out by hand from
//! `main/php_variables.c` (`php_register_variable_ex`) and `ext/standard/url.c`
//! (`php_url_decode`): `+` is a space, `%XX` is decoded, a top-level name loses leading
//! spaces and has ` ` / `.` / an unclosed first `[` turned into `_`, a name is cut at a
//! NUL byte, a bracketed key ends at its first `]`, text after the last `]` is ignored,
//! an empty name drops the pair, nesting deeper than 64 levels drops the variable.
#![cfg(feature = "testing")]

use bitrix24_runtime::testing::parse_php_query;
use bitrix24_runtime::wire::query::encode;
use serde_json::{Value, json};

/// What PHP's `parse_str` gives for each query (as `json_encode` would write it).
#[test]
fn the_decoder_agrees_with_parse_str() {
    let deep_ok = format!("a{}=1", "[x]".repeat(64));
    let deep_dropped = format!("a{}=1", "[x]".repeat(65));
    let mut nested_ok = json!("1");
    for _ in 0..64 {
        nested_ok = json!({ "x": nested_ok });
    }
    let table: Vec<(&str, Value)> = vec![
        ("a=1e+300", json!({"a": "1e 300"})),
        ("a=1e%2B300", json!({"a": "1e+300"})),
        ("a=x+y%2Bz", json!({"a": "x y+z"})),
        ("a%00b=1", json!({"a": "1"})),
        ("a=x%00y", json!({"a": "x\u{0}y"})),
        ("a[b[c]]=1", json!({"a": {"b[c": "1"}})),
        ("a[b]c=1", json!({"a": {"b": "1"}})),
        ("a[b=1", json!({"a_b": "1"})),
        ("a.b=1&c d=2", json!({"a_b": "1", "c_d": "2"})),
        ("x[a.b]=1", json!({"x": {"a.b": "1"}})),
        ("%20%20a=1", json!({"a": "1"})),
        ("=1&[a]=2&b=3", json!({"b": "3"})),
        (
            "a[]=x&a[]=y&a[5]=z&a[]=w",
            json!({"a": {"0": "x", "1": "y", "5": "z", "6": "w"}}),
        ),
        ("a[]=x&a[]=y", json!({"a": ["x", "y"]})),
        ("a=1&a=2", json!({"a": "2"})),
        ("a[x]=1&a=2", json!({"a": "2"})),
        ("%D0%B8%D0%BC%D1%8F=%E2%9C%93", json!({"имя": "✓"})),
        ("a=%ZZ%4", json!({"a": "%ZZ%4"})),
        ("a", json!({"a": ""})),
        ("&&a=1&&", json!({"a": "1"})),
        (deep_ok.as_str(), json!({ "a": nested_ok })),
        (deep_dropped.as_str(), json!({})),
    ];
    for (query, php) in table {
        assert_eq!(parse_php_query(query), php, "{query}");
    }
}

/// Every value the encoder accepts reads back exactly (through the PHP-faithful decoder);
/// what PHP cannot read back is refused, naming the key.
#[test]
fn the_encoder_round_trips_or_refuses_by_name() {
    let round_trips = [
        json!({"a": 1e300}),
        json!({"a": -1.5e-7}),
        json!({"a": "1e+300"}),
        json!({"a": "+ + %2B & = ? #"}),
        json!({"filter": {">=DATE": "2026-01-01T00:00:00+03:00", "!@ID": [1, 2]}}),
        json!({"fields": {"имя": "Юникод ✓ 🎉", "a b.c": "x"}}),
        json!({"x": {"": "empty inner names are refused below"}}),
    ];
    for params in &round_trips[..6] {
        let query = encode(params).unwrap();
        assert!(!query.contains('+'), "a bare + would be a space: {query}");
        assert_eq!(parse_php_query(&query), as_php_strings(params), "{query}");
    }
    let mut too_deep = json!(1);
    for _ in 0..65 {
        too_deep = json!([too_deep]);
    }
    let refused = [
        (json!({"a": "x\u{0}y"}), "a", "NUL"),
        (json!({"a\u{0}b": 1}), "a\u{0}b", "NUL"),
        (json!({"f": {"a\u{0}": 1}}), "f[a\u{0}]", "NUL"),
        (round_trips[6].clone(), "x[]", "empty name"),
        (json!({"a[b]": 1}), "a[b]", "`[`"),
        (json!({"a.b": 1}), "a.b", "top-level"),
        (json!({"a": null}), "a", "null"),
        (json!({ "a": too_deep }), "a[0]", "64 levels"),
    ];
    for (params, key, why) in refused {
        let e = encode(&params).unwrap_err();
        assert!(e.key().starts_with(key), "{params}: key {:?}", e.key());
        assert!(e.to_string().contains(why), "{params}: {e}");
    }
}

/// `params` as PHP sees them after `parse_str`: every scalar a string (numbers in their
/// JSON text, booleans `1` / `0`), arrays with keys `0..n-1` kept as lists.
fn as_php_strings(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| (k.clone(), as_php_strings(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(as_php_strings).collect()),
        Value::String(s) => Value::String(s.clone()),
        Value::Bool(b) => Value::String(if *b { "1" } else { "0" }.into()),
        other => Value::String(other.to_string()),
    }
}
