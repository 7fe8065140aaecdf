//! One crate per first method-name segment (`crm.*` → `bitrix24-crm` in
//! `generated/scopes/crm`), re-exported by the facade as `bitrix24::crm`, and the crate
//! of the shared named types. Splitting the API this way lets cargo build the scopes in
//! parallel and keeps each rustc small (see "Build cost" in `ARCHITECTURE.md`).

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Context, Result};
use quote::quote;

use super::ir::{self, Node, TypeScope};
use super::{
    CrateConfig, count_methods, crate_ident, family_dependency, format_file, inner_doc, items,
    lints_section, manifest_head, method, published, rustfmt_toml,
};
use crate::generate::Files;
use crate::naming;
use crate::spec::{Spec, TypeDef};

/// Emits the crate of the methods `seg.*`.
pub fn emit(
    spec: &Spec,
    cfg: &CrateConfig,
    seg: &str,
    node: &Node<'_>,
    homes: &Homes,
    files: &mut Files,
) -> Result<()> {
    let dir = cfg.scope_dir(seg);
    let package = cfg.scope_package(seg);
    let mut toml = manifest_head(
        cfg,
        &package,
        &format!(
            "Bitrix24 {}, typed; use them through the `{}` crate",
            ir::methods_of(seg).replacen("Methods", "REST API methods", 1),
            cfg.package
        ),
    );
    if !spec.types.is_empty() {
        toml.push_str(&family_dependency(
            &dir,
            &cfg.types_package(),
            &cfg.types_dir(),
            cfg.version.as_deref(),
            "",
        ));
    }
    toml.push_str(&format!(
        "\n[features]\n# Requests decode too (`Deserialize`, `Decode`, `Undocumented`); the round-trip tests of the documented examples turn it on.\n{} = []\n",
        items::DECODE_REQUESTS
    ));
    // The doc examples are written as users write them, through the facade.
    toml.push_str(&format!(
        "\n[dev-dependencies]\n# The doc examples use the paths users write (`{}::{}::...`).\n{}",
        naming::module(&cfg.package),
        naming::top_module(seg),
        family_dependency(&dir, &cfg.package, &cfg.dir, None, "")
    ));
    toml.push_str(&lints_section(cfg));
    files.insert(format!("{dir}/Cargo.toml"), toml);
    files.insert(format!("{dir}/rustfmt.toml"), rustfmt_toml());
    if published(cfg) {
        files.insert(format!("{dir}/README.md"), readme(cfg, seg, &package, node));
        files.insert(
            format!("{dir}/LICENSE"),
            include_str!("../../../../LICENSE").to_owned(),
        );
    }
    let own: Vec<&TypeDef> = spec
        .types
        .iter()
        .filter(|t| homes.get(&t.name).and_then(Option::as_deref) == Some(seg))
        .collect();
    if !own.is_empty() {
        let krate = crate_ident(&cfg.types_package());
        let docs = inner_doc(&format!(
            "Named types `{seg}.*` methods share (`spec/types`: an entity of a docs \
             `data-types.md` page is one type), and, re-exported, those several scopes share \
             (`{}::types`).",
            naming::module(&cfg.package)
        ));
        let scope = TypeScope::new(spec, None);
        let items = own
            .iter()
            .map(|t| items::emit_type(spec, &scope, t, None, items::Uses::BOTH))
            .collect::<Result<Vec<_>>>()?;
        let path = format!("{dir}/src/types.rs");
        let tokens = quote! {
            #docs
            #[doc(no_inline)]
            pub use #krate::types::*;
            #(#items)*
        };
        files.insert(path.clone(), format_file(tokens, &path)?);
    }
    emit_node(spec, cfg, &dir, node, !own.is_empty(), files)
}

/// Where each shared type is emitted: `Some(seg)` in the crate of the one scope whose
/// methods use it (`bitrix24::sale::types::SaleOrder`), `None` in the types crate (used
/// by several scopes, by events, or by nothing: `bitrix24::types::FieldDescription`).
pub type Homes = BTreeMap<String, Option<String>>;

