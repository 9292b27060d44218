//! Spec section 5, rule by rule: what is an error, what only a warning, and that strict mode
//! turns the warnings into errors. One test per rule, named after it.

use foxapi_contract::{Contract, Dispatch, Report, Rule, TaskStatus};
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

// Section 3, embedded shapes, and the section 5 rules they bring: one test per rule.

fn llm(completion: Value) -> Value {
    json!({
        "id": "task-llmrouter-1757166001-up000001", "object": "llm.generation.task", "type": "llm",
        "model": "gpt-4.1-mini", "status": "completed", "progress": 100, "created": 1757166001,
        "results": [completion], "error": null, "stream": null
    })
}

fn completion(message: Value) -> Value {
    json!({
        "id": "chatcmpl-1", "object": "chat.completion", "created": 1757166101, "model": "gpt-4.1-mini",
        "choices": [{"index": 0, "message": message, "finish_reason": "stop", "logprobs": null}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}
    })
}

fn tool_call() -> Value {
    json!({"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Lisbon\"}"}})
}

fn scribe(words: Value) -> Value {
    json!({
        "id": "task-unified-1757166009-up000009", "object": "audio.generation.task", "type": "audio",
        "model": "scribe-v2", "status": "completed", "progress": 100, "created": 1757166009,
        "results": [{"text": "hi", "language_code": "eng", "language_probability": 0.9, "words": words}]
    })
}

fn media_item(extra: Value) -> Value {
    let mut item = json!({"url": "https://cdn.example.com/v.mp4"});
    item.as_object_mut()
        .expect("object")
        .extend(extra.as_object().expect("object").clone());
    with(
        with(base(), "/results", json!([item])),
        "/model",
        json!("kling-v2-1-master"),
    )
}

#[track_caller]
fn assert_strict_valid(value: &Value) -> Report {
    let report = check(value);
    assert!(
        report.is_valid(),
        "expected valid, found {:#?}",
        report.errors
    );
    assert!(
        report.warnings.is_empty(),
        "expected no warnings, found {:#?}",
        report.warnings
    );
    Contract::global()
        .parse_value(value)
        .unwrap_or_else(|r| panic!("the types refused it: {:#?}", r.errors));
    report
}

#[track_caller]
fn assert_refused_by_both(value: &Value, pointer: &str) {
    assert_error_at(value, pointer);
    assert!(
        Contract::global().parse_value(value).is_err(),
        "the typed parse accepted it"
    );
}

#[test]
fn a_chat_message_may_leave_content_out_when_it_calls_tools() {
    let value = llm(completion(
        json!({"role": "assistant", "tool_calls": [tool_call()]}),
    ));
    assert_strict_valid(&value);
    let parsed = Contract::global().parse_value(&value).expect("valid");
    let foxapi_contract::ResultItem::ChatCompletion(c) = &parsed.results[0] else {
        panic!("expected a chat completion, found {:?}", parsed.results[0]);
    };
    let message = &c.choices[0].message;
    assert_eq!(message.content, None);
    let calls = message.tool_calls.as_ref().expect("tool calls");
    assert_eq!(calls[0].function.name, "get_weather");
    assert_eq!(
        calls[0].type_,
        foxapi_contract::types::ToolCallType::Function
    );
}

#[test]
fn a_tool_call_needs_id_type_and_function_with_name_and_text_arguments() {
    for key in ["id", "type", "function"] {
        let mut call = tool_call();
        call.as_object_mut().expect("object").remove(key);
        let value = llm(completion(
            json!({"role": "assistant", "tool_calls": [call]}),
        ));
        assert_refused_by_both(&value, "/results/0/choices/0/message/tool_calls/0");
    }
    let mut call = tool_call();
    call["function"]["arguments"] = json!({"city": "Lisbon"});
    let value = llm(completion(
        json!({"role": "assistant", "tool_calls": [call]}),
    ));
    assert_refused_by_both(
        &value,
        "/results/0/choices/0/message/tool_calls/0/function/arguments",
    );
}

