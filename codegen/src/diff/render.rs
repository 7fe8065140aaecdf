//! The report as Markdown (a PR comment) or JSON (for tools).
//!
//! Markdown: a title, a summary table, then one section per class (groups whose most
//! severe change is breaking first), one heading per method, shared type or the crate;
//! within a group breaking changes first, and docs-only changes folded into one line.
//!
//! JSON: `{"summary": {...}, "changes": [{"method", "path", "kind", "class", "before",
//! "after", "reason", "detail"}]}`, changes in the same order; `method` is `null` for
//! shared types (`path` starts with `types`), events (which carry `"event"` instead) and
//! crate-wide changes; `detail` lists how a type changed (`scalar_to_array`,
//! `nullable_added`, ...), empty otherwise.

use std::fmt::Write as _;

use serde::Serialize;

use super::classify::{Class, Kind};
use super::{Change, Group, Report};

/// The longest value shown inline in Markdown.
const MAX_VALUE: usize = 60;
/// The most docs-only items listed for one group before "… and N more".
const MAX_DOCS_ITEMS: usize = 10;

fn tick(s: &str) -> String {
    let s = s.replace('`', "'").replace('\n', " ");
    let s = if s.len() == 40 && s.bytes().all(|b| b.is_ascii_hexdigit()) {
        s[..10].to_owned()
    } else if s.chars().count() > MAX_VALUE {
        format!("{}…", s.chars().take(MAX_VALUE).collect::<String>())
    } else {
        s
    };
    if s.is_empty() {
        "''".into()
    } else {
        format!("`{s}`")
    }
}

fn from_to(c: &Change) -> String {
    let show = |v: &Option<String>| v.as_deref().map_or("none".to_owned(), tick);
    format!("{} → {}", show(&c.before), show(&c.after))
}

fn prose(c: &Change) -> &'static str {
    let empty = |v: &Option<String>| v.as_deref().is_none_or(str::is_empty);
    match (empty(&c.before), empty(&c.after)) {
        (true, false) => "added",
        (false, true) => "removed",
        _ => "changed",
    }
}

/// Whether the change's path ends in the attribute that changed (`› type`, `› required`),
/// which Markdown moves into the description.
fn has_leaf(k: Kind) -> bool {
    use Kind::*;
    matches!(
        k,
        Deprecated
            | Undeprecated
            | DeprecationChanged
            | ScopeChanged
            | ReadOnlyChanged
            | ListAdded
            | ListRemoved
            | ListChanged
            | TitleChanged
            | SummaryChanged
            | DescriptionChanged
            | AccessChanged
            | SourceChanged
            | ParamRequiredChanged
            | ParamTypeChanged
            | ParamWireChanged
            | ParamDefaultChanged
            | ParamDocTypeChanged
            | ParamDescriptionChanged
            | ResultPagedChanged
            | ResultDocTypeChanged
            | ResultDescriptionChanged
            | TypeDescriptionChanged
            | FieldRequiredChanged
            | FieldTypeChanged
            | FieldWireChanged
            | FieldDefaultChanged
            | FieldDocTypeChanged
            | FieldDescriptionChanged
            | EnumValueNameChanged
            | EnumValueDescriptionChanged
            | EnumReprChanged
            | ErrorStatusChanged
            | ErrorMessageChanged
            | ErrorDescriptionChanged
            | DocsPinChanged
    )
}

