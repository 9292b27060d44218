//! What the proxy saw: events as they happen ([`ProxyEvent`], for stderr or a test), and the
//! whole session at the end ([`ProxyReport`], for the `validate` report writers).

use crate::harness::{Outcome, Summary, Totals};
use crate::redact::mask_urls;
use crate::report::{Issue, Rule};
use crate::untrusted::printable;
use crate::Report;
use std::fmt;
use std::sync::{Mutex, MutexGuard, PoisonError};
use tokio::sync::mpsc;

/// An answer that broke the contract (or, in strict mode, drifted from it).
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Violation {
    /// The exchange, as `METHOD /path -> status` (secrets masked, made printable).
    pub exchange: String,
    /// The status the upstream answered.
    pub status: u16,
    /// What validation said: its errors are the violations (model, pointer, message).
    pub report: Report,
}

impl fmt::Display for Violation {
    /// `GET /v1/tasks/ID -> 200: the response breaks the contract: ...`, then one issue a line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.exchange, self.report)
    }
}

/// Something the proxy reports as it happens.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum ProxyEvent {
    /// An answer broke the contract.
    Violation(Violation),
    /// The upstream failed (no answer within the idle timeout, a reset, a body cut short):
    /// the application got a 502, or (a body that failed while streamed) an answer cut there.
    Fault {
        /// The exchange, as `METHOD /path`.
        exchange: String,
        /// What went wrong.
        reason: String,
        /// What the application got instead: `answered 502`, or its answer cut after some bytes.
        answered: String,
    },
    /// Replay holds no answer (or no body) for a request: the application got a 404 or a 502
    /// `not_recorded`. A stale recording fails the run.
    NotRecorded {
        /// The exchange, as `METHOD /path`.
        exchange: String,
        /// What was not recorded, and the status the application got.
        reason: String,
    },
    /// Something worth knowing that is no violation: an answer too large to validate, a
    /// cassette or a result file that could not be written.
    Warning {
        /// The exchange, as `METHOD /path`.
        exchange: String,
        /// What happened.
        message: String,
    },
}

impl fmt::Display for ProxyEvent {
    /// One line per event (a violation adds one line per issue), as stderr shows it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProxyEvent::Violation(violation) => write!(f, "violation: {violation}"),
            ProxyEvent::Fault {
                exchange,
                reason,
                answered,
            } => write!(f, "upstream fault: {exchange}: {reason} ({answered})"),
            ProxyEvent::NotRecorded { exchange, reason } => {
                write!(f, "not recorded: {exchange}: {reason}")
            }
            ProxyEvent::Warning { exchange, message } => {
                write!(f, "warning: {exchange}: {message}")
            }
        }
    }
}

/// The whole session, returned by [`super::Proxy::shutdown`].
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct ProxyReport {
    /// Requests answered.
    pub exchanges: u64,
    /// Every answer held to the contract, in the order answered, as `validate` reports a
    /// response, and every upstream fault (an `unreadable` error, `upstream_failed: ...`):
    /// feed them to [`crate::harness::report`] writers with [`ProxyReport::totals`].
    pub outcomes: Vec<Outcome>,
    /// Counts over [`ProxyReport::outcomes`].
    pub summary: Summary,
    /// The answers that broke the contract.
    pub violations: Vec<Violation>,
    /// Upstream faults: answered with a 502, or a streamed answer cut midway (each also
    /// among the outcomes).
    pub faults: u64,
    /// Requests replay held no answer or no body for (each also among the outcomes, a
    /// `not_recorded` error).
    pub not_recorded: u64,
    /// Warnings reported.
    pub warnings: u64,
}

impl ProxyReport {
    /// Whether no answer broke the contract, the upstream never failed and replay held an
    /// answer for every request: an upstream fault or a request not recorded is a failure
    /// too, since the answer it stands for could not be checked.
    pub fn passed(&self) -> bool {
        self.violations.is_empty() && self.faults == 0 && self.not_recorded == 0
    }

    /// The totals the report writers end with.
    pub fn totals(&self) -> Totals<'_> {
        Totals {
            summary: &self.summary,
            drift: None,
            coverage: None,
        }
    }
}

/// `text` as events and reports show it: signed-URL secrets masked, printable.
pub(crate) fn shown(text: &str) -> String {
    printable(&mask_urls(text)).into_owned()
}

