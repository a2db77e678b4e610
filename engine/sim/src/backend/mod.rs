//! The simulator as a target: every call runs against one in-process `Sim`. Its clock is
//! virtual, and its change signal is the next thing due in the simulation, so the core's one
//! wait advances virtual time exactly to the instants that can change an answer.

mod drain;

use crate::time::{SimTime, from_unix_seconds, unix_seconds};
use crate::{DeploymentSummary, Profiles, Sim, TARGET};
use async_trait::async_trait;
use parking_lot::{Mutex, MutexGuard};
use rollplay_core::backend::Deadline;
use rollplay_core::backend::{
    ApplyOutcome, Capabilities, Capability, ClusterBackend, Condition, DrainReport, EndpointInfo,
    EventInfo, Eviction, HistoryEntry, ImageChange, MetricsFilter, MetricsInterval, MetricsReport,
    NodeInfo, PodSummary, ProgressSink, Rate, RollbackOutcome, RollbackTo, RolloutState,
    SimControls, WorkloadStatus,
};
use rollplay_core::error::{Error, Result};
use rollplay_core::kind::Kind;
use rollplay_core::manifest::Manifest;
use rollplay_core::objref::ObjectRef;
use rollplay_core::selector::Selector;
use rollplay_k8s::rollout::{RolloutStatus, status as verdicts};
use serde_json::Value;
use std::collections::BTreeMap;
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

pub struct SimBackend {
    sim: Mutex<Sim>,
    /// Virtual seconds per wall-clock second for waits and sleeps; None: as fast as possible.
    pace: Option<f64>,
    /// The simulator's clock as of the last release of the lock, so `now()` never waits (and
    /// progress callbacks made during a wait can read it).
    clock: AtomicU64,
}

/// The locked simulator; publishes its clock when released.
struct Locked<'a> {
    guard: MutexGuard<'a, Sim>,
    clock: &'a AtomicU64,
}

impl Deref for Locked<'_> {
    type Target = Sim;
    fn deref(&self) -> &Sim {
        &self.guard
    }
}

impl DerefMut for Locked<'_> {
    fn deref_mut(&mut self) -> &mut Sim {
        &mut self.guard
    }
}

impl Drop for Locked<'_> {
    fn drop(&mut self) {
        self.clock.store(self.guard.now(), Ordering::Release);
    }
}

impl SimBackend {
    pub fn new(seed: u64, profiles: Profiles) -> SimBackend {
        SimBackend::from_sim(Sim::with_profiles(seed, profiles))
    }

    /// A backend over a simulator set up beforehand (replays, conformance, tests).
    pub fn from_sim(sim: Sim) -> SimBackend {
        SimBackend {
            clock: AtomicU64::new(sim.now()),
            sim: Mutex::new(sim),
            pace: None,
        }
    }

    /// Plays waits and sleeps at `factor` virtual seconds per wall-clock second (1 = real time),
    /// to watch a rollout unfold or to interrupt it.
    pub fn with_pace(mut self, factor: Option<f64>) -> SimBackend {
        self.pace = factor.filter(|f| f.is_finite() && *f > 0.0);
        self
    }

    /// Advances virtual time to `target`: at once, or in steps of at most 100 ms of wall time
    /// when paced, stopping as soon as `cancel` fires.
    pub(crate) async fn advance(
        &self,
        target: SimTime,
        cancel: &CancellationToken,
        what: &str,
    ) -> Result<()> {
        let Some(pace) = self.pace else {
            self.sim().advance_to(target);
            return Ok(());
        };
        loop {
            let now = self.sim().now();
            if now >= target {
                // What is due now still runs: a wake at the present instant must not spin.
                self.sim().advance_to(now);
                return Ok(());
            }
            let step = (target - now).min(((100.0 * pace).round() as SimTime).max(1));
            let wall = Duration::from_secs_f64(step as f64 / 1000.0 / pace);
            tokio::select! {
                _ = cancel.cancelled() => {
                    return Err(Error::Cancelled { what: what.into(), why: "interrupted".into() });
                }
                _ = tokio::time::sleep(wall) => {}
            }
            self.sim().advance_to(now + step);
        }
    }

