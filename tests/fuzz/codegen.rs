// Fuzz targets of the codegen crate's parsers: the docs importer, the spec loader +
// validator (+ generator), and the type grammar. Each takes an `arbitrary::Unstructured`
// so the same function runs under `arbtest` (tests/fuzz.rs, stable, seeded) and under
// `cargo fuzz` (fuzz/fuzz_targets/, nightly, coverage-guided). Inputs are built from the
// dialects' own tokens, so random bytes reach deep into the parsers.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use arbitrary::{Result, Unstructured};
use bitrix24_codegen::import::{self, event, json_repair, text, yfm};
use bitrix24_codegen::spec::{self, types::TypeExpr};

/// Whole lines of the docs' Markdown dialect (YFM).
const PAGE_LINES: &[&str] = &[
    "# Do a Thing demo.x.y",
    "## Method Parameters",
    "## Response Handling",
    "## Error Handling",
    "## Code Examples",
    "### Fields {#fields}",
    "#|",
    "|#",
    "|| **Name**\n`type` | **Description** ||",
    "|| **ID***\n[`integer`](../data-types.md) | Identifier ||",
    "|| **FIELDS**\n[`object`](#fields) | Fields ||",
    "|| **LIST**\n[`array`](other.md#list) | Values:\n- `A` — a\n- `B` — b ||",
    "|| **FLAG**\n[`boolean`](../data-types.md) | `Y`|`N` ||",
    "|| **result**\n[`object`][1] | Result ||",
    "|| `ERROR_CODE` | Message | Description ||",
    "|| **400** | `ERR` | Bad ||",
    "||",
    "```json",
    "```bash",
    "```",
    "~~~",
    "{% note info \"Title\" %}",
    "{% note warning %}",
    "{% endnote %}",
    "{% list tabs %}",
    "{% endlist %}",
    "- cURL (Webhook)",
    "- JS",
    "{% include [x](self.md) %}",
    "{% include [x](b.md) %}",
    "{% include [x](../_includes/a.md) %}",
    "{% include [x](../../../../up.md) %}",
    "{% if build == 'dev' %}",
    "{% elsif build != 'dev' %}",
    "{% else %}",
    "{% endif %}",
    "{% cut \"More\" %}",
    "{% endcut %}",
    "{% unknown %}",
    "> Scope: [`crm`](../scopes/permissions.md)",
    "> Who can execute the method: any user",
    "[1]: ../data-types.md",
    "- `A` — a",
    "- `1` - one",
    "HTTP status: **400**",
    "curl -X POST -H \"Content-Type: application/json\" -d '{\"ID\":1}' https://x/rest/1/hook/demo.x.y",
    "BX24.callMethod('demo.x.y', {ID: 1}, function(r) {});",
    "{\"result\": {\"ID\": 1, \"A\": [1, \"2\"]}, \"time\": {\"start\": 1}}",
    "{\"result\": [{\"ID\": \"1\"}], \"total\": 1}",
    "{\"error\": \"ERR\", \"error_description\": \"Bad\"}",
    "{'result': {ID: 1,}, // comment",
    "    ",
    "",
];

/// Fragments that lines are glued from.
const PAGE_BITS: &[&str] = &[
    "[",
    "]",
    "(",
    ")",
    "`",
    "``",
    "```",
    "\\",
    "|",
    "||",
    "*",
    "**",
    "#",
    "{",
    "}",
    "\"",
    "'",
    ":",
    ",",
    "...",
    "…",
    "//",
    "/*",
    "*/",
    " ",
    "  ",
    "\t",
    "-",
    "—",
    "Y",
    "N",
    "ID",
    "result",
    "error",
    "integer",
    "string",
    "object",
    "array",
    "map<",
    ">",
    "[]",
    "{#T}",
    "{#",
    "{%",
    "%}",
    "[x](y.md#a)",
    "[x](#fields)",
    "![i](p.png)",
    "[t][1]",
    "&#124;",
    "<br>",
    "é",
    "\u{0}",
];

