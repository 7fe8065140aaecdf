//! Generator placeholder.
use std::path::Path;
/// Runs the generator.
pub fn run(_root: &Path, _check: bool) -> anyhow::Result<()> { anyhow::bail!("not yet") }
