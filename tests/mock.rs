//! The mock FoxAPI server over real HTTP on 127.0.0.1: every fixture and every scripted state
//! goes through the server and then the validator; auth, errors and faults answer section 4
//! bodies; faults are reproducible from their seed; the key appears in no output. Time-based
//! behaviour runs on a manual clock: the tests assert states and counts, never durations.
#![cfg(feature = "mock")]

use foxapi_contract::mock::{
    Faults, Lifecycle, MockClock, MockConfig, MockError, MockServer, Scenario, Script, Span,
};
use foxapi_contract::ApiKey;
use foxapi_contract::{model, Contract, TaskStatus};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use TaskStatus::{Completed, Failed, Pending, Processing};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures");
const BEARER: &str = "Bearer any-token";
const FLUX: &str = "task-unified-1757165046-flux0015";

// ---------------------------------------------------------------------------------------
// A minimal HTTP/1.1 client: one request per connection, read to the end, so that a body cut
// short or a dropped connection shows as what arrived.

/// What came back on one connection.
#[derive(Debug)]
struct Reply {
    /// 0 when nothing came back.
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    /// Every byte, as received.
    raw: Vec<u8>,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "expected a JSON body, found {e}: {}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    /// The body of a 200 task answer, checked against the contract.
    fn task(&self) -> Value {
        assert_eq!(self.status, 200, "expected 200, found {self:?}");
        let value = self.json();
        let report = Contract::global().validate_value(&value);
        assert!(
            report.is_valid(),
            "the mock sent a body that breaks the contract: {report:?}\n{value}"
        );
        value
    }

    /// The body of a non-2xx answer, checked against spec section 4.
    fn error(&self, status: u16) -> Value {
        assert_eq!(self.status, status, "expected {status}, found {self:?}");
        let value = self.json();
        let report = Contract::global().validate_error_body(&value);
        assert!(
            report.is_valid(),
            "the mock sent an error body that breaks section 4: {report:?}\n{value}"
        );
        value
    }
}

async fn request(
    addr: SocketAddr,
    method: &str,
    target: &str,
    auth: Option<&str>,
    body: Option<&[u8]>,
) -> Reply {
    let mut head = format!("{method} {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    if let Some(auth) = auth {
        head.push_str(&format!("Authorization: {auth}\r\n"));
    }
    if let Some(body) = body {
        head.push_str(&format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n",
            body.len()
        ));
    }
    head.push_str("\r\n");
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(body.unwrap_or_default());
    raw_exchange(addr, &bytes).await
}

/// Sends `bytes` on a new connection and reads until the mock closes it.
async fn raw_exchange(addr: SocketAddr, bytes: &[u8]) -> Reply {
    let mut stream = TcpStream::connect(addr).await.expect("connect to the mock");
    stream.write_all(bytes).await.expect("send the request");
    let mut raw = Vec::new();
    let mut chunk = [0u8; 8192];
    // A reset after a cut body ends the reading; what arrived before it is the answer.
    while let Ok(n) = stream.read(&mut chunk).await {
        if n == 0 {
            break;
        }
        raw.extend_from_slice(&chunk[..n]);
    }
    parse(raw)
}

/// `GET` of `target` from the mock at `addr`, with `auth` as the Authorization header.
async fn get(addr: SocketAddr, target: &str, auth: Option<&str>) -> Reply {
    request(addr, "GET", target, auth, None).await
}

/// `POST` of the JSON `body` to `route` on the mock at `addr`, with `auth` as the
/// Authorization header.
async fn post(addr: SocketAddr, route: &str, auth: Option<&str>, body: &[u8]) -> Reply {
    request(addr, "POST", route, auth, Some(body)).await
}

fn parse(raw: Vec<u8>) -> Reply {
    let Some(end) = raw.windows(4).position(|w| w == b"\r\n\r\n") else {
        return Reply {
            status: 0,
            headers: Vec::new(),
            body: Vec::new(),
            raw,
        };
    };
    let head = String::from_utf8_lossy(&raw[..end]).to_string();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .expect("a status line");
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        .collect();
    let body = raw[end + 4..].to_vec();
    Reply {
        status,
        headers,
        body,
        raw,
    }
}

/// `GET` of a full URL the mock gave out (a result file).
async fn fetch(url: &str) -> Reply {
    let url = url::Url::parse(url).expect("an absolute URL");
    assert_eq!(
        url.host_str(),
        Some("127.0.0.1"),
        "a URL off the loopback: {url}"
    );
    let addr = SocketAddr::from(([127, 0, 0, 1], url.port().expect("a port")));
    get(addr, url.path(), None).await
}

/// `GET` of task `id`, as any client polls it.
async fn poll(server: &MockServer, id: &str) -> Reply {
    get(server.addr(), &format!("/v1/tasks/{id}"), Some(BEARER)).await
}

