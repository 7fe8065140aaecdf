//! `application/x-www-form-urlencoded` bodies in PHP bracket notation, parsed strictly.

use std::borrow::Cow;

use serde_json::{Map, Value};

use super::error::{EventError, FormFault, quote};
use super::{MAX_BODY_BYTES, MAX_DEPTH};

/// Parses a form body in PHP bracket notation into a JSON tree whose leaves are strings.
///
/// - Pairs are separated by `&` (empty pairs are skipped); a pair without `=` has the value
///   `""`. Keys and values are percent-decoded form-style: `+` is a space, `%XX` a byte
///   (an invalid escape such as `%zz` is kept as is, as PHP does); the bytes must then be
///   UTF-8.
/// - Brackets nest, after decoding (so `%5B`/`%5D` are brackets too):
///   `a[b][c]=v` → `{"a":{"b":{"c":"v"}}}`; `a[]=x&a[]=y` → `{"a":["x","y"]}` (each `[]`
///   appends a new element, also in the middle: `a[][b]=1` → `{"a":[{"b":"1"}]}`); numeric
///   keys stay object keys: `a[0]=x` → `{"a":{"0":"x"}}` (decoding into a `Vec` with
///   [`wire::Decode`](crate::wire::Decode) accepts that). Keys keep the body's order.
/// - Unlike PHP, which silently keeps the last of two values or invents a key, this is
///   strict: a duplicated key, a key that is both a value and a map (or both a list and a
///   map), malformed brackets (`a[b`, `a]b`, `[x]`, `a[b]c`, `a[[b]]`), an empty key, more
///   than [`MAX_DEPTH`] (16) bracket levels, and invalid UTF-8 are
///   [`EventError::Malformed`] errors naming the key, the pair index and the byte offset;
///   a body over [`MAX_BODY_BYTES`] (1 MiB) is [`EventError::TooLarge`]. The top-level
///   key is taken as is (PHP's replacement of `.` and spaces by `_` is not applied).
///
/// Returns a JSON object (`{}` for an empty body). Never panics.
///
/// ```
/// let v = bitrix24_runtime::event::parse_form(b"event=ONCRMACTIVITYADD&data%5BFIELDS%5D%5BID%5D=999")?;
/// assert_eq!(v, serde_json::json!({"event": "ONCRMACTIVITYADD", "data": {"FIELDS": {"ID": "999"}}}));
/// let e = bitrix24_runtime::event::parse_form(b"a=1&a=2").unwrap_err();
/// assert_eq!(e.to_string(), r#"malformed event body: duplicated key in key "a" (pair 1, byte 4)"#);
/// # Ok::<(), bitrix24_runtime::event::EventError>(())
/// ```
pub fn parse_form(body: &[u8]) -> Result<Value, EventError> {
    if body.len() > MAX_BODY_BYTES {
        return Err(EventError::TooLarge {
            len: body.len(),
            limit: MAX_BODY_BYTES,
        });
    }
    let mut root = Value::Object(Map::new());
    let mut offset = 0usize;
    for (pair, segment) in body.split(|&b| b == b'&').enumerate() {
        let start = offset;
        offset += segment.len() + 1;
        if segment.is_empty() {
            continue;
        }
        let mut halves = segment.splitn(2, |&b| b == b'=');
        let raw_key = halves.next().unwrap_or_default();
        let raw_value = halves.next().unwrap_or_default();
        let fail = |fault: FormFault, key: &str| EventError::Malformed {
            fault,
            key: quote(key),
            pair,
            offset: start,
        };
        let key = match decode(raw_key) {
            Ok(k) => k,
            Err(bytes) => {
                return Err(fail(
                    FormFault::InvalidUtf8Key,
                    &String::from_utf8_lossy(&bytes),
                ));
            }
        };
        let value = decode(raw_value).map_err(|_| fail(FormFault::InvalidUtf8Value, &key))?;
        // A malformed key is quoted only up to where it went wrong: a pair that lost its
        // `=` (`auth[application_token]TOKEN`) would otherwise quote the token.
        let path = split_key(&key).map_err(|(fault, valid)| {
            let mut shown = key.get(..valid).unwrap_or_default().to_owned();
            if valid < key.len() {
                shown.push('…');
            }
            EventError::Malformed {
                fault,
                key: quote(&shown),
                pair,
                offset: start,
            }
        })?;
        put(&mut root, &path, value).map_err(|fault| fail(fault, &key))?;
    }
    Ok(root)
}

/// Form-decodes `raw` (`+` → space, then percent-decoding) into a string; the decoded bytes
/// when they are not UTF-8.
fn decode(raw: &[u8]) -> Result<String, Vec<u8>> {
    let spaced: Cow<'_, [u8]> = if raw.contains(&b'+') {
        Cow::Owned(
            raw.iter()
                .map(|&b| if b == b'+' { b' ' } else { b })
                .collect(),
        )
    } else {
        Cow::Borrowed(raw)
    };
    let bytes: Cow<'_, [u8]> = percent_encoding::percent_decode(&spaced).into();
    String::from_utf8(bytes.into_owned()).map_err(|e| e.into_bytes())
}

