//! One-step Deployment controller cases: fenceposts and validation, new and old ReplicaSet
//! scaling, proportional scaling, the Available condition, history cleanup, undo preconditions.

use super::{Outcome, int};
use crate::controller::status::{self, DeploymentStatus};
use crate::controller::{RsView, history, rolling, scale};
use rollplay_core::manifest::load_value;
use rollplay_k8s::rollout::{RevisionCandidate, plan_undo};
use rollplay_k8s::validate_all;
use rollplay_k8s::{DeploymentSpec, Fenceposts, IntOrString, Strategy};
use serde_json::{Value, json};
use std::collections::BTreeMap;

fn intstr(input: &Value, key: &str) -> IntOrString {
    input
        .get(key)
        .and_then(IntOrString::from_value)
        .unwrap_or(IntOrString::Str("25%".into()))
}

/// The Deployment spec a case describes.
fn spec(input: &Value, replicas_key: &str) -> DeploymentSpec {
    let strategy = match input.get("strategy").and_then(Value::as_str) {
        Some("Recreate") => Strategy::Recreate,
        _ => Strategy::RollingUpdate {
            max_surge: intstr(input, "maxSurge"),
            max_unavailable: intstr(input, "maxUnavailable"),
        },
    };
    let mut s = DeploymentSpec::from_value(&json!({"selector": {"matchLabels": {"app": "web"}}}));
    s.replicas = int(input, replicas_key) as i32;
    s.strategy = strategy;
    s
}

/// K8S-DEP-2 validation of the real manifest validator, then K8S-RU-1..3.
pub fn resolve_fenceposts(input: &Value) -> Outcome {
    let manifest = json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {
            "replicas": input["replicas"],
            "selector": {"matchLabels": {"app": "web"}},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": input["maxSurge"], "maxUnavailable": input["maxUnavailable"]}},
            "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "web", "image": "web:1"}]}},
        }
    });
    let validation = load_value(manifest, "case").and_then(|m| validate_all(&m));
    if let Err(rollplay_core::Error::Manifest { message, .. }) = validation {
        let detail = message
            .split_once(" is invalid: ")
            .map(|(_, d)| d.to_string())
            .unwrap_or(message);
        return Outcome::Actual(json!({"validationError": detail}));
    }
    let s = spec(input, "replicas");
    let f = Fenceposts::resolve(&s.strategy, s.replicas);
    Outcome::Actual(json!({
        "validationError": null,
        "maxSurge": f.max_surge,
        "maxUnavailableResolved": f.max_unavailable_resolved,
        "maxUnavailableEffective": f.max_unavailable,
        "maxTotalSpecReplicas": s.replicas + f.max_surge,
        "minAvailable": s.replicas - f.max_unavailable,
    }))
}

/// K8S-RU-7.
pub fn new_rs_target(input: &Value) -> Outcome {
    let s = spec(input, "replicas");
    let (old, new) = (
        int(input, "oldSpecReplicas") as i32,
        int(input, "newSpecReplicas") as i32,
    );
    let target = rolling::new_rs_target(&s, old + new, new);
    Outcome::Actual(json!({"newSpecReplicas": target.unwrap_or(new), "scaled": target.is_some()}))
}

fn view(v: &Value, name: &str, order: u64) -> RsView {
    RsView {
        name: v.get("name").and_then(Value::as_str).unwrap_or(name).into(),
        spec: int(v, "spec") as i32,
        status_replicas: int(v, "spec") as i32,
        available: int(v, "available") as i32,
        ready: int(v, "available") as i32,
        created: (0, order),
        desired_annotation: v
            .get("desiredReplicasAnnotation")
            .and_then(Value::as_i64)
            .map(|x| x as i32),
        max_annotation: v
            .get("maxReplicasAnnotation")
            .and_then(Value::as_i64)
            .map(|x| x as i32),
        observed: true,
        ..RsView::default()
    }
}

/// K8S-RU-9: the old ReplicaSets' sizes after one scale-down pass, in input order.
pub fn old_rs_scale_down(input: &Value) -> Outcome {
    let s = spec(input, "replicas");
    let olds: Vec<RsView> = input["oldRS"]
        .as_array()
        .map(|a| {
            a.iter()
                .enumerate()
                .map(|(i, v)| view(v, &format!("old-{i}"), i as u64))
                .collect()
        })
        .unwrap_or_default();
    let new = view(&input["newRS"], "new", 1000);
    let active: Vec<RsView> = olds.iter().filter(|o| o.spec > 0).cloned().collect();
    let mut sizes: BTreeMap<std::sync::Arc<str>, i32> =
        olds.iter().map(|o| (o.name.clone(), o.spec)).collect();
    for step in rolling::old_rs_scale_down(&s, &active, &new) {
        sizes.insert(step.name, step.to);
    }
    Outcome::Actual(
        json!({"oldSpecReplicas": olds.iter().map(|o| sizes[&o.name]).collect::<Vec<_>>()}),
    )
}

