//! Reads schema/ and assembles what the crate is built from: the pooled `$defs`, the
//! self-contained contract schema (errors), the strict schema (errors and warnings) and the
//! input of typify. Shared by build.rs alone; every failure names the file and the pointer.

use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

pub use crate::registry::{discriminator_value, Entry, RegistryFile};

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

/// A file of JSON; a failure names the file, line and column.
pub fn read_json(path: &Path) -> Result<Value, Fail> {
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
                            "{}: {pointer}/$ref: expected a schema file of schema/, found {target:?}, which names none",
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

/// Where a pooled definition was written: its file, and its pointer in that file (`/$defs/Name`,
/// or empty for a file's root).
type Origin = BTreeMap<String, (PathBuf, String)>;

fn insert_def(
    defs: &mut Map<String, Value>,
    origin: &mut Origin,
    name: &str,
    schema: Value,
    file: &Path,
    pointer: String,
) -> Result<(), Fail> {
    if let Some((first, _)) = origin.get(name) {
        return Err(format!(
            "{}: {pointer}: expected a $defs name of its own, found {name:?}, already defined in {}: names are global",
            file.display(),
            first.display()
        ));
    }
    origin.insert(name.to_string(), (file.to_path_buf(), pointer));
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
    let mut origin = Origin::new();
    let mut shapes = Vec::new();
    for (path, mut doc) in docs {
        localise_refs(&mut doc, &path, "", &titles)?;
        let map = doc.as_object_mut().expect("checked: has a title");
        let title = str_at(&Value::Object(map.clone()), "title", &path)?.to_string();
        if let Some(Value::Object(nested)) = map.remove("$defs") {
            for (name, schema) in nested {
                let pointer = format!("/$defs/{}", escape(&name));
                insert_def(&mut defs, &mut origin, &name, schema, &path, pointer)?;
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
                String::new(),
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

    for (name, (file, pointer)) in &origin {
        check_refs(&defs[name], &defs, file, pointer)?;
    }
    check_refs(
        &Value::Array(advisories.clone()),
        &defs,
        &advisories_path,
        "/allOf",
    )?;
    files.push(advisories_path);

    let registry_path = dir.join("models.json");
    let registry_schema = dir.join("registry.schema.json");
    let registry = crate::registry::read(&registry_path, &registry_schema, &shapes, &defs)?;
    files.push(registry_path);
    files.push(registry_schema);
    Ok(Sources {
        defs,
        shapes,
        registry,
        advisories,
        files,
    })
}

/// Checks that every `$ref` below `value` (written in `file` at `pointer`) names a pooled
/// definition.
fn check_refs(
    value: &Value,
    defs: &Map<String, Value>,
    file: &Path,
    pointer: &str,
) -> Result<(), Fail> {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get("$ref") {
                let name = r.trim_start_matches("#/$defs/");
                if !defs.contains_key(name) {
                    return Err(format!(
                        "{}: {pointer}/$ref: expected the name of a definition, found {r:?}, which names none",
                        file.display()
                    ));
                }
            }
            for (k, v) in map {
                check_refs(v, defs, file, &format!("{pointer}/{}", escape(k)))?;
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                check_refs(v, defs, file, &format!("{pointer}/{i}"))?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// A JSON pointer segment for `key`.
pub fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
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

/// The registry entry a results rule belongs to: how a response picks it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RuleKey {
    /// The entry of this model (`by_model`).
    Model(String),
    /// The entry of this output type (`by_type`), for a model without its own.
    Type(String),
    /// The by-type entry this task kind (`object`) goes with, when `type` is unknown.
    Object(String),
}

/// What a top-level rule of an assembled schema is for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RuleKind {
    /// An error rule of the envelope (object/type agreement, failed-means-error).
    Envelope,
    /// The error rule of the results items of one registry entry.
    Results(RuleKey),
    /// A warning rule: an advisory, or the rule on results no rule could check (strict only).
    Advisory,
    /// The nesting limit, which the crate enforces while reading.
    Depth,
}

/// One top-level rule of an assembled schema: what it is for, and its schema.
#[derive(Clone, Debug)]
pub struct Rule {
    /// What the rule is for.
    pub kind: RuleKind,
    /// The rule's schema, an entry of the top-level `allOf`.
    pub schema: Value,
}

impl Rule {
    fn new(kind: RuleKind, schema: Value) -> Rule {
        Rule { kind, schema }
    }

    /// The rule's `description`, or "" when it has none.
    pub fn description(&self) -> &str {
        self.schema
            .get("description")
            .and_then(Value::as_str)
            .unwrap_or_default()
    }
}

/// The error rules of spec section 5 that tie fields together: object/type agreement,
/// failed-means-error, and the results shape by model, then by type, then by task kind.
fn rules(sources: &Sources) -> Vec<Rule> {
    let reg = &sources.registry;
    let known_types: Vec<&str> = reg.task_kinds.iter().map(|(_, t)| t.as_str()).collect();
    let mut rules = Vec::new();
    for (object, output_type) in &reg.task_kinds {
        rules.push(Rule::new(RuleKind::Envelope, json!({
            "description": format!("`object` {object} goes with `type` {output_type}"),
            "if": { "required": ["object", "type"], "properties": { "object": { "const": object }, "type": { "enum": known_types } } },
            "then": { "properties": { "type": { "const": output_type } } }
        })));
    }
    rules.push(Rule::new(RuleKind::Envelope, json!({
        "description": "a failed task carries an error object with a message",
        "if": { "required": ["status"], "properties": { "status": { "const": "failed" } } },
        "then": { "required": ["error"], "properties": { "error": { "type": "object", "required": ["message"] } } }
    })));
    for entry in &reg.by_model {
        rules.push(Rule::new(RuleKind::Results(RuleKey::Model(entry.key.clone())), json!({
            "description": format!("results of model {} are {}", entry.key, entry.shapes.join(" or ")),
            "if": { "required": ["model"], "properties": { "model": { "const": entry.key } } },
            "then": { "properties": { "results": { "items": item_schema(entry, sources) } } }
        })));
    }
    let models: Vec<&str> = reg.by_model.iter().map(|e| e.key.as_str()).collect();
    for entry in &reg.by_type {
        rules.push(Rule::new(RuleKind::Results(RuleKey::Type(entry.key.clone())), json!({
            "description": format!("results of any other {} model are {}", entry.key, entry.shapes.join(" or ")),
            "if": {
                "required": ["model", "type"],
                "properties": { "model": { "not": { "enum": models } }, "type": { "const": entry.key } }
            },
            "then": { "properties": { "results": { "items": item_schema(entry, sources) } } }
        })));
    }
    let types: Vec<&str> = reg.by_type.iter().map(|e| e.key.as_str()).collect();
    for (object, entry) in by_object(reg) {
        rules.push(Rule::new(RuleKind::Results(RuleKey::Object(object.to_string())), json!({
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
        })));
    }
    rules
}

/// Every top-level rule of the contract (`Strictness::Contract`) or the strict contract, in
/// `allOf` order: the error rules, then (strict only) the advisories and the rule on unchecked
/// results, then the nesting rule. The rule table the crate is built with is this list, so an
/// index and its kind cannot disagree.
pub fn rule_list(sources: &Sources, strictness: Strictness) -> Vec<Rule> {
    let mut all = rules(sources);
    if strictness == Strictness::Strict {
        all.extend(
            sources
                .advisories
                .iter()
                .map(|a| Rule::new(RuleKind::Advisory, a.clone())),
        );
        all.push(Rule::new(RuleKind::Advisory, unchecked_results(sources)));
    }
    // Last, so the rules before it keep their indices: the nesting limit of section 5, which
    // the crate enforces while reading and other validators learn from this rule.
    all.push(Rule::new(
        RuleKind::Depth,
        json!({
            "description": format!("{DEPTH_RULE} {MAX_DEPTH} levels"),
            "$ref": format!("#/$defs/{}", depth_def(MAX_DEPTH))
        }),
    ));
    all
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

/// An assembled schema and its top-level rules, in `allOf` order.
pub struct Assembled {
    /// The self-contained schema.
    pub schema: Value,
    /// Its top-level rules: rule `i` is `schema["allOf"][i]`.
    pub rules: Vec<Rule>,
}

/// The self-contained schema of a task response, with its rules.
pub fn contract(sources: &Sources, strictness: Strictness) -> Assembled {
    let mut defs = defs_for(sources, strictness);
    let rules = rule_list(sources, strictness);
    let (id, title, description) = match strictness {
        Strictness::Contract => (
            CONTRACT_ID,
            "FoxAPI task contract",
            "A response of GET /v1/tasks/{task_id} that keeps the FoxAPI task contract: every error rule of the spec (section 5). Unknown keys and values outside the known sets are allowed; the strict schema reports them.",
        ),
        Strictness::Strict => (
            STRICT_ID,
            "FoxAPI task contract, strict",
            "The contract plus every warning rule of the spec (section 5): closed known sets, no undeclared keys, and the advisories.",
        ),
    };
    defs.insert(
        depth_def(0),
        json!({ "type": ["null", "boolean", "number", "string"] }),
    );
    for level in 1..=MAX_DEPTH {
        let inner = json!({ "$ref": format!("#/$defs/{}", depth_def(level - 1)) });
        defs.insert(
            depth_def(level),
            json!({ "items": inner, "additionalProperties": inner }),
        );
    }
    let all_of: Vec<Value> = rules.iter().map(|r| r.schema.clone()).collect();
    Assembled {
        schema: json!({
            "$schema": DRAFT,
            "$id": id,
            "title": title,
            "description": description,
            "$ref": "#/$defs/Task",
            "allOf": all_of,
            "$defs": defs,
        }),
        rules,
    }
}

/// The deepest nesting of arrays and objects a response may have (spec section 5).
pub const MAX_DEPTH: usize = 128;
/// The start of the description of the nesting rule.
pub const DEPTH_RULE: &str = "arrays and objects nest at most";

/// The `$defs` name of link `level` of the nesting rule's chain: `NestedAtMost<N>` holds values
/// nested at most N levels.
pub fn depth_def(level: usize) -> String {
    format!("NestedAtMost{level}")
}

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
