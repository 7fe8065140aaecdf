//! The intermediate representation: the spec resolved into the module tree of the
//! generated crate, with Rust names and Rust types decided in one place.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Context, Result, bail};
use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;

use crate::naming;
use crate::spec::types::{Scalar, TypeExpr};
use crate::spec::{Field, Method, Spec, TypeDef};

/// One module of the generated crate: a node of the method-name tree
/// (`crm` → `calllist` → `add`). A node may be a method, a namespace, or both
/// (`crm.automation.trigger` and `crm.automation.trigger.add`).
#[derive(Debug, Default)]
pub struct Node<'a> {
    /// Method-name segments leading here, e.g. `["crm", "calllist"]`.
    pub segments: Vec<String>,
    /// The method this module holds, if any.
    pub method: Option<&'a Method>,
    /// Child modules by method-name segment.
    pub children: BTreeMap<String, Node<'a>>,
}

impl<'a> Node<'a> {
    /// The methods of this module and of every module below it.
    pub fn methods(&self) -> Vec<&'a Method> {
        let mut out: Vec<&'a Method> = self.method.into_iter().collect();
        for child in self.children.values() {
            out.extend(child.methods());
        }
        out
    }

    /// The dotted name of this node, e.g. `crm.calllist`.
    pub fn dotted(&self) -> String {
        self.segments.join(".")
    }

    /// The Rust module identifier (`volatile_type`).
    pub fn module_ident(&self) -> Ident {
        ident(
            &naming::method_modules(&self.dotted())
                .pop()
                .unwrap_or_default(),
        )
    }

    /// Path of the module's file inside `src/`, e.g. `crm/calllist/add.rs`.
    pub fn file_path(&self) -> String {
        let mods = naming::method_modules(&self.dotted());
        if self.children.is_empty() {
            format!("{}.rs", mods.join("/"))
        } else {
            format!("{}/mod.rs", mods.join("/"))
        }
    }
}

/// Builds the module tree of all methods; the root has one child per top-level scope.
pub fn tree(spec: &Spec) -> Node<'_> {
    let mut root = Node::default();
    for file in &spec.methods {
        let mut node = &mut root;
        for seg in file.method.id().split('.') {
            let segments = node.segments.clone();
            node = node.children.entry(seg.to_owned()).or_insert_with(|| Node {
                segments: segments.into_iter().chain([seg.to_owned()]).collect(),
                ..Node::default()
            });
        }
        node.method = Some(&file.method);
    }
    root
}

/// What the methods below a top-level segment are, in words: ``Methods `crm.*` ``, or for
/// `v3` (the REST 3.0 methods, by [`Method::id`]) ``REST 3.0 methods at `/rest/api/` ``.
pub fn methods_of(seg: &str) -> String {
    if seg == crate::spec::V3 {
        "REST 3.0 methods at `/rest/api/`".to_owned()
    } else {
        format!("Methods `{seg}.*`")
    }
}

/// Every type expression of a method or event: its parameters or `data`, the `result`
/// types given, and its own types' fields.
pub fn type_exprs(fields: &[Field], more: &[&str], own: &[TypeDef]) -> Vec<TypeExpr> {
    fields
        .iter()
        .map(|f| f.ty.as_str())
        .chain(more.iter().copied())
        .chain(
            own.iter()
                .flat_map(|t| t.fields.iter().flatten())
                .map(|f| f.ty.as_str()),
        )
        .filter_map(|t| TypeExpr::parse(t).ok())
        .collect()
}

/// A Rust identifier (names are pre-escaped by [`naming`]).
pub fn ident(name: &str) -> Ident {
    Ident::new(name, Span::call_site())
}

/// Where named types resolve for one method: its own types, then the shared ones.
#[derive(Debug)]
pub struct TypeScope<'a> {
    local: BTreeMap<&'a str, &'a TypeDef>,
    shared: BTreeMap<&'a str, &'a TypeDef>,
}

