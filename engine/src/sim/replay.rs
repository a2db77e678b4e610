//! Replays a load profile against an application on a fresh simulator, minute by minute, and
//! measures what an autoscaling setting costs and how well it serves: SLO-violating minutes,
//! latency, replica-minutes, scale events. Replays are independent (each its own simulator
//! and seed), so several run in parallel.

use super::metrics::Filter;
use super::time::{SECOND, SimTime};
use super::traffic::{Rate, TICK};
use super::{Profiles, Sim};
use crate::error::{Error, Result};
use crate::kind::Kind;
use crate::manifest::Manifest;
use serde::Serialize;
use serde_json::Value;

/// One replay.
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
    pub duration: SimTime,
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

/// How long the application may take to be ready before the load starts.
const WARM_UP: SimTime = 600 * SECOND;

pub fn replay(config: &ReplayConfig, profiles: &Profiles) -> Result<ReplayReport> {
    let mut sim = Sim::with_profiles(config.seed, profiles.clone());
    sim.traffic.store.retention = config.duration + 2 * TICK;
    let manifests = with_autoscaler(config)?;
    sim.apply(&manifests, &config.namespace)?;
    let ns = config.namespace.as_str();
    if sim.get(Kind::Service, ns, &config.service).is_none() {
        return Err(Error::bad_input(
            format!("service/{}", config.service),
            "the replay's manifests have no such Service in its namespace",
        ));
    }
    let start_by = sim.now() + WARM_UP;
    while sim
        .deployment_observation(ns, &config.workload)
        .map(|o| crate::rollout::status::deployment(&o, 0))
        .is_some_and(|s| !s.done)
        && sim.now() < start_by
    {
        let next = sim.next_wake().unwrap_or(start_by).min(start_by);
        sim.advance_to(next.max(sim.now() + 1));
    }
    if sim.deployment_observation(ns, &config.workload).is_none() {
        return Err(Error::bad_input(
            format!("deployment/{}", config.workload),
            "the replay's manifests have no such Deployment in its namespace",
        ));
    }
    // The load starts at a whole interval, so minutes line up with samples.
    let t0 = (sim.now() / TICK + 1) * TICK;
    sim.advance_to(t0);
    sim.set_traffic(ns, &config.service, config.load.clone())
        .map_err(|e| Error::bad_input("replay load", e))?;
    let rescales_before = sim.autoscaler_rescales(ns);
    let filter = Filter::Deployment(config.workload.clone());
    let minutes = config.duration.div_ceil(60 * SECOND);
    let mut out = Vec::with_capacity(minutes as usize);
    let mut replica_minutes = 0.0;
    let mut max_replicas = 0;
    for m in 0..minutes {
        sim.advance_to(t0 + (m + 1) * 60 * SECOND);
        let r = sim.traffic.store.query(ns, &filter, 60 * SECOND, sim.now());
        let pod_intervals: usize = r.samples.iter().map(|s| s.pods).sum();
        max_replicas = max_replicas.max(r.samples.iter().map(|s| s.pods).max().unwrap_or(0));
        let per_minute = 60 * SECOND / TICK;
        let replicas = pod_intervals as f64 / per_minute as f64;
        replica_minutes += replicas;
        let error_rate = (r.requests > 0).then(|| r.errors as f64 / r.requests as f64);
        let violating = r.p99_ms.is_some_and(|p| p > config.slo_p99_ms)
            || error_rate.is_some_and(|e| e > config.slo_error_rate);
        out.push(Minute {
            minute: m + 1,
            rps: r.requests as f64 / 60.0,
            replicas,
            p99_ms: r.p99_ms,
            error_rate,
            violating,
        });
    }
    let whole = sim
        .traffic
        .store
        .query(ns, &filter, minutes * 60 * SECOND, sim.now());
    Ok(ReplayReport {
        slo_violating_minutes: out.iter().filter(|m| m.violating).count() as u64,
        p99_ms: whole.p99_ms,
        error_rate: (whole.requests > 0).then(|| whole.errors as f64 / whole.requests as f64),
        replica_minutes,
        scale_events: sim.autoscaler_rescales(ns) - rescales_before,
        max_replicas,
        minutes: out,
    })
}

/// The manifests with the autoscaler of the workload patched (or added).
fn with_autoscaler(config: &ReplayConfig) -> Result<Vec<Manifest>> {
    let Some(patch) = &config.autoscaler else {
        return Ok(config.manifests.clone());
    };
    let targets = |m: &Manifest| {
        m.kind() == Kind::HorizontalPodAutoscaler
            && m.object
                .pointer("/spec/scaleTargetRef/name")
                .and_then(Value::as_str)
                == Some(config.workload.as_str())
    };
    let mut out: Vec<Manifest> = config
        .manifests
        .iter()
        .filter(|m| !targets(m))
        .cloned()
        .collect();
    let mut hpa = match config.manifests.iter().find(|m| targets(m)) {
        Some(m) => (*m.object).clone(),
        None => serde_json::json!({
            "apiVersion": "autoscaling/v2",
            "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": config.workload, "namespace": config.namespace},
            "spec": {
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": config.workload},
                "maxReplicas": 10,
            },
        }),
    };
    super::ops::merge_patch(&mut hpa["spec"], patch);
    let loaded = crate::manifest::load_value(hpa, "<replay autoscaler>")?;
    crate::manifest::validate_all(&loaded)?;
    out.extend(loaded);
    Ok(out)
}

/// Runs replays on up to `threads` threads; results in the order of `configs`.
pub fn replay_all(
    configs: &[ReplayConfig],
    profiles: &Profiles,
    threads: usize,
) -> Vec<Result<ReplayReport>> {
    let threads = threads.clamp(1, configs.len().max(1));
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results: Vec<parking_lot::Mutex<Option<Result<ReplayReport>>>> = configs
        .iter()
        .map(|_| parking_lot::Mutex::new(None))
        .collect();
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(config) = configs.get(i) else { break };
                    *results[i].lock() = Some(replay(config, profiles));
                }
            });
        }
    });
    results
        .into_iter()
        .map(|r| r.into_inner().expect("every replay ran"))
        .collect()
}
