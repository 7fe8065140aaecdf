//! The importer on small YFM fixtures (`tests/import/*.md`), one per dialect feature
//! group, and an event page (`event.md`, with the `auth` include `auth-params.md`). No
//! upstream docs needed.

use bitrix24_codegen::diagnostics::Diagnostic;
use bitrix24_codegen::import::{self, page, patch, report};
use bitrix24_codegen::spec::model::{
    EnumRepr, ErrorDoc, Field, Method, Patch, TypeDef, WireFormat,
};

const COMMIT: &str = "0123456789abcdef0123456789abcdef01234567";

fn includes(path: &str) -> Option<String> {
    match path {
        "_includes/required.md" => Some("Required parameters are marked with *".into()),
        "_includes/examples.md" => Some("How to use examples".into()),
        "_includes/error-info.md" => Some(
            "#|\n|| **Name**\n`type` | **Description** ||\n|| **error**\n`string` | code ||\n|#"
                .into(),
        ),
        "_includes/system-errors.md" => Some(include_str!("import/system-errors.md").into()),
        "_includes/extra.md" => Some("Included paragraph from a shared file.".into()),
        "_includes/auth-params-in-events.md" => Some(include_str!("import/auth-params.md").into()),
        "api-reference/data-types.md" => Some(include_str!("import/data-types.md").into()),
        "api-reference/entities.md" => Some(include_str!("import/entities.md").into()),
        _ => None,
    }
}

fn run(fixture: &str, method: &str) -> (Method, Vec<Diagnostic>) {
    import::transcribe(
        fixture,
        "api-reference/demo/page.md",
        method,
        &includes,
        COMMIT,
    )
}

/// Whether every example of the list is meant to round-trip (none says why it cannot).
fn all_round_trip(examples: &[bitrix24_codegen::spec::model::Example]) -> bool {
    examples.iter().all(|e| e.skip_round_trip.is_none())
}

fn param<'m>(m: &'m Method, name: &str) -> &'m Field {
    m.params
        .iter()
        .find(|p| p.name == name)
        .unwrap_or_else(|| panic!("no param {name}"))
}

fn ty<'m>(m: &'m Method, name: &str) -> &'m TypeDef {
    m.types
        .iter()
        .find(|t| t.name == name)
        .unwrap_or_else(|| panic!("no type {name} in {:?}", names(m)))
}

fn names(m: &Method) -> Vec<&str> {
    m.types.iter().map(|t| t.name.as_str()).collect()
}

fn field<'t>(t: &'t TypeDef, name: &str) -> &'t Field {
    t.fields
        .as_ref()
        .and_then(|f| f.iter().find(|f| f.name == name))
        .unwrap_or_else(|| panic!("no field {name}"))
}

fn has_diag(d: &[Diagnostic], needle: &str) -> bool {
    d.iter().any(|d| d.message.contains(needle))
}

// ---------------------------------------------------------------- page basics

#[test]
fn title_scope_summary_and_provenance() {
    let (m, _) = run(include_str!("import/basic.md"), "demo.widget.add");
    assert_eq!(m.method, "demo.widget.add");
    assert_eq!(m.title, "Frobnicate a Widget");
    assert_eq!(m.scope, "demo");
    assert_eq!(m.access.as_deref(), Some("administrator"));
    assert_eq!(m.summary, "The method `demo.widget.add` adds a widget.");
    assert_eq!(m.source.path, "api-reference/demo/page.md");
    assert_eq!(m.source.commit, COMMIT);
    assert!(!m.read_only);
    assert_eq!(m.list, None);
}

#[test]
fn a_note_above_the_lead_paragraph_is_not_the_summary() {
    // Pages since 2026 open with a site-wide tip note before the lead paragraph.
    let src = "# Ping demo.ping\n\n{% note tip \"\" %}\n\nConnect to the MCP server.\n\n{% endnote %}\n\n> Scope: [`demo`](../scopes/permissions.md)\n>\n> Who can execute the method: any user\n\nThe method `demo.ping` answers a ping.\n\nMore prose.\n\n## Method Parameters\n\nNo parameters.\n";
    let (m, _) = run(src, "demo.ping");
    assert_eq!(m.summary, "The method `demo.ping` answers a ping.");
    assert_eq!(
        m.description.as_deref(),
        Some("Connect to the MCP server.\n\nMore prose.")
    );
    assert_eq!(m.scope, "demo");
}

#[test]
fn a_deprecated_badge_title_takes_the_note_from_the_body() {
    // Since 2026 deprecation notes are titled just "DEPRECATED"; the body says what happened.
    let src = "# Ping demo.ping\n\n> Scope: [`demo`](../scopes/permissions.md)\n>\n> Who can execute the method: any user\n\n{% note warning \"DEPRECATED\" %}\n\nThe development of this method has been halted. Please use [demo.pong](./demo-pong.md).\n\n{% endnote %}\n\nThe method `demo.ping` answers a ping.\n\n## Method Parameters\n\nNo parameters.\n";
    let (m, _) = run(src, "demo.ping");
    let dep = m.deprecated.expect("deprecated");
    assert_eq!(dep.note, "The development of this method has been halted");
    assert_eq!(dep.replacement.as_deref(), Some("demo.pong"));
}

#[test]
fn dev_blocks_are_dropped_and_the_published_branch_kept() {
    let (m, _) = run(include_str!("import/basic.md"), "demo.widget.add");
    let d = m.description.unwrap_or_default();
    assert!(d.contains("Published paragraph."), "{d}");
    assert!(!d.contains("Unpublished"), "{d}");
    assert!(!d.contains("secret draft"), "{d}");
}

#[test]
fn includes_are_inlined_or_ignored() {
    let (m, d) = run(include_str!("import/basic.md"), "demo.widget.add");
    assert!(
        m.description
            .unwrap_or_default()
            .contains("Included paragraph from a shared file.")
    );
    // The required-parameters note and the error-info table leave no trace, and the
    // system errors are service-wide: not repeated in the method's errors.
    assert!(!m.errors.iter().any(|e| e.code == "QUERY_LIMIT_EXCEEDED"));
    assert!(!has_diag(&d, "include"), "{d:?}");
}

#[test]
fn deprecated_note_with_replacement() {
    let (m, _) = run(include_str!("import/basic.md"), "demo.widget.add");
    let dep = m.deprecated.expect("deprecated");
    assert_eq!(dep.note, "Method development has been halted");
    assert_eq!(dep.replacement.as_deref(), Some("demo.widget.create"));
}

#[test]
fn multi_line_rows_required_star_and_types() {
    let (m, _) = run(include_str!("import/basic.md"), "demo.widget.add");
    assert_eq!(m.params.len(), 11);
    assert!(param(&m, "KIND").required);
    assert!(!param(&m, "LEVEL").required);
    let started = param(&m, "STARTED");
    assert_eq!(
        (started.ty.as_str(), started.doc_type.as_deref()),
        ("datetime", Some("datatime"))
    );
    let owner = param(&m, "OWNER");
    assert_eq!(
        (owner.ty.as_str(), owner.doc_type.as_deref(), owner.wire),
        ("integer", Some("user"), None)
    );
    let ids = param(&m, "IDS");
    assert_eq!(
        (ids.ty.as_str(), ids.doc_type.as_deref()),
        ("integer[]", None)
    );
    assert_eq!(ids.default.as_deref(), Some("[1, 2]"));
}

#[test]
fn escaped_pipes_make_unions_and_fences_close_on_the_row_end() {
    let (m, _) = run(include_str!("import/basic.md"), "demo.widget.add");
    let name = param(&m, "NAME");
    assert_eq!(name.ty, "any");
    assert_eq!(name.doc_type.as_deref(), Some("string | object"));
    assert!(name.required);
    assert!(
        name.description.contains("'en': 'a | b',"),
        "{}",
        name.description
    );
    assert!(
        name.description.trim_end().ends_with("```"),
        "{}",
        name.description
    );
    // The next row is read normally after the fence closed the row.
    assert_eq!(param(&m, "STARTED").ty, "datetime");
}

