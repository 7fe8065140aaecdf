//! `cargo xtask import`: transcribes the upstream docs pages (Diplodoc YFM) into
//! `spec/`, applying the curation patches of `spec/patches/`.
//!
//! - [`yfm`]: block parser (tables, fences, notes, tabs, includes, conditionals)
//! - [`text`]: cell text (plain text, code spans, links made absolute)
//! - [`page`]: one page → one method (`params`: parameters without a plain table);
//!   [`event`]: one event page → one event, and the service-wide `auth` keys of deliveries
//! - [`doc_types`]: the docs' type tokens → the spec's type grammar
//! - [`enums`], [`errors`], [`examples`], [`json_repair`], [`names`], [`facts`]
//! - [`patch`]: curation patches; [`conform`]: do examples decode; [`report`]
//! - [`shapes`]: shapes the tables leave open, read from the examples (associative
//!   arrays, lists of objects, wrapper keys); [`keyed`]: a table of one placeholder key
//!   (`<siteId>`, `{BOT_ID}`) is a map
//! - [`round_trip`]: keys examples show that tables lack are added; examples that
//!   cannot round-trip (custom fields, unlisted values or codes) say why
//! - [`discover`]: which pages of a docs tree are method or event pages (`--all`)
//! - [`shared`]: the entity tables of `data-types.md` pages as the shared types of
//!   `spec/types/`, which methods use where their copy is the same
//!
//! Rules beyond the literal docs (each reported as a note when it fires):
//! - nested tables are found by the row's type link, then links in its description
//!   (`(#anchor)`, also `other.md#anchor`), then a heading naming the field, preferring
//!   the same page section; never by position. `select`/`filter`/`order`/`sort` never
//!   take a table (their links point at field lists). A type link to a `data-types.md`
//!   page without an anchor (`` [`sale_order`](../data-types.md) ``) means the heading
//!   there named like the entity (`#sale_order`), as other pages write it;
//! - `entity.field` tokens (`sale_status.id`) take the type of that row of the entity's
//!   table; so does a row named for an ID whose token names the entity itself (`statusId`
//!   typed `sale_status`: the examples send `"DN"`, the status's `id`);
//! - `object` described as "array of objects" → `T[]`; "contains objects, each
//!   describing" → `map<T>`; `array` described as "associative array" → an object;
//!   `select` typed `array` → `string[]`;
//! - `Y`/`N` bullets or prose on `boolean`/`char` → `boolean` with `wire: yn`; booleans
//!   without a stated format take the one the page's own examples show;
//! - rows next to (or instead of) the `result` row are the fields of the result object,
//!   a list of them when the response example's `result` is an array; rows named
//!   `result.X` are too;
//! - rows named by a path (`fields.CONTACT_ID`, `items[].code`, `PLACE.ROOM`) are fields
//!   of nested objects (`[]`: a list of them), never literal keys; in an event's delivery
//!   table `data.KEY` rows are the keys of `data`;
//! - the required mark is `*` after the bold name, or the superscript `^*^`;
//! - `*.fields` methods whose example answers field descriptions (objects with `type` and
//!   `isRequired`, or with keys of `crm_rest_field_description` only), also under one
//!   key (`{"fields": {...}}`): each documented field is typed `FieldDescription`
//!   (`crm/data-types.md#crm_rest_field_description`);
//! - results' starred fields absent from the response example are optional;
//! - errors: one entry per `(status, code)` (repeats merged, messages listed); an empty
//!   code (`"error": ""`, written `Empty string` in the docs) stays empty and is told
//!   apart by its message; sentence-like "codes" the page's error example answers as
//!   `error_description` are messages too (and take the example's code);
//! - request example keys that differ from a parameter only in case are renamed;
//!   examples with other unknown keys are dropped; examples lacking a required
//!   parameter get `skip_round_trip`.

pub mod conform;
mod descriptions;
pub mod discover;
pub mod doc_types;
pub mod dropped;
pub mod enums;
pub mod errors;
pub mod event;
pub mod examples;
pub mod facts;
mod include;
pub mod json_repair;
pub mod keyed;
pub mod names;
pub mod page;
mod params;
pub mod patch;
pub mod report;
pub mod round_trip;
pub mod shapes;
pub mod shared;
pub mod sweep;
mod tables;
pub mod text;
pub mod yfm;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

