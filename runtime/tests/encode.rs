//! Wire encoders, `WireEnum` helpers and `File` on the wire.

use bitrix24_runtime::File;
use bitrix24_runtime::wire::{self, Decode, WireEnum};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

#[derive(Serialize)]
struct Flags {
    #[serde(serialize_with = "wire::yn")]
    a: bool,
    #[serde(serialize_with = "wire::yn")]
    b: bool,
    #[serde(serialize_with = "wire::int01")]
    c: bool,
    #[serde(serialize_with = "wire::int01")]
    d: bool,
    #[serde(serialize_with = "wire::yn", skip_serializing_if = "Option::is_none")]
    e: Option<bool>,
    #[serde(serialize_with = "wire::yn", skip_serializing_if = "Option::is_none")]
    f: Option<bool>,
    #[serde(serialize_with = "wire::int01")]
    g: Option<bool>,
    #[serde(serialize_with = "wire::yn")]
    h: Vec<bool>,
    #[serde(serialize_with = "wire::int01")]
    i: Vec<bool>,
}

#[test]
fn booleans_as_yn_and_01() {
    let v = serde_json::to_value(Flags {
        a: true,
        b: false,
        c: true,
        d: false,
        e: Some(true),
        f: None,
        g: None,
        h: vec![true, false],
        i: vec![false, true],
    })
    .unwrap();
    assert_eq!(
        v,
        json!({"a": "Y", "b": "N", "c": 1, "d": 0, "e": "Y", "g": null, "h": ["Y", "N"], "i": [0, 1]})
    );
}

#[derive(Serialize)]
struct Numbers {
    #[serde(serialize_with = "wire::number_as_string")]
    a: i64,
    #[serde(serialize_with = "wire::number_as_string")]
    b: f64,
    #[serde(serialize_with = "wire::number_as_string")]
    c: Option<i64>,
    #[serde(serialize_with = "wire::number_as_string")]
    d: Option<f64>,
    #[serde(serialize_with = "wire::number_as_string")]
    e: Vec<i64>,
    #[serde(serialize_with = "wire::number_as_string")]
    f: Option<i64>,
}

#[test]
fn numbers_as_strings() {
    let v = serde_json::to_value(Numbers {
        a: -12,
        b: 1.5,
        c: Some(7),
        d: Some(2.0),
        e: vec![1, 22],
        f: None,
    })
    .unwrap();
    assert_eq!(
        v,
        json!({"a": "-12", "b": "1.5", "c": "7", "d": "2", "e": ["1", "22"], "f": null})
    );
}

#[test]
fn non_finite_number_is_an_error_not_a_panic() {
    #[derive(Serialize)]
    struct N {
        #[serde(serialize_with = "wire::number_as_string")]
        x: f64,
    }
    let e = serde_json::to_string(&N { x: f64::NAN }).unwrap_err();
    assert!(e.to_string().contains("non-finite"), "{e}");
}

// ---------------------------------------------------------------------------------------
// A hand-written enum in the shape the generator writes.

#[derive(Debug, Clone, PartialEq)]
enum EntityType {
    Contact,
    Company,
    Unknown(String),
}

impl WireEnum for EntityType {
    const INTEGER: bool = true;
    fn as_str(&self) -> &str {
        match self {
            EntityType::Contact => "3",
            EntityType::Company => "4",
            EntityType::Unknown(s) => s,
        }
    }
    fn from_wire(s: &str) -> Self {
        match s {
            "3" => EntityType::Contact,
            "4" => EntityType::Company,
            other => EntityType::Unknown(other.to_owned()),
        }
    }
}

impl Serialize for EntityType {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        wire::serialize_enum(self, s)
    }
}

impl<'de> Deserialize<'de> for EntityType {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        wire::deserialize_enum(d)
    }
}

impl Decode for EntityType {
    fn decode<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        <EntityType as Deserialize>::deserialize(d)
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Status {
    New,
    Unknown(String),
}

impl WireEnum for Status {
    const INTEGER: bool = false;
    fn as_str(&self) -> &str {
        match self {
            Status::New => "NEW",
            Status::Unknown(s) => s,
        }
    }
    fn from_wire(s: &str) -> Self {
        match s {
            "NEW" => Status::New,
            other => Status::Unknown(other.to_owned()),
        }
    }
}

#[test]
fn integer_enum_serializes_as_number_when_it_can() {
    let to = |e: &EntityType| wire::serialize_enum(e, serde_json::value::Serializer).unwrap();
    assert_eq!(to(&EntityType::Contact), json!(3));
    assert_eq!(to(&EntityType::Unknown("31".into())), json!(31));
    // An unknown value that is not an integer stays text rather than failing.
    assert_eq!(
        to(&EntityType::Unknown("DYNAMIC_128".into())),
        json!("DYNAMIC_128")
    );
}

#[test]
fn string_enum_serializes_as_string() {
    let to = |e: &Status| wire::serialize_enum(e, serde_json::value::Serializer).unwrap();
    assert_eq!(to(&Status::New), json!("NEW"));
    assert_eq!(to(&Status::Unknown("7".into())), json!("7"));
}

#[test]
fn enums_deserialize_from_strings_and_integers() {
    let from = |v: Value| wire::deserialize_enum::<EntityType, _>(v).map_err(|e| e.to_string());
    assert_eq!(from(json!(3)), Ok(EntityType::Contact));
    assert_eq!(from(json!("4")), Ok(EntityType::Company));
    assert_eq!(from(json!(-5)), Ok(EntityType::Unknown("-5".into())));
    assert_eq!(from(json!("X")), Ok(EntityType::Unknown("X".into())));
    let e = from(json!(true)).unwrap_err();
    assert!(
        e.contains("boolean") && e.contains("string or an integer"),
        "{e}"
    );
    assert!(from(json!(null)).is_err());
    // Streaming deserializer too.
    let v: EntityType = serde_json::from_str("\"3\"").unwrap();
    assert_eq!(v, EntityType::Contact);
    let s: Status =
        wire::deserialize_enum(&mut serde_json::Deserializer::from_str("\"NEW\"")).unwrap();
    assert_eq!(s, Status::New);
}

#[test]
fn enums_through_decode_and_option() {
    assert_eq!(Option::<EntityType>::decode(json!("")).unwrap(), None);
    assert_eq!(
        Option::<EntityType>::decode(json!("3")).unwrap(),
        Some(EntityType::Contact)
    );
    assert_eq!(
        Vec::<EntityType>::decode(json!({"a": 4, "b": "9"})).unwrap(),
        vec![EntityType::Company, EntityType::Unknown("9".into())]
    );
}

// ---------------------------------------------------------------------------------------
// File

#[test]
fn file_serializes_as_pair_and_round_trips() {
    let f = File::from_bytes("a.txt", b"hi");
    assert_eq!(f.content, "aGk=");
    let v = serde_json::to_value(&f).unwrap();
    assert_eq!(v, json!(["a.txt", "aGk="]));
    let back: File = serde_json::from_value(v).unwrap();
    assert_eq!(back, f);
}

#[test]
fn file_debug_hides_content() {
    let f = File::new("secret.pdf", "QUJDREVGR0g=");
    let dbg = format!("{f:?}");
    assert!(
        dbg.contains("secret.pdf") && dbg.contains("content_len: 12"),
        "{dbg}"
    );
    assert!(!dbg.contains("QUJDREVGR0g="), "{dbg}");
}
