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
        let text = if m.deprecated.as_ref().is_some_and(|d| d.dropped.is_some()) {
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
}
