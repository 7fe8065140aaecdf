//! The plumbing of generated structs: decoding an object field by field ([`Fields`]) and
//! writing one ([`ObjectWriter`]), with the keys the spec does not list kept beside.
//!
//! Generated structs implement [`Decode`] and `serde::Serialize` by hand through these
//! two types instead of `#[derive]`: a derive expands to a visitor, a field enum and a
//! wrapper type per field for every struct, which at whole-API scale (thousands of
//! structs) was most of the compile time. Here each struct's code is one call per field,
//! generic over the (de)serializer, so it is only compiled where it is used.

use serde::Serialize;
use serde::de::{self, Deserializer};
use serde::ser::{self, SerializeMap, Serializer};
use serde_json::{Map, Value};

use super::Decode;
use super::encode::{BoolStyle, EncodeBool, EncodeNumber};

/// The fields of a JSON object being decoded into a generated struct: each documented
/// field is taken out by its wire name, and what is left is the struct's `extra()`.
///
/// The object may also arrive as `[]` (PHP's empty array), which is an empty object; any
/// other shape is an error.
#[derive(Debug)]
pub struct Fields(Map<String, Value>);

impl Fields {
    /// Reads the object. Fails with `D::Error` when the value is not an object (or `[]`).
    pub fn new<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Map::<String, Value>::decode(d).map(Fields)
    }

    /// Takes out and decodes a field that must be present. Fails with `E` naming the key
    /// when it is missing or when its value has none of the shapes [`Decode`] accepts
    /// for `T`.
    pub fn required<T: Decode, E: de::Error>(&mut self, key: &'static str) -> Result<T, E> {
        match self.0.shift_remove(key) {
            Some(value) => T::decode(value).map_err(|e| located(key, e)),
            None => Err(E::missing_field(key)),
        }
    }

    /// Takes out and decodes a field that may be absent (`None`); present, it decodes
    /// as `Option<T>` does (`null` and, for most types, `""` are `None`). Fails with `E`
    /// naming the key when the value has none of the accepted shapes.
    pub fn optional<T: Decode, E: de::Error>(&mut self, key: &'static str) -> Result<Option<T>, E> {
        match self.0.shift_remove(key) {
            Some(value) => Option::<T>::decode(value).map_err(|e| located(key, e)),
            None => Ok(None),
        }
    }

    /// The keys not taken: the fields the spec does not list, in the order received.
    pub fn rest(self) -> Map<String, Value> {
        self.0
    }
}

/// The error of the field `key`: its message prefixed with `` `key`: `` (nested fields
/// give `` `FIELDS`: `ID`: ... ``), which [`field_path`] takes apart again.
fn located<E: de::Error>(key: &str, e: serde_json::Error) -> E {
    E::custom(format_args!("`{key}`: {e}"))
}

/// Splits the message of a field error into the keys leading to the failing field and
/// what failed: `` `FIELDS`: `ID`: invalid value `` → `(["FIELDS", "ID"], "invalid value")`.
pub(crate) fn field_path(message: &str) -> (Vec<&str>, &str) {
    let mut keys = Vec::new();
    let mut rest = message;
    while let Some(after) = rest.strip_prefix('`')
        && let Some((key, tail)) = after.split_once("`: ")
        && !key.contains('`')
    {
        keys.push(key);
        rest = tail;
    }
    (keys, rest)
}

/// Writes a generated struct as a JSON object: its set fields in order, then the keys
/// added with `insert_extra`. A key present in both is written once, with the extra
/// value: that is how a batch reference replaces a typed parameter.
///
/// The first error of the serializer is kept and returned by [`end`](Self::end); the
/// fields after it are not written. (One call per field without `?` is measurably
/// cheaper to compile across thousands of structs.)
#[derive(Debug)]
pub struct ObjectWriter<'a, M: SerializeMap> {
    map: M,
    extra: &'a Map<String, Value>,
    error: Option<M::Error>,
}

impl<'a, M: SerializeMap> ObjectWriter<'a, M> {
    /// Starts the object on `serializer`, with the struct's extra keys to write last.
    pub fn new<S: Serializer<SerializeMap = M, Error = M::Error, Ok = M::Ok>>(
        serializer: S,
        extra: &'a Map<String, Value>,
    ) -> Result<Self, M::Error> {
        Ok(Self {
            map: serializer.serialize_map(None)?,
            extra,
            error: None,
        })
    }

    /// Writes a field (unless an extra key of the same name replaces it). An error is
    /// kept for [`end`](Self::end), prefixed with `` `key`: `` (nested fields give
    /// `` `fields`: `FILTER`: ... ``).
    pub fn field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) {
        if self.error.is_none()
            && !self.extra.contains_key(key)
            && let Err(e) = self.map.serialize_entry(key, value)
        {
            self.error = Some(ser::Error::custom(format_args!("`{key}`: {e}")));
        }
    }

    /// Writes an optional field when it is set.
    pub fn optional<T: Serialize>(&mut self, key: &'static str, value: Option<&T>) {
        if let Some(value) = value {
            self.field(key, value);
        }
    }

    /// Writes the extra keys and ends the object. Fails with the first error of the
    /// serializer (e.g. a non-finite number written as text).
    pub fn end(mut self) -> Result<M::Ok, M::Error> {
        if let Some(e) = self.error {
            return Err(e);
        }
        for (key, value) in self.extra {
            self.map.serialize_entry(key, value)?;
        }
        self.map.end()
    }
}

