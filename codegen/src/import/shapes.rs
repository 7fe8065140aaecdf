//! Shapes the docs' tables leave open, read from the page's own examples: a documented
//! `array` that the examples send as an object (a PHP associative array), an object type
//! whose examples are lists of it, and results wrapped in a key the tables do not name
//! (`{"booking": [...]}`, `{"item": {...}}`). Each rule fires only when the example
//! contradicts the table, and says so in a note.

use serde_json::Value;

use crate::naming;
use crate::spec::model::{Field, Method, TypeDef};
use crate::spec::types::{Scalar, TypeExpr};

/// How deep the walk follows an example into nested types.
const MAX_DEPTH: usize = 16;

/// Fits the method's types to its first request and response examples; returns notes.
pub fn fit_shapes(m: &mut Method) -> Vec<String> {
    let mut notes = Vec::new();
    // Each parameter as the first request example sending it shows it (the first example
    // may send none: `{}` for "all defaults").
    let requests = super::examples::objects(&m.examples.request);
    let mut params = std::mem::take(&mut m.params);
    for p in params.iter_mut() {
        if let Some(v) = requests.iter().find_map(|o| o.get(&p.name)) {
            let at = format!("params › {}", p.name);
            fit_field(p, v, &at, &mut m.types, &mut notes, 0);
        }
    }
    m.params = params;
    answered_files(m, &mut notes);
    returned_as(m, &mut notes);
    bare_items(m, &mut notes);
    let result = first_example(&m.examples.response).and_then(|v| v.get("result").cloned());
    if let Some(r) = result {
        infer_result(m, &r, &mut notes);
        fit_result(m, &r, &mut notes);
        let mut ty = m.result.ty.clone();
        fit_type(&mut ty, &r, "result", &mut m.types, &mut notes, 0);
        // "A list of objects" the example shows as one object: its fields, read from the
        // example (an associative `array` may be keyed by IDs: it stays an object).
        let to_object = ty == "object" && m.result.ty == "object[]";
        m.result.ty = ty;
        if to_object {
            infer_result(m, &r, &mut notes);
        }
        if m.list.is_some() {
            m.list = Some(super::facts::list_facts(m, Some(&r)));
        }
    }
    // A "list" whose items the result does not hold (a `start` parameter on a method
    // answering one object) is not paged by `start`.
    if let Some(l) = &m.list
        && !list_at(m, &l.items)
    {
        notes.push(format!(
            "list: `result{}` is not a list: not a list method",
            if l.items.is_empty() {
                String::new()
            } else {
                format!(".{}", l.items)
            }
        ));
        m.list = None;
    }
    notes
}

/// A bare object the docs show for a list result (`department.get`: the structure of one
/// `department` under its heading, after the list's response) is one item of the list:
/// it is wrapped as a one-item list, not as the whole result, when its keys are the
/// item type's.
fn bare_items(m: &mut Method, notes: &mut Vec<String>) {
    let Ok(TypeExpr::Array(inner)) = TypeExpr::parse(&m.result.ty) else {
        return;
    };
    let TypeExpr::Named(item) = *inner else {
        return;
    };
    for (i, e) in m.examples.response.iter_mut().enumerate() {
        if e.skip_round_trip.is_some()
            || !e
                .repaired
                .as_deref()
                .is_some_and(|r| r.starts_with(super::examples::BARE_RESULT))
        {
            continue;
        }
        let Ok(Value::Object(mut env)) = serde_json::from_str::<Value>(&e.json) else {
            continue;
        };
        let Some(Value::Object(o)) = env.get("result") else {
            continue;
        };
        if overlap(&m.types, &item, o) == 0 {
            continue;
        }
        let one = Value::Array(vec![env.remove("result").unwrap_or_default()]);
        env.insert("result".into(), one);
        let Ok(json) = serde_json::to_string_pretty(&Value::Object(env)) else {
            continue;
        };
        e.json = json;
        let rest = e.repaired.as_deref().unwrap_or_default()[super::examples::BARE_RESULT.len()..]
            .to_string();
        e.repaired = Some(format!("{}{rest}", super::examples::BARE_ITEM));
        notes.push(format!(
            "response example {i}: a bare `{item}`, one item of the list result: read as a one-item list"
        ));
    }
}

/// A result described as another page's object "except that the fields: `A`, `B` are
/// returned either as `string` when passing `filter.LANG`, or are not returned at all"
/// (`crm.contact.userfield.list`): those fields of the result's item type are of that
/// type here.
fn returned_as(m: &mut Method, notes: &mut Vec<String>) {
    let desc = m.result.description.clone();
    // ASCII case folding keeps the byte offsets of `desc`.
    let lower = desc.to_ascii_lowercase();
    let Some((i, len)) = ["are returned either as `", "are returned as `"]
        .iter()
        .find_map(|p| lower.find(p).map(|i| (i, p.len())))
    else {
        return;
    };
    // The names from the sentence's start to the phrase; the type right after it.
    let start = desc[..i].rfind(". ").map_or(0, |d| d + 2);
    let names = super::text::code_spans(&desc[start..i]);
    let Some(token) = super::text::code_spans(&desc[i + len - 1..])
        .into_iter()
        .next()
    else {
        return;
    };
    let mapped = super::doc_types::map(&token);
    if !mapped.known || !matches!(TypeExpr::parse(&mapped.ty), Ok(TypeExpr::Scalar(_))) {
        return;
    }
    let Ok(result) = TypeExpr::parse(&m.result.ty) else {
        return;
    };
    let TypeExpr::Named(item) = result.innermost() else {
        return;
    };
    let Some(fields) = m
        .types
        .iter_mut()
        .find(|t| &t.name == item)
        .and_then(|t| t.fields.as_mut())
    else {
        return;
    };
    for f in fields.iter_mut().filter(|f| names.contains(&f.name)) {
        if f.ty != mapped.ty {
            notes.push(format!(
                "result: `{}.{}` is returned as `{token}` here (the result's description): typed `{}`",
                item, f.name, mapped.ty
            ));
            f.doc_type.get_or_insert_with(|| f.ty.clone());
            f.ty = mapped.ty.clone();
        }
    }
}

