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

/// One response as the JSON report lists it: the bytes serde_json writes of its
/// [`JsonResponse`], written directly (a property test holds the two to each other). An
/// expectation from a manifest is rare and is left to serde_json, with the rest.
pub(super) fn render(outcome: &Outcome) -> io::Result<Vec<u8>> {
    let response = JsonResponse::from(outcome);
    // Room for most responses at once: growing the buffer costs more than writing it.
    let mut json = Vec::with_capacity(512);
    if response.expected_invalid.is_some() {
        serde_json::to_writer(&mut json, &response)?;
        return Ok(json);
    }
    json.extend_from_slice(b"{\"source\":");
    string(&mut json, response.source)?;
    json.extend_from_slice(if response.valid {
        b",\"valid\":true,\"model\":"
    } else {
        b",\"valid\":false,\"model\":"
    });
    match response.model {
        Some(model) => string(&mut json, model)?,
        None => json.extend_from_slice(b"null"),
    }
    json.extend_from_slice(b",\"shapes\":[");
    for (at, shape) in response.shapes.iter().enumerate() {
        if at > 0 {
            json.push(b',');
        }
        string(&mut json, shape)?;
    }
    json.extend_from_slice(b"],\"errors\":");
    issues(&mut json, response.errors)?;
    json.extend_from_slice(b",\"warnings\":");
    issues(&mut json, response.warnings)?;
    for (key, count) in [
        (&b",\"omitted_errors\":"[..], response.omitted_errors),
        (&b",\"omitted_warnings\":"[..], response.omitted_warnings),
    ] {
        if count != 0 {
            json.extend_from_slice(key);
            json.extend_from_slice(itoa::Buffer::new().format(count).as_bytes());
        }
    }
    if let Some(unexpected) = response.unexpected {
        json.extend_from_slice(b",\"unexpected\":");
        string(&mut json, unexpected)?;
    }
    json.push(b'}');
    Ok(json)
}

/// `issues` as serde_json writes a list of [`Issue`]s.
fn issues(json: &mut Vec<u8>, issues: &[Issue]) -> io::Result<()> {
    json.push(b'[');
    for (at, issue) in issues.iter().enumerate() {
        if at > 0 {
            json.push(b',');
        }
        json.extend_from_slice(b"{\"severity\":\"");
        json.extend_from_slice(issue.severity.as_str().as_bytes());
        json.extend_from_slice(b"\",\"instance_path\":");
        string(json, &issue.instance_path)?;
        json.extend_from_slice(b",\"schema_path\":");
        string(json, &issue.schema_path)?;
        json.extend_from_slice(b",\"message\":");
        string(json, &issue.message)?;
        json.extend_from_slice(b",\"rule\":\"");
        json.extend_from_slice(issue.rule.as_str().as_bytes());
        json.push(b'"');
        if let Some(description) = &issue.rule_description {
            json.extend_from_slice(b",\"rule_description\":");
            string(json, description)?;
        }
        if let Some(found) = &issue.found {
            json.extend_from_slice(b",\"found\":");
            string(json, found)?;
        }
        json.push(b'}');
    }
    json.push(b']');
    Ok(())
}

/// `text` as a JSON string: quoted as it is when nothing in it needs escaping, else escaped
/// by serde_json.
fn string(json: &mut Vec<u8>, text: &str) -> io::Result<()> {
    // One scan without a branch per byte, so that it runs on whole vectors.
    let plain = text.bytes().fold(true, |plain, byte| {
        plain & (byte >= 0x20) & (byte != b'"') & (byte != b'\\')
    });
    if plain {
        json.push(b'"');
        json.extend_from_slice(text.as_bytes());
        json.push(b'"');
        return Ok(());
    }
    serde_json::to_writer(json, text).map_err(io::Error::from)
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

#[cfg(test)]
mod tests {
    use super::super::text;
    use super::*;
    use crate::harness::Expectation;
    use crate::{Rule, Severity};
    use proptest::prelude::*;

    /// An issue of generated texts.
    fn issue() -> impl Strategy<Value = Issue> {
        (
            any::<bool>(),
            text(),
            text(),
            text(),
            proptest::sample::select(Rule::ALL),
            proptest::option::of(text()),
            proptest::option::of(text()),
        )
            .prop_map(
                |(warning, at, schema_path, message, rule, description, found)| {
                    let mut issue = Issue::at(rule, at, message);
                    issue.severity = if warning {
                        Severity::Warning
                    } else {
                        Severity::Error
                    };
                    issue.schema_path = schema_path;
                    issue.rule_description = description;
                    issue.found = found;
                    issue
                },
            )
    }

    proptest! {
        /// A response is written byte for byte as serde_json writes its `JsonResponse`,
        /// whatever its texts and counts.
        #[test]
        fn a_response_is_written_as_serde_json_writes_it(
            source in text(),
            model in proptest::option::of(text()),
            shapes in proptest::sample::subsequence(
                vec!["media", "seeded-video", "voice", "chat-completion", "a \"b\"\\"], 0..3),
            errors in proptest::collection::vec(issue(), 0..3),
            warnings in proptest::collection::vec(issue(), 0..3),
            omitted in (0..3_usize, 0..3_usize),
            unexpected in proptest::option::of(text()),
            expected_invalid in any::<bool>(),
        ) {
            let report = crate::Report {
                model,
                shapes,
                errors,
                warnings,
                omitted_errors: omitted.0,
                omitted_warnings: omitted.1,
                ..crate::Report::default()
            };
            let outcome = Outcome {
                source,
                report,
                unreadable: false,
                expected: if expected_invalid {
                    Expected::Invalid(Expectation::default())
                } else {
                    Expected::Valid
                },
                unexpected,
            };
            let theirs = serde_json::to_vec(&JsonResponse::from(&outcome)).expect("serialises");
            let ours = render(&outcome).expect("in memory");
            prop_assert_eq!(String::from_utf8_lossy(&ours), String::from_utf8_lossy(&theirs));
        }
    }
}
