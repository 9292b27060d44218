//! The contract proxy (issue 14), in process between the crate's own client (or a plain HTTP
//! client) and the mock FoxAPI, or a scripted upstream that breaks the contract or the
//! connection. Every test asserts on answers, events, reports and files; never on durations.
#![cfg(feature = "proxy")]

mod support;

use foxapi_contract::client::Client;
use foxapi_contract::mock::{Lifecycle, MockConfig, MockServer};
use foxapi_contract::proxy::{Cassette, Mode, Proxy, ProxyConfig, ProxyEvent, ProxyReport};
use foxapi_contract::{ApiKey, Contract};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::time::Duration;
use support::{Server, Step};

const KEY: &str = "sk-proxy-test-4f3e2d1c0b";
/// A shipped fixture the mock serves.
const FLUX: &str = "task-unified-1757165046-flux0015";
const ID: &str = "task-unified-1757165031-uyujaw3d";
const TASK_PATH: &str = "/v1/tasks/task-unified-1757165031-uyujaw3d";

/// The head and the first bytes of a body that promises 100 bytes and never sends them.
const STALLED_POST: &[u8] =
    b"POST /v1/images/generations HTTP/1.1\r\nHost: p\r\nContent-Length: 100\r\n\r\n{\"mo";

/// A connection to `proxy` that sends `bytes` and then nothing more.
async fn stall(proxy: &Proxy, bytes: &[u8]) -> tokio::net::TcpStream {
    use tokio::io::AsyncWriteExt;
    let mut stream = tokio::net::TcpStream::connect(proxy.addr())
        .await
        .expect("connect");
    stream.write_all(bytes).await.expect("sent");
    stream
}

/// What a stalled connection receives until the proxy closes it, as text; bounded, so that a
/// connection left open fails the test rather than hanging it.
async fn until_closed(stalled: &mut tokio::net::TcpStream) -> String {
    use tokio::io::AsyncReadExt;
    let mut rest = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(60), stalled.read_to_end(&mut rest))
        .await
        .expect("the stalled connection was closed");
    String::from_utf8_lossy(&rest).into_owned()
}

fn fixtures() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures"))
}

/// The mock FoxAPI with the shipped fixtures, the key, and submitted tasks done after two polls.
async fn mock() -> MockServer {
    MockServer::start(MockConfig {
        fixtures: Some(fixtures()),
        api_key: Some(ApiKey::new(KEY).expect("a key")),
        lifecycle: Lifecycle::polls(2),
        ..MockConfig::default()
    })
    .await
    .expect("the mock starts")
}

/// The configuration of a proxy passing through to `upstream`, every other setting its
/// default: a test states only what its scenario changes.
fn in_front_of(upstream: &str) -> ProxyConfig {
    ProxyConfig {
        upstream: Some(upstream.to_string()),
        ..ProxyConfig::default()
    }
}

async fn proxy(upstream: &str, mode: Mode) -> Proxy {
    start(ProxyConfig {
        mode,
        ..in_front_of(upstream)
    })
    .await
}

/// A proxy replaying the recording in `dir`.
async fn replaying(dir: &Path) -> Proxy {
    start(ProxyConfig {
        mode: Mode::Replay(dir.to_path_buf()),
        ..ProxyConfig::default()
    })
    .await
}

/// A proxy replaying an empty recording made in `dir`: it holds no answer for any request.
async fn replaying_nothing(dir: &Path) -> Proxy {
    std::fs::create_dir_all(dir.join("cassettes")).expect("cassettes/");
    replaying(dir).await
}

async fn start(config: ProxyConfig) -> Proxy {
    Proxy::start(config).await.expect("the proxy starts")
}

/// A plain HTTP client: what an application under test would be.
fn http() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("an HTTP client")
}

/// The crate's own client, pointed at `base`.
fn client(base: &str) -> Client {
    Client::builder()
        .api_key(ApiKey::new(KEY).expect("a key"))
        .base_url(base)
        .request_timeout(Duration::from_secs(20))
        .build()
        .expect("a client")
}

/// What an answer is, for comparing: status, the headers that matter, the body bytes.
#[derive(Debug, PartialEq)]
struct Seen {
    status: u16,
    content_type: Option<String>,
    retry_after: Option<String>,
    request_id: Option<String>,
    body: Vec<u8>,
}

async fn get(base: &str, path: &str, key: Option<&str>) -> Seen {
    let mut request = http().get(format!("{base}{path}"));
    if let Some(key) = key {
        request = request.bearer_auth(key);
    }
    seen(request.send().await.expect("an answer")).await
}

async fn seen(response: reqwest::Response) -> Seen {
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    Seen {
        status: response.status().as_u16(),
        content_type: header("content-type"),
        retry_after: header("retry-after"),
        request_id: header("x-request-id"),
        body: response.bytes().await.expect("a body").to_vec(),
    }
}

async fn submit(base: &str, model: &str) -> Seen {
    let response = http()
        .post(format!("{base}/v1/videos/generations"))
        .bearer_auth(KEY)
        .json(&json!({"model": model}))
        .send()
        .await
        .expect("an answer");
    seen(response).await
}

fn json_of(seen: &Seen) -> Value {
    serde_json::from_slice(&seen.body).expect("a JSON body")
}

/// A lip-sync task envelope with `progress` and these extra keys.
fn envelope(progress: i64, extra: &Value) -> String {
    let mut body = json!({
        "id": ID, "object": "video.generation.task", "type": "video", "model": "lipsync-2",
        "status": "processing", "progress": progress, "created": 1757165031, "results": null,
        "error": null, "usage": {"credits_reserved": 5, "user_group": "default"}
    });
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        body.extend(extra.clone());
    }
    body.to_string()
}

/// An upstream whose task path always answers the lip-sync envelope at `progress`: 40 keeps
/// the contract, 150 breaks it at `/progress`.
async fn upstream_answering(progress: i64) -> Server {
    let upstream = Server::start().await;
    upstream.script(
        TASK_PATH,
        vec![Step::json(200, envelope(progress, &json!({})))],
    );
    upstream
}

/// The base URL of a port of 127.0.0.1 that nothing listens on: an upstream that is gone.
fn closed_port() -> String {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    let base = format!("http://{}", closed.local_addr().expect("an address"));
    drop(closed);
    base
}

/// A result file whose upstream promises 1000 bytes and resets after the first 12.
fn half_a_video() -> Step {
    Step::Truncated {
        declared: 1000,
        body: b"half a video".to_vec(),
    }
}

/// Asserts that `seen` is a section 4 error body (checked by the crate's own checker) with
/// `status`, and returns its message.
fn section4(seen: &Seen, status: u16) -> String {
    assert_eq!(
        seen.status,
        status,
        "{:?}",
        String::from_utf8_lossy(&seen.body)
    );
    let body = json_of(seen);
    let report = Contract::global().validate_error_body(&body);
    assert!(
        report.is_valid(),
        "not a section 4 body: {report} in {body}"
    );
    body["error"]["message"]
        .as_str()
        .expect("a message")
        .to_string()
}

/// Every event reported so far.
fn drain(events: &mut tokio::sync::mpsc::UnboundedReceiver<ProxyEvent>) -> Vec<ProxyEvent> {
    std::iter::from_fn(|| events.try_recv().ok()).collect()
}

/// Every file under `dir`, recursively.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(at) = pending.pop() {
        for entry in std::fs::read_dir(&at).expect("a directory").flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

/// A file's bytes as (lossy) text: what a secret must not be found in.
fn text_of(file: &Path) -> String {
    String::from_utf8_lossy(&std::fs::read(file).expect("readable")).into_owned()
}

mod pass_through {
    use super::*;

    #[tokio::test]
    async fn answers_are_byte_identical_to_the_upstreams() {
        let mock = mock().await;
        let proxy = proxy(mock.base_url(), Mode::PassThrough).await;
        for (path, key) in [
            (format!("/v1/tasks/{FLUX}"), Some(KEY)),
            (format!("/v1/tasks/{FLUX}?sync_upstream=true"), Some(KEY)),
            ("/v1/tasks/task-unknown-1".to_string(), Some(KEY)),
            (format!("/v1/tasks/{FLUX}"), None),
            ("/v2/nothing".to_string(), Some(KEY)),
            // A result file: streamed through, not validated.
            (format!("/files/{FLUX}/0/flux-0.png"), None),
        ] {
            let direct = get(mock.base_url(), &path, key).await;
            let through = get(proxy.base_url(), &path, key).await;
            assert_eq!(through, direct, "{path}");
        }
        let report = proxy.shutdown().await;
        assert!(report.passed(), "{:?}", report.violations);
        assert_eq!(report.summary.checked, 5, "the file is not validated");
        mock.shutdown().await.expect("the mock stops");
    }

