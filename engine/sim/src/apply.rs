//! Applying manifests to the simulated cluster as server-side apply does: the batch checked
//! against the cluster first (namespaces, CRDs of custom kinds, immutable fields) so that a
//! refused object changes nothing, then each object created, configured or left unchanged in
//! install order; kinds without a controller here are stored as applied.

use super::deployment::Deployment;
use super::ids::content_hash;
use super::meta::Meta;
use super::service::Service;
use super::store::Stored;
use super::{Sim, TARGET, key};
use rollplay_core::backend::{Applied, ApplyOutcome, ApplyResult};
use rollplay_core::error::{Error, Result};
use rollplay_core::kind::Kind;
use rollplay_core::manifest::{Manifest, Seg, install_order};
use rollplay_k8s::DeploymentSpec;
use rollplay_k8s::annotations;
use rollplay_k8s::json::string_map;
use serde_json::{Value, json};
use std::collections::BTreeMap;

impl Sim {
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

    /// Checks a batch as the API server would before anything of it is applied: every
    /// manifest valid (rollplay-k8s), then against the cluster as it is (namespaces, CRDs of
    /// custom kinds, immutable fields, autoscaler and budget specs), counting the namespaces
    /// and CRDs the batch itself creates.
    pub fn validate_batch(&self, manifests: &[Manifest], default_namespace: &str) -> Result<()> {
        rollplay_k8s::validate_all(manifests)?;
        let creating = Creating::of(manifests);
        for m in install_order(manifests) {
            self.check_object(m, default_namespace, &creating)?;
        }
        Ok(())
    }

    /// Applies a batch in install order, each object checked against the cluster just before
    /// it is applied; a refusal stops the batch, and the objects applied before it stay (as
    /// with `kubectl apply`). Call [`Sim::validate_batch`] first so that nothing is refused.
    pub fn apply_batch(&mut self, manifests: &[Manifest], default_namespace: &str) -> ApplyOutcome {
        let mut outcome = ApplyOutcome::default();
        for m in install_order(manifests) {
            if let Err(e) = self.check_object(m, default_namespace, &Creating::default()) {
                outcome.refused = Some(e);
                break;
            }
            outcome.applied.push(self.apply_one(m, default_namespace));
        }
        self.settle();
        self.arm_traffic();
        outcome
    }

    /// Validates, then applies: a refused batch changes nothing.
    pub fn apply(
        &mut self,
        manifests: &[Manifest],
        default_namespace: &str,
    ) -> Result<Vec<Applied>> {
        self.validate_batch(manifests, default_namespace)?;
        let outcome = self.apply_batch(manifests, default_namespace);
        match outcome.refused {
            Some(e) => Err(e),
            None => Ok(outcome.applied),
        }
    }

    fn apply_one(&mut self, m: &Manifest, default_namespace: &str) -> Applied {
        let kind = m.kind();
        let ns = m.namespace_or(default_namespace).to_string();
        let result = match kind {
            Kind::Deployment => self.apply_deployment(&ns, m),
            Kind::Service => self.apply_service(&ns, m),
            Kind::HorizontalPodAutoscaler => {
                let result = self.apply_stored(kind, &ns, m);
                if let Ok(spec) = crate::hpa::HpaSpec::from_value(&m.object) {
                    self.autoscaler_applied(&ns, m.name(), spec);
                }
                result
            }
            Kind::PodDisruptionBudget => {
                let result = self.apply_stored(kind, &ns, m);
                self.budget_applied(&ns, m.name());
                result
            }
            _ => self.apply_stored(kind, &ns, m),
        };
        Applied {
            kind,
            namespace: ns,
            name: m.name().to_string(),
            result,
        }
    }

