//! PodDisruptionBudgets as pure functions: the controller's status arithmetic (PDB-2, PDB-3),
//! the eviction handler's decision (PDB-4, PDB-5) and `kubectl drain`'s retry loop (PDB-6),
//! kept free of any store so the simulator and the conformance cases run the same code.
//!
//! How the simulator drives it:
//!
//! 1. Parse each applied budget once with [`PdbSpec::from_value`] and keep a [`PdbStatus`]
//!    beside it (initially the default: observedGeneration 0, so evictions get 429 until the
//!    first sync, as on a real cluster).
//! 2. Whenever a pod the budget selects ([`PdbSpec::selects`]) or the budget changes, and at
//!    [`StatusSync::recheck_at`], run [`sync_status`] on the selected pods ([`PodFacts`]) and
//!    store the returned status; record its events.
//! 3. For `evict(pod)` and each pod of `drain(node)`, call [`decide_eviction`] with the budgets
//!    selecting the pod, apply [`EvictionDecision::decrement`] to that budget's status, and
//!    delete the pod if [`EvictionDecision::pod_deleted`]. `drain` turns the decision into
//!    output and retries with [`drain_step`] and [`next_attempt`].
//!
//! Scale-downs, deletions and node failures never come here ([`DisruptionSource`], PDB-5):
//! the next [`sync_status`] simply sees fewer healthy pods.

mod drain;
mod eviction;
mod pod;
mod spec;
mod status;

#[cfg(test)]
mod tests;

pub use drain::{
    DRAIN_DELETE_POLL, DRAIN_RETRY, DrainStep, drain_step, evicted_line, evicting_line,
    next_attempt, termination_timeout_error, timeout_error,
};
pub use eviction::{
    BUDGET_VIOLATION, BudgetDecrement, BudgetView, DISRUPTION_BUDGET_CAUSE, DISRUPTION_TARGET,
    DISRUPTION_TARGET_MESSAGE, DISRUPTION_TARGET_REASON, DisruptionSource, EvictionDecision,
    EvictionError, EvictionPath, MAX_DISRUPTED_POD_SIZE, MULTIPLE_BUDGETS, UNGATED_EFFECT,
    decide_eviction, disruption_target_condition,
};
pub use pod::{ControllerRef, PodFacts, PodPhase};
pub use spec::{Budget, PdbSpec, SpecError, UnhealthyPodEvictionPolicy};
pub use status::{
    AllowedCondition, Counts, DELETION_TIMEOUT, DISRUPTION_ALLOWED, EVENT_SOURCE, ExpectedScale,
    INSUFFICIENT_PODS, PdbEvent, PdbStatus, SUFFICIENT_PODS, SYNC_FAILED, StatusSync,
    controller_scale_sum, count_healthy, disruptions_allowed, expected_and_desired, sync_status,
};
