//! Does every documented example round-trip through the typed API? The generated tests
//! demand that a response example holds nothing undocumented (no unknown key, no enum
//! value the docs do not list) and that an error example's code is documented. Here the
//! importer decides it first, by rule:
//!
//! - a key a response example shows but the docs' field table lacks becomes a field of
//!   that type, typed from the example (the portal sends it; the docs forgot it);
//! - a field (or the result) typed as an object `T` whose example value is an object
//!   keyed by IDs (`{"973": {...}}`) becomes `map<T>`;
//! - a key of a family the docs document in one row (`UF_CRM_...`, `propertyN`: see
//!   [`crate::spec::TypeDef::key_families`]) is documented: it stays in `extra()`;
//! - any other custom field (`UF_*`: per portal, kept in `extra()`), an enum value the
//!   docs do not list, and an error example whose code neither the page nor the system errors
//!   document, cannot round-trip: the example keeps `skip_round_trip` with the reason;
//! - a request example cannot round-trip when it sends what the typed request cannot send
//!   back the same: a key inside a parameter object the docs do not list (nor one of its
//!   documented families), an enum value they do not list, `""` for an optional
//!   field whose type reads `""` as absent, a date not written `YYYY-MM-DD`, or a
//!   date-time `bitrix24_runtime::DateTime` does not read (`10/10/2024 15:55:30`: see
//!   [`crate::spec::datetime`]; one it reads it writes back as it was).

use serde_json::Value;

use crate::generate::rust::error_code::normalize;
use crate::spec::model::{EnumValue, ErrorDoc, Field, Method, TypeDef};

use super::shapes::{is_id_key, is_identifier};
use crate::spec::types::{Scalar, TypeExpr};

const MAX_DEPTH: usize = 24;

/// The result itself keyed by IDs (`task.stages.get`: `{"5": {...}, "6": {...}}`) is a
/// map: read from the first response example with no reason yet that holds such a map,
/// before the examples are checked (`im.department.employees.get` answers IDs or, with
/// `USER_DATA = 'Y'`, users per department: the users are the typed form). Returns notes.
pub fn keyed_result(m: &mut Method) -> Vec<String> {
    let Some(map) = super::examples::results(&m.examples.response)
        .iter()
        .find_map(|r| id_keyed(&m.result.ty, r, &m.types))
    else {
        return Vec::new();
    };
    let note = format!(
        "result: the response example holds `{}` objects keyed by IDs: typed `{map}`",
        m.result.ty
    );
    m.result.ty = map;
    vec![note]
}

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
        for (ty, key, map) in &found.keyed {
            notes.push(format!(
                "response example {i}: `{ty}.{key}` holds an object keyed by IDs: typed `{map}`"
            ));
        }
        for (ty, key) in &found.added {
            notes.push(format!(
                "response example {i}: `{key}` is not in the docs' table of `{ty}`: added, typed from the example"
            ));
        }
        for (ty, key) in &found.local_dates {
            notes.push(format!(
                "response example {i}: `{ty}.{key}` is a date in the user's format (`MM/DD/YYYY` or `DD/MM/YYYY`, which the value does not tell): typed `string`"
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
                "writes date-times in a form the typed request does not read ({}; it reads RFC 3339, `YYYY-MM-DD hh:mm:ss`, `DD.MM.YYYY hh:mm:ss` and `MM/DD/YYYY hh:mm:ss pm`)",
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
/// Whether the client keeps `""` as a value of `ty`: text, and an enum listing `""`
/// (`MODIFY`: `""` — no access).
fn keeps_empty(ty: &str, types: &[TypeDef]) -> bool {
    match TypeExpr::parse(ty) {
        Ok(TypeExpr::Scalar(Scalar::String | Scalar::Char | Scalar::Any)) => true,
        Ok(TypeExpr::Named(n)) => types
            .iter()
            .find(|t| t.name == n)
            .and_then(|t| t.values.as_ref())
            .is_some_and(|v| v.iter().any(|v| v.value.is_empty())),
        _ => false,
    }
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
    if v.as_str() == Some("") && optional && !keeps_empty(&f.ty, types) {
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
                    None if def.in_family(k) => {}
                    None => found.unknown.push(format!("`{here}`")),
                }
            }
        }
        _ => {}
    }
}