async fn submit(server: &MockServer, output_type: &str, model: &str) -> Reply {
    let route = match output_type {
        "image" => "/v1/images/generations",
        "video" => "/v1/videos/generations",
        "audio" => "/v1/audios/generations",
        _ => "/v1/llm/generations",
    };
    let body = json!({"model": model, "prompt": "a fox"}).to_string();
    post(server.addr(), route, Some(BEARER), body.as_bytes()).await
}

/// Submits a task of `model` and returns the id the mock gave it (the answer checked against
/// the contract).
async fn submitted_id(server: &MockServer, output_type: &str, model: &str) -> String {
    submit(server, output_type, model).await.task()["id"]
        .as_str()
        .expect("id")
        .to_string()
}

async fn start(config: MockConfig) -> MockServer {
    MockServer::start(config).await.expect("the mock starts")
}

fn with_fixtures() -> MockConfig {
    MockConfig {
        fixtures: Some(PathBuf::from(FIXTURES)),
        ..MockConfig::default()
    }
}

/// A mock serving the shipped fixtures, its submitted tasks following `lifecycle`, on a manual
/// clock that only `server.clock().advance` moves; result URLs work for `url_ttl` after their
/// task completed.
async fn on_a_manual_clock(lifecycle: Lifecycle, url_ttl: Duration) -> MockServer {
    start(MockConfig {
        clock: MockClock::manual(),
        lifecycle,
        url_ttl,
        ..with_fixtures()
    })
    .await
}

fn status(task: &Value) -> TaskStatus {
    TaskStatus::from(task["status"].as_str().unwrap_or_default())
}

/// The string `field` of each result of `task` that has one, in order.
fn results_field<'a>(task: &'a Value, field: &str) -> Vec<&'a str> {
    task["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter_map(|r| r[field].as_str())
        .collect()
}

