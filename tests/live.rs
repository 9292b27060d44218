//! `cargo test --features live`: the contract checked against the real API (or, with
//! `FOXAPI_BASE_URL` pointing at a local server, offline). Needs `FOXAPI_API_KEY` at build
//! time; without it every test here is ignored with a reason that says so, never passed.
//!
//! - the error contract, at no cost: an unknown task id gives a section 4 body with 404, a
//!   wrong key one with 401;
//! - every id in `FOXAPI_LIVE_TASK_IDS` (comma-separated) is fetched and validated, and its
//!   warnings printed.
#![cfg(feature = "live")]

use foxapi_contract::client::{ApiKey, Client, ClientBuilder, ClientError};
use foxapi_contract::ErrorType;

/// The client the environment describes.
fn client() -> Client {
    match Client::from_env() {
        Ok(client) => client,
        Err(error) => panic!(
            "the live suite needs FOXAPI_API_KEY (and FOXAPI_BASE_URL for a local server): {error}"
        ),
    }
}

/// Asserts that an error is an HTTP `status` whose body keeps section 4.
fn assert_section_4(error: &ClientError, status: u16) -> foxapi_contract::ApiError {
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

#[tokio::test]
#[cfg_attr(
    not(foxapi_live_key),
    ignore = "needs FOXAPI_API_KEY (and FOXAPI_BASE_URL to point at a local server)"
)]
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

#[tokio::test]
#[cfg_attr(
    not(foxapi_live_key),
    ignore = "needs FOXAPI_API_KEY (and FOXAPI_BASE_URL to point at a local server)"
)]
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

#[tokio::test]
#[cfg_attr(
    not(foxapi_live_key),
    ignore = "needs FOXAPI_API_KEY (and FOXAPI_BASE_URL to point at a local server)"
)]
async fn every_listed_task_keeps_the_contract() {
    let ids: Vec<String> = std::env::var("FOXAPI_LIVE_TASK_IDS")
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|id| !id.is_empty())
        .map(str::to_string)
        .collect();
    if ids.is_empty() {
        println!(
            "FOXAPI_LIVE_TASK_IDS is not set: no task ids to check (give a comma-separated list)"
        );
        return;
    }
    let client = client();
    let mut broken = Vec::new();
    for id in &ids {
        match client.get_task(id, false).await {
            Ok(fetched) => {
                println!(
                    "{id}: {} {} (model {}), {} results, {} warnings",
                    fetched.task.status.as_str(),
                    fetched.task.progress,
                    fetched.task.model,
                    fetched.results.len(),
                    fetched.warnings.len()
                );
                for warning in &fetched.warnings {
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
