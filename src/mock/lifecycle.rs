//! Lifecycles: how a scripted task moves `pending -> processing -> completed | failed`,
//! counted in polls or in milliseconds of the [`MockClock`](super::MockClock).

use crate::ErrorCode;
use serde::Deserialize;

/// How long one phase of a lifecycle lasts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Span {
    /// This many polls (answered `GET /v1/tasks/{id}`) see the phase; `0` skips it.
    /// In a scenario file: `{"polls": 3}`.
    Polls(u32),
    /// The phase lasts this many milliseconds of the mock's clock from when it begins; `0`
    /// skips it. In a scenario file: `{"millis": 1500}`.
    Millis(u64),
}

impl Span {
    /// A span that skips its phase.
    pub const NONE: Span = Span::Polls(0);

    fn is_empty(self) -> bool {
        matches!(self, Span::Polls(0) | Span::Millis(0))
    }
}

/// How a lifecycle ends.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// `completed`, with results of the shape the task's model requires.
    /// In a scenario file: `"completed"`.
    Completed,
    /// `failed`, with `error = {message, type: "task_error", code}`.
    /// In a scenario file: `{"failed": {"code": "generation_failed", "message": "..."}}`.
    Failed {
        /// The task error's code: usually a string such as `generation_failed`.
        code: ErrorCode,
        /// A human-readable explanation.
        message: String,
    },
}

/// A script for one task: how long it stays pending, then processing with rising progress,
/// then (optionally) completed without results (the documented quirk), then how it ends.
///
/// In a scenario file every field is optional; missing ones take [`Lifecycle::default`].
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Lifecycle {
    /// How long the task is `pending`, progress 0.
    pub pending: Span,
    /// How long it is `processing`, its progress rising from 1 towards 99.
    pub processing: Span,
    /// The documented quirk: how long it reports `completed` with `results: null` before the
    /// results are attached. [`Span::NONE`] (the default) switches the quirk off.
    pub empty_completed: Span,
    /// How it ends.
    pub outcome: Outcome,
}

impl Default for Lifecycle {
    /// Three polls before completion: one pending, two processing.
    fn default() -> Self {
        Lifecycle::polls(3)
    }
}

impl Lifecycle {
    /// A task that answers `polls` polls before it is over: the first pending, the others
    /// processing; poll `polls + 1` sees it completed. `0` completes it at once.
    pub fn polls(polls: u32) -> Lifecycle {
        Lifecycle {
            pending: Span::Polls(polls.min(1)),
            processing: Span::Polls(polls.saturating_sub(1)),
            empty_completed: Span::NONE,
            outcome: Outcome::Completed,
        }
    }

    /// A task that is over `millis` milliseconds after submission: pending for the first
    /// quarter of that time, processing for the rest.
    pub fn millis(millis: u64) -> Lifecycle {
        Lifecycle {
            pending: Span::Millis(millis / 4),
            processing: Span::Millis(millis - millis / 4),
            empty_completed: Span::NONE,
            outcome: Outcome::Completed,
        }
    }

    /// The same lifecycle, first reporting `completed` without results for `span`.
    #[must_use]
    pub fn with_empty_completed(mut self, span: Span) -> Lifecycle {
        self.empty_completed = span;
        self
    }

    /// The same lifecycle, ending `failed` with this code and message.
    #[must_use]
    pub fn failing(mut self, code: impl Into<String>, message: impl Into<String>) -> Lifecycle {
        self.outcome = Outcome::Failed {
            code: ErrorCode::String(code.into()),
            message: message.into(),
        };
        self
    }
}

/// Where a running task is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Phase {
    Pending,
    Processing,
    /// The quirk: completed, results not attached yet.
    EmptyCompleted,
    /// Over: the lifecycle's outcome.
    Done,
}

impl Phase {
    fn next(self) -> Phase {
        match self {
            Phase::Pending => Phase::Processing,
            Phase::Processing => Phase::EmptyCompleted,
            Phase::EmptyCompleted | Phase::Done => Phase::Done,
        }
    }
}

/// What one answer shows: the phase and the progress.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Stage {
    pub phase: Phase,
    pub progress: u8,
}

/// One task running its lifecycle.
#[derive(Clone, Debug)]
pub(crate) struct Run {
    lifecycle: Lifecycle,
    phase: Phase,
    /// When the current phase began (clock milliseconds).
    entered_ms: u64,
    /// Polls answered in the current phase.
    polls_in_phase: u32,
    /// The last progress shown; a failed task keeps it.
    progress: u8,
}

impl Run {
    /// A run starting now, pending.
    pub fn start(lifecycle: Lifecycle, now_ms: u64) -> Run {
        let mut run = Run {
            lifecycle,
            phase: Phase::Pending,
            entered_ms: now_ms,
            polls_in_phase: 0,
            progress: 0,
        };
        run.settle(now_ms);
        run
    }

    /// The lifecycle being run.
    pub fn lifecycle(&self) -> &Lifecycle {
        &self.lifecycle
    }

    /// When the results were attached (clock milliseconds), once completed with results.
    pub fn completed_ms(&self) -> Option<u64> {
        (self.phase == Phase::Done && self.lifecycle.outcome == Outcome::Completed)
            .then_some(self.entered_ms)
    }

    fn span(&self) -> Span {
        match self.phase {
            Phase::Pending => self.lifecycle.pending,
            Phase::Processing => self.lifecycle.processing,
            Phase::EmptyCompleted => self.lifecycle.empty_completed,
            Phase::Done => Span::NONE,
        }
    }

