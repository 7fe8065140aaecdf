//! `cargo xtask cross-check`: the spec against the docs' tables, read a second way.
//!
//! The importer reads a page through its YFM parser, section rules, patches and naming
//! rules; a mistake there would also pass every check built on its output. This module
//! re-reads the tables with a deliberately plain line scanner that shares no code with
//! [`crate::import`] and compares three kinds of rows with the spec:
//!
//! - **parameter**: each row of the first table of the parameters section (and of the
//!   tables under a subsection whose anchor or heading names a top-level parameter, which
//!   describe that parameter's object): the spec must have a parameter or field of that
//!   wire name, reached through nested types for `fields.TITLE` or `items[].id`, or, for
//!   a row naming a family of keys (`UF_CRM_...`, `propertyN`), the object's
//!   `key_families` must hold its prefix;
//! - **required**: the same rows, whose required mark (`**id***`, `**id**^*^`,
//!   `**id^*^**`) must match the spec's `required`;
//! - **error code**: each code in an error table (the column headed `Code`, or the
//!   ``Error Code: `X` `` line above a REST 3.0 table) must be one of the method's errors.
//!
//! A disagreement is not always the spec's fault (a patch may correct the docs on
//! purpose): the report lists each one so that a reviewer can tell.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context, Result};

use crate::spec::Spec;
use crate::spec::model::{Field, Method, TypeDef};
use crate::spec::types::TypeExpr;

/// What a row checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// A parameter (or nested field) name exists in the spec.
    Parameter,
    /// Its required mark matches.
    Required,
    /// A documented error code is among the method's errors.
    ErrorCode,
}

impl Kind {
    const ALL: [Kind; 3] = [Kind::Parameter, Kind::Required, Kind::ErrorCode];

    fn label(self) -> &'static str {
        match self {
            Kind::Parameter => "parameter names",
            Kind::Required => "required marks",
            Kind::ErrorCode => "error codes",
        }
    }
}

/// One compared row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// The spec id of the method (`crm.deal.add`, `v3.tasks.task.get`).
    pub method: String,
    /// What is compared.
    pub kind: Kind,
    /// The docs' value (`fields.TITLE`, `ACCESS_DENIED`).
    pub docs: String,
    /// `None` when the spec agrees, else what the spec has instead.
    pub disagreement: Option<String>,
}

/// Every compared row of the spec.
#[derive(Debug, Default)]
pub struct Report {
    /// The rows, in method order.
    pub rows: Vec<Row>,
    /// Pages that could not be read, with the reason.
    pub unread: Vec<String>,
}

impl Report {
    /// Agreeing rows and all rows of `kind` (all kinds for `None`).
    pub fn count(&self, kind: Option<Kind>) -> (usize, usize) {
        let rows = self
            .rows
            .iter()
            .filter(|r| kind.is_none_or(|k| r.kind == k));
        let (mut agree, mut all) = (0, 0);
        for r in rows {
            all += 1;
            agree += usize::from(r.disagreement.is_none());
        }
        (agree, all)
    }

    /// Agreement in percent over all rows.
    pub fn percent(&self) -> f64 {
        let (agree, all) = self.count(None);
        if all == 0 {
            100.0
        } else {
            100.0 * agree as f64 / all as f64
        }
    }

    /// The figures, then every disagreement.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for kind in Kind::ALL {
            let (agree, all) = self.count(Some(kind));
            let _ = writeln!(out, "{}: {agree} of {all} rows agree", kind.label());
        }
        let (agree, all) = self.count(None);
        let _ = writeln!(
            out,
            "all: {agree} of {all} rows agree ({:.1}%)",
            self.percent()
        );
        for u in &self.unread {
            let _ = writeln!(out, "not read: {u}");
        }
        let _ = writeln!(out, "disagreements: {}", all - agree);
        for r in &self.rows {
            if let Some(d) = &r.disagreement {
                let _ = writeln!(out, "  {} {:?} `{}`: {d}", r.method, r.kind, r.docs);
            }
        }
        out
    }
}

