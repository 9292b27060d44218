//! Which answers are held to the contract, and how: the task envelope for `GET
//! /v1/tasks/{id}` and the submit routes' 2xx answers (spec section 2), the section 4 error
//! body for every 4xx and 5xx answer (section 4 covers those only: a redirect or any other
//! status is passed on unchecked); result files and streams are not validated.

use super::payload::Payload;
use crate::report::{Issue, Report, Rule};
use crate::secret::ApiKey;
use crate::Contract;
use axum::http::Method;
use serde_json::Value;
use std::borrow::Cow;

/// What a request is, as far as the task API goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Route<'a> {
    /// `GET /v1/tasks/{id}`: a poll of task `id` (the path segment as sent).
    Poll(&'a str),
    /// `POST /v1/{kind}/generations`: a submission.
    Submit,
    /// Anything else.
    Other,
}

impl<'a> Route<'a> {
    /// The route of `method` on `path` (without query).
    pub fn of(method: &Method, path: &'a str) -> Route<'a> {
        let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        match (method, segments.as_slice()) {
            (&Method::GET, ["v1", "tasks", id]) if !id.is_empty() => Route::Poll(id),
            (&Method::POST, ["v1", kind, "generations"]) if !kind.is_empty() => Route::Submit,
            _ => Route::Other,
        }
    }

    /// Whether a 2xx answer of this route is a task envelope.
    pub fn answers_tasks(self) -> bool {
        matches!(self, Route::Poll(_) | Route::Submit)
    }
}

/// What an answer is held to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Check {
    /// The task envelope contract.
    Envelope,
    /// The section 4 error body: 4xx and 5xx answers.
    ErrorBody,
    /// Nothing: a result file, a stream, a redirect or other non-error status, an answer
    /// without a body.
    Nothing,
}

impl Check {
    /// What the answer with `status` to `method` on `route` is held to.
    pub fn of(method: &Method, route: Route<'_>, status: u16) -> Check {
        if (200..300).contains(&status) {
            if route.answers_tasks() {
                Check::Envelope
            } else {
                Check::Nothing
            }
        } else if (400..600).contains(&status) && method != Method::HEAD {
            Check::ErrorBody
        } else {
            Check::Nothing
        }
    }
}

/// The verdict on `body` (strict: warnings count as errors), after the echoes of the keys the
/// request carried are taken out, so no quoted value shows one. `None` for [`Check::Nothing`].
///
/// The body is judged from its one reading ([`Payload`]), the echoes taken out of the value
/// (however its text escaped them). Only an envelope the contract's own reader would not take
/// as serde_json did (not JSON, too large or too deep) is read again, from its text without
/// echoes, so that the reader says why, and where.
pub(crate) fn inspect(
    contract: &Contract,
    check: Check,
    body: &Payload<'_>,
    keys: &[ApiKey],
    strict: bool,
) -> Option<Report> {
    let report = match (check, &body.json) {
        (Check::Nothing, _) => return None,
        (Check::Envelope, Ok(value)) if reads_alike(contract, body.bytes, value) => {
            contract.validate_value(&without_echoes(value, keys))
        }
        (Check::Envelope, _) => {
            let mut text = Cow::Borrowed(body.bytes);
            for key in keys {
                if let Cow::Owned(scrubbed) = key.remove_echoes_bytes(&text) {
                    text = Cow::Owned(scrubbed);
                }
            }
            contract.validate(&text)
        }
        (Check::ErrorBody, Ok(value)) => contract.validate_error_body(&without_echoes(value, keys)),
        (Check::ErrorBody, Err(e)) => Report::refused(Issue::whole(
            Rule::NotJson,
            format!("expected a JSON error body (spec section 4), found {e}"),
        )),
    };
    Some(if strict { report.into_strict() } else { report })
}

/// `value` with every echo of `keys` taken out ([`ApiKey::remove_echoes`]); copied only when
/// it holds one.
fn without_echoes<'v>(value: &'v Value, keys: &[ApiKey]) -> Cow<'v, Value> {
    let mut value = Cow::Borrowed(value);
    for key in keys {
        if holds(&value, key.expose()) {
            key.remove_echoes(value.to_mut());
        }
    }
    value
}

/// Whether a string or member name of `value`, at any depth, holds `text`.
fn holds(value: &Value, text: &str) -> bool {
    let mut stack = vec![value];
    while let Some(v) = stack.pop() {
        match v {
            Value::String(s) if s.contains(text) => return true,
            Value::Array(items) => stack.extend(items),
            Value::Object(map) => {
                if map.keys().any(|k| k.contains(text)) {
                    return true;
                }
                stack.extend(map.values());
            }
            _ => {}
        }
    }
    false
}

