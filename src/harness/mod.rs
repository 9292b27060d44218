//! The pieces of a `validate` run that a test of another crate could call: the verdict on one
//! response as reports show it ([`Outcome`]), the counts of a run, and the report writers
//! (human, JSON, JUnit) in [`report`].
//!
//!
//! Untrusted text (file names, and the values, keys and models a response carries) enters the
//! reports here, once: [`Outcome::new`] masks the secrets of signed URLs in it
//! ([`crate::redact::mask_urls`]) and makes it printable ([`crate::untrusted::printable`]), so
//! no writer has to.

pub mod budget;
pub mod corpus;
pub mod coverage;
pub mod drift;
pub mod expect;
mod opening;
pub mod report;
mod run;

pub use expect::{Expectation, Expected};
pub use run::{check_paths, Checked, Run, RunError, MAX_JOBS};

use crate::redact::mask_urls;
use crate::untrusted::printable;
use crate::{Issue, Report};
use schemars::JsonSchema;
use serde::Serialize;
use std::borrow::Cow;

/// The verdict on one response of the corpus, as every report shows it.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Outcome {
    /// Where it came from: a path, `path:line` for JSON Lines, `-` for standard input.
    pub source: String,
    /// What validation said.
    pub report: Report,
    /// Whether the operating system refused to read it (an I/O error: exit 2 at the end).
    pub unreadable: bool,
    /// What the run expected of it: valid, or invalid for a stated rule ([`expect`]).
    pub expected: Expected,
    /// When the verdict is not what was expected: what was expected and found instead.
    pub unexpected: Option<String>,
}

impl Outcome {
    /// The outcome of the response read from `source`, its text made safe to show: the
    /// secrets of signed URLs masked unless `secrets_shown`, and every character that could
    /// act on a terminal or break XML written as a visible escape.
    pub fn new(source: &str, mut report: Report, unreadable: bool, secrets_shown: bool) -> Outcome {
        if let Some(model) = &mut report.model {
            shown_in_place(model, secrets_shown);
        }
        for issue in report.errors.iter_mut().chain(report.warnings.iter_mut()) {
            shown_issue(issue, secrets_shown);
        }
        let unexpected = (!report.is_valid()).then(|| {
            let first = report
                .errors
                .first()
                .map(|e| format!(", such as {} at {}", e.rule.as_str(), e.place()))
                .unwrap_or_default();
            format!("expected a valid response, found an invalid one{first}")
        });
        Outcome {
            source: shown(source, secrets_shown).into_owned(),
            report,
            unreadable,
            expected: Expected::Valid,
            unexpected,
        }
    }

    /// The same outcome judged against what was expected of it.
    #[must_use]
    pub fn expecting(mut self, expected: Expected) -> Outcome {
        self.unexpected = match &expected {
            Expected::Valid => self.unexpected.take(),
            Expected::Invalid(expectation) => expectation
                .unmet(&self.report)
                .map(|why| printable(&why).into_owned()),
        };
        self.expected = expected;
        self
    }

    /// Whether the verdict is what was expected: valid, or invalid as a manifest says.
    pub fn as_expected(&self) -> bool {
        self.unexpected.is_none()
    }

    /// An outcome that is no response: a problem of an expectations manifest, which fails the
    /// run.
    pub fn manifest_problem(problem: &expect::ManifestProblem, secrets_shown: bool) -> Outcome {
        let issue = Issue::whole(crate::Rule::Unreadable, problem.message.clone());
        Outcome::new(
            &problem.source,
            Report::refused(issue),
            false,
            secrets_shown,
        )
    }
}

/// `text` as a report shows it: secrets masked (unless `secrets_shown`), then printable.
fn shown(text: &str, secrets_shown: bool) -> Cow<'_, str> {
    let masked = if secrets_shown {
        Cow::Borrowed(text)
    } else {
        mask_urls(text)
    };
    match masked {
        Cow::Borrowed(text) => printable(text),
        Cow::Owned(text) => Cow::Owned(printable(&text).into_owned()),
    }
}

/// Replaces `text` with what [`shown`] makes of it, copying only when that changes it.
fn shown_in_place(text: &mut String, secrets_shown: bool) {
    if let Cow::Owned(safe) = shown(text, secrets_shown) {
        *text = safe;
    }
}

