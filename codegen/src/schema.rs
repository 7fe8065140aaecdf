//! JSON Schema of the spec files, for editor completion and validation
//! (`cargo xtask schema`).
//!
//! The schemas are generated from the serde model with `schemars` (draft-07, which the
//! YAML language server understands) and committed under `spec/schema/`. Every spec
//! file names its schema in a first-line comment, e.g.
//! `# yaml-language-server: $schema=../../schema/method.schema.json`.

use std::path::Path;

use anyhow::{Context, bail};
use schemars::JsonSchema;
use schemars::generate::SchemaSettings;

use crate::spec::{Api, Event, Method, PatchFile, TypeDef};

/// Where the schemas live, relative to the workspace root.
pub const DIR: &str = "spec/schema";

/// Every schema file: its name inside [`DIR`] and its content (pretty JSON with a
/// trailing newline).
pub fn schemas() -> Vec<(&'static str, String)> {
    vec![
        ("api.schema.json", schema_for::<Api>()),
        ("event.schema.json", schema_for::<Event>()),
        ("method.schema.json", schema_for::<Method>()),
        ("patch.schema.json", schema_for::<PatchFile>()),
        ("type.schema.json", schema_for::<TypeDef>()),
    ]
}

/// The draft-07 schema of `T` as pretty JSON.
fn schema_for<T: JsonSchema>() -> String {
    let schema = SchemaSettings::draft07()
        .into_generator()
        .into_root_schema_for::<T>();
    let mut text =
        serde_json::to_string_pretty(&schema).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    text.push('\n');
    text
}

/// Writes the schemas to `root/spec/schema/`, or with `check` fails naming each
/// committed schema that differs from what the model produces.
pub fn run(root: &Path, check: bool) -> anyhow::Result<()> {
    let dir = root.join(DIR);
    if check {
        let stale: Vec<String> = schemas()
            .into_iter()
            .filter(|(name, text)| {
                std::fs::read_to_string(dir.join(name)).ok().as_deref() != Some(text.as_str())
            })
            .map(|(name, _)| format!("{DIR}/{name}"))
            .collect();
        if !stale.is_empty() {
            bail!(
                "stale JSON Schema: {}; run `cargo xtask schema` and commit",
                stale.join(", ")
            );
        }
        return Ok(());
    }
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    for (name, text) in schemas() {
        let path = dir.join(name);
        let current = std::fs::read_to_string(&path).ok();
        if current.as_deref() != Some(text.as_str()) {
            std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemas_are_draft07_and_deny_unknown_keys() {
        for (name, text) in schemas() {
            assert!(text.ends_with("}\n"), "{name}");
            let v: serde_json::Value = serde_json::from_str(&text).unwrap();
            assert_eq!(
                v["$schema"], "http://json-schema.org/draft-07/schema#",
                "{name}"
            );
            assert_eq!(v["additionalProperties"], false, "{name}");
        }
        let all = schemas();
        let get = |n: &str| &all.iter().find(|(name, _)| *name == n).unwrap().1;
        let method = get("method.schema.json");
        assert!(method.contains("\"read_only\""));
        assert!(method.contains("\"definitions\""));
        let event = get("event.schema.json");
        assert!(event.contains("\"data\"") && event.contains("\"bind\""));
        assert!(get("api.schema.json").contains("\"event_auth\""));
    }

    #[test]
    fn check_reports_stale_files() {
        let root = std::env::temp_dir().join(format!("b24-schema-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let err = run(&root, true).unwrap_err().to_string();
        assert!(err.contains("spec/schema/api.schema.json"), "{err}");
        assert!(err.contains("run `cargo xtask schema`"), "{err}");
        run(&root, false).unwrap();
        run(&root, true).unwrap();
        std::fs::write(root.join(DIR).join("type.schema.json"), "{}").unwrap();
        let err = run(&root, true).unwrap_err().to_string();
        assert!(
            err.contains("type.schema.json") && !err.contains("api.schema"),
            "{err}"
        );
        let _ = std::fs::remove_dir_all(&root);
    }

    /// The committed schemas are current (regenerate with `cargo xtask schema`).
    #[test]
    fn committed_schemas_are_current() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        if root.join(DIR).is_dir() {
            run(&root, true).unwrap();
        }
    }
}