/// Compares every method of `spec` with its page under `docs` (but for those the docs
/// dropped that the last release keeps, which no page of `docs` describes).
pub fn run(spec: &Spec, docs: &Path) -> Report {
    let mut report = Report::default();
    for mf in &spec.methods {
        let m = &mf.method;
        // Kept from the last release, not from these docs (`import::dropped`).
        if m.dropped().is_some() {
            continue;
        }
        let path = docs.join(&m.source.path);
        match std::fs::read_to_string(&path) {
            Ok(text) => check_page(m, &text, &mut report.rows),
            Err(e) => report.unread.push(format!("{}: {e}", path.display())),
        }
    }
    report
}

/// `cargo xtask cross-check`: prints the report; fails below `min_percent`.
pub fn run_cli(root: &Path, docs: &Path, min_percent: f64) -> Result<()> {
    let spec = crate::spec::load(&root.join("spec"))
        .map_err(|d| anyhow::anyhow!("{d}"))
        .context("loading spec/")?;
    let report = run(&spec, docs);
    print!("{}", report.render());
    if report.percent() < min_percent || !report.unread.is_empty() {
        anyhow::bail!(
            "the spec agrees with the docs' tables on {:.1}% of rows (at least {min_percent}% required){}",
            report.percent(),
            if report.unread.is_empty() {
                String::new()
            } else {
                format!("; {} pages not read", report.unread.len())
            }
        );
    }
    Ok(())
}

/// Compares one page's tables with `m`.
pub fn check_page(m: &Method, text: &str, rows: &mut Vec<Row>) {
    let id = m.id().into_owned();
    let sections = sections(text);
    if let Some(params) = sections.iter().find(|s| is_params_heading(&s.heading)) {
        for (heading, table) in tables(&params.lines) {
            let prefix = match &heading {
                None => String::new(),
                Some(h) => match described_param(m, h) {
                    Some(p) => format!("{p}."),
                    // A table of some other object (a nested one's nested one, a value list).
                    None => continue,
                },
            };
            for (name, required) in table.iter().skip(1).filter_map(|r| param_cell(r)) {
                let docs = format!("{prefix}{name}");
                let found = locate(m, &docs);
                rows.push(Row {
                    method: id.clone(),
                    kind: Kind::Parameter,
                    docs: docs.clone(),
                    disagreement: found
                        .is_none()
                        .then(|| "no such parameter or field in the spec".to_string()),
                });
                if let Some(Found::Field(f)) = found {
                    rows.push(Row {
                        method: id.clone(),
                        kind: Kind::Required,
                        docs,
                        disagreement: (f.required != required).then(|| {
                            format!(
                                "the docs mark it {}, the spec {}",
                                if required { "required" } else { "optional" },
                                if f.required { "required" } else { "optional" }
                            )
                        }),
                    });
                }
            }
        }
    }
    let codes: Vec<String> = sections
        .iter()
        .filter(|s| s.heading.to_lowercase().contains("error"))
        .flat_map(|s| error_codes(&s.lines))
        .collect();
    for code in codes {
        // A `Code` column holding `400` may mean the HTTP status the error comes with.
        let status = code.parse::<u16>().ok().filter(|s| (100..600).contains(s));
        let known = m.errors.iter().any(|e| {
            e.code.eq_ignore_ascii_case(&code) || (status.is_some() && e.status == status)
        });
        rows.push(Row {
            method: id.clone(),
            kind: Kind::ErrorCode,
            docs: code,
            disagreement: (!known).then(|| "not among the method's errors".to_string()),
        });
    }
}

/// An H2 section: its heading text and its lines.
struct Section<'a> {
    heading: String,
    lines: Vec<&'a str>,
}