/// The portal answers a file as its description (`id`, `name`, URLs), never as the
/// `[name, base64]` it is sent as: a `file` field of a type only the result reaches is an
/// `object`. (`Page::make_field` does so for the result's own table, where it can link
/// the entity table the docs give; this covers tables read from another page, such as
/// `crm.timeline.comment.get`'s, from `crm.timeline.comment.fields`.)
fn answered_files(m: &mut Method, notes: &mut Vec<String>) {
    let params: Vec<&str> = m.params.iter().map(|p| p.ty.as_str()).collect();
    let sent = super::reachable(&m.types, &params);
    let answered = super::reachable(&m.types, &[m.result.ty.as_str()]);
    for t in m
        .types
        .iter_mut()
        .filter(|t| answered.contains(&t.name) && !sent.contains(&t.name))
    {
        for f in t.fields.iter_mut().flatten() {
            if matches!(f.ty.as_str(), "file" | "file[]" | "file | null") {
                f.doc_type.get_or_insert_with(|| f.ty.clone());
                notes.push(format!(
                    "result: `{}.{}` is a file the portal answers as its description: typed `object`",
                    t.name, f.name
                ));
                f.ty = "object".into();
            }
        }
    }
}

/// Whether `items` (a dotted path in `result`, empty for `result` itself) is a list or map.
fn list_at(m: &Method, items: &str) -> bool {
    let mut ty = m.result.ty.clone();
    for key in items.split('.').filter(|k| !k.is_empty()) {
        let Ok(TypeExpr::Named(n)) = TypeExpr::parse(&ty) else {
            return false;
        };
        match fields_of(&m.types, &n).and_then(|f| f.iter().find(|f| f.name == key)) {
            Some(f) => ty = f.ty.clone(),
            None => return false,
        }
    }
    matches!(
        TypeExpr::parse(&ty),
        Ok(TypeExpr::Array(_) | TypeExpr::Map(_) | TypeExpr::Nullable(_))
    )
}

/// The first example that is meant to round-trip, parsed.
fn first_example(list: &[crate::spec::model::Example]) -> Option<Value> {
    list.iter()
        .filter(|e| e.skip_round_trip.is_none())
        .find_map(|e| serde_json::from_str(&e.json).ok())
}

fn fields_of<'t>(types: &'t [TypeDef], name: &str) -> Option<&'t Vec<Field>> {
    types
        .iter()
        .find(|t| t.name == name)
        .and_then(|t| t.fields.as_ref())
}

/// How many of the object type's documented fields the example object has.
fn overlap(types: &[TypeDef], name: &str, o: &serde_json::Map<String, Value>) -> usize {
    let named =
        fields_of(types, name).map_or(0, |f| f.iter().filter(|f| o.contains_key(&f.name)).count());
    // Keys of a documented family (`PROPERTY_951` of `PROPERTY_…`) are the type's too.
    let family = types
        .iter()
        .find(|t| t.name == name)
        .map_or(0, |t| o.keys().filter(|k| t.in_family(k)).count());
    named + family
}

/// Whether an object key is an ID or index (`"973"`, `"0"`), not a field name.
pub(super) fn is_id_key(k: &str) -> bool {
    !k.is_empty() && k.bytes().all(|b| b.is_ascii_digit())
}

/// Whether `o` is one object of the named type's fields: at least half its keys are fields
/// of the type, none is an index (`{"0": {...}}` is a list written as an object).
fn object_of_fields(
    types: &[TypeDef],
    item: &TypeExpr,
    o: &serde_json::Map<String, Value>,
) -> bool {
    let TypeExpr::Named(n) = item else {
        return false;
    };
    let known = overlap(types, n, o);
    known > 0 && known * 2 >= o.len() && !o.keys().any(|k| is_id_key(k))
}

