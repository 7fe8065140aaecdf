//! The `no_run` example in each request's docs: builds the request from the documented
//! request example where there is one, so the example shows real values.

use std::collections::BTreeSet;

use anyhow::Result;
use serde_json::Value;

use crate::generate::ir::{self, TypeScope};
use crate::naming;
use crate::spec::types::{Scalar, TypeExpr};
use crate::spec::{Field, Method, Spec, TypeDef};

/// Most optional setters shown in one example.
const MAX_SETTERS: usize = 4;
/// Deepest nesting of object values spelled out.
const MAX_DEPTH: usize = 3;

struct Ctx<'a> {
    pkg: &'a str,
    scope: TypeScope<'a>,
    /// Local types the example names (for the `use` line).
    uses: BTreeSet<String>,
}

/// The doc example of `m`, as a fenced Markdown block.
pub fn doc_example(spec: &Spec, pkg: &str, m: &Method) -> Result<String> {
    let json: Option<Value> = m
        .examples
        .request
        .first()
        .and_then(|e| serde_json::from_str(&e.json).ok());
    let (use_line, expr) = request_expr(spec, pkg, m, &m.params, json.as_ref())?;
    Ok(format!(
        "```no_run\n# async fn example() -> Result<(), {pkg}::Error> {{\n{use_line}\n\n\
let client = {pkg}::Client::webhook(\"https://example.bitrix24.com/rest/1/abc123/\")?;\n\
let request = {expr};\n\
let result = client.call(request).await?;\n\
println!(\"{{result:?}}\");\n\
# Ok(())\n# }}\n```\n"
    ))
}

/// The paging example of a list method: its rows as a stream, through `function`
/// (`items` or `export`), with the request built from its required parameters only (the
/// documented example often sets `start` or a filter that would distract).
pub fn paging_example(spec: &Spec, pkg: &str, m: &Method, function: &str) -> Result<String> {
    let json: Option<Value> = m
        .examples
        .request
        .first()
        .and_then(|e| serde_json::from_str(&e.json).ok());
    let required: Vec<Field> = m.params.iter().filter(|p| p.required).cloned().collect();
    let (use_line, expr) = request_expr(spec, pkg, m, &required, json.as_ref())?;
    Ok(format!(
        "```no_run\n# async fn example() -> Result<(), {pkg}::Error> {{\n\
use {pkg}::futures_util::TryStreamExt;\n{use_line}\n\n\
let client = {pkg}::Client::webhook(\"https://example.bitrix24.com/rest/1/abc123/\")?;\n\
let mut rows = std::pin::pin!(client.{function}({expr}));\n\
while let Some(row) = rows.try_next().await? {{\n    println!(\"{{row:?}}\");\n}}\n\
# Ok(())\n# }}\n```\n"
    ))
}

/// The `use` line and the expression building the request of `m` from `params`.
fn request_expr(
    spec: &Spec,
    pkg: &str,
    m: &Method,
    params: &[Field],
    json: Option<&Value>,
) -> Result<(String, String)> {
    let mut cx = Ctx {
        pkg,
        scope: TypeScope::new(spec, Some(m)),
        uses: BTreeSet::new(),
    };
    let request = naming::request(&m.method);
    let expr = cx.construct(&request, params, json, 0)?;
    let mut uses: Vec<String> = vec![request.clone()];
    uses.extend(cx.uses.iter().cloned());
    let module = format!("{}::{}", pkg, naming::method_modules(&m.id()).join("::"));
    let use_line = if uses.len() == 1 {
        format!("use {module}::{request};")
    } else {
        format!("use {module}::{{{}}};", uses.join(", "))
    };
    Ok((use_line, expr))
}