fn sections(text: &str) -> Vec<Section<'_>> {
    let mut out: Vec<Section<'_>> = Vec::new();
    let mut fence = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fence = !fence;
        }
        if !fence && let Some(h) = line.strip_prefix("## ") {
            out.push(Section {
                heading: h.trim().to_string(),
                lines: Vec::new(),
            });
        } else if let Some(s) = out.last_mut() {
            s.lines.push(line);
        }
    }
    out
}

fn is_params_heading(h: &str) -> bool {
    let h = h.to_lowercase();
    h.contains("parameter") && !h.contains("response") && !h.contains("result")
}

/// The tables of a section, each with the subsection heading above it (`None` before any
/// subsection), as their outer rows: each row's text from
/// `||` to the closing `||`, lines joined. Tables nested in a cell belong to their row.
fn tables(lines: &[&str]) -> Vec<(Option<String>, Vec<String>)> {
    let mut out = Vec::new();
    let mut heading: Option<String> = None;
    let mut depth = 0usize;
    let mut rows: Vec<String> = Vec::new();
    let mut fence = false;
    for line in lines {
        let t = line.trim();
        if t.starts_with("```") {
            fence = !fence;
        }
        if fence {
            if depth > 0
                && let Some(r) = rows.last_mut()
            {
                r.push('\n');
                r.push_str(t);
            }
            continue;
        }
        if depth == 0 && t.starts_with('#') && !t.starts_with("#|") {
            heading = Some(t.trim_start_matches('#').trim().to_string());
            continue;
        }
        if t.starts_with("#|") {
            depth += 1;
            if depth == 1 {
                rows.clear();
                continue;
            }
        }
        if t.starts_with("|#") && depth > 0 {
            depth -= 1;
            if depth == 0 {
                out.push((heading.clone(), std::mem::take(&mut rows)));
                continue;
            }
        }
        // A bare `||` closes the row it ends; any other `||` line opens a row.
        if depth == 1 && t.starts_with("||") && t != "||" {
            rows.push(t.to_string());
        } else if depth >= 1
            && let Some(r) = rows.last_mut()
        {
            r.push('\n');
            r.push_str(t);
        }
    }
    out
}

/// The top-level parameter a subsection heading describes: its anchor
/// (`### Parameter fields {#fields}`) or one of its words (`### Filter Parameter`) is the
/// parameter's name.
fn described_param<'a>(m: &'a Method, heading: &str) -> Option<&'a str> {
    let (text, anchor) = match heading.rsplit_once("{#") {
        Some((t, a)) => (t, a.strip_suffix('}')),
        None => (heading, None),
    };
    let words = text
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty());
    anchor.into_iter().chain(words).find_map(|w| {
        m.params
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case(w))
            .map(|p| p.name.as_str())
    })
}

/// The name and required mark of a parameter row (`|| **id*** ...`), when its first cell
/// starts with a bold name that reads as a wire name.
fn param_cell(row: &str) -> Option<(String, bool)> {
    let cell = row.strip_prefix("||")?.trim_start();
    let rest = cell.strip_prefix("**")?;
    let close = rest.find("**")?;
    let inner = &rest[..close];
    let after = &rest[close + 2..];
    let required = inner.contains("^*^") || after.starts_with('*') || after.starts_with("^*^");
    let name = inner.replace("^*^", "").replace(['`', '\\'], "");
    let name = name.trim().trim_end_matches('*').trim();
    let wire = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.[]-~:…".contains(c));
    let header = ["name", "parameter", "field"].contains(&name.to_lowercase().as_str());
    (wire && !header).then(|| (name.to_string(), required))
}

/// What the spec has at a docs path.
enum Found<'a> {
    /// A parameter or field (`fields.TITLE`, `items[].id`).
    Field(&'a Field),
    /// A key family of the parent object (`fields.UF_CRM_...`), which has no required mark.
    Family,
}

