//! Error tables in their several layouts, normalised to `ErrorDoc {status, code,
//! message, description}`.
//!
//! | header                                   | columns                              |
//! |------------------------------------------|--------------------------------------|
//! | Code, Description                        | code, description                    |
//! | Code, Error Message (Text), Description  | code, message, description           |
//! | Code, Description, Value                 | HTTP status, code, description       |
//! | Code, Description, When It Occurs        | code, message, description           |
//! | Code, Description, Additional Information| code, message, description           |
//! | Code, Description, Status                | code, description, status            |
//! | Status, Code, Description, Value         | status, code, message, description   |
//! | Status, Code, Description, When It Occurs| status, code, message, description   |
//! | Status, Code⏎Error Message, Description   | status, code⏎message, description    |
//! | Description, Value                       | code, description                    |
//! | Error Text, Description                  | message (empty code), description    |
//!
//! A code cell holding a bullet list gives one error per bullet. `Empty string` /
//! `Empty value` mean the empty code.
//!
//! REST 3.0 pages name the code in a line above the table (``Error Code: `CODE` ``) and
//! list what the portal answers per parameter: `Field, Error Description, How to Fix`
//! ([`transcribe_coded`]).

use crate::spec::model::ErrorDoc;

use super::text::{self, LinkCtx};
use super::yfm::Row;

/// Column roles of an error table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Col {
    Status,
    Code,
    CodeMessage,
    Message,
    Description,
    /// "Code" column that holds the HTTP status (`Code, Description, Value`).
    StatusInCode,
}

/// Whether a header row looks like an error table's.
pub fn is_error_header(header: &[String]) -> bool {
    let h = labels(header);
    h.iter().any(|l| {
        l.starts_with("code") || l == "status" || l == "error text" || l == "error message"
    }) || h == ["description", "value"]
}

fn labels(header: &[String]) -> Vec<String> {
    header
        .iter()
        .map(|c| text::plain(c).to_lowercase())
        .collect()
}

fn layout(header: &[String]) -> Option<Vec<Col>> {
    let h = labels(header);
    let h: Vec<&str> = h.iter().map(String::as_str).collect();
    let msg = |s: &str| matches!(s, "error message" | "error text" | "message");
    Some(match h.as_slice() {
        ["code", "description"] | ["description", "value"] | ["code", "value"] => {
            vec![Col::Code, Col::Description]
        }
        ["code", m, "description"] if msg(m) => vec![Col::Code, Col::Message, Col::Description],
        // The portal's message, then when it occurs.
        [
            "code",
            "description",
            "when it occurs" | "additional information",
        ] => {
            vec![Col::Code, Col::Message, Col::Description]
        }
        ["code", "description", "status"] => vec![Col::Code, Col::Description, Col::Status],
        ["code", "description", "value"] => vec![Col::StatusInCode, Col::Code, Col::Description],
        ["status", "code", "description", "value" | "when it occurs"] => {
            vec![Col::Status, Col::Code, Col::Message, Col::Description]
        }
        ["status", "code", m, "description"] if msg(m) => {
            vec![Col::Status, Col::Code, Col::Message, Col::Description]
        }
        ["status", cm, "description"] if cm.starts_with("code") && cm.contains("message") => {
            vec![Col::Status, Col::CodeMessage, Col::Description]
        }
        ["status", "code", "description"] => vec![Col::Status, Col::Code, Col::Description],
        ["error text", "description"] | ["error message", "description"] => {
            vec![Col::Message, Col::Description]
        }
        _ => return None,
    })
}

/// One transcribed error table.
#[derive(Debug, Clone, Default)]
pub struct ErrorTable {
    /// The errors, in documented order.
    pub errors: Vec<ErrorDoc>,
    /// Data rows in the table.
    pub rows: usize,
    /// Problems, with their line.
    pub problems: Vec<(usize, String)>,
}