/// K8S-PS: sizes after a scaling event. The ReplicaSet named `new` (else the newest) is new.
pub fn proportional_scale(input: &Value) -> Outcome {
    let s = spec(input, "newReplicas");
    let all: Vec<RsView> = input["replicaSets"]
        .as_array()
        .map(|a| {
            a.iter()
                .enumerate()
                .map(|(i, v)| {
                    view(
                        v,
                        &format!("rs-{i}"),
                        int(v, "createdOrder").max(i as i64) as u64,
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let new_name = all
        .iter()
        .find(|r| &*r.name == "new")
        .or_else(|| all.iter().max_by_key(|r| r.created))
        .map(|r| r.name.clone());
    let new = all
        .iter()
        .find(|r| Some(&r.name) == new_name.as_ref())
        .cloned();
    let old: Vec<RsView> = all
        .iter()
        .filter(|r| Some(&r.name) != new_name.as_ref())
        .cloned()
        .collect();
    let status_replicas = all.iter().map(|r| r.spec).sum();
    let mut sizes: BTreeMap<std::sync::Arc<str>, i32> =
        all.iter().map(|r| (r.name.clone(), r.spec)).collect();
    for step in scale::proportional(&s, new.as_ref(), &old, status_replicas) {
        sizes.insert(step.name, step.to);
    }
    Outcome::Actual(json!({"spec": sizes}))
}

/// K8S-COND-1 through the status calculation the controller uses.
pub fn available_condition(input: &Value) -> Outcome {
    let s = spec(input, "replicas");
    let available = int(input, "availableReplicas") as i32;
    let rs = RsView {
        name: "rs".into(),
        spec: s.replicas,
        status_replicas: s.replicas,
        available,
        ready: available,
        ..RsView::default()
    };
    let st = status::calculate(&s, 1, &[&rs], Some(&rs), &DeploymentStatus::default(), 0);
    let c = st
        .condition(status::AVAILABLE)
        .expect("Available is always set");
    Outcome::Actual(json!({"status": c.status, "reason": c.reason, "message": c.message}))
}

/// K8S-REV-5.
pub fn history_cleanup(input: &Value) -> Outcome {
    let limit = int(input, "revisionHistoryLimit") as i32;
    let old: Vec<RsView> = input["oldReplicaSets"]
        .as_array()
        .map(|a| {
            a.iter()
                .enumerate()
                .map(|(i, v)| RsView {
                    name: format!("rev-{}", int(v, "rev")).into(),
                    revision: int(v, "rev"),
                    spec: int(v, "spec") as i32,
                    status_replicas: int(v, "statusReplicas") as i32,
                    created: (0, i as u64),
                    observed: true,
                    ..RsView::default()
                })
                .collect()
        })
        .unwrap_or_default();
    let deleted = history::cleanup(limit, &old);
    let deleted_revs: Vec<i64> = old
        .iter()
        .filter(|o| deleted.contains(&o.name))
        .map(|o| o.revision)
        .collect();
    let mut remaining: Vec<i64> = old
        .iter()
        .filter(|o| !deleted.contains(&o.name))
        .map(|o| o.revision)
        .collect();
    remaining.push(int(&input["newReplicaSet"], "rev"));
    remaining.sort();
    Outcome::Actual(json!({"deleted": deleted_revs, "remaining": remaining}))
}

/// K8S-REV-6 preconditions, each sub-case on a Deployment named `web`.
pub fn rollout_undo_errors(input: &Value) -> Outcome {
    let mut errors = Vec::new();
    for case in input["cases"].as_array().cloned().unwrap_or_default() {
        let revisions: Vec<i64> = case["rsRevisions"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_i64).collect())
            .unwrap_or_else(|| vec![1, 2]);
        let templates: Vec<Value> = revisions
            .iter()
            .map(
                |r| json!({"spec": {"containers": [{"name": "web", "image": format!("web:{r}")}]}}),
            )
            .collect();
        let no_annotations = BTreeMap::new();
        let candidates: Vec<RevisionCandidate> = revisions
            .iter()
            .zip(&templates)
            .map(|(r, t)| RevisionCandidate {
                name: "rs",
                revision: Some(*r),
                template: t,
                annotations: &no_annotations,
            })
            .collect();
        let current = templates.last().cloned().unwrap_or(Value::Null);
        let paused = case["paused"].as_bool().unwrap_or(false);
        match plan_undo(
            "web",
            paused,
            &current,
            &no_annotations,
            &candidates,
            int(&case, "toRevision"),
        ) {
            Err(e) => errors.push(Value::from(e)),
            Ok(plan) => errors.push(json!({"no error": format!("{plan:?}")})),
        }
    }
    Outcome::Actual(json!({"errors": errors}))
}
