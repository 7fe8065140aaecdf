//! Which pages of a docs tree document a REST method or an inbound event, found from the
//! pages themselves (no list to maintain), and why every other page is skipped.
//!
//! Rules, in order (each page gets exactly one outcome):
//! 1. only `api-reference/**/*.md` outside `_includes`/`_include` folders is read;
//! 2. `index.md` is an overview page: skipped;
//! 3. a page whose only table-free content is the "We are still updating this page" note
//!    is a stub: skipped;
//! 4. an **event page**: its H1 names an event (`onCrmDealAdd`, `ONVOXIMPLANTCALLINIT`,
//!    `CATALOG.MEASURE.ON.ADD`) and it sits in an `events*` folder or its H1 starts with
//!    "Event"; a page in an `events*` folder whose H1 names none takes the first event
//!    name in code spans of its text (`Event on Booking Update` → `onBookingUpdate`);
//! 5. a **method page**: the page has a `Scope:` line and its H1 names the method (a
//!    dotted name: `crm.deal.add`, `imbot.v2.Bot.list`); else the method its cURL
//!    examples call (all of them agree); else the first code span of its first paragraph
//!    that is a method-like name; `BX24.*` names are the JavaScript SDK, not REST:
//!    skipped;
//! 6. a method page calling `/rest/api/` is a REST 3.0 page;
//! 7. anything else (guides, data-type pages, layouts) is skipped with its reason.
//!
//! Two pages naming the same method (and protocol) are both reported; the first in path
//! order is kept.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Context;
use serde::Deserialize;

/// The curated page names, relative to the workspace root.
pub const NAMES_FILE: &str = "spec/patches/_pages.yaml";

/// `spec/patches/_pages.yaml`: pages whose H1 names the method wrongly.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NamesFile {
    pages: Vec<PageName>,
}

/// One page whose method name discovery cannot read right, with the reason.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageName {
    /// Docs path of the page.
    pub path: String,
    /// The method's real name.
    pub method: String,
    /// Why the page's own name is wrong (for reviewers).
    pub reason: String,
}

/// Reads the curated page names (none when the file is absent).
pub fn load_names(file: &Path) -> anyhow::Result<Vec<PageName>> {
    let text = match std::fs::read_to_string(file) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e).with_context(|| format!("reading {}", file.display())),
    };
    let f: NamesFile =
        serde_yaml::from_str(&text).with_context(|| format!("reading {}", file.display()))?;
    if let Some(n) = f.pages.iter().find(|n| n.reason.trim().is_empty()) {
        anyhow::bail!("{}: `{}` has no reason", file.display(), n.path);
    }
    Ok(f.pages)
}

/// A page discovery found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// The method or event name.
    pub name: String,
    /// Docs-root-relative path.
    pub path: String,
    /// An event page (else a method page).
    pub event: bool,
    /// A REST 3.0 method page (`/rest/api/` address).
    pub rest_v3: bool,
    /// Where the name was read.
    pub by: Source,
}

/// Where discovery read a page's name, in order of trust.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Source {
    /// The H1 (or, for events, the page's text).
    H1,
    /// The cURL examples.
    Curl,
    /// The summary paragraph.
    Summary,
}

/// What discovery found in a docs tree.
#[derive(Debug, Clone, Default)]
pub struct Discovery {
    /// Method and event pages, by path.
    pub pages: Vec<Found>,
    /// Every other page, with the reason.
    pub skipped: Vec<(String, String)>,
}

impl Discovery {
    /// Skipped pages grouped by reason (reason → count), for the report.
    pub fn skipped_by_reason(&self) -> BTreeMap<String, usize> {
        let mut out = BTreeMap::new();
        for (_, r) in &self.skipped {
            let key = r.split(':').next().unwrap_or(r).to_string();
            *out.entry(key).or_insert(0) += 1;
        }
        out
    }
}

