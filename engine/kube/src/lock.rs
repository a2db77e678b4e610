//! The run lock on Kubernetes: a `coordination.k8s.io/v1` Lease beside the workload, taken by
//! create (only one create of a name succeeds), renewed and taken over by a replace guarded
//! by its resourceVersion (only one replace of a version succeeds), as client-go's leader
//! election does. A holder that stops renewing loses the lock `leaseDurationSeconds` later.

use crate::backend::KubeBackend;
use crate::errors::request_error;
use crate::resources::api;
use crate::retry::with_retry;
use kube::api::{DeleteParams, DynamicObject, PostParams};
use rollplay_core::backend::{LockHolder, LockOutcome, lock_name};
use rollplay_core::error::{Error, LockHeld, Result};
use rollplay_core::kind::Kind;
use rollplay_core::objref::ObjectRef;
use rollplay_core::timefmt::{parse_rfc3339_fraction, rfc3339_micros};
use serde_json::{Value, json};

/// What a Lease says about its holder.
struct Held {
    identity: String,
    acquired: String,
    renewed: String,
    /// Seconds since the epoch after which the lease counts as abandoned.
    expires: f64,
    version: String,
}

fn held(lease: &Value) -> Held {
    let spec = &lease["spec"];
    let text = |field: &str| spec[field].as_str().unwrap_or_default().to_string();
    let renewed = text("renewTime");
    let duration = spec["leaseDurationSeconds"].as_f64().unwrap_or(0.0);
    Held {
        identity: text("holderIdentity"),
        acquired: text("acquireTime"),
        expires: parse_rfc3339_fraction(&renewed).unwrap_or(0.0) + duration,
        renewed,
        version: lease["metadata"]["resourceVersion"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    }
}

fn lease_body(lease: &ObjectRef, holder: &LockHolder, acquired: &str, now: f64) -> Value {
    json!({
        "apiVersion": "coordination.k8s.io/v1",
        "kind": "Lease",
        "metadata": {
            "name": lease.name,
            "namespace": lease.namespace,
            "labels": {"app.kubernetes.io/managed-by": "rollplay"},
        },
        "spec": {
            "holderIdentity": holder.identity,
            "leaseDurationSeconds": holder.ttl.as_secs().max(1),
            "acquireTime": acquired,
            "renewTime": rfc3339_micros(now),
        },
    })
}

fn lease_of(object: &ObjectRef) -> ObjectRef {
    ObjectRef::new(Kind::Lease, &object.namespace, &lock_name(object))
}

/// The answer to a write that another writer may win: the object, or None when it lost (409).
type Raced = std::result::Result<DynamicObject, ()>;

async fn racing<F, Fut>(backend: &KubeBackend, write: F) -> kube::Result<Raced>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = kube::Result<DynamicObject>>,
{
    // Transient failures are sent again; losing the race is an answer, not a failure.
    with_retry(&backend.retries, || async {
        match write().await {
            Err(kube::Error::Api(s)) if s.code == 409 => Ok(Err(())),
            other => other.map(Ok),
        }
    })
    .await
}

fn dynamic(body: &Value) -> Result<DynamicObject> {
    serde_json::from_value(body.clone())
        .map_err(|e| Error::bad_input("the run lock", e.to_string()))
}

/// Attempts before a lock that keeps changing hands is reported as held.
const ATTEMPTS: usize = 3;

pub async fn lock(
    backend: &KubeBackend,
    object: &ObjectRef,
    holder: &LockHolder,
    force: bool,
) -> Result<LockOutcome> {
    let lease = lease_of(object);
    let leases = api(&backend.client, Kind::Lease, &lease.namespace);
    let refused = |verb: &str, e| request_error(&backend.target, verb, &lease, e);
    let post = PostParams::default();
    let mut last = None;
    for _ in 0..ATTEMPTS {
        let now = crate::backend::unix_now();
        let fresh = dynamic(&lease_body(&lease, holder, &rfc3339_micros(now), now))?;
        let created = racing(backend, || leases.create(&post, &fresh))
            .await
            .map_err(|e| refused("create", e))?;
        if created.is_ok() {
            return Ok(LockOutcome::Held { took_over: None });
        }
        // It exists: ours to renew, someone else's to respect, or abandoned.
        let Some(current) = backend.fetch(&lease).await? else {
            continue; // released in between: create again
        };
        let was = held(&current);
        let ours = was.identity == holder.identity;
        let expired = now > was.expires;
        if !ours && !expired && !force {
            return Err(locked(backend, object, was));
        }
        let acquired = if ours {
            was.acquired.clone()
        } else {
            rfc3339_micros(now)
        };
        let mut body = lease_body(&lease, holder, &acquired, now);
        body["metadata"]["resourceVersion"] = Value::from(was.version.clone());
        let replacement = dynamic(&body)?;
        let replaced = racing(backend, || leases.replace(&lease.name, &post, &replacement))
            .await
            .map_err(|e| refused("update", e))?;
        if replaced.is_err() {
            // Renewed or taken by another run between the read and the write: read again.
            last = Some(was);
            continue;
        }
        let took_over = (!ours).then(|| {
            let why = if expired {
                format!("its lease expired; last renewed {}", was.renewed)
            } else {
                "--force-unlock".to_string()
            };
            format!("{} ({why})", was.identity)
        });
        return Ok(LockOutcome::Held { took_over });
    }
    let now_held = backend.fetch(&lease).await?.map(|v| held(&v));
    match now_held.or(last) {
        Some(other) => Err(locked(backend, object, other)),
        None => Err(Error::cluster(
            backend.target.clone(),
            format!(
                "the run lock on {} kept changing hands; try again",
                object.short()
            ),
            rollplay_core::error::Retry::Transient,
            None,
        )),
    }
}

fn locked(backend: &KubeBackend, object: &ObjectRef, other: Held) -> Error {
    Error::Locked {
        object: object.short(),
        target: backend.target.clone(),
        held: Box::new(LockHeld {
            holder: other.identity,
            since: other.acquired,
            renewed: other.renewed,
        }),
    }
}

pub async fn unlock(backend: &KubeBackend, object: &ObjectRef, holder: &LockHolder) -> Result<()> {
    let lease = lease_of(object);
    let Some(current) = backend.fetch(&lease).await? else {
        return Ok(());
    };
    let was = held(&current);
    if was.identity != holder.identity {
        return Ok(());
    }
    let leases = api(&backend.client, Kind::Lease, &lease.namespace);
    let params = DeleteParams {
        preconditions: Some(kube::api::Preconditions {
            resource_version: Some(was.version),
            uid: None,
        }),
        ..DeleteParams::default()
    };
    // Gone already, or renewed by a run that took it over (409): not ours to delete.
    let deleted = with_retry(&backend.retries, || async {
        match leases.delete(&lease.name, &params).await {
            Err(kube::Error::Api(s)) if s.code == 404 || s.code == 409 => Ok(()),
            other => other.map(|_| ()),
        }
    })
    .await;
    deleted.map_err(|e| request_error(&backend.target, "delete", &lease, e))
}
