//! What users do to the simulated cluster: apply, scale, set an image, pause and resume, roll
//! back, switch a selector, delete. Each change runs the controllers before returning.

use super::deployment::Deployment;
use super::ids::content_hash;
use super::meta::Meta;
use super::service::Service;
use super::store::{Applied, Stored};
use super::{Sim, key};
use crate::error::{Error, Result};
use crate::k8s::json::{str_at, string_map};
use crate::k8s::{DeploymentSpec, annotations};
use crate::kind::Kind;
use crate::manifest::{Manifest, Seg};
use crate::rollout::{RevisionCandidate, UndoPlan, plan_undo};
use serde_json::{Value, json};
use std::collections::BTreeMap;

pub const TARGET: &str = "sim";

/// The outcome of `set_image`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageChange {
    pub container: String,
    pub from: String,
    pub to: String,
    pub changed: bool,
}

/// The outcome of a rollback (`kubectl rollout undo`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RollbackOutcome {
    /// kubectl's line: `deployment.apps/web rolled back` or `... skipped rollback (...)`.
    pub message: String,
    pub skipped: bool,
    /// The revision whose template was restored (0 when skipped without a number).
    pub to_revision: i64,
    /// The Deployment's revision afterwards (the restored template gets a new number, K8S-REV-7).
    pub revision_now: Option<i64>,
    pub images: Vec<String>,
}

impl Sim {
    /// Records an Event about an object; whether it is a Warning and which component reports
    /// it follow from the reason, as on a cluster.
    pub(super) fn event(
        &mut self,
        kind: Kind,
        ns: &str,
        name: &str,
        reason: &'static str,
        message: String,
    ) {
        let warning = matches!(
            reason,
            "SelectingAll"
                | "Unhealthy"
                | "BackOff"
                | "FailedCreate"
                | "FailedComputeMetricsReplicas"
                | "FailedGetScale"
                | "FailedRescale"
        );
        let source = match (kind, reason) {
            (_, "Scheduled") => "default-scheduler",
            (Kind::HorizontalPodAutoscaler, _) => "horizontal-pod-autoscaler",
            (Kind::Pod, _) => "kubelet",
            (Kind::ReplicaSet, _) => "replicaset-controller",
            _ => "deployment-controller",
        };
        self.events
            .record(self.now, kind, ns, name, warning, reason, message, source);
    }

    /// Records an Event whose type and reporting component the caller knows.
    pub(super) fn event_from(
        &mut self,
        source: &'static str,
        warning: bool,
        kind: Kind,
        (ns, name): (&str, &str),
        reason: &'static str,
        message: String,
    ) {
        self.events
            .record(self.now, kind, ns, name, warning, reason, message, source);
    }

    pub(super) fn create_namespace(&mut self, name: &str) {
        let meta = Meta {
            name: name.into(),
            uid: self.ids.uid(),
            created: self.now,
            resource_version: self.ids.resource_version(),
            labels: BTreeMap::from([("kubernetes.io/metadata.name".to_string(), name.to_string())]),
            ..Meta::default()
        };
        self.store.objects.insert(
            (Kind::Namespace, String::new(), name.into()),
            Stored {
                meta,
                body: json!({"spec": {"finalizers": ["kubernetes"]}}),
            },
        );
    }

    pub fn namespace_exists(&self, name: &str) -> bool {
        self.store.get(Kind::Namespace, "", name).is_some()
    }

