//! The report as Markdown (a PR comment) or JSON (for tools).
//!
//! Markdown (a PR comment, under [`MAX_MARKDOWN`] characters at any size): a title, the
//! counts and the verdict to decide on, then one section per class (groups whose most
//! severe change is breaking first), one heading per method, shared type or the crate;
//! within a group breaking changes first, docs-only changes folded into one line, and the
//! docs-only section inside `<details>`. When that does not fit, compatible and docs-only
//! changes are counted by rule, and at last breaking changes are counted by rule too and
//! then listed one per line as far as they fit.
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
            | PositionalChanged
            | EventDataTypeChanged
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
        EventRenamed => format!("name {}", from_to(c)),
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
        ScopeChanged | ReadOnlyChanged | PositionalChanged | EventDataTypeChanged | ListChanged
        | ParamDefaultChanged | FieldDefaultChanged | ParamDocTypeChanged | FieldDocTypeChanged
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

/// GitHub's limit on a PR comment body, in characters.
pub const GITHUB_COMMENT_LIMIT: usize = 65_536;

/// The size the Markdown report keeps under (room for a bot's wrapper around it).
pub const MAX_MARKDOWN: usize = 60_000;

/// How much the Markdown report lists; the most detailed level that fits is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Detail {
    /// Every group with its changes; docs-only changes one line per group.
    Full,
    /// Breaking groups in full; compatible changes grouped by rule with example
    /// locations; docs-only changes counted by kind.
    Grouped,
    /// Breaking changes counted by rule, then one line each (as many as fit); the rest
    /// counted.
    Counts,
}

/// The Markdown report (a PR comment): title, counts and the verdict a reviewer must
/// decide on first, then breaking changes with the Rust item and the reason, compatible
/// ones, and docs-only ones folded into `<details>`. It stays under [`MAX_MARKDOWN`]
/// characters whatever the diff's size: large diffs are grouped, then counted.
pub fn markdown(report: &Report) -> String {
    markdown_within(report, MAX_MARKDOWN)
}

/// [`markdown`] within `budget` characters (a small budget still gets the header).
pub fn markdown_within(report: &Report, budget: usize) -> String {
    let head = header(report);
    if report.changes.is_empty() {
        return head;
    }
    let all = groups(report);
    for detail in [Detail::Full, Detail::Grouped] {
        let body = body(report, &all, detail, usize::MAX);
        if head.len() + body.len() <= budget {
            return head + &body;
        }
    }
    head.clone()
        + &body(
            report,
            &all,
            Detail::Counts,
            budget.saturating_sub(head.len()),
        )
}

fn header(report: &Report) -> String {
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
        "| breaking | compatible | docs-only | methods touched |\n|---:|---:|---:|---|\n| {} | {} | {} | {touched} |\n\n",
        bold(s.breaking),
        s.compatible,
        s.docs_only
    );
    out.push_str(if s.breaking > 0 {
        "**To decide: a breaking release** (a major version; a minor one while 0.x). Check that \
         each breaking change below is a real API change, not a docs slip to patch in \
         `spec/patches/`.\n"
    } else if s.compatible > 0 {
        "**To decide: a compatible release** (a minor version; a patch while 0.x): nothing \
         below breaks code written against the current crate.\n"
    } else {
        "**To decide: a patch release**: only rustdoc and the Markdown reference change.\n"
    });
    out
}

