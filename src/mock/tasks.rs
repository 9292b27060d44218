//! The tasks the mock serves: fixtures served as loaded, and scripted tasks rendered from
//! their lifecycle's current stage.

use super::faults::Faults;
use super::lifecycle::{Lifecycle, Outcome, Phase, Run, Span, Stage};
use crate::{ErrorType, TaskError};
use serde_json::{json, Map, Value};

/// One task and what happened to it.
#[derive(Clone, Debug)]
pub(crate) struct TaskRecord {
    body: Body,
    /// Polls answered (faults that refuse a request do not count).
    pub polls: u64,
    /// Faults of this task's polls and downloads, instead of the server's.
    pub faults: Option<Faults>,
}

#[derive(Clone, Debug)]
enum Body {
    /// Served as loaded; its results (if any) attached at `attached_ms`.
    Fixed { envelope: Value, attached_ms: u64 },
    /// Running a lifecycle: the keys that do not change, the results it completes with.
    Scripted {
        template: Map<String, Value>,
        results: Vec<Value>,
        run: Run,
    },
}

impl TaskRecord {
    /// A task served exactly as `envelope` says, its results attached at `now_ms`.
    pub fn fixed(envelope: Value, now_ms: u64) -> TaskRecord {
        TaskRecord {
            body: Body::Fixed {
                envelope,
                attached_ms: now_ms,
            },
            polls: 0,
            faults: None,
        }
    }

    /// A task running `lifecycle` from `now_ms`: `template`'s keys (id, object, type, model,
    /// created, usage, ...) with the stage's status, progress, results and error.
    pub fn scripted(
        template: Map<String, Value>,
        results: Vec<Value>,
        lifecycle: Lifecycle,
        now_ms: u64,
    ) -> TaskRecord {
        TaskRecord {
            body: Body::Scripted {
                template,
                results,
                run: Run::start(lifecycle, now_ms),
            },
            polls: 0,
            faults: None,
        }
    }

    /// The envelope a poll at `now_ms` gets; counts the poll.
    pub fn poll(&mut self, now_ms: u64, sync_upstream: bool) -> Value {
        self.polls += 1;
        self.envelope(|run| run.poll(now_ms, sync_upstream))
    }

    /// The envelope a poll at `now_ms` would get, without counting one.
    pub fn peek(&mut self, now_ms: u64) -> Value {
        self.envelope(|run| run.peek(now_ms))
    }

    /// The envelope at the stage `stage_of` moves a scripted run to.
    fn envelope(&mut self, stage_of: impl FnOnce(&mut Run) -> Stage) -> Value {
        match &mut self.body {
            Body::Fixed { envelope, .. } => envelope.clone(),
            Body::Scripted {
                template,
                results,
                run,
            } => {
                let stage = stage_of(run);
                render(template, results, run.lifecycle(), stage)
            }
        }
    }

    /// The results a client can download at `now_ms`, and when they were attached.
    pub fn attached(&mut self, now_ms: u64) -> Option<(Vec<Value>, u64)> {
        match &mut self.body {
            Body::Fixed {
                envelope,
                attached_ms,
            } => {
                let results = envelope.get("results")?.as_array()?;
                Some((results.clone(), *attached_ms))
            }
            Body::Scripted { results, run, .. } => {
                run.settle(now_ms);
                Some((results.clone(), run.completed_ms()?))
            }
        }
    }
}

/// The envelope of a scripted task at `stage`.
fn render(
    template: &Map<String, Value>,
    results: &[Value],
    lifecycle: &Lifecycle,
    stage: Stage,
) -> Value {
    let mut envelope = template.clone();
    let (status, results, error) = match (stage.phase, &lifecycle.outcome) {
        (Phase::Pending, _) => ("pending", Value::Null, Value::Null),
        (Phase::Processing, _) => ("processing", Value::Null, Value::Null),
        // The quirk: completed, results not attached yet.
        (Phase::EmptyCompleted, _) => ("completed", Value::Null, Value::Null),
        (Phase::Done, Outcome::Completed) => {
            ("completed", Value::Array(results.to_vec()), Value::Null)
        }
        (Phase::Done, Outcome::Failed { code, message }) => {
            let error = TaskError {
                code: Some(code.clone()),
                message: message.clone(),
                type_: Some(ErrorType::TaskError),
            };
            (
                "failed",
                Value::Null,
                serde_json::to_value(error).unwrap_or(Value::Null),
            )
        }
    };
    envelope.insert("status".into(), json!(status));
    envelope.insert("progress".into(), json!(stage.progress));
    envelope.insert("results".into(), results);
    envelope.insert("error".into(), error);
    Value::Object(envelope)
}

/// A rough run time for `task_info.estimated_time`, in seconds: a poll counts as 5 s (clients
/// poll every 5 to 10 s).
pub(crate) fn estimated_secs(lifecycle: &Lifecycle) -> u64 {
    [
        lifecycle.pending,
        lifecycle.processing,
        lifecycle.empty_completed,
    ]
    .iter()
    .map(|span| match *span {
        Span::Polls(n) => u64::from(n) * 5,
        Span::Millis(ms) => ms.div_ceil(1000),
    })
    .sum()
}
