//! The end of a run: a summary for people, or exactly one JSON object for machines.

use rollplay_script::RunReport;
use serde_json::{Value, json};

/// What `--output json` prints.
pub fn json(
    report: &RunReport,
    playbook: &str,
    target: &str,
    namespace: &str,
    seed: Option<u64>,
    client: Value,
) -> Value {
    json!({
        "ok": report.ok,
        "playbook": playbook,
        "target": target,
        "namespace": namespace,
        "seed": seed,
        "result": report.result,
        "error": report.error.as_ref().map(|e| serde_json::to_value(e).expect("error serialises")),
        "duration_ms": report.wall.as_millis() as u64,
        "target_duration_ms": (report.target_seconds * 1000.0).round() as u64,
        "actions": report.actions,
        "state": report.state,
        "warnings": warnings(report),
        "client": client,
    })
}

fn warnings(report: &RunReport) -> Vec<String> {
    report
        .unread_params
        .iter()
        .map(|p| format!("--set {p}=... was given but the playbook never read it"))
        .collect()
}

/// The text summary: the result on stdout, errors on stderr.
pub fn text(report: &RunReport, playbook: &str, target: &str, virtual_time: bool) {
    for w in warnings(report) {
        eprintln!("warning: {w}");
    }
    let clock = rollplay_core::duration::format_duration(std::time::Duration::from_secs_f64(
        report.target_seconds.max(0.0),
    ));
    let took = if virtual_time {
        format!("{clock} of virtual time, {:.0?} wall", report.wall)
    } else {
        clock
    };
    if !report.actions.is_empty() {
        eprintln!("changes:");
        for a in &report.actions {
            eprintln!(
                "  {:>2}. [{}] {} {}: {}",
                a.seq, a.at, a.action, a.object, a.summary
            );
        }
    }
    match &report.error {
        None => {
            println!("{playbook}: done on {target} ({took})");
            if !report.result.is_null() {
                print_value(&report.result);
            }
        }
        Some(e) => {
            eprint!("{}", e.render());
            if let Some(details) = &e.details {
                eprintln!("details:");
                print_value_to(details, &mut std::io::stderr());
            }
            if !report.state.is_empty() {
                eprintln!("state now:");
                for s in &report.state {
                    eprintln!("  {}", s.line());
                }
            }
            eprintln!(
                "{playbook}: {} on {target} ({took})",
                if report.exit_code == 2 {
                    "stopped (bad input)"
                } else {
                    "failed"
                }
            );
        }
    }
}

/// Maps as aligned `key  value` lines; anything else as JSON.
fn print_value(v: &Value) {
    print_value_to(v, &mut std::io::stdout());
}

fn print_value_to(v: &Value, out: &mut dyn std::io::Write) {
    // A closed output is nothing to report about.
    let _ = match v.as_object() {
        Some(map) => {
            let width = map.keys().map(String::len).max().unwrap_or(0);
            map.iter().try_for_each(|(k, val)| {
                let shown = match val {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                writeln!(out, "  {k:width$}  {shown}")
            })
        }
        None => writeln!(out, "  {v}"),
    };
}
