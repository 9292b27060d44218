//! The OpenAPI 3.1 description (issue 13): generated from the contract, kept in review by
//! snapshots, carrying the contract's verdicts, and refusing a schema OpenAPI cannot carry
//! with the file and pointer.

use foxapi_contract::openapi::{self, check_dir, check_schema, document};
use foxapi_contract::Contract;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Every `$ref` of the document, with where it stands.
fn refs(value: &Value, pointer: String, out: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                let here = format!("{pointer}/{}", key.replace('~', "~0").replace('/', "~1"));
                if key == "$ref" {
                    if let Some(target) = v.as_str() {
                        out.push((here.clone(), target.to_string()));
                    }
                }
                if !matches!(key.as_str(), "examples" | "example" | "enum" | "const") {
                    refs(v, here, out);
                }
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                refs(v, format!("{pointer}/{i}"), out);
            }
        }
        _ => {}
    }
}

fn fixtures(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            fixtures(&path, out);
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
}

#[test]
fn openapi_document_snapshot() {
    let text = serde_json::to_string_pretty(&document(false)).expect("JSON");
    insta::assert_snapshot!("openapi.json", text);
}

#[test]
fn openapi_strict_document_snapshot() {
    let text = serde_json::to_string_pretty(&document(true)).expect("JSON");
    insta::assert_snapshot!("openapi.strict.json", text);
}

#[test]
fn the_shipped_schemas_are_expressible_in_openapi() {
    assert_eq!(check_dir(&root().join("schema")), Ok(()));
    assert_eq!(openapi::check(false), Ok(()));
    assert_eq!(openapi::check(true), Ok(()));
}

#[test]
fn every_reference_names_a_component_that_exists() {
    for strict in [false, true] {
        let doc = document(strict);
        let mut found = Vec::new();
        refs(&doc, String::new(), &mut found);
        assert!(
            found.len() > 100,
            "expected the schemas' references, found {}",
            found.len()
        );
        for (at, target) in found {
            let pointer = target
                .strip_prefix('#')
                .unwrap_or_else(|| panic!("{at}: expected a local reference, found {target}"));
            assert!(
                pointer.starts_with("/components/"),
                "{at}: expected a reference into components, found {target}"
            );
            assert!(
                doc.pointer(pointer).is_some(),
                "{at}: {target} names nothing (strict: {strict})"
            );
        }
    }
}

#[test]
fn the_task_route_answers_every_section_4_status_with_the_error_body_and_retry_after_on_429() {
    let doc = document(false);
    let get = &doc["paths"]["/v1/tasks/{task_id}"]["get"];
    let parameters: Vec<&str> = get["parameters"]
        .as_array()
        .expect("parameters")
        .iter()
        .map(|p| p["$ref"].as_str().expect("a reference"))
        .collect();
    assert_eq!(
        parameters,
        [
            "#/components/parameters/TaskId",
            "#/components/parameters/SyncUpstream"
        ]
    );
    assert_eq!(
        doc["components"]["parameters"]["SyncUpstream"]["in"],
        "query"
    );
    assert_eq!(
        doc["components"]["parameters"]["SyncUpstream"]["schema"]["type"],
        "boolean"
    );
    assert_eq!(doc["security"], json!([{ "bearer": [] }]));
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"],
        json!({ "type": "http", "scheme": "bearer", "description": "`Authorization: Bearer <API key>` on every request." })
    );
    for route in [
        "/v1/tasks/{task_id}",
        "/v1/images/generations",
        "/v1/videos/generations",
        "/v1/audios/generations",
        "/v1/llm/generations",
    ] {
        let operation = doc["paths"][route]
            .as_object()
            .and_then(|methods| methods.values().next())
            .unwrap_or_else(|| panic!("expected an operation at {route}"));
        for status in ["400", "401", "402", "404", "422", "429", "500", "503"] {
            let reference = operation["responses"][status]["$ref"]
                .as_str()
                .unwrap_or_else(|| panic!("{route}: expected a {status} answer"));
            let answer = doc
                .pointer(reference.trim_start_matches('#'))
                .expect("resolves");
            assert_eq!(
                answer["content"]["application/json"]["schema"]["$ref"],
                "#/components/schemas/ErrorBody",
                "{route} {status}"
            );
            assert_eq!(
                answer["headers"].get("Retry-After").is_some(),
                status == "429",
                "{route} {status}: Retry-After belongs to 429"
            );
        }
        assert_eq!(
            operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/TaskEnvelope"
        );
    }
}

