//! The OpenAPI 3.1 description of the FoxAPI task API, for the tools of other languages
//! (Schemathesis, Prism, openapi-typescript, openapi-python-client).
//!
//! One source: the document is generated from the schemas the crate already assembles
//! ([`CONTRACT_SCHEMA`] or [`STRICT_SCHEMA`], and [`ERROR_BODY_SCHEMA`]) and the registry
//! tables ([`crate::model`]). OpenAPI 3.1 takes their JSON Schema 2020-12 as it is: every
//! `$defs` entry becomes a component, `#/$defs/X` references become
//! `#/components/schemas/X`, and the 200 envelope (`TaskEnvelope`: `allOf` the `Task`
//! and the contract's `if`/`then` rules) keeps the contract's rules, so `results` are dispatched by `model`, then `type`, then
//! `object` exactly as the contract does.
//!
//! One rule is carried as an extension rather than as schemas: the nesting limit of spec
//! section 5 (arrays and objects at most 128 levels deep). The contract states it as a chain
//! of 129 definitions, each nesting the previous one; mock servers and generators expand
//! such a chain and never finish, so the document gives the limit as `x-max-depth` on the
//! envelope and leaves the chain out. `foxapi-contract validate` enforces it all the same.
//!
//! ```
//! let document = foxapi_contract::openapi::document(false);
//! assert_eq!(document["openapi"], "3.1.0");
//! assert!(document["paths"]["/v1/tasks/{task_id}"]["get"]["responses"]["429"].is_object());
//! ```

mod expressible;

pub use expressible::{check_dir, check_schema, is_component_name, Inexpressible, RESERVED};

use crate::{model, CONTRACT_SCHEMA, ERROR_BODY_SCHEMA, STRICT_SCHEMA};
use serde_json::{json, Map, Value};

/// The submit routes the mock serves, `POST /v1/{route}/generations`, and the output type
/// each creates.
pub const SUBMIT_ROUTES: &[(&str, &str)] = &[
    ("images", "image"),
    ("videos", "video"),
    ("audios", "audio"),
    ("llm", "llm"),
];

/// The non-2xx statuses of spec section 4: code, component name, and when FoxAPI answers it.
pub const ERROR_STATUSES: &[(u16, &str, &str)] = &[
    (400, "BadRequest", "The request is malformed: a parameter or the body is not what the route expects (`invalid_request_error`)."),
    (401, "Unauthorized", "No `Authorization: Bearer <API key>` header, or a key FoxAPI does not know (`authentication_error`)."),
    (402, "PaymentRequired", "The account has no credits left for this task (`insufficient_quota`)."),
    (404, "NotFound", "No task has this id, or no route this path (`not_found`)."),
    (422, "UnprocessableEntity", "The request is well-formed but cannot be carried out, such as a model FoxAPI cannot run here (`invalid_request_error`)."),
    (429, "TooManyRequests", "Too many requests (`rate_limit_error`); may carry `Retry-After`. Poll every 5 to 10 s and never retry a paid submit blindly."),
    (500, "InternalServerError", "FoxAPI failed (`server_error`); retry later."),
    (503, "ServiceUnavailable", "FoxAPI or the upstream is unavailable (`service_unavailable_error`); retry later."),
];

/// The schemas the document is made from, parsed.
fn sources(strict: bool) -> (Value, Value) {
    let contract = if strict {
        STRICT_SCHEMA
    } else {
        CONTRACT_SCHEMA
    };
    (
        serde_json::from_str(contract).expect("tested: the contract schemas are JSON"),
        serde_json::from_str(ERROR_BODY_SCHEMA).expect("tested: the error body schema is JSON"),
    )
}

/// Everything in the assembled schemas of this variant that OpenAPI 3.1 cannot carry, each
/// naming the assembled schema and the pointer. `foxapi-contract schema --openapi` runs it
/// first and prints no document when it finds anything; the build and the tests run
/// [`check_dir`] on schema/ itself, which names the source file.
pub fn check(strict: bool) -> Result<(), Vec<Inexpressible>> {
    let (contract, error_body) = sources(strict);
    let name = if strict {
        "contract.strict.schema.json"
    } else {
        "contract.schema.json"
    };
    let mut found = check_schema(name, &contract);
    found.extend(check_schema("error-body.schema.json", &error_body));
    if found.is_empty() {
        Ok(())
    } else {
        Err(found)
    }
}

