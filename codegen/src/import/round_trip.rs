//! Does every documented example round-trip through the typed API? The generated tests
//! demand that a response example holds nothing undocumented (no unknown key, no enum
//! value the docs do not list) and that an error example's code is documented. Here the
//! importer decides it first, by rule:
//!
//! - a key a response example shows but the docs' field table lacks becomes a field of
//!   that type, typed from the example (the portal sends it; the docs forgot it);
//! - a custom field (`UF_*`: per portal, kept in `extra()`) or an enum value the docs do
//!   not list, and an error example whose code neither the page nor the system errors
//!   document, cannot round-trip: the example keeps `skip_round_trip` with the reason;
//! - a request example cannot round-trip when it sends what the typed request cannot send
//!   back the same: a key inside a parameter object the docs do not list (a per-portal
//!   property such as `property258`), an enum value they do not list, `""` for an optional
//!   field whose type reads `""` as absent, a date not written `YYYY-MM-DD`, or a
//!   date-time `bitrix24_runtime::DateTime` does not read (`10.10.2024 15:55:30`: see
//!   [`crate::spec::datetime`]; one it reads it writes back as it was).

use serde_json::Value;

use crate::generate::rust::error_code::normalize;
use crate::spec::model::{EnumValue, ErrorDoc, Field, Method, TypeDef};

use super::shapes::is_identifier;
use crate::spec::types::{Scalar, TypeExpr};

const MAX_DEPTH: usize = 24;

/// Applies the rules to the response examples of `m`; returns notes.
pub fn settle(m: &mut Method) -> Vec<String> {
    let mut notes = Vec::new();
    let result_ty = m.result.ty.clone();
    for i in 0..m.examples.response.len() {
        if m.examples.response[i].skip_round_trip.is_some() {
            continue;
        }
        let Ok(v) = serde_json::from_str::<Value>(&m.examples.response[i].json) else {
            continue;
        };
        let Some(r) = v.get("result") else {
            continue;
        };
        let mut found = Found::default();
        walk(&result_ty, r, "$", &mut m.types, &mut found, 0);
        for (ty, key) in &found.added {
            notes.push(format!(
                "response example {i}: `{key}` is not in the docs' table of `{ty}`: added, typed from the example"
            ));
        }
        if let Some(why) = reason(&[
            (
                &found.custom,
                "shows custom fields ({}), which are per portal and stay in `extra()`",
            ),
            (&found.values, "has values the docs do not list ({})"),
        ]) {
            notes.push(format!("response example {i}: {why}"));
            m.examples.response[i].skip_round_trip = Some(why);
        }
    }
    notes
}

/// Applies the request rules (see the module docs) to the request examples of `m`;
/// returns notes.
pub fn settle_requests(m: &mut Method) -> Vec<String> {
    let mut notes = Vec::new();
    for i in 0..m.examples.request.len() {
        if m.examples.request[i].skip_round_trip.is_some() {
            continue;
        }
        let Ok(Value::Object(o)) = serde_json::from_str::<Value>(&m.examples.request[i].json)
        else {
            continue;
        };
        let mut found = Sent::default();
        for (k, v) in &o {
            if let Some(p) = m.params.iter().find(|p| &p.name == k) {
                sent_field(p, v, &format!("$.{k}"), &m.types, &mut found, 0);
            }
        }
        if let Some(why) = reason(&[
            (
                &found.unknown,
                "sends keys the docs do not list ({}: per-portal fields or undocumented ones)",
            ),
            (&found.values, "sends values the docs do not list ({})"),
            (
                &found.empty,
                "sends `\"\"` for {}, which the typed request reads as absent and leaves out",
            ),
            (
                &found.dates,
                "writes dates not as `YYYY-MM-DD` ({}), which the typed request sends in that form",
            ),
            (
                &found.datetimes,
                "writes date-times in a form the typed request does not read ({}; it reads RFC 3339 and `YYYY-MM-DD hh:mm:ss`)",
            ),
        ]) {
            notes.push(format!("request example {i}: {why}"));
            m.examples.request[i].skip_round_trip = Some(why);
        }
    }
    notes
}

/// "the example X; it Y" from each non-empty list of paths with its sentence (`{}`
/// stands for the list); `None` when every list is empty.
fn reason(parts: &[(&Vec<String>, &str)]) -> Option<String> {
    let why: Vec<String> = parts
        .iter()
        .filter(|(list, _)| !list.is_empty())
        .map(|(list, sentence)| sentence.replacen("{}", &list.join(", "), 1))
        .collect();
    (!why.is_empty()).then(|| format!("the example {}", why.join("; it ")))
}

/// `` `value` at `path` `` when `v` is an enum value the docs do not list (`""` is absent,
/// not a value).
fn unlisted(values: &[EnumValue], v: &Value, at: &str) -> Option<String> {
    let s = match v {
        Value::String(s) => s.clone(),
        Value::Number(x) => x.to_string(),
        _ => return None,
    };
    (!s.is_empty() && !values.iter().any(|e| e.value == s)).then(|| format!("`{s}` at `{at}`"))
}