/// A result typed `T` or `T[]` (or a scalar: `boolean`, `integer`, ...) whose example
/// wraps it in one key the table does not name (`{"item": {...}}`, `{"result": true}`).
fn fit_result(m: &mut Method, r: &Value, notes: &mut Vec<String>) {
    let Ok(t) = TypeExpr::parse(&m.result.ty) else {
        return;
    };
    // One key, not an ID (`{"5": {...}}` is one entry of a map, not a wrapper).
    let Value::Object(o) = r else {
        return;
    };
    let [(key, value)] = o.iter().collect::<Vec<_>>()[..] else {
        return;
    };
    if is_id_key(key) {
        return;
    }
    let wrapped = match &t {
        TypeExpr::Scalar(s) => {
            let fits = match s {
                Scalar::Boolean => value.is_boolean(),
                Scalar::Integer => value.is_i64() || value.is_u64(),
                Scalar::Double => value.is_number(),
                Scalar::String | Scalar::Char => value.is_string(),
                _ => false,
            };
            fits.then(|| m.result.ty.clone())
        }
        TypeExpr::Named(n) => wrapped_objects(&m.types, n, o, value, false),
        TypeExpr::Array(i) => match &**i {
            TypeExpr::Named(n) => wrapped_objects(&m.types, n, o, value, true),
            _ => None,
        },
        // `{"fields": {"name": {"type": "string"}, ...}}` for `map<FieldDescription>`
        // (`tasks.api.scrum.kanban.getFields`): the one key holds the map, each of whose
        // values is such an object (the key's value is not one itself).
        TypeExpr::Map(i) => match &**i {
            TypeExpr::Named(n) => value
                .as_object()
                .filter(|inner| !inner.is_empty())
                .filter(|inner| {
                    inner
                        .values()
                        .all(|v| v.as_object().is_some_and(|e| overlap(&m.types, n, e) > 0))
                })
                .map(|_| m.result.ty.clone()),
            _ => None,
        },
        _ => None,
    };
    if let Some(ty) = wrapped {
        wrap_result(m, key, ty, notes);
    }
}

/// The type a one-key wrapper holds when the result is typed as the object `inner` (or
/// a list of it, `list`): the value is such an object or a list of them, while the
/// wrapper `o` has none of `inner`'s fields.
fn wrapped_objects(
    types: &[TypeDef],
    inner: &str,
    o: &serde_json::Map<String, Value>,
    value: &Value,
    list: bool,
) -> Option<String> {
    if fields_of(types, inner).is_none_or(|f| f.is_empty()) || overlap(types, inner, o) > 0 {
        return None;
    }
    let fits = match value {
        Value::Object(w) => overlap(types, inner, w) > 0,
        Value::Array(a) => a
            .first()
            .and_then(Value::as_object)
            .is_some_and(|w| overlap(types, inner, w) > 0),
        _ => false,
    };
    fits.then(|| {
        if list || value.is_array() {
            format!("{inner}[]")
        } else {
            inner.to_owned()
        }
    })
}

/// Types the result as an object whose one field `key` holds what the result was typed.
fn wrap_result(m: &mut Method, key: &str, ty: String, notes: &mut Vec<String>) {
    let base = format!(
        "{}Result",
        naming::type_name(m.method.rsplit('.').next().unwrap_or("Response"))
    );
    let mut name = base.clone();
    let mut n = 2;
    while m.types.iter().any(|t| t.name == name) {
        name = format!("{base}{n}");
        n += 1;
    }
    m.types.push(TypeDef {
        name: name.clone(),
        description: format!("The `result` object: `{key}` holds the data."),
        fields: Some(vec![Field {
            name: key.to_owned(),
            rust_name: None,
            ty,
            doc_type: None,
            required: true,
            description: m.result.description.clone(),
            default: None,
            wire: None,
            kept: None,
        }]),
        values: None,
        repr: None,
        key_families: Vec::new(),
    });
    notes.push(format!(
        "result: the response example wraps `{}` in the key `{key}`: typed `{name}`",
        m.result.ty
    ));
    m.result.ty = name;
}

/// A result the docs type as a field-less `object` (or `object[]`, `array`, or leave
/// untyped) while the response example shows its keys: the fields are read from the
/// example (keys as documented there, types from the values), so the typed result is
/// not an empty struct. Keys that are not identifiers leave the result as it was.
fn infer_result(m: &mut Method, r: &Value, notes: &mut Vec<String>) {
    if infer_scalar_result(m, notes) {
        return;
    }
    let list = match (m.result.ty.as_str(), r) {
        ("object" | "any", Value::Object(o)) if !o.is_empty() => false,
        ("object[]" | "any[]" | "any", Value::Array(a))
            if a.first()
                .is_some_and(|v| v.as_object().is_some_and(|o| !o.is_empty())) =>
        {
            true
        }
        _ => return,
    };
    // Response examples answering another kind (`app.option.get`: every option as an
    // object, or one option's value; `landing.landing.moveblock`: the block's ID, or an
    // object with `RETURN_CONTENT = 'Y'`): the result is not always such a value, and it
    // stays as documented.
    let kind = |v: &Value| (v.is_object(), v.is_array());
    let results = super::examples::results(&m.examples.response);
    if let Some(other) = results.iter().find(|v| !v.is_null() && kind(v) != kind(r)) {
        notes.push(format!(
            "result: documented `{}`; the response examples answer {} and {}: stays `{}`",
            m.result.doc_type.as_deref().unwrap_or(&m.result.ty),
            super::conform::kind(r),
            super::conform::kind(other),
            m.result.ty
        ));
        return;
    }
    let request = naming::type_name(m.method.rsplit('.').next().unwrap_or("Response"));
    let base = if list {
        format!("{request}Item")
    } else {
        format!("{request}Result")
    };
    let mut new_types = Vec::new();
    // Every response example's result: keys any of them shows are fields.
    let all: Vec<&Value> = results
        .iter()
        .filter(|v| v.is_array() == r.is_array())
        .collect();
    let sample: Vec<&Value> = all
        .into_iter()
        .flat_map(|v| match v {
            Value::Array(a) => a.iter().collect::<Vec<_>>(),
            v => vec![v],
        })
        .collect();
    let Some(ty) = infer_object(&base, &sample, &m.types, &mut new_types, 0) else {
        return;
    };
    let was = m.result.ty.clone();
    m.types.extend(new_types);
    m.result.ty = if list { format!("{ty}[]") } else { ty.clone() };
    notes.push(format!(
        "result: documented `{was}` without fields; the fields of `{ty}` are read from the response example"
    ));
}