fn json_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("a fixtures directory") {
        let path = entry.expect("an entry").path();
        if path.is_dir() {
            json_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
}

// ---------------------------------------------------------------------------------------
// Fixtures

#[tokio::test]
async fn every_valid_fixture_is_served_by_id_as_it_is_and_invalid_ones_never() {
    let server = start(with_fixtures()).await;
    let mut files = Vec::new();
    json_files(Path::new(FIXTURES), &mut files);
    let mut served = BTreeSet::new();
    for path in &files {
        let bytes = std::fs::read(path).expect("readable");
        if !Contract::global().validate(&bytes).is_valid() {
            assert!(
                server.skipped().iter().any(|s| &s.path == path),
                "{}: breaks the contract, yet not reported as skipped",
                path.display()
            );
            continue;
        }
        let mut fixture: Value = serde_json::from_slice(&bytes).expect("JSON");
        let id = fixture["id"].as_str().expect("an id").to_string();
        let task = poll(&server, &id).await.task();
        // The same envelope, but result URLs point at the mock.
        if let (Some(want), Some(got)) = (
            fixture["results"].as_array_mut(),
            task["results"].as_array(),
        ) {
            assert_eq!(want.len(), got.len(), "{id}: results");
            for (want, got) in want.iter_mut().zip(got) {
                if let Some(url) = got.get("url").and_then(Value::as_str) {
                    assert!(
                        url.starts_with(&format!("{}/files/{id}/", server.base_url())),
                        "{id}: {url}"
                    );
                    want["url"] = json!(url);
                }
            }
        }
        assert_eq!(task, fixture, "{}: served differently", path.display());
        served.insert(id);
    }
    assert!(
        served.len() >= 30,
        "expected the shipped valid fixtures, found {}",
        served.len()
    );
    assert_eq!(
        server.task_ids().into_iter().collect::<BTreeSet<_>>(),
        served
    );
    assert!(
        server
            .skipped()
            .iter()
            .all(|s| ["invalid", "upstream/invalid"]
                .iter()
                .any(|d| s.path.starts_with(Path::new(FIXTURES).join(d)))),
        "{:?}",
        server.skipped()
    );
}

#[tokio::test]
async fn result_urls_download_until_they_expire_then_answer_403() {
    let server = on_a_manual_clock(Lifecycle::default(), Duration::from_secs(60)).await;
    let clock = server.clock();
    let task = poll(&server, FLUX).await.task();
    let urls = results_field(&task, "url");
    assert_eq!(urls.len(), 2);
    for url in &urls {
        let file = fetch(url).await;
        assert_eq!(file.status, 200, "{url}: {file:?}");
        assert_eq!(file.header("content-type"), Some("image/png"));
        assert!(String::from_utf8_lossy(&file.body).contains(FLUX));
    }
    let unknown = fetch(&urls[0].replace("/0/", "/7/")).await;
    unknown.error(404);
    clock.advance(Duration::from_secs(59));
    assert_eq!(
        fetch(urls[0]).await.status,
        200,
        "still valid one second before expiry"
    );
    clock.advance(Duration::from_secs(1));
    let expired = fetch(urls[0]).await.error(403);
    assert_eq!(expired["error"]["code"], "url_expired");
}

// ---------------------------------------------------------------------------------------
// Lifecycles of submitted tasks

/// Submits a task and polls it until it is terminal; every answer is checked against the
/// contract. Returns the statuses seen (the submit answer first) and the last envelope.
async fn run_to_the_end(
    server: &MockServer,
    output_type: &str,
    model: &str,
) -> (Vec<TaskStatus>, Value) {
    let submitted = submit(server, output_type, model).await.task();
    assert_eq!(submitted["model"], model);
    assert_eq!(submitted["type"], output_type);
    assert!(submitted["task_info"]["can_cancel"].is_boolean());
    let id = submitted["id"].as_str().expect("an id").to_string();
    let prefix = if output_type == "llm" {
        "task-llmrouter-"
    } else {
        "task-unified-"
    };
    assert!(id.starts_with(prefix), "{id}");
    let mut seen = vec![status(&submitted)];
    let mut last_progress = 0;
    for _ in 0..20 {
        let task = poll(server, &id).await.task();
        let progress = task["progress"].as_u64().expect("an integer progress");
        if status(&task) == Processing {
            assert!(
                progress > last_progress && progress < 100,
                "progress must rise: {last_progress} then {progress}"
            );
            last_progress = progress;
        }
        seen.push(status(&task));
        let parsed = Contract::global()
            .parse_value(&task)
            .expect("keeps the contract");
        if parsed.task.is_terminal() {
            return (seen, task);
        }
    }
    panic!("{model}: expected a terminal state within 20 polls, found {seen:?}");
}

/// Checks a completed envelope's results have the shapes its model's registry entry
/// requires, and that every URL downloads.
async fn assert_results_fit(task: &Value) {
    let parsed = Contract::global()
        .parse_value(task)
        .expect("keeps the contract");
    let (entry, _) = parsed.task.entry().expect("a registry entry");
    assert!(!parsed.results.is_empty(), "{}: no results", task["model"]);
    for item in &parsed.results {
        let shape = item.shape().expect("a typed item");
        assert!(
            entry.shapes.contains(&shape),
            "{}: a {shape:?} item, expected one of {:?}",
            task["model"],
            entry.shapes
        );
    }
    for url in task["results"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["url"].as_str())
    {
        assert_eq!(fetch(url).await.status, 200, "{url}");
    }
}

/// Every model of the registry, and for each output type a model the registry does not list.
fn every_model() -> Vec<(&'static str, &'static str)> {
    let mut models: Vec<_> = model::models()
        .iter()
        .map(|e| (e.output_type, e.key))
        .collect();
    models.extend(
        model::output_types()
            .iter()
            .map(|e| (e.key, "a-model-the-registry-does-not-list")),
    );
    models
}

#[tokio::test]
async fn every_model_submitted_runs_pending_processing_completed_with_its_registry_shape() {
    for fixtures in [Some(PathBuf::from(FIXTURES)), None] {
        let from_samples = fixtures.is_none();
        let server = start(MockConfig {
            fixtures,
            lifecycle: Lifecycle::polls(3),
            ..MockConfig::default()
        })
        .await;
        for (output_type, model) in every_model() {
            let (seen, task) = run_to_the_end(&server, output_type, model).await;
            assert_eq!(
                seen,
                [Pending, Pending, Processing, Processing, Completed],
                "{model} (results from samples: {from_samples})"
            );
            assert_eq!(task["progress"], 100);
            assert_results_fit(&task).await;
        }
    }
}

#[tokio::test]
async fn a_submitted_task_takes_the_results_of_a_fixture_of_its_model() {
    let server = start(with_fixtures()).await;
    let (_, task) = run_to_the_end(&server, "image", "patina-pbr-maps").await;
    let maps = results_field(&task, "map_type");
    assert_eq!(
        maps,
        ["basecolor", "normal", "roughness", "metalness", "height"]
    );
}

#[tokio::test]
async fn the_quirk_reports_completed_without_results_before_the_results() {
    let lifecycle = Lifecycle::polls(1).with_empty_completed(Span::Polls(2));
    let server = start(MockConfig {
        lifecycle,
        ..with_fixtures()
    })
    .await;
    let (seen, task) = run_to_the_end(&server, "video", "lipsync-2").await;
    assert_eq!(seen, [Pending, Pending, Completed, Completed, Completed]);
    assert_results_fit(&task).await;
    // The quirk's answers are valid, and warned about.
    let id = task["id"].as_str().expect("an id");
    server
        .script(id, Lifecycle::polls(0).with_empty_completed(Span::Polls(1)))
        .expect("scripted");
    let quirk = poll(&server, id).await.task();
    assert_eq!(
        (quirk["status"].as_str(), &quirk["results"]),
        (Some("completed"), &Value::Null)
    );
    assert!(!Contract::global()
        .validate_value(&quirk)
        .warnings
        .is_empty());
}

#[tokio::test]
async fn a_model_scripted_to_fail_ends_failed_with_a_task_error() {
    let mut scenario = Scenario::default();
    let lifecycle = Lifecycle::polls(2).failing("content_policy_violation", "rejected by the mock");
    scenario.models.insert(
        "flux-1.1-pro".into(),
        Script {
            lifecycle: Some(lifecycle),
            faults: None,
        },
    );
    let server = start(MockConfig {
        scenario,
        ..with_fixtures()
    })
    .await;
    let (seen, task) = run_to_the_end(&server, "image", "flux-1.1-pro").await;
    assert_eq!(seen, [Pending, Pending, Processing, Failed]);
    assert_eq!(
        task["error"],
        json!({"message": "rejected by the mock", "type": "task_error", "code": "content_policy_violation"})
    );
    assert_eq!(
        task["progress"], 50,
        "a failed task keeps the progress it reached"
    );
    // Other models keep the default lifecycle.
    let (_, other) = run_to_the_end(&server, "image", "patina-material").await;
    assert_eq!(other["status"], "completed");
}

#[tokio::test]
async fn sync_upstream_moves_a_processing_task_on_but_not_a_pending_one() {
    let server = start(MockConfig {
        lifecycle: Lifecycle::polls(10),
        ..with_fixtures()
    })
    .await;
    let id = submitted_id(&server, "video", "lipsync-2").await;
    let sync = |value: &str| format!("/v1/tasks/{id}?sync_upstream={value}");
    let first = get(server.addr(), &sync("true"), Some(BEARER)).await.task();
    assert_eq!(
        first["status"], "pending",
        "a pending task has no upstream task to refresh"
    );
    assert_eq!(poll(&server, &id).await.task()["status"], "processing");
    let synced = get(server.addr(), &sync("true"), Some(BEARER)).await.task();
    assert_eq!(synced["status"], "completed");
    assert_results_fit(&synced).await;
    assert_eq!(server.polls(&id), Some(3));
    let bad = get(server.addr(), &sync("yes"), Some(BEARER)).await;
    assert_eq!(bad.error(400)["error"]["param"], "sync_upstream");
}

#[tokio::test]
async fn a_timed_lifecycle_follows_the_clock_and_its_urls_expire_after_completion() {
    let server = on_a_manual_clock(Lifecycle::millis(4_000), Duration::from_secs(10)).await;
    let clock = server.clock();
    let id = submitted_id(&server, "video", "seedance-2.0-text-to-video").await;
    assert_eq!(poll(&server, &id).await.task()["status"], "pending");
    assert_eq!(
        poll(&server, &id).await.task()["status"],
        "pending",
        "polls alone do not move a timed task"
    );
    clock.advance(Duration::from_secs(1));
    let early = poll(&server, &id).await.task();
    clock.advance(Duration::from_millis(1_500));
    let later = poll(&server, &id).await.task();
    assert_eq!(
        (early["status"].as_str(), later["status"].as_str()),
        (Some("processing"), Some("processing"))
    );
    assert!(later["progress"].as_u64() > early["progress"].as_u64());
    clock.advance(Duration::from_millis(1_500));
    let done = poll(&server, &id).await.task();
    assert_eq!(done["status"], "completed");
    let url = done["results"][0]["url"]
        .as_str()
        .expect("a url")
        .to_string();
    assert!(done["results"][0]["seed"].is_i64());
    clock.advance(Duration::from_secs(9));
    assert_eq!(fetch(&url).await.status, 200);
    clock.advance(Duration::from_secs(1));
    fetch(&url).await.error(403);
}

/// The shipped fixtures, scripted by `scenario` as written to the scenario file at `path` and
/// read back from it.
fn scripted_by_file(path: &Path, scenario: &Value) -> MockConfig {
    std::fs::write(path, scenario.to_string()).expect("written");
    MockConfig {
        scenario: Scenario::from_file(path).expect("a scenario"),
        ..with_fixtures()
    }
}

#[tokio::test]
async fn a_scenario_file_scripts_a_fixture_task_and_refuses_unknown_ids() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let path = dir.path().join("scenario.json");
    let scenario = json!({"tasks": {FLUX: {"lifecycle": {"pending": {"polls": 1}, "processing": {"polls": 1}}}}});
    let server = start(scripted_by_file(&path, &scenario)).await;
    let statuses: Vec<String> = {
        let mut out = Vec::new();
        for _ in 0..3 {
            out.push(
                poll(&server, FLUX).await.task()["status"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            );
        }
        out
    };
    assert_eq!(statuses, ["pending", "processing", "completed"]);
    let done = poll(&server, FLUX).await.task();
    assert_eq!(
        done["results"].as_array().map(Vec::len),
        Some(2),
        "completes with the fixture's own results"
    );

    let unknown = json!({"tasks": {"task-unified-0-nothere": {}}});
    let config = scripted_by_file(&path, &unknown);
    let error = MockServer::start(config).await.expect_err("an unknown id");
    assert!(
        matches!(&error, MockError::UnknownTask { id } if id == "task-unified-0-nothere"),
        "{error}"
    );
}

#[tokio::test]
async fn tasks_added_in_code_must_keep_the_contract() {
    let server = start(MockConfig::default()).await;
    assert!(server.task_ids().is_empty());
    let pending = json!({"id": "task-unified-1-mine0001", "object": "audio.generation.task", "type": "audio",
        "model": "scribe-v2", "status": "pending", "progress": 0, "created": 1});
    let id = server
        .add_task(&pending, Some(Lifecycle::polls(1)))
        .expect("added");
    assert_eq!(poll(&server, &id).await.task()["status"], "pending");
    let done = poll(&server, &id).await.task();
    assert_eq!(
        done["results"][0]["language_code"], "eng",
        "a transcript, from the built-in sample"
    );

    let broken = json!({"id": "task-unified-1-mine0002", "object": "audio.generation.task", "type": "audio",
        "model": "scribe-v2", "status": "pending", "progress": 140, "created": 1});
    let error = server
        .add_task(&broken, None)
        .expect_err("progress above 100")
        .to_string();
    assert!(
        error.contains("/progress") && error.contains("140"),
        "{error}"
    );
    assert!(matches!(
        server.script("task-unified-0-none", Lifecycle::default()),
        Err(MockError::UnknownTask { .. })
    ));
}

// ---------------------------------------------------------------------------------------
// Errors

#[tokio::test]
async fn refusals_and_unknown_things_answer_section_4_bodies() {
    let server = start(MockConfig {
        api_key: Some(ApiKey::new("sk-right").expect("a key")),
        ..with_fixtures()
    })
    .await;
    let addr = server.addr();
    let task = format!("/v1/tasks/{FLUX}");
    let ok = get(addr, &task, Some("Bearer sk-right")).await;
    assert_eq!(ok.task()["id"], FLUX);
    for auth in [
        None,
        Some("Bearer sk-wrong"),
        Some("sk-right"),
        Some("Basic c2s="),
        Some("Bearer "),
    ] {
        let refused = get(addr, &task, auth).await.error(401);
        assert_eq!(refused["error"]["type"], "authentication_error", "{auth:?}");
    }
    let auth = Some("Bearer sk-right");
    let missing = get(addr, "/v1/tasks/task-unified-0-nothere", auth)
        .await
        .error(404);
    assert!(missing["error"]["message"]
        .as_str()
        .is_some_and(|m| m.contains("task-unified-0-nothere")));
    get(addr, "/v1/nothing", auth).await.error(404);
    post(addr, "/v1/bogus/generations", auth, b"{}")
        .await
        .error(404);
    request(addr, "DELETE", &task, auth, None).await.error(405);
    let route = "/v1/images/generations";
    for body in [
        &b"not json"[..],
        b"[1]",
        b"{}",
        br#"{"model": 7}"#,
        br#"{"model": "scribe-v2"}"#,
    ] {
        let refused = post(addr, route, auth, body).await.error(400);
        assert_eq!(
            refused["error"]["param"],
            "model",
            "{}",
            String::from_utf8_lossy(body)
        );
    }
    let wrong_type = post(addr, route, auth, br#"{"model": "scribe-v2"}"#)
        .await
        .error(400);
    let message = wrong_type["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("expected a model of type image") && message.contains("audio"),
        "{message}"
    );
    assert_eq!(
        server.polls(FLUX),
        Some(1),
        "refused requests are not polls"
    );
}

#[tokio::test]
async fn without_a_key_any_bearer_token_passes_but_the_header_is_required() {
    let server = start(with_fixtures()).await;
    let task = format!("/v1/tasks/{FLUX}");
    get(server.addr(), &task, Some("Bearer whatever"))
        .await
        .task();
    get(server.addr(), &task, None).await.error(401);
}

#[tokio::test]
async fn an_address_off_the_loopback_is_refused() {
    let config = MockConfig {
        addr: "0.0.0.0:0".parse().expect("an address"),
        ..MockConfig::default()
    };
    let error = MockServer::start(config)
        .await
        .expect_err("not loopback")
        .to_string();
    assert!(
        error.contains("expected a loopback address") && error.contains("0.0.0.0"),
        "{error}"
    );
    let bad_rate = MockConfig {
        faults: Faults {
            rate_5xx: -0.1,
            ..Faults::default()
        },
        ..MockConfig::default()
    };
    assert!(matches!(
        MockServer::start(bad_rate).await,
        Err(MockError::Rate { .. })
    ));
}

// ---------------------------------------------------------------------------------------
// Faults

/// The statuses of `n` polls of the flux fixture under `faults` and `seed`.
async fn statuses_under(faults: Faults, seed: u64, n: usize) -> (Vec<u16>, MockServer) {
    let server = start(MockConfig {
        faults,
        seed,
        ..with_fixtures()
    })
    .await;
    let mut statuses = Vec::new();
    for _ in 0..n {
        let reply = poll(&server, FLUX).await;
        match reply.status {
            200 => {
                reply.task();
            }
            429 => {
                reply.error(429);
                assert_eq!(reply.header("retry-after"), Some("2"));
            }
            500 | 503 => {
                reply.error(reply.status);
            }
            other => panic!("expected 200, 429, 500 or 503, found {other}: {reply:?}"),
        }
        statuses.push(reply.status);
    }
    (statuses, server)
}

/// Faults that cut every answer's body short of the length its head promises.
fn truncating_every_answer() -> Faults {
    Faults {
        truncate_rate: 1.0,
        ..Faults::default()
    }
}

/// Faults that close every connection without an answer, once the request is processed.
fn dropping_every_answer() -> Faults {
    Faults {
        drop_rate: 1.0,
        ..Faults::default()
    }
}

#[tokio::test]
async fn faults_are_drawn_at_their_rates_from_the_seed_and_reproduce() {
    let faults = Faults {
        rate_429: 0.3,
        retry_after_secs: 2,
        rate_5xx: 0.2,
        ..Faults::default()
    };
    let (first, server) = statuses_under(faults.clone(), 42, 60).await;
    let (again, _) = statuses_under(faults.clone(), 42, 60).await;
    let (other, _) = statuses_under(faults, 43, 60).await;
    assert_eq!(first, again, "the same seed must give the same answers");
    assert_ne!(first, other, "another seed should give other answers");
    let count = |code: u16| first.iter().filter(|&&s| s == code).count() as u64;
    let counts = server.fault_counts();
    assert_eq!(counts.rate_limited, count(429));
    assert_eq!(counts.server_errors, count(500) + count(503));
    assert!(
        count(429) > 0 && count(500) + count(503) > 0 && count(200) > 0,
        "{first:?}"
    );
    assert_eq!(
        server.polls(FLUX),
        Some(count(200)),
        "only answered requests are polls"
    );
}

#[tokio::test]
async fn a_truncated_body_is_a_prefix_and_a_dropped_connection_answers_nothing() {
    let server = start(with_fixtures()).await;
    let whole = poll(&server, FLUX).await;
    let whole_body = whole.task();
    server
        .set_faults(FLUX, Some(truncating_every_answer()))
        .expect("faults set");
    for _ in 0..5 {
        let cut = poll(&server, FLUX).await;
        assert_eq!(cut.status, 200);
        let promised: usize = cut
            .header("content-length")
            .and_then(|l| l.parse().ok())
            .expect("a content length");
        assert_eq!(promised, whole.body.len());
        assert!(
            cut.body.len() < promised,
            "expected fewer than {promised} bytes, found {}",
            cut.body.len()
        );
        assert!(
            whole.body.starts_with(&cut.body),
            "a cut body must be a prefix of the whole"
        );
    }
    server
        .set_faults(FLUX, Some(dropping_every_answer()))
        .expect("faults set");
    let dropped = poll(&server, FLUX).await;
    assert_eq!(
        (dropped.status, dropped.raw.len()),
        (0, 0),
        "expected no answer, found {dropped:?}"
    );
    server.set_faults(FLUX, None).expect("faults cleared");
    assert_eq!(poll(&server, FLUX).await.task(), whole_body);
    let counts = server.fault_counts();
    assert_eq!((counts.truncated, counts.dropped), (5, 1));
    // Other tasks kept the server's (absent) faults all along.
    poll(&server, "task-unified-1757165047-lips0016")
        .await
        .task();
}

#[tokio::test]
async fn a_lost_submit_answer_still_created_its_task() {
    let server = start(MockConfig {
        faults: dropping_every_answer(),
        ..MockConfig::default()
    })
    .await;
    let reply = submit(&server, "image", "flux-1.1-pro").await;
    assert_eq!(reply.status, 0);
    assert_eq!(
        server.task_ids().len(),
        1,
        "the request was processed; only its answer was lost"
    );
}

#[tokio::test]
async fn latency_delays_answers_without_changing_them() {
    let faults = Faults {
        latency_ms: 5,
        ..Faults::default()
    };
    let server = start(MockConfig {
        faults,
        ..with_fixtures()
    })
    .await;
    for _ in 0..3 {
        assert_eq!(poll(&server, FLUX).await.task()["id"], FLUX);
    }
    assert_eq!(server.fault_counts().delayed, 3);
}

// ---------------------------------------------------------------------------------------
// The key

/// Records every tracing event and span field, as text.
struct Recorder(std::sync::Arc<Mutex<String>>);

/// The recorded text, even when a panic while recording poisoned its lock.
fn lock(log: &Mutex<String>) -> MutexGuard<'_, String> {
    log.lock().unwrap_or_else(PoisonError::into_inner)
}

struct Fields<'a>(&'a mut String);

