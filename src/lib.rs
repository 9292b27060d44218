//! The FoxAPI task API as an executable contract.
//!
//! FoxAPI runs generation tasks (image, video, audio, LLM) and answers `GET /v1/tasks/{id}`
//! with a task envelope whose `results` items take a shape decided by the task's `model`,
//! then by its `type`. This crate holds that contract as JSON Schema (`schema/`), generates
//! Rust types from it at build time, and validates any response against it:
//!
//! ```
//! use foxapi_contract::{Contract, ResultItem};
//!
//! let body = br#"{"id":"task-unified-1757165031-uyujaw3d","object":"video.generation.task",
//!   "type":"video","model":"seedance-2.0-text-to-video","status":"completed","progress":100,
//!   "created":1757165031,"results":[{"url":"https://cdn.example.com/v.mp4","seed":42}]}"#;
//! let parsed = Contract::global().parse(body).expect("keeps the contract");
//! match &parsed.results[0] {
//!     ResultItem::SeededVideo(video) => assert_eq!(video.seed.as_i64(), Some(42)),
//!     other => panic!("expected a seeded video, found {other:?}"),
//! }
//! ```
//!
//! Errors break the contract; warnings (unknown keys, values outside a known set, the
//! documented quirks) are drift the schema should learn. [`Report::into_strict`] makes them
//! errors.
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "client")]
mod atomic;
#[cfg(feature = "client")]
#[cfg_attr(docsrs, doc(cfg(feature = "client")))]
pub mod client;
mod compiled;
mod contract;
#[cfg(feature = "harness")]
#[cfg_attr(docsrs, doc(cfg(feature = "harness")))]
pub mod harness;
mod input;
mod members;
#[cfg(feature = "mock")]
#[cfg_attr(docsrs, doc(cfg(feature = "mock")))]
pub mod mock;
pub mod model;
mod number;
pub mod openapi;
#[cfg(feature = "proxy")]
#[cfg_attr(docsrs, doc(cfg(feature = "proxy")))]
pub mod proxy;
pub mod redact;
mod report;
mod rules;
#[cfg(any(feature = "client", feature = "mock"))]
mod secret;
pub mod types;
pub mod untrusted;

pub use contract::{
    Contract, Parsed, CONTRACT_SCHEMA, DEFAULT_MAX_ISSUES, ERROR_BODY_SCHEMA, STRICT_SCHEMA,
};
pub use input::{Limits, MAX_DEPTH};
pub use number::{Duration, Integer};
pub use report::{Dispatch, Issue, Report, Rule, Severity};
#[cfg(any(feature = "client", feature = "mock"))]
#[cfg_attr(docsrs, doc(cfg(any(feature = "client", feature = "mock"))))]
pub use secret::{ApiKey, ApiKeyError};
// Inside the crate every generated type is at `crate::Name`; outside, at `types::Name`, and
// the ones users match on also at the root.
#[allow(unused_imports)]
use types::*;
pub use types::{
    FinishReason, MessageRole, OutputType, ResultItem, Shape, Task, TaskObject, TaskStatus,
    WordType,
};
