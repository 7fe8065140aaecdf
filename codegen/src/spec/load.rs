//! Loading `spec/` (placeholder until the validator lands).
use std::path::Path;

use super::{MethodFile, Spec};
use crate::diagnostics::{Diagnostic, Diagnostics};

/// Loads and validates a spec directory.
pub fn load(dir: &Path) -> Result<Spec, Diagnostics> {
    let mut diags = Diagnostics::default();
    let err = |file: &Path, message: String| Diagnostic {
        file: file.to_path_buf(),
        line: None,
        path: String::new(),
        message,
    };
    let api_path = dir.join("api.yaml");
    let api = match std::fs::read_to_string(&api_path).map_err(|e| e.to_string()).and_then(|s| serde_yaml::from_str(&s).map_err(|e| e.to_string())) {
        Ok(a) => a,
        Err(e) => { diags.push(err(&api_path, e)); diags.into_result()?; unreachable!() }
    };
    let mut methods = Vec::new();
    let mut stack = vec![dir.join("methods")];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else { continue };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() { stack.push(p); continue; }
            match std::fs::read_to_string(&p).map_err(|e| e.to_string()).and_then(|s| serde_yaml::from_str(&s).map_err(|e| e.to_string())) {
                Ok(m) => methods.push(MethodFile { path: p.strip_prefix(dir).unwrap_or(&p).to_path_buf(), method: m }),
                Err(e) => diags.push(err(&p, e)),
            }
        }
    }
    methods.sort_by(|a, b| a.method.method.cmp(&b.method.method));
    diags.into_result()?;
    Ok(Spec { api, methods, types: Vec::new() })
}
