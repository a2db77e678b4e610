//! A compose service as the Docker API's `ServiceSpec`, built the way `docker stack deploy`
//! builds it (names `STACK_SERVICE`, the stack's labels, durations in nanoseconds, memory in
//! bytes), and the keys of a stack file this target deploys: everything else the compose
//! check accepts is refused by name and line, never dropped.

use bollard::models::ServiceSpec;
use rollplay_stack::compose::{Mode, STACK_IMAGE_LABEL, STACK_NAMESPACE_LABEL, ServiceDef};
use rollplay_stack::{FailureAction, Order, UpdateConfig};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

/// Keys of a service this target deploys (dotted, below `services.NAME`). A key the compose
/// check accepts and this list lacks is refused before anything changes.
pub const DEPLOYED_KEYS: &[&str] = &[
    "image",
    "command",
    "entrypoint",
    "environment",
    "labels",
    "deploy.mode",
    "deploy.replicas",
    "deploy.endpoint_mode",
    "deploy.labels",
    "deploy.update_config",
    "deploy.rollback_config",
    "deploy.restart_policy",
    "deploy.resources",
    "deploy.placement",
    "healthcheck",
    "ports",
    "networks",
    "logging",
    "stop_grace_period",
    "stop_signal",
    "user",
    "working_dir",
    "hostname",
    "init",
    "read_only",
    "tty",
];

/// The first key of a service section this target does not deploy, as its dotted path.
pub fn undeployed_key(section: &Value) -> Option<String> {
    let map = section.as_object()?;
    for (key, value) in map {
        if key == "deploy" {
            if let Some(deploy) = value.as_object() {
                for sub in deploy.keys() {
                    let dotted = format!("deploy.{sub}");
                    if !DEPLOYED_KEYS.contains(&dotted.as_str()) {
                        return Some(dotted);
                    }
                }
            }
        } else if !DEPLOYED_KEYS.contains(&key.as_str()) {
            return Some(key.clone());
        }
    }
    None
}

fn nanos(seconds: f64) -> i64 {
    (seconds * 1e9).round() as i64
}

fn duration(v: &Value) -> Option<i64> {
    let text = v.as_str()?;
    rollplay_core::duration::parse_duration(text)
        .ok()
        .map(|d| d.as_nanos() as i64)
}

/// `64M`, `1g`, `512k`, `1024` as bytes (binary units, as the docker CLI reads them).
pub fn bytes(text: &str) -> Option<i64> {
    let t = text.trim().to_ascii_lowercase();
    let t = t.strip_suffix('b').unwrap_or(&t);
    let (number, unit) = match t.char_indices().find(|(_, c)| c.is_ascii_alphabetic()) {
        Some((i, _)) => (&t[..i], &t[i..]),
        None => (t, ""),
    };
    let factor: f64 = match unit {
        "" => 1.0,
        "k" => 1024.0,
        "m" => 1024.0 * 1024.0,
        "g" => 1024.0 * 1024.0 * 1024.0,
        "t" => 1024f64.powi(4),
        _ => return None,
    };
    let n: f64 = number.trim().parse().ok()?;
    Some((n * factor) as i64)
}

fn cpus(v: &Value) -> Option<i64> {
    let n = match v {
        Value::String(s) => s.trim().parse::<f64>().ok()?,
        other => other.as_f64()?,
    };
    Some((n * 1e9).round() as i64)
}

fn update_config(c: &UpdateConfig) -> Value {
    json!({
        "Parallelism": c.parallelism,
        "Delay": nanos(c.delay_seconds),
        "FailureAction": match c.failure_action {
            FailureAction::Pause => "pause",
            FailureAction::Continue => "continue",
            FailureAction::Rollback => "rollback",
        },
        "Monitor": nanos(c.monitor_seconds),
        "MaxFailureRatio": c.max_failure_ratio,
        "Order": match c.order {
            Order::StopFirst => "stop-first",
            Order::StartFirst => "start-first",
        },
    })
}

fn words(v: &Value) -> Option<Vec<String>> {
    match v {
        Value::String(s) => Some(s.split_whitespace().map(String::from).collect()),
        Value::Array(items) => Some(
            items
                .iter()
                .map(|i| i.as_str().map_or_else(|| i.to_string(), String::from))
                .collect(),
        ),
        _ => None,
    }
}

fn health_check(v: &Value) -> Option<Value> {
    if !v.is_object() {
        return None;
    }
    if v["disable"].as_bool() == Some(true) {
        return Some(json!({"Test": ["NONE"]}));
    }
    let mut h = Map::new();
    match &v["test"] {
        Value::String(s) => {
            h.insert("Test".into(), json!(["CMD-SHELL", s]));
        }
        Value::Array(items) => {
            h.insert("Test".into(), Value::Array(items.clone()));
        }
        _ => {}
    }
    for (key, field) in [
        ("interval", "Interval"),
        ("timeout", "Timeout"),
        ("start_period", "StartPeriod"),
    ] {
        if let Some(n) = duration(&v[key]) {
            h.insert(field.into(), json!(n));
        }
    }
    if let Some(r) = v["retries"].as_u64() {
        h.insert("Retries".into(), json!(r));
    }
    Some(Value::Object(h))
}

