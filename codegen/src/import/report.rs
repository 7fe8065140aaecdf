//! The report every import prints: per-method counts, totals, example statistics,
//! patch status, unmapped docs types, completeness and diagnostics.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use crate::diagnostics::Diagnostic;
use crate::spec::model::Method;
use crate::spec::types::TypeExpr;

use super::examples::Stats;
use super::page::{TableCount, TableKind};
use super::patch::{Outcome, Status};

/// Counts for one method.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    /// Parameters.
    pub params: usize,
    /// Fields of named object types other than the result's.
    pub nested_fields: usize,
    /// Fields of the result's object type.
    pub result_fields: usize,
    /// Documented errors.
    pub errors: usize,
    /// Request examples.
    pub req: usize,
    /// Success response examples.
    pub resp: usize,
    /// Error examples.
    pub err: usize,
}

impl std::ops::AddAssign<&Counts> for Counts {
    fn add_assign(&mut self, o: &Counts) {
        self.params += o.params;
        self.nested_fields += o.nested_fields;
        self.result_fields += o.result_fields;
        self.errors += o.errors;
        self.req += o.req;
        self.resp += o.resp;
        self.err += o.err;
    }
}

/// The object type the result is (or is a list of), if named.
pub fn result_type_name(m: &Method) -> Option<String> {
    let t = TypeExpr::parse(&m.result.ty).ok()?;
    match t.innermost() {
        TypeExpr::Named(n) => Some(n.clone()),
        _ => None,
    }
}

/// Counts a method.
pub fn counts(m: &Method) -> Counts {
    let result_type = result_type_name(m);
    let mut c = Counts {
        params: m.params.len(),
        errors: m.errors.len(),
        req: m.examples.request.len(),
        resp: m.examples.response.len(),
        err: m.examples.error.len(),
        ..Counts::default()
    };
    for t in &m.types {
        let n = t.fields.as_ref().map_or(0, Vec::len);
        if Some(&t.name) == result_type.as_ref() {
            c.result_fields += n;
        } else {
            c.nested_fields += n;
        }
    }
    c
}

/// Compares the rows of every table found on the page with what the (patched)
/// method holds; one line per mismatch.
pub fn completeness(m: &Method, tables: &[TableCount]) -> Vec<String> {
    let mut out = Vec::new();
    let fields_of = |name: &str| {
        m.types
            .iter()
            .find(|t| t.name == name)
            .map(|t| t.fields.as_ref().map_or(0, Vec::len))
    };
    let mut expected_errors = 0;
    let mut error_rows = false;
    for t in tables {
        match &t.kind {
            TableKind::Params => {
                if m.params.len() != t.rows {
                    out.push(format!(
                        "line {}: parameter table has {} rows, the spec {} params",
                        t.line,
                        t.rows,
                        m.params.len()
                    ));
                }
            }
            TableKind::Result { extra, type_name } => {
                if *extra > 0 {
                    let have = type_name.as_deref().and_then(fields_of).unwrap_or(0);
                    if have != *extra {
                        out.push(format!(
                            "line {}: result table has {extra} field rows, the result type {} has {have}",
                            t.line,
                            type_name.as_deref().unwrap_or("(none)")
                        ));
                    }
                }
            }
            TableKind::Nested { heading, type_name } => {
                let have = type_name.as_deref().and_then(fields_of);
                match have {
                    Some(n) if n == t.rows => {}
                    Some(n) => out.push(format!(
                        "line {}: table `{}` has {} rows, type {} has {n} fields",
                        t.line,
                        heading,
                        t.rows,
                        type_name.as_deref().unwrap_or("")
                    )),
                    None => out.push(format!(
                        "line {}: table `{}` ({} rows) is not in the spec{}",
                        t.line,
                        super::text::plain(heading),
                        t.rows,
                        type_name
                            .as_deref()
                            .map(|n| format!(" (type {n} is referenced by nothing)"))
                            .unwrap_or_default()
                    )),
                }
            }
            TableKind::Errors { expected } => {
                expected_errors += expected;
                error_rows = true;
            }
        }
    }
    if error_rows && expected_errors != m.errors.len() {
        out.push(format!(
            "error tables give {expected_errors} errors, the spec {}",
            m.errors.len()
        ));
    }
    out
}

