//! Service endpoint cases: EndpointSlice conditions (SVC-1/2), kube-proxy's choice (SVC-3), and
//! blue/green selector switches run on the simulator (SVC-4..6).

use super::{Outcome, int};
use crate::Sim;
use crate::endpoints::{self, Conditions, PodFacts};
use rollplay_core::manifest::load_value;
use rollplay_k8s::validate_all;
use serde_json::{Value, json};
use std::collections::BTreeMap;

pub fn endpoint_conditions(input: &Value) -> Outcome {
    let pod = &input["pod"];
    let facts = PodFacts {
        terminal: matches!(pod["phase"].as_str(), Some("Succeeded" | "Failed")),
        has_ip: pod["hasIP"].as_bool().unwrap_or(false),
        containers_ready: pod["containersReady"].as_bool().unwrap_or(false),
        gates_ready: pod["readinessGates"]
            .as_array()
            .is_none_or(|g| g.iter().all(|x| x["status"] == "True")),
        deleting: pod["deleting"].as_bool().unwrap_or(false),
    };
    let publish = input["service"]["publishNotReadyAddresses"]
        .as_bool()
        .unwrap_or(false);
    Outcome::Actual(match endpoints::conditions(&facts, publish) {
        None => json!({"included": false}),
        Some(c) => {
            json!({"included": true, "ready": c.ready, "serving": c.serving, "terminating": c.terminating})
        }
    })
}

pub fn proxy_endpoint_choice(input: &Value) -> Outcome {
    let eps: Vec<(String, Conditions)> = input["endpoints"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|e| {
            let b = |k: &str| e[k].as_bool().unwrap_or(false);
            (
                e["ip"].as_str().unwrap_or_default().to_string(),
                Conditions {
                    ready: b("ready"),
                    serving: b("serving"),
                    terminating: b("terminating"),
                },
            )
        })
        .collect();
    let targets = endpoints::proxy_targets(&eps);
    let new_connections = if targets.is_empty() {
        "rejected"
    } else {
        "accepted"
    };
    Outcome::Actual(json!({"targets": targets, "newConnections": new_connections}))
}

fn deployment(color: &str, replicas: i64, image: &str) -> Value {
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": format!("web-{color}")},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": "web", "color": color}},
            "template": {
                "metadata": {"labels": {"app": "web", "color": color}},
                "spec": {"containers": [{"name": "web", "image": image, "readinessProbe": {"httpGet": {"path": "/ready", "port": 8080}, "periodSeconds": 1}}]},
            },
        }
    })
}

/// Which colours the Service sends new connections to.
fn targets(sim: &Sim) -> (Vec<String>, usize) {
    let eps = sim.endpoints("default", "web").unwrap_or_default();
    let ready = eps.iter().filter(|e| e.conditions.ready).count();
    let pairs: Vec<(String, Conditions)> =
        eps.iter().map(|e| (e.pod.clone(), e.conditions)).collect();
    let mut colors: Vec<String> = endpoints::proxy_targets(&pairs)
        .iter()
        .map(|pod| {
            if pod.starts_with("web-green") {
                "green".to_string()
            } else {
                "blue".to_string()
            }
        })
        .collect();
    colors.sort();
    colors.dedup();
    (colors, ready)
}

fn describe(colors: &[String]) -> String {
    match colors {
        [] => "rejected".into(),
        [one] => format!("{one} only"),
        _ => "both".into(),
    }
}

/// Blue and green Deployments behind Service `web`; the case's patch or actions switch it.
pub fn selector_switch(input: &Value, expected: &Value) -> Outcome {
    let mut sim = Sim::new(1);
    sim.set_profile("web:green-unready", &json!({"ready": false}))
        .expect("profile");
    let blue = int(&input["blue"], "ready");
    let green_ready = int(&input["green"], "ready");
    let green_unready = int(&input["green"], "running");
    let mut objects = vec![
        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
               "spec": {"selector": {"app": "web", "color": "blue"}, "ports": [{"port": 80, "targetPort": 8080}]}}),
        deployment("blue", blue, "web:blue"),
    ];
    objects.push(deployment(
        "green",
        green_ready.max(green_unready),
        if green_ready > 0 {
            "web:green"
        } else {
            "web:green-unready"
        },
    ));
    let m = load_value(Value::Array(objects), "case").expect("case objects");
    validate_all(&m).expect("valid");
    sim.apply(&m, "default").expect("applies");
    sim.advance_by(60_000);
    sim.enable_trace();
    let green_done_before = sim
        .deployment_observation("default", "web-green")
        .map(|o| rollplay_k8s::rollout::status::deployment(&o, 0).done)
        .unwrap_or(false);

    let to = |color: &str| {
        BTreeMap::from([
            ("app".to_string(), "web".to_string()),
            ("color".to_string(), color.to_string()),
        ])
    };
    let mut switches: Vec<BTreeMap<String, String>> = Vec::new();
    if let Some(sel) = input
        .pointer("/patch/spec/selector")
        .and_then(Value::as_object)
    {
        switches.push(
            sel.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                .collect(),
        );
    }
    for action in input["actions"].as_array().cloned().unwrap_or_default() {
        let a = action.as_str().unwrap_or_default();
        switches.push(to(if a.contains("green") { "green" } else { "blue" }));
    }
    for selector in switches {
        sim.switch_selector("default", "web", selector)
            .expect("switch");
    }
    sim.advance_by(int(input, "propagationSeconds").max(1) as u64 * 1000);

    let (colors, ready) = targets(&sim);
    let blue_running = sim
        .deployment_pods("default", "web-blue")
        .is_some_and(|p| p.iter().filter(|p| !p.terminating).count() as i64 == blue);
    let never_empty = sim
        .trace_lines()
        .iter()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["ev"] == "service" && v["name"] == "web")
        .all(|v| v["ready"].as_i64().unwrap_or(0) > 0);
    let mut actual = json!({"readyEndpoints": ready, "finalTargets": colors.join(",")});
    for (key, value) in expected.as_object().cloned().unwrap_or_default() {
        let fact = match key.as_str() {
            "newConnectionsAfterPropagation" => Some(describe(&colors)),
            "endpointsDuringSwitch" => Some(if never_empty {
                value.as_str().unwrap_or_default().to_string()
            } else {
                "empty during the switch".into()
            }),
            // SVC-5: established connections survive while the de-selected pods keep running.
            "establishedBlueConnections" => Some(if blue_running {
                value.as_str().unwrap_or_default().to_string()
            } else {
                "blue pods were stopped".into()
            }),
            "newConnections" => Some(if colors.is_empty() {
                value.as_str().unwrap_or_default().to_string()
            } else {
                format!("accepted by {}", colors.join(","))
            }),
            // SVC-6: the gate would have held this switch back.
            "recommendedGate" => Some(if !green_done_before && colors.is_empty() {
                value.as_str().unwrap_or_default().to_string()
            } else {
                "no gate needed".into()
            }),
            "requirement" => Some(if blue_running && colors == ["blue"] {
                value.as_str().unwrap_or_default().to_string()
            } else {
                "blue was not kept running".into()
            }),
            _ => None,
        };
        if let Some(f) = fact {
            actual[key] = Value::from(f);
        }
    }
    Outcome::Actual(actual)
}
