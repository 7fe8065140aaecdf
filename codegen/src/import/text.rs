//! Cell and paragraph text: plain text via pulldown-cmark, code spans, links, and the
//! clean Markdown written into descriptions (links made absolute, YFM leftovers removed).

use std::collections::{BTreeMap, BTreeSet};

use pulldown_cmark::{Event, Parser, TagEnd};

/// Where a page lives, to make its relative links absolute.
#[derive(Debug, Clone)]
pub struct LinkCtx {
    /// Path of the page inside the docs repository.
    pub page_path: String,
    /// Base URL of the published docs (with a trailing `/`).
    pub base_url: String,
    /// Reference link definitions of the page (`[1]: ../data-types.md`).
    pub defs: BTreeMap<String, String>,
}

/// The published URL of a docs path (`a/b.md#x` → `https://…/a/b.html#x`).
pub fn page_url(base_url: &str, path: &str) -> String {
    let (p, anchor) = match path.split_once('#') {
        Some((p, a)) => (p, Some(a)),
        None => (path, None),
    };
    let p = p
        .strip_suffix(".md")
        .map_or_else(|| p.to_string(), |s| format!("{s}.html"));
    let mut url = format!("{base_url}{}", p.trim_start_matches('/'));
    if let Some(a) = anchor {
        url.push('#');
        url.push_str(a);
    }
    url
}

/// Resolves `rel` against the directory of `page_path`; `None` when it climbs above
/// the repository root. Anchors are kept.
pub fn resolve_path(page_path: &str, rel: &str) -> Option<String> {
    let (rel_path, anchor) = match rel.split_once('#') {
        Some((p, a)) => (p, Some(a)),
        None => (rel, None),
    };
    let mut parts: Vec<&str> = if rel_path.starts_with('/') {
        Vec::new()
    } else {
        let mut v: Vec<&str> = page_path.split('/').collect();
        v.pop();
        v
    };
    for seg in rel_path.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            s => parts.push(s),
        }
    }
    let mut out = parts.join("/");
    if let Some(a) = anchor {
        out.push('#');
        out.push_str(a);
    }
    Some(out)
}

