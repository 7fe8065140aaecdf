//! One event page → one [`Event`], and the service-wide `auth` keys of event deliveries.
//!
//! An event page (`api-reference/crm/timeline/activities/events/on-crm-activity-add.md`)
//! reads: H1 `Event for ... onCrmActivityAdd`, `> Scope:` and `> Who can subscribe:`, the
//! summary and notes, then a section "What the Handler Receives" with the delivery as a JSON
//! block, a table of its top-level keys (`event`, `data`, `ts`, `auth`), one
//! `### Parameter FIELDS {#fields}` table per key of `data`, and `### Parameter auth` whose
//! include (`_includes/auth-params-in-events.md`) is service-wide ([`event_auth`], in
//! `api.yaml`). The tables, names and types go through the method importer's machinery
//! ([`super::page`]: rows, nested tables found by heading, docs types, enums).
//!
//! Rules beyond the literal docs (each reported as a note when it fires):
//! - the keys of `data` are those of the delivery example's `data`, then the code spans of
//!   the `data` row that a `### ...` table heading names; each takes the table whose
//!   heading names it (never by position); a key without a table is `any`;
//! - a `### Parameter data` table documents `data` itself: its rows are the keys of `data`
//!   (with their types, required marks and descriptions), not a key spelled `DATA`;
//! - a list, map or object in the data is not required: a delivery is a form body, where
//!   an empty one leaves no key;
//! - `bind`: `event.bind` (the page links it; every REST event is bound with it).

use std::collections::{BTreeMap, BTreeSet};

use crate::diagnostics::Diagnostic;
use crate::spec::model::{Event, Example, Field, Source};
use crate::spec::types::{Scalar, TypeExpr};

use super::doc_types;
use super::examples::Stats;
use super::json_repair;
use super::page::{self, NameCell, Nested, Page, RowField, Section};
use super::text::{self, LinkCtx};
use super::yfm::{self, Block, Row};

/// The include holding the `auth` keys of every delivery.
pub const AUTH_INCLUDE: &str = "_includes/auth-params-in-events.md";

/// The method that binds handlers to events.
pub const BIND: &str = "event.bind";

/// Everything transcribing an event page produced.
#[derive(Debug, Clone)]
pub struct EventTranscription {
    /// The event.
    pub event: Event,
    /// Located problems.
    pub diagnostics: Vec<Diagnostic>,
    /// Located notes: importer rules that changed what the docs literally say.
    pub notes: Vec<Diagnostic>,
    /// Tables that do not match the spec (rows vs. fields), one line each.
    pub completeness: Vec<String>,
    /// Example counts.
    pub examples: Stats,
    /// Docs type tokens the table does not know.
    pub unmapped: BTreeSet<String>,
}

/// Where the walk is on the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    Intro,
    /// "What the Handler Receives".
    Receives,
    Other,
}

