//! `GET /v1/tasks/{id}`: one request, its answer classified and, when 2xx, validated.

use super::error::RawBody;
use super::{redact, Client, ClientError};
use crate::input::{self, Limits};
use crate::{ApiError, Contract, ErrorBody, Issue, Parsed};
use serde_json::Value;
use std::time::Duration;

/// A task fetched from the API that keeps the contract.
///
/// [`FetchedTask::parsed`] is the one typed form of the answer: the envelope, its results
/// typed by model ([`crate::ResultItem`], whose [`url`](crate::ResultItem::url) and ids
/// [`Client::download`] reads) and the warnings. [`FetchedTask::raw`] keeps the JSON as
/// received for what must reproduce it exactly: a recorded fixture, a printed task.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct FetchedTask {
    /// The answer, typed: the envelope, its results typed by model, and what the contract
    /// allows but reports (drift, the documented quirks) as warnings.
    pub parsed: Parsed,
    /// The answer as JSON, as received (echoes of the API key removed): what
    /// [`Client::save_fixture`] records and `task get` prints, which must be the server's
    /// JSON key for key, not the typed form re-serialised (that drops keys the contract does
    /// not know yet, which are the drift a fixture is recorded to show).
    pub raw: Value,
}

/// The part of a body read before a failure.
pub(crate) struct BodyError {
    pub(crate) source: reqwest::Error,
    pub(crate) partial: Vec<u8>,
}

/// Reads a body chunk by chunk, stopping once it holds more than `limit` bytes (so a caller
/// can tell "too large" from "exactly the limit").
pub(crate) async fn read_limited(
    response: &mut reqwest::Response,
    limit: usize,
) -> Result<Vec<u8>, BodyError> {
    let mut body = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                body.extend_from_slice(&chunk);
                if body.len() > limit {
                    return Ok(body);
                }
            }
            Ok(None) => return Ok(body),
            Err(source) => {
                return Err(BodyError {
                    source,
                    partial: body,
                })
            }
        }
    }
}

