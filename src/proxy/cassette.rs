//! The cassette: one recorded exchange, one JSON file. Secrets are removed as it is made,
//! before anything touches the disk: the `Authorization` header is kept only as
//! `Bearer REDACTED`, cookies and other credential headers are not kept, every echo of a
//! secret the request carried (the value of any credential header, with or without a scheme,
//! and every cookie value) is taken out, the values of JSON body members named as secrets
//! (`api_key`, `token`, `password`, ...) are masked, and the secrets of signed URLs (in the
//! path, the query, header values and bodies) are masked ([`crate::redact`]).

use super::payload::Payload;
use crate::redact::{mask_urls, REDACTED};
use crate::secret::ApiKey;
use crate::untrusted::printable;
use axum::http::HeaderMap;
use base64::prelude::{Engine, BASE64_STANDARD};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// The version of the cassette format written.
const VERSION: u32 = 1;

/// Response headers a cassette keeps (any case); `x-ratelimit-*` too. Everything else, and
/// `set-cookie` above all, is left out.
const KEPT_RESPONSE_HEADERS: &[&str] = &[
    "content-type",
    "content-encoding",
    "retry-after",
    "location",
    "etag",
    "last-modified",
    "x-request-id",
    "request-id",
];

/// Request headers a cassette keeps; `authorization` is kept as `Bearer REDACTED`.
const KEPT_REQUEST_HEADERS: &[&str] = &["content-type", "accept", "x-request-id"];

/// One recorded exchange.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Cassette {
    /// The format version (1).
    pub version: u32,
    /// When it was recorded, in Unix milliseconds: replay orders exchanges by it.
    pub recorded_ms: u64,
    /// The recording session (one run of the proxy) that recorded it: ids sort in the order
    /// the sessions started. Replay serves each request only the answers of the latest
    /// session that recorded it. Empty in a cassette written before sessions were kept.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub session: String,
    /// The request as the application sent it, secrets removed.
    pub request: CassetteRequest,
    /// The upstream's answer, secrets removed.
    pub response: CassetteResponse,
}

/// The request of a [`Cassette`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CassetteRequest {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The path, as sent (signed-URL secrets masked).
    pub path: String,
    /// The query, if any (secrets masked).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
    /// The headers that matter, names in lower case.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// The body.
    pub body: CassetteBody,
}

/// The response of a [`Cassette`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CassetteResponse {
    /// The HTTP status.
    pub status: u16,
    /// The headers that matter (content type, `Retry-After`, `Location`, request ids),
    /// names in lower case.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// The body.
    pub body: CassetteBody,
}

/// A recorded body.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum CassetteBody {
    /// No body.
    Empty,
    /// A JSON body, as a value (replay sends it compact).
    Json(Value),
    /// A UTF-8 body that is not JSON.
    Text(String),
    /// A body that is not UTF-8 text (an image, a video), in standard base64; replay sends
    /// the bytes.
    Base64(String),
    /// A body not kept, and why (larger than `--max-bytes`): replay cannot send it, and
    /// answers a 502 `not_recorded` that says why.
    Omitted(String),
}

impl CassetteBody {
    /// The body held with its secrets removed, from its one reading; `None` means it was not
    /// held.
    fn of(body: Option<&Payload<'_>>, keys: &[ApiKey]) -> CassetteBody {
        let Some(body) = body else {
            return CassetteBody::Omitted(
                "the answer was larger than --max-bytes when recorded: passed on, not recorded"
                    .into(),
            );
        };
        let bytes = body.bytes;
        if bytes.is_empty() {
            return CassetteBody::Empty;
        }
        if let Some(value) = body.value() {
            let mut value = value.clone();
            crate::client::redact::json(&mut value, None);
            super::credentials::mask_secret_members(&mut value);
            for key in keys {
                key.remove_echoes(&mut value);
            }
            return CassetteBody::Json(value);
        }
        match std::str::from_utf8(bytes) {
            Ok(text) => CassetteBody::Text(scrub(text, keys)),
            Err(_) => {
                let mut clean = Cow::Borrowed(bytes);
                for key in keys {
                    if let Cow::Owned(scrubbed) = key.remove_echoes_bytes(&clean) {
                        clean = Cow::Owned(scrubbed);
                    }
                }
                CassetteBody::Base64(BASE64_STANDARD.encode(&clean))
            }
        }
    }

