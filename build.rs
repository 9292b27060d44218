//! Turns schema/ into the crate's generated parts, all in OUT_DIR (never in git); the work is
//! done by build/, which `tests/build_gen.rs` tests.

#[path = "build/bundle.rs"]
mod bundle;
#[path = "build/codegen.rs"]
mod codegen;
#[allow(dead_code)] // The crate uses all of it; the build only `check_dir`.
#[path = "src/openapi/expressible.rs"]
mod expressible;
#[path = "build/generate.rs"]
mod generate;
#[path = "build/parts.rs"]
mod parts;
#[path = "build/registry.rs"]
mod registry;

use std::path::PathBuf;

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("set by cargo"));
    println!("cargo:rerun-if-changed=schema");
    println!("cargo:rerun-if-changed=build");
    // A schema the OpenAPI document could not carry fails the build, naming file and pointer.
    if let Err(found) = expressible::check_dir(&root.join("schema")) {
        for inexpressible in found {
            eprintln!("error: {inexpressible}");
        }
        std::process::exit(1);
    }
    match generate::generate(&root.join("schema"), &out) {
        Ok(files) => {
            for file in files {
                println!("cargo:rerun-if-changed={}", file.display());
            }
        }
        Err(message) => {
            eprintln!("error: {message}");
            std::process::exit(1);
        }
    }
}
