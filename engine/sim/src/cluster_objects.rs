//! Nodes and Events as the API renders them, so that clients of the served simulator
//! (`kubectl get nodes`, `kubectl get events`, `kubectl drain`) see the cluster the
//! controllers act on.

use super::Sim;
use super::events::Event;
use super::time::rfc3339;
use rollplay_core::kind::Kind;
use serde_json::{Value, json};

impl Sim {
    /// A node as `GET /api/v1/nodes/NAME` returns it.
    pub(crate) fn node_object(&self, name: &str) -> Option<Value> {
        let cordoned = *self.nodes.get(name)?;
        let index = self.nodes.keys().position(|n| n == name).unwrap_or(0) + 1;
        let rv = self.node_versions.get(name).copied().unwrap_or(1);
        let mut spec = json!({"podCIDR": format!("10.244.{index}.0/24")});
        if cordoned {
            spec["unschedulable"] = Value::Bool(true);
            spec["taints"] = json!([{
                "key": "node.kubernetes.io/unschedulable",
                "effect": "NoSchedule",
                "timeAdded": rfc3339(self.now),
            }]);
        }
        let capacity =
            json!({"cpu": "8", "memory": "32Gi", "pods": "110", "ephemeral-storage": "100Gi"});
        Some(json!({
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {
                "name": name,
                "uid": format!("5e1a0000-0000-4000-9000-{index:012x}"),
                "resourceVersion": rv.to_string(),
                "creationTimestamp": rfc3339(0),
                "labels": {
                    "kubernetes.io/hostname": name,
                    "kubernetes.io/os": "linux",
                    "kubernetes.io/arch": "amd64",
                    "node.kubernetes.io/instance-type": "sim",
                },
            },
            "spec": spec,
            "status": {
                "capacity": capacity,
                "allocatable": capacity,
                "conditions": [{
                    "type": "Ready",
                    "status": "True",
                    "reason": "KubeletReady",
                    "message": "kubelet is posting ready status",
                    "lastHeartbeatTime": rfc3339(self.now),
                    "lastTransitionTime": rfc3339(0),
                }],
                "addresses": [
                    {"type": "InternalIP", "address": format!("192.168.49.{}", index + 1)},
                    {"type": "Hostname", "address": name},
                ],
                "nodeInfo": {
                    "kubeletVersion": "v1.32.0-rollplay-sim",
                    "kubeProxyVersion": "v1.32.0-rollplay-sim",
                    "containerRuntimeVersion": "sim://1",
                    "operatingSystem": "linux",
                    "architecture": "amd64",
                    "osImage": "rollplay simulator",
                    "kernelVersion": "sim",
                    "machineID": name,
                    "systemUUID": name,
                    "bootID": name,
                },
            },
        }))
    }

    pub(crate) fn node_objects(&self) -> Vec<Value> {
        self.nodes
            .keys()
            .filter_map(|n| self.node_object(n))
            .collect()
    }

    /// The Events of a namespace ("" for all) as `core/v1` objects, oldest first.
    pub(crate) fn event_objects(&self, namespace: &str) -> Vec<Value> {
        self.events
            .iter()
            .filter(|e| namespace.is_empty() || &*e.namespace == namespace)
            .map(event_object)
            .collect()
    }

    pub(crate) fn event_by_name(&self, namespace: &str, name: &str) -> Option<Value> {
        self.events
            .iter()
            .find(|e| &*e.namespace == namespace && event_name(e) == name)
            .map(event_object)
    }
}

/// Named as the API server's event recorder names them: the object, a dot, a unique suffix.
fn event_name(e: &Event) -> String {
    format!("{}.{:016x}", e.name, e.seq)
}

fn event_object(e: &Event) -> Value {
    let kind: Kind = e.kind;
    json!({
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {
            "name": event_name(e),
            "namespace": &*e.namespace,
            "uid": format!("5e1a0000-0000-4000-a000-{:012x}", e.seq),
            "resourceVersion": e.resource_version.to_string(),
            "creationTimestamp": rfc3339(e.first),
        },
        "involvedObject": {
            "apiVersion": kind.api_version(),
            "kind": kind.name(),
            "namespace": &*e.namespace,
            "name": e.name,
        },
        "reason": e.reason,
        "message": e.message,
        "source": {"component": e.source},
        "reportingComponent": e.source,
        "reportingInstance": "",
        "firstTimestamp": rfc3339(e.first),
        "lastTimestamp": rfc3339(e.last),
        "count": e.count,
        "type": if e.warning { "Warning" } else { "Normal" },
        "eventTime": null,
    })
}

impl Sim {
    /// What `kubectl logs POD` shows for a simulated pod: its containers have no output of
    /// their own, so the log is the pod's life as the kubelet recorded it, one line an event.
    pub(crate) fn pod_log(&self, namespace: &str, name: &str) -> Option<String> {
        let pod = self.get(Kind::Pod, namespace, name)?;
        let images: Vec<&str> = pod["spec"]["containers"]
            .as_array()
            .map(|cs| cs.iter().filter_map(|c| c["image"].as_str()).collect())
            .unwrap_or_default();
        let mut log = format!(
            "{} rollplay simulator: pod {name} runs {} on {}\n",
            pod["metadata"]["creationTimestamp"]
                .as_str()
                .unwrap_or_default(),
            images.join(", "),
            pod["spec"]["nodeName"].as_str().unwrap_or("?"),
        );
        for e in self
            .events
            .iter()
            .filter(|e| e.kind == Kind::Pod && &*e.namespace == namespace && e.name == name)
        {
            log.push_str(&format!(
                "{} {}: {}\n",
                rfc3339(e.last),
                e.reason,
                e.message
            ));
        }
        Some(log)
    }
}
