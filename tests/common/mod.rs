//! Running the `rollplay` binary from tests.

#![allow(dead_code)]

pub mod prometheus;
pub mod served;
pub mod signals;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

pub struct Outcome {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// The repository root (tests run from it; paths in fixtures are relative to it).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn rollplay(args: &[&str]) -> Outcome {
    let out = Command::new(env!("CARGO_BIN_EXE_rollplay"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("rollplay runs");
    Outcome {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Runs with `--output json` and parses the one JSON object it prints.
pub fn run_json(args: &[&str]) -> (i32, Value) {
    let mut all = args.to_vec();
    all.extend(["--output", "json"]);
    let out = rollplay(&all);
    let value: Value = serde_json::from_str(out.stdout.trim()).unwrap_or_else(|e| {
        panic!(
            "stdout is not one JSON object ({e}):\n{}\nstderr:\n{}",
            out.stdout, out.stderr
        )
    });
    (out.code, value)
}

/// A fresh directory for one test's files.
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rollplay-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

pub fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write fixture");
    path.display().to_string()
}

/// The parsed lines of a JSON-lines file (a trace, a metrics record).
pub fn trace(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{} written: {e}", path.display()))
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect()
}

/// The workloads of a metrics record's lines, in order (`deployment/web`).
pub fn recorded_workloads(lines: &[Value]) -> Vec<&str> {
    lines
        .iter()
        .map(|l| l["workload"].as_str().expect("workload"))
        .collect()
}

/// One metric of a canary verdict (`verdict.metrics[name]`).
pub fn verdict_metric<'a>(verdict: &'a Value, name: &str) -> &'a Value {
    verdict["metrics"]
        .as_array()
        .expect("the verdict's metrics")
        .iter()
        .find(|m| m["name"] == name)
        .unwrap_or_else(|| panic!("no {name} in {verdict:#}"))
}

pub const OLD_IMAGE: &str = "ghcr.io/rollplay-demo/web:1.0.0";
pub const NEW_IMAGE: &str = "ghcr.io/rollplay-demo/web:1.1.0";

/// A simulator profile file in which the new image behaves as `profile` (a YAML flow map).
pub fn new_image_profile(test: &str, profile: &str) -> String {
    let dir = scratch(test);
    write(
        &dir,
        "profiles.yaml",
        &format!("images:\n  \"{NEW_IMAGE}\": {profile}\n"),
    )
}

/// `rollplay run PLAYBOOK` against examples/k8s to the image of `image_arg`, with `extra`.
pub fn playbook_args<'a>(playbook: &'a str, image_arg: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "run",
        playbook,
        "--set",
        "manifests=examples/k8s",
        "--set",
        image_arg,
    ];
    args.extend_from_slice(extra);
    args
}

/// The README's run: `rolling` against examples/k8s to the new image, with `extra` arguments.
pub fn rolling_args<'a>(image_arg: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    playbook_args("rolling", image_arg, extra)
}

/// `--set image=NEW_IMAGE`.
pub fn new_image_arg() -> String {
    format!("image={NEW_IMAGE}")
}

/// The report's actions as `"action kind/name"`, in order.
pub fn action_lines(report: &Value) -> Vec<String> {
    report["actions"]
        .as_array()
        .expect("actions")
        .iter()
        .map(|a| {
            format!(
                "{} {}",
                a["action"].as_str().unwrap(),
                a["object"].as_str().unwrap()
            )
        })
        .collect()
}

/// How many actions were `action` on `object`, or on anything when `object` is "".
pub fn count_actions(report: &Value, action: &str, object: &str) -> usize {
    report["actions"]
        .as_array()
        .expect("actions")
        .iter()
        .filter(|a| a["action"] == action && (object.is_empty() || a["object"] == object))
        .count()
}

/// A workload's entry in the report's final `state`, if the run changed it.
pub fn state_of<'a>(report: &'a Value, object: &str) -> Option<&'a Value> {
    report["state"]
        .as_array()
        .expect("state")
        .iter()
        .find(|s| s["object"] == object)
}

/// What a run leaves behind, as its report states it: per workload, revision, images,
/// replicas and whether it is rolled out.
pub fn final_state(report: &Value) -> Vec<(String, Value, Value, Value, Value)> {
    report["state"]
        .as_array()
        .expect("state")
        .iter()
        .map(|s| {
            (
                s["object"].as_str().unwrap().to_string(),
                s["revision"].clone(),
                s["images"].clone(),
                s["replicas"].clone(),
                s["rolled_out"].clone(),
            )
        })
        .collect()
}
