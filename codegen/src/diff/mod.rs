//! `cargo xtask spec-diff <base> [<head>]`: a semantic diff of two specs, each change
//! classified by its effect on the generated crate ([`classify::RULES`]).
//!
//! Both sides are loaded and validated with [`crate::spec::load()`] and compared as models,
//! never as text: [`compare`] walks methods, parameters, results, named types, errors,
//! examples and the crate-wide facts, [`render`] prints the Markdown (for a PR comment)
//! or JSON (for tools) report. A side is a spec directory or a git revision whose
//! `spec/` is extracted into a temporary directory ([`source`]).

pub mod classify;
pub mod compare;
pub mod render;
pub mod source;

use std::fmt;
use std::path::Path;
use std::str::FromStr;

use anyhow::Result;

pub use classify::{Class, Kind, RuleId, TypeShift};
pub use compare::diff;

use crate::naming;

/// Where a change belongs in the report.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Group {
    /// One method (`spec/methods/...`).
    Method(String),
    /// One shared type (`spec/types/<Name>.yaml`).
    SharedType(String),
    /// One event (`spec/events/...`).
    Event(String),
    /// Crate-wide: Cargo features, `ErrorCode`, `api.yaml`.
    Crate,
}

impl Group {
    /// The method name, for method groups.
    pub fn method(&self) -> Option<&str> {
        match self {
            Group::Method(m) => Some(m),
            _ => None,
        }
    }

    /// The event name, for event groups.
    pub fn event(&self) -> Option<&str> {
        match self {
            Group::Event(e) => Some(e),
            _ => None,
        }
    }

    /// The package of the crate family `facade` whose public API the group's changes
    /// touch: a method's scope crate (`crm.deal.add` → `bitrix24-crm`, `v3.*` →
    /// `bitrix24-v3`), the shared-types crate, the events crate, or the facade itself
    /// (`ErrorCode`, Cargo features).
    pub fn package(&self, facade: &str) -> String {
        match self {
            Group::Method(m) => naming::scope_package(facade, m.split('.').next().unwrap_or(m)),
            Group::SharedType(_) => naming::types_package(facade),
            Group::Event(_) => naming::events_package(facade),
            Group::Crate => facade.to_owned(),
        }
    }

    /// The Rust path the group is about (`bitrix24::crm::calllist::Add`).
    pub fn rust(&self) -> Option<String> {
        match self {
            Group::Method(m) => Some(naming::request_path(m)),
            Group::SharedType(t) => Some(format!("bitrix24::types::{}", naming::type_name(t))),
            Group::Event(e) => Some(naming::event_path(e)),
            Group::Crate => None,
        }
    }
}

/// One classified change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// Where it belongs.
    pub group: Group,
    /// Location inside the group, e.g. `["params", "ENTITIES"]`; empty for the group itself.
    pub path: Vec<String>,
    /// The rule that classifies it.
    pub rule: RuleId,
    /// The spec value before, when there is one worth showing.
    pub before: Option<String>,
    /// The spec value after.
    pub after: Option<String>,
    /// For type changes: how the type changed.
    pub shifts: Vec<TypeShift>,
    /// The rule's reason, filled in.
    pub reason: String,
}

impl Change {
    /// What changed.
    pub fn kind(&self) -> Kind {
        self.rule.kind()
    }

    /// The verdict.
    pub fn class(&self) -> Class {
        self.rule.class()
    }

    /// The path joined with ` › `.
    pub fn path_str(&self) -> String {
        self.path.join(" › ")
    }
}

/// Counts for the report header.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    /// Breaking changes.
    pub breaking: usize,
    /// Compatible changes.
    pub compatible: usize,
    /// Docs-only changes.
    pub docs_only: usize,
    /// Methods with at least one change (added and removed ones included).
    pub methods_touched: usize,
    /// Methods added.
    pub methods_added: usize,
    /// Methods removed.
    pub methods_removed: usize,
}

/// The diff of two specs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// What the base side was (a revision or a directory).
    pub base: String,
    /// What the head side was.
    pub head: String,
    /// Every change, in report order: groups with breaking changes first, within a group
    /// breaking changes first.
    pub changes: Vec<Change>,
    /// For shared types: the methods that use each (head side, else base side).
    pub shared_type_users: std::collections::BTreeMap<String, Vec<String>>,
}

impl Report {
    /// Diffs two loaded specs (without a published record).
    pub fn new(
        base_label: &str,
        base: &crate::spec::Spec,
        head_label: &str,
        head: &crate::spec::Spec,
    ) -> Report {
        Report::with_published(base_label, base, head_label, head, None)
    }

    /// Diffs two loaded specs as the generator sees them with the last release's record
    /// (`release/published.yaml`): what it keeps (deprecated `ErrorCode` variants, spellings)
    /// is not removed.
    pub fn with_published(
        base_label: &str,
        base: &crate::spec::Spec,
        head_label: &str,
        head: &crate::spec::Spec,
        published: Option<&crate::published::Published>,
    ) -> Report {
        let (changes, shared_type_users) = compare::diff_with_users(base, head, published);
        Report {
            base: base_label.to_owned(),
            head: head_label.to_owned(),
            changes,
            shared_type_users,
        }
    }

