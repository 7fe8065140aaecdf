//! Structs (requests and object types) and enums.

use anyhow::{Result, bail};
use proc_macro2::TokenStream;
use quote::quote;

use super::doc;
use crate::generate::doc_text;
use crate::generate::ir::{self, TypeScope};
use crate::naming;
use crate::spec::types::{Scalar, TypeExpr};
use crate::spec::{EnumRepr, Field, Spec, TypeDef, WireFormat};

/// Where text comes from, for resolving its relative links.
#[derive(Debug, Clone, Copy)]
pub struct DocCtx<'a> {
    /// Base URL of the docs site.
    pub base: &'a str,
    /// The docs page of the method.
    pub page: &'a str,
}

impl DocCtx<'_> {
    /// Rustdoc-safe Markdown.
    pub fn text(&self, md: &str) -> String {
        doc_text::rustdoc(md, self.base, self.page)
    }
}

/// What kind of struct is being emitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StructKind {
    /// A method's request: unknown keys are "extra parameters".
    Request,
    /// A documented object: unknown keys are "fields the spec does not list".
    Object,
}

/// Which way a struct travels, which decides what it needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Uses {
    /// Sent (a request, or a type its parameters use): it gets setters.
    pub input: bool,
    /// Received (a result, event data, or a type they use): it decodes. A struct that is
    /// only sent decodes only with the feature `decode-requests` (the round-trip tests
    /// turn it on), which saves compiling a decoder per request nobody reads back.
    pub output: bool,
}

impl Uses {
    /// Both ways (shared types, and types the docs use nowhere).
    pub const BOTH: Uses = Uses {
        input: true,
        output: true,
    };
}

/// The feature behind which structs that are only sent decode.
pub const DECODE_REQUESTS: &str = "decode-requests";

/// Emits a named type of the spec (object or enum).
pub fn emit_type(
    spec: &Spec,
    scope: &TypeScope<'_>,
    t: &TypeDef,
    page: Option<&str>,
    uses: Uses,
) -> Result<TokenStream> {
    let ctx = DocCtx {
        base: &spec.api.docs.base_url,
        page: page.unwrap_or(""),
    };
    let name = naming::type_name(&t.name);
    match (&t.fields, &t.values) {
        (Some(fields), None) => {
            let d = if t.description.is_empty() {
                format!("The `{}` object.", t.name)
            } else {
                ctx.text(&t.description)
            };
            let body = Body {
                fields,
                key_families: &t.key_families,
            };
            emit_struct(scope, ctx, &name, &d, body, StructKind::Object, uses)
        }
        (None, Some(_)) => emit_enum(ctx, t),
        _ => bail!(
            "type `{}` must have exactly one of `fields` and `values`",
            t.name
        ),
    }
}