/// Whether the contract's own reader takes `bytes` as serde_json took them to `value`: within
/// its size and nesting limits (past them it refuses, and says where), so validating `value`
/// reports what validating `bytes` would.
fn reads_alike(contract: &Contract, bytes: &[u8], value: &Value) -> bool {
    let limits = contract.limits();
    bytes.len() <= limits.max_bytes
        && crate::input::depth(value) <= limits.max_depth.min(crate::MAX_DEPTH)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn task_routes_are_polls_and_submissions_and_nothing_else() {
        assert_eq!(
            Route::of(&Method::GET, "/v1/tasks/task-1"),
            Route::Poll("task-1")
        );
        assert_eq!(
            Route::of(&Method::POST, "/v1/videos/generations"),
            Route::Submit
        );
        for (method, path) in [
            (Method::GET, "/v1/tasks/"),
            (Method::GET, "/v1/tasks/a/b"),
            (Method::POST, "/v1/tasks/a"),
            (Method::GET, "/files/t/0/a.png"),
            (Method::GET, "/v1/videos/generations"),
        ] {
            assert_eq!(Route::of(&method, path), Route::Other, "{method} {path}");
        }
    }

    #[test]
    fn envelopes_of_task_routes_and_error_bodies_of_every_4xx_and_5xx_are_checked() {
        let poll = Route::Poll("t");
        assert_eq!(Check::of(&Method::GET, poll, 200), Check::Envelope);
        assert_eq!(Check::of(&Method::GET, Route::Other, 200), Check::Nothing);
        assert_eq!(Check::of(&Method::GET, Route::Other, 404), Check::ErrorBody);
        assert_eq!(Check::of(&Method::GET, poll, 503), Check::ErrorBody);
        assert_eq!(Check::of(&Method::HEAD, poll, 404), Check::Nothing);
        assert_eq!(Check::of(&Method::GET, poll, 304), Check::Nothing);
    }

    #[test]
    fn redirects_and_other_non_error_statuses_are_not_held_to_section_4() {
        for status in [100, 301, 302, 303, 307, 308, 399, 600, 999] {
            for route in [Route::Poll("t"), Route::Submit, Route::Other] {
                assert_eq!(
                    Check::of(&Method::GET, route, status),
                    Check::Nothing,
                    "{status}"
                );
            }
        }
        assert_eq!(
            Check::of(&Method::POST, Route::Submit, 400),
            Check::ErrorBody
        );
        assert_eq!(Check::of(&Method::GET, Route::Other, 599), Check::ErrorBody);
    }

    #[test]
    fn envelopes_judged_from_the_one_reading_get_the_reports_their_bytes_would() {
        let fixture = include_bytes!("../../fixtures/valid/model/minimax-voice-clone.json");
        let key = ApiKey::new("sk-inspect-echo-77").expect("a key");
        let keys = std::slice::from_ref(&key);
        let deep = Contract::new().with_limits(crate::Limits::default().with_max_depth(3));
        let small = Contract::new().with_limits(crate::Limits::default().with_max_bytes(16));
        // (An echo escaped otherwise than serde_json writes it is taken out of the value
        // too, which validating the bytes does not do: the test after this loop.)
        let bodies: [&[u8]; 8] = [
            fixture,
            br#"{"id": "t", "status": "done"}"#,
            br#"{"id": "sk-inspect-echo-77", "status": 1}"#,
            b"[1, 2]",
            b"{\"id\": ",
            b"  ",
            br#"{"n": 1e400}"#,
            br#"{"a": [[{"b": [1]}]], "c": "a longer body than sixteen bytes"}"#,
        ];
        for contract in [Contract::global(), &deep, &small] {
            for body in bodies {
                let clean = key.remove_echoes_bytes(body);
                for strict in [false, true] {
                    let expected = contract.validate(&clean);
                    let expected = if strict {
                        expected.into_strict()
                    } else {
                        expected
                    };
                    let found = inspect(
                        contract,
                        Check::Envelope,
                        &Payload::read(body),
                        keys,
                        strict,
                    );
                    assert_eq!(
                        found.as_ref(),
                        Some(&expected),
                        "{}",
                        String::from_utf8_lossy(body)
                    );
                }
            }
        }
        for body in [
            &br#"{"id": "sk-inspect-echo-77", "status": 1}"#[..],
            // Escaped otherwise than serde_json writes it: found in the parsed value.
            br#"{"id": "t", "status": "\u0073k-inspect-echo-77", "\u0073k-inspect-echo-77": 1}"#,
        ] {
            let echoed = inspect(
                Contract::global(),
                Check::Envelope,
                &Payload::read(body),
                keys,
                false,
            )
            .expect("checked");
            assert!(!echoed.errors.is_empty(), "{echoed:?}");
            assert!(
                !format!("{echoed:?}").contains("sk-inspect-echo-77"),
                "{echoed:?}"
            );
        }
        assert!(inspect(
            Contract::global(),
            Check::Nothing,
            &Payload::read(b"{}"),
            keys,
            false
        )
        .is_none());
    }

    #[test]
    fn an_error_body_that_is_not_json_is_a_violation_and_echoes_of_the_key_are_not_quoted() {
        let key = ApiKey::new("sk-inspect-secret-1").expect("a key");
        let report = inspect(
            Contract::global(),
            Check::ErrorBody,
            &Payload::read(b"oops sk-inspect-secret-1"),
            std::slice::from_ref(&key),
            false,
        )
        .expect("checked");
        assert!(!report.is_valid());
        let shown = format!("{report:?}");
        assert!(!shown.contains("sk-inspect-secret-1"), "{shown}");
        let good = inspect(
            Contract::global(),
            Check::ErrorBody,
            &Payload::read(br#"{"error":{"message":"no","type":"not_found"}}"#),
            &[],
            false,
        );
        assert!(good.is_some_and(|r| r.is_valid()));
    }
}
