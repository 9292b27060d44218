//! A contract schema compiled for speed, with the same verdicts and the same schema paths as
//! the schema itself: the envelope rules once, and the results rule of the one registry entry
//! a response's model (or type) picks, rather than every entry's if/then on every response.
//!
//! Both halves keep the schema's `allOf` indices (the rules left out are `true`), so an error
//! says `/allOf/12/then/...` exactly as a standard validator given the exported schema would.
//! The nesting rule, last in `allOf`, is left out too: the reader enforces it.

use jsonschema::{ValidationError, Validator};
use serde_json::Value;
use std::collections::HashMap;

/// Where each registry entry's results rule stands in the contract's `allOf` (from build.rs).
const DISPATCH: &str = include_str!(concat!(env!("OUT_DIR"), "/dispatch.json"));

/// The description that starts the nesting rule, the last entry of `allOf`.
pub(crate) const DEPTH_RULE: &str = "arrays and objects nest at most";

/// One assembled schema, compiled in parts.
pub(crate) struct Compiled {
    envelope: Validator,
    entries: HashMap<String, Validator>,
}

fn build(name: &str, schema: &Value) -> Validator {
    jsonschema::draft202012::options()
        .should_validate_formats(true)
        .build(schema)
        .unwrap_or_else(|e| panic!("{name}: assembled by build.rs, yet does not compile: {e}"))
}

impl Compiled {
    /// Compiles `text`, an assembled contract schema called `name`. The schemas are the
    /// crate's own and are tested to compile, so a failure here is a build bug.
    pub(crate) fn new(name: &str, text: &str) -> Compiled {
        let mut schema: Value = serde_json::from_str(text)
            .unwrap_or_else(|e| panic!("{name}: assembled by build.rs, yet not JSON: {e}"));
        let dispatch: HashMap<String, usize> =
            serde_json::from_str(DISPATCH).expect("dispatch.json: written by build.rs");
        let rules = schema["allOf"]
            .as_array_mut()
            .expect("an assembled contract has rules");
        if rules
            .last()
            .and_then(|r| r["description"].as_str())
            .is_some_and(|d| d.starts_with(DEPTH_RULE))
        {
            rules.pop();
        }
        let all = rules.clone();
        for &index in dispatch.values() {
            rules[index] = Value::Bool(true);
        }
        if let Some(defs) = schema.get_mut("$defs").and_then(Value::as_object_mut) {
            defs.retain(|name, _| !name.starts_with("NestedAtMost"));
        }
        let envelope = build(name, &schema);
        let entries = dispatch
            .into_iter()
            .map(|(key, index)| {
                let mut only = schema.clone();
                let rules = vec![Value::Bool(true); all.len()];
                only["allOf"] = Value::Array(rules);
                only["allOf"][index] = all[index].clone();
                only.as_object_mut().expect("an object").remove("$ref");
                (key, build(name, &only))
            })
            .collect();
        Compiled { envelope, entries }
    }

    fn entry(&self, key: Option<&str>) -> Option<&Validator> {
        key.and_then(|k| self.entries.get(k))
    }

    /// Whether `value` keeps the schema; `key` is the registry entry its model or type picks
    /// (`model:<name>` or `type:<type>`), if any.
    pub(crate) fn is_valid(&self, value: &Value, key: Option<&str>) -> bool {
        self.envelope.is_valid(value) && self.entry(key).is_none_or(|v| v.is_valid(value))
    }

    /// Every error of `value`, the envelope's first.
    pub(crate) fn errors<'a>(
        &'a self,
        value: &'a Value,
        key: Option<&str>,
    ) -> impl Iterator<Item = ValidationError<'a>> + 'a {
        let entry = self.entry(key);
        self.envelope
            .iter_errors(value)
            .chain(entry.into_iter().flat_map(move |v| v.iter_errors(value)))
    }
}
