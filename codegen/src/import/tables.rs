//! Which nested table a field's row means (`resolve_table`): by link, by a heading naming
//! the field, never by position; and tables that continue one another under one heading
//! (split by bold labels, or one per tab), read as one object.

use std::collections::BTreeMap;

use super::page::{NameCell, Page, Section, data_rows, is_fields_table, is_header, read_name_cell};
use super::text;
use super::yfm::{Block, Row};

impl Page<'_> {
    /// Finds the nested table a row means: by its type link or a link in its description
    /// to this page, then by a heading naming the field, then by a link in its
    /// description to another page. Never by position.
    pub(super) fn resolve_table(
        &mut self,
        cell: &NameCell,
        desc: &str,
        page: &str,
        defs: &BTreeMap<String, String>,
        owner: &str,
    ) -> Option<usize> {
        let mut targets: Vec<String> = Vec::new();
        if let Some(t) = cell.table_link() {
            targets.push(t);
        }
        // Links in the description to another page come after a table on this page that
        // a heading names for the field: "for multi-fields such as `PHONE`, see
        // [crm_multifield](../data-types.md#crm_multifield)" does not describe `fields`.
        let mut foreign: Vec<String> = Vec::new();
        for l in text::links(desc, defs) {
            if l.target.contains('#') && !l.image {
                if l.target.starts_with('#') {
                    targets.push(l.target);
                } else {
                    foreign.push(l.target);
                }
            }
        }
        self.table_by_link(&targets, page, owner)
            .or_else(|| self.table_by_heading(cell, page))
            .or_else(|| self.table_by_link(&foreign, page, owner))
    }

    /// The fields table under `anchor` on `page` (loaded), with the tables continuing it.
    pub(super) fn table_at(&mut self, page: &str, anchor: &str) -> Option<usize> {
        self.table_by_link(&[format!("#{anchor}")], page, "")
    }

    /// The first fields table one of `targets` (`#anchor`, `other.md#anchor`) points at,
    /// with the tables continuing it.
    fn table_by_link(&mut self, targets: &[String], page: &str, owner: &str) -> Option<usize> {
        for t in targets {
            let Some((target_page, anchor)) = self.follow_link(page, t) else {
                continue;
            };
            let anchor = anchor.as_str();
            let found = self.nested.iter().position(|n| {
                n.page == target_page
                    && n.anchor.as_deref() == Some(anchor)
                    && is_fields_table(&n.rows)
                    && (owner.is_empty() || n.type_name.as_deref() != Some(owner))
            });
            if let Some(first) = found {
                // Tables after it under the same heading, without an anchor of their own,
                // continue it.
                let head = &self.nested[first];
                let mut parts = vec![first];
                parts.extend(
                    (first + 1..self.nested.len())
                        .take_while(|&i| {
                            let n = &self.nested[i];
                            n.page == head.page && n.heading == head.heading && n.anchor.is_none()
                        })
                        .filter(|&i| {
                            let n = &self.nested[i];
                            n.type_name.is_none() && is_fields_table(&n.rows)
                        }),
                );
                return self.continued(&parts).or(found);
            }
        }
        None
    }

    /// The table (or tables continuing one another) under a heading naming the field;
    /// when headings of several tables name it, the one saying "parameter".
    fn table_by_heading(&mut self, cell: &NameCell, page: &str) -> Option<usize> {
        let want = cell.name.to_lowercase();
        // A parameter's table is not one of the result's: "Access Code Description" under
        // the returned data does not describe the parameter `ACCESS` (`access.name`).
        let other_side = |s: Section| {
            self.section == Section::Params && matches!(s, Section::Returned | Section::Response)
        };
        let hits: Vec<usize> = (0..self.nested.len())
            .filter(|&i| {
                let n = &self.nested[i];
                n.page == page
                    && !other_side(n.section)
                    && n.type_name.is_none()
                    && is_fields_table(&n.rows)
                    && text::plain(&n.heading)
                        .split(|c: char| !c.is_alphanumeric() && c != '_')
                        .any(|w| w.to_lowercase() == want)
            })
            .collect();
        let same: Vec<usize> = hits
            .iter()
            .copied()
            .filter(|&i| self.nested[i].section == self.section)
            .collect();
        // "### Parameter fields" over "### Binding to user fields" for `fields`.
        let named: Vec<usize> = same
            .iter()
            .copied()
            .filter(|&i| {
                text::plain(&self.nested[i].heading)
                    .to_lowercase()
                    .contains("parameter")
            })
            .collect();
        match (same.as_slice(), hits.as_slice(), named.as_slice()) {
            ([one], _, _) | (_, [one], _) | (_, _, [one]) => Some(*one),
            _ => self
                .continued(&same)
                .or_else(|| self.continued(&hits))
                .or_else(|| self.continued(&named)),
        }
    }

    /// Several tables under one heading naming the field (`### Parameter fields`: the
    /// common fields, then "for import", then "for type `STRING`"; or one per tab, `Lead`,
    /// `Deal`, ...), with the same header row, describe one object in parts: the first
    /// table takes the rows of the others (a name already there keeps its first row),
    /// which are emptied. Tabs give the union of their fields, each that some tabs lack
    /// saying which have it. `None` when the tables sit under different headings.
    fn continued(&mut self, tables: &[usize]) -> Option<usize> {
        let (&first, rest) = tables.split_first()?;
        let one_object = !rest.is_empty()
            && rest.iter().all(|&i| {
                let (a, b) = (&self.nested[first], &self.nested[i]);
                a.page == b.page
                    && a.heading == b.heading
                    && a.section == b.section
                    && a.rows.first().map(|r| &r.cells) == b.rows.first().map(|r| &r.cells)
            });
        if !one_object {
            return None;
        }
        let cell_of = |r: &Row| {
            r.cells
                .first()
                .and_then(|c| read_name_cell(c, &BTreeMap::new()))
        };
        let name_of = |r: &Row| cell_of(r).map(|c| c.name);
        let (page, line, heading) = {
            let n = &self.nested[first];
            (n.page.clone(), n.line, n.heading.clone())
        };
        let lines: Vec<String> = rest
            .iter()
            .map(|&i| self.nested[i].line.to_string())
            .collect();
        self.note(
            &page,
            line,
            "types",
            format!(
                "the tables at lines {} continue this one under the heading `{heading}`: one object",
                lines.join(", ")
            ),
        );
        // Per tab (`Lead`, `Deal`), the names its table gives.
        let mut tabs: Vec<(String, Vec<Option<String>>)> = Vec::new();
        for &i in tables {
            if let Some(tab) = &self.nested[i].tab {
                tabs.push((
                    tab.clone(),
                    data_rows(&self.nested[i].rows)
                        .iter()
                        .map(name_of)
                        .collect(),
                ));
            }
        }
        for &i in rest {
            let header = self.nested[i].rows.first().cloned();
            let taken = std::mem::replace(&mut self.nested[i].rows, header.into_iter().collect());
            let tab = self.nested[i].tab.clone();
            for row in data_rows(&taken) {
                let name = name_of(row);
                let known = self.nested[first]
                    .rows
                    .iter_mut()
                    .find(|r| name.is_some() && name_of(r) == name);
                match known {
                    None => self.nested[first].rows.push(row.clone()),
                    // The same field listing other values in another tab (`DISPLAY`: the
                    // boolean type's, then the enumeration type's): both descriptions, so
                    // the values of every tab are listed. Only where both list values and
                    // have one type (`DEFAULT_VALUE` differs per tab, and stays the first).
                    Some(r) => {
                        let token = |r: &Row| cell_of(r).and_then(|c| c.token);
                        let same_type = token(r) == token(row);
                        if let (Some(mine), Some(theirs)) = (r.cells.get_mut(1), row.cells.get(1))
                            && same_type
                            && super::enums::bullets(mine).is_some()
                            && super::enums::bullets(theirs).is_some()
                            && text::plain(mine) != text::plain(theirs)
                        {
                            let label = tab.as_deref().unwrap_or("Also");
                            mine.push_str(&format!("\n\n{label}: {theirs}"));
                        }
                    }
                }
            }
        }
        // The union of the tabs' tables: a row some tabs lack says which have it.
        if tabs.len() == tables.len() {
            let skip = usize::from(self.nested[first].rows.first().is_some_and(is_header));
            for row in self.nested[first].rows.iter_mut().skip(skip) {
                let name = name_of(row);
                let with: Vec<&str> = tabs
                    .iter()
                    .filter(|(_, names)| names.contains(&name))
                    .map(|(t, _)| t.as_str())
                    .collect();
                if with.len() < tabs.len()
                    && let Some(desc) = row.cells.get_mut(1)
                {
                    desc.push_str(&format!("\n\nOnly for: {}.", with.join(", ")));
                }
            }
        }
        Some(first)
    }
}

