//! The HorizontalPodAutoscaler controller in the simulator: every 15 s each autoscaler reads
//! its target's pods (CPU and memory from the traffic model, as metrics-server serves them),
//! runs one sync of the HPA algorithm (`crate::hpa`, HPA-1..16) and writes the Deployment's
//! replicas, which the Deployment controller then spreads over its ReplicaSets (HPA-16).

use super::time::rfc3339;
use super::{Key, Sim, Wake, key};
use crate::hpa::{
    CurrentValue, Decision, HpaSpec, HpaState, MetricSource, MetricSpec, PodPhase, PodSample,
    Reading, ReadyCondition, Sample, Scale,
};
use rollplay_core::kind::Kind;
use serde_json::{Value, json};

/// One autoscaler's spec, controller memory and last written status.
pub struct Autoscaler {
    pub spec: HpaSpec,
    pub state: HpaState,
    pub status: Value,
    /// Rescales written so far.
    pub rescales: u32,
    /// Which creation of this name it is: syncs scheduled for an earlier one are dropped.
    pub incarnation: u64,
}

impl Sim {
    /// Starts (or updates) the controller for an applied HorizontalPodAutoscaler; its memory of
    /// recommendations and scale events survives a spec change, as the controller's does.
    pub(super) fn autoscaler_applied(&mut self, ns: &str, name: &str, spec: HpaSpec) {
        let k = key(ns, name);
        match self.autoscalers.get_mut(&k) {
            Some(a) => a.spec = spec,
            None => {
                self.timer_seq += 1;
                let incarnation = self.timer_seq;
                self.autoscalers.insert(
                    k.clone(),
                    Autoscaler {
                        spec,
                        state: HpaState::default(),
                        status: json!({"currentReplicas": 0, "desiredReplicas": 0}),
                        rescales: 0,
                        incarnation,
                    },
                );
                self.schedule(self.now, Wake::Autoscaler(k, incarnation));
            }
        }
    }

    pub(super) fn autoscaler_deleted(&mut self, ns: &str, name: &str) {
        self.autoscalers.remove(&key(ns, name));
    }

    /// One sync of an autoscaler, then the next in 15 s.
    pub(super) fn sync_autoscaler(&mut self, k: &Key, incarnation: u64) {
        let Some(autoscaler) = self
            .autoscalers
            .get(k)
            .filter(|a| a.incarnation == incarnation)
        else {
            return;
        };
        let spec = autoscaler.spec.clone();
        let target = spec.scale_target_ref.name.clone();
        let period = autoscaler.state.config.sync_period;
        let now = self.now;
        let dk = key(&k.0, &target);
        let target_scale = self
            .deployments
            .get(&dk)
            .filter(|_| spec.scale_target_ref.kind == "Deployment")
            .map(|d| {
                let scale = Scale {
                    spec_replicas: d.spec.replicas as i64,
                    status_replicas: d.status.replicas as i64,
                };
                (scale, d.spec.selector.clone())
            });
        let decision = target_scale.map(|(scale, selector)| {
            let mut state =
                std::mem::take(&mut self.autoscalers.get_mut(k).expect("present").state);
            let reader = |metric: &MetricSpec| self.read_metric(&k.0, &selector, metric);
            let decision = state.sync(&spec, now, scale, &reader);
            self.autoscalers.get_mut(k).expect("present").state = state;
            decision
        });
        match decision {
            Some(decision) => self.write_decision(k, &dk, &spec, decision),
            None => {
                let message = format!(
                    "the HPA controller was unable to get the target's current scale: {}.apps \"{target}\" not found",
                    spec.scale_target_ref.kind.to_ascii_lowercase() + "s"
                );
                self.failed_get_scale(k, message);
            }
        }
        self.schedule(now + period, Wake::Autoscaler(k.clone(), incarnation));
    }

