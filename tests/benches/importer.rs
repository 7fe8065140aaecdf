//! The importer on hostile pages and the spec loader on hostile files: the inputs of
//! `tests/adversarial.rs` (`tests/adversarial/inputs.rs`) at full size. Each once took
//! over 30 s, fanned out to millions of includes, or overflowed the stack.
//!
//! Run: `cargo bench -p bitrix24-tests --bench importer`. The whole-tree figure (every
//! page of a docs checkout) is `cargo xtask import-sweep --docs <checkout>`.

use std::hint::black_box;
use std::time::Duration;

use bitrix24_codegen::import;
use bitrix24_codegen::spec::types::TypeExpr;
use bitrix24_codegen::spec::yaml_depth;
use criterion::{Criterion, criterion_group, criterion_main};

mod inputs {
    include!("../adversarial/inputs.rs");
}

const PAGE: &str = "api-reference/demo/demo-x-y.md";

fn no_includes(_: &str) -> Option<String> {
    None
}

fn pages(c: &mut Criterion) {
    let mut g = c.benchmark_group("import_page");
    g.sample_size(10).measurement_time(Duration::from_secs(5));
    let plain: [(&str, String); 7] = [
        ("list_brackets_26000", inputs::list_brackets(26_000)),
        ("cell_links_20000", inputs::cell_links(20_000)),
        ("notes_26000", inputs::notes(26_000)),
        ("unclosed_notes_26000", inputs::unclosed_notes(26_000)),
        ("nested_notes_4000", inputs::nested_notes(4_000)),
        ("deep_json_100000", inputs::deep_json(100_000)),
        ("deep_markdown_20000", inputs::deep_markdown(20_000)),
    ];
    for (name, page) in &plain {
        g.bench_function(*name, |b| {
            b.iter(|| import::transcribe(black_box(page), PAGE, "demo.x.y", &no_includes, "0"))
        });
    }
    let (page, include) = inputs::self_include(20);
    let read = |p: &str| (p == "api-reference/demo/self.md").then(|| include.clone());
    g.bench_function("self_include_20", |b| {
        b.iter(|| import::transcribe(black_box(&page), PAGE, "demo.x.y", &read, "0"))
    });
    let page = inputs::fan_out_page(20);
    let read = |p: &str| inputs::fan_out_include(p, 20);
    g.bench_function("fan_out_20x5", |b| {
        b.iter(|| import::transcribe(black_box(&page), PAGE, "demo.x.y", &read, "0"))
    });
    g.finish();
}

fn spec(c: &mut Criterion) {
    let mut g = c.benchmark_group("spec");
    for (name, ty) in [
        ("type_maps_3000", inputs::nested_type("map<", ">", 3_000)),
        (
            "type_arrays_20000",
            format!("integer{}", "[]".repeat(20_000)),
        ),
    ] {
        g.bench_function(name, |b| b.iter(|| TypeExpr::parse(black_box(&ty))));
    }
    let yaml = format!("a: {}\n", "[".repeat(100_000));
    g.bench_function("yaml_depth_100000", |b| {
        b.iter(|| yaml_depth::check(black_box(&yaml)))
    });
    g.finish();
}

criterion_group!(benches, pages, spec);
criterion_main!(benches);
