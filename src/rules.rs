//! The top-level rules of the assembled schemas, as build time hands them over: for each
//! entry of a schema's `allOf`, what it is for (envelope, results of one registry entry,
//! advisory, nesting limit) and its description. The runtime reads this table, never an
//! index range or a description prefix, so reordering the rules cannot mislabel an issue.

/// Which assembled schema a rule belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Strictness {
    /// The contract: errors only.
    Contract,
    /// The strict contract: errors and warnings.
    Strict,
}

/// The registry entry a results rule belongs to: how a response picks it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum RuleKey {
    /// The entry of this model.
    Model(&'static str),
    /// The entry of this output type, for a model without its own.
    Type(&'static str),
    /// The by-type entry of this task kind (`object`), when `type` is unknown.
    Object(&'static str),
}

/// What a top-level rule is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RuleKind {
    /// An error rule of the envelope.
    Envelope,
    /// The error rule of the results items of one registry entry.
    Results {
        /// The entry.
        key: RuleKey,
    },
    /// A warning rule (strict schema only).
    Advisory,
    /// The nesting limit, enforced by the reader rather than the compiled schema.
    Depth,
}

/// One top-level rule of an assembled schema.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct RuleInfo {
    /// Its position in the schema's `allOf`.
    pub(crate) index: usize,
    /// What it is for.
    pub(crate) kind: RuleKind,
    /// Its `description` ("" when it has none).
    pub(crate) description: &'static str,
}

/// The parts of an assembled schema the crate compiles, cut at build time: the envelope, and
/// each results rule's condition and item schema, each self-contained.
pub(crate) struct Parts {
    /// The schema with its results and nesting rules left as `true`, as JSON text.
    pub(crate) envelope: &'static str,
    /// The results rules.
    pub(crate) entries: &'static [EntryPart],
    /// The distinct item schemas, as JSON text.
    pub(crate) items: &'static [&'static str],
}

/// One results rule of [`Parts`].
pub(crate) struct EntryPart {
    /// Its position in the schema's `allOf`.
    pub(crate) index: usize,
    /// The registry entry it belongs to.
    pub(crate) key: RuleKey,
    /// Its `if`, as JSON text.
    pub(crate) condition: &'static str,
    /// Which of [`Parts::items`] is its item schema.
    pub(crate) items: usize,
}

include!(concat!(env!("OUT_DIR"), "/rules.rs"));

impl Strictness {
    /// The schema's top-level rules, in `allOf` order.
    pub(crate) fn rules(self) -> &'static [RuleInfo] {
        match self {
            Strictness::Contract => CONTRACT_RULES,
            Strictness::Strict => STRICT_RULES,
        }
    }

    /// The parts of the schema the crate compiles.
    pub(crate) fn parts(self) -> &'static Parts {
        match self {
            Strictness::Contract => &CONTRACT_PARTS,
            Strictness::Strict => &STRICT_PARTS,
        }
    }
}

