//! Loading `spec/`: read every file, deserialise it, validate the whole, and collect
//! every fault as a located [`Diagnostic`] rather than stopping at the first.
//!
//! A spec directory holds `api.yaml` (model [`Api`]), `methods/**/*.yaml` (one
//! [`Method`] each), optionally `types/*.yaml` (one shared [`TypeDef`] each) and
//! `events/**/*.yaml` (one inbound [`Event`] each).
//! `patches/` belongs to the importer and `schema/` to editors; both are ignored here.
//! No input makes the loader panic: unreadable entries, non-UTF-8 bytes, empty files,
//! directories named `*.yaml` and symlink loops all become diagnostics.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde_yaml::Value;

use super::locate::{self, PathSeg};
use super::model::{Api, Event, Method, TypeDef};
use super::validate::{self, Input, Unit};
use super::yaml_depth;
use super::{EventFile, MethodFile, Spec};
use crate::diagnostics::{Diagnostic, Diagnostics};

/// How deep `methods/` may nest before the walk gives up (it is two levels in practice).
const MAX_DEPTH: usize = 16;

/// Loads and validates a spec directory: every fault in every file, or the spec with
/// its methods, shared types and events each sorted by name.
pub fn load(dir: &Path) -> Result<Spec, Diagnostics> {
    let mut diags = Vec::new();
    let api = read_file::<Api>(dir, Path::new("api.yaml"), Kind::Api, &mut diags);
    let methods: Vec<Loaded<Method>> = find_yaml(dir, "methods", true, &mut diags)
        .iter()
        .filter_map(|p| read_file(dir, p, Kind::Method, &mut diags))
        .collect();
    let types: Vec<Loaded<TypeDef>> = find_yaml(dir, "types", false, &mut diags)
        .iter()
        .filter_map(|p| read_file(dir, p, Kind::Type, &mut diags))
        .collect();
    let events: Vec<Loaded<Event>> = find_yaml(dir, "events", true, &mut diags)
        .iter()
        .filter_map(|p| read_file(dir, p, Kind::Event, &mut diags))
        .collect();
    let input = Input {
        api: api.as_ref().map(Loaded::unit),
        methods: methods.iter().map(Loaded::unit).collect(),
        types: types.iter().map(Loaded::unit).collect(),
        events: events.iter().map(Loaded::unit).collect(),
    };
    diags.extend(validate::validate(&input));
    Diagnostics(diags).into_result()?;
    let Some(api) = api else {
        // Unreachable in practice: a missing api.yaml is itself a diagnostic.
        return Err(Diagnostics(vec![fault(
            Path::new("api.yaml"),
            None,
            "",
            "missing",
        )]));
    };
    let mut methods: Vec<MethodFile> = methods
        .into_iter()
        .map(|l| MethodFile {
            path: l.path,
            method: l.value,
        })
        .collect();
    methods.sort_by(|a, b| a.method.id().cmp(&b.method.id()));
    let mut types: Vec<TypeDef> = types.into_iter().map(|l| l.value).collect();
    types.sort_by(|a, b| a.name.cmp(&b.name));
    let mut events: Vec<EventFile> = events
        .into_iter()
        .map(|l| EventFile {
            path: l.path,
            event: l.value,
            rust_name: None,
        })
        .collect();
    events.sort_by(|a, b| a.event.event.cmp(&b.event.event));
    Ok(Spec {
        api: api.value,
        methods,
        types,
        events,
    })
}

/// A deserialised file with its text.
struct Loaded<T> {
    /// Relative to the spec directory.
    path: PathBuf,
    text: String,
    value: T,
}

impl<T> Loaded<T> {
    fn unit(&self) -> Unit<'_, T> {
        Unit {
            file: &self.path,
            source: Some(&self.text),
            value: &self.value,
        }
    }
}

/// What a file should hold; shapes the messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Api,
    Method,
    Type,
    Event,
}

