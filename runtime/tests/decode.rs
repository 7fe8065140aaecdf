//! Lenient decoding (`wire::Decode`) against the hazards the portal produces.

use std::collections::BTreeMap;

use bitrix24_runtime::File;
use bitrix24_runtime::wire::{self, Decode};
use serde::Deserialize;
use serde_json::{Map, Value, json};

/// Decodes through a `serde_json::Value` (the path `Client::call` uses).
fn from_value<T: Decode>(v: Value) -> Result<T, String> {
    T::decode(v).map_err(|e| e.to_string())
}

/// Decodes through serde_json's streaming deserializer (borrowed strings).
fn from_str<T: Decode>(s: &str) -> Result<T, String> {
    let mut de = serde_json::Deserializer::from_str(s);
    T::decode(&mut de).map_err(|e| e.to_string())
}

/// Both paths must agree (streaming errors add a " at line L column C" suffix).
fn both<T: Decode + PartialEq + std::fmt::Debug>(v: Value) -> Result<T, String> {
    let a = from_value::<T>(v.clone());
    let b = from_str::<T>(&v.to_string());
    match (&a, &b) {
        (Ok(x), Ok(y)) => assert_eq!(x, y, "Value and streaming decoding disagree for {v}"),
        (Err(x), Err(y)) => assert!(y.starts_with(x.as_str()), "{v}: {x:?} vs {y:?}"),
        _ => panic!("Value and streaming decoding disagree for {v}: {a:?} vs {b:?}"),
    }
    a
}

#[test]
fn integers_from_numbers_and_strings() {
    assert_eq!(both::<i64>(json!(123)), Ok(123));
    assert_eq!(both::<i64>(json!("123")), Ok(123));
    assert_eq!(both::<i64>(json!(-7)), Ok(-7));
    assert_eq!(both::<i64>(json!("-7")), Ok(-7));
    assert_eq!(both::<i64>(json!(5.0)), Ok(5));
    assert_eq!(both::<i64>(json!("5.0")), Ok(5));
    assert_eq!(both::<i32>(json!("42")), Ok(42));
    assert_eq!(both::<u32>(json!(42)), Ok(42));
    assert_eq!(both::<u64>(json!(u64::MAX)), Ok(u64::MAX));
    assert_eq!(both::<u64>(json!("18446744073709551615")), Ok(u64::MAX));
}

#[test]
fn integers_reject_fractions_ranges_and_junk_with_clear_errors() {
    let e = both::<i64>(json!(1.5)).unwrap_err();
    assert!(
        e.contains("1.5") && e.contains("expected an integer (i64)"),
        "{e}"
    );
    let e = both::<i64>(json!("1.5")).unwrap_err();
    assert!(e.contains("string \"1.5\"") && e.contains("integer"), "{e}");
    let e = both::<i64>(json!("abc")).unwrap_err();
    assert!(
        e.contains("string \"abc\"") && e.contains("expected an integer"),
        "{e}"
    );
    let e = both::<i64>(json!("")).unwrap_err();
    assert!(e.contains("string \"\""), "{e}");
    let e = both::<u32>(json!(-1)).unwrap_err();
    assert!(e.contains("-1") && e.contains("u32"), "{e}");
    let e = both::<i32>(json!(3_000_000_000u64)).unwrap_err();
    assert!(e.contains("3000000000") && e.contains("i32"), "{e}");
    let e = both::<u64>(json!("-1")).unwrap_err();
    assert!(e.contains("u64"), "{e}");
    let e = both::<i64>(json!(true)).unwrap_err();
    assert!(e.contains("boolean") && e.contains("integer"), "{e}");
    let e = both::<i64>(json!({"a": 1})).unwrap_err();
    assert!(e.contains("map") && e.contains("integer"), "{e}");
    assert!(both::<i64>(json!("NaN")).is_err());
    assert!(both::<i64>(json!(1e300)).is_err());
}

#[test]
fn floats_from_numbers_and_strings() {
    assert_eq!(both::<f64>(json!(1.25)), Ok(1.25));
    assert_eq!(both::<f64>(json!(3)), Ok(3.0));
    assert_eq!(both::<f64>(json!(-3)), Ok(-3.0));
    assert_eq!(both::<f64>(json!("2.5")), Ok(2.5));
    let e = both::<f64>(json!("inf")).unwrap_err();
    assert!(e.contains("string \"inf\"") && e.contains("f64"), "{e}");
    assert!(both::<f64>(json!("x")).is_err());
    assert!(both::<f64>(json!(null)).is_err());
}