/// One method's line of the report.
#[derive(Debug, Clone)]
pub struct MethodLine {
    /// The method.
    pub method: String,
    /// Its counts.
    pub counts: Counts,
}

/// One event's line of the report.
#[derive(Debug, Clone)]
pub struct EventLine {
    /// The event.
    pub event: String,
    /// Keys of `data`.
    pub data_keys: usize,
    /// Fields of its named object types.
    pub fields: usize,
    /// Delivery examples.
    pub examples: usize,
}

impl EventLine {
    /// Counts an event.
    pub fn new(e: &crate::spec::model::Event) -> EventLine {
        EventLine {
            event: e.event.clone(),
            data_keys: e.data.len(),
            fields: e
                .types
                .iter()
                .map(|t| t.fields.as_ref().map_or(0, Vec::len))
                .sum(),
            examples: e.examples.len(),
        }
    }
}

/// Everything one import run reports.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Per method, in order.
    pub methods: Vec<MethodLine>,
    /// Per event, in order.
    pub events: Vec<EventLine>,
    /// Example statistics over all pages.
    pub examples: Stats,
    /// Every patch and what became of it.
    pub patches: Vec<(String, Outcome)>,
    /// Unmapped docs type tokens → methods using them.
    pub unmapped: BTreeMap<String, BTreeSet<String>>,
    /// Completeness mismatches, per method.
    pub completeness: Vec<(String, String)>,
    /// Examples that would not decode into the spec's types.
    pub conformance: Vec<(String, String)>,
    /// Examples written (request, response, error, and event deliveries) and how many of
    /// them carry `skip_round_trip`.
    pub round_trip: (usize, usize),
    /// Methods whose result is untyped ([`untyped_result`]), and how many of them have a
    /// response example that shows a value.
    pub untyped: (usize, usize),
    /// Located problems.
    pub diagnostics: Vec<Diagnostic>,
    /// Importer rules that changed what the docs literally say.
    pub notes: Vec<Diagnostic>,
}

impl Report {
    /// Stale patches (they fail `--check`).
    pub fn stale(&self) -> usize {
        self.patches
            .iter()
            .filter(|(_, o)| matches!(o.status, Status::Stale(_)))
            .count()
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let width = self
            .methods
            .iter()
            .map(|m| m.method.len())
            .max()
            .unwrap_or(10);
        let mut total = Counts::default();
        for m in &self.methods {
            let c = &m.counts;
            writeln!(
                f,
                "{:width$}  params {:3}, nested fields {:3}, result fields {:3}, errors {:3}, examples {}/{}/{}",
                m.method,
                c.params,
                c.nested_fields,
                c.result_fields,
                c.errors,
                c.req,
                c.resp,
                c.err
            )?;
            total += c;
        }
        writeln!(
            f,
            "total: {} methods, params {}, nested fields {}, result fields {}, errors {}, examples req/resp/err {}/{}/{}",
            self.methods.len(),
            total.params,
            total.nested_fields,
            total.result_fields,
            total.errors,
            total.req,
            total.resp,
            total.err
        )?;
        for e in &self.events {
            writeln!(
                f,
                "{:width$}  event: data keys {}, fields {}, delivery examples {}",
                e.event, e.data_keys, e.fields, e.examples
            )?;
        }
        if !self.events.is_empty() {
            writeln!(f, "total: {} events", self.events.len())?;
        }
        let e = &self.examples;
        writeln!(
            f,
            "examples: {} found, {} valid, {} repaired, {} dropped",
            e.found, e.valid, e.repaired, e.dropped
        )?;
        let (mut applied, mut obsolete, mut stale) = (0, 0, 0);
        for (m, o) in &self.patches {
            match &o.status {
                Status::Applied => applied += 1,
                Status::Obsolete => {
                    obsolete += 1;
                    writeln!(
                        f,
                        "obsolete patch: {m}: {} ({}): the import already gives this; drop it",
                        o.path, o.reason
                    )?;
                }
                Status::Stale(why) => {
                    stale += 1;
                    writeln!(
                        f,
                        "stale patch: {m}: {} ({}): {why}; review it",
                        o.path, o.reason
                    )?;
                }
            }
        }
        writeln!(
            f,
            "patches: {applied} applied, {obsolete} obsolete, {stale} stale"
        )?;
        if self.unmapped.is_empty() {
            writeln!(f, "unmapped docs types: none")?;
        } else {
            for (t, ms) in &self.unmapped {
                writeln!(
                    f,
                    "unmapped docs type `{t}` (read as `any`) in {}",
                    ms.iter().cloned().collect::<Vec<_>>().join(", ")
                )?;
            }
        }
        writeln!(f, "completeness: {} mismatches", self.completeness.len())?;
        for (m, c) in &self.completeness {
            writeln!(f, "  {m}: {c}")?;
        }
        let (all, skipped) = self.round_trip;
        writeln!(
            f,
            "round trips: {} of {all} examples ({:.1}%); {skipped} carry `skip_round_trip` with the reason",
            all - skipped,
            if all == 0 {
                100.0
            } else {
                100.0 * (all - skipped) as f64 / all as f64
            }
        )?;
        let (untyped, shown) = self.untyped;
        writeln!(
            f,
            "untyped results (`any`, or an object without fields): {untyped} of {} methods; {shown} of them have a response example showing a value",
            self.methods.len()
        )?;
        writeln!(
            f,
            "examples that contradict the docs' tables (kept, with `skip_round_trip`): {}",
            self.conformance.len()
        )?;
        for (m, c) in &self.conformance {
            writeln!(f, "  {m}: {c}")?;
        }
        writeln!(f, "notes (importer rules applied): {}", self.notes.len())?;
        for d in &self.notes {
            writeln!(f, "  {d}")?;
        }
        writeln!(f, "diagnostics: {}", self.diagnostics.len())?;
        for d in &self.diagnostics {
            writeln!(f, "  {d}")?;
        }
        Ok(())
    }
}