#[test]
fn the_envelope_keeps_the_contracts_dispatch_rules_and_states_the_depth_limit() {
    for (strict, source) in [
        (false, foxapi_contract::CONTRACT_SCHEMA),
        (true, foxapi_contract::STRICT_SCHEMA),
    ] {
        let contract: Value = serde_json::from_str(source).expect("JSON");
        let rules = contract["allOf"].as_array().expect("rules");
        let envelope = &document(strict)["components"]["schemas"]["TaskEnvelope"];
        let kept = envelope["allOf"].as_array().expect("rules");
        // The Task, then all the rules but the nesting chain, in order, references moved to
        // components.
        assert_eq!(kept[0], json!({ "$ref": "#/components/schemas/Task" }));
        assert_eq!(kept.len(), rules.len());
        for (ours, theirs) in kept[1..].iter().zip(rules) {
            let moved = serde_json::to_string(theirs)
                .expect("JSON")
                .replace("#/$defs/", "#/components/schemas/");
            assert_eq!(serde_json::to_string(ours).expect("JSON"), moved);
        }
        assert_eq!(envelope["x-max-depth"], 128);
        assert!(!serde_json::to_string(&document(strict))
            .expect("JSON")
            .contains("NestedAtMost"));
        let registry = &envelope["x-foxapi-registry"];
        for entry in foxapi_contract::model::models() {
            assert_eq!(registry["by_model"][entry.key]["type"], entry.output_type);
        }
    }
}

/// The document's envelope, as a schema any validator can compile: the components travel
/// along, so `#/components/schemas/X` resolves inside it.
fn envelope_validator(strict: bool) -> jsonschema::Validator {
    let doc = document(strict);
    let schema = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$ref": "#/components/schemas/TaskEnvelope",
        "components": doc["components"],
    });
    jsonschema::draft202012::options()
        .build(&schema)
        .expect("the envelope compiles")
}

#[test]
fn the_documents_envelope_reaches_the_contracts_verdict_on_every_fixture() {
    let mut files = Vec::new();
    fixtures(&root().join("fixtures"), &mut files);
    files.sort();
    assert!(
        files.len() > 100,
        "expected the fixtures, found {}",
        files.len()
    );
    for strict in [false, true] {
        let validator = envelope_validator(strict);
        let mut compared = 0;
        for file in &files {
            let bytes = std::fs::read(file).expect("readable");
            let Ok(value) = serde_json::from_slice::<Value>(&bytes) else {
                continue; // not JSON: no schema sees it
            };
            if file.ends_with("too-deep.json") {
                continue; // the nesting limit is `x-max-depth` in the document
            }
            let report = Contract::global().validate_value(&value);
            let report = if strict { report.into_strict() } else { report };
            assert_eq!(
                validator.is_valid(&value),
                report.is_valid(),
                "{} (strict: {strict}): the document and the contract disagree",
                file.display()
            );
            compared += 1;
        }
        assert!(compared > 100);
    }
}

#[test]
fn the_named_examples_keep_the_contract_strict_included() {
    let doc = document(true);
    let examples = doc["paths"]["/v1/tasks/{task_id}"]["get"]["responses"]["200"]["content"]
        ["application/json"]["examples"]
        .as_object()
        .expect("examples");
    // The pending and failed tasks, and a completed one per registry entry.
    let entries =
        foxapi_contract::model::models().len() + foxapi_contract::model::output_types().len();
    assert_eq!(examples.len(), 2 + entries);
    for (name, example) in examples {
        let report = Contract::global()
            .validate_value(&example["value"])
            .into_strict();
        assert!(report.is_valid(), "example {name}: {report}");
    }
}

fn write(dir: &Path, name: &str, value: &Value) -> PathBuf {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
    std::fs::write(&path, serde_json::to_string_pretty(value).expect("JSON")).expect("write");
    path
}

