//! Canary analysis on `--target kube` against `rollplay sim serve`, with a real Prometheus
//! scraping the served simulator's `/metrics` every second and rollplay reading it through
//! `--prometheus`: the `canary` playbook promotes a good image and aborts the 5 % error and
//! the +50 % p99 images with the numbers the same run gives on `--target sim`; `blue-green`
//! passes its smoke check; bad queries, an unreachable Prometheus and missing series stop
//! the run before the canary exists; no data is inconclusive, never a failure.

mod common;

use common::prometheus::RealPrometheus;
use common::served::{ServedSim, rollplay_with};
use common::*;
use serde_json::Value;

/// A served simulator with these image profiles, and a Prometheus scraping it.
struct Cluster {
    served: ServedSim,
    prometheus: RealPrometheus,
    profiles: String,
}

fn cluster(test: &str, profiles: &str) -> Cluster {
    cluster_with(test, profiles, &[])
}

/// The same with more `sim serve` flags (faults).
fn cluster_with(test: &str, profiles: &str, extra: &[&str]) -> Cluster {
    let dir = scratch(test);
    let profiles = write(&dir, "profiles.yaml", profiles);
    let served = ServedSim::start(&[&["--sim", profiles.as_str()], extra].concat());
    let prometheus = RealPrometheus::scraping(&[served.url.trim_start_matches("http://")]);
    Cluster {
        served,
        prometheus,
        profiles,
    }
}

impl Cluster {
    /// `rollplay ARGS --target kube --prometheus URL --output json`.
    fn kube(&self, args: &[&str]) -> (i32, Value) {
        self.kube_reading(&self.prometheus.url, args)
    }

    /// The same, reading metrics from the Prometheus at `prometheus`.
    fn kube_reading(&self, prometheus: &str, args: &[&str]) -> (i32, Value) {
        let all = [
            args,
            &[
                "--target",
                "kube",
                "--prometheus",
                prometheus,
                "--output",
                "json",
            ],
        ]
        .concat();
        let out = rollplay_with(&self.served.kubeconfig, &all);
        let value = serde_json::from_str(out.stdout.trim()).unwrap_or_else(|e| {
            panic!(
                "stdout is not one JSON object ({e}):\n{}\nstderr:\n{}",
                out.stdout, out.stderr
            )
        });
        (out.code, value)
    }

    /// Installs examples/k8s (a rolling update to the image it already runs).
    fn install(&self) {
        let old = format!("image={OLD_IMAGE}");
        let (code, report) = self.kube(&[
            "run",
            "rolling",
            "--set",
            "manifests=examples/k8s",
            "--set",
            &old,
        ]);
        assert_eq!(code, 0, "{report:#}");
    }

    /// The same run on the simulator with the same profiles.
    fn sim(&self, args: &[&str]) -> (i32, Value) {
        run_json(&[args, &["--sim", &self.profiles]].concat())
    }
}

fn images(stable: &str, canary: &str) -> String {
    format!("images:\n  \"{OLD_IMAGE}\": {stable}\n  \"{NEW_IMAGE}\": {canary}\n")
}

/// One 40 s analysis step at 50 %, then promotion; four 5 s samples suffice per side (the
/// canary's first sample or two have no data yet: its pods start after the step does, and
/// Prometheus sees each 5 s interval a scrape later).
fn canary_args(image: &str) -> Vec<&str> {
    vec![
        "run",
        "canary",
        "--set",
        "manifests=examples/k8s",
        "--set",
        image,
        "--set",
        "steps=50,100",
        "--set",
        "interval=40s",
        "--set",
        "min_samples=4",
    ]
}

fn value(m: &Value, side: &str) -> f64 {
    m[format!("{side}_value")]
        .as_f64()
        .unwrap_or_else(|| panic!("no {side}_value in {m}"))
}

fn actions(report: &Value) -> Vec<String> {
    action_lines(report)
}

/// The judged canary was removed and stable was never changed.
fn assert_aborted(code: i32, report: &Value) {
    assert_eq!(code, 1, "{report:#}");
    let acts = actions(report);
    assert_eq!(
        acts.last().map(String::as_str),
        Some("delete deployment/web-canary"),
        "{acts:?}"
    );
    assert!(
        !acts.iter().any(|a| a == "set_image deployment/web"),
        "{acts:?}"
    );
    assert_eq!(report["error"]["details"]["stable_image"], OLD_IMAGE);
}

