//! PodDisruptionBudgets in the simulator: each budget's status is brought up to date whenever
//! it is read (the disruption controller syncs within moments of any pod change), and
//! evictions are decided against it (PDB-2..4, `crate::pdb`). Rolling updates, scale-downs
//! and deletions do not ask the budgets (PDB-5).

use super::{Key, Sim, key};
use crate::pdb::{
    ControllerRef, EvictionDecision, PdbSpec, PdbStatus, PodFacts, PodPhase, decide_eviction,
    sync_status,
};
use rollplay_core::error::Result;
use rollplay_core::kind::Kind;
use serde_json::Value;

pub struct Budget {
    pub spec: PdbSpec,
    pub status: PdbStatus,
}

impl Sim {
    /// Starts (or updates) tracking an applied budget; its disruptions survive a spec change.
    pub(super) fn budget_applied(&mut self, ns: &str, name: &str) {
        let Some(stored) = self.store.get(Kind::PodDisruptionBudget, ns, name) else {
            return;
        };
        let object = self.store.render(Kind::PodDisruptionBudget, stored);
        let Ok(spec) = PdbSpec::from_value(&object) else {
            return;
        };
        let k = key(ns, name);
        let status = self
            .budgets
            .remove(&k)
            .map(|b| b.status)
            .unwrap_or_default();
        self.budgets.insert(k.clone(), Budget { spec, status });
        self.sync_budget(&k);
    }

    pub(super) fn budget_deleted(&mut self, ns: &str, name: &str) {
        self.budgets.remove(&key(ns, name));
    }

    /// What the disruption controller sees of a pod: its controller is the Deployment that
    /// owns its ReplicaSet (whose scale counts, PDB-2), else the ReplicaSet.
    fn pod_facts(&self, id: super::PodId) -> Option<PodFacts> {
        let p = self.pods.get(&id)?;
        let rs = self.replicasets.get(&key(&p.meta.namespace, &p.owner));
        let controller = match rs {
            Some(rs) => match &rs.owner {
                Some(d) => Some(ControllerRef {
                    kind: "Deployment".into(),
                    name: d.clone(),
                    uid: rs.owner_uid.to_string(),
                }),
                None => Some(ControllerRef {
                    kind: "ReplicaSet".into(),
                    name: rs.meta.name.clone(),
                    uid: rs.meta.uid.to_string(),
                }),
            },
            None => None,
        };
        Some(PodFacts {
            name: p.meta.name.clone(),
            phase: PodPhase::Running,
            ready: p.ready,
            deleting: p.meta.deleting.is_some(),
            labels: p.meta.labels.clone(),
            controller,
        })
    }

    /// Recomputes a budget's status from the pods it selects now (PDB-2, PDB-3).
    fn sync_budget(&mut self, k: &Key) {
        let Some(synced) = self.compute_budget(k) else {
            return;
        };
        for event in &synced.events {
            let (kind, name) = match &event.pod {
                Some(pod) => (Kind::Pod, pod.clone()),
                None => (Kind::PodDisruptionBudget, k.1.clone()),
            };
            self.event_from(
                crate::pdb::EVENT_SOURCE,
                event.warning,
                kind,
                (&k.0, &name),
                event.reason,
                event.message.clone(),
            );
        }
        if let Some(b) = self.budgets.get_mut(k) {
            b.status = synced.status;
        }
    }

    /// The disruption controller writes a budget's status whenever the pods it selects change;
    /// kept current after every change here, so a condition's `lastTransitionTime` is when it
    /// changed rather than when someone looked (PDB-2). Events stay with the syncs that
    /// evictions and applies run.
    pub(super) fn refresh_budgets(&mut self) {
        if self.budgets.is_empty() {
            return;
        }
        let keys: Vec<Key> = self.budgets.keys().cloned().collect();
        for k in keys {
            if let Some(synced) = self.compute_budget(&k)
                && let Some(b) = self.budgets.get_mut(&k)
            {
                b.status = synced.status;
            }
        }
    }

    /// The controller's sync of a budget at this instant, without recording it.
    fn compute_budget(&self, k: &Key) -> Option<crate::pdb::StatusSync> {
        let budget = self.budgets.get(k)?;
        let pods: Vec<PodFacts> = self
            .pods
            .iter()
            .filter(|(_, p)| p.meta.namespace == k.0 && budget.spec.selects(&p.meta.labels))
            .filter_map(|(id, _)| self.pod_facts(*id))
            .collect();
        let scale_of = |c: &ControllerRef| match c.kind.as_str() {
            "Deployment" => self
                .deployments
                .get(&key(&k.0, &c.name))
                .map(|d| d.spec.replicas as i64),
            _ => self
                .replicasets
                .get(&key(&k.0, &c.name))
                .map(|rs| rs.replicas as i64),
        };
        Some(sync_status(
            &budget.spec,
            &pods,
            scale_of,
            &budget.status,
            self.now,
        ))
    }

    /// A budget's status as the controller would have written it by now.
    pub(super) fn budget_status(&self, ns: &str, name: &str) -> Option<Value> {
        self.compute_budget(&key(ns, name))
            .map(|s| s.status.to_value())
    }

    /// `POST pods/<pod>/eviction` (PDB-4): the decision, and the pod's deletion when allowed.
    pub fn evict(&mut self, ns: &str, pod: &str) -> Result<EvictionDecision> {
        let Some(id) = self.pod_names.get(&key(ns, pod)).copied() else {
            return Err(self.not_found(Kind::Pod, ns, pod));
        };
        let keys: Vec<Key> = self
            .budgets
            .keys()
            .filter(|(n, _)| n == ns)
            .cloned()
            .collect();
        for k in &keys {
            self.sync_budget(k);
        }
        let facts = self
            .pod_facts(id)
            .ok_or_else(|| self.not_found(Kind::Pod, ns, pod))?;
        let selecting: Vec<&Key> = keys
            .iter()
            .filter(|k| self.budgets[*k].spec.selects(&facts.labels))
            .collect();
        let views: Vec<_> = selecting
            .iter()
            .map(|k| {
                let b = &self.budgets[*k];
                b.spec.view(&b.status)
            })
            .collect();
        let decision = decide_eviction(&facts, &views, self.now);
        if let Some(dec) = &decision.decrement
            && let Some(b) = self.budgets.get_mut(&key(ns, &dec.budget))
        {
            dec.apply(&mut b.status, self.now);
        }
        if decision.pod_deleted {
            self.event(
                Kind::Pod,
                ns,
                pod,
                "Evicted",
                "Evicted by the eviction API".into(),
            );
            self.delete(Kind::Pod, ns, pod)?;
        }
        Ok(decision)
    }
}
