//! `foxapi-contract proxy`: the contract proxy on a loopback address, until Ctrl-C or SIGTERM;
//! then the reports and the exit code. Argument parsing only; the proxy is
//! [`foxapi_contract::proxy`].

use super::format::Destination;
use foxapi_contract::harness::report::file::{check_destinations, ReportFile};
use foxapi_contract::proxy::{Mode, Proxy, ProxyConfig, ProxyReport};
use foxapi_contract::untrusted::printable;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// Forward an application's FoxAPI traffic, holding every answer to the contract.
#[derive(clap::Args, Debug)]
pub struct ProxyArgs {
    /// The FoxAPI base URL to forward to, such as https://api.foxapi.cc. Not needed with
    /// --replay.
    #[arg(long, value_name = "URL", required_unless_present = "replay")]
    pub upstream: Option<String>,

    /// The loopback address to listen on; port 0 picks a free port. The address bound is
    /// printed as `listening on http://ADDR`.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:0")]
    pub addr: SocketAddr,

    /// Record every exchange into DIR: cassettes/, fixtures/ (what validate and serve
    /// --fixtures read) and files/ (the result files of completed tasks). Secrets are removed
    /// before anything is written.
    #[arg(long, value_name = "DIR", conflicts_with = "replay")]
    pub record: Option<PathBuf>,

    /// Serve a recorded DIR offline: poll sequences in order, result URLs rewritten to the
    /// files recorded, anything else a 404 naming what was not recorded.
    #[arg(long, value_name = "DIR")]
    pub replay: Option<PathBuf>,

    /// Write a report when stopped: PATH (format from .json, .xml or .txt) or FORMAT:PATH, the
    /// formats of `validate --report`. Repeatable.
    #[arg(long = "report", value_name = "[FORMAT:]PATH")]
    pub reports: Vec<Destination>,

    /// Make every warning (drift) a violation.
    #[arg(long)]
    pub strict: bool,

    /// Answer a violating answer with a 502 whose section 4 body names the violation, instead
    /// of passing it on.
    #[arg(long)]
    pub fail_on_violation: bool,

    /// The largest request body accepted (larger: 413) and the largest answer held to
    /// validate or record it (larger: passed on unvalidated, with a warning), in bytes.
    #[arg(long, value_name = "N", default_value_t = ProxyConfig::default().max_bytes as u64, value_parser = clap::value_parser!(u64).range(1..))]
    pub max_bytes: u64,

    /// Upstream idle timeout: how long the upstream may take to send the answer's head, and
    /// then each next chunk of its body; when nothing comes for that long the application
    /// gets a 502 (or its streamed answer is cut) and it is an upstream fault. A slow stream or
    /// download that keeps sending is not cut. In seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 120, value_parser = clap::value_parser!(u64).range(1..))]
    pub upstream_timeout: u64,

    /// How long connecting to the upstream may take.
    #[arg(long, value_name = "SECONDS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..))]
    pub connect_timeout: u64,

    /// How long a connection may take to send a request's head, or sit idle between
    /// requests, before it is closed, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
    pub header_read_timeout: u64,

    /// Request body idle timeout: how long the application may take to send the next chunk
    /// of a request body; when nothing comes for that long it gets a 408. A slow upload that
    /// keeps sending is not cut (--max-bytes bounds its size). In seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
    pub request_body_timeout: u64,

    /// On SIGINT or SIGTERM, how long the exchanges under way (and a recording's result
    /// downloads) may take to finish; then open connections are dropped and the reports
    /// written, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 10)]
    pub shutdown_grace: u64,
}

impl ProxyArgs {
    /// The proxy's configuration from the flags.
    fn config(&self) -> ProxyConfig {
        let mode = match (&self.record, &self.replay) {
            (Some(dir), _) => Mode::Record(dir.clone()),
            (None, Some(dir)) => Mode::Replay(dir.clone()),
            (None, None) => Mode::PassThrough,
        };
        ProxyConfig {
            addr: self.addr,
            upstream: self.upstream.clone(),
            mode,
            strict: self.strict,
            fail_on_violation: self.fail_on_violation,
            max_bytes: usize::try_from(self.max_bytes).unwrap_or(usize::MAX),
            upstream_timeout: Duration::from_secs(self.upstream_timeout),
            connect_timeout: Duration::from_secs(self.connect_timeout),
            header_read_timeout: Duration::from_secs(self.header_read_timeout),
            request_body_timeout: Duration::from_secs(self.request_body_timeout),
            shutdown_grace: Duration::from_secs(self.shutdown_grace),
            ..ProxyConfig::default()
        }
    }
}