#[test]
fn a_new_tool_call_type_is_a_warning() {
    let mut call = tool_call();
    call["type"] = json!("mcp");
    let value = llm(completion(
        json!({"role": "assistant", "tool_calls": [call]}),
    ));
    assert_warning(
        &value,
        Rule::UnknownValue,
        "/results/0/choices/0/message/tool_calls/0/type",
    );
    let parsed = Contract::global()
        .parse_value(&value)
        .expect("forward compatible");
    let foxapi_contract::ResultItem::ChatCompletion(c) = &parsed.results[0] else {
        panic!("expected a chat completion");
    };
    assert_eq!(
        c.choices[0].message.tool_calls.as_ref().expect("calls")[0].type_,
        foxapi_contract::types::ToolCallType::Unknown("mcp".into())
    );
}

#[test]
fn an_annotation_of_type_url_citation_carries_that_object() {
    let citation =
        json!({"url": "https://x.example/a", "title": "A", "start_index": 0, "end_index": 3});
    let ok = llm(completion(json!({"role": "assistant", "content": "abc",
        "annotations": [{"type": "url_citation", "url_citation": citation}]})));
    assert_strict_valid(&ok);
    let without = llm(completion(json!({"role": "assistant", "content": "abc",
        "annotations": [{"type": "url_citation"}]})));
    assert_error_at(&without, "/results/0/choices/0/message/annotations/0");
    let other = llm(completion(json!({"role": "assistant", "content": "abc",
        "annotations": [{"type": "file_citation"}]})));
    assert_warning(
        &other,
        Rule::UnknownValue,
        "/results/0/choices/0/message/annotations/0/type",
    );
}

#[test]
fn logprobs_hold_token_lists_with_numeric_logprobs_at_any_depth() {
    let logprobs = json!({"content": [{"token": "Hi", "logprob": -0.1, "bytes": [72, 105],
        "top_logprobs": [{"token": "Hi", "logprob": -0.1, "bytes": null}]}], "refusal": null});
    let value = |logprobs: Value| {
        let mut c = completion(json!({"role": "assistant", "content": "Hi"}));
        c["choices"][0]["logprobs"] = logprobs;
        llm(c)
    };
    assert_strict_valid(&value(logprobs.clone()));
    let mut broken = logprobs.clone();
    broken["content"][0]["logprob"] = json!("-0.1");
    assert_refused_by_both(
        &value(broken),
        "/results/0/choices/0/logprobs/content/0/logprob",
    );
    let mut broken = logprobs;
    broken["content"][0]["top_logprobs"][0]["logprob"] = json!("-0.1");
    assert_refused_by_both(
        &value(broken),
        "/results/0/choices/0/logprobs/content/0/top_logprobs/0/logprob",
    );
}

#[test]
fn audio_and_the_deprecated_function_call_are_declared_and_checked() {
    let audio =
        json!({"id": "audio_1", "data": "UklGRg==", "expires_at": 1757169706, "transcript": "hi"});
    assert_strict_valid(&llm(completion(
        json!({"role": "assistant", "content": null, "audio": audio}),
    )));
    assert_strict_valid(&llm(completion(
        json!({"role": "assistant", "content": null,
        "function_call": {"name": "f", "arguments": "{}"}}),
    )));
    assert_refused_by_both(
        &llm(completion(
            json!({"role": "assistant", "audio": {"id": "audio_1"}}),
        )),
        "/results/0/choices/0/message/audio",
    );
    assert_refused_by_both(
        &llm(completion(
            json!({"role": "assistant", "function_call": {"name": "f", "arguments": {}}}),
        )),
        "/results/0/choices/0/message/function_call/arguments",
    );
}

