//! What `kubectl rollout` computes on the client: the status verdict (K8S-ROS) and the undo
//! plan (K8S-REV-6). Every backend uses these, so `wait_ready` and `rollback` mean the same on
//! the simulator and on a cluster.

pub mod status;
pub mod undo;

pub use status::{
    DaemonSetObservation, DeploymentObservation, RolloutStatus, StatefulSetObservation,
};
pub use undo::{RevisionCandidate, UndoPlan, plan_undo};