fn put(map: &mut Map<String, Value>, key: &str, value: Option<Value>) {
    if let Some(v) = value {
        map.insert(key.into(), v);
    }
}

fn labels(stack: &str, own: &BTreeMap<String, String>) -> Value {
    let mut all = own.clone();
    all.insert(STACK_NAMESPACE_LABEL.into(), stack.into());
    json!(all)
}

/// The spec of `def` in `stack`; `network_ids` maps the file's network names (and `default`)
/// to the engine's network ids. The spec's labels are the service's own and the stack's
/// (rollplay's history labels are added by the caller).
pub fn service_spec(
    def: &ServiceDef,
    stack: &str,
    network_ids: &BTreeMap<String, String>,
) -> ServiceSpec {
    let raw = &def.raw;
    let mut container = Map::new();
    container.insert("Image".into(), json!(def.image));
    container.insert(
        "Labels".into(),
        labels(stack, &rollplay_stack::compose::dict(&raw["labels"])),
    );
    if !def.environment.is_empty() {
        let env: Vec<String> = def
            .environment
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        container.insert("Env".into(), json!(env));
    }
    put(
        &mut container,
        "Command",
        words(&raw["entrypoint"]).map(|w| json!(w)),
    );
    put(
        &mut container,
        "Args",
        words(&raw["command"]).map(|w| json!(w)),
    );
    // bollard names this field `HealthCheck`; the engine's decoder matches names without case.
    put(
        &mut container,
        "HealthCheck",
        health_check(&raw["healthcheck"]),
    );
    put(
        &mut container,
        "StopGracePeriod",
        duration(&raw["stop_grace_period"]).map(|n| json!(n)),
    );
    for (key, field) in [
        ("stop_signal", "StopSignal"),
        ("user", "User"),
        ("working_dir", "Dir"),
        ("hostname", "Hostname"),
    ] {
        put(&mut container, field, raw[key].as_str().map(|s| json!(s)));
    }
    for (key, field) in [("init", "Init"), ("read_only", "ReadOnly"), ("tty", "TTY")] {
        put(&mut container, field, raw[key].as_bool().map(|b| json!(b)));
    }

    let deploy = &raw["deploy"];
    let mut task = Map::new();
    task.insert("ContainerSpec".into(), Value::Object(container));
    let resources = &deploy["resources"];
    if resources.is_object() {
        let side = |r: &Value| {
            let mut m = Map::new();
            put(&mut m, "NanoCPUs", cpus(&r["cpus"]).map(|n| json!(n)));
            put(
                &mut m,
                "MemoryBytes",
                r["memory"].as_str().and_then(bytes).map(|n| json!(n)),
            );
            put(&mut m, "Pids", r["pids"].as_i64().map(|n| json!(n)));
            Value::Object(m)
        };
        task.insert(
            "Resources".into(),
            json!({"Limits": side(&resources["limits"]), "Reservations": side(&resources["reservations"])}),
        );
    }
    let restart = &deploy["restart_policy"];
    if restart.is_object() {
        let mut r = Map::new();
        put(
            &mut r,
            "Condition",
            restart["condition"].as_str().map(|s| json!(s)),
        );
        put(
            &mut r,
            "Delay",
            duration(&restart["delay"]).map(|n| json!(n)),
        );
        put(
            &mut r,
            "MaxAttempts",
            restart["max_attempts"].as_i64().map(|n| json!(n)),
        );
        put(
            &mut r,
            "Window",
            duration(&restart["window"]).map(|n| json!(n)),
        );
        task.insert("RestartPolicy".into(), Value::Object(r));
    }
    let placement = &deploy["placement"];
    if placement.is_object() {
        let mut p = Map::new();
        put(&mut p, "Constraints", placement.get("constraints").cloned());
        if let Some(prefs) = placement["preferences"].as_array() {
            let spread: Vec<Value> = prefs
                .iter()
                .filter_map(|p| p["spread"].as_str())
                .map(|s| json!({"Spread": {"SpreadDescriptor": s}}))
                .collect();
            p.insert("Preferences".into(), json!(spread));
        }
        put(
            &mut p,
            "MaxReplicas",
            placement["max_replicas_per_node"]
                .as_i64()
                .map(|n| json!(n)),
        );
        task.insert("Placement".into(), Value::Object(p));
    }
    let logging = &raw["logging"];
    if logging.is_object() {
        task.insert(
            "LogDriver".into(),
            json!({
                "Name": logging["driver"].as_str().unwrap_or("json-file"),
                "Options": rollplay_stack::compose::dict(&logging["options"]),
            }),
        );
    }
    let attachments: Vec<Value> = attached_networks(def)
        .iter()
        .filter_map(|(name, aliases)| {
            let id = network_ids.get(name)?;
            Some(json!({"Target": id, "Aliases": aliases}))
        })
        .collect();
    task.insert("Networks".into(), json!(attachments));

    let mode = match def.mode {
        Mode::Replicated(n) => json!({"Replicated": {"Replicas": n}}),
        Mode::Global => json!({"Global": {}}),
    };
    let ports: Vec<Value> = def
        .ports
        .iter()
        .map(|p| {
            let mut m = Map::new();
            m.insert("Protocol".into(), json!(p.protocol));
            m.insert("TargetPort".into(), json!(p.target));
            put(&mut m, "PublishedPort", p.published.map(|n| json!(n)));
            m.insert("PublishMode".into(), json!(p.mode));
            Value::Object(m)
        })
        .collect();
    let mut service_labels = def.labels.clone();
    service_labels.insert(STACK_IMAGE_LABEL.into(), def.image.clone());
    let spec = json!({
        "Name": def.name,
        "Labels": labels(stack, &service_labels),
        "TaskTemplate": Value::Object(task),
        "Mode": mode,
        "UpdateConfig": update_config(&def.update),
        "RollbackConfig": update_config(&def.rollback),
        "EndpointSpec": {"Mode": def.endpoint_mode, "Ports": ports},
    });
    serde_json::from_value(spec).expect("a spec built from the Docker API's own field names")
}

