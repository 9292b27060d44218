//! Faults: rate limiting, server errors, latency, truncated bodies and dropped connections,
//! drawn from seeded random streams so that a run is reproducible.
//!
//! Each stream of requests (one task's polls, one task's downloads, one submit route) has its
//! own generator, seeded from the run's seed and the stream's name: what one task sees does
//! not depend on how its polls interleave with other tasks'.

use super::MockError;
use serde::Deserialize;
use std::collections::HashMap;
use std::time::Duration;

/// Which faults to inject, and how often. Rates are probabilities in `0..=1`, drawn
/// independently for every request.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Faults {
    /// How often to answer `429` with `Retry-After` (the request is not processed).
    pub rate_429: f64,
    /// The `Retry-After` of those answers, in seconds.
    pub retry_after_secs: u32,
    /// How often to answer `500` or `503` (the request is not processed).
    pub rate_5xx: f64,
    /// Added to every answer, in milliseconds.
    pub latency_ms: u64,
    /// How often to cut a body short: the headers promise the whole of it, a prefix comes,
    /// then the connection closes.
    pub truncate_rate: f64,
    /// How often to close the connection without an answer (the request is processed).
    pub drop_rate: f64,
}

impl Default for Faults {
    /// No faults; `Retry-After: 1`.
    fn default() -> Self {
        Faults {
            rate_429: 0.0,
            retry_after_secs: 1,
            rate_5xx: 0.0,
            latency_ms: 0,
            truncate_rate: 0.0,
            drop_rate: 0.0,
        }
    }
}

impl Faults {
    /// Checks every rate is within `0..=1`; `at` says where the faults came from.
    pub fn check(&self, at: &str) -> Result<(), MockError> {
        let rates = [
            ("rate_429", self.rate_429),
            ("rate_5xx", self.rate_5xx),
            ("truncate_rate", self.truncate_rate),
            ("drop_rate", self.drop_rate),
        ];
        for (name, rate) in rates {
            if !(0.0..=1.0).contains(&rate) {
                return Err(MockError::Rate {
                    at: format!("{at}: {name}"),
                    found: rate.to_string(),
                });
            }
        }
        Ok(())
    }

    /// The latency to add to every answer.
    pub fn latency(&self) -> Duration {
        Duration::from_millis(self.latency_ms)
    }
}

/// What to do to one answer.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Fault {
    /// Answer normally.
    None,
    /// `429` with `Retry-After`.
    RateLimited { retry_after_secs: u32 },
    /// `500` (`false`) or `503` (`true`).
    ServerError { unavailable: bool },
    /// Send this fraction (in `0..1`) of the body, then close.
    Truncate { keep: f64 },
    /// Close without answering.
    Drop,
}

/// How many faults were injected, by kind.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct FaultCounts {
    /// `429` answers.
    pub rate_limited: u64,
    /// `500` and `503` answers.
    pub server_errors: u64,
    /// Bodies cut short.
    pub truncated: u64,
    /// Connections closed without an answer.
    pub dropped: u64,
    /// Answers delayed by a latency.
    pub delayed: u64,
}

/// The seeded generators, one per stream of requests.
#[derive(Debug)]
pub(crate) struct Dice {
    seed: u64,
    streams: HashMap<String, fastrand::Rng>,
    counts: FaultCounts,
}

impl Dice {
    pub fn new(seed: u64) -> Dice {
        Dice {
            seed,
            streams: HashMap::new(),
            counts: FaultCounts::default(),
        }
    }

    /// Decides the fault of the next request of `stream`. Every call draws the same number of
    /// values, whatever the outcome, so the sequence depends only on the seed and the count.
    pub fn roll(&mut self, stream: &str, faults: &Faults) -> Fault {
        let seed = self.seed ^ fnv1a(stream.as_bytes());
        let rng = self
            .streams
            .entry(stream.to_string())
            .or_insert_with(|| fastrand::Rng::with_seed(seed));
        let [drop, limited, failed, truncated, which, keep] = [(); 6].map(|()| rng.f64());
        let fault = if drop < faults.drop_rate {
            self.counts.dropped += 1;
            Fault::Drop
        } else if limited < faults.rate_429 {
            self.counts.rate_limited += 1;
            Fault::RateLimited {
                retry_after_secs: faults.retry_after_secs,
            }
        } else if failed < faults.rate_5xx {
            self.counts.server_errors += 1;
            Fault::ServerError {
                unavailable: which < 0.5,
            }
        } else if truncated < faults.truncate_rate {
            self.counts.truncated += 1;
            Fault::Truncate { keep }
        } else {
            Fault::None
        };
        if faults.latency_ms > 0 {
            self.counts.delayed += 1;
        }
        fault
    }

    pub fn counts(&self) -> FaultCounts {
        self.counts
    }
}

/// FNV-1a: a stable hash of a stream's name (std's hasher is not stable across releases).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn faults() -> Faults {
        Faults {
            rate_429: 0.3,
            rate_5xx: 0.2,
            truncate_rate: 0.1,
            drop_rate: 0.1,
            ..Faults::default()
        }
    }

    fn sequence(seed: u64, stream: &str) -> Vec<Fault> {
        let mut dice = Dice::new(seed);
        (0..64).map(|_| dice.roll(stream, &faults())).collect()
    }

    #[test]
    fn the_same_seed_gives_the_same_faults_and_another_seed_others() {
        assert_eq!(sequence(7, "task-a"), sequence(7, "task-a"));
        assert_ne!(sequence(7, "task-a"), sequence(8, "task-a"));
        assert_ne!(sequence(7, "task-a"), sequence(7, "task-b"));
    }

    #[test]
    fn streams_do_not_disturb_each_other() {
        let mut dice = Dice::new(7);
        let interleaved: Vec<Fault> = (0..64)
            .map(|_| {
                dice.roll("task-b", &faults());
                dice.roll("task-a", &faults())
            })
            .collect();
        assert_eq!(interleaved, sequence(7, "task-a"));
    }

    #[test]
    fn rates_outside_zero_to_one_are_refused_with_where() {
        let bad = Faults {
            drop_rate: 1.5,
            ..Faults::default()
        };
        let message = bad.check("--drop-rate").unwrap_err().to_string();
        assert!(
            message.contains("drop_rate") && message.contains("1.5"),
            "{message}"
        );
        let nan = Faults {
            rate_429: f64::NAN,
            ..Faults::default()
        };
        assert!(nan.check("x").is_err());
        assert!(faults().check("x").is_ok());
    }
}
