//! Reads schema/ and assembles what the crate is built from: the pooled `$defs`, the
//! self-contained contract schema (errors), the strict schema (errors and warnings) and the
//! input of typify. Shared by build.rs alone; every failure names the file and the pointer.

use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

/// The draft every schema file must declare.
pub const DRAFT: &str = "https://json-schema.org/draft/2020-12/schema";
/// Where the assembled contract says it lives (an identifier, never fetched).
pub const CONTRACT_ID: &str = "https://schemas.foxapi-contract.dev/contract.schema.json";
/// Where the strict contract says it lives.
pub const STRICT_ID: &str = "https://schemas.foxapi-contract.dev/contract.strict.schema.json";

/// A failure to assemble, with the file and JSON pointer it concerns.
pub type Fail = String;

/// One shape of `results` items: a file of schema/results/.
#[derive(Debug, Clone)]
pub struct ShapeFile {
    /// The file name without `.schema.json`, as models.json names it (`seeded-video`).
    pub name: String,
    /// The schema's `title`, which becomes its `$defs` entry and its Rust type.
    pub title: String,
    /// The schema's description, for doc comments.
    pub description: String,
}

/// One entry of models.json, under `by_model` or `by_type`.
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

/// models.json, read and checked against the shape files.
#[derive(Debug, Clone)]
pub struct RegistryFile {
    /// Task kind (`object`) to the output type it must agree with.
    pub task_kinds: Vec<(String, String)>,
    /// Fallback shapes by output type.
    pub by_type: Vec<Entry>,
    /// Shapes by model, overriding the type.
    pub by_model: Vec<Entry>,
}

/// Everything read from schema/.
pub struct Sources {
    /// Every `$defs` entry of every file, and each file's root under its title, refs made local.
    pub defs: Map<String, Value>,
    /// The shape files, sorted by name.
    pub shapes: Vec<ShapeFile>,
    /// The model registry.
    pub registry: RegistryFile,
    /// The `allOf` entries of advisories.schema.json.
    pub advisories: Vec<Value>,
    /// Every file read, for rerun-if-changed.
    pub files: Vec<PathBuf>,
}

fn read_json(path: &Path) -> Result<Value, Fail> {
    let text =
        fs::read_to_string(path).map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| {
        format!(
            "{}:{}:{}: not JSON: {e}",
            path.display(),
            e.line(),
            e.column()
        )
    })
}

fn str_at<'a>(v: &'a Value, key: &str, path: &Path) -> Result<&'a str, Fail> {
    v.get(key).and_then(Value::as_str).ok_or_else(|| {
        format!(
            "{}: /{key}: expected a string, found {:?}",
            path.display(),
            v.get(key)
        )
    })
}

/// Rewrites every `$ref` below `value` to a local `#/$defs/Name`; `pointer` names the place
/// for errors.
fn localise_refs(
    value: &mut Value,
    file: &Path,
    pointer: &str,
    titles: &BTreeMap<String, String>,
) -> Result<(), Fail> {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(target)) = map.get("$ref") {
                let (doc, frag) = target.split_once('#').unwrap_or((target.as_str(), ""));
                let local = if let Some(name) = frag.strip_prefix("/$defs/") {
                    if name.contains('/') {
                        return Err(format!(
                            "{}: {pointer}/$ref: expected `#/$defs/Name`, found {target:?}",
                            file.display()
                        ));
                    }
                    format!("#/$defs/{name}")
                } else if frag.is_empty() && !doc.is_empty() {
                    let stem = Path::new(doc)
                        .file_name()
                        .and_then(|f| f.to_str())
                        .unwrap_or(doc);
                    let title = titles.get(stem).ok_or_else(|| {
                        format!(
                            "{}: {pointer}/$ref: {target:?} names no schema file",
                            file.display()
                        )
                    })?;
                    format!("#/$defs/{title}")
                } else {
                    return Err(format!("{}: {pointer}/$ref: expected `file#/$defs/Name` or `#/$defs/Name`, found {target:?}", file.display()));
                };
                map.insert("$ref".into(), Value::String(local));
            }
            for (k, v) in map.iter_mut() {
                localise_refs(v, file, &format!("{pointer}/{k}"), titles)?;
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter_mut().enumerate() {
                localise_refs(v, file, &format!("{pointer}/{i}"), titles)?;
            }
        }
        _ => {}
    }
    Ok(())
}

