//! The spec model: what one YAML file under `spec/` deserialises into.
//!
//! The same structs are written by the importer (`serde_yaml::to_string`), read by the
//! loader, described by the JSON Schema (`cargo xtask schema`) and consumed by the
//! generator. Field order here is the field order in the YAML files, so keep the most
//! useful facts for a reviewer first. Every struct denies unknown keys: a typo in a
//! spec file is an error, not a silently ignored fact.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// `spec/api.yaml`: service-wide facts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Api {
    /// The upstream documentation the spec was transcribed from.
    pub docs: DocsPin,
    /// Errors any method may return (the docs' `_includes/system-errors.md`).
    pub system_errors: Vec<ErrorDoc>,
    /// The `auth` keys of every event delivery (the docs'
    /// `_includes/auth-params-in-events.md`); documented only, the runtime's hand-written
    /// `Auth` reads them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub event_auth: Vec<Field>,
}

/// Which upstream docs commit the spec reflects.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DocsPin {
    /// GitHub repository of the docs, `owner/name`.
    pub repository: String,
    /// Full commit hash the spec was imported from.
    pub commit: String,
    /// Commit date, ISO 8601.
    pub date: String,
    /// Base URL of the published docs; a method's page is `base_url` + its path with `.html`.
    pub base_url: String,
}

/// One REST method: `spec/methods/<first segment>/<method>.yaml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Method {
    /// The method name exactly as called, e.g. `crm.calllist.add`.
    pub method: String,
    /// Where this method was transcribed from.
    pub source: Source,
    /// The page title (H1) without the method name.
    pub title: String,
    /// One-sentence summary (the first paragraph of the page).
    pub summary: String,
    /// Further description from the page, Markdown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// OAuth scope / permission the method belongs to, e.g. `crm`.
    pub scope: String,
    /// Who may call the method, as the docs say it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access: Option<String>,
    /// Set when the docs mark the method deprecated or its development halted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deprecated: Option<Deprecation>,
    /// Other names that call the same method (`bizproc.workflow.instance.list`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    /// `true` for a REST 3.0 method: called at `/rest/api/`, with the REST 3.0 error
    /// object and `Idempotency-Key` (see the docs' `api-reference/rest-v3.md`). A REST 3.0
    /// method may share its name with a classic one (`tasks.task.get`); it lives in
    /// `methods/v3/` and the generated `v3` module.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub rest_v3: bool,
    /// `true` when the method only reads: safe to retry after an ambiguous failure.
    pub read_only: bool,
    /// `true` when the portal reads the parameters by position, not by name (the
    /// deprecated `task.item.*` methods: "It is mandatory to follow the order of
    /// parameters"): they are sent in documented order, and every one before the last one
    /// set must be set.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub positional: bool,
    /// Present for list methods paged by `start`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub list: Option<ListFacts>,
    /// Request parameters, in documented order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub params: Vec<Field>,
    /// What `result` holds on success.
    pub result: ResultSpec,
    /// Method-specific documented errors (system errors live in `api.yaml`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ErrorDoc>,
    /// Named types local to this method: nested objects and enums.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub types: Vec<TypeDef>,
    /// Documented JSON examples.
    #[serde(default, skip_serializing_if = "Examples::is_empty")]
    pub examples: Examples,
}

impl Method {
    /// The method's name in the spec and the generated tree: its name, with `v3.` in front
    /// for a REST 3.0 method (`v3.tasks.task.get`, generated as `bitrix24::v3::tasks::...`),
    /// so that a REST 3.0 method and a classic one of the same name stay apart.
    pub fn id(&self) -> std::borrow::Cow<'_, str> {
        method_id(&self.method, self.rest_v3)
    }

    /// The docs commit that dropped the method's page, for a method whose file the importer
    /// kept from the last release ([`Deprecation::dropped`]).
    pub fn dropped(&self) -> Option<&str> {
        self.deprecated.as_ref()?.dropped.as_deref()
    }

    /// Where the method's file lives under `spec/`: `methods/<first segment>/<name>.yaml`,
    /// or `methods/v3/<name>.yaml` for a REST 3.0 method.
    pub fn file(&self) -> String {
        let folder = if self.rest_v3 {
            V3
        } else {
            self.method.split('.').next().unwrap_or(&self.method)
        };
        format!("methods/{folder}/{}.yaml", self.method)
    }
}

