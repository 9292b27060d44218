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

/// Runs `validate --format json ARGS`: the exit code, and the JSON report it printed.
fn validate_json(args: &[&str]) -> (Option<i32>, Value) {
    let output = run(&[&["validate", "--format", "json"], args].concat());
    (output.status.code(), json_of(&output))
}

/// Runs `validate --format json ARGS` on `input` given on stdin: the exit code, and the JSON
/// report it printed.
fn validate_json_stdin(args: &[&str], input: &[u8]) -> (Option<i32>, Value) {
    let output = run_stdin(&[&["validate", "--format", "json"], args].concat(), input);
    (output.status.code(), json_of(&output))
}

/// The response of a JSON report whose source ends with `name`, if the report has one.
fn response<'a>(report: &'a Value, name: &str) -> Option<&'a Value> {
    report["responses"]
        .as_array()
        .expect("responses")
        .iter()
        .find(|r| r["source"].as_str().is_some_and(|s| s.ends_with(name)))
}

/// The source of each response of a JSON report, in the report's order.
fn sources(report: &Value) -> Vec<&str> {
    report["responses"]
        .as_array()
        .expect("responses")
        .iter()
        .map(|r| r["source"].as_str().expect("source"))
        .collect()
}

/// The JSON report written to `path`.
fn json_file(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).expect("report written")).expect("json report")
}

/// A corpus directory made below `dir`, holding one valid response, `a.json`.
fn corpus_of_one(dir: &Path) -> PathBuf {
    let corpus = dir.join("corpus");
    std::fs::create_dir(&corpus).expect("mkdir");
    std::fs::write(
        corpus.join("a.json"),
        std::fs::read("fixtures/valid/type/video.json").expect("fixture"),
    )
    .expect("write");
    corpus
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
                    usize::from(
                        p.extension().is_some_and(|e| e == "json")
                            && !p.ends_with(foxapi_contract::harness::expect::MANIFEST),
                    )
                }
            })
            .sum()
    }
    walk(&Path::new(env!("CARGO_MANIFEST_DIR")).join(dir))
}

#[test]
fn exit_0_when_every_response_is_valid_1_when_any_is_not_2_on_usage() {
    assert_eq!(run(&["validate", "fixtures/valid"]).status.code(), Some(0));
    // Everything shipped: fixtures/invalid/ breaks the contract as its manifest expects.
    assert_eq!(run(&["validate", "fixtures"]).status.code(), Some(0));
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::copy(
        "fixtures/invalid/missing-id.json",
        dir.path().join("missing-id.json"),
    )
    .expect("copy");
    let broken = run(&["validate", dir.path().to_str().expect("UTF-8")]);
    assert_eq!(
        broken.status.code(),
        Some(1),
        "an invalid response no manifest expects"
    );
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
    let (code, report) = validate_json(&["--strict", "fixtures/valid/quirk/extra-keys.json"]);
    assert_eq!(code, Some(1));
    assert_eq!(
        report["responses"][0]["errors"][0]["rule"],
        "undeclared_key"
    );
}

