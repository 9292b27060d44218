//! JUnit XML: one testcase per response; failures carry pointer and message, warnings go to
//! system-out. CI systems show it as a test run.
//!
//! JUnit puts the counts first, so the report cannot be written as it goes. To keep memory
//! flat, testcases are serialised by quick-junit in chunks and spooled to a temporary file;
//! at the end the suite, with its counts, is serialised the same way and the spooled
//! testcases are spliced in before it closes.

use crate::harness::{Outcome, Totals};
use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestSuite};
use std::fs::File;
use std::io::{self, BufWriter, Seek, Write};

/// How many testcases are held before they are serialised and spooled.
const CHUNK: usize = 512;
/// The name of the one test suite.
const SUITE: &str = "foxapi-contract";
/// The name of the report.
const REPORT: &str = "foxapi-contract validate";

/// Spools testcases as they come; writes the document at the end.
pub struct JunitSink {
    chunk: TestSuite,
    spool: Spool,
}

/// Where the testcases serialised so far are kept.
enum Spool {
    /// Nothing spooled yet.
    Empty,
    /// A temporary file.
    File(BufWriter<File>),
    /// No temporary file could be made: the testcases stay in memory, in the chunk.
    Memory,
}

impl Default for JunitSink {
    fn default() -> Self {
        JunitSink {
            chunk: TestSuite::new(SUITE),
            spool: Spool::Empty,
        }
    }
}

/// One line per issue, and one that counts those past `--max-issues`.
fn lines(issues: &[crate::Issue], omitted: usize) -> String {
    let mut text: String = issues.iter().map(|i| format!("{i}\n")).collect();
    if omitted > 0 {
        text.push_str(&format!("... and {omitted} more (--max-issues)\n"));
    }
    text
}

/// The testcase of one response.
pub(super) fn test_case(outcome: &Outcome) -> TestCase {
    let report = &outcome.report;
    let status = match &outcome.unexpected {
        None => TestCaseStatus::success(),
        Some(why) => {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
            match report.errors.first() {
                Some(first) if outcome.expected == crate::harness::Expected::Valid => {
                    status.set_message(first.to_string());
                    status.set_type(first.rule.as_str());
                }
                _ => {
                    status.set_message(why.as_str());
                    status.set_type("unexpected");
                }
            }
            status.set_description(lines(&report.errors, report.omitted_errors));
            status
        }
    };
    let mut case = TestCase::new(outcome.source.as_str(), status);
    case.set_classname(report.model.as_deref().unwrap_or("unknown-model"));
    if !report.warnings.is_empty() {
        case.set_system_out(format!(
            "warnings:\n{}",
            lines(&report.warnings, report.omitted_warnings)
        ));
    }
    case
}

/// `suite` as quick-junit writes it, inside a report of its own.
fn serialise(suite: TestSuite) -> io::Result<Vec<u8>> {
    let mut report = Report::new(REPORT);
    report.add_test_suite(suite);
    let mut xml = Vec::new();
    report.serialize(&mut xml).map_err(io::Error::other)?;
    Ok(xml)
}

/// Where the line that closes the test suite starts.
fn suite_end(xml: &[u8]) -> io::Result<usize> {
    let close = b"</testsuite>";
    let at = xml
        .windows(close.len())
        .rposition(|w| w == close)
        .ok_or_else(|| io::Error::other("quick-junit wrote no </testsuite>"))?;
    Ok(xml[..at]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |n| n + 1))
}

/// The testcases of a serialised suite: the lines between its start tag and its end tag.
fn suite_body(xml: &[u8]) -> io::Result<&[u8]> {
    let open = b"<testsuite ";
    let at = xml
        .windows(open.len())
        .position(|w| w == open)
        .ok_or_else(|| io::Error::other("quick-junit wrote no <testsuite>"))?;
    let start = xml[at..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(xml.len(), |n| at + n + 1);
    let end = suite_end(xml)?;
    Ok(&xml[start.min(end)..end])
}

impl JunitSink {
    /// Adds one response as a testcase.
    pub fn response(&mut self, outcome: &Outcome) -> io::Result<()> {
        self.add(test_case(outcome))
    }

    /// Adds one response's testcase.
    pub(super) fn add(&mut self, case: TestCase) -> io::Result<()> {
        self.chunk.add_test_case(case);
        if self.chunk.test_cases.len() >= CHUNK {
            self.spool_chunk()?;
        }
        Ok(())
    }

    /// Serialises the testcases held and appends them to the spool.
    fn spool_chunk(&mut self) -> io::Result<()> {
        if let Spool::Empty = self.spool {
            self.spool = match tempfile::tempfile() {
                Ok(file) => Spool::File(BufWriter::new(file)),
                Err(e) => {
                    eprintln!(
                        "warning: JUnit report: cannot make a temporary file ({e}); its testcases are held in memory"
                    );
                    Spool::Memory
                }
            };
        }
        let Spool::File(spool) = &mut self.spool else {
            return Ok(());
        };
        let chunk = std::mem::replace(&mut self.chunk, TestSuite::new(SUITE));
        spool.write_all(suite_body(&serialise(chunk)?)?)
    }

    /// Writes the XML document: the suite with its counts and the run's summary as
    /// properties, then every testcase in input order: the spooled ones, then those held.
    pub fn finish(self, totals: &Totals<'_>, mut out: impl Write) -> io::Result<()> {
        // The run's counts are the suite's: one testcase per response checked, a failure per
        // invalid one.
        let summary = totals.summary;
        let mut suite = TestSuite::new(SUITE);
        suite.tests = summary.checked as usize;
        suite.failures = summary.failed as usize;
        for (name, value) in [
            ("checked", summary.checked),
            ("valid", summary.valid),
            ("invalid", summary.invalid),
            ("warnings", summary.warnings),
            ("expected_invalid", summary.expected_invalid),
            ("failed", summary.failed),
        ] {
            suite.add_property(Property::new(name, value.to_string()));
        }
        let xml = serialise(suite)?;
        let end = suite_end(&xml)?;
        out.write_all(&xml[..end])?;
        if let Spool::File(spool) = self.spool {
            let mut file = spool.into_inner().map_err(|e| e.into_error())?;
            file.rewind()?;
            io::copy(&mut file, &mut out)?;
        }
        if !self.chunk.test_cases.is_empty() {
            out.write_all(suite_body(&serialise(self.chunk)?)?)?;
        }
        out.write_all(&xml[end..])?;
        out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_body_of_a_suite_is_its_testcases_only() {
        let mut suite = TestSuite::new(SUITE);
        suite.add_test_case(TestCase::new("a </testsuite> b", TestCaseStatus::success()));
        let xml = serialise(suite).expect("serialises");
        let body = String::from_utf8(suite_body(&xml).expect("a body").to_vec()).expect("utf8");
        assert!(body.trim_start().starts_with("<testcase"), "{body}");
        assert!(body.trim_end().ends_with("/>"), "{body}");
        assert!(!body.contains("testsuite>"), "{body}");
    }
}