/// The first segment of a REST 3.0 method's id ([`Method::id`]), its folder under
/// `methods/` and its module (`bitrix24::v3`).
pub const V3: &str = "v3";

/// The id of the method `name` ([`Method::id`]): `v3.<name>` for a REST 3.0 method.
pub fn method_id(name: &str, rest_v3: bool) -> std::borrow::Cow<'_, str> {
    if rest_v3 {
        format!("{V3}.{name}").into()
    } else {
        name.into()
    }
}

/// One inbound event: `spec/events/<first scope>/<event>.yaml`.
///
/// Bitrix24 POSTs a delivery to every handler bound to the event (form-encoded: `event`,
/// `data[...]`, `ts`, `auth[...]`); `data` holds the keys listed here, `auth` the
/// service-wide keys of [`Api::event_auth`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Event {
    /// The event name as documented, e.g. `onCrmActivityAdd` (deliveries send it in any
    /// case, e.g. `ONCRMACTIVITYADD`).
    pub event: String,
    /// Where this event was transcribed from.
    pub source: Source,
    /// The page title (H1) without the event name.
    pub title: String,
    /// One-sentence summary (the first paragraph of the page).
    pub summary: String,
    /// Further description from the page, Markdown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// OAuth scope the application needs to subscribe, e.g. `crm`.
    pub scope: String,
    /// Who can subscribe, as the docs say it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access: Option<String>,
    /// Methods that bind a handler to the event, e.g. `event.bind`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bind: Vec<String>,
    /// What the docs say about `data` as a whole, Markdown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_description: Option<String>,
    /// The type of `data` itself when the docs type it as a value, not an object of keys
    /// (`integer`: `OnImConnectorLineDelete` sends the deleted line's ID); then `data`
    /// lists no keys.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_type: Option<String>,
    /// The keys of the delivery's `data`, in documented order (e.g. `FIELDS`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub data: Vec<Field>,
    /// Named types local to this event: nested objects and enums.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub types: Vec<TypeDef>,
    /// Documented deliveries as JSON (`event`, `data`, `ts`, `auth`), kept as text.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub examples: Vec<Example>,
}

/// Provenance: the upstream page a method or type was transcribed from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// Path inside the docs repository, e.g. `api-reference/crm/call-list/crm-calllist-add.md`.
    pub path: String,
    /// Docs commit the page was read at.
    pub commit: String,
}

/// Deprecation facts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Deprecation {
    /// What the docs say (e.g. "Method development has been halted").
    pub note: String,
    /// The method to use instead, when the docs name one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replacement: Option<String>,
    /// Set by `cargo xtask import`, never by hand: the docs commit that no longer has the
    /// method's page. The last release (`release/published.yaml`) lists the method, so the
    /// importer kept this file (its last transcription) for the generator to emit the
    /// method one more release, `#[deprecated]`; `cargo xtask release` deletes it when the
    /// release it was kept for is past.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dropped: Option<String>,
}

/// Facts about a list method (paged by `start`, 50 items a page).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListFacts {
    /// Items per page (the server's fixed page size).
    pub page_size: u32,
    /// Where the items sit inside `result`: empty for `result` itself, else a dotted key
    /// path such as `items` or `tasks`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub items: String,
    /// The item field holding the numeric ID, for ID-cursor export; absent when the
    /// method cannot filter by ID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_field: Option<String>,
}

/// A parameter or an object field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Field {
    /// Name exactly as on the wire (`ENTITY_TYPE`, `ownerTypeId`).
    pub name: String,
    /// The Rust field name, when the one derived from `name` would collide with another
    /// field's (`ID` and `id` both become `id`). snake_case, not a keyword.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rust_name: Option<String>,
    /// Type expression in the spec grammar (see `spec/README.md`).
    #[serde(rename = "type")]
    pub ty: String,
    /// The docs' own type token when it differs from `type` (`user`, `crm_status`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub doc_type: Option<String>,
    /// Required parameter (request) or always-present field (result).
    #[serde(default, skip_serializing_if = "is_false")]
    pub required: bool,
    /// Markdown description.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Default value, as the docs state it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    /// How the value is written on the wire when it differs from plain JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wire: Option<WireFormat>,
    /// Never in a spec file: the `#[deprecated]` note of a field the docs no longer list
    /// that the generator keeps from `release/published.yaml` for one release
    /// ([`crate::published::keep_fields`]).
    #[serde(skip)]
    pub kept: Option<String>,
}

