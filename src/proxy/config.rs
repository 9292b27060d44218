//! How a [`super::Proxy`] starts: [`ProxyConfig`] and its [`Mode`].

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

/// The path under which the proxy serves recorded result files in replay. No FoxAPI route
/// starts with it, so it never hides one.
pub const FILES_ROUTE: &str = "/__foxapi-proxy/files";

/// What the proxy does with the traffic.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Mode {
    /// Forward, validate, answer unchanged.
    #[default]
    PassThrough,
    /// As pass-through, and write every exchange to this directory.
    Record(PathBuf),
    /// Serve this recorded directory; no upstream is called.
    Replay(PathBuf),
}

/// How a [`super::Proxy`] starts. Build it as `ProxyConfig { .., ..ProxyConfig::default() }`,
/// as [`crate::mock::MockConfig`], so a setting added later breaks no caller.
#[derive(Clone, Debug)]
pub struct ProxyConfig {
    /// Where to listen: a loopback address; port 0 picks a free port.
    pub addr: SocketAddr,
    /// The FoxAPI base URL requests are forwarded to (`https://api.foxapi.cc`); needed by
    /// pass-through and record, ignored by replay.
    pub upstream: Option<String>,
    /// Pass-through, record or replay.
    pub mode: Mode,
    /// Hold answers to the strict contract: warnings (drift) count as violations.
    pub strict: bool,
    /// Answer a violating answer with a 502 and a section 4 body naming the violation,
    /// instead of passing it on.
    pub fail_on_violation: bool,
    /// The largest request body accepted (a larger one gets a 413), and the largest answer
    /// held to validate or record it (a larger one is passed on unvalidated, with a warning).
    pub max_bytes: usize,
    /// The largest result file downloaded while recording; larger ones are left out.
    pub max_file_bytes: u64,
    /// How long connecting to the upstream may take.
    pub connect_timeout: Duration,
    /// The upstream idle timeout: how long the upstream may take to send the answer's head,
    /// and then each next chunk of its body. When nothing comes for that long the
    /// application gets a 502 (or, for a body already streaming, an answer cut there) and it
    /// is an upstream fault. A slow transfer that keeps sending is never cut
    /// ([`ProxyConfig::max_bytes`] bounds what is held).
    pub upstream_timeout: Duration,
    /// How long a connection may take to send a request's head, or sit idle between
    /// requests; then it is closed.
    pub header_read_timeout: Duration,
    /// The request body idle timeout: how long the application may take to send the next
    /// chunk of a request body; when nothing comes for that long it gets a 408. A slow
    /// upload that keeps sending is never cut ([`ProxyConfig::max_bytes`] bounds its size).
    pub request_body_timeout: Duration,
    /// How long [`super::Proxy::shutdown`] lets the exchanges under way and the result
    /// downloads of a recording finish; then open connections are dropped, downloads are cut
    /// off (each said in a warning), and the report is returned.
    pub shutdown_grace: Duration,
}

impl Default for ProxyConfig {
    /// `127.0.0.1:0`, no upstream, pass-through, not strict, violations passed on, bodies up
    /// to 16 MiB, result files up to 1 GiB, 10 s to connect, 120 s of upstream idle time, 30 s
    /// for a request's head and 30 s of idle time within its body, 10 s of grace at shutdown.
    fn default() -> Self {
        ProxyConfig {
            addr: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            upstream: None,
            mode: Mode::PassThrough,
            strict: false,
            fail_on_violation: false,
            max_bytes: 16 * 1024 * 1024,
            max_file_bytes: 1024 * 1024 * 1024,
            connect_timeout: Duration::from_secs(10),
            upstream_timeout: Duration::from_secs(120),
            header_read_timeout: Duration::from_secs(30),
            request_body_timeout: Duration::from_secs(30),
            shutdown_grace: Duration::from_secs(10),
        }
    }
}
