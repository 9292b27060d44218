//! The crate's own tests, as a user writes them: its recorded responses checked in a
//! `#[test]` with the harness, and the library used with `?` and a wildcard match.

use foxapi_contract::harness::check_paths;
use foxapi_contract::Contract;
use foxapi_contract_downstream::{first_url, kind, running};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures");

#[test]
fn the_recorded_responses_keep_the_contract() {
    // fixtures/ holds good responses and, under manifests, responses that must break the
    // contract for a stated rule: the run passes when each verdict is the expected one.
    let checked = check_paths(&[FIXTURES]).expect("the run starts");
    assert!(checked.passed(), "{checked}");
    assert!(checked.summary.checked > 100, "{:?}", checked.summary);
    assert!(
        checked.summary.expected_invalid > 50,
        "{:?}",
        checked.summary
    );
}

#[test]
fn a_broken_recording_fails_the_test_with_the_rendered_report() {
    let dir = tempfile::tempdir().expect("tempdir");
    let broken = std::fs::read(format!("{FIXTURES}/invalid/result-url-relative.json"))
        .expect("a shipped fixture");
    std::fs::write(dir.path().join("recorded.json"), broken).expect("write");
    let checked = check_paths(&[dir.path()]).expect("the run starts");
    assert!(!checked.passed());
    let rendered = checked.to_string();
    assert!(rendered.contains("recorded.json"), "{rendered}");
    assert!(rendered.contains("/results/0/url"), "{rendered}");
    assert!(rendered.contains("1 not as expected"), "{rendered}");
}

#[test]
fn a_response_is_parsed_with_the_question_mark() {
    let body = std::fs::read(format!("{FIXTURES}/valid/type/image.json")).expect("fixture");
    let url = first_url(&body).expect("keeps the contract");
    assert!(url.is_some_and(|u| u.starts_with("https://")));

    let error = first_url(br#"{"id": 1}"#).expect_err("breaks the contract");
    let message = error.to_string();
    assert!(message.contains("breaks the contract"), "{message}");
    assert!(
        message.contains(r#"(root): expected key "object", found none"#),
        "{message}"
    );
}

#[test]
fn results_items_are_matched_with_a_wildcard_arm() {
    let body = std::fs::read(format!("{FIXTURES}/valid/model/scribe-v2.json")).expect("fixture");
    let parsed = Contract::global().parse(&body).expect("keeps the contract");
    assert_eq!(kind(&parsed.results[0]), "a transcript");
    let body =
        std::fs::read(format!("{FIXTURES}/valid/model/sora-2-character.json")).expect("fixture");
    let parsed = Contract::global().parse(&body).expect("keeps the contract");
    assert_eq!(kind(&parsed.results[0]), "something else");
    assert!(!running(&parsed.task.status));
    assert!(running(&"cancelled".parse().expect("any status parses")));
}