/// A boolean (or `Option`/`Vec` of them) written as `"Y"`/`"N"`.
#[derive(Debug, Clone, Copy)]
pub struct Yn<'a, T: ?Sized>(pub &'a T);

/// A boolean (or `Option`/`Vec` of them) written as `1`/`0`.
#[derive(Debug, Clone, Copy)]
pub struct Int01<'a, T: ?Sized>(pub &'a T);

/// A number (or `Option`/`Vec` of them) written as a JSON string (`5` → `"5"`).
#[derive(Debug, Clone, Copy)]
pub struct NumberAsString<'a, T: ?Sized>(pub &'a T);

impl<T: EncodeBool + ?Sized> Serialize for Yn<'_, T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.encode_bool(BoolStyle::YesNo, s)
    }
}

impl<T: EncodeBool + ?Sized> Serialize for Int01<'_, T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.encode_bool(BoolStyle::ZeroOne, s)
    }
}

impl<T: EncodeNumber + ?Sized> Serialize for NumberAsString<'_, T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.encode_number_as_string(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(Debug, PartialEq)]
    struct Deal {
        id: i64,
        title: Option<String>,
        opened: Option<bool>,
        extra: Map<String, Value>,
    }

    impl Decode for Deal {
        fn decode<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            let mut f = Fields::new(d)?;
            Ok(Self {
                id: f.required("ID")?,
                title: f.optional("TITLE")?,
                opened: f.optional("OPENED")?,
                extra: f.rest(),
            })
        }
    }

    impl Serialize for Deal {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            let mut w = ObjectWriter::new(s, &self.extra)?;
            w.field("ID", &self.id);
            w.optional("TITLE", self.title.as_ref());
            w.optional("OPENED", self.opened.as_ref().map(Yn).as_ref());
            w.end()
        }
    }

    #[test]
    fn decodes_fields_leniently_and_keeps_the_rest_in_order() {
        let deal = Deal::decode(json!({"UF_B": 2, "ID": "7", "OPENED": "Y", "UF_A": 1})).unwrap();
        assert_eq!(deal.id, 7);
        assert_eq!(deal.title, None);
        assert_eq!(deal.opened, Some(true));
        assert_eq!(
            deal.extra.keys().collect::<Vec<_>>(),
            ["UF_B", "UF_A"],
            "extra keeps the received order"
        );
    }

    #[test]
    fn names_the_key_of_a_missing_or_malformed_field() {
        let missing = Deal::decode(json!({"TITLE": "x"})).unwrap_err().to_string();
        assert!(missing.contains("missing field `ID`"), "{missing}");
        let malformed = Deal::decode(json!({"ID": "seven"}))
            .unwrap_err()
            .to_string();
        assert!(malformed.starts_with("`ID`: invalid value"), "{malformed}");
    }

    #[test]
    fn the_path_of_a_nested_field_error_is_taken_apart() {
        assert_eq!(
            field_path("`FIELDS`: `ID`: invalid value: string \"abc\""),
            (vec!["FIELDS", "ID"], "invalid value: string \"abc\"")
        );
        assert_eq!(
            field_path("missing field `ID`"),
            (vec![], "missing field `ID`")
        );
        assert_eq!(field_path("`a`b`: x"), (vec![], "`a`b`: x"));
    }

    #[test]
    fn an_empty_php_array_is_an_empty_object_and_a_list_is_refused() {
        let empty: Result<Map<String, Value>, _> = Fields::new(json!([])).map(Fields::rest);
        assert_eq!(empty.unwrap(), Map::new());
        assert!(Fields::new(json!([1, 2])).is_err());
        assert!(Fields::new(json!("text")).is_err());
    }

    #[test]
    fn writes_set_fields_in_wire_format_then_extra_which_replaces_a_typed_field() {
        let mut extra = Map::new();
        extra.insert("UF_A".into(), json!(1));
        let deal = Deal {
            id: 7,
            title: None,
            opened: Some(false),
            extra: extra.clone(),
        };
        assert_eq!(
            serde_json::to_string(&deal).unwrap(),
            r#"{"ID":7,"OPENED":"N","UF_A":1}"#
        );
        extra.insert("ID".into(), json!("$result[add]"));
        let deal = Deal { extra, ..deal };
        assert_eq!(
            serde_json::to_string(&deal).unwrap(),
            r#"{"OPENED":"N","UF_A":1,"ID":"$result[add]"}"#,
            "the reference is sent once, in place of the typed ID"
        );
    }

    #[test]
    fn the_first_serializer_error_is_returned_and_nothing_after_it_is_written() {
        struct Amounts(Map<String, Value>);
        impl Serialize for Amounts {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let mut w = ObjectWriter::new(s, &self.0)?;
                w.field("A", &NumberAsString(&f64::NAN));
                w.field("B", &1);
                w.end()
            }
        }
        let e = serde_json::to_string(&Amounts(Map::new())).unwrap_err();
        assert!(e.to_string().starts_with("`A`: "), "{e}");
        assert!(e.to_string().contains("non-finite"), "{e}");
    }

    #[test]
    fn wire_formats_write_numbers_as_text_and_flags_as_digits() {
        assert_eq!(
            serde_json::to_value(NumberAsString(&5_i64)).unwrap(),
            json!("5")
        );
        assert_eq!(
            serde_json::to_value(Int01(&vec![true, false])).unwrap(),
            json!([1, 0])
        );
    }
}
