//! Snapshots of what build.rs generates, so a schema change shows its Rust and schema diff in
//! review. The generated code itself is never committed; these snapshots are.

#[test]
fn generated_rust_source() {
    let source = include_str!(concat!(env!("OUT_DIR"), "/types.rs"));
    insta::assert_snapshot!("types.rs", source);
}

#[test]
fn contract_schema() {
    insta::assert_snapshot!("contract.schema.json", foxapi_contract::CONTRACT_SCHEMA);
}

#[test]
fn strict_contract_schema() {
    insta::assert_snapshot!(
        "contract.strict.schema.json",
        foxapi_contract::STRICT_SCHEMA
    );
}

/// Every valid fixture below `dir`, recursively, in name order.
fn fixtures(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            fixtures(&path, out);
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
}

/// `ResultItem::url()` and the id accessors, generated from the shapes' properties, read what
/// the item's JSON holds, for every shape and for untyped items; and every accessor answers
/// on some fixture.
#[test]
fn result_item_accessors_read_each_fixture_item_as_its_json_says() {
    use foxapi_contract::{Contract, ResultItem};
    type Accessor = fn(&ResultItem) -> Option<&str>;
    let accessors: [(&str, Accessor); 4] = [
        ("url", ResultItem::url),
        ("voice_id", ResultItem::voice_id),
        ("character_id", ResultItem::character_id),
        ("profile_id", ResultItem::profile_id),
    ];
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut paths = Vec::new();
    fixtures(&root.join("valid"), &mut paths);
    fixtures(&root.join("upstream/valid"), &mut paths);
    let mut answered = [0usize; 4];
    let mut untyped = 0;
    for path in &paths {
        let bytes = std::fs::read(path).expect("read");
        let parsed = Contract::global()
            .parse(&bytes)
            .unwrap_or_else(|r| panic!("{}: {r:?}", path.display()));
        let json: serde_json::Value = serde_json::from_slice(&bytes).expect("JSON");
        for (i, item) in parsed.results.iter().enumerate() {
            let raw = &json["results"][i];
            untyped += usize::from(matches!(item, ResultItem::Untyped(_)));
            for (n, (property, accessor)) in accessors.iter().enumerate() {
                let expected = raw.get(property).and_then(serde_json::Value::as_str);
                assert_eq!(
                    accessor(item),
                    expected,
                    "{}: /results/{i}: {property}()",
                    path.display()
                );
                answered[n] += usize::from(expected.is_some());
            }
        }
    }
    for ((property, _), count) in accessors.iter().zip(answered) {
        assert!(count > 0, "no fixture item has a {property}");
    }
    assert!(untyped > 0, "no fixture item is untyped");
}

/// Shapes without a property answer `None`, even when the item is typed.
#[test]
fn result_item_accessors_answer_none_for_shapes_without_the_property() {
    let body = br#"{"id":"task-llm-1","object":"llm.generation.task","type":"llm","model":"gpt-x",
      "status":"completed","progress":100,"created":1,"results":[{"id":"c","object":"chat.completion",
      "created":1,"model":"gpt-x","choices":[]}]}"#;
    let parsed = foxapi_contract::Contract::global()
        .parse(body)
        .expect("keeps the contract");
    let item = &parsed.results[0];
    assert_eq!(item.shape(), Some(foxapi_contract::Shape::ChatCompletion));
    assert_eq!(
        (
            item.url(),
            item.voice_id(),
            item.character_id(),
            item.profile_id()
        ),
        (None, None, None, None)
    );
}

#[test]
fn generated_rule_table_source() {
    let source = include_str!(concat!(env!("OUT_DIR"), "/rules.rs"));
    insta::assert_snapshot!("rules.rs", source);
}
