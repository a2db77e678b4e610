//! The ReplicaSet controller: keeps the number of pods at spec.replicas (deleting not-ready,
//! then most recently ready, then newest pods first, K8S-RU-14) and reports status (K8S-RU-10).

use super::controller::RsView;
use super::meta::{Meta, Owner};
use super::time::{SECOND, SimTime, truncate};
use super::{Key, PodId, Sim, Wake};
use rollplay_core::kind::Kind;
use rollplay_k8s::{LabelSelector, PodTemplate, annotations};
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
    pub owner_uid: super::ids::Uid,
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
    /// Its pods, terminating ones included.
    pub pods: BTreeSet<PodId>,
    pub sequence: u64,
    /// The name, shared with the controller's views of this ReplicaSet.
    pub shared_name: Arc<str>,
    /// The Deployment template hash whose template was compared equal to this one already,
    /// so each pass does not compare whole templates again.
    pub confirmed_hash: std::cell::Cell<Option<u64>>,
    /// The revision, desired-replicas and max-replicas annotations as numbers (kept with the
    /// annotations by [`ReplicaSet::annotate`]), read on every controller pass.
    pub numbers: Numbers,
}

/// The numeric annotations of a ReplicaSet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Numbers {
    pub revision: i64,
    pub desired: Option<i32>,
    pub max: Option<i32>,
}

impl Numbers {
    pub fn of(annotations: &std::collections::BTreeMap<String, String>) -> Numbers {
        let number = |k: &str| annotations.get(k).and_then(|v| v.parse::<i64>().ok());
        Numbers {
            revision: number(annotations::REVISION).unwrap_or(0),
            desired: number(annotations::DESIRED_REPLICAS).map(|d| d as i32),
            max: number(annotations::MAX_REPLICAS).map(|m| m as i32),
        }
    }
}

impl ReplicaSet {
    pub fn revision(&self) -> i64 {
        self.numbers.revision
    }

    /// Whether this ReplicaSet's template is the Deployment template (ignoring the hash label).
    pub fn has_template(&self, hash: u64, template: &Value) -> bool {
        if self.base_hash != hash {
            return false;
        }
        if self.confirmed_hash.get() == Some(hash) {
            return true;
        }
        let equal = self.base_template == *template;
        if equal {
            self.confirmed_hash.set(Some(hash));
        }
        equal
    }

    /// Sets an annotation, keeping the numeric ones in step.
    pub fn annotate(&mut self, key: &str, value: String) {
        self.meta.annotations.insert(key.to_string(), value);
        self.numbers = Numbers::of(&self.meta.annotations);
    }

    pub fn view(&self) -> RsView {
        RsView {
            name: self.shared_name.clone(),
            spec: self.replicas,
            status_replicas: self.status.replicas,
            ready: self.status.ready,
            available: self.status.available,
            created: (self.meta.created, self.sequence),
            revision: self.numbers.revision,
            desired_annotation: self.numbers.desired,
            max_annotation: self.numbers.max,
            observed: self.status.observed_generation >= self.meta.generation,
            deleting: self.meta.deleting.is_some(),
        }
    }

    pub fn to_value(&self) -> Value {
        let owner = self.owner.as_deref().map(|name| Owner {
            kind: Kind::Deployment,
            name,
            uid: self.owner_uid,
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
        let mut active: Vec<PodId> = rs
            .pods
            .iter()
            .copied()
            .filter(|id| self.pods.get(id).is_some_and(|p| p.meta.deleting.is_none()))
            .collect();
        if active.len() < want {
            for _ in active.len()..want {
                if let Some(id) = self.create_pod(key) {
                    self.replicasets
                        .get_mut(key)
                        .expect("exists")
                        .pods
                        .insert(id);
                    let name = self.pods[&id].meta.name.clone();
                    self.event(
                        Kind::ReplicaSet,
                        &key.0,
                        &key.1,
                        "SuccessfulCreate",
                        format!("Created pod: {name}"),
                    );
                }
            }
        } else if active.len() > want {
            // Delete first: not ready, then ready for the shortest time, more restarts, newest.
            active.sort_by_key(|id| {
                let p = &self.pods[id];
                (
                    p.ready,
                    std::cmp::Reverse(if p.ready { p.ready_since } else { 0 }),
                    std::cmp::Reverse(p.restarts()),
                    std::cmp::Reverse(p.sequence),
                )
            });
            let doomed: Vec<PodId> = active.iter().take(active.len() - want).copied().collect();
            for id in doomed {
                let name = self.pods[&id].meta.name.clone();
                self.terminate_pod(id);
                self.event(
                    Kind::ReplicaSet,
                    &key.0,
                    &key.1,
                    "SuccessfulDelete",
                    format!("Deleted pod: {name}"),
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
        for id in &rs.pods {
            let Some(p) = self.pods.get(id) else { continue };
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
