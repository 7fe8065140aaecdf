//! Generator golden files: each fixture spec under `tests/golden/<name>/spec` is generated
//! (with `tests/golden/<name>/published.yaml` as the last release's record, when there is
//! one: `basic` keeps fields the record lists and its spec dropped, `#[deprecated]`) and
//! compared with the committed `tests/golden/<name>/crate` and `.../docs`. The crates
//! are workspace members, so every build compiles the golden output too.
//!
//! After an intended generator change: `UPDATE_GOLDEN=1 cargo test -p bitrix24-tests --test golden`,
//! then read the diff.

use std::path::Path;

use bitrix24_codegen::generate::{self, CrateConfig};
use bitrix24_codegen::published::Published;

fn check_fixture(name: &str) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root");
    let dir = format!("tests/golden/{name}");
    let spec = bitrix24_codegen::spec::load(&root.join(&dir).join("spec"))
        .unwrap_or_else(|d| panic!("fixture {name} does not load:\n{d}"));
    // A fixture may carry the record of an earlier release, whose fields it keeps.
    let published = Published::load(&root.join(&dir).join("published.yaml"))
        .unwrap_or_else(|e| panic!("fixture {name}: {e:#}"));
    let cfg = CrateConfig {
        package: format!("golden-{name}"),
        dir: format!("{dir}/crate"),
        scopes_dir: format!("{dir}/scopes"),
        runtime_path: "workspace = true".into(),
        published,
        version: None,
    };
    let docs = format!("{dir}/docs");
    let files = generate::generate(&spec, &cfg, Some(&docs)).expect("generates");
    let owned = [cfg.dir.as_str(), cfg.scopes_dir.as_str(), docs.as_str()];
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        files.write(root, &owned).expect("writes golden files");
        return;
    }
    let report = files.check(root, &owned).expect("reads golden files");
    assert!(
        report.is_empty(),
        "generated output for fixture `{name}` differs from the golden files \
         (UPDATE_GOLDEN=1 to accept after review):\n{report}"
    );
}

#[test]
fn basic() {
    check_fixture("basic");
}

#[test]
fn naming_obstacle_course() {
    check_fixture("naming");
}

#[test]
fn generation_is_deterministic() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root");
    let spec = bitrix24_codegen::spec::load(&root.join("tests/golden/naming/spec")).expect("loads");
    let cfg = CrateConfig {
        package: "golden-naming".into(),
        dir: "out".into(),
        scopes_dir: "scopes".into(),
        runtime_path: "workspace = true".into(),
        published: None,
        version: None,
    };
    let a = generate::generate(&spec, &cfg, Some("docs")).expect("generates");
    let b = generate::generate(&spec, &cfg, Some("docs")).expect("generates");
    assert_eq!(a, b);
    assert!(
        a.iter()
            .all(|(path, text)| !path.ends_with(".rs")
                || text.starts_with(generate::GENERATED_HEADER))
    );
}
