//! The changes rollplay makes to workloads and Services: scale (the scale subresource),
//! set_image and pause (patches of the Deployment), rollback with `kubectl rollout undo`'s
//! semantics (K8S-REV-6/7: Kubernetes has no rollback API; the template of an older
//! ReplicaSet is patched back) and switch_selector (the selector replaced whole). Each
//! returns once the controller has observed the change.

use crate::FIELD_MANAGER;
use crate::backend::KubeBackend;
use crate::errors::request_error;
use crate::resources::api;
use crate::retry::with_retry;
use kube::api::{Patch, PatchParams};
use rollplay_core::backend::{ClusterBackend, ImageChange, RollbackOutcome, RollbackTo};
use rollplay_core::error::{Error, Result};
use rollplay_core::objref::ObjectRef;
use rollplay_k8s::json::string_map;
use rollplay_k8s::rollout::{RevisionCandidate, UndoPlan, plan_undo};
use rollplay_k8s::{PodTemplate, annotations, views};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// How long a change may take to be observed by its controller before rollplay goes on
/// (the wait that follows judges the rollout either way).
const OBSERVE_WITHIN: Duration = Duration::from_secs(30);

fn params() -> PatchParams {
    PatchParams {
        field_manager: Some(FIELD_MANAGER.into()),
        ..PatchParams::default()
    }
}

async fn patch(backend: &KubeBackend, object: &ObjectRef, patch: Patch<Value>) -> Result<Value> {
    let api = api(&backend.client, object.kind, &object.namespace);
    let pp = params();
    let after = with_retry(&backend.retries, || api.patch(&object.name, &pp, &patch))
        .await
        .map_err(|e| request_error(&backend.target, "patch", object, e))?;
    let after = serde_json::to_value(after).unwrap_or_default();
    backend.wrote(object, &after);
    Ok(after)
}

/// Waits until the Deployment's controller has seen its latest generation.
async fn observed(backend: &KubeBackend, workload: &ObjectRef, written: &Value) -> Result<()> {
    let generation = written["metadata"]["generation"].as_i64().unwrap_or(0);
    let seen = |d: &Value| d["status"]["observedGeneration"].as_i64().unwrap_or(0) >= generation;
    if seen(written) {
        return Ok(());
    }
    let until = backend.now() + OBSERVE_WITHIN.as_secs_f64();
    let never = CancellationToken::new();
    while backend.now() < until {
        backend.changed(&[workload], until, &never).await?;
        if let Some(d) = backend.fetch(workload).await?
            && seen(&d)
        {
            return Ok(());
        }
    }
    Ok(())
}

pub async fn scale(
    backend: &KubeBackend,
    workload: &ObjectRef,
    replicas: i32,
) -> Result<(i32, i32)> {
    if replicas < 0 {
        return Err(Error::bad_input(
            format!("scale deployment/{}", workload.name),
            format!("replicas must be 0 or more, got {replicas}"),
        ));
    }
    let d = backend.fetch_existing(workload).await?;
    let before = d["spec"]["replicas"].as_i64().unwrap_or(1) as i32;
    if before != replicas {
        let api = api(&backend.client, workload.kind, &workload.namespace);
        let body = json!({"spec": {"replicas": replicas}});
        let (pp, body) = (params(), Patch::Merge(&body));
        with_retry(&backend.retries, || {
            api.patch_scale(&workload.name, &pp, &body)
        })
        .await
        .map_err(|e| request_error(&backend.target, "patch", workload, e))?;
        if let Some(after) = backend.fetch(workload).await? {
            backend.wrote(workload, &after);
            observed(backend, workload, &after).await?;
        }
    }
    Ok((before, replicas))
}

pub async fn set_image(
    backend: &KubeBackend,
    workload: &ObjectRef,
    container: Option<&str>,
    image: &str,
) -> Result<ImageChange> {
    let d = backend.fetch_existing(workload).await?;
    let template = PodTemplate::from_value(&d["spec"]["template"]);
    let names: Vec<&str> = template
        .containers
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    let chosen = match container {
        Some(c) => template
            .containers
            .iter()
            .find(|x| x.name == c)
            .ok_or_else(|| {
                Error::bad_input(
                    format!("set_image deployment/{}", workload.name),
                    format!(
                        "no container \"{c}\"{}; containers: {}",
                        rollplay_core::suggest::hint(c, names.iter().copied()),
                        names.join(", ")
                    ),
                )
            })?,
        None if template.containers.len() == 1 => &template.containers[0],
        None => {
            return Err(Error::bad_input(
                format!("set_image deployment/{}", workload.name),
                format!("it has several containers ({}); name one", names.join(", ")),
            ));
        }
    };
    let from = chosen.image.clone();
    let name = chosen.name.clone();
    if from == image {
        return Ok(ImageChange {
            container: name,
            from,
            to: image.into(),
            changed: false,
        });
    }
    let body =
        json!({"spec": {"template": {"spec": {"containers": [{"name": name, "image": image}]}}}});
    let after = patch(backend, workload, Patch::Strategic(body)).await?;
    observed(backend, workload, &after).await?;
    Ok(ImageChange {
        container: name,
        from,
        to: image.into(),
        changed: true,
    })
}

