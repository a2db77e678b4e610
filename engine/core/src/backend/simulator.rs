//! What only a simulator offers, reached through capabilities rather than the backend trait:
//! image behaviour, simulated traffic and the trace of a run, and rehearsals (replays of a
//! load profile on fresh simulators), which any target's scripts may ask for.

use super::metrics::Rate;
use crate::error::Result;
use crate::manifest::Manifest;
use crate::objref::ObjectRef;
use serde::Serialize;
use serde_json::Value;
use std::time::Duration;

/// The simulator's own controls (`ClusterBackend::simulator()`).
pub trait SimControls: Send + Sync {
    /// Sets how an image behaves from now on (merged over its profile); returns the whole
    /// profile.
    fn set_image_profile(&self, image: &str, profile: &Value) -> Result<Value>;

    /// Sets the simulated request rate of a Service from now on.
    fn set_traffic(&self, service: &ObjectRef, rate: Rate) -> Result<()>;

    /// Starts recording the trace.
    fn enable_trace(&self);

    /// The trace so far: one JSON object per line.
    fn trace(&self) -> Vec<String>;

    /// Records an action in the trace.
    fn note_action(&self, action: &Value);
}

/// One replay of a load profile against an application on a fresh simulator.
#[derive(Debug, Clone)]
pub struct ReplayConfig {
    pub manifests: Vec<Manifest>,
    pub namespace: String,
    /// The Deployment measured; the Service that carries the load.
    pub workload: String,
    pub service: String,
    /// Merged (JSON merge patch) into the spec of the autoscaler targeting `workload`; one is
    /// created when the manifests have none.
    pub autoscaler: Option<Value>,
    pub load: Rate,
    pub duration: Duration,
    pub slo_p99_ms: f64,
    pub slo_error_rate: f64,
    pub seed: u64,
}

/// One minute of a replay.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Minute {
    pub minute: u64,
    pub rps: f64,
    /// Pods running, averaged over the minute.
    pub replicas: f64,
    pub p99_ms: Option<f64>,
    pub error_rate: Option<f64>,
    pub violating: bool,
}

/// What a replay measured.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReplayReport {
    pub slo_violating_minutes: u64,
    /// Over the whole replay.
    pub p99_ms: Option<f64>,
    pub error_rate: Option<f64>,
    /// Σ running pods × minutes: what the setting costs.
    pub replica_minutes: f64,
    pub scale_events: u32,
    pub max_replicas: usize,
    pub minutes: Vec<Minute>,
}

/// Runs replays on fresh simulators, with the image profiles of the run that asks.
pub trait Rehearsal: Send + Sync {
    /// Every config's replay, in order, on up to `threads` threads.
    fn replay_all(&self, configs: &[ReplayConfig], threads: usize) -> Vec<Result<ReplayReport>>;
}
