//! Validating and applying a batch: rollplay's own manifest checks, then every kind looked up
//! in discovery and every object sent as a server-side dry run (the API server's admission and
//! validation, nothing stored), then server-side apply under the field manager `rollplay`
//! in install order, each object reported created, configured or unchanged.

use crate::FIELD_MANAGER;
use crate::backend::KubeBackend;
use crate::errors::{describe, object_name};
use crate::resources::api;
use crate::retry::with_retry;
use kube::api::{Patch, PatchParams};
use rollplay_core::backend::{Applied, ApplyOutcome, ApplyResult};
use rollplay_core::error::{Error, Result};
use rollplay_core::kind::Kind;
use rollplay_core::manifest::{Manifest, Seg, install_order};
use rollplay_core::objref::ObjectRef;
use serde_json::Value;

/// The object as sent: its namespace filled in where the manifest leaves it out.
fn object_of(m: &Manifest, namespace: &str) -> (ObjectRef, Value) {
    let kind = m.kind();
    let ns = m.namespace_or(namespace);
    let reference = ObjectRef::new(kind, ns, m.name());
    let mut object = (*m.object).clone();
    if kind.namespaced() {
        object["metadata"]["namespace"] = Value::from(reference.namespace.clone());
    }
    (reference, object)
}

/// Whether a CRD of the batch defines `kind`.
fn batch_defines(batch: &[Manifest], kind: Kind) -> bool {
    batch
        .iter()
        .filter(|m| m.kind() == Kind::CustomResourceDefinition)
        .any(|crd| {
            let spec = &crd.object["spec"];
            spec["group"].as_str() == Some(kind.group())
                && spec["names"]["kind"].as_str() == Some(kind.name())
        })
}

fn batch_creates_namespace(batch: &[Manifest], ns: &str) -> bool {
    batch
        .iter()
        .any(|m| m.kind() == Kind::Namespace && m.name() == ns)
}

pub async fn validate(backend: &KubeBackend, batch: &[Manifest], namespace: &str) -> Result<()> {
    rollplay_k8s::validate_all(batch)?;
    for m in install_order(batch) {
        let kind = m.kind();
        let served = backend
            .served
            .lookup(&backend.client, kind)
            .await
            .map_err(|e| {
                Error::cluster(
                    &backend.target,
                    format!("discovery of {}: {}", kind.api_version(), describe(&e)),
                    crate::errors::retry_class(&e),
                    Some(Box::new(e)),
                )
            })?;
        if served.is_none() {
            if batch_defines(batch, kind) {
                continue;
            }
            return Err(m.error_at(
                &[Seg::Key("kind")],
                format!(
                    "no matches for kind \"{}\" in version \"{}\" on {}: the cluster does not serve it (is its CustomResourceDefinition installed?)",
                    kind.name(),
                    kind.api_version(),
                    backend.target
                ),
            ));
        }
        let (reference, object) = object_of(m, namespace);
        let params = PatchParams::apply(FIELD_MANAGER).force().dry_run();
        let api = api(&backend.client, kind, &reference.namespace);
        let body = Patch::Apply(&object);
        let dry = with_retry(&backend.retries, || api.patch(m.name(), &params, &body)).await;
        match dry {
            Ok(_) => {}
            Err(kube::Error::Api(s))
                if s.code == 404
                    && kind.namespaced()
                    && batch_creates_namespace(batch, &reference.namespace) => {}
            Err(kube::Error::Api(s)) if s.code == 404 && kind.namespaced() => {
                return Err(m.error_at(
                    &[Seg::Key("metadata"), Seg::Key("namespace")],
                    format!(
                        "namespaces \"{}\" not found on {}: create it first or add a Namespace manifest to this batch",
                        reference.namespace, backend.target
                    ),
                ));
            }
            Err(e @ kube::Error::Api(_))
                if crate::errors::retry_class(&e) == rollplay_core::error::Retry::Final =>
            {
                return Err(m.error_at(&[Seg::Key("metadata"), Seg::Key("name")], describe(&e)));
            }
            Err(e) => {
                return Err(crate::errors::request_error(
                    &backend.target,
                    "patch",
                    &reference,
                    e,
                ));
            }
        }
    }
    Ok(())
}

pub async fn apply(backend: &KubeBackend, batch: &[Manifest], namespace: &str) -> ApplyOutcome {
    let mut outcome = ApplyOutcome::default();
    for m in install_order(batch) {
        match apply_one(backend, m, namespace).await {
            Ok(applied) => outcome.applied.push(applied),
            Err(e) => {
                outcome.refused = Some(e);
                break;
            }
        }
    }
    outcome
}

async fn apply_one(backend: &KubeBackend, m: &Manifest, namespace: &str) -> Result<Applied> {
    let (reference, object) = object_of(m, namespace);
    let before = backend.fetch(&reference).await?;
    let api = api(&backend.client, reference.kind, &reference.namespace);
    let params = PatchParams::apply(FIELD_MANAGER).force();
    let body = Patch::Apply(&object);
    let after = with_retry(&backend.retries, || api.patch(m.name(), &params, &body))
        .await
        .map_err(|e| match &e {
            kube::Error::Api(s)
                if crate::errors::retry_class(&e) == rollplay_core::error::Retry::Final =>
            {
                Error::Refused {
                    object: object_name(&reference),
                    target: backend.target.clone(),
                    message: s.message.clone(),
                }
            }
            _ => crate::errors::request_error(&backend.target, "patch", &reference, e),
        })?;
    let after = serde_json::to_value(after).unwrap_or_default();
    backend.wrote(&reference, &after);
    let version = |v: &Value| v["metadata"]["resourceVersion"].clone();
    let result = match &before {
        None => ApplyResult::Created,
        Some(b) if version(b) == version(&after) => ApplyResult::Unchanged,
        Some(_) => ApplyResult::Configured,
    };
    Ok(Applied {
        kind: reference.kind,
        namespace: reference.namespace,
        name: reference.name,
        result,
    })
}