/// The path shown in Markdown and what happened there, e.g.
/// (`params › ENTITIES`, "type `any[]` → `integer[]` (`any` → typed)").
pub fn describe(c: &Change) -> (String, String) {
    use Kind::*;
    let k = c.kind();
    let (path, leaf) = match (has_leaf(k), c.path.split_last()) {
        (true, Some((leaf, rest))) => (rest.join(" › "), leaf.clone()),
        _ => (c.path_str(), String::new()),
    };
    let what = match k {
        MethodAdded
        | TypeAdded
        | ErrorAdded
        | ErrorCodeVariantAdded
        | ErrorCodeSpellingAdded
        | FeatureAdded
        | ExampleAdded
        | EventAdded
        | EnumValueAdded => match (k, &c.after) {
            (TypeAdded, Some(kind)) => format!("added ({kind})"),
            _ => "added".into(),
        },
        MethodRemoved
        | TypeRemoved
        | ErrorRemoved
        | ErrorCodeVariantRemoved
        | ErrorCodeSpellingRemoved
        | FeatureRemoved
        | ExampleRemoved
        | EventRemoved
        | EnumValueRemoved => "removed".into(),
        EventBindChanged => match (&c.before, &c.after) {
            (Some(b), None) => format!("{} removed", tick(b)),
            (_, Some(a)) => format!("{} added", tick(a)),
            (None, None) => "changed".into(),
        },
        EventAuthChanged => format!("keys {}", from_to(c)),
        ExampleChanged => "changed".into(),
        Deprecated => "now deprecated".into(),
        Undeprecated => "no longer deprecated".into(),
        DeprecationChanged => "deprecation note changed".into(),
        AliasAdded => format!(
            "{} added",
            c.after.as_deref().map_or_else(String::new, tick)
        ),
        AliasRemoved => format!(
            "{} removed",
            c.before.as_deref().map_or_else(String::new, tick)
        ),
        ListAdded => "list facts added".into(),
        ListRemoved => "list facts removed".into(),
        TitleChanged
        | SummaryChanged
        | DescriptionChanged
        | AccessChanged
        | ParamDescriptionChanged
        | FieldDescriptionChanged
        | ResultDescriptionChanged
        | TypeDescriptionChanged
        | EnumValueDescriptionChanged
        | ErrorMessageChanged
        | ErrorDescriptionChanged => format!("{leaf} {}", prose(c)),
        SourceChanged => format!("{leaf} changed"),
        DocsPinChanged => format!("{leaf} {}", from_to(c)),
        ParamAdded | FieldAdded => {
            let required = c.rule.rule().when == "required";
            format!(
                "added, {} {}",
                if required { "required" } else { "optional" },
                c.after.as_deref().map_or_else(String::new, tick)
            )
        }
        ParamRemoved | FieldRemoved => {
            format!(
                "removed (was {})",
                c.before.as_deref().map_or_else(String::new, tick)
            )
        }
        ParamRenamed | FieldRenamed => format!("wire name {}", from_to(c)),
        ParamRequiredChanged | FieldRequiredChanged => {
            if c.after.as_deref() == Some("true") {
                "optional → required".into()
            } else {
                "required → optional".into()
            }
        }
        ParamTypeChanged | FieldTypeChanged | ResultTypeChanged => {
            let shifts: Vec<&str> = c.shifts.iter().map(|s| s.label()).collect();
            format!(
                "type {}{}",
                from_to(c),
                if shifts.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", shifts.join(", "))
                }
            )
        }
        ParamWireChanged | FieldWireChanged => format!("wire format {}", from_to(c)),
        ParamsReordered | FieldsReordered => format!("order {}", from_to(c)),
        EnumVariantRenamed => format!("variant {}", from_to(c)),
        EnumValueWireChanged => format!("wire value {}", from_to(c)),
        EnumValueNameChanged => format!("variant name {}", from_to(c)),
        TypeKindChanged => from_to(c),
        ScopeChanged | ReadOnlyChanged | ListChanged | ParamDefaultChanged
        | FieldDefaultChanged | ParamDocTypeChanged | FieldDocTypeChanged
        | ResultDocTypeChanged | ResultPagedChanged | EnumReprChanged | ErrorStatusChanged => {
            format!("{leaf} {}", from_to(c))
        }
    };
    (path, what)
}

fn line(c: &Change) -> String {
    let (path, what) = describe(c);
    let at = if path.is_empty() {
        String::new()
    } else {
        format!("{path}: ")
    };
    format!("- **{}** {at}{what} — {}\n", c.class(), c.reason)
}

/// The docs-only changes of a group, folded: "description changed; examples › response: changed ×2".
fn docs_items(changes: &[&Change]) -> String {
    let mut items: Vec<(String, usize)> = Vec::new();
    for c in changes.iter().filter(|c| c.class() == Class::DocsOnly) {
        let (path, what) = describe(c);
        let label = if path.is_empty() {
            what
        } else {
            format!("{path}: {what}")
        };
        match items.iter_mut().find(|(l, _)| *l == label) {
            Some((_, n)) => *n += 1,
            None => items.push((label, 1)),
        }
    }
    let shown: Vec<String> = items
        .iter()
        .take(MAX_DOCS_ITEMS)
        .map(|(l, n)| {
            if *n > 1 {
                format!("{l} ×{n}")
            } else {
                l.clone()
            }
        })
        .collect();
    let mut s = shown.join("; ");
    if items.len() > MAX_DOCS_ITEMS {
        let _ = write!(s, "; … and {} more", items.len() - MAX_DOCS_ITEMS);
    }
    s
}

