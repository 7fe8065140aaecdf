//! Finding what a decoded value holds beyond the spec: keys kept in a struct's `extra`
//! map and enum values decoded to `Unknown`.
//!
//! Useful to notice that a portal sends fields the docs do not list (schema drift), and
//! used by the generated round-trip tests to prove that every documented example decodes
//! completely into the typed result.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::File;

/// A decoded value that can report what it holds beyond the spec.
///
/// Generated structs report the keys of their `extra` map and recurse into their fields;
/// generated enums report an `Unknown` value. Paths are JSON paths such as
/// `$.result.ITEMS[0].UF_CRM_1`.
pub trait Undocumented {
    /// Appends to `out` the path of every undocumented key or value inside `self`, where
    /// `path` is the path of `self`.
    fn undocumented(&self, path: &str, out: &mut Vec<String>);

    /// The paths of every undocumented key or value, starting at `$`.
    fn undocumented_paths(&self) -> Vec<String> {
        let mut out = Vec::new();
        self.undocumented("$", &mut out);
        out
    }
}

macro_rules! documented {
    ($($t:ty),*) => {
        $(impl Undocumented for $t {
            fn undocumented(&self, _path: &str, _out: &mut Vec<String>) {}
        })*
    };
}

// Scalars, and the untyped JSON values a spec uses on purpose (`any`, `object`), hold
// nothing undocumented.
documented!(i64, i32, u32, u64, f64, bool, String, Value, Map<String, Value>, File, ());

impl<T: Undocumented> Undocumented for Option<T> {
    fn undocumented(&self, path: &str, out: &mut Vec<String>) {
        if let Some(v) = self {
            v.undocumented(path, out);
        }
    }
}

impl<T: Undocumented> Undocumented for Box<T> {
    fn undocumented(&self, path: &str, out: &mut Vec<String>) {
        (**self).undocumented(path, out);
    }
}

impl<T: Undocumented> Undocumented for Vec<T> {
    fn undocumented(&self, path: &str, out: &mut Vec<String>) {
        for (i, v) in self.iter().enumerate() {
            v.undocumented(&format!("{path}[{i}]"), out);
        }
    }
}

impl<T: Undocumented> Undocumented for BTreeMap<String, T> {
    fn undocumented(&self, path: &str, out: &mut Vec<String>) {
        for (k, v) in self {
            v.undocumented(&format!("{path}.{k}"), out);
        }
    }
}

/// For generated structs: reports each key of `extra` under `path`.
pub fn extra_keys(extra: &Map<String, Value>, path: &str, out: &mut Vec<String>) {
    for key in extra.keys() {
        out.push(format!("{path}.{key}"));
    }
}

/// For generated structs whose docs document key families in one row (`UF_CRM_...`, a
/// per-portal custom field; `propertyN`): reports each key of `extra` under `path` that
/// starts with none of the `families` prefixes. A key of a documented family is
/// documented, although no field names it.
pub fn extra_keys_outside(
    extra: &Map<String, Value>,
    families: &[&str],
    path: &str,
    out: &mut Vec<String>,
) {
    for key in extra.keys() {
        if !families.iter().any(|p| key.starts_with(p)) {
            out.push(format!("{path}.{key}"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn containers_recurse_with_paths() {
        struct Flagged;
        impl Undocumented for Flagged {
            fn undocumented(&self, path: &str, out: &mut Vec<String>) {
                out.push(path.to_owned());
            }
        }
        let mut map = BTreeMap::new();
        map.insert("k".to_owned(), vec![Some(Flagged), None]);
        assert_eq!(map.undocumented_paths(), vec!["$.k[0]".to_owned()]);
        assert!(Some(5_i64).undocumented_paths().is_empty());
        let mut extra = Map::new();
        extra.insert("UF_CRM_1".into(), Value::Null);
        let mut out = Vec::new();
        extra_keys(&extra, "$.result", &mut out);
        assert_eq!(out, vec!["$.result.UF_CRM_1".to_owned()]);
    }

    #[test]
    fn keys_of_documented_families_are_documented() {
        let mut extra = Map::new();
        for key in ["UF_CRM_1", "PARENT_ID_153", "UF_OTHER", "PARENT"] {
            extra.insert(key.into(), Value::Null);
        }
        let mut out = Vec::new();
        extra_keys_outside(&extra, &["UF_CRM_", "PARENT_ID_"], "$", &mut out);
        // In the map's order (the order the portal wrote them).
        assert_eq!(out, vec!["$.UF_OTHER".to_owned(), "$.PARENT".to_owned()]);
    }
}
