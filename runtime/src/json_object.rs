//! [`JsonObject`]: the value of an `object` parameter, from a `Map` or a `json!` value.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer, ser};
use serde_json::{Map, Value};

use crate::wire::Decode;

/// A JSON object sent as a parameter: the type of `object` fields of the structs that are
/// sent (a request's `filter`, `fields`, `params`, ...), so that their setters take what
/// users write, a [`serde_json::Map`] or a `json!({...})` [`Value`].
///
/// A `Value` that is not an object (`json!([1, 2])`, `json!("x")`, `json!(null)`) is kept
/// as it is and refused when the request is encoded: [`Client::call`](crate::Client::call)
/// returns [`Error::Encode`](crate::Error::Encode) naming the parameter, and nothing is
/// sent. Nothing else is sent in its place, and nothing panics.
///
/// ```
/// use bitrix24_runtime::JsonObject;
/// use serde_json::json;
///
/// let filter = JsonObject::from(json!({">ID": 5, "STAGE_ID": "NEW"}));
/// assert_eq!(filter.as_map().map(|m| m.len()), Some(2));
/// assert_eq!(serde_json::to_value(&filter)?, json!({">ID": 5, "STAGE_ID": "NEW"}));
///
/// let list = JsonObject::from(json!([1, 2]));
/// assert_eq!(list.as_map(), None);
/// let e = serde_json::to_value(&list).unwrap_err();
/// assert_eq!(e.to_string(), "expected a JSON object, found an array: [1,2]");
/// # Ok::<(), serde_json::Error>(())
/// ```
///
/// Received, it decodes as a `Map` does: an object, or `[]` (PHP's empty array) as an
/// empty one.
#[derive(Clone, PartialEq, Default)]
pub struct JsonObject(Repr);

#[derive(Clone, PartialEq)]
enum Repr {
    Object(Map<String, Value>),
    /// A `Value` given where an object belongs: refused when encoded.
    NotAnObject(Value),
}

impl Default for Repr {
    fn default() -> Self {
        Repr::Object(Map::new())
    }
}

impl JsonObject {
    /// An empty object.
    pub fn new() -> Self {
        Self::default()
    }

    /// The object; `None` when it was made from a value that is not one.
    pub fn as_map(&self) -> Option<&Map<String, Value>> {
        match &self.0 {
            Repr::Object(m) => Some(m),
            Repr::NotAnObject(_) => None,
        }
    }

    /// The object, or (as `Err`) the value that is not one.
    pub fn into_map(self) -> Result<Map<String, Value>, Value> {
        match self.0 {
            Repr::Object(m) => Ok(m),
            Repr::NotAnObject(v) => Err(v),
        }
    }
}

impl From<Map<String, Value>> for JsonObject {
    fn from(m: Map<String, Value>) -> Self {
        JsonObject(Repr::Object(m))
    }
}

/// An object as is; any other value is kept and refused when encoded.
impl From<Value> for JsonObject {
    fn from(v: Value) -> Self {
        JsonObject(match v {
            Value::Object(m) => Repr::Object(m),
            other => Repr::NotAnObject(other),
        })
    }
}

impl fmt::Debug for JsonObject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Repr::Object(m) => m.fmt(f),
            Repr::NotAnObject(v) => f.debug_tuple("NotAnObject").field(v).finish(),
        }
    }
}

/// The object; fails for a value that is not one (`expected a JSON object, found an
/// array: [1,2]`, the value shortened to 60 characters).
impl Serialize for JsonObject {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match &self.0 {
            Repr::Object(m) => m.serialize(s),
            Repr::NotAnObject(v) => {
                let kind = match v {
                    Value::Null => "null",
                    Value::Bool(_) => "a boolean",
                    Value::Number(_) => "a number",
                    Value::String(_) => "a string",
                    Value::Array(_) => "an array",
                    Value::Object(_) => "an object",
                };
                let text = v.to_string();
                let shown: String = text.chars().take(60).collect();
                let more = if shown.len() < text.len() { "…" } else { "" };
                Err(ser::Error::custom(format_args!(
                    "expected a JSON object, found {kind}: {shown}{more}"
                )))
            }
        }
    }
}

/// As a [`Map`]: an object, or `[]` as an empty one.
impl Decode for JsonObject {
    fn decode<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Map::decode(d).map(Self::from)
    }
}

/// As [`Decode`].
impl<'de> Deserialize<'de> for JsonObject {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Self::decode(d)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn objects_pass_and_other_values_fail_when_encoded() {
        let mut m = Map::new();
        m.insert("ID".into(), json!(1));
        assert_eq!(
            serde_json::to_value(JsonObject::from(m.clone())).unwrap(),
            json!({"ID": 1})
        );
        assert_eq!(JsonObject::from(json!({"ID": 1})), JsonObject::from(m));
        for (v, message) in [
            (json!(null), "found null: null"),
            (json!("x"), "found a string: \"x\""),
            (json!([]), "found an array: []"),
            (json!(7), "found a number: 7"),
        ] {
            let o = JsonObject::from(v.clone());
            assert_eq!(o.clone().into_map(), Err(v));
            let e = serde_json::to_string(&o).unwrap_err().to_string();
            assert!(e.contains(message), "{e}");
        }
        let long = JsonObject::from(json!("y".repeat(100)));
        let e = serde_json::to_string(&long).unwrap_err().to_string();
        assert!(e.ends_with("yyy…"), "{e}");
        assert_eq!(format!("{:?}", JsonObject::new()), "{}");
        assert_eq!(format!("{:?}", long.as_map()), "None");
    }

    #[test]
    fn decodes_as_a_map() {
        let o = JsonObject::decode(json!([])).unwrap();
        assert_eq!(o, JsonObject::new());
        assert!(JsonObject::decode(json!([1])).is_err());
        assert_eq!(Option::<JsonObject>::decode(json!("")).unwrap(), None);
    }
}
