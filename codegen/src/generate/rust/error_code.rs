//! The service-wide `ErrorCode` enum: the system errors plus every method's documented
//! codes, matched case-insensitively, with a fallback for codes the docs do not list.
//! Variants and spellings of the last release that the docs no longer list are kept from
//! `release/published.yaml` ([`crate::published`]): the variant as `#[deprecated]`.

use std::collections::BTreeMap;

use anyhow::Result;
use quote::quote;

use super::{doc, format_file};
use crate::generate::doc_text::{self, table_cell};
use crate::generate::ir;
use crate::naming;
use crate::published::Published;
use crate::spec::{ErrorDoc, Spec};

/// The source label of the service-wide system errors in [`Variant::sources`].
pub const SYSTEM: &str = "system errors";

/// The variant for an empty `error` (some methods answer `"error": ""` and tell failures
/// apart only by `error_description`).
const EMPTY: &str = "Empty";

/// How codes compare: case-insensitively, ignoring surrounding spaces and a trailing `.`
/// or `!` (the docs and the API disagree on those for sentence-like codes:
/// `Invalid parameters` vs `Invalid parameters.`). The generated `from_code` applies the
/// same rule at run time.
pub fn normalize(code: &str) -> String {
    code.trim()
        .trim_end_matches(['.', '!'])
        .to_ascii_uppercase()
}

/// The variant a code gets when no other spelling of it came first: the code in
/// `UpperCamelCase`; a numeric code `100` is `Code100` (it names nothing by itself, and
/// the same number means different things in different methods); a REST 3.0 code is `V3`
/// and what its prefix and `EXCEPTION` suffix enclose
/// (`BITRIX_REST_V3_EXCEPTION_ACCESSDENIEDEXCEPTION` → `V3Accessdenied`: the portal
/// writes the words of its exception class run together).
pub fn variant_name(code: &str) -> String {
    let code = code.trim();
    if code.is_empty() {
        EMPTY.to_owned()
    } else if code.bytes().all(|b| b.is_ascii_digit()) {
        format!("Code{code}")
    } else if let Some(name) = v3_name(code) {
        format!("V3{}", naming::variant(name))
    } else {
        naming::variant(code)
    }
}

/// What every REST 3.0 error code starts with.
const V3_CODE_PREFIX: &str = "BITRIX_REST_V3_EXCEPTION_";

/// What a REST 3.0 code's prefix and `EXCEPTION` suffix enclose (any case), if not empty.
fn v3_name(code: &str) -> Option<&str> {
    let upper = code.to_ascii_uppercase();
    let inner = upper.strip_prefix(V3_CODE_PREFIX)?;
    let inner = inner.strip_suffix("EXCEPTION").unwrap_or(inner);
    let len = inner.trim_end_matches('_').len();
    let start = V3_CODE_PREFIX.len();
    (len > 0).then(|| &code[start..start + len])
}

/// One variant: every wire spelling that maps to it and where the docs list it.
#[derive(Debug, Default)]
pub struct Variant {
    /// Wire codes in the order first seen (the first is the canonical `as_str`).
    pub codes: Vec<String>,
    /// HTTP statuses documented with it.
    pub statuses: Vec<u16>,
    /// The first description found.
    pub description: String,
    /// `system` or method names; empty for a deprecated variant.
    pub sources: Vec<String>,
    /// No longer documented; kept from the published record.
    pub deprecated: bool,
}

/// Groups all documented codes by Rust variant name. Two spellings that differ only in
/// case or separators (`ACCESS_DENIED`, `Access denied`) are one variant.
pub fn variants(spec: &Spec) -> BTreeMap<String, Variant> {
    variants_with(spec, None)
}

