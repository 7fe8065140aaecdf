//! One method: its request struct, its `Method` impl and its named types.

use anyhow::Result;
use proc_macro2::TokenStream;
use quote::quote;

use super::example;
use super::items::{self, DocCtx, StructKind, Uses};
use crate::generate::doc_text::{self, table_cell};
use crate::generate::ir::{self, TypeScope};
use crate::naming;
use crate::spec::types::{Scalar, TypeExpr};
use crate::spec::{ListFacts, Method, Spec};

/// Returns the module docs and the items of the method's module.
pub fn emit(spec: &Spec, pkg: &str, m: &Method) -> Result<(String, TokenStream)> {
    let scope = TypeScope::new(spec, Some(m));
    let ctx = DocCtx {
        base: &spec.api.docs.base_url,
        page: &m.source.path,
    };
    let request = naming::request(&m.method);
    let result_ty = ir::parse(&m.result.ty)?;
    let param_tys = m
        .params
        .iter()
        .map(|f| ir::parse(&f.ty))
        .collect::<Result<Vec<_>>>()?;
    let sent = scope.named_closure(&param_tys);
    let received = scope.named_closure(std::slice::from_ref(&result_ty));
    let mut types = Vec::new();
    for t in &m.types {
        let (input, output) = (sent.contains(&t.name), received.contains(&t.name));
        // A type the docs use nowhere keeps everything.
        let uses = if input || output {
            Uses { input, output }
        } else {
            Uses::BOTH
        };
        types.push(items::emit_type(
            spec,
            &scope,
            t,
            Some(&m.source.path),
            uses,
        )?);
    }
    // The shared types the method uses keep a path in its module too, as when they were
    // its own (`crm::deal::get::CrmMultifield`).
    let reexports = sent
        .union(&received)
        .filter(|n| !scope.is_local(n) && scope.get(n).is_some())
        .filter(|n| naming::type_name(n) != request)
        .map(|n| {
            let id = ir::ident(&naming::type_name(n));
            quote!(#[doc(no_inline)] pub use crate::types::#id;)
        });
    let docs = request_doc(spec, pkg, m, ctx)?;
    let strukt = items::emit_struct(
        &scope,
        ctx,
        &request,
        &docs,
        items::Body {
            fields: &m.params,
            key_families: &[],
        },
        StructKind::Request,
        Uses {
            input: true,
            output: false,
        },
    )?;
    let output = scope.rust(&result_ty)?;
    let id = ir::ident(&request);
    let name = &m.method;
    let read_only = m.read_only;
    let rest_v3 = m.rest_v3.then(|| {
        quote!(
            const REST_V3: bool = true;
        )
    });
    let deprecated = m.deprecated.as_ref().map(|d| {
        let note = table_cell(&d.note);
        quote!(#[deprecated(note = #note)])
    });
    let module_doc = format!(
        "`{}`: {}\n\nThe request is {}; the other items are the types it uses.",
        m.method,
        table_cell(&m.title),
        super::struct_link(&request)
    );
    let list_impl = match &m.list {
        Some(list) => Some(list_impl(&scope, m, list, &result_ty, &id)?),
        None => None,
    };
    let tokens = quote! {
        #deprecated
        #strukt

        impl ::bitrix24_runtime::Method for #id {
            const NAME: &'static str = #name;
            const READ_ONLY: bool = #read_only;
            #rest_v3
            type Output = #output;
        }

        #list_impl

        #(#reexports)*

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
    if m.rest_v3 {
        s.push_str(
            "| API | REST 3.0: called at `/rest/api/`, errors as `{\"error\": {\"code\", \"message\", \"validation\"}}`; not in a `batch` |\n",
        );
    }
    s.push_str(&format!(
        "| Read-only | {} |\n",
        match (m.read_only, m.rest_v3) {
            (true, _) => "yes: safe to retry after an ambiguous failure",
            (false, true) => {
                "no; the client sends an `Idempotency-Key`, so the portal runs it once and a retry after an ambiguous failure is safe"
            }
            (false, false) => {
                "no: it changes data, so a retry after an ambiguous failure may repeat its effect"
            }
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
    if m.positional {
        let order: Vec<String> = m.params.iter().map(|p| format!("`{}`", p.name)).collect();
        s.push_str(&format!(
            "| Parameters | read by position, not by name: sent in the order {}; set every parameter before the last one you set |\n",
            order.join(", ")
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

    s.push_str(&format!(
        "\n# Errors\n\n[`Client::call`](bitrix24_runtime::Client::call) returns [`Error`](bitrix24_runtime::Error): \
transport and decoding failures, and API errors whose code `{pkg}::ErrorCode` names. \
Any method may return the system errors (`QUERY_LIMIT_EXCEEDED`, `expired_token`, ...)",
    ));
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
    if let Some(list) = &m.list {
        s.push_str(&paging_doc(spec, pkg, m, list)?);
    }
    Ok(s)
}

/// The wire parameters a list method's `ListMethod` impl names.
struct ListParams<'a> {
    start: &'a str,
    filter: &'a str,
    select: &'a str,
    order: Order<'a>,
}

enum Order<'a> {
    None,
    Map(&'a str),
    SortField { sort: &'a str, order: &'a str },
}

/// Finds the paging, filter, select and order parameters by name (any case): `order` is an
/// object (`{"ID": "ASC"}`), or a direction next to a `sort` field name (`user.get`).
fn list_params(m: &Method) -> ListParams<'_> {
    let find = |name: &str| m.params.iter().find(|p| p.name.eq_ignore_ascii_case(name));
    let is_object = |ty: &str| {
        matches!(
            TypeExpr::parse(ty),
            Ok(TypeExpr::Scalar(Scalar::Object) | TypeExpr::Map(_))
        )
    };
    let order = match (find("order"), find("sort")) {
        (Some(o), _) if is_object(&o.ty) => Order::Map(&o.name),
        (Some(o), Some(sort)) if !is_object(&sort.ty) => Order::SortField {
            sort: &sort.name,
            order: &o.name,
        },
        _ => Order::None,
    };
    ListParams {
        start: find("start").map_or("start", |p| p.name.as_str()),
        filter: find("filter")
            .filter(|p| is_object(&p.ty))
            .map_or("", |p| p.name.as_str()),
        select: find("select")
            .filter(|p| matches!(TypeExpr::parse(&p.ty), Ok(TypeExpr::Array(_))))
            .map_or("", |p| p.name.as_str()),
        order,
    }
}

/// Whether the method can be exported by ID cursor: an ID field, a filter and an order.
fn exportable(m: &Method, list: &ListFacts) -> bool {
    let p = list_params(m);
    list.id_field.is_some() && !p.filter.is_empty() && !matches!(p.order, Order::None)
}

/// `impl ListMethod`: the item type is the element type at `list.items` inside the result
/// (a JSON value where the spec's types are too loose to tell).
fn list_impl(
    scope: &TypeScope<'_>,
    m: &Method,
    list: &ListFacts,
    result: &TypeExpr,
    id: &proc_macro2::Ident,
) -> Result<TokenStream> {
    let item = match list_item_type(scope, result, &list.items) {
        Some(t) => scope.rust(&t)?,
        None => quote!(::serde_json::Value),
    };
    let p = list_params(m);
    let items = &list.items;
    let page_size = proc_macro2::Literal::u32_unsuffixed(list.page_size);
    let (start, filter, select) = (p.start, p.filter, p.select);
    let id_field = match &list.id_field {
        Some(f) => quote!(::std::option::Option::Some(#f)),
        None => quote!(::std::option::Option::None),
    };
    let order = match p.order {
        Order::None => quote!(::bitrix24_runtime::ListOrder::None),
        Order::Map(name) => quote!(::bitrix24_runtime::ListOrder::Map(#name)),
        Order::SortField { sort, order } => {
            quote!(::bitrix24_runtime::ListOrder::SortField { sort: #sort, order: #order })
        }
    };
    Ok(quote! {
        impl ::bitrix24_runtime::ListMethod for #id {
            type Item = #item;
            const ITEMS: &'static str = #items;
            const PAGE_SIZE: u32 = #page_size;
            const START: &'static str = #start;
            const ID_FIELD: ::std::option::Option<&'static str> = #id_field;
            const FILTER: &'static str = #filter;
            const ORDER: ::bitrix24_runtime::ListOrder = #order;
            const SELECT: &'static str = #select;
        }
    })
}

/// Follows `path` (dotted field names) from the result type to the element type of the
/// array or map there; `None` when the types are too loose to follow.
fn list_item_type(scope: &TypeScope<'_>, result: &TypeExpr, path: &str) -> Option<TypeExpr> {
    let strip = |t: TypeExpr| match t {
        TypeExpr::Nullable(inner) => *inner,
        other => other,
    };
    let mut cur = strip(result.clone());
    for seg in path.split('.').filter(|s| !s.is_empty()) {
        let TypeExpr::Named(name) = &cur else {
            return None;
        };
        let field = scope
            .get(name)?
            .fields
            .as_ref()?
            .iter()
            .find(|f| f.name == seg)?;
        cur = strip(TypeExpr::parse(&field.ty).ok()?);
    }
    match cur {
        TypeExpr::Array(t) | TypeExpr::Map(t) => Some(*t),
        _ => None,
    }
}

/// `2500` → `2,500`.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The request docs' section on streaming the rows.
fn paging_doc(spec: &Spec, pkg: &str, m: &Method, list: &ListFacts) -> Result<String> {
    let request = naming::request(&m.method);
    let mut s = format!(
        "\n# Streaming the rows\n\n`{request}` is a [`ListMethod`](bitrix24_runtime::ListMethod) \
({} rows a page): [`Client::pages`](bitrix24_runtime::Client::pages) streams its pages (following \
`next`), [`Client::items`](bitrix24_runtime::Client::items) its rows.",
        list.page_size
    );
    let function = if exportable(m, list) {
        s.push_str(&format!(
            " For a whole table, [`Client::export`](bitrix24_runtime::Client::export) streams the rows \
by ID cursor (ordered by `{id}`, filtered `>{id}`, no row count: every row present \
throughout is delivered exactly once) and [`Client::export_batched`](bitrix24_runtime::Client::export_batched) \
chains 50 such pages per `batch` request (up to {} rows a request); both replace the \
request's order.",
            thousands(list.page_size as usize * 50),
            id = list.id_field.as_deref().unwrap_or("ID"),
        ));
        "export"
    } else {
        s.push_str(" It cannot be exported by ID cursor (no ID field, filter or order parameter).");
        "items"
    };
    s.push_str(&format!(
        "\n\n{}",
        example::paging_example(spec, pkg, m, function)?
    ));
    Ok(s)
}