impl Kind {
    /// What an empty file should have held.
    fn expected(self) -> &'static str {
        match self {
            Kind::Api => "the service-wide facts (`docs`, `system_errors`)",
            Kind::Method => {
                "one method (`method`, `source`, `title`, `summary`, `scope`, `read_only`, \
                 `result`, ...)"
            }
            Kind::Type => "one named type (`name`, and `fields` or `values`)",
            Kind::Event => {
                "one event (`event`, `source`, `title`, `summary`, `scope`, `data`, ...)"
            }
        }
    }

    /// The key naming the file's content, shown at the start of logical paths.
    fn root_key(self) -> Option<&'static str> {
        match self {
            Kind::Api => None,
            Kind::Method => Some("method"),
            Kind::Type => Some("name"),
            Kind::Event => Some("event"),
        }
    }
}

fn fault(file: &Path, line: Option<usize>, path: &str, message: impl Into<String>) -> Diagnostic {
    Diagnostic {
        file: file.to_path_buf(),
        line,
        path: path.to_owned(),
        message: message.into(),
    }
}

// ---------------------------------------------------------------------------------------
// Finding files

/// The `.yaml` files under `dir/sub` (relative to `dir`), sorted; `recursive` walks
/// subdirectories. A missing `sub` is no fault.
fn find_yaml(dir: &Path, sub: &str, recursive: bool, diags: &mut Vec<Diagnostic>) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let root = dir.join(sub);
    match fs::metadata(&root) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return found,
        Err(e) => {
            diags.push(fault(
                Path::new(sub),
                None,
                "",
                format!("cannot read the directory: {e}"),
            ));
            return found;
        }
        Ok(md) if !md.is_dir() => {
            diags.push(fault(
                Path::new(sub),
                None,
                "",
                format!("`{sub}` must be a directory, but it is a file"),
            ));
            return found;
        }
        Ok(_) => {}
    }
    let mut walk = Walk {
        dir,
        recursive,
        visited: BTreeSet::new(),
        found: &mut found,
        diags,
    };
    walk.visit(Path::new(sub), 0);
    found.sort();
    found
}

/// State of one directory walk.
struct Walk<'a> {
    dir: &'a Path,
    recursive: bool,
    /// Canonical paths of the directories read, to stop symlink loops.
    visited: BTreeSet<PathBuf>,
    found: &'a mut Vec<PathBuf>,
    diags: &'a mut Vec<Diagnostic>,
}

impl Walk<'_> {
    fn visit(&mut self, rel: &Path, depth: usize) {
        let full = self.dir.join(rel);
        if let Ok(canonical) = fs::canonicalize(&full)
            && !self.visited.insert(canonical)
        {
            self.diags.push(fault(
                rel,
                None,
                "",
                "this directory was already read through another path (a symlink loop?); \
                 remove the symlink",
            ));
            return;
        }
        if depth > MAX_DEPTH {
            self.diags.push(fault(
                rel,
                None,
                "",
                format!("directories nest deeper than {MAX_DEPTH} levels; methods live in `methods/<first segment>/`"),
            ));
            return;
        }
        let entries = match fs::read_dir(&full) {
            Ok(rd) => rd,
            Err(e) => {
                self.diags.push(fault(
                    rel,
                    None,
                    "",
                    format!("cannot read the directory: {e}"),
                ));
                return;
            }
        };
        let mut names: Vec<_> = Vec::new();
        for entry in entries {
            match entry {
                Ok(e) => names.push(e.file_name()),
                Err(e) => self.diags.push(fault(
                    rel,
                    None,
                    "",
                    format!("cannot list the directory: {e}"),
                )),
            }
        }
        names.sort();
        for name in names {
            self.entry(&rel.join(&name), depth);
        }
    }

    fn entry(&mut self, rel: &Path, depth: usize) {
        let name = rel
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let full = self.dir.join(rel);
        // Follows symlinks: a loop or a dangling link is an error here.
        let md = match fs::metadata(&full) {
            Ok(md) => md,
            Err(e) => {
                self.diags
                    .push(fault(rel, None, "", format!("cannot read: {e}")));
                return;
            }
        };
        if md.is_dir() {
            if name.ends_with(".yaml") {
                self.diags.push(fault(
                    rel,
                    None,
                    "",
                    "this is a directory, but a name ending in `.yaml` must be a YAML file",
                ));
            } else if self.recursive {
                self.visit(rel, depth + 1);
            }
        } else if name.ends_with(".yaml") {
            self.found.push(rel.to_path_buf());
        } else if let Some(stem) = name.strip_suffix(".yml") {
            self.diags.push(fault(
                rel,
                None,
                "",
                format!("spec files use the `.yaml` extension; rename this file to `{stem}.yaml`"),
            ));
        }
    }
}

