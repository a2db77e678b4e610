//! The fault matrix: every built-in rollout playbook under every fault rollplay can stage
//! here, each ending in the state its playbook documents. rolling: the old image serving,
//! rolled out; canary: the canary removed, stable untouched; blue-green: the Service on the
//! live colour's selector, the new colour at 0. One test, one table, written to
//! `target/fault-matrix.txt` (CI prints it) and to the test's output.

mod common;

use common::served::ServedSim;
use common::signals::{finished, paced, signal, wait_for};
use common::*;
use serde_json::Value;

const PLAYBOOKS: [&str; 3] = ["rolling", "canary", "blue-green"];

/// Where a playbook must leave things after a fault: what it left, or what is wrong.
fn ended_safely(playbook: &str, report: &Value) -> Result<String, String> {
    let web = state_of(report, "deployment/web");
    match playbook {
        "rolling" => {
            let web = web.ok_or("deployment/web is not in the stated state")?;
            if web["images"][0] == OLD_IMAGE && web["rolled_out"] == true {
                Ok(format!("1.0.0 rolled out (revision {})", web["revision"]))
            } else {
                Err(format!("deployment/web ended as {web}"))
            }
        }
        "canary" => {
            if count_actions(report, "delete", "deployment/web-canary") != 1 {
                return Err("the canary was not removed".into());
            }
            if web.is_none_or(|w| w["images"][0] == OLD_IMAGE && w["rolled_out"] == true) {
                Ok("canary removed, stable on 1.0.0".into())
            } else {
                Err(format!("stable ended as {web:?}"))
            }
        }
        _ => {
            let green = state_of(report, "deployment/web-green");
            if green.is_some_and(|g| g["replicas"] != 0) {
                return Err(format!("web-green ended as {green:?}"));
            }
            let last_switch = report["actions"]
                .as_array()
                .into_iter()
                .flatten()
                .rev()
                .find(|a| a["action"] == "switch_selector")
                .and_then(|a| a["summary"].as_str())
                .unwrap_or_default();
            if last_switch.ends_with("→ app.kubernetes.io/name=web") {
                Ok("Service on blue, green at 0".into())
            } else {
                Err(format!(
                    "the Service's last selector change was {last_switch:?}"
                ))
            }
        }
    }
}

/// One cell: the run's exit code and report, judged against the expected exit code.
fn judge(
    playbook: &str,
    expected_code: i32,
    (code, report): (i32, Value),
) -> Result<String, String> {
    if code != expected_code {
        let message = &report["error"]["message"];
        return Err(format!(
            "exit {code}, expected {expected_code}: {message}\n{report:#}"
        ));
    }
    ended_safely(playbook, &report)
        .map(|end| format!("exit {code}: {end}"))
        .map_err(|problem| format!("{problem}\n{report:#}"))
}

fn on_sim(playbook: &str, extra: &[&str]) -> (i32, Value) {
    let image = new_image_arg();
    run_json(&playbook_args(playbook, &image, extra))
}

fn with_profile(test: &str, playbook: &str, profile: &str) -> (i32, Value) {
    let profiles = new_image_profile(&format!("matrix-{test}-{playbook}"), profile);
    on_sim(playbook, &["--sim", &profiles])
}

/// The run's `--timeout` expiring mid-rollout (before the new version took all traffic).
fn timed_out(playbook: &str) -> (i32, Value) {
    let timeout = match playbook {
        "rolling" => "25s",
        "canary" => "2m",
        _ => "35s",
    };
    on_sim(playbook, &["--timeout", timeout])
}

/// Ctrl-C once the new version runs beside the old.
fn interrupted(playbook: &str) -> (i32, Value) {
    let (pace, cue) = match playbook {
        "rolling" => ("5", "1 out of 3 new replicas have been updated"),
        "canary" => ("20", "web-canary"),
        _ => ("20", "web-green"),
    };
    let (child, lines) = paced(playbook, pace, &[]);
    let mut seen = Vec::new();
    wait_for(&lines, &mut seen, cue);
    signal(&child, "INT");
    finished(child, lines, &mut seen)
}

/// A never-ready image on the kube target while the API server answers 5 % of requests with
/// 500, 2 % with 429 and cuts every watch after 4 s.
fn never_ready_through_api_faults(playbook: &str) -> Option<(i32, Value)> {
    // canary and blue-green judge metrics: on kube that takes a Prometheus scraping the
    // server, which tests/kube_metrics.rs sets up (a good image through the same faults).
    if playbook != "rolling" {
        return None;
    }
    let profiles = new_image_profile("matrix-kube-faults", "{ready: false}");
    let served = ServedSim::start(&[
        "--speed",
        "10",
        "--sim",
        &profiles,
        "--faults",
        "5xx=0.05,429=0.02,drop-watch=4s,seed=5",
    ]);
    let image = new_image_arg();
    Some(served.rollplay_json(&rolling_args(&image, &[])))
}

#[test]
fn every_playbook_ends_safely_under_every_fault() {
    let columns = [
        "never-ready",
        "crash loop",
        "--timeout mid-run",
        "Ctrl-C mid-run",
        "kube: never-ready + 5xx/429/dropped watches",
    ];
    let mut table = vec![format!("| playbook | {} |", columns.join(" | "))];
    table.push(format!("|---|{}", "---|".repeat(columns.len())));
    let mut failures = Vec::new();
    for playbook in PLAYBOOKS {
        let cells: Vec<Option<Result<String, String>>> = vec![
            Some(judge(
                playbook,
                1,
                with_profile("never", playbook, "{ready: false}"),
            )),
            Some(judge(
                playbook,
                1,
                with_profile("crash", playbook, "{crash_after_seconds: 4}"),
            )),
            Some(judge(playbook, 1, timed_out(playbook))),
            Some(judge(playbook, 130, interrupted(playbook))),
            never_ready_through_api_faults(playbook).map(|outcome| judge(playbook, 1, outcome)),
        ];
        let mut row = format!("| {playbook} |");
        for (column, cell) in columns.iter().zip(cells) {
            let shown = match cell {
                None => "not staged (needs Prometheus)".to_string(),
                Some(Ok(text)) => text,
                Some(Err(problem)) => {
                    failures.push(format!("{playbook} × {column}: {problem}"));
                    "UNSAFE".to_string()
                }
            };
            row.push_str(&format!(" {shown} |"));
        }
        table.push(row);
    }
    let table = table.join("\n");
    println!("{table}");
    let _ = std::fs::write(root().join("target/fault-matrix.txt"), format!("{table}\n"));
    assert!(failures.is_empty(), "{table}\n\n{}", failures.join("\n\n"));
}
