//! `task get|wait|download` and `record` as a user runs them, against the mock FoxAPI on
//! 127.0.0.1: exit codes 0 (done), 1 (task failed), 2 (usage: 401, 404), 3 (transport), files
//! on disk, and the key in no output.
#![cfg(feature = "cli")]

mod support;

use foxapi_contract::mock::{MockConfig, MockServer};
use foxapi_contract::ApiKey;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;
use support::{Server, Step};

const KEY: &str = "sk-cli-task-SECRET-9731";

fn fixture_id(path: &str) -> String {
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).expect("fixture");
    serde_json::from_str::<serde_json::Value>(&text).expect("JSON")["id"]
        .as_str()
        .expect("id")
        .to_string()
}

async fn mock() -> MockServer {
    MockServer::start(MockConfig {
        fixtures: Some(PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures"
        ))),
        api_key: Some(ApiKey::new(KEY).expect("a key")),
        ..MockConfig::default()
    })
    .await
    .expect("the mock starts")
}

fn run(base: &str, key: &str, args: &[&str]) -> Output {
    let output = Command::new(env!("CARGO_BIN_EXE_foxapi-contract"))
        .args(args)
        .env("FOXAPI_BASE_URL", base)
        .env("FOXAPI_API_KEY", key)
        .env("CI", "true")
        .output()
        .expect("runs");
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(!all.contains(KEY), "the key leaked: {all}");
    output
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_exits_0_for_a_task_1_for_a_failed_one_2_for_401_and_404() {
    let server = mock().await;
    let base = server.base_url().to_string();
    let id = fixture_id("fixtures/valid/model/scribe-v2.json");
    let done = run(&base, KEY, &["task", "get", &id]);
    assert_eq!(
        done.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
    let printed: serde_json::Value =
        serde_json::from_slice(&done.stdout).expect("the task as JSON");
    assert_eq!(printed["id"], id.as_str());

    let failed = fixture_id("fixtures/valid/quirk/failed-string-code.json");
    assert_eq!(
        run(&base, KEY, &["task", "get", &failed]).status.code(),
        Some(1)
    );
    assert_eq!(
        run(&base, KEY, &["task", "get", "task-unified-1-nosuchid"])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        run(&base, "sk-wrong", &["task", "get", &id]).status.code(),
        Some(2)
    );
    server.shutdown().await.expect("stops");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_is_not_there_exits_3() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("a free port")
        .local_addr()
        .expect("addr")
        .port();
    let output = run(
        &format!("http://127.0.0.1:{port}"),
        KEY,
        &["task", "get", "task-unified-1-abcdefgh"],
    );
    assert_eq!(
        output.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wait_downloads_and_record_saves_a_clean_fixture() {
    let server = mock().await;
    let base = server.base_url().to_string();
    let dir = tempfile::tempdir().expect("tempdir");
    let id = fixture_id("fixtures/valid/model/patina-material.json");
    let out = dir.path().join("out");
    let waited = run(
        &base,
        KEY,
        &[
            "task",
            "wait",
            &id,
            "--interval",
            "10ms",
            "--timeout",
            "30s",
            "--download",
            out.to_str().expect("utf8"),
        ],
    );
    assert_eq!(
        waited.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&waited.stderr)
    );
    let files: Vec<_> = std::fs::read_dir(&out)
        .expect("downloads")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(files.len(), 4, "one file per result: {files:?}");

    let recorded = dir.path().join("recorded");
    let saved = run(
        &base,
        KEY,
        &["record", &id, "--out", recorded.to_str().expect("utf8")],
    );
    assert_eq!(
        saved.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&saved.stderr)
    );
    let fixture = recorded.join("patina-material").join(format!("{id}.json"));
    let text =
        std::fs::read_to_string(&fixture).unwrap_or_else(|e| panic!("{}: {e}", fixture.display()));
    assert!(!text.contains(KEY) && !text.contains("Authorization"));
    assert!(foxapi_contract::Contract::global()
        .validate(text.as_bytes())
        .is_valid());
    server.shutdown().await.expect("stops");
}

// ---- issue 10: hostile servers, through the real binary -----------------------------------

const ID: &str = "task-unified-1757165031-uyujaw3d";
const TASK_PATH: &str = "/v1/tasks/task-unified-1757165031-uyujaw3d";

/// A task envelope of a lip-sync video.
fn envelope(status: &str, results: serde_json::Value, error: serde_json::Value) -> String {
    serde_json::json!({
        "id": ID, "object": "video.generation.task", "type": "video", "model": "lipsync-2",
        "status": status, "progress": 100, "created": 1757165031, "results": results,
        "error": error, "usage": {"credits_reserved": 5, "user_group": "default"}
    })
    .to_string()
}

/// The binary, started with `key` against `base`, its output collected off the runtime; a
/// run that has not ended after a minute is killed and fails the test (a guard, not a
/// measurement: the runs below end in about a second).
async fn run_async(base: &str, key: &str, args: &[&str]) -> Output {
    let child = Command::new(env!("CARGO_BIN_EXE_foxapi-contract"))
        .args(args)
        .env("FOXAPI_BASE_URL", base)
        .env("FOXAPI_API_KEY", key)
        .env("CI", "true")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starts");
    finish(child).await
}

async fn finish(child: std::process::Child) -> Output {
    let pid = child.id();
    let waiting = tokio::task::spawn_blocking(move || child.wait_with_output());
    match tokio::time::timeout(Duration::from_secs(60), waiting).await {
        Ok(output) => output.expect("joined").expect("waited"),
        Err(_) => {
            let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
            panic!("the command did not end within a minute");
        }
    }
}

/// Every form in which `key` could have been printed: as is, JSON-escaped, Debug-escaped.
fn assert_key_absent(output: &Output, key: &str) {
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let json = serde_json::to_string(key).expect("a string");
    let debug = format!("{key:?}");
    for form in [key, &json[1..json.len() - 1], &debug[1..debug.len() - 1]] {
        assert!(!all.contains(form), "the key leaked as {form}: {all}");
    }
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn names(dir: &Path) -> Vec<String> {
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finding_1a_a_failed_tasks_message_echoing_the_key_never_reaches_the_terminal() {
    let template = envelope(
        "failed",
        serde_json::Value::Null,
        serde_json::json!({"message": "upstream refused {auth} \u{1b}[2J see https://cdn.example/x?X-Amz-Signature=s3cr3t", "type": "task_error", "code": "generation_failed"}),
    );
    let server = Server::start().await;
    server.script(
        TASK_PATH,
        vec![Step::Echo {
            status: 200,
            template,
        }],
    );
    for key in ["sk-echo-me-SECRET-4242", r#"sk-"quo\te"d\-SECRET-77"#] {
        for args in [
            &["task", "get", ID][..],
            &["task", "wait", ID, "--interval", "10ms", "--timeout", "10s"],
        ] {
            let output = run_async(&server.base(), key, args).await;
            assert_eq!(
                output.status.code(),
                Some(1),
                "{args:?}: {}",
                stderr(&output)
            );
            assert_key_absent(&output, key);
            let err = stderr(&output);
            assert!(
                err.contains("failed: upstream refused Bearer REDACTED"),
                "{err}"
            );
            assert!(!err.contains('\u{1b}'), "raw ESC on stderr: {err:?}");
            assert!(err.contains("\\u{1b}[2J"), "{err}");
            assert!(!err.contains("s3cr3t"), "{err}");
            let printed: serde_json::Value =
                serde_json::from_slice(&output.stdout).expect("the task as JSON");
            assert_eq!(printed["status"], "failed");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finding_1c_a_short_key_is_refused_at_start_and_nothing_is_sent() {
    let server = Server::start().await;
    let body = envelope(
        "completed",
        serde_json::json!([{"url": "https://cdn.example.com/v0e.mp4", "content_type": "video/mp4"}]),
        serde_json::Value::Null,
    );
    server.script(TASK_PATH, vec![Step::json(200, body)]);
    for key in ["0", "e"] {
        let output = run_async(&server.base(), key, &["task", "get", ID]).await;
        assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
        assert!(
            stderr(&output).contains("at least 8 characters"),
            "{}",
            stderr(&output)
        );
        assert!(output.stdout.is_empty());
    }
    assert_eq!(server.count(TASK_PATH), 0, "a refused key sends nothing");
}

/// A server whose task is completed with one result that drips.
async fn dripping() -> Server {
    let server = Server::start().await;
    let body = envelope(
        "completed",
        serde_json::json!([{"url": server.url("/cdn/v.mp4?X-Amz-Signature=s3cr3t"), "content_type": "video/mp4"}]),
        serde_json::Value::Null,
    );
    server.script(TASK_PATH, vec![Step::json(200, body)]);
    server.script(
        "/cdn/v.mp4",
        vec![Step::Drip {
            every: Duration::from_millis(50),
            bytes: 100_000,
        }],
    );
    server
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finding_5_wait_timeout_covers_a_dripping_download_and_leaves_no_part_file() {
    let server = dripping().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("out");
    let output = run_async(
        &server.base(),
        KEY,
        &[
            "task",
            "wait",
            ID,
            "--interval",
            "10ms",
            "--timeout",
            "2s",
            "--download",
            out.to_str().expect("utf8"),
        ],
    )
    .await;
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("partial file was removed"),
        "{}",
        stderr(&output)
    );
    assert!(!stderr(&output).contains("s3cr3t"), "{}", stderr(&output));
    assert!(names(&out).is_empty(), "{:?}", names(&out));
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finding_5_sigint_during_a_download_removes_the_part_file() {
    let server = dripping().await;
    let mut events = server.events();
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("out");
    let child = Command::new(env!("CARGO_BIN_EXE_foxapi-contract"))
        .args([
            "task",
            "wait",
            ID,
            "--interval",
            "10ms",
            "--timeout",
            "10m",
            "--download",
            out.to_str().expect("utf8"),
        ])
        .env("FOXAPI_BASE_URL", server.base())
        .env("FOXAPI_API_KEY", KEY)
        .env("CI", "true")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starts");
    // The signal that the download is under way: the host has sent its first byte.
    loop {
        let event = tokio::time::timeout(Duration::from_secs(60), events.recv())
            .await
            .expect("the download starts")
            .expect("the server runs");
        if event == "dripping /cdn/v.mp4" {
            break;
        }
    }
    // The client creates its `.part` file once the head is in; the file system is the only
    // signal another process gives, so look until it is there (a minute at most).
    let mut seen_part = false;
    for _ in 0..6000 {
        if names(&out).iter().any(|n| n.ends_with(".part")) {
            seen_part = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(
        seen_part,
        "a .part file while downloading: {:?}",
        names(&out)
    );
    let sent = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(sent.success());
    let output = finish(child).await;
    assert_eq!(output.status.code(), Some(130), "{}", stderr(&output));
    assert!(names(&out).is_empty(), "{:?}", names(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finding_5_task_download_calls_a_close_delimited_cut_unverified_and_a_rerun_completes_it() {
    let server = Server::start().await;
    let body = envelope(
        "completed",
        serde_json::json!([{"url": server.url("/cdn/v.mp4?X-Amz-Signature=s3cr3t"), "content_type": "video/mp4"}]),
        serde_json::Value::Null,
    );
    server.script(TASK_PATH, vec![Step::json(200, body)]);
    server.script(
        "/cdn/v.mp4",
        vec![
            // HTTP/1.0 style: no length, the body ended by the close after 5 of 10 bytes.
            Step::Raw(b"HTTP/1.0 200 OK\r\nContent-Type: video/mp4\r\n\r\nVIDEO".to_vec()),
            Step::Raw(
                b"HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 5-9/10\r\nContent-Length: 5\r\n\r\n-DATA"
                    .to_vec(),
            ),
        ],
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("out");
    let args = ["task", "download", ID, "--out", out.to_str().expect("utf8")];
    let file = out.join(format!("{ID}-0.mp4"));

    let first = run_async(&server.base(), KEY, &args).await;
    let printed = String::from_utf8_lossy(&first.stdout).into_owned();
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    assert!(printed.contains("(5 bytes, unverified"), "{printed}");

    let second = run_async(&server.base(), KEY, &args).await;
    let printed = String::from_utf8_lossy(&second.stdout).into_owned();
    assert_eq!(second.status.code(), Some(0), "{}", stderr(&second));
    assert!(
        printed.contains("resumed") && printed.contains("(5 bytes appended, 10 bytes in all)"),
        "{printed}"
    );
    assert_eq!(std::fs::read(&file).expect("the file"), b"VIDEO-DATA");
    assert_eq!(names(&out), [format!("{ID}-0.mp4")]);
    let ranges: Vec<_> = server
        .received()
        .iter()
        .filter(|r| r.path == "/cdn/v.mp4")
        .map(|r| r.header("range").map(str::to_string))
        .collect();
    assert_eq!(ranges, [None, Some("bytes=5-".to_string())]);
    for output in [&first, &second] {
        assert_key_absent(output, KEY);
        assert!(!String::from_utf8_lossy(&output.stdout).contains("s3cr3t"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finding_9_task_get_dot_dot_sends_nothing_and_a_base_url_password_is_refused() {
    let server = Server::start().await;
    for id in ["..", "."] {
        let output = run_async(&server.base(), KEY, &["task", "get", id]).await;
        assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
        assert!(stderr(&output).contains("task id"), "{}", stderr(&output));
    }
    assert!(server.received().is_empty(), "{:?}", server.received());

    let with_password = server.base().replace("http://", "http://me:hunter2-pw@");
    let output = run_async(&with_password, KEY, &["task", "get", ID]).await;
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("user name or password"),
        "{}",
        stderr(&output)
    );
    assert!(
        !stderr(&output).contains("hunter2-pw"),
        "{}",
        stderr(&output)
    );
    assert!(server.received().is_empty(), "{:?}", server.received());
}