#[test]
fn images_and_links_become_absolute() {
    let (m, _) = run(include_str!("import/basic.md"), "demo.widget.add");
    let color = param(&m, "COLOR");
    assert!(
        color.description.contains(
            "![Colors](https://apidocs.bitrix24.com/api-reference/demo/_images/colors.png)"
        ),
        "{}",
        color.description
    );
    let level = ty(&m, "Level");
    assert_eq!(level.values.as_ref().map(Vec::len), Some(3));
}

#[test]
fn unmapped_doc_types_are_any_and_reported() {
    let (m, d) = run(include_str!("import/basic.md"), "demo.widget.add");
    let x = param(&m, "MYSTERY");
    assert_eq!(
        (x.ty.as_str(), x.doc_type.as_deref()),
        ("any", Some("quux_thing"))
    );
    assert!(has_diag(&d, "unmapped docs type `quux_thing`"), "{d:?}");
}

// ---------------------------------------------------------------- enums, booleans

#[test]
fn string_enum_bullets_with_every_dash() {
    let (m, _) = run(include_str!("import/basic.md"), "demo.widget.add");
    assert_eq!(param(&m, "KIND").ty, "Kind");
    assert_eq!(param(&m, "KIND").doc_type.as_deref(), Some("string"));
    let kind = ty(&m, "Kind");
    assert_eq!(kind.repr, Some(EnumRepr::String));
    let values: Vec<(&str, &str)> = kind
        .values
        .iter()
        .flatten()
        .map(|v| (v.value.as_str(), v.description.as_str()))
        .collect();
    assert_eq!(
        values,
        vec![
            ("ROUND", "a round one"),
            ("SQUARE", "a square one"),
            ("FLAT", "a flat one"),
            ("BENT", "a bent one")
        ]
    );
    assert!(kind.values.iter().flatten().all(|v| v.name.is_none()));
}

#[test]
fn integer_enums_are_named_from_descriptions() {
    let (m, _) = run(include_str!("import/basic.md"), "demo.widget.add");
    assert_eq!(param(&m, "LEVEL").ty, "Level");
    let level = ty(&m, "Level");
    assert_eq!(level.repr, Some(EnumRepr::Integer));
    let names: Vec<(&str, Option<&str>)> = level
        .values
        .iter()
        .flatten()
        .map(|v| (v.value.as_str(), v.name.as_deref()))
        .collect();
    assert_eq!(
        names,
        vec![
            ("1", Some("Beginner")),
            ("2", Some("ExpertUser")),
            ("3", Some("InProgress"))
        ]
    );
}

#[test]
fn yn_booleans_are_a_wire_format_not_an_enum() {
    let (m, _) = run(include_str!("import/basic.md"), "demo.widget.add");
    let active = param(&m, "ACTIVE");
    assert_eq!(
        (active.ty.as_str(), active.wire),
        ("boolean", Some(WireFormat::Yn))
    );
    let opened = param(&m, "OPENED");
    assert_eq!(
        (opened.ty.as_str(), opened.doc_type.as_deref(), opened.wire),
        ("boolean", Some("char"), Some(WireFormat::Yn))
    );
    let visible = param(&m, "VISIBLE");
    assert_eq!((visible.ty.as_str(), visible.wire), ("boolean", None));
    assert!(!names(&m).iter().any(|n| *n == "Active" || *n == "Visible"));
}

// ---------------------------------------------------------------- nested types

#[test]
fn nested_object_linked_by_heading_text() {
    let (m, _) = run(include_str!("import/nested.md"), "demo.gadget.update");
    assert_eq!(param(&m, "fields").ty, "Fields");
    let fields = ty(&m, "Fields");
    assert!(field(fields, "TITLE").required);
    assert_eq!(field(fields, "TYPE").ty, "Type");
}

#[test]
fn nested_objects_linked_by_anchor_arrays_and_maps() {
    let (m, _) = run(include_str!("import/nested.md"), "demo.gadget.update");
    assert_eq!(param(&m, "PROPERTIES").ty, "map<Property>");
    // `{"lang_1": "value_1", ... "lang_N": "value_N"}` whose values are objects: keyed by
    // language.
    assert_eq!(param(&m, "NAMES").ty, "map<Property>");
    assert_eq!(param(&m, "PARTS").ty, "GadgetPart[]");
    assert_eq!(param(&m, "OPTIONS").ty, "Option");
    // Query parameters never take a linked table.
    assert_eq!(param(&m, "filter").ty, "object");
    // A query's `group` lists field names.
    assert_eq!(param(&m, "group").ty, "string[]");
    // `Type` is taken by Fields.TYPE: the property's enum is prefixed with its owner.
    assert_eq!(field(ty(&m, "Property"), "Type").ty, "PropertyType");
}

#[test]
fn unreferenced_tables_are_pruned_and_reported_as_incomplete() {
    let src = include_str!("import/nested.md");
    let t = page::transcribe(
        src,
        "api-reference/demo/page.md",
        "demo.gadget.update",
        &includes,
        COMMIT,
    );
    let (m, notes) = import::finish(t.method);
    assert!(!names(&m).contains(&"Unused"));
    assert!(notes.iter().any(|n| n.contains("Unused")), "{notes:?}");
    let mismatches = report::completeness(&m, &t.tables);
    assert_eq!(mismatches.len(), 1, "{mismatches:?}");
    assert!(mismatches[0].contains("Unused Object"), "{mismatches:?}");
}

#[test]
fn result_array_linked_to_its_fields_and_list_facts() {
    let (m, _) = run(include_str!("import/nested.md"), "demo.gadget.update");
    assert_eq!(m.result.ty, "UpdateItem[]");
    assert!(m.result.paged);
    let item = ty(&m, "UpdateItem");
    assert_eq!(item.fields.as_ref().map(Vec::len), Some(3));
    // `UF_...` documents a family of keys: described, not a field.
    assert!(
        item.description.contains("`UF_...`"),
        "{}",
        item.description
    );
    // No wire format in the docs; the response example shows "Y".
    assert_eq!(field(item, "DONE").wire, Some(WireFormat::Yn));
    let list = m.list.expect("list facts");
    assert_eq!(
        (
            list.page_size,
            list.items.as_str(),
            list.id_field.as_deref()
        ),
        (50, "", Some("ID"))
    );
}

#[test]
fn results_without_a_result_row_are_objects_or_lists_of_them() {
    let (m, d) = run(include_str!("import/toplevel.md"), "demo.sprocket.list");
    assert_eq!(m.result.ty, "ListItem[]");
    let item = ty(&m, "ListItem");
    let names: Vec<&str> = item
        .fields
        .iter()
        .flatten()
        .map(|f| f.name.as_str())
        .collect();
    assert_eq!(names, vec!["id", "code"]);
    assert!(m.result.paged);
    assert_eq!(
        m.list.as_ref().and_then(|l| l.id_field.as_deref()),
        Some("id")
    );
    assert!(d.is_empty(), "{d:?}");
}

#[test]
fn results_without_a_table_come_from_the_example() {
    let (m, d) = run(include_str!("import/notable.md"), "demo.ping");
    assert!(
        m.result
            .description
            .contains("inferred from the response example")
    );
    // The docs' bare `object` gets its fields from the example's keys.
    assert_eq!(m.result.ty, "PingResult");
    let t = ty(&m, "PingResult");
    assert_eq!(field(t, "pong").ty, "boolean");
    assert_eq!(field(t, "answer").ty, "string");
    assert!(has_diag(&d, "no result table"), "{d:?}");
    assert!(m.params.is_empty());
    assert!(!m.read_only);
}