    /// Applies a validated batch: checks it against the cluster first (namespaces, immutable
    /// fields) so that a refused object leaves everything unchanged, then applies in install order.
    pub fn apply(
        &mut self,
        manifests: &[Manifest],
        default_namespace: &str,
    ) -> Result<Vec<Applied>> {
        let mut ordered: Vec<&Manifest> = manifests.iter().collect();
        ordered.sort_by_key(|m| m.kind().install_rank());
        let creating: Vec<&str> = ordered
            .iter()
            .filter(|m| m.kind() == Kind::Namespace)
            .map(|m| m.name())
            .collect();
        for m in &ordered {
            let kind = m.kind();
            if !kind.namespaced() {
                continue;
            }
            let ns = m.namespace().unwrap_or(default_namespace);
            if !self.namespace_exists(ns) && !creating.contains(&ns) {
                return Err(m.error_at(
                    &[Seg::Key("metadata"), Seg::Key("namespace")],
                    format!("namespaces \"{ns}\" not found on {TARGET}: create it first or add a Namespace manifest to this batch"),
                ));
            }
            if kind == Kind::Service
                && let Some(svc) = self.services.get(&key(ns, m.name()))
                && let Some(wanted) = m.object.pointer("/spec/clusterIP").and_then(Value::as_str)
                && let Some(current) = svc.spec.get("clusterIP").and_then(Value::as_str)
                && wanted != current
            {
                return Err(m.error_at(
                    &[Seg::Key("spec"), Seg::Key("clusterIP")],
                    format!(
                        "The Service \"{}\" is invalid: spec.clusterIPs[0]: Invalid value: []string{{\"{wanted}\"}}: may not change once set",
                        m.name()
                    ),
                ));
            }
            if kind == Kind::HorizontalPodAutoscaler
                && let Err(e) = crate::hpa::HpaSpec::from_value(&m.object)
            {
                return Err(m.error_at(&[Seg::Key("spec")], e.to_string()));
            }
            if kind == Kind::PodDisruptionBudget
                && let Err(e) = crate::pdb::PdbSpec::from_value(&m.object)
            {
                return Err(m.error_at(&[Seg::Key("spec")], e.to_string()));
            }
            if kind == Kind::Deployment
                && let Some(d) = self.deployments.get(&key(ns, m.name()))
            {
                let spec = DeploymentSpec::from_value(m.object.get("spec").unwrap_or(&Value::Null));
                if spec.selector != d.spec.selector {
                    return Err(m.error_at(
                        &[Seg::Key("spec"), Seg::Key("selector")],
                        format!(
                            "The Deployment \"{}\" is invalid: spec.selector: Invalid value: {}: field is immutable",
                            m.name(),
                            spec.selector.to_value()
                        ),
                    ));
                }
            }
        }
        let mut applied = Vec::new();
        for m in ordered {
            let kind = m.kind();
            let ns = if kind.namespaced() {
                m.namespace().unwrap_or(default_namespace).to_string()
            } else {
                String::new()
            };
            let outcome = match kind {
                Kind::Deployment => self.apply_deployment(&ns, m),
                Kind::Service => self.apply_service(&ns, m),
                Kind::HorizontalPodAutoscaler => {
                    let outcome = self.apply_stored(kind, &ns, m);
                    if let Ok(spec) = crate::hpa::HpaSpec::from_value(&m.object) {
                        self.autoscaler_applied(&ns, m.name(), spec);
                    }
                    outcome
                }
                Kind::PodDisruptionBudget => {
                    let outcome = self.apply_stored(kind, &ns, m);
                    self.budget_applied(&ns, m.name());
                    outcome
                }
                _ => self.apply_stored(kind, &ns, m),
            };
            applied.push(Applied {
                kind,
                namespace: ns,
                name: m.name().to_string(),
                outcome,
            });
        }
        self.settle();
        self.arm_traffic();
        Ok(applied)
    }

    fn meta_from(&mut self, ns: &str, m: &Manifest) -> Meta {
        Meta {
            name: m.name().to_string(),
            namespace: ns.to_string(),
            uid: self.ids.uid(),
            labels: string_map(m.object.pointer("/metadata/labels")),
            annotations: string_map(m.object.pointer("/metadata/annotations")),
            generation: 1,
            created: self.now,
            resource_version: self.ids.resource_version(),
            deleting: None,
        }
    }

