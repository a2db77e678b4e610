//! Replays a load profile against an application on a fresh simulator, minute by minute, and
//! measures what an autoscaling setting costs and how well it serves: SLO-violating minutes,
//! latency, replica-minutes, scale events. Replays are independent (each its own simulator
//! and seed), so several run in parallel.

use super::backend::SimBackend;
use super::metrics::Filter;
use super::time::{SECOND, SimTime};
use super::traffic::TICK;
use super::{Profiles, Sim};
use rollplay_core::backend::{Minute, Quiet, Rehearsal, ReplayConfig, ReplayReport};
use rollplay_core::error::{Error, Result};
use rollplay_core::kind::Kind;
use rollplay_core::manifest::Manifest;
use rollplay_core::objref::ObjectRef;
use rollplay_core::wait::{Deadline, WaitFor, wait_ready};
use serde_json::Value;
use std::time::Duration;

/// How long the application may take to be ready before the load starts.
const WARM_UP: SimTime = 600 * SECOND;

pub fn replay(config: &ReplayConfig, profiles: &Profiles) -> Result<ReplayReport> {
    let duration = config.duration.as_millis() as SimTime;
    let mut sim = Sim::with_profiles(config.seed, profiles.clone());
    sim.traffic.store.retention = duration + 2 * TICK;
    let manifests = with_autoscaler(config)?;
    sim.apply(&manifests, &config.namespace)?;
    let ns = config.namespace.as_str();
    if sim.get(Kind::Service, ns, &config.service).is_none() {
        return Err(Error::bad_input(
            format!("service/{}", config.service),
            "the replay's manifests have no such Service in its namespace",
        ));
    }
    if sim.deployment_observation(ns, &config.workload).is_none() {
        return Err(Error::bad_input(
            format!("deployment/{}", config.workload),
            "the replay's manifests have no such Deployment in its namespace",
        ));
    }
    let mut sim = warm_up(sim, ObjectRef::new(Kind::Deployment, ns, &config.workload))?;
    // The load starts at a whole interval, so minutes line up with samples.
    let t0 = (sim.now() / TICK + 1) * TICK;
    sim.advance_to(t0);
    sim.set_traffic(ns, &config.service, config.load.clone())
        .map_err(|e| Error::bad_input("replay load", e))?;
    let rescales_before = sim.autoscaler_rescales(ns);
    let filter = Filter::Deployment(config.workload.clone());
    let minutes = duration.div_ceil(60 * SECOND);
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

/// Lets the application come up before the load starts: the one wait, for at most
/// [`WARM_UP`]. A rollout that fails or is still going by then is replayed as it stands (that
/// is what the setting would meet).
fn warm_up(sim: Sim, workload: ObjectRef) -> Result<Sim> {
    let backend = SimBackend::from_sim(sim);
    // The simulator's clock and change signal need no I/O or timers: a bare executor runs the
    // wait on this replay's own thread.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .map_err(|e| Error::bad_input("replay", format!("cannot start a replay: {e}")))?;
    let waited = runtime.block_on(async {
        let deadline = Deadline::within(
            rollplay_core::ClusterBackend::now(&backend),
            Duration::from_millis(WARM_UP),
            None,
        );
        wait_ready(
            &backend,
            &WaitFor::One(workload),
            &deadline,
            &Default::default(),
            &Quiet,
        )
        .await
    });
    match waited {
        Ok(_) | Err(Error::Rollout { .. } | Error::Timeout { .. }) => Ok(backend.into_sim()),
        Err(e) => Err(e),
    }
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
    super::change::merge_patch(&mut hpa["spec"], patch);
    let loaded = rollplay_core::manifest::load_value(hpa, "<replay autoscaler>")?;
    rollplay_k8s::validate_all(&loaded)?;
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

impl Rehearsal for SimBackend {
    /// Replays with this simulator's image profiles as they are now.
    fn replay_all(&self, configs: &[ReplayConfig], threads: usize) -> Vec<Result<ReplayReport>> {
        let profiles = self.with_sim(|sim| sim.profiles().clone());
        replay_all(configs, &profiles, threads)
    }
}
