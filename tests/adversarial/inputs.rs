// Generators of hostile input, shared by `tests/adversarial.rs` and
// `benches/importer.rs` (included with `include!`).

/// `n` list items, each with a bracket that never closes.
pub fn list_brackets(n: usize) -> String {
    format!(
        "# Brackets demo.x.y\n\nSome items:\n\n{}",
        "- [item `code` (x\n".repeat(n)
    )
}

/// A parameter table whose one description cell holds `n` links.
pub fn cell_links(n: usize) -> String {
    format!(
        "# Links demo.x.y\n\n## Method Parameters\n\n#|\n|| **Name**\n`type` | **Description** ||\n|| **A**\n[`string`](../data-types.md) | {} ||\n|#\n",
        "[see](#anchor) ".repeat(n)
    )
}

/// `n` notes, one after the other.
pub fn notes(n: usize) -> String {
    "{% note info %}\n\nA note.\n\n{% endnote %}\n\n".repeat(n)
}

/// `n` notes, none of them closed.
pub fn unclosed_notes(n: usize) -> String {
    "{% note info %}\nA note.\n".repeat(n)
}

/// `n` notes, each inside the one before.
pub fn nested_notes(n: usize) -> String {
    format!(
        "{}{}",
        "{% note info %}\n".repeat(n),
        "{% endnote %}\n".repeat(n)
    )
}

/// A response example nesting `n` arrays (never closed).
pub fn deep_json(n: usize) -> String {
    format!(
        "# Deep demo.x.y\n\n## Response Handling\n\n```json\n{{\"result\":\n{}\n```\n",
        "[".repeat(n)
    )
}

/// A page including `self.md`, which includes itself `n` times: the page and the
/// include file's text.
pub fn self_include(n: usize) -> (String, String) {
    let directive = "{% include [self](self.md) %}\n";
    (
        format!("# Includes demo.x.y\n\n{directive}"),
        directive.repeat(n),
    )
}

/// A page including `l1.md` `n` times.
pub fn fan_out_page(n: usize) -> String {
    format!(
        "# Fan-out demo.x.y\n\n{}",
        "{% include [l](l1.md) %}\n".repeat(n)
    )
}

/// The include files of [`fan_out_page`]: `lK.md` includes `l(K+1).md` `n` times, down
/// to `l5.md`, a paragraph.
pub fn fan_out_include(path: &str, n: usize) -> Option<String> {
    let k: usize = path
        .strip_prefix("api-reference/demo/l")?
        .strip_suffix(".md")?
        .parse()
        .ok()?;
    Some(match k {
        1..=4 => format!("{{% include [l](l{}.md) %}}\n", k + 1).repeat(n),
        5 => "Included text.\n".to_string(),
        _ => return None,
    })
}

/// `open`×n `integer` `close`×n.
pub fn nested_type(open: &str, close: &str, n: usize) -> String {
    format!("{}integer{}", open.repeat(n), close.repeat(n))
}

/// A summary paragraph nesting `n` block quotes, `n` list items and `n` emphasis marks
/// (what pulldown-cmark reads for plain text).
pub fn deep_markdown(n: usize) -> String {
    format!(
        "# Deep demo.x.y\n\n{}quoted\n\n{}item\n\n{}text{}\n",
        "> ".repeat(n),
        "- ".repeat(n),
        "*_".repeat(n),
        "_*".repeat(n)
    )
}
