//! The answers the proxy makes itself, each a section 4 error body (the mock's [`Answer`]): a
//! 502 for an upstream fault, a violation or a recorded answer whose body was not recorded,
//! a 413 for a request body too large, a 408 for one that stalls, a 400 for one that cannot
//! be read, a 404 for a request a recording does not hold.

use super::events::shown;
use super::Violation;
use crate::mock::answer::Answer;
use crate::untrusted::printable;
use crate::ErrorType;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// How many issues of a violation the 502 body names.
const NAMED_ISSUES: usize = 3;

/// 502: the upstream failed; `reason` says how.
pub(crate) fn upstream_fault(exchange: &str, reason: &str) -> Response {
    Answer::error(
        StatusCode::BAD_GATEWAY,
        ErrorType::ServerError,
        format!("foxapi-contract proxy: {exchange}: {}", printable(reason)),
    )
    .code("upstream_failed")
    .into_response()
}

/// 502: the upstream's answer broke the contract (`--fail-on-violation`).
pub(crate) fn violation(violation: &Violation) -> Response {
    let report = &violation.report;
    let named: Vec<String> = report
        .errors
        .iter()
        .take(NAMED_ISSUES)
        .map(ToString::to_string)
        .collect();
    let more = report.error_count().saturating_sub(named.len());
    let more = if more > 0 {
        format!("; and {more} more")
    } else {
        String::new()
    };
    let model = report
        .model
        .as_deref()
        .map(|m| format!(" (model {m})"))
        .unwrap_or_default();
    Answer::error(
        StatusCode::BAD_GATEWAY,
        ErrorType::ServerError,
        printable(&format!(
            "foxapi-contract proxy: the upstream's answer to {} broke the contract{model}: {}{more}",
            violation.exchange,
            named.join("; ")
        )),
    )
    .code("contract_violation")
    .into_response()
}

/// 413: a request body larger than the proxy holds.
pub(crate) fn too_large(exchange: &str, limit: usize) -> Response {
    Answer::error(
        StatusCode::PAYLOAD_TOO_LARGE,
        ErrorType::InvalidRequestError,
        format!("foxapi-contract proxy: {exchange}: expected a request body of at most {limit} bytes (--max-bytes), found a larger one"),
    )
    .code("request_too_large")
    .into_response()
}

/// `not_recorded`: a 404 when replay holds no answer to this request (`why` is `None`); a
/// 502 that says `why` when it holds the answer but not its body (larger than `--max-bytes`
/// when recorded): never an empty answer that would pass for the real one.
pub(crate) fn not_recorded(exchange: &str, dir: &str, why: Option<&str>) -> Response {
    let (status, kind, message) = match why {
        None => (
            StatusCode::NOT_FOUND,
            ErrorType::NotFound,
            format!("foxapi-contract proxy: expected a request recorded in {dir}, found {exchange}, which was not recorded"),
        ),
        Some(why) => (
            StatusCode::BAD_GATEWAY,
            ErrorType::ServerError,
            format!(
                "foxapi-contract proxy: expected the recording in {dir} to hold the answer to {exchange}, found {}",
                printable(why)
            ),
        ),
    };
    Answer::error(status, kind, message)
        .code("not_recorded")
        .into_response()
}

/// 400: the request body could not be read (the connection failed); `why` says how.
pub(crate) fn unreadable_body(exchange: &str, why: &str) -> Response {
    Answer::error(
        StatusCode::BAD_REQUEST,
        ErrorType::InvalidRequestError,
        format!(
            "foxapi-contract proxy: {exchange}: expected a readable request body, found {}",
            shown(why)
        ),
    )
    .into_response()
}

/// 408: no chunk of the request body came for `limit` (the idle timeout).
pub(crate) fn body_timeout(exchange: &str, limit: std::time::Duration) -> Response {
    Answer::error(
        StatusCode::REQUEST_TIMEOUT,
        ErrorType::InvalidRequestError,
        format!(
            "foxapi-contract proxy: {exchange}: expected the next bytes of the request body within {} s of the last (--request-body-timeout, idle), found none",
            limit.as_secs_f64()
        ),
    )
    .code("request_timeout")
    .into_response()
}
