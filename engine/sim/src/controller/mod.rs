//! The Deployment controller's decisions as pure functions over what it observes of its
//! ReplicaSets (rolling.go, sync.go, progress.go of kube-controller-manager). The simulator
//! applies their results; `rollplay sim conformance` checks them against the reference cases.

pub mod history;
pub mod rolling;
pub mod scale;
pub mod status;

use super::time::SimTime;
use std::sync::Arc;

/// What the controller sees of one ReplicaSet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RsView {
    pub name: Arc<str>,
    /// `spec.replicas`.
    pub spec: i32,
    /// `status.replicas` (pods without a deletion timestamp, K8S-RU-10).
    pub status_replicas: i32,
    pub ready: i32,
    pub available: i32,
    /// Creation time and sequence: "oldest first" sorts by this.
    pub created: (SimTime, u64),
    /// `deployment.kubernetes.io/revision` (0 when absent).
    pub revision: i64,
    /// `deployment.kubernetes.io/desired-replicas`.
    pub desired_annotation: Option<i32>,
    /// `deployment.kubernetes.io/max-replicas`.
    pub max_annotation: Option<i32>,
    /// `status.observedGeneration >= metadata.generation`.
    pub observed: bool,
    pub deleting: bool,
}

impl Default for RsView {
    fn default() -> Self {
        RsView {
            name: Arc::from(""),
            spec: 0,
            status_replicas: 0,
            ready: 0,
            available: 0,
            created: (0, 0),
            revision: 0,
            desired_annotation: None,
            max_annotation: None,
            observed: false,
            deleting: false,
        }
    }
}

/// Σ spec.replicas.
pub fn spec_total(sets: &[&RsView]) -> i32 {
    sets.iter().map(|r| r.spec).sum()
}

/// One change of a ReplicaSet's spec.replicas decided by the controller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scaling {
    pub name: Arc<str>,
    pub from: i32,
    pub to: i32,
}
