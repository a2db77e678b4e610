//! `apply` of compose stack files: every file read, interpolated with the environment (as
//! `docker stack deploy` does) and checked, and every key this target would not deploy
//! refused by name and line, before the first change; then the stack's networks and services
//! created or updated, labelled as `docker stack deploy` labels them.

use crate::backend::SwarmBackend;
use crate::errors::request_error;
use crate::history::{self, APPLIED_LABEL};
use crate::spec::{attached_networks, service_spec, undeployed_key};
use bollard::models::{NetworkCreateRequest, ServiceSpec};
use bollard::query_parameters::ListNetworksOptions;
use rollplay_core::backend::{Applied, ApplyOutcome, ApplyResult};
use rollplay_core::error::Result;
use rollplay_core::kind::Kind;
use rollplay_core::manifest::{Manifest, Seg};
use rollplay_core::objref::ObjectRef;
use rollplay_stack::compose::{STACK_NAMESPACE_LABEL, Stack, read_stack};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};

/// Whether a manifest is a compose stack file (top-level `services`, no Kubernetes kind).
pub fn is_stack_file(m: &Manifest) -> bool {
    m.object.get("services").is_some() && m.object.get("kind").is_none()
}

/// Every manifest of the batch as a stack named `namespace`, or the first problem found.
pub fn stacks(batch: &[Manifest], namespace: &str) -> Result<Vec<Stack>> {
    let env: BTreeMap<String, String> = std::env::vars().collect();
    let mut out = Vec::new();
    for m in batch {
        if !is_stack_file(m) {
            let what = match m.kind_name() {
                "" => "this document".to_string(),
                kind => format!("kind {kind}"),
            };
            return Err(m.error_at(
                &[],
                format!(
                    "{what} is not a compose stack file; the swarm target deploys stack files (top-level `services:`), use --target kube for Kubernetes manifests"
                ),
            ));
        }
        let stack = read_stack(m.clone(), namespace, &env)?;
        for section in ["configs", "secrets", "volumes"] {
            if m.object
                .get(section)
                .and_then(|v| v.as_object())
                .is_some_and(|o| !o.is_empty())
            {
                return Err(m.error_at(
                    &[Seg::Key(section)],
                    format!("{section}: the swarm target does not deploy {section} yet; create them with `docker {} create` and remove them from the file", &section[..section.len() - 1]),
                ));
            }
        }
        for def in &stack.services {
            if let Some(key) = undeployed_key(&def.raw) {
                let mut path = vec![Seg::Key("services"), Seg::Key(&def.key)];
                path.extend(key.split('.').map(Seg::Key));
                return Err(m.error_at(
                    &path,
                    format!(
                        "services.{}.{key}: the swarm target does not deploy this key yet; remove it, or deploy the file with `docker stack deploy`",
                        def.key
                    ),
                ));
            }
        }
        out.push(stack);
    }
    Ok(out)
}

/// A network of the file as the engine names it, and whether the file says it exists already.
fn network_name(stack: &Stack, name: &str) -> (String, bool) {
    let section = &stack.manifest.object["networks"][name];
    let external = section["external"].as_bool() == Some(true);
    let named = section["name"].as_str().map(String::from);
    match (external, named) {
        (true, Some(n)) => (n, true),
        (true, None) => (name.to_string(), true),
        (false, Some(n)) => (n, false),
        (false, None) => (format!("{}_{name}", stack.name), false),
    }
}

/// The spec's keys in order at every level: labels and options are hash maps, whose order
/// differs from one build of the same spec to the next.
fn canonical(v: Value) -> Value {
    match v {
        Value::Object(map) => {
            let mut entries: Vec<(String, Value)> = map.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k, canonical(v)))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.into_iter().map(canonical).collect()),
        other => other,
    }
}

fn digest(spec: &ServiceSpec) -> String {
    let value = canonical(serde_json::to_value(spec).expect("specs serialise"));
    let text = value.to_string();
    let hash = Sha256::digest(text.as_bytes());
    hash.iter().take(12).map(|b| format!("{b:02x}")).collect()
}

impl SwarmBackend {
    /// Network names to ids, for names the engine has.
    async fn network_ids(&self) -> Result<HashMap<String, String>> {
        let networks = self
            .retries
            .read(|| self.docker.list_networks(None::<ListNetworksOptions>))
            .await
            .map_err(|e| {
                request_error(
                    &self.target,
                    "list networks",
                    &ObjectRef::new(Kind::Service, "", "*"),
                    e,
                )
            })?;
        Ok(networks
            .into_iter()
            .filter_map(|n| Some((n.name?, n.id?)))
            .collect())
    }

    /// Checks the batch without changing anything: files, keys, external networks.
    pub(crate) async fn validate_stacks(
        &self,
        batch: &[Manifest],
        namespace: &str,
    ) -> Result<Vec<Stack>> {
        let stacks = stacks(batch, namespace)?;
        let existing = self.network_ids().await?;
        for stack in &stacks {
            for name in &stack.networks {
                let (engine_name, external) = network_name(stack, name);
                if external && !existing.contains_key(&engine_name) {
                    return Err(stack.manifest.error_at(
                        &[Seg::Key("networks"), Seg::Key(name)],
                        format!(
                            "networks.{name}: external network \"{engine_name}\" does not exist on {}; create it with `docker network create --driver overlay {engine_name}`",
                            self.target
                        ),
                    ));
                }
            }
        }
        Ok(stacks)
    }

