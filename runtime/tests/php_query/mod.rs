//! A small model of the portal's side of a batch command, for the tests: PHP's `parse_str`
//! (percent-decoding, bracket nesting) and the `$result[...]` substitution of the REST
//! module (a reference that does not resolve to the end yields the last value it reached,
//! as the portal does).

#![allow(dead_code)]

use percent_encoding::percent_decode_str;
use serde_json::{Map, Value};

/// `parse_str`: every value is a string, nesting by brackets (arrays become objects keyed
/// `"0"`, `"1"`, ... as PHP arrays are).
pub fn parse_str(query: &str) -> Map<String, Value> {
    let mut out = Map::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let key = decode(k);
        let value = decode(v);
        let (base, rest) = match key.find('[') {
            Some(i) => (&key[..i], &key[i..]),
            None => (key.as_str(), ""),
        };
        let mut segs = vec![base.to_owned()];
        let mut rest = rest;
        while let Some(stripped) = rest.strip_prefix('[') {
            let end = stripped.find(']').expect("closing bracket");
            segs.push(stripped[..end].to_owned());
            rest = &stripped[end + 1..];
        }
        insert(&mut out, &segs, Value::String(value));
    }
    out
}

fn decode(s: &str) -> String {
    percent_decode_str(&s.replace('+', " "))
        .decode_utf8()
        .expect("utf-8")
        .into_owned()
}

fn insert(map: &mut Map<String, Value>, segs: &[String], v: Value) {
    if segs.len() == 1 {
        map.insert(segs[0].clone(), v);
        return;
    }
    let child = map
        .entry(segs[0].clone())
        .or_insert_with(|| Value::Object(Map::new()));
    if !child.is_object() {
        *child = Value::Object(Map::new());
    }
    insert(child.as_object_mut().unwrap(), &segs[1..], v);
}

/// The command `method?query` split and parsed.
pub fn command(text: &str) -> (String, Map<String, Value>) {
    let (method, query) = text.split_once('?').unwrap_or((text, ""));
    (method.to_owned(), parse_str(query))
}

/// Replaces `$result[key][...]` values by what they point at in `results` (the `result`
/// section so far); a path that stops early yields the last value reached.
pub fn substitute(params: &mut Value, results: &Map<String, Value>) {
    match params {
        Value::Object(map) => map.values_mut().for_each(|v| substitute(v, results)),
        Value::String(s) if s.starts_with("$result[") => {
            let mut cur = Value::Object(results.clone());
            let path = &s["$result".len()..];
            for seg in path.split('[').filter(|p| !p.is_empty()) {
                let seg = seg.trim_end_matches(']');
                let next = match &cur {
                    Value::Object(m) => m.get(seg).cloned(),
                    Value::Array(a) => seg.parse::<usize>().ok().and_then(|i| a.get(i).cloned()),
                    _ => None,
                };
                match next {
                    Some(n) => cur = n,
                    None => break,
                }
            }
            *params = cur;
        }
        _ => {}
    }
}
