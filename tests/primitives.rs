//! Primitives through scripts on the simulator: pause during a rollout, rollback to an explicit
//! revision and to a missing one, parameters.

mod common;

use common::*;
use serde_json::json;

#[test]
fn pausing_mid_rollout_holds_it_and_resume_finishes_as_one_revision() {
    let (code, report) = run_json(&["run", "tests/fixtures/pause-during-rollout.rhai"]);
    assert_eq!(code, 0, "{report:#}");
    let r = &report["result"];
    // K8S-PAUSE-1: while paused the second edit creates no ReplicaSet and no revision.
    assert_eq!(r["held_revision"], 2, "{r}");
    assert_eq!(r["held_done"], false);
    assert_eq!(r["held_reason"], "DeploymentPaused");
    assert_eq!(
        r["held_message"],
        "Waiting for deployment \"web\" rollout to finish: 0 out of 3 new replicas have been updated..."
    );
    // K8S-PAUSE-2: on resume the accumulated edits roll out as one new revision.
    assert_eq!(r["final_image"], "web:3.0");
    assert_eq!(r["final_revision"], 3);
    assert_eq!(r["revisions"], json!([1, 2, 3]));
    let kinds: Vec<&str> = report["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "apply",
            "apply",
            "set_image",
            "pause",
            "set_image",
            "resume"
        ]
    );
}

#[test]
fn rollback_to_an_explicit_revision_renumbers_it_and_a_missing_one_fails_with_kubectls_text() {
    let (code, report) = run_json(&["run", "tests/fixtures/rollback-to-revision.rhai"]);
    assert_eq!(code, 0, "{report:#}");
    let r = &report["result"];
    assert_eq!(r["message"], "deployment.apps/web rolled back");
    assert_eq!(
        (r["to_revision"].as_i64(), r["revision"].as_i64()),
        (Some(1), Some(4))
    );
    assert_eq!(r["image"], "web:1.0");
    // K8S-REV-7: 1,2,3 → undo to 1 → 2,3,4.
    assert_eq!(
        r["revisions"],
        json!(["2:web:2.0", "3:web:3.0", "4:web:1.0"])
    );
    assert_eq!(
        r["missing"],
        "deployment/web on sim: unable to find specified revision 1 in history"
    );
}

#[test]
fn an_uncaught_refused_rollback_names_the_line_and_fails_the_run() {
    let dir = scratch("uncaught-rollback");
    let script = write(
        &dir,
        "undo.rhai",
        "apply(\"tests/fixtures/web.yaml\");\nwait_ready(\"web\");\nrollback(\"web\");\n",
    );
    let out = rollplay(&["run", &script]);
    // Exit 1, not 2: the apply() before it changed the cluster.
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("no rollout history found for deployment \"web\""),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("undo.rhai:3:1"), "{}", out.stderr);
}

#[test]
fn parameters_take_the_type_of_their_default() {
    let dir = scratch("params");
    let script = write(
        &dir,
        "p.rhai",
        "#{ n: param(\"n\", 3), steps: param(\"steps\", [10, 50]), on: param(\"on\", false), s: param(\"s\"), d: param(\"d\", \"x\") }",
    );
    let (code, report) = run_json(&[
        "run",
        &script,
        "--set",
        "n=5",
        "--set",
        "steps=10,25,100",
        "--set",
        "on=yes",
        "--set",
        "s=1.10",
    ]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(
        report["result"],
        json!({"n": 5, "steps": [10, 25, 100], "on": true, "s": "1.10", "d": "x"})
    );
    let (code, report) = run_json(&[&script, "--set", "n=three", "--set", "s=a"].iter().fold(
        vec!["run"],
        |mut v, a| {
            v.push(a);
            v
        },
    ));
    assert_eq!(code, 2, "{report:#}");
    assert!(
        report["error"]["message"]
            .as_str()
            .unwrap()
            .contains("--set n=three: expected an integer"),
        "{report:#}"
    );
}

#[test]
fn unread_parameters_are_warned_about() {
    let image = new_image_arg();
    let (code, report) = run_json(&rolling_args(&image, &["--set", "imgae=typo"]));
    assert_eq!(code, 0);
    assert_eq!(
        report["warnings"],
        json!(["--set imgae=... was given but the playbook never read it"])
    );
}

#[test]
fn a_confirm_gate_needs_a_terminal_or_yes() {
    let dir = scratch("confirm");
    let script = write(
        &dir,
        "gate.rhai",
        "apply(\"tests/fixtures/web.yaml\");\nif confirm(\"scale web to 5?\") { scale(\"web\", 5); }\nstatus(\"web\").replicas\n",
    );
    // No terminal on stdin here: without --yes the gate fails and says how to answer it.
    let out = rollplay(&["run", &script]);
    assert_ne!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("no terminal to ask on: answer with --yes"),
        "{}",
        out.stderr
    );
    let (code, report) = run_json(&["run", &script, "--yes"]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["result"], 5);
}

#[test]
fn numbers_sleep_on_the_targets_clock() {
    // The language has its own sleep(int)/sleep(float) that block for wall-clock seconds.
    let dir = scratch("sleep-numbers");
    let script = write(
        &dir,
        "sleep.rhai",
        "let t0 = now();\nsleep(600);\nsleep(0.5);\nsleep(\"1m\");\nnow() - t0\n",
    );
    let started = std::time::Instant::now();
    let (code, report) = run_json(&["run", &script]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["result"], 660.5);
    assert!(started.elapsed() < std::time::Duration::from_secs(60));
}
