//! The YAML spec: model, type grammar, loading and validation.

pub mod datetime;
pub mod load;
pub mod locate;
pub mod model;
pub mod types;
pub mod validate;
pub mod yaml_depth;

use std::path::PathBuf;

pub use load::load;
pub use model::*;

/// The code and message of an error example: `{"error": "<code>", "error_description":
/// "<text>"}`, or REST 3.0's `{"error": {"code": "<code>", "message": "<text>"}}` (a
/// numeric code as its digits). `None` when `error` holds neither; the message is empty
/// when absent.
pub fn error_of_example(v: &serde_json::Value) -> Option<(String, String)> {
    use serde_json::Value;
    let text = |v: Option<&Value>| v.and_then(Value::as_str).unwrap_or("").to_owned();
    let code = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    match v.get("error")? {
        Value::Object(v3) => Some((code(v3.get("code")?)?, text(v3.get("message")))),
        other => Some((code(other)?, text(v.get("error_description")))),
    }
}

/// A loaded and validated spec directory.
#[derive(Debug, Clone)]
pub struct Spec {
    /// `api.yaml`.
    pub api: Api,
    /// Every method file, sorted by method name.
    pub methods: Vec<MethodFile>,
    /// Shared named types from `spec/types/*.yaml`, sorted by name.
    pub types: Vec<TypeDef>,
    /// Every event file, sorted by event name.
    pub events: Vec<EventFile>,
}

/// One event and the file it came from.
#[derive(Debug, Clone)]
pub struct EventFile {
    /// Path relative to the spec directory, e.g. `events/crm/onCrmActivityAdd.yaml`.
    pub path: PathBuf,
    /// The event.
    pub event: Event,
    /// The spelling its Rust names come from when it is not the documented one: the
    /// spelling of the last release, which `release/published.yaml` records, for an event
    /// the docs now spell in another case ([`crate::published::apply`]). Never in a spec
    /// file.
    pub rust_name: Option<String>,
}

impl EventFile {
    /// The spelling the event's Rust names (marker type, `...Data`, module, `Event`
    /// variant) come from: [`rust_name`](Self::rust_name), else the documented name.
    pub fn rust_stem(&self) -> &str {
        self.rust_name.as_deref().unwrap_or(&self.event.event)
    }
}

/// One method and the file it came from.
#[derive(Debug, Clone)]
pub struct MethodFile {
    /// Path relative to the spec directory, e.g. `methods/crm/crm.calllist.add.yaml`.
    pub path: PathBuf,
    /// The method.
    pub method: Method,
}