/// The OpenAPI 3.1 document of the task API: `GET /v1/tasks/{task_id}` and the submit routes,
/// bearer security, the 200 envelope and the section 4 error answers. `strict` takes the
/// strict contract's schemas (closed sets, no undeclared keys, the advisories), as
/// `validate --strict` does.
///
/// What [`check`] refuses is carried over as found; the command line prints no document then.
pub fn document(strict: bool) -> Value {
    let (contract, error_body) = sources(strict);
    let mut defs = contract
        .get("$defs")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    if let Some(error_defs) = error_body.get("$defs").and_then(Value::as_object) {
        for (name, schema) in error_defs {
            defs.entry(name.clone()).or_insert_with(|| schema.clone());
        }
    }
    let mut rules = contract
        .get("allOf")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut max_depth = None;
    rules.retain(|rule| match nesting_rule(rule, &defs) {
        Some((depth, chain)) => {
            max_depth = Some(depth);
            for name in chain {
                defs.remove(&name);
            }
            false
        }
        None => true,
    });
    for schema in defs.values_mut() {
        items_spelled_out(schema);
    }
    let task = contract
        .get("$ref")
        .cloned()
        .unwrap_or(json!("#/$defs/Task"));
    let error = error_body
        .get("$ref")
        .cloned()
        .unwrap_or(json!("#/$defs/ErrorBody"));

    let mut envelope = Map::new();
    envelope.insert("title".into(), json!("TaskEnvelope"));
    envelope.insert(
        "description".into(),
        json!(format!(
            "{} The shape of each `results` item is decided by `model`, then by `type`, then by `object`: the `allOf` rules below, and `x-foxapi-registry`.",
            contract.get("description").and_then(Value::as_str).unwrap_or_default()
        )),
    );
    // `allOf` [Task, rules...] rather than a `$ref` beside `allOf`: the same schema, which
    // code generators (openapi-python-client) read as the Task model with rules on top.
    rules.insert(0, json!({ "$ref": task }));
    envelope.insert("allOf".into(), Value::Array(rules));
    if let Some(depth) = max_depth {
        envelope.insert("x-max-depth".into(), json!(depth));
    }
    envelope.insert("x-foxapi-registry".into(), registry());
    defs.insert("TaskEnvelope".into(), Value::Object(envelope));
    defs.insert("SubmitRequest".into(), submit_request());

    let mut doc = json!({
        "openapi": "3.1.0",
        "info": info(strict),
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "servers": [{ "url": "https://api.foxapi.cc", "description": "FoxAPI" }],
        "security": [{ "bearer": [] }],
        "tags": [
            { "name": "tasks", "description": "Reading a task: status, progress, results." },
            { "name": "generations", "description": "Submitting a task." }
        ],
        "paths": paths(),
        "components": {
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "`Authorization: Bearer <API key>` on every request."
                }
            },
            "parameters": parameters(),
            "headers": {
                "Retry-After": {
                    "description": "Seconds to wait before the next request (spec section 4: a 429 may carry it).",
                    "required": false,
                    "schema": { "type": "integer", "minimum": 0 }
                }
            },
            "responses": responses(&error),
            "schemas": Value::Object(defs),
        }
    });
    to_components(&mut doc);
    doc
}

/// One results item per shape, as the mock completes tasks with (tested there to keep the
/// contract, strict included).
const SAMPLES: &str = include_str!("mock/samples.json");

