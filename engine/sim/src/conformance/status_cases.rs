//! `kubectl rollout status` cases (K8S-ROS-1..3), through the verdict functions `wait_ready`
//! evaluates on every observation.

use super::{Outcome, int};
use rollplay_k8s::rollout::status::{
    self, DaemonSetObservation, DeploymentObservation, RolloutStatus, StatefulSetObservation,
};
use serde_json::{Value, json};

pub fn rollout_status(kind: &str, input: &Value) -> Outcome {
    let name = input["name"].as_str().unwrap_or("foo").to_string();
    let i32_of = |k: &str| int(input, k) as i32;
    let verdict = match kind {
        "Deployment" => {
            let reason = input["conditions"]
                .as_array()
                .and_then(|cs| cs.iter().find(|c| c["type"] == "Progressing"))
                .and_then(|c| c["reason"].as_str().map(String::from));
            let obs = DeploymentObservation {
                name,
                generation: int(input, "generation"),
                observed_generation: int(input, "observedGeneration"),
                spec_replicas: i32_of("specReplicas"),
                replicas: i32_of("replicas"),
                updated: i32_of("updatedReplicas"),
                available: i32_of("availableReplicas"),
                progressing_reason: reason,
                revision: input["revisionAnnotation"].as_i64(),
            };
            status::deployment(&obs, int(input, "revisionFlag"))
        }
        "DaemonSet" => status::daemon_set(&DaemonSetObservation {
            name,
            rolling_update: input["strategy"].as_str().unwrap_or("RollingUpdate")
                == "RollingUpdate",
            generation: int(input, "generation"),
            observed_generation: int(input, "observedGeneration"),
            updated_number_scheduled: i32_of("updatedNumberScheduled"),
            desired_number_scheduled: i32_of("desiredNumberScheduled"),
            number_available: i32_of("numberAvailable"),
        }),
        _ => status::stateful_set(&StatefulSetObservation {
            name,
            rolling_update: input["strategy"].as_str().unwrap_or("RollingUpdate")
                == "RollingUpdate",
            spec_replicas: i32_of("specReplicas"),
            rolling_update_set: input["rollingUpdateSet"].as_bool().unwrap_or(false),
            partition: input["partition"].as_i64().map(|p| p as i32),
            generation: int(input, "generation"),
            observed_generation: int(input, "observedGeneration"),
            ready_replicas: i32_of("readyReplicas"),
            current_replicas: i32_of("currentReplicas"),
            updated_replicas: i32_of("updatedReplicas"),
            current_revision: input["currentRevision"].as_str().unwrap_or_default().into(),
            update_revision: input["updateRevision"].as_str().unwrap_or_default().into(),
        }),
    };
    Outcome::Actual(render(&verdict))
}

/// The case's view of a verdict; the exit code is what `kubectl rollout status` (watching) ends with.
fn render(v: &RolloutStatus) -> Value {
    let exit = if v.error.is_some() {
        Value::from(1)
    } else if v.done {
        Value::from(0)
    } else {
        Value::Null
    };
    json!({"done": v.done, "messageKind": v.kind, "message": v.message, "error": v.error, "exitCodeIfWatching": exit})
}
