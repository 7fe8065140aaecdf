//! JSON examples: the request body of the `cURL (Webhook)` tab (`-d '{...}'`), and the
//! success / error response blocks. Invalid JSON is repaired when mechanical
//! ([`super::json_repair`]), else dropped; everything is counted.

use crate::spec::model::Example;

use super::json_repair;
use super::yfm::{Block, Tab};

/// What kind of example a block is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// A request body.
    Request,
    /// A successful response (`"result"`).
    Response,
    /// An error response (`"error"`).
    Error,
}

/// Examples found / valid as written / repaired / dropped.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Candidate JSON blocks seen.
    pub found: usize,
    /// Valid JSON as written.
    pub valid: usize,
    /// Repaired mechanically.
    pub repaired: usize,
    /// Dropped (not repairable).
    pub dropped: usize,
}

impl std::ops::AddAssign for Stats {
    fn add_assign(&mut self, o: Stats) {
        self.found += o.found;
        self.valid += o.valid;
        self.repaired += o.repaired;
        self.dropped += o.dropped;
    }
}

/// One example taken from the page.
#[derive(Debug, Clone, PartialEq)]
pub struct Taken {
    /// Request, response or error.
    pub kind: Kind,
    /// The example.
    pub example: Example,
    /// 1-based line of its block.
    pub line: usize,
}

/// The examples of `list` that are meant to round-trip and are JSON objects, parsed (a
/// request example's parameters).
pub(super) fn objects(list: &[Example]) -> Vec<serde_json::Map<String, serde_json::Value>> {
    list.iter()
        .filter(|e| e.skip_round_trip.is_none())
        .filter_map(|e| match serde_json::from_str(&e.json) {
            Ok(serde_json::Value::Object(o)) => Some(o),
            _ => None,
        })
        .collect()
}

/// The `result` of each response example of `list` that is meant to round-trip.
pub(super) fn results(list: &[Example]) -> Vec<serde_json::Value> {
    objects(list)
        .into_iter()
        .filter_map(|mut o| o.remove("result"))
        .collect()
}

/// The `-d` payload of a curl command: one shell word (single- and double-quoted
/// parts concatenated, `'\''` unescaped). A `$(date ...)` substitution becomes a fixed
/// example date, reported in the second value.
pub fn curl_data(code: &str) -> Option<(String, Option<String>)> {
    let chars: Vec<char> = code.chars().collect();
    let mut k = 0;
    while k + 1 < chars.len() {
        let flag_d = chars[k] == '-'
            && chars[k + 1] == 'd'
            && (k == 0 || chars[k - 1].is_whitespace())
            && chars.get(k + 2).is_some_and(|c| c.is_whitespace());
        let flag_data: String = chars[k..(k + 7).min(chars.len())].iter().collect();
        let flag_data = flag_data == "--data " && (k == 0 || chars[k - 1].is_whitespace());
        if !(flag_d || flag_data) {
            k += 1;
            continue;
        }
        k += if flag_d { 2 } else { 6 };
        while k < chars.len() && chars[k].is_whitespace() {
            k += 1;
        }
        return shell_word(&chars[k..]);
    }
    None
}

/// Reads one shell word: quoted parts and bare characters until unquoted whitespace.
fn shell_word(c: &[char]) -> Option<(String, Option<String>)> {
    let mut out = String::new();
    let mut note = None;
    let mut k = 0;
    while k < c.len() && !c[k].is_whitespace() {
        match c[k] {
            '\'' => {
                k += 1;
                while k < c.len() && c[k] != '\'' {
                    out.push(c[k]);
                    k += 1;
                }
                if k >= c.len() {
                    return None;
                }
                k += 1;
            }
            '"' => {
                k += 1;
                while k < c.len() && c[k] != '"' {
                    if c[k] == '\\' && k + 1 < c.len() {
                        out.push(c[k + 1]);
                        k += 2;
                        continue;
                    }
                    if c[k] == '$' && c.get(k + 1) == Some(&'(') {
                        let (cmd, end) = substitution(c, k + 2)?;
                        let value = fixed_date(&cmd)?;
                        note = Some(format!(
                            "replaced the shell substitution `$({cmd})` by `{value}`"
                        ));
                        out.push_str(&value);
                        k = end;
                        continue;
                    }
                    out.push(c[k]);
                    k += 1;
                }
                if k >= c.len() {
                    return None;
                }
                k += 1;
            }
            '\\' if c.get(k + 1) == Some(&'\n') => break,
            '\\' if k + 1 < c.len() => {
                out.push(c[k + 1]);
                k += 2;
            }
            ch => {
                out.push(ch);
                k += 1;
            }
        }
    }
    Some((out, note))
}

