//! The validator's work on one response is bounded: errors and warnings past the cap are
//! counted, not kept (issue: hostile input, findings 3 and 4), and results items are checked
//! one at a time with their issues placed where they stand in the whole response.

use foxapi_contract::{Contract, Report, DEFAULT_MAX_ISSUES};
use serde_json::{json, Value};

/// A completed media task with `n` results items built by `item`.
fn media_task(n: usize, item: impl Fn(usize) -> Value) -> Value {
    json!({
        "id": "task-unified-1757165031-bounds00", "object": "image.generation.task",
        "type": "image", "model": "flux-1.1-pro", "status": "completed", "progress": 100,
        "created": 1757165031, "results": (0..n).map(item).collect::<Vec<_>>()
    })
}

fn broken_url(i: usize) -> Value {
    json!({ "url": format!("ftp://cdn.example.com/{i}.png") })
}

#[test]
fn errors_past_the_cap_are_counted_not_kept() {
    let report = Contract::global().validate_value(&media_task(5_000, broken_url));
    assert_eq!(report.errors.len(), DEFAULT_MAX_ISSUES);
    assert_eq!(report.omitted_errors, 5_000 - DEFAULT_MAX_ISSUES);
    assert_eq!(report.error_count(), 5_000);
    assert!(!report.is_valid());
    // The first errors are kept, in the order of the items.
    let paths: Vec<&str> = report
        .errors
        .iter()
        .map(|i| i.instance_path.as_str())
        .collect();
    assert_eq!(paths[0], "/results/0/url");
    assert_eq!(paths[99], "/results/99/url");
}

#[test]
fn the_cap_is_configurable_and_zero_still_fails_the_response() {
    let task = media_task(300, broken_url);
    let all = Contract::new()
        .with_max_issues(usize::MAX)
        .validate_value(&task);
    assert_eq!((all.errors.len(), all.omitted_errors), (300, 0));
    let none = Contract::new().with_max_issues(0).validate_value(&task);
    assert_eq!((none.errors.len(), none.omitted_errors), (0, 300));
    assert!(!none.is_valid(), "counted errors still make it invalid");
}

#[test]
fn warnings_past_the_cap_are_counted_and_strict_mode_keeps_the_count() {
    let task = media_task(
        250,
        |i| json!({ "url": format!("https://cdn.example.com/{i}.png"), "tint": i }),
    );
    let report = Contract::global().validate_value(&task);
    assert!(report.is_valid(), "{:?}", report.errors);
    assert_eq!(report.warnings.len(), DEFAULT_MAX_ISSUES);
    assert_eq!(report.omitted_warnings, 250 - DEFAULT_MAX_ISSUES);
    assert_eq!(report.warning_count(), 250);
    let strict: Report = report.into_strict();
    assert_eq!(strict.error_count(), 250);
    assert!(!strict.is_valid());
}

#[test]
fn a_report_on_a_huge_broken_response_stays_small() {
    // 20,000 broken items: the report lists 100 of them, so its size does not grow with the
    // response (the old validator kept and quoted every error).
    let report = Contract::global().validate_value(&media_task(20_000, broken_url));
    let text = serde_json::to_string(&report).expect("a report serialises");
    assert_eq!(report.error_count(), 20_000);
    assert!(text.len() < 64 * 1024, "report of {} bytes", text.len());
    assert!(
        text.contains("\"omitted_errors\":19900"),
        "{}",
        &text[text.len() - 200..]
    );
}

#[test]
fn item_issues_are_placed_where_they_stand_in_the_response() {
    // The second item breaks the shape rule of the by-type entry, the fourth the URL pattern;
    // their pointers and schema paths are those of the whole response and schema.
    let task = media_task(4, |i| match i {
        1 => json!({ "content_type": "image/png" }),
        3 => json!({ "url": "/relative.png" }),
        _ => json!({ "url": format!("https://cdn.example.com/{i}.png") }),
    });
    let report = Contract::global().validate_value(&task);
    let places: Vec<(&str, &str)> = report
        .errors
        .iter()
        .map(|i| (i.instance_path.as_str(), i.schema_path.as_str()))
        .collect();
    assert_eq!(
        places,
        [
            ("/results/1", "/$defs/MediaResult/required"),
            ("/results/3/url", "/$defs/HttpUrl/pattern"),
        ]
    );
    // The same pointers a standard validator finds with the exported schema.
    let schema: Value = serde_json::from_str(foxapi_contract::CONTRACT_SCHEMA).expect("JSON");
    let peer = jsonschema::draft202012::new(&schema).expect("compiles");
    let mut peer_paths: Vec<String> = peer
        .iter_errors(&task)
        .map(|e| e.instance_path().to_string())
        .collect();
    peer_paths.sort();
    assert_eq!(peer_paths, ["/results/1", "/results/3/url"]);
}

#[test]
fn a_results_rule_does_not_apply_where_its_condition_does_not_hold() {
    // Without `model`, the by-type rule's `if` does not hold: the items are not held to the
    // media shape (the missing model is the error), as a standard validator would say.
    let mut task = media_task(1, |_| json!({ "no_url": true }));
    task.as_object_mut().expect("an object").remove("model");
    let report = Contract::global().validate_value(&task);
    let paths: Vec<&str> = report
        .errors
        .iter()
        .map(|i| i.instance_path.as_str())
        .collect();
    assert_eq!(paths, [""], "{:?}", report.errors);
}

#[test]
fn issues_past_the_cap_are_counted_as_the_kept_ones_are_listed() {
    // Every other item is broken twice (URL type, width type) and carries two undeclared
    // keys: the counts past a small cap equal the lists of an unbounded report.
    let task = media_task(120, |i| {
        if i % 2 == 0 {
            json!({ "url": 7, "width": "wide", "tint": 1, "glaze": 2 })
        } else {
            json!({ "url": format!("https://cdn.example.com/{i}.png"), "tint": 1, "glaze": 2 })
        }
    });
    let all = Contract::new()
        .with_max_issues(usize::MAX)
        .validate_value(&task);
    let few = Contract::new().with_max_issues(10).validate_value(&task);
    assert_eq!(all.errors.len(), 120);
    assert_eq!(few.error_count(), all.errors.len());
    assert_eq!(few.warning_count(), all.warnings.len());
    assert_eq!(few.errors[..], all.errors[..10]);
    assert_eq!(few.warnings[..], all.warnings[..10]);
}
