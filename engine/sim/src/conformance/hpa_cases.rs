//! HorizontalPodAutoscaler cases: the replica calculator per metric type (HPA-3..7), the
//! multi-metric maximum (HPA-8), legacy and behavior normalisation (HPA-9..13), and whole
//! syncs over time (HPA-2, HPA-14), all through the `hpa` module the simulator runs.

use super::{Outcome, int};
use crate::hpa::normalize::{self, RateInput, Recommendation, ScaleEvent};
use crate::hpa::{
    Calculator, Combined, ConditionType, Decision, Estimate, HpaSpec, HpaState, MetricFailure,
    PodCount, PodPhase, PodSample, Proposal, ReadyCondition, Sample, Scale, ScalingRules,
    Tolerance,
};
use crate::time::{SECOND, SimTime};
use serde_json::{Value, json};

/// The cases' "now": far enough from zero that every age fits.
const NOW: SimTime = 1_000_000 * SECOND;

fn ago(seconds: i64) -> SimTime {
    NOW - seconds as SimTime * SECOND
}

fn seconds(v: &Value, key: &str, default: i64) -> i64 {
    v.get(key).and_then(Value::as_i64).unwrap_or(default)
}

fn tolerance(v: Option<&Value>) -> Tolerance {
    let d = Tolerance::default();
    let f = |k: &str, d: f64| {
        v.and_then(|t| t.get(k))
            .and_then(Value::as_f64)
            .unwrap_or(d)
    };
    Tolerance {
        scale_down: f("scaleDown", d.scale_down),
        scale_up: f("scaleUp", d.scale_up),
    }
}

/// The calculator a case's `config` describes (controller defaults otherwise).
fn calculator(input: &Value) -> Calculator {
    let config = &input["config"];
    Calculator {
        now: NOW,
        cpu_initialization_period: seconds(config, "cpuInitializationPeriodSeconds", 300)
            as SimTime
            * SECOND,
        initial_readiness_delay: seconds(config, "initialReadinessDelaySeconds", 30) as SimTime
            * SECOND,
        tolerance: tolerance(config.get("tolerance").or(input.get("tolerance"))),
    }
}

fn phase(text: Option<&str>) -> PodPhase {
    match text {
        Some("Pending") => PodPhase::Pending,
        Some("Succeeded") => PodPhase::Succeeded,
        Some("Failed") => PodPhase::Failed,
        Some("Unknown") => PodPhase::Unknown,
        _ => PodPhase::Running,
    }
}

/// A case pod; `value_key` names its sample (`usageMilli` or `valueMilli`).
fn pod(p: &Value, value_key: &str) -> PodSample {
    let ready = p.get("ready").and_then(Value::as_bool);
    PodSample {
        name: p["name"].as_str().unwrap_or_default().to_string(),
        phase: phase(p["phase"].as_str()),
        deleting: p["deleting"].as_bool().unwrap_or(false),
        ready: ready.map(|status| ReadyCondition {
            status,
            last_transition: ago(seconds(p, "readyTransitionAgeSeconds", 3600)),
        }),
        start_time: Some(ago(seconds(p, "startAgeSeconds", 3600))),
        request_milli: p.get("requestMilli").and_then(Value::as_i64),
        sample: p
            .get(value_key)
            .and_then(Value::as_i64)
            .map(|value_milli| Sample {
                value_milli,
                timestamp: ago(seconds(p, "metricAgeSeconds", 0)),
                window: seconds(p, "metricWindowSeconds", 60) as SimTime * SECOND,
            }),
    }
}

fn pods(input: &Value, value_key: &str) -> Vec<PodSample> {
    list(input, "pods")
        .iter()
        .map(|p| pod(p, value_key))
        .collect()
}

fn list<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    v.get(key)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// HPA-5..7 on a Resource Utilization target.
pub fn resource_utilization(input: &Value) -> Outcome {
    let unlisted: Vec<i64> = list(input, "extraMetricsForUnknownPods")
        .iter()
        .filter_map(|m| m["usageMilli"].as_i64())
        .collect();
    let resource = input["resource"].as_str().unwrap_or("cpu");
    let result = calculator(input).resource_utilization(
        int(input, "currentReplicas"),
        int(input, "targetAverageUtilization"),
        resource,
        &pods(input, "usageMilli"),
        &unlisted,
    );
    Outcome::Actual(match result {
        Ok(e) => json!({
            "desiredReplicas": e.replicas,
            "currentUtilizationPercent": e.current.average_utilization,
            "rawAverageMilli": e.current.average_value_milli,
        }),
        Err(error) => json!({"error": error}),
    })
}

