//! Deleting objects from the simulated cluster: Deployments cascade to their ReplicaSets and
//! pods, namespaces to everything in them; the system namespaces cannot be deleted.

use super::{Sim, TARGET, key};
use rollplay_core::error::{Error, Result};
use rollplay_core::kind::Kind;

impl Sim {
    /// Deletes an object (Deployments cascade to their ReplicaSets and pods); false if absent.
    pub fn delete(&mut self, kind: Kind, ns: &str, name: &str) -> Result<bool> {
        self.budgets_stale = true;
        let k = key(ns, name);
        let deleted = match kind {
            Kind::Deployment => match self.deployments.remove(&k) {
                Some(d) => {
                    let owned: Vec<String> = self
                        .replicasets
                        .values()
                        .filter(|rs| rs.meta.namespace == ns && rs.owner_uid == d.meta.uid)
                        .map(|rs| rs.meta.name.clone())
                        .collect();
                    for rs in owned {
                        self.delete_replicaset(ns, &rs);
                    }
                    true
                }
                None => false,
            },
            Kind::ReplicaSet => self.delete_replicaset(ns, name),
            Kind::Pod => {
                let Some(id) = self.pod_names.get(&k).copied() else {
                    return Ok(false);
                };
                self.terminate_pod(id);
                if let Some(owner) = self.pods.get(&id).map(|p| p.owner.clone()) {
                    self.dirty_replicasets.insert(key(ns, &owner));
                }
                true
            }
            Kind::Service => self.services.remove(&k).is_some(),
            Kind::Namespace => {
                if matches!(
                    name,
                    "default" | "kube-system" | "kube-public" | "kube-node-lease"
                ) {
                    return Err(Error::Refused {
                        object: format!("namespace/{name}"),
                        target: TARGET.into(),
                        message: format!(
                            "namespaces \"{name}\" is forbidden: this namespace may not be deleted"
                        ),
                    });
                }
                let existed = self
                    .store
                    .objects
                    .remove(&(Kind::Namespace, String::new(), name.to_string()))
                    .is_some();
                let deployments: Vec<String> = self
                    .deployments
                    .keys()
                    .filter(|(n, _)| n == name)
                    .map(|(_, d)| d.clone())
                    .collect();
                for d in deployments {
                    self.delete(Kind::Deployment, name, &d)?;
                }
                self.services.retain(|(n, _), _| n != name);
                self.store.objects.retain(|(_, n, _), _| n != name);
                self.autoscalers.retain(|(n, _), _| n != name);
                self.budgets.retain(|(n, _), _| n != name);
                existed
            }
            other => {
                if other == Kind::HorizontalPodAutoscaler {
                    self.autoscaler_deleted(ns, name);
                }
                if other == Kind::PodDisruptionBudget {
                    self.budget_deleted(ns, name);
                }
                self.store
                    .objects
                    .remove(&(other, ns.to_string(), name.to_string()))
                    .is_some()
            }
        };
        if deleted {
            // A deletion takes a resource version, as it does on the API server.
            self.ids.resource_version();
        }
        self.settle();
        Ok(deleted)
    }

    fn delete_replicaset(&mut self, ns: &str, name: &str) -> bool {
        let Some(rs) = self.replicasets.remove(&key(ns, name)) else {
            return false;
        };
        for pod in &rs.pods {
            self.terminate_pod(*pod);
        }
        if let Some(owner) = rs.owner {
            self.touch_deployment(&key(ns, &owner));
        }
        true
    }
}