/// A result the docs leave untyped (`any`, `any[]`, `object`, with no field table) while every
/// response example answers a scalar, or a list of scalars, of one JSON type (`12345`,
/// `true`, `"dnd"`, `["user", "common"]`): the result is that type. An example answering
/// `null` or `[]` shows nothing, and leaves it as it was.
fn infer_scalar_result(m: &mut Method, notes: &mut Vec<String>) -> bool {
    // `object` with no fields is as untyped (`crm.currency.delete`: "Result of the currency
    // deletion", answering `true`).
    if !matches!(m.result.ty.as_str(), "any" | "any[]" | "object") {
        return false;
    }
    let results = super::examples::results(&m.examples.response);
    let scalar = |v: &Value| matches!(v, Value::Bool(_) | Value::Number(_) | Value::String(_));
    let list = m.result.ty == "any[]" || results.first().is_some_and(Value::is_array);
    let values: Vec<&Value> = if list {
        if !results.iter().all(Value::is_array) {
            return false;
        }
        results
            .iter()
            .filter_map(Value::as_array)
            .flatten()
            .collect()
    } else {
        results.iter().collect()
    };
    if values.is_empty() || !values.iter().all(|v| scalar(v)) {
        return false;
    }
    let mut none = Vec::new();
    let Some(ty) = infer_value("result", &values, &m.types, &mut none, 0) else {
        return false;
    };
    if ty == "any" {
        return false;
    }
    let was = std::mem::replace(&mut m.result.ty, if list { format!("{ty}[]") } else { ty });
    notes.push(format!(
        "result: documented `{was}` without a table; every response example answers `{}`",
        m.result.ty
    ));
    true
}

/// The named object type for example objects (keys of all of them, in first-seen
/// order); `None` when a key is not an identifier or the nesting is too deep.
pub(super) fn infer_object(
    base: &str,
    objects: &[&Value],
    existing: &[TypeDef],
    out: &mut Vec<TypeDef>,
    depth: usize,
) -> Option<String> {
    if depth > 4 {
        return None;
    }
    let mut keys: Vec<(&String, Vec<&Value>)> = Vec::new();
    for o in objects.iter().filter_map(|v| v.as_object()) {
        for (k, v) in o {
            match keys.iter_mut().find(|(x, _)| *x == k) {
                Some((_, vs)) => vs.push(v),
                None => keys.push((k, vec![v])),
            }
        }
    }
    if keys.is_empty() || !keys.iter().all(|(k, _)| is_identifier(k)) {
        return None;
    }
    let mut name = base.to_string();
    let mut n = 2;
    while existing.iter().chain(out.iter()).any(|t| t.name == name) {
        name = format!("{base}{n}");
        n += 1;
    }
    // Claim the name before the nested types are made.
    let slot = out.len();
    out.push(TypeDef {
        name: name.clone(),
        description: "Fields read from the response example (the docs give no field table).".into(),
        fields: Some(Vec::new()),
        values: None,
        repr: None,
        key_families: Vec::new(),
    });
    let mut fields = Vec::new();
    for (k, vs) in keys {
        let ty = infer_value(k, &vs, existing, out, depth + 1)?;
        fields.push(Field {
            name: k.clone(),
            rust_name: None,
            ty,
            doc_type: None,
            required: false,
            description: String::new(),
            default: None,
            wire: None,
            kept: None,
        });
    }
    out[slot].fields = Some(fields);
    Some(name)
}

/// Objects that are maps, not records: two or more keys whose values are all objects
/// with the same keys (`{"block1": {...}, "block2": {...}}`, `{"ID": {"type": ...}}`).
/// Returns the values.
fn map_values<'v>(objects: &[&'v Value]) -> Option<Vec<&'v Value>> {
    let mut values = Vec::new();
    for o in objects {
        let o = o.as_object()?;
        if o.len() < 2 {
            return None;
        }
        values.extend(o.values());
    }
    let shape = |v: &Value| v.as_object().map(|o| o.keys().cloned().collect::<Vec<_>>());
    let first = shape(values.first()?)?;
    (!first.is_empty() && values.iter().all(|v| shape(v).as_ref() == Some(&first)))
        .then_some(values)
}