// ---------------------------------------------------------------- errors

fn err(status: Option<u16>, code: &str, message: Option<&str>, description: &str) -> ErrorDoc {
    ErrorDoc {
        status,
        code: code.into(),
        message: message.map(Into::into),
        description: description.into(),
    }
}

#[test]
fn error_table_layouts() {
    let src = include_str!("import/errors.md");
    let (m, d) = run(src, "demo.things.break");
    let sentence = |s: &str| err(None, "", Some(s), "");
    assert_eq!(
        m.errors,
        vec![
            // Code / Description. The error example answers a sentence "code" as its
            // `error_description` (with an empty `error`): those are messages too.
            err(None, "THING_LOCKED", None, "The thing is locked"),
            ErrorDoc {
                description: "No such thing".into(),
                ..sentence("Thing is not found")
            },
            // A bullet list in the code cell gives one error per bullet.
            ErrorDoc {
                description: "E-mail errors".into(),
                ..sentence("Email send error. Invalid data")
            },
            ErrorDoc {
                description: "E-mail errors".into(),
                ..sentence("Email send error. General error")
            },
            // A message in code on the description's first line.
            err(
                None,
                "200040300020",
                Some("Access Denied"),
                "Insufficient access permissions"
            ),
            // Code / Error Message / Description; a repeated code is merged; an empty
            // code stays empty, told apart by its message.
            err(
                None,
                "ERROR_A",
                None,
                "- `Message A`: Meaning A\n- `Message A2`: Meaning A2"
            ),
            err(None, "", Some("Message B"), "Meaning B"),
            // Code / Description / Value: "Code" holds the HTTP status.
            err(Some(403), "", Some("Access denied"), "No permission"),
            err(None, "", Some("General error"), "Unknown error"),
            err(None, "100", Some("Unknown field \"X\""), "Unknown field"),
            // Status / Code / Description / Value
            err(
                Some(400),
                "ERROR_WRONG_ID",
                Some("Empty ID"),
                "An empty `ID` was passed"
            ),
        ]
    );
    assert!(has_diag(&d, "`100` in the status column"), "{d:?}");
    // Every row is accounted for.
    let t = page::transcribe(src, "p.md", "demo.things.break", &includes, COMMIT);
    let (fin, _) = import::finish(t.method);
    assert_eq!(report::completeness(&fin, &t.tables), Vec::<String>::new());
}

#[test]
fn system_errors_from_the_include() {
    let (errors, problems) = import::system_errors(
        include_str!("import/system-errors.md"),
        "_includes/system-errors.md",
    );
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(
        errors,
        vec![
            err(
                Some(503),
                "QUERY_LIMIT_EXCEEDED",
                Some("Too many requests"),
                "The [request intensity limit](https://apidocs.bitrix24.com/limits.html) has been exceeded"
            ),
            err(
                Some(401),
                "expired_token",
                Some("The access token provided has expired"),
                "The provided access token has expired"
            ),
        ]
    );
}

// ---------------------------------------------------------------- examples

#[test]
fn curl_webhook_request_example() {
    let (m, _) = run(include_str!("import/basic.md"), "demo.widget.add");
    assert_eq!(m.examples.request.len(), 1, "only the webhook tab");
    let req = &m.examples.request[0];
    let v: serde_json::Value = serde_json::from_str(&req.json).expect("valid JSON");
    assert_eq!(v["NAME"], "It's mine");
    assert_eq!(v["STARTED"], "2025-01-01T00:00:00+00:00");
    assert!(
        req.repaired
            .as_deref()
            .is_some_and(|r| r.contains("$(date -Iseconds)")),
        "{:?}",
        req.repaired
    );
}

#[test]
fn response_and_error_examples() {
    let (m, _) = run(include_str!("import/basic.md"), "demo.widget.add");
    assert_eq!(m.examples.response.len(), 1);
    assert_eq!(m.examples.response[0].repaired, None);
    assert_eq!(m.examples.error.len(), 1);
    assert_eq!(
        m.examples.error[0].repaired.as_deref(),
        Some("removed trailing commas")
    );
}

#[test]
fn json_repair_of_comments_placeholders_quotes_and_keys() {
    let (m, _) = run(include_str!("import/toplevel.md"), "demo.sprocket.list");
    let r = m.examples.response[0]
        .repaired
        .as_deref()
        .unwrap_or_default();
    assert!(
        r.contains("removed comments") && r.contains("removed trailing commas"),
        "{r}"
    );
    let (m, _) = run(include_str!("import/notable.md"), "demo.ping");
    let ex = &m.examples.response[0];
    let v: serde_json::Value = serde_json::from_str(&ex.json).expect("valid JSON");
    assert_eq!(v["result"]["answer"], "yes");
    let r = ex.repaired.as_deref().unwrap_or_default();
    for what in [
        "wrapped in the `result` envelope",
        "double-quoted single-quoted strings",
        "quoted unquoted keys",
    ] {
        assert!(r.contains(what), "{r}");
    }
}

// ---------------------------------------------------------------- where parameters are

#[test]
fn a_table_before_any_heading_is_the_parameters_when_the_example_sends_its_rows() {
    let (m, d) = run(include_str!("import/params-intro.md"), "demo.rows.set");
    assert_eq!(
        m.params.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(),
        ["DIALOG_ID", "SCOPE", "FIELDS"],
        "{d:?}"
    );
    assert!(param(&m, "DIALOG_ID").required);
    // `chatXXX`, `XXX`: formats of an open set, not values.
    assert_eq!(param(&m, "DIALOG_ID").ty, "string");
    // `'P'`, `'C'`: the values without their quotes.
    let scope = ty(&m, &param(&m, "SCOPE").ty);
    let values: Vec<&str> = scope
        .values
        .iter()
        .flatten()
        .map(|v| v.value.as_str())
        .collect();
    assert_eq!(values, ["P", "C"]);
    // A documented `array` with a field table, sent as one object of those fields.
    assert_eq!(param(&m, "FIELDS").ty, "Fields");
    assert!(
        m.examples
            .request
            .iter()
            .all(|e| e.skip_round_trip.is_none()),
        "{:?}",
        m.examples.request
    );
}

#[test]
fn a_table_before_any_heading_that_the_example_does_not_send_is_not_the_parameters() {
    let page = include_str!("import/params-intro.md").replace("\"SCOPE\":\"C\",", "\"OTHER\":1,");
    let (m, _) = run(&page, "demo.rows.set");
    assert!(m.params.is_empty(), "{:?}", m.params);
}

#[test]
fn a_parameters_section_referring_to_list_methods_gives_the_list_parameters() {
    let (m, d) = run(
        include_str!("import/params-list.md"),
        "demo.sprocket.kind.list",
    );
    let params: Vec<(&str, &str, bool)> = m
        .params
        .iter()
        .map(|p| (p.name.as_str(), p.ty.as_str(), p.required))
        .collect();
    assert_eq!(
        params,
        [
            ("select", "string[]", false),
            ("filter", "object", false),
            ("order", "object", false),
            ("start", "integer", false)
        ],
        "{d:?}"
    );
    assert!(param(&m, "order").description.contains("list methods"));
    // The reference in the introduction of a page without a parameters section
    // (`crm.measure.list`).
    let page = include_str!("import/params-list.md").replace("## Method Parameters\n\n", "");
    let (m, d) = run(&page, "demo.sprocket.kind.list");
    assert_eq!(m.params.len(), 4, "{d:?}");
    assert_eq!(m.examples.request[0].skip_round_trip, None);
}