    fn sim(&self) -> Locked<'_> {
        Locked {
            guard: self.sim.lock(),
            clock: &self.clock,
        }
    }

    /// The simulator itself, for a replay to go on with after a wait.
    pub fn into_sim(self) -> Sim {
        self.sim.into_inner()
    }

    /// Direct access, for tests, benchmarks and replays.
    pub fn with_sim<T>(&self, f: impl FnOnce(&mut Sim) -> T) -> T {
        f(&mut self.sim())
    }

    fn deployment<'a>(&self, workload: &'a ObjectRef, primitive: &str) -> Result<&'a str> {
        match workload.kind {
            Kind::Deployment => Ok(&workload.name),
            other => Err(Error::Unsupported {
                primitive: primitive.into(),
                target: TARGET.into(),
                reason: format!(
                    "the simulator rolls out Deployments; {}/{} is a {other}",
                    other.singular(),
                    workload.name
                ),
            }),
        }
    }

    fn service<'a>(&self, service: &'a ObjectRef, primitive: &str) -> Result<&'a str> {
        match service.kind {
            Kind::Service => Ok(&service.name),
            other => Err(Error::bad_input(
                format!("{primitive}(\"{}/{}\")", other.singular(), service.name),
                "expected a Service, e.g. \"web\" or \"service/web\"",
            )),
        }
    }

    fn status_now(sim: &Sim, ns: &str, name: &str) -> Result<WorkloadStatus> {
        let summary = sim
            .deployment_summary(ns, name)
            .ok_or_else(|| sim.not_found(Kind::Deployment, ns, name))?;
        let verdict =
            verdicts::deployment(&sim.deployment_observation(ns, name).expect("exists"), 0);
        Ok(workload_status(summary, &verdict))
    }
}

/// A Deployment's summary and `kubectl rollout status` verdict as the portable status.
fn workload_status(summary: DeploymentSummary, verdict: &RolloutStatus) -> WorkloadStatus {
    let state = if verdict.done {
        RolloutState::Complete
    } else if verdict.error.is_some() {
        RolloutState::Failed
    } else if summary.paused {
        RolloutState::Paused
    } else {
        RolloutState::Progressing
    };
    WorkloadStatus {
        kind: "Deployment".into(),
        name: summary.name,
        namespace: summary.namespace,
        state,
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
        conditions: summary
            .conditions
            .into_iter()
            .map(|(type_, status, reason, message)| Condition {
                type_,
                status,
                reason,
                message,
            })
            .collect(),
        message: verdict
            .message
            .clone()
            .unwrap_or_default()
            .trim_end()
            .to_string(),
        error: verdict.error.clone(),
        detail: Value::Null,
    }
}

fn ms(d: Duration) -> SimTime {
    d.as_millis() as SimTime
}

/// The simulator's metrics as the portable report: instants as Unix seconds, each interval
/// with its length (the traffic model's tick).
fn metrics_report(r: crate::metrics::Report) -> MetricsReport {
    let tick = crate::traffic::TICK as f64 / 1000.0;
    MetricsReport {
        source: "simulator".into(),
        queries: Default::default(),
        requests: r.requests,
        errors: r.errors,
        seconds: r.seconds,
        p50_ms: r.p50_ms,
        p95_ms: r.p95_ms,
        p99_ms: r.p99_ms,
        cpu_utilization: r.cpu_utilization,
        memory_utilization: r.memory_utilization,
        pods: r.pods,
        samples: r
            .samples
            .into_iter()
            .map(|i| MetricsInterval {
                at: unix_seconds(i.at),
                seconds: tick,
                pods: i.pods,
                requests: i.requests,
                errors: i.errors,
                p50_ms: i.p50_ms,
                p95_ms: i.p95_ms,
                p99_ms: i.p99_ms,
                cpu_utilization: i.cpu_utilization,
            })
            .collect(),
    }
}

#[async_trait]
impl ClusterBackend for SimBackend {
    fn target(&self) -> &str {
        TARGET
    }

    fn capabilities(&self) -> Capabilities {
        // No traffic router: a canary's share of traffic is its share of ready pods.
        Capabilities::new([
            Capability::Metrics,
            Capability::Nodes,
            Capability::NumberedRevisions,
            Capability::Selectors,
            Capability::Pause,
            Capability::Simulator,
        ])
    }

    fn now(&self) -> f64 {
        unix_seconds(self.clock.load(Ordering::Acquire))
    }

    fn virtual_time(&self) -> bool {
        true
    }

    async fn sleep_until(&self, at: f64, cancel: &CancellationToken) -> Result<()> {
        if cancel.is_cancelled() {
            return Err(Error::Cancelled {
                what: "sleep".into(),
                why: "interrupted".into(),
            });
        }
        self.advance(from_unix_seconds(at), cancel, "sleep").await
    }

    async fn changed(
        &self,
        _objects: &[&ObjectRef],
        until: f64,
        cancel: &CancellationToken,
    ) -> Result<()> {
        let until = from_unix_seconds(until);
        let next = self.sim().next_wake().unwrap_or(until).min(until);
        self.advance(next, cancel, "wait_ready").await
    }

