//! Would a documented example decode into the spec's types? A lenient structural check
//! mirroring how the client decodes (`bitrix24_runtime::wire::Decode`): integers and
//! doubles also as numeric strings, text also as a number, objects and maps also as `[]`
//! (PHP's empty array), absent or `null` optional fields, unknown keys kept; booleans
//! follow the field's wire format. What decodes but would not encode back to the same
//! JSON (an optional field's `""`, a list written as an object's values) passes in
//! responses and deliveries, which are only decoded, not in requests.

use serde_json::Value;

use crate::spec::model::{Event, Field, Method, TypeDef, WireFormat};
use crate::spec::types::{Scalar, TypeExpr};

/// Problems found, each with its JSON path (`$.result[0].ID`).
pub fn check_result(method: &Method, types: &[TypeDef], result: &Value) -> Vec<String> {
    let mut c = Checker::decoding(types);
    match TypeExpr::parse(&method.result.ty) {
        Ok(t) => c.check(&t, None, result, "$.result", 0),
        Err(e) => c.out.push(format!(
            "result type `{}` does not parse: {e}",
            method.result.ty
        )),
    }
    c.out
}

/// Checks a request example against the parameters: it must decode and encode again to
/// the same JSON, so an optional field's `""` (which decodes as absent) does not pass.
pub fn check_request(method: &Method, types: &[TypeDef], req: &Value) -> Vec<String> {
    let mut c = Checker {
        decode_only: false,
        ..Checker::decoding(types)
    };
    let Some(obj) = req.as_object() else {
        c.out.push("request example is not an object".into());
        return c.out;
    };
    for (k, v) in obj {
        if let Some(f) = method.params.iter().find(|p| &p.name == k) {
            c.field(f, v, &format!("$.{k}"), 0);
        }
    }
    c.out
}

/// Checks a delivery example's `data` against an event's documented keys, or its type
/// ([`Event::data_type`]).
pub fn check_event_data(e: &Event, data: &Value) -> Vec<String> {
    let mut c = Checker::decoding(&e.types);
    if let Some(ty) = &e.data_type {
        match TypeExpr::parse(ty) {
            Ok(t) => c.check(&t, None, data, "$.data", 0),
            Err(err) => c
                .out
                .push(format!("$.data: type `{ty}` does not parse: {err}")),
        }
        return c.out;
    }
    match data {
        Value::Object(o) => {
            for (k, v) in o {
                if let Some(f) = e.data.iter().find(|p| &p.name == k) {
                    c.field(f, v, &format!("$.data.{k}"), 0);
                }
            }
        }
        // PHP's empty array: the empty object, as the client reads it (`onOfflineEvent`).
        Value::Array(a) if a.is_empty() => {}
        other => c.out.push(format!(
            "$.data: expected an object, found {}",
            short(other)
        )),
    }
    c.out
}

/// The check of one example: the types it resolves names in and the problems found.
struct Checker<'t> {
    types: &'t [TypeDef],
    /// The example is only decoded (a response, a delivery), not encoded again (a request).
    decode_only: bool,
    out: Vec<String>,
}

impl<'t> Checker<'t> {
    fn decoding(types: &'t [TypeDef]) -> Self {
        Checker {
            types,
            decode_only: true,
            out: Vec::new(),
        }
    }

