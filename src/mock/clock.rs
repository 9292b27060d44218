//! The mock's clock: wall time, or a manual clock that tests move by hand.
//!
//! Lifecycles counted in milliseconds and the expiry of result URLs read this clock, never
//! the system directly, so a test can step a task through time without sleeping.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The Unix time, in seconds, a manual clock starts at: the spec's documented example task.
pub const MANUAL_EPOCH_SECS: u64 = 1_757_165_031;

/// The time as the mock sees it. Clones share the same time.
#[derive(Clone, Debug)]
pub struct MockClock {
    base: Base,
    /// Milliseconds added by [`MockClock::advance`].
    offset_ms: Arc<AtomicU64>,
}

#[derive(Clone, Copy, Debug)]
enum Base {
    /// Wall time: Unix milliseconds at `started`, plus what elapsed since (monotonic).
    System { unix_ms: u64, started: Instant },
    /// A clock that only moves when advanced.
    Manual { unix_ms: u64 },
}

impl Default for MockClock {
    fn default() -> Self {
        MockClock::system()
    }
}

impl MockClock {
    /// Wall time (monotonic once started), plus whatever [`MockClock::advance`] adds.
    pub fn system() -> MockClock {
        let unix_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        MockClock {
            base: Base::System {
                unix_ms,
                started: Instant::now(),
            },
            offset_ms: Arc::default(),
        }
    }

    /// A clock standing still at [`MANUAL_EPOCH_SECS`] until advanced: tests step time-based
    /// lifecycles and URL expiry with it, without sleeping.
    pub fn manual() -> MockClock {
        MockClock {
            base: Base::Manual {
                unix_ms: MANUAL_EPOCH_SECS * 1000,
            },
            offset_ms: Arc::default(),
        }
    }

    /// Moves the clock (and every clone of it) forward by `by`.
    pub fn advance(&self, by: Duration) {
        let ms = u64::try_from(by.as_millis()).unwrap_or(u64::MAX);
        // fetch_update cannot fail with a closure that always returns Some.
        let _ = self
            .offset_ms
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |old| {
                Some(old.saturating_add(ms))
            });
    }

    /// The time now, in Unix milliseconds.
    pub fn now_ms(&self) -> u64 {
        let base = match self.base {
            Base::System { unix_ms, started } => unix_ms
                .saturating_add(u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX)),
            Base::Manual { unix_ms } => unix_ms,
        };
        base.saturating_add(self.offset_ms.load(Ordering::SeqCst))
    }

    /// The time now, in Unix seconds (the unit of `created`).
    pub fn now_secs(&self) -> u64 {
        self.now_ms() / 1000
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_moves_only_when_advanced_and_clones_share_it() {
        let clock = MockClock::manual();
        let twin = clock.clone();
        assert_eq!(clock.now_secs(), MANUAL_EPOCH_SECS);
        twin.advance(Duration::from_millis(1500));
        assert_eq!(clock.now_ms(), MANUAL_EPOCH_SECS * 1000 + 1500);
    }
}
