//! `foxapi-contract validate`: holds a corpus of responses to the contract. Reads lazily,
//! checks in parallel batches, reports in input order.

use super::format::Destination;
use foxapi_contract::harness::coverage::Coverage;
use foxapi_contract::harness::drift::Drift;
use foxapi_contract::harness::report::human::colour_for_stdout;
use foxapi_contract::harness::report::{Format, Sink};
use foxapi_contract::harness::{Run, Totals, MAX_JOBS};
use foxapi_contract::untrusted::printable;
use foxapi_contract::{Contract, Limits, MAX_DEPTH};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use tempfile::TempPath;

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

/// What names the same file as `path` for the purpose of comparing: its device and inode
/// where there are such, else its canonical path. `None` when it does not exist.
fn identity(path: &Path) -> Option<(u64, u64, PathBuf)> {
    let meta = std::fs::metadata(path).ok()?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        Some((meta.dev(), meta.ino(), PathBuf::new()))
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        Some((0, 0, std::fs::canonicalize(path).ok()?))
    }
}

/// Where a file at `path` is (or would be): its directory canonical, then its name; so two
/// spellings of one place compare equal whether the file exists or not.
fn place(path: &Path) -> Option<PathBuf> {
    let name = path.file_name()?;
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    Some(std::fs::canonicalize(dir).ok()?.join(name))
}

/// A report file being written. A regular file (or a new one) is written to a temporary file
/// beside it and renamed onto it when the report is whole, so a failed run never leaves half a
/// report and the file is never read by the run that writes it; a link is followed, so the
/// file it names is the one replaced and the link stays. Anything else that exists (a
/// device such as `/dev/stdout`, a FIFO) is written through as it is.
struct ReportFile {
    sink: Sink,
    /// The temporary file and where it goes, for a regular file.
    temp: Option<(TempPath, PathBuf)>,
    path: PathBuf,
}

impl ReportFile {
    fn create(dest: &Destination, verbose: bool) -> io::Result<ReportFile> {
        let open = |out: Box<dyn Write>| Sink::open(dest.format, out, false, verbose);
        if let Ok(meta) = std::fs::metadata(&dest.path) {
            if !meta.is_file() {
                let file = std::fs::OpenOptions::new().write(true).open(&dest.path)?;
                return Ok(ReportFile {
                    sink: open(Box::new(BufWriter::new(file)))?,
                    temp: None,
                    path: dest.path.clone(),
                });
            }
        }
        let target = link_target(&dest.path);
        let dir = match target.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let mut builder = tempfile::Builder::new();
        builder.prefix(".foxapi-report-").suffix(".tmp");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            // As File::create would: readable by all, less what the umask takes away.
            builder.permissions(std::fs::Permissions::from_mode(0o666));
        }
        let (file, temp) = builder.tempfile_in(&dir)?.into_parts();
        Ok(ReportFile {
            sink: open(Box::new(BufWriter::new(file)))?,
            temp: Some((temp, target)),
            path: dest.path.clone(),
        })
    }

    /// Ends the report and puts it in place; on failure the temporary file is removed.
    fn finish(self, totals: &Totals<'_>) -> io::Result<()> {
        self.sink.finish(totals)?;
        match self.temp {
            Some((temp, target)) => temp.persist(&target).map_err(|e| e.error),
            None => Ok(()),
        }
    }
}

/// The file a path names once links are followed (a few of them), even where that file does
/// not exist yet: the path itself when it is no link.
fn link_target(path: &Path) -> PathBuf {
    let mut at = path.to_path_buf();
    for _ in 0..40 {
        let is_link = std::fs::symlink_metadata(&at).is_ok_and(|m| m.file_type().is_symlink());
        let Some(next) = is_link.then(|| std::fs::read_link(&at).ok()).flatten() else {
            break;
        };
        at = match at.parent() {
            Some(dir) if next.is_relative() => dir.join(next),
            _ => next,
        };
    }
    at
}

/// Refuses report destinations that are inputs of the run, or the same file twice.
fn check_reports(reports: &[Destination], inputs: &[PathBuf]) -> Result<(), String> {
    let mut places = Vec::new();
    for dest in reports {
        let shown = printable(&dest.path.to_string_lossy()).into_owned();
        if let Some(report) = identity(&dest.path) {
            for input in inputs.iter().filter(|p| *p != Path::new("-")) {
                if std::fs::metadata(input).is_ok_and(|m| !m.is_dir())
                    && identity(input).as_ref() == Some(&report)
                {
                    return Err(format!(
                        "--report {shown}: expected a report file that this run does not read, found the input {}; nothing was read or written",
                        printable(&input.to_string_lossy())
                    ));
                }
            }
        }
        let at = place(&dest.path);
        if at.is_some() && places.contains(&at) {
            return Err(format!(
                "--report {shown}: expected each report in a file of its own, found this file named twice"
            ));
        }
        places.push(at);
    }
    Ok(())
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
    if let Err(e) = check_reports(&args.reports, &paths) {
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
    let report_paths: Vec<PathBuf> = args.reports.iter().map(|d| d.path.clone()).collect();
    let run = run.skip(&report_paths);

    // Every report file is open before standard output gets its first byte, so a report that
    // cannot be created leaves nothing half-written there.
    let mut files = Vec::new();
    for dest in &args.reports {
        match ReportFile::create(dest, args.verbose) {
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
    let checked = run.check(&paths, |outcome| {
        io_failed |= outcome.unreadable;
        if args.drift {
            drift.add(&outcome.source, &outcome.report);
        }
        if args.coverage || args.require_coverage {
            coverage.add(&outcome.report);
        }
        if let Err(e) = stdout.response(outcome) {
            write_failed.get_or_insert(e);
        }
        for (file, failed) in files.iter_mut().zip(&mut failed_files) {
            if !*failed {
                if let Err(e) = file.sink.response(outcome) {
                    report_error(&file.path, &e);
                    *failed = true;
                }
            }
        }
        progress.inc(1);
    });
    progress.finish_and_clear();
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
        let path = file.path.clone();
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