use crate::diagnostics::Diagnostic;
use crate::spec::model::{Api, DocsPin, ErrorDoc, Event, Method, Patch, PatchFile, TypeDef};
use crate::spec::types::TypeExpr;
use crate::spec::yaml_depth;

/// Options of `cargo xtask import`.
#[derive(Debug, Clone)]
pub struct Options {
    /// Workspace root (holding `spec/`).
    pub root: PathBuf,
    /// A checkout of bitrix24/b24restdocs.
    pub docs: PathBuf,
    /// Import only these methods.
    pub methods: Vec<String>,
    /// A TSV of `method<TAB>docs path<TAB>how` lines.
    pub list: Option<PathBuf>,
    /// Compare with `spec/` instead of writing.
    pub check: bool,
    /// Import every method and event page [`discover`] finds in the docs tree (the
    /// aliases of `spec/` are kept).
    pub all: bool,
}

/// First line of a method file.
pub const METHOD_HEADER: &str = "# yaml-language-server: $schema=../../schema/method.schema.json\n";
/// First line of an event file.
pub const EVENT_HEADER: &str = "# yaml-language-server: $schema=../../schema/event.schema.json\n";
/// First line of `api.yaml`.
pub const API_HEADER: &str = "# yaml-language-server: $schema=schema/api.schema.json\n";
/// First line of a shared type file.
pub const TYPE_HEADER: &str = "# yaml-language-server: $schema=../schema/type.schema.json\n";

/// Transcribes one page (pure; what the tests use). Unreferenced types are pruned.
pub fn transcribe(
    page_text: &str,
    page_path: &str,
    method: &str,
    includes: &dyn Fn(&str) -> Option<String>,
    commit: &str,
) -> (Method, Vec<Diagnostic>) {
    let t = page::transcribe(page_text, page_path, method, includes, commit);
    (finish(t.method).0, t.diagnostics)
}

/// Applies patches to a method; unreferenced types are pruned afterwards. A patch
/// result that is no longer a valid method is reported as a stale last patch.
pub fn apply_patches(method: &Method, patches: &[Patch]) -> (Method, Vec<patch::Outcome>) {
    let (m, outcomes) = patch_only(method, patches);
    (finish(m).0, outcomes)
}

fn patch_only(method: &Method, patches: &[Patch]) -> (Method, Vec<patch::Outcome>) {
    let mut value = match serde_json::to_value(method) {
        Ok(v) => v,
        Err(e) => {
            let o = patch::Outcome {
                path: String::new(),
                reason: String::new(),
                status: patch::Status::Stale(e.to_string()),
            };
            return (method.clone(), vec![o]);
        }
    };
    let mut outcomes = patch::apply_patches(&mut value, patches);
    let patched = match serde_json::from_value::<Method>(value) {
        Ok(m) => m,
        Err(e) => {
            outcomes.push(patch::Outcome {
                path: String::new(),
                reason: "patched method".into(),
                status: patch::Status::Stale(format!("the patches give an invalid method: {e}")),
            });
            method.clone()
        }
    };
    (patched, outcomes)
}

/// What every imported method goes through after patching: booleans get the wire
/// format the examples show, the round-trip rules ([`round_trip`]) settle which
/// examples round-trip, unreferenced types are pruned. Returns notes.
pub fn finish(mut m: Method) -> (Method, Vec<String>) {
    let roots = m
        .params
        .iter_mut()
        .map(|p| &mut p.ty)
        .chain(std::iter::once(&mut m.result.ty));
    let mut notes = keyed::placeholder_maps(roots, &mut m.types);
    notes.extend(shapes::fit_shapes(&mut m));
    notes.extend(conform::infer_wires(&mut m));
    notes.extend(conform::relax_required(&mut m));
    notes.extend(conform::alternatives(&mut m));
    notes.extend(round_trip::keyed_result(&mut m));
    notes.extend(conform::mark_round_trip(&mut m));
    notes.extend(round_trip::settle(&mut m));
    notes.extend(round_trip::settle_requests(&mut m));
    // After the round-trip rules: one may retype a field (`map<string>` for IDs) and
    // leave its type unused.
    for t in prune_types(&mut m) {
        notes.push(format!("type {t} is referenced by nothing: dropped"));
    }
    (m, notes)
}

fn refs_of(ty: &str, out: &mut BTreeSet<String>) {
    if let Ok(t) = TypeExpr::parse(ty) {
        t.for_each_named(&mut |n| {
            out.insert(n.to_string());
        });
    }
}

