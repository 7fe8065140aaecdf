//! A hand-written block parser for the docs' Markdown dialect (Diplodoc YFM).
//!
//! No CommonMark parser understands YFM tables (`#|` … `|#`, rows `|| a | b ||` that
//! span lines and hold lists, fences and nested tables), so the block structure is
//! parsed here, line by line; cell text is left as Markdown for [`super::text`].
//!
//! The parser never fails: anything it cannot make sense of becomes a [`Problem`]
//! with its line, and parsing goes on.

/// A problem found while parsing, with its 1-based line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// 1-based line in the page.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// One block of a page.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    /// `#`…`######` heading, with its `{#anchor}`.
    Heading {
        /// 1–6.
        level: usize,
        /// Heading text without the anchor.
        text: String,
        /// The `{#anchor}`, when given.
        anchor: Option<String>,
        /// 1-based line.
        line: usize,
    },
    /// A `#|` … `|#` table.
    Table(Table),
    /// A fenced code block.
    Fence(Fence),
    /// `{% include [..](path) %}`.
    Include {
        /// The path as written (relative to the page).
        path: String,
        /// 1-based line.
        line: usize,
    },
    /// `{% note kind "title" %}` … `{% endnote %}`.
    Note {
        /// `info`, `warning`, `tip`, `alert`, ...
        kind: String,
        /// The quoted title (may be empty).
        title: String,
        /// The blocks inside.
        body: Vec<Block>,
        /// 1-based line.
        line: usize,
    },
    /// `{% list tabs %}` … `{% endlist %}`.
    Tabs {
        /// The tabs in order.
        tabs: Vec<Tab>,
        /// 1-based line.
        line: usize,
    },
    /// Any other run of non-blank lines (paragraphs, lists, block quotes), raw.
    Para {
        /// The lines, joined with `\n`, each with its indentation.
        text: String,
        /// 1-based line of the first line.
        line: usize,
    },
    /// A reference link definition `[label]: url`.
    LinkDef {
        /// The label (without brackets).
        label: String,
        /// The target.
        url: String,
    },
}

/// A fenced code block.
#[derive(Debug, Clone, PartialEq)]
pub struct Fence {
    /// The info string (`json`, `bash`, ...), lower-cased.
    pub lang: String,
    /// The body, dedented by the fence's own indentation.
    pub body: String,
    /// 1-based line of the opening fence.
    pub line: usize,
}

/// One tab of `{% list tabs %}`.
#[derive(Debug, Clone, PartialEq)]
pub struct Tab {
    /// The tab title (`cURL (Webhook)`).
    pub title: String,
    /// The blocks inside.
    pub body: Vec<Block>,
    /// 1-based line of the title.
    pub line: usize,
}

/// A YFM table.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// 1-based line of `#|`.
    pub line: usize,
    /// The rows, header included.
    pub rows: Vec<Row>,
}

/// A table row.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// 1-based line where the row starts.
    pub line: usize,
    /// Cell texts (Markdown, trimmed; `\|` unescaped).
    pub cells: Vec<String>,
}

/// The result of parsing a page.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Parsed {
    /// Top-level blocks.
    pub blocks: Vec<Block>,
    /// Problems found.
    pub problems: Vec<Problem>,
}

/// Parses a page: conditionals first (unpublished branches dropped), then blocks.
pub fn parse(text: &str) -> Parsed {
    let mut problems = Vec::new();
    let lines = preprocess(text, &mut problems);
    let numbered: Vec<(usize, &str)> = lines
        .iter()
        .enumerate()
        .map(|(i, l)| (i + 1, l.as_str()))
        .collect();
    let blocks = parse_lines(&numbered, 0, &mut problems);
    Parsed { blocks, problems }
}

/// A whole-line `{% ... %}` directive: its inner text.
fn directive(trimmed: &str) -> Option<&str> {
    let inner = trimmed.strip_prefix("{%")?.strip_suffix("%}")?;
    Some(
        inner
            .trim()
            .trim_start_matches('-')
            .trim_end_matches('-')
            .trim(),
    )
}

/// Evaluates an `{% if %}` condition for the published build.
fn eval_condition(cond: &str) -> Option<bool> {
    let c: String = cond.split_whitespace().collect::<Vec<_>>().join(" ");
    let c = c.replace('"', "'");
    match c.as_str() {
        "build == 'dev'" => Some(false),
        "build != 'dev'" => Some(true),
        _ => None,
    }
}

