//! Benchmarks that print figures for the traffic model and canary analysis: (e) virtual
//! seconds simulated per wall second for a 10-replica service at 200 req/s with its
//! autoscaler; (f) the `autoscale-tuning` playbook's full default grid, in wall time;
//! (g) one Mann-Whitney test (with its Hodges-Lehmann estimate) on 2 x 1 000 samples.
//!
//! Run with `cargo bench --bench traffic` (add `-- quick` for a short run, `only=e` for one).

use rollplay_core::backend::Rate;
use rollplay_core::manifest::load_text;
use rollplay_script::Playbook;
use rollplay_script::stats::{Kayenta, Options, mann_whitney};
use rollplay_sim::Sim;
use rollplay_sim::time::SECOND;
use std::path::Path;
use std::time::{Duration, Instant};

mod common;

/// Ten pods at 200 req/s use 40 % of their CPU request: the autoscaler runs every 15 s and
/// holds them at its minimum of 10.
const SERVICE: &str = "apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 10
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: web:1
        resources: {requests: {cpu: 250m, memory: 256Mi}, limits: {cpu: 500m}}
        readinessProbe: {httpGet: {path: /ready, port: 8080}, periodSeconds: 10}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {selector: {app: web}, ports: [{port: 80}]}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 10
  maxReplicas: 20
  metrics:
  - type: Resource
    resource: {name: cpu, target: {type: Utilization, averageUtilization: 70}}
";

/// (e) Virtual seconds per wall second, advancing an hour of virtual time at a time.
fn virtual_seconds_per_second(budget: Duration) -> (f64, f64, usize) {
    let mut sim = Sim::new(1);
    let m = load_text(SERVICE, "bench").expect("parses");
    sim.apply(&m, "default").expect("applies");
    sim.set_traffic("default", "web", Rate::Constant(200.0))
        .expect("the Service exists");
    sim.advance_by(600 * SECOND);
    let start = Instant::now();
    let from = sim.now();
    while start.elapsed() < budget {
        sim.advance_by(3600 * SECOND);
    }
    let simulated = (sim.now() - from) as f64 / SECOND as f64;
    let pods = sim
        .deployment_observation("default", "web")
        .map(|o| o.available as usize)
        .unwrap_or(0);
    (
        simulated / start.elapsed().as_secs_f64(),
        simulated / 3600.0,
        pods,
    )
}

/// (f) The whole default grid of `autoscale-tuning` against examples/k8s, in process.
fn tuning_grid() -> (Duration, usize) {
    let runtime = common::runtime();
    let playbook = Playbook::resolve("autoscale-tuning").expect("built in");
    let start = Instant::now();
    let report = common::run_playbook(&runtime, &playbook, &[("manifests", "examples/k8s")], 1);
    let took = start.elapsed();
    let tried = report.result["settings_tried"].as_u64().unwrap_or(0) as usize;
    (took, tried)
}

/// Deterministic samples: latencies around `centre` with some spread (xorshift).
fn samples(n: usize, centre: f64, seed: u64) -> Vec<f64> {
    let mut s = seed;
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            centre * (0.5 + (s % 10_000) as f64 / 10_000.0)
        })
        .collect()
}

/// (g) Median and best time of one test on 2 x 1 000 samples, and of Kayenta's
/// classification (the test, its interval and the effect) that the judge calls per metric.
fn mann_whitney_time(runs: usize) -> ((Duration, Duration, f64), (Duration, Duration)) {
    let control = samples(1000, 100.0, 7);
    let experiment = samples(1000, 104.0, 11);
    let mut times = Vec::with_capacity(runs);
    let mut p = 0.0;
    for _ in 0..runs {
        let t = Instant::now();
        let r = mann_whitney(&control, &experiment, Options::default()).expect("valid samples");
        times.push(t.elapsed());
        p = std::hint::black_box(r).p_value;
    }
    times.sort();
    let test = (times[runs / 2], times[0], p);
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        let j = Kayenta::default()
            .classify(&control, &experiment)
            .expect("valid samples");
        times.push(t.elapsed());
        std::hint::black_box(j);
    }
    times.sort();
    (test, (times[runs / 2], times[0]))
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let quick = args.iter().any(|a| a == "quick");
    let only: Vec<&str> = args
        .iter()
        .filter_map(|a| a.strip_prefix("only="))
        .collect();
    let wanted = |part: &str| only.is_empty() || only.contains(&part);
    std::env::set_current_dir(Path::new(env!("CARGO_MANIFEST_DIR"))).expect("repository root");

    if wanted("e") {
        let budget = Duration::from_secs(if quick { 1 } else { 5 });
        let (rate, hours, pods) = virtual_seconds_per_second(budget);
        println!(
            "(e) sim:    {rate:>10.0} virtual seconds per wall second, {pods} pods at 200 req/s with their autoscaler ({hours:.0} h simulated, goal >= 100 000)"
        );
    }
    if wanted("f") {
        let (took, tried) = tuning_grid();
        println!(
            "(f) tuning: {:>10.2} s wall for the default autoscale-tuning grid ({tried} settings x 35 min, {} threads, goal < 10 s)",
            took.as_secs_f64(),
            std::thread::available_parallelism().map_or(1, |n| n.get())
        );
    }
    if wanted("g") {
        let ((median, best, p), (classify_median, classify_best)) =
            mann_whitney_time(if quick { 200 } else { 2000 });
        println!(
            "(g) stats:  {:>10.3} ms median, {:.3} ms best: Mann-Whitney with Hodges-Lehmann on 2 x 1 000 samples (p = {p:.1e}, goal < 1 ms)",
            median.as_secs_f64() * 1e3,
            best.as_secs_f64() * 1e3
        );
        println!(
            "            {:>10.3} ms median, {:.3} ms best: the judge's classification of one metric on the same samples",
            classify_median.as_secs_f64() * 1e3,
            classify_best.as_secs_f64() * 1e3
        );
    }
}
