//! What can go wrong talking to FoxAPI, each case keeping what is needed to diagnose it.

use crate::{ApiError, Issue, Report, Task};
use std::borrow::Cow;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

/// How many bytes of a raw body an error message quotes.
const QUOTE_BYTES: usize = 200;

/// A response body kept for diagnosis. The client builds it from bytes whose echoes of the
/// API key were already removed ([`ApiKey::remove_echoes_bytes`](super::ApiKey::remove_echoes_bytes)).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct RawBody(Vec<u8>);

impl RawBody {
    /// Wraps the bytes of a body.
    pub fn new(bytes: Vec<u8>) -> RawBody {
        RawBody(bytes)
    }

    /// The bytes as received.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The bytes as text, invalid UTF-8 replaced.
    pub fn text(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.0)
    }

    /// How many bytes were received.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether nothing was received.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The start of the body, quoted for a message.
    pub fn excerpt(&self) -> String {
        if self.0.is_empty() {
            return "an empty body".to_string();
        }
        let end = self.0.len().min(QUOTE_BYTES);
        let text = String::from_utf8_lossy(&self.0[..end]);
        let more = if self.0.len() > end { "…" } else { "" };
        // Debug quoting makes control characters visible; signed-URL secrets are masked.
        let quoted = format!("{text:?}");
        format!(
            "{} bytes: {}{more}",
            self.0.len(),
            crate::redact::mask_urls(&quoted)
        )
    }
}

impl fmt::Debug for RawBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RawBody({})", self.excerpt())
    }
}

/// An error of the client. Every variant says what was expected, what was found and where
/// (the URL, with signed query parameters replaced; the API key never appears).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The client cannot be built: a setting is missing or malformed.
    #[error("{setting}: expected {expected}, found {found}")]
    Config {
        /// The setting, such as `FOXAPI_API_KEY` or `base URL`.
        setting: &'static str,
        /// What it should be.
        expected: &'static str,
        /// What it is.
        found: String,
    },
    /// A task id that cannot be asked for.
    #[error("task id: expected one path segment, not '.' or '..', without '/', '\\', '?', '#' or '%' (such as task-unified-1757165031-uyujaw3d), found {found:?}")]
    InvalidTaskId {
        /// The id given.
        found: String,
    },
    /// The server answered with a non-2xx status.
    #[error("GET {url}: expected HTTP 200, found HTTP {status}{}", describe_status_body(error.as_deref(), body_issues, raw))]
    Status {
        /// The URL asked for.
        url: String,
        /// The HTTP status.
        status: u16,
        /// The section 4 error (`type`, `code`, `message`), when the body keeps section 4.
        error: Option<Box<ApiError>>,
        /// Why the body does not keep section 4; empty when it does, or when section 4 does
        /// not apply (a result URL on a CDN).
        body_issues: Vec<Issue>,
        /// What `Retry-After` asked for, if anything.
        retry_after: Option<Duration>,
        /// The body as received.
        raw: RawBody,
    },
    /// The connection failed, was dropped, or the body was cut short.
    #[error("GET {url}: {during}: {}{}", chain(source), describe_partial(raw))]
    Transport {
        /// The URL asked for.
        url: String,
        /// What the client was doing: connecting, reading the body.
        during: &'static str,
        /// What the HTTP stack said (without the URL, which is above, redacted).
        #[source]
        source: reqwest::Error,
        /// The part of the body received before the failure.
        raw: RawBody,
    },
    /// No answer within the request timeout.
    #[error(
        "GET {url}: expected an answer within {after:?}, found none in time{}",
        describe_partial(raw)
    )]
    Timeout {
        /// The URL asked for.
        url: String,
        /// The timeout.
        after: Duration,
        /// The part of the body received before the timeout.
        raw: RawBody,
    },
    /// A 200 body that breaks the contract.
    #[error(
        "GET {url}: expected a task that keeps the contract, found {}",
        describe_report(report)
    )]
    Contract {
        /// The URL asked for.
        url: String,
        /// Every error and warning of the body.
        report: Box<Report>,
        /// The body as received.
        raw: RawBody,
    },
    /// [`Client::wait`](crate::client::Client::wait) gave up at its deadline.
    #[error("task {id}: expected it to finish within {deadline:?}, found {} after {requests} requests{}", describe_last(last.as_deref()), describe_last_error(last_error.as_deref()))]
    Deadline {
        /// The task.
        id: String,
        /// The overall deadline.
        deadline: Duration,
        /// How many requests were made.
        requests: u32,
        /// The last state seen, if any request succeeded.
        last: Option<Box<Task>>,
        /// The last error, if the last request failed. A request the deadline cut short
        /// (given what was left of it, and timing out) is not a failure of the server's: the
        /// error is then the one before it, if that request failed.
        last_error: Option<Box<ClientError>>,
    },
    /// A task stayed `completed` without results after the re-queries the quirk allows.
    #[error("task {id}: expected results once completed, found none after {queries} queries (spec section 2 quirk, re-queried)")]
    CompletedWithoutResults {
        /// The task.
        id: String,
        /// How many answers said completed without results.
        queries: u32,
        /// The last answer.
        task: Box<Task>,
    },
    /// A task that has nothing to download yet.
    #[error(
        "task {id}: expected a completed task with results to download, found status {status:?}"
    )]
    NotDownloadable {
        /// The task.
        id: String,
        /// Its status.
        status: String,
    },
    /// A result URL that no longer serves the file.
    #[error("result {index} of task {id} at {url}: expected the file, found HTTP {status}: the URL has expired (result URLs expire 24 hours after the task completed)")]
    Expired {
        /// The task.
        id: String,
        /// The result's position in `results`.
        index: usize,
        /// The URL, signed parameters replaced.
        url: String,
        /// 403, 404 or 410.
        status: u16,
    },
    /// A result download still running when the deadline of the whole wait came; the partial
    /// file was removed.
    #[error("result {index} of task {id} at {url}: expected the download to end within the deadline ({deadline:?}), found it unfinished after {attempts} attempt(s); the partial file was removed{}", describe_last_error(last_error.as_deref()))]
    DownloadDeadline {
        /// The task.
        id: String,
        /// The result's position in `results`.
        index: usize,
        /// The URL, signed parameters replaced.
        url: String,
        /// The deadline of the whole wait.
        deadline: Duration,
        /// How many times the file was asked for.
        attempts: u32,
        /// The last error, if an attempt failed before the deadline.
        last_error: Option<Box<ClientError>>,
    },
    /// A result body whose length differs from the one its headers announced
    /// (`Content-Length`, or the range of a 206's `Content-Range`); nothing was stored.
    #[error("{url}: expected {expected} bytes ({announced}), found {found}; nothing was stored")]
    Incomplete {
        /// Where the body came from.
        url: String,
        /// The length announced.
        expected: u64,
        /// Which header announced it.
        announced: &'static str,
        /// How many bytes came.
        found: u64,
    },
    /// A body larger than the limit.
    #[error("{url}: expected at most {limit} bytes, found {found}")]
    TooLarge {
        /// Where the body came from.
        url: String,
        /// The limit.
        limit: u64,
        /// What was announced or received.
        found: String,
    },
    /// A file could not be written or read.
    #[error("{}: cannot {action}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What the client tried.
        action: &'static str,
        /// What the system said.
        #[source]
        source: std::io::Error,
    },
}