impl tracing::field::Visit for Fields<'_> {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        self.0.push_str(&format!("{}={value:?} ", field.name()));
    }
}

impl tracing::Subscriber for Recorder {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, span: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        let mut log = lock(&self.0);
        span.record(&mut Fields(&mut log));
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, values: &tracing::span::Record<'_>) {
        let mut log = lock(&self.0);
        values.record(&mut Fields(&mut log));
    }
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        let mut log = lock(&self.0);
        event.record(&mut Fields(&mut log));
        log.push('\n');
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

#[test]
fn the_api_key_appears_in_no_answer_log_debug_or_error() {
    const KEY: &str = "sk-mock-SECRET-4242";
    let log = std::sync::Arc::new(Mutex::new(String::new()));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let recorder = tracing::Dispatch::new(Recorder(log.clone()));
    // With a single dispatcher registered, tracing caches each callsite's interest from the
    // default of whichever thread meets it first: another test's thread, with none. A second
    // one makes it ask every dispatcher.
    let _second = tracing::Dispatch::new(Recorder(Default::default()));
    let outputs = tracing::dispatcher::with_default(&recorder, || {
        runtime.block_on(async {
            let config = MockConfig {
                api_key: Some(ApiKey::new(KEY).expect("a key")),
                ..with_fixtures()
            };
            let mut outputs = vec![format!("{config:?}")];
            let server = start(config).await;
            outputs.push(format!("{server:?}"));
            let task = format!("/v1/tasks/{FLUX}");
            let right = format!("Bearer {KEY}");
            let longer = format!("Bearer {KEY}-and-more");
            for auth in [
                Some(right.as_str()),
                Some(longer.as_str()),
                Some(KEY),
                None,
                Some("Bearer nope"),
            ] {
                for target in [
                    task.as_str(),
                    "/v1/tasks/task-unified-0-nothere",
                    "/nowhere",
                ] {
                    let reply = get(server.addr(), target, auth).await;
                    outputs.push(String::from_utf8_lossy(&reply.raw).to_string());
                }
                let body = br#"{"model": "flux-1.1-pro"}"#;
                let reply = post(server.addr(), "/v1/images/generations", auth, body).await;
                outputs.push(String::from_utf8_lossy(&reply.raw).to_string());
            }
            let again = MockConfig {
                api_key: Some(ApiKey::new(KEY).expect("a key")),
                addr: server.addr(),
                ..MockConfig::default()
            };
            let error = MockServer::start(again)
                .await
                .expect_err("the port is taken");
            outputs.push(format!("{error} {error:?}"));
            outputs
        })
    });
    let log = lock(&log).clone();
    assert!(
        log.contains("mock answered"),
        "the recorder saw no events: {log}"
    );
    assert!(
        outputs.iter().any(|o| o.contains("HTTP/1.1 200")),
        "no request was accepted"
    );
    for text in outputs.iter().chain([&log]) {
        assert!(
            !text.contains(KEY) && !text.contains("SECRET"),
            "the key leaked into: {text}"
        );
    }
}

