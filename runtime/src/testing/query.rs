//! PHP-style query strings (`filter[>ID]=5&select[]=ID&select[]=TITLE`), as `batch` commands
//! and form-encoded requests carry them, decoded the way PHP's `parse_str` does.

use percent_encoding::percent_decode_str;
use serde_json::{Map, Value};

/// Decodes a PHP-style query string into a JSON object, as PHP's `parse_str` would.
///
/// - pairs are split on `&`, each at its first `=`; `+` is a space and `%XX` escapes are
///   decoded (invalid UTF-8 is replaced by U+FFFD);
/// - `a[b][c]=1` nests (`{"a": {"b": {"c": "1"}}}`); `a[]=1&a[]=2` appends with the next
///   integer index, as PHP does;
/// - a bracketed level whose keys end up exactly `0, 1, ..., n-1` in that order becomes a
///   JSON array (PHP would send that array as a JSON list);
/// - every value is a string (the portal sees strings, whatever the client meant);
/// - a key without a name (`=x`, `[a]=x`) is skipped; a later value for the same key
///   replaces the earlier one;
/// - the top-level name loses leading spaces, is cut at a NUL character, and has ` ` and
///   `.` (and a first `[` that is never closed) replaced by `_`; a bracketed name is cut
///   at its first `]` (`a[b[c]]` is `a` → `b[c`), and text after the last `]` is ignored;
/// - a key nested deeper than 64 bracket levels (`max_input_nesting_level`) is dropped.
///
/// ```
/// # use bitrix24_runtime::testing::parse_php_query;
/// let v = parse_php_query("filter[>ID]=5&select[]=ID&select[]=TITLE&start=-1");
/// assert_eq!(v, serde_json::json!({
///     "filter": {">ID": "5"}, "select": ["ID", "TITLE"], "start": "-1"
/// }));
/// ```
pub fn parse_php_query(query: &str) -> Value {
    let mut root = Node::Map(Vec::new());
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (raw_key, raw_value) = pair.split_once('=').unwrap_or((pair, ""));
        let key = decode(raw_key);
        let value = decode(raw_value);
        let Some(path) = key_path(&key) else {
            continue;
        };
        root.insert(&path, value);
    }
    match root {
        // The top level is a set of named parameters: always an object.
        Node::Map(entries) => Value::Object(
            entries
                .into_iter()
                .map(|(k, v)| (k, v.into_value()))
                .collect(),
        ),
        Node::Leaf(_) => Value::Object(Map::new()),
    }
}

/// `+` as space, then percent-decoding.
fn decode(s: &str) -> String {
    let plus = s.replace('+', " ");
    percent_decode_str(&plus).decode_utf8_lossy().into_owned()
}

/// `a[b][]` → `[Some("a"), Some("b"), None]` (`None` = append), following
/// `php_register_variable_ex`. `None` when the name is empty or nested too deep.
fn key_path(key: &str) -> Option<Vec<Option<String>>> {
    let key = key.split('\0').next().unwrap_or("");
    let key = key.trim_start_matches(' ');
    let (name, mut rest) = match key.find('[') {
        Some(i) if key[i..].contains(']') => (key[..i].to_owned(), &key[i..]),
        // A first `[` that is never closed becomes `_`, and the rest is the name.
        Some(i) => (format!("{}_{}", &key[..i], &key[i + 1..]), ""),
        None => (key.to_owned(), ""),
    };
    if name.is_empty() {
        return None;
    }
    let name = name.replace([' ', '.'], "_");
    let mut path = vec![Some(name)];
    while let Some(stripped) = rest.strip_prefix('[') {
        let Some(end) = stripped.find(']') else {
            break;
        };
        let segment = &stripped[..end];
        path.push((!segment.is_empty()).then(|| segment.to_owned()));
        rest = &stripped[end + 1..];
    }
    if path.len() > MAX_NESTING + 1 {
        return None;
    }
    Some(path)
}

/// PHP's `max_input_nesting_level`.
const MAX_NESTING: usize = 64;

/// An ordered PHP array under construction.
enum Node {
    Leaf(String),
    Map(Vec<(String, Node)>),
}

impl Node {
    fn insert(&mut self, path: &[Option<String>], value: String) {
        let Some((first, rest)) = path.split_first() else {
            *self = Node::Leaf(value);
            return;
        };
        if let Node::Leaf(_) = self {
            *self = Node::Map(Vec::new());
        }
        let Node::Map(entries) = self else {
            return;
        };
        let key = match first {
            Some(k) => k.clone(),
            None => next_index(entries).to_string(),
        };
        let child = match entries.iter().position(|(k, _)| *k == key) {
            Some(i) => &mut entries[i].1,
            None => {
                entries.push((key, Node::Map(Vec::new())));
                let last = entries.len() - 1;
                &mut entries[last].1
            }
        };
        if rest.is_empty() {
            *child = Node::Leaf(value);
        } else {
            child.insert(rest, value);
        }
    }