/// A key a Rust field can be named after (`ID`, `date_create`, not `12` or `~NAME`).
pub(super) fn is_identifier(k: &str) -> bool {
    k.chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The type the example values of one key show.
fn infer_value(
    key: &str,
    vs: &[&Value],
    existing: &[TypeDef],
    out: &mut Vec<TypeDef>,
    depth: usize,
) -> Option<String> {
    let present: Vec<&Value> = vs.iter().copied().filter(|v| !v.is_null()).collect();
    let Some(first) = present.first() else {
        return Some("any".into());
    };
    let same = |f: fn(&Value) -> bool| present.iter().all(|v| f(v));
    Some(match first {
        Value::Bool(_) if same(Value::is_boolean) => "boolean".into(),
        Value::Number(_) if same(|v| v.as_i64().is_some()) => "integer".into(),
        Value::Number(_) if same(Value::is_number) => "double".into(),
        Value::String(_) if same(Value::is_string) => "string".into(),
        Value::Object(o) if same(Value::is_object) && !o.is_empty() => {
            let base = naming::type_name(key);
            match map_values(&present) {
                Some(values) => match infer_object(&base, &values, existing, out, depth) {
                    Some(t) => format!("map<{t}>"),
                    None => "object".into(),
                },
                None => infer_object(&base, &present, existing, out, depth)
                    .unwrap_or_else(|| "object".into()),
            }
        }
        Value::Array(_) if same(Value::is_array) => {
            let items: Vec<&Value> = present
                .iter()
                .filter_map(|v| v.as_array())
                .flatten()
                .collect();
            if items.is_empty() {
                "any[]".into()
            } else {
                format!("{}[]", infer_value(key, &items, existing, out, depth)?)
            }
        }
        _ => "any".into(),
    })
}

fn fit_field(
    f: &mut Field,
    v: &Value,
    at: &str,
    types: &mut Vec<TypeDef>,
    notes: &mut Vec<String>,
    depth: usize,
) {
    let before = f.ty.clone();
    fit_type(&mut f.ty, v, at, types, notes, depth);
    if f.ty != before && f.wire.is_some() && !f.ty.starts_with("boolean") {
        f.wire = None;
    }
}

/// Fits one type expression to an example value, then walks into named types.
fn fit_type(
    ty: &mut String,
    v: &Value,
    at: &str,
    types: &mut Vec<TypeDef>,
    notes: &mut Vec<String>,
    depth: usize,
) {
    if depth > MAX_DEPTH {
        return;
    }
    let Ok(t) = TypeExpr::parse(ty) else {
        return;
    };
    match (&t, v) {
        // `array` in the docs (or "a list of objects" in a description), an object of
        // named keys in the example: an associative array, one object.
        (TypeExpr::Array(inner), Value::Object(o))
            if !o.is_empty()
                && (matches!(**inner, TypeExpr::Scalar(Scalar::Any))
                    || (matches!(**inner, TypeExpr::Scalar(Scalar::Object))
                        && !o.keys().any(|k| is_id_key(k)))) =>
        {
            notes.push(format!(
                "{at}: documented as a list, the example has an object (an associative array): typed `object`"
            ));
            *ty = "object".into();
        }
        // `array` with a field table, an object of those fields in the example: an
        // associative array described by the table, one object.
        (TypeExpr::Array(inner), Value::Object(o)) if object_of_fields(types, inner, o) => {
            let n = inner.to_string();
            notes.push(format!(
                "{at}: documented `array` of `{n}`, the example has one object of its fields (an associative array): typed `{n}`"
            ));
            *ty = n;
        }
        // An object type whose example is a list of such objects.
        (TypeExpr::Named(n), Value::Array(a))
            if fields_of(types, n).is_some_and(|f| !f.is_empty())
                && a.first()
                    .and_then(Value::as_object)
                    .is_some_and(|o| overlap(types, n, o) > 0) =>
        {
            notes.push(format!(
                "{at}: the example has a list of `{n}` objects: typed `{n}[]`"
            ));
            *ty = format!("{n}[]");
        }
        // A field-less `object` whose example is a list.
        (TypeExpr::Scalar(Scalar::Object), Value::Array(a)) if !a.is_empty() => {
            let item = if a.iter().all(Value::is_object) {
                "object"
            } else {
                "any"
            };
            notes.push(format!(
                "{at}: documented `object`, the example has a list: typed `{item}[]`"
            ));
            *ty = format!("{item}[]");
        }
        _ => {}
    }
    // Into the (possibly changed) type.
    let Ok(t) = TypeExpr::parse(ty) else {
        return;
    };
    let (name, value) = match (&t, v) {
        (TypeExpr::Named(n), Value::Object(_)) => (n.clone(), v),
        (TypeExpr::Array(i), Value::Array(a)) => match (&**i, a.first()) {
            (TypeExpr::Named(n), Some(first @ Value::Object(_))) => (n.clone(), first),
            _ => return,
        },
        (TypeExpr::Nullable(i), _) if !v.is_null() => {
            let mut inner = i.to_string();
            fit_type(&mut inner, v, at, types, notes, depth + 1);
            if inner != i.to_string() {
                *ty = format!("{inner} | null");
            }
            return;
        }
        _ => return,
    };
    let Value::Object(o) = value else {
        return;
    };
    let Some(slot) = types.iter().position(|t| t.name == name) else {
        return;
    };
    let Some(mut fields) = types[slot].fields.take() else {
        return;
    };
    for f in fields.iter_mut() {
        if let Some(fv) = o.get(&f.name) {
            let here = format!("{at} › {}", f.name);
            fit_field(f, fv, &here, types, notes, depth + 1);
        }
    }
    types[slot].fields = Some(fields);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::model::{Example, Examples, ResultSpec, Source};

    fn field(name: &str, ty: &str) -> Field {
        Field {
            name: name.into(),
            rust_name: None,
            ty: ty.into(),
            doc_type: None,
            required: false,
            description: String::new(),
            default: None,
            wire: None,
            kept: None,
        }
    }

    fn object(name: &str, fields: Vec<Field>) -> TypeDef {
        TypeDef {
            name: name.into(),
            description: String::new(),
            fields: Some(fields),
            values: None,
            repr: None,
            key_families: Vec::new(),
        }
    }

    fn method(
        params: Vec<Field>,
        result: &str,
        types: Vec<TypeDef>,
        req: &str,
        resp: &str,
    ) -> Method {
        let ex = |j: &str| Example {
            json: j.into(),
            repaired: None,
            skip_round_trip: None,
        };
        Method {
            method: "demo.booking.list".into(),
            source: Source {
                path: "x.md".into(),
                commit: "0".repeat(40),
            },
            title: String::new(),
            summary: String::new(),
            description: None,
            scope: "demo".into(),
            access: None,
            deprecated: None,
            aliases: Vec::new(),
            rest_v3: false,
            read_only: true,
            positional: false,
            list: None,
            params,
            result: ResultSpec {
                ty: result.into(),
                doc_type: None,
                description: String::new(),
                paged: false,
            },
            errors: Vec::new(),
            types,
            examples: Examples {
                request: vec![ex(req)],
                response: vec![ex(resp)],
                error: Vec::new(),
            },
        }
    }

    #[test]
    fn a_list_result_shown_as_one_object_gets_the_fields_of_the_example() {
        let mut m = method(
            vec![],
            "object[]",
            vec![],
            r#"{}"#,
            r#"{"result": {"resource": [{"code": "x", "id": 1}]}}"#,
        );
        let notes = fit_shapes(&mut m);
        let r = m
            .types
            .iter()
            .find(|t| t.name == m.result.ty)
            .expect("typed");
        assert_eq!(r.fields.as_ref().unwrap()[0].name, "resource", "{notes:?}");
        // An associative `array` (`any[]`) stays an object: its keys may be IDs.
        let mut m = method(
            vec![],
            "any[]",
            vec![],
            r#"{}"#,
            r#"{"result": {"L": {"ID": 1}}}"#,
        );
        fit_shapes(&mut m);
        assert_eq!(m.result.ty, "object");
        // One example answers an object, another a string (`app.option.get`: all options,
        // or one option's value): the result is not always that object.
        let mut m = method(
            vec![],
            "any",
            vec![],
            "{}",
            r#"{"result": {"data": "value"}}"#,
        );
        let mut one = m.examples.response[0].clone();
        one.json = r#"{"result": "value"}"#.into();
        m.examples.response.push(one);
        let notes = fit_shapes(&mut m);
        assert_eq!(m.result.ty, "any");
        assert!(
            notes.iter().any(|n| n.contains("an object and a string")),
            "{notes:?}"
        );
    }

    #[test]
    fn a_bare_item_of_a_list_result_is_a_one_item_list() {
        let item = object(
            "Department",
            vec![field("ID", "string"), field("NAME", "string")],
        );
        let mut m = method(
            vec![],
            "Department[]",
            vec![item],
            "{}",
            r#"{"result": [{"ID": "1", "NAME": "A"}]}"#,
        );
        let bare = |json: &str| Example {
            json: json.into(),
            repaired: Some(crate::import::examples::BARE_RESULT.into()),
            skip_round_trip: None,
        };
        m.examples
            .response
            .push(bare(r#"{"result": {"ID": "2", "NAME": "B"}}"#));
        // Keys that are not the item's: left as it is (the check gives its reason).
        m.examples
            .response
            .push(bare(r#"{"result": {"total": 5}}"#));
        fit_shapes(&mut m);
        let v: Value = serde_json::from_str(&m.examples.response[1].json).unwrap();
        assert_eq!(v["result"][0]["ID"], "2");
        assert!(
            m.examples.response[1]
                .repaired
                .as_deref()
                .is_some_and(|r| r.starts_with("one item of the list result"))
        );
        let v: Value = serde_json::from_str(&m.examples.response[2].json).unwrap();
        assert!(v["result"].is_object());
    }

    #[test]
    fn fields_the_result_says_are_returned_as_a_type_are_that_type() {
        let item = object(
            "Userfield",
            vec![
                field("EDIT_FORM_LABEL", "map<string>"),
                field("SORT", "integer"),
            ],
        );
        let mut m = method(
            vec![],
            "Userfield[]",
            vec![item],
            "{}",
            r#"{"result": [{"EDIT_FORM_LABEL": "Address", "SORT": 100}]}"#,
        );
        m.result.description = "The structure is identical to [`userfield`](x.md) except that the \
            fields: `EDIT_FORM_LABEL`, `HELP_MESSAGE` are returned either as `string` when \
            passing `filter.LANG`, or are not returned at all"
            .into();
        fit_shapes(&mut m);
        let f = &m.types[0].fields.as_ref().unwrap()[0];
        assert_eq!(
            (f.ty.as_str(), f.doc_type.as_deref()),
            ("string", Some("map<string>"))
        );
        assert_eq!(m.types[0].fields.as_ref().unwrap()[1].ty, "integer");
    }

    /// The name and type of the one field of the wrapper type the result names.
    fn wrapped(m: &Method) -> (&str, &str) {
        let w = m
            .types
            .iter()
            .find(|t| t.name == m.result.ty)
            .expect("wrapper");
        let f = &w.fields.as_ref().expect("fields")[0];
        (f.name.as_str(), f.ty.as_str())
    }

    #[test]
    fn a_scalar_result_wrapped_in_one_key_is_an_object_of_it() {
        let mut m = method(
            vec![],
            "boolean",
            vec![],
            r#"{}"#,
            r#"{"result": {"result": true}}"#,
        );
        let notes = fit_shapes(&mut m);
        assert_eq!(wrapped(&m), ("result", "boolean"), "{notes:?}");
        // Two keys, or a value of another type: no wrapper.
        for resp in [
            r#"{"result": {"a": true, "b": true}}"#,
            r#"{"result": {"result": 5}}"#,
        ] {
            let mut m = method(vec![], "boolean", vec![], r#"{}"#, resp);
            fit_shapes(&mut m);
            assert_eq!(m.result.ty, "boolean", "{resp}");
        }
        // A map of descriptions under one key (`tasks.api.scrum.kanban.getFields`).
        let desc = object("FieldDescription", vec![field("type", "string")]);
        let mut m = method(
            vec![],
            "map<FieldDescription>",
            vec![desc.clone()],
            r#"{}"#,
            r#"{"result": {"fields": {"name": {"type": "string"}, "type": {"type": "string"}}}}"#,
        );
        fit_shapes(&mut m);
        assert_eq!(wrapped(&m), ("fields", "map<FieldDescription>"));
        // One entry of the map: no wrapper.
        let mut m = method(
            vec![],
            "map<FieldDescription>",
            vec![desc],
            r#"{}"#,
            r#"{"result": {"name": {"type": "string"}}}"#,
        );
        fit_shapes(&mut m);
        assert_eq!(m.result.ty, "map<FieldDescription>");
    }

    #[test]
    fn an_array_of_a_field_table_sent_as_one_object_is_that_object() {
        let section = object(
            "Section",
            vec![field("NAME", "string"), field("SORT", "integer")],
        );
        let mut m = method(
            vec![field("FIELDS", "Section[]"), field("ROWS", "Section[]")],
            "boolean",
            vec![section],
            r#"{"FIELDS": {"NAME": "Docs", "SORT": 600}, "ROWS": {"0": {"NAME": "A"}}}"#,
            r#"{"result": true}"#,
        );
        let notes = fit_shapes(&mut m);
        assert_eq!(m.params[0].ty, "Section", "{notes:?}");
        assert_eq!(
            m.params[1].ty, "Section[]",
            "index keys: a list written as an object"
        );
        // Keys of a documented family count as the type's (`PROPERTY_951`).
        let mut element = object("Element", vec![field("NAME", "string")]);
        element.key_families = vec!["PROPERTY_".into()];
        let mut m = method(
            vec![field("FIELDS", "Element[]")],
            "boolean",
            vec![element],
            r#"{"FIELDS": {"NAME": "A", "PROPERTY_951": ["1"], "PROPERTY_953": "x"}}"#,
            r#"{"result": true}"#,
        );
        let notes = fit_shapes(&mut m);
        assert_eq!(m.params[0].ty, "Element", "{notes:?}");
    }

    #[test]
    fn a_file_the_result_answers_is_an_object() {
        let item = object(
            "Item",
            vec![field("FILES", "file[]"), field("NAME", "string")],
        );
        let upload = object("Upload", vec![field("FILE", "file")]);
        let mut m = method(
            vec![field("fields", "Upload")],
            "Item",
            vec![item, upload],
            "{}",
            r#"{"result": {"FILES": {"1": {"id": 1}}}}"#,
        );
        let notes = fit_shapes(&mut m);
        let files = &m.types[0].fields.as_ref().unwrap()[0];
        assert_eq!(
            (files.ty.as_str(), files.doc_type.as_deref()),
            ("object", Some("file[]")),
            "{notes:?}"
        );
        // A file the request sends stays a file.
        assert_eq!(m.types[1].fields.as_ref().unwrap()[0].ty, "file");
    }

    #[test]
    fn each_parameter_is_fitted_to_the_first_example_sending_it() {
        let mut m = method(
            vec![field("NAV_PARAMS", "any[]")],
            "boolean",
            vec![],
            "{}",
            r#"{"result": true}"#,
        );
        let mut second = m.examples.request[0].clone();
        second.json = r#"{"NAV_PARAMS": {"iNumPage": 2}}"#.into();
        m.examples.request.push(second);
        let notes = fit_shapes(&mut m);
        assert_eq!(m.params[0].ty, "object", "{notes:?}");
    }

    #[test]
    fn associative_arrays_lists_and_wrappers() {
        let mut m = method(
            vec![
                field("filter", "any[]"),
                field("select", "any[]"),
                field("fields", "object[]"),
                field("rows", "object[]"),
            ],
            "Booking[]",
            vec![object(
                "Booking",
                vec![field("id", "integer"), field("tags", "object")],
            )],
            r#"{"filter": {"id": 1}, "select": ["id"], "fields": {"TITLE": "x"}, "rows": {"0": {"A": 1}}}"#,
            r#"{"result": {"booking": [{"id": 1, "tags": [{"a": 1}]}]}}"#,
        );
        let notes = fit_shapes(&mut m);
        assert_eq!(m.params[0].ty, "object", "{notes:?}");
        assert_eq!(m.params[1].ty, "any[]", "a real list stays a list");
        // "A list of objects" in a description, one object of named keys in the example.
        assert_eq!(m.params[2].ty, "object");
        assert_eq!(
            m.params[3].ty, "object[]",
            "index keys: a list written as an object"
        );
        assert_eq!(m.result.ty, "ListResult");
        let w = m.types.iter().find(|t| t.name == "ListResult").unwrap();
        assert_eq!(w.fields.as_ref().unwrap()[0].name, "booking");
        assert_eq!(w.fields.as_ref().unwrap()[0].ty, "Booking[]");
        let b = m.types.iter().find(|t| t.name == "Booking").unwrap();
        assert_eq!(b.fields.as_ref().unwrap()[1].ty, "object[]", "{notes:?}");
    }

    #[test]
    fn field_less_results_take_their_fields_from_the_example() {
        let mut m = method(
            vec![],
            "object",
            vec![],
            "{}",
            r#"{"result": {"ID": "5", "ACTIVE": true, "SUM": 1.5, "OWNER": {"NAME": "a"}, "TAGS": ["x"]}}"#,
        );
        fit_shapes(&mut m);
        assert_eq!(m.result.ty, "ListResult");
        let t = m.types.iter().find(|t| t.name == "ListResult").unwrap();
        let tys: Vec<(&str, &str)> = t
            .fields
            .iter()
            .flatten()
            .map(|f| (f.name.as_str(), f.ty.as_str()))
            .collect();
        assert_eq!(
            tys,
            [
                ("ID", "string"),
                ("ACTIVE", "boolean"),
                ("SUM", "double"),
                ("OWNER", "Owner"),
                ("TAGS", "string[]")
            ]
        );
        // Keys that are not identifiers (a map by ID): left as documented.
        let mut m = method(
            vec![],
            "object",
            vec![],
            "{}",
            r#"{"result": {"12": {"a": 1}}}"#,
        );
        fit_shapes(&mut m);
        assert_eq!(m.result.ty, "object");
    }

    #[test]
    fn untyped_results_take_the_scalar_type_every_example_answers() {
        let typed = |result: &str, resp: &str| {
            let mut m = method(vec![], result, vec![], "{}", resp);
            fit_shapes(&mut m);
            m.result.ty
        };
        assert_eq!(typed("any", r#"{"result": 12345}"#), "integer");
        assert_eq!(typed("any", r#"{"result": true}"#), "boolean");
        assert_eq!(typed("any", r#"{"result": "dnd"}"#), "string");
        assert_eq!(
            typed("any[]", r#"{"result": ["user", "common"]}"#),
            "string[]"
        );
        assert_eq!(typed("any", r#"{"result": [7811, 8017]}"#), "integer[]");
        // A field-less `object` is as untyped (`crm.currency.delete`).
        assert_eq!(typed("object", r#"{"result": true}"#), "boolean");
        // Nothing shown, mixed kinds, or a documented type: left as they are.
        assert_eq!(typed("any", r#"{"result": null}"#), "any");
        assert_eq!(typed("any[]", r#"{"result": []}"#), "any[]");
        assert_eq!(typed("any[]", r#"{"result": [1, "a"]}"#), "any[]");
        assert_eq!(typed("string", r#"{"result": true}"#), "string");
    }

    #[test]
    fn a_start_parameter_without_a_list_in_the_result_is_no_list_method() {
        let mut m = method(
            vec![],
            "AddResult",
            vec![object("AddResult", vec![field("ID", "integer")])],
            "{}",
            r#"{"result": {"ID": 1}}"#,
        );
        m.list = Some(crate::spec::model::ListFacts {
            page_size: 50,
            items: String::new(),
            id_field: None,
        });
        let notes = fit_shapes(&mut m);
        assert_eq!(m.list, None, "{notes:?}");
        // A real list keeps its facts.
        let mut m = method(
            vec![],
            "ListResult",
            vec![
                object(
                    "ListResult",
                    vec![field("items", "Item[]"), field("users", "Item[]")],
                ),
                object("Item", vec![field("ID", "integer")]),
            ],
            "{}",
            r#"{"result": {"items": [{"ID": 1}], "users": []}}"#,
        );
        m.list = Some(crate::spec::model::ListFacts {
            page_size: 50,
            items: String::new(),
            id_field: None,
        });
        fit_shapes(&mut m);
        assert_eq!(m.list.map(|l| l.items).as_deref(), Some("items"));
    }

    #[test]
    fn objects_keyed_by_name_with_alike_values_are_maps() {
        let mut m = method(
            vec![],
            "object",
            vec![],
            "{}",
            r#"{"result": {"layout": {"blocks": {"block1": {"type": "text", "sort": 1}, "block2": {"type": "link", "sort": 2}}}}}"#,
        );
        fit_shapes(&mut m);
        let layout = m.types.iter().find(|t| t.name == "Layout").unwrap();
        assert_eq!(layout.fields.as_ref().unwrap()[0].ty, "map<Blocks>");
        assert!(m.types.iter().all(|t| t.name != "Block1"));
    }

    #[test]
    fn an_object_result_listed_in_the_example_becomes_a_list() {
        let mut m = method(
            vec![],
            "GetResult",
            vec![object("GetResult", vec![field("ID", "integer")])],
            "{}",
            r#"{"result": [{"ID": "1"}]}"#,
        );
        fit_shapes(&mut m);
        assert_eq!(m.result.ty, "GetResult[]");
        // Matching shapes change nothing.
        let before = m.clone();
        assert!(fit_shapes(&mut m).is_empty());
        assert_eq!(m, before);
    }
}
