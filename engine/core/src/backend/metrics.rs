//! What a metrics source reports about a workload's traffic, the same from the simulator and
//! from Prometheus: a window's totals and its per-interval samples, each interval with its own
//! start and length, so rates never assume one source's scrape or tick period.

use crate::objref::ObjectRef;
use std::collections::BTreeMap;

/// Which pods a query is about.
#[derive(Debug, Clone, PartialEq)]
pub enum MetricsFilter {
    /// A workload's pods.
    Workload(ObjectRef),
    /// The pods a label selector picks in a namespace.
    Selector {
        namespace: String,
        labels: BTreeMap<String, String>,
    },
}

impl MetricsFilter {
    pub fn namespace(&self) -> &str {
        match self {
            MetricsFilter::Workload(w) => &w.namespace,
            MetricsFilter::Selector { namespace, .. } => namespace,
        }
    }
}

/// A window's metrics.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MetricsReport {
    pub requests: u64,
    pub errors: u64,
    /// The part of the window covered by samples (seconds).
    pub seconds: f64,
    pub p50_ms: Option<f64>,
    pub p95_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    /// Σ usage / Σ request, percent (HPA-6), over samples of pods with a request.
    pub cpu_utilization: Option<f64>,
    pub memory_utilization: Option<f64>,
    pub pods: usize,
    pub samples: Vec<MetricsInterval>,
    /// Where the numbers come from: `simulator`, `Prometheus at URL`.
    pub source: String,
    /// The queries the source answered, by metric (`samples.rps`, `window.p99_ms`); none on
    /// the simulator.
    pub queries: BTreeMap<String, String>,
}

impl MetricsReport {
    /// Requests per second over the covered part of the window.
    pub fn rps(&self) -> f64 {
        if self.seconds > 0.0 {
            self.requests as f64 / self.seconds
        } else {
            0.0
        }
    }
}

/// One interval of a query's pods together.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricsInterval {
    /// When the interval starts, in seconds since the Unix epoch.
    pub at: f64,
    /// How long it is, in seconds.
    pub seconds: f64,
    /// Pods sampled in the interval.
    pub pods: usize,
    pub requests: u64,
    pub errors: u64,
    pub p50_ms: Option<f64>,
    pub p95_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub cpu_utilization: Option<f64>,
}

impl MetricsInterval {
    pub fn rps(&self) -> f64 {
        if self.seconds > 0.0 {
            self.requests as f64 / self.seconds
        } else {
            0.0
        }
    }
}

/// A request rate: constant, or a load profile of `(seconds, rps)` points, linear between
/// points and holding the last rate after the last point. In YAML: `250` or
/// `[[0, 110], [600, 1100]]`.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(untagged)]
pub enum Rate {
    Constant(f64),
    Points(Vec<(f64, f64)>),
}

impl Rate {
    /// Checks the numbers (rates and times at least 0, times increasing).
    pub fn check(&self) -> Result<(), String> {
        match self {
            Rate::Constant(r) if !(r.is_finite() && *r >= 0.0) => Err(format!(
                "a rate must be a number of requests per second of at least 0, got {r}"
            )),
            Rate::Constant(_) => Ok(()),
            Rate::Points(points) => {
                if points.is_empty() {
                    return Err("a load profile needs at least one [at_seconds, rps] point".into());
                }
                for (i, (at, rps)) in points.iter().enumerate() {
                    if !(at.is_finite() && *at >= 0.0 && rps.is_finite() && *rps >= 0.0) {
                        return Err(format!(
                            "point {} [{at}, {rps}]: seconds and rps must be numbers of at least 0",
                            i + 1
                        ));
                    }
                    if i > 0 && *at <= points[i - 1].0 {
                        return Err(format!(
                            "point {} [{at}, {rps}]: times must increase (the previous is at {} s)",
                            i + 1,
                            points[i - 1].0
                        ));
                    }
                }
                Ok(())
            }
        }
    }

    /// Requests per second `seconds` after the profile's start.
    pub fn at(&self, seconds: f64) -> f64 {
        match self {
            Rate::Constant(r) => *r,
            Rate::Points(points) => {
                let after = points.partition_point(|(at, _)| *at <= seconds);
                match (after.checked_sub(1).map(|i| points[i]), points.get(after)) {
                    (None, Some(first)) => first.1,
                    (Some(last), None) => last.1,
                    (Some((t0, r0)), Some((t1, r1))) => r0 + (r1 - r0) * (seconds - t0) / (t1 - t0),
                    (None, None) => 0.0,
                }
            }
        }
    }

    /// `250 req/s` or `load profile of 3 points`.
    pub fn describe(&self) -> String {
        match self {
            Rate::Constant(r) => format!("{r} req/s"),
            Rate::Points(p) => format!("load profile of {} points", p.len()),
        }
    }
}