    /// The bytes replay sends, or why there are none to send: a body that was not recorded
    /// (the reason it gives), a base64 body that does not decode.
    pub fn to_bytes(&self) -> Result<Vec<u8>, String> {
        match self {
            CassetteBody::Empty => Ok(Vec::new()),
            CassetteBody::Json(value) => serde_json::to_vec(value).map_err(|e| e.to_string()),
            CassetteBody::Text(text) => Ok(text.clone().into_bytes()),
            CassetteBody::Base64(encoded) => BASE64_STANDARD.decode(encoded).map_err(|e| {
                format!("expected a body in standard base64, found one that does not decode: {e}")
            }),
            CassetteBody::Omitted(why) => Err(format!("its body was not recorded: {why}")),
        }
    }
}

/// `text` with the echoes of `keys` and the secrets of its URLs taken out.
pub(crate) fn scrub(text: &str, keys: &[ApiKey]) -> String {
    let mut text = Cow::Borrowed(text);
    for key in keys {
        if let Cow::Owned(bytes) = key.remove_echoes_bytes(text.as_bytes()) {
            text = Cow::Owned(String::from_utf8_lossy(&bytes).into_owned());
        }
    }
    mask_urls(&text).into_owned()
}

/// The headers of `headers` named in `kept` (or starting `x-ratelimit-` when `rate_limits`),
/// secrets removed.
fn kept(
    headers: &HeaderMap,
    kept: &[&str],
    rate_limits: bool,
    keys: &[ApiKey],
) -> BTreeMap<String, String> {
    headers
        .iter()
        .filter(|(name, _)| {
            let name = name.as_str();
            kept.contains(&name) || (rate_limits && name.starts_with("x-ratelimit-"))
        })
        .filter_map(|(name, value)| Some((name.to_string(), scrub(value.to_str().ok()?, keys))))
        .collect()
}

/// One exchange as the proxy saw it, to be recorded.
pub(crate) struct Seen<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub query: Option<&'a str>,
    pub request_headers: &'a HeaderMap,
    pub request_body: &'a Payload<'a>,
    pub status: u16,
    pub response_headers: &'a HeaderMap,
    /// `None` when the body was too large to hold.
    pub response_body: Option<&'a Payload<'a>>,
    /// The keys the request carried.
    pub keys: &'a [ApiKey],
}

impl Cassette {
    /// The cassette of an exchange, every secret removed.
    pub(crate) fn of(seen: &Seen<'_>, recorded_ms: u64) -> Cassette {
        let keys = seen.keys;
        let mut request_headers = kept(seen.request_headers, KEPT_REQUEST_HEADERS, false, keys);
        if let Some(auth) = seen.request_headers.get(axum::http::header::AUTHORIZATION) {
            let scheme = auth
                .to_str()
                .ok()
                .and_then(|v| v.split_once(' '))
                .map(|(scheme, _)| scheme)
                .filter(|s| s.eq_ignore_ascii_case("bearer"))
                .unwrap_or("");
            let shown = if scheme.is_empty() {
                REDACTED.to_string()
            } else {
                format!("{scheme} {REDACTED}")
            };
            request_headers.insert("authorization".into(), shown);
        }
        let query = seen.query.map(|q| {
            let masked = scrub(&format!("?{q}"), keys);
            masked[1..].to_string()
        });
        Cassette {
            version: VERSION,
            recorded_ms,
            session: String::new(),
            request: CassetteRequest {
                method: seen.method.to_string(),
                path: scrub(seen.path, keys),
                query,
                headers: request_headers,
                body: CassetteBody::of(Some(seen.request_body), keys),
            },
            response: CassetteResponse {
                status: seen.status,
                headers: kept(seen.response_headers, KEPT_RESPONSE_HEADERS, true, keys),
                body: CassetteBody::of(seen.response_body, keys),
            },
        }
    }

    /// Reads the cassette at `path`, or says why it cannot be one.
    pub fn read(path: &Path) -> Result<Cassette, Corrupt> {
        let corrupt = |reason: String| Corrupt {
            path: path.to_path_buf(),
            reason,
        };
        let bytes = std::fs::read(path).map_err(|e| corrupt(format!("cannot be read: {e}")))?;
        let cassette: Cassette = serde_json::from_slice(&bytes)
            .map_err(|e| corrupt(format!("expected a cassette (JSON), found {e}")))?;
        if cassette.version != VERSION {
            return Err(corrupt(format!(
                "expected cassette format version {VERSION}, found {}",
                cassette.version
            )));
        }
        for (at, body) in [
            ("/request/body", &cassette.request.body),
            ("/response/body", &cassette.response.body),
        ] {
            if let (CassetteBody::Base64(_), Err(e)) = (body, body.to_bytes()) {
                return Err(corrupt(format!("{at}: {e}")));
            }
        }
        Ok(cassette)
    }
}

/// A cassette file that replay cannot use; the others still replay.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Corrupt {
    /// The file.
    pub path: PathBuf,
    /// Why: unreadable, not JSON, not a cassette.
    pub reason: String,
}

