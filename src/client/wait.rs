//! Polling a task until it is over: at an interval while it runs, backing off with jitter on
//! 429, 5xx, timeouts and dropped connections, within an overall deadline.

use super::{Client, ClientError, FetchedTask};
use crate::{Issue, Task, TaskStatus};
use backon::{BackoffBuilder, ExponentialBuilder};
use std::time::Duration;
use tokio::time::Instant;

/// The shortest pause between two requests, whatever the policy says: never a busy loop.
pub const MIN_DELAY: Duration = Duration::from_millis(1);

/// How [`Client::wait`] polls.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WaitPolicy {
    /// The pause between two polls while the task runs (default 5 s).
    pub interval: Duration,
    /// When to give up, counted from the first request (default 30 min).
    pub deadline: Duration,
    /// The first pause after a retryable failure (default 1 s); it doubles, with jitter.
    pub backoff_min: Duration,
    /// The longest pause after a retryable failure (default 60 s).
    pub backoff_max: Duration,
    /// The longest `Retry-After` honoured (default 120 s).
    pub retry_after_max: Duration,
    /// How many times a task `completed` without results is asked again before giving up
    /// (default 6; spec section 2: results come a few seconds later).
    pub empty_completed_requeries: u32,
}

impl Default for WaitPolicy {
    fn default() -> Self {
        WaitPolicy {
            interval: Duration::from_secs(5),
            deadline: Duration::from_secs(30 * 60),
            backoff_min: Duration::from_secs(1),
            backoff_max: Duration::from_secs(60),
            retry_after_max: Duration::from_secs(120),
            empty_completed_requeries: 6,
        }
    }
}

impl WaitPolicy {
    /// The most requests this policy can make: one at the start, then one per pause, and no
    /// pause is shorter than the interval or the first back-off (nor than [`MIN_DELAY`]).
    pub fn max_requests(&self) -> u64 {
        let shortest = self.interval.min(self.backoff_min).max(MIN_DELAY);
        let pauses = self.deadline.as_nanos() / shortest.as_nanos();
        u64::try_from(pauses).unwrap_or(u64::MAX).saturating_add(1)
    }

    pub(super) fn backoff(&self) -> impl Iterator<Item = Duration> {
        ExponentialBuilder::default()
            .with_min_delay(self.backoff_min.max(MIN_DELAY))
            .with_max_delay(self.backoff_max.max(MIN_DELAY))
            .with_jitter()
            .without_max_times()
            .build()
    }

    /// The pause before retrying after `error`: its `Retry-After` (capped, plus a little
    /// jitter) when it has one, else the next back-off step (capped).
    pub(super) fn pause_after(
        &self,
        error: &ClientError,
        backoff: &mut impl Iterator<Item = Duration>,
    ) -> Duration {
        let step = backoff
            .next()
            .unwrap_or(self.backoff_max)
            .min(self.backoff_max);
        let pause = match error.retry_after() {
            Some(asked) if !asked.is_zero() => {
                let capped = asked.min(self.retry_after_max);
                capped + capped.mul_f64(fastrand::f64() / 10.0)
            }
            _ => step,
        };
        pause.max(MIN_DELAY)
    }
}

/// What [`Client::wait`] tells its progress callback.
#[derive(Debug)]
#[non_exhaustive]
pub enum Progress<'a> {
    /// A state seen.
    State {
        /// The task as answered.
        task: &'a Task,
        /// The warnings of this answer.
        warnings: &'a [Issue],
        /// Which request this was, from 1.
        request: u32,
    },
    /// A request failed in a way worth retrying; the next one comes after `pause`.
    Retrying {
        /// What went wrong.
        error: &'a ClientError,
        /// The pause before the next request.
        pause: Duration,
        /// Which request failed, from 1.
        request: u32,
    },
}