/// The code a cell holds: backticks removed; `Empty string`, `-`, `""` mean empty.
fn code_of(cell: &str) -> String {
    let p = text::plain(cell);
    match p.to_lowercase().as_str() {
        "empty string" | "empty value" | "empty" | "\"\"" | "''" | "(empty)" => String::new(),
        _ => p,
    }
}

/// The codes of a cell: one per bullet when the cell is a bullet list.
fn codes_of(cell: &str) -> Vec<String> {
    let items: Vec<&str> = cell
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    if items.len() > 1
        && items
            .iter()
            .all(|l| l.starts_with("- ") || l.starts_with("* "))
    {
        items.iter().map(|l| code_of(&l[2..])).collect()
    } else if items.len() > 1
        && items.iter().all(|l| {
            let spans = text::code_spans(l);
            spans.len() == 1 && l.len() == spans[0].len() + 2
        })
    {
        // One code span per line (`200750000008`⏎`200750000004`): a code each.
        items.iter().map(|l| code_of(l)).collect()
    } else {
        vec![code_of(cell)]
    }
}

/// The HTTP status a cell holds (`-`, `—` or empty: none). A "Status" column may say
/// `200`: some errors come with HTTP 200 (`sign.b2e.hcmlink.document.get`); a "Code"
/// column's number is a status only from 400 up.
fn status_of(cell: &str, lowest: u16) -> Result<Option<u16>, String> {
    let p = text::plain(cell);
    let p = p.trim();
    if p.is_empty() || p == "-" || p == "—" {
        return Ok(None);
    }
    match p.parse::<u16>() {
        Ok(s) if (lowest..=599).contains(&s) => Ok(Some(s)),
        _ => Err(p.to_string()),
    }
}

/// A description cell whose first line is only a code span and which goes on:
/// the span is the message (`` `Access Denied` ``⏎`Insufficient permissions`).
fn split_message(cell: &str) -> (Option<String>, String) {
    let mut lines = cell.lines();
    let first = lines.next().unwrap_or("").trim();
    let rest: Vec<&str> = lines.collect();
    let spans = text::code_spans(first);
    if spans.len() == 1 && first.starts_with('`') && first.ends_with('`') && !rest.is_empty() {
        return (Some(spans[0].clone()), rest.join("\n"));
    }
    (None, cell.to_string())
}

