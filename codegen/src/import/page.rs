//! One docs page → one [`Method`]: sections, parameter / result / error tables,
//! nested object tables linked from rows, enums, examples and per-method facts.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use crate::diagnostics::Diagnostic;
use crate::naming;
use crate::spec::model::{
    Deprecation, ErrorDoc, Examples, Field, Method, ResultSpec, Source, TypeDef, WireFormat,
};

use super::doc_types;
use super::enums;
use super::errors;
use super::examples::{self, Kind, Stats, Taken};
use super::facts;
use super::names::{self, Names};
use super::params;
use super::shared::{EntityTable, is_data_types_page};
use super::text::{self, LinkCtx};
use super::yfm::{self, Block, Row};

/// Base URL of the published docs.
pub const BASE_URL: &str = "https://apidocs.bitrix24.com/";

/// What a table on the page was read as, for the completeness check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TableKind {
    /// The parameter table.
    Params,
    /// The "Returned Data" table: `extra` rows are fields of `type_name`.
    Result {
        /// Rows that are fields of the result object (not `result`/`time`/`total`/`next`).
        extra: usize,
        /// The result object type holding them.
        type_name: Option<String>,
    },
    /// A nested object table, transcribed as `type_name` when something links to it.
    Nested {
        /// The heading above the table.
        heading: String,
        /// The type it became.
        type_name: Option<String>,
    },
    /// An error table giving `expected` errors.
    Errors {
        /// Errors its rows give (bullet lists give several).
        expected: usize,
    },
}

/// A table found on the page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableCount {
    /// What it was read as.
    pub kind: TableKind,
    /// 1-based line of `#|`.
    pub line: usize,
    /// Data rows (header excluded).
    pub rows: usize,
}

/// Everything transcribing a page produced.
#[derive(Debug, Clone)]
pub struct Transcription {
    /// The method (before patches).
    pub method: Method,
    /// Located problems.
    pub diagnostics: Vec<Diagnostic>,
    /// Located notes: importer rules that changed what the docs literally say.
    pub notes: Vec<Diagnostic>,
    /// Tables found, for the completeness check.
    pub tables: Vec<TableCount>,
    /// Example counts.
    pub examples: Stats,
    /// Docs type tokens the table does not know.
    pub unmapped: BTreeSet<String>,
    /// The method's types read from an entity table of a `data-types.md` page, by name
    /// (candidates for the shared types: [`super::shared`]).
    pub entities: BTreeMap<String, EntityTable>,
}

/// A table that may become a named object type.
#[derive(Debug, Clone)]
pub(super) struct Nested {
    /// Docs path of the page it is on.
    pub(super) page: String,
    /// That page's link definitions.
    pub(super) defs: BTreeMap<String, String>,
    pub(super) heading: String,
    pub(super) anchor: Option<String>,
    pub(super) line: usize,
    pub(super) rows: Vec<Row>,
    pub(super) type_name: Option<String>,
    pub(super) local: bool,
    /// The page section it sits in (heading-text matches prefer the same section).
    pub(super) section: Section,
    /// The tab of `{% list tabs %}` it sits in (`Lead`, `Deal`: one variant each).
    pub(super) tab: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Section {
    Intro,
    Params,
    Examples,
    Response,
    Returned,
    Errors,
    Learn,
    Other,
}

pub(super) fn section_of(text: &str, level: usize) -> Option<Section> {
    let t = text::plain(text).to_lowercase();
    let t = t.trim();
    if t.starts_with("returned data") || t == "return data" || t.starts_with("returned value") {
        return Some(Section::Returned);
    }
    if t.starts_with("possible error") || t == "error codes" {
        return Some(Section::Errors);
    }
    if level > 2 {
        return None;
    }
    Some(
        if t.starts_with("method param") || t == "parameters" || t == "method parameter" {
            Section::Params
        } else if t.starts_with("code example") || t == "examples" || t == "private examples" {
            Section::Examples
        } else if t.starts_with("response handling") || t == "response" {
            Section::Response
        } else if t.starts_with("error handling") || t == "errors" {
            Section::Errors
        } else if t.starts_with("continue learning")
            || t.starts_with("continue exploring")
            || t == "see also"
        {
            Section::Learn
        } else {
            Section::Other
        },
    )
}

/// The anchor YFM derives from a heading without `{#anchor}`.
pub(super) fn slug(text: &str) -> String {
    text::plain(text)
        .to_lowercase()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join("-")
}

/// The name cell of a row: `**NAME***` + type link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameCell {
    /// Wire name.
    pub name: String,
    /// A `*` follows the bold name.
    pub required: bool,
    /// The docs' type token(s), unions joined with ` | `.
    pub token: Option<String>,
    /// Where the type link points.
    pub type_target: Option<String>,
}

/// Reads `**NAME***`⏎`` [`type`](../data-types.md) ``.
pub fn read_name_cell(cell: &str, defs: &BTreeMap<String, String>) -> Option<NameCell> {
    let (name, required, rest) = match cell.find("**") {
        Some(start) => {
            let after = &cell[start + 2..];
            // `**UF_\***`: an escaped `\*` inside the bold name is part of it.
            let end = (0..after.len())
                .filter(|&i| after.is_char_boundary(i) && after[i..].starts_with("**"))
                .find(|&i| !after[..i].ends_with('\\'))?;
            let name = text::plain(&after[..end]);
            let tail = &after[end + 2..];
            // The required mark: `**id***`, `**id**\\*`, or the superscript `**id^*^**`.
            let (name, sup) = match name.strip_suffix("^*^") {
                Some(n) => (n.to_string(), true),
                None => (name, false),
            };
            // `**CALENDAR_EVENT**|**UF_CRM_CAL_EVENT**` (`\|` in the docs): one key,
            // `CALENDAR_EVENT|UF_CRM_CAL_EVENT` (`crm.type.add`'s `linkedUserFields`).
            let (name, tail) = match tail
                .strip_prefix("|**")
                .and_then(|t| t.split_once("**"))
                .filter(|(second, _)| !second.is_empty() && !second.contains(char::is_whitespace))
            {
                Some((second, t)) => (format!("{name}|{second}"), t),
                None => (name, tail),
            };
            let (required, rest) = if let Some(r) = tail.strip_prefix("^*^") {
                (true, r)
            } else if let Some(r) = tail.strip_prefix('*') {
                (true, r)
            } else if let Some(r) = tail.strip_prefix("\\*") {
                (true, r)
            } else {
                (sup, tail)
            };
            (name, required, rest.to_string())
        }
        None => {
            let first = cell.lines().next().unwrap_or("");
            let name = text::code_spans(first)
                .into_iter()
                .next()
                .unwrap_or_else(|| text::plain(first));
            (
                name,
                false,
                cell.lines().skip(1).collect::<Vec<_>>().join("\n"),
            )
        }
    };
    let name = name.trim().to_string();
    if name.is_empty() {
        return None;
    }
    let spans = text::code_spans(&rest);
    let token = match spans.len() {
        0 => None,
        1 => Some(spans[0].clone()),
        _ => Some(spans.join(" | ")),
    };
    let type_target = text::links(&rest, defs)
        .into_iter()
        .next()
        .map(|l| l.target)
        .filter(|t| !t.is_empty());
    Some(NameCell {
        name,
        required,
        token,
        type_target,
    })
}

impl NameCell {
    /// Where the type link points at a table: the link when it has an anchor; a link to a
    /// `data-types.md` page without one (`` [`sale_order`](../data-types.md) ``) means the
    /// heading there named like the entity the token names (`sale_order`, `sale_order[]`,
    /// `sale_order.id`), as other pages link it (`../data-types.md#sale_order`).
    pub fn table_link(&self) -> Option<String> {
        let target = self.type_target.as_deref()?;
        if target.contains('#') {
            return Some(target.to_string());
        }
        let token = self.token.as_deref()?;
        let entity = token.strip_suffix("[]").unwrap_or(token);
        let entity = entity.split_once('.').map_or(entity, |(e, _)| e);
        let word = !entity.is_empty()
            && entity
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        (word && is_data_types_page(target)).then(|| format!("{target}#{entity}"))
    }
}

/// Whether a parameter shapes a query (`select`, `filter`, `order`, `sort`, `group`) rather
/// than naming an object.
pub(super) fn is_query_param(name: &str) -> bool {
    matches!(
        name.to_lowercase().as_str(),
        "select" | "filter" | "order" | "sort" | "group"
    )
}

fn described_as_array(desc_plain_lower: &str) -> bool {
    ["array of objects", "list of objects"]
        .iter()
        .any(|p| desc_plain_lower.contains(p))
}

/// Whether a table's only row names a placeholder for keys (see [`super::keyed`]).
fn placeholder_table(n: &Nested) -> bool {
    match data_rows(&n.rows) {
        [only] => only
            .cells
            .first()
            .and_then(|c| read_name_cell(c, &n.defs))
            .is_some_and(|c| super::keyed::is_placeholder_key(&c.name)),
        _ => false,
    }
}

