//! Properties over generated responses, for every shape the registry names. Valid responses
//! are generated from the schemas themselves (so a new shape is covered without a test edit):
//! they pass the validator, parse into the types and round-trip. Mutated ones are refused by
//! both the validator and the typed parse. Arbitrary input never panics and always gets a
//! verdict, and the schema never accepts what the types refuse.
//!
//! `PROPTEST_CASES` bounds the run (CI sets it); every property stays.

use foxapi_contract::{model, model::Entry, Contract, Rule, Task, STRICT_SCHEMA};
use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence};
use serde::Deserialize;
use serde_json::{json, Map, Value};
use std::sync::OnceLock;

fn config() -> Config {
    Config {
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource("regressions"))),
        ..Config::default()
    }
}

fn defs() -> &'static Map<String, Value> {
    static DEFS: OnceLock<Map<String, Value>> = OnceLock::new();
    DEFS.get_or_init(|| {
        let schema: Value = serde_json::from_str(STRICT_SCHEMA).expect("JSON");
        schema["$defs"].as_object().expect("$defs").clone()
    })
}

fn resolve(schema: &Value) -> &Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(r) => resolve(&defs()[r.trim_start_matches("#/$defs/")]),
        None => schema,
    }
}

fn arb_url() -> BoxedStrategy<Value> {
    (
        "[a-z]{1,12}",
        "[a-z0-9]{1,16}",
        prop::sample::select(vec!["png", "mp4", "mp3", "webp"]),
    )
        .prop_map(|(host, path, ext)| {
            json!(format!("https://{host}.example.com/results/{path}.{ext}"))
        })
        .boxed()
}

fn arb_number(schema: &Value, integer: bool) -> BoxedStrategy<Value> {
    let min = schema.get("minimum").and_then(Value::as_f64);
    let max = schema.get("maximum").and_then(Value::as_f64);
    match (integer, min, max) {
        (true, lo, hi) => (lo.unwrap_or(-1e6) as i64..=hi.unwrap_or(2e9) as i64)
            .prop_map(|n| json!(n))
            .boxed(),
        (false, lo, hi) => (lo.unwrap_or(-1e6)..=hi.unwrap_or(1e6))
            .prop_map(|n| json!(n))
            .boxed(),
    }
}

/// A valid instance of `schema`: required keys always, declared optional keys sometimes,
/// known values only, numbers in range.
fn arb_instance(schema: &Value, depth: usize) -> BoxedStrategy<Value> {
    let schema = resolve(schema);
    if let Some(value) = schema.get("const") {
        return Just(value.clone()).boxed();
    }
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        return prop::sample::select(values.clone()).boxed();
    }
    if let Some(branches) = schema
        .get("anyOf")
        .or_else(|| schema.get("oneOf"))
        .and_then(Value::as_array)
    {
        let options: Vec<BoxedStrategy<Value>> =
            branches.iter().map(|b| arb_instance(b, depth)).collect();
        return prop::strategy::Union::new(options).boxed();
    }
    let types: Vec<&str> = match schema.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => vec!["string"],
    };
    let options: Vec<BoxedStrategy<Value>> =
        types.iter().map(|t| arb_typed(schema, t, depth)).collect();
    prop::strategy::Union::new(options).boxed()
}

fn arb_typed(schema: &Value, ty: &str, depth: usize) -> BoxedStrategy<Value> {
    match ty {
        "null" => Just(Value::Null).boxed(),
        "boolean" => any::<bool>().prop_map(Value::Bool).boxed(),
        "integer" => arb_number(schema, true),
        "number" => arb_number(schema, false),
        // The Duration pattern: a decimal number of seconds written as a string.
        "string"
            if schema
                .get("pattern")
                .and_then(Value::as_str)
                .is_some_and(|p| p.starts_with("^[0-9]")) =>
        {
            "[0-9]{1,3}(\\.[0-9]{1,2})?".prop_map(Value::String).boxed()
        }
        "string" if schema.get("pattern").is_some() || schema.get("format").is_some() => arb_url(),
        "string" => "[ -~]{0,24}".prop_map(Value::String).boxed(),
        "array" => match schema.get("items") {
            Some(items) if depth > 0 => prop::collection::vec(arb_instance(items, depth - 1), 0..3)
                .prop_map(Value::Array)
                .boxed(),
            _ => Just(json!([])).boxed(),
        },
        _ => {
            let properties = schema
                .get("properties")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default();
            // Keys a conditional requires count as required: more keys never break a shape.
            let required: Vec<String> = schema
                .get("required")
                .into_iter()
                .chain(schema.get("then").and_then(|t| t.get("required")))
                .filter_map(Value::as_array)
                .flatten()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect();
            let fields: Vec<BoxedStrategy<Option<(String, Value)>>> = properties
                .iter()
                .filter(|(k, _)| depth > 0 || required.contains(k))
                .map(|(k, s)| {
                    let key = k.clone();
                    let value = arb_instance(s, depth.saturating_sub(1));
                    if required.contains(k) {
                        value.prop_map(move |v| Some((key.clone(), v))).boxed()
                    } else {
                        prop::option::of(value)
                            .prop_map(move |v| v.map(|v| (key.clone(), v)))
                            .boxed()
                    }
                })
                .collect();
            fields
                .prop_map(|pairs| Value::Object(pairs.into_iter().flatten().collect()))
                .boxed()
        }
    }
}

