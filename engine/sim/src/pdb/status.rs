//! The disruption controller's status arithmetic (PDB-2, PDB-3): how many pods a budget
//! expects, wants healthy and has healthy, and so how many evictions it allows right now.

use super::pod::{ControllerRef, PodFacts};
use super::spec::{Budget, PdbSpec};
use crate::time::{SECOND, SimTime, rfc3339};
use rollplay_k8s::intstr::IntOrString;
use rollplay_k8s::selector::LabelSelector;
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// How long a pod the eviction handler approved stays out of `currentHealthy` while it is not
/// deleted; after that the controller forgets the eviction (`DeletionTimeout`, PDB-3).
pub const DELETION_TIMEOUT: SimTime = 120 * SECOND;

/// The condition type the controller keeps on every budget.
pub const DISRUPTION_ALLOWED: &str = "DisruptionAllowed";
pub const SUFFICIENT_PODS: &str = "SufficientPods";
pub const INSUFFICIENT_PODS: &str = "InsufficientPods";
pub const SYNC_FAILED: &str = "SyncFailed";

/// The component that records the controller's events.
pub const EVENT_SOURCE: &str = "controllermanager";

/// The `DisruptionAllowed` condition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedCondition {
    pub status: bool,
    /// [`SUFFICIENT_PODS`], [`INSUFFICIENT_PODS`] or [`SYNC_FAILED`].
    pub reason: &'static str,
    /// Empty except after a failed sync, where it is the error.
    pub message: String,
    pub observed_generation: i64,
    pub last_transition: SimTime,
}

/// `status` of a PodDisruptionBudget, as the simulator keeps it per budget.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PdbStatus {
    pub observed_generation: i64,
    pub disruptions_allowed: i64,
    pub current_healthy: i64,
    pub desired_healthy: i64,
    pub expected_pods: i64,
    /// Pods the eviction handler approved and that are not deleted yet, with the (second
    /// precision) time of the approval.
    pub disrupted_pods: BTreeMap<String, SimTime>,
    pub condition: Option<AllowedCondition>,
}

/// An event the controller records while syncing a budget.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PdbEvent {
    /// `None` for an event on the budget, `Some(name)` for one on that pod.
    pub pod: Option<String>,
    pub warning: bool,
    pub reason: &'static str,
    pub message: String,
}

/// The outcome of one controller sync of one budget.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusSync {
    pub status: PdbStatus,
    pub events: Vec<PdbEvent>,
    /// When the controller syncs this budget again on its own: the moment the oldest listed
    /// disruption expires (PDB-3). Pod changes trigger syncs as well.
    pub recheck_at: Option<SimTime>,
}

/// The controllers' total scale and the pods that have no controller.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ExpectedScale {
    pub total: i64,
    /// Names of matching pods without a controllerRef: they add nothing to `total` (PDB-2).
    pub unmanaged: Vec<String>,
}

/// expectedPods and desiredHealthy of a budget.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Counts {
    pub expected: i64,
    pub desired: i64,
    pub unmanaged: Vec<String>,
}

/// Sums `scale_of` over the distinct controllers of `pods` (PDB-2).
///
/// `scale_of` answers `.spec.replicas` of the controller, or `None` when the controller cannot
/// be found or has no scale, which fails the sync: `found no controllers for pod "P"`.
pub fn controller_scale_sum(
    pods: &[PodFacts],
    mut scale_of: impl FnMut(&ControllerRef) -> Option<i64>,
) -> Result<ExpectedScale, String> {
    let mut scales: BTreeMap<&str, i64> = BTreeMap::new();
    let mut unmanaged = Vec::new();
    for pod in pods {
        let Some(controller) = &pod.controller else {
            unmanaged.push(pod.name.clone());
            continue;
        };
        if scales.contains_key(controller.uid.as_str()) {
            continue;
        }
        let scale = scale_of(controller)
            .ok_or_else(|| format!("found no controllers for pod {:?}", pod.name))?;
        scales.insert(&controller.uid, scale);
    }
    Ok(ExpectedScale {
        total: scales.values().sum(),
        unmanaged,
    })
}

