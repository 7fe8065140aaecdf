//! Enumerations with an open set of wire values.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserializer, Visitor};
use serde::ser::Serializer;

/// An enumeration whose wire value is a text or an integer, with a fallback for values the
/// spec does not list.
///
/// Generated enums implement it with one variant per documented value plus
/// `Unknown(String)`, and serialise through [`serialize_enum`] / [`deserialize_enum`].
pub trait WireEnum: Sized {
    /// True when the wire value is a JSON number (e.g. CRM entity type IDs `1`, `2`, `3`);
    /// false when it is a string.
    const INTEGER: bool;

    /// The wire value as text (`"3"` for the integer 3).
    fn as_str(&self) -> &str;

    /// The variant for a wire value given as text; never fails: an unlisted value becomes
    /// the `Unknown(String)` variant, so it survives a round trip.
    fn from_wire(s: &str) -> Self;
}

/// Serialises a [`WireEnum`]: as a JSON number when [`WireEnum::INTEGER`] is true and the
/// text parses as an `i64`, otherwise as a JSON string.
pub fn serialize_enum<E: WireEnum, S: Serializer>(e: &E, s: S) -> Result<S::Ok, S::Error> {
    let text = e.as_str();
    if E::INTEGER
        && let Ok(n) = text.parse::<i64>()
    {
        return s.serialize_i64(n);
    }
    s.serialize_str(text)
}

/// Deserialises a [`WireEnum`] from a JSON string or integer (an integer `3` is looked up as
/// `"3"`). Any other JSON type is an error naming what was found.
pub fn deserialize_enum<'de, E: WireEnum, D: Deserializer<'de>>(d: D) -> Result<E, D::Error> {
    d.deserialize_any(EnumVisitor(PhantomData))
}

struct EnumVisitor<E>(PhantomData<E>);

impl<'de, E: WireEnum> Visitor<'de> for EnumVisitor<E> {
    type Value = E;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an enumeration value (a string or an integer)")
    }

    fn visit_str<Er: de::Error>(self, s: &str) -> Result<E, Er> {
        Ok(E::from_wire(s))
    }

    fn visit_i64<Er: de::Error>(self, v: i64) -> Result<E, Er> {
        Ok(E::from_wire(&v.to_string()))
    }

    fn visit_u64<Er: de::Error>(self, v: u64) -> Result<E, Er> {
        Ok(E::from_wire(&v.to_string()))
    }
}