/// [`Homes`] of the spec's shared types.
pub fn type_homes(spec: &Spec, root: &Node<'_>) -> Homes {
    // Scopes reaching each shared type; "" for events.
    let mut users: BTreeMap<String, BTreeSet<&str>> = BTreeMap::new();
    for (seg, node) in &root.children {
        for m in node.methods() {
            let scope = TypeScope::new(spec, Some(m));
            let tys = ir::type_exprs(&m.params, &[m.result.ty.as_str()], &m.types);
            for n in scope.shared_closure(&tys) {
                users.entry(n).or_default().insert(seg.as_str());
            }
        }
    }
    for e in spec.events.iter().map(|e| &e.event) {
        let scope = TypeScope::with_types(spec, &e.types);
        for n in scope.shared_closure(&ir::type_exprs(&e.data, &[], &e.types)) {
            users.entry(n).or_default().insert("");
        }
    }
    spec.types
        .iter()
        .map(|t| {
            let home = match users.get(&t.name) {
                Some(s) if s.len() == 1 && !s.contains("") => s.first().map(|s| (*s).to_owned()),
                _ => None,
            };
            (t.name.clone(), home)
        })
        .collect()
}

/// The crate's README: what it is and that users depend on the facade instead.
fn readme(cfg: &CrateConfig, seg: &str, package: &str, node: &Node<'_>) -> String {
    let facade = &cfg.package;
    let feature = naming::top_module(seg);
    format!(
        "<!-- @generated by cargo xtask codegen; do not edit -->\n\
# {package}\n\n\
The {} methods `{seg}.*` of the Bitrix24 REST API as typed requests and results, generated \
from the official documentation. This crate is a part of [`{facade}`](https://docs.rs/{facade}): \
depend on that instead, with its feature `{feature}` (on by default), and write \
`{}::{feature}::...`.\n",
        count_methods(node),
        naming::module(facade),
    )
}

