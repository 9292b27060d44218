//! A contract schema compiled for speed, with the same verdicts and the same schema paths as
//! the schema itself: the envelope rules once, and the results rule of the one registry entry
//! a response's model (or type) picks, rather than every entry's if/then on every response.
//!
//! The envelope keeps the schema's `allOf` indices (the rules left out are `true`), and each
//! entry's item schema is compiled alone and its errors placed back where it stands
//! ([`Place`]), so an error says `/allOf/12/then/...` and `/results/3/url` exactly as a
//! standard validator given the exported schema would.
//! The nesting rule is left out too (`true`): the reader enforces it. Build time cuts the
//! parts ([`crate::rules::Parts`]), each self-contained with only the definitions it reaches,
//! so start-up parses and compiles only what it uses.

use crate::members::{Doc, Envelope, Scanned};
use crate::rules::{EntryPart, Parts, RuleKey, Strictness};
use jsonschema::ValidationError;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::OnceLock;

/// A compiled schema part, reading responses with members found by a scan.
type Validator = jsonschema::Validator<Scanned>;

/// One assembled schema, compiled in parts: the envelope at once, each registry entry's item
/// rule the first time a response needs it (a short run compiles only what it uses).
pub(crate) struct Compiled {
    name: &'static str,
    envelope: Validator,
    entries: HashMap<RuleKey, LazyRule>,
    /// The distinct item schemas of the entries (six Seedance models share one, say), each
    /// compiled once, on first use: parallel to [`Parts::items`].
    items: Vec<OnceLock<Validator>>,
    parts: &'static Parts,
}

/// The results rule of one registry entry, compiled on first use.
struct LazyRule {
    part: &'static EntryPart,
    /// Whether the rule applies to a response at all (a by-type rule does not apply to a
    /// response without a `model`, say): its condition compiled.
    applies: OnceLock<Validator>,
    /// Where the item schema stands in the whole schema:
    /// `/allOf/<index>/then/properties/results/items`.
    schema_path: String,
}

/// The results rule of one registry entry, ready: the item validator, for one item at a
/// time (a response with a million items is checked item by item, so the errors of one item
/// are all that is held at once), and where it stands.
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

/// Compiles `text`, a part of the assembled schema called `name`. The parts are the crate's
/// own and are tested to compile, so a failure here is a build bug.
fn build(name: &str, text: &str) -> Validator {
    // The parts share their patterns (the URL of every media shape, say): each is compiled once.
    static PATTERNS: OnceLock<jsonschema::PatternCache> = OnceLock::new();
    let schema: Value = serde_json::from_str(text)
        .unwrap_or_else(|e| panic!("{name}: cut by build.rs, yet a part is not JSON: {e}"));
    jsonschema::options_for::<Scanned>()
        .with_draft(jsonschema::Draft::Draft202012)
        .with_pattern_cache(PATTERNS.get_or_init(jsonschema::PatternCache::new).clone())
        .should_validate_formats(true)
        .build(&schema)
        .unwrap_or_else(|e| panic!("{name}: cut by build.rs, yet a part does not compile: {e}"))
}

impl Compiled {
    /// Compiles the envelope of the assembled schema called `name` whose parts and rules
    /// `strictness` names.
    pub(crate) fn new(name: &'static str, strictness: Strictness) -> Compiled {
        let parts = strictness.parts();
        let entries = parts
            .entries
            .iter()
            .map(|part| {
                let rule = LazyRule {
                    part,
                    applies: OnceLock::new(),
                    schema_path: format!("/allOf/{}/then/properties/results/items", part.index),
                };
                (part.key, rule)
            })
            .collect();
        Compiled {
            name,
            envelope: build(name, parts.envelope),
            entries,
            items: parts.items.iter().map(|_| OnceLock::new()).collect(),
            parts,
        }
    }