    pub(crate) async fn apply_stacks(&self, batch: &[Manifest], namespace: &str) -> ApplyOutcome {
        let mut outcome = ApplyOutcome::default();
        let stacks = match self.validate_stacks(batch, namespace).await {
            Ok(s) => s,
            Err(e) => {
                outcome.refused = Some(e);
                return outcome;
            }
        };
        for stack in &stacks {
            if let Err(e) = self.apply_stack(stack, &mut outcome.applied).await {
                outcome.refused = Some(e);
                return outcome;
            }
        }
        outcome
    }

    async fn ensure_networks(&self, stack: &Stack) -> Result<BTreeMap<String, String>> {
        let mut existing = self.network_ids().await?;
        let mut used: Vec<String> = stack
            .services
            .iter()
            .flat_map(|d| attached_networks(d).into_iter().map(|(n, _)| n))
            .collect();
        used.sort();
        used.dedup();
        let mut ids = BTreeMap::new();
        for name in used {
            let (engine_name, _) = network_name(stack, &name);
            let id = match existing.get(&engine_name) {
                Some(id) => id.clone(),
                None => {
                    let section = &stack.manifest.object["networks"][&name];
                    let mut labels =
                        HashMap::from([(STACK_NAMESPACE_LABEL.to_string(), stack.name.clone())]);
                    labels.extend(rollplay_stack::compose::dict(&section["labels"]));
                    let request = NetworkCreateRequest {
                        name: engine_name.clone(),
                        driver: Some(section["driver"].as_str().unwrap_or("overlay").to_string()),
                        attachable: section["attachable"].as_bool(),
                        internal: section["internal"].as_bool(),
                        options: Some(
                            rollplay_stack::compose::dict(&section["driver_opts"])
                                .into_iter()
                                .collect(),
                        ),
                        labels: Some(labels),
                        ..Default::default()
                    };
                    self.count_request();
                    let created = self.docker.create_network(request).await.map_err(|e| {
                        request_error(
                            &self.target,
                            "create network",
                            &ObjectRef::new(Kind::Service, &stack.name, &engine_name),
                            e,
                        )
                    })?;
                    existing.insert(engine_name.clone(), created.id.clone());
                    created.id
                }
            };
            ids.insert(name, id);
        }
        Ok(ids)
    }

    async fn apply_stack(&self, stack: &Stack, applied: &mut Vec<Applied>) -> Result<()> {
        let ids = self.ensure_networks(stack).await?;
        for def in &stack.services {
            let object = ObjectRef::new(Kind::Service, &stack.name, &def.key);
            let mut spec = service_spec(def, &stack.name, &ids);
            let wanted = digest(&spec);
            spec.labels
                .get_or_insert_with(Default::default)
                .insert(APPLIED_LABEL.into(), wanted.clone());
            let result = match self.inspect(&def.name).await? {
                None => {
                    history::record(&mut spec);
                    self.create(&object, spec).await?;
                    ApplyResult::Created
                }
                Some(current) => {
                    let held = current.spec.clone().unwrap_or_default();
                    let labels = held.labels.clone().unwrap_or_default();
                    let same = labels.get(APPLIED_LABEL) == Some(&wanted)
                        && crate::status::image_of(held.task_template.as_ref())
                            == crate::status::image_of(spec.task_template.as_ref())
                        && held.mode == spec.mode;
                    if same {
                        ApplyResult::Unchanged
                    } else {
                        let target_labels = spec.labels.get_or_insert_with(Default::default);
                        for key in [history::HISTORY_LABEL, history::REVISION_LABEL] {
                            if let Some(v) = labels.get(key) {
                                target_labels.insert(key.into(), v.clone());
                            }
                        }
                        history::record(&mut spec);
                        self.replace(&object, &current, spec).await?;
                        ApplyResult::Configured
                    }
                }
            };
            applied.push(Applied {
                kind: Kind::Service,
                namespace: stack.name.clone(),
                name: def.key.clone(),
                result,
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rollplay_core::manifest::load_text;

    #[test]
    fn kubernetes_manifests_and_undeployed_keys_are_refused_by_line() {
        let k8s = load_text(
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n",
            "cm.yaml",
        )
        .unwrap();
        let err = stacks(&k8s, "demo").unwrap_err().to_string();
        assert!(
            err.contains("cm.yaml:1") && err.contains("not a compose stack file"),
            "{err}"
        );
        let text = "services:\n  web:\n    image: web:1\n    secrets: [db]\nsecrets:\n  db: {external: true}\n";
        let file = load_text(text, "stack.yml").unwrap();
        let err = stacks(&file, "demo").unwrap_err().to_string();
        assert!(
            err.contains("stack.yml:5") && err.contains("secrets"),
            "{err}"
        );
        let text = "services:\n  web:\n    image: web:1\n    hostname: web\n    stop_signal: SIGTERM\n    deploy:\n      replicas: 2\n";
        assert!(stacks(&load_text(text, "ok.yml").unwrap(), "demo").is_ok());
    }

    #[test]
    fn the_same_file_gives_the_same_digest() {
        let text = "services:\n  web:\n    image: web:1\n    environment: {A: a, B: b, C: c}\n    deploy:\n      labels: {x: '1', y: '2', z: '3'}\n";
        let digests: Vec<String> = (0..8)
            .map(|_| {
                let stack = &stacks(&load_text(text, "s.yml").unwrap(), "demo").unwrap()[0];
                digest(&service_spec(&stack.services[0], "demo", &BTreeMap::new()))
            })
            .collect();
        assert!(digests.iter().all(|d| d == &digests[0]), "{digests:?}");
    }
}
