//! `cargo xtask spec-diff`: fixture spec pairs under `tests/spec_diff/<case>/{base,head}`,
//! each change asserted with its kind and class; the Markdown of two cases and the JSON
//! of one are pinned by insta snapshots (`tests/spec_diff/snapshots/`).
//!
//! Cases: `methods` (method-level facts, features, docs pin, examples), `params`
//! (every parameter change), `result`, `types` (local and shared types, object fields,
//! enums), `errors` (per-method and system errors against the whole spec's `ErrorCode`),
//! `events` (events added, removed, and their data keys, types, `bind` and `api.yaml`'s
//! `event_auth`), `fields` (optional fields the docs drop, which the published record
//! keeps for one release), `stable` (Rust names the docs change without the API changing,
//! and a method the docs drop, which the published record keeps), `invalid` (a side that
//! does not validate). Every rule of
//! `bitrix24_codegen::diff::classify::RULES` is exercised by at least one case.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use bitrix24_codegen::diff::classify::RULES;
use bitrix24_codegen::diff::source::TempDir;
use bitrix24_codegen::diff::{self, Class, Kind, Options, Report, RuleId, TypeShift};
use bitrix24_codegen::published::Published;
use bitrix24_codegen::spec;

const B: Class = Class::Breaking;
const C: Class = Class::Compatible;
const D: Class = Class::DocsOnly;

const CASES: &[&str] = &[
    "methods", "params", "result", "types", "errors", "events", "fields",
];

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("spec_diff")
}

fn side(case: &str, side: &str) -> PathBuf {
    fixtures().join(case).join(side)
}

fn load(dir: &Path) -> spec::Spec {
    spec::load(dir).unwrap_or_else(|d| panic!("{} does not load:\n{d}", dir.display()))
}

fn report(case: &str) -> Report {
    let (b, h) = (load(&side(case, "base")), load(&side(case, "head")));
    Report::new("base", &b, "head", &h)
}