    fn enter(&mut self, phase: Phase, at_ms: u64) {
        self.phase = phase;
        self.entered_ms = at_ms;
        self.polls_in_phase = 0;
    }

    /// Moves past every phase that is over by `now_ms`.
    pub fn settle(&mut self, now_ms: u64) {
        while self.phase != Phase::Done {
            let span = self.span();
            let at = match span {
                _ if span.is_empty() => self.entered_ms,
                Span::Polls(n) if self.polls_in_phase >= n => now_ms,
                Span::Millis(d) if now_ms.saturating_sub(self.entered_ms) >= d => {
                    self.entered_ms.saturating_add(d)
                }
                _ => return,
            };
            self.enter(self.phase.next(), at);
        }
    }

    /// Answers one poll at `now_ms`. With `sync_upstream` a task that already has an upstream
    /// task (processing, or completed without results) refreshes it: its current phase ends.
    pub fn poll(&mut self, now_ms: u64, sync_upstream: bool) -> Stage {
        self.settle(now_ms);
        if sync_upstream && matches!(self.phase, Phase::Processing | Phase::EmptyCompleted) {
            self.enter(self.phase.next(), now_ms);
            self.settle(now_ms);
        }
        let stage = self.stage(now_ms);
        self.polls_in_phase = self.polls_in_phase.saturating_add(1);
        self.progress = stage.progress;
        stage
    }

    /// What a poll at `now_ms` would show, without counting one.
    pub fn peek(&mut self, now_ms: u64) -> Stage {
        self.settle(now_ms);
        self.stage(now_ms)
    }

    fn stage(&self, now_ms: u64) -> Stage {
        let progress = match (self.phase, self.span()) {
            (Phase::Pending, _) => 0,
            (Phase::Processing, Span::Polls(n)) => {
                let step = u64::from(self.polls_in_phase.min(n.saturating_sub(1))) + 1;
                percent(step, u64::from(n) + 1)
            }
            (Phase::Processing, Span::Millis(d)) => {
                percent(now_ms.saturating_sub(self.entered_ms), d)
            }
            (Phase::EmptyCompleted, _) => 100,
            (Phase::Done, _) => match self.lifecycle.outcome {
                Outcome::Completed => 100,
                Outcome::Failed { .. } => self.progress,
            },
        };
        Stage {
            phase: self.phase,
            progress,
        }
    }
}

/// `part` of `whole` in percent, kept within 1..=99 (a task processing is neither at 0 nor done).
fn percent(part: u64, whole: u64) -> u8 {
    let value = part.saturating_mul(100) / whole.max(1);
    u8::try_from(value.clamp(1, 99)).unwrap_or(99)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn phases(run: &mut Run, polls: usize) -> Vec<(Phase, u8)> {
        (0..polls)
            .map(|_| {
                let s = run.poll(0, false);
                (s.phase, s.progress)
            })
            .collect()
    }

    #[test]
    fn polls_lifecycle_goes_pending_then_rising_processing_then_completed() {
        let mut run = Run::start(Lifecycle::polls(4), 0);
        assert_eq!(
            phases(&mut run, 6),
            vec![
                (Phase::Pending, 0),
                (Phase::Processing, 25),
                (Phase::Processing, 50),
                (Phase::Processing, 75),
                (Phase::Done, 100),
                (Phase::Done, 100)
            ]
        );
        assert_eq!(run.completed_ms(), Some(0));
    }

    #[test]
    fn zero_polls_is_over_at_once_and_the_quirk_comes_before_the_results() {
        let mut run = Run::start(Lifecycle::polls(0), 0);
        assert_eq!(phases(&mut run, 1), vec![(Phase::Done, 100)]);
        let mut quirky = Run::start(Lifecycle::polls(1).with_empty_completed(Span::Polls(2)), 0);
        assert_eq!(
            phases(&mut quirky, 4),
            vec![
                (Phase::Pending, 0),
                (Phase::EmptyCompleted, 100),
                (Phase::EmptyCompleted, 100),
                (Phase::Done, 100)
            ]
        );
    }

    #[test]
    fn timed_lifecycle_follows_the_clock_not_the_polls() {
        let mut run = Run::start(Lifecycle::millis(1000), 0);
        assert_eq!(run.peek(100).phase, Phase::Pending);
        assert_eq!(
            run.peek(250),
            Stage {
                phase: Phase::Processing,
                progress: 1
            }
        );
        assert_eq!(run.peek(625).progress, 50);
        assert_eq!(run.peek(1000).phase, Phase::Done);
        assert_eq!(run.completed_ms(), Some(1000));
    }

    #[test]
    fn a_failed_task_keeps_the_progress_it_last_showed() {
        let mut run = Run::start(Lifecycle::polls(2).failing("generation_failed", "no"), 0);
        assert_eq!(
            phases(&mut run, 3),
            vec![
                (Phase::Pending, 0),
                (Phase::Processing, 50),
                (Phase::Done, 50)
            ]
        );
        assert_eq!(run.completed_ms(), None);
    }

    #[test]
    fn sync_upstream_ends_processing_but_not_pending() {
        let mut run = Run::start(Lifecycle::polls(10), 0);
        assert_eq!(run.poll(0, true).phase, Phase::Pending);
        assert_eq!(run.poll(0, false).phase, Phase::Processing);
        assert_eq!(run.poll(0, true).phase, Phase::Done);
    }
}