/// [`variants`] plus what the last release had: a published variant the spec no longer
/// produces is kept as deprecated, a published spelling no documented code matches any
/// more still maps to its variant.
pub fn variants_with(spec: &Spec, published: Option<&Published>) -> BTreeMap<String, Variant> {
    let (mut out, mut by_upper) = documented(spec);
    for (name, p) in published.iter().flat_map(|p| &p.error_codes) {
        for code in &p.codes {
            let upper = normalize(code);
            if by_upper.contains_key(&upper) {
                continue;
            }
            by_upper.insert(upper, name.clone());
            let v = out.entry(name.clone()).or_insert_with(|| Variant {
                deprecated: true,
                ..Variant::default()
            });
            v.codes.push(code.clone());
        }
    }
    out
}

/// The variants of the documented codes, and normalised spelling → variant.
fn documented(spec: &Spec) -> (BTreeMap<String, Variant>, BTreeMap<String, String>) {
    let mut out: BTreeMap<String, Variant> = BTreeMap::new();
    let mut by_upper: BTreeMap<String, String> = BTreeMap::new();
    let all = spec
        .api
        .system_errors
        .iter()
        .map(|e| (std::borrow::Cow::Borrowed(SYSTEM), e))
        .chain(spec.methods.iter().flat_map(|m| {
            // By id: `v3.tasks.task.get` names the REST 3.0 method.
            m.method.errors.iter().map(move |e| (m.method.id(), e))
        }));
    for (source, e) in all {
        let upper = normalize(&e.code);
        let name = by_upper
            .get(&upper)
            .cloned()
            .unwrap_or_else(|| variant_name(&e.code));
        by_upper.entry(upper).or_insert_with(|| name.clone());
        add(out.entry(name).or_default(), &source, e);
    }
    (out, by_upper)
}

fn add(v: &mut Variant, source: &str, e: &ErrorDoc) {
    if !v.codes.iter().any(|c| c.eq_ignore_ascii_case(&e.code)) {
        v.codes.push(e.code.clone());
    }
    if let Some(s) = e.status.filter(|s| !v.statuses.contains(s)) {
        v.statuses.push(s);
    }
    if v.description.is_empty() {
        v.description = match (&e.message, e.description.is_empty()) {
            (Some(m), false) => format!("{m}: {}", e.description),
            (Some(m), true) => m.clone(),
            (None, _) => e.description.clone(),
        };
    }
    if !v.sources.iter().any(|s| s == source) {
        v.sources.push(source.to_owned());
    }
}

