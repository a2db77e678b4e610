//! The portable values of the backend contract read from API objects as a cluster serves
//! them (JSON): a Deployment's status and `kubectl rollout status` verdict, its history from
//! its ReplicaSets, its pods, events and a Service's endpoints from its EndpointSlices.

use crate::json::{i64_at, str_at, string_map};
use crate::rollout::{DeploymentObservation, status::deployment as verdict};
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
