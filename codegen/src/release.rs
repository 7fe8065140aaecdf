//! `cargo xtask release`: the next version of the published crates from the spec diff
//! since the last release, the CHANGELOG entry from the same report, and the new record.
//!
//! The published crates (`bitrix24-runtime` and the generated `bitrix24`, which pins the
//! runtime exactly) share one version, `[workspace.package] version` in the root
//! `Cargo.toml`. The last release is `release/published.yaml` ([`Published`]): its version
//! and the git tree of its `spec/`. The required version follows the most severe change
//! of `spec-diff <that tree> <working tree>` (with the record applied, so what the
//! generator keeps is not a removal):
//!
//! | change | 0.x (`0.y.z`) | 1.x and later |
//! |---|---|---|
//! | breaking | `0.(y+1).0` | `(x+1).0.0` |
//! | compatible | `0.y.(z+1)` | `x.(y+1).0` |
//! | docs-only | `0.y.(z+1)` | `x.y.(z+1)` |
//!
//! Runtime changes are not in the spec diff: `--semver-checks` runs
//! `cargo semver-checks` on every published crate that changed since a git revision of the
//! last release (runtime, facade and scope crates) and compares crate by crate
//! ([`semver_checks`]).

use std::fmt;
use std::fs;
use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::diff::{Class, Report, source};
use crate::published::{self, Published};

pub mod semver_checks;

/// The packages released together, in dependency order.
pub const PACKAGES: &[&str] = &["bitrix24-runtime", "bitrix24"];

/// A `major.minor.patch` version (no pre-release or build metadata).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version {
    /// Major.
    pub major: u64,
    /// Minor.
    pub minor: u64,
    /// Patch.
    pub patch: u64,
}

impl Version {
    /// Parses `x.y.z`.
    ///
    /// # Errors
    /// When `s` is not three dot-separated numbers.
    pub fn parse(s: &str) -> Result<Version> {
        let parts: Vec<&str> = s.trim().split('.').collect();
        let num = |p: &str| {
            p.parse::<u64>()
                .with_context(|| format!("`{s}` is not a `major.minor.patch` version"))
        };
        match parts.as_slice() {
            [a, b, c] => Ok(Version {
                major: num(a)?,
                minor: num(b)?,
                patch: num(c)?,
            }),
            _ => bail!("`{s}` is not a `major.minor.patch` version"),
        }
    }

    /// The smallest version after `self` that a change of `class` allows (see the module
    /// docs); `None` keeps `self` (nothing changed).
    pub fn bump(self, class: Option<Class>) -> Version {
        let Version {
            major,
            minor,
            patch,
        } = self;
        let v = |major, minor, patch| Version {
            major,
            minor,
            patch,
        };
        match (class, major) {
            (None, _) => self,
            (Some(Class::Breaking), 0) => v(0, minor + 1, 0),
            (Some(Class::Breaking), _) => v(major + 1, 0, 0),
            (Some(Class::Compatible), m) if m > 0 => v(major, minor + 1, 0),
            (Some(_), _) => v(major, minor, patch + 1),
        }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// Options of `cargo xtask release`.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Print the versions and the CHANGELOG entry; change nothing.
    pub dry_run: bool,
    /// Fail when the declared version is lower than the change since the last release
    /// requires (CI).
    pub check: bool,
    /// Write the record of an existing release instead: the declared version, generated
    /// from the `spec/` of this git revision (the first release, or one made without this
    /// tool).
    pub init: Option<String>,
    /// Also run `cargo semver-checks` against this git revision (the last release).
    pub semver_checks: Option<String>,
}

/// What the release would be.
#[derive(Debug)]
pub struct Plan {
    /// The last release.
    pub published: Published,
    /// The spec diff since.
    pub report: Report,
    /// The most severe change, if any.
    pub class: Option<Class>,
    /// The lowest version the change allows.
    pub required: Version,
    /// `[workspace.package] version`.
    pub declared: Version,
}

impl Plan {
    /// The version to release: the declared one, or the required one when higher.
    pub fn next(&self) -> Version {
        self.declared.max(self.required)
    }