struct IfFrame {
    /// Lines of the current branch are shown.
    active: bool,
    /// A branch of this `if` was already taken.
    taken: bool,
    /// The enclosing frame was active.
    outer: bool,
    line: usize,
}

/// Resolves `{% if %}`/`{% elsif %}`/`{% else %}`/`{% endif %}` (keeping what the
/// published build shows) and drops `{% cut %}` wrappers; removed lines become blank
/// so line numbers stay right.
fn preprocess(text: &str, problems: &mut Vec<Problem>) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack: Vec<IfFrame> = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let raw = raw.trim_end_matches('\r');
        let active = stack.last().is_none_or(|f| f.active);
        let trimmed = raw.trim();
        if let Some(d) = directive(trimmed) {
            let word = d.split_whitespace().next().unwrap_or("");
            match word {
                "if" => {
                    let cond = d[2..].trim();
                    let v = eval_condition(cond).unwrap_or_else(|| {
                        problems.push(Problem {
                            line,
                            message: format!(
                                "unknown condition `{cond}`: treated as false (not in the published build)"
                            ),
                        });
                        false
                    });
                    stack.push(IfFrame {
                        active: active && v,
                        taken: v,
                        outer: active,
                        line,
                    });
                    out.push(String::new());
                    continue;
                }
                "elsif" | "elif" => {
                    let cond = d[word.len()..].trim();
                    if let Some(f) = stack.last_mut() {
                        let v = eval_condition(cond).unwrap_or(false);
                        f.active = f.outer && !f.taken && v;
                        f.taken |= v;
                    } else {
                        problems.push(Problem {
                            line,
                            message: "`elsif` without `if`".into(),
                        });
                    }
                    out.push(String::new());
                    continue;
                }
                "else" => {
                    if let Some(f) = stack.last_mut() {
                        f.active = f.outer && !f.taken;
                        f.taken = true;
                    } else {
                        problems.push(Problem {
                            line,
                            message: "`else` without `if`".into(),
                        });
                    }
                    out.push(String::new());
                    continue;
                }
                "endif" => {
                    if stack.pop().is_none() {
                        problems.push(Problem {
                            line,
                            message: "`endif` without `if`".into(),
                        });
                    }
                    out.push(String::new());
                    continue;
                }
                "cut" | "endcut" | "changelog" | "endchangelog" => {
                    out.push(String::new());
                    continue;
                }
                _ => {}
            }
        }
        out.push(if active {
            raw.to_string()
        } else {
            String::new()
        });
    }
    for f in stack {
        problems.push(Problem {
            line: f.line,
            message: "`if` without `endif`".into(),
        });
    }
    out
}

fn indent_of(s: &str) -> usize {
    s.len() - s.trim_start_matches([' ', '\t']).len()
}

/// Removes up to `n` leading spaces/tabs.
fn dedent(s: &str, n: usize) -> &str {
    let mut cut = 0;
    for (i, c) in s.char_indices() {
        if i >= n || (c != ' ' && c != '\t') {
            break;
        }
        cut = i + c.len_utf8();
    }
    &s[cut..]
}

/// The fence a line opens or closes. A backtick fence's info string holds no backtick
/// (CommonMark): "```^[0-9]+$``` ||" is a code span at the start of a line, not a fence.
fn fence_marker(trimmed: &str) -> Option<&'static str> {
    if trimmed.starts_with("```") {
        let info = trimmed.trim_start_matches('`');
        (!info.contains('`')).then_some("```")
    } else if trimmed.starts_with("~~~") {
        Some("~~~")
    } else {
        None
    }
}

fn heading(trimmed: &str) -> Option<(usize, String, Option<String>)> {
    let level = trimmed.chars().take_while(|&c| c == '#').count();
    if level == 0 || level > 6 {
        return None;
    }
    let rest = &trimmed[level..];
    if !rest.is_empty() && !rest.starts_with(' ') {
        return None;
    }
    let mut text = rest.trim().to_string();
    let mut anchor = None;
    if let Some(start) = text.rfind("{#")
        && text.ends_with('}')
    {
        anchor = Some(text[start + 2..text.len() - 1].trim().to_string());
        text = text[..start].trim().to_string();
    }
    Some((level, text, anchor))
}

