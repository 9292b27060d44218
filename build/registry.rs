//! Reads `schema/models.json`, the model registry: first checked against
//! `schema/registry.schema.json` (every breach named by file and JSON pointer), then read into
//! typed structs that refuse unknown keys, then checked against the shape files.

use serde::Deserialize;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::path::Path;

use crate::bundle::{escape, read_json, Fail, ShapeFile};

/// models.json as written: the form `registry.schema.json` describes.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RegistryDoc {
    /// Where the file's schema is, for editors.
    #[serde(rename = "$schema")]
    #[allow(dead_code)]
    schema: Option<String>,
    /// Prose about the file.
    #[allow(dead_code)]
    description: Option<String>,
    /// Task kind (`object`) to output type. A `BTreeMap`: the generated tables and rules
    /// come out in name order, whatever the file's order.
    task_kinds: BTreeMap<String, String>,
    by_type: BTreeMap<String, EntryDoc>,
    by_model: BTreeMap<String, EntryDoc>,
}

/// One entry of models.json as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EntryDoc {
    #[serde(rename = "type")]
    output_type: Option<String>,
    results: Vec<String>,
    discriminator: Option<String>,
    #[serde(default)]
    note: String,
}

/// One entry of models.json, under `by_model` or `by_type`, checked against the shape files.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The model name, or the output type for a by-type entry.
    pub key: String,
    /// The output type a by-model entry belongs to.
    pub output_type: Option<String>,
    /// The shapes its results items may have.
    pub shapes: Vec<String>,
    /// With several shapes: the const property that tells them apart.
    pub discriminator: Option<String>,
    /// A line of prose for docs.
    pub note: String,
}

/// models.json, read and checked against its schema and the shape files.
#[derive(Debug, Clone)]
pub struct RegistryFile {
    /// Task kind (`object`) to the output type it must agree with, in name order.
    pub task_kinds: Vec<(String, String)>,
    /// Fallback shapes by output type, in name order.
    pub by_type: Vec<Entry>,
    /// Shapes by model, overriding the type, in name order.
    pub by_model: Vec<Entry>,
}

/// The most breaches of registry.schema.json one failure lists.
const MAX_LISTED: usize = 10;

/// Checks `registry` (read from `path`) against the registry schema `schema` (read from
/// `schema_path`): every breach, by the registry's file and JSON pointer, and the schema's.
pub fn check_form(
    registry: &Value,
    path: &Path,
    schema: &Value,
    schema_path: &Path,
) -> Result<(), Fail> {
    let validator = jsonschema::draft202012::options()
        .build(schema)
        .map_err(|e| format!("{}: not a usable schema: {e}", schema_path.display()))?;
    let breaches: Vec<String> = validator
        .iter_errors(registry)
        .take(MAX_LISTED)
        .map(|e| {
            let at = e.instance_path().as_str().to_string();
            format!(
                "{}: {}: {e} (by {}#{})",
                path.display(),
                if at.is_empty() { "/" } else { &at },
                schema_path.display(),
                e.schema_path().as_str()
            )
        })
        .collect();
    if breaches.is_empty() {
        Ok(())
    } else {
        Err(breaches.join("\n"))
    }
}

/// Reads the registry at `path`, checks its form against `schema_path`, and checks that every
/// shape it names has a file and every discriminator tells its shapes apart.
pub fn read(
    path: &Path,
    schema_path: &Path,
    shapes: &[ShapeFile],
    defs: &Map<String, Value>,
) -> Result<RegistryFile, Fail> {
    let value = read_json(path)?;
    check_form(&value, path, &read_json(schema_path)?, schema_path)?;
    let doc = RegistryDoc::deserialize(&value).map_err(|e| {
        format!(
            "{}: expected the form of {}: {e}",
            path.display(),
            schema_path.display()
        )
    })?;
    let by_type = doc
        .by_type
        .into_iter()
        .map(|(k, v)| entry(k, v, path, "/by_type", shapes, defs))
        .collect::<Result<_, _>>()?;
    let by_model: Vec<Entry> = doc
        .by_model
        .into_iter()
        .map(|(k, v)| entry(k, v, path, "/by_model", shapes, defs))
        .collect::<Result<_, _>>()?;
    for e in &by_model {
        if e.output_type.is_none() {
            return Err(format!(
                "{}: /by_model/{}/type: expected the output type, found none",
                path.display(),
                escape(&e.key)
            ));
        }
    }
    Ok(RegistryFile {
        task_kinds: doc.task_kinds.into_iter().collect(),
        by_type,
        by_model,
    })
}

fn entry(
    key: String,
    doc: EntryDoc,
    path: &Path,
    section: &str,
    shapes: &[ShapeFile],
    defs: &Map<String, Value>,
) -> Result<Entry, Fail> {
    let pointer = format!("{section}/{}", escape(&key));
    for (i, shape) in doc.results.iter().enumerate() {
        if !shapes.iter().any(|s| &s.name == shape) {
            return Err(format!(
                "{}: {pointer}/results/{i}: expected a shape with a file schema/results/{shape}.schema.json, found none",
                path.display()
            ));
        }
    }
    if doc.results.len() > 1 {
        let tag = doc.discriminator.as_deref().ok_or_else(|| {
            format!(
                "{}: {pointer}: several shapes need a `discriminator`, found none",
                path.display()
            )
        })?;
        let mut seen = Vec::new();
        for shape in &doc.results {
            let value = discriminator_value(shape, tag, shapes, defs).ok_or_else(|| {
                format!("{}: {pointer}/discriminator: expected shape {shape:?} to have a required `const` property {tag:?}, found none", path.display())
            })?;
            if seen.contains(&value) {
                return Err(format!(
                    "{}: {pointer}/discriminator: expected each shape to have its own {tag}, found two with {value:?}",
                    path.display()
                ));
            }
            seen.push(value);
        }
    }
    Ok(Entry {
        key,
        output_type: doc.output_type,
        shapes: doc.results,
        discriminator: doc.discriminator,
        note: doc.note,
    })
}

/// The `const` value of property `tag` in the shape named `shape`, if it is required.
pub fn discriminator_value(
    shape: &str,
    tag: &str,
    shapes: &[ShapeFile],
    defs: &Map<String, Value>,
) -> Option<String> {
    let title = &shapes.iter().find(|s| s.name == shape)?.title;
    let schema = defs.get(title)?;
    let required = schema.get("required")?.as_array()?.iter().any(|r| r == tag);
    let value = schema.get("properties")?.get(tag)?.get("const")?.as_str()?;
    required.then(|| value.to_string())
}