// ---------------------------------------------------------------------------------------
// Reading one file

/// Reads and deserialises `dir/rel`; on failure records its one fault.
fn read_file<T: DeserializeOwned>(
    dir: &Path,
    rel: &Path,
    kind: Kind,
    diags: &mut Vec<Diagnostic>,
) -> Option<Loaded<T>> {
    match read_text(dir, rel, kind).and_then(|text| {
        let value = parse::<T>(&text, kind)?;
        Ok((text, value))
    }) {
        Ok((text, value)) => Some(Loaded {
            path: rel.to_path_buf(),
            text,
            value,
        }),
        Err(f) => {
            diags.push(fault(rel, f.line, &f.path, f.message));
            None
        }
    }
}

/// A fault of one file, before it is tied to the file.
#[derive(Debug)]
struct Fault {
    line: Option<usize>,
    path: String,
    message: String,
}

impl Fault {
    fn new(line: Option<usize>, message: impl Into<String>) -> Fault {
        Fault {
            line,
            path: String::new(),
            message: message.into(),
        }
    }
}

/// The file's text: it must be a readable UTF-8 file.
fn read_text(dir: &Path, rel: &Path, kind: Kind) -> Result<String, Fault> {
    let full = dir.join(rel);
    match fs::metadata(&full) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && kind == Kind::Api => {
            return Err(Fault::new(
                None,
                "missing: a spec directory holds `api.yaml` (service-wide facts), \
                 `methods/<scope>/<method>.yaml` and optionally `types/<Name>.yaml` and \
                 `events/<scope>/<event>.yaml`",
            ));
        }
        Err(e) => return Err(Fault::new(None, format!("cannot read the file: {e}"))),
        Ok(md) if md.is_dir() => {
            return Err(Fault::new(
                None,
                "this is a directory, but a name ending in `.yaml` must be a YAML file",
            ));
        }
        Ok(_) => {}
    }
    let bytes =
        fs::read(&full).map_err(|e| Fault::new(None, format!("cannot read the file: {e}")))?;
    String::from_utf8(bytes).map_err(|e| {
        let bytes = e.as_bytes();
        let at = e.utf8_error().valid_up_to();
        let before = bytes.get(..at).unwrap_or_default();
        let line = before.iter().filter(|b| **b == b'\n').count() + 1;
        let column = before.iter().rev().take_while(|b| **b != b'\n').count() + 1;
        let byte = bytes.get(at).copied().unwrap_or_default();
        Fault::new(
            Some(line),
            format!(
                "the file is not valid UTF-8: the byte sequence starting with 0x{byte:02X} at \
                 column {column} is not a character; spec files must be UTF-8 text"
            ),
        )
    })
}

/// Deserialises `text` as YAML; syntax errors, an empty document and model mismatches
/// each become one located fault.
fn parse<T: DeserializeOwned>(text: &str, kind: Kind) -> Result<T, Fault> {
    yaml_depth::check(text).map_err(|e| Fault::new(Some(e.line), format!("invalid YAML: {e}")))?;
    // First as a plain YAML value: syntax errors, and the tree to name items by.
    let tree = guarded(|| serde_yaml::from_str::<Value>(text))?.map_err(|e| {
        let line = e.location().map(|l| l.line());
        Fault::new(line, format!("invalid YAML: {e}"))
    })?;
    if tree.is_null() {
        return Err(Fault::new(
            None,
            format!(
                "the file is empty (or only comments): expected {}",
                kind.expected()
            ),
        ));
    }
    let root = kind
        .root_key()
        .and_then(|k| tree.get(k))
        .and_then(Value::as_str)
        .unwrap_or_default();
    guarded(|| serde_yaml::from_str::<T>(text))?.map_err(|e| model_fault(&e, text, &tree, root))
}

