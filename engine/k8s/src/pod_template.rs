//! The parts of a pod template the simulated kubelet acts on: containers, probes, resources.

use super::json::{at, i64_at, str_at, string_map};
use super::quantity::parse_value_milli;
use serde_json::Value;
use std::collections::BTreeMap;

/// A readiness, liveness or startup probe, with the kubelet's defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    pub initial_delay_seconds: i64,
    pub period_seconds: i64,
    pub timeout_seconds: i64,
    pub success_threshold: i64,
    pub failure_threshold: i64,
    /// What the probe checks, for messages: `HTTP GET /ready`, `TCP 8080`, `exec`.
    pub describe: String,
}

impl Probe {
    pub fn from_value(v: &Value) -> Probe {
        let describe = if let Some(get) = v.get("httpGet") {
            format!(
                "HTTP GET {}",
                get.get("path").and_then(Value::as_str).unwrap_or("/")
            )
        } else if let Some(tcp) = v.get("tcpSocket") {
            format!(
                "TCP {}",
                tcp.get("port")
                    .map(|p| p.to_string().trim_matches('"').to_string())
                    .unwrap_or_default()
            )
        } else if v.get("grpc").is_some() {
            "gRPC".to_string()
        } else {
            "exec".to_string()
        };
        Probe {
            initial_delay_seconds: i64_at(v, &["initialDelaySeconds"]).unwrap_or(0).max(0),
            period_seconds: i64_at(v, &["periodSeconds"]).unwrap_or(10).max(1),
            timeout_seconds: i64_at(v, &["timeoutSeconds"]).unwrap_or(1).max(1),
            success_threshold: i64_at(v, &["successThreshold"]).unwrap_or(1).max(1),
            failure_threshold: i64_at(v, &["failureThreshold"]).unwrap_or(3).max(1),
            describe,
        }
    }
}

/// One container of a pod template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerSpec {
    pub name: String,
    pub image: String,
    pub startup_probe: Option<Probe>,
    pub readiness_probe: Option<Probe>,
    pub liveness_probe: Option<Probe>,
    pub cpu_request_milli: Option<i64>,
    pub cpu_limit_milli: Option<i64>,
    pub memory_request_milli: Option<i64>,
    pub memory_limit_milli: Option<i64>,
}

impl ContainerSpec {
    fn from_value(v: &Value) -> ContainerSpec {
        let probe = |name: &str| v.get(name).map(Probe::from_value);
        let quantity = |path: &[&str]| at(v, path).and_then(parse_value_milli);
        ContainerSpec {
            name: str_at(v, &["name"]).unwrap_or_default().to_string(),
            image: str_at(v, &["image"]).unwrap_or_default().to_string(),
            startup_probe: probe("startupProbe"),
            readiness_probe: probe("readinessProbe"),
            liveness_probe: probe("livenessProbe"),
            cpu_request_milli: quantity(&["resources", "requests", "cpu"]),
            cpu_limit_milli: quantity(&["resources", "limits", "cpu"]),
            memory_request_milli: quantity(&["resources", "requests", "memory"]),
            memory_limit_milli: quantity(&["resources", "limits", "memory"]),
        }
    }
}

/// A parsed `PodTemplateSpec`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PodTemplate {
    pub labels: BTreeMap<String, String>,
    pub containers: Vec<ContainerSpec>,
    pub termination_grace_period_seconds: i64,
    /// `spec.readinessGates[].conditionType` (SVC-2).
    pub readiness_gates: Vec<String>,
}

impl PodTemplate {
    pub fn from_value(template: &Value) -> PodTemplate {
        PodTemplate {
            labels: string_map(at(template, &["metadata", "labels"])),
            containers: at(template, &["spec", "containers"])
                .and_then(Value::as_array)
                .map(|cs| cs.iter().map(ContainerSpec::from_value).collect())
                .unwrap_or_default(),
            termination_grace_period_seconds: i64_at(
                template,
                &["spec", "terminationGracePeriodSeconds"],
            )
            .unwrap_or(30)
            .max(0),
            readiness_gates: at(template, &["spec", "readinessGates"])
                .and_then(Value::as_array)
                .map(|g| {
                    g.iter()
                        .filter_map(|x| str_at(x, &["conditionType"]).map(String::from))
                        .collect()
                })
                .unwrap_or_default(),
        }
    }

    /// The images of all containers, in order.
    pub fn images(&self) -> Vec<String> {
        self.containers.iter().map(|c| c.image.clone()).collect()
    }
}
