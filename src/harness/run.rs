//! A run of the contract over a corpus: files, directories (recursive), JSON Lines and
//! standard input, read lazily, checked on all cores in batches, and handed back in input
//! order. What the `validate` command does, for any caller: a downstream crate's `#[test]`
//! checks its own recorded responses with [`check_paths`].

use super::budget::Budget;
use super::corpus::{self, Found, Pending, Unit};
use super::expect::{Expectations, Expected, MANIFEST};
use super::report::human::HumanSink;
use super::{Outcome, Summary, Totals};
use crate::report::{Issue, Report, Rule};
use crate::Contract;
use globset::{Glob, GlobSet, GlobSetBuilder};
use rayon::prelude::*;
use std::path::{Path, PathBuf};

/// How many responses are read ahead and checked together.
const BATCH: usize = 256;

/// At most this many responses in all are checked on the calling thread, without starting
/// any: what a pre-commit hook or an editor asks for.
const INLINE: usize = 4;

/// How many batches may be queued for checking beyond the one being handed on.
const AHEAD: usize = 2;

/// The most checking threads a run may start: far more than any machine has cores, far
/// fewer than an operating system refuses to start.
pub const MAX_JOBS: usize = 256;

/// Why a run could not start. Responses that cannot be read are not this: they are invalid
/// outcomes of the run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RunError {
    /// A path given to the run does not exist.
    #[error("{0}: expected a file, a directory or `-`, found nothing there")]
    NoSuchPath(String),
    /// An include or exclude pattern is not a glob.
    #[error("glob {pattern:?}: {message}")]
    Glob {
        /// The pattern as given.
        pattern: String,
        /// What is wrong with it.
        message: String,
    },
    /// The checking threads could not be started.
    #[error("cannot start the checking threads: {0}")]
    Threads(String),
}

/// A corpus run: the contract and how to hold responses to it.
#[derive(Debug)]
pub struct Run {
    contract: Contract,
    strict: bool,
    secrets_shown: bool,
    include: Option<GlobSet>,
    exclude: Option<GlobSet>,
    jobs: Option<usize>,
    skip: Vec<PathBuf>,
}

impl Default for Run {
    fn default() -> Self {
        Run::new(Contract::new())
    }
}

impl Run {
    /// A run holding responses to `contract` (its limits and issue cap apply).
    pub fn new(contract: Contract) -> Run {
        Run {
            contract,
            strict: false,
            secrets_shown: false,
            include: None,
            exclude: None,
            jobs: None,
            skip: Vec::new(),
        }
    }

    /// Strict mode: every warning is an error.
    #[must_use]
    pub fn strict(mut self, on: bool) -> Run {
        self.strict = on;
        self
    }

    /// Leave the secrets of signed URLs in what the outcomes show (for local debugging).
    #[must_use]
    pub fn secrets_shown(mut self, shown: bool) -> Run {
        self.contract = self.contract.with_secrets_shown(shown);
        self.secrets_shown = shown;
        self
    }

    /// In directories, read only the files whose path matches one of `globs`.
    pub fn include<S: AsRef<str>>(mut self, globs: &[S]) -> Result<Run, RunError> {
        self.include = glob_set(globs)?;
        Ok(self)
    }

    /// In directories, skip the files whose path matches one of `globs`.
    pub fn exclude<S: AsRef<str>>(mut self, globs: &[S]) -> Result<Run, RunError> {
        self.exclude = glob_set(globs)?;
        Ok(self)
    }

    /// Check on `jobs` threads (1 to [`MAX_JOBS`]); all cores when not said.
    #[must_use]
    pub fn jobs(mut self, jobs: usize) -> Run {
        self.jobs = Some(jobs.clamp(1, MAX_JOBS));
        self
    }

    /// Never read these files as responses, though they lie in a directory of the corpus (the
    /// run's own report files, say).
    #[must_use]
    pub fn skip(mut self, files: &[PathBuf]) -> Run {
        self.skip = files.iter().filter_map(|f| place(f)).collect();
        self
    }

    /// Checks every response of `paths` (files, directories, `-` for standard input) and
    /// hands each outcome to `each`, in input order; then the problems of the expectations
    /// manifests met ([`super::expect`]), if any. Returns the run's counts.
    pub fn check<P: AsRef<Path>>(
        &self,
        paths: &[P],
        mut each: impl FnMut(&Outcome),
    ) -> Result<Summary, RunError> {
        self.check_prepared(paths, |_| (), |outcome, ()| each(outcome))
    }

