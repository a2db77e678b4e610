//! Server-side printing: the `Table` kubectl asks for (`Accept: …;as=Table;g=meta.k8s.io`) so
//! that `kubectl get` shows the columns it shows on a cluster (READY, UP-TO-DATE, STATUS,
//! RESTARTS, AGE, …).

use super::query::Params;
use crate::time::{SimTime, from_unix_seconds};
use rollplay_core::kind::Kind;
use serde_json::{Value, json};

pub fn wanted(accept: &str) -> bool {
    accept
        .split(',')
        .next()
        .is_some_and(|first| first.contains("as=Table"))
}

fn columns(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::Deployment => &["Name", "Ready", "Up-to-date", "Available", "Age"],
        Kind::ReplicaSet => &["Name", "Desired", "Current", "Ready", "Age"],
        Kind::Pod => &["Name", "Ready", "Status", "Restarts", "Age"],
        Kind::Service => &[
            "Name",
            "Type",
            "Cluster-IP",
            "External-IP",
            "Port(s)",
            "Age",
        ],
        Kind::HorizontalPodAutoscaler => &[
            "Name",
            "Reference",
            "Targets",
            "MinPods",
            "MaxPods",
            "Replicas",
            "Age",
        ],
        Kind::PodDisruptionBudget => &[
            "Name",
            "Min Available",
            "Max Unavailable",
            "Allowed Disruptions",
            "Age",
        ],
        Kind::Node => &["Name", "Status", "Roles", "Age", "Version"],
        Kind::Namespace => &["Name", "Status", "Age"],
        Kind::Event => &["Last Seen", "Type", "Reason", "Object", "Message"],
        _ => &["Name", "Age"],
    }
}

/// `5m`, `2d3h`: kubectl's short ages.
pub fn age(created: &str, now: SimTime) -> String {
    let Some(t) = rollplay_core::timefmt::parse_rfc3339(created) else {
        return "<unknown>".into();
    };
    let seconds = now.saturating_sub(from_unix_seconds(t as f64)) / 1000;
    match seconds {
        s if s < 120 => format!("{s}s"),
        s if s < 600 => format!("{}m{}s", s / 60, s % 60),
        s if s < 3 * 3600 => format!("{}m", s / 60),
        s if s < 8 * 3600 => format!("{}h{}m", s / 3600, s % 3600 / 60),
        s if s < 2 * 86400 => format!("{}h", s / 3600),
        s => format!("{}d", s / 86400),
    }
}

fn s(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "<none>".into(),
        other => other.to_string(),
    }
}

fn n(v: &Value) -> i64 {
    v.as_i64().unwrap_or(0)
}

