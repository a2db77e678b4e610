//! The built-in `autoscale-tuning` playbook on the default load profile against examples/k8s:
//! it recommends a setting, draws the chart, and the recommendation meets the SLO when
//! replayed with other seeds (other noise) than the grid's.

mod common;

use common::*;
use serde_json::Value;

/// A JSON value as a Rhai literal, to hand the recommended spec to a script.
fn rhai_literal(v: &Value) -> String {
    match v {
        Value::Object(map) => format!(
            "#{{{}}}",
            map.iter()
                .map(|(k, v)| format!("{}: {}", Value::from(k.as_str()), rhai_literal(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Value::Array(items) => format!(
            "[{}]",
            items
                .iter()
                .map(rhai_literal)
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Value::Null => "()".into(),
        other => other.to_string(),
    }
}

#[test]
fn the_recommended_setting_meets_the_slo_in_replays_with_other_seeds() {
    let dir = scratch("autoscale-tuning");
    let plot = dir.join("best.svg").display().to_string();
    let plot_arg = format!("plot={plot}");
    let (code, report) = run_json(&[
        "run",
        "autoscale-tuning",
        "--set",
        "manifests=examples/k8s",
        "--set",
        &plot_arg,
    ]);
    assert_eq!(code, 0, "{report:#}");
    let r = &report["result"];
    // 2 min x 2 max x 5 CPU targets x 2 scale-ups x 2 scale-down windows, and the manifests'.
    assert_eq!(r["settings_tried"], 81);
    assert_eq!(r["slo_violating_minutes"], 0);
    assert!(r["p99_ms"].as_f64().unwrap() < 500.0, "{r:#}");
    // The manifests' own autoscaler (at most 10 pods) cannot carry 1 100 req/s.
    assert!(
        r["current"]["slo_violating_minutes"].as_u64().unwrap() > 0,
        "{r:#}"
    );
    let spec = &r["autoscaler"];
    assert!(spec["maxReplicas"].as_u64().unwrap() > 10, "{spec:#}");

    let svg = std::fs::read_to_string(&plot).expect("the chart is written");
    assert!(
        svg.starts_with("<svg") || svg.contains("<svg"),
        "{}",
        &svg[..200]
    );
    assert!(svg.contains("req/s"), "the chart labels the load");

    let replay = format!(
        r#"
        let config = #{{
            manifests: "examples/k8s",
            load: [[0, 110], [600, 190], [900, 1100], [1500, 1100], [1560, 190]],
            duration: "35m",
            autoscaler: {},
        }};
        let runs = [];
        for seed in [2, 3, 4] {{
            let c = config;
            c.seed = seed;
            runs.push(c);
        }}
        sim_replay(runs)
        "#,
        rhai_literal(spec)
    );
    let path = write(&dir, "replay.rhai", &replay);
    let (code, replayed) = run_json(&["run", &path]);
    assert_eq!(code, 0, "{replayed:#}");
    for run in replayed["result"].as_array().unwrap() {
        assert_eq!(run["slo_violating_minutes"], 0, "{run:#}");
        assert!(run["p99_ms"].as_f64().unwrap() < 500.0);
        assert!(
            run["max_replicas"].as_u64().unwrap() > 10,
            "it scaled for the peak"
        );
    }
}

#[test]
fn a_load_profile_that_is_not_numbers_is_bad_input() {
    let (code, report) = run_json(&[
        "run",
        "autoscale-tuning",
        "--set",
        "manifests=examples/k8s",
        "--set",
        "load=0:110,600:lots",
    ]);
    assert_eq!(code, 2, "{report:#}");
    let message = report["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("\"600:lots\" is not at_seconds:rps"),
        "{message}"
    );
}