#[test]
fn parameters_the_example_sends_inside_one_key_are_its_fields() {
    // The table lists `NAME` and `SORT` flat; the example sends them inside `FIELDS`.
    let (m, d) = run(
        include_str!("import/params-wrapped.md"),
        "demo.service.update",
    );
    let names: Vec<&str> = m.params.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["ID", "FIELDS"], "{d:?}");
    let fields = param(&m, "FIELDS");
    assert!(fields.required, "NAME is required");
    assert_eq!(field(ty(&m, &fields.ty), "SORT").ty, "integer");
    assert_eq!(m.examples.request[0].skip_round_trip, None);
    // The wrapper documented as an `object` without a table (`tasks.flow.Flow.isExists`'s
    // `flowData`): the same, and it keeps its row.
    let page = include_str!("import/params-wrapped.md").replace(
        "|| **NAME***",
        "|| **FIELDS**\n[`object`](../data-types.md) | The service's fields ||\n|| **NAME***",
    );
    let (m, d) = run(&page, "demo.service.update");
    let names: Vec<&str> = m.params.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["ID", "FIELDS"], "{d:?}");
    let fields = param(&m, "FIELDS");
    assert!(!fields.required, "documented as optional");
    assert!(fields.description.starts_with("The service's fields"));
    assert_eq!(field(ty(&m, &fields.ty), "NAME").ty, "string");
    assert_eq!(m.examples.request[0].skip_round_trip, None);
}