/// Transcribes an error table (header first).
pub fn transcribe(rows: &[Row], ctx: &LinkCtx) -> ErrorTable {
    let mut out = ErrorTable::default();
    let Some((header, data)) = rows.split_first() else {
        return out;
    };
    out.rows = data.len();
    let cols = layout(&header.cells).unwrap_or_else(|| {
        out.problems.push((
            header.line,
            format!(
                "unknown error table layout {:?}: read as code, description",
                labels(&header.cells)
            ),
        ));
        vec![Col::Code, Col::Description]
    });
    // "Code, Description, Value" puts the HTTP status first, but a table whose first
    // column also holds codes (`ERROR_IMAGE_ID`, `1018`) has its `—` rows say "no code",
    // the next column the message (`— | Wrong group ID | ...`). A status stays a status
    // (`400 | Parameter 'fields' must be array` beside `ERROR_NOT_FOUND`); the page's
    // error example may show it is a code (`codes_that_are_messages`).
    let first_is_code = cols.first() == Some(&Col::StatusInCode)
        && data
            .iter()
            .filter_map(|r| r.cells.first())
            .any(|c| status_of(c, 400).is_err());
    for row in data {
        let mut status = None;
        let mut codes = vec![String::new()];
        let mut message: Option<String> = None;
        let mut description = String::new();
        let cells: Vec<&String> = row.cells.iter().collect();
        if cells.len() < cols.len() {
            out.problems.push((
                row.line,
                format!(
                    "error row has {} cells, the layout {}",
                    cells.len(),
                    cols.len()
                ),
            ));
        }
        let mut status_was_code = false;
        for (i, col) in cols.iter().enumerate() {
            let Some(cell) = cells.get(i) else { continue };
            match col {
                Col::Status => match status_of(cell, 200) {
                    Ok(s) => status = s,
                    Err(bad) => out.problems.push((
                        row.line,
                        format!("status `{bad}` is not an HTTP error status"),
                    )),
                },
                Col::StatusInCode => match status_of(cell, 400) {
                    Ok(None) if first_is_code => status_was_code = true,
                    Ok(s) => status = s,
                    Err(bad) => {
                        // Not a status: this row's "Code" column holds the error code and
                        // "Description" the message (`CODE | message | meaning`).
                        if bad.chars().all(|c| c.is_ascii_digit()) {
                            out.problems.push((
                                row.line,
                                format!("`{bad}` in the status column is not an HTTP status: read as the error code"),
                            ));
                        }
                        codes = vec![code_of(cell)];
                        status_was_code = true;
                    }
                },
                Col::Code => {
                    if status_was_code {
                        message = Some(code_of(cell));
                    } else {
                        codes = codes_of(cell);
                    }
                }
                Col::CodeMessage => {
                    let mut lines = cell.lines();
                    codes = vec![code_of(lines.next().unwrap_or(""))];
                    let m = text::plain(&lines.collect::<Vec<_>>().join(" "));
                    message = (!m.is_empty()).then_some(m);
                }
                Col::Message => {
                    let m = text::plain(cell);
                    message = (!m.is_empty()).then_some(m);
                }
                Col::Description => {
                    let (m, d) = split_message(cell);
                    if m.is_some() && message.is_none() {
                        message = m;
                    }
                    description = text::clean_md(&d, ctx);
                }
            }
        }
        for code in codes {
            out.errors.push(ErrorDoc {
                status,
                code,
                message: message.clone(),
                description: description.clone(),
            });
        }
    }
    out
}

/// The code a REST 3.0 page's ``Error Code: `CODE` `` line names (any case of
/// "error code"), if the paragraph is one.
pub fn code_line(paragraph: &str) -> Option<String> {
    let t = paragraph.trim();
    let head = t.get(..11)?;
    if !head.eq_ignore_ascii_case("error code:") || t.lines().count() != 1 {
        return None;
    }
    let spans = text::code_spans(&t[11..]);
    match spans.as_slice() {
        [code] if !code.trim().is_empty() => Some(code.trim().to_owned()),
        _ => None,
    }
}

/// Whether a header row is a REST 3.0 page's per-parameter error table: `Field, Error
/// Description, How to Fix`.
pub fn is_coded_header(header: &[String]) -> bool {
    matches!(
        labels(header)
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .as_slice(),
        ["field", "error description", "how to fix"]
    )
}

/// A REST 3.0 page's table for the error `code` (``Error Code: `CODE` `` above it): one
/// error per row, its message the portal's `message`, its description the field it is
/// about (`-` for none) and how to fix it.
pub fn transcribe_coded(code: &str, rows: &[Row], ctx: &LinkCtx) -> ErrorTable {
    let mut out = ErrorTable::default();
    let Some((_, data)) = rows.split_first() else {
        return out;
    };
    out.rows = data.len();
    for row in data {
        let cell = |i: usize| row.cells.get(i).map(String::as_str).unwrap_or("");
        if row.cells.len() < 3 {
            out.problems.push((
                row.line,
                format!("error row has {} cells, the layout 3", row.cells.len()),
            ));
        }
        let field = text::plain(cell(0));
        let message = text::plain(cell(1));
        let fix = text::clean_md(cell(2), ctx);
        let description = match field.trim() {
            "" | "-" | "—" => fix,
            f => format!("`{f}`: {fix}"),
        };
        out.errors.push(ErrorDoc {
            status: None,
            code: code.to_owned(),
            message: (!message.is_empty()).then_some(message),
            description,
        });
    }
    out
}

