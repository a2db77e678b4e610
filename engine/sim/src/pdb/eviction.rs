//! The eviction handler's decision for one pod (PDB-4): `POST pods/<p>/eviction` deletes the
//! pod (201), refuses (429, 403) or gives up (500), judged against the budgets selecting it.
//!
//! Only evictions consult budgets. Everything else that removes pods goes around them (PDB-5):
//! a ReplicaSet scale-down (rolling updates, `kubectl scale`, HPA scale-downs), `kubectl delete
//! pod`, deleting the Deployment, a node failure. Those still lower currentHealthy once they
//! happen and so block evictions running at the same time; a rolling update's only guard is
//! its maxUnavailable (K8S-RU-4). [`DisruptionSource`] states this for callers.

use super::pod::{PodFacts, PodPhase};
use super::spec::{PdbSpec, UnhealthyPodEvictionPolicy};
use super::status::PdbStatus;
use crate::time::{SimTime, truncate};
use serde_json::{Value, json};

/// The 429 message, for an exhausted budget and for one the controller has not caught up with.
pub const BUDGET_VIOLATION: &str =
    "Cannot evict pod as it would violate the pod's disruption budget.";
/// The 500 message when several budgets select the pod.
pub const MULTIPLE_BUDGETS: &str = "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.";
/// The type of the cause a 429 carries.
pub const DISRUPTION_BUDGET_CAUSE: &str = "DisruptionBudget";
/// Above this many approved-but-unconfirmed evictions the handler refuses (403).
pub const MAX_DISRUPTED_POD_SIZE: usize = 2000;

/// The pod condition the handler adds before every deletion it makes.
pub const DISRUPTION_TARGET: &str = "DisruptionTarget";
pub const DISRUPTION_TARGET_REASON: &str = "EvictionByEvictionAPI";
pub const DISRUPTION_TARGET_MESSAGE: &str = "Eviction API: evicting";

/// What the eviction handler reads of one budget: its name, generation, policy and status.
#[derive(Debug, Clone, Copy)]
pub struct BudgetView<'a> {
    pub name: &'a str,
    pub generation: i64,
    pub unhealthy_pod_eviction_policy: UnhealthyPodEvictionPolicy,
    pub status: &'a PdbStatus,
}

impl PdbSpec {
    /// This budget with its current status, as [`decide_eviction`] takes it.
    pub fn view<'a>(&'a self, status: &'a PdbStatus) -> BudgetView<'a> {
        BudgetView {
            name: &self.name,
            generation: self.generation,
            unhealthy_pod_eviction_policy: self.unhealthy_pod_eviction_policy,
            status,
        }
    }
}

/// Which branch of the handler decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EvictionPath {
    /// Pending, Succeeded or Failed, or already terminating: deleted without looking at budgets.
    BudgetsIgnored,
    /// No budget selects the pod: deleted.
    NoBudget,
    /// Not Ready and the budget says `AlwaysAllow`: deleted, budget untouched.
    UnhealthyAlwaysAllow,
    /// Not Ready, `IfHealthyBudget`, and the application has its desired healthy pods:
    /// deleted, budget untouched.
    UnhealthyWithinBudget,
    /// The budget allowed it: one disruption taken, pod listed in disruptedPods, deleted.
    Decremented,
    /// 429: the controller has not yet observed the budget's latest spec.
    BudgetNotObserved,
    /// 429: disruptionsAllowed is 0.
    BudgetExhausted,
    /// 403: the status is unusable (negative allowance, or too many unconfirmed evictions).
    BudgetCorrupt,
    /// 500: more than one budget selects the pod.
    MultipleBudgets,
}

/// The error the API returns when the pod is not evicted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvictionError {
    /// `TooManyRequests`, `Forbidden`, or `None` for the 500, which carries no reason.
    pub reason: Option<&'static str>,
    /// The message clients print (`kubectl drain` shows only this).
    pub message: String,
    /// Messages of the `DisruptionBudget` causes in the status details.
    pub causes: Vec<String>,
    /// `details.retryAfterSeconds` (the Retry-After header when above 0).
    pub retry_after_seconds: u32,
}

/// The handler's write to a budget when it approves an eviction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BudgetDecrement {
    pub budget: String,
    pub pod: String,
    pub disruptions_allowed_after: i64,
    /// When the pod entered disruptedPods (the API keeps seconds).
    pub disrupted_at: SimTime,
}