/// Named envelopes that keep the contract, strict included: the documented pending task, a
/// failed task, and a completed task of every registry entry with one sample item of each of
/// its shapes. Prism answers with them in its static mode (`Prefer: example=NAME` picks one),
/// where its schema sampler would merge every `then` of the dispatch whatever its `if`.
fn envelope_examples() -> Map<String, Value> {
    let samples: Value = serde_json::from_str(SAMPLES).expect("tested: samples.json is JSON");
    let kind_of = |output_type: &str| {
        model::task_kinds()
            .iter()
            .find(|(_, t)| *t == output_type)
            .map_or("", |(kind, _)| *kind)
    };
    let usage = json!({ "credits_reserved": 5, "user_group": "default" });
    let mut examples = Map::new();
    examples.insert("pending".into(), json!({
            "id": "task-unified-1757165031-uyujaw3d", "object": "video.generation.task", "type": "video",
            "model": "lipsync-2", "status": "pending", "progress": 0, "created": 1757165031,
            "results": null, "error": null, "usage": usage
        }));
    examples.insert("failed".into(), json!({
            "id": "task-unified-1757165031-f41l0001", "object": "image.generation.task", "type": "image",
            "model": "flux-1.1-pro", "status": "failed", "progress": 100, "created": 1757165031,
            "results": null,
            "error": { "message": "The prompt was rejected by the content policy.", "type": "task_error", "code": "content_policy_violation" },
            "usage": usage
        }));
    let by_model = model::models()
        .iter()
        .map(|e| (e, e.key, format!("completed-{}", e.key)));
    let by_type = model::output_types().iter().map(|e| {
        (
            e,
            "any-other-model",
            format!("completed-any-other-{}-model", e.key),
        )
    });
    for (n, (entry, model, name)) in by_model.chain(by_type).enumerate() {
        let results: Vec<Value> = entry
            .shapes
            .iter()
            .filter_map(|shape| samples.get(shape.name()).cloned())
            .collect();
        let prefix = if entry.output_type == "llm" {
            "task-llmrouter"
        } else {
            "task-unified"
        };
        examples.insert(
            name,
            json!({
                "id": format!("{prefix}-1757165031-ex{n:06}"),
                "object": kind_of(entry.output_type), "type": entry.output_type, "model": model,
                "status": "completed", "progress": 100, "created": 1757165031,
                "results": results, "error": null, "usage": usage
            }),
        );
    }
    examples
        .into_iter()
        .map(|(name, value)| (name, json!({ "value": value })))
        .collect()
}

fn info(strict: bool) -> Value {
    let variant = if strict {
        "This is the strict variant: known sets are closed, undeclared keys refused and the advisories of spec section 5 added, as `foxapi-contract validate --strict` holds responses."
    } else {
        "Unknown keys and values outside the known sets are allowed (FoxAPI grows them); `schema --openapi --strict` gives the variant that refuses them."
    };
    json!({
        "title": "FoxAPI task API",
        "version": env!("CARGO_PKG_VERSION"),
        "summary": "Submit AI generation tasks (image, video, audio, LLM) and poll them until completed or failed.",
        "description": format!(
            "The FoxAPI task contract as OpenAPI 3.1, generated by `foxapi-contract schema --openapi` from the crate's JSON Schemas (schema/) and its model registry: do not edit it by hand. {variant} Responses nested deeper than `x-max-depth` levels break the contract as well."
        ),
        "license": { "name": "MIT OR Apache-2.0", "identifier": "MIT OR Apache-2.0" }
    })
}

/// The registry tables, for readers and generators: which shape each model's results have,
/// which shape by type, and which type each task kind goes with.
fn registry() -> Value {
    let shapes = |entry: &model::Entry| -> Value {
        entry
            .shapes
            .iter()
            .map(|s| json!(format!("#/components/schemas/{}", s.title())))
            .collect()
    };
    let by_model: Map<String, Value> = model::models()
        .iter()
        .map(|e| {
            (
                e.key.to_string(),
                json!({ "type": e.output_type, "shapes": shapes(e) }),
            )
        })
        .collect();
    let by_type: Map<String, Value> = model::output_types()
        .iter()
        .map(|e| (e.key.to_string(), json!({ "shapes": shapes(e) })))
        .collect();
    let task_kinds: Map<String, Value> = model::task_kinds()
        .iter()
        .map(|(kind, output_type)| (kind.to_string(), json!(output_type)))
        .collect();
    json!({ "by_model": by_model, "by_type": by_type, "task_kinds": task_kinds })
}

