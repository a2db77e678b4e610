//! The outcome of one sync as the controller writes it: the replica count, the conditions
//! AbleToScale, ScalingActive and ScalingLimited (HPA-15), and the event.

use super::replicas::CurrentValue;

/// `status.conditions[].type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ConditionType {
    AbleToScale,
    ScalingActive,
    ScalingLimited,
}

impl ConditionType {
    pub fn as_str(self) -> &'static str {
        match self {
            ConditionType::AbleToScale => "AbleToScale",
            ConditionType::ScalingActive => "ScalingActive",
            ConditionType::ScalingLimited => "ScalingLimited",
        }
    }
}

/// A condition set during a sync (HPA-15).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    pub kind: ConditionType,
    pub status: bool,
    pub reason: &'static str,
    pub message: String,
}

/// An event for the HorizontalPodAutoscaler.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HpaEvent {
    /// `Normal` or `Warning`.
    pub kind: &'static str,
    /// `SuccessfulRescale` or `FailedComputeMetricsReplicas`.
    pub reason: &'static str,
    pub message: String,
}

/// The outcome of one sync.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    /// The replicas the target should have; the current count when not rescaling.
    pub desired_replicas: i64,
    /// Write `desired_replicas` to the target's `spec.replicas`. The state already counts
    /// this rescale among its scale events (HPA-13), as after a successful update.
    pub rescale: bool,
    /// The reason text of the rescale event (`cpu resource utilization (percentage of
    /// request) above target`, `All metrics below target`, the min/max texts), or empty.
    pub reason: String,
    /// The metric that proposed the most replicas, when metrics were read.
    pub metric: Option<String>,
    /// The conditions this sync set, one per type; types it did not touch keep their
    /// previous value in `status.conditions`.
    pub conditions: Vec<Condition>,
    pub event: Option<HpaEvent>,
    /// `status.currentMetrics`, per `spec.metrics` entry (None where it could not be read).
    /// Empty when the sync read no metrics.
    pub current_metrics: Vec<Option<CurrentValue>>,
    /// The reconcile error (some or all metrics failed), as the controller logs it.
    pub error: Option<String>,
}

impl Decision {
    pub fn condition(&self, kind: ConditionType) -> Option<&Condition> {
        self.conditions.iter().find(|c| c.kind == kind)
    }
}

/// Sets or replaces the condition of its type, as `setCondition` does.
pub(super) fn set(
    conditions: &mut Vec<Condition>,
    kind: ConditionType,
    status: bool,
    reason: &'static str,
    message: String,
) {
    let c = Condition {
        kind,
        status,
        reason,
        message,
    };
    match conditions.iter_mut().find(|x| x.kind == kind) {
        Some(old) => *old = c,
        None => conditions.push(c),
    }
}
