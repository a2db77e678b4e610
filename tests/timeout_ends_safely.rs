//! A run whose `--timeout` expires mid-rollout takes its playbook's abort path within
//! `--abort-timeout` instead of stopping half-way: rolling rolls back to the revision it ran
//! before, canary removes its canary; the run exits 1 and states where the workload is.

mod common;

use common::*;

#[test]
fn a_timeout_mid_rollout_rolls_back_and_states_the_workload_healthy_on_the_old_image() {
    let (code, report) = run_json(&[
        "run",
        "rolling",
        "--set",
        "manifests=examples/k8s",
        "--set",
        "image=ghcr.io/rollplay-demo/web:1.1.0",
        "--timeout",
        "25s",
    ]);
    assert_eq!(code, 1, "{report:#}");
    let message = report["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("the run's --timeout expired before the rollout finished; rolled back to revision 1 (ghcr.io/rollplay-demo/web:1.0.0), now serving as revision 3"),
        "{message}"
    );
    let state = &report["state"][0];
    assert_eq!(
        (
            state["images"][0].as_str(),
            state["rolled_out"].as_bool(),
            state["available"].as_i64()
        ),
        (Some("ghcr.io/rollplay-demo/web:1.0.0"), Some(true), Some(3)),
        "{state}"
    );
    let last = report["actions"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["action"], "rollback", "{last}");
}

#[test]
fn an_abort_path_that_outlasts_its_grace_stops_and_still_states_the_workload() {
    let (code, report) = run_json(&[
        "run",
        "rolling",
        "--set",
        "manifests=examples/k8s",
        "--set",
        "image=ghcr.io/rollplay-demo/web:1.1.0",
        "--timeout",
        "25s",
        "--abort-timeout",
        "3s",
    ]);
    assert_eq!(code, 1, "{report:#}");
    let message = report["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("the abort path's --abort-timeout of 3s expired too"),
        "{message}"
    );
    let state = &report["state"][0];
    assert_eq!(state["revision"], 3, "the rollback was made: {state}");
    assert_eq!(
        state["rolled_out"], false,
        "and had no time to finish: {state}"
    );
}

#[test]
fn a_timeout_during_a_canary_removes_the_canary_and_leaves_stable_as_it_was() {
    let (code, report) = run_json(&[
        "run",
        "canary",
        "--set",
        "manifests=examples/k8s",
        "--set",
        "image=ghcr.io/rollplay-demo/web:1.1.0",
        "--timeout",
        "2m",
    ]);
    assert_eq!(code, 1, "{report:#}");
    let actions: Vec<String> = report["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            format!(
                "{} {}",
                a["action"].as_str().unwrap(),
                a["object"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        actions.last().map(String::as_str),
        Some("delete deployment/web-canary"),
        "{actions:?}"
    );
    let state = &report["state"][0];
    assert_eq!(
        (
            state["object"].as_str(),
            state["images"][0].as_str(),
            state["rolled_out"].as_bool()
        ),
        (
            Some("deployment/web"),
            Some("ghcr.io/rollplay-demo/web:1.0.0"),
            Some(true)
        ),
        "{state}"
    );
}