/// Where the handlers report what they see; shared by the whole proxy.
#[derive(Debug, Default)]
pub(crate) struct Journal {
    state: Mutex<JournalState>,
}

#[derive(Debug, Default)]
struct JournalState {
    report: ProxyReport,
    listeners: Vec<mpsc::UnboundedSender<ProxyEvent>>,
}

impl Journal {
    fn state(&self) -> MutexGuard<'_, JournalState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Events from now on.
    pub fn subscribe(&self) -> mpsc::UnboundedReceiver<ProxyEvent> {
        let (tx, rx) = mpsc::unbounded_channel();
        self.state().listeners.push(tx);
        rx
    }

    fn tell(state: &mut JournalState, event: ProxyEvent) {
        tracing::warn!("proxy: {event}");
        state.listeners.retain(|l| l.send(event.clone()).is_ok());
    }

    /// Counts one request answered.
    pub fn answered(&self) {
        self.state().report.exchanges += 1;
    }

    /// Keeps the verdict on one answer (`exchange` as [`shown`] makes it); its violation, if
    /// it is one.
    pub fn checked(&self, exchange: &str, status: u16, report: Report) -> Option<Violation> {
        let mut state = self.state();
        let number = state.report.outcomes.len() + 1;
        let outcome = Outcome::new(&format!("#{number} {exchange}"), report, false, false);
        state.report.summary.add(&outcome);
        let violation = (!outcome.report.is_valid()).then(|| Violation {
            exchange: exchange.to_string(),
            status,
            report: outcome.report.clone(),
        });
        state.report.outcomes.push(outcome);
        if let Some(violation) = &violation {
            state.report.violations.push(violation.clone());
            Journal::tell(&mut state, ProxyEvent::Violation(violation.clone()));
        }
        violation
    }

    /// Reports an upstream fault (`answered`: what the application got instead), and keeps
    /// it among the outcomes as a response that could not be checked (an `unreadable` error
    /// whose message starts `upstream_failed:`), so the JSON and JUnit reports show it as a
    /// failure.
    pub fn fault(&self, exchange: &str, reason: &str, answered: &str) {
        let reason = shown(reason);
        let message = format!("expected an answer to check, found none: {reason}");
        let event = ProxyEvent::Fault {
            exchange: exchange.to_string(),
            reason,
            answered: answered.to_string(),
        };
        self.unchecked(exchange, "upstream_failed", &message, event);
    }

    /// Reports a request replay holds no answer (or no body) for, and keeps it among the
    /// outcomes as a failure (an `unreadable` error whose message starts `not_recorded:`).
    pub fn not_recorded(&self, exchange: &str, reason: &str) {
        let reason = shown(reason);
        let event = ProxyEvent::NotRecorded {
            exchange: exchange.to_string(),
            reason: reason.clone(),
        };
        self.unchecked(exchange, "not_recorded", &reason, event);
    }

    /// Reports `event` (a fault or a request not recorded), counts it, and keeps the answer
    /// it stands for, which could not be checked, as a failed outcome named
    /// `#N {exchange} -> {code}`, its one error `{code}: {message}`.
    fn unchecked(&self, exchange: &str, code: &str, message: &str, event: ProxyEvent) {
        let mut state = self.state();
        match &event {
            ProxyEvent::Fault { .. } => state.report.faults += 1,
            ProxyEvent::NotRecorded { .. } => state.report.not_recorded += 1,
            ProxyEvent::Violation(_) | ProxyEvent::Warning { .. } => {}
        }
        let number = state.report.outcomes.len() + 1;
        let report = Report::refused(Issue::whole(Rule::Unreadable, format!("{code}: {message}")));
        let outcome = Outcome::new(
            &format!("#{number} {exchange} -> {code}"),
            report,
            true,
            false,
        );
        state.report.summary.add(&outcome);
        state.report.outcomes.push(outcome);
        Journal::tell(&mut state, event);
    }

    /// Reports a warning.
    pub fn warn(&self, exchange: &str, message: &str) {
        let mut state = self.state();
        state.report.warnings += 1;
        let event = ProxyEvent::Warning {
            exchange: exchange.to_string(),
            message: shown(message),
        };
        Journal::tell(&mut state, event);
    }

    /// The session so far, taken out.
    pub fn take(&self) -> ProxyReport {
        std::mem::take(&mut self.state().report)
    }
}
