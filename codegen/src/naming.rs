//! Rust names for spec names: one place, used by the validator (to find collisions) and
//! by the generator (to emit identifiers).
//!
//! Rule for words Rust reserves: append `_` (`type` → `type_`, `Self` → `Self_`). Names
//! that would start with a digit get a leading `_` (`1C` → `_1c`) for fields and `V` for
//! types and variants (`1` → `V1`) — the spec should give enum values like `1` a `name`.
//!
//! Rules for names the docs spell in ways Rust cannot (each has a golden case in
//! `tests/golden/naming` and, where the spec can get it wrong, a malformed case):
//!
//! - **Punctuation-only values** (enum values, error codes) are spelled out symbol by symbol
//!   ([`SYMBOLS`]): `""` → `Empty`, `-` → `Dash`, `<=` → `LessOrEqual`, `!=` → `NotEqual`,
//!   `%` → `Percent`, `$ #` → `DollarHash`.
//! - **`~X` fields** are Bitrix24's raw-value twin of `X` (the same value without HTML
//!   escaping): `~DESCRIPTION` → `description_raw`.
//! - **Fields that differ only in spelling** (`chatId` and `chat_id`, `sort` and `SORT`) are
//!   told apart by [`field_names`]: the field spelled exactly like the Rust name keeps it
//!   (else the first one), the others get a suffix naming their spelling (`chat_id_camel`,
//!   `sort_upper`). [`settle`] writes these names into the spec as `rust_name`s and returns
//!   one note per renamed field, which `cargo xtask codegen` prints.
//! - **Modules**: method-name segments may hold `_` (`sonet_group`); `main` and `lib` (file
//!   names Cargo treats specially, linted by `special_module_name`) get a `_` suffix like
//!   keywords; a first segment naming an item the crate root has itself (`events`, `types`,
//!   `testing`, ...; [`ROOT_ITEMS`]) also gets `_` (the method `events` lives in
//!   `bitrix24::events_`, behind the feature `events_`).

use std::collections::{BTreeMap, BTreeSet};

use heck::{ToSnakeCase, ToUpperCamelCase};

use crate::spec::{Field, Spec};

/// Every keyword of Rust 2024, strict and reserved, plus the weak keyword `union`
/// and the names `Self`/`self`/`super`/`crate` that cannot even be raw identifiers.
const RESERVED: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern",
    "false", "fn", "for", "gen", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut",
    "pub", "ref", "return", "self", "Self", "static", "struct", "super", "trait", "true", "type",
    "unsafe", "use", "where", "while", "abstract", "become", "box", "do", "final", "macro",
    "override", "priv", "try", "typeof", "unsized", "virtual", "yield", "union",
];

fn escape(mut name: String, digit_prefix: &str) -> String {
    if name.is_empty() {
        // Fields and modules are snake_case, types and variants (`V` prefix) UpperCamelCase.
        name.push_str(if digit_prefix == "V" {
            "Empty"
        } else {
            "empty"
        });
    }
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        name.insert_str(0, digit_prefix);
    }
    if RESERVED.contains(&name.as_str()) {
        name.push('_');
    }
    name
}

/// Names generated structs already use for their own methods and fields; a spec field
/// that converts to one of them gets the same `_` suffix as a keyword.
/// Trait methods are listed too: an inherent setter named `default` or `clone` would
/// shadow `Default::default` / `Clone::clone` in method-call position.
const STRUCT_MEMBERS: &[&str] = &[
    "new",
    "extra",
    "insert_extra",
    "default",
    "clone",
    "eq",
    "ne",
    "fmt",
    "hash",
    "serialize",
    "deserialize",
    "decode",
    "as_str",
    "to_string",
    "from_str",
];

