//! Turns schema/ into the crate's generated parts, all in OUT_DIR (never in git):
//! `types.rs` (typify's types, the open sets, the registry), `contract.schema.json`,
//! `contract.strict.schema.json`, `error-body.schema.json` and `dispatch.json` (where each
//! registry entry's results rule stands in the contract).

#[path = "build/bundle.rs"]
mod bundle;
#[path = "build/codegen.rs"]
mod codegen;

use std::path::{Path, PathBuf};
use typify::{TypeSpace, TypeSpaceSettings};

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("set by cargo"));
    println!("cargo:rerun-if-changed=schema");
    println!("cargo:rerun-if-changed=build");
    if let Err(message) = generate(&root.join("schema"), &out) {
        eprintln!("error: {message}");
        std::process::exit(1);
    }
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    std::fs::write(path, text).map_err(|e| format!("{}: cannot write: {e}", path.display()))
}

fn generate(schema_dir: &Path, out: &Path) -> Result<(), String> {
    let sources = bundle::read(schema_dir)?;
    for file in &sources.files {
        println!("cargo:rerun-if-changed={}", file.display());
    }
    for (name, strictness) in [
        ("contract.schema.json", bundle::Strictness::Contract),
        ("contract.strict.schema.json", bundle::Strictness::Strict),
    ] {
        let schema = bundle::contract(&sources, strictness);
        write(
            &out.join(name),
            &serde_json::to_string_pretty(&schema).expect("JSON"),
        )?;
    }
    write(
        &out.join("dispatch.json"),
        &serde_json::to_string_pretty(&bundle::dispatch(&sources)).expect("JSON"),
    )?;
    let error_body = bundle::error_body(&sources);
    write(
        &out.join("error-body.schema.json"),
        &serde_json::to_string_pretty(&error_body).expect("JSON"),
    )?;

    let mut settings = TypeSpaceSettings::default();
    settings.with_struct_builder(false);
    settings.with_derive("PartialEq".to_string());
    settings.with_replacement("Integer", "crate::Integer", std::iter::empty());
    settings.with_replacement("Duration", "crate::Duration", std::iter::empty());
    for (name, _, _) in bundle::open_sets(&sources.defs) {
        settings.with_replacement(&name, &name, std::iter::empty());
    }
    let mut space = TypeSpace::new(&settings);
    let defs = bundle::typify_defs(&sources);
    let defs: Vec<(String, schemars08::schema::Schema)> = defs
        .into_iter()
        .map(|(name, schema)| {
            serde_json::from_value(schema)
                .map(|s| (name.clone(), s))
                .map_err(|e| format!("schema/: $defs/{name}: typify cannot read it: {e}"))
        })
        .collect::<Result<_, _>>()?;
    space
        .add_ref_types(defs)
        .map_err(|e| format!("schema/: typify: {e}"))?;

    let tokens = quote::quote! {
        #[allow(unused_imports)]
        use ::serde::{Deserialize, Serialize};
        #[allow(unused_imports)]
        use crate::model::{Discriminator, Entry};
    };
    let mut all = tokens;
    all.extend(space.to_stream());
    all.extend(codegen::open_enums(&sources));
    all.extend(codegen::registry(&sources));
    let file: syn::File =
        syn::parse2(all).map_err(|e| format!("generated Rust does not parse: {e}"))?;
    write(&out.join("types.rs"), &prettyplease::unparse(&file))
}