fn described_as_map(desc_plain_lower: &str) -> bool {
    desc_plain_lower.contains("objects, each describing")
        || desc_plain_lower.contains("contains objects, each")
        // "List of regions, where the object's key is the `code` of the region"; "The key
        // of the object is the attachment ID, and the value is the object with file
        // description"; "The key of the `fields` object must match the field code".
        || [
            "where the object's key is",
            "where the key is",
            "the key of the object is",
            "the object key is",
            "the keys of the object are",
            "the keys of the array are",
        ]
        .iter()
        .any(|p| desc_plain_lower.contains(p))
        || names_the_key(desc_plain_lower)
        // "Keys are parameter codes (`string`), values are parameter descriptions".
        || (desc_plain_lower.contains("keys are ") && desc_plain_lower.contains("values are "))
}

/// "The key of the fields object must match the field code", "the key of the FILES
/// object matches the id field" (not "the key of the settings object can be:", which lists
/// the keys).
fn names_the_key(desc_plain_lower: &str) -> bool {
    desc_plain_lower
        .match_indices("the key of the ")
        .any(|(i, p)| {
            let rest = &desc_plain_lower[i + p.len()..];
            let mut words = rest.split_whitespace();
            words.next().is_some()
                && words.next() == Some("object")
                && matches!(words.next(), Some("must" | "matches" | "is"))
        })
}

/// Extracts a stated default: a code span right after "default value"/"default is"/...
fn default_of(desc_md: &str) -> Option<String> {
    let lower = desc_md.to_lowercase();
    for key in [
        "default value",
        "default is",
        "default —",
        "default -",
        "default:",
        "defaults to",
    ] {
        if let Some(pos) = lower.find(key) {
            let after = &desc_md[pos + key.len()..];
            let head: String = after.chars().take(12).collect();
            if let Some(tick) = head.find('`')
                && !head[..tick].contains('\n')
            {
                let spans = text::code_spans(&after[tick..]);
                if let Some(s) = spans.first() {
                    return Some(s.clone());
                }
            }
        }
    }
    None
}

/// Transcribes a page. `includes` reads a docs-root-relative path.
pub fn transcribe(
    page_text: &str,
    page_path: &str,
    method: &str,
    includes: &dyn Fn(&str) -> Option<String>,
    commit: &str,
) -> Transcription {
    let mut p = Page::new(method, page_path, includes);
    let m = p.run(page_text, commit);
    let entities = p.entity_types();
    Transcription {
        method: m,
        diagnostics: p.diags,
        notes: p.notes,
        tables: p.tables,
        examples: p.stats,
        unmapped: p.unmapped,
        entities,
    }
}

/// The state of transcribing one page (a method's, or an event's: [`super::event`]).
pub(super) struct Page<'a> {
    /// The method or event name the page documents.
    pub(super) method: &'a str,
    pub(super) path: &'a str,
    pub(super) includes: &'a dyn Fn(&str) -> Option<String>,
    pub(super) diags: Vec<Diagnostic>,
    pub(super) notes: Vec<Diagnostic>,
    pub(super) names: Names,
    pub(super) types: Vec<TypeDef>,
    pub(super) nested: Vec<Nested>,
    /// Foreign pages whose tables were loaded.
    pub(super) loaded: BTreeSet<String>,
    pub(super) unmapped: BTreeSet<String>,
    pub(super) tables: Vec<TableCount>,
    pub(super) stats: Stats,
    /// The section whose rows are being transcribed.
    pub(super) section: Section,
}

/// The site-wide tip pointing AI assistants at the docs' MCP server (a note on every page
/// since 2026): navigation, not a fact about the method or event.
pub(super) fn is_site_tip(note_md: &str) -> bool {
    note_md.contains("ai-tools/")
}

/// A row read as a field, before it becomes a [`Field`].
pub(super) struct RowField {
    pub(super) cell: NameCell,
    pub(super) desc: String,
    pub(super) line: usize,
}

/// The key prefix of a row documenting a family of keys, not one field: `UF_CRM_...`,
/// `UF_*`, `ufCrm…` (→ `UF_CRM_`, `UF_`, `ufCrm`), and `propertyN` (→ `property`) when
/// its description explains the `N`. `Some("")` for a family with no prefix (`*`).
fn family_prefix(name: &str, desc: &str) -> Option<String> {
    if let Some(cut) = name.find(['*', '…']).or_else(|| name.find("...")) {
        return Some(name[..cut].to_string());
    }
    // `PROPERTY_PropertyId`: an upper-case prefix, then a word naming what follows it.
    if let Some(cut) = name.rfind('_')
        && let (prefix, word) = (&name[..=cut], &name[cut + 1..])
        && prefix
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        && word.starts_with(|c: char| c.is_ascii_uppercase())
        && word.contains(|c: char| c.is_ascii_lowercase())
        && word.chars().all(|c| c.is_ascii_alphanumeric())
    {
        return Some(prefix.to_string());
    }
    let stem = name.strip_suffix('N')?;
    let numbered = stem.ends_with(|c: char| c.is_ascii_lowercase())
        && stem.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && desc.contains("`N`");
    numbered.then(|| stem.to_string())
}

/// Rows documenting a family of keys (they go into the type's description).
pub(super) fn pattern_rows(rows: &[Row]) -> usize {
    data_rows(rows)
        .iter()
        .filter(|r| {
            let desc = r.cells.get(1).map_or("", String::as_str);
            r.cells
                .first()
                .and_then(|c| read_name_cell(c, &BTreeMap::new()))
                .is_some_and(|c| family_prefix(&c.name, desc).is_some())
        })
        .count()
}

/// `**UF_...**: Custom fields.` lines for a type's description.
fn pattern_note(rf: &RowField, ctx: &LinkCtx) -> String {
    format!("`{}`: {}", rf.cell.name, text::clean_md(&rf.desc, ctx))
}

/// Rows of one table arranged by their path names: `fields.CONTACT_ID`, `items[]`,
/// `result.events[].type` are fields of nested objects, never literal keys.
pub(super) struct Node {
    /// The key (the last path segment, without `[]`).
    key: String,
    /// The row documenting this key itself, when the table has one.
    row: Option<RowField>,
    /// Some path wrote `key[]`: a list of objects.
    array: bool,
    children: Vec<Node>,
}

/// The path segments of a row name, each `(key, is_array)`; `None` for a plain name.
fn path_segments(name: &str) -> Option<Vec<(String, bool)>> {
    if !name.contains('.') && !name.contains("[]") {
        return None;
    }
    let segs: Vec<(String, bool)> = name
        .split('.')
        .map(|s| {
            let s = s.trim();
            match s.strip_suffix("[]") {
                Some(k) => (k.to_string(), true),
                None => (s.to_string(), false),
            }
        })
        .collect();
    // `a..b`, `.a`, `[]`: not a path.
    segs.iter().all(|(k, _)| !k.is_empty()).then_some(segs)
}

/// Builds the key tree of a table's rows, in the order keys first appear.
pub(super) fn nest(rows: Vec<RowField>) -> Vec<Node> {
    let mut roots: Vec<Node> = Vec::new();
    for rf in rows {
        let segs =
            path_segments(&rf.cell.name).unwrap_or_else(|| vec![(rf.cell.name.clone(), false)]);
        let mut level = &mut roots;
        let last = segs.len() - 1;
        for (i, (key, array)) in segs.into_iter().enumerate() {
            let pos = match level.iter().position(|n| n.key == key) {
                Some(p) => p,
                None => {
                    level.push(Node {
                        key: key.clone(),
                        row: None,
                        array: false,
                        children: Vec::new(),
                    });
                    level.len() - 1
                }
            };
            let node = &mut level[pos];
            node.array |= array;
            if i == last {
                if node.row.is_none() {
                    let mut rf = RowField {
                        cell: rf.cell.clone(),
                        desc: rf.desc.clone(),
                        line: rf.line,
                    };
                    rf.cell.name = key;
                    node.row = Some(rf);
                }
                break;
            }
            level = &mut node.children;
        }
    }
    roots
}