/// When one of the page's error examples answers a sentence-like "code" of the table
/// as its `error_description` (with `"error": ""` or `0`), the table's sentence-like
/// "codes" are messages: they become the `message`, and take the example's code (often
/// the empty code: the API answers `"error": ""` and only the message tells them apart).
pub fn codes_that_are_messages(errors: &mut [ErrorDoc], examples: &[(String, String)]) -> bool {
    let norm = |s: &str| s.trim().trim_end_matches(['.', '!']).to_lowercase();
    let sentence = |c: &str| c.contains(' ');
    // `422 | Invalid date period` read as HTTP 422 with a sentence for a code, while the
    // example answers `{"error": 422, "error_description": "Invalid date period"}`: 422 is
    // the code there, the sentence its message (`booking.v1.*`).
    let mut numbered = false;
    for (code, msg) in examples {
        let Ok(n) = code.parse::<u16>() else { continue };
        if !errors
            .iter()
            .any(|e| e.status == Some(n) && sentence(&e.code) && norm(msg) == norm(&e.code))
        {
            continue;
        }
        for e in errors
            .iter_mut()
            .filter(|e| e.status == Some(n) && sentence(&e.code) && e.message.is_none())
        {
            e.message = Some(std::mem::replace(&mut e.code, code.clone()));
            e.status = None;
            numbered = true;
        }
    }
    let evidence = examples.iter().find(|(code, msg)| {
        (code.is_empty() || code == "0")
            && errors
                .iter()
                .any(|e| sentence(&e.code) && norm(msg) == norm(&e.code))
    });
    let Some((code, _)) = evidence else {
        return numbered;
    };
    for e in errors.iter_mut().filter(|e| sentence(&e.code)) {
        if e.message.is_none() {
            e.message = Some(std::mem::replace(&mut e.code, code.clone()));
        }
    }
    true
}

