//! `foxapi-contract`: validate FoxAPI responses against the contract, print its schemas,
//! talk to the task endpoint, serve a mock FoxAPI, and proxy the real one.

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
    /// Read a task from the FoxAPI task endpoint: get, wait, download.
    Task {
        #[command(flatten)]
        connection: cli::task::ConnectionArgs,
        #[command(subcommand)]
        command: cli::task::TaskCommand,
    },
    /// Save a live response as a fixture under fixtures/recorded/<model>/, validated, secrets removed.
    Record {
        #[command(flatten)]
        connection: cli::task::ConnectionArgs,
        #[command(flatten)]
        args: cli::task::RecordArgs,
    },
    /// Serve a mock FoxAPI on a loopback address, from fixtures and scripted lifecycles.
    Serve(cli::serve::ServeArgs),
    /// Forward an application's FoxAPI traffic, holding every answer to the contract; record
    /// it as cassettes and fixtures, or replay a recording offline.
    Proxy(cli::proxy::ProxyArgs),
}

/// Parsing a response is mostly allocation; mimalloc makes that a third cheaper than the
/// system allocator (BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // Diagnostics go to stderr, off unless asked for: FOXAPI_LOG=debug (an EnvFilter).
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("FOXAPI_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("off")),
        )
        .init();
    let cli = Cli::parse();
    match cli.command {
        Command::Validate(args) => cli::validate::run(args),
        Command::Schema(args) => cli::schema::run(args),
        Command::Task {
            connection,
            command,
        } => cli::task::run_task(connection, command),
        Command::Record { connection, args } => cli::task::run_record(connection, args),
        Command::Serve(args) => cli::serve::run(args),
        Command::Proxy(args) => cli::proxy::run(args),
    }
}