/// Drops named types nothing references (transitively from params and result);
/// returns their names.
pub fn prune_types(m: &mut Method) -> Vec<String> {
    let roots: Vec<&str> = m
        .params
        .iter()
        .map(|p| p.ty.as_str())
        .chain([m.result.ty.as_str()])
        .collect();
    prune(&mut m.types, &roots)
}

/// Drops the `types` that no type expression of `roots` reaches (transitively); returns
/// their names.
fn prune(types: &mut Vec<TypeDef>, roots: &[&str]) -> Vec<String> {
    let live = reachable(types, roots);
    let dropped: Vec<String> = types
        .iter()
        .filter(|t| !live.contains(&t.name))
        .map(|t| t.name.clone())
        .collect();
    types.retain(|t| live.contains(&t.name));
    dropped
}

/// The names the type expressions `roots` reach through `types`' fields (transitively),
/// named types `types` lacks included.
pub(crate) fn reachable(types: &[TypeDef], roots: &[&str]) -> BTreeSet<String> {
    let mut live = BTreeSet::new();
    for r in roots {
        refs_of(r, &mut live);
    }
    loop {
        let mut next = live.clone();
        for t in types.iter().filter(|t| live.contains(&t.name)) {
            for f in t.fields.iter().flatten() {
                refs_of(&f.ty, &mut next);
            }
        }
        if next == live {
            return live;
        }
        live = next;
    }
}

/// The service-wide errors of `_includes/system-errors.md`.
pub fn system_errors(page_text: &str, page_path: &str) -> (Vec<ErrorDoc>, Vec<String>) {
    let parsed = yfm::parse(page_text);
    let ctx = text::LinkCtx {
        page_path: page_path.to_string(),
        base_url: page::BASE_URL.to_string(),
        defs: BTreeMap::new(),
    };
    let mut problems: Vec<String> = parsed
        .problems
        .iter()
        .map(|p| format!("line {}: {}", p.line, p.message))
        .collect();
    let mut out = Vec::new();
    for b in &parsed.blocks {
        if let yfm::Block::Table(t) = b {
            let e = errors::transcribe(&t.rows, &ctx);
            problems.extend(e.problems.iter().map(|(l, m)| format!("line {l}: {m}")));
            if e.errors.len() != e.rows {
                problems.push(format!(
                    "line {}: {} rows gave {} errors",
                    t.line,
                    e.rows,
                    e.errors.len()
                ));
            }
            out.extend(e.errors);
        }
    }
    if out.is_empty() {
        problems.push("no system error table found".into());
    }
    (out, problems)
}

/// One method (or event) to import.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    method: String,
    path: String,
    aliases: Vec<String>,
    /// An event page (`spec/events/`), not a method.
    event: bool,
    /// A REST 3.0 method page (`/rest/api/`).
    rest_v3: bool,
}

impl Entry {
    /// The name the spec knows the method by ([`Method::id`]): `v3.` before a REST 3.0
    /// method's name.
    fn id(&self) -> String {
        crate::spec::method_id(&self.method, self.rest_v3).into_owned()
    }
}

/// Whether a list row names an event: `how` is `event`, or the name starts with `on` and
/// has no dot (`onCrmActivityAdd`; methods are dotted).
fn is_event_row(name: &str, how: Option<&str>) -> bool {
    how == Some("event") || (name.to_ascii_lowercase().starts_with("on") && !name.contains('.'))
}

fn read_list(file: &Path) -> anyhow::Result<Vec<Entry>> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let mut entries: Vec<Entry> = Vec::new();
    let mut aliases: Vec<(String, String)> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim_end();
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let cols: Vec<&str> = line.split('\t').collect();
        let (Some(method), Some(path)) = (cols.first(), cols.get(1)) else {
            bail!("{}:{}: expected `method<TAB>path`", file.display(), i + 1);
        };
        let how = cols.get(2).map(|s| s.trim());
        if how == Some("alias") {
            aliases.push((method.trim().to_string(), path.trim().to_string()));
        } else {
            entries.push(Entry {
                method: method.trim().to_string(),
                path: path.trim().to_string(),
                aliases: Vec::new(),
                event: is_event_row(method.trim(), how),
                rest_v3: how == Some("v3"),
            });
        }
    }
    for (alias, path) in aliases {
        match entries.iter_mut().find(|e| e.path == path) {
            Some(e) => e.aliases.push(alias),
            None => bail!(
                "{}: alias `{alias}` points at `{path}`, which no method has",
                file.display()
            ),
        }
    }
    Ok(entries)
}

