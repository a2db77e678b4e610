//! Simulated Services: selector, cluster IP and the endpoints of the pods they select.

use super::endpoints::{self, Conditions, PodFacts};
use super::meta::Meta;
use super::{Key, Sim};
use serde_json::{Value, json};
use std::collections::BTreeMap;

#[derive(Debug, Clone)]
pub struct Service {
    pub meta: Meta,
    /// `spec` as applied, with the cluster IP filled in.
    pub spec: Value,
    /// None for a Service without a selector (its endpoints are not managed).
    pub selector: Option<BTreeMap<String, String>>,
    pub publish_not_ready: bool,
}

impl Service {
    pub fn to_value(&self) -> Value {
        json!({
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": self.meta.to_value(None),
            "spec": self.spec,
            "status": {"loadBalancer": {}},
        })
    }
}

/// One endpoint of a Service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub pod: String,
    pub ip: String,
    pub conditions: Conditions,
}

impl Sim {
    /// The endpoints of a Service, as its EndpointSlices list them (SVC-1).
    pub fn endpoints(&self, namespace: &str, service: &str) -> Option<Vec<Endpoint>> {
        let svc = self
            .services
            .get(&(namespace.to_string(), service.to_string()))?;
        let Some(selector) = &svc.selector else {
            return Some(Vec::new());
        };
        let list = self
            .pods
            .values()
            .filter(|p| p.meta.namespace == namespace)
            .filter(|p| {
                selector
                    .iter()
                    .all(|(k, v)| p.meta.labels.get(k) == Some(v))
            })
            .filter_map(|p| {
                self.endpoint_conditions(p, svc.publish_not_ready)
                    .map(|conditions| Endpoint {
                        pod: p.meta.name.clone(),
                        ip: p.ip.clone(),
                        conditions,
                    })
            })
            .collect();
        Some(list)
    }

    /// A pod's endpoint conditions in a Service's slices, or None when it is not listed
    /// (SVC-1): what `endpoints()` shows and where simulated traffic goes.
    pub(super) fn endpoint_conditions(
        &self,
        p: &super::pod::Pod,
        publish_not_ready: bool,
    ) -> Option<endpoints::Conditions> {
        let facts = PodFacts {
            terminal: false,
            has_ip: true,
            containers_ready: p.containers.iter().all(|c| c.ready),
            // The simulator has no controller owning readiness gates: they count as passed.
            gates_ready: true,
            deleting: p.meta.deleting.is_some(),
        };
        endpoints::conditions(&facts, publish_not_ready)
    }

    /// Records each Service's endpoint counts in the trace when they change.
    pub(super) fn trace_services(&mut self) {
        if !self.trace.enabled() {
            return;
        }
        let keys: Vec<Key> = self.services.keys().cloned().collect();
        for (ns, name) in keys {
            let eps = self.endpoints(&ns, &name).unwrap_or_default();
            let pairs: Vec<(String, Conditions)> =
                eps.iter().map(|e| (e.pod.clone(), e.conditions)).collect();
            let targets = endpoints::proxy_targets(&pairs);
            let snapshot = json!({
                "ns": ns,
                "name": name,
                "selector": self.services[&(ns.clone(), name.clone())].selector,
                "ready": eps.iter().filter(|e| e.conditions.ready).count(),
                "serving": eps.iter().filter(|e| e.conditions.serving).count(),
                "terminating": eps.iter().filter(|e| e.conditions.terminating).count(),
                "targets": targets.len(),
            });
            let id = format!("service/{ns}/{name}");
            let text = snapshot.to_string();
            if self.traced.get(&id) != Some(&text) {
                self.traced.insert(id, text);
                self.trace.record(self.now, "service", || snapshot);
            }
        }
    }
}
