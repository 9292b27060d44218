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
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

/// A running proxy. Dropping it stops the server; [`Proxy::shutdown`] stops it, waits for
/// the exchanges and downloads under way, and returns what it saw.
#[derive(Debug)]
pub struct Proxy {
    addr: SocketAddr,
    base_url: String,
    shared: Arc<Shared>,
    stop: Option<oneshot::Sender<()>>,
    serving: Option<JoinHandle<std::io::Result<()>>>,
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
    if config.upstream_timeout.is_zero() || config.connect_timeout.is_zero() {
        return Err(ProxyError::Setting {
            setting: "upstream timeout",
            expected: "timeouts longer than zero",
            found: format!(
                "{:?} to connect, {:?} per exchange",
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
        let listener = TcpListener::bind(config.addr)
            .await
            .map_err(|source| ProxyError::Bind {
                addr: config.addr,
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| ProxyError::Bind {
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
            journal: Arc::new(Journal::default()),
            upstream,
            recorder,
            replay,
            base_url: base_url.clone(),
        });
        let (stop, stopped) = oneshot::channel::<()>();
        let router = app::router(Arc::clone(&shared));
        let serving = tokio::spawn(async move {
            axum::serve(listener, router)
                .with_graceful_shutdown(async move {
                    let _ = stopped.await;
                })
                .await
        });
        tracing::info!(%addr, "foxapi-contract proxy listening");
        Ok(Proxy {
            addr,
            base_url,
            shared,
            stop: Some(stop),
            serving: Some(serving),
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

    /// Events (violations, upstream faults, warnings) from now on, as they happen.
    pub fn events(&self) -> mpsc::UnboundedReceiver<ProxyEvent> {
        self.shared.journal.subscribe()
    }

    /// Stops accepting connections, lets the exchanges under way finish, waits for the
    /// result downloads of a recording, and returns the session.
    pub async fn shutdown(mut self) -> ProxyReport {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(serving) = self.serving.take() {
            match serving.await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => tracing::warn!(error = %e, "proxy: serving ended with an error"),
                Err(e) => tracing::warn!(error = %e, "proxy: the server task ended abnormally"),
            }
        }
        if let Some(recorder) = &self.shared.recorder {
            recorder.finish().await;
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
