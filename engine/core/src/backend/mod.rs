//! `ClusterBackend`: the only way the script layer touches a cluster. One implementation per
//! target (the simulator, Kubernetes, Swarm), each in its own crate, returning the portable
//! types of this module only.

mod capability;
mod deadline;
mod lock;
mod metrics;
mod metrics_source;
mod simulator;
mod types;

pub use capability::{ALL_CAPABILITIES, Capabilities, Capability};
pub use deadline::{Deadline, Limit};
pub use lock::{LockHolder, LockOutcome, lock_name};
pub use metrics::{MetricsFilter, MetricsInterval, MetricsReport, Rate};
pub use metrics_source::{MetricsScope, MetricsSource};
pub use simulator::{Minute, Rehearsal, ReplayConfig, ReplayReport, SimControls};
pub use types::{
    Applied, ApplyOutcome, ApplyResult, Condition, DrainReport, EndpointInfo, EventInfo, Eviction,
    HistoryEntry, ImageChange, NodeInfo, PodSummary, ProgressSink, Quiet, RollbackOutcome,
    RollbackTo, RolloutState, WorkloadStatus,
};

use crate::error::{Error, Result};
use crate::kind::Kind;
use crate::manifest::Manifest;
use crate::objref::ObjectRef;
use crate::selector::Selector;
use async_trait::async_trait;
use serde_json::Value;
use std::collections::BTreeMap;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// A cluster the engine can drive. Object references carry their namespace; errors name the
/// object and the target.
///
/// Mutating calls return once the target has observed the change (on Kubernetes:
/// `status.observedGeneration >= metadata.generation`), so a `status()` right after reflects
/// it, as it does on the simulator where the controllers run before the call returns.
///
/// A backend provides a clock (`now`, `sleep_until`) and a change signal (`changed`); the one
/// wait (`crate::wait::wait_ready`) is written over them.
#[async_trait]
pub trait ClusterBackend: Send + Sync {
    /// `sim`, `kube:CONTEXT` or `swarm:HOST`, as errors and output name it.
    fn target(&self) -> &str;

    /// What this target has beyond the common primitives.
    fn capabilities(&self) -> Capabilities;

    /// Seconds since the Unix epoch on this target's clock (virtual on the simulator).
    fn now(&self) -> f64;

    /// Whether time is virtual (waits and sleeps cost no wall time).
    fn virtual_time(&self) -> bool {
        false
    }

    /// Sleeps until `at` on the target's clock, or until `cancel` fires.
    async fn sleep_until(&self, at: f64, cancel: &CancellationToken) -> Result<()>;

    /// The change signal: returns when something about `objects` may have changed (the
    /// simulator's next event, a watch event), and at `until` at the latest.
    async fn changed(
        &self,
        objects: &[&ObjectRef],
        until: f64,
        cancel: &CancellationToken,
    ) -> Result<()>;

    /// Checks a batch against this target without changing anything: every manifest valid
    /// for it, every kind served, every namespace there or created by the batch, no immutable
    /// field changed. `namespace` is where objects without one go.
    async fn validate(&self, batch: &[Manifest], namespace: &str) -> Result<()>;

    /// Applies a batch (validate it first) in install order; every object handled is in the
    /// outcome, also when the target refuses a later one.
    async fn apply(&self, batch: &[Manifest], namespace: &str) -> ApplyOutcome;

    /// An object as the API renders it, or None.
    async fn get(&self, object: &ObjectRef) -> Result<Option<Value>>;

    /// Every object of a kind in a namespace ("" for all namespaces or cluster-scoped kinds).
    async fn list(&self, kind: Kind, namespace: &str) -> Result<Vec<Value>>;

    /// Deletes an object; false if it did not exist.
    async fn delete(&self, object: &ObjectRef) -> Result<bool>;

    /// Sets the replica count; returns (before, after).
    async fn scale(&self, workload: &ObjectRef, replicas: i32) -> Result<(i32, i32)>;

    /// Sets a container's image (the only container when `container` is None).
    async fn set_image(
        &self,
        workload: &ObjectRef,
        container: Option<&str>,
        image: &str,
    ) -> Result<ImageChange>;

    /// Pauses or resumes a rollout; false if it already was.
    async fn set_paused(&self, workload: &ObjectRef, paused: bool) -> Result<bool>;

    /// Goes back to an earlier spec, with `kubectl rollout undo` semantics where revisions
    /// are numbered.
    async fn rollback(&self, workload: &ObjectRef, to: RollbackTo) -> Result<RollbackOutcome>;

    /// Replaces a Service's selector; returns the previous one.
    async fn switch_selector(
        &self,
        service: &ObjectRef,
        selector: BTreeMap<String, String>,
    ) -> Result<BTreeMap<String, String>>;

