//! Turning the docs' Markdown (as kept in the spec) into text that is safe in rustdoc
//! and in the generated Markdown pages.
//!
//! Rustdoc is stricter than the docs site: relative links point nowhere, bare URLs and
//! stray `<tag>`s warn, `[x]` looks like an intra-doc link, and an untagged or indented
//! code block is compiled as a Rust doctest. [`rustdoc`] fixes each of these; the
//! Markdown pages only need links made absolute ([`markdown`]).

/// Makes a docs-relative link absolute. `page` is the docs path of the page the text
/// came from (`api-reference/crm/call-list/crm-calllist-add.md`), `base` the site root.
pub fn absolute_link(base: &str, page: &str, target: &str) -> String {
    if target.contains("://") || target.starts_with("mailto:") {
        return target.to_owned();
    }
    let (path, anchor) = match target.split_once('#') {
        Some((p, a)) => (p, Some(a)),
        None => (target, None),
    };
    let mut resolved = if path.is_empty() {
        page.to_owned()
    } else if let Some(rooted) = path.strip_prefix('/') {
        rooted.to_owned()
    } else {
        let mut parts: Vec<&str> = page.split('/').collect();
        parts.pop();
        for seg in path.split('/') {
            match seg {
                "." | "" => {}
                ".." => {
                    parts.pop();
                }
                s => parts.push(s),
            }
        }
        parts.join("/")
    };
    if let Some(stem) = resolved.strip_suffix(".md") {
        resolved = format!("{stem}.html");
    }
    let mut url = format!("{}{}", base, resolved);
    if let Some(a) = anchor {
        url.push('#');
        url.push_str(a);
    }
    url
}

/// The published page of a docs path.
pub fn page_url(base: &str, page: &str) -> String {
    absolute_link(base, page, "")
}

/// Rewrites `](target)` links to absolute URLs, outside code spans and fences (a
/// regular expression in a code span, `` `[\/\-](0?[1-9])` ``, is not a link).
pub fn markdown(text: &str, base: &str, page: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let (mut i, mut last, mut code_run) = (0, 0, 0usize);
    while i < b.len() {
        if b[i] == b'`' {
            let run = b[i..].iter().take_while(|&&c| c == b'`').count();
            if code_run == run {
                code_run = 0;
            } else if code_run == 0 && closes(&b[i + run..], run) {
                code_run = run;
            }
            i += run;
            continue;
        }
        if code_run == 0 && b[i] == b']' && b.get(i + 1) == Some(&b'(') {
            let rest = &text[i + 2..];
            if let Some(end) = rest.find(')')
                && !rest[..end].contains(char::is_whitespace)
            {
                out.push_str(&text[last..i + 2]);
                out.push_str(&absolute_link(base, page, &rest[..end]));
                last = i + 2 + end;
                i = last;
                continue;
            }
        }
        i += 1;
    }
    out.push_str(&text[last..]);
    out
}

/// Whether `rest` holds a run of exactly `n` backticks (which closes a code span opened
/// by one; an unmatched run is literal text).
fn closes(rest: &[u8], n: usize) -> bool {
    let mut i = 0;
    while i < rest.len() {
        if rest[i] == b'`' {
            let run = rest[i..].iter().take_while(|&&c| c == b'`').count();
            if run == n {
                return true;
            }
            i += run;
        } else {
            i += 1;
        }
    }
    false
}

