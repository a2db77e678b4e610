//! Read-only views of the simulated cluster: objects as the API renders them, and the
//! summaries the host API returns (status, pods, events, history).

use super::events::Event;
use super::pod::State;
use super::time::{SimTime, rfc3339, unix_seconds};
use super::{Sim, TARGET, key};
use rollplay_core::backend::{HistoryEntry, PodSummary};
use rollplay_core::error::Error;
use rollplay_core::kind::Kind;
use rollplay_k8s::rollout::DeploymentObservation;
use rollplay_k8s::{PodTemplate, annotations};
use serde_json::Value;

/// What `status(workload)` reports about a Deployment.
#[derive(Debug, Clone, PartialEq)]
pub struct DeploymentSummary {
    pub name: String,
    pub namespace: String,
    pub generation: i64,
    pub observed_generation: i64,
    pub replicas: i32,
    pub updated: i32,
    pub ready: i32,
    pub available: i32,
    pub unavailable: i32,
    pub status_replicas: i32,
    pub revision: Option<i64>,
    pub images: Vec<(String, String)>,
    pub paused: bool,
    pub strategy: String,
    /// (type, status, reason, message).
    pub conditions: Vec<(String, String, String, String)>,
}

impl Sim {
    /// An object as the API returns it.
    pub fn get(&self, kind: Kind, ns: &str, name: &str) -> Option<Value> {
        let k = key(ns, name);
        match kind {
            Kind::Deployment => self.deployments.get(&k).map(|d| d.to_value()),
            Kind::ReplicaSet => self.replicasets.get(&k).map(|rs| rs.to_value()),
            Kind::Pod => self
                .pod_names
                .get(&k)
                .and_then(|id| self.pods.get(id))
                .map(|p| p.to_value(self.now)),
            Kind::Service => self.services.get(&k).map(|s| s.to_value()),
            Kind::Event => self.event_by_name(ns, name),
            Kind::Node => self.node_object(name),
            Kind::EndpointSlice => self.endpoint_slice(ns, name),
            other => {
                let ns = if other.namespaced() { ns } else { "" };
                self.store
                    .get(other, ns, name)
                    .map(|s| self.render_stored(other, s))
            }
        }
    }

    /// Every object of a kind in a namespace ("" = all namespaces).
    pub fn list(&self, kind: Kind, ns: &str) -> Vec<Value> {
        let in_ns = |n: &String| ns.is_empty() || n == ns;
        match kind {
            Kind::Deployment => self
                .deployments
                .iter()
                .filter(|((n, _), _)| in_ns(n))
                .map(|(_, d)| d.to_value())
                .collect(),
            Kind::ReplicaSet => self
                .replicasets
                .iter()
                .filter(|((n, _), _)| in_ns(n))
                .map(|(_, r)| r.to_value())
                .collect(),
            Kind::Pod => self
                .pods
                .iter()
                .filter(|(_, p)| in_ns(&p.meta.namespace))
                .map(|(_, p)| p.to_value(self.now))
                .collect(),
            Kind::Service => self
                .services
                .iter()
                .filter(|((n, _), _)| in_ns(n))
                .map(|(_, s)| s.to_value())
                .collect(),
            Kind::Event => self.event_objects(ns),
            Kind::Node => self.node_objects(),
            Kind::EndpointSlice => self
                .services
                .keys()
                .filter(|(n, _)| in_ns(n))
                .filter_map(|(n, name)| self.endpoint_slice(n, name))
                .collect(),
            other => self
                .store
                .list(other, if other.namespaced() { ns } else { "" })
                .map(|s| self.render_stored(other, s))
                .collect(),
        }
    }

    /// A stored object as the API returns it, with the status its controller writes.
    fn render_stored(&self, kind: Kind, stored: &super::store::Stored) -> Value {
        let mut v = self.store.render(kind, stored);
        if kind == Kind::HorizontalPodAutoscaler
            && let Some(status) = self.autoscaler_status(&stored.meta.namespace, &stored.meta.name)
        {
            v["status"] = status.clone();
        }
        if kind == Kind::PodDisruptionBudget
            && let Some(status) = self.budget_status(&stored.meta.namespace, &stored.meta.name)
        {
            v["status"] = status;
        }
        v
    }

    fn endpoint_slice(&self, ns: &str, service: &str) -> Option<Value> {
        let eps = self.endpoints(ns, service)?;
        let svc = self.services.get(&key(ns, service))?;
        // The slice changes when its Service or one of its pods does; the newest of their
        // versions stands for it.
        let version = eps
            .iter()
            .filter_map(|e| {
                self.pod_names
                    .get(&key(ns, &e.pod))
                    .and_then(|id| self.pods.get(id))
            })
            .map(|p| p.meta.resource_version)
            .chain([svc.meta.resource_version])
            .max()
            .unwrap_or(0);
        Some(serde_json::json!({
            "apiVersion": "discovery.k8s.io/v1",
            "kind": "EndpointSlice",
            "metadata": {
                "name": service,
                "namespace": ns,
                "uid": svc.meta.uid.to_string(),
                "resourceVersion": version.to_string(),
                "creationTimestamp": rfc3339(svc.meta.created),
                "labels": {"kubernetes.io/service-name": service, "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io"},
            },
            "addressType": "IPv4",
            "endpoints": eps.iter().map(|e| serde_json::json!({
                "addresses": [e.ip],
                "conditions": {"ready": e.conditions.ready, "serving": e.conditions.serving, "terminating": e.conditions.terminating},
                "targetRef": {"kind": "Pod", "name": e.pod, "namespace": ns},
            })).collect::<Vec<_>>(),
        }))
    }