fn cells(kind: Kind, o: &Value, now: SimTime) -> Vec<Value> {
    let name = json!(o["metadata"]["name"]);
    let created = json!(age(
        o["metadata"]["creationTimestamp"].as_str().unwrap_or(""),
        now
    ));
    let st = &o["status"];
    let spec = &o["spec"];
    match kind {
        Kind::Deployment => vec![
            name,
            json!(format!(
                "{}/{}",
                n(&st["readyReplicas"]),
                n(&spec["replicas"])
            )),
            json!(n(&st["updatedReplicas"])),
            json!(n(&st["availableReplicas"])),
            created,
        ],
        Kind::ReplicaSet => vec![
            name,
            json!(n(&spec["replicas"])),
            json!(n(&st["replicas"])),
            json!(n(&st["readyReplicas"])),
            created,
        ],
        Kind::Pod => {
            let statuses = st["containerStatuses"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let ready = statuses.iter().filter(|c| c["ready"] == true).count();
            let restarts: i64 = statuses.iter().map(|c| n(&c["restartCount"])).sum();
            let status = if o["metadata"].get("deletionTimestamp").is_some() {
                "Terminating".to_string()
            } else {
                statuses
                    .iter()
                    .find_map(|c| c["state"]["waiting"]["reason"].as_str().map(String::from))
                    .unwrap_or_else(|| s(&st["phase"]))
            };
            vec![
                name,
                json!(format!("{ready}/{}", statuses.len())),
                json!(status),
                json!(restarts),
                created,
            ]
        }
        Kind::Service => {
            let ports: Vec<String> = spec["ports"]
                .as_array()
                .map(|ps| {
                    ps.iter()
                        .map(|p| {
                            format!(
                                "{}/{}",
                                n(&p["port"]),
                                p["protocol"].as_str().unwrap_or("TCP")
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            vec![
                name,
                json!(s(&spec["type"])),
                json!(s(&spec["clusterIP"])),
                json!("<none>"),
                json!(if ports.is_empty() {
                    "<none>".into()
                } else {
                    ports.join(",")
                }),
                created,
            ]
        }
        Kind::HorizontalPodAutoscaler => vec![
            name,
            json!(format!(
                "{}/{}",
                s(&spec["scaleTargetRef"]["kind"]),
                s(&spec["scaleTargetRef"]["name"])
            )),
            json!(targets(o)),
            json!(n(&spec["minReplicas"]).max(1)),
            json!(n(&spec["maxReplicas"])),
            json!(n(&st["currentReplicas"])),
            created,
        ],
        Kind::PodDisruptionBudget => vec![
            name,
            json!(spec.get("minAvailable").map(s).unwrap_or("N/A".into())),
            json!(spec.get("maxUnavailable").map(s).unwrap_or("N/A".into())),
            json!(n(&st["disruptionsAllowed"])),
            created,
        ],
        Kind::Node => vec![
            name,
            json!(if spec["unschedulable"] == true {
                "Ready,SchedulingDisabled"
            } else {
                "Ready"
            }),
            json!("<none>"),
            created,
            json!(s(&st["nodeInfo"]["kubeletVersion"])),
        ],
        Kind::Namespace => vec![name, json!(s(&st["phase"])), created],
        Kind::Event => vec![
            json!(age(o["lastTimestamp"].as_str().unwrap_or(""), now)),
            json!(s(&o["type"])),
            json!(s(&o["reason"])),
            json!(format!(
                "{}/{}",
                o["involvedObject"]["kind"]
                    .as_str()
                    .unwrap_or("")
                    .to_ascii_lowercase(),
                s(&o["involvedObject"]["name"])
            )),
            json!(s(&o["message"])),
        ],
        _ => vec![name, created],
    }
}

/// `cpu: 42%/70%` as kubectl shows an autoscaler's targets.
fn targets(hpa: &Value) -> String {
    let current = hpa["status"]["currentMetrics"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let wanted = hpa["spec"]["metrics"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let parts: Vec<String> = wanted
        .iter()
        .map(|m| {
            let name = m["resource"]["name"].as_str().unwrap_or("metric");
            let target = m["resource"]["target"]["averageUtilization"].as_i64();
            let now = current
                .iter()
                .find(|c| c["resource"]["name"] == m["resource"]["name"])
                .and_then(|c| c["resource"]["current"]["averageUtilization"].as_i64());
            format!(
                "{name}: {}/{}",
                now.map_or("<unknown>".into(), |v| format!("{v}%")),
                target.map_or("?".into(), |v| format!("{v}%"))
            )
        })
        .collect();
    if parts.is_empty() {
        "<none>".into()
    } else {
        parts.join(", ")
    }
}

pub fn table(kind: Kind, items: &[Value], metadata: Value, now: SimTime, params: &Params) -> Value {
    let include = params
        .get("includeObject")
        .map(String::as_str)
        .unwrap_or("Metadata");
    let definitions: Vec<Value> = columns(kind)
        .iter()
        .map(|c| {
            json!({
                "name": c,
                "type": "string",
                "format": if *c == "Name" { "name" } else { "" },
                "description": "",
                "priority": 0,
            })
        })
        .collect();
    let rows: Vec<Value> = items
        .iter()
        .map(|o| {
            let object = match include {
                "None" => Value::Null,
                "Object" => o.clone(),
                _ => json!({
                    "kind": "PartialObjectMetadata",
                    "apiVersion": "meta.k8s.io/v1",
                    "metadata": o["metadata"],
                }),
            };
            json!({"cells": cells(kind, o, now), "object": object})
        })
        .collect();
    json!({
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": metadata,
        "columnDefinitions": definitions,
        "rows": rows,
    })
}
