//! Where a method page keeps its parameters when it has no plain parameter table (a table
//! before the first heading that the request example sends, one table per numbered way to
//! call the method, a reference to the list methods' description), and how the request
//! examples' keys meet the parameters (inside one undocumented key, in another case, or by
//! position).

use std::collections::BTreeMap;

use crate::naming;
use crate::spec::model::{Example, Field, Method, TypeDef};

use super::examples::Stats;
use super::page::{data_rows, read_name_cell};
use super::yfm::Row;

/// The parameters every list method takes (`select`, `filter`, `order`, `start`), for a
/// page whose parameters section only refers to the list methods' description (`note`).
pub(super) fn list_method_params(note: &str) -> Vec<Field> {
    [
        ("select", "string[]", "The fields to return; `*` and `UF_*` select all fields or all custom fields"),
        ("filter", "object", "The filter: field names, optionally with an operator prefix (`>=`, `%`, `!`, ...), and their values"),
        ("order", "object", "The sort order: field names and `ASC` or `DESC`, in order of priority"),
        ("start", "integer", "The offset of the page: `next` of the previous answer"),
    ]
    .into_iter()
    .map(|(name, ty, what)| Field {
        name: name.to_owned(),
        rust_name: None,
        ty: ty.to_owned(),
        doc_type: None,
        required: false,
        description: format!("{what}.\n\n{note}"),
        default: None,
        wire: None,
        kept: None,
    })
    .collect()
}

/// Whether a heading numbers a way to call the method (`1. By the attached poll ID`).
pub(super) fn is_numbered(heading: &str) -> bool {
    // The raw text: as Markdown on its own, `1. By ...` would read as a list item.
    let t = heading.trim();
    let digits = t.chars().take_while(char::is_ascii_digit).count();
    digits > 0 && t[digits..].starts_with(". ")
}

/// The parameters of several ways to call a method: each once, in first-seen order,
/// required only where every way requires it.
pub(super) fn merge_variants(variants: Vec<Vec<Field>>) -> Vec<Field> {
    let n = variants.len();
    let mut merged: Vec<Field> = Vec::new();
    for v in &variants {
        for f in v {
            if merged.iter().any(|m| m.name == f.name) {
                continue;
            }
            let everywhere = variants
                .iter()
                .filter(|w| w.iter().any(|g| g.name == f.name && g.required))
                .count()
                == n;
            merged.push(Field {
                required: f.required && everywhere,
                ..f.clone()
            });
        }
    }
    merged
}

/// Whether the request example is an object whose keys (but `auth`) are all rows of the
/// table, and there is at least one.
pub(super) fn sends_only_rows(
    example: Option<&Example>,
    rows: &[Row],
    defs: &BTreeMap<String, String>,
) -> bool {
    let Some(serde_json::Value::Object(o)) =
        example.and_then(|e| serde_json::from_str::<serde_json::Value>(&e.json).ok())
    else {
        return false;
    };
    let names: Vec<String> = data_rows(rows)
        .iter()
        .filter_map(|r| r.cells.first())
        .filter_map(|c| read_name_cell(c, defs))
        .map(|c| c.name)
        .collect();
    let mut keys = o.keys().filter(|k| *k != "auth").peekable();
    keys.peek().is_some() && keys.all(|k| names.contains(k))
}

/// Parameters the request example sends inside one key the table does not name
/// (`{"ID": 196, "FIELDS": {"NAME": ..., "CURRENCY": ...}}` for the rows `ID`, `NAME`,
/// `CURRENCY` of `sale.delivery.update`; `FILE` of `task.item.addfile`), or names only as
/// an `object` without a table (`{"flowData": {"name": ...}}` for the rows `flowData`,
/// `name`, `id` of `tasks.flow.Flow.isExists`), are the fields of that object parameter:
/// the table lists them flat. Only when every key inside is a row, and no example sends
/// one of them at the top. Returns the wrapper's name.
pub(super) fn nest_under_wrapper(m: &mut Method) -> Option<String> {
    let examples = super::examples::objects(&m.examples.request);
    let param = |k: &str| m.params.iter().find(|p| p.name.eq_ignore_ascii_case(k));
    let is_param = |k: &str| param(k).is_some();
    // A documented object whose fields the page does not give (not a query's `filter`).
    let bare_object =
        |k: &str| param(k).is_some_and(|p| p.ty == "object" && !super::page::is_query_param(k));
    let first = examples.first()?;
    let unknown: Vec<(&String, &serde_json::Map<String, serde_json::Value>)> = first
        .iter()
        .filter(|(k, _)| *k != "auth" && (!is_param(k) || bare_object(k)))
        .filter_map(|(k, v)| Some((k, v.as_object()?)))
        .filter(|(_, inner)| !inner.is_empty() && inner.keys().all(|i| is_param(i)))
        .collect();
    let [(wrapper, inner)] = unknown.as_slice() else {
        return None;
    };
    let wrapper = (*wrapper).clone();
    let inner: Vec<String> = inner.keys().cloned().collect();
    let at_top = examples.iter().any(|o| {
        o.keys()
            .any(|k| inner.iter().any(|i| i.eq_ignore_ascii_case(k)))
    });
    let name = naming::type_name(&wrapper);
    if at_top || m.types.iter().any(|t| t.name == name) {
        return None;
    }
    // The documented wrapper keeps its row (name, required mark, description).
    let at = m.params.iter().position(|p| p.name == wrapper);
    // The parameters before the documented wrapper: it keeps its place after them.
    let before: Vec<String> = m.params[..at.unwrap_or(0)]
        .iter()
        .map(|p| p.name.clone())
        .collect();
    let documented = at.map(|i| m.params.remove(i));
    let (moved, kept): (Vec<Field>, Vec<Field>) = std::mem::take(&mut m.params)
        .into_iter()
        .partition(|p| inner.iter().any(|k| k.eq_ignore_ascii_case(&p.name)));
    let at = match documented {
        Some(_) => kept
            .iter()
            .position(|p| !before.contains(&p.name))
            .unwrap_or(kept.len()),
        None => kept.len(),
    };
    m.params = kept;
    let listed = moved
        .iter()
        .map(|f| format!("`{}`", f.name))
        .collect::<Vec<_>>()
        .join(", ");
    m.params.insert(at, match documented {
        Some(mut p) => {
            p.ty = name.clone();
            p.description = format!(
                "{}\n\nIts fields are {listed}, which the page lists as parameters and its request example sends inside `{wrapper}`.",
                p.description
            );
            p
        }
        None => Field {
            name: wrapper.clone(),
            rust_name: None,
            ty: name.clone(),
            doc_type: None,
            required: moved.iter().any(|f| f.required),
            description: format!(
                "The fields {listed}, which the page lists as parameters and its request example sends inside `{wrapper}`."
            ),
            default: None,
            wire: None,
            kept: None,
        },
    });
    m.types.push(TypeDef {
        name,
        description: String::new(),
        fields: Some(moved),
        values: None,
        repr: None,
        key_families: Vec::new(),
    });
    Some(wrapper)
}

