//! The call to the upstream: the request as the application sent it, less the hop-by-hop
//! headers, to the upstream base URL; the answer held (to validate or record it) or streamed.

use super::events::{shown, Journal};
use super::ProxyError;
use axum::body::Bytes;
use axum::http::header::{self, HeaderMap};
use axum::http::Method;
use std::sync::Arc;
use std::time::Duration;

/// Headers that belong to one connection, not to the exchange (RFC 9110 section 7.6.1), and
/// the ones the proxy sets itself: never forwarded either way.
const HOP_BY_HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "host",
    "content-length",
];

/// `headers` without the hop-by-hop ones, and without those the `Connection` header names.
pub(crate) fn end_to_end(headers: &HeaderMap) -> HeaderMap {
    let named: Vec<String> = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|name| name.trim().to_ascii_lowercase())
        .collect();
    let mut kept = HeaderMap::with_capacity(headers.len());
    for (name, value) in headers {
        let name_text = name.as_str();
        if HOP_BY_HOP.contains(&name_text) || named.iter().any(|n| n == name_text) {
            continue;
        }
        kept.append(name.clone(), value.clone());
    }
    kept
}

/// The upstream and the HTTP client that calls it (cheap to clone: the client is shared).
#[derive(Clone, Debug)]
pub(crate) struct Forwarder {
    api: reqwest::Client,
    /// The base URL without a trailing slash, such as `https://api.foxapi.cc`.
    base: String,
    /// The idle timeout: how long the answer's head, and then each chunk of its body, may
    /// take to come.
    timeout: Duration,
}

/// An answer body read for validation or recording.
pub(crate) enum Held {
    /// The whole body.
    Whole(Bytes),
    /// More than the limit: the part read; the rest is still in the response.
    Prefix(Bytes),
}

/// The base URL, checked: absolute http(s), no query, fragment, user or password; without its
/// trailing slash.
fn upstream_base(text: &str) -> Result<String, ProxyError> {
    // The client's rule for its base URL, the same one.
    let url = crate::client::parse_base_url(text)
        .map_err(|_| ProxyError::Upstream { found: shown(text) })?;
    Ok(url.as_str().trim_end_matches('/').to_string())
}

/// The HTTP clients' builder with what both share: no `Referer`, the connect timeout.
pub(crate) fn http_client(connect_timeout: Duration) -> reqwest::ClientBuilder {
    crate::client::install_crypto_provider();
    reqwest::Client::builder()
        .connect_timeout(connect_timeout)
        .referer(false)
}

impl Forwarder {
    /// A forwarder to `upstream`.
    pub fn new(
        upstream: &str,
        connect_timeout: Duration,
        timeout: Duration,
    ) -> Result<Forwarder, ProxyError> {
        let base = upstream_base(upstream)?;
        let api = http_client(connect_timeout)
            // A redirect is the application's to follow (or not), with its own key.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| ProxyError::Client(e.without_url().to_string()))?;
        Ok(Forwarder { api, base, timeout })
    }

    /// The base URL, secrets masked.
    pub fn shown_base(&self) -> String {
        shown(&self.base)
    }

    /// Sends the request upstream; the answer's head, or why there is none (no head within
    /// the idle timeout included).
    pub async fn send(
        &self,
        method: Method,
        path_and_query: &str,
        headers: &HeaderMap,
        body: Bytes,
    ) -> Result<reqwest::Response, String> {
        let mut headers = end_to_end(headers);
        // Identity bodies, so the proxy can read what it validates.
        headers.remove(header::ACCEPT_ENCODING);
        let url = format!("{}{path_and_query}", self.base);
        let sent = self
            .api
            .request(method, url)
            .headers(headers)
            .body(body)
            .send();
        match tokio::time::timeout(self.timeout, sent).await {
            Ok(answer) => answer.map_err(|e| self.reason(&e, "waiting for the answer", 0)),
            Err(_) => Err(self.idle("the answer's head", 0)),
        }
    }

    /// The next chunk of `response`'s body: `Ok(None)` at its end, `Err` when it fails or no
    /// byte comes within the idle timeout. `read` is how many bytes came before it.
    pub async fn chunk(
        &self,
        response: &mut reqwest::Response,
        read: usize,
    ) -> Result<Option<Bytes>, String> {
        match tokio::time::timeout(self.timeout, response.chunk()).await {
            Ok(chunk) => chunk.map_err(|e| self.reason(&e, "reading the body", read)),
            Err(_) => Err(self.idle("the next bytes of the body", read)),
        }
    }

    /// Reads the body of `response`, up to `limit` bytes: once it holds more, the part read
    /// is a [`Held::Prefix`].
    pub async fn hold(
        &self,
        response: &mut reqwest::Response,
        limit: usize,
    ) -> Result<Held, String> {
        let mut body = Vec::new();
        while let Some(chunk) = self.chunk(response, body.len()).await? {
            body.extend_from_slice(&chunk);
            if body.len() > limit {
                return Ok(Held::Prefix(Bytes::from(body)));
            }
        }
        Ok(Held::Whole(Bytes::from(body)))
    }

