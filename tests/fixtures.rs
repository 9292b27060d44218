//! Every shipped fixture through the validator and the types: the verdict its folder
//! promises, a snapshot of the report, and for valid ones a snapshot of the typed value.

use foxapi_contract::{Contract, Rule};
use std::path::Path;

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
    insta::glob!("../fixtures", "{valid,recorded}/**/*.json", |path| {
        let bytes = std::fs::read(path).expect("readable");
        let parsed = Contract::global()
            .parse(&bytes)
            .unwrap_or_else(|r| panic!("{}: {:#?}", path.display(), r.errors));
        insta::assert_debug_snapshot!((&parsed.task, &parsed.results));
    });
}

#[test]
fn every_invalid_fixture_is_refused_by_the_typed_parse_too() {
    insta::glob!("../fixtures", "invalid/**/*.json", |path| {
        let bytes = std::fs::read(path).expect("readable");
        assert!(
            Contract::global().parse(&bytes).is_err(),
            "{}",
            path.display()
        );
    });
}