/// The spec's parameter or field at a docs path (`fields.TITLE`, `items[].id`), or the
/// key family a row such as `fields.UF_CRM_...` or `fields.propertyN` documents.
fn locate<'a>(m: &'a Method, path: &str) -> Option<Found<'a>> {
    // `fields.ufCrm...`: the dots of the ellipsis are not path separators.
    let (body, ellipsis) = match path.strip_suffix("...") {
        Some(b) => (b, "..."),
        None => (path, ""),
    };
    let mut segments: Vec<String> = body
        .split('.')
        .map(|p| p.trim_end_matches("[]").to_string())
        .collect();
    if let Some(last) = segments.last_mut() {
        last.push_str(ellipsis);
    }
    let mut parts = segments.iter().map(String::as_str).peekable();
    let first = parts.next()?;
    let mut field = m.params.iter().find(|p| p.name == first)?;
    while let Some(part) = parts.next() {
        let ty = named(&field.ty)?;
        let def: &TypeDef = m.types.iter().find(|t| t.name == ty)?;
        match def.fields.as_ref()?.iter().find(|f| f.name == part) {
            Some(f) => field = f,
            None if parts.peek().is_none() => {
                let prefix = family(part)?;
                return def
                    .key_families
                    .iter()
                    .any(|p| p == prefix)
                    .then_some(Found::Family);
            }
            None => return None,
        }
    }
    Some(Found::Field(field))
}

/// The prefix of a name written as a family of keys: `UF_CRM_...`, `UF_*`, `ufCrm…`, or
/// a number placeholder `propertyN`.
fn family(name: &str) -> Option<&str> {
    if let Some(i) = name.find("...").or_else(|| name.find(['*', '…'])) {
        return Some(&name[..i]);
    }
    let stem = name.strip_suffix('N')?;
    stem.ends_with(|c: char| c.is_ascii_lowercase())
        .then_some(stem)
}

/// The named type inside a type expression (`Item[] | null` → `Item`).
fn named(ty: &str) -> Option<String> {
    match TypeExpr::parse(ty).ok()?.innermost() {
        TypeExpr::Named(n) => Some(n.clone()),
        _ => None,
    }
}

/// Error codes of a section's tables: the cells of the column headed `Code` (the first
/// backquoted word, else the cell), and the codes named on an ``Error Code: `X` `` line.
fn error_codes(lines: &[&str]) -> Vec<String> {
    let mut codes = Vec::new();
    for line in lines {
        if let Some(rest) = line.trim().strip_prefix("Error Code:")
            && let Some(code) = backquoted(rest)
        {
            codes.push(code);
        }
    }
    for (_, table) in tables(lines) {
        let Some(header) = table.first() else {
            continue;
        };
        let Some(col) = cells(header)
            .iter()
            .position(|c| c.trim_matches('*').trim().eq_ignore_ascii_case("code"))
        else {
            continue;
        };
        for row in table.iter().skip(1) {
            let cell = cells(row).get(col).cloned().unwrap_or_default();
            let code = backquoted(&cell).unwrap_or_else(|| cell.trim().to_string());
            let dash = ["-", "—", "–"].contains(&code.as_str());
            if !code.is_empty() && !dash && !code.contains(' ') {
                codes.push(code);
            }
        }
    }
    codes
}

fn cells(row: &str) -> Vec<String> {
    let inner = row.trim().trim_start_matches("||").trim_end_matches("||");
    inner.split('|').map(|c| c.trim().to_string()).collect()
}

