//! `{% include [..](path) %}`: each directive is replaced by the blocks of the file it
//! names, recursively. Expansion is bounded: a file including itself (directly or
//! through others) is a cycle, includes nest at most [`MAX_DEPTH`] deep, and one page
//! expands at most [`MAX_INCLUDES`] files and [`MAX_BYTES`] of text in all. Every include
//! left unexpanded is a diagnostic located at its directive.

use super::page::Page;
use super::text;
use super::yfm::{self, Block};

/// Include files that carry no method facts (or service-wide ones).
const IGNORED_INCLUDES: &[&str] = &[
    "required.md",
    "examples.md",
    "system-errors.md",
    "error-info.md",
    "error-info-v3.md",
];

/// How deep includes may nest (an include in an included file is level 2).
pub const MAX_DEPTH: usize = 5;

/// How many includes one page may expand in all (the docs use at most 13).
pub const MAX_INCLUDES: usize = 100;

/// How much included text one page may expand in all, in bytes (the docs' largest
/// include is 3 KB).
pub const MAX_BYTES: usize = 1 << 20;

/// The state of expanding one page's includes.
struct Expansion {
    /// The page, then the include files being expanded, outermost first.
    chain: Vec<String>,
    /// Files expanded so far.
    files: usize,
    /// Bytes expanded so far.
    bytes: usize,
    /// Includes left unexpanded once the budget ran out (the first is reported).
    over_budget: usize,
}

impl Page<'_> {
    /// Replaces the includes of `page`'s blocks by their content (ignored ones dropped).
    pub(super) fn expand(&mut self, blocks: Vec<Block>, page: &str) -> Vec<Block> {
        let mut e = Expansion {
            chain: vec![page.to_string()],
            files: 0,
            bytes: 0,
            over_budget: 0,
        };
        let out = self.expand_in(blocks, page, &mut e);
        if e.over_budget > 1 {
            let p = self.path.to_string();
            self.diag(
                &p,
                0,
                "",
                format!(
                    "{} includes in all were not expanded: the page exceeds the include budget",
                    e.over_budget
                ),
            );
        }
        out
    }

    fn expand_in(&mut self, blocks: Vec<Block>, page: &str, e: &mut Expansion) -> Vec<Block> {
        let mut out = Vec::new();
        for b in blocks {
            match b {
                Block::Include { path, line } => {
                    let file = path.rsplit('/').next().unwrap_or("");
                    if IGNORED_INCLUDES.contains(&file) {
                        continue;
                    }
                    if let Some(blocks) = self.include(&path, line, page, e) {
                        out.extend(blocks);
                    }
                }
                Block::Note {
                    kind,
                    title,
                    body,
                    line,
                } => {
                    let body = self.expand_in(body, page, e);
                    out.push(Block::Note {
                        kind,
                        title,
                        body,
                        line,
                    });
                }
                other => out.push(other),
            }
        }
        out
    }

    /// The expanded blocks of one include directive of `page`, or `None` (reported).
    fn include(
        &mut self,
        path: &str,
        line: usize,
        page: &str,
        e: &mut Expansion,
    ) -> Option<Vec<Block>> {
        let Some(resolved) = text::resolve_path(page, path) else {
            self.diag(
                page,
                line,
                "",
                format!("include `{path}` not found: it points above the docs root"),
            );
            return None;
        };
        if e.chain.contains(&resolved) {
            let cycle = e.chain.join(" → ");
            self.diag(
                page,
                line,
                "",
                format!("include `{path}` is a cycle ({cycle} → {resolved}): not expanded"),
            );
            return None;
        }
        if e.chain.len() > MAX_DEPTH {
            self.diag(
                page,
                line,
                "",
                format!(
                    "include `{path}` not expanded: includes nest deeper than {MAX_DEPTH} levels"
                ),
            );
            return None;
        }
        if e.over_budget > 0 || e.files >= MAX_INCLUDES {
            self.over_budget(path, line, page, e);
            return None;
        }
        let Some(content) = (self.includes)(&resolved) else {
            self.diag(page, line, "", format!("include `{path}` not found"));
            return None;
        };
        if e.bytes + content.len() > MAX_BYTES {
            self.over_budget(path, line, page, e);
            return None;
        }
        e.files += 1;
        e.bytes += content.len();
        let parsed = yfm::parse(&content);
        for pr in &parsed.problems {
            self.diag(&resolved, pr.line, "", pr.message.clone());
        }
        e.chain.push(resolved.clone());
        let blocks = self.expand_in(parsed.blocks, &resolved, e);
        e.chain.pop();
        Some(blocks)
    }

    fn over_budget(&mut self, path: &str, line: usize, page: &str, e: &mut Expansion) {
        if e.over_budget == 0 {
            self.diag(
                page,
                line,
                "",
                format!(
                    "include `{path}` and any further ones not expanded: a page expands at most \
                     {MAX_INCLUDES} includes and {} KiB of included text",
                    MAX_BYTES >> 10
                ),
            );
        }
        e.over_budget += 1;
    }
}