#[test]
fn the_json_report_has_its_shape_and_keeps_its_own_schema() {
    let (_, report) = validate_json(&["fixtures"]);
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
    let (_, one) = validate_json(&["--jobs", "1", "fixtures"]);
    let (_, two) = validate_json(&["--jobs", "2", "fixtures"]);
    assert_eq!(one, two);
    let sources = sources(&one);
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
    let (_, report) = validate_json(&[
        "--jobs",
        "2",
        "--report",
        &format!("junit:{}", xml_path.display()),
        path.to_str().expect("utf8"),
    ]);
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
    assert_eq!(output.status.code(), Some(0));
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
    // The negative fixtures break the contract as their manifests expect: no failures.
    assert_eq!(failures, 0);
    let expected_invalid = doc
        .descendants()
        .find(|n| n.has_tag_name("property") && n.attribute("name") == Some("expected_invalid"))
        .and_then(|n| n.attribute("value"))
        .expect("the expected_invalid property");
    assert_eq!(
        expected_invalid,
        (fixture_count("fixtures/invalid") + fixture_count("fixtures/upstream/invalid"))
            .to_string()
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
    let report = json_file(&json_path);
    assert_eq!(report["summary"]["checked"], fixture_count("fixtures"));
}

#[test]
fn human_output_names_source_pointer_value_and_expectation_without_colour_when_piped() {
    let output = run(&[
        "validate",
        "--verbose",
        "fixtures/invalid/result-url-relative.json",
    ]);
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
    let (_, report) = validate_json(&[path.to_str().expect("utf8")]);
    assert_eq!(
        sources(&report),
        [
            format!("{}:1", path.display()),
            format!("{}:3", path.display()),
            format!("{}:4", path.display())
        ]
    );
    assert_eq!(report["summary"]["invalid"], 1);

    let (_, report) = validate_json_stdin(&["-"], lines.as_bytes());
    assert_eq!(report["responses"][1]["source"], "-:3");
    let (code, single) = validate_json_stdin(&[], valid.as_bytes());
    assert_eq!(single["responses"][0]["source"], "-");
    assert_eq!(code, Some(0));
}

#[test]
fn include_and_exclude_globs_pick_files_in_directories() {
    let (_, report) = validate_json(&["--include", "**/missing-*.json", "fixtures"]);
    assert_eq!(report["summary"]["checked"], 7);
    let (_, report) = validate_json(&["--exclude", "**/invalid/**", "fixtures"]);
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
    let (code, report) = validate_json(&[dir.path().to_str().expect("utf8")]);
    assert_eq!(code, Some(1));
    let responses = report["responses"].as_array().expect("array");
    assert_eq!(
        responses.len(),
        files.len() + 1,
        "every file gets a verdict"
    );
    let message = |name: &str| -> String {
        let r = response(&report, name).unwrap_or_else(|| panic!("{name}"));
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
    let (_, report) = validate_json(&["--drift", "fixtures/valid"]);
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
    let (code, report) = validate_json(&["--require-coverage", "fixtures/valid"]);
    assert_eq!(code, Some(0), "the shipped fixtures cover the registry");
    let coverage = &report["coverage"];
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

// Regression tests of issue 10 (hostile input), named after its findings.

/// A valid envelope of `lipsync-2` around `results` and with `status`.
fn envelope(status: &str, results: &str) -> String {
    format!(
        r#"{{"id":"task-unified-1757165031-uyujaw3d","object":"video.generation.task","type":"video","model":"lipsync-2","status":{status},"progress":100,"created":1757165031,"results":{results},"error":null}}"#
    )
}

/// Every file below `dir` read as (lossy) text, concatenated.
fn all_text_of(paths: &[&Path]) -> String {
    paths
        .iter()
        .map(|p| String::from_utf8_lossy(&std::fs::read(p).expect("report written")).into_owned())
        .collect()
}

#[test]
fn finding_2a_signed_url_secrets_never_reach_any_report_unless_shown() {
    let dir = tempfile::tempdir().expect("tempdir");
    let corpus = dir.path().join("corpus");
    std::fs::create_dir(&corpus).expect("mkdir");
    // Valid, with a signed result URL and a signed preview under an undeclared key.
    let valid = envelope(
        r#""completed""#,
        r#"[{"url":"https://cdn.example.com/v.mp4?X-Amz-Signature=SIGVALID1&X-Amz-Credential=CREDVALID1","preview":"https://cdn.example.com/p.jpg?token=TOKVALID1"}]"#,
    );
    // Invalid: a signed URL where a status goes, a key that is a signed URL, and a result
    // whose sibling key holds one.
    let invalid = envelope(
        r#""https://x.example.com/s?sig=SIGSTATUS1""#,
        r#"[{"url":7,"https://k.example.com/a?Signature=SIGKEY1":"https://k.example.com/b?X-Amz-Credential=CREDINVALID1"}]"#,
    );
    std::fs::write(corpus.join("valid.json"), &valid).expect("write");
    std::fs::write(corpus.join("invalid.json"), &invalid).expect("write");
    std::fs::write(corpus.join("both.jsonl"), format!("{valid}\n{invalid}\n")).expect("write");
    let secrets = [
        "SIGVALID1",
        "CREDVALID1",
        "TOKVALID1",
        "SIGSTATUS1",
        "SIGKEY1",
        "CREDINVALID1",
    ];
    let corpus_arg = corpus.to_str().expect("utf8");
    let reports = |tag: &str| -> Vec<PathBuf> {
        ["txt", "json", "xml"]
            .iter()
            .map(|ext| dir.path().join(format!("{tag}.{ext}")))
            .collect()
    };
    let run_all = |tag: &str, extra: &[&str]| -> String {
        let files = reports(tag);
        let mut seen = String::new();
        for format in ["human", "json", "junit"] {
            let mut args = vec![
                "validate",
                "--drift",
                "--coverage",
                "--verbose",
                "--format",
                format,
                corpus_arg,
            ];
            args.extend_from_slice(extra);
            let flags: Vec<String> = files
                .iter()
                .map(|f| format!("--report={}", f.display()))
                .collect();
            args.extend(flags.iter().map(String::as_str));
            let output = run(&args);
            assert_eq!(
                output.status.code(),
                Some(1),
                "{format} {extra:?}: {}",
                String::from_utf8_lossy(&output.stderr)
            );
            seen.push_str(&String::from_utf8_lossy(&output.stdout));
            seen.push_str(&String::from_utf8_lossy(&output.stderr));
            let paths: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
            seen.push_str(&all_text_of(&paths));
        }
        seen
    };
    let masked = run_all("masked", &[]);
    for secret in secrets {
        assert!(!masked.contains(secret), "{secret} leaked:\n{masked}");
    }
    assert!(masked.contains("REDACTED"), "{masked}");
    // Still readable: the masked URLs keep their host and path.
    assert!(
        masked.contains("https://x.example.com/s?sig=REDACTED"),
        "{masked}"
    );
    let shown = run_all("shown", &["--show-secrets"]);
    for secret in ["TOKVALID1", "SIGSTATUS1", "SIGKEY1", "CREDINVALID1"] {
        assert!(
            shown.contains(secret),
            "{secret} not shown with --show-secrets"
        );
    }
}

#[test]
fn finding_6_max_bytes_at_the_largest_number_still_reads_everything() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = envelope(r#""completed""#, r#"[{"url":"not a url"}]"#);
    let lines = dir.path().join("r.jsonl");
    std::fs::write(&lines, format!("{bad}\n{bad}\n")).expect("write");
    let document = dir.path().join("r.json");
    std::fs::write(&document, &bad).expect("write");
    let max = u64::MAX.to_string();
    for input in [&lines, &document] {
        let (code, report) = validate_json(&["--max-bytes", &max, input.to_str().expect("utf8")]);
        assert_eq!(code, Some(1), "{}", input.display());
        assert!(report["summary"]["invalid"].as_u64() >= Some(1), "{report}");
        assert_eq!(report["summary"]["valid"], 0, "{report}");
    }
    let from_stdin = run_stdin(&["validate", "--max-bytes", &max], bad.as_bytes());
    assert_eq!(from_stdin.status.code(), Some(1));
}

/// A directory below `root` whose path is longer than PATH_MAX (4096 bytes on Linux), holding
/// one invalid response: listing it fails with "File name too long" even for root, who reads
/// through every permission. The tree is built from the bottom up by renames, whose paths
/// stay short.
#[cfg(target_os = "linux")]
fn unlistable_tree(root: &Path) -> PathBuf {
    let name = "d".repeat(200);
    let chain = root.join("chain");
    std::fs::create_dir(&chain).expect("mkdir");
    std::fs::write(chain.join("deepest.json"), b"[]").expect("write");
    let wrap = root.join("wrap");
    for _ in 0..25 {
        std::fs::create_dir(&wrap).expect("mkdir");
        std::fs::rename(&chain, wrap.join(&name)).expect("rename");
        std::fs::rename(&wrap, &chain).expect("rename");
    }
    // The first directory whose full path no longer fits.
    let mut path = chain;
    while path.as_os_str().len() < 4096 {
        path.push(&name);
    }
    assert!(
        std::fs::read_dir(&path).is_err(),
        "root cannot list it either"
    );
    path
}

#[cfg(target_os = "linux")]
#[test]
fn finding_6_an_unreadable_directory_or_file_is_an_error_entry_in_every_report() {
    let dir = tempfile::tempdir().expect("tempdir");
    let corpus = corpus_of_one(dir.path());
    let unlisted = unlistable_tree(&corpus);
    // A socket named like a response: opening it fails (for root too); it is not skipped.
    let _socket = std::os::unix::net::UnixListener::bind(corpus.join("s.json")).expect("bind");
    let xml = dir.path().join("r.xml");
    let json = dir.path().join("r.json");
    let output = run(&[
        "validate",
        corpus.to_str().expect("utf8"),
        "--report",
        xml.to_str().expect("utf8"),
        "--report",
        json.to_str().expect("utf8"),
    ]);
    assert_eq!(output.status.code(), Some(2), "an I/O error is never green");
    let human = String::from_utf8_lossy(&output.stdout);
    assert!(human.contains("cannot list this directory"), "{human}");
    assert!(human.contains("found a socket"), "{human}");
    let report = json_file(&json);
    let sources = sources(&report);
    assert!(sources.iter().any(|s| s.ends_with("a.json")), "{sources:?}");
    let entry = report["responses"]
        .as_array()
        .expect("responses")
        .iter()
        .find(|r| r["source"] == unlisted.to_str().expect("utf8"))
        .unwrap_or_else(|| panic!("an entry for the unlisted directory in {sources:?}"));
    assert_eq!(entry["valid"], false);
    let xml = std::fs::read_to_string(&xml).expect("junit");
    let doc = roxmltree::Document::parse(&xml).expect("well-formed XML");
    let failed: Vec<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .filter(|c| c.children().any(|n| n.has_tag_name("failure")))
        .filter_map(|c| c.attribute("name"))
        .collect();
    assert_eq!(failed.len(), 2, "{failed:?}");
    assert!(failed.iter().any(|n| n.ends_with("s.json")), "{failed:?}");
}

#[test]
fn finding_7a_a_report_that_is_also_an_input_is_refused_before_anything_is_touched() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("a.json");
    let bytes = std::fs::read("fixtures/valid/type/video.json").expect("fixture");
    std::fs::write(&input, &bytes).expect("write");
    let lines = dir.path().join("a.jsonl");
    std::fs::write(&lines, b"{}\n").expect("write");
    let linked = dir.path().join("hard.json");
    std::fs::hard_link(&input, &linked).expect("hard link");
    let input_arg = input.to_str().expect("utf8");
    let other_spelling = format!("{}/./a.json", dir.path().display());
    for (inputs, report) in [
        (vec![input_arg], format!("json:{input_arg}")),
        (vec![input_arg], format!("junit:{other_spelling}")),
        (vec![input_arg], linked.display().to_string()),
        (
            vec!["fixtures/valid", lines.to_str().expect("utf8")],
            format!("txt:{}", lines.display()),
        ),
    ] {
        let mut args = vec!["validate", "--format", "json"];
        args.extend(&inputs);
        args.push("--report");
        args.push(&report);
        let output = run(&args);
        assert_eq!(output.status.code(), Some(2), "{report}");
        assert!(output.stdout.is_empty(), "{report}: nothing on stdout");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("--report") && stderr.contains("input"),
            "{stderr}"
        );
    }
    assert_eq!(
        std::fs::read(&input).expect("read"),
        bytes,
        "the input is untouched"
    );
    assert_eq!(std::fs::read(&lines).expect("read"), b"{}\n");
}

#[test]
fn finding_7b_a_report_written_inside_the_corpus_is_never_validated() {
    let dir = tempfile::tempdir().expect("tempdir");
    let corpus = corpus_of_one(dir.path());
    let corpus_arg = corpus.to_str().expect("utf8");
    let report = corpus.join("r.json");
    let xml = corpus.join("sub").join("r.xml");
    std::fs::create_dir(corpus.join("sub")).expect("mkdir");
    for round in 0..2 {
        let output = run(&[
            "validate",
            corpus_arg,
            "--report",
            report.to_str().expect("utf8"),
            "--report",
            &format!("{corpus_arg}/./sub/../sub/r.xml"),
        ]);
        assert_eq!(
            output.status.code(),
            Some(0),
            "round {round}: {}",
            String::from_utf8_lossy(&output.stdout)
        );
        let json = json_file(&report);
        assert_eq!(json["summary"]["checked"], 1, "round {round}: {json}");
        assert!(xml.exists());
    }
    let mut names: Vec<String> = std::fs::read_dir(&corpus)
        .expect("list")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["a.json", "r.json", "sub"],
        "no temporary file is left"
    );
}