#[test]
fn booleans_in_every_spelling() {
    for (v, want) in [
        (json!(true), true),
        (json!(false), false),
        (json!("Y"), true),
        (json!("N"), false),
        (json!("y"), true),
        (json!("n"), false),
        (json!(1), true),
        (json!(0), false),
        (json!("1"), true),
        (json!("0"), false),
        (json!("true"), true),
        (json!("false"), false),
    ] {
        assert_eq!(both::<bool>(v.clone()), Ok(want), "{v}");
    }
    let e = both::<bool>(json!("maybe")).unwrap_err();
    assert!(
        e.contains("string \"maybe\"") && e.contains("boolean"),
        "{e}"
    );
    assert!(both::<bool>(json!(2)).is_err());
    assert!(both::<bool>(json!("")).is_err());
}

#[test]
fn strings_accept_numbers_as_text() {
    assert_eq!(both::<String>(json!("abc")), Ok("abc".to_owned()));
    assert_eq!(both::<String>(json!(15)), Ok("15".to_owned()));
    assert_eq!(both::<String>(json!(-15)), Ok("-15".to_owned()));
    assert_eq!(both::<String>(json!(1.5)), Ok("1.5".to_owned()));
    let e = both::<String>(json!(true)).unwrap_err();
    assert!(e.contains("boolean") && e.contains("string"), "{e}");
    assert!(both::<String>(json!(null)).is_err());
}

#[test]
fn value_is_kept_as_is() {
    let v = json!({"b": [1, "2", null], "a": ""});
    assert_eq!(both::<Value>(v.clone()), Ok(v));
}

#[test]
fn map_accepts_empty_array_and_keeps_order() {
    assert_eq!(both::<Map<String, Value>>(json!([])), Ok(Map::new()));
    let m = both::<Map<String, Value>>(json!({"z": 1, "a": "x"})).unwrap();
    assert_eq!(m.keys().collect::<Vec<_>>(), ["z", "a"]);
    // A non-empty array is a list: it never passes as an object.
    let e = both::<Map<String, Value>>(json!(["p", "q"])).unwrap_err();
    assert!(
        e.contains("invalid type: sequence, expected an object (or `[]`"),
        "{e}"
    );
    let e = both::<Map<String, Value>>(json!("x")).unwrap_err();
    assert!(e.contains("string \"x\"") && e.contains("object"), "{e}");
}

#[test]
fn btreemap_from_objects_and_empty_php_arrays() {
    let m = both::<BTreeMap<String, i64>>(json!({"a": "1", "b": 2})).unwrap();
    assert_eq!(m, BTreeMap::from([("a".into(), 1), ("b".into(), 2)]));
    assert_eq!(
        both::<BTreeMap<String, i64>>(json!([])),
        Ok(BTreeMap::new())
    );
    let e = both::<BTreeMap<String, bool>>(json!(["Y", "N"])).unwrap_err();
    assert!(e.contains("sequence"), "{e}");
    let e = both::<BTreeMap<String, i64>>(json!({"a": "x"})).unwrap_err();
    assert!(e.contains("string \"x\""), "{e}");
    assert!(both::<BTreeMap<String, i64>>(json!(3)).is_err());
}

#[test]
fn vec_from_arrays_and_objects() {
    assert_eq!(both::<Vec<i64>>(json!([1, "2", 3.0])), Ok(vec![1, 2, 3]));
    assert_eq!(
        both::<Vec<i64>>(json!({"0": "10", "1": 11, "7": 12})),
        Ok(vec![10, 11, 12])
    );
    // Object values in document order, not key order.
    assert_eq!(
        both::<Vec<String>>(json!({"5": "a", "2": "b"})),
        Ok(vec!["a".to_owned(), "b".to_owned()])
    );
    assert_eq!(both::<Vec<i64>>(json!([])), Ok(vec![]));
    let e = both::<Vec<i64>>(json!("1,2")).unwrap_err();
    assert!(e.contains("string \"1,2\"") && e.contains("array"), "{e}");
    let e = both::<Vec<i64>>(json!([1, "x"])).unwrap_err();
    assert!(e.contains("string \"x\""), "{e}");
}