/// expectedPods and desiredHealthy (PDB-2). `scale` is asked only when the budget needs the
/// controllers' scale: an integer minAvailable counts the matching pods instead, so a missing
/// controller cannot fail it.
pub fn expected_and_desired(
    budget: &Budget,
    matching_pods: usize,
    scale: impl FnOnce() -> Result<ExpectedScale, String>,
) -> Result<Counts, String> {
    match budget {
        Budget::MinAvailable(IntOrString::Int(n)) => Ok(Counts {
            expected: matching_pods as i64,
            desired: *n,
            unmanaged: Vec::new(),
        }),
        Budget::MinAvailable(percent) => {
            let s = scale()?;
            // Rounded up: 50% of 3 keeps 2 pods.
            let desired = percent.scaled(s.total, true)?;
            Ok(Counts {
                expected: s.total,
                desired,
                unmanaged: s.unmanaged,
            })
        }
        Budget::MaxUnavailable(value) => {
            let s = scale()?;
            // Also rounded up, which here means more pods may go: 25% of 3 lets 1 go.
            let unavailable = value.scaled(s.total, true)?;
            Ok(Counts {
                expected: s.total,
                desired: (s.total - unavailable).max(0),
                unmanaged: s.unmanaged,
            })
        }
    }
}

/// currentHealthy (PDB-3): Ready, not terminating, and not approved for eviction within the
/// last [`DELETION_TIMEOUT`] (`disrupted_at + 120 s > now`, strict as in the controller).
pub fn count_healthy(
    pods: &[PodFacts],
    disrupted: &BTreeMap<String, SimTime>,
    now: SimTime,
) -> i64 {
    pods.iter()
        .filter(|p| !p.deleting)
        .filter(|p| {
            disrupted
                .get(&p.name)
                .is_none_or(|at| at + DELETION_TIMEOUT <= now)
        })
        .filter(|p| p.ready)
        .count() as i64
}

/// disruptionsAllowed (PDB-2): never negative, and 0 while nothing is expected, so a budget
/// whose first pods appear before its first sync is safe.
pub fn disruptions_allowed(expected: i64, desired: i64, current: i64) -> i64 {
    if expected <= 0 {
        0
    } else {
        (current - desired).max(0)
    }
}

/// The disrupted-pods list the controller keeps: entries of matching, non-terminating pods
/// whose approval is at most 120 s old (PDB-3). Older entries are dropped with a `NotDeleted`
/// warning on the pod; the earliest expiry of the rest is when to look again.
fn prune_disrupted(
    spec: &PdbSpec,
    pods: &[PodFacts],
    previous: &BTreeMap<String, SimTime>,
    now: SimTime,
    events: &mut Vec<PdbEvent>,
) -> (BTreeMap<String, SimTime>, Option<SimTime>) {
    let mut kept = BTreeMap::new();
    let mut recheck: Option<SimTime> = None;
    for pod in pods.iter().filter(|p| !p.deleting) {
        let Some(&at) = previous.get(&pod.name) else {
            continue;
        };
        let expected_deletion = at + DELETION_TIMEOUT;
        // `expectedDeletion.Before(now)`: at exactly 120 s the entry is still listed, although
        // count_healthy already counts the pod again.
        if expected_deletion < now {
            events.push(PdbEvent {
                pod: Some(pod.name.clone()),
                warning: true,
                reason: "NotDeleted",
                // kube-controller-manager formats the namespace twice here; kept so the event
                // reads as on a real cluster.
                message: format!(
                    "Pod was expected by PDB {}/{} to be deleted but it wasn't",
                    spec.namespace, spec.namespace
                ),
            });
        } else {
            recheck = Some(recheck.map_or(expected_deletion, |r| r.min(expected_deletion)));
            kept.insert(pod.name.clone(), at);
        }
    }
    (kept, recheck)
}

