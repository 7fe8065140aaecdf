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
}

/// One method and the file it came from.
#[derive(Debug, Clone)]
pub struct MethodFile {
    /// Path relative to the spec directory, e.g. `methods/crm/crm.calllist.add.yaml`.
    pub path: PathBuf,
    /// The method.
    pub method: Method,
}
