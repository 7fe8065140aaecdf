//! Walks two validated specs and records every change with the rule that classifies it.
//!
//! Identity follows the generated Rust API: methods by name, parameters and object
//! fields by their Rust field name (so `ID` → `id` is a wire rename, not a removal plus
//! an addition), named types by name, enum values by their Rust variant, errors by code.
//! Rust types are computed with the generator's own [`ir::member_type`] and
//! [`TypeScope::rust`], so "the Rust type is the same" means exactly that.

use std::collections::{BTreeMap, BTreeSet};

use super::classify::{RuleId, TypeShift};
use super::{Change, Group};
use crate::generate::ir::{self, TypeScope};
use crate::generate::rust::error_code::{self, SYSTEM};
use crate::naming;
use crate::published::{Keep, Published, apply};
use crate::spec::types::{Scalar, TypeExpr};
use crate::spec::{ErrorDoc, Event, Example, Field, Method, Spec, TypeDef, WireFormat};

/// Every change between `base` and `head`, in report order.
pub fn diff(base: &Spec, head: &Spec) -> Vec<Change> {
    diff_with_users(base, head, None).0
}

/// [`diff`], plus the methods using each changed shared type. `published` is the last
/// release's record: both sides' `ErrorCode` keeps what it lists, and both sides' structs
/// the optional fields it lists that their spec dropped ([`Keep::All`]), as the generator
/// does.
pub fn diff_with_users(
    base: &Spec,
    head: &Spec,
    published: Option<&Published>,
) -> (Vec<Change>, BTreeMap<String, Vec<String>>) {
    diff_kept(base, head, published, Keep::All)
}

/// [`diff_with_users`] with the head side's structs keeping `head_keep` of the record's
/// fields: [`Keep::Next`] compares with what the next release generates, which drops the
/// fields the last release already kept (`cargo xtask release`).
pub fn diff_kept(
    base: &Spec,
    head: &Spec,
    published: Option<&Published>,
    head_keep: Keep,
) -> (Vec<Change>, BTreeMap<String, Vec<String>>) {
    // Both sides as the generator emits them with the record ([`apply`]).
    let kept = |spec: &Spec, keep: Keep| {
        let mut spec = spec.clone();
        apply(&mut spec, published, keep);
        naming::settle(&mut spec);
        spec
    };
    let (base, head) = (&kept(base, Keep::All), &kept(head, head_keep));
    let mut d = Differ::new(base, head, published);
    d.run();
    let mut users = BTreeMap::new();
    for c in &d.out {
        if let Group::SharedType(t) = &c.group {
            users.entry(t.clone()).or_insert_with(|| {
                let mut u = shared_type_users(head, t);
                if u.is_empty() {
                    u = shared_type_users(base, t);
                }
                u
            });
        }
    }
    (order(d.out), users)
}

/// Report order: groups by their most severe change (methods before shared types before
/// the crate at equal severity), then by name; inside a group, by class, keeping the walk
/// order otherwise.
fn order(changes: Vec<Change>) -> Vec<Change> {
    let mut groups: BTreeMap<Group, Vec<Change>> = BTreeMap::new();
    for c in changes {
        groups.entry(c.group.clone()).or_default().push(c);
    }
    let mut groups: Vec<(Group, Vec<Change>)> = groups.into_iter().collect();
    for (_, cs) in &mut groups {
        cs.sort_by_key(Change::class);
    }
    groups.sort_by(|(ga, a), (gb, b)| {
        let worst = |cs: &[Change]| cs.iter().map(Change::class).min();
        worst(a).cmp(&worst(b)).then_with(|| ga.cmp(gb))
    });
    groups.into_iter().flat_map(|(_, cs)| cs).collect()
}

/// Methods whose parameters, result or local types reach the shared type `name`.
pub fn shared_type_users(spec: &Spec, name: &str) -> Vec<String> {
    let shared: BTreeMap<&str, &TypeDef> =
        spec.types.iter().map(|t| (t.name.as_str(), t)).collect();
    let mut out = Vec::new();
    for mf in &spec.methods {
        let m = &mf.method;
        let local: BTreeMap<&str, &TypeDef> =
            m.types.iter().map(|t| (t.name.as_str(), t)).collect();
        let mut todo: Vec<String> = Vec::new();
        let push = |ty: &str, todo: &mut Vec<String>| {
            if let Ok(t) = TypeExpr::parse(ty) {
                t.for_each_named(&mut |n| todo.push(n.to_owned()));
            }
        };
        for p in &m.params {
            push(&p.ty, &mut todo);
        }
        push(&m.result.ty, &mut todo);
        let mut seen = BTreeSet::new();
        let mut reached = false;
        while let Some(n) = todo.pop() {
            if !seen.insert(n.clone()) {
                continue;
            }
            let def = match local.get(n.as_str()) {
                Some(d) => d,
                None => {
                    if n == name {
                        reached = true;
                        break;
                    }
                    match shared.get(n.as_str()) {
                        Some(d) => d,
                        None => continue,
                    }
                }
            };
            for f in def.fields.iter().flatten() {
                push(&f.ty, &mut todo);
            }
        }
        if reached {
            out.push(m.id().into_owned());
        }
    }
    out
}

/// `ErrorCode` as the generator builds it ([`error_code::variants`]), indexed for lookups
/// by normalised spelling ([`error_code::normalize`]).
#[derive(Debug, Default)]
struct ErrorIndex {
    /// Upper-case spelling → variant.
    by_upper: BTreeMap<String, String>,
    /// Upper-case spelling → the spelling first documented.
    spelled: BTreeMap<String, String>,
    /// Variant → who documents it (`system errors` or method names); every variant has
    /// an entry (empty for deprecated ones).
    sources: BTreeMap<String, Vec<String>>,
    /// Variants kept only by the published record (`#[deprecated]`).
    deprecated: BTreeSet<String>,
    /// Upper-case spellings kept only by the published record.
    kept: BTreeSet<String>,
}

/// The `ErrorCode` variants of `spec` and the upper-case spellings each matches, as the
/// differ sees them (tests compare this with the generated `error_code.rs`).
pub fn error_code_variants(spec: &Spec) -> BTreeMap<String, BTreeSet<String>> {
    let ix = ErrorIndex::new(spec, None);
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (upper, v) in ix.by_upper {
        out.entry(v).or_default().insert(upper);
    }
    out
}

impl ErrorIndex {
    /// Built from the generator's own grouping, so the two cannot drift apart.
    fn new(spec: &Spec, published: Option<&Published>) -> ErrorIndex {
        let mut ix = ErrorIndex::default();
        let documented: BTreeSet<String> = error_code::variants(spec)
            .values()
            .flat_map(|v| v.codes.iter().map(|c| error_code::normalize(c)))
            .collect();
        for (name, v) in error_code::variants_with(spec, published) {
            if v.deprecated {
                ix.deprecated.insert(name.clone());
            }
            for code in &v.codes {
                if !documented.contains(&error_code::normalize(code)) {
                    ix.kept.insert(error_code::normalize(code));
                }
            }
            for code in &v.codes {
                let key = error_code::normalize(code);
                ix.spelled
                    .entry(key.clone())
                    .or_insert_with(|| code.clone());
                ix.by_upper.entry(key).or_insert_with(|| name.clone());
            }
            ix.sources.insert(name, v.sources);
        }
        ix
    }

    fn variant(&self, code: &str) -> String {
        self.by_upper
            .get(&error_code::normalize(code))
            .cloned()
            .unwrap_or_else(|| error_code::variant_name(code))
    }

    fn has_spelling(&self, code: &str) -> bool {
        self.by_upper.contains_key(&error_code::normalize(code))
    }

