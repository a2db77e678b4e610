//! `/metrics`: the simulated pods' traffic in the Prometheus text format, under the names a
//! real cluster's exporters use (an app's `http_requests_total` and latency histogram,
//! cAdvisor's CPU and memory, kube-state-metrics' resource requests), so a real Prometheus
//! scraping `sim serve` gives the kube target the numbers the simulator's `metrics()` gives.
//!
//! The simulator samples traffic in 5 s intervals. A counter that jumped by a whole interval
//! at once would make `rate()` over short windows swing between zero and double; each
//! interval's increase is instead spread evenly over the 5 s after it ended, so a rate over
//! any window is the simulator's rate, late by at most one interval.

use crate::PodId;
use crate::dist::normal_cdf;
use crate::metrics::{Store, Tick};
use crate::serving::Served;
use crate::time::{SimTime, unix_seconds};
use crate::traffic::TICK;
use std::collections::BTreeMap;
use std::fmt::Write;

/// Upper bounds of the latency histogram's buckets, in seconds (5 ms to 10 s, denser where
/// services' p50 and p99 usually fall, so `histogram_quantile` interpolates within a few
/// percent).
pub const LATENCY_BUCKETS: [f64; 25] = [
    0.005, 0.01, 0.015, 0.02, 0.025, 0.03, 0.04, 0.05, 0.06, 0.075, 0.1, 0.125, 0.15, 0.2, 0.25,
    0.3, 0.4, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0,
];

/// A counter whose latest increase is spread over the interval after it.
#[derive(Debug, Clone, Copy, Default)]
struct Counter {
    settled: f64,
    spreading: f64,
    since: SimTime,
}

impl Counter {
    fn add(&mut self, increase: f64, at: SimTime) {
        self.settled += self.spreading;
        self.spreading = increase;
        self.since = at;
    }

    fn value(&self, now: SimTime) -> f64 {
        let part = (now.saturating_sub(self.since) as f64 / TICK as f64).clamp(0.0, 1.0);
        self.settled + self.spreading * part
    }
}

/// One exported pod.
#[derive(Debug, Clone)]
struct PodSeries {
    namespace: String,
    pod: String,
    container: String,
    ok: Counter,
    errors: Counter,
    buckets: [Counter; LATENCY_BUCKETS.len()],
    latency_sum: Counter,
    cpu_seconds: Counter,
    memory_bytes: f64,
    cpu_request_cores: f64,
    memory_request_bytes: f64,
}

/// What has been exported so far; kept by `sim serve`, outside the simulation.
#[derive(Debug, Default)]
pub struct Exporter {
    seen: Option<SimTime>,
    pods: BTreeMap<PodId, PodSeries>,
}

impl Exporter {
    /// The exposition at `now`, after taking in the intervals that ended since the last one.
    pub fn scrape(&mut self, store: &Store, now: SimTime) -> String {
        self.take_in(store);
        render(self.pods.values(), now)
    }

    fn take_in(&mut self, store: &Store) {
        let ticks: Vec<&Tick> = store.ticks_after(self.seen.unwrap_or(0)).collect();
        let Some(last) = ticks.last() else {
            return;
        };
        let seen = last.at;
        for tick in &ticks {
            for (id, served) in &tick.pods {
                let Some(info) = store.info(*id) else {
                    continue;
                };
                let series = self.pods.entry(*id).or_insert_with(|| PodSeries {
                    namespace: info.namespace.clone(),
                    pod: info.name.clone(),
                    container: info.container.clone(),
                    ok: Counter::default(),
                    errors: Counter::default(),
                    buckets: [Counter::default(); LATENCY_BUCKETS.len()],
                    latency_sum: Counter::default(),
                    cpu_seconds: Counter::default(),
                    memory_bytes: 0.0,
                    cpu_request_cores: 0.0,
                    memory_request_bytes: 0.0,
                });
                series.add(served, tick.at);
            }
        }
        // Pods gone from the last interval stop being exported, as a deleted pod's series
        // end in a cluster (Prometheus marks them stale).
        let present: std::collections::BTreeSet<PodId> =
            last.pods.iter().map(|(id, _)| *id).collect();
        self.pods.retain(|id, _| present.contains(id));
        self.seen = Some(seen);
    }
}