    fn field(&mut self, f: &Field, v: &Value, path: &str, depth: usize) {
        if v.is_null() && !f.required {
            return;
        }
        let t = match TypeExpr::parse(&f.ty) {
            Ok(t) => t,
            Err(e) => {
                return self
                    .out
                    .push(format!("{path}: type `{}` does not parse: {e}", f.ty));
            }
        };
        // Where the field is an `Option` (optional, or `| null`), the client reads `false`
        // as an absent date or date-time (PHP's "no date"), and `""` as absent for any
        // type but text (which the decoded example then lacks).
        let (option, inner) = match &t {
            TypeExpr::Nullable(inner) => (true, inner.as_ref()),
            other => (!f.required, other),
        };
        let date = matches!(inner, TypeExpr::Scalar(Scalar::Date | Scalar::Datetime));
        // An object's or list's `false` is PHP's "none" too, which a request would not send
        // again.
        let object = self.decode_only
            && crate::spec::validate::false_is_none(inner, |n| {
                self.types.iter().any(|t| t.name == n && t.fields.is_some())
            });
        let text = matches!(
            inner,
            TypeExpr::Scalar(Scalar::String | Scalar::Char | Scalar::Any)
        );
        if option
            && (((date || object) && v == &Value::Bool(false))
                || (self.decode_only && !text && v.as_str() == Some("")))
        {
            return;
        }
        self.check(&t, f.wire, v, path, depth);
    }
    fn check(
        &mut self,
        t: &TypeExpr,
        wire: Option<WireFormat>,
        v: &Value,
        path: &str,
        depth: usize,
    ) {
        if depth > 32 {
            return;
        }
        let bad = |out: &mut Vec<String>, want: &str| {
            out.push(format!("{path}: expected {want}, found {}", short(v)))
        };
        match t {
            TypeExpr::Nullable(inner) => {
                if !v.is_null() {
                    self.check(inner, wire, v, path, depth + 1);
                }
            }
            TypeExpr::Array(inner) => match v {
                Value::Array(a) => {
                    for (i, item) in a.iter().enumerate() {
                        self.check(inner, wire, item, &format!("{path}[{i}]"), depth + 1);
                    }
                }
                // The client reads a list from an object's values (a PHP array with
                // numeric keys); encoded again it is an array, so a request does not
                // round-trip. Other keys (field names) would be lost: a map, not a list.
                Value::Object(o)
                    if self.decode_only && o.keys().all(|k| numeric_string(k, true)) =>
                {
                    for (k, item) in o {
                        self.check(inner, wire, item, &format!("{path}.{k}"), depth + 1);
                    }
                }
                _ => bad(&mut self.out, "an array"),
            },
            TypeExpr::Map(inner) => match v {
                Value::Object(m) => {
                    for (k, item) in m {
                        self.check(inner, wire, item, &format!("{path}.{k}"), depth + 1);
                    }
                }
                Value::Array(a) if a.is_empty() => {}
                _ => bad(&mut self.out, "an object"),
            },
            TypeExpr::Scalar(s) => match (s, v) {
                (Scalar::Any, _) => {}
                // A file travels as `[name, base64]` (what the validator and the client accept).
                (Scalar::File, Value::Array(a))
                    if a.len() == 2 && a.iter().all(Value::is_string) => {}
                (Scalar::File, _) => bad(&mut self.out, "a file (`[name, base64]`)"),
                // The client reads a number as its text (`"ID": 118` where the docs say
                // `string`): the portal writes IDs either way.
                (Scalar::String | Scalar::Char, Value::String(_) | Value::Number(_)) => {}
                // `bitrix24_runtime::DateTime` reads RFC 3339, the portal's local form
                // (`2025-07-14 08:47:19`) and two site formats (`10.10.2024 15:55:30`,
                // `07/14/2025 08:47:19 pm`), or `""` (absent); `10/10/2024 15:55:30` does
                // not decode.
                (Scalar::Datetime, Value::String(s))
                    if s.is_empty() || crate::spec::datetime::decodes(s) => {}
                // The client reads `2025-01-31`, `31.01.2025`, or a date-time it reads (its
                // date), or `""` (absent); `01/31/2025` (day or month first?) does not decode.
                (Scalar::Date, Value::String(s)) if date_decodes(s) => {}
                (Scalar::Integer | Scalar::Timestamp, Value::Number(n))
                    if n.is_i64() || n.is_u64() => {}
                (Scalar::Integer | Scalar::Timestamp, Value::String(s))
                    if numeric_string(s, true) => {}
                (Scalar::Double, Value::Number(_)) => {}
                (Scalar::Double, Value::String(s)) if numeric_string(s, false) => {}
                // The client reads a boolean in any of the portal's forms, whatever the
                // field's wire format (which says how it is sent): `bitrix24_runtime::wire::
                // Decode for bool`. A response is only read.
                (Scalar::Boolean, v)
                    if self.decode_only && crate::spec::validate::decodes_as_bool(v) => {}
                (Scalar::Boolean, _) => match (wire, v) {
                    (None, Value::Bool(_)) => {}
                    (Some(WireFormat::Yn), Value::String(s)) if s == "Y" || s == "N" => {}
                    (Some(WireFormat::Int01), Value::Number(n))
                        if n.as_u64().is_some_and(|n| n <= 1) => {}
                    (Some(WireFormat::Int01), Value::String(s)) if s == "0" || s == "1" => {}
                    (None, _) => bad(&mut self.out, "true/false (no wire format)"),
                    (Some(WireFormat::Yn), _) => bad(&mut self.out, "\"Y\"/\"N\""),
                    (Some(WireFormat::Int01), _) => bad(&mut self.out, "0/1"),
                    (Some(WireFormat::String), _) => {}
                },
                (Scalar::Object, Value::Object(_)) => {}
                (Scalar::Object, Value::Array(a)) if a.is_empty() => {}
                (s, _) => bad(&mut self.out, s.as_str()),
            },
            TypeExpr::Named(n) => {
                let Some(def) = self.types.iter().find(|t| &t.name == n) else {
                    self.out.push(format!("{path}: unknown type `{n}`"));
                    return;
                };
                if let Some(values) = &def.values {
                    let integer = matches!(def.repr, Some(crate::spec::model::EnumRepr::Integer));
                    let ok = match v {
                        Value::String(s) => !integer || numeric_string(s, true),
                        Value::Number(n) => integer && (n.is_i64() || n.is_u64()),
                        _ => false,
                    };
                    if !ok && !values.is_empty() {
                        bad(
                            &mut self.out,
                            if integer {
                                "an integer enum value"
                            } else {
                                "a string enum value"
                            },
                        );
                    }
                    return;
                }
                let fields = def.fields.as_deref().unwrap_or(&[]);
                match v {
                    Value::Object(m) => {
                        let known = fields.iter().filter(|f| m.contains_key(&f.name)).count()
                            + m.keys().filter(|k| def.in_family(k)).count();
                        if known == 0 && fields.len() >= 2 && !m.is_empty() {
                            let keys: Vec<&str> = m.keys().take(5).map(String::as_str).collect();
                            self.out.push(format!(
                                "{path}: none of the fields of `{n}` is present (keys: {})",
                                keys.join(", ")
                            ));
                            return;
                        }
                        for f in fields {
                            if let Some(fv) = m.get(&f.name) {
                                self.field(f, fv, &format!("{path}.{}", f.name), depth + 1);
                            }
                        }
                    }
                    // `[]` is PHP's empty object: the client decodes it as a struct with
                    // no field set, but a request encodes it again as `{}`.
                    Value::Array(a)
                        if a.is_empty()
                            && self.decode_only
                            && !fields.iter().any(|f| f.required) => {}
                    _ => bad(&mut self.out, &format!("a `{n}` object")),
                }
            }
        }
    }
}

