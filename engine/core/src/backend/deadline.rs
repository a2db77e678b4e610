//! Deadlines on a target's clock: one absolute instant for a wait, a sleep or a drain, and
//! what set it (the call's own timeout, or the run's `--timeout`), so the error at the
//! deadline says which.

use crate::duration::format_duration;
use crate::error::Error;
use std::time::Duration;

/// What limits a wait.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Limit {
    /// The wait's own timeout.
    Wait(Duration),
    /// The run's `--timeout`, when it ends before the wait's own.
    Run(Duration),
    /// The grace a run has after its `--timeout` to take its abort path (`--abort-timeout`).
    Abort(Duration),
}

/// An instant on the target's clock (seconds since the Unix epoch) and what set it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Deadline {
    pub at: f64,
    pub limit: Limit,
}

impl Deadline {
    /// `timeout` from `now`, cut to the run's deadline when that comes first.
    pub fn within(now: f64, timeout: Duration, run: Option<Deadline>) -> Deadline {
        let own = Deadline {
            at: now + timeout.as_secs_f64(),
            limit: Limit::Wait(timeout),
        };
        match run {
            Some(run) if run.at < own.at => run,
            _ => own,
        }
    }

    /// The end of the abort path's grace, `grace` from `now`.
    pub fn abort(now: f64, grace: Duration) -> Deadline {
        Deadline {
            at: now + grace.as_secs_f64(),
            limit: Limit::Abort(grace),
        }
    }

    /// Whether this deadline ends the run rather than one wait.
    pub fn ends_run(&self) -> bool {
        !matches!(self.limit, Limit::Wait(_))
    }

    /// The run's own deadline.
    pub fn run(started: f64, timeout: Duration) -> Deadline {
        Deadline {
            at: started + timeout.as_secs_f64(),
            limit: Limit::Run(timeout),
        }
    }

    /// The duration the deadline allows from `now` (zero once passed).
    pub fn left(&self, now: f64) -> Duration {
        Duration::from_secs_f64((self.at - now).max(0.0))
    }

    /// The error for reaching the deadline: a timeout of the wait (exit 1, `timed out
    /// waiting for the condition`), or the run's `--timeout` expiring.
    pub fn expired(
        &self,
        what: &str,
        object: &str,
        target: &str,
        last: &str,
        virtual_time: bool,
    ) -> Error {
        match self.limit {
            Limit::Wait(after) => Error::Timeout {
                object: object.into(),
                target: target.into(),
                after: format_duration(after),
                last: last.into(),
            },
            Limit::Run(limit) => Error::Cancelled {
                what: what.into(),
                why: format!(
                    "the run's --timeout of {} expired{}",
                    format_duration(limit),
                    if virtual_time { " (virtual time)" } else { "" }
                ),
            },
            Limit::Abort(grace) => Error::Cancelled {
                what: what.into(),
                why: format!(
                    "the abort path's --abort-timeout of {} expired too{}",
                    format_duration(grace),
                    if virtual_time { " (virtual time)" } else { "" }
                ),
            },
        }
    }
}