    async fn validate(&self, batch: &[Manifest], namespace: &str) -> Result<()> {
        self.sim().validate_batch(batch, namespace)
    }

    async fn apply(&self, batch: &[Manifest], namespace: &str) -> ApplyOutcome {
        self.sim().apply_batch(batch, namespace)
    }

    async fn get(&self, object: &ObjectRef) -> Result<Option<Value>> {
        Ok(self.sim().get(object.kind, &object.namespace, &object.name))
    }

    async fn list(&self, kind: Kind, namespace: &str) -> Result<Vec<Value>> {
        Ok(self.sim().list(kind, namespace))
    }

    /// The simulator is this process's own cluster: no other run can change it (`sim serve`,
    /// which others can reach, stores the Leases the kube target takes).
    async fn lock(
        &self,
        _object: &ObjectRef,
        _holder: &rollplay_core::backend::LockHolder,
        _force: bool,
    ) -> Result<rollplay_core::backend::LockOutcome> {
        Ok(rollplay_core::backend::LockOutcome::Private)
    }

    async fn delete(&self, object: &ObjectRef) -> Result<bool> {
        self.sim()
            .delete(object.kind, &object.namespace, &object.name)
    }

    async fn scale(&self, workload: &ObjectRef, replicas: i32) -> Result<(i32, i32)> {
        let name = self.deployment(workload, "scale")?;
        self.sim().scale(&workload.namespace, name, replicas)
    }

    async fn set_image(
        &self,
        workload: &ObjectRef,
        container: Option<&str>,
        image: &str,
    ) -> Result<ImageChange> {
        let name = self.deployment(workload, "set_image")?;
        self.sim()
            .set_image(&workload.namespace, name, container, image)
    }

    async fn set_paused(&self, workload: &ObjectRef, paused: bool) -> Result<bool> {
        let name = self.deployment(workload, if paused { "pause" } else { "resume" })?;
        self.sim().set_paused(&workload.namespace, name, paused)
    }

    async fn rollback(&self, workload: &ObjectRef, to: RollbackTo) -> Result<RollbackOutcome> {
        let name = self.deployment(workload, "rollback")?;
        self.sim().rollback(&workload.namespace, name, to)
    }

    async fn switch_selector(
        &self,
        service: &ObjectRef,
        selector: BTreeMap<String, String>,
    ) -> Result<BTreeMap<String, String>> {
        let name = self.service(service, "switch_selector")?;
        self.sim()
            .switch_selector(&service.namespace, name, selector)
    }

    async fn status(&self, workload: &ObjectRef) -> Result<WorkloadStatus> {
        let name = self.deployment(workload, "status")?;
        Self::status_now(&self.sim(), &workload.namespace, name)
    }

    async fn select(
        &self,
        kind: Kind,
        namespace: &str,
        selector: &Selector,
    ) -> Result<Vec<ObjectRef>> {
        let sim = self.sim();
        Ok(sim
            .list(kind, namespace)
            .iter()
            .filter(|o| {
                selector.matches(&rollplay_k8s::json::string_map(
                    o.pointer("/metadata/labels"),
                ))
            })
            .filter_map(|o| o.pointer("/metadata/name").and_then(Value::as_str))
            .map(|name| ObjectRef::new(kind, namespace, name))
            .collect())
    }

    async fn history(&self, workload: &ObjectRef) -> Result<Vec<HistoryEntry>> {
        let name = self.deployment(workload, "history")?;
        let ns = &workload.namespace;
        let sim = self.sim();
        sim.deployment_history(ns, name)
            .ok_or_else(|| sim.not_found(Kind::Deployment, ns, name))
    }

    async fn pods(&self, workload: &ObjectRef) -> Result<Vec<PodSummary>> {
        let name = self.deployment(workload, "pods")?;
        let ns = &workload.namespace;
        let sim = self.sim();
        sim.deployment_pods(ns, name)
            .ok_or_else(|| sim.not_found(Kind::Deployment, ns, name))
    }

    async fn events(&self, object: &ObjectRef) -> Result<Vec<EventInfo>> {
        let ns = &object.namespace;
        let sim = self.sim();
        if sim.get(object.kind, ns, &object.name).is_none() {
            return Err(sim.not_found(object.kind, ns, &object.name));
        }
        Ok(sim
            .events_about(object.kind, ns, &object.name)
            .into_iter()
            .map(|e| EventInfo {
                time: sim.timestamp(e.last),
                seconds: unix_seconds(e.last),
                warning: e.warning,
                reason: e.reason.to_string(),
                object: format!("{}/{}", e.kind.singular(), e.name),
                message: e.message,
                count: e.count,
            })
            .collect())
    }