/// A struct field or setter: `ENTITY_TYPE` → `entity_type`, `type` → `type_`,
/// `NEW` → `new_` (names generated structs use themselves: `new`, `default`, `extra`, ...),
/// `~DESCRIPTION` → `description_raw` (Bitrix24's unescaped twin of `DESCRIPTION`).
pub fn field(wire: &str) -> String {
    if let Some(plain) = wire.strip_prefix('~').filter(|p| !p.starts_with('~')) {
        let base = plain.to_snake_case();
        if !base.is_empty() {
            return escape(format!("{base}_raw"), "_");
        }
    }
    let mut name = escape(wire.to_snake_case(), "_");
    if STRUCT_MEMBERS.contains(&name.as_str()) {
        name.push('_');
    }
    name
}

/// The Rust name of a spec field: its `rust_name` when given, else [`field`] of its
/// wire name. Within a struct, names that collide are told apart by [`field_names`]
/// (which [`settle`] writes into the spec as `rust_name`s before generation).
pub fn field_of(f: &Field) -> String {
    f.rust_name.clone().unwrap_or_else(|| field(&f.name))
}

/// The Rust names of one struct's fields (or one method's parameters), in order.
///
/// A field with a `rust_name` keeps it. Fields without one whose [`field`] names collide
/// (`chatId` and `chat_id`, `sort` and `SORT`) are told apart by rule: the field whose wire
/// name already is the Rust name keeps it (else the first declared one does), each other
/// gets a suffix naming its spelling: `_camel` (`chatId` → `chat_id_camel`), `_upper`
/// (`SORT` → `sort_upper`), else `_2`, `_3`, ... Explicit `rust_name`s that collide are
/// left as they are (the validator reports them).
pub fn field_names(fields: &[Field]) -> Vec<String> {
    let mut out: Vec<String> = fields.iter().map(field_of).collect();
    // Every name some field has before the rule: a suffixed name must not take one.
    let mut taken: BTreeSet<String> = out.iter().cloned().collect();
    let explicit: BTreeSet<&str> = fields
        .iter()
        .filter_map(|f| f.rust_name.as_deref())
        .collect();
    let mut groups: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, f) in fields.iter().enumerate() {
        if f.rust_name.is_none() {
            groups.entry(out[i].clone()).or_default().push(i);
        }
    }
    for (name, members) in groups {
        // The plain name stays with one member, unless an explicit `rust_name` has it.
        let keeper = (!explicit.contains(name.as_str())).then(|| {
            members
                .iter()
                .copied()
                .find(|&i| fields[i].name == name)
                .unwrap_or(members[0])
        });
        for &i in members.iter().filter(|&&i| Some(i) != keeper) {
            let wire = fields[i].name.as_str();
            let upper = wire.chars().any(|c| c.is_ascii_uppercase());
            let lower = wire.chars().any(|c| c.is_ascii_lowercase());
            let style = match (upper, lower) {
                (true, true) => Some("camel"),
                (true, false) => Some("upper"),
                _ => None,
            };
            // `type_` (an escaped keyword) + `_2` reads `type_2`, not `type__2`.
            let stem = name.trim_end_matches('_');
            let stem = if stem.is_empty() { name.as_str() } else { stem };
            let mut candidate = style.map(|s| format!("{stem}_{s}"));
            let mut k = 2;
            while candidate.as_ref().is_none_or(|c| taken.contains(c)) {
                candidate = Some(format!("{stem}_{k}"));
                k += 1;
            }
            let c = candidate.unwrap_or_default();
            taken.insert(c.clone());
            out[i] = c;
        }
    }
    out
}

/// One field that [`settle`] named by rule because its plain name collided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Renamed {
    /// Where: `department.get params`, `calendar.event.get type GetResult`, ...
    pub place: String,
    /// The wire name (`SORT`).
    pub wire: String,
    /// The Rust name it gets (`sort_upper`).
    pub rust: String,
    /// The Rust name it would have had (`sort`), kept by another field.
    pub plain: String,
}

impl std::fmt::Display for Renamed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: `{}` is named `{}` (`{}` is another field's name)",
            self.place, self.wire, self.rust, self.plain
        )
    }
}

