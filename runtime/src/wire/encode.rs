//! Wire encodings of request parameters, for `#[serde(serialize_with = ...)]`.

use serde::ser::{Error as _, Serialize, Serializer};

/// How [`EncodeBool`] writes a boolean.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BoolStyle {
    /// `"Y"` / `"N"` (JSON strings).
    YesNo,
    /// `1` / `0` (JSON numbers).
    ZeroOne,
}

impl BoolStyle {
    fn write<S: Serializer>(self, v: bool, s: S) -> Result<S::Ok, S::Error> {
        match self {
            BoolStyle::YesNo => s.serialize_str(if v { "Y" } else { "N" }),
            BoolStyle::ZeroOne => s.serialize_u8(u8::from(v)),
        }
    }
}

/// A boolean, or a shape holding booleans, that [`yn`] and [`int01`] can write.
///
/// Implemented for `bool`, and for `Option<T>` (`None` is written as `null`) and `Vec<T>` (a
/// JSON array) of those, e.g. `Option<bool>`, `Vec<bool>`.
pub trait EncodeBool {
    /// Serialises `self`, writing each boolean in `style`.
    fn encode_bool<S: Serializer>(&self, style: BoolStyle, s: S) -> Result<S::Ok, S::Error>;
}

impl EncodeBool for bool {
    fn encode_bool<S: Serializer>(&self, style: BoolStyle, s: S) -> Result<S::Ok, S::Error> {
        style.write(*self, s)
    }
}

impl<T: EncodeBool> EncodeBool for Option<T> {
    fn encode_bool<S: Serializer>(&self, style: BoolStyle, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Some(v) => v.encode_bool(style, s),
            None => s.serialize_none(),
        }
    }
}

impl<T: EncodeBool> EncodeBool for Vec<T> {
    fn encode_bool<S: Serializer>(&self, style: BoolStyle, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter().map(|v| Styled(style, v)))
    }
}

struct Styled<'a, T>(BoolStyle, &'a T);

impl<T: EncodeBool> Serialize for Styled<'_, T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.1.encode_bool(self.0, s)
    }
}

/// Writes booleans as `"Y"` / `"N"`; for `#[serde(serialize_with = "::bitrix24_runtime::wire::yn")]`.
pub fn yn<S: Serializer, T: EncodeBool>(v: &T, s: S) -> Result<S::Ok, S::Error> {
    v.encode_bool(BoolStyle::YesNo, s)
}

/// Writes booleans as `1` / `0`; for `#[serde(serialize_with = "::bitrix24_runtime::wire::int01")]`.
pub fn int01<S: Serializer, T: EncodeBool>(v: &T, s: S) -> Result<S::Ok, S::Error> {
    v.encode_bool(BoolStyle::ZeroOne, s)
}

/// A number, or a shape holding numbers, that [`number_as_string`] can write.
///
/// Implemented for `i64` and `f64`, and for `Option<T>` (`None` is written as `null`) and
/// `Vec<T>` (a JSON array of strings) of those, e.g. `Option<i64>`, `Vec<i64>`.
pub trait EncodeNumber {
    /// Serialises `self` with each number written as a JSON string (`5` → `"5"`,
    /// `1.5` → `"1.5"`). Fails with `S::Error` on a NaN or infinite `f64`.
    fn encode_number_as_string<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error>;
}

impl EncodeNumber for i64 {
    fn encode_number_as_string<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl EncodeNumber for f64 {
    fn encode_number_as_string<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if !self.is_finite() {
            return Err(S::Error::custom(format_args!(
                "cannot encode the non-finite number {self} as a string"
            )));
        }
        s.collect_str(self)
    }
}

impl<T: EncodeNumber> EncodeNumber for Option<T> {
    fn encode_number_as_string<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Some(v) => v.encode_number_as_string(s),
            None => s.serialize_none(),
        }
    }
}

impl<T: EncodeNumber> EncodeNumber for Vec<T> {
    fn encode_number_as_string<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter().map(AsString))
    }
}

struct AsString<'a, T>(&'a T);

impl<T: EncodeNumber> Serialize for AsString<'_, T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.encode_number_as_string(s)
    }
}

/// Writes numbers as JSON strings; for
/// `#[serde(serialize_with = "::bitrix24_runtime::wire::number_as_string")]`.
///
/// Fails (as a serialisation error, reported as [`Error::Encode`](crate::Error::Encode)
/// by the client) on a NaN or infinite `f64`.
pub fn number_as_string<S: Serializer, T: EncodeNumber>(v: &T, s: S) -> Result<S::Ok, S::Error> {
    v.encode_number_as_string(s)
}
