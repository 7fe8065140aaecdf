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

/// The synthetic spec builder, shared with `tests/spec_diff.rs` (a subdirectory, so it is
/// not a bench target of its own).
mod synthetic;
