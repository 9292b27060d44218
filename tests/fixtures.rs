//! Every shipped fixture through the validator and the types: the verdict its folder
//! promises, a snapshot of the report, and for valid ones a snapshot of the typed value.

use foxapi_contract::{Contract, Rule};
use std::path::Path;

/// A folder's expectations (`harness::expect::MANIFEST`), not a response.
const MANIFEST: &str = "foxapi-expect.json";

fn verdict_expected(path: &Path) -> bool {
    let text = path.to_string_lossy();
    assert!(
        text.contains("/valid/") || text.contains("/invalid/") || text.contains("/recorded/"),
        "{text}: unexpected folder"
    );
    !text.contains("/invalid/")
}

#[test]
fn reports_of_every_fixture() {
    insta::glob!("../fixtures", "**/*.json", |path| {
        if path.ends_with(MANIFEST) {
            return; // the expectations of a folder, not a response
        }
        let bytes = std::fs::read(path).expect("readable");
        let report = Contract::global().validate(&bytes);
        assert_eq!(
            report.is_valid(),
            verdict_expected(path),
            "{}: {:#?}",
            path.display(),
            report.errors
        );
        assert!(
            !report.errors.iter().any(|e| e.rule == Rule::ContractBug),
            "{}: {:#?}",
            path.display(),
            report.errors
        );
        insta::assert_json_snapshot!(report);
    });
}

#[test]
fn typed_values_of_every_valid_fixture() {
    insta::glob!(
        "../fixtures",
        "{valid,recorded,upstream/valid}/**/*.json",
        |path| {
            let bytes = std::fs::read(path).expect("readable");
            let parsed = Contract::global()
                .parse(&bytes)
                .unwrap_or_else(|r| panic!("{}: {:#?}", path.display(), r.errors));
            insta::assert_debug_snapshot!((&parsed.task, &parsed.results));
        }
    );
}

#[test]
fn every_invalid_fixture_is_refused_by_the_typed_parse_too() {
    insta::glob!(
        "../fixtures",
        "{invalid,upstream/invalid}/**/*.json",
        |path| {
            if path.ends_with(MANIFEST) {
                return;
            }
            let bytes = std::fs::read(path).expect("readable");
            assert!(
                Contract::global().parse(&bytes).is_err(),
                "{}",
                path.display()
            );
        }
    );
}

/// The upstream fixtures that carry a key or value their owner does not document, or a
/// documented quirk that is a warning: valid, but not under `--strict`. Every other fixture
/// of fixtures/upstream/valid/ carries only documented keys and must keep the strict contract.
const UPSTREAM_DRIFT: &[(&str, &str)] = &[
    (
        "deepseek-chat-completion-reasoning.json",
        "DeepSeek adds usage.prompt_cache_hit_tokens and prompt_cache_miss_tokens",
    ),
    (
        "gemini-chat-completion-id-null.json",
        "a ChatCompletion id of null is a warning (section 5)",
    ),
];

#[test]
fn upstream_fixtures_with_only_documented_keys_keep_the_strict_contract() {
    insta::glob!("../fixtures", "upstream/valid/*.json", |path| {
        let bytes = std::fs::read(path).expect("readable");
        let report = Contract::global().validate(&bytes);
        let name = path.file_name().expect("a file").to_string_lossy();
        let drift = UPSTREAM_DRIFT.iter().find(|(file, _)| *file == name);
        assert!(report.is_valid(), "{name}: {:#?}", report.errors);
        match drift {
            None => assert!(
                report.warnings.is_empty(),
                "{name}: every key is documented, yet: {:#?}",
                report.warnings
            ),
            Some((_, why)) => assert!(
                !report.warnings.is_empty(),
                "{name}: listed as drift ({why}) but strict-valid"
            ),
        }
    });
}

#[test]
fn every_upstream_invalid_fixture_is_caught_at_depth_by_one_rule() {
    insta::glob!("../fixtures", "upstream/invalid/*.json", |path| {
        if path.ends_with(MANIFEST) {
            return;
        }
        let bytes = std::fs::read(path).expect("readable");
        let report = Contract::global().validate(&bytes);
        let name = path.display();
        let rule = &report.errors.first().expect("invalid").schema_path;
        for error in &report.errors {
            assert_eq!(&error.schema_path, rule, "{name}: {:#?}", report.errors);
            assert!(
                error.instance_path.starts_with("/results/0/"),
                "{name}: expected an error inside the results item, found {error:#?}"
            );
        }
    });
}