impl BudgetDecrement {
    /// Writes the decrement into the budget's status as the handler's status update does; the
    /// condition turns to `InsufficientPods` when the last allowed disruption is taken.
    pub fn apply(&self, status: &mut PdbStatus, now: SimTime) {
        status.disruptions_allowed = self.disruptions_allowed_after;
        status
            .disrupted_pods
            .insert(self.pod.clone(), self.disrupted_at);
        if status.disruptions_allowed == 0 {
            status.update_allowed_condition(now);
        }
    }
}

/// The outcome of one eviction request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvictionDecision {
    /// 201 evicted, 429 budget says no (retry), 403 budget unusable, 500 several budgets.
    pub http_status: u16,
    /// The handler deletes the pod (gracefully, after adding the `DisruptionTarget` condition,
    /// see [`disruption_target_condition`]).
    pub pod_deleted: bool,
    pub path: EvictionPath,
    /// The budget consulted, when exactly one selects the pod.
    pub budget: Option<String>,
    /// Set when a disruption was taken: apply it to that budget's status.
    pub decrement: Option<BudgetDecrement>,
    /// Set when the pod is not evicted.
    pub error: Option<EvictionError>,
}

impl EvictionDecision {
    fn deleted(path: EvictionPath, budget: Option<&str>) -> EvictionDecision {
        EvictionDecision {
            http_status: 201,
            pod_deleted: true,
            path,
            budget: budget.map(String::from),
            decrement: None,
            error: None,
        }
    }

    fn refused(
        http_status: u16,
        path: EvictionPath,
        budget: Option<&str>,
        error: EvictionError,
    ) -> EvictionDecision {
        EvictionDecision {
            http_status,
            pod_deleted: false,
            path,
            budget: budget.map(String::from),
            decrement: None,
            error: Some(error),
        }
    }

    /// The message of the refusal, if any.
    pub fn message(&self) -> Option<&str> {
        self.error.as_ref().map(|e| e.message.as_str())
    }
}

