//! `rollplay sim conformance`: runs reference case files (restated from the upstream
//! Kubernetes and swarmkit test tables) through the very functions the simulator and
//! `wait_ready` use, and reports expected against actual for each failing case.

mod compare;
mod deployment_cases;
mod deployment_traces;
mod endpoint_cases;
mod hpa_cases;
mod pdb_cases;
mod status_cases;
mod swarm_cases;

use serde_json::Value;
use std::path::Path;

/// The verdict on one case.
#[derive(Debug, Clone)]
pub struct CaseResult {
    pub id: String,
    pub file: String,
    pub passed: bool,
    /// Why it failed: `unsupported ...`, or the expected and actual values.
    pub detail: String,
}

/// All verdicts of a run.
#[derive(Debug, Default)]
pub struct Report {
    pub results: Vec<CaseResult>,
}

impl Report {
    pub fn passed(&self) -> usize {
        self.results.iter().filter(|r| r.passed).count()
    }
    pub fn failed(&self) -> usize {
        self.results.len() - self.passed()
    }
}

/// What running a case produced.
pub(crate) enum Outcome {
    /// The actual values, to compare with `expected`.
    Actual(Value),
    /// The unit under test is not implemented.
    Unsupported(String),
}

/// Runs every case of every file (a directory runs its `*.json` files).
pub fn run_paths(paths: &[impl AsRef<Path>]) -> Result<Report, String> {
    let mut files = Vec::new();
    for p in paths {
        let p = p.as_ref();
        if p.is_dir() {
            let mut inner: Vec<_> = std::fs::read_dir(p)
                .map_err(|e| format!("{}: {e}", p.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| f.extension().is_some_and(|x| x == "json"))
                .collect();
            inner.sort();
            files.extend(inner);
        } else {
            files.push(p.to_path_buf());
        }
    }
    let mut report = Report::default();
    for f in files {
        let text = std::fs::read_to_string(&f).map_err(|e| format!("{}: {e}", f.display()))?;
        let doc: Value = serde_json::from_str(&text)
            .map_err(|e| format!("{}: not a case file: {e}", f.display()))?;
        let cases = doc
            .get("cases")
            .and_then(Value::as_array)
            .ok_or_else(|| format!("{}: no \"cases\" list", f.display()))?;
        let name = f
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        for case in cases {
            report.results.push(run_case(case, &name));
        }
    }
    Ok(report)
}

/// Runs one case object.
pub fn run_case(case: &Value, file: &str) -> CaseResult {
    let id = case
        .get("id")
        .and_then(Value::as_str)
        .unwrap_or("<no id>")
        .to_string();
    let function = case
        .get("function")
        .or_else(|| case.get("kind"))
        .and_then(Value::as_str)
        .unwrap_or("");
    let input = case.get("input").cloned().unwrap_or(Value::Null);
    let expected = case.get("expected").cloned().unwrap_or(Value::Null);
    let outcome = std::panic::catch_unwind(|| dispatch(function, &input, &expected))
        .unwrap_or_else(|_| {
            Outcome::Unsupported(format!("the simulator panicked on \"{function}\""))
        });
    let (passed, detail) = match outcome {
        Outcome::Unsupported(why) => (false, format!("unsupported: {why}")),
        Outcome::Actual(actual) => match compare::mismatch(&expected, &actual) {
            None => (true, String::new()),
            Some(where_) => (
                false,
                format!("{where_}\n    expected: {expected}\n    actual:   {actual}"),
            ),
        },
    };
    CaseResult {
        id,
        file: file.to_string(),
        passed,
        detail,
    }
}

fn dispatch(function: &str, input: &Value, expected: &Value) -> Outcome {
    match function {
        "resolve_fenceposts" => deployment_cases::resolve_fenceposts(input),
        "new_rs_target" => deployment_cases::new_rs_target(input),
        "old_rs_scale_down" => deployment_cases::old_rs_scale_down(input),
        "proportional_scale" => deployment_cases::proportional_scale(input),
        "available_condition" => deployment_cases::available_condition(input),
        "history_cleanup" => deployment_cases::history_cleanup(input),
        "rollout_undo_errors" => deployment_cases::rollout_undo_errors(input),
        "rolling_trace" | "recreate_trace" => deployment_traces::trace(input, expected),
        "revision_sequence" => deployment_traces::revision_sequence(input, expected),
        "progress_timeline" => deployment_traces::progress_timeline(input, expected),
        "Deployment" | "DaemonSet" | "StatefulSet" => status_cases::rollout_status(function, input),
        "endpoint_conditions" => endpoint_cases::endpoint_conditions(input),
        "proxy_endpoint_choice" => endpoint_cases::proxy_endpoint_choice(input),
        "selector_switch" => endpoint_cases::selector_switch(input, expected),
        "resource_utilization" => hpa_cases::resource_utilization(input),
        "pods_average_value" => hpa_cases::pods_average_value(input),
        "object_value" => hpa_cases::object_value(input),
        "external_value" => hpa_cases::external_value(input),
        "object_average_value" => hpa_cases::object_average_value(input),
        "external_average_value" => hpa_cases::external_average_value(input),
        "behavior_rate_limit" => hpa_cases::behavior_rate_limit(input),
        "behavior_stabilize" => hpa_cases::behavior_stabilize(input),
        "legacy_normalize" => hpa_cases::legacy_normalize(input),
        "reconcile_bounds" => hpa_cases::reconcile_bounds(input, expected),
        "multi_metric" => hpa_cases::multi_metric(input, expected),
        "timeline_behavior_default" => hpa_cases::timeline_behavior_default(input, expected),
        "timeline_first_sight" => hpa_cases::timeline_first_sight(input),
        "pdb_status" => pdb_cases::pdb_status(input),
        "eviction" => pdb_cases::eviction(input),
        "failure_ratio" => swarm_cases::failure_ratio(input),
        "failure_counting" => swarm_cases::failure_counting(input),
        "update_scenario" => swarm_cases::update_scenario(input),
        "manual_rollback" => swarm_cases::manual_rollback_case(input),
        "auto_rollback" => swarm_cases::auto_rollback(input),
        "cli_progress" => swarm_cases::cli_progress_case(input),
        other => Outcome::Unsupported(format!(
            "function \"{other}\" is not implemented by this simulator yet"
        )),
    }
}

/// Reads an int field, 0 when absent.
pub(crate) fn int(v: &Value, key: &str) -> i64 {
    v.get(key).and_then(Value::as_i64).unwrap_or(0)
}
