//! JUnit XML: one testcase per response; failures carry pointer and message, warnings go to
//! system-out. CI systems show it as a test run.
//!
//! quick-junit defines the document. JUnit puts the counts first, so the report cannot be
//! written as it goes: each response's testcase is rendered to the lines quick-junit writes
//! for it inside a suite, and those are held, then spooled to a temporary file, so memory stays
//! flat; at the end the suite, with its counts, is serialised by quick-junit and the testcases
//! are spliced in before it closes.
//!
//! quick-junit takes every string through an ANSI escape parser, which costs more than
//! checking a small response. A testcase whose texts hold no control character (a line break
//! aside), which is every one a report makes since its texts are made printable, is written
//! here with quick-junit's escaping and layout, byte for byte (a property test holds the two
//! to each other); any other goes through quick-junit.

use crate::harness::{Outcome, Totals};
use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestSuite};
use std::fs::File;
use std::io::{self, BufWriter, Seek, Write};

/// How many bytes of rendered testcases are held before they are spooled.
const HELD: usize = 64 * 1024;
/// The name of the one test suite.
const SUITE: &str = "foxapi-contract";
/// The name of the report.
const REPORT: &str = "foxapi-contract validate";
/// The indentation of a testcase in the document, and of its children.
const CASE_INDENT: &str = "        ";
const CHILD_INDENT: &str = "            ";

/// Holds and spools testcases as they come; writes the document at the end.
#[derive(Default)]
pub struct JunitSink {
    /// Rendered testcases not yet spooled, in input order.
    held: Vec<u8>,
    spool: Spool,
}

/// Where the testcases spooled so far are kept.
#[derive(Default)]
enum Spool {
    /// Nothing spooled yet.
    #[default]
    Empty,
    /// A temporary file.
    File(BufWriter<File>),
    /// No temporary file could be made: the testcases stay in memory, held.
    Memory,
}

/// One line per issue, and one that counts those past `--max-issues`.
fn lines(issues: &[crate::Issue], omitted: usize) -> String {
    let mut text: String = issues.iter().map(|i| format!("{i}\n")).collect();
    if omitted > 0 {
        text.push_str(&format!("... and {omitted} more (--max-issues)\n"));
    }
    text
}

/// What the testcase of one response says, before it is written.
struct Case<'a> {
    name: &'a str,
    classname: &'a str,
    failure: Option<Failure<'a>>,
    system_out: Option<String>,
}

/// The failure of a testcase: its message, type and description.
struct Failure<'a> {
    message: String,
    ty: &'a str,
    description: String,
}

