//! Validation of manifests before anything is applied, with the API server's messages
//! (K8S-DEP-2 and the apps, core, autoscaling and policy validation rules).

use super::schema::{shape_of, unknown_field};
use super::{Manifest, Seg};
use crate::error::Result;
use crate::k8s::json::{at, render};
use crate::k8s::quantity::parse_value_milli;
use crate::k8s::{IntOrString, LabelSelector};
use crate::kind::Kind;
use serde_json::Value;

/// One step of a field path, owned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathSeg {
    Key(String),
    Index(usize),
}

/// A field error as the API reports it: the path and the detail.
#[derive(Debug)]
struct FieldError {
    path: Vec<PathSeg>,
    detail: String,
}

impl FieldError {
    fn render(&self) -> String {
        let mut out = String::new();
        for seg in &self.path {
            match seg {
                PathSeg::Key(k) => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(k);
                }
                PathSeg::Index(i) => out.push_str(&format!("[{i}]")),
            }
        }
        if out.is_empty() {
            self.detail.clone()
        } else {
            format!("{out}: {}", self.detail)
        }
    }
}

/// Collects field errors under a moving path.
struct Check<'a> {
    root: &'a Value,
    errors: Vec<FieldError>,
}

fn p(path: &[&str]) -> Vec<PathSeg> {
    path.iter().map(|k| PathSeg::Key(k.to_string())).collect()
}

impl Check<'_> {
    fn err(&mut self, path: Vec<PathSeg>, detail: impl Into<String>) {
        self.errors.push(FieldError {
            path,
            detail: detail.into(),
        });
    }
    fn get(&self, path: &[&str]) -> Option<&Value> {
        at(self.root, path)
    }
    fn non_negative_int(&mut self, path: &[&str]) {
        match self.get(path).cloned() {
            None => {}
            Some(Value::Number(n)) if n.as_i64().is_some_and(|v| v >= 0) => {}
            Some(v @ Value::Number(_)) => {
                let detail = if v.as_f64().is_some_and(|f| f.fract() != 0.0) {
                    format!("Invalid value: {v}: must be an integer")
                } else {
                    format!("Invalid value: {v}: must be greater than or equal to 0")
                };
                self.err(p(path), detail);
            }
            Some(v) => self.err(
                p(path),
                format!("Invalid value: {}: must be an integer", render(&v)),
            ),
        }
    }
    fn string_map(&mut self, path: &[&str]) {
        if let Some(Value::Object(map)) = self.get(path).cloned() {
            for (k, v) in map {
                if !v.is_string() {
                    let mut fp = p(path);
                    fp.push(PathSeg::Key(k.clone()));
                    self.err(
                        fp,
                        format!(
                            "Invalid value: {}: must be a string (quote it: \"{}\")",
                            render(&v),
                            v.to_string().trim_matches('"')
                        ),
                    );
                }
            }
        } else if let Some(v) = self.get(path).filter(|v| !v.is_null()).cloned() {
            self.err(
                p(path),
                format!("Invalid value: {}: must be a map of strings", render(&v)),
            );
        }
    }
}

