//! The client against a scripted HTTP server on 127.0.0.1, with faults injected: 429 with
//! `Retry-After`, 500 then 200, an answer slower than the timeout, a body cut short, a
//! dropped connection, invalid JSON, completed without results then with results, a URL that
//! expired mid-download. The tests assert request counts, states, files on disk, and that
//! the key appears in no output; never durations.
#![cfg(feature = "client")]

mod support;

use foxapi_contract::client::{
    Client, ClientBuilder, ClientError, Downloaded, FetchedTask, Progress, Saved, WaitPolicy,
};
use foxapi_contract::{types::ErrorType, TaskStatus};
use foxapi_contract::{ApiKey, Contract, Parsed};
use serde_json::{json, Value};
use std::path::Path;
use std::time::Duration;
use support::{Server, Step};
use tempfile::TempDir;

const KEY: &str = "sk-test-9f8e7d6c5b4a";
const ID: &str = "task-unified-1757165031-uyujaw3d";
const TASK_PATH: &str = "/v1/tasks/task-unified-1757165031-uyujaw3d";

/// A client builder sending `key` to the API at `base`.
fn builder(key: &str, base: &str) -> ClientBuilder {
    Client::builder()
        .api_key(ApiKey::new(key).expect("a key"))
        .base_url(base)
}

fn client(server: &Server) -> Client {
    client_with_timeout(server, Duration::from_secs(10))
}

/// A client that gives up on an answer quickly, for the servers that never answer.
fn impatient(server: &Server) -> Client {
    client_with_timeout(server, Duration::from_millis(300))
}

fn client_with_timeout(server: &Server, timeout: Duration) -> Client {
    builder(KEY, &server.base())
        .request_timeout(timeout)
        .build()
        .expect("a client")
}

/// A scripted server on 127.0.0.1 whose task answers `steps` in turn (the last repeats).
async fn task_server(steps: Vec<Step>) -> Server {
    let server = Server::start().await;
    server.script(TASK_PATH, steps);
    server
}

/// One fetch of the task from `server`, without `sync_upstream`.
async fn get(server: &Server) -> Result<FetchedTask, ClientError> {
    client(server).get_task(ID, false).await
}

/// A wait for the task on `server` with the test policy, its progress unwatched.
async fn wait(server: &Server) -> Result<FetchedTask, ClientError> {
    wait_with(server, &policy()).await
}

/// A wait for the task on `server` with `policy`, its progress unwatched.
async fn wait_with(server: &Server, policy: &WaitPolicy) -> Result<FetchedTask, ClientError> {
    client(server).wait(ID, policy, |_| {}).await
}

/// A task envelope of a lip-sync video with `status` and `results`.
fn task(status: &str, results: Value) -> String {
    let progress = if status == "completed" { 100 } else { 40 };
    let mut body = json!({
        "id": ID, "object": "video.generation.task", "type": "video", "model": "lipsync-2",
        "status": status, "progress": progress, "created": 1757165031, "results": results,
        "error": null, "usage": {"credits_reserved": 5, "user_group": "default"}
    });
    if status == "failed" {
        body["error"] =
            json!({"message": "blocked", "type": "task_error", "code": "content_policy_violation"});
    }
    body.to_string()
}

fn done() -> String {
    task(
        "completed",
        json!([{"url": "https://cdn.example.com/v.mp4", "content_type": "video/mp4"}]),
    )
}

/// A 200 answer of the task in `status`, its `results` null.
fn null_results(status: &str) -> Step {
    Step::json(200, task(status, Value::Null))
}

/// An answer of `status` whose body is `body` as it is, with no content type.
fn plain(status: u16, body: &[u8]) -> Step {
    Step::Reply {
        status,
        headers: Vec::new(),
        body: body.to_vec(),
    }
}

/// `text`, a task envelope, parsed and validated by the contract.
fn parsed(text: &str) -> Parsed {
    Contract::global().parse(text.as_bytes()).expect("valid")
}

/// `body`, a task envelope, parsed and validated by the contract.
fn parsed_value(body: &Value) -> Parsed {
    Contract::global().parse_value(body).expect("a valid task")
}

fn policy() -> WaitPolicy {
    WaitPolicy {
        interval: Duration::from_millis(5),
        deadline: Duration::from_secs(20),
        backoff_min: Duration::from_millis(5),
        backoff_max: Duration::from_millis(20),
        retry_after_max: Duration::from_millis(20),
        empty_completed_requeries: 3,
    }
}

/// The test policy, whose whole wait or download must end within `deadline`.
fn policy_within(deadline: Duration) -> WaitPolicy {
    WaitPolicy {
        deadline,
        ..policy()
    }
}

/// Every way an error can be shown, for the key check.
fn shown(error: &ClientError) -> String {
    let raw = error
        .raw_body()
        .map(|r| r.text().into_owned())
        .unwrap_or_default();
    format!("{error} {error:?} {raw}")
}

fn assert_no_key(text: &str) {
    assert!(!text.contains(KEY), "the API key leaked into: {text}");
}

/// An empty temporary directory for the files of a download.
fn temp_dir() -> TempDir {
    tempfile::tempdir().expect("a temporary directory")
}

/// Files under `dir`, sorted, names only.
fn files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// What a download did with each result, in order.
fn saved(downloads: &[Downloaded]) -> Vec<Saved> {
    downloads.iter().map(|d| d.saved).collect()
}

// ---- get ------------------------------------------------------------------------------

#[tokio::test]
async fn get_returns_the_typed_task_with_its_warnings_and_sends_the_key() {
    let server = task_server(vec![null_results("completed")]).await;
    let fetched = client(&server)
        .get_task(ID, true)
        .await
        .expect("a valid task");
    assert_eq!(fetched.parsed.task.status, TaskStatus::Completed);
    assert!(
        !fetched.parsed.task.is_terminal(),
        "completed without results is not terminal"
    );
    assert!(
        !fetched.parsed.warnings.is_empty(),
        "completed without results is worth a warning"
    );
    let request = &server.received()[0];
    assert_eq!(
        request.header("authorization"),
        Some(format!("Bearer {KEY}").as_str())
    );
    assert_eq!(request.query.as_deref(), Some("sync_upstream=true"));
    assert_eq!(server.count(TASK_PATH), 1);
}

#[tokio::test]
async fn a_404_keeps_its_section_4_body() {
    let server = task_server(vec![Step::error(404, "not_found", "task not found")]).await;
    let error = get(&server).await.expect_err("404");
    match &error {
        ClientError::Status {
            status: 404,
            error: Some(body),
            body_issues,
            raw,
            ..
        } => {
            assert_eq!(body.type_, ErrorType::NotFound);
            assert_eq!(body.message, "task not found");
            assert!(body_issues.is_empty());
            assert!(raw.text().contains("task not found"));
        }
        other => panic!("expected a 404 with a section 4 body, found {other:?}"),
    }
    assert!(!error.is_retryable());
    assert!(error.to_string().contains("not_found"), "{error}");
    assert_eq!(
        server.received()[0].query,
        None,
        "no sync_upstream unless asked"
    );
}

