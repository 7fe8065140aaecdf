//! Line numbers for logical paths inside a spec file.
//!
//! Serde reports a line only for faults it meets while deserialising; the validator
//! works on the deserialised model and knows only a logical path such as
//! `params › ENTITIES › type`. This module maps such a path back to a 1-based line by
//! scanning the YAML text with indentation tracking. It understands the canonical
//! layout the importer writes (`serde_yaml::to_string`: 2-space indent, sequences of
//! mappings as `- name: X`, sequences at the same indent as their key or deeper) and
//! degrades to `None`, never a wrong guess or a panic, on anything else (flow style,
//! anchors, exotic keys).

use std::fmt;

/// One step of a logical path.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PathSeg {
    /// A key of a mapping (`params`, `type`).
    Key(String),
    /// The item of a sequence whose `name:` is this value (`ENTITIES`).
    Named(String),
    /// The `index`-th item (0-based) of a sequence, shown as `label` when it has one
    /// (its `name`, `code` or `value`), else as `[index]`.
    Item {
        /// Position in the sequence.
        index: usize,
        /// How the item is shown in a path.
        label: Option<String>,
    },
}

impl PathSeg {
    /// A mapping key.
    pub fn key(k: impl Into<String>) -> PathSeg {
        PathSeg::Key(k.into())
    }

    /// A sequence item located by position, shown by `label`.
    pub fn item(index: usize, label: impl Into<String>) -> PathSeg {
        PathSeg::Item {
            index,
            label: Some(label.into()),
        }
    }

    /// A sequence item located and shown by position.
    pub fn index(index: usize) -> PathSeg {
        PathSeg::Item { index, label: None }
    }
}

impl fmt::Display for PathSeg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PathSeg::Key(k) | PathSeg::Named(k) => f.write_str(k),
            PathSeg::Item {
                label: Some(l),
                index: _,
            } => f.write_str(l),
            PathSeg::Item { index, label: None } => write!(f, "[{index}]"),
        }
    }
}

/// Joins a root label (the method name, or nothing) and a logical path with ` › `.
pub fn display_path(root: &str, path: &[PathSeg]) -> String {
    let mut out = String::from(root);
    for seg in path {
        if !out.is_empty() {
            out.push_str(" › ");
        }
        out.push_str(&seg.to_string());
    }
    out
}

/// The 1-based line where `path` starts in `source`, or `None` when the path cannot be
/// followed (absent key, non-canonical layout). An empty path is line 1.
pub fn line_of(source: &str, path: &[PathSeg]) -> Option<usize> {
    let lines: Vec<Line<'_>> = source.lines().map(Line::new).collect();
    let mut block = Block {
        start: 0,
        end: lines.len(),
        col: 0,
    };
    let mut found = None;
    for seg in path {
        let (line, next) = step(&lines, block, seg)?;
        found = Some(line);
        block = next;
    }
    Some(found.map_or(1, |l| l + 1))
}

/// Like [`line_of`], but falls back to the line of the longest prefix of `path` that
/// can be followed; `None` only when not even the first step can.
pub fn nearest_line(source: &str, path: &[PathSeg]) -> Option<usize> {
    (1..=path.len())
        .rev()
        .find_map(|n| line_of(source, &path[..n]))
}

/// When `path` ends at a key holding a literal block scalar (`key: |-` and the text on
/// the following lines), the 1-based file line of the value's `line_in_value`-th line
/// (1-based); `None` for other layouts, where the key's own line is the best answer.
pub fn literal_line(source: &str, path: &[PathSeg], line_in_value: usize) -> Option<usize> {
    let key_line = line_of(source, path)?;
    let text = source.lines().nth(key_line.checked_sub(1)?)?;
    let line = Line::new(text);
    let (_, after) = split_key(text.get(line.content?..)?)?;
    let indicator = after.trim();
    let is_literal = indicator.starts_with('|')
        && indicator
            .chars()
            .skip(1)
            .all(|c| c == '-' || c == '+' || c.is_ascii_digit());
    is_literal.then(|| key_line + line_in_value)
}