#[test]
fn a_good_image_is_promoted_on_kube_with_prometheus() {
    let c = cluster("kube-metrics-good", &images("{}", "{}"));
    let image = new_image_arg();
    let record = scratch("kube-metrics-record").join("metrics.jsonl");
    let record_arg = record.display().to_string();
    let (code, report) =
        c.kube(&[canary_args(&image).as_slice(), &["--record", &record_arg]].concat());
    assert_eq!(code, 0, "{report:#}");
    // The record: the reports the step was judged on, with their queries.
    let lines = trace(&record);
    let workloads = recorded_workloads(&lines);
    // A judgement found inconclusive is repeated an interval later: pairs, canary first.
    assert!(
        !workloads.is_empty() && workloads.len().is_multiple_of(2),
        "{workloads:?}"
    );
    for pair in workloads.chunks(2) {
        assert_eq!(
            pair,
            ["deployment/web-canary", "deployment/web"],
            "{workloads:?}"
        );
    }
    let canary = &lines[0];
    assert_eq!(
        canary["source"],
        format!("Prometheus at {}", c.prometheus.url)
    );
    assert_eq!(canary["report"]["source"], canary["source"]);
    assert_eq!(
        (canary["target"].as_str(), canary["window_seconds"].as_f64()),
        (Some("kube:rollplay-sim"), Some(40.0))
    );
    let p99 = canary["queries"]["samples.p99_ms"].as_str().unwrap();
    assert!(
        p99.contains("pod=~\"web-canary-[a-z0-9]+-[a-z0-9]+\"") && p99.contains("[5s]"),
        "{p99}"
    );
    assert!(
        canary["report"]["samples"].as_array().unwrap().len() >= 4,
        "{canary:#}"
    );
    let steps = report["result"]["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 1, "{steps:?}");
    assert_eq!(steps[0]["verdict"], "pass");
    assert_eq!(report["result"]["image"], NEW_IMAGE);
    let acts = actions(&report);
    assert!(
        acts.iter().any(|a| a == "set_image deployment/web"),
        "{acts:?}"
    );
    let (sim_code, sim) = c.sim(&canary_args(&image));
    assert_eq!(sim_code, 0, "{sim:#}");
    assert_eq!(final_state(&sim), final_state(&report));
}

/// Sampling noise: at 50 % of 100 req/s, a 40 s step holds about 2,000 canary requests, so
/// a 5 % error rate reads 5 % ± 0.5 % (one standard deviation); two independent runs differ
/// by less than 2.5 points (over three of their combined deviations).
#[test]
fn five_percent_errors_abort_on_kube_with_the_numbers_of_the_simulator() {
    let profiles = images("{error_rate: 0.001}", "{error_rate: 0.05}");
    let c = cluster("kube-metrics-errors", &profiles);
    let image = new_image_arg();
    let args = canary_args(&image);
    let (code, kube) = c.kube(&args);
    assert_aborted(code, &kube);
    let (sim_code, sim) = c.sim(&args);
    assert_eq!(sim_code, 1, "{sim:#}");
    let on_kube = verdict_metric(&kube["error"]["details"]["verdict"], "error_rate");
    let on_sim = verdict_metric(&sim["error"]["details"]["verdict"], "error_rate");
    assert_eq!(on_kube["verdict"], "fail", "{on_kube}");
    assert_eq!(on_sim["verdict"], "fail", "{on_sim}");
    let (k, s) = (value(on_kube, "canary"), value(on_sim, "canary"));
    assert!((0.035..0.065).contains(&k), "kube canary error rate {k}");
    eprintln!("canary error rate: kube {k:.4}, sim {s:.4}");
    assert!((k - s).abs() < 0.025, "kube {k} vs sim {s}");
    assert!(value(on_kube, "stable") < 0.005, "{on_kube}");
    assert!(
        on_kube["canary_samples"].as_u64().unwrap() >= 4,
        "{on_kube}"
    );
}

/// Sampling noise: the judged p99 is the window's, from the latency histogram's buckets
/// (linear within a bucket, 25 % wide here) on kube and from the requests' order statistic
/// on the simulator; canary/stable ratios of 1.5 read within ±0.2 on both.
#[test]
fn a_p99_half_again_as_slow_aborts_on_kube_as_on_the_simulator() {
    let profiles = images(
        "{latency_ms: {p50: 20, p99: 80}}",
        "{latency_ms: {p50: 30, p99: 120}}",
    );
    let c = cluster("kube-metrics-latency", &profiles);
    let image = new_image_arg();
    let args = canary_args(&image);
    let (code, kube) = c.kube(&args);
    assert_aborted(code, &kube);
    let (sim_code, sim) = c.sim(&args);
    assert_eq!(sim_code, 1, "{sim:#}");
    let on_kube = verdict_metric(&kube["error"]["details"]["verdict"], "p99_ms");
    let on_sim = verdict_metric(&sim["error"]["details"]["verdict"], "p99_ms");
    assert_eq!(on_kube["verdict"], "fail", "{on_kube}");
    let ratio = |m: &Value| value(m, "canary") / value(m, "stable");
    let (k, s) = (ratio(on_kube), ratio(on_sim));
    assert!((1.3..1.7).contains(&k), "kube p99 ratio {k}: {on_kube}");
    eprintln!(
        "p99 canary/stable: kube {k:.3} ({:.1}/{:.1} ms), sim {s:.3} ({:.1}/{:.1} ms)",
        value(on_kube, "canary"),
        value(on_kube, "stable"),
        value(on_sim, "canary"),
        value(on_sim, "stable")
    );
    assert!((k - s).abs() < 0.2, "kube {k} vs sim {s}");
    let stable_p99 = value(on_kube, "stable");
    assert!((70.0..92.0).contains(&stable_p99), "{on_kube}");
}

fn blue_green_args(image: &str) -> Vec<&str> {
    vec![
        "run",
        "blue-green",
        "--set",
        "manifests=examples/k8s",
        "--set",
        image,
        "--set",
        "smoke_window=15s",
        "--set",
        "scale_down_delay=10s",
    ]
}

#[test]
fn blue_green_passes_its_smoke_check_on_kube_as_on_the_simulator() {
    let c = cluster("kube-metrics-blue-green", &images("{}", "{}"));
    let image = new_image_arg();
    let (code, report) = c.kube(&blue_green_args(&image));
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["result"]["image"], NEW_IMAGE);
    assert_eq!(report["result"]["live"], "web-green");
    let (sim_code, sim) = c.sim(&blue_green_args(&image));
    assert_eq!(sim_code, 0, "{sim:#}");
    assert_eq!(final_state(&sim), final_state(&report));
    assert_eq!(sim["result"]["selector"], report["result"]["selector"]);
}

