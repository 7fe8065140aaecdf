//! Schema placeholder.
use std::path::Path;
/// Writes or checks the schema.
pub fn run(_root: &Path, _check: bool) -> anyhow::Result<()> { anyhow::bail!("not yet") }