/// Transcribes an event page. `includes` reads a docs-root-relative path.
pub fn transcribe_event(
    page_text: &str,
    page_path: &str,
    event: &str,
    includes: &dyn Fn(&str) -> Option<String>,
    commit: &str,
) -> EventTranscription {
    let mut p = Page::new(event, page_path, includes);
    let data_type = crate::naming::event_data(event);
    p.names.reserve(&data_type);
    let page = page_path.to_string();
    let parsed = yfm::parse(page_text);
    for pr in &parsed.problems {
        p.diag(&page, pr.line, "", pr.message.clone());
    }
    // The `auth` include is service-wide (`api.yaml`): not expanded into this event.
    let mut has_auth = false;
    let raw: Vec<Block> = parsed
        .blocks
        .into_iter()
        .filter(|b| match b {
            Block::Include { path, .. } if path.ends_with("/auth-params-in-events.md") => {
                has_auth = true;
                false
            }
            _ => true,
        })
        .collect();
    if !has_auth {
        p.diag(
            &page,
            0,
            "auth",
            format!("the page does not include `{AUTH_INCLUDE}`: deliveries are read with its `auth` keys all the same"),
        );
    }
    let blocks = p.expand(raw, &page);
    let mut defs = BTreeMap::new();
    for b in &blocks {
        if let Block::LinkDef { label, url } = b {
            defs.insert(label.clone(), url.clone());
        }
    }
    let ctx = p.link_ctx(&page, &defs);

    let mut title_raw = None;
    let mut scope: Vec<String> = Vec::new();
    let mut access = None;
    let mut intro: Vec<String> = Vec::new();
    let mut envelope: Option<(Vec<Row>, usize)> = None;
    let mut deliveries: Vec<Example> = Vec::new();
    let mut binds = false;
    let mut part = Part::Intro;
    let mut sub: Option<(String, Option<String>)> = None;
    for b in &blocks {
        if let Block::Para { text: t, .. } = b {
            binds |= text::links(t, &defs).iter().any(|l| {
                l.target
                    .split('#')
                    .next()
                    .unwrap_or("")
                    .ends_with("event-bind.md")
            });
        }
        match b {
            Block::Heading {
                level,
                text: h,
                anchor,
                ..
            } => {
                if *level == 1 && title_raw.is_none() {
                    title_raw = Some(h.clone());
                } else if *level <= 2 {
                    let lower = text::plain(h).to_lowercase();
                    part = if lower.starts_with("what the handler receives") {
                        Part::Receives
                    } else {
                        Part::Other
                    };
                    sub = None;
                } else {
                    sub = Some((
                        h.clone(),
                        Some(anchor.clone().unwrap_or_else(|| page::slug(h))),
                    ));
                }
            }
            Block::Para { text: t, .. } if part == Part::Intro => {
                let t = t.trim();
                if t.starts_with('>') {
                    for l in t.lines() {
                        let l = l.trim_start_matches('>').trim();
                        let lower = l.to_lowercase();
                        if let Some(rest) = lower.strip_prefix("scope:") {
                            scope = text::code_spans(l);
                            if scope.is_empty() {
                                scope = vec![text::plain(rest)];
                            }
                        } else if let Some(pos) = lower.find("who can subscribe:") {
                            access = Some(text::plain(&l[pos + "who can subscribe:".len()..]));
                        }
                    }
                } else {
                    intro.push(text::clean_md(t, &ctx));
                }
            }
            Block::Note {
                title, body, line, ..
            } if part == Part::Intro => {
                let raw = page::note_text(body);
                if page::is_site_tip(&raw) {
                    p.note(
                        &page,
                        *line,
                        "description",
                        "the site-wide AI-tools tip note is not event documentation: dropped",
                    );
                    continue;
                }
                let body = text::clean_md(&raw, &ctx);
                let t = title.trim();
                if !body.is_empty() {
                    intro.push(if t.is_empty() {
                        body
                    } else {
                        format!("**{t}**\n\n{body}")
                    });
                }
            }
            Block::Fence(f)
                if part == Part::Receives
                    && sub.is_none()
                    && (f.lang.is_empty() || f.lang == "json") =>
            {
                if let Some(ex) = delivery(&f.body, f.line, &page, &mut p) {
                    deliveries.push(ex);
                }
            }
            Block::Table(t) => {
                if part == Part::Receives && sub.is_none() && envelope.is_none() {
                    envelope = Some((t.rows.clone(), t.line));
                    continue;
                }
                let (heading, anchor) = sub.clone().unwrap_or_default();
                if let Some((_, a)) = sub.as_mut() {
                    *a = None;
                }
                p.nested.push(Nested {
                    page: page.clone(),
                    defs: defs.clone(),
                    heading,
                    anchor,
                    line: t.line,
                    rows: t.rows.clone(),
                    type_name: None,
                    local: true,
                    section: Section::Other,
                    tab: None,
                });
            }
            _ => {}
        }
    }

    let title = p.title(title_raw.as_deref().unwrap_or(""));
    let mut intro = intro.into_iter();
    let summary = intro.next().unwrap_or_else(|| {
        p.diag(&page, 1, "summary", "no summary paragraph");
        title.clone()
    });
    let description: Vec<String> = intro.collect();
    if scope.is_empty() {
        p.diag(&page, 1, "scope", "no `Scope:` line");
    }
    if deliveries.is_empty() {
        p.diag(
            &page,
            0,
            "examples",
            "no delivery example under \"What the Handler Receives\"",
        );
    }

    // The top-level keys of a delivery.
    let mut data_description = None;
    let mut data_type = None;
    let mut mentioned: Vec<String> = Vec::new();
    let mut data_rows: Vec<RowField> = Vec::new();
    match &envelope {
        Some((rows, _)) => {
            let rows = page::data_rows(rows).to_vec();
            for rf in p.read_rows(&rows, &page, &defs, "delivery") {
                match rf.cell.name.to_lowercase().as_str() {
                    "data" => {
                        let d = text::clean_md(&rf.desc, &ctx);
                        mentioned = text::code_spans(&rf.desc);
                        data_description = (!d.is_empty()).then_some(d);
                        data_type = scalar_data(rf.cell.token.as_deref());
                    }
                    "event" | "ts" | "auth" | "event_handler_id" => {}
                    // `data.FIELDS`: a row naming a key of `data` by its path.
                    other if other.starts_with("data.") && rf.cell.name.len() > 5 => {
                        data_rows.push(rf);
                    }
                    other => p.diag(
                        &page,
                        rf.line,
                        "delivery",
                        format!("the delivery table documents `{other}`, which is not a key of a delivery: skipped"),
                    ),
                }
            }
        }
        None => p.diag(
            &page,
            0,
            "delivery",
            "no table of the delivery's keys under \"What the Handler Receives\"",
        ),
    }

    // The keys of `data`: the example's, then those the `data` row names and a heading
    // names too.
    let example_data: Vec<(String, serde_json::Value)> = deliveries
        .first()
        .and_then(|e| serde_json::from_str::<serde_json::Value>(&e.json).ok())
        .and_then(|v| v.get("data").and_then(|d| d.as_object()).cloned())
        .map(|o| o.into_iter().collect())
        .unwrap_or_default();
    let mut keys: Vec<(String, Option<serde_json::Value>)> = example_data
        .into_iter()
        .map(|(k, v)| (k, Some(v)))
        .collect();
    for m in mentioned {
        let named = p.nested.iter().any(|n| heading_names(&n.heading, &m));
        if named && !keys.iter().any(|(k, _)| *k == m) {
            keys.push((m, None));
        }
    }
    // `### Parameter data {#data}`: the table of `data` itself, whose rows are its keys
    // (typed from their row, like `data.KEY` rows), not the table of a key `DATA`.
    if let Some(i) = p.nested.iter().position(|n| {
        n.type_name.is_none()
            && (n.anchor.as_deref() == Some("data")
                || text::plain(&n.heading).split_whitespace().last() == Some("data"))
    }) {
        let n = p.nested.remove(i);
        let rows = page::data_rows(&n.rows).to_vec();
        for mut rf in p.read_rows(&rows, &page, &defs, "data") {
            rf.cell.name = format!("data.{}", rf.cell.name);
            data_rows.push(rf);
        }
    }
    // Keys the delivery table documents as `data.KEY` rows: typed from their row.
    let mut documented: Vec<RowField> = Vec::new();
    for mut rf in data_rows {
        rf.cell.name = rf.cell.name["data.".len()..].to_string();
        if !keys.iter().any(|(k, _)| *k == rf.cell.name) {
            keys.push((rf.cell.name.clone(), None));
        }
        documented.push(rf);
    }
    p.section = Section::Other;
    let mut data = Vec::new();
    for (key, value) in keys {
        if let Some(i) = documented.iter().position(|rf| rf.cell.name == key) {
            let rf = documented.remove(i);
            data.push(p.make_field(rf, &page, &defs, "", "data", None));
            continue;
        }
        let has_table = p
            .nested
            .iter()
            .any(|n| n.type_name.is_none() && heading_names(&n.heading, &key));
        let token = if has_table {
            "object".to_string()
        } else {
            let t = json_token(value.as_ref());
            p.diag(
                &page,
                0,
                &format!("data › {key}"),
                format!(
                    "no table documents the data key `{key}`: typed `{}`",
                    doc_types::map(&t).ty
                ),
            );
            t
        };
        let rf = RowField {
            cell: NameCell {
                name: key,
                required: false,
                token: Some(token),
                type_target: None,
            },
            desc: String::new(),
            line: 0,
        };
        let mut f: Field = p.make_field(rf, &page, &defs, "", "data", None);
        // The token was inferred here, not written in the docs.
        f.doc_type = None;
        data.push(f);
    }

    // Tables no data key claimed, and claimed tables that lost rows.
    let mut completeness = Vec::new();
    for n in p.nested.iter().filter(|n| n.local) {
        let rows = page::data_rows(&n.rows).len() - page::pattern_rows(&n.rows);
        match &n.type_name {
            Some(name) => {
                let have = p
                    .types
                    .iter()
                    .find(|t| &t.name == name)
                    .map_or(0, |t| t.fields.as_ref().map_or(0, Vec::len));
                if have != rows {
                    completeness.push(format!(
                        "line {}: table `{}` has {rows} rows, type {name} has {have} fields",
                        n.line,
                        text::plain(&n.heading)
                    ));
                }
            }
            None => completeness.push(format!(
                "line {}: table `{}` ({rows} rows) is not in the spec: no data key names it",
                n.line,
                text::plain(&n.heading)
            )),
        }
    }

    if !binds {
        p.note(
            &page,
            0,
            "bind",
            format!("the page does not link `{BIND}`; every REST event is bound with it"),
        );
    }
    let mut e = Event {
        event: event.to_string(),
        source: Source {
            path: page.clone(),
            commit: commit.to_string(),
        },
        title,
        summary,
        description: (!description.is_empty()).then(|| description.join("\n\n")),
        scope: scope.join(", "),
        access,
        bind: vec![BIND.to_string()],
        data_description,
        data_type,
        data,
        types: std::mem::take(&mut p.types),
        examples: deliveries,
    };
    for n in super::keyed::placeholder_maps(e.data.iter_mut().map(|f| &mut f.ty), &mut e.types) {
        p.note(&page, 0, "types", n);
    }
    for n in empty_lists_vanish(&mut e) {
        p.note(&page, 0, "types", n);
    }
    for t in prune_event_types(&mut e) {
        p.note(
            &page,
            0,
            "types",
            format!("type {t} is referenced by nothing: dropped"),
        );
    }
    EventTranscription {
        event: e,
        diagnostics: p.diags,
        notes: p.notes,
        completeness,
        examples: p.stats,
        unmapped: p.unmapped,
    }
}