fn link_def(trimmed: &str) -> Option<(String, String)> {
    let rest = trimmed.strip_prefix('[')?;
    let close = rest.find("]:")?;
    let label = &rest[..close];
    if label.is_empty() || label.contains('[') {
        return None;
    }
    let url = rest[close + 2..].trim();
    Some((
        label.to_string(),
        url.split_whitespace().next().unwrap_or("").to_string(),
    ))
}

fn starts_block(trimmed: &str) -> bool {
    fence_marker(trimmed).is_some()
        || trimmed.starts_with("#|")
        || directive(trimmed).is_some()
        || heading(trimmed).is_some()
}

/// Parses `{% include [..](path) %}` / `{% include notitle [..](path) %}`.
fn include_path(d: &str) -> Option<String> {
    let rest = d.strip_prefix("include")?;
    let open = rest.find("](")?;
    let after = &rest[open + 2..];
    let close = after.find(')')?;
    Some(after[..close].trim().to_string())
}

/// Parses `note kind "title"`.
fn note_header(d: &str) -> (String, String) {
    let rest = d.strip_prefix("note").unwrap_or(d).trim();
    let kind = rest
        .split_whitespace()
        .next()
        .unwrap_or("")
        .trim_matches('"')
        .to_string();
    let title = match (rest.find('"'), rest.rfind('"')) {
        (Some(a), Some(b)) if b > a => rest[a + 1..b].trim().to_string(),
        _ => String::new(),
    };
    (kind, title)
}

/// Finds the line index closing a directive opened at `start` (nesting aware).
fn find_close(lines: &[(usize, &str)], start: usize, open: &str, close: &str) -> Option<usize> {
    let mut depth = 0usize;
    let mut fence: Option<&str> = None;
    for (j, (_, l)) in lines.iter().enumerate().skip(start + 1) {
        let t = l.trim();
        if let Some(m) = fence {
            if t.starts_with(m) {
                fence = None;
            }
            continue;
        }
        if let Some(m) = fence_marker(t) {
            fence = Some(m);
            continue;
        }
        if let Some(d) = directive(t) {
            let w = d.split_whitespace().next().unwrap_or("");
            if w == open {
                depth += 1;
            } else if w == close {
                if depth == 0 {
                    return Some(j);
                }
                depth -= 1;
            }
        }
    }
    None
}

/// How deep `{% note %}` and `{% list tabs %}` blocks may nest (the docs nest two or
/// three). Deeper directives are read as text: each nesting level scans its body again,
/// and the block tree is walked recursively.
pub const MAX_NESTING: usize = 16;

