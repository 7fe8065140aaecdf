//! The classification rules of `cargo xtask spec-diff`, all in one table ([`RULES`]).
//!
//! Every change the differ finds is one [`RuleId`]; its row says what kind of change it
//! is, when the rule applies (the condition the differ checked), its [`Class`] and the
//! one-line reason shown to reviewers. The classes follow what the generator emits
//! (`codegen/src/generate/`):
//!
//! - a request is a struct whose **required** parameters are the arguments of `new` and
//!   whose optional ones are setters; every field is `pub`; a struct with no required field
//!   derives `Default`;
//! - named objects are the same kind of struct (`new` + setters), and in results a
//!   non-required field is `Option<T>` (`T | null` is `Option<T>` too, never nested);
//! - structs and enums are `#[non_exhaustive]`; unknown keys land in `extra()`, unknown
//!   enum values in `Unknown(String)`;
//! - `ErrorCode` is one service-wide `#[non_exhaustive]` enum built from the system errors
//!   and every method's codes, spellings that differ in case or separators sharing a variant;
//! - `wire:` formats and enum `repr` only change how values are encoded;
//! - scalars map onto few Rust types (`string`/`char`/`date`/`datetime` → `String`,
//!   `integer`/`timestamp` → `i64`), so a spec type change with the same Rust type breaks
//!   nobody;
//! - one Cargo feature per first method segment; scope, aliases, list facts, `paged`,
//!   defaults, HTTP statuses and all prose are only rendered into rustdoc and Markdown;
//! - each event is a marker type, a `...Data` struct (its `data` keys, the same kind of
//!   struct as a named object, so the field rules apply) and a variant of the
//!   `#[non_exhaustive]` enum `bitrix24::events::Event`; an unknown event parses as
//!   `Event::Unknown`. `bind` and `api.yaml`'s `event_auth` are only documented.
//!
//! **breaking**: code written against the old crate may stop compiling, or a value it
//! relies on decodes differently. **compatible**: the crate or the service contract
//! changes without breaking such code (new items, encoding, attributes, server-side facts
//! callers may rely on). **docs-only**: only rustdoc and the Markdown reference change.

use std::fmt;
use std::str::FromStr;

/// How a change affects the generated crate and its callers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Class {
    /// Existing callers may stop compiling or see different decoding.
    Breaking,
    /// A new item, an encoding or attribute change, or a service fact callers rely on.
    Compatible,
    /// Only rustdoc and the Markdown reference change.
    DocsOnly,
}

impl Class {
    /// All classes, most severe first.
    pub const ALL: [Class; 3] = [Class::Breaking, Class::Compatible, Class::DocsOnly];

    /// The spelling in reports and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Class::Breaking => "breaking",
            Class::Compatible => "compatible",
            Class::DocsOnly => "docs-only",
        }
    }

    /// Whether `self` is as severe as `threshold` or more (`--fail-on`).
    pub fn at_least(self, threshold: Class) -> bool {
        self <= threshold
    }
}

impl fmt::Display for Class {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Class {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Class::ALL
            .into_iter()
            .find(|c| c.as_str() == s || (s == "docs_only" && *c == Class::DocsOnly))
            .ok_or_else(|| {
                format!("unknown class `{s}`: expected breaking, compatible or docs-only")
            })
    }
}