    fn apply_deployment(&mut self, ns: &str, m: &Manifest) -> &'static str {
        let k = key(ns, m.name());
        let mut spec = DeploymentSpec::from_value(m.object.get("spec").unwrap_or(&Value::Null));
        let template_hash = content_hash(&spec.template);
        let labels = string_map(m.object.pointer("/metadata/labels"));
        let mut user_annotations = string_map(m.object.pointer("/metadata/annotations"));
        let rv = self.ids.resource_version();
        if let Some(d) = self.deployments.get_mut(&k) {
            if !spec.replicas_given {
                // Server-side apply leaves fields the manifest does not set (e.g. scaled by HPA).
                spec.replicas = d.spec.replicas;
            }
            if m.object.pointer("/spec/paused").is_none() {
                // Likewise a pause made with `pause()`: re-applying does not resume.
                spec.paused = d.spec.paused;
            }
            spec.replicas_given = d.spec.replicas_given;
            if let Some(r) = d.meta.annotations.get(annotations::REVISION) {
                user_annotations.insert(annotations::REVISION.into(), r.clone());
            }
            let spec_changed = spec != d.spec;
            let meta_changed = labels != d.meta.labels || user_annotations != d.meta.annotations;
            if !spec_changed && !meta_changed {
                return "unchanged";
            }
            if spec_changed {
                d.meta.generation += 1;
            }
            d.spec = spec;
            d.template_hash = template_hash;
            d.meta.labels = labels;
            d.meta.annotations = user_annotations;
            d.meta.resource_version = rv;
            self.touch_deployment(&k);
            return "configured";
        }
        let meta = self.meta_from(ns, m);
        let d = Deployment {
            meta,
            spec,
            template_hash,
            status: Default::default(),
            recheck_at: None,
        };
        self.deployments.insert(k.clone(), d);
        self.touch_deployment(&k);
        "created"
    }

    fn apply_service(&mut self, ns: &str, m: &Manifest) -> &'static str {
        let k = key(ns, m.name());
        let mut spec = m.object.get("spec").cloned().unwrap_or(json!({}));
        if spec.get("type").is_none() {
            spec["type"] = Value::from("ClusterIP");
        }
        let selector = spec
            .get("selector")
            .filter(|s| s.as_object().is_some_and(|o| !o.is_empty()))
            .map(|s| string_map(Some(s)));
        let publish_not_ready = spec
            .get("publishNotReadyAddresses")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let labels = string_map(m.object.pointer("/metadata/labels"));
        let annotations = string_map(m.object.pointer("/metadata/annotations"));
        if let Some(svc) = self.services.get_mut(&k) {
            if let Some(ip) = svc.spec.get("clusterIP").cloned() {
                spec["clusterIP"] = ip.clone();
                spec["clusterIPs"] = json!([ip]);
            }
            if svc.spec == spec && svc.meta.labels == labels && svc.meta.annotations == annotations
            {
                return "unchanged";
            }
            svc.spec = spec;
            svc.selector = selector;
            svc.publish_not_ready = publish_not_ready;
            svc.meta.labels = labels;
            svc.meta.annotations = annotations;
            svc.meta.resource_version = self.ids.resource_version();
            return "configured";
        }
        if spec.get("clusterIP").is_none() && spec["type"] != "ExternalName" {
            let ip = self.ids.cluster_ip();
            spec["clusterIP"] = Value::from(ip.clone());
            spec["clusterIPs"] = json!([ip]);
        }
        let mut meta = self.meta_from(ns, m);
        meta.generation = 0;
        self.services.insert(
            k,
            Service {
                meta,
                spec,
                selector,
                publish_not_ready,
            },
        );
        "created"
    }

    fn apply_stored(&mut self, kind: Kind, ns: &str, m: &Manifest) -> &'static str {
        let mut body = (*m.object).clone();
        if let Some(o) = body.as_object_mut() {
            o.remove("metadata");
            o.remove("apiVersion");
            o.remove("kind");
            o.remove("status");
        }
        let id = (kind, ns.to_string(), m.name().to_string());
        let labels = string_map(m.object.pointer("/metadata/labels"));
        let annotations = string_map(m.object.pointer("/metadata/annotations"));
        let rv = self.ids.resource_version();
        if let Some(s) = self.store.objects.get_mut(&id) {
            if s.body == body && s.meta.labels == labels && s.meta.annotations == annotations {
                return "unchanged";
            }
            if s.body.get("spec") != body.get("spec") {
                s.meta.generation += 1;
            }
            s.body = body;
            s.meta.labels = labels;
            s.meta.annotations = annotations;
            s.meta.resource_version = rv;
            return "configured";
        }
        let mut meta = self.meta_from(ns, m);
        if kind == Kind::Namespace {
            meta.labels
                .insert("kubernetes.io/metadata.name".into(), meta.name.clone());
        }
        if body.get("spec").is_none() || kind == Kind::Namespace {
            meta.generation = 0;
        }
        self.store.objects.insert(id, Stored { meta, body });
        "created"
    }

    pub(crate) fn not_found(&self, kind: Kind, ns: &str, name: &str) -> Error {
        let elsewhere: Vec<String> = match kind {
            Kind::Deployment => self
                .deployments
                .keys()
                .filter(|(n, d)| d == name && n != ns)
                .map(|(n, _)| n.clone())
                .collect(),
            Kind::Service => self
                .services
                .keys()
                .filter(|(n, s)| s == name && n != ns)
                .map(|(n, _)| n.clone())
                .collect(),
            _ => Vec::new(),
        };
        let hint = if let Some(other) = elsewhere.first() {
            format!(
                "; it exists in namespace \"{other}\": pass -n {other}, or use the object that apply() returned"
            )
        } else {
            let names: Vec<String> = match kind {
                Kind::Deployment => self
                    .deployments
                    .keys()
                    .filter(|(n, _)| n == ns)
                    .map(|(_, d)| d.clone())
                    .collect(),
                Kind::Service => self
                    .services
                    .keys()
                    .filter(|(n, _)| n == ns)
                    .map(|(_, d)| d.clone())
                    .collect(),
                _ => Vec::new(),
            };
            match crate::suggest::did_you_mean(name, names.iter().map(String::as_str)) {
                Some(s) => format!(" (did you mean \"{s}\"?)"),
                None => "; apply its manifest first".into(),
            }
        };
        Error::NotFound {
            kind: kind.singular(),
            name: name.into(),
            namespace: ns.into(),
            target: TARGET.into(),
            hint,
        }
    }

    fn deployment_mut(&mut self, ns: &str, name: &str) -> Result<&mut Deployment> {
        if !self.deployments.contains_key(&key(ns, name)) {
            return Err(self.not_found(Kind::Deployment, ns, name));
        }
        Ok(self.deployments.get_mut(&key(ns, name)).expect("checked"))
    }

    /// Applies a change to a Deployment's spec, bumping its generation, then settles.
    fn change_deployment(
        &mut self,
        ns: &str,
        name: &str,
        change: impl FnOnce(&mut Deployment),
    ) -> Result<()> {
        let rv = self.ids.resource_version();
        let d = self.deployment_mut(ns, name)?;
        change(d);
        d.template_hash = content_hash(&d.spec.template);
        d.meta.generation += 1;
        d.meta.resource_version = rv;
        self.touch_deployment(&key(ns, name));
        self.settle();
        Ok(())
    }

    /// The scale subresource written by a controller (the HPA): `spec.replicas` only.
    pub(super) fn change_scale(&mut self, ns: &str, name: &str, replicas: i32) -> Result<()> {
        self.change_deployment(ns, name, |d| d.spec.replicas = replicas)
    }

    /// `kubectl scale`.
    pub fn scale(&mut self, ns: &str, name: &str, replicas: i32) -> Result<(i32, i32)> {
        if replicas < 0 {
            return Err(Error::bad_input(
                format!("scale deployment/{name}"),
                format!("replicas must be 0 or more, got {replicas}"),
            ));
        }
        let from = self.deployment_mut(ns, name)?.spec.replicas;
        if from != replicas {
            self.change_deployment(ns, name, |d| {
                d.spec.replicas = replicas;
                d.spec.replicas_given = true;
            })?;
        }
        Ok((from, replicas))
    }

    /// `kubectl set image`: one container by name, or the only container.
    pub fn set_image(
        &mut self,
        ns: &str,
        name: &str,
        container: Option<&str>,
        image: &str,
    ) -> Result<ImageChange> {
        if image.trim().is_empty() || image.contains(char::is_whitespace) {
            return Err(Error::bad_input(
                format!("set_image deployment/{name}"),
                format!("\"{image}\" is not an image reference"),
            ));
        }
        let d = self.deployment_mut(ns, name)?;
        let containers = d
            .spec
            .template
            .pointer("/spec/containers")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let names: Vec<&str> = containers
            .iter()
            .filter_map(|c| str_at(c, &["name"]))
            .collect();
        let index = match container {
            Some(c) => names
                .iter()
                .position(|n| *n == c)
                .ok_or_else(|| Error::Refused {
                    object: format!("deployment/{name}"),
                    target: TARGET.into(),
                    message: format!(
                        "unable to find container named \"{c}\" (containers: {}){}",
                        names.join(", "),
                        crate::suggest::hint(c, names.iter().copied())
                    ),
                })?,
            None if names.len() == 1 => 0,
            None => {
                return Err(Error::bad_input(
                    format!("set_image deployment/{name}"),
                    format!(
                        "the pods have {} containers ({}): name the one to change, e.g. set_image(\"{name}\", \"{}\", \"{image}\")",
                        names.len(),
                        names.join(", "),
                        names.first().copied().unwrap_or("app")
                    ),
                ));
            }
        };
        let container_name = names[index].to_string();
        let from = str_at(&containers[index], &["image"])
            .unwrap_or_default()
            .to_string();
        if from == image {
            return Ok(ImageChange {
                container: container_name,
                from,
                to: image.into(),
                changed: false,
            });
        }
        self.change_deployment(ns, name, |d| {
            d.spec.template["spec"]["containers"][index]["image"] = Value::from(image);
        })?;
        Ok(ImageChange {
            container: container_name,
            from,
            to: image.into(),
            changed: true,
        })
    }

    /// `kubectl rollout pause` / `resume`; false when it already was.
    pub fn set_paused(&mut self, ns: &str, name: &str, paused: bool) -> Result<bool> {
        if self.deployment_mut(ns, name)?.spec.paused == paused {
            return Ok(false);
        }
        self.change_deployment(ns, name, |d| d.spec.paused = paused)?;
        Ok(true)
    }

    /// `kubectl rollout undo [--to-revision=N]` (K8S-REV-6/7); `to_revision` 0 = previous.
    pub fn rollback(&mut self, ns: &str, name: &str, to_revision: i64) -> Result<RollbackOutcome> {
        let dk = key(ns, name);
        let d = self
            .deployments
            .get(&dk)
            .ok_or_else(|| self.not_found(Kind::Deployment, ns, name))?;
        let owned: Vec<&super::replicaset::ReplicaSet> = self
            .replicasets
            .values()
            .filter(|rs| rs.meta.namespace == ns && rs.owner_uid == d.meta.uid)
            .collect();
        let candidates: Vec<RevisionCandidate> = owned
            .iter()
            .map(|rs| RevisionCandidate {
                name: &rs.meta.name,
                revision: rs
                    .meta
                    .annotations
                    .get(annotations::REVISION)
                    .and_then(|r| r.parse().ok()),
                template: &rs.template,
                annotations: &rs.meta.annotations,
            })
            .collect();
        let plan = plan_undo(
            name,
            d.spec.paused,
            &d.spec.template,
            &d.meta.annotations,
            &candidates,
            to_revision,
        )
        .map_err(|message| Error::Refused {
            object: format!("deployment/{name}"),
            target: TARGET.into(),
            message,
        })?;
        match plan {
            UndoPlan::Skip { requested } => Ok(RollbackOutcome {
                message: format!(
                    "deployment.apps/{name} skipped rollback (current template already matches revision {requested})"
                ),
                skipped: true,
                to_revision: requested,
                revision_now: d.revision(),
                images: crate::k8s::PodTemplate::from_value(&d.spec.template).images(),
            }),
            UndoPlan::Patch {
                revision,
                template,
                annotations,
            } => {
                let images = crate::k8s::PodTemplate::from_value(&template).images();
                self.change_deployment(ns, name, |d| {
                    d.spec.template = template;
                    d.meta.annotations = annotations;
                })?;
                Ok(RollbackOutcome {
                    message: format!("deployment.apps/{name} rolled back"),
                    skipped: false,
                    to_revision: revision,
                    revision_now: self.deployments[&dk].revision(),
                    images,
                })
            }
        }
    }

    /// Replaces a Service's selector (one atomic write, SVC-4); returns the previous one.
    pub fn switch_selector(
        &mut self,
        ns: &str,
        service: &str,
        selector: BTreeMap<String, String>,
    ) -> Result<BTreeMap<String, String>> {
        if selector.is_empty() {
            return Err(Error::bad_input(
                format!("switch_selector service/{service}"),
                "the new selector is empty; a Service without a selector would lose all its endpoints",
            ));
        }
        let rv = self.ids.resource_version();
        let svc = match self.services.get_mut(&key(ns, service)) {
            Some(s) => s,
            None => return Err(self.not_found(Kind::Service, ns, service)),
        };
        let previous = svc.selector.clone().unwrap_or_default();
        svc.spec["selector"] = crate::k8s::json::string_map_to_value(&selector);
        svc.selector = Some(selector);
        svc.meta.resource_version = rv;
        self.settle();
        Ok(previous)
    }

    /// Deletes an object (Deployments cascade to their ReplicaSets and pods); false if absent.
    pub fn delete(&mut self, kind: Kind, ns: &str, name: &str) -> Result<bool> {
        self.budgets_stale = true;
        let k = key(ns, name);
        let deleted = match kind {
            Kind::Deployment => match self.deployments.remove(&k) {
                Some(d) => {
                    let owned: Vec<String> = self
                        .replicasets
                        .values()
                        .filter(|rs| rs.meta.namespace == ns && rs.owner_uid == d.meta.uid)
                        .map(|rs| rs.meta.name.clone())
                        .collect();
                    for rs in owned {
                        self.delete_replicaset(ns, &rs);
                    }
                    true
                }
                None => false,
            },
            Kind::ReplicaSet => self.delete_replicaset(ns, name),
            Kind::Pod => {
                let Some(id) = self.pod_names.get(&k).copied() else {
                    return Ok(false);
                };
                self.terminate_pod(id);
                if let Some(owner) = self.pods.get(&id).map(|p| p.owner.clone()) {
                    self.dirty_replicasets.insert(key(ns, &owner));
                }
                true
            }
            Kind::Service => self.services.remove(&k).is_some(),
            Kind::Namespace => {
                if matches!(
                    name,
                    "default" | "kube-system" | "kube-public" | "kube-node-lease"
                ) {
                    return Err(Error::Refused {
                        object: format!("namespace/{name}"),
                        target: TARGET.into(),
                        message: format!(
                            "namespaces \"{name}\" is forbidden: this namespace may not be deleted"
                        ),
                    });
                }
                let existed = self
                    .store
                    .objects
                    .remove(&(Kind::Namespace, String::new(), name.to_string()))
                    .is_some();
                let deployments: Vec<String> = self
                    .deployments
                    .keys()
                    .filter(|(n, _)| n == name)
                    .map(|(_, d)| d.clone())
                    .collect();
                for d in deployments {
                    self.delete(Kind::Deployment, name, &d)?;
                }
                self.services.retain(|(n, _), _| n != name);
                self.store.objects.retain(|(_, n, _), _| n != name);
                self.autoscalers.retain(|(n, _), _| n != name);
                self.budgets.retain(|(n, _), _| n != name);
                existed
            }
            other => {
                if other == Kind::HorizontalPodAutoscaler {
                    self.autoscaler_deleted(ns, name);
                }
                if other == Kind::PodDisruptionBudget {
                    self.budget_deleted(ns, name);
                }
                self.store
                    .objects
                    .remove(&(other, ns.to_string(), name.to_string()))
                    .is_some()
            }
        };
        self.settle();
        Ok(deleted)
    }

    fn delete_replicaset(&mut self, ns: &str, name: &str) -> bool {
        let Some(rs) = self.replicasets.remove(&key(ns, name)) else {
            return false;
        };
        for pod in &rs.pods {
            self.terminate_pod(*pod);
        }
        if let Some(owner) = rs.owner {
            self.touch_deployment(&key(ns, &owner));
        }
        true
    }

    /// Sets an image profile (merging over what the image has now).
    pub fn set_profile(&mut self, image: &str, overrides: &Value) -> Result<super::ImageProfile> {
        self.profiles
            .set(image, overrides)
            .map_err(|e| Error::bad_input(format!("sim_image(\"{image}\")"), e))
    }
}