/// HPA-3 plain average of a Pods metric (or a Resource AverageValue when `resource` is set).
pub fn pods_average_value(input: &Value) -> Outcome {
    let result = calculator(input).plain_average(
        int(input, "currentReplicas"),
        int(input, "targetAverageValueMilli"),
        input["resource"].as_str(),
        &pods(input, "valueMilli"),
        &[],
    );
    Outcome::Actual(match result {
        Ok(e) => {
            json!({"desiredReplicas": e.replicas, "currentAverageMilli": e.current.average_value_milli})
        }
        Err(error) => json!({"error": error}),
    })
}

/// HPA-3 Object Value target.
pub fn object_value(input: &Value) -> Outcome {
    value(input)
}

/// HPA-3 External Value target (the value is the sum of the matching series).
pub fn external_value(input: &Value) -> Outcome {
    value(input)
}

fn value(input: &Value) -> Outcome {
    let ready = int(input, "readyPods");
    let pods = PodCount {
        listed: input["listedPods"].as_i64().unwrap_or(ready),
        ready,
    };
    let result = calculator(input).value(
        int(input, "currentReplicas"),
        int(input, "valueMilli"),
        int(input, "targetValueMilli"),
        pods,
    );
    Outcome::Actual(match result {
        Ok(e) => json!({"desiredReplicas": e.replicas}),
        Err(error) => json!({"error": error}),
    })
}

/// HPA-3 Object AverageValue target.
pub fn object_average_value(input: &Value) -> Outcome {
    average_value(input)
}

/// HPA-3 External AverageValue target.
pub fn external_average_value(input: &Value) -> Outcome {
    average_value(input)
}

fn average_value(input: &Value) -> Outcome {
    let e = calculator(input).average_value(
        int(input, "statusReplicas"),
        int(input, "totalMilli"),
        int(input, "targetAverageMilli"),
    );
    Outcome::Actual(
        json!({"desiredReplicas": e.replicas, "currentAverageMilli": e.current.average_value_milli}),
    )
}

fn rules(input: &Value, key: &str, defaults: ScalingRules) -> Result<ScalingRules, String> {
    ScalingRules::from_value(input.get(key), defaults, &format!("spec.behavior.{key}"))
        .map_err(|e| e.to_string())
}

fn events(input: &Value, key: &str) -> Vec<ScaleEvent> {
    list(input, key)
        .iter()
        .map(|e| ScaleEvent {
            at: ago(int(e, "ageSeconds")),
            change: int(e, "replicaChange"),
        })
        .collect()
}

fn recommendations(input: &Value) -> Vec<Recommendation> {
    list(input, "recommendations")
        .iter()
        .map(|r| Recommendation {
            at: ago(int(r, "ageSeconds")),
            replicas: int(r, "replicas"),
        })
        .collect()
}

/// HPA-10/12: the rate limits on a stabilized count.
pub fn behavior_rate_limit(input: &Value) -> Outcome {
    let (up, down) = match (
        rules(input, "scaleUp", ScalingRules::default_scale_up()),
        rules(input, "scaleDown", ScalingRules::default_scale_down()),
    ) {
        (Ok(up), Ok(down)) => (up, down),
        (Err(e), _) | (_, Err(e)) => return Outcome::Actual(json!({"validationError": e})),
    };
    let (up_events, down_events) = (
        events(input, "scaleUpEvents"),
        events(input, "scaleDownEvents"),
    );
    let limited = normalize::rate_limit(
        &RateInput {
            now: NOW,
            current: int(input, "currentReplicas"),
            min: input["minReplicas"].as_i64().unwrap_or(1),
            max: int(input, "maxReplicas"),
            scale_up: &up,
            scale_down: &down,
            up_events: &up_events,
            down_events: &down_events,
        },
        int(input, "stabilizedDesiredReplicas"),
    );
    Outcome::Actual(
        json!({"desiredReplicas": limited.replicas, "scalingLimitedReason": limited.reason.as_str()}),
    )
}

