//! A set of generated files: written to disk, or compared with it (`--check`).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// Generated files by path relative to the workspace root (`/`-separated).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Files(BTreeMap<String, String>);

impl Files {
    /// Adds a file (a later insert of the same path replaces the earlier one).
    pub fn insert(&mut self, path: String, content: String) {
        self.0.insert(path, content);
    }

    /// Number of files.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// No files.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The content of one file.
    pub fn get(&self, path: &str) -> Option<&str> {
        self.0.get(path).map(String::as_str)
    }

    /// All files in path order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(p, c)| (p.as_str(), c.as_str()))
    }

    /// Files under `dirs` on disk that this set does not contain.
    fn stale(&self, root: &Path, dirs: &[&str]) -> Result<Vec<String>> {
        let mut out = Vec::new();
        for dir in dirs {
            let mut stack = vec![root.join(dir)];
            while let Some(d) = stack.pop() {
                let entries = match fs::read_dir(&d) {
                    Ok(e) => e,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                    Err(e) => return Err(e).with_context(|| format!("reading {}", d.display())),
                };
                for entry in entries {
                    let path = entry?.path();
                    if path.is_dir() {
                        stack.push(path);
                        continue;
                    }
                    let rel = relative(root, &path);
                    if !self.0.contains_key(&rel) {
                        out.push(rel);
                    }
                }
            }
        }
        out.sort();
        Ok(out)
    }

    /// Compares with the files on disk: a unified diff per differing file, and the files
    /// that would be deleted. Empty when everything is current.
    pub fn check(&self, root: &Path, owned: &[&str]) -> Result<String> {
        let mut report = String::new();
        for (path, want) in &self.0 {
            let have = fs::read_to_string(root.join(path)).unwrap_or_default();
            if &have != want {
                let diff = similar::TextDiff::from_lines(&have, want);
                let _ = write!(
                    report,
                    "stale: {path}\n{}",
                    diff.unified_diff()
                        .context_radius(2)
                        .header(&format!("a/{path}"), &format!("b/{path}"))
                );
            }
        }
        for path in self.stale(root, owned)? {
            let _ = writeln!(report, "no longer generated (delete it): {path}");
        }
        Ok(report)
    }

    /// Writes changed files and deletes stale ones under `owned`; returns a summary.
    pub fn write(&self, root: &Path, owned: &[&str]) -> Result<String> {
        let (mut written, mut unchanged) = (0, 0);
        for (path, content) in &self.0 {
            let full = root.join(path);
            if fs::read_to_string(&full).is_ok_and(|have| &have == content) {
                unchanged += 1;
                continue;
            }
            if let Some(parent) = full.parent() {
                fs::create_dir_all(parent)
                    .with_context(|| format!("creating {}", parent.display()))?;
            }
            fs::write(&full, content).with_context(|| format!("writing {}", full.display()))?;
            written += 1;
        }
        let stale = self.stale(root, owned)?;
        for path in &stale {
            fs::remove_file(root.join(path)).with_context(|| format!("removing {path}"))?;
        }
        remove_empty_dirs(root, owned);
        Ok(format!(
            "{written} files written, {unchanged} unchanged, {} removed",
            stale.len()
        ))
    }
}

fn relative(root: &Path, path: &Path) -> String {
    let rel: PathBuf = path.strip_prefix(root).unwrap_or(path).to_path_buf();
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

fn remove_empty_dirs(root: &Path, owned: &[&str]) {
    fn walk(dir: &Path) -> bool {
        let Ok(entries) = fs::read_dir(dir) else {
            return false;
        };
        let mut empty = true;
        for entry in entries.flatten() {
            let p = entry.path();
            if !(p.is_dir() && walk(&p)) {
                empty = false;
            }
        }
        empty && fs::remove_dir(dir).is_ok()
    }
    for dir in owned {
        walk(&root.join(dir));
    }
}