#[tokio::test]
async fn an_error_body_that_breaks_section_4_is_reported_with_the_status() {
    let server = task_server(vec![plain(502, b"<html>bad gateway</html>")]).await;
    let error = get(&server).await.expect_err("502");
    match &error {
        ClientError::Status {
            status: 502,
            error: None,
            body_issues,
            raw,
            ..
        } => {
            assert!(!body_issues.is_empty());
            assert_eq!(raw.as_bytes(), b"<html>bad gateway</html>");
        }
        other => panic!("expected a 502 without a section 4 body, found {other:?}"),
    }
    assert!(error.is_retryable());
}

#[tokio::test]
async fn invalid_json_breaks_the_contract_and_keeps_the_raw_body() {
    let server = task_server(vec![Step::json(200, "{\"id\": \"task-unified-1\", oops")]).await;
    let error = get(&server).await.expect_err("invalid JSON");
    match &error {
        ClientError::Contract { report, raw, .. } => {
            assert!(!report.is_valid());
            assert!(raw.text().contains("oops"));
        }
        other => panic!("expected a contract error, found {other:?}"),
    }
    assert!(!error.is_retryable());
}

#[tokio::test]
async fn a_body_that_breaks_the_schema_is_a_contract_error() {
    let mut body: Value = serde_json::from_str(&done()).expect("JSON");
    body["progress"] = json!(140);
    let server = task_server(vec![Step::json(200, body.to_string())]).await;
    let error = get(&server).await.expect_err("progress 140");
    assert!(
        matches!(&error, ClientError::Contract { report, .. } if report.errors.iter().any(|i| i.instance_path == "/progress"))
    );
}

#[tokio::test]
async fn a_truncated_body_is_a_transport_error_with_the_part_received() {
    let server = task_server(vec![Step::Truncated {
        declared: 500,
        body: b"{\"id\":\"task-un".to_vec(),
    }])
    .await;
    let error = get(&server).await.expect_err("cut short");
    match &error {
        ClientError::Transport { raw, .. } => assert_eq!(raw.as_bytes(), b"{\"id\":\"task-un"),
        other => panic!("expected a transport error, found {other:?}"),
    }
    assert!(error.is_retryable());
}

#[tokio::test]
async fn a_dropped_connection_is_a_transport_error() {
    let server = task_server(vec![Step::Drop]).await;
    let error = get(&server).await.expect_err("dropped");
    assert!(matches!(error, ClientError::Transport { .. }), "{error:?}");
    assert_eq!(server.count(TASK_PATH), 1);
}

#[tokio::test]
async fn an_answer_slower_than_the_timeout_is_a_timeout() {
    let server = task_server(vec![Step::Hang]).await;
    let error = impatient(&server)
        .get_task(ID, false)
        .await
        .expect_err("too slow");
    assert!(matches!(error, ClientError::Timeout { .. }), "{error:?}");
    assert!(error.is_retryable());
}

#[tokio::test]
async fn a_connection_refused_is_a_transport_error() {
    let server = Server::start().await;
    let base = server.base();
    drop(server);
    tokio::task::yield_now().await;
    let client = builder(KEY, &base).build().expect("client");
    let error = client.get_task(ID, false).await.expect_err("refused");
    assert!(
        matches!(
            error,
            ClientError::Transport { .. } | ClientError::Timeout { .. }
        ),
        "{error:?}"
    );
}

#[tokio::test]
async fn ids_that_would_change_the_path_are_refused_before_any_request() {
    let server = Server::start().await;
    for id in ["", "  ", "../admin", "a?b=1", "a#b", "a\nb"] {
        let error = client(&server).get_task(id, false).await.expect_err(id);
        assert!(
            matches!(error, ClientError::InvalidTaskId { .. }),
            "{id:?}: {error:?}"
        );
    }
    assert!(server.received().is_empty());
}

// ---- wait -----------------------------------------------------------------------------

#[tokio::test]
async fn wait_honours_retry_after_capped_and_sees_each_state() {
    let server = task_server(vec![
        Step::error(429, "rate_limit_error", "slow down").with_header("Retry-After", "3600"),
        null_results("processing"),
        Step::json(200, done()),
    ])
    .await;
    let mut states = Vec::new();
    let mut pauses = Vec::new();
    let policy = policy();
    let fetched = client(&server)
        .wait(ID, &policy, |p| match p {
            Progress::State { task, .. } => states.push(task.status.as_str().to_string()),
            Progress::Retrying { error, pause, .. } => {
                assert_eq!(error.status(), Some(429));
                pauses.push(pause);
            }
            other => panic!("expected a state or a retry, found {other:?}"),
        })
        .await
        .expect("done");
    assert_eq!(fetched.parsed.task.status, TaskStatus::Completed);
    assert_eq!(states, ["processing", "completed"]);
    assert_eq!(pauses.len(), 1);
    assert!(
        pauses[0] >= policy.retry_after_max && pauses[0] <= policy.retry_after_max.mul_f64(1.1),
        "{pauses:?}"
    );
    assert_eq!(server.count(TASK_PATH), 3);
    assert!(server
        .received()
        .iter()
        .all(|r| r.query.as_deref() == Some("sync_upstream=true")));
}

#[tokio::test]
async fn wait_retries_a_500_then_takes_the_200() {
    let server = task_server(vec![
        Step::error(500, "server_error", "boom"),
        Step::json(200, done()),
    ])
    .await;
    let fetched = wait(&server).await.expect("done");
    assert!(fetched.parsed.task.is_terminal());
    assert_eq!(server.count(TASK_PATH), 2);
}

#[tokio::test]
async fn wait_rides_out_a_timeout_a_truncated_body_and_a_dropped_connection() {
    let server = task_server(vec![
        Step::Hang,
        Step::Truncated {
            declared: 300,
            body: b"{\"id\":".to_vec(),
        },
        Step::Drop,
        Step::json(200, done()),
    ])
    .await;
    let mut failures = Vec::new();
    let fetched = impatient(&server)
        .wait(ID, &policy(), |p| {
            if let Progress::Retrying { error, .. } = p {
                failures.push(match error {
                    ClientError::Timeout { .. } => "timeout",
                    ClientError::Transport { .. } => "transport",
                    _ => "other",
                });
            }
        })
        .await
        .expect("done");
    assert_eq!(fetched.parsed.task.status, TaskStatus::Completed);
    assert_eq!(failures, ["timeout", "transport", "transport"]);
    assert_eq!(server.count(TASK_PATH), 4);
}