impl<'a> TypeScope<'a> {
    /// Scope for `method` (or only the shared types when `None`).
    pub fn new(spec: &'a Spec, method: Option<&'a Method>) -> Self {
        TypeScope {
            local: method
                .map(|m| m.types.iter().map(|t| (t.name.as_str(), t)).collect())
                .unwrap_or_default(),
            shared: spec.types.iter().map(|t| (t.name.as_str(), t)).collect(),
        }
    }

    /// Scope for the local `types` of an event (or anything else that is not a method),
    /// then the shared ones.
    pub fn with_types(spec: &'a Spec, types: &'a [TypeDef]) -> Self {
        TypeScope {
            local: types.iter().map(|t| (t.name.as_str(), t)).collect(),
            shared: spec.types.iter().map(|t| (t.name.as_str(), t)).collect(),
        }
    }

    /// Scope for `local` types, then `shared` ones (without a whole [`Spec`]).
    pub fn with_parts(shared: &'a [TypeDef], local: &'a [TypeDef]) -> Self {
        TypeScope {
            local: local.iter().map(|t| (t.name.as_str(), t)).collect(),
            shared: shared.iter().map(|t| (t.name.as_str(), t)).collect(),
        }
    }

    /// Looks a named type up.
    pub fn get(&self, name: &str) -> Option<&'a TypeDef> {
        self.local
            .get(name)
            .or_else(|| self.shared.get(name))
            .copied()
    }

    /// Whether `name` is one of the method's own types (not a shared one).
    pub fn is_local(&self, name: &str) -> bool {
        self.local.contains_key(name)
    }

    /// The names of the types `tys` use, all the way down (through fields of named
    /// types).
    pub fn named_closure(&self, tys: &[TypeExpr]) -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut todo: Vec<String> = Vec::new();
        for ty in tys {
            ty.for_each_named(&mut |n| todo.push(n.to_owned()));
        }
        while let Some(name) = todo.pop() {
            if !seen.insert(name.clone()) {
                continue;
            }
            for f in self
                .get(&name)
                .and_then(|t| t.fields.as_ref())
                .into_iter()
                .flatten()
            {
                if let Ok(ty) = TypeExpr::parse(&f.ty) {
                    ty.for_each_named(&mut |n| todo.push(n.to_owned()));
                }
            }
        }
        seen
    }

    /// The shared types (`spec/types`) that `tys` reach, all the way down (not the
    /// scope's own types, which shadow shared ones of the same name).
    pub fn shared_closure(&self, tys: &[TypeExpr]) -> BTreeSet<String> {
        self.named_closure(tys)
            .into_iter()
            .filter(|n| !self.is_local(n) && self.shared.contains_key(n.as_str()))
            .collect()
    }

    /// The Rust path of a named type.
    fn path(&self, name: &str) -> Result<TokenStream> {
        let id = ident(&naming::type_name(name));
        if self.local.contains_key(name) {
            Ok(quote!(#id))
        } else if self.shared.contains_key(name) {
            Ok(quote!(crate::types::#id))
        } else {
            bail!("unknown type `{name}`")
        }
    }

    /// The Rust type for a spec type expression where it is received (a result, event
    /// data, a field of a struct that is only received).
    pub fn rust(&self, ty: &TypeExpr) -> Result<TokenStream> {
        self.rust_in(ty, false)
    }

    /// The Rust type for a spec type expression in a struct that is `sent` (one with
    /// setters): there `object` is `JsonObject`, which its setters build from a `Map` or
    /// a `json!` value; received, it is a `serde_json::Map`.
    pub fn rust_in(&self, ty: &TypeExpr, sent: bool) -> Result<TokenStream> {
        Ok(match ty {
            TypeExpr::Scalar(Scalar::Object) if sent => quote!(::bitrix24_runtime::JsonObject),
            TypeExpr::Scalar(s) => scalar(*s),
            TypeExpr::Named(n) => self.path(n)?,
            TypeExpr::Array(t) => {
                let t = self.rust_in(t, sent)?;
                quote!(::std::vec::Vec<#t>)
            }
            TypeExpr::Map(t) => {
                let t = self.rust_in(t, sent)?;
                quote!(::std::collections::BTreeMap<::std::string::String, #t>)
            }
            TypeExpr::Nullable(t) => {
                let t = self.rust_in(t, sent)?;
                quote!(::std::option::Option<#t>)
            }
        })
    }

    /// Whether a value of this type can be built with `Default::default()`.
    pub fn has_default(&self, ty: &TypeExpr) -> bool {
        match ty {
            TypeExpr::Scalar(Scalar::File) => false,
            TypeExpr::Scalar(_) | TypeExpr::Array(_) | TypeExpr::Map(_) => true,
            TypeExpr::Nullable(_) => true,
            TypeExpr::Named(n) => self.get(n).is_some_and(|t| {
                t.fields
                    .as_ref()
                    .is_some_and(|f| f.iter().all(|f| !f.required))
            }),
        }
    }

    /// Whether the type, all the way down, supports `Eq` (no floats, no JSON values).
    pub fn is_eq(&self, ty: &TypeExpr, seen: &mut BTreeSet<String>) -> bool {
        match ty {
            TypeExpr::Scalar(Scalar::Double | Scalar::Any | Scalar::Object) => false,
            TypeExpr::Scalar(_) => true,
            TypeExpr::Array(t) | TypeExpr::Map(t) | TypeExpr::Nullable(t) => self.is_eq(t, seen),
            TypeExpr::Named(n) => {
                if !seen.insert(n.clone()) {
                    return true;
                }
                self.get(n).is_some_and(|t| match &t.fields {
                    Some(fields) => fields
                        .iter()
                        .all(|f| TypeExpr::parse(&f.ty).is_ok_and(|ty| self.is_eq(&ty, seen))),
                    None => true,
                })
            }
        }
    }
}

fn scalar(s: Scalar) -> TokenStream {
    match s {
        Scalar::String | Scalar::Char => quote!(::std::string::String),
        Scalar::Date => quote!(::bitrix24_runtime::chrono::NaiveDate),
        // The portal writes a date-time with an offset (`...T10:00:00+03:00`) or without
        // one (`2025-07-14 08:47:19`, in the portal's time zone): `DateTime` keeps which.
        Scalar::Datetime => quote!(::bitrix24_runtime::DateTime),
        Scalar::Integer | Scalar::Timestamp => quote!(i64),
        // Amounts (`OPPORTUNITY`, sums, prices): exact, never rounded through `f64`.
        Scalar::Double => quote!(::bitrix24_runtime::Decimal),
        Scalar::Boolean => quote!(bool),
        Scalar::File => quote!(::bitrix24_runtime::File),
        Scalar::Object => {
            quote!(::serde_json::Map<::std::string::String, ::serde_json::Value>)
        }
        Scalar::Any => quote!(::serde_json::Value),
    }
}

/// The Rust type of a field as a struct member: optional fields are `Option<T>`
/// (a nullable optional field is still one `Option`); `sent` as in
/// [`TypeScope::rust_in`].
pub fn member_type(
    scope: &TypeScope<'_>,
    field: &Field,
    sent: bool,
) -> Result<(TypeExpr, TokenStream)> {
    let ty = parse(&field.ty).with_context(|| format!("field `{}`", field.name))?;
    let rust = if field.required || matches!(ty, TypeExpr::Nullable(_)) {
        scope.rust_in(&ty, sent)?
    } else {
        let inner = scope.rust_in(&ty, sent)?;
        quote!(::std::option::Option<#inner>)
    };
    Ok((ty, rust))
}

/// Parses a type expression already checked by the validator.
pub fn parse(ty: &str) -> Result<TypeExpr> {
    TypeExpr::parse(ty).map_err(|e| anyhow::anyhow!("type `{ty}`: {e}"))
}

/// How a spec scalar reads in human docs (`integer` → "integer").
pub fn describe(ty: &TypeExpr) -> String {
    ty.to_string()
}