/// Validates one manifest; the error names the file, the line of the field and the API's message.
pub fn validate(m: &Manifest) -> Result<()> {
    let obj = &m.object;
    let api_version = obj.get("apiVersion").and_then(Value::as_str);
    let kind_name = obj.get("kind").and_then(Value::as_str);
    let (Some(api_version), Some(kind_name)) = (api_version, kind_name) else {
        let mut missing = Vec::new();
        if api_version.is_none() {
            missing.push("apiVersion not set");
        }
        if kind_name.is_none() {
            missing.push("kind not set");
        }
        return Err(m.error_at(
            &[],
            format!("error validating data: [{}]", missing.join(", ")),
        ));
    };
    let kind = match Kind::parse(kind_name).filter(|k| k.name() == kind_name) {
        Some(k) if k.accepts_api_version(api_version) => k,
        _ => {
            return Err(m.error_at(
                &[Seg::Key("kind")],
                format!(
                    "no matches for kind \"{kind_name}\" in version \"{api_version}\"{}",
                    match Kind::parse(kind_name).filter(|k| k.name() == kind_name) {
                        Some(k) => format!(" (use apiVersion: {})", k.api_version()),
                        None => format!("; rollplay knows: {}", known_kinds()),
                    }
                ),
            ));
        }
    };
    if kind.is_controller_owned() {
        return Err(m.error_at(
            &[Seg::Key("kind")],
            format!("{kind_name} objects are created by controllers; apply the Deployment (or Service) that owns them instead"),
        ));
    }
    if let Some((path, known)) = unknown_field(obj, shape_of(kind)) {
        let field = FieldError {
            path: path.clone(),
            detail: String::new(),
        }
        .render();
        let field = field.trim_end_matches(": ");
        let last = match path.last() {
            Some(PathSeg::Key(k)) => k.clone(),
            _ => String::new(),
        };
        let hint = crate::suggest::did_you_mean(&last, known.iter().copied())
            .map(|s| format!(" (did you mean \"{s}\"?)"))
            .unwrap_or_default();
        return Err(m.error_at(&segs(&path), format!("unknown field \"{field}\"{hint}")));
    }

    let mut check = Check {
        root: obj,
        errors: Vec::new(),
    };
    validate_metadata(&mut check, kind);
    match kind {
        Kind::Deployment => validate_deployment(&mut check),
        Kind::Service => validate_service(&mut check),
        Kind::HorizontalPodAutoscaler => validate_hpa(&mut check),
        Kind::PodDisruptionBudget => validate_pdb(&mut check),
        Kind::ConfigMap => check.string_map(&["data"]),
        Kind::Secret => check.string_map(&["stringData"]),
        _ => {}
    }
    if check.errors.is_empty() {
        return Ok(());
    }
    let name = m.name();
    let details: Vec<String> = check.errors.iter().map(FieldError::render).collect();
    let message = if details.len() == 1 {
        format!("The {kind_name} \"{name}\" is invalid: {}", details[0])
    } else {
        format!(
            "The {kind_name} \"{name}\" is invalid:\n* {}",
            details.join("\n* ")
        )
    };
    Err(m.error_at(&segs(&check.errors[0].path), message))
}

fn known_kinds() -> String {
    crate::kind::ALL_KINDS
        .iter()
        .filter(|k| !k.is_controller_owned())
        .map(|k| k.name())
        .collect::<Vec<_>>()
        .join(", ")
}

fn segs(path: &[PathSeg]) -> Vec<Seg<'_>> {
    path.iter()
        .map(|s| match s {
            PathSeg::Key(k) => Seg::Key(k.as_str()),
            PathSeg::Index(i) => Seg::Index(*i),
        })
        .collect()
}

fn validate_metadata(c: &mut Check, kind: Kind) {
    match c.get(&["metadata", "name"]).cloned() {
        None | Some(Value::Null) => c.err(
            p(&["metadata", "name"]),
            "Required value: name or generateName is required",
        ),
        Some(Value::String(name)) => {
            let problem = match kind {
                Kind::Service => dns1035_label(&name),
                Kind::Namespace => dns1123_label(&name),
                _ => dns1123_subdomain(&name),
            };
            if let Some(problem) = problem {
                c.err(
                    p(&["metadata", "name"]),
                    format!("Invalid value: \"{name}\": {problem}"),
                );
            }
        }
        Some(other) => c.err(
            p(&["metadata", "name"]),
            format!("Invalid value: {}: must be a string", render(&other)),
        ),
    }
    if let Some(ns) = c
        .get(&["metadata", "namespace"])
        .and_then(Value::as_str)
        .map(String::from)
        && let Some(problem) = dns1123_label(&ns)
    {
        c.err(
            p(&["metadata", "namespace"]),
            format!("Invalid value: \"{ns}\": {problem}"),
        );
    }
    c.string_map(&["metadata", "labels"]);
    c.string_map(&["metadata", "annotations"]);
}