/// Request example keys that differ from a parameter only in case are renamed (the
/// API reads parameter names case-insensitively); for a method that reads its parameters
/// by position ([`Method::positional`]), other keys, and the items of an array, are the
/// parameters at their position. Examples with other unknown keys are kept with
/// `skip_round_trip` saying which keys. Returns problems.
pub(super) fn fix_request_examples(m: &mut Method, stats: &mut Stats) -> Vec<String> {
    let mut problems = Vec::new();
    let names: Vec<String> = m.params.iter().map(|p| p.name.clone()).collect();
    let mut kept = Vec::new();
    for mut ex in std::mem::take(&mut m.examples.request) {
        let mut renamed = Vec::new();
        let mut by_position = Vec::new();
        let o = match serde_json::from_str::<serde_json::Value>(&ex.json) {
            Ok(serde_json::Value::Object(o)) => o,
            Ok(serde_json::Value::Array(items)) if m.positional && items.len() <= names.len() => {
                by_position.push("the array's items".to_string());
                names.iter().cloned().zip(items).collect()
            }
            _ => {
                kept.push(ex);
                continue;
            }
        };
        let keys: Vec<String> = o.keys().filter(|k| *k != "auth").cloned().collect();
        let mut unknown = Vec::new();
        let mut out = serde_json::Map::new();
        for (k, v) in o {
            if k == "auth" || names.contains(&k) {
                out.insert(k, v);
                continue;
            }
            let matches: Vec<&String> = names
                .iter()
                .filter(|n| n.eq_ignore_ascii_case(&k))
                .collect();
            let at = keys.iter().position(|x| *x == k).and_then(|i| names.get(i));
            match (matches.as_slice(), at) {
                ([one], _) if !out.contains_key(one.as_str()) => {
                    renamed.push(format!("`{k}` → `{one}`"));
                    out.insert((*one).clone(), v);
                }
                ([], Some(n)) if m.positional && !out.contains_key(n) && !keys.contains(n) => {
                    by_position.push(format!("`{k}` → `{n}`"));
                    out.insert(n.clone(), v);
                }
                _ => unknown.push(format!("`{k}`")),
            }
        }
        let was_repaired = ex.repaired.is_some();
        if !unknown.is_empty() {
            // Kept (nothing from the docs is lost), but it cannot round-trip through the
            // typed request.
            let reason = format!(
                "the example sends {}, which the page does not document as parameters",
                unknown.join(", ")
            );
            problems.push(format!("request example kept without round trip: {reason}"));
            ex.skip_round_trip = Some(reason);
            kept.push(ex);
            continue;
        }
        if !renamed.is_empty() || !by_position.is_empty() {
            let v = serde_json::Value::Object(out);
            let text = if ex.json.contains('\n') {
                serde_json::to_string_pretty(&v)
            } else {
                serde_json::to_string(&v)
            };
            if let Ok(text) = text {
                ex.json = text;
                let mut what = Vec::new();
                if !renamed.is_empty() {
                    what.push(format!(
                        "renamed keys {} (parameter names are case-insensitive)",
                        renamed.join(", ")
                    ));
                }
                if !by_position.is_empty() {
                    what.push(format!(
                        "read {} as the parameters at their position (the portal reads them by position)",
                        by_position.join(", ")
                    ));
                }
                let what = what.join("; ");
                ex.repaired = Some(match ex.repaired.take() {
                    Some(r) => format!("{r}; {what}"),
                    None => what,
                });
                if !was_repaired {
                    stats.valid -= 1;
                    stats.repaired += 1;
                }
            }
        }
        kept.push(ex);
    }
    m.examples.request = kept;
    problems
}
