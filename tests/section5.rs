//! Spec section 5, rule by rule: what is an error, what only a warning, and that strict mode
//! turns the warnings into errors. One test per rule, named after it.

use foxapi_contract::{Contract, Report, Rule, TaskStatus};
use serde_json::{json, Value};

fn base() -> Value {
    json!({
        "id": "task-unified-1757165031-uyujaw3d", "object": "image.generation.task", "type": "image",
        "model": "flux-1.1-pro", "status": "completed", "progress": 100, "created": 1757165031,
        "results": [{"url": "https://cdn.example.com/a.png"}], "error": null,
        "usage": {"credits_reserved": 5, "user_group": "default"}
    })
}

fn with(mut value: Value, pointer: &str, new: Value) -> Value {
    let (parent, key) = pointer.rsplit_once('/').expect("a pointer");
    let text = value.to_string();
    match value.pointer_mut(parent) {
        Some(Value::Object(map)) => {
            map.insert(key.to_string(), new);
        }
        Some(Value::Array(items)) => items[key.parse::<usize>().expect("an index")] = new,
        _ => panic!("{parent} in {text}"),
    }
    value
}

fn without(mut value: Value, key: &str) -> Value {
    value.as_object_mut().expect("object").remove(key);
    value
}

fn check(value: &Value) -> Report {
    Contract::global().validate_value(value)
}

#[track_caller]
fn assert_error_at(value: &Value, pointer: &str) -> Report {
    let report = check(value);
    assert!(
        report
            .errors
            .iter()
            .any(|e| e.instance_path == pointer && e.rule == Rule::Schema),
        "expected an error at {pointer:?}, found {:#?}",
        report.errors
    );
    report
}

#[track_caller]
fn assert_warning(value: &Value, rule: Rule, pointer: &str) {
    let report = check(value);
    assert!(
        report.is_valid(),
        "expected valid, found {:#?}",
        report.errors
    );
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.rule == rule && w.instance_path == pointer),
        "expected a {rule:?} warning at {pointer:?}, found {:#?}",
        report.warnings
    );
    let strict = report.into_strict();
    assert!(!strict.is_valid(), "strict mode must refuse it");
}

#[test]
fn the_base_response_is_valid_without_warnings() {
    let report = check(&base());
    assert_eq!(
        (report.errors.len(), report.warnings.len()),
        (0, 0),
        "{report:#?}"
    );
}

#[test]
fn not_utf8_json_is_an_error() {
    for bytes in [&b""[..], b"{\"id\":", b"{\"a\":\"\xff\"}", b"nul", b"{} {}"] {
        let report = Contract::global().validate(bytes);
        assert_eq!(
            report.errors[0].rule,
            Rule::NotJson,
            "{bytes:?}: {report:#?}"
        );
    }
}

#[test]
fn not_an_object_is_an_error() {
    for bytes in [&b"[]"[..], b"42", b"\"task\"", b"null"] {
        let report = Contract::global().validate(bytes);
        assert_eq!(report.errors[0].rule, Rule::NotObject, "{bytes:?}");
    }
}

#[test]
fn nesting_deeper_than_128_levels_is_an_error() {
    let nested = |depth: usize| {
        format!(
            "{{\"id\":\"task-1\",\"x\":{}{}}}",
            "[".repeat(depth - 1),
            "]".repeat(depth - 1)
        )
    };
    assert_ne!(
        Contract::global()
            .validate(nested(128).as_bytes())
            .errors
            .first()
            .map(|e| e.rule),
        Some(Rule::TooDeep)
    );
    let report = Contract::global().validate(nested(129).as_bytes());
    assert_eq!(report.errors[0].rule, Rule::TooDeep, "{report:#?}");
    let mut deep = json!(1);
    for _ in 0..200 {
        deep = json!([deep]);
    }
    let report = check(&with(
        base(),
        "/usage",
        json!({"credits_reserved": 1, "nested": deep}),
    ));
    assert_eq!(report.errors[0].rule, Rule::TooDeep);
}

#[test]
fn a_missing_required_envelope_field_is_an_error() {
    for key in [
        "id", "object", "type", "model", "status", "progress", "created",
    ] {
        let report = assert_error_at(&without(base(), key), "");
        assert!(
            report.errors.iter().any(|e| e.message.contains(key)),
            "{key}: {report:#?}"
        );
    }
}

