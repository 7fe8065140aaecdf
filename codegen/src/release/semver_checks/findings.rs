//! What `cargo semver-checks` found, read from its output ([`parse`]), and how it compares
//! with the spec diff: crate by crate ([`agreement`]) and item by item, each finding matched
//! by its source file to the method or event it belongs to ([`Verdict::unexplained`],
//! [`breaking_items`]).

use std::collections::BTreeMap;

use crate::diff::{Class, Group};

/// `cargo semver-checks`' verdict on one crate.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Verdict {
    /// The change its findings make: `Breaking` (a major release; a minor one while 0.x),
    /// `Compatible` (a minor one), `None` (no finding).
    pub class: Option<Class>,
    /// Each failed lint with the number of items it failed in.
    pub lints: BTreeMap<String, usize>,
    /// Whether its check ran to the summary (`false`: the build failed).
    pub checked: bool,
    /// Each item a lint failed in: the lint and the source file named (the baseline's for
    /// what is gone, the current one's for what changed).
    pub items: Vec<(String, String)>,
}

impl Verdict {
    /// The breaking findings the spec diff does not explain: items of a major-level lint
    /// (every lint but the deprecation ones) in a file of `src` (the crate's source
    /// folder, as it appears in the paths) whose method or event, or one under whose
    /// module, has no breaking change in `breaking` (the module paths inside the crate of
    /// those with a breaking spec change, e.g. `["deal", "add"]`: [`breaking_items`]).
    pub fn unexplained(&self, src: &str, breaking: &[Vec<String>]) -> Vec<(String, String)> {
        self.items
            .iter()
            .filter(|(lint, _)| !is_minor(lint))
            .filter(|(_, file)| {
                let Some(module) = module_of(file, src) else {
                    return true;
                };
                !breaking.iter().any(|m| m.starts_with(&module))
            })
            .cloned()
            .collect()
    }
}

/// Whether a lint asks for a minor release only: in generated code, the deprecations
/// (`struct_field_marked_deprecated`, `enum_variant_marked_deprecated`, ...).
pub fn is_minor(lint: &str) -> bool {
    lint.ends_with("_deprecated")
}

/// The module path inside the crate of a source file (`.../src/deal/add.rs` →
/// `["deal", "add"]`, `.../src/deal/mod.rs` → `["deal"]`), `src` being the crate's source
/// folder (`generated/scopes/crm/src`); `None` for a file outside it.
pub fn module_of(file: &str, src: &str) -> Option<Vec<String>> {
    let at = file.find(&format!("{}/", src.trim_end_matches('/')))?;
    let rel = file[at + src.trim_end_matches('/').len() + 1..].strip_suffix(".rs")?;
    let rel = rel.strip_suffix("/mod").unwrap_or(rel);
    if rel == "lib" {
        return Some(Vec::new());
    }
    Some(rel.split('/').map(str::to_owned).collect())
}

/// The first `path.rs` named in an item line (`... previously in file /x/a.rs:12`).
fn file_in(line: &str) -> Option<String> {
    line.split_whitespace()
        .find_map(|w| w.split_once(".rs:").map(|(p, _)| format!("{p}.rs")))
}

/// The verdicts in the combined output of one `cargo semver-checks check-release` run,
/// by package: a crate's section starts at `Building <package> v<version> (current)`,
/// a finding is `--- failure <lint>: ... ---` followed by `Failed in:` and one indented
/// line per item, and `Summary` gives the verdict.
pub fn parse(output: &str) -> BTreeMap<String, Verdict> {
    let mut out: BTreeMap<String, Verdict> = BTreeMap::new();
    let mut package: Option<String> = None;
    let mut lint: Option<String> = None;
    let mut in_items = false;
    for line in output.lines() {
        let t = line.trim();
        if let Some(rest) = t.strip_prefix("Building ")
            && rest.ends_with("(current)")
        {
            let name = rest
                .split_whitespace()
                .next()
                .unwrap_or_default()
                .to_owned();
            out.entry(name.clone()).or_default();
            package = Some(name);
            lint = None;
            continue;
        }
        let Some(verdict) = package.as_ref().and_then(|p| out.get_mut(p)) else {
            continue;
        };
        if let Some(rest) = t.strip_prefix("--- failure ") {
            let name = rest.split(':').next().unwrap_or(rest).trim().to_owned();
            verdict.lints.entry(name.clone()).or_default();
            lint = Some(name);
            in_items = false;
        } else if t == "Failed in:" {
            in_items = lint.is_some();
        } else if t.is_empty() || t.starts_with("---") {
            in_items = false;
        } else if let Some(rest) = t.strip_prefix("Summary ") {
            in_items = false;
            verdict.checked = true;
            verdict.class = if rest.contains("requires new major version") {
                Some(Class::Breaking)
            } else if rest.contains("requires new minor version") {
                Some(Class::Compatible)
            } else {
                None
            };
        } else if in_items
            && let Some(l) = &lint
            && let Some(n) = verdict.lints.get_mut(l)
        {
            *n += 1;
            if let Some(file) = file_in(t) {
                verdict.items.push((l.clone(), file));
            }
        }
    }
    out
}