/// `Retry-After` as a wait: a number of seconds, or an HTTP date (the wait until then; zero
/// when it has passed).
pub(super) fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let value = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(
        when.duration_since(std::time::SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

impl Client {
    /// The URL of a task, or why the id cannot be one.
    /// The id must be one path segment of its own: not empty, not `.` or `..` (which a URL
    /// resolves to the parent, `GET /v1/tasks` with the key), without `/`, `\\`, `?`, `#`,
    /// `%` or control characters; anything else in it is percent-encoded.
    pub fn task_url(&self, id: &str, sync_upstream: bool) -> Result<url::Url, ClientError> {
        let refused = || ClientError::InvalidTaskId {
            found: crate::untrusted::printable(id).into_owned(),
        };
        if id.trim().is_empty()
            || matches!(id, "." | "..")
            || id.contains(['/', '\\', '?', '#', '%'])
            || id.chars().any(char::is_control)
        {
            return Err(refused());
        }
        let mut url = self.inner.base.clone();
        url.path_segments_mut()
            .map_err(|()| ClientError::Config {
                setting: "base URL",
                expected: "a URL that can have a path",
                found: self.inner.base.to_string(),
            })?
            .pop_if_empty()
            .extend(["v1", "tasks", id]);
        // The id must have stayed one segment, the last one, after `/v1/tasks`.
        let segments: Vec<&str> = url
            .path_segments()
            .map(Iterator::collect)
            .unwrap_or_default();
        if !matches!(segments.as_slice(), [.., "v1", "tasks", last] if !last.is_empty()) {
            return Err(refused());
        }
        if sync_upstream {
            url.query_pairs_mut().append_pair("sync_upstream", "true");
        }
        Ok(url)
    }

    /// Fetches one task and validates it: the typed task with its warnings, or a typed error
    /// (an HTTP status with the section 4 body, a transport error, a timeout, a body that
    /// breaks the contract), each keeping the raw body.
    pub async fn get_task(
        &self,
        id: &str,
        sync_upstream: bool,
    ) -> Result<FetchedTask, ClientError> {
        self.get_task_within(id, sync_upstream, self.inner.request_timeout)
            .await
    }

    /// As [`Client::get_task`], the request given at most `timeout`.
    pub(super) async fn get_task_within(
        &self,
        id: &str,
        sync_upstream: bool,
        timeout: Duration,
    ) -> Result<FetchedTask, ClientError> {
        let url = self.task_url(id, sync_upstream)?;
        let shown = redact::url(url.as_str());
        let timeout = timeout.min(self.inner.request_timeout);
        tracing::debug!(url = %shown, "GET task");
        let sent = self
            .inner
            .api
            .get(url)
            .bearer_auth(self.inner.key.expose())
            .header(reqwest::header::ACCEPT, "application/json")
            .timeout(timeout)
            .send()
            .await;
        let mut response = match sent {
            Ok(response) => response,
            Err(source) => {
                return Err(self.transport(
                    shown,
                    "sending the request",
                    source,
                    Vec::new(),
                    timeout,
                ))
            }
        };
        let status = response.status().as_u16();
        let wait = retry_after(response.headers());
        tracing::debug!(url = %shown, status, "answer");
        let limit = self.inner.max_response_bytes;
        let bytes = match read_limited(&mut response, limit).await {
            Ok(bytes) => bytes,
            Err(BodyError { source, partial }) if !response.status().is_success() => {
                // The status says enough; the body is only for diagnosis.
                tracing::debug!(url = %shown, error = %source.without_url(), "error body cut short");
                partial
            }
            Err(BodyError { source, partial }) => {
                return Err(self.transport(shown, "reading the body", source, partial, timeout))
            }
        };
        // The key is taken out where the body enters, before anything parses, quotes or
        // escapes it: a server that echoes the Authorization header cannot put it on a screen.
        let bytes = self.inner.key.remove_echoes_bytes(&bytes).into_owned();
        let raw = RawBody::new(bytes.clone());
        if !(200..300).contains(&status) {
            return Err(self.status_error(shown, status, wait, raw));
        }
        let limits = Limits {
            max_bytes: limit,
            ..Contract::global().limits()
        };
        let mut value = match input::parse(&bytes, limits) {
            Ok(value) => value,
            Err(issue) => {
                return Err(ClientError::Contract {
                    url: shown,
                    report: Box::new(crate::Report::refused(issue)),
                    raw,
                })
            }
        };
        // Escaped forms (`\u0073k-...`) decode to the key itself: taken out of the parsed value.
        self.inner.key.remove_echoes(&mut value);
        match Contract::global().parse_value(&value) {
            Ok(parsed) => Ok(FetchedTask { parsed, raw: value }),
            Err(report) => Err(ClientError::Contract {
                url: shown,
                report: Box::new(report),
                raw,
            }),
        }
    }

    /// A non-2xx answer, its body held to section 4.
    fn status_error(
        &self,
        url: String,
        status: u16,
        retry_after: Option<Duration>,
        raw: RawBody,
    ) -> ClientError {
        let (error, body_issues) = match serde_json::from_slice::<Value>(raw.as_bytes()) {
            Ok(mut value) => {
                self.inner.key.remove_echoes(&mut value);
                let report = Contract::global().validate_error_body(&value);
                if report.is_valid() {
                    match serde_json::from_value::<ErrorBody>(value) {
                        Ok(body) => (Some(Box::new(untrusted_error(body.error))), Vec::new()),
                        Err(e) => (None, vec![issue(format!("contract bug: the error body keeps section 4 but does not type: {e}"))]),
                    }
                } else {
                    (None, report.errors)
                }
            }
            Err(e) => (
                None,
                vec![issue(format!("expected a JSON error body, found {e}"))],
            ),
        };
        ClientError::Status {
            url,
            status,
            error,
            body_issues,
            retry_after,
            raw,
        }
    }

    /// A failure of the HTTP stack: a timeout, or a transport error.
    pub(super) fn transport(
        &self,
        url: String,
        during: &'static str,
        source: reqwest::Error,
        partial: Vec<u8>,
        timeout: Duration,
    ) -> ClientError {
        let raw = RawBody::new(self.inner.key.remove_echoes_bytes(&partial).into_owned());
        if source.is_timeout() {
            ClientError::Timeout {
                url,
                after: timeout,
                raw,
            }
        } else {
            ClientError::Transport {
                url,
                during,
                source: source.without_url(),
                raw,
            }
        }
    }
}

/// Text of a server made fit for a message, once, where it enters: signed-URL secrets masked
/// and control characters, ESC, line breaks and bidi overrides made visible.
pub(super) fn untrusted_text(text: &str) -> String {
    crate::untrusted::printable(&crate::redact::mask_urls(text)).into_owned()
}

/// A section 4 error as a server sent it, its free text made fit for a message.
fn untrusted_error(mut error: ApiError) -> ApiError {
    error.message = untrusted_text(&error.message);
    error.param = error.param.as_deref().map(untrusted_text);
    if let Some(crate::ErrorCode::String(code)) = &mut error.code {
        *code = untrusted_text(code);
    }
    error
}

fn issue(message: String) -> Issue {
    Issue::whole(crate::Rule::NotJson, message)
}

#[cfg(test)]
mod retry_after_tests {
    use super::retry_after;
    use reqwest::header::{HeaderMap, HeaderValue, RETRY_AFTER};
    use std::time::{Duration, SystemTime};

    fn with(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            RETRY_AFTER,
            HeaderValue::from_str(value).expect("a header value"),
        );
        headers
    }

    #[test]
    fn seconds_and_http_dates_are_both_read() {
        assert_eq!(retry_after(&with("7")), Some(Duration::from_secs(7)));
        let later = SystemTime::now() + Duration::from_secs(120);
        let wait = retry_after(&with(&httpdate::fmt_http_date(later))).expect("a date");
        assert!(
            wait > Duration::from_secs(100) && wait <= Duration::from_secs(120),
            "{wait:?}"
        );
        assert_eq!(
            retry_after(&with("Wed, 21 Oct 2015 07:28:00 GMT")),
            Some(Duration::ZERO)
        );
        assert_eq!(retry_after(&with("soon")), None);
    }
}
