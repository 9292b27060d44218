//! `task get|wait|download` and `record` as a user runs them, against the mock FoxAPI on
//! 127.0.0.1: exit codes 0 (done), 1 (task failed), 2 (usage: 401, 404), 3 (transport), files
//! on disk, and the key in no output.
#![cfg(feature = "cli")]

mod support;

use foxapi_contract::mock::{MockConfig, MockServer};
use foxapi_contract::ApiKey;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;
use support::{Server, Step};
use tempfile::TempDir;

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

/// The binary with `args`, as CI runs it against the API at `base` with `key`.
fn foxapi(base: &str, key: &str, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_foxapi-contract"));
    command
        .args(args)
        .env("FOXAPI_BASE_URL", base)
        .env("FOXAPI_API_KEY", key)
        .env("CI", "true");
    command
}

/// The binary run to its end with `key` against `base`; [`KEY`] appears nowhere in its output.
fn run(base: &str, key: &str, args: &[&str]) -> Output {
    let output = foxapi(base, key, args).output().expect("runs");
    let all = printed(&output);
    assert!(!all.contains(KEY), "the key leaked: {all}");
    output
}

/// All a run printed: its stdout, then its stderr.
fn printed(output: &Output) -> String {
    format!("{}{}", stdout(output), stderr(output))
}

/// What a run printed on stdout.
fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// What a run printed on stderr.
fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The run ended with exit `code`; when not, the failure shows its stderr.
fn assert_exit(output: &Output, code: i32) {
    assert_eq!(output.status.code(), Some(code), "{}", stderr(output));
}

/// The run's stderr says `text`.
fn assert_stderr_says(output: &Output, text: &str) {
    assert!(stderr(output).contains(text), "{}", stderr(output));
}

/// The run's stderr does not show `secret`.
fn assert_stderr_hides(output: &Output, secret: &str) {
    assert!(!stderr(output).contains(secret), "{}", stderr(output));
}

/// `task wait ID` polling every 10ms for at most `timeout`, then downloading the results into
/// `out`.
fn wait_and_download<'a>(id: &'a str, timeout: &'a str, out: &'a Path) -> [&'a str; 9] {
    [
        "task",
        "wait",
        id,
        "--interval",
        "10ms",
        "--timeout",
        timeout,
        "--download",
        out.to_str().expect("utf8"),
    ]
}