    /// One object against the cluster as it is (plus what the batch creates).
    fn check_object(
        &self,
        m: &Manifest,
        default_namespace: &str,
        creating: &Creating,
    ) -> Result<()> {
        let kind = m.kind();
        if kind.is_custom() && !self.serves_custom(kind) && !creating.serves(kind) {
            return Err(Error::Refused {
                object: format!("{}/{}", kind.qualified().to_ascii_lowercase(), m.name()),
                target: TARGET.into(),
                message: format!(
                    "resource mapping not found (from {}): no matches for kind \"{}\" in version \"{}\": the simulator does not have the CustomResourceDefinition {}.{}; apply the CRD first (in this batch or before), as a cluster without it would require",
                    m.location_of(&[Seg::Key("kind")]),
                    kind.name(),
                    kind.api_version(),
                    kind.plural(),
                    kind.group()
                ),
            });
        }
        if !kind.namespaced() {
            return Ok(());
        }
        let ns = m.namespace().unwrap_or(default_namespace);
        if !self.namespace_exists(ns) && !creating.namespaces.contains(&ns) {
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
        Ok(())
    }

    /// Whether a stored CustomResourceDefinition serves this custom kind.
    fn serves_custom(&self, kind: Kind) -> bool {
        self.store
            .list(Kind::CustomResourceDefinition, "")
            .any(|crd| crd_serves(&crd.body, kind))
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

    fn apply_deployment(&mut self, ns: &str, m: &Manifest) -> ApplyResult {
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
                return ApplyResult::Unchanged;
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
            return ApplyResult::Configured;
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
        ApplyResult::Created
    }

    fn apply_service(&mut self, ns: &str, m: &Manifest) -> ApplyResult {
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
                return ApplyResult::Unchanged;
            }
            svc.spec = spec;
            svc.selector = selector;
            svc.publish_not_ready = publish_not_ready;
            svc.meta.labels = labels;
            svc.meta.annotations = annotations;
            svc.meta.resource_version = self.ids.resource_version();
            return ApplyResult::Configured;
        }
        if spec.get("clusterIP").is_none() && spec["type"] != "ExternalName" {
            let ip = self.ids.cluster_ip();
            spec["clusterIP"] = Value::from(ip.clone());
            spec["clusterIPs"] = json!([ip]);
        } else if let Some(ip) = spec.get("clusterIP").cloned() {
            // As the API server defaults it, a headless (`None`) or chosen address included,
            // so that applying the same manifest again is `unchanged`.
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
        ApplyResult::Created
    }

    fn apply_stored(&mut self, kind: Kind, ns: &str, m: &Manifest) -> ApplyResult {
        let mut body = (*m.object).clone();
        if kind == Kind::Secret {
            body = rollplay_k8s::secret::as_stored(body);
        }
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
                return ApplyResult::Unchanged;
            }
            if s.body.get("spec") != body.get("spec") {
                s.meta.generation += 1;
            }
            s.body = body;
            s.meta.labels = labels;
            s.meta.annotations = annotations;
            s.meta.resource_version = rv;
            return ApplyResult::Configured;
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
        ApplyResult::Created
    }
}

/// What a batch creates that later objects of it may rely on.
#[derive(Default)]
struct Creating<'a> {
    namespaces: Vec<&'a str>,
    crds: Vec<&'a Value>,
}

impl<'a> Creating<'a> {
    fn of(manifests: &'a [Manifest]) -> Creating<'a> {
        let mut creating = Creating::default();
        for m in manifests {
            match m.kind() {
                Kind::Namespace => creating.namespaces.push(m.name()),
                Kind::CustomResourceDefinition => creating.crds.push(&m.object),
                _ => {}
            }
        }
        creating
    }

    fn serves(&self, kind: Kind) -> bool {
        self.crds.iter().any(|crd| crd_serves(crd, kind))
    }
}

/// Whether a CRD (as applied, or its stored body) defines `kind` in a served version.
fn crd_serves(crd: &Value, kind: Kind) -> bool {
    let spec = &crd["spec"];
    spec["group"].as_str() == Some(kind.group())
        && spec["names"]["kind"].as_str() == Some(kind.name())
        && spec["versions"].as_array().is_some_and(|versions| {
            let version = kind.api_version().rsplit('/').next().unwrap_or_default();
            versions.iter().any(|v| {
                v["name"].as_str() == Some(version) && v["served"].as_bool() != Some(false)
            })
        })
}