macro_rules! kinds {
    ($($(#[doc = $doc:literal])* $id:ident => $name:literal,)*) => {
        /// What changed (the `kind` of a change in the JSON output).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Kind {
            $($(#[doc = $doc])* $id,)*
        }

        impl Kind {
            /// Every kind.
            pub const ALL: &'static [Kind] = &[$(Kind::$id,)*];

            /// The stable snake_case name.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Kind::$id => $name,)*
                }
            }
        }
    };
}

kinds! {
    /// A method file appeared.
    MethodAdded => "method_added",
    /// A method file disappeared.
    MethodRemoved => "method_removed",
    /// `deprecated` appeared.
    Deprecated => "deprecated",
    /// `deprecated` disappeared.
    Undeprecated => "undeprecated",
    /// The deprecation note or replacement changed.
    DeprecationChanged => "deprecation_changed",
    /// An alias appeared.
    AliasAdded => "alias_added",
    /// An alias disappeared.
    AliasRemoved => "alias_removed",
    /// The OAuth scope changed.
    ScopeChanged => "scope_changed",
    /// `read_only` flipped.
    ReadOnlyChanged => "read_only_changed",
    /// `positional` flipped.
    PositionalChanged => "positional_changed",
    /// `list` appeared.
    ListAdded => "list_added",
    /// `list` disappeared.
    ListRemoved => "list_removed",
    /// `list.page_size`, `list.items` or `list.id_field` changed.
    ListChanged => "list_changed",
    /// `title` changed.
    TitleChanged => "title_changed",
    /// `summary` changed.
    SummaryChanged => "summary_changed",
    /// `description` changed, appeared or disappeared.
    DescriptionChanged => "description_changed",
    /// `access` changed, appeared or disappeared.
    AccessChanged => "access_changed",
    /// `source.path` or `source.commit` changed.
    SourceChanged => "source_changed",
    /// An example appeared.
    ExampleAdded => "example_added",
    /// An example disappeared.
    ExampleRemoved => "example_removed",
    /// An example's JSON or notes changed.
    ExampleChanged => "example_changed",
    /// A parameter appeared.
    ParamAdded => "param_added",
    /// A parameter disappeared.
    ParamRemoved => "param_removed",
    /// A parameter's wire name changed, its Rust name did not.
    ParamRenamed => "param_renamed",
    /// `required` flipped on a parameter.
    ParamRequiredChanged => "param_required_changed",
    /// A parameter's type changed.
    ParamTypeChanged => "param_type_changed",
    /// A parameter's `wire` format changed.
    ParamWireChanged => "param_wire_changed",
    /// A parameter's documented default changed.
    ParamDefaultChanged => "param_default_changed",
    /// A parameter's `doc_type` changed.
    ParamDocTypeChanged => "param_doc_type_changed",
    /// A parameter's description changed.
    ParamDescriptionChanged => "param_description_changed",
    /// The parameters' order changed.
    ParamsReordered => "params_reordered",
    /// The result type changed.
    ResultTypeChanged => "result_type_changed",
    /// `result.paged` flipped.
    ResultPagedChanged => "result_paged_changed",
    /// `result.doc_type` changed.
    ResultDocTypeChanged => "result_doc_type_changed",
    /// `result.description` changed.
    ResultDescriptionChanged => "result_description_changed",
    /// A named type appeared.
    TypeAdded => "type_added",
    /// A named type disappeared.
    TypeRemoved => "type_removed",
    /// A named type turned from an object into an enum or back.
    TypeKindChanged => "type_kind_changed",
    /// A named type's description changed.
    TypeDescriptionChanged => "type_description_changed",
    /// An object field appeared.
    FieldAdded => "field_added",
    /// An object field disappeared.
    FieldRemoved => "field_removed",
    /// An object field's wire name changed, its Rust name did not.
    FieldRenamed => "field_renamed",
    /// `required` flipped on an object field.
    FieldRequiredChanged => "field_required_changed",
    /// An object field's type changed.
    FieldTypeChanged => "field_type_changed",
    /// An object field's `wire` format changed.
    FieldWireChanged => "field_wire_changed",
    /// An object field's documented default changed.
    FieldDefaultChanged => "field_default_changed",
    /// An object field's `doc_type` changed.
    FieldDocTypeChanged => "field_doc_type_changed",
    /// An object field's description changed.
    FieldDescriptionChanged => "field_description_changed",
    /// An object's fields changed order.
    FieldsReordered => "fields_reordered",
    /// An enum value appeared.
    EnumValueAdded => "enum_value_added",
    /// An enum value disappeared.
    EnumValueRemoved => "enum_value_removed",
    /// An enum value kept its wire value but got another Rust variant.
    EnumVariantRenamed => "enum_variant_renamed",
    /// An enum variant kept its Rust name but got another wire value.
    EnumValueWireChanged => "enum_value_wire_changed",
    /// An enum value's `name` changed without changing the Rust variant.
    EnumValueNameChanged => "enum_value_name_changed",
    /// An enum value's description changed.
    EnumValueDescriptionChanged => "enum_value_description_changed",
    /// An enum's `repr` changed.
    EnumReprChanged => "enum_repr_changed",
    /// A documented error code appeared.
    ErrorAdded => "error_added",
    /// A documented error code disappeared.
    ErrorRemoved => "error_removed",
    /// An error's HTTP status changed.
    ErrorStatusChanged => "error_status_changed",
    /// An error's `message` changed.
    ErrorMessageChanged => "error_message_changed",
    /// An error's description changed.
    ErrorDescriptionChanged => "error_description_changed",
    /// An `ErrorCode` variant appeared through an added method.
    ErrorCodeVariantAdded => "error_code_variant_added",
    /// An `ErrorCode` variant disappeared through a removed method.
    ErrorCodeVariantRemoved => "error_code_variant_removed",
    /// An existing `ErrorCode` variant matches a new spelling through an added method.
    ErrorCodeSpellingAdded => "error_code_spelling_added",
    /// An `ErrorCode` variant no longer matches a spelling through a removed method.
    ErrorCodeSpellingRemoved => "error_code_spelling_removed",
    /// A Cargo feature (first method segment) appeared.
    FeatureAdded => "feature_added",
    /// A Cargo feature disappeared.
    FeatureRemoved => "feature_removed",
    /// `api.yaml`'s docs pin changed.
    DocsPinChanged => "docs_pin_changed",
    /// An event file appeared.
    EventAdded => "event_added",
    /// An event file disappeared.
    EventRemoved => "event_removed",
    /// An event's name changed case, its Rust names did not.
    EventRenamed => "event_renamed",
    /// A method that binds a handler to an event appeared or disappeared.
    EventBindChanged => "event_bind_changed",
    /// An event's `data_type` (`data` as a value, not keys) changed.
    EventDataTypeChanged => "event_data_type_changed",
    /// `api.yaml`'s `event_auth` (the `auth` keys of deliveries) changed.
    EventAuthChanged => "event_auth_changed",
}

/// One classification rule: a row of [`RULES`].
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    /// The rule.
    pub id: RuleId,
    /// The kind of change it classifies.
    pub kind: Kind,
    /// When it applies (empty: whenever a change of `kind` is found).
    pub when: &'static str,
    /// The verdict.
    pub class: Class,
    /// Why, for reviewers; `{name}` placeholders are filled from the change (see [`PLACEHOLDERS`]).
    pub reason: &'static str,
}