impl<'a> Case<'a> {
    /// The testcase of `outcome`.
    fn of(outcome: &'a Outcome) -> Case<'a> {
        let report = &outcome.report;
        let failure = outcome.unexpected.as_ref().map(|why| {
            let (message, ty) = match report.errors.first() {
                Some(first) if outcome.expected == crate::harness::Expected::Valid => {
                    (first.to_string(), first.rule.as_str())
                }
                _ => (why.clone(), "unexpected"),
            };
            Failure {
                message,
                ty,
                description: lines(&report.errors, report.omitted_errors),
            }
        });
        let system_out = (!report.warnings.is_empty()).then(|| {
            format!(
                "warnings:\n{}",
                lines(&report.warnings, report.omitted_warnings)
            )
        });
        Case {
            name: outcome.source.as_str(),
            classname: report.model.as_deref().unwrap_or("unknown-model"),
            failure,
            system_out,
        }
    }

    /// The texts of the testcase.
    fn texts(&self) -> impl Iterator<Item = &str> {
        let failure = self
            .failure
            .iter()
            .flat_map(|f| [f.message.as_str(), f.ty, f.description.as_str()]);
        [self.name, self.classname]
            .into_iter()
            .chain(failure)
            .chain(self.system_out.as_deref())
    }

    /// The testcase as quick-junit holds it.
    fn test_case(self) -> TestCase {
        let status = match self.failure {
            None => TestCaseStatus::success(),
            Some(failure) => {
                let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
                status.set_message(failure.message);
                status.set_type(failure.ty);
                status.set_description(failure.description);
                status
            }
        };
        let mut case = TestCase::new(self.name, status);
        case.set_classname(self.classname);
        if let Some(out) = self.system_out {
            case.set_system_out(out);
        }
        case
    }

    /// The lines quick-junit writes for this testcase inside a suite, written here; only for
    /// a testcase whose texts are all [`plain`].
    fn write(&self, out: &mut Vec<u8>) {
        let mut put = |parts: &[&str]| {
            for part in parts {
                out.extend_from_slice(part.as_bytes());
            }
        };
        put(&[CASE_INDENT, "<testcase name=\"", &escape(self.name)]);
        put(&["\" classname=\"", &escape(self.classname), "\""]);
        if self.failure.is_none() && self.system_out.is_none() {
            put(&["/>\n"]);
            return;
        }
        put(&[">\n"]);
        if let Some(f) = &self.failure {
            put(&[CHILD_INDENT, "<failure message=\"", &escape(&f.message)]);
            put(&["\" type=\"", &escape(f.ty), "\">", &escape(&f.description)]);
            put(&["</failure>\n"]);
        }
        if let Some(text) = &self.system_out {
            put(&[
                CHILD_INDENT,
                "<system-out>",
                &escape(text),
                "</system-out>\n",
            ]);
        }
        put(&[CASE_INDENT, "</testcase>\n"]);
    }
}

/// Whether quick-junit keeps `text` as it is: no control character but the line break, so
/// neither its ANSI escape parser nor its filter of control characters changes it.
fn plain(text: &str) -> bool {
    crate::untrusted::is_printable_ascii(text) || !text.chars().any(|c| c.is_control() && c != '\n')
}

/// `text` escaped as quick-xml escapes attribute values and text: `<`, `>`, `&`, `'`, `"`.
fn escape(text: &str) -> std::borrow::Cow<'_, str> {
    if !text
        .bytes()
        .any(|b| matches!(b, b'<' | b'>' | b'&' | b'\'' | b'"'))
    {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\'' => out.push_str("&apos;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}

/// The lines of one response's testcase, as quick-junit writes them inside the suite.
pub(super) fn render(outcome: &Outcome) -> io::Result<Vec<u8>> {
    written(Case::of(outcome))
}

/// The lines of a testcase, as quick-junit writes them inside the suite.
fn written(case: Case<'_>) -> io::Result<Vec<u8>> {
    if case.texts().all(plain) {
        let mut xml = Vec::with_capacity(256);
        case.write(&mut xml);
        return Ok(xml);
    }
    let mut suite = TestSuite::new(SUITE);
    suite.add_test_case(case.test_case());
    Ok(suite_body(&serialise(suite)?)?.to_vec())
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
        self.add(&render(outcome)?)
    }

    /// Adds one response's testcase, rendered ([`render`]).
    pub(super) fn add(&mut self, xml: &[u8]) -> io::Result<()> {
        self.held.extend_from_slice(xml);
        if self.held.len() >= HELD {
            self.spool_held()?;
        }
        Ok(())
    }

    /// Appends the testcases held to the spool.
    fn spool_held(&mut self) -> io::Result<()> {
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
        spool.write_all(&self.held)?;
        self.held.clear();
        Ok(())
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
        out.write_all(&self.held)?;
        out.write_all(&xml[end..])?;
        out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::super::text;
    use super::*;
    use proptest::prelude::*;

    /// Text as reports make it (printable, with line breaks, markup, quotes and other
    /// scripts), so a testcase of it is always written here rather than by quick-junit: the
    /// hostile texts without their control characters but the line break.
    fn report_text() -> impl Strategy<Value = String> {
        text().prop_map(|t| {
            t.chars()
                .filter(|c| *c == '\n' || !c.is_control())
                .collect()
        })
    }

    /// The testcase of generated texts.
    fn case_of<'a>(
        name: &'a str,
        classname: &'a str,
        failure: &'a Option<(String, String, String)>,
        system_out: &Option<String>,
    ) -> Case<'a> {
        Case {
            name,
            classname,
            failure: failure.as_ref().map(|(message, ty, description)| Failure {
                message: message.clone(),
                ty,
                description: description.clone(),
            }),
            system_out: system_out.clone(),
        }
    }

    fn quick_junit(case: TestCase) -> Vec<u8> {
        let mut suite = TestSuite::new(SUITE);
        suite.add_test_case(case);
        suite_body(&serialise(suite).expect("serialises"))
            .expect("a body")
            .to_vec()
    }

    proptest! {
        /// A testcase is written byte for byte as quick-junit writes it, whatever its texts.
        #[test]
        fn a_testcase_is_written_as_quick_junit_writes_it(
            name in text(),
            classname in text(),
            failure in proptest::option::of((text(), text(), text())),
            system_out in proptest::option::of(text()),
        ) {
            let case = || case_of(&name, &classname, &failure, &system_out);
            let ours = written(case()).expect("in memory");
            let theirs = quick_junit(case().test_case());
            prop_assert_eq!(String::from_utf8_lossy(&ours), String::from_utf8_lossy(&theirs));
            if case().texts().all(plain) {
                let mut direct = Vec::new();
                case().write(&mut direct);
                prop_assert_eq!(direct, theirs);
            }
        }
    }

    proptest! {
        /// A testcase of report texts is written here, byte for byte as quick-junit would.
        #[test]
        fn report_texts_are_written_as_quick_junit_writes_them(
            name in report_text(),
            classname in report_text(),
            failure in proptest::option::of((report_text(), report_text(), report_text())),
            system_out in proptest::option::of(report_text()),
        ) {
            let case = || case_of(&name, &classname, &failure, &system_out);
            prop_assert!(case().texts().all(plain));
            let mut direct = Vec::new();
            case().write(&mut direct);
            prop_assert_eq!(direct, quick_junit(case().test_case()));
        }
    }

    #[test]
    fn report_texts_are_written_without_quick_junit() {
        // What a report holds: printable texts with line breaks, quotes and markup.
        let case = Case {
            name: "fixtures/a <b>.json",
            classname: "flux-1.1-pro",
            failure: Some(Failure {
                message: "/results/0: expected key \"url\", found none".into(),
                ty: "schema",
                description: "/results/0: it's & <that>\n".into(),
            }),
            system_out: Some("warnings:\n/id: 中文\n".into()),
        };
        assert!(case.texts().all(plain));
        let mut direct = Vec::new();
        case.write(&mut direct);
        assert_eq!(
            String::from_utf8(direct).expect("utf8"),
            String::from_utf8(quick_junit(case.test_case())).expect("utf8")
        );
        assert!(!plain("a\u{1b}[31m"));
        assert!(!plain("\u{85}"));
        assert!(plain("line\nbreak"));
    }

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
