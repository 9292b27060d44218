//! `foxapi-contract validate`: holds a corpus of responses to the contract. Reads lazily,
//! checks in parallel batches, reports in input order.

use super::format::{Destination, Format};
use super::human::{colour_for_stdout, HumanSink};
use super::json::JsonSink;
use super::junit::JunitSink;
use foxapi_contract::corpus::{self, Unit};
use foxapi_contract::coverage::Coverage;
use foxapi_contract::drift::Drift;
use foxapi_contract::input::{Limits, MAX_DEPTH};
use foxapi_contract::{Contract, Issue, Report, Rule};
use globset::{Glob, GlobSet, GlobSetBuilder};
use rayon::prelude::*;
use schemars::JsonSchema;
use serde::Serialize;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// How many responses are read ahead and checked together.
const BATCH: usize = 256;

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
    /// Threads that check responses; all cores by default. One more thread writes the reports.
    #[arg(long)]
    pub jobs: Option<usize>,
    /// Also list valid responses without warnings (human format).
    #[arg(long, short)]
    pub verbose: bool,
    /// Never draw a progress bar.
    #[arg(long)]
    pub no_progress: bool,
}

/// The verdict on one response of the corpus.
#[derive(Debug)]
pub struct Outcome {
    /// Where it came from.
    pub source: String,
    /// What validation said.
    pub report: Report,
    /// Whether the operating system refused to read it (an I/O error: exit 2 at the end).
    pub unreadable: bool,
}

/// Counts over a run.
#[derive(Clone, Debug, Default, Serialize, JsonSchema)]
pub struct Summary {
    /// Responses checked.
    pub checked: u64,
    /// Responses that keep the contract.
    pub valid: u64,
    /// Responses that break it.
    pub invalid: u64,
    /// Warnings over all responses (in strict mode they count as errors instead).
    pub warnings: u64,
}

/// What a run adds up to, given to each report at its end.
pub struct Totals<'a> {
    /// The counts.
    pub summary: &'a Summary,
    /// With `--drift`: the folded warnings.
    pub drift: Option<&'a [foxapi_contract::drift::DriftRow]>,
    /// With `--coverage` or `--require-coverage`: what the corpus exercised.
    pub coverage: Option<&'a foxapi_contract::coverage::CoverageSummary>,
}

impl Summary {
    /// Counts one response.
    pub fn add(&mut self, report: &Report) {
        self.checked += 1;
        if report.is_valid() {
            self.valid += 1;
        } else {
            self.invalid += 1;
        }
        self.warnings += report.warnings.len() as u64;
    }
}

enum Sink {
    Human(HumanSink<Box<dyn Write>>),
    Json(JsonSink<Box<dyn Write>>),
    Junit(Box<JunitSink>, Box<dyn Write>),
}

impl Sink {
    fn open(format: Format, out: Box<dyn Write>, colour: bool, verbose: bool) -> io::Result<Sink> {
        Ok(match format {
            Format::Human => Sink::Human(HumanSink::new(out, colour, verbose)),
            Format::Json => Sink::Json(JsonSink::new(out)?),
            Format::Junit => Sink::Junit(Box::default(), out),
        })
    }

    fn response(&mut self, outcome: &Outcome) -> io::Result<()> {
        match self {
            Sink::Human(s) => s.response(outcome),
            Sink::Json(s) => s.response(outcome),
            Sink::Junit(s, _) => s.response(outcome),
        }
    }

    fn finish(self, totals: &Totals<'_>) -> io::Result<()> {
        match self {
            Sink::Human(mut s) => s.finish(totals),
            Sink::Json(mut s) => s.finish(totals),
            Sink::Junit(s, out) => s.finish(totals, out),
        }
    }
}

fn globs(patterns: &[String]) -> Result<Option<GlobSet>, String> {
    if patterns.is_empty() {
        return Ok(None);
    }
    let mut builder = GlobSetBuilder::new();
    for p in patterns {
        builder.add(Glob::new(p).map_err(|e| format!("--include/--exclude {p:?}: {e}"))?);
    }
    builder.build().map(Some).map_err(|e| e.to_string())
}

/// Checks one unit against the contract.
fn check(contract: &Contract, unit: Unit, strict: bool) -> Outcome {
    let unreadable = matches!(unit.bytes, Err(corpus::Unreadable::Io(_)));
    let report = match unit.bytes {
        Ok(bytes) => contract.validate(&bytes),
        Err(why) => {
            let rule = match why {
                corpus::Unreadable::TooLarge { .. } => Rule::TooLarge,
                corpus::Unreadable::Io(_) => Rule::NotJson,
            };
            Report::refused(Issue::whole(rule, why.to_string()))
        }
    };
    let report = if strict { report.into_strict() } else { report };
    Outcome {
        source: unit.source,
        report,
        unreadable,
    }
}

