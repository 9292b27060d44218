//! `foxapi-contract serve`: the mock FoxAPI server on a loopback address, until Ctrl-C or
//! SIGTERM. Argument parsing only; the server is [`foxapi_contract::mock`].

use foxapi_contract::mock::{
    Faults, Lifecycle, MockClock, MockConfig, MockError, MockServer, Scenario, Span,
};
use foxapi_contract::ApiKey;
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

/// Serve the FoxAPI task API from fixtures, with scripted lifecycles and faults.
#[derive(clap::Args, Debug)]
pub struct ServeArgs {
    /// The loopback address to listen on; port 0 picks a free port. The address bound is
    /// printed as `listening on http://ADDR`.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:0")]
    pub addr: SocketAddr,

    /// A directory of task envelopes (`*.json`, searched recursively) served by their `id`;
    /// files that break the contract are skipped. Default: the crate's shipped fixtures when
    /// they are on this machine, else none (submitted tasks still work).
    #[arg(long, value_name = "DIR")]
    pub fixtures: Option<PathBuf>,

    /// The API key requests must present as `Authorization: Bearer <key>`. Unset, any Bearer
    /// token is accepted (the header is still required). Prefer the environment variable:
    /// a flag shows in process listings.
    #[arg(
        long,
        value_name = "KEY",
        env = "FOXAPI_API_KEY",
        hide_env_values = true,
        value_parser = super::secret::ApiKeyParser
    )]
    pub api_key: Option<ApiKey>,

    /// How many polls a submitted task answers before it is over: the first pending, the
    /// others processing with rising progress.
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub polls: u32,

    /// Report `completed` without results for one poll before attaching them (the documented
    /// quirk).
    #[arg(long)]
    pub quirk_empty_completed: bool,

    /// How long result URLs work after their task completed; then they answer 403.
    #[arg(long, value_name = "SECONDS", default_value_t = 24 * 60 * 60)]
    pub url_ttl: u64,

    /// The share of requests answered 429 with `Retry-After`.
    #[arg(long, value_name = "R", default_value_t = 0.0, value_parser = rate)]
    pub fault_rate_429: f64,

    /// The `Retry-After` of 429 answers, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 1)]
    pub retry_after: u32,

    /// The share of requests answered 500 or 503.
    #[arg(long, value_name = "R", default_value_t = 0.0, value_parser = rate)]
    pub fault_rate_5xx: f64,

    /// Latency added to every answer, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 0)]
    pub latency_ms: u64,

    /// The share of answers whose body is cut short (then the connection closes).
    #[arg(long, value_name = "R", default_value_t = 0.0, value_parser = rate)]
    pub truncate_rate: f64,

    /// The share of requests whose connection closes without an answer.
    #[arg(long, value_name = "R", default_value_t = 0.0, value_parser = rate)]
    pub drop_rate: f64,

    /// Seeds the faults and the ids of submitted tasks: the same seed and requests give the
    /// same answers.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub seed: u64,

    /// A JSON file of scripts (lifecycle, faults) by task id and by model.
    #[arg(long, value_name = "FILE")]
    pub scenario: Option<PathBuf>,

    /// How long a connection may take to send a request's head, or sit idle between
    /// requests, before it is closed, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
    pub header_read_timeout: u64,

    /// The most connections served at once; more wait to be accepted.
    #[arg(long, value_name = "N", default_value_t = 1024, value_parser = clap::value_parser!(u64).range(1..=65536))]
    pub max_connections: u64,
}

/// A fault rate: a number in `0..=1`.
fn rate(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(r) if (0.0..=1.0).contains(&r) => Ok(r),
        _ => Err(format!("expected a rate in 0..=1, found {text:?}")),
    }
}

impl ServeArgs {
    /// The mock's configuration from the flags (and the scenario file they name).
    fn config(self) -> Result<MockConfig, MockError> {
        let scenario = match &self.scenario {
            Some(path) => Scenario::from_file(path)?,
            None => Scenario::default(),
        };
        let mut lifecycle = Lifecycle::polls(self.polls);
        if self.quirk_empty_completed {
            lifecycle = lifecycle.with_empty_completed(Span::Polls(1));
        }
        Ok(MockConfig {
            addr: self.addr,
            fixtures: self.fixtures,
            api_key: self.api_key,
            lifecycle,
            url_ttl: Duration::from_secs(self.url_ttl),
            faults: Faults {
                rate_429: self.fault_rate_429,
                retry_after_secs: self.retry_after,
                rate_5xx: self.fault_rate_5xx,
                latency_ms: self.latency_ms,
                truncate_rate: self.truncate_rate,
                drop_rate: self.drop_rate,
            },
            seed: self.seed,
            scenario,
            header_read_timeout: Duration::from_secs(self.header_read_timeout),
            max_connections: usize::try_from(self.max_connections).unwrap_or(1024),
            clock: MockClock::system(),
        })
    }
}

