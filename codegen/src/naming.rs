//! Rust names for spec names: one place, used by the validator (to find collisions) and
//! by the generator (to emit identifiers).
//!
//! Rule for words Rust reserves: append `_` (`type` → `type_`, `Self` → `Self_`). Names
//! that would start with a digit get a leading `_` (`1C` → `_1c`) for fields and `V` for
//! types and variants (`1` → `V1`) — the spec should give enum values like `1` a `name`.

use heck::{ToSnakeCase, ToUpperCamelCase};

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
        name.push_str("empty");
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
/// `NEW` → `new_` (names generated structs use themselves: `new`, `default`, `extra`, ...).
pub fn field(wire: &str) -> String {
    let mut name = escape(wire.to_snake_case(), "_");
    if STRUCT_MEMBERS.contains(&name.as_str()) {
        name.push('_');
    }
    name
}

/// The Rust name of a spec field: its `rust_name` when given, else [`field`] of its
/// wire name.
pub fn field_of(f: &crate::spec::Field) -> String {
    f.rust_name.clone().unwrap_or_else(|| field(&f.name))
}

/// A module for one method-name segment: `volatileType` → `volatile_type`, `enum` → `enum_`.
pub fn module(segment: &str) -> String {
    escape(segment.to_snake_case(), "_")
}

/// A type or enum variant: `ENTITY_TYPE` → `EntityType`, `Self` → `Self_`.
pub fn type_name(name: &str) -> String {
    escape(name.to_upper_camel_case(), "V")
}

/// An enum variant: like [`type_name`], and `Unknown` (the generated fallback variant
/// for values this version does not know) becomes `Unknown_`.
pub fn variant(name: &str) -> String {
    let mut v = type_name(name);
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

/// The module path of a method: one module per segment
/// (`crm.duplicate.volatileType.fields` → `["crm", "duplicate", "volatile_type", "fields"]`).
pub fn method_modules(method: &str) -> Vec<String> {
    method.split('.').map(module).collect()
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
}