pub async fn set_paused(backend: &KubeBackend, workload: &ObjectRef, paused: bool) -> Result<bool> {
    let d = backend.fetch_existing(workload).await?;
    if d["spec"]["paused"].as_bool().unwrap_or(false) == paused {
        return Ok(false);
    }
    let after = patch(
        backend,
        workload,
        Patch::Merge(json!({"spec": {"paused": paused}})),
    )
    .await?;
    observed(backend, workload, &after).await?;
    Ok(true)
}

pub async fn rollback(
    backend: &KubeBackend,
    workload: &ObjectRef,
    to: RollbackTo,
) -> Result<RollbackOutcome> {
    let to_revision = match to {
        RollbackTo::Previous => 0,
        RollbackTo::Revision(n) => n,
    };
    let d = backend.fetch_existing(workload).await?;
    let uid = d["metadata"]["uid"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let owned: Vec<Value> = backend
        .replica_sets(&d, &workload.namespace)
        .await?
        .into_iter()
        .filter(|rs| views::owned_by(rs, &uid))
        .collect();
    let annotation_maps: Vec<BTreeMap<String, String>> = owned
        .iter()
        .map(|rs| string_map(rs.pointer("/metadata/annotations")))
        .collect();
    let candidates: Vec<RevisionCandidate> = owned
        .iter()
        .zip(&annotation_maps)
        .map(|(rs, annotations_of)| RevisionCandidate {
            name: rs["metadata"]["name"].as_str().unwrap_or_default(),
            revision: annotations_of
                .get(annotations::REVISION)
                .and_then(|r| r.parse().ok()),
            template: &rs["spec"]["template"],
            annotations: annotations_of,
        })
        .collect();
    let current_annotations = string_map(d.pointer("/metadata/annotations"));
    let revision_now = |d: &Value| {
        d.pointer("/metadata/annotations")
            .and_then(|a| a.get(annotations::REVISION))
            .and_then(Value::as_str)
            .and_then(|r| r.parse().ok())
    };
    let plan = plan_undo(
        &workload.name,
        d["spec"]["paused"].as_bool().unwrap_or(false),
        &d["spec"]["template"],
        &current_annotations,
        &candidates,
        to_revision,
    )
    .map_err(|message| Error::Refused {
        object: format!("deployment/{}", workload.name),
        target: backend.target.clone(),
        message,
    })?;
    match plan {
        UndoPlan::Skip { requested } => Ok(RollbackOutcome {
            message: format!(
                "deployment.apps/{} skipped rollback (current template already matches revision {requested})",
                workload.name
            ),
            skipped: true,
            to_revision: Some(requested),
            revision_now: revision_now(&d),
            images: PodTemplate::from_value(&d["spec"]["template"]).images(),
        }),
        UndoPlan::Patch {
            revision,
            template,
            annotations,
        } => {
            let images = PodTemplate::from_value(&template).images();
            let ops: json_patch::Patch = serde_json::from_value(json!([
                {"op": "replace", "path": "/spec/template", "value": template},
                {"op": "replace", "path": "/metadata/annotations", "value": annotations},
            ]))
            .map_err(|e| Error::bad_input("rollback", format!("the undo patch: {e}")))?;
            let api = api(&backend.client, workload.kind, &workload.namespace);
            let (pp, body) = (params(), Patch::Json::<()>(ops));
            let after = with_retry(&backend.retries, || api.patch(&workload.name, &pp, &body))
                .await
                .map_err(|e| request_error(&backend.target, "patch", workload, e))?;
            let after = serde_json::to_value(after).unwrap_or_default();
            backend.wrote(workload, &after);
            observed(backend, workload, &after).await?;
            let now = backend.fetch(workload).await?.unwrap_or(after);
            Ok(RollbackOutcome {
                message: format!("deployment.apps/{} rolled back", workload.name),
                skipped: false,
                to_revision: Some(revision),
                revision_now: revision_now(&now),
                images,
            })
        }
    }
}

pub async fn switch_selector(
    backend: &KubeBackend,
    service: &ObjectRef,
    selector: BTreeMap<String, String>,
) -> Result<BTreeMap<String, String>> {
    if service.kind != rollplay_core::kind::Kind::Service {
        return Err(Error::bad_input(
            format!(
                "switch_selector(\"{}/{}\")",
                service.kind.singular(),
                service.name
            ),
            "expected a Service, e.g. \"web\" or \"service/web\"",
        ));
    }
    if selector.is_empty() {
        return Err(Error::bad_input(
            format!("switch_selector service/{}", service.name),
            "the new selector is empty; a Service without a selector would lose all its endpoints",
        ));
    }
    let s = backend.fetch_existing(service).await?;
    let previous = string_map(s.pointer("/spec/selector"));
    // Replaced whole in one write: a merge would keep keys the new selector drops.
    let ops: json_patch::Patch = serde_json::from_value(json!([
        {"op": "replace", "path": "/spec/selector", "value": selector},
    ]))
    .map_err(|e| Error::bad_input("switch_selector", format!("the patch: {e}")))?;
    let api = api(&backend.client, service.kind, &service.namespace);
    let (pp, body) = (params(), Patch::Json::<()>(ops));
    let after = with_retry(&backend.retries, || api.patch(&service.name, &pp, &body))
        .await
        .map_err(|e| request_error(&backend.target, "patch", service, e))?;
    backend.wrote(service, &serde_json::to_value(after).unwrap_or_default());
    Ok(previous)
}