/// What a request example sends that the typed request cannot send back the same.
#[derive(Default)]
struct Sent {
    unknown: Vec<String>,
    values: Vec<String>,
    empty: Vec<String>,
    dates: Vec<String>,
    datetimes: Vec<String>,
}

/// Whether a field of type `ty` keeps `""` as a value (text and untyped JSON do; every
/// other type reads `""` as absent, as the client does).
fn keeps_empty(ty: &str) -> bool {
    matches!(
        TypeExpr::parse(ty),
        Ok(TypeExpr::Scalar(
            Scalar::String | Scalar::Char | Scalar::Any
        ))
    )
}

/// `2025-01-31`, exactly: the form a typed date is sent in.
pub(crate) fn is_plain_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            _ => c.is_ascii_digit(),
        })
}

fn sent_field(f: &Field, v: &Value, at: &str, types: &[TypeDef], found: &mut Sent, depth: usize) {
    let optional = !f.required || f.ty.ends_with("| null");
    if v.as_str() == Some("") && optional && !keeps_empty(&f.ty) {
        found.empty.push(format!("`{at}`"));
        return;
    }
    sent(&f.ty, v, at, types, found, depth);
}

fn sent(ty: &str, v: &Value, at: &str, types: &[TypeDef], found: &mut Sent, depth: usize) {
    if depth > MAX_DEPTH || v.is_null() {
        return;
    }
    let Ok(t) = TypeExpr::parse(ty) else {
        return;
    };
    match (&t, v) {
        (TypeExpr::Nullable(inner), _) => sent(&inner.to_string(), v, at, types, found, depth + 1),
        (TypeExpr::Array(inner), Value::Array(a)) => {
            let inner = inner.to_string();
            for (i, item) in a.iter().enumerate() {
                sent(&inner, item, &format!("{at}[{i}]"), types, found, depth + 1);
            }
        }
        (TypeExpr::Map(inner), Value::Object(o)) => {
            let inner = inner.to_string();
            for (k, item) in o {
                sent(&inner, item, &format!("{at}.{k}"), types, found, depth + 1);
            }
        }
        (TypeExpr::Scalar(Scalar::Date), Value::String(s))
            if !s.is_empty() && !is_plain_date(s) =>
        {
            found.dates.push(format!("`{s}` at `{at}`"));
        }
        // `""` of an optional field is reported as empty (above); of a required one it
        // does not decode.
        (TypeExpr::Scalar(Scalar::Datetime), Value::String(s))
            if !crate::spec::datetime::round_trips(s) =>
        {
            found.datetimes.push(format!("`{s}` at `{at}`"));
        }
        (TypeExpr::Named(n), _) => {
            let Some(def) = types.iter().find(|t| &t.name == n) else {
                return;
            };
            if let Some(values) = &def.values {
                found.values.extend(unlisted(values, v, at));
                return;
            }
            let (Value::Object(o), Some(fields)) = (v, &def.fields) else {
                return;
            };
            for (k, fv) in o {
                let here = format!("{at}.{k}");
                match fields.iter().find(|f| &f.name == k) {
                    Some(f) => sent_field(f, fv, &here, types, found, depth + 1),
                    None => found.unknown.push(format!("`{here}`")),
                }
            }
        }
        _ => {}
    }
}

/// Error examples whose code no documented error has (`codes`: every error `ErrorCode`
/// is generated from) cannot round-trip: says why in `skip_round_trip`; returns notes.
pub fn settle_errors(m: &mut Method, codes: &[ErrorDoc]) -> Vec<String> {
    let mut notes = Vec::new();
    let known: std::collections::BTreeSet<String> =
        codes.iter().map(|e| normalize(&e.code)).collect();
    for (i, ex) in m.examples.error.iter_mut().enumerate() {
        if ex.skip_round_trip.is_some() {
            continue;
        }
        let Ok(v) = serde_json::from_str::<Value>(&ex.json) else {
            continue;
        };
        let Some((code, _)) = crate::spec::error_of_example(&v) else {
            continue;
        };
        if !known.contains(&normalize(&code)) {
            let why = format!(
                "the example answers the code `{code}`, which no error table of the docs (nor the system errors) lists"
            );
            notes.push(format!("error example {i}: {why}"));
            ex.skip_round_trip = Some(why);
        }
    }
    notes
}

#[derive(Default)]
struct Found {
    /// `(type, key)` fields added from the example.
    added: Vec<(String, String)>,
    /// Paths of custom fields.
    custom: Vec<String>,
    /// Paths and values of undocumented enum values.
    values: Vec<String>,
}