impl Client {
    /// Polls a task with `sync_upstream=true` until it is over (failed, or completed with
    /// results) and returns its last answer; the caller tells failed from completed.
    ///
    /// While it runs (pending, processing, a status this version does not know, or completed
    /// without results yet, re-queried at most [`WaitPolicy::empty_completed_requeries`]
    /// times) it is asked again after [`WaitPolicy::interval`]. A 429, a 5xx, a timeout or a
    /// transport failure is retried after a back-off with jitter, honouring `Retry-After`.
    /// Any other error (401, 404, a body that breaks the contract) ends the wait at once.
    /// When the next request would come after the deadline, or the deadline cuts a request
    /// short, the wait ends with [`ClientError::Deadline`], which holds the last state seen.
    pub async fn wait(
        &self,
        id: &str,
        policy: &WaitPolicy,
        mut on_progress: impl FnMut(Progress<'_>),
    ) -> Result<FetchedTask, ClientError> {
        self.task_url(id, true)?;
        let deadline = Instant::now() + policy.deadline;
        let mut backoff = policy.backoff();
        let mut requests: u32 = 0;
        let mut last: Option<Box<Task>> = None;
        let mut empty_completed: u32 = 0;
        let mut last_error: Option<Box<ClientError>> = None;
        loop {
            // The request gets what is left of the deadline, when that is less than the
            // client's own timeout.
            let budget = deadline
                .saturating_duration_since(Instant::now())
                .max(MIN_DELAY);
            requests = requests.saturating_add(1);
            let pause = match self.get_task_within(id, true, budget).await {
                Ok(fetched) => {
                    on_progress(Progress::State {
                        task: &fetched.parsed.task,
                        warnings: &fetched.parsed.warnings,
                        request: requests,
                    });
                    if fetched.parsed.task.is_terminal() {
                        return Ok(fetched);
                    }
                    backoff = policy.backoff();
                    if fetched.parsed.task.status == TaskStatus::Completed {
                        empty_completed += 1;
                        if empty_completed > policy.empty_completed_requeries {
                            return Err(ClientError::CompletedWithoutResults {
                                id: id.to_string(),
                                queries: empty_completed,
                                task: Box::new(fetched.parsed.task),
                            });
                        }
                    }
                    last = Some(Box::new(fetched.parsed.task));
                    last_error = None;
                    policy.interval.max(MIN_DELAY)
                }
                // A timeout that came at the deadline is the deadline's, not the server's:
                // the wait is over, with what came before. Any earlier timeout (a connect
                // timeout, say) is retried below.
                Err(ClientError::Timeout { .. }) if Instant::now() + MIN_DELAY >= deadline => break,
                Err(error) if error.is_retryable() => {
                    let pause = policy.pause_after(&error, &mut backoff);
                    on_progress(Progress::Retrying {
                        error: &error,
                        pause,
                        request: requests,
                    });
                    tracing::debug!(%error, ?pause, "retrying");
                    last_error = Some(Box::new(error));
                    pause
                }
                Err(error) => return Err(error),
            };
            if Instant::now() + pause >= deadline {
                break;
            }
            tokio::time::sleep(pause).await;
        }
        Err(ClientError::Deadline {
            id: id.to_string(),
            deadline: policy.deadline,
            requests,
            last,
            last_error,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> WaitPolicy {
        WaitPolicy {
            interval: Duration::from_millis(10),
            deadline: Duration::from_millis(100),
            backoff_min: Duration::from_millis(20),
            backoff_max: Duration::from_millis(40),
            retry_after_max: Duration::from_millis(50),
            empty_completed_requeries: 2,
        }
    }

    #[test]
    fn requests_are_bounded_by_deadline_and_interval() {
        assert_eq!(policy().max_requests(), 11);
        let zero = WaitPolicy {
            interval: Duration::ZERO,
            backoff_min: Duration::ZERO,
            ..policy()
        };
        assert_eq!(zero.max_requests(), 101);
    }

    #[test]
    fn backoff_is_capped_and_retry_after_is_capped() {
        let p = policy();
        let mut backoff = p.backoff();
        let timeout = ClientError::Timeout {
            url: "u".into(),
            after: Duration::from_secs(1),
            raw: Default::default(),
        };
        for _ in 0..20 {
            let pause = p.pause_after(&timeout, &mut backoff);
            assert!(pause >= MIN_DELAY && pause <= p.backoff_max, "{pause:?}");
        }
        let limited = ClientError::Status {
            url: "u".into(),
            status: 429,
            error: None,
            body_issues: Vec::new(),
            retry_after: Some(Duration::from_secs(3600)),
            raw: Default::default(),
        };
        let pause = p.pause_after(&limited, &mut backoff);
        assert!(
            pause >= p.retry_after_max && pause <= p.retry_after_max.mul_f64(1.1),
            "{pause:?}"
        );
    }
}