/// 5 % of API requests answered 500, 2 % 429, every watch cut after 10 s (the metrics
/// scrapes are not faulted): the playbook ends as without faults and reports the retries.
fn through_faults(test: &str, args: &[&str]) -> Value {
    let faults = ["--faults", "5xx=0.05,429=0.02,drop-watch=10s,seed=5"];
    let c = cluster_with(test, &images("{}", "{}"), &faults);
    let (code, report) = c.kube(args);
    assert_eq!(code, 0, "{report:#}");
    let client = &report["client"];
    assert!(client["retried_requests"].as_u64().unwrap() > 0, "{client}");
    assert!(client["resumed_watches"].as_u64().unwrap() > 0, "{client}");
    report
}

#[test]
fn canary_ends_correctly_through_server_errors_and_dropped_watches() {
    let image = new_image_arg();
    let report = through_faults("kube-metrics-faults-canary", &canary_args(&image));
    assert_eq!(report["result"]["image"], NEW_IMAGE);
    assert_eq!(report["result"]["steps"][0]["verdict"], "pass");
}

#[test]
fn blue_green_ends_correctly_through_server_errors_and_dropped_watches() {
    let image = new_image_arg();
    let report = through_faults("kube-metrics-faults-blue-green", &blue_green_args(&image));
    assert_eq!(report["result"]["live"], "web-green");
}