/// One line of the source, pre-analysed.
#[derive(Debug, Clone, Copy)]
struct Line<'a> {
    /// The raw text.
    text: &'a str,
    /// Column of the first character that is neither a space nor a `- ` item marker;
    /// `None` for blank and comment-only lines.
    content: Option<usize>,
    /// Column of the first non-space character, when it is a `-` item marker.
    dash: Option<usize>,
}

impl<'a> Line<'a> {
    fn new(text: &'a str) -> Line<'a> {
        let bytes = text.as_bytes();
        let mut i = 0;
        let mut dash = None;
        loop {
            while bytes.get(i) == Some(&b' ') {
                i += 1;
            }
            let is_marker = bytes.get(i) == Some(&b'-')
                && matches!(bytes.get(i + 1), None | Some(b' ') | Some(b'\t'));
            if !is_marker {
                break;
            }
            dash.get_or_insert(i);
            i += 1;
        }
        let content = match bytes.get(i) {
            None | Some(b'#') => None,
            Some(_) => Some(i),
        };
        // A line that is only `-` (an item whose content starts on the next line).
        let content = content.or(if dash.is_some() { Some(i) } else { None });
        Line {
            text,
            content,
            dash,
        }
    }

    /// Whether the line carries anything (not blank, not a comment).
    fn is_significant(&self) -> bool {
        self.content.is_some() || self.dash.is_some()
    }

    /// The column where the line's structure starts (its first non-space character).
    fn indent(&self) -> Option<usize> {
        match (self.dash, self.content) {
            (Some(d), _) => Some(d),
            (None, c) => c,
        }
    }

    /// When the line holds `key:` at column `col`, the text after the colon.
    fn key_at(&self, col: usize, key: &str) -> Option<&'a str> {
        if self.content != Some(col) {
            return None;
        }
        let rest = self.text.get(col..)?;
        let (name, after) = split_key(rest)?;
        (name == key).then_some(after)
    }
}

/// Splits `key: value` (plain, single- or double-quoted key) into the unquoted key
/// and the text after the colon.
fn split_key(rest: &str) -> Option<(String, &str)> {
    let quote = rest.chars().next().filter(|c| *c == '\'' || *c == '"');
    if let Some(q) = quote {
        let body = rest.get(1..)?;
        let close = body.find(q)?;
        let after = body.get(close + 1..)?.strip_prefix(':')?;
        return Some((body.get(..close)?.to_owned(), after));
    }
    let colon = rest
        .find(": ")
        .or_else(|| rest.strip_suffix(':').map(str::len))?;
    Some((rest.get(..colon)?.to_owned(), rest.get(colon + 1..)?))
}

/// Removes the quotes around a plain scalar and any trailing comment.
fn unquote(value: &str) -> String {
    let v = value.trim();
    for q in ['\'', '"'] {
        if let Some(inner) = v.strip_prefix(q).and_then(|s| s.strip_suffix(q)) {
            return if q == '\'' {
                inner.replace("''", "'")
            } else {
                inner.to_owned()
            };
        }
    }
    v.split(" #").next().unwrap_or(v).trim_end().to_owned()
}

/// A range of lines holding one node, whose keys (or item markers) sit at `col`.
#[derive(Debug, Clone, Copy)]
struct Block {
    start: usize,
    end: usize,
    col: usize,
}

