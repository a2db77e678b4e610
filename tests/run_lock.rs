//! One run per workload on Kubernetes (against `rollplay sim serve`, kubectl as the witness):
//! while a run holds the Lease on a workload, a second run changes nothing and exits 2 naming
//! the holder; a lock whose holder stopped renewing is taken over once expired, a live one
//! only with `--force-unlock`; a run releases its locks when it ends.

mod common;

use common::served::{ServedSim, rollplay_with};
use common::*;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The new image (`NEW_IMAGE`) as `--set` takes it.
const IMAGE: &str = "image=ghcr.io/rollplay-demo/web:1.1.0";

fn rolling(served: &ServedSim, extra: &[&str]) -> Outcome {
    let args = [
        &[
            "run",
            "rolling",
            "--set",
            "manifests=examples/k8s",
            "--set",
            IMAGE,
        ][..],
        &["--target", "kube"],
        extra,
    ]
    .concat();
    rollplay_with(&served.kubeconfig, &args)
}

fn leases(served: &ServedSim) -> String {
    served.kubectl_ok(&[
        "get",
        "leases",
        "-n",
        "demo",
        "-o",
        "jsonpath={range .items[*]}{.metadata.name}={.spec.holderIdentity}{\"\\n\"}{end}",
    ])
}

/// A cluster with the demo namespace and a Lease on deployment/web as another rollplay run
/// would have left it: held by `holder`, last renewed at the start of 2026, counting for
/// `seconds`.
fn cluster_with_lease(holder: &str, seconds: u64) -> ServedSim {
    let served = ServedSim::start(&["--speed", "60"]);
    served.kubectl_ok(&["apply", "-f", "examples/k8s/00-namespace.yaml"]);
    let dir = scratch(&format!("lock-lease-{seconds}"));
    let file = write(
        &dir,
        "lease.yaml",
        &format!(
            "apiVersion: coordination.k8s.io/v1\nkind: Lease\nmetadata:\n  name: rollplay-lock-deployment-web\n  namespace: demo\nspec:\n  holderIdentity: {holder}\n  leaseDurationSeconds: {seconds}\n  acquireTime: \"{RENEWED}\"\n  renewTime: \"{RENEWED}\"\n"
        ),
    );
    served.kubectl_ok(&["create", "-f", &file]);
    served
}

const RENEWED: &str = "2026-01-01T00:00:00.000000Z";

#[test]
fn a_second_run_on_a_locked_workload_changes_nothing_and_names_the_holder() {
    // Slow starts keep the first run's rollout going for seconds of wall time.
    let profiles = new_image_profile("lock-slow", "{startup_seconds: 60}");
    let served = ServedSim::start(&["--speed", "20", "--sim", &profiles]);
    served.kubectl_ok(&["apply", "-f", "examples/k8s"]);

    let first = Command::new(env!("CARGO_BIN_EXE_rollplay"))
        .args([
            "run",
            "rolling",
            "--set",
            "manifests=examples/k8s",
            "--set",
            IMAGE,
        ])
        .args(["--target", "kube", "--output", "json"])
        .env("KUBECONFIG", &served.kubeconfig)
        .current_dir(root())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the first run starts");
    let holder = format!("rollplay run rolling, pid {} on", first.id());
    let started = Instant::now();
    while !leases(&served).contains(&holder) {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the first run took no lock: {}",
            leases(&served)
        );
        std::thread::sleep(Duration::from_millis(100));
    }

    let second = rolling(&served, &["--output", "json"]);
    assert_eq!(second.code, 2, "{}", second.stderr);
    let report: serde_json::Value = serde_json::from_str(second.stdout.trim()).expect("JSON");
    assert_eq!(
        report["actions"],
        serde_json::json!([]),
        "the second run changed nothing"
    );
    assert_eq!(report["error"]["kind"], "locked");
    let message = report["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("deployment/web on kube:rollplay-sim is being changed by another run")
            && message.contains(&holder)
            && message.contains(", since 20"),
        "{message}"
    );

    let first = first.wait_with_output().expect("the first run ends");
    let stderr = String::from_utf8_lossy(&first.stderr);
    assert_eq!(first.status.code(), Some(0), "{stderr}");
    assert_eq!(leases(&served), "", "the first run released its locks");
}

#[test]
fn a_lock_left_by_a_run_that_died_is_taken_over_once_expired() {
    let gone = "rollplay run rolling, pid 1 on gone-host";
    let served = cluster_with_lease(gone, 60);
    let out = rolling(&served, &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr.contains(&format!(
            "deployment/web: took over the run lock of {gone} (its lease expired; last renewed {RENEWED})"
        )),
        "{}",
        out.stderr
    );
    assert_eq!(leases(&served), "");
}

#[test]
fn a_live_lock_is_taken_only_with_force_unlock() {
    let other = "rollplay run canary, pid 7 on ops-laptop";
    // Renewed long ago, but it counts for ten years: a live holder.
    let served = cluster_with_lease(other, 315_360_000);
    let refused = rolling(&served, &[]);
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    assert!(
        refused.stderr.contains(&format!(
            "is being changed by another run: {other}, since {RENEWED}"
        )) && refused.stderr.contains("--force-unlock"),
        "{}",
        refused.stderr
    );
    assert!(leases(&served).contains(other), "the lock is left alone");

    let forced = rolling(&served, &["--force-unlock"]);
    assert_eq!(forced.code, 0, "{}", forced.stderr);
    assert!(
        forced.stderr.contains(&format!(
            "took over the run lock of {other} (--force-unlock)"
        )),
        "{}",
        forced.stderr
    );
    assert_eq!(leases(&served), "");
}