    /// Who documents `variant`, except `except`, as text.
    fn sources_text(&self, variant: &str, except: &str) -> String {
        let list: Vec<String> = self
            .sources
            .get(variant)
            .into_iter()
            .flatten()
            .filter(|s| s.as_str() != except)
            .map(|s| {
                if s == SYSTEM {
                    s.clone()
                } else {
                    format!("`{s}`")
                }
            })
            .collect();
        match list.len() {
            0 if except == SYSTEM => "system errors (another spelling)".into(),
            0 => format!("`{except}` (another spelling)"),
            1..=3 => list.join(", "),
            n => format!("{} and {} more", list[..3].join(", "), n - 3),
        }
    }
}

/// A struct whose fields are being compared: a request or a named object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Subject {
    Param,
    Field,
}

impl Subject {
    fn rule(self, param: RuleId, field: RuleId) -> RuleId {
        match self {
            Subject::Param => param,
            Subject::Field => field,
        }
    }
}

/// One side's context for resolving types.
struct Side<'a> {
    scope: TypeScope<'a>,
}

struct Differ<'a> {
    base: &'a Spec,
    head: &'a Spec,
    base_errors: ErrorIndex,
    head_errors: ErrorIndex,
    /// `ErrorCode` variants and upper-case spellings whose appearance or disappearance a
    /// per-error change explains.
    explained: BTreeSet<String>,
    out: Vec<Change>,
}

/// A change under construction.
struct Draft<'g> {
    group: &'g Group,
    path: Vec<String>,
    rule: RuleId,
    before: Option<String>,
    after: Option<String>,
    shifts: Vec<TypeShift>,
    vars: Vec<(&'static str, String)>,
}

impl<'g> Draft<'g> {
    fn new(group: &'g Group, path: &[String], rule: RuleId) -> Self {
        Draft {
            group,
            path: path.to_vec(),
            rule,
            before: None,
            after: None,
            shifts: Vec::new(),
            vars: Vec::new(),
        }
    }

    fn before(mut self, v: impl Into<Option<String>>) -> Self {
        self.before = v.into();
        self
    }

    fn after(mut self, v: impl Into<Option<String>>) -> Self {
        self.after = v.into();
        self
    }

    fn var(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.vars.push((name, value.into()));
        self
    }
}

fn path(prefix: &[String], more: &[&str]) -> Vec<String> {
    prefix
        .iter()
        .cloned()
        .chain(more.iter().map(|s| (*s).to_owned()))
        .collect()
}

/// The Rust path of the shared types (`spec/types`).
const SHARED_PREFIX: &str = "bitrix24::types::";

/// A Rust type from the generator, without the fully qualified prefixes.
fn pretty(tokens: &proc_macro2::TokenStream) -> String {
    let s: String = tokens
        .to_string()
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let mut s = s;
    for prefix in [
        "::std::option::",
        "::std::vec::",
        "::std::string::",
        "::std::collections::",
        "::serde_json::",
        "::bitrix24_runtime::",
        "crate::",
    ] {
        s = s.replace(prefix, "");
    }
    s.replace(',', ", ")
}

/// The Rust type of `f` as a struct member, if `f` were `required`: as a request's
/// parameter (`sent`) or as a named type's field, typed as where it is received (an
/// `object` field of a named type is `JsonObject` only in types that are sent, which
/// both sides of a field's change share).
fn member(scope: &TypeScope<'_>, f: &Field, required: bool, sent: bool) -> Option<String> {
    let f = Field {
        required,
        ..f.clone()
    };
    ir::member_type(scope, &f, sent)
        .ok()
        .map(|(_, t)| pretty(&t))
}

/// The Rust type of a type expression.
fn rust_of(scope: &TypeScope<'_>, ty: &str) -> Option<String> {
    let t = TypeExpr::parse(ty).ok()?;
    scope.rust(&t).ok().map(|t| pretty(&t))
}

/// Whether two rendered Rust types are one type: a shared type is re-exported where a
/// method's own type of that name was, so `types::X` and `X` are the same.
fn same_rust(a: &Option<String>, b: &Option<String>) -> bool {
    let path_free = |r: &Option<String>| r.as_ref().map(|r| r.replace("types::", ""));
    path_free(a) == path_free(b)
}

fn opt(s: &Option<String>) -> String {
    s.clone().unwrap_or_else(|| "none".into())
}

fn wire_str(w: Option<WireFormat>) -> Option<String> {
    w.map(|w| {
        match w {
            WireFormat::Yn => "yn",
            WireFormat::Int01 => "int01",
            WireFormat::String => "string",
        }
        .to_owned()
    })
}

fn wire_words(w: Option<WireFormat>) -> &'static str {
    match w {
        None => "as plain JSON",
        Some(WireFormat::Yn) => "as `\"Y\"`/`\"N\"`",
        Some(WireFormat::Int01) => "as `1`/`0`",
        Some(WireFormat::String) => "as a JSON string",
    }
}

/// How `before` turned into `after`.
pub fn shifts(before: &TypeExpr, after: &TypeExpr) -> Vec<TypeShift> {
    let mut out = Vec::new();
    shift(before, after, &mut out);
    out
}

fn shift(b: &TypeExpr, a: &TypeExpr, out: &mut Vec<TypeShift>) {
    use TypeExpr as T;
    if b == a {
        return;
    }
    match (b, a) {
        (T::Nullable(x), T::Nullable(y)) | (T::Array(x), T::Array(y)) | (T::Map(x), T::Map(y)) => {
            shift(x, y, out);
        }
        (T::Nullable(x), y) => {
            out.push(TypeShift::NullableRemoved);
            shift(x, y, out);
        }
        (x, T::Nullable(y)) => {
            out.push(TypeShift::NullableAdded);
            shift(x, y, out);
        }
        (T::Scalar(Scalar::Any), _) => out.push(TypeShift::AnyToTyped),
        (_, T::Scalar(Scalar::Any)) => out.push(TypeShift::TypedToAny),
        (T::Array(x), y) => {
            out.push(TypeShift::FromArray);
            shift(x, y, out);
        }
        (x, T::Array(y)) => {
            out.push(TypeShift::ToArray);
            shift(x, y, out);
        }
        (T::Map(x), y) => {
            out.push(TypeShift::FromMap);
            shift(x, y, out);
        }
        (x, T::Map(y)) => {
            out.push(TypeShift::ToMap);
            shift(x, y, out);
        }
        (T::Named(_), T::Named(_)) => out.push(TypeShift::NamedSwap),
        (T::Scalar(_), T::Named(_)) => out.push(TypeShift::ToNamed),
        (T::Named(_), T::Scalar(_)) => out.push(TypeShift::FromNamed),
        (T::Scalar(_), T::Scalar(_)) => out.push(TypeShift::Scalar),
    }
}

fn type_kind(t: &TypeDef) -> &'static str {
    if t.values.is_some() { "enum" } else { "object" }
}

impl<'a> Differ<'a> {
    fn new(base: &'a Spec, head: &'a Spec, published: Option<&Published>) -> Self {
        Differ {
            base,
            head,
            base_errors: ErrorIndex::new(base, published),
            head_errors: ErrorIndex::new(head, published),
            explained: BTreeSet::new(),
            out: Vec::new(),
        }
    }

    fn push(&mut self, d: Draft<'_>) {
        let mut vars = d.vars;
        if let Some(b) = &d.before {
            vars.push(("before", b.clone()));
        }
        if let Some(a) = &d.after {
            vars.push(("after", a.clone()));
        }
        if !vars.iter().any(|(n, _)| *n == "note") {
            vars.push(("note", String::new()));
        }
        let reason = d.rule.reason(&vars);
        self.out.push(Change {
            group: d.group.clone(),
            path: d.path,
            rule: d.rule,
            before: d.before,
            after: d.after,
            shifts: d.shifts,
            reason,
        });
    }