/// The type of `data` when its row types it as a scalar (`integer`: the ID of the deleted
/// open line of `OnImConnectorLineDelete`); `None` for an object or a list of keys.
fn scalar_data(token: Option<&str>) -> Option<String> {
    let mapped = super::doc_types::map(token?);
    (mapped.known
        && matches!(
            TypeExpr::parse(&mapped.ty),
            Ok(TypeExpr::Scalar(s)) if s.is_single_value()
        ))
    .then_some(mapped.ty)
}

/// A delivery is a form body (PHP's `http_build_query`), where an empty array or object
/// leaves no key: a list, map or object the docs mark required may be absent, so it is
/// not required. Returns notes.
fn empty_lists_vanish(e: &mut Event) -> Vec<String> {
    let structs: BTreeSet<String> = e
        .types
        .iter()
        .filter(|t| t.fields.is_some())
        .map(|t| t.name.clone())
        .collect();
    let container = |ty: &str| match TypeExpr::parse(ty) {
        Ok(TypeExpr::Array(_) | TypeExpr::Map(_) | TypeExpr::Scalar(Scalar::Object)) => true,
        Ok(TypeExpr::Named(n)) => structs.contains(&n),
        _ => false,
    };
    let mut notes = Vec::new();
    let owners = std::iter::once(("data", &mut e.data)).chain(
        e.types
            .iter_mut()
            .filter_map(|t| Some((t.name.as_str(), t.fields.as_mut()?))),
    );
    for (owner, fields) in owners {
        for f in fields.iter_mut().filter(|f| f.required && container(&f.ty)) {
            f.required = false;
            notes.push(format!(
                "{owner} › {}: an empty list or object leaves no key in the delivery's form body: not required",
                f.name
            ));
        }
    }
    notes
}