#[test]
fn a_field_of_the_wrong_json_type_is_an_error_optional_ones_too() {
    for (pointer, wrong) in [
        ("/id", json!(1)),
        ("/model", json!(null)),
        ("/status", json!(true)),
        ("/progress", json!("100")),
        ("/created", json!(1.5)),
        ("/results", json!({})),
        ("/error", json!("boom")),
        ("/usage", json!([])),
        ("/usage/credits_reserved", json!("5")),
        ("/usage/user_group", json!(5)),
    ] {
        assert_error_at(&with(base(), pointer, wrong), pointer);
    }
    assert_error_at(
        &with(base(), "/stream", json!("https://x.example/s")),
        "/stream",
    );
}

#[test]
fn error_code_is_a_string_or_an_integer() {
    let failed = |code: Value| {
        let v = with(base(), "/status", json!("failed"));
        let v = with(v, "/results", Value::Null);
        with(
            v,
            "/error",
            json!({"message": "no", "type": "task_error", "code": code}),
        )
    };
    assert!(check(&failed(json!("generation_failed"))).is_valid());
    assert!(check(&failed(json!(50001))).is_valid());
    assert!(check(&failed(json!(50001.0))).is_valid());
    assert_error_at(&failed(json!(true)), "/error/code");
    assert_error_at(&failed(json!(1.5)), "/error/code");
}

#[test]
fn progress_outside_0_to_100_or_not_an_integer_is_an_error() {
    for wrong in [json!(-1), json!(101), json!(50.5)] {
        assert_error_at(&with(base(), "/progress", wrong), "/progress");
    }
    assert!(
        check(&with(base(), "/progress", json!(100.0))).is_valid(),
        "100.0 is an integer"
    );
    let parsed = Contract::global()
        .parse_value(&with(base(), "/progress", json!(100.0)))
        .expect("valid");
    assert_eq!(parsed.task.progress.as_i64(), Some(100));
}

#[test]
fn created_negative_is_an_error() {
    assert_error_at(&with(base(), "/created", json!(-1)), "/created");
}

#[test]
fn object_and_type_known_and_disagreeing_is_an_error() {
    assert_error_at(&with(base(), "/type", json!("video")), "/type");
    let unknown_type = with(base(), "/type", json!("3d"));
    assert!(
        check(&unknown_type).is_valid(),
        "an unknown type cannot disagree"
    );
}

#[test]
fn failed_without_an_error_carrying_a_message_is_an_error() {
    let failed = with(
        with(base(), "/status", json!("failed")),
        "/results",
        Value::Null,
    );
    assert_error_at(&failed, "/error");
    assert_error_at(
        &with(failed.clone(), "/error", json!({"type": "task_error"})),
        "/error",
    );
    assert!(check(&with(
        failed,
        "/error",
        json!({"message": "upstream failed"})
    ))
    .is_valid());
}

#[test]
fn a_result_item_without_the_shape_its_model_requires_is_an_error() {
    let item = |model: &str, ty: &str, object: &str, item: Value| {
        let v = with(
            with(with(base(), "/model", json!(model)), "/type", json!(ty)),
            "/object",
            json!(object),
        );
        with(v, "/results", json!([item]))
    };
    let video = "video.generation.task";
    // a required key missing
    assert_error_at(
        &item(
            "sora-2-character",
            "video",
            video,
            json!({"character_id": "c1"}),
        ),
        "/results/0",
    );
    // a key of the wrong JSON type
    assert_error_at(
        &item(
            "seedance-2.0-text-to-video",
            "video",
            video,
            json!({"url": "https://x.example/v.mp4", "seed": "1"}),
        ),
        "/results/0/seed",
    );
    // a const broken
    assert_error_at(
        &item(
            "phota-create-profile",
            "image",
            "image.generation.task",
            json!({"result_type": "image", "profile_id": "p"}),
        ),
        "/results/0/result_type",
    );
    // a url that is not an absolute http(s) URL
    for url in [
        "/a.png",
        "ftp://x.example/a.png",
        "https://",
        "x.example/a.png",
    ] {
        assert_error_at(
            &with(base(), "/results/0/url", json!(url)),
            "/results/0/url",
        );
    }
    // language_probability outside 0..=1
    let transcript =
        json!({"text": "hi", "language_code": "eng", "language_probability": 1.01, "words": []});
    assert_error_at(
        &item("scribe-v2", "audio", "audio.generation.task", transcript),
        "/results/0/language_probability",
    );
}