fn validate_deployment(c: &mut Check) {
    if c.get(&["spec"]).is_none() {
        c.err(p(&["spec"]), "Required value");
        return;
    }
    c.non_negative_int(&["spec", "replicas"]);
    c.non_negative_int(&["spec", "minReadySeconds"]);
    c.non_negative_int(&["spec", "revisionHistoryLimit"]);
    c.non_negative_int(&["spec", "progressDeadlineSeconds"]);
    let min_ready = c
        .get(&["spec", "minReadySeconds"])
        .and_then(Value::as_i64)
        .unwrap_or(0);
    if let Some(deadline) = c
        .get(&["spec", "progressDeadlineSeconds"])
        .and_then(Value::as_i64)
        && deadline <= min_ready
    {
        c.err(
            p(&["spec", "progressDeadlineSeconds"]),
            format!("Invalid value: {deadline}: must be greater than minReadySeconds"),
        );
    }

    let selector = match c.get(&["spec", "selector"]).cloned() {
        None => {
            c.err(p(&["spec", "selector"]), "Required value");
            None
        }
        Some(v) => match LabelSelector::from_value(&v) {
            Ok(s) if s.is_empty() => {
                c.err(
                    p(&["spec", "selector"]),
                    format!("Invalid value: {v}: empty selector is invalid for deployment"),
                );
                None
            }
            Ok(s) => Some(s),
            Err(e) => {
                c.err(p(&["spec", "selector"]), e);
                None
            }
        },
    };
    c.string_map(&["spec", "template", "metadata", "labels"]);
    let labels = crate::k8s::json::string_map(c.get(&["spec", "template", "metadata", "labels"]));
    if let Some(selector) = selector
        && !selector.matches(&labels)
    {
        c.err(
            p(&["spec", "template", "metadata", "labels"]),
            format!(
                "Invalid value: {}: `selector` does not match template `labels`",
                c.get(&["spec", "template", "metadata", "labels"])
                    .map(|v| v.to_string())
                    .unwrap_or("{}".into())
            ),
        );
    }

    let strategy_type = c
        .get(&["spec", "strategy", "type"])
        .and_then(Value::as_str)
        .unwrap_or("RollingUpdate")
        .to_string();
    match strategy_type.as_str() {
        "RollingUpdate" => {
            let field = |c: &Check, name: &str| {
                c.get(&["spec", "strategy", "rollingUpdate", name]).cloned()
            };
            let mut parsed = Vec::new();
            for name in ["maxUnavailable", "maxSurge"] {
                let path = p(&["spec", "strategy", "rollingUpdate", name]);
                match field(c, name) {
                    None => parsed.push(IntOrString::Str("25%".into())),
                    Some(v) => match IntOrString::from_value(&v) {
                        Some(ios) => {
                            if let Some(problem) = ios.validate_non_negative() {
                                c.err(path, format!("Invalid value: {}: {problem}", ios.render()));
                            }
                            parsed.push(ios);
                        }
                        None => {
                            c.err(
                                path,
                                format!(
                                    "Invalid value: {}: must be an integer or a percentage",
                                    render(&v)
                                ),
                            );
                            parsed.push(IntOrString::Int(1));
                        }
                    },
                }
            }
            let (unavailable, surge) = (&parsed[0], &parsed[1]);
            if unavailable.literal_value() == 0 && surge.literal_value() == 0 {
                // K8S-DEP-2
                c.err(
                    p(&["spec", "strategy", "rollingUpdate", "maxUnavailable"]),
                    format!(
                        "Invalid value: {}: may not be 0 when `maxSurge` is 0",
                        unavailable.render()
                    ),
                );
            }
            if unavailable.percent().is_some_and(|pct| pct > 100) {
                c.err(
                    p(&["spec", "strategy", "rollingUpdate", "maxUnavailable"]),
                    format!(
                        "Invalid value: {}: must not be greater than 100%",
                        unavailable.render()
                    ),
                );
            }
        }
        "Recreate" => {
            if c.get(&["spec", "strategy", "rollingUpdate"]).is_some() {
                c.err(
                    p(&["spec", "strategy", "rollingUpdate"]),
                    "Forbidden: may not be specified when strategy `type` is 'Recreate'",
                );
            }
        }
        other => c.err(
            p(&["spec", "strategy", "type"]),
            format!(
                "Unsupported value: \"{other}\": supported values: \"Recreate\", \"RollingUpdate\""
            ),
        ),
    }
    validate_pod_template(c);
}