/// Writes the names [`field_names`] decides into every field list of `spec` (method
/// parameters, object types, event data) as `rust_name`, so every consumer (generator,
/// docs, `spec-diff`) reads the same names through [`field_of`]; returns one note per
/// field named by rule. Idempotent.
pub fn settle(spec: &mut Spec) -> Vec<Renamed> {
    let mut notes = Vec::new();
    let mut list = |place: String, fields: &mut [Field]| {
        let names = field_names(fields);
        for (f, rust) in fields.iter_mut().zip(names) {
            if field_of(f) != rust {
                notes.push(Renamed {
                    place: place.clone(),
                    wire: f.name.clone(),
                    plain: field_of(f),
                    rust: rust.clone(),
                });
                f.rust_name = Some(rust);
            }
        }
    };
    let types = |owner: &str,
                 types: &mut [crate::spec::TypeDef],
                 list: &mut dyn FnMut(String, &mut [Field])| {
        for t in types {
            if let Some(fields) = &mut t.fields {
                list(format!("{owner}type `{}`", t.name), fields);
            }
        }
    };
    for m in &mut spec.methods {
        let m = &mut m.method;
        list(format!("`{}` params", m.method), &mut m.params);
        types(&format!("`{}` ", m.method), &mut m.types, &mut list);
    }
    for e in &mut spec.events {
        let e = &mut e.event;
        list(format!("event `{}` data", e.event), &mut e.data);
        types(&format!("event `{}` ", e.event), &mut e.types, &mut list);
    }
    types("shared ", &mut spec.types, &mut list);
    list("`api.yaml` event_auth".to_owned(), &mut spec.api.event_auth);
    notes
}

/// Names the crate root has for itself: a first method-name segment that would become one
/// of these modules (or Cargo features) gets a `_` suffix (`events` → `events_`).
pub const ROOT_ITEMS: &[&str] = &[
    "events",
    "types",
    "error_code",
    "testing",
    "prelude",
    "serde_json",
    "futures_util",
    "default",
];

/// Module names Cargo and rustc treat specially (`special_module_name` warns on `mod main;`
/// and `mod lib;`): they get a `_` suffix at any depth.
const SPECIAL_MODULES: &[&str] = &["main", "lib"];

/// A module for one method-name segment below the first: `volatileType` →
/// `volatile_type`, `enum` → `enum_`, `sonet_group` → `sonet_group`, `main` → `main_`.
pub fn module(segment: &str) -> String {
    let mut name = escape(segment.to_snake_case(), "_");
    if SPECIAL_MODULES.contains(&name.as_str()) {
        name.push('_');
    }
    name
}

/// The module (and Cargo feature) of a first method-name segment: like [`module`], and
/// names the crate root has itself ([`ROOT_ITEMS`]) get a `_` suffix (`events` →
/// `events_`).
pub fn top_module(segment: &str) -> String {
    let mut name = module(segment);
    if ROOT_ITEMS.contains(&name.as_str()) {
        name.push('_');
    }
    name
}

/// The package of the crate holding the methods of the first segment `seg` of the crate
/// family `facade` (`crm` → `bitrix24-crm`, `sonet_group` → `bitrix24-sonet-group`). A
/// segment named like an item of the crate root (`events` → the module `events_`) gets
/// `-methods` (`bitrix24-events-methods`), so it cannot take the name of the events crate
/// ([`events_package`]) or the shared-types crate ([`types_package`]).
pub fn scope_package(facade: &str, seg: &str) -> String {
    let module = top_module(seg);
    let base = module.trim_end_matches('_');
    let name = base.replace('_', "-");
    if ROOT_ITEMS.contains(&base) {
        format!("{facade}-{name}-methods")
    } else {
        format!("{facade}-{name}")
    }
}

/// The package of the crate holding the inbound events of the crate family `facade`
/// (`bitrix24-events`, re-exported as `bitrix24::events`).
pub fn events_package(facade: &str) -> String {
    format!("{facade}-events")
}

/// The package of the crate holding the shared named types (`spec/types/`) of the crate
/// family `facade` (`bitrix24-types`).
pub fn types_package(facade: &str) -> String {
    format!("{facade}-types")
}

