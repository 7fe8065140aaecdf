//! `cargo xtask <command>`: a thin CLI over `bitrix24-codegen`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "cargo xtask", about = "Bitrix24 client project tasks")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Regenerate `generated/` (client crate and Markdown docs) from `spec/`.
    Codegen {
        /// Regenerate in memory and fail with a diff when `generated/` is stale.
        #[arg(long)]
        check: bool,
    },
    /// Transcribe the upstream docs pages into `spec/`, applying `spec/patches/`.
    Import {
        /// A checkout of bitrix24/b24restdocs (its root, holding `api-reference/`).
        #[arg(long)]
        docs: PathBuf,
        /// Import only these methods or events (default: every method and event in `spec/`,
        /// or in `--list`); a REST 3.0 method is `v3.<name>` (`v3.tasks.task.get`).
        #[arg(long = "method", value_name = "NAME")]
        methods: Vec<String>,
        /// A TSV file of `name<TAB>docs path<TAB>how` lines naming the methods to import;
        /// a name starting with `on` (or `how` = `event`) is an event page, `how` = `v3` a
        /// REST 3.0 method page.
        #[arg(long)]
        list: Option<PathBuf>,
        /// Import in memory and fail with a diff when `spec/` differs.
        #[arg(long)]
        check: bool,
        /// Import every method and event page found in the docs tree (pages are told
        /// apart by their H1, `Scope:` line and cURL examples; skipped pages are listed
        /// with the reason).
        #[arg(long, conflicts_with = "list")]
        all: bool,
    },
    /// Run every Markdown page of docs checkouts through the importer (method pages or
    /// not) and fail when a page panics; prints the slowest pages.
    ImportSweep {
        /// Checkouts of bitrix24/b24restdocs (their roots).
        #[arg(long, required = true)]
        docs: Vec<PathBuf>,
    },
    /// Compare `spec/` with the docs' tables read a second way, apart from the importer
    /// (parameter names, required marks, error codes); print the agreement and every
    /// disagreement.
    CrossCheck {
        /// A checkout of bitrix24/b24restdocs at the spec's pin (its root).
        #[arg(long)]
        docs: PathBuf,
        /// Fail when fewer rows than this (percent) agree.
        #[arg(long, default_value_t = 0.0)]
        min: f64,
    },
    /// Write the JSON Schema of the spec files to `spec/schema/`.
    Schema {
        /// Fail when the committed schema is stale.
        #[arg(long)]
        check: bool,
    },
    /// Compare two specs semantically and classify every change (breaking, compatible,
    /// docs-only) by its effect on the generated crate.
    SpecDiff {
        /// Base side: a spec directory (or a checkout holding `spec/`), else a git revision
        /// whose `spec/` is compared.
        #[arg(required_unless_present = "rules")]
        base: Option<String>,
        /// Head side, like `base`; default: the working tree's `spec/`.
        head: Option<String>,
        /// Output: `markdown` (a PR comment) or `json` (for tools).
        #[arg(long, default_value = "markdown")]
        format: bitrix24_codegen::diff::Format,
        /// Exit non-zero (after printing) when a change of at least this class exists:
        /// `breaking`, `compatible` or `docs-only`.
        #[arg(long, value_name = "CLASS")]
        fail_on: Option<bitrix24_codegen::diff::Class>,
        /// The last release's record to apply (default: `release/published.yaml`, if any):
        /// `ErrorCode` variants and spellings it lists are kept, deprecated, not removed, and
        /// so are the optional fields it lists, for one release.
        #[arg(long, value_name = "FILE")]
        published: Option<PathBuf>,
        /// Ignore the published record: classify the docs' changes as such.
        #[arg(long, conflicts_with = "published")]
        no_published: bool,
        /// Print the classification rules as a Markdown table and exit.
        #[arg(long, conflicts_with_all = ["format", "fail_on"])]
        rules: bool,
    },
    /// Prepare a release of `bitrix24-runtime` and `bitrix24`: the next version from the spec
    /// diff since the last release (`release/published.yaml`), the CHANGELOG entry, the new
    /// record, regenerated `generated/`.
    Release {
        /// Print the versions and the CHANGELOG entry; change nothing.
        #[arg(long)]
        dry_run: bool,
        /// Fail when the declared version is lower than the spec change requires (CI).
        #[arg(long, conflicts_with_all = ["dry_run", "init", "semver_checks"])]
        check: bool,
        /// Record an existing release instead: the declared version, made from the spec/
        /// of this git revision.
        #[arg(long, value_name = "REV")]
        init: Option<String>,
        /// Also run `cargo semver-checks` against this git revision of the last release on
        /// every published crate changed since (runtime, facade, scope crates) and compare
        /// crate by crate with the spec diff; fails when it finds a break the spec diff does
        /// not, or one the version does not cover (needs cargo-semver-checks installed).
        #[arg(long, value_name = "REV")]
        semver_checks: Option<String>,
    },
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let root = workspace_root();
    let result = match cli.command {
        Command::Codegen { check } => bitrix24_codegen::generate::run(&root, check),
        Command::Import {
            docs,
            methods,
            list,
            check,
            all,
        } => bitrix24_codegen::import::run(&bitrix24_codegen::import::Options {
            root,
            docs,
            methods,
            list,
            check,
            all,
        }),
        Command::ImportSweep { docs } => bitrix24_codegen::import::sweep::run(&docs),
        Command::CrossCheck { docs, min } => {
            bitrix24_codegen::cross_check::run_cli(&root, &docs, min)
        }
        Command::Schema { check } => bitrix24_codegen::schema::run(&root, check),
        Command::Release {
            dry_run,
            check,
            init,
            semver_checks,
        } => bitrix24_codegen::release::run(
            &root,
            &bitrix24_codegen::release::Options {
                dry_run,
                check,
                init,
                semver_checks,
            },
        ),
        Command::SpecDiff { rules: true, .. } => {
            print!("{}", bitrix24_codegen::diff::classify::rules_markdown());
            Ok(())
        }
        Command::SpecDiff {
            base,
            head,
            format,
            fail_on,
            published,
            no_published,
            rules: false,
        } => bitrix24_codegen::diff::run(
            &root,
            &bitrix24_codegen::diff::Options {
                base: base.unwrap_or_default(),
                head,
                format,
                fail_on,
                published,
                no_published,
            },
        ),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
