//! `foxapi-contract schema`: prints the contract schema, or another schema the crate owns, or
//! the OpenAPI 3.1 description of the task API.

use std::process::ExitCode;

/// Which schema to print.
#[derive(clap::Args, Debug)]
pub struct SchemaArgs {
    /// The strict contract: the contract plus every warning rule. With `--openapi`, the
    /// OpenAPI document made of the strict schemas.
    #[arg(long, conflicts_with_all = ["report", "error_body"])]
    pub strict: bool,
    /// The schema of the JSON report of `validate --format json`.
    #[arg(long, conflicts_with_all = ["error_body", "openapi"])]
    pub report: bool,
    /// The schema of the body of a non-2xx answer (spec section 4).
    #[arg(long, conflicts_with = "openapi")]
    pub error_body: bool,
    /// The OpenAPI 3.1 document of the task API (the task route, the submit routes, bearer
    /// security, the section 4 errors), generated from the same schemas.
    #[arg(long)]
    pub openapi: bool,
}

/// Prints the chosen schema to standard output.
pub fn run(args: SchemaArgs) -> ExitCode {
    let text = if args.openapi {
        if let Err(found) = foxapi_contract::openapi::check(args.strict) {
            for inexpressible in found {
                eprintln!("error: {inexpressible}");
            }
            return ExitCode::from(2);
        }
        let document = foxapi_contract::openapi::document(args.strict);
        serde_json::to_string_pretty(&document).expect("a JSON value with string keys")
    } else if args.report {
        foxapi_contract::harness::report::json::report_schema()
    } else if args.strict {
        foxapi_contract::STRICT_SCHEMA.to_string()
    } else if args.error_body {
        foxapi_contract::ERROR_BODY_SCHEMA.to_string()
    } else {
        foxapi_contract::CONTRACT_SCHEMA.to_string()
    };
    println!("{text}");
    ExitCode::SUCCESS
}