    /// Why an exchange was given up: nothing came for the idle timeout while waiting for
    /// `what`, after `read` bytes of body.
    fn idle(&self, what: &str, read: usize) -> String {
        format!(
            "expected {what} from the upstream {} within {} s of the last byte (--upstream-timeout, idle), found nothing: timed out after {read} bytes of body",
            self.shown_base(),
            self.timeout.as_secs_f64()
        )
    }

    /// What went wrong, said as expected and found, without the URL.
    pub fn reason(&self, error: &reqwest::Error, during: &str, read: usize) -> String {
        let base = self.shown_base();
        // The causes only: reqwest's own text names the URL.
        let chain = std::error::Error::source(error)
            .map(|cause| format!(": {}", crate::client::chain(cause)))
            .unwrap_or_default();
        if error.is_timeout() {
            format!(
                "expected the upstream {base} to answer, found it timing out while {during} (after {read} bytes of body){chain}"
            )
        } else if error.is_connect() {
            format!("expected to connect to the upstream {base}, found the connection refused or failing{chain}")
        } else if error.is_body() || error.is_decode() {
            format!("expected a whole answer from the upstream {base}, found the body cut short after {read} bytes{chain}")
        } else {
            format!("expected an answer from the upstream {base}, found the connection failing while {during}{chain}")
        }
    }
}

/// The body the application gets: `prefix` (already read), then the rest of `response` as
/// it comes, each chunk within the idle timeout. A failure midway (a reset, a body cut
/// short, no byte for the idle timeout) cuts the application's answer the same way, and is
/// an upstream fault of the report.
pub(crate) fn stream(
    upstream: Forwarder,
    prefix: Bytes,
    response: reqwest::Response,
    journal: Arc<Journal>,
    exchange: String,
) -> axum::body::Body {
    struct State {
        upstream: Forwarder,
        prefix: Option<Bytes>,
        response: Option<reqwest::Response>,
        sent: usize,
        journal: Arc<Journal>,
        exchange: String,
    }
    let state = State {
        upstream,
        prefix: Some(prefix).filter(|p| !p.is_empty()),
        response: Some(response),
        sent: 0,
        journal,
        exchange,
    };
    let chunks = futures_util::stream::unfold(state, |mut state| async move {
        if let Some(prefix) = state.prefix.take() {
            state.sent += prefix.len();
            return Some((Ok(prefix), state));
        }
        let response = state.response.as_mut()?;
        match state.upstream.chunk(response, state.sent).await {
            Ok(Some(chunk)) => {
                state.sent += chunk.len();
                Some((Ok(chunk), state))
            }
            Ok(None) => None,
            Err(reason) => {
                state.response = None;
                let answered = format!(
                    "the application's answer was cut after {} bytes",
                    state.sent
                );
                state.journal.fault(&state.exchange, &reason, &answered);
                Some((
                    Err(std::io::Error::other(format!("{reason}; {answered}"))),
                    state,
                ))
            }
        }
    });
    axum::body::Body::from_stream(chunks)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::{HeaderName, HeaderValue};

    #[test]
    fn hop_by_hop_headers_and_those_connection_names_are_not_forwarded() {
        let mut headers = HeaderMap::new();
        for (name, value) in [
            ("connection", "keep-alive, x-hop"),
            ("keep-alive", "timeout=5"),
            ("x-hop", "1"),
            ("te", "trailers"),
            ("proxy-authorization", "Basic x"),
            ("host", "proxy.local"),
            ("authorization", "Bearer sk-kept-123"),
            ("content-type", "application/json"),
        ] {
            headers.insert(
                HeaderName::from_static(name),
                HeaderValue::from_static(value),
            );
        }
        let kept = end_to_end(&headers);
        let names: Vec<&str> = kept.keys().map(HeaderName::as_str).collect();
        assert_eq!(names.len(), 2, "{names:?}");
        assert!(kept.contains_key("authorization") && kept.contains_key("content-type"));
    }

    #[test]
    fn upstreams_are_absolute_http_urls_without_secrets() {
        assert_eq!(
            upstream_base("http://127.0.0.1:9/").ok().as_deref(),
            Some("http://127.0.0.1:9")
        );
        assert_eq!(
            upstream_base("https://h.example/api/").ok().as_deref(),
            Some("https://h.example/api")
        );
        for bad in [
            "",
            "h.example",
            "ftp://h",
            "https://h/?x=1",
            "https://u:pw-s3cret@h/",
        ] {
            let error = upstream_base(bad).expect_err(bad).to_string();
            assert!(error.starts_with("upstream: expected"), "{error}");
            assert!(!error.contains("pw-s3cret"), "{error}");
        }
    }
}
