//! The `validate` and `schema` commands as a user runs them: exit codes, report formats,
//! inputs, and bad input that never stops the run.
#![cfg(feature = "cli")]

use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn bin() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_foxapi-contract"));
    command
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("NO_COLOR")
        .env("CI", "true");
    command
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("runs")
}

fn run_stdin(args: &[&str], input: &[u8]) -> Output {
    let mut child = bin()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawns");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input)
        .expect("writes");
    child.wait_with_output().expect("runs")
}

fn json_of(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&output.stdout)))
}

fn fixture_count(dir: &str) -> usize {
    fn walk(p: &Path) -> usize {
        let Ok(entries) = std::fs::read_dir(p) else {
            return 0; // fixtures/recorded/ is empty until something is recorded
        };
        entries
            .map(|e| e.expect("entry").path())
            .map(|p| {
                if p.is_dir() {
                    walk(&p)
                } else {
                    usize::from(p.extension().is_some_and(|e| e == "json"))
                }
            })
            .sum()
    }
    walk(&Path::new(env!("CARGO_MANIFEST_DIR")).join(dir))
}

#[test]
fn exit_0_when_every_response_is_valid_1_when_any_is_not_2_on_usage() {
    assert_eq!(run(&["validate", "fixtures/valid"]).status.code(), Some(0));
    assert_eq!(run(&["validate", "fixtures"]).status.code(), Some(1));
    let missing = run(&["validate", "fixtures/valid", "no/such/place.json"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no/such/place.json"));
    assert_eq!(
        run(&["validate", "--format", "yaml", "fixtures"])
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn strict_mode_makes_warnings_fail() {
    assert_eq!(
        run(&["validate", "fixtures/valid/model"]).status.code(),
        Some(0)
    );
    assert_eq!(
        run(&["validate", "--strict", "fixtures/valid/model"])
            .status
            .code(),
        Some(0)
    );
    let quirks = run(&[
        "validate",
        "--strict",
        "--format",
        "json",
        "fixtures/valid/quirk/extra-keys.json",
    ]);
    assert_eq!(quirks.status.code(), Some(1));
    let report = json_of(&quirks);
    assert_eq!(
        report["responses"][0]["errors"][0]["rule"],
        "undeclared_key"
    );
}

#[test]
fn the_json_report_has_its_shape_and_keeps_its_own_schema() {
    let output = run(&["validate", "--format", "json", "fixtures"]);
    let report = json_of(&output);
    let schema: Value =
        serde_json::from_slice(&run(&["schema", "--report"]).stdout).expect("schema JSON");
    let validator = jsonschema::validator_for(&schema).expect("the report schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(&report)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    let total = fixture_count("fixtures");
    assert_eq!(report["summary"]["checked"], total);
    assert_eq!(
        report["summary"]["valid"],
        fixture_count("fixtures/valid")
            + fixture_count("fixtures/recorded")
            + fixture_count("fixtures/upstream/valid")
    );
    assert_eq!(
        report["summary"]["invalid"],
        fixture_count("fixtures/invalid") + fixture_count("fixtures/upstream/invalid")
    );
    let first = &report["responses"][0];
    for key in ["source", "valid", "model", "errors", "warnings"] {
        assert!(first.get(key).is_some(), "{key} missing from {first}");
    }
    let issue = report["responses"]
        .as_array()
        .expect("array")
        .iter()
        .flat_map(|r| r["errors"].as_array().expect("errors"))
        .next()
        .expect("an error");
    for key in ["instance_path", "schema_path", "message"] {
        assert!(issue.get(key).is_some(), "{key} missing from {issue}");
    }
}

#[test]
fn the_report_order_is_the_input_order_whatever_the_threads() {
    let one = json_of(&run(&[
        "validate", "--format", "json", "--jobs", "1", "fixtures",
    ]));
    let two = json_of(&run(&[
        "validate", "--format", "json", "--jobs", "2", "fixtures",
    ]));
    assert_eq!(one, two);
    let sources: Vec<&str> = one["responses"]
        .as_array()
        .expect("array")
        .iter()
        .map(|r| r["source"].as_str().expect("source"))
        .collect();
    let mut sorted = sources.clone();
    sorted.sort_unstable();
    assert_eq!(sources, sorted);
}

#[test]
fn order_holds_across_batches_of_a_long_json_lines_corpus() {
    let dir = tempfile::tempdir().expect("tempdir");
    let valid: Value = serde_json::from_str(
        &std::fs::read_to_string("fixtures/valid/type/image.json").expect("fixture"),
    )
    .expect("json");
    let mut lines = String::new();
    for i in 0..1500 {
        let mut r = valid.clone();
        if i % 7 == 0 {
            r["progress"] = serde_json::json!(500);
        }
        lines.push_str(&format!("{r}\n"));
    }
    let path = dir.path().join("long.jsonl");
    std::fs::write(&path, lines).expect("write");
    let xml_path = dir.path().join("long.xml");
    let report = json_of(&run(&[
        "validate",
        "--format",
        "json",
        "--jobs",
        "2",
        "--report",
        &format!("junit:{}", xml_path.display()),
        path.to_str().expect("utf8"),
    ]));
    let responses = report["responses"].as_array().expect("array");
    assert_eq!(responses.len(), 1500);
    for (i, r) in responses.iter().enumerate() {
        assert_eq!(r["source"], format!("{}:{}", path.display(), i + 1));
        assert_eq!(r["valid"], i % 7 != 0, "line {}", i + 1);
    }
    // The JUnit report spools its testcases in chunks; they come back whole and in order.
    let xml = std::fs::read_to_string(&xml_path).expect("junit written");
    junit_holds_every_line_in_order(&xml, &path, 1500);
    // Without a temporary directory the testcases are held in memory instead: same report.
    let output = bin()
        .env("TMPDIR", dir.path().join("missing"))
        .args([
            "validate",
            "--format",
            "junit",
            path.to_str().expect("utf8"),
        ])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("held in memory"));
    junit_holds_every_line_in_order(&String::from_utf8_lossy(&output.stdout), &path, 1500);
}

/// A JUnit report of the long corpus: one testcase per line, in order, every 7th failed.
fn junit_holds_every_line_in_order(xml: &str, path: &Path, lines: usize) {
    let doc = roxmltree::Document::parse(xml).expect("well-formed XML");
    let suite = doc
        .descendants()
        .find(|n| n.has_tag_name("testsuite"))
        .expect("a testsuite");
    assert_eq!(suite.attribute("tests"), Some(lines.to_string().as_str()));
    let failing = lines.div_ceil(7);
    assert_eq!(
        suite.attribute("failures"),
        Some(failing.to_string().as_str())
    );
    let cases: Vec<_> = suite
        .children()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    assert_eq!(cases.len(), lines);
    for (i, case) in cases.iter().enumerate() {
        let name = format!("{}:{}", path.display(), i + 1);
        assert_eq!(case.attribute("name"), Some(name.as_str()));
        let failed = case.children().any(|n| n.has_tag_name("failure"));
        assert_eq!(failed, i % 7 == 0, "line {}", i + 1);
    }
}

#[test]
fn junit_has_a_testcase_per_response_and_parses() {
    let dir = tempfile::tempdir().expect("tempdir");
    let xml_path = dir.path().join("report.xml");
    let json_path = dir.path().join("report.json");
    let output = run(&[
        "validate",
        "fixtures",
        "--report",
        xml_path.to_str().expect("utf8"),
        "--report",
        &format!("json:{}", json_path.display()),
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("checked"),
        "human output still goes to stdout"
    );
    let xml = std::fs::read_to_string(&xml_path).expect("junit written");
    let doc = roxmltree::Document::parse(&xml).expect("well-formed XML");
    let cases: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    assert_eq!(cases.len(), fixture_count("fixtures"));
    let failures = cases
        .iter()
        .filter(|c| c.children().any(|n| n.has_tag_name("failure")))
        .count();
    assert_eq!(
        failures,
        fixture_count("fixtures/invalid") + fixture_count("fixtures/upstream/invalid")
    );
    let extra = cases
        .iter()
        .find(|c| {
            c.attribute("name")
                .is_some_and(|n| n.ends_with("extra-keys.json"))
        })
        .expect("extra-keys case");
    let out = extra
        .children()
        .find(|n| n.has_tag_name("system-out"))
        .and_then(|n| n.text())
        .expect("warnings in system-out");
    assert!(out.contains("/request_id"), "{out}");
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(&json_path).expect("json written"))
            .expect("json");
    assert_eq!(report["summary"]["checked"], fixture_count("fixtures"));
}

#[test]
fn human_output_names_source_pointer_value_and_expectation_without_colour_when_piped() {
    let output = run(&["validate", "fixtures/invalid/result-url-relative.json"]);
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        text.contains("fixtures/invalid/result-url-relative.json"),
        "{text}"
    );
    assert!(text.contains("/results/0/url"), "{text}");
    assert!(text.contains("\"/v1/files/base.png\""), "{text}");
    assert!(text.contains("expected an absolute http(s) URL"), "{text}");
    assert!(!text.contains('\u{1b}'), "no colour when piped: {text:?}");
}

#[test]
fn json_lines_are_read_line_by_line_with_their_line_number() {
    let dir = tempfile::tempdir().expect("tempdir");
    let valid = std::fs::read_to_string("fixtures/valid/type/image.json").expect("fixture");
    let compact: Value = serde_json::from_str(&valid).expect("json");
    let lines = format!("{compact}\n\n{{\"id\": 1}}\n{compact}\n");
    let path = dir.path().join("corpus.jsonl");
    std::fs::write(&path, &lines).expect("write");
    let report = json_of(&run(&[
        "validate",
        "--format",
        "json",
        path.to_str().expect("utf8"),
    ]));
    let sources: Vec<String> = report["responses"]
        .as_array()
        .expect("array")
        .iter()
        .map(|r| r["source"].as_str().expect("source").to_string())
        .collect();
    assert_eq!(
        sources,
        [
            format!("{}:1", path.display()),
            format!("{}:3", path.display()),
            format!("{}:4", path.display())
        ]
    );
    assert_eq!(report["summary"]["invalid"], 1);

    let piped = run_stdin(&["validate", "--format", "json", "-"], lines.as_bytes());
    let report = json_of(&piped);
    assert_eq!(report["responses"][1]["source"], "-:3");
    let single = run_stdin(&["validate", "--format", "json"], valid.as_bytes());
    assert_eq!(json_of(&single)["responses"][0]["source"], "-");
    assert_eq!(single.status.code(), Some(0));
}

#[test]
fn include_and_exclude_globs_pick_files_in_directories() {
    let report = json_of(&run(&[
        "validate",
        "--format",
        "json",
        "--include",
        "**/missing-*.json",
        "fixtures",
    ]));
    assert_eq!(report["summary"]["checked"], 7);
    let report = json_of(&run(&[
        "validate",
        "--format",
        "json",
        "--exclude",
        "**/invalid/**",
        "fixtures",
    ]));
    assert_eq!(report["summary"]["invalid"], 0);
}

#[test]
fn bad_input_is_reported_by_file_and_the_run_goes_on() {
    let dir = tempfile::tempdir().expect("tempdir");
    let write = |name: &str, bytes: &[u8]| {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).expect("write");
        p
    };
    let mut deep = "[".repeat(5000);
    deep.push_str(&"]".repeat(5000));
    let files: Vec<PathBuf> = vec![
        write("a-empty.json", b""),
        write("b-truncated.json", br#"{"id":"task-1","obj"#),
        write("c-not-utf8.json", b"{\"id\":\"\xc3\x28\"}"),
        write("d-array.json", b"[{}]"),
        write("e-deep.json", deep.as_bytes()),
        write(
            "g-valid.json",
            &std::fs::read("fixtures/valid/type/video.json").expect("fixture"),
        ),
    ];
    let big = dir.path().join("f-huge.json");
    let file = std::fs::File::create(&big).expect("create");
    file.set_len(100 * 1024 * 1024).expect("100 MB");
    let output = run(&[
        "validate",
        "--format",
        "json",
        dir.path().to_str().expect("utf8"),
    ]);
    assert_eq!(output.status.code(), Some(1));
    let report = json_of(&output);
    let responses = report["responses"].as_array().expect("array");
    assert_eq!(
        responses.len(),
        files.len() + 1,
        "every file gets a verdict"
    );
    let message = |name: &str| -> String {
        let r = responses
            .iter()
            .find(|r| r["source"].as_str().is_some_and(|s| s.ends_with(name)))
            .unwrap_or_else(|| panic!("{name}"));
        assert!(r["source"].as_str().expect("source").contains(name));
        r["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    assert!(message("a-empty.json").contains("empty"));
    assert!(message("b-truncated.json").contains("EOF"));
    assert!(message("c-not-utf8.json").contains("UTF-8"));
    assert!(message("d-array.json").contains("found array"));
    assert!(message("e-deep.json").contains("nesting"));
    assert!(message("f-huge.json").contains("104857600"));
    assert_eq!(
        responses.last().expect("last")["valid"],
        true,
        "the run went on to the last file"
    );
}

#[test]
fn drift_folds_the_warnings_of_the_corpus() {
    let report = json_of(&run(&[
        "validate",
        "--format",
        "json",
        "--drift",
        "fixtures/valid",
    ]));
    let drift = report["drift"].as_array().expect("drift rows");
    let row = drift
        .iter()
        .find(|r| r["pointer"] == "/results/*/thumbnail_url")
        .expect("the undeclared thumbnail_url");
    assert_eq!(row["rule"], "undeclared_key");
    assert_eq!(row["model"], "lipsync-2");
    assert_eq!(row["count"], 1);
    assert!(row["example_source"]
        .as_str()
        .expect("source")
        .ends_with("extra-keys.json"));
    let status = drift
        .iter()
        .find(|r| r["pointer"] == "/status")
        .expect("cancelled");
    assert_eq!(status["value"], "\"cancelled\"");
    let human = String::from_utf8_lossy(&run(&["validate", "--drift", "fixtures/valid"]).stdout)
        .to_string();
    assert!(
        human.contains("drift:") && human.contains("/results/*/thumbnail_url"),
        "{human}"
    );
}

#[test]
fn coverage_lists_what_the_corpus_exercised_and_can_be_required() {
    let output = run(&[
        "validate",
        "--require-coverage",
        "--format",
        "json",
        "fixtures/valid",
    ]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "the shipped fixtures cover the registry"
    );
    let coverage = &json_of(&output)["coverage"];
    assert_eq!(coverage["missing_models"], serde_json::json!([]));
    assert_eq!(coverage["missing_shapes"], serde_json::json!([]));
    let partial = run(&["validate", "--require-coverage", "fixtures/valid/type"]);
    assert_eq!(partial.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&partial.stderr).contains("scribe-v2"));
}

#[test]
fn the_schema_command_prints_the_contract() {
    let printed: Value = serde_json::from_slice(&run(&["schema"]).stdout).expect("JSON");
    let contract: Value = serde_json::from_str(foxapi_contract::CONTRACT_SCHEMA).expect("JSON");
    assert_eq!(printed, contract);
    let strict: Value = serde_json::from_slice(&run(&["schema", "--strict"]).stdout).expect("JSON");
    assert_ne!(strict, contract);
}