/// The placeholders a rule's reason may use: `rust` (Rust path of the method or type),
/// `holder` (the struct whose `new`/setters change), `field` (Rust field or setter name),
/// `before`/`after` (spec values), `rust_before`/`rust_after` (Rust types or variants),
/// `variant` (enum or `ErrorCode` variant), `value` (enum wire value), `code` (error code),
/// `sources` (who else documents an error code), `feature`, `wire` (an encoding, in words),
/// `note` (an optional tail such as "; `Add` no longer implements `Default`").
pub const PLACEHOLDERS: &[&str] = &[
    "rust",
    "holder",
    "field",
    "before",
    "after",
    "rust_before",
    "rust_after",
    "variant",
    "value",
    "code",
    "sources",
    "feature",
    "wire",
    "note",
];

macro_rules! rules {
    ($($id:ident: $kind:ident, $class:ident, $when:literal, $reason:literal;)*) => {
        /// Identifies a row of [`RULES`].
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum RuleId {
            $(
                #[doc = concat!("`", stringify!($kind), "`: ", $reason)]
                $id,
            )*
        }

        /// Every rule, in [`RuleId`] order: the whole classification on one screen.
        pub const RULES: &[Rule] = &[
            $(Rule {
                id: RuleId::$id,
                kind: Kind::$kind,
                when: $when,
                class: Class::$class,
                reason: $reason,
            },)*
        ];
    };
}