fn entries() -> Vec<&'static Entry> {
    model::models()
        .iter()
        .chain(model::output_types())
        .collect()
}

/// How deep below a results item the generator goes: deep enough for a token's
/// `top_logprobs[].bytes[]` inside `choices[].logprobs.content[]`, and a word's `characters[]`.
const ITEM_DEPTH: usize = 9;

fn arb_item(entry: &'static Entry) -> BoxedStrategy<Value> {
    let shapes: Vec<BoxedStrategy<Value>> = entry
        .shapes
        .iter()
        .map(|s| {
            arb_instance(
                &json!({"$ref": format!("#/$defs/{}", s.title())}),
                ITEM_DEPTH,
            )
        })
        .collect();
    prop::strategy::Union::new(shapes)
        .prop_map(|mut item| {
            // A null ChatCompletion id is valid but a warning (section 5): keep generated
            // responses free of warnings.
            if item.get("object") == Some(&json!("chat.completion")) && item["id"].is_null() {
                item["id"] = json!("chatcmpl-generated");
            }
            item
        })
        .boxed()
}

fn object_of(output_type: &str) -> &'static str {
    model::task_kinds()
        .iter()
        .find(|(_, t)| *t == output_type)
        .map(|(o, _)| *o)
        .expect("a task kind per type")
}

/// A valid completed response of one registry entry, with its entry.
fn arb_response() -> impl Strategy<Value = (&'static Entry, Value)> {
    prop::sample::select(entries()).prop_flat_map(|entry| {
        let model = if model::models().contains(entry) {
            Just(entry.key.to_string()).boxed()
        } else {
            "[a-z]{3,8}-[0-9]"
                .prop_filter("not a registry model", |m| {
                    !model::models().iter().any(|e| e.key == m)
                })
                .boxed()
        };
        let usage = prop::option::of(
            (0u32..1000, "[a-z]{1,8}")
                .prop_map(|(c, g)| json!({"credits_reserved": c, "user_group": g})),
        );
        (
            Just(entry),
            model,
            "[a-z0-9]{8}",
            0i64..4_000_000_000,
            0u8..=100,
            prop::collection::vec(arb_item(entry), 1..4),
            usage,
        )
            .prop_map(
                |(entry, model, suffix, created, progress, results, usage)| {
                    let response = json!({
                        "id": format!("task-unified-{created}-{suffix}"),
                        "object": object_of(entry.output_type),
                        "type": entry.output_type,
                        "model": model,
                        "status": "completed",
                        "progress": progress,
                        "created": created,
                        "results": results,
                        "error": null,
                        "usage": usage,
                    });
                    (entry, response)
                },
            )
    })
}

fn typed_parse_refuses(value: &Value) -> bool {
    Contract::global().parse_value(value).is_err()
}

fn serde_refuses(value: &Value) -> bool {
    match Task::deserialize(value) {
        Err(_) => true,
        Ok(task) => task.typed_results().is_err(),
    }
}