fn submit_request() -> Value {
    json!({
        "title": "SubmitRequest",
        "description": "A new task: the `model` to run, and that model's own parameters (prompt, image URLs, ...), which FoxAPI passes on.",
        "type": "object",
        "required": ["model"],
        "properties": {
            "model": {
                "description": "The model to run; a model of the registry must belong to the route's output type.",
                "type": "string",
                "pattern": "\\S"
            }
        }
    })
}

fn parameters() -> Value {
    json!({
        "TaskId": {
            "name": "task_id",
            "in": "path",
            "required": true,
            "description": "The id returned when the task was submitted: `task-unified-<unix>-<8 chars>` for media tasks, `task-llmrouter-...` or `task-llm-...` for LLM tasks.",
            "schema": { "type": "string", "minLength": 1 },
            "example": "task-unified-1757165031-uyujaw3d"
        },
        "SyncUpstream": {
            "name": "sync_upstream",
            "in": "query",
            "required": false,
            "description": "Refresh the upstream state once before answering; only a running task that already has an upstream task changes.",
            "schema": { "type": "boolean" }
        }
    })
}

fn responses(error: &Value) -> Value {
    let mut all = Map::new();
    for (status, name, description) in ERROR_STATUSES {
        let mut response = json!({
            "description": format!("{status}: {description} The body of every non-2xx answer (spec section 4)."),
            "content": { "application/json": { "schema": { "$ref": error } } }
        });
        if *status == 429 {
            response["headers"] =
                json!({ "Retry-After": { "$ref": "#/components/headers/Retry-After" } });
        }
        all.insert((*name).to_string(), response);
    }
    Value::Object(all)
}

/// The error answers every operation may give.
fn error_answers() -> Map<String, Value> {
    ERROR_STATUSES
        .iter()
        .map(|(status, name, _)| {
            (
                status.to_string(),
                json!({ "$ref": format!("#/components/responses/{name}") }),
            )
        })
        .collect()
}

fn envelope_answer(description: &str, examples: Map<String, Value>) -> Value {
    json!({
        "description": description,
        "content": { "application/json": {
            "schema": { "$ref": "#/$defs/TaskEnvelope" },
            "examples": examples
        } }
    })
}

fn paths() -> Value {
    let mut paths = Map::new();
    let mut get = error_answers();
    get.insert(
        "200".into(),
        envelope_answer(
            "The task: status, progress, and once completed its results, shaped by its model.",
            envelope_examples(),
        ),
    );
    paths.insert(
        "/v1/tasks/{task_id}".into(),
        json!({ "get": {
            "operationId": "getTask",
            "tags": ["tasks"],
            "summary": "Get a task",
            "description": "The task's state. Lifecycle: pending, processing, then completed or failed. A completed task without results yet is not over: query it again (spec section 2).",
            "parameters": [
                { "$ref": "#/components/parameters/TaskId" },
                { "$ref": "#/components/parameters/SyncUpstream" }
            ],
            "responses": get
        }}),
    );
    for (route, output_type) in SUBMIT_ROUTES {
        let mut answers = error_answers();
        answers.insert(
            "200".into(),
            envelope_answer(
                &format!("The new {output_type} task, pending (with `task_info`); poll it at `GET /v1/tasks/{{task_id}}`."),
                envelope_examples().into_iter().filter(|(name, _)| name == "pending").collect(),
            ),
        );
        let examples: Map<String, Value> = model::models()
            .iter()
            .filter(|e| e.output_type == *output_type)
            .map(|e| (e.key.to_string(), json!({ "value": { "model": e.key } })))
            .collect();
        // A model of the registry runs on its own type's route only (400 elsewhere).
        let elsewhere: Vec<&str> = model::models()
            .iter()
            .filter(|e| e.output_type != *output_type)
            .map(|e| e.key)
            .collect();
        let mut media = json!({ "schema": {
            "$ref": "#/$defs/SubmitRequest",
            "properties": { "model": {
                "description": format!("Any model of type {output_type}: a model of the registry of another type is refused (400)."),
                "not": { "enum": elsewhere }
            } }
        } });
        if !examples.is_empty() {
            media["examples"] = Value::Object(examples);
        }
        let mut operation_id = String::from("submit");
        operation_id.push_str(&output_type[..1].to_uppercase());
        operation_id.push_str(&output_type[1..]);
        operation_id.push_str("Task");
        paths.insert(
            format!("/v1/{route}/generations"),
            json!({ "post": {
                "operationId": operation_id,
                "tags": ["generations"],
                "summary": format!("Submit {} {output_type} task", article(output_type)),
                "description": format!("Starts {} {output_type} generation task with the body's `model`. A paid call: never retry it blindly.", article(output_type)),
                "requestBody": { "required": true, "content": { "application/json": media } },
                "responses": answers
            }}),
        );
    }
    Value::Object(paths)
}