/// Whether a heading names `key` (`Parameter FIELDS` names `FIELDS`), ignoring case.
fn heading_names(heading: &str, key: &str) -> bool {
    let want = key.to_lowercase();
    text::plain(heading)
        .split(|c: char| !c.is_alphanumeric() && c != '_')
        .any(|w| w.to_lowercase() == want)
}

/// The docs type token a JSON value of the example suggests.
fn json_token(v: Option<&serde_json::Value>) -> String {
    use serde_json::Value as V;
    match v {
        Some(V::Object(_)) => "object",
        Some(V::Array(_)) => "array",
        Some(V::Bool(_)) => "boolean",
        Some(V::Number(n)) if n.is_i64() || n.is_u64() => "integer",
        Some(V::Number(_)) => "double",
        Some(V::String(_)) => "string",
        Some(V::Null) | None => "any",
    }
    .to_string()
}

/// A delivery example: a JSON object with an `event` key, repaired when mechanical.
fn delivery(body: &str, line: usize, page: &str, p: &mut Page<'_>) -> Option<Example> {
    p.stats.found += 1;
    match json_repair::repair(body) {
        Ok((json, repaired)) => {
            let v: serde_json::Value = serde_json::from_str(&json).ok()?;
            if !v.as_object().is_some_and(|o| o.contains_key("event")) {
                p.stats.found -= 1;
                return None;
            }
            if repaired.is_some() {
                p.stats.repaired += 1;
            } else {
                p.stats.valid += 1;
            }
            Some(Example {
                json,
                repaired,
                skip_round_trip: None,
            })
        }
        Err(e) => {
            p.stats.dropped += 1;
            p.diag(
                page,
                line,
                "examples",
                format!("delivery example dropped: {e}"),
            );
            None
        }
    }
}

