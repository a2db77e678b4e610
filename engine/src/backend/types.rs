//! Data the backends return, the same on every target.

use crate::rollout::RolloutStatus;
use serde::Serialize;

/// A workload's state and the `kubectl rollout status` verdict on it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WorkloadStatus {
    pub kind: String,
    pub name: String,
    pub namespace: String,
    /// Desired replicas.
    pub replicas: i32,
    /// Pods that exist (status.replicas).
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
    /// (type, status, reason, message).
    pub conditions: Vec<(String, String, String, String)>,
    pub done: bool,
    /// kubectl's line for the verdict (`deployment "web" successfully rolled out`, ...).
    pub message: String,
    /// kubectl's error, when the verdict is one.
    pub error: Option<String>,
}

impl WorkloadStatus {
    pub fn from_parts(
        summary: crate::sim::DeploymentSummary,
        verdict: &RolloutStatus,
    ) -> WorkloadStatus {
        WorkloadStatus {
            kind: "Deployment".into(),
            name: summary.name,
            namespace: summary.namespace,
            replicas: summary.replicas,
            current: summary.status_replicas,
            updated: summary.updated,
            ready: summary.ready,
            available: summary.available,
            unavailable: summary.unavailable,
            revision: summary.revision,
            images: summary.images,
            paused: summary.paused,
            strategy: summary.strategy,
            generation: summary.generation,
            observed_generation: summary.observed_generation,
            conditions: summary.conditions,
            done: verdict.done,
            message: verdict
                .message
                .clone()
                .unwrap_or_default()
                .trim_end()
                .to_string(),
            error: verdict.error.clone(),
        }
    }
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