fn usage(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {message}");
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
    for path in &paths {
        if path != Path::new("-") && !path.exists() {
            return usage(format!("{}: no such file or directory", path.display()));
        }
    }
    let (include, exclude) = match (globs(&args.include), globs(&args.exclude)) {
        (Ok(i), Ok(e)) => (i, e),
        (Err(e), _) | (_, Err(e)) => return usage(e),
    };
    let limits = Limits {
        max_bytes: args.max_bytes,
        max_depth: args.max_depth as usize,
    };
    let contract = Contract::new().with_limits(limits);
    let pool = match rayon::ThreadPoolBuilder::new()
        .num_threads(args.jobs.unwrap_or(0))
        .build()
    {
        Ok(pool) => pool,
        Err(e) => return usage(format!("cannot start worker threads: {e}")),
    };

    let mut sinks = Vec::new();
    let stdout: Box<dyn Write> = Box::new(BufWriter::new(io::stdout().lock()));
    match Sink::open(args.format, stdout, colour_for_stdout(), args.verbose) {
        Ok(s) => sinks.push(s),
        Err(e) => return usage(format!("standard output: {e}")),
    }
    for dest in &args.reports {
        let file = match File::create(&dest.path) {
            Ok(f) => f,
            Err(e) => {
                return usage(format!(
                    "{}: cannot create the report: {e}",
                    dest.path.display()
                ))
            }
        };
        match Sink::open(
            dest.format,
            Box::new(BufWriter::new(file)),
            false,
            args.verbose,
        ) {
            Ok(s) => sinks.push(s),
            Err(e) => return usage(format!("{}: {e}", dest.path.display())),
        }
    }

    let keep = |p: &Path| {
        include.as_ref().is_none_or(|g| g.is_match(p))
            && !exclude.as_ref().is_some_and(|g| g.is_match(p))
    };
    let mut io_failed = false;
    let mut files: Vec<PathBuf> = Vec::new();
    for path in &paths {
        if path.is_dir() {
            match corpus::walk(path, &keep) {
                Ok(found) => files.extend(found),
                Err(e) => {
                    eprintln!("error: {}: cannot list: {e}", path.display());
                    io_failed = true;
                }
            }
        } else {
            files.push(path.clone());
        }
    }
    let mut units = files
        .into_iter()
        .flat_map(move |path| corpus::pending(&path, limits));

    let progress = super::progress::counter(!args.no_progress && super::progress::wanted());
    let mut summary = Summary::default();
    let mut drift = Drift::default();
    let mut coverage = Coverage::default();
    let mut write_failed = None;
    // Workers check batch n+1 while this thread reports batch n, in input order.
    let (checked, batches) = std::sync::mpsc::sync_channel::<Vec<Outcome>>(1);
    std::thread::scope(|scope| {
        let contract = &contract;
        let pool = &pool;
        scope.spawn(move || loop {
            let batch: Vec<corpus::Pending> = units.by_ref().take(BATCH).collect();
            if batch.is_empty() {
                break;
            }
            let outcomes: Vec<Outcome> = pool.install(|| {
                batch
                    .into_par_iter()
                    .map(|p| check(contract, p.load(limits), args.strict))
                    .collect()
            });
            if checked.send(outcomes).is_err() {
                break;
            }
        });
        for outcomes in batches {
            for outcome in &outcomes {
                io_failed |= outcome.unreadable;
                summary.add(&outcome.report);
                if args.drift {
                    drift.add(&outcome.source, &outcome.report);
                }
                if args.coverage || args.require_coverage {
                    coverage.add(&outcome.report);
                }
                for sink in &mut sinks {
                    if let Err(e) = sink.response(outcome) {
                        write_failed.get_or_insert(e);
                    }
                }
            }
            progress.inc(outcomes.len() as u64);
        }
    });
    progress.finish_and_clear();

    let drift_rows = args.drift.then(|| drift.rows());
    let coverage_summary = (args.coverage || args.require_coverage).then(|| coverage.summary());
    for sink in sinks {
        let totals = Totals {
            summary: &summary,
            drift: drift_rows.as_deref(),
            coverage: coverage_summary.as_ref(),
        };
        if let Err(e) = sink.finish(&totals) {
            write_failed.get_or_insert(e);
        }
    }
    if let Some(e) = write_failed {
        if e.kind() != io::ErrorKind::BrokenPipe {
            eprintln!("error: cannot write the report: {e}");
        }
        return ExitCode::from(2);
    }
    if io_failed {
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
        eprintln!("error: --require-coverage: expected a valid response for every registry model, found none for: {missing}");
    }
    if summary.invalid > 0 || missed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
