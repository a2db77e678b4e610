//! How one pod serves the requests routed to it during one sampling interval: arrivals,
//! errors, CPU use against its request and limit, and the latency curve, which widens as the
//! pod saturates and sheds load once demand passes its CPU limit.

use super::dist::{Draws, Z99};
use super::profile::ImageProfile;

/// CPU a running container uses with no requests (millicores).
pub const IDLE_CPU_MILLI: f64 = 2.0;

/// What a container without a CPU limit can use: the simulated node's allocatable CPU.
pub const NODE_CPU_MILLI: f64 = 4000.0;

/// Utilization beyond which the queueing slowdown stops growing (requests beyond the limit
/// fail instead of waiting forever).
const MAX_UTILIZATION: f64 = 0.98;

/// One pod's interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Served {
    pub requests: u32,
    pub errors: u32,
    /// Average CPU used over the interval (millicores), capped at the limit.
    pub cpu_milli: f32,
    /// Sum of the containers' CPU requests (millicores; 0 when none is set).
    pub cpu_request_milli: f32,
    /// Memory working set and request, bytes (request 0 when none is set).
    pub memory_bytes: f32,
    pub memory_request_bytes: f32,
    /// The latency of this interval's requests is log-normal: ln(ms) ~ N(mu, sigma).
    pub mu: f32,
    pub sigma: f32,
    /// Standard normal noise of this interval's observed percentiles (fewer requests, more
    /// noise), drawn once so later queries agree with each other.
    pub noise: f32,
}

/// The resources of a pod, summed over containers (millicores and bytes).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Resources {
    pub cpu_request_milli: f64,
    pub cpu_limit_milli: Option<f64>,
    pub memory_request_bytes: f64,
}

/// The slowdown of a pod at CPU utilization `rho` of its limit: negligible at low load,
/// doubling around 80 %, steep near the limit (a queue's response time grows as 1/(1-rho)).
pub fn slowdown(rho: f64) -> f64 {
    let r = rho.clamp(0.0, MAX_UTILIZATION);
    1.0 + 0.5 * r * r * r / (1.0 - r)
}

/// The interval of a pod offered `rps` requests per second for `seconds` (scaled by the part
/// of the interval it was serving, `serving_fraction`).
pub fn serve(
    profile: &ImageProfile,
    resources: &Resources,
    rps: f64,
    seconds: f64,
    serving_fraction: f64,
    draws: &mut Draws,
) -> Served {
    let offered = rps * serving_fraction;
    let requests = draws.poisson(offered * seconds);
    // The CPU follows the requests that arrived, so it varies between intervals as they do.
    let demand = requests as f64 / seconds * profile.cpu_millis_per_request + IDLE_CPU_MILLI;
    let capacity = resources.cpu_limit_milli.unwrap_or(NODE_CPU_MILLI).max(1.0);
    let rho = demand / capacity;
    // Past the limit the pod is throttled: the share of demand it cannot serve fails.
    let shed = if rho > 1.0 { 1.0 - 1.0 / rho } else { 0.0 };
    let failing = 1.0 - (1.0 - profile.error_rate) * (1.0 - shed);
    let errors = draws.binomial(requests, failing);
    let factor = slowdown(rho);
    let p50 = profile.latency_ms.p50.max(0.001) * factor;
    let p99 = profile.latency_ms.p99.max(0.001) * factor;
    Served {
        requests: requests.min(u32::MAX as u64) as u32,
        errors: errors.min(u32::MAX as u64) as u32,
        cpu_milli: demand.min(capacity) as f32,
        cpu_request_milli: resources.cpu_request_milli as f32,
        memory_bytes: (profile.memory_mb * 1024.0 * 1024.0) as f32,
        memory_request_bytes: resources.memory_request_bytes as f32,
        mu: p50.ln() as f32,
        sigma: ((p99 / p50).ln() / Z99).max(0.0) as f32,
        noise: draws.normal() as f32,
    }
}

/// A running pod that serves nothing (not ready, or selected by no Service).
pub fn idle(profile: &ImageProfile, resources: &Resources) -> Served {
    Served {
        requests: 0,
        errors: 0,
        cpu_milli: IDLE_CPU_MILLI as f32,
        cpu_request_milli: resources.cpu_request_milli as f32,
        memory_bytes: (profile.memory_mb * 1024.0 * 1024.0) as f32,
        memory_request_bytes: resources.memory_request_bytes as f32,
        mu: profile.latency_ms.p50.max(0.001).ln() as f32,
        sigma: 0.0,
        noise: 0.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn web() -> (ImageProfile, Resources) {
        let resources = Resources {
            cpu_request_milli: 250.0,
            cpu_limit_milli: Some(500.0),
            memory_request_bytes: 256.0 * 1024.0 * 1024.0,
        };
        (ImageProfile::default(), resources)
    }

    #[test]
    fn light_load_keeps_the_profile_latency() {
        let (profile, res) = web();
        let mut d = Draws::new(1);
        let s = serve(&profile, &res, 20.0, 5.0, 1.0, &mut d);
        assert_eq!(s.errors, 0);
        assert!((s.mu.exp() - 20.0).abs() < 0.5, "{}", s.mu.exp());
        // About 20 req/s x 5 millicore-seconds + idle.
        assert!((s.cpu_milli - 102.0).abs() < 20.0, "{}", s.cpu_milli);
    }

    #[test]
    fn saturation_slows_then_sheds() {
        let (profile, res) = web();
        let mut d = Draws::new(1);
        let busy = serve(&profile, &res, 88.0, 5.0, 1.0, &mut d);
        assert!(busy.mu.exp() > 35.0, "{}", busy.mu.exp());
        assert!((busy.cpu_milli - 442.0).abs() < 40.0, "{}", busy.cpu_milli);
        let over = serve(&profile, &res, 200.0, 5.0, 1.0, &mut d);
        assert_eq!(over.cpu_milli, 500.0, "usage is capped at the limit");
        let error_rate = over.errors as f64 / over.requests as f64;
        assert!((error_rate - 0.5).abs() < 0.05, "{error_rate}");
    }
}