fn parse_lines(lines: &[(usize, &str)], depth: usize, problems: &mut Vec<Problem>) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let (no, raw) = lines[i];
        let t = raw.trim();
        if t.is_empty() {
            i += 1;
            continue;
        }
        if let Some(marker) = fence_marker(t) {
            let indent = indent_of(raw);
            let lang = t.trim_start_matches(['`', '~']).trim().to_lowercase();
            let mut body = Vec::new();
            let mut j = i + 1;
            let mut closed = false;
            while j < lines.len() {
                let lt = lines[j].1.trim();
                if lt.starts_with(marker) && lt.trim_start_matches(['`', '~']).trim().is_empty() {
                    closed = true;
                    break;
                }
                body.push(dedent(lines[j].1, indent));
                j += 1;
            }
            if !closed {
                problems.push(Problem {
                    line: no,
                    message: "code fence is never closed".into(),
                });
            }
            blocks.push(Block::Fence(Fence {
                lang,
                body: body.join("\n"),
                line: no,
            }));
            i = j + 1;
            continue;
        }
        if t.starts_with("#|") {
            let (table, next) = parse_table(lines, i, problems);
            blocks.push(Block::Table(table));
            i = next;
            continue;
        }
        if let Some(d) = directive(t) {
            let word = d.split_whitespace().next().unwrap_or("");
            if depth >= MAX_NESTING && matches!(word, "note" | "list" | "endnote" | "endlist") {
                if matches!(word, "note" | "list") {
                    problems.push(Problem {
                        line: no,
                        message: format!(
                            "`{word}` nested deeper than {MAX_NESTING} levels: the directive is ignored"
                        ),
                    });
                }
                i += 1;
                continue;
            }
            match word {
                "include" => {
                    match include_path(d) {
                        Some(path) => blocks.push(Block::Include { path, line: no }),
                        None => problems.push(Problem {
                            line: no,
                            message: format!("cannot read the include directive `{t}`"),
                        }),
                    }
                    i += 1;
                }
                "note" => {
                    let (kind, title) = note_header(d);
                    let end = find_close(lines, i, "note", "endnote");
                    let stop = end.unwrap_or(lines.len());
                    if end.is_none() {
                        problems.push(Problem {
                            line: no,
                            message: "`note` without `endnote`".into(),
                        });
                    }
                    let body = parse_lines(&lines[i + 1..stop], depth + 1, problems);
                    blocks.push(Block::Note {
                        kind,
                        title,
                        body,
                        line: no,
                    });
                    i = stop + 1;
                }
                "list" => {
                    let end = find_close(lines, i, "list", "endlist");
                    let stop = end.unwrap_or(lines.len());
                    if end.is_none() {
                        problems.push(Problem {
                            line: no,
                            message: "`list` without `endlist`".into(),
                        });
                    }
                    let tabs = parse_tabs(&lines[i + 1..stop], depth + 1, problems);
                    blocks.push(Block::Tabs { tabs, line: no });
                    i = stop + 1;
                }
                "endnote" | "endlist" => {
                    problems.push(Problem {
                        line: no,
                        message: format!("stray `{word}`"),
                    });
                    i += 1;
                }
                _ => {
                    problems.push(Problem {
                        line: no,
                        message: format!("unknown directive `{t}` ignored"),
                    });
                    i += 1;
                }
            }
            continue;
        }
        if let Some((level, text, anchor)) = heading(t) {
            blocks.push(Block::Heading {
                level,
                text,
                anchor,
                line: no,
            });
            i += 1;
            continue;
        }
        if let Some((label, url)) = link_def(t) {
            blocks.push(Block::LinkDef { label, url });
            i += 1;
            continue;
        }
        let mut j = i;
        let mut text = Vec::new();
        while j < lines.len() {
            let lt = lines[j].1.trim();
            if lt.is_empty() || (j > i && starts_block(lt)) {
                break;
            }
            text.push(lines[j].1.trim_end());
            j += 1;
        }
        blocks.push(Block::Para {
            text: text.join("\n"),
            line: no,
        });
        i = j.max(i + 1);
    }
    blocks
}

fn parse_tabs(lines: &[(usize, &str)], depth: usize, problems: &mut Vec<Problem>) -> Vec<Tab> {
    let item_indent = lines
        .iter()
        .filter(|(_, l)| l.trim_start().starts_with("- "))
        .map(|(_, l)| indent_of(l))
        .min();
    let Some(item_indent) = item_indent else {
        return Vec::new();
    };
    let mut tabs: Vec<Tab> = Vec::new();
    let mut starts = Vec::new();
    let mut fence: Option<&str> = None;
    for (k, (_, l)) in lines.iter().enumerate() {
        let t = l.trim();
        if let Some(m) = fence {
            if t.starts_with(m) {
                fence = None;
            }
            continue;
        }
        if let Some(m) = fence_marker(t) {
            fence = Some(m);
            continue;
        }
        if indent_of(l) == item_indent && t.starts_with("- ") {
            starts.push(k);
        }
    }
    for (n, &k) in starts.iter().enumerate() {
        let end = starts.get(n + 1).copied().unwrap_or(lines.len());
        let (line, l) = lines[k];
        let title = l.trim()[2..].trim().to_string();
        let body = parse_lines(&lines[k + 1..end], depth, problems);
        tabs.push(Tab { title, body, line });
    }
    tabs
}

/// State while reading one row.
struct RowBuf {
    line: usize,
    text: String,
    fence: Option<&'static str>,
    nested: usize,
}

