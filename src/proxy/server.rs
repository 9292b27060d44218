//! Starting and stopping the proxy: [`ProxyConfig`] in, a running [`Proxy`] out, a
//! [`ProxyReport`] at the end.

use super::app::{self, Shared};
use super::events::{Journal, ProxyEvent, ProxyReport};
use super::forward::Forwarder;
use super::record::Recorder;
use super::replay::Replay;
use super::{Corrupt, Mode, NotRecorded, ProxyConfig, ProxyError};
use crate::{Contract, Limits};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot};
use tokio::task::{JoinHandle, JoinSet};
use tokio::time::Instant;

/// A running proxy. Dropping it stops the server; [`Proxy::shutdown`] stops it, waits for
/// the exchanges and downloads under way, and returns what it saw.
#[derive(Debug)]
pub struct Proxy {
    addr: SocketAddr,
    base_url: String,
    shared: Arc<Shared>,
    stop: Option<oneshot::Sender<()>>,
    serving: Option<JoinHandle<()>>,
    shutdown_grace: Duration,
}

/// What bounds the connections of the proxy.
#[derive(Clone, Copy, Debug)]
struct ConnectionLimits {
    header_read_timeout: Duration,
    shutdown_grace: Duration,
}

/// Accepts connections until `stopped` (or its sender is dropped), each served over HTTP/1.1
/// with a header-read timeout; then lets the open ones finish their exchanges within the
/// grace, and drops those still open after it (a stalled client), said in a warning.
async fn serve(
    listener: TcpListener,
    router: axum::Router,
    limits: ConnectionLimits,
    stopped: oneshot::Receiver<()>,
    journal: Arc<Journal>,
) {
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut connections = JoinSet::new();
    let mut stopped = std::pin::pin!(stopped);
    loop {
        while connections.try_join_next().is_some() {}
        let Some(tcp) = crate::mock::listen::accept(&listener, &mut stopped, "proxy").await else {
            break;
        };
        let service = hyper_util::service::TowerToHyperService::new(router.clone());
        let served = crate::mock::listen::http1(limits.header_read_timeout)
            .serve_connection(hyper_util::rt::TokioIo::new(tcp), service);
        let served = graceful.watch(served);
        connections.spawn(async move {
            if let Err(e) = served.await {
                tracing::debug!(error = %e, "proxy: connection ended");
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(limits.shutdown_grace, graceful.shutdown())
        .await
        .is_err()
    {
        let open = connections.len();
        connections.abort_all();
        while connections.join_next().await.is_some() {}
        journal.warn(
            "shutdown",
            &format!(
                "{open} connections were still open after the {} s grace (--shutdown-grace) and were dropped (a client that stalled, or an exchange still under way)",
                limits.shutdown_grace.as_secs_f64()
            ),
        );
    }
}

/// Checks the settings that would make the proxy useless.
fn check(config: &ProxyConfig) -> Result<(), ProxyError> {
    if !config.addr.ip().is_loopback() {
        return Err(ProxyError::NotLoopback { addr: config.addr });
    }
    if config.max_bytes == 0 {
        return Err(ProxyError::Setting {
            setting: "max bytes",
            expected: "a limit above zero",
            found: "0".into(),
        });
    }
    if config.header_read_timeout.is_zero() || config.request_body_timeout.is_zero() {
        return Err(ProxyError::Setting {
            setting: "request timeouts",
            expected: "timeouts longer than zero",
            found: format!(
                "{:?} for a request's head, {:?} for its body",
                config.header_read_timeout, config.request_body_timeout
            ),
        });
    }
    if config.upstream_timeout.is_zero() || config.connect_timeout.is_zero() {
        return Err(ProxyError::Setting {
            setting: "upstream timeout",
            expected: "timeouts longer than zero",
            found: format!(
                "{:?} to connect, {:?} of upstream idle time",
                config.connect_timeout, config.upstream_timeout
            ),
        });
    }
    Ok(())
}

impl Proxy {
    /// Checks the configuration, loads the recording (replay) or creates its directory
    /// (record), binds `config.addr` and starts serving on the current tokio runtime.
    pub async fn start(config: ProxyConfig) -> Result<Proxy, ProxyError> {
        check(&config)?;
        let upstream = match (&config.mode, &config.upstream) {
            (Mode::Replay(_), _) => None,
            (_, Some(upstream)) => Some(Forwarder::new(
                upstream,
                config.connect_timeout,
                config.upstream_timeout,
            )?),
            (_, None) => return Err(ProxyError::NoUpstream),
        };
        let recorder = match &config.mode {
            Mode::Record(dir) => Some(Recorder::open(
                dir,
                config.max_file_bytes,
                config.connect_timeout,
                config.upstream_timeout,
            )?),
            _ => None,
        };
        let replay = match &config.mode {
            Mode::Replay(dir) => Some(Replay::load(dir)?),
            _ => None,
        };
        let (listener, addr) = crate::mock::listen::bind(config.addr)
            .await
            .map_err(|source| ProxyError::Bind {
                addr: config.addr,
                source,
            })?;
        let base_url = format!("http://{addr}");
        let limits = Limits::default().with_max_bytes(config.max_bytes);
        let shared = Arc::new(Shared {
            contract: Contract::new().with_limits(limits),
            strict: config.strict,
            fail_on_violation: config.fail_on_violation,
            max_bytes: config.max_bytes,
            request_body_timeout: config.request_body_timeout,
            journal: Arc::new(Journal::default()),
            upstream,
            recorder,
            replay,
            base_url: base_url.clone(),
        });
        let (stop, stopped) = oneshot::channel::<()>();
        let router = app::router(Arc::clone(&shared));
        let connection_limits = ConnectionLimits {
            header_read_timeout: config.header_read_timeout,
            shutdown_grace: config.shutdown_grace,
        };
        let serving = tokio::spawn(serve(
            listener,
            router,
            connection_limits,
            stopped,
            Arc::clone(&shared.journal),
        ));
        tracing::info!(%addr, "foxapi-contract proxy listening");
        Ok(Proxy {
            addr,
            base_url,
            shared,
            stop: Some(stop),
            serving: Some(serving),
            shutdown_grace: config.shutdown_grace,
        })
    }

    /// The base URL to give the application, such as `http://127.0.0.1:41234`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The address bound.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The cassette files of the recording replayed that could not be used, by name (the
    /// others replay). Empty unless replaying.
    pub fn corrupt(&self) -> &[Corrupt] {
        self.shared
            .replay
            .as_ref()
            .map_or(&[], |replay| replay.corrupt.as_slice())
    }

    /// The recorded answers replay cannot send because their bodies were not recorded
    /// (larger than `--max-bytes` when recorded); each is answered with a 502 `not_recorded`
    /// that says why. Empty unless replaying.
    pub fn not_recorded(&self) -> &[NotRecorded] {
        self.shared
            .replay
            .as_ref()
            .map_or(&[], |replay| replay.not_recorded.as_slice())
    }

    /// Events (violations, upstream faults, requests not recorded, warnings) from now on, as
    /// they happen.
    pub fn events(&self) -> mpsc::UnboundedReceiver<ProxyEvent> {
        self.shared.journal.subscribe()
    }

    /// Stops accepting connections, lets the exchanges under way finish and waits for the
    /// result downloads of a recording, within [`ProxyConfig::shutdown_grace`]: then the
    /// connections still open (a stalled client) are dropped and the downloads cut off, each
    /// said in a warning. Returns the session.
    pub async fn shutdown(mut self) -> ProxyReport {
        let deadline = Instant::now() + self.shutdown_grace;
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(serving) = self.serving.take() {
            if let Err(e) = serving.await {
                tracing::warn!(error = %e, "proxy: the server task ended abnormally");
            }
        }
        if let Some(recorder) = &self.shared.recorder {
            let cut = recorder.finish(deadline).await;
            if cut > 0 {
                self.shared.journal.warn(
                    "shutdown",
                    &format!(
                        "{cut} result downloads were still running after the {} s grace (--shutdown-grace) and were cut off: replay will not serve those files",
                        self.shutdown_grace.as_secs_f64()
                    ),
                );
            }
        }
        self.shared.journal.take()
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}
