//! From the metrics' raw proposal to the replica count written: bounds (HPA-2), the legacy
//! limits (HPA-9), stabilization (HPA-11) and rate limits over recent scale events (HPA-12/13).

use super::behavior::{PolicyKind, ScalingRules, SelectPolicy};
use crate::time::{SECOND, SimTime};

/// A raw proposal the controller remembers for stabilization.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recommendation {
    pub at: SimTime,
    pub replicas: i64,
}

/// A rescale the controller made, by how many replicas (always positive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScaleEvent {
    pub at: SimTime,
    pub change: i64,
}

/// Inside a window of `seconds` ending at `now`: age < window, as the controller's
/// `timestamp.After(now − window)` reads with whole-second virtual time.
fn inside(now: SimTime, at: SimTime, seconds: i64) -> bool {
    at + seconds.max(0) as SimTime * SECOND > now
}

/// What HPA-2 decides before any metric is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bounds {
    /// The target was scaled to 0 and minReplicas is not 0: autoscaling is off.
    Disabled,
    /// The target is outside [min, max]: set it to the bound now, without stabilization
    /// or rate limits; `reason` is the event's reason text.
    Clamp { replicas: i64, reason: &'static str },
    /// Within bounds: compute from the metrics.
    Compute,
}

pub const ABOVE_MAX: &str = "Current number of replicas above Spec.MaxReplicas";
pub const BELOW_MIN: &str = "Current number of replicas below Spec.MinReplicas";

/// HPA-2.
pub fn reconcile_bounds(current: i64, min: i64, max: i64) -> Bounds {
    if current == 0 && min != 0 {
        Bounds::Disabled
    } else if current > max {
        Bounds::Clamp {
            replicas: max,
            reason: ABOVE_MAX,
        }
    } else if current < min {
        Bounds::Clamp {
            replicas: min,
            reason: BELOW_MIN,
        }
    } else {
        Bounds::Compute
    }
}

/// The ScalingLimited reason (HPA-15).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitReason {
    DesiredWithinRange,
    TooManyReplicas,
    TooFewReplicas,
    ScaleUpLimit,
    ScaleDownLimit,
}

impl LimitReason {
    pub fn as_str(self) -> &'static str {
        match self {
            LimitReason::DesiredWithinRange => "DesiredWithinRange",
            LimitReason::TooManyReplicas => "TooManyReplicas",
            LimitReason::TooFewReplicas => "TooFewReplicas",
            LimitReason::ScaleUpLimit => "ScaleUpLimit",
            LimitReason::ScaleDownLimit => "ScaleDownLimit",
        }
    }

    /// The condition's message, as the controller writes it.
    pub fn message(self) -> &'static str {
        match self {
            LimitReason::DesiredWithinRange => "the desired count is within the acceptable range",
            LimitReason::TooManyReplicas => {
                "the desired replica count is more than the maximum replica count"
            }
            LimitReason::TooFewReplicas => {
                "the desired replica count is less than the minimum replica count"
            }
            LimitReason::ScaleUpLimit => {
                "the desired replica count is increasing faster than the maximum scale rate"
            }
            LimitReason::ScaleDownLimit => {
                "the desired replica count is decreasing faster than the maximum scale rate"
            }
        }
    }
}

/// A replica count after limits, and which limit (if any) it was checked against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limited {
    pub replicas: i64,
    pub reason: LimitReason,
}

/// Stores `raw` in the log, reusing one slot that is `stale` (HPA-11): the log stays as
/// long as the windows need and no longer.
fn remember(log: &mut Vec<Recommendation>, stale: Option<usize>, now: SimTime, raw: i64) {
    let entry = Recommendation {
        at: now,
        replicas: raw,
    };
    match stale {
        Some(i) => log[i] = entry,
        None => log.push(entry),
    }
}

/// HPA-9 stabilization without `behavior`: the highest proposal of the last `window_seconds`
/// (the raw one included); `raw` is then stored in `log`.
pub fn legacy_stabilize(
    log: &mut Vec<Recommendation>,
    now: SimTime,
    window_seconds: i64,
    raw: i64,
) -> i64 {
    let mut stabilized = raw;
    let mut stale = None;
    for (i, rec) in log.iter().enumerate() {
        if inside(now, rec.at, window_seconds) {
            stabilized = stabilized.max(rec.replicas);
        } else {
            stale = Some(i);
        }
    }
    remember(log, stale, now, raw);
    stabilized
}

/// HPA-9 limits without `behavior`: minReplicas, and at most max(2·current, 4) or
/// maxReplicas, whichever is lower, per sync.
pub fn legacy_limit(current: i64, desired: i64, min: i64, max: i64) -> Limited {
    let rate_limit = (2 * current).max(4);
    let (ceiling, reason) = if max > rate_limit {
        (rate_limit, LimitReason::ScaleUpLimit)
    } else {
        (max, LimitReason::TooManyReplicas)
    };
    if desired < min {
        Limited {
            replicas: min,
            reason: LimitReason::TooFewReplicas,
        }
    } else if desired > ceiling {
        Limited {
            replicas: ceiling,
            reason,
        }
    } else {
        Limited {
            replicas: desired,
            reason: LimitReason::DesiredWithinRange,
        }
    }
}

