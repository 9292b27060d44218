//! Starting and driving the mock: [`MockConfig`] in, a running [`MockServer`] out.

use super::app::{App, Settings};
use super::catalogue::{Catalogue, Skipped};
use super::connection::CuttableStream;
use super::{routes, FaultCounts, Faults, Lifecycle, MockClock, MockError, Scenario};
use crate::secret::ApiKey;
use serde_json::Value;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::{oneshot, Semaphore};
use tokio::task::JoinHandle;
use url::Url;

/// How a [`MockServer`] starts.
#[derive(Clone, Debug)]
pub struct MockConfig {
    /// Where to listen: a loopback address; port 0 picks a free port.
    pub addr: SocketAddr,
    /// A directory whose `*.json` task envelopes (searched recursively) are served by id;
    /// files that break the contract are skipped. `None` serves no fixtures.
    pub fixtures: Option<PathBuf>,
    /// The key requests must present as `Authorization: Bearer <key>`; `None` accepts any
    /// Bearer token, but the header is still required.
    pub api_key: Option<ApiKey>,
    /// The lifecycle of submitted tasks; scenario scripts by model override it.
    pub lifecycle: Lifecycle,
    /// How long result URLs work after their task completed; then they answer 403.
    pub url_ttl: Duration,
    /// The faults every request meets; scenario scripts by task override them.
    pub faults: Faults,
    /// Seeds the faults and the ids of submitted tasks: the same seed and the same requests
    /// give the same answers.
    pub seed: u64,
    /// Scripts by task id and by model.
    pub scenario: Scenario,
    /// The clock of lifecycles and URL expiry; [`MockClock::manual`] lets a test step it.
    pub clock: MockClock,
    /// How long a connection may take to send a request's head, and may sit idle between
    /// requests; then it is closed (default 30 s).
    pub header_read_timeout: Duration,
    /// The most connections served at once; more wait to be accepted (default 1,024).
    pub max_connections: usize,
}

impl Default for MockConfig {
    /// `127.0.0.1:0`, no fixtures, any Bearer token, three polls per task, URLs valid for
    /// 24 hours (as the spec says), no faults, seed 0, the system clock, request heads within
    /// 30 s, at most 1,024 connections.
    fn default() -> Self {
        MockConfig {
            addr: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            fixtures: None,
            api_key: None,
            lifecycle: Lifecycle::default(),
            url_ttl: Duration::from_secs(24 * 60 * 60),
            faults: Faults::default(),
            seed: 0,
            scenario: Scenario::default(),
            clock: MockClock::system(),
            header_read_timeout: Duration::from_secs(30),
            max_connections: 1024,
        }
    }
}

/// A running mock FoxAPI server. Dropping it stops the server; [`MockServer::shutdown`]
/// stops it and waits until it has.
#[derive(Debug)]
pub struct MockServer {
    addr: SocketAddr,
    base_url: String,
    app: Arc<App>,
    skipped: Vec<Skipped>,
    stop: Option<oneshot::Sender<()>>,
    serving: Option<JoinHandle<std::io::Result<()>>>,
}

impl MockServer {
    /// Binds `config.addr`, loads the fixtures, applies the scenario and starts serving on
    /// the current tokio runtime.
    pub async fn start(config: MockConfig) -> Result<MockServer, MockError> {
        if !config.addr.ip().is_loopback() {
            return Err(MockError::NotLoopback { addr: config.addr });
        }
        config.faults.check("faults")?;
        if config.header_read_timeout.is_zero() || config.max_connections == 0 {
            return Err(MockError::Limits {
                found: format!(
                    "a header read timeout of {:?} and {} connections",
                    config.header_read_timeout, config.max_connections
                ),
            });
        }
        config.scenario.check("(given in code)")?;
        let (listener, addr) =
            super::listen::bind(config.addr)
                .await
                .map_err(|source| MockError::Bind {
                    addr: config.addr,
                    source,
                })?;
        let base_url = format!("http://{addr}");
        let base = Url::parse(&base_url).map_err(|e| MockError::Bind {
            addr,
            source: std::io::Error::other(format!(
                "expected an address that makes a URL, found {base_url}: {e}"
            )),
        })?;
        let catalogue = match &config.fixtures {
            Some(dir) => Catalogue::load(dir)?,
            None => Catalogue::default(),
        };
        let skipped = catalogue.skipped.clone();
        let app = Arc::new(App::new(Settings {
            base,
            clock: config.clock,
            api_key: config.api_key,
            url_ttl: config.url_ttl,
            faults: config.faults,
            lifecycle: config.lifecycle,
            models: config.scenario.models,
            catalogue,
            seed: config.seed,
        }));
        for (id, script) in config.scenario.tasks {
            if app.peek(&id).is_none() {
                return Err(MockError::UnknownTask { id });
            }
            if let Some(lifecycle) = script.lifecycle {
                app.script(&id, lifecycle)?;
            }
            if let Some(faults) = script.faults {
                app.set_faults(&id, Some(faults))?;
            }
        }
        let (stop, stopped) = oneshot::channel::<()>();
        let limits = Limits {
            header_read_timeout: config.header_read_timeout,
            max_connections: config.max_connections,
        };
        let serving = tokio::spawn(serve(
            listener,
            routes::router(Arc::clone(&app)),
            limits,
            stopped,
        ));
        tracing::info!(%addr, tasks = app.task_ids().len(), skipped = skipped.len(), "mock FoxAPI listening");
        Ok(MockServer {
            addr,
            base_url,
            app,
            skipped,
            stop: Some(stop),
            serving: Some(serving),
        })
    }

