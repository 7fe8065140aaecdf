//! Lenient decoding of the values Bitrix24 sends.

use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::{
    self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Unexpected, Visitor,
    value,
};
use serde_json::{Map, Value};

/// Lenient decoding from any self-describing `serde` deserializer (`serde_json`, a
/// [`serde_json::Value`], or serde's buffered content used by `#[serde(flatten)]`).
///
/// What each implementation accepts:
///
/// | Type | Accepts |
/// |---|---|
/// | `i64`, `i32`, `u32`, `u64` | a JSON number or a string holding one (`"123"`); an integral float (`5.0`) is accepted, a fractional one (`1.5`) or an out-of-range value is an error |
/// | `f64` | a JSON number or a string holding a finite one |
/// | `bool` | `true`/`false`, `"Y"`/`"N"`, `"y"`/`"n"`, `1`/`0`, `"1"`/`"0"`, `"true"`/`"false"` |
/// | `String` | a string; a number is converted to its text |
/// | [`serde_json::Value`] | anything, as is |
/// | [`serde_json::Map`] | an object, or `[]` (PHP's empty array) as an empty map; a non-empty array is an error (a list the spec mistyped as an object must not pass unnoticed) |
/// | `Option<T>` | `null` → `None` (but `Some(Value::Null)` for `Option<Value>`, see [`Decode::NULL_IS_VALUE`]); `""` → `None` when [`Decode::EMPTY_STRING_IS_NONE`] (all but `String` and `Value`); `false` → `None` for dates, date-times, objects, maps and lists ([`Decode::FALSE_IS_NONE`]); otherwise `T` |
/// | `Vec<T>` | an array; an object's values in order (PHP arrays with numeric keys) |
/// | `BTreeMap<String, T>` | an object, or `[]` as an empty map (a non-empty array is an error); keys sort as text |
/// | `Box<T>` | as `T` |
/// | [`File`](crate::File) | the array `[name, base64 content]` |
/// | `()` | anything, ignored |
///
/// Errors name what was expected and what was found, e.g.
/// `invalid value: string "abc", expected an integer (i64) as a JSON number or a string holding one`.
///
/// Generated structs implement `Decode` field by field through
/// [`Fields`](crate::wire::Fields) (and `serde::Deserialize` by delegating to it); enums
/// through [`deserialize_enum`](crate::wire::deserialize_enum). There is deliberately no
/// blanket impl.
pub trait Decode: Sized {
    /// Whether `Option<Self>` decodes an empty string `""` as `None`. True by default (the
    /// portal sends `""` for absent numbers, booleans, dates and objects); false for
    /// `String` and `Value`, where `""` is a value.
    const EMPTY_STRING_IS_NONE: bool = true;

    /// Whether a JSON `null` is a value of `Self` rather than an absent one: true only for
    /// `serde_json::Value` (a spec type `any`), so that `Option<Value>` decodes an explicit
    /// `null` to `Some(Value::Null)` and sends it back, while a missing key stays `None`.
    const NULL_IS_VALUE: bool = false;

    /// Whether `Option<Self>` decodes `false` as `None`: true for dates, date-times,
    /// objects (generated structs, [`serde_json::Map`]), maps and lists, which the portal
    /// (PHP) writes as `false` when there is none (`"idle": false`, "if not set, `false`"
    /// in the docs of `im.user.get`; `"phones": false`, "can be `false`" in
    /// `im.dialog.users.list`; `"UF_WEBDAV_CAL_EVENT": false` in `calendar.event.get`);
    /// false for every other type, where `false` is a value or an error.
    const FALSE_IS_NONE: bool = false;

    /// Decodes `Self` from `d`. Returns `D::Error` when the value has none of the accepted
    /// shapes listed on [`Decode`].
    fn decode<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error>;
}

/// Decodes a `T` leniently; for `#[serde(deserialize_with = "::bitrix24_runtime::wire::decode")]`.
///
/// On an `Option` field, also add `#[serde(default)]` so that a missing key is `None`.
pub fn decode<'de, D: Deserializer<'de>, T: Decode>(d: D) -> Result<T, D::Error> {
    T::decode(d)
}

/// A `DeserializeSeed` that decodes a `T` with [`Decode`].
struct Seed<T>(PhantomData<T>);

impl<T> Seed<T> {
    fn new() -> Self {
        Seed(PhantomData)
    }
}

impl<'de, T: Decode> DeserializeSeed<'de> for Seed<T> {
    type Value = T;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<T, D::Error> {
        T::decode(d)
    }
}

// ---------------------------------------------------------------------------------------
// Integers