/// Markdown safe for rustdoc: absolute links, code fences tagged `text` unless they name
/// a language, indentation that would make a code block removed, `<`/`>` outside code
/// escaped, bare URLs wrapped in `<...>`, `[`/`]` that are not links escaped.
pub fn rustdoc(text: &str, base: &str, page: &str) -> String {
    let text = markdown(text, base, page);
    let mut out = Vec::new();
    let mut fence: Option<String> = None;
    // The text column of the list item the previous lines belong to.
    let mut item: Option<usize> = None;
    for line in text.lines() {
        let trimmed = line.trim_start();
        if let Some(marker) = fence.clone() {
            if trimmed.starts_with(marker.as_str()) {
                fence = None;
                out.push(marker);
            } else {
                out.push(line.to_owned());
            }
            continue;
        }
        // A backtick fence's info string holds no backtick (CommonMark): a line starting
        // with a code span (```` ```^[0-9]+$``` ````) is text.
        let code_span = trimmed.starts_with("```") && trimmed.trim_start_matches('`').contains('`');
        if !code_span && (trimmed.starts_with("```") || trimmed.starts_with("~~~")) {
            let marker: String = trimmed
                .chars()
                .take_while(|c| *c == '`' || *c == '~')
                .collect();
            let lang = trimmed[marker.len()..].trim();
            let lang = match lang {
                "" | "rust" | "rs" => "text",
                other => other,
            };
            out.push(format!("{marker}{lang}"));
            fence = Some(marker);
            item = None;
            continue;
        }
        // Keep list nesting shallow: at most two spaces of indentation, so no line is
        // ever an indented code block.
        let mut indent = (line.len() - trimmed.len()).min(2);
        if trimmed.is_empty() {
            item = None;
        } else if let Some(width) = list_marker(trimmed) {
            item = Some(indent + width);
        } else if let Some(content) = item
            && indent < content
        {
            // A line right after a list item continues it (Markdown's lazy
            // continuation): indent it as the item's text, which rustdoc and clippy
            // expect, so it renders as upstream's does.
            indent = content.min(3);
        }
        out.push(format!("{}{}", " ".repeat(indent), escape_inline(trimmed)));
    }
    if let Some(marker) = fence {
        out.push(marker);
    }
    out.join("\n").trim().to_owned()
}

/// The width of a list marker that starts `line` with its space (`- ` → 2, `12. ` → 4).
fn list_marker(line: &str) -> Option<usize> {
    if line.starts_with("- ") || line.starts_with("* ") || line.starts_with("+ ") {
        return Some(2);
    }
    let digits = line.bytes().take_while(u8::is_ascii_digit).count();
    let rest = &line[digits..];
    (digits > 0 && digits <= 9 && (rest.starts_with(". ") || rest.starts_with(") ")))
        .then_some(digits + 2)
}

/// Escapes one line outside code spans.
fn escape_inline(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + 8);
    let mut in_code = false;
    let chars: Vec<char> = line.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '`' {
            in_code = !in_code;
            out.push(c);
            i += 1;
            continue;
        }
        if in_code {
            out.push(c);
            i += 1;
            continue;
        }
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '[' => {
                // A Markdown link `[text](url)` stays; anything else is escaped.
                if let Some(close) = find_link_end(&chars, i) {
                    let link: String = chars[i..close].iter().collect();
                    out.push_str(&link);
                    i = close;
                    continue;
                }
                out.push_str("\\[");
            }
            ']' => out.push_str("\\]"),
            'h' if starts_with_url(&chars[i..]) => {
                let end = chars[i..]
                    .iter()
                    .position(|c| c.is_whitespace() || matches!(c, ')' | '>' | '"' | '\''))
                    .map_or(chars.len(), |p| i + p);
                let mut url: String = chars[i..end].iter().collect();
                let mut trailing = String::new();
                while url.ends_with(['.', ',', ';', ':']) {
                    if let Some(c) = url.pop() {
                        trailing.insert(0, c);
                    }
                }
                out.push('<');
                out.push_str(&url);
                out.push('>');
                out.push_str(&trailing);
                i = end;
                continue;
            }
            '\\' if i + 1 < chars.len() => {
                out.push(c);
                out.push(chars[i + 1]);
                i += 2;
                continue;
            }
            _ => out.push(c),
        }
        i += 1;
    }
    if in_code {
        // An unclosed code span: close it so it does not swallow the next line.
        out.push('`');
    }
    out
}

fn starts_with_url(chars: &[char]) -> bool {
    let head: String = chars.iter().take(8).collect();
    head.starts_with("http://") || head.starts_with("https://")
}

