//! The report for people: each problem with its source, pointer, the offending value cut
//! short and what was expected; colours only on a terminal and never with NO_COLOR.

use crate::harness::{Outcome, Totals};
use crate::Issue;
use std::io::{self, IsTerminal, Write};

/// Whether standard output gets colours: a terminal, and NO_COLOR unset or empty.
pub fn colour_for_stdout() -> bool {
    io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// One response as the human report shows it.
pub(super) fn render(outcome: &Outcome, colour: bool, verbose: bool) -> io::Result<Vec<u8>> {
    let mut sink = HumanSink::new(Vec::new(), colour, verbose);
    sink.response(outcome)?;
    Ok(sink.into_inner())
}

/// Writes the human report.
pub struct HumanSink<W: Write> {
    out: W,
    colour: bool,
    verbose: bool,
}

const RED: &str = "\x1b[31;1m";
const YELLOW: &str = "\x1b[33;1m";
const GREEN: &str = "\x1b[32;1m";
const DIM: &str = "\x1b[2m";
const RESET: &str = "\x1b[0m";

impl<W: Write> HumanSink<W> {
    /// The writer, once the report is finished.
    pub fn into_inner(self) -> W {
        self.out
    }

    /// A sink writing to `out`; `verbose` lists valid responses too.
    pub fn new(out: W, colour: bool, verbose: bool) -> Self {
        HumanSink {
            out,
            colour,
            verbose,
        }
    }

    /// Whether it paints in colours.
    pub(super) fn colour(&self) -> bool {
        self.colour
    }

    /// Whether it lists valid responses too.
    pub(super) fn verbose(&self) -> bool {
        self.verbose
    }

    /// Adds one response [`render`]ed.
    pub(super) fn write_rendered(&mut self, text: &[u8]) -> io::Result<()> {
        self.out.write_all(text)
    }

    fn paint(&self, style: &'static str, text: &str) -> String {
        if self.colour {
            format!("{style}{text}{RESET}")
        } else {
            text.to_string()
        }
    }

    fn issue(&mut self, label: &str, style: &'static str, issue: &Issue) -> io::Result<()> {
        let head = self.paint(style, label);
        writeln!(self.out, "  {head} {issue}")?;
        if !issue.schema_path.is_empty() {
            let schema = self.paint(DIM, &format!("schema {}", issue.schema_path));
            writeln!(self.out, "          {schema}")?;
        }
        Ok(())
    }

    /// One line per name with its count, `never` (in red) for none.
    fn counts(&mut self, counts: &std::collections::BTreeMap<String, u64>) -> io::Result<()> {
        for (name, n) in counts {
            let mark = if *n == 0 {
                self.paint(RED, "never")
            } else {
                n.to_string()
            };
            writeln!(self.out, "  {name:<40} {mark}")?;
        }
        Ok(())
    }

    /// Adds one response: nothing for a clean one unless verbose.
    pub fn response(&mut self, outcome: &Outcome) -> io::Result<()> {
        let report = &outcome.report;
        if report.errors.is_empty() && report.warnings.is_empty() && outcome.as_expected() {
            if self.verbose {
                let ok = self.paint(GREEN, "ok");
                writeln!(self.out, "{ok} {}", outcome.source)?;
            }
            return Ok(());
        }
        let verdict = match (&outcome.unexpected, report.is_valid()) {
            (Some(why), _) => self.paint(RED, &format!("unexpected: {why}")),
            (None, true) => self.paint(YELLOW, "valid, with warnings"),
            (None, false) if !self.verbose && report.warnings.is_empty() => {
                // Invalid as a manifest expects: one line, the details only with --verbose.
                let expected = self.paint(GREEN, "invalid, as expected");
                let first = report
                    .errors
                    .first()
                    .map(|e| format!(" ({} at {})", e.rule.as_str(), e.place()))
                    .unwrap_or_default();
                return writeln!(self.out, "{}: {expected}{first}", outcome.source);
            }
            (None, false) => self.paint(GREEN, "invalid, as expected"),
        };
        let mut context = Vec::new();
        if let Some(model) = &report.model {
            context.push(format!("model {model}"));
        }
        if !report.shapes.is_empty() {
            context.push(format!("shape {}", report.shapes.join(" or ")));
        }
        let context = if context.is_empty() {
            String::new()
        } else {
            format!(" ({})", context.join(", "))
        };
        writeln!(self.out, "{}: {verdict}{context}", outcome.source)?;
        for issue in &report.errors {
            self.issue("error  ", RED, issue)?;
        }
        self.omitted("error", report.omitted_errors)?;
        for issue in &report.warnings {
            self.issue("warning", YELLOW, issue)?;
        }
        self.omitted("warning", report.omitted_warnings)?;
        Ok(())
    }

    /// The line that counts the issues past `--max-issues`, if there are any.
    fn omitted(&mut self, what: &str, count: usize) -> io::Result<()> {
        if count == 0 {
            return Ok(());
        }
        let plural = if count == 1 { "" } else { "s" };
        let line = self.paint(
            DIM,
            &format!("... and {count} more {what}{plural} (--max-issues)"),
        );
        writeln!(self.out, "  {line}")
    }

    /// Ends with drift, coverage and the summary line.
    pub fn finish(&mut self, totals: &Totals<'_>) -> io::Result<()> {
        let (summary, drift, coverage) = (totals.summary, totals.drift, totals.coverage);
        if let Some(rows) = drift {
            writeln!(
                self.out,
                "\ndrift: {} kinds of warning (what the schema should learn next)",
                rows.len()
            )?;
            if !rows.is_empty() {
                writeln!(
                    self.out,
                    "{:>7}  {:<14}  {:<36}  {:<28}  {:<24}  example",
                    "count", "rule", "pointer", "model", "value"
                )?;
            }
            for row in rows {
                let rule = row.rule.as_str();
                let value: String = row.value.chars().take(24).collect();
                writeln!(
                    self.out,
                    "{:>7}  {:<14}  {:<36}  {:<28}  {:<24}  {}",
                    row.count, rule, row.pointer, row.model, value, row.example_source
                )?;
            }
        }
        if let Some(c) = coverage {
            writeln!(self.out, "\ncoverage: valid responses per registry model")?;
            self.counts(&c.registry_models)?;
            writeln!(
                self.out,
                "coverage: valid responses with results, per shape"
            )?;
            self.counts(&c.shapes)?;
            if !c.other_models.is_empty() {
                let others: Vec<String> = c
                    .other_models
                    .iter()
                    .map(|(m, n)| format!("{m} ({n})"))
                    .collect();
                writeln!(
                    self.out,
                    "  models outside the registry, held to their type: {}",
                    others.join(", ")
                )?;
            }
        }
        let mut line = format!(
            "checked {} responses: {} valid, {} invalid, {} warnings",
            summary.checked, summary.valid, summary.invalid, summary.warnings
        );
        if summary.expected_invalid > 0 {
            line.push_str(&format!(
                "; {} invalid as expected",
                summary.expected_invalid
            ));
        }
        line.push_str(&format!("; {} not as expected", summary.failed));
        let style = if summary.passed() { GREEN } else { RED };
        let line = self.paint(style, &line);
        writeln!(self.out, "{line}")?;
        self.out.flush()
    }
}
