//! The JSON report, written as it goes so memory stays flat: each response as it is checked,
//! the summary (and drift, coverage) at the end. Its schema comes from these types.

use super::validate::{Outcome, Summary};
use foxapi_contract::coverage::CoverageSummary;
use foxapi_contract::drift::DriftRow;
use foxapi_contract::{Issue, Rule};
use schemars::JsonSchema;
use serde::Serialize;
use std::io::{self, Write};

/// The whole JSON report of a validate run.
#[derive(Serialize, JsonSchema)]
pub struct JsonReport {
    /// Every response checked, in input order.
    pub responses: Vec<JsonResponse>,
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
pub struct JsonResponse {
    /// A path, `path:line` for JSON Lines, or `-` for standard input.
    pub source: String,
    /// Whether it keeps the contract (in strict mode, also without warnings).
    pub valid: bool,
    /// Its `model`, when it has one.
    pub model: Option<String>,
    /// The shapes its results items were held to.
    pub shapes: Vec<String>,
    /// What breaks the contract.
    pub errors: Vec<JsonIssue>,
    /// What is allowed but reported.
    pub warnings: Vec<JsonIssue>,
}

/// One error or warning.
#[derive(Serialize, JsonSchema)]
pub struct JsonIssue {
    /// JSON pointer into the response.
    pub instance_path: String,
    /// JSON pointer into the contract schema.
    pub schema_path: String,
    /// What was expected and what was found.
    pub message: String,
    /// The rule of the contract.
    pub rule: Rule,
    /// The offending value, cut short.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub found: Option<String>,
}

impl From<&Issue> for JsonIssue {
    fn from(i: &Issue) -> Self {
        JsonIssue {
            instance_path: i.instance_path.clone(),
            schema_path: i.schema_path.clone(),
            message: i.message.clone(),
            rule: i.rule,
            found: i.found.clone(),
        }
    }
}

impl From<&Outcome> for JsonResponse {
    fn from(o: &Outcome) -> Self {
        JsonResponse {
            source: o.source.clone(),
            valid: o.report.is_valid(),
            model: o.report.model.clone(),
            shapes: o.report.shapes.iter().map(|s| s.to_string()).collect(),
            errors: o.report.errors.iter().map(JsonIssue::from).collect(),
            warnings: o.report.warnings.iter().map(JsonIssue::from).collect(),
        }
    }
}

/// The JSON Schema of the report.
pub fn report_schema() -> String {
    let schema = schemars::schema_for!(JsonReport);
    serde_json::to_string_pretty(&schema).expect("a schema serialises")
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
        if !self.first {
            self.out.write_all(b",")?;
        }
        self.first = false;
        self.out.write_all(b"\n")?;
        serde_json::to_writer(&mut self.out, &JsonResponse::from(outcome))?;
        Ok(())
    }

    /// Ends the report with the summary, drift and coverage.
    pub fn finish(
        &mut self,
        summary: &Summary,
        drift: Option<&[DriftRow]>,
        coverage: Option<&CoverageSummary>,
    ) -> io::Result<()> {
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