/// For `[` at `start`, the index just past `[text](url)` when that is what follows.
fn find_link_end(chars: &[char], start: usize) -> Option<usize> {
    let mut depth = 0;
    let mut i = start;
    while i < chars.len() {
        match chars[i] {
            '[' => depth += 1,
            ']' => {
                depth -= 1;
                if depth == 0 {
                    break;
                }
            }
            _ => {}
        }
        i += 1;
    }
    if i + 1 >= chars.len() || chars[i + 1] != '(' {
        return None;
    }
    let close = chars[i + 1..].iter().position(|c| *c == ')')? + i + 1;
    let url: String = chars[i + 2..close].iter().collect();
    (url.contains("://") && !url.contains(char::is_whitespace)).then_some(close + 1)
}

/// An error code as a Markdown code span; the empty code (`"error": ""`) spelled out.
pub fn code_span(code: &str) -> String {
    if code.is_empty() {
        "`\"\"` (empty)".to_owned()
    } else {
        format!("`{}`", code.replace('`', "'").replace('|', "\\|"))
    }
}

/// One-line text for tables: first line, pipes escaped.
pub fn table_cell(text: &str) -> String {
    text.split("\n\n")
        .next()
        .unwrap_or("")
        .replace('\n', " ")
        .replace('|', "\\|")
        .trim()
        .to_owned()
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_line_that_continues_a_list_item_is_indented_as_its_text() {
        let md = "- `Y`: yes\nThe value `N` is not supported\n\nAfter the list.\n1. one\ncontinued";
        assert_eq!(
            super::rustdoc(md, "https://x", "a.md"),
            "- `Y`: yes\n  The value `N` is not supported\n\nAfter the list.\n1. one\n   continued"
        );
    }

    use super::*;

    const BASE: &str = "https://apidocs.bitrix24.com/";
    const PAGE: &str = "api-reference/crm/call-list/crm-calllist-add.md";

    #[test]
    fn code_spans_are_not_links_nor_fences() {
        let md =
            "Date:\n```^(0?[1-9])[\\/\\-](0?[1-9]|1[012])$```\nsee [x](a.md) and `one` [y](b.md)";
        let out = rustdoc(md, "https://h/", "api-reference/p.md");
        assert!(out.contains("[\\/\\-](0?[1-9]|1[012])"), "{out}");
        assert!(out.contains("(https://h/api-reference/a.html)"), "{out}");
        assert!(out.contains("(https://h/api-reference/b.html)"), "{out}");
        assert!(
            !out.contains("```text"),
            "a code span opened a fence: {out}"
        );
        // An unmatched backtick is text: links after it are still rewritten.
        let out = markdown("a ` b [z](c.md)", "https://h/", "api-reference/p.md");
        assert_eq!(out, "a ` b [z](https://h/api-reference/c.html)");
    }

    #[test]
    fn links_become_absolute() {
        assert_eq!(
            absolute_link(BASE, PAGE, "../universal/crm-item-list.md"),
            "https://apidocs.bitrix24.com/api-reference/crm/universal/crm-item-list.html"
        );
        assert_eq!(
            absolute_link(BASE, PAGE, "../../data-types.md#time"),
            "https://apidocs.bitrix24.com/api-reference/data-types.html#time"
        );
        assert_eq!(
            absolute_link(BASE, PAGE, "/limits.html"),
            "https://apidocs.bitrix24.com/limits.html"
        );
        assert_eq!(absolute_link(BASE, PAGE, "https://x.y/z"), "https://x.y/z");
    }

    #[test]
    fn rustdoc_escapes() {
        let text = "Use [crm.item.list](../universal/crm-item-list.md) with `filter[>ID]`, a <br> and [0]\nsee https://your-domain.com/crm/webform/.";
        assert_eq!(
            rustdoc(text, BASE, PAGE),
            "Use [crm.item.list](https://apidocs.bitrix24.com/api-reference/crm/universal/crm-item-list.html) with `filter[>ID]`, a &lt;br&gt; and \\[0\\]\nsee <https://your-domain.com/crm/webform/>."
        );
    }

    #[test]
    fn fences_are_tagged_and_indentation_capped() {
        let text = "Example:\n\n    ```\n    x = 1\n    ```\n\n        deep";
        assert_eq!(
            rustdoc(text, BASE, PAGE),
            "Example:\n\n```text\n    x = 1\n```\n\n  deep"
        );
    }
}