rules! {
    // -- methods ------------------------------------------------------------------------
    MethodAdded: MethodAdded, Compatible, "",
        "a new request type `{rust}` with its module and types";
    MethodRemoved: MethodRemoved, Breaking, "no method of the same name in another case",
        "`{rust}` and the types of its module disappear";
    MethodRenamedCase: MethodRemoved, Breaking, "the head has the name in another case",
        "the docs now spell it `{after}`: the portal takes either spelling, but the Rust path moves to `{rust_after}` and `{rust}` disappears";
    MethodRemovedAfterDeprecation: MethodRemoved, Breaking, "its page was dropped from the docs; kept as deprecated by the last release",
        "`{rust}` and the types of its module, `#[deprecated]` since the last release, are removed";
    MethodDroppedKept: Deprecated, Compatible, "the docs dropped its page; the published record keeps it",
        "the docs no longer have it: `{rust}` stays for one release as `#[deprecated]` (a warning, not an error), still callable";
    Deprecated: Deprecated, Compatible, "the docs mark it deprecated",
        "`{rust}` gets `#[deprecated]`: a warning for callers, not an error (only `-D warnings` builds fail)";
    Undeprecated: Undeprecated, Compatible, "",
        "`#[deprecated]` is removed from `{rust}`";
    DeprecationChanged: DeprecationChanged, DocsOnly, "note or replacement differs",
        "only the deprecation note (warning text and rustdoc) changes";
    AliasAdded: AliasAdded, DocsOnly, "",
        "aliases are only documented; the request is sent by its canonical `NAME`";
    AliasRemoved: AliasRemoved, DocsOnly, "",
        "aliases are only documented; the request is sent by its canonical `NAME`";
    ScopeChanged: ScopeChanged, Compatible, "",
        "no Rust API change, but an OAuth app calling it needs the `{after}` scope";
    ReadOnlyBecameTrue: ReadOnlyChanged, Compatible, "false → true",
        "`Method::READ_ONLY` becomes `true`: the call counts as safe to retry after an ambiguous failure";
    ReadOnlyBecameFalse: ReadOnlyChanged, Compatible, "true → false",
        "`Method::READ_ONLY` becomes `false`: the call is no longer safe to retry after an ambiguous failure";
    PositionalBecameTrue: PositionalChanged, DocsOnly, "false → true",
        "the request's docs say the portal reads its parameters by position (they are sent in documented order either way)";
    PositionalBecameFalse: PositionalChanged, DocsOnly, "true → false",
        "the request's docs no longer say the portal reads its parameters by position";
    ListAdded: ListAdded, Compatible, "",
        "no Rust API change (list facts are only documented); the method now pages by `start`";
    ListRemoved: ListRemoved, Compatible, "",
        "no Rust API change (list facts are only documented); the method no longer pages by `start`";
    ListChanged: ListChanged, Compatible, "",
        "no Rust API change (list facts are only documented); callers paging by `start` rely on it";
    TitleChanged: TitleChanged, DocsOnly, "", "rustdoc and Markdown docs only";
    SummaryChanged: SummaryChanged, DocsOnly, "", "rustdoc and Markdown docs only";
    DescriptionChanged: DescriptionChanged, DocsOnly, "", "rustdoc and Markdown docs only";
    AccessChanged: AccessChanged, DocsOnly, "", "rustdoc and Markdown docs only";
    SourceChanged: SourceChanged, DocsOnly, "",
        "provenance: the docs link and commit in rustdoc";
    ExampleAdded: ExampleAdded, DocsOnly, "",
        "a documentation example (and its generated round-trip test)";
    ExampleRemoved: ExampleRemoved, DocsOnly, "",
        "a documentation example (and its generated round-trip test)";
    ExampleChanged: ExampleChanged, DocsOnly, "",
        "a documentation example (and its generated round-trip test)";

    // -- parameters (the request struct) --------------------------------------------------
    ParamAddedRequired: ParamAdded, Breaking, "required",
        "a new constructor argument: `{holder}::new` takes `{field}`{note}";
    ParamAddedOptional: ParamAdded, Compatible, "optional",
        "a new setter `{field}` (requests are `#[non_exhaustive]`)";
    ParamRemovedRequired: ParamRemoved, Breaking, "was required",
        "an argument disappears: `{holder}::new` no longer takes `{field}`";
    ParamRemovedOptional: ParamRemoved, Breaking, "was optional",
        "a setter disappears: `{holder}::{field}` and its field are gone";
    ParamRemovedDeprecated: ParamRemoved, Compatible, "was optional; the published record keeps it",
        "the docs no longer list it: the setter `{holder}::{field}` and its field stay for one release as `#[deprecated]` (a warning, not an error), still sent and decoded";
    ParamRemovedAfterDeprecation: ParamRemoved, Breaking, "kept as deprecated by the last release",
        "the setter `{holder}::{field}` and its field, `#[deprecated]` since the last release, are removed";
    ParamRestored: ParamAdded, Compatible, "kept as deprecated before",
        "the docs list it again: `{holder}::{field}` is no longer `#[deprecated]`";
    ParamRenamed: ParamRenamed, Compatible, "same Rust name",
        "the Rust name `{field}` stays; only the key sent on the wire changes";
    ParamBecameRequired: ParamRequiredChanged, Breaking, "optional → required",
        "a new constructor argument: `{holder}::new` takes `{field}` and the setter disappears{note}";
    ParamBecameOptional: ParamRequiredChanged, Breaking, "required → optional",
        "removes a constructor argument: `{holder}::new` no longer takes `{field}`, which becomes a setter";
    ParamTypeArgument: ParamTypeChanged, Breaking, "required; the Rust type differs",
        "the argument type of `{holder}::new` changes: `{rust_before}` → `{rust_after}`";
    ParamTypeSetter: ParamTypeChanged, Breaking, "optional; the Rust type differs",
        "the setter `{field}` and its field change type: `{rust_before}` → `{rust_after}`";
    ParamTypeSameRust: ParamTypeChanged, Compatible, "the Rust type is the same",
        "the Rust type stays `{rust_after}`; only the documented type changes";
    ParamWireChanged: ParamWireChanged, Compatible, "",
        "encoding only: same Rust type, now sent {wire}";
    ParamDefaultChanged: ParamDefaultChanged, Compatible, "",
        "no Rust API change; callers that omit `{field}` get the documented default";
    ParamDocTypeChanged: ParamDocTypeChanged, DocsOnly, "",
        "the docs' own type token, shown in rustdoc";
    ParamDescriptionChanged: ParamDescriptionChanged, DocsOnly, "", "rustdoc only";
    ParamsReorderedRequired: ParamsReordered, Breaking, "required parameters change order",
        "the argument order of `{holder}::new` changes";
    ParamsReorderedOptional: ParamsReordered, DocsOnly, "only optional parameters move",
        "documented order only; setters are unaffected";

    // -- result ---------------------------------------------------------------------------
    ResultTypeChanged: ResultTypeChanged, Breaking, "the Rust type differs",
        "`Output` changes: `{rust_before}` → `{rust_after}`";
    ResultTypeSameRust: ResultTypeChanged, Compatible, "the Rust type is the same",
        "`Output` stays `{rust_after}`; only the documented type changes";
    ResultPagedChanged: ResultPagedChanged, Compatible, "",
        "no Rust API change (`Response::total`/`next` are `Option` either way); paging callers rely on it";
    ResultDocTypeChanged: ResultDocTypeChanged, DocsOnly, "",
        "the docs' own type token, shown in rustdoc";
    ResultDescriptionChanged: ResultDescriptionChanged, DocsOnly, "", "rustdoc only";

    // -- named types (method-local and spec/types) ------------------------------------------
    TypeAdded: TypeAdded, Compatible, "", "a new type `{rust}`";
    TypeRemoved: TypeRemoved, Breaking, "", "the type `{rust}` disappears";
    TypeKindChanged: TypeKindChanged, Breaking, "object ↔ enum",
        "`{rust}` changes between a struct and an enum";
    TypeDescriptionChanged: TypeDescriptionChanged, DocsOnly, "", "rustdoc only";
    FieldAddedRequired: FieldAdded, Breaking, "required",
        "a new constructor argument: `{holder}::new` takes `{field}`{note}; a response without the key no longer decodes";
    FieldAddedOptional: FieldAdded, Compatible, "optional",
        "a new `Option` field and setter `{field}` (structs are `#[non_exhaustive]`); the key was in `extra()` before";
    FieldRemoved: FieldRemoved, Breaking, "the published record does not keep it",
        "the field `{holder}::{field}` (and its setter or `new` argument) disappears; the key lands in `extra()`";
    FieldRemovedDeprecated: FieldRemoved, Compatible, "was optional; the published record keeps it",
        "the docs no longer list it: the field `{holder}::{field}` (and its setter) stays for one release as `#[deprecated]` (a warning, not an error), still decoded when the portal sends it";
    FieldRemovedAfterDeprecation: FieldRemoved, Breaking, "kept as deprecated by the last release",
        "the field `{holder}::{field}` (and its setter), `#[deprecated]` since the last release, is removed; the key lands in `extra()`";
    FieldRestored: FieldAdded, Compatible, "kept as deprecated before",
        "the docs list it again: `{holder}::{field}` is no longer `#[deprecated]`";
    FieldRenamed: FieldRenamed, Compatible, "same Rust name",
        "the Rust field `{field}` stays; only its wire key changes";
    FieldBecameRequired: FieldRequiredChanged, Breaking, "optional → required",
        "`{field}` becomes `{rust_after}` (was `{rust_before}`) and an argument of `{holder}::new`; a response without it no longer decodes{note}";
    FieldBecameOptional: FieldRequiredChanged, Breaking, "required → optional",
        "`{field}` becomes `{rust_after}` (was `{rust_before}`) and `{holder}::new` loses the argument";
    FieldTypeChanged: FieldTypeChanged, Breaking, "the Rust type differs",
        "the field `{holder}::{field}` changes type: `{rust_before}` → `{rust_after}`";
    FieldTypeSameRust: FieldTypeChanged, Compatible, "the Rust type is the same",
        "the Rust type stays `{rust_after}`; only the documented type changes";
    FieldWireChanged: FieldWireChanged, Compatible, "",
        "encoding only: same Rust type, now sent {wire}";
    FieldDefaultChanged: FieldDefaultChanged, Compatible, "",
        "no Rust API change; callers that omit `{field}` get the documented default";
    FieldDocTypeChanged: FieldDocTypeChanged, DocsOnly, "",
        "the docs' own type token, shown in rustdoc";
    FieldDescriptionChanged: FieldDescriptionChanged, DocsOnly, "", "rustdoc only";
    FieldsReorderedRequired: FieldsReordered, Breaking, "required fields change order",
        "the argument order of `{holder}::new` changes";
    FieldsReorderedOptional: FieldsReordered, DocsOnly, "only optional fields move",
        "documented order only; setters are unaffected";
    EnumValueAdded: EnumValueAdded, Compatible, "",
        "a new variant `{variant}` (enums are `#[non_exhaustive]`); `{value}` decoded as `Unknown` before";
    EnumValueRemoved: EnumValueRemoved, Breaking, "",
        "the variant `{variant}` disappears; `{value}` now decodes as `Unknown`";
    EnumVariantRenamed: EnumVariantRenamed, Breaking, "same wire value, another Rust variant",
        "the variant `{rust_before}` is renamed `{rust_after}`";
    EnumValueWireChanged: EnumValueWireChanged, Compatible, "same Rust variant, another wire value",
        "encoding only: `{variant}` travels as `{after}`; `{before}` now decodes as `Unknown`";
    EnumValueNameChanged: EnumValueNameChanged, DocsOnly, "the Rust variant is the same",
        "the Rust variant stays `{variant}`";
    EnumValueDescriptionChanged: EnumValueDescriptionChanged, DocsOnly, "", "rustdoc only";
    EnumReprChanged: EnumReprChanged, Compatible, "",
        "encoding only: values travel as JSON {after}s (`WireEnum::INTEGER`)";

    // -- errors (per method and `api.yaml` system errors) ---------------------------------------
    ErrorAddedNewVariant: ErrorAdded, Compatible, "its `ErrorCode` variant is new",
        "a new variant `ErrorCode::{variant}` (`#[non_exhaustive]`); the code decoded as `Unknown` before";
    ErrorAddedNewSpelling: ErrorAdded, Compatible, "the variant exists, this spelling is new",
        "`ErrorCode::{variant}` now also matches `{code}`, which decoded as `Unknown` before";
    ErrorAddedKnown: ErrorAdded, DocsOnly, "variant and spelling already documented elsewhere",
        "`ErrorCode::{variant}` already exists (documented by {sources}); only docs change";
    ErrorRemovedVariantGone: ErrorRemoved, Breaking, "nothing else in the spec documents the code",
        "`ErrorCode::{variant}` disappears: no other method or system error documents `{code}`";
    ErrorRemovedSpellingGone: ErrorRemoved, Breaking, "the variant stays, this spelling is documented nowhere else",
        "`{code}` no longer maps to `ErrorCode::{variant}`: it decodes as `Unknown`";
    ErrorRemovedDeprecated: ErrorRemoved, Compatible, "nothing else documents the code; the published record keeps the variant",
        "`ErrorCode::{variant}` stays as a `#[deprecated]` variant (a warning, not an error): the docs no longer list `{code}`, but the portal may still send it";
    ErrorRemovedSpellingKept: ErrorRemoved, DocsOnly, "the variant stays; the published record keeps this spelling",
        "`{code}` still maps to `ErrorCode::{variant}` (kept from the published record); only docs change";
    ErrorRemovedStillDocumented: ErrorRemoved, DocsOnly, "another method or a system error documents it",
        "`ErrorCode::{variant}` stays: {sources} still document it";
    ErrorStatusChanged: ErrorStatusChanged, DocsOnly, "",
        "HTTP statuses are only documented (match on `ErrorCode`, never on the status)";
    ErrorMessageChanged: ErrorMessageChanged, DocsOnly, "", "rustdoc only";
    ErrorDescriptionChanged: ErrorDescriptionChanged, DocsOnly, "", "rustdoc only";
    ErrorCodeVariantAdded: ErrorCodeVariantAdded, Compatible, "through an added method",
        "a new variant `ErrorCode::{variant}` (`#[non_exhaustive]`), documented by {sources}";
    ErrorCodeVariantRemoved: ErrorCodeVariantRemoved, Breaking, "through a removed method",
        "`ErrorCode::{variant}` disappears: no remaining method or system error documents it";
    ErrorCodeVariantDeprecated: ErrorCodeVariantRemoved, Compatible, "through a removed method; the published record keeps it",
        "`ErrorCode::{variant}` stays as a `#[deprecated]` variant: no remaining method documents it, but the portal may still send it";
    ErrorCodeSpellingAdded: ErrorCodeSpellingAdded, Compatible, "through an added method",
        "`ErrorCode::{variant}` (documented by {sources}) now also matches `{code}`, which decoded as `Unknown` before";
    ErrorCodeSpellingRemoved: ErrorCodeSpellingRemoved, Breaking, "through a removed method",
        "`{code}` no longer maps to `ErrorCode::{variant}`: no remaining method documents this spelling, so it decodes as `Unknown`";
    ErrorCodeSpellingKept: ErrorCodeSpellingRemoved, DocsOnly, "through a removed method; the published record keeps it",
        "`{code}` still maps to `ErrorCode::{variant}` (kept from the published record)";

    // -- crate ----------------------------------------------------------------------------
    FeatureAdded: FeatureAdded, Compatible, "", "a new Cargo feature `{feature}`, on by default";
    FeatureRemoved: FeatureRemoved, Breaking, "",
        "the Cargo feature `{feature}` disappears: builds that name it fail";
    DocsPinChanged: DocsPinChanged, DocsOnly, "",
        "provenance: the docs commit named in the crate docs";

    // -- events (`bitrix24::events`; their data keys and types use the field and type rules) --
    EventAdded: EventAdded, Compatible, "",
        "a new event `{rust}` with its data type and `Event` variant (`#[non_exhaustive]`); its deliveries parsed as `Event::Unknown` before";
    EventRemoved: EventRemoved, Breaking, "no event of the same name in another case",
        "`{rust}`, its data type and its `Event` variant disappear; its deliveries now parse as `Event::Unknown`";
    EventRenamedCase: EventRemoved, Breaking, "the head has the name in another case",
        "the docs now spell it `{after}`: deliveries parse as before, but the type moves to `{rust_after}` and `{rust}` and its `Event` variant disappear";
    EventRenamedCaseKept: EventRenamed, Compatible, "the published record keeps its Rust names",
        "the docs now spell it `{after}`: `{rust}` and its `Event` variant keep their names (the portal matches event names ignoring case); only `NAME` and the docs change";
    EventBindChanged: EventBindChanged, DocsOnly, "",
        "the methods that bind a handler are only documented (rustdoc links)";
    EventDataTypeChanged: EventDataTypeChanged, Breaking, "",
        "`{holder}` changes from {rust_before} to {rust_after}";
    EventAuthChanged: EventAuthChanged, DocsOnly, "",
        "the `auth` keys of deliveries are only documented; the runtime's hand-written `Auth` reads them";
}