impl ClientError {
    /// Whether asking again later may succeed: 429, 5xx, a timeout, a connection dropped or
    /// refused, a body cut short (by the transport or shorter than announced).
    pub fn is_retryable(&self) -> bool {
        match self {
            ClientError::Status { status, .. } => *status == 429 || (500..=599).contains(status),
            ClientError::Transport { .. }
            | ClientError::Timeout { .. }
            | ClientError::Incomplete { .. } => true,
            _ => false,
        }
    }

    /// What `Retry-After` asked for, on a status error that carried one.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            ClientError::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// The HTTP status, for a status error.
    pub fn status(&self) -> Option<u16> {
        match self {
            ClientError::Status { status, .. } | ClientError::Expired { status, .. } => {
                Some(*status)
            }
            _ => None,
        }
    }

    /// The raw body kept for diagnosis, when there is one.
    pub fn raw_body(&self) -> Option<&RawBody> {
        match self {
            ClientError::Status { raw, .. }
            | ClientError::Transport { raw, .. }
            | ClientError::Timeout { raw, .. }
            | ClientError::Contract { raw, .. } => Some(raw),
            _ => None,
        }
    }
}

fn describe_status_body(error: Option<&ApiError>, issues: &[Issue], raw: &RawBody) -> String {
    match (error, issues.first()) {
        (Some(e), _) => {
            let code = match &e.code {
                Some(crate::ErrorCode::String(c)) => format!(" ({c})"),
                Some(crate::ErrorCode::Integer(c)) => format!(" ({c})"),
                None => String::new(),
            };
            // The message and code were made printable where they entered; the type is an
            // open set, an unknown one is the server's text too.
            let kind = e.type_.to_string();
            format!(
                ": {}{code}: {}",
                crate::untrusted::printable(&kind),
                e.message
            )
        }
        (None, Some(issue)) => format!("; the body breaks section 4 ({issue}): {}", raw.excerpt()),
        (None, None) => format!(": {}", raw.excerpt()),
    }
}

/// An error and its causes, `a: b: c`.
pub(crate) fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(e) = cause {
        let next = e.to_string();
        if !text.contains(&next) {
            text = format!("{text}: {next}");
        }
        cause = e.source();
    }
    text
}

fn describe_partial(raw: &RawBody) -> String {
    if raw.is_empty() {
        String::new()
    } else {
        format!(" (received before that: {})", raw.excerpt())
    }
}

fn describe_report(report: &Report) -> String {
    let count = report.errors.len();
    match report.errors.first() {
        Some(first) if count > 1 => format!(
            "{count} errors, the first {}",
            crate::untrusted::printable(&first.to_string())
        ),
        Some(first) => crate::untrusted::printable(&first.to_string()).into_owned(),
        None => "no errors (this is a bug of the client)".to_string(),
    }
}

fn describe_last(last: Option<&Task>) -> String {
    match last {
        Some(task) if task.status == crate::TaskStatus::Completed => {
            format!(
                "status completed at {}% but without results yet",
                task.progress
            )
        }
        Some(task) => format!("status {} at {}%", task.status.as_str(), task.progress),
        None => "no state (no request succeeded)".to_string(),
    }
}

fn describe_last_error(last: Option<&ClientError>) -> String {
    last.map(|e| format!("; the last request failed: {e}"))
        .unwrap_or_default()
}