/// Runs the YAML parser, turning a panic inside it (none is known) into a fault.
fn guarded<R>(f: impl FnOnce() -> R + std::panic::UnwindSafe) -> Result<R, Fault> {
    std::panic::catch_unwind(f)
        .map_err(|_| Fault::new(None, "the YAML parser failed on this file (internal error)"))
}

/// A serde error as a located fault with a logical path (`params › ENTITIES`).
fn model_fault(e: &serde_yaml::Error, text: &str, tree: &Value, root: &str) -> Fault {
    let mut message = e.to_string();
    let mut line = None;
    if let Some(loc) = e.location() {
        line = Some(loc.line());
        let suffix = format!(" at line {} column {}", loc.line(), loc.column());
        if let Some(stripped) = message.strip_suffix(&suffix) {
            message = stripped.to_owned();
        }
    }
    let (segs, rest) = split_serde_path(&message);
    let path = labelled(&segs, tree);
    if line.is_none() {
        line = locate::nearest_line(text, &path);
    }
    Fault {
        line,
        path: locate::display_path(root, &path),
        message: rest.to_owned(),
    }
}

/// A raw step of serde's path (`params[0].type`).
#[derive(Debug, Clone, PartialEq, Eq)]
enum RawSeg {
    Key(String),
    Index(usize),
}

/// Splits serde's `path: message` into the path's steps and the message; no steps
/// when the message has no path prefix.
fn split_serde_path(message: &str) -> (Vec<RawSeg>, &str) {
    let Some((prefix, rest)) = message.split_once(": ") else {
        return (Vec::new(), message);
    };
    let is_path = !prefix.is_empty()
        && prefix
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '[' | ']' | '?'));
    if !is_path {
        return (Vec::new(), message);
    }
    let mut segs = Vec::new();
    for part in prefix.split('.') {
        let mut pieces = part.split('[');
        if let Some(k) = pieces.next().filter(|k| !k.is_empty() && *k != "?") {
            segs.push(RawSeg::Key(k.to_owned()));
        }
        for idx in pieces {
            if let Ok(i) = idx.trim_end_matches(']').parse() {
                segs.push(RawSeg::Index(i));
            }
        }
    }
    (segs, rest)
}

/// Names sequence items by their `name`, `code` or `value`, following `tree`.
fn labelled(segs: &[RawSeg], tree: &Value) -> Vec<PathSeg> {
    let mut node = Some(tree);
    segs.iter()
        .map(|s| match s {
            RawSeg::Key(k) => {
                node = node.and_then(|n| n.get(k.as_str()));
                PathSeg::Key(k.clone())
            }
            RawSeg::Index(i) => {
                node = node.and_then(|n| n.get(*i));
                PathSeg::Item {
                    index: *i,
                    label: node.and_then(item_label),
                }
            }
        })
        .collect()
}