/// The Cargo feature (and top-level module) of a method: [`top_module`] of its first
/// segment (`crm.deal.add` → `crm`, `events` → `events_`).
pub fn feature(method: &str) -> String {
    top_module(method.split('.').next().unwrap_or(method))
}

/// A type or enum variant: `ENTITY_TYPE` → `EntityType`, `Self` → `Self_`.
pub fn type_name(name: &str) -> String {
    escape(name.to_upper_camel_case(), "V")
}

/// Words for the symbols of punctuation-only values, longest first: a value without
/// ASCII letters or digits (`<=`, `-`, `""`) is named by spelling it out (`LessOrEqual`,
/// `Dash`, `Empty`). A character not listed becomes `U` and its code point (`U2014`).
pub const SYMBOLS: &[(&str, &str)] = &[
    ("<=", "LessOrEqual"),
    (">=", "GreaterOrEqual"),
    ("!=", "NotEqual"),
    ("<>", "NotEqual"),
    ("><", "Between"),
    ("==", "Equal"),
    ("=", "Equal"),
    ("<", "Less"),
    (">", "Greater"),
    ("!", "Not"),
    ("%", "Percent"),
    ("*", "Asterisk"),
    ("+", "Plus"),
    ("-", "Dash"),
    ("_", "Underscore"),
    ("/", "Slash"),
    ("\\", "Backslash"),
    ("|", "Pipe"),
    ("&", "Ampersand"),
    ("#", "Hash"),
    ("@", "At"),
    ("$", "Dollar"),
    ("€", "Euro"),
    ("£", "Pound"),
    ("₽", "Ruble"),
    ("^", "Caret"),
    ("~", "Tilde"),
    ("?", "Question"),
    (".", "Dot"),
    (",", "Comma"),
    (":", "Colon"),
    (";", "Semicolon"),
    ("\"", "Quote"),
    ("'", "Apostrophe"),
    ("`", "Backtick"),
    ("(", "OpenParen"),
    (")", "CloseParen"),
    ("[", "OpenBracket"),
    ("]", "CloseBracket"),
    ("{", "OpenBrace"),
    ("}", "CloseBrace"),
];

/// The UpperCamelCase name of a value without ASCII letters or digits, spelled out with
/// [`SYMBOLS`] (whitespace is skipped): `""` → `Empty`, `<=` → `LessOrEqual`, `$ #` →
/// `DollarHash`; `None` when the value has letters or digits (it names itself).
pub fn symbol_name(value: &str) -> Option<String> {
    if value.chars().any(|c| c.is_ascii_alphanumeric()) {
        return None;
    }
    let mut rest = value.trim();
    if rest.is_empty() {
        return Some(if value.is_empty() { "Empty" } else { "Space" }.to_owned());
    }
    let mut out = String::new();
    while let Some(c) = rest.chars().next() {
        if c.is_whitespace() {
            rest = &rest[c.len_utf8()..];
            continue;
        }
        if let Some((sym, word)) = SYMBOLS.iter().find(|(sym, _)| rest.starts_with(sym)) {
            out.push_str(word);
            rest = &rest[sym.len()..];
        } else {
            out.push_str(&format!("U{:04X}", u32::from(c)));
            rest = &rest[c.len_utf8()..];
        }
    }
    Some(out)
}

/// An enum variant: like [`type_name`]; a value without letters or digits is spelled out
/// ([`symbol_name`]: `<=` → `LessOrEqual`); and `Unknown` (the generated fallback variant
/// for values this version does not know) becomes `Unknown_`.
pub fn variant(name: &str) -> String {
    let mut v = symbol_name(name).unwrap_or_else(|| type_name(name));
    if v == "Unknown" {
        v.push('_');
    }
    v
}

/// The request struct of a method: the last segment in UpperCamelCase
/// (`crm.activity.todo.updateColor` → `UpdateColor`).
pub fn request(method: &str) -> String {
    type_name(method.rsplit('.').next().unwrap_or(method))
}

