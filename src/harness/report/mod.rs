//! The report writers of a `validate` run: for people ([`human`]), the JSON report ([`json`])
//! and JUnit XML ([`junit`]), each fed the outcomes in input order and the totals at the end.

pub mod file;
pub mod human;
pub mod json;
pub mod junit;

use super::{Outcome, Totals};
use std::io::{self, Write};

/// An output format of the validate report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
#[non_exhaustive]
pub enum Format {
    /// For people: each problem with its source, pointer, value and what was expected.
    Human,
    /// The JSON report; `foxapi-contract schema --report` prints its schema.
    Json,
    /// JUnit XML: one testcase per response.
    Junit,
}

/// One report being written, in one of the formats.
pub enum Sink {
    /// The human report.
    Human(human::HumanSink<Box<dyn Write>>),
    /// The JSON report.
    Json(json::JsonSink<Box<dyn Write>>),
    /// JUnit XML, written whole at the end.
    Junit(Box<junit::JunitSink>, Box<dyn Write>),
}

impl Sink {
    /// Starts a report in `format` on `out`; `colour` and `verbose` apply to the human one.
    pub fn open(
        format: Format,
        out: Box<dyn Write>,
        colour: bool,
        verbose: bool,
    ) -> io::Result<Sink> {
        Ok(match format {
            Format::Human => Sink::Human(human::HumanSink::new(out, colour, verbose)),
            Format::Json => Sink::Json(json::JsonSink::new(out)?),
            Format::Junit => Sink::Junit(Box::default(), out),
        })
    }

    /// Adds one response.
    pub fn response(&mut self, outcome: &Outcome) -> io::Result<()> {
        match self {
            Sink::Human(s) => s.response(outcome),
            Sink::Json(s) => s.response(outcome),
            Sink::Junit(s, _) => s.response(outcome),
        }
    }

    /// Ends the report with the run's totals and flushes it.
    pub fn finish(self, totals: &Totals<'_>) -> io::Result<()> {
        match self {
            Sink::Human(mut s) => s.finish(totals),
            Sink::Json(mut s) => s.finish(totals),
            Sink::Junit(s, out) => s.finish(totals, out),
        }
    }
}
