//! A contract schema compiled for speed, with the same verdicts and the same schema paths as
//! the schema itself: the envelope rules once, and the results rule of the one registry entry
//! a response's model (or type) picks, rather than every entry's if/then on every response.
//!
//! The envelope keeps the schema's `allOf` indices (the rules left out are `true`), and each
//! entry's item schema is compiled alone and its errors placed back where it stands
//! ([`Place`]), so an error says `/allOf/12/then/...` and `/results/3/url` exactly as a
//! standard validator given the exported schema would.
//! The nesting rule is left out too (`true`): the reader enforces it. Which rule is which
//! comes from the rule table build time generates ([`crate::rules`]).

use crate::rules::{RuleKey, RuleKind, Strictness, DEPTH_DEFS};
use jsonschema::{ValidationError, Validator};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::OnceLock;

/// One assembled schema, compiled in parts: the envelope at once, each registry entry's item
/// rule the first time a response needs it (a short run compiles only what it uses).
pub(crate) struct Compiled {
    name: String,
    envelope: Validator,
    /// The pooled `$defs` and the dialect, for the item schemas compiled later.
    defs: Value,
    dialect: Value,
    entries: HashMap<RuleKey, LazyRule>,
    /// The distinct item schemas of the entries (six Seedance models share one, say), each
    /// compiled once, on first use.
    items: Vec<LazyItems>,
}

/// The results rule of one registry entry, compiled on first use.
struct LazyRule {
    index: usize,
    /// The rule's `if`, as the assembled schema has it.
    condition: Value,
    /// Whether the rule applies to a response at all (a by-type rule does not apply to a
    /// response without a `model`, say): the condition compiled.
    applies: OnceLock<Validator>,
    /// Its item schema, in [`Compiled::items`].
    item: usize,
    /// Where the item schema stands in the whole schema:
    /// `/allOf/<index>/then/properties/results/items`.
    schema_path: String,
}

/// One item schema, compiled for one item at a time: a response with a million items is
/// checked item by item, so the errors of one item are all that is held at once (jsonschema
/// gathers every error of a call before it yields the first).
struct LazyItems {
    schema: Value,
    compiled: OnceLock<Validator>,
}

/// The results rule of one registry entry, ready: the item validator and where it stands.
struct ItemRule<'a> {
    items: &'a Validator,
    schema_path: &'a str,
}

/// Where an error of [`Compiled::errors`] was found.
#[derive(Clone, Copy)]
pub(crate) enum Place<'a> {
    /// By the envelope's rules: its paths are whole.
    Envelope,
    /// In results item `index`, by the item rule whose schema stands at `schema_path`: its
    /// instance path is relative to `/results/<index>`, and its schema path, unless it went
    /// through a `$ref` into `/$defs`, to `schema_path`.
    Item {
        /// The item's position in `results`.
        index: usize,
        /// Where the item schema stands.
        schema_path: &'a str,
    },
}

impl Place<'_> {
    /// The whole instance path of an error found here at `path`.
    pub(crate) fn instance_path(self, path: &str) -> String {
        match self {
            Place::Envelope => path.to_string(),
            Place::Item { index, .. } => format!("/results/{index}{path}"),
        }
    }

    /// The whole schema path of an error found here at `path`.
    pub(crate) fn schema_path(self, path: &str) -> String {
        match self {
            Place::Item { schema_path, .. } if !path.starts_with("/$defs/") => {
                format!("{schema_path}{path}")
            }
            _ => path.to_string(),
        }
    }
}

fn build(name: &str, schema: &Value) -> Validator {
    jsonschema::draft202012::options()
        .should_validate_formats(true)
        .build(schema)
        .unwrap_or_else(|e| panic!("{name}: assembled by build.rs, yet does not compile: {e}"))
}

impl Compiled {
    /// Compiles `text`, the assembled schema called `name` whose rules the table of
    /// `strictness` describes. The schemas are the crate's own and are tested to compile, so a
    /// failure here is a build bug.
    pub(crate) fn new(name: &str, text: &str, strictness: Strictness) -> Compiled {
        let mut schema: Value = serde_json::from_str(text)
            .unwrap_or_else(|e| panic!("{name}: assembled by build.rs, yet not JSON: {e}"));
        let rules = schema["allOf"]
            .as_array_mut()
            .expect("an assembled contract has rules");
        let all = rules.clone();
        let mut results = Vec::new();
        for info in strictness.rules() {
            match info.kind {
                RuleKind::Results { key } => results.push((key, info.index)),
                RuleKind::Depth => {}
                RuleKind::Envelope | RuleKind::Advisory => continue,
            }
            rules[info.index] = Value::Bool(true);
        }
        if let Some(defs) = schema.get_mut("$defs").and_then(Value::as_object_mut) {
            for depth_def in DEPTH_DEFS {
                defs.remove(*depth_def);
            }
        }
        let defs = schema.get("$defs").cloned().unwrap_or_else(|| json!({}));
        // Compiling walks (and checks against the meta-schema) every definition given, used
        // or not: each part gets only the definitions it reaches.
        keep_reachable_defs(&mut schema, &defs);
        let envelope = build(name, &schema);
        let mut items: Vec<LazyItems> = Vec::new();
        let entries = results
            .into_iter()
            .map(|(key, index)| {
                let item = all[index]
                    .pointer("/then/properties/results/items")
                    .unwrap_or_else(|| {
                        panic!("{name}: /allOf/{index}: a results rule without an item schema")
                    });
                let item = match items.iter().position(|known| known.schema == *item) {
                    Some(known) => known,
                    None => {
                        items.push(LazyItems {
                            schema: item.clone(),
                            compiled: OnceLock::new(),
                        });
                        items.len() - 1
                    }
                };
                let condition = all[index].get("if").cloned().unwrap_or(Value::Bool(true));
                let rule = LazyRule {
                    index,
                    condition,
                    applies: OnceLock::new(),
                    item,
                    schema_path: format!("/allOf/{index}/then/properties/results/items"),
                };
                (key, rule)
            })
            .collect();
        Compiled {
            name: name.to_string(),
            envelope,
            defs,
            dialect: schema["$schema"].clone(),
            entries,
            items,
        }
    }

