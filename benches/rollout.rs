//! Benchmarks that print figures (not timed tests): (a) complete rolling updates of a
//! 10-replica Deployment per second in the simulator, without scripts; (b) whole `rolling`
//! playbook runs per second through Rhai, in process; (c) wall time of the README's main
//! command, cold, against `kubectl version --client`; (d) `rollplay repl` in a pseudo-terminal:
//! start-up to the first prompt, and Ctrl-C during a wait back to the prompt.
//!
//! Run with `cargo bench --bench rollout` (add `-- quick` for a short run).

use rollplay_core::manifest::load_text;
use rollplay_k8s::rollout::status;
use rollplay_script::Playbook;
use rollplay_sim::Sim;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

mod common;

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
fn engine_rollouts(budget: Duration, count: Option<u64>, verbose: bool) -> (u64, f64) {
    let mut sim = Sim::new(1);
    let m = load_text(DEPLOYMENT, "bench").expect("parses");
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
    if !verbose {
        return (n, rate);
    }
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
fn playbook_runs(budget: Duration, cold: bool, count: Option<u64>) -> (u64, f64) {
    let runtime = common::runtime();
    let playbook = Playbook::resolve("rolling").expect("built in");
    let start = Instant::now();
    let mut n = 0u64;
    while count.map_or(start.elapsed() < budget, |c| n < c) {
        n += 1;
        if cold {
            rollplay_core::manifest::clear_cache();
            rollplay_script::runner::clear_cache();
        }
        common::run_playbook(
            &runtime,
            &playbook,
            &[
                ("manifests", "examples/k8s"),
                ("image", "ghcr.io/rollplay-demo/web:1.1.0"),
            ],
            n,
        );
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

const PROMPT: &str = "rollplay sim:default> ";

/// Reads the terminal until `needle` appears (blocking reads: the time is when it arrives).
fn read_until(pty: &mut std::fs::File, needle: &str) -> Option<()> {
    use std::io::Read;
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    while !String::from_utf8_lossy(&seen).contains(needle) {
        let n = pty.read(&mut buf).ok()?;
        if n == 0 {
            return None;
        }
        seen.extend_from_slice(&buf[..n]);
    }
    Some(())
}

fn repl(args: &[&str]) -> Option<(rexpect::process::PtyProcess, std::fs::File)> {
    let mut command = Command::new(env!("CARGO_BIN_EXE_rollplay"));
    command
        .arg("repl")
        .arg("--no-history")
        .args(args)
        .env("TERM", "xterm");
    let process = rexpect::process::PtyProcess::new(command).ok()?;
    let pty = process.get_file_handle().ok()?;
    Some((process, pty))
}

fn quit(mut process: rexpect::process::PtyProcess, mut pty: std::fs::File) {
    use std::io::Write;
    let _ = pty.write_all(b":quit\n");
    let _ = process.exit();
}

/// From spawning `rollplay repl` to its first prompt on the terminal.
fn repl_start_up(cold: bool) -> Option<Duration> {
    if cold {
        drop_caches();
    }
    let started = Instant::now();
    let (process, mut pty) = repl(&[])?;
    read_until(&mut pty, PROMPT)?;
    let took = started.elapsed();
    quit(process, pty);
    Some(took)
}

/// From Ctrl-C during a real-time `wait_ready` on an image that never starts to the prompt.
fn repl_interrupt() -> Option<Duration> {
    use std::io::Write;
    let (process, mut pty) = repl(&["--pace", "1"])?;
    read_until(&mut pty, PROMPT)?;
    for line in [
        "apply(\"tests/fixtures/web.yaml\")",
        "sim_image(\"web:slow\", #{startup_seconds: 3600})",
        "set_image(\"web\", \"web:slow\")",
    ] {
        pty.write_all(format!("{line}\n").as_bytes()).ok()?;
        read_until(&mut pty, PROMPT)?;
    }
    pty.write_all(b"wait_ready(\"web\")\n").ok()?;
    read_until(&mut pty, "rollout to finish")?;
    std::thread::sleep(Duration::from_millis(200));
    let pressed = Instant::now();
    pty.write_all(&[3]).ok()?;
    read_until(&mut pty, PROMPT)?;
    let took = pressed.elapsed();
    quit(process, pty);
    Some(took)
}

/// Total count, median rate and best rate of some measured slices.
fn summarise(runs: &[(u64, f64)]) -> (u64, f64, f64) {
    let mut rates: Vec<f64> = runs.iter().map(|r| r.1).collect();
    rates.sort_by(f64::total_cmp);
    (
        runs.iter().map(|r| r.0).sum(),
        rates[rates.len() / 2],
        rates[rates.len() - 1],
    )
}

fn median_and_best(mut times: Vec<Duration>) -> Option<(Duration, Duration)> {
    times.sort();
    Some((*times.get(times.len() / 2)?, *times.first()?))
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let quick = args.iter().any(|a| a == "quick");
    let only: Vec<&str> = args
        .iter()
        .filter_map(|a| a.strip_prefix("only="))
        .collect();
    let wanted = |part: &str| only.is_empty() || only.contains(&part);
    // `count=N`: a fixed number of updates in (a) and runs in (b), for instruction counts
    // under callgrind.
    let count: Option<u64> = args
        .iter()
        .find_map(|a| a.strip_prefix("count="))
        .and_then(|n| n.parse().ok());
    // Throughput is measured in one-second slices and reported as the median and the best
    // slice: on a shared virtual machine a neighbour's burst only spoils some slices.
    let slices = if quick || count.is_some() { 1 } else { 5 };
    let slice = Duration::from_secs(1);
    std::env::set_current_dir(Path::new(env!("CARGO_MANIFEST_DIR"))).expect("repository root");

    if wanted("a") {
        let runs: Vec<(u64, f64)> = (0..slices)
            .map(|i| engine_rollouts(slice, count, i == 0))
            .collect();
        let (n, median, best) = summarise(&runs);
        println!(
            "(a) engine: {median:>10.0} complete rolling updates/s of a 10-replica Deployment, median of {slices} one-second slices (best {best:.0}; {n} updates, 1 thread, goal >= 10 000/s)"
        );
    }
    if wanted("b") {
        let runs: Vec<(u64, f64)> = (0..slices)
            .map(|_| playbook_runs(slice, false, count))
            .collect();
        let (n, median, best) = summarise(&runs);
        println!(
            "(b) rhai:   {median:>10.0} whole `rolling` playbook runs/s in process, median of {slices} slices (best {best:.0}; {n} runs against examples/k8s, goal >= 1 000/s)"
        );
        let runs: Vec<(u64, f64)> = (0..slices)
            .map(|_| playbook_runs(slice, true, count))
            .collect();
        let (n, median, best) = summarise(&runs);
        println!(
            "            {median:>10.0} runs/s when each run parses the 7 manifest files and compiles the playbook again (best {best:.0}; {n} runs)"
        );
    }
    if wanted("c") {
        readme_command(quick);
    }
    if wanted("d") {
        repl_figures(quick);
    }
}

fn repl_figures(quick: bool) {
    let runs = if quick { 3 } else { 10 };
    let cold = drop_caches();
    for (label, cold) in [("cold", cold), ("warm", false)] {
        let times: Option<Vec<Duration>> = (0..runs).map(|_| repl_start_up(cold)).collect();
        match times.and_then(median_and_best) {
            Some((median, best)) => println!(
                "(d) repl start-up to the first prompt, {label}: median {median:.1?}, best {best:.1?} over {runs} runs (goal < 50 ms)"
            ),
            None => println!("(d) repl start-up: the prompt did not appear"),
        }
    }
    let times: Option<Vec<Duration>> = (0..runs.min(5)).map(|_| repl_interrupt()).collect();
    match times.and_then(median_and_best) {
        Some((median, best)) => println!(
            "    Ctrl-C during wait_ready to the prompt: median {median:.1?}, best {best:.1?} over {} runs (goal < 1 s)",
            runs.min(5)
        ),
        None => println!("    Ctrl-C during wait_ready: the prompt did not come back"),
    }
}

fn readme_command(quick: bool) {
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
