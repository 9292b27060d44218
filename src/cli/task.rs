//! `foxapi-contract task get|wait|download` and `foxapi-contract record`: the live client
//! on the command line.
//!
//! Exit codes: 0 done; 1 the task failed, has nothing to download, or an answer breaks the
//! contract; 2 usage (bad flags, no key, a malformed id or base URL, and answers that say
//! the request was wrong: 401, 404 and the other 4xx but 429); 3 transport, 429, 5xx, the
//! deadline, or the local disk.

use foxapi_contract::client::{
    Client, ClientError, Downloaded, FetchedTask, Progress, Saved, WaitPolicy, DEFAULT_BASE_URL,
    DEFAULT_RECORD_DIR,
};
use foxapi_contract::redact::mask_urls;
use foxapi_contract::untrusted::printable;
use foxapi_contract::ApiKey;
use foxapi_contract::TaskStatus;
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;
use tokio::time::Instant;

/// Exit code: the task is done (or the answer was shown) and keeps the contract.
const DONE: u8 = 0;
/// Exit code: the task failed, or an answer breaks the contract.
const FAILED: u8 = 1;
/// Exit code: the command was used wrongly.
const USAGE: u8 = 2;
/// Exit code: the network, the server, the deadline or the disk let us down.
const TRANSPORT: u8 = 3;
/// Exit code: stopped by SIGINT or SIGTERM (128 + SIGINT, as shells report it).
const INTERRUPTED: u8 = 130;

/// Where FoxAPI is and who is asking; shared by every command that talks to it.
#[derive(clap::Args, Debug)]
pub struct ConnectionArgs {
    /// The FoxAPI base URL (a local mock for offline runs).
    #[arg(long, global = true, env = "FOXAPI_BASE_URL", default_value = DEFAULT_BASE_URL, value_name = "URL")]
    pub base_url: String,
    /// The API key; prefer the environment variable, a flag shows in the process list.
    #[arg(
        long,
        global = true,
        env = "FOXAPI_API_KEY",
        hide_env_values = true,
        value_name = "KEY",
        value_parser = super::secret::ApiKeyParser
    )]
    pub api_key: Option<ApiKey>,
    /// Print signed result URLs whole (their signatures and tokens are masked by default).
    #[arg(long, global = true)]
    pub show_secrets: bool,
}

/// What to do with one task.
#[derive(clap::Subcommand, Debug)]
pub enum TaskCommand {
    /// Fetch a task, hold it to the contract and print it as JSON (warnings on stderr).
    Get {
        /// The task id, such as task-unified-1757165031-uyujaw3d.
        id: String,
        /// Ask FoxAPI to refresh the upstream state first.
        #[arg(long)]
        sync_upstream: bool,
    },
    /// Poll a task until it fails or completes with results, then print it.
    Wait {
        /// The task id.
        id: String,
        /// The pause between polls while the task runs (500ms, 5s, 2m).
        #[arg(long, default_value = "5s", value_parser = parse_duration, value_name = "DURATION")]
        interval: Duration,
        /// Give up after this long (500ms, 90s, 30m, 1h).
        #[arg(long, default_value = "30m", value_parser = parse_duration, value_name = "DURATION")]
        timeout: Duration,
        /// Then download the results into this directory.
        #[arg(long, value_name = "DIR")]
        download: Option<PathBuf>,
    },
    /// Download the results of a completed task; files already there are skipped, except
    /// those an earlier run could not verify (no length announced), which are checked with a
    /// range request.
    Download {
        /// The task id.
        id: String,
        /// The directory to write into (created if missing).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// Give up after this long, the task's request and every file included.
        #[arg(long, default_value = "30m", value_parser = parse_duration, value_name = "DURATION")]
        timeout: Duration,
    },
}

/// `record ID [--out DIR]`: save a live answer as a fixture, secrets removed.
#[derive(clap::Args, Debug)]
pub struct RecordArgs {
    /// The task id.
    pub id: String,
    /// Fixtures go to DIR/<model>/<task id>.json.
    #[arg(long, default_value = DEFAULT_RECORD_DIR, value_name = "DIR")]
    pub out: PathBuf,
}

/// Reads `500ms`, `5s`, `2m`, `1h`, or a bare number of seconds; zero is refused.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let expected = "expected a duration such as 500ms, 5s, 2m or 1h";
    let value: f64 = number
        .parse()
        .map_err(|_| format!("{expected}, found {text:?}"))?;
    let seconds = match unit.trim() {
        "ms" => value / 1000.0,
        "" | "s" => value,
        "m" => value * 60.0,
        "h" => value * 3600.0,
        other => return Err(format!("{expected}, found the unit {other:?}")),
    };
    match Duration::try_from_secs_f64(seconds) {
        Ok(d) if !d.is_zero() => Ok(d),
        _ => Err(format!("{expected} and longer than zero, found {text:?}")),
    }
}

