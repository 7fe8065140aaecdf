//! Runnable examples of the real crate (`generated/bitrix24/examples/`), each against the
//! runtime's fake portal (feature `testing`). The sources are templates under
//! `codegen/templates/examples/`, written with the generated-file header; the golden
//! fixture crates get none.

use super::super::{Files, GENERATED_HEADER};
use super::CrateConfig;

/// `(name, source)` of each example; the name is the file stem and the `[[example]]` name.
pub(crate) const EXAMPLES: &[(&str, &str)] = &[
    (
        "webhook_call",
        include_str!("../../../templates/examples/webhook_call.rs"),
    ),
    (
        "oauth_refresh",
        include_str!("../../../templates/examples/oauth_refresh.rs"),
    ),
    (
        "typed_batch",
        include_str!("../../../templates/examples/typed_batch.rs"),
    ),
    (
        "stream",
        include_str!("../../../templates/examples/stream.rs"),
    ),
    (
        "fast_export",
        include_str!("../../../templates/examples/fast_export.rs"),
    ),
    (
        "app_flow",
        include_str!("../../../templates/examples/app_flow.rs"),
    ),
];

/// Whether `cfg` gets the examples: only the real crate (they name its methods).
pub(crate) fn enabled(cfg: &CrateConfig) -> bool {
    cfg.package == "bitrix24"
}

/// The examples' lines of `[dev-dependencies]` (empty when the crate gets no examples).
pub(crate) fn dev_dependencies(cfg: &CrateConfig) -> &'static str {
    if !enabled(cfg) {
        return "";
    }
    "tokio = { workspace = true, features = [\"rt-multi-thread\", \"macros\", \"time\"] }\n# The progress bar of the `fast_export` example.\nindicatif = { version = \"0.18\", default-features = false }\n"
}

/// The `[[example]]` sections of `Cargo.toml` (empty when the crate gets no examples).
/// Each example needs the `testing` feature.
pub(crate) fn cargo_sections(cfg: &CrateConfig) -> String {
    if !enabled(cfg) {
        return String::new();
    }
    let mut s = String::new();
    for (name, _) in EXAMPLES {
        s.push_str(&format!(
            "\n[[example]]\nname = \"{name}\"\nrequired-features = [\"testing\"]\n"
        ));
    }
    s
}

/// Writes the examples into `files`.
pub(crate) fn emit(cfg: &CrateConfig, files: &mut Files) {
    if !enabled(cfg) {
        return;
    }
    for (name, source) in EXAMPLES {
        files.insert(
            format!("{}/examples/{name}.rs", cfg.dir),
            format!("{GENERATED_HEADER}\n\n{source}"),
        );
    }
}