#[tokio::test]
async fn wait_requeries_completed_without_results_until_results_come() {
    let server = task_server(vec![
        null_results("completed"),
        Step::json(200, task("completed", json!([]))),
        Step::json(200, done()),
    ])
    .await;
    let fetched = wait(&server).await.expect("done");
    assert_eq!(fetched.parsed.results.len(), 1);
    assert_eq!(server.count(TASK_PATH), 3);
}

#[tokio::test]
async fn wait_gives_up_on_completed_without_results_after_the_bound() {
    let server = task_server(vec![null_results("completed")]).await;
    let policy = policy();
    let error = wait_with(&server, &policy)
        .await
        .expect_err("never any results");
    assert!(
        matches!(
            error,
            ClientError::CompletedWithoutResults { queries: 4, .. }
        ),
        "{error:?}"
    );
    assert_eq!(
        server.count(TASK_PATH),
        policy.empty_completed_requeries + 1
    );
}

#[tokio::test]
async fn wait_counts_an_unknown_status_as_running() {
    let server = task_server(vec![
        null_results("queued"),
        null_results("queued"),
        Step::json(200, done()),
    ])
    .await;
    let fetched = wait(&server).await.expect("done");
    assert_eq!(fetched.parsed.task.status, TaskStatus::Completed);
    assert_eq!(server.count(TASK_PATH), 3);
}

#[tokio::test]
async fn wait_stops_at_a_failed_task() {
    let server = task_server(vec![null_results("failed")]).await;
    let fetched = wait(&server).await.expect("over");
    assert_eq!(fetched.parsed.task.status, TaskStatus::Failed);
    assert_eq!(server.count(TASK_PATH), 1);
}

#[tokio::test]
async fn wait_does_not_retry_a_404_or_a_broken_contract() {
    let server = task_server(vec![Step::error(404, "not_found", "no such task")]).await;
    let error = wait(&server).await.expect_err("404");
    assert_eq!(error.status(), Some(404));
    assert_eq!(server.count(TASK_PATH), 1);

    let server = task_server(vec![Step::json(200, "not json")]).await;
    let error = wait(&server).await.expect_err("broken");
    assert!(matches!(error, ClientError::Contract { .. }), "{error:?}");
    assert_eq!(server.count(TASK_PATH), 1);
}

#[tokio::test]
async fn wait_stops_at_the_deadline_with_the_last_state_and_a_bounded_number_of_requests() {
    let server = task_server(vec![null_results("processing")]).await;
    let policy = WaitPolicy {
        interval: Duration::from_millis(10),
        ..policy_within(Duration::from_millis(200))
    };
    let mut seen = 0u32;
    let error = client(&server)
        .wait(ID, &policy, |_| seen += 1)
        .await
        .expect_err("never done");
    match &error {
        ClientError::Deadline {
            requests,
            last: Some(last),
            last_error: None,
            ..
        } => {
            assert_eq!(last.status, TaskStatus::Processing);
            // Each answer was seen; a last request the deadline cut short counts as made,
            // without an answer, and may not have reached the server.
            let received = server.count(TASK_PATH);
            assert!(
                seen <= received && received <= *requests && *requests <= seen + 1,
                "{seen} answers seen, {received} requests received, {requests} made"
            );
        }
        other => panic!("expected a deadline error with the last state, found {other:?}"),
    }
    let count = u64::from(server.count(TASK_PATH));
    assert!(
        count >= 1 && count <= policy.max_requests(),
        "{count} requests, at most {}",
        policy.max_requests()
    );
    assert!(
        error.to_string().contains("status processing at 40%"),
        "{error}"
    );
}