/// A docs page (or include file) of up to `max_lines` lines.
fn page_text(u: &mut Unstructured<'_>, max_lines: usize) -> Result<String> {
    let mut out = String::new();
    let lines = u.int_in_range(0..=max_lines)?;
    for _ in 0..lines {
        match u.int_in_range(0..=9)? {
            0..=4 => out.push_str(u.choose(PAGE_LINES)?),
            5..=7 => {
                for _ in 0..u.int_in_range(1..=12)? {
                    out.push_str(u.choose(PAGE_BITS)?);
                }
            }
            8 => {
                // A run of one line or fragment: nesting, long cells, many notes.
                let bit = if u.arbitrary()? {
                    format!("{}\n", u.choose(PAGE_LINES)?)
                } else {
                    u.choose(PAGE_BITS)?.to_string()
                };
                out.push_str(&bit.repeat(u.int_in_range(2..=300)?));
            }
            _ => out.push_str(u.arbitrary::<&str>()?),
        }
        out.push('\n');
    }
    Ok(out)
}

/// The importer: one page with its include files and linked pages, as a method page,
/// an event page and the service-wide includes; plus the text helpers on the raw page.
pub fn import_page(u: &mut Unstructured<'_>) -> Result<()> {
    const PAGE: &str = "api-reference/demo/demo-x-y.md";
    let page = page_text(u, 60)?;
    let mut files = BTreeMap::new();
    for path in [
        "api-reference/demo/self.md",
        "api-reference/demo/b.md",
        "api-reference/_includes/a.md",
        "api-reference/demo/other.md",
        "api-reference/demo/y.md",
    ] {
        if u.arbitrary()? {
            files.insert(path.to_string(), page_text(u, 12)?);
        }
    }
    if u.arbitrary()? {
        files.insert(PAGE.to_string(), page.clone());
    }
    let read = |p: &str| files.get(p).cloned();
    let lines = page.lines().count().max(1);

    let (method, diags) = import::transcribe(&page, PAGE, "demo.x.y", &read, "0");
    for d in &diags {
        if d.file == Path::new(PAGE)
            && let Some(line) = d.line
        {
            assert!(line <= lines, "line {line} of a {lines}-line page: {d}");
        }
    }
    let _ = import::method_yaml(&method);
    let _ = event::transcribe_event(&page, PAGE, "onDemoX", &read, "0");
    let _ = import::system_errors(&page, PAGE);
    let _ = event::event_auth(&page, PAGE);

    let parsed = yfm::parse(&page);
    for p in &parsed.problems {
        assert!(
            p.line <= lines,
            "problem at line {} of {lines}: {}",
            p.line,
            p.message
        );
    }
    for l in text::links(&page, &BTreeMap::new()) {
        assert!(l.start < l.end && l.end <= page.len(), "{l:?}");
    }
    let _ = text::code_spans(&page);
    let _ = text::plain(&page);
    if let Ok((json, _)) = json_repair::repair(&page) {
        serde_json::from_str::<serde_json::Value>(&json).expect("repair gives JSON");
    }
    Ok(())
}

/// Type-expression tokens.
const TYPE_BITS: &[&str] = &[
    "integer", "string", "double", "boolean", "any", "object", "file", "Named", "Self", "map", "<",
    ">", "(", ")", "[]", "[", "]", "|", "null", " ", "_", "1", "x", "map<", "| null",
];