    #[tokio::test]
    async fn headers_that_matter_come_back_and_hop_by_hop_ones_are_not_forwarded() {
        let upstream = Server::start().await;
        upstream.script(
            TASK_PATH,
            vec![Step::error(429, "rate_limit_error", "slow down")
                .with_header("Retry-After", "7")
                .with_header("X-Request-Id", "req-42")],
        );
        let proxy = proxy(&upstream.base(), Mode::PassThrough).await;
        let direct = get(&upstream.base(), TASK_PATH, Some(KEY)).await;
        let response = http()
            .get(format!(
                "{}{TASK_PATH}?sync_upstream=true",
                proxy.base_url()
            ))
            .bearer_auth(KEY)
            .header("Connection", "keep-alive, X-Hop")
            .header("X-Hop", "1")
            .header("Proxy-Authorization", "Basic cHJveHk6cGFzcw==")
            .header("TE", "trailers")
            .header("X-Kept", "yes")
            .send()
            .await
            .expect("an answer");
        let through = seen(response).await;
        assert_eq!(through, direct);
        assert_eq!(through.retry_after.as_deref(), Some("7"));
        assert_eq!(through.request_id.as_deref(), Some("req-42"));
        let received = upstream.received();
        let forwarded = received.last().expect("a request reached the upstream");
        assert_eq!(forwarded.query.as_deref(), Some("sync_upstream=true"));
        assert_eq!(forwarded.header("x-kept"), Some("yes"));
        assert_eq!(
            forwarded.header("authorization"),
            Some(format!("Bearer {KEY}").as_str())
        );
        for gone in ["x-hop", "proxy-authorization", "te"] {
            assert_eq!(forwarded.header(gone), None, "{gone} was forwarded");
        }
        let upstream_addr = upstream.base().trim_start_matches("http://").to_string();
        assert_eq!(forwarded.header("host"), Some(upstream_addr.as_str()));
        proxy.shutdown().await;
    }

    /// Finding 3: an answer passed on unchanged keeps the upstream's Content-Length,
    /// streamed or checked, GET or HEAD.
    #[tokio::test]
    async fn content_length_of_the_upstream_comes_back_on_streamed_checked_and_head_answers() {
        let upstream = Server::start().await;
        let file = vec![7u8; 5000];
        upstream.script("/files/t/0/v.bin", vec![Step::bytes(&file)]);
        let task = envelope(40, &json!({}));
        upstream.script(TASK_PATH, vec![Step::json(200, task.clone())]);
        for mode in ["pass-through", "record"] {
            let dir = tempfile::tempdir().expect("a directory");
            let mode = match mode {
                "record" => Mode::Record(dir.path().into()),
                _ => Mode::PassThrough,
            };
            let proxy = proxy(&upstream.base(), mode.clone()).await;
            for (path, length) in [("/files/t/0/v.bin", file.len()), (TASK_PATH, task.len())] {
                let url = format!("{}{path}", proxy.base_url());
                for head in [false, true] {
                    let request = if head {
                        http().head(&url)
                    } else {
                        http().get(&url)
                    };
                    let response = request.bearer_auth(KEY).send().await.expect("an answer");
                    assert_eq!(response.status().as_u16(), 200, "{mode:?} {path}");
                    let declared = response
                        .headers()
                        .get("content-length")
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_string);
                    assert_eq!(
                        declared,
                        Some(length.to_string()),
                        "{mode:?} {path} head {head}: {:?}",
                        response.headers()
                    );
                    let body = response.bytes().await.expect("a body");
                    assert_eq!(body.len(), if head { 0 } else { length });
                }
            }
            proxy.shutdown().await;
        }
    }

    #[tokio::test]
    async fn the_crates_client_waits_for_a_submitted_task_through_the_proxy() {
        let mock = mock().await;
        let proxy = proxy(mock.base_url(), Mode::PassThrough).await;
        let submitted = json_of(&submit(proxy.base_url(), "seedance-2.0-text-to-video").await);
        let id = submitted["id"].as_str().expect("an id");
        let policy = foxapi_contract::client::WaitPolicy {
            interval: Duration::from_millis(5),
            ..Default::default()
        };
        let done = client(proxy.base_url())
            .wait(id, &policy, |_| {})
            .await
            .expect("the task completes");
        assert_eq!(done.parsed.task.id, id);
        assert!(!done.parsed.results.is_empty());
        let report = proxy.shutdown().await;
        assert!(report.passed(), "{:?}", report.violations);
        assert!(report.summary.checked >= 3, "{:?}", report.summary);
        mock.shutdown().await.expect("the mock stops");
    }
}

mod violations {
    use super::*;

    #[tokio::test]
    async fn a_task_answer_that_breaks_the_contract_is_passed_on_unchanged_and_reported() {
        let upstream = upstream_answering(150).await;
        let proxy = proxy(&upstream.base(), Mode::PassThrough).await;
        let mut events = proxy.events();
        let direct = get(&upstream.base(), TASK_PATH, Some(KEY)).await;
        let through = get(proxy.base_url(), TASK_PATH, Some(KEY)).await;
        assert_eq!(through, direct, "the answer must pass unchanged");
        let events = drain(&mut events);
        let [ProxyEvent::Violation(violation)] = events.as_slice() else {
            panic!("expected one violation, found {events:?}");
        };
        assert_eq!(violation.report.model.as_deref(), Some("lipsync-2"));
        assert!(
            violation
                .report
                .errors
                .iter()
                .any(|i| i.instance_path == "/progress"),
            "{violation}"
        );
        let line = events[0].to_string();
        assert!(
            line.starts_with(&format!("violation: GET {TASK_PATH} -> 200"))
                && line.contains("/progress"),
            "{line}"
        );
        let report = proxy.shutdown().await;
        assert_eq!(report.violations.len(), 1);
        assert_eq!((report.summary.checked, report.summary.invalid), (1, 1));
        assert!(!report.passed());
    }

    #[tokio::test]
    async fn fail_on_violation_answers_502_with_a_section_4_body_naming_the_violation() {
        let upstream = upstream_answering(150).await;
        let proxy = start(ProxyConfig {
            fail_on_violation: true,
            ..in_front_of(&upstream.base())
        })
        .await;
        let through = get(proxy.base_url(), TASK_PATH, Some(KEY)).await;
        let message = section4(&through, 502);
        assert!(
            message.contains("/progress") && message.contains("lipsync-2"),
            "{message}"
        );
        assert_eq!(json_of(&through)["error"]["code"], "contract_violation");
        assert_eq!(proxy.shutdown().await.violations.len(), 1);
    }