/// What a JSON value is, in words: `an object`, `a number`.
pub fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn numeric_string(s: &str, integer: bool) -> bool {
    if integer {
        let t = s.strip_prefix('-').unwrap_or(s);
        !t.is_empty() && t.chars().all(|c| c.is_ascii_digit())
    } else {
        s.parse::<f64>().is_ok()
    }
}

/// Parameters the docs mark required one by one, while a description says only one of
/// them is needed ("At least one of the parameters must be specified: `IBLOCK_ID` or
/// `IBLOCK_CODE`"), are alternatives: none is required, or a request naming one by ID
/// could not be built. So is one the docs require only under a condition ("Required if
/// `DIALOG_ID` is not provided"). Applies to the parameters and to each object type's
/// fields; returns notes.
pub fn alternatives(m: &mut Method) -> Vec<String> {
    let mut notes = Vec::new();
    notes.extend(alternatives_in(&mut m.params, "params"));
    for t in &mut m.types {
        if let Some(fields) = t.fields.as_mut() {
            notes.extend(alternatives_in(fields, &t.name));
        }
    }
    notes
}

/// The names a text gives as alternatives: the code spans after "at least one of", "one of
/// the parameters" or "either" to the end of that sentence ("The request must include
/// `CODE` and at least one of the parameters `HANDLER`, `NAME`" gives `HANDLER`, `NAME`);
/// `None` when it says no such thing.
pub fn alternatives_named(text: &str) -> Option<Vec<String>> {
    // ASCII case folding keeps the byte offsets of `text`.
    let lower = text.to_ascii_lowercase();
    let at = [
        "at least one of",
        "one of the parameters",
        "either `",
        "either the `",
    ]
    .iter()
    .filter_map(|p| lower.find(p))
    .min()?;
    let rest = &text[at..];
    let end = rest
        .find(". ")
        .or_else(|| rest.find(".\n"))
        .or_else(|| rest.find('\n'))
        .unwrap_or(rest.len());
    let named = crate::import::text::code_spans(&rest[..end]);
    (!named.is_empty()).then_some(named)
}

