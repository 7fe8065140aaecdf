//! PHP-style query strings, the parameter format of `batch` commands
//! (`crm.deal.list?filter[>ID]=5&select[0]=ID`).
//!
//! The portal reads a command with PHP's `parse_str`, which percent-decodes every name and
//! value and then builds nested arrays from the brackets in the names. [`encode`] writes the
//! JSON a request serialises to (its `serde` output, so per-field wire formats such as
//! `"Y"`/`"N"` are already applied) in that notation:
//!
//! | JSON | query string | note |
//! |---|---|---|
//! | object `{"filter": {">ID": 5}}` | `filter[>ID]=5` | one bracket pair per level |
//! | array `{"select": ["ID", "TITLE"]}` | `select[0]=ID&select[1]=TITLE` | explicit indices, never `[]` |
//! | string | percent-encoded UTF-8 | `"a&b c"` → `a%26b%20c` |
//! | number | its JSON text, percent-encoded | `5`, `-1`, `1.5`; `1e+300` → `1e%2B300` (PHP reads a bare `+` as a space) |
//! | `true` / `false` | `1` / `0` | as PHP's `http_build_query`; a parameter documented as `"Y"`/`"N"` is already a string |
//! | `[]`, `{}` | nothing | as `http_build_query`: an empty value would arrive as the string `""`, which methods reject where they expect an array (`Parameter 'filter' must be array`); omitting it is the same as not passing it |
//! | `null` | refused | `parse_str` has no null; `key=` would arrive as `""`, a different value. The error names the key |
//! | a NUL character (U+0000) in a name or value | refused | PHP cuts a name at NUL, so the value would land under another key |
//! | more than 64 levels of nesting | refused | PHP drops a variable nested deeper than `max_input_nesting_level` (64) |
//!
//! Names: the brackets are literal; inside a name, `&`, `=`, `+`, `%`, `#`, spaces and other
//! characters that query syntax gives a meaning to are percent-encoded, while filter
//! operators stay readable (`filter[>=DATE]`, `filter[!@ID]`; `=` and `%` as in `=%TITLE`
//! become `%3D%25TITLE`). A name that contains `[` or `]` cannot be written (PHP would read
//! the brackets as nesting), nor an empty name (`a[]` appends in PHP); top-level names
//! with `.` or a space are refused too (PHP renames them to `_`).
//!
//! Values: everything but letters, digits, `-._~` is percent-encoded, except `$`, `[` and `]`
//! so that a batch reference such as `$result[cmd0][ID]` stays readable. The portal
//! substitutes references after decoding, so a value that *contains* `$result[...]` is
//! always read as a reference, however it is encoded.

use std::borrow::Cow;
use std::fmt;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::{Map, Value};

/// Characters percent-encoded inside a name segment (between brackets, or the top-level
/// name): all but letters, digits, `-._~` and the filter-operator characters `><!@*`.
const NAME: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'>')
    .remove(b'<')
    .remove(b'!')
    .remove(b'@')
    .remove(b'*');

/// Characters percent-encoded in a value: all but letters, digits, `-._~` and the
/// reference characters `$[]`.
const VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'$')
    .remove(b'[')
    .remove(b']');

/// PHP's `max_input_nesting_level`: bracket levels below the top-level name.
const MAX_NESTING: usize = 64;

/// A value that has no PHP query-string form; see [`encode`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryError {
    key: String,
    problem: &'static str,
}

impl QueryError {
    /// The offending name in bracket notation, e.g. `filter[UF_CRM_1]` (empty for the
    /// top-level value itself).
    pub fn key(&self) -> &str {
        &self.key
    }
}

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.key.is_empty() {
            write!(
                f,
                "cannot encode the parameters as a query string: {}",
                self.problem
            )
        } else {
            write!(
                f,
                "cannot encode `{}` as a query string: {}",
                self.key, self.problem
            )
        }
    }
}

impl std::error::Error for QueryError {}