/// One controller sync of one budget (PDB-2, PDB-3): the simulator calls this whenever a
/// matching pod or the budget changes, and at `recheck_at`.
///
/// - `pods`: the pods of the budget's namespace its selector matches ([`PdbSpec::selects`]),
///   in any phase, terminating ones included.
/// - `scale_of`: `.spec.replicas` of a pod's controller ([`ControllerRef`] says which object
///   that is), `None` if it has none; asked once per controller and only when needed.
/// - `previous`: the status the budget has now (its disrupted pods and condition carry over).
///
/// A failed sync (a controller without scale) keeps the previous numbers but writes
/// disruptionsAllowed 0 and a `SyncFailed` condition (fail-safe, PDB-2); observedGeneration is
/// not advanced then, so evictions keep getting 429 after a spec change.
pub fn sync_status(
    spec: &PdbSpec,
    pods: &[PodFacts],
    scale_of: impl FnMut(&ControllerRef) -> Option<i64>,
    previous: &PdbStatus,
    now: SimTime,
) -> StatusSync {
    let mut events = Vec::new();
    if pods.is_empty() {
        events.push(PdbEvent {
            pod: None,
            warning: false,
            reason: "NoPods",
            message: "No matching pods found".into(),
        });
    }
    let counts = match expected_and_desired(&spec.budget, pods.len(), || {
        controller_scale_sum(pods, scale_of)
    }) {
        Ok(c) => c,
        Err(e) => {
            events.push(PdbEvent {
                pod: None,
                warning: true,
                reason: "CalculateExpectedPodCountFailed",
                message: format!("Failed to calculate the number of expected pods: {e}"),
            });
            return StatusSync {
                status: previous.fail_safe(&e, now),
                events,
                recheck_at: None,
            };
        }
    };
    if !counts.unmanaged.is_empty() {
        events.push(PdbEvent {
            pod: None,
            warning: true,
            reason: "UnmanagedPods",
            message: format!(
                "Pods selected by this PodDisruptionBudget (selector: {}) were found to be unmanaged. As a result, the status of the PDB cannot be calculated correctly, which may result in undefined behavior. To account for these pods please set \".spec.minAvailable\" field of the PDB to an integer value.",
                go_selector(spec.selector.as_ref())
            ),
        });
    }
    let (disrupted_pods, recheck_at) =
        prune_disrupted(spec, pods, &previous.disrupted_pods, now, &mut events);
    let current = count_healthy(pods, &disrupted_pods, now);
    let mut status = PdbStatus {
        observed_generation: spec.generation,
        disruptions_allowed: disruptions_allowed(counts.expected, counts.desired, current),
        current_healthy: current,
        desired_healthy: counts.desired,
        expected_pods: counts.expected,
        disrupted_pods,
        condition: previous.condition.clone(),
    };
    status.update_allowed_condition(now);
    StatusSync {
        status,
        events,
        recheck_at,
    }
}

impl PdbStatus {
    /// The status after a failed sync: nothing may be evicted until a sync succeeds.
    pub fn fail_safe(&self, error: &str, now: SimTime) -> PdbStatus {
        let mut s = self.clone();
        s.disruptions_allowed = 0;
        s.set_condition(false, SYNC_FAILED, error.to_string(), now);
        s
    }

    /// Sets `DisruptionAllowed` from disruptionsAllowed, as the controller does after a sync and
    /// the eviction handler does when it takes the last allowed disruption.
    pub fn update_allowed_condition(&mut self, now: SimTime) {
        if self.disruptions_allowed > 0 {
            self.set_condition(true, SUFFICIENT_PODS, String::new(), now);
        } else {
            self.set_condition(false, INSUFFICIENT_PODS, String::new(), now);
        }
    }

    /// `meta.SetStatusCondition`: the transition time moves only when the status flips.
    fn set_condition(&mut self, status: bool, reason: &'static str, message: String, now: SimTime) {
        let last_transition = match &self.condition {
            Some(c) if c.status == status => c.last_transition,
            _ => now,
        };
        self.condition = Some(AllowedCondition {
            status,
            reason,
            message,
            observed_generation: self.observed_generation,
            last_transition,
        });
    }

    /// The status as the API renders it.
    pub fn to_value(&self) -> Value {
        let mut v = json!({
            "observedGeneration": self.observed_generation,
            "disruptionsAllowed": self.disruptions_allowed,
            "currentHealthy": self.current_healthy,
            "desiredHealthy": self.desired_healthy,
            "expectedPods": self.expected_pods,
        });
        if !self.disrupted_pods.is_empty() {
            v["disruptedPods"] = self
                .disrupted_pods
                .iter()
                .map(|(pod, at)| (pod.clone(), Value::from(rfc3339(*at))))
                .collect::<serde_json::Map<_, _>>()
                .into();
        }
        if let Some(c) = &self.condition {
            v["conditions"] = json!([{
                "type": DISRUPTION_ALLOWED,
                "status": if c.status { "True" } else { "False" },
                "reason": c.reason,
                "message": c.message,
                "observedGeneration": c.observed_generation,
                "lastTransitionTime": rfc3339(c.last_transition),
            }]);
        }
        v
    }
}

/// A selector as Go's `%v` prints a `*metav1.LabelSelector` in the `UnmanagedPods` event.
fn go_selector(selector: Option<&LabelSelector>) -> String {
    let Some(s) = selector else {
        return "nil".into();
    };
    let labels: String = s
        .match_labels
        .iter()
        .map(|(k, v)| format!("{k}: {v},"))
        .collect();
    let exprs: String = s
        .match_expressions
        .iter()
        .map(|r| {
            format!(
                "LabelSelectorRequirement{{Key:{},Operator:{:?},Values:[{}],}},",
                r.key,
                r.operator,
                r.values.join(" ")
            )
        })
        .collect();
    format!(
        "&LabelSelector{{MatchLabels:map[string]string{{{labels}}},MatchExpressions:[]LabelSelectorRequirement{{{exprs}}},}}"
    )
}
