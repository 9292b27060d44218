//! How many response bytes are parsed and checked at once. A parsed response takes about 20
//! times its size in memory (serde_json's tree), so several large responses checked side by
//! side would multiply that by the number of threads. Small responses run on every thread; a
//! response larger than the budget waits until the others are done and runs alone, so peak
//! memory follows the largest response, not `--jobs` times it. A response under 1/256 of the
//! budget (64 KiB of the default) takes nothing from it and costs no lock: the threads hold
//! at most `--jobs` of those at once.

use std::sync::{Condvar, Mutex, PoisonError};

/// The response bytes all threads together may be checking, unless told otherwise: 16 MiB.
pub const DEFAULT_BUDGET: usize = 16 * 1024 * 1024;

/// A budget of response bytes shared by the threads of a run.
#[derive(Debug)]
pub struct Budget {
    total: usize,
    left: Mutex<usize>,
    freed: Condvar,
}

/// Bytes taken from a [`Budget`], given back when dropped.
#[derive(Debug)]
pub struct Permit<'a> {
    budget: &'a Budget,
    bytes: usize,
}

impl Budget {
    /// A budget of `total` bytes (at least one).
    pub fn new(total: usize) -> Budget {
        let total = total.max(1);
        Budget {
            total,
            left: Mutex::new(total),
            freed: Condvar::new(),
        }
    }

    /// Takes room for a response of `bytes` bytes, waiting until it is free. A response larger
    /// than the whole budget takes all of it, so it runs alone.
    pub fn take(&self, bytes: usize) -> Permit<'_> {
        // Responses under a 256th of the budget take nothing from it.
        if bytes < self.total / 256 {
            return Permit {
                budget: self,
                bytes: 0,
            };
        }
        let bytes = bytes.clamp(1, self.total);
        let mut left = self.left.lock().unwrap_or_else(PoisonError::into_inner);
        while *left < bytes {
            left = self
                .freed
                .wait(left)
                .unwrap_or_else(PoisonError::into_inner);
        }
        *left -= bytes;
        Permit {
            budget: self,
            bytes,
        }
    }
}

impl Default for Budget {
    fn default() -> Self {
        Budget::new(DEFAULT_BUDGET)
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        if self.bytes == 0 {
            return;
        }
        let mut left = self
            .budget
            .left
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        *left += self.bytes;
        self.budget.freed.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    #[test]
    fn a_response_larger_than_the_budget_waits_until_it_can_run_alone() {
        let budget = Budget::new(100);
        let small = budget.take(10);
        let (started, seen) = mpsc::channel();
        std::thread::scope(|scope| {
            scope.spawn(|| {
                let _large = budget.take(1_000);
                started.send(()).expect("the test waits");
            });
            // The large response cannot start while the small one holds its bytes.
            assert!(seen.try_recv().is_err());
            drop(small);
            seen.recv().expect("the large response starts once alone");
        });
        // Everything was given back.
        assert_eq!(*budget.left.lock().expect("not poisoned"), 100);
    }

    #[test]
    fn small_responses_share_the_budget() {
        let budget = Budget::new(100);
        let a = budget.take(40);
        let b = budget.take(40);
        assert_eq!(*budget.left.lock().expect("not poisoned"), 20);
        drop((a, b));
        assert_eq!(*budget.left.lock().expect("not poisoned"), 100);
    }

    #[test]
    fn a_response_under_a_256th_of_the_budget_takes_nothing_from_it() {
        let budget = Budget::new(256 * 1024);
        let small = budget.take(1023);
        assert_eq!(*budget.left.lock().expect("not poisoned"), 256 * 1024);
        let counted = budget.take(1024);
        assert_eq!(*budget.left.lock().expect("not poisoned"), 255 * 1024);
        drop((small, counted));
        assert_eq!(*budget.left.lock().expect("not poisoned"), 256 * 1024);
    }
}