type Fact = (String, String, &'static str, Class);

fn facts(r: &Report) -> BTreeSet<Fact> {
    r.changes
        .iter()
        .map(|c| {
            (
                c.group
                    .method()
                    .or_else(|| c.group.event())
                    .unwrap_or_default()
                    .to_owned(),
                c.path_str(),
                c.kind().as_str(),
                c.class(),
            )
        })
        .collect()
}

fn expect(case: &str, want: &[(&str, &str, &'static str, Class)]) -> Report {
    let r = report(case);
    let got = facts(&r);
    let want: BTreeSet<Fact> = want
        .iter()
        .map(|(m, p, k, c)| ((*m).to_owned(), (*p).to_owned(), *k, *c))
        .collect();
    let missing: Vec<_> = want.difference(&got).collect();
    let unexpected: Vec<_> = got.difference(&want).collect();
    assert!(
        missing.is_empty() && unexpected.is_empty(),
        "case `{case}`:\nmissing: {missing:#?}\nunexpected: {unexpected:#?}"
    );
    assert_eq!(
        r.changes.len(),
        want.len(),
        "case `{case}`: duplicate changes"
    );
    r
}

fn change<'r>(r: &'r Report, method: &str, path: &str) -> &'r diff::Change {
    r.changes
        .iter()
        .find(|c| c.group.method().unwrap_or_default() == method && c.path_str() == path)
        .unwrap_or_else(|| panic!("no change at {method} {path}"))
}

fn snapshot(name: &str, text: &str) {
    insta::with_settings!({snapshot_path => "spec_diff/snapshots", prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!(name, text);
    });
}

#[test]
fn methods() {
    let r = expect(
        "methods",
        &[
            ("crm.gone.get", "", "method_removed", B),
            ("task.x.get", "", "method_removed", B),
            // Renamed in case only: still a removal in Rust, said so.
            ("crm.e.getfields", "", "method_removed", B),
            ("crm.e.getFields", "", "method_added", C),
            ("", "features › task", "feature_removed", B),
            ("", "features › user", "feature_added", C),
            ("", "docs › commit", "docs_pin_changed", D),
            ("crm.a.get", "deprecated", "deprecated", C),
            ("crm.a.get", "scope", "scope_changed", C),
            ("crm.a.get", "read_only", "read_only_changed", C),
            ("crm.a.get", "positional", "positional_changed", D),
            ("crm.a.get", "aliases", "alias_added", D),
            ("crm.a.get", "title", "title_changed", D),
            ("crm.a.get", "summary", "summary_changed", D),
            ("crm.a.get", "description", "description_changed", D),
            ("crm.a.get", "access", "access_changed", D),
            ("crm.a.get", "source › path", "source_changed", D),
            ("crm.a.get", "source › commit", "source_changed", D),
            ("crm.a.get", "examples › request", "example_added", D),
            ("crm.a.get", "examples › response", "example_changed", D),
            ("crm.b.list", "deprecated", "undeprecated", C),
            ("crm.b.list", "list › page_size", "list_changed", C),
            ("crm.b.list", "list › id_field", "list_changed", C),
            ("crm.b.list", "aliases", "alias_removed", D),
            ("crm.b.list", "examples › error", "example_removed", D),
            ("crm.c.list", "read_only", "read_only_changed", C),
            ("crm.c.list", "positional", "positional_changed", D),
            ("crm.c.list", "list", "list_removed", C),
            ("crm.c.list", "deprecated", "deprecation_changed", D),
            ("crm.d.list", "list", "list_added", C),
            ("user.current", "", "method_added", C),
        ],
    );
    let s = r.summary();
    assert_eq!((s.breaking, s.compatible, s.docs_only), (4, 12, 15));
    assert_eq!(
        (s.methods_touched, s.methods_added, s.methods_removed),
        (9, 2, 3)
    );
    assert_eq!(change(&r, "crm.gone.get", "").rule, RuleId::MethodRemoved);
    let renamed = change(&r, "crm.e.getfields", "");
    assert_eq!(renamed.rule, RuleId::MethodRenamedCase);
    assert_eq!(
        renamed.reason,
        "the docs now spell it `crm.e.getFields`: the portal takes either spelling, but the \
         Rust path moves to `bitrix24::crm::e::GetFields` and `bitrix24::crm::e::Getfields` \
         disappears"
    );
    assert_eq!(
        change(&r, "crm.a.get", "read_only").rule,
        RuleId::ReadOnlyBecameFalse
    );
    assert_eq!(
        change(&r, "crm.c.list", "read_only").rule,
        RuleId::ReadOnlyBecameTrue
    );
    assert_eq!(
        change(&r, "crm.c.list", "positional").rule,
        RuleId::PositionalBecameTrue
    );
    assert_eq!(
        change(&r, "crm.a.get", "positional").rule,
        RuleId::PositionalBecameFalse
    );
    assert!(
        change(&r, "crm.a.get", "scope")
            .reason
            .contains("`crm_a` scope")
    );
}

#[test]
fn params() {
    let r = expect(
        "params",
        &[
            ("crm.p.add", "params › OLD_REQ", "param_removed", B),
            ("crm.p.add", "params › OLD_OPT", "param_removed", B),
            (
                "crm.p.add",
                "params › ENTITIES › type",
                "param_type_changed",
                B,
            ),
            (
                "crm.p.add",
                "params › ENTITY_TYPE › type",
                "param_type_changed",
                B,
            ),
            (
                "crm.p.add",
                "params › LIMIT › type",
                "param_type_changed",
                B,
            ),
            (
                "crm.p.add",
                "params › NAME › required",
                "param_required_changed",
                B,
            ),
            ("crm.p.add", "params › NEW_REQ", "param_added", B),
            ("crm.p.add", "params › ID › type", "param_type_changed", B),
            (
                "crm.p.add",
                "params › TITLE › required",
                "param_required_changed",
                B,
            ),
            ("crm.p.add", "params", "params_reordered", B),
            ("crm.p.add", "types › EntityType", "type_removed", B),
            (
                "crm.p.add",
                "params › OFFSET › type",
                "param_type_changed",
                C,
            ),
            (
                "crm.p.add",
                "params › CREATED › type",
                "param_type_changed",
                C,
            ),
            (
                "crm.p.add",
                "params › ACTIVE › wire",
                "param_wire_changed",
                C,
            ),
            (
                "crm.p.add",
                "params › ORDER › default",
                "param_default_changed",
                C,
            ),
            ("crm.p.add", "params › NEW_OPT", "param_added", C),
            ("crm.p.add", "params › OWNER_ID", "param_renamed", C),
            (
                "crm.p.add",
                "params › NOTE › doc_type",
                "param_doc_type_changed",
                D,
            ),
            (
                "crm.p.add",
                "params › NOTE › description",
                "param_description_changed",
                D,
            ),
            ("crm.q.add", "params › C", "param_added", B),
            ("crm.q.add", "params", "params_reordered", D),
        ],
    );
    // Type changes say how the type changed and what Rust sees.
    let cases: &[(&str, RuleId, &[TypeShift])] = &[
        (
            "params › ENTITIES › type",
            RuleId::ParamTypeArgument,
            &[TypeShift::AnyToTyped],
        ),
        (
            "params › ENTITY_TYPE › type",
            RuleId::ParamTypeArgument,
            &[TypeShift::NamedSwap],
        ),
        (
            "params › LIMIT › type",
            RuleId::ParamTypeArgument,
            &[TypeShift::NullableAdded],
        ),
        (
            "params › ID › type",
            RuleId::ParamTypeSetter,
            &[TypeShift::ToArray],
        ),
        (
            "params › OFFSET › type",
            RuleId::ParamTypeSameRust,
            &[TypeShift::NullableAdded],
        ),
        (
            "params › CREATED › type",
            RuleId::ParamTypeSameRust,
            &[TypeShift::Scalar],
        ),
    ];
    for (path, rule, shifts) in cases {
        let c = change(&r, "crm.p.add", path);
        assert_eq!(c.rule, *rule, "{path}");
        assert_eq!(c.shifts, *shifts, "{path}");
    }
    let c = change(&r, "crm.p.add", "params › ENTITIES › type");
    assert_eq!(
        (c.before.as_deref(), c.after.as_deref()),
        (Some("any[]"), Some("integer[]"))
    );
    assert!(
        c.reason.contains("`Vec<Value>` → `Vec<i64>`"),
        "{}",
        c.reason
    );
    assert!(
        change(&r, "crm.p.add", "params › LIMIT › type")
            .reason
            .contains("`i64` → `Option<i64>`")
    );
    assert!(
        change(&r, "crm.p.add", "params › OFFSET › type")
            .reason
            .contains("stays `Option<i64>`")
    );
    assert_eq!(
        change(&r, "crm.p.add", "params › NAME › required").rule,
        RuleId::ParamBecameRequired
    );
    assert_eq!(
        change(&r, "crm.p.add", "params › TITLE › required").rule,
        RuleId::ParamBecameOptional
    );
    assert_eq!(
        change(&r, "crm.p.add", "params › OLD_REQ").rule,
        RuleId::ParamRemovedRequired
    );
    assert_eq!(
        change(&r, "crm.p.add", "params › OLD_OPT").rule,
        RuleId::ParamRemovedOptional
    );
    // A first required parameter also takes `Default` away; a later one does not say so.
    assert!(
        change(&r, "crm.q.add", "params › C")
            .reason
            .ends_with("`Add` no longer implements `Default`")
    );
    assert!(
        !change(&r, "crm.p.add", "params › NEW_REQ")
            .reason
            .contains("Default")
    );
    snapshot("params_markdown", &r.markdown());
}

#[test]
fn result() {
    let r = expect(
        "result",
        &[
            ("crm.r.get", "result", "result_type_changed", B),
            ("crm.r.get", "result › paged", "result_paged_changed", C),
            (
                "crm.r.get",
                "result › doc_type",
                "result_doc_type_changed",
                D,
            ),
            (
                "crm.r.get",
                "result › description",
                "result_description_changed",
                D,
            ),
            ("crm.r.list", "result", "result_type_changed", B),
            ("crm.r.list", "types › Item", "type_added", C),
            ("crm.r.count", "result", "result_type_changed", C),
        ],
    );
    assert!(
        change(&r, "crm.r.get", "result")
            .reason
            .contains("`i64` → `String`")
    );
    assert_eq!(
        change(&r, "crm.r.list", "result").shifts,
        [TypeShift::AnyToTyped]
    );
    assert_eq!(
        change(&r, "crm.r.count", "result").rule,
        RuleId::ResultTypeSameRust
    );
    snapshot("result_json", &r.json());
}

#[test]
fn types() {
    let r = expect(
        "types",
        &[
            (
                "crm.t.add",
                "types › Fields › fields",
                "fields_reordered",
                B,
            ),
            (
                "crm.t.add",
                "types › Fields › fields › C › default",
                "field_default_changed",
                C,
            ),
            (
                "crm.t.add",
                "types › Fields › fields › C › doc_type",
                "field_doc_type_changed",
                D,
            ),
            ("crm.t.get", "types › Legacy", "type_removed", B),
            (
                "crm.t.get",
                "types › Deal › fields › OLD",
                "field_removed",
                B,
            ),
            (
                "crm.t.get",
                "types › Deal › fields › CREATED › required",
                "field_required_changed",
                B,
            ),
            (
                "crm.t.get",
                "types › Deal › fields › TITLE › required",
                "field_required_changed",
                B,
            ),
            (
                "crm.t.get",
                "types › Deal › fields › AMOUNT › type",
                "field_type_changed",
                B,
            ),
            (
                "crm.t.get",
                "types › Deal › fields › PRICE › type",
                "field_type_changed",
                B,
            ),
            (
                "crm.t.get",
                "types › Deal › fields › NEW_REQ",
                "field_added",
                B,
            ),
            (
                "crm.t.get",
                "types › Stage › values › WON",
                "enum_value_removed",
                B,
            ),
            (
                "crm.t.get",
                "types › Stage › values › 1",
                "enum_variant_renamed",
                B,
            ),
            ("crm.t.get", "types › Extra", "type_kind_changed", B),
            (
                "crm.t.get",
                "types › Deal › fields › OPENED › wire",
                "field_wire_changed",
                C,
            ),
            (
                "crm.t.get",
                "types › Deal › fields › CONTACT_IDS › type",
                "field_type_changed",
                C,
            ),
            (
                "crm.t.get",
                "types › Deal › fields › COMPANY_ID",
                "field_renamed",
                C,
            ),
            (
                "crm.t.get",
                "types › Deal › fields › PHONE",
                "field_added",
                C,
            ),
            (
                "crm.t.get",
                "types › Deal › fields › CONTACT",
                "field_added",
                C,
            ),
            (
                "crm.t.get",
                "types › Deal › fields › NEW_OPT",
                "field_added",
                C,
            ),
            (
                "crm.t.get",
                "types › Stage › values › PENDING",
                "enum_value_added",
                C,
            ),
            (
                "crm.t.get",
                "types › Stage › values › 3",
                "enum_value_wire_changed",
                C,
            ),
            (
                "crm.t.get",
                "types › Priority › repr",
                "enum_repr_changed",
                C,
            ),
            ("crm.t.get", "types › Contact", "type_added", C),
            (
                "crm.t.get",
                "types › Deal › description",
                "type_description_changed",
                D,
            ),
            (
                "crm.t.get",
                "types › Deal › fields › COMMENTS › description",
                "field_description_changed",
                D,
            ),
            (
                "crm.t.get",
                "types › Stage › values › LOST › description",
                "enum_value_description_changed",
                D,
            ),
            (
                "crm.t.get",
                "types › Stage › values › IN_WORK › name",
                "enum_value_name_changed",
                D,
            ),
            (
                "",
                "types › Address › fields › ZIP › type",
                "field_type_changed",
                B,
            ),
            ("", "types › Address › fields › STREET", "field_added", C),
            (
                "",
                "types › Address › description",
                "type_description_changed",
                D,
            ),
            ("", "types › Address › fields", "fields_reordered", D),
            ("", "types › Money", "type_removed", B),
            ("", "types › Phone", "type_added", C),
        ],
    );
    let price = change(&r, "crm.t.get", "types › Deal › fields › PRICE › type");
    assert_eq!(price.shifts, [TypeShift::FromNamed]);
    assert!(
        price
            .reason
            .contains("`Option<types::Money>` → `Option<Decimal>`"),
        "{}",
        price.reason
    );
    let renamed = change(&r, "crm.t.get", "types › Stage › values › 1");
    assert_eq!(
        (renamed.before.as_deref(), renamed.after.as_deref()),
        (Some("Lead"), Some("Prospect"))
    );
    // Shared types are their own groups, and say who uses them.
    assert!(
        r.changes
            .iter()
            .any(|c| c.group == diff::Group::SharedType("Address".into()))
    );
    assert_eq!(r.shared_type_users["Address"], ["crm.t.get"]);
    assert_eq!(
        r.shared_type_users["Money"],
        ["crm.t.get"],
        "a removed type's users come from the base"
    );
    snapshot("types_markdown", &r.markdown());
}

/// A method's own type that became a shared one (`spec/types`) keeps its Rust path (the
/// method module re-exports it): no change for the method, a shared type added.
#[test]
fn a_type_moved_to_the_shared_types_is_the_same_type() {
    let base = load(&side("types", "base"));
    let mut head = base.clone();
    let m = &mut head
        .methods
        .iter_mut()
        .find(|m| m.method.method == "crm.t.get")
        .expect("crm.t.get")
        .method;
    let at = m
        .types
        .iter()
        .position(|t| t.name == "Stage")
        .expect("Stage");
    let stage = m.types.remove(at);
    head.types.push(stage);
    head.types.sort_by(|a, b| a.name.cmp(&b.name));
    let got = facts(&Report::new("base", &base, "head", &head));
    assert_eq!(
        got,
        BTreeSet::from([(String::new(), "types › Stage".to_owned(), "type_added", C)]),
        "{got:#?}"
    );
    // A change made on the way is reported against the shared type.
    let mut changed = head.clone();
    let stage = changed
        .types
        .iter_mut()
        .find(|t| t.name == "Stage")
        .expect("Stage");
    stage.values.as_mut().expect("an enum").pop();
    let got = facts(&Report::new("base", &base, "head", &changed));
    assert!(
        got.iter().any(|(m, p, _, c)| m == "crm.t.get"
            && p.starts_with("types › Stage › values")
            && *c == B),
        "{got:#?}"
    );
}

#[test]
fn errors() {
    let r = expect(
        "errors",
        &[
            ("crm.e.add", "errors › Error x", "error_removed", B),
            ("crm.e.add", "errors › OLD_ONE", "error_removed", B),
            ("crm.e.add", "errors › Access denied", "error_added", C),
            ("crm.e.add", "errors › NEW_ONE", "error_added", C),
            ("crm.e.add", "errors › SHARED_CODE", "error_removed", D),
            (
                "crm.e.add",
                "errors › QUERY_LIMIT_EXCEEDED",
                "error_added",
                D,
            ),
            (
                "crm.e.add",
                "errors › ACCESS_DENIED › status",
                "error_status_changed",
                D,
            ),
            (
                "crm.e.add",
                "errors › Not found › description",
                "error_description_changed",
                D,
            ),
            ("crm.e.old", "", "method_removed", B),
            (
                "",
                "system_errors › INTERNAL_SERVER_ERROR",
                "error_removed",
                B,
            ),
            ("", "ErrorCode › OnlyOld", "error_code_variant_removed", B),
            ("", "system_errors › OVERLOAD_LIMIT", "error_added", C),
            ("", "ErrorCode › OnlyNew", "error_code_variant_added", C),
            (
                "",
                "ErrorCode › SharedCode › Shared code",
                "error_code_spelling_removed",
                B,
            ),
            (
                "",
                "ErrorCode › ErrorX › error-x",
                "error_code_spelling_added",
                C,
            ),
            (
                "",
                "system_errors › QUERY_LIMIT_EXCEEDED › message",
                "error_message_changed",
                D,
            ),
            ("crm.e.new", "", "method_added", C),
        ],
    );
    let rule = |path: &str| change(&r, "crm.e.add", path).rule;
    assert_eq!(rule("errors › OLD_ONE"), RuleId::ErrorRemovedVariantGone);
    assert_eq!(rule("errors › Error x"), RuleId::ErrorRemovedSpellingGone);
    assert_eq!(
        rule("errors › SHARED_CODE"),
        RuleId::ErrorRemovedStillDocumented
    );
    assert_eq!(rule("errors › NEW_ONE"), RuleId::ErrorAddedNewVariant);
    assert_eq!(
        rule("errors › Access denied"),
        RuleId::ErrorAddedNewSpelling
    );
    assert_eq!(
        rule("errors › QUERY_LIMIT_EXCEEDED"),
        RuleId::ErrorAddedKnown
    );
    // The reasons name the whole-spec facts they were decided on.
    assert!(
        change(&r, "crm.e.add", "errors › SHARED_CODE")
            .reason
            .contains("`crm.e.get` still document")
    );
    assert!(
        change(&r, "crm.e.add", "errors › QUERY_LIMIT_EXCEEDED")
            .reason
            .contains("system errors")
    );
    assert!(
        change(&r, "crm.e.add", "errors › OLD_ONE")
            .reason
            .contains("no other method or system error")
    );
    assert!(
        change(&r, "crm.e.add", "errors › Error x")
            .reason
            .contains("`ErrorCode::ErrorX`")
    );
}

#[test]
fn events() {
    let r = expect(
        "events",
        &[
            ("onCrmGone", "", "event_removed", B),
            ("onCrmNew", "", "event_added", C),
            ("ONCRMRENAMED", "", "event_removed", B),
            ("onCrmRenamed", "", "event_added", C),
            ("onCrmThingAdd", "title", "title_changed", D),
            ("onCrmThingAdd", "bind", "event_bind_changed", D),
            ("onCrmThingAdd", "data › CONTEXT", "field_added", C),
            (
                "onCrmThingAdd",
                "types › Fields › fields › ID › type",
                "field_type_changed",
                B,
            ),
            ("onCrmThingAdd", "examples", "example_changed", D),
            ("onCrmLineDelete", "data_type", "event_data_type_changed", B),
            ("", "event_auth", "event_auth_changed", D),
        ],
    );
    let reason = |kind: Kind| {
        r.changes
            .iter()
            .find(|c| c.kind() == kind)
            .map(|c| c.reason.clone())
            .unwrap_or_default()
    };
    let data_type = reason(Kind::EventDataTypeChanged);
    assert!(
        data_type.contains(
            "`OnCrmLineDeleteData` changes from a struct of the keys in `data` to an alias of `integer`"
        ),
        "{data_type}"
    );
    let added = reason(Kind::FieldAdded);
    assert!(
        added.contains("a new `Option` field and setter `context`"),
        "{added}"
    );
    let renamed = r
        .changes
        .iter()
        .find(|c| c.group.event() == Some("ONCRMRENAMED"))
        .expect("ONCRMRENAMED removed");
    assert_eq!(renamed.rule, RuleId::EventRenamedCase);
    assert!(
        renamed
            .reason
            .starts_with("the docs now spell it `onCrmRenamed`: deliveries parse as before"),
        "{}",
        renamed.reason
    );
    let md = r.markdown();
    assert!(
        md.contains("#### event `onCrmThingAdd` — `bitrix24::events::OnCrmThingAdd`"),
        "{md}"
    );
    let json: serde_json::Value = serde_json::from_str(&r.json()).expect("JSON");
    let removed = json["changes"]
        .as_array()
        .and_then(|cs| {
            cs.iter()
                .find(|c| c["kind"] == "event_removed" && c["event"] == "onCrmGone")
        })
        .expect("event_removed in JSON");
    assert_eq!(removed["event"], "onCrmGone");
    assert_eq!(removed["method"], serde_json::Value::Null);
}

/// The `errors` case with the base released (`release/published.yaml` written from it):
/// what the docs drop stays in `ErrorCode`, deprecated, so it is not a removal.
fn errors_with_record() -> (Report, Published) {
    let (b, h) = (load(&side("errors", "base")), load(&side("errors", "head")));
    let record = Published::from_spec(&b, None, "0.1.0", "tree");
    (
        Report::with_published("base", &b, "head", &h, Some(&record)),
        record,
    )
}

#[test]
fn errors_the_published_record_keeps() {
    let (r, record) = errors_with_record();
    let got = facts(&r);
    let want = [
        ("crm.e.add", "errors › OLD_ONE", "error_removed", C),
        ("crm.e.add", "errors › Error x", "error_removed", D),
        (
            "",
            "system_errors › INTERNAL_SERVER_ERROR",
            "error_removed",
            C,
        ),
        ("", "ErrorCode › OnlyOld", "error_code_variant_removed", C),
        (
            "",
            "ErrorCode › SharedCode › Shared code",
            "error_code_spelling_removed",
            D,
        ),
        ("crm.e.old", "", "method_removed", B),
    ];
    for (m, p, k, c) in want {
        let fact = (m.to_owned(), p.to_owned(), k, c);
        assert!(got.contains(&fact), "missing {fact:?} in {got:#?}");
    }
    // Only the removed method stays breaking.
    let breaking: Vec<_> = got.iter().filter(|f| f.3 == B).collect();
    assert_eq!(breaking.len(), 1, "{breaking:#?}");
    let rule = |path: &str| change(&r, "crm.e.add", path).rule;
    assert_eq!(rule("errors › OLD_ONE"), RuleId::ErrorRemovedDeprecated);
    assert_eq!(rule("errors › Error x"), RuleId::ErrorRemovedSpellingKept);
    assert!(
        change(&r, "crm.e.add", "errors › OLD_ONE")
            .reason
            .contains("stays as a `#[deprecated]` variant")
    );

    // The generator keeps the same: the variant deprecated, every spelling mapped.
    use bitrix24_codegen::generate::{self, CrateConfig};
    let cfg = CrateConfig {
        package: "bitrix24".into(),
        dir: "out".into(),
        scopes_dir: "scopes".into(),
        runtime_path: "workspace = true".into(),
        published: Some(record.clone()),
        version: None,
    };
    let head = load(&side("errors", "head"));
    let files = generate::generate(&head, &cfg, None).expect("generates");
    let text = files
        .iter()
        .find(|(p, _)| p.ends_with("src/error_code.rs"))
        .map(|(_, t)| t.to_owned())
        .expect("error_code.rs");
    let decl = text.find("    OldOne,").expect("OldOne is kept");
    assert!(
        text[..decl].trim_end().ends_with(")]") && text[..decl].contains("#[deprecated("),
        "OldOne is not deprecated:\n{text}"
    );
    assert!(text.contains(r#""OLD_ONE" => Self::OldOne"#), "{text}");
    assert!(
        text.contains(r#""ERROR X""#),
        "the `Error x` spelling still maps:\n{text}"
    );
    // A later release records the deprecated variant again, so it is never dropped.
    let next = Published::from_spec(&head, Some(&record), "0.1.1", "tree2");
    assert!(next.error_codes["OldOne"].deprecated);
    assert_eq!(next.error_codes["OldOne"].codes, ["OLD_ONE"]);
    let again = Report::with_published("head", &head, "head", &head, Some(&next));
    assert!(again.changes.is_empty(), "{:#?}", again.changes);
}

/// The generated files of `spec` with `record` as the last release's record.
fn generated(spec: &spec::Spec, record: &Published) -> Vec<(String, String)> {
    use bitrix24_codegen::generate::{self, CrateConfig};
    let cfg = CrateConfig {
        package: "bitrix24".into(),
        dir: "out".into(),
        scopes_dir: "scopes".into(),
        runtime_path: "workspace = true".into(),
        published: Some(record.clone()),
        version: None,
    };
    generate::generate(spec, &cfg, None)
        .expect("generates")
        .iter()
        .map(|(p, t)| (p.to_string(), t.to_owned()))
        .collect()
}

/// The text of the generated file whose path ends with `suffix`.
fn file<'f>(files: &'f [(String, String)], suffix: &str) -> &'f str {
    files
        .iter()
        .find(|(p, _)| p.ends_with(suffix))
        .map(|(_, t)| t.as_str())
        .unwrap_or_else(|| panic!("no generated {suffix}"))
}

/// Whether `text` declares `item` (e.g. `pub comment:`) right after a `#[deprecated(...)]`
/// (a setter has `#[must_use]` and `#[inline]` in between).
fn deprecated(text: &str, item: &str) -> bool {
    let Some(at) = text.find(item) else {
        panic!("no `{item}` in:\n{text}");
    };
    let before = text[..at].trim_end();
    let before = before
        .strip_suffix("#[inline]")
        .unwrap_or(before)
        .trim_end();
    let before = before
        .strip_suffix("#[must_use]")
        .unwrap_or(before)
        .trim_end();
    before.ends_with(")]")
        && before
            .rfind("#[")
            .is_some_and(|open| before[open..].starts_with("#[deprecated("))
}

/// A docs update spells a method in another case (`crm.e.getfields` → `crm.e.getFields`
/// in the `methods` case): the portal takes either spelling, so with the record of the
/// release before, the generator keeps the old request (sending the old spelling) for
/// one release, `#[deprecated]`, and spec-diff calls it compatible; the release after
/// removes it (breaking). A method that is really gone still breaks at once.
#[test]
fn methods_the_docs_spell_in_another_case_stay_one_release() {
    let (b, h) = (
        load(&side("methods", "base")),
        load(&side("methods", "head")),
    );
    let record = Published::from_spec(&b, None, "0.1.0", "tree");
    assert!(record.methods.contains(&"crm.e.getfields".to_owned()));
    let fact = |m: &str, p: &str, k: &'static str, c: Class| (m.to_owned(), p.to_owned(), k, c);
    let r = Report::with_published("base", &b, "head", &h, Some(&record));
    let got = facts(&r);
    assert!(
        got.contains(&fact("crm.e.getfields", "deprecated", "deprecated", C)),
        "{got:#?}"
    );
    assert!(
        !got.iter().any(|f| f.0 == "crm.e.getfields" && f.3 == B),
        "{got:#?}"
    );
    assert!(got.contains(&fact("crm.e.getFields", "", "method_added", C)));
    assert!(got.contains(&fact("crm.gone.get", "", "method_removed", B)));
    assert_eq!(
        Report::for_release("base", &b, "head", &h, &record).changes,
        r.changes
    );

    let files = generated(&h, &record);
    let old = file(&files, "src/e/getfields.rs");
    assert!(
        old.contains(
            "#[deprecated(\n    note = \"the Bitrix24 docs now spell this method in another case"
        ) || old.contains(
            "#[deprecated(note = \"the Bitrix24 docs now spell this method in another case"
        ),
        "{old}"
    );
    assert!(old.contains("pub struct Getfields"), "{old}");
    assert!(
        old.contains(r#"const NAME: &'static str = "crm.e.getfields";"#),
        "{old}"
    );
    let new = file(&files, "src/e/get_fields.rs");
    assert!(
        new.contains("pub struct GetFields") && !new.contains("#[deprecated"),
        "{new}"
    );

    // The release records it as kept; the one after drops it, a breaking change.
    let next = Published::from_spec(&h, Some(&record), "0.1.1", "tree2");
    assert!(
        next.methods
            .contains(&"crm.e.getfields (deprecated)".to_owned())
    );
    assert!(next.methods.contains(&"crm.e.getFields".to_owned()));
    let again = Report::with_published("release 0.1.1", &h, "head", &h, Some(&next));
    assert!(again.changes.is_empty(), "{:#?}", again.changes);
    // With the spec as released, no release is due: the kept method waits for the next.
    let due = bitrix24_codegen::release::release_report("release 0.1.1", &h, "head", &h, &next);
    assert!(due.changes.is_empty(), "{:#?}", due.changes);
    let after = Report::for_release("release 0.1.1", &h, "head", &h, &next);
    assert_eq!(
        change(&after, "crm.e.getfields", "").rule,
        RuleId::MethodRenamedCase
    );
    let last = Published::from_spec(&h, Some(&next), "0.2.0", "tree3");
    assert!(
        !last
            .methods
            .iter()
            .any(|m| m.starts_with("crm.e.getfields"))
    );
    assert!(
        !generated(&h, &last)
            .iter()
            .any(|(p, _)| p.ends_with("src/e/getfields.rs"))
    );
}

/// The `fields` case released as 0.1.0 (its record written from the base).
fn fields_with_record() -> (spec::Spec, spec::Spec, Published) {
    let (b, h) = (load(&side("fields", "base")), load(&side("fields", "head")));
    let record = Published::from_spec(&b, None, "0.1.0", "tree");
    (b, h, record)
}

/// A docs update drops optional fields (a request's parameters, an object type's fields,
/// an event's `data` key, a shared type's field): with the record of the release before,
/// the generator keeps each for one release as a `#[deprecated]` field (and setter) that
/// still decodes, and spec-diff calls the drop compatible; the release after removes
/// them (breaking). A dropped required field is not kept.
#[test]
fn fields_the_published_record_keeps_for_one_release() {
    let (b, h, record) = fields_with_record();
    let dropped = [
        ("crm.f.add", "params › COMMENT", "param_removed"),
        ("crm.f.add", "params › IS_URGENT", "param_removed"),
        (
            "crm.f.get",
            "types › Item › fields › OLD_CODE",
            "field_removed",
        ),
        ("crm.f.get", "types › Item › fields › Name", "field_removed"),
        ("onCrmFAdd", "data › OLD_KEY", "field_removed"),
        ("", "types › Address › fields › ZIP", "field_removed"),
    ];
    let fact = |m: &str, p: &str, k: &'static str, c: Class| (m.to_owned(), p.to_owned(), k, c);
    // Without the record every drop breaks.
    let plain = facts(&Report::new("base", &b, "head", &h));
    for (m, p, k) in dropped {
        assert!(plain.contains(&fact(m, p, k, B)), "{m} {p} in {plain:#?}");
    }

    // With it, they are deprecations; the new `CODE` next to the kept `OLD_CODE` makes a
    // docs rename compatible. Only the dropped required field breaks.
    let r = Report::with_published("base", &b, "head", &h, Some(&record));
    let got = facts(&r);
    for (m, p, k) in dropped {
        assert!(got.contains(&fact(m, p, k, C)), "{m} {p} in {got:#?}");
    }
    assert!(got.contains(&fact(
        "crm.f.get",
        "types › Item › fields › CODE",
        "field_added",
        C
    )));
    let breaking: Vec<_> = got.iter().filter(|f| f.3 == B).collect();
    assert_eq!(
        breaking,
        [&fact(
            "crm.f.get",
            "types › Item › fields › MUST",
            "field_removed",
            B
        )]
    );
    let c = change(&r, "crm.f.add", "params › COMMENT");
    assert_eq!(c.rule, RuleId::ParamRemovedDeprecated);
    assert!(
        c.reason
            .contains("`Add::comment` and its field stay for one release as `#[deprecated]`"),
        "{}",
        c.reason
    );
    assert_eq!(
        change(&r, "crm.f.get", "types › Item › fields › OLD_CODE").rule,
        RuleId::FieldRemovedDeprecated
    );
    // `cargo xtask release` plans with the same verdicts: the record lists them as current.
    assert_eq!(
        Report::for_release("base", &b, "head", &h, &record).changes,
        r.changes
    );

    // The generator keeps them: deprecated, optional, decoded and sent under their wire
    // names; the dropped required field is gone.
    let files = generated(&h, &record);
    let add = file(&files, "src/f/add.rs");
    assert!(deprecated(add, "pub comment:"), "{add}");
    assert!(deprecated(add, "pub fn comment("), "{add}");
    assert!(deprecated(add, "pub is_urgent:"), "{add}");
    assert!(!deprecated(add, "pub title:") && !deprecated(add, "pub fn title("));
    assert!(add.contains("::bitrix24_runtime::wire::Yn"), "{add}");
    let get = file(&files, "src/f/get.rs");
    assert!(deprecated(get, "pub old_code:"), "{get}");
    // `Name` was `name_camel` beside `name`, and stays so.
    assert!(deprecated(get, "pub name_camel:"), "{get}");
    assert!(!deprecated(get, "pub name:"), "{get}");
    assert!(
        get.contains(r#"old_code: f.optional("OLD_CODE")?"#),
        "{get}"
    );
    assert!(!get.contains("pub must:"), "{get}");
    assert!(deprecated(
        file(&files, "_events/src/on_crm_f_add.rs"),
        "pub old_key:"
    ));
    // `Address` is used by `crm.*` methods alone: it lives in that scope's crate.
    assert!(deprecated(file(&files, "crm/src/types.rs"), "pub zip:"));

    // The release records them as deprecated: its code still has them, and a diff against
    // the release sees nothing.
    let next = Published::from_spec(&h, Some(&record), "0.1.1", "tree2");
    let params = &next.fields.methods["crm.f.add"]["params"];
    assert_eq!(params["COMMENT"], "string (deprecated)");
    assert_eq!(params["IS_URGENT"], "boolean as yn (deprecated)");
    assert_eq!(params["TITLE"], "string");
    assert!(
        !params.contains_key("ID"),
        "required fields are not recorded"
    );
    assert_eq!(next.fields.types["Address"]["ZIP"], "integer (deprecated)");
    let again = Report::with_published("release 0.1.1", &h, "head", &h, Some(&next));
    assert!(again.changes.is_empty(), "{:#?}", again.changes);
    assert!(deprecated(
        file(&generated(&h, &next), "src/f/add.rs"),
        "pub comment:"
    ));

    // The release after drops them: a breaking change, gone from the record and the code.
    let after = Report::for_release("release 0.1.1", &h, "head", &h, &next);
    let got = facts(&after);
    for (m, p, k) in dropped {
        assert!(got.contains(&fact(m, p, k, B)), "{m} {p} in {got:#?}");
    }
    assert_eq!(
        change(&after, "crm.f.add", "params › COMMENT").rule,
        RuleId::ParamRemovedAfterDeprecation
    );
    let last = Published::from_spec(&h, Some(&next), "0.2.0", "tree3");
    assert!(!last.fields.methods["crm.f.add"]["params"].contains_key("COMMENT"));
    let files = generated(&h, &last);
    assert!(!file(&files, "src/f/add.rs").contains("comment"));
    assert!(!file(&files, "crm/src/types.rs").contains("pub zip:"));

    // Listed again by the docs while kept: no longer deprecated, compatible.
    let back = Report::with_published("release 0.1.1", &h, "head", &b, Some(&next));
    let got = facts(&back);
    assert!(got.contains(&fact("crm.f.add", "params › COMMENT", "param_added", C)));
    assert_eq!(
        change(&back, "crm.f.add", "params › COMMENT").rule,
        RuleId::ParamRestored
    );
    assert_eq!(
        change(&back, "crm.f.get", "types › Item › fields › OLD_CODE").rule,
        RuleId::FieldRestored
    );
}

/// The `stable` case released as 0.1.0 (its record written from the base).
fn stable_with_record() -> (spec::Spec, spec::Spec, Published) {
    let (b, h) = (load(&side("stable", "base")), load(&side("stable", "head")));
    let record = Published::from_spec(&b, None, "0.1.0", "tree");
    (b, h, record)
}

/// A docs update that changes Rust names without changing the API: an event spelled in
/// another case (`ONCRMSTABLE` → `onCrmStable`), enum values named from reworded
/// descriptions (`2` was `activity`, now `deal`), and a method whose page is gone
/// (`crm.s.old`, whose file `cargo xtask import` kept, marked `dropped`). Without a record
/// each breaks; with the record of the release before, the event and the values keep
/// their recorded Rust names for good, and the method stays one release, deprecated.
#[test]
fn names_and_methods_the_published_record_keeps() {
    let (b, h, record) = stable_with_record();
    assert_eq!(record.events, ["ONCRMSTABLE"]);
    assert_eq!(
        record.enums.methods["crm.s.get"]["ItemType"]
            .iter()
            .map(|(v, n)| (v.as_str(), n.as_str()))
            .collect::<Vec<_>>(),
        [("1", "HistoryRecord"), ("2", "Activity"), ("3", "Deal")]
    );
    let fact = |m: &str, p: &str, k: &'static str, c: Class| (m.to_owned(), p.to_owned(), k, c);
    let breaking =
        |r: &Report| -> BTreeSet<Fact> { facts(r).into_iter().filter(|f| f.3 == B).collect() };

    // Without the record: the docs' names, so everything breaks (`Activity` is gone and
    // `Deal` now travels as `2`).
    let plain = Report::new("base", &b, "head", &h);
    let want: BTreeSet<Fact> = [
        fact(
            "crm.s.get",
            "types › ItemType › values › 1",
            "enum_variant_renamed",
            B,
        ),
        fact(
            "crm.s.get",
            "types › ItemType › values › 2",
            "enum_value_removed",
            B,
        ),
        fact("crm.s.old", "", "method_removed", B),
        fact("ONCRMSTABLE", "", "event_removed", B),
    ]
    .into();
    assert_eq!(breaking(&plain), want);

    // With it: nothing breaks.
    let r = Report::with_published("base", &b, "head", &h, Some(&record));
    assert_eq!(breaking(&r), BTreeSet::new(), "{:#?}", r.changes);
    let got = facts(&r);
    for f in [
        fact("ONCRMSTABLE", "event", "event_renamed", C),
        fact("crm.s.old", "deprecated", "deprecated", C),
        fact(
            "crm.s.get",
            "types › ItemType › values › 2 › description",
            "enum_value_description_changed",
            D,
        ),
    ] {
        assert!(got.contains(&f), "missing {f:?} in {got:#?}");
    }
    assert!(!got.iter().any(|f| f.0 == "onCrmStable"), "{got:#?}");
    let renamed = r
        .changes
        .iter()
        .find(|c| c.kind() == Kind::EventRenamed)
        .expect("event renamed");
    assert_eq!(renamed.rule, RuleId::EventRenamedCaseKept);
    assert!(
        renamed.reason.starts_with(
            "the docs now spell it `onCrmStable`: `bitrix24::events::Oncrmstable` and its `Event` variant keep their names"
        ),
        "{}",
        renamed.reason
    );
    assert_eq!(
        change(&r, "crm.s.old", "deprecated").rule,
        RuleId::MethodDroppedKept
    );
    assert_eq!(
        Report::for_release("base", &b, "head", &h, &record).changes,
        r.changes
    );

    // The generator agrees: the recorded names, the dropped method deprecated and callable.
    let files = generated(&h, &record);
    let event = file(&files, "_events/src/oncrmstable.rs");
    assert!(event.contains("pub struct Oncrmstable;"), "{event}");
    assert!(
        event.contains(r#"const NAME: &'static str = "onCrmStable";"#),
        "{event}"
    );
    assert!(
        file(&files, "_events/src/lib.rs")
            .contains("Oncrmstable(::bitrix24_runtime::event::Delivery<OncrmstableData>)")
    );
    assert!(!files.iter().any(|(p, _)| p.ends_with("on_crm_stable.rs")));
    let get = file(&files, "src/s/get.rs");
    for variant in ["HistoryRecord,", "Activity,", "Deal,"] {
        assert!(get.contains(variant), "{variant} in {get}");
    }
    assert!(!get.contains("DealInvoice"), "{get}");
    let old = file(&files, "src/s/old.rs");
    assert!(
        old.contains(
            "#[deprecated(\n    note = \"dropped from the Bitrix24 docs at 5988ed13; kept from release 0.1.0 for one release\"\n)]"
        ) && old.contains("pub struct Old"),
        "{old}"
    );

    // The release records the names it used (so they stay) and the method as kept; a
    // diff against it sees nothing.
    let next = Published::from_spec(&h, Some(&record), "0.1.1", "tree2");
    assert_eq!(next.events, ["ONCRMSTABLE"]);
    assert_eq!(next.enums, record.enums);
    assert!(next.methods.contains(&"crm.s.old (deprecated)".to_owned()));
    let again = Report::with_published("release 0.1.1", &h, "head", &h, Some(&next));
    assert!(again.changes.is_empty(), "{:#?}", again.changes);
    assert!(bitrix24_codegen::release::past_dropped(&h, &next).is_empty());

    // The release after removes the method (breaking) but keeps the names; then the
    // method's file goes (`cargo xtask release` deletes it) and no record lists it.
    let after = Report::for_release("release 0.1.1", &h, "head", &h, &next);
    assert_eq!(
        breaking(&after),
        [fact("crm.s.old", "", "method_removed", B)].into()
    );
    assert_eq!(
        change(&after, "crm.s.old", "").rule,
        RuleId::MethodRemovedAfterDeprecation
    );
    let last = Published::from_spec(&h, Some(&next), "0.2.0", "tree3");
    assert!(!last.methods.iter().any(|m| m.starts_with("crm.s.old")));
    assert_eq!(last.events, ["ONCRMSTABLE"]);
    assert_eq!(
        bitrix24_codegen::release::past_dropped(&h, &last),
        [Path::new("methods/crm/crm.s.old.yaml")]
    );
    let files = generated(&h, &last);
    assert!(!files.iter().any(|(p, _)| p.ends_with("src/s/old.rs")));
    assert!(file(&files, "_events/src/lib.rs").contains("Oncrmstable("));
}

#[test]
fn every_rule_and_kind_is_exercised() {
    let mut rules = BTreeSet::new();
    for case in CASES {
        rules.extend(report(case).changes.iter().map(|c| c.rule));
    }
    rules.extend(errors_with_record().0.changes.iter().map(|c| c.rule));
    for (b, h, record) in [fields_with_record(), stable_with_record()] {
        let next = Published::from_spec(&h, Some(&record), "0.1.1", "tree2");
        for r in [
            Report::with_published("base", &b, "head", &h, Some(&record)),
            Report::for_release("release", &h, "head", &h, &next),
            Report::with_published("release", &h, "head", &b, Some(&next)),
        ] {
            rules.extend(r.changes.iter().map(|c| c.rule));
        }
    }
    let missing: Vec<RuleId> = RULES
        .iter()
        .map(|r| r.id)
        .filter(|id| !rules.contains(id))
        .collect();
    assert!(
        missing.is_empty(),
        "rules no fixture exercises: {missing:?}"
    );
    let kinds: BTreeSet<Kind> = rules.iter().map(|r| r.kind()).collect();
    assert_eq!(kinds.len(), Kind::ALL.len());
}

/// The differ's model of `ErrorCode` (variants and the spellings each matches) is the
/// generator's: parsed back from the generated `error_code.rs` of every fixture side.
#[test]
fn error_code_model_matches_the_generator() {
    use bitrix24_codegen::generate::{self, CrateConfig};
    let cfg = CrateConfig {
        package: "bitrix24".into(),
        dir: "out".into(),
        scopes_dir: "scopes".into(),
        runtime_path: "workspace = true".into(),
        published: None,
        version: None,
    };
    for case in CASES {
        for s in ["base", "head"] {
            let spec = load(&side(case, s));
            let files = generate::generate(&spec, &cfg, None).expect("generates");
            let text = files
                .iter()
                .find(|(p, _)| p.ends_with("src/error_code.rs"))
                .map(|(_, t)| t.to_owned())
                .expect("error_code.rs");
            // `"A" | "B" => Self::Variant,` lines of `from_code`.
            let mut generated = std::collections::BTreeMap::<String, BTreeSet<String>>::new();
            for line in text.lines().map(str::trim) {
                let Some((codes, variant)) = line.split_once(" => Self::") else {
                    continue;
                };
                if !codes.starts_with('"') {
                    continue;
                }
                let variant = variant.trim_end_matches(',').to_owned();
                let codes = codes.split(" | ").map(|c| c.trim_matches('"').to_owned());
                generated.entry(variant).or_default().extend(codes);
            }
            assert!(!generated.is_empty(), "{case}/{s}: nothing parsed");
            let ours = bitrix24_codegen::diff::compare::error_code_variants(&spec);
            assert_eq!(ours, generated, "{case}/{s}");
        }
    }
}

#[test]
fn a_spec_equals_itself() {
    for case in CASES {
        for s in ["base", "head"] {
            let spec = load(&side(case, s));
            let r = Report::new("a", &spec, "b", &spec);
            assert!(r.changes.is_empty(), "{case}/{s}: {:#?}", r.changes);
            assert_eq!(
                r.markdown(),
                "## Spec diff: `a` → `b`\n\nNo changes: the two specs are the same.\n"
            );
        }
    }
}

/// Groups with a breaking change come first; inside a group, breaking changes first.
#[test]
fn report_order() {
    for case in CASES {
        let r = report(case);
        let mut groups: Vec<&diff::Group> = Vec::new();
        for c in &r.changes {
            if groups.last() != Some(&&c.group) {
                assert!(
                    !groups.contains(&&c.group),
                    "{case}: {:?} is split",
                    c.group
                );
                groups.push(&c.group);
            }
        }
        let classes = |g: &diff::Group| -> Vec<Class> {
            r.changes
                .iter()
                .filter(|c| c.group == *g)
                .map(|c| c.class())
                .collect()
        };
        let worst: Vec<Class> = groups.iter().map(|g| classes(g)[0]).collect();
        assert!(worst.is_sorted(), "{case}: groups out of order: {worst:?}");
        for g in groups {
            assert!(classes(g).is_sorted(), "{case}: {g:?} out of order");
        }
    }
}

#[test]
fn json_shape() {
    let r = report("methods");
    let v: serde_json::Value = serde_json::from_str(&r.json()).expect("valid JSON");
    let top: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(top, ["summary", "changes"]);
    let s = &v["summary"];
    let sum = r.summary();
    assert_eq!(s["breaking"], sum.breaking);
    assert_eq!(s["compatible"], sum.compatible);
    assert_eq!(s["docs_only"], sum.docs_only);
    assert_eq!(s["methods_touched"], sum.methods_touched);
    let changes = v["changes"].as_array().unwrap();
    assert_eq!(changes.len(), r.changes.len());
    for c in changes {
        let keys: Vec<&str> = c.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "method", "path", "kind", "class", "before", "after", "reason", "detail"
            ]
        );
        assert!(["breaking", "compatible", "docs-only"].contains(&c["class"].as_str().unwrap()));
    }
    let feature = changes
        .iter()
        .find(|c| c["kind"] == "feature_removed")
        .unwrap();
    assert!(feature["method"].is_null());
    assert_eq!(feature["path"], "features › task");
}

fn options(case: &str, fail_on: Option<Class>) -> Options {
    Options {
        base: side(case, "base").display().to_string(),
        head: Some(side(case, "head").display().to_string()),
        fail_on,
        ..Options::default()
    }
}

#[test]
fn fail_on_thresholds() {
    let root = fixtures();
    let out = diff::execute(&root, &options("result", Some(B))).unwrap();
    assert_eq!(
        out.failure.as_deref(),
        Some("2 changes at least breaking (--fail-on breaking)")
    );
    assert!(
        out.output.starts_with("## Spec diff:"),
        "the report is still rendered"
    );
    let out = diff::execute(&root, &options("result", Some(C))).unwrap();
    assert_eq!(
        out.failure.as_deref(),
        Some("5 changes at least compatible (--fail-on compatible)")
    );
    let out = diff::execute(&root, &options("result", Some(D))).unwrap();
    assert!(out.failure.unwrap().starts_with("7 changes"));
    let out = diff::execute(&root, &options("result", None)).unwrap();
    assert!(out.failure.is_none());
    // A spec against itself never fails.
    let same = Options {
        head: Some(side("result", "base").display().to_string()),
        ..options("result", Some(D))
    };
    assert!(diff::execute(&root, &same).unwrap().failure.is_none());
    let json = Options {
        format: "json".parse().unwrap(),
        ..options("result", None)
    };
    assert!(
        diff::execute(&root, &json)
            .unwrap()
            .output
            .starts_with("{\n  \"summary\"")
    );
}

#[test]
fn an_invalid_side_is_named_with_its_diagnostics() {
    let err = diff::execute(&fixtures(), &options("invalid", None))
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("head `"), "{err}");
    assert!(err.contains("the spec does not validate"), "{err}");
    assert!(
        err.contains("crm.i.get › result › type: unknown type `Integer`"),
        "{err}"
    );
    let swapped = Options {
        base: side("invalid", "head").display().to_string(),
        head: Some(side("invalid", "base").display().to_string()),
        ..Options::default()
    };
    let err = diff::execute(&fixtures(), &swapped)
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("base `"), "{err}");
}

#[test]
fn a_side_that_is_neither_directory_nor_revision() {
    let tmp = TempDir::new().unwrap();
    let opts = Options {
        base: "no/such/dir-or-revision".into(),
        ..Options::default()
    };
    let err = format!("{:#}", diff::execute(tmp.path(), &opts).unwrap_err());
    assert!(
        err.contains("base `no/such/dir-or-revision` is neither a directory nor a git revision"),
        "{err}"
    );
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), target).unwrap();
        }
    }
}

