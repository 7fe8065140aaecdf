//! Semantic rules over deserialised spec files.
//!
//! Deserialisation (serde, `deny_unknown_fields`) already rejects unknown keys, missing
//! keys and wrong value types. The rules here check what serde cannot: file layout,
//! names (syntax, duplicates, collisions after conversion to Rust names), the type
//! grammar and type references, enum and object definitions, wire formats, list facts,
//! documented errors, provenance, and that every JSON example is valid JSON that fits
//! the declared types. Every fault is collected as a located [`Diagnostic`]; nothing
//! here panics or stops at the first fault.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use heck::ToUpperCamelCase;
use serde_json::Value;

use super::Spec;
use super::locate::{self, PathSeg};
use super::model::{
    Api, EnumRepr, ErrorDoc, Event, Example, Field, Method, Source, TypeDef, WireFormat,
};
use super::types::{Scalar, TypeError, TypeExpr};
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::naming;

/// One deserialised file: where it is, its text (for line numbers) and its content.
#[derive(Debug, Clone, Copy)]
pub struct Unit<'a, T> {
    /// Path relative to the spec directory (`methods/crm/crm.calllist.add.yaml`).
    pub file: &'a Path,
    /// The YAML text, when available; lines of semantic faults are found in it.
    pub source: Option<&'a str>,
    /// The deserialised content.
    pub value: &'a T,
}

/// Everything that deserialised; files that did not are simply absent.
#[derive(Debug, Clone, Default)]
pub struct Input<'a> {
    /// `api.yaml`.
    pub api: Option<Unit<'a, Api>>,
    /// Every method file, in any order.
    pub methods: Vec<Unit<'a, Method>>,
    /// Every shared type file (`types/<Name>.yaml`).
    pub types: Vec<Unit<'a, TypeDef>>,
    /// Every event file (`events/<scope>/<event>.yaml`).
    pub events: Vec<Unit<'a, Event>>,
}

/// Runs every rule over `input`; the faults in no particular order.
pub fn validate(input: &Input<'_>) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let shared = shared_table(input);
    if let Some(api) = &input.api {
        check_api(
            &mut Report::new(api.file, api.source, "", &mut out),
            api.value,
            &shared,
        );
    }
    check_shared_types(input, &shared, &mut out);
    let duplicates = check_method_names(input, &mut out);
    // Every method by its id (`v3.` before a REST 3.0 name).
    let ids: Vec<String> = input
        .methods
        .iter()
        .map(|u| u.value.id().into_owned())
        .collect();
    let all: BTreeSet<&str> = ids.iter().map(String::as_str).collect();
    let cx = Context {
        shared: &shared,
        all: &all,
        duplicates: &duplicates,
    };
    for unit in &input.methods {
        let mut r = Report::new(unit.file, unit.source, &unit.value.method, &mut out);
        check_method(&mut r, unit.file, unit.value, &cx);
    }
    let event_duplicates = check_event_names(input, &mut out);
    let cx = Context {
        duplicates: &event_duplicates,
        ..cx
    };
    for unit in &input.events {
        let mut r = Report::new(unit.file, unit.source, &unit.value.event, &mut out);
        check_event(&mut r, unit.file, unit.value, &cx);
    }
    out
}

/// Validates an in-memory spec (e.g. fresh from the importer). Line numbers refer to
/// the canonical serialisation (`serde_yaml::to_string`) of each file, which is what
/// the importer writes below its one-line schema comment.
pub fn validate_spec(spec: &Spec) -> Diagnostics {
    let api_text = to_yaml(&spec.api);
    let method_texts: Vec<Option<String>> =
        spec.methods.iter().map(|m| to_yaml(&m.method)).collect();
    let type_paths: Vec<PathBuf> = spec
        .types
        .iter()
        .map(|t| PathBuf::from(format!("types/{}.yaml", t.name)))
        .collect();
    let type_texts: Vec<Option<String>> = spec.types.iter().map(to_yaml).collect();
    let event_texts: Vec<Option<String>> = spec.events.iter().map(|e| to_yaml(&e.event)).collect();
    let input = Input {
        api: Some(Unit {
            file: Path::new("api.yaml"),
            source: api_text.as_deref(),
            value: &spec.api,
        }),
        methods: spec
            .methods
            .iter()
            .zip(&method_texts)
            .map(|(m, t)| Unit {
                file: &m.path,
                source: t.as_deref(),
                value: &m.method,
            })
            .collect(),
        types: spec
            .types
            .iter()
            .zip(type_paths.iter().zip(&type_texts))
            .map(|(t, (p, s))| Unit {
                file: p,
                source: s.as_deref(),
                value: t,
            })
            .collect(),
        events: spec
            .events
            .iter()
            .zip(&event_texts)
            .map(|(e, t)| Unit {
                file: &e.path,
                source: t.as_deref(),
                value: &e.event,
            })
            .collect(),
    };
    let mut d = Diagnostics(validate(&input));
    d.0.sort();
    d.0.dedup();
    d
}

/// The canonical YAML of a model struct.
fn to_yaml<T: serde::Serialize>(value: &T) -> Option<String> {
    serde_yaml::to_string(value).ok()
}

// ---------------------------------------------------------------------------------------
// Reporting

/// Collects the faults of one file.
struct Report<'a, 'o> {
    file: &'a Path,
    source: Option<&'a str>,
    root: &'a str,
    out: &'o mut Vec<Diagnostic>,
}

impl<'a, 'o> Report<'a, 'o> {
    fn new(
        file: &'a Path,
        source: Option<&'a str>,
        root: &'a str,
        out: &'o mut Vec<Diagnostic>,
    ) -> Self {
        Report {
            file,
            source,
            root,
            out,
        }
    }

    /// The line of `path`, or of its longest prefix that can be found.
    fn line(&self, path: &[PathSeg]) -> Option<usize> {
        self.source.and_then(|s| locate::nearest_line(s, path))
    }

    /// Records a fault at `path`.
    fn error(&mut self, path: &[PathSeg], message: impl Into<String>) {
        let line = self.line(path);
        self.error_at(path, line, message);
    }

    /// Records a fault at `path` with a line found otherwise.
    fn error_at(&mut self, path: &[PathSeg], line: Option<usize>, message: impl Into<String>) {
        self.out.push(Diagnostic {
            file: self.file.to_path_buf(),
            line,
            path: locate::display_path(self.root, path),
            message: message.into(),
        });
    }

    /// `params › ID (line 12)`: a second place named inside a message.
    fn place(&self, path: &[PathSeg]) -> String {
        let shown = locate::display_path("", path);
        match self.line(path) {
            Some(l) => format!("{shown}, line {l}"),
            None => shown,
        }
    }
}

/// `prefix` followed by `seg`.
fn join(prefix: &[PathSeg], seg: PathSeg) -> Vec<PathSeg> {
    let mut v = prefix.to_vec();
    v.push(seg);
    v
}

/// `prefix › key`.
fn key(prefix: &[PathSeg], k: &str) -> Vec<PathSeg> {
    join(prefix, PathSeg::key(k))
}

/// Backticked, comma-separated list of names.
fn ticked<'n>(names: impl IntoIterator<Item = &'n str>) -> String {
    names
        .into_iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The candidate closest to `name` (case-insensitive edit distance), when close enough
/// to be a likely typo.
fn closest<'n>(name: &str, candidates: impl IntoIterator<Item = &'n str>) -> Option<&'n str> {
    let lower = name.to_lowercase();
    candidates
        .into_iter()
        .map(|c| (edit_distance(&lower, &c.to_lowercase()), c))
        .filter(|(d, c)| *d <= (c.chars().count().max(name.chars().count()) / 3).max(2))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Levenshtein distance over chars.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let subst = prev[j] + usize::from(ca != *cb);
            cur[j + 1] = subst.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev.last().copied().unwrap_or(0)
}

/// ` Did you mean `X`?` or nothing.
fn suggestion<'n>(name: &str, candidates: impl IntoIterator<Item = &'n str>) -> String {
    closest(name, candidates)
        .map(|c| format!(" Did you mean `{c}`?"))
        .unwrap_or_default()
}

// ---------------------------------------------------------------------------------------
// Types known to a method

/// A named type with its field types parsed once.
struct TypeInfo<'a> {
    def: &'a TypeDef,
    /// Parallel to `def.fields` (empty for enums).
    fields: Vec<Result<TypeExpr, TypeError>>,
}

impl<'a> TypeInfo<'a> {
    fn new(def: &'a TypeDef) -> Self {
        let fields = def
            .fields
            .iter()
            .flatten()
            .map(|f| TypeExpr::parse(&f.ty))
            .collect();
        TypeInfo { def, fields }
    }

    fn is_enum(&self) -> bool {
        self.def.fields.is_none() && self.def.values.is_some()
    }

    /// Neither clearly an object nor clearly an enum (reported where defined).
    fn is_malformed(&self) -> bool {
        self.def.fields.is_some() == self.def.values.is_some()
    }

    /// Each field with its parsed type, when it parses.
    fn typed_fields(&self) -> impl Iterator<Item = (&'a Field, Option<&TypeExpr>)> {
        self.def
            .fields
            .iter()
            .flatten()
            .zip(&self.fields)
            .map(|(f, t)| (f, t.as_ref().ok()))
    }
}

/// Named types by name (the first definition wins; duplicates are reported).
type Table<'a> = BTreeMap<&'a str, TypeInfo<'a>>;

fn table<'a>(defs: impl IntoIterator<Item = &'a TypeDef>) -> Table<'a> {
    let mut t = Table::new();
    for def in defs {
        t.entry(def.name.as_str())
            .or_insert_with(|| TypeInfo::new(def));
    }
    t
}

fn shared_table<'a>(input: &Input<'a>) -> Table<'a> {
    table(input.types.iter().map(|u| u.value))
}

/// The types visible from one place: the method's own, then the shared ones.
#[derive(Clone, Copy)]
struct Scope<'s, 'a> {
    local: Option<&'s Table<'a>>,
    shared: &'s Table<'a>,
    /// Whose the local types are, in messages (`this method`, `this event`).
    owner: &'static str,
}

impl<'s, 'a> Scope<'s, 'a> {
    fn get(&self, name: &str) -> Option<&'s TypeInfo<'a>> {
        self.local
            .and_then(|l| l.get(name))
            .or_else(|| self.shared.get(name))
    }

    fn names(&self) -> impl Iterator<Item = &'a str> + '_ {
        self.local
            .into_iter()
            .flat_map(|t| t.keys())
            .chain(self.shared.keys())
            .copied()
    }

    /// The message for a reference to a type that does not exist.
    fn unknown(&self, name: &str) -> String {
        let local: Vec<&str> = self
            .local
            .into_iter()
            .flat_map(|t| t.keys())
            .copied()
            .collect();
        let shared: Vec<&str> = self.shared.keys().copied().collect();
        let mut known = Vec::new();
        if !local.is_empty() {
            known.push(format!(
                "{} ({})",
                ticked(local.iter().copied()),
                self.owner
            ));
        }
        if !shared.is_empty() {
            known.push(format!("{} (spec/types)", ticked(shared.iter().copied())));
        }
        let known = if known.is_empty() {
            "no named types are defined here; define it under `types:` or use a scalar".into()
        } else {
            format!("known types: {}", known.join("; "))
        };
        let scalars = Scalar::ALL.map(|(n, _)| n);
        if let Some(scalar) = scalars.iter().find(|s| s.eq_ignore_ascii_case(name)) {
            return format!(
                "unknown type `{name}`: scalar types are lowercase; did you mean `{scalar}`?"
            );
        }
        format!(
            "unknown type `{name}`: {known}.{}",
            suggestion(name, self.names().chain(scalars))
        )
    }
}

// ---------------------------------------------------------------------------------------
// api.yaml and provenance

fn check_api(r: &mut Report<'_, '_>, api: &Api, shared: &Table<'_>) {
    check_commit(
        r,
        &[PathSeg::key("docs"), PathSeg::key("commit")],
        &api.docs.commit,
    );
    check_errors(r, &[PathSeg::key("system_errors")], &api.system_errors);
    let scope = Scope {
        local: None,
        shared,
        owner: "this method",
    };
    check_fields(
        r,
        &[PathSeg::key("event_auth")],
        "`auth` key",
        &api.event_auth,
        scope,
    );
}

fn is_commit(s: &str) -> bool {
    s.len() == 40 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

fn check_commit(r: &mut Report<'_, '_>, path: &[PathSeg], commit: &str) {
    if !is_commit(commit) {
        r.error(
            path,
            format!(
                "commit `{commit}` is not a full git commit hash: expected 40 hexadecimal \
                 characters (as printed by `git rev-parse HEAD`)"
            ),
        );
    }
}

fn check_source(r: &mut Report<'_, '_>, source: &Source) {
    let path = [PathSeg::key("source"), PathSeg::key("path")];
    if source.path.trim().is_empty() {
        r.error(
            &path,
            "source path is empty: expected the docs page it was transcribed from, e.g. \
             `api-reference/crm/call-list/crm-calllist-add.md`",
        );
    } else if !source.path.ends_with(".md") {
        r.error(
            &path,
            format!(
                "source path `{}` is not a Markdown page: expected a path ending in `.md` inside \
                 the docs repository",
                source.path
            ),
        );
    }
    check_commit(
        r,
        &[PathSeg::key("source"), PathSeg::key("commit")],
        &source.commit,
    );
}

// ---------------------------------------------------------------------------------------
// Method names, files, duplicates and aliases

/// Why `name` is not a valid method name, if it is not.
fn method_name_fault(name: &str) -> Option<String> {
    if name.is_empty() {
        return Some("the method name is empty".into());
    }
    name.split('.').find_map(|seg| {
        if seg.is_empty() {
            Some(format!(
                "invalid method name `{name}`: it has an empty segment (`..`, or a leading or \
                 trailing `.`)"
            ))
        } else if !seg.starts_with(|c: char| c.is_ascii_alphabetic())
            || !seg.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            Some(format!(
                "invalid method name `{name}`: segment `{seg}` must be ASCII letters, digits and \
                 `_`, starting with a letter (names look like `crm.calllist.add`, \
                 `sonet_group.get`)"
            ))
        } else {
            None
        }
    })
}

