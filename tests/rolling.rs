//! The built-in `rolling` playbook on the simulator against examples/k8s: a good image, a
//! never-ready image, a crash-looping one, a progress deadline, and the rollout invariants.

mod common;

use common::*;
use serde_json::Value;

fn actions(report: &Value) -> Vec<&Value> {
    report["actions"]
        .as_array()
        .expect("actions")
        .iter()
        .collect()
}

#[test]
fn a_good_image_rolls_out_and_reports_both_revisions() {
    let image = new_image_arg();
    let (code, report) = run_json(&rolling_args(&image, &[]));
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["ok"], true);
    assert_eq!(report["target"], "sim");
    assert_eq!(report["error"], Value::Null);
    let r = &report["result"];
    assert_eq!(
        (r["old_image"].as_str(), r["new_image"].as_str()),
        (Some(OLD_IMAGE), Some(NEW_IMAGE))
    );
    assert_eq!(
        (r["old_revision"].as_i64(), r["new_revision"].as_i64()),
        (Some(1), Some(2))
    );
    let kinds: Vec<&str> = actions(&report)
        .iter()
        .map(|a| a["action"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"set_image") && !kinds.contains(&"rollback"),
        "{kinds:?}"
    );
}

#[test]
fn a_never_ready_image_is_rolled_back_to_the_old_image_at_a_new_revision() {
    let profiles = new_image_profile("never-ready", "{ready: false}");
    let image = new_image_arg();
    let (code, report) = run_json(&rolling_args(&image, &["--sim", &profiles]));
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(report["ok"], false);
    let message = report["error"]["message"].as_str().unwrap();
    assert!(message.contains("rolled back to revision 1"), "{message}");
    let rollback = actions(&report)
        .into_iter()
        .find(|a| a["action"] == "rollback")
        .expect("a rollback among the actions");
    // K8S-REV-7: the old template returns as revision 3.
    assert_eq!(rollback["detail"]["to_revision"], 1);
    assert_eq!(rollback["detail"]["revision"], 3);
    assert_eq!(rollback["detail"]["images"][0], OLD_IMAGE);
    // The report states where the workload is now: the old image serving, as revision 3.
    let state = &report["state"][0];
    assert_eq!(state["object"], "deployment/web");
    assert_eq!(
        (state["revision"].as_i64(), state["rolled_out"].as_bool()),
        (Some(3), Some(true)),
        "{state}"
    );
    assert_eq!(state["images"][0], OLD_IMAGE);
    assert_eq!(state["available"], 3);
}

#[test]
fn a_run_cut_by_its_timeout_says_so_and_states_where_it_stopped() {
    let profiles = new_image_profile("run-timeout", "{ready: false}");
    let image = new_image_arg();
    let out = rollplay(&rolling_args(
        &image,
        &["--sim", &profiles, "--timeout", "2m"],
    ));
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("the run's --timeout of 2m expired (virtual time): taking the abort path (--abort-timeout 2m)"),
        "{}",
        out.stderr
    );
    // maxUnavailable 0 kept the old pods serving while the new one never got ready; the abort
    // path rolled back, so the run ends on the old image, rolled out, as a new revision.
    assert!(
        out.stderr.contains("state now:\n  deployment/web (demo): revision 3, ghcr.io/rollplay-demo/web:1.0.0, 3/3 available, rolled out"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_crash_looping_image_is_rolled_back_before_the_timeout() {
    let profiles = new_image_profile("crash-loop", "{crash_after_seconds: 4}");
    let image = new_image_arg();
    let (code, report) = run_json(&rolling_args(&image, &["--sim", &profiles]));
    assert_eq!(code, 1, "{report:#}");
    let message = report["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("crash-looping") && message.contains("rolled back to revision 1"),
        "{message}"
    );
    let took = report["target_duration_ms"].as_u64().unwrap();
    assert!(
        took < 5 * 60_000,
        "detected crash loops early, not at the 10m timeout: {took} ms"
    );
}

#[test]
fn an_exceeded_progress_deadline_fails_the_rollout_with_kubectls_text() {
    let dir = scratch("deadline");
    let manifests = dir.join("manifests");
    std::fs::create_dir_all(&manifests).unwrap();
    let deployment = std::fs::read_to_string(root().join("examples/k8s/30-deployment.yaml"))
        .unwrap()
        .replace(
            "progressDeadlineSeconds: 600",
            "progressDeadlineSeconds: 60",
        );
    write(&manifests, "deployment.yaml", &deployment);
    write(
        &manifests,
        "namespace.yaml",
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: demo}\n",
    );
    let profiles = write(
        &dir,
        "profiles.yaml",
        &format!("images:\n  \"{NEW_IMAGE}\": {{ready: false}}\n"),
    );
    let (code, report) = run_json(&[
        "run",
        "rolling",
        "--set",
        &format!("manifests={}", manifests.display()),
        "--set",
        &format!("image={NEW_IMAGE}"),
        "--sim",
        &profiles,
    ]);
    assert_eq!(code, 1, "{report:#}");
    let message = report["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("deployment \"web\" exceeded its progress deadline"),
        "{message}"
    );
    assert!(message.contains("rolled back to revision 1"), "{message}");
    let took = report["target_duration_ms"].as_u64().unwrap();
    assert!(
        took < 3 * 60_000,
        "the deadline (60 s) ended the wait, not the 10m timeout: {took} ms"
    );
}

