//! The verbs on objects: get, list, create, update, patch and delete, each answered as the
//! API server answers it (the object, a `…List` with its resourceVersion, or a `Status`).
//! Writes go through the simulator's own apply and primitives, so its controllers react.

use super::patch::{PatchType, apply_patch};
use super::query::{Filter, Params};
use super::routes::Target;
use super::state::State;
use super::status::{ApiError, success};
use super::table;
use rollplay_core::kind::Kind;
use serde_json::Value;

pub type Answer = Result<(u16, Value), ApiError>;

/// The namespace a namespaced object is in (`default` where a path names none).
pub fn namespace_of(target: &Target) -> String {
    if target.kind.namespaced() {
        target.namespace.clone().unwrap_or_else(|| "default".into())
    } else {
        String::new()
    }
}

pub fn get(state: &State, target: &Target, name: &str) -> Answer {
    let world = state.world();
    let ns = namespace_of(target);
    world
        .sim
        .get(target.kind, &ns, name)
        .map(|o| (200, o))
        .ok_or_else(|| ApiError::not_found(target.kind, name))
}

/// A GET of one object, as a one-row Table when kubectl asks for one.
pub fn get_shown(
    state: &State,
    target: &Target,
    name: &str,
    params: &Params,
    accept: &str,
) -> Answer {
    let (code, object) = get(state, target, name)?;
    if table::wanted(accept) {
        let version = object["metadata"]["resourceVersion"].clone();
        let now = state.world().sim.now();
        let metadata = serde_json::json!({"resourceVersion": version});
        return Ok((
            code,
            table::table(target.kind, &[object], metadata, now, params),
        ));
    }
    Ok((code, object))
}

/// Fields sent as null are unset: the API server decodes into typed objects, which drops
/// them (kubectl sends `creationTimestamp: null` inside pod templates).
fn strip_nulls(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.retain(|_, v| !v.is_null());
            map.values_mut().for_each(strip_nulls);
        }
        Value::Array(items) => items.iter_mut().for_each(strip_nulls),
        _ => {}
    }
}

pub fn list(state: &State, target: &Target, params: &Params, accept: &str) -> Answer {
    let filter = Filter::new(target.namespace.as_deref(), params).map_err(ApiError::bad_request)?;
    let (version, now, mut items) = {
        let mut locked = state.world();
        let world = &mut *locked;
        world.hub.follow(&world.sim, target.kind);
        let items: Vec<Value> = world
            .sim
            .list(target.kind, target.namespace.as_deref().unwrap_or(""))
            .into_iter()
            .filter(|o| filter.matches(o))
            .collect();
        (world.sim.resource_version(), world.sim.now(), items)
    };
    let start: usize = params
        .get("continue")
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let limit: usize = params
        .get("limit")
        .and_then(|l| l.parse().ok())
        .filter(|l| *l > 0)
        .unwrap_or(usize::MAX);
    let remaining = items.len().saturating_sub(start + limit);
    let items: Vec<Value> = items.drain(..).skip(start).take(limit).collect();
    let mut metadata = serde_json::json!({"resourceVersion": version.to_string()});
    if remaining > 0 {
        metadata["continue"] = Value::from((start + limit).to_string());
        metadata["remainingItemCount"] = Value::from(remaining);
    }
    if table::wanted(accept) {
        return Ok((
            200,
            table::table(target.kind, &items, metadata, now, params),
        ));
    }
    Ok((
        200,
        serde_json::json!({
            "kind": format!("{}List", target.kind.name()),
            "apiVersion": target.kind.api_version(),
            "metadata": metadata,
            "items": items,
        }),
    ))
}

/// A write into a namespace that does not exist is refused as the API server refuses it.
fn require_namespace(state: &State, target: &Target, ns: &str) -> Result<(), ApiError> {
    if target.kind.namespaced() && !state.world().sim.namespace_exists(ns) {
        return Err(ApiError::not_found(Kind::Namespace, ns));
    }
    Ok(())
}

