//! Compose stack files as `docker stack deploy` reads them: interpolated, checked key by key
//! (unknown keys, keys Swarm ignores and wrong types named with their line), and turned into
//! the services, update configurations and health checks both Swarm targets deploy. Nothing
//! is deployed from a file that does not pass all of this.

mod check;
mod interpolate;
mod schema;

pub use check::{Problem, Step, dotted};
pub use interpolate::interpolate;

use crate::update::HealthCheck;
use crate::{FailureAction, Order, UpdateConfig};
use rollplay_core::duration::parse_duration;
use rollplay_core::error::{Error, Result};
use rollplay_core::manifest::{Manifest, Seg, load_text};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// The label `docker stack deploy` puts on everything of a stack, so `docker stack ps NAME`
/// and `docker stack rm NAME` find what rollplay created.
pub const STACK_NAMESPACE_LABEL: &str = "com.docker.stack.namespace";
/// The label with the image as the file names it (before any digest is resolved).
pub const STACK_IMAGE_LABEL: &str = "com.docker.stack.image";

/// How a service's tasks are spread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Replicated(u32),
    /// One task per eligible node (SW-11).
    Global,
}

/// A published port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Port {
    pub target: u16,
    pub published: Option<u16>,
    pub protocol: String,
    /// `host` or `ingress` (the routing mesh; it needs IPVS).
    pub mode: String,
}

/// One service of a stack, with its name as the engine knows it (`STACK_SERVICE`).
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceDef {
    pub name: String,
    /// The name inside the file.
    pub key: String,
    pub image: String,
    pub mode: Mode,
    pub update: UpdateConfig,
    pub rollback: UpdateConfig,
    pub healthcheck: Option<HealthCheck>,
    pub environment: BTreeMap<String, String>,
    pub labels: BTreeMap<String, String>,
    pub ports: Vec<Port>,
    pub networks: Vec<String>,
    pub endpoint_mode: String,
    /// The service's section after interpolation, for the fields not modelled here.
    pub raw: Value,
}

/// A whole stack file.
#[derive(Debug, Clone)]
pub struct Stack {
    pub name: String,
    pub services: Vec<ServiceDef>,
    /// Networks, configs and secrets the file defines (names inside the file).
    pub networks: Vec<String>,
    pub configs: Vec<String>,
    pub secrets: Vec<String>,
    pub manifest: Manifest,
}

/// Reads a stack file's text; `env` interpolates it (`docker stack deploy` uses the shell's
/// environment).
pub fn load_stack(
    text: &str,
    file: &str,
    stack: &str,
    env: &BTreeMap<String, String>,
) -> Result<Stack> {
    let mut docs = load_text(text, file)?;
    if docs.len() != 1 {
        return Err(Error::bad_input(
            format!("stack file {file}"),
            format!("has {} documents; a stack file is one document", docs.len()),
        ));
    }
    read_stack(docs.remove(0), stack, env)
}

/// A stack file already read as a manifest (one document of `rollplay apply -f` or of a
/// playbook's `manifests`), deployed as stack `stack`.
pub fn read_stack(
    manifest: Manifest,
    stack: &str,
    env: &BTreeMap<String, String>,
) -> Result<Stack> {
    if !valid_stack_name(stack) {
        return Err(Error::bad_input(
            format!("stack name \"{stack}\""),
            "use lower-case letters, digits, '-' and '_', starting with a letter or digit",
        ));
    }
    let at = |p: Problem| {
        manifest.error_at(
            &segs(&p.path),
            format!("{}: {}", dotted(&p.path), p.message),
        )
    };
    let mut value = (*manifest.object).clone();
    interpolate_all(&mut value, env, &mut Vec::new()).map_err(at)?;
    check::check_object(&value, schema::STACK, &mut Vec::new()).map_err(at)?;
    let names = |section: &str| -> Vec<String> {
        value[section]
            .as_object()
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default()
    };
    let (networks, configs, secrets) = (names("networks"), names("configs"), names("secrets"));
    let Some(services) = value["services"].as_object().filter(|m| !m.is_empty()) else {
        return Err(manifest.error_at(&[], "services: a stack file needs at least one service"));
    };
    let mut defs = Vec::new();
    for (key, section) in services {
        let def = service(stack, key, section, &networks, &configs, &secrets).map_err(
            |(path, message)| {
                let mut full = vec![Step::Key("services".into()), Step::Key(key.clone())];
                full.extend(path);
                at(Problem {
                    path: full,
                    message,
                })
            },
        )?;
        defs.push(def);
    }
    Ok(Stack {
        name: stack.to_string(),
        services: defs,
        networks,
        configs,
        secrets,
        manifest,
    })
}

