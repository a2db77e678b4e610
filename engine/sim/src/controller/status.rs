//! Deployment status and conditions: counts (K8S-RU-12), completeness (K8S-RU-13), Available
//! (K8S-COND-1) and Progressing with its deadline (K8S-COND-2..6, K8S-PAUSE-1/2).

use super::RsView;
use crate::time::{SECOND, SimTime, truncate};
use rollplay_k8s::DeploymentSpec;

pub const PROGRESSING: &str = "Progressing";
pub const AVAILABLE: &str = "Available";
pub const REPLICA_FAILURE: &str = "ReplicaFailure";

pub const NEW_RS_CREATED: &str = "NewReplicaSetCreated";
pub const FOUND_NEW_RS: &str = "FoundNewReplicaSet";
pub const RS_UPDATED: &str = "ReplicaSetUpdated";
pub const NEW_RS_AVAILABLE: &str = "NewReplicaSetAvailable";
pub const TIMED_OUT: &str = "ProgressDeadlineExceeded";
pub const PAUSED: &str = "DeploymentPaused";
pub const RESUMED: &str = "DeploymentResumed";

/// A Deployment condition. Types, statuses and reasons are the API's constants; the message
/// is shared, so that carrying conditions from one status to the next copies no text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    pub type_: &'static str,
    pub status: &'static str,
    pub reason: &'static str,
    pub message: std::sync::Arc<str>,
    pub last_update: SimTime,
    pub last_transition: SimTime,
}