    /// The item rule of the registry entry `key`, when it applies to `value`; compiled the
    /// first time it is asked for.
    fn entry(&self, key: Option<RuleKey>, value: &Value) -> Option<ItemRule<'_>> {
        let lazy = self.entries.get(&key?)?;
        let applies = lazy.applies.get_or_init(|| {
            let mut condition = lazy.condition.clone();
            if let Some(map) = condition.as_object_mut() {
                map.insert("$schema".into(), self.dialect.clone());
            }
            build(&self.name, &condition)
        });
        if !applies.is_valid(value) {
            return None;
        }
        let shared = &self.items[lazy.item];
        let items = shared
            .compiled
            .get_or_init(|| self.compile(&shared.schema, lazy.index));
        Some(ItemRule {
            items,
            schema_path: &lazy.schema_path,
        })
    }

    /// Compiles an item schema (the one of rule `index`, in messages) with the definitions it
    /// reaches.
    fn compile(&self, item: &Value, index: usize) -> Validator {
        let name = &self.name;
        let mut only = item.clone();
        let only_map = only
            .as_object_mut()
            .unwrap_or_else(|| panic!("{name}: /allOf/{index}: an item schema object"));
        only_map.insert("$schema".into(), self.dialect.clone());
        keep_reachable_defs(&mut only, &self.defs);
        build(name, &only)
    }

    /// Whether `value` keeps the schema; `key` is the registry entry its model, type or task
    /// kind picks, if any.
    pub(crate) fn is_valid(&self, value: &Value, key: Option<RuleKey>) -> bool {
        self.envelope.is_valid(value)
            && self
                .entry(key, value)
                .is_none_or(|rule| results(value).iter().all(|i| rule.items.is_valid(i)))
    }

    /// Every error of `value`, the envelope's first, then each results item's in order.
    pub(crate) fn errors<'a>(
        &'a self,
        value: &'a Value,
        key: Option<RuleKey>,
    ) -> impl Iterator<Item = (Place<'a>, ValidationError<'a>)> + 'a {
        let entry = self.entry(key, value);
        let envelope = self
            .envelope
            .iter_errors(value)
            .map(|error| (Place::Envelope, error));
        let items = entry.into_iter().flat_map(move |rule| {
            results(value)
                .iter()
                .enumerate()
                .flat_map(move |(index, item)| {
                    let place = Place::Item {
                        index,
                        schema_path: rule.schema_path,
                    };
                    rule.items
                        .iter_errors(item)
                        .map(move |error| (place, error))
                })
        });
        envelope.chain(items)
    }
}

/// Sets the `$defs` of `schema` to the definitions of `defs` it reaches through `$ref`,
/// directly or through other definitions; none when it reaches none.
fn keep_reachable_defs(schema: &mut Value, defs: &Value) {
    if let Some(map) = schema.as_object_mut() {
        map.remove("$defs");
    }
    let mut kept = serde_json::Map::new();
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

/// The `results` items of a response; none when `results` is not an array.
fn results(value: &Value) -> &[Value] {
    value
        .get("results")
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_item_rule_of_both_schemas_compiles() {
        for (name, text, strictness) in [
            (
                "contract.schema.json",
                crate::CONTRACT_SCHEMA,
                Strictness::Contract,
            ),
            (
                "contract.strict.schema.json",
                crate::STRICT_SCHEMA,
                Strictness::Strict,
            ),
        ] {
            let compiled = Compiled::new(name, text, strictness);
            assert!(!compiled.entries.is_empty());
            // Entries share item schemas: fewer to compile than entries.
            assert!(compiled.items.len() < compiled.entries.len());
            for lazy in compiled.entries.values() {
                assert!(lazy.schema_path.starts_with("/allOf/"));
                // Compiling panics on a schema jsonschema refuses.
                let items = &compiled.items[lazy.item].schema;
                let _ = compiled.compile(items, lazy.index);
            }
        }
    }
}