/// An issue's texts as a report shows them. Its pointer is masked key by key: a key that is a
/// signed URL has its slashes escaped (`~1`) in the pointer, where no URL would be recognised.
fn shown_issue(issue: &mut Issue, secrets_shown: bool) {
    shown_in_place(&mut issue.message, secrets_shown);
    if let Some(found) = &mut issue.found {
        shown_in_place(found, secrets_shown);
    }
    if !secrets_shown && issue.instance_path.contains('~') {
        let keys: Vec<String> = issue
            .instance_path
            .split('/')
            .map(|key| {
                let unescaped = key.replace("~1", "/").replace("~0", "~");
                match mask_urls(&unescaped) {
                    Cow::Borrowed(_) => key.to_string(),
                    Cow::Owned(masked) => masked.replace('~', "~0").replace('/', "~1"),
                }
            })
            .collect();
        issue.instance_path = keys.join("/");
    }
    shown_in_place(&mut issue.instance_path, true);
}

/// Counts over a run.
#[derive(Clone, Debug, Default, Serialize, JsonSchema)]
#[non_exhaustive]
pub struct Summary {
    /// Responses checked.
    pub checked: u64,
    /// Responses that keep the contract.
    pub valid: u64,
    /// Responses that break it.
    pub invalid: u64,
    /// Warnings over all responses (in strict mode they count as errors instead).
    pub warnings: u64,
    /// Invalid responses that a manifest expected to be invalid, for the rule it states.
    pub expected_invalid: u64,
    /// Responses whose verdict is not the one expected (invalid where no manifest expects it,
    /// valid or invalid for another rule where one does), and manifest problems: the run
    /// fails when there is any.
    pub failed: u64,
}

impl Summary {
    /// Counts one response.
    pub fn add(&mut self, outcome: &Outcome) {
        let report = &outcome.report;
        self.checked += 1;
        if report.is_valid() {
            self.valid += 1;
        } else {
            self.invalid += 1;
        }
        if !outcome.as_expected() {
            self.failed += 1;
        } else if !report.is_valid() {
            self.expected_invalid += 1;
        }
        self.warnings += report.warning_count() as u64;
    }

    /// Whether every response had the verdict expected of it.
    pub fn passed(&self) -> bool {
        self.failed == 0
    }
}

/// What a run adds up to, given to each report at its end.
pub struct Totals<'a> {
    /// The counts.
    pub summary: &'a Summary,
    /// With `--drift`: the folded warnings.
    pub drift: Option<&'a [drift::DriftRow]>,
    /// With `--coverage` or `--require-coverage`: what the corpus exercised.
    pub coverage: Option<&'a coverage::CoverageSummary>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Rule;

    #[test]
    fn a_key_that_is_a_signed_url_is_masked_inside_the_pointer() {
        let mut issue = Issue::whole(Rule::UndeclaredKey, "undeclared key");
        issue.instance_path = "/results/0/https:~1~1k.example.com~1a?token=SECRET1".into();
        let report = Report {
            warnings: vec![issue],
            ..Report::default()
        };
        let masked = Outcome::new("x", report.clone(), false, false);
        assert_eq!(
            masked.report.warnings[0].instance_path,
            "/results/0/https:~1~1k.example.com~1a?token=REDACTED"
        );
        let shown = Outcome::new("x", report, false, true);
        assert!(shown.report.warnings[0].instance_path.ends_with("SECRET1"));
    }

    #[test]
    fn sources_models_and_messages_are_printable() {
        let report = Report {
            model: Some("m\u{1b}[2J\u{fffe}".into()),
            errors: vec![Issue::whole(Rule::Schema, "bad \0 value")],
            ..Report::default()
        };
        let outcome = Outcome::new("dir/\u{1b}]0;x\u{7}.json", report, false, false);
        assert_eq!(outcome.source, "dir/\\u{1b}]0;x\\u{7}.json");
        assert_eq!(
            outcome.report.model.as_deref(),
            Some("m\\u{1b}[2J\\u{fffe}")
        );
        assert_eq!(outcome.report.errors[0].message, "bad \\u{0} value");
    }
}