/// `CRM Object | Name | Description` (`crm.item.details.configuration.*`' `extras`): the
/// field's name is the second column's code span, the first says for which object. Read
/// as `Name | Description`, the object leading the description (`Deal: ...`).
pub(super) fn name_in_second_column(rows: &[Row]) -> Option<Vec<Row>> {
    let (header, data) = rows.split_first()?;
    let label = |i: usize| header.cells.get(i).map(|c| text::plain(c).to_lowercase());
    let first = label(0)?;
    if header.cells.len() != 3
        || label(1).as_deref() != Some("name")
        || ["name", "field", "parameter", "key"]
            .iter()
            .any(|w| first.starts_with(w))
    {
        return None;
    }
    let mut out = vec![Row {
        line: header.line,
        cells: vec!["**Name**".into(), "**Description**".into()],
    }];
    for r in data {
        let [object, name, desc] = r.cells.as_slice() else {
            return None;
        };
        let [name] = text::code_spans(name).try_into().ok()?;
        out.push(Row {
            line: r.line,
            cells: vec![
                format!("**{name}**"),
                format!("{}: {desc}", text::plain(object)),
            ],
        });
    }
    Some(out)
}

/// A sentence right after a table saying that only some of its rows are needed ("Pass
/// either the `uuid` or `crmId` parameter.", "At least one of the parameters must be
/// provided: `RATING` or `COMMENT`.", in a paragraph or a note before the next heading)
/// belongs to those rows: it is appended to the description of each row it names, where
/// the rule on alternatives ([`super::conform::alternatives`]) reads it.
pub(super) fn attach_alternatives(blocks: &mut [Block], defs: &BTreeMap<String, String>) {
    for i in 0..blocks.len() {
        if !matches!(blocks[i], Block::Table(_)) {
            continue;
        }
        let mut sentences: Vec<(String, Vec<String>)> = Vec::new();
        for b in &blocks[i + 1..] {
            let texts: Vec<&String> = match b {
                Block::Para { text, .. } => vec![text],
                Block::Note { body, .. } => body
                    .iter()
                    .filter_map(|b| match b {
                        Block::Para { text, .. } => Some(text),
                        _ => None,
                    })
                    .collect(),
                Block::Heading { .. } | Block::Table(_) | Block::Tabs { .. } | Block::Fence(_) => {
                    break;
                }
                _ => Vec::new(),
            };
            for t in texts {
                if let Some(named) = super::conform::alternatives_named(t) {
                    sentences.push((t.trim().to_string(), named));
                }
            }
        }
        if sentences.is_empty() {
            continue;
        }
        let Block::Table(t) = &mut blocks[i] else {
            continue;
        };
        let header = t.rows.first().is_some_and(is_header);
        for row in t.rows.iter_mut().skip(usize::from(header)) {
            let Some(name) = row.cells.first().and_then(|c| read_name_cell(c, defs)) else {
                continue;
            };
            if row.cells.len() < 2 {
                continue;
            }
            let Some(desc) = row.cells.last_mut() else {
                continue;
            };
            for (sentence, named) in &sentences {
                if named.contains(&name.name) && !desc.contains(sentence.as_str()) {
                    desc.push_str("\n\n");
                    desc.push_str(sentence);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_in_the_second_column_is_the_field() {
        let row = |cells: &[&str]| Row {
            line: 1,
            cells: cells.iter().map(|c| c.to_string()).collect(),
        };
        let rows = [
            row(&["**CRM Object**", "**Name**", "**Description**"]),
            row(&["**Deal**", "`dealCategoryId`", "Funnel of the deal"]),
        ];
        let read = name_in_second_column(&rows).expect("read");
        assert_eq!(
            read[1].cells,
            ["**dealCategoryId**", "Deal: Funnel of the deal"]
        );
        // The usual layout is left alone.
        let usual = [
            row(&["**Name**\n`type`", "**Description**"]),
            row(&["**ID**", "Identifier"]),
        ];
        assert!(name_in_second_column(&usual).is_none());
    }
}