// ---------------------------------------------------------------------------------------
// The command line

/// `foxapi-contract serve` prints one line, `listening on http://ADDR`, serves the shipped
/// fixtures there, and stops cleanly on SIGTERM.
#[cfg(all(feature = "cli", unix))]
#[test]
fn serve_prints_its_address_serves_the_fixtures_and_stops_on_sigterm() {
    use std::io::{BufRead, BufReader, Read, Write};
    use std::process::{Command, Stdio};

    let mut child = Command::new(env!("CARGO_BIN_EXE_foxapi-contract"))
        .args(["serve", "--addr", "127.0.0.1:0", "--api-key", "sk-cli-key"])
        .env_remove("FOXAPI_API_KEY")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the binary starts");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut line = String::new();
    let _ = stdout.read_line(&mut line);
    let addr = line
        .trim_end()
        .strip_prefix("listening on http://")
        .map(str::to_string);
    // Nothing may panic before the server is stopped: it would outlive the test.
    let answer = addr.as_deref().and_then(|addr| {
        let mut stream = std::net::TcpStream::connect(addr).ok()?;
        let request = format!(
            "GET /v1/tasks/{FLUX} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer sk-cli-key\r\nConnection: close\r\n\r\n"
        );
        stream.write_all(request.as_bytes()).ok()?;
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).ok()?;
        Some(parse(raw))
    });
    let term = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let exit = child.wait().expect("the server exits");
    let mut rest = String::new();
    stdout
        .read_to_string(&mut rest)
        .expect("the rest of stdout");
    assert!(
        addr.is_some(),
        "expected `listening on http://ADDR`, found {line:?}"
    );
    assert_eq!(answer.map(|a| a.task()["id"].clone()), Some(json!(FLUX)));
    assert!(term.is_ok_and(|s| s.success()), "kill -TERM failed");
    assert!(
        exit.success(),
        "expected a clean stop on SIGTERM, found {exit}"
    );
    assert_eq!(rest, "", "expected exactly one line on stdout");
}

