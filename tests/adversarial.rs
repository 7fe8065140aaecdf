//! Hostile input for the importer and the spec loader, generated here rather than
//! committed: each page or spec once made a pass quadratic (minutes), fanned out, or
//! overflowed the stack (a process abort). Each must now give located diagnostics in
//! bounded work. Timing is the benchmark's job (`cargo bench -p bitrix24-tests --bench
//! importer`); these tests pin the outcome, and would time out CI if a pass regressed.

use std::path::{Path, PathBuf};

use bitrix24_codegen::diagnostics::Diagnostic;
use bitrix24_codegen::import;
use bitrix24_codegen::spec;

mod adversarial_inputs {
    include!("adversarial/inputs.rs");
}
use adversarial_inputs as inputs;

const PAGE: &str = "api-reference/demo/demo-x-y.md";

fn no_includes(_: &str) -> Option<String> {
    None
}

fn transcribe(page: &str) -> Vec<Diagnostic> {
    transcribe_with(page, &no_includes)
}

/// The diagnostics of `page` beyond those every generated page gives (no scope line, no
/// result table: the pages hold only what they test).
fn transcribe_with(page: &str, includes: &dyn Fn(&str) -> Option<String>) -> Vec<Diagnostic> {
    let d = import::transcribe(page, PAGE, "demo.x.y", includes, "0").1;
    let bare = import::transcribe("# Title demo.x.y\n", PAGE, "demo.x.y", &no_includes, "0").1;
    d.into_iter()
        .filter(|d| !bare.iter().any(|b| b.message == d.message))
        .collect()
}

fn messages(d: &[Diagnostic]) -> Vec<String> {
    d.iter()
        .map(|d| {
            format!(
                "{}:{}: {}",
                d.file.display(),
                d.line.unwrap_or(0),
                d.message
            )
        })
        .collect()
}

// ---------------------------------------------------------------- importer

#[test]
fn brackets_inside_list_items() {
    let d = transcribe(&inputs::list_brackets(26_000));
    assert_eq!(messages(&d), Vec::<String>::new());
}

#[test]
fn deeply_nested_markdown() {
    let d = transcribe(&inputs::deep_markdown(20_000));
    assert_eq!(messages(&d), Vec::<String>::new());
}

#[test]
fn many_links_in_one_table_cell() {
    let m = import::transcribe(
        &inputs::cell_links(20_000),
        PAGE,
        "demo.x.y",
        &no_includes,
        "0",
    )
    .0;
    let desc = &m.params[0].description;
    assert_eq!(
        desc.matches("](https://").count(),
        20_000,
        "{}",
        &desc[..200]
    );
}

#[test]
fn many_notes_on_a_page() {
    let d = transcribe(&inputs::notes(26_000));
    assert!(d.is_empty(), "{:?}", &messages(&d)[..3]);
}

#[test]
fn unclosed_notes_nest_only_so_deep() {
    let d = transcribe(&inputs::unclosed_notes(26_000));
    let m = messages(&d);
    // The first 16 open a level each (and are never closed); the rest are text.
    assert_eq!(m.len(), 26_000, "{:?}", &m[..3]);
    for (i, m) in m.iter().enumerate().take(16) {
        assert_eq!(
            *m,
            format!("{PAGE}:{}: `note` without `endnote`", 2 * i + 1)
        );
    }
    assert_eq!(
        m[16],
        format!("{PAGE}:33: `note` nested deeper than 16 levels: the directive is ignored")
    );
    assert_eq!(
        m[25_999],
        format!("{PAGE}:51999: `note` nested deeper than 16 levels: the directive is ignored")
    );
}

#[test]
fn deeply_nested_notes() {
    let d = transcribe(&inputs::nested_notes(4_000));
    let m = messages(&d);
    assert_eq!(m.len(), 4_000 - 16, "{:?}", &m[..3]);
    assert_eq!(
        m[0],
        format!("{PAGE}:17: `note` nested deeper than 16 levels: the directive is ignored")
    );
}

#[test]
fn deeply_nested_json_in_an_example() {
    let d = transcribe(&inputs::deep_json(100_000));
    assert_eq!(
        messages(&d),
        [format!(
            "{PAGE}:5: response example dropped: arrays and objects nested deeper than 127 levels (line 2 of the block)"
        )]
    );
}

