//! Bounded, seeded fuzzing of the codegen parsers (`tests/fuzz/codegen.rs`) under
//! `arbtest`: every run tries the same inputs, so a failure reproduces. A failing input
//! prints its seed; replay it with `ARBTEST_SEED=<seed> cargo test -p bitrix24-tests
//! --test fuzz <target>`, then keep it as a regression test (`tests/adversarial.rs`).
//!
//! Longer runs, for maintainers: `ARBTEST_BUDGET_MS=600000 cargo test --release -p
//! bitrix24-tests --test fuzz` searches fresh random seeds for ten minutes per target and
//! prints how many inputs it tried; `cargo +nightly fuzz run <target>` in `fuzz/` runs the
//! same targets coverage-guided (see `fuzz/README.md`).

use std::cell::Cell;

use arbitrary::Unstructured;

#[path = "fuzz/codegen.rs"]
mod codegen;

/// Runs `target` on `inputs` fixed seeds (or, with `ARBTEST_BUDGET_MS` / `ARBTEST_SEED`
/// set, arbtest's own search or replay).
fn fuzz(name: &str, inputs: u64, target: fn(&mut Unstructured<'_>) -> arbitrary::Result<()>) {
    let tried = Cell::new(0u64);
    let counted = |u: &mut Unstructured<'_>| {
        tried.set(tried.get() + 1);
        target(u)
    };
    if std::env::var_os("ARBTEST_BUDGET_MS").is_some() || std::env::var_os("ARBTEST_SEED").is_some()
    {
        arbtest::arbtest(counted).run();
    } else {
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        for i in 0..inputs {
            // xorshift64 for the random half of the seed; sizes from 64 bytes to 16 KiB.
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let size = 64u64 << (i % 9);
            arbtest::arbtest(counted)
                .seed((x & 0xFFFF_FFFF_0000_0000) | size)
                .run();
        }
    }
    eprintln!("fuzz {name}: {} inputs", tried.get());
}

#[test]
fn import_page() {
    fuzz("import_page", 400, codegen::import_page);
}

#[test]
fn spec_load() {
    fuzz("spec_load", 300, codegen::spec_load);
}

#[test]
fn type_expr() {
    fuzz("type_expr", 5_000, codegen::type_expr);
}
