//! Ctrl-C and SIGTERM mid-rollout: the first signal takes the playbook's abort path (rolling
//! rolls back, canary removes its canary) and the run exits 130 with the workload's state
//! stated; a second signal stops the abort path where it is, still stating the state.

mod common;

use common::signals::{finished, paced, signal, wait_for};
use common::*;

#[test]
fn ctrl_c_mid_rollout_rolls_back_and_exits_130_stating_the_workload() {
    let (child, lines) = paced("rolling", "5", &[]);
    let mut seen = Vec::new();
    wait_for(
        &lines,
        &mut seen,
        "1 out of 3 new replicas have been updated",
    );
    signal(&child, "INT");
    let (code, report) = finished(child, lines, &mut seen);
    let stderr = seen.join("\n");
    assert_eq!(code, 130, "{report:#}\n{stderr}");
    assert!(
        stderr.contains("rollplay: interrupted; taking the playbook's abort path")
            && stderr
                .contains("the run was interrupted: taking the abort path (--abort-timeout 2m)"),
        "{stderr}"
    );
    let message = report["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains(
            "the run was interrupted before the rollout finished; rolled back to revision 1"
        ),
        "{message}"
    );
    let state = &report["state"][0];
    assert_eq!(
        (
            state["revision"].as_i64(),
            state["images"][0].as_str(),
            state["rolled_out"].as_bool()
        ),
        (Some(3), Some(OLD_IMAGE), Some(true)),
        "{state}"
    );
}

#[test]
fn sigterm_during_a_canary_removes_the_canary_and_exits_130() {
    let (child, lines) = paced("canary", "20", &[]);
    let mut seen = Vec::new();
    wait_for(&lines, &mut seen, "web-canary");
    signal(&child, "TERM");
    let (code, report) = finished(child, lines, &mut seen);
    let stderr = seen.join("\n");
    assert_eq!(code, 130, "{report:#}\n{stderr}");
    assert!(
        stderr.contains("rollplay: terminated; taking the playbook's abort path"),
        "{stderr}"
    );
    assert_eq!(
        action_lines(&report).last().map(String::as_str),
        Some("delete deployment/web-canary"),
        "{report:#}"
    );
    assert_eq!(
        state_of(&report, "deployment/web").unwrap()["images"][0],
        OLD_IMAGE
    );
}

#[test]
fn a_second_ctrl_c_stops_the_abort_path_where_it_is_and_still_states_the_workload() {
    // The old image starts slowly: once a new pod replaced an old one, the rollback is still
    // starting old pods when the second signal comes.
    let dir = scratch("interrupt-slow-old");
    let profiles = write(
        &dir,
        "profiles.yaml",
        &format!("images:\n  \"{OLD_IMAGE}\": {{startup_seconds: 30}}\n"),
    );
    let (child, lines) = paced("rolling", "4", &["--sim", &profiles]);
    let mut seen = Vec::new();
    wait_for(
        &lines,
        &mut seen,
        "2 out of 3 new replicas have been updated",
    );
    signal(&child, "INT");
    wait_for(&lines, &mut seen, "taking the abort path (--abort-timeout");
    signal(&child, "INT");
    let (code, report) = finished(child, lines, &mut seen);
    let stderr = seen.join("\n");
    assert_eq!(code, 130, "{report:#}\n{stderr}");
    assert!(
        stderr.contains("rollplay: interrupted again; stopping where the run is"),
        "{stderr}"
    );
    assert_eq!(report["error"]["kind"], "cancelled", "{report:#}");
    let state = state_of(&report, "deployment/web").expect("the workload's state is stated");
    assert!(state["revision"].as_i64().is_some(), "{state}");
}