/// The documented error codes, normalized as `ErrorCode` variants are (`codes`: every
/// error `ErrorCode` is generated from), for [`settle_errors`].
pub fn known_codes(codes: &[ErrorDoc]) -> std::collections::BTreeSet<String> {
    codes.iter().map(|e| normalize(&e.code)).collect()
}

/// Error examples whose code no documented error has (`known`: [`known_codes`]) cannot
/// round-trip: says why in `skip_round_trip`; returns notes.
pub fn settle_errors(m: &mut Method, known: &std::collections::BTreeSet<String>) -> Vec<String> {
    let mut notes = Vec::new();
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

/// `map<T>` (or `map<T> | null`) when a field typed as the object `T` holds, in the
/// example, an object keyed by IDs (`{"973": {...}, "975": {...}}`): the portal answers
/// one `T` per ID, so the field is a map of `T`, not one `T` whose keys are IDs. When
/// `T`'s table has one scalar row and the IDs map to such scalars, the map is of that
/// scalar.
fn id_keyed(ty: &str, v: &Value, types: &[TypeDef]) -> Option<String> {
    let Value::Object(o) = v else {
        return None;
    };
    // `listed`: `T[]`, which only lists per ID fit (`calendar.accessibility.get`).
    let (name, nullable, listed) = match TypeExpr::parse(ty).ok()? {
        TypeExpr::Named(n) => (n, false, false),
        TypeExpr::Nullable(inner) => match *inner {
            TypeExpr::Named(n) => (n, true, false),
            _ => return None,
        },
        TypeExpr::Array(inner) => match *inner {
            TypeExpr::Named(n) => (n, false, true),
            _ => return None,
        },
        _ => return None,
    };
    let fields = types.iter().find(|t| t.name == name)?.fields.as_ref()?;
    if o.is_empty() || !o.keys().all(|k| is_id_key(k)) || fields.iter().any(|f| is_id_key(&f.name))
    {
        return None;
    }
    // `{"3": [{...}, {...}], "4": []}`: a list of `T` per ID (the events per user ID of
    // `calendar.accessibility.get`, the users per answer of `vote.AttachedVote.getWithVoted`).
    let lists = o
        .values()
        .all(|v| v.as_array().is_some_and(|a| a.iter().all(Value::is_object)))
        && o.values()
            .any(|v| v.as_array().is_some_and(|a| !a.is_empty()));
    let item = if lists {
        format!("{name}[]")
    } else if listed {
        return None;
    } else if o.values().all(Value::is_object) {
        name
    } else {
        // `{"1417": "n5065"}` for a table whose one row is the value: `map<string>`.
        let [only] = fields.as_slice() else {
            return None;
        };
        let scalar = matches!(TypeExpr::parse(&only.ty), Ok(TypeExpr::Scalar(_)));
        let fits = o.values().all(|v| scalar_of(v) == only.ty);
        (scalar && fits).then(|| only.ty.clone())?
    };
    Some(if nullable {
        format!("map<{item}> | null")
    } else {
        format!("map<{item}>")
    })
}

#[derive(Default)]
struct Found {
    /// `(type, key)` fields added from the example.
    added: Vec<(String, String)>,
    /// Paths of custom fields.
    custom: Vec<String>,
    /// `(type, field, new type)`: fields retyped as maps keyed by ID.
    keyed: Vec<(String, String, String)>,
    /// Paths and values of undocumented enum values.
    values: Vec<String>,
    /// `(type, field)`: dates the portal writes in the user's format, retyped as text.
    local_dates: Vec<(String, String)>,
}

/// `12/24/2024`: a date in a site format whose day and month order the value does not
/// tell (`MM/DD/YYYY` in English, `DD/MM/YYYY` elsewhere), so no client can read it as a
/// date without knowing the portal's format (`calendar.event.get`'s `RRULE.UNTIL`).
fn is_slashed_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b.iter().enumerate().all(|(i, c)| match i {
            2 | 5 => *c == b'/',
            _ => c.is_ascii_digit(),
        })
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
        // A list also arrives as an object's values (a PHP array with numeric keys), as
        // the client reads it.
        (TypeExpr::Array(inner), Value::Object(o)) if o.keys().all(|k| is_id_key(k)) => {
            let inner = inner.to_string();
            for (k, item) in o {
                walk(&inner, item, &format!("{at}.{k}"), types, found, depth + 1);
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
                match fields.iter_mut().find(|f| &f.name == k) {
                    Some(f) => {
                        if let Some(map) = id_keyed(&f.ty, fv, types) {
                            found.keyed.push((n.clone(), k.clone(), map.clone()));
                            f.ty = map;
                        }
                        if matches!(f.ty.as_str(), "date" | "date | null")
                            && fv.as_str().is_some_and(is_slashed_date)
                        {
                            found.local_dates.push((n.clone(), k.clone()));
                            f.doc_type.get_or_insert_with(|| f.ty.clone());
                            f.ty = f.ty.replacen("date", "string", 1);
                        }
                        let fty = f.ty.clone();
                        walk(&fty, fv, &here, types, found, depth + 1);
                    }
                    None if types[slot].in_family(k) => {}
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
    fn an_empty_string_an_enum_lists_is_a_value() {
        let mut m = method(&[r#"{"fields": {"DEADLINE": "2025-07-14 08:47:19", "ACCESS": ""}}"#]);
        let access: TypeDef = serde_yaml::from_str(
            "name: Access\nvalues:\n- value: ''\n  description: none\n- value: X\n  description: all\nrepr: string\n",
        )
        .unwrap();
        m.types[0]
            .fields
            .as_mut()
            .unwrap()
            .push(serde_yaml::from_str("{name: ACCESS, type: Access}").unwrap());
        m.types.push(access);
        settle_requests(&mut m);
        assert_eq!(m.examples.request[0].skip_round_trip, None);
        // Without `""` among the values, `""` is read as absent.
        m.types[1].values.as_mut().unwrap().remove(0);
        m.examples.request[0].skip_round_trip = None;
        settle_requests(&mut m);
        assert!(m.examples.request[0].skip_round_trip.is_some());
    }

    #[test]
    fn date_times_the_client_reads_round_trip_and_others_say_why() {
        let r = reasons(&[
            r#"{"START": "2025-07-14 08:47:19", "fields": {"DEADLINE": "2025-07-14T08:47:19.5Z"}}"#,
            r#"{"START": "2025-07-14T08:47:19+0200"}"#,
            r#"{"START": "10/10/2024 15:55:30", "fields": {"DEADLINE": "**put_date_here**"}}"#,
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
                 (`10/10/2024 15:55:30` at `$.START`, `**put_date_here**` at \
                 `$.fields.DEADLINE`; it reads RFC 3339, `YYYY-MM-DD hh:mm:ss`, \
                 `DD.MM.YYYY hh:mm:ss` and `MM/DD/YYYY hh:mm:ss pm`)"
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

    #[test]
    fn keys_of_a_documented_family_round_trip_and_others_say_why() {
        let mut m = method(&[
            r#"{"fields": {"DEADLINE": "2025-07-14 08:47:19", "UF_CRM_7": 1}}"#,
            r#"{"fields": {"DEADLINE": "2025-07-14 08:47:19", "UF_OTHER": 1}}"#,
        ]);
        m.types[0].key_families = vec!["UF_CRM_".into()];
        settle_requests(&mut m);
        assert_eq!(m.examples.request[0].skip_round_trip, None);
        let why = m.examples.request[1].skip_round_trip.as_deref().unwrap();
        assert!(why.contains("`$.fields.UF_OTHER`"), "{why}");
    }

    /// A method answering `Item`, whose `files` is the object `File` (one row `ID`, or
    /// one scalar row `name` when `scalar_row`), with the response example `result`.
    fn answering(result: &str, scalar_row: bool) -> Method {
        let file = if scalar_row {
            "  - name: name\n    type: string\n"
        } else {
            "  - name: ID\n    type: integer\n  - name: NAME\n    type: string\n"
        };
        let yaml = format!(
            "method: demo.item.get\nsource:\n  path: p.md\n  commit: c\ntitle: t\nsummary: s\n\
             scope: demo\nread_only: true\nresult:\n  type: Item\n\
             types:\n- name: Item\n  fields:\n  - name: files\n    type: File | null\n\
             - name: File\n  fields:\n{file}\
             examples:\n  response:\n  - json: '{{\"result\": {result}}}'\n"
        );
        serde_yaml::from_str(&yaml).unwrap()
    }

    #[test]
    fn a_date_in_the_users_slashed_format_is_text() {
        let mut m = answering(r#"{"files": {"ID": 1}}"#, false);
        m.types[1].fields.as_mut().unwrap()[1].ty = "date".into();
        m.examples.response[0].json =
            r#"{"result": {"files": {"ID": 1, "NAME": "12/24/2024"}}}"#.into();
        let notes = settle(&mut m);
        let name = &m.types[1].fields.as_ref().unwrap()[1];
        assert_eq!(
            (name.ty.as_str(), name.doc_type.as_deref()),
            ("string", Some("date")),
            "{notes:?}"
        );
        // A date the client reads stays a date.
        let mut m = answering(r#"{"files": {"ID": 1}}"#, false);
        m.types[1].fields.as_mut().unwrap()[1].ty = "date".into();
        m.examples.response[0].json =
            r#"{"result": {"files": {"ID": 1, "NAME": "24.12.2024"}}}"#.into();
        settle(&mut m);
        assert_eq!(m.types[1].fields.as_ref().unwrap()[1].ty, "date");
    }

    #[test]
    fn an_object_keyed_by_ids_is_a_map() {
        let mut m = answering(
            r#"{"files": {"973": {"ID": 973}, "975": {"ID": 975}}}"#,
            false,
        );
        let notes = settle(&mut m);
        assert_eq!(
            m.types[0].fields.as_ref().unwrap()[0].ty,
            "map<File> | null"
        );
        assert!(notes[0].contains("keyed by IDs"), "{notes:?}");
        assert_eq!(m.examples.response[0].skip_round_trip, None);
        // One scalar row, IDs mapping to such scalars: a map of the scalar.
        let mut m = answering(r#"{"files": {"1417": "n5065"}}"#, true);
        settle(&mut m);
        assert_eq!(
            m.types[0].fields.as_ref().unwrap()[0].ty,
            "map<string> | null"
        );
        // Keys that are not all IDs stay as they are (an undocumented key is added).
        let mut m = answering(r#"{"files": {"973": {"ID": 973}, "NAME": "x"}}"#, false);
        settle(&mut m);
        assert_eq!(m.types[0].fields.as_ref().unwrap()[0].ty, "File | null");
        // The result itself.
        let mut m = answering(r#"{"5": {"files": null}, "6": {"files": null}}"#, false);
        let notes = keyed_result(&mut m);
        assert_eq!(m.result.ty, "map<Item>", "{notes:?}");
        assert_eq!(m.examples.response[0].skip_round_trip, None);
        // A field answered as lists per ID (`vote.AttachedVote.getWithVoted`'s `voted`).
        let mut m = answering(r#"{"files": {"3": [{"ID": 1}], "4": []}}"#, false);
        settle(&mut m);
        assert_eq!(
            m.types[0].fields.as_ref().unwrap()[0].ty,
            "map<File[]> | null"
        );
        // A list result answered as lists per ID (`calendar.accessibility.get`).
        let mut m = answering(r#"{"1": [{"files": null}], "34": []}"#, false);
        m.result.ty = "Item[]".into();
        keyed_result(&mut m);
        assert_eq!(m.result.ty, "map<Item[]>");
        let mut m = answering(r#"{"1": [], "34": []}"#, false);
        m.result.ty = "Item[]".into();
        keyed_result(&mut m);
        assert_eq!(m.result.ty, "Item[]", "nothing shown");
        // IDs per department first, users per department next
        // (`im.department.employees.get`): the example that holds the objects decides.
        let mut m = answering(r#"{"7": [3, 67]}"#, false);
        m.result.ty = "Item[]".into();
        let mut users = m.examples.response[0].clone();
        users.json = r#"{"result": {"7": [{"files": null}]}}"#.into();
        m.examples.response.push(users);
        keyed_result(&mut m);
        assert_eq!(m.result.ty, "map<Item[]>");
    }
}
