//! Importer placeholder.
use std::path::PathBuf;
/// Options of `cargo xtask import`.
#[derive(Debug, Clone)]
pub struct Options { pub root: PathBuf, pub docs: PathBuf, pub methods: Vec<String>, pub list: Option<PathBuf>, pub check: bool }
/// Runs the importer.
pub fn run(_o: &Options) -> anyhow::Result<()> { anyhow::bail!("importer not written yet") }