/// Decides `POST pods/<pod>/eviction` (PDB-4). The simulator's `evict(pod)` and `drain(node)`
/// call this with:
///
/// - `pod`: the pod as it is now;
/// - `budgets`: every budget of the pod's namespace that selects it ([`PdbSpec::selects`] on
///   the pod's labels), each with its current status ([`PdbSpec::view`]);
/// - `now`: the virtual time, recorded (truncated to seconds) in disruptedPods.
///
/// Then, on the returned decision: apply `decrement` to the named budget's status, and if
/// `pod_deleted`, add the `DisruptionTarget` condition and delete the pod gracefully. The
/// controller's next sync ([`super::sync_status`]) sees the pod terminating.
///
/// Unlike the API server, nothing here races: the pod cannot turn Ready between the check and
/// the deletion, so the resource-version precondition the server sets for not-Ready pods never
/// fails, and the conflict retries on the budget never happen.
pub fn decide_eviction(
    pod: &PodFacts,
    budgets: &[BudgetView<'_>],
    now: SimTime,
) -> EvictionDecision {
    // PDB-4: such a pod is no longer (or not yet) serving, so evicting it disrupts nothing.
    if matches!(
        pod.phase,
        PodPhase::Pending | PodPhase::Succeeded | PodPhase::Failed
    ) || pod.deleting
    {
        return EvictionDecision::deleted(EvictionPath::BudgetsIgnored, None);
    }
    let budget = match budgets {
        [] => return EvictionDecision::deleted(EvictionPath::NoBudget, None),
        [one] => one,
        // PDB-4: the handler cannot take from two budgets atomically, so it refuses outright.
        _ => {
            return EvictionDecision::refused(
                500,
                EvictionPath::MultipleBudgets,
                None,
                EvictionError {
                    reason: None,
                    message: MULTIPLE_BUDGETS.into(),
                    causes: Vec::new(),
                    retry_after_seconds: 0,
                },
            );
        }
    };
    let status = budget.status;
    // PDB-4: a pod that is not Ready does not count in currentHealthy, so removing it costs the
    // application nothing, unless the application is already short and the policy protects
    // even unready pods then (they may be about to become Ready).
    if !pod.ready {
        match budget.unhealthy_pod_eviction_policy {
            UnhealthyPodEvictionPolicy::AlwaysAllow => {
                return EvictionDecision::deleted(
                    EvictionPath::UnhealthyAlwaysAllow,
                    Some(budget.name),
                );
            }
            UnhealthyPodEvictionPolicy::IfHealthyBudget
                if status.current_healthy >= status.desired_healthy
                    && status.desired_healthy > 0 =>
            {
                return EvictionDecision::deleted(
                    EvictionPath::UnhealthyWithinBudget,
                    Some(budget.name),
                );
            }
            // Short of healthy pods: the budget's allowance decides, as for a Ready pod.
            UnhealthyPodEvictionPolicy::IfHealthyBudget => {}
        }
    }
    check_and_decrement(pod, budget, now)
}

/// The budget check proper, in the handler's order (PDB-4).
fn check_and_decrement(pod: &PodFacts, budget: &BudgetView<'_>, now: SimTime) -> EvictionDecision {
    let status = budget.status;
    let name = budget.name;
    // A status computed for an older spec may allow what the new spec forbids.
    if status.observed_generation < budget.generation {
        return EvictionDecision::refused(
            429,
            EvictionPath::BudgetNotObserved,
            Some(name),
            EvictionError {
                reason: Some("TooManyRequests"),
                message: BUDGET_VIOLATION.into(),
                causes: vec![format!(
                    "The disruption budget {name} is still being processed by the server."
                )],
                retry_after_seconds: 10,
            },
        );
    }
    let forbidden = |why: &str| {
        EvictionDecision::refused(
            403,
            EvictionPath::BudgetCorrupt,
            Some(name),
            EvictionError {
                reason: Some("Forbidden"),
                message: format!("poddisruptionbudget.policy {name:?} is forbidden: {why}"),
                causes: Vec::new(),
                retry_after_seconds: 0,
            },
        )
    };
    if status.disruptions_allowed < 0 {
        return forbidden("pdb disruptions allowed is negative");
    }
    if status.disrupted_pods.len() > MAX_DISRUPTED_POD_SIZE {
        return forbidden(
            "DisruptedPods map too big - too many evictions not confirmed by PDB controller",
        );
    }
    if status.disruptions_allowed == 0 {
        return EvictionDecision::refused(
            429,
            EvictionPath::BudgetExhausted,
            Some(name),
            EvictionError {
                reason: Some("TooManyRequests"),
                message: BUDGET_VIOLATION.into(),
                causes: vec![format!(
                    "The disruption budget {name} needs {} healthy pods and has {} currently",
                    status.desired_healthy, status.current_healthy
                )],
                retry_after_seconds: 0,
            },
        );
    }
    // Listing the pod keeps it out of currentHealthy until it is gone (or 120 s pass, PDB-3),
    // so the controller's next sync does not hand the same disruption out again.
    EvictionDecision {
        decrement: Some(BudgetDecrement {
            budget: name.to_string(),
            pod: pod.name.clone(),
            disruptions_allowed_after: status.disruptions_allowed - 1,
            disrupted_at: truncate(now),
        }),
        ..EvictionDecision::deleted(EvictionPath::Decremented, Some(name))
    }
}

/// The condition the handler adds to a pod it deletes, as it appears in `status.conditions`.
pub fn disruption_target_condition() -> Value {
    json!({
        "type": DISRUPTION_TARGET,
        "status": "True",
        "reason": DISRUPTION_TARGET_REASON,
        "message": DISRUPTION_TARGET_MESSAGE,
    })
}

/// What removes a pod, and so whether budgets have a say (PDB-5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DisruptionSource {
    /// The eviction API: `evict(pod)`, `kubectl drain`. Gated by [`decide_eviction`].
    Eviction,
    /// A ReplicaSet scaled down by its controller: rolling updates, `kubectl scale`, HPA.
    ControllerScaleDown,
    /// `kubectl delete pod`.
    Delete,
    /// The owning Deployment or ReplicaSet deleted (garbage collection).
    OwnerDeleted,
    /// The node failed.
    NodeFailure,
}

/// What a budget does about any disruption other than an eviction.
pub const UNGATED_EFFECT: &str = "PDB only reflects the loss afterwards (currentHealthy drops)";

impl DisruptionSource {
    /// Only evictions ask the budgets first (PDB-5).
    pub fn gated_by_budgets(self) -> bool {
        self == DisruptionSource::Eviction
    }

    /// How the budget takes part, in words for traces and reports.
    pub fn budget_effect(self) -> &'static str {
        if self.gated_by_budgets() {
            "checked against the PDB before the pod is deleted"
        } else {
            UNGATED_EFFECT
        }
    }
}