impl PodSeries {
    fn add(&mut self, s: &Served, at: SimTime) {
        let requests = s.requests as f64;
        let errors = s.errors.min(s.requests) as f64;
        self.ok.add(requests - errors, at);
        self.errors.add(errors, at);
        let (mu, sigma) = (s.mu as f64, s.sigma as f64);
        for (bucket, le) in self.buckets.iter_mut().zip(LATENCY_BUCKETS) {
            bucket.add(requests * lognormal_cdf((le * 1000.0).ln(), mu, sigma), at);
        }
        // The mean of a log-normal latency (ms), in seconds.
        self.latency_sum
            .add(requests * (mu + sigma * sigma / 2.0).exp() / 1000.0, at);
        self.cpu_seconds
            .add(s.cpu_milli as f64 / 1000.0 * TICK as f64 / 1000.0, at);
        self.memory_bytes = s.memory_bytes as f64;
        self.cpu_request_cores = s.cpu_request_milli as f64 / 1000.0;
        self.memory_request_bytes = s.memory_request_bytes as f64;
    }
}

fn lognormal_cdf(ln_x: f64, mu: f64, sigma: f64) -> f64 {
    if sigma > 0.0 {
        normal_cdf((ln_x - mu) / sigma)
    } else if ln_x >= mu {
        1.0
    } else {
        0.0
    }
}

