//! The simulator as a backend: every call runs against one in-process `Sim`, and waiting
//! advances virtual time to the next thing that can change the answer.

use super::{
    Applied, ClusterBackend, DrainReport, EndpointInfo, EventInfo, Eviction, HistoryEntry,
    ImageChange, MetricsFilter, MetricsReport, NodeInfo, PodSummary, ProgressSink, Rate,
    RollbackOutcome, WorkloadStatus,
};
use crate::duration::format_duration;
use crate::error::{Error, Result};
use crate::kind::Kind;
use crate::manifest::Manifest;
use crate::objref::ObjectRef;
use crate::rollout::status as verdicts;
use crate::sim::time::{SimTime, unix_seconds};
use crate::sim::{Profiles, Sim};
use async_trait::async_trait;
use parking_lot::{Mutex, MutexGuard};
use serde_json::Value;
use std::collections::BTreeMap;
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

pub const TARGET: &str = "sim";

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
        SimBackend {
            sim: Mutex::new(Sim::with_profiles(seed, profiles)),
            clock: AtomicU64::new(0),
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
    async fn advance(&self, target: SimTime, cancel: &CancellationToken, what: &str) -> Result<()> {
        let Some(pace) = self.pace else {
            self.sim().advance_to(target);
            return Ok(());
        };
        loop {
            let now = self.sim().now();
            if now >= target {
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

    /// Records the trace from now on.
    pub fn enable_trace(&self) {
        self.sim().enable_trace();
    }

    /// Direct access, for tests and benchmarks.
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
        Ok(WorkloadStatus::from_parts(summary, &verdict))
    }
}

fn ms(d: Duration) -> SimTime {
    d.as_millis() as SimTime
}

#[async_trait]
impl ClusterBackend for SimBackend {
    fn target(&self) -> &str {
        TARGET
    }

    fn now(&self) -> f64 {
        unix_seconds(self.clock.load(Ordering::Acquire))
    }

    fn virtual_time(&self) -> bool {
        true
    }

    async fn apply(&self, manifests: &[Manifest], namespace: &str) -> Result<Vec<Applied>> {
        self.sim().apply(manifests, namespace)
    }

    async fn get(&self, object: &ObjectRef, namespace: &str) -> Result<Option<Value>> {
        Ok(self
            .sim()
            .get(object.kind, object.namespace_or(namespace), &object.name))
    }

    async fn list(&self, kind: Kind, namespace: &str) -> Result<Vec<Value>> {
        Ok(self.sim().list(kind, namespace))
    }

    async fn delete(&self, object: &ObjectRef, namespace: &str) -> Result<bool> {
        self.sim()
            .delete(object.kind, object.namespace_or(namespace), &object.name)
    }

    async fn scale(
        &self,
        workload: &ObjectRef,
        namespace: &str,
        replicas: i32,
    ) -> Result<(i32, i32)> {
        let name = self.deployment(workload, "scale")?;
        self.sim()
            .scale(workload.namespace_or(namespace), name, replicas)
    }

    async fn set_image(
        &self,
        workload: &ObjectRef,
        namespace: &str,
        container: Option<&str>,
        image: &str,
    ) -> Result<ImageChange> {
        let name = self.deployment(workload, "set_image")?;
        self.sim()
            .set_image(workload.namespace_or(namespace), name, container, image)
    }

    async fn set_paused(
        &self,
        workload: &ObjectRef,
        namespace: &str,
        paused: bool,
    ) -> Result<bool> {
        let name = self.deployment(workload, if paused { "pause" } else { "resume" })?;
        self.sim()
            .set_paused(workload.namespace_or(namespace), name, paused)
    }

    async fn rollback(
        &self,
        workload: &ObjectRef,
        namespace: &str,
        to_revision: i64,
    ) -> Result<RollbackOutcome> {
        let name = self.deployment(workload, "rollback")?;
        self.sim()
            .rollback(workload.namespace_or(namespace), name, to_revision)
    }

    async fn switch_selector(
        &self,
        service: &ObjectRef,
        namespace: &str,
        selector: BTreeMap<String, String>,
    ) -> Result<BTreeMap<String, String>> {
        let name = self.service(service, "switch_selector")?;
        self.sim()
            .switch_selector(service.namespace_or(namespace), name, selector)
    }

    async fn status(&self, workload: &ObjectRef, namespace: &str) -> Result<WorkloadStatus> {
        let name = self.deployment(workload, "status")?;
        Self::status_now(&self.sim(), workload.namespace_or(namespace), name)
    }

    async fn wait_ready(
        &self,
        workload: &ObjectRef,
        namespace: &str,
        timeout: Duration,
        cancel: &CancellationToken,
        progress: &dyn ProgressSink,
    ) -> Result<WorkloadStatus> {
        let name = self.deployment(workload, "wait_ready")?;
        let ns = workload.namespace_or(namespace);
        let object = format!("deployment/{name}");
        let deadline = self.sim().now().saturating_add(ms(timeout));
        let mut last = String::new();
        loop {
            let (status, now, next) = {
                let sim = self.sim();
                let status = Self::status_now(&sim, ns, name)?;
                (
                    status,
                    sim.now(),
                    sim.next_wake().unwrap_or(deadline).min(deadline),
                )
            };
            let line = match &status.error {
                Some(e) => format!("error: {e}"),
                None => status.message.clone(),
            };
            if line != last {
                progress.progress(&object, &line, unix_seconds(now));
                last = line;
            }
            if status.done {
                return Ok(status);
            }
            if let Some(error) = status.error {
                return Err(Error::Rollout {
                    object,
                    target: TARGET.into(),
                    message: error,
                });
            }
            if now >= deadline {
                return Err(Error::Timeout {
                    object,
                    target: TARGET.into(),
                    after: format_duration(timeout),
                    last,
                });
            }
            if cancel.is_cancelled() {
                return Err(Error::Cancelled {
                    what: format!("wait_ready({object})"),
                    why: "interrupted".into(),
                });
            }
            self.advance(next, cancel, &format!("wait_ready({object})"))
                .await?;
        }
    }

    async fn history(&self, workload: &ObjectRef, namespace: &str) -> Result<Vec<HistoryEntry>> {
        let name = self.deployment(workload, "history")?;
        let ns = workload.namespace_or(namespace);
        let sim = self.sim();
        sim.deployment_history(ns, name)
            .ok_or_else(|| sim.not_found(Kind::Deployment, ns, name))
    }

    async fn pods(&self, workload: &ObjectRef, namespace: &str) -> Result<Vec<PodSummary>> {
        let name = self.deployment(workload, "pods")?;
        let ns = workload.namespace_or(namespace);
        let sim = self.sim();
        sim.deployment_pods(ns, name)
            .ok_or_else(|| sim.not_found(Kind::Deployment, ns, name))
    }

    async fn events(&self, object: &ObjectRef, namespace: &str) -> Result<Vec<EventInfo>> {
        let ns = object.namespace_or(namespace);
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

    async fn endpoints(&self, service: &ObjectRef, namespace: &str) -> Result<Vec<EndpointInfo>> {
        let name = self.service(service, "endpoints")?;
        let ns = service.namespace_or(namespace);
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

    async fn sleep(&self, duration: Duration, cancel: &CancellationToken) -> Result<()> {
        if cancel.is_cancelled() {
            return Err(Error::Cancelled {
                what: "sleep".into(),
                why: "interrupted".into(),
            });
        }
        let target = self.sim().now().saturating_add(ms(duration));
        self.advance(target, cancel, "sleep").await
    }

    async fn sim_image(&self, image: &str, profile: &Value) -> Result<Value> {
        let p = self.sim().set_profile(image, profile)?;
        Ok(serde_json::to_value(p).expect("profile serialises"))
    }

    async fn metrics(
        &self,
        filter: &MetricsFilter,
        namespace: &str,
        window: Duration,
    ) -> Result<MetricsReport> {
        let sim = self.sim();
        if let MetricsFilter::Deployment(name) = filter
            && sim.deployment_observation(namespace, name).is_none()
        {
            return Err(sim.not_found(Kind::Deployment, namespace, name));
        }
        sim.metrics(namespace, filter, ms(window))
    }

    async fn sim_traffic(&self, service: &ObjectRef, namespace: &str, rate: Rate) -> Result<()> {
        let name = self.service(service, "sim_traffic")?;
        let ns = service.namespace_or(namespace);
        let mut sim = self.sim();
        if sim.get(Kind::Service, ns, name).is_none() {
            return Err(sim.not_found(Kind::Service, ns, name));
        }
        sim.set_traffic(ns, name, rate)
            .map_err(|e| Error::bad_input(format!("sim_traffic(\"{name}\")"), e))
    }

    async fn evict(&self, pod: &str, namespace: &str) -> Result<Eviction> {
        let decision = self.sim().evict(namespace, pod)?;
        Ok(Eviction {
            pod: pod.to_string(),
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
        timeout: Duration,
        cancel: &CancellationToken,
        progress: &dyn ProgressSink,
    ) -> Result<DrainReport> {
        use crate::pdb::{
            DRAIN_RETRY, DrainStep, drain_step, evicted_line, termination_timeout_error,
            timeout_error,
        };
        let (started, mut pending) = {
            let mut sim = self.sim();
            sim.cordon(node, true)?;
            (sim.now(), sim.pods_on_node(node))
        };
        let object = format!("node/{node}");
        progress.progress(
            &object,
            &format!("node/{node} cordoned"),
            unix_seconds(started),
        );
        let deadline = started.saturating_add(ms(timeout));
        let mut report = DrainReport {
            node: node.to_string(),
            evicted: Vec::new(),
            refused: 0,
            seconds: 0.0,
        };
        let mut gone_wait = Vec::new();
        // Either wait ends the same way when time runs out: an error, the node left cordoned.
        let timed_out = |object: String, why: String| Error::Timeout {
            object,
            target: TARGET.into(),
            after: format_duration(timeout),
            last: format!("{why}; node/{node} stays cordoned"),
        };
        loop {
            let mut refused = Vec::new();
            for (ns, pod) in pending {
                let (decision, now) = {
                    let mut sim = self.sim();
                    (sim.evict(&ns, &pod), sim.now())
                };
                let decision = match decision {
                    Ok(d) => d,
                    // Already gone: what the drain wanted.
                    Err(Error::NotFound { .. }) => continue,
                    Err(e) => return Err(e),
                };
                match drain_step(&ns, &pod, &decision) {
                    DrainStep::Evicted => {
                        report.evicted.push(format!("{ns}/{pod}"));
                        gone_wait.push((ns, pod));
                    }
                    DrainStep::Retry { stderr, .. } => {
                        report.refused += 1;
                        progress.progress(&object, &stderr, unix_seconds(now));
                        refused.push((ns, pod));
                    }
                    DrainStep::Failed { error } => {
                        return Err(Error::Refused {
                            object: format!("pod/{pod}"),
                            target: TARGET.into(),
                            message: error,
                        });
                    }
                }
            }
            pending = refused;
            let now = self.sim().now();
            if pending.is_empty() {
                break;
            }
            if now + DRAIN_RETRY >= deadline {
                let (ns, pod) = &pending[0];
                return Err(timed_out(object, timeout_error(ns, pod, ms(timeout))));
            }
            self.advance(now + DRAIN_RETRY, cancel, &format!("drain({node})"))
                .await?;
        }
        // kubectl waits until the evicted pods are deleted, within the same timeout.
        loop {
            let (still_there, now, next) = {
                let sim = self.sim();
                (
                    gone_wait
                        .iter()
                        .find(|(ns, p)| sim.get(Kind::Pod, ns, p).is_some())
                        .cloned(),
                    sim.now(),
                    sim.next_wake().unwrap_or(deadline).min(deadline),
                )
            };
            let Some((ns, pod)) = still_there else {
                break;
            };
            if now >= deadline {
                return Err(timed_out(object, termination_timeout_error(&ns, &pod)));
            }
            self.advance(next.max(now + 1), cancel, &format!("drain({node})"))
                .await?;
        }
        for p in &report.evicted {
            let name = p.split('/').nth(1).unwrap_or(p);
            progress.progress(&object, &evicted_line(name), unix_seconds(self.sim().now()));
        }
        report.seconds = (self.sim().now() - started) as f64 / 1000.0;
        Ok(report)
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

    fn sim_profiles(&self) -> Profiles {
        self.sim().profiles().clone()
    }

    fn trace(&self) -> Option<Vec<String>> {
        Some(self.sim().trace_lines().to_vec())
    }

    fn note_action(&self, action: &Value) {
        self.sim().trace_note("action", action.clone());
    }
}