    pub fn deployment_names(&self, ns: &str) -> Vec<String> {
        self.deployments
            .keys()
            .filter(|(n, _)| n == ns)
            .map(|(_, d)| d.clone())
            .collect()
    }

    pub fn service_names(&self, ns: &str) -> Vec<String> {
        self.services
            .keys()
            .filter(|(n, _)| n == ns)
            .map(|(_, s)| s.clone())
            .collect()
    }

    /// What `kubectl rollout status` reads of a Deployment.
    pub fn deployment_observation(&self, ns: &str, name: &str) -> Option<DeploymentObservation> {
        self.deployments
            .get(&key(ns, name))
            .map(|d| d.observation())
    }

    pub fn deployment_summary(&self, ns: &str, name: &str) -> Option<DeploymentSummary> {
        let d = self.deployments.get(&key(ns, name))?;
        let template = PodTemplate::from_value(&d.spec.template);
        Some(DeploymentSummary {
            name: name.into(),
            namespace: ns.into(),
            generation: d.meta.generation,
            observed_generation: d.status.observed_generation,
            replicas: d.spec.replicas,
            updated: d.status.updated,
            ready: d.status.ready,
            available: d.status.available,
            unavailable: d.status.unavailable,
            status_replicas: d.status.replicas,
            revision: d.revision(),
            images: template
                .containers
                .iter()
                .map(|c| (c.name.clone(), c.image.clone()))
                .collect(),
            paused: d.spec.paused,
            strategy: d.spec.strategy.type_name().into(),
            conditions: d
                .status
                .conditions
                .iter()
                .map(|c| {
                    (
                        c.type_.to_string(),
                        c.status.to_string(),
                        c.reason.to_string(),
                        c.message.to_string(),
                    )
                })
                .collect(),
        })
    }

    /// The pods of a Deployment's ReplicaSets, terminating ones included, oldest first.
    pub fn deployment_pods(&self, ns: &str, name: &str) -> Option<Vec<PodSummary>> {
        let d = self.deployments.get(&key(ns, name))?;
        let mut out = Vec::new();
        for rs in self
            .replicasets
            .values()
            .filter(|rs| rs.meta.namespace == ns && rs.owner_uid == d.meta.uid)
        {
            for p in rs.pods.iter().filter_map(|p| self.pods.get(p)) {
                out.push((
                    p.sequence,
                    PodSummary {
                        name: p.meta.name.clone(),
                        replica_set: rs.meta.name.clone(),
                        revision: Some(rs.revision()),
                        status: p.status_word(),
                        ready: p.ready,
                        restarts: p.restarts(),
                        ip: p.ip.clone(),
                        images: p.containers.iter().map(|c| c.image.clone()).collect(),
                        created: unix_seconds(p.meta.created),
                        terminating: p.meta.deleting.is_some(),
                        node: p.node.clone(),
                    },
                ));
            }
        }
        out.sort_by_key(|(seq, _)| *seq);
        Some(out.into_iter().map(|(_, p)| p).collect())
    }

    /// Whether any container of the pod is waiting in back-off.
    pub fn pod_in_back_off(&self, ns: &str, pod: &str) -> bool {
        self.pod_names
            .get(&key(ns, pod))
            .and_then(|id| self.pods.get(id))
            .is_some_and(|p| {
                p.containers
                    .iter()
                    .any(|c| matches!(c.state, State::Waiting { .. }))
            })
    }

    /// Events about an object; for a Deployment also about its ReplicaSets and their pods.
    pub fn events_about(&self, kind: Kind, ns: &str, name: &str) -> Vec<Event> {
        let mut related: Vec<(Kind, String)> = vec![(kind, name.to_string())];
        if kind == Kind::Deployment
            && let Some(d) = self.deployments.get(&key(ns, name))
        {
            for rs in self
                .replicasets
                .values()
                .filter(|rs| rs.meta.namespace == ns && rs.owner_uid == d.meta.uid)
            {
                related.push((Kind::ReplicaSet, rs.meta.name.clone()));
            }
        }
        let rs_names: Vec<String> = related
            .iter()
            .filter(|(k, _)| *k == Kind::ReplicaSet)
            .map(|(_, n)| format!("{n}-"))
            .collect();
        let mut events: Vec<Event> = self
            .events
            .iter()
            .filter(|e| &*e.namespace == ns || !kind.namespaced())
            .filter(|e| {
                related.iter().any(|(k, n)| *k == e.kind && *n == e.name)
                    || (e.kind == Kind::Pod
                        && rs_names.iter().any(|prefix| {
                            e.name.starts_with(prefix) && e.name.len() == prefix.len() + 5
                        }))
            })
            .cloned()
            .collect();
        events.sort_by_key(|e| (e.last, e.seq));
        events
    }

