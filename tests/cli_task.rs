//! `task get|wait|download` and `record` as a user runs them, against the mock FoxAPI on
//! 127.0.0.1: exit codes 0 (done), 1 (task failed), 2 (usage: 401, 404), 3 (transport), files
//! on disk, and the key in no output.
#![cfg(feature = "cli")]

use foxapi_contract::mock::{MockConfig, MockServer};
use foxapi_contract::secret::ApiKey;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

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
