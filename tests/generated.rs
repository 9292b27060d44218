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