    /// As [`Run::check`], with `prepare` called on each outcome on the checking threads, in
    /// any order, and what it returns handed to `each` with the outcome, in input order: the
    /// work of rendering reports (see [`super::report::Renderer`]) is then shared by every
    /// core, and `each` only writes.
    pub fn check_prepared<P: AsRef<Path>, T: Send>(
        &self,
        paths: &[P],
        prepare: impl Fn(&Outcome) -> T + Sync,
        mut each: impl FnMut(&Outcome, T),
    ) -> Result<Summary, RunError> {
        for path in paths.iter().map(AsRef::as_ref) {
            if !corpus::is_stdin(path) && std::fs::symlink_metadata(path).is_err() {
                return Err(RunError::NoSuchPath(
                    crate::untrusted::printable(&path.display().to_string()).into_owned(),
                ));
            }
        }
        let limits = self.contract.limits();
        // Directory handles are held on this thread while the run lasts.
        let _caching = super::opening::Caching::start();
        let keep = |p: &Path| {
            self.include.as_ref().is_none_or(|g| g.is_match(p))
                && !self.exclude.as_ref().is_some_and(|g| g.is_match(p))
                // A path without the manifest's name in it is not one (a cheap look first).
                && (memchr::memmem::find(p.as_os_str().as_encoded_bytes(), MANIFEST.as_bytes())
                    .is_none()
                    || p.file_name().is_none_or(|n| n != MANIFEST))
                && (self.skip.is_empty() || place(p).is_none_or(|at| !self.skip.contains(&at)))
        };
        let mut found: Vec<(PathBuf, Found)> = Vec::new();
        std::thread::scope(|scope| {
            // A directory holds many responses: the schemas compile while it is walked.
            if paths.iter().any(|p| p.as_ref().is_dir()) {
                scope.spawn(|| self.contract.prepare());
            }
            for path in paths.iter().map(AsRef::as_ref) {
                if path.is_dir() {
                    found.extend(
                        corpus::walk(path, &keep)
                            .into_iter()
                            .map(|f| (path.to_path_buf(), f)),
                    );
                } else {
                    let root = path.parent().unwrap_or(Path::new("")).to_path_buf();
                    found.push((
                        root,
                        Found {
                            path: path.to_path_buf(),
                            refused: None,
                        },
                    ));
                }
            }
        });
        // Each response with what the manifests expect of it, in input order.
        let mut expectations = Expectations::default();
        let mut units = found.into_iter().flat_map(|(root, found)| {
            let path = found.path.clone();
            let mut pending = found.pending(limits).peekable();
            // One answer for the file, whatever number of responses it holds; none asked for
            // a file without one (an empty JSON Lines file reads no manifest).
            let expected = if pending.peek().is_none() || corpus::is_stdin(&path) {
                Expected::Valid
            } else {
                expectations.of(&root, &path)
            };
            pending.map(move |p| (expected.clone(), p))
        });

        let mut summary = Summary::default();
        let mut hand_on = |outcome: Outcome, prepared: T| {
            summary.add(&outcome);
            each(&outcome, prepared);
        };
        let budget = Budget::default();
        let check = |(expected, p): (Expected, Pending)| {
            let outcome = self.outcome(&budget, p.load(limits)).expecting(expected);
            let prepared = prepare(&outcome);
            (outcome, prepared)
        };
        let first: Vec<(Expected, Pending)> = units.by_ref().take(BATCH).collect();
        if first.len() <= INLINE {
            // A few responses (a pre-commit hook, an editor) are checked here: starting
            // threads would cost more than it saves.
            for unit in first {
                let (outcome, prepared) = check(unit);
                hand_on(outcome, prepared);
            }
        } else {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(self.jobs.unwrap_or(0))
                .start_handler(|_| super::opening::Caching::for_this_thread())
                .build()
                .map_err(|e| RunError::Threads(e.to_string()))?;
            // This thread queues batches on the pool, up to AHEAD more than the one it waits
            // for, so the workers never wait between batches, and hands each batch on in
            // input order as it completes.
            pool.in_place_scope(|jobs| {
                let mut queued = std::collections::VecDeque::new();
                let mut batch = first;
                loop {
                    while queued.len() <= AHEAD && !batch.is_empty() {
                        let (done, outcomes) = std::sync::mpsc::sync_channel(1);
                        let taken = std::mem::take(&mut batch);
                        let check = &check;
                        jobs.spawn(move |_| {
                            let checked: Vec<_> = taken.into_par_iter().map(check).collect();
                            // The run may have stopped waiting; then this is dropped.
                            let _ = done.send(checked);
                        });
                        queued.push_back(outcomes);
                        batch = units.by_ref().take(BATCH).collect();
                    }
                    let Some(Ok(outcomes)) = queued.pop_front().map(|next| next.recv()) else {
                        break;
                    };
                    for (outcome, prepared) in outcomes {
                        hand_on(outcome, prepared);
                    }
                }
            });
        }
        drop(units);
        for problem in expectations.problems() {
            let outcome = Outcome::manifest_problem(&problem, self.secrets_shown);
            let prepared = prepare(&outcome);
            hand_on(outcome, prepared);
        }
        Ok(summary)
    }

