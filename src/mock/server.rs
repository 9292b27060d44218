//! Starting and driving the mock: [`MockConfig`] in, a running [`MockServer`] out.

use super::app::{App, Settings};
use super::catalogue::{Catalogue, Skipped};
use super::connection::{Cut, CuttableListener};
use super::{routes, ApiKey, FaultCounts, Faults, Lifecycle, MockClock, MockError, Scenario};
use serde_json::Value;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
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
}

impl Default for MockConfig {
    /// `127.0.0.1:0`, no fixtures, any Bearer token, three polls per task, URLs valid for
    /// 24 hours (as the spec says), no faults, seed 0, the system clock.
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
        config.scenario.check("(given in code)")?;
        let listener = TcpListener::bind(config.addr)
            .await
            .map_err(|source| MockError::Bind {
                addr: config.addr,
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| MockError::Bind {
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
        let service = routes::router(Arc::clone(&app)).into_make_service_with_connect_info::<Cut>();
        let serving = tokio::spawn(async move {
            axum::serve(CuttableListener(listener), service)
                .with_graceful_shutdown(async move {
                    // A dropped sender stops the server as well.
                    let _ = stopped.await;
                })
                .await
        });
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