/// Emits `src/error_code.rs`; `published` is the last release's record.
pub fn emit(spec: &Spec, published: Option<&Published>, pkg: &str) -> Result<String> {
    let variants = variants_with(spec, published);
    let base = &spec.api.docs.base_url;
    let mut decls = Vec::new();
    let mut to_wire = Vec::new();
    let mut from_wire = Vec::new();
    for (name, v) in &variants {
        let id = ir::ident(name);
        let codes: Vec<String> = v.codes.iter().map(|c| doc_text::code_span(c)).collect();
        let statuses: Vec<String> = v.statuses.iter().map(u16::to_string).collect();
        let mut sources: Vec<String> = v
            .sources
            .iter()
            .take(6)
            .map(|s| {
                if s.contains('.') {
                    format!("`{s}`")
                } else {
                    s.clone()
                }
            })
            .collect();
        if v.sources.len() > 6 {
            sources.push(format!("{} more", v.sources.len() - 6));
        }
        let summary = if v.deprecated {
            "An earlier release listed this code; the docs no longer do. Kept (deprecated) \
             because the portal may still send it."
                .to_owned()
        } else if name == EMPTY {
            "An empty `error`: the `error_description` tells what failed (each method's docs \
             list its messages)."
                .to_owned()
        } else {
            table_cell(&crate::generate::doc_text::rustdoc(
                &v.description,
                base,
                "",
            ))
        };
        let text = format!(
            "{}\n\nCode {}{}{}.",
            summary,
            codes.join(", "),
            if statuses.is_empty() {
                String::new()
            } else {
                format!(", HTTP {}", statuses.join("/"))
            },
            if sources.is_empty() {
                String::new()
            } else {
                format!("; documented by {}", sources.join(", "))
            }
        );
        let d = doc(text.trim_start());
        let deprecated = v.deprecated.then(|| {
            quote!(#[deprecated(note = "no longer in the Bitrix24 docs; the portal may still send this code")])
        });
        decls.push(quote!(#d #deprecated #id,));
        let canonical = &v.codes[0];
        to_wire.push(quote!(Self::#id => #canonical,));
        let mut uppers: Vec<String> = v.codes.iter().map(|c| normalize(c)).collect();
        uppers.sort();
        uppers.dedup();
        from_wire.push(quote!(#(#uppers)|* => Self::#id,));
    }
    let count = variants.values().filter(|v| !v.deprecated).count();
    let kept = variants.len() - count;
    let doctest = match variants.iter().find(|(_, v)| !v.deprecated) {
        Some((name, v)) => format!(
            "```\nuse {pkg}::ErrorCode;\nassert_eq!(ErrorCode::from_code({:?}), ErrorCode::{name});\nassert!(matches!(ErrorCode::from_code(\"SOMETHING_NEW\"), ErrorCode::Unknown(_)));\n```",
            v.codes[0].to_ascii_lowercase()
        ),
        None => String::new(),
    };
    let enum_doc = doc(&format!(
        "An API error code. Match on this, never on the HTTP status: `QUERY_LIMIT_EXCEEDED`\n\
and `OVERLOAD_LIMIT` are both 503, and many codes share 400.\n\n\
Codes compare case-insensitively and ignore a trailing `.` or `!` (`expired_token` is\n\
`EXPIRED_TOKEN`, `Invalid parameters.` is `Invalid parameters`); a code the docs do not\n\
list is kept in [`ErrorCode::Unknown`].\n\n{doctest}"
    ));
    let module_doc = super::inner_doc(&format!(
        "[`ErrorCode`]: the {count} error codes the docs list (system errors and every method's own){}.",
        if kept == 0 {
            String::new()
        } else {
            format!(", and {kept} deprecated ones an earlier release listed")
        }
    ));
    let tokens = quote! {
        #module_doc

        #enum_doc
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum ErrorCode {
            #(#decls)*
            /// A code the docs did not list when this crate was generated, as received.
            Unknown(::std::string::String),
        }

        impl ErrorCode {
            /// The code for an `error` value from a response (case-insensitive, ignoring a
            /// trailing `.` or `!`).
            pub fn from_code(code: &str) -> Self {
                let normalized = code.trim().trim_end_matches(['.', '!']).to_ascii_uppercase();
                match normalized.as_str() {
                    #(#from_wire)*
                    _ => Self::Unknown(::std::borrow::ToOwned::to_owned(code)),
                }
            }

            /// The code as the docs spell it (or as received, for `Unknown`).
            pub fn as_str(&self) -> &str {
                match self {
                    #(#to_wire)*
                    Self::Unknown(code) => code.as_str(),
                }
            }

            /// The code of an API error; `None` for transport and decoding errors.
            pub fn of(error: &crate::Error) -> ::std::option::Option<Self> {
                error.api().map(|api| Self::from_code(&api.code))
            }
        }

        impl ::std::fmt::Display for ErrorCode {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
    format_file(tokens, "error_code.rs")
}

#[cfg(test)]
mod tests {
    use super::variant_name;

    #[test]
    fn variant_names() {
        assert_eq!(variant_name("ACCESS_DENIED"), "AccessDenied");
        assert_eq!(variant_name("100"), "Code100");
        assert_eq!(
            variant_name("BITRIX_REST_V3_EXCEPTION_ACCESSDENIEDEXCEPTION"),
            "V3Accessdenied"
        );
        assert_eq!(
            variant_name("BITRIX_REST_V3_EXCEPTION_VALIDATION_REQUESTVALIDATIONEXCEPTION"),
            "V3ValidationRequestvalidation"
        );
        // Only the prefix is no name: kept whole.
        assert_eq!(
            variant_name("BITRIX_REST_V3_EXCEPTION_EXCEPTION"),
            "BitrixRestV3ExceptionException"
        );
    }
}
