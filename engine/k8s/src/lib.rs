//! What every Kubernetes-shaped target (the simulator, a real cluster) shares on the client:
//! typed views of the objects rollplay reasons about, manifest validation with the API
//! server's messages, and what `kubectl rollout` computes (the status verdict and undo).

pub mod deployment;
pub mod intstr;
pub mod json;
pub mod pod_template;
pub mod quantity;
pub mod rollout;
pub mod secret;
pub mod selector;
pub mod validate;
pub mod views;

pub use deployment::{DeploymentSpec, Fenceposts, Strategy};
pub use intstr::IntOrString;
pub use pod_template::{ContainerSpec, PodTemplate, Probe};
pub use selector::LabelSelector;
pub use validate::{validate, validate_all};

/// Annotation keys the Deployment controller and kubectl use (K8S-REV-1..3, K8S-RU-6).
pub mod annotations {
    pub const REVISION: &str = "deployment.kubernetes.io/revision";
    pub const REVISION_HISTORY: &str = "deployment.kubernetes.io/revision-history";
    pub const DESIRED_REPLICAS: &str = "deployment.kubernetes.io/desired-replicas";
    pub const MAX_REPLICAS: &str = "deployment.kubernetes.io/max-replicas";
    pub const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";
    pub const ROLLBACK_TO: &str = "deprecated.deployment.rollback.to";
    pub const CHANGE_CAUSE: &str = "kubernetes.io/change-cause";
    /// Deployment annotations that are not copied to ReplicaSets (K8S-REV-3) and that
    /// `kubectl rollout undo` keeps from the Deployment (K8S-REV-6).
    pub const SKIPPED_ON_COPY: [&str; 6] = [
        LAST_APPLIED,
        REVISION,
        REVISION_HISTORY,
        DESIRED_REPLICAS,
        MAX_REPLICAS,
        ROLLBACK_TO,
    ];
}

/// The label the Deployment controller adds to tell ReplicaSets apart (K8S-REV-4).
pub const POD_TEMPLATE_HASH: &str = "pod-template-hash";