/// The docs paths of the `data-types.md` pages under `docs/api-reference` (the entity
/// tables [`super::shared`] reads), sorted; none when the folder cannot be read.
pub fn data_types_pages(docs: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![docs.join("api-reference")];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for p in rd.flatten().map(|e| e.path()) {
            if p.is_dir() {
                stack.push(p);
            } else if let Ok(rel) = p.strip_prefix(docs) {
                let rel = rel.to_string_lossy().replace('\\', "/");
                if super::shared::is_data_types_page(&rel) {
                    out.push(rel);
                }
            }
        }
    }
    out.sort();
    out
}

/// Reads every page under `docs/api-reference`.
pub fn discover(docs: &Path) -> std::io::Result<Discovery> {
    let root = docs.join("api-reference");
    let mut files = Vec::new();
    let mut stack = vec![root];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d)? {
            let p = e?.path();
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if p.is_dir() {
                if !name.starts_with("_include") {
                    stack.push(p);
                }
            } else if name.ends_with(".md") {
                files.push(p);
            }
        }
    }
    let mut rel: Vec<String> = files
        .iter()
        .filter_map(|p| p.strip_prefix(docs).ok())
        .map(|p| p.to_string_lossy().replace('\\', "/"))
        .collect();
    rel.sort();
    let mut out = Discovery::default();
    let mut seen: BTreeMap<(String, bool, bool), usize> = BTreeMap::new();
    for path in rel {
        let text = match std::fs::read(docs.join(&path)) {
            Ok(b) => String::from_utf8_lossy(&b).into_owned(),
            Err(e) => {
                out.skipped.push((path, format!("unreadable: {e}")));
                continue;
            }
        };
        match classify(&path, &text) {
            Ok(f) => {
                let key = (f.name.to_ascii_lowercase(), f.event, f.rest_v3);
                match seen.get(&key).copied() {
                    // A name read from the H1 beats one read from examples.
                    Some(i) if f.by < out.pages[i].by => {
                        let old = std::mem::replace(&mut out.pages[i], f);
                        let why = format!(
                            "duplicate: `{}` is documented by {}",
                            old.name, out.pages[i].path
                        );
                        out.skipped.push((old.path, why));
                    }
                    Some(i) => {
                        let why = format!(
                            "duplicate: `{}` is already documented by {}",
                            f.name, out.pages[i].path
                        );
                        out.skipped.push((path, why));
                    }
                    None => {
                        seen.insert(key, out.pages.len());
                        out.pages.push(f);
                    }
                }
            }
            Err(reason) => out.skipped.push((path, reason)),
        }
    }
    Ok(out)
}

/// The scope the method pages of a page's docs section declare, for a page that states
/// none (the outdated invoice events): the nearest folder, walking up from the page's,
/// whose method pages all declare one and the same `Scope:`.
pub fn section_scope(docs: &Path, page: &str) -> Option<String> {
    let mut dir = Path::new(page).parent();
    while let Some(d) = dir {
        if d.as_os_str().is_empty() || d == Path::new("api-reference") {
            return None;
        }
        let mut scopes: Vec<String> = Vec::new();
        if let Ok(rd) = std::fs::read_dir(docs.join(d)) {
            for e in rd.flatten() {
                let p = e.path();
                if p.extension().is_none_or(|x| x != "md") {
                    continue;
                }
                let Ok(text) = std::fs::read_to_string(&p) else {
                    continue;
                };
                if let Some(s) = scope_line(&text) {
                    scopes.push(s);
                }
            }
        }
        scopes.sort();
        scopes.dedup();
        if let [one] = scopes.as_slice() {
            return Some(one.clone());
        }
        if scopes.len() > 1 {
            return None;
        }
        dir = d.parent();
    }
    None
}

/// The scope a page's `> Scope: [`crm`](...)` line names.
fn scope_line(text: &str) -> Option<String> {
    super::text::code_spans(scope_quote(text)?)
        .into_iter()
        .next()
}