/// A temporary directory and, in it, the path of the `out` directory a download creates.
fn download_dir() -> (TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("out");
    (dir, out)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_exits_0_for_a_task_1_for_a_failed_one_2_for_401_and_404() {
    let server = mock().await;
    let base = server.base_url().to_string();
    let id = fixture_id("fixtures/valid/model/scribe-v2.json");
    let done = run(&base, KEY, &["task", "get", &id]);
    assert_exit(&done, 0);
    let printed: serde_json::Value =
        serde_json::from_slice(&done.stdout).expect("the task as JSON");
    assert_eq!(printed["id"], id.as_str());

    let failed = fixture_id("fixtures/valid/quirk/failed-string-code.json");
    assert_exit(&run(&base, KEY, &["task", "get", &failed]), 1);
    let missing = run(&base, KEY, &["task", "get", "task-unified-1-nosuchid"]);
    assert_exit(&missing, 2);
    assert_exit(&run(&base, "sk-wrong", &["task", "get", &id]), 2);
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
    assert_exit(&output, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wait_downloads_and_record_saves_a_clean_fixture() {
    let server = mock().await;
    let base = server.base_url().to_string();
    let (dir, out) = download_dir();
    let id = fixture_id("fixtures/valid/model/patina-material.json");
    let waited = run(&base, KEY, &wait_and_download(&id, "30s", &out));
    assert_exit(&waited, 0);
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
    assert_exit(&saved, 0);
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

/// A completed task envelope whose one result, a video, is at `url`.
fn completed(url: &str) -> String {
    envelope(
        "completed",
        serde_json::json!([{"url": url, "content_type": "video/mp4"}]),
        serde_json::Value::Null,
    )
}

/// The binary, started with `key` against `base`, its output collected off the runtime; a
/// run that has not ended after a minute is killed and fails the test (a guard, not a
/// measurement: the runs below end in about a second).
async fn run_async(base: &str, key: &str, args: &[&str]) -> Output {
    finish(spawn(base, key, args)).await
}

/// The binary started with `key` against `base`, its stdout and stderr piped.
fn spawn(base: &str, key: &str, args: &[&str]) -> Child {
    foxapi(base, key, args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starts")
}

/// The output of `child` once it has ended; killed, and the test failed, after a minute.
async fn finish(child: Child) -> Output {
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
    let all = printed(output);
    let json = serde_json::to_string(key).expect("a string");
    let debug = format!("{key:?}");
    for form in [key, &json[1..json.len() - 1], &debug[1..debug.len() - 1]] {
        assert!(!all.contains(form), "the key leaked as {form}: {all}");
    }
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
    let body = completed("https://cdn.example.com/v0e.mp4");
    server.script(TASK_PATH, vec![Step::json(200, body)]);
    for key in ["0", "e"] {
        let output = run_async(&server.base(), key, &["task", "get", ID]).await;
        assert_exit(&output, 2);
        assert_stderr_says(&output, "at least 8 characters");
        assert!(output.stdout.is_empty());
    }
    assert_eq!(server.count(TASK_PATH), 0, "a refused key sends nothing");
}

/// A scripted server whose task is completed with one video, on the server itself at
/// `/cdn/v.mp4` behind a signed URL; how the video answers is left to the test.
async fn with_a_signed_video() -> Server {
    let server = Server::start().await;
    let body = completed(&server.url("/cdn/v.mp4?X-Amz-Signature=s3cr3t"));
    server.script(TASK_PATH, vec![Step::json(200, body)]);
    server
}

/// A server whose task is completed with one result that drips.
async fn dripping() -> Server {
    let server = with_a_signed_video().await;
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
    let (_dir, out) = download_dir();
    let output = run_async(&server.base(), KEY, &wait_and_download(ID, "2s", &out)).await;
    assert_exit(&output, 3);
    assert_stderr_says(&output, "partial file was removed");
    assert_stderr_hides(&output, "s3cr3t");
    assert!(names(&out).is_empty(), "{:?}", names(&out));
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finding_5_sigint_during_a_download_removes_the_part_file() {
    let server = dripping().await;
    let mut events = server.events();
    let (_dir, out) = download_dir();
    let child = spawn(&server.base(), KEY, &wait_and_download(ID, "10m", &out));
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
    assert_exit(&output, 130);
    assert!(names(&out).is_empty(), "{:?}", names(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finding_5_task_download_calls_a_close_delimited_cut_unverified_and_a_rerun_completes_it() {
    let server = with_a_signed_video().await;
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
    let (_dir, out) = download_dir();
    let args = ["task", "download", ID, "--out", out.to_str().expect("utf8")];
    let file = out.join(format!("{ID}-0.mp4"));

    let first = run_async(&server.base(), KEY, &args).await;
    let printed = stdout(&first);
    assert_exit(&first, 0);
    assert!(printed.contains("(5 bytes, unverified"), "{printed}");

    let second = run_async(&server.base(), KEY, &args).await;
    let printed = stdout(&second);
    assert_exit(&second, 0);
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
        assert!(!stdout(output).contains("s3cr3t"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finding_9_task_get_dot_dot_sends_nothing_and_a_base_url_password_is_refused() {
    let server = Server::start().await;
    for id in ["..", "."] {
        let output = run_async(&server.base(), KEY, &["task", "get", id]).await;
        assert_exit(&output, 2);
        assert_stderr_says(&output, "task id");
    }
    assert!(server.received().is_empty(), "{:?}", server.received());

    let with_password = server.base().replace("http://", "http://me:hunter2-pw@");
    let output = run_async(&with_password, KEY, &["task", "get", ID]).await;
    assert_exit(&output, 2);
    assert_stderr_says(&output, "user name or password");
    assert_stderr_hides(&output, "hunter2-pw");
    assert!(server.received().is_empty(), "{:?}", server.received());
}
