//! `cargo xtask release --semver-checks <rev>`: `cargo semver-checks` on every published
//! crate whose code changed since `rev` (the last release), each verdict set beside the
//! spec diff's for the same crate, and each finding in a scope crate or the events crate
//! matched to its method or event by its source file ([`findings`]): one in a method or
//! event without a breaking spec change is a disagreement (a spec-diff rule or the
//! generator is wrong), which fails the release.
//!
//! The generated API lives in the scope crates (`generated/scopes/*`), so they are checked
//! one by one (the events crate, `generated/scopes/_events`, among them); the facade holds
//! `ErrorCode`, the re-exports and the Cargo features, the runtime the hand-written client.
//! A crate whose folder is unchanged since `rev` is skipped, one
//! that `rev` does not have is new (nothing to compare it with) and one that only `rev` has
//! was removed; both are listed, neither is checked.
//!
//! Features: the scope crates with all of theirs (`decode-requests`); the runtime with its
//! defaults and `testing` (the TLS features only choose a backend); the facade with
//! `rustls-ring` and `testing` only, because its scope features only re-export the scope
//! crates, which are checked themselves (with them on, checking the facade would build
//! every scope crate twice more).
//!
//! `cargo semver-checks` runs with `--release-type patch`, so its summary names the
//! smallest release its findings allow (a minor-level lint such as a newly deprecated item
//! shows), and with stdout and stderr in one pipe, so each finding follows the crate it
//! belongs to.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Read as _;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail};

use super::{Plan, Version};
use crate::diff::Class;

pub mod findings;

pub use findings::{Agreement, Verdict, agreement, breaking_items, is_minor, module_of, parse};

/// The runtime's package and folder.
const RUNTIME: (&str, &str) = ("bitrix24-runtime", "runtime");

/// What happened to a published crate since the baseline revision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Since {
    /// Its folder changed: checked.
    Changed,
    /// Its folder is the same: nothing to check.
    Unchanged,
    /// The baseline has no such crate: nothing to compare it with.
    New,
    /// Only the baseline has it.
    Removed,
}

/// One published crate of the workspace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Crate {
    /// Package name.
    pub package: String,
    /// Folder, relative to the workspace root.
    pub dir: String,
    /// Which `cargo semver-checks` run (feature flags) it belongs to.
    pub run: Run,
    /// What happened to it since the baseline.
    pub since: Since,
}

/// The `cargo semver-checks` runs, by the feature flags their crates need.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Run {
    /// The runtime: default features and `testing`.
    Runtime,
    /// The facade: `rustls-ring` and `testing`, no scope features.
    Facade,
    /// The scope crates: all features.
    Scopes,
}

impl Run {
    fn flags(self) -> &'static [&'static str] {
        match self {
            Run::Runtime => &["--default-features", "--features", "testing"],
            Run::Facade => &[
                "--only-explicit-features",
                "--features",
                "rustls-ring",
                "--features",
                "testing",
            ],
            Run::Scopes => &["--all-features"],
        }
    }
}