/// Encodes request parameters (a JSON object, as a request serialises) as a PHP-style
/// query string, without the leading `?`; `null` (a request without parameters) is the
/// empty string. See the [module docs](self) for every rule.
///
/// # Errors
/// [`QueryError`] naming the key when a value is `null`, a name is empty or holds `[` or
/// `]`, a top-level name holds `.` or a space, a name or value holds a NUL character, the
/// nesting is deeper than 64 levels, or `params` is neither an object nor `null`.
pub fn encode(params: &Value) -> Result<String, QueryError> {
    let mut out = String::new();
    match params {
        Value::Null => {}
        Value::Object(map) => encode_object(map, &mut Vec::new(), &mut out)?,
        _ => {
            return Err(QueryError {
                key: String::new(),
                problem: "the parameters must be a JSON object",
            });
        }
    }
    Ok(out)
}

/// The path of names leading to a value; `path[0]` is the top-level name.
fn key_text(path: &[Cow<'_, str>]) -> String {
    let mut s = String::new();
    for (i, seg) in path.iter().enumerate() {
        if i == 0 {
            s.push_str(seg);
        } else {
            s.push('[');
            s.push_str(seg);
            s.push(']');
        }
    }
    s
}

fn encode_object<'a>(
    map: &'a Map<String, Value>,
    path: &mut Vec<Cow<'a, str>>,
    out: &mut String,
) -> Result<(), QueryError> {
    for (k, v) in map {
        check_name(k, path)?;
        path.push(Cow::Borrowed(k));
        encode_value(v, path, out)?;
        path.pop();
    }
    Ok(())
}

fn check_name(name: &str, parent: &[Cow<'_, str>]) -> Result<(), QueryError> {
    let fail = |problem| {
        let mut path = parent.to_vec();
        path.push(Cow::Borrowed(name));
        Err(QueryError {
            key: key_text(&path),
            problem,
        })
    };
    if name.is_empty() {
        return fail("an empty name cannot be written (PHP reads `a[]` as an append)");
    }
    if name.contains(['[', ']']) {
        return fail("a name holding `[` or `]` cannot be written (PHP reads brackets as nesting)");
    }
    if parent.is_empty() && name.contains(['.', ' ']) {
        return fail("PHP renames a top-level name holding `.` or a space");
    }
    if name.contains('\0') {
        return fail("a name holding a NUL character cannot be written (PHP cuts the name there)");
    }
    Ok(())
}

fn encode_value<'a>(
    v: &'a Value,
    path: &mut Vec<Cow<'a, str>>,
    out: &mut String,
) -> Result<(), QueryError> {
    if path.len() > MAX_NESTING + 1 {
        return Err(QueryError {
            key: key_text(&path[..MAX_NESTING + 2]),
            problem: "nested deeper than 64 levels (PHP drops such a variable)",
        });
    }
    let scalar = match v {
        Value::Null => {
            return Err(QueryError {
                key: key_text(path),
                problem: "null has no query-string form (leave the key out instead)",
            });
        }
        Value::Object(map) => return encode_object(map, path, out),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                path.push(Cow::Owned(i.to_string()));
                encode_value(item, path, out)?;
                path.pop();
            }
            return Ok(());
        }
        Value::Bool(b) => if *b { "1" } else { "0" }.to_owned(),
        Value::Number(n) => utf8_percent_encode(&n.to_string(), VALUE).to_string(),
        Value::String(s) if s.contains('\0') => {
            return Err(QueryError {
                key: key_text(path),
                problem: "a value holding a NUL character cannot be written (PHP would not read it back whole)",
            });
        }
        Value::String(s) => utf8_percent_encode(s, VALUE).to_string(),
    };
    if !out.is_empty() {
        out.push('&');
    }
    for (i, seg) in path.iter().enumerate() {
        if i > 0 {
            out.push('[');
        }
        out.extend(utf8_percent_encode(seg.as_ref(), NAME));
        if i > 0 {
            out.push(']');
        }
    }
    out.push('=');
    out.push_str(&scalar);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nested_and_arrays() {
        let q = encode(&json!({
            "filter": {">ID": 5, "@STAGE_ID": ["NEW", "WON"]},
            "select": ["ID", "TITLE"],
            "start": -1
        }))
        .unwrap();
        assert_eq!(
            q,
            "filter[>ID]=5&filter[@STAGE_ID][0]=NEW&filter[@STAGE_ID][1]=WON&select[0]=ID&select[1]=TITLE&start=-1"
        );
    }
}
