//! The generation code of build.rs, tested: build/bundle.rs and build/registry.rs are
//! included here as they are in build.rs, and run on copies of schema/ broken on purpose.
//! Every failure must name the file and the JSON pointer at fault.

#[allow(dead_code)]
#[path = "../build/bundle.rs"]
mod bundle;
#[allow(dead_code)]
#[path = "../build/registry.rs"]
mod registry;

use bundle::{RuleKey, RuleKind, Strictness};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

fn shipped() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("schema")
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create");
    for entry in std::fs::read_dir(from).expect("list") {
        let path = entry.expect("entry").path();
        let target = to.join(path.file_name().expect("a name"));
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            std::fs::copy(&path, &target).expect("copy");
        }
    }
}

/// A copy of schema/ with the JSON file `file` changed by `edit`.
fn schema_with(file: &str, edit: impl FnOnce(&mut Value)) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    copy_dir(&shipped(), dir.path());
    let path = dir.path().join(file);
    let mut value: Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("read")).expect("JSON");
    edit(&mut value);
    std::fs::write(&path, serde_json::to_string_pretty(&value).expect("JSON")).expect("write");
    dir
}

fn failure(dir: &Path) -> String {
    match bundle::read(dir) {
        Ok(_) => panic!(
            "expected {} to be refused, found it accepted",
            dir.display()
        ),
        Err(message) => {
            eprintln!("{message}");
            message
        }
    }
}

fn assert_names(message: &str, parts: &[&str]) {
    for part in parts {
        assert!(
            message.contains(part),
            "expected the message to name {part:?}, found: {message}"
        );
    }
}

#[test]
fn the_shipped_schema_directory_assembles() {
    let sources = bundle::read(&shipped()).expect("schema/ assembles");
    assert!(!sources.registry.by_model.is_empty());
    assert!(sources
        .files
        .iter()
        .any(|f| f.ends_with("registry.schema.json")));
}

#[test]
fn a_registry_entry_naming_no_shape_file_names_the_file_and_pointer() {
    let dir = schema_with("models.json", |registry| {
        registry["by_model"]["kling-video-create-voice"]["results"] = json!(["voices"]);
    });
    let message = failure(dir.path());
    assert_names(
        &message,
        &[
            "models.json",
            "/by_model/kling-video-create-voice/results/0",
            "schema/results/voices.schema.json",
        ],
    );
}

#[test]
fn a_registry_failing_registry_schema_names_the_file_and_pointer() {
    let dir = schema_with("models.json", |registry| {
        registry["by_model"]["sora-2-character"]
            .as_object_mut()
            .expect("an entry")
            .insert("notes".into(), json!("a misspelt key"));
    });
    let message = failure(dir.path());
    assert_names(
        &message,
        &[
            "models.json",
            "/by_model/sora-2-character",
            "notes",
            "registry.schema.json#",
        ],
    );
}

#[test]
fn a_registry_model_without_its_type_names_the_file_and_pointer() {
    let dir = schema_with("models.json", |registry| {
        registry["by_model"]["scribe-v2"]
            .as_object_mut()
            .expect("an entry")
            .remove("type");
    });
    let message = failure(dir.path());
    assert_names(&message, &["models.json", "/by_model/scribe-v2", "type"]);
}

#[test]
fn several_shapes_without_a_discriminator_name_the_file_and_pointer() {
    let dir = schema_with("models.json", |registry| {
        registry["by_model"]["patina-material"]
            .as_object_mut()
            .expect("an entry")
            .remove("discriminator");
    });
    let message = failure(dir.path());
    assert_names(
        &message,
        &["models.json", "/by_model/patina-material", "discriminator"],
    );
}

#[test]
fn a_discriminator_the_shapes_lack_names_the_file_and_pointer() {
    let dir = schema_with("models.json", |registry| {
        registry["by_model"]["patina-material"]["discriminator"] = json!("map_type");
    });
    let message = failure(dir.path());
    assert_names(
        &message,
        &[
            "models.json",
            "/by_model/patina-material/discriminator",
            "map_type",
        ],
    );
}

#[test]
fn a_registry_that_is_not_json_names_the_file_line_and_column() {
    let dir = tempfile::tempdir().expect("temp dir");
    copy_dir(&shipped(), dir.path());
    std::fs::write(dir.path().join("models.json"), "{\n  \"task_kinds\": {,\n}").expect("write");
    let message = failure(dir.path());
    assert_names(&message, &["models.json:2:", "not JSON"]);
}