/// Splits `name[a][][b]` into `[Some("name"), Some("a"), None, Some("b")]` (`None` is an
/// append, `[]`); on a fault, also how many bytes of the key were well-formed.
fn split_key(key: &str) -> Result<Vec<Option<&str>>, (FormFault, usize)> {
    if key.is_empty() {
        return Err((FormFault::EmptyKey, 0));
    }
    let (name, mut rest) = match key.find('[') {
        Some(i) => key.split_at(i),
        None => (key, ""),
    };
    if name.contains(']') {
        return Err((FormFault::Brackets("`]` without a matching `[`"), 0));
    }
    if name.is_empty() {
        return Err((FormFault::Brackets("no name before `[`"), 0));
    }
    let mut path = vec![Some(name)];
    while !rest.is_empty() {
        let valid = key.len() - rest.len();
        let Some(inner_and_more) = rest.strip_prefix('[') else {
            return Err(if rest.starts_with(']') {
                (FormFault::Brackets("`]` without a matching `[`"), valid)
            } else {
                (FormFault::Brackets("text after `]`"), valid)
            });
        };
        let Some((inner, more)) = inner_and_more.split_once(']') else {
            return Err((FormFault::Brackets("unclosed `[`"), valid));
        };
        if inner.contains('[') {
            return Err((FormFault::Brackets("`[` inside brackets"), valid));
        }
        if path.len() > MAX_DEPTH {
            // Count the remaining levels roughly for the message; the key is refused anyway.
            let depth = path.len() + more.matches('[').count();
            return Err((FormFault::TooDeep { depth }, valid));
        }
        path.push(if inner.is_empty() { None } else { Some(inner) });
        rest = more;
    }
    Ok(path)
}

/// Stores `value` at `path` below `slot` (an object or array being built, or `Null` for a
/// slot created just now).
fn put(slot: &mut Value, path: &[Option<&str>], value: String) -> Result<(), FormFault> {
    let Some((segment, rest)) = path.split_first() else {
        return match slot {
            Value::Null => {
                *slot = Value::String(value);
                Ok(())
            }
            Value::String(_) => Err(FormFault::DuplicateKey),
            _ => Err(FormFault::ValueAndMap),
        };
    };
    if slot.is_null() {
        *slot = match segment {
            Some(_) => Value::Object(Map::new()),
            None => Value::Array(Vec::new()),
        };
    }
    let child = match (slot, segment) {
        (Value::Object(map), Some(key)) => map.entry(*key).or_insert(Value::Null),
        (Value::Array(list), None) => {
            let mut element = Value::Null;
            put(&mut element, rest, value)?;
            list.push(element);
            return Ok(());
        }
        (Value::Object(_), None) | (Value::Array(_), Some(_)) => {
            return Err(FormFault::ListAndMap);
        }
        _ => return Err(FormFault::ValueAndMap),
    };
    put(child, rest, value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_key_shapes() {
        assert_eq!(split_key("a"), Ok(vec![Some("a")]));
        assert_eq!(
            split_key("a[b][][c]"),
            Ok(vec![Some("a"), Some("b"), None, Some("c")])
        );
        assert_eq!(split_key(""), Err((FormFault::EmptyKey, 0)));
        assert_eq!(
            split_key("auth[application_token]SECRET"),
            Err((FormFault::Brackets("text after `]`"), 23))
        );
        assert!(matches!(split_key("a[b"), Err((FormFault::Brackets(_), _))));
        assert!(matches!(split_key("a]b"), Err((FormFault::Brackets(_), _))));
        assert!(matches!(split_key("[x]"), Err((FormFault::Brackets(_), _))));
        assert!(matches!(
            split_key("a[b]c"),
            Err((FormFault::Brackets(_), _))
        ));
        assert!(matches!(
            split_key("a[b]]"),
            Err((FormFault::Brackets(_), _))
        ));
        assert!(matches!(
            split_key("a[[b]]"),
            Err((FormFault::Brackets(_), _))
        ));
        let deep = format!("a{}", "[x]".repeat(MAX_DEPTH));
        assert_eq!(split_key(&deep).map(|p| p.len()), Ok(MAX_DEPTH + 1));
        let deeper = format!("a{}", "[x]".repeat(MAX_DEPTH + 1));
        assert_eq!(
            split_key(&deeper),
            Err((
                FormFault::TooDeep {
                    depth: MAX_DEPTH + 1
                },
                1 + 3 * MAX_DEPTH
            ))
        );
    }

    #[test]
    fn decode_is_form_style_and_strict() {
        assert_eq!(decode(b"a+b%2Bc%20d"), Ok("a b+c d".to_owned()));
        assert_eq!(decode(b"%zz%"), Ok("%zz%".to_owned()));
        assert_eq!(decode(b"%FF"), Err(vec![0xFF]));
        assert_eq!(decode(b"%EF%BF%BD"), Ok("\u{FFFD}".to_owned()));
    }
}