/// Drops named types no data key reaches; returns their names.
pub fn prune_event_types(e: &mut Event) -> Vec<String> {
    let roots: Vec<&str> = e.data.iter().map(|f| f.ty.as_str()).collect();
    super::prune(&mut e.types, &roots)
}

/// The `auth` keys of every delivery, from `_includes/auth-params-in-events.md`; problems
/// as text.
pub fn event_auth(page_text: &str, page_path: &str) -> (Vec<Field>, Vec<String>) {
    let parsed = yfm::parse(page_text);
    let ctx = LinkCtx {
        page_path: page_path.to_string(),
        base_url: page::BASE_URL.to_string(),
        defs: BTreeMap::new(),
    };
    let mut problems: Vec<String> = parsed
        .problems
        .iter()
        .map(|p| format!("line {}: {}", p.line, p.message))
        .collect();
    let Some(table) = parsed.blocks.iter().find_map(|b| match b {
        Block::Table(t) => Some(t),
        _ => None,
    }) else {
        problems.push("no table of `auth` keys found".into());
        return (Vec::new(), problems);
    };
    let mut out = Vec::new();
    for row in page::data_rows(&table.rows) {
        let Some(cell) = row
            .cells
            .first()
            .and_then(|c| page::read_name_cell(c, &ctx.defs))
        else {
            problems.push(format!("line {}: row without a name", row.line));
            continue;
        };
        let (ty, doc_type) = match &cell.token {
            Some(t) => {
                let m = doc_types::map(t);
                if !m.known {
                    problems.push(format!(
                        "line {}: unmapped docs type `{t}`: read as `any`",
                        row.line
                    ));
                }
                let doc_type = (m.ty != *t).then(|| t.clone());
                (m.ty, doc_type)
            }
            None => {
                problems.push(format!(
                    "line {}: row without a type: read as `any`",
                    row.line
                ));
                ("any".to_string(), None)
            }
        };
        out.push(Field {
            name: cell.name,
            rust_name: None,
            ty,
            doc_type,
            required: cell.required,
            description: text::clean_md(row.cells.get(1).map_or("", String::as_str), &ctx),
            default: None,
            wire: None,
            kept: None,
        });
    }
    (out, problems)
}