/// The body as an object of the target's kind and namespace.
fn body_object(target: &Target, body: &[u8], ns: &str) -> Result<Value, ApiError> {
    let mut object: Value = serde_json::from_slice(body)
        .or_else(|_| serde_saphyr::from_slice(body))
        .map_err(|e| {
            ApiError::bad_request(format!("the body is not a JSON or YAML object: {e}"))
        })?;
    if !object.is_object() {
        return Err(ApiError::bad_request("the body is not an object"));
    }
    strip_nulls(&mut object);
    if let Some(kind) = object["kind"].as_str()
        && kind != target.kind.name()
    {
        return Err(ApiError::bad_request(format!(
            "the body is a {kind}, but the request is for {}",
            target.kind.resource()
        )));
    }
    object["apiVersion"] = Value::from(target.kind.api_version());
    object["kind"] = Value::from(target.kind.name());
    if target.kind.namespaced() {
        match object
            .pointer("/metadata/namespace")
            .and_then(Value::as_str)
        {
            Some(given) if given != ns => {
                return Err(ApiError::bad_request(
                    "the namespace of the provided object does not match the namespace sent on the request",
                ));
            }
            _ => object["metadata"]["namespace"] = Value::from(ns),
        }
    }
    Ok(object)
}

fn dry_run(params: &Params) -> bool {
    params.get("dryRun").is_some_and(|v| v == "All")
}

/// Validates an object against the cluster without changing anything.
fn validate(
    state: &State,
    object: &Value,
    ns: &str,
    kind: Kind,
    name: &str,
) -> Result<(), ApiError> {
    let manifests =
        rollplay_core::manifest::load_value(object.clone(), &format!("{}/{name}", kind.singular()))
            .map_err(|e| ApiError::from_error(kind, name, &e))?;
    state
        .world()
        .sim
        .validate_batch(&manifests, ns)
        .map_err(|e| ApiError::from_error(kind, name, &e))
}

pub fn create(state: &State, target: &Target, params: &Params, body: &[u8]) -> Answer {
    let ns = namespace_of(target);
    require_namespace(state, target, &ns)?;
    let mut object = body_object(target, body, &ns)?;
    let name = match object.pointer("/metadata/name").and_then(Value::as_str) {
        Some(n) if !n.is_empty() => n.to_string(),
        _ => match object
            .pointer("/metadata/generateName")
            .and_then(Value::as_str)
        {
            Some(prefix) => {
                let n = format!(
                    "{prefix}{}",
                    state
                        .counters
                        .requests
                        .load(std::sync::atomic::Ordering::Relaxed)
                );
                object["metadata"]["name"] = Value::from(n.clone());
                n
            }
            None => {
                return Err(ApiError::new(
                    422,
                    "Invalid",
                    format!(
                        "{} \"\" is invalid: metadata.name: Required value: name or generateName is required",
                        target.kind.name()
                    ),
                ));
            }
        },
    };
    if dry_run(params) {
        validate(state, &object, &ns, target.kind, &name)?;
        return Ok((201, object));
    }
    state.write(|w| {
        w.sim
            .create_object(target.kind, &ns, object)
            .map_err(|e| ApiError::from_error(target.kind, &name, &e))?;
        w.sim
            .get(target.kind, &ns, &name)
            .map(|o| (201, o))
            .ok_or_else(|| ApiError::not_found(target.kind, &name))
    })
}

pub fn update(state: &State, target: &Target, name: &str, params: &Params, body: &[u8]) -> Answer {
    let ns = namespace_of(target);
    let object = body_object(target, body, &ns)?;
    if object.pointer("/metadata/name").and_then(Value::as_str) != Some(name) {
        return Err(ApiError::bad_request(format!(
            "the name of the object ({}) does not match the name on the URL ({name})",
            object
                .pointer("/metadata/name")
                .and_then(Value::as_str)
                .unwrap_or("")
        )));
    }
    let current = get(state, target, name)?.1;
    let wanted = object
        .pointer("/metadata/resourceVersion")
        .and_then(Value::as_str);
    if let Some(wanted) = wanted.filter(|w| !w.is_empty())
        && Some(wanted)
            != current
                .pointer("/metadata/resourceVersion")
                .and_then(Value::as_str)
    {
        return Err(ApiError::conflict(target.kind, name));
    }
    replace(state, target, name, object, params, 200)
}