#[test]
fn the_model_decides_before_the_type() {
    let voice = with(
        with(base(), "/model", json!("minimax-voice-clone")),
        "/type",
        json!("audio"),
    );
    let voice = with(voice, "/object", json!("audio.generation.task"));
    let report = assert_error_at(&voice, "/results/0");
    assert_eq!(report.shapes, ["voice"]);
    assert!(check(&with(voice, "/results", json!([{"voice_id": "v1"}]))).is_valid());
}

#[test]
fn a_value_outside_a_known_set_is_a_warning() {
    assert_warning(
        &with(
            with(base(), "/status", json!("cancelled")),
            "/results",
            Value::Null,
        ),
        Rule::UnknownValue,
        "/status",
    );
    assert_warning(
        &with(base(), "/usage/billing_rule", json!("per_pixel")),
        Rule::UnknownValue,
        "/usage/billing_rule",
    );
    let parsed = Contract::global()
        .parse_value(&with(
            with(base(), "/status", json!("cancelled")),
            "/results",
            Value::Null,
        ))
        .expect("typed parsing never fails on a new value");
    assert_eq!(parsed.task.status, TaskStatus::Unknown("cancelled".into()));
}

#[test]
fn a_key_the_schema_does_not_declare_is_a_warning() {
    assert_warning(
        &with(
            base(),
            "/results/0",
            json!({"url": "https://x.example/a.png", "blurhash": "LEHV6n"}),
        ),
        Rule::UndeclaredKey,
        "/results/0/blurhash",
    );
    let mut extra = base();
    extra["priority"] = json!(3);
    assert_warning(&extra, Rule::UndeclaredKey, "/priority");
}

#[test]
fn completed_with_no_results_yet_is_a_warning() {
    assert_warning(
        &with(base(), "/results", Value::Null),
        Rule::Advisory,
        "/results",
    );
    assert_warning(
        &with(base(), "/results", json!([])),
        Rule::Advisory,
        "/results",
    );
    assert_warning(&without(base(), "results"), Rule::Advisory, "");
}

#[test]
fn results_on_a_task_that_is_not_completed_is_a_warning() {
    assert_warning(
        &with(base(), "/status", json!("processing")),
        Rule::Advisory,
        "/results",
    );
}

#[test]
fn an_id_without_the_task_prefix_is_a_warning() {
    assert_warning(
        &with(base(), "/id", json!("abc-123")),
        Rule::Advisory,
        "/id",
    );
}

#[test]
fn the_error_body_of_section_4() {
    let body = json!({"error": {"message": "task not found", "type": "not_found", "code": "task_not_found"}});
    assert!(Contract::global().validate_error_body(&body).is_valid());
    let report = Contract::global().validate_error_body(&json!({"error": {"type": "not_found"}}));
    assert!(!report.is_valid());
    assert!(!Contract::global()
        .validate_error_body(&json!({"message": "flat"}))
        .is_valid());
}

#[test]
fn the_exported_schema_refuses_the_same_nesting_as_the_reader() {
    let schema: Value = serde_json::from_str(foxapi_contract::CONTRACT_SCHEMA).expect("JSON");
    let peer = jsonschema::validator_for(&schema).expect("compiles as any validator would");
    for depth in [2usize, 127, 128, 129, 140] {
        let mut text = base().to_string();
        text.pop();
        text.push_str(&format!(
            ",\"x\":{}{}}}",
            "[".repeat(depth - 1),
            "]".repeat(depth - 1)
        ));
        let mut nested = json!([]);
        for _ in 2..depth {
            nested = json!([nested]);
        }
        let value = with(base(), "/x", nested);
        let ours = Contract::global().validate(text.as_bytes()).is_valid();
        assert_eq!(peer.is_valid(&value), ours, "nesting {depth}");
        assert_eq!(ours, depth <= 128, "nesting {depth}");
    }
}
