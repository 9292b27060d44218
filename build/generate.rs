//! Everything build.rs writes to OUT_DIR, from the schema directory: `types.rs` (typify's
//! types, the open sets, the registry, `ResultItem`'s accessors), `rules.rs` (the rule tables
//! and shared constants), `contract.schema.json`, `contract.strict.schema.json` and
//! `error-body.schema.json`.

use crate::{bundle, codegen};
use std::path::{Path, PathBuf};
use typify::{TypeSpace, TypeSpaceSettings};

fn write(path: &Path, text: &str) -> Result<(), bundle::Fail> {
    std::fs::write(path, text).map_err(|e| format!("{}: cannot write: {e}", path.display()))
}

fn json(value: &serde_json::Value) -> String {
    serde_json::to_string_pretty(value).expect("a serde_json::Value serialises")
}

/// Rust tokens as a formatted file.
fn rust(tokens: proc_macro2::TokenStream, what: &str) -> Result<syn::File, bundle::Fail> {
    syn::parse2(tokens).map_err(|e| format!("{what}: the generated Rust does not parse: {e}"))
}

/// Generates every part from `schema_dir` into `out`; returns the files read, for
/// `rerun-if-changed`.
pub fn generate(schema_dir: &Path, out: &Path) -> Result<Vec<PathBuf>, bundle::Fail> {
    let sources = bundle::read(schema_dir)?;
    let contract = bundle::contract(&sources, bundle::Strictness::Contract);
    let strict = bundle::contract(&sources, bundle::Strictness::Strict);
    write(&out.join("contract.schema.json"), &json(&contract.schema))?;
    write(
        &out.join("contract.strict.schema.json"),
        &json(&strict.schema),
    )?;
    write(
        &out.join("error-body.schema.json"),
        &json(&bundle::error_body(&sources)),
    )?;
    let rules = rust(codegen::rules(&contract, &strict), "rules.rs")?;
    write(&out.join("rules.rs"), &prettyplease::unparse(&rules))?;

    let mut settings = TypeSpaceSettings::default();
    settings.with_struct_builder(false);
    settings.with_derive("PartialEq".to_string());
    settings.with_replacement("Integer", "crate::Integer", std::iter::empty());
    settings.with_replacement("Duration", "crate::Duration", std::iter::empty());
    for (name, _, _) in bundle::open_sets(&sources.defs) {
        settings.with_replacement(&name, &name, std::iter::empty());
    }
    let mut space = TypeSpace::new(&settings);
    let defs: Vec<(String, schemars08::schema::Schema)> = bundle::typify_defs(&sources)
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
    let mut typified = rust(space.to_stream(), "types.rs (typify)")?;
    codegen::non_exhaustive_structs(&mut typified);

    let mut all = quote::quote! {
        #[allow(unused_imports)]
        use ::serde::{Deserialize, Serialize};
        #[allow(unused_imports)]
        use crate::model::{Discriminator, Entry};
    };
    all.extend(quote::ToTokens::into_token_stream(typified));
    all.extend(codegen::open_enums(&sources));
    all.extend(codegen::registry(&sources)?);
    let types = rust(all, "types.rs")?;
    write(&out.join("types.rs"), &prettyplease::unparse(&types))?;
    Ok(sources.files)
}