    #[tokio::test]
    async fn a_non_2xx_answer_without_a_section_4_body_is_a_violation() {
        let upstream = Server::start().await;
        upstream.script(
            TASK_PATH,
            vec![Step::Reply {
                status: 500,
                headers: vec![("Content-Type".into(), "text/plain".into())],
                body: b"upstream exploded".to_vec(),
            }],
        );
        upstream.script(
            "/v1/tasks/other",
            vec![Step::json(500, r#"{"error": {"message": 7}}"#)],
        );
        let proxy = proxy(&upstream.base(), Mode::PassThrough).await;
        let through = get(proxy.base_url(), TASK_PATH, Some(KEY)).await;
        assert_eq!(
            (through.status, through.body.as_slice()),
            (500, &b"upstream exploded"[..])
        );
        get(proxy.base_url(), "/v1/tasks/other", Some(KEY)).await;
        let report = proxy.shutdown().await;
        assert_eq!(report.violations.len(), 2, "{:?}", report.violations);
        assert!(report.violations[1]
            .report
            .errors
            .iter()
            .any(|i| i.instance_path.starts_with("/error")));
    }

    /// Finding 6: section 4 covers 4xx and 5xx only; a redirect is no error body.
    #[tokio::test]
    async fn redirects_are_not_checked_as_section_4_bodies_and_pass_even_with_fail_on_violation() {
        let upstream = Server::start().await;
        upstream.script(
            TASK_PATH,
            vec![Step::Reply {
                status: 302,
                headers: vec![("Location".into(), "/v1/tasks/elsewhere".into())],
                body: b"<a href=\"/v1/tasks/elsewhere\">moved</a>".to_vec(),
            }],
        );
        let proxy = start(ProxyConfig {
            fail_on_violation: true,
            ..in_front_of(&upstream.base())
        })
        .await;
        let response = http()
            .get(format!("{}{TASK_PATH}", proxy.base_url()))
            .bearer_auth(KEY)
            .send()
            .await
            .expect("an answer");
        assert_eq!(response.status().as_u16(), 302);
        assert_eq!(
            response
                .headers()
                .get("location")
                .and_then(|v| v.to_str().ok()),
            Some("/v1/tasks/elsewhere")
        );
        let report = proxy.shutdown().await;
        assert!(report.passed(), "{:?}", report.violations);
        assert_eq!(report.summary.checked, 0, "a redirect is not checked");
    }

    #[tokio::test]
    async fn strict_makes_drift_a_violation() {
        let upstream = Server::start().await;
        upstream.script(
            TASK_PATH,
            vec![Step::json(200, envelope(40, &json!({"tint": "blue"})))],
        );
        for strict in [false, true] {
            let proxy = start(ProxyConfig {
                strict,
                ..in_front_of(&upstream.base())
            })
            .await;
            assert_eq!(
                get(proxy.base_url(), TASK_PATH, Some(KEY)).await.status,
                200
            );
            let report = proxy.shutdown().await;
            assert_eq!(report.passed(), !strict, "strict {strict}");
            assert_eq!(report.summary.checked, 1);
        }
    }
}

mod record_and_replay {
    use super::*;

    /// GETs task `id` until it is completed (at most 10 times): each body, in order.
    async fn poll_to_the_end(base: &str, id: &str) -> Vec<Value> {
        let mut bodies = Vec::new();
        for _ in 0..10 {
            let body = json_of(&get(base, &format!("/v1/tasks/{id}"), Some(KEY)).await);
            let done = body["status"] == "completed";
            bodies.push(body);
            if done {
                break;
            }
        }
        bodies
    }

    fn statuses(bodies: &[Value]) -> Vec<String> {
        bodies.iter().map(|b| b["status"].to_string()).collect()
    }

    /// Each file of `dir` by name, with its bytes.
    fn contents(dir: &Path) -> Vec<(String, Vec<u8>)> {
        files_under(dir)
            .into_iter()
            .map(|p| {
                let name = p
                    .file_name()
                    .expect("a name")
                    .to_string_lossy()
                    .into_owned();
                (name, std::fs::read(&p).expect("readable"))
            })
            .collect()
    }

    #[tokio::test]
    async fn recording_then_replaying_gives_the_client_the_same_results() {
        let dir = tempfile::tempdir().expect("a directory");
        let recording = dir.path().join("rec");
        let (recorded_dl, replayed_dl) = (dir.path().join("a"), dir.path().join("b"));

        let mock = mock().await;
        let proxy = proxy(mock.base_url(), Mode::Record(recording.clone())).await;
        let submitted = json_of(&submit(proxy.base_url(), "seedance-2.0-text-to-video").await);
        let id = submitted["id"].as_str().expect("an id").to_string();
        let polls = poll_to_the_end(proxy.base_url(), &id).await;
        assert_eq!(
            statuses(&polls),
            ["\"pending\"", "\"processing\"", "\"completed\""]
        );
        let recorded = client(proxy.base_url())
            .get_task(&id, false)
            .await
            .expect("the task");
        client(proxy.base_url())
            .download(&recorded.parsed, &recorded_dl)
            .await
            .expect("the results download");
        let report = proxy.shutdown().await;
        assert!(report.passed(), "{:?}", report.violations);
        mock.shutdown().await.expect("the mock stops");

        // The recording is a fixture set: `validate` passes it, the mock serves it.
        let checked = foxapi_contract::harness::check_paths(&[recording.join("fixtures")])
            .expect("the run starts");
        assert!(checked.passed(), "{checked}");
        let served = MockServer::start(MockConfig {
            fixtures: Some(recording.join("fixtures")),
            ..MockConfig::default()
        })
        .await
        .expect("the mock starts from the recording");
        assert_eq!(
            served.peek(&id).map(|t| t["status"].clone()),
            Some(json!("completed"))
        );
        served.shutdown().await.expect("the mock stops");

        // Replay, with the upstream gone.
        let replay = replaying(&recording).await;
        assert!(replay.corrupt().is_empty(), "{:?}", replay.corrupt());
        let again = json_of(&submit(replay.base_url(), "seedance-2.0-text-to-video").await);
        assert_eq!(again, submitted);
        let replayed_polls = poll_to_the_end(replay.base_url(), &id).await;
        assert_eq!(statuses(&replayed_polls), statuses(&polls));
        let replayed = client(replay.base_url())
            .get_task(&id, false)
            .await
            .expect("the task, replayed");
        assert_eq!(replayed.parsed.task.status, recorded.parsed.task.status);
        assert_eq!(replayed.parsed.results.len(), recorded.parsed.results.len());
        for item in &replayed.parsed.results {
            let url = item.url().expect("a result URL");
            assert!(
                url.starts_with(&format!("{}/__foxapi-proxy/files/", replay.base_url())),
                "{url}"
            );
        }
        client(replay.base_url())
            .download(&replayed.parsed, &replayed_dl)
            .await
            .expect("the recorded results download");
        let (a, b) = (contents(&recorded_dl), contents(&replayed_dl));
        assert!(!a.is_empty());
        assert_eq!(
            a, b,
            "the files downloaded in replay differ from the recorded ones"
        );
        let report = replay.shutdown().await;
        assert!(report.passed(), "{:?}", report.violations);
    }

    #[tokio::test]
    async fn a_terminal_state_stays_terminal_once_the_recorded_polls_run_out() {
        let dir = tempfile::tempdir().expect("a directory");
        let upstream = Server::start().await;
        upstream.script(
            TASK_PATH,
            vec![
                Step::json(200, envelope(10, &json!({"status": "pending"}))),
                Step::json(200, envelope(60, &json!({}))),
                Step::json(
                    200,
                    envelope(100, &json!({"status": "completed", "results": [{"url": "https://cdn.example/v.mp4"}]})),
                ),
            ],
        );
        let proxy = proxy(&upstream.base(), Mode::Record(dir.path().into())).await;
        for _ in 0..3 {
            get(proxy.base_url(), TASK_PATH, Some(KEY)).await;
        }
        proxy.shutdown().await;
        let replay = replaying(dir.path()).await;
        let mut seen = Vec::new();
        for _ in 0..5 {
            seen.push(
                json_of(&get(replay.base_url(), TASK_PATH, Some(KEY)).await)["progress"].clone(),
            );
        }
        assert_eq!(
            seen,
            [json!(10), json!(60), json!(100), json!(100), json!(100)]
        );
        replay.shutdown().await;
    }

    /// Finding 5: recording keeps files by the id in the poll path; replay must look them up
    /// by the same key, even when the envelope's `id` differs.
    #[tokio::test]
    async fn replay_serves_recorded_files_when_the_poll_path_id_differs_from_the_envelope_id() {
        let dir = tempfile::tempdir().expect("a directory");
        let upstream = Server::start().await;
        let alias = "/v1/tasks/task-alias-of-another-id";
        let video = upstream.url("/r/v.mp4?sig=abc");
        upstream.script(
            alias,
            vec![Step::json(
                200,
                envelope(
                    100,
                    &json!({"status": "completed", "results": [{"url": video}]}),
                ),
            )],
        );
        upstream.script("/r/v.mp4", vec![Step::bytes(b"the aliased video")]);
        let recorder = proxy(&upstream.base(), Mode::Record(dir.path().into())).await;
        assert_eq!(get(recorder.base_url(), alias, Some(KEY)).await.status, 200);
        recorder.shutdown().await;
        let replay = replaying(dir.path()).await;
        let answer = json_of(&get(replay.base_url(), alias, Some(KEY)).await);
        assert_eq!(answer["id"], ID, "the envelope's own id is kept");
        let url = answer["results"][0]["url"]
            .as_str()
            .expect("a URL")
            .to_string();
        assert!(
            url.starts_with(&format!("{}/__foxapi-proxy/files/", replay.base_url())),
            "the result URL was not pointed at the recorded file: {url}"
        );
        let file = http().get(&url).send().await.expect("the file");
        assert_eq!(file.status().as_u16(), 200);
        assert_eq!(
            &file.bytes().await.expect("bytes")[..],
            b"the aliased video"
        );
        replay.shutdown().await;
    }

    /// Finding 1: a binary body within --max-bytes replays byte for byte; an answer whose
    /// body was too large to record replays as a 502 `not_recorded` saying why (never an
    /// empty 200), and start-up counts them.
    #[tokio::test]
    async fn replay_sends_binary_bodies_and_refuses_bodies_that_were_not_recorded() {
        let dir = tempfile::tempdir().expect("a directory");
        let upstream = Server::start().await;
        let picture: Vec<u8> = (0..=255u8).cycle().take(3000).collect();
        assert!(std::str::from_utf8(&picture).is_err());
        upstream.script(
            "/cdn/pic.png",
            vec![Step::Reply {
                status: 200,
                headers: vec![("Content-Type".into(), "image/png".into())],
                body: picture.clone(),
            }],
        );
        upstream.script("/hugefile", vec![Step::bytes(&vec![b'h'; 20_000])]);
        let huge_task = envelope(40, &json!({"padding": "p".repeat(20_000)}));
        let huge_path = "/v1/tasks/huge";
        upstream.script(huge_path, vec![Step::json(200, huge_task)]);
        let recorder = start(ProxyConfig {
            mode: Mode::Record(dir.path().into()),
            max_bytes: 10_000,
            ..in_front_of(&upstream.base())
        })
        .await;
        for path in ["/cdn/pic.png", "/hugefile", huge_path] {
            assert_eq!(get(recorder.base_url(), path, Some(KEY)).await.status, 200);
        }
        recorder.shutdown().await;

        let replay = replaying(dir.path()).await;
        let mut not_recorded: Vec<String> = replay
            .not_recorded()
            .iter()
            .map(|n| n.exchange.clone())
            .collect();
        not_recorded.sort();
        assert_eq!(
            not_recorded,
            ["GET /hugefile -> 200", "GET /v1/tasks/huge -> 200"]
        );
        let pic = get(replay.base_url(), "/cdn/pic.png", None).await;
        assert_eq!(pic.status, 200);
        assert_eq!(pic.content_type.as_deref(), Some("image/png"));
        assert_eq!(pic.body, picture, "the binary body replays byte for byte");
        for path in ["/hugefile", huge_path] {
            let answer = get(replay.base_url(), path, Some(KEY)).await;
            let message = section4(&answer, 502);
            assert_eq!(json_of(&answer)["error"]["code"], "not_recorded", "{path}");
            assert!(
                message.contains(path) && message.contains("--max-bytes"),
                "{path}: {message}"
            );
        }
        let report = replay.shutdown().await;
        assert!(
            report.violations.is_empty(),
            "no spurious violation: {:?}",
            report.violations
        );
        assert_eq!(report.not_recorded, 2, "each miss is counted");
        assert!(!report.passed(), "a body not recorded fails the run");
    }

    /// Finding 7b: recording twice into one directory does not join the poll sequences;
    /// replay serves the latest session's, so a completed task never goes back to pending.
    #[tokio::test]
    async fn a_second_recording_replaces_the_first_ones_poll_sequences_instead_of_extending_them() {
        let dir = tempfile::tempdir().expect("a directory");
        let done =
            json!({"status": "completed", "results": [{"url": "https://cdn.example/v.mp4"}]});
        for progresses in [[10, 100], [20, 100]] {
            let upstream = Server::start().await;
            upstream.script(
                TASK_PATH,
                vec![
                    Step::json(200, envelope(progresses[0], &json!({"status": "pending"}))),
                    Step::json(200, envelope(progresses[1], &done)),
                ],
            );
            let recorder = proxy(&upstream.base(), Mode::Record(dir.path().into())).await;
            for _ in 0..2 {
                get(recorder.base_url(), TASK_PATH, Some(KEY)).await;
            }
            recorder.shutdown().await;
        }
        let replay = replaying(dir.path()).await;
        let mut seen = Vec::new();
        for _ in 0..4 {
            let body = json_of(&get(replay.base_url(), TASK_PATH, Some(KEY)).await);
            seen.push((body["status"].clone(), body["progress"].clone()));
        }
        assert_eq!(
            seen,
            [
                (json!("pending"), json!(20)),
                (json!("completed"), json!(100)),
                (json!("completed"), json!(100)),
                (json!("completed"), json!(100)),
            ]
        );
        replay.shutdown().await;
    }

    #[tokio::test]
    async fn nothing_secret_reaches_the_disk() {
        let dir = tempfile::tempdir().expect("a directory");
        let upstream = Server::start().await;
        let signed =
            upstream.url("/r/v.mp4?X-Amz-Signature=SIGSECRET1&X-Amz-Credential=CREDSECRET1");
        upstream.script(
            TASK_PATH,
            vec![Step::json(
                200,
                envelope(
                    100,
                    &json!({"status": "completed", "results": [{"url": signed}], "note": KEY}),
                ),
            )],
        );
        upstream.script("/r/v.mp4", vec![Step::bytes(b"the video")]);
        upstream.script(
            "/v1/tasks/echo",
            vec![Step::EchoAuthorization { status: 401 }],
        );
        let proxy = proxy(&upstream.base(), Mode::Record(dir.path().into())).await;
        let mut events = proxy.events();
        let through = get(
            proxy.base_url(),
            &format!("{TASK_PATH}?token=QSECRET1"),
            Some(KEY),
        )
        .await;
        assert!(
            String::from_utf8_lossy(&through.body).contains("SIGSECRET1"),
            "the application gets the signed URL as sent"
        );
        let echoed = get(proxy.base_url(), "/v1/tasks/echo", Some(KEY)).await;
        assert!(String::from_utf8_lossy(&echoed.body).contains(KEY));
        let report = proxy.shutdown().await;
        let shown = format!("{:?} {:?}", report.outcomes, drain(&mut events));
        let files = files_under(dir.path());
        let video = files
            .iter()
            .find(|p| p.to_string_lossy().contains("/files/"))
            .expect("the result file was recorded through its signed URL");
        assert_eq!(std::fs::read(video).expect("readable"), b"the video");
        assert_eq!(
            files.len(),
            4,
            "two cassettes, a fixture, a file: {files:?}"
        );
        for file in &files {
            let text = text_of(file);
            for secret in [KEY, "SIGSECRET1", "CREDSECRET1", "QSECRET1"] {
                assert!(
                    !text.contains(secret),
                    "{secret} in {}: {text}",
                    file.display()
                );
            }
        }
        assert!(
            !shown.contains(KEY) && !shown.contains("SIGSECRET1"),
            "{shown}"
        );
    }

    /// An upstream that echoes every credential it receives (the values of `Authorization`,
    /// `X-Api-Key`, `Api-Key`, `X-Goog-Api-Key` and `Cookie`, joined) in a task envelope that
    /// breaks the contract (`/progress`) and drifts at `/status` (so a report quotes it), in
    /// `note`, and in the `X-Request-Id` header; and in a 401 section 4 body at
    /// `/v1/tasks/refused`.
    async fn echoing_upstream() -> (String, tokio::task::JoinHandle<()>) {
        use axum::http::HeaderMap;
        async fn echo(uri: axum::http::Uri, headers: HeaderMap) -> axum::response::Response {
            use axum::response::IntoResponse;
            let echoed: Vec<String> = [
                "authorization",
                "x-api-key",
                "api-key",
                "x-goog-api-key",
                "cookie",
            ]
            .iter()
            .filter_map(|name| Some(headers.get(*name)?.to_str().ok()?.to_string()))
            .collect();
            let echoed = echoed.join(" | ");
            let (status, body) = if uri.path() == "/v1/tasks/refused" {
                (
                    401,
                    json!({"error": {"message": format!("invalid key: {echoed}"), "type": "authentication_error"}}),
                )
            } else {
                let mut body: Value =
                    serde_json::from_str(&envelope(150, &json!({"note": echoed.clone()})))
                        .expect("an envelope");
                body["status"] = json!(echoed.clone());
                (200, body)
            };
            (
                axum::http::StatusCode::from_u16(status).expect("a status"),
                [("x-request-id", format!("req {echoed}"))],
                axum::Json(body),
            )
                .into_response()
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("an address"));
        let app = axum::Router::new().fallback(echo);
        let serving = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        (base, serving)
    }

    /// Finding 4: a key sent without `Bearer`, in an api-key header, or as a cookie is a
    /// secret too: its echoes reach neither the disk nor the reports nor the events.
    #[tokio::test]
    async fn key_echoes_are_removed_whatever_header_carried_the_key() {
        let (base, serving) = echoing_upstream().await;
        for (header, value, secret) in [
            (
                "Authorization",
                "sk-live-RAWKEY7777777",
                "sk-live-RAWKEY7777777",
            ),
            ("X-Api-Key", "sk-xapi-SECRET8888", "sk-xapi-SECRET8888"),
            ("Api-Key", "sk-apikey-SECRET9999", "sk-apikey-SECRET9999"),
            ("X-Goog-Api-Key", "AIzaGOOGSECRET0000", "AIzaGOOGSECRET0000"),
            ("Cookie", "theme=dark; session=COOKIESECRET", "COOKIESECRET"),
        ] {
            let dir = tempfile::tempdir().expect("a directory");
            let proxy = proxy(&base, Mode::Record(dir.path().into())).await;
            let mut events = proxy.events();
            let mut echoed = String::new();
            for path in [TASK_PATH, "/v1/tasks/refused"] {
                let response = http()
                    .get(format!("{}{path}", proxy.base_url()))
                    .header(header, value)
                    .send()
                    .await
                    .expect("an answer");
                echoed.push_str(&String::from_utf8_lossy(&seen(response).await.body));
            }
            assert!(
                echoed.contains(secret),
                "the upstream echoed {header} to the application: {echoed}"
            );
            let report = proxy.shutdown().await;
            assert!(!report.passed(), "progress 150 is a violation");
            let events: Vec<String> = drain(&mut events).iter().map(ToString::to_string).collect();
            let shown = format!("{:?} {:?} {events:?}", report.outcomes, report.violations);
            assert!(
                !shown.contains(secret),
                "{header}: {secret} reported: {shown}"
            );
            let files = files_under(dir.path());
            assert!(
                files
                    .iter()
                    .any(|f| f.to_string_lossy().contains("/fixtures/")),
                "{files:?}"
            );
            for file in &files {
                let text = text_of(file);
                assert!(
                    !text.contains(secret),
                    "{header}: {secret} in {}: {text}",
                    file.display()
                );
            }
        }
        serving.abort();
    }

    /// Re-review finding 3: a key sent in a JSON request body under a secret's name
    /// (`api_key`, `token`, `secret`, `password`, `authorization`, `access_token`, at any
    /// depth), and a secret an answer holds under such a name, reach no file of the
    /// recording, and no report or event; an echo of one in an answer is taken out too.
    #[tokio::test]
    async fn finding_3_keys_in_json_bodies_under_secret_names_reach_no_file_or_report() {
        const IN_BODY: &[&str] = &[
            "sk-INBODY88888888",
            "tok-INBODY-2222",
            "sec-INBODY-3333",
            "pw-INBODY-4444",
            "az-INBODY-5555",
            "at-INBODY-6666",
            "sk-NESTED-7777777",
            "at-RESPONSE-99999999",
        ];
        let dir = tempfile::tempdir().expect("a directory");
        let upstream = Server::start().await;
        upstream.script(
            "/v1/videos/generations",
            vec![Step::json(
                400,
                json!({
                    // The answer's own secret is echoed in its message too: only taking the
                    // secrets the answer holds out of its text keeps it from the files.
                    "error": {"message": "invalid api_key sk-INBODY88888888, fresh at-RESPONSE-99999999", "type": "invalid_request_error"},
                    "access_token": "at-RESPONSE-99999999"
                })
                .to_string(),
            )],
        );
        let proxy = proxy(&upstream.base(), Mode::Record(dir.path().into())).await;
        let mut events = proxy.events();
        let body = json!({
            "model": "lipsync-2",
            "api_key": "sk-INBODY88888888",
            "token": "tok-INBODY-2222",
            "secret": "sec-INBODY-3333",
            "password": "pw-INBODY-4444",
            "authorization": "Bearer az-INBODY-5555",
            "access_token": "at-INBODY-6666",
            "options": [{"Api_Key": "sk-NESTED-7777777"}],
            "max_tokens": 64
        });
        let response = http()
            .post(format!("{}/v1/videos/generations", proxy.base_url()))
            .json(&body)
            .send()
            .await
            .expect("an answer");
        let through = seen(response).await;
        assert_eq!(through.status, 400);
        assert!(
            String::from_utf8_lossy(&through.body).contains("sk-INBODY88888888"),
            "the application gets the answer as sent"
        );
        let report = proxy.shutdown().await;
        let shown = format!(
            "{:?} {:?} {:?}",
            report.outcomes,
            report.violations,
            drain(&mut events)
        );
        let files = files_under(dir.path());
        assert!(!files.is_empty(), "the exchange was recorded");
        let mut requests = 0;
        for file in &files {
            let text = text_of(file);
            for secret in IN_BODY {
                assert!(
                    !text.contains(secret),
                    "{secret} in {}: {text}",
                    file.display()
                );
            }
            if text.contains("\"request\"") {
                requests += 1;
                let cassette: Value = serde_json::from_str(&text).expect("a cassette");
                let kept = &cassette["request"]["body"]["json"];
                assert_eq!(kept["api_key"], "REDACTED", "{kept}");
                assert_eq!(kept["max_tokens"], 64, "numbers are kept: {kept}");
                assert_eq!(kept["model"], "lipsync-2");
            }
        }
        assert!(requests > 0, "a cassette kept the request: {files:?}");
        for secret in IN_BODY {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
    }

    /// Re-review finding 4: each request replay holds no answer for is said as it happens
    /// (a `NotRecorded` event), is a failed outcome `#N GET /path -> not_recorded`, and fails
    /// the run; a result file not recorded too.
    #[tokio::test]
    async fn finding_4_replay_misses_are_events_failed_outcomes_and_fail_the_run() {
        let dir = tempfile::tempdir().expect("a directory");
        let replay = replaying_nothing(dir.path()).await;
        let mut events = replay.events();
        section4(
            &get(replay.base_url(), "/v1/tasks/task-never-seen", Some(KEY)).await,
            404,
        );
        section4(
            &get(replay.base_url(), "/__foxapi-proxy/files/x/0/0-a.png", None).await,
            404,
        );
        let events = drain(&mut events);
        let [ProxyEvent::NotRecorded { exchange, reason }, ProxyEvent::NotRecorded { .. }] =
            events.as_slice()
        else {
            panic!("expected two not-recorded events, found {events:?}");
        };
        assert_eq!(exchange, "GET /v1/tasks/task-never-seen");
        assert!(reason.contains("404"), "{reason}");
        let report = replay.shutdown().await;
        assert_eq!(report.not_recorded, 2);
        assert!(!report.passed(), "a stale recording fails the run");
        let sources: Vec<&str> = report.outcomes.iter().map(|o| o.source.as_str()).collect();
        assert_eq!(
            sources,
            [
                "#1 GET /v1/tasks/task-never-seen -> not_recorded",
                "#2 GET /__foxapi-proxy/files/x/0/0-a.png -> not_recorded"
            ]
        );
        for outcome in &report.outcomes {
            assert!(!outcome.report.is_valid());
            let message = &outcome.report.errors[0].message;
            assert!(message.starts_with("not_recorded:"), "{message}");
        }
        assert_eq!(report.summary.failed, 2);
    }

    #[tokio::test]
    async fn replay_answers_an_unrecorded_request_with_a_404_naming_it() {
        let dir = tempfile::tempdir().expect("a directory");
        let replay = replaying_nothing(dir.path()).await;
        let answer = get(replay.base_url(), "/v1/tasks/task-never-seen", Some(KEY)).await;
        let message = section4(&answer, 404);
        assert!(
            message.contains("GET /v1/tasks/task-never-seen") && message.contains("not recorded"),
            "{message}"
        );
        let file = get(replay.base_url(), "/__foxapi-proxy/files/x/0/0-a.png", None).await;
        section4(&file, 404);
        replay.shutdown().await;
    }

    #[tokio::test]
    async fn a_corrupt_cassette_is_reported_by_name_and_the_rest_still_replays() {
        let dir = tempfile::tempdir().expect("a directory");
        let mock = mock().await;
        let proxy = proxy(mock.base_url(), Mode::Record(dir.path().into())).await;
        let recorded = get(proxy.base_url(), &format!("/v1/tasks/{FLUX}"), Some(KEY)).await;
        proxy.shutdown().await;
        mock.shutdown().await.expect("the mock stops");
        let bad = dir
            .path()
            .join("cassettes")
            .join(FLUX)
            .join("0099-GET-200.json");
        std::fs::write(&bad, "{\"version\": 1, \"request\": ").expect("a corrupt cassette");
        let replay = replaying(dir.path()).await;
        let corrupt = replay.corrupt();
        assert_eq!(corrupt.len(), 1, "{corrupt:?}");
        assert_eq!(corrupt[0].path, bad);
        assert!(corrupt[0].to_string().contains("0099-GET-200.json"));
        let replayed = get(replay.base_url(), &format!("/v1/tasks/{FLUX}"), Some(KEY)).await;
        assert_eq!(replayed.status, 200);
        assert_eq!(json_of(&replayed)["id"], json_of(&recorded)["id"]);
        replay.shutdown().await;
    }

    #[tokio::test]
    async fn two_recorders_into_one_directory_never_interleave_a_cassette() {
        let dir = tempfile::tempdir().expect("a directory");
        let mock = mock().await;
        let first = proxy(mock.base_url(), Mode::Record(dir.path().into())).await;
        let second = proxy(mock.base_url(), Mode::Record(dir.path().into())).await;
        let mut requests = tokio::task::JoinSet::new();
        for n in 0..40 {
            let base = if n % 2 == 0 {
                first.base_url()
            } else {
                second.base_url()
            }
            .to_string();
            requests.spawn(async move {
                get(&base, &format!("/v1/tasks/{FLUX}"), Some(KEY))
                    .await
                    .status
            });
        }
        while let Some(status) = requests.join_next().await {
            assert_eq!(status.expect("a request"), 200);
        }
        first.shutdown().await;
        second.shutdown().await;
        mock.shutdown().await.expect("the mock stops");
        let cassettes = files_under(&dir.path().join("cassettes"));
        assert_eq!(cassettes.len(), 40, "{cassettes:?}");
        for path in &cassettes {
            let name = path
                .file_name()
                .expect("a name")
                .to_string_lossy()
                .into_owned();
            assert!(!name.starts_with('.'), "a temporary file was left: {name}");
            let cassette = Cassette::read(path).expect("every cassette is whole");
            assert_eq!(cassette.response.status, 200);
        }
    }
}

mod concurrency {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_hundred_concurrent_clients_each_get_their_own_answers() {
        let mock = MockServer::start(MockConfig {
            api_key: Some(ApiKey::new(KEY).expect("a key")),
            ..MockConfig::default()
        })
        .await
        .expect("the mock starts");
        let proxy = proxy(mock.base_url(), Mode::PassThrough).await;
        let base = proxy.base_url().to_string();
        let mut submits = tokio::task::JoinSet::new();
        for _ in 0..100 {
            let base = base.clone();
            submits
                .spawn(async move { json_of(&submit(&base, "seedance-2.0-text-to-video").await) });
        }
        let mut ids = Vec::new();
        while let Some(answer) = submits.join_next().await {
            ids.push(
                answer.expect("a submit")["id"]
                    .as_str()
                    .expect("an id")
                    .to_string(),
            );
        }
        let mut distinct = ids.clone();
        distinct.sort();
        distinct.dedup();
        assert_eq!(distinct.len(), 100);
        let mut polls = tokio::task::JoinSet::new();
        for id in ids {
            let client = client(&base);
            polls.spawn(async move {
                let fetched = client.get_task(&id, false).await.expect("a task");
                (id, fetched.parsed.task.id)
            });
        }
        while let Some(answer) = polls.join_next().await {
            let (asked, answered) = answer.expect("a poll");
            assert_eq!(answered, asked);
        }
        let report = proxy.shutdown().await;
        assert!(report.passed(), "{:?}", report.violations);
        assert_eq!(report.summary.checked, 200);
        mock.shutdown().await.expect("the mock stops");
    }
}

mod faults {
    use super::*;

    /// A proxy before `upstream` that gives up on it after 300 ms without a byte.
    async fn impatient(upstream: &str) -> Proxy {
        start(ProxyConfig {
            upstream_timeout: Duration::from_millis(300),
            ..in_front_of(upstream)
        })
        .await
    }

    /// The 502 for a fault scripted on the task path, its message, and the fault event.
    async fn fault(step: Step) -> (String, Vec<ProxyEvent>, ProxyReport) {
        let upstream = Server::start().await;
        upstream.script(TASK_PATH, vec![step]);
        let proxy = impatient(&upstream.base()).await;
        let mut events = proxy.events();
        let answer = get(proxy.base_url(), TASK_PATH, Some(KEY)).await;
        let message = section4(&answer, 502);
        assert_eq!(json_of(&answer)["error"]["code"], "upstream_failed");
        let events = drain(&mut events);
        (message, events, proxy.shutdown().await)
    }

    fn one_fault(events: &[ProxyEvent]) -> &str {
        match events {
            [ProxyEvent::Fault { reason, .. }] => reason,
            _ => panic!("expected one fault event, found {events:?}"),
        }
    }

    #[tokio::test]
    async fn an_upstream_that_never_answers_gives_a_502_not_a_hang() {
        let (message, events, report) = fault(Step::Hang).await;
        assert!(message.contains("timed out"), "{message}");
        assert!(one_fault(&events).contains("timed out"));
        assert_eq!(report.faults, 1);
    }

    /// Finding 7c: an upstream fault is an outcome of the reports (an `upstream_failed`
    /// error) and fails the run, so CI sees it.
    #[tokio::test]
    async fn upstream_faults_are_failed_outcomes_in_the_reports() {
        let (_, _, report) = fault(Step::Drop).await;
        assert_eq!(report.faults, 1);
        assert!(!report.passed(), "a fault fails the run");
        let [outcome] = report.outcomes.as_slice() else {
            panic!("expected one outcome, found {:?}", report.outcomes);
        };
        assert!(
            outcome.source.contains(TASK_PATH) && outcome.source.ends_with("upstream_failed"),
            "{}",
            outcome.source
        );
        assert!(!outcome.report.is_valid());
        assert!(
            outcome.report.errors[0]
                .message
                .starts_with("upstream_failed:"),
            "{:?}",
            outcome.report.errors
        );
        assert_eq!((report.summary.invalid, report.summary.failed), (1, 1));
    }

    #[tokio::test]
    async fn an_upstream_that_resets_the_connection_gives_a_502() {
        let (message, events, _) = fault(Step::Drop).await;
        assert!(
            message.contains("expected an answer from the upstream"),
            "{message}"
        );
        one_fault(&events);
    }

    #[tokio::test]
    async fn a_truncated_upstream_body_gives_a_502() {
        let (message, events, _) = fault(Step::Truncated {
            declared: 400,
            body: br#"{"id": "task-unified-1757165031-uyu"#.to_vec(),
        })
        .await;
        assert!(message.contains("cut short"), "{message}");
        assert!(one_fault(&events).contains("cut short"));
    }

    /// Asks `path` through `proxy` and reads the body: the status and whether the body came
    /// whole.
    async fn streamed(proxy: &Proxy, path: &str) -> (u16, Result<Vec<u8>, String>) {
        let response = http()
            .get(format!("{}{path}", proxy.base_url()))
            .send()
            .await
            .expect("the head comes through");
        let status = response.status().as_u16();
        let body = response.bytes().await.map(|b| b.to_vec());
        (status, body.map_err(|e| e.to_string()))
    }

    /// The one outcome of `report`, which must be an upstream fault of `path`.
    fn one_failed_outcome(report: &ProxyReport, path: &str) -> String {
        let [outcome] = report.outcomes.as_slice() else {
            panic!("expected one outcome, found {:?}", report.outcomes);
        };
        assert!(
            outcome.source.contains(&format!("GET {path}"))
                && outcome.source.ends_with("-> upstream_failed"),
            "{}",
            outcome.source
        );
        assert!(!outcome.report.is_valid());
        let message = outcome.report.errors[0].message.clone();
        assert!(message.starts_with("upstream_failed:"), "{message}");
        assert_eq!((report.faults, report.summary.failed), (1, 1));
        assert!(!report.passed(), "a body cut midway fails the run");
        message
    }

    /// Re-review finding 1: an upstream that resets mid-body while the answer is streamed
    /// cuts the application's answer and is an upstream fault: a fault event, a failed
    /// outcome `#N GET /path -> upstream_failed`, a failed run.
    #[tokio::test]
    async fn finding_1_a_streamed_body_reset_midway_is_an_upstream_fault_in_the_report() {
        let upstream = Server::start().await;
        upstream.script("/files/v.mp4", vec![half_a_video()]);
        let proxy = impatient(&upstream.base()).await;
        let mut events = proxy.events();
        let (status, body) = streamed(&proxy, "/files/v.mp4").await;
        assert_eq!(status, 200);
        assert!(body.is_err(), "the body must not look whole: {body:?}");
        match drain(&mut events).as_slice() {
            [ProxyEvent::Fault {
                reason, answered, ..
            }] => {
                assert!(reason.contains("after 12 bytes"), "{reason}");
                assert!(answered.contains("cut after 12 bytes"), "{answered}");
            }
            other => panic!("expected one fault, found {other:?}"),
        }
        let report = proxy.shutdown().await;
        let message = one_failed_outcome(&report, "/files/v.mp4");
        assert!(message.contains("12 bytes"), "{message}");
    }

    /// An upstream that sends a head and some bytes and then nothing, holding the connection
    /// open until the proxy gives up on it: its base URL.
    async fn stalling_midway(answer: &'static [u8]) -> String {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a port");
        let base = format!("http://{}", listener.local_addr().expect("an address"));
        tokio::spawn(async move {
            while let Ok((mut tcp, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let mut head = Vec::new();
                    let mut byte = [0u8; 1];
                    while !head.ends_with(b"\r\n\r\n") {
                        match tcp.read(&mut byte).await {
                            Ok(1) => head.push(byte[0]),
                            _ => return,
                        }
                    }
                    if tcp.write_all(answer).await.is_err() {
                        return;
                    }
                    // Nothing more, until the proxy closes the connection.
                    let mut rest = Vec::new();
                    let _ = tcp.read_to_end(&mut rest).await;
                });
            }
        });
        base
    }

    /// Re-review findings 1 and 2: a streamed answer whose upstream stops sending midway is
    /// cut after the idle timeout, and that is an upstream fault of the report.
    #[tokio::test]
    async fn finding_1_a_streamed_body_stalled_midway_is_cut_at_the_idle_timeout_and_a_fault() {
        let base = stalling_midway(
            b"HTTP/1.1 200 OK\r\nContent-Type: video/mp4\r\nContent-Length: 100\r\n\r\nten bytes!",
        )
        .await;
        let proxy = impatient(&base).await;
        let (status, body) = streamed(&proxy, "/files/v.mp4").await;
        assert_eq!(status, 200);
        assert!(body.is_err(), "the body must not look whole: {body:?}");
        let report = proxy.shutdown().await;
        let message = one_failed_outcome(&report, "/files/v.mp4");
        assert!(
            message.contains("--upstream-timeout") && message.contains("after 10 bytes"),
            "{message}"
        );
    }

    /// An upstream that answers `path` slowly but steadily (40 bytes, one every 25 ms: a
    /// second in all), and an impatient proxy before it (an idle timeout of 300 ms).
    async fn dripping(path: &str) -> (Server, Proxy) {
        let upstream = Server::start().await;
        upstream.script(
            path,
            vec![Step::Drip {
                every: Duration::from_millis(25),
                bytes: 40,
            }],
        );
        let proxy = impatient(&upstream.base()).await;
        (upstream, proxy)
    }

    /// Re-review finding 2: the upstream timeout is an idle timeout: a streamed answer that
    /// keeps coming, slowly, for longer than it passes through whole, without a fault.
    #[tokio::test]
    async fn finding_2_a_slow_but_steady_streamed_answer_longer_than_the_upstream_timeout_passes_whole(
    ) {
        let (_upstream, proxy) = dripping("/files/slow.mp4").await;
        let mut events = proxy.events();
        let (status, body) = streamed(&proxy, "/files/slow.mp4").await;
        assert_eq!(status, 200);
        assert_eq!(body.expect("the whole body").len(), 40);
        assert_eq!(drain(&mut events), Vec::new());
        let report = proxy.shutdown().await;
        assert!(
            report.passed() && report.faults == 0,
            "{:?}",
            report.outcomes
        );
    }

    /// Re-review finding 2: a held answer (validated) that comes slowly but steadily is not
    /// cut either; the upstream timeout applies between chunks.
    #[tokio::test]
    async fn finding_2_a_slow_but_steady_held_answer_longer_than_the_upstream_timeout_is_checked() {
        let (_upstream, proxy) = dripping("/v1/tasks/slow").await;
        let (status, body) = streamed(&proxy, "/v1/tasks/slow").await;
        assert_eq!(status, 200);
        assert_eq!(body.expect("the whole body").len(), 40);
        let report = proxy.shutdown().await;
        assert_eq!(report.faults, 0, "{:?}", report.outcomes);
        assert_eq!(report.summary.checked, 1, "held whole and checked");
    }

    #[tokio::test]
    async fn an_answer_too_large_to_validate_is_passed_on_whole_with_a_warning() {
        let upstream = Server::start().await;
        let body = envelope(150, &json!({"padding": "p".repeat(4000)}));
        upstream.script(TASK_PATH, vec![Step::json(200, body.clone())]);
        let proxy = start(ProxyConfig {
            max_bytes: 1024,
            fail_on_violation: true,
            ..in_front_of(&upstream.base())
        })
        .await;
        let mut events = proxy.events();
        let through = get(proxy.base_url(), TASK_PATH, Some(KEY)).await;
        assert_eq!((through.status, through.body), (200, body.into_bytes()));
        match drain(&mut events).as_slice() {
            [ProxyEvent::Warning { message, .. }] => {
                assert!(message.contains("larger than 1024 bytes"), "{message}");
            }
            other => panic!("expected one warning, found {other:?}"),
        }
        let report = proxy.shutdown().await;
        assert_eq!((report.summary.checked, report.warnings), (0, 1));
    }

    #[tokio::test]
    async fn an_unreachable_upstream_gives_a_502() {
        let proxy = proxy(&closed_port(), Mode::PassThrough).await;
        let message = section4(&get(proxy.base_url(), TASK_PATH, Some(KEY)).await, 502);
        assert!(message.contains("connect"), "{message}");
        proxy.shutdown().await;
    }

    #[tokio::test]
    async fn a_request_body_over_max_bytes_is_refused_with_413_before_the_upstream() {
        let upstream = Server::start().await;
        let proxy = start(ProxyConfig {
            max_bytes: 1024,
            ..in_front_of(&upstream.base())
        })
        .await;
        let response = http()
            .post(format!("{}/v1/videos/generations", proxy.base_url()))
            .bearer_auth(KEY)
            .body(vec![b'x'; 2048])
            .send()
            .await
            .expect("an answer");
        let message = section4(&seen(response).await, 413);
        assert!(message.contains("1024"), "{message}");

        // Chunked, without a length to refuse it by: counted as it comes.
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut stream = tokio::net::TcpStream::connect(proxy.addr())
            .await
            .expect("connect");
        let chunk = "y".repeat(600);
        let request = format!(
            "POST /v1/videos/generations HTTP/1.1\r\nHost: p\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n{len:x}\r\n{chunk}\r\n{len:x}\r\n{chunk}\r\n0\r\n\r\n",
            len = chunk.len()
        );
        stream.write_all(request.as_bytes()).await.expect("sent");
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).await.expect("read");
        let text = String::from_utf8_lossy(&raw);
        assert!(text.starts_with("HTTP/1.1 413"), "{text}");
        assert_eq!(upstream.count("/v1/videos/generations"), 0);
        proxy.shutdown().await;
    }

    /// Finding 2: a client that stalls in its request body does not keep the proxy from
    /// shutting down: after the grace its connection is dropped, said in a warning, and
    /// the report comes.
    #[tokio::test]
    async fn a_stalled_client_does_not_stop_the_proxy_from_shutting_down_and_reporting() {
        let upstream = upstream_answering(40).await;
        let proxy = start(ProxyConfig {
            header_read_timeout: Duration::from_secs(600),
            request_body_timeout: Duration::from_secs(600),
            shutdown_grace: Duration::from_millis(100),
            ..in_front_of(&upstream.base())
        })
        .await;
        let mut events = proxy.events();
        let mut stalled = stall(&proxy, STALLED_POST).await;
        // A whole exchange after it: the stalled connection was accepted first.
        assert_eq!(
            get(proxy.base_url(), TASK_PATH, Some(KEY)).await.status,
            200
        );
        let report = tokio::time::timeout(Duration::from_secs(120), proxy.shutdown())
            .await
            .expect("the proxy shut down despite the stalled client");
        assert_eq!(report.exchanges, 2, "both requests were seen");
        assert_eq!(report.summary.checked, 1);
        let events = drain(&mut events);
        let warned = events.iter().any(|e| {
            matches!(e, ProxyEvent::Warning { message, .. } if message.contains("connections were still open"))
        });
        assert!(warned, "the dropped connection is said: {events:?}");
        assert!(
            !until_closed(&mut stalled).await.contains("HTTP/1.1 2"),
            "the stalled request was never answered as if whole"
        );
    }

    /// Finding 2: a request body that stalls gets a 408 with a section 4 body, and never
    /// reaches the upstream.
    #[tokio::test]
    async fn a_request_body_that_stalls_gets_a_408_and_never_reaches_the_upstream() {
        use tokio::io::AsyncReadExt;
        let upstream = Server::start().await;
        let proxy = start(ProxyConfig {
            request_body_timeout: Duration::from_millis(100),
            ..in_front_of(&upstream.base())
        })
        .await;
        let mut stalled = stall(&proxy, STALLED_POST).await;
        let mut answer = Vec::new();
        let mut chunk = [0u8; 4096];
        while !String::from_utf8_lossy(&answer).contains("request_timeout") {
            let n = tokio::time::timeout(Duration::from_secs(60), stalled.read(&mut chunk))
                .await
                .expect("an answer came")
                .expect("read");
            assert!(
                n > 0,
                "closed without an answer: {:?}",
                String::from_utf8_lossy(&answer)
            );
            answer.extend_from_slice(&chunk[..n]);
        }
        let text = String::from_utf8_lossy(&answer);
        assert!(text.starts_with("HTTP/1.1 408"), "{text}");
        assert!(text.contains("--request-body-timeout"), "{text}");
        assert_eq!(upstream.count("/v1/images/generations"), 0);
        proxy.shutdown().await;
    }

    /// Re-review finding 2: the request body timeout is an idle timeout: an upload that
    /// sends a chunk every 25 ms for a second, against 300 ms, reaches the upstream whole.
    #[tokio::test]
    async fn finding_2_a_slow_but_steady_upload_longer_than_the_request_body_timeout_passes_whole()
    {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let upstream = Server::start().await;
        upstream.script("/upload", vec![Step::bytes(b"stored")]);
        let dir = tempfile::tempdir().expect("a directory");
        let proxy = start(ProxyConfig {
            mode: Mode::Record(dir.path().into()),
            request_body_timeout: Duration::from_millis(300),
            ..in_front_of(&upstream.base())
        })
        .await;
        let mut stream = tokio::net::TcpStream::connect(proxy.addr())
            .await
            .expect("connect");
        stream
            .write_all(b"POST /upload HTTP/1.1\r\nHost: p\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n")
            .await
            .expect("sent");
        for _ in 0..40 {
            stream
                .write_all(b"10\r\n0123456789abcdef\r\n")
                .await
                .expect("sent");
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        stream.write_all(b"0\r\n\r\n").await.expect("sent");
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).await.expect("read");
        let text = String::from_utf8_lossy(&raw);
        assert!(text.starts_with("HTTP/1.1 200"), "{text}");
        assert!(text.ends_with("stored"), "{text}");
        proxy.shutdown().await;
        assert_eq!(upstream.count("/upload"), 1);
        let cassettes = files_under(&dir.path().join("cassettes"));
        let [cassette] = cassettes.as_slice() else {
            panic!("expected one cassette, found {cassettes:?}");
        };
        let cassette: Value =
            serde_json::from_slice(&std::fs::read(cassette).expect("read")).expect("JSON");
        assert_eq!(
            cassette["request"]["body"]["text"],
            "0123456789abcdef".repeat(40),
            "the whole body went upstream"
        );
    }

    /// Finding 2: a request head that stalls is closed after the header read timeout.
    #[tokio::test]
    async fn a_request_head_that_stalls_is_closed() {
        let upstream = Server::start().await;
        let proxy = start(ProxyConfig {
            header_read_timeout: Duration::from_millis(100),
            ..in_front_of(&upstream.base())
        })
        .await;
        let mut stalled = stall(&proxy, b"GET /v1/tasks/x HTTP/1.1\r\nHost: p\r\n").await;
        let rest = until_closed(&mut stalled).await;
        assert!(!rest.contains("HTTP/1.1 2"), "{rest}");
        assert_eq!(upstream.count("/v1/tasks/x"), 0);
        proxy.shutdown().await;
    }

    #[tokio::test]
    async fn start_refuses_what_cannot_work_and_says_so() {
        let outside = Proxy::start(ProxyConfig {
            addr: "0.0.0.0:0".parse().expect("an address"),
            upstream: Some("http://127.0.0.1:9".into()),
            ..ProxyConfig::default()
        })
        .await
        .expect_err("not loopback");
        assert!(outside.to_string().contains("loopback"), "{outside}");
        let none = Proxy::start(ProxyConfig::default())
            .await
            .expect_err("no upstream");
        assert!(none.to_string().contains("upstream"), "{none}");
        let missing = Proxy::start(ProxyConfig {
            mode: Mode::Replay("/nonexistent/recording".into()),
            ..ProxyConfig::default()
        })
        .await
        .expect_err("no recording");
        assert!(
            missing.to_string().contains("/nonexistent/recording"),
            "{missing}"
        );
    }
}

#[cfg(all(feature = "cli", unix))]
mod cli {
    use super::*;
    use std::io::{BufRead, BufReader};
    use std::process::{Child, ChildStdout, Command, Output, Stdio};

