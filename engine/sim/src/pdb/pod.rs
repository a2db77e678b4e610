//! The facts about one pod that disruption budgets and evictions depend on, as plain data, so
//! the simulator (or a test) fills them from whatever it stores and nothing here reads a store.

use std::collections::BTreeMap;

/// `status.phase` of a pod.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PodPhase {
    Pending,
    #[default]
    Running,
    Succeeded,
    Failed,
    Unknown,
}

impl PodPhase {
    /// Reads a phase as the API spells it; anything else is `None`.
    pub fn parse(text: &str) -> Option<PodPhase> {
        Some(match text {
            "Pending" => PodPhase::Pending,
            "Running" => PodPhase::Running,
            "Succeeded" => PodPhase::Succeeded,
            "Failed" => PodPhase::Failed,
            "Unknown" => PodPhase::Unknown,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            PodPhase::Pending => "Pending",
            PodPhase::Running => "Running",
            PodPhase::Succeeded => "Succeeded",
            PodPhase::Failed => "Failed",
            PodPhase::Unknown => "Unknown",
        }
    }
}

/// The controller whose scale a pod counts towards (PDB-2).
///
/// This is the object the disruption controller's finders resolve, not always the pod's own
/// `controllerRef`: for a pod of a ReplicaSet that a Deployment controls it is the Deployment
/// (so a rolling update's surge pods do not raise the expected count), otherwise the
/// ReplicaSet, StatefulSet, ReplicationController or other scalable owner itself.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ControllerRef {
    pub kind: String,
    pub name: String,
    /// Identity: two pods of the same controller count its scale once.
    pub uid: String,
}

/// One pod, as the disruption controller and the eviction handler see it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PodFacts {
    pub name: String,
    pub phase: PodPhase,
    /// The Ready condition is True.
    pub ready: bool,
    /// `metadata.deletionTimestamp` is set (the pod is terminating).
    pub deleting: bool,
    pub labels: BTreeMap<String, String>,
    /// `None` for a pod with no controllerRef (an "unmanaged" pod).
    pub controller: Option<ControllerRef>,
}

impl PodFacts {
    /// A running pod with the given readiness and nothing else set.
    pub fn running(name: &str, ready: bool) -> PodFacts {
        PodFacts {
            name: name.to_string(),
            ready,
            ..PodFacts::default()
        }
    }

    /// The same pod, counted towards `controller`'s scale.
    pub fn controlled_by(mut self, kind: &str, name: &str, uid: &str) -> PodFacts {
        self.controller = Some(ControllerRef {
            kind: kind.to_string(),
            name: name.to_string(),
            uid: uid.to_string(),
        });
        self
    }
}