/// A label value escaped as the text format requires.
fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn render<'a>(pods: impl Iterator<Item = &'a PodSeries> + Clone, now: SimTime) -> String {
    let mut out = String::new();
    let labels = |p: &PodSeries| {
        format!(
            "namespace=\"{}\",pod=\"{}\",container=\"{}\"",
            escape(&p.namespace),
            escape(&p.pod),
            escape(&p.container)
        )
    };
    let family = |out: &mut String, name: &str, kind: &str, help: &str| {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
    };
    family(
        &mut out,
        "http_requests_total",
        "counter",
        "Requests a simulated pod served, by status code.",
    );
    for p in pods.clone() {
        let l = labels(p);
        let _ = writeln!(
            out,
            "http_requests_total{{{l},code=\"200\"}} {}",
            p.ok.value(now)
        );
        let _ = writeln!(
            out,
            "http_requests_total{{{l},code=\"500\"}} {}",
            p.errors.value(now)
        );
    }
    family(
        &mut out,
        "http_request_duration_seconds",
        "histogram",
        "Latency of a simulated pod's requests.",
    );
    for p in pods.clone() {
        let l = labels(p);
        for (bucket, le) in p.buckets.iter().zip(LATENCY_BUCKETS) {
            let _ = writeln!(
                out,
                "http_request_duration_seconds_bucket{{{l},le=\"{le}\"}} {}",
                bucket.value(now)
            );
        }
        let count = p.ok.value(now) + p.errors.value(now);
        let _ = writeln!(
            out,
            "http_request_duration_seconds_bucket{{{l},le=\"+Inf\"}} {count}"
        );
        let _ = writeln!(
            out,
            "http_request_duration_seconds_sum{{{l}}} {}",
            p.latency_sum.value(now)
        );
        let _ = writeln!(out, "http_request_duration_seconds_count{{{l}}} {count}");
    }
    family(
        &mut out,
        "container_cpu_usage_seconds_total",
        "counter",
        "CPU a simulated container used, in core-seconds (as cAdvisor reports it).",
    );
    for p in pods.clone() {
        let _ = writeln!(
            out,
            "container_cpu_usage_seconds_total{{{}}} {}",
            labels(p),
            p.cpu_seconds.value(now)
        );
    }
    family(
        &mut out,
        "container_memory_working_set_bytes",
        "gauge",
        "Memory working set of a simulated container (as cAdvisor reports it).",
    );
    for p in pods.clone() {
        let _ = writeln!(
            out,
            "container_memory_working_set_bytes{{{}}} {}",
            labels(p),
            p.memory_bytes
        );
    }
    family(
        &mut out,
        "kube_pod_container_resource_requests",
        "gauge",
        "Resource requests of a simulated container (as kube-state-metrics reports them).",
    );
    for p in pods {
        let l = labels(p);
        if p.cpu_request_cores > 0.0 {
            let _ = writeln!(
                out,
                "kube_pod_container_resource_requests{{{l},resource=\"cpu\",unit=\"core\"}} {}",
                p.cpu_request_cores
            );
        }
        if p.memory_request_bytes > 0.0 {
            let _ = writeln!(
                out,
                "kube_pod_container_resource_requests{{{l},resource=\"memory\",unit=\"byte\"}} {}",
                p.memory_request_bytes
            );
        }
    }
    let _ = writeln!(
        out,
        "# HELP rollplay_sim_time_seconds The simulator's clock, in seconds since the Unix epoch.\n# TYPE rollplay_sim_time_seconds gauge\nrollplay_sim_time_seconds {}",
        unix_seconds(now)
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::{PodInfo, Tick};
    use crate::time::SECOND;
    use std::sync::Arc;

    fn served(requests: u32, errors: u32) -> Served {
        Served {
            requests,
            errors,
            cpu_milli: 100.0,
            cpu_request_milli: 250.0,
            memory_bytes: 64e6,
            memory_request_bytes: 128e6,
            mu: 20f32.ln(),
            sigma: 0.5,
            noise: 0.0,
        }
    }

    fn store_with(ticks: &[(SimTime, Vec<(PodId, Served)>)]) -> Store {
        let mut store = Store::default();
        for id in [1, 2] {
            store.remember(
                id,
                Arc::new(PodInfo {
                    namespace: "demo".into(),
                    name: format!("web-7d9-{id}"),
                    deployment: Some("web".into()),
                    labels: Default::default(),
                    container: "app".into(),
                }),
            );
        }
        for (at, pods) in ticks {
            store.push(Tick {
                at: *at,
                pods: pods.clone(),
                unserved: vec![],
            });
        }
        store
    }

    fn sample(text: &str, series: &str) -> f64 {
        text.lines()
            .find_map(|l| l.strip_prefix(series)?.trim().parse().ok())
            .unwrap_or_else(|| panic!("no {series} in\n{text}"))
    }

    #[test]
    fn counters_grow_by_each_interval_spread_over_the_next() {
        let t = 100 * SECOND;
        let store = store_with(&[(t, vec![(1, served(500, 10))])]);
        let mut exporter = Exporter::default();
        let ok = "http_requests_total{namespace=\"demo\",pod=\"web-7d9-1\",container=\"app\",code=\"200\"}";
        assert_eq!(sample(&exporter.scrape(&store, t), ok), 0.0);
        assert_eq!(sample(&exporter.scrape(&store, t + 2500), ok), 245.0);
        assert_eq!(sample(&exporter.scrape(&store, t + 9000), ok), 490.0);
        let text = exporter.scrape(&store, t + 9000);
        let inf = "http_request_duration_seconds_bucket{namespace=\"demo\",pod=\"web-7d9-1\",container=\"app\",le=\"+Inf\"}";
        assert_eq!(sample(&text, inf), 500.0);
        // Half of a log-normal with a 20 ms median is below 20 ms.
        let le20 = "http_request_duration_seconds_bucket{namespace=\"demo\",pod=\"web-7d9-1\",container=\"app\",le=\"0.02\"}";
        assert!((sample(&text, le20) - 250.0).abs() < 0.5, "{text}");
        let cpu = "container_cpu_usage_seconds_total{namespace=\"demo\",pod=\"web-7d9-1\",container=\"app\"}";
        assert!((sample(&text, cpu) - 0.5).abs() < 1e-9);
    }

    #[test]
    fn a_pod_missing_from_the_last_interval_is_no_longer_exported() {
        let store = store_with(&[
            (5 * SECOND, vec![(1, served(10, 0)), (2, served(10, 0))]),
            (10 * SECOND, vec![(1, served(10, 0))]),
        ]);
        let text = Exporter::default().scrape(&store, 12 * SECOND);
        assert!(
            text.contains("web-7d9-1") && !text.contains("web-7d9-2"),
            "{text}"
        );
    }
}
