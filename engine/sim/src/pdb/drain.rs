//! `kubectl drain`'s eviction loop (PDB-6): what it prints for each pod and when it tries
//! again, given the eviction handler's decision.

use super::eviction::EvictionDecision;
use crate::time::{SECOND, SimTime};

/// kubectl sleeps this long after a 429 before evicting the same pod again (PDB-6). It does
/// not read the response's retryAfterSeconds.
pub const DRAIN_RETRY: SimTime = 5 * SECOND;
/// After an eviction is accepted, kubectl polls this often until the pod is gone.
pub const DRAIN_DELETE_POLL: SimTime = SECOND;

/// What the drain does next for one pod.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DrainStep {
    /// Accepted: wait (polling every [`DRAIN_DELETE_POLL`]) until the pod is deleted, then
    /// print [`evicted_line`]. A pod that is already gone (404) counts as this too.
    Evicted,
    /// 429: print `stderr`, wait `after`, evict again (see [`next_attempt`]).
    Retry { after: SimTime, stderr: String },
    /// Anything else: the drain fails for this pod with `error` and does not retry.
    Failed { error: String },
}

/// The stdout line kubectl prints before every attempt, retries included.
pub fn evicting_line(namespace: &str, pod: &str) -> String {
    format!("evicting pod {namespace}/{pod}")
}

/// The stdout line once the evicted pod is gone.
pub fn evicted_line(pod: &str) -> String {
    format!("pod/{pod} evicted")
}

/// The drain's next step after one eviction attempt (PDB-6).
pub fn drain_step(namespace: &str, pod: &str, decision: &EvictionDecision) -> DrainStep {
    let message = decision.message().unwrap_or_default();
    match decision.http_status {
        200..=299 => DrainStep::Evicted,
        429 => DrainStep::Retry {
            after: DRAIN_RETRY,
            stderr: format!(
                "error when evicting pods/{pod:?} -n {namespace:?} (will retry after 5s): {message}"
            ),
        },
        _ => DrainStep::Failed {
            error: format!("error when evicting pods/{pod:?} -n {namespace:?}: {message}"),
        },
    }
}

/// When the next attempt runs after a 429 at `last_attempt`, or `None` when the drain's
/// `--timeout` (`deadline`; none means 0, wait forever) has passed by then and the pod fails
/// with [`timeout_error`] instead.
pub fn next_attempt(last_attempt: SimTime, deadline: Option<SimTime>) -> Option<SimTime> {
    let at = last_attempt + DRAIN_RETRY;
    deadline.is_none_or(|d| at < d).then_some(at)
}

/// The error for a pod whose evictions were still refused when `--timeout` ran out.
pub fn timeout_error(namespace: &str, pod: &str, timeout: SimTime) -> String {
    format!(
        "error when evicting pods/{pod:?} -n {namespace:?}: global timeout reached: {}",
        go_duration(timeout)
    )
}

/// kubectl's error when an evicted pod is still terminating at the drain's timeout.
pub fn termination_timeout_error(namespace: &str, pod: &str) -> String {
    format!(
        "error when waiting for pod {pod:?} in namespace {namespace:?} to terminate: timed out waiting for the condition"
    )
}

/// A duration as Go's `time.Duration` prints it: `1m0s`, `1h0m0s`, `1.5s`, `300ms`.
fn go_duration(ms: SimTime) -> String {
    if ms == 0 {
        return "0s".into();
    }
    if ms < SECOND {
        return format!("{ms}ms");
    }
    let total = ms / SECOND;
    let frac = ms % SECOND;
    let seconds = if frac == 0 {
        (total % 60).to_string()
    } else {
        let digits = format!("{frac:03}");
        format!("{}.{}", total % 60, digits.trim_end_matches('0'))
    };
    let (h, m) = (total / 3600, total / 60 % 60);
    if h > 0 {
        format!("{h}h{m}m{seconds}s")
    } else if m > 0 {
        format!("{m}m{seconds}s")
    } else {
        format!("{seconds}s")
    }
}