/// The type grammar: what parses prints back to itself and nests at most `MAX_DEPTH`.
pub fn type_expr(u: &mut Unstructured<'_>) -> Result<()> {
    let mut src = String::new();
    for _ in 0..u.int_in_range(0..=40)? {
        if u.ratio(1, 8)? {
            let bit = u.choose(TYPE_BITS)?;
            src.push_str(&bit.repeat(u.int_in_range(2..=200)?));
        } else {
            src.push_str(u.choose(TYPE_BITS)?);
        }
    }
    if let Ok(t) = TypeExpr::parse(&src) {
        assert!(t.depth() <= spec::types::MAX_DEPTH, "{src}");
        let printed = t.to_string();
        assert_eq!(
            TypeExpr::parse(&printed).as_ref(),
            Ok(&t),
            "{src} → {printed}"
        );
    }
    Ok(())
}

const API: &str = include_str!("../specs/valid-minimal/api.yaml");
const METHOD: &str = include_str!("../specs/valid-minimal/methods/crm/crm.calllist.add.yaml");
const EVENT: &str = include_str!("../specs/valid-minimal/events/crm/onCrmActivityAdd.yaml");

/// Values a mutation puts after a key, by key: mostly valid, some not.
fn yaml_value<'a>(u: &mut Unstructured<'a>, key: &str) -> Result<&'static str> {
    u.choose(match key {
        "type" => &[
            "integer",
            "string[]",
            "map<EntityType>",
            "(string | null)[]",
            "EntityType | null",
            "any",
            "object",
            "boolean",
            "datetime",
            "file",
            "EntityType[]",
            "Shared",
            "Missing",
            "map<",
            "integer[][]",
            "string | object",
            "lowercase",
        ][..],
        "name" => &[
            "ID",
            "id",
            "new",
            "extra",
            "self",
            "Self",
            "Option",
            "Result",
            "type",
            "_",
            "1A",
            "ÄÖ",
            "ENTITY_TYPE",
            "EntityType",
            "a-b",
            "''",
            "UF_*",
        ],
        "required" | "read_only" | "nullable" => &["true", "false", "'Y'", "1", "null"],
        "value" => &[
            "CONTACT", "COMPANY", "1", "''", "new", "Self", "a-b", "ÄÖ", "'1'", "0x1",
        ],
        "wire" => &["yn", "json", "plain", "bits", "YN"],
        "status" => &["400", "200", "0", "999", "-1", "'400'"],
        "code" => &[
            "Access denied",
            "ERROR_CORE",
            "''",
            "access denied",
            "ACCESS_DENIED",
            "1",
        ],
        "json" => &[
            "'{\"result\": 11}'",
            "'{\"result\": \"11\"}'",
            "'{\"ENTITY_TYPE\":\"CONTACT\",\"ENTITIES\":[1]}'",
            "'{\"ENTITY_TYPE\":\"LEAD\",\"ENTITIES\":[]}'",
            "'{\"error\": \"Access denied\"}'",
            "'[1'",
            "'{}'",
        ],
        "method" | "event" => &[
            "crm.calllist.add",
            "crm.calllist.get",
            "CRM.x",
            "crm..x",
            "onX",
        ],
        "scope" => &["crm", "user", "", "crm, user", "CRM"],
        _ => &[
            "x",
            "''",
            "\"[link](https://x)\"",
            "'`code`'",
            "|-\n  multi\n  line",
            "null",
            "~",
            "0",
            "1e309",
            "\"\\u0000\"",
            "[]",
            "{}",
            "[a, b]",
            "{a: 1}",
            "&a x",
            "*a",
            "!!binary AAAA",
            "[[[[",
            "]]",
            "\"unterminated",
        ],
    })
    .copied()
}

/// Lines a mutation inserts.
const YAML_LINES: &[&str] = &[
    "- name: ID\n  type: integer",
    "- name: ID\n  type: integer\n  required: true",
    "  wire: yn",
    "  default: 1",
    "- value: CONTACT\n  description: again",
    "- name: Other\n  fields:\n  - name: X\n    type: Other",
    "- status: 400\n  code: Access denied\n  description: twice",
    "aliases: [crm.calllist.add]",
    "deprecated:\n  note: gone",
    "unknown_key: 1",
    "---",
    "...",
    "%YAML 1.2",
    "? complex\n: key",
    "\t- tab",
    "#",
];