/// Parses a table starting at `lines[start]` (`#|`); returns it and the next index.
fn parse_table(
    lines: &[(usize, &str)],
    start: usize,
    problems: &mut Vec<Problem>,
) -> (Table, usize) {
    let (table_line, first) = lines[start];
    let mut table = Table {
        line: table_line,
        rows: Vec::new(),
    };
    let mut cur: Option<RowBuf> = None;
    let mut i = start + 1;
    // Content after `#|` on the same line is unusual but allowed.
    let rest = first.trim()[2..].trim().to_string();
    let mut pending: Option<(usize, String)> = (!rest.is_empty()).then_some((table_line, rest));
    loop {
        let from_pending = pending.is_some();
        let (no, line): (usize, String) = if let Some(p) = pending.take() {
            p
        } else if i < lines.len() {
            let l = lines[i];
            i += 1;
            (l.0, l.1.to_string())
        } else {
            break;
        };
        let t = line.trim();
        // A heading outside fences and nested tables ends a table that was never
        // closed: the rest of the page is not swallowed.
        let plain = cur
            .as_ref()
            .is_none_or(|r| r.fence.is_none() && r.nested == 0);
        if plain && heading(t).is_some_and(|(level, _, _)| level <= 3) {
            problems.push(Problem {
                line: table_line,
                message: "table is never closed with `|#`".into(),
            });
            if let Some(row) = cur.take() {
                problems.push(Problem {
                    line: row.line,
                    message: "table row is not closed with `||`".into(),
                });
                finish_row(&mut table, row);
            }
            return (table, if from_pending { i } else { i - 1 });
        }
        match cur.as_mut() {
            None => {
                if t.starts_with("|#") {
                    return (table, i);
                }
                if let Some(after) = t.strip_prefix("||") {
                    let mut row = RowBuf {
                        line: no,
                        text: String::new(),
                        fence: None,
                        nested: 0,
                    };
                    if row_line(&mut row, after) {
                        finish_row(&mut table, row);
                    } else {
                        cur = Some(row);
                    }
                } else if !t.is_empty() {
                    problems.push(Problem {
                        line: no,
                        message: format!("text outside a row in a table: `{t}`"),
                    });
                }
            }
            Some(row) => {
                let plain = row.fence.is_none() && row.nested == 0;
                if plain && t.starts_with("|#") {
                    problems.push(Problem {
                        line: row.line,
                        message: "table row is not closed with `||` before the end of the table"
                            .into(),
                    });
                    if let Some(row) = cur.take() {
                        finish_row(&mut table, row);
                    }
                    return (table, i);
                }
                if plain
                    && t.starts_with("||")
                    && t.len() > 2
                    && !t[2..].trim().is_empty()
                    && !row.text.trim().is_empty()
                {
                    // A new row begins although the previous one never ended.
                    problems.push(Problem {
                        line: row.line,
                        message: "table row is not closed with `||`".into(),
                    });
                    if let Some(row) = cur.take() {
                        finish_row(&mut table, row);
                    }
                    pending = Some((no, line.clone()));
                    continue;
                }
                if row_line(row, &line)
                    && let Some(row) = cur.take()
                {
                    finish_row(&mut table, row);
                }
            }
        }
    }
    problems.push(Problem {
        line: table_line,
        message: "table is never closed with `|#`".into(),
    });
    if let Some(row) = cur.take() {
        problems.push(Problem {
            line: row.line,
            message: "table row is not closed with `||`".into(),
        });
        finish_row(&mut table, row);
    }
    (table, i)
}

/// Adds one line to a row; returns `true` when the line ends the row.
fn row_line(row: &mut RowBuf, line: &str) -> bool {
    let t = line.trim();
    if let Some(m) = row.fence {
        if t.starts_with(m) {
            row.fence = None;
            let after = t.trim_start_matches(['`', '~']).trim();
            if let Some(before) = after.strip_suffix("||") {
                // A fence closing on the row-ending line: ``` ||
                push_line(row, m);
                if !before.trim().is_empty() {
                    push_line(row, before.trim());
                }
                return true;
            }
        }
        push_line(row, line);
        return false;
    }
    if row.nested > 0 {
        if t.starts_with("|#") {
            row.nested -= 1;
        } else if t.starts_with("#|") {
            row.nested += 1;
        }
        push_line(row, line);
        return false;
    }
    if let Some(m) = fence_marker(t) {
        row.fence = Some(m);
        push_line(row, line);
        return false;
    }
    if t.starts_with("#|") {
        row.nested += 1;
        push_line(row, line);
        return false;
    }
    if let Some(before) = t.strip_suffix("||")
        && !before.ends_with('\\')
    {
        let keep = line.trim_end();
        let keep = &keep[..keep.len() - 2];
        push_line(row, keep);
        return true;
    }
    push_line(row, line);
    false
}

fn push_line(row: &mut RowBuf, line: &str) {
    if !row.text.is_empty() || !line.trim().is_empty() {
        if !row.text.is_empty() {
            row.text.push('\n');
        }
        row.text.push_str(line.trim_end());
    }
}

fn finish_row(table: &mut Table, row: RowBuf) {
    table.rows.push(Row {
        line: row.line,
        cells: split_cells(&row.text),
    });
}