/// The top-level rule of schema `strictness` that `schema_path` (a path into that schema, as
/// a validator reports it) lies under, if any.
pub(crate) fn rule_at(strictness: Strictness, schema_path: &str) -> Option<&'static RuleInfo> {
    let index: usize = schema_path
        .strip_prefix("/allOf/")?
        .split('/')
        .next()?
        .parse()
        .ok()?;
    strictness.rules().iter().find(|r| r.index == index)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::{CONTRACT_SCHEMA, STRICT_SCHEMA};
    use serde_json::Value;

    fn all_of(text: &str) -> Vec<Value> {
        let schema: Value = serde_json::from_str(text).expect("JSON");
        schema["allOf"].as_array().expect("rules").clone()
    }

    fn schemas() -> [(Strictness, Vec<Value>); 2] {
        [
            (Strictness::Contract, all_of(CONTRACT_SCHEMA)),
            (Strictness::Strict, all_of(STRICT_SCHEMA)),
        ]
    }

    #[test]
    fn every_rule_of_the_table_is_the_rule_at_its_index() {
        for (strictness, all_of) in schemas() {
            let table = strictness.rules();
            assert_eq!(
                table.len(),
                all_of.len(),
                "{strictness:?}: one entry per rule"
            );
            for (position, info) in table.iter().enumerate() {
                assert_eq!(info.index, position, "{strictness:?}: in allOf order");
                let rule = &all_of[info.index];
                assert_eq!(
                    rule["description"].as_str().unwrap_or_default(),
                    info.description,
                    "{strictness:?}: /allOf/{}",
                    info.index
                );
            }
        }
    }

    #[test]
    fn every_results_rule_checks_the_items_of_its_own_registry_entry() {
        for (strictness, all_of) in schemas() {
            for info in strictness.rules() {
                let rule = &all_of[info.index];
                let RuleKind::Results { key } = info.kind else {
                    continue;
                };
                assert!(
                    rule.pointer("/then/properties/results/items").is_some(),
                    "{strictness:?}: /allOf/{}: an item schema",
                    info.index
                );
                let (property, name) = match key {
                    RuleKey::Model(m) => ("model", m),
                    RuleKey::Type(t) => ("type", t),
                    RuleKey::Object(o) => ("object", o),
                };
                assert_eq!(
                    rule["if"]["properties"][property]["const"], name,
                    "{strictness:?}: /allOf/{}: the rule of {key:?}",
                    info.index
                );
            }
        }
    }

    #[test]
    fn every_registry_entry_and_task_kind_has_its_results_rule() {
        let keys: Vec<RuleKey> = STRICT_RULES
            .iter()
            .filter_map(|r| match r.kind {
                RuleKind::Results { key } => Some(key),
                _ => None,
            })
            .collect();
        for entry in crate::model::models() {
            assert!(keys.contains(&RuleKey::Model(entry.key)), "{}", entry.key);
        }
        for entry in crate::model::output_types() {
            assert!(keys.contains(&RuleKey::Type(entry.key)), "{}", entry.key);
        }
        for (kind, _) in crate::model::task_kinds() {
            assert!(keys.contains(&RuleKey::Object(kind)), "{kind}");
        }
    }

    #[test]
    fn the_contract_rules_are_the_strict_rules_without_the_warnings() {
        let strict: Vec<_> = STRICT_RULES
            .iter()
            .filter(|r| r.kind != RuleKind::Advisory)
            .map(|r| (r.kind, r.description))
            .collect();
        let contract: Vec<_> = CONTRACT_RULES
            .iter()
            .map(|r| (r.kind, r.description))
            .collect();
        assert_eq!(contract, strict);
        assert!(CONTRACT_RULES.iter().all(|r| r.kind != RuleKind::Advisory));
        let depth = |rules: &[RuleInfo]| rules.iter().filter(|r| r.kind == RuleKind::Depth).count();
        assert_eq!((depth(CONTRACT_RULES), depth(STRICT_RULES)), (1, 1));
    }

    #[test]
    fn rule_at_reads_the_index_of_a_schema_path_and_nothing_else() {
        let advisory = STRICT_RULES
            .iter()
            .find(|r| r.kind == RuleKind::Advisory)
            .expect("the strict schema has advisories");
        let path = format!("/allOf/{}/then/properties/results/minItems", advisory.index);
        assert_eq!(rule_at(Strictness::Strict, &path), Some(advisory));
        // The same index in the contract is another rule, never an advisory.
        assert!(rule_at(Strictness::Contract, &path).is_none_or(|r| r.kind != RuleKind::Advisory));
        assert_eq!(
            rule_at(Strictness::Strict, "/$defs/Task/properties/id/type"),
            None
        );
        assert_eq!(rule_at(Strictness::Strict, "/allOf/x/type"), None);
        assert_eq!(rule_at(Strictness::Strict, "/allOf/100000/type"), None);
    }
}