// ---------------------------------------------------------------------------------------
// Issue 10: hostile clients.

#[tokio::test]
async fn finding_9_malformed_http_gets_a_section_4_body() {
    let server = start(MockConfig::default()).await;
    let long_target = format!("GET /{} HTTP/1.1\r\nHost: x\r\n\r\n", "a".repeat(70_000));
    let mut many_headers = String::from("GET /v1/tasks/x HTTP/1.1\r\nHost: x\r\n");
    for i in 0..200 {
        many_headers.push_str(&format!("X-H{i}: v\r\n"));
    }
    many_headers.push_str("\r\n");
    for (request, status) in [
        (b"NOT HTTP AT ALL\r\n\r\n".to_vec(), 400),
        (
            b"GET /v1/tasks/x HTTP/1.1\r\nBad Header Line\r\n\r\n".to_vec(),
            400,
        ),
        (long_target.into_bytes(), 414),
        (many_headers.into_bytes(), 431),
    ] {
        let reply = raw_exchange(server.addr(), &request).await;
        assert_eq!(
            reply.status,
            status,
            "{}",
            String::from_utf8_lossy(&reply.raw)
        );
        assert_eq!(
            reply.header("content-type"),
            Some("application/json"),
            "{reply:?}"
        );
        let report = Contract::global().validate_error_body(&reply.json());
        assert!(report.is_valid(), "{status}: {report:?} {reply:?}");
        assert_eq!(reply.json()["error"]["type"], "invalid_request_error");
    }
    server.shutdown().await.expect("stops");
}