fn validate_pod_template(c: &mut Check) {
    let base = ["spec", "template", "spec"];
    if let Some(policy) = c
        .get(&["spec", "template", "spec", "restartPolicy"])
        .and_then(Value::as_str)
        && policy != "Always"
    {
        let policy = policy.to_string();
        c.err(
            p(&["spec", "template", "spec", "restartPolicy"]),
            format!("Unsupported value: \"{policy}\": supported values: \"Always\""),
        );
    }
    let containers = c
        .get(&["spec", "template", "spec", "containers"])
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if containers.is_empty() {
        c.err(
            p(&["spec", "template", "spec", "containers"]),
            "Required value",
        );
        return;
    }
    let mut names = std::collections::BTreeSet::new();
    for (i, container) in containers.iter().enumerate() {
        let path = |rest: &[&str]| {
            let mut v = p(&base);
            v.push(PathSeg::Key("containers".into()));
            v.push(PathSeg::Index(i));
            v.extend(p(rest));
            v
        };
        match container.get("name").and_then(Value::as_str) {
            None => c.err(path(&["name"]), "Required value"),
            Some(name) => {
                if let Some(problem) = dns1123_label(name) {
                    c.err(
                        path(&["name"]),
                        format!("Invalid value: \"{name}\": {problem}"),
                    );
                }
                if !names.insert(name.to_string()) {
                    c.err(path(&["name"]), format!("Duplicate value: \"{name}\""));
                }
            }
        }
        match container.get("image").and_then(Value::as_str) {
            None => c.err(path(&["image"]), "Required value"),
            Some(image) if image.trim().is_empty() || image != image.trim() => c.err(
                path(&["image"]),
                "Invalid value: \"\": must not have leading or trailing whitespace",
            ),
            Some(_) => {}
        }
        for (probe_name, success_must_be_one) in [
            ("readinessProbe", false),
            ("livenessProbe", true),
            ("startupProbe", true),
        ] {
            let Some(probe) = container.get(probe_name) else {
                continue;
            };
            let handlers = ["httpGet", "tcpSocket", "exec", "grpc"]
                .iter()
                .filter(|h| probe.get(**h).is_some())
                .count();
            if handlers == 0 {
                c.err(
                    path(&[probe_name]),
                    "Required value: must specify a handler type",
                );
            } else if handlers > 1 {
                c.err(
                    path(&[probe_name]),
                    "Forbidden: may not specify more than 1 handler type",
                );
            }
            for field in [
                "initialDelaySeconds",
                "timeoutSeconds",
                "periodSeconds",
                "successThreshold",
                "failureThreshold",
            ] {
                match probe.get(field) {
                    None => {}
                    Some(v) if v.as_i64().is_some_and(|n| n >= 0) => {}
                    Some(v) => c.err(
                        path(&[probe_name, field]),
                        format!(
                            "Invalid value: {}: must be greater than or equal to 0",
                            render(v)
                        ),
                    ),
                }
            }
            if success_must_be_one
                && probe
                    .get("successThreshold")
                    .and_then(Value::as_i64)
                    .is_some_and(|s| s != 1)
            {
                let v = probe["successThreshold"].clone();
                c.err(
                    path(&[probe_name, "successThreshold"]),
                    format!("Invalid value: {v}: must be 1"),
                );
            }
        }
        for resource in ["cpu", "memory"] {
            let request = at(container, &["resources", "requests", resource]);
            let limit = at(container, &["resources", "limits", resource]);
            for (which, v) in [("requests", request), ("limits", limit)] {
                if let Some(v) = v
                    && parse_value_milli(v).is_none()
                {
                    c.err(
                        path(&["resources", which, resource]),
                        format!("Invalid value: {}: quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'", render(v)),
                    );
                }
            }
            if let (Some(r), Some(l)) = (
                request.and_then(parse_value_milli),
                limit.and_then(parse_value_milli),
            ) && r > l
            {
                c.err(
                    path(&["resources", "requests"]),
                    format!(
                        "Invalid value: {}: must be less than or equal to {resource} limit of {}",
                        render(request.unwrap()),
                        limit
                            .map(|v| v.to_string().trim_matches('"').to_string())
                            .unwrap_or_default()
                    ),
                );
            }
        }
    }
}

fn validate_service(c: &mut Check) {
    let service_type = c
        .get(&["spec", "type"])
        .and_then(Value::as_str)
        .unwrap_or("ClusterIP")
        .to_string();
    if !matches!(
        service_type.as_str(),
        "ClusterIP" | "NodePort" | "LoadBalancer" | "ExternalName"
    ) {
        c.err(
            p(&["spec", "type"]),
            format!("Unsupported value: \"{service_type}\": supported values: \"ClusterIP\", \"ExternalName\", \"LoadBalancer\", \"NodePort\""),
        );
    }
    let headless = c.get(&["spec", "clusterIP"]).and_then(Value::as_str) == Some("None");
    let ports = c
        .get(&["spec", "ports"])
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if ports.is_empty() && service_type != "ExternalName" && !headless {
        c.err(p(&["spec", "ports"]), "Required value");
    }
    for (i, port) in ports.iter().enumerate() {
        let path = |f: &str| {
            vec![
                PathSeg::Key("spec".into()),
                PathSeg::Key("ports".into()),
                PathSeg::Index(i),
                PathSeg::Key(f.into()),
            ]
        };
        match port.get("port").and_then(Value::as_i64) {
            Some(n) if (1..=65535).contains(&n) => {}
            Some(n) => c.err(
                path("port"),
                format!("Invalid value: {n}: must be between 1 and 65535, inclusive"),
            ),
            None => c.err(path("port"), "Required value"),
        }
        if ports.len() > 1 && port.get("name").is_none() {
            c.err(path("name"), "Required value");
        }
    }
    c.string_map(&["spec", "selector"]);
}