/// The label of a sequence item: its `name`, `code` or `value`.
fn item_label(item: &Value) -> Option<String> {
    ["name", "code", "value"]
        .iter()
        .find_map(|k| match item.get(*k)? {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    const API: &str = "docs:\n  repository: a/b\n  commit: 229f6887c3ba3d34a66e1cbf6a46b10a26768c51\n  date: d\n  base_url: u\nsystem_errors: []\n";

    fn method(name: &str) -> String {
        format!(
            "# yaml-language-server: $schema=../../schema/method.schema.json\nmethod: {name}\nsource:\n  path: a.md\n  commit: 229f6887c3ba3d34a66e1cbf6a46b10a26768c51\ntitle: T\nsummary: S\nscope: crm\nread_only: true\nresult:\n  type: integer\n"
        )
    }

    /// A scratch spec directory, removed on drop.
    struct Scratch(PathBuf);

    impl Scratch {
        fn new() -> Scratch {
            static N: AtomicUsize = AtomicUsize::new(0);
            let dir = std::env::temp_dir().join(format!(
                "b24-load-{}-{}",
                std::process::id(),
                N.fetch_add(1, Ordering::SeqCst)
            ));
            let _ = fs::remove_dir_all(&dir);
            fs::create_dir_all(&dir).unwrap();
            let s = Scratch(dir);
            s.write("api.yaml", API.as_bytes());
            s
        }

        fn write(&self, rel: &str, bytes: &[u8]) {
            let p = self.0.join(rel);
            fs::create_dir_all(p.parent().unwrap()).unwrap();
            fs::write(p, bytes).unwrap();
        }

        fn errors(&self) -> Vec<String> {
            match load(&self.0) {
                Ok(_) => Vec::new(),
                Err(d) => d.0.iter().map(ToString::to_string).collect(),
            }
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    fn assert_one(errors: &[String], needle: &str) {
        assert_eq!(errors.len(), 1, "{errors:#?}");
        assert!(errors[0].contains(needle), "{errors:#?}\nwanted: {needle}");
    }

    #[test]
    fn loads_sorted_and_ignores_patches_and_schema() {
        let s = Scratch::new();
        s.write("methods/crm/crm.b.yaml", method("crm.b").as_bytes());
        s.write("methods/crm/crm.a.yaml", method("crm.a").as_bytes());
        s.write("methods/user/user.get.yaml", method("user.get").as_bytes());
        s.write("methods/crm/README.md", b"notes");
        s.write("patches/crm.a.yaml", b"garbage: [");
        s.write("schema/method.schema.json", b"{");
        let spec = load(&s.0).unwrap();
        let names: Vec<&str> = spec
            .methods
            .iter()
            .map(|m| m.method.method.as_str())
            .collect();
        assert_eq!(names, ["crm.a", "crm.b", "user.get"]);
        assert_eq!(spec.methods[0].path, Path::new("methods/crm/crm.a.yaml"));
    }

    #[test]
    fn collects_faults_across_files() {
        let s = Scratch::new();
        s.write("methods/crm/crm.a.yaml", b"method: [");
        s.write(
            "methods/crm/crm.b.yaml",
            method("crm.b")
                .replace("read_only: true", "read_only: 3")
                .as_bytes(),
        );
        s.write(
            "methods/crm/crm.c.yaml",
            method("crm.c")
                .replace("type: integer", "type: Nope")
                .as_bytes(),
        );
        s.write("methods/crm/crm.d.yaml", method("crm.d").as_bytes());
        let e = s.errors();
        assert_eq!(e.len(), 3, "{e:#?}");
        assert!(
            e[0].starts_with("methods/crm/crm.a.yaml:2: invalid YAML"),
            "{e:#?}"
        );
        assert!(e[1].starts_with("methods/crm/crm.b.yaml:9: crm.b › read_only: invalid type: integer `3`, expected a boolean"), "{e:#?}");
        assert!(
            e[2].starts_with(
                "methods/crm/crm.c.yaml:11: crm.c › result › type: unknown type `Nope`"
            ),
            "{e:#?}"
        );
    }

    #[test]
    fn odd_files_are_diagnostics() {
        let s = Scratch::new();
        // Binary garbage, valid and invalid UTF-8.
        s.write("methods/crm/crm.a.yaml", &[0, 1, 2, 3, 0x7f, b'\n', 0x1b]);
        s.write("methods/crm/crm.b.yaml", &[b'a', b'\n', 0xc3, 0x28]);
        s.write("methods/crm/crm.c.yaml", b"# only a comment\n\n");
        s.write("methods/crm/crm.d.yaml", b"- a\n- b\n");
        s.write("methods/crm/crm.e.yaml", "[".repeat(10_000).as_bytes());
        s.write("methods/crm/crm.f.yaml", b"method: *nope\n");
        s.write("methods/crm/crm.g.yaml", b"a: 1\n---\nb: 2\n");
        s.write("methods/crm/crm.h.yml", method("crm.h").as_bytes());
        s.write("methods/crm/crm.i.yaml/inner.txt", b"");
        s.write("types/Odd.yaml", b"");
        let e = s.errors();
        let want = [
            "methods/crm/crm.a.yaml:",
            "methods/crm/crm.b.yaml:2: the file is not valid UTF-8: the byte sequence starting with 0xC3 at column 1 is not a character",
            "methods/crm/crm.c.yaml: the file is empty (or only comments)",
            "methods/crm/crm.d.yaml:1: invalid type: sequence, expected struct Method",
            "methods/crm/crm.e.yaml:",
            "methods/crm/crm.f.yaml:",
            "methods/crm/crm.g.yaml:",
            "methods/crm/crm.h.yml: spec files use the `.yaml` extension; rename this file to `crm.h.yaml`",
            "methods/crm/crm.i.yaml: this is a directory",
            "types/Odd.yaml: the file is empty (or only comments): expected one named type",
        ];
        assert_eq!(e.len(), want.len(), "{e:#?}");
        for (got, want) in e.iter().zip(want) {
            assert!(got.starts_with(want), "{got}\nwanted: {want}");
        }
    }

    #[test]
    fn api_yaml_problems() {
        let s = Scratch::new();
        fs::remove_file(s.0.join("api.yaml")).unwrap();
        fs::create_dir(s.0.join("api.yaml")).unwrap();
        assert_one(&s.errors(), "api.yaml: this is a directory");
        let s = Scratch::new();
        s.write("api.yaml", b"docs: {}\nsystem_errors: []\n");
        assert_one(&s.errors(), "api.yaml:1: docs: missing field `repository`");
        let e = load(Path::new("/nonexistent/spec/dir")).unwrap_err();
        assert_one(
            &[e.to_string()],
            "api.yaml: missing: a spec directory holds",
        );
    }

    #[cfg(unix)]
    #[test]
    fn symlink_loops_are_diagnostics() {
        use std::os::unix::fs::symlink;
        let s = Scratch::new();
        s.write("methods/crm/crm.a.yaml", method("crm.a").as_bytes());
        symlink("crm.loop.yaml", s.0.join("methods/crm/crm.loop.yaml")).unwrap();
        symlink("..", s.0.join("methods/crm/up")).unwrap();
        symlink("missing.yaml", s.0.join("methods/crm/crm.dangling.yaml")).unwrap();
        let e = s.errors();
        assert_eq!(e.len(), 3, "{e:#?}");
        assert!(
            e[0].starts_with("methods/crm/crm.dangling.yaml: cannot read:"),
            "{e:#?}"
        );
        assert!(
            e[1].starts_with("methods/crm/crm.loop.yaml: cannot read:"),
            "{e:#?}"
        );
        assert!(
            e[2].starts_with("methods/crm/up: this directory was already read"),
            "{e:#?}"
        );
    }

    #[test]
    fn serde_paths() {
        let (segs, rest) = split_serde_path("params[0].wire: unknown variant `x`");
        assert_eq!(
            segs,
            [
                RawSeg::Key("params".into()),
                RawSeg::Index(0),
                RawSeg::Key("wire".into())
            ]
        );
        assert_eq!(rest, "unknown variant `x`");
        let (segs, rest) = split_serde_path("invalid type: string \"a\", expected a boolean");
        assert!(segs.is_empty());
        assert_eq!(rest, "invalid type: string \"a\", expected a boolean");
        let (segs, _) = split_serde_path("types[1].values[2]: missing field `value`");
        assert_eq!(segs.len(), 4);
        let tree: Value = serde_yaml::from_str(
            "types:\n- name: A\n- name: B\n  values:\n  - value: X\n  - {}\n  - value: 3\n",
        )
        .unwrap();
        let shown = locate::display_path("m", &labelled(&segs, &tree));
        assert_eq!(shown, "m › types › B › values › 3");
        let (segs, _) = split_serde_path("types[1].values[1]: x");
        assert_eq!(
            locate::display_path("", &labelled(&segs, &tree)),
            "types › B › values › [1]"
        );
    }
}