#[test]
fn option_null_and_empty_string() {
    assert_eq!(both::<Option<i64>>(json!(null)), Ok(None));
    assert_eq!(both::<Option<i64>>(json!("")), Ok(None));
    assert_eq!(both::<Option<i64>>(json!("5")), Ok(Some(5)));
    assert_eq!(both::<Option<i64>>(json!(5)), Ok(Some(5)));
    assert_eq!(both::<Option<bool>>(json!("")), Ok(None));
    assert_eq!(both::<Option<bool>>(json!("Y")), Ok(Some(true)));
    assert_eq!(both::<Option<f64>>(json!(0.5)), Ok(Some(0.5)));
    assert_eq!(both::<Option<Vec<i64>>>(json!("")), Ok(None));
    assert_eq!(
        both::<Option<Vec<i64>>>(json!({"a": "1"})),
        Ok(Some(vec![1]))
    );
    assert_eq!(
        both::<Option<Map<String, Value>>>(json!([])),
        Ok(Some(Map::new()))
    );
    assert_eq!(both::<Option<Map<String, Value>>>(json!("")), Ok(None));
    // `false` is PHP's "none" for an object, a map or a list, a value for `Value`, an
    // error for a number (and for a list that must be there).
    assert_eq!(both::<Option<Map<String, Value>>>(json!(false)), Ok(None));
    assert_eq!(
        both::<Option<BTreeMap<String, i64>>>(json!(false)),
        Ok(None)
    );
    assert_eq!(both::<Option<Value>>(json!(false)), Ok(Some(json!(false))));
    assert_eq!(both::<Option<Vec<i64>>>(json!(false)), Ok(None));
    assert!(both::<Vec<i64>>(json!(false)).is_err());
    assert!(both::<Option<i64>>(json!(false)).is_err());
    // Strings and raw values keep "".
    assert_eq!(both::<Option<String>>(json!("")), Ok(Some(String::new())));
    assert_eq!(both::<Option<String>>(json!(null)), Ok(None));
    assert_eq!(both::<Option<String>>(json!(7)), Ok(Some("7".to_owned())));
    assert_eq!(both::<Option<Value>>(json!("")), Ok(Some(json!(""))));
    // Errors of the inner type come through.
    let e = both::<Option<i64>>(json!("abc")).unwrap_err();
    assert!(e.contains("string \"abc\"") && e.contains("integer"), "{e}");
    let e = both::<Option<i64>>(json!([1])).unwrap_err();
    assert!(e.contains("sequence") && e.contains("integer"), "{e}");
}

#[test]
fn unit_accepts_anything() {
    for v in [
        json!(null),
        json!(true),
        json!([1]),
        json!({"a": 1}),
        json!("x"),
    ] {
        assert_eq!(both::<()>(v.clone()), Ok(()), "{v}");
    }
}

#[test]
fn boxed_values_decode_as_inner() {
    assert_eq!(both::<Box<i64>>(json!("9")), Ok(Box::new(9)));
    assert_eq!(both::<Option<Box<i64>>>(json!("")), Ok(None));
}

#[test]
fn file_from_pair() {
    let f = both::<File>(json!(["a.txt", "aGk="])).unwrap();
    assert_eq!(f, File::new("a.txt", "aGk="));
    let e = both::<File>(json!(["a.txt"])).unwrap_err();
    assert!(
        e.contains("invalid length 1") && e.contains("[name, base64 content]"),
        "{e}"
    );
    assert!(both::<File>(json!(["a", "b", "c"])).is_err());
    let e = both::<File>(json!({"name": "a"})).unwrap_err();
    assert!(e.contains("map") && e.contains("file"), "{e}");
}

// ---------------------------------------------------------------------------------------
// Generated-style structs: `deserialize_with = wire::decode`, `flatten`, and the
// delegating `Decode` impl the generator writes.

#[derive(Debug, PartialEq, Deserialize)]
struct Inner {
    #[serde(rename = "ACTIVE", deserialize_with = "wire::decode")]
    active: bool,
    #[serde(rename = "SORT", default, deserialize_with = "wire::decode")]
    sort: Option<i64>,
}