    /// One line per package.
    pub fn versions(&self) -> String {
        let why = match self.class {
            None => "no spec change".to_owned(),
            Some(c) => format!("most severe spec change: {c}"),
        };
        let mut s = String::new();
        for p in PACKAGES {
            s.push_str(&format!(
                "{p}: {} → {} (required ≥ {}: {why}; declared {})\n",
                self.published.version,
                self.next(),
                self.required,
                self.declared
            ));
        }
        s
    }

    /// The CHANGELOG entry: a heading with the version and docs pin, then the spec diff
    /// (headings one level down).
    pub fn changelog_entry(&self, docs_commit: &str, docs_date: &str) -> String {
        let short = docs_commit.get(..8).unwrap_or(docs_commit);
        let date = docs_date.get(..10).unwrap_or(docs_date);
        let report = self
            .report
            .markdown()
            .lines()
            .filter(|l| !l.starts_with("**To decide"))
            .map(|l| {
                if l.starts_with('#') {
                    format!("#{l}")
                } else {
                    l.to_owned()
                }
            })
            .collect::<Vec<_>>()
            .join("\n")
            .replace("\n\n\n", "\n\n");
        format!(
            "## {next}: docs {date} (b24restdocs {short})\n\n\
`bitrix24` and `bitrix24-runtime` {next} (from {prev}). Spec changes since {prev}, written by \
`cargo xtask release`: `cargo xtask spec-diff {tree}` (the `spec/` tree of {prev}) with the \
record of {prev} applied, so `ErrorCode` variants the docs dropped stay, deprecated, and \
optional fields the docs dropped stay one release, deprecated. \
Runtime changes are in the git log of `runtime/`.\n\n{report}\n",
            next = self.next(),
            prev = self.published.version,
            tree = self
                .published
                .spec
                .get(..10)
                .unwrap_or(&self.published.spec),
        )
    }
}

/// The declared version: `version` of `[workspace.package]` in `root/Cargo.toml`.
///
/// # Errors
/// When the manifest cannot be read or has no such line.
pub fn declared_version(root: &Path) -> Result<Version> {
    let text = fs::read_to_string(root.join("Cargo.toml")).context("reading Cargo.toml")?;
    let (_, line) = version_line(&text)?;
    Version::parse(quoted(line).unwrap_or_default())
}

/// The index and text of `version = "..."` in `[workspace.package]`.
fn version_line(manifest: &str) -> Result<(usize, &str)> {
    let mut in_section = false;
    for (i, line) in manifest.lines().enumerate() {
        let t = line.trim();
        if t.starts_with('[') {
            in_section = t == "[workspace.package]";
        } else if in_section && t.starts_with("version") && t.contains('=') {
            return Ok((i, line));
        }
    }
    bail!("Cargo.toml: no `version = \"...\"` in `[workspace.package]`")
}

/// The first `"..."` of `line`.
fn quoted(line: &str) -> Option<&str> {
    let start = line.find('"')? + 1;
    let end = start + line[start..].find('"')?;
    Some(&line[start..end])
}

/// `manifest` with the workspace version and the runtime pin (`version = "=x.y.z"` of the
/// `bitrix24-runtime` workspace dependency) set to `v`.
///
/// # Errors
/// When either line is missing.
pub fn set_version(manifest: &str, v: Version) -> Result<String> {
    let (index, _) = version_line(manifest)?;
    let mut pinned = false;
    let lines: Vec<String> = manifest
        .lines()
        .enumerate()
        .map(|(i, line)| {
            if i == index {
                format!("version = \"{v}\"")
            } else if line.starts_with("bitrix24-runtime = {")
                && let Some(at) = line.find("version = \"=")
            {
                pinned = true;
                let rest = &line[at + "version = \"=".len()..];
                let end = rest.find('"').unwrap_or(rest.len());
                format!("{}version = \"={v}{}", &line[..at], &rest[end..])
            } else {
                line.to_owned()
            }
        })
        .collect();
    if !pinned {
        bail!("Cargo.toml: no `bitrix24-runtime = {{ ..., version = \"=...\" }}` dependency");
    }
    Ok(lines.join("\n") + "\n")
}

/// The heading of the changes written by hand since the last release.
pub const UNRELEASED: &str = "## Unreleased";

/// `changelog` with `entry` inserted before the first `## ` entry (after the preamble).
/// When that entry is [`UNRELEASED`], it becomes part of `entry`: its text goes before
/// the spec diff (`entry`'s first `### ` heading), under "Not from the spec".
pub fn insert_entry(changelog: &str, entry: &str) -> String {
    let Some(at) = changelog.find("\n## ") else {
        return format!("{}\n\n{entry}", changelog.trim_end());
    };
    let (head, rest) = (&changelog[..=at], &changelog[at + 1..]);
    let Some(body) = rest
        .strip_prefix(UNRELEASED)
        .filter(|b| b.starts_with('\n'))
    else {
        return format!("{head}{entry}\n{rest}");
    };
    let (body, later) = match body.find("\n## ") {
        Some(end) => (&body[..end], &body[end + 1..]),
        None => (body, ""),
    };
    let body = body.trim();
    let entry = if body.is_empty() {
        entry.to_owned()
    } else {
        let notes = format!("Not from the spec (the generator and runtime):\n\n{body}\n\n");
        match entry.find("\n### ") {
            Some(i) => format!("{}{notes}{}", &entry[..=i], &entry[i + 1..]),
            None => format!("{}\n\n{notes}", entry.trim_end()),
        }
    };
    if later.is_empty() {
        format!("{head}{entry}")
    } else {
        format!("{head}{entry}\n{later}")
    }
}

/// The changes the next release makes: none while the spec is as released (a field kept
/// deprecated by the last release waits for the next one, whatever brings it), else the
/// spec's changes plus the removal of what the last release kept deprecated
/// ([`Report::for_release`]).
pub fn release_report(
    base_label: &str,
    base: &crate::spec::Spec,
    head_label: &str,
    head: &crate::spec::Spec,
    published: &Published,
) -> Report {
    let docs = Report::with_published(base_label, base, head_label, head, Some(published));
    if docs.changes.is_empty() {
        return docs;
    }
    Report::for_release(base_label, base, head_label, head, published)
}

/// Builds the plan for the workspace at `root` (its record, `spec/` and manifest).
///
/// # Errors
/// Without a record, or when a side does not load.
pub fn plan(root: &Path) -> Result<Plan> {
    let published = Published::load(&root.join(published::PATH))?.with_context(|| {
        format!(
            "no {}: record the last release first (`cargo xtask release --init <rev>`)",
            published::PATH
        )
    })?;
    let base = source::load_side(root, Some(&published.spec), "base")
        .context("loading the released spec (the record's `spec` tree)")?;
    let head = source::load_side(root, None, "head")?;
    let report = release_report(
        &format!("release {}", published.version),
        &base.spec,
        &head.label,
        &head.spec,
        &published,
    );
    let class = report.changes.iter().map(|c| c.class()).min();
    let required = Version::parse(&published.version)?.bump(class);
    Ok(Plan {
        published,
        report,
        class,
        required,
        declared: declared_version(root)?,
    })
}

/// `cargo xtask release`.
///
/// # Errors
/// See [`Options`]; `--check` fails when the declared version is too low.
pub fn run(root: &Path, opts: &Options) -> Result<()> {
    if let Some(rev) = &opts.init {
        return init(root, rev, opts.dry_run);
    }
    let plan = plan(root)?;
    print!("{}", plan.versions());
    if opts.check {
        if plan.declared < plan.required {
            bail!(
                "the declared version {} is lower than the spec change since release {} requires \
                 ({}): run `cargo xtask release` and commit",
                plan.declared,
                plan.published.version,
                plan.required
            );
        }
        return Ok(());
    }
    let head =
        crate::spec::load(&root.join("spec")).map_err(|d| anyhow::anyhow!("invalid spec:\n{d}"))?;
    let entry = plan.changelog_entry(&head.api.docs.commit, &head.api.docs.date);
    let mut failure = None;
    if let Some(rev) = &opts.semver_checks {
        let checks = semver_checks::run(root, rev, &plan)?;
        print!("{}", checks.text);
        failure = checks.failure;
    }
    if opts.dry_run {
        println!("\nCHANGELOG.md entry:\n\n{entry}");
    }
    if let Some(failure) = failure {
        bail!("cargo semver-checks: {failure}");
    }
    if opts.dry_run {
        return Ok(());
    }
    if plan.class.is_none() && plan.declared.to_string() == plan.published.version {
        println!("nothing changed since release {}", plan.published.version);
        return Ok(());
    }
    let tree = spec_tree(root, "HEAD")?;
    let manifest = fs::read_to_string(root.join("Cargo.toml")).context("reading Cargo.toml")?;
    fs::write(
        root.join("Cargo.toml"),
        set_version(&manifest, plan.next())?,
    )
    .context("writing Cargo.toml")?;
    let changelog = fs::read_to_string(root.join("CHANGELOG.md")).unwrap_or_default();
    fs::write(root.join("CHANGELOG.md"), insert_entry(&changelog, &entry))
        .context("writing CHANGELOG.md")?;
    let record = Published::from_spec(
        &head,
        Some(&plan.published),
        &plan.next().to_string(),
        &tree,
    );
    write_record(root, &record)?;
    for file in past_dropped(&head, &record) {
        let path = root.join("spec").join(&file);
        fs::remove_file(&path).with_context(|| format!("removing {}", path.display()))?;
        println!(
            "deleted spec/{} (dropped from the docs; the release it was kept for is past)",
            file.display()
        );
    }
    crate::generate::run(root, false)?;
    println!(
        "release {}: Cargo.toml, CHANGELOG.md, {} and generated/ updated; review, commit, then \
         publish `bitrix24-runtime`, the scope crates of generated/scopes, then `bitrix24` \
         (`cargo publish` with one `-p` each, as `.ci/run` packages them)",
        plan.next(),
        published::PATH
    );
    Ok(())
}

/// `--init <rev>`: the record of a release of the declared version made from `rev`'s spec
/// (keeping an existing record of that very release, adding its fields if it has none).
fn init(root: &Path, rev: &str, dry_run: bool) -> Result<()> {
    let tree = spec_tree(root, rev)?;
    let side = source::load_side(root, Some(&tree), "release")?;
    let version = declared_version(root)?;
    let mut record = Published::from_spec(&side.spec, None, &version.to_string(), &tree);
    // The release the record already describes: keep what it holds beyond the spec
    // (deprecated `ErrorCode` variants) and add only what it lacks (the fields, methods,
    // events or enums, for a record written before they were recorded).
    if let Some(existing) = Published::load(&root.join(published::PATH))?
        .filter(|p| p.spec == tree && p.version == record.version)
    {
        let fields = if existing.fields.is_empty() {
            record.fields
        } else {
            existing.fields.clone()
        };
        let methods = if existing.methods.is_empty() {
            record.methods
        } else {
            existing.methods.clone()
        };
        let events = if existing.events.is_empty() {
            record.events
        } else {
            existing.events.clone()
        };
        let enums = if existing.enums.is_empty() {
            record.enums
        } else {
            existing.enums.clone()
        };
        record = Published {
            fields,
            methods,
            events,
            enums,
            ..existing
        };
    }
    if dry_run {
        print!("{}", record.to_yaml()?);
        return Ok(());
    }
    write_record(root, &record)?;
    println!(
        "{}: release {version} from the spec of {rev} (tree {}); run `cargo xtask codegen`",
        published::PATH,
        tree.get(..10).unwrap_or(&tree)
    );
    Ok(())
}

/// The spec files (relative to `spec/`) of the methods the docs dropped that `record` no
/// longer lists: kept for the release before, removed by this one, so `cargo xtask import`
/// (which keeps such a file only while the record lists its method) stays in step.
pub fn past_dropped(spec: &crate::spec::Spec, record: &Published) -> Vec<std::path::PathBuf> {
    let listed: std::collections::BTreeSet<&str> = record
        .methods
        .iter()
        .map(|m| m.strip_suffix(published::DEPRECATED).unwrap_or(m))
        .collect();
    spec.methods
        .iter()
        .filter(|m| m.method.dropped().is_some())
        .filter(|m| !listed.contains(m.method.id().as_ref()))
        .map(|m| m.path.clone())
        .collect()
}

fn write_record(root: &Path, record: &Published) -> Result<()> {
    let path = root.join(published::PATH);
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    fs::write(&path, record.to_yaml()?).with_context(|| format!("writing {}", path.display()))
}

/// The tree of `rev`'s `spec/`; for `HEAD`, the working tree's `spec/` must be committed.
fn spec_tree(root: &Path, rev: &str) -> Result<String> {
    if rev == "HEAD" {
        let clean = Command::new("git")
            .arg("-C")
            .arg(root)
            .args(["diff", "--quiet", "HEAD", "--", "spec"])
            .status()
            .context("running `git diff`")?;
        if !clean.success() {
            bail!("spec/ has uncommitted changes: commit them first (the record names a git tree)");
        }
    }
    source::resolve_tree(root, &format!("{rev}:spec"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        Version::parse(s).unwrap()
    }

    #[test]
    fn bumps_by_class() {
        assert_eq!(v("0.1.0").bump(Some(Class::Breaking)), v("0.2.0"));
        assert_eq!(v("0.1.3").bump(Some(Class::Compatible)), v("0.1.4"));
        assert_eq!(v("0.1.3").bump(Some(Class::DocsOnly)), v("0.1.4"));
        assert_eq!(v("1.4.2").bump(Some(Class::Breaking)), v("2.0.0"));
        assert_eq!(v("1.4.2").bump(Some(Class::Compatible)), v("1.5.0"));
        assert_eq!(v("1.4.2").bump(Some(Class::DocsOnly)), v("1.4.3"));
        assert_eq!(v("1.4.2").bump(None), v("1.4.2"));
        assert!(Version::parse("1.2").is_err());
        assert!(Version::parse("1.2.x").is_err());
    }

    #[test]
    fn sets_version_and_pin() {
        let manifest = "[workspace]\nmembers = []\n\n[workspace.package]\n# one version\nversion = \"0.1.0\"\nedition = \"2024\"\n\n[workspace.dependencies]\nserde = { version = \"1\" }\nbitrix24-runtime = { path = \"runtime\", version = \"=0.1.0\", default-features = false }\n";
        let out = set_version(manifest, v("0.2.0")).unwrap();
        assert!(out.contains("\nversion = \"0.2.0\"\nedition"));
        assert!(out.contains("version = \"=0.2.0\", default-features = false }"));
        assert!(out.contains("serde = { version = \"1\" }"));
        assert_eq!(declared_version_of(&out), v("0.2.0"));
        assert!(set_version("[package]\nversion = \"1.0.0\"\n", v("1.0.1")).is_err());
    }

    fn declared_version_of(manifest: &str) -> Version {
        Version::parse(quoted(version_line(manifest).unwrap().1).unwrap()).unwrap()
    }

    #[test]
    fn inserts_the_entry_before_the_last_one() {
        let log = "# Changelog\n\nIntro.\n\n## 0.1.0\n\nOld.\n";
        let out = insert_entry(log, "## 0.2.0\n\nNew.\n");
        assert_eq!(
            out,
            "# Changelog\n\nIntro.\n\n## 0.2.0\n\nNew.\n\n## 0.1.0\n\nOld.\n"
        );
        assert_eq!(
            insert_entry("# Changelog\n", "## 0.1.0\n"),
            "# Changelog\n\n## 0.1.0\n"
        );
        // What was written by hand since the last release joins the entry.
        let log = "# Changelog\n\nIntro.\n\n## Unreleased\n\n- Fixed.\n\n## 0.1.0\n\nOld.\n";
        let out = insert_entry(log, "## 0.2.0\n\nNew.\n\n### Spec diff\n\nRows.\n");
        assert_eq!(
            out,
            "# Changelog\n\nIntro.\n\n## 0.2.0\n\nNew.\n\nNot from the spec (the generator and runtime):\n\n- Fixed.\n\n### Spec diff\n\nRows.\n\n## 0.1.0\n\nOld.\n"
        );
    }
}