#[test]
fn an_include_with_self_includes_is_a_cycle() {
    let (page, include) = inputs::self_include(20);
    let read = |p: &str| (p == "api-reference/demo/self.md").then(|| include.clone());
    let m = messages(&transcribe_with(&page, &read));
    // The page's include expands once; each of its 20 self-includes is a cycle.
    assert_eq!(m.len(), 20, "{m:?}");
    assert_eq!(
        m[0],
        format!(
            "api-reference/demo/self.md:1: include `self.md` is a cycle ({PAGE} → \
             api-reference/demo/self.md → api-reference/demo/self.md): not expanded"
        )
    );
}

#[test]
fn include_fan_out_is_bounded() {
    // 20 includes per level, 5 levels: 3.2 million expansions without a budget.
    let read = |p: &str| inputs::fan_out_include(p, 20);
    let m = messages(&transcribe_with(&inputs::fan_out_page(20), &read));
    // Depth first: l1, l2, l3 and four l4 with their 20 l5 each (87 files), a fifth l4
    // and 12 of its l5: 100. Left: the rest of that l4's l5 (8, from line 13), of l3's
    // l4 (15) and the 19 other includes at each of the three levels above (57).
    assert_eq!(
        m,
        [
            "api-reference/demo/l4.md:13: include `l5.md` and any further ones not expanded: \
             a page expands at most 100 includes and 1024 KiB of included text",
            &format!(
                "{PAGE}:0: 80 includes in all were not expanded: the page exceeds the include budget"
            ),
        ]
    );
}

// ---------------------------------------------------------------- spec loader

/// `tests/specs/valid-minimal` copied to a scratch directory, with the method file
/// edited by `edit`.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str, edit: impl Fn(&str) -> String) -> Scratch {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("specs/valid-minimal");
        let dir = std::env::temp_dir().join(format!(
            "bitrix24-adversarial-{name}-{}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        for rel in [
            "api.yaml",
            "events/crm/onCrmActivityAdd.yaml",
            "methods/crm/crm.calllist.add.yaml",
        ] {
            let to = dir.join(rel);
            std::fs::create_dir_all(to.parent().expect("a parent")).expect("mkdir");
            let text = std::fs::read_to_string(src.join(rel)).expect("read valid-minimal");
            let text = if rel.starts_with("methods/") {
                edit(&text)
            } else {
                text
            };
            std::fs::write(&to, text).expect("write");
        }
        Scratch(dir)
    }

    fn load_errors(&self) -> Vec<String> {
        match spec::load(&self.0) {
            Ok(_) => Vec::new(),
            Err(d) => messages(&d.0),
        }
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

const METHOD: &str = "methods/crm/crm.calllist.add.yaml";

#[test]
fn deeply_nested_type_expressions() {
    for (name, ty, column) in [
        ("maps", inputs::nested_type("map<", ">", 3_000), 129),
        ("parens", inputs::nested_type("(", ")", 3_000), 33),
        ("arrays", format!("integer{}", "[]".repeat(20_000)), 70),
    ] {
        let s = Scratch::new(name, |t| {
            t.replace("  type: integer[]\n", &format!("  type: '{ty}'\n"))
        });
        let e = s.load_errors();
        assert_eq!(e.len(), 1, "{name}");
        assert!(
            e[0].starts_with(&format!("{METHOD}:17: invalid type `")),
            "{name}"
        );
        assert!(
            e[0].ends_with(&format!(
                "`: the type nests deeper than 32 levels (at column {column})"
            )),
            "{name}"
        );
    }
}

#[test]
fn deeply_nested_yaml() {
    let s = Scratch::new("yaml", |t| {
        t.replace(
            "  doc_type: array\n",
            &format!("  doc_type: {}\n", "[".repeat(100_000)),
        )
    });
    assert_eq!(
        s.load_errors(),
        [format!(
            "{METHOD}:18: invalid YAML: flow collections (`[`, `{{`) nest deeper than 512 \
             levels: refused before parsing (the YAML parser's time grows with the square of \
             the depth)"
        )]
    );
}