#[cfg(unix)]
#[test]
fn finding_8_junit_stays_well_formed_and_no_report_prints_raw_control_characters() {
    let dir = tempfile::tempdir().expect("tempdir");
    // A model with XML-illegal noncharacters and terminal escapes; a key with NUL; a file
    // name with ESC and U+FFFE.
    let hostile = envelope(
        r#""completed""#,
        r#"[{"url":"https://cdn.example.com/v.mp4","\u0000k\u001b[2J":1}]"#,
    )
    .replace(
        r#""model":"lipsync-2""#,
        r#""model":"m\ufffe\uffff\u001b]0;owned\u0007\u0000""#,
    );
    let name = dir.path().join("bad\u{1b}[31m\u{fffe}.json");
    std::fs::write(&name, &hostile).expect("write");
    let invalid = dir.path().join("z\u{1b}.json");
    std::fs::write(
        &invalid,
        hostile.replace(r#""progress":100"#, r#""progress":"\u001b[5m""#),
    )
    .expect("write");
    let xml = dir.path().join("report.xml");
    let dir_arg = dir.path().to_str().expect("utf8");
    let output = run(&[
        "validate",
        "--drift",
        "--coverage",
        dir_arg,
        "--report",
        xml.to_str().expect("utf8"),
    ]);
    assert_eq!(output.status.code(), Some(1));
    for (what, bytes) in [("stdout", &output.stdout), ("stderr", &output.stderr)] {
        assert!(
            !bytes.iter().any(|&b| b == 0x1b || b == 0 || b == 0x07),
            "{what} carries a raw control character: {}",
            String::from_utf8_lossy(bytes)
        );
    }
    let human = String::from_utf8_lossy(&output.stdout);
    assert!(human.contains("\\u{1b}"), "escapes shown, visibly: {human}");
    let text = std::fs::read_to_string(&xml).expect("junit written");
    let doc = roxmltree::Document::parse(&text).expect("well-formed XML");
    assert_eq!(
        doc.descendants()
            .filter(|n| n.has_tag_name("testcase"))
            .count(),
        2
    );
    assert!(
        !text.contains('\u{fffe}') && !text.contains('\u{1b}'),
        "{text}"
    );
    let junit = run(&["validate", "--format", "junit", dir_arg]);
    roxmltree::Document::parse(&String::from_utf8_lossy(&junit.stdout))
        .expect("well-formed XML on stdout");
}

#[test]
fn finding_8_stdout_json_is_a_whole_document_or_nothing_when_a_report_cannot_be_created() {
    let dir = tempfile::tempdir().expect("tempdir");
    let nowhere = dir.path().join("no-such-dir").join("r.json");
    let output = run(&[
        "validate",
        "--format",
        "json",
        "fixtures/valid",
        "--report",
        nowhere.to_str().expect("utf8"),
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        output.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    assert!(String::from_utf8_lossy(&output.stderr).contains("cannot create the report"));
}

#[test]
fn finding_9_jobs_is_bounded_with_a_usage_error_naming_the_range() {
    for jobs in ["100000", "0"] {
        let output = run(&["validate", "--jobs", jobs, "fixtures/valid"]);
        assert_eq!(output.status.code(), Some(2), "--jobs {jobs}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("1..=256"), "{stderr}");
    }
    assert_eq!(
        run(&["validate", "--jobs", "256", "fixtures/valid"])
            .status
            .code(),
        Some(0)
    );
}

#[test]
fn finding_9_a_number_out_of_range_is_reported_as_itself_not_as_not_json() {
    let body = envelope(
        r#""completed""#,
        r#"[{"url":"https://cdn.example.com/v.mp4","duration":1e400}]"#,
    );
    let (code, report) = validate_json_stdin(&[], body.as_bytes());
    assert_eq!(code, Some(1));
    let message = report["responses"][0]["errors"][0]["message"]
        .as_str()
        .expect("message");
    assert!(
        message.contains("found 1e400 at line 1 column"),
        "{message}"
    );
    assert!(message.contains("64-bit float"), "{message}");
    assert!(!message.contains("expected a JSON document"), "{message}");
}

#[test]
fn finding_3_errors_past_max_issues_are_counted_in_every_report() {
    let dir = tempfile::tempdir().expect("tempdir");
    let items: Vec<Value> = (0..300)
        .map(|i| serde_json::json!({ "url": format!("ftp://cdn.example.com/{i}.png?sig=S3CRET{i}") }))
        .collect();
    let task = serde_json::json!({
        "id": "task-unified-1757165031-many0000", "object": "image.generation.task",
        "type": "image", "model": "flux-1.1-pro", "status": "completed", "progress": 100,
        "created": 1757165031, "results": items
    });
    let path = dir.path().join("many.json");
    std::fs::write(&path, task.to_string()).expect("write");
    let path = path.to_str().expect("UTF-8 path");

    let json = run(&["validate", "--max-issues", "5", "--format", "json", path]);
    assert_eq!(json.status.code(), Some(1));
    let report = json_of(&json);
    let response = &report["responses"][0];
    assert_eq!(response["errors"].as_array().map(Vec::len), Some(5));
    assert_eq!(response["omitted_errors"], 295);
    assert_eq!(response["errors"][0]["severity"], "error");
    assert_eq!(response["errors"][0]["rule"], "schema");

    let human = run(&["validate", "--max-issues", "5", path]);
    let text = String::from_utf8_lossy(&human.stdout);
    assert!(
        text.contains("... and 295 more errors (--max-issues)"),
        "{text}"
    );

    let junit = run(&["validate", "--max-issues", "5", "--format", "junit", path]);
    let xml = String::from_utf8_lossy(&junit.stdout);
    assert!(xml.contains("... and 295 more (--max-issues)"), "{xml}");
    assert!(xml.contains(r#"type="schema""#), "{xml}");
    for output in [&json, &human, &junit] {
        let all = String::from_utf8_lossy(&output.stdout);
        assert!(
            !all.contains("S3CRET"),
            "a signature reached a report: {all}"
        );
    }
}

#[test]
fn a_json_lines_file_without_a_response_reads_no_manifest() {
    // A manifest is read for the responses it may govern: an empty JSON Lines file has none,
    // so a broken manifest beside it is never read and not reported.
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("empty.jsonl"), "\n\n").expect("write");
    std::fs::write(dir.path().join("foxapi-expect.json"), "{not json").expect("manifest");
    let (code, report) = validate_json(&[dir.path().to_str().expect("UTF-8")]);
    assert_eq!(code, Some(0), "{report:#}");
    assert_eq!(report["responses"], serde_json::json!([]));
    // With a response beside it, the same manifest is read and found broken.
    std::fs::copy(
        "fixtures/valid/type/image.json",
        dir.path().join("one.json"),
    )
    .expect("copy");
    let (code, report) = validate_json(&[dir.path().to_str().expect("UTF-8")]);
    assert_eq!(code, Some(1));
    assert!(
        response(&report, "foxapi-expect.json").is_some(),
        "{report:#}"
    );
}

#[test]
fn negative_fixtures_pass_only_when_invalid_for_the_rule_their_manifest_states() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = dir.path().join("bad");
    std::fs::create_dir(&bad).expect("dir");
    let copy = |from: &str, to: &str| std::fs::copy(from, bad.join(to)).expect("copy");
    copy("fixtures/invalid/missing-id.json", "as-stated.json");
    copy("fixtures/invalid/truncated.json", "other-rule.json");
    copy("fixtures/valid/type/image.json", "valid-here.json");
    copy("fixtures/invalid/created-negative.json", "unlisted.json");
    std::fs::write(
        bad.join("foxapi-expect.json"),
        r#"{"expect": "invalid", "responses": {
             "as-stated.json": {"rule": "schema", "pointer": "", "message": "key \"id\""},
             "other-rule.json": {"rule": "schema"},
             "valid-here.json": {},
             "gone.json": {"rule": "schema"}}}"#,
    )
    .expect("manifest");
    let (code, report) = validate_json(&[dir.path().to_str().expect("UTF-8")]);
    assert_eq!(code, Some(1));
    let by_name =
        |name: &str| response(&report, name).unwrap_or_else(|| panic!("{name} in {report:#}"));
    assert!(by_name("as-stated.json").get("unexpected").is_none());
    assert_eq!(
        by_name("as-stated.json")["expected_invalid"]["rule"],
        "schema"
    );
    assert!(
        by_name("unlisted.json").get("unexpected").is_none(),
        "any rule will do"
    );
    let other = by_name("other-rule.json")["unexpected"].as_str();
    assert!(
        other.is_some_and(|m| m.contains("of rule schema") && m.contains("found not_json")),
        "{other:?}"
    );
    let valid = by_name("valid-here.json")["unexpected"].as_str();
    assert!(
        valid.is_some_and(|m| m.contains("found a valid one")),
        "{valid:?}"
    );
    let gone = by_name("gone.json");
    assert_eq!(gone["errors"][0]["rule"], "unreadable");
    assert_eq!(report["summary"]["failed"], 3);
    assert_eq!(report["summary"]["expected_invalid"], 2);

    std::fs::write(bad.join("foxapi-expect.json"), "{\"expect\": \"maybe\"}").expect("manifest");
    let broken = run(&["validate", dir.path().to_str().expect("UTF-8")]);
    assert_eq!(broken.status.code(), Some(1));
    let text = String::from_utf8_lossy(&broken.stdout);
    assert!(
        text.contains("foxapi-expect.json") && text.contains("line 1"),
        "{text}"
    );
}

#[test]
fn a_report_is_written_through_a_link_and_into_a_fifo_never_replacing_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    let real = dir.path().join("real.xml");
    let link = dir.path().join("link.xml");
    std::os::unix::fs::symlink(&real, &link).expect("symlink");
    let fifo = dir.path().join("pipe.json");
    let made = Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo runs");
    assert!(made.success());
    // A reader on the FIFO, as a CI step piping a report elsewhere would be. It answers
    // through a channel: were the FIFO replaced, its open would never return, and the test
    // fails at the timeout below rather than hanging.
    let (piped_tx, piped_rx) = std::sync::mpsc::channel();
    {
        let fifo = fifo.clone();
        std::thread::spawn(move || {
            let _ = piped_tx.send(std::fs::read_to_string(fifo).expect("read the FIFO"));
        });
    }
    let output = run(&[
        "validate",
        "fixtures/valid/type/image.json",
        "--report",
        &format!("junit:{}", link.display()),
        "--report",
        &format!("json:{}", fifo.display()),
    ]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let piped = piped_rx
        .recv_timeout(std::time::Duration::from_secs(60))
        .expect("the report came through the FIFO");
    let report: Value = serde_json::from_str(&piped).expect("a whole JSON report through the FIFO");
    assert_eq!(report["summary"]["checked"], 1);
    let meta = std::fs::symlink_metadata(&fifo).expect("still there");
    assert!(
        std::os::unix::fs::FileTypeExt::is_fifo(&meta.file_type()),
        "the FIFO was replaced"
    );
    assert!(
        std::fs::symlink_metadata(&link)
            .expect("link")
            .file_type()
            .is_symlink(),
        "the link was replaced"
    );
    let xml = std::fs::read_to_string(&real).expect("the report is where the link points");
    roxmltree::Document::parse(&xml).expect("well-formed XML");
}
