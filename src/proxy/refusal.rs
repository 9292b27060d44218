//! The answers the proxy makes itself, each a section 4 error body (the mock's [`Answer`]): a
//! 502 for an upstream fault, a violation or a recorded answer whose body was not recorded,
//! a 413 for a request body too large, a 408 for one that stalls, a 404 for a request a recording does not hold.

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

/// 404: replay holds no answer to this request.
pub(crate) fn not_recorded(exchange: &str, dir: &str) -> Response {
    Answer::error(
        StatusCode::NOT_FOUND,
        ErrorType::NotFound,
        format!("foxapi-contract proxy: expected a request recorded in {dir}, found {exchange}, which was not recorded"),
    )
    .code("not_recorded")
    .into_response()
}

/// 502: replay holds this exchange, but not its body (larger than `--max-bytes` when
/// recorded); `why` says so. Never an empty answer that would pass for the real one.
pub(crate) fn body_not_recorded(exchange: &str, dir: &str, why: &str) -> Response {
    Answer::error(
        StatusCode::BAD_GATEWAY,
        ErrorType::ServerError,
        format!(
            "foxapi-contract proxy: expected the recording in {dir} to hold the answer to {exchange}, found {}",
            printable(why)
        ),
    )
    .code("not_recorded")
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