fn alternatives_in(fields: &mut [Field], owner: &str) -> Vec<String> {
    let mut groups: Vec<Vec<String>> = Vec::new();
    for f in fields.iter().filter(|f| f.required) {
        let Some(named) = alternatives_named(&f.description) else {
            continue;
        };
        let mut group: Vec<String> = fields
            .iter()
            .filter(|g| g.required && g.name != f.name && named.contains(&g.name))
            .map(|g| g.name.clone())
            .collect();
        if !group.is_empty() {
            group.insert(0, f.name.clone());
            groups.push(group);
        }
    }
    let mut notes = Vec::new();
    // "Required if `DIALOG_ID` is not provided": required under a condition, which the
    // type cannot state; a request meeting it otherwise could not be built.
    for f in fields.iter_mut().filter(|f| f.required) {
        let d = f.description.to_lowercase();
        if d.contains("required if ") || d.contains("mandatory if ") {
            f.required = false;
            notes.push(format!(
                "{owner}: `{}` is required only under a condition the docs state: not required",
                f.name
            ));
        }
    }
    for group in groups {
        for f in fields.iter_mut().filter(|f| group.contains(&f.name)) {
            f.required = false;
        }
        notes.push(format!(
            "{owner}: `{}` are alternatives (the docs: at least one of them): none is required",
            group.join("`, `")
        ));
    }
    notes
}

/// Result fields the docs star (`*`: required when writing) that the page's own
/// response example leaves out are not always present: they become optional.
pub fn relax_required(m: &mut Method) -> Vec<String> {
    let mut absent: std::collections::BTreeSet<(String, String)> =
        std::collections::BTreeSet::new();
    let types = m.types.clone();
    for ex in &m.examples.response {
        let Ok(v) = serde_json::from_str::<Value>(&ex.json) else {
            continue;
        };
        if let (Some(r), Ok(t)) = (v.get("result"), TypeExpr::parse(&m.result.ty)) {
            find_absent(&t, r, &types, &mut absent, 0);
        }
    }
    let mut notes = Vec::new();
    for (t, f) in absent {
        if let Some(field) = m
            .types
            .iter_mut()
            .find(|d| d.name == t)
            .and_then(|d| d.fields.as_mut())
            .and_then(|fs| fs.iter_mut().find(|x| x.name == f))
            && field.required
        {
            field.required = false;
            notes.push(format!(
                "{t}.{f}: not required (absent from the response example)"
            ));
        }
    }
    notes
}