fn validate_hpa(c: &mut Check) {
    for f in ["kind", "name"] {
        if c.get(&["spec", "scaleTargetRef", f])
            .and_then(Value::as_str)
            .is_none_or(str::is_empty)
        {
            c.err(p(&["spec", "scaleTargetRef", f]), "Required value");
        }
    }
    let min = c
        .get(&["spec", "minReplicas"])
        .and_then(Value::as_i64)
        .unwrap_or(1);
    if min < 1 {
        c.err(
            p(&["spec", "minReplicas"]),
            format!("Invalid value: {min}: must be greater than or equal to 1"),
        );
    }
    match c.get(&["spec", "maxReplicas"]).and_then(Value::as_i64) {
        None => c.err(p(&["spec", "maxReplicas"]), "Required value"),
        Some(max) if max < min => c.err(
            p(&["spec", "maxReplicas"]),
            format!("Invalid value: {max}: must be greater than or equal to `minReplicas`"),
        ),
        _ => {}
    }
    let metrics = c
        .get(&["spec", "metrics"])
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for (i, metric) in metrics.iter().enumerate() {
        let path = |f: &str| {
            vec![
                PathSeg::Key("spec".into()),
                PathSeg::Key("metrics".into()),
                PathSeg::Index(i),
                PathSeg::Key(f.into()),
            ]
        };
        match metric.get("type").and_then(Value::as_str) {
            Some("Resource" | "Pods" | "Object" | "External" | "ContainerResource") => {}
            Some(other) => c.err(
                path("type"),
                format!("Unsupported value: \"{other}\": supported values: \"ContainerResource\", \"External\", \"Object\", \"Pods\", \"Resource\""),
            ),
            None => c.err(path("type"), "Required value: must specify a metric source type"),
        }
    }
    for direction in ["scaleUp", "scaleDown"] {
        if let Some(window) = c
            .get(&["spec", "behavior", direction, "stabilizationWindowSeconds"])
            .and_then(Value::as_i64)
            && !(0..=3600).contains(&window)
        {
            c.err(
                p(&["spec", "behavior", direction, "stabilizationWindowSeconds"]),
                format!("Invalid value: {window}: must be less than or equal to 3600"),
            );
        }
        let policies = c
            .get(&["spec", "behavior", direction, "policies"])
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for (i, policy) in policies.iter().enumerate() {
            let path = |f: &str| {
                vec![
                    PathSeg::Key("spec".into()),
                    PathSeg::Key("behavior".into()),
                    PathSeg::Key(direction.into()),
                    PathSeg::Key("policies".into()),
                    PathSeg::Index(i),
                    PathSeg::Key(f.into()),
                ]
            };
            let period = policy
                .get("periodSeconds")
                .and_then(Value::as_i64)
                .unwrap_or(0);
            if !(1..=1800).contains(&period) {
                c.err(path("periodSeconds"), format!("Invalid value: {period}: must be greater than zero and less than or equal to 1800"));
            }
            if policy.get("value").and_then(Value::as_i64).unwrap_or(0) <= 0 {
                c.err(path("value"), "Invalid value: must be greater than zero");
            }
        }
    }
}

