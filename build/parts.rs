//! The parts the crate compiles of each assembled schema, cut at build time so that start-up
//! parses only what it compiles: the envelope (the schema with its results and nesting rules
//! left as `true`), and for each results rule its condition and its item schema, each
//! self-contained with only the definitions it reaches. Also the descriptions of the schema
//! nodes whose `pattern` or `format` an error message words.

use crate::bundle::{depth_def, Assembled, RuleKey, RuleKind, MAX_DEPTH};
use serde_json::{Map, Value};

/// One results rule, cut out.
pub struct EntryPart {
    /// The rule's position in the schema's `allOf`.
    pub index: usize,
    /// The registry entry it belongs to.
    pub key: RuleKey,
    /// Its `if`, with the dialect, as JSON text.
    pub condition: String,
    /// Which of [`Parts::items`] is its item schema.
    pub items: usize,
}

/// The parts of one assembled schema.
pub struct Parts {
    /// The envelope schema, as JSON text.
    pub envelope: String,
    /// The results rules.
    pub entries: Vec<EntryPart>,
    /// The distinct item schemas, each self-contained, as JSON text.
    pub items: Vec<String>,
}

/// Cuts `assembled` into its parts.
pub fn parts(assembled: &Assembled) -> Parts {
    let schema = &assembled.schema;
    let dialect = schema["$schema"].clone();
    let mut defs = schema["$defs"].as_object().cloned().unwrap_or_default();
    for level in 0..=MAX_DEPTH {
        defs.remove(&depth_def(level));
    }
    let mut envelope = schema.clone();
    let mut entries = Vec::new();
    let mut items: Vec<Value> = Vec::new();
    for (index, rule) in assembled.rules.iter().enumerate() {
        match &rule.kind {
            RuleKind::Envelope | RuleKind::Advisory => continue,
            RuleKind::Depth => {}
            RuleKind::Results(key) => {
                let item = rule.schema["then"]["properties"]["results"]["items"].clone();
                let at = match items.iter().position(|known| *known == item) {
                    Some(at) => at,
                    None => {
                        items.push(item);
                        items.len() - 1
                    }
                };
                let mut condition = rule.schema.get("if").cloned().unwrap_or(Value::Bool(true));
                if let Some(map) = condition.as_object_mut() {
                    map.insert("$schema".into(), dialect.clone());
                }
                entries.push(EntryPart {
                    index,
                    key: key.clone(),
                    condition: condition.to_string(),
                    items: at,
                });
            }
        }
        envelope["allOf"][index] = Value::Bool(true);
    }
    keep_reachable_defs(&mut envelope, &defs);
    let items = items
        .into_iter()
        .map(|mut item| {
            if let Some(map) = item.as_object_mut() {
                map.insert("$schema".into(), dialect.clone());
            }
            keep_reachable_defs(&mut item, &defs);
            item.to_string()
        })
        .collect();
    Parts {
        envelope: envelope.to_string(),
        entries,
        items,
    }
}

/// Sets the `$defs` of `schema` to the definitions of `defs` it reaches through `$ref`,
/// directly or through other definitions; none when it reaches none. (Compiling walks, and
/// checks against the meta-schema, every definition given, used or not.)
pub fn keep_reachable_defs(schema: &mut Value, defs: &Map<String, Value>) {
    if let Some(map) = schema.as_object_mut() {
        map.remove("$defs");
    }
    let mut kept = Map::new();
    let mut pending = Vec::new();
    refs(schema, &mut pending);
    while let Some(name) = pending.pop() {
        if kept.contains_key(&name) {
            continue;
        }
        if let Some(def) = defs.get(&name) {
            refs(def, &mut pending);
            kept.insert(name, def.clone());
        }
    }
    if let (false, Some(map)) = (kept.is_empty(), schema.as_object_mut()) {
        map.insert("$defs".into(), Value::Object(kept));
    }
}

/// The names of the `#/$defs/NAME` definitions `value` refers to, appended to `out`.
fn refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                match (key.as_str(), v.as_str()) {
                    ("$ref", Some(target)) => {
                        // `#/$defs/NAME` or a pointer into it: the definition is NAME.
                        if let Some(path) = target.strip_prefix("#/$defs/") {
                            let name = path.split('/').next().unwrap_or(path);
                            out.push(name.replace("~1", "/").replace("~0", "~"));
                        }
                    }
                    _ => refs(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

/// For each node of `schema` with a `pattern` or a `format` and a `description`: its pointer
/// and the first sentence of the description, lower-cased at its start (`an absolute http(s)
/// URL`), sorted by pointer.
pub fn pattern_descriptions(schema: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    describe(schema, String::new(), &mut out);
    out.sort();
    out
}

fn describe(value: &Value, pointer: String, out: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) => {
            let worded = map.contains_key("pattern") || map.contains_key("format");
            if let (true, Some(description)) =
                (worded, map.get("description").and_then(Value::as_str))
            {
                let sentence = description
                    .split(". ")
                    .next()
                    .unwrap_or_default()
                    .trim_end_matches('.');
                let mut chars = sentence.chars();
                if let Some(first) = chars.next() {
                    out.push((pointer.clone(), first.to_lowercase().chain(chars).collect()));
                }
            }
            for (key, v) in map {
                let key = key.replace('~', "~0").replace('/', "~1");
                describe(v, format!("{pointer}/{key}"), out);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                describe(v, format!("{pointer}/{i}"), out);
            }
        }
        _ => {}
    }
}

/// Keys that only annotate: a schema node that differs from another in these alone judges
/// every instance as the other does. (`$id` too, at the root only: below, it would change what
/// the `$ref`s under it name.)
const ANNOTATIONS: &[&str] = &["$comment", "description", "examples", "title"];

/// The pointers of the strict schema's keywords that the contract lacks, top-most only (the
/// warning rules: closed sets, closed objects, the advisories), sorted. An error of the strict
/// schema at or below one of them is one the contract does not make.
pub fn strict_only(contract: &Value, strict: &Value) -> Vec<String> {
    let mut out = Vec::new();
    only_in(strict, Some(contract), String::new(), &mut out);
    out.sort();
    out
}

fn only_in(strict: &Value, contract: Option<&Value>, pointer: String, out: &mut Vec<String>) {
    let Some(contract) = contract else {
        out.push(pointer);
        return;
    };
    match strict {
        Value::Object(map) => {
            for (key, v) in map {
                if ANNOTATIONS.contains(&key.as_str()) || (pointer.is_empty() && key == "$id") {
                    continue;
                }
                let at = format!("{pointer}/{}", key.replace('~', "~0").replace('/', "~1"));
                only_in(v, contract.get(key), at, out);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                only_in(v, contract.get(i), format!("{pointer}/{i}"), out);
            }
        }
        _ => {}
    }
}
