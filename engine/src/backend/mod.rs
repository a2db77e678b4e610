//! `ClusterBackend`: the only way the script layer touches a cluster. One implementation per
//! target (the simulator now; Kubernetes and Swarm plug in behind the same trait).

pub mod sim;
mod types;

pub use crate::sim::Applied;
pub use crate::sim::metrics::{
    Filter as MetricsFilter, Interval as MetricsInterval, Report as MetricsReport,
};
pub use crate::sim::traffic::Rate;
pub use crate::sim::{HistoryEntry, ImageChange, PodSummary, RollbackOutcome};
pub use types::{
    DrainReport, EndpointInfo, EventInfo, Eviction, NodeInfo, ProgressSink, Quiet, WorkloadStatus,
};

use crate::error::{Error, Result};
use crate::kind::Kind;
use crate::manifest::Manifest;
use crate::objref::ObjectRef;
use async_trait::async_trait;
use serde_json::Value;
use std::collections::BTreeMap;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// A cluster the engine can drive. Every call names its namespace; errors name the object
/// and the target.
///
/// Mutating calls return once the target has observed the change (on Kubernetes:
/// `status.observedGeneration >= metadata.generation`), so a `status()` right after reflects
/// it, as it does on the simulator where the controllers run before the call returns.
#[async_trait]
pub trait ClusterBackend: Send + Sync {
    /// `sim`, `kube:CONTEXT` or `swarm:HOST`, as errors and output name it.
    fn target(&self) -> &str;

    /// Seconds since the Unix epoch on this target's clock (virtual on the simulator).
    fn now(&self) -> f64;

    /// Whether time is virtual (waits and sleeps cost no wall time).
    fn virtual_time(&self) -> bool {
        false
    }

    /// Applies a validated batch; nothing changes if the target refuses any object.
    async fn apply(&self, manifests: &[Manifest], namespace: &str) -> Result<Vec<Applied>>;

    /// An object as the API renders it, or None.
    async fn get(&self, object: &ObjectRef, namespace: &str) -> Result<Option<Value>>;

    /// Every object of a kind in a namespace.
    async fn list(&self, kind: Kind, namespace: &str) -> Result<Vec<Value>>;

    /// Deletes an object; false if it did not exist.
    async fn delete(&self, object: &ObjectRef, namespace: &str) -> Result<bool>;

    /// Sets the replica count; returns (before, after).
    async fn scale(
        &self,
        workload: &ObjectRef,
        namespace: &str,
        replicas: i32,
    ) -> Result<(i32, i32)>;

    /// Sets a container's image (the only container when `container` is None).
    async fn set_image(
        &self,
        workload: &ObjectRef,
        namespace: &str,
        container: Option<&str>,
        image: &str,
    ) -> Result<ImageChange>;

    /// Pauses or resumes a rollout; false if it already was.
    async fn set_paused(&self, workload: &ObjectRef, namespace: &str, paused: bool)
    -> Result<bool>;

    /// `kubectl rollout undo` semantics; `to_revision` 0 = the previous revision.
    async fn rollback(
        &self,
        workload: &ObjectRef,
        namespace: &str,
        to_revision: i64,
    ) -> Result<RollbackOutcome>;

    /// Replaces a Service's selector; returns the previous one.
    async fn switch_selector(
        &self,
        service: &ObjectRef,
        namespace: &str,
        selector: BTreeMap<String, String>,
    ) -> Result<BTreeMap<String, String>>;

    /// The workload's status and the `kubectl rollout status` verdict on it now.
    async fn status(&self, workload: &ObjectRef, namespace: &str) -> Result<WorkloadStatus>;

    /// Waits with `kubectl rollout status` semantics (K8S-ROS-1): Ok when rolled out, an error
    /// when the verdict is an error, a timeout after `timeout`.
    async fn wait_ready(
        &self,
        workload: &ObjectRef,
        namespace: &str,
        timeout: Duration,
        cancel: &CancellationToken,
        progress: &dyn ProgressSink,
    ) -> Result<WorkloadStatus>;