    /// [`Report::with_published`] with the head side as the next release generates it:
    /// fields the record already lists as deprecated (kept by the last release) are gone
    /// ([`crate::published::Keep::Next`]). `cargo xtask release` plans with it.
    pub fn for_release(
        base_label: &str,
        base: &crate::spec::Spec,
        head_label: &str,
        head: &crate::spec::Spec,
        published: &crate::published::Published,
    ) -> Report {
        let (changes, shared_type_users) =
            compare::diff_kept(base, head, Some(published), crate::published::Keep::Next);
        Report {
            base: base_label.to_owned(),
            head: head_label.to_owned(),
            changes,
            shared_type_users,
        }
    }

    /// Counts by class and methods.
    pub fn summary(&self) -> Summary {
        let mut s = Summary::default();
        let mut touched = std::collections::BTreeSet::new();
        for c in &self.changes {
            match c.class() {
                Class::Breaking => s.breaking += 1,
                Class::Compatible => s.compatible += 1,
                Class::DocsOnly => s.docs_only += 1,
            }
            if let Some(m) = c.group.method() {
                touched.insert(m);
            }
            match c.kind() {
                Kind::MethodAdded => s.methods_added += 1,
                Kind::MethodRemoved => s.methods_removed += 1,
                _ => {}
            }
        }
        s.methods_touched = touched.len();
        s
    }

    /// For each package of the crate family `facade` that a change touches
    /// ([`Group::package`]): its most severe change and how many breaking ones it has.
    pub fn by_package(&self, facade: &str) -> std::collections::BTreeMap<String, (Class, usize)> {
        let mut out = std::collections::BTreeMap::new();
        for c in &self.changes {
            let entry = out
                .entry(c.group.package(facade))
                .or_insert((Class::DocsOnly, 0));
            entry.0 = entry.0.min(c.class());
            if c.class() == Class::Breaking {
                entry.1 += 1;
            }
        }
        out
    }

    /// The number of changes at least as severe as `class`.
    pub fn count_at_least(&self, class: Class) -> usize {
        self.changes
            .iter()
            .filter(|c| c.class().at_least(class))
            .count()
    }

    /// The Markdown report.
    pub fn markdown(&self) -> String {
        render::markdown(self)
    }

    /// The JSON report.
    pub fn json(&self) -> String {
        render::json(self)
    }
}

/// Output format.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Format {
    /// Markdown, fit for a PR comment.
    #[default]
    Markdown,
    /// JSON for tools.
    Json,
}

impl FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "markdown" | "md" => Ok(Format::Markdown),
            "json" => Ok(Format::Json),
            other => Err(format!(
                "unknown format `{other}`: expected markdown or json"
            )),
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::Markdown => "markdown",
            Format::Json => "json",
        })
    }
}

/// Options of `cargo xtask spec-diff`.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Base side: a spec directory or a git revision.
    pub base: String,
    /// Head side; `None` for the working tree's `spec/`.
    pub head: Option<String>,
    /// Output format.
    pub format: Format,
    /// Fail when a change of at least this class exists.
    pub fail_on: Option<Class>,
    /// The published record to apply; `None` for the workspace's `release/published.yaml`
    /// (when there is one).
    pub published: Option<std::path::PathBuf>,
    /// Ignore any published record: the docs' changes as such.
    pub no_published: bool,
}

/// The printed report and, with `--fail-on`, why the run fails.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The report in the requested format.
    pub output: String,
    /// The report.
    pub report: Report,
    /// Set when `--fail-on` is met.
    pub failure: Option<String>,
}

/// Loads both sides, diffs them and renders the report (without printing).
pub fn execute(root: &Path, opts: &Options) -> Result<Outcome> {
    let base = source::load_side(root, Some(&opts.base), "base")?;
    let head = source::load_side(root, opts.head.as_deref(), "head")?;
    let published = if opts.no_published {
        None
    } else {
        let path = opts
            .published
            .clone()
            .unwrap_or_else(|| root.join(crate::published::PATH));
        let record = crate::published::Published::load(&path)?;
        if record.is_none() && opts.published.is_some() {
            anyhow::bail!("no published record at {}", path.display());
        }
        record
    };
    let report = Report::with_published(
        &base.label,
        &base.spec,
        &head.label,
        &head.spec,
        published.as_ref(),
    );
    let output = match opts.format {
        Format::Markdown => report.markdown(),
        Format::Json => report.json(),
    };
    let failure = opts.fail_on.and_then(|class| {
        let n = report.count_at_least(class);
        (n > 0).then(|| {
            format!(
                "{n} change{} at least {class} (--fail-on {class})",
                if n == 1 { "" } else { "s" }
            )
        })
    });
    Ok(Outcome {
        output,
        report,
        failure,
    })
}

/// `cargo xtask spec-diff`: prints the report; fails after printing when `--fail-on` is met.
pub fn run(root: &Path, opts: &Options) -> Result<()> {
    let outcome = execute(root, opts)?;
    print!("{}", outcome.output);
    match outcome.failure {
        Some(f) => anyhow::bail!(f),
        None => Ok(()),
    }
}