fn validate_pdb(c: &mut Check) {
    let min = c.get(&["spec", "minAvailable"]).cloned();
    let max = c.get(&["spec", "maxUnavailable"]).cloned();
    match (&min, &max) {
        (Some(_), Some(_)) => c.err(
            p(&["spec"]),
            "Invalid value: minAvailable and maxUnavailable cannot be both set",
        ),
        (None, None) => c.err(
            p(&["spec"]),
            "Required value: one of minAvailable or maxUnavailable is required",
        ),
        _ => {}
    }
    for (name, v) in [("minAvailable", min), ("maxUnavailable", max)] {
        if let Some(v) = v {
            match IntOrString::from_value(&v) {
                Some(ios) => {
                    if let Some(problem) = ios.validate_non_negative() {
                        c.err(
                            p(&["spec", name]),
                            format!("Invalid value: {}: {problem}", ios.render()),
                        );
                    }
                }
                None => c.err(
                    p(&["spec", name]),
                    format!(
                        "Invalid value: {}: must be an integer or a percentage",
                        render(&v)
                    ),
                ),
            }
        }
    }
    if let Some(sel) = c.get(&["spec", "selector"]).cloned()
        && let Err(e) = LabelSelector::from_value(&sel)
    {
        c.err(p(&["spec", "selector"]), e);
    }
}

const DNS1123_LABEL_MSG: &str = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

fn dns1123_label(s: &str) -> Option<String> {
    if s.len() > 63 {
        return Some("must be no more than 63 characters".into());
    }
    let ok = !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-');
    (!ok).then(|| DNS1123_LABEL_MSG.to_string())
}

fn dns1123_subdomain(s: &str) -> Option<String> {
    if s.len() > 253 {
        return Some("must be no more than 253 characters".into());
    }
    let ok = s.split('.').all(|part| dns1123_label(part).is_none());
    (!ok).then(|| "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')".to_string())
}

fn dns1035_label(s: &str) -> Option<String> {
    if s.len() > 63 {
        return Some("must be no more than 63 characters".into());
    }
    let ok = dns1123_label(s).is_none() && s.starts_with(|c: char| c.is_ascii_lowercase());
    (!ok).then(|| "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')".to_string())
}

#[cfg(test)]
mod tests {
    use crate::error::Error;
    use crate::manifest::{load_text, validate_all};

    fn first_error(text: &str) -> (usize, String) {
        let manifests = load_text(text, "t.yaml").unwrap();
        match validate_all(&manifests).unwrap_err() {
            Error::Manifest { location, message } => (location.line, message),
            other => panic!("{other}"),
        }
    }

    const DEPLOYMENT: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 3
  selector:
    matchLabels: {app: web}
  strategy:
    rollingUpdate:
      maxSurge: 0
      maxUnavailable: 0
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: web:1
";

    #[test]
    fn both_fenceposts_zero_is_the_apis_error_at_the_field_line() {
        // K8S-DEP-2
        let (line, msg) = first_error(DEPLOYMENT);
        assert_eq!(line, 12);
        assert_eq!(
            msg,
            "The Deployment \"web\" is invalid: spec.strategy.rollingUpdate.maxUnavailable: Invalid value: 0: may not be 0 when `maxSurge` is 0"
        );
    }

    #[test]
    fn typos_are_unknown_fields_with_a_suggestion() {
        let text = DEPLOYMENT.replace("  replicas: 3", "  replicass: 3");
        let (line, msg) = first_error(&text);
        assert_eq!(line, 6);
        assert_eq!(
            msg,
            "unknown field \"spec.replicass\" (did you mean \"replicas\"?)"
        );
    }

    #[test]
    fn selector_must_match_template_labels() {
        let text = DEPLOYMENT
            .replace("maxSurge: 0", "maxSurge: 1")
            .replace("labels: {app: web}", "labels: {app: api}");
        let (_, msg) = first_error(&text);
        assert!(msg.contains("spec.template.metadata.labels: Invalid value: {\"app\":\"api\"}: `selector` does not match template `labels`"), "{msg}");
    }

    #[test]
    fn unknown_kinds_and_versions() {
        let (_, msg) =
            first_error("apiVersion: extensions/v1beta1\nkind: Deployment\nmetadata: {name: x}\n");
        assert_eq!(
            msg,
            "no matches for kind \"Deployment\" in version \"extensions/v1beta1\" (use apiVersion: apps/v1)"
        );
        let (_, msg) = first_error("apiVersion: v1\nkind: Gizmo\nmetadata: {name: x}\n");
        assert!(
            msg.starts_with(
                "no matches for kind \"Gizmo\" in version \"v1\"; rollplay knows: Namespace"
            ),
            "{msg}"
        );
    }

    #[test]
    fn config_map_values_must_be_strings() {
        let (line, msg) = first_error(
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  port: 8080\n",
        );
        assert_eq!(line, 5);
        assert!(
            msg.contains("data.port: Invalid value: 8080: must be a string (quote it: \"8080\")"),
            "{msg}"
        );
    }
}