/// A recorded answer whose body was not recorded (larger than `--max-bytes`): replay
/// answers it with a 502 `not_recorded` that says why, never with an empty body.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct NotRecorded {
    /// The cassette file.
    pub path: PathBuf,
    /// The exchange, as `METHOD /path -> status`.
    pub exchange: String,
    /// Why the body is not there.
    pub reason: String,
}

impl fmt::Display for NotRecorded {
    /// `METHOD /path -> status (FILE): REASON`, printable.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({}): {}",
            printable(&self.exchange),
            printable(&self.path.to_string_lossy()),
            printable(&self.reason)
        )
    }
}

impl fmt::Display for Corrupt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {}",
            printable(&self.path.to_string_lossy()),
            printable(&self.reason)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn secrets_never_reach_a_cassette() {
        let key = ApiKey::new("sk-cassette-secret-1").expect("a key");
        let mut request_headers = HeaderMap::new();
        request_headers.insert(
            "authorization",
            HeaderValue::from_static("Bearer sk-cassette-secret-1"),
        );
        request_headers.insert("cookie", HeaderValue::from_static("session=c00kie"));
        let mut response_headers = HeaderMap::new();
        response_headers.insert("set-cookie", HeaderValue::from_static("session=c00kie"));
        response_headers.insert(
            "location",
            HeaderValue::from_static("https://cdn.example/v.mp4?X-Amz-Signature=s1gnature"),
        );
        response_headers.insert("x-ratelimit-remaining", HeaderValue::from_static("9"));
        let body = br#"{"error":{"message":"bad key sk-cassette-secret-1","type":"authentication_error","url":"https://c/x?token=t0ken"}}"#;
        let (request_body, response_body) = (Payload::read(b""), Payload::read(body));
        let seen = Seen {
            method: "GET",
            path: "/v1/tasks/t",
            query: Some("sync_upstream=true&token=qu3ry"),
            request_headers: &request_headers,
            request_body: &request_body,
            status: 401,
            response_headers: &response_headers,
            response_body: Some(&response_body),
            keys: std::slice::from_ref(&key),
        };
        let cassette = Cassette::of(&seen, 1);
        let text = serde_json::to_string(&cassette).expect("serialises");
        for secret in [
            "sk-cassette-secret-1",
            "c00kie",
            "s1gnature",
            "t0ken",
            "qu3ry",
        ] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
        assert_eq!(
            cassette
                .request
                .headers
                .get("authorization")
                .map(String::as_str),
            Some("Bearer REDACTED")
        );
        assert_eq!(
            cassette.request.query.as_deref(),
            Some("sync_upstream=true&token=REDACTED")
        );
        assert!(cassette
            .response
            .headers
            .contains_key("x-ratelimit-remaining"));
    }

    #[test]
    fn binary_bodies_are_kept_in_base64_without_key_echoes_and_bad_base64_is_corrupt() {
        let key = ApiKey::new("sk-binary-secret-1").expect("a key");
        let mut bytes = vec![0xff, 0x00, 0x89];
        bytes.extend_from_slice(b"sk-binary-secret-1");
        let body = CassetteBody::of(Some(&Payload::read(&bytes)), std::slice::from_ref(&key));
        assert!(matches!(body, CassetteBody::Base64(_)), "{body:?}");
        let back = body.to_bytes().expect("decodes");
        assert!(back.starts_with(&[0xff, 0x00, 0x89]));
        assert!(!String::from_utf8_lossy(&back).contains("sk-binary-secret-1"));
        let omitted = CassetteBody::of(None, &[]);
        assert!(omitted
            .to_bytes()
            .expect_err("no body")
            .contains("--max-bytes"));

        let dir = tempfile::tempdir().expect("a directory");
        let path = dir.path().join("0001-GET-200.json");
        let cassette = serde_json::json!({
            "version": 1, "recorded_ms": 1,
            "request": {"method": "GET", "path": "/p", "body": "empty"},
            "response": {"status": 200, "body": {"base64": "not base64 !!"}}
        });
        std::fs::write(&path, cassette.to_string()).expect("a file");
        let corrupt = Cassette::read(&path).expect_err("corrupt");
        assert!(corrupt.reason.contains("/response/body"), "{corrupt}");
    }

    #[test]
    fn a_file_that_is_no_cassette_is_corrupt_and_named() {
        let dir = tempfile::tempdir().expect("a directory");
        let path = dir.path().join("0001-GET-200.json");
        std::fs::write(&path, "{\"version\": 1, \"trunc").expect("a file");
        let corrupt = Cassette::read(&path).expect_err("corrupt");
        assert_eq!(corrupt.path, path);
        assert!(
            corrupt.to_string().contains("0001-GET-200.json"),
            "{corrupt}"
        );
    }
}
