//! The JSON report, written as it goes so memory stays flat: each response as it is checked,
//! the summary (and drift, coverage) at the end. Its schema comes from these types.

use crate::harness::coverage::CoverageSummary;
use crate::harness::drift::DriftRow;
use crate::harness::{Expectation, Expected, Outcome, Summary, Totals};
use crate::Issue;
use schemars::JsonSchema;
use serde::Serialize;
use std::io::{self, Write};

/// The whole JSON report of a validate run.
#[derive(Serialize, JsonSchema)]
#[non_exhaustive]
pub struct JsonReport {
    /// Every response checked, in input order.
    pub responses: Vec<JsonResponse<'static>>,
    /// Counts over the run.
    pub summary: Summary,
    /// With `--drift`: the warnings of the corpus folded by pointer and model.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub drift: Option<Vec<DriftRow>>,
    /// With `--coverage` or `--require-coverage`: what the corpus exercised.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coverage: Option<CoverageSummary>,
}

/// The verdict on one response.
#[derive(Serialize, JsonSchema)]
#[non_exhaustive]
pub struct JsonResponse<'a> {
    /// A path, `path:line` for JSON Lines, or `-` for standard input.
    pub source: &'a str,
    /// Whether it keeps the contract (in strict mode, also without warnings).
    pub valid: bool,
    /// Its `model`, when it has one.
    pub model: Option<&'a str>,
    /// The shapes its results items were held to.
    pub shapes: &'a [&'static str],
    /// What breaks the contract.
    pub errors: &'a [Issue],
    /// What is allowed but reported.
    pub warnings: &'a [Issue],
    /// Errors past `--max-issues`: counted, not listed.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub omitted_errors: usize,
    /// Warnings past `--max-issues`: counted, not listed.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub omitted_warnings: usize,
    /// When an expectations manifest says this response must be invalid: the error it must
    /// carry, as far as stated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_invalid: Option<&'a Expectation>,
    /// When the verdict is not the one expected: what was expected and found instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unexpected: Option<&'a str>,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl<'a> From<&'a Outcome> for JsonResponse<'a> {
    fn from(o: &'a Outcome) -> Self {
        JsonResponse {
            source: &o.source,
            valid: o.report.is_valid(),
            model: o.report.model.as_deref(),
            shapes: &o.report.shapes,
            errors: &o.report.errors,
            warnings: &o.report.warnings,
            omitted_errors: o.report.omitted_errors,
            omitted_warnings: o.report.omitted_warnings,
            expected_invalid: match &o.expected {
                Expected::Invalid(expectation) => Some(expectation),
                _ => None,
            },
            unexpected: o.unexpected.as_deref(),
        }
    }
}

/// The JSON Schema of the report.
pub fn report_schema() -> String {
    let schema = schemars::schema_for!(JsonReport);
    serde_json::to_string_pretty(&schema).expect("a schema serialises")
}

/// One response as the JSON report lists it.
pub(super) fn render(outcome: &Outcome) -> io::Result<Vec<u8>> {
    // Room for most responses at once: growing the buffer costs more than writing it.
    let mut json = Vec::with_capacity(512);
    serde_json::to_writer(&mut json, &JsonResponse::from(outcome))?;
    Ok(json)
}

/// Writes the JSON report response by response.
pub struct JsonSink<W: Write> {
    out: W,
    first: bool,
}

impl<W: Write> JsonSink<W> {
    /// Starts the report.
    pub fn new(mut out: W) -> io::Result<Self> {
        out.write_all(b"{\"responses\":[")?;
        Ok(JsonSink { out, first: true })
    }

    /// Adds one response.
    pub fn response(&mut self, outcome: &Outcome) -> io::Result<()> {
        self.write_rendered(&render(outcome)?)
    }

    /// Adds one response [`render`]ed.
    pub(super) fn write_rendered(&mut self, json: &[u8]) -> io::Result<()> {
        if !self.first {
            self.out.write_all(b",")?;
        }
        self.first = false;
        self.out.write_all(b"\n")?;
        self.out.write_all(json)
    }

    /// Ends the report with the summary, drift and coverage.
    pub fn finish(&mut self, totals: &Totals<'_>) -> io::Result<()> {
        let (summary, drift, coverage) = (totals.summary, totals.drift, totals.coverage);
        self.out.write_all(b"\n],\"summary\":")?;
        serde_json::to_writer(&mut self.out, summary)?;
        if let Some(drift) = drift {
            self.out.write_all(b",\"drift\":")?;
            serde_json::to_writer(&mut self.out, drift)?;
        }
        if let Some(coverage) = coverage {
            self.out.write_all(b",\"coverage\":")?;
            serde_json::to_writer(&mut self.out, coverage)?;
        }
        self.out.write_all(b"}\n")?;
        self.out.flush()
    }
}