impl<'a> Page<'a> {
    /// A fresh page of `method` (a method or event name) at docs path `path`.
    pub(super) fn new(
        method: &'a str,
        path: &'a str,
        includes: &'a dyn Fn(&str) -> Option<String>,
    ) -> Page<'a> {
        Page {
            method,
            path,
            includes,
            diags: Vec::new(),
            notes: Vec::new(),
            names: Names::new(method),
            types: Vec::new(),
            nested: Vec::new(),
            loaded: BTreeSet::new(),
            unmapped: BTreeSet::new(),
            tables: Vec::new(),
            stats: Stats::default(),
            section: Section::Params,
        }
    }

    /// The types read from an entity table of a `data-types.md` page, by name.
    fn entity_types(&self) -> BTreeMap<String, EntityTable> {
        self.nested
            .iter()
            .filter(|n| !n.local && is_data_types_page(&n.page))
            .filter_map(|n| {
                let table = EntityTable {
                    page: n.page.clone(),
                    anchor: n.anchor.clone()?,
                };
                Some((n.type_name.clone()?, table))
            })
            .collect()
    }

    pub(super) fn diag(&mut self, file: &str, line: usize, path: &str, message: impl Into<String>) {
        let loc = if path.is_empty() {
            self.method.to_string()
        } else {
            format!("{} › {path}", self.method)
        };
        self.diags.push(Diagnostic {
            file: PathBuf::from(file),
            line: (line > 0).then_some(line),
            path: loc,
            message: message.into(),
        });
    }

    pub(super) fn note(&mut self, file: &str, line: usize, path: &str, message: impl Into<String>) {
        let before = self.diags.len();
        self.diag(file, line, path, message);
        if let Some(d) = self.diags.pop() {
            self.notes.push(d);
        }
        debug_assert_eq!(before, self.diags.len());
    }

    pub(super) fn link_ctx(&self, page: &str, defs: &BTreeMap<String, String>) -> LinkCtx {
        LinkCtx {
            page_path: page.to_string(),
            base_url: BASE_URL.to_string(),
            defs: defs.clone(),
        }
    }

    fn run(&mut self, page_text: &str, commit: &str) -> Method {
        let page = self.path.to_string();
        let parsed = yfm::parse(page_text);
        for pr in &parsed.problems {
            self.diag(&page, pr.line, "", pr.message.clone());
        }
        let mut blocks = self.expand(parsed.blocks, &page);
        let mut defs = BTreeMap::new();
        for b in &blocks {
            if let Block::LinkDef { label, url } = b {
                defs.insert(label.clone(), url.clone());
            }
        }
        super::tables::attach_alternatives(&mut blocks, &defs);
        let ctx = self.link_ctx(&page, &defs);

        let mut title_raw = None;
        let mut scope = Vec::new();
        let mut access = None;
        // Intro paragraphs in page order; `true` marks the body of a `{% note %}`.
        let mut intro_paras: Vec<(bool, String)> = Vec::new();
        let mut deprecated = None;
        let mut param_table: Option<(Vec<Row>, usize)> = None;
        // The first table before any heading: the parameters on pages without that section.
        let mut intro_table: Option<(Vec<Row>, usize)> = None;
        // `### 1. By the attached poll ID`, `### 2. By the poll element`: one parameter table
        // per way to call the method.
        let mut variant_tables: Vec<(Vec<Row>, usize)> = Vec::new();
        // "See the description of [list methods](...)" as the whole parameters section: the
        // standard parameters of a list method.
        let mut list_methods_note: Option<String> = None;
        let mut result_table: Option<(Vec<Row>, usize)> = None;
        let mut error_tables: Vec<(Vec<Row>, usize)> = Vec::new();
        let mut taken: Vec<Taken> = Vec::new();
        let mut urls: Vec<(usize, String)> = Vec::new();
        let mut problems: Vec<(usize, String)> = Vec::new();

        let mut section = Section::Intro;
        let mut sub: Option<(String, Option<String>)> = None;
        let mut label: Option<String> = None;
        // REST 3.0: the code named above the next error table (``Error Code: `CODE` ``).
        let mut error_code: Option<String> = None;
        let mut coded_tables: Vec<(String, Vec<Row>, usize)> = Vec::new();
        let mut saw_returned = false;
        let mut result_table_sub_seen = false;
        for b in &blocks {
            match b {
                Block::Heading {
                    level,
                    text: htext,
                    anchor,
                    line: _,
                } => {
                    label = None;
                    if *level == 1 && title_raw.is_none() {
                        title_raw = Some(htext.clone());
                        continue;
                    }
                    match section_of(htext, *level) {
                        Some(s) => {
                            section = s;
                            sub = None;
                            if s == Section::Returned {
                                saw_returned = true;
                            }
                            result_table_sub_seen = false;
                        }
                        None => {
                            sub = Some((
                                htext.clone(),
                                Some(anchor.clone().unwrap_or_else(|| slug(htext))),
                            ));
                            result_table_sub_seen = true;
                        }
                    }
                }
                Block::Para {
                    text: ptext,
                    line: _,
                } => {
                    let t = ptext.trim();
                    if section == Section::Intro {
                        if t.starts_with('>') {
                            for l in t.lines() {
                                let l = l.trim_start_matches('>').trim();
                                let lower = l.to_lowercase();
                                if lower.starts_with("scope:") {
                                    scope = text::code_spans(l);
                                    if scope.is_empty() {
                                        scope = vec![text::plain(&l[6..])];
                                    }
                                } else if let Some(pos) = lower.find("who can execute the method:")
                                {
                                    let a = text::plain(
                                        &l[pos + "who can execute the method:".len()..],
                                    );
                                    access = Some(a);
                                }
                            }
                        } else {
                            intro_paras.push((false, text::clean_md(t, &ctx)));
                        }
                    }
                    let is_label = t.starts_with("**")
                        && t.lines().count() == 1
                        && t.len() < 100
                        && t.ends_with(':');
                    label = is_label.then(|| t.to_string());
                    if section == Section::Errors {
                        error_code = errors::code_line(t);
                    }
                    // In the parameters section, or in the introduction of a page that has
                    // none (`crm.measure.list`).
                    if matches!(section, Section::Params | Section::Intro)
                        && sub.is_none()
                        && text::links(t, &defs).iter().any(|l| {
                            l.target.contains("list-methods-pecularities")
                                || text::plain(&l.text).eq_ignore_ascii_case("list methods")
                        })
                    {
                        list_methods_note = Some(text::clean_md(t, &ctx));
                    }
                }
                Block::Note {
                    kind,
                    title,
                    body,
                    line,
                } => {
                    if section == Section::Intro {
                        let body_md = note_text(body);
                        let all = format!("{title} {}", text::plain(&body_md)).to_lowercase();
                        let is_dep = [
                            "halted",
                            "discontinued",
                            "deprecated",
                            "no longer supported",
                            "no longer developed",
                        ]
                        .iter()
                        .any(|w| all.contains(w))
                            && matches!(kind.as_str(), "warning" | "alert" | "info");
                        if is_dep && deprecated.is_none() {
                            // A title that only says "DEPRECATED" is a badge, not a note:
                            // the body's first sentence says what happened.
                            let badge = title.trim().trim_end_matches(['.', '!']);
                            let note =
                                if badge.is_empty() || badge.eq_ignore_ascii_case("deprecated") {
                                    text::plain(&body_md)
                                        .split(". ")
                                        .next()
                                        .unwrap_or("")
                                        .trim()
                                        .to_string()
                                } else {
                                    title.trim().to_string()
                                };
                            let replacement = text::links(&body_md, &defs)
                                .into_iter()
                                .map(|l| text::plain(&l.text))
                                .find(|t| {
                                    t != self.method
                                        && !t.contains('*')
                                        && t.contains('.')
                                        && t.chars().all(|c| c.is_ascii_alphanumeric() || c == '.')
                                });
                            deprecated = Some(Deprecation {
                                note,
                                replacement,
                                dropped: None,
                            });
                        } else if is_site_tip(&body_md) {
                            self.note(
                                &page,
                                *line,
                                "description",
                                "the site-wide AI-tools tip note is not method documentation: dropped",
                            );
                        } else {
                            let body_clean = text::clean_md(&body_md, &ctx);
                            let t = title.trim();
                            if !body_clean.is_empty() {
                                intro_paras.push((
                                    true,
                                    if t.is_empty() {
                                        body_clean
                                    } else {
                                        format!("**{t}**\n\n{body_clean}")
                                    },
                                ));
                            }
                        }
                    }
                }
                Block::Table(t) => {
                    let lbl = label.take();
                    let heading_ctx = match (&lbl, &sub) {
                        (Some(l), _) => Some((l.clone(), None)),
                        (None, Some((h, a))) => Some((h.clone(), a.clone())),
                        (None, None) => None,
                    };
                    match section {
                        Section::Params if sub.is_none() && param_table.is_none() => {
                            param_table = Some((t.rows.clone(), t.line));
                        }
                        Section::Params
                            if param_table.is_none()
                                && sub.as_ref().is_some_and(|(h, _)| params::is_numbered(h)) =>
                        {
                            variant_tables.push((t.rows.clone(), t.line));
                        }
                        Section::Response | Section::Returned
                            if result_table.is_none()
                                && !result_table_sub_seen
                                && (section == Section::Returned || !saw_returned) =>
                        {
                            result_table = Some((t.rows.clone(), t.line));
                        }
                        Section::Errors
                            if error_code.is_some()
                                && t.rows
                                    .first()
                                    .is_some_and(|h| errors::is_coded_header(&h.cells)) =>
                        {
                            let code = error_code.take().unwrap_or_default();
                            coded_tables.push((code, t.rows.clone(), t.line));
                        }
                        Section::Errors
                            if t.rows
                                .first()
                                .is_some_and(|h| errors::is_error_header(&h.cells)) =>
                        {
                            error_tables.push((t.rows.clone(), t.line));
                        }
                        _ => {
                            if section == Section::Intro
                                && heading_ctx.is_none()
                                && intro_table.is_none()
                                && t.rows.first().is_some_and(is_header)
                            {
                                intro_table = Some((t.rows.clone(), t.line));
                            }
                            let (heading, anchor) = heading_ctx.unwrap_or_default();
                            // An anchor binds to the first table after its heading.
                            if let Some((_, a)) = sub.as_mut() {
                                *a = None;
                            }
                            self.nested.push(Nested {
                                page: page.clone(),
                                defs: defs.clone(),
                                heading,
                                anchor,
                                line: t.line,
                                rows: super::tables::name_in_second_column(&t.rows)
                                    .unwrap_or_else(|| t.rows.clone()),
                                type_name: None,
                                local: true,
                                section,
                                tab: None,
                            });
                        }
                    }
                }
                Block::Fence(f) => {
                    let kind = match section {
                        Section::Response | Section::Returned => Some(Kind::Response),
                        Section::Errors => Some(Kind::Error),
                        Section::Examples => Some(Kind::Response),
                        _ => None,
                    };
                    let bare_ok = matches!(section, Section::Response | Section::Returned);
                    if let Some(k) = kind
                        && (f.lang.is_empty()
                            || f.lang == "json"
                            || f.lang == "js"
                            || f.lang == "javascript")
                        && let Some(t) = examples::response_block(
                            &f.body,
                            f.line,
                            k,
                            bare_ok,
                            &mut self.stats,
                            &mut problems,
                        )
                    {
                        taken.push(t);
                    }
                }
                // Tabs in the parameters section hold one table per variant (`Lead`,
                // `Deal`: the fields of `fields` per entity type), under the subsection's
                // heading.
                Block::Tabs { tabs, line: _ } if section == Section::Params && sub.is_some() => {
                    let (heading, _) = sub.clone().unwrap_or_default();
                    for tab in tabs {
                        for b in &tab.body {
                            if let Block::Table(t) = b {
                                self.nested.push(Nested {
                                    page: page.clone(),
                                    defs: defs.clone(),
                                    heading: heading.clone(),
                                    anchor: None,
                                    line: t.line,
                                    rows: t.rows.clone(),
                                    type_name: None,
                                    local: true,
                                    section,
                                    tab: Some(text::plain(&tab.title)),
                                });
                            }
                        }
                    }
                }
                Block::Tabs { tabs, line: _ } => {
                    let (req, u) =
                        examples::request_from_tabs(tabs, &mut self.stats, &mut problems);
                    urls.extend(u);
                    if let Some(r) = req {
                        taken.push(r);
                    }
                }
                Block::Include { .. } | Block::LinkDef { .. } => {}
            }
        }
        for (line, msg) in problems.drain(..) {
            self.diag(&page, line, "examples", msg);
        }

        // The method name: from the curl URLs, never the H1.
        for (line, m) in &urls {
            if m != self.method {
                self.diag(
                    &page,
                    *line,
                    "",
                    format!("a curl example calls `{m}`, not `{}`", self.method),
                );
            }
        }
        let title = self.title(title_raw.as_deref().unwrap_or(""));
        // The summary is the first plain paragraph: a note above it (a page-wide tip)
        // stays in the description, in page order. A page with only notes: the first.
        let lead = intro_paras
            .iter()
            .position(|(note, _)| !note)
            .or((!intro_paras.is_empty()).then_some(0));
        let summary = match lead {
            Some(i) => intro_paras.remove(i).1,
            None => {
                self.diag(&page, 1, "summary", "no summary paragraph");
                title.clone()
            }
        };
        let description: Vec<String> = intro_paras.into_iter().map(|(_, p)| p).collect();
        if scope.is_empty() {
            self.diag(&page, 1, "scope", "no `Scope:` line");
        }

        // Examples.
        let mut ex = Examples::default();
        for t in &taken {
            let list = match t.kind {
                Kind::Request => &mut ex.request,
                Kind::Response => &mut ex.response,
                Kind::Error => &mut ex.error,
            };
            if !list.iter().any(|e| e.json == t.example.json) {
                list.push(t.example.clone());
            }
        }
        let main_response: Option<serde_json::Value> = ex
            .response
            .first()
            .and_then(|e| serde_json::from_str(&e.json).ok());
        let example_result = main_response
            .as_ref()
            .and_then(|v| v.get("result"))
            .cloned();

        // A table before any heading, on a page without a parameters section, holds the
        // parameters when the request example sends only its rows (it may describe the
        // result's fields instead).
        if param_table.is_none()
            && let Some((rows, line)) = intro_table
            && params::sends_only_rows(ex.request.first(), &rows, &defs)
        {
            self.nested.retain(|n| !(n.line == line && n.page == page));
            self.note(
                &page,
                line,
                "params",
                "the table before the first heading lists what the request example sends: the parameters",
            );
            param_table = Some((rows, line));
        }

        // Parameters.
        self.section = Section::Params;
        let tables = match &param_table {
            Some(t) => std::slice::from_ref(t),
            None => &variant_tables[..],
        };
        let mut variants: Vec<Vec<Field>> = Vec::new();
        for (rows, line) in tables {
            let data = data_rows(rows);
            self.tables.push(TableCount {
                kind: TableKind::Params,
                line: *line,
                rows: data.len() - pattern_rows(rows),
            });
            let mut rows = Vec::new();
            for rf in self.read_rows(data, &page, &defs, "params") {
                if family_prefix(&rf.cell.name, &rf.desc).is_some() {
                    self.diag(
                        &page,
                        rf.line,
                        "params",
                        format!(
                            "`{}` names a family of keys, not a parameter: skipped",
                            rf.cell.name
                        ),
                    );
                    continue;
                }
                rows.push(rf);
            }
            let mut ignored = Vec::new();
            variants.push(self.fields_of_rows(rows, &page, &defs, "", "params", &mut ignored));
        }
        if variants.len() > 1 {
            self.note(
                &page,
                tables[0].1,
                "params",
                format!(
                    "{} ways to call the method, one table each: their parameters, required where every way requires them",
                    variants.len()
                ),
            );
        }
        let mut params = params::merge_variants(variants);
        if params.is_empty()
            && let Some(note) = list_methods_note
        {
            self.note(
                &page,
                0,
                "params",
                "the page refers to the list methods' description for its parameters: the standard list parameters",
            );
            params = params::list_method_params(&note);
        }

        // Result.
        self.section = Section::Returned;
        let (result, paged_table) =
            self.result(result_table.as_ref(), &page, &defs, example_result.as_ref());
        let paged = paged_table
            || main_response
                .as_ref()
                .and_then(|v| v.as_object())
                .is_some_and(|o| o.contains_key("total") || o.contains_key("next"));
        let mut result = ResultSpec { paged, ..result };
        self.fit_descriptions(&mut result.ty, example_result.as_ref(), &page);

        // Errors.
        let mut errors_all: Vec<ErrorDoc> = Vec::new();
        let mut table_of: Vec<usize> = Vec::new();
        let mut error_counts: Vec<(usize, usize)> = Vec::new();
        let transcribed = error_tables
            .iter()
            .map(|(rows, line)| (errors::transcribe(rows, &ctx), *line))
            .chain(
                coded_tables
                    .iter()
                    .map(|(code, rows, line)| (errors::transcribe_coded(code, rows, &ctx), *line)),
            );
        for (n, (t, line)) in transcribed.enumerate() {
            for (l, m) in &t.problems {
                self.diag(&page, *l, "errors", m.clone());
            }
            error_counts.push((line, t.rows));
            table_of.extend(std::iter::repeat_n(n, t.errors.len()));
            errors_all.extend(t.errors);
        }
        let example_errors: Vec<(String, String)> = ex
            .error
            .iter()
            .filter_map(|e| serde_json::from_str::<serde_json::Value>(&e.json).ok())
            .filter_map(|v| crate::spec::error_of_example(&v))
            .filter(|(_, message)| !message.is_empty())
            .collect();
        if errors::codes_that_are_messages(&mut errors_all, &example_errors) {
            self.note(
                &page,
                error_tables.first().map_or(0, |t| t.1),
                "errors",
                "an error example answers one of the table's sentence-like codes as its `error_description`: those are messages too",
            );
        }
        // After merging duplicates, each table accounts for the `(status, code)` pairs
        // it adds.
        // (An empty code is told apart by its message, as in `merge_duplicates`.)
        let mut seen: BTreeSet<(Option<u16>, String, Option<String>)> = BTreeSet::new();
        let mut per_table = vec![0usize; error_counts.len()];
        for (e, &n) in errors_all.iter().zip(&table_of) {
            let message = e.message.clone().filter(|_| e.code.is_empty());
            if seen.insert((e.status, e.code.clone(), message)) {
                per_table[n] += 1;
            }
        }
        for ((line, rows), expected) in error_counts.into_iter().zip(per_table) {
            self.tables.push(TableCount {
                kind: TableKind::Errors { expected },
                line,
                rows,
            });
        }
        let before = errors_all.len();
        let errors_out = errors::merge_duplicates(errors_all);
        if errors_out.len() < before {
            self.note(
                &page,
                error_tables.first().map_or(0, |t| t.1),
                "errors",
                format!(
                    "{} entries repeat a code: merged (one entry per status and code, the messages listed in the description)",
                    before - errors_out.len()
                ),
            );
        }

        // Nested tables nobody linked to are still types (patches may use them);
        // unreferenced ones are pruned after patching.
        let unclaimed: Vec<usize> = (0..self.nested.len())
            .filter(|&i| self.nested[i].local && self.nested[i].type_name.is_none())
            .collect();
        for i in unclaimed {
            if !is_fields_table(&self.nested[i].rows) {
                continue;
            }
            let heading = self.nested[i].heading.clone();
            let fallback = names::from_heading(&heading).unwrap_or_else(|| "Fields".to_string());
            self.type_for_table(i, &fallback, "");
        }
        for n in &self.nested {
            if n.local {
                self.tables.push(TableCount {
                    kind: TableKind::Nested {
                        heading: n.heading.clone(),
                        type_name: n.type_name.clone(),
                    },
                    line: n.line,
                    rows: data_rows(&n.rows).len() - pattern_rows(&n.rows),
                });
            }
        }

        let (read_only, _) = facts::read_only(self.method);
        let mut m = Method {
            method: self.method.to_string(),
            source: Source {
                path: page.clone(),
                commit: commit.to_string(),
            },
            title,
            summary,
            description: (!description.is_empty()).then(|| description.join("\n\n")),
            scope: scope.join(", "),
            access,
            deprecated,
            aliases: Vec::new(),
            rest_v3: super::discover::is_rest_v3(page_text),
            read_only,
            positional: facts::positional(page_text),
            list: None,
            params,
            result,
            errors: errors_out,
            types: std::mem::take(&mut self.types),
            examples: ex,
        };
        let is_list = m
            .params
            .iter()
            .any(|p| p.name.eq_ignore_ascii_case("start"))
            || m.result.paged;
        // REST 3.0 lists page by `pagination`, not by `start`/`next`.
        if is_list && !m.rest_v3 {
            m.list = Some(facts::list_facts(&m, example_result.as_ref()));
        }
        if let Some(w) = params::nest_under_wrapper(&mut m) {
            self.note(
                &page,
                0,
                "params",
                format!("the request example sends some of the listed parameters inside `{w}`: they are its fields"),
            );
        }
        for p in params::fix_request_examples(&mut m, &mut self.stats) {
            self.diag(&page, 0, "examples", p);
        }
        m
    }

    /// The H1 without the method name (and without a wrong method-like name).
    pub(super) fn title(&mut self, h1: &str) -> String {
        let page = self.path.to_string();
        let plain = text::plain(h1);
        let mut words = Vec::new();
        for w in plain.split_whitespace() {
            let bare = w.trim_matches(|c: char| c == '`' || c == '"' || c == ',' || c == ':');
            let method_like = bare.contains('.')
                && bare.split('.').count() >= 2
                && bare
                    .split('.')
                    .all(|s| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric()));
            if bare == self.method {
                continue;
            }
            // REST 3.0 pages mark the version in the H1 (`Get Task by ID v 3.0
            // tasks.task.get`): the spec says it with `rest_v3`.
            if bare.eq_ignore_ascii_case("v3.0")
                || (bare == "3.0"
                    && words
                        .last()
                        .is_some_and(|w: &String| w.eq_ignore_ascii_case("v")))
            {
                if bare == "3.0" {
                    words.pop();
                }
                continue;
            }
            if method_like {
                self.diag(
                    &page,
                    1,
                    "title",
                    format!("the H1 names `{bare}`; the method is `{}`", self.method),
                );
                continue;
            }
            words.push(w.to_string());
        }
        words.join(" ")
    }

    /// The fields a table's rows give: rows documenting a family of keys (`UF_*`) go to
    /// `notes`, path-named rows (`fields.X`, `X[]`, `X.Y`) become nested types.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn fields_of_rows(
        &mut self,
        rows: Vec<RowField>,
        page: &str,
        defs: &BTreeMap<String, String>,
        owner: &str,
        path: &str,
        notes: &mut Vec<String>,
    ) -> Vec<Field> {
        let ctx = self.link_ctx(page, defs);
        let mut plain = Vec::new();
        for rf in rows {
            if let Some(prefix) = family_prefix(&rf.cell.name, &rf.desc) {
                notes.push(pattern_note(&rf, &ctx));
                if let Some(t) = self.types.iter_mut().find(|t| t.name == owner)
                    && !prefix.is_empty()
                    && !t.key_families.contains(&prefix)
                {
                    t.key_families.push(prefix);
                }
            } else {
                plain.push(rf);
            }
        }
        let paths = plain
            .iter()
            .filter(|rf| path_segments(&rf.cell.name).is_some())
            .count();
        if paths > 0 {
            let line = plain.first().map_or(0, |r| r.line);
            self.note(
                page,
                line,
                path,
                format!("{paths} rows are named by a path (`a.b`, `a[]`): read as fields of nested objects"),
            );
        }
        nest(plain)
            .into_iter()
            .map(|n| self.field_of_node(n, page, defs, owner, path))
            .collect()
    }

    fn field_of_node(
        &mut self,
        node: Node,
        page: &str,
        defs: &BTreeMap<String, String>,
        owner: &str,
        path: &str,
    ) -> Field {
        let Node {
            key,
            row,
            array,
            children,
        } = node;
        let rf = row.unwrap_or_else(|| RowField {
            cell: NameCell {
                name: key.clone(),
                required: false,
                token: Some(if array { "object[]" } else { "object" }.to_string()),
                type_target: None,
            },
            desc: String::new(),
            line: 0,
        });
        if children.is_empty() {
            let mut f = self.make_field(rf, page, defs, owner, path, None);
            if array && !f.ty.ends_with("[]") && (f.ty == "object" || f.ty == "any") {
                f.ty = format!("{}[]", f.ty);
            }
            return f;
        }
        let mut f = self.make_field(rf, page, defs, owner, path, None);
        let list = array || f.ty.ends_with("[]");
        let base = f.ty.trim_end_matches("[]").to_string();
        // A linked table already made the type: the path rows add to it.
        let existing = self
            .types
            .iter()
            .position(|t| t.name == base && t.fields.is_some());
        let (name, slot) = match existing {
            Some(i) => (base, i),
            None => {
                let name = self.names.claim(&key, owner);
                self.types.push(TypeDef {
                    name: name.clone(),
                    description: String::new(),
                    fields: Some(Vec::new()),
                    values: None,
                    repr: None,
                    key_families: Vec::new(),
                });
                (name, self.types.len() - 1)
            }
        };
        let tpath = format!("types › {name}");
        let mut kids = Vec::new();
        for c in children {
            kids.push(self.field_of_node(c, page, defs, &name, &tpath));
        }
        if let Some(fields) = self.types.get_mut(slot).and_then(|t| t.fields.as_mut()) {
            for k in kids {
                if !fields.iter().any(|x| x.name == k.name) {
                    fields.push(k);
                }
            }
        }
        f.ty = if list { format!("{name}[]") } else { name };
        f.wire = None;
        f
    }

    /// Reads the data rows of a field table.
    pub(super) fn read_rows(
        &mut self,
        rows: &[Row],
        page: &str,
        defs: &BTreeMap<String, String>,
        path: &str,
    ) -> Vec<RowField> {
        let mut out = Vec::new();
        for row in rows {
            let Some(first) = row.cells.first() else {
                continue;
            };
            let Some(cell) = read_name_cell(first, defs) else {
                self.diag(
                    page,
                    row.line,
                    path,
                    format!("row without a name: `{}`", first.replace('\n', " ")),
                );
                continue;
            };
            let mut desc = row.cells.get(1).cloned().unwrap_or_default();
            for extra in row.cells.iter().skip(2).filter(|c| !c.trim().is_empty()) {
                desc.push_str("\n\n");
                desc.push_str(extra);
            }
            out.push(RowField {
                cell,
                desc,
                line: row.line,
            });
        }
        out
    }

    /// Turns a row into a field; links object rows to nested tables.
    /// `fallback` names a linked type whose heading says nothing.
    pub(super) fn make_field(
        &mut self,
        rf: RowField,
        page: &str,
        defs: &BTreeMap<String, String>,
        owner: &str,
        path: &str,
        fallback: Option<&str>,
    ) -> Field {
        let RowField { cell, desc, line } = rf;
        let fpath = format!("{path} › {}", cell.name);
        let ctx = self.link_ctx(page, defs);
        let referenced = cell
            .token
            .as_deref()
            .and_then(|t| self.referenced_field(t, &cell, page));
        let was_referenced = referenced.is_some();
        let (mut ty, token) = match &cell.token {
            Some(t) if referenced.is_some() => (referenced.unwrap_or_default(), Some(t.clone())),
            Some(t) => {
                let m = doc_types::map(t);
                if !m.known {
                    self.unmapped.insert(t.clone());
                    self.diag(
                        page,
                        line,
                        &fpath,
                        format!("unmapped docs type `{t}`: read as `any`"),
                    );
                }
                (m.ty, Some(t.clone()))
            }
            None => {
                self.diag(page, line, &fpath, "row without a type: read as `any`");
                ("any".to_string(), None)
            }
        };
        let lower = text::plain(&desc).to_lowercase();
        if ty == "any[]" && lower.contains("associative array") {
            ty = "object".into();
        }
        if ty == "object" && described_as_array(&lower) {
            ty = "object[]".into();
        }
        // A `string` "in the form of a list of objects", each described by a linked table
        // (`timeman.networkrange.set`'s `RANGES`): the docs' type is wrong, and the field is
        // a list of the table's objects; without a table it stays a string.
        let listed_string = ty == "string" && described_as_array(&lower);
        // A file is sent as `[name, base64]`; "List of files" sends a list of them.
        if ty == "file" && (lower.contains("list of files") || lower.contains("array of values")) {
            ty = "file[]".into();
        }
        // The portal answers a file as its description (`id`, `name`, `size`, URLs), keyed
        // by ID in some results, never as the `[name, base64]` sent: in a result, a file is
        // an object whose keys the page's type does not give.
        if self.section == Section::Returned && ty.trim_end_matches("[]") == "file" {
            ty = "object".into();
        }
        // The portal answers `null` for a language without a text (`userfieldconfig.get`:
        // `"listColumnLabel": {"en": null}`).
        if self.section == Section::Returned
            && ty == "map<string>"
            && token.as_deref() == Some("lang_map")
        {
            ty = "map<string | null>".into();
        }
        // `select` lists field names (and masks such as `*`, `UF_*`) on every list method;
        // a query's `group` lists the fields to group by (`landing.repo.getList`).
        if ty == "any[]"
            && (cell.name.eq_ignore_ascii_case("select")
                || (cell.name.eq_ignore_ascii_case("group") && self.section != Section::Returned))
        {
            ty = "string[]".into();
        }
        let linkable = (listed_string
            || matches!(ty.as_str(), "object" | "object[]" | "any[]" | "any"))
            && !token.as_deref().is_some_and(|t| t.contains('|'))
            // In a result, `order` is an order (`sale.order.get`), not a sort order.
            && !(is_query_param(&cell.name) && self.section != Section::Returned)
            // A Drive file is written as an upload structure (`[{"fileData": [name,
            // base64]}]`); its data-types table describes only how it is answered.
            && !(self.section != Section::Returned
                && token.as_deref().is_some_and(|t| t.eq_ignore_ascii_case("diskfile")));
        // A generic docs type (`User[]`: users' IDs) whose link points at an entity's table
        // elsewhere than a data-types page (`entities.md#user`): the table describes it.
        let entity = !was_referenced
            && matches!(ty.trim_end_matches("[]"), "integer" | "string")
            && cell.type_target.as_deref().is_some_and(|t| {
                let (path, anchor) = t.split_once('#').unwrap_or((t, ""));
                !anchor.is_empty()
                    && !path.is_empty()
                    && (!super::shared::is_data_types_page(path)
                        // The method's `result` itself typed as an entity
                        // (`[crm_currency](../data-types.md#crm_currency)`): the entity, not
                        // its ID as such a field elsewhere holds.
                        || (self.section == Section::Returned && cell.name == "result"))
            });
        if (linkable || entity)
            && let Some(idx) = self.resolve_table(&cell, &desc, page, defs, owner)
        {
            let fb = fallback
                .map(str::to_string)
                .unwrap_or_else(|| naming::type_name(&cell.name));
            let n = &self.nested[idx];
            // The field description is `FieldDescription` wherever it is linked from, as
            // the `*.fields` rule and the shared type name it.
            let name = if (n.page.as_str(), n.anchor.as_deref())
                == (
                    super::descriptions::FIELD_DESCRIPTION.0,
                    Some(super::descriptions::FIELD_DESCRIPTION.1),
                ) {
                self.type_for_table_named(idx, Some("FieldDescription"), "FieldDescription", "")
            } else {
                self.type_for_table(idx, &fb, owner)
            };
            ty = if ty.ends_with("[]") || listed_string {
                format!("{name}[]")
            } else if (described_as_map(&lower)
                || super::keyed::format_is_keyed(&desc)
                || super::keyed::numbered_keys_hold_objects(&desc))
                // A table of one placeholder row (`{BOT_ID}`) is made the map itself.
                && !placeholder_table(&self.nested[idx])
            {
                format!("map<{name}>")
            } else {
                name
            };
        }
        let bullets = enums::bullets(&desc);
        let mut wire = None;
        match ty.as_str() {
            // A "boolean" whose values are more than a truth pair (`SHOW_FILTER`: `N`,
            // `I`, `E`, `S`) is those values.
            "boolean"
                if bullets.as_ref().is_some_and(|b| {
                    b.len() > 2
                        && !b
                            .iter()
                            .all(|b| crate::spec::validate::is_bool_text(&b.value))
                }) =>
            {
                if let Some(b) = &bullets {
                    ty = self
                        .make_enum(&cell.name, owner, b, false, page, line, &fpath)
                        .unwrap_or_else(|| "string".into());
                }
            }
            "boolean" => wire = enums::boolean_wire(bullets.as_deref(), &desc),
            "char" | "string" => {
                let yn = enums::boolean_wire(bullets.as_deref(), &desc) == Some(WireFormat::Yn);
                let only_yn = bullets.as_ref().is_some_and(|b| {
                    let mut v: Vec<&str> = b.iter().map(|b| b.value.as_str()).collect();
                    v.sort_unstable();
                    v == ["N", "Y"]
                });
                if only_yn || (ty == "char" && yn && bullets.is_none()) {
                    ty = "boolean".into();
                    wire = Some(WireFormat::Yn);
                } else if let Some(b) = &bullets
                    && !enums::is_true_false(b)
                {
                    ty = self
                        .make_enum(&cell.name, owner, b, false, page, line, &fpath)
                        .unwrap_or(ty);
                }
            }
            "integer" => {
                if let Some(b) = &bullets {
                    ty = self
                        .make_enum(&cell.name, owner, b, true, page, line, &fpath)
                        .unwrap_or(ty);
                }
            }
            _ => {}
        }
        let doc_type = token.filter(|t| *t != ty);
        Field {
            name: cell.name,
            rust_name: None,
            ty,
            doc_type,
            required: cell.required,
            description: text::clean_md(&desc, &ctx),
            default: default_of(&desc),
            wire,
            kept: None,
        }
    }

    /// `catalog_measure.code`, `sale_paysystem.ID`: the type of one field of an entity,
    /// read from the row of that field in the entity's table (found by the token's link).
    fn referenced_field(&mut self, token: &str, cell: &NameCell, page: &str) -> Option<String> {
        let (base, list) = match token.strip_suffix("[]") {
            Some(b) => (b, true),
            None => (token, false),
        };
        // A row named for an ID whose type names the entity itself (`statusId`
        // [`sale_status`]) holds the entity's `id`, as its examples show (`"DN"`).
        let names_id = {
            let n = &cell.name;
            n.len() > 2 && (n.ends_with("Id") || n.ends_with("ID") || n.ends_with("_id"))
        };
        let (entity, field) = match base.split_once('.') {
            Some(pair) => pair,
            None if names_id => (base, "id"),
            None => return None,
        };
        let word =
            |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !word(entity) || !word(field) {
            return None;
        }
        let target = cell.table_link()?;
        let (target_page, anchor) = self.follow_link(page, &target)?;
        let n = self
            .nested
            .iter()
            .find(|n| n.page == target_page && n.anchor.as_deref() == Some(anchor.as_str()))?;
        let row = data_rows(&n.rows).iter().find_map(|r| {
            let c = read_name_cell(r.cells.first()?, &n.defs)?;
            c.name.eq_ignore_ascii_case(field).then_some(c)
        })?;
        let m = doc_types::map(row.token.as_deref()?);
        let scalar = m.known && !matches!(m.ty.as_str(), "object" | "any" | "object[]" | "any[]");
        scalar.then(|| if list { format!("{}[]", m.ty) } else { m.ty })
    }

    #[allow(clippy::too_many_arguments)]
    fn make_enum(
        &mut self,
        field: &str,
        owner: &str,
        bullets: &[enums::Bullet],
        integer: bool,
        page: &str,
        line: usize,
        fpath: &str,
    ) -> Option<String> {
        let Some((repr, values)) = enums::enum_values(bullets, integer) else {
            self.diag(
                page,
                line,
                fpath,
                "value list mixes integers and words: not an enum",
            );
            return None;
        };
        // The same values under the same field name reuse one enum.
        let base = naming::type_name(field);
        if let Some(t) = self.types.iter().find(|t| {
            (t.name == base || t.name.ends_with(&base)) && t.values.as_ref() == Some(&values)
        }) {
            return Some(t.name.clone());
        }
        let name = self.names.claim(field, owner);
        self.types.push(TypeDef {
            name: name.clone(),
            description: String::new(),
            fields: None,
            values: Some(values),
            repr: Some(repr),
            key_families: Vec::new(),
        });
        Some(name)
    }

    /// The page and anchor a link (`#anchor`, `other.md#anchor`) on `page` points at;
    /// another page's tables are loaded so the anchor can be found among them.
    pub(super) fn follow_link(&mut self, page: &str, target: &str) -> Option<(String, String)> {
        let (file, anchor) = target.split_once('#').unwrap_or((target, ""));
        let target_page = if file.is_empty() {
            page.to_string()
        } else {
            text::resolve_path(page, file)?
        };
        if target_page != page {
            self.load_foreign(&target_page);
        }
        Some((target_page, anchor.to_string()))
    }

    /// Loads the nested tables of another docs page (for `other.md#anchor` links).
    pub(super) fn load_foreign(&mut self, target: &str) {
        if !self.loaded.insert(target.to_string()) {
            return;
        }
        let Some(textv) = (self.includes)(target) else {
            return;
        };
        let parsed = yfm::parse(&textv);
        let mut defs = BTreeMap::new();
        for b in &parsed.blocks {
            if let Block::LinkDef { label, url } = b {
                defs.insert(label.clone(), url.clone());
            }
        }
        let mut sub: Option<(String, Option<String>)> = None;
        let mut label: Option<String> = None;
        for b in parsed.blocks {
            match b {
                Block::Heading {
                    text: h, anchor, ..
                } => {
                    sub = Some((h.clone(), Some(anchor.unwrap_or_else(|| slug(&h)))));
                    label = None;
                }
                Block::Para { text: t, .. } => {
                    let t = t.trim();
                    label = (t.starts_with("**") && t.lines().count() == 1 && t.ends_with(':'))
                        .then(|| t.to_string());
                }
                Block::Table(t) => {
                    let (heading, anchor) = match (label.take(), &sub) {
                        (Some(l), _) => (l, None),
                        (None, Some((h, a))) => (h.clone(), a.clone()),
                        (None, None) => (String::new(), None),
                    };
                    if let Some((_, a)) = sub.as_mut() {
                        *a = None;
                    }
                    self.nested.push(Nested {
                        page: target.to_string(),
                        defs: defs.clone(),
                        heading,
                        anchor,
                        line: t.line,
                        rows: t.rows,
                        type_name: None,
                        local: false,
                        section: Section::Other,
                        tab: None,
                    });
                }
                _ => {}
            }
        }
    }

    /// The named type of a nested table, created on first use.
    pub(super) fn type_for_table(&mut self, idx: usize, fallback: &str, owner: &str) -> String {
        self.type_for_table_named(idx, None, fallback, owner)
    }

    pub(super) fn type_for_table_named(
        &mut self,
        idx: usize,
        name: Option<&str>,
        fallback: &str,
        owner: &str,
    ) -> String {
        if let Some(n) = &self.nested[idx].type_name {
            return n.clone();
        }
        let heading = self.nested[idx].heading.clone();
        let base = name
            .map(str::to_string)
            .or_else(|| names::from_heading(&heading))
            .unwrap_or_else(|| fallback.to_string());
        let name = self.names.claim(&base, owner);
        self.nested[idx].type_name = Some(name.clone());
        let slot = self.types.len();
        self.types.push(TypeDef {
            name: name.clone(),
            description: String::new(),
            fields: Some(Vec::new()),
            values: None,
            repr: None,
            key_families: Vec::new(),
        });
        let page = self.nested[idx].page.clone();
        let defs = self.nested[idx].defs.clone();
        let rows = data_rows(&self.nested[idx].rows).to_vec();
        let path = format!("types › {name}");
        let mut fields = Vec::new();
        let mut notes = Vec::new();
        let outer = std::mem::replace(&mut self.section, self.nested[idx].section);
        let read = self.read_rows(&rows, &page, &defs, &path);
        fields.extend(self.fields_of_rows(read, &page, &defs, &name, &path, &mut notes));
        self.section = outer;
        if !self.nested[idx].local {
            let target = match &self.nested[idx].anchor {
                Some(a) => format!("{page}#{a}"),
                None => page.clone(),
            };
            notes.insert(
                0,
                format!(
                    "As described in [{}]({}).",
                    text::plain(&heading),
                    text::page_url(BASE_URL, &target)
                ),
            );
        }
        if let Some(t) = self.types.get_mut(slot) {
            t.fields = Some(fields);
            t.description = notes.join("\n\n");
        }
        name
    }

    /// The result: from the "Returned Data" table, else the response example.
    fn result(
        &mut self,
        table: Option<&(Vec<Row>, usize)>,
        page: &str,
        defs: &BTreeMap<String, String>,
        example_result: Option<&serde_json::Value>,
    ) -> (ResultSpec, bool) {
        let request = self.names.request().to_string();
        let Some((rows, line)) = table else {
            let (ty, why) = infer(example_result);
            self.diag(
                page,
                0,
                "result",
                format!("no result table: type `{ty}` {why}"),
            );
            let description = format!("The docs give no result table; the type is {why}.");
            return (
                ResultSpec {
                    ty,
                    doc_type: None,
                    description,
                    paged: false,
                },
                false,
            );
        };
        let data = data_rows(rows);
        let mut paged = false;
        let mut result_row = None;
        let mut extra = Vec::new();
        for mut rf in self.read_rows(data, page, defs, "result") {
            // `result.X`: a field of the result object (the path names the envelope key).
            if rf.cell.name.len() > 7 && rf.cell.name[..7].eq_ignore_ascii_case("result.") {
                rf.cell.name = rf.cell.name[7..].to_string();
                extra.push(rf);
                continue;
            }
            match rf.cell.name.to_lowercase().as_str() {
                "time" => {}
                "total" | "next" => paged = true,
                "result" if result_row.is_none() => result_row = Some(rf),
                _ => extra.push(rf),
            }
        }
        let example_is_array = example_result.is_some_and(|v| v.is_array());
        let mut type_name = None;
        let extra_n = extra.len();
        let spec = if !extra.is_empty() {
            // Rows next to (or instead of) `result` are the fields of the result object.
            let array = result_row.is_none() && example_is_array;
            let base = if array {
                format!("{request}Item")
            } else {
                format!("{request}Result")
            };
            let name = self.names.claim(&base, "");
            let slot = self.types.len();
            self.types.push(TypeDef {
                name: name.clone(),
                description: String::new(),
                fields: Some(Vec::new()),
                values: None,
                repr: None,
                key_families: Vec::new(),
            });
            let path = format!("types › {name}");
            let mut fields = Vec::new();
            let mut notes = Vec::new();
            fields.extend(self.fields_of_rows(extra, page, defs, &name, &path, &mut notes));
            if let Some(t) = self.types.get_mut(slot) {
                t.fields = Some(fields);
                t.description = notes.join("\n\n");
            }
            type_name = Some(name.clone());
            let description = match result_row {
                Some(rf) => text::clean_md(&rf.desc, &self.link_ctx(page, defs)),
                None => String::new(),
            };
            ResultSpec {
                ty: if array { format!("{name}[]") } else { name },
                doc_type: None,
                description,
                paged: false,
            }
        } else if let Some(rf) = result_row {
            let array_like = rf
                .cell
                .token
                .as_deref()
                .is_some_and(|t| t.ends_with("[]") || t == "array")
                || example_is_array;
            let fb = if array_like {
                format!("{request}Item")
            } else {
                format!("{request}Result")
            };
            let f = self.make_field(rf, page, defs, "", "result", Some(&fb));
            ResultSpec {
                ty: f.ty,
                doc_type: f.doc_type,
                description: f.description,
                paged: false,
            }
        } else {
            let (ty, why) = infer(example_result);
            self.diag(
                page,
                *line,
                "result",
                format!("result table has no `result` row and no fields: type `{ty}` {why}"),
            );
            ResultSpec {
                ty,
                doc_type: None,
                description: String::new(),
                paged: false,
            }
        };
        let patterns = pattern_rows(rows);
        self.tables.push(TableCount {
            kind: TableKind::Result {
                extra: extra_n - patterns.min(extra_n),
                type_name,
            },
            line: *line,
            rows: data.len() - patterns,
        });
        (spec, paged)
    }
}