/// The fixtures this crate was built with, if they are still where the build found them.
fn shipped_fixtures() -> Option<PathBuf> {
    let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures"));
    dir.is_dir().then_some(dir)
}

/// Runs `serve`: 0 after a clean stop, 2 when it cannot start (bad fixtures directory,
/// scenario or address), 1 when serving fails.
pub fn run(mut args: ServeArgs) -> ExitCode {
    if args.fixtures.is_none() {
        args.fixtures = shipped_fixtures();
    }
    let fixtures = args
        .fixtures
        .clone()
        .unwrap_or_else(|| PathBuf::from("(none)"));
    let scenario = args.scenario.clone();
    let config = match args.config() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    super::block_on(true, 1, serve(config, fixtures, scenario)).unwrap_or_else(|code| code)
}

async fn serve(config: MockConfig, fixtures: PathBuf, scenario: Option<PathBuf>) -> ExitCode {
    let server = match MockServer::start(config).await {
        Ok(server) => server,
        Err(e @ MockError::UnknownTask { .. }) => {
            let origin = scenario.as_deref().unwrap_or(Path::new("(none)")).display();
            eprintln!(
                "error: scenario {origin}: tasks: {e} (from {})",
                fixtures.display()
            );
            return ExitCode::from(2);
        }
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    // Signals are listened for before the address is printed: a client may stop the
    // server as soon as it reads it.
    let stopped = super::stop_signal();
    for skipped in server.skipped() {
        tracing::debug!(path = %skipped.path.display(), reason = %skipped.reason, "fixture not served");
    }
    eprintln!(
        "serving {} tasks from {} ({} files not served: they break the contract or repeat an id)",
        server.task_ids().len(),
        fixtures.display(),
        server.skipped().len()
    );
    print_listening(server.base_url());
    stopped.await;
    match server.shutdown().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}

/// Prints `listening on BASE_URL`, the one line of stdout, flushed; on stderr when stdout
/// cannot take it.
pub(super) fn print_listening(base_url: &str) {
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = writeln!(stdout, "listening on {base_url}").and_then(|()| stdout.flush()) {
        eprintln!("warning: cannot print the address to stdout ({e}); listening on {base_url}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::{CommandFactory, Parser};

    #[derive(Parser, Debug)]
    struct Cli {
        #[command(flatten)]
        serve: ServeArgs,
    }

    #[test]
    fn defaults_are_loopback_the_shipped_fixtures_and_no_faults() {
        let cli = Cli::try_parse_from(["serve"]).expect("defaults parse");
        assert_eq!(cli.serve.addr.to_string(), "127.0.0.1:0");
        assert!(cli.serve.fixtures.is_none());
        assert!(shipped_fixtures().is_some_and(|dir| dir.ends_with("fixtures")));
        let config = cli.serve.config().expect("a config");
        assert_eq!(config.faults, Faults::default());
        assert_eq!(config.lifecycle, Lifecycle::polls(3));
    }

    #[test]
    fn rates_outside_zero_to_one_are_refused_with_what_was_found() {
        let error = Cli::try_parse_from(["serve", "--drop-rate", "1.5"])
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("expected a rate in 0..=1, found \"1.5\""),
            "{error}"
        );
    }

    #[test]
    fn the_api_key_shows_neither_in_debug_nor_in_help() {
        let cli = Cli::try_parse_from(["serve", "--api-key", "sk-cli-secret-123"]).expect("parses");
        assert!(!format!("{cli:?}").contains("sk-cli-secret-123"));
        let mut command = Cli::command();
        let key = command
            .get_arguments()
            .find(|a| a.get_id() == "api_key")
            .expect("the --api-key argument");
        assert!(
            key.is_hide_env_values_set(),
            "the env value would show in --help"
        );
        let help = command.render_long_help().to_string();
        assert!(help.contains("FOXAPI_API_KEY"));
    }
}