fn insert_def(
    defs: &mut Map<String, Value>,
    origin: &mut BTreeMap<String, String>,
    name: &str,
    schema: Value,
    file: &Path,
) -> Result<(), Fail> {
    if let Some(first) = origin.get(name) {
        return Err(format!(
            "{}: $defs name {name:?} is already defined in {first}: names are global",
            file.display()
        ));
    }
    origin.insert(name.to_string(), file.display().to_string());
    defs.insert(name.to_string(), schema);
    Ok(())
}

/// Reads the schema files below `dir` and pools their definitions.
pub fn read(dir: &Path) -> Result<Sources, Fail> {
    let mut files: Vec<PathBuf> = ["common", "task", "error"]
        .iter()
        .map(|n| dir.join(format!("{n}.schema.json")))
        .collect();
    let mut shape_paths: Vec<PathBuf> = fs::read_dir(dir.join("results"))
        .map_err(|e| format!("{}: cannot list: {e}", dir.join("results").display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with(".schema.json"))
        .collect();
    shape_paths.sort();
    files.extend(shape_paths.iter().cloned());

    let docs: Vec<(PathBuf, Value)> = files
        .iter()
        .map(|p| read_json(p).map(|v| (p.clone(), v)))
        .collect::<Result<_, _>>()?;
    let mut titles = BTreeMap::new();
    for (path, doc) in &docs {
        if doc.get("$schema").and_then(Value::as_str) != Some(DRAFT) {
            return Err(format!("{}: /$schema: expected {DRAFT:?}", path.display()));
        }
        let file = path.file_name().unwrap().to_string_lossy().to_string();
        titles.insert(file, str_at(doc, "title", path)?.to_string());
    }

    let mut defs = Map::new();
    let mut origin = BTreeMap::new();
    let mut shapes = Vec::new();
    for (path, mut doc) in docs {
        localise_refs(&mut doc, &path, "", &titles)?;
        let map = doc.as_object_mut().expect("checked: has a title");
        let title = str_at(&Value::Object(map.clone()), "title", &path)?.to_string();
        if let Some(Value::Object(nested)) = map.remove("$defs") {
            for (name, schema) in nested {
                insert_def(&mut defs, &mut origin, &name, schema, &path)?;
            }
        }
        map.remove("$schema");
        map.remove("$id");
        if map.contains_key("type") || map.contains_key("properties") {
            if shape_paths.contains(&path) {
                let name = path
                    .file_name()
                    .unwrap()
                    .to_string_lossy()
                    .trim_end_matches(".schema.json")
                    .to_string();
                let description = map
                    .get("description")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                shapes.push(ShapeFile {
                    name,
                    title: title.clone(),
                    description,
                });
            }
            insert_def(
                &mut defs,
                &mut origin,
                &title,
                Value::Object(map.clone()),
                &path,
            )?;
        }
    }

    let advisories_path = dir.join("advisories.schema.json");
    let mut advisories_doc = read_json(&advisories_path)?;
    localise_refs(&mut advisories_doc, &advisories_path, "", &titles)?;
    let advisories = advisories_doc
        .get("allOf")
        .and_then(Value::as_array)
        .cloned()
        .ok_or_else(|| {
            format!(
                "{}: /allOf: expected an array of rules",
                advisories_path.display()
            )
        })?;
    files.push(advisories_path);

    let registry_path = dir.join("models.json");
    let registry = read_registry(&registry_path, &shapes, &defs)?;
    files.push(registry_path);
    files.push(dir.join("registry.schema.json"));
    check_refs(&Value::Object(defs.clone()), &defs, "#/$defs")?;
    Ok(Sources {
        defs,
        shapes,
        registry,
        advisories,
        files,
    })
}

fn check_refs(value: &Value, defs: &Map<String, Value>, pointer: &str) -> Result<(), Fail> {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get("$ref") {
                let name = r.trim_start_matches("#/$defs/");
                if !defs.contains_key(name) {
                    return Err(format!(
                        "schema/: {pointer}/$ref: {r:?} names no definition"
                    ));
                }
            }
            for (k, v) in map {
                check_refs(v, defs, &format!("{pointer}/{k}"))?;
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                check_refs(v, defs, &format!("{pointer}/{i}"))?;
            }
        }
        _ => {}
    }
    Ok(())
}

