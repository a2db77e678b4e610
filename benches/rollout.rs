//! Benchmarks that print figures (not timed tests): (a) complete rolling updates of a
//! 10-replica Deployment per second in the simulator, without scripts; (b) whole `rolling`
//! playbook runs per second through Rhai, in process; (c) wall time of the README's main
//! command, cold, against `kubectl version --client`.
//!
//! Run with `cargo bench --bench rollout` (add `-- quick` for a short run).

use rollplay_engine::backend::ClusterBackend;
use rollplay_engine::backend::sim::SimBackend;
use rollplay_engine::manifest::{load_text, validate_all};
use rollplay_engine::rollout::status;
use rollplay_engine::script::output::Silent;
use rollplay_engine::script::{Playbook, RunOptions, run};
use rollplay_engine::sim::{Profiles, Sim};
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The same allocator as the `rollplay` binary.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const DEPLOYMENT: &str = "apiVersion: apps/v1
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
        image: web:0
        readinessProbe: {httpGet: {path: /ready, port: 8080}, periodSeconds: 5}
";

fn wait_done(sim: &mut Sim) {
    loop {
        let obs = sim
            .deployment_observation("default", "web")
            .expect("exists");
        if status::deployment(&obs, 0).done {
            return;
        }
        let next = sim
            .next_wake()
            .expect("a rollout in progress has something pending");
        sim.advance_to(next);
    }
}

/// (a) Complete rolling updates per second, one thread, no scripts.
fn engine_rollouts(budget: Duration, count: Option<u64>) -> (u64, f64) {
    let mut sim = Sim::new(1);
    let m = load_text(DEPLOYMENT, "bench").expect("parses");
    validate_all(&m).expect("valid");
    sim.apply(&m, "default").expect("applies");
    wait_done(&mut sim);
    let start = Instant::now();
    let before = sim.stats();
    let mut n = 0u64;
    while count.map_or(start.elapsed() < budget, |c| n < c) {
        n += 1;
        sim.set_image("default", "web", None, &format!("web:{n}"))
            .expect("image change");
        wait_done(&mut sim);
    }
    let rate = n as f64 / start.elapsed().as_secs_f64();
    let sets = sim
        .deployment_replica_sets("default", "web")
        .map(|s| s.len())
        .unwrap_or(0);
    println!("    ReplicaSets kept: {sets} (revisionHistoryLimit 10 + the current one)");
    let s = sim.stats();
    println!(
        "    per update: {:.1} Deployment passes, {:.1} ReplicaSet passes, {:.1} timers",
        (s.deployment_passes - before.deployment_passes) as f64 / n as f64,
        (s.replicaset_passes - before.replicaset_passes) as f64 / n as f64,
        (s.timers - before.timers) as f64 / n as f64
    );
    (n, rate)
}

/// (b) Whole `rolling` playbook runs per second through Rhai, in process. `cold`: the parsed
/// manifests and the compiled playbook are forgotten before each run, as in a fresh process.
fn playbook_runs(budget: Duration, cold: bool) -> (u64, f64) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let playbook = Playbook::resolve("rolling").expect("built in");
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < budget {
        n += 1;
        if cold {
            rollplay_engine::manifest::clear_cache();
            rollplay_engine::script::runner::clear_cache();
        }
        let backend = Arc::new(SimBackend::new(n, Profiles::default()));
        let options = RunOptions {
            namespace: "default".into(),
            params: [
                ("manifests".to_string(), "examples/k8s".to_string()),
                (
                    "image".to_string(),
                    "ghcr.io/rollplay-demo/web:1.1.0".to_string(),
                ),
            ]
            .into(),
            timeout: None,
            output: Arc::new(Silent),
            assume_yes: true,
            cancel: Default::default(),
        };
        let report = runtime.block_on(run(backend as Arc<dyn ClusterBackend>, &playbook, options));
        assert!(report.ok, "{:?}", report.error);
    }
    (n, n as f64 / start.elapsed().as_secs_f64())
}

/// Drops the page cache when allowed (root on a real kernel), so a run starts cold.
fn drop_caches() -> bool {
    let _ = Command::new("sync").status();
    std::fs::write("/proc/sys/vm/drop_caches", "3").is_ok()
}

fn time_command(
    program: &str,
    args: &[&str],
    runs: usize,
    cold: bool,
) -> Option<(Duration, Duration)> {
    let mut times = Vec::new();
    for _ in 0..runs {
        if cold {
            drop_caches();
        }
        let t = Instant::now();
        let out = Command::new(program).args(args).output().ok()?;
        let took = t.elapsed();
        if !out.status.success() {
            return None;
        }
        times.push(took);
    }
    times.sort();
    Some((times[times.len() / 2], times[0]))
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let quick = args.iter().any(|a| a == "quick");
    let only: Vec<&str> = args
        .iter()
        .filter_map(|a| a.strip_prefix("only="))
        .collect();
    let wanted = |part: &str| only.is_empty() || only.contains(&part);
    // `count=N`: a fixed number of updates in (a), for instruction counts under callgrind.
    let count: Option<u64> = args
        .iter()
        .find_map(|a| a.strip_prefix("count="))
        .and_then(|n| n.parse().ok());
    let budget = Duration::from_secs(if quick { 1 } else { 5 });
    std::env::set_current_dir(Path::new(env!("CARGO_MANIFEST_DIR"))).expect("repository root");

    if wanted("a") {
        let (n, rate) = engine_rollouts(budget, count);
        println!(
            "(a) engine: {rate:>10.0} complete rolling updates/s of a 10-replica Deployment ({n} updates, 1 thread, goal >= 10 000/s)"
        );
    }
    if wanted("b") {
        let (n, rate) = playbook_runs(budget, false);
        println!(
            "(b) rhai:   {rate:>10.0} whole `rolling` playbook runs/s in process ({n} runs against examples/k8s, goal >= 1 000/s)"
        );
        let (n, rate) = playbook_runs(budget, true);
        println!(
            "            {rate:>10.0} runs/s when each run parses the 7 manifest files and compiles the playbook again ({n} runs)"
        );
    }
    if !wanted("c") {
        return;
    }
    let cold = drop_caches();
    let runs = if quick { 3 } else { 10 };
    let readme = [
        "run",
        "rolling",
        "--set",
        "manifests=examples/k8s",
        "--set",
        "image=ghcr.io/rollplay-demo/web:1.1.0",
    ];
    let state = if cold {
        "cold (page cache dropped before each run)"
    } else {
        "page cache not droppable here: warm"
    };
    match time_command(env!("CARGO_BIN_EXE_rollplay"), &readme, runs, cold) {
        Some((median, best)) => println!(
            "(c) README main command: median {median:.1?}, best {best:.1?} over {runs} runs, {state}"
        ),
        None => println!("(c) README main command: did not succeed"),
    }
    match time_command("kubectl", &["version", "--client"], runs, cold) {
        Some((median, best)) => println!(
            "    kubectl version --client: median {median:.1?}, best {best:.1?} over {runs} runs, {state}"
        ),
        None => println!("    kubectl version --client: kubectl not found"),
    }
}