    /// The outcome of one response read (or refused) from the corpus.
    fn outcome(&self, budget: &Budget, unit: Unit) -> Outcome {
        let unreadable = matches!(&unit.bytes, Err(why) if why.is_io());
        let report = match unit.bytes {
            Ok(bytes) => {
                let _room = budget.take(bytes.len());
                self.contract.validate(&bytes)
            }
            Err(why) => {
                let rule = match why {
                    corpus::Unreadable::TooLarge { .. } => Rule::TooLarge,
                    _ => Rule::Unreadable,
                };
                Report::refused(Issue::whole(rule, why.to_string()))
            }
        };
        let report = if self.strict {
            report.into_strict()
        } else {
            report
        };
        Outcome::new(&unit.source, report, unreadable, self.secrets_shown)
    }
}

/// Where a file at `path` is (or would be): its directory canonical, then its name; so two
/// spellings of one place compare equal whether the file exists or not.
pub(crate) fn place(path: &Path) -> Option<PathBuf> {
    let name = path.file_name()?;
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    Some(std::fs::canonicalize(dir).ok()?.join(name))
}

fn glob_set<S: AsRef<str>>(patterns: &[S]) -> Result<Option<GlobSet>, RunError> {
    if patterns.is_empty() {
        return Ok(None);
    }
    let mut builder = GlobSetBuilder::new();
    for pattern in patterns.iter().map(AsRef::as_ref) {
        let glob = Glob::new(pattern).map_err(|e| RunError::Glob {
            pattern: pattern.to_string(),
            message: e.kind().to_string(),
        })?;
        builder.add(glob);
    }
    builder.build().map(Some).map_err(|e| RunError::Glob {
        pattern: patterns
            .iter()
            .map(AsRef::as_ref)
            .collect::<Vec<_>>()
            .join(" "),
        message: e.to_string(),
    })
}

/// The outcomes of a run kept whole, for a test suite: [`check_paths`] gives them.
#[derive(Debug)]
#[non_exhaustive]
pub struct Checked {
    /// Every outcome, in input order.
    pub outcomes: Vec<Outcome>,
    /// The run's counts.
    pub summary: Summary,
}

impl Checked {
    /// Whether every response had the verdict expected of it (valid, or invalid as an
    /// expectations manifest says) and every one could be read.
    pub fn passed(&self) -> bool {
        self.summary.passed() && !self.outcomes.iter().any(|o| o.unreadable)
    }

    /// The outcomes that were not as expected.
    pub fn failures(&self) -> impl Iterator<Item = &Outcome> {
        self.outcomes.iter().filter(|o| !o.as_expected())
    }
}

impl std::fmt::Display for Checked {
    /// The human report of the outcomes that were not as expected, then the counts.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut sink = HumanSink::new(Vec::new(), false, false);
        for outcome in self.failures() {
            sink.response(outcome).map_err(|_| std::fmt::Error)?;
        }
        let totals = Totals {
            summary: &self.summary,
            drift: None,
            coverage: None,
        };
        sink.finish(&totals).map_err(|_| std::fmt::Error)?;
        f.write_str(&String::from_utf8_lossy(&sink.into_inner()))
    }
}

/// Checks every response below `paths` against the contract, as `foxapi-contract validate`
/// does, and keeps the outcomes: what a `#[test]` of a crate that records FoxAPI responses
/// calls. Directories may hold negative fixtures, each named with the rule it breaks in a
/// `foxapi-expect.json` ([`super::expect`]).
///
/// ```no_run
/// #[test]
/// fn recorded_responses_keep_the_contract() {
///     let checked = foxapi_contract::harness::check_paths(&["tests/fixtures"]).expect("the run starts");
///     assert!(checked.passed(), "{checked}");
/// }
/// ```
pub fn check_paths<P: AsRef<Path>>(paths: &[P]) -> Result<Checked, RunError> {
    let mut outcomes = Vec::new();
    let summary = Run::default().check(paths, |o| outcomes.push(o.clone()))?;
    Ok(Checked { outcomes, summary })
}
