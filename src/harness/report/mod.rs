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

/// How a report renders one response: pure, so it runs on the checking threads, while
/// [`Sink::write`] adds what it rendered in input order. [`Sink::renderer`] gives a sink's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Renderer {
    format: Format,
    colour: bool,
    verbose: bool,
}

/// One response rendered for a report of one format, ready for [`Sink::write`].
pub struct Rendered(Part);

enum Part {
    Text(io::Result<Vec<u8>>),
    Json(io::Result<Vec<u8>>),
    Junit(io::Result<Vec<u8>>),
}

impl Renderer {
    /// The rendering of a report in `format`; `colour` and `verbose` apply to the human one.
    pub fn new(format: Format, colour: bool, verbose: bool) -> Renderer {
        Renderer {
            format,
            colour,
            verbose,
        }
    }

    /// Renders one response.
    pub fn render(&self, outcome: &Outcome) -> Rendered {
        Rendered(match self.format {
            Format::Human => Part::Text(human::render(outcome, self.colour, self.verbose)),
            Format::Json => Part::Json(json::render(outcome)),
            Format::Junit => Part::Junit(junit::render(outcome)),
        })
    }
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
        let rendered = self.renderer().render(outcome);
        self.write(rendered)
    }

    /// How this report renders a response, for [`Sink::write`].
    pub fn renderer(&self) -> Renderer {
        match self {
            Sink::Human(s) => Renderer::new(Format::Human, s.colour(), s.verbose()),
            Sink::Json(_) => Renderer::new(Format::Json, false, false),
            Sink::Junit(..) => Renderer::new(Format::Junit, false, false),
        }
    }

    /// Adds one response that [`Sink::renderer`] rendered: the same bytes
    /// [`Sink::response`] writes.
    pub fn write(&mut self, rendered: Rendered) -> io::Result<()> {
        match (self, rendered.0) {
            (Sink::Human(s), Part::Text(text)) => s.write_rendered(&text?),
            (Sink::Json(s), Part::Json(json)) => s.write_rendered(&json?),
            (Sink::Junit(s, _), Part::Junit(xml)) => s.add(&xml?),
            _ => Err(io::Error::other(
                "expected a response rendered by this report's renderer, found one of another format",
            )),
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

/// Text as reports and hostile inputs make it, for the property tests of the report writers:
/// markup, quotes, backslashes, line breaks, other scripts, and now and then a control
/// character or an ANSI escape.
#[cfg(test)]
fn text() -> impl proptest::strategy::Strategy<Value = String> {
    use proptest::prelude::*;
    let piece = prop_oneof![
        "[a-z0-9 ./:_-]{0,12}",
        Just("<".to_string()),
        Just(">".to_string()),
        Just("&".to_string()),
        Just("'".to_string()),
        Just("\"".to_string()),
        Just("\\".to_string()),
        Just("\n".to_string()),
        Just("\r\n".to_string()),
        Just("\t".to_string()),
        Just("中文 é ✓ 🦊".to_string()),
        Just("\u{1b}[31m".to_string()),
        Just("\u{9b}".to_string()),
        Just("\u{7f}".to_string()),
        Just("\u{0}".to_string()),
        Just("\u{202e}\u{fffe}".to_string()),
        any::<char>().prop_map(String::from),
    ];
    proptest::collection::vec(piece, 0..6).prop_map(|parts| parts.concat())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::harness::{Expectation, Expected, Summary};
    use crate::Contract;
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Written(Arc<Mutex<Vec<u8>>>);

    impl Write for Written {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().expect("not poisoned").extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn outcomes() -> Vec<Outcome> {
        let contract = Contract::new();
        let valid = br#"{"id":"task-a","object":"image.generation.task","type":"image","model":"flux-1.1-pro","status":"completed","progress":100,"created":1,"results":[{"url":"https://x.example/a.png"}]}"#;
        let warned = br#"{"id":"a","object":"image.generation.task","type":"image","model":"flux-1.1-pro","status":"completed","progress":100,"created":1,"results":[]}"#;
        let invalid = br#"{"id":"task-a","object":"image.generation.task","type":"image","model":"flux-1.1-pro","status":"completed","progress":101,"created":1,"results":[{"url":"/a.png"}]}"#;
        let mut out = Vec::new();
        for (i, bytes) in [&valid[..], warned, invalid, b"{"].into_iter().enumerate() {
            let outcome = Outcome::new(
                &format!("r{i}.json"),
                contract.validate(bytes),
                false,
                false,
            );
            out.push(outcome.clone());
            out.push(outcome.expecting(Expected::Invalid(Expectation::default())));
        }
        out
    }

    /// The report `format` writes of the outcomes, each through `add`.
    fn written(
        format: Format,
        colour: bool,
        verbose: bool,
        add: impl Fn(&mut Sink, &Outcome),
    ) -> Vec<u8> {
        let out = Written::default();
        let mut sink =
            Sink::open(format, Box::new(out.clone()), colour, verbose).expect("in memory");
        for outcome in outcomes() {
            add(&mut sink, &outcome);
        }
        let summary = Summary::default();
        let totals = Totals {
            summary: &summary,
            drift: None,
            coverage: None,
        };
        sink.finish(&totals).expect("in memory");
        let bytes = out.0.lock().expect("not poisoned").clone();
        bytes
    }

    #[test]
    fn a_response_rendered_apart_is_written_as_the_sink_writes_it() {
        for format in [Format::Human, Format::Json, Format::Junit] {
            for (colour, verbose) in [(false, false), (false, true), (true, true)] {
                // Each format's own writer, as it was before rendering moved apart.
                let direct = written(format, colour, verbose, |sink, o| {
                    match sink {
                        Sink::Human(s) => s.response(o),
                        Sink::Json(s) => s.response(o),
                        Sink::Junit(s, _) => s.response(o),
                    }
                    .expect("in memory")
                });
                let rendered = written(format, colour, verbose, |sink, o| {
                    let renderer = sink.renderer();
                    sink.write(renderer.render(o)).expect("in memory")
                });
                assert!(!direct.is_empty());
                assert_eq!(
                    String::from_utf8_lossy(&direct),
                    String::from_utf8_lossy(&rendered),
                    "{format:?}, colour {colour}, verbose {verbose}"
                );
                // Both go through the same renderer: hold what they wrote to what each
                // response is, read back independently.
                let outcomes = outcomes();
                match format {
                    Format::Json => {
                        let report: serde_json::Value =
                            serde_json::from_slice(&rendered).expect("a JSON report");
                        let listed = report["responses"].as_array().expect("responses");
                        assert_eq!(listed.len(), outcomes.len());
                        for (shown, outcome) in listed.iter().zip(&outcomes) {
                            let expected = serde_json::to_value(json::JsonResponse::from(outcome))
                                .expect("serialises");
                            assert_eq!(shown, &expected);
                        }
                    }
                    Format::Junit => {
                        let xml = String::from_utf8(rendered).expect("UTF-8");
                        let document = roxmltree::Document::parse(&xml).expect("well-formed XML");
                        let cases: Vec<_> = document
                            .descendants()
                            .filter(|n| n.has_tag_name("testcase"))
                            .collect();
                        assert_eq!(cases.len(), outcomes.len());
                        for (case, outcome) in cases.iter().zip(&outcomes) {
                            assert_eq!(case.attribute("name"), Some(outcome.source.as_str()));
                            let failed = case.children().any(|c| c.has_tag_name("failure"));
                            assert_eq!(failed, !outcome.as_expected(), "{}", outcome.source);
                        }
                    }
                    Format::Human => {
                        let text = String::from_utf8_lossy(&rendered);
                        for outcome in &outcomes {
                            assert!(text.contains(&outcome.source), "{text}");
                        }
                        assert_eq!(text.contains('\u{1b}'), colour, "{text}");
                    }
                }
            }
        }
    }

    #[test]
    fn a_response_rendered_for_another_format_is_refused() {
        let mut sink = Sink::open(Format::Json, Box::new(Written::default()), false, false)
            .expect("in memory");
        let outcome = &outcomes()[0];
        let human = Renderer::new(Format::Human, false, false).render(outcome);
        let error = sink.write(human).expect_err("another format");
        assert!(error.to_string().contains("another format"), "{error}");
    }
}