/// Plain text of a Markdown fragment, whitespace collapsed to single spaces.
pub fn plain(md: &str) -> String {
    let mut out = String::new();
    for ev in Parser::new(md) {
        match ev {
            Event::Text(t) | Event::Code(t) => out.push_str(&t),
            Event::SoftBreak | Event::HardBreak => out.push(' '),
            Event::End(
                TagEnd::Paragraph | TagEnd::Item | TagEnd::Heading(_) | TagEnd::CodeBlock,
            ) => out.push(' '),
            Event::Html(t) | Event::InlineHtml(t) => out.push_str(&t),
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The inline code spans of a fragment, in order (without backticks).
pub fn code_spans(md: &str) -> Vec<String> {
    let mut out = Vec::new();
    let chars: Vec<char> = md.chars().collect();
    // Run lengths known to have no closing run further on (each is searched once).
    let mut unclosed = BTreeSet::new();
    let mut k = 0;
    while k < chars.len() {
        if chars[k] == '\\' {
            k += 2;
            continue;
        }
        if chars[k] == '`' {
            let run = chars[k..].iter().take_while(|&&c| c == '`').count();
            let mut m = if unclosed.contains(&run) {
                chars.len()
            } else {
                k + run
            };
            let mut found = None;
            while m < chars.len() {
                if chars[m] == '`' {
                    let r = chars[m..].iter().take_while(|&&c| c == '`').count();
                    if r == run {
                        found = Some(m);
                        break;
                    }
                    m += r;
                } else {
                    m += 1;
                }
            }
            match found {
                Some(end) => {
                    let s: String = chars[k + run..end].iter().collect();
                    out.push(s.trim().to_string());
                    k = end + run;
                }
                None => {
                    unclosed.insert(run);
                    k += run;
                }
            }
            continue;
        }
        k += 1;
    }
    out
}

/// A Markdown link found in text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// Byte range of the whole link in the source.
    pub start: usize,
    /// End of the whole link (exclusive).
    pub end: usize,
    /// The link text (Markdown).
    pub text: String,
    /// The target (reference links resolved; empty when unknown).
    pub target: String,
    /// `![..](..)`.
    pub image: bool,
}

/// For every `[` and `(` byte of a text, the index of the bracket closing it, found in
/// one pass (links are searched in page-sized text: a scan per bracket is quadratic).
///
/// The rules: a `\` escapes the next byte; the text between a bracket and its closer
/// holds an even number of backticks (brackets inside code spans do not count); a
/// `(` is not closed across a line break. Backtick parity splits the text into two
/// classes of positions that never see each other's brackets, so each class keeps its own
/// stacks. An escaped bracket never nests, but may itself be closed (`\[a]`).
struct Closers {
    /// `close[k]`: the closer of the bracket at `k`; 0 when it has none.
    close: Vec<usize>,
}

/// Open brackets of one kind in one backtick class.
#[derive(Default)]
struct Opens {
    /// Unescaped opens, innermost last.
    stack: Vec<usize>,
    /// Escaped opens with the `stack` height they were seen at, innermost last.
    escaped: Vec<(usize, usize)>,
}

impl Opens {
    fn close(&mut self, at: usize, close: &mut [usize]) {
        let height = self.stack.len();
        while let Some(&(e, h)) = self.escaped.last() {
            if h != height {
                break;
            }
            close[e] = at;
            self.escaped.pop();
        }
        if let Some(j) = self.stack.pop() {
            close[j] = at;
        }
    }

    fn clear(&mut self) {
        self.stack.clear();
        self.escaped.clear();
    }
}

impl Closers {
    fn new(s: &[u8]) -> Closers {
        let mut close = vec![0usize; s.len()];
        // [backtick class][0: `[`, 1: `(`]
        let mut opens: [[Opens; 2]; 2] = Default::default();
        let mut class = 0usize;
        let mut k = 0;
        while k < s.len() {
            let b = s[k];
            if b == b'\\' {
                // The escaped byte closes nothing, but an escaped bracket is an open of
                // its own (`links` looks at every `[`).
                if let Some(&e) = s.get(k + 1) {
                    let kind = match e {
                        b'[' => Some(0),
                        b'(' => Some(1),
                        _ => None,
                    };
                    if let Some(kind) = kind {
                        let o = &mut opens[class][kind];
                        o.escaped.push((k + 1, o.stack.len()));
                    }
                }
                k += 2;
                continue;
            }
            match b {
                b'`' => class ^= 1,
                b'[' => opens[class][0].stack.push(k),
                b'(' => opens[class][1].stack.push(k),
                b']' => opens[class][0].close(k, &mut close),
                b')' => opens[class][1].close(k, &mut close),
                b'\n' => opens[class][1].clear(),
                _ => {}
            }
            k += 1;
        }
        Closers { close }
    }

    /// The closer of the bracket at `open`.
    fn of(&self, open: usize) -> Option<usize> {
        self.close.get(open).copied().filter(|&c| c > open)
    }
}

/// All links of a fragment (inline and reference style), outside code spans.
pub fn links(md: &str, defs: &BTreeMap<String, String>) -> Vec<Link> {
    let s = md.as_bytes();
    let closers = Closers::new(s);
    let mut out = Vec::new();
    let mut k = 0;
    let mut code_run = 0usize;
    while k < s.len() {
        let b = s[k];
        if b == b'`' {
            let run = s[k..].iter().take_while(|&&c| c == b'`').count();
            if code_run == 0 {
                code_run = run;
            } else if code_run == run {
                code_run = 0;
            }
            k += run;
            continue;
        }
        if code_run > 0 || b != b'[' {
            k += 1;
            continue;
        }
        let image = k > 0 && s[k - 1] == b'!';
        let Some(close) = closers.of(k) else {
            k += 1;
            continue;
        };
        let text = md[k + 1..close].to_string();
        let start = if image { k - 1 } else { k };
        if s.get(close + 1) == Some(&b'(')
            && let Some(end) = closers.of(close + 1)
        {
            let target = md[close + 2..end].trim();
            let target = target.split_whitespace().next().unwrap_or("").to_string();
            out.push(Link {
                start,
                end: end + 1,
                text,
                target,
                image,
            });
            k = end + 1;
            continue;
        }
        if s.get(close + 1) == Some(&b'[')
            && let Some(end) = closers.of(close + 1)
        {
            let label = &md[close + 2..end];
            let target = defs.get(label).cloned().unwrap_or_default();
            out.push(Link {
                start,
                end: end + 1,
                text,
                target,
                image,
            });
            k = end + 1;
            continue;
        }
        k = close + 1;
    }
    out
}

/// Makes a link target absolute; `None` for targets that are not links (footnotes).
pub fn absolute(target: &str, ctx: &LinkCtx) -> Option<String> {
    if target.is_empty() || target.starts_with('*') {
        return None;
    }
    if target.contains("://") || target.starts_with("mailto:") {
        return Some(target.to_string());
    }
    if let Some(anchor) = target.strip_prefix('#') {
        return Some(format!(
            "{}#{anchor}",
            page_url(&ctx.base_url, &ctx.page_path)
        ));
    }
    if target.starts_with('/') {
        return Some(format!(
            "{}{}",
            ctx.base_url,
            target.trim_start_matches('/')
        ));
    }
    let resolved = resolve_path(&ctx.page_path, target)?;
    Some(page_url(&ctx.base_url, &resolved))
}

/// Description Markdown: links absolute, `{#T}` titles spelled out, YFM directives
/// removed, inner YFM tables turned into pipe tables, whitespace tidied.
pub fn clean_md(md: &str, ctx: &LinkCtx) -> String {
    let md = convert_inner_tables(md);
    let mut lines: Vec<String> = Vec::new();
    let mut in_fence = false;
    for line in md.lines() {
        let t = line.trim();
        if t.starts_with("{%") && t.ends_with("%}") {
            continue;
        }
        if t.starts_with("```") {
            // Unlabeled fences would be compiled as Rust by rustdoc: label them `text`.
            if !in_fence && t == "```" {
                lines.push(line.replacen("```", "```text", 1).trim_end().to_string());
                in_fence = true;
                continue;
            }
            in_fence = !in_fence;
        }
        lines.push(line.trim_end().to_string());
    }
    let md = lines.join("\n");
    let mut out = String::new();
    let mut last = 0;
    for l in links(&md, &ctx.defs) {
        out.push_str(&md[last..l.start]);
        let url = absolute(&l.target, ctx);
        let mut text = l.text.clone();
        if text.contains("{#T}") {
            let stem = l
                .target
                .rsplit('/')
                .next()
                .unwrap_or("")
                .split('#')
                .next()
                .unwrap_or("")
                .trim_end_matches(".md")
                .to_string();
            text = text.replace("{#T}", &stem);
        }
        match url {
            Some(u) if l.image => out.push_str(&format!("![{text}]({u})")),
            Some(u) => out.push_str(&format!("[{text}]({u})")),
            None => out.push_str(&text),
        }
        last = l.end;
    }
    out.push_str(&md[last..]);
    tidy(&out)
}

/// Trailing spaces removed, runs of blank lines collapsed, ends trimmed.
pub fn tidy(s: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    for line in s.lines().map(str::trim_end) {
        if line.is_empty() && out.last().is_none_or(|l| l.is_empty()) {
            continue;
        }
        out.push(line);
    }
    while out.last().is_some_and(|l| l.is_empty()) {
        out.pop();
    }
    out.join("\n")
}

/// Turns `#| ||a|b|| |#` tables inside a cell into Markdown pipe tables.
fn convert_inner_tables(md: &str) -> String {
    if !md.contains("#|") {
        return md.to_string();
    }
    let mut out: Vec<String> = Vec::new();
    let mut rows: Option<Vec<Vec<String>>> = None;
    for line in md.lines() {
        let t = line.trim();
        match rows.as_mut() {
            None if t.starts_with("#|") => rows = Some(Vec::new()),
            None => out.push(line.to_string()),
            Some(r) => {
                if t.starts_with("|#") {
                    let r = rows.take().unwrap_or_default();
                    for (i, cells) in r.iter().enumerate() {
                        out.push(format!("| {} |", cells.join(" | ")));
                        if i == 0 {
                            out.push(format!("|{}", " --- |".repeat(cells.len())));
                        }
                    }
                } else if let Some(inner) = t.strip_prefix("||").and_then(|x| x.strip_suffix("||"))
                {
                    r.push(inner.split('|').map(|c| c.trim().to_string()).collect());
                } else if !t.is_empty() {
                    out.push(line.to_string());
                }
            }
        }
    }
    out.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> LinkCtx {
        LinkCtx {
            page_path: "api-reference/crm/call-list/crm-calllist-add.md".into(),
            base_url: "https://apidocs.bitrix24.com/".into(),
            defs: BTreeMap::from([("1".to_string(), "../../data-types.md".to_string())]),
        }
    }

    /// The scan [`Closers`] replaces: one bracket at a time (quadratic on unclosed ones).
    fn matching(s: &[u8], open: usize, o: u8, c: u8) -> Option<usize> {
        let mut depth = 0usize;
        let mut k = open;
        let mut in_code = false;
        while k < s.len() {
            let b = s[k];
            if b == b'\\' {
                k += 2;
                continue;
            }
            if b == b'`' {
                in_code = !in_code;
            } else if !in_code {
                if b == o {
                    depth += 1;
                } else if b == c {
                    depth -= 1;
                    if depth == 0 {
                        return Some(k);
                    }
                } else if b == b'\n' && o == b'(' {
                    return None;
                }
            }
            k += 1;
        }
        None
    }

    #[test]
    fn closers_agree_with_the_scan_they_replace() {
        let alphabet = b"[]()`\\\na";
        // xorshift64: every text of up to 16 bytes over the alphabet is likely covered.
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        for _ in 0..50_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let len = (x % 17) as usize;
            let s: Vec<u8> = (0..len)
                .map(|i| alphabet[((x >> (4 + 3 * i)) % alphabet.len() as u64) as usize])
                .collect();
            let closers = Closers::new(&s);
            for (k, &b) in s.iter().enumerate() {
                let expected = match b {
                    b'[' => matching(&s, k, b'[', b']'),
                    b'(' => matching(&s, k, b'(', b')'),
                    _ => continue,
                };
                assert_eq!(
                    closers.of(k),
                    expected,
                    "{:?} at {k}",
                    String::from_utf8_lossy(&s)
                );
            }
        }
    }

    #[test]
    fn unclosed_brackets_and_code_runs_are_linear() {
        // 200,000 unclosed brackets / backtick runs: a scan per bracket would take minutes.
        let md = "- [a `` b\n".repeat(20_000);
        assert!(links(&md, &BTreeMap::new()).is_empty());
        let runs: String = (1..600).map(|n| format!("{} x ", "`".repeat(n))).collect();
        assert!(code_spans(&runs).is_empty());
    }

    #[test]
    fn paths_and_urls() {
        assert_eq!(
            resolve_path("a/b/c.md", "../d/e.md#x").as_deref(),
            Some("a/d/e.md#x")
        );
        assert_eq!(resolve_path("a.md", "../../x.md"), None);
        assert_eq!(page_url("https://h/", "a/b.md#k"), "https://h/a/b.html#k");
    }

    #[test]
    fn plain_and_code() {
        assert_eq!(
            plain("**ENTITY_TYPE***\n[`string`](x.md)"),
            "ENTITY_TYPE* string"
        );
        assert_eq!(code_spans("a `b` c ``d`e`` f"), vec!["b", "d`e"]);
    }

    #[test]
    fn links_are_made_absolute() {
        let md = clean_md(
            "See [list](../universal/crm-item-list.md), [t][1], [here](#fields), [{#T}](./x.md) and [k](*key)",
            &ctx(),
        );
        assert_eq!(
            md,
            "See [list](https://apidocs.bitrix24.com/api-reference/crm/universal/crm-item-list.html), \
             [t](https://apidocs.bitrix24.com/api-reference/data-types.html), \
             [here](https://apidocs.bitrix24.com/api-reference/crm/call-list/crm-calllist-add.html#fields), \
             [x](https://apidocs.bitrix24.com/api-reference/crm/call-list/x.html) and k"
        );
    }

    #[test]
    fn unlabeled_fences_become_text() {
        assert_eq!(
            clean_md("a\n```\n{x: 1}\n```\n```js\ny\n```", &ctx()),
            "a\n```text\n{x: 1}\n```\n```js\ny\n```"
        );
    }

    #[test]
    fn inner_tables_become_pipe_tables() {
        let md = clean_md(
            "Values:\n\n#|\n||ID|Name||\n||NEW | New||\n|#\n\nmore",
            &ctx(),
        );
        assert_eq!(
            md,
            "Values:\n\n| ID | Name |\n| --- | --- |\n| NEW | New |\n\nmore"
        );
    }
}