#[test]
fn bad_queries_unreachable_prometheus_and_missing_series_stop_before_the_canary() {
    let c = cluster("kube-metrics-errors-early", &images("{}", "{}"));
    c.install();
    let dir = scratch("kube-metrics-queries");
    let image = new_image_arg();
    // The canary of the installed `web`: nothing changes before the metrics are checked,
    // so a failed check is bad input (exit 2) with an empty journal.
    let canary = |extra: &[&str]| -> Vec<String> {
        let base = [
            "run",
            "canary",
            "-n",
            "demo",
            "--set",
            "workload=web",
            "--set",
            &image,
        ];
        base.iter().chain(extra).map(|s| s.to_string()).collect()
    };
    let run_reading = |prometheus: &str, args: Vec<String>| {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (code, report) = c.kube_reading(prometheus, &args);
        assert_eq!(code, 2, "{report:#}");
        assert!(actions(&report).is_empty(), "{report:#}");
        report["error"]["message"].as_str().unwrap().to_string()
    };
    let run = |args: Vec<String>| run_reading(&c.prometheus.url, args);

    // A syntax error: Prometheus's 400 bad_data, with the metric and the query.
    let broken = write(
        &dir,
        "broken.yaml",
        "queries:\n  p99_ms: 'histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{ {{selector}} }[{{interval}}]))'\n",
    );
    let message = run(canary(&["--metrics", &broken]));
    assert!(message.contains("metric p99_ms"), "{message}");
    assert!(message.contains("400 bad_data"), "{message}");
    assert!(message.contains("unclosed left parenthesis"), "{message}");
    assert!(
        message.contains("query: histogram_quantile(0.99"),
        "{message}"
    );
    assert!(
        message.contains(&format!("--metrics {broken}")),
        "{message}"
    );

    // A query whose metric does not exist: no series, after waiting a little for them.
    let absent = write(
        &dir,
        "absent.yaml",
        "queries:\n  rps: 'sum(rate(http_requests_totl{ {{selector}} }[{{interval}}]))'\n",
    );
    let message = run(canary(&["--metrics", &absent, "--set", "metrics_wait=3s"]));
    assert!(message.contains("metric rps"), "{message}");
    assert!(message.contains("returned no series for web"), "{message}");
    assert!(
        message.contains("http_requests_totl{ namespace=\"demo\""),
        "{message}"
    );

    // A playbook's own query, used for the rest of the run; a typo is found on every target.
    let own = write(
        &dir,
        "own-query.rhai",
        "check_metrics(\"web\", \"1m\");\nsleep(\"10s\");\nlet base = metrics(\"web\", \"10s\").rps;\nlet used = metrics_query(\"rps\", \"2 * sum(rate(http_requests_total{ {{selector}} }[{{interval}}]))\");\n#{ used: used, base: base, own: metrics(\"web\", \"10s\").rps }\n",
    );
    let (code, report) = c.kube(&["run", &own, "-n", "demo"]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["result"]["used"], true);
    let (base, own) = (
        report["result"]["base"].as_f64().unwrap(),
        report["result"]["own"].as_f64().unwrap(),
    );
    assert!(
        base > 50.0 && (1.8..2.2).contains(&(own / base)),
        "{base} then {own}"
    );
    let typo = write(&dir, "typo.rhai", "metrics_query(\"p99\", \"x\");\n");
    for (code, report) in [c.kube(&["run", &typo]), run_json(&["run", &typo])] {
        assert_eq!(code, 2, "{report:#}");
        let message = report["error"]["message"].as_str().unwrap();
        assert!(message.contains("did you mean \"p99_ms\""), "{message}");
    }

    // Nobody listens on port 1.
    let message = run_reading("http://127.0.0.1:1", canary(&[]));
    assert!(message.contains("unreachable"), "{message}");
    assert!(
        message.contains("Prometheus at http://127.0.0.1:1"),
        "{message}"
    );
    assert!(message.contains("--prometheus"), "{message}");
}

/// A workload with no pods has no series mid-run: its report is empty and the judge says
/// inconclusive, never fail.
#[test]
fn no_data_is_inconclusive_never_a_failure() {
    let c = cluster("kube-metrics-no-data", &images("{}", "{}"));
    let dir = scratch("kube-metrics-no-data-script");
    let (code, report) = c.kube(&[
        "run",
        "rolling",
        "--set",
        "manifests=examples/k8s",
        "--set",
        &format!("image={OLD_IMAGE}"),
    ]);
    assert_eq!(code, 0, "{report:#}");
    c.prometheus.wait_for(
        "http_requests_total{namespace=\"demo\",pod=~\"web-.*\"}",
        std::time::Duration::from_secs(30),
    );
    let script = write(
        &dir,
        "idle.rhai",
        &format!(
            "import \"rollplay/workloads\" as workloads;\nimport \"rollplay/analysis\" as analysis;\napply(workloads::copy_deployment(\"web\", \"idle\", #{{ \"rollplay.dev/track\": \"idle\" }}, \"\", \"{OLD_IMAGE}\", 0));\ncheck_metrics(\"web\", \"30s\");\nsleep(\"10s\");\nlet idle = metrics(\"idle\", \"10s\");\nlet verdict = analysis::judge(idle, metrics(\"web\", \"10s\"), #{{ min_samples: 1 }});\n#{{ verdict: verdict.verdict, failed: verdict.metrics.filter(|m| m.verdict == \"fail\").len(), idle_samples: idle.samples.len(), idle_requests: idle.requests }}\n"
        ),
    );
    let (code, report) = c.kube(&["run", &script, "-n", "demo"]);
    assert_eq!(code, 0, "{report:#}");
    let r = &report["result"];
    assert_eq!(r["verdict"], "inconclusive", "{r}");
    assert_eq!(r["failed"], 0, "{r}");
    assert_eq!(
        (r["idle_samples"].as_i64(), r["idle_requests"].as_i64()),
        (Some(0), Some(0))
    );
}