    /// The revisions of a Deployment, oldest first (`kubectl rollout history`).
    pub fn deployment_history(&self, ns: &str, name: &str) -> Option<Vec<HistoryEntry>> {
        let d = self.deployments.get(&key(ns, name))?;
        let new = self.new_replicaset_name(&key(ns, name));
        let mut out: Vec<HistoryEntry> = self
            .replicasets
            .values()
            .filter(|rs| rs.meta.namespace == ns && rs.owner_uid == d.meta.uid)
            .map(|rs| HistoryEntry {
                revision: rs.revision(),
                replica_set: rs.meta.name.clone(),
                images: rs.parsed.images(),
                change_cause: rs.meta.annotations.get(annotations::CHANGE_CAUSE).cloned(),
                replicas: rs.replicas,
                current: Some(&rs.meta.name) == new.as_ref(),
            })
            .collect();
        out.sort_by_key(|h| h.revision);
        Some(out)
    }

    /// RFC 3339 rendering of a virtual instant.
    pub fn timestamp(&self, t: SimTime) -> String {
        rfc3339(t)
    }
}

/// One ReplicaSet of a Deployment.
#[derive(Debug, Clone, PartialEq)]
pub struct ReplicaSetSummary {
    pub name: String,
    pub replicas: i32,
    pub status_replicas: i32,
    pub ready: i32,
    pub available: i32,
    pub revision: i64,
    pub revision_history: Option<String>,
    pub images: Vec<String>,
    pub new: bool,
}

impl Sim {
    /// A Deployment's ReplicaSets, oldest first.
    pub fn deployment_replica_sets(&self, ns: &str, name: &str) -> Option<Vec<ReplicaSetSummary>> {
        let d = self.deployments.get(&key(ns, name))?;
        let new = self.new_replicaset_name(&key(ns, name));
        let mut sets: Vec<_> = self
            .replicasets
            .values()
            .filter(|rs| rs.meta.namespace == ns && rs.owner_uid == d.meta.uid)
            .collect();
        sets.sort_by_key(|rs| (rs.meta.created, rs.sequence));
        Some(
            sets.into_iter()
                .map(|rs| ReplicaSetSummary {
                    name: rs.meta.name.clone(),
                    replicas: rs.replicas,
                    status_replicas: rs.status.replicas,
                    ready: rs.status.ready,
                    available: rs.status.available,
                    revision: rs.revision(),
                    revision_history: rs
                        .meta
                        .annotations
                        .get(annotations::REVISION_HISTORY)
                        .cloned(),
                    images: rs.parsed.images(),
                    new: Some(&rs.meta.name) == new.as_ref(),
                })
                .collect(),
        )
    }
}

impl Sim {
    /// A Deployment condition with its virtual times.
    pub fn deployment_condition(
        &self,
        ns: &str,
        name: &str,
        type_: &str,
    ) -> Option<super::controller::status::Condition> {
        self.deployments
            .get(&key(ns, name))?
            .status
            .condition(type_)
            .cloned()
    }
}

impl Sim {
    /// The error for a missing object, with a hint: the namespace it is in, or a close name.
    pub fn not_found(&self, kind: Kind, ns: &str, name: &str) -> Error {
        let elsewhere: Vec<String> = match kind {
            Kind::Deployment => self
                .deployments
                .keys()
                .filter(|(n, d)| d == name && n != ns)
                .map(|(n, _)| n.clone())
                .collect(),
            Kind::Service => self
                .services
                .keys()
                .filter(|(n, s)| s == name && n != ns)
                .map(|(n, _)| n.clone())
                .collect(),
            _ => Vec::new(),
        };
        let hint = if let Some(other) = elsewhere.first() {
            format!(
                "; it exists in namespace \"{other}\": pass -n {other}, or use the object that apply() returned"
            )
        } else {
            let names: Vec<String> = match kind {
                Kind::Deployment => self
                    .deployments
                    .keys()
                    .filter(|(n, _)| n == ns)
                    .map(|(_, d)| d.clone())
                    .collect(),
                Kind::Service => self
                    .services
                    .keys()
                    .filter(|(n, _)| n == ns)
                    .map(|(_, d)| d.clone())
                    .collect(),
                _ => Vec::new(),
            };
            match rollplay_core::suggest::did_you_mean(name, names.iter().map(String::as_str)) {
                Some(s) => format!(" (did you mean \"{s}\"?)"),
                None => "; apply its manifest first".into(),
            }
        };
        Error::NotFound {
            kind: kind.singular(),
            name: name.into(),
            namespace: ns.into(),
            target: TARGET.into(),
            hint,
        }
    }
}