impl Ctx<'_> {
    /// `Name::new(required...)` plus setters for optional fields present in `json`.
    fn construct(
        &mut self,
        name: &str,
        fields: &[Field],
        json: Option<&Value>,
        depth: usize,
    ) -> Result<String> {
        let mut args = Vec::new();
        for f in fields.iter().filter(|f| f.required) {
            let ty = ir::parse(&f.ty)?;
            let v = json.and_then(|j| j.get(&f.name));
            args.push(self.value(&ty, v, true, depth)?);
        }
        let mut s = format!("{name}::new({})", args.join(", "));
        if depth < MAX_DEPTH {
            let mut shown = 0;
            // Never a deprecated setter (a field kept from the published record).
            for f in fields.iter().filter(|f| !f.required && f.kept.is_none()) {
                let Some(v) = json.and_then(|j| j.get(&f.name)) else {
                    continue;
                };
                if shown == MAX_SETTERS || v.is_null() {
                    break;
                }
                let ty = match ir::parse(&f.ty)? {
                    TypeExpr::Nullable(t) => *t,
                    t => t,
                };
                let val = self.value(&ty, Some(v), true, depth)?;
                s.push_str(&format!(".{}({val})", naming::field_of(f)));
                shown += 1;
            }
        }
        Ok(s)
    }

    /// A Rust expression of type `ty`, from `json` when it fits. `into` is true where the
    /// position accepts `impl Into<T>` (a bare string literal is enough for text, a
    /// `json!` value for an object).
    fn value(
        &mut self,
        ty: &TypeExpr,
        json: Option<&Value>,
        into: bool,
        depth: usize,
    ) -> Result<String> {
        let pkg = self.pkg;
        Ok(match ty {
            TypeExpr::Scalar(s) => scalar(*s, json, into, pkg),
            TypeExpr::Nullable(t) => match json {
                Some(Value::Null) => "None".to_owned(),
                _ => format!("Some({})", self.value(t, json, false, depth)?),
            },
            TypeExpr::Array(t) => {
                let items: Vec<Option<&Value>> = match json {
                    Some(Value::Array(a)) if !a.is_empty() => a.iter().take(3).map(Some).collect(),
                    _ => vec![None],
                };
                let mut out = Vec::new();
                for item in items {
                    out.push(self.value(t, item, false, depth)?);
                }
                format!("vec![{}]", out.join(", "))
            }
            TypeExpr::Map(_) => "::std::collections::BTreeMap::new()".to_owned(),
            TypeExpr::Named(n) => {
                let Some(def) = self.scope.get(n) else {
                    anyhow::bail!("unknown type `{n}`");
                };
                let path = self.type_path(n);
                self.named(def, &path, json, depth)?
            }
        })
    }

    /// A type by its name in the method's module: its own types, and the shared ones the
    /// module re-exports.
    fn type_path(&mut self, name: &str) -> String {
        let rust = naming::type_name(name);
        self.uses.insert(rust.clone());
        rust
    }

    fn named(
        &mut self,
        def: &TypeDef,
        path: &str,
        json: Option<&Value>,
        depth: usize,
    ) -> Result<String> {
        if let Some(values) = &def.values {
            let wanted = json.map(|j| match j {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            });
            let pick = values
                .iter()
                .find(|v| Some(&v.value) == wanted.as_ref())
                .or_else(|| values.first());
            return Ok(match pick {
                Some(v) => format!(
                    "{path}::{}",
                    naming::variant(v.name.as_deref().unwrap_or(&v.value))
                ),
                None => format!("{path}::Unknown(\"value\".to_owned())"),
            });
        }
        let fields = def.fields.as_deref().unwrap_or_default();
        self.construct(path, fields, json.filter(|j| j.is_object()), depth + 1)
    }
}

fn scalar(s: Scalar, json: Option<&Value>, into: bool, pkg: &str) -> String {
    let text = |fallback: &str| {
        let v = json.and_then(Value::as_str).unwrap_or(fallback);
        let lit = format!("{v:?}");
        if into {
            lit
        } else {
            format!("{lit}.to_owned()")
        }
    };
    match s {
        Scalar::String | Scalar::Char => text("text"),
        Scalar::Date => {
            let v = json
                .and_then(Value::as_str)
                .filter(|s| s.len() == 10 && s.as_bytes()[4] == b'-')
                .unwrap_or("2025-01-31");
            format!("{v:?}.parse::<{pkg}::chrono::NaiveDate>().expect(\"a date\")")
        }
        Scalar::Datetime => {
            let v = json
                .and_then(Value::as_str)
                .filter(|s| crate::spec::datetime::round_trips(s))
                .unwrap_or("2025-01-31T10:00:00+03:00");
            format!("{v:?}.parse::<{pkg}::DateTime>().expect(\"a date-time\")")
        }
        Scalar::Integer | Scalar::Timestamp => json
            .and_then(|j| {
                j.as_i64()
                    .or_else(|| j.as_str().and_then(|s| s.parse().ok()))
            })
            .unwrap_or(1)
            .to_string(),
        Scalar::Double => {
            let v = json
                .and_then(|j| match j {
                    Value::Number(n) => Some(n.to_string()),
                    Value::String(s) if s.trim().parse::<f64>().is_ok() => {
                        Some(s.trim().to_owned())
                    }
                    _ => None,
                })
                .unwrap_or_else(|| "1".to_owned());
            format!("{v:?}.parse::<{pkg}::Decimal>().expect(\"an amount\")")
        }
        Scalar::Boolean => match json {
            Some(Value::Bool(b)) => b.to_string(),
            Some(Value::String(s)) if s == "N" || s == "0" => "false".to_owned(),
            Some(Value::Number(n)) if n.as_i64() == Some(0) => "false".to_owned(),
            _ => "true".to_owned(),
        },
        Scalar::File => format!("{pkg}::File::new(\"report.txt\", \"aGVsbG8=\")"),
        // Requests' objects are `JsonObject`s, whose setters take a `json!` value.
        Scalar::Object => {
            let object = json
                .filter(|v| v.is_object())
                .map(Value::to_string)
                .filter(|compact| compact.len() <= 100)
                .map(|compact| format!("{pkg}::serde_json::json!({compact})"));
            match (object, into) {
                (Some(object), true) => object,
                (Some(object), false) => format!("{pkg}::JsonObject::from({object})"),
                (None, true) => format!("{pkg}::serde_json::Map::new()"),
                (None, false) => format!("{pkg}::JsonObject::new()"),
            }
        }
        Scalar::Any => match json {
            Some(v) => {
                let compact = v.to_string();
                if compact.len() <= 100 {
                    format!("{pkg}::serde_json::json!({compact})")
                } else {
                    format!("{pkg}::serde_json::Value::Null")
                }
            }
            None => format!("{pkg}::serde_json::Value::Null"),
        },
    }
}