#[test]
fn usage_details_hold_integers_of_zero_or_more() {
    let value = |details: Value| {
        let mut c = completion(json!({"role": "assistant", "content": "x"}));
        c["usage"]["completion_tokens_details"] = details;
        llm(c)
    };
    assert_strict_valid(&value(json!({"reasoning_tokens": 3, "audio_tokens": 0,
        "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0})));
    assert_strict_valid(&value(Value::Null));
    assert_refused_by_both(
        &value(json!({"reasoning_tokens": "3"})),
        "/results/0/usage/completion_tokens_details/reasoning_tokens",
    );
    assert_error_at(
        &value(json!({"reasoning_tokens": -3})),
        "/results/0/usage/completion_tokens_details/reasoning_tokens",
    );
    let mut extra = completion(json!({"role": "assistant", "content": "x"}));
    extra["usage"]["prompt_cache_hit_tokens"] = json!(0);
    assert_warning(
        &llm(extra),
        Rule::UndeclaredKey,
        "/results/0/usage/prompt_cache_hit_tokens",
    );
}

#[test]
fn a_chat_completion_id_of_null_is_a_warning() {
    let mut c = completion(json!({"role": "assistant", "content": "x"}));
    c["id"] = Value::Null;
    assert_warning(&llm(c), Rule::Advisory, "/results/0/id");
}

#[test]
fn an_error_object_on_a_task_that_is_not_failed_is_a_warning() {
    let value = with(
        base(),
        "/error",
        json!({"message": "retrying upstream", "type": "task_error"}),
    );
    assert_warning(&value, Rule::Advisory, "/error");
}

#[test]
fn an_unknown_type_lets_the_object_decide_the_shape() {
    let broken = llm(completion(json!({"content": "no role"})));
    let text = with(broken, "/type", json!("text"));
    let report = assert_error_at(&text, "/results/0/choices/0/message");
    assert_eq!(report.dispatch, Some(Dispatch::ByObject));
    assert_eq!(report.shapes, ["chat-completion"]);
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.instance_path == "/type" && w.rule == Rule::UnknownValue),
        "{:#?}",
        report.warnings
    );
    let fine = with(
        llm(completion(json!({"role": "assistant", "content": "x"}))),
        "/type",
        json!("text"),
    );
    assert_warning(&fine, Rule::UnknownValue, "/type");
    let parsed = Contract::global().parse_value(&fine).expect("valid");
    assert_eq!(
        parsed.results[0].shape(),
        Some(foxapi_contract::Shape::ChatCompletion)
    );
}

#[test]
fn results_no_rule_could_check_are_a_warning_that_says_so() {
    let value = with(
        with(
            with(base(), "/object", json!("mesh.generation.task")),
            "/type",
            json!("mesh"),
        ),
        "/results",
        json!([{"glb": "https://cdn.example.com/fox.glb"}]),
    );
    let report = check(&value);
    assert_eq!(report.dispatch, Some(Dispatch::Unknown));
    let said = report
        .warnings
        .iter()
        .find(|w| w.instance_path == "/results" && w.rule == Rule::Advisory)
        .unwrap_or_else(|| panic!("{:#?}", report.warnings));
    assert!(
        said.rule_description
            .as_deref()
            .is_some_and(|d| d.contains("results not checked")),
        "{said}"
    );
    assert!(said.to_string().contains("results not checked"), "{said}");
    assert_warning(&value, Rule::Advisory, "/results");
}

#[test]
fn a_stream_url_may_be_relative_but_a_result_url_may_not() {
    let llm_task = llm(completion(json!({"role": "assistant", "content": "x"})));
    for url in [
        "/v1/llm/generations/task-llmrouter-1/stream",
        "https://api.foxapi.cc/v1/llm/generations/task-llmrouter-1/stream",
    ] {
        assert_strict_valid(&with(llm_task.clone(), "/stream", json!({"url": url})));
    }
    // `//host/...` resolves against the base URL to another host: not a path of the gateway.
    for url in [
        "ftp://x.example/s",
        "v1/stream",
        "",
        "/has space",
        "//evil.example/s",
    ] {
        assert_error_at(
            &with(llm_task.clone(), "/stream", json!({"url": url})),
            "/stream/url",
        );
    }
    assert_error_at(
        &with(base(), "/results/0/url", json!("/v1/files/a.png")),
        "/results/0/url",
    );
}

#[test]
fn a_transcript_additional_format_may_be_null_as_its_owner_documents() {
    let mut value = scribe(json!([{"text": "hi", "type": "word", "start": 0.0, "end": 0.4}]));
    value["results"][0]["additional_formats"] = json!([
        null,
        {"requested_format": "srt", "file_extension": "srt", "content_type": "text/srt",
         "is_base64_encoded": false, "content": "1\n00:00:00,000 --> 00:00:00,400\nhi\n"}
    ]);
    assert_strict_valid(&value);
    value["results"][0]["additional_formats"] = json!([7]);
    assert_error_at(&value, "/results/0/additional_formats/0");
}

#[test]
fn a_transcript_word_may_omit_its_times_and_has_a_logprob_of_at_most_0() {
    let spacing = json!({"text": " ", "type": "spacing"});
    let value = scribe(json!([spacing]));
    assert_strict_valid(&value);
    let parsed = Contract::global().parse_value(&value).expect("valid");
    let foxapi_contract::ResultItem::Transcript(t) = &parsed.results[0] else {
        panic!("expected a transcript");
    };
    assert_eq!((t.words[0].start, t.words[0].end), (None, None));
    for logprob in [json!(0.5), json!(1e-9)] {
        assert_error_at(
            &scribe(json!([{"text": "a", "type": "word", "logprob": logprob}])),
            "/results/0/words/0/logprob",
        );
    }
    assert_refused_by_both(
        &scribe(json!([{"text": "a", "type": "word", "logprob": "-0.1"}])),
        "/results/0/words/0/logprob",
    );
}

#[test]
fn transcript_characters_need_their_text() {
    let word = |characters: Value| {
        scribe(json!([{"text": "hi", "type": "word", "characters": characters}]))
    };
    assert_strict_valid(&word(
        json!([{"text": "h", "start": 0.0, "end": 0.1}, {"text": "i", "start": null, "end": null}]),
    ));
    assert_refused_by_both(
        &word(json!([{"start": 0.0, "end": 0.1}])),
        "/results/0/words/0/characters/0",
    );
}

#[test]
fn the_documented_transcript_keys_are_declared() {
    let mut value = scribe(json!([{"text": "hi", "type": "word", "channel_index": 1}]));
    let item = value["results"][0].as_object_mut().expect("object");
    item.insert("transcription_id".into(), json!("tr_1"));
    item.insert("channel_index".into(), json!(1));
    item.insert("audio_duration_secs".into(), json!(1.5));
    item.insert(
        "additional_formats".into(),
        json!([{"requested_format": "srt", "file_extension": "srt",
        "content_type": "application/x-subrip", "is_base64_encoded": false, "content": "1\n"}]),
    );
    item.insert(
        "entities".into(),
        json!([{"text": "hi", "entity_type": "greeting", "start_char": 0, "end_char": 2}]),
    );
    assert_strict_valid(&value);
    value["results"][0]["audio_duration_secs"] = json!("1.5");
    assert_refused_by_both(&value, "/results/0/audio_duration_secs");
}

#[test]
fn media_extras_have_the_types_of_section_3_and_duration_may_be_a_numeric_string() {
    for duration in [json!(5), json!(5.1), json!("5.1"), json!("5"), json!(0)] {
        let value = media_item(
            json!({"duration": duration, "id": "v1", "width": 1280, "height": 720, "seed": 7}),
        );
        assert_strict_valid(&value);
    }
    let parsed = Contract::global()
        .parse_value(&media_item(json!({"duration": "5.1"})))
        .expect("valid");
    let foxapi_contract::ResultItem::Media(m) = &parsed.results[0] else {
        panic!("expected a media item");
    };
    assert_eq!(m.duration.as_ref().and_then(|d| d.seconds()), Some(5.1));
    for (key, wrong) in [
        ("duration", json!("five")),
        ("duration", json!(-1)),
        ("duration", json!(true)),
        ("width", json!(-1)),
        ("height", json!(1.5)),
        ("seed", json!(-7)),
        ("id", json!(42)),
    ] {
        assert_error_at(
            &media_item(json!({ key: wrong })),
            &format!("/results/0/{key}"),
        );
    }
}

// Bad input: each gets a verdict and a clear message, and nothing panics.

#[test]
fn bad_input_a_tool_calls_list_of_100000_items_gets_a_verdict() {
    let calls = vec![tool_call(); 100_000];
    let value = llm(completion(
        json!({"role": "assistant", "tool_calls": calls}),
    ));
    assert!(check(&value).is_valid());
    let mut broken = calls_without_function(100_000);
    broken[99_999] = tool_call();
    let report = check(&llm(completion(
        json!({"role": "assistant", "tool_calls": broken}),
    )));
    assert!(!report.is_valid());
    assert!(report.errors.iter().all(|e| !e.message.is_empty()));
}

fn calls_without_function(n: usize) -> Vec<Value> {
    vec![json!({"id": "call_1", "type": "function"}); n]
}

#[test]
fn bad_input_durations_that_are_no_number_get_a_clear_error() {
    for text in ["1e400", "NaN", "", "-1", "Infinity", " 5"] {
        let report = assert_error_at(
            &media_item(json!({"duration": text})),
            "/results/0/duration",
        );
        let message = &report.errors[0].message;
        assert!(
            message.contains("decimal number of seconds") && message.contains(&format!("{text:?}")),
            "{text:?}: {message}"
        );
    }
    let huge = format!("1{}", "0".repeat(400));
    let parsed = Contract::global()
        .parse_value(&media_item(json!({"duration": huge})))
        .expect("a decimal string is valid however long");
    let foxapi_contract::ResultItem::Media(m) = &parsed.results[0] else {
        panic!("expected a media item");
    };
    assert_eq!(
        m.duration.as_ref().map(|d| d.seconds()),
        Some(None),
        "not finite: no seconds"
    );
    let number = Contract::global().validate(
        br#"{"id":"task-1","object":"video.generation.task","type":"video","model":"m","status":"completed","progress":100,"created":1,"results":[{"url":"https://x.example/v.mp4","duration":1e400}]}"#,
    );
    assert_eq!(number.errors[0].rule, Rule::NumberOutOfRange, "{number:#?}");
}

#[test]
fn bad_input_a_logprob_of_minus_1e308_is_valid() {
    assert_strict_valid(&scribe(
        json!([{"text": "a", "type": "word", "logprob": -1e308}]),
    ));
}

#[test]
fn bad_input_characters_nested_in_themselves_up_to_the_depth_limit_get_a_verdict() {
    // results/0/words/0 is depth 5 inside the envelope; each nesting adds two levels.
    for levels in [1usize, 30, 61, 62, 70] {
        let mut characters = json!([{"text": "x"}]);
        for _ in 1..levels {
            characters = json!([{"text": "x", "characters": characters}]);
        }
        let value = scribe(json!([{"text": "x", "type": "word", "characters": characters}]));
        let text = value.to_string();
        let report = Contract::global().validate(text.as_bytes());
        let depth = 5 + 2 * levels;
        if depth <= 128 {
            assert!(report.is_valid(), "{levels}: {:#?}", report.errors);
            assert!(report
                .warnings
                .iter()
                .all(|w| w.rule == Rule::UndeclaredKey || levels == 1));
        } else {
            assert_eq!(report.errors[0].rule, Rule::TooDeep, "{levels}");
            assert!(
                report.errors[0].message.contains("at most 128"),
                "{report:#?}"
            );
        }
    }
}