/// How a constructor argument or setter takes a value of a type: text as
/// `impl Into<String>`, a date-time as `impl Into<DateTime>` (chrono's types), an object
/// of a `sent` struct as `impl Into<JsonObject>` (a `Map` or a `json!` value), arrays as
/// `impl IntoIterator` of `impl Into<T>`, the rest as is. Returns the parameter type and
/// the conversion suffix.
fn arg(scope: &TypeScope<'_>, ty: &TypeExpr, sent: bool) -> Result<(TokenStream, TokenStream)> {
    let into = |t: TokenStream| (quote!(impl ::std::convert::Into<#t>), quote!(.into()));
    Ok(match ty {
        TypeExpr::Scalar(Scalar::String | Scalar::Char) => into(quote!(::std::string::String)),
        TypeExpr::Scalar(Scalar::Datetime) => into(scope.rust_in(ty, sent)?),
        TypeExpr::Scalar(Scalar::Object) if sent => into(scope.rust_in(ty, sent)?),
        TypeExpr::Array(inner) => {
            let item = scope.rust_in(inner, sent)?;
            (
                quote!(impl ::std::iter::IntoIterator<Item = impl ::std::convert::Into<#item>>),
                quote!(.into_iter().map(::std::convert::Into::into).collect()),
            )
        }
        other => (scope.rust_in(other, sent)?, quote!()),
    })
}

/// What a struct holds: its fields, and the key families its `extra` map keeps as
/// documented ([`TypeDef::key_families`]).
#[derive(Clone, Copy)]
pub struct Body<'a> {
    /// The fields, in spec order.
    pub fields: &'a [Field],
    /// Prefixes of documented key families (`UF_CRM_`).
    pub key_families: &'a [String],
}

/// Emits a struct with `new` (required fields), setters (optional fields), and the
/// map of keys the spec does not list.
pub fn emit_struct(
    scope: &TypeScope<'_>,
    ctx: DocCtx<'_>,
    name: &str,
    struct_doc: &str,
    body: Body<'_>,
    kind: StructKind,
    uses: Uses,
) -> Result<TokenStream> {
    let fields = body.fields;
    let id = ir::ident(name);
    let mut members = Vec::new();
    let mut new_args = Vec::new();
    let mut new_docs = String::new();
    let mut inits = Vec::new();
    let mut setters = Vec::new();
    let mut visits = Vec::new();
    let mut decodes = Vec::new();
    let mut writes = Vec::new();
    for f in fields {
        let fid = ir::ident(&naming::field_of(f));
        let (ty, rust) = ir::member_type(scope, f, uses.input)?;
        let wire = &f.name;
        let mut fdoc = if f.description.is_empty() {
            format!("`{wire}`.")
        } else {
            ctx.text(&f.description)
        };
        fdoc.push_str(&format!(
            "\n\nWire name `{wire}`, type `{ty}`{}{}.",
            f.doc_type
                .as_ref()
                .map(|d| format!(" (docs: `{d}`)"))
                .unwrap_or_default(),
            f.default
                .as_ref()
                .map(|d| format!(", default `{d}`"))
                .unwrap_or_default()
        ));
        let fdoc_tokens = doc(&fdoc);
        let optional = !f.required || matches!(ty, TypeExpr::Nullable(_));
        let mut names_a_type = false;
        ty.for_each_named(&mut |_| names_a_type = true);
        if names_a_type {
            let sub = format!(".{wire}");
            visits.push(quote! {
                ::bitrix24_runtime::wire::Undocumented::undocumented(&self.#fid, &::std::format!("{}{}", path, #sub), out);
            });
        }
        let wrap = match f.wire {
            Some(WireFormat::Yn) => Some(quote!(::bitrix24_runtime::wire::Yn)),
            Some(WireFormat::Int01) => Some(quote!(::bitrix24_runtime::wire::Int01)),
            Some(WireFormat::String) => Some(quote!(::bitrix24_runtime::wire::NumberAsString)),
            None => None,
        };
        // A field kept from the published record: deprecated, never required.
        let deprecated = f
            .kept
            .as_ref()
            .map(|note| quote!(#[deprecated(note = #note)]));
        members.push(quote! {
            #fdoc_tokens
            #deprecated
            pub #fid: #rust,
        });
        if optional {
            decodes.push(quote!(#fid: f.optional(#wire)?,));
            writes.push(match wrap {
                Some(w) => quote!(w.optional(#wire, self.#fid.as_ref().map(#w).as_ref());),
                None => quote!(w.optional(#wire, self.#fid.as_ref());),
            });
        } else {
            decodes.push(quote!(#fid: f.required(#wire)?,));
            writes.push(match wrap {
                Some(w) => quote!(w.field(#wire, &#w(&self.#fid));),
                None => quote!(w.field(#wire, &self.#fid);),
            });
        }
        if f.required {
            let (arg_ty, conv) = if matches!(ty, TypeExpr::Nullable(_)) {
                (rust.clone(), quote!())
            } else {
                arg(scope, &ty, uses.input)?
            };
            new_args.push(quote!(#fid: #arg_ty));
            inits.push(if conv.is_empty() {
                quote!(#fid)
            } else {
                quote!(#fid: #fid #conv)
            });
            new_docs.push_str(&format!(
                "- `{}`: `{wire}` — {}\n",
                naming::field_of(f),
                doc_text::table_cell(&ctx.text(&f.description))
            ));
        } else {
            inits.push(quote!(#fid: ::std::option::Option::None));
            let inner_ty = match &ty {
                TypeExpr::Nullable(t) => (**t).clone(),
                t => t.clone(),
            };
            // Setters only on what is sent: a received struct's fields are `pub`.
            if uses.input {
                let (arg_ty, conv) = arg(scope, &inner_ty, true)?;
                let sdoc = doc(&format!(
                    "Sets `{wire}`: {}",
                    doc_text::table_cell(&ctx.text(&f.description))
                ));
                setters.push(quote! {
                    #sdoc
                    #deprecated
                    #[must_use]
                    #[inline]
                    pub fn #fid(mut self, value: #arg_ty) -> Self {
                        self.#fid = ::std::option::Option::Some(value #conv);
                        self
                    }
                });
            }
        }
    }
    // `insert_extra` with a Rust name sends it under the wire name (replacing the typed
    // value), never both.
    let renames: Vec<_> = fields
        .iter()
        .filter(|f| {
            let rust = naming::field_of(f);
            kind == StructKind::Request && rust != f.name && !fields.iter().any(|g| g.name == rust)
        })
        .map(|f| {
            let (rust, wire) = (naming::field_of(f), &f.name);
            quote!(#rust => ::std::string::String::from(#wire),)
        })
        .collect();
    let rename = (!renames.is_empty()).then(|| {
        quote! {
            let name = match name.as_str() {
                #(#renames)*
                _ => name,
            };
        }
    });
    let all_optional = fields.iter().all(|f| !f.required);
    let default = all_optional.then(|| quote!(Default,));
    let (extra_doc, extra_get_doc, extra_set_doc): (&str, &str, &str) = match kind {
        StructKind::Request => (
            "Parameters the spec does not list, sent as given.",
            "Parameters the spec does not list: those added with [`insert_extra`](Self::insert_extra), or, for a decoded request, its unknown keys.",
            "Adds a parameter the spec does not list (the escape hatch for undocumented parameters), sent as given next to the typed ones. A documented parameter's wire name or Rust name replaces that parameter's typed value, so it is sent once under its wire name: this is how a batch reference ([`Handle::reference`](::bitrix24_runtime::Handle::reference)) goes where a typed parameter is.",
        ),
        StructKind::Object => (
            "Fields the spec does not list (user fields such as `UF_CRM_*`, fields added after the docs commit).",
            "Fields the spec does not list (user fields such as `UF_CRM_*`, fields added after the docs commit), as received.",
            "Sets a field the spec does not list, such as a user field `UF_CRM_*`.",
        ),
    };
    let (extra_doc, extra_get_doc, extra_set_doc) = (
        format!(" {extra_doc}"),
        format!(" {extra_get_doc}"),
        format!(" {extra_set_doc}"),
    );
    let new_doc = if new_args.is_empty() {
        doc("Creates the value with no field set.")
    } else {
        doc(&format!(
            "Creates the value from its required fields:\n\n{new_docs}"
        ))
    };
    let struct_doc = doc(struct_doc);
    let mut_ = (!fields.is_empty()).then(|| quote!(mut));
    let decode_gate = (!uses.output).then(|| {
        quote! {
            #[cfg(feature = #DECODE_REQUESTS)]
            #[cfg_attr(docsrs, doc(cfg(feature = #DECODE_REQUESTS)))]
        }
    });
    let extra_visit = if body.key_families.is_empty() {
        quote!(::bitrix24_runtime::wire::extra_keys(&self.extra, path, out);)
    } else {
        let families = body.key_families;
        quote!(::bitrix24_runtime::wire::extra_keys_outside(&self.extra, &[#(#families),*], path, out);)
    };
    let many_args = (new_args.len() > 7).then(|| quote!(#[allow(clippy::too_many_arguments)]));
    // The struct's own code reads and writes its deprecated fields.
    let allow_deprecated = fields
        .iter()
        .any(|f| f.kept.is_some())
        .then(|| quote!(#[allow(deprecated)]));
    // `#[inline]` on the non-generic builders and accessors: a debug build of a scope crate
    // then compiles them to machine code only where an application calls them (about 1.5 s
    // less LLVM work in `bitrix24-crm`; see "Build cost" in ARCHITECTURE.md).
    Ok(quote! {
        #struct_doc
        #[derive(Debug, Clone, PartialEq, #default)]
        #[non_exhaustive]
        pub struct #id {
            #(#members)*
            #[doc = #extra_doc]
            extra: ::serde_json::Map<::std::string::String, ::serde_json::Value>,
        }

        #allow_deprecated
        impl #id {
            #new_doc
            #[allow(clippy::new_without_default)]
            #many_args
            #[inline]
            pub fn new(#(#new_args),*) -> Self {
                Self {
                    #(#inits,)*
                    extra: ::serde_json::Map::new(),
                }
            }

            #(#setters)*

            #[doc = #extra_set_doc]
            #[must_use]
            pub fn insert_extra(
                mut self,
                name: impl ::std::convert::Into<::std::string::String>,
                value: impl ::std::convert::Into<::serde_json::Value>,
            ) -> Self {
                let name: ::std::string::String = name.into();
                #rename
                self.extra.insert(name, value.into());
                self
            }

            #[doc = #extra_get_doc]
            #[inline]
            pub fn extra(&self) -> &::serde_json::Map<::std::string::String, ::serde_json::Value> {
                &self.extra
            }
        }

        #decode_gate
        #allow_deprecated
        impl ::bitrix24_runtime::wire::Decode for #id {
            const FALSE_IS_NONE: bool = true;

            fn decode<'de, D: ::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
                let #mut_ f = ::bitrix24_runtime::wire::Fields::new(deserializer)?;
                ::std::result::Result::Ok(Self {
                    #(#decodes)*
                    extra: f.rest(),
                })
            }
        }

        #decode_gate
        impl<'de> ::serde::Deserialize<'de> for #id {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
                <Self as ::bitrix24_runtime::wire::Decode>::decode(deserializer)
            }
        }

        #allow_deprecated
        impl ::serde::Serialize for #id {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> ::std::result::Result<S::Ok, S::Error> {
                let #mut_ w = ::bitrix24_runtime::wire::ObjectWriter::new(serializer, &self.extra)?;
                #(#writes)*
                w.end()
            }
        }

        #decode_gate
        #allow_deprecated
        impl ::bitrix24_runtime::wire::Undocumented for #id {
            fn undocumented(&self, path: &str, out: &mut ::std::vec::Vec<::std::string::String>) {
                #(#visits)*
                #extra_visit
            }
        }
    })
}

/// Emits an enum with an `Unknown` fallback.
fn emit_enum(ctx: DocCtx<'_>, t: &TypeDef) -> Result<TokenStream> {
    let id = ir::ident(&naming::type_name(&t.name));
    let values = t.values.as_deref().unwrap_or_default();
    let integer = t.repr == Some(EnumRepr::Integer);
    // `""` is one of the values (`MODIFY`: `""` — no access): an `Option` of the enum
    // reads it as that value, not as absent.
    let keeps_empty = values.iter().any(|v| v.value.is_empty()).then(|| {
        quote!(
            const EMPTY_STRING_IS_NONE: bool = false;
        )
    });
    let mut variants = Vec::new();
    let mut to_wire = Vec::new();
    let mut from_wire = Vec::new();
    for v in values {
        let vid = ir::ident(&naming::variant(v.name.as_deref().unwrap_or(&v.value)));
        let d = if v.description.is_empty() {
            format!("`{}`.", v.value)
        } else {
            format!("`{}`: {}", v.value, ctx.text(&v.description))
        };
        let d = doc(&d);
        let wire = &v.value;
        variants.push(quote!(#d #vid,));
        to_wire.push(quote!(Self::#vid => #wire,));
        from_wire.push(quote!(#wire => Self::#vid,));
    }
    let tdoc = if t.description.is_empty() {
        format!("Values of `{}`.", t.name)
    } else {
        ctx.text(&t.description)
    };
    let tdoc = doc(&format!(
        "{tdoc}\n\nTravels as a JSON {}; a value this crate does not know decodes to `Unknown` and is sent back unchanged.",
        if integer { "integer" } else { "string" }
    ));
    Ok(quote! {
        #tdoc
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum #id {
            #(#variants)*
            /// A value not documented when this crate was generated, kept as received.
            Unknown(::std::string::String),
        }

        impl #id {
            /// The value as on the wire.
            #[inline]
            pub fn as_str(&self) -> &str {
                match self {
                    #(#to_wire)*
                    Self::Unknown(value) => value.as_str(),
                }
            }
        }

        impl ::bitrix24_runtime::wire::WireEnum for #id {
            const INTEGER: bool = #integer;
            #[inline]
            fn as_str(&self) -> &str {
                #id::as_str(self)
            }
            #[inline]
            fn from_wire(value: &str) -> Self {
                match value {
                    #(#from_wire)*
                    other => Self::Unknown(::std::borrow::ToOwned::to_owned(other)),
                }
            }
        }

        impl ::std::fmt::Display for #id {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for #id {
            type Err = ::std::convert::Infallible;
            fn from_str(value: &str) -> ::std::result::Result<Self, Self::Err> {
                ::std::result::Result::Ok(<Self as ::bitrix24_runtime::wire::WireEnum>::from_wire(value))
            }
        }

        impl ::serde::Serialize for #id {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> ::std::result::Result<S::Ok, S::Error> {
                ::bitrix24_runtime::wire::serialize_enum(self, serializer)
            }
        }

        impl<'de> ::serde::Deserialize<'de> for #id {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
                ::bitrix24_runtime::wire::deserialize_enum(deserializer)
            }
        }

        impl ::bitrix24_runtime::wire::Decode for #id {
            #keeps_empty
            fn decode<'de, D: ::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
                ::bitrix24_runtime::wire::deserialize_enum(deserializer)
            }
        }

        impl ::bitrix24_runtime::wire::Undocumented for #id {
            fn undocumented(&self, path: &str, out: &mut ::std::vec::Vec<::std::string::String>) {
                if let Self::Unknown(value) = self {
                    out.push(::std::format!("{} = {:?}", path, value));
                }
            }
        }
    })
}