/// The type of an example's `result` value.
fn infer(v: Option<&serde_json::Value>) -> (String, &'static str) {
    use serde_json::Value as V;
    let ty = match v {
        None => return ("any".into(), "unknown (no response example)"),
        Some(V::Bool(_)) => "boolean",
        Some(V::Number(n)) if n.is_i64() || n.is_u64() => "integer",
        Some(V::Number(_)) => "double",
        Some(V::String(_)) => "string",
        Some(V::Array(_)) => "any[]",
        Some(V::Object(_)) => "object",
        Some(V::Null) => "any",
    };
    (ty.into(), "inferred from the response example")
}

/// The Markdown text of a note's blocks.
pub(super) fn note_text(blocks: &[Block]) -> String {
    let mut out = Vec::new();
    for b in blocks {
        match b {
            Block::Para { text, .. } => out.push(text.clone()),
            Block::Fence(f) => out.push(format!("```{}\n{}\n```", f.lang, f.body)),
            _ => {}
        }
    }
    out.join("\n\n")
}

/// Rows after the header (a first row of bold labels).
pub(super) fn data_rows(rows: &[Row]) -> &[Row] {
    match rows.first() {
        Some(h) if is_header(h) => &rows[1..],
        _ => rows,
    }
}

pub(super) fn is_header(row: &Row) -> bool {
    // `**Title**⏎`type``: a column label over the names and the literal word `type` over
    // their types, whatever the other columns say (`Read | Write`, not bold).
    let labels_names_and_types = row.cells.first().is_some_and(|c| {
        let c = c.trim();
        c.starts_with("**")
            && c.strip_suffix("`type`").is_some_and(|head| {
                let head = head.trim_end();
                head.len() > 4 && head.ends_with("**") && !head[2..head.len() - 2].contains("**")
            })
    });
    labels_names_and_types
        || !row.cells.is_empty()
            && row.cells.iter().filter(|c| !c.trim().is_empty()).all(|c| {
                let t = c.trim();
                t.starts_with("**") && {
                    let p = text::plain(t).to_lowercase();
                    [
                        "name",
                        "field",
                        "description",
                        "value",
                        "type",
                        "code",
                        "status",
                        "error",
                        "note",
                        "parameter",
                        // `**Key**` over a map's rows (`landing.block.updatenodes`' `data`).
                        "key",
                        // `**Default Value**` (`crm.type.add`'s `linkedUserFields`).
                        "default",
                    ]
                    .iter()
                    .any(|w| p.starts_with(w))
                }
            })
}

