//! Benchmarks of the Kubernetes target against `rollplay sim serve` (figures, not timed
//! tests), all on one served simulator per figure in this process:
//! (a) the delay from the server marking a rollout complete to rollplay's `wait_ready`
//!     returning, beside `kubectl rollout status` on the same rollout;
//! (b) API requests and bytes of a `rolling` run, beside `kubectl apply --server-side` +
//!     `kubectl set image` + `kubectl rollout status` for the same rollout;
//! (c) 100 Deployments given a new image and waited for as one list: requests per
//!     Deployment beyond the mutations, and how long after the last one completes the wait
//!     returns;
//! (d) `sim serve` throughput for GET of a Deployment and LIST of 1 000 pods;
//! (e) the server's memory with 1 000 Deployments of 10 pods.
//!
//! Run with `cargo bench --bench kube` (add `-- quick` for a short run). Needs kubectl.

use rollplay_core::backend::{ClusterBackend, Quiet};
use rollplay_core::kind::Kind;
use rollplay_core::manifest::load_text;
use rollplay_core::objref::ObjectRef;
use rollplay_core::wait::{Deadline, WaitFor, wait_ready};
use rollplay_k8s::rollout::status;
use rollplay_kube::KubeBackend;
use rollplay_sim::serve::{ServeOptions, Served};
use rollplay_sim::{Profiles, Sim, SimBackend};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

#[allow(dead_code)]
mod common;

const PROFILES: &str = "defaults:\n  startup_seconds: 0.2\n  shutdown_seconds: 0.1\n";

fn deployment(name: &str, replicas: u32, image: &str) -> String {
    format!(
        "apiVersion: apps/v1
kind: Deployment
metadata: {{name: {name}, labels: {{app: bench}}}}
spec:
  replicas: {replicas}
  selector: {{matchLabels: {{app: {name}}}}}
  template:
    metadata: {{labels: {{app: {name}}}}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: web
        image: {image}
        readinessProbe: {{httpGet: {{path: /ready, port: 8080}}, periodSeconds: 1}}
"
    )
}

fn fast_sim() -> Sim {
    SimBackend::new(
        1,
        Profiles::from_yaml(PROFILES, "bench.yaml").expect("profiles"),
    )
    .into_sim()
}

fn scratch() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rollplay-bench-kube-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch");
    dir
}

/// (requests, bytes) in a request log from line `from` on.
fn log_counts(path: &Path, from: usize) -> (usize, u64) {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().skip(from).collect();
    let bytes = lines
        .iter()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v["bytes"].as_u64())
        .sum();
    (lines.len(), bytes)
}

fn log_lines(path: &Path) -> usize {
    std::fs::read_to_string(path)
        .map(|t| t.lines().count())
        .unwrap_or(0)
}

