//! `bitrix24::events`: one module per documented event (a marker type implementing
//! `bitrix24_runtime::event::Event`, the type of its `data`, its named types) and the
//! `Event` enum that types any delivery.
//!
//! The module does not depend on Cargo features: a handler parses whatever the portal
//! sends, whichever method features the application enables. Rustdoc links to the methods
//! that bind a handler (`event.bind`) exist only when their feature is on, so those links
//! are `cfg_attr`-gated.

use anyhow::{Context, Result};
use proc_macro2::TokenStream;
use quote::quote;
use serde_json::Value;

use super::items::{self, DocCtx, StructKind, Uses};
use super::{CrateConfig, doc, format_file, inner_doc};
use crate::generate::Files;
use crate::generate::doc_text::{self, table_cell};
use crate::generate::ir::{self, TypeScope};
use crate::naming;
use crate::spec::{Event, Field, Spec};

/// Emits `src/events/mod.rs` and one file per event; nothing when the spec has no events.
pub fn emit(spec: &Spec, cfg: &CrateConfig, files: &mut Files) -> Result<()> {
    if spec.events.is_empty() {
        return Ok(());
    }
    let pkg = naming::module(&cfg.package);
    for ef in &spec.events {
        let e = &ef.event;
        let path = format!(
            "{}/src/events/{}.rs",
            cfg.dir,
            naming::event_module(&e.event)
        );
        let tokens = event_module(spec, &pkg, e).with_context(|| format!("event `{}`", e.event))?;
        files.insert(path.clone(), format_file(tokens, &path)?);
    }
    let path = format!("{}/src/events/mod.rs", cfg.dir);
    files.insert(path.clone(), format_file(events_mod(spec, &pkg)?, &path)?);
    Ok(())
}

/// The docs page of an event, for links.
fn ctx<'a>(spec: &'a Spec, e: &'a Event) -> DocCtx<'a> {
    DocCtx {
        base: &spec.api.docs.base_url,
        page: &e.source.path,
    }
}

/// One event's module: marker, `Event` impl, data struct, named types.
fn event_module(spec: &Spec, pkg: &str, e: &Event) -> Result<TokenStream> {
    let scope = TypeScope::with_types(spec, &e.types);
    let cx = ctx(spec, e);
    let marker = naming::event_type(&e.event);
    let data = naming::event_data(&e.event);
    let (before, bind, after) = marker_doc(spec, pkg, e, cx);
    let (before, after) = (doc(&before), doc(&after));
    let data_doc = format!(
        "The `data` of {} deliveries{}\n\nDecoded leniently from the form's strings (`\"999\"` is an integer); keys the spec does not list are kept in [`extra`](Self::extra).",
        // `[`OnAppInstall`](OnAppInstall)` would be a redundant link target.
        if e.event == marker {
            format!("[`{marker}`]")
        } else {
            format!("[`{}`]({marker})", e.event)
        },
        match &e.data_description {
            Some(d) => format!(": {}", cx.text(d)),
            None => ".".to_owned(),
        }
    );
    let strukt = items::emit_struct(
        &scope,
        cx,
        &data,
        &data_doc,
        items::Body {
            fields: &e.data,
            key_families: &[],
        },
        StructKind::Object,
        Uses {
            input: false,
            output: true,
        },
    )?;
    let mut types = Vec::new();
    for t in &e.types {
        types.push(items::emit_type(
            spec,
            &scope,
            t,
            Some(&e.source.path),
            Uses {
                input: false,
                output: true,
            },
        )?);
    }
    let marker_id = ir::ident(&marker);
    let data_id = ir::ident(&data);
    let name = &e.event;
    let module_doc = inner_doc(&format!(
        "`{}`: {}\n\nThe event is [`{marker}`]; its `data` is [`{data}`]; the other items are the types they use.",
        e.event,
        table_cell(&e.title)
    ));
    let const_doc = doc(&format!(
        "The event name as documented: `\"{name}\"` (deliveries may spell it in another case, e.g. `{}`).",
        name.to_ascii_uppercase()
    ));
    Ok(quote! {
        #module_doc

        #before
        #bind
        #after
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
        pub struct #marker_id;

        impl #marker_id {
            #const_doc
            pub const NAME: &'static str = #name;
        }

        impl ::bitrix24_runtime::event::Event for #marker_id {
            const NAME: &'static str = #name;
            type Data = #data_id;
        }

        #strukt

        #(#types)*
    })
}