impl RuleId {
    /// The rule's row.
    pub fn rule(self) -> &'static Rule {
        &RULES[self as usize]
    }

    /// The rule's class.
    pub fn class(self) -> Class {
        self.rule().class
    }

    /// The rule's kind.
    pub fn kind(self) -> Kind {
        self.rule().kind
    }

    /// The reason with its placeholders filled from `vars`; unknown or unset
    /// placeholders are left as written.
    pub fn reason(self, vars: &[(&str, String)]) -> String {
        fill(self.rule().reason, vars)
    }
}

/// Replaces `{name}` in `template` with the value of `name` in `vars`.
pub fn fill(template: &str, vars: &[(&str, String)]) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) => {
                let name = &after[..close];
                match vars.iter().find(|(n, _)| *n == name) {
                    Some((_, v)) => out.push_str(v),
                    None => {
                        out.push('{');
                        out.push_str(name);
                        out.push('}');
                    }
                }
                rest = &after[close + 1..];
            }
            None => {
                out.push_str(&rest[open..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// The placeholders a template uses.
pub fn placeholders(template: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else { break };
        out.push(&after[..close]);
        rest = &after[close + 1..];
    }
    out
}

/// The rule table as Markdown (`cargo xtask spec-diff --rules`).
pub fn rules_markdown() -> String {
    let mut s = String::from("| kind | when | class | reason |\n|---|---|---|---|\n");
    for r in RULES {
        s.push_str(&format!(
            "| `{}` | {} | **{}** | {} |\n",
            r.kind.as_str(),
            if r.when.is_empty() { "—" } else { r.when },
            r.class,
            r.reason.replace('|', "\\|")
        ));
    }
    s
}

/// How a type expression changed, beyond "it differs" (the `detail` of a type change).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TypeShift {
    /// `any` → a concrete type.
    AnyToTyped,
    /// A concrete type → `any`.
    TypedToAny,
    /// `T` → `T[]`.
    ToArray,
    /// `T[]` → `T`.
    FromArray,
    /// `T` → `map<T>`.
    ToMap,
    /// `map<T>` → `T`.
    FromMap,
    /// `T` → `T | null`.
    NullableAdded,
    /// `T | null` → `T`.
    NullableRemoved,
    /// One named type → another.
    NamedSwap,
    /// A scalar → a named type.
    ToNamed,
    /// A named type → a scalar.
    FromNamed,
    /// One scalar → another.
    Scalar,
}

impl TypeShift {
    /// The stable snake_case name (JSON `detail`).
    pub fn as_str(self) -> &'static str {
        match self {
            TypeShift::AnyToTyped => "any_to_typed",
            TypeShift::TypedToAny => "typed_to_any",
            TypeShift::ToArray => "scalar_to_array",
            TypeShift::FromArray => "array_to_scalar",
            TypeShift::ToMap => "to_map",
            TypeShift::FromMap => "from_map",
            TypeShift::NullableAdded => "nullable_added",
            TypeShift::NullableRemoved => "nullable_removed",
            TypeShift::NamedSwap => "named_type_swap",
            TypeShift::ToNamed => "to_named_type",
            TypeShift::FromNamed => "from_named_type",
            TypeShift::Scalar => "scalar_changed",
        }
    }

    /// In words, for the Markdown report.
    pub fn label(self) -> &'static str {
        match self {
            TypeShift::AnyToTyped => "`any` → typed",
            TypeShift::TypedToAny => "typed → `any`",
            TypeShift::ToArray => "scalar → array",
            TypeShift::FromArray => "array → scalar",
            TypeShift::ToMap => "now a map",
            TypeShift::FromMap => "no longer a map",
            TypeShift::NullableAdded => "now nullable",
            TypeShift::NullableRemoved => "no longer nullable",
            TypeShift::NamedSwap => "another named type",
            TypeShift::ToNamed => "now a named type",
            TypeShift::FromNamed => "no longer a named type",
            TypeShift::Scalar => "another scalar",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_indexed_by_rule_id() {
        for (i, r) in RULES.iter().enumerate() {
            assert_eq!(r.id as usize, i, "{:?} is out of place", r.id);
            assert_eq!(r.id.rule().id, r.id);
        }
    }

    #[test]
    fn every_kind_has_a_rule() {
        for k in Kind::ALL {
            assert!(RULES.iter().any(|r| r.kind == *k), "no rule for {k:?}");
        }
        let mut names: Vec<&str> = Kind::ALL.iter().map(|k| k.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Kind::ALL.len(), "kind names must be unique");
    }

    #[test]
    fn reasons_use_known_placeholders() {
        for r in RULES {
            for p in placeholders(r.reason) {
                assert!(
                    PLACEHOLDERS.contains(&p),
                    "{:?} uses unknown placeholder {{{p}}}",
                    r.id
                );
            }
            assert!(
                !r.reason.is_empty() && !r.reason.ends_with('.'),
                "{:?}",
                r.id
            );
        }
    }

    /// Several rules of one kind differ only by condition: each must say which.
    #[test]
    fn rules_sharing_a_kind_state_their_condition() {
        for r in RULES {
            let siblings = RULES.iter().filter(|o| o.kind == r.kind).count();
            if siblings > 1 {
                assert!(!r.when.is_empty(), "{:?} needs a `when`", r.id);
            }
        }
    }

    /// The verdicts the generator's output implies (see the module docs).
    #[test]
    fn verdicts() {
        use Class::*;
        let expect = [
            (RuleId::ParamAddedRequired, Breaking),
            (RuleId::ParamAddedOptional, Compatible),
            (RuleId::ParamBecameRequired, Breaking),
            (RuleId::ParamBecameOptional, Breaking),
            (RuleId::ParamRemovedRequired, Breaking),
            (RuleId::ParamRemovedOptional, Breaking),
            (RuleId::ParamTypeArgument, Breaking),
            (RuleId::ParamTypeSetter, Breaking),
            (RuleId::ParamTypeSameRust, Compatible),
            (RuleId::ParamWireChanged, Compatible),
            (RuleId::ResultTypeChanged, Breaking),
            (RuleId::FieldAddedOptional, Compatible),
            (RuleId::FieldAddedRequired, Breaking),
            (RuleId::FieldRemoved, Breaking),
            (RuleId::FieldTypeChanged, Breaking),
            (RuleId::EnumValueAdded, Compatible),
            (RuleId::EnumValueRemoved, Breaking),
            (RuleId::EnumReprChanged, Compatible),
            (RuleId::ErrorAddedNewVariant, Compatible),
            (RuleId::ErrorRemovedVariantGone, Breaking),
            (RuleId::ErrorRemovedStillDocumented, DocsOnly),
            (RuleId::MethodAdded, Compatible),
            (RuleId::MethodRemoved, Breaking),
            (RuleId::MethodRenamedCase, Breaking),
            (RuleId::Deprecated, Compatible),
            (RuleId::TypeAdded, Compatible),
            (RuleId::TypeRemoved, Breaking),
            (RuleId::FeatureAdded, Compatible),
            (RuleId::FeatureRemoved, Breaking),
            (RuleId::DescriptionChanged, DocsOnly),
            (RuleId::ExampleChanged, DocsOnly),
            (RuleId::SourceChanged, DocsOnly),
            (RuleId::EventAdded, Compatible),
            (RuleId::EventRemoved, Breaking),
            (RuleId::EventRenamedCase, Breaking),
            (RuleId::EventRenamedCaseKept, Compatible),
            (RuleId::MethodDroppedKept, Compatible),
            (RuleId::MethodRemovedAfterDeprecation, Breaking),
            (RuleId::EventBindChanged, DocsOnly),
            (RuleId::EventDataTypeChanged, Breaking),
        ];
        for (id, class) in expect {
            assert_eq!(id.class(), class, "{id:?}");
        }
    }

    #[test]
    fn fill_placeholders() {
        let vars = [
            ("holder", "Add".to_owned()),
            ("field", "entities".to_owned()),
        ];
        assert_eq!(
            RuleId::ParamAddedRequired.reason(&[
                ("note", String::new()),
                vars[0].clone(),
                vars[1].clone()
            ]),
            "a new constructor argument: `Add::new` takes `entities`"
        );
        assert_eq!(
            fill("{missing} and {holder", &vars),
            "{missing} and {holder"
        );
        assert_eq!(placeholders("a {b} c {d}"), ["b", "d"]);
    }

    #[test]
    fn class_order_and_parsing() {
        assert!(Class::Breaking.at_least(Class::Compatible));
        assert!(Class::Compatible.at_least(Class::Compatible));
        assert!(!Class::DocsOnly.at_least(Class::Compatible));
        assert_eq!("docs-only".parse::<Class>(), Ok(Class::DocsOnly));
        assert!("major".parse::<Class>().is_err());
    }

    #[test]
    fn rules_markdown_lists_every_rule() {
        let md = rules_markdown();
        assert_eq!(md.lines().count(), RULES.len() + 2);
    }
}