/// Whether every named Deployment is rolled out on the server (one look under its lock).
fn complete(served: &Served, names: &[String]) -> bool {
    served.look(|s| {
        names.iter().all(|name| {
            s.deployment_observation("default", name)
                .is_some_and(|o| status::deployment(&o, 0).done)
        })
    })
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

async fn wait_all(backend: &dyn ClusterBackend, what: WaitFor) {
    let deadline = Deadline::within(backend.now(), Duration::from_secs(300), None);
    wait_ready(backend, &what, &deadline, &CancellationToken::new(), &Quiet)
        .await
        .expect("rolled out");
}

/// (a): per rollout, ms from the server's completion to rollplay's return and to kubectl's exit.
async fn completion_delay(rounds: usize) {
    let dir = scratch();
    let served = Arc::new(
        Served::start(fast_sim(), ServeOptions::default())
            .await
            .expect("serve"),
    );
    let kubeconfig = dir.join("kubeconfig");
    std::fs::write(&kubeconfig, served.kubeconfig("default")).unwrap();
    let backend = KubeBackend::connect_url(&served.url(), "default", None)
        .await
        .unwrap();
    let app = load_text(&deployment("web", 3, "web:0"), "web.yaml").unwrap();
    backend.validate(&app, "default").await.unwrap();
    backend.apply(&app, "default").await;
    let web = ObjectRef::new(Kind::Deployment, "default", "web");
    wait_all(&backend, WaitFor::One(web.clone())).await;
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    for round in 1..=rounds {
        backend
            .set_image(&web, None, &format!("web:{round}"))
            .await
            .unwrap();
        let kubectl = Command::new("kubectl")
            .args(["rollout", "status", "deployment/web", "--timeout=120s"])
            .env("KUBECONFIG", &kubeconfig)
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("kubectl runs");
        let poller = served.clone();
        let completed = tokio::task::spawn_blocking(move || {
            while !complete(&poller, &["web".to_string()]) {
                std::thread::sleep(Duration::from_micros(200));
            }
            Instant::now()
        });
        wait_all(&backend, WaitFor::One(web.clone())).await;
        let returned = Instant::now();
        let kubectl_done = tokio::task::spawn_blocking(move || {
            let mut k = kubectl;
            k.wait().expect("kubectl ends");
            Instant::now()
        })
        .await
        .unwrap();
        let completed = completed.await.unwrap();
        ours.push(returned.saturating_duration_since(completed).as_secs_f64() * 1000.0);
        theirs.push(
            kubectl_done
                .saturating_duration_since(completed)
                .as_secs_f64()
                * 1000.0,
        );
    }
    println!(
        "(a) completion → return, {rounds} rollouts: rollplay wait_ready median {:.1} ms (max {:.1}); kubectl rollout status median {:.1} ms (max {:.1}, process exit included)",
        median(ours.clone()),
        ours.iter().cloned().fold(0.0, f64::max),
        median(theirs.clone()),
        theirs.iter().cloned().fold(0.0, f64::max),
    );
}

/// (b): requests and bytes (watch streams not counted) of the same rollout both ways.
async fn requests_per_run() {
    let dir = scratch();
    let image = "image=ghcr.io/rollplay-demo/web:1.1.0";
    let mut figures = Vec::new();
    for way in ["rollplay", "kubectl"] {
        let log = dir.join(format!("{way}.jsonl"));
        let options = ServeOptions {
            speed: 30.0,
            request_log: Some(log.clone()),
            ..ServeOptions::default()
        };
        let served = Served::start(fast_sim(), options).await.expect("serve");
        let kubeconfig = dir.join(format!("{way}.kubeconfig"));
        std::fs::write(&kubeconfig, served.kubeconfig("default")).unwrap();
        let run = |program: &str, args: &[&str]| {
            let out = Command::new(program)
                .args(args)
                .env("KUBECONFIG", &kubeconfig)
                .output()
                .expect("runs");
            assert!(
                out.status.success(),
                "{program} {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        };
        let rollplay = env!("CARGO_BIN_EXE_rollplay");
        tokio::task::block_in_place(|| {
            if way == "rollplay" {
                run(
                    rollplay,
                    &[
                        "run",
                        "rolling",
                        "--target",
                        "kube",
                        "--set",
                        "manifests=examples/k8s",
                        "--set",
                        image,
                    ],
                );
            } else {
                run(
                    "kubectl",
                    &["apply", "--server-side", "-f", "examples/k8s/"],
                );
                run(
                    "kubectl",
                    &["-n", "demo", "rollout", "status", "deployment/web"],
                );
                run(
                    "kubectl",
                    &[
                        "-n",
                        "demo",
                        "set",
                        "image",
                        "deployment/web",
                        "web=ghcr.io/rollplay-demo/web:1.1.0",
                    ],
                );
                run(
                    "kubectl",
                    &["-n", "demo", "rollout", "status", "deployment/web"],
                );
            }
        });
        figures.push(log_counts(&log, 0));
        served.stop().await;
    }
    println!(
        "(b) apply examples/k8s and roll to a new image: rollplay `rolling` {} requests, {} KB; kubectl apply --server-side + rollout status + set image + rollout status {} requests, {} KB (response bodies, watch streams not counted)",
        figures[0].0,
        figures[0].1 / 1024,
        figures[1].0,
        figures[1].1 / 1024
    );
}

/// (c): 100 Deployments rolled at once and waited for as one list.
async fn hundred_at_once(count: usize) {
    let dir = scratch();
    let log = dir.join("hundred.jsonl");
    let options = ServeOptions {
        request_log: Some(log.clone()),
        ..ServeOptions::default()
    };
    let served = Arc::new(Served::start(fast_sim(), options).await.expect("serve"));
    let backend = KubeBackend::connect_url(&served.url(), "default", None)
        .await
        .unwrap();
    let names: Vec<String> = (0..count).map(|i| format!("app-{i:03}")).collect();
    let text: String = names
        .iter()
        .map(|n| format!("{}---\n", deployment(n, 1, "web:0")))
        .collect();
    let batch = load_text(&text, "hundred.yaml").unwrap();
    backend.apply(&batch, "default").await;
    let all: Vec<ObjectRef> = names
        .iter()
        .map(|n| ObjectRef::new(Kind::Deployment, "default", n))
        .collect();
    wait_all(&backend, WaitFor::All(all.clone())).await;
    for w in &all {
        backend.set_image(w, None, "web:1").await.unwrap();
    }
    let before_wait = log_lines(&log);
    let poller = served.clone();
    let pending = names.clone();
    let last_completed = tokio::task::spawn_blocking(move || {
        while !complete(&poller, &pending) {
            std::thread::sleep(Duration::from_micros(500));
        }
        Instant::now()
    });
    let started = Instant::now();
    wait_all(&backend, WaitFor::All(all)).await;
    let returned = Instant::now();
    let last_completed = last_completed.await.unwrap();
    let (wait_requests, _) = log_counts(&log, before_wait);
    println!(
        "(c) {count} Deployments set to a new image, waited for as one list: {wait_requests} requests during the wait ({:.2} per Deployment), the wait returned {:.1} ms after the last completed ({:.2} s in all)",
        wait_requests as f64 / count as f64,
        returned
            .saturating_duration_since(last_completed)
            .as_secs_f64()
            * 1000.0,
        started.elapsed().as_secs_f64()
    );
}

/// (d): GETs and LISTs per second from 4 concurrent clients.
async fn throughput(requests: usize) {
    let mut sim = fast_sim();
    let text: String = (0..100)
        .map(|i| format!("{}---\n", deployment(&format!("app-{i:03}"), 10, "web:0")))
        .collect();
    sim.apply(&load_text(&text, "pods.yaml").unwrap(), "default")
        .unwrap();
    sim.advance_by(60_000);
    let served = Served::start(sim, ServeOptions::default())
        .await
        .expect("serve");
    let backend = Arc::new(
        KubeBackend::connect_url(&served.url(), "default", None)
            .await
            .unwrap(),
    );
    let web = ObjectRef::new(Kind::Deployment, "default", "app-000");
    for (what, n) in [
        ("GET deployment", requests),
        ("LIST 1 000 pods", requests / 20),
    ] {
        let started = Instant::now();
        let tasks: Vec<_> = (0..4)
            .map(|_| {
                let (b, w) = (backend.clone(), web.clone());
                tokio::spawn(async move {
                    for _ in 0..n / 4 {
                        if what.starts_with("GET") {
                            b.get(&w).await.unwrap();
                        } else {
                            assert_eq!(b.list(Kind::Pod, "default").await.unwrap().len(), 1000);
                        }
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        println!(
            "(d) {what}: {:.0} requests/s ({n} from 4 clients)",
            n as f64 / started.elapsed().as_secs_f64()
        );
    }
}

fn rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .map(String::from)
        })
        .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        .unwrap_or(0.0)
        / 1024.0
}

/// (e): resident memory added by 1 000 Deployments of 10 pods, rolled out and served.
async fn memory() {
    let before = rss_mb();
    let mut sim = fast_sim();
    let text: String = (0..1000)
        .map(|i| format!("{}---\n", deployment(&format!("app-{i:04}"), 10, "web:0")))
        .collect();
    sim.apply(&load_text(&text, "thousand.yaml").unwrap(), "default")
        .unwrap();
    sim.advance_by(60_000);
    let model = rss_mb() - before;
    let served = Served::start(sim, ServeOptions::default())
        .await
        .expect("serve");
    // Listed by kubectl in its own process, so that only the server's memory is counted.
    let kubeconfig = scratch().join("memory.kubeconfig");
    std::fs::write(&kubeconfig, served.kubeconfig("default")).unwrap();
    let listed = tokio::task::block_in_place(|| {
        Command::new("kubectl")
            .args(["get", "pods", "-o", "name"])
            .env("KUBECONFIG", &kubeconfig)
            .output()
            .expect("kubectl runs")
    });
    let pods = String::from_utf8_lossy(&listed.stdout).lines().count();
    println!(
        "(e) 1 000 Deployments with {pods} pods, served and listed by kubectl: {:.0} MB resident added, {model:.0} MB of it the model before serving ({:.0} MB in all)",
        rss_mb() - before,
        rss_mb()
    );
    served.stop().await;
}

fn main() {
    let quick = std::env::args().any(|a| a == "quick");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    // `cargo bench --bench kube -- memory` runs one figure; none named runs them all.
    let only: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| ["delay", "requests", "hundred", "throughput", "memory"].contains(&a.as_str()))
        .collect();
    let wanted = |name: &str| only.is_empty() || only.iter().any(|o| o == name);
    runtime.block_on(async {
        if wanted("delay") {
            completion_delay(if quick { 3 } else { 10 }).await;
        }
        if wanted("requests") {
            requests_per_run().await;
        }
        if wanted("hundred") {
            hundred_at_once(100).await;
        }
        if wanted("throughput") {
            throughput(if quick { 2_000 } else { 10_000 }).await;
        }
        if wanted("memory") {
            memory().await;
        }
    });
}