/// HPA-11.
pub fn behavior_stabilize(input: &Value) -> Outcome {
    let mut log = recommendations(input);
    let s = normalize::stabilize(
        &mut log,
        NOW,
        int(input, "scaleUpWindowSeconds"),
        int(input, "scaleDownWindowSeconds"),
        int(input, "currentReplicas"),
        int(input, "rawDesiredReplicas"),
    );
    Outcome::Actual(json!({"stabilizedReplicas": s.replicas, "recommendationsKept": log.len()}))
}

/// HPA-9: the legacy stabilization and limits, as a sync without behavior applies them.
pub fn legacy_normalize(input: &Value) -> Outcome {
    let mut log = recommendations(input);
    let current = int(input, "currentReplicas");
    let stabilized = normalize::legacy_stabilize(
        &mut log,
        NOW,
        seconds(input, "downscaleStabilizationSeconds", 300),
        int(input, "rawDesiredReplicas"),
    );
    let limited = normalize::legacy_limit(
        current,
        stabilized,
        input["minReplicas"].as_i64().unwrap_or(1),
        int(input, "maxReplicas"),
    );
    Outcome::Actual(json!({
        "stabilizedReplicas": stabilized,
        "desiredReplicas": limited.replicas,
        "scalingLimitedReason": limited.reason.as_str(),
    }))
}

/// An HPA on Deployment `web` with the case's bounds and behavior (`behavior` may be an
/// object, or a description string meaning `{}`).
fn spec(input: &Value) -> Result<HpaSpec, String> {
    let mut spec = json!({
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
        "minReplicas": input["minReplicas"].as_i64().unwrap_or(1),
        "maxReplicas": input["maxReplicas"],
    });
    match input.get("behavior") {
        Some(b @ Value::Object(_)) => spec["behavior"] = b.clone(),
        Some(Value::String(_)) => spec["behavior"] = json!({}),
        _ => {}
    }
    HpaSpec::from_spec_value(&spec).map_err(|e| e.to_string())
}

/// The named condition of a decision, with only the fields the case names (a case checks
/// `{type, status}` or `{type, status, reason}`; messages are the controller's wording).
fn condition(d: &Decision, expected: &Value) -> Value {
    let kind = match expected["condition"]["type"].as_str() {
        Some("AbleToScale") => ConditionType::AbleToScale,
        Some("ScalingLimited") => ConditionType::ScalingLimited,
        _ => ConditionType::ScalingActive,
    };
    let Some(c) = d.condition(kind) else {
        return Value::Null;
    };
    let full = json!({
        "type": c.kind.as_str(),
        "status": if c.status { "True" } else { "False" },
        "reason": c.reason,
        "message": c.message,
    });
    match expected["condition"].as_object() {
        Some(keys) => Value::Object(
            full.as_object()
                .into_iter()
                .flatten()
                .filter(|(k, _)| keys.contains_key(*k))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        ),
        None => full,
    }
}

/// HPA-2 through a whole sync: the bounds act before any metric is read.
pub fn reconcile_bounds(input: &Value, expected: &Value) -> Outcome {
    let spec = match spec(input) {
        Ok(s) => s,
        Err(e) => return Outcome::Actual(json!({"validationError": e})),
    };
    let current = int(input, "currentReplicas");
    let d = HpaState::default().sync_with_proposals(
        &spec,
        NOW,
        Scale {
            spec_replicas: current,
            status_replicas: current,
        },
        Vec::new(),
    );
    Outcome::Actual(json!({
        "action": if d.rescale { "scale" } else { "none" },
        "desiredReplicas": d.desired_replicas,
        "eventReason": d.reason,
        "eventMessage": d.event.as_ref().map(|e| e.message.clone()),
        "condition": condition(&d, expected),
    }))
}