    fn into_value(self) -> Value {
        match self {
            Node::Leaf(s) => Value::String(s),
            Node::Map(entries) => {
                let map: Map<String, Value> = entries
                    .into_iter()
                    .map(|(k, v)| (k, v.into_value()))
                    .collect();
                php_array(map)
            }
        }
    }
}

/// PHP's next automatic index: one more than the largest integer key, or 0.
fn next_index(entries: &[(String, Node)]) -> i64 {
    entries
        .iter()
        .filter_map(|(k, _)| k.parse::<i64>().ok())
        .max()
        .map_or(0, |m| m.saturating_add(1).max(0))
}

/// A PHP array as `json_encode` writes it: a JSON list when its keys are exactly
/// `"0", "1", ..., "n-1"` in order (an empty array is `[]`), an object otherwise.
pub(crate) fn php_array(map: Map<String, Value>) -> Value {
    let is_list = map
        .keys()
        .enumerate()
        .all(|(i, k)| k.parse::<usize>().ok() == Some(i) && *k == i.to_string());
    if is_list {
        Value::Array(map.into_iter().map(|(_, v)| v).collect())
    } else {
        Value::Object(map)
    }
}

/// Encodes JSON parameters as a PHP-style query string (the inverse of
/// [`parse_php_query`], up to value types): `{"filter": {">ID": 5}}` →
/// `filter%5B%3EID%5D=5`. `null` becomes an empty value, booleans `1` / `0` (empty for
/// `false` in PHP; `0` here, which PHP code reads as false too).
///
/// ```
/// # use bitrix24_runtime::testing::{parse_php_query, to_php_query};
/// let params = serde_json::json!({"filter": {">ID": 5}, "select": ["ID", "TITLE"]});
/// let q = to_php_query(&params);
/// assert_eq!(q, "filter%5B%3EID%5D=5&select%5B0%5D=ID&select%5B1%5D=TITLE");
/// assert_eq!(parse_php_query(&q)["select"], serde_json::json!(["ID", "TITLE"]));
/// ```
pub fn to_php_query(params: &Value) -> String {
    let mut out = Vec::new();
    if let Value::Object(map) = params {
        for (k, v) in map {
            push_pairs(&mut out, k.clone(), v);
        }
    }
    out.join("&")
}

fn push_pairs(out: &mut Vec<String>, key: String, value: &Value) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                push_pairs(out, format!("{key}[{k}]"), v);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                push_pairs(out, format!("{key}[{i}]"), v);
            }
        }
        scalar => {
            let text = match scalar {
                Value::Null => String::new(),
                Value::Bool(b) => if *b { "1" } else { "0" }.to_owned(),
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            out.push(format!("{}={}", encode(&key), encode(&text)));
        }
    }
}

fn encode(s: &str) -> String {
    const SET: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    percent_encoding::utf8_percent_encode(s, SET).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nesting_and_lists() {
        assert_eq!(
            parse_php_query("a=1&b[c]=2&b[d][]=3&b[d][]=4&e[0]=x&e[1]=y&f[1]=z"),
            json!({"a": "1", "b": {"c": "2", "d": ["3", "4"]}, "e": ["x", "y"], "f": {"1": "z"}})
        );
    }

    #[test]
    fn decoding_and_odd_keys() {
        assert_eq!(
            parse_php_query("q=a+b%20c&%5Bx%5D=1&=2&&k&name[=3&t[a]=1&t=2"),
            json!({"q": "a b c", "k": "", "name_": "3", "t": "2"})
        );
        assert_eq!(parse_php_query(""), json!({}));
        assert_eq!(parse_php_query("0=a&1=b"), json!({"0": "a", "1": "b"}));
        assert_eq!(
            parse_php_query("a[]=1&a[5]=2&a[]=3"),
            json!({"a": {"0": "1", "5": "2", "6": "3"}})
        );
        assert_eq!(parse_php_query("x=%FF"), json!({"x": "\u{FFFD}"}));
        assert_eq!(parse_php_query("x[a]b=1"), json!({"x": {"a": "1"}}));
    }

    #[test]
    fn round_trip() {
        let v = json!({"fields": {"TITLE": "a&b=c [x]", "IDS": [1, 2]}, "halt": true, "n": null});
        assert_eq!(
            parse_php_query(&to_php_query(&v)),
            json!({"fields": {"TITLE": "a&b=c [x]", "IDS": ["1", "2"]}, "halt": "1", "n": ""})
        );
    }
}