/// `file` with `/` separators, for comparisons and messages.
fn slash(file: &Path) -> String {
    file.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// Duplicate methods and clashing aliases; returns the files reported as duplicates
/// (whose location is then not checked separately).
fn check_method_names<'a>(input: &Input<'a>, out: &mut Vec<Diagnostic>) -> BTreeSet<&'a Path> {
    // name → file of its first definition; a file at the right place comes first.
    let mut methods: BTreeMap<String, &Path> = BTreeMap::new();
    let mut duplicates = BTreeSet::new();
    let mut sorted: Vec<&Unit<'a, Method>> = input.methods.iter().collect();
    sorted.sort_by_key(|u| (slash(u.file) != u.value.file(), u.file));
    for unit in &sorted {
        let m = unit.value;
        let mut r = Report::new(unit.file, unit.source, &m.method, out);
        let at = [PathSeg::key("method")];
        if let Some(first) = methods.get(m.id().as_ref()) {
            r.error(
                &at,
                format!(
                    "method `{}` is defined twice: also in `{}`; keep exactly one file per method",
                    m.id(),
                    slash(first)
                ),
            );
            duplicates.insert(unit.file);
        } else {
            methods.insert(m.id().into_owned(), unit.file);
        }
    }
    check_module_clashes(&sorted, out);
    let mut aliases: BTreeMap<&str, (&str, &Path)> = BTreeMap::new();
    for unit in &sorted {
        let m = unit.value;
        let mut r = Report::new(unit.file, unit.source, &m.method, out);
        for (i, alias) in m.aliases.iter().enumerate() {
            let at = [PathSeg::key("aliases"), PathSeg::item(i, alias.as_str())];
            if let Some(fault) = method_name_fault(alias) {
                r.error(&at, fault.replace("method name", "alias"));
            }
            if alias == &m.method {
                r.error(
                    &at,
                    format!("alias `{alias}` repeats the method's own name; remove it"),
                );
            } else if let Some(file) = methods.get(alias.as_str()) {
                // (a REST 3.0 method's id starts with `v3.`, which no alias does)
                r.error(
                    &at,
                    format!(
                        "alias `{alias}` is the name of the method defined in `{}`; an alias must \
                         be a name no method or other alias uses",
                        slash(file)
                    ),
                );
            } else if let Some((owner, file)) = aliases.get(alias.as_str()) {
                r.error(
                    &at,
                    format!(
                        "alias `{alias}` is also an alias of `{owner}` (`{}`); one name can call \
                         only one method",
                        slash(file)
                    ),
                );
            } else {
                aliases.insert(alias, (&m.method, unit.file));
            }
        }
    }
    duplicates
}