/// One spec file of valid-minimal, mutated: half the time only values change (which
/// often keeps the spec valid, so the generator runs too).
fn mutate(u: &mut Unstructured<'_>, text: &str) -> Result<String> {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let kinds = if u.arbitrary()? { 0..=1 } else { 0..=7 };
    for _ in 0..u.int_in_range(1..=4)? {
        if lines.is_empty() {
            break;
        }
        let i = u.choose_index(lines.len())?;
        match u.int_in_range(kinds.clone())? {
            0 | 1 => {
                let line = &lines[i];
                let Some(colon) = line.find(": ") else {
                    continue;
                };
                let key = line[..colon].trim_start_matches([' ', '-']);
                let value = yaml_value(u, key)?;
                lines[i] = format!("{}{value}", &line[..colon + 2]);
            }
            2 => lines.insert(i, u.choose(YAML_LINES)?.to_string()),
            3 => {
                lines.remove(i);
            }
            4 => {
                let l = lines[i].clone();
                lines.insert(i, l);
            }
            5 => {
                let j = u.choose_index(lines.len())?;
                lines.swap(i, j);
            }
            6 => lines[i] = format!("  {}", lines[i]),
            _ => lines[i].push_str(u.arbitrary::<&str>()?),
        }
    }
    Ok(lines.join("\n") + "\n")
}

/// A scratch spec directory for this process.
fn scratch() -> PathBuf {
    std::env::temp_dir().join(format!("bitrix24-fuzz-spec-{}", std::process::id()))
}

/// The spec loader and validator on valid-minimal with a few mutations (and sometimes a
/// second method or a shared type); a spec that loads is generated from, in memory.
pub fn spec_load(u: &mut Unstructured<'_>) -> Result<()> {
    let other = METHOD.replace("crm.calllist.add", "crm.calllist.get");
    let shared = "name: Shared\nfields:\n- name: ID\n  type: integer\n";
    let mut files = vec![
        ("api.yaml", API.to_string()),
        ("methods/crm/crm.calllist.add.yaml", METHOD.to_string()),
        ("events/crm/onCrmActivityAdd.yaml", EVENT.to_string()),
    ];
    if u.arbitrary()? {
        files.push(("methods/crm/crm.calllist.get.yaml", other));
    }
    if u.arbitrary()? {
        files.push(("types/Shared.yaml", shared.to_string()));
    }
    // Mutations in one or two files: the rest stays valid, so many inputs load.
    for _ in 0..u.int_in_range(1..=2)? {
        let i = u.choose_index(files.len())?;
        files[i].1 = mutate(u, &files[i].1)?;
    }
    let dir = scratch();
    let _ = std::fs::remove_dir_all(&dir);
    for (rel, text) in &files {
        let path = dir.join(rel);
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
        std::fs::write(&path, text).expect("write");
    }
    let loaded = spec::load(&dir);
    let _ = std::fs::remove_dir_all(&dir);
    match loaded {
        Ok(s) => {
            // The real crate's settings, read once: the record is the whole API's
            // (its `ErrorCode` variants and fields, which the generator keeps).
            static CFG: std::sync::OnceLock<bitrix24_codegen::generate::CrateConfig> =
                std::sync::OnceLock::new();
            let cfg = CFG.get_or_init(|| {
                let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                    .parent()
                    .expect("the workspace root");
                bitrix24_codegen::generate::main_crate(root).expect("release/published.yaml loads")
            });
            let _ = bitrix24_codegen::generate::generate(&s, cfg, Some("docs"));
        }
        Err(d) => {
            assert!(!d.0.is_empty(), "Err without diagnostics");
            for d in &d.0 {
                assert!(d.file.is_relative(), "absolute file in {d:?}");
                assert!(!d.message.trim().is_empty(), "empty message in {d:?}");
            }
        }
    }
    Ok(())
}
