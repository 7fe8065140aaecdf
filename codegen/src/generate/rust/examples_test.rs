//! `tests/examples_<scope>.rs` of the generated facade crate (one test binary per scope,
//! built in parallel, behind the scope's feature) and `tests/examples_events.rs`: every
//! documented JSON example of the spec round-tripped through the typed API, with the
//! shared helpers in `tests/common/mod.rs`.
//!
//! - request examples decode into the request type with no unknown key, and re-encode to
//!   the same JSON (minus `auth`, the OAuth token);
//! - response examples' `result` decodes into the method's `Output` with no undocumented
//!   key or enum value left over;
//! - event delivery examples, turned into the form body Bitrix24 sends (PHP bracket
//!   notation, percent-encoded), parse with `events::Event::parse` and the example's
//!   application token into the event's variant with nothing undocumented, with the event
//!   name as documented and upper-cased; another token is rejected.
//!
//! One `#[test]` per example (`crm_deal_add_request_1`), each a one-line call of a shared
//! generic helper, so `cargo test` counts failures per example; the helpers are
//! instantiated once per type either way, so the split costs little to compile.
//! Examples whose spec entry carries `skip_round_trip` are listed, with the reason, in
//! the file's header instead.

use anyhow::Result;
use proc_macro2::TokenStream;
use quote::quote;

use std::collections::BTreeMap;

use super::{CrateConfig, format_file, inner_doc};
use crate::generate::Files;
use crate::generate::ir;
use crate::naming;
use crate::spec::Spec;

/// The tests of one file, and what its header reports.
#[derive(Default)]
struct TestFile {
    tests: Vec<TokenStream>,
    skipped: String,
    requests: usize,
    responses: usize,
    errors: usize,
    deliveries: usize,
}

