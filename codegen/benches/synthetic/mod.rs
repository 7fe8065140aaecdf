//! A synthetic spec: the methods of a real spec cloned under new names, built in
//! memory and, for the load benchmark, written to disk. (A directory module: a second
//! file in `benches/` would be picked up as a bench target of its own; `tests/spec_diff.rs`
//! includes it too.)

use std::collections::BTreeSet;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use bitrix24_codegen::spec::{MethodFile, Spec};

/// Top-level segments (`s0` … `s19`): top-level modules and crate features.
const SCOPES: usize = 20;

/// Consecutive source methods that share one `synth<N>` module, so module trees
/// look like real ones (`s3.synth17.calllist.add`, `s3.synth17.calllist.get`, …).
const PER_MODULE: usize = 5;

/// `count` methods cloned round-robin from `base` and renamed
/// `s<group % 20>.synth<group>.<source name without its first segment>`, where
/// `group = index / 5` (`/ base size` when the base has fewer than 5 methods);
/// aliases are renamed to unique names too. Methods are sorted
/// by name and placed at `methods/<first segment>/<method>.yaml`, as
/// `spec::load` returns them.
pub fn spec(base: &Spec, count: usize) -> Spec {
    assert!(
        !base.methods.is_empty(),
        "the base spec has no methods to clone"
    );
    // At most one clone of each source per module (so no two clash by name).
    let per_module = PER_MODULE.min(base.methods.len());
    let mut used = BTreeSet::new();
    let mut methods = Vec::with_capacity(count);
    for i in 0..count {
        let source = &base.methods[i % base.methods.len()].method;
        let group = i / per_module;
        let scope = format!("s{}", group % SCOPES);
        let tail = tail(&source.method);
        let mut name = format!("{scope}.synth{group}.{tail}");
        if !used.insert(name.clone()) {
            // Two sources differing only in their first segment met in one module.
            name = format!("{scope}.synth{group}n{i}.{tail}");
            used.insert(name.clone());
        }
        let mut method = source.clone();
        method.aliases = (0..method.aliases.len())
            .map(|j| format!("{scope}.synth{group}n{i}a{j}.{tail}"))
            .collect();
        method.method = name;
        methods.push(MethodFile {
            path: PathBuf::from(format!("methods/{scope}/{}.yaml", method.method)),
            method,
        });
    }
    methods.sort_by(|a, b| a.method.method.cmp(&b.method.method));
    Spec {
        api: base.api.clone(),
        methods,
        types: base.types.clone(),
        events: base.events.clone(),
    }
}

/// The method name without its first segment (`crm.calllist.add` → `calllist.add`);
/// a one-segment name is kept whole.
fn tail(method: &str) -> &str {
    method.split_once('.').map_or(method, |(_, rest)| rest)
}

/// Writes `spec` as a spec directory: `api.yaml`, `methods/**`, `types/*`.
pub fn write(spec: &Spec, dir: &Path) -> io::Result<()> {
    fs::write(dir.join("api.yaml"), yaml(&spec.api)?)?;
    for m in &spec.methods {
        let path = dir.join(&m.path);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)?;
        }
        fs::write(path, yaml(&m.method)?)?;
    }
    for t in &spec.types {
        let path = dir.join("types").join(format!("{}.yaml", t.name));
        fs::create_dir_all(dir.join("types"))?;
        fs::write(path, yaml(t)?)?;
    }
    Ok(())
}

fn yaml<T: serde::Serialize>(value: &T) -> io::Result<String> {
    serde_yaml::to_string(value).map_err(io::Error::other)
}

/// A fresh, empty directory under the system temp dir, removed when dropped.
#[derive(Debug)]
pub struct TempDir(PathBuf);

impl TempDir {
    /// `<temp>/<prefix>-<pid>`, emptied first.
    pub fn new(prefix: &str) -> io::Result<Self> {
        let path = std::env::temp_dir().join(format!("{prefix}-{}", std::process::id()));
        match fs::remove_dir_all(&path) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
        fs::create_dir_all(&path)?;
        Ok(TempDir(path))
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}