    fn write_decision(&mut self, k: &Key, dk: &Key, spec: &HpaSpec, decision: Decision) {
        let now = self.now;
        let current = self
            .deployments
            .get(dk)
            .map(|d| d.spec.replicas)
            .unwrap_or(0);
        // The status reports the replicas the sync started from, as the controller's does.
        let replicas_at_sync = self
            .deployments
            .get(dk)
            .map(|d| d.status.replicas)
            .unwrap_or(0);
        if decision.rescale && decision.desired_replicas as i32 != current {
            let desired = decision.desired_replicas as i32;
            let _ = self.change_scale(&dk.0, &dk.1, desired);
            if let Some(a) = self.autoscalers.get_mut(k) {
                a.rescales += 1;
            }
            self.trace_note(
                "hpa",
                json!({"ns": k.0, "name": k.1, "from": current, "to": desired, "reason": decision.reason}),
            );
        }
        if let Some(event) = &decision.event {
            self.event(
                Kind::HorizontalPodAutoscaler,
                &k.0,
                &k.1,
                event.reason,
                event.message.clone(),
            );
        }
        let Some(a) = self.autoscalers.get_mut(k) else {
            return;
        };
        let previous = a.status.get("conditions").cloned().unwrap_or(json!([]));
        let updated: Vec<Value> = decision
            .conditions
            .iter()
            .map(|c| {
                let kind = c.kind.as_str();
                let status = if c.status { "True" } else { "False" };
                let since = transition_time(&previous, kind, status, now);
                json!({"type": kind, "status": status, "reason": c.reason, "message": c.message, "lastTransitionTime": since})
            })
            .collect();
        let conditions = merge_conditions(&previous, updated);
        let metrics: Vec<Value> = spec
            .metrics
            .iter()
            .zip(decision.current_metrics.iter())
            .filter_map(|(m, v)| v.as_ref().map(|v| current_metric(m, v)))
            .collect();
        let mut status = json!({
            "currentReplicas": replicas_at_sync,
            "desiredReplicas": decision.desired_replicas,
            "currentMetrics": metrics,
            "conditions": conditions,
        });
        let last_scale = if decision.rescale {
            Some(Value::from(rfc3339(now)))
        } else {
            a.status.get("lastScaleTime").cloned()
        };
        if let Some(t) = last_scale {
            status["lastScaleTime"] = t;
        }
        a.status = status;
    }

    /// The status of a target that cannot be scaled: AbleToScale False; the other conditions
    /// stay as they were (HPA-15).
    fn failed_get_scale(&mut self, k: &Key, message: String) {
        let now = self.now;
        let Some(a) = self.autoscalers.get_mut(k) else {
            return;
        };
        let previous = a.status.get("conditions").cloned().unwrap_or(json!([]));
        let since = transition_time(&previous, "AbleToScale", "False", now);
        let failed = json!({
            "type": "AbleToScale", "status": "False", "reason": "FailedGetScale",
            "message": message, "lastTransitionTime": since,
        });
        a.status["conditions"] = Value::Array(merge_conditions(&previous, vec![failed]));
        self.event(
            Kind::HorizontalPodAutoscaler,
            &k.0,
            &k.1,
            "FailedGetScale",
            message,
        );
    }

    /// What the metrics APIs answer for one metric: pod samples of CPU and memory from the
    /// traffic model; no custom or external metrics exist in the simulator.
    fn read_metric(
        &self,
        ns: &str,
        selector: &rollplay_k8s::LabelSelector,
        metric: &MetricSpec,
    ) -> Result<Reading, String> {
        let (resource, container) = match &metric.source {
            MetricSource::Resource { name } => (name.as_str(), None),
            MetricSource::ContainerResource { name, container } => {
                (name.as_str(), Some(container.as_str()))
            }
            other => {
                return Err(format!(
                    "unable to get metric {}: the simulator serves only the resource metrics cpu and memory ({other:?} is not simulated)",
                    metric.describe()
                ));
            }
        };
        if resource != "cpu" && resource != "memory" {
            return Err(format!(
                "unable to get metrics for resource {resource}: no metrics returned from resource metrics API"
            ));
        }
        let mut pods = Vec::new();
        for (id, p) in self
            .pods
            .iter()
            .filter(|(_, p)| p.meta.namespace == ns && selector.matches(&p.meta.labels))
        {
            let chosen: Vec<usize> = (0..p.template.containers.len())
                .filter(|&i| container.is_none_or(|n| p.template.containers[i].name == n))
                .collect();
            if let (Some(name), true) = (container, chosen.is_empty()) {
                return Err(format!(
                    "unable to get metric {}: container {name} not present in metrics for pod {}/{}",
                    metric.describe(),
                    ns,
                    p.meta.name
                ));
            }
            let request = if resource == "cpu" {
                chosen
                    .iter()
                    .map(|&i| p.template.containers[i].cpu_request_milli)
                    .sum::<Option<i64>>()
            } else {
                chosen
                    .iter()
                    .map(|&i| p.template.containers[i].memory_request_milli)
                    .sum::<Option<i64>>()
            };
            // The traffic model measures a pod's CPU; its containers share it in proportion
            // to their CPU requests (equally without requests). Memory is per container.
            let cpu_share = {
                let requests: Vec<f64> = p
                    .template
                    .containers
                    .iter()
                    .map(|c| c.cpu_request_milli.unwrap_or(0) as f64)
                    .collect();
                let total: f64 = requests.iter().sum();
                if total > 0.0 {
                    chosen.iter().map(|&i| requests[i]).sum::<f64>() / total
                } else {
                    chosen.len() as f64 / requests.len().max(1) as f64
                }
            };
            let sample = self.traffic.store.pod_cpu(*id).map(|(cpu, at, window)| {
                let value_milli = if resource == "cpu" {
                    (cpu * cpu_share).round() as i64
                } else {
                    let mb: f64 = chosen
                        .iter()
                        .filter_map(|&i| p.containers.get(i))
                        .map(|c| c.profile.memory_mb)
                        .sum();
                    (mb * 1024.0 * 1024.0 * 1000.0) as i64
                };
                Sample {
                    value_milli,
                    timestamp: at,
                    window,
                }
            });
            pods.push(PodSample {
                name: p.meta.name.clone(),
                phase: PodPhase::Running,
                deleting: p.meta.deleting.is_some(),
                ready: Some(ReadyCondition {
                    status: p.ready,
                    last_transition: p.ready_since,
                }),
                start_time: Some(p.meta.created),
                request_milli: request,
                sample,
            });
        }
        Ok(Reading::Pods(pods))
    }