fn valid_stack_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

fn segs(path: &[Step]) -> Vec<Seg<'_>> {
    path.iter()
        .map(|s| match s {
            Step::Key(k) => Seg::Key(k),
            Step::Index(i) => Seg::Index(*i),
        })
        .collect()
}

fn interpolate_all(
    value: &mut Value,
    env: &BTreeMap<String, String>,
    path: &mut Vec<Step>,
) -> std::result::Result<(), Problem> {
    match value {
        Value::String(s) => {
            *s = interpolate(s, env).map_err(|message| Problem {
                path: path.clone(),
                message,
            })?;
        }
        Value::Array(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                path.push(Step::Index(i));
                interpolate_all(item, env, path)?;
                path.pop();
            }
        }
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                path.push(Step::Key(k.clone()));
                interpolate_all(v, env, path)?;
                path.pop();
            }
        }
        _ => {}
    }
    Ok(())
}

type Invalid = (Vec<Step>, String);

fn key(name: &str) -> Vec<Step> {
    name.split('.').map(|k| Step::Key(k.to_string())).collect()
}

fn service(
    stack: &str,
    key_name: &str,
    s: &Value,
    networks: &[String],
    configs: &[String],
    secrets: &[String],
) -> std::result::Result<ServiceDef, Invalid> {
    let image = s["image"].as_str().unwrap_or("").trim().to_string();
    if image.is_empty() {
        let why = if s.get("image").is_some() {
            "is empty after interpolation"
        } else {
            "is missing: every service of a stack needs an image"
        };
        return Err((key("image"), format!("image {why}")));
    }
    if let Err(why) = rollplay_core::image_ref::parse(&image) {
        return Err((key("image"), why));
    }
    let deploy = &s["deploy"];
    let mode = match deploy["mode"].as_str() {
        Some("global") => {
            if deploy.get("replicas").is_some() {
                return Err((key("deploy.replicas"), "a global service runs one task per node; remove replicas or use mode: replicated".into()));
            }
            Mode::Global
        }
        _ => Mode::Replicated(deploy["replicas"].as_u64().unwrap_or(1) as u32),
    };
    for (section, defined) in [
        ("networks", networks),
        ("configs", configs),
        ("secrets", secrets),
    ] {
        for (i, name) in referenced(&s[section]).into_iter().enumerate() {
            let implicit = section == "networks" && name == "default";
            if !(defined.contains(&name) || implicit) {
                let mut path = key(section);
                if s[section].is_array() {
                    path.push(Step::Index(i));
                }
                return Err((
                    path,
                    format!("\"{name}\" is not defined under the file's top-level {section}"),
                ));
            }
        }
    }
    let ports = s["ports"]
        .as_array()
        .map(|p| {
            p.iter()
                .enumerate()
                .map(|(i, item)| {
                    port(item).map_err(|m| {
                        let mut path = key("ports");
                        path.push(Step::Index(i));
                        (path, m)
                    })
                })
                .collect::<std::result::Result<Vec<_>, _>>()
        })
        .transpose()?
        .unwrap_or_default();
    Ok(ServiceDef {
        name: format!("{stack}_{key_name}"),
        key: key_name.to_string(),
        image,
        mode,
        update: update_config(&deploy["update_config"]),
        rollback: update_config(&deploy["rollback_config"]),
        healthcheck: healthcheck(&s["healthcheck"]),
        environment: dict(&s["environment"]),
        labels: dict(&deploy["labels"]),
        ports,
        networks: referenced(&s["networks"]),
        endpoint_mode: deploy["endpoint_mode"]
            .as_str()
            .unwrap_or("vip")
            .to_string(),
        raw: s.clone(),
    })
}

