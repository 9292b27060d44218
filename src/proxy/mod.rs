//! A contract proxy: the application under test points its FoxAPI base URL at it, and every
//! answer it gets is held to the contract on the way.
//!
//! Three modes ([`Mode`]):
//! - **pass-through**: every request is forwarded to the upstream as it came (method, path,
//!   query, body, headers, less the hop-by-hop ones); each task answer (`GET /v1/tasks/{id}`
//!   and the submit routes' 2xx) is validated against the contract and each non-2xx body
//!   against the section 4 error body; the answer goes back unchanged, byte for byte.
//!   Violations are reported as [`ProxyEvent`]s as they happen and collected for the
//!   [`ProxyReport`]. With [`ProxyConfig::fail_on_violation`] a violating answer is replaced by
//!   a 502 whose section 4 body names the violation.
//! - **record**: pass-through, and every exchange is written to a directory as a cassette
//!   (secrets removed before anything touches the disk), each task's latest envelope as a
//!   fixture that `validate` and `serve --fixtures` read, and the result files of completed
//!   tasks, downloaded by the proxy itself.
//! - **replay**: a recorded directory served offline: poll sequences in recorded order,
//!   result URLs rewritten to the files recorded, anything else a 404 naming what was not
//!   recorded.
//!
//! An upstream that times out, resets or cuts a body short gives the application a 502 with a
//! section 4 body that says why (a body that fails while streamed is cut for the application
//! too); nothing sits idle longer than [`ProxyConfig::upstream_timeout`].
//!
//! ```no_run
//! # async fn demo() -> Result<(), foxapi_contract::proxy::ProxyError> {
//! use foxapi_contract::proxy::{Mode, Proxy, ProxyConfig};
//!
//! let proxy = Proxy::start(ProxyConfig {
//!     upstream: Some("https://api.foxapi.cc".into()),
//!     mode: Mode::Record("recordings/run-1".into()),
//!     ..ProxyConfig::default()
//! })
//! .await?;
//! let base = proxy.base_url(); // point the application here
//! # let _ = base;
//! let report = proxy.shutdown().await;
//! assert!(report.violations.is_empty(), "{} violations", report.violations.len());
//! # Ok(()) }
//! ```

mod app;
mod cassette;
mod config;
mod credentials;
mod disk;
mod events;
mod forward;
mod inspect;
mod payload;
mod record;
mod refusal;
mod replay;
mod server;

pub use cassette::{
    Cassette, CassetteBody, CassetteRequest, CassetteResponse, Corrupt, NotRecorded,
};
pub use config::{Mode, ProxyConfig, FILES_ROUTE};
pub use events::{ProxyEvent, ProxyReport, Violation};
pub use server::Proxy;

use std::net::SocketAddr;
use std::path::PathBuf;

/// Why the proxy could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProxyError {
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
    /// Pass-through and record need an upstream; none was given.
    #[error("upstream: expected the base URL of the FoxAPI to forward to (such as https://api.foxapi.cc), found none")]
    NoUpstream,
    /// The upstream base URL is not one requests can be forwarded to.
    #[error("upstream: expected an absolute http(s) URL without query, fragment, user or password, found {found:?}")]
    Upstream {
        /// The URL given, its secrets masked.
        found: String,
    },
    /// A setting that would forward nothing.
    #[error("{setting}: expected {expected}, found {found}")]
    Setting {
        /// Which setting.
        setting: &'static str,
        /// What it must be.
        expected: &'static str,
        /// What was given.
        found: String,
    },
    /// The record or replay directory cannot be used.
    #[error("{}: cannot {action}: {source}", path.display())]
    Directory {
        /// The directory.
        path: PathBuf,
        /// What was tried.
        action: &'static str,
        /// Why.
        source: std::io::Error,
    },
    /// The HTTP client to the upstream could not be built.
    #[error("HTTP client: expected a working TLS setup, found {0}")]
    Client(String),
}
