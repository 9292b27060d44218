//! The schema files themselves: valid draft 2020-12, a registry that names only what exists,
//! and a fixture for every model and shape.

use foxapi_contract::{model, Shape, CONTRACT_SCHEMA, ERROR_BODY_SCHEMA, STRICT_SCHEMA};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn schema_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = ["schema", "schema/results"]
        .iter()
        .flat_map(|d| std::fs::read_dir(root().join(d)).expect("schema dir"))
        .map(|e| e.expect("entry").path())
        .filter(|p| p.to_string_lossy().ends_with(".schema.json"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_schema_file_is_valid_against_the_2020_12_meta_schema() {
    let files = schema_files();
    assert!(files.len() >= 12, "expected the envelope, error, common, advisories, registry and result schemas, found {files:?}");
    for file in files {
        let schema = read(&file);
        assert_eq!(
            schema["$schema"],
            "https://json-schema.org/draft/2020-12/schema",
            "{}",
            file.display()
        );
        if let Err(e) = jsonschema::meta::validate(&schema) {
            panic!(
                "{}: not a valid 2020-12 schema: {e} at {}",
                file.display(),
                e.instance_path()
            );
        }
    }
}

#[test]
fn the_assembled_schemas_are_valid_and_self_contained() {
    for (name, text) in [
        ("contract", CONTRACT_SCHEMA),
        ("strict", STRICT_SCHEMA),
        ("error body", ERROR_BODY_SCHEMA),
    ] {
        let schema: Value = serde_json::from_str(text).expect("JSON");
        jsonschema::meta::validate(&schema).unwrap_or_else(|e| panic!("{name}: {e}"));
        let refs = text.matches("\"$ref\"").count();
        let local = text.matches("\"$ref\": \"#/$defs/").count();
        assert_eq!(refs, local, "{name}: every $ref must be local");
    }
}

#[test]
fn the_registry_keeps_its_own_schema() {
    let schema = read(&root().join("schema/registry.schema.json"));
    let registry = read(&root().join("schema/models.json"));
    let validator = jsonschema::validator_for(&schema).expect("compiles");
    let errors: Vec<String> = validator
        .iter_errors(&registry)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
}

#[test]
fn the_registry_lists_every_special_model_of_the_spec() {
    let models: Vec<&str> = model::models().iter().map(|e| e.key).collect();
    for expected in [
        "kling-video-create-voice",
        "minimax-voice-clone",
        "sora-2-character",
        "phota-create-profile",
        "scribe-v2",
        "seedance-2.0-text-to-video",
        "seedance-2.0-fast-text-to-video",
        "seedance-2.0-image-to-video",
        "seedance-2.0-fast-image-to-video",
        "seedance-2.0-reference-to-video",
        "seedance-2.0-fast-reference-to-video",
        "patina-pbr-maps",
        "patina-material",
        "patina-material-extract",
    ] {
        assert!(
            models.contains(&expected),
            "{expected} is missing from schema/models.json"
        );
    }
    let mut types: Vec<&str> = model::output_types().iter().map(|e| e.key).collect();
    types.sort_unstable();
    assert_eq!(types, ["audio", "image", "llm", "video"]);
}

#[test]
fn every_registry_model_has_a_valid_fixture_of_its_own() {
    for entry in model::models() {
        let path = root().join(format!("fixtures/valid/model/{}.json", entry.key));
        let fixture = read(&path);
        assert_eq!(fixture["model"], entry.key, "{}", path.display());
        assert_eq!(fixture["type"], entry.output_type, "{}", path.display());
    }
}

#[test]
fn every_shape_is_named_by_the_registry() {
    let used: Vec<Shape> = model::models()
        .iter()
        .chain(model::output_types())
        .flat_map(|e| e.shapes.iter().copied())
        .collect();
    for shape in Shape::ALL {
        assert!(
            used.contains(shape),
            "shape {} has a schema but no registry entry uses it",
            shape.name()
        );
        let file = root().join(format!("schema/results/{}.schema.json", shape.name()));
        assert_eq!(read(&file)["title"], shape.title());
    }
}