fn walk(ty: &str, v: &Value, at: &str, types: &mut Vec<TypeDef>, found: &mut Found, depth: usize) {
    if depth > MAX_DEPTH || v.is_null() {
        return;
    }
    let Ok(t) = TypeExpr::parse(ty) else {
        return;
    };
    match (&t, v) {
        (TypeExpr::Nullable(inner), _) => {
            walk(&inner.to_string(), v, at, types, found, depth + 1);
        }
        (TypeExpr::Array(inner), Value::Array(a)) => {
            let inner = inner.to_string();
            for (i, item) in a.iter().enumerate() {
                walk(&inner, item, &format!("{at}[{i}]"), types, found, depth + 1);
            }
        }
        (TypeExpr::Map(inner), Value::Object(o)) => {
            let inner = inner.to_string();
            for (k, item) in o {
                walk(&inner, item, &format!("{at}.{k}"), types, found, depth + 1);
            }
        }
        (TypeExpr::Named(n), _) => {
            let Some(slot) = types.iter().position(|t| &t.name == n) else {
                return;
            };
            if let Some(values) = &types[slot].values {
                found.values.extend(unlisted(values, v, at));
                return;
            }
            let Value::Object(o) = v else {
                return;
            };
            let Some(mut fields) = types[slot].fields.take() else {
                return;
            };
            for (k, fv) in o {
                let here = format!("{at}.{k}");
                match fields.iter().find(|f| &f.name == k) {
                    Some(f) => {
                        let fty = f.ty.clone();
                        walk(&fty, fv, &here, types, found, depth + 1);
                    }
                    None if k.starts_with("UF_") => found.custom.push(format!("`{here}`")),
                    None if is_identifier(k) => {
                        fields.push(Field {
                            name: k.clone(),
                            rust_name: None,
                            ty: scalar_of(fv),
                            doc_type: None,
                            required: false,
                            description:
                                "Not in the docs' field table; the response example shows it."
                                    .into(),
                            default: None,
                            wire: None,
                            kept: None,
                        });
                        found.added.push((n.clone(), k.clone()));
                    }
                    // A key no Rust field can name: it stays undocumented.
                    None => found.custom.push(format!("`{here}`")),
                }
            }
            types[slot].fields = Some(fields);
        }
        _ => {}
    }
}

/// The type a value shows, kept loose: nested shapes stay untyped JSON.
fn scalar_of(v: &Value) -> String {
    match v {
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "double",
        Value::String(_) => "string",
        Value::Array(_) => "any[]",
        Value::Object(_) => "object",
        Value::Null => "any",
    }
    .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A method sending `START` (`datetime`), `fields.DEADLINE` (`datetime`, required)
    /// and `DAY` (`date`), with one request example per given JSON.
    fn method(requests: &[&str]) -> Method {
        let mut yaml = String::from(
            "method: demo.meeting.add\nsource:\n  path: p.md\n  commit: c\ntitle: t\nsummary: s\n\
             scope: demo\nread_only: false\nparams:\n\
             - name: START\n  type: datetime\n\
             - name: DAY\n  type: date\n\
             - name: fields\n  type: Fields\n\
             result:\n  type: integer\n\
             types:\n- name: Fields\n  fields:\n  - name: DEADLINE\n    type: datetime\n    required: true\n\
             examples:\n  request:\n",
        );
        for r in requests {
            yaml.push_str(&format!("  - json: '{r}'\n"));
        }
        serde_yaml::from_str(&yaml).unwrap()
    }

    fn reasons(requests: &[&str]) -> Vec<Option<String>> {
        let mut m = method(requests);
        settle_requests(&mut m);
        m.examples
            .request
            .into_iter()
            .map(|e| e.skip_round_trip)
            .collect()
    }

    #[test]
    fn date_times_the_client_reads_round_trip_and_others_say_why() {
        let r = reasons(&[
            r#"{"START": "2025-07-14 08:47:19", "fields": {"DEADLINE": "2025-07-14T08:47:19.5Z"}}"#,
            r#"{"START": "2025-07-14T08:47:19+0200"}"#,
            r#"{"START": "10.10.2024 15:55:30", "fields": {"DEADLINE": "**put_date_here**"}}"#,
            r#"{"START": ""}"#,
            r#"{"fields": {"DEADLINE": ""}}"#,
            r#"{"START": " 2025-07-14 08:47:19"}"#,
        ]);
        assert_eq!(r[0], None);
        assert_eq!(r[1], None);
        assert_eq!(
            r[2].as_deref(),
            Some(
                "the example writes date-times in a form the typed request does not read \
                 (`10.10.2024 15:55:30` at `$.START`, `**put_date_here**` at \
                 `$.fields.DEADLINE`; it reads RFC 3339 and `YYYY-MM-DD hh:mm:ss`)"
            )
        );
        assert_eq!(
            r[3].as_deref(),
            Some(
                "the example sends `\"\"` for `$.START`, which the typed request reads as \
                 absent and leaves out"
            )
        );
        assert!(
            r[4].as_deref()
                .is_some_and(|r| r.contains("`` at `$.fields.DEADLINE`"))
        );
        // Decoded (whitespace ignored), but not sent back the same.
        assert!(
            r[5].as_deref()
                .is_some_and(|r| r.contains("` 2025-07-14 08:47:19`"))
        );
    }
}
