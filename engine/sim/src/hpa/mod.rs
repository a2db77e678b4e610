//! The HorizontalPodAutoscaler (autoscaling/v2) algorithm of kube-controller-manager as pure
//! functions and a per-HPA state (rules HPA-1..HPA-16 of `reference/semantics.md`), for the
//! simulator to run every 15 s of virtual time and for the conformance cases to check.
//! Start at [`HpaState::sync`].

pub mod behavior;
pub mod controller;
pub mod decision;
pub mod metric;
pub mod normalize;
pub mod proposal;
pub mod replicas;
pub mod spec;

#[cfg(test)]
mod tests;

pub use behavior::{Behavior, Policy, PolicyKind, ScalingRules, SelectPolicy};
pub use controller::{ControllerConfig, HpaState, Scale};
pub use decision::{Condition, ConditionType, Decision, HpaEvent};
pub use metric::{MetricSource, MetricSpec, MetricTarget};
pub use normalize::{Bounds, LimitReason, Limited, Recommendation, ScaleEvent};
pub use proposal::{Combined, MetricFailure, MetricReader, Proposal, Reading, combine, propose};
pub use replicas::{
    Calculator, CurrentValue, Estimate, PodCount, PodPhase, PodSample, ReadyCondition, Sample,
    Tolerance,
};
pub use spec::{HpaSpec, ScaleTargetRef, SpecError};
