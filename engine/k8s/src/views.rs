//! The portable values of the backend contract read from API objects as a cluster serves
//! them (JSON): a Deployment's status and `kubectl rollout status` verdict, its history from
//! its ReplicaSets, its pods, events and a Service's endpoints from its EndpointSlices.

use crate::json::{i64_at, str_at, string_map};
use crate::rollout::DeploymentObservation;
use crate::rollout::status::{
    DaemonSetObservation, RolloutStatus, StatefulSetObservation, daemon_set, deployment as verdict,
    stateful_set,
};
use crate::{PodTemplate, annotations};
use rollplay_core::backend::{
    Condition, EndpointInfo, EventInfo, HistoryEntry, PodSummary, RolloutState, WorkloadStatus,
};
use rollplay_core::timefmt::parse_rfc3339;
use serde_json::Value;

fn int(v: &Value, path: &[&str]) -> i32 {
    i64_at(v, path).unwrap_or(0) as i32
}

fn revision_of(object: &Value) -> Option<i64> {
    str_at(object, &["metadata", "annotations", annotations::REVISION]).and_then(|r| r.parse().ok())
}

/// What `kubectl rollout status` reads of a Deployment.
pub fn deployment_observation(d: &Value) -> DeploymentObservation {
    let progressing = d["status"]["conditions"].as_array().and_then(|cs| {
        cs.iter()
            .find(|c| c["type"] == "Progressing")
            .and_then(|c| c["reason"].as_str().map(String::from))
    });
    DeploymentObservation {
        name: str_at(d, &["metadata", "name"])
            .unwrap_or_default()
            .to_string(),
        generation: i64_at(d, &["metadata", "generation"]).unwrap_or(0),
        observed_generation: i64_at(d, &["status", "observedGeneration"]).unwrap_or(0),
        spec_replicas: i64_at(d, &["spec", "replicas"]).unwrap_or(1) as i32,
        replicas: int(d, &["status", "replicas"]),
        updated: int(d, &["status", "updatedReplicas"]),
        available: int(d, &["status", "availableReplicas"]),
        progressing_reason: progressing,
        revision: revision_of(d),
    }
}

