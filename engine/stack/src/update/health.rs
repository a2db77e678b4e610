//! Container health checks as Swarm applies them to tasks (SW-10): a task with a health check
//! stays STARTING until its first passing probe, and `retries` consecutive failures make it
//! unhealthy, which stops the container and fails the task.

/// A service's `healthcheck` (durations in seconds), with Docker's defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct HealthCheck {
    pub interval_seconds: f64,
    pub timeout_seconds: f64,
    pub retries: u32,
    pub start_period_seconds: f64,
}

impl Default for HealthCheck {
    fn default() -> Self {
        Self {
            interval_seconds: 30.0,
            timeout_seconds: 30.0,
            retries: 3,
            start_period_seconds: 0.0,
        }
    }
}

/// What a run of probes decides, and when (seconds after the container started).
#[derive(Debug, Clone, PartialEq)]
pub enum HealthOutcome {
    /// The first passing probe: the task reaches RUNNING.
    Healthy { at: f64 },
    /// `retries` failures in a row: the task FAILS with `error`.
    Unhealthy { at: f64, error: String },
    /// The probes given decide nothing yet.
    Starting,
}

/// The error Swarm gives a task stopped for being unhealthy (exit 137 after SIGKILL).
pub const UNHEALTHY_TASK_ERROR: &str = "task: non-zero exit (137): dockerexec: unhealthy container";

/// Runs probe results (`true` = pass) taken every `interval` from the start. Failures inside
/// the start period do not count until a first success (SW-10).
pub fn probe(check: &HealthCheck, results: &[bool]) -> HealthOutcome {
    let mut consecutive = 0;
    for (i, passed) in results.iter().enumerate() {
        let at = (i + 1) as f64 * check.interval_seconds;
        if *passed {
            return HealthOutcome::Healthy { at };
        }
        if at <= check.start_period_seconds {
            continue;
        }
        consecutive += 1;
        if consecutive >= check.retries.max(1) {
            return HealthOutcome::Unhealthy {
                at,
                error: UNHEALTHY_TASK_ERROR.to_string(),
            };
        }
    }
    HealthOutcome::Starting
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_inside_the_start_period_do_not_count() {
        let check = HealthCheck {
            interval_seconds: 2.0,
            retries: 2,
            start_period_seconds: 4.0,
            ..HealthCheck::default()
        };
        assert_eq!(
            probe(&check, &[false, false, false]),
            HealthOutcome::Starting
        );
        assert!(matches!(
            probe(&check, &[false, false, false, false]),
            HealthOutcome::Unhealthy { at, .. } if at == 8.0
        ));
        assert_eq!(
            probe(&check, &[false, true]),
            HealthOutcome::Healthy { at: 4.0 }
        );
    }
}
