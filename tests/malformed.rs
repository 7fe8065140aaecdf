//! The malformed-spec corpus: every directory under `tests/specs/malformed/` is a small
//! spec with one fault. Loading it must fail with located, helpful diagnostics, whose
//! text is pinned by an insta snapshot (`tests/snapshots/malformed__<case>.snap`).
//! `tests/specs/valid-minimal/` (one method, one event) must load; each `event-*` case is
//! it with one fault in the event.

use std::path::{Path, PathBuf};

use bitrix24_codegen::spec;

fn specs() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("specs")
}

/// Loads one malformed case and snapshots its diagnostics.
fn check(case: &str) {
    let dir = specs().join("malformed").join(case);
    assert!(dir.is_dir(), "missing corpus case {}", dir.display());
    let diags = match spec::load(&dir) {
        Ok(_) => panic!("{case}: the malformed spec loaded without errors"),
        Err(d) => d,
    };
    assert!(!diags.0.is_empty(), "{case}: Err without diagnostics");
    for d in &diags.0 {
        assert!(!d.file.as_os_str().is_empty(), "{case}: no file in {d:?}");
        assert!(d.file.is_relative(), "{case}: absolute file in {d:?}");
        assert!(
            !d.message.trim().is_empty(),
            "{case}: empty message in {d:?}"
        );
    }
    let text = diags.to_string();
    let root = specs().display().to_string();
    assert!(!text.contains(&root), "{case}: absolute path in\n{text}");
    insta::assert_snapshot!(case, text);
}

macro_rules! corpus {
    ($($case:ident => $dir:literal,)*) => {
        $(
            #[test]
            fn $case() {
                check($dir);
            }
        )*

        /// Every directory of the corpus has a test above, and every test a directory.
        #[test]
        fn corpus_is_complete() {
            let listed: Vec<&str> = vec![$($dir),*];
            let mut on_disk: Vec<String> = std::fs::read_dir(specs().join("malformed"))
                .expect("read tests/specs/malformed")
                .map(|e| e.expect("dir entry").file_name().to_string_lossy().into_owned())
                .collect();
            on_disk.sort();
            let mut listed_sorted: Vec<String> = listed.iter().map(|s| s.to_string()).collect();
            listed_sorted.sort();
            assert_eq!(on_disk, listed_sorted, "corpus directories and tests differ");
        }
    };
}

corpus! {
    api_bad_commit => "api-bad-commit",
    bad_commit_hash => "bad-commit-hash",
    bad_rust_name => "bad-rust-name",
    bad_method_name => "bad-method-name",
    bad_source_path => "bad-source-path",
    duplicate_error_code => "duplicate-error-code",
    duplicate_method => "duplicate-method",
    empty_file => "empty-file",
    enum_duplicate_values => "enum-duplicate-values",
    enum_fields_and_values => "enum-fields-and-values",
    enum_integer_repr_not_integer => "enum-integer-repr-not-integer",
    enum_variant_collision => "enum-variant-collision",
    event_data_type_and_keys => "event-data-type-and-keys",
    event_example_other_event => "event-example-other-event",
    event_in_wrong_folder => "event-in-wrong-folder",
    event_unknown_data_type => "event-unknown-data-type",
    file_in_wrong_folder => "file-in-wrong-folder",
    rest_v3_in_classic_folder => "rest-v3-in-classic-folder",
    infinite_size_type => "infinite-size-type",
    invalid_json_example => "invalid-json-example",
    missing_api_yaml => "missing-api-yaml",
    missing_required_key => "missing-required-key",
    module_name_clash => "module-name-clash",
    non_utf8 => "non-utf8",
    param_rust_name_collision => "param-rust-name-collision",
    request_example_type_mismatch => "request-example-type-mismatch",
    request_example_unknown_key => "request-example-unknown-key",
    response_example_array_as_object => "response-example-array-as-object",
    response_example_type_mismatch => "response-example-type-mismatch",
    result_disjoint_from_example => "result-disjoint-from-example",
    type_grammar_unclosed_map => "type-grammar-unclosed-map",
    type_grammar_union => "type-grammar-union",
    type_name_not_camel_case => "type-name-not-camel-case",
    type_named_like_request => "type-named-like-request",
    unknown_nested_key => "unknown-nested-key",
    unknown_top_level_key => "unknown-top-level-key",
    unknown_type_name => "unknown-type-name",
    unknown_wire_format => "unknown-wire-format",
    unused_type => "unused-type",
    wire_format_on_string => "wire-format-on-string",
    wrong_value_type => "wrong-value-type",
    yaml_syntax_error => "yaml-syntax-error",
}

#[test]
fn valid_minimal_loads() {
    let spec = match spec::load(&specs().join("valid-minimal")) {
        Ok(s) => s,
        Err(d) => panic!("valid-minimal has diagnostics:\n{d}"),
    };
    assert_eq!(spec.methods.len(), 1);
    assert_eq!(spec.methods[0].method.method, "crm.calllist.add");
    assert_eq!(
        spec.methods[0].path,
        Path::new("methods/crm/crm.calllist.add.yaml")
    );
    assert!(spec.types.is_empty());
    assert_eq!(spec.events.len(), 1);
    assert_eq!(spec.events[0].event.event, "onCrmActivityAdd");
    assert_eq!(
        spec.events[0].path,
        Path::new("events/crm/onCrmActivityAdd.yaml")
    );
}