    async fn history(&self, workload: &ObjectRef, namespace: &str) -> Result<Vec<HistoryEntry>>;

    async fn pods(&self, workload: &ObjectRef, namespace: &str) -> Result<Vec<PodSummary>>;

    async fn events(&self, object: &ObjectRef, namespace: &str) -> Result<Vec<EventInfo>>;

    async fn endpoints(&self, service: &ObjectRef, namespace: &str) -> Result<Vec<EndpointInfo>>;

    /// Sleeps on the target's clock (virtual on the simulator).
    async fn sleep(&self, duration: Duration, cancel: &CancellationToken) -> Result<()>;

    /// Sets how an image behaves; only the simulator has image profiles.
    async fn sim_image(&self, image: &str, _profile: &Value) -> Result<Value> {
        Err(Error::Unsupported {
            primitive: "sim_image".into(),
            target: self.target().into(),
            reason: format!(
                "image profiles exist only on the simulator; \"{image}\" runs as built here (use --target sim to rehearse)"
            ),
        })
    }

    /// Requests, errors, latency and resource use of a workload's pods (or of the pods a
    /// selector picks) over the `window` ending now, with per-interval samples.
    async fn metrics(
        &self,
        _filter: &MetricsFilter,
        _namespace: &str,
        _window: Duration,
    ) -> Result<MetricsReport> {
        Err(Error::Unsupported {
            primitive: "metrics".into(),
            target: self.target().into(),
            reason: "this target has no metrics source yet; rehearse on --target sim".into(),
        })
    }

    /// Sets the simulated request rate of a Service; only the simulator has simulated traffic.
    async fn sim_traffic(&self, service: &ObjectRef, _namespace: &str, _rate: Rate) -> Result<()> {
        Err(Error::Unsupported {
            primitive: "sim_traffic".into(),
            target: self.target().into(),
            reason: format!(
                "\"{}\" receives real traffic here; simulated traffic exists only on --target sim",
                service.name
            ),
        })
    }

    /// Asks to evict a pod (`POST pods/<pod>/eviction`): PodDisruptionBudgets decide (PDB-4).
    async fn evict(&self, pod: &str, _namespace: &str) -> Result<Eviction> {
        Err(self.not_here("evict", &format!("pod/{pod}")))
    }

    /// `kubectl drain`: cordons the node, evicts its pods (retrying refusals every 5 s, PDB-6)
    /// and waits until they are gone; fails after `timeout` with the node still cordoned.
    async fn drain(
        &self,
        node: &str,
        _timeout: Duration,
        _cancel: &CancellationToken,
        _progress: &dyn ProgressSink,
    ) -> Result<DrainReport> {
        Err(self.not_here("drain", &format!("node/{node}")))
    }

    /// `kubectl uncordon`; returns whether the node was cordoned.
    async fn uncordon(&self, node: &str) -> Result<bool> {
        Err(self.not_here("uncordon", &format!("node/{node}")))
    }

    /// The nodes, with how many pods run on each.
    async fn nodes(&self) -> Result<Vec<NodeInfo>> {
        Err(self.not_here("nodes", "nodes"))
    }

    /// The error of a primitive this target does not have yet.
    fn not_here(&self, primitive: &str, object: &str) -> Error {
        Error::Unsupported {
            primitive: primitive.into(),
            target: self.target().into(),
            reason: format!("{object}: not available on this target yet; rehearse on --target sim"),
        }
    }

    /// Names of workloads and services in a namespace (for completion and hints).
    async fn names(&self, kind: Kind, namespace: &str) -> Result<Vec<String>>;

    /// The simulator's image profiles, for replays (the defaults on real targets).
    fn sim_profiles(&self) -> crate::sim::Profiles {
        crate::sim::Profiles::default()
    }

    /// The simulator's trace so far (None on real targets).
    fn trace(&self) -> Option<Vec<String>> {
        None
    }

    /// Records an action in the target's own trace, if it keeps one.
    fn note_action(&self, _action: &Value) {}
}
