//! `foxapi-contract validate`: holds a corpus of responses to the contract. Reads lazily,
//! checks in parallel batches, reports in input order.

use super::format::Destination;
use foxapi_contract::harness::coverage::Coverage;
use foxapi_contract::harness::drift::Drift;
use foxapi_contract::harness::report::file::{check_destinations, ReportFile};
use foxapi_contract::harness::report::human::colour_for_stdout;
use foxapi_contract::harness::report::{Format, Rendered, Sink};
use foxapi_contract::harness::Outcome;
use foxapi_contract::harness::{Run, Totals, MAX_JOBS};
use foxapi_contract::untrusted::printable;
use foxapi_contract::{Contract, Limits, MAX_DEPTH};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Arguments of `validate`.
#[derive(clap::Args, Debug)]
pub struct ValidateArgs {
    /// Files, directories (searched recursively for *.json, *.jsonl, *.ndjson) or `-` for
    /// standard input (JSON or JSON Lines). Standard input when none is given.
    pub paths: Vec<PathBuf>,
    /// The format printed on standard output.
    #[arg(long, value_enum, default_value = "human")]
    pub format: Format,
    /// Also write a report file: PATH (format from .json, .xml or .txt) or FORMAT:PATH. Repeatable.
    #[arg(long = "report", value_name = "[FORMAT:]PATH")]
    pub reports: Vec<Destination>,
    /// Make every warning an error.
    #[arg(long)]
    pub strict: bool,
    /// Only files whose path matches one of these globs (in directories).
    #[arg(long, value_name = "GLOB")]
    pub include: Vec<String>,
    /// Skip files whose path matches one of these globs (in directories).
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// Summarise the warnings of the whole corpus by pointer pattern and model.
    #[arg(long)]
    pub drift: bool,
    /// List which registry models and shapes the corpus exercised and which it never did.
    #[arg(long)]
    pub coverage: bool,
    /// Fail the run when a registry model has no valid response in the corpus.
    #[arg(long)]
    pub require_coverage: bool,
    /// The largest response accepted, in bytes; a larger one is invalid, unread.
    #[arg(long, default_value_t = Limits::default().max_bytes)]
    pub max_bytes: usize,
    /// The deepest nesting accepted (at most 128).
    #[arg(long, default_value_t = MAX_DEPTH as u64, value_parser = clap::value_parser!(u64).range(1..=MAX_DEPTH as u64))]
    pub max_depth: u64,
    /// Threads that check responses (1 to 256); all cores by default. One more thread writes
    /// the reports.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=MAX_JOBS as u64))]
    pub jobs: Option<u64>,
    /// The most errors, and the most warnings, listed per response; the rest are counted, so a
    /// response with a million broken items is reported quickly and in a few lines.
    #[arg(long, value_name = "N", default_value_t = foxapi_contract::DEFAULT_MAX_ISSUES as u64, value_parser = clap::value_parser!(u64).range(1..))]
    pub max_issues: u64,
    /// Leave the secrets of signed URLs (signatures, tokens, credentials) in the reports, for
    /// local debugging; by default they are masked, so reports can be shared.
    #[arg(long)]
    pub show_secrets: bool,
    /// Also list valid responses without warnings (human format).
    #[arg(long, short)]
    pub verbose: bool,
    /// Never draw a progress bar.
    #[arg(long)]
    pub no_progress: bool,
}

/// Says what was wrong with the command (its text made printable) and exits 2.
fn usage(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {}", printable(&message.to_string()));
    ExitCode::from(2)
}

