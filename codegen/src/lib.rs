//! Spec model, loader and validator, importer (upstream docs → spec) and generator
//! (spec → `generated/`) of the Bitrix24 REST client. `xtask` is a thin CLI over this crate.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod cross_check;
pub mod diagnostics;
pub mod diff;
pub mod generate;
pub mod import;
pub mod naming;
pub mod published;
pub mod release;
pub mod schema;
pub mod spec;