/// Emits the crate of the shared named types (`bitrix24::types`).
pub fn emit_types(spec: &Spec, cfg: &CrateConfig, homes: &Homes, files: &mut Files) -> Result<()> {
    let dir = cfg.types_dir();
    let package = cfg.types_package();
    let mut toml = manifest_head(
        cfg,
        &package,
        &format!(
            "Bitrix24 REST API types shared by several scopes; use them through the `{}` crate",
            cfg.package
        ),
    );
    toml.push_str(&lints_section(cfg));
    files.insert(format!("{dir}/Cargo.toml"), toml);
    files.insert(format!("{dir}/rustfmt.toml"), rustfmt_toml());
    if published(cfg) {
        files.insert(
            format!("{dir}/README.md"),
            format!(
                "<!-- @generated by cargo xtask codegen; do not edit -->\n# {package}\n\nBitrix24 REST API types shared by several scopes, re-exported as `{}::types`; depend on [`{}`](https://docs.rs/{}) instead.\n",
                naming::module(&cfg.package),
                cfg.package,
                cfg.package
            ),
        );
        files.insert(
            format!("{dir}/LICENSE"),
            include_str!("../../../../LICENSE").to_owned(),
        );
    }
    let docs = inner_doc(&format!(
        "Named types shared by several methods, re-exported as `{}::types`.",
        naming::module(&cfg.package)
    ));
    let lib = quote! {
        #docs
        #![allow(deprecated)]
        /// The named types several scopes (or events) share.
        pub mod types;
    };
    files.insert(format!("{dir}/src/lib.rs"), format_file(lib, "lib.rs")?);
    let scope = TypeScope::new(spec, None);
    let mut items = Vec::new();
    for t in spec
        .types
        .iter()
        .filter(|t| homes.get(&t.name).is_none_or(Option::is_none))
    {
        items.push(items::emit_type(spec, &scope, t, None, items::Uses::BOTH)?);
    }
    let path = format!("{dir}/src/types.rs");
    files.insert(path.clone(), format_file(quote!(#(#items)*), &path)?);
    Ok(())
}

/// Emits one module file of a scope crate (the crate root for the scope's own node) and
/// recursively its children.
fn emit_node(
    spec: &Spec,
    cfg: &CrateConfig,
    dir: &str,
    node: &Node<'_>,
    own_types: bool,
    files: &mut Files,
) -> Result<()> {
    let is_root = node.segments.len() == 1;
    let mut body = Vec::new();
    let mut module_doc = String::new();
    if let Some(m) = node.method {
        let (d, tokens) = method::emit(spec, &naming::module(&cfg.package), m)
            .with_context(|| format!("method `{}`", m.method))?;
        module_doc = d;
        body.push(tokens);
    }
    if !node.children.is_empty() {
        if !module_doc.is_empty() {
            module_doc.push_str("\n\n");
        }
        module_doc.push_str(&namespace_doc(node));
    }
    let mut reexports = BTreeSet::new();
    for child in node.children.values() {
        let m = child.module_ident();
        body.push(quote! { pub mod #m; });
        if let Some(method) = child.method {
            reexports.insert((naming::request(&method.method), m));
        }
    }
    for (name, module) in reexports {
        let id = ir::ident(&name);
        body.push(quote! {
            #[doc(inline)]
            pub use #module::#id;
        });
    }
    if is_root {
        module_doc.push_str(&format!(
            "\n\nA part of the `{}` crate, which re-exports it as `{}::{}` (feature `{}`).",
            cfg.package,
            naming::module(&cfg.package),
            naming::top_module(&node.segments[0]),
            naming::top_module(&node.segments[0]),
        ));
    }
    let docs = inner_doc(&module_doc);
    let attrs = is_root.then(|| {
        let types = if own_types {
            Some(quote! { pub mod types; })
        } else {
            (!spec.types.is_empty()).then(|| {
                let krate = crate_ident(&cfg.types_package());
                quote! {
                    /// Named types shared by several scopes.
                    #[doc(no_inline)]
                    pub use #krate::types;
                }
            })
        };
        // Names mirror the API, not Rust habits: modules mirror method names
        // (`tasks.flow.flow.*` nests `flow` in `flow`), fields and setters mirror
        // parameters (a key `39` is `_39`, a parameter `add` has the setter `add`), enum
        // variants mirror values (`TYPE_A`, `TYPE_B`).
        quote! {
            #![allow(deprecated)]
            #![allow(
                clippy::module_inception,
                clippy::just_underscores_and_digits,
                clippy::should_implement_trait,
                clippy::wrong_self_convention,
                clippy::enum_variant_names
            )]
            #![cfg_attr(docsrs, feature(doc_cfg))]
            #types
        }
    });
    let path = format!("{dir}/src/{}", file_path(node));
    files.insert(
        path.clone(),
        format_file(quote!(#docs #attrs #(#body)*), &path)?,
    );
    for child in node.children.values() {
        emit_node(spec, cfg, dir, child, own_types, files)?;
    }
    Ok(())
}

/// Path of a node's file inside its scope crate's `src/` (`crm.deal.list` →
/// `deal/list.rs`; the scope itself is `lib.rs`).
fn file_path(node: &Node<'_>) -> String {
    let mods = naming::method_modules(&node.dotted());
    let inner = &mods[1.min(mods.len())..];
    if inner.is_empty() {
        "lib.rs".to_owned()
    } else if node.children.is_empty() {
        format!("{}.rs", inner.join("/"))
    } else {
        format!("{}/mod.rs", inner.join("/"))
    }
}

/// Module docs of a namespace: a list of the methods below it.
fn namespace_doc(node: &Node<'_>) -> String {
    let mut s = match node.segments.as_slice() {
        [top] => format!("{}:\n\n", ir::methods_of(top)),
        _ => format!("Methods `{}.*`:\n\n", node.dotted()),
    };
    let mut rows = Vec::new();
    collect_methods(node, &mut rows);
    for (m, summary) in rows {
        let path = naming::method_modules(&m.id())[node.segments.len()..].join("::");
        let req = naming::request(&m.method);
        let parent = path
            .rsplit_once("::")
            .map_or(String::new(), |(p, _)| format!("{p}::"));
        let link = super::struct_link(&format!("{parent}{req}"));
        s.push_str(&format!("- {link}: `{}` — {summary}\n", m.method));
    }
    s
}

fn collect_methods<'a>(node: &Node<'a>, out: &mut Vec<(&'a crate::spec::Method, String)>) {
    for child in node.children.values() {
        if let Some(m) = child.method {
            out.push((m, crate::generate::doc_text::table_cell(&m.title)));
        }
        collect_methods(child, out);
    }
}
