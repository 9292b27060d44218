//! What the proxy does with one request: read it (within `max_bytes`), get the answer (from
//! the upstream or the recording), hold it to the contract, record it, and send it on
//! unchanged (or a 502 naming the violation, with `fail_on_violation`).

use super::cassette::{scrub, Seen};
use super::credentials::{merge, secrets_in, secrets_of};
use super::events::{shown, Journal};
use super::forward::{self, end_to_end, Forwarder, Held};
use super::inspect::{inspect, Check, Route};
use super::payload::Payload;
use super::record::Recorder;
use super::refusal;
use super::replay::{Replay, Replayed};
use super::FILES_ROUTE;
use crate::secret::ApiKey;
use crate::Contract;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::response::Response;
use axum::Router;
use futures_util::StreamExt;
use std::sync::Arc;

/// Everything the handlers share.
#[derive(Debug)]
pub(crate) struct Shared {
    pub contract: Contract,
    pub strict: bool,
    pub fail_on_violation: bool,
    pub max_bytes: usize,
    /// How long the next chunk of a request body may take to come (an idle timeout).
    pub request_body_timeout: std::time::Duration,
    pub journal: Arc<Journal>,
    pub upstream: Option<Forwarder>,
    pub recorder: Option<Recorder>,
    pub replay: Option<Replay>,
    /// The proxy's own base URL, for the result URLs replay rewrites.
    pub base_url: String,
}

/// The router: every method on every path goes to [`handle`].
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new().fallback(handle).with_state(shared)
}

/// Why a request body was not read.
enum BodyRefused {
    /// Larger than the limit.
    TooLarge,
    /// No chunk came within the idle timeout.
    Stalled,
    /// The connection failed: why.
    Failed(String),
}

/// Reads a request body of at most `limit` bytes, each chunk within `idle` of the last.
async fn read_body(
    body: Body,
    limit: usize,
    idle: std::time::Duration,
) -> Result<Bytes, BodyRefused> {
    let mut stream = body.into_data_stream();
    let mut read = Vec::new();
    loop {
        let chunk = match tokio::time::timeout(idle, stream.next()).await {
            Err(_) => return Err(BodyRefused::Stalled),
            Ok(None) => return Ok(Bytes::from(read)),
            Ok(Some(chunk)) => chunk.map_err(|e| BodyRefused::Failed(e.to_string()))?,
        };
        if read.len() + chunk.len() > limit {
            return Err(BodyRefused::TooLarge);
        }
        read.extend_from_slice(&chunk);
    }
}

async fn handle(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    shared.journal.answered();
    let (parts, body) = request.into_parts();
    let method = parts.method;
    let path = parts.uri.path().to_string();
    let query = parts.uri.query().map(str::to_string);
    // Every secret the request carries (credential headers, cookie values): its echoes are
    // taken out of everything kept or shown.
    let mut keys = secrets_of(&parts.headers);
    let label = shown(&scrub(&format!("{method} {path}"), &keys));
    if let Some(replay) = &shared.replay {
        if path.starts_with(FILES_ROUTE) {
            return shared.replayed(&label, replay, replay.file(&path), |_, headers, body| {
                send(StatusCode::OK, headers, Body::from(body))
            });
        }
    }
    let too_large = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok())
        .is_some_and(|n| n > shared.max_bytes as u64);
    if too_large {
        return refusal::too_large(&label, shared.max_bytes);
    }
    let read = read_body(body, shared.max_bytes, shared.request_body_timeout);
    let request_body = match read.await {
        Ok(body) => body,
        Err(BodyRefused::Stalled) => {
            return refusal::body_timeout(&label, shared.request_body_timeout)
        }
        Err(BodyRefused::TooLarge) => return refusal::too_large(&label, shared.max_bytes),
        Err(BodyRefused::Failed(e)) => return refusal::unreadable_body(&label, &e),
    };
    let request = Payload::read(&request_body);
    // A key sent in the body (`{"api_key": ...}`) is taken out wherever it echoes, as a
    // header's is.
    if let Some(value) = request.value() {
        merge(&mut keys, secrets_in(value));
    }
    let route = Route::of(&method, &path);
    let exchange = Exchange {
        method: &method,
        path: &path,
        query: query.as_deref(),
        headers: &parts.headers,
        body: &request,
        keys: &keys,
        route,
        label: &label,
    };
    if let Some(replay) = &shared.replay {
        let found = replay.answer(&method, &path, &shared.base_url);
        shared.replayed(&label, replay, found, |status, headers, body| {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
            let check = Check::of(&method, route, status.as_u16());
            shared.held(&exchange, check, status, headers, Bytes::from(body))
        })
    } else if let Some(upstream) = &shared.upstream {
        match shared
            .forward(upstream, &exchange, request_body.clone())
            .await
        {
            Ok(answer) => answer,
            Err(reason) => {
                shared.journal.fault(&label, &reason, "answered 502");
                refusal::upstream_fault(&label, &reason)
            }
        }
    } else {
        refusal::upstream_fault(&label, "no upstream to forward to")
    }
}

/// One request, read.
struct Exchange<'a> {
    method: &'a Method,
    path: &'a str,
    query: Option<&'a str>,
    headers: &'a HeaderMap,
    /// The request body, read once.
    body: &'a Payload<'a>,
    keys: &'a [ApiKey],
    route: Route<'a>,
    /// `METHOD /path`, as messages show it.
    label: &'a str,
}