#[track_caller]
fn assert_refused(value: &Value, what: &str) {
    let report = Contract::global().validate_value(value);
    assert!(!report.is_valid(), "{what}: the validator accepted {value}");
    assert!(
        typed_parse_refuses(value),
        "{what}: the typed parse accepted {value}"
    );
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn valid_responses_pass_parse_into_the_types_and_round_trip((entry, response) in arb_response()) {
        let report = Contract::global().validate_value(&response);
        prop_assert!(report.errors.is_empty(), "{}: {:#?}\n{response}", entry.key, report.errors);
        prop_assert!(report.warnings.is_empty(), "{}: {:#?}\n{response}", entry.key, report.warnings);
        let parsed = Contract::global().parse_value(&response).expect("valid");
        prop_assert_eq!(parsed.results.len(), response["results"].as_array().map_or(0, Vec::len));
        for item in &parsed.results {
            prop_assert!(item.shape().is_some_and(|s| entry.shapes.contains(&s)));
        }
        let again = serde_json::to_value(&parsed.task).expect("serialises");
        let reparsed = Contract::global().parse_value(&again).expect("the serialised task is valid too");
        prop_assert_eq!(&reparsed.task, &parsed.task);
        prop_assert_eq!(&reparsed.results, &parsed.results);
    }

    #[test]
    fn dropping_a_required_key_is_refused_by_both((entry, response) in arb_response(), which in any::<prop::sample::Index>()) {
        let mut candidates: Vec<String> = ["id", "object", "type", "model", "status", "progress", "created"].iter().map(|k| format!("/{k}")).collect();
        for (i, item) in response["results"].as_array().expect("array").iter().enumerate() {
            let shape = entry.shape_of(item).expect("generated with a known shape");
            let schema = &defs()[shape.title()];
            for key in schema["required"].as_array().into_iter().flatten().filter_map(Value::as_str) {
                candidates.push(format!("/results/{i}/{key}"));
            }
        }
        let pointer = which.get(&candidates).clone();
        let (parent, key) = pointer.rsplit_once('/').expect("pointer");
        let mut mutated = response.clone();
        mutated.pointer_mut(if parent.is_empty() { "" } else { parent }).and_then(Value::as_object_mut).expect("object").remove(key);
        assert_refused(&mutated, &format!("without {pointer}"));
        prop_assert!(serde_refuses(&mutated), "the generated types accepted a response without {}", pointer);
    }

    #[test]
    fn a_wrong_json_type_is_refused_by_both((_entry, response) in arb_response(), key in prop::sample::select(vec!["id", "model", "status", "progress", "created", "results", "object"])) {
        let mut mutated = response.clone();
        mutated[key] = match &response[key] { Value::String(_) => json!(7), _ => json!({"wrong": true}) };
        assert_refused(&mutated, &format!("{key} of the wrong type"));
        prop_assert!(serde_refuses(&mutated), "the generated types accepted {} of the wrong type", key);
    }

    #[test]
    fn a_value_out_of_range_is_refused((_entry, response) in arb_response(), progress in prop_oneof![101i64..10_000, -10_000i64..0], created in i64::MIN..0) {
        let mut mutated = response.clone();
        mutated["progress"] = json!(progress);
        assert_refused(&mutated, "progress out of range");
        let mut mutated = response;
        mutated["created"] = json!(created);
        assert_refused(&mutated, "created negative");
    }

    #[test]
    fn a_language_probability_out_of_range_is_refused(p in prop_oneof![1.0001f64..1e6, -1e6f64..-0.0001]) {
        let response = json!({
            "id": "task-unified-1-abcdefgh", "object": "audio.generation.task", "type": "audio", "model": "scribe-v2",
            "status": "completed", "progress": 100, "created": 1,
            "results": [{"text": "hi", "language_code": "eng", "language_probability": p, "words": []}]
        });
        assert_refused(&response, "language_probability");
    }

    #[test]
    fn a_broken_const_is_refused_by_both((entry, response) in arb_response(), junk in "[a-z_.]{1,12}") {
        let mut mutated = response.clone();
        let mut broke = false;
        for item in mutated["results"].as_array_mut().expect("array") {
            let shape = entry.shape_of(item).expect("known shape");
            if let Some(props) = defs()[shape.title()]["properties"].as_object() {
                for (key, s) in props {
                    if let Some(c) = s.get("const") {
                        if c != &json!(junk) {
                            item[key] = json!(junk);
                            broke = true;
                        }
                    }
                }
            }
        }
        prop_assume!(broke, "this shape has no const");
        assert_refused(&mutated, "a broken const");
        prop_assert!(serde_refuses(&mutated), "the generated types accepted a broken const");
    }

    #[test]
    fn a_model_given_another_models_shape_is_refused(((entry, response), (other, other_response)) in (arb_response(), arb_response())) {
        prop_assume!(entry.shapes != other.shapes);
        let mut mutated = response.clone();
        mutated["results"] = other_response["results"].clone();
        // Only where the borrowed items lack a key the entry's shapes require (or break its discriminator).
        let lacks = other_response["results"].as_array().expect("array").iter().any(|item| match entry.shape_of(item) {
            Err(_) => true,
            Ok(shape) => defs()[shape.title()]["required"].as_array().into_iter().flatten().filter_map(Value::as_str).any(|k| item.get(k).is_none())
                || defs()[shape.title()]["properties"].as_object().is_some_and(|p| p.iter().any(|(k, s)| s.get("const").is_some_and(|c| item.get(k).is_some_and(|v| v != c)))),
        });
        prop_assume!(lacks);
        assert_refused(&mutated, &format!("{} given {} items", entry.key, other.key));
    }

    #[test]
    fn a_nested_rule_broken_at_depth_is_refused_by_both((entry, response) in arb_response(), which in any::<prop::sample::Index>()) {
        let mut rules = Vec::new();
        for (i, item) in response["results"].as_array().expect("array").iter().enumerate() {
            let shape = entry.shape_of(item).expect("generated with a known shape");
            let schema = json!({"$ref": format!("#/$defs/{}", shape.title())});
            nested_rules(item, &schema, &format!("/results/{i}"), &mut rules);
        }
        // Below the item itself: the item's own keys are the other properties' business.
        rules.retain(|r| match r {
            Nested::Required { pointer, .. } | Nested::Typed { pointer, .. } => pointer.matches('/').count() > 2,
        });
        prop_assume!(!rules.is_empty(), "no nested rule in this response");
        let rule = which.get(&rules).clone();
        let mut mutated = response.clone();
        let what = match &rule {
            Nested::Required { pointer, key } => {
                mutated.pointer_mut(pointer).and_then(Value::as_object_mut).expect("an object").remove(key);
                format!("{pointer} without {key}")
            }
            Nested::Typed { pointer, ty } => {
                *mutated.pointer_mut(pointer).expect("present") = of_another_type(ty);
                format!("{pointer} not of type {ty}")
            }
        };
        assert_refused(&mutated, &what);
        prop_assert!(serde_refuses(&mutated), "the generated types accepted {}", what);
    }

    #[test]
    fn arbitrary_bytes_get_a_verdict_without_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let report = Contract::global().validate(&bytes);
        prop_assert!(report.errors.iter().all(|e| !e.message.is_empty()), "{:#?}", report.errors);
        prop_assert!(!report.errors.iter().any(|e| e.rule == Rule::ContractBug), "{:#?}", report.errors);
        prop_assert_eq!(report.is_valid(), Contract::global().parse(&bytes).is_ok());
    }

    #[test]
    fn arbitrary_json_gets_a_verdict_and_the_schema_never_accepts_what_the_types_refuse(value in arb_json()) {
        let report = Contract::global().validate_value(&value);
        prop_assert!(!report.errors.iter().any(|e| e.rule == Rule::ContractBug), "{:#?}\n{value}", report.errors);
        if report.is_valid() {
            prop_assert!(Contract::global().parse_value(&value).is_ok());
        }
    }

    #[test]
    fn mutated_valid_responses_never_split_the_schema_and_the_types((_entry, response) in arb_response(), pointer_pick in any::<prop::sample::Index>(), replacement in arb_json_leaf()) {
        let mut pointers = Vec::new();
        collect_pointers(&response, String::new(), &mut pointers);
        let pointer = pointer_pick.get(&pointers).clone();
        let mut mutated = response;
        if let Some(slot) = mutated.pointer_mut(&pointer) {
            *slot = replacement;
        }
        let report = Contract::global().validate_value(&mutated);
        prop_assert!(!report.errors.iter().any(|e| e.rule == Rule::ContractBug), "{:#?}\n{mutated}", report.errors);
    }
}