#[tokio::test]
async fn a_request_the_deadline_cuts_short_ends_the_wait_without_an_error_of_its_own() {
    // The client would wait 10 s for an answer; the deadline leaves the request 200 ms.
    let server = task_server(vec![Step::Hang]).await;
    let mut progress = 0u32;
    let error = client(&server)
        .wait(ID, &policy_within(Duration::from_millis(200)), |_| {
            progress += 1
        })
        .await
        .expect_err("never answered");
    assert!(
        matches!(
            &error,
            ClientError::Deadline {
                requests: 1,
                last: None,
                last_error: None,
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(progress, 0, "a request cut short is not retried");
}

#[tokio::test]
async fn wait_says_the_last_error_when_nothing_succeeded_by_the_deadline() {
    let server = task_server(vec![Step::error(503, "service_unavailable_error", "down")]).await;
    let policy = policy_within(Duration::from_millis(100));
    let error = wait_with(&server, &policy).await.expect_err("never up");
    assert!(
        matches!(
            &error,
            ClientError::Deadline {
                last: None,
                last_error: Some(_),
                ..
            }
        ),
        "{error:?}"
    );
    assert!(error.to_string().contains("HTTP 503"), "{error}");
    assert!(u64::from(server.count(TASK_PATH)) <= policy.max_requests());
}

// ---- download -------------------------------------------------------------------------

/// A completed Patina material whose results live on the scripted server, behind signed URLs.
fn material(server: &Server) -> Parsed {
    parsed_value(&json!({
        "id": ID, "object": "image.generation.task", "type": "image", "model": "patina-material",
        "status": "completed", "progress": 100, "created": 1757165031, "error": null,
        "results": [
            {"url": server.url("/cdn/texture?X-Amz-Signature=s1&X-Amz-Expires=86400"), "content_type": "image/png", "result_type": "texture"},
            {"url": server.url("/cdn/normal.webp?token=t2"), "content_type": "application/x-unknown", "result_type": "pbr_map", "map_type": "normal"}
        ]
    }))
}

/// A scripted server holding the material's texture (`PNG-BYTES`), whose normal map answers
/// `normal` in turn.
async fn material_server(normal: Vec<Step>) -> Server {
    let server = Server::start().await;
    server.script("/cdn/texture", vec![Step::bytes(b"PNG-BYTES")]);
    server.script("/cdn/normal.webp", normal);
    server
}

/// A task, a client, and an empty directory that the task's results are downloaded into,
/// run after run.
struct Downloads {
    task: Parsed,
    client: Client,
    dir: TempDir,
}

impl Downloads {
    /// `task` to download with `client` into a fresh temporary directory.
    fn new(task: Parsed, client: Client) -> Downloads {
        Downloads {
            task,
            client,
            dir: temp_dir(),
        }
    }

    /// One more run of the download into the directory.
    async fn run(&self) -> Result<Vec<Downloaded>, ClientError> {
        self.client.download(&self.task, self.dir.path()).await
    }

    /// One more run, retrying with the test back-off, that must end within `deadline`.
    async fn run_within(&self, deadline: Duration) -> Result<Vec<Downloaded>, ClientError> {
        let until = tokio::time::Instant::now() + deadline;
        self.client
            .download_until(&self.task, self.dir.path(), &policy_within(deadline), until)
            .await
    }

    /// The file `name` in the directory, as it is on disk.
    fn read(&self, name: &str) -> Vec<u8> {
        std::fs::read(self.dir.path().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
    }

    /// The first result, a video, as it is on disk.
    fn mp4(&self) -> Vec<u8> {
        self.read(&format!("{ID}-0.mp4"))
    }

    /// Files in the directory, sorted, names only.
    fn files(&self) -> Vec<String> {
        files(self.dir.path())
    }
}

#[tokio::test]
async fn download_streams_every_result_and_a_rerun_skips_them() {
    let server = material_server(vec![Step::bytes(b"WEBP-BYTES")]).await;
    let downloads = Downloads::new(material(&server), client(&server));

    let first = downloads.run().await.expect("downloaded");
    let names = [format!("{ID}-0.png"), format!("{ID}-1.webp")];
    assert_eq!(downloads.files(), names);
    assert_eq!(downloads.read(&names[0]), b"PNG-BYTES");
    assert_eq!(downloads.read(&names[1]), b"WEBP-BYTES");
    assert_eq!(saved(&first), [Saved::Downloaded(9), Saved::Downloaded(10)]);
    assert!(
        server
            .received()
            .iter()
            .all(|r| r.header("authorization").is_none()),
        "the key must not go to result URLs"
    );

    let again = downloads.run().await.expect("resumed");
    assert!(again.iter().all(|d| d.saved == Saved::Skipped));
    assert_eq!(
        (
            server.count("/cdn/texture"),
            server.count("/cdn/normal.webp")
        ),
        (1, 1)
    );
}

#[tokio::test]
async fn a_url_that_expired_mid_download_says_so_and_leaves_no_partial_file() {
    let server = material_server(vec![plain(410, b"gone")]).await;
    let downloads = Downloads::new(material(&server), client(&server));
    let error = downloads.run().await.expect_err("expired");
    match &error {
        ClientError::Expired {
            index: 1,
            status: 410,
            url,
            ..
        } => {
            assert!(!url.contains("t2"), "signed parameters are redacted: {url}");
        }
        other => panic!("expected an expired URL, found {other:?}"),
    }
    assert!(error.to_string().contains("expired"), "{error}");
    assert_eq!(downloads.files(), [format!("{ID}-0.png")]);
}

#[tokio::test]
async fn a_download_cut_short_is_retried_and_nothing_partial_is_ever_under_the_final_name() {
    let server = material_server(vec![
        Step::Truncated {
            declared: 100,
            body: b"WEBP".to_vec(),
        },
        Step::bytes(b"WEBP-BYTES"),
    ])
    .await;
    let downloads = Downloads::new(material(&server), client(&server));

    let first = downloads.run().await.expect("the cut is retried");
    assert_eq!(saved(&first), [Saved::Downloaded(9), Saved::Downloaded(10)]);
    assert_eq!(downloads.read(&format!("{ID}-1.webp")), b"WEBP-BYTES");
    assert_eq!(
        downloads.files(),
        [format!("{ID}-0.png"), format!("{ID}-1.webp")],
        "no temporary file left"
    );
    assert_eq!(server.count("/cdn/normal.webp"), 2);

    let again = downloads.run().await.expect("resumed");
    assert!(again.iter().all(|d| d.saved == Saved::Skipped));
}

#[tokio::test]
async fn a_result_over_the_size_limit_is_refused() {
    let server = Server::start().await;
    server.script("/cdn/texture", vec![Step::bytes(&[7u8; 64])]);
    let client = builder(KEY, &server.base())
        .max_download_bytes(16)
        .build()
        .expect("client");
    let downloads = Downloads::new(material(&server), client);
    let error = downloads.run().await.expect_err("too large");
    assert!(
        matches!(error, ClientError::TooLarge { limit: 16, .. }),
        "{error:?}"
    );
    assert!(downloads.files().is_empty());
}

#[tokio::test]
async fn results_without_urls_are_written_as_json() {
    let body = json!({
        "id": ID, "object": "audio.generation.task", "type": "audio", "model": "scribe-v2",
        "status": "completed", "progress": 100, "created": 1757165031,
        "results": [{"text": "hi", "language_code": "en", "language_probability": 0.9,
                     "words": [{"text": "hi", "start": 0.0, "end": 0.2, "type": "word"}]}]
    });
    let server = Server::start().await;
    let downloads = Downloads::new(parsed_value(&body), client(&server));
    let written = downloads.run().await.expect("written");
    assert_eq!(saved(&written), [Saved::Written]);
    let text = std::fs::read_to_string(downloads.dir.path().join(format!("{ID}-0.json")))
        .expect("the JSON file");
    assert_eq!(
        serde_json::from_str::<Value>(&text).expect("JSON"),
        body["results"][0]
    );
    assert!(server.received().is_empty());
}

#[tokio::test]
async fn a_task_still_running_has_nothing_to_download() {
    let server = Server::start().await;
    let downloads = Downloads::new(parsed(&task("processing", Value::Null)), client(&server));
    let error = downloads.run().await.expect_err("running");
    assert!(
        matches!(error, ClientError::NotDownloadable { .. }),
        "{error:?}"
    );
}

// ---- record and the key -----------------------------------------------------------------

#[tokio::test]
async fn record_saves_a_validated_fixture_without_secrets() {
    let body = json!({
        "id": ID, "object": "video.generation.task", "type": "video", "model": "seedance-2.0-text-to-video",
        "status": "completed", "progress": 100, "created": 1757165031, "error": null,
        "results": [{"url": "https://cdn.example.com/v.mp4?X-Amz-Signature=deadbeef&X-Amz-Credential=AKIA123&Expires=1757251431&w=1280", "seed": 42}],
        "debug": {"Authorization": format!("Bearer {KEY}"), "echo": KEY}
    });
    let server = task_server(vec![Step::json(200, body.to_string())]).await;
    let dir = temp_dir();
    let path = client(&server)
        .record(ID, dir.path())
        .await
        .expect("recorded");
    assert_eq!(
        path,
        dir.path()
            .join("seedance-2.0-text-to-video")
            .join(format!("{ID}.json"))
    );
    let text = std::fs::read_to_string(&path).expect("the fixture");
    assert_no_key(&text);
    for secret in ["deadbeef", "AKIA123", "1757251431", "Authorization"] {
        assert!(!text.contains(secret), "{secret} left in {text}");
    }
    assert!(text.contains("w=1280"), "harmless parameters stay: {text}");
    assert!(Contract::global().validate(text.as_bytes()).is_valid());
}

#[tokio::test]
async fn the_key_appears_in_no_debug_display_error_or_raw_body() {
    let server = task_server(vec![Step::EchoAuthorization { status: 401 }]).await;
    let client = client(&server);
    assert_no_key(&format!("{client:?}"));
    assert_no_key(&format!(
        "{:?}",
        Client::builder().api_key(ApiKey::new(KEY).expect("key"))
    ));
    let error = client.get_task(ID, false).await.expect_err("401");
    assert_eq!(error.status(), Some(401));
    assert!(
        server.received()[0]
            .header("authorization")
            .is_some_and(|h| h.contains(KEY)),
        "the key was sent"
    );
    assert_no_key(&shown(&error));

    let policy = policy_within(Duration::from_millis(50));
    let error = client
        .wait(ID, &policy, |p| assert_no_key(&format!("{p:?}")))
        .await
        .expect_err("401");
    assert_no_key(&shown(&error));
}

// ---- issue 10: hostile servers ------------------------------------------------------------

/// A completed task of one result at `url`.
fn one_result(url: String) -> Parsed {
    parsed(&task(
        "completed",
        json!([{"url": url, "content_type": "video/mp4"}]),
    ))
}

/// A scripted server whose video result answers `steps` in turn, and the completed task
/// of that one result.
async fn video_server(steps: Vec<Step>) -> (Server, Parsed) {
    let server = Server::start().await;
    server.script("/cdn/v.mp4", steps);
    let task = one_result(server.url("/cdn/v.mp4"));
    (server, task)
}

#[tokio::test]
async fn finding_1b_a_key_with_quotes_and_backslashes_echoed_back_never_shows() {
    let key = r#"sk-"quoted\back"slash-7731"#;
    let server = task_server(vec![Step::EchoAuthorization { status: 401 }]).await;
    let client = builder(key, &server.base()).build().expect("a client");
    let error = client.get_task(ID, false).await.expect_err("401");
    assert!(
        server.received()[0]
            .header("authorization")
            .is_some_and(|h| h.contains(key)),
        "the key was sent and echoed"
    );
    let shown = shown(&error);
    // Every form an escaper could give it: as is, JSON-escaped, Debug-escaped.
    let json_escaped = serde_json::to_string(key).expect("a string");
    let debug_escaped = format!("{key:?}");
    for form in [
        key,
        &json_escaped[1..json_escaped.len() - 1],
        &debug_escaped[1..debug_escaped.len() - 1],
    ] {
        assert!(!shown.contains(form), "{form} leaked into: {shown}");
    }
    assert!(shown.contains("REDACTED"), "{shown}");
}

#[test]
fn finding_1c_a_short_key_is_refused_before_it_could_be_echoed() {
    // A key such as `0` or `e` would match ordinary numbers and words of an answer, so its
    // echoes could not be removed: it is refused when it is made, before any request.
    for short in ["0", "e", "abcdefg"] {
        let refused = ApiKey::new(short).expect_err("too short");
        let shown = refused.to_string();
        assert!(shown.contains("at least 8 characters"), "{shown}");
    }
    let shown = ApiKey::new("abcdefg").expect_err("too short").to_string();
    assert!(
        !shown.contains("abcdefg"),
        "the key is never echoed: {shown}"
    );
    assert!(ApiKey::new("abcdefgh").is_ok());
}

#[tokio::test]
async fn finding_2b_a_cross_origin_redirect_of_a_result_gets_no_referer_and_no_key() {
    let origin = Server::start().await;
    let elsewhere = Server::start().await;
    elsewhere.script("/stolen", vec![Step::bytes(b"VIDEO")]);
    origin.script(
        "/cdn/v.mp4",
        vec![Step::Reply {
            status: 302,
            headers: vec![("Location".into(), elsewhere.url("/stolen"))],
            body: Vec::new(),
        }],
    );
    let task = one_result(origin.url("/cdn/v.mp4?X-Amz-Signature=s3cr3t&token=t0k"));
    let downloads = Downloads::new(task, client(&origin));
    let saved = downloads
        .run()
        .await
        .expect("downloaded through the redirect");
    assert_eq!(saved[0].saved, Saved::Downloaded(5));
    let seen = elsewhere.received();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].header("referer"), None, "{seen:?}");
    assert_eq!(seen[0].header("authorization"), None, "{seen:?}");
    let everything = format!("{seen:?}");
    assert!(
        !everything.contains("s3cr3t") && !everything.contains("t0k"),
        "{everything}"
    );
}

#[tokio::test]
async fn finding_5_a_dripping_result_host_is_stopped_at_the_deadline_and_leaves_no_part_file() {
    let (server, task) = video_server(vec![Step::Drip {
        every: Duration::from_millis(50),
        bytes: 100_000,
    }])
    .await;
    // A 300 ms read timeout, which each drip beats.
    let downloads = Downloads::new(task, impatient(&server));
    let attempt = downloads.run_within(Duration::from_secs(1));
    // A guard, not a measurement: before the fix this download ran for 100,000 drips.
    let error = tokio::time::timeout(Duration::from_secs(60), attempt)
        .await
        .expect("the download ends at its deadline")
        .expect_err("unfinished at the deadline");
    assert!(
        matches!(error, ClientError::DownloadDeadline { index: 0, .. }),
        "{error:?}"
    );
    assert!(
        error.to_string().contains("partial file was removed"),
        "{error}"
    );
    assert!(downloads.files().is_empty(), "{:?}", downloads.files());
}

#[tokio::test]
async fn finding_5_a_429_then_a_200_on_a_result_is_retried_honouring_retry_after() {
    let (server, task) = video_server(vec![
        Step::error(429, "rate_limit_error", "slow down").with_header("Retry-After", "0"),
        Step::error(503, "service_unavailable_error", "busy"),
        Step::bytes(b"VIDEO"),
    ])
    .await;
    let downloads = Downloads::new(task, client(&server));
    let saved = downloads
        .run_within(Duration::from_secs(20))
        .await
        .expect("retried until the file came");
    assert_eq!(saved[0].saved, Saved::Downloaded(5));
    assert_eq!(server.count("/cdn/v.mp4"), 3);
    assert_eq!(downloads.files(), [format!("{ID}-0.mp4")]);
}

/// A chunked answer cut before its last chunk: the head, one chunk, then the close.
fn chunked_cut_short() -> Step {
    Step::Raw(
        b"HTTP/1.1 200 OK\r\nContent-Type: video/mp4\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nVIDEO\r\n".to_vec(),
    )
}

#[tokio::test]
async fn finding_5_a_chunked_download_cut_short_is_never_saved_as_complete() {
    let (server, task) = video_server(vec![chunked_cut_short()]).await;
    let downloads = Downloads::new(task, client(&server));
    let error = downloads
        .run_within(Duration::from_millis(300))
        .await
        .expect_err("never complete");
    assert!(
        matches!(
            &error,
            ClientError::DownloadDeadline { last_error: Some(last), .. }
                if matches!(**last, ClientError::Transport { .. })
        ),
        "{error:?}"
    );
    assert!(downloads.files().is_empty(), "{:?}", downloads.files());
    assert!(server.count("/cdn/v.mp4") >= 2, "retried");

    // A rerun after a good answer finds no stale file to skip.
    server.script(
        "/cdn/v.mp4",
        vec![Step::Raw(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nVIDEO\r\n0\r\n\r\n"
                .to_vec(),
        )],
    );
    let saved = downloads.run().await.expect("complete now");
    assert_eq!(saved[0].saved, Saved::Downloaded(5));
}

#[tokio::test]
async fn finding_7c_the_ids_of_an_item_with_a_json_preview_are_kept_beside_the_download() {
    let server = Server::start().await;
    server.script("/cdn/preview", vec![Step::bytes(br#"{"preview":true}"#)]);
    let body = json!({
        "id": ID, "object": "audio.generation.task", "type": "audio", "model": "minimax-voice-clone",
        "status": "completed", "progress": 100, "created": 1757165031,
        "results": [{"voice_id": "voice-42", "url": server.url("/cdn/preview"), "content_type": "application/json"}]
    });
    let downloads = Downloads::new(parsed_value(&body), client(&server));
    let written = downloads.run().await.expect("saved");
    assert_eq!(saved(&written), [Saved::Downloaded(16), Saved::Written]);
    assert_ne!(written[0].path, written[1].path);
    assert_eq!(
        downloads.files(),
        [format!("{ID}-0.ids.json"), format!("{ID}-0.json")]
    );
    let ids: Value = serde_json::from_str(
        &std::fs::read_to_string(downloads.dir.path().join(format!("{ID}-0.ids.json")))
            .expect("ids"),
    )
    .expect("JSON");
    assert_eq!(ids["voice_id"], "voice-42");
}

#[tokio::test]
async fn finding_9_task_ids_dot_and_dot_dot_are_refused_before_any_request() {
    let server = Server::start().await;
    let client = client(&server);
    for id in ["..", ".", "%2e%2e", "%2E.", "a\\b", "a/../b", "..?x"] {
        let error = client.get_task(id, false).await.expect_err(id);
        assert!(
            matches!(error, ClientError::InvalidTaskId { .. }),
            "{id}: {error:?}"
        );
    }
    assert!(server.received().is_empty(), "{:?}", server.received());
    // Other odd characters are encoded into the one segment.
    let url = client.task_url("task a:b", false).expect("a url");
    assert!(url.path().ends_with("/v1/tasks/task%20a:b"), "{url}");
}

#[tokio::test]
async fn finding_9_a_base_url_with_a_password_is_refused_without_echoing_it() {
    let error = builder(KEY, "http://user:hunter2-secret@127.0.0.1:9/")
        .build()
        .expect_err("refused");
    let text = format!("{error} {error:?}");
    assert!(text.contains("base URL"), "{text}");
    assert!(text.contains("user name or password"), "{text}");
    assert!(!text.contains("hunter2-secret"), "{text}");
}

// ---- finding 5: a close-delimited download cut short ----------------------------------------

/// The result the range host serves, and its strong entity tag.
const WHOLE: &[u8] = b"VIDEO-FRAMES-0123456789";
const ETAG: &str = "\"v1\"";

/// How the range host answers one request.
#[derive(Clone, Copy, Debug)]
enum Answer {
    /// HTTP/1.0 style: no `Content-Length`, the body ended by closing the connection after
    /// this many bytes, whole or not.
    CloseAfter(usize),
    /// Ranges honoured (RFC 9110): `Range: bytes=N-` gets a 206 of the rest, or a 416
    /// `bytes */<length>` past the end; no `Range` gets the whole file.
    Ranges,
    /// `Range` ignored: a 200 of the whole file with its `Content-Length`.
    IgnoresRanges,
    /// A 206 announcing the rest in `Content-Range` (no `Content-Length`), cut after this
    /// many bytes by the close.
    RangeCutAfter(usize),
    /// A 416 saying the file has this many bytes.
    Unsatisfiable(usize),
}

/// The `Range` and `If-Range` headers of one request.
type RangeHeaders = (Option<String>, Option<String>);

/// A result host on a raw `TcpListener` of 127.0.0.1: each connection gets the next answer
/// of its script (the last repeats), and the `Range` and `If-Range` of each request are kept.
struct RangeHost {
    addr: std::net::SocketAddr,
    seen: std::sync::Arc<std::sync::Mutex<Vec<RangeHeaders>>>,
    accept: tokio::task::JoinHandle<()>,
}

impl Drop for RangeHost {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

impl RangeHost {
    async fn start(script: Vec<Answer>) -> RangeHost {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1");
        let addr = listener.local_addr().expect("an address");
        let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let log = std::sync::Arc::clone(&seen);
        let accept = tokio::spawn(async move {
            let mut script = std::collections::VecDeque::from(script);
            while let Ok((mut stream, _)) = listener.accept().await {
                let mut head = Vec::new();
                let mut buffer = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut buffer).await {
                        Ok(n) if n > 0 => head.extend_from_slice(&buffer[..n]),
                        _ => break,
                    }
                }
                let head = String::from_utf8_lossy(&head).into_owned();
                let header = |name: &str| {
                    head.lines()
                        .filter_map(|l| l.split_once(':'))
                        .find(|(n, _)| n.trim().eq_ignore_ascii_case(name))
                        .map(|(_, v)| v.trim().to_string())
                };
                let (range, if_range) = (header("range"), header("if-range"));
                log.lock().expect("the log").push((range.clone(), if_range));
                let answer = if script.len() > 1 {
                    script.pop_front().expect("a step")
                } else {
                    *script.front().expect("a step")
                };
                let from = range
                    .as_deref()
                    .and_then(|r| r.strip_prefix("bytes="))
                    .and_then(|r| r.strip_suffix('-'))
                    .and_then(|n| n.parse::<usize>().ok());
                let len = WHOLE.len();
                let out = match (answer, from) {
                    (Answer::CloseAfter(cut), _) => {
                        let mut out = format!("HTTP/1.0 200 OK\r\nContent-Type: video/mp4\r\nETag: {ETAG}\r\n\r\n").into_bytes();
                        out.extend_from_slice(&WHOLE[..cut]);
                        out
                    }
                    (Answer::Ranges, Some(from)) if from >= len => format!(
                        "HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */{len}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                    )
                    .into_bytes(),
                    (Answer::Ranges, Some(from)) => {
                        let mut out = format!(
                            "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes {from}-{}/{len}\r\nContent-Length: {}\r\nETag: {ETAG}\r\nConnection: close\r\n\r\n",
                            len - 1,
                            len - from
                        )
                        .into_bytes();
                        out.extend_from_slice(&WHOLE[from..]);
                        out
                    }
                    (Answer::Ranges | Answer::IgnoresRanges, _) => {
                        let mut out = format!(
                            "HTTP/1.1 200 OK\r\nContent-Length: {len}\r\nETag: {ETAG}\r\nConnection: close\r\n\r\n"
                        )
                        .into_bytes();
                        out.extend_from_slice(WHOLE);
                        out
                    }
                    (Answer::RangeCutAfter(cut), from) => {
                        let from = from.unwrap_or(0);
                        let mut out = format!(
                            "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes {from}-{}/{len}\r\nConnection: close\r\n\r\n",
                            len - 1
                        )
                        .into_bytes();
                        out.extend_from_slice(&WHOLE[from..from + cut]);
                        out
                    }
                    (Answer::Unsatisfiable(size), _) => format!(
                        "HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */{size}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                    )
                    .into_bytes(),
                };
                let _ = stream.write_all(&out).await;
                let _ = stream.shutdown().await;
            }
        });
        RangeHost { addr, seen, accept }
    }

    fn url(&self) -> String {
        format!("http://{}/cdn/v.mp4?X-Amz-Signature=s3cr3t", self.addr)
    }

    /// The `Range` and `If-Range` of each request so far.
    fn seen(&self) -> Vec<RangeHeaders> {
        self.seen.lock().expect("the log").clone()
    }
}

/// A client of no API (the results are on the range host).
fn result_client() -> Client {
    builder(KEY, "http://127.0.0.1:9")
        .build()
        .expect("a client")
}

#[tokio::test]
async fn finding_5_a_close_delimited_download_cut_short_is_unverified_and_a_rerun_appends_the_rest()
{
    let host = RangeHost::start(vec![Answer::CloseAfter(8), Answer::Ranges]).await;
    let downloads = Downloads::new(one_result(host.url()), result_client());

    let first = downloads.run().await.expect("stored");
    assert_eq!(first[0].saved, Saved::Unverified(8), "not claimed complete");
    assert_eq!(downloads.mp4(), &WHOLE[..8]);
    assert_eq!(
        downloads.files(),
        [format!(".{ID}-0.mp4.unverified"), format!("{ID}-0.mp4")],
        "the file and the record that it is unverified"
    );

    let second = downloads.run().await.expect("resumed");
    assert_eq!(
        second[0].saved,
        Saved::Resumed {
            appended: 15,
            size: 23
        }
    );
    assert_eq!(downloads.mp4(), WHOLE, "the final file is whole");
    assert_eq!(
        downloads.files(),
        [format!("{ID}-0.mp4")],
        "no record, no .part"
    );
    assert_eq!(
        host.seen()[1],
        (Some("bytes=8-".to_string()), Some(ETAG.to_string())),
        "the rerun asks for the bytes past the end, if the file is unchanged"
    );

    let third = downloads.run().await.expect("skipped");
    assert_eq!(third[0].saved, Saved::Skipped);
    assert_eq!(
        host.seen().len(),
        2,
        "a verified file is not asked for again"
    );
}

#[tokio::test]
async fn finding_5_a_whole_close_delimited_download_is_verified_by_a_416_on_the_rerun() {
    let host = RangeHost::start(vec![Answer::CloseAfter(WHOLE.len()), Answer::Ranges]).await;
    let downloads = Downloads::new(one_result(host.url()), result_client());

    let first = downloads.run().await.expect("stored");
    assert_eq!(first[0].saved, Saved::Unverified(23));
    let second = downloads.run().await.expect("verified");
    assert_eq!(second[0].saved, Saved::Verified(23));
    assert_eq!(host.seen()[1].0.as_deref(), Some("bytes=23-"));
    assert_eq!(downloads.mp4(), WHOLE);
    assert_eq!(downloads.files(), [format!("{ID}-0.mp4")]);
    let third = downloads.run().await.expect("skipped");
    assert_eq!(third[0].saved, Saved::Skipped);
    assert_eq!(host.seen().len(), 2);
}

#[tokio::test]
async fn finding_5_a_host_that_ignores_ranges_sends_the_whole_file_again() {
    let host = RangeHost::start(vec![Answer::CloseAfter(8), Answer::IgnoresRanges]).await;
    let downloads = Downloads::new(one_result(host.url()), result_client());

    downloads.run().await.expect("stored");
    let second = downloads.run().await.expect("again");
    assert_eq!(second[0].saved, Saved::Downloaded(23));
    assert_eq!(downloads.mp4(), WHOLE);
    assert_eq!(downloads.files(), [format!("{ID}-0.mp4")]);
}

#[tokio::test]
async fn finding_5_a_416_for_another_length_gets_the_whole_file() {
    // The file on disk (8 bytes) is longer than what the 416 says the host has (5): the
    // range answer does not fit, and the whole file is asked for without a range.
    let host = RangeHost::start(vec![
        Answer::CloseAfter(8),
        Answer::Unsatisfiable(5),
        Answer::IgnoresRanges,
    ])
    .await;
    let downloads = Downloads::new(one_result(host.url()), result_client());

    downloads.run().await.expect("stored");
    let second = downloads.run().await.expect("again");
    assert_eq!(second[0].saved, Saved::Downloaded(23));
    assert_eq!(downloads.mp4(), WHOLE);
    let ranges: Vec<_> = host.seen().into_iter().map(|(range, _)| range).collect();
    assert_eq!(ranges, [None, Some("bytes=8-".to_string()), None]);
}

#[tokio::test]
async fn finding_5_a_206_cut_short_of_its_content_range_is_never_appended() {
    let host = RangeHost::start(vec![Answer::CloseAfter(8), Answer::RangeCutAfter(3)]).await;
    let downloads = Downloads::new(one_result(host.url()), result_client());
    downloads.run().await.expect("stored");

    let error = downloads
        .run_within(Duration::from_millis(300))
        .await
        .expect_err("never complete");
    assert!(
        matches!(
            &error,
            ClientError::DownloadDeadline { last_error: Some(last), .. }
                if matches!(**last, ClientError::Incomplete { expected: 15, found: 3, .. })
        ),
        "{error:?}"
    );
    assert!(!error.to_string().contains("s3cr3t"), "{error}");
    assert_eq!(
        downloads.mp4(),
        &WHOLE[..8],
        "the earlier part is untouched"
    );
    assert_eq!(
        downloads.files(),
        [format!(".{ID}-0.mp4.unverified"), format!("{ID}-0.mp4")],
        "still unverified, no .part left"
    );
}

// ---- issue 11 item 5: download reads the typed items --------------------------------------

/// `download` takes its URLs and ids from the typed items of the fetched task
/// (`ResultItem::url`, `voice_id`, ...), for every shape and for an untyped item, against the
/// crate's mock FoxAPI on 127.0.0.1 serving the result files itself.
#[cfg(feature = "mock")]
mod issue_11_5_typed_items {
    use super::{
        builder, files, saved, temp_dir, ApiKey, Client, Downloaded, FetchedTask, Saved, TempDir,
        KEY,
    };
    use foxapi_contract::mock::{MockConfig, MockServer};
    use foxapi_contract::ResultItem;
    use serde_json::{json, Value};
    use std::path::Path;

    fn fixture(path: &str) -> Value {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        serde_json::from_str(&text).expect("a JSON fixture")
    }

    /// The mock, serving `envelope` as it is (its result URLs rewritten to files it serves),
    /// and a client of it.
    async fn serving(envelope: &Value) -> (MockServer, Client, String) {
        let server = MockServer::start(MockConfig {
            api_key: Some(ApiKey::new(KEY).expect("a key")),
            ..MockConfig::default()
        })
        .await
        .expect("the mock starts");
        let id = server.add_task(envelope, None).expect("a valid task");
        let client = builder(KEY, server.base_url()).build().expect("a client");
        (server, client, id)
    }

    /// The results of the fetched task downloaded by `client` into a fresh directory.
    async fn download_all(client: &Client, fetched: &FetchedTask) -> (TempDir, Vec<Downloaded>) {
        let dir = temp_dir();
        let downloaded = client
            .download(&fetched.parsed, dir.path())
            .await
            .expect("downloaded");
        (dir, downloaded)
    }

    /// What the mock serves for item `index`: a text naming the task, the item and the file.
    fn served(dir: &Path, name: &str) -> String {
        std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
    }

    #[tokio::test]
    async fn issue_11_5_a_voice_clone_s_preview_comes_from_its_typed_url_and_its_voice_id_is_kept()
    {
        let mut envelope = fixture("fixtures/valid/model/minimax-voice-clone.json");
        // A key the contract does not know yet: a warning, and kept in the JSON written.
        envelope["results"][0]["voice_name"] = json!("Fox");
        let (server, client, id) = serving(&envelope).await;
        let fetched = client.get_task(&id, false).await.expect("the task");
        let item = match fetched.parsed.results.as_slice() {
            [item @ ResultItem::Voice(_)] => item,
            other => panic!("expected one voice, found {other:?}"),
        };
        assert_eq!(item.voice_id(), Some("fox-voice-20250906-01"));
        let url = item.url().expect("a preview URL");
        assert!(url.starts_with(server.base_url()), "{url}");
        assert!(!fetched.parsed.warnings.is_empty(), "voice_name is drift");

        let (dir, downloaded) = download_all(&client, &fetched).await;
        assert!(
            matches!(
                saved(&downloaded)[..],
                [Saved::Downloaded(n), Saved::Written] if n > 0
            ),
            "{downloaded:?}"
        );
        assert_eq!(
            files(dir.path()),
            [format!("{id}-0.ids.json"), format!("{id}-0.mp3")]
        );
        let preview = served(dir.path(), &format!("{id}-0.mp3"));
        assert!(
            preview.contains("item: 0") && preview.contains("preview-fox-voice.mp3"),
            "{preview}"
        );
        let ids: Value =
            serde_json::from_str(&served(dir.path(), &format!("{id}-0.ids.json"))).expect("JSON");
        assert_eq!(ids["voice_id"], "fox-voice-20250906-01");
        assert_eq!(
            ids["voice_name"], "Fox",
            "the item as sent, not the typed form"
        );
        server.shutdown().await.expect("stops");
    }

    #[tokio::test]
    async fn issue_11_5_a_patina_material_s_texture_and_pbr_maps_are_each_downloaded() {
        let envelope = fixture("fixtures/valid/model/patina-material.json");
        let (server, client, id) = serving(&envelope).await;
        let fetched = client.get_task(&id, false).await.expect("the task");
        assert!(
            matches!(
                fetched.parsed.results[..],
                [
                    ResultItem::Texture(_),
                    ResultItem::PbrMap(_),
                    ResultItem::PbrMap(_),
                    ResultItem::PbrMap(_)
                ]
            ),
            "{:?}",
            fetched.parsed.results
        );

        let (dir, downloaded) = download_all(&client, &fetched).await;
        assert_eq!(
            downloaded.iter().map(|d| d.index).collect::<Vec<_>>(),
            [0, 1, 2, 3]
        );
        assert!(
            downloaded
                .iter()
                .all(|d| matches!(d.saved, Saved::Downloaded(_))),
            "{downloaded:?}"
        );
        let names: Vec<String> = (0..4).map(|i| format!("{id}-{i}.png")).collect();
        assert_eq!(files(dir.path()), names, "no ids file: no item has an id");
        for (index, (name, served_as)) in names
            .iter()
            .zip([
                "texture.png",
                "mat-basecolor.png",
                "mat-normal.png",
                "mat-roughness.png",
            ])
            .enumerate()
        {
            let text = served(dir.path(), name);
            assert!(
                text.contains(&format!("item: {index}")) && text.contains(served_as),
                "{name}: {text}"
            );
        }
        server.shutdown().await.expect("stops");
    }

    #[tokio::test]
    async fn issue_11_5_an_unknown_model_s_untyped_items_are_read_by_the_same_accessors() {
        let mut envelope = fixture("fixtures/valid/quirk/new-task-kind.json");
        envelope["results"][0]["character_id"] = json!("char-7");
        envelope["results"]
            .as_array_mut()
            .expect("results")
            .push(json!({"url": "https://cdn.foxapi.cc/results/2025/09/06/scene.glb", "request_id": "req-1"}));
        envelope["results"]
            .as_array_mut()
            .expect("results")
            .push(json!({"profile_id": "profile-3", "note": "no file"}));
        let (server, client, id) = serving(&envelope).await;
        let fetched = client.get_task(&id, false).await.expect("the task");
        let items = &fetched.parsed.results;
        assert!(
            items.iter().all(|i| matches!(i, ResultItem::Untyped(_))),
            "{items:?}"
        );
        assert_eq!(items[0].character_id(), Some("char-7"));
        assert!(items[0]
            .url()
            .is_some_and(|u| u.starts_with(server.base_url())));
        assert_eq!((items[1].character_id(), items[1].voice_id()), (None, None));
        assert_eq!(
            (items[2].url(), items[2].profile_id()),
            (None, Some("profile-3"))
        );

        let (dir, downloaded) = download_all(&client, &fetched).await;
        assert!(
            matches!(
                saved(&downloaded)[..],
                [
                    Saved::Downloaded(_),
                    Saved::Written,
                    Saved::Downloaded(_),
                    Saved::Written
                ]
            ),
            "{downloaded:?}"
        );
        // The ids of the first item beside its file; none for the second (a request id is
        // not one a later task takes); the third, without a URL, written whole.
        assert_eq!(
            files(dir.path()),
            [
                format!("{id}-0.glb"),
                format!("{id}-0.ids.json"),
                format!("{id}-1.glb"),
                format!("{id}-2.json")
            ]
        );
        assert!(served(dir.path(), &format!("{id}-1.glb")).contains("scene.glb"));
        let ids: Value =
            serde_json::from_str(&served(dir.path(), &format!("{id}-0.ids.json"))).expect("JSON");
        assert_eq!(
            (&ids["character_id"], &ids["format"]),
            (&json!("char-7"), &json!("glb"))
        );
        let third: Value =
            serde_json::from_str(&served(dir.path(), &format!("{id}-2.json"))).expect("JSON");
        assert_eq!(third, envelope["results"][2]);
        server.shutdown().await.expect("stops");
    }
}
