//! The ReplicaSet controller: keeps the number of pods at spec.replicas (deleting not-ready,
//! then most recently ready, then newest pods first, K8S-RU-14) and reports status (K8S-RU-10).

use super::controller::RsView;
use super::meta::{Meta, Owner};
use super::time::{SECOND, SimTime, truncate};
use super::{Key, Sim, Wake};
use crate::k8s::{LabelSelector, PodTemplate, annotations};
use crate::kind::Kind;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::sync::Arc;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RsStatus {
    pub replicas: i32,
    pub ready: i32,
    pub available: i32,
    pub observed_generation: i64,
}

#[derive(Debug, Clone)]
pub struct ReplicaSet {
    pub meta: Meta,
    /// The owning Deployment's name and uid.
    pub owner: Option<String>,
    pub owner_uid: String,
    pub replicas: i32,
    pub min_ready_seconds: i32,
    pub selector: LabelSelector,
    /// The pod template with the `pod-template-hash` label.
    pub template: Value,
    /// The template without it, as the Deployment's template compares (K8S-RU-6), and its hash.
    pub base_template: Value,
    pub base_hash: u64,
    pub parsed: Arc<PodTemplate>,
    pub pod_spec: Arc<Value>,
    pub status: RsStatus,
    /// Names of its pods, terminating ones included.
    pub pods: BTreeSet<String>,
    pub sequence: u64,
}

impl ReplicaSet {
    pub fn revision(&self) -> i64 {
        self.meta
            .annotations
            .get(annotations::REVISION)
            .and_then(|r| r.parse().ok())
            .unwrap_or(0)
    }

    pub fn view(&self) -> RsView {
        let parse = |k: &str| self.meta.annotations.get(k).and_then(|v| v.parse().ok());
        RsView {
            name: self.meta.name.clone(),
            spec: self.replicas,
            status_replicas: self.status.replicas,
            ready: self.status.ready,
            available: self.status.available,
            created: (self.meta.created, self.sequence),
            revision: self.revision(),
            desired_annotation: parse(annotations::DESIRED_REPLICAS),
            max_annotation: parse(annotations::MAX_REPLICAS),
            observed: self.status.observed_generation >= self.meta.generation,
            deleting: self.meta.deleting.is_some(),
        }
    }

    pub fn to_value(&self) -> Value {
        let owner = self.owner.as_deref().map(|name| Owner {
            kind: Kind::Deployment,
            name,
            uid: &self.owner_uid,
        });
        json!({
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "metadata": self.meta.to_value(owner),
            "spec": {
                "replicas": self.replicas,
                "minReadySeconds": self.min_ready_seconds,
                "selector": self.selector.to_value(),
                "template": self.template,
            },
            "status": {
                "replicas": self.status.replicas,
                "fullyLabeledReplicas": self.status.replicas,
                "readyReplicas": self.status.ready,
                "availableReplicas": self.status.available,
                "observedGeneration": self.status.observed_generation,
            }
        })
    }
}

impl Sim {
    /// One pass of the ReplicaSet controller for `key`.
    pub(super) fn reconcile_replicaset(&mut self, key: &Key) {
        let Some(rs) = self.replicasets.get(key) else {
            return;
        };
        let want = rs.replicas.max(0) as usize;
        let mut active: Vec<&String> = rs
            .pods
            .iter()
            .filter(|p| {
                self.pods
                    .get(&(key.0.clone(), (*p).clone()))
                    .is_some_and(|p| p.meta.deleting.is_none())
            })
            .collect();
        if active.len() < want {
            for _ in active.len()..want {
                if let Some(name) = self.create_pod(key) {
                    self.replicasets
                        .get_mut(key)
                        .expect("exists")
                        .pods
                        .insert(name.clone());
                    self.event(
                        Kind::ReplicaSet,
                        &key.0,
                        &key.1,
                        false,
                        "SuccessfulCreate",
                        format!("Created pod: {name}"),
                        "replicaset-controller",
                    );
                }
            }
        } else if active.len() > want {
            let now = self.now;
            // Delete first: not ready, then ready for the shortest time, more restarts, newest.
            active.sort_by_key(|name| {
                let p = &self.pods[&(key.0.clone(), (*name).clone())];
                (
                    p.ready,
                    std::cmp::Reverse(if p.ready { p.ready_since } else { 0 }),
                    std::cmp::Reverse(p.restarts()),
                    std::cmp::Reverse(p.sequence),
                )
            });
            let doomed: Vec<String> = active
                .iter()
                .take(active.len() - want)
                .map(|s| (*s).clone())
                .collect();
            let _ = now;
            for name in doomed {
                self.terminate_pod(&(key.0.clone(), name.clone()));
                self.event(
                    Kind::ReplicaSet,
                    &key.0,
                    &key.1,
                    false,
                    "SuccessfulDelete",
                    format!("Deleted pod: {name}"),
                    "replicaset-controller",
                );
            }
        }
        self.update_replicaset_status(key);
    }

    /// Recounts a ReplicaSet's pods; a change wakes its Deployment.
    fn update_replicaset_status(&mut self, key: &Key) {
        let now = self.now;
        let Some(rs) = self.replicasets.get(key) else {
            return;
        };
        let mut status = RsStatus {
            observed_generation: rs.meta.generation,
            ..RsStatus::default()
        };
        let mut next_available: Option<SimTime> = None;
        for name in &rs.pods {
            let Some(p) = self.pods.get(&(key.0.clone(), name.clone())) else {
                continue;
            };
            if p.meta.deleting.is_some() {
                continue;
            }
            status.replicas += 1;
            if p.ready {
                status.ready += 1;
                if p.available(rs.min_ready_seconds, now) {
                    status.available += 1;
                } else {
                    let at = truncate(p.ready_since) + rs.min_ready_seconds as SimTime * SECOND + 1;
                    next_available = Some(next_available.map_or(at, |n: SimTime| n.min(at)));
                }
            }
        }
        let owner = rs.owner.clone();
        let changed = rs.status != status;
        if let Some(at) = next_available {
            self.schedule(at, Wake::ReplicaSet(key.clone()));
        }
        if changed {
            let rv = self.ids.resource_version();
            let rs = self.replicasets.get_mut(key).expect("exists");
            rs.status = status;
            rs.meta.resource_version = rv;
            if let Some(d) = owner {
                let dk = (key.0.clone(), d);
                self.touch_deployment(&dk);
                self.trace_deployment(&dk);
            }
        }
    }
}
