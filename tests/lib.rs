//! Cross-crate tests live in the `[[test]]` targets of this package; the library is empty.

// The README's Rust snippets are compiled as doctests of this crate:
// `cargo test -p bitrix24-tests --doc`.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeSnippets;