/// The `> Scope: ...` quote line near the top of a page.
fn scope_quote(text: &str) -> Option<&str> {
    text.lines().take(80).find(|l| {
        l.trim_start().starts_with('>')
            && l.trim_start_matches('>')
                .trim()
                .to_lowercase()
                .starts_with("scope:")
    })
}

/// Classifies one page (pure; what the tests use).
pub fn classify(path: &str, text: &str) -> Result<Found, String> {
    let file = path.rsplit('/').next().unwrap_or(path);
    if file == "index.md" {
        return Err("overview page (index.md)".into());
    }
    let h1 = h1(text).unwrap_or_default();
    let h1 = h1.as_str();
    let has_table = text.contains("#|");
    if text.contains("We are still updating this page") && !has_table {
        return Err("stub: \"We are still updating this page\" and no table".into());
    }
    let in_events = path
        .split('/')
        .rev()
        .skip(1)
        .any(|dir| dir.starts_with("events"));
    let h1_plain = h1.replace(['`', '*'], " ");
    let event_in_h1 = h1_plain.split_whitespace().rev().find(|w| is_event_name(w));
    let titled_event = h1.trim_start().to_lowercase().starts_with("event");
    let event_page = in_events || titled_event;
    if event_page {
        // Without the name in the H1, only a page titled "Event ..." names it in its text
        // (a guide in an events folder mentions events too).
        let name = event_in_h1.map(str::to_string).or_else(|| {
            (in_events && titled_event)
                .then(|| first_event_span(text))
                .flatten()
        });
        if let Some(name) = name {
            return Ok(Found {
                name,
                path: path.to_string(),
                event: true,
                rest_v3: false,
                by: Source::H1,
            });
        }
    }
    let rest_v3 = is_rest_v3(text);
    let from_h1 = h1_plain
        .split_whitespace()
        .map(|w| w.trim_matches(|c: char| matches!(c, ',' | ':' | '"' | '(' | ')' | '.')))
        .rfind(|w| is_method_name(w))
        .map(str::to_string);
    let curl = curl_methods(text);
    // A method page has a `Scope:` line; the `event.*` pages have none, but their H1 and
    // their cURL examples name the same method.
    let scoped = has_scope_line(text)
        || from_h1
            .as_deref()
            .is_some_and(|h| curl.as_deref().is_some_and(|c| c.eq_ignore_ascii_case(h)));
    if !scoped {
        return Err("not a method page: no `Scope:` line".into());
    }
    // Without the name in the H1, only a page with a parameters section is a method page
    // (placement guides call `placement.bind` in their examples).
    // An H1 that misspells the method (`humanresourses.employee.search`) loses to the one
    // name every REST URL of the page calls when the file is named after that name too.
    let file_name = path
        .rsplit('/')
        .next()
        .and_then(|f| f.strip_suffix(".md"))
        .map(|f| f.replace('-', "."));
    let from_h1 = match (from_h1, &curl) {
        (Some(h), Some(c))
            if !h.eq_ignore_ascii_case(c)
                && file_name
                    .as_deref()
                    .is_some_and(|f| f.eq_ignore_ascii_case(c)) =>
        {
            return Ok(Found {
                name: c.clone(),
                path: path.to_string(),
                event: false,
                rest_v3,
                by: Source::Curl,
            });
        }
        (h, _) => h,
    };
    let name = match from_h1 {
        Some(n) => Some((n, Source::H1)),
        None if has_params_heading(text) => curl
            .map(|n| (n, Source::Curl))
            .or_else(|| summary_method(text).map(|n| (n, Source::Summary))),
        None => None,
    };
    match name {
        Some((n, _)) if n.starts_with("BX24.") => {
            Err(format!("JavaScript SDK page: `{n}` is not a REST method"))
        }
        Some((n, by)) => Ok(Found {
            name: n,
            path: path.to_string(),
            event: false,
            rest_v3,
            by,
        }),
        None => Err("guide: no method named in its H1, or in the cURL examples or summary of a page with a parameters section".into()),
    }
}

