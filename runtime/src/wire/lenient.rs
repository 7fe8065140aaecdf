//! Lenient decoding for any `#[derive(Deserialize)]` type: a `serde` [`Deserializer`] over
//! a [`serde_json::Value`] that gives each visitor the shape it asks for.
//!
//! Generated types decode field by field through [`Decode`](super::Decode), which knows
//! each field's declared type. A user's own type only has its `Deserialize` impl, so the
//! leniency moves into the deserializer: when the visitor asks for a number and the
//! portal sent `"100.50"`, it gets the number; when it asks for a bool and got `"Y"`, it
//! gets `true`. No attribute is needed on the user's type.

use serde::de::{
    self, DeserializeOwned, DeserializeSeed, Deserializer, EnumAccess, IntoDeserializer,
    Unexpected, VariantAccess, Visitor, value::MapDeserializer, value::SeqDeserializer,
};
use serde_json::{Map, Number, Value};

use super::Decode;

/// Decodes a `T: Deserialize` from a JSON value the way the portal writes it.
///
/// What the deserializer does, by what the type asks for:
///
/// | `T` asks for | Also accepts |
/// |---|---|
/// | an integer (`i8`..`i64`, `u8`..`u64`) | a string holding one (`"42"`), an integral float (`5.0`) |
/// | a float (`f32`, `f64`) | a string holding a finite one (`"100.50"`) |
/// | `bool` | `"Y"`/`"N"`, `"y"`/`"n"`, `1`/`0`, `"1"`/`"0"`, `"true"`/`"false"` |
/// | a string | a number or bool, as its text |
/// | `Option<T>` | `null`, a missing key (with `#[serde(default)]`) and `""` are `None` |
/// | a map or struct | `[]` (PHP's empty array) as an empty map; an array as a map keyed `"0"`, `"1"`, ... |
/// | a sequence | an object's values in order (PHP arrays with numeric keys) |
///
/// Everything else is decoded as `serde_json` would. Unlike the generated types'
/// [`Decode`], `""` is `None` even for `Option<String>` (the deserializer cannot see the
/// type inside the option).
///
/// # Errors
/// [`serde_json::Error`] when `value` has none of the accepted shapes, naming what was
/// expected and what was found, e.g. `invalid value: string "abc", expected f64`.
///
/// ```
/// #[derive(serde::Deserialize)]
/// struct Deal {
///     #[serde(rename = "ID")]
///     id: i64,
///     #[serde(rename = "OPPORTUNITY")]
///     amount: f64,
///     #[serde(rename = "CLOSED")]
///     closed: bool,
///     #[serde(rename = "CLOSEDATE", default)]
///     closed_on: Option<String>,
/// }
///
/// let row = serde_json::json!({"ID": "7", "OPPORTUNITY": "100.50", "CLOSED": "N", "CLOSEDATE": ""});
/// let deal: Deal = bitrix24_runtime::wire::from_value(row)?;
/// assert_eq!((deal.id, deal.amount, deal.closed, deal.closed_on), (7, 100.5, false, None));
/// # Ok::<(), serde_json::Error>(())
/// ```
pub fn from_value<T: DeserializeOwned>(value: Value) -> Result<T, serde_json::Error> {
    T::deserialize(LenientDe(value))
}

/// A field attribute for one lenient field in an otherwise strict type:
/// `#[serde(deserialize_with = "bitrix24::wire::lenient")]` decodes the field as
/// [`from_value`] does (it buffers the field as a [`serde_json::Value`] first).
///
/// # Errors
/// `D::Error` when the field is not JSON-like or has none of the shapes [`from_value`]
/// accepts.
pub fn lenient<'de, D: Deserializer<'de>, T: DeserializeOwned>(d: D) -> Result<T, D::Error> {
    let value = <Value as serde::Deserialize>::deserialize(d)?;
    from_value(value).map_err(de::Error::custom)
}

/// A user type as a [`Method::Output`](crate::Method::Output) (or any place that needs
/// [`Decode`]): `type Output = Lenient<MyDeal>;` decodes `MyDeal` with [`from_value`].
///
/// `Lenient<T>` dereferences to `T`; [`Lenient::into_inner`] takes it out.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Lenient<T>(pub T);

impl<T> Lenient<T> {
    /// The decoded value.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for Lenient<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned> Decode for Lenient<T> {
    fn decode<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        lenient(d).map(Lenient)
    }
}

/// The deserializer behind [`from_value`]; nested values are wrapped again, so the
/// leniency reaches every level.
struct LenientDe(Value);

impl IntoDeserializer<'_, serde_json::Error> for LenientDe {
    type Deserializer = Self;
    fn into_deserializer(self) -> Self {
        self
    }
}

type Error = serde_json::Error;