/// Runs `task get|wait|download`.
pub fn run_task(conn: ConnectionArgs, cmd: TaskCommand) -> ExitCode {
    let shown = Shown {
        secrets: conn.show_secrets,
    };
    run(conn, |client| async move {
        match cmd {
            TaskCommand::Get { id, sync_upstream } => get(&client, shown, &id, sync_upstream).await,
            TaskCommand::Wait {
                id,
                interval,
                timeout,
                download,
            } => {
                let policy = WaitPolicy {
                    interval,
                    deadline: timeout,
                    ..WaitPolicy::default()
                };
                wait(&client, shown, &id, &policy, download.as_deref()).await
            }
            TaskCommand::Download { id, out, timeout } => {
                let until = Instant::now() + timeout;
                let policy = WaitPolicy {
                    deadline: timeout,
                    ..WaitPolicy::default()
                };
                let fetched = client.get_task(&id, false).await?;
                print_warnings(&fetched);
                let code = verdict(&fetched);
                if code != DONE {
                    eprintln!(
                        "error: task {}: expected a completed task, found status {}",
                        printable(&id),
                        printable(fetched.parsed.task.status.as_str())
                    );
                    return Ok(code);
                }
                let saved = client
                    .download_until(&fetched.parsed, &out, &policy, until)
                    .await?;
                print_saved(&saved, false);
                Ok(DONE)
            }
        }
    })
}

/// Runs `record`.
pub fn run_record(conn: ConnectionArgs, args: RecordArgs) -> ExitCode {
    run(conn, |client| async move {
        let fetched = client.get_task(&args.id, false).await?;
        print_warnings(&fetched);
        let path = client.save_fixture(&fetched, &args.out)?;
        println!("{}", path.display());
        Ok(DONE)
    })
}

/// Builds the client and a runtime, runs `work`, and turns its outcome into an exit code.
fn run<F, Fut>(conn: ConnectionArgs, work: F) -> ExitCode
where
    F: FnOnce(Client) -> Fut,
    Fut: std::future::Future<Output = Result<u8, ClientError>>,
{
    let mut builder = Client::builder().base_url(conn.base_url);
    if let Some(key) = conn.api_key {
        builder = builder.api_key(key);
    }
    let client = match builder.build() {
        Ok(client) => client,
        Err(error) => return fail(&error),
    };
    let work = async {
        tokio::select! {
            outcome = work(client) => Some(outcome),
            () = super::stop_signal() => None,
        }
    };
    let outcome = match super::block_on(false, TRANSPORT, work) {
        Ok(outcome) => outcome,
        Err(code) => return code,
    };
    // On a signal the work was dropped above, and with it any download's temporary file.
    match outcome {
        Some(Ok(code)) => ExitCode::from(code),
        Some(Err(error)) => fail(&error),
        None => {
            eprintln!("error: interrupted; partial downloads removed");
            ExitCode::from(INTERRUPTED)
        }
    }
}

/// Prints an error. Nothing is scrubbed here: the key never enters an error (echoes are
/// removed where a body enters the client) and server text was made printable there.
fn fail(error: &ClientError) -> ExitCode {
    eprintln!("error: {error}");
    ExitCode::from(exit_code(error))
}

/// The exit code an error ends the command with.
pub fn exit_code(error: &ClientError) -> u8 {
    match error {
        ClientError::Config { .. } | ClientError::InvalidTaskId { .. } => USAGE,
        ClientError::Status { status, .. } if *status == 429 || *status >= 500 => TRANSPORT,
        ClientError::Status { status, .. } if (400..500).contains(status) => USAGE,
        ClientError::Status { .. } => TRANSPORT,
        ClientError::Contract { .. }
        | ClientError::CompletedWithoutResults { .. }
        | ClientError::NotDownloadable { .. }
        | ClientError::Expired { .. }
        | ClientError::TooLarge { .. } => FAILED,
        ClientError::Transport { .. }
        | ClientError::Timeout { .. }
        | ClientError::Deadline { .. }
        | ClientError::DownloadDeadline { .. }
        | ClientError::Incomplete { .. }
        | ClientError::Io { .. } => TRANSPORT,
        _ => TRANSPORT,
    }
}

/// 0 unless the task failed.
fn verdict(fetched: &FetchedTask) -> u8 {
    if fetched.parsed.task.status == TaskStatus::Failed {
        FAILED
    } else {
        DONE
    }
}

/// What a printed task may show.
#[derive(Clone, Copy, Debug)]
struct Shown {
    /// Signed URLs whole (`--show-secrets`).
    secrets: bool,
}

/// Text of a server as a line of stderr shows it: signed-URL secrets masked, control
/// characters and bidi overrides made visible.
fn untrusted(text: &str) -> String {
    printable(&mask_urls(text)).into_owned()
}

fn print_warnings(fetched: &FetchedTask) {
    for issue in &fetched.parsed.warnings {
        // The validator masked what it quoted; the rest of the message may quote names.
        eprintln!("warning: {}", printable(&issue.to_string()));
    }
}

