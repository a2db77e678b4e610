//! What backends return, the same on every target: portable values (times as Unix seconds,
//! outcomes as enums) with the target's own detail kept beside them where it has more.

use crate::error::Error;
use crate::kind::Kind;
use serde::Serialize;
use serde_json::Value;

/// Where a workload's rollout stands, on any target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RolloutState {
    /// Every replica runs the current spec and is available (`kubectl rollout status` done).
    Complete,
    /// Still moving towards the current spec.
    Progressing,
    /// Paused by a user: the spec waits to be rolled out.
    Paused,
    /// The target gave up (progress deadline exceeded, update rolled back, ...).
    Failed,
}

/// One condition of a workload's status (`Progressing`, `Available`, ...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Condition {
    #[serde(rename = "type")]
    pub type_: String,
    pub status: String,
    pub reason: String,
    pub message: String,
}

/// A workload's state and the verdict on its rollout, for any kind (Deployment, StatefulSet,
/// DaemonSet, a Swarm service).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WorkloadStatus {
    /// The kind as the target names it (`Deployment`, `StatefulSet`, `Service` on Swarm).
    pub kind: String,
    pub name: String,
    pub namespace: String,
    pub state: RolloutState,
    /// Desired replicas.
    pub replicas: i32,
    /// Replicas that exist (status.replicas).
    pub current: i32,
    pub updated: i32,
    pub ready: i32,
    pub available: i32,
    pub unavailable: i32,
    pub revision: Option<i64>,
    /// (container, image).
    pub images: Vec<(String, String)>,
    pub paused: bool,
    pub strategy: String,
    pub generation: i64,
    pub observed_generation: i64,
    pub conditions: Vec<Condition>,
    /// The target's line for the verdict (`deployment "web" successfully rolled out`, ...).
    pub message: String,
    /// The target's error, when the verdict is one.
    pub error: Option<String>,
    /// What the target says beyond the portable fields (null when nothing).
    pub detail: Value,
}

impl RolloutState {
    pub fn as_str(self) -> &'static str {
        match self {
            RolloutState::Complete => "complete",
            RolloutState::Progressing => "progressing",
            RolloutState::Paused => "paused",
            RolloutState::Failed => "failed",
        }
    }
}

impl WorkloadStatus {
    pub fn done(&self) -> bool {
        self.state == RolloutState::Complete
    }

    /// `deployment/web`.
    pub fn object(&self) -> String {
        format!("{}/{}", self.kind.to_ascii_lowercase(), self.name)
    }

    /// The line progress shows: the verdict's message, or its error.
    pub fn line(&self) -> String {
        match &self.error {
            Some(e) => format!("error: {e}"),
            None => self.message.clone(),
        }
    }

    /// Whether `line` is what [`WorkloadStatus::line`] would say (without building it).
    pub fn says(&self, line: &str) -> bool {
        match &self.error {
            Some(e) => line.strip_prefix("error: ") == Some(e.as_str()),
            None => line == self.message,
        }
    }
}

/// What `apply` did to one object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ApplyResult {
    Created,
    Configured,
    Unchanged,
}

impl ApplyResult {
    pub fn as_str(self) -> &'static str {
        match self {
            ApplyResult::Created => "created",
            ApplyResult::Configured => "configured",
            ApplyResult::Unchanged => "unchanged",
        }
    }
}

/// One object `apply` handled, as kubectl reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    pub kind: Kind,
    pub namespace: String,
    pub name: String,
    pub result: ApplyResult,
}

impl Applied {
    /// `deployment.apps/web created`.
    pub fn line(&self) -> String {
        let qualified = self.kind.qualified().to_ascii_lowercase();
        format!("{qualified}/{} {}", self.name, self.result.as_str())
    }
}

/// What an `apply` of a batch did: every object handled, in order, and the refusal that
/// stopped it, if one did (the objects before it stay applied, as with `kubectl apply`).
#[derive(Debug, Default)]
pub struct ApplyOutcome {
    pub applied: Vec<Applied>,
    pub refused: Option<Error>,
}

/// The outcome of `set_image`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageChange {
    pub container: String,
    pub from: String,
    pub to: String,
    pub changed: bool,
}

/// Where `rollback` goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RollbackTo {
    /// The revision before the current one (`kubectl rollout undo`).
    Previous,
    /// A numbered revision (`kubectl rollout undo --to-revision=N`).
    Revision(i64),
}

/// The outcome of a rollback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RollbackOutcome {
    /// The target's line: `deployment.apps/web rolled back` or `... skipped rollback (...)`.
    pub message: String,
    pub skipped: bool,
    /// The revision whose template was restored (None when the target does not number them).
    pub to_revision: Option<i64>,
    /// The workload's revision afterwards (the restored template gets a new number, K8S-REV-7).
    pub revision_now: Option<i64>,
    pub images: Vec<String>,
}

/// One pod (or task) of a workload.
#[derive(Debug, Clone, PartialEq)]
pub struct PodSummary {
    pub name: String,
    /// The ReplicaSet (or revision) it belongs to.
    pub replica_set: String,
    pub revision: Option<i64>,
    pub status: String,
    pub ready: bool,
    pub restarts: u32,
    pub ip: String,
    pub images: Vec<String>,
    /// Seconds since the Unix epoch on the target's clock.
    pub created: f64,
    pub terminating: bool,
    pub node: String,
}

/// One revision of a workload, as `kubectl rollout history` lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryEntry {
    pub revision: i64,
    pub replica_set: String,
    pub images: Vec<String>,
    pub change_cause: Option<String>,
    pub replicas: i32,
    pub current: bool,
}

/// An event about an object.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EventInfo {
    /// RFC 3339 time of the last occurrence.
    pub time: String,
    pub seconds: f64,
    pub warning: bool,
    pub reason: String,
    /// `pod/web-abc12-xyz34`.
    pub object: String,
    pub message: String,
    pub count: u32,
}

/// One endpoint of a Service.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EndpointInfo {
    pub pod: String,
    pub ip: String,
    pub ready: bool,
    pub serving: bool,
    pub terminating: bool,
}

/// Where waits report what they are waiting for.
pub trait ProgressSink: Send + Sync {
    /// A new verdict line for `object` at `at` (seconds since the epoch on the target clock).
    fn progress(&self, object: &str, line: &str, at: f64);
}

/// A sink that discards progress.
pub struct Quiet;

impl ProgressSink for Quiet {
    fn progress(&self, _: &str, _: &str, _: f64) {}
}

/// The answer to one eviction request (`POST pods/<pod>/eviction`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Eviction {
    pub pod: String,
    /// 201 evicted, 429 refused by a disruption budget, 500 several budgets select the pod.
    pub http_status: u16,
    pub evicted: bool,
    /// The budget consulted, when one selects the pod.
    pub budget: Option<String>,
    /// Why it was refused (the API's message), and its causes.
    pub message: Option<String>,
    pub causes: Vec<String>,
}

/// What a drain did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DrainReport {
    pub node: String,
    /// `namespace/pod`, in the order they were evicted.
    pub evicted: Vec<String>,
    /// Eviction requests a budget refused (each retried 5 s later).
    pub refused: u32,
    pub seconds: f64,
}

/// A node and what runs on it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NodeInfo {
    pub name: String,
    pub schedulable: bool,
    pub pods: usize,
}