fn spec_method_files(root: &Path) -> Vec<PathBuf> {
    spec_files(root, "spec/methods")
}

fn spec_event_files(root: &Path) -> Vec<PathBuf> {
    spec_files(root, "spec/events")
}

/// The `.yaml` files under `root/sub`, sorted.
fn spec_files(root: &Path, sub: &str) -> Vec<PathBuf> {
    files_with_extension(&root.join(sub), "yaml")
}

/// The files under `dir` (at any depth) whose extension is `ext`, sorted; unreadable
/// folders are passed over.
pub(crate) fn files_with_extension(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == ext) {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn read_spec_entries(root: &Path) -> anyhow::Result<Vec<Entry>> {
    let mut out = Vec::new();
    for p in spec_method_files(root) {
        let text = std::fs::read_to_string(&p)?;
        let m: Method =
            yaml_depth::parse(&text).with_context(|| format!("reading {}", p.display()))?;
        out.push(Entry {
            method: m.method,
            path: m.source.path,
            aliases: m.aliases,
            event: false,
            rest_v3: m.rest_v3,
        });
    }
    for p in spec_event_files(root) {
        let text = std::fs::read_to_string(&p)?;
        let e: Event =
            yaml_depth::parse(&text).with_context(|| format!("reading {}", p.display()))?;
        out.push(Entry {
            method: e.event,
            path: e.source.path,
            aliases: Vec::new(),
            event: true,
            rest_v3: false,
        });
    }
    Ok(out)
}

/// The docs commit and its date: the checkout's `COMMIT` file (`hash date`), else git.
fn docs_pin(docs: &Path) -> anyhow::Result<DocsPin> {
    let (commit, date) = if let Ok(s) = std::fs::read_to_string(docs.join("COMMIT")) {
        let mut it = s.split_whitespace();
        (
            it.next().unwrap_or("").to_string(),
            it.next().unwrap_or("").to_string(),
        )
    } else {
        let git = |args: &[&str]| -> anyhow::Result<String> {
            let out = std::process::Command::new("git")
                .arg("-C")
                .arg(docs)
                .args(args)
                .output()?;
            Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
        };
        (
            git(&["rev-parse", "HEAD"])?,
            git(&["show", "-s", "--format=%cI", "HEAD"])?,
        )
    };
    if commit.len() != 40 {
        bail!(
            "cannot tell the docs commit of {} (no COMMIT file, not a git checkout)",
            docs.display()
        );
    }
    Ok(DocsPin {
        repository: "bitrix24/b24restdocs".into(),
        commit,
        date,
        base_url: page::BASE_URL.into(),
    })
}

/// `spec/methods/<first segment>/<method>.yaml` (REST 3.0: `spec/methods/v3/...`),
/// relative to the root.
pub fn method_file(m: &Method) -> PathBuf {
    PathBuf::from("spec").join(m.file())
}

/// `spec/events/<first scope>/<event>.yaml`, relative to the root.
pub fn event_file(e: &Event) -> PathBuf {
    let folder = e.scope.split(',').next().unwrap_or("").trim();
    PathBuf::from("spec/events")
        .join(if folder.is_empty() { "_" } else { folder })
        .join(format!("{}.yaml", e.event))
}

/// The text of an event file.
pub fn event_yaml(e: &Event) -> anyhow::Result<String> {
    Ok(format!("{EVENT_HEADER}{}", serde_yaml::to_string(e)?))
}

/// `spec/types/<Name>.yaml`, relative to the root.
pub fn type_file(t: &TypeDef) -> PathBuf {
    PathBuf::from("spec/types").join(format!("{}.yaml", t.name))
}

/// The text of a shared type file.
pub fn type_yaml(t: &TypeDef) -> anyhow::Result<String> {
    Ok(format!("{TYPE_HEADER}{}", serde_yaml::to_string(t)?))
}

/// The text of a method file.
pub fn method_yaml(m: &Method) -> anyhow::Result<String> {
    Ok(format!("{METHOD_HEADER}{}", serde_yaml::to_string(m)?))
}

/// Reads a method file.
pub fn parse_method_yaml(text: &str) -> anyhow::Result<Method> {
    yaml_depth::parse(text)
}

fn load_patches(root: &Path, method: &str) -> anyhow::Result<Option<PatchFile>> {
    let p = root.join("spec/patches").join(format!("{method}.yaml"));
    match std::fs::read_to_string(&p) {
        Ok(text) => {
            let pf: PatchFile =
                yaml_depth::parse(&text).with_context(|| format!("reading {}", p.display()))?;
            if pf.method != method {
                bail!(
                    "{}: `method: {}` does not match the file name",
                    p.display(),
                    pf.method
                );
            }
            Ok(Some(pf))
        }
        Err(_) => Ok(None),
    }
}

/// Imports in memory: every file of `spec/` the importer owns, and the report.
fn build(
    o: &Options,
    entries: &[Entry],
) -> anyhow::Result<(BTreeMap<PathBuf, String>, report::Report)> {
    let docs = o.docs.clone();
    let read = move |p: &str| -> Option<String> { std::fs::read_to_string(docs.join(p)).ok() };
    let pin = docs_pin(&o.docs)?;
    let mut rep = report::Report::default();
    let mut files = BTreeMap::new();

    let sys_path = "_includes/system-errors.md";
    let sys_text =
        read(sys_path).with_context(|| format!("{} has no {sys_path}", o.docs.display()))?;
    let (system_errors, problems) = system_errors(&sys_text, sys_path);
    for p in problems {
        rep.diagnostics.push(Diagnostic {
            file: sys_path.into(),
            line: None,
            path: "system_errors".into(),
            message: p,
        });
    }
    // Service-wide like the system errors: the `auth` keys of every event delivery.
    let event_auth = match read(event::AUTH_INCLUDE) {
        Some(text) => {
            let (fields, problems) = event::event_auth(&text, event::AUTH_INCLUDE);
            for p in problems {
                rep.diagnostics.push(Diagnostic {
                    file: event::AUTH_INCLUDE.into(),
                    line: None,
                    path: "event_auth".into(),
                    message: p,
                });
            }
            fields
        }
        None => {
            if entries.iter().any(|e| e.event) {
                rep.diagnostics.push(Diagnostic {
                    file: event::AUTH_INCLUDE.into(),
                    line: None,
                    path: "event_auth".into(),
                    message: "missing in the docs: events are imported without `event_auth`".into(),
                });
            }
            Vec::new()
        }
    };
    let api = Api {
        docs: pin.clone(),
        system_errors,
        event_auth,
    };
    files.insert(
        PathBuf::from("spec/api.yaml"),
        format!("{API_HEADER}{}", serde_yaml::to_string(&api)?),
    );

    for e in entries.iter().filter(|e| e.event) {
        let Some(page_text) = read(&e.path) else {
            rep.diagnostics.push(Diagnostic {
                file: e.path.clone().into(),
                line: None,
                path: e.method.clone(),
                message: "page not found in the docs: event skipped".into(),
            });
            continue;
        };
        let mut t = event::transcribe_event(&page_text, &e.path, &e.method, &read, &pin.commit);
        if t.event.scope.is_empty()
            && let Some(scope) = discover::section_scope(&o.docs, &e.path)
        {
            t.notes.push(Diagnostic {
                file: e.path.clone().into(),
                line: None,
                path: e.method.clone(),
                message: format!(
                    "no `Scope:` line: the scope of the section's method pages, `{scope}`"
                ),
            });
            t.event.scope = scope;
        }
        rep.diagnostics.extend(t.diagnostics);
        rep.notes.extend(t.notes);
        rep.examples += t.examples;
        for u in t.unmapped {
            rep.unmapped.entry(u).or_default().insert(e.method.clone());
        }
        for c in t.completeness {
            rep.completeness.push((e.method.clone(), c));
        }
        event_conformance(&mut t.event, &mut rep);
        for e in &t.event.examples {
            rep.round_trip.0 += 1;
            rep.round_trip.1 += usize::from(e.skip_round_trip.is_some());
        }
        rep.events.push(report::EventLine::new(&t.event));
        files.insert(event_file(&t.event), event_yaml(&t.event)?);
    }
    let mut done: Vec<(String, Method, BTreeMap<String, shared::EntityTable>)> = Vec::new();
    for e in entries.iter().filter(|e| !e.event) {
        let id = e.id();
        let Some(page_text) = read(&e.path) else {
            rep.diagnostics.push(Diagnostic {
                file: e.path.clone().into(),
                line: None,
                path: id.clone(),
                message: "page not found in the docs: method skipped".into(),
            });
            continue;
        };
        let t = page::transcribe(&page_text, &e.path, &e.method, &read, &pin.commit);
        let mut imported = t.method;
        imported.aliases = e.aliases.clone();
        let (m, outcomes) = match load_patches(&o.root, &e.id())? {
            Some(pf) => patch_only(&imported, &pf.patches),
            None => (imported.clone(), Vec::new()),
        };
        let (mut m, notes) = finish(m);
        for n in notes {
            rep.notes.push(Diagnostic {
                file: e.path.clone().into(),
                line: None,
                path: id.clone(),
                message: n,
            });
        }
        rep.notes.extend(t.notes);
        m.aliases.sort();
        m.aliases.dedup();
        for oc in outcomes {
            rep.patches.push((id.clone(), oc));
        }
        rep.diagnostics.extend(t.diagnostics);
        rep.examples += t.examples;
        for u in t.unmapped {
            rep.unmapped.entry(u).or_default().insert(id.clone());
        }
        // Completeness is a property of the transcription: measured before patches, which
        // may add fields the tables omit (each with its reason).
        for c in report::completeness(&imported, &t.tables) {
            rep.completeness.push((id.clone(), c));
        }
        conformance(&mut m, &mut rep);
        rep.methods.push(report::MethodLine {
            method: id.clone(),
            counts: report::counts(&m),
        });
        done.push((e.path.clone(), m, t.entities));
    }
    // Error examples need every code the generated `ErrorCode` will know: the system
    // errors, the imported methods' and those of the spec's other methods.
    let mut codes: Vec<ErrorDoc> = api.system_errors.clone();
    for (_, m, _) in &done {
        codes.extend(m.errors.iter().cloned());
    }
    let imported: BTreeSet<PathBuf> = done
        .iter()
        .map(|(_, m, _)| o.root.join(method_file(m)))
        .collect();
    for p in spec_method_files(&o.root) {
        if imported.contains(&p) {
            continue;
        }
        if let Ok(text) = std::fs::read_to_string(&p)
            && let Ok(m) = serde_yaml::from_str::<Method>(&text)
        {
            codes.extend(m.errors);
        }
    }
    // Normalized once: every method's error examples are checked against all of them.
    let known = round_trip::known_codes(&codes);
    let mut sharing = shared::Sharing::new(&discover::data_types_pages(&o.docs), &read);
    for (path, mut m, entities) in done {
        let mut notes = round_trip::settle_errors(&mut m, &known);
        notes.extend(sharing.apply(&mut m, &entities));
        for n in notes {
            rep.notes.push(Diagnostic {
                file: path.clone().into(),
                line: None,
                path: m.method.clone(),
                message: n,
            });
        }
        if let Some(shows) = report::untyped_result(&m) {
            rep.untyped.0 += 1;
            rep.untyped.1 += usize::from(shows);
        }
        let ex = &m.examples;
        for e in ex.request.iter().chain(&ex.response).chain(&ex.error) {
            rep.round_trip.0 += 1;
            rep.round_trip.1 += usize::from(e.skip_round_trip.is_some());
        }
        files.insert(method_file(&m), method_yaml(&m)?);
    }
    for t in sharing.used.values() {
        files.insert(type_file(t), type_yaml(t)?);
    }
    // Patch files without a method.
    if let Ok(rd) = std::fs::read_dir(o.root.join("spec/patches")) {
        let known: BTreeSet<String> = entries.iter().filter(|e| !e.event).map(Entry::id).collect();
        let mut orphans: Vec<String> = rd
            .flatten()
            .filter_map(|d| {
                d.file_name()
                    .to_str()
                    .and_then(|n| n.strip_suffix(".yaml"))
                    .map(str::to_string)
            })
            .filter(|n| !known.contains(n) && !n.starts_with('_'))
            .collect();
        orphans.sort();
        if o.methods.is_empty() {
            for n in orphans {
                rep.patches.push((
                    n.clone(),
                    patch::Outcome {
                        path: format!("spec/patches/{n}.yaml"),
                        reason: String::new(),
                        status: patch::Status::Stale("no such method is imported".into()),
                    },
                ));
            }
        }
    }
    Ok((files, rep))
}

/// Examples that contradict the docs' tables (the lenient decode check of [`conform`]
/// fails) cannot round-trip: each keeps `skip_round_trip` naming the contradiction, and
/// the report lists them, so the count of examples that do not round-trip stays in view.
fn conformance(m: &mut Method, rep: &mut report::Report) {
    let snapshot = m.clone();
    let numbered = |kind: &'static str| move |(i, e)| (i, e, kind);
    let examples = m
        .examples
        .response
        .iter_mut()
        .enumerate()
        .map(numbered("response"));
    let examples = examples.chain(
        m.examples
            .request
            .iter_mut()
            .enumerate()
            .map(numbered("request")),
    );
    for (i, ex, kind) in examples {
        let Some(v) = unchecked(ex) else {
            continue;
        };
        let problems = if kind == "response" {
            match v.get("result") {
                Some(r) => conform::check_result(&snapshot, &snapshot.types, r),
                None => continue,
            }
        } else {
            conform::check_request(&snapshot, &snapshot.types, &v)
        };
        mark(
            ex,
            &format!("{kind} example {i}"),
            &problems,
            &m.method,
            rep,
        );
    }
}

/// Delivery examples that lack the `auth` keys every delivery carries, or whose `data`
/// contradicts the event's documented keys, cannot round-trip: as [`conformance`].
fn event_conformance(e: &mut Event, rep: &mut report::Report) {
    let mut examples = std::mem::take(&mut e.examples);
    for ex in examples.iter_mut() {
        let Some(v) = unchecked(ex) else {
            continue;
        };
        let missing: Vec<&str> = crate::spec::validate::DELIVERY_AUTH
            .iter()
            .copied()
            .filter(|k| {
                v.get("auth")
                    .and_then(|a| a.get(*k))
                    .and_then(|x| x.as_str())
                    .is_none_or(str::is_empty)
            })
            .collect();
        if let Some(data) = v.get("data") {
            let problems = conform::check_event_data(e, data);
            mark(ex, "delivery example", &problems, &e.event, rep);
        }
        if !missing.is_empty() {
            let auth = format!(
                "{} `{}`, which every real delivery carries (the client refuses one without them)",
                crate::spec::validate::AUTH_LACKING,
                missing.join("`, `")
            );
            ex.skip_round_trip = Some(match ex.skip_round_trip.take() {
                Some(data) => format!("{data}; {auth}"),
                None => auth,
            });
        }
    }
    e.examples = examples;
}

/// The example's JSON, unless it already says why it does not round-trip.
fn unchecked(ex: &crate::spec::model::Example) -> Option<serde_json::Value> {
    if ex.skip_round_trip.is_some() {
        return None;
    }
    serde_json::from_str(&ex.json).ok()
}

/// Reports `problems` and, when there are any, keeps the example with a
/// `skip_round_trip` naming the first three.
fn mark(
    ex: &mut crate::spec::model::Example,
    what: &str,
    problems: &[String],
    name: &str,
    rep: &mut report::Report,
) {
    for p in problems {
        rep.conformance
            .push((name.to_string(), format!("{what}: {p}")));
    }
    if problems.is_empty() {
        return;
    }
    let shown: Vec<&str> = problems.iter().take(3).map(String::as_str).collect();
    let more = problems.len().saturating_sub(3);
    ex.skip_round_trip = Some(format!(
        "the example contradicts the docs' tables: {}{}",
        shown.join("; "),
        if more > 0 {
            format!(" (and {more} more)")
        } else {
            String::new()
        }
    ));
}

/// Every page discovery finds, with the aliases `spec/` records; prints what was
/// skipped and why.
fn discovered_entries(o: &Options) -> anyhow::Result<Vec<Entry>> {
    let d = discover::discover(&o.docs)
        .with_context(|| format!("reading the docs tree {}", o.docs.display()))?;
    let known = read_spec_entries(&o.root).unwrap_or_default();
    let names = discover::load_names(&o.root.join(discover::NAMES_FILE))?;
    let mut entries = Vec::new();
    for f in &d.pages {
        let mut f = f.clone();
        if let Some(n) = names.iter().find(|n| n.path == f.path) {
            f.name = n.method.clone();
        }
        let aliases = known
            .iter()
            .find(|e| e.method == f.name && !e.event && e.rest_v3 == f.rest_v3)
            .map(|e| e.aliases.clone())
            .unwrap_or_default();
        entries.push(Entry {
            method: f.name.clone(),
            path: f.path.clone(),
            aliases,
            event: f.event,
            rest_v3: f.rest_v3,
        });
    }
    let methods = entries.iter().filter(|e| !e.event).count();
    let v3 = entries.iter().filter(|e| e.rest_v3).count();
    println!(
        "discovered {} method pages ({v3} of them REST 3.0), {} event pages; {} pages skipped:",
        methods,
        entries.len() - methods,
        d.skipped.len()
    );
    for (reason, n) in d.skipped_by_reason() {
        println!("  {n:5}  {reason}");
    }
    // Overview and non-method pages are many and plain; the rest are listed.
    for (path, reason) in &d.skipped {
        if !reason.starts_with("overview") && !reason.starts_with("not a method page") {
            println!("  skipped {path}: {reason}");
        }
    }
    Ok(entries)
}

/// Runs the importer.
pub fn run(o: &Options) -> anyhow::Result<()> {
    let from_list = (o.list.is_some() || o.all) && o.methods.is_empty();
    let entries: Vec<Entry> = if o.all && o.methods.is_empty() {
        discovered_entries(o)?
    } else if !o.methods.is_empty() {
        let known = match &o.list {
            Some(l) => read_list(l)?,
            None => read_spec_entries(&o.root)?,
        };
        o.methods
            .iter()
            .map(|name| {
                known
                    .iter()
                    .find(|e| &e.id() == name)
                    .cloned()
                    .with_context(|| {
                        format!("unknown method `{name}`: give its docs path with --list")
                    })
            })
            .collect::<anyhow::Result<_>>()?
    } else if let Some(l) = &o.list {
        read_list(l)?
    } else {
        read_spec_entries(&o.root)?
    };
    if entries.is_empty() {
        bail!("no methods to import (spec/methods and spec/events are empty: give --list)");
    }
    let (mut files, rep) = build(o, &entries)?;

    // Method files no longer produced (only a full list says so), but for those of
    // methods the last release lists (kept one release, deprecated).
    let mut stale_files = Vec::new();
    if from_list {
        let kept = dropped::keep(&o.root, &docs_pin(&o.docs)?.commit, &mut files)?;
        if !kept.is_empty() {
            println!(
                "kept {} method files the docs dropped (the last release lists them; deprecated for one release): {}",
                kept.len(),
                kept.join(", ")
            );
        }
        for p in spec_method_files(&o.root)
            .into_iter()
            .chain(spec_event_files(&o.root))
            .chain(spec_files(&o.root, "spec/types"))
        {
            let rel = p.strip_prefix(&o.root).unwrap_or(&p).to_path_buf();
            if !files.contains_key(&rel) {
                stale_files.push(rel);
            }
        }
    }

    print!("{rep}");
    let docs_arg = o.docs.display();
    if o.check {
        let mut differ = 0;
        for (rel, new) in &files {
            let old = std::fs::read_to_string(o.root.join(rel)).unwrap_or_default();
            if &old != new {
                differ += 1;
                let diff = similar::TextDiff::from_lines(old.as_str(), new.as_str());
                let name = rel.display().to_string();
                print!(
                    "{}",
                    diff.unified_diff().context_radius(3).header(&name, &name)
                );
            }
        }
        for rel in &stale_files {
            differ += 1;
            println!("would delete {} (no longer imported)", rel.display());
        }
        let stale = rep.stale();
        if differ > 0 || stale > 0 {
            bail!(
                "spec/ is out of date ({differ} files differ, {stale} stale patches): run `cargo xtask import --docs {docs_arg}` and commit"
            );
        }
        validate(&o.root)?;
        println!("spec/ is up to date with the docs at {}", docs_arg);
        return Ok(());
    }
    let mut written = 0;
    for (rel, new) in &files {
        let path = o.root.join(rel);
        if std::fs::read_to_string(&path).ok().as_deref() == Some(new.as_str()) {
            continue;
        }
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&path, new)?;
        written += 1;
    }
    for rel in &stale_files {
        std::fs::remove_file(o.root.join(rel))?;
        println!("deleted {}", rel.display());
    }
    println!(
        "wrote {written} files ({} unchanged)",
        files.len() - written
    );
    if rep.stale() > 0 {
        eprintln!("warning: {} stale patches: review them", rep.stale());
    }
    validate(&o.root)
}

/// Loads the written spec with the strict loader: the importer's output must validate.
fn validate(root: &Path) -> anyhow::Result<()> {
    match crate::spec::load(&root.join("spec")) {
        Ok(spec) => {
            println!(
                "spec/ validates: {} methods, {} events",
                spec.methods.len(),
                spec.events.len()
            );
            Ok(())
        }
        Err(d) => bail!("the imported spec does not validate:\n{d}"),
    }
}
