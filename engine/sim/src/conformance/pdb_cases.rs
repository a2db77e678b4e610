//! PodDisruptionBudget cases: the controller's status (PDB-2, PDB-3), the eviction handler's
//! decision (PDB-4), what budgets do not gate (PDB-5) and `kubectl drain`'s retries (PDB-6),
//! run through the `pdb` functions the simulator calls.

use super::{Outcome, int};
use crate::pdb::{
    ControllerRef, DisruptionSource, DrainStep, PdbSpec, PdbStatus, PodFacts, PodPhase,
    UnhealthyPodEvictionPolicy, decide_eviction, drain_step, evicting_line, next_attempt,
    sync_status, timeout_error,
};
use crate::time::{SECOND, SimTime};
use rollplay_k8s::json::string_map;
use serde_json::{Value, json};

/// The virtual time the cases run at, so a pod's `disrupted_age` becomes a timestamp.
const NOW: SimTime = 3_600 * SECOND;

/// A case pod. Pods belong to controller `web` unless `controller` names another or is
/// `false` (no controllerRef).
fn pod_facts(p: &Value, default_name: String) -> PodFacts {
    let controller = match &p["controller"] {
        Value::Bool(false) => None,
        other => {
            let name = other.as_str().unwrap_or("web");
            Some(ControllerRef {
                kind: "Deployment".into(),
                name: name.into(),
                uid: name.into(),
            })
        }
    };
    PodFacts {
        name: p["name"].as_str().map(String::from).unwrap_or(default_name),
        phase: p["phase"]
            .as_str()
            .and_then(PodPhase::parse)
            .unwrap_or_default(),
        ready: p["ready"].as_bool().unwrap_or(false),
        deleting: p["deleting"].as_bool().unwrap_or(false),
        labels: string_map(p.get("labels")),
        controller,
    }
}

pub fn pdb_status(input: &Value) -> Outcome {
    let spec = match PdbSpec::from_spec_value(&input["spec"]) {
        Ok(s) => s,
        Err(e) => return Outcome::Actual(json!({"validationError": e.to_string()})),
    };
    let listed = input["pods"].as_array().cloned().unwrap_or_default();
    let mut previous = status_of(&input["previous"]);
    let mut pods = Vec::new();
    for (i, p) in listed.iter().enumerate() {
        let pod = pod_facts(p, format!("pod-{i}"));
        if let Some(age) = p["disrupted_age"].as_u64() {
            previous
                .disrupted_pods
                .insert(pod.name.clone(), NOW.saturating_sub(age * SECOND));
        }
        pods.push(pod);
    }
    // Without a selector the case lists the matching pods; with one, the budget picks them.
    if input["spec"].get("selector").is_some() {
        pods.retain(|p| spec.selects(&p.labels));
    }
    let scale_known = input["controllerScaleKnown"].as_bool().unwrap_or(true);
    let scale_of = |c: &ControllerRef| {
        scale_known.then(|| {
            input["scales"][&c.name]
                .as_i64()
                .unwrap_or_else(|| int(input, "controllerScaleSum"))
        })
    };
    let sync = sync_status(&spec, &pods, scale_of, &previous, NOW);
    let s = &sync.status;
    Outcome::Actual(json!({
        "expectedPods": s.expected_pods,
        "desiredHealthy": s.desired_healthy,
        "currentHealthy": s.current_healthy,
        "disruptionsAllowed": s.disruptions_allowed,
        "observedGeneration": s.observed_generation,
        "disruptedPods": s.disrupted_pods.keys().collect::<Vec<_>>(),
        "matchingPods": pods.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(),
        "events": sync.events.iter().map(|e| e.reason).collect::<Vec<_>>(),
        "condition": s.condition.as_ref().map(|c| json!({
            "status": if c.status { "True" } else { "False" },
            "reason": c.reason,
            "message": c.message,
        })),
        "recheckAfterSeconds": sync.recheck_at.map(|t| (t - NOW) / SECOND),
    }))
}

/// A budget's status from a case's flattened budget object.
fn status_of(v: &Value) -> PdbStatus {
    PdbStatus {
        observed_generation: int(v, "observedGeneration"),
        disruptions_allowed: int(v, "disruptionsAllowed"),
        current_healthy: int(v, "currentHealthy"),
        desired_healthy: int(v, "desiredHealthy"),
        expected_pods: int(v, "expectedPods"),
        ..PdbStatus::default()
    }
}

/// A budget (name, generation, policy) from a case's flattened budget object.
fn budget_of(v: &Value, i: usize) -> PdbSpec {
    let mut spec = PdbSpec::from_spec_value(&json!({"maxUnavailable": 1, "selector": {}}))
        .expect("a valid budget");
    spec.name = v["name"]
        .as_str()
        .map(String::from)
        .unwrap_or(format!("pdb-{i}"));
    spec.namespace = "default".into();
    spec.generation = int(v, "generation");
    spec.unhealthy_pod_eviction_policy = v["unhealthyPodEvictionPolicy"]
        .as_str()
        .and_then(UnhealthyPodEvictionPolicy::parse)
        .unwrap_or_default();
    spec
}