/// A place below a results item where a rule of a nested shape applies.
#[derive(Clone, Debug)]
enum Nested {
    /// `key` is required in the object at `pointer`.
    Required { pointer: String, key: String },
    /// The value at `pointer` must have the JSON type `ty`.
    Typed { pointer: String, ty: String },
}

/// The schema a value meets: through `$ref`, and for a nullable `anyOf` the branch of the
/// value's JSON type.
fn schema_for<'a>(schema: &'a Value, value: &Value) -> &'a Value {
    let schema = resolve(schema);
    match schema.get("anyOf").and_then(Value::as_array) {
        Some(branches) if !value.is_null() => {
            let mut others = branches
                .iter()
                .map(resolve)
                .filter(|b| b.get("type") != Some(&json!("null")));
            match (others.next(), others.next()) {
                (Some(only), None) => only,
                // A union of several types (a duration): no single type to break.
                _ => schema,
            }
        }
        _ => schema,
    }
}

/// Every nested rule of `schema` that `value` meets, with where: required keys of objects and
/// single JSON types of declared keys, at every depth.
fn nested_rules(value: &Value, schema: &Value, at: &str, out: &mut Vec<Nested>) {
    let schema = schema_for(schema, value);
    match value {
        Value::Object(map) => {
            for key in schema["required"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
            {
                out.push(Nested::Required {
                    pointer: at.to_string(),
                    key: key.to_string(),
                });
            }
            if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
                for (key, child) in map {
                    if let Some(child_schema) = properties.get(key) {
                        let pointer = format!("{at}/{key}");
                        let resolved = schema_for(child_schema, child);
                        if let Some(Value::String(ty)) = resolved.get("type") {
                            if resolved.get("const").is_none() {
                                out.push(Nested::Typed {
                                    pointer: pointer.clone(),
                                    ty: ty.clone(),
                                });
                            }
                        }
                        nested_rules(child, child_schema, &pointer, out);
                    }
                }
            }
        }
        Value::Array(items) => {
            if let Some(item_schema) = schema.get("items") {
                for (i, item) in items.iter().enumerate() {
                    let pointer = format!("{at}/{i}");
                    if let Some(Value::String(ty)) = schema_for(item_schema, item).get("type") {
                        out.push(Nested::Typed {
                            pointer: pointer.clone(),
                            ty: ty.clone(),
                        });
                    }
                    nested_rules(item, item_schema, &pointer, out);
                }
            }
        }
        _ => {}
    }
}