/// How semver-checks' verdict on a crate compares with the spec diff's class for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Agreement {
    /// Both find a break, or neither does.
    Agrees,
    /// The spec diff finds a break semver-checks has no lint for (a field's or an
    /// argument's type, what a value decodes to): expected, see the report's reasons.
    SpecDiffStricter,
    /// semver-checks finds a break the spec diff does not: a spec-diff rule or the
    /// generator is wrong.
    Disagrees,
}

/// Compares the two verdicts on one crate: `unexplained` is the number of semver-checks'
/// breaking findings in methods without a breaking spec change ([`Verdict::unexplained`]).
/// A minor-level finding (a new deprecation) is not a break on either side.
pub fn agreement(
    spec_diff: Option<Class>,
    semver_checks: Option<Class>,
    unexplained: usize,
) -> Agreement {
    let breaks = |c: Option<Class>| c == Some(Class::Breaking);
    match (breaks(spec_diff), breaks(semver_checks)) {
        _ if unexplained > 0 => Agreement::Disagrees,
        (true, false) => Agreement::SpecDiffStricter,
        (false, true) => Agreement::Disagrees,
        _ => Agreement::Agrees,
    }
}

/// For each package, the module paths inside it (without the crate's own module) of the
/// methods and events with a breaking change in `report`: a method's modules below its
/// scope crate (`crm.deal.add` → `["deal", "add"]`), an event's module in the events
/// crate (`["on_crm_deal_add"]`, from the spelling of its Rust names).
pub fn breaking_items(
    report: &crate::diff::Report,
    facade: &str,
) -> BTreeMap<String, Vec<Vec<String>>> {
    let mut out: BTreeMap<String, Vec<Vec<String>>> = BTreeMap::new();
    for c in &report.changes {
        if c.class() != Class::Breaking {
            continue;
        }
        let module = match &c.group {
            Group::Method(m) => crate::naming::method_modules(m)[1..].to_vec(),
            Group::Event(e) => vec![crate::naming::event_module(e)],
            _ => continue,
        };
        out.entry(c.group.package(facade)).or_default().push(module);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_each_crates_verdict_and_findings() {
        // Shape of cargo-semver-checks 0.51 output, stdout and stderr in one stream.
        let out = "     Cloning abc\n\
    Building bitrix24-a v0.4.0 (current)\n\
       Built [   1.0s] (current)\n\
    Building bitrix24-a v0.4.0 (baseline)\n\
    Checking bitrix24-a v0.4.0 -> v0.4.0 (assume patch)\n\
     Checked [   0.014s] 202 checks: 200 pass, 2 fail, 0 warn, 58 skip\n\
\n\
--- failure struct_missing: pub struct removed or renamed ---\n\
\n\
Description:\n\
A publicly-visible struct cannot be imported by its prior path.\n\
        ref: https://doc.rust-lang.org/cargo/reference/semver.html#item-remove\n\
\n\
Failed in:\n\
  struct bitrix24_a::x::Get, previously in file /tmp/a.rs:1\n\
  struct bitrix24_a::x::List, previously in file /tmp/a.rs:9\n\
\n\
--- failure type_marked_deprecated: #[deprecated] added on type ---\n\
\n\
Failed in:\n\
  struct Old in /tmp/b.rs:3\n\
\n\
     Summary semver requires new major version: 1 major and 1 minor checks failed\n\
    Finished [   2.0s] bitrix24-a\n\
    Building bitrix24-b v0.4.0 (current)\n\
     Checked [   0.014s] 202 checks: 202 pass, 58 skip\n\
     Summary no semver update required\n\
    Building bitrix24-c v0.4.0 (current)\n\
--- failure enum_variant_marked_deprecated: variant deprecated ---\n\
Failed in:\n\
  variant ErrorCode::Old in /tmp/c.rs:1\n\
     Summary semver requires new minor version: 0 major and 1 minor checks failed\n";
        let v = parse(out);
        assert_eq!(v.len(), 3);
        assert_eq!(v["bitrix24-a"].class, Some(Class::Breaking));
        assert_eq!(
            v["bitrix24-a"].lints,
            BTreeMap::from([
                ("struct_missing".to_owned(), 2),
                ("type_marked_deprecated".to_owned(), 1)
            ])
        );
        assert_eq!(
            v["bitrix24-a"].items[0],
            ("struct_missing".to_owned(), "/tmp/a.rs".to_owned())
        );
        assert_eq!(v["bitrix24-a"].items.len(), 3);
        assert!(v["bitrix24-a"].checked && v["bitrix24-b"].checked);
        assert_eq!(v["bitrix24-b"].class, None);
        assert!(v["bitrix24-b"].lints.is_empty());
        assert_eq!(v["bitrix24-c"].class, Some(Class::Compatible));
        assert_eq!(v["bitrix24-c"].lints["enum_variant_marked_deprecated"], 1);
    }

    #[test]
    fn compares_crate_by_crate() {
        use Class::*;
        assert_eq!(
            agreement(Some(Breaking), Some(Breaking), 0),
            Agreement::Agrees
        );
        assert_eq!(agreement(Some(DocsOnly), None, 0), Agreement::Agrees);
        // A deprecation is a minor-level finding; the spec diff calls the kept item compatible.
        assert_eq!(
            agreement(Some(Compatible), Some(Compatible), 0),
            Agreement::Agrees
        );
        assert_eq!(agreement(None, Some(Compatible), 0), Agreement::Agrees);
        assert_eq!(
            agreement(Some(Breaking), None, 0),
            Agreement::SpecDiffStricter
        );
        assert_eq!(
            agreement(Some(Compatible), Some(Breaking), 0),
            Agreement::Disagrees
        );
        assert_eq!(agreement(None, Some(Breaking), 0), Agreement::Disagrees);
        // Both break, but not in the same methods.
        assert_eq!(
            agreement(Some(Breaking), Some(Breaking), 1),
            Agreement::Disagrees
        );
    }

    #[test]
    fn finds_each_items_method() {
        let src = "generated/scopes/crm/src";
        let m = |f: &str| module_of(f, src);
        let v = |p: &[&str]| Some(p.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>());
        assert_eq!(
            m("/work/x/generated/scopes/crm/src/deal/add.rs"),
            v(&["deal", "add"])
        );
        assert_eq!(
            m("/t/git-abc/123/generated/scopes/crm/src/deal/mod.rs"),
            v(&["deal"])
        );
        assert_eq!(m("/work/x/generated/scopes/crm/src/lib.rs"), v(&[]));
        assert_eq!(m("/work/x/generated/scopes/crmx/src/deal.rs"), None);
        let verdict = Verdict {
            class: Some(Class::Breaking),
            lints: BTreeMap::new(),
            checked: true,
            items: vec![
                (
                    "struct_missing".into(),
                    "/a/generated/scopes/crm/src/deal/add.rs".into(),
                ),
                // A removed module: explained by its methods' removal.
                (
                    "module_missing".into(),
                    "/a/generated/scopes/crm/src/quote/mod.rs".into(),
                ),
                (
                    "inherent_method_missing".into(),
                    "/a/generated/scopes/crm/src/lead/get.rs".into(),
                ),
                // Minor-level: never a disagreement.
                (
                    "struct_field_marked_deprecated".into(),
                    "/a/generated/scopes/crm/src/item/get.rs".into(),
                ),
            ],
        };
        let breaking = vec![v(&["deal", "add"]).unwrap(), v(&["quote", "list"]).unwrap()];
        assert_eq!(
            verdict.unexplained(src, &breaking),
            vec![(
                "inherent_method_missing".to_owned(),
                "/a/generated/scopes/crm/src/lead/get.rs".to_owned()
            )]
        );
    }

    /// A breaking event is matched by its module in the events crate.
    #[test]
    fn maps_breaking_events_to_their_module() {
        let change = |group: Group| crate::diff::Change {
            group,
            path: Vec::new(),
            rule: crate::diff::RuleId::EventRemoved,
            before: None,
            after: None,
            shifts: Vec::new(),
            reason: String::new(),
        };
        let report = crate::diff::Report {
            base: "b".into(),
            head: "h".into(),
            changes: vec![
                change(Group::Event("ONAPPINSTALL".into())),
                change(Group::Method("crm.deal.add".into())),
            ],
            shared_type_users: BTreeMap::new(),
        };
        let items = breaking_items(&report, "bitrix24");
        assert_eq!(items["bitrix24-events"], [vec!["onappinstall".to_owned()]]);
        assert_eq!(
            items["bitrix24-crm"],
            [vec!["deal".to_owned(), "add".to_owned()]]
        );
        let verdict = Verdict {
            class: Some(Class::Breaking),
            lints: BTreeMap::new(),
            checked: true,
            items: vec![
                (
                    "method_parameter_count_changed".into(),
                    "/a/generated/scopes/_events/src/onappinstall.rs".into(),
                ),
                (
                    "method_parameter_count_changed".into(),
                    "/a/generated/scopes/_events/src/on_crm_deal_add.rs".into(),
                ),
            ],
        };
        assert_eq!(
            verdict.unexplained("generated/scopes/_events/src", &items["bitrix24-events"]),
            [(
                "method_parameter_count_changed".to_owned(),
                "/a/generated/scopes/_events/src/on_crm_deal_add.rs".to_owned()
            )]
        );
    }
}
