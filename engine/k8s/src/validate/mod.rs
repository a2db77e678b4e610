//! Validation of Kubernetes manifests before anything is applied, with the API server's
//! messages and the line of the field: what every Kubernetes-shaped target checks on the
//! client. One file per kind family; custom kinds are left to the target, which knows its
//! CustomResourceDefinitions.

mod deployment;
mod fields;
mod names;
mod scaling;
mod schema;
mod secret;
mod service;

use crate::json::render;
use fields::{Check, FieldError, PathSeg, p};
use names::{dns1035_label, dns1123_label, dns1123_subdomain};
use rollplay_core::error::Result;
use rollplay_core::kind::{BUILTIN_KINDS, Kind};
use rollplay_core::manifest::{Manifest, Seg};
use schema::{shape_of, unknown_field};
use serde_json::Value;

/// Groups the built-in API serves (and `extensions`, which it served until 1.22): a kind in
/// one of these that is not built in does not exist.
fn builtin_group(group: &str) -> bool {
    group.is_empty()
        || matches!(group, "events.k8s.io" | "extensions")
        || BUILTIN_KINDS.iter().any(|k| k.group() == group)
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
    let kind = m.kind();
    let group = api_version.rsplit_once('/').map_or("", |(g, _)| g);
    let unserved = match kind {
        Kind::Custom(_) => builtin_group(group),
        builtin => !builtin.accepts_api_version(api_version),
    };
    if unserved {
        let same_name = BUILTIN_KINDS.iter().find(|k| k.name() == kind_name);
        return Err(m.error_at(
            &[Seg::Key("kind")],
            format!(
                "no matches for kind \"{kind_name}\" in version \"{api_version}\"{}",
                match same_name {
                    Some(k) => format!(" (use apiVersion: {})", k.api_version()),
                    None => format!(
                        "{}; built-in kinds: {}",
                        rollplay_core::suggest::hint(
                            kind_name,
                            BUILTIN_KINDS.iter().map(|k| k.name())
                        ),
                        known_kinds()
                    ),
                }
            ),
        ));
    }
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
        let hint = rollplay_core::suggest::did_you_mean(&last, known.iter().copied())
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
        Kind::Deployment => deployment::validate_deployment(&mut check),
        Kind::Service => service::validate_service(&mut check),
        Kind::HorizontalPodAutoscaler => scaling::validate_hpa(&mut check),
        Kind::PodDisruptionBudget => scaling::validate_pdb(&mut check),
        Kind::ConfigMap => secret::validate_configmap(&mut check),
        Kind::Secret => secret::validate_secret(&mut check),
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

/// Checks every manifest of a batch and returns the first problem; nothing may be applied
/// unless this passes (DESIGN: bad input changes nothing).
pub fn validate_all(manifests: &[Manifest]) -> Result<()> {
    for m in manifests {
        validate(m)?;
    }
    let mut seen = std::collections::BTreeSet::new();
    for m in manifests {
        let key = (
            m.kind_name().to_string(),
            m.namespace().unwrap_or("").to_string(),
            m.name().to_string(),
        );
        if !seen.insert(key) {
            return Err(m.error_at(
                &[Seg::Key("metadata"), Seg::Key("name")],
                format!(
                    "{} \"{}\" appears twice in this batch; each object may be applied once",
                    m.kind_name(),
                    m.name()
                ),
            ));
        }
    }
    Ok(())
}

fn known_kinds() -> String {
    BUILTIN_KINDS
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

#[cfg(test)]
mod tests {
    use super::validate_all;
    use rollplay_core::error::Error;
    use rollplay_core::manifest::load_text;

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
                "no matches for kind \"Gizmo\" in version \"v1\"; built-in kinds: Namespace"
            ),
            "{msg}"
        );
        // A kind in a group of its own is a custom resource: whether it exists is the
        // target's to say (its CRDs), so only its metadata is checked here.
        let custom = load_text(
            "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\nspec: {size: 3}\n",
            "t.yaml",
        )
        .unwrap();
        assert!(validate_all(&custom).is_ok());
        let (_, msg) =
            first_error("apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: W_1}\n");
        assert!(
            msg.contains("metadata.name: Invalid value: \"W_1\""),
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

#[cfg(test)]
mod kinds_stored_as_applied {
    use super::validate_all;
    use rollplay_core::manifest::load_text;

    #[test]
    fn built_in_kinds_without_a_model_keep_their_own_fields() {
        let text = "apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: fast}
provisioner: kubernetes.io/no-provisioner
volumeBindingMode: WaitForFirstConsumer
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: zk}
spec:
  serviceName: zk-hs
  replicas: 3
  selector: {matchLabels: {app: zk}}
  template:
    metadata: {labels: {app: zk}}
    spec: {containers: [{name: zk, image: zk:3.4}]}
";
        validate_all(&load_text(text, "t.yaml").unwrap()).unwrap();
    }
}