/// The result of stabilization with `behavior`, and the AbleToScale reason it implies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stabilized {
    pub replicas: i64,
    /// `ScaleUpStabilized` when raw ≥ current, else `ScaleDownStabilized`; the condition uses
    /// it only when the result differs from raw.
    pub reason: &'static str,
}

/// HPA-11: the lowest proposal of the scale-up window bounds a rise, the highest of the
/// scale-down window bounds a fall; `raw` is then stored in `log`.
pub fn stabilize(
    log: &mut Vec<Recommendation>,
    now: SimTime,
    up_window_seconds: i64,
    down_window_seconds: i64,
    current: i64,
    raw: i64,
) -> Stabilized {
    let (mut up, mut down) = (raw, raw);
    let mut stale = None;
    for (i, rec) in log.iter().enumerate() {
        let in_up = inside(now, rec.at, up_window_seconds);
        let in_down = inside(now, rec.at, down_window_seconds);
        if in_up {
            up = up.min(rec.replicas);
        }
        if in_down {
            down = down.max(rec.replicas);
        }
        if !in_up && !in_down {
            stale = Some(i);
        }
    }
    let replicas = current.max(up).min(down);
    remember(log, stale, now, raw);
    Stabilized {
        replicas,
        reason: if raw >= current {
            "ScaleUpStabilized"
        } else {
            "ScaleDownStabilized"
        },
    }
}

/// Replicas changed by events inside the last `period_seconds`.
fn changed_within(events: &[ScaleEvent], now: SimTime, period_seconds: i64) -> i64 {
    events
        .iter()
        .filter(|e| inside(now, e.at, period_seconds))
        .map(|e| e.change)
        .sum()
}

/// HPA-12: the replica count a period's start allows, for each policy; `rise` chooses the
/// direction. None when the direction is Disabled.
fn policy_limit(
    rules: &ScalingRules,
    rise: bool,
    current: i64,
    up_events: &[ScaleEvent],
    down_events: &[ScaleEvent],
    now: SimTime,
) -> Option<i64> {
    let proposals = rules.policies.iter().map(|p| {
        let start = current - changed_within(up_events, now, p.period_seconds)
            + changed_within(down_events, now, p.period_seconds);
        let fraction = p.value as f64 / 100.0;
        match (p.kind, rise) {
            (PolicyKind::Pods, true) => start + p.value,
            // Rounded up so that a small percent still allows one more pod.
            (PolicyKind::Percent, true) => (start as f64 * (1.0 + fraction)).ceil() as i64,
            (PolicyKind::Pods, false) => start - p.value,
            // Truncated toward zero, as Go's int32 conversion does.
            (PolicyKind::Percent, false) => (start as f64 * (1.0 - fraction)) as i64,
        }
    });
    // The largest change is the highest limit going up and the lowest going down.
    match (rules.select_policy, rise) {
        (SelectPolicy::Disabled, _) => None,
        (SelectPolicy::Max, true) | (SelectPolicy::Min, false) => proposals.max(),
        (SelectPolicy::Min, true) | (SelectPolicy::Max, false) => proposals.min(),
    }
}

/// The pieces HPA-12 reads, borrowed from the controller's state or from a test.
#[derive(Debug, Clone, Copy)]
pub struct RateInput<'a> {
    pub now: SimTime,
    pub current: i64,
    pub min: i64,
    pub max: i64,
    pub scale_up: &'a ScalingRules,
    pub scale_down: &'a ScalingRules,
    pub up_events: &'a [ScaleEvent],
    pub down_events: &'a [ScaleEvent],
}

/// HPA-12: limits the stabilized count by the policies, minReplicas and maxReplicas.
pub fn rate_limit(input: &RateInput, stabilized: i64) -> Limited {
    let current = input.current;
    let within = Limited {
        replicas: stabilized,
        reason: LimitReason::DesiredWithinRange,
    };
    if stabilized > current {
        // Disabled and an exhausted budget both leave the target where it is.
        let limit = policy_limit(
            input.scale_up,
            true,
            current,
            input.up_events,
            input.down_events,
            input.now,
        )
        .unwrap_or(current)
        .max(current);
        let (ceiling, reason) = if input.max > limit {
            (limit, LimitReason::ScaleUpLimit)
        } else {
            (input.max, LimitReason::TooManyReplicas)
        };
        if stabilized > ceiling {
            return Limited {
                replicas: ceiling,
                reason,
            };
        }
    } else if stabilized < current {
        let limit = policy_limit(
            input.scale_down,
            false,
            current,
            input.up_events,
            input.down_events,
            input.now,
        )
        .unwrap_or(current)
        .min(current);
        let (floor, reason) = if input.min < limit {
            (limit, LimitReason::ScaleDownLimit)
        } else {
            (input.min, LimitReason::TooFewReplicas)
        };
        if stabilized < floor {
            return Limited {
                replicas: floor,
                reason,
            };
        }
    }
    within
}

/// HPA-13: remembers a rescale of `change` replicas, reusing a slot older than the longest
/// policy period of that direction.
pub fn record_scale_event(
    events: &mut Vec<ScaleEvent>,
    now: SimTime,
    longest_period_seconds: i64,
    change: i64,
) {
    let entry = ScaleEvent { at: now, change };
    match events
        .iter()
        .rposition(|e| !inside(now, e.at, longest_period_seconds))
    {
        Some(i) => events[i] = entry,
        None => events.push(entry),
    }
}
