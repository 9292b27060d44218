//! What a JSON Schema of schema/ may hold so that the OpenAPI document can carry it.
//!
//! OpenAPI 3.1 takes JSON Schema 2020-12 as it is, with three limits that matter here: a
//! schema becomes a component, whose name must match `^[a-zA-Z0-9._-]+$`; every reference
//! is rewritten from `#/$defs/Name` to `#/components/schemas/Name`, so a reference must name
//! a definition, and no subschema may move the base URI (`$id`) or resolve dynamically
//! (`$dynamicRef`, `$recursiveRef`), since the rewritten reference would then point
//! elsewhere; and the document's own components (the envelope, the submit request) take
//! some names.
//!
//! This file uses only `std` and `serde_json`, so that the build script can include it
//! (`#[path = "src/openapi/expressible.rs"] mod expressible;`) and refuse such a schema
//! before anything is generated; the crate runs the same check where it writes the document.

use serde_json::Value;
use std::fmt;
use std::path::Path;

/// The component names the OpenAPI document gives its own schemas; a `$defs` entry may not
/// take one.
pub const RESERVED: &[&str] = &["TaskEnvelope", "SubmitRequest"];

/// One place of a schema that the OpenAPI document cannot carry.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Inexpressible {
    /// The schema file (or assembled schema) it is in, such as `schema/task.schema.json`.
    pub file: String,
    /// The JSON pointer of the offending keyword or name within that file.
    pub pointer: String,
    /// What OpenAPI 3.1 expects there, and what was found.
    pub reason: String,
}

impl fmt::Display for Inexpressible {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {}: cannot be expressed in OpenAPI 3.1: {}",
            self.file, self.pointer, self.reason
        )
    }
}

impl std::error::Error for Inexpressible {}

/// Whether `name` may name an OpenAPI component (`^[a-zA-Z0-9._-]+$`).
pub fn is_component_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// One step of a JSON pointer, escaped (`~` as `~0`, `/` as `~1`).
fn step(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// Everything in `schema` (a file of schema/, or an assembled schema) that the OpenAPI
/// document cannot carry; `file` names it in each finding. Empty when all is well.
///
/// A file's root `title` names its component (schema files are pooled by title), so it is
/// held to the component-name rule too, as is every `$defs` key; the root's own `$id` and
/// `$schema` are dropped when files are pooled and are not findings.
pub fn check_schema(file: &str, schema: &Value) -> Vec<Inexpressible> {
    let mut found = Vec::new();
    let mut note = |pointer: String, reason: String| {
        found.push(Inexpressible {
            file: file.to_string(),
            pointer,
            reason,
        });
    };
    let names = |schema: &Value| -> Vec<String> {
        schema
            .get("$defs")
            .and_then(Value::as_object)
            .map(|defs| defs.keys().cloned().collect())
            .unwrap_or_default()
    };
    let mut defined = names(schema);
    let is_root_schema = schema.get("type").is_some() || schema.get("properties").is_some();
    if let (true, Some(Value::String(title))) = (is_root_schema, schema.get("title")) {
        defined.push(title.clone());
        name_rule(title, "/title".into(), &mut note);
    }
    for name in names(schema) {
        name_rule(&name, format!("/$defs/{}", step(&name)), &mut note);
    }
    if let Value::Object(root) = schema {
        let mut root = root.clone();
        root.remove("$id");
        root.remove("$schema");
        walk(&Value::Object(root), "", &mut note);
    }
    found
}

fn name_rule(name: &str, pointer: String, note: &mut impl FnMut(String, String)) {
    if !is_component_name(name) {
        note(
            pointer,
            format!("expected a component name matching ^[a-zA-Z0-9._-]+$, found {name:?}"),
        );
    } else if RESERVED.contains(&name) {
        note(
            pointer,
            format!("the name {name:?} is taken by the document's own component"),
        );
    }
}

/// Checks every keyword below the root.
fn walk(value: &Value, pointer: &str, note: &mut impl FnMut(String, String)) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                let here = format!("{pointer}/{}", step(key));
                match key.as_str() {
                    // Values, not schemas: a property may well be called `$id`.
                    "enum" | "const" | "examples" | "default" | "required" => continue,
                    "$ref" => ref_rule(v, &here, note),
                    "$id" => note(
                        here.clone(),
                        format!("expected no `$id` below a file's root (it moves the base URI every rewritten reference resolves against), found {v}"),
                    ),
                    "$dynamicRef" | "$recursiveRef" | "$dynamicAnchor" | "$recursiveAnchor" => note(
                        here.clone(),
                        format!("expected static references only (`#/$defs/Name`), found `{key}`"),
                    ),
                    "$schema" => note(
                        here.clone(),
                        format!("expected the dialect of the whole document, found a subschema declaring its own: {v}"),
                    ),
                    _ => {}
                }
                if key == "properties" || key == "$defs" || key == "patternProperties" {
                    // Their keys are names, not keywords.
                    if let Value::Object(children) = v {
                        for (name, child) in children {
                            walk(child, &format!("{here}/{}", step(name)), note);
                        }
                    }
                } else {
                    walk(v, &here, note);
                }
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                walk(v, &format!("{pointer}/{i}"), note);
            }
        }
        _ => {}
    }
}

/// A reference must name a definition: `#/$defs/Name`, or another schema file (`x.schema.json`,
/// `x.schema.json#/$defs/Name`), which pooling turns into `#/$defs/Name`.
fn ref_rule(target: &Value, pointer: &str, note: &mut impl FnMut(String, String)) {
    let Some(target) = target.as_str() else {
        note(
            pointer.to_string(),
            format!("expected a reference string, found {target}"),
        );
        return;
    };
    let (doc, fragment) = target.split_once('#').unwrap_or((target, ""));
    let ok = match fragment.strip_prefix("/$defs/") {
        Some(name) => is_component_name(name),
        None => fragment.is_empty() && doc.ends_with(".schema.json"),
    };
    if !ok {
        note(
            pointer.to_string(),
            format!("expected a reference to a definition (`#/$defs/Name`, Name matching ^[a-zA-Z0-9._-]+$, or a schema file), found {target:?}"),
        );
    }
}

/// Checks every `*.schema.json` file below `dir` (schema/) but `registry.schema.json` (the
/// schema of models.json, which the document does not carry), in path order; `Err` lists
/// every finding, each naming its file and pointer. A file that cannot be read or parsed is
/// left to the schema assembly, which reports it.
pub fn check_dir(dir: &Path) -> Result<(), Vec<Inexpressible>> {
    let mut files = Vec::new();
    collect(dir, &mut files);
    files.sort();
    let found: Vec<Inexpressible> = files
        .iter()
        .filter_map(|path| {
            let text = std::fs::read_to_string(path).ok()?;
            let schema: Value = serde_json::from_str(&text).ok()?;
            Some(check_schema(&path.display().to_string(), &schema))
        })
        .flatten()
        .collect();
    if found.is_empty() {
        Ok(())
    } else {
        Err(found)
    }
}

fn collect(dir: &Path, files: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
        if is_dir {
            collect(&path, files);
        } else if path.to_string_lossy().ends_with(".schema.json")
            && !path.ends_with("registry.schema.json")
        {
            files.push(path);
        }
    }
}
