//! The two sides of a spec diff: a spec directory, a git revision whose `spec/` is
//! extracted (`git archive`) into a temporary directory and loaded from there, or the git
//! tree of a `spec/` directory itself (how `release/published.yaml` names a release's spec:
//! a tree survives rebases and squash merges).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::{Context, Result, bail};

use crate::spec::{self, Spec};

/// A loaded, validated side.
#[derive(Debug)]
pub struct Side {
    /// How the report names it: the argument, a revision with its short hash, or
    /// `working tree`.
    pub label: String,
    /// The spec.
    pub spec: Spec,
}

/// Loads one side. `arg` is an existing directory (a spec directory, or a checkout
/// holding `spec/`), else a git revision of the repository at `root`; `None` is the
/// working tree's `root/spec`. `which` (`base`/`head`) names the side in errors.
pub fn load_side(root: &Path, arg: Option<&str>, which: &str) -> Result<Side> {
    let Some(arg) = arg else {
        return load_dir(&root.join("spec"), "working tree", which);
    };
    let path = Path::new(arg);
    if path.is_dir() {
        let dir = if !path.join("api.yaml").exists() && path.join("spec/api.yaml").is_file() {
            path.join("spec")
        } else {
            path.to_path_buf()
        };
        return load_dir(&dir, arg, which);
    }
    let (hash, treeish) = match resolve(root, arg) {
        Ok(commit) => {
            let treeish = format!("{commit}:./spec");
            (commit, treeish)
        }
        Err(e) => match resolve_tree(root, arg) {
            Ok(tree) => (tree.clone(), tree),
            Err(_) => {
                return Err(e).with_context(|| {
                    format!("{which} `{arg}` is neither a directory nor a git revision or tree")
                });
            }
        },
    };
    let short = hash.get(..10).unwrap_or(&hash);
    let label = if arg.starts_with(short) || hash.starts_with(arg) {
        short.to_owned()
    } else {
        format!("{arg} ({short})")
    };
    let tmp = TempDir::new()?;
    let dir = extract(root, &treeish, tmp.path())
        .with_context(|| format!("{which} `{arg}`: extracting `spec/`"))?;
    load_dir(&dir, &label, which)
}

/// The full hash of the tree `rev` names (a tree hash, or `<commit>:spec`).
pub fn resolve_tree(root: &Path, rev: &str) -> Result<String> {
    if rev.starts_with('-') {
        bail!("`{rev}` looks like an option, not a tree");
    }
    let out = git(root)
        .args(["rev-parse", "--verify", "--quiet", "--end-of-options", rev])
        .output()
        .context("running `git rev-parse`")?;
    let hash = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    let kind = git(root)
        .args(["cat-file", "-t", &hash])
        .output()
        .context("running `git cat-file`")?;
    if !out.status.success() || String::from_utf8_lossy(&kind.stdout).trim() != "tree" {
        bail!("`{rev}` is not a git tree");
    }
    Ok(hash)
}

fn load_dir(dir: &Path, label: &str, which: &str) -> Result<Side> {
    if !dir.join("api.yaml").exists() && !dir.join("methods").exists() {
        bail!(
            "{which} `{label}`: `{}` is not a spec directory (no `api.yaml`, no `methods/`)",
            dir.display()
        );
    }
    let mut spec = spec::load(dir)
        .map_err(|d| anyhow::anyhow!("{which} `{label}`: the spec does not validate:\n{d}"))?;
    // Compare the Rust names the generator emits (collisions named by rule).
    crate::naming::settle(&mut spec);
    Ok(Side {
        label: label.to_owned(),
        spec,
    })
}

fn git(root: &Path) -> Command {
    let mut c = Command::new("git");
    c.arg("-C").arg(root);
    c
}

/// The full commit hash of `rev`.
pub fn resolve(root: &Path, rev: &str) -> Result<String> {
    if rev.starts_with('-') {
        bail!("`{rev}` looks like an option, not a revision");
    }
    let out = git(root)
        .args(["rev-parse", "--verify", "--quiet", "--end-of-options"])
        .arg(format!("{rev}^{{commit}}"))
        .output()
        .context("running `git rev-parse`")?;
    if !out.status.success() {
        bail!("`git rev-parse` does not know `{rev}`");
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// Extracts the tree `treeish` (`<commit>:./spec`, the directory `spec` next to the
/// workspace's `Cargo.toml` wherever the git top level is, or a tree hash) into `into/spec`.
fn extract(root: &Path, treeish: &str, into: &Path) -> Result<PathBuf> {
    let tar = into.join("spec.tar");
    let out = git(root)
        .args(["archive", "--format=tar", "-o"])
        .arg(&tar)
        .arg(treeish)
        .output()
        .context("running `git archive`")?;
    if !out.status.success() {
        bail!(
            "`git archive {treeish}` failed (does the revision have a `spec/` directory?): {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    let dir = into.join("spec");
    fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let out = Command::new("tar")
        .arg("-xf")
        .arg(&tar)
        .arg("-C")
        .arg(&dir)
        .output()
        .context("running `tar`")?;
    if !out.status.success() {
        bail!(
            "`tar -xf` failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(dir)
}

/// A directory under [`std::env::temp_dir`], removed on drop.
#[derive(Debug)]
pub struct TempDir(PathBuf);

impl TempDir {
    /// Creates a fresh, empty directory.
    pub fn new() -> Result<TempDir> {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "bitrix24-spec-diff-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        if dir.exists() {
            fs::remove_dir_all(&dir).with_context(|| format!("clearing {}", dir.display()))?;
        }
        fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        Ok(TempDir(dir))
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}