/// Runs `proxy`: 0 when no answer broke the contract, the upstream never failed and replay
/// held every request, 1 when an answer did, the upstream failed (a body cut midway
/// included) or a request was not recorded (or a report could not be written), 2 when it cannot
/// start (a report file that cannot be created included: found at once, not at the end).
pub fn run(args: ProxyArgs) -> ExitCode {
    let paths: Vec<PathBuf> = args.reports.iter().map(|d| d.path.clone()).collect();
    if let Err(e) = check_destinations(&paths, &[]) {
        eprintln!("error: {}", printable(&e));
        return ExitCode::from(2);
    }
    let mut files = Vec::new();
    for dest in &args.reports {
        match ReportFile::create(dest.format, &dest.path, false) {
            Ok(file) => files.push(file),
            Err(e) => {
                eprintln!(
                    "error: {}: cannot create the report: {e}",
                    printable(&dest.path.to_string_lossy())
                );
                return ExitCode::from(2);
            }
        }
    }
    super::block_on(true, 2, serve(args, files)).unwrap_or_else(|code| code)
}

async fn serve(args: ProxyArgs, files: Vec<ReportFile>) -> ExitCode {
    let proxy = match Proxy::start(args.config()).await {
        Ok(proxy) => proxy,
        Err(e) => {
            eprintln!("error: {}", printable(&e.to_string()));
            return ExitCode::from(2);
        }
    };
    for corrupt in proxy.corrupt() {
        eprintln!("warning: cassette not replayed: {corrupt}");
    }
    let not_recorded = proxy.not_recorded();
    if !not_recorded.is_empty() {
        eprintln!(
            "warning: the recording holds {} answers whose bodies were not recorded; replay answers each with a 502 not_recorded:",
            not_recorded.len()
        );
        for answer in not_recorded {
            eprintln!("  {answer}");
        }
    }
    // Signals are listened for before the address is printed: a client may stop the
    // proxy as soon as it reads it.
    let stopped = super::stop_signal();
    let mut events = proxy.events();
    let printer = tokio::spawn(async move {
        while let Some(event) = events.recv().await {
            eprintln!("{event}");
        }
    });
    super::serve::print_listening(proxy.base_url());
    stopped.await;
    let report = proxy.shutdown().await;
    // The proxy is gone, so are the senders: the printer ends after the last event.
    let _ = printer.await;
    let written = write_reports(files, &report);
    eprintln!(
        "proxy: {} requests, {} answers checked: {} valid, {} violations; {} upstream faults; {} not recorded",
        report.exchanges,
        report
            .summary
            .checked
            .saturating_sub(report.faults + report.not_recorded),
        report.summary.valid,
        report.violations.len(),
        report.faults,
        report.not_recorded
    );
    if report.passed() && written {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// Writes every report file (created at start-up); false when one could not be written
/// (said on stderr).
fn write_reports(files: Vec<ReportFile>, report: &ProxyReport) -> bool {
    let mut all = true;
    for mut file in files {
        let shown = printable(&file.path().to_string_lossy()).into_owned();
        let written = report
            .outcomes
            .iter()
            .try_for_each(|outcome| file.response(outcome))
            .and_then(|()| file.finish(&report.totals()));
        if let Err(e) = written {
            eprintln!("error: {shown}: cannot write the report: {e}");
            all = false;
        }
    }
    all
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser, Debug)]
    struct Cli {
        #[command(flatten)]
        proxy: ProxyArgs,
    }

    #[test]
    fn an_upstream_is_needed_unless_replaying() {
        let error = Cli::try_parse_from(["proxy"]).unwrap_err().to_string();
        assert!(error.contains("--upstream"), "{error}");
        let cli = Cli::try_parse_from(["proxy", "--replay", "rec"]).expect("replay alone");
        assert_eq!(cli.proxy.config().mode, Mode::Replay("rec".into()));
        let cli = Cli::try_parse_from(["proxy", "--upstream", "http://127.0.0.1:9"])
            .expect("pass-through");
        let config = cli.proxy.config();
        assert_eq!(config.mode, Mode::PassThrough);
        assert_eq!(config.addr.to_string(), "127.0.0.1:0");
    }

    #[test]
    fn record_and_replay_exclude_each_other() {
        let error = Cli::try_parse_from([
            "proxy",
            "--upstream",
            "http://127.0.0.1:9",
            "--record",
            "a",
            "--replay",
            "b",
        ])
        .unwrap_err()
        .to_string();
        assert!(error.contains("--replay"), "{error}");
    }
}