#[test]
fn a_sentence_after_a_table_naming_alternatives_makes_them_optional() {
    // `sign.b2e.document.send`: "Pass either the `uuid` or `crmId` parameter." after the
    // table that stars both.
    let page = include_str!("import/params-wrapped.md").replace(
        "|| **SORT**\n[`integer`](../data-types.md) | Sorting ||\n|#\n",
        "|| **SORT***\n[`integer`](../data-types.md) | Sorting ||\n|| **CODE***\n[`string`](../data-types.md) | Code ||\n|#\n\n\
         Pass either the `SORT` or `CODE` parameter.\n",
    )
    .replace(r#""SORT":"100"}"#, r#""SORT":"100","CODE":"taxi"}"#);
    let (m, d) = run(&page, "demo.service.update");
    let fields = ty(&m, &param(&m, "FIELDS").ty);
    for name in ["SORT", "CODE"] {
        let f = field(fields, name);
        assert!(!f.required, "{name}: {d:?}");
        assert!(
            f.description
                .ends_with("Pass either the `SORT` or `CODE` parameter."),
            "{name}: {}",
            f.description
        );
    }
    // A row the sentence does not name keeps its mark and its description.
    let name = field(fields, "NAME");
    assert!(name.required);
    assert_eq!(name.description, "Name");
}

#[test]
fn numbered_ways_to_call_merge_their_parameters() {
    let (m, d) = run(include_str!("import/params-ways.md"), "demo.poll.get");
    assert_eq!(
        m.params
            .iter()
            .map(|p| (p.name.as_str(), p.required))
            .collect::<Vec<_>>(),
        [("pollId", false), ("answerId", true), ("messageId", false)],
        "{d:?}"
    );
    assert_eq!(m.examples.request[0].skip_round_trip, None);
}

// ---------------------------------------------------------------- robustness

#[test]
fn broken_input_gives_diagnostics_not_panics() {
    let (m, d) = run(include_str!("import/broken.md"), "demo.trigger.delete");
    // Keyed by the method given (the list / curl URL), not the H1.
    assert_eq!(m.method, "demo.trigger.delete");
    assert_eq!(m.title, "Misnamed Page");
    assert!(has_diag(&d, "the H1 names `ctrigger.delete`"), "{d:?}");
    assert!(has_diag(&d, "row without a type"), "{d:?}");
    assert!(has_diag(&d, "never closed"), "{d:?}");
    assert_eq!(param(&m, "UNTYPED").ty, "any");
    assert_eq!(m.params.len(), 3);
    // Truncated JSON is closed at the end and says so.
    assert_eq!(
        m.examples.request[0].repaired.as_deref(),
        Some("closed brackets left open at the end")
    );
}

#[test]
fn arbitrary_garbage_never_panics() {
    let inputs = [
        "",
        "#|",
        "#|\n||",
        "||a|b||",
        "{% note %}",
        "{% list tabs %}\n- x\n```",
        "# T\n#|\n|| **A**\n[`x`](y) | ```\n|#",
        "{% if x %}\n{% else %}\n{% elsif y %}",
        "#|\n|| **A** | #|\n|| b ||",
        "- `A` — a\n- `B`",
        "```json\n{\"result\": [1, 2,\n",
        "\\|\\|\\|",
        "#| || **x*** [`a[]`][9] | b || |#",
    ];
    for src in inputs {
        let _ = run(src, "demo.x.y");
    }
}

// ---------------------------------------------------------------- patches

fn p(path: &str, expect: Option<serde_json::Value>, value: Option<serde_json::Value>) -> Patch {
    Patch {
        reason: "test".into(),
        path: path.into(),
        expect,
        value,
    }
}

#[test]
fn patches_applied_stale_obsolete() {
    use serde_json::json;
    let (m, _) = run(include_str!("import/basic.md"), "demo.widget.add");
    let patches = vec![
        p(
            "params/IDS/type",
            Some(json!("integer[]")),
            Some(json!("string[]")),
        ),
        p(
            "params/MYSTERY/type",
            Some(json!("any")),
            Some(json!("object")),
        ),
        p("params/NOPE/type", None, Some(json!("string"))),
        p(
            "params/KIND/type",
            Some(json!("string")),
            Some(json!("Shape")),
        ),
        p("params/LEVEL/type", None, Some(json!("Level"))),
        p("params/COLOR", None, None),
        p(
            "errors/-",
            None,
            Some(json!({"code": "EXTRA", "description": "added"})),
        ),
        p("types/Kind/values/ROUND/name", None, Some(json!("Circle"))),
    ];
    let (patched, outcomes) = import::apply_patches(&m, &patches);
    let status: Vec<&patch::Status> = outcomes.iter().map(|o| &o.status).collect();
    assert_eq!(status[0], &patch::Status::Applied);
    assert_eq!(status[1], &patch::Status::Applied);
    assert!(
        matches!(status[2], patch::Status::Stale(s) if s.contains("params/NOPE")),
        "{status:?}"
    );
    assert!(
        matches!(status[3], patch::Status::Stale(s) if s.contains("expected \"string\"")),
        "{status:?}"
    );
    assert_eq!(status[4], &patch::Status::Obsolete);
    assert_eq!(status[5], &patch::Status::Applied);
    assert_eq!(status[6], &patch::Status::Applied);
    assert_eq!(status[7], &patch::Status::Applied);
    assert_eq!(param(&patched, "IDS").ty, "string[]");
    assert_eq!(param(&patched, "MYSTERY").ty, "object");
    assert!(!patched.params.iter().any(|p| p.name == "COLOR"));
    assert_eq!(
        patched.errors.last().map(|e| e.code.as_str()),
        Some("EXTRA")
    );
    assert_eq!(
        ty(&patched, "Kind")
            .values
            .as_ref()
            .map(|v| v[0].name.as_deref()),
        Some(Some("Circle"))
    );
}

#[test]
fn a_patch_retyping_to_an_unused_table_keeps_it() {
    use serde_json::json;
    let t = page::transcribe(
        include_str!("import/nested.md"),
        "p.md",
        "demo.gadget.update",
        &includes,
        COMMIT,
    );
    let (m, _) = import::apply_patches(
        &t.method,
        &[p(
            "params/filter/type",
            Some(json!("object")),
            Some(json!("Unused")),
        )],
    );
    assert!(names(&m).contains(&"Unused"));
    assert!(report::completeness(&m, &t.tables).is_empty());
}

// ---------------------------------------------------------------- determinism

#[test]
fn importing_twice_gives_identical_output() {
    for (src, method) in [
        (include_str!("import/basic.md"), "demo.widget.add"),
        (include_str!("import/nested.md"), "demo.gadget.update"),
        (include_str!("import/errors.md"), "demo.things.break"),
        (include_str!("import/toplevel.md"), "demo.sprocket.list"),
        (include_str!("import/broken.md"), "demo.trigger.delete"),
    ] {
        let a = import::method_yaml(&run(src, method).0).expect("yaml");
        let b = import::method_yaml(&run(src, method).0).expect("yaml");
        assert_eq!(a, b);
        assert!(a.starts_with("# yaml-language-server: $schema=../../schema/method.schema.json\n"));
        // And the YAML reads back into the same method.
        let back = import::parse_method_yaml(&a).expect("parses");
        assert_eq!(import::method_yaml(&back).expect("yaml"), a);
    }
}

// ---------------------------------------------------------------------------- event pages

fn event(fixture: &str, name: &str) -> import::event::EventTranscription {
    import::event::transcribe_event(
        fixture,
        "api-reference/demo/events/on-demo-widget-add.md",
        name,
        &includes,
        COMMIT,
    )
}

#[test]
fn event_page_title_scope_access_and_prose() {
    let t = event(include_str!("import/event.md"), "onDemoWidgetAdd");
    let e = &t.event;
    assert_eq!(e.event, "onDemoWidgetAdd");
    assert_eq!(e.title, "Event for Frobnicating a Widget");
    assert_eq!(e.scope, "demo");
    assert_eq!(e.access.as_deref(), Some("any user"));
    assert_eq!(
        e.summary,
        "The `onDemoWidgetAdd` event is triggered when a widget is added."
    );
    assert_eq!(
        e.description.as_deref(),
        Some(
            "Events are not sent until the [installation](https://apidocs.bitrix24.com/api-reference/settings/install.html) is complete."
        )
    );
    assert_eq!(
        e.source.path,
        "api-reference/demo/events/on-demo-widget-add.md"
    );
    assert_eq!(e.source.commit, COMMIT);
    assert_eq!(e.bind, ["event.bind"]);
    assert_eq!(
        e.data_description.as_deref(),
        Some("An object with the added widget.\n\nContains a single key `FIELDS`")
    );
}

#[test]
fn event_data_keys_take_their_tables_by_heading() {
    let t = event(include_str!("import/event.md"), "onDemoWidgetAdd");
    let e = &t.event;
    assert_eq!(e.data.len(), 1, "{:?}", e.data);
    assert_eq!(e.data[0].name, "FIELDS");
    assert_eq!(e.data[0].ty, "Fields");
    assert_eq!(e.data[0].doc_type, None);
    let fields = e.types.iter().find(|t| t.name == "Fields").expect("Fields");
    let f = |n: &str| {
        fields
            .fields
            .as_ref()
            .and_then(|fs| fs.iter().find(|f| f.name == n))
            .unwrap_or_else(|| panic!("no field {n}"))
    };
    assert_eq!(f("ID").ty, "integer");
    assert_eq!(f("ID").description, "Identifier of the widget");
    assert_eq!(f("ACTIVE").ty, "boolean");
    assert_eq!(f("ACTIVE").wire, Some(WireFormat::Yn));
    let kind = e
        .types
        .iter()
        .find(|t| t.name == f("KIND").ty)
        .expect("KIND enum");
    let values: Vec<&str> = kind
        .values
        .iter()
        .flatten()
        .map(|v| v.value.as_str())
        .collect();
    assert_eq!(values, ["ROUND", "SQUARE"]);
    // The auth include is service-wide, the unrelated table is reported, not a type.
    assert!(
        !e.types.iter().any(|t| t.name.contains("Auth")),
        "{:?}",
        e.types
    );
    assert_eq!(t.completeness.len(), 1, "{:?}", t.completeness);
    assert!(
        t.completeness[0].contains("table `Unrelated Table` (1 rows) is not in the spec"),
        "{:?}",
        t.completeness
    );
}

#[test]
fn event_delivery_example_is_repaired_and_fits() {
    let t = event(include_str!("import/event.md"), "onDemoWidgetAdd");
    let e = &t.event;
    assert_eq!(e.examples.len(), 1);
    let ex = &e.examples[0];
    assert!(ex.repaired.is_some(), "the trailing comma is repaired");
    let v: serde_json::Value = serde_json::from_str(&ex.json).expect("JSON");
    assert_eq!(v["data"]["FIELDS"]["KIND"], "ROUND");
    assert_eq!(t.examples.found, 1);
    assert_eq!(t.examples.repaired, 1);
    assert!(t.diagnostics.is_empty(), "{:#?}", t.diagnostics);
    let text = import::event_yaml(e).expect("serialises");
    assert!(text.starts_with(import::EVENT_HEADER));
    assert!(text.contains("\nevent: onDemoWidgetAdd\n"), "{text}");
    assert_eq!(
        import::event_file(e),
        std::path::Path::new("spec/events/demo/onDemoWidgetAdd.yaml")
    );
}

#[test]
fn event_page_without_sections_gives_diagnostics() {
    let t = event(
        "# Event onDemoWidgetAdd\n\nSomething happens.\n",
        "onDemoWidgetAdd",
    );
    let d = &t.diagnostics;
    for needle in [
        "no `Scope:` line",
        "no delivery example",
        "no table of the delivery's keys",
        "does not include `_includes/auth-params-in-events.md`",
    ] {
        assert!(has_diag(d, needle), "{needle}: {d:#?}");
    }
    assert!(t.event.data.is_empty());
    assert!(
        t.notes
            .iter()
            .any(|n| n.message.contains("does not link `event.bind`"))
    );
}

#[test]
fn event_auth_from_the_include() {
    let (fields, problems) = import::event::event_auth(
        include_str!("import/auth-params.md"),
        "_includes/auth-params-in-events.md",
    );
    assert!(problems.is_empty(), "{problems:?}");
    let names: Vec<(&str, bool)> = fields
        .iter()
        .map(|f| (f.name.as_str(), f.required))
        .collect();
    assert_eq!(
        names,
        [
            ("access_token", false),
            ("domain", true),
            ("status", true),
            ("application_token", true)
        ]
    );
    assert!(fields.iter().all(|f| f.ty == "string"));
    assert!(fields[2].description.contains("- `L` — local application"));
}

#[test]
fn the_site_wide_ai_tools_tip_is_dropped() {
    let src = "# Ping demo.ping\n\n{% note tip \"\" %}\n\nIf you use AI tools, connect to the [MCP server](../../ai-tools/mcp.md).\n\n{% endnote %}\n\n> Scope: [`demo`](../scopes/permissions.md)\n\nThe method `demo.ping` answers a ping.\n\n{% note info \"\" %}\n\nA real note about pings.\n\n{% endnote %}\n";
    let (m, _) = run(src, "demo.ping");
    assert_eq!(m.summary, "The method `demo.ping` answers a ping.");
    assert_eq!(m.description.as_deref(), Some("A real note about pings."));
}

// ------------------------------------------------------- path rows, required marks

#[test]
fn path_named_rows_become_nested_types_never_literal_keys() {
    let (m, d) = run(include_str!("import/paths.md"), "demo.gadget.move");
    // `**id^*^**`: the superscript required mark.
    let id = param(&m, "id");
    assert!(id.required, "{id:?}");
    assert_eq!(id.ty, "integer");
    // `fields.CONTACT_ID`, `fields.PLACE.ROOM`: fields of `fields`, nested by path.
    let fields = param(&m, "fields");
    let t = ty(&m, &fields.ty);
    assert_eq!(field(t, "CONTACT_ID").ty, "integer");
    let place = ty(&m, &field(t, "PLACE").ty);
    assert_eq!(field(place, "ROOM").ty, "string");
    // `items[].code` with no `items` row: a list of objects.
    let items = param(&m, "items");
    let item = items.ty.strip_suffix("[]").expect("a list");
    assert_eq!(field(ty(&m, item), "qty").ty, "integer");
    assert_eq!(m.params.len(), 3, "{:?}", m.params);
    // `result.result`, `result.events[].type`: fields of the result object.
    let r = ty(&m, &m.result.ty);
    assert_eq!(field(r, "result").ty, "boolean");
    let ev = field(r, "events").ty.strip_suffix("[]").expect("a list");
    assert_eq!(field(ty(&m, ev), "type").ty, "string");
    // Nowhere a wire name with a path in it.
    let all = m
        .params
        .iter()
        .chain(m.types.iter().flat_map(|t| t.fields.iter().flatten()));
    for f in all {
        assert!(
            !f.name.contains('.') && !f.name.contains("[]"),
            "{}",
            f.name
        );
    }
    assert!(!has_diag(&d, "family of keys"), "{d:?}");
}

#[test]
fn event_data_typed_as_a_value_is_that_value() {
    // `OnImConnectorLineDelete`: `data` is the deleted line's ID, not an object of keys.
    let page = include_str!("import/event.md")
        .replace(
            "`array` | An object with the added widget.\n\nContains a single key `FIELDS` ||",
            "[`integer`](../data-types.md) | Identifier of the deleted widget ||",
        )
        .replace(
            "\"data\": {\n        \"FIELDS\": {\n            \"ID\": \"7\",\n            \"KIND\": \"ROUND\",\n            \"ACTIVE\": \"Y\",\n        }\n    },",
            "\"data\": 107,",
        );
    let t = event(&page, "onDemoWidgetAdd");
    assert_eq!(t.event.data_type.as_deref(), Some("integer"));
    assert!(t.event.data.is_empty(), "{:?}", t.event.data);
    assert_eq!(t.event.examples[0].skip_round_trip, None);
    assert_eq!(
        import::conform::check_event_data(&t.event, &serde_json::json!("x")).len(),
        1
    );
}

#[test]
fn event_delivery_rows_named_data_dot_key_type_the_data_keys() {
    let page = include_str!("import/event.md").replace(
        "|| **ts**\n[`timestamp`]",
        "|| **data.FIELDS**\n[`object`](../data-types.md) | The widget's fields, described [below](#fields) ||\n|| **data.SOURCE**\n[`string`](../data-types.md) | Where the widget came from ||\n|| **ts**\n[`timestamp`]",
    );
    let t = event(&page, "onDemoWidgetAdd");
    let keys: Vec<&str> = t.event.data.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(keys, ["FIELDS", "SOURCE"]);
    let fields = &t.event.data[0];
    assert!(
        fields.description.contains("The widget's fields"),
        "{fields:?}"
    );
    assert!(t.event.types.iter().any(|x| x.name == fields.ty));
    assert_eq!(t.event.data[1].ty, "string");
    assert!(
        !t.diagnostics
            .iter()
            .any(|d| d.message.contains("not a key of a delivery")),
        "{:?}",
        t.diagnostics
    );
}

#[test]
fn the_table_of_data_itself_gives_its_keys_and_placeholder_tables_are_maps() {
    let t = event(include_str!("import/event-data.md"), "OnDemoSessionStart");
    let data: Vec<(&str, &str, bool)> = t
        .event
        .data
        .iter()
        .map(|f| (f.name.as_str(), f.ty.as_str(), f.required))
        .collect();
    // `### Parameter data`: the table of `data`, not of its key `DATA`. Required in the
    // docs, but an empty list leaves no key in a form body.
    assert_eq!(data[0], ("DATA", "Data[]", false), "{data:?}");
    let element = t
        .event
        .types
        .iter()
        .find(|x| x.name == "Data")
        .expect("Data");
    let id = &element.fields.as_ref().unwrap()[0];
    assert_eq!((id.name.as_str(), id.required), ("ID", true));
    // `{BOT_ID}`: the bots are keyed by their ID.
    assert_eq!(data[1].0, "BOT");
    assert!(data[1].1.starts_with("map<"), "{data:?}");
    // The delivery example decodes into these types.
    let delivery: serde_json::Value = serde_json::from_str(&t.event.examples[0].json).unwrap();
    let problems = import::conform::check_event_data(&t.event, &delivery["data"]);
    assert_eq!(problems, Vec::<String>::new());
    // PHP's empty array is the empty object (`onOfflineEvent`); a list or a number is not.
    let check = |data: serde_json::Value| import::conform::check_event_data(&t.event, &data);
    assert_eq!(check(serde_json::json!([])), Vec::<String>::new());
    assert_eq!(check(serde_json::json!([1])).len(), 1);
    assert_eq!(check(serde_json::json!(107)).len(), 1);
}

#[test]
fn a_generic_type_linked_to_an_entity_table_elsewhere_is_that_entity() {
    let (m, d) = run(include_str!("import/entity-link.md"), "demo.bot.list");
    let result = ty(&m, &m.result.ty);
    // `User[]` linked to `entities.md#user`: the users, not their IDs.
    let users = field(result, "users");
    assert_eq!(users.ty, "User[]", "{d:?}");
    assert_eq!(field(ty(&m, "User"), "name").ty, "string");
    // `user[]` linked to the data-types page: IDs, as everywhere.
    assert_eq!(field(result, "owners").ty, "integer[]");
}

#[test]
fn field_descriptions_of_their_own_shape_are_read_from_the_example() {
    // `{"ID": {"TYPE": "integer", "USE_IN_FILTER": true}}` (disk.*.getFields): each
    // documented field is described, in the shape the example shows.
    let (m, d) = run(include_str!("import/field-info.md"), "demo.store.getFields");
    let result = ty(&m, &m.result.ty);
    assert_eq!(field(result, "ID").ty, "FieldInfo", "{d:?}");
    assert_eq!(field(result, "ID").doc_type.as_deref(), Some("integer"));
    assert_eq!(field(ty(&m, "FieldInfo"), "USE_IN_FILTER").ty, "boolean");
    assert!(all_round_trip(&m.examples.response));
}

#[test]
fn a_parameter_does_not_take_a_table_of_the_returned_data_by_its_heading() {
    // "Access Code Description" names `ACCESS`, but sits under the returned data.
    let (m, d) = run(include_str!("import/heading-sides.md"), "demo.code.name");
    assert_eq!(param(&m, "ACCESS").ty, "any[]", "{d:?}");
    assert_eq!(m.examples.request.len(), 1, "{d:?}");
    assert!(all_round_trip(&m.examples.request));
}

#[test]
fn parameters_read_by_position_take_the_example_keys_by_position() {
    // "It is mandatory to follow the order of parameters": the portal reads the values in
    // order, so `fields` is `ITEMDATA`, and an array's items are the parameters.
    let (m, d) = run(include_str!("import/positional.md"), "demo.item.update");
    assert!(m.positional, "{d:?}");
    assert_eq!(m.examples.request.len(), 2, "{d:?}");
    let sent: Vec<serde_json::Value> = m
        .examples
        .request
        .iter()
        .map(|e| serde_json::from_str(&e.json).unwrap())
        .collect();
    assert_eq!(
        sent[0],
        serde_json::json!({"ITEMID": 1, "ITEMDATA": {"TITLE": "x"}})
    );
    assert_eq!(
        sent[1],
        serde_json::json!({"ITEMID": 2, "ITEMDATA": {"TITLE": "y"}})
    );
    for e in &m.examples.request {
        assert!(e.skip_round_trip.is_none(), "{:?}", e.skip_round_trip);
        assert!(
            e.repaired
                .as_deref()
                .is_some_and(|r| r.contains("by position"))
        );
    }
    // Without the sentence, a key that names no parameter stays unknown.
    let page = include_str!("import/positional.md").replace("follow the order", "follow the rules");
    let (m, _) = run(&page, "demo.item.update");
    assert!(!m.positional);
    assert!(m.examples.request[0].skip_round_trip.is_some());
}

#[test]
fn a_boolean_listing_more_than_a_truth_pair_is_those_values() {
    let page = "# Get a Field demo.field.get\n\n> Scope: [`demo`](../scopes/permissions.md)\n\n\
                The method `demo.field.get` returns a field.\n\n## Method Parameters\n\n#|\n\
                || **Name**\n`type` | **Description** ||\n\
                || **SHOW_FILTER**\n[`boolean`](../data-types.md) | Show in the filter. Possible values:\n\
                - `N` — do not show\n- `I` — exact match\n- `E` — mask ||\n\
                || **MANDATORY**\n[`boolean`](../data-types.md) | Required. Possible values:\n\
                - `Y` — yes\n- `N` — no ||\n|#\n";
    let (m, d) = run(page, "demo.field.get");
    let show = param(&m, "SHOW_FILTER");
    assert_eq!(show.ty, "ShowFilter", "{d:?}");
    let values: Vec<&str> = ty(&m, "ShowFilter")
        .values
        .as_ref()
        .unwrap()
        .iter()
        .map(|v| v.value.as_str())
        .collect();
    assert_eq!(values, ["N", "I", "E"]);
    assert_eq!(param(&m, "MANDATORY").ty, "boolean");
}

#[test]
fn a_language_map_in_a_result_may_hold_null() {
    let page = "# Get a Label demo.label.get\n\n> Scope: [`demo`](../scopes/permissions.md)\n\n\
                The method `demo.label.get` returns a label.\n\n## Method Parameters\n\n#|\n\
                || **Name**\n`type` | **Description** ||\n\
                || **label**\n[`lang_map`](../data-types.md) | The label per language ||\n|#\n\n\
                ## Response Handling\n\n```json\n{\"result\": {\"label\": {\"en\": null, \"de\": \"Name\"}}}\n```\n\n\
                ### Returned Data\n\n#|\n|| **Name**\n`type` | **Description** ||\n\
                || **result**\n[`object`](../data-types.md) | The field ||\n\
                || **result.label**\n[`lang_map`](../data-types.md) | The label per language ||\n|#\n";
    let (m, d) = run(page, "demo.label.get");
    // Sent: a text per language; answered: `null` where a language has none.
    assert_eq!(param(&m, "label").ty, "map<string>", "{d:?}");
    assert_eq!(
        field(ty(&m, &m.result.ty), "label").ty,
        "map<string | null>"
    );
    assert!(all_round_trip(&m.examples.response));
}

#[test]
fn a_field_in_several_tabs_lists_the_values_of_all() {
    // `DISPLAY` per field type: the boolean type's values and the enumeration type's.
    let (m, d) = run(include_str!("import/tab-values.md"), "demo.userfield.add");
    let settings = ty(&m, &param(&m, "SETTINGS").ty);
    let display = &field(settings, "DISPLAY").ty;
    let values: Vec<&str> = ty(&m, display)
        .values
        .as_ref()
        .unwrap()
        .iter()
        .map(|v| v.value.as_str())
        .collect();
    assert_eq!(values, ["CHECKBOX", "RADIO", "LIST", "UI"], "{d:?}");
    // Another type per tab: the first tab's, values not merged.
    assert_eq!(field(settings, "DEFAULT_VALUE").ty, "integer");
    assert_eq!(m.examples.request[0].skip_round_trip, None);
}

#[test]
fn files_are_sent_as_pairs_and_answered_as_objects() {
    let (m, d) = run(include_str!("import/files.md"), "demo.note.add");
    // "List of files": a list of `[name, base64]` pairs; one file: one pair.
    assert_eq!(param(&m, "FILES").ty, "file[]", "{d:?}");
    assert_eq!(param(&m, "COVER").ty, "file");
    assert_eq!(m.examples.request.len(), 1, "{d:?}");
    // The portal answers a file as its description, not as the pair sent.
    let result = ty(&m, &m.result.ty);
    assert_eq!(field(result, "COVER").ty, "object");
    assert_eq!(field(result, "COVER").doc_type.as_deref(), Some("file"));
    assert!(all_round_trip(&m.examples.request));
    assert!(all_round_trip(&m.examples.response));
}

#[test]
fn a_string_described_as_a_list_of_linked_objects_is_that_list() {
    let page = "# Set Ranges demo.range.set\n\n> Scope: [`demo`](../scopes/permissions.md)\n\n\
                The method `demo.range.set` sets ranges.\n\n## Method Parameters\n\n#|\n\
                || **Name**\n`type` | **Description** ||\n\
                || **RANGES**\n[`string`](../data-types.md) | Ranges in the form of a list of objects, each a [range](#range) ||\n\
                || **NAMES**\n[`string`](../data-types.md) | Names in the form of a list of objects ||\n|#\n\n\
                ### Range {#range}\n\n#|\n|| **Name**\n`type` | **Description** ||\n\
                || **ip_range**\n[`string`](../data-types.md) | The range ||\n|#\n";
    let (m, d) = run(page, "demo.range.set");
    assert_eq!(param(&m, "RANGES").ty, "Range[]", "{d:?}");
    // No table: the docs' type stays.
    assert_eq!(param(&m, "NAMES").ty, "string");
}

#[test]
fn a_result_typed_as_an_entity_is_the_entity_not_its_id() {
    // `crm_currency` holds the currency code in a field (`CURRENCY_ID`), but a method
    // answering `result` as `crm_currency` answers the currency.
    let page = "# Get a Currency demo.currency.get\n\n> Scope: [`demo`](../scopes/permissions.md)\n\n\
                The method `demo.currency.get` returns a currency.\n\n## Method Parameters\n\n#|\n\
                || **Name**\n`type` | **Description** ||\n\
                || **CURRENCY_ID**\n[`crm_currency`](../data-types.md) | The currency ||\n|#\n\n\
                ## Response Handling\n\n```json\n{\"result\": {\"CURRENCY\": \"USD\", \"AMOUNT\": 1}}\n```\n\n\
                ### Returned Data\n\n#|\n|| **Name**\n`type` | **Description** ||\n\
                || **result**\n[`crm_currency`](../data-types.md#crm_currency) | The currency ||\n|#\n";
    let (m, d) = run(page, "demo.currency.get");
    assert_eq!(param(&m, "CURRENCY_ID").ty, "string", "{d:?}");
    assert_eq!(field(ty(&m, &m.result.ty), "AMOUNT").ty, "double");
    assert!(all_round_trip(&m.examples.response));
}

#[test]
fn a_drive_file_is_sent_as_an_upload_and_answered_as_its_description() {
    // `crm.activity.add` sends `FILES` as `[{"fileData": [name, base64]}]`; the data-types
    // table of `diskfile` describes the file the portal answers.
    let page = "# Add a Note demo.note.add\n\n> Scope: [`demo`](../scopes/permissions.md)\n\n\
                The method `demo.note.add` adds a note.\n\n## Method Parameters\n\n#|\n\
                || **Name**\n`type` | **Description** ||\n\
                || **FILES**\n[`diskfile`](../data-types.md#diskfile) | Files of the note ||\n|#\n\n\
                ## Response Handling\n\n```json\n{\"result\": {\"FILE\": {\"ID\": 5, \"NAME\": \"a.txt\"}}}\n```\n\n\
                ### Returned Data\n\n#|\n|| **Name**\n`type` | **Description** ||\n\
                || **FILE**\n[`diskfile`](../data-types.md#diskfile) | The file ||\n|#\n";
    let (m, d) = run(page, "demo.note.add");
    assert_eq!(param(&m, "FILES").ty, "any", "{d:?}");
    let file = field(ty(&m, &m.result.ty), "FILE");
    assert_eq!(field(ty(&m, &file.ty), "NAME").ty, "string");
}

#[test]
fn a_field_reference_type_is_the_type_of_that_field() {
    // `demo_measure.code`: the type of the `code` row of the linked `demo_measure` table,
    // not the whole object.
    let (m, d) = run(include_str!("import/field-ref.md"), "demo.gadget.measure");
    assert_eq!(param(&m, "measureCode").ty, "string");
    assert_eq!(
        param(&m, "measureCode").doc_type.as_deref(),
        Some("demo_measure.code")
    );
    assert_eq!(param(&m, "measureIds").ty, "integer[]");
    assert!(!has_diag(&d, "unmapped docs type"), "{d:?}");
}

// ---------------------------------------------------------------- REST 3.0

#[test]
fn a_rest_v3_page_is_marked_and_its_coded_error_tables_are_read() {
    let (m, d) = run(include_str!("import/rest-v3.md"), "demo.thing.get");
    assert!(m.rest_v3, "the page calls /rest/api/");
    assert_eq!(m.id(), "v3.demo.thing.get");
    assert_eq!(m.file(), "methods/v3/demo.thing.get.yaml");
    // The H1's version mark is not part of the title.
    assert_eq!(m.title, "Get Thing by ID");
    // `pagination`, not `start`: not a classic list.
    assert!(m.list.is_none());
    let coded: Vec<&ErrorDoc> = m
        .errors
        .iter()
        .filter(|e| e.code.starts_with("BITRIX_REST_V3_"))
        .collect();
    assert_eq!(coded.len(), 2, "{:#?}", m.errors);
    assert_eq!(
        coded[0].code,
        "BITRIX_REST_V3_EXCEPTION_VALIDATION_REQUESTVALIDATIONEXCEPTION"
    );
    assert_eq!(
        coded[0].message.as_deref(),
        Some("Required field id is missing")
    );
    assert_eq!(coded[0].description, "`id`: Add `id` to the request body");
    assert_eq!(
        coded[1].code,
        "BITRIX_REST_V3_EXCEPTION_ENTITYNOTFOUNDEXCEPTION"
    );
    assert_eq!(
        coded[1].description, "Specify the `id` of an existing thing",
        "a `-` field names no parameter"
    );
    // Neither table is read as a type.
    assert!(
        m.types.iter().all(|t| !t.name.contains("Errors")),
        "{:?}",
        names(&m)
    );
    // The REST 3.0 error example is kept (its code is the method's own).
    assert_eq!(m.examples.error.len(), 1);
    assert!(!has_diag(&d, "unknown error table layout"), "{d:#?}");
}

#[test]
fn a_classic_page_is_not_rest_v3() {
    let (m, _) = run(include_str!("import/errors.md"), "demo.things.break");
    assert!(!m.rest_v3);
    assert_eq!(m.id(), "demo.things.break");
}

#[test]
fn key_families_and_continued_tables() {
    let (m, d) = run(include_str!("import/families.md"), "demo.widget.add");
    let fields = param(&m, "fields");
    assert!(fields.required);
    let t = ty(&m, &fields.ty);
    // `UF_CRM_...` and `propertyN` (its description explains `N`) are key families, kept
    // by prefix; no field has their literal names.
    assert_eq!(t.key_families, vec!["property", "UF_CRM_"]);
    let names: Vec<&str> = t.fields.iter().flatten().map(|f| f.name.as_str()).collect();
    // The table after `**Import**` under the same heading continues the first; a name
    // both give keeps the first row.
    assert_eq!(names, vec!["TITLE", "DATE_CREATE"]);
    assert_eq!(field(t, "TITLE").description, "Title");
    assert_eq!(field(t, "DATE_CREATE").ty, "datetime");
    assert!(
        t.description.contains("`UF_CRM_...`: Custom fields"),
        "{}",
        t.description
    );
    assert!(
        !has_diag(&d, "propertyN"),
        "a family row is not a problem: {d:?}"
    );
}

/// `entity.md` read as `demo.item.get`, with `example` as its response example, through
/// the importer's rules, and the shared types of `data-types.md` applied.
fn shared_item(example: &str) -> (Method, import::shared::Sharing) {
    shared_item_from(&include_str!("import/entity.md").replace(
        r#"{"result": {"item": {"id": 5, "type": "A", "tags": [{"code": "red"}]}}}"#,
        example,
    ))
}

fn shared_item_from(text: &str) -> (Method, import::shared::Sharing) {
    let t = page::transcribe(
        text,
        "api-reference/demo/entity.md",
        "demo.item.get",
        &includes,
        COMMIT,
    );
    let entities = t.entities.clone();
    let (mut m, _) = import::finish(t.method);
    let mut sharing =
        import::shared::Sharing::new(&["api-reference/data-types.md".to_owned()], &includes);
    sharing.apply(&mut m, &entities);
    (m, sharing)
}

#[test]
fn entity_tables_of_data_types_pages_are_shared_types() {
    let (m, sharing) =
        shared_item(r#"{"result": {"item": {"id": 5, "type": "A", "tags": [{"code": "red"}]}}}"#);
    // `[demo_item](../data-types.md)` (no anchor) is the table under `### demo_item`; the
    // method's copy is exactly the shared definition, so the method names that.
    assert_eq!(names(&m), ["GetResult"]);
    assert_eq!(field(ty(&m, "GetResult"), "item").ty, "DemoItem");
    // `demo_item.id` is that row's type.
    assert_eq!(param(&m, "id").ty, "integer");
    // `demo_other` defines `Type` too, differently: each entity's own is renamed after it.
    let shared: Vec<&str> = sharing.used.keys().map(String::as_str).collect();
    assert_eq!(shared, ["DemoItem", "DemoItemType", "DemoTag"]);
    let item = &sharing.used["DemoItem"];
    assert_eq!(field(item, "type").ty, "DemoItemType");
    assert_eq!(field(item, "tags").ty, "DemoTag[]");
}

#[test]
fn a_copy_its_example_extends_stays_the_methods_own() {
    let (m, sharing) =
        shared_item(r#"{"result": {"item": {"id": 5, "type": "A", "tags": [], "color": "red"}}}"#);
    // `color` is added to the method's `DemoItem`: no longer the shared definition.
    assert!(
        field(ty(&m, "DemoItem"), "color")
            .description
            .contains("response example")
    );
    assert!(names(&m).contains(&"Type"), "{:?}", names(&m));
    // Its `tags` table is still exactly `demo_tag`: that one is shared.
    let shared: Vec<&str> = sharing.used.keys().map(String::as_str).collect();
    assert_eq!(shared, ["DemoTag"]);
    assert!(!names(&m).contains(&"DemoTag"), "{:?}", names(&m));
}

#[test]
fn a_renamed_type_the_method_uses_elsewhere_stays_its_own() {
    // A `type` parameter with the values of `demo_item.type`: the page reuses its enum.
    let text = include_str!("import/entity.md").replace(
        "[`demo_item.id`](../data-types.md) | Identifier of the item ||",
        "[`demo_item.id`](../data-types.md) | Identifier of the item ||\n\
         || **type**\n[`string`](../data-types.md) | Kind:\n- `A` — the first kind\n- `B` — the second kind ||",
    );
    let (m, sharing) = shared_item_from(&text);
    // `DemoItem` is shared (with `DemoItemType`); the parameter keeps the page's `Type`.
    assert_eq!(field(ty(&m, "GetResult"), "item").ty, "DemoItem");
    assert_eq!(param(&m, "type").ty, "Type");
    assert_eq!(names(&m), ["Type", "GetResult"]);
    assert!(sharing.used.contains_key("DemoItemType"));
}