    async fn endpoints(&self, service: &ObjectRef) -> Result<Vec<EndpointInfo>> {
        let name = self.service(service, "endpoints")?;
        let ns = &service.namespace;
        let sim = self.sim();
        let eps = sim
            .endpoints(ns, name)
            .ok_or_else(|| sim.not_found(Kind::Service, ns, name))?;
        Ok(eps
            .into_iter()
            .map(|e| EndpointInfo {
                pod: e.pod,
                ip: e.ip,
                ready: e.conditions.ready,
                serving: e.conditions.serving,
                terminating: e.conditions.terminating,
            })
            .collect())
    }

    async fn names(&self, kind: Kind, namespace: &str) -> Result<Vec<String>> {
        let sim = self.sim();
        Ok(match kind {
            Kind::Deployment => sim.deployment_names(namespace),
            Kind::Service => sim.service_names(namespace),
            _ => sim
                .list(kind, namespace)
                .iter()
                .filter_map(|o| {
                    o.pointer("/metadata/name")
                        .and_then(Value::as_str)
                        .map(String::from)
                })
                .collect(),
        })
    }

    async fn metrics(&self, filter: &MetricsFilter, window: Duration) -> Result<MetricsReport> {
        let sim = self.sim();
        let (namespace, filter) = match filter {
            MetricsFilter::Workload(w) => {
                let name = self.deployment(w, "metrics")?;
                if sim.deployment_observation(&w.namespace, name).is_none() {
                    return Err(sim.not_found(Kind::Deployment, &w.namespace, name));
                }
                (
                    w.namespace.as_str(),
                    crate::metrics::Filter::Deployment(name.to_string()),
                )
            }
            MetricsFilter::Selector { namespace, labels } => (
                namespace.as_str(),
                crate::metrics::Filter::Selector(labels.clone()),
            ),
        };
        sim.metrics(namespace, &filter, ms(window))
            .map(metrics_report)
    }

    /// The simulator always measures its pods: only the workload has to exist.
    async fn check_metrics(&self, filter: &MetricsFilter, _wait: Duration) -> Result<Vec<String>> {
        self.metrics(filter, Duration::from_secs(5)).await?;
        Ok(Vec::new())
    }

    async fn evict(&self, pod: &ObjectRef) -> Result<Eviction> {
        let decision = self.sim().evict(&pod.namespace, &pod.name)?;
        Ok(Eviction {
            pod: pod.name.clone(),
            http_status: decision.http_status,
            evicted: decision.pod_deleted,
            budget: decision.budget.clone(),
            message: decision.message().map(String::from),
            causes: decision.error.map(|e| e.causes).unwrap_or_default(),
        })
    }

    async fn drain(
        &self,
        node: &str,
        deadline: &Deadline,
        cancel: &CancellationToken,
        progress: &dyn ProgressSink,
    ) -> Result<DrainReport> {
        drain::drain(self, node, deadline, cancel, progress).await
    }

    async fn uncordon(&self, node: &str) -> Result<bool> {
        self.sim().cordon(node, false)
    }

    async fn nodes(&self) -> Result<Vec<NodeInfo>> {
        let sim = self.sim();
        Ok(sim
            .node_names()
            .into_iter()
            .map(|name| NodeInfo {
                schedulable: !sim.is_cordoned(&name),
                pods: sim.pods_on_node(&name).len(),
                name,
            })
            .collect())
    }

    fn simulator(&self) -> Option<&dyn SimControls> {
        Some(self)
    }
}

impl SimControls for SimBackend {
    fn set_image_profile(&self, image: &str, profile: &Value) -> Result<Value> {
        let p = self.sim().set_profile(image, profile)?;
        Ok(serde_json::to_value(p).expect("profile serialises"))
    }

    fn set_traffic(&self, service: &ObjectRef, rate: Rate) -> Result<()> {
        let name = self.service(service, "sim_traffic")?;
        let ns = &service.namespace;
        let mut sim = self.sim();
        if sim.get(Kind::Service, ns, name).is_none() {
            return Err(sim.not_found(Kind::Service, ns, name));
        }
        sim.set_traffic(ns, name, rate)
            .map_err(|e| Error::bad_input(format!("sim_traffic(\"{name}\")"), e))
    }

    fn enable_trace(&self) {
        self.sim().enable_trace();
    }

    fn trace(&self) -> Vec<String> {
        self.sim().trace_lines().to_vec()
    }

    fn note_action(&self, action: &Value) {
        self.sim().trace_note("action", action.clone());
    }
}
