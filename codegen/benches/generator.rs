//! Benchmarks of the generator pipeline `load + validate + emit + format`.
//!
//! Groups:
//! - `load_validate/real`, `generate/real`, `pipeline/real`: the workspace's `spec/`
//!   (or `tests/golden/basic/spec` while `spec/methods` is empty or does not validate,
//!   e.g. during an import; the bench says which spec it used);
//! - `load_validate/synthetic_2000`, `generate/synthetic_2000`: 2,000 methods cloned
//!   from that spec under new names (`s3.synth17.calllist.add`) over 20 top-level
//!   modules, built in memory and written once to a temporary directory for loading.
//!
//! `generate` is emit + `prettyplease` formatting of the Rust crate plus the Markdown
//! docs, exactly as `cargo xtask codegen` runs it, without writing files.
//!
//! Run: `cargo bench -p bitrix24-codegen --bench generator`.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Duration;

use bitrix24_codegen::generate::{self, CrateConfig, Files};
use bitrix24_codegen::spec::{self, Spec};
use criterion::{Criterion, criterion_group, criterion_main};

/// Methods in the synthetic spec.
const SYNTHETIC_METHODS: usize = 2_000;

/// Where `cargo xtask codegen` puts the Markdown reference.
const DOCS_DIR: &str = "generated/docs";

/// The workspace root.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("codegen/ lies inside the workspace")
        .to_path_buf()
}

/// Whether `dir` holds at least one `.yaml` file, at any depth.
fn has_yaml(dir: &Path) -> bool {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return false;
    };
    entries.flatten().any(|e| {
        let p = e.path();
        if p.is_dir() {
            has_yaml(&p)
        } else {
            p.extension().is_some_and(|x| x == "yaml")
        }
    })
}

/// The spec to benchmark and its directory: `spec/`, or the golden fixture while
/// `spec/methods` has no methods yet or does not validate (an import in progress).
fn real_spec(root: &Path) -> (PathBuf, Spec) {
    let dir = root.join("spec");
    let fallback = "tests/golden/basic/spec";
    if !has_yaml(&dir.join("methods")) {
        println!("spec/methods has no methods yet: falling back to {fallback}");
    } else {
        match spec::load(&dir) {
            Ok(spec) => return (dir, spec),
            Err(d) => println!(
                "spec/ does not validate ({} diagnostics, see `cargo xtask codegen`): falling \
                 back to {fallback}",
                d.0.len()
            ),
        }
    }
    let dir = root.join(fallback);
    let spec = load(&dir);
    (dir, spec)
}

fn load(dir: &Path) -> Spec {
    spec::load(dir).unwrap_or_else(|d| panic!("invalid spec at {}:\n{d}", dir.display()))
}

fn generate(spec: &Spec, cfg: &CrateConfig) -> Files {
    generate::generate(spec, cfg, Some(DOCS_DIR)).expect("the generator accepts a valid spec")
}

/// `N files, B bytes` of a generated set.
fn describe(files: &Files) -> String {
    let bytes: usize = files.iter().map(|(_, c)| c.len()).sum();
    format!("{} files, {bytes} bytes", files.len())
}

fn bench_generator(c: &mut Criterion) {
    let root = root();
    let cfg = generate::main_crate(&root).expect("release/published.yaml parses");
    let (real_dir, real) = real_spec(&root);
    let synthetic = synthetic::spec(&real, SYNTHETIC_METHODS);
    let tmp = synthetic::TempDir::new("bitrix24-codegen-bench").expect("creating a temp dir");
    synthetic::write(&synthetic, tmp.path()).expect("writing the synthetic spec");
    println!(
        "real spec: {} ({} methods, {} shared types); synthetic spec: {} ({} methods)",
        real_dir.display(),
        real.methods.len(),
        real.types.len(),
        tmp.path().display(),
        synthetic.methods.len(),
    );

    // The last result of each routine is kept (dropping the previous one inside the
    // timed loop, as criterion does with returned values) and checked afterwards, so
    // nothing is generated outside the benchmarks.
    let mut loaded = None;
    let mut g = c.benchmark_group("load_validate");
    g.bench_function("real", |b| b.iter(|| load(black_box(&real_dir))));
    g.bench_function("synthetic_2000", |b| {
        b.iter(|| loaded = Some(load(black_box(tmp.path()))));
    });
    g.finish();
    if let Some(loaded) = loaded {
        assert!(
            loaded.methods.len() == synthetic.methods.len()
                && loaded
                    .methods
                    .iter()
                    .zip(&synthetic.methods)
                    .all(|(a, b)| a.method.method == b.method.method),
            "the synthetic spec loads back with other methods than were written"
        );
    }

    let (mut real_files, mut synthetic_files) = (None, None);
    let mut g = c.benchmark_group("generate");
    g.bench_function("real", |b| {
        b.iter(|| real_files = Some(generate(black_box(&real), &cfg)));
    });
    g.bench_function("synthetic_2000", |b| {
        b.iter(|| synthetic_files = Some(generate(black_box(&synthetic), &cfg)));
    });
    g.finish();

    let mut g = c.benchmark_group("pipeline");
    g.bench_function("real", |b| {
        b.iter(|| generate(&load(black_box(&real_dir)), &cfg));
    });
    g.finish();

    for (name, files) in [("real", real_files), ("synthetic_2000", synthetic_files)] {
        if let Some(files) = files {
            println!("generated from {name}: {}", describe(&files));
        }
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    targets = bench_generator
}
criterion_main!(benches);

/// A synthetic spec: the methods of a real spec cloned under new names, built in
/// memory and, for the load benchmark, written to disk. (Kept in this file: a second
/// file in `benches/` would be picked up as a bench target of its own.)
mod synthetic {
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
    pub(crate) fn spec(base: &Spec, count: usize) -> Spec {
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
    pub(crate) fn write(spec: &Spec, dir: &Path) -> io::Result<()> {
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
    pub(crate) struct TempDir(PathBuf);

    impl TempDir {
        /// `<temp>/<prefix>-<pid>`, emptied first.
        pub(crate) fn new(prefix: &str) -> io::Result<Self> {
            let path = std::env::temp_dir().join(format!("{prefix}-{}", std::process::id()));
            match fs::remove_dir_all(&path) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
                _ => {}
            }
            fs::create_dir_all(&path)?;
            Ok(TempDir(path))
        }

        pub(crate) fn path(&self) -> &Path {
            &self.0
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }
}