/// Names a service refers to: a list of names, a list of `{source: ...}`, or a mapping.
fn referenced(v: &Value) -> Vec<String> {
    match v {
        Value::Array(items) => items
            .iter()
            .filter_map(|i| {
                i.as_str()
                    .or_else(|| i["source"].as_str())
                    .map(String::from)
            })
            .collect(),
        Value::Object(m) => m.keys().cloned().collect(),
        _ => Vec::new(),
    }
}

/// `environment` and `labels`: a mapping, or a list of `NAME=VALUE` (a bare `NAME` is empty).
pub fn dict(v: &Value) -> BTreeMap<String, String> {
    let scalar = |v: &Value| match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    };
    match v {
        Value::Object(m) => m.iter().map(|(k, v)| (k.clone(), scalar(v))).collect(),
        Value::Array(items) => items
            .iter()
            .map(|i| {
                let text = scalar(i);
                match text.split_once('=') {
                    Some((k, v)) => (k.to_string(), v.to_string()),
                    None => (text, String::new()),
                }
            })
            .collect(),
        _ => BTreeMap::new(),
    }
}

fn seconds(v: &Value, default: f64) -> f64 {
    v.as_str()
        .and_then(|t| parse_duration(t).ok())
        .map_or(default, |d| d.as_secs_f64())
}

/// `update_config` / `rollback_config`, over Swarm's defaults (SW-1).
fn update_config(v: &Value) -> UpdateConfig {
    let d = UpdateConfig::default();
    UpdateConfig {
        parallelism: v["parallelism"]
            .as_u64()
            .map_or(d.parallelism, |p| p as u32),
        delay_seconds: seconds(&v["delay"], d.delay_seconds),
        failure_action: v["failure_action"]
            .as_str()
            .and_then(FailureAction::parse)
            .unwrap_or(d.failure_action),
        monitor_seconds: seconds(&v["monitor"], d.monitor_seconds),
        max_failure_ratio: v["max_failure_ratio"]
            .as_f64()
            .map_or(d.max_failure_ratio, |r| r as f32),
        order: v["order"]
            .as_str()
            .and_then(Order::parse)
            .unwrap_or(d.order),
    }
}

fn healthcheck(v: &Value) -> Option<HealthCheck> {
    if !v.is_object() || v["disable"].as_bool() == Some(true) {
        return None;
    }
    let d = HealthCheck::default();
    Some(HealthCheck {
        interval_seconds: seconds(&v["interval"], d.interval_seconds),
        timeout_seconds: seconds(&v["timeout"], d.timeout_seconds),
        retries: v["retries"].as_u64().map_or(d.retries, |r| r as u32),
        start_period_seconds: seconds(&v["start_period"], d.start_period_seconds),
    })
}

/// A port in its short form (`"8080:80"`, `"80"`, `"8080:80/udp"`) or long form.
fn port(v: &Value) -> std::result::Result<Port, String> {
    let number = |text: &str| {
        text.parse::<u16>()
            .map_err(|_| format!("\"{text}\" is not a port number"))
    };
    match v {
        Value::Object(m) => Ok(Port {
            target: long_port(m, "target")?.ok_or("a long-form port needs target")?,
            published: long_port(m, "published")?,
            protocol: m
                .get("protocol")
                .and_then(Value::as_str)
                .unwrap_or("tcp")
                .into(),
            mode: m
                .get("mode")
                .and_then(Value::as_str)
                .unwrap_or("ingress")
                .into(),
        }),
        other => {
            let text = match other {
                Value::String(s) => s.clone(),
                n => n.to_string(),
            };
            let (ports, protocol) = text.split_once('/').unwrap_or((&text, "tcp"));
            let (published, target) = match ports.rsplit_once(':') {
                Some((p, t)) => (Some(number(p.rsplit(':').next().unwrap_or(p))?), number(t)?),
                None => (None, number(ports)?),
            };
            Ok(Port {
                target,
                published,
                protocol: protocol.into(),
                mode: "ingress".into(),
            })
        }
    }
}

fn long_port(m: &Map<String, Value>, field: &str) -> std::result::Result<Option<u16>, String> {
    match m.get(field) {
        None => Ok(None),
        Some(v) => v
            .as_u64()
            .and_then(|n| u16::try_from(n).ok())
            .map(Some)
            .ok_or_else(|| format!("{field}: {v} is not a port number")),
    }
}

#[cfg(test)]
mod tests;