/// The command of `$(...)` starting at `start` and the index after its `)`.
fn substitution(c: &[char], start: usize) -> Option<(String, usize)> {
    let mut depth = 1;
    let mut k = start;
    let mut quote: Option<char> = None;
    while k < c.len() {
        let ch = c[k];
        match quote {
            Some(q) if ch == q => quote = None,
            Some(_) => {}
            None if ch == '\'' || ch == '"' => quote = Some(ch),
            None if ch == '(' => depth += 1,
            None if ch == ')' => {
                depth -= 1;
                if depth == 0 {
                    return Some((c[start..k].iter().collect(), k + 1));
                }
            }
            None => {}
        }
        k += 1;
    }
    None
}

/// A fixed stand-in for `date` commands (other commands are not replaced).
fn fixed_date(cmd: &str) -> Option<String> {
    let cmd = cmd.trim();
    if !cmd.starts_with("date") {
        return None;
    }
    if cmd.contains("+%Y-%m-%d") && !cmd.contains("%H") {
        Some("2025-01-01".into())
    } else {
        Some("2025-01-01T00:00:00+00:00".into())
    }
}

/// The method a curl command calls: the last path segment of its `/rest/` URL.
pub fn curl_method(code: &str) -> Option<String> {
    rest_url_methods(code)
        .into_iter()
        .rfind(|m| m.contains('.'))
        .map(str::to_string)
}

/// The last path segment of every `/rest/` URL in `text`, without the response-format
/// suffix (`crm.deal.add.json` → `crm.deal.add`), in order.
pub fn rest_url_methods(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    for (start, _) in text.match_indices("/rest/") {
        let end = text[start..]
            .find(|c: char| c.is_whitespace() || matches!(c, '\'' | '"' | '`' | ')'))
            .map_or(text.len(), |e| start + e);
        let path = text[start..end].split(['?', '#']).next().unwrap_or("");
        if let Some(last) = path.trim_end_matches('/').rsplit('/').next() {
            let last = super::discover::strip_format_suffix(last);
            if !last.is_empty() && last != "rest" && last != "api" {
                out.push(last);
            }
        }
    }
    out
}

fn fences(blocks: &[Block]) -> Vec<(String, usize)> {
    let mut out = Vec::new();
    for b in blocks {
        match b {
            Block::Fence(f) => out.push((f.body.clone(), f.line)),
            Block::Note { body, .. } => out.extend(fences(body)),
            _ => {}
        }
    }
    out
}

