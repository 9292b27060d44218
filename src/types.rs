//! The types generated from `schema/` by build.rs (typify, plus the open sets and the
//! registry). Nothing here is written by hand; `tests/generated.rs` snapshots the source.
#![allow(missing_docs, clippy::all, clippy::pedantic)]

include!(concat!(env!("OUT_DIR"), "/types.rs"));