/// Whether the result of `m` is untyped: `any` or `object` (also as a list or nullable),
/// or one of its own types declared without fields. `Some(true)` when a response example
/// shows a value for it (not `null`, `[]` or `{}`), so a type could be read from the docs.
pub fn untyped_result(m: &Method) -> Option<bool> {
    let base = m
        .result
        .ty
        .trim()
        .trim_end_matches(" | null")
        .trim_end_matches("[]")
        .trim();
    let fieldless = m
        .types
        .iter()
        .any(|t| t.name == base && t.fields.as_ref().is_some_and(Vec::is_empty));
    if !(matches!(base, "any" | "object") || fieldless) {
        return None;
    }
    let shows = m.examples.response.iter().any(|e| {
        serde_json::from_str::<serde_json::Value>(&e.json)
            .ok()
            .and_then(|v| v.get("result").cloned())
            .is_some_and(|r| match r {
                serde_json::Value::Null => false,
                serde_json::Value::Array(a) => !a.is_empty(),
                serde_json::Value::Object(o) => !o.is_empty(),
                _ => true,
            })
    });
    Some(shows)
}

#[cfg(test)]
mod tests {
    use super::untyped_result;
    use crate::spec::model::Method;

    fn method(result: &str, response: Option<&str>) -> Method {
        let mut yaml = format!(
            "method: demo.x.get\nsource: {{path: a.md, commit: '{}'}}\ntitle: t\nsummary: s\nscope: demo\nread_only: true\nresult: {{type: '{result}'}}\ntypes: [{{name: Empty, fields: []}}]\n",
            "0".repeat(40)
        );
        if let Some(r) = response {
            yaml.push_str(&format!("examples: {{response: [{{json: '{r}'}}]}}\n"));
        }
        serde_yaml::from_str(&yaml).unwrap()
    }

    #[test]
    fn untyped_results_and_whether_the_docs_show_a_value() {
        assert_eq!(untyped_result(&method("integer", None)), None);
        assert_eq!(untyped_result(&method("any", None)), Some(false));
        assert_eq!(
            untyped_result(&method("object[]", Some(r#"{"result": []}"#))),
            Some(false)
        );
        assert_eq!(
            untyped_result(&method("any", Some(r#"{"result": null}"#))),
            Some(false)
        );
        assert_eq!(
            untyped_result(&method("any | null", Some(r#"{"result": 5}"#))),
            Some(true)
        );
        assert_eq!(
            untyped_result(&method("Empty", Some(r#"{"result": {"A": 1}}"#))),
            Some(true)
        );
    }
}