fn has_params_heading(text: &str) -> bool {
    text.lines().any(|l| {
        let t = l.trim_start_matches('#').trim().to_lowercase();
        l.starts_with("## ") && (t.starts_with("method param") || t == "parameters")
    })
}

/// The first `# ` heading outside code fences.
fn h1(text: &str) -> Option<String> {
    let mut fence = false;
    for line in text.lines() {
        let t = line.trim_start();
        if t.starts_with("```") {
            fence = !fence;
        } else if !fence && let Some(h) = line.strip_prefix("# ") {
            return Some(h.trim().to_string());
        }
    }
    None
}

fn has_scope_line(text: &str) -> bool {
    scope_quote(text).is_some()
}

/// `crm.deal.add`, `imbot.v2.Bot.list`, `sonet_group.get`: two or more segments, each
/// starting with a letter, of letters, digits and `_`.
pub fn is_method_name(w: &str) -> bool {
    let segs: Vec<&str> = w.split('.').collect();
    segs.len() >= 2
        && segs.iter().all(|s| {
            s.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        })
        && !matches!(
            segs.last().map(|s| s.to_ascii_lowercase()).as_deref(),
            Some("md" | "php" | "js" | "json" | "html")
        )
}

/// `onCrmDealAdd`, `OnTaskAdd`, `ONVOXIMPLANTCALLINIT`, `CATALOG.MEASURE.ON.ADD`.
pub fn is_event_name(w: &str) -> bool {
    let camel = (w.starts_with("on") || w.starts_with("On") || w.starts_with("ON"))
        && w.len() > 4
        && w.chars().nth(2).is_some_and(|c| c.is_ascii_uppercase())
        && w.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    let dotted_upper = w.contains(".ON")
        && w.split('.').count() >= 3
        && w.split('.')
            .all(|s| !s.is_empty() && s.chars().all(|c| c.is_ascii_uppercase() || c == '_'));
    camel || dotted_upper
}

fn first_event_span(text: &str) -> Option<String> {
    super::text::code_spans(text)
        .into_iter()
        .find(|s| is_event_name(s))
}

/// The method every cURL example calls, when they agree (the last path segment of a
/// `/rest/` URL, without `.json`).
fn curl_methods(text: &str) -> Option<String> {
    let mut found: Option<&str> = None;
    let names = super::examples::rest_url_methods(text)
        .into_iter()
        .filter(|m| is_method_name(m) || m.chars().all(|c| c.is_ascii_alphabetic()));
    for m in names {
        match found {
            Some(f) if !f.eq_ignore_ascii_case(m) => return None,
            _ => found = Some(m),
        }
    }
    found.map(str::to_string)
}

/// `crm.deal.add.json` → `crm.deal.add` (the response-format suffix of REST URLs).
pub fn strip_format_suffix(s: &str) -> &str {
    s.strip_suffix(".json")
        .or_else(|| s.strip_suffix(".xml"))
        .unwrap_or(s)
}

/// "The method `crm.item.fields` returns ...": the first method-like code span of the
/// first paragraph after the H1 that is not a note or a quote.
fn summary_method(text: &str) -> Option<String> {
    let mut after_h1 = false;
    let mut in_note = false;
    for line in text.lines() {
        let t = line.trim();
        if t.starts_with("# ") {
            after_h1 = true;
            continue;
        }
        if !after_h1 || t.is_empty() || t.starts_with('>') {
            continue;
        }
        if t.starts_with("{% note") {
            in_note = true;
            continue;
        }
        if t.starts_with("{% endnote") {
            in_note = false;
            continue;
        }
        if in_note || t.starts_with("{%") {
            continue;
        }
        if t.starts_with('#') {
            return None;
        }
        return super::text::code_spans(t)
            .into_iter()
            .find(|s| is_method_name(s));
    }
    None
}

