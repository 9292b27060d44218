//! A mock FoxAPI server that speaks the contract, for offline integration tests.
//!
//! It serves `GET /v1/tasks/{id}` for every valid fixture (by id), accepts submissions on
//! `POST /v1/{images,videos,audios,llm}/generations` and runs each new task through a
//! [`Lifecycle`] (pending, processing with rising progress, optionally the documented
//! "completed without results" quirk, then completed or failed). Results carry the shape the
//! model's registry entry requires, and their URLs point at files the server itself serves,
//! which expire (403) after [`MockConfig::url_ttl`]. Bearer auth is checked; [`Faults`]
//! (429 with `Retry-After`, 5xx, latency, truncated bodies, dropped connections) are drawn
//! from a seeded generator, so a run is reproducible. Every body it sends keeps the contract:
//! task envelopes validate against it and every non-2xx body is a section 4 error body.
//!
//! ```no_run
//! # async fn demo() -> Result<(), foxapi_contract::mock::MockError> {
//! use foxapi_contract::mock::{Lifecycle, MockConfig, MockServer};
//!
//! let server = MockServer::start(MockConfig {
//!     lifecycle: Lifecycle::polls(2),
//!     ..MockConfig::default()
//! })
//! .await?;
//! let base = server.base_url(); // e.g. http://127.0.0.1:41234; point the client here
//! # let _ = base;
//! server.shutdown().await
//! # }
//! ```

pub(crate) mod answer;
mod app;
mod auth;
mod catalogue;
mod clock;
mod connection;
mod faults;
pub(crate) mod files;
mod lifecycle;
pub(crate) mod listen;
mod routes;
mod scenario;
mod server;
mod tasks;

pub use catalogue::Skipped;
pub use clock::{MockClock, MANUAL_EPOCH_SECS};
pub use faults::{FaultCounts, Faults};
pub use lifecycle::{Lifecycle, Outcome, Span};
pub use scenario::{Scenario, Script};
pub use server::{MockConfig, MockServer};

use std::net::SocketAddr;
use std::path::PathBuf;

/// Why the mock could not start, or could not do what it was asked.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MockError {
    /// The address to listen on is not a loopback address.
    #[error("listen address: expected a loopback address (127.0.0.1 or ::1), found {addr}")]
    NotLoopback {
        /// The address given.
        addr: SocketAddr,
    },
    /// The address could not be bound.
    #[error("listen address {addr}: cannot bind: {source}")]
    Bind {
        /// The address given.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The fixtures directory could not be read.
    #[error("fixtures {}: cannot be read: {source}", path.display())]
    Fixtures {
        /// The directory (or a directory under it).
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A scenario file could not be read or understood.
    #[error("scenario {origin}: {message}")]
    Scenario {
        /// Where the scenario came from (its path).
        origin: String,
        /// What was expected and what was found, with line and column.
        message: String,
    },
    /// A fault rate outside `0..=1`.
    #[error("{at}: expected a rate in 0..=1, found {found}")]
    Rate {
        /// Which rate, and where it was given.
        at: String,
        /// The rate given.
        found: String,
    },
    /// A script names a task the mock does not serve.
    #[error("expected the id of a task the mock serves, found {id:?}")]
    UnknownTask {
        /// The id given.
        id: String,
    },
    /// A task given in code (or scripted) cannot be served as asked.
    #[error("task {id:?}: {message}")]
    Task {
        /// The task's id.
        id: String,
        /// What was expected and what was found.
        message: String,
    },
    /// Connection limits that would serve nothing.
    #[error("connection limits: expected a header read timeout above zero and at least one connection, found {found}")]
    Limits {
        /// What was given.
        found: String,
    },
    /// The server stopped with an error.
    #[error("serving: {source}")]
    Serve {
        /// Why.
        source: std::io::Error,
    },
}