fn unexpected(v: &Value) -> Unexpected<'_> {
    match v {
        Value::Null => Unexpected::Unit,
        Value::Bool(b) => Unexpected::Bool(*b),
        Value::Number(n) => match (n.as_u64(), n.as_i64(), n.as_f64()) {
            (Some(u), _, _) => Unexpected::Unsigned(u),
            (_, Some(i), _) => Unexpected::Signed(i),
            (_, _, Some(f)) => Unexpected::Float(f),
            _ => Unexpected::Other("number"),
        },
        Value::String(s) => Unexpected::Str(s),
        Value::Array(_) => Unexpected::Seq,
        Value::Object(_) => Unexpected::Map,
    }
}

/// A string or float holding an integer, as a JSON number; anything else unchanged.
fn integer(v: Value) -> Value {
    match &v {
        Value::String(s) => {
            let s = s.trim();
            if let Ok(i) = s.parse::<i64>() {
                return Value::from(i);
            }
            if let Ok(u) = s.parse::<u64>() {
                return Value::from(u);
            }
            match s.parse::<f64>() {
                Ok(f) if f.is_finite() && f.fract() == 0.0 => integral(f).unwrap_or(v),
                _ => v,
            }
        }
        Value::Number(n) if n.is_f64() => n.as_f64().and_then(integral).unwrap_or(v),
        _ => v,
    }
}

fn integral(f: f64) -> Option<Value> {
    if f.fract() != 0.0 {
        return None;
    }
    if (0.0..18_446_744_073_709_551_616.0).contains(&f) {
        Some(Value::from(f as u64))
    } else if (-9_223_372_036_854_775_808.0..0.0).contains(&f) {
        Some(Value::from(f as i64))
    } else {
        None
    }
}

impl LenientDe {
    fn visit_int<'de, V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match integer(self.0) {
            Value::Number(n) => forward_number(n, visitor),
            other => Err(de::Error::invalid_type(unexpected(&other), &visitor)),
        }
    }
}

fn forward_number<'de, V: Visitor<'de>>(n: Number, visitor: V) -> Result<V::Value, Error> {
    if let Some(u) = n.as_u64() {
        visitor.visit_u64(u)
    } else if let Some(i) = n.as_i64() {
        visitor.visit_i64(i)
    } else {
        visitor.visit_f64(n.as_f64().unwrap_or(f64::NAN))
    }
}

macro_rules! ints {
    ($($m:ident),*) => {$(
        fn $m<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            self.visit_int(visitor)
        }
    )*};
}

macro_rules! floats {
    ($($m:ident),*) => {$(
        fn $m<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            match self.0 {
                Value::String(s) => match s.trim().parse::<f64>() {
                    Ok(f) if f.is_finite() => visitor.visit_f64(f),
                    _ => Err(de::Error::invalid_value(Unexpected::Str(&s), &visitor)),
                },
                Value::Number(n) => visitor.visit_f64(n.as_f64().unwrap_or(f64::NAN)),
                other => Err(de::Error::invalid_type(unexpected(&other), &visitor)),
            }
        }
    )*};
}

impl<'de> Deserializer<'de> for LenientDe {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Array(a) => {
                visitor.visit_seq(SeqDeserializer::new(a.into_iter().map(LenientDe)))
            }
            Value::Object(m) => visitor.visit_map(map(m)),
            other => other.deserialize_any(visitor),
        }
    }

    ints!(
        deserialize_i8,
        deserialize_i16,
        deserialize_i32,
        deserialize_i64,
        deserialize_i128,
        deserialize_u8,
        deserialize_u16,
        deserialize_u32,
        deserialize_u64,
        deserialize_u128
    );
    floats!(deserialize_f32, deserialize_f64);

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let b = match &self.0 {
            Value::Bool(b) => Some(*b),
            Value::Number(n) => match n.as_u64() {
                Some(0) => Some(false),
                Some(1) => Some(true),
                _ => None,
            },
            Value::String(s) => match s.as_str() {
                "Y" | "y" | "1" | "true" => Some(true),
                "N" | "n" | "0" | "false" => Some(false),
                _ => None,
            },
            _ => None,
        };
        match b {
            Some(b) => visitor.visit_bool(b),
            None => Err(de::Error::invalid_value(unexpected(&self.0), &visitor)),
        }
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_string(visitor)
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Number(n) => visitor.visit_string(n.to_string()),
            Value::Bool(b) => visitor.visit_string(b.to_string()),
            other => other.deserialize_string(visitor),
        }
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.0.deserialize_char(visitor)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.0.deserialize_bytes(visitor)
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.0.deserialize_byte_buf(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Null => visitor.visit_none(),
            Value::String(s) if s.is_empty() => visitor.visit_none(),
            other => visitor.visit_some(LenientDe(other)),
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.0.deserialize_unit(visitor)
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.0.deserialize_unit_struct(name, visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Array(a) => {
                visitor.visit_seq(SeqDeserializer::new(a.into_iter().map(LenientDe)))
            }
            Value::Object(m) => visitor.visit_seq(SeqDeserializer::new(
                m.into_iter().map(|(_, v)| LenientDe(v)),
            )),
            other => Err(de::Error::invalid_type(unexpected(&other), &visitor)),
        }
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Object(m) => visitor.visit_map(map(m)),
            Value::Array(a) => visitor.visit_map(MapDeserializer::new(
                a.into_iter()
                    .enumerate()
                    .map(|(i, v)| (i.to_string(), LenientDe(v))),
            )),
            other => Err(de::Error::invalid_type(unexpected(&other), &visitor)),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_map(visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self.0 {
            // A unit variant by its text; a number is taken as its text (`"2"`), the way
            // the portal mixes them.
            Value::String(s) => visitor.visit_enum(s.into_deserializer()),
            Value::Number(n) => visitor.visit_enum(n.to_string().into_deserializer()),
            Value::Object(m) if m.len() == 1 => {
                let Some((variant, value)) = m.into_iter().next() else {
                    return Err(de::Error::invalid_length(0, &"a map with a single key"));
                };
                visitor.visit_enum(Variant { variant, value })
            }
            other => Err(de::Error::invalid_type(unexpected(&other), &"an enum")),
        }
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_string(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_unit()
    }
}

fn map(
    m: Map<String, Value>,
) -> MapDeserializer<'static, impl Iterator<Item = (String, LenientDe)>, Error> {
    MapDeserializer::new(m.into_iter().map(|(k, v)| (k, LenientDe(v))))
}