/// The marker's docs in three parts: before the `Bind with` row, the row itself (with
/// `cfg_attr`-gated links), after it.
fn marker_doc(spec: &Spec, pkg: &str, e: &Event, cx: DocCtx<'_>) -> (String, TokenStream, String) {
    let url = doc_text::page_url(&spec.api.docs.base_url, &e.source.path);
    let data = naming::event_data(&e.event);
    let mut s = format!(
        "**`{}`**: {}\n\n{}\n",
        e.event,
        table_cell(&e.title),
        cx.text(&e.summary)
    );
    if let Some(d) = &e.description {
        s.push_str(&format!("\n{}\n", cx.text(d)));
    }
    s.push_str("\n| | |\n|---|---|\n");
    s.push_str(&format!("| Scope | {} |\n", scope_cell(&e.scope)));
    if let Some(a) = &e.access {
        s.push_str(&format!(
            "| Who can subscribe | {} |\n",
            table_cell(&cx.text(a))
        ));
    }
    let bind = bind_row(spec, &e.bind);
    let mut after = format!(
        "| Data | [`{data}`] |\n| Official docs | <{url}> (commit `{}`) |\n",
        e.source.commit.get(..8).unwrap_or(&e.source.commit)
    );
    after.push_str(&format!("\n# Data\n\n{}", data_table(&e.data, &data, cx)));
    after.push_str(
        "\n# Delivery\n\nBitrix24 POSTs the event form-encoded (`event`, `data[...]`, `ts`, `auth[...]`) to every bound handler and never retries a failed delivery. \
[`parse`](crate::events::parse) (this event only) and [`Event::parse`](crate::events::Event::parse) (any event) check \
`auth[application_token]` against the token saved at installation, in constant time, before reading anything else; \
the portal and tokens are in [`Auth`](crate::events::Auth).\n",
    );
    let marker = naming::event_type(&e.event);
    after.push_str(&format!(
        "\n# Example\n\n{}",
        doc_example(
            pkg,
            e,
            &format!("self, {marker}, SecretString"),
            &format!(
                "let delivery = events::parse::<{marker}>(body.as_bytes(), &token)?;\n\
println!(\"{{}} at {{}} from {{}}: {{:?}}\", delivery.event, delivery.ts, delivery.auth.domain, delivery.data);\n"
            ),
        )
    ));
    (s, bind, after)
}

/// `` `crm` `` or, without a documented scope, a dash.
pub(crate) fn scope_cell(scope: &str) -> String {
    if scope.trim().is_empty() {
        "— (the docs name none)".to_owned()
    } else {
        format!("`{scope}`")
    }
}

/// The `| Bind with | ... |` row: links to the request types when the method's feature
/// is on, plain names otherwise.
fn bind_row(spec: &Spec, bind: &[String]) -> TokenStream {
    if bind.is_empty() {
        return quote!();
    }
    let plain: Vec<String> = bind.iter().map(|b| format!("`{b}`")).collect();
    let linked: Vec<String> = bind
        .iter()
        .map(|b| {
            if spec.methods.iter().any(|m| &m.method.method == b) {
                let path = naming::request_path(b).replacen("bitrix24::", "crate::", 1);
                format!("[`{b}`]({path})")
            } else {
                format!("`{b}`")
            }
        })
        .collect();
    let plain_row = format!(" | Bind with | {} |", plain.join(", "));
    let linked_row = format!(" | Bind with | {} |", linked.join(", "));
    let features: Vec<String> = bind
        .iter()
        .filter(|b| spec.methods.iter().any(|m| &m.method.method == *b))
        .map(|b| naming::feature(b))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    if features.is_empty() {
        return quote!(#[doc = #plain_row]);
    }
    quote! {
        #[cfg_attr(all(#(feature = #features),*), doc = #linked_row)]
        #[cfg_attr(not(all(#(feature = #features),*)), doc = #plain_row)]
    }
}

/// The data keys as a Markdown table.
fn data_table(fields: &[Field], holder: &str, cx: DocCtx<'_>) -> String {
    if fields.is_empty() {
        return "The docs list no keys of `data`.\n".to_owned();
    }
    let mut s = "| Key | Type | Description |\n|---|---|---|\n".to_owned();
    for f in fields {
        let field = naming::field_of(f);
        s.push_str(&format!(
            "| `{}` ([`{field}`]({holder}::{field})) | `{}` | {} |\n",
            f.name,
            f.ty.replace('|', "\\|"),
            table_cell(&cx.text(&f.description))
        ));
    }
    s
}

/// The documented delivery as the form body Bitrix24 sends (`http_build_query`: PHP
/// bracket notation, `[`/`]` percent-encoded, spaces as `+`), one `key=value` pair a
/// line; and the example's application token.
pub fn form_pairs(json: &Value) -> (Vec<String>, String) {
    let mut pairs = Vec::new();
    if let Value::Object(o) = json {
        for (k, v) in o {
            encode(&percent(k), v, &mut pairs);
        }
    }
    let token = json
        .pointer("/auth/application_token")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    (pairs, token)
}

fn encode(key: &str, v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(o) => {
            for (k, x) in o {
                encode(&format!("{key}%5B{}%5D", percent(k)), x, out);
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                encode(&format!("{key}%5B{i}%5D"), x, out);
            }
        }
        Value::Null => {}
        Value::Bool(b) => out.push(format!("{key}={}", if *b { "1" } else { "" })),
        Value::Number(n) => out.push(format!("{key}={}", percent(&n.to_string()))),
        Value::String(s) => out.push(format!("{key}={}", percent(s))),
    }
}

