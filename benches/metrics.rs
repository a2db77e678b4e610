//! Benchmark of canary analysis on the Kubernetes target with Prometheus (figures, not timed
//! tests): `rollplay sim serve` in process running examples/k8s with a canary beside it, a
//! real Prometheus scraping its `/metrics` every second, and the canary playbook's own
//! judgement (`analysis::judge(metrics(canary, I), metrics(stable, I), policy)`) run over the
//! kube target reading that Prometheus:
//! (a) the time from the end of an analysis interval to the verdict, over N judgements;
//! (b) the Prometheus queries a canary step sends, and a `check_metrics`.
//! The data a verdict reads is also as late as one scrape interval (1 s here); the goal is a
//! verdict under 100 ms beyond that.
//!
//! Run with `cargo bench --bench metrics` (add `-- quick` for a short run). Needs prometheus
//! on PATH (Debian's package).

use rollplay_kube::KubeBackend;
use rollplay_prometheus::{Prometheus, Queries};
use rollplay_script::output::Silent;
use rollplay_script::{Connection, Playbook, RunOptions, run};
use rollplay_sim::serve::{ServeOptions, Served};
use rollplay_sim::{Profiles, SimBackend};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[allow(dead_code)]
mod common;

const SETUP: &str = r#"
import "rollplay/rollout" as rollout;
import "rollplay/workloads" as workloads;
apply("examples/k8s");
rollout::watch("web", "2m", "5s", 3);
apply(workloads::copy_deployment("web", "web-canary", #{ "rollplay.dev/track": "canary" }, "", "ghcr.io/rollplay-demo/web:1.1.0", 2));
rollout::watch("web-canary", "2m", "5s", 3);
check_metrics("web", "1m");
check_metrics("web-canary", "1m");
sleep("30s");
"#;

const CHECK: &str = r#"check_metrics("web");"#;

/// ROUNDS judgements, each at the end of an interval: the delay to each verdict, in ms.
fn judging(rounds: usize) -> String {
    format!(
        r#"
import "rollplay/analysis" as analysis;
let delays = [];
let verdicts = [];
for i in 0..{rounds} {{
    let end = now();
    let v = analysis::judge(metrics("web-canary", "30s"), metrics("web", "30s"), #{{ min_samples: 5 }});
    delays.push((now() - end) * 1000.0);
    verdicts.push(v.verdict);
    sleep(0.5);
}}
#{{ delays: delays, verdicts: verdicts }}
"#
    )
}

struct PrometheusProcess(Child, std::path::PathBuf);

impl Drop for PrometheusProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
        let _ = std::fs::remove_dir_all(&self.1);
    }
}

fn start_prometheus(scrape: &str) -> (PrometheusProcess, String) {
    let dir = std::env::temp_dir().join(format!("rollplay-bench-prom-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch");
    let config = dir.join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global: {{scrape_interval: 1s, evaluation_interval: 1s}}\nscrape_configs:\n- job_name: sim\n  static_configs: [{{targets: ['{scrape}']}}]\n"
        ),
    )
    .expect("config");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("port");
    let address = format!("127.0.0.1:{port}");
    let child = Command::new("prometheus")
        .arg(format!("--config.file={}", config.display()))
        .arg(format!(
            "--storage.tsdb.path={}",
            dir.join("data").display()
        ))
        .arg(format!("--web.listen-address={address}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("prometheus on PATH (apt-get install prometheus)");
    let started = Instant::now();
    while std::net::TcpStream::connect(&address).is_err() {
        assert!(started.elapsed() < Duration::from_secs(30), "prometheus");
        std::thread::sleep(Duration::from_millis(100));
    }
    // Ready for queries a moment after it listens.
    std::thread::sleep(Duration::from_secs(2));
    (PrometheusProcess(child, dir), format!("http://{address}"))
}

fn options() -> RunOptions {
    RunOptions {
        namespace: "demo".into(),
        namespace_pinned: false,
        abort_timeout: std::time::Duration::from_secs(120),
        max_operations: rollplay_script::engine::MAX_OPERATIONS,
        force_unlock: false,
        params: Default::default(),
        timeout: None,
        output: Arc::new(Silent),
        assume_yes: true,
        ask: None,
        cancel: Default::default(),
        interrupt: Default::default(),
        record: None,
    }
}

fn script(name: &str, source: &str) -> Playbook {
    Playbook {
        name: name.into(),
        file: format!("{name}.rhai"),
        source: source.into(),
        dir: None,
    }
}

fn main() {
    let quick = std::env::args().any(|a| a == "quick");
    let rounds = if quick { 5 } else { 20 };
    let runtime = common::runtime();
    let served = runtime
        .block_on(Served::start(
            SimBackend::new(1, Profiles::default()).into_sim(),
            ServeOptions::default(),
        ))
        .expect("serve");
    let (_prometheus, url) = start_prometheus(&served.address().to_string());
    let prometheus = Arc::new(Prometheus::new(&url, Queries::default()).expect("prometheus"));
    let kube = runtime
        .block_on(KubeBackend::connect_url(&served.url(), "demo", None))
        .expect("kube")
        .with_metrics(prometheus.clone());
    let connection = Connection {
        backend: Arc::new(kube),
        rehearsal: Arc::new(SimBackend::new(1, Profiles::default())),
    };
    let setup = runtime.block_on(run(connection.clone(), &script("setup", SETUP), options()));
    assert!(setup.ok, "setup: {:?}", setup.error);

    let before = prometheus.queries_sent();
    let check = runtime.block_on(run(connection.clone(), &script("check", CHECK), options()));
    assert!(check.ok, "check: {:?}", check.error);
    let per_check = prometheus.queries_sent() - before;

    let before = prometheus.queries_sent();
    let judged = runtime.block_on(run(
        connection,
        &script("judge", &judging(rounds)),
        options(),
    ));
    assert!(judged.ok, "judge: {:?}", judged.error);
    let per_step = (prometheus.queries_sent() - before) as f64 / rounds as f64;
    let mut delays: Vec<f64> = judged.result["delays"]
        .as_array()
        .expect("delays")
        .iter()
        .filter_map(|d| d.as_f64())
        .collect();
    delays.sort_by(f64::total_cmp);
    let verdicts = &judged.result["verdicts"];
    println!(
        "(a) interval end → verdict on kube with Prometheus (2 reports of a 30 s window, judged), {rounds} rounds: median {:.1} ms, max {:.1} ms (goal: under 100 ms beyond the 1 s scrape interval); verdicts {verdicts}",
        delays[delays.len() / 2],
        delays[delays.len() - 1],
    );
    println!(
        "(b) Prometheus queries: {per_step:.0} per canary step ({:.0} per report, sent together), {per_check} per check_metrics",
        per_step / 2.0
    );
    runtime.block_on(served.stop());
}