fn find_absent(
    t: &TypeExpr,
    v: &Value,
    types: &[TypeDef],
    out: &mut std::collections::BTreeSet<(String, String)>,
    depth: usize,
) {
    if depth > 32 {
        return;
    }
    match (t, v) {
        (TypeExpr::Nullable(i), _) => find_absent(i, v, types, out, depth + 1),
        (TypeExpr::Array(i), Value::Array(a)) => {
            for x in a {
                find_absent(i, x, types, out, depth + 1);
            }
        }
        (TypeExpr::Map(i), Value::Object(o)) => {
            for x in o.values() {
                find_absent(i, x, types, out, depth + 1);
            }
        }
        (TypeExpr::Named(n), Value::Object(o)) => {
            let Some(def) = types.iter().find(|d| &d.name == n) else {
                return;
            };
            for f in def.fields.iter().flatten() {
                match o.get(&f.name) {
                    None if f.required => {
                        out.insert((n.clone(), f.name.clone()));
                    }
                    Some(fv) => {
                        if let Ok(ft) = TypeExpr::parse(&f.ty) {
                            find_absent(&ft, fv, types, out, depth + 1);
                        }
                    }
                    None => {}
                }
            }
        }
        _ => {}
    }
}

/// Request examples that omit a required parameter (or a required field of an object
/// parameter) cannot be reproduced by the typed request: say so in `skip_round_trip`.
pub fn mark_round_trip(m: &mut Method) -> Vec<String> {
    let mut notes = Vec::new();
    let types = m.types.clone();
    let params = m.params.clone();
    for (i, ex) in m.examples.request.iter_mut().enumerate() {
        if ex.skip_round_trip.is_some() {
            continue;
        }
        let Ok(Value::Object(o)) = serde_json::from_str::<Value>(&ex.json) else {
            continue;
        };
        let mut missing = Vec::new();
        let mut placeholders = Vec::new();
        for p in &params {
            match o.get(&p.name) {
                None if p.required => missing.push(format!("`{}`", p.name)),
                Some(Value::String(s)) if is_placeholder(s) && !accepts_text(&p.ty) => {
                    placeholders.push(format!("`{}` (`{s}`)", p.name));
                }
                Some(v) => missing_fields(&p.ty, v, &p.name, &types, &mut missing, 0),
                None => {}
            }
        }
        if !placeholders.is_empty() {
            let why = format!(
                "the example's {} a placeholder to fill in, not a value",
                if placeholders.len() == 1 {
                    format!("{} is", placeholders[0])
                } else {
                    format!("{} are each", placeholders.join(", "))
                }
            );
            notes.push(format!("request example {i}: {why}"));
            ex.skip_round_trip = Some(why);
            continue;
        }
        if !missing.is_empty() {
            let why = format!("the example omits the required {}", missing.join(", "));
            notes.push(format!("request example {i}: {why}"));
            ex.skip_round_trip = Some(why);
        }
    }
    notes
}

/// Whether the client decodes `s` as a date: empty, `YYYY-MM-DD`, or a date-time that
/// starts with one (`2025-01-31T10:00:00+03:00`).
fn date_decodes(s: &str) -> bool {
    s.is_empty()
        || super::round_trip::is_plain_date(s)
        || is_dotted_date(s)
        || crate::spec::datetime::decodes(s)
}

/// `31.01.2025`: a date in the dotted site formats (day first).
fn is_dotted_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b[2] == b'.'
        && b[5] == b'.'
        && super::round_trip::is_plain_date(&format!("{}-{}-{}", &s[6..], &s[3..5], &s[..2]))
}

/// `your_invoice_id`, `**put_id_here**`, `<ID>`, `{{id}}`: text the reader replaces.
pub fn is_placeholder(s: &str) -> bool {
    let l = s.to_ascii_lowercase();
    l.contains("your_")
        || l.contains("put_")
        || l.contains("_here")
        || (l.starts_with('<') && l.ends_with('>'))
        || (l.starts_with('{') && l.ends_with('}'))
        || (l.starts_with("**") && l.ends_with("**"))
}

/// Whether a value of type `ty` may be arbitrary text (then a placeholder is a value).
fn accepts_text(ty: &str) -> bool {
    matches!(
        TypeExpr::parse(ty),
        Ok(TypeExpr::Scalar(Scalar::String | Scalar::Any)) | Err(_)
    ) || ty.contains("string")
}

