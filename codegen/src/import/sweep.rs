//! `cargo xtask import-sweep`: every Markdown page of a docs checkout through the
//! importer, method pages or not, timed one by one. The importer must never panic,
//! hang or abort on a page: this is the whole-tree check CI runs on both docs pins.

use std::fmt;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// One page through the importer.
#[derive(Debug, Clone)]
pub struct PageRun {
    /// Docs-root-relative path.
    pub path: String,
    /// Wall time of every transcription of the page (method, event, error tables).
    pub time: Duration,
    /// Diagnostics the page gave (as a method page).
    pub diagnostics: usize,
    /// The panic message, when the importer panicked.
    pub panic: Option<String>,
}

/// What a sweep found.
#[derive(Debug, Clone, Default)]
pub struct Sweep {
    /// Every page, in path order.
    pub pages: Vec<PageRun>,
    /// Pages that could not be read, with the error.
    pub unreadable: Vec<String>,
}

impl Sweep {
    /// The pages that panicked.
    pub fn panics(&self) -> impl Iterator<Item = &PageRun> {
        self.pages.iter().filter(|p| p.panic.is_some())
    }

    /// The `n` slowest pages, slowest first.
    pub fn slowest(&self, n: usize) -> Vec<&PageRun> {
        let mut v: Vec<&PageRun> = self.pages.iter().collect();
        v.sort_by(|a, b| b.time.cmp(&a.time).then(a.path.cmp(&b.path)));
        v.truncate(n);
        v
    }

    fn total(&self) -> Duration {
        self.pages.iter().map(|p| p.time).sum()
    }

    fn median(&self) -> Duration {
        let mut t: Vec<Duration> = self.pages.iter().map(|p| p.time).collect();
        t.sort();
        t.get(t.len() / 2).copied().unwrap_or_default()
    }
}

impl fmt::Display for Sweep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} pages in {:.2?} (median {:.2?} per page), {} panics",
            self.pages.len(),
            self.total(),
            self.median(),
            self.panics().count()
        )?;
        writeln!(f, "slowest pages:")?;
        for p in self.slowest(5) {
            writeln!(f, "  {:>10.2?}  {}", p.time, p.path)?;
        }
        for u in &self.unreadable {
            writeln!(f, "UNREADABLE {u}")?;
        }
        for p in self.panics() {
            writeln!(
                f,
                "PANIC {}: {}",
                p.path,
                p.panic.as_deref().unwrap_or_default()
            )?;
        }
        Ok(())
    }
}

/// Every `.md` file under `docs`, docs-relative with `/` separators, sorted.
pub fn pages(docs: &Path) -> Vec<String> {
    let mut out: Vec<String> = super::files_with_extension(docs, "md")
        .iter()
        .filter_map(|p| p.strip_prefix(docs).ok())
        .map(|rel| {
            rel.components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/")
        })
        .collect();
    out.sort();
    out
}

/// The method name a page would document: its file stem, `-` read as `.`
/// (`crm-deal-add.md` → `crm.deal.add`).
fn name_of(path: &str) -> String {
    let stem = path.rsplit('/').next().unwrap_or(path);
    stem.trim_end_matches(".md").replace('-', ".")
}

/// Runs one page through every transcription the importer has (as a method page, as an
/// event page, as the system-error and event-`auth` includes), catching panics.
pub fn run_page(text: &str, path: &str, includes: &dyn Fn(&str) -> Option<String>) -> PageRun {
    let name = name_of(path);
    let start = Instant::now();
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| {
        let (_, diags) = super::transcribe(text, path, &name, includes, "");
        let _ = super::event::transcribe_event(text, path, &name, includes, "");
        let _ = super::system_errors(text, path);
        let _ = super::event::event_auth(text, path);
        diags.len()
    }));
    let time = start.elapsed();
    let (diagnostics, panic) = match outcome {
        Ok(n) => (n, None),
        Err(e) => {
            let msg = e
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "(no message)".into());
            (0, Some(msg))
        }
    };
    PageRun {
        path: path.to_string(),
        time,
        diagnostics,
        panic,
    }
}

/// Runs every page of the checkout at `docs` through the importer (pages that are not
/// UTF-8 are read lossily, as text with replacement characters).
pub fn sweep(docs: &Path) -> Sweep {
    let read = |p: &str| -> Option<String> { std::fs::read_to_string(docs.join(p)).ok() };
    let mut out = Sweep::default();
    for path in pages(docs) {
        let text = match std::fs::read(docs.join(&path)) {
            Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            Err(e) => {
                out.unreadable.push(format!("{path}: {e}"));
                continue;
            }
        };
        out.pages.push(run_page(&text, &path, &read));
    }
    out
}

/// `cargo xtask import-sweep`: sweeps each checkout, prints what it found, and fails when
/// a page panicked or could not be read.
pub fn run(docs: &[PathBuf]) -> anyhow::Result<()> {
    let mut failed = 0;
    for d in docs {
        if !d.is_dir() {
            anyhow::bail!("{} is not a directory", d.display());
        }
        let s = sweep(d);
        print!("{}: {s}", d.display());
        failed += s.panics().count() + s.unreadable.len();
    }
    if failed > 0 {
        anyhow::bail!("{failed} pages panicked the importer or could not be read");
    }
    Ok(())
}