impl Shared {
    /// The response to a request replay `found` an answer for: `answer` made of its status,
    /// headers and body; or, when replay holds none (or not its body), that reported and the
    /// `not_recorded` answer ([`refusal::not_recorded`]).
    fn replayed(
        &self,
        label: &str,
        replay: &Replay,
        found: Option<Replayed>,
        answer: impl FnOnce(u16, HeaderMap, Vec<u8>) -> Response,
    ) -> Response {
        let why = match found {
            Some(Replayed {
                status,
                headers,
                body: Ok(body),
            }) => return answer(status, headers, body),
            Some(Replayed { body: Err(why), .. }) => Some(why),
            None => None,
        };
        let dir = &replay.shown_dir;
        let reason = match &why {
            None => format!(
                "expected a request recorded in {dir}, found none recorded for it (answered 404)"
            ),
            Some(why) => format!(
                "expected the recording in {dir} to hold the answer's body, found {why} (answered 502)"
            ),
        };
        self.journal.not_recorded(label, &reason);
        refusal::not_recorded(label, dir, why.as_deref())
    }

    /// Forwards the exchange and handles the upstream's answer; `Err` is why the upstream
    /// failed.
    async fn forward(
        &self,
        upstream: &Forwarder,
        exchange: &Exchange<'_>,
        body: Bytes,
    ) -> Result<Response, String> {
        let target = match exchange.query {
            Some(query) => format!("{}?{query}", exchange.path),
            None => exchange.path.to_string(),
        };
        let mut response = upstream
            .send(exchange.method.clone(), &target, exchange.headers, body)
            .await?;
        let status = response.status();
        let headers = response.headers().clone();
        let check = Check::of(exchange.method, exchange.route, status.as_u16());
        if check == Check::Nothing && self.recorder.is_none() {
            let body = forward::stream(
                upstream.clone(),
                Bytes::new(),
                response,
                Arc::clone(&self.journal),
                exchange.label.to_string(),
            );
            return Ok(passed_on(status, headers, body));
        }
        match upstream.hold(&mut response, self.max_bytes).await? {
            Held::Whole(bytes) => Ok(self.held(exchange, check, status, headers, bytes)),
            Held::Prefix(prefix) => {
                self.journal.warn(
                    exchange.label,
                    &format!(
                        "the answer ({status}) is larger than {} bytes (--max-bytes): passed on without validating{}",
                        self.max_bytes,
                        if self.recorder.is_some() { " or recording its body" } else { "" }
                    ),
                );
                self.record(exchange, status, &headers, None);
                let body = forward::stream(
                    upstream.clone(),
                    prefix,
                    response,
                    Arc::clone(&self.journal),
                    exchange.label.to_string(),
                );
                Ok(passed_on(status, headers, body))
            }
        }
    }

    /// An answer read whole: held to the contract (`check`, what its status makes it),
    /// recorded, and sent on (or, with `fail_on_violation`, replaced by a 502 naming the
    /// violation). Its body is read as JSON once, here, for all of that.
    fn held(
        &self,
        exchange: &Exchange<'_>,
        check: Check,
        status: StatusCode,
        headers: HeaderMap,
        bytes: Bytes,
    ) -> Response {
        let violation = {
            let answer = Payload::read(&bytes);
            // A secret the answer holds in a member named as one (a fresh `access_token`) is
            // quoted in no report and kept in no file either.
            let mut keys = exchange.keys.to_vec();
            if let Some(value) = answer.value() {
                merge(&mut keys, secrets_in(value));
            }
            let exchange = &Exchange {
                keys: &keys,
                ..*exchange
            };
            let violation = inspect(&self.contract, check, &answer, exchange.keys, self.strict)
                .and_then(|report| {
                    let label = format!("{} -> {}", exchange.label, status.as_u16());
                    self.journal.checked(&label, status.as_u16(), report)
                });
            self.record(exchange, status, &headers, Some(&answer));
            violation
        };
        match violation {
            Some(violation) if self.fail_on_violation => refusal::violation(&violation),
            _ => passed_on(status, headers, Body::from(bytes)),
        }
    }

    /// Records the exchange, when recording.
    fn record(
        &self,
        exchange: &Exchange<'_>,
        status: StatusCode,
        headers: &HeaderMap,
        body: Option<&Payload<'_>>,
    ) {
        let Some(recorder) = &self.recorder else {
            return;
        };
        let seen = Seen {
            method: exchange.method.as_str(),
            path: exchange.path,
            query: exchange.query,
            request_headers: exchange.headers,
            request_body: exchange.body,
            status: status.as_u16(),
            response_headers: headers,
            response_body: body,
            keys: exchange.keys,
        };
        recorder.record(&seen, exchange.route, &self.journal, exchange.label);
    }
}

/// The response: `status`, the end-to-end headers, `body`.
fn send(status: StatusCode, headers: HeaderMap, body: Body) -> Response {
    let mut response = Response::new(body);
    *response.status_mut() = status;
    *response.headers_mut() = end_to_end(&headers);
    response
}

/// The response of an answer whose body goes on unchanged (held whole or streamed): as
/// [`send`], with the answer's own `Content-Length` kept, so the application sees the
/// length the upstream declared (a `HEAD` answer too) and a body cut short stays visibly
/// short.
fn passed_on(status: StatusCode, headers: HeaderMap, body: Body) -> Response {
    let length = headers.get(header::CONTENT_LENGTH).cloned();
    let mut response = send(status, headers, body);
    if let Some(length) = length {
        response
            .headers_mut()
            .insert(header::CONTENT_LENGTH, length);
    }
    response
}