pub fn eviction(input: &Value) -> Outcome {
    if let Some(action) = input["action"].as_str() {
        if action.contains("drain") {
            return drain(input);
        }
        return match source_of(action) {
            Some(source) if !source.gated_by_budgets() => ungated(source, input),
            Some(_) => evict(input),
            None => Outcome::Unsupported(format!("action \"{action}\"")),
        };
    }
    evict(input)
}

fn evict(input: &Value) -> Outcome {
    let pod = pod_facts(&input["pod"], "web-0".into());
    let budgets_in = input["pdbs"].as_array().cloned().unwrap_or_default();
    let specs: Vec<PdbSpec> = budgets_in
        .iter()
        .enumerate()
        .map(|(i, b)| budget_of(b, i))
        .collect();
    let statuses: Vec<PdbStatus> = budgets_in.iter().map(status_of).collect();
    let views: Vec<_> = specs
        .iter()
        .zip(&statuses)
        .map(|(s, st)| s.view(st))
        .collect();
    let d = decide_eviction(&pod, &views, NOW);
    let mut actual = json!({
        "httpStatus": d.http_status,
        "podDeleted": d.pod_deleted,
        "budgetDecremented": d.decrement.is_some(),
        "path": format!("{:?}", d.path),
        "message": d.message(),
        "cause": d.error.as_ref().and_then(|e| e.causes.first()),
        "statusRetryAfterSeconds": d.error.as_ref().map(|e| e.retry_after_seconds),
    });
    if let [status] = statuses.as_slice() {
        let mut after = status.clone();
        if let Some(dec) = &d.decrement {
            dec.apply(&mut after, NOW);
        }
        actual["disruptionsAllowedAfter"] = after.disruptions_allowed.into();
        actual["disruptedPodsAfter"] = json!(after.disrupted_pods.keys().collect::<Vec<_>>());
    }
    Outcome::Actual(actual)
}

/// Which kind of disruption a case's action describes.
fn source_of(action: &str) -> Option<DisruptionSource> {
    let a = action.to_ascii_lowercase();
    Some(if a.contains("evict") {
        DisruptionSource::Eviction
    } else if a.contains("scale") || a.contains("rolling") {
        DisruptionSource::ControllerScaleDown
    } else if a.contains("node") {
        DisruptionSource::NodeFailure
    } else if a.contains("deployment deleted") || a.contains("owner") {
        DisruptionSource::OwnerDeleted
    } else if a.contains("delete") {
        DisruptionSource::Delete
    } else {
        return None;
    })
}

/// PDB-5: the disruption goes ahead whatever the budgets say; they notice afterwards.
fn ungated(source: DisruptionSource, input: &Value) -> Outcome {
    let allowed: Vec<i64> = input["pdbs"]
        .as_array()
        .map(|b| b.iter().map(|b| int(b, "disruptionsAllowed")).collect())
        .unwrap_or_default();
    Outcome::Actual(json!({
        "podDeleted": !source.gated_by_budgets(),
        "gatedByBudget": source.gated_by_budgets(),
        "budgetDecremented": false,
        "disruptionsAllowedAfter": allowed.first(),
        "note": source.budget_effect(),
    }))
}

/// PDB-6: `kubectl drain` evicting one pod whose first eviction gets `firstEvictionResult`;
/// with `timeoutSeconds` the budget stays exhausted and the retries run to the timeout.
fn drain(input: &Value) -> Outcome {
    let namespace = input["namespace"].as_str().unwrap_or("default");
    let pod = PodFacts::running(input["pod"].as_str().unwrap_or("web-0"), true).controlled_by(
        "Deployment",
        "web",
        "web",
    );
    let mut exhausted = budget_of(&json!({"name": "web-pdb"}), 0);
    exhausted.generation = 1;
    let blocked = PdbStatus {
        observed_generation: 1,
        desired_healthy: 3,
        current_healthy: 3,
        ..PdbStatus::default()
    };
    let other = budget_of(&json!({"name": "web-pdb-2"}), 1);
    let views = match int(input, "firstEvictionResult") {
        429 => vec![exhausted.view(&blocked)],
        500 => vec![exhausted.view(&blocked), other.view(&blocked)],
        201 => vec![],
        other => return Outcome::Unsupported(format!("firstEvictionResult {other}")),
    };
    let decision = decide_eviction(&pod, &views, NOW);
    let mut actual = json!({"evictingLine": evicting_line(namespace, &pod.name)});
    match drain_step(namespace, &pod.name, &decision) {
        DrainStep::Evicted => {
            actual["evicted"] = true.into();
        }
        DrainStep::Retry { after, stderr } => {
            actual["retryAfterSeconds"] = (after / SECOND).into();
            actual["stderrPrefix"] = stderr[..stderr.find('"').unwrap_or(stderr.len())].into();
            actual["stderr"] = stderr.into();
        }
        DrainStep::Failed { error } => {
            actual["retries"] = false.into();
            actual["error"] = error.into();
        }
    }
    if let Some(timeout) = input["timeoutSeconds"].as_u64() {
        let deadline = timeout * SECOND;
        let mut attempts = vec![0];
        let mut at = 0;
        while let Some(next) = next_attempt(at, Some(deadline)) {
            // The budget never recovers here, so every attempt gets the same 429.
            attempts.push(next / SECOND);
            at = next;
        }
        actual["attemptsAtSeconds"] = json!(attempts);
        actual["error"] = timeout_error(namespace, &pod.name, deadline).into();
    }
    Outcome::Actual(actual)
}
