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

/// Whether an error of the strict schema at `schema_path` (a pointer into the whole strict
/// schema) is one the contract does not make: its keyword, or one it lies under, is the
/// strict schema's own ([`STRICT_ONLY`]). Every other keyword of the strict schema is the
/// contract's, at the same pointer, with the same value.
pub(crate) fn strict_only(schema_path: &str) -> bool {
    let path = schema_path.as_bytes();
    STRICT_ONLY.iter().any(|own| {
        let own = own.as_bytes();
        // Cheap refusals first: the path is shorter, or a segment does not end where the
        // entry does, or their last bytes differ.
        path.len() >= own.len()
            && (path.len() == own.len() || path[own.len()] == b'/')
            && path[own.len() - 1] == own[own.len() - 1]
            && path.starts_with(own)
    })
}

/// Whether the strict schema adds a keyword of its own to the schema node at `node`.
pub(crate) fn adds_to(node: &str) -> bool {
    let from = STRICT_ONLY.partition_point(|own| *own <= node);
    STRICT_ONLY[from..]
        .iter()
        .take_while(|own| own.starts_with(node))
        .any(|own| {
            own[node.len()..]
                .strip_prefix('/')
                .is_some_and(|keyword| !keyword.contains('/'))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::{CONTRACT_SCHEMA, STRICT_SCHEMA};
    use serde_json::Value;

    /// Keys that only annotate a schema node (`$id` too, but only at the root: below, it
    /// would change what the `$ref`s under it name).
    const ANNOTATIONS: &[&str] = &["$comment", "description", "examples", "title"];

    /// Whether the key `k` of the node at `at` only annotates it.
    fn annotates(at: &str, k: &str) -> bool {
        ANNOTATIONS.contains(&k) || (at.is_empty() && k == "$id")
    }

    /// `value` (the node at `at`) without its annotations, at every depth.
    fn judging(at: &str, value: &Value) -> Value {
        match value {
            Value::Object(map) => Value::Object(
                map.iter()
                    .filter(|(k, _)| !annotates(at, k))
                    .map(|(k, v)| (k.clone(), judging(&format!("{at}/{k}"), v)))
                    .collect(),
            ),
            Value::Array(items) => Value::Array(items.iter().map(|v| judging("-", v)).collect()),
            other => other.clone(),
        }
    }

    /// Keywords whose value is a map of subschemas by name.
    const SCHEMA_MAPS: &[&str] = &[
        "properties",
        "patternProperties",
        "$defs",
        "dependentSchemas",
    ];

    /// Every keyword pointer of a schema node with what it holds apart from its subschemas,
    /// annotations left out: a value, compared whole (`type`, `required`, `const`, `enum`,
    /// `pattern`, ...), the names of a map of subschemas (`properties`, `$defs`), or how many
    /// subschemas a list holds (`anyOf`, `allOf`); then the same for each subschema.
    fn keywords(value: &Value, at: String, out: &mut Vec<(String, Value)>) {
        let Value::Object(map) = value else {
            return;
        };
        for (k, v) in map.iter().filter(|(k, _)| !annotates(&at, k)) {
            let here = format!("{at}/{}", k.replace('~', "~0").replace('/', "~1"));
            match (k.as_str(), v) {
                ("const" | "enum" | "default", _) => out.push((here, v.clone())),
                (k, Value::Object(subschemas)) if SCHEMA_MAPS.contains(&k) => {
                    out.push((here.clone(), subschemas.keys().cloned().collect()));
                    for (name, sub) in subschemas {
                        let name = name.replace('~', "~0").replace('/', "~1");
                        keywords(sub, format!("{here}/{name}"), out);
                    }
                }
                (_, Value::Object(_)) => {
                    out.push((here.clone(), Value::from("a subschema")));
                    keywords(v, here, out);
                }
                (_, Value::Array(items)) if items.iter().any(Value::is_object) => {
                    out.push((here.clone(), Value::from(items.len())));
                    for (i, sub) in items.iter().enumerate() {
                        keywords(sub, format!("{here}/{i}"), out);
                    }
                }
                _ => out.push((here, v.clone())),
            }
        }
    }

    /// The contract schema and the strict one.
    fn both() -> (Value, Value) {
        let parse = |text| serde_json::from_str::<Value>(text).expect("JSON");
        (parse(CONTRACT_SCHEMA), parse(STRICT_SCHEMA))
    }

    #[test]
    fn the_strict_schema_is_the_contract_plus_its_own_keywords() {
        let (contract, strict) = both();
        let depth = CONTRACT_RULES
            .iter()
            .find(|r| r.kind == RuleKind::Depth)
            .expect("a nesting rule")
            .index;
        let mut shared = 0;
        let mut ours = Vec::new();
        keywords(&contract, String::new(), &mut ours);
        let mut all = Vec::new();
        keywords(&strict, String::new(), &mut all);
        let theirs: std::collections::HashMap<String, Value> = all.into_iter().collect();
        for (at, value) in &ours {
            // The nesting rule stands elsewhere in the strict schema; neither compiles it.
            if at.starts_with(&format!("/allOf/{depth}/")) {
                continue;
            }
            let held = theirs.get(at);
            assert!(
                held.is_some(),
                "{at}: the contract's, yet not the strict schema's"
            );
            match at.as_str() {
                // The strict schema's rules come after the contract's; its definitions
                // include the contract's.
                "/allOf" => assert!(held.and_then(Value::as_u64) >= value.as_u64(), "{at}"),
                "/$defs" => {
                    let names = held.and_then(Value::as_array).expect("names");
                    let missing = value
                        .as_array()
                        .expect("names")
                        .iter()
                        .find(|n| !names.contains(n));
                    assert!(
                        missing.is_none(),
                        "{at}: the strict schema lacks {missing:?}"
                    );
                }
                _ => assert_eq!(held, Some(value), "{at}: the strict schema's differs"),
            }
            assert!(
                !strict_only(at),
                "{at}: the contract's, yet listed as the strict schema's own"
            );
            shared += 1;
        }
        assert!(shared > 1000, "{shared} keywords compared");
        for at in theirs.keys() {
            if contract.pointer(at).is_none() {
                assert!(
                    strict_only(at),
                    "{at}: the strict schema's own, yet not listed"
                );
            }
        }
        assert!(
            STRICT_ONLY.windows(2).all(|w| w[0] < w[1]),
            "sorted, once each"
        );
        assert!(strict_only("/$defs/Task/additionalProperties"));
        assert!(!strict_only("/$defs/Task/additionalPropertiesX"));
        assert!(!strict_only("/$defs/Task"));
        assert!(adds_to("/$defs/Task"));
        assert!(!adds_to("/$defs/HttpUrl"));
    }

    /// Whether `value` holds a `$ref` at any depth.
    fn refers(value: &Value) -> bool {
        match value {
            Value::Object(map) => map
                .iter()
                .any(|(k, v)| k == "$ref" || k == "$dynamicRef" || refers(v)),
            Value::Array(items) => items.iter().any(refers),
            _ => false,
        }
    }

    #[test]
    fn the_strict_schemas_own_keywords_are_closed_objects_closed_sets_and_whole_rules() {
        // Anything else of its own could change what a keyword it shares with the contract
        // decides (a `properties` entry under the contract's `additionalProperties`, an `if`
        // before the contract's `then`), or report its errors at the contract's pointers (a
        // `$ref` into the definitions): the contract's errors could not be read off it.
        let (contract, strict) = both();
        let rule_of = |at: &str| {
            let index: usize = at
                .strip_prefix("/allOf/")?
                .split('/')
                .next()?
                .parse()
                .ok()?;
            STRICT_RULES.iter().find(|r| r.index == index)
        };
        let mut closed = 0;
        for own in STRICT_ONLY {
            let value = strict.pointer(own).expect("a keyword of the strict schema");
            let (node, keyword) = own.rsplit_once('/').expect("a pointer");
            let theirs = contract.pointer(node);
            match (rule_of(own).map(|r| r.kind), keyword) {
                (Some(RuleKind::Depth), _) => {}
                (Some(RuleKind::Advisory), _) => {
                    assert!(!refers(value), "{own}: a warning rule that refers to a definition");
                }
                (None, "additionalProperties") => {
                    assert_eq!(value, &Value::Bool(false), "{own}");
                    let theirs = theirs.expect("the contract's node");
                    assert!(theirs.get("unevaluatedProperties").is_none(), "{own}");
                    closed += 1;
                }
                (None, "enum") => {
                    let theirs = theirs.expect("the contract's node");
                    assert!(theirs.get("const").is_none(), "{own}");
                    closed += 1;
                }
                _ => panic!("{own}: a keyword of the strict schema's own that is not a closed object, a closed set or a whole warning rule"),
            }
        }
        assert!(closed > 20, "{closed} closed objects and sets");
    }

    /// The pointers of the schema nodes of `root` that the node at `at` reaches, itself
    /// included, following `$ref`s.
    fn reached(root: &Value, at: String, out: &mut Vec<String>) {
        if out.contains(&at) {
            return;
        }
        out.push(at.clone());
        match root.pointer(&at).expect("a node") {
            Value::Object(map) => {
                for (k, v) in map {
                    match (k.as_str(), v) {
                        ("$ref", Value::String(target)) => {
                            reached(root, target.trim_start_matches('#').to_string(), out)
                        }
                        _ if annotates(&at, k) => {}
                        _ => reached(
                            root,
                            format!("{at}/{}", k.replace('~', "~0").replace('/', "~1")),
                            out,
                        ),
                    }
                }
            }
            Value::Array(items) => {
                for i in 0..items.len() {
                    reached(root, format!("{at}/{i}"), out);
                }
            }
            _ => {}
        }
    }

    #[test]
    fn no_condition_or_negation_of_the_contract_reads_a_keyword_of_the_strict_schema_alone() {
        // Were one to, a response could meet a condition under one schema and not under the
        // other, and the contract make an error the strict schema does not: the contract's
        // errors could not be read off the strict schema's.
        let (contract, strict) = both();
        let mut all = Vec::new();
        reached(&contract, String::new(), &mut all);
        let mut guarded = 0;
        for at in &all {
            let node = contract.pointer(at).expect("a node");
            for keyword in [
                "if",
                "not",
                "oneOf",
                "contains",
                "propertyNames",
                "dependentSchemas",
            ] {
                if node.get(keyword).is_none() {
                    continue;
                }
                guarded += 1;
                let mut under = Vec::new();
                reached(&contract, format!("{at}/{keyword}"), &mut under);
                for p in under {
                    assert_eq!(
                        strict.pointer(&p).map(|v| judging(&p, v)),
                        contract.pointer(&p).map(|v| judging(&p, v)),
                        "{at}/{keyword} reaches {p}, which the two schemas judge apart"
                    );
                }
            }
        }
        assert!(guarded > 10, "{guarded} conditions looked at");
    }

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