fn missing_fields(
    ty: &str,
    v: &Value,
    at: &str,
    types: &[TypeDef],
    out: &mut Vec<String>,
    depth: usize,
) {
    if depth > 8 {
        return;
    }
    let Ok(TypeExpr::Named(n)) = TypeExpr::parse(ty) else {
        return;
    };
    let (Some(def), Value::Object(o)) = (types.iter().find(|t| t.name == n), v) else {
        return;
    };
    for f in def.fields.iter().flatten() {
        let here = format!("{at}.{}", f.name);
        match o.get(&f.name) {
            None if f.required => out.push(format!("`{here}`")),
            Some(fv) => missing_fields(&f.ty, fv, &here, types, out, depth + 1),
            None => {}
        }
    }
}

/// Where a boolean field lives: `None` for a parameter, else its type.
type Owner = Option<String>;

/// Booleans the docs leave without a wire format get the one the page's own examples
/// show (`"Y"`/`"N"` → yn, `0`/`1` → int01) when every observed value agrees.
/// Returns `type.field: wire` notes.
pub fn infer_wires(m: &mut Method) -> Vec<String> {
    let mut seen: std::collections::BTreeMap<(Owner, String), Vec<Value>> =
        std::collections::BTreeMap::new();
    let types = m.types.clone();
    for ex in &m.examples.response {
        let Ok(v) = serde_json::from_str::<Value>(&ex.json) else {
            continue;
        };
        if let (Some(r), Ok(t)) = (v.get("result"), TypeExpr::parse(&m.result.ty)) {
            observe(&t, r, &types, &mut seen, 0);
        }
    }
    for ex in &m.examples.request {
        let Ok(Value::Object(o)) = serde_json::from_str::<Value>(&ex.json) else {
            continue;
        };
        for p in &m.params {
            if let Some(v) = o.get(&p.name) {
                if p.ty == "boolean" {
                    seen.entry((None, p.name.clone()))
                        .or_default()
                        .push(v.clone());
                } else if let Ok(t) = TypeExpr::parse(&p.ty) {
                    observe(&t, v, &types, &mut seen, 0);
                }
            }
        }
    }
    let mut notes = Vec::new();
    for ((owner, name), values) in seen {
        let yn = values
            .iter()
            .all(|v| v.as_str().is_some_and(|s| s == "Y" || s == "N"));
        let int01 = values.iter().all(|v| {
            v.as_u64().is_some_and(|n| n <= 1) || v.as_str().is_some_and(|s| s == "0" || s == "1")
        });
        let wire = if yn {
            WireFormat::Yn
        } else if int01 {
            WireFormat::Int01
        } else {
            continue;
        };
        let field = match &owner {
            None => m.params.iter_mut().find(|p| p.name == name),
            Some(t) => m
                .types
                .iter_mut()
                .find(|d| &d.name == t)
                .and_then(|d| d.fields.as_mut())
                .and_then(|f| f.iter_mut().find(|f| f.name == name)),
        };
        if let Some(f) = field
            && f.ty == "boolean"
            && f.wire.is_none()
        {
            f.wire = Some(wire);
            let w = if yn { "yn" } else { "int01" };
            notes.push(format!(
                "{}{name}: wire {w} (from the examples)",
                owner.map(|o| format!("{o}.")).unwrap_or_default()
            ));
        }
    }
    notes
}