#[tokio::test]
async fn finding_9_a_half_open_connection_is_closed_after_the_header_read_timeout() {
    let server = start(MockConfig {
        header_read_timeout: Duration::from_millis(200),
        ..MockConfig::default()
    })
    .await;
    // One connection that says nothing, one that sends half a head.
    let mut silent = TcpStream::connect(server.addr()).await.expect("connect");
    let mut half = TcpStream::connect(server.addr()).await.expect("connect");
    half.write_all(b"GET /v1/tasks/x HTTP/1.1\r\nHost: x\r\n")
        .await
        .expect("send half a head");
    for stream in [&mut silent, &mut half] {
        let mut sink = [0u8; 1024];
        // A guard, not a measurement: before the fix these connections stayed open forever.
        let closed = tokio::time::timeout(Duration::from_secs(60), async {
            loop {
                match stream.read(&mut sink).await {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {}
                }
            }
        })
        .await;
        assert!(closed.is_ok(), "the mock keeps a half-open connection");
    }
    // The server still answers.
    let reply = get(server.addr(), "/v1/tasks/x", Some(BEARER)).await;
    assert_eq!(reply.status, 404);
    server.shutdown().await.expect("stops");
}

#[tokio::test]
async fn finding_9_connection_limits_that_would_serve_nothing_are_refused() {
    for config in [
        MockConfig {
            header_read_timeout: Duration::ZERO,
            ..MockConfig::default()
        },
        MockConfig {
            max_connections: 0,
            ..MockConfig::default()
        },
    ] {
        let error = MockServer::start(config).await.expect_err("refused");
        assert!(matches!(error, MockError::Limits { .. }), "{error:?}");
    }
}

#[cfg(unix)]
#[tokio::test]
async fn finding_9_the_fixture_walk_does_not_follow_a_directory_link_loop() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let inner = dir.path().join("nested");
    std::fs::create_dir(&inner).expect("nested/");
    std::os::unix::fs::symlink(dir.path(), inner.join("up")).expect("a link to the top");
    std::fs::copy(
        Path::new(FIXTURES).join("valid/model/scribe-v2.json"),
        inner.join("scribe-v2.json"),
    )
    .expect("a fixture");
    let server = start(MockConfig {
        fixtures: Some(dir.path().to_path_buf()),
        ..MockConfig::default()
    })
    .await;
    assert_eq!(
        server.task_ids().len(),
        1,
        "the fixture once, not once per loop"
    );
    assert!(
        server
            .skipped()
            .iter()
            .any(|s| s.path.ends_with("nested/up") && s.reason.contains("not followed")),
        "{:?}",
        server.skipped()
    );
    server.shutdown().await.expect("stops");
}