/// Two spellings of a method-name prefix that become one Rust module (`CATALOG.price` and
/// `catalog.price`, `sonetGroup` and `sonet_group`): one module cannot hold both. Bitrix24
/// matches method names ignoring case, so such names are usually one namespace spelled
/// two ways in the docs.
fn check_module_clashes(sorted: &[&Unit<'_, Method>], out: &mut Vec<Diagnostic>) {
    // module path → (dotted prefix, its first method)
    let mut seen: BTreeMap<Vec<String>, (String, &str)> = BTreeMap::new();
    // Each pair of spellings is reported once (on the first method of the later one).
    let mut reported: BTreeSet<(String, String)> = BTreeSet::new();
    for unit in sorted {
        let m = unit.value;
        if method_name_fault(&m.method).is_some() {
            continue;
        }
        let id = m.id();
        let segs: Vec<&str> = id.split('.').collect();
        let mods = naming::method_modules(&id);
        for depth in 1..=segs.len() {
            let prefix = segs[..depth].join(".");
            let key = mods[..depth].to_vec();
            match seen.get(&key) {
                Some((other, first)) if *other != prefix => {
                    if !reported.insert((prefix.clone(), other.clone())) {
                        break;
                    }
                    Report::new(unit.file, unit.source, &m.method, out).error(
                        &[PathSeg::key("method")],
                        format!(
                            "`{prefix}` (of `{}`) and `{other}` (of `{first}`) both become the \
                             module `{}`; Bitrix24 matches method names ignoring case, so spell \
                             the namespace one way",
                            m.method,
                            key.join("::")
                        ),
                    );
                    break;
                }
                Some(_) => {}
                None => {
                    seen.insert(key, (prefix, &m.method));
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// One method

/// What the method and event rules need to know about the other files.
#[derive(Clone, Copy)]
struct Context<'s, 'a> {
    /// Shared types.
    shared: &'s Table<'a>,
    /// Every method name.
    all: &'s BTreeSet<&'a str>,
    /// Files already reported as duplicates of another file of their kind.
    duplicates: &'s BTreeSet<&'a Path>,
}

fn check_method(r: &mut Report<'_, '_>, file: &Path, m: &Method, cx: &Context<'_, '_>) {
    let (shared, all) = (cx.shared, cx.all);
    let at = [PathSeg::key("method")];
    match method_name_fault(&m.method) {
        Some(fault) => r.error(&at, fault),
        None if cx.duplicates.contains(file) => {}
        None => {
            let expected = m.file();
            let actual = slash(file);
            if actual != expected {
                r.error(
                    &at,
                    format!(
                        "method `{}` is in `{actual}`, but each method lives in \
                         `methods/<first segment>/<method>.yaml` (a REST 3.0 method in \
                         `methods/v3/`): move it to `{expected}`",
                        m.method
                    ),
                );
            }
        }
    }
    check_source(r, &m.source);
    let local = table(&m.types);
    let scope = Scope {
        local: Some(&local),
        shared,
        owner: "this method",
    };
    let params = check_fields(r, &[PathSeg::key("params")], "parameter", &m.params, scope);
    let result = check_type_expr(
        r,
        &[PathSeg::key("result"), PathSeg::key("type")],
        &m.result.ty,
        scope,
    );
    check_type_defs(r, m, scope, all);
    check_unused_types(
        r,
        &m.types,
        params.iter().flatten().chain(result.as_ref()),
        &local,
        "no parameter, the result, or a type they use refers to it",
    );
    if let Some(list) = &m.list {
        check_list(r, list, result.as_ref(), scope);
    }
    check_errors(r, &[PathSeg::key("errors")], &m.errors);
    check_examples(r, m, &params, result.as_ref(), scope);
}

// ---------------------------------------------------------------------------------------
// Type expressions and fields

/// Parses `ty` and checks its named references; the parsed type when it parses.
fn check_type_expr(
    r: &mut Report<'_, '_>,
    path: &[PathSeg],
    ty: &str,
    scope: Scope<'_, '_>,
) -> Option<TypeExpr> {
    match TypeExpr::parse(ty) {
        Ok(t) => {
            check_refs(r, path, &t, scope);
            Some(t)
        }
        Err(e) => {
            r.error(path, format!("invalid type `{ty}`: {e}"));
            None
        }
    }
}

fn check_refs(r: &mut Report<'_, '_>, path: &[PathSeg], ty: &TypeExpr, scope: Scope<'_, '_>) {
    let mut unknown = Vec::new();
    ty.for_each_named(&mut |n| {
        if scope.get(n).is_none() {
            unknown.push(n.to_owned());
        }
    });
    for n in unknown {
        r.error(path, scope.unknown(&n));
    }
}

/// Whether `name` is an ASCII Rust identifier.
fn is_ascii_ident(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Checks a list of parameters or object fields; their parsed types, in order.
fn check_fields(
    r: &mut Report<'_, '_>,
    prefix: &[PathSeg],
    what: &str,
    fields: &[Field],
    scope: Scope<'_, '_>,
) -> Vec<Option<TypeExpr>> {
    // wire name → index; Rust name → index
    let mut wire: HashMap<&str, usize> = HashMap::new();
    let mut rust: HashMap<String, usize> = HashMap::new();
    let mut parsed = Vec::with_capacity(fields.len());
    // Plain names that collide are told apart by rule (`naming::field_names`); only
    // explicit `rust_name`s can still collide.
    let names = naming::field_names(fields);
    for (i, f) in fields.iter().enumerate() {
        let at = join(prefix, PathSeg::item(i, f.name.as_str()));
        let ty = check_type_expr(r, &key(&at, "type"), &f.ty, scope);
        check_field_name(r, &at, what, f);
        if let Some(&first) = wire.get(f.name.as_str()) {
            let other = r.place(&join(prefix, PathSeg::item(first, f.name.as_str())));
            r.error(
                &at,
                format!(
                    "duplicate {what} `{}`: already declared at {other}; remove one of them",
                    f.name
                ),
            );
        } else {
            wire.insert(&f.name, i);
            let rust_name = names.get(i).cloned().unwrap_or_default();
            if let Some(&first) = rust.get(&rust_name) {
                let other_name = fields.get(first).map_or("", |o| o.name.as_str());
                let other = r.place(&join(prefix, PathSeg::item(first, other_name)));
                r.error(
                    &at,
                    format!(
                        "{what}s `{other_name}` ({other}) and `{}` ({}) both become the Rust \
                         name `{rust_name}`, and one struct cannot have two fields of that name; \
                         change one of their `rust_name`s",
                        f.name,
                        r.place(&at)
                    ),
                );
            } else {
                rust.insert(rust_name, i);
            }
        }
        if let (Some(w), Some(t)) = (f.wire, &ty) {
            check_wire(r, &key(&at, "wire"), w, t, scope);
        }
        parsed.push(ty);
    }
    parsed
}

fn check_field_name(r: &mut Report<'_, '_>, at: &[PathSeg], what: &str, f: &Field) {
    if let Some(rn) = f.rust_name.as_ref().filter(|rn| naming::field(rn) != **rn) {
        r.error(
            &key(at, "rust_name"),
            format!(
                "rust_name `{rn}` is not a usable snake_case field name: it would be `{}`",
                naming::field(rn)
            ),
        );
    }
    if f.name.is_empty() {
        r.error(
            at,
            format!("{what} name is empty: expected the name exactly as on the wire"),
        );
    } else if !f.name.chars().any(|c| c.is_ascii_alphanumeric()) {
        r.error(
            at,
            format!(
                "{what} name `{}` has no ASCII letters or digits, so it has no Rust name",
                f.name
            ),
        );
    } else if f.rust_name.is_none() && !is_ascii_ident(&naming::field_of(f)) {
        r.error(
            at,
            format!(
                "{what} `{}` becomes `{}`, which is not an ASCII identifier; wire names must be \
                 ASCII",
                f.name,
                naming::field_of(f)
            ),
        );
    }
}

/// The scalar a type is built on (through arrays, maps, nullability; `None` for named).
fn base_scalar(ty: &TypeExpr) -> Option<Scalar> {
    match ty.innermost() {
        TypeExpr::Scalar(s) => Some(*s),
        _ => None,
    }
}

fn check_wire(
    r: &mut Report<'_, '_>,
    at: &[PathSeg],
    wire: WireFormat,
    ty: &TypeExpr,
    scope: Scope<'_, '_>,
) {
    let base = base_scalar(ty);
    let (ok, fits, name) = match wire {
        WireFormat::Yn => (base == Some(Scalar::Boolean), "boolean", "yn"),
        WireFormat::Int01 => (base == Some(Scalar::Boolean), "boolean", "int01"),
        WireFormat::String => (
            matches!(
                base,
                Some(Scalar::Integer | Scalar::Double | Scalar::Timestamp)
            ),
            "integer, double or timestamp",
            "string",
        ),
    };
    // References to unknown types are reported elsewhere.
    let unresolved = matches!(ty.innermost(), TypeExpr::Named(n) if scope.get(n).is_none());
    if !ok && !unresolved {
        r.error(
            at,
            format!(
                "`wire: {name}` applies only to {fits} types, but the type is `{ty}`; remove \
                 `wire` or correct the type"
            ),
        );
    }
}

// ---------------------------------------------------------------------------------------
// Named types

fn check_type_defs(r: &mut Report<'_, '_>, m: &Method, scope: Scope<'_, '_>, all: &BTreeSet<&str>) {
    let mut seen: HashMap<&str, usize> = HashMap::new();
    let children: Vec<&str> = all
        .iter()
        .copied()
        .filter(|n| {
            n.strip_prefix(m.id().as_ref())
                .and_then(|rest| rest.strip_prefix('.'))
                .is_some_and(|seg| !seg.is_empty() && !seg.contains('.'))
        })
        .collect();
    for (i, def) in m.types.iter().enumerate() {
        let at = [PathSeg::key("types"), PathSeg::item(i, def.name.as_str())];
        check_type_def(r, &at, def, scope);
        if let Some(&first) = seen.get(def.name.as_str()) {
            let other = r.place(&[
                PathSeg::key("types"),
                PathSeg::item(first, def.name.as_str()),
            ]);
            r.error(
                &key(&at, "name"),
                format!(
                    "type `{}` is defined twice in this method (first at {other}); rename or \
                     remove one",
                    def.name
                ),
            );
        } else {
            seen.insert(&def.name, i);
        }
        check_request_clash(r, &key(&at, "name"), &def.name, &m.method, &children);
    }
}

/// A type must not share its name with a request struct in the same Rust module.
fn check_request_clash(
    r: &mut Report<'_, '_>,
    at: &[PathSeg],
    name: &str,
    method: &str,
    children: &[&str],
) {
    if naming::request(method) == name {
        r.error(
            at,
            format!(
                "type `{name}` has the name of this method's request struct \
                 (`{}`); rename the type (e.g. `{name}Fields`)",
                naming::request_path(method)
            ),
        );
    }
    for child in children {
        if naming::request(child) == name {
            r.error(
                at,
                format!(
                    "type `{name}` has the name of the request struct of `{child}` \
                     (`{}`), which shares this method's module; rename the type",
                    naming::request_path(child)
                ),
            );
        }
    }
}

/// Rules for one type definition (local or shared).
fn check_type_def(r: &mut Report<'_, '_>, at: &[PathSeg], def: &TypeDef, scope: Scope<'_, '_>) {
    check_type_name(r, &key(at, "name"), &def.name);
    match (&def.fields, &def.values) {
        (Some(_), Some(_)) => r.error(
            at,
            format!(
                "type `{}` has both `fields` and `values`: an object type has `fields`, an enum \
                 has `values`; keep one",
                def.name
            ),
        ),
        (None, None) => r.error(
            at,
            format!(
                "type `{}` has neither `fields` nor `values`: give an object type its `fields` \
                 or an enum its `values` (or use `object`/`string` instead of a named type)",
                def.name
            ),
        ),
        _ => {}
    }
    if def.repr.is_some() && def.values.is_none() {
        r.error(
            &key(at, "repr"),
            format!(
                "`repr` applies only to enums (types with `values`), but `{}` is not an enum; \
                 remove `repr`",
                def.name
            ),
        );
    }
    if let Some(fields) = &def.fields {
        check_fields(r, &key(at, "fields"), "field", fields, scope);
        check_infinite_size(r, at, def, scope);
    }
    if let Some(values) = &def.values {
        check_enum_values(r, &key(at, "values"), def, values);
    }
}

/// The named type a field holds directly, i.e. inline in the struct: `T` or `T | null`
/// (an `Option<T>` is no indirection), but not `T[]` or `map<T>` (heap-allocated).
fn held_inline(ty: &TypeExpr) -> Option<&str> {
    match ty {
        TypeExpr::Named(n) => Some(n),
        TypeExpr::Nullable(t) => held_inline(t),
        _ => None,
    }
}

/// A type that holds itself inline, through a chain of fields none of which is an array
/// or a map, has infinite size: no finite JSON value fits it, and Rust cannot lay it out
/// (E0072). Such a spec is always a mistake (all cases in the pinned docs are a field
/// typed with its own type by a misread `*.fields` answer), so it is refused rather than
/// boxed; a real tree nests a list (`children: T[]`) or a map. Reported once per cycle, on
/// the type of the cycle that sorts first.
fn check_infinite_size(
    r: &mut Report<'_, '_>,
    at: &[PathSeg],
    def: &TypeDef,
    scope: Scope<'_, '_>,
) {
    // Where a name resolves from a type: local types see local then shared ones,
    // shared types only shared ones.
    let resolve = |name: &str, from_shared: bool| -> Option<(&TypeInfo<'_>, bool)> {
        let local = (!from_shared)
            .then(|| scope.local.and_then(|l| l.get(name)))
            .flatten();
        match local {
            Some(info) => Some((info, false)),
            None => scope.shared.get(name).map(|info| (info, true)),
        }
    };
    let Some((start, start_shared)) = resolve(&def.name, false) else {
        return;
    };
    if !std::ptr::eq(start.def, def) {
        return; // a duplicate definition, reported elsewhere
    }
    // Depth-first over inline fields: (type, whether shared, the (type, field) path to it).
    type Step<'t, 'a> = (&'t TypeInfo<'a>, bool, Vec<(&'a str, &'a str)>);
    let mut stack: Vec<Step<'_, '_>> = vec![(start, start_shared, Vec::new())];
    let mut seen: BTreeSet<(&str, bool)> = BTreeSet::new();
    while let Some((info, shared, path)) = stack.pop() {
        for (f, ty) in info.typed_fields() {
            let Some(next) = ty.and_then(held_inline) else {
                continue;
            };
            let Some((next_info, next_shared)) = resolve(next, shared) else {
                continue;
            };
            let mut chain = path.clone();
            chain.push((info.def.name.as_str(), f.name.as_str()));
            if std::ptr::eq(next_info.def, def) {
                if chain.iter().any(|(t, _)| *t < def.name.as_str()) {
                    return; // reported on the type of the cycle that sorts first
                }
                let (_, first_field) = chain[0];
                let index = def
                    .fields
                    .iter()
                    .flatten()
                    .position(|x| x.name == first_field)
                    .unwrap_or(0);
                let route: Vec<String> = chain
                    .iter()
                    .map(|(t, f)| format!("`{t}.{f}`"))
                    .chain([format!("`{}`", def.name)])
                    .collect();
                r.error(
                    &key(
                        &join(&key(at, "fields"), PathSeg::item(index, first_field)),
                        "type",
                    ),
                    format!(
                        "type `{}` has infinite size: {} holds a `{}` inside itself with no \
                         array or map on the way, so no finite value fits it (Rust: E0072); \
                         a list of nested items is `{}[]`, and a field typed with its own \
                         type is usually a misread `*.fields` answer",
                        def.name,
                        route.join(" → "),
                        def.name,
                        def.name
                    ),
                );
                return;
            }
            if seen.insert((next_info.def.name.as_str(), next_shared)) {
                stack.push((next_info, next_shared, chain));
            }
        }
    }
}

/// Type names are UpperCamelCase as written (`heck`); words Rust reserves (`Self`)
/// are fine, the generator escapes them.
fn check_type_name(r: &mut Report<'_, '_>, at: &[PathSeg], name: &str) {
    let camel = name.to_upper_camel_case();
    let grammar = name.starts_with(|c: char| c.is_ascii_uppercase())
        && name.chars().all(|c| c.is_ascii_alphanumeric());
    if camel != name || !grammar {
        let hint = if camel.starts_with(|c: char| c.is_ascii_uppercase())
            && camel.chars().all(|c| c.is_ascii_alphanumeric())
        {
            format!("; write `{camel}` (and update the references)")
        } else {
            String::new()
        };
        r.error(
            at,
            format!(
                "type name `{name}` is not UpperCamelCase (ASCII letters and digits, starting \
                 with an uppercase letter){hint}"
            ),
        );
    }
}

fn check_enum_values(
    r: &mut Report<'_, '_>,
    at: &[PathSeg],
    def: &TypeDef,
    values: &[super::model::EnumValue],
) {
    if values.is_empty() {
        r.error(
            at,
            format!(
                "enum `{}` has no values; list at least one, or use `string` when the docs give \
                 none",
                def.name
            ),
        );
    }
    let integer = def.repr == Some(EnumRepr::Integer);
    let mut seen: HashMap<&str, usize> = HashMap::new();
    let mut variants: HashMap<String, usize> = HashMap::new();
    for (i, v) in values.iter().enumerate() {
        let here = join(at, PathSeg::item(i, v.value.as_str()));
        if let Some(&first) = seen.get(v.value.as_str()) {
            let other = r.place(&join(at, PathSeg::item(first, v.value.as_str())));
            r.error(
                &here,
                format!(
                    "value `{}` is listed twice in enum `{}` (first at {other}); remove the \
                     duplicate",
                    v.value, def.name
                ),
            );
            continue;
        }
        seen.insert(&v.value, i);
        if integer && v.value.trim().parse::<i64>().is_err() {
            r.error(
                &here,
                format!(
                    "value `{}` of enum `{}` is not an integer, but `repr: integer` sends values \
                     as JSON integers; fix the value or use `repr: string`",
                    v.value, def.name
                ),
            );
        }
        let Some(variant) = variant_name(r, &here, v) else {
            continue;
        };
        if let Some(&first) = variants.get(&variant) {
            let other_value = values.get(first).map_or("", |o| o.value.as_str());
            let other = r.place(&join(at, PathSeg::item(first, other_value)));
            r.error(
                &here,
                format!(
                    "values `{other_value}` ({other}) and `{}` ({}) both become the variant \
                     `{variant}` of enum `{}`; give one of them a distinct `name`",
                    v.value,
                    r.place(&here),
                    def.name
                ),
            );
        } else {
            variants.insert(variant, i);
        }
    }
}

/// The Rust variant of an enum value, or a reported fault.
fn variant_name(
    r: &mut Report<'_, '_>,
    at: &[PathSeg],
    v: &super::model::EnumValue,
) -> Option<String> {
    let base = v.name.as_deref().unwrap_or(&v.value);
    let from = match &v.name {
        Some(n) => format!("name `{n}`"),
        None => format!("value `{}`", v.value),
    };
    // A value without letters or digits is spelled out by rule (`<=` → `LessOrEqual`).
    let variant = naming::variant(base);
    if !is_ascii_ident(&variant) {
        r.error(
            at,
            format!(
                "{from} becomes the variant `{variant}`, which is not an ASCII identifier; give \
                 the value an ASCII `name`"
            ),
        );
        return None;
    }
    Some(variant)
}

/// Local types that nothing reachable from `roots` (parameters and result, or data
/// keys) refers to; `why` ends the message.
fn check_unused_types<'t>(
    r: &mut Report<'_, '_>,
    types: &[TypeDef],
    roots: impl Iterator<Item = &'t TypeExpr>,
    local: &Table<'_>,
    why: &str,
) {
    let mut reached: BTreeSet<String> = BTreeSet::new();
    let mut todo: Vec<String> = Vec::new();
    let visit =
        |t: &TypeExpr, todo: &mut Vec<String>| t.for_each_named(&mut |n| todo.push(n.to_owned()));
    for t in roots {
        visit(t, &mut todo);
    }
    while let Some(name) = todo.pop() {
        if !reached.insert(name.clone()) {
            continue;
        }
        if let Some(info) = local.get(name.as_str()) {
            for (_, t) in info.typed_fields() {
                if let Some(t) = t {
                    visit(t, &mut todo);
                }
            }
        }
    }
    for (i, def) in types.iter().enumerate() {
        if !reached.contains(&def.name) {
            r.error(
                &[PathSeg::key("types"), PathSeg::item(i, def.name.as_str())],
                format!(
                    "unused type `{}`: {why}; remove it or refer to it",
                    def.name
                ),
            );
        }
    }
}

// ---------------------------------------------------------------------------------------
// Shared types (spec/types)

fn check_shared_types(input: &Input<'_>, shared: &Table<'_>, out: &mut Vec<Diagnostic>) {
    let scope = Scope {
        local: None,
        shared,
        owner: "this method",
    };
    let mut first: BTreeMap<&str, &Path> = BTreeMap::new();
    let mut sorted: Vec<&Unit<'_, TypeDef>> = input.types.iter().collect();
    sorted.sort_by_key(|u| u.file);
    let used = shared_uses(input, shared);
    for unit in sorted {
        let def = unit.value;
        let mut r = Report::new(unit.file, unit.source, &def.name, out);
        check_type_def(&mut r, &[], def, scope);
        let expected = format!("types/{}.yaml", def.name);
        let actual = slash(unit.file);
        if actual != expected {
            r.error(
                &[PathSeg::key("name")],
                format!(
                    "shared type `{}` is in `{actual}`, but each shared type lives in \
                     `types/<Name>.yaml`: move it to `{expected}`",
                    def.name
                ),
            );
        }
        if let Some(file) = first.get(def.name.as_str()) {
            r.error(
                &[PathSeg::key("name")],
                format!(
                    "shared type `{}` is also defined in `{}`; keep one",
                    def.name,
                    slash(file)
                ),
            );
        } else {
            first.insert(&def.name, unit.file);
        }
        if !used.contains(def.name.as_str()) {
            r.error(
                &[PathSeg::key("name")],
                format!(
                    "unused shared type `{}`: no method or event refers to it; remove it or \
                     refer to it",
                    def.name
                ),
            );
        }
    }
}

/// Names of the shared types some method reaches.
fn shared_uses(input: &Input<'_>, shared: &Table<'_>) -> BTreeSet<String> {
    let mut todo: Vec<String> = Vec::new();
    let push = |ty: &str, todo: &mut Vec<String>| {
        if let Ok(t) = TypeExpr::parse(ty) {
            t.for_each_named(&mut |n| todo.push(n.to_owned()));
        }
    };
    for unit in &input.methods {
        let m = unit.value;
        for f in m
            .params
            .iter()
            .chain(m.types.iter().flat_map(|t| t.fields.iter().flatten()))
        {
            push(&f.ty, &mut todo);
        }
        push(&m.result.ty, &mut todo);
    }
    for unit in &input.events {
        let e = unit.value;
        for f in e
            .data
            .iter()
            .chain(e.types.iter().flat_map(|t| t.fields.iter().flatten()))
        {
            push(&f.ty, &mut todo);
        }
    }
    let mut reached = BTreeSet::new();
    while let Some(name) = todo.pop() {
        if !reached.insert(name.clone()) {
            continue;
        }
        if let Some(info) = shared.get(name.as_str()) {
            for f in info.def.fields.iter().flatten() {
                push(&f.ty, &mut todo);
            }
        }
    }
    reached
}

// ---------------------------------------------------------------------------------------
// List facts

fn check_list(
    r: &mut Report<'_, '_>,
    list: &super::model::ListFacts,
    result: Option<&TypeExpr>,
    scope: Scope<'_, '_>,
) {
    let at = [PathSeg::key("list")];
    if list.page_size == 0 {
        r.error(
            &key(&at, "page_size"),
            "`page_size` must be greater than 0 (Bitrix24 list methods page by 50)",
        );
    }
    let Some(result) = result else { return };
    let Some(item) = list_item_type(r, &at, list, result, scope) else {
        return;
    };
    let (Some(id), TypeExpr::Named(name)) = (&list.id_field, strip_null(&item)) else {
        return;
    };
    let Some(info) = scope.get(name) else { return };
    if info.is_enum() || info.is_malformed() {
        return;
    }
    let names: Vec<&str> = info
        .def
        .fields
        .iter()
        .flatten()
        .map(|f| f.name.as_str())
        .collect();
    if !names.contains(&id.as_str()) {
        r.error(
            &key(&at, "id_field"),
            format!(
                "`id_field` `{id}` is not a field of the list item type `{name}`; its fields are \
                 {}.{}",
                ticked(names.iter().copied()),
                suggestion(id, names.iter().copied())
            ),
        );
    }
}

fn strip_null(t: &TypeExpr) -> &TypeExpr {
    match t {
        TypeExpr::Nullable(inner) => inner,
        other => other,
    }
}

/// Follows `list.items` from the result type to the item type; `None` when it cannot
/// be followed (reported) or the types are too loose to tell (`object`, `any`).
fn list_item_type(
    r: &mut Report<'_, '_>,
    at: &[PathSeg],
    list: &super::model::ListFacts,
    result: &TypeExpr,
    scope: Scope<'_, '_>,
) -> Option<TypeExpr> {
    let mut cur = strip_null(result).clone();
    let mut walked = String::from("result");
    for seg in list.items.split('.').filter(|s| !s.is_empty()) {
        let TypeExpr::Named(name) = &cur else {
            return None;
        };
        let info = scope.get(name)?;
        let Some(next) = info.typed_fields().find(|(f, _)| f.name == seg) else {
            let names: Vec<&str> = info.typed_fields().map(|(f, _)| f.name.as_str()).collect();
            r.error(
                &key(at, "items"),
                format!(
                    "list items path `{}`: `{walked}` is a `{name}`, which has no field `{seg}`; \
                     its fields are {}.{}",
                    list.items,
                    ticked(names.iter().copied()),
                    suggestion(seg, names.iter().copied())
                ),
            );
            return None;
        };
        cur = strip_null(next.1?).clone();
        walked.push('.');
        walked.push_str(seg);
    }
    match cur {
        TypeExpr::Array(t) | TypeExpr::Map(t) => Some(*t),
        TypeExpr::Scalar(Scalar::Any | Scalar::Object) => None,
        other => {
            r.error(
                &key(at, "items"),
                format!(
                    "the list items at `{walked}` must be an array (or map), but the type there \
                     is `{other}`; fix `list.items` or the result type"
                ),
            );
            None
        }
    }
}

// ---------------------------------------------------------------------------------------
// Errors

fn check_errors(r: &mut Report<'_, '_>, prefix: &[PathSeg], errors: &[ErrorDoc]) {
    // An empty code is real (the API answers `"error": ""` for some failures); then only
    // the message tells errors apart, so it is part of the identity and required.
    // One such error without a message is told apart from the others by that alone.
    // (`message: ''` is a message: the API answers `"error_description": ""` too.)
    let unnamed = |e: &ErrorDoc| e.code.trim().is_empty() && e.message.is_none();
    let only_unnamed = errors.iter().filter(|e| unnamed(e)).count() == 1
        && errors.iter().filter(|e| e.code.trim().is_empty()).count() == 1;
    let mut seen: HashMap<(Option<u16>, &str, Option<&str>), usize> = HashMap::new();
    for (i, e) in errors.iter().enumerate() {
        let at = join(prefix, PathSeg::item(i, e.code.as_str()));
        let empty = e.code.trim().is_empty();
        if unnamed(e) && !only_unnamed {
            r.error(
                &key(&at, "code"),
                "error code is empty and no `message` tells this error apart: give the `error` \
                 value of the response body (e.g. `ERROR_CORE`), or, for an API that answers \
                 `\"error\": \"\"`, the `error_description` as `message`",
            );
            continue;
        }
        let id = (
            e.status,
            e.code.as_str(),
            e.message.as_deref().filter(|_| empty),
        );
        if let Some(&first) = seen.get(&id) {
            let other = r.place(&join(prefix, PathSeg::item(first, e.code.as_str())));
            let status = e
                .status
                .map_or("no status".into(), |s| format!("status {s}"));
            r.error(
                &at,
                format!(
                    "error `{}` with {status} is documented twice (first at {other}); merge the \
                     two entries",
                    e.code
                ),
            );
        } else {
            seen.insert(id, i);
        }
    }
}

// ---------------------------------------------------------------------------------------
// Examples

fn check_examples(
    r: &mut Report<'_, '_>,
    m: &Method,
    params: &[Option<TypeExpr>],
    result: Option<&TypeExpr>,
    scope: Scope<'_, '_>,
) {
    let ex = &m.examples;
    let base = [PathSeg::key("examples")];
    for (i, e) in ex.request.iter().enumerate() {
        let at = [key(&base, "request"), vec![PathSeg::index(i)]].concat();
        if let Some(v) = parse_example(r, &at, e) {
            check_request_example(r, &at, &v, e, &m.params, params, scope);
        }
    }
    for (i, e) in ex.response.iter().enumerate() {
        let at = [key(&base, "response"), vec![PathSeg::index(i)]].concat();
        if let Some(v) = parse_example(r, &at, e) {
            check_response_example(r, &at, &v, e, result, scope);
        }
    }
    for (i, e) in ex.error.iter().enumerate() {
        let at = [key(&base, "error"), vec![PathSeg::index(i)]].concat();
        if let Some(v) = parse_example(r, &at, e)
            && !v.as_object().is_some_and(|o| o.contains_key("error"))
        {
            r.error(
                &key(&at, "json"),
                format!(
                    "an error example must be a JSON object with an `error` key, found {}",
                    describe(&v)
                ),
            );
        }
    }
}

/// Parses the example's JSON, reporting where it breaks.
fn parse_example(r: &mut Report<'_, '_>, at: &[PathSeg], e: &Example) -> Option<Value> {
    match serde_json::from_str::<Value>(&e.json) {
        Ok(v) => Some(v),
        Err(err) => {
            let json_at = key(at, "json");
            let line = r
                .source
                .and_then(|s| locate::literal_line(s, &json_at, err.line()))
                .or_else(|| r.line(&json_at));
            let full = err.to_string();
            let suffix = format!(" at line {} column {}", err.line(), err.column());
            let what = full.strip_suffix(&suffix).unwrap_or(&full);
            r.error_at(
                &json_at,
                line,
                format!(
                    "invalid JSON at line {} column {} of the example: {what}; fix the JSON (or \
                     drop the example)",
                    err.line(),
                    err.column()
                ),
            );
            None
        }
    }
}

fn check_request_example(
    r: &mut Report<'_, '_>,
    at: &[PathSeg],
    v: &Value,
    e: &Example,
    fields: &[Field],
    types: &[Option<TypeExpr>],
    scope: Scope<'_, '_>,
) {
    let json_at = key(at, "json");
    // An example that does not round-trip (its reason says why: an undocumented key, a
    // placeholder value, not an object at all) is kept for the docs but not checked
    // against the parameters.
    if e.skip_round_trip.is_some() {
        return;
    }
    let Some(obj) = v.as_object() else {
        r.error(
            &json_at,
            format!(
                "a request example must be a JSON object of parameters, found {}",
                describe(v)
            ),
        );
        return;
    };
    let known: Vec<&str> = fields.iter().map(|f| f.name.as_str()).collect();
    for k in obj.keys() {
        if k != "auth" && !known.contains(&k.as_str()) {
            let known_list = if known.is_empty() {
                "the method has no parameters".to_owned()
            } else {
                format!("known parameters: {}", ticked(known.iter().copied()))
            };
            r.error(
                &json_at,
                format!(
                    "{}: unknown parameter `{k}` in the request example; {known_list} (and \
                     `auth`).{}",
                    json_key("$", k),
                    suggestion(k, known.iter().copied())
                ),
            );
        }
    }
    let fit = Fit { scope };
    let first = fields.iter().zip(types).find_map(|(f, t)| {
        let ty = t.as_ref()?;
        match obj.get(&f.name) {
            Some(val) => fit
                .field(val, ty, f.required, &json_key("$", &f.name))
                .err(),
            None if f.required && !matches!(ty, TypeExpr::Nullable(_)) => Some(format!(
                "$: the request example lacks the required parameter `{}`, so the typed \
                 request cannot reproduce it; add it, or set `skip_round_trip` with the reason",
                f.name
            )),
            None => None,
        }
    });
    if let Some(m) = first {
        r.error(&json_at, m);
    }
}

fn check_response_example(
    r: &mut Report<'_, '_>,
    at: &[PathSeg],
    v: &Value,
    e: &Example,
    result: Option<&TypeExpr>,
    scope: Scope<'_, '_>,
) {
    let json_at = key(at, "json");
    let Some(res) = v.as_object().and_then(|o| o.get("result")) else {
        r.error(
            &json_at,
            format!(
                "a response example must be a JSON object with a `result` key, found {}",
                describe(v)
            ),
        );
        return;
    };
    if e.skip_round_trip.is_some() {
        return;
    }
    if let Some(ty) = result
        && let Err(m) = (Fit { scope })
            .value(res, ty, "$.result")
            .and_then(|()| disjoint_result(res, ty, scope))
    {
        r.error(&json_at, m);
    }
}

/// A result whose documented fields all miss from its own example: the sign of a wrapper
/// key the spec does not model (`{"item": {...}}`) or a mistyped result. Checked for an
/// object type and a list of one, when the example has keys at all.
fn disjoint_result(res: &Value, ty: &TypeExpr, scope: Scope<'_, '_>) -> Result<(), String> {
    let (name, objects, path): (&str, Vec<&serde_json::Map<String, Value>>, &str) =
        match strip_null(ty) {
            TypeExpr::Named(n) => (n, res.as_object().into_iter().collect(), "$.result"),
            TypeExpr::Array(inner) => match strip_null(inner) {
                TypeExpr::Named(n) => (
                    n,
                    match res {
                        Value::Array(items) => items.iter().filter_map(Value::as_object).collect(),
                        Value::Object(o) => o.values().filter_map(Value::as_object).collect(),
                        _ => Vec::new(),
                    },
                    "$.result[*]",
                ),
                _ => return Ok(()),
            },
            _ => return Ok(()),
        };
    let Some(fields) = scope
        .get(name)
        .filter(|i| !i.is_malformed())
        .and_then(|i| i.def.fields.as_ref())
        .filter(|f| !f.is_empty())
    else {
        return Ok(());
    };
    // User fields (`UF_*`) belong to every entity and live in `extra()`: an example that
    // selects only those says nothing about the type.
    let keys: BTreeSet<&str> = objects
        .iter()
        .flat_map(|o| o.keys().map(String::as_str))
        .filter(|k| !k.starts_with("UF_"))
        .collect();
    if keys.is_empty() || fields.iter().any(|f| keys.contains(f.name.as_str())) {
        return Ok(());
    }
    let documented: Vec<&str> = fields.iter().map(|f| f.name.as_str()).take(8).collect();
    let more = if fields.len() > documented.len() {
        ", ..."
    } else {
        ""
    };
    Err(format!(
        "{path}: none of the fields of `{name}` ({}{more}) occurs in the example, whose keys \
         are {}; the result is probably wrapped in a key the spec does not model or typed \
         wrongly: fix `result.type` (or set `skip_round_trip` with the reason)",
        ticked(documented),
        ticked(keys.iter().copied().take(8))
    ))
}

/// An object, or PHP's empty array `[]` as the empty object (as the generated structs read
/// it); `None` for any other value.
fn object_of(v: &Value) -> Option<std::borrow::Cow<'_, serde_json::Map<String, Value>>> {
    match v {
        Value::Object(o) => Some(std::borrow::Cow::Borrowed(o)),
        Value::Array(a) if a.is_empty() => Some(std::borrow::Cow::Owned(serde_json::Map::new())),
        _ => None,
    }
}

/// `$.key` or `$["odd key"]`.
fn json_key(parent: &str, k: &str) -> String {
    if is_ascii_ident(k) {
        format!("{parent}.{k}")
    } else {
        format!("{parent}[{}]", Value::String(k.to_owned()))
    }
}

/// A JSON value, briefly: `"abc"`, `12`, `an object`.
fn describe(v: &Value) -> String {
    match v {
        Value::Array(a) if a.is_empty() => "[]".into(),
        Value::Array(_) => "an array".into(),
        Value::Object(_) => "an object".into(),
        other => {
            let s = other.to_string();
            if s.chars().count() > 40 {
                format!("{}…", s.chars().take(40).collect::<String>())
            } else {
                s
            }
        }
    }
}

/// The forms the client's `bool` decoder reads (`bitrix24_runtime::wire::Decode for
/// bool`): `true`/`false`, `"Y"`/`"N"`, `"y"`/`"n"`, `1`/`0`, `"1"`/`"0"`,
/// `"true"`/`"false"` (any case).
pub(crate) fn decodes_as_bool(v: &Value) -> bool {
    match v {
        Value::Bool(_) => true,
        Value::Number(n) => n.as_u64().is_some_and(|n| n <= 1),
        Value::String(s) => is_bool_text(s),
        _ => false,
    }
}

/// Whether an `Option` of `ty` reads PHP's `false` as `None`, as the client does
/// (`bitrix24_runtime::wire::Decode::FALSE_IS_NONE`): dates, date-times, objects, maps and
/// lists; `is_object` tells a named object type from an enum.
pub(crate) fn false_is_none(ty: &TypeExpr, is_object: impl Fn(&str) -> bool) -> bool {
    match ty {
        TypeExpr::Scalar(Scalar::Date | Scalar::Datetime | Scalar::Object)
        | TypeExpr::Map(_)
        | TypeExpr::Array(_) => true,
        TypeExpr::Named(n) => is_object(n),
        _ => false,
    }
}

/// The texts the client's `bool` decoder reads: `Y`/`N`, `y`/`n`, `1`/`0`,
/// `true`/`false` (any case).
pub(crate) fn is_bool_text(s: &str) -> bool {
    matches!(s, "Y" | "y" | "1" | "N" | "n" | "0")
        || s.eq_ignore_ascii_case("true")
        || s.eq_ignore_ascii_case("false")
}

/// Checks JSON values against types exactly as leniently as the runtime decodes them
/// (`bitrix24_runtime::wire::decode` and the generated `Deserialize` impls):
///
/// | type | accepts |
/// |---|---|
/// | `integer`, `timestamp` | an integral JSON number or a string holding one (`"12"`, `"12.0"`) in `i64` range |
/// | `double` | a number, or a string holding a finite one |
/// | `boolean` | `true`/`false`, `"Y"`/`"N"`, `"y"`/`"n"`, `1`/`0`, `"1"`/`"0"`, `"true"`/`"false"` |
/// | `string`, `char`, `date`, `datetime` | a string, or a number (taken as its text) |
/// | `object`, `map<T>` | an object, or `[]` (PHP's empty array); never a non-empty array |
/// | `T[]` | an array, or an object's values (PHP arrays) |
/// | `file` | the array `[name, base64 content]` |
/// | `any` | anything |
/// | `T \| null`, optional fields | `null`; `""` too unless `T` is text or `any`; `false` for dates, date-times, objects, maps and lists |
/// | enums | any string or integer (unlisted values are kept as unknown) |
/// | named objects | an object, or `[]` (an empty one); known fields checked, unknown keys kept; required non-nullable fields must be present |
///
/// Dates and date-times are checked more loosely than the runtime reads them
/// (`NaiveDate`, `DateTime`, [`super::datetime`]): the importer marks the examples whose
/// values do not decode (`skip_round_trip`), and a stricter check here would refuse the
/// `spec/` of earlier releases, which `spec-diff` and `release` load as their base.
struct Fit<'s, 'a> {
    scope: Scope<'s, 'a>,
}

impl Fit<'_, '_> {
    /// A field or parameter: absent-like values (`null`, and `""` for non-text types)
    /// are accepted for optional ones (they decode as `None`).
    fn field(&self, v: &Value, ty: &TypeExpr, required: bool, path: &str) -> Result<(), String> {
        if !required && self.none_like(v, ty) {
            return Ok(());
        }
        self.value(v, ty, path)
    }

    /// Whether `v` decodes as `None` for an optional `ty`: [`is_none_like`], or `false`
    /// for an object (`object`, `map<T>`, a named object type), PHP's "none".
    fn none_like(&self, v: &Value, ty: &TypeExpr) -> bool {
        is_none_like(v, ty)
            || (v == &Value::Bool(false)
                && false_is_none(ty, |n| self.scope.get(n).is_some_and(|i| !i.is_enum())))
    }

    /// `v` against `ty`; the first mismatch as `path: expected T, found V`.
    fn value(&self, v: &Value, ty: &TypeExpr, path: &str) -> Result<(), String> {
        let mismatch = || Err(format!("{path}: expected {ty}, found {}", describe(v)));
        match ty {
            TypeExpr::Nullable(inner) => {
                if self.none_like(v, inner) {
                    Ok(())
                } else {
                    self.value(v, inner, path)
                }
            }
            TypeExpr::Scalar(s) => {
                if scalar_fits(*s, v) {
                    Ok(())
                } else {
                    mismatch()
                }
            }
            // A non-empty array is a list: it never passes as a map (nor as `object`).
            TypeExpr::Map(_) if v.as_array().is_some_and(|a| !a.is_empty()) => mismatch(),
            TypeExpr::Array(inner) | TypeExpr::Map(inner) => match v {
                Value::Array(items) => items
                    .iter()
                    .enumerate()
                    .try_for_each(|(i, x)| self.value(x, inner, &format!("{path}[{i}]"))),
                Value::Object(o) => o
                    .iter()
                    .try_for_each(|(k, x)| self.value(x, inner, &json_key(path, k))),
                _ => mismatch(),
            },
            TypeExpr::Named(name) => self.named(v, name, ty, path),
        }
    }

    fn named(&self, v: &Value, name: &str, ty: &TypeExpr, path: &str) -> Result<(), String> {
        // Unknown or malformed types are reported where they are written or defined.
        let Some(info) = self.scope.get(name).filter(|i| !i.is_malformed()) else {
            return Ok(());
        };
        if info.is_enum() {
            return if v.is_string() || v.is_i64() || v.is_u64() {
                Ok(())
            } else {
                Err(format!(
                    "{path}: expected {ty} (an enum: a string or integer), found {}",
                    describe(v)
                ))
            };
        }
        let Some(o) = object_of(v) else {
            return Err(format!(
                "{path}: expected {ty} (an object), found {}",
                describe(v)
            ));
        };
        Self::members(self, &o, info.typed_fields(), &ty.to_string(), path)
    }

    /// An object with `fields` (of the parsed `types`): known keys checked, unknown ones
    /// kept; `what` names it in messages.
    fn object(
        &self,
        v: &Value,
        fields: &[Field],
        types: &[Option<TypeExpr>],
        what: &str,
        path: &str,
    ) -> Result<(), String> {
        let Some(o) = object_of(v) else {
            return Err(format!(
                "{path}: expected {what} (an object), found {}",
                describe(v)
            ));
        };
        self.members(
            &o,
            fields.iter().zip(types.iter().map(Option::as_ref)),
            what,
            path,
        )
    }

    fn members<'f>(
        &self,
        o: &serde_json::Map<String, Value>,
        fields: impl Iterator<Item = (&'f Field, Option<&'f TypeExpr>)>,
        what: &str,
        path: &str,
    ) -> Result<(), String> {
        fields
            .into_iter()
            .try_for_each(|(f, t)| match (o.get(&f.name), t) {
                (Some(x), Some(t)) => self.field(x, t, f.required, &json_key(path, &f.name)),
                (None, Some(t)) if f.required && !matches!(t, TypeExpr::Nullable(_)) => Err(
                    format!("{path}: missing the required field `{}` of {what}", f.name),
                ),
                _ => Ok(()),
            })
    }
}

/// Whether `v` decodes as `None` for an optional `ty`: `null`, `""` unless `ty` is
/// text or `any` (where `""` is a value), and `false` for a date or date-time (PHP's "no
/// date", which the client reads as `None`).
fn is_none_like(v: &Value, ty: &TypeExpr) -> bool {
    let text = matches!(
        ty,
        TypeExpr::Scalar(
            Scalar::String | Scalar::Char | Scalar::Date | Scalar::Datetime | Scalar::Any
        )
    );
    let date = matches!(ty, TypeExpr::Scalar(Scalar::Date | Scalar::Datetime));
    v.is_null() || (!text && v.as_str() == Some("")) || (date && v == &Value::Bool(false))
}

/// Whether `v` decodes as an `i64`: an integral number or a string holding one.
fn fits_i64(v: &Value) -> bool {
    const MIN: f64 = -9_223_372_036_854_775_808.0;
    const MAX: f64 = 9_223_372_036_854_775_808.0;
    let float = |f: f64| f.is_finite() && f.fract() == 0.0 && (MIN..MAX).contains(&f);
    match v {
        Value::Number(n) => n.is_i64() || (!n.is_u64() && n.as_f64().is_some_and(float)),
        Value::String(s) => {
            s.parse::<i64>().is_ok()
                || (s.parse::<u64>().is_err() && s.parse::<f64>().is_ok_and(float))
        }
        _ => false,
    }
}

/// Whether `v` decodes as the scalar `s` (see [`Fit`]).
fn scalar_fits(s: Scalar, v: &Value) -> bool {
    match s {
        Scalar::Any => true,
        Scalar::Integer | Scalar::Timestamp => fits_i64(v),
        Scalar::Double => {
            v.is_number()
                || v.as_str()
                    .is_some_and(|x| x.parse::<f64>().is_ok_and(f64::is_finite))
        }
        Scalar::Boolean => decodes_as_bool(v),
        Scalar::String | Scalar::Char | Scalar::Date | Scalar::Datetime => {
            v.is_string() || v.is_number()
        }
        Scalar::Object => v.is_object() || v.as_array().is_some_and(Vec::is_empty),
        Scalar::File => v
            .as_array()
            .is_some_and(|a| a.len() == 2 && a.iter().all(Value::is_string)),
    }
}

// ---------------------------------------------------------------------------------------
// Events

/// Why `name` is not a valid event name, if it is not.
fn event_name_fault(name: &str) -> Option<String> {
    if name.is_empty() {
        return Some("the event name is empty".into());
    }
    // `CATALOG.PRODUCT.ON.ADD`: the catalog's events are dotted.
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
        || name.split('.').any(str::is_empty)
    {
        return Some(format!(
            "invalid event name `{name}`: ASCII letters, digits, `_` and `.` between words only \
             (names look like `onCrmActivityAdd` or `CATALOG.PRODUCT.ON.ADD`)"
        ));
    }
    let lower = name.to_ascii_lowercase();
    if name.contains('.') {
        let words: Vec<&str> = name.split('.').collect();
        let inner_on = words.len() >= 3 && words[1..words.len() - 1].contains(&"ON");
        let upper = name.chars().all(|c| !c.is_ascii_lowercase());
        if inner_on && upper {
            return None;
        }
        return Some(format!(
            "invalid event name `{name}`: a dotted event name is upper case with `ON` between \
             the subject and the action (`CATALOG.PRODUCT.ON.ADD`)"
        ));
    }
    if !lower.starts_with("on") || lower.len() < 3 {
        return Some(format!(
            "invalid event name `{name}`: event names start with `on` (`onCrmActivityAdd`, \
             `ONAPPINSTALL`)"
        ));
    }
    None
}

/// The folder of an event: its (first) scope, when usable as a folder name; `_` for an
/// event whose docs name no scope (`onOfflineEvent`: subscribing needs none beyond the
/// application's own).
fn event_folder(scope: &str) -> Option<&str> {
    let first = scope.split(',').next().unwrap_or("").trim();
    if scope.trim().is_empty() {
        return Some("_");
    }
    (!first.is_empty()
        && first
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.'))
    .then_some(first)
}

/// The file an event must live in, when its scope names a folder.
fn expected_event_file(e: &Event) -> Option<String> {
    event_folder(&e.scope).map(|f| format!("events/{f}/{}.yaml", e.event))
}

/// Events defined twice (names compared ignoring ASCII case, as deliveries are matched)
/// or colliding in Rust; returns the files reported as duplicates.
fn check_event_names<'a>(input: &Input<'a>, out: &mut Vec<Diagnostic>) -> BTreeSet<&'a Path> {
    let mut by_name: BTreeMap<String, (&str, &Path)> = BTreeMap::new();
    let mut by_rust: BTreeMap<String, (&str, &Path)> = BTreeMap::new();
    let mut duplicates = BTreeSet::new();
    let mut sorted: Vec<&Unit<'a, Event>> = input.events.iter().collect();
    sorted.sort_by_key(|u| {
        (
            expected_event_file(u.value).as_deref() != Some(slash(u.file).as_str()),
            u.file,
        )
    });
    for unit in sorted {
        let e = unit.value;
        if event_name_fault(&e.event).is_some() {
            continue;
        }
        let mut r = Report::new(unit.file, unit.source, &e.event, out);
        let at = [PathSeg::key("event")];
        if let Some((first, file)) = by_name.get(&e.event.to_ascii_lowercase()) {
            let same = if *first == e.event {
                String::new()
            } else {
                format!(
                    " as `{first}` (deliveries are matched ignoring case, so they are one event)"
                )
            };
            r.error(
                &at,
                format!(
                    "event `{}` is defined twice: also in `{}`{same}; keep exactly one file per \
                     event",
                    e.event,
                    slash(file)
                ),
            );
            duplicates.insert(unit.file);
            continue;
        }
        by_name.insert(e.event.to_ascii_lowercase(), (&e.event, unit.file));
        for rust in [naming::event_type(&e.event), naming::event_module(&e.event)] {
            if let Some((first, file)) = by_rust.get(&rust) {
                r.error(
                    &at,
                    format!(
                        "events `{first}` (`{}`) and `{}` both become the Rust name `{rust}`; \
                         rename one of them",
                        slash(file),
                        e.event
                    ),
                );
                duplicates.insert(unit.file);
            } else {
                by_rust.insert(rust, (&e.event, unit.file));
            }
        }
    }
    duplicates
}

fn check_event(r: &mut Report<'_, '_>, file: &Path, e: &Event, cx: &Context<'_, '_>) {
    let at = [PathSeg::key("event")];
    match event_name_fault(&e.event) {
        Some(fault) => r.error(&at, fault),
        None if cx.duplicates.contains(file) => {}
        None => {
            if let Some(expected) = expected_event_file(e) {
                let actual = slash(file);
                if actual != expected {
                    r.error(
                        &at,
                        format!(
                            "event `{}` is in `{actual}`, but each event lives in \
                             `events/<first scope>/<event>.yaml`: move it to `{expected}`",
                            e.event
                        ),
                    );
                }
            }
        }
    }
    if event_folder(&e.scope).is_none() {
        r.error(
            &[PathSeg::key("scope")],
            format!(
                "scope `{}` names no folder: expected the OAuth scope needed to subscribe, \
                 e.g. `crm` (the file lives in `events/<scope>/`)",
                e.scope
            ),
        );
    }
    check_source(r, &e.source);
    let local = table(&e.types);
    let scope = Scope {
        local: Some(&local),
        shared: cx.shared,
        owner: "this event",
    };
    let data = check_fields(r, &[PathSeg::key("data")], "data key", &e.data, scope);
    let data_type = e.data_type.as_deref().and_then(|ty| {
        let at = [PathSeg::key("data_type")];
        let parsed = match TypeExpr::parse(ty) {
            Ok(TypeExpr::Scalar(s)) if s.is_single_value() => Some(TypeExpr::Scalar(s)),
            Ok(_) => {
                r.error(
                    &at,
                    format!(
                        "`data_type` `{ty}` is not a scalar such as `integer` or `string`; an \
                         object's keys are listed in `data`"
                    ),
                );
                None
            }
            Err(err) => {
                r.error(&at, format!("`data_type` `{ty}` does not parse: {err}"));
                None
            }
        };
        if !e.data.is_empty() {
            r.error(
                &at,
                "`data_type` types `data` as a value, yet `data` lists keys: keep one of them",
            );
        }
        parsed
    });
    let reserved = [naming::event_type(&e.event), naming::event_data(&e.event)];
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (i, def) in e.types.iter().enumerate() {
        let at = [PathSeg::key("types"), PathSeg::item(i, def.name.as_str())];
        check_type_def(r, &at, def, scope);
        if let Some(&first) = seen.get(def.name.as_str()) {
            let other = r.place(&[
                PathSeg::key("types"),
                PathSeg::item(first, def.name.as_str()),
            ]);
            r.error(
                &key(&at, "name"),
                format!(
                    "type `{}` is defined twice in this event (first at {other}); rename or \
                     remove one",
                    def.name
                ),
            );
        } else {
            seen.insert(&def.name, i);
        }
        if reserved.contains(&naming::type_name(&def.name)) {
            r.error(
                &key(&at, "name"),
                format!(
                    "type `{}` has the name of a type generated for the event (`{}` marks the \
                     event, `{}` is its data) in the same module; rename the type",
                    def.name, reserved[0], reserved[1]
                ),
            );
        }
    }
    check_unused_types(
        r,
        &e.types,
        data.iter().flatten(),
        &local,
        "no data key, or a type they use, refers to it",
    );
    check_bind(r, e, cx.all);
    check_deliveries(r, e, &data, data_type.as_ref(), scope);
}

/// `bind` names methods: valid names, listed once, and methods of the spec when the spec
/// has methods of that namespace.
fn check_bind(r: &mut Report<'_, '_>, e: &Event, all: &BTreeSet<&str>) {
    let mut seen = BTreeSet::new();
    for (i, b) in e.bind.iter().enumerate() {
        let at = [PathSeg::key("bind"), PathSeg::item(i, b.as_str())];
        if let Some(fault) = method_name_fault(b) {
            r.error(&at, fault);
            continue;
        }
        if !seen.insert(b.as_str()) {
            r.error(&at, format!("`{b}` is listed twice; remove one"));
            continue;
        }
        let first = b.split('.').next().unwrap_or("");
        let namespace: Vec<&str> = all
            .iter()
            .copied()
            .filter(|m| m.split('.').next() == Some(first))
            .collect();
        if !all.contains(b.as_str()) && !namespace.is_empty() {
            r.error(
                &at,
                format!(
                    "`{b}` is not a method of the spec, which has {} of `{first}.*`.{}",
                    ticked(namespace.iter().copied()),
                    suggestion(b, namespace.iter().copied())
                ),
            );
        }
    }
}

/// The `auth` keys the runtime requires of every delivery (`bitrix24_runtime::event::Auth`),
/// as non-empty strings.
pub const DELIVERY_AUTH: [&str; 5] = [
    "domain",
    "client_endpoint",
    "server_endpoint",
    "member_id",
    "application_token",
];

/// How the importer's `skip_round_trip` reason begins for a delivery example whose data
/// fits but whose `auth` lacks some of [`DELIVERY_AUTH`] (the generator completes those
/// for the event's doc example).
pub const AUTH_LACKING: &str = "the example's `auth` lacks";

/// Delivery examples: JSON objects of this event, with an `auth` object and `data` that
/// fits the data keys.
fn check_deliveries(
    r: &mut Report<'_, '_>,
    e: &Event,
    data: &[Option<TypeExpr>],
    data_type: Option<&TypeExpr>,
    scope: Scope<'_, '_>,
) {
    for (i, ex) in e.examples.iter().enumerate() {
        let at = [PathSeg::key("examples"), PathSeg::index(i)];
        let Some(v) = parse_example(r, &at, ex) else {
            continue;
        };
        let json_at = key(&at, "json");
        let Some(o) = v.as_object() else {
            r.error(
                &json_at,
                format!(
                    "a delivery example must be a JSON object with `event`, `data`, `ts` and \
                     `auth`, found {}",
                    describe(&v)
                ),
            );
            continue;
        };
        match o.get("event") {
            Some(Value::String(name)) if name.eq_ignore_ascii_case(&e.event) => {}
            Some(Value::String(name)) => r.error(
                &json_at,
                format!(
                    "$.event: the delivery example is of event `{name}`, not `{}` (compared \
                     ignoring case); fix the example or move it to that event's file",
                    e.event
                ),
            ),
            Some(other) => r.error(
                &json_at,
                format!(
                    "$.event: expected the event name as a string, found {}",
                    describe(other)
                ),
            ),
            None => r.error(&json_at, "$: the delivery example has no `event` key"),
        }
        match o.get("auth") {
            Some(Value::Object(auth)) => {
                let missing: Vec<&str> = DELIVERY_AUTH
                    .iter()
                    .copied()
                    .filter(|k| {
                        auth.get(*k)
                            .and_then(Value::as_str)
                            .is_none_or(str::is_empty)
                    })
                    .collect();
                if !missing.is_empty() && ex.skip_round_trip.is_none() {
                    r.error(
                        &json_at,
                        format!(
                            "$.auth: lacks {}, which every delivery carries (the runtime refuses \
                             one without them), so the example cannot round-trip; add them, or \
                             set `skip_round_trip` with the reason",
                            ticked(missing.iter().copied())
                        ),
                    );
                }
            }
            Some(other) => r.error(
                &json_at,
                format!(
                    "$.auth: expected an object (the delivery's `auth` keys), found {}",
                    describe(other)
                ),
            ),
            None => r.error(
                &json_at,
                "$: the delivery example has no `auth` object (every delivery carries one, \
                 with the `application_token` handlers check)",
            ),
        }
        if ex.skip_round_trip.is_some() {
            continue;
        }
        let empty = Value::Object(serde_json::Map::new());
        let payload = o.get("data").unwrap_or(&empty);
        let fit = Fit { scope };
        // `data` typed as a value (`data_type`): the value, not keys.
        if e.data_type.is_some() {
            let fault = match (data_type, o.get("data")) {
                (Some(ty), Some(v)) => fit.value(v, ty, "$.data").err(),
                (Some(_), None) => Some("$.data: missing (the event's `data` is a value)".into()),
                // The type itself is reported at `data_type`.
                (None, _) => None,
            };
            if let Some(m) = fault {
                r.error(&json_at, m);
            }
            continue;
        }
        let known: Vec<&str> = e.data.iter().map(|f| f.name.as_str()).collect();
        let unknown = payload
            .as_object()
            .into_iter()
            .flat_map(|d| d.keys())
            .find(|k| !known.contains(&k.as_str()));
        let fault = match unknown {
            Some(k) => Some(format!(
                "{}: unknown data key `{k}` in the delivery example; {}.{}",
                json_key("$.data", k),
                if known.is_empty() {
                    "the event documents no data keys".to_owned()
                } else {
                    format!("known data keys: {}", ticked(known.iter().copied()))
                },
                suggestion(k, known.iter().copied())
            )),
            None => fit
                .object(payload, &e.data, data, "the event's `data`", "$.data")
                .err(),
        };
        if let Some(m) = fault {
            r.error(&json_at, m);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const COMMIT: &str = "229f6887c3ba3d34a66e1cbf6a46b10a26768c51";

    /// A valid method named `name` (in its right file) with `rest` appended.
    fn method_yaml(name: &str, rest: &str) -> String {
        format!(
            "method: {name}\nsource:\n  path: a/b.md\n  commit: {COMMIT}\ntitle: T\nsummary: S\n\
             scope: crm\nread_only: true\n{rest}"
        )
    }

    struct Files {
        methods: Vec<(PathBuf, String, Method)>,
        types: Vec<(PathBuf, String, TypeDef)>,
        events: Vec<(PathBuf, String, Event)>,
        api: Option<(String, Api)>,
    }

    impl Files {
        fn new() -> Files {
            Files {
                methods: Vec::new(),
                types: Vec::new(),
                events: Vec::new(),
                api: None,
            }
        }

        /// An event at `file` (or its right file when `None`) from its full YAML.
        fn event_at(mut self, file: Option<&str>, text: &str) -> Files {
            let e: Event = serde_yaml::from_str(text).unwrap();
            let file = file
                .map(str::to_owned)
                .or_else(|| expected_event_file(&e))
                .unwrap();
            self.events.push((PathBuf::from(file), text.to_owned(), e));
            self
        }

        fn method(mut self, name: &str, rest: &str) -> Files {
            let text = method_yaml(name, rest);
            let m: Method = serde_yaml::from_str(&text).unwrap();
            self.methods.push((PathBuf::from(m.file()), text, m));
            self
        }

        fn method_at(mut self, file: &str, name: &str, rest: &str) -> Files {
            let text = method_yaml(name, rest);
            let m: Method = serde_yaml::from_str(&text).unwrap();
            self.methods.push((PathBuf::from(file), text, m));
            self
        }

        fn shared(mut self, file: &str, text: &str) -> Files {
            let t: TypeDef = serde_yaml::from_str(text).unwrap();
            self.types.push((PathBuf::from(file), text.to_owned(), t));
            self
        }

        fn api(mut self, text: &str) -> Files {
            self.api = Some((text.to_owned(), serde_yaml::from_str(text).unwrap()));
            self
        }

        /// Every diagnostic as `file:line: path: message`, sorted.
        fn run(&self) -> Vec<String> {
            let input = Input {
                api: self.api.as_ref().map(|(t, a)| Unit {
                    file: Path::new("api.yaml"),
                    source: Some(t),
                    value: a,
                }),
                methods: self
                    .methods
                    .iter()
                    .map(|(p, t, m)| Unit {
                        file: p,
                        source: Some(t),
                        value: m,
                    })
                    .collect(),
                types: self
                    .types
                    .iter()
                    .map(|(p, t, d)| Unit {
                        file: p,
                        source: Some(t),
                        value: d,
                    })
                    .collect(),
                events: self
                    .events
                    .iter()
                    .map(|(p, t, e)| Unit {
                        file: p,
                        source: Some(t),
                        value: e,
                    })
                    .collect(),
            };
            let mut d = validate(&input);
            d.sort();
            d.iter().map(ToString::to_string).collect()
        }
    }

    /// The diagnostics of one method `crm.item.list` with `rest`.
    fn one(rest: &str) -> Vec<String> {
        Files::new().method("crm.item.list", rest).run()
    }

    fn assert_one(diags: &[String], needle: &str) {
        assert_eq!(diags.len(), 1, "{diags:#?}");
        assert!(diags[0].contains(needle), "{diags:#?}\nwanted: {needle}");
    }

    const RESULT_INT: &str = "result:\n  type: integer\n";

    #[test]
    fn valid_method_has_no_diagnostics() {
        assert_eq!(one(RESULT_INT), Vec::<String>::new());
    }

    #[test]
    fn an_absent_date_is_null_an_empty_string_or_false() {
        let dt = TypeExpr::parse("datetime").unwrap();
        let int = TypeExpr::parse("integer").unwrap();
        assert!(is_none_like(&Value::Bool(false), &dt));
        assert!(is_none_like(&Value::Null, &dt));
        assert!(!is_none_like(&Value::Bool(true), &dt));
        assert!(!is_none_like(&Value::Bool(false), &int));
        assert!(is_none_like(&Value::String(String::new()), &int));
    }

    #[test]
    fn method_names() {
        assert_eq!(method_name_fault("crm.calllist.add"), None);
        assert_eq!(method_name_fault("user"), None);
        assert_eq!(method_name_fault("sonet_group.user.add"), None);
        assert_eq!(method_name_fault("im.v2.Chat.get"), None);
        for bad in [
            "",
            "crm..add",
            ".crm",
            "crm.",
            "1crm.add",
            "crm._item",
            "crm.ad d",
        ] {
            assert!(method_name_fault(bad).is_some(), "{bad}");
        }
    }

    #[test]
    fn module_clashes() {
        let d = Files::new()
            .method("catalog.price.add", RESULT_INT)
            .method_at(
                "methods/CATALOG/CATALOG.price.get.yaml",
                "CATALOG.price.get",
                RESULT_INT,
            )
            .run();
        assert_one(
            &d,
            "`catalog` (of `catalog.price.add`) and `CATALOG` (of `CATALOG.price.get`) both become the module `catalog`",
        );
        let d = Files::new()
            .method("sonet_group.get", RESULT_INT)
            .method("sonetGroup.list", RESULT_INT)
            .run();
        assert_one(&d, "both become the module `sonet_group`");
        // One report per pair of spellings, however many methods share them.
        let d = Files::new()
            .method("catalog.price.add", RESULT_INT)
            .method("catalog.price.list", RESULT_INT)
            .method_at(
                "methods/CATALOG/CATALOG.price.get.yaml",
                "CATALOG.price.get",
                RESULT_INT,
            )
            .run();
        assert_eq!(d.len(), 1, "{d:#?}");
    }

    #[test]
    fn aliases_must_be_unique() {
        let d = Files::new()
            .method(
                "crm.a.list",
                &format!("aliases:\n- crm.b.list\n{RESULT_INT}"),
            )
            .method("crm.b.list", RESULT_INT)
            .run();
        assert_one(
            &d,
            "alias `crm.b.list` is the name of the method defined in `methods/crm/crm.b.list.yaml`",
        );
        let d = Files::new()
            .method(
                "crm.a.list",
                &format!("aliases:\n- crm.x.list\n{RESULT_INT}"),
            )
            .method(
                "crm.b.list",
                &format!("aliases:\n- crm.x.list\n{RESULT_INT}"),
            )
            .run();
        assert_one(&d, "alias `crm.x.list` is also an alias of `crm.a.list`");
        let d = one(&format!("aliases:\n- crm.item.list\n{RESULT_INT}"));
        assert_one(&d, "repeats the method's own name");
        let d = one(&format!("aliases:\n- crm.item-list\n{RESULT_INT}"));
        assert_one(&d, "invalid alias `crm.item-list`");
    }

    #[test]
    fn duplicate_method_reported_once_on_the_misplaced_file() {
        let d = Files::new()
            .method_at("methods/crm/zzz.yaml", "crm.item.list", RESULT_INT)
            .method("crm.item.list", RESULT_INT)
            .run();
        assert_one(
            &d,
            "methods/crm/zzz.yaml:1: crm.item.list › method: method `crm.item.list` is defined twice: also in `methods/crm/crm.item.list.yaml`",
        );
    }

    #[test]
    fn type_named_like_a_child_request() {
        let d = Files::new()
            .method(
                "crm.calllist",
                "params:\n- name: X\n  type: Add\nresult:\n  type: integer\ntypes:\n- name: Add\n  values:\n  - value: A\n",
            )
            .method("crm.calllist.add", RESULT_INT)
            .run();
        assert_one(
            &d,
            "the request struct of `crm.calllist.add` (`bitrix24::crm::calllist::Add`)",
        );
        // A grandchild does not share the module.
        let d = Files::new()
            .method(
                "crm",
                "params:\n- name: X\n  type: Add\nresult:\n  type: integer\ntypes:\n- name: Add\n  values:\n  - value: A\n",
            )
            .method("crm.calllist.add", RESULT_INT)
            .run();
        assert_eq!(d, Vec::<String>::new());
    }

    const ENUM_PARAM: &str =
        "params:\n- name: X\n  type: T\nresult:\n  type: integer\ntypes:\n- name: T\n";

    #[test]
    fn type_definitions() {
        let d = one(&format!(
            "{ENUM_PARAM}  repr: string\n  fields:\n  - name: A\n    type: string\n"
        ));
        assert_one(&d, "`repr` applies only to enums");
        let d = one(ENUM_PARAM);
        assert_one(&d, "has neither `fields` nor `values`");
        let d = one(&format!("{ENUM_PARAM}  values: []\n"));
        assert_one(&d, "enum `T` has no values");

        let d = one(&format!("{ENUM_PARAM}  fields: []\n"));
        assert_eq!(d, Vec::<String>::new());
        // Values without letters or digits are spelled out by rule (`naming::symbol_name`).
        let d = one(&format!(
            "{ENUM_PARAM}  values:\n  - value: '-'\n  - value: '<='\n  - value: ''\n"
        ));
        assert_eq!(d, Vec::<String>::new());
        let d = one(&format!(
            "{ENUM_PARAM}  values:\n  - value: '-'\n  - value: Dash\n"
        ));
        assert_one(
            &d,
            "values `-` (types › T › values › -, line 17) and `Dash`",
        );
        let d = one(&format!(
            "{ENUM_PARAM}  values:\n  - value: '-'\n    name: Dash\n"
        ));
        assert_eq!(d, Vec::<String>::new());
        let d = one(&format!("{ENUM_PARAM}  values:\n  - value: Aз\n"));
        assert_one(&d, "not an ASCII identifier");
        let d = one(&format!(
            "{ENUM_PARAM}  repr: integer\n  values:\n  - value: '1'\n    name: Lead\n  - value: '-2'\n    name: Deal\n"
        ));
        assert_eq!(d, Vec::<String>::new());
        let d = one(&format!(
            "{ENUM_PARAM}  values:\n  - value: A\n- name: T\n  values:\n  - value: B\n"
        ));
        assert_one(
            &d,
            "type `T` is defined twice in this method (first at types › T, line 15)",
        );
    }

    #[test]
    fn type_names() {
        let with = |name: &str| {
            one(&format!(
                "params:\n- name: X\n  type: {name}\nresult:\n  type: integer\ntypes:\n- name: {name}\n  values:\n  - value: A\n"
            ))
        };
        // Reserved words are escaped by the generator, not rejected.
        for ok in ["Self", "Option", "V1", "Fields"] {
            assert_eq!(with(ok), Vec::<String>::new(), "{ok}");
        }
        assert_one(&with("EntityTYPE"), "write `EntityType`");
        assert_one(&with("HTTPStatus"), "write `HttpStatus`");
    }

    #[test]
    fn unused_types_and_reachability() {
        // Reached through another type's field: fine.
        let rest = "result:\n  type: R\ntypes:\n- name: R\n  fields:\n  - name: S\n    type: S[]\n- name: S\n  values:\n  - value: A\n";
        assert_eq!(one(rest), Vec::<String>::new());
        // Two types referring to each other but unreached: both unused.
        let rest = "result:\n  type: integer\ntypes:\n- name: A\n  fields:\n  - name: B\n    type: B[]\n- name: B\n  fields:\n  - name: A\n    type: A | null\n";
        let d = one(rest);
        assert_eq!(d.len(), 2, "{d:#?}");
        assert!(d.iter().all(|x| x.contains("unused type")));
    }

    #[test]
    fn infinite_size() {
        // A tree nests a list: fine.
        let tree = "result:\n  type: Node\ntypes:\n- name: Node\n  fields:\n  - name: children\n    type: Node[]\n  - name: byId\n    type: map<Node>\n";
        assert_eq!(one(tree), Vec::<String>::new());
        // A field holding its own type, even optional or nullable: refused.
        let own = "result:\n  type: Desc\ntypes:\n- name: Desc\n  fields:\n  - name: title\n    type: string\n  - name: type\n    type: Desc | null\n";
        assert_one(
            &one(own),
            "crm.item.list › types › Desc › fields › type › type: type `Desc` has infinite size: `Desc.type` → `Desc` holds a `Desc` inside itself",
        );
        // A cycle through two types: reported once, on the one that sorts first.
        let two = "result:\n  type: B\ntypes:\n- name: B\n  fields:\n  - name: a\n    type: A\n- name: A\n  fields:\n  - name: b\n    type: B\n    required: true\n";
        assert_one(&one(two), "type `A` has infinite size: `A.b` → `B.a` → `A`");
    }

    #[test]
    fn unknown_type_without_any_types() {
        let d = one("result:\n  type: Fields\n");
        assert_one(&d, "unknown type `Fields`: no named types are defined here");
        let d = one("result:\n  type: Integer\n");
        assert_one(
            &d,
            "unknown type `Integer`: scalar types are lowercase; did you mean `integer`?",
        );
        let d = one("result:\n  type: Datetim\n");
        assert_one(&d, "Did you mean `datetime`?");
    }

    #[test]
    fn field_names() {
        let d = one("params:\n- name: ''\n  type: string\nresult:\n  type: integer\n");
        assert_one(&d, "parameter name is empty");
        let d = one("params:\n- name: '*'\n  type: string\nresult:\n  type: integer\n");
        assert_one(&d, "has no ASCII letters or digits");
        let d = one(
            "params:\n- name: A\n  type: string\n- name: A\n  type: string\nresult:\n  type: integer\n",
        );
        assert_one(
            &d,
            "duplicate parameter `A`: already declared at params › A, line 10",
        );
        let d = one(
            "params:\n- name: ownerTypeId\n  type: string\n- name: OWNER_TYPE_ID\n  type: string\nresult:\n  type: integer\n",
        );
        // Plain names that collide are resolved by rule; explicit `rust_name`s are not.
        assert_eq!(d, Vec::<String>::new());
        let d = one(
            "params:\n- name: A\n  rust_name: x\n  type: string\n- name: B\n  rust_name: x\n  type: string\nresult:\n  type: integer\n",
        );
        assert_one(&d, "both become the Rust name `x`");
    }

    #[test]
    fn wire_formats() {
        let ok = [
            ("boolean", "yn"),
            ("boolean | null", "int01"),
            ("boolean[]", "yn"),
            ("integer", "string"),
            ("double | null", "string"),
            ("timestamp", "string"),
        ];
        for (ty, wire) in ok {
            let d = one(&format!(
                "params:\n- name: X\n  type: {ty}\n  wire: {wire}\nresult:\n  type: integer\n"
            ));
            assert_eq!(d, Vec::<String>::new(), "{ty} {wire}");
        }
        let bad = [
            ("string", "string"),
            ("integer", "yn"),
            ("any", "int01"),
            ("date", "string"),
        ];
        for (ty, wire) in bad {
            let d = one(&format!(
                "params:\n- name: X\n  type: {ty}\n  wire: {wire}\nresult:\n  type: integer\n"
            ));
            assert_one(&d, &format!("`wire: {wire}` applies only to"));
        }
    }

    #[test]
    fn list_facts() {
        let types = "types:\n- name: Item\n  fields:\n  - name: ID\n    type: integer\n  - name: TITLE\n    type: string\n- name: Page\n  fields:\n  - name: items\n    type: Item[]\n";
        let ok = format!(
            "list:\n  page_size: 50\n  items: items\n  id_field: ID\nresult:\n  type: Page\n{types}"
        );
        assert_eq!(one(&ok), Vec::<String>::new());
        let d = one(&format!(
            "list:\n  page_size: 0\n  items: items\nresult:\n  type: Page\n{types}"
        ));
        assert_one(&d, "`page_size` must be greater than 0");
        let d = one(&format!(
            "list:\n  page_size: 50\n  items: items\n  id_field: Id\nresult:\n  type: Page\n{types}"
        ));
        assert_one(
            &d,
            "`id_field` `Id` is not a field of the list item type `Item`; its fields are `ID`, `TITLE`. Did you mean `ID`?",
        );
        let d = one(&format!(
            "list:\n  page_size: 50\n  items: tasks\nresult:\n  type: Page\n{types}"
        ));
        assert_one(&d, "`result` is a `Page`, which has no field `tasks`");
        let d = one(&format!(
            "list:\n  page_size: 50\nresult:\n  type: Page\n{types}"
        ));
        assert_one(&d, "the list items at `result` must be an array");
        // Direct arrays and loose types.
        let d = one(&format!(
            "list:\n  page_size: 50\n  id_field: ID\nresult:\n  type: Item[]\n{types}- name: Unused\n  values:\n  - value: A\n"
        ));
        assert!(d.iter().all(|x| x.contains("unused type")), "{d:#?}");
        let d =
            one("list:\n  page_size: 50\n  items: a.b\n  id_field: ID\nresult:\n  type: object\n");
        assert_eq!(d, Vec::<String>::new());
    }

    #[test]
    fn errors_and_provenance() {
        // The method's only empty-code error needs no message: nothing to tell apart.
        let d = one(&format!("{RESULT_INT}errors:\n- code: ''\n"));
        assert_eq!(d, Vec::<String>::new());
        let d = one(&format!(
            "{RESULT_INT}errors:\n- code: ''\n- code: ''\n  message: Access denied\n"
        ));
        assert_one(&d, "error code is empty and no `message`");
        let d = one(&format!(
            "{RESULT_INT}errors:\n- code: ''\n  message: Not found\n- code: ''\n  message: Access denied\n"
        ));
        assert_eq!(d, Vec::<String>::new());
        let d = one(&format!(
            "{RESULT_INT}errors:\n- code: A\n- status: 400\n  code: A\n- code: A\n"
        ));
        assert_one(
            &d,
            "error `A` with no status is documented twice (first at errors › A, line 12)",
        );
        let api = format!(
            "docs:\n  repository: a/b\n  commit: {COMMIT}\n  date: d\n  base_url: u\nsystem_errors:\n- status: 503\n  code: X\n- status: 503\n  code: X\n"
        );
        let d = Files::new().api(&api).run();
        assert_one(
            &d,
            "api.yaml:9: system_errors › X: error `X` with status 503 is documented twice",
        );
        let text = method_yaml("crm.item.list", RESULT_INT).replace("a/b.md", "''");
        let m: Method = serde_yaml::from_str(&text).unwrap();
        let mut f = Files::new();
        f.methods
            .push((PathBuf::from("methods/crm/crm.item.list.yaml"), text, m));
        assert_one(&f.run(), "source path is empty");
        assert!(is_commit(COMMIT) && is_commit(&COMMIT.to_uppercase()));
        assert!(!is_commit("229f6887c3ba3d34a66e1cbf6a46b10a26768c5g"));
    }

    #[test]
    fn shared_types() {
        let used = "params:\n- name: U\n  type: User\nresult:\n  type: integer\n";
        let user =
            "name: User\nfields:\n- name: ID\n  type: integer\n- name: STATUS\n  type: Status\n";
        let status = "name: Status\nvalues:\n- value: A\n";
        let d = Files::new()
            .method("crm.item.list", used)
            .shared("types/User.yaml", user)
            .shared("types/Status.yaml", status)
            .run();
        assert_eq!(d, Vec::<String>::new());
        let d = Files::new()
            .method("crm.item.list", RESULT_INT)
            .shared("types/Status.yaml", status)
            .run();
        assert_one(&d, "unused shared type `Status`");
        let d = Files::new()
            .method(
                "crm.item.list",
                "params:\n- name: S\n  type: Status\nresult:\n  type: integer\n",
            )
            .shared("types/status.yaml", status)
            .run();
        assert_one(&d, "move it to `types/Status.yaml`");
        let d = Files::new()
            .method("crm.item.list", used)
            .shared(
                "types/User.yaml",
                "name: User\nfields:\n- name: X\n  type: Local\n",
            )
            .run();
        assert_one(
            &d,
            "types/User.yaml:4: User › fields › X › type: unknown type `Local`",
        );
    }

    fn fit(ty: &str, json: &str, types: &str) -> Result<(), String> {
        let defs: Vec<TypeDef> = if types.is_empty() {
            Vec::new()
        } else {
            serde_yaml::from_str(types).unwrap()
        };
        let local = table(&defs);
        let shared = Table::new();
        let f = Fit {
            scope: Scope {
                local: Some(&local),
                shared: &shared,
                owner: "this method",
            },
        };
        let v: Value = serde_json::from_str(json).unwrap();
        f.value(&v, &TypeExpr::parse(ty).unwrap(), "$.result")
    }

    #[test]
    fn lenient_fit() {
        let ok = [
            ("integer", "5"),
            ("integer", "\"-12\""),
            ("integer", "3.0"),
            ("integer", "\"7.0\""),
            ("timestamp", "\"1752472268\""),
            ("double", "1.5"),
            ("double", "\"1.5\""),
            ("boolean", "true"),
            ("boolean", "\"Y\""),
            ("boolean", "\"n\""),
            ("boolean", "\"false\""),
            ("boolean", "0"),
            ("boolean", "\"1\""),
            ("string", "\"x\""),
            ("string", "12"),
            ("date", "\"2024-05-01\""),
            ("datetime", "\"2024-05-01T10:00:00+03:00\""),
            ("datetime", "\"2024-05-01 10:00:00\""),
            ("datetime | null", "\"\""),
            ("char", "\"Y\""),
            ("object", "{}"),
            ("object", "[]"),
            ("map<integer>", "[]"),
            ("map<integer>", "{\"a\": \"1\"}"),
            ("integer[]", "[1, \"2\"]"),
            ("integer[]", "{\"0\": 1, \"1\": \"2\"}"),
            ("integer | null", "null"),
            ("integer | null", "\"\""),
            ("string | null", "\"\""),
            ("(integer | null)[]", "[null, 1]"),
            ("any", "[{}]"),
            ("file", "[\"a.png\", \"AAAA\"]"),
        ];
        for (ty, json) in ok {
            assert_eq!(fit(ty, json, ""), Ok(()), "{ty} {json}");
        }
        let bad = [
            (
                "integer",
                "\"abc\"",
                "$.result: expected integer, found \"abc\"",
            ),
            ("integer", "1.5", "found 1.5"),
            ("integer", "18446744073709551615", "expected integer"),
            ("integer", "\"\"", "expected integer, found \"\""),
            ("integer", "null", "found null"),
            ("double", "\"NaN\"", "expected double"),
            ("boolean", "\"yes\"", "expected boolean"),
            ("boolean", "2", "expected boolean"),
            ("date", "true", "expected date"),
            ("string", "{}", "found an object"),
            ("object", "\"x\"", "expected object"),
            // A non-empty array never passes as an object (strict round trips).
            (
                "object",
                "[1, \"a\"]",
                "$.result: expected object, found an array",
            ),
            (
                "map<integer>",
                "[\"1\", 2]",
                "$.result: expected map<integer>, found an array",
            ),
            ("integer[]", "[1, \"x\"]", "$.result[1]: expected integer"),
            (
                "integer[]",
                "{\"a b\": \"x\"}",
                "$.result[\"a b\"]: expected integer",
            ),
            ("integer[]", "5", "expected integer[], found 5"),
            ("file", "\"a.png\"", "expected file"),
            ("file", "[\"a.png\"]", "expected file"),
        ];
        for (ty, json, want) in bad {
            let e = fit(ty, json, "").unwrap_err();
            assert!(e.contains(want), "{ty} {json}: {e}");
        }
    }

    #[test]
    fn lenient_fit_named() {
        let types = "- name: Page\n  fields:\n  - name: items\n    type: Item[]\n    required: true\n- name: Item\n  fields:\n  - name: ID\n    type: integer\n    required: true\n  - name: NOTE\n    type: string\n  - name: KIND\n    type: Kind\n  - name: DATE\n    type: date | null\n    required: true\n- name: Kind\n  values:\n  - value: A\n";
        let ok = [
            r#"{"items": []}"#,
            r#"{"items": [{"ID": "1", "NOTE": null, "UF_CRM_1": {}}, {"ID": 2, "KIND": "UNLISTED"}]}"#,
            r#"{"items": [{"ID": 1, "KIND": 7}, {"ID": 2, "KIND": ""}]}"#,
        ];
        for json in ok {
            assert_eq!(fit("Page", json, types), Ok(()), "{json}");
        }
        let items = r#"{"items": [{"ID": 1}, {"ID": 2}, {"ID": 3}, {"ID": "abc"}]}"#;
        assert_eq!(
            fit("Page", items, types),
            Err("$.result.items[3].ID: expected integer, found \"abc\"".into())
        );
        let e = fit("Page", r#"{"items": [{"ID": null}]}"#, types).unwrap_err();
        assert!(
            e.contains("$.result.items[0].ID: expected integer, found null"),
            "{e}"
        );
        let e = fit("Page", r#"{"items": [{"NOTE": "x"}]}"#, types).unwrap_err();
        assert_eq!(
            e,
            "$.result.items[0]: missing the required field `ID` of Item"
        );
        let e = fit("Page", r#"{"items": [{"ID": 1, "KIND": true}]}"#, types).unwrap_err();
        assert!(
            e.contains("expected Kind (an enum: a string or integer), found true"),
            "{e}"
        );
        let e = fit("Page", r#"{"items": [{"ID": 1, "KIND": 1.5}]}"#, types).unwrap_err();
        assert!(e.contains("found 1.5"), "{e}");
        let e = fit("Page", r#""x""#, types).unwrap_err();
        assert!(e.contains("expected Page (an object)"), "{e}");
        // Generated structs decode `[]` (PHP's empty object) as an empty one: their
        // required fields are missing; a non-empty list is not an object.
        let e = fit("Page", "[]", types).unwrap_err();
        assert_eq!(e, "$.result: missing the required field `items` of Page");
        assert_eq!(
            fit(
                "Kind2",
                "[]",
                "- name: Kind2\n  fields:\n  - name: A\n    type: string\n"
            ),
            Ok(())
        );
        let e = fit("Page", r#"[{"items": []}]"#, types).unwrap_err();
        assert!(e.contains("expected Page (an object), found"), "{e}");
        // An optional object's `false` is PHP's "none"; an enum's is not.
        let holder = format!(
            "{types}- name: Holder\n  fields:\n  - name: page\n    type: Page\n  - name: map\n    type: map<string>\n  - name: kind\n    type: Kind\n"
        );
        assert_eq!(
            fit("Holder", r#"{"page": false, "map": false}"#, &holder),
            Ok(())
        );
        assert!(fit("Holder", r#"{"page": true}"#, &holder).is_err());
        assert!(fit("Holder", r#"{"kind": false}"#, &holder).is_err());
        // Recursive types terminate with the JSON.
        let tree = "- name: Node\n  fields:\n  - name: children\n    type: Node[]\n";
        assert_eq!(
            fit("Node", r#"{"children": [{"children": [{}]}]}"#, tree),
            Ok(())
        );
    }

    #[test]
    fn examples() {
        let m = |examples: &str| {
            one(&format!(
                "params:\n- name: ID\n  type: integer\n  required: true\n{RESULT_INT}examples:\n{examples}"
            ))
        };
        let d = m("  request:\n  - json: '{\"auth\": \"t\"}'\n");
        assert_one(
            &d,
            "$: the request example lacks the required parameter `ID`",
        );
        let d = m("  request:\n  - json: '[1]'\n");
        assert_one(
            &d,
            "a request example must be a JSON object of parameters, found an array",
        );
        let d = m("  request:\n  - json: '{\"ID\": 1, \"auth\": \"t\"}'\n");
        assert_eq!(d, Vec::<String>::new());
        let d = m("  request:\n  - json: '{\"ID\": \"x\"}'\n    skip_round_trip: docs send junk\n");
        assert_eq!(d, Vec::<String>::new());
        let d = m(
            "  response:\n  - json: '{\"result\": \"x\"}'\n    skip_round_trip: docs send junk\n",
        );
        assert_eq!(d, Vec::<String>::new());
        let d = m("  response:\n  - json: '{\"result\": '\n    skip_round_trip: still JSON\n");
        assert_one(
            &d,
            "invalid JSON at line 1 column 11 of the example: EOF while parsing a value;",
        );
        let d = m("  response:\n  - json: '{\"time\": {}}'\n");
        assert_one(
            &d,
            "a response example must be a JSON object with a `result` key, found an object",
        );
        let d = m("  error:\n  - json: '{\"error_description\": \"x\"}'\n");
        assert_one(
            &d,
            "an error example must be a JSON object with an `error` key",
        );
        let d = m("  error:\n  - json: '{\"error\": \"X\", \"error_description\": \"x\"}'\n");
        assert_eq!(d, Vec::<String>::new());
        let d = one("result:\n  type: integer\nexamples:\n  request:\n  - json: '{\"A\": 1}'\n");
        assert_one(
            &d,
            "$.A: unknown parameter `A` in the request example; the method has no parameters",
        );
    }

    #[test]
    fn result_disjoint_from_its_example() {
        let with = |ty: &str, json: &str| {
            one(&format!(
                "result:\n  type: {ty}\ntypes:\n- name: Deal\n  fields:\n  - name: ID\n    type: integer\n  - name: TITLE\n    type: string\nexamples:\n  response:\n  - json: '{json}'\n"
            ))
        };
        // A wrapper key the spec does not model.
        assert_one(
            &with("Deal", r#"{"result": {"item": {"ID": 1}}}"#),
            "$.result: none of the fields of `Deal` (`ID`, `TITLE`) occurs in the example, whose keys are `item`;",
        );
        assert_one(
            &with("Deal[]", r#"{"result": [{"id": 1, "title": "x"}]}"#),
            "$.result[*]: none of the fields of `Deal` (`ID`, `TITLE`) occurs in the example, whose keys are `id`, `title`;",
        );
        // One documented field is enough; empty results say nothing.
        assert_eq!(
            with("Deal", r#"{"result": {"ID": 1, "X": 2}}"#),
            Vec::<String>::new()
        );
        assert_eq!(with("Deal", r#"{"result": {}}"#), Vec::<String>::new());
        assert_eq!(with("Deal[]", r#"{"result": []}"#), Vec::<String>::new());
        assert_eq!(
            with("Deal[]", r#"{"result": [{"UF_CRM_1": 1}]}"#),
            Vec::<String>::new()
        );
    }

    #[test]
    fn suggestions() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(closest("Fieldz", ["Fields", "EntityType"]), Some("Fields"));
        assert_eq!(
            closest("entity_typ", ["ENTITY_TYPE", "ID"]),
            Some("ENTITY_TYPE")
        );
        assert_eq!(closest("Completely", ["Fields", "EntityType"]), None);
    }

    /// A valid event `onCrmThingAdd` (scope `crm`) with `rest` appended.
    fn event_yaml(rest: &str) -> String {
        format!(
            "event: onCrmThingAdd\nsource:\n  path: a/b.md\n  commit: {COMMIT}\ntitle: T\nsummary: S\n\
             scope: crm\nbind:\n- event.bind\ndata:\n- name: FIELDS\n  type: Fields\ntypes:\n\
             - name: Fields\n  fields:\n  - name: ID\n    type: integer\n    required: true\n{rest}"
        )
    }

    const DELIVERY: &str = r#"{"event": "ONCRMTHINGADD", "data": {"FIELDS": {"ID": "5"}}, "ts": "1", "auth": {"domain": "d", "client_endpoint": "c", "server_endpoint": "s", "member_id": "m", "application_token": "t"}}"#;

    fn one_event(rest: &str) -> Vec<String> {
        Files::new().event_at(None, &event_yaml(rest)).run()
    }

    #[test]
    fn valid_event_has_no_diagnostics() {
        let examples = format!("examples:\n- json: '{DELIVERY}'\n");
        assert_eq!(one_event(&examples), Vec::<String>::new());
        // `bind` names a method of the spec when the spec has its namespace.
        let d = Files::new()
            .method("event.bind", RESULT_INT)
            .event_at(None, &event_yaml(""))
            .run();
        assert_eq!(d, Vec::<String>::new());
    }

    #[test]
    fn event_names_and_files() {
        assert_eq!(event_name_fault("onCrmActivityAdd"), None);
        assert_eq!(event_name_fault("ONAPPINSTALL"), None);
        assert_eq!(event_name_fault("CATALOG.PRODUCT.ON.ADD"), None);
        for bad in [
            "",
            "on",
            "crmActivityAdd",
            "on.crm",
            "onCrm-Add",
            "ON.ADD",
            "catalog.on.add",
            "A..ON.B",
        ] {
            assert!(event_name_fault(bad).is_some(), "{bad}");
        }
        let d = Files::new()
            .event_at(Some("events/bizproc/onCrmThingAdd.yaml"), &event_yaml(""))
            .run();
        assert_one(&d, "move it to `events/crm/onCrmThingAdd.yaml`");
        // The same event in another case is a duplicate: deliveries ignore case.
        let upper = event_yaml("").replace("event: onCrmThingAdd", "event: ONCRMTHINGADD");
        let d = Files::new()
            .event_at(None, &event_yaml(""))
            .event_at(None, &upper)
            .run();
        assert_one(
            &d,
            "events/crm/onCrmThingAdd.yaml:1: onCrmThingAdd › event: event `onCrmThingAdd` is defined twice: also in `events/crm/ONCRMTHINGADD.yaml` as `ONCRMTHINGADD` (deliveries are matched ignoring case",
        );
        let d = one_event("").len();
        assert_eq!(d, 0);
        // No scope in the docs: the event lives in `events/_/`.
        let no_scope = event_yaml("").replace("scope: crm", "scope: ''");
        let d = Files::new()
            .event_at(Some("events/crm/onCrmThingAdd.yaml"), &no_scope)
            .run();
        assert_one(&d, "move it to `events/_/onCrmThingAdd.yaml`");
        let d = Files::new()
            .event_at(Some("events/_/onCrmThingAdd.yaml"), &no_scope)
            .run();
        assert_eq!(d, Vec::<String>::new());
        let bad_scope = event_yaml("").replace("scope: crm", "scope: 'c r m'");
        let d = Files::new()
            .event_at(Some("events/crm/onCrmThingAdd.yaml"), &bad_scope)
            .run();
        assert!(d.iter().any(|x| x.contains("names no folder")), "{d:#?}");
    }

    #[test]
    fn event_types_and_bind() {
        let d = one_event("- name: Unused\n  values:\n  - value: A\n");
        assert_one(
            &d,
            "unused type `Unused`: no data key, or a type they use, refers to it",
        );
        let clash = event_yaml("").replace("Fields", "OnCrmThingAddData");
        assert_one(
            &Files::new().event_at(None, &clash).run(),
            "has the name of a type generated for the event",
        );
        let d = Files::new()
            .method("event.bind", RESULT_INT)
            .event_at(None, &event_yaml("").replace("- event.bind", "- event.bnd"))
            .run();
        assert_one(
            &d,
            "`event.bnd` is not a method of the spec, which has `event.bind` of `event.*`. Did you mean `event.bind`?",
        );
        let d = one_event("").len();
        assert_eq!(d, 0);
        let d = Files::new()
            .event_at(
                None,
                &event_yaml("").replace("- event.bind", "- event..bind"),
            )
            .run();
        assert_one(&d, "invalid method name `event..bind`");
        // A method `events.*` lives in `bitrix24::events_` (`naming::top_module`).
        let d = Files::new()
            .method("events.list", RESULT_INT)
            .event_at(None, &event_yaml(""))
            .run();
        assert_eq!(d, Vec::<String>::new());
    }

    #[test]
    fn event_deliveries() {
        let with = |json: &str| one_event(&format!("examples:\n- json: '{json}'\n"));
        let d = with(&DELIVERY.replace("ONCRMTHINGADD", "onCrmThingUpdate"));
        assert_one(
            &d,
            "$.event: the delivery example is of event `onCrmThingUpdate`, not `onCrmThingAdd`",
        );
        let d = with(&DELIVERY.replace(r#""ID": "5""#, r#""ID": "x""#));
        assert_one(&d, "$.data.FIELDS.ID: expected integer, found \"x\"");
        let d = with(&DELIVERY.replace(r#""ID": "5""#, r#""NAME": "x""#));
        assert_one(
            &d,
            "$.data.FIELDS: missing the required field `ID` of Fields",
        );
        let d = with(&DELIVERY.replace("FIELDS", "FIELD"));
        assert_one(
            &d,
            "$.data.FIELD: unknown data key `FIELD` in the delivery example; known data keys: `FIELDS`. Did you mean `FIELDS`?",
        );
        let d = with(&DELIVERY.replace(r#""member_id": "m", "#, ""));
        assert_one(
            &d,
            "$.auth: lacks `member_id`, which every delivery carries",
        );
        let d = with(r#"{"event": "onCrmThingAdd", "auth": "t"}"#);
        assert_one(&d, "$.auth: expected an object");
        let d = with("[1]");
        assert_one(&d, "a delivery example must be a JSON object");
        let d = with(&DELIVERY.replace(r#""event": "ONCRMTHINGADD", "#, ""));
        assert_one(&d, "$: the delivery example has no `event` key");
    }

    #[test]
    fn event_data_as_a_value() {
        // `data_type`: `data` is a value (`OnImConnectorLineDelete`: the line's ID).
        let event = |data_type: &str, keys: bool, data: &str| {
            let mut yaml = event_yaml("").replace("data:\n- name: FIELDS\n  type: Fields\n", "");
            yaml = yaml.replace("types:\n- name: Fields\n  fields:\n  - name: ID\n    type: integer\n    required: true\n", "");
            if keys {
                yaml.push_str("data:\n- name: ID\n  type: integer\n");
            }
            let delivery = DELIVERY.replace(r#"{"FIELDS": {"ID": "5"}}"#, data);
            yaml.push_str(&format!(
                "data_type: {data_type}\nexamples:\n- json: '{delivery}'\n"
            ));
            Files::new().event_at(None, &yaml).run()
        };
        assert_eq!(event("integer", false, "107"), Vec::<String>::new());
        assert_one(
            &event("integer", false, r#""x""#),
            "$.data: expected integer, found \"x\"",
        );
        assert_one(
            &event("Fields", false, "107"),
            "`data_type` `Fields` is not a scalar such as `integer` or `string`",
        );
        let d = event("integer", true, "107");
        assert!(
            d.iter().any(|x| x.contains("yet `data` lists keys")),
            "{d:?}"
        );
    }

    #[test]
    fn event_auth_in_api_yaml() {
        let api = format!(
            "docs:\n  repository: a/b\n  commit: {COMMIT}\n  date: d\n  base_url: u\nsystem_errors: []\nevent_auth:\n- name: domain\n  type: Text\n"
        );
        let d = Files::new().api(&api).run();
        assert_one(
            &d,
            "api.yaml:9: event_auth › domain › type: unknown type `Text`: no named types",
        );
    }

    #[test]
    fn validate_spec_locates_in_canonical_text() {
        let text = method_yaml(
            "crm.item.list",
            "params:\n- name: A\n  type: integer\n  wire: yn\nresult:\n  type: integer\n",
        );
        let spec = Spec {
            api: serde_yaml::from_str(&format!(
                "docs:\n  repository: a/b\n  commit: {COMMIT}\n  date: d\n  base_url: u\nsystem_errors: []\n"
            ))
            .unwrap(),
            methods: vec![super::super::MethodFile {
                path: PathBuf::from("methods/crm/crm.item.list.yaml"),
                method: serde_yaml::from_str(&text).unwrap(),
            }],
            types: Vec::new(),
            events: Vec::new(),
        };
        let d = validate_spec(&spec);
        assert_eq!(d.0.len(), 1, "{d}");
        assert_eq!(d.0[0].path, "crm.item.list › params › A › wire");
        let canonical = serde_yaml::to_string(&spec.methods[0].method).unwrap();
        let line = d.0[0].line.unwrap();
        assert_eq!(canonical.lines().nth(line - 1), Some("  wire: yn"));
    }
}