#[test]
fn surge_one_unavailable_zero_keeps_three_available_and_at_most_four_replica_sets_replicas() {
    let dir = scratch("invariant");
    let trace_file = dir.join("trace.jsonl");
    let out = rollplay(&[
        "run",
        "rolling",
        "--set",
        "manifests=examples/k8s",
        "--set",
        &format!("image={NEW_IMAGE}"),
        "--trace",
        &trace_file.display().to_string(),
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let lines = trace(&trace_file);
    let start = lines
        .iter()
        .position(|l| l["ev"] == "action" && l["action"] == "set_image")
        .expect("set_image traced");
    let snapshots: Vec<&Value> = lines[start..]
        .iter()
        .filter(|l| l["ev"] == "deployment" && l["name"] == "web")
        .collect();
    assert!(
        snapshots.len() >= 6,
        "the rollout was traced step by step: {}",
        snapshots.len()
    );
    for s in &snapshots {
        // K8S-RU-4 with maxSurge 1, maxUnavailable 0, R 3.
        assert!(
            s["available"].as_i64().unwrap() >= 3,
            "availability dropped: {s}"
        );
        assert!(
            s["rs_spec_total"].as_i64().unwrap() <= 4,
            "surge exceeded: {s}"
        );
    }
    assert!(
        snapshots.iter().any(|s| s["rs_spec_total"] == 4),
        "the surge pod was used"
    );
    assert_eq!(snapshots.last().unwrap()["updated"], 3);
}

#[test]
fn the_same_seed_gives_the_same_trace_byte_for_byte() {
    let dir = scratch("determinism");
    let run = |name: &str, seed: &str| {
        let path = dir.join(name);
        let out = rollplay(&[
            "run",
            "rolling",
            "--set",
            "manifests=examples/k8s",
            "--set",
            &format!("image={NEW_IMAGE}"),
            "--seed",
            seed,
            "--trace",
            &path.display().to_string(),
        ]);
        assert_eq!(out.code, 0, "{}", out.stderr);
        std::fs::read(path).unwrap()
    };
    let (a, b, c) = (run("a", "7"), run("b", "7"), run("c", "8"));
    assert!(a.len() > 1000);
    assert_eq!(a, b, "same seed, same trace");
    assert_ne!(a, c, "the seed names the pods");
}

/// `--pace 20` plays the 40 s of virtual time in about 2 s of wall time, to the same end.
#[test]
fn a_paced_run_unfolds_in_wall_time_and_ends_as_an_unpaced_one() {
    let image = new_image_arg();
    let (code, unpaced) = run_json(&rolling_args(&image, &[]));
    assert_eq!(code, 0, "{unpaced:#}");
    let (code, paced) = run_json(&rolling_args(&image, &["--pace", "20"]));
    assert_eq!(code, 0, "{paced:#}");
    assert_eq!(paced["state"], unpaced["state"]);
    assert_eq!(paced["target_duration_ms"], unpaced["target_duration_ms"]);
    let virtual_ms = paced["target_duration_ms"].as_u64().unwrap();
    let wall_ms = paced["duration_ms"].as_u64().unwrap();
    assert!(
        wall_ms >= virtual_ms / 20,
        "paced at 20x: {virtual_ms} ms of virtual time took only {wall_ms} ms"
    );
}
