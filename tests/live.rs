//! `cargo test --features live`: the contract checked against the real API (or, with
//! `FOXAPI_BASE_URL` pointing at a local server, offline).
//!
//! - the error contract, at no cost: an unknown task id gives a section 4 body with 404, a
//!   wrong key one with 401;
//! - every id in `FOXAPI_LIVE_TASK_IDS` (comma-separated) is fetched and validated, and its
//!   warnings printed.
//!
//! Without `FOXAPI_API_KEY` (or, for the last, without ids) each test is reported as ignored,
//! never as passed, and a line says what it needs. The decision is made when the suite runs
//! (libtest-mimic), so the key never reaches the build.

use foxapi_contract::client::{Client, ClientBuilder, ClientError};
use foxapi_contract::types::ErrorType;
use foxapi_contract::ApiKey;
use libtest_mimic::{Arguments, Failed, Trial};
use std::future::Future;

/// The client the environment describes.
fn client() -> Client {
    match Client::from_env() {
        Ok(client) => client,
        Err(error) => panic!(
            "the live suite needs FOXAPI_API_KEY (and FOXAPI_BASE_URL for a local server): {error}"
        ),
    }
}

/// The task ids of `FOXAPI_LIVE_TASK_IDS`.
fn listed_ids() -> Vec<String> {
    std::env::var("FOXAPI_LIVE_TASK_IDS")
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|id| !id.is_empty())
        .map(str::to_string)
        .collect()
}

/// Asserts that an error is an HTTP `status` whose body keeps section 4.
fn assert_section_4(error: &ClientError, status: u16) -> foxapi_contract::types::ApiError {
    match error {
        ClientError::Status {
            status: found,
            error: Some(body),
            body_issues,
            ..
        } if *found == status => {
            assert!(body_issues.is_empty(), "{body_issues:?}");
            (**body).clone()
        }
        other => panic!("expected HTTP {status} with a section 4 body, found {other}"),
    }
}

/// A trial that runs `test` on its own runtime, ignored (with the reason printed) when
/// `missing` says what the environment lacks.
fn trial<F, Fut>(name: &str, missing: Option<&str>, test: F) -> Trial
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: Future<Output = ()>,
{
    if let Some(what) = missing {
        println!("live: {name}: ignored, needs {what}");
    }
    Trial::test(name, move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Failed::from(format!("cannot start a runtime: {e}")))?;
        runtime.block_on(test());
        Ok(())
    })
    .with_ignored_flag(missing.is_some())
}

fn main() -> std::process::ExitCode {
    let args = Arguments::from_args();
    let key = std::env::var("FOXAPI_API_KEY").is_ok_and(|k| !k.trim().is_empty());
    let needs_key =
        (!key).then_some("FOXAPI_API_KEY (and FOXAPI_BASE_URL to point at a local server)");
    let needs_ids = needs_key.or(listed_ids()
        .is_empty()
        .then_some("FOXAPI_LIVE_TASK_IDS, a comma-separated list of task ids to check"));
    let trials = vec![
        trial(
            "an_unknown_task_id_gives_404_with_a_section_4_body",
            needs_key,
            an_unknown_task_id_gives_404_with_a_section_4_body,
        ),
        trial(
            "a_wrong_key_gives_401_with_a_section_4_body",
            needs_key,
            a_wrong_key_gives_401_with_a_section_4_body,
        ),
        trial(
            "every_listed_task_keeps_the_contract",
            needs_ids,
            every_listed_task_keeps_the_contract,
        ),
    ];
    libtest_mimic::run(&args, trials).exit_code()
}

async fn an_unknown_task_id_gives_404_with_a_section_4_body() {
    let client = client();
    let error = client
        .get_task("task-unified-0000000000-nosuchid", false)
        .await
        .expect_err("no such task");
    let body = assert_section_4(&error, 404);
    println!("404: type {}, message {:?}", body.type_, body.message);
    assert!(!format!("{error} {error:?}").contains(client.api_key().expose()));
}

async fn a_wrong_key_gives_401_with_a_section_4_body() {
    let wrong = ApiKey::new("foxapi-contract-live-test-wrong-key").expect("a key");
    let client = ClientBuilder::from_env()
        .api_key(wrong)
        .build()
        .expect("a client");
    let error = client
        .get_task("task-unified-0000000000-nosuchid", false)
        .await
        .expect_err("wrong key");
    let body = assert_section_4(&error, 401);
    println!("401: type {}, message {:?}", body.type_, body.message);
    if !body.type_.is_known() {
        println!(
            "warning: error type {:?} is outside the known set {:?}",
            body.type_.as_str(),
            ErrorType::KNOWN
        );
    }
}

async fn every_listed_task_keeps_the_contract() {
    let ids = listed_ids();
    let client = client();
    let mut broken = Vec::new();
    for id in &ids {
        match client.get_task(id, false).await {
            Ok(fetched) => {
                println!(
                    "{id}: {} {} (model {}), {} results, {} warnings",
                    fetched.parsed.task.status.as_str(),
                    fetched.parsed.task.progress,
                    fetched.parsed.task.model,
                    fetched.parsed.results.len(),
                    fetched.parsed.warnings.len()
                );
                for warning in &fetched.parsed.warnings {
                    println!("  warning: {warning}");
                }
            }
            Err(error) => {
                println!("{id}: {error}");
                broken.push(id.clone());
            }
        }
    }
    assert!(
        broken.is_empty(),
        "these tasks did not come back keeping the contract: {broken:?}"
    );
}