/// Whether a table lists fields (`**NAME**` in the first cell of most rows).
pub(super) fn is_fields_table(rows: &[Row]) -> bool {
    let data = data_rows(rows);
    let named = data
        .iter()
        .filter(|r| r.cells.first().is_some_and(|c| c.contains("**")))
        .count();
    !data.is_empty()
        && named * 2 >= data.len()
        && rows
            .first()
            .is_some_and(|h| !errors::is_error_header(&h.cells))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_types_links_without_an_anchor_name_the_entity_heading() {
        let cell = |token: &str, target: &str| NameCell {
            name: "order".into(),
            required: false,
            token: Some(token.into()),
            type_target: Some(target.into()),
        };
        let link = |token: &str, target: &str| cell(token, target).table_link();
        assert_eq!(
            link("sale_order[]", "../data-types.md").as_deref(),
            Some("../data-types.md#sale_order")
        );
        assert_eq!(
            link("sale_status.id", "../data-types.md").as_deref(),
            Some("../data-types.md#sale_status")
        );
        assert_eq!(link("x", "a.md#b").as_deref(), Some("a.md#b"));
        assert_eq!(link("sale_order", "../other.md"), None);
        assert_eq!(link("string | null", "../data-types.md"), None);
    }

    #[test]
    fn name_cells() {
        let d = BTreeMap::from([("1".to_string(), "../data-types.md".to_string())]);
        let c = read_name_cell("**ENTITY_TYPE***\n[`string`](../../data-types.md)", &d).unwrap();
        assert_eq!(
            (c.name.as_str(), c.required, c.token.as_deref()),
            ("ENTITY_TYPE", true, Some("string"))
        );
        let c = read_name_cell("**NAME**\n[`string` | `object`](../../data-types.md)", &d).unwrap();
        assert_eq!(
            (c.required, c.token.as_deref()),
            (false, Some("string | object"))
        );
        let c = read_name_cell("**time**[`time`](x.md#time)", &d).unwrap();
        assert_eq!(c.type_target.as_deref(), Some("x.md#time"));
        let c = read_name_cell("**id***\n[`integer`][1]", &d).unwrap();
        assert_eq!(c.type_target.as_deref(), Some("../data-types.md"));
        let c = read_name_cell("**id^*^**\n[`integer`][1]", &d).unwrap();
        assert_eq!((c.name.as_str(), c.required), ("id", true));
        let c = read_name_cell("**id**^*^\n[`integer`][1]", &d).unwrap();
        assert_eq!((c.name.as_str(), c.required), ("id", true));
        let c = read_name_cell("**UF_\\***\n[`string`][1]", &d).unwrap();
        assert_eq!((c.name.as_str(), c.required), ("UF_*", false));
        let c = read_name_cell("**UF_...**", &d).unwrap();
        assert_eq!(c.token, None);
        let c = read_name_cell("**TASKS_TASK**|**UF_CRM_TASK**\n[`boolean`][1]", &d).unwrap();
        assert_eq!(c.name, "TASKS_TASK|UF_CRM_TASK");
        assert_eq!(c.token.as_deref(), Some("boolean"));
        let c = read_name_cell("**result**\n`null`", &d).unwrap();
        assert_eq!(c.token.as_deref(), Some("null"));
    }

    #[test]
    fn maps_told_by_their_description() {
        assert!(described_as_map(
            "list of regions, where the object's key is the `code` of the region"
        ));
        assert!(described_as_map(
            "contains objects, each describing a stage"
        ));
        assert!(!described_as_map("list of regions"));
        assert!(described_as_map(
            "the key of the fields object must match the field code from the template"
        ));
        assert!(described_as_map(
            "the key of the object is the attachment id, and the value is the file"
        ));
        assert!(!described_as_map("the key of the settings object can be:"));
        assert!(described_as_map(
            "list of handler parameters. keys are parameter codes (string), values are parameter descriptions"
        ));
    }

    #[test]
    fn key_families() {
        assert_eq!(family_prefix("UF_CRM_...", "").as_deref(), Some("UF_CRM_"));
        assert_eq!(family_prefix("UF_*", "").as_deref(), Some("UF_"));
        assert_eq!(
            family_prefix("propertyN", "where `N` is").as_deref(),
            Some("property")
        );
        // `PROPERTY_PropertyId` (`lists.element.*`): `PROPERTY_951`.
        assert_eq!(
            family_prefix("PROPERTY_PropertyId", "").as_deref(),
            Some("PROPERTY_")
        );
        for field in [
            "PROPERTY_ID",
            "ASSIGNED_BY_ID",
            "NAME",
            "propertyN",
            "Ufield_Name",
        ] {
            assert_eq!(family_prefix(field, ""), None, "{field}");
        }
    }

    #[test]
    fn header_rows() {
        let row = |cells: &[&str]| Row {
            line: 1,
            cells: cells.iter().map(|c| c.to_string()).collect(),
        };
        assert!(is_header(&row(&["**Name**\n`type`", "**Description**"])));
        // A map's table names its column "Key" (`landing.block.updatenodes`' `data`).
        assert!(is_header(&row(&["**Key**\n`type`", "**Description**"])));
        // Any label over names and `type` over their types.
        assert!(is_header(&row(&[
            "**Name**\n`type`",
            "**Description**",
            "Read",
            "Write"
        ])));
        assert!(is_header(&row(&["**Title**\n`type`", "**Description**"])));
        assert!(!is_header(&row(&["**ID**\n[`type`](x.md)", "The type"])));
        assert!(is_header(&row(&[
            "**Name**\n`type`",
            "**Description**",
            "**Default Value**"
        ])));
        assert!(!is_header(&row(&[
            "**<selector>**\n[`string`](x.md)",
            "The key"
        ])));
    }

    #[test]
    fn defaults() {
        assert_eq!(
            default_of("Default value: `['ID']`").as_deref(),
            Some("['ID']")
        );
        assert_eq!(default_of("Default is `0`").as_deref(), Some("0"));
        assert_eq!(default_of("Default — `N`").as_deref(), Some("N"));
        assert_eq!(default_of("default is an empty string"), None);
    }
}