    fn run(&mut self) {
        // By id: a REST 3.0 method (`v3.tasks.task.get`) and a classic one of the same
        // name are two methods.
        let base: BTreeMap<String, &Method> = self
            .base
            .methods
            .iter()
            .map(|m| (m.method.id().into_owned(), &m.method))
            .collect();
        let head: BTreeMap<String, &Method> = self
            .head
            .methods
            .iter()
            .map(|m| (m.method.id().into_owned(), &m.method))
            .collect();
        let names: BTreeSet<&str> = base.keys().chain(head.keys()).map(String::as_str).collect();
        for name in names {
            let group = Group::Method(name.to_owned());
            let rust = naming::request_path(name);
            match (base.get(name), head.get(name)) {
                (Some(b), None) => {
                    // The portal matches method names case-insensitively: a head method
                    // differing only in case is the same method, renamed by the docs.
                    let draft = match head.keys().find(|h| h.eq_ignore_ascii_case(name)) {
                        Some(renamed) => Draft::new(&group, &[], RuleId::MethodRenamedCase)
                            .var("after", renamed.clone())
                            .var("rust_after", naming::request_path(renamed)),
                        None if b.dropped().is_some() => {
                            Draft::new(&group, &[], RuleId::MethodRemovedAfterDeprecation)
                        }
                        None => Draft::new(&group, &[], RuleId::MethodRemoved),
                    };
                    self.push(draft.before(rust.clone()).var("rust", rust));
                }
                (None, Some(_)) => {
                    self.push(
                        Draft::new(&group, &[], RuleId::MethodAdded)
                            .after(rust.clone())
                            .var("rust", rust),
                    );
                }
                (Some(b), Some(h)) => self.method(&group, b, h),
                (None, None) => {}
            }
        }
        self.shared_types();
        self.events();
        self.crate_wide();
    }