fn observe(
    t: &TypeExpr,
    v: &Value,
    types: &[TypeDef],
    seen: &mut std::collections::BTreeMap<(Owner, String), Vec<Value>>,
    depth: usize,
) {
    if depth > 32 {
        return;
    }
    match (t, v) {
        (TypeExpr::Nullable(i), _) => observe(i, v, types, seen, depth + 1),
        (TypeExpr::Array(i), Value::Array(a)) => {
            for x in a {
                observe(i, x, types, seen, depth + 1);
            }
        }
        (TypeExpr::Map(i), Value::Object(o)) => {
            for x in o.values() {
                observe(i, x, types, seen, depth + 1);
            }
        }
        (TypeExpr::Named(n), Value::Object(o)) => {
            let Some(def) = types.iter().find(|d| &d.name == n) else {
                return;
            };
            for f in def.fields.iter().flatten() {
                let Some(fv) = o.get(&f.name) else { continue };
                if fv.is_null() {
                    continue;
                }
                if f.ty == "boolean" {
                    seen.entry((Some(n.clone()), f.name.clone()))
                        .or_default()
                        .push(fv.clone());
                } else if let Ok(ft) = TypeExpr::parse(&f.ty) {
                    observe(&ft, fv, types, seen, depth + 1);
                }
            }
        }
        _ => {}
    }
}