/// An externally tagged enum variant `{"Variant": value}`.
struct Variant {
    variant: String,
    value: Value,
}

impl<'de> EnumAccess<'de> for Variant {
    type Error = Error;
    type Variant = LenientDe;

    fn variant_seed<S: DeserializeSeed<'de>>(
        self,
        seed: S,
    ) -> Result<(S::Value, LenientDe), Error> {
        let v = seed.deserialize(self.variant.into_deserializer())?;
        Ok((v, LenientDe(self.value)))
    }
}

impl<'de> VariantAccess<'de> for LenientDe {
    type Error = Error;

    fn unit_variant(self) -> Result<(), Error> {
        match self.0 {
            Value::Null => Ok(()),
            other => Err(de::Error::invalid_type(
                unexpected(&other),
                &"a unit variant",
            )),
        }
    }

    fn newtype_variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> Result<S::Value, Error> {
        seed.deserialize(self)
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_seq(visitor)
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_map(visitor)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde::Deserialize;
    use serde_json::json;

    use super::*;

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(rename_all = "SCREAMING_SNAKE_CASE")]
    enum Stage {
        New,
        Won,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    struct Row {
        id: u32,
        price: f64,
        active: bool,
        #[serde(default)]
        date: Option<String>,
        #[serde(default)]
        count: Option<i64>,
        name: String,
        tags: Vec<String>,
        fields: BTreeMap<String, i64>,
        stage: Stage,
        nested: Vec<Inner>,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    struct Inner {
        ok: bool,
    }

    #[test]
    fn decodes_the_portals_shapes_at_every_level() {
        let row: Row = from_value(json!({
            "id": "12", "price": "3607999.00", "active": "Y", "date": "", "count": "",
            "name": 42, "tags": {"0": "a", "1": "b"}, "fields": [], "stage": "WON",
            "nested": [{"ok": 1}, {"ok": "N"}],
        }))
        .unwrap();
        assert_eq!(
            row,
            Row {
                id: 12,
                price: 3_607_999.0,
                active: true,
                date: None,
                count: None,
                name: "42".into(),
                tags: vec!["a".into(), "b".into()],
                fields: BTreeMap::new(),
                stage: Stage::Won,
                nested: vec![Inner { ok: true }, Inner { ok: false }],
            }
        );
        let _ = Stage::New;
    }

    #[test]
    fn an_array_is_a_map_keyed_by_index_and_integral_floats_are_integers() {
        let m: BTreeMap<String, u8> = from_value(json!([5.0, "6"])).unwrap();
        assert_eq!(m, BTreeMap::from([("0".into(), 5), ("1".into(), 6)]));
    }

    #[test]
    fn errors_name_what_was_found_and_expected() {
        let e = from_value::<Inner>(json!({"ok": "maybe"})).unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid value: string \"maybe\", expected a boolean"
        );
        let e = from_value::<u8>(json!("1.5")).unwrap_err();
        assert_eq!(e.to_string(), "invalid type: string \"1.5\", expected u8");
        let e = from_value::<u8>(json!(300)).unwrap_err();
        assert!(e.to_string().contains("300"), "{e}");
    }

    #[test]
    fn lenient_makes_a_user_type_decodable_and_one_field_lenient() {
        let v: Lenient<Inner> = Decode::decode(json!({"ok": "1"})).unwrap();
        assert!(v.ok);
        #[derive(Deserialize)]
        struct Strict {
            #[serde(deserialize_with = "lenient")]
            n: f64,
        }
        let s: Strict = serde_json::from_str(r#"{"n": "0.25"}"#).unwrap();
        assert_eq!(s.n, 0.25);
    }
}
