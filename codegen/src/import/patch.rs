//! Curation patches (`spec/patches/<method>.yaml`), applied to the imported method.
//!
//! A path is `/`-separated: on a mapping a segment is a key; on a sequence it selects
//! the element whose `name` (or `code`, `value`, `method`) equals it, or, failing
//! that, the element at that index; `-` on a sequence appends. A missing `value`
//! deletes the node.
//!
//! A patch is **stale** when its path does not resolve or its `expect` differs from
//! what the import produced (the docs changed: review it), and **obsolete** when the
//! import already produces its `value` (the docs were fixed: drop it).

use serde_json::Value;

use crate::spec::model::Patch;

/// What became of one patch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// Applied.
    Applied,
    /// The import already produces the patched value.
    Obsolete,
    /// Not applied: why.
    Stale(String),
}

/// One patch and its outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The patch's path.
    pub path: String,
    /// The patch's reason.
    pub reason: String,
    /// What happened.
    pub status: Status,
}

const SELECTORS: &[&str] = &["name", "code", "value", "method"];

fn select(seq: &[Value], seg: &str) -> Option<usize> {
    for key in SELECTORS {
        if let Some(i) = seq
            .iter()
            .position(|v| v.get(key).and_then(Value::as_str) == Some(seg))
        {
            return Some(i);
        }
    }
    seg.parse::<usize>().ok().filter(|&i| i < seq.len())
}

fn child<'v>(v: &'v mut Value, seg: &str) -> Option<&'v mut Value> {
    match v {
        Value::Object(m) => m.get_mut(seg),
        Value::Array(a) => {
            let i = select(a, seg)?;
            a.get_mut(i)
        }
        _ => None,
    }
}

fn show(v: Option<&Value>) -> String {
    match v {
        None => "nothing".into(),
        Some(v) => serde_json::to_string(v).unwrap_or_default(),
    }
}

/// Applies one patch to a method value.
pub fn apply_one(doc: &mut Value, patch: &Patch) -> Status {
    let segs: Vec<&str> = patch.path.split('/').filter(|s| !s.is_empty()).collect();
    let Some((last, parents)) = segs.split_last() else {
        return Status::Stale("empty path".into());
    };
    let mut node = doc;
    for (i, seg) in parents.iter().enumerate() {
        match child(node, seg) {
            Some(n) => node = n,
            None => {
                return Status::Stale(format!("`{}` does not resolve", parents[..=i].join("/")));
            }
        }
    }
    match node {
        Value::Object(m) => {
            let current = m.get(*last);
            if patch.value.is_some() && current == patch.value.as_ref() {
                return Status::Obsolete;
            }
            if let Some(e) = &patch.expect
                && current != Some(e)
            {
                return Status::Stale(format!(
                    "expected {}, the import gives {}",
                    show(Some(e)),
                    show(current)
                ));
            }
            match &patch.value {
                Some(v) => {
                    m.insert((*last).to_string(), v.clone());
                    Status::Applied
                }
                None if current.is_none() => Status::Obsolete,
                None => {
                    m.shift_remove(*last);
                    Status::Applied
                }
            }
        }
        Value::Array(a) => {
            if *last == "-" {
                return match &patch.value {
                    Some(v) if a.contains(v) => Status::Obsolete,
                    Some(v) => {
                        a.push(v.clone());
                        Status::Applied
                    }
                    None => Status::Stale("`-` needs a value to append".into()),
                };
            }
            let Some(i) = select(a, last) else {
                if patch.value.is_none() && patch.expect.is_none() {
                    return Status::Obsolete;
                }
                return Status::Stale(format!("no element `{last}` in `{}`", parents.join("/")));
            };
            if patch.value.is_some() && a.get(i) == patch.value.as_ref() {
                return Status::Obsolete;
            }
            if let Some(e) = &patch.expect
                && a.get(i) != Some(e)
            {
                return Status::Stale(format!(
                    "expected {}, the import gives {}",
                    show(Some(e)),
                    show(a.get(i))
                ));
            }
            match &patch.value {
                Some(v) => {
                    a[i] = v.clone();
                    Status::Applied
                }
                None => {
                    a.remove(i);
                    Status::Applied
                }
            }
        }
        _ => Status::Stale(format!(
            "`{}` is not a mapping or sequence",
            parents.join("/")
        )),
    }
}

/// Applies patches in order; stale ones are skipped.
pub fn apply_patches(doc: &mut Value, patches: &[Patch]) -> Vec<Outcome> {
    patches
        .iter()
        .map(|p| Outcome {
            path: p.path.clone(),
            reason: p.reason.clone(),
            status: apply_one(doc, p),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn patch(path: &str, expect: Option<Value>, value: Option<Value>) -> Patch {
        Patch {
            reason: "r".into(),
            path: path.into(),
            expect,
            value,
        }
    }

    #[test]
    fn set_select_append_delete() {
        let mut d =
            json!({"params": [{"name": "fields", "type": "Fields[]"}], "errors": [{"code": "A"}]});
        assert_eq!(
            apply_one(
                &mut d,
                &patch(
                    "params/fields/type",
                    Some(json!("Fields[]")),
                    Some(json!("Fields"))
                )
            ),
            Status::Applied
        );
        assert_eq!(d["params"][0]["type"], "Fields");
        assert_eq!(
            apply_one(
                &mut d,
                &patch("params/fields/wire", None, Some(json!("yn")))
            ),
            Status::Applied
        );
        assert_eq!(
            apply_one(&mut d, &patch("errors/-", None, Some(json!({"code": "B"})))),
            Status::Applied
        );
        assert_eq!(d["errors"][1]["code"], "B");
        assert_eq!(
            apply_one(&mut d, &patch("errors/A", None, None)),
            Status::Applied
        );
        assert_eq!(d["errors"].as_array().map(Vec::len), Some(1));
        assert_eq!(
            apply_one(&mut d, &patch("errors/0/code", None, Some(json!("C")))),
            Status::Applied
        );
    }

    #[test]
    fn stale_and_obsolete() {
        let mut d = json!({"params": [{"name": "x", "type": "integer[]"}]});
        // The docs now give the patched value: obsolete, even though `expect` differs.
        assert_eq!(
            apply_one(
                &mut d,
                &patch(
                    "params/x/type",
                    Some(json!("any[]")),
                    Some(json!("integer[]"))
                )
            ),
            Status::Obsolete
        );
        assert_eq!(
            apply_one(
                &mut d,
                &patch(
                    "params/x/type",
                    Some(json!("any[]")),
                    Some(json!("string[]"))
                )
            ),
            Status::Stale("expected \"any[]\", the import gives \"integer[]\"".into())
        );
        assert_eq!(
            apply_one(
                &mut d,
                &patch("params/x/type", None, Some(json!("integer[]")))
            ),
            Status::Obsolete
        );
        assert!(matches!(
            apply_one(&mut d, &patch("params/y/type", None, Some(json!("string")))),
            Status::Stale(_)
        ));
        assert_eq!(
            apply_one(&mut d, &patch("params/x/default", None, None)),
            Status::Obsolete
        );
    }
}