/// The networks a service joins (the file's names; `default` when it names none), each with
/// the service's key as its alias, as `docker stack deploy` attaches them.
pub fn attached_networks(def: &ServiceDef) -> Vec<(String, Vec<String>)> {
    let mut aliases_of = BTreeMap::new();
    if let Some(map) = def.raw["networks"].as_object() {
        for (name, v) in map {
            let mut aliases = vec![def.key.clone()];
            aliases.extend(
                v["aliases"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|a| a.as_str().map(String::from)),
            );
            aliases_of.insert(name.clone(), aliases);
        }
    }
    let names = if def.networks.is_empty() {
        vec!["default".to_string()]
    } else {
        def.networks.clone()
    };
    names
        .into_iter()
        .map(|n| {
            let aliases = aliases_of
                .remove(&n)
                .unwrap_or_else(|| vec![def.key.clone()]);
            (n, aliases)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rollplay_stack::compose::load_stack;

    fn example() -> rollplay_stack::compose::Stack {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../examples/swarm/stack.yml"
        ))
        .unwrap();
        load_stack(&text, "stack.yml", "demo", &BTreeMap::new()).unwrap()
    }

    #[test]
    fn the_example_stack_becomes_the_spec_docker_stack_deploy_sends() {
        let stack = example();
        let web = &stack.services[0];
        assert_eq!(undeployed_key(&web.raw), None);
        let ids = BTreeMap::from([("front".to_string(), "n1".to_string())]);
        let spec = serde_json::to_value(service_spec(web, "demo", &ids)).unwrap();
        assert_eq!(spec["Name"], "demo_web");
        assert_eq!(spec["Labels"][STACK_NAMESPACE_LABEL], "demo");
        assert_eq!(spec["Labels"]["app"], "web");
        assert_eq!(spec["Mode"]["Replicated"]["Replicas"], 3);
        let task = &spec["TaskTemplate"];
        assert_eq!(task["ContainerSpec"]["Image"], "rollplay-demo/web:1.0.0");
        assert_eq!(task["ContainerSpec"]["Env"], json!(["PORT=8080"]));
        assert_eq!(
            task["ContainerSpec"]["HealthCheck"]["Interval"],
            1_000_000_000i64
        );
        assert_eq!(task["Resources"]["Limits"]["MemoryBytes"], 64 * 1024 * 1024);
        assert_eq!(task["RestartPolicy"]["Delay"], 2_000_000_000i64);
        assert_eq!(task["Networks"][0]["Target"], "n1");
        assert_eq!(task["Networks"][0]["Aliases"], json!(["web"]));
        assert_eq!(task["LogDriver"]["Options"]["max-size"], "1m");
        assert_eq!(spec["UpdateConfig"]["Order"], "start-first");
        assert_eq!(spec["UpdateConfig"]["Monitor"], 5_000_000_000i64);
        assert_eq!(spec["RollbackConfig"]["Order"], "stop-first");
        assert_eq!(spec["EndpointSpec"]["Mode"], "dnsrr");
    }

    #[test]
    fn sizes_read_as_the_docker_cli_reads_them() {
        assert_eq!(bytes("64M"), Some(64 << 20));
        assert_eq!(bytes("1g"), Some(1 << 30));
        assert_eq!(bytes("512kb"), Some(512 << 10));
        assert_eq!(bytes("100"), Some(100));
        assert_eq!(bytes("lots"), None);
    }

    #[test]
    fn keys_this_target_does_not_deploy_are_named() {
        let section = json!({"image": "x", "secrets": ["db"], "deploy": {"replicas": 1}});
        assert_eq!(undeployed_key(&section).as_deref(), Some("secrets"));
    }
}