pub fn patch(
    state: &State,
    target: &Target,
    name: &str,
    params: &Params,
    content_type: &str,
    body: &[u8],
) -> Answer {
    let kind = PatchType::from_content_type(content_type).ok_or_else(|| {
        ApiError::new(
            415,
            "UnsupportedMediaType",
            format!("the body of the request was in an unknown format ({content_type}); accepted: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json, application/apply-patch+yaml"),
        )
    })?;
    let patch: Value = serde_json::from_slice(body)
        .or_else(|_| serde_saphyr::from_slice(body))
        .map_err(|e| ApiError::bad_request(format!("the patch is not JSON or YAML: {e}")))?;
    let ns = namespace_of(target);
    require_namespace(state, target, &ns)?;
    let current = match get(state, target, name) {
        Ok((_, current)) => current,
        Err(e) if e.code == 404 && kind == PatchType::Apply => {
            let object = body_object(target, body, &ns)?;
            if dry_run(params) {
                validate(state, &object, &ns, target.kind, name)?;
                return Ok((201, object));
            }
            return create(
                state,
                target,
                params,
                &serde_json::to_vec(&object).unwrap_or_default(),
            );
        }
        Err(e) => return Err(e),
    };
    let mut object = current;
    if let Some(o) = object.as_object_mut() {
        o.remove("status");
    }
    apply_patch(&mut object, &patch, kind).map_err(|m| ApiError::new(422, "Invalid", m))?;
    replace(state, target, name, object, params, 200)
}

fn replace(
    state: &State,
    target: &Target,
    name: &str,
    mut object: Value,
    params: &Params,
    code: u16,
) -> Answer {
    strip_nulls(&mut object);
    let ns = namespace_of(target);
    if dry_run(params) {
        validate(state, &object, &ns, target.kind, name)?;
        return Ok((code, object));
    }
    state.write(|w| {
        w.sim
            .replace_object(target.kind, &ns, name, object)
            .map_err(|e| ApiError::from_error(target.kind, name, &e))?;
        w.sim
            .get(target.kind, &ns, name)
            .map(|o| (code, o))
            .ok_or_else(|| ApiError::not_found(target.kind, name))
    })
}

pub fn delete(state: &State, target: &Target, name: &str, params: &Params) -> Answer {
    let ns = namespace_of(target);
    let current = get(state, target, name)?.1;
    let uid = current
        .pointer("/metadata/uid")
        .and_then(Value::as_str)
        .map(String::from);
    if dry_run(params) {
        return Ok((200, current));
    }
    state.write(|w| {
        w.sim
            .delete(target.kind, &ns, name)
            .map_err(|e| ApiError::from_error(target.kind, name, &e))
    })?;
    // A pod is deleted gracefully: the API answers with it, now terminating.
    if let Ok((_, terminating)) = get(state, target, name) {
        return Ok((200, terminating));
    }
    Ok((200, success(target.kind, name, uid.as_deref())))
}

/// `deletecollection`: every object the selectors pick.
pub fn delete_collection(state: &State, target: &Target, params: &Params) -> Answer {
    let filter = Filter::new(target.namespace.as_deref(), params).map_err(ApiError::bad_request)?;
    let names: Vec<(String, String)> = state
        .world()
        .sim
        .list(target.kind, target.namespace.as_deref().unwrap_or(""))
        .into_iter()
        .filter(|o| filter.matches(o))
        .map(|o| {
            let meta = &o["metadata"];
            (
                meta["namespace"].as_str().unwrap_or_default().to_string(),
                meta["name"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    if !dry_run(params) {
        state.write(|w| {
            for (ns, name) in &names {
                w.sim
                    .delete(target.kind, ns, name)
                    .map_err(|e| ApiError::from_error(target.kind, name, &e))?;
            }
            Ok::<(), ApiError>(())
        })?;
    }
    Ok((
        200,
        serde_json::json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success"}),
    ))
}