    /// The workload's status and the verdict on its rollout now.
    async fn status(&self, workload: &ObjectRef) -> Result<WorkloadStatus>;

    /// The workloads of `kind` in `namespace` whose labels match `selector`, by name.
    async fn select(
        &self,
        kind: Kind,
        namespace: &str,
        selector: &Selector,
    ) -> Result<Vec<ObjectRef>>;

    async fn history(&self, workload: &ObjectRef) -> Result<Vec<HistoryEntry>>;

    async fn pods(&self, workload: &ObjectRef) -> Result<Vec<PodSummary>>;

    async fn events(&self, object: &ObjectRef) -> Result<Vec<EventInfo>>;

    async fn endpoints(&self, service: &ObjectRef) -> Result<Vec<EndpointInfo>>;

    /// Names of objects of a kind in a namespace (for completion and hints).
    async fn names(&self, kind: Kind, namespace: &str) -> Result<Vec<String>>;

    /// Requests, errors, latency and resource use of a workload's pods (or of the pods a
    /// selector picks) over the `window` ending now, with per-interval samples.
    async fn metrics(&self, _filter: &MetricsFilter, _window: Duration) -> Result<MetricsReport> {
        Err(self.missing(Capability::Metrics, "metrics"))
    }

    /// Replaces the query behind one metric of `metrics()` (`rps`, `p99_ms`, ...) for the rest
    /// of the run: true when the target's source uses queries (Prometheus), false on a
    /// target that measures its traffic itself (the simulator).
    fn set_metrics_query(&self, _metric: &str, _query: &str) -> Result<bool> {
        if self.capabilities().has(Capability::Metrics) {
            Ok(false)
        } else {
            Err(self.missing(Capability::Metrics, "metrics_query"))
        }
    }

    /// Before anything changes: whether `metrics()` can answer for these pods (its queries
    /// are valid, its source reachable, the workload has series, waited for up to `wait`).
    /// Returns warnings.
    async fn check_metrics(&self, _filter: &MetricsFilter, _wait: Duration) -> Result<Vec<String>> {
        if self.capabilities().has(Capability::Metrics) {
            Ok(Vec::new())
        } else {
            Err(self.missing(Capability::Metrics, "check_metrics"))
        }
    }

    /// Asks to evict a pod (`POST pods/<pod>/eviction`): PodDisruptionBudgets decide (PDB-4).
    async fn evict(&self, _pod: &ObjectRef) -> Result<Eviction> {
        Err(self.missing(Capability::Nodes, "evict"))
    }

    /// `kubectl drain`: cordons the node, evicts its pods (retrying refusals every 5 s, PDB-6)
    /// and waits until they are gone; fails at the deadline with the node still cordoned.
    async fn drain(
        &self,
        _node: &str,
        _deadline: &Deadline,
        _cancel: &CancellationToken,
        _progress: &dyn ProgressSink,
    ) -> Result<DrainReport> {
        Err(self.missing(Capability::Nodes, "drain"))
    }

    /// `kubectl uncordon`; returns whether the node was cordoned.
    async fn uncordon(&self, _node: &str) -> Result<bool> {
        Err(self.missing(Capability::Nodes, "uncordon"))
    }

    /// The nodes, with how many pods run on each.
    async fn nodes(&self) -> Result<Vec<NodeInfo>> {
        Err(self.missing(Capability::Nodes, "nodes"))
    }

    /// Takes (or renews) the run lock on `object` for `holder`: a lock another run holds and
    /// renews is `Error::Locked`, naming it; an expired one, or any with `force`, is taken over.
    /// A target without a lock says so (`Error::Unsupported`), and the run goes on without it.
    async fn lock(
        &self,
        object: &ObjectRef,
        _holder: &LockHolder,
        _force: bool,
    ) -> Result<LockOutcome> {
        Err(Error::Unsupported {
            primitive: format!("the run lock on {}", object.short()),
            target: self.target().into(),
            reason: "another run may change it at the same time".into(),
        })
    }

    /// Releases a lock `holder` took; a lock taken over by another run meanwhile is left alone.
    async fn unlock(&self, _object: &ObjectRef, _holder: &LockHolder) -> Result<()> {
        Ok(())
    }

    /// How the target's client fared during a run (requests sent again, watches resumed),
    /// for the run's report; null when the target has nothing to say.
    fn client_report(&self) -> Value {
        Value::Null
    }

    /// The simulator's controls, on a simulator.
    fn simulator(&self) -> Option<&dyn SimControls> {
        None
    }

    /// The error of a primitive that needs a capability this target lacks.
    fn missing(&self, capability: Capability, primitive: &str) -> Error {
        Error::MissingCapability {
            capability: capability.name().into(),
            target: self.target().into(),
            needed_by: primitive.into(),
            reason: capability.without().into(),
        }
    }
}