fn read_entry(
    key: &str,
    v: &Value,
    path: &Path,
    pointer: &str,
    shapes: &[ShapeFile],
    defs: &Map<String, Value>,
) -> Result<Entry, Fail> {
    let results: Vec<String> = v
        .get("results")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .filter(|r: &Vec<String>| !r.is_empty())
        .ok_or_else(|| {
            format!(
                "{}: {pointer}/results: expected a non-empty array of shape names",
                path.display()
            )
        })?;
    for shape in &results {
        if !shapes.iter().any(|s| &s.name == shape) {
            return Err(format!(
                "{}: {pointer}/results: shape {shape:?} has no file schema/results/{shape}.schema.json",
                path.display()
            ));
        }
    }
    let discriminator = v
        .get("discriminator")
        .and_then(Value::as_str)
        .map(str::to_string);
    if results.len() > 1 {
        let tag = discriminator.as_deref().ok_or_else(|| {
            format!(
                "{}: {pointer}: several shapes need a `discriminator`",
                path.display()
            )
        })?;
        let mut seen = Vec::new();
        for shape in &results {
            let value = discriminator_value(shape, tag, shapes, defs).ok_or_else(|| {
                format!("{}: {pointer}/discriminator: shape {shape:?} has no required `const` property {tag:?}", path.display())
            })?;
            if seen.contains(&value) {
                return Err(format!(
                    "{}: {pointer}/discriminator: two shapes share {tag} = {value:?}",
                    path.display()
                ));
            }
            seen.push(value);
        }
    }
    Ok(Entry {
        key: key.to_string(),
        output_type: v.get("type").and_then(Value::as_str).map(str::to_string),
        shapes: results,
        discriminator,
        note: v
            .get("note")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
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

fn read_registry(
    path: &Path,
    shapes: &[ShapeFile],
    defs: &Map<String, Value>,
) -> Result<RegistryFile, Fail> {
    let doc = read_json(path)?;
    let section = |name: &str| {
        doc.get(name)
            .and_then(Value::as_object)
            .ok_or_else(|| format!("{}: /{name}: expected an object", path.display()))
    };
    let task_kinds = section("task_kinds")?
        .iter()
        .map(|(k, v)| {
            v.as_str()
                .map(|t| (k.clone(), t.to_string()))
                .ok_or_else(|| {
                    format!(
                        "{}: /task_kinds/{k}: expected an output type",
                        path.display()
                    )
                })
        })
        .collect::<Result<_, _>>()?;
    let by_type = section("by_type")?
        .iter()
        .map(|(k, v)| read_entry(k, v, path, &format!("/by_type/{k}"), shapes, defs))
        .collect::<Result<_, _>>()?;
    let by_model: Vec<Entry> = section("by_model")?
        .iter()
        .map(|(k, v)| read_entry(k, v, path, &format!("/by_model/{k}"), shapes, defs))
        .collect::<Result<_, _>>()?;
    for e in &by_model {
        if e.output_type.is_none() {
            return Err(format!(
                "{}: /by_model/{}/type: expected the output type",
                path.display(),
                e.key
            ));
        }
    }
    Ok(RegistryFile {
        task_kinds,
        by_type,
        by_model,
    })
}

/// The names of the open sets: `$defs` entries that are a string `enum`. A value outside one is
/// a warning, so the contract keeps their values as `examples` and the strict schema as `enum`.
pub fn open_sets(defs: &Map<String, Value>) -> Vec<(String, Vec<String>, String)> {
    defs.iter()
        .filter(|(_, s)| s.get("type") == Some(&json!("string")) && s.get("enum").is_some())
        .map(|(name, s)| {
            let values = s["enum"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect();
            let description = s
                .get("description")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            (name.clone(), values, description)
        })
        .collect()
}

fn shape_ref(shapes: &[ShapeFile], name: &str) -> Value {
    let title = &shapes
        .iter()
        .find(|s| s.name == name)
        .expect("checked when read")
        .title;
    json!({ "$ref": format!("#/$defs/{title}") })
}

/// The schema of one results item for a registry entry: a `$ref`, or for several shapes a
/// chain of if/then on the discriminator, so an error names the branch that applied.
fn item_schema(entry: &Entry, sources: &Sources) -> Value {
    if entry.shapes.len() == 1 {
        return shape_ref(&sources.shapes, &entry.shapes[0]);
    }
    let tag = entry.discriminator.as_deref().expect("checked when read");
    let values: Vec<String> = entry
        .shapes
        .iter()
        .map(|s| {
            discriminator_value(s, tag, &sources.shapes, &sources.defs).expect("checked when read")
        })
        .collect();
    let mut branches: Vec<Value> = entry
        .shapes
        .iter()
        .zip(&values)
        .map(|(shape, value)| {
            json!({
                "if": { "required": [tag], "properties": { tag: { "const": value } } },
                "then": shape_ref(&sources.shapes, shape)
            })
        })
        .collect();
    branches.push(json!({ "required": [tag], "properties": { tag: { "enum": values } } }));
    json!({ "type": "object", "allOf": branches })
}

/// Where the results rule of each registry entry stands in the contract's `allOf`:
/// `{"model:<name>": index, "type:<type>": index}`. The crate evaluates only the rule of the
/// entry a response's model (or type) picks, instead of all of them.
pub fn dispatch(sources: &Sources) -> Value {
    let reg = &sources.registry;
    let first = reg.task_kinds.len() + 1;
    let mut map = Map::new();
    for (i, entry) in reg.by_model.iter().enumerate() {
        map.insert(format!("model:{}", entry.key), json!(first + i));
    }
    for (i, entry) in reg.by_type.iter().enumerate() {
        map.insert(
            format!("type:{}", entry.key),
            json!(first + reg.by_model.len() + i),
        );
    }
    for (i, (object, _)) in by_object(reg).into_iter().enumerate() {
        map.insert(
            format!("object:{object}"),
            json!(first + reg.by_model.len() + reg.by_type.len() + i),
        );
    }
    Value::Object(map)
}

/// Each known task kind whose output type has a by-type entry, with that entry: the shape
/// when `type` is unknown and `object` decides (spec section 3).
fn by_object(reg: &RegistryFile) -> Vec<(&str, &Entry)> {
    reg.task_kinds
        .iter()
        .filter_map(|(object, output_type)| {
            let entry = reg.by_type.iter().find(|e| &e.key == output_type)?;
            Some((object.as_str(), entry))
        })
        .collect()
}

/// The strict-only rule that warns of results no rule could check: neither `model`, `type`
/// nor `object` is one the registry knows, so the items were held to no shape.
fn unchecked_results(sources: &Sources) -> Value {
    let reg = &sources.registry;
    let models: Vec<&str> = reg.by_model.iter().map(|e| e.key.as_str()).collect();
    let types: Vec<&str> = reg.by_type.iter().map(|e| e.key.as_str()).collect();
    let kinds: Vec<&str> = by_object(reg).into_iter().map(|(o, _)| o).collect();
    json!({
        "description": format!("{UNCHECKED_RULE}: neither `model`, `type` nor `object` is one the registry knows, so no rule could check the items"),
        "if": {
            "properties": {
                "model": { "not": { "enum": models } },
                "type": { "not": { "enum": types } },
                "object": { "not": { "enum": kinds } }
            }
        },
        "then": { "properties": { "results": { "not": { "type": "array", "minItems": 1 } } } }
    })
}

/// The start of the description of the rule that warns of unchecked results.
pub const UNCHECKED_RULE: &str = "results not checked";

/// The error rules of spec section 5 that tie fields together: object/type agreement,
/// failed-means-error, and the results shape by model, then by type.
fn rules(sources: &Sources) -> Vec<Value> {
    let reg = &sources.registry;
    let known_types: Vec<&str> = reg.task_kinds.iter().map(|(_, t)| t.as_str()).collect();
    let mut rules = Vec::new();
    for (object, output_type) in &reg.task_kinds {
        rules.push(json!({
            "description": format!("`object` {object} goes with `type` {output_type}"),
            "if": { "required": ["object", "type"], "properties": { "object": { "const": object }, "type": { "enum": known_types } } },
            "then": { "properties": { "type": { "const": output_type } } }
        }));
    }
    rules.push(json!({
        "description": "a failed task carries an error object with a message",
        "if": { "required": ["status"], "properties": { "status": { "const": "failed" } } },
        "then": { "required": ["error"], "properties": { "error": { "type": "object", "required": ["message"] } } }
    }));
    for entry in &reg.by_model {
        rules.push(json!({
            "description": format!("results of model {} are {}", entry.key, entry.shapes.join(" or ")),
            "if": { "required": ["model"], "properties": { "model": { "const": entry.key } } },
            "then": { "properties": { "results": { "items": item_schema(entry, sources) } } }
        }));
    }
    let models: Vec<&str> = reg.by_model.iter().map(|e| e.key.as_str()).collect();
    for entry in &reg.by_type {
        rules.push(json!({
            "description": format!("results of any other {} model are {}", entry.key, entry.shapes.join(" or ")),
            "if": {
                "required": ["model", "type"],
                "properties": { "model": { "not": { "enum": models } }, "type": { "const": entry.key } }
            },
            "then": { "properties": { "results": { "items": item_schema(entry, sources) } } }
        }));
    }
    let types: Vec<&str> = reg.by_type.iter().map(|e| e.key.as_str()).collect();
    for (object, entry) in by_object(reg) {
        rules.push(json!({
            "description": format!("results of a task whose `type` is unknown follow its `object` {object}: {}", entry.shapes.join(" or ")),
            "if": {
                "required": ["model", "object"],
                "properties": {
                    "model": { "not": { "enum": models } },
                    "type": { "not": { "enum": types } },
                    "object": { "const": object }
                }
            },
            "then": { "properties": { "results": { "items": item_schema(entry, sources) } } }
        }));
    }
    rules
}

/// Applies `f` to every schema object below `value` (every object, to be exact: the
/// transforms below only touch keywords that cannot be property names at that depth), but
/// not inside an `if`: a condition is matched as written, never closed or typed.
fn walk_schemas(value: &mut Value, f: &mut dyn FnMut(&mut Map<String, Value>)) {
    match value {
        Value::Object(map) => {
            f(map);
            for (key, v) in map.iter_mut() {
                if key == "properties" || key == "$defs" {
                    if let Value::Object(children) = v {
                        for child in children.values_mut() {
                            walk_schemas(child, f);
                        }
                    }
                } else if !matches!(
                    key.as_str(),
                    "enum" | "const" | "examples" | "required" | "if"
                ) {
                    walk_schemas(v, f);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| walk_schemas(v, f)),
        _ => {}
    }
}

/// Which of the two contracts to assemble.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Strictness {
    /// Errors only: open sets open, undeclared keys allowed, no advisories.
    Contract,
    /// Errors and warnings: open sets closed, undeclared keys refused, advisories added.
    Strict,
}

/// The self-contained schema of a task response.
pub fn contract(sources: &Sources, strictness: Strictness) -> Value {
    let mut defs = defs_for(sources, strictness);
    let mut all_of = rules(sources);
    let (id, title, description) = match strictness {
        Strictness::Contract => (
            CONTRACT_ID,
            "FoxAPI task contract",
            "A response of GET /v1/tasks/{task_id} that keeps the FoxAPI task contract: every error rule of the spec (section 5). Unknown keys and values outside the known sets are allowed; the strict schema reports them.",
        ),
        Strictness::Strict => {
            all_of.extend(sources.advisories.iter().cloned());
            all_of.push(unchecked_results(sources));
            (
                STRICT_ID,
                "FoxAPI task contract, strict",
                "The contract plus every warning rule of the spec (section 5): closed known sets, no undeclared keys, and the advisories.",
            )
        }
    };
    // Last, so the rules before it keep their indices: the nesting limit of section 5, which
    // the crate enforces while reading and other validators learn from this rule.
    all_of.push(json!({
        "description": format!("{DEPTH_RULE} {MAX_DEPTH} levels"),
        "$ref": format!("#/$defs/{DEPTH_DEF}{MAX_DEPTH}")
    }));
    defs.insert(
        format!("{DEPTH_DEF}0"),
        json!({ "type": ["null", "boolean", "number", "string"] }),
    );
    for level in 1..=MAX_DEPTH {
        let inner = json!({ "$ref": format!("#/$defs/{DEPTH_DEF}{}", level - 1) });
        defs.insert(
            format!("{DEPTH_DEF}{level}"),
            json!({ "items": inner, "additionalProperties": inner }),
        );
    }
    json!({
        "$schema": DRAFT,
        "$id": id,
        "title": title,
        "description": description,
        "$ref": "#/$defs/Task",
        "allOf": all_of,
        "$defs": defs,
    })
}

/// The deepest nesting of arrays and objects a response may have (spec section 5).
pub const MAX_DEPTH: usize = 128;
/// The start of the description of the nesting rule, the last entry of `allOf`.
pub const DEPTH_RULE: &str = "arrays and objects nest at most";
/// The `$defs` prefix of the nesting rule's chain: `NestedAtMost<N>` holds values nested at
/// most N levels.
pub const DEPTH_DEF: &str = "NestedAtMost";

/// The pooled definitions as a contract holds them: open sets keep their values as
/// `examples` (a new value is no error); the strict contract keeps them as `enum` and refuses
/// keys no schema declares.
fn defs_for(sources: &Sources, strictness: Strictness) -> Map<String, Value> {
    let mut defs = sources.defs.clone();
    match strictness {
        Strictness::Contract => {
            for (name, _, _) in open_sets(&defs) {
                let def = defs[&name]
                    .as_object_mut()
                    .expect("an open set is an object");
                let values = def.remove("enum").expect("an open set has an enum");
                def.insert("examples".into(), values);
            }
        }
        Strictness::Strict => {
            for def in defs.values_mut() {
                walk_schemas(def, &mut |schema| {
                    if schema.contains_key("properties")
                        && !schema.contains_key("additionalProperties")
                    {
                        schema.insert("additionalProperties".into(), Value::Bool(false));
                    }
                });
            }
        }
    }
    defs
}

/// The error body of a non-2xx answer (spec section 4), self-contained; its open sets open,
/// like the contract's.
pub fn error_body(sources: &Sources) -> Value {
    json!({
        "$schema": DRAFT,
        "$id": "https://schemas.foxapi-contract.dev/error-body.schema.json",
        "$ref": "#/$defs/ErrorBody",
        "$defs": defs_for(sources, Strictness::Contract),
    })
}

/// What typify is given: the pooled definitions without the keywords that generated types
/// do not enforce (validation comes first), integers as the crate's `Integer`, and nullable
/// unions in the order typify reads as `Option`.
pub fn typify_defs(sources: &Sources) -> Map<String, Value> {
    let mut defs = sources.defs.clone();
    for def in defs.values_mut() {
        walk_schemas(def, &mut |schema| {
            for keyword in [
                "format", "pattern", "minimum", "maximum", "examples", "$comment", "minItems",
                "if", "then", "else",
            ] {
                schema.remove(keyword);
            }
            // A string const becomes a one-value enum: typify makes it a closed enum, so the
            // typed parse refuses a broken const as the schema does.
            if let Some(Value::String(value)) = schema.remove("const") {
                schema.insert("type".into(), json!("string"));
                schema.insert("enum".into(), json!([value]));
            }
            match schema.get("type") {
                Some(Value::String(t)) if t == "integer" => {
                    schema.remove("type");
                    schema.insert("$ref".into(), json!("#/$defs/Integer"));
                }
                Some(Value::Array(types)) if types.iter().any(|t| t == "integer") => {
                    let nullable = types.iter().any(|t| t == "null");
                    schema.remove("type");
                    let mut branches = vec![json!({ "$ref": "#/$defs/Integer" })];
                    if nullable {
                        branches.push(json!({ "type": "null" }));
                    }
                    schema.insert("anyOf".into(), Value::Array(branches));
                }
                _ => {}
            }
            if let Some(Value::Array(branches)) = schema.get_mut("anyOf") {
                branches.sort_by_key(|b| b.get("type") == Some(&json!("null")));
                if branches.len() == 2 && branches[1].get("type") == Some(&json!("null")) {
                    // typify reads `anyOf [X, null]` as Option<X>
                } else {
                    let branches = schema.remove("anyOf").expect("present");
                    schema.insert("oneOf".into(), branches);
                }
            }
        });
    }
    defs.insert("Integer".into(), json!({ "type": "integer" }));
    defs
}
