//! Multi-step Deployment cases run on the simulator itself, with Deployment passes stepped by
//! hand (K8S-RU-8) and pod availability driven by the case: rolling and Recreate traces,
//! revision sequences with undo, and the Progressing condition over time.

use super::{Outcome, int};
use crate::Sim;
use crate::time::SECOND;
use rollplay_core::backend::RollbackTo;
use rollplay_core::manifest::load_value;
use rollplay_k8s::validate_all;
use serde_json::{Value, json};
use std::collections::BTreeMap;

const NS: &str = "default";
const NAME: &str = "web";

fn manifest(replicas: i64, image: &str, strategy: Value, extra: &[(&str, Value)]) -> Value {
    let mut m = json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": NAME},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": NAME}},
            "strategy": strategy,
            "template": {
                "metadata": {"labels": {"app": NAME}},
                "spec": {"containers": [{
                    "name": NAME,
                    "image": image,
                    "readinessProbe": {"httpGet": {"path": "/ready", "port": 8080}, "periodSeconds": 1},
                }]},
            },
        }
    });
    for (k, v) in extra {
        m["spec"][*k] = v.clone();
    }
    m
}

fn strategy_of(input: &Value) -> Value {
    if input.get("strategy").and_then(Value::as_str) == Some("Recreate") {
        return json!({"type": "Recreate"});
    }
    let field = |k: &str| input.get(k).cloned().unwrap_or(json!("25%"));
    json!({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": field("maxSurge"), "maxUnavailable": field("maxUnavailable")}})
}

/// A simulator with one Deployment whose pods become ready only when the case says so.
fn held_sim(manifest: Value) -> Sim {
    let mut sim = Sim::new(1);
    sim.set_profile("*", &json!({"ready": false}))
        .expect("valid profile");
    apply(&mut sim, manifest);
    sim
}

fn apply(sim: &mut Sim, manifest: Value) {
    let m = load_value(manifest, "case").expect("case manifest");
    validate_all(&m).expect("case manifest is valid");
    sim.apply(&m, NS).expect("applies");
}

fn new_rs(sim: &Sim) -> Option<String> {
    sim.deployment_replica_sets(NS, NAME)?
        .into_iter()
        .find(|r| r.new)
        .map(|r| r.name)
}

/// (Σ old spec, new spec or null).
fn sizes(sim: &Sim) -> Value {
    let sets = sim.deployment_replica_sets(NS, NAME).unwrap_or_default();
    let old: i32 = sets.iter().filter(|r| !r.new).map(|r| r.replicas).sum();
    let new = sets
        .iter()
        .find(|r| r.new)
        .map(|r| Value::from(r.replicas))
        .unwrap_or(Value::Null);
    json!({"old": old, "new": new})
}

fn available_condition(sim: &Sim) -> String {
    sim.deployment_summary(NS, NAME)
        .and_then(|s| s.conditions.into_iter().find(|c| c.0 == "Available"))
        .map(|c| c.1)
        .unwrap_or_default()
}

/// `rolling_trace` and `recreate_trace`: the case's ops (pass, new_pods_available,
/// old_pods_gone) are replayed and each pass reports the ReplicaSet sizes.
pub fn trace(input: &Value, expected: &Value) -> Outcome {
    let replicas = int(input, "replicas");
    let start = &input["start"]["old"];
    let mut sim = held_sim(manifest(
        int(start, "spec").max(replicas),
        "web:v1",
        strategy_of(input),
        &[],
    ));
    let first = new_rs(&sim).expect("initial ReplicaSet");
    sim.force_available(NS, &first, int(start, "available") as usize);
    sim.settle();
    sim.set_manual_passes(true);
    sim.set_image(NS, NAME, None, "web:v2")
        .expect("image change");

    let mut steps = Vec::new();
    let mut available_after_pass = Vec::new();
    let mut became_available_at = None;
    for step in expected["steps"].as_array().cloned().unwrap_or_default() {
        match step["op"].as_str() {
            Some("pass") => {
                sim.deployment_pass(NS, NAME);
                available_after_pass.push(available_condition(&sim));
                steps.push(json!({"op": "pass", "result": sizes(&sim)}));
            }
            Some("new_pods_available") => {
                let count = int(&step, "count") as usize;
                if let Some(rs) = new_rs(&sim) {
                    sim.force_available(NS, &rs, count);
                }
                sim.settle();
                became_available_at.get_or_insert(available_after_pass.len());
                steps.push(json!({"op": "new_pods_available", "count": count}));
            }
            Some("old_pods_gone") => {
                sim.finish_terminations();
                sim.settle();
                steps.push(json!({"op": "old_pods_gone"}));
            }
            other => return Outcome::Unsupported(format!("trace op {other:?}")),
        }
    }
    let mut actual = json!({"steps": steps});
    // The final status is the one the Deployment reports once its ReplicaSets' reaction to the
    // last pass is observed.
    sim.deployment_status_sync(NS, NAME);
    if expected.get("finalStatus").is_some()
        && let Some(s) = sim.deployment_summary(NS, NAME)
    {
        actual["finalStatus"] = json!({
            "replicas": s.status_replicas,
            "updatedReplicas": s.updated,
            "availableReplicas": s.available,
            "unavailableReplicas": s.unavailable,
        });
    }
    if let Some(note) = expected.get("availableConditionNote") {
        // K8S-RC-3: False from the first sync that sees fewer available pods, until the new
        // pods are available; True again on the pass after that.
        let first_false = available_after_pass.iter().position(|s| s == "False");
        let back = became_available_at.unwrap_or(available_after_pass.len());
        let holds = first_false.is_some_and(|f| {
            available_after_pass[f..back].iter().all(|s| s == "False")
                && available_after_pass[back..].iter().all(|s| s == "True")
        });
        actual["availableConditionNote"] = if holds {
            note.clone()
        } else {
            Value::from(format!(
                "Available after each pass: {available_after_pass:?}"
            ))
        };
    }
    Outcome::Actual(actual)
}

/// `revision_sequence`: kubectl-style steps (create, set image, scale, set resources, rollout
/// pause/resume/undo) and the revisions after each.
pub fn revision_sequence(input: &Value, expected: &Value) -> Outcome {
    let mut sim = Sim::new(1);
    let mut steps = Vec::new();
    let mut revisions = Vec::new();
    let mut rs_counts = Vec::new();
    for step in input["steps"].as_array().cloned().unwrap_or_default() {
        let command = step.as_str().unwrap_or_default();
        let before = sim
            .get(rollplay_core::kind::Kind::Deployment, NS, NAME)
            .map(|d| (d["spec"].clone(), d["metadata"]["annotations"].clone()));
        let mut out = json!({});
        let words: Vec<&str> = command.split_whitespace().collect();
        let arg = |prefix: &str| {
            words
                .iter()
                .find_map(|w| w.strip_prefix(prefix))
                .map(str::to_string)
        };
        let result: Result<Option<String>, rollplay_core::Error> = match words.as_slice() {
            ["create", ..] => {
                apply(
                    &mut sim,
                    manifest(
                        3,
                        &arg("image=").unwrap_or_default(),
                        json!({"type": "RollingUpdate"}),
                        &[],
                    ),
                );
                Ok(None)
            }
            ["set", w, ..] if w.starts_with("image=") => sim
                .set_image(NS, NAME, None, &arg("image=").unwrap_or_default())
                .map(|_| None),
            ["set", "resources", ..] => {
                let mut containers = sim
                    .get(rollplay_core::kind::Kind::Deployment, NS, NAME)
                    .expect("exists")["spec"]["template"]["spec"]["containers"]
                    .clone();
                containers[0]["resources"] =
                    json!({"requests": {"cpu": arg("cpu=").unwrap_or_default()}});
                sim.patch_deployment(
                    NS,
                    NAME,
                    &json!({"spec": {"template": {"spec": {"containers": containers}}}}),
                )
                .map(|_| None)
            }
            ["scale", ..] => {
                let n = arg("--replicas=").and_then(|n| n.parse().ok()).unwrap_or(1);
                sim.scale(NS, NAME, n).map(|_| None)
            }
            ["rollout", "pause"] => sim
                .set_paused(NS, NAME, true)
                .map(|_| Some(format!("deployment.apps/{NAME} paused"))),
            ["rollout", "resume"] => sim
                .set_paused(NS, NAME, false)
                .map(|_| Some(format!("deployment.apps/{NAME} resumed"))),
            ["rollout", "undo", rest @ ..] => {
                let to = rest
                    .iter()
                    .find_map(|w| w.strip_prefix("--to-revision="))
                    .and_then(|n| n.parse().ok())
                    .map_or(RollbackTo::Previous, RollbackTo::Revision);
                sim.rollback(NS, NAME, to).map(|o| Some(o.message))
            }
            _ => return Outcome::Unsupported(format!("revision_sequence step \"{command}\"")),
        };
        settle_rollout(&mut sim);
        match result {
            Ok(Some(line)) => out["kubectlOutput"] = Value::from(line),
            Ok(None) => {}
            Err(rollplay_core::Error::Refused { message, .. }) => {
                out["error"] = Value::from(message)
            }
            Err(e) => out["error"] = Value::from(e.to_string()),
        }
        let after = sim
            .get(rollplay_core::kind::Kind::Deployment, NS, NAME)
            .map(|d| (d["spec"].clone(), d["metadata"]["annotations"].clone()));
        out["unchanged"] = Value::from(before == after);
        let summary = sim.deployment_summary(NS, NAME);
        let revision = summary.as_ref().and_then(|s| s.revision).unwrap_or(0);
        out["deploymentRevision"] = Value::from(revision);
        let sets = sim.deployment_replica_sets(NS, NAME).unwrap_or_default();
        let rs: BTreeMap<String, i64> = sets
            .iter()
            .map(|r| (r.images.join(","), r.revision))
            .collect();
        let history: BTreeMap<String, String> = sets
            .iter()
            .filter_map(|r| r.revision_history.clone().map(|h| (r.images.join(","), h)))
            .collect();
        out["rs"] = json!(rs);
        if !history.is_empty() {
            out["revisionHistory"] = json!(history);
        }
        revisions.push(revision);
        rs_counts.push(sets.len());
        steps.push(out);
    }
    let mut actual = json!({
        "deploymentRevisionAfterEachStep": revisions,
        "replicaSetCountAfterEachStep": rs_counts,
    });
    if expected.get("steps").is_some() {
        actual["steps"] = Value::from(steps);
    }
    Outcome::Actual(actual)
}

/// Lets a rollout finish (pods here become ready on their own), up to ten minutes.
fn settle_rollout(sim: &mut Sim) {
    let end = sim.now() + 600 * SECOND;
    while let Some(next) = sim.next_wake().filter(|n| *n <= end) {
        let done = sim
            .deployment_observation(NS, NAME)
            .map(|o| rollplay_k8s::rollout::status::deployment(&o, 0))
            .is_some_and(|s| s.done || s.error.is_some());
        if done {
            break;
        }
        sim.advance_to(next);
    }
}

/// `progress_timeline`: events at given seconds, one Deployment pass each, and the
/// Progressing condition after each (K8S-COND-3..6, K8S-PAUSE-1/2).
pub fn progress_timeline(input: &Value, expected: &Value) -> Outcome {
    let deadline = int(input, "progressDeadlineSeconds");
    let mut sim = held_sim(manifest(
        3,
        "web:v1",
        json!({"type": "RollingUpdate"}),
        &[("progressDeadlineSeconds", json!(deadline))],
    ));
    let first = new_rs(&sim).expect("initial ReplicaSet");
    sim.force_available(NS, &first, 3);
    sim.settle();
    let t0 = (sim.now() / SECOND + 1) * SECOND;
    sim.set_manual_passes(true);
    let wanted: Vec<i64> = expected["progressing"]
        .as_array()
        .map(|a| a.iter().map(|e| int(e, "t")).collect())
        .unwrap_or_default();
    let status_key = expected.as_object().and_then(|o| {
        o.keys()
            .find(|k| k.starts_with("kubectlRolloutStatusAt"))
            .cloned()
    });
    let status_at: Option<i64> = status_key
        .as_ref()
        .and_then(|k| k.trim_start_matches("kubectlRolloutStatusAt").parse().ok());
    let mut progressing = Vec::new();
    let mut actual = json!({});
    let mut version = 1;
    for event in input["events"].as_array().cloned().unwrap_or_default() {
        let t = int(&event, "t");
        let what = event["what"]
            .as_str()
            .unwrap_or_default()
            .to_ascii_lowercase();
        sim.advance_to(t0 + t as u64 * SECOND);
        if what.contains("complete") {
            for _ in 0..100 {
                if let Some(rs) = new_rs(&sim) {
                    sim.force_available(NS, &rs, usize::MAX);
                }
                sim.finish_terminations();
                sim.deployment_pass(NS, NAME);
                let obs = sim.deployment_observation(NS, NAME).expect("exists");
                if rollplay_k8s::rollout::status::deployment(&obs, 0).done {
                    break;
                }
            }
        } else {
            if what.contains("no progress") || what.contains("resync") {
                // Nothing changes: the pass only looks.
            } else if what.contains("pause") {
                let _ = sim.set_paused(NS, NAME, true);
            } else if what.contains("resume") {
                let _ = sim.set_paused(NS, NAME, false);
            } else if what.contains("template")
                || what.contains("new rs created")
                || what.contains("starts")
            {
                version += 1;
                let _ = sim.set_image(NS, NAME, None, &format!("web:v{version}"));
            } else if what.contains("available")
                && let Some(rs) = new_rs(&sim)
            {
                sim.force_available(NS, &rs, 1);
                sim.settle();
            }
            sim.deployment_pass(NS, NAME);
        }
        if wanted.contains(&t) {
            let entry = match sim.deployment_condition(NS, NAME, "Progressing") {
                Some(c) => json!({
                    "t": t,
                    "status": c.status,
                    "reason": c.reason,
                    "lastUpdate": (c.last_update as i64 - t0 as i64) / SECOND as i64,
                }),
                None => json!({"t": t, "status": null, "reason": null}),
            };
            progressing.push(entry);
        }
        if status_at == Some(t) {
            let obs = sim.deployment_observation(NS, NAME).expect("exists");
            actual[status_key.clone().expect("set with status_at")] =
                Value::from(rollplay_k8s::rollout::status::deployment(&obs, 0).line());
        }
    }
    actual["progressing"] = Value::from(progressing);
    Outcome::Actual(actual)
}