    /// The item rule of the registry entry `key`, when it applies to `response`; compiled the
    /// first time it is asked for.
    fn entry(&self, key: Option<RuleKey>, response: Doc<'_>) -> Option<ItemRule<'_>> {
        let lazy = self.entries.get(&key?)?;
        let applies = lazy
            .applies
            .get_or_init(|| build(self.name, lazy.part.condition));
        if !applies.is_valid(response) {
            return None;
        }
        let at = lazy.part.items;
        let items = self.items[at].get_or_init(|| build(self.name, self.parts.items[at]));
        Some(ItemRule {
            items,
            schema_path: &lazy.schema_path,
        })
    }

    /// Every error of `response`, the envelope's first, then each results item's in order.
    pub(crate) fn errors<'a>(
        &'a self,
        response: &'a Envelope<'a>,
        key: Option<RuleKey>,
    ) -> impl Iterator<Item = (Place<'a>, ValidationError<'a>)> + 'a {
        let value = response.value();
        let entry = self.entry(key, response.doc());
        // Most responses keep the envelope's rules, and jsonschema's yes/no costs two thirds
        // of finding no errors: ask first, as for the items below.
        let envelope = (!self.envelope.is_valid(response.doc()))
            .then(|| self.envelope.iter_errors(response.doc()))
            .into_iter()
            .flatten()
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
                    // Finding the errors of a valid item costs about twice the yes/no of
                    // it (a chat completion is large): ask first, find only where refused.
                    let item = Doc::Plain(item);
                    (!rule.items.is_valid(item))
                        .then(|| rule.items.iter_errors(item))
                        .into_iter()
                        .flatten()
                        .map(move |error| (place, error))
                })
        });
        envelope.chain(items)
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
    use crate::rules::RuleKind;

    /// The assembled schema `text` with its results and nesting rules left as `true`, and no
    /// `$defs`: what the envelope part must be, definitions aside.
    fn envelope_of(text: &str, strictness: Strictness) -> Value {
        let mut schema: Value = serde_json::from_str(text).expect("JSON");
        for info in strictness.rules() {
            if matches!(info.kind, RuleKind::Results { .. } | RuleKind::Depth) {
                schema["allOf"][info.index] = Value::Bool(true);
            }
        }
        schema.as_object_mut().expect("an object").remove("$defs");
        schema
    }

    #[test]
    fn the_parts_are_the_assembled_schema_cut_and_every_one_compiles() {
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
            let whole: Value = serde_json::from_str(text).expect("JSON");
            let parts = strictness.parts();
            let mut envelope: Value = serde_json::from_str(parts.envelope).expect("JSON");
            // Every definition kept is the assembled schema's own, unchanged.
            for (def, schema) in envelope["$defs"].as_object().expect("definitions") {
                assert_eq!(&whole["$defs"][def], schema, "{name}: $defs/{def}");
            }
            envelope.as_object_mut().expect("an object").remove("$defs");
            assert_eq!(envelope, envelope_of(text, strictness), "{name}");
            // One entry per results rule, each with the rule's own condition and items.
            let results = strictness
                .rules()
                .iter()
                .filter(|r| matches!(r.kind, RuleKind::Results { .. }))
                .count();
            assert_eq!(parts.entries.len(), results, "{name}");
            // Entries share item schemas: fewer to compile than entries.
            assert!(parts.items.len() < parts.entries.len(), "{name}");
            let compiled = Compiled::new(name, strictness);
            for part in parts.entries {
                let rule = &whole["allOf"][part.index];
                let mut condition: Value = serde_json::from_str(part.condition).expect("JSON");
                condition
                    .as_object_mut()
                    .expect("an object")
                    .remove("$schema");
                assert_eq!(condition, rule["if"], "{name}: /allOf/{}", part.index);
                let mut items: Value = serde_json::from_str(parts.items[part.items]).expect("JSON");
                let map = items.as_object_mut().expect("an object");
                map.remove("$schema");
                if let Some(Value::Object(defs)) = map.remove("$defs") {
                    for (def, schema) in defs {
                        assert_eq!(whole["$defs"][&def], schema, "{name}: $defs/{def}");
                    }
                }
                assert_eq!(
                    items, rule["then"]["properties"]["results"]["items"],
                    "{name}: /allOf/{}",
                    part.index
                );
                // Compiling panics on a part jsonschema refuses.
                let _ = build(name, part.condition);
                let _ = build(name, parts.items[part.items]);
            }
            assert_eq!(compiled.items.len(), parts.items.len());
        }
    }
}
