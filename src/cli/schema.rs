//! `foxapi-contract schema`: prints the contract schema, or another schema the crate owns.

use std::process::ExitCode;

/// Which schema to print.
#[derive(clap::Args, Debug)]
#[group(multiple = false)]
pub struct SchemaArgs {
    /// The strict contract: the contract plus every warning rule.
    #[arg(long)]
    pub strict: bool,
    /// The schema of the JSON report of `validate --format json`.
    #[arg(long)]
    pub report: bool,
    /// The schema of the body of a non-2xx answer (spec section 4).
    #[arg(long)]
    pub error_body: bool,
}

/// Prints the chosen schema to standard output.
pub fn run(args: SchemaArgs) -> ExitCode {
    let text = if args.report {
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