impl Condition {
    /// A condition stamped now, at the API's one-second precision.
    pub fn new(
        type_: &'static str,
        status: &'static str,
        reason: &'static str,
        message: String,
        now: SimTime,
    ) -> Condition {
        Condition {
            type_,
            status,
            reason,
            message: message.into(),
            last_update: truncate(now),
            last_transition: truncate(now),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DeploymentStatus {
    pub observed_generation: i64,
    pub replicas: i32,
    pub updated: i32,
    pub ready: i32,
    pub available: i32,
    pub unavailable: i32,
    pub conditions: Vec<Condition>,
    pub collision_count: Option<i32>,
}

impl DeploymentStatus {
    pub fn condition(&self, type_: &str) -> Option<&Condition> {
        self.conditions.iter().find(|c| c.type_ == type_)
    }

    /// `SetDeploymentCondition`: no change if status and reason are the same; the transition
    /// time is kept when only the reason changes; the condition moves to the end.
    pub fn set_condition(&mut self, mut c: Condition) {
        if let Some(cur) = self.condition(c.type_) {
            if cur.status == c.status && cur.reason == c.reason {
                return;
            }
            if cur.status == c.status {
                c.last_transition = cur.last_transition;
            }
        }
        self.conditions.retain(|x| x.type_ != c.type_);
        self.conditions.push(c);
    }

    /// `set_condition` that builds the message only when the condition actually changes.
    pub fn ensure_condition(
        &mut self,
        type_: &'static str,
        status: &'static str,
        reason: &'static str,
        now: SimTime,
        message: impl FnOnce() -> String,
    ) {
        if self
            .condition(type_)
            .is_some_and(|c| c.status == status && c.reason == reason)
        {
            return;
        }
        self.set_condition(Condition::new(type_, status, reason, message(), now));
    }

    pub fn remove_condition(&mut self, type_: &str) {
        self.conditions.retain(|c| c.type_ != type_);
    }
}

/// `DeploymentComplete` (K8S-RU-13).
pub fn complete(spec: &DeploymentSpec, generation: i64, status: &DeploymentStatus) -> bool {
    status.updated == spec.replicas
        && status.replicas == spec.replicas
        && status.available == spec.replicas
        && status.observed_generation >= generation
}

/// `DeploymentProgressing`: any sign of progress between two statuses (K8S-COND-4).
pub fn progressing(old: &DeploymentStatus, new: &DeploymentStatus) -> bool {
    new.updated > old.updated
        || (new.replicas - new.updated) < (old.replicas - old.updated)
        || new.ready > old.ready
        || new.available > old.available
}

/// `DeploymentTimedOut` (K8S-COND-5): strict comparison against the last progress.
pub fn timed_out(spec: &DeploymentSpec, status: &DeploymentStatus, now: SimTime) -> bool {
    let Some(deadline) = spec.progress_deadline_seconds else {
        return false;
    };
    let Some(c) = status.condition(PROGRESSING) else {
        return false;
    };
    match c.reason {
        NEW_RS_AVAILABLE => false,
        TIMED_OUT => true,
        _ => c.last_update + deadline as SimTime * SECOND < now,
    }
}

/// `calculateStatus`: counts over all ReplicaSets and the Available condition (K8S-RU-12,
/// K8S-COND-1); other conditions are carried over.
pub fn calculate(
    spec: &DeploymentSpec,
    generation: i64,
    all: &[&RsView],
    new: Option<&RsView>,
    prev: &DeploymentStatus,
    now: SimTime,
) -> DeploymentStatus {
    let available: i32 = all.iter().map(|r| r.available).sum();
    let spec_total: i32 = all.iter().map(|r| r.spec).sum();
    let mut status = DeploymentStatus {
        observed_generation: generation,
        replicas: all.iter().map(|r| r.status_replicas).sum(),
        updated: new.map_or(0, |n| n.status_replicas),
        ready: all.iter().map(|r| r.ready).sum(),
        available,
        unavailable: (spec_total - available).max(0),
        conditions: prev.conditions.clone(),
        collision_count: prev.collision_count,
    };
    if available >= spec.replicas - spec.max_unavailable() {
        status.ensure_condition(AVAILABLE, "True", "MinimumReplicasAvailable", now, || {
            "Deployment has minimum availability.".into()
        });
    } else {
        status.ensure_condition(
            AVAILABLE,
            "False",
            "MinimumReplicasUnavailable",
            now,
            || "Deployment does not have minimum availability.".into(),
        );
    }
    status
}

/// `syncRolloutStatus`: the new status with the Progressing condition brought up to date
/// (K8S-COND-2..6). `name` is the Deployment's, `new` the new ReplicaSet if any.
pub fn sync_rollout_status(
    name: &str,
    spec: &DeploymentSpec,
    generation: i64,
    prev: &DeploymentStatus,
    all: &[&RsView],
    new: Option<&RsView>,
    now: SimTime,
) -> DeploymentStatus {
    let mut status = calculate(spec, generation, all, new, prev, now);
    if spec.progress_deadline_seconds.is_none() {
        status.remove_condition(PROGRESSING);
    }
    let current = prev.condition(PROGRESSING);
    let is_complete_deployment =
        status.replicas == status.updated && current.is_some_and(|c| c.reason == NEW_RS_AVAILABLE);
    if spec.progress_deadline_seconds.is_some() && !is_complete_deployment {
        let subject = || match new {
            Some(n) => format!("ReplicaSet \"{}\"", n.name),
            None => format!("Deployment \"{name}\""),
        };
        // K8S-COND-4: first match wins.
        if complete(spec, generation, &status) {
            status.ensure_condition(PROGRESSING, "True", NEW_RS_AVAILABLE, now, || {
                format!("{} has successfully progressed.", subject())
            });
        } else if progressing(prev, &status) {
            let mut c = Condition::new(
                PROGRESSING,
                "True",
                RS_UPDATED,
                format!("{} is progressing.", subject()),
                now,
            );
            if let Some(cur) = current {
                if cur.status == "True" {
                    c.last_transition = cur.last_transition;
                }
                status.remove_condition(PROGRESSING);
            }
            status.set_condition(c);
        } else if timed_out(spec, &status, now) {
            status.ensure_condition(PROGRESSING, "False", TIMED_OUT, now, || {
                format!("{} has timed out progressing.", subject())
            });
        }
    }
    status
}

/// `checkPausedConditions`: Unknown/DeploymentPaused while paused (unless the deadline was
/// already exceeded), Unknown/DeploymentResumed with a fresh update time on resume
/// (K8S-PAUSE-1/2). None when nothing changes.
pub fn paused_conditions(
    spec: &DeploymentSpec,
    status: &DeploymentStatus,
    now: SimTime,
) -> Option<DeploymentStatus> {
    spec.progress_deadline_seconds?;
    let cond = status.condition(PROGRESSING);
    if cond.is_some_and(|c| c.reason == TIMED_OUT) {
        return None;
    }
    let paused_cond_exists = cond.is_some_and(|c| c.reason == PAUSED);
    let mut next;
    if spec.paused && !paused_cond_exists {
        next = status.clone();
        next.set_condition(Condition::new(
            PROGRESSING,
            "Unknown",
            PAUSED,
            "Deployment is paused".into(),
            now,
        ));
    } else if !spec.paused && paused_cond_exists {
        next = status.clone();
        next.set_condition(Condition::new(
            PROGRESSING,
            "Unknown",
            RESUMED,
            "Deployment is resumed".into(),
            now,
        ));
    } else {
        return None;
    }
    Some(next)
}

/// When the controller next looks for a timeout (`requeueStuckDeployment`): last progress +
/// deadline + 1 s, unless complete, already timed out or without a deadline.
pub fn recheck_at(
    spec: &DeploymentSpec,
    generation: i64,
    status: &DeploymentStatus,
    now: SimTime,
) -> Option<SimTime> {
    let deadline = spec.progress_deadline_seconds?;
    let c = status.condition(PROGRESSING)?;
    if complete(spec, generation, status) || c.reason == TIMED_OUT || c.reason == NEW_RS_AVAILABLE {
        return None;
    }
    Some((c.last_update + deadline as SimTime * SECOND + SECOND).max(now + 1))
}