    /// Events by the spelling of their Rust names ([`crate::spec::EventFile::rust_stem`]),
    /// so an event the docs spell in another case that keeps its recorded Rust names is
    /// the same event.
    fn events(&mut self) {
        let by_stem = |spec: &'a Spec| -> BTreeMap<&'a str, &'a Event> {
            spec.events
                .iter()
                .map(|e| (e.rust_stem(), &e.event))
                .collect()
        };
        let (base, head) = (by_stem(self.base), by_stem(self.head));
        let names: BTreeSet<&str> = base.keys().chain(head.keys()).copied().collect();
        for name in names {
            let group = Group::Event(name.to_owned());
            let rust = naming::event_path(name);
            match (base.get(name), head.get(name)) {
                (Some(_), None) => {
                    let draft = match head.keys().find(|h| h.eq_ignore_ascii_case(name)) {
                        Some(renamed) => Draft::new(&group, &[], RuleId::EventRenamedCase)
                            .var("after", (*renamed).to_owned())
                            .var("rust_after", naming::event_path(renamed)),
                        None => Draft::new(&group, &[], RuleId::EventRemoved),
                    };
                    self.push(draft.before(rust.clone()).var("rust", rust));
                }
                (None, Some(_)) => self.push(
                    Draft::new(&group, &[], RuleId::EventAdded)
                        .after(rust.clone())
                        .var("rust", rust),
                ),
                (Some(b), Some(h)) => {
                    if b.event != h.event {
                        self.push(
                            Draft::new(&group, &["event".into()], RuleId::EventRenamedCaseKept)
                                .before(b.event.clone())
                                .after(h.event.clone())
                                .var("rust", rust),
                        );
                    }
                    self.event(&group, b, h);
                }
                (None, None) => {}
            }
        }
    }

    /// One event: prose and provenance (the method rules), `bind`, the `data` keys (the
    /// field rules: they are the fields of the `...Data` struct), named types, examples.
    fn event(&mut self, g: &Group, b: &'a Event, h: &'a Event) {
        if b.scope != h.scope {
            self.push(
                Draft::new(g, &["scope".into()], RuleId::ScopeChanged)
                    .before(b.scope.clone())
                    .after(h.scope.clone()),
            );
        }
        let prose = [
            (
                "title",
                RuleId::TitleChanged,
                Some(&b.title),
                Some(&h.title),
            ),
            (
                "summary",
                RuleId::SummaryChanged,
                Some(&b.summary),
                Some(&h.summary),
            ),
            (
                "description",
                RuleId::DescriptionChanged,
                b.description.as_ref(),
                h.description.as_ref(),
            ),
            (
                "data_description",
                RuleId::DescriptionChanged,
                b.data_description.as_ref(),
                h.data_description.as_ref(),
            ),
            (
                "access",
                RuleId::AccessChanged,
                b.access.as_ref(),
                h.access.as_ref(),
            ),
        ];
        for (key, rule, bv, hv) in prose {
            if bv != hv {
                self.push(
                    Draft::new(g, &[key.into()], rule)
                        .before(bv.cloned())
                        .after(hv.cloned()),
                );
            }
        }
        for (key, bv, hv) in [
            ("path", &b.source.path, &h.source.path),
            ("commit", &b.source.commit, &h.source.commit),
        ] {
            if bv != hv {
                self.push(
                    Draft::new(g, &["source".into(), key.into()], RuleId::SourceChanged)
                        .before(bv.clone())
                        .after(hv.clone()),
                );
            }
        }
        for m in b.bind.iter().filter(|m| !h.bind.contains(m)) {
            self.push(Draft::new(g, &["bind".into()], RuleId::EventBindChanged).before(m.clone()));
        }
        for m in h.bind.iter().filter(|m| !b.bind.contains(m)) {
            self.push(Draft::new(g, &["bind".into()], RuleId::EventBindChanged).after(m.clone()));
        }
        let bs = Side {
            scope: TypeScope::with_types(self.base, &b.types),
        };
        let hs = Side {
            scope: TypeScope::with_types(self.head, &h.types),
        };
        let holder = naming::event_data(g.event().unwrap_or(&h.event));
        if b.data_type != h.data_type {
            self.push(
                Draft::new(g, &["data_type".into()], RuleId::EventDataTypeChanged)
                    .before(b.data_type.clone())
                    .after(h.data_type.clone())
                    .var("holder", holder.clone())
                    .var("rust_before", data_shape(b.data_type.as_deref()))
                    .var("rust_after", data_shape(h.data_type.as_deref())),
            );
        }
        self.fields(
            g,
            &["data".into()],
            &holder,
            Subject::Field,
            &b.data,
            &h.data,
            &bs,
            &hs,
        );
        let module = naming::event_module(g.event().unwrap_or(&h.event));
        self.types(
            g,
            &["types".into()],
            &format!("bitrix24::events::{module}::"),
            &b.types,
            &h.types,
            &bs,
            &hs,
        );
        self.example_list(g, &["examples".to_owned()], &b.examples, &h.examples);
    }

    fn method(&mut self, g: &Group, b: &'a Method, h: &'a Method) {
        let rust = naming::request_path(&h.id());
        match (&b.deprecated, &h.deprecated) {
            (_, Some(d)) if h.dropped().is_some() && b.dropped().is_none() => self.push(
                Draft::new(g, &["deprecated".into()], RuleId::MethodDroppedKept)
                    .after(d.note.clone())
                    .var("rust", rust.clone()),
            ),
            (None, Some(d)) => self.push(
                Draft::new(g, &["deprecated".into()], RuleId::Deprecated)
                    .after(d.note.clone())
                    .var("rust", rust.clone()),
            ),
            (Some(d), None) => self.push(
                Draft::new(g, &["deprecated".into()], RuleId::Undeprecated)
                    .before(d.note.clone())
                    .var("rust", rust.clone()),
            ),
            (Some(x), Some(y)) if x != y => {
                let show = |d: &crate::spec::Deprecation| match &d.replacement {
                    Some(r) => format!("{} (use {r})", d.note),
                    None => d.note.clone(),
                };
                self.push(
                    Draft::new(g, &["deprecated".into()], RuleId::DeprecationChanged)
                        .before(show(x))
                        .after(show(y)),
                );
            }
            _ => {}
        }
        for a in b.aliases.iter().filter(|a| !h.aliases.contains(a)) {
            self.push(Draft::new(g, &["aliases".into()], RuleId::AliasRemoved).before(a.clone()));
        }
        for a in h.aliases.iter().filter(|a| !b.aliases.contains(a)) {
            self.push(Draft::new(g, &["aliases".into()], RuleId::AliasAdded).after(a.clone()));
        }
        if b.scope != h.scope {
            self.push(
                Draft::new(g, &["scope".into()], RuleId::ScopeChanged)
                    .before(b.scope.clone())
                    .after(h.scope.clone()),
            );
        }
        if b.read_only != h.read_only {
            let rule = if h.read_only {
                RuleId::ReadOnlyBecameTrue
            } else {
                RuleId::ReadOnlyBecameFalse
            };
            self.push(
                Draft::new(g, &["read_only".into()], rule)
                    .before(b.read_only.to_string())
                    .after(h.read_only.to_string()),
            );
        }
        if b.positional != h.positional {
            let rule = if h.positional {
                RuleId::PositionalBecameTrue
            } else {
                RuleId::PositionalBecameFalse
            };
            self.push(
                Draft::new(g, &["positional".into()], rule)
                    .before(b.positional.to_string())
                    .after(h.positional.to_string()),
            );
        }
        match (&b.list, &h.list) {
            (None, Some(l)) => self.push(
                Draft::new(g, &["list".into()], RuleId::ListAdded)
                    .after(format!("page_size {}", l.page_size)),
            ),
            (Some(l), None) => self.push(
                Draft::new(g, &["list".into()], RuleId::ListRemoved)
                    .before(format!("page_size {}", l.page_size)),
            ),
            (Some(x), Some(y)) => {
                let facts = [
                    (
                        "page_size",
                        Some(x.page_size.to_string()),
                        Some(y.page_size.to_string()),
                    ),
                    ("items", Some(x.items.clone()), Some(y.items.clone())),
                    ("id_field", x.id_field.clone(), y.id_field.clone()),
                ];
                for (key, bv, hv) in facts {
                    if bv != hv {
                        self.push(
                            Draft::new(g, &["list".into(), key.into()], RuleId::ListChanged)
                                .before(bv.map(|v| if v.is_empty() { "''".into() } else { v }))
                                .after(hv.map(|v| if v.is_empty() { "''".into() } else { v })),
                        );
                    }
                }
            }
            (None, None) => {}
        }
        let prose = [
            (
                "title",
                RuleId::TitleChanged,
                Some(&b.title),
                Some(&h.title),
            ),
            (
                "summary",
                RuleId::SummaryChanged,
                Some(&b.summary),
                Some(&h.summary),
            ),
            (
                "description",
                RuleId::DescriptionChanged,
                b.description.as_ref(),
                h.description.as_ref(),
            ),
            (
                "access",
                RuleId::AccessChanged,
                b.access.as_ref(),
                h.access.as_ref(),
            ),
        ];
        for (key, rule, bv, hv) in prose {
            if bv != hv {
                self.push(
                    Draft::new(g, &[key.into()], rule)
                        .before(bv.cloned())
                        .after(hv.cloned()),
                );
            }
        }
        if b.source.path != h.source.path {
            self.push(
                Draft::new(g, &["source".into(), "path".into()], RuleId::SourceChanged)
                    .before(b.source.path.clone())
                    .after(h.source.path.clone()),
            );
        }
        if b.source.commit != h.source.commit {
            self.push(
                Draft::new(
                    g,
                    &["source".into(), "commit".into()],
                    RuleId::SourceChanged,
                )
                .before(b.source.commit.clone())
                .after(h.source.commit.clone()),
            );
        }
        let bs = Side {
            scope: TypeScope::new(self.base, Some(b)),
        };
        let hs = Side {
            scope: TypeScope::new(self.head, Some(h)),
        };
        let holder = naming::request(&h.method);
        self.fields(
            g,
            &["params".into()],
            &holder,
            Subject::Param,
            &b.params,
            &h.params,
            &bs,
            &hs,
        );
        self.result(g, b, h, &bs, &hs);
        let module = naming::method_modules(&h.id()).join("::");
        self.types(
            g,
            &["types".into()],
            &format!("bitrix24::{module}::"),
            &b.types,
            &h.types,
            &bs,
            &hs,
        );
        let source = h.method.clone();
        self.errors(g, &["errors".into()], &source, &b.errors, &h.errors);
        self.examples(g, b, h);
    }

    fn result(&mut self, g: &Group, b: &Method, h: &Method, bs: &Side<'_>, hs: &Side<'_>) {
        let at = ["result".to_owned()];
        let (bt, ht) = (
            TypeExpr::parse(&b.result.ty).ok(),
            TypeExpr::parse(&h.result.ty).ok(),
        );
        let (br, hr) = (
            rust_of(&bs.scope, &b.result.ty),
            rust_of(&hs.scope, &h.result.ty),
        );
        if bt != ht || !same_rust(&br, &hr) {
            let rule = if same_rust(&br, &hr) {
                RuleId::ResultTypeSameRust
            } else {
                RuleId::ResultTypeChanged
            };
            let mut d = Draft::new(g, &at, rule)
                .before(b.result.ty.clone())
                .after(h.result.ty.clone())
                .var("rust_before", opt(&br))
                .var("rust_after", opt(&hr));
            if let (Some(x), Some(y)) = (&bt, &ht) {
                d.shifts = shifts(x, y);
            }
            self.push(d);
        }
        if b.result.paged != h.result.paged {
            self.push(
                Draft::new(g, &path(&at, &["paged"]), RuleId::ResultPagedChanged)
                    .before(b.result.paged.to_string())
                    .after(h.result.paged.to_string()),
            );
        }
        if b.result.doc_type != h.result.doc_type {
            self.push(
                Draft::new(g, &path(&at, &["doc_type"]), RuleId::ResultDocTypeChanged)
                    .before(b.result.doc_type.clone())
                    .after(h.result.doc_type.clone()),
            );
        }
        if b.result.description != h.result.description {
            self.push(
                Draft::new(
                    g,
                    &path(&at, &["description"]),
                    RuleId::ResultDescriptionChanged,
                )
                .before(b.result.description.clone())
                .after(h.result.description.clone()),
            );
        }
    }

    /// Compares the fields of one struct: a request's parameters or an object's fields.
    #[allow(clippy::too_many_arguments)]
    fn fields(
        &mut self,
        g: &Group,
        prefix: &[String],
        holder: &str,
        subject: Subject,
        base: &[Field],
        head: &[Field],
        bs: &Side<'_>,
        hs: &Side<'_>,
    ) {
        let key = |f: &Field| naming::field_of(f);
        let bmap: BTreeMap<String, &Field> = base.iter().map(|f| (key(f), f)).collect();
        let hmap: BTreeMap<String, &Field> = head.iter().map(|f| (key(f), f)).collect();
        let base_all_optional = base.iter().all(|f| !f.required);
        let no_default = if base_all_optional {
            format!("; `{holder}` no longer implements `Default`")
        } else {
            String::new()
        };
        for f in base {
            let k = key(f);
            if hmap.contains_key(&k) {
                continue;
            }
            let rule = match (subject, f.required, f.kept.is_some()) {
                (Subject::Param, _, true) => RuleId::ParamRemovedAfterDeprecation,
                (Subject::Param, true, false) => RuleId::ParamRemovedRequired,
                (Subject::Param, false, false) => RuleId::ParamRemovedOptional,
                (Subject::Field, _, true) => RuleId::FieldRemovedAfterDeprecation,
                (Subject::Field, _, false) => RuleId::FieldRemoved,
            };
            self.push(
                Draft::new(g, &path(prefix, &[&f.name]), rule)
                    .before(f.ty.clone())
                    .var("holder", holder)
                    .var("field", k),
            );
        }
        for f in head {
            let k = key(f);
            let Some(old) = bmap.get(&k) else {
                let rule = match (subject, f.required) {
                    (Subject::Param, true) => RuleId::ParamAddedRequired,
                    (Subject::Param, false) => RuleId::ParamAddedOptional,
                    (Subject::Field, true) => RuleId::FieldAddedRequired,
                    (Subject::Field, false) => RuleId::FieldAddedOptional,
                };
                self.push(
                    Draft::new(g, &path(prefix, &[&f.name]), rule)
                        .after(f.ty.clone())
                        .var("holder", holder)
                        .var("field", k)
                        .var(
                            "note",
                            if f.required {
                                no_default.clone()
                            } else {
                                String::new()
                            },
                        ),
                );
                continue;
            };
            self.field(
                g,
                &path(prefix, &[&f.name]),
                holder,
                subject,
                old,
                f,
                bs,
                hs,
                &no_default,
            );
        }
        // Kept fields are appended by the generator: their place says nothing.
        let live = |fs: &[Field]| -> Vec<Field> {
            fs.iter().filter(|f| f.kept.is_none()).cloned().collect()
        };
        self.order(g, prefix, holder, subject, &live(base), &live(head));
    }

    #[allow(clippy::too_many_arguments)]
    fn field(
        &mut self,
        g: &Group,
        at: &[String],
        holder: &str,
        subject: Subject,
        b: &Field,
        h: &Field,
        bs: &Side<'_>,
        hs: &Side<'_>,
        no_default: &str,
    ) {
        let k = naming::field_of(h);
        let sent = subject == Subject::Param;
        // Dropped by the docs and kept from the published record, or listed again.
        let kept = match (b.kept.is_some(), h.kept.is_some()) {
            (false, true) => Some(subject.rule(
                RuleId::ParamRemovedDeprecated,
                RuleId::FieldRemovedDeprecated,
            )),
            (true, false) => Some(subject.rule(RuleId::ParamRestored, RuleId::FieldRestored)),
            _ => None,
        };
        if let Some(rule) = kept {
            self.push(
                Draft::new(g, at, rule)
                    .before(b.ty.clone())
                    .after(h.ty.clone())
                    .var("holder", holder)
                    .var("field", k.clone()),
            );
        }
        if b.name != h.name {
            self.push(
                Draft::new(
                    g,
                    at,
                    subject.rule(RuleId::ParamRenamed, RuleId::FieldRenamed),
                )
                .before(b.name.clone())
                .after(h.name.clone())
                .var("field", k.clone()),
            );
        }
        if b.required != h.required {
            let rule = match (subject, h.required) {
                (Subject::Param, true) => RuleId::ParamBecameRequired,
                (Subject::Param, false) => RuleId::ParamBecameOptional,
                (Subject::Field, true) => RuleId::FieldBecameRequired,
                (Subject::Field, false) => RuleId::FieldBecameOptional,
            };
            self.push(
                Draft::new(g, &path(at, &["required"]), rule)
                    .before(b.required.to_string())
                    .after(h.required.to_string())
                    .var("holder", holder)
                    .var("field", k.clone())
                    .var("rust_before", opt(&member(&bs.scope, b, b.required, sent)))
                    .var("rust_after", opt(&member(&hs.scope, h, h.required, sent)))
                    .var(
                        "note",
                        if h.required {
                            no_default.to_owned()
                        } else {
                            String::new()
                        },
                    ),
            );
        }
        // The type, judged under the head's optionality (a `required` flip is its own change).
        let (bt, ht) = (TypeExpr::parse(&b.ty).ok(), TypeExpr::parse(&h.ty).ok());
        let (br, hr) = (
            member(&bs.scope, b, h.required, sent),
            member(&hs.scope, h, h.required, sent),
        );
        let same_rust = same_rust(&br, &hr);
        if bt != ht || !same_rust {
            let rule = match (subject, same_rust, h.required) {
                (Subject::Param, true, _) => RuleId::ParamTypeSameRust,
                (Subject::Param, false, true) => RuleId::ParamTypeArgument,
                (Subject::Param, false, false) => RuleId::ParamTypeSetter,
                (Subject::Field, true, _) => RuleId::FieldTypeSameRust,
                (Subject::Field, false, _) => RuleId::FieldTypeChanged,
            };
            let mut d = Draft::new(g, &path(at, &["type"]), rule)
                .before(b.ty.clone())
                .after(h.ty.clone())
                .var("holder", holder)
                .var("field", k.clone())
                .var("rust_before", opt(&br))
                .var("rust_after", opt(&hr));
            if let (Some(x), Some(y)) = (&bt, &ht) {
                d.shifts = shifts(x, y);
            }
            self.push(d);
        }
        if b.wire != h.wire {
            self.push(
                Draft::new(
                    g,
                    &path(at, &["wire"]),
                    subject.rule(RuleId::ParamWireChanged, RuleId::FieldWireChanged),
                )
                .before(wire_str(b.wire))
                .after(wire_str(h.wire))
                .var("wire", wire_words(h.wire)),
            );
        }
        if b.kept.is_some() || h.kept.is_some() {
            // A kept field has no docs of its own: its prose says it is deprecated.
            return;
        }
        if b.default != h.default {
            self.push(
                Draft::new(
                    g,
                    &path(at, &["default"]),
                    subject.rule(RuleId::ParamDefaultChanged, RuleId::FieldDefaultChanged),
                )
                .before(b.default.clone())
                .after(h.default.clone())
                .var("field", k),
            );
        }
        if b.doc_type != h.doc_type {
            self.push(
                Draft::new(
                    g,
                    &path(at, &["doc_type"]),
                    subject.rule(RuleId::ParamDocTypeChanged, RuleId::FieldDocTypeChanged),
                )
                .before(b.doc_type.clone())
                .after(h.doc_type.clone()),
            );
        }
        if b.description != h.description {
            self.push(
                Draft::new(
                    g,
                    &path(at, &["description"]),
                    subject.rule(
                        RuleId::ParamDescriptionChanged,
                        RuleId::FieldDescriptionChanged,
                    ),
                )
                .before(b.description.clone())
                .after(h.description.clone()),
            );
        }
    }

    /// The order of `new`'s arguments (required fields kept on both sides), then of the rest.
    fn order(
        &mut self,
        g: &Group,
        prefix: &[String],
        holder: &str,
        subject: Subject,
        base: &[Field],
        head: &[Field],
    ) {
        let names = |fs: &[Field]| -> Vec<String> { fs.iter().map(naming::field_of).collect() };
        let (bn, hn) = (names(base), names(head));
        let common = |fs: &[Field],
                      other: &[String],
                      required_only: bool,
                      other_fs: &[Field]|
         -> Vec<(String, String)> {
            fs.iter()
                .filter(|f| {
                    let k = naming::field_of(f);
                    other.contains(&k)
                        && (!required_only
                            || (f.required
                                && other_fs
                                    .iter()
                                    .any(|o| naming::field_of(o) == k && o.required)))
                })
                .map(|f| (naming::field_of(f), f.name.clone()))
                .collect()
        };
        let show = |v: &[(String, String)]| {
            v.iter()
                .map(|(_, w)| w.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let key = |v: &[(String, String)]| v.iter().map(|(k, _)| k.clone()).collect::<Vec<_>>();
        let (br, hr) = (common(base, &hn, true, head), common(head, &bn, true, base));
        if key(&br) != key(&hr) {
            self.push(
                Draft::new(
                    g,
                    prefix,
                    subject.rule(
                        RuleId::ParamsReorderedRequired,
                        RuleId::FieldsReorderedRequired,
                    ),
                )
                .before(show(&br))
                .after(show(&hr))
                .var("holder", holder),
            );
            return;
        }
        let (ba, ha) = (
            common(base, &hn, false, head),
            common(head, &bn, false, base),
        );
        if key(&ba) != key(&ha) {
            self.push(
                Draft::new(
                    g,
                    prefix,
                    subject.rule(
                        RuleId::ParamsReorderedOptional,
                        RuleId::FieldsReorderedOptional,
                    ),
                )
                .before(show(&ba))
                .after(show(&ha)),
            );
        }
    }

    /// Compares named types; `rust_prefix` is the Rust path they live under.
    #[allow(clippy::too_many_arguments)]
    fn types(
        &mut self,
        g: &Group,
        prefix: &[String],
        rust_prefix: &str,
        base: &[TypeDef],
        head: &[TypeDef],
        bs: &Side<'_>,
        hs: &Side<'_>,
    ) {
        let bmap: BTreeMap<&str, &TypeDef> = base.iter().map(|t| (t.name.as_str(), t)).collect();
        let hmap: BTreeMap<&str, &TypeDef> = head.iter().map(|t| (t.name.as_str(), t)).collect();
        // A method's or event's own type that became a shared one (`spec/types`), or back,
        // keeps its path (the module re-exports the shared type): compared as one type.
        let own = rust_prefix != SHARED_PREFIX;
        let shared = |spec: &'a Spec, name: &str| spec.types.iter().find(|s| own && s.name == name);
        for t in base.iter().filter(|t| !hmap.contains_key(t.name.as_str())) {
            let rust = format!("{rust_prefix}{}", naming::type_name(&t.name));
            if let Some(s) = shared(self.head, &t.name) {
                self.type_def(g, &path(prefix, &[&t.name]), &rust, t, s, bs, hs);
                continue;
            }
            self.push(
                Draft::new(g, &path(prefix, &[&t.name]), RuleId::TypeRemoved)
                    .before(type_kind(t).to_owned())
                    .var("rust", rust),
            );
        }
        for t in head {
            let rust = format!("{rust_prefix}{}", naming::type_name(&t.name));
            let at = path(prefix, &[&t.name]);
            let Some(old) = bmap
                .get(t.name.as_str())
                .copied()
                .or_else(|| shared(self.base, &t.name))
            else {
                self.push(
                    Draft::new(g, &at, RuleId::TypeAdded)
                        .after(type_kind(t).to_owned())
                        .var("rust", rust),
                );
                continue;
            };
            self.type_def(g, &at, &rust, old, t, bs, hs);
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn type_def(
        &mut self,
        g: &Group,
        at: &[String],
        rust: &str,
        b: &TypeDef,
        h: &TypeDef,
        bs: &Side<'_>,
        hs: &Side<'_>,
    ) {
        if type_kind(b) != type_kind(h) {
            self.push(
                Draft::new(g, at, RuleId::TypeKindChanged)
                    .before(type_kind(b).to_owned())
                    .after(type_kind(h).to_owned())
                    .var("rust", rust),
            );
            return;
        }
        if b.description != h.description {
            self.push(
                Draft::new(
                    g,
                    &path(at, &["description"]),
                    RuleId::TypeDescriptionChanged,
                )
                .before(b.description.clone())
                .after(h.description.clone()),
            );
        }
        let holder = naming::type_name(&h.name);
        if let (Some(bf), Some(hf)) = (&b.fields, &h.fields) {
            self.fields(
                g,
                &path(at, &["fields"]),
                &holder,
                Subject::Field,
                bf,
                hf,
                bs,
                hs,
            );
        }
        if let (Some(bv), Some(hv)) = (&b.values, &h.values) {
            self.values(g, &path(at, &["values"]), bv, hv);
            let repr = |t: &TypeDef| match t.repr {
                Some(crate::spec::EnumRepr::Integer) => "integer",
                _ => "string",
            };
            if repr(b) != repr(h) {
                self.push(
                    Draft::new(g, &path(at, &["repr"]), RuleId::EnumReprChanged)
                        .before(repr(b).to_owned())
                        .after(repr(h).to_owned()),
                );
            }
        }
    }

    fn values(
        &mut self,
        g: &Group,
        prefix: &[String],
        base: &[crate::spec::EnumValue],
        head: &[crate::spec::EnumValue],
    ) {
        let variant =
            |v: &crate::spec::EnumValue| naming::variant(v.name.as_deref().unwrap_or(&v.value));
        let bmap: BTreeMap<String, &crate::spec::EnumValue> =
            base.iter().map(|v| (variant(v), v)).collect();
        let hmap: BTreeMap<String, &crate::spec::EnumValue> =
            head.iter().map(|v| (variant(v), v)).collect();
        let removed: Vec<&crate::spec::EnumValue> = base
            .iter()
            .filter(|v| !hmap.contains_key(&variant(v)))
            .collect();
        let added: Vec<&crate::spec::EnumValue> = head
            .iter()
            .filter(|v| !bmap.contains_key(&variant(v)))
            .collect();
        let renamed: BTreeSet<&str> = removed
            .iter()
            .filter(|r| added.iter().any(|a| a.value == r.value))
            .map(|r| r.value.as_str())
            .collect();
        for v in &removed {
            let at = path(prefix, &[&v.value]);
            if renamed.contains(v.value.as_str()) {
                let to = added
                    .iter()
                    .find(|a| a.value == v.value)
                    .map(|a| variant(a))
                    .unwrap_or_default();
                self.push(
                    Draft::new(g, &at, RuleId::EnumVariantRenamed)
                        .before(variant(v))
                        .after(to.clone())
                        .var("rust_before", variant(v))
                        .var("rust_after", to),
                );
            } else {
                self.push(
                    Draft::new(g, &at, RuleId::EnumValueRemoved)
                        .before(v.value.clone())
                        .var("variant", variant(v))
                        .var("value", v.value.clone()),
                );
            }
        }
        for v in added.iter().filter(|v| !renamed.contains(v.value.as_str())) {
            self.push(
                Draft::new(g, &path(prefix, &[&v.value]), RuleId::EnumValueAdded)
                    .after(v.value.clone())
                    .var("variant", variant(v))
                    .var("value", v.value.clone()),
            );
        }
        for h in head {
            let Some(b) = bmap.get(&variant(h)) else {
                continue;
            };
            let at = path(prefix, &[&h.value]);
            if b.value != h.value {
                self.push(
                    Draft::new(g, &at, RuleId::EnumValueWireChanged)
                        .before(b.value.clone())
                        .after(h.value.clone())
                        .var("variant", variant(h)),
                );
            }
            if b.name != h.name {
                self.push(
                    Draft::new(g, &path(&at, &["name"]), RuleId::EnumValueNameChanged)
                        .before(b.name.clone())
                        .after(h.name.clone())
                        .var("variant", variant(h)),
                );
            }
            if b.description != h.description {
                self.push(
                    Draft::new(
                        g,
                        &path(&at, &["description"]),
                        RuleId::EnumValueDescriptionChanged,
                    )
                    .before(b.description.clone())
                    .after(h.description.clone()),
                );
            }
        }
    }

    /// Compares documented errors of one method (or the system errors); `source` is how
    /// the `ErrorCode` index names the list (a method name or `system errors`).
    fn errors(
        &mut self,
        g: &Group,
        prefix: &[String],
        source: &str,
        base: &[ErrorDoc],
        head: &[ErrorDoc],
    ) {
        let (bmap, hmap) = (group_by_code(base), group_by_code(head));
        for code in bmap.keys().filter(|c| !hmap.contains_key(*c)) {
            let at = path(prefix, &[code]);
            let v = self.base_errors.variant(code);
            let upper = error_code::normalize(code);
            let d = if !self.head_errors.sources.contains_key(&v) {
                self.explained.insert(v.clone());
                Draft::new(g, &at, RuleId::ErrorRemovedVariantGone)
            } else if self.head_errors.deprecated.contains(&v)
                && !self.base_errors.deprecated.contains(&v)
            {
                self.explained.insert(v.clone());
                Draft::new(g, &at, RuleId::ErrorRemovedDeprecated)
            } else if !self.head_errors.has_spelling(code) {
                self.explained.insert(upper);
                Draft::new(g, &at, RuleId::ErrorRemovedSpellingGone)
            } else if self.head_errors.kept.contains(&upper)
                && !self.base_errors.kept.contains(&upper)
            {
                self.explained.insert(upper);
                Draft::new(g, &at, RuleId::ErrorRemovedSpellingKept)
            } else {
                Draft::new(g, &at, RuleId::ErrorRemovedStillDocumented)
                    .var("sources", self.head_errors.sources_text(&v, source))
            };
            self.push(
                d.before((*code).to_owned())
                    .var("variant", v)
                    .var("code", *code),
            );
        }
        for code in hmap.keys().filter(|c| !bmap.contains_key(*c)) {
            let at = path(prefix, &[code]);
            let v = self.head_errors.variant(code);
            let d = if !self.base_errors.sources.contains_key(&v) {
                self.explained.insert(v.clone());
                Draft::new(g, &at, RuleId::ErrorAddedNewVariant)
            } else if !self.base_errors.has_spelling(code) {
                self.explained.insert(error_code::normalize(code));
                Draft::new(g, &at, RuleId::ErrorAddedNewSpelling)
            } else {
                Draft::new(g, &at, RuleId::ErrorAddedKnown)
                    .var("sources", self.base_errors.sources_text(&v, source))
            };
            self.push(
                d.after((*code).to_owned())
                    .var("variant", v)
                    .var("code", *code),
            );
        }
        for (code, hs) in &hmap {
            let Some(bs) = bmap.get(code) else { continue };
            let at = path(prefix, &[code]);
            let statuses = |es: &[&ErrorDoc]| -> String {
                let mut s: Vec<String> = es
                    .iter()
                    .map(|e| e.status.map_or("none".into(), |s| s.to_string()))
                    .collect();
                s.sort();
                s.join(", ")
            };
            if statuses(bs) != statuses(hs) {
                self.push(
                    Draft::new(g, &path(&at, &["status"]), RuleId::ErrorStatusChanged)
                        .before(statuses(bs))
                        .after(statuses(hs)),
                );
            }
            let texts = |es: &[&ErrorDoc], f: fn(&ErrorDoc) -> String| -> Vec<String> {
                let mut v: Vec<(Option<u16>, String)> =
                    es.iter().map(|e| (e.status, f(e))).collect();
                v.sort();
                v.into_iter().map(|(_, t)| t).collect()
            };
            let message: fn(&ErrorDoc) -> String = |e| e.message.clone().unwrap_or_default();
            let description: fn(&ErrorDoc) -> String = |e| e.description.clone();
            if texts(bs, message) != texts(hs, message) {
                self.push(
                    Draft::new(g, &path(&at, &["message"]), RuleId::ErrorMessageChanged)
                        .before(texts(bs, message).join("\n"))
                        .after(texts(hs, message).join("\n")),
                );
            }
            if texts(bs, description) != texts(hs, description) {
                self.push(
                    Draft::new(
                        g,
                        &path(&at, &["description"]),
                        RuleId::ErrorDescriptionChanged,
                    )
                    .before(texts(bs, description).join("\n"))
                    .after(texts(hs, description).join("\n")),
                );
            }
        }
    }

    fn examples(&mut self, g: &Group, b: &Method, h: &Method) {
        let kinds = [
            ("request", &b.examples.request, &h.examples.request),
            ("response", &b.examples.response, &h.examples.response),
            ("error", &b.examples.error, &h.examples.error),
        ];
        for (kind, bl, hl) in kinds {
            let at = ["examples".to_owned(), kind.to_owned()];
            self.example_list(g, &at, bl, hl);
        }
    }

    /// Examples of one kind at `at`: removed ones paired with added ones as changes.
    fn example_list(&mut self, g: &Group, at: &[String], bl: &[Example], hl: &[Example]) {
        let removed: Vec<&Example> = bl.iter().filter(|e| !hl.contains(e)).collect();
        let added: Vec<&Example> = hl.iter().filter(|e| !bl.contains(e)).collect();
        let paired = removed.len().min(added.len());
        for (r, a) in removed.iter().zip(&added) {
            self.push(
                Draft::new(g, at, RuleId::ExampleChanged)
                    .before(r.json.clone())
                    .after(a.json.clone()),
            );
        }
        for r in &removed[paired..] {
            self.push(Draft::new(g, at, RuleId::ExampleRemoved).before(r.json.clone()));
        }
        for a in &added[paired..] {
            self.push(Draft::new(g, at, RuleId::ExampleAdded).after(a.json.clone()));
        }
    }

    fn shared_types(&mut self) {
        let bs = Side {
            scope: TypeScope::new(self.base, None),
        };
        let hs = Side {
            scope: TypeScope::new(self.head, None),
        };
        let names: BTreeSet<&str> = self
            .base
            .types
            .iter()
            .chain(&self.head.types)
            .map(|t| t.name.as_str())
            .collect();
        for name in names {
            let g = Group::SharedType(name.to_owned());
            let b: Vec<TypeDef> = self
                .base
                .types
                .iter()
                .filter(|t| t.name == name)
                .cloned()
                .collect();
            let h: Vec<TypeDef> = self
                .head
                .types
                .iter()
                .filter(|t| t.name == name)
                .cloned()
                .collect();
            self.types(&g, &["types".into()], SHARED_PREFIX, &b, &h, &bs, &hs);
        }
    }

    fn crate_wide(&mut self) {
        let g = Group::Crate;
        let (bd, hd) = (&self.base.api.docs, &self.head.api.docs);
        let pins = [
            ("repository", &bd.repository, &hd.repository),
            ("commit", &bd.commit, &hd.commit),
            ("date", &bd.date, &hd.date),
            ("base_url", &bd.base_url, &hd.base_url),
        ];
        for (key, b, h) in pins {
            if b != h {
                self.push(
                    Draft::new(&g, &["docs".into(), key.into()], RuleId::DocsPinChanged)
                        .before(b.clone())
                        .after(h.clone()),
                );
            }
        }
        let (bse, hse) = (&self.base.api.system_errors, &self.head.api.system_errors);
        self.errors(&g, &["system_errors".into()], SYSTEM, bse, hse);
        let (ba, ha) = (&self.base.api.event_auth, &self.head.api.event_auth);
        if ba != ha {
            let keys = |fs: &[Field]| {
                fs.iter()
                    .map(|f| f.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            self.push(
                Draft::new(&g, &["event_auth".into()], RuleId::EventAuthChanged)
                    .before(keys(ba))
                    .after(keys(ha)),
            );
        }
        let features = |s: &Spec| -> BTreeSet<String> {
            s.methods
                .iter()
                .map(|m| naming::feature(&m.method.id()))
                .collect()
        };
        let (bf, hf) = (features(self.base), features(self.head));
        for f in bf.difference(&hf) {
            self.push(
                Draft::new(&g, &["features".into(), f.clone()], RuleId::FeatureRemoved)
                    .before(f.clone())
                    .var("feature", f.clone()),
            );
        }
        for f in hf.difference(&bf) {
            self.push(
                Draft::new(&g, &["features".into(), f.clone()], RuleId::FeatureAdded)
                    .after(f.clone())
                    .var("feature", f.clone()),
            );
        }
        // `ErrorCode` variants that came or went with whole methods.
        let removed: Vec<String> = self
            .base_errors
            .sources
            .keys()
            .filter(|v| !self.head_errors.sources.contains_key(*v) && !self.explained.contains(*v))
            .cloned()
            .collect();
        let deprecated: Vec<String> = self
            .head_errors
            .deprecated
            .iter()
            .filter(|v| {
                !self.base_errors.deprecated.contains(*v)
                    && self.base_errors.sources.contains_key(*v)
                    && !self.explained.contains(*v)
            })
            .cloned()
            .collect();
        for v in deprecated {
            self.push(
                Draft::new(
                    &g,
                    &["ErrorCode".into(), v.clone()],
                    RuleId::ErrorCodeVariantDeprecated,
                )
                .before(v.clone())
                .var("variant", v),
            );
        }
        for v in removed {
            self.push(
                Draft::new(
                    &g,
                    &["ErrorCode".into(), v.clone()],
                    RuleId::ErrorCodeVariantRemoved,
                )
                .before(v.clone())
                .var("variant", v),
            );
        }
        let added: Vec<String> = self
            .head_errors
            .sources
            .keys()
            .filter(|v| !self.base_errors.sources.contains_key(*v) && !self.explained.contains(*v))
            .cloned()
            .collect();
        for v in added {
            let sources = self.head_errors.sources_text(&v, "");
            self.push(
                Draft::new(
                    &g,
                    &["ErrorCode".into(), v.clone()],
                    RuleId::ErrorCodeVariantAdded,
                )
                .after(v.clone())
                .var("variant", v)
                .var("sources", sources),
            );
        }
        // Spellings of surviving variants that came or went with whole methods.
        let (bx, hx) = (&self.base_errors, &self.head_errors);
        let mut spellings = Vec::new();
        for (upper, v) in &bx.by_upper {
            if !hx.by_upper.contains_key(upper)
                && hx.sources.contains_key(v)
                && !self.explained.contains(upper)
            {
                let code = bx.spelled.get(upper).cloned().unwrap_or_default();
                spellings.push((
                    RuleId::ErrorCodeSpellingRemoved,
                    code,
                    v.clone(),
                    String::new(),
                ));
            }
        }
        for upper in hx.kept.difference(&bx.kept) {
            if let Some(v) = hx.by_upper.get(upper)
                && bx.by_upper.contains_key(upper)
                && !hx.deprecated.contains(v)
                && !self.explained.contains(upper)
            {
                let code = bx.spelled.get(upper).cloned().unwrap_or_default();
                spellings.push((
                    RuleId::ErrorCodeSpellingKept,
                    code,
                    v.clone(),
                    String::new(),
                ));
            }
        }
        for (upper, v) in &hx.by_upper {
            if !bx.by_upper.contains_key(upper)
                && bx.sources.contains_key(v)
                && !self.explained.contains(upper)
            {
                let code = hx.spelled.get(upper).cloned().unwrap_or_default();
                let sources = hx.sources_text(v, "");
                spellings.push((RuleId::ErrorCodeSpellingAdded, code, v.clone(), sources));
            }
        }
        for (rule, code, v, sources) in spellings {
            let d = Draft::new(&g, &["ErrorCode".into(), v.clone(), code.clone()], rule)
                .var("variant", v)
                .var("code", code.clone())
                .var("sources", sources);
            self.push(if rule == RuleId::ErrorCodeSpellingAdded {
                d.after(code)
            } else {
                d.before(code)
            });
        }
    }
}

/// Errors by exact code (a code may be documented once per HTTP status).
fn group_by_code(es: &[ErrorDoc]) -> BTreeMap<&str, Vec<&ErrorDoc>> {
    let mut m: BTreeMap<&str, Vec<&ErrorDoc>> = BTreeMap::new();
    for e in es {
        m.entry(e.code.as_str()).or_default().push(e);
    }
    m
}

/// How an event's `data` is typed, in words: a value of `data_type`, or its keys' struct.
fn data_shape(data_type: Option<&str>) -> String {
    match data_type {
        Some(ty) => format!("an alias of `{ty}`"),
        None => "a struct of the keys in `data`".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> TypeExpr {
        TypeExpr::parse(s).unwrap()
    }

    #[test]
    fn type_shifts() {
        use TypeShift::*;
        let cases: &[(&str, &str, &[TypeShift])] = &[
            ("any[]", "integer[]", &[AnyToTyped]),
            ("integer", "any", &[TypedToAny]),
            ("integer", "integer[]", &[ToArray]),
            ("integer[]", "integer", &[FromArray]),
            ("integer", "integer | null", &[NullableAdded]),
            ("string | null", "string", &[NullableRemoved]),
            ("EntityType", "OwnerType", &[NamedSwap]),
            ("string", "EntityType", &[ToNamed]),
            ("Fields", "object", &[FromNamed]),
            ("integer", "string", &[Scalar]),
            ("integer", "integer[] | null", &[NullableAdded, ToArray]),
            ("map<integer>", "map<string>", &[Scalar]),
            ("object", "map<string>", &[ToMap, Scalar]),
            ("integer", "integer", &[]),
        ];
        for (b, a, want) in cases {
            assert_eq!(shifts(&t(b), &t(a)), *want, "{b} → {a}");
        }
    }

    #[test]
    fn pretty_rust_types() {
        let spec = crate::spec::Spec {
            api: crate::spec::Api {
                docs: crate::spec::DocsPin {
                    repository: String::new(),
                    commit: String::new(),
                    date: String::new(),
                    base_url: String::new(),
                },
                system_errors: vec![],
                event_auth: vec![],
            },
            methods: vec![],
            types: vec![],
            events: vec![],
        };
        let scope = TypeScope::new(&spec, None);
        assert_eq!(
            rust_of(&scope, "integer[] | null").as_deref(),
            Some("Option<Vec<i64>>")
        );
        assert_eq!(
            rust_of(&scope, "map<datetime>").as_deref(),
            Some("BTreeMap<String, DateTime>")
        );
        assert_eq!(
            rust_of(&scope, "object").as_deref(),
            Some("Map<String, Value>")
        );
        let f = Field {
            name: "X".into(),
            rust_name: None,
            ty: "timestamp".into(),
            doc_type: None,
            required: false,
            description: String::new(),
            default: None,
            wire: None,
            kept: None,
        };
        assert_eq!(
            member(&scope, &f, false, false).as_deref(),
            Some("Option<i64>")
        );
        assert_eq!(member(&scope, &f, true, true).as_deref(), Some("i64"));
        let object = Field {
            ty: "object".into(),
            ..f.clone()
        };
        assert_eq!(
            member(&scope, &object, true, true).as_deref(),
            Some("JsonObject")
        );
        assert_eq!(
            member(&scope, &object, true, false).as_deref(),
            Some("Map<String, Value>")
        );
        let nullable = Field {
            ty: "timestamp | null".into(),
            ..f
        };
        assert_eq!(
            member(&scope, &nullable, false, false).as_deref(),
            Some("Option<i64>")
        );
    }
}