/// The published crates of the workspace at `root` and what happened to each since `rev`:
/// the runtime, the facade, every scope crate of the working tree and those only `rev` has.
///
/// # Errors
/// When git or a manifest cannot be read.
pub fn crates(root: &Path, rev: &str) -> Result<Vec<Crate>> {
    let cfg = crate::generate::main_crate(root)?;
    let mut list = vec![
        (RUNTIME.0.to_owned(), RUNTIME.1.to_owned(), Run::Runtime),
        (cfg.package.clone(), cfg.dir.clone(), Run::Facade),
    ];
    let mut scopes = BTreeMap::new();
    let here = std::fs::read_dir(root.join(&cfg.scopes_dir))
        .with_context(|| format!("reading {}", cfg.scopes_dir))?;
    for entry in here {
        let dir = format!(
            "{}/{}",
            cfg.scopes_dir,
            entry?.file_name().to_string_lossy()
        );
        if let Ok(manifest) = std::fs::read_to_string(root.join(&dir).join("Cargo.toml")) {
            scopes.insert(dir, package_name(&manifest));
        }
    }
    // A baseline from before the scope crates has none: every scope crate is then new.
    let listed = git(
        root,
        &[
            "ls-tree",
            "--name-only",
            &format!("{rev}:{}", cfg.scopes_dir),
        ],
    )
    .unwrap_or_default();
    for name in listed.lines() {
        let dir = format!("{}/{name}", cfg.scopes_dir);
        if !scopes.contains_key(&dir)
            && let Ok(manifest) = git(root, &["show", &format!("{rev}:{dir}/Cargo.toml")])
        {
            scopes.insert(dir, package_name(&manifest));
        }
    }
    list.extend(
        scopes
            .into_iter()
            .filter_map(|(dir, package)| Some((package?, dir, Run::Scopes))),
    );
    list.into_iter()
        .map(|(package, dir, run)| {
            let in_rev = git(
                root,
                &["cat-file", "-e", &format!("{rev}:{dir}/Cargo.toml")],
            )
            .is_ok();
            let here = root.join(&dir).join("Cargo.toml").is_file();
            let since = match (in_rev, here) {
                (false, _) => Since::New,
                (true, false) => Since::Removed,
                (true, true) => {
                    let same = Command::new("git")
                        .arg("-C")
                        .arg(root)
                        .args(["diff", "--quiet", rev, "--", &dir])
                        .status()
                        .context("running `git diff`")?
                        .success();
                    if same {
                        Since::Unchanged
                    } else {
                        Since::Changed
                    }
                }
            };
            Ok(Crate {
                package,
                dir,
                run,
                since,
            })
        })
        .collect()
}

/// `name = "..."` of a manifest's `[package]`.
fn package_name(manifest: &str) -> Option<String> {
    manifest
        .lines()
        .find_map(|l| l.trim().strip_prefix("name = \""))
        .and_then(|rest| rest.split('"').next())
        .map(str::to_owned)
}