    /// `foxapi-contract proxy ARGS`, started: the process, its stdout (held open, for the
    /// proxy may still print), and the first line it printed, `listening on BASE` once it
    /// serves.
    struct Running {
        child: Child,
        _stdout: BufReader<ChildStdout>,
        first_line: String,
    }

    impl Running {
        fn start(args: &[&str]) -> Running {
            let mut child = Command::new(env!("CARGO_BIN_EXE_foxapi-contract"))
                .arg("proxy")
                .args(args)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("the binary starts");
            let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
            let mut first_line = String::new();
            let _ = stdout.read_line(&mut first_line);
            Running {
                child,
                _stdout: stdout,
                first_line,
            }
        }

        /// The base URL the proxy said it listens on, if it started.
        fn base(&self) -> Option<String> {
            self.first_line
                .trim_end()
                .strip_prefix("listening on ")
                .map(str::to_string)
        }

        /// Sends the proxy `signal` (`-INT`, `-TERM`, `-KILL`).
        fn signal(&self, signal: &str) {
            let _ = Command::new("kill")
                .args([signal, &self.child.id().to_string()])
                .status();
        }

        /// Waits for the proxy to exit: its output.
        fn output(self) -> Output {
            self.child.wait_with_output().expect("the proxy exits")
        }

        /// Waits for the proxy to exit, or kills it and fails after `limit`: a guard against
        /// a hang, not a measure of time.
        fn exit_within(self, limit: Duration) -> Output {
            let pid = self.child.id();
            let (tx, rx) = std::sync::mpsc::channel();
            let child = self.child;
            std::thread::spawn(move || {
                let _ = tx.send(child.wait_with_output());
            });
            match rx.recv_timeout(limit) {
                Ok(output) => output.expect("the proxy exits"),
                Err(_) => {
                    let _ = Command::new("kill")
                        .args(["-KILL", &pid.to_string()])
                        .status();
                    panic!("the proxy did not exit after its stop signal");
                }
            }
        }
    }