/// How a value is encoded on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum WireFormat {
    /// Boolean as `"Y"` / `"N"`.
    Yn,
    /// Boolean as `1` / `0`.
    Int01,
    /// Number sent as a JSON string (`"ID": "123"`).
    String,
}

/// A named type: a nested object or an enum.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TypeDef {
    /// Type name in UpperCamelCase, unique within the method.
    pub name: String,
    /// Markdown description.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Fields of an object type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fields: Option<Vec<Field>>,
    /// Values of an enum type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub values: Option<Vec<EnumValue>>,
    /// For enums: whether the values travel as JSON strings or integers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repr: Option<EnumRepr>,
    /// For objects: the prefixes of key families the docs document in one row
    /// (`UF_CRM_...` → `UF_CRM_`, `propertyN` → `property`). The portal's keys of such a
    /// family (per-portal custom fields, properties) stay in `extra()` and count as
    /// documented.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub key_families: Vec<String>,
}

impl TypeDef {
    /// Whether `key` belongs to one of the type's [`key_families`](Self::key_families)
    /// (`UF_CRM_1720697698689` to `UF_CRM_`): kept in `extra()`, and documented.
    pub fn in_family(&self, key: &str) -> bool {
        self.key_families
            .iter()
            .any(|p| key.starts_with(p.as_str()))
    }
}

/// Wire representation of enum values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum EnumRepr {
    /// `"CONTACT"`.
    String,
    /// `3`.
    Integer,
}

/// One allowed value of an enum.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EnumValue {
    /// The value exactly as on the wire.
    pub value: String,
    /// Rust variant name when the value is not a usable identifier (`1` → `Lead`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// What the value means.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
}

/// The `result` of a successful call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ResultSpec {
    /// Type expression of `result`.
    #[serde(rename = "type")]
    pub ty: String,
    /// The docs' own type token when it differs from `type`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub doc_type: Option<String>,
    /// Markdown description.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// The envelope carries `total` and `next` (paged results).
    #[serde(default, skip_serializing_if = "is_false")]
    pub paged: bool,
}

/// A documented error.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ErrorDoc {
    /// HTTP status, when documented.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// The `error` code in the response body.
    pub code: String,
    /// The `error_description` text, when documented.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// What the error means.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
}

/// Documented JSON examples, kept as JSON text.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Examples {
    /// Request bodies (the `cURL (Webhook)` tab's `-d '...'`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub request: Vec<Example>,
    /// Successful response bodies.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub response: Vec<Example>,
    /// Error response bodies.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub error: Vec<Example>,
}

impl Examples {
    /// No example of any kind.
    pub fn is_empty(&self) -> bool {
        self.request.is_empty() && self.response.is_empty() && self.error.is_empty()
    }
}

/// One JSON example.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Example {
    /// The JSON text (valid JSON; the importer repairs or drops invalid examples).
    pub json: String,
    /// Set when the importer repaired the docs' JSON: what it changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repaired: Option<String>,
    /// Why this example does not round-trip through the typed API, when it does not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skip_round_trip: Option<String>,
}

/// A curation patch: `spec/patches/<method>.yaml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchFile {
    /// The method the patches apply to.
    pub method: String,
    /// The corrections, applied in order after import.
    pub patches: Vec<Patch>,
}

/// One correction of the imported spec: set `value` at `path`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Patch {
    /// Why the docs are wrong or vague here (one line, for reviewers).
    pub reason: String,
    /// Location in the method file: keys and `name`/`code`/`value` selectors separated by
    /// `/`, e.g. `params/fields/type` or `types/Fields/fields/TYPE_ID/wire`.
    pub path: String,
    /// What the importer produced there; the patch is reported as stale when the import
    /// no longer produces this (the docs changed) and as obsolete when it already
    /// produces `value` (the docs were fixed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expect: Option<serde_json::Value>,
    /// The replacement value (any YAML); absent to delete the node.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<serde_json::Value>,
}

fn is_false(b: &bool) -> bool {
    !*b
}