/// Runs `validate`: 0 when every response is valid, 1 when any is invalid (or coverage is
/// missed), 2 on a usage or I/O error.
pub fn run(args: ValidateArgs) -> ExitCode {
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from("-")]
    } else {
        args.paths.clone()
    };
    let report_paths: Vec<PathBuf> = args.reports.iter().map(|d| d.path.clone()).collect();
    if let Err(e) = check_destinations(&report_paths, &paths) {
        return usage(e);
    }
    let limits = Limits::default()
        .with_max_bytes(args.max_bytes)
        .with_max_depth(args.max_depth as usize);
    let contract = Contract::new()
        .with_limits(limits)
        .with_max_issues(usize::try_from(args.max_issues).unwrap_or(usize::MAX));
    let run = match Run::new(contract)
        .strict(args.strict)
        .secrets_shown(args.show_secrets)
        .include(&args.include)
        .and_then(|run| run.exclude(&args.exclude))
    {
        Ok(run) => run,
        Err(e) => return usage(e),
    };
    let run = match args.jobs {
        Some(jobs) => run.jobs(jobs as usize),
        None => run,
    };
    // A report written into a directory of the corpus is not a response of it.
    let run = run.skip(&report_paths);

    // Every report file is open before standard output gets its first byte, so a report that
    // cannot be created leaves nothing half-written there.
    let mut files = Vec::new();
    for dest in &args.reports {
        match ReportFile::create(dest.format, &dest.path, args.verbose) {
            Ok(file) => files.push(file),
            Err(e) => {
                return usage(format!(
                    "{}: cannot create the report: {e}",
                    dest.path.display()
                ))
            }
        }
    }
    let stdout: Box<dyn Write> = Box::new(BufWriter::new(io::stdout().lock()));
    let mut stdout = match Sink::open(args.format, stdout, colour_for_stdout(), args.verbose) {
        Ok(s) => s,
        Err(e) => return usage(format!("standard output: {e}")),
    };

    let progress = super::progress::counter(!args.no_progress && super::progress::wanted());
    let mut drift = Drift::default();
    let mut coverage = Coverage::default();
    let mut io_failed = false;
    let mut write_failed = None;
    let mut failed_files = vec![false; files.len()];
    // Each report's rendering of a response is done on the checking threads; here it is
    // only written, in input order.
    let renderers: Vec<_> = std::iter::once(stdout.renderer())
        .chain(files.iter().map(ReportFile::renderer))
        .collect();
    let render = |outcome: &Outcome| -> Vec<Rendered> {
        renderers.iter().map(|r| r.render(outcome)).collect()
    };
    let checked = run.check_prepared(&paths, render, |outcome, rendered| {
        io_failed |= outcome.unreadable;
        if args.drift {
            drift.add(&outcome.source, &outcome.report);
        }
        if args.coverage || args.require_coverage {
            coverage.add(&outcome.report);
        }
        let mut rendered = rendered.into_iter();
        if let Some(own) = rendered.next() {
            if let Err(e) = stdout.write(own) {
                write_failed.get_or_insert(e);
            }
        }
        for ((file, failed), own) in files.iter_mut().zip(&mut failed_files).zip(rendered) {
            if !*failed {
                if let Err(e) = file.write(own) {
                    report_error(file.path(), &e);
                    *failed = true;
                }
            }
        }
        progress.inc(1);
    });
    progress.finish_and_clear();
    // The compiled schemas go with the process rather than one validator at a time.
    std::mem::forget(run);
    let summary = match checked {
        Ok(summary) => summary,
        Err(e) => return usage(e),
    };

    let drift_rows = args.drift.then(|| drift.rows());
    let coverage_summary = (args.coverage || args.require_coverage).then(|| coverage.summary());
    let totals = Totals {
        summary: &summary,
        drift: drift_rows.as_deref(),
        coverage: coverage_summary.as_ref(),
    };
    let mut files_failed = false;
    for (file, failed) in files.into_iter().zip(failed_files) {
        files_failed |= failed;
        if failed {
            continue; // Dropping it removes the temporary file; what was there stays.
        }
        let path = file.path().to_path_buf();
        if let Err(e) = file.finish(&totals) {
            report_error(&path, &e);
            files_failed = true;
        }
    }
    if let Err(e) = stdout.finish(&totals) {
        write_failed.get_or_insert(e);
    }
    if let Some(e) = write_failed {
        if e.kind() != io::ErrorKind::BrokenPipe {
            eprintln!("error: cannot write the report: {e}");
        }
        return ExitCode::from(2);
    }
    if io_failed || files_failed {
        return ExitCode::from(2);
    }
    let missed = args.require_coverage
        && coverage_summary
            .as_ref()
            .is_some_and(|c| !c.missing_models.is_empty());
    if missed {
        let missing = coverage_summary
            .map(|c| c.missing_models.join(", "))
            .unwrap_or_default();
        eprintln!("error: --require-coverage: expected a valid response for every registry model, found none for: {}", printable(&missing));
    }
    if !summary.passed() || missed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// Says that the report file at `path` could not be written; it is left as it was.
fn report_error(path: &Path, error: &io::Error) {
    eprintln!(
        "error: {}: cannot write the report ({error}); the file was left as it was",
        printable(&path.to_string_lossy())
    );
}