fn heading(report: &Report, g: &Group) -> String {
    match g {
        Group::Method(m) => format!("`{m}` — `{}`", crate::naming::request_path(m)),
        Group::SharedType(t) => {
            let users = report
                .shared_type_users
                .get(t)
                .map(Vec::as_slice)
                .unwrap_or_default();
            let used = match users.len() {
                0 => String::new(),
                1..=4 => format!(
                    " (used by {})",
                    users
                        .iter()
                        .map(|u| format!("`{u}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                n => format!(" (used by {n} methods)"),
            };
            format!(
                "shared type `{t}` — `bitrix24::types::{}`{used}",
                crate::naming::type_name(t)
            )
        }
        Group::Event(e) => format!("event `{e}` — `{}`", crate::naming::event_path(e)),
        Group::Crate => "crate-wide (`api.yaml`, `ErrorCode`, Cargo features)".into(),
    }
}

/// Groups in report order with their changes.
fn groups(report: &Report) -> Vec<(&Group, Vec<&Change>)> {
    let mut out: Vec<(&Group, Vec<&Change>)> = Vec::new();
    for c in &report.changes {
        match out.last_mut() {
            Some((g, cs)) if *g == &c.group => cs.push(c),
            _ => out.push((&c.group, vec![c])),
        }
    }
    out
}

/// The Markdown report.
pub fn markdown(report: &Report) -> String {
    let s = report.summary();
    let mut out = format!("## Spec diff: `{}` → `{}`\n\n", report.base, report.head);
    if report.changes.is_empty() {
        out.push_str("No changes: the two specs are the same.\n");
        return out;
    }
    let mut touched = s.methods_touched.to_string();
    let extra: Vec<String> = [(s.methods_added, "added"), (s.methods_removed, "removed")]
        .into_iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, w)| format!("{n} {w}"))
        .collect();
    if !extra.is_empty() {
        let _ = write!(touched, " ({})", extra.join(", "));
    }
    let bold = |n: usize| {
        if n > 0 {
            format!("**{n}**")
        } else {
            "0".into()
        }
    };
    let _ = write!(
        out,
        "| breaking | compatible | docs-only | methods touched |\n|---:|---:|---:|---|\n| {} | {} | {} | {touched} |\n",
        bold(s.breaking),
        s.compatible,
        s.docs_only
    );
    let all = groups(report);
    for class in Class::ALL {
        let section: Vec<&(&Group, Vec<&Change>)> = all
            .iter()
            .filter(|(_, cs)| cs.iter().map(|c| c.class()).min() == Some(class))
            .collect();
        if section.is_empty() {
            continue;
        }
        let title = match class {
            Class::Breaking => "Breaking",
            Class::Compatible => "Compatible",
            Class::DocsOnly => "Docs-only",
        };
        let _ = write!(out, "\n### {title}\n");
        if class == Class::DocsOnly {
            out.push('\n');
            for (g, cs) in section {
                let _ = writeln!(out, "- {}: {}", heading(report, g), docs_items(cs));
            }
            continue;
        }
        for (g, cs) in section {
            let _ = write!(out, "\n#### {}\n\n", heading(report, g));
            for c in cs.iter().filter(|c| c.class() != Class::DocsOnly) {
                out.push_str(&line(c));
            }
            let n = cs.iter().filter(|c| c.class() == Class::DocsOnly).count();
            if n > 0 {
                let _ = writeln!(out, "- docs-only ({n}): {}", docs_items(cs));
            }
        }
    }
    out
}

#[derive(Serialize)]
struct JsonReport<'a> {
    summary: JsonSummary<'a>,
    changes: Vec<JsonChange<'a>>,
}

#[derive(Serialize)]
struct JsonSummary<'a> {
    base: &'a str,
    head: &'a str,
    breaking: usize,
    compatible: usize,
    docs_only: usize,
    methods_touched: usize,
    methods_added: usize,
    methods_removed: usize,
}

#[derive(Serialize)]
struct JsonChange<'a> {
    method: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    event: Option<&'a str>,
    path: String,
    kind: &'static str,
    class: &'static str,
    before: Option<&'a str>,
    after: Option<&'a str>,
    reason: &'a str,
    detail: Vec<&'static str>,
}

/// The JSON report (pretty-printed, with a trailing newline).
pub fn json(report: &Report) -> String {
    let s = report.summary();
    let doc = JsonReport {
        summary: JsonSummary {
            base: &report.base,
            head: &report.head,
            breaking: s.breaking,
            compatible: s.compatible,
            docs_only: s.docs_only,
            methods_touched: s.methods_touched,
            methods_added: s.methods_added,
            methods_removed: s.methods_removed,
        },
        changes: report
            .changes
            .iter()
            .map(|c| JsonChange {
                method: c.group.method(),
                event: c.group.event(),
                path: c.path_str(),
                kind: c.kind().as_str(),
                class: c.class().as_str(),
                before: c.before.as_deref(),
                after: c.after.as_deref(),
                reason: &c.reason,
                detail: c.shifts.iter().map(|s| s.as_str()).collect(),
            })
            .collect(),
    };
    match serde_json::to_string_pretty(&doc) {
        Ok(mut s) => {
            s.push('\n');
            s
        }
        Err(e) => format!("{{\"error\": \"{e}\"}}\n"),
    }
}