    /// Asks `url` with the key from a thread and a runtime of its own, reading the whole body
    /// or as much as comes (a streamed answer ends first): the status, if an answer came.
    /// It never panics, so that a proxy under test is always stopped after it.
    fn ask(url: String) -> Option<u16> {
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            runtime.block_on(async {
                let response = http().get(url).bearer_auth(KEY).send().await.ok()?;
                let status = response.status().as_u16();
                let _ = response.bytes().await;
                Some(status)
            })
        })
        .join()
        .ok()
        .flatten()
    }

    /// Runs `foxapi-contract proxy ARGS`, asks `path` through it (reading the body), stops it
    /// with `signal`: the answer's status, the exit code and stderr. The command is driven
    /// from a blocking thread, so that the test's runtime goes on serving the upstream.
    async fn run(
        args: &[&str],
        path: &'static str,
        signal: &'static str,
    ) -> (Option<u16>, Option<i32>, String) {
        let args: Vec<String> = args.iter().map(|arg| arg.to_string()).collect();
        tokio::task::spawn_blocking(move || {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let proxy = Running::start(&args);
            // Nothing may panic before the proxy is stopped: it would outlive the test.
            let status = proxy.base().and_then(|base| ask(format!("{base}{path}")));
            proxy.signal(signal);
            let output = proxy.output();
            (
                status,
                output.status.code(),
                String::from_utf8_lossy(&output.stderr).into_owned(),
            )
        })
        .await
        .expect("the run")
    }

    /// The JSON report a run of the proxy command is asked for, in a directory of its own.
    struct JsonReport {
        _dir: tempfile::TempDir,
        path: PathBuf,
        /// The value of `--report` that asks for it: `json:PATH`.
        arg: String,
    }

    impl JsonReport {
        fn new() -> JsonReport {
            let dir = tempfile::tempdir().expect("a directory");
            let path = dir.path().join("proxy.json");
            let arg = format!("json:{}", path.display());
            JsonReport {
                _dir: dir,
                path,
                arg,
            }
        }

        /// The report as the proxy wrote it.
        fn read(&self) -> Value {
            serde_json::from_slice(&std::fs::read(&self.path).expect("the JSON report"))
                .expect("JSON")
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn proxy_exits_1_after_sigint_when_a_violation_was_seen_and_writes_both_reports() {
        let upstream = upstream_answering(150).await;
        let json_report = JsonReport::new();
        let dir = tempfile::tempdir().expect("a directory");
        let junit_report = dir.path().join("proxy.xml");
        let junit_arg = format!("junit:{}", junit_report.display());
        let (status, code, stderr) = run(
            &[
                "--upstream",
                &upstream.base(),
                "--report",
                &json_report.arg,
                "--report",
                &junit_arg,
            ],
            TASK_PATH,
            "-INT",
        )
        .await;
        assert_eq!(status, Some(200), "{stderr}");
        assert_eq!(code, Some(1), "{stderr}");
        assert!(
            stderr.contains("violation: GET") && stderr.contains("/progress"),
            "{stderr}"
        );
        let report = json_report.read();
        assert_eq!(report["summary"]["invalid"], 1, "{report}");
        assert_eq!(report["responses"][0]["valid"], false);
        let junit = std::fs::read_to_string(&junit_report).expect("the JUnit report");
        assert!(junit.contains("<failure"), "{junit}");
    }

    /// Finding 7a: a report that cannot be created stops the proxy at start, with exit 2.
    #[test]
    fn proxy_exits_2_at_once_when_a_report_cannot_be_created() {
        let dir = tempfile::tempdir().expect("a directory");
        let report = dir.path().join("missing-dir").join("proxy.json");
        let report_arg = format!("json:{}", report.display());
        let proxy = Running::start(&["--upstream", "http://127.0.0.1:9", "--report", &report_arg]);
        if proxy.first_line.starts_with("listening on") {
            proxy.signal("-KILL");
            let _ = proxy.output();
            panic!("the proxy started although its report cannot be written");
        }
        let output = proxy.exit_within(Duration::from_secs(60));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        assert!(
            stderr.contains("proxy.json") && stderr.contains("cannot create the report"),
            "{stderr}"
        );
    }

    /// Finding 2 (through the command): a client stalled in its request body does not keep
    /// SIGINT from ending the proxy; the reports are written and the exit code comes.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn proxy_with_a_stalled_client_still_exits_and_writes_its_reports_after_sigint() {
        use std::io::Write;
        let upstream = upstream_answering(40).await;
        let json_report = JsonReport::new();
        let base = upstream.base();
        let report_arg = json_report.arg.clone();
        let (code, stderr) = tokio::task::spawn_blocking(move || {
            let proxy = Running::start(&[
                "--upstream",
                &base,
                "--shutdown-grace",
                "1",
                "--report",
                &report_arg,
            ]);
            // Nothing may panic before the proxy is stopped: it would outlive the test.
            let base = proxy.base();
            let stalled = base.as_ref().and_then(|base| {
                let mut stream =
                    std::net::TcpStream::connect(base.trim_start_matches("http://")).ok()?;
                stream.write_all(STALLED_POST).ok()?;
                Some(stream)
            });
            let answered = base.and_then(|base| ask(format!("{base}{TASK_PATH}")));
            proxy.signal("-INT");
            let output = proxy.exit_within(Duration::from_secs(120));
            drop(stalled);
            let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
            assert_eq!(answered, Some(200), "{stderr}");
            (output.status.code(), stderr)
        })
        .await
        .expect("the run");
        assert_eq!(code, Some(0), "{stderr}");
        assert!(stderr.contains("connections were still open"), "{stderr}");
        let report = json_report.read();
        assert_eq!(report["summary"]["valid"], 1, "{report}");
    }

    /// Finding 7c (through the command): an upstream fault is in the JSON report and makes
    /// the exit code 1.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn proxy_exits_1_and_reports_an_upstream_fault() {
        let json_report = JsonReport::new();
        let (status, code, stderr) = run(
            &["--upstream", &closed_port(), "--report", &json_report.arg],
            TASK_PATH,
            "-TERM",
        )
        .await;
        assert_eq!(status, Some(502), "{stderr}");
        assert_eq!(code, Some(1), "{stderr}");
        let report = json_report.read();
        let text = report.to_string();
        assert!(text.contains("upstream_failed"), "{report}");
        assert_eq!(report["summary"]["invalid"], 1, "{report}");
    }

    /// Re-review finding 1 (through the command): a streamed body cut midway is an upstream
    /// fault of the JSON report and makes the exit code 1.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn finding_1_proxy_exits_1_when_a_streamed_body_is_cut_midway() {
        let upstream = Server::start().await;
        upstream.script("/files/v.mp4", vec![half_a_video()]);
        let json_report = JsonReport::new();
        let (status, code, stderr) = run(
            &["--upstream", &upstream.base(), "--report", &json_report.arg],
            "/files/v.mp4",
            "-TERM",
        )
        .await;
        assert_eq!(status, Some(200), "{stderr}");
        assert_eq!(code, Some(1), "{stderr}");
        assert!(stderr.contains("1 upstream faults"), "{stderr}");
        let report = json_report.read();
        assert_eq!(report["summary"]["invalid"], 1, "{report}");
        let source = report["responses"][0]["source"]
            .as_str()
            .unwrap_or_default();
        assert!(
            source.contains("GET /files/v.mp4 -> upstream_failed"),
            "{report}"
        );
    }

    /// Re-review finding 4 (through the command): a request a replay did not record is
    /// said on stderr as it happens, is in the JSON report, and makes the exit code 1.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn finding_4_proxy_exits_1_and_logs_each_request_a_replay_did_not_record() {
        let dir = tempfile::tempdir().expect("a directory");
        std::fs::create_dir_all(dir.path().join("rec").join("cassettes")).expect("cassettes/");
        let recording = dir.path().join("rec").to_string_lossy().into_owned();
        let json_report = JsonReport::new();
        let (status, code, stderr) = run(
            &["--replay", &recording, "--report", &json_report.arg],
            "/v1/tasks/task-stale",
            "-TERM",
        )
        .await;
        assert_eq!(status, Some(404), "{stderr}");
        assert_eq!(code, Some(1), "{stderr}");
        assert!(
            stderr.contains("not recorded: GET /v1/tasks/task-stale"),
            "{stderr}"
        );
        assert!(stderr.contains("1 not recorded"), "{stderr}");
        let report = json_report.read();
        assert_eq!(report["summary"]["invalid"], 1, "{report}");
        assert!(report.to_string().contains("not_recorded"), "{report}");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn proxy_exits_0_after_sigterm_when_every_answer_kept_the_contract() {
        let upstream = upstream_answering(40).await;
        let (status, code, stderr) = run(
            &["--upstream", &upstream.base(), "--strict"],
            TASK_PATH,
            "-TERM",
        )
        .await;
        assert_eq!(status, Some(200), "{stderr}");
        assert_eq!(code, Some(0), "{stderr}");
        assert!(
            stderr.contains("1 answers checked: 1 valid, 0 violations"),
            "{stderr}"
        );
    }
}