/// HPA-8 on proposals given per metric (`replicas` or `error`).
pub fn multi_metric(input: &Value, expected: &Value) -> Outcome {
    let current = int(input, "currentReplicas");
    let proposals: Vec<Proposal> = list(input, "proposals")
        .iter()
        .map(|p| Proposal {
            metric: p["metric"].as_str().unwrap_or_default().to_string(),
            result: match p["error"].as_str() {
                Some(message) => Err(MetricFailure {
                    reason: "FailedGetExternalMetric",
                    message: message.to_string(),
                }),
                None => Ok(Estimate {
                    replicas: int(p, "replicas"),
                    current: Default::default(),
                }),
            },
        })
        .collect();
    let spec = spec(&json!({"maxReplicas": 1000})).expect("valid");
    let d = HpaState::default().sync_with_proposals(
        &spec,
        NOW,
        Scale {
            spec_replicas: current,
            status_replicas: current,
        },
        proposals.clone(),
    );
    // The cases check the combined proposal before normalisation; the sync supplies the
    // condition and the error exactly as the controller would set them.
    let (desired, metric) = match crate::hpa::combine(current, &proposals) {
        Combined::Proposal {
            replicas, metric, ..
        } => (replicas, Some(metric)),
        Combined::Failed { .. } => (current, None),
    };
    Outcome::Actual(json!({
        "desiredReplicas": desired,
        "rescaleReasonMetric": metric,
        "reconcileError": d.error.is_some(),
        "action": if desired != current { "scale" } else { "none" },
        "condition": condition(&d, expected),
    }))
}

fn raw_proposal(replicas: i64) -> Vec<Proposal> {
    vec![Proposal {
        metric: "cpu resource utilization (percentage of request)".into(),
        result: Ok(Estimate {
            replicas,
            current: Default::default(),
        }),
    }]
}

/// Whole syncs at the given times, each writing its decision back as the next current count.
pub fn timeline_behavior_default(input: &Value, expected: &Value) -> Outcome {
    let spec = match spec(input) {
        Ok(s) => s,
        Err(e) => return Outcome::Actual(json!({"validationError": e})),
    };
    let plan = list(expected, "steps");
    let mut state = HpaState::default();
    let mut current = plan.first().map_or(0, |s| int(s, "currentReplicas"));
    let mut steps = Vec::new();
    for step in plan {
        let t = int(step, "t");
        let raw = int(step, "rawDesired");
        let d = state.sync_with_proposals(
            &spec,
            NOW + t as SimTime * SECOND,
            Scale {
                spec_replicas: current,
                status_replicas: current,
            },
            raw_proposal(raw),
        );
        steps.push(json!({
            "t": t,
            "currentReplicas": current,
            "rawDesired": raw,
            "expectedReplicas": d.desired_replicas,
            "reason": d.condition(ConditionType::ScalingLimited).map(|c| c.reason),
            "event": d.event.as_ref().map(|e| e.message.clone()),
        }));
        current = d.desired_replicas;
    }
    Outcome::Actual(json!({"steps": steps}))
}

/// HPA-14: a new HPA syncing every period on a target whose metrics want fewer replicas.
/// Runs with behavior (the case's scale-down window) and without (the legacy path with the
/// same window as the controller flag).
pub fn timeline_first_sight(input: &Value) -> Outcome {
    let window = seconds(input, "scaleDownWindowSeconds", 300);
    let period = seconds(input, "syncPeriodSeconds", 15);
    let raw = int(input, "rawDesiredEverySync");
    let mut with_behavior = input.clone();
    with_behavior["behavior"] = json!({"scaleDown": {"stabilizationWindowSeconds": window}});
    let mut legacy = input.clone();
    if let Some(fields) = legacy.as_object_mut() {
        fields.remove("behavior");
    }
    let mut out = serde_json::Map::new();
    for (prefix, case) in [("replicas", &with_behavior), ("legacyReplicas", &legacy)] {
        let spec = match spec(case) {
            Ok(s) => s,
            Err(e) => return Outcome::Actual(json!({"validationError": e})),
        };
        let mut state = HpaState::default();
        state.config.downscale_stabilization_seconds = window;
        let mut current = int(input, "currentReplicas");
        let mut before = Vec::new();
        let mut t = 0;
        while t <= window {
            let d = state.sync_with_proposals(
                &spec,
                NOW + t as SimTime * SECOND,
                Scale {
                    spec_replicas: current,
                    status_replicas: current,
                },
                raw_proposal(raw),
            );
            current = d.desired_replicas;
            if t < window {
                before.push(current);
            }
            t += period;
        }
        // One number when the size held throughout, else every sync's size.
        before.dedup();
        let before = match before.as_slice() {
            [one] => json!(one),
            all => json!(all),
        };
        out.insert(format!("{prefix}Before{window}"), before);
        out.insert(format!("{prefix}At{window}"), json!(current));
    }
    Outcome::Actual(Value::Object(out))
}