fn norm_title(t: &str) -> String {
    t.to_lowercase()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The request example of one `{% list tabs %}`: the webhook tab, else the OAuth tab
/// with `auth` removed. Also returns every method name the curl URLs call.
pub fn request_from_tabs(
    tabs: &[Tab],
    stats: &mut Stats,
    problems: &mut Vec<(usize, String)>,
) -> (Option<Taken>, Vec<(usize, String)>) {
    let mut urls = Vec::new();
    for t in tabs {
        if norm_title(&t.title).contains("curl") {
            for (code, line) in fences(&t.body) {
                if let Some(m) = curl_method(&code) {
                    urls.push((line, m));
                }
            }
        }
    }
    let webhook = tabs.iter().find(|t| {
        let n = norm_title(&t.title);
        n.contains("curl") && n.contains("webhook")
    });
    let oauth = tabs.iter().find(|t| {
        let n = norm_title(&t.title);
        n.contains("curl") && n.contains("oauth")
    });
    let (tab, from_oauth) = match (webhook, oauth) {
        (Some(t), _) => (t, false),
        (None, Some(t)) => (t, true),
        (None, None) => return (None, urls),
    };
    let Some((code, line)) = fences(&tab.body)
        .into_iter()
        .find(|(c, _)| c.contains("curl"))
    else {
        return (None, urls);
    };
    let Some((data, shell_note)) = curl_data(&code) else {
        // A call without a body is a request without parameters.
        return (None, urls);
    };
    stats.found += 1;
    match json_repair::repair(&data) {
        Ok((json, repaired)) => {
            let repaired = match (shell_note, repaired) {
                (Some(a), Some(b)) => Some(format!("{a}; {b}")),
                (a, b) => a.or(b),
            };
            let (json, repaired) = if from_oauth {
                match strip_auth(&json) {
                    Some(j) => {
                        let what =
                            "taken from the cURL (OAuth) tab (no webhook tab), `auth` removed"
                                .to_string();
                        let r = match repaired {
                            Some(r) => format!("{what}; {r}"),
                            None => what,
                        };
                        (j, Some(r))
                    }
                    None => (json, repaired),
                }
            } else {
                (json, repaired)
            };
            if repaired.is_some() {
                stats.repaired += 1;
            } else {
                stats.valid += 1;
            }
            let example = Example {
                json,
                repaired,
                skip_round_trip: None,
            };
            (
                Some(Taken {
                    kind: Kind::Request,
                    example,
                    line,
                }),
                urls,
            )
        }
        Err(e) => {
            stats.dropped += 1;
            problems.push((line, format!("request example dropped: {e}")));
            (None, urls)
        }
    }
}

fn strip_auth(json: &str) -> Option<String> {
    let mut v: serde_json::Value = serde_json::from_str(json).ok()?;
    let obj = v.as_object_mut()?;
    obj.shift_remove("auth")?;
    serde_json::to_string(&v).ok()
}

/// How a response example the docs show without its envelope is repaired.
pub const BARE_RESULT: &str = "wrapped in the `result` envelope (the docs show the bare result)";

/// How a bare result that is one item of a list result is repaired instead.
pub const BARE_ITEM: &str = "one item of the list result, shown bare (a sample of the item's structure): wrapped in the `result` envelope as a one-item list";

/// Classifies and repairs a JSON block from the response or error sections.
/// `section_kind` is what the section suggests when the block cannot be read.
/// `bare_result`: a JSON object without `result`/`error` is the bare result (the docs
/// left out the envelope) and is wrapped.
pub fn response_block(
    body: &str,
    line: usize,
    section_kind: Kind,
    bare_result: bool,
    stats: &mut Stats,
    problems: &mut Vec<(usize, String)>,
) -> Option<Taken> {
    stats.found += 1;
    match json_repair::repair(body) {
        Ok((json, repaired)) => {
            let value: serde_json::Value = serde_json::from_str(&json).ok()?;
            let (kind, json, repaired) = match value.as_object() {
                Some(o) if o.contains_key("error") => (Kind::Error, json, repaired),
                Some(o) if o.contains_key("result") => (Kind::Response, json, repaired),
                Some(_) if bare_result => {
                    let mut env = serde_json::Map::new();
                    env.insert("result".into(), value);
                    let wrapped =
                        serde_json::to_string_pretty(&serde_json::Value::Object(env)).ok()?;
                    let what = BARE_RESULT.to_string();
                    (
                        Kind::Response,
                        wrapped,
                        Some(match repaired {
                            Some(r) => format!("{what}; {r}"),
                            None => what,
                        }),
                    )
                }
                _ => {
                    stats.found -= 1;
                    return None;
                }
            };
            if repaired.is_some() {
                stats.repaired += 1;
            } else {
                stats.valid += 1;
            }
            Some(Taken {
                kind,
                example: Example {
                    json,
                    repaired,
                    skip_round_trip: None,
                },
                line,
            })
        }
        Err(e) => {
            // Only blocks that look like an envelope count as dropped examples.
            let looks = body.contains("\"result\"") || body.contains("\"error\"");
            if looks {
                stats.dropped += 1;
                let what = match section_kind {
                    Kind::Error => "error",
                    _ => "response",
                };
                problems.push((line, format!("{what} example dropped: {e}")));
            } else {
                stats.found -= 1;
            }
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn curl() {
        let code = "curl -X POST \\\n  -H \"Content-Type: application/json\" \\\n  -d '{\"A\":\"it'\\''s\",\"B\":[1,2]}' \\\n  https://**your**/rest/1/**hook**/crm.calllist.add";
        assert_eq!(
            curl_data(code),
            Some(("{\"A\":\"it's\",\"B\":[1,2]}".to_string(), None))
        );
        assert_eq!(curl_method(code).as_deref(), Some("crm.calllist.add"));
        let multi = "curl -X POST \\\n-d '{\n  \"a\": 1\n}' \\\nhttps://x/rest/crm.a.b";
        assert_eq!(
            curl_data(multi).map(|d| d.0).as_deref(),
            Some("{\n  \"a\": 1\n}")
        );
        assert_eq!(curl_data("curl https://x/rest/a.b"), None);
        let sub =
            "curl -d '{\"d\":\"'\"$(date --date='-6 months' +%Y-%m-%d)\"'\"}' https://x/rest/a.b";
        let (data, note) = curl_data(sub).unwrap();
        assert_eq!(data, "{\"d\":\"2025-01-01\"}");
        assert!(
            note.unwrap()
                .contains("$(date --date='-6 months' +%Y-%m-%d)")
        );
        let hook =
            "curl -d '{\"HANDLER\":\"https://h/ping.php\"}' https://b24/rest/1/x/bizproc.robot.add";
        assert_eq!(curl_method(hook).as_deref(), Some("bizproc.robot.add"));
    }
}