/// Follows one segment from `block`: the 0-based line found and the child block.
fn step(lines: &[Line<'_>], block: Block, seg: &PathSeg) -> Option<(usize, Block)> {
    match seg {
        PathSeg::Key(k) => find_key(lines, block, k),
        PathSeg::Item { index, label: _ } => items(lines, block).nth(*index),
        PathSeg::Named(name) => items(lines, block).find(|(_, item)| {
            find_key(lines, *item, "name")
                .and_then(|(l, _)| lines.get(l))
                .and_then(|line| line.key_at(item.col, "name"))
                .is_some_and(|v| unquote(v) == *name)
        }),
    }
}

/// The line of `key` directly inside `block`, and the block of its value.
fn find_key(lines: &[Line<'_>], block: Block, key: &str) -> Option<(usize, Block)> {
    let at = (block.start..block.end).find(|&i| {
        lines
            .get(i)
            .is_some_and(|l| l.key_at(block.col, key).is_some())
    })?;
    let end = (at + 1..block.end)
        .find(|&i| {
            lines.get(i).is_some_and(|l| {
                l.is_significant()
                    && (l.content.is_some_and(|c| c <= block.col)
                        || l.dash.is_some_and(|d| d < block.col))
            })
        })
        .unwrap_or(block.end);
    let col = (at + 1..end)
        .filter_map(|i| lines.get(i))
        .find_map(Line::indent)
        .unwrap_or(block.col + 2);
    Some((
        at,
        Block {
            start: at + 1,
            end,
            col,
        },
    ))
}

/// The items of the sequence held by `block`: each item's first line and its block
/// (whose keys sit two columns right of the `-`).
fn items<'b>(
    lines: &'b [Line<'_>],
    block: Block,
) -> impl Iterator<Item = (usize, Block)> + use<'b> {
    let dash_col = block.col;
    let starts: Vec<usize> = (block.start..block.end)
        .filter(|&i| lines.get(i).is_some_and(|l| l.dash == Some(dash_col)))
        .collect();
    let ends: Vec<usize> = starts
        .iter()
        .skip(1)
        .copied()
        .chain(std::iter::once(block.end))
        .collect();
    starts.into_iter().zip(ends).map(move |(start, end)| {
        let col = lines
            .get(start)
            .and_then(|l| l.content)
            .unwrap_or(dash_col + 2);
        (start, Block { start, end, col })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "\
# yaml-language-server: $schema=../../schema/method.schema.json
method: crm.calllist.add
source:
  path: api-reference/crm/call-list/crm-calllist-add.md
  commit: 0123456789abcdef0123456789abcdef01234567
description: |-
  A long text.
  params: not a key
read_only: false
params:
- name: ENTITY_TYPE
  type: EntityType
  required: true
- name: ENTITIES
  type: integer[]
  description: |-
    IDs.

    - type: not an item
- name: 'TYPE'
  type: string
result:
  type: integer
types:
- name: EntityType
  values:
  - value: CONTACT
  - value: '1'
    name: Lead
errors:
- status: 400
  code: ERROR_A
- code: ERROR_B
examples:
  request:
  - json: |-
      {\"a\": 1}
";

    fn key(k: &str) -> PathSeg {
        PathSeg::key(k)
    }

    fn named(n: &str) -> PathSeg {
        PathSeg::Named(n.into())
    }

    #[test]
    fn top_level_keys() {
        assert_eq!(line_of(DOC, &[]), Some(1));
        assert_eq!(line_of(DOC, &[key("method")]), Some(2));
        assert_eq!(line_of(DOC, &[key("params")]), Some(10));
        assert_eq!(line_of(DOC, &[key("result"), key("type")]), Some(23));
        assert_eq!(line_of(DOC, &[key("source"), key("commit")]), Some(5));
        assert_eq!(line_of(DOC, &[key("nope")]), None);
    }

    #[test]
    fn block_scalars_are_not_keys() {
        // `params: not a key` inside the description must not be found.
        assert_eq!(line_of(DOC, &[key("params")]), Some(10));
        assert_eq!(line_of(DOC, &[key("description")]), Some(6));
    }

    #[test]
    fn named_items() {
        let p = [key("params"), named("ENTITIES"), key("type")];
        assert_eq!(line_of(DOC, &p), Some(15));
        assert_eq!(line_of(DOC, &[key("params"), named("ENTITIES")]), Some(14));
        assert_eq!(line_of(DOC, &[key("params"), named("TYPE")]), Some(20));
        assert_eq!(line_of(DOC, &[key("params"), named("MISSING")]), None);
        // `- type:` inside a block scalar is not an item.
        assert_eq!(
            line_of(DOC, &[key("params"), PathSeg::index(3)]),
            None,
            "only three params"
        );
    }

    #[test]
    fn indexed_items_and_nesting() {
        assert_eq!(
            line_of(DOC, &[key("params"), PathSeg::index(2), key("type")]),
            Some(21)
        );
        let p = [
            key("types"),
            named("EntityType"),
            key("values"),
            PathSeg::item(1, "1"),
            key("name"),
        ];
        assert_eq!(line_of(DOC, &p), Some(29));
        assert_eq!(
            line_of(DOC, &[key("errors"), PathSeg::index(1), key("code")]),
            Some(33)
        );
        assert_eq!(
            line_of(DOC, &[key("errors"), PathSeg::index(0), key("code")]),
            Some(32)
        );
        let p = [
            key("examples"),
            key("request"),
            PathSeg::index(0),
            key("json"),
        ];
        assert_eq!(line_of(DOC, &p), Some(36));
    }

    #[test]
    fn indented_sequences() {
        let doc = "params:\n  - name: A\n    type: string\n  - name: B\n    type: integer\nresult:\n  type: any\n";
        assert_eq!(
            line_of(doc, &[key("params"), named("B"), key("type")]),
            Some(5)
        );
        assert_eq!(line_of(doc, &[key("result"), key("type")]), Some(7));
    }

    #[test]
    fn nearest_falls_back_to_a_prefix() {
        let p = [key("params"), named("ENTITIES"), key("wire")];
        assert_eq!(line_of(DOC, &p), None);
        assert_eq!(nearest_line(DOC, &p), Some(14));
        assert_eq!(nearest_line(DOC, &[key("zzz")]), None);
    }

    #[test]
    fn literal_block_lines() {
        let p = [
            key("examples"),
            key("request"),
            PathSeg::index(0),
            key("json"),
        ];
        assert_eq!(literal_line(DOC, &p, 1), Some(37));
        assert_eq!(literal_line(DOC, &[key("method")], 1), None);
        let doc = "json: '{\"a\": 1}'\n";
        assert_eq!(literal_line(doc, &[key("json")], 1), None);
    }

    #[test]
    fn never_panics_on_odd_text() {
        for doc in [
            "",
            "-",
            "- -",
            "'",
            "\"a",
            "a:b",
            ":",
            "é: ü\n  - x",
            "\t- a: b",
        ] {
            let _ = line_of(doc, &[key("a"), PathSeg::index(0), named("x")]);
        }
    }

    /// The layout the importer writes is the layout the locator reads.
    #[test]
    fn finds_lines_in_serde_yaml_output() {
        let src = "method: crm.x.add\nsource: {path: a.md, commit: c}\ntitle: T\nsummary: S\n\
                   scope: crm\nread_only: false\nparams:\n- {name: A, type: string, description: \"x\\ny: z\\n- w: v\"}\n\
                   - {name: '1', type: T}\nresult: {type: integer}\nerrors: [{status: 400, code: E}]\n\
                   types:\n- name: T\n  values: [{value: '1', name: One}, {value: 'yes'}]\n\
                   examples: {request: [{json: \"{\\n  \\\"A\\\": 1\\n}\"}]}\n";
        let m: crate::spec::Method = serde_yaml::from_str(src).unwrap();
        let out = serde_yaml::to_string(&m).unwrap();
        let at = |path: &[PathSeg]| {
            let line = line_of(&out, path).unwrap_or_else(|| panic!("{path:?} in\n{out}"));
            out.lines().nth(line - 1).unwrap().trim_start().to_owned()
        };
        assert_eq!(at(&[key("params"), named("1"), key("type")]), "type: T");
        assert_eq!(
            at(&[key("params"), named("A"), key("description")]),
            "description: |-"
        );
        assert_eq!(at(&[key("params"), PathSeg::index(1)]), "- name: '1'");
        let v = [
            key("types"),
            named("T"),
            key("values"),
            PathSeg::index(1),
            key("value"),
        ];
        assert_eq!(at(&v), "- value: yes");
        assert_eq!(
            at(&[key("errors"), PathSeg::index(0), key("code")]),
            "code: E"
        );
        let json = [
            key("examples"),
            key("request"),
            PathSeg::index(0),
            key("json"),
        ];
        assert_eq!(at(&json), "- json: |-");
        let l = literal_line(&out, &json, 2).unwrap();
        assert_eq!(out.lines().nth(l - 1).map(str::trim), Some("\"A\": 1"));
    }

    #[test]
    fn display() {
        let p = [key("params"), named("ENTITIES"), PathSeg::index(2)];
        assert_eq!(
            display_path("crm.calllist.add", &p),
            "crm.calllist.add › params › ENTITIES › [2]"
        );
        assert_eq!(display_path("", &[key("docs")]), "docs");
    }
}