/// Splits a row's text into cells on `|`, outside fences, nested tables and code
/// spans; `\|` stays a literal pipe.
pub fn split_cells(text: &str) -> Vec<String> {
    let mut cells = vec![String::new()];
    let mut fence: Option<&str> = None;
    let mut nested = 0usize;
    for (n, line) in text.split('\n').enumerate() {
        if n > 0 {
            push_char(&mut cells, '\n');
        }
        let t = line.trim();
        if let Some(m) = fence {
            if t.starts_with(m) {
                fence = None;
            }
            if let Some(c) = cells.last_mut() {
                c.push_str(line);
            }
            continue;
        }
        if nested > 0 {
            if t.starts_with("|#") {
                nested -= 1;
            } else if t.starts_with("#|") {
                nested += 1;
            }
            if let Some(c) = cells.last_mut() {
                c.push_str(line);
            }
            continue;
        }
        if let Some(m) = fence_marker(t) {
            fence = Some(m);
            if let Some(c) = cells.last_mut() {
                c.push_str(line);
            }
            continue;
        }
        if t.starts_with("#|") {
            nested += 1;
            if let Some(c) = cells.last_mut() {
                c.push_str(line);
            }
            continue;
        }
        split_line(line, &mut cells);
    }
    cells.into_iter().map(|c| tidy_cell(&c)).collect()
}

/// Splits one ordinary line of a row into the cells.
fn split_line(line: &str, cells: &mut Vec<String>) {
    let chars: Vec<char> = line.chars().collect();
    // Run lengths known to have no closing run further on (each is searched once).
    let mut unclosed = std::collections::BTreeSet::new();
    let mut k = 0;
    while k < chars.len() {
        let c = chars[k];
        if c == '\\' && chars.get(k + 1) == Some(&'|') {
            push_char(cells, '|');
            k += 2;
            continue;
        }
        if c == '`' {
            let run = chars[k..].iter().take_while(|&&x| x == '`').count();
            // Find the closing run of the same length on this line.
            let mut m = if unclosed.contains(&run) {
                chars.len()
            } else {
                k + run
            };
            let mut close = None;
            while m < chars.len() {
                if chars[m] == '`' {
                    let r = chars[m..].iter().take_while(|&&x| x == '`').count();
                    if r == run {
                        close = Some(m);
                        break;
                    }
                    m += r;
                } else {
                    m += 1;
                }
            }
            if let Some(end) = close {
                for &x in &chars[k..end + run] {
                    push_char(cells, x);
                }
                k = end + run;
                continue;
            }
            unclosed.insert(run);
            for &x in &chars[k..k + run] {
                push_char(cells, x);
            }
            k += run;
            continue;
        }
        // `Y`|`N`: a pipe glued between two code spans is text, not a separator.
        let glued = k > 0 && chars[k - 1] == '`' && chars.get(k + 1) == Some(&'`');
        if c == '|' && !glued {
            cells.push(String::new());
            k += 1;
            continue;
        }
        push_char(cells, c);
        k += 1;
    }
}

fn push_char(cells: &mut [String], c: char) {
    if let Some(cell) = cells.last_mut() {
        cell.push(c);
    }
}

