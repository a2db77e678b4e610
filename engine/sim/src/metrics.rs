//! The samples the traffic model records (the last hour of 5 s intervals per pod) and the
//! queries on them: `metrics()` over a window for a Deployment or a label selector, and the
//! per-pod CPU the HorizontalPodAutoscaler reads (as metrics-server serves it).

use super::dist::{normal_cdf, normal_quantile};
use super::serving::Served;
use super::time::{SECOND, SimTime};
use super::{Key, PodId};
use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

/// How long samples are kept; `metrics()` windows are at most this long.
pub const RETENTION: SimTime = 3600 * SECOND;

/// The window metrics-server averages a pod's CPU over (three intervals).
pub const CPU_WINDOW: SimTime = 15 * SECOND;

/// What a pod's samples are attributed to (kept after the pod is gone).
#[derive(Debug, Clone, PartialEq)]
pub struct PodInfo {
    pub namespace: String,
    pub name: String,
    pub deployment: Option<String>,
    pub labels: BTreeMap<String, String>,
    /// The first container's name, which the pod's samples are exported under.
    pub container: String,
}

/// One interval: every running pod's sample, and the requests Services could not route.
#[derive(Debug, Clone)]
pub struct Tick {
    pub at: SimTime,
    /// Sorted by pod id.
    pub pods: Vec<(PodId, Served)>,
    pub unserved: Vec<(Key, u64)>,
}

pub struct Store {
    ticks: VecDeque<Tick>,
    info: BTreeMap<PodId, Arc<PodInfo>>,
    /// How long samples are kept ([`RETENTION`] unless a replay needs its whole run).
    pub retention: SimTime,
}

impl Default for Store {
    fn default() -> Store {
        Store {
            ticks: VecDeque::new(),
            info: BTreeMap::new(),
            retention: RETENTION,
        }
    }
}

/// Which pods a query is about.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    Deployment(String),
    Selector(BTreeMap<String, String>),
}

/// A window's metrics.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Report {
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
    pub samples: Vec<Interval>,
}

/// One interval of a query's pods together.
#[derive(Debug, Clone, PartialEq)]
pub struct Interval {
    pub at: SimTime,
    /// Running pods sampled in the interval.
    pub pods: usize,
    pub requests: u64,
    pub errors: u64,
    pub p50_ms: Option<f64>,
    pub p95_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub cpu_utilization: Option<f64>,
}

impl Store {
    pub fn knows(&self, pod: PodId) -> bool {
        self.info.contains_key(&pod)
    }

    pub fn remember(&mut self, pod: PodId, info: Arc<PodInfo>) {
        self.info.insert(pod, info);
    }

    pub fn push(&mut self, tick: Tick) {
        let oldest = tick.at.saturating_sub(self.retention);
        self.ticks.push_back(tick);
        let mut dropped = false;
        while self.ticks.front().is_some_and(|t| t.at <= oldest) {
            self.ticks.pop_front();
            dropped = true;
        }
        if dropped && self.info.len() > 4 * self.ticks.back().map_or(0, |t| t.pods.len()) + 64 {
            let live: std::collections::BTreeSet<PodId> = self
                .ticks
                .iter()
                .flat_map(|t| t.pods.iter().map(|(id, _)| *id))
                .collect();
            self.info.retain(|id, _| live.contains(id));
        }
    }

    /// The intervals that ended after `at`, oldest first (what an exporter has not seen yet).
    pub fn ticks_after(&self, at: SimTime) -> impl Iterator<Item = &Tick> {
        let first = self.ticks.partition_point(|t| t.at <= at);
        self.ticks.range(first..)
    }

    /// What a pod's samples are attributed to.
    pub fn info(&self, pod: PodId) -> Option<&PodInfo> {
        self.info.get(&pod).map(|i| &**i)
    }

    pub fn last_tick(&self) -> Option<SimTime> {
        self.ticks.back().map(|t| t.at)
    }