struct IntVisitor<T>(&'static str, PhantomData<T>);

impl<'de, T> Visitor<'de> for IntVisitor<T>
where
    T: TryFrom<i64> + TryFrom<u64>,
{
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "an integer ({}) as a JSON number or a string holding one",
            self.0
        )
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<T, E> {
        T::try_from(v).map_err(|_| E::invalid_value(Unexpected::Signed(v), &self))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<T, E> {
        T::try_from(v).map_err(|_| E::invalid_value(Unexpected::Unsigned(v), &self))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<T, E> {
        // NaN and infinities have a NaN fractional part, so they fail here too.
        if v.fract() == 0.0 {
            if (0.0..18_446_744_073_709_551_616.0).contains(&v) {
                return self.visit_u64(v as u64);
            }
            if (-9_223_372_036_854_775_808.0..0.0).contains(&v) {
                return self.visit_i64(v as i64);
            }
        }
        Err(E::invalid_value(Unexpected::Float(v), &self))
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<T, E> {
        if let Ok(v) = s.parse::<i64>() {
            return self.visit_i64(v);
        }
        if let Ok(v) = s.parse::<u64>() {
            return self.visit_u64(v);
        }
        match s.parse::<f64>() {
            Ok(v) if v.is_finite() && v.fract() == 0.0 => self.visit_f64(v),
            _ => Err(E::invalid_value(Unexpected::Str(s), &self)),
        }
    }
}

macro_rules! decode_int {
    ($($ty:ty),*) => {$(
        impl Decode for $ty {
            fn decode<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                d.deserialize_any(IntVisitor::<$ty>(stringify!($ty), PhantomData))
            }
        }
    )*};
}

decode_int!(i64, i32, u32, u64);

// ---------------------------------------------------------------------------------------
// Floats

struct F64Visitor;

impl<'de> Visitor<'de> for F64Visitor {
    type Value = f64;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a number (f64) as a JSON number or a string holding one")
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<f64, E> {
        Ok(v)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<f64, E> {
        Ok(v as f64)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<f64, E> {
        Ok(v as f64)
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<f64, E> {
        match s.parse::<f64>() {
            Ok(v) if v.is_finite() => Ok(v),
            _ => Err(E::invalid_value(Unexpected::Str(s), &self)),
        }
    }
}

impl Decode for f64 {
    fn decode<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(F64Visitor)
    }
}

// ---------------------------------------------------------------------------------------
// Booleans

struct BoolVisitor;

impl<'de> Visitor<'de> for BoolVisitor {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(r#"a boolean (true/false, "Y"/"N", 1/0, "1"/"0", "true"/"false")"#)
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<bool, E> {
        Ok(v)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<bool, E> {
        match v {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(E::invalid_value(Unexpected::Signed(v), &self)),
        }
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<bool, E> {
        match v {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(E::invalid_value(Unexpected::Unsigned(v), &self)),
        }
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<bool, E> {
        match s {
            "Y" | "y" | "1" => Ok(true),
            "N" | "n" | "0" => Ok(false),
            _ if s.eq_ignore_ascii_case("true") => Ok(true),
            _ if s.eq_ignore_ascii_case("false") => Ok(false),
            _ => Err(E::invalid_value(Unexpected::Str(s), &self)),
        }
    }
}

impl Decode for bool {
    fn decode<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(BoolVisitor)
    }
}

// ---------------------------------------------------------------------------------------
// Strings

struct StringVisitor;

impl<'de> Visitor<'de> for StringVisitor {
    type Value = String;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string (or a number, taken as its text)")
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<String, E> {
        Ok(s.to_owned())
    }

    fn visit_string<E: de::Error>(self, s: String) -> Result<String, E> {
        Ok(s)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<String, E> {
        Ok(v.to_string())
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<String, E> {
        Ok(v.to_string())
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<String, E> {
        Ok(v.to_string())
    }
}

impl Decode for String {
    const EMPTY_STRING_IS_NONE: bool = false;

    fn decode<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(StringVisitor)
    }
}

// ---------------------------------------------------------------------------------------
// JSON values and objects

impl Decode for Value {
    const EMPTY_STRING_IS_NONE: bool = false;
    const NULL_IS_VALUE: bool = true;

    fn decode<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Value::deserialize(d)
    }
}

/// Visits an object (keys decoded as `String`), or an empty array: PHP encodes an empty
/// associative array as `[]`. A non-empty array is a list, never an object: accepting it
/// (keyed by index) would hide a result or field the spec mistypes.
struct MapVisitor<V, M>(PhantomData<(V, M)>);

/// A map that [`MapVisitor`] can fill.
trait FillMap<V>: Default {
    fn put(&mut self, key: String, value: V);
}

impl FillMap<Value> for Map<String, Value> {
    fn put(&mut self, key: String, value: Value) {
        self.insert(key, value);
    }
}

impl<V> FillMap<V> for BTreeMap<String, V> {
    fn put(&mut self, key: String, value: V) {
        self.insert(key, value);
    }
}

impl<'de, V: Decode, M: FillMap<V>> Visitor<'de> for MapVisitor<V, M> {
    type Value = M;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object (or `[]`, an empty PHP array)")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<M, A::Error> {
        let mut out = M::default();
        while let Some((k, v)) = map.next_entry_seed(Seed::<String>::new(), Seed::<V>::new())? {
            out.put(k, v);
        }
        Ok(out)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<M, A::Error> {
        match seq.next_element::<IgnoredAny>()? {
            None => Ok(M::default()),
            Some(IgnoredAny) => Err(de::Error::invalid_type(Unexpected::Seq, &self)),
        }
    }
}

impl Decode for Map<String, Value> {
    const FALSE_IS_NONE: bool = true;

    fn decode<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(MapVisitor::<Value, Self>(PhantomData))
    }
}

impl<T: Decode> Decode for BTreeMap<String, T> {
    const FALSE_IS_NONE: bool = true;

    fn decode<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(MapVisitor::<T, Self>(PhantomData))
    }
}

// ---------------------------------------------------------------------------------------
// Vec

struct VecVisitor<T>(PhantomData<T>);

impl<'de, T: Decode> Visitor<'de> for VecVisitor<T> {
    type Value = Vec<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array (or an object, whose values are taken in order)")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1024));
        while let Some(v) = seq.next_element_seed(Seed::<T>::new())? {
            out.push(v);
        }
        Ok(out)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Vec<T>, A::Error> {
        let mut out = Vec::with_capacity(map.size_hint().unwrap_or(0).min(1024));
        while let Some((IgnoredAny, v)) =
            map.next_entry_seed(PhantomData::<IgnoredAny>, Seed::<T>::new())?
        {
            out.push(v);
        }
        Ok(out)
    }
}

impl<T: Decode> Decode for Vec<T> {
    const FALSE_IS_NONE: bool = true;

    fn decode<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(VecVisitor(PhantomData))
    }
}

// ---------------------------------------------------------------------------------------
// Option: peeks at the value, then hands it to `T` through a one-value deserializer.

struct OptionVisitor<T>(PhantomData<T>);

impl<'de, T: Decode> Visitor<'de> for OptionVisitor<T> {
    type Value = Option<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("null or a value")
    }

    fn visit_none<E: de::Error>(self) -> Result<Option<T>, E> {
        self.visit_unit()
    }

    fn visit_unit<E: de::Error>(self) -> Result<Option<T>, E> {
        if T::NULL_IS_VALUE {
            return T::decode(value::UnitDeserializer::<E>::new()).map(Some);
        }
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Option<T>, D::Error> {
        d.deserialize_any(self)
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Option<T>, E> {
        if !v && T::FALSE_IS_NONE {
            return Ok(None);
        }
        T::decode(value::BoolDeserializer::<E>::new(v)).map(Some)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Option<T>, E> {
        T::decode(value::I64Deserializer::<E>::new(v)).map(Some)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Option<T>, E> {
        T::decode(value::U64Deserializer::<E>::new(v)).map(Some)
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Option<T>, E> {
        T::decode(value::F64Deserializer::<E>::new(v)).map(Some)
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<Option<T>, E> {
        if s.is_empty() && T::EMPTY_STRING_IS_NONE {
            return Ok(None);
        }
        T::decode(value::StrDeserializer::<E>::new(s)).map(Some)
    }

    fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<Option<T>, E> {
        if s.is_empty() && T::EMPTY_STRING_IS_NONE {
            return Ok(None);
        }
        T::decode(value::BorrowedStrDeserializer::<E>::new(s)).map(Some)
    }

    fn visit_string<E: de::Error>(self, s: String) -> Result<Option<T>, E> {
        if s.is_empty() && T::EMPTY_STRING_IS_NONE {
            return Ok(None);
        }
        T::decode(value::StringDeserializer::<E>::new(s)).map(Some)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Option<T>, A::Error> {
        T::decode(value::SeqAccessDeserializer::new(seq)).map(Some)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Option<T>, A::Error> {
        T::decode(value::MapAccessDeserializer::new(map)).map(Some)
    }
}

impl<T: Decode> Decode for Option<T> {
    fn decode<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(OptionVisitor(PhantomData))
    }
}

// ---------------------------------------------------------------------------------------
// Box and unit

impl<T: Decode> Decode for Box<T> {
    const EMPTY_STRING_IS_NONE: bool = T::EMPTY_STRING_IS_NONE;
    const FALSE_IS_NONE: bool = T::FALSE_IS_NONE;

    fn decode<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        T::decode(d).map(Box::new)
    }
}

impl Decode for () {
    fn decode<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        IgnoredAny::deserialize(d).map(|_| ())
    }
}
