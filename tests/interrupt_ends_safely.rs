//! Ctrl-C and SIGTERM mid-rollout: the first signal takes the playbook's abort path (rolling
//! rolls back, canary removes its canary) and the run exits 130 with the workload's state
//! stated; a second signal stops the abort path where it is, still stating the state.

mod common;

use common::*;
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// A playbook on the simulator at `pace` virtual seconds per second, its stderr lines sent on.
fn paced(playbook: &str, pace: &str, extra: &[&str]) -> (Child, mpsc::Receiver<String>) {
    let image = new_image_arg();
    let mut child = Command::new(env!("CARGO_BIN_EXE_rollplay"))
        .args([
            "run",
            playbook,
            "--set",
            "manifests=examples/k8s",
            "--set",
            &image,
        ])
        .args(["--pace", pace, "--output", "json"])
        .args(extra)
        .current_dir(root())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("rollplay starts");
    let (lines, received) = mpsc::channel();
    let stderr = child.stderr.take().expect("stderr");
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    (child, received)
}

/// Waits for a stderr line containing `text`; every line seen so far, for messages.
fn wait_for(lines: &mpsc::Receiver<String>, seen: &mut Vec<String>, text: &str) {
    loop {
        match lines.recv_timeout(Duration::from_secs(60)) {
            Ok(line) => {
                let found = line.contains(text);
                seen.push(line);
                if found {
                    return;
                }
            }
            Err(_) => panic!("no line with {text:?} in:\n{}", seen.join("\n")),
        }
    }
}

fn signal(child: &Child, name: &str) {
    let sent = Command::new("kill")
        .args([&format!("-{name}"), &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(sent.success(), "kill -{name}");
}

/// Exit code and the one JSON object, once the run ended.
fn finished(child: Child, lines: mpsc::Receiver<String>, seen: &mut Vec<String>) -> (i32, Value) {
    let out = child.wait_with_output().expect("rollplay ends");
    seen.extend(lines.try_iter());
    let report = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not one JSON object ({e}):\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&out.stdout),
            seen.join("\n")
        )
    });
    (out.status.code().unwrap_or(-1), report)
}

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