fn short(v: &Value) -> String {
    let s = match v {
        Value::Array(_) | Value::Object(_) => return kind(v).to_string(),
        other => other.to_string(),
    };
    if s.chars().count() > 40 {
        format!("{}…", s.chars().take(40).collect::<String>())
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::model::*;
    use serde_json::json;

    fn field(name: &str, ty: &str, wire: Option<WireFormat>) -> Field {
        Field {
            name: name.into(),
            rust_name: None,
            ty: ty.into(),
            doc_type: None,
            required: false,
            description: String::new(),
            default: None,
            wire,
            kept: None,
        }
    }

    #[test]
    fn parameters_the_docs_call_alternatives_are_not_required() {
        let req = |name: &str, desc: &str| Field {
            required: true,
            description: desc.into(),
            ..field(name, "string", None)
        };
        let mut fields = vec![
            req("IBLOCK_ID", "Identifier of the information block"),
            req(
                "IBLOCK_CODE",
                "Code.\n\nAt least one of the parameters must be specified: `IBLOCK_ID` or `IBLOCK_CODE`",
            ),
            req("FIELDS", "Either way, see `IBLOCK_ID`"),
            req("CHAT_ID", "Chat. Required if `DIALOG_ID` is not provided"),
        ];
        let notes = alternatives_in(&mut fields, "params");
        let required: Vec<bool> = fields.iter().map(|f| f.required).collect();
        assert_eq!(required, vec![false, false, true, false]);
        assert_eq!(notes.len(), 2, "{notes:?}");
        assert!(
            notes[0].contains("`CHAT_ID` is required only under a condition"),
            "{notes:?}"
        );
        assert!(notes[1].contains("`IBLOCK_CODE`, `IBLOCK_ID`"), "{notes:?}");
    }

    #[test]
    fn lenient_like_the_client() {
        let types = vec![TypeDef {
            name: "Item".into(),
            description: String::new(),
            fields: Some(vec![
                field("ID", "integer", None),
                field("DONE", "boolean", Some(WireFormat::Yn)),
                field("S", "object", None),
                field("IDLE", "datetime", None),
                Field {
                    required: true,
                    ..field("AT", "datetime | null", None)
                },
                Field {
                    required: true,
                    ..field("ON", "datetime", None)
                },
            ]),
            values: None,
            repr: None,
            key_families: Vec::new(),
        }];
        let t = TypeExpr::parse("Item[]").unwrap();
        let mut c = Checker::decoding(&types);
        c.check(
            &t,
            None,
            &json!([{"ID": "12", "DONE": "Y", "S": [], "X": 1, "IDLE": false, "AT": false, "ON": "2025-07-14 08:47:19"}]),
            "$",
            0,
        );
        assert!(c.out.is_empty(), "{:?}", c.out);
        c.check(
            &t,
            None,
            &json!([{"ID": "x", "DONE": true, "ON": false}]),
            "$",
            0,
        );
        let out = c.out;
        // `false` is an absent date-time only where the field is an `Option`; a boolean is
        // read in any form, whatever its wire format.
        assert_eq!(
            out,
            vec![
                "$[0].ID: expected integer, found \"x\"",
                "$[0].ON: expected datetime, found false"
            ]
        );
        // A request is sent again: in the field's wire format only.
        let mut c = Checker {
            decode_only: false,
            ..Checker::decoding(&types)
        };
        c.check(&t, None, &json!([{"DONE": true}]), "$", 0);
        assert_eq!(c.out, vec!["$[0].DONE: expected \"Y\"/\"N\", found true"]);
    }
}

#[cfg(test)]
mod absent_tests {
    use super::*;
    use serde_json::json;

    fn method() -> Method {
        let mut m: Method = serde_yaml::from_str(
            "method: x.y.get\nsource: {path: a.md, commit: c}\ntitle: T\nsummary: S\nscope: x\nread_only: true\nresult: {type: Item}\ntypes:\n- name: Item\n  fields:\n  - {name: ID, type: string}\n  - {name: LOCKED_BY, type: integer}\n  - {name: TAGS, type: \"string[]\"}\n",
        )
        .unwrap();
        m.params = m.types[0].fields.clone().unwrap();
        m
    }

    #[test]
    fn numbers_are_text_and_empty_strings_absent_as_the_client_decodes() {
        let m = method();
        let v = json!({"ID": 118, "LOCKED_BY": "", "TAGS": {"0": "x", "1": 2}});
        assert_eq!(check_result(&m, &m.types, &v), Vec::<String>::new());
        // An optional list's `false` is PHP's "none", as the client reads it; a number's
        // is not.
        assert_eq!(
            check_result(&m, &m.types, &json!({"TAGS": false})),
            Vec::<String>::new()
        );
        assert_eq!(
            check_result(&m, &m.types, &json!({"LOCKED_BY": false})),
            ["$.result.LOCKED_BY: expected integer, found false"]
        );
        // `[]` is PHP's empty object, as the client reads it; a list is not.
        assert_eq!(check_result(&m, &m.types, &json!([])), Vec::<String>::new());
        assert_eq!(
            check_result(&m, &m.types, &json!([{"ID": 1}])),
            ["$.result: expected a `Item` object, found an array"]
        );
        // Keys that are not indexes would be lost in a list.
        assert_eq!(
            check_result(&m, &m.types, &json!({"TAGS": {"a": "x"}})),
            ["$.result.TAGS: expected an array, found an object"]
        );
        // A request is encoded again: the absent `LOCKED_BY` would not be sent as `""`,
        // nor the list as an object.
        assert_eq!(
            check_request(&m, &m.types, &v),
            [
                "$.LOCKED_BY: expected integer, found \"\"",
                "$.TAGS: expected an array, found an object"
            ]
        );
    }
}

#[cfg(test)]
mod placeholder_tests {
    use super::*;

    #[test]
    fn placeholders_are_text_to_fill_in() {
        for p in ["your_invoice_id", "**put_id_here**", "<ID>", "{{id}}"] {
            assert!(is_placeholder(p), "{p}");
        }
        for v in ["MS", "12", "Deal #1", ""] {
            assert!(!is_placeholder(v), "{v}");
        }
        assert!(accepts_text("string"));
        assert!(accepts_text("string | null"));
        assert!(!accepts_text("integer"));
    }
}

#[cfg(test)]
mod datetime_tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn date_times_in_forms_the_client_does_not_read_contradict_the_tables() {
        let t = TypeExpr::parse("(datetime | null)[]").unwrap();
        let v = json!([
            "2025-07-14T08:47:19+02:00",
            "2025-07-14 08:47:19",
            "",
            null,
            "10.10.2024 15:55:30",
            "07/14/2025 08:47:19 pm",
            "10/10/2024 15:55:30",
            1_752_472_572
        ]);
        let mut c = Checker::decoding(&[]);
        c.check(&t, None, &v, "$", 0);
        assert_eq!(
            c.out,
            [
                "$[6]: expected datetime, found \"10/10/2024 15:55:30\"",
                "$[7]: expected datetime, found 1752472572",
            ]
        );
    }
}