#[test]
fn a_schema_change_openapi_cannot_carry_fails_naming_the_schema_file_and_pointer() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "task.schema.json",
        &json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": "https://schemas.foxapi-contract.dev/task.schema.json",
            "title": "Task",
            "type": "object",
            "properties": {
                "usage": { "$ref": "#/$defs/Task Usage" },
                "stream": { "$id": "https://elsewhere.example/stream", "type": "object" },
                "error": { "$ref": "#/properties/usage" },
                "enum": { "description": "a property may be called enum", "$dynamicRef": "#meta" }
            },
            "$defs": {
                "Task Usage": { "type": "object" },
                "TaskEnvelope": { "type": "object" }
            }
        }),
    );
    let results = dir.path().join("results");
    write(
        &results,
        "voice.schema.json",
        &json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": "Voice/Result",
            "type": "object",
            "properties": { "voice_id": { "type": "string", "$schema": "http://json-schema.org/draft-07/schema#" } }
        }),
    );
    // The schema of models.json is not part of the document.
    write(
        dir.path(),
        "registry.schema.json",
        &json!({ "$defs": { "bad name": {} } }),
    );
    let found = check_dir(dir.path()).expect_err("refused");
    let lines: Vec<String> = found.iter().map(ToString::to_string).collect();
    let task = dir.path().join("task.schema.json").display().to_string();
    let voice = results.join("voice.schema.json").display().to_string();
    let expect = [
        (&task, "/$defs/Task Usage", "component name"),
        (&task, "/$defs/TaskEnvelope", "taken"),
        (&task, "/properties/usage/$ref", "#/$defs/Task Usage"),
        (&task, "/properties/stream/$id", "base URI"),
        (&task, "/properties/error/$ref", "#/properties/usage"),
        (&task, "/properties/enum/$dynamicRef", "static references"),
        (&voice, "/title", "Voice/Result"),
        (&voice, "/properties/voice_id/$schema", "dialect"),
    ];
    for (file, pointer, says) in expect {
        assert!(
            lines.iter().any(|l| l.starts_with(&format!(
                "{file}: {pointer}: cannot be expressed in OpenAPI 3.1"
            )) && l.contains(says)),
            "expected {file}: {pointer} ({says}) among:\n{}",
            lines.join("\n")
        );
    }
    assert_eq!(lines.len(), expect.len(), "{}", lines.join("\n"));
    assert!(!lines.iter().any(|l| l.contains("registry.schema.json")));
}

#[test]
fn a_schema_openapi_can_carry_has_no_findings() {
    let schema = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://schemas.foxapi-contract.dev/x.schema.json",
        "title": "Fine.Name_1-2",
        "type": "object",
        "properties": {
            "$id": { "type": "string" },
            "a": { "$ref": "common.schema.json#/$defs/HttpUrl" },
            "b": { "$ref": "media.schema.json" },
            "c": { "const": { "$ref": "not a schema, a value" } }
        }
    });
    assert_eq!(check_schema("schema/x.schema.json", &schema), vec![]);
}

#[cfg(feature = "cli")]
mod cli {
    use super::*;
    use std::process::Command;

    fn run(args: &[&str]) -> std::process::Output {
        Command::new(env!("CARGO_BIN_EXE_foxapi-contract"))
            .args(args)
            .output()
            .expect("runs")
    }

    #[test]
    fn schema_openapi_prints_the_document_and_strict_the_strict_one() {
        for (args, strict) in [
            (&["schema", "--openapi"][..], false),
            (&["schema", "--openapi", "--strict"][..], true),
        ] {
            let output = run(args);
            assert_eq!(output.status.code(), Some(0), "{args:?}");
            let printed: Value = serde_json::from_slice(&output.stdout).expect("JSON");
            assert_eq!(printed, document(strict), "{args:?}");
        }
    }

    #[test]
    fn schema_openapi_refuses_another_schema_beside_it() {
        for other in ["--report", "--error-body"] {
            let output = run(&["schema", "--openapi", other]);
            assert_eq!(output.status.code(), Some(2), "--openapi {other}");
            assert!(output.stdout.is_empty());
        }
    }
}