/// One entry per `(status, code)`: the docs list some codes once per message; the
/// merged entry keeps every message and meaning as a list in its description. An empty
/// code (the API answers `"error": ""`) is told apart by its message, so those are kept.
pub fn merge_duplicates(errors: Vec<ErrorDoc>) -> Vec<ErrorDoc> {
    let mut groups: Vec<Vec<ErrorDoc>> = Vec::new();
    for e in errors {
        match groups.iter_mut().find(|g| {
            g[0].status == e.status
                && g[0].code == e.code
                && (!e.code.is_empty() || g[0].message == e.message)
        }) {
            Some(g) => g.push(e),
            None => groups.push(vec![e]),
        }
    }
    groups
        .into_iter()
        .map(|mut g| {
            if g.len() == 1 {
                return g.remove(0);
            }
            let first = g[0].clone();
            let same_message = g.iter().all(|e| e.message == first.message);
            let mut lines: Vec<String> = Vec::new();
            for e in &g {
                let line = match (&e.message, same_message) {
                    (Some(m), false) if e.description.is_empty() => format!("- `{m}`"),
                    (Some(m), false) => format!("- `{m}`: {}", e.description),
                    _ => format!("- {}", e.description),
                };
                if !lines.contains(&line) {
                    lines.push(line);
                }
            }
            ErrorDoc {
                status: first.status,
                code: first.code,
                message: if same_message { first.message } else { None },
                description: lines.join("\n"),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn ctx() -> LinkCtx {
        LinkCtx {
            page_path: "a/b.md".into(),
            base_url: "https://x/".into(),
            defs: BTreeMap::new(),
        }
    }

    fn rows(cells: &[&[&str]]) -> Vec<Row> {
        cells
            .iter()
            .enumerate()
            .map(|(i, c)| Row {
                line: i + 1,
                cells: c.iter().map(|s| s.to_string()).collect(),
            })
            .collect()
    }

    #[test]
    fn layouts() {
        let t = transcribe(
            &rows(&[
                &["**Code**", "**Description**"],
                &["`ACCESS_DENIED`", "No rights"],
            ]),
            &ctx(),
        );
        assert_eq!(
            t.errors[0],
            ErrorDoc {
                status: None,
                code: "ACCESS_DENIED".into(),
                message: None,
                description: "No rights".into()
            }
        );

        let t = transcribe(
            &rows(&[
                &["**Code**", "**Error Message**", "**Description**"],
                &["Empty string", "Access denied.", "No CRM"],
            ]),
            &ctx(),
        );
        assert_eq!(t.errors[0].code, "");
        assert_eq!(t.errors[0].message.as_deref(), Some("Access denied."));

        let t = transcribe(
            &rows(&[
                &["**Code**", "**Description**", "**Value**"],
                &["`400`", "`Incorrect list id`", "Bad id"],
            ]),
            &ctx(),
        );
        assert_eq!(t.errors[0].status, Some(400));
        assert_eq!(t.errors[0].code, "Incorrect list id");

        // One code span per line: a code each (sale.persontype.delete).
        let t = transcribe(
            &rows(&[
                &["**Code**", "**Description**"],
                &["`200750000008`\n`200750000004`", "Unable to delete"],
            ]),
            &ctx(),
        );
        let codes: Vec<&str> = t.errors.iter().map(|e| e.code.as_str()).collect();
        assert_eq!(codes, ["200750000008", "200750000004"]);

        let t = transcribe(
            &rows(&[
                &["**Code**", "**Description**", "**Status**"],
                &["`ACCESS_DENIED`", "Insufficient permissions", "403"],
            ]),
            &ctx(),
        );
        assert_eq!(t.errors[0].status, Some(403));
        assert_eq!(t.errors[0].code, "ACCESS_DENIED");
        assert_eq!(t.errors[0].description, "Insufficient permissions");

        let t = transcribe(
            &rows(&[
                &["**Code**", "**Description**", "**When It Occurs**"],
                &["`0`", "Operation failed", "The job was not found"],
            ]),
            &ctx(),
        );
        assert_eq!(t.errors[0].message.as_deref(), Some("Operation failed"));
        assert_eq!(t.errors[0].description, "The job was not found");

        // A status column may say 200 (sign.b2e.hcmlink.document.get).
        let t = transcribe(
            &rows(&[
                &["**Status**", "**Code**", "**Description**", "**Value**"],
                &[
                    "`200`",
                    "`SIGN_HCMLINK_DOCUMENT_NOT_FOUND`",
                    "Not found",
                    "Unlinked",
                ],
            ]),
            &ctx(),
        );
        assert_eq!(t.errors[0].status, Some(200));
        assert_eq!(t.errors[0].code, "SIGN_HCMLINK_DOCUMENT_NOT_FOUND");
        assert!(t.problems.is_empty(), "{:?}", t.problems);

        // The same header over statuses and codes: a status stays one, `—` is no code.
        let t = transcribe(
            &rows(&[
                &["**Code**", "**Description**", "**Value**"],
                &["`ERROR_IMAGE_ID`", "`Image is incorrect`", "Bad image"],
                &["—", "`Wrong group ID`", "Bad group"],
                &["`422`", "`Invalid date period`", "Incorrect time period"],
            ]),
            &ctx(),
        );
        assert_eq!(
            (t.errors[1].code.as_str(), t.errors[1].message.as_deref()),
            ("", Some("Wrong group ID"))
        );
        assert_eq!(
            (t.errors[2].status, t.errors[2].code.as_str()),
            (Some(422), "Invalid date period")
        );

        let t = transcribe(
            &rows(&[
                &["**Status**", "**Code**", "**Description**", "**Value**"],
                &["`403`", "`ACCESS_DENIED`", "Access denied!", "Not admin"],
            ]),
            &ctx(),
        );
        assert_eq!(
            t.errors[0],
            ErrorDoc {
                status: Some(403),
                code: "ACCESS_DENIED".into(),
                message: Some("Access denied!".into()),
                description: "Not admin".into()
            }
        );

        let t = transcribe(
            &rows(&[
                &[
                    "**Status**",
                    "**Code**\n**Error Message**",
                    "**Description**",
                ],
                &["`500`", "`INTERNAL`\nInternal error", "Call support"],
            ]),
            &ctx(),
        );
        assert_eq!(
            t.errors[0],
            ErrorDoc {
                status: Some(500),
                code: "INTERNAL".into(),
                message: Some("Internal error".into()),
                description: "Call support".into()
            }
        );
    }

    #[test]
    fn bullet_codes_and_message_lines() {
        let t = transcribe(
            &rows(&[
                &["**Code**", "**Description**"],
                &["- `A failed`\n- `B failed`", "Email errors"],
                &["`0`", "`Required fields`\nNot given"],
            ]),
            &ctx(),
        );
        assert_eq!(t.rows, 2);
        assert_eq!(t.errors.len(), 3);
        assert_eq!(t.errors[1].code, "B failed");
        assert_eq!(t.errors[2].message.as_deref(), Some("Required fields"));
        assert_eq!(t.errors[2].description, "Not given");
    }

    #[test]
    fn sentence_codes_become_messages_on_evidence() {
        let mut e = vec![ErrorDoc {
            status: None,
            code: "Access denied".into(),
            message: None,
            description: String::new(),
        }];
        assert!(!codes_that_are_messages(
            &mut e,
            &[("".into(), "Other".into())]
        ));
        assert!(!codes_that_are_messages(
            &mut e,
            &[("X".into(), "Access denied.".into())]
        ));
        assert!(codes_that_are_messages(
            &mut e,
            &[("".into(), "Access denied.".into())]
        ));
        assert_eq!(e[0].code, "", "the example's empty code");
        assert_eq!(e[0].message.as_deref(), Some("Access denied"));
        let mut e = vec![ErrorDoc {
            status: None,
            code: "Bad thing".into(),
            message: None,
            description: String::new(),
        }];
        assert!(codes_that_are_messages(
            &mut e,
            &[("0".into(), "Bad thing.".into())]
        ));
        assert_eq!(
            (e[0].code.as_str(), e[0].message.as_deref()),
            ("0", Some("Bad thing"))
        );
        // A status the example answers as the code (`{"error": 422, ...}`).
        let mut e = vec![ErrorDoc {
            status: Some(422),
            code: "Invalid date period".into(),
            message: None,
            description: String::new(),
        }];
        assert!(!codes_that_are_messages(
            &mut e,
            &[("422".into(), "Other".into())]
        ));
        assert!(codes_that_are_messages(
            &mut e,
            &[("422".into(), "Invalid date period".into())]
        ));
        assert_eq!(
            (e[0].status, e[0].code.as_str(), e[0].message.as_deref()),
            (None, "422", Some("Invalid date period"))
        );
    }

    #[test]
    fn empty_codes_and_duplicates() {
        let d = |code: &str, m: Option<&str>, desc: &str| ErrorDoc {
            status: None,
            code: code.into(),
            message: m.map(Into::into),
            description: desc.into(),
        };
        let empty = merge_duplicates(vec![
            d("", Some("Access denied."), "No access"),
            d("", Some("Not found"), "No such deal"),
        ]);
        assert_eq!(
            empty.len(),
            2,
            "empty codes are told apart by their message"
        );
        let merged = merge_duplicates(vec![
            d("A", Some("x"), "X"),
            d("B", None, "b"),
            d("A", Some("y"), "Y"),
        ]);
        assert_eq!(merged.len(), 2);
        assert_eq!(merged[0], d("A", None, "- `x`: X\n- `y`: Y"));
    }
}