/// A value of another JSON type than `ty`.
fn of_another_type(ty: &str) -> Value {
    match ty {
        "string" => json!({"wrong": true}),
        "object" | "array" => json!("wrong"),
        _ => json!("7"),
    }
}

fn collect_pointers(value: &Value, at: String, out: &mut Vec<String>) {
    out.push(at.clone());
    match value {
        Value::Object(map) => map
            .iter()
            .for_each(|(k, v)| collect_pointers(v, format!("{at}/{k}"), out)),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .for_each(|(i, v)| collect_pointers(v, format!("{at}/{i}"), out)),
        _ => {}
    }
}

fn arb_json_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        (0u8..=100).prop_map(|n| json!(f64::from(n))),
        "[ -~]{0,12}".prop_map(Value::String),
        prop::sample::select(vec![
            "completed",
            "failed",
            "pending",
            "image",
            "video",
            "https://x.example/a.png",
            "task-1"
        ])
        .prop_map(|s| json!(s)),
    ]
}

fn arb_json() -> impl Strategy<Value = Value> {
    let keys = prop::sample::select(vec![
        "id", "object", "type", "model", "status", "progress", "created", "results", "error",
        "usage", "url", "seed", "voice_id", "message", "x",
    ]);
    arb_json_leaf().prop_recursive(4, 32, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(keys.clone(), inner, 0..8).prop_map(|m| Value::Object(
                m.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
            )),
        ]
    })
}

/// The generator reaches the nested items the properties above are about: tool calls,
/// logprobs with their alternatives, words with and without times, characters.
#[test]
fn the_generator_reaches_nested_items() {
    use proptest::strategy::ValueTree;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let mut seen = std::collections::BTreeSet::new();
    let wanted = [
        "tool_calls/0/function",
        "top_logprobs/0/logprob",
        "characters/0/text",
        "word without start",
        "word with start",
    ];
    for _ in 0..2_000 {
        let (_, response) = arb_response()
            .new_tree(&mut runner)
            .expect("a response")
            .current();
        let mut pointers = Vec::new();
        collect_pointers(&response, String::new(), &mut pointers);
        for want in &wanted[..3] {
            if pointers.iter().any(|p| p.ends_with(want)) {
                seen.insert(*want);
            }
        }
        for item in response["results"].as_array().into_iter().flatten() {
            for word in item["words"].as_array().into_iter().flatten() {
                seen.insert(if word.get("start").is_some() {
                    "word with start"
                } else {
                    "word without start"
                });
            }
        }
        if seen.len() == wanted.len() {
            return;
        }
    }
    panic!(
        "the generator never reached {:?}",
        wanted
            .iter()
            .filter(|w| !seen.contains(*w))
            .collect::<Vec<_>>()
    );
}