/// RFC 7386 JSON merge patch: objects merge, `null` removes, everything else replaces.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    match patch {
        Value::Object(p) => {
            if !target.is_object() {
                *target = Value::Object(Default::default());
            }
            let t = target.as_object_mut().expect("object");
            for (k, v) in p {
                if v.is_null() {
                    t.remove(k);
                } else {
                    merge_patch(t.entry(k.clone()).or_insert(Value::Null), v);
                }
            }
        }
        other => *target = other.clone(),
    }
}

impl Sim {
    /// Merge-patches a Deployment (`kubectl patch --type merge`); the result is validated like a
    /// manifest and the selector stays immutable. Returns whether the spec changed.
    pub fn patch_deployment(&mut self, ns: &str, name: &str, patch: &Value) -> Result<bool> {
        let d = self
            .deployments
            .get(&key(ns, name))
            .ok_or_else(|| self.not_found(Kind::Deployment, ns, name))?;
        let mut object = d.to_value();
        if let Some(o) = object.as_object_mut() {
            o.remove("status");
        }
        merge_patch(&mut object, patch);
        let manifests =
            crate::manifest::load_value(object, &format!("patch of deployment/{name}"))?;
        crate::manifest::validate_all(&manifests)?;
        let mut spec =
            DeploymentSpec::from_value(manifests[0].object.get("spec").unwrap_or(&Value::Null));
        spec.replicas_given = d.spec.replicas_given || patch.pointer("/spec/replicas").is_some();
        if spec.selector != d.spec.selector {
            return Err(Error::Refused {
                object: format!("deployment/{name}"),
                target: TARGET.into(),
                message: format!(
                    "The Deployment \"{name}\" is invalid: spec.selector: Invalid value: {}: field is immutable",
                    spec.selector.to_value()
                ),
            });
        }
        let labels = string_map(manifests[0].object.pointer("/metadata/labels"));
        let annotations = string_map(manifests[0].object.pointer("/metadata/annotations"));
        if spec == d.spec && labels == d.meta.labels && annotations == d.meta.annotations {
            return Ok(false);
        }
        let spec_changed = spec != d.spec;
        if spec_changed {
            self.change_deployment(ns, name, |d| {
                d.spec = spec;
                d.meta.labels = labels;
                d.meta.annotations = annotations;
            })?;
        } else {
            let d = self.deployments.get_mut(&key(ns, name)).expect("exists");
            d.meta.labels = labels;
            d.meta.annotations = annotations;
        }
        Ok(spec_changed)
    }
}