/// Whether a method page is of REST 3.0: its examples call the `/rest/api/` address (the
/// classic pages never write it).
pub fn is_rest_v3(text: &str) -> bool {
    text.contains("/rest/api/")
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCOPE: &str = "> Scope: [`crm`](x.md)\n>\n> Who can execute the method: any user\n";

    #[test]
    fn a_misspelt_h1_loses_to_the_examples_and_the_file_name() {
        let page = format!(
            "# Find Employees humanresourses.employee.search\n\n{SCOPE}\n```bash\ncurl https://x.bitrix24.com/rest/api/1/t/humanresources.employee.search\n```\n"
        );
        let path = "api-reference/departments/employee/humanresources-employee-search.md";
        let f = classify(path, &page).unwrap();
        assert_eq!(f.name, "humanresources.employee.search");
        // Another file name: the H1 stays (a page may document one name and show another).
        let f = classify("api-reference/departments/employee/search.md", &page).unwrap();
        assert_eq!(f.name, "humanresourses.employee.search");
    }

    #[test]
    fn method_from_h1_curl_or_summary() {
        let page = format!("# Add a Deal crm.deal.add\n\n{SCOPE}\nThe method adds.\n");
        let f = classify("api-reference/crm/deals/crm-deal-add.md", &page).unwrap();
        assert_eq!(
            (f.name.as_str(), f.event, f.rest_v3),
            ("crm.deal.add", false, false)
        );
        let page = format!("# Remove the ai.engine.unregister Service\n\n{SCOPE}\nText.\n");
        assert_eq!(
            classify("a/x.md", &page).unwrap().name,
            "ai.engine.unregister"
        );
        let page = format!(
            "# Update Custom Field of CRM Requisite\n\n{SCOPE}\nText.\n\n## Method Parameters\n\n```bash\ncurl https://x.bitrix24.com/rest/1/code/crm.requisite.userfield.update.json\n```\n"
        );
        assert_eq!(
            classify("a/x.md", &page).unwrap().name,
            "crm.requisite.userfield.update"
        );
        let page = format!(
            "# Retrieve Fields of CRM Item\n\n{SCOPE}\n{{% note tip \"\" %}}\n\nSee `a.b`.\n\n{{% endnote %}}\n\nThe method `crm.item.fields` returns.\n\n## Method Parameters\n"
        );
        assert_eq!(classify("a/x.md", &page).unwrap().name, "crm.item.fields");
    }

    #[test]
    fn events_and_skips() {
        let ev = format!("# Event on Booking Update\n\n{SCOPE}\nThe `onBookingUpdate` event.\n");
        let f = classify("api-reference/booking/events/on-booking-update.md", &ev).unwrap();
        assert_eq!((f.name.as_str(), f.event), ("onBookingUpdate", true));
        let ev = "# Event on Adding a Measurement Unit CATALOG.MEASURE.ON.ADD\n";
        let f = classify("api-reference/catalog/measure/events/x.md", ev).unwrap();
        assert_eq!(f.name, "CATALOG.MEASURE.ON.ADD");
        // An events folder also holds methods (`event.bind`).
        let bind = format!("# Register a New Event Handler event.bind\n\n{SCOPE}\n");
        let f = classify("api-reference/events/event-bind.md", &bind).unwrap();
        assert_eq!((f.name.as_str(), f.event), ("event.bind", false));
        assert!(classify("api-reference/crm/index.md", &bind).is_err());
        let js = format!("# Call BX24.placement.call\n\n{SCOPE}\n");
        assert!(
            classify("api-reference/widgets/x.md", &js)
                .unwrap_err()
                .contains("JavaScript SDK")
        );
        let guide = format!("# How to Embed an App\n\n{SCOPE}\nSteps.\n");
        // A placement guide calls `placement.bind` but documents no method.
        let widget = format!(
            "# Calendar\n\n{SCOPE}\nCall `placement.bind`.\n\ncurl https://x/rest/1/c/placement.bind\n"
        );
        assert!(
            classify("a/w.md", &widget)
                .unwrap_err()
                .starts_with("guide")
        );
        // `event.*` pages have no `Scope:` line; H1 and cURL agree.
        let unbind = "# Unbind event.unbind\n\ncurl https://x/rest/1/c/event.unbind.json\n";
        assert_eq!(
            classify("api-reference/events/event-unbind.md", unbind)
                .unwrap()
                .name,
            "event.unbind"
        );
        assert!(classify("a/x.md", &guide).unwrap_err().starts_with("guide"));
        assert!(
            classify("a/x.md", "# Data Types\n\nText.\n")
                .unwrap_err()
                .contains("no `Scope:` line")
        );
        let v3 = format!(
            "# Get a Task tasks.task.get\n\n{SCOPE}\ncurl https://x/rest/api/1/c/tasks.task.get\n"
        );
        assert!(classify("a/x.md", &v3).unwrap().rest_v3);
    }

    #[test]
    fn an_event_without_a_scope_line_takes_its_sections_scope() {
        let docs = std::env::temp_dir().join(format!("b24-scope-{}", std::process::id()));
        let dir = docs.join("api-reference/crm/outdated/invoice/events-invoice");
        std::fs::create_dir_all(&dir).unwrap();
        let method = |scope: &str| format!("# M crm.invoice.add\n\n> Scope: [`{scope}`](x.md)\n");
        std::fs::write(
            docs.join("api-reference/crm/outdated/invoice/add.md"),
            method("crm"),
        )
        .unwrap();
        std::fs::write(
            dir.join("on-crm-invoice-add.md"),
            "# Event onCrmInvoiceAdd\n",
        )
        .unwrap();
        let page = "api-reference/crm/outdated/invoice/events-invoice/on-crm-invoice-add.md";
        assert_eq!(section_scope(&docs, page).as_deref(), Some("crm"));
        // Two scopes in the nearest section with any: no answer.
        std::fs::write(
            docs.join("api-reference/crm/outdated/invoice/x.md"),
            method("sale"),
        )
        .unwrap();
        assert_eq!(section_scope(&docs, page), None);
        std::fs::remove_dir_all(&docs).ok();
    }

    #[test]
    fn curated_names_need_a_reason() {
        let dir = std::env::temp_dir().join(format!("b24-names-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("_pages.yaml");
        assert!(load_names(&f).unwrap().is_empty(), "absent file: no names");
        std::fs::write(
            &f,
            "pages:\n- path: a.md\n  method: a.b\n  reason: the H1 is wrong\n",
        )
        .unwrap();
        assert_eq!(load_names(&f).unwrap()[0].method, "a.b");
        std::fs::write(&f, "pages:\n- path: a.md\n  method: a.b\n  reason: ''\n").unwrap();
        assert!(
            load_names(&f)
                .unwrap_err()
                .to_string()
                .contains("no reason")
        );
        std::fs::write(&f, "pages:\n- path: a.md\n  name: a.b\n").unwrap();
        assert!(load_names(&f).is_err(), "unknown key");
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn names() {
        assert!(is_method_name("sonet_group.get"));
        assert!(is_method_name("imbot.v2.Bot.list"));
        assert!(!is_method_name("data-types.md"));
        assert!(!is_method_name("task.item.*"));
        assert!(!is_method_name("crm"));
        assert!(is_event_name("ONVOXIMPLANTCALLINIT"));
        assert!(is_event_name("OnTaskAdd"));
        assert!(!is_event_name("one"));
        assert!(!is_event_name("Online"));
        assert_eq!(strip_format_suffix("crm.deal.add.json"), "crm.deal.add");
    }
}
