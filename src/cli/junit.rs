//! JUnit XML: one testcase per response; failures carry pointer and message, warnings go to
//! system-out. CI systems show it as a test run.

use super::validate::Outcome;
use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};
use std::io::Write;

/// Collects testcases; written whole at the end (JUnit puts the counts first).
pub struct JunitSink {
    suite: TestSuite,
}

impl Default for JunitSink {
    fn default() -> Self {
        JunitSink {
            suite: TestSuite::new("foxapi-contract"),
        }
    }
}

fn lines(issues: &[foxapi_contract::Issue]) -> String {
    issues.iter().map(|i| format!("{i}\n")).collect()
}

impl JunitSink {
    /// Adds one response as a testcase.
    pub fn response(&mut self, outcome: &Outcome) {
        let report = &outcome.report;
        let status = if report.is_valid() {
            TestCaseStatus::success()
        } else {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
            let first = &report.errors[0];
            status.set_message(first.to_string());
            status.set_type(format!("{:?}", first.rule));
            status.set_description(lines(&report.errors));
            status
        };
        let mut case = TestCase::new(outcome.source.as_str(), status);
        case.set_classname(
            report
                .model
                .clone()
                .unwrap_or_else(|| "unknown-model".to_string()),
        );
        if !report.warnings.is_empty() {
            case.set_system_out(format!("warnings:\n{}", lines(&report.warnings)));
        }
        self.suite.add_test_case(case);
    }

    /// Writes the XML document.
    pub fn finish(self, out: impl Write) -> std::io::Result<()> {
        let mut report = Report::new("foxapi-contract validate");
        report.add_test_suite(self.suite);
        report.serialize(out).map_err(std::io::Error::other)
    }
}