fn backquoted(s: &str) -> Option<String> {
    let start = s.find('`')? + 1;
    let len = s[start..].find('`')?;
    let code = s[start..start + len].trim();
    (!code.is_empty()).then(|| code.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_names_and_both_required_marks() {
        assert_eq!(
            param_cell("|| **id*** [`integer`] | x ||"),
            Some(("id".into(), true))
        );
        assert_eq!(param_cell("|| **id**^*^ | x ||"), Some(("id".into(), true)));
        assert_eq!(param_cell("|| **id^*^** | x ||"), Some(("id".into(), true)));
        assert_eq!(
            param_cell("|| **fields.TITLE** | x ||"),
            Some(("fields.TITLE".into(), false))
        );
        assert_eq!(param_cell("|| **Name** | x ||"), None);
        assert_eq!(param_cell("|| **Two words** | x ||"), None);
        assert_eq!(param_cell("|| `code` | x ||"), None);
    }

    #[test]
    fn nested_tables_belong_to_their_row_and_anchors_name_the_parameter() {
        let page = "## Method Parameters\n#|\n|| **Name** | **Description** ||\n|| **fields*** | object:\n#|\n|| **inner** | x ||\n|#\n||\n|| **id** | x ||\n|#\n### Parameter fields {#fields}\n#|\n|| **Name** | d ||\n|| **TITLE** | t ||\n|#\n";
        let s = sections(page);
        let t = tables(&s[0].lines);
        assert_eq!(t.len(), 2);
        assert_eq!(t[0].0, None);
        assert_eq!(
            t[0].1.len(),
            3,
            "header, fields (with its nested table), id"
        );
        assert_eq!(t[1].0.as_deref(), Some("Parameter fields {#fields}"));
    }

    #[test]
    fn error_codes_from_the_code_column_and_rest_v3_lines() {
        let lines = [
            "#|",
            "|| **Status** | **Code** | **Description** ||",
            "|| 400 | `ACCESS_DENIED` | no ||",
            "|| 400 | - | none ||",
            "|#",
            "Error Code: `BITRIX_REST_V3_X`",
        ];
        assert_eq!(
            error_codes(&lines),
            vec!["BITRIX_REST_V3_X", "ACCESS_DENIED"]
        );
    }

    #[test]
    fn a_page_against_its_method() {
        let m: Method = serde_yaml::from_str(
            "method: demo.item.add\nsource:\n  path: p.md\n  commit: c\ntitle: t\nsummary: s\n\
             scope: demo\nread_only: false\nparams:\n\
             - name: fields\n  type: Fields\n  required: true\n\
             - name: id\n  type: integer\n\
             result:\n  type: integer\n\
             errors:\n- code: ACCESS_DENIED\n  description: d\n- code: ''\n  status: 400\n  description: d\n\
             types:\n- name: Fields\n  fields:\n  - name: TITLE\n    type: string\n  key_families:\n  - UF_CRM_\n",
        )
        .unwrap();
        let page = "# Add demo.item.add\n\n## Method Parameters\n\n#|\n|| **Name** | **Description** ||\n\
             || **fields*** | object ||\n|| **id*** | id ||\n|| **extra** | x ||\n|#\n\n\
             ### Parameter fields\n\n#|\n|| **Name** | d ||\n|| **TITLE** | t ||\n|| **UF_CRM_...** | custom ||\n|#\n\n\
             ## Error Handling\n\n#|\n|| **Status** | **Code** | **Description** ||\n\
             || 403 | `ACCESS_DENIED` | no ||\n|| 400 | `NOT_FOUND` | no ||\n|#\n\n\
             #|\n|| **Code** | **Description** ||\n|| `400` | bad ||\n|#\n";
        let mut rows = Vec::new();
        check_page(&m, page, &mut rows);
        let bad: Vec<(Kind, &str)> = rows
            .iter()
            .filter(|r| r.disagreement.is_some())
            .map(|r| (r.kind, r.docs.as_str()))
            .collect();
        assert_eq!(
            bad,
            vec![
                (Kind::Required, "id"),
                (Kind::Parameter, "extra"),
                (Kind::ErrorCode, "NOT_FOUND"),
            ]
        );
        // fields, id, extra, fields.TITLE, fields.UF_CRM_... are named; a family has no
        // required mark to compare; three codes (`400` is the status of an error).
        let count = |k| rows.iter().filter(|r| r.kind == k).count();
        assert_eq!(count(Kind::Parameter), 5);
        assert_eq!(count(Kind::Required), 3);
        assert_eq!(count(Kind::ErrorCode), 3);
    }
}
