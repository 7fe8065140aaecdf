//! Per-method facts the client needs: whether a method only reads (safe to retry on an
//! ambiguous failure) and how a list method pages.

use crate::spec::model::{ListFacts, Method, TypeDef};
use crate::spec::types::TypeExpr;

/// Whether the page says the portal reads the parameters by position ("It is mandatory
/// to follow the order of parameters in the request").
pub fn positional(page_text: &str) -> bool {
    let lower = page_text.to_lowercase();
    lower.contains("order of parameters") || lower.contains("order of the parameters")
}

/// How a rule matches a method name.
#[derive(Debug, Clone, Copy)]
pub enum Match {
    /// The whole method name.
    Exact(&'static str),
    /// A name prefix.
    Prefix(&'static str),
    /// The last dot-separated segment.
    Last(&'static str),
    /// The last segment's beginning.
    LastStarts(&'static str),
}

/// `(match, read_only, why)`, first match wins; no match → writes (not read-only).
pub const READ_ONLY_RULES: &[(Match, bool, &str)] = &[
    (
        Match::Exact("bizproc.activity.log"),
        false,
        "appends an entry to the workflow log",
    ),
    (
        Match::Prefix("crm.enum."),
        true,
        "enumeration getters: the last segment names the enumeration",
    ),
    (Match::Last("get"), true, "returns one object or setting"),
    (Match::Last("list"), true, "returns a page of objects"),
    (Match::Last("fields"), true, "describes fields"),
    (Match::Last("instances"), true, "lists running workflows"),
    (Match::Last("items"), true, "lists the items of an object"),
    (Match::Last("statuslist"), true, "lists statuses"),
    (
        Match::Last("findbycomm"),
        true,
        "searches duplicates by phone/e-mail",
    ),
    (Match::Last("mode"), true, "returns the current mode"),
    (
        Match::LastStarts("get"),
        true,
        "`getSomething` getters (crm.enum.getorderownertypes)",
    ),
];

/// The read-only rule for a method: `(read_only, why)`.
pub fn read_only(method: &str) -> (bool, &'static str) {
    let last = method.rsplit('.').next().unwrap_or(method);
    for (m, ro, why) in READ_ONLY_RULES {
        let hit = match m {
            Match::Exact(s) => method == *s,
            Match::Prefix(s) => method.starts_with(s),
            Match::Last(s) => last == *s,
            Match::LastStarts(s) => last.starts_with(s),
        };
        if hit {
            return (*ro, why);
        }
    }
    (false, "no rule: assumed to write")
}

fn find_type<'a>(types: &'a [TypeDef], name: &str) -> Option<&'a TypeDef> {
    types.iter().find(|t| t.name == name)
}

fn is_integer_like(ty: &str, types: &[TypeDef]) -> bool {
    match TypeExpr::parse(ty) {
        Ok(t) => match t.innermost() {
            TypeExpr::Scalar(s) => s.as_str() == "integer",
            TypeExpr::Named(n) => find_type(types, n).is_some_and(|t| t.values.is_some()),
            _ => false,
        },
        Err(_) => false,
    }
}

/// List facts for a method paged by `start`: where the items sit and the ID field.
pub fn list_facts(method: &Method, example_result: Option<&serde_json::Value>) -> ListFacts {
    let result = TypeExpr::parse(&method.result.ty).ok();
    let mut items = String::new();
    let mut item_type: Option<String> = None;
    match &result {
        Some(TypeExpr::Array(inner)) => {
            if let TypeExpr::Named(n) = &**inner {
                item_type = Some(n.clone());
            }
        }
        Some(TypeExpr::Named(n)) => {
            if let Some(fields) = find_type(&method.types, n).and_then(|t| t.fields.as_ref()) {
                let arrays: Vec<_> = fields.iter().filter(|f| f.ty.ends_with("[]")).collect();
                // Several lists: the one named `items` holds the page.
                let named_items: Vec<_> = arrays
                    .iter()
                    .copied()
                    .filter(|f| f.name.eq_ignore_ascii_case("items"))
                    .collect();
                let pick = if arrays.len() > 1 {
                    named_items
                } else {
                    arrays
                };
                if let [f] = pick.as_slice() {
                    items = f.name.clone();
                    if let Ok(TypeExpr::Array(inner)) = TypeExpr::parse(&f.ty)
                        && let TypeExpr::Named(n) = *inner
                    {
                        item_type = Some(n);
                    }
                }
            }
        }
        _ => {}
    }
    // The example's first item.
    let mut example_item = None;
    if let Some(r) = example_result {
        match r {
            serde_json::Value::Array(a) => example_item = a.first(),
            serde_json::Value::Object(o) if items.is_empty() => {
                let arrays: Vec<_> = o.iter().filter(|(_, v)| v.is_array()).collect();
                if let [(k, v)] = arrays.as_slice() {
                    items = (*k).clone();
                    example_item = v.as_array().and_then(|a| a.first());
                }
            }
            serde_json::Value::Object(o) => {
                example_item = o
                    .get(&items)
                    .and_then(|v| v.as_array())
                    .and_then(|a| a.first())
            }
            _ => {}
        }
    }
    let mut id_field = None;
    for cand in ["ID", "id"] {
        let declared = item_type
            .as_ref()
            .and_then(|n| find_type(&method.types, n))
            .and_then(|t| t.fields.as_ref())
            .and_then(|f| f.iter().find(|f| f.name == cand));
        let from_example = example_item.and_then(|i| i.get(cand));
        let numeric_example = from_example.map(|v| match v {
            serde_json::Value::Number(n) => n.is_i64() || n.is_u64(),
            serde_json::Value::String(s) => !s.is_empty() && s.chars().all(|c| c.is_ascii_digit()),
            _ => false,
        });
        let ok = match (declared, numeric_example) {
            (_, Some(n)) => n,
            (Some(f), None) => is_integer_like(&f.ty, &method.types),
            (None, None) => false,
        };
        if ok {
            id_field = Some(cand.to_string());
            break;
        }
    }
    ListFacts {
        page_size: 50,
        items,
        id_field,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_only_rules() {
        assert!(read_only("crm.activity.layout.blocks.get").0);
        assert!(!read_only("bizproc.activity.log").0);
        assert!(read_only("crm.enum.activitytype").0);
        assert!(read_only("crm.enum.getorderownertypes").0);
        assert!(read_only("bizproc.workflow.instances").0);
        assert!(!read_only("crm.activity.add").0);
        assert!(!read_only("crm.automation.trigger").0);
        assert!(!read_only("crm.activity.todo.updateColor").0);
    }
}