    /// A pod's CPU as metrics-server reports it: the average over the last `CPU_WINDOW`,
    /// with the sample's time and window (None before its first sample).
    pub fn pod_cpu(&self, pod: PodId) -> Option<(f64, SimTime, SimTime)> {
        let last = self.ticks.back()?.at;
        let mut total = 0.0;
        let mut count = 0;
        for tick in self
            .ticks
            .iter()
            .rev()
            .take_while(|t| t.at + CPU_WINDOW > last)
        {
            if let Ok(i) = tick.pods.binary_search_by_key(&pod, |(id, _)| *id) {
                total += tick.pods[i].1.cpu_milli as f64;
                count += 1;
            }
        }
        (count > 0).then(|| (total / count as f64, last, CPU_WINDOW))
    }

    /// Metrics of the pods in `namespace` matching `filter` over the `window` ending at `now`.
    pub fn query(&self, namespace: &str, filter: &Filter, window: SimTime, now: SimTime) -> Report {
        let from = now.saturating_sub(window);
        let matches = |id: &PodId| {
            self.info.get(id).is_some_and(|info| {
                info.namespace == namespace
                    && match filter {
                        Filter::Deployment(name) => info.deployment.as_deref() == Some(name),
                        Filter::Selector(sel) => {
                            sel.iter().all(|(k, v)| info.labels.get(k) == Some(v))
                        }
                    }
            })
        };
        let mut report = Report::default();
        let mut all: Vec<&Served> = Vec::new();
        let mut pods = std::collections::BTreeSet::new();
        let mut covered = 0;
        for tick in self.ticks.iter().filter(|t| t.at > from && t.at <= now) {
            let served: Vec<&Served> = tick
                .pods
                .iter()
                .filter(|(id, _)| matches(id))
                .map(|(id, s)| {
                    pods.insert(*id);
                    s
                })
                .collect();
            covered += 1;
            if served.is_empty() {
                continue;
            }
            let requests: u64 = served.iter().map(|s| s.requests as u64).sum();
            let errors: u64 = served.iter().map(|s| s.errors as u64).sum();
            report.samples.push(Interval {
                at: tick.at,
                pods: served.len(),
                requests,
                errors,
                p50_ms: observed_quantile(&served, 0.50, true),
                p95_ms: observed_quantile(&served, 0.95, true),
                p99_ms: observed_quantile(&served, 0.99, true),
                cpu_utilization: utilization(&served, |s| (s.cpu_milli, s.cpu_request_milli)),
            });
            report.requests += requests;
            report.errors += errors;
            all.extend(served);
        }
        report.seconds = (covered as SimTime * super::traffic::TICK) as f64 / 1000.0;
        report.pods = pods.len();
        report.p50_ms = observed_quantile(&all, 0.50, false);
        report.p95_ms = observed_quantile(&all, 0.95, false);
        report.p99_ms = observed_quantile(&all, 0.99, false);
        report.cpu_utilization = utilization(&all, |s| (s.cpu_milli, s.cpu_request_milli));
        report.memory_utilization = utilization(&all, |s| (s.memory_bytes, s.memory_request_bytes));
        report
    }
}

/// Σ used / Σ requested in percent, over samples that have a request.
fn utilization(samples: &[&Served], pick: impl Fn(&Served) -> (f32, f32)) -> Option<f64> {
    let (used, requested) = samples
        .iter()
        .map(|s| pick(s))
        .filter(|(_, r)| *r > 0.0)
        .fold((0.0, 0.0), |(u, r), (du, dr)| {
            (u + du as f64, r + dr as f64)
        });
    (requested > 0.0).then(|| 100.0 * used / requested)
}

