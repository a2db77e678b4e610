//! Simulated Deployments: the stored object, its API rendering, and what the simulator
//! observes of it for `kubectl rollout status` (K8S-ROS-1).

use super::controller::status::{Condition, DeploymentStatus};
use super::meta::Meta;
use super::time::{SimTime, rfc3339};
use rollplay_k8s::rollout::DeploymentObservation;
use rollplay_k8s::{DeploymentSpec, annotations};
use serde_json::{Value, json};

#[derive(Debug, Clone)]
pub struct Deployment {
    pub meta: Meta,
    pub spec: DeploymentSpec,
    /// Content hash of `spec.template`, to find the new ReplicaSet quickly.
    pub template_hash: u64,
    pub status: DeploymentStatus,
    /// The progress-deadline check already scheduled, so it is not scheduled twice.
    pub recheck_at: Option<SimTime>,
}

impl Deployment {
    pub fn revision(&self) -> Option<i64> {
        self.meta
            .annotations
            .get(annotations::REVISION)
            .and_then(|r| r.parse().ok())
    }

    pub fn observation(&self) -> DeploymentObservation {
        DeploymentObservation {
            name: self.meta.name.clone(),
            generation: self.meta.generation,
            observed_generation: self.status.observed_generation,
            spec_replicas: self.spec.replicas,
            replicas: self.status.replicas,
            updated: self.status.updated,
            available: self.status.available,
            progressing_reason: self
                .status
                .condition("Progressing")
                .map(|c| c.reason.to_string()),
            revision: self.revision(),
        }
    }

    pub fn to_value(&self) -> Value {
        let s = &self.status;
        let mut status = json!({
            "observedGeneration": s.observed_generation,
            "replicas": s.replicas,
            "updatedReplicas": s.updated,
            "readyReplicas": s.ready,
            "availableReplicas": s.available,
            "conditions": s.conditions.iter().map(condition_value).collect::<Vec<_>>(),
        });
        if s.unavailable > 0 {
            status["unavailableReplicas"] = Value::from(s.unavailable);
        }
        if let Some(c) = s.collision_count {
            status["collisionCount"] = Value::from(c);
        }
        json!({
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": self.meta.to_value(None),
            "spec": self.spec.to_value(),
            "status": status,
        })
    }
}

pub fn condition_value(c: &Condition) -> Value {
    json!({
        "type": c.type_,
        "status": c.status,
        "reason": c.reason,
        "message": c.message,
        "lastUpdateTime": rfc3339(c.last_update),
        "lastTransitionTime": rfc3339(c.last_transition),
    })
}