#[test]
fn a_ref_to_no_definition_names_the_file_and_pointer() {
    let dir = schema_with("results/voice.schema.json", |shape| {
        shape["properties"]["preview"] = json!({ "$ref": "#/$defs/Nowhere" });
    });
    let message = failure(dir.path());
    assert_names(
        &message,
        &["voice.schema.json", "/properties/preview/$ref", "Nowhere"],
    );
}

#[test]
fn a_ref_to_no_file_names_the_file_and_pointer() {
    let dir = schema_with("results/voice.schema.json", |shape| {
        shape["properties"]["preview"] = json!({ "$ref": "../nowhere.schema.json" });
    });
    let message = failure(dir.path());
    assert_names(
        &message,
        &[
            "voice.schema.json",
            "/properties/preview/$ref",
            "nowhere.schema.json",
        ],
    );
}

#[test]
fn a_ref_to_no_definition_in_a_def_names_the_file_and_its_pointer() {
    let dir = schema_with("common.schema.json", |common| {
        common["$defs"]["Broken"] = json!({ "items": { "$ref": "#/$defs/Nowhere" } });
    });
    let message = failure(dir.path());
    assert_names(
        &message,
        &["common.schema.json", "/$defs/Broken/items/$ref"],
    );
}

#[test]
fn every_rule_of_the_list_is_the_rule_at_its_index_of_the_assembled_schema() {
    let sources = bundle::read(&shipped()).expect("schema/ assembles");
    for strictness in [Strictness::Contract, Strictness::Strict] {
        let assembled = bundle::contract(&sources, strictness);
        let all_of = assembled.schema["allOf"].as_array().expect("rules");
        assert_eq!(all_of.len(), assembled.rules.len());
        for (rule, schema) in assembled.rules.iter().zip(all_of) {
            assert_eq!(&rule.schema, schema);
        }
        let depth: Vec<_> = assembled
            .rules
            .iter()
            .filter(|r| r.kind == RuleKind::Depth)
            .collect();
        assert_eq!(depth.len(), 1);
        assert!(depth[0].description().starts_with(bundle::DEPTH_RULE));
    }
}

#[test]
fn the_strict_rules_are_the_contract_rules_plus_the_advisories() {
    let sources = bundle::read(&shipped()).expect("schema/ assembles");
    let contract = bundle::rule_list(&sources, Strictness::Contract);
    let strict = bundle::rule_list(&sources, Strictness::Strict);
    let advisories = strict
        .iter()
        .filter(|r| r.kind == RuleKind::Advisory)
        .count();
    assert_eq!(
        advisories,
        sources.advisories.len() + 1,
        "the advisories and the unchecked-results rule"
    );
    assert!(contract.iter().all(|r| r.kind != RuleKind::Advisory));
    let without: Vec<_> = strict
        .iter()
        .filter(|r| r.kind != RuleKind::Advisory)
        .map(|r| (&r.kind, &r.schema))
        .collect();
    let contract: Vec<_> = contract.iter().map(|r| (&r.kind, &r.schema)).collect();
    assert_eq!(contract, without);
}

#[test]
fn every_registry_entry_has_one_results_rule_of_its_key() {
    let sources = bundle::read(&shipped()).expect("schema/ assembles");
    let rules = bundle::rule_list(&sources, Strictness::Strict);
    let keys: Vec<&RuleKey> = rules
        .iter()
        .filter_map(|r| match &r.kind {
            RuleKind::Results(key) => Some(key),
            _ => None,
        })
        .collect();
    let reg = &sources.registry;
    assert_eq!(
        keys.len(),
        reg.by_model.len() + reg.by_type.len() + reg.task_kinds.len()
    );
    for entry in &reg.by_model {
        assert!(
            keys.contains(&&RuleKey::Model(entry.key.clone())),
            "{}",
            entry.key
        );
    }
    for entry in &reg.by_type {
        assert!(
            keys.contains(&&RuleKey::Type(entry.key.clone())),
            "{}",
            entry.key
        );
    }
    for (kind, _) in &reg.task_kinds {
        assert!(keys.contains(&&RuleKey::Object(kind.clone())), "{kind}");
    }
}

#[test]
fn the_registry_is_read_in_name_order_whatever_the_file_order() {
    // models.json lists kling-video-create-voice, minimax-voice-clone, sora-2-character, ...
    let text = std::fs::read_to_string(shipped().join("models.json")).expect("read");
    let at = |name: &str| text.find(name).expect("listed");
    assert!(at("\"sora-2-character\"") < at("\"phota-create-profile\""));
    let keys: Vec<String> = bundle::read(&shipped())
        .expect("assembles")
        .registry
        .by_model
        .into_iter()
        .map(|e| e.key)
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
}