/// Trims a cell: trailing spaces on every line, blank lines at both ends.
fn tidy_cell(c: &str) -> String {
    let lines: Vec<&str> = c.split('\n').map(str::trim_end).collect();
    let first = lines.iter().position(|l| !l.trim().is_empty());
    let last = lines.iter().rposition(|l| !l.trim().is_empty());
    match (first, last) {
        (Some(a), Some(b)) => {
            let mut v: Vec<&str> = lines[a..=b].to_vec();
            if let Some(f) = v.first_mut() {
                *f = f.trim_start();
            }
            v.join("\n")
        }
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(src: &str) -> (Table, Vec<Problem>) {
        let p = parse(src);
        let t = p
            .blocks
            .into_iter()
            .find_map(|b| match b {
                Block::Table(t) => Some(t),
                _ => None,
            })
            .expect("a table");
        (t, p.problems)
    }

    #[test]
    fn rows_span_lines_and_keep_fences() {
        let (t, problems) = table(
            "#|\n|| **Name**\n`type` | **Description** ||\n|| **A***\n[`string`](x.md) | one\n\n```js\nx = a | b\n```\n||\n|| **B** | two ||\n|#\n",
        );
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(t.rows.len(), 3);
        assert_eq!(t.rows[1].cells.len(), 2);
        assert!(t.rows[1].cells[1].contains("x = a | b"));
        assert_eq!(t.rows[2].cells, vec!["**B**", "two"]);
        assert_eq!(t.rows[1].line, 4);
    }

    #[test]
    fn a_code_span_at_the_start_of_a_line_is_not_a_fence() {
        let (t, problems) =
            table("#|\n|| **pattern** | Phone:\n```^[0-9]+$``` ||\n|| **multiline** | m ||\n|#");
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(t.rows.len(), 2, "{:?}", t.rows);
        assert_eq!(t.rows[1].cells, vec!["**multiline**", "m"]);
    }

    #[test]
    fn fence_may_close_on_the_row_end() {
        let (t, problems) =
            table("#|\n|| **A** | text\n```json\n{\"a\": 1}\n``` ||\n|| **B** | b ||\n|#");
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(t.rows.len(), 2);
        assert!(t.rows[0].cells[1].ends_with("```"));
    }

    #[test]
    fn escaped_pipes_and_code_spans_do_not_split() {
        let (t, _) = table("#|\n|| **A**\n[`string` \\| `object`](x.md) | flag (`Y`|`N`) ||\n|#");
        assert_eq!(t.rows[0].cells.len(), 2);
        assert_eq!(t.rows[0].cells[0], "**A**\n[`string` | `object`](x.md)");
        assert_eq!(t.rows[0].cells[1], "flag (`Y`|`N`)");
    }

    #[test]
    fn nested_tables_stay_in_the_cell() {
        let (t, _) = table(
            "#|\n|| **S** | values:\n\n#|\n||A|a||\n||B|b||\n|#\n\nmore ||\n|| **T** | t ||\n|#",
        );
        assert_eq!(t.rows.len(), 2);
        assert!(t.rows[0].cells[1].contains("||A|a||"));
    }

    #[test]
    fn unterminated_input_is_reported_not_fatal() {
        let p = parse("#|\n|| **A** | a\n|#\n#|\n|| **B** | b ||\n");
        assert_eq!(p.problems.len(), 2, "{:?}", p.problems);
        let p = parse("```json\n{\n");
        assert_eq!(p.problems.len(), 1);
        let p = parse("{% note info %}\ntext\n");
        assert_eq!(p.problems.len(), 1);
    }

    #[test]
    fn a_heading_ends_an_unclosed_table() {
        let p = parse("#|\n|| **A** | a\n\n## Next\n\ntext\n");
        assert!(
            matches!(&p.blocks[1], Block::Heading { text, .. } if text == "Next"),
            "{:?}",
            p.blocks
        );
        assert_eq!(p.problems.len(), 2);
    }

    #[test]
    fn dev_blocks_are_dropped_else_kept() {
        let p = parse("a\n{% if build == 'dev' %}\nsecret\n{% else %}\npublic\n{% endif %}\nb\n");
        let text: Vec<String> = p
            .blocks
            .iter()
            .filter_map(|b| match b {
                Block::Para { text, .. } => Some(text.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(text, vec!["a", "public", "b"]);
    }

    #[test]
    fn notes_tabs_headings_includes() {
        let p = parse(
            "# Title x.y {#top}\n\n{% note warning \"Halted\" %}\n\nUse [a.b](a.md).\n\n{% endnote %}\n\n{% include [x](../_includes/required.md) %}\n\n{% list tabs %}\n\n- cURL (Webhook)\n\n    ```bash\n    curl -d '{}'\n    ```\n\n- JS\n\n    ```js\n    x\n    ```\n\n{% endlist %}\n",
        );
        assert!(p.problems.is_empty(), "{:?}", p.problems);
        assert!(
            matches!(&p.blocks[0], Block::Heading { level: 1, anchor: Some(a), .. } if a == "top")
        );
        assert!(matches!(&p.blocks[1], Block::Note { title, .. } if title == "Halted"));
        assert!(
            matches!(&p.blocks[2], Block::Include { path, .. } if path == "../_includes/required.md")
        );
        match &p.blocks[3] {
            Block::Tabs { tabs, .. } => {
                assert_eq!(tabs.len(), 2);
                assert_eq!(tabs[0].title, "cURL (Webhook)");
                assert!(matches!(&tabs[0].body[0], Block::Fence(f) if f.body == "curl -d '{}'"));
            }
            other => panic!("{other:?}"),
        }
    }
}
