//! One method: its request struct, its `Method` impl and its named types.

use anyhow::Result;
use proc_macro2::TokenStream;
use quote::quote;

use super::example;
use super::items::{self, DocCtx, StructKind};
use crate::generate::doc_text::{self, table_cell};
use crate::generate::ir::{self, TypeScope};
use crate::naming;
use crate::spec::{Method, Spec};

/// Returns the module docs and the items of the method's module.
pub fn emit(spec: &Spec, pkg: &str, m: &Method) -> Result<(String, TokenStream)> {
    let scope = TypeScope::new(spec, Some(m));
    let ctx = DocCtx {
        base: &spec.api.docs.base_url,
        page: &m.source.path,
    };
    let request = naming::request(&m.method);
    let mut types = Vec::new();
    for t in &m.types {
        types.push(items::emit_type(spec, &scope, t, Some(&m.source.path))?);
    }
    let docs = request_doc(spec, pkg, m, ctx)?;
    let strukt = items::emit_struct(&scope, ctx, &request, &docs, &m.params, StructKind::Request)?;
    let result_ty = ir::parse(&m.result.ty)?;
    let output = scope.rust(&result_ty)?;
    let id = ir::ident(&request);
    let name = &m.method;
    let read_only = m.read_only;
    let deprecated = m.deprecated.as_ref().map(|d| {
        let note = table_cell(&d.note);
        quote!(#[deprecated(note = #note)])
    });
    let module_doc = format!(
        "`{}`: {}\n\nThe request is [`{request}`]; the other items are the types it uses.",
        m.method,
        table_cell(&m.title)
    );
    let tokens = quote! {
        #deprecated
        #strukt

        impl ::bitrix24_runtime::Method for #id {
            const NAME: &'static str = #name;
            const READ_ONLY: bool = #read_only;
            type Output = #output;
        }

        #(#types)*
    };
    Ok((module_doc, tokens))
}

fn request_doc(spec: &Spec, pkg: &str, m: &Method, ctx: DocCtx<'_>) -> Result<String> {
    let url = doc_text::page_url(&spec.api.docs.base_url, &m.source.path);
    let mut s = format!(
        "**`{}`**: {}\n\n{}\n",
        m.method,
        table_cell(&m.title),
        ctx.text(&m.summary)
    );
    if let Some(d) = &m.description {
        s.push_str(&format!("\n{}\n", ctx.text(d)));
    }
    if let Some(dep) = &m.deprecated {
        s.push_str(&format!("\n**Deprecated**: {}", ctx.text(&dep.note)));
        if let Some(r) = &dep.replacement {
            s.push_str(&format!(" Use `{r}` instead."));
        }
        s.push('\n');
    }
    s.push_str("\n| | |\n|---|---|\n");
    s.push_str(&format!(
        "| Scope | {} |\n",
        super::events::scope_cell(&m.scope)
    ));
    if let Some(a) = &m.access {
        s.push_str(&format!(
            "| Who may call | {} |\n",
            table_cell(&ctx.text(a))
        ));
    }
    s.push_str(&format!(
        "| Read-only | {} |\n",
        if m.read_only {
            "yes: safe to retry after an ambiguous failure"
        } else {
            "no: it changes data, so a retry after an ambiguous failure may repeat its effect"
        }
    ));
    if let Some(l) = &m.list {
        s.push_str(&format!(
            "| Paged | {} items a page, by `start`{} |\n",
            l.page_size,
            l.id_field
                .as_ref()
                .map(|f| format!("; ID field `{f}`"))
                .unwrap_or_default()
        ));
    }
    if !m.aliases.is_empty() {
        let a: Vec<String> = m.aliases.iter().map(|a| format!("`{a}`")).collect();
        s.push_str(&format!("| Also called | {} |\n", a.join(", ")));
    }
    s.push_str(&format!(
        "| Official docs | <{url}> (commit `{}`) |\n",
        m.source.commit.get(..8).unwrap_or(&m.source.commit)
    ));

    s.push_str("\n# Parameters\n\n");
    if m.params.is_empty() {
        s.push_str("None.\n");
    } else {
        s.push_str("| Name | Type | Required | Description |\n|---|---|---|---|\n");
        for p in &m.params {
            s.push_str(&format!(
                "| `{}` ([`{}`](Self::{})) | `{}` | {} | {} |\n",
                p.name,
                naming::field_of(p),
                naming::field_of(p),
                p.ty.replace('|', "\\|"),
                if p.required { "yes" } else { "no" },
                table_cell(&ctx.text(&p.description))
            ));
        }
        s.push_str(
            "\nRequired parameters are the arguments of [`new`](Self::new); optional ones have setters.\n",
        );
    }

    let result_ty = ir::parse(&m.result.ty)?;
    s.push_str(&format!(
        "\n# Result\n\n`{}`{}{}\n",
        result_ty,
        if m.result.description.is_empty() {
            String::new()
        } else {
            format!(": {}", ctx.text(&m.result.description))
        },
        if m.result.paged {
            "\n\nThe response also carries `total` and `next` (paging by `start`)."
        } else {
            ""
        }
    ));

    s.push_str(
        "\n# Errors\n\n[`Client::call`](crate::Client::call) returns [`Error`](crate::Error): \
transport and decoding failures, and API errors whose code [`ErrorCode`](crate::ErrorCode) names. \
Any method may return the system errors (`QUERY_LIMIT_EXCEEDED`, `expired_token`, ...)",
    );
    if m.errors.is_empty() {
        s.push_str("; the docs list no method-specific errors.\n");
    } else {
        s.push_str("; the docs list these for this method:\n\n| Status | Code | Description |\n|---|---|---|\n");
        for e in &m.errors {
            let text = match (&e.message, e.description.is_empty()) {
                (Some(msg), false) => format!("{msg}: {}", e.description),
                (Some(msg), true) => msg.clone(),
                (None, _) => e.description.clone(),
            };
            s.push_str(&format!(
                "| {} | {} | {} |\n",
                e.status.map_or("—".to_owned(), |st| st.to_string()),
                doc_text::code_span(&e.code),
                table_cell(&ctx.text(&text))
            ));
        }
    }
    s.push_str(&format!(
        "\n# Example\n\n{}",
        example::doc_example(spec, pkg, m)?
    ));
    Ok(s)
}