    /// The base URL to give a client, such as `http://127.0.0.1:41234` (no trailing slash).
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The address bound.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The clock of lifecycles and URL expiry (advance it to move time-based tasks on).
    pub fn clock(&self) -> &MockClock {
        &self.app.settings.clock
    }

    /// The fixture files not served, and why (fixtures/invalid/ breaks the contract on purpose).
    pub fn skipped(&self) -> &[Skipped] {
        &self.skipped
    }

    /// The ids of every task served, sorted.
    pub fn task_ids(&self) -> Vec<String> {
        self.app.task_ids()
    }

    /// The envelope task `id` would answer now, without counting a poll.
    pub fn peek(&self, id: &str) -> Option<Value> {
        self.app.peek(id)
    }

    /// How many polls task `id` has answered (requests refused by a fault do not count).
    pub fn polls(&self, id: &str) -> Option<u64> {
        self.app.polls(id)
    }

    /// The faults injected so far, by kind.
    pub fn fault_counts(&self) -> FaultCounts {
        self.app.fault_counts()
    }

    /// Serves `envelope` (which must keep the contract) at its id, replacing any task there;
    /// with a lifecycle, the task runs it from now and completes with the envelope's results
    /// (or those of its model or type). Returns the id.
    pub fn add_task(
        &self,
        envelope: &Value,
        lifecycle: Option<Lifecycle>,
    ) -> Result<String, MockError> {
        self.app.add_task(envelope, lifecycle)
    }

    /// Makes task `id` run `lifecycle` from now.
    pub fn script(&self, id: &str, lifecycle: Lifecycle) -> Result<(), MockError> {
        self.app.script(id, lifecycle)
    }

    /// Gives task `id` (its polls and downloads) its own faults; `None` restores the server's.
    pub fn set_faults(&self, id: &str, faults: Option<Faults>) -> Result<(), MockError> {
        self.app.set_faults(id, faults)
    }

    /// Stops accepting connections, lets open ones finish, and waits until the server is done.
    pub async fn shutdown(mut self) -> Result<(), MockError> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.serving.take() {
            Some(serving) => match serving.await {
                Ok(result) => result.map_err(|source| MockError::Serve { source }),
                Err(e) => Err(MockError::Serve {
                    source: std::io::Error::other(format!("the server task ended abnormally: {e}")),
                }),
            },
            None => Ok(()),
        }
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// What bounds the connections of a server.
#[derive(Clone, Copy, Debug)]
struct Limits {
    header_read_timeout: Duration,
    max_connections: usize,
}

/// Accepts connections until `stopped` (or its sender is dropped), each served over HTTP/1.1
/// with a header-read timeout and counted against the connection limit; then lets the open
/// ones finish their answers and closes them.
async fn serve(
    listener: TcpListener,
    router: axum::Router,
    limits: Limits,
    stopped: oneshot::Receiver<()>,
) -> std::io::Result<()> {
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    let mut stopped = std::pin::pin!(stopped);
    loop {
        let permit = tokio::select! {
            permit = Arc::clone(&permits).acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
            _ = &mut stopped => break,
        };
        let Some(tcp) = super::listen::accept(&listener, &mut stopped, "mock").await else {
            break;
        };
        let stream = CuttableStream::new(tcp);
        let connection = axum::extract::ConnectInfo(stream.cut());
        let service = hyper_util::service::TowerToHyperService::new(
            router.clone().layer(axum::Extension(connection)),
        );
        let served = super::listen::http1(limits.header_read_timeout)
            .serve_connection(hyper_util::rt::TokioIo::new(stream), service);
        let served = graceful.watch(served);
        tokio::spawn(async move {
            if let Err(e) = served.await {
                tracing::debug!(error = %e, "mock: connection ended");
            }
            drop(permit);
        });
    }
    graceful.shutdown().await;
    Ok(())
}