/// PHP's `urlencode`: letters, digits and `-_.` as is, space as `+`, the rest `%XX`.
fn percent(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => out.push(b as char),
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// A runnable example parsing the first documented delivery (or a minimal one) of `e`:
/// `imports` are the names used from `events`, `parse` the code after `body` and `token`.
fn doc_example(pkg: &str, e: &Event, imports: &str, parse: &str) -> String {
    let json = e
        .examples
        .iter()
        .find(|x| x.skip_round_trip.is_none())
        .and_then(|x| serde_json::from_str::<Value>(&x.json).ok());
    let fallback = "51856fefc120afa4b628cc82d3935cce";
    let (pairs, token) = match &json {
        Some(v) => form_pairs(v),
        None => (
            vec![
                format!("event={}", e.event.to_ascii_uppercase()),
                "ts=1466439714".to_owned(),
                "auth%5Bdomain%5D=example.bitrix24.com".to_owned(),
                "auth%5Bclient_endpoint%5D=https%3A%2F%2Fexample.bitrix24.com%2Frest%2F".to_owned(),
                "auth%5Bserver_endpoint%5D=https%3A%2F%2Foauth.bitrix.info%2Frest%2F".to_owned(),
                "auth%5Bmember_id%5D=a223c6b3710f85df22e9377d6c4f7553".to_owned(),
                format!("auth%5Bapplication_token%5D={fallback}"),
            ],
            fallback.to_owned(),
        ),
    };
    let token = if token.is_empty() {
        fallback.to_owned()
    } else {
        token
    };
    let lines: Vec<String> = pairs
        .iter()
        .enumerate()
        .map(|(i, p)| {
            format!(
                "    {:?},",
                if i == 0 { p.clone() } else { format!("&{p}") }
            )
        })
        .collect();
    format!(
        "```\nuse {pkg}::events::{{{imports}}};\n\n\
// The token the portal sent to the application at installation (`ONAPPINSTALL`).\n\
let token = SecretString::from({token:?});\n\
// The documented delivery, as the handler receives it.\n\
let body = concat!(\n{}\n);\n\
{parse}\
# Ok::<(), events::EventError>(())\n```\n",
        lines.join("\n")
    )
}

/// `src/events/mod.rs`: the modules, re-exports of the runtime, and `Event`.
fn events_mod(spec: &Spec, pkg: &str) -> Result<TokenStream> {
    let mut mods = Vec::new();
    let mut variants = Vec::new();
    let mut arms = Vec::new();
    let mut names = Vec::new();
    let mut documented = Vec::new();
    let mut accessors = Vec::new();
    let mut undocumented = Vec::new();
    let mut rows = String::new();
    for ef in &spec.events {
        let e = &ef.event;
        let m = ir::ident(&naming::event_module(&e.event));
        let marker = ir::ident(&naming::event_type(&e.event));
        let data = ir::ident(&naming::event_data(&e.event));
        let variant = ir::ident(&naming::event_variant(&e.event));
        mods.push(quote! {
            pub mod #m;
            #[doc(inline)]
            pub use #m::{#marker, #data};
        });
        let cx = ctx(spec, e);
        let vdoc = doc(&format!(
            "`{}`: {} (see [`{}`]).",
            e.event,
            table_cell(&cx.text(&e.summary)).trim_end_matches('.'),
            naming::event_type(&e.event)
        ));
        variants.push(quote! {
            #vdoc
            #variant(::bitrix24_runtime::event::Delivery<#data>),
        });
        let lower = e.event.to_ascii_lowercase();
        arms.push(quote! {
            #lower => delivery.decode_data().map(Self::#variant),
        });
        names.push(quote!(Self::#variant(d) => &d.event,));
        let name = &e.event;
        documented.push(quote!(Self::#variant(_) => ::std::option::Option::Some(#name),));
        accessors.push(quote!(Self::#variant(d)));
        undocumented.push(quote! {
            Self::#variant(d) => ::bitrix24_runtime::wire::Undocumented::undocumented(&d.data, path, out),
        });
        rows.push_str(&format!(
            "| `{}` | [`{}`] | {} | {} |\n",
            e.event,
            naming::event_type(&e.event),
            scope_cell(&e.scope),
            table_cell(&cx.text(&e.summary))
        ));
    }
    let all_names: Vec<&str> = spec.events.iter().map(|e| e.event.event.as_str()).collect();
    let auth = auth_table(spec);
    let example = enum_example(spec, pkg);
    let module_doc = inner_doc(&format!(
        "Inbound events: typed deliveries of the {n} documented events.\n\n\
Bitrix24 POSTs an event to each handler bound to it (with `event.bind`) as an \
`application/x-www-form-urlencoded` body in PHP bracket notation (`event=ONCRMACTIVITYADD&data[FIELDS][ID]=999&ts=...&auth[...]=...`), \
and never retries a failed delivery: log errors before answering. [`Event::parse`] reads any delivery: it checks \
`auth[application_token]` against the token the application saved at installation (in constant time, before anything \
else is read), then decodes `data` into the event's type, matching the event name ignoring case; an event this crate \
does not document is [`Event::Unknown`]. For one known event, [`parse`] with its marker type \
(`parse::<{first}>`) returns its [`Delivery`] directly.\n\n\
| Event | Rust | Scope | Summary |\n|---|---|---|---|\n{rows}\n\
This module does not depend on Cargo features: events parse whichever method features are on.\n\n\
# The `auth` keys\n\n{auth}\n\
# Example\n\n{example}",
        n = spec.events.len(),
        first = naming::event_type(all_names.first().copied().unwrap_or("")),
    ));
    Ok(quote! {
        #module_doc

        #(#mods)*

        pub use ::bitrix24_runtime::event::{
            AppStatus, Auth, AuthFailure, Delivery, EventError, ExposeSecret, FormFault, MAX_BODY_BYTES,
            MAX_DEPTH, SecretString, parse, parse_any, parse_form,
        };
        /// The application's life cycle on a portal: `ONAPPINSTALL` ([`parse_install`]), the
        /// install page and placements ([`AppRequest`]), `ONAPPUNINSTALL` ([`AppUninstall`]).
        pub use ::bitrix24_runtime::event::app::{
            self, AppInstall, AppInstallData, AppRequest, AppUninstall, AppUninstallData,
            Installation, parse_install,
        };
        /// The runtime's trait of one documented event (its name and the type of its `data`),
        /// implemented by each event's marker type; re-exported under another name because
        /// [`Event`] is the enum of all events here.
        pub use ::bitrix24_runtime::event::Event as TypedEvent;

        /// One authenticated delivery, typed by its event.
        ///
        /// Built by [`Event::parse`] (a raw body) or [`Event::from_delivery`] (a delivery from
        /// [`parse_any`]). Match the variant of each event the application handles, and keep a
        /// `_` arm: new documented events become new variants.
        #[derive(Debug, Clone)]
        #[non_exhaustive]
        #[allow(clippy::large_enum_variant)]
        pub enum Event {
            #(#variants)*
            /// An event this crate does not document; `data` as the form carried it (a tree of
            /// strings).
            Unknown(::bitrix24_runtime::event::Delivery<::serde_json::Value>),
        }

        impl Event {
            /// The documented event names, as documented.
            pub const DOCUMENTED: &'static [&'static str] = &[#(#all_names),*];

            /// Parses a delivery body: checks the application token, then types the event.
            ///
            /// # Errors
            ///
            /// Every [`EventError`] of [`parse_any`] (size, malformed form, missing or wrong
            /// `auth[application_token]`, missing `event`/`ts`/`auth` keys), and
            /// [`EventError::Data`] naming the key (`data[FIELDS][ID]`) when a documented event's
            /// `data` does not decode into its type.
            pub fn parse(
                body: &[u8],
                expected_application_token: &::bitrix24_runtime::event::SecretString,
            ) -> ::std::result::Result<Self, ::bitrix24_runtime::event::EventError> {
                Self::from_delivery(::bitrix24_runtime::event::parse_any(body, expected_application_token)?)
            }

            /// Types an authenticated delivery of any event (from [`parse_any`]): the event name
            /// is matched ignoring ASCII case; an unknown name gives [`Event::Unknown`].
            ///
            /// # Errors
            ///
            /// [`EventError::Data`] when a documented event's `data` does not decode into its type.
            pub fn from_delivery(
                delivery: ::bitrix24_runtime::event::Delivery<::serde_json::Value>,
            ) -> ::std::result::Result<Self, ::bitrix24_runtime::event::EventError> {
                match delivery.event.to_ascii_lowercase().as_str() {
                    #(#arms)*
                    _ => ::std::result::Result::Ok(Self::Unknown(delivery)),
                }
            }

            /// The event name as the delivery sent it (e.g. `ONCRMACTIVITYADD`).
            pub fn name(&self) -> &str {
                match self {
                    #(#names)*
                    Self::Unknown(d) => &d.event,
                }
            }

            /// The event name as documented (e.g. `onCrmActivityAdd`); `None` for
            /// [`Event::Unknown`].
            pub fn documented_name(&self) -> ::std::option::Option<&'static str> {
                match self {
                    #(#documented)*
                    Self::Unknown(_) => ::std::option::Option::None,
                }
            }

            /// `ts`: when the event left the event queue, in Unix seconds.
            pub fn ts(&self) -> i64 {
                match self {
                    #(#accessors => d.ts,)*
                    Self::Unknown(d) => d.ts,
                }
            }

            /// `auth`: the portal that sent the event and, sometimes, OAuth tokens.
            pub fn auth(&self) -> &::bitrix24_runtime::event::Auth {
                match self {
                    #(#accessors => &d.auth,)*
                    Self::Unknown(d) => &d.auth,
                }
            }

            /// `event_handler_id`: the handler's ID (as `event.get` lists it), when sent.
            pub fn event_handler_id(&self) -> ::std::option::Option<i64> {
                match self {
                    #(#accessors => d.event_handler_id,)*
                    Self::Unknown(d) => d.event_handler_id,
                }
            }
        }

        /// Paths inside `data` (`$.FIELDS.UF_CRM_1`) that the spec does not document; for
        /// [`Event::Unknown`], `$` itself.
        impl ::bitrix24_runtime::wire::Undocumented for Event {
            fn undocumented(&self, path: &str, out: &mut ::std::vec::Vec<::std::string::String>) {
                match self {
                    #(#undocumented)*
                    Self::Unknown(_) => out.push(::std::borrow::ToOwned::to_owned(path)),
                }
            }
        }
    })
}

/// The service-wide `auth` keys as a Markdown table (from `api.yaml`).
fn auth_table(spec: &Spec) -> String {
    let intro =
        "Every delivery carries `auth[...]`, read into [`Auth`] (its secrets redacted in `Debug`).";
    if spec.api.event_auth.is_empty() {
        return format!("{intro}\n");
    }
    let base = &spec.api.docs.base_url;
    let mut s = format!(
        "{intro} The docs list these keys; tokens are not sent when no user triggered the event:\n\n| Key | Type | Required | Description |\n|---|---|---|---|\n"
    );
    for f in &spec.api.event_auth {
        s.push_str(&format!(
            "| `{}` | `{}` | {} | {} |\n",
            f.name,
            f.ty.replace('|', "\\|"),
            if f.required { "yes" } else { "no" },
            full_cell(&doc_text::rustdoc(
                &f.description,
                base,
                "_includes/auth-params-in-events.md"
            ))
        ));
    }
    s
}

/// All of `text` in one table cell (lists and paragraphs joined by spaces), pipes escaped.
pub(crate) fn full_cell(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace('|', "\\|")
}

/// A runnable example matching on [`Event`] with the first event's documented delivery.
fn enum_example(spec: &Spec, pkg: &str) -> String {
    let Some(first) = spec.events.first().map(|e| &e.event) else {
        return String::new();
    };
    let variant = naming::event_variant(&first.event);
    doc_example(
        pkg,
        first,
        "self, Event, SecretString",
        &format!(
            "match Event::parse(body.as_bytes(), &token)? {{\n    \
Event::{variant}(delivery) => println!(\"{{:?}}\", delivery.data),\n    \
other => println!(\"not handled: {{}}\", other.name()),\n}}\n"
        ),
    )
}
