//! Methods the docs dropped that the last release lists: their spec files stay.
//!
//! When a full import no longer finds a method's page, the method's file would be deleted.
//! If the last release (`release/published.yaml`) lists the method, the file is kept instead
//! (its last transcription, unchanged but for `deprecated`: the note and `dropped`, the
//! docs commit that no longer has the page), so the generator emits the method one more
//! release, `#[deprecated]` ([`crate::published::keep_dropped`]). A file already kept stays
//! exactly as it is. `cargo xtask release` deletes the file when the record it writes no
//! longer lists the method ([`crate::release::past_dropped`]). Everything this needs is in
//! the repository (the record and the file), so `import --check` gives the same answer on
//! a clean clone.
//!
//! A method the docs now spell in another case is not dropped: its new file replaces the
//! old one, and the generator keeps the old path from the record
//! ([`crate::published::keep_methods`]).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::published::{self, Published};
use crate::spec::model::{Deprecation, V3};

/// Adds to `files` (the import's output, by path relative to `root`) the files of the
/// methods under `root/spec/methods` that `files` lacks and the record at `root` lists,
/// marked as dropped at `docs_commit`; returns their ids.
///
/// # Errors
/// When the record or a kept file cannot be read.
pub fn keep(
    root: &Path,
    docs_commit: &str,
    files: &mut BTreeMap<PathBuf, String>,
) -> anyhow::Result<Vec<String>> {
    let Some(record) = Published::load(&root.join(published::PATH))? else {
        return Ok(Vec::new());
    };
    let listed: BTreeSet<&str> = record
        .methods
        .iter()
        .map(|m| m.strip_suffix(published::DEPRECATED).unwrap_or(m))
        .collect();
    let imported: BTreeSet<String> = files
        .keys()
        .filter_map(|p| method_id_of(p))
        .map(|id| id.to_ascii_lowercase())
        .collect();
    let mut kept = Vec::new();
    for path in super::spec_method_files(root) {
        let rel = path.strip_prefix(root).unwrap_or(&path).to_path_buf();
        if files.contains_key(&rel) {
            continue;
        }
        let Some(id) = method_id_of(&rel) else {
            continue;
        };
        if !listed.contains(id.as_str()) || imported.contains(&id.to_ascii_lowercase()) {
            continue;
        }
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        let mut m = super::parse_method_yaml(&text)
            .with_context(|| format!("reading {}", path.display()))?;
        let text = if m.dropped().is_some() {
            text
        } else {
            m.deprecated = Some(Deprecation {
                note: published::dropped_note(docs_commit, &record.version),
                replacement: m.deprecated.and_then(|d| d.replacement),
                dropped: Some(docs_commit.to_owned()),
            });
            super::method_yaml(&m)?
        };
        files.insert(rel, text);
        kept.push(id);
    }
    Ok(kept)
}

/// The method id of a method file's path (`spec/methods/crm/crm.deal.add.yaml`,
/// `spec/methods/v3/tasks.task.get.yaml` → `v3.tasks.task.get`).
fn method_id_of(rel: &Path) -> Option<String> {
    let mut parts = rel.strip_prefix("spec/methods").ok()?.components().rev();
    let name = Path::new(parts.next()?.as_os_str())
        .file_stem()?
        .to_str()?
        .to_owned();
    let folder = parts.next()?.as_os_str().to_str()?;
    Some(if folder == V3 {
        format!("{V3}.{name}")
    } else {
        name
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_of_method_files() {
        let id = |p: &str| method_id_of(Path::new(p));
        assert_eq!(
            id("spec/methods/crm/crm.deal.add.yaml").as_deref(),
            Some("crm.deal.add")
        );
        assert_eq!(
            id("spec/methods/v3/tasks.task.get.yaml").as_deref(),
            Some("v3.tasks.task.get")
        );
        assert_eq!(id("spec/events/crm/onCrmDealAdd.yaml"), None);
        assert_eq!(id("spec/api.yaml"), None);
    }

    const OLD: &str = "method: crm.s.old\nsource:\n  path: api-reference/crm/crm-s-old.md\n  commit: 229f6887c3ba3d34a66e1cbf6a46b10a26768c51\ntitle: Old\nsummary: Calls `crm.s.old`.\nscope: crm\nread_only: true\nresult:\n  type: integer\n";

    /// A method file the import no longer produces stays while the record lists the
    /// method (marked dropped once, then kept as it is), and not otherwise; a method the
    /// docs now spell in another case is not dropped.
    #[test]
    fn keeps_the_files_of_methods_the_record_lists() {
        let dir = crate::diff::source::TempDir::new().unwrap();
        let root = dir.path();
        let write = |rel: &str, text: &str| {
            let p = root.join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        };
        write("spec/methods/crm/crm.s.old.yaml", OLD);
        write(
            "spec/methods/crm/crm.s.gone.yaml",
            &OLD.replace("crm.s.old", "crm.s.gone"),
        );
        write(
            "spec/methods/crm/crm.s.getfields.yaml",
            &OLD.replace("crm.s.old", "crm.s.getfields"),
        );
        let commit = "5988ed130d13802764a555edbfe12d0fc81e7d7a";
        let imported = || {
            BTreeMap::from([(
                PathBuf::from("spec/methods/crm/crm.s.getFields.yaml"),
                "new".to_owned(),
            )])
        };

        // No record: nothing is kept.
        let mut files = imported();
        assert!(keep(root, commit, &mut files).unwrap().is_empty());

        let record = Published {
            version: "0.1.0".into(),
            methods: vec!["crm.s.getfields".into(), "crm.s.old".into()],
            ..Published::default()
        };
        write(published::PATH, &record.to_yaml().unwrap());
        let mut files = imported();
        assert_eq!(keep(root, commit, &mut files).unwrap(), ["crm.s.old"]);
        let kept = &files[Path::new("spec/methods/crm/crm.s.old.yaml")];
        let m = super::super::parse_method_yaml(kept).unwrap();
        let d = m.deprecated.expect("deprecated");
        assert_eq!(d.dropped.as_deref(), Some(commit));
        assert_eq!(
            d.note,
            "dropped from the Bitrix24 docs at 5988ed13; kept from release 0.1.0 for one release"
        );
        assert_eq!(m.source.commit, "229f6887c3ba3d34a66e1cbf6a46b10a26768c51");

        // Written, then imported again after the next release (which lists it as kept):
        // the file stays exactly as it is.
        write("spec/methods/crm/crm.s.old.yaml", kept);
        let record = Published {
            version: "0.1.1".into(),
            methods: vec!["crm.s.old (deprecated)".into()],
            ..Published::default()
        };
        write(published::PATH, &record.to_yaml().unwrap());
        let again = kept.clone();
        let mut files = imported();
        assert_eq!(keep(root, "abc", &mut files).unwrap(), ["crm.s.old"]);
        assert_eq!(files[Path::new("spec/methods/crm/crm.s.old.yaml")], again);
    }
}
