//! `foxapi-contract`: validate FoxAPI responses against the contract, print its schemas,
//! talk to the task endpoint, and serve a mock FoxAPI.

use clap::{Parser, Subcommand};
use std::process::ExitCode;

mod cli;

/// The FoxAPI task contract, executable.
#[derive(Parser, Debug)]
#[command(name = "foxapi-contract", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Hold responses (files, directories, JSON Lines, stdin) to the contract.
    Validate(cli::validate::ValidateArgs),
    /// Print the self-contained contract schema (or the strict one, the report's, the error body's).
    Schema(cli::schema::SchemaArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Validate(args) => cli::validate::run(args),
        Command::Schema(args) => cli::schema::run(args),
    }
}
