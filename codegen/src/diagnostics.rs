//! Located problems in input files (spec files, docs pages), collected rather than thrown.

use std::fmt;
use std::path::PathBuf;

/// One problem, located as precisely as the input allows.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Diagnostic {
    /// The file, relative to the directory being read.
    pub file: PathBuf,
    /// 1-based line, where known.
    pub line: Option<usize>,
    /// Logical location inside the file, e.g. `crm.calllist.add › params › ENTITIES › type`.
    pub path: String,
    /// What is wrong, and where useful, what would be right.
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if !self.path.is_empty() {
            write!(f, ": {}", self.path)?;
        }
        write!(f, ": {}", self.message)
    }
}

/// All problems found in one pass; an error when non-empty.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    /// Adds a problem.
    pub fn push(&mut self, d: Diagnostic) {
        self.0.push(d);
    }

    /// No problem recorded.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Sorted, deduplicated; `Err(self)` when anything was recorded.
    pub fn into_result(mut self) -> Result<(), Diagnostics> {
        self.0.sort();
        self.0.dedup();
        if self.0.is_empty() { Ok(()) } else { Err(self) }
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for d in &self.0 {
            writeln!(f, "error: {d}")?;
        }
        let n = self.0.len();
        write!(f, "{n} error{}", if n == 1 { "" } else { "s" })
    }
}

impl std::error::Error for Diagnostics {}
