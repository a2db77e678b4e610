//! EndpointSlice conditions (SVC-1, SVC-2) and kube-proxy's choice of endpoints (SVC-3): the
//! functions the simulator's Services use, also run by `rollplay sim conformance`.

/// What the EndpointSlice controller looks at on a pod.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PodFacts {
    /// Phase Succeeded or Failed.
    pub terminal: bool,
    pub has_ip: bool,
    /// All containers ready.
    pub containers_ready: bool,
    /// Every readiness gate condition is True (SVC-2).
    pub gates_ready: bool,
    /// deletionTimestamp set.
    pub deleting: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Conditions {
    pub ready: bool,
    pub serving: bool,
    pub terminating: bool,
}

/// The endpoint for a pod, or None when the pod is not listed (no IP, or terminal) (SVC-1).
pub fn conditions(pod: &PodFacts, publish_not_ready_addresses: bool) -> Option<Conditions> {
    if !pod.has_ip || pod.terminal {
        return None;
    }
    let pod_ready = pod.containers_ready && pod.gates_ready;
    Some(Conditions {
        serving: publish_not_ready_addresses || pod_ready,
        ready: publish_not_ready_addresses || (pod_ready && !pod.deleting),
        terminating: pod.deleting,
    })
}

/// The endpoints kube-proxy sends new connections to: ready ones; else serving terminating
/// ones (KEP-1669); else none, and new connections are rejected (SVC-3).
pub fn proxy_targets<T: Clone>(endpoints: &[(T, Conditions)]) -> Vec<T> {
    let ready: Vec<T> = endpoints
        .iter()
        .filter(|(_, c)| c.ready)
        .map(|(t, _)| t.clone())
        .collect();
    if !ready.is_empty() {
        return ready;
    }
    endpoints
        .iter()
        .filter(|(_, c)| c.serving && c.terminating)
        .map(|(t, _)| t.clone())
        .collect()
}