/// Prints the task as JSON on stdout (JSON escapes what a terminal would obey; signed-URL
/// secrets masked unless `--show-secrets`), and why it failed on stderr.
fn print_task(shown: Shown, fetched: &FetchedTask) {
    // The answer as received, not the typed form re-serialised: keys the contract does not
    // know yet are shown too.
    let mut json = fetched.raw.clone();
    if !shown.secrets {
        foxapi_contract::redact::mask_json(&mut json);
    }
    let text = serde_json::to_string_pretty(&json).unwrap_or_else(|_| json.to_string());
    println!("{text}");
    let task = &fetched.parsed.task;
    if let Some(error) = task
        .error
        .as_ref()
        .filter(|_| task.status == TaskStatus::Failed)
    {
        let message = if shown.secrets {
            printable(&error.message).into_owned()
        } else {
            untrusted(&error.message)
        };
        eprintln!("task {} failed: {message}", untrusted(&task.id));
    }
}

fn print_saved(saved: &[Downloaded], to_stderr: bool) {
    for file in saved {
        let line = match file.saved {
            Saved::Downloaded(bytes) => {
                format!("downloaded {} ({bytes} bytes)", file.path.display())
            }
            Saved::Unverified(bytes) => format!(
                "downloaded {} ({bytes} bytes, unverified: the server announced no length, so a cut cannot be told from the end; run the download again to check it)",
                file.path.display()
            ),
            Saved::Verified(bytes) => format!(
                "verified {} ({bytes} bytes, whole: the server has no bytes past them)",
                file.path.display()
            ),
            Saved::Resumed { appended, size } => format!(
                "resumed {} ({appended} bytes appended, {size} bytes in all)",
                file.path.display()
            ),
            Saved::Written => format!("wrote {}", file.path.display()),
            Saved::Skipped => format!("skipped {} (already there)", file.path.display()),
            other => format!("{other:?} {}", file.path.display()),
        };
        if to_stderr {
            eprintln!("{line}");
        } else {
            println!("{line}");
        }
    }
}

async fn get(
    client: &Client,
    shown: Shown,
    id: &str,
    sync_upstream: bool,
) -> Result<u8, ClientError> {
    let fetched = client.get_task(id, sync_upstream).await?;
    print_warnings(&fetched);
    print_task(shown, &fetched);
    Ok(verdict(&fetched))
}

/// Polls, then downloads, all within `--timeout`, counted from the start.
async fn wait(
    client: &Client,
    shown: Shown,
    id: &str,
    policy: &WaitPolicy,
    download: Option<&Path>,
) -> Result<u8, ClientError> {
    let until = Instant::now() + policy.deadline;
    let mut display = Display::new(id);
    let result = client
        .wait(id, policy, |progress| display.show(&progress))
        .await;
    display.finish();
    let fetched = result?;
    print_warnings(&fetched);
    print_task(shown, &fetched);
    let code = verdict(&fetched);
    if let (DONE, Some(dir)) = (code, download) {
        let saved = client
            .download_until(&fetched.parsed, dir, policy, until)
            .await?;
        print_saved(&saved, true);
    }
    Ok(code)
}

/// How `task wait` shows progress: a bar on a terminal, a line per change otherwise.
struct Display {
    bar: Option<ProgressBar>,
    last: Option<(String, String)>,
}

impl Display {
    fn new(id: &str) -> Display {
        let terminal = std::io::stderr().is_terminal() && std::env::var_os("CI").is_none();
        let bar = terminal.then(|| {
            let bar = ProgressBar::new(100);
            if let Ok(style) =
                ProgressStyle::with_template("{spinner} {prefix} [{bar:30}] {pos:>3}% {msg}")
            {
                bar.set_style(style.progress_chars("=> "));
            }
            bar.set_prefix(printable(id).into_owned());
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        });
        Display { bar, last: None }
    }

    fn show(&mut self, progress: &Progress<'_>) {
        let (position, message) = match progress {
            Progress::State { task, .. } => {
                let status = match (
                    &task.status,
                    task.results.as_ref().is_none_or(Vec::is_empty),
                ) {
                    (TaskStatus::Completed, true) => "completed, waiting for results".to_string(),
                    (status, _) => printable(status.as_str()).into_owned(),
                };
                (task.progress.as_u64().map(|p| p.min(100)), status)
            }
            Progress::Retrying { error, pause, .. } => {
                (None, format!("retrying in {pause:.1?}: {error}"))
            }
            _ => return,
        };
        match &self.bar {
            Some(bar) => {
                if let Some(p) = position {
                    bar.set_position(p);
                }
                bar.set_message(message);
            }
            None => {
                let shown = (
                    position.map(|p| format!("{p}%")).unwrap_or_default(),
                    message,
                );
                if self.last.as_ref() != Some(&shown) {
                    eprintln!("{} {}", shown.1, shown.0);
                    self.last = Some(shown);
                }
            }
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_with_units() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("5"), Ok(Duration::from_secs(5)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("1.5h"), Ok(Duration::from_secs(5400)));
        for bad in ["", "0s", "5d", "s", "-1s", "1e400"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }
}