fn body(report: &Report, all: &[(&Group, Vec<&Change>)], detail: Detail, budget: usize) -> String {
    let mut out = String::new();
    let by_class = |class: Class| -> Vec<&(&Group, Vec<&Change>)> {
        all.iter()
            .filter(|(_, cs)| cs.iter().map(|c| c.class()).min() == Some(class))
            .collect()
    };
    // Breaking.
    let breaking = by_class(Class::Breaking);
    if !breaking.is_empty() {
        out.push_str("\n### Breaking\n");
        if detail == Detail::Counts {
            let lines: Vec<String> = report
                .changes
                .iter()
                .filter(|c| c.class() == Class::Breaking)
                .map(|c| format!("- {}", located_line(c)))
                .collect();
            // What there is to decide first: the breaking changes counted by rule.
            out.push('\n');
            out.push_str(&by_rule(report, Class::Breaking, 0));
            out.push_str("\nOne per line, in report order:\n\n");
            // Leave room for the counted sections after the list.
            let room = budget.saturating_sub(out.len() + 4_000);
            let mut used = 0;
            for (i, l) in lines.iter().enumerate() {
                if used + l.len() > room {
                    let _ = writeln!(
                        out,
                        "- … and {} more breaking changes (`--format json` lists every change)",
                        lines.len() - i
                    );
                    break;
                }
                used += l.len();
                out.push_str(l);
            }
        } else {
            for (g, cs) in &breaking {
                group_full(&mut out, report, g, cs);
            }
        }
    }
    // Compatible.
    let compatible = by_class(Class::Compatible);
    if !compatible.is_empty() {
        out.push_str("\n### Compatible\n");
        if detail == Detail::Full {
            for (g, cs) in &compatible {
                group_full(&mut out, report, g, cs);
            }
        } else {
            let listed = if detail == Detail::Grouped { 8 } else { 0 };
            out.push('\n');
            out.push_str(&by_rule(report, Class::Compatible, listed));
        }
    }
    // Docs-only, folded. In full detail, the groups with nothing more severe (the others
    // fold theirs in their own entry); otherwise every docs-only change, counted by rule.
    let (docs, groups, list) = if detail == Detail::Full {
        let only = by_class(Class::DocsOnly);
        let n = only.iter().map(|(_, cs)| cs.len()).sum::<usize>();
        let list: String = only
            .iter()
            .map(|(g, cs)| format!("- {}: {}\n", heading(report, g), docs_items(cs)))
            .collect();
        (n, only.len(), list)
    } else {
        let groups = all
            .iter()
            .filter(|(_, cs)| cs.iter().any(|c| c.class() == Class::DocsOnly))
            .count();
        let n = report.summary().docs_only;
        (n, groups, by_rule(report, Class::DocsOnly, 0))
    };
    if docs > 0 {
        let _ = write!(
            out,
            "\n<details><summary>Docs-only: {docs} change{} in {groups} item{} (rustdoc and the Markdown reference)</summary>\n\n{list}\n</details>\n",
            if docs == 1 { "" } else { "s" },
            if groups == 1 { "" } else { "s" }
        );
    }
    out
}

/// One group: its heading, its breaking and compatible changes, its docs-only ones folded.
fn group_full(out: &mut String, report: &Report, g: &Group, cs: &[&Change]) {
    let _ = write!(out, "\n#### {}\n\n", heading(report, g));
    for c in cs.iter().filter(|c| c.class() != Class::DocsOnly) {
        out.push_str(&line(c));
    }
    let n = cs.iter().filter(|c| c.class() == Class::DocsOnly).count();
    if n > 0 {
        let _ = writeln!(out, "- docs-only ({n}): {}", docs_items(cs));
    }
}

/// Where a change is, for lists outside its group: `` `crm.deal.add` › params › ID ``.
fn location(c: &Change) -> String {
    let owner = match &c.group {
        Group::Method(m) => format!("`{m}`"),
        Group::SharedType(t) => format!("type `{t}`"),
        Group::Event(e) => format!("event `{e}`"),
        Group::Crate => "crate".to_owned(),
    };
    if c.path.is_empty() {
        owner
    } else {
        format!("{owner} › {}", c.path_str())
    }
}

/// A change on one line with its location (the `Counts` level's breaking list).
fn located_line(c: &Change) -> String {
    let (_, what) = describe(c);
    format!("{}: {what} — {}\n", location(c), c.reason)
}

/// The changes of `class` counted by rule, most frequent first, each with up to `listed`
/// locations.
fn by_rule(report: &Report, class: Class, listed: usize) -> String {
    let mut rules: Vec<(super::RuleId, Vec<&Change>)> = Vec::new();
    for c in report.changes.iter().filter(|c| c.class() == class) {
        match rules.iter_mut().find(|(r, _)| *r == c.rule) {
            Some((_, v)) => v.push(c),
            None => rules.push((c.rule, vec![c])),
        }
    }
    rules.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.cmp(&b.0)));
    let mut out = String::new();
    for (rule, cs) in rules {
        let r = rule.rule();
        let label = r.kind.as_str().replace('_', " ");
        let when = if r.when.is_empty() {
            String::new()
        } else {
            format!(" ({})", r.when)
        };
        let _ = write!(out, "- **{}** × {label}{when}", cs.len());
        if listed > 0 {
            let shown: Vec<String> = cs.iter().take(listed).map(|c| location(c)).collect();
            let _ = write!(out, ": {}", shown.join("; "));
            if cs.len() > listed {
                let _ = write!(out, "; … and {} more", cs.len() - listed);
            }
        }
        out.push('\n');
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