/// Emits the test files.
pub fn emit(spec: &Spec, cfg: &CrateConfig, files: &mut Files) -> Result<()> {
    let krate = ir::ident(&naming::module(&cfg.package));
    let mut by_feature: BTreeMap<String, TestFile> = BTreeMap::new();
    let mut names = TestNames::default();
    for mf in &spec.methods {
        let m = &mf.method;
        let mods: Vec<_> = naming::method_modules(&m.id())
            .iter()
            .map(|s| ir::ident(s))
            .collect();
        let req = ir::ident(&naming::request(&m.method));
        let path = quote!(#krate::#(#mods)::*::#req);
        let feature = naming::feature(&m.id());
        let file = by_feature.entry(feature).or_default();
        // `test.type.fn` → `test_type_fn` (modules `type_`, `fn_` without their escape `_`).
        let base = naming::method_modules(&m.id())
            .iter()
            .map(|s| s.trim_matches('_'))
            .collect::<Vec<_>>()
            .join("_");
        for (kind, list) in [
            ("request", &m.examples.request),
            ("response", &m.examples.response),
            ("error", &m.examples.error),
        ] {
            for (i, ex) in list.iter().enumerate() {
                if let Some(reason) = &ex.skip_round_trip {
                    file.skipped.push_str(&format!(
                        "- `{}` {kind} example {}: {reason}\n",
                        m.method,
                        i + 1
                    ));
                    continue;
                }
                let json = &ex.json;
                let call = match kind {
                    "request" => {
                        file.requests += 1;
                        quote!(request::<#path>(#json);)
                    }
                    "response" => {
                        file.responses += 1;
                        quote!(response::<#path>(#json);)
                    }
                    _ => {
                        file.errors += 1;
                        quote!(error(#json);)
                    }
                };
                let name = ir::ident(&names.unique(format!("{base}_{kind}_{}", i + 1)));
                file.tests.push(quote! {
                    #[test]
                    fn #name() {
                        #call
                    }
                });
            }
        }
    }
    let mut events = TestFile::default();
    for ef in &spec.events {
        let e = &ef.event;
        let variant = ir::ident(&naming::event_variant(ef.rust_stem()));
        for (i, ex) in e.examples.iter().enumerate() {
            if let Some(reason) = &ex.skip_round_trip {
                events.skipped.push_str(&format!(
                    "- event `{}` delivery example {}: {reason}\n",
                    e.event,
                    i + 1
                ));
                continue;
            }
            events.deliveries += 1;
            let json = &ex.json;
            let name = ir::ident(&names.unique(format!(
                "delivery_{}_{}",
                naming::event_module(ef.rust_stem()),
                i + 1
            )));
            events.tests.push(quote! {
                #[test]
                fn #name() {
                    delivery(#json, |e| matches!(e, #krate::events::Event::#variant(_)));
                }
            });
        }
    }
    for (feature, file) in &by_feature {
        if file.tests.is_empty() && file.skipped.is_empty() {
            continue;
        }
        let path = format!("{}/tests/examples_{feature}.rs", cfg.dir);
        let gate = quote!(#![cfg(feature = #feature)]);
        files.insert(
            path.clone(),
            test_file(file, &format!("`{feature}`"), gate, &path)?,
        );
    }
    if !events.tests.is_empty() || !events.skipped.is_empty() {
        let path = format!("{}/tests/examples_events.rs", cfg.dir);
        let feature = super::EVENTS_FEATURE;
        let gate = quote!(#![cfg(feature = #feature)]);
        files.insert(path.clone(), test_file(&events, "events", gate, &path)?);
    }
    let path = format!("{}/tests/common/mod.rs", cfg.dir);
    files.insert(path.clone(), helpers(spec, &krate, &path)?);
    Ok(())
}

/// One test binary: its header (counts, and each example not round-tripped with its
/// reason), its feature gate and its tests.
fn test_file(file: &TestFile, what: &str, gate: TokenStream, path: &str) -> Result<String> {
    let counts = [
        (file.requests, "request examples"),
        (file.responses, "response examples"),
        (
            file.errors,
            "error examples (whose code must be one the spec documents)",
        ),
        (file.deliveries, "event delivery examples"),
    ]
    .iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, what)| format!("{n} {what}"))
    .collect::<Vec<_>>();
    let header = format!(
        "Every documented JSON example of {what}, round-tripped through the typed API: {}.\n\n\
Examples not round-tripped, each with the reason from the spec:\n\n{}",
        if counts.is_empty() {
            "none".to_owned()
        } else {
            counts.join(", ")
        },
        if file.skipped.is_empty() {
            "- none\n".to_owned()
        } else {
            file.skipped.clone()
        }
    );
    let docs = inner_doc(&header);
    let tests = &file.tests;
    format_file(
        quote! {
            #docs
            #gate
            #![allow(deprecated)]

            mod common;
            #[allow(unused_imports)]
            use common::*;

            #(#tests)*
        },
        path,
    )
}

/// `tests/common/mod.rs`: the round-trip helpers every test file calls.
fn helpers(spec: &Spec, krate: &proc_macro2::Ident, path: &str) -> Result<String> {
    let delivery_helpers = delivery_helpers(spec, krate);
    let tokens = quote! {
        //! Round-trip helpers shared by the `examples_*` test binaries.
        #![allow(dead_code, deprecated)]

        use ::bitrix24_runtime::wire::{Decode, Undocumented};

        /// Decodes `json` into `T`, checks that no key is left unknown, and that encoding
        /// gives back the same JSON (without `auth`, which is not a parameter).
        #[allow(dead_code)]
        pub fn request<T>(json: &str)
        where
            T: ::serde::Serialize + ::serde::de::DeserializeOwned + Undocumented,
        {
            let mut params: ::serde_json::Value = ::serde_json::from_str(json).expect("example is JSON");
            if let Some(object) = params.as_object_mut() {
                object.remove("auth");
            }
            let typed: T = ::serde_json::from_value(params.clone())
                .unwrap_or_else(|e| panic!("request example does not decode: {e}\n{json}"));
            assert_eq!(typed.undocumented_paths(), ::std::vec::Vec::<::std::string::String>::new(), "request example has keys the spec does not list");
            let encoded = ::serde_json::to_value(&typed).expect("encodes");
            assert!(same_json(&encoded, &params), "request example does not re-encode to the same JSON\n encoded: {encoded}\n example: {params}");
        }

        /// JSON equality where numbers compare by value (`12500` is `12500.0`), as in JSON,
        /// and a number equals text holding it (an encoded amount, a `Decimal`, is sent as
        /// `"12500"`; an example may write an ID as `"1"` where the typed request sends
        /// `1`), as the portal (PHP) reads both the same.
        pub fn same_json(a: &::serde_json::Value, b: &::serde_json::Value) -> bool {
            use ::serde_json::Value;
            match (a, b) {
                (Value::Number(x), Value::Number(y)) => x == y || x.as_f64() == y.as_f64(),
                (Value::String(x), Value::Number(y)) => x.parse::<f64>().ok() == y.as_f64(),
                (Value::Number(x), Value::String(y)) => y.parse::<f64>().ok() == x.as_f64(),
                (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same_json(x, y)),
                (Value::Object(x), Value::Object(y)) => x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same_json(v, w))),
                _ => a == b,
            }
        }

        /// Decodes the `result` of a response example into the method's output and checks
        /// that nothing in it is undocumented.
        #[allow(dead_code)]
        pub fn response<M>(json: &str)
        where
            M: ::bitrix24_runtime::Method,
            M::Output: Undocumented,
        {
            let body: ::serde_json::Value = ::serde_json::from_str(json).expect("example is JSON");
            let result = body.get("result").cloned().expect("response example has `result`");
            let typed = <M::Output as Decode>::decode(result)
                .unwrap_or_else(|e| panic!("response example does not decode into the result type: {e}\n{json}"));
            assert_eq!(typed.undocumented_paths(), ::std::vec::Vec::<::std::string::String>::new(), "response example has fields or values the spec does not list");
        }

        /// Checks that an error example reads as an API error (as the client reads it,
        /// classic or REST 3.0) whose code the spec documents (for this method or as a
        /// system error), so `ErrorCode` names it.
        #[allow(dead_code)]
        pub fn error(json: &str) {
            let body: ::serde_json::Map<::std::string::String, ::serde_json::Value> =
                ::serde_json::from_str(json).expect("example is a JSON object");
            let error = #krate::ApiError::from_answer(&body, 400)
                .unwrap_or_else(|| panic!("error example has no `error`: {json}"));
            let code = error.code;
            let known = #krate::ErrorCode::from_code(&code);
            assert!(!matches!(known, #krate::ErrorCode::Unknown(_)), "error example's code `{code}` is not documented: {json}");
        }

        #delivery_helpers
    };
    format_file(tokens, path)
}

/// The helpers of event delivery tests (none without events).
fn delivery_helpers(spec: &Spec, krate: &proc_macro2::Ident) -> Option<TokenStream> {
    (!spec.events.is_empty()).then(|| {
        let feature = super::EVENTS_FEATURE;
        quote! {
            /// A documented delivery as the form body Bitrix24 sends (`http_build_query`): PHP
            /// bracket notation, keys and values percent-encoded (`[` is `%5B`, a space `+`),
            /// `true` as `1`, `false` as empty, `null` left out.
            pub fn form_body(delivery: &::serde_json::Value) -> ::std::string::String {
                fn percent(s: &str) -> ::std::string::String {
                    let mut out = ::std::string::String::new();
                    for b in s.bytes() {
                        match b {
                            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => out.push(b as char),
                            b' ' => out.push('+'),
                            _ => out.push_str(&::std::format!("%{b:02X}")),
                        }
                    }
                    out
                }
                fn encode(key: &str, v: &::serde_json::Value, out: &mut ::std::vec::Vec<::std::string::String>) {
                    use ::serde_json::Value;
                    match v {
                        Value::Object(o) => {
                            for (k, x) in o {
                                encode(&::std::format!("{key}%5B{}%5D", percent(k)), x, out);
                            }
                        }
                        Value::Array(a) => {
                            for (i, x) in a.iter().enumerate() {
                                encode(&::std::format!("{key}%5B{i}%5D"), x, out);
                            }
                        }
                        Value::Null => {}
                        Value::Bool(b) => out.push(::std::format!("{key}={}", if *b { "1" } else { "" })),
                        Value::Number(n) => out.push(::std::format!("{key}={}", percent(&n.to_string()))),
                        Value::String(s) => out.push(::std::format!("{key}={}", percent(s))),
                    }
                }
                let mut pairs = ::std::vec::Vec::new();
                if let ::std::option::Option::Some(o) = delivery.as_object() {
                    for (k, v) in o {
                        encode(&percent(k), v, &mut pairs);
                    }
                }
                pairs.join("&")
            }

            /// Sends a documented delivery (JSON) through `Event::parse` as its form body, with
            /// the event name as documented and upper-cased (as portals send it): it must parse
            /// with the example's application token into the expected variant, with nothing
            /// undocumented in `data`, and be rejected with another token.
            #[cfg(feature = #feature)]
            pub fn delivery(json: &str, expected: fn(&#krate::events::Event) -> bool) {
                use #krate::events::{Event, EventError, SecretString};
                let mut value: ::serde_json::Value = ::serde_json::from_str(json).expect("example is JSON");
                let token = value
                    .pointer("/auth/application_token")
                    .and_then(::serde_json::Value::as_str)
                    .expect("delivery example has `auth.application_token`")
                    .to_owned();
                let token = SecretString::from(token);
                let name = value["event"].as_str().expect("delivery example has `event`").to_owned();
                for sent in [name.clone(), name.to_ascii_uppercase()] {
                    value["event"] = ::serde_json::Value::String(sent.clone());
                    let body = form_body(&value);
                    let event = Event::parse(body.as_bytes(), &token)
                        .unwrap_or_else(|e| panic!("delivery example does not parse: {e}\n{body}"));
                    assert!(expected(&event), "delivery of `{sent}` parsed as another event: {:?}", event.documented_name());
                    assert_eq!(event.name(), sent);
                    assert_eq!(event.undocumented_paths(), ::std::vec::Vec::<::std::string::String>::new(), "delivery example has data the spec does not list");
                    let wrong = SecretString::from("0123456789abcdef0123456789abcdef");
                    assert!(
                        matches!(Event::parse(body.as_bytes(), &wrong), Err(EventError::Unauthenticated(_))),
                        "a delivery with another application token must be rejected"
                    );
                }
            }
        }
    })
}

/// Test function names, unique within the file: two methods whose module paths join to
/// the same text (`sonet_group.get`, `sonet.group.get`) get `_2`, `_3`, ...
#[derive(Default)]
struct TestNames(std::collections::BTreeSet<String>);

impl TestNames {
    fn unique(&mut self, name: String) -> String {
        let mut candidate = name.clone();
        let mut k = 2;
        while !self.0.insert(candidate.clone()) {
            candidate = format!("{name}_{k}");
            k += 1;
        }
        candidate
    }
}