/// The module path of a method: one module per segment, the first by [`top_module`]
/// (`crm.duplicate.volatileType.fields` → `["crm", "duplicate", "volatile_type", "fields"]`).
pub fn method_modules(method: &str) -> Vec<String> {
    method
        .split('.')
        .enumerate()
        .map(|(i, s)| if i == 0 { top_module(s) } else { module(s) })
        .collect()
}

/// The Rust path users write, e.g. `bitrix24::crm::calllist::Add`.
pub fn request_path(method: &str) -> String {
    let mods = method_modules(method);
    let parent = &mods[..mods.len().saturating_sub(1)];
    let mut path = String::from("bitrix24");
    for m in parent {
        path.push_str("::");
        path.push_str(m);
    }
    path.push_str("::");
    path.push_str(&request(method));
    path
}

/// The marker type of an event (`onCrmActivityAdd` → `OnCrmActivityAdd`), which implements
/// `bitrix24_runtime::event::Event`; also the event's variant of the generated `Event` enum
/// (see [`event_variant`]).
pub fn event_type(event: &str) -> String {
    type_name(event)
}

/// The variant of the generated `Event` enum: like [`event_type`], but never `Unknown`
/// (the fallback variant).
pub fn event_variant(event: &str) -> String {
    variant(event)
}

/// The type of an event's `data` (`onCrmActivityAdd` → `OnCrmActivityAddData`).
pub fn event_data(event: &str) -> String {
    format!("{}Data", type_name(event))
}

/// The module of an event inside `bitrix24::events` (`onCrmActivityAdd` →
/// `on_crm_activity_add`).
pub fn event_module(event: &str) -> String {
    module(event)
}