impl ::bitrix24_runtime::wire::Decode for Inner {
    fn decode<'de, D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        <Inner as ::serde::Deserialize>::deserialize(d)
    }
}

#[derive(Debug, PartialEq, Deserialize)]
struct Item {
    #[serde(rename = "ID", deserialize_with = "wire::decode")]
    id: i64,
    #[serde(rename = "TITLE", default, deserialize_with = "wire::decode")]
    title: Option<String>,
    #[serde(rename = "DATE", default, deserialize_with = "wire::decode")]
    date: Option<i64>,
    #[serde(rename = "IDS", default, deserialize_with = "wire::decode")]
    ids: Vec<u32>,
    #[serde(rename = "INNER", default, deserialize_with = "wire::decode")]
    inner: Option<Inner>,
    #[serde(flatten)]
    extra: Map<String, Value>,
}

impl ::bitrix24_runtime::wire::Decode for Item {
    fn decode<'de, D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        <Item as ::serde::Deserialize>::deserialize(d)
    }
}

#[test]
fn generated_style_struct_with_flatten() {
    let body = json!({
        "ID": "17",
        "TITLE": 42,
        "DATE": "",
        "IDS": {"0": "1", "1": 2},
        "INNER": {"ACTIVE": "Y", "SORT": "500"},
        "UF_CRM_1": "custom",
    });
    let want = Item {
        id: 17,
        title: Some("42".to_owned()),
        date: None,
        ids: vec![1, 2],
        inner: Some(Inner {
            active: true,
            sort: Some(500),
        }),
        extra: json!({"UF_CRM_1": "custom"}).as_object().cloned().unwrap(),
    };
    assert_eq!(both::<Item>(body), Ok(want));
    // Absent optional fields and an empty-string object.
    let item = both::<Item>(json!({"ID": 1, "INNER": ""})).unwrap();
    assert_eq!((item.id, item.inner, item.title), (1, None, None));
    // Errors name the bad value.
    let e = both::<Item>(json!({"ID": "x"})).unwrap_err();
    assert!(e.contains("string \"x\""), "{e}");
}

/// Fields inside a flattened struct are decoded from serde's buffered content.
#[derive(Debug, PartialEq, Deserialize)]
struct Outer {
    #[serde(rename = "id", deserialize_with = "wire::decode")]
    id: u64,
    #[serde(flatten)]
    inner: Inner,
    #[serde(flatten)]
    rest: BTreeMap<String, Value>,
}

impl Decode for Outer {
    fn decode<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Outer::deserialize(d)
    }
}

#[test]
fn decode_through_flatten_buffered_content() {
    let got = both::<Outer>(json!({"id": "3", "ACTIVE": "N", "SORT": "", "x": [1]})).unwrap();
    assert_eq!(got.id, 3);
    assert_eq!(
        got.inner,
        Inner {
            active: false,
            sort: None
        }
    );
    assert_eq!(got.rest.get("x"), Some(&json!([1])));
    let got = both::<Outer>(json!({"id": 1, "ACTIVE": 1, "SORT": 7})).unwrap();
    assert_eq!(
        got.inner,
        Inner {
            active: true,
            sort: Some(7)
        }
    );
    let e = both::<Outer>(json!({"id": 1, "ACTIVE": "maybe"})).unwrap_err();
    assert!(
        e.contains("string \"maybe\"") && e.contains("boolean"),
        "{e}"
    );
}

#[test]
fn decode_fn_works_as_deserialize_with() {
    // `wire::decode` is the free function the generator names.
    let v: i64 = wire::decode(json!("12")).unwrap();
    assert_eq!(v, 12);
    let v: Option<bool> = wire::decode(json!("")).unwrap();
    assert_eq!(v, None);
}

#[test]
fn explicit_null_is_a_value_only_for_any() {
    use bitrix24_runtime::wire::Decode;
    let any: Option<serde_json::Value> = Decode::decode(serde_json::Value::Null).unwrap();
    assert_eq!(any, Some(serde_json::Value::Null));
    let int: Option<i64> = Decode::decode(serde_json::Value::Null).unwrap();
    assert_eq!(int, None);
    let text: Option<String> = Decode::decode(serde_json::Value::Null).unwrap();
    assert_eq!(text, None);
}
