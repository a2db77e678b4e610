//! Subresources: `scale` (kubectl scale, the HPA's view), `status`, a pod's `log` and
//! `eviction` (kubectl drain), answered with the objects the API uses for them.

use super::objects::{Answer, get, namespace_of};
use super::patch::{PatchType, apply_patch};
use super::query::Params;
use super::routes::Target;
use super::state::State;
use super::status::{ApiError, success};
use rollplay_core::kind::Kind;
use serde_json::{Value, json};

/// `autoscaling/v1` Scale of a workload object.
fn scale_of(object: &Value) -> Value {
    let selector = object
        .pointer("/spec/selector/matchLabels")
        .and_then(Value::as_object)
        .map(|labels| {
            labels
                .iter()
                .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
                .collect::<Vec<_>>()
                .join(",")
        })
        .unwrap_or_default();
    let meta = &object["metadata"];
    json!({
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {
            "name": meta["name"],
            "namespace": meta["namespace"],
            "uid": meta["uid"],
            "resourceVersion": meta["resourceVersion"],
            "creationTimestamp": meta["creationTimestamp"],
        },
        "spec": {"replicas": object.pointer("/spec/replicas").cloned().unwrap_or(json!(1))},
        "status": {
            "replicas": object.pointer("/status/replicas").cloned().unwrap_or(json!(0)),
            "selector": selector,
        },
    })
}

pub fn get_scale(state: &State, target: &Target, name: &str) -> Answer {
    let (_, object) = get(state, target, name)?;
    Ok((200, scale_of(&object)))
}

/// PUT or PATCH of `…/scale`: only `spec.replicas` is taken.
pub fn write_scale(
    state: &State,
    target: &Target,
    name: &str,
    content_type: Option<&str>,
    body: &[u8],
) -> Answer {
    if target.kind != Kind::Deployment {
        return Err(ApiError::method_not_allowed(&format!(
            "the simulator scales Deployments; {} are scaled by their owner",
            target.kind.resource()
        )));
    }
    let (_, object) = get(state, target, name)?;
    let mut scale = scale_of(&object);
    let given: Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request(format!("the body is not JSON: {e}")))?;
    match content_type.map(|c| {
        PatchType::from_content_type(c).ok_or_else(|| {
            ApiError::new(
                415,
                "UnsupportedMediaType",
                format!("unknown patch type {c}"),
            )
        })
    }) {
        None => scale = given,
        Some(kind) => {
            apply_patch(&mut scale, &given, kind?).map_err(|m| ApiError::new(422, "Invalid", m))?
        }
    }
    let replicas = scale
        .pointer("/spec/replicas")
        .and_then(Value::as_i64)
        .ok_or_else(|| {
            ApiError::new(
                422,
                "Invalid",
                "Scale.autoscaling \"\" is invalid: spec.replicas: Required value",
            )
        })?;
    let ns = namespace_of(target);
    state.write(|w| {
        w.sim
            .scale(&ns, name, replicas as i32)
            .map_err(|e| ApiError::from_error(target.kind, name, &e))
    })?;
    get_scale(state, target, name)
}

/// `GET pods/NAME/log`: the pod's life as the simulated kubelet recorded it.
pub fn log(
    state: &State,
    target: &Target,
    name: &str,
    params: &Params,
) -> Result<String, ApiError> {
    let ns = namespace_of(target);
    let log = state
        .world()
        .sim
        .pod_log(&ns, name)
        .ok_or_else(|| ApiError::not_found(Kind::Pod, name))?;
    Ok(
        match params
            .get("tailLines")
            .and_then(|n| n.parse::<usize>().ok())
        {
            Some(n) => {
                let lines: Vec<&str> = log.lines().collect();
                let mut tail = lines[lines.len().saturating_sub(n)..].join("\n");
                tail.push('\n');
                tail
            }
            None => log,
        },
    )
}

/// `POST pods/NAME/eviction`: the disruption budgets decide (PDB-4).
pub fn evict(state: &State, target: &Target, name: &str) -> Answer {
    let ns = namespace_of(target);
    let decision = state.write(|w| {
        w.sim
            .evict(&ns, name)
            .map_err(|e| ApiError::from_error(Kind::Pod, name, &e))
    })?;
    if decision.pod_deleted {
        return Ok((201, success(Kind::Pod, name, None)));
    }
    let error = decision.error.clone();
    let (reason, message, causes, retry) = match &error {
        Some(e) => (
            e.reason.unwrap_or("InternalError"),
            e.message.clone(),
            e.causes.clone(),
            e.retry_after_seconds,
        ),
        None => (
            "InternalError",
            "eviction refused".to_string(),
            Vec::new(),
            0,
        ),
    };
    let mut refusal = ApiError::new(decision.http_status, reason, message);
    refusal.details = Some(Box::new(json!({
        "causes": causes.iter().map(|m| json!({"reason": "DisruptionBudget", "message": m})).collect::<Vec<_>>(),
    })));
    if retry > 0 {
        refusal.retry_after = Some(retry as u64);
    }
    Err(refusal)
}