/// The q-quantile (ms) of the requests of these samples as an observer measures it: the
/// order statistic of the requests actually seen, so few requests give a noisy value (a p99
/// of three requests is about their largest). `noisy` uses the samples' drawn noise; without
/// it the expected position is used.
fn observed_quantile(samples: &[&Served], q: f64, noisy: bool) -> Option<f64> {
    let n: f64 = samples.iter().map(|s| s.requests as f64).sum();
    if n < 1.0 {
        return None;
    }
    // The k-th smallest of n uniform draws is Beta(k, n+1-k): its mean and spread.
    let k = (q * n).ceil().max(1.0);
    let mean = k / (n + 1.0);
    let sd = (k * (n + 1.0 - k) / ((n + 1.0) * (n + 1.0) * (n + 2.0))).sqrt();
    let z = if noisy {
        samples
            .iter()
            .map(|s| (s.requests as f64).sqrt() * s.noise as f64)
            .sum::<f64>()
            / n.sqrt()
    } else {
        0.0
    };
    let edge = 0.5 / (n + 1.0);
    let position = (mean + z * sd).clamp(edge, 1.0 - edge);
    Some(mixture_quantile(samples, position))
}

/// The quantile of the mixture of the samples' log-normal latencies, weighted by requests.
fn mixture_quantile(samples: &[&Served], p: f64) -> f64 {
    let weighted: Vec<(f64, f64, f64)> = samples
        .iter()
        .filter(|s| s.requests > 0)
        .map(|s| (s.requests as f64, s.mu as f64, s.sigma as f64))
        .collect();
    let total: f64 = weighted.iter().map(|w| w.0).sum();
    if let [(_, mu, sigma)] = weighted[..] {
        return (mu + sigma * normal_quantile(p)).exp();
    }
    let cdf = |x: f64| {
        weighted
            .iter()
            .map(|(n, mu, sigma)| {
                let z = if *sigma > 0.0 {
                    (x - mu) / sigma
                } else if x >= *mu {
                    f64::INFINITY
                } else {
                    f64::NEG_INFINITY
                };
                n * normal_cdf(z)
            })
            .sum::<f64>()
            / total
    };
    let z = normal_quantile(p);
    let mut lo = weighted
        .iter()
        .map(|(_, mu, s)| mu + s * z.min(-6.0))
        .fold(f64::INFINITY, f64::min);
    let mut hi = weighted
        .iter()
        .map(|(_, mu, s)| mu + s * z.max(6.0))
        .fold(f64::NEG_INFINITY, f64::max);
    for _ in 0..60 {
        let mid = 0.5 * (lo + hi);
        if cdf(mid) < p {
            lo = mid;
        } else {
            hi = mid;
        }
        if hi - lo < 1e-6 {
            break;
        }
    }
    (0.5 * (lo + hi)).exp()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn served(requests: u32, p50: f64, sigma: f64) -> Served {
        Served {
            requests,
            errors: 0,
            cpu_milli: 100.0,
            cpu_request_milli: 250.0,
            memory_bytes: 0.0,
            memory_request_bytes: 0.0,
            mu: p50.ln() as f32,
            sigma: sigma as f32,
            noise: 0.0,
        }
    }

    #[test]
    fn the_mixture_of_equal_pods_is_the_pod() {
        let a = served(1000, 20.0, 0.6);
        let b = served(1000, 20.0, 0.6);
        let one = mixture_quantile(&[&a], 0.99);
        let two = mixture_quantile(&[&a, &b], 0.99);
        assert!((one - two).abs() < 0.01, "{one} {two}");
        assert!((one - 20.0 * (0.6 * 2.3263f64).exp()).abs() < 0.1);
    }

    #[test]
    fn a_slow_pod_lifts_the_tail() {
        let fast = served(900, 20.0, 0.4);
        let slow = served(100, 200.0, 0.4);
        let p99 = mixture_quantile(&[&fast, &slow], 0.99);
        let p50 = mixture_quantile(&[&fast, &slow], 0.50);
        assert!(p99 > 200.0 && p50 < 25.0, "{p50} {p99}");
    }

    #[test]
    fn few_requests_read_lower_than_the_true_tail() {
        let few = served(3, 20.0, 0.6);
        let p99 = observed_quantile(&[&few], 0.99, false).unwrap();
        let true_p99 = 20.0 * (0.6 * 2.3263f64).exp();
        assert!(p99 < true_p99, "{p99} vs {true_p99}");
        assert_eq!(
            observed_quantile(&[&served(0, 20.0, 0.6)], 0.99, false),
            None
        );
    }
}