fn git(repo: &Path, args: &[&str]) {
    let out = Command::new("git")
        .arg("-C")
        .arg(repo)
        .args([
            "-c",
            "user.name=spec-diff",
            "-c",
            "user.email=spec-diff@example.com",
        ])
        .args([
            "-c",
            "commit.gpgsign=false",
            "-c",
            "core.hooksPath=/dev/null",
        ])
        .args(args)
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE")
        .output()
        .expect("runs git");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Both sides as git revisions of a throwaway repository, and the working tree as the
/// default head; the result equals the diff of the directories.
#[test]
fn git_revisions() {
    if Command::new("git").arg("--version").output().is_err() {
        eprintln!("git is not installed: skipping");
        return;
    }
    let tmp = TempDir::new().unwrap();
    let repo = tmp.path().join("repo");
    fs::create_dir_all(&repo).unwrap();
    git(&repo, &["init", "-q"]);
    copy_dir(&side("params", "base"), &repo.join("spec"));
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-q", "-m", "base"]);
    fs::remove_dir_all(repo.join("spec")).unwrap();
    copy_dir(&side("params", "head"), &repo.join("spec"));
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-q", "-m", "head"]);
    let want = facts(&report("params"));

    let revs = Options {
        base: "HEAD~1".into(),
        head: Some("HEAD".into()),
        ..Options::default()
    };
    let out = diff::execute(&repo, &revs).unwrap();
    assert_eq!(facts(&out.report), want);
    assert!(
        out.report.base.starts_with("HEAD~1 ("),
        "{}",
        out.report.base
    );

    let worktree = Options {
        base: "HEAD~1".into(),
        ..Options::default()
    };
    let out = diff::execute(&repo, &worktree).unwrap();
    assert_eq!(facts(&out.report), want);
    assert_eq!(out.report.head, "working tree");

    // A checkout directory holding `spec/` works as a side too.
    let dirs = Options {
        base: side("params", "base").display().to_string(),
        head: Some(repo.display().to_string()),
        ..Options::default()
    };
    assert_eq!(facts(&diff::execute(&repo, &dirs).unwrap().report), want);

    let bad = Options {
        base: "no-such-branch".into(),
        ..Options::default()
    };
    let err = format!("{:#}", diff::execute(&repo, &bad).unwrap_err());
    assert!(
        err.contains("neither a directory nor a git revision"),
        "{err}"
    );
}

#[allow(dead_code)]
#[path = "../codegen/benches/synthetic/mod.rs"]
mod synthetic;

/// A docs update touching every page of a whole-API spec (1,600 methods cloned from
/// `spec/` by the generator bench's builder): every title, summary, description, parameter
/// and error text and the source commit change; one method in ten gains an optional
/// parameter, one in a hundred a required one. The PR comment fits GitHub's limit and
/// leads with the counts, the verdict and every breaking change.
#[test]
fn a_whole_api_docs_update_fits_a_pr_comment() {
    use bitrix24_codegen::diff::render::{GITHUB_COMMENT_LIMIT, MAX_MARKDOWN};
    let real = load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../spec"));
    let base = synthetic::spec(&real, 1_600);
    let mut head = base.clone();
    for (i, file) in head.methods.iter_mut().enumerate() {
        let m = &mut file.method;
        m.title.push_str(" (updated)");
        m.summary.push_str(" Updated.");
        m.description = Some(format!(
            "{} Updated.",
            m.description.clone().unwrap_or_default()
        ));
        m.source.commit = "f".repeat(40);
        for p in &mut m.params {
            p.description.push_str(" Updated.");
        }
        for e in &mut m.errors {
            e.description.push_str(" Updated.");
        }
        let Some(first) = m.params.first().cloned() else {
            continue;
        };
        for (every, name, required) in [(10, "NEW_OPTION", false), (100, "NEW_REQUIRED", true)] {
            if i % every == 0 {
                let mut p = first.clone();
                p.name = name.into();
                p.rust_name = None;
                p.required = required;
                m.params.push(p);
            }
        }
    }
    let r = Report::new("base", &base, "head", &head);
    let s = r.summary();
    assert_eq!(s.methods_touched, 1_600);
    assert!(
        s.breaking >= 10 && s.compatible >= 100 && s.docs_only >= 8_000,
        "{s:?}"
    );

    let md = r.markdown();
    assert!(
        md.len() <= MAX_MARKDOWN && MAX_MARKDOWN < GITHUB_COMMENT_LIMIT,
        "{} bytes",
        md.len()
    );
    let at = |needle: &str| {
        md.find(needle)
            .unwrap_or_else(|| panic!("no `{needle}` in:\n{md}"))
    };
    assert!(at("| breaking | compatible |") < at("**To decide: a breaking release**"));
    assert!(at("**To decide") < at("### Breaking"));
    assert!(at("### Breaking") < at("### Compatible"));
    assert!(at("### Compatible") < at("<details><summary>Docs-only: "));
    assert!(md.trim_end().ends_with("</details>"));
    // Every breaking change is there, with its Rust item and reason.
    for c in r.changes.iter().filter(|c| c.class() == B) {
        let method = c.group.method().expect("a method");
        assert!(md.contains(&format!("`{method}`")), "{method} missing");
    }
    assert!(md.contains("a new constructor argument: `"));
    // Compatible changes are grouped by rule, docs-only ones counted.
    assert!(md.contains(" × param added (optional)"), "{md}");
    assert!(md.contains(" × description changed"), "{md}");
}

/// However many breaking changes there are, the comment fits: they are counted by rule,
/// listed one per line as far as they fit, and the rest counted.
#[test]
fn a_huge_breaking_diff_is_cut_to_fit() {
    use bitrix24_codegen::diff::render::MAX_MARKDOWN;
    let real = load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../spec"));
    let base = synthetic::spec(&real, 1_600);
    let mut head = base.clone();
    head.methods.clear();
    let r = Report::new("base", &base, "head", &head);
    assert_eq!(r.summary().methods_removed, 1_600);
    let md = r.markdown();
    assert!(md.len() <= MAX_MARKDOWN, "{} bytes", md.len());
    // What a reviewer decides on comes first: the breaking changes counted by rule, then
    // as many as fit one per line.
    let at = |needle: &str| {
        md.find(needle)
            .unwrap_or_else(|| panic!("no `{needle}` in:\n{md}"))
    };
    assert!(at("### Breaking") < at("- **1600** × method removed"));
    assert!(at("- **1600** × method removed") < at("One per line, in report order:"));
    assert!(at("One per line, in report order:") < at("- `"));
    assert!(md.contains("more breaking changes (`--format json` lists every change)"));
}
