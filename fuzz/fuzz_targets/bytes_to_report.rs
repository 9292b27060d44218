//! Any bytes to a report: never a panic, always a verdict, and a response the contract accepts
//! always parses into the types. The verdict then goes through every report writer (human,
//! JSON, JUnit), with the input's first line as its file name, and each report must be
//! well-formed: the JSON parses, the XML parses, the human report carries no raw control
//! character but its line breaks.
#![no_main]

use foxapi_contract::harness::coverage::Coverage;
use foxapi_contract::harness::drift::Drift;
use foxapi_contract::harness::report::{Format, Sink};
use foxapi_contract::harness::{Outcome, Summary, Totals};
use foxapi_contract::{Contract, Rule};
use libfuzzer_sys::fuzz_target;
use std::cell::RefCell;
use std::io::Write;
use std::rc::Rc;

/// A report's bytes, kept where the target can read them after the writer is done.
#[derive(Clone, Default)]
struct Written(Rc<RefCell<Vec<u8>>>);

impl Write for Written {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The report `format` writes of `outcome` and `totals`.
fn written(format: Format, outcome: &Outcome, totals: &Totals<'_>) -> Vec<u8> {
    let out = Written::default();
    let mut sink = Sink::open(format, Box::new(out.clone()), false, true).expect("in memory");
    sink.response(outcome).expect("in memory");
    sink.finish(totals).expect("in memory");
    out.0.take()
}

fuzz_target!(|bytes: &[u8]| {
    let report = Contract::global().validate(bytes);
    assert!(report.errors.iter().all(|e| !e.message.is_empty()));
    assert!(!report.errors.iter().any(|e| e.rule == Rule::ContractBug), "{:?}", report.errors);
    assert_eq!(report.is_valid(), Contract::global().parse(bytes).is_ok());

    let name_end = bytes.iter().position(|&b| b == b'\n').unwrap_or(0);
    let source = String::from_utf8_lossy(&bytes[..name_end.min(128)]);
    let outcome = Outcome::new(&source, report, false, false);
    let mut summary = Summary::default();
    summary.add(&outcome);
    let mut drift = Drift::default();
    drift.add(&outcome.source, &outcome.report);
    let mut coverage = Coverage::default();
    coverage.add(&outcome.report);
    let (rows, covered) = (drift.rows(), coverage.summary());
    let totals = Totals {
        summary: &summary,
        drift: Some(&rows),
        coverage: Some(&covered),
    };

    let json = written(Format::Json, &outcome, &totals);
    if let Err(e) = serde_json::from_slice::<serde_json::Value>(&json) {
        panic!("the JSON report does not parse: {e}\n{}", String::from_utf8_lossy(&json));
    }
    let xml = written(Format::Junit, &outcome, &totals);
    let xml = String::from_utf8(xml).expect("the JUnit report is UTF-8");
    if let Err(e) = roxmltree::Document::parse(&xml) {
        panic!("the JUnit report does not parse: {e}\n{xml}");
    }
    let human = written(Format::Human, &outcome, &totals);
    let human = String::from_utf8(human).expect("the human report is UTF-8");
    assert!(
        !human.chars().any(|c| c != '\n' && foxapi_contract::untrusted::is_unsafe(c)),
        "the human report carries a raw control character: {human:?}"
    );
});