fn git(root: &Path, args: &[&str]) -> Result<String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(args)
        .output()
        .context("running git")?;
    if !out.status.success() {
        bail!(
            "git {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Runs `cargo semver-checks check-release` on `packages` against `rev` with the flags of
/// `run`; returns the combined stdout and stderr (it fails when any crate needs more than
/// a patch release, so its status says nothing more than the summaries).
fn semver_checks(root: &Path, rev: &str, run: Run, packages: &[&str]) -> Result<String> {
    let (mut reader, writer) = std::io::pipe().context("creating a pipe")?;
    let mut cmd = Command::new("cargo");
    cmd.current_dir(root)
        .args(["semver-checks", "check-release", "--color", "never"])
        .args(["--release-type", "patch", "--baseline-rev", rev])
        .args(run.flags());
    for p in packages {
        cmd.args(["--package", p]);
    }
    let mut child = cmd
        .stdout(writer.try_clone().context("cloning a pipe")?)
        .stderr(writer)
        .spawn()
        .context(
            "running `cargo semver-checks` (install: cargo install cargo-semver-checks --locked)",
        )?;
    // The command holds the pipe's write ends: drop it so that reading ends with the child.
    drop(cmd);
    let mut text = String::new();
    reader
        .read_to_string(&mut text)
        .context("reading `cargo semver-checks` output")?;
    child.wait().context("waiting for `cargo semver-checks`")?;
    Ok(text)
}

/// What `--semver-checks` found: the printed table and whether semver-checks requires more
/// than the planned version anywhere, or finds a break the spec diff does not.
#[derive(Debug)]
pub struct Outcome {
    /// The report (Markdown lines).
    pub text: String,
    /// Why the release should not go ahead, if it should not.
    pub failure: Option<String>,
}

/// Checks every changed published crate against `rev` and compares with the spec diff of
/// `plan`, crate by crate and, in the scope crates, method by method.
///
/// # Errors
/// When git fails, or `cargo semver-checks` fails without a verdict (a build error).
pub fn run(root: &Path, rev: &str, plan: &Plan) -> Result<Outcome> {
    let started = Instant::now();
    let list = crates(root, rev)?;
    let facade = crate::generate::main_crate(root)?.package;
    let spec = plan.report.by_package(&facade);
    let breaking = breaking_items(&plan.report, &facade);
    let mut verdicts = BTreeMap::new();
    for run in [Run::Runtime, Run::Facade, Run::Scopes] {
        let packages: Vec<&str> = list
            .iter()
            .filter(|c| c.run == run && c.since == Since::Changed)
            .map(|c| c.package.as_str())
            .collect();
        if packages.is_empty() {
            continue;
        }
        let text = semver_checks(root, rev, run, &packages)?;
        let found = parse(&text);
        for p in &packages {
            match found.get(*p) {
                // The run fails when any crate needs more than a patch release: a crate is
                // judged when its check reached the summary.
                Some(v) if v.checked => {
                    verdicts.insert((*p).to_owned(), v.clone());
                }
                _ => bail!("cargo semver-checks failed for {p}:\n{text}"),
            }
        }
    }
    let checked = verdicts.len();
    let previous = Version::parse(&plan.published.version)?;
    Ok(report(
        &list,
        &spec,
        &breaking,
        &verdicts,
        previous,
        plan.next(),
        &format!(
            "cargo semver-checks against {rev}: {checked} crates checked in {:.0} s",
            started.elapsed().as_secs_f64()
        ),
    ))
}

/// The table of [`run`]: one row per published crate.
pub fn report(
    list: &[Crate],
    spec: &BTreeMap<String, (Class, usize)>,
    breaking: &BTreeMap<String, Vec<Vec<String>>>,
    verdicts: &BTreeMap<String, Verdict>,
    previous: Version,
    next: Version,
    heading: &str,
) -> Outcome {
    let mut text =
        format!("\n{heading}\n\n| crate | spec diff | semver-checks | |\n|---|---|---|---|\n");
    let mut failures = Vec::new();
    let mut notes = String::new();
    for c in list {
        let diff = spec.get(&c.package);
        let diff_text = match diff {
            Some((Class::Breaking, n)) => format!("breaking ({n})"),
            Some((class, _)) => class.to_string(),
            None if c.run == Run::Runtime => "(not in the spec)".to_owned(),
            None => "no change".to_owned(),
        };
        let (checks, verdict) = match (c.since, verdicts.get(&c.package)) {
            (Since::Changed, Some(v)) => {
                let lints = v
                    .lints
                    .iter()
                    .map(|(l, n)| format!("{l} ×{n}"))
                    .collect::<Vec<_>>()
                    .join(", ");
                let class = v.class.map_or("no finding".to_owned(), |c| c.to_string());
                let checks = if lints.is_empty() {
                    class
                } else {
                    format!("{class}: {lints}")
                };
                // Item by item for the generated crates (the facade's `ErrorCode` and
                // features are compared as a whole).
                let unexplained = if c.run == Run::Scopes {
                    let methods = breaking.get(&c.package).map_or(&[][..], Vec::as_slice);
                    v.unexplained(&format!("{}/src", c.dir), methods)
                } else {
                    Vec::new()
                };
                for (lint, file) in &unexplained {
                    let _ = writeln!(
                        notes,
                        "- {}: `{lint}` in {file}: no breaking spec change of its method",
                        c.package
                    );
                }
                let required = previous.bump(v.class);
                let verdict = if required > next {
                    failures.push(format!(
                        "{} needs ≥ {required}, the release is {next}",
                        c.package
                    ));
                    format!("**needs ≥ {required}**")
                } else if c.run == Run::Runtime {
                    format!("covered by {next}")
                } else {
                    match agreement(diff.map(|d| d.0), v.class, unexplained.len()) {
                        Agreement::Agrees => "agree".to_owned(),
                        Agreement::SpecDiffStricter => {
                            "spec diff stricter (no semver-checks lint for it)".to_owned()
                        }
                        Agreement::Disagrees => {
                            failures.push(format!(
                                "{}: semver-checks finds a break the spec diff does not",
                                c.package
                            ));
                            "**DISAGREE**".to_owned()
                        }
                    }
                };
                (checks, verdict)
            }
            (Since::Changed, None) => ("not run".to_owned(), String::new()),
            (Since::Unchanged, _) => ("unchanged, not checked".to_owned(), String::new()),
            (Since::New, _) => (
                "new since the baseline, not checked".to_owned(),
                String::new(),
            ),
            (Since::Removed, _) => ("removed, not checked".to_owned(), String::new()),
        };
        let _ = writeln!(
            text,
            "| {} | {diff_text} | {checks} | {verdict} |",
            c.package
        );
    }
    if !notes.is_empty() {
        let _ = write!(
            text,
            "\nsemver-checks findings the spec diff does not explain:\n\n{notes}"
        );
    }
    let failure = (!failures.is_empty()).then(|| failures.join("; "));
    Outcome { text, failure }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn krate(package: &str, run: Run, since: Since) -> Crate {
        Crate {
            package: package.into(),
            dir: String::new(),
            run,
            since,
        }
    }

    #[test]
    fn reports_every_crate_and_fails_on_a_disagreement() {
        let v = |s: &str| Version::parse(s).unwrap();
        let list = [
            krate("bitrix24-runtime", Run::Runtime, Since::Unchanged),
            krate("bitrix24", Run::Facade, Since::Changed),
            krate("bitrix24-crm", Run::Scopes, Since::Changed),
            krate("bitrix24-tasks", Run::Scopes, Since::Changed),
            krate("bitrix24-new", Run::Scopes, Since::New),
        ];
        let spec = BTreeMap::from([
            ("bitrix24".to_owned(), (Class::Compatible, 0)),
            ("bitrix24-crm".to_owned(), (Class::Breaking, 3)),
            ("bitrix24-tasks".to_owned(), (Class::DocsOnly, 0)),
        ]);
        let breaking = Verdict {
            class: Some(Class::Breaking),
            lints: BTreeMap::from([("struct_missing".to_owned(), 1)]),
            items: Vec::new(),
            checked: true,
        };
        let verdicts = BTreeMap::from([
            (
                "bitrix24".to_owned(),
                Verdict {
                    checked: true,
                    ..Verdict::default()
                },
            ),
            ("bitrix24-crm".to_owned(), breaking.clone()),
            ("bitrix24-tasks".to_owned(), breaking),
        ]);
        let methods = BTreeMap::new();
        let out = report(
            &list,
            &spec,
            &methods,
            &verdicts,
            v("0.4.0"),
            v("0.5.0"),
            "h",
        );
        assert!(
            out.text
                .contains("| bitrix24-crm | breaking (3) | breaking: struct_missing ×1 | agree |")
        );
        assert!(out.text.contains(
            "| bitrix24-tasks | docs-only | breaking: struct_missing ×1 | **DISAGREE** |"
        ));
        assert!(
            out.text
                .contains("| bitrix24 | compatible | no finding | agree |")
        );
        assert!(
            out.text
                .contains("| bitrix24-new | no change | new since the baseline, not checked |  |")
        );
        assert!(
            out.text
                .contains("| bitrix24-runtime | (not in the spec) | unchanged, not checked |  |")
        );
        assert_eq!(
            out.failure.as_deref(),
            Some("bitrix24-tasks: semver-checks finds a break the spec diff does not")
        );
        // A break in a patch release fails whatever the spec diff says.
        let out = report(
            &list,
            &spec,
            &methods,
            &verdicts,
            v("0.4.0"),
            v("0.4.1"),
            "h",
        );
        assert!(out.text.contains(
            "| bitrix24-crm | breaking (3) | breaking: struct_missing ×1 | **needs ≥ 0.5.0** |"
        ));
    }
}