    /// Rescales all autoscalers of a namespace have written.
    pub fn autoscaler_rescales(&self, ns: &str) -> u32 {
        self.autoscalers
            .iter()
            .filter(|((n, _), _)| n == ns)
            .map(|(_, a)| a.rescales)
            .sum()
    }

    /// The status the autoscaler last wrote.
    pub(super) fn autoscaler_status(&self, ns: &str, name: &str) -> Option<&Value> {
        self.autoscalers.get(&key(ns, name)).map(|a| &a.status)
    }
}

fn current_metric(metric: &MetricSpec, value: &CurrentValue) -> Value {
    let mut current = json!({});
    if let Some(u) = value.average_utilization {
        current["averageUtilization"] = json!(u);
    }
    if let Some(v) = value.average_value_milli {
        current["averageValue"] = json!(quantity(v));
    }
    if let Some(v) = value.value_milli {
        current["value"] = json!(quantity(v));
    }
    match &metric.source {
        MetricSource::Resource { name } => {
            json!({"type": "Resource", "resource": {"name": name, "current": current}})
        }
        MetricSource::ContainerResource { name, container } => {
            json!({"type": "ContainerResource", "containerResource": {"name": name, "container": container, "current": current}})
        }
        MetricSource::Pods { name } => {
            json!({"type": "Pods", "pods": {"metric": {"name": name}, "current": current}})
        }
        MetricSource::Object { name, .. } => {
            json!({"type": "Object", "object": {"metric": {"name": name}, "current": current}})
        }
        MetricSource::External { name, .. } => {
            json!({"type": "External", "external": {"metric": {"name": name}, "current": current}})
        }
    }
}

/// A milli-value as the API prints quantities: whole units without a suffix, else `m`.
fn quantity(milli: i64) -> String {
    if milli % 1000 == 0 {
        (milli / 1000).to_string()
    } else {
        format!("{milli}m")
    }
}

/// A condition's `lastTransitionTime`: kept from the previous conditions while its status
/// stays the same, now when it changes.
fn transition_time(previous: &Value, kind: &str, status: &str, now: super::time::SimTime) -> Value {
    previous
        .as_array()
        .and_then(|p| {
            p.iter()
                .find(|o| o["type"] == kind && o["status"] == status)
        })
        .and_then(|o| o.get("lastTransitionTime").cloned())
        .unwrap_or_else(|| Value::from(rfc3339(now)))
}

/// The conditions a sync set replace those of their type; the others are kept (the controller
/// updates `status.conditions` in place), in the API's order.
fn merge_conditions(previous: &Value, updated: Vec<Value>) -> Vec<Value> {
    const ORDER: [&str; 3] = ["AbleToScale", "ScalingActive", "ScalingLimited"];
    let mut all: Vec<Value> = previous
        .as_array()
        .map(|p| {
            p.iter()
                .filter(|o| !updated.iter().any(|u| u["type"] == o["type"]))
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    all.extend(updated);
    all.sort_by_key(|c| {
        ORDER
            .iter()
            .position(|t| c["type"] == *t)
            .unwrap_or(ORDER.len())
    });
    all
}