/// `an` before an output type that sounds with a vowel (`an image`, `an LLM`), else `a`.
fn article(output_type: &str) -> &'static str {
    if output_type.starts_with(['a', 'e', 'i', 'o', 'u']) || output_type == "llm" {
        "an"
    } else {
        "a"
    }
}

/// The nesting rule of the contract, if `rule` is it: a bare reference to a chain of
/// definitions, each holding its items and property values to the next, down to one of
/// scalars. Its depth, and the chain's names.
fn nesting_rule(rule: &Value, defs: &Map<String, Value>) -> Option<(usize, Vec<String>)> {
    let map = rule.as_object()?;
    if map.keys().any(|k| k != "$ref" && k != "description") {
        return None;
    }
    let mut name = map.get("$ref")?.as_str()?.strip_prefix("#/$defs/")?;
    let mut chain: Vec<String> = Vec::new();
    loop {
        if chain.len() > defs.len() {
            return None;
        }
        let def = defs.get(name)?.as_object()?;
        chain.push(name.to_string());
        match (def.get("items"), def.get("additionalProperties")) {
            (Some(items), Some(values)) if items == values && def.len() == 2 => {
                name = items.get("$ref")?.as_str()?.strip_prefix("#/$defs/")?;
            }
            (None, None) => {
                let types = def.get("type")?.as_array()?;
                let scalar = types.iter().all(|t| t != "array" && t != "object");
                return (scalar && def.len() == 1).then(|| (chain.len() - 1, chain));
            }
            _ => return None,
        }
    }
}

/// Gives every array schema without `items` an explicit `items: {}` (any item, as before):
/// the same schema, which code generators that want an item type (openapi-python-client)
/// can read.
fn items_spelled_out(value: &mut Value) {
    match value {
        Value::Object(map) => {
            let is_array = match map.get("type") {
                Some(Value::String(t)) => t == "array",
                Some(Value::Array(types)) => types.iter().any(|t| t == "array"),
                _ => false,
            };
            if is_array && !map.contains_key("items") && !map.contains_key("prefixItems") {
                map.insert("items".into(), json!({}));
            }
            for (key, v) in map.iter_mut() {
                if key == "properties" || key == "patternProperties" || key == "$defs" {
                    if let Value::Object(children) = v {
                        children.values_mut().for_each(items_spelled_out);
                    }
                } else if !matches!(
                    key.as_str(),
                    "enum" | "const" | "examples" | "default" | "if"
                ) {
                    items_spelled_out(v);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(items_spelled_out),
        _ => {}
    }
}

/// Rewrites every `#/$defs/X` reference to `#/components/schemas/X`; values (`enum`,
/// `const`, `examples`, `default`, parameter and media-type examples) are left as they are.
fn to_components(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                match key.as_str() {
                    "$ref" => {
                        if let Some(name) = v.as_str().and_then(|r| r.strip_prefix("#/$defs/")) {
                            *v = json!(format!("#/components/schemas/{name}"));
                        }
                    }
                    // Their keys are names (a property may be called `default`), their values schemas.
                    "properties" | "patternProperties" | "$defs" => {
                        if let Value::Object(children) = v {
                            children.values_mut().for_each(to_components);
                        }
                    }
                    "enum" | "const" | "examples" | "example" | "default" => {}
                    _ => to_components(v),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(to_components),
        _ => {}
    }
}
