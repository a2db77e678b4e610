//! The run lock: one run at a time changes a workload. A run takes it before its first change
//! to the object, renews it while it runs and releases it at the end; a lock whose holder
//! stopped renewing (killed, or its machine gone) is taken over once it expired. On Kubernetes
//! it is a `coordination.k8s.io/v1` Lease beside the workload, as controllers elect leaders.

use crate::objref::ObjectRef;
use std::time::Duration;

/// Who holds a lock, and for how long it counts without a renewal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockHolder {
    /// `rollplay run rolling, pid 4242 on ci-runner-7` (a Lease's `holderIdentity`).
    pub identity: String,
    pub ttl: Duration,
}

/// How taking a lock went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LockOutcome {
    /// This run holds it; `took_over` names the run it was taken from (expired, or with
    /// `--force-unlock`).
    Held { took_over: Option<String> },
    /// The target belongs to this process alone (an in-process simulator): no other run can
    /// change it.
    Private,
}

/// The name of the lock object of `object`: `rollplay-lock-deployment-web`, a valid object
/// name (DNS subdomain, at most 253 characters).
///
/// ```
/// use rollplay_core::{kind::Kind, objref::ObjectRef};
/// let web = ObjectRef::new(Kind::Deployment, "demo", "web");
/// assert_eq!(rollplay_core::backend::lock_name(&web), "rollplay-lock-deployment-web");
/// ```
pub fn lock_name(object: &ObjectRef) -> String {
    let mut name = format!("rollplay-lock-{}-{}", object.kind.singular(), object.name);
    name.truncate(253);
    name.trim_end_matches(['-', '.']).to_string()
}