/// The Rust path users write for an event's marker type, e.g.
/// `bitrix24::events::OnCrmActivityAdd`.
pub fn event_path(event: &str) -> String {
    format!("bitrix24::events::{}", event_type(event))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions() {
        assert_eq!(field("ENTITY_TYPE"), "entity_type");
        assert_eq!(field("ownerTypeId"), "owner_type_id");
        assert_eq!(field("type"), "type_");
        assert_eq!(field("1C"), "_1c");
        assert_eq!(field("NEW"), "new_");
        assert_eq!(module("enum"), "enum_");
        assert_eq!(module("volatileType"), "volatile_type");
        assert_eq!(type_name("ENTITY_TYPE"), "EntityType");
        assert_eq!(type_name("self"), "Self_");
        assert_eq!(type_name("1"), "V1");
        assert_eq!(request("crm.activity.todo.updateColor"), "UpdateColor");
        assert_eq!(
            request_path("crm.enum.fields"),
            "bitrix24::crm::enum_::Fields"
        );
        assert_eq!(event_type("onCrmActivityAdd"), "OnCrmActivityAdd");
        assert_eq!(event_data("onCrmActivityAdd"), "OnCrmActivityAddData");
        assert_eq!(event_module("onCrmActivityAdd"), "on_crm_activity_add");
        assert_eq!(event_module("ONAPPINSTALL"), "onappinstall");
        assert_eq!(
            event_path("onCrmActivityAdd"),
            "bitrix24::events::OnCrmActivityAdd"
        );
    }

    fn f(name: &str, rust_name: Option<&str>) -> Field {
        Field {
            name: name.into(),
            rust_name: rust_name.map(Into::into),
            ty: "string".into(),
            doc_type: None,
            required: false,
            description: String::new(),
            default: None,
            wire: None,
            kept: None,
        }
    }

    #[test]
    fn symbols_and_raw_twins() {
        assert_eq!(variant(""), "Empty");
        assert_eq!(variant("-"), "Dash");
        assert_eq!(variant("<="), "LessOrEqual");
        assert_eq!(variant(">="), "GreaterOrEqual");
        assert_eq!(variant("!="), "NotEqual");
        assert_eq!(variant("%"), "Percent");
        assert_eq!(variant("*"), "Asterisk");
        assert_eq!(variant("$ #"), "DollarHash");
        assert_eq!(variant("€ #"), "EuroHash");
        assert_eq!(variant("—"), "U2014");
        assert_eq!(variant(" "), "Space");
        assert_eq!(variant("in progress"), "InProgress");
        assert_eq!(variant("unknown"), "Unknown_");
        assert_eq!(type_name(""), "Empty");
        assert_eq!(field("~DESCRIPTION"), "description_raw");
        assert_eq!(field("~UNTIL"), "until_raw");
        assert_eq!(field("~~X"), "x");
        assert_eq!(field("~1C"), "_1c_raw");
    }

    #[test]
    fn modules() {
        assert_eq!(module("sonet_group"), "sonet_group");
        assert_eq!(module("Chat"), "chat");
        assert_eq!(module("main"), "main_");
        assert_eq!(module("lib"), "lib_");
        assert_eq!(module("events"), "events");
        assert_eq!(top_module("events"), "events_");
        assert_eq!(top_module("testing"), "testing_");
        assert_eq!(top_module("crm"), "crm");
        assert_eq!(feature("events"), "events_");
        assert_eq!(
            method_modules("events.main.get"),
            ["events_", "main_", "get"]
        );
        assert_eq!(
            request_path("sonet_group.user.add"),
            "bitrix24::sonet_group::user::Add"
        );
    }

    #[test]
    fn colliding_fields_are_named_by_rule() {
        let names = |fs: &[Field]| field_names(fs);
        assert_eq!(
            names(&[f("chatId", None), f("chat_id", None)]),
            ["chat_id_camel", "chat_id"]
        );
        assert_eq!(
            names(&[f("sort", None), f("SORT", None)]),
            ["sort", "sort_upper"]
        );
        assert_eq!(
            names(&[f("SORT", None), f("sort", None)]),
            ["sort_upper", "sort"]
        );
        assert_eq!(
            names(&[f("DESCRIPTION", None), f("~DESCRIPTION", None)]),
            ["description", "description_raw"]
        );
        // No spelling is the Rust name: the first keeps it.
        assert_eq!(
            names(&[f("OwnerTypeId", None), f("OWNER_TYPE_ID", None)]),
            ["owner_type_id", "owner_type_id_upper"]
        );
        // A suffixed name never takes a name another field has.
        assert_eq!(
            names(&[f("sort", None), f("SORT", None), f("sort_upper", None)]),
            ["sort", "sort_2", "sort_upper"]
        );
        // An explicit `rust_name` wins over the rule.
        assert_eq!(
            names(&[f("a", Some("sort")), f("sort", None)]),
            ["sort", "sort_2"]
        );
        // An escaped keyword and its escape: the one spelled `type_` keeps it.
        assert_eq!(
            names(&[f("type", None), f("type_", None)]),
            ["type_2", "type_"]
        );
        // Collisions of explicit names are left for the validator.
        assert_eq!(names(&[f("a", Some("x")), f("b", Some("x"))]), ["x", "x"]);
    }

    #[test]
    fn settle_writes_rust_names_and_notes_once() {
        let mut spec = Spec {
            api: serde_yaml::from_str(
                "docs:\n  repository: r\n  commit: c\n  date: d\n  base_url: u\nsystem_errors: []\n",
            )
            .expect("api"),
            methods: Vec::new(),
            types: vec![crate::spec::TypeDef {
                name: "Msg".into(),
                description: String::new(),
                fields: Some(vec![f("chatId", None), f("chat_id", None)]),
                values: None,
                repr: None,
                key_families: Vec::new(),
            }],
            events: Vec::new(),
        };
        let notes = settle(&mut spec);
        assert_eq!(
            notes.iter().map(ToString::to_string).collect::<Vec<_>>(),
            [
                "shared type `Msg`: `chatId` is named `chat_id_camel` (`chat_id` is another field's name)"
            ]
        );
        let fields = spec.types[0].fields.as_ref().expect("fields");
        assert_eq!(fields[0].rust_name.as_deref(), Some("chat_id_camel"));
        assert_eq!(fields[1].rust_name, None);
        assert!(settle(&mut spec).is_empty(), "idempotent");
    }
}