/// A Deployment's portable status with the K8S-ROS-1 verdict.
pub fn deployment_status(d: &Value) -> WorkloadStatus {
    let v = verdict(&deployment_observation(d), 0);
    let paused = d["spec"]["paused"].as_bool().unwrap_or(false);
    let state = if v.done {
        RolloutState::Complete
    } else if v.error.is_some() {
        RolloutState::Failed
    } else if paused {
        RolloutState::Paused
    } else {
        RolloutState::Progressing
    };
    let template = PodTemplate::from_value(&d["spec"]["template"]);
    WorkloadStatus {
        kind: "Deployment".into(),
        name: str_at(d, &["metadata", "name"]).unwrap_or_default().into(),
        namespace: str_at(d, &["metadata", "namespace"])
            .unwrap_or_default()
            .into(),
        state,
        replicas: i64_at(d, &["spec", "replicas"]).unwrap_or(1) as i32,
        current: int(d, &["status", "replicas"]),
        updated: int(d, &["status", "updatedReplicas"]),
        ready: int(d, &["status", "readyReplicas"]),
        available: int(d, &["status", "availableReplicas"]),
        unavailable: int(d, &["status", "unavailableReplicas"]),
        revision: revision_of(d),
        images: template
            .containers
            .iter()
            .map(|c| (c.name.clone(), c.image.clone()))
            .collect(),
        paused,
        strategy: str_at(d, &["spec", "strategy", "type"])
            .unwrap_or("RollingUpdate")
            .into(),
        generation: i64_at(d, &["metadata", "generation"]).unwrap_or(0),
        observed_generation: i64_at(d, &["status", "observedGeneration"]).unwrap_or(0),
        conditions: d["status"]["conditions"]
            .as_array()
            .map(|cs| {
                cs.iter()
                    .map(|c| Condition {
                        type_: c["type"].as_str().unwrap_or_default().into(),
                        status: c["status"].as_str().unwrap_or_default().into(),
                        reason: c["reason"].as_str().unwrap_or_default().into(),
                        message: c["message"].as_str().unwrap_or_default().into(),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        message: v.message.clone().unwrap_or_default().trim_end().to_string(),
        error: v.error.clone(),
        detail: Value::Null,
    }
}

/// The counts a workload's status reports, by the portable names.
struct Counts {
    replicas: i32,
    current: i32,
    updated: i32,
    ready: i32,
    available: i32,
}

fn portable(
    kind: &str,
    o: &Value,
    v: &RolloutStatus,
    counts: Counts,
    strategy: &str,
) -> WorkloadStatus {
    let state = if v.done && v.error.is_none() {
        RolloutState::Complete
    } else if v.error.is_some() {
        RolloutState::Failed
    } else {
        RolloutState::Progressing
    };
    let template = PodTemplate::from_value(&o["spec"]["template"]);
    WorkloadStatus {
        kind: kind.into(),
        name: str_at(o, &["metadata", "name"]).unwrap_or_default().into(),
        namespace: str_at(o, &["metadata", "namespace"])
            .unwrap_or_default()
            .into(),
        state,
        replicas: counts.replicas,
        current: counts.current,
        updated: counts.updated,
        ready: counts.ready,
        available: counts.available,
        unavailable: (counts.replicas - counts.available).max(0),
        revision: None,
        images: template
            .containers
            .iter()
            .map(|c| (c.name.clone(), c.image.clone()))
            .collect(),
        paused: false,
        strategy: strategy.into(),
        generation: i64_at(o, &["metadata", "generation"]).unwrap_or(0),
        observed_generation: i64_at(o, &["status", "observedGeneration"]).unwrap_or(0),
        conditions: Vec::new(),
        message: v.message.clone().unwrap_or_default().trim_end().to_string(),
        error: v.error.clone(),
        detail: o["status"].clone(),
    }
}

/// A DaemonSet's portable status with the K8S-ROS-2 verdict.
pub fn daemon_set_status(d: &Value) -> WorkloadStatus {
    let strategy = str_at(d, &["spec", "updateStrategy", "type"]).unwrap_or("RollingUpdate");
    let obs = DaemonSetObservation {
        name: str_at(d, &["metadata", "name"]).unwrap_or_default().into(),
        rolling_update: strategy == "RollingUpdate",
        generation: i64_at(d, &["metadata", "generation"]).unwrap_or(0),
        observed_generation: i64_at(d, &["status", "observedGeneration"]).unwrap_or(0),
        updated_number_scheduled: int(d, &["status", "updatedNumberScheduled"]),
        desired_number_scheduled: int(d, &["status", "desiredNumberScheduled"]),
        number_available: int(d, &["status", "numberAvailable"]),
    };
    let counts = Counts {
        replicas: obs.desired_number_scheduled,
        current: int(d, &["status", "currentNumberScheduled"]),
        updated: obs.updated_number_scheduled,
        ready: int(d, &["status", "numberReady"]),
        available: obs.number_available,
    };
    portable("DaemonSet", d, &daemon_set(&obs), counts, strategy)
}

/// A StatefulSet's portable status with the K8S-ROS-3 verdict.
pub fn stateful_set_status(s: &Value) -> WorkloadStatus {
    let strategy = str_at(s, &["spec", "updateStrategy", "type"]).unwrap_or("RollingUpdate");
    let rolling = s.pointer("/spec/updateStrategy/rollingUpdate");
    let obs = StatefulSetObservation {
        name: str_at(s, &["metadata", "name"]).unwrap_or_default().into(),
        rolling_update: strategy == "RollingUpdate",
        spec_replicas: i64_at(s, &["spec", "replicas"]).unwrap_or(1) as i32,
        rolling_update_set: rolling.is_some(),
        partition: rolling
            .and_then(|r| r["partition"].as_i64())
            .map(|p| p as i32),
        generation: i64_at(s, &["metadata", "generation"]).unwrap_or(0),
        observed_generation: i64_at(s, &["status", "observedGeneration"]).unwrap_or(0),
        ready_replicas: int(s, &["status", "readyReplicas"]),
        current_replicas: int(s, &["status", "currentReplicas"]),
        updated_replicas: int(s, &["status", "updatedReplicas"]),
        current_revision: str_at(s, &["status", "currentRevision"])
            .unwrap_or_default()
            .into(),
        update_revision: str_at(s, &["status", "updateRevision"])
            .unwrap_or_default()
            .into(),
    };
    let counts = Counts {
        replicas: obs.spec_replicas,
        current: int(s, &["status", "replicas"]),
        updated: obs.updated_replicas,
        ready: obs.ready_replicas,
        available: int(s, &["status", "availableReplicas"]),
    };
    portable("StatefulSet", s, &stateful_set(&obs), counts, strategy)
}

/// Whether `object` is controlled by the object with `uid`.
pub fn owned_by(object: &Value, uid: &str) -> bool {
    object["metadata"]["ownerReferences"]
        .as_array()
        .is_some_and(|refs| {
            refs.iter()
                .any(|r| r["uid"] == uid && r["controller"] == true)
        })
}

/// `kubectl rollout history` from the Deployment's ReplicaSets, oldest revision first; the
/// current one is the revision the Deployment carries.
pub fn history(deployment: &Value, replica_sets: &[Value]) -> Vec<HistoryEntry> {
    let uid = deployment["metadata"]["uid"].as_str().unwrap_or_default();
    let current = revision_of(deployment);
    let mut out: Vec<HistoryEntry> = replica_sets
        .iter()
        .filter(|rs| owned_by(rs, uid))
        .filter_map(|rs| {
            let revision = revision_of(rs)?;
            Some(HistoryEntry {
                revision,
                replica_set: str_at(rs, &["metadata", "name"]).unwrap_or_default().into(),
                images: PodTemplate::from_value(&rs["spec"]["template"]).images(),
                change_cause: str_at(rs, &["metadata", "annotations", annotations::CHANGE_CAUSE])
                    .map(String::from),
                replicas: int(rs, &["spec", "replicas"]),
                current: Some(revision) == current,
            })
        })
        .collect();
    out.sort_by_key(|h| h.revision);
    out
}

/// Seconds since the Unix epoch of an API timestamp (0 when absent).
pub fn seconds(timestamp: Option<&str>) -> f64 {
    timestamp.and_then(parse_rfc3339).unwrap_or(0) as f64
}

/// The pods of a Deployment's ReplicaSets, oldest first.
pub fn pods(deployment: &Value, replica_sets: &[Value], pods: &[Value]) -> Vec<PodSummary> {
    let uid = deployment["metadata"]["uid"].as_str().unwrap_or_default();
    let owned: Vec<&Value> = replica_sets.iter().filter(|rs| owned_by(rs, uid)).collect();
    let mut out: Vec<PodSummary> = Vec::new();
    for p in pods {
        let Some(rs) = owned
            .iter()
            .find(|rs| owned_by(p, rs["metadata"]["uid"].as_str().unwrap_or_default()))
        else {
            continue;
        };
        let statuses = p["status"]["containerStatuses"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let terminating = p["metadata"].get("deletionTimestamp").is_some();
        let waiting = statuses
            .iter()
            .find_map(|c| c["state"]["waiting"]["reason"].as_str().map(String::from));
        out.push(PodSummary {
            name: str_at(p, &["metadata", "name"]).unwrap_or_default().into(),
            replica_set: str_at(rs, &["metadata", "name"]).unwrap_or_default().into(),
            revision: revision_of(rs),
            status: if terminating {
                "Terminating".into()
            } else {
                waiting
                    .unwrap_or_else(|| str_at(p, &["status", "phase"]).unwrap_or("Pending").into())
            },
            ready: p["status"]["conditions"].as_array().is_some_and(|cs| {
                cs.iter()
                    .any(|c| c["type"] == "Ready" && c["status"] == "True")
            }),
            restarts: statuses
                .iter()
                .map(|c| c["restartCount"].as_u64().unwrap_or(0) as u32)
                .sum(),
            ip: str_at(p, &["status", "podIP"]).unwrap_or_default().into(),
            images: p["spec"]["containers"]
                .as_array()
                .map(|cs| {
                    cs.iter()
                        .filter_map(|c| c["image"].as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default(),
            created: seconds(str_at(p, &["metadata", "creationTimestamp"])),
            terminating,
            node: str_at(p, &["spec", "nodeName"]).unwrap_or_default().into(),
        });
    }
    out.sort_by(|a, b| {
        a.created
            .total_cmp(&b.created)
            .then_with(|| a.name.cmp(&b.name))
    });
    out
}

/// A core/v1 Event as the contract reports it.
pub fn event(e: &Value) -> EventInfo {
    let last = str_at(e, &["lastTimestamp"])
        .or_else(|| str_at(e, &["eventTime"]))
        .or_else(|| str_at(e, &["metadata", "creationTimestamp"]));
    EventInfo {
        time: last.unwrap_or_default().into(),
        seconds: seconds(last),
        warning: e["type"] == "Warning",
        reason: str_at(e, &["reason"]).unwrap_or_default().into(),
        object: format!(
            "{}/{}",
            str_at(e, &["involvedObject", "kind"])
                .unwrap_or_default()
                .to_ascii_lowercase(),
            str_at(e, &["involvedObject", "name"]).unwrap_or_default()
        ),
        message: str_at(e, &["message"]).unwrap_or_default().into(),
        count: e["count"].as_u64().unwrap_or(1) as u32,
    }
}

/// A Service's endpoints from its EndpointSlices.
pub fn endpoints(slices: &[Value]) -> Vec<EndpointInfo> {
    slices
        .iter()
        .flat_map(|s| s["endpoints"].as_array().cloned().unwrap_or_default())
        .map(|e| {
            let c = &e["conditions"];
            let ready = c["ready"].as_bool().unwrap_or(true);
            EndpointInfo {
                pod: str_at(&e, &["targetRef", "name"])
                    .unwrap_or_default()
                    .into(),
                ip: e["addresses"][0].as_str().unwrap_or_default().into(),
                ready,
                serving: c["serving"].as_bool().unwrap_or(ready),
                terminating: c["terminating"].as_bool().unwrap_or(false),
            }
        })
        .collect()
}

/// The labels a Deployment's selector matches (`matchLabels`), for listing what it owns.
pub fn selector_labels(deployment: &Value) -> String {
    string_map(deployment.pointer("/spec/selector/matchLabels"))
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_stateful_set_is_done_when_every_replica_runs_the_update_revision() {
        let mut sts = json!({
            "metadata": {"name": "zk", "namespace": "default", "generation": 2},
            "spec": {"replicas": 3, "updateStrategy": {"type": "RollingUpdate"},
                     "template": {"spec": {"containers": [{"name": "zk", "image": "zk:2"}]}}},
            "status": {"observedGeneration": 2, "replicas": 3, "readyReplicas": 3, "currentReplicas": 1,
                       "updatedReplicas": 2, "availableReplicas": 3, "currentRevision": "zk-1", "updateRevision": "zk-2"},
        });
        let st = stateful_set_status(&sts);
        assert_eq!(st.state, RolloutState::Progressing, "{}", st.message);
        assert_eq!(st.images, [("zk".to_string(), "zk:2".to_string())]);
        sts["status"]["updatedReplicas"] = json!(3);
        sts["status"]["currentReplicas"] = json!(3);
        sts["status"]["currentRevision"] = json!("zk-2");
        let st = stateful_set_status(&sts);
        assert!(st.done(), "{}", st.message);
        assert!(
            st.message
                .contains("statefulset rolling update complete 3 pods at revision zk-2"),
            "{}",
            st.message
        );
    }

    #[test]
    fn a_daemon_set_waits_for_its_spec_to_be_observed_then_for_updated_pods() {
        let mut ds = json!({
            "metadata": {"name": "node-exporter", "generation": 3},
            "spec": {"template": {"spec": {"containers": [{"name": "e", "image": "e:2"}]}}},
            "status": {"observedGeneration": 2, "desiredNumberScheduled": 3, "updatedNumberScheduled": 3, "numberAvailable": 3},
        });
        assert!(
            daemon_set_status(&ds)
                .message
                .contains("Waiting for daemon set spec update to be observed")
        );
        ds["status"]["observedGeneration"] = json!(3);
        ds["status"]["updatedNumberScheduled"] = json!(1);
        let st = daemon_set_status(&ds);
        assert!(
            st.message.contains("1 out of 3 new pods have been updated"),
            "{}",
            st.message
        );
        ds["status"]["updatedNumberScheduled"] = json!(3);
        assert!(daemon_set_status(&ds).done());
    }
}
