//! What users change on workloads and Services: scale, set an image, pause and resume, roll
//! back (`kubectl rollout undo`), switch a selector, merge-patch. Each change bumps the
//! object's generation and runs the controllers before returning.

use super::deployment::Deployment;
use super::ids::content_hash;
use super::{Sim, TARGET, key};
use rollplay_core::backend::{ImageChange, RollbackOutcome, RollbackTo};
use rollplay_core::error::{Error, Result};
use rollplay_core::kind::Kind;
use rollplay_k8s::json::{str_at, string_map};
use rollplay_k8s::rollout::{RevisionCandidate, UndoPlan, plan_undo};
use rollplay_k8s::{DeploymentSpec, annotations};
use serde_json::Value;
use std::collections::BTreeMap;

impl Sim {
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
        if let Err(why) = rollplay_core::image_ref::parse(image) {
            return Err(Error::bad_input(
                format!("set_image deployment/{name}"),
                why,
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
                        rollplay_core::suggest::hint(c, names.iter().copied())
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

    /// `kubectl rollout undo [--to-revision=N]` (K8S-REV-6/7).
    pub fn rollback(&mut self, ns: &str, name: &str, to: RollbackTo) -> Result<RollbackOutcome> {
        let to_revision = match to {
            RollbackTo::Previous => 0,
            RollbackTo::Revision(n) => n,
        };
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
                to_revision: Some(requested),
                revision_now: d.revision(),
                images: rollplay_k8s::PodTemplate::from_value(&d.spec.template).images(),
            }),
            UndoPlan::Patch {
                revision,
                template,
                annotations,
            } => {
                let images = rollplay_k8s::PodTemplate::from_value(&template).images();
                self.change_deployment(ns, name, |d| {
                    d.spec.template = template;
                    d.meta.annotations = annotations;
                })?;
                Ok(RollbackOutcome {
                    message: format!("deployment.apps/{name} rolled back"),
                    skipped: false,
                    to_revision: Some(revision),
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
        svc.spec["selector"] = rollplay_k8s::json::string_map_to_value(&selector);
        svc.selector = Some(selector);
        svc.meta.resource_version = rv;
        self.settle();
        Ok(previous)
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
        let replicas_given = patch.pointer("/spec/replicas").is_some();
        self.replace_deployment(ns, name, object, replicas_given)
    }

    /// Replaces a Deployment's spec, labels and annotations with those of `object` (a PUT,
    /// or the result of a patch); validated like a manifest, the selector immutable. Returns
    /// whether the spec changed.
    pub fn replace_deployment(
        &mut self,
        ns: &str,
        name: &str,
        object: Value,
        replicas_given: bool,
    ) -> Result<bool> {
        let d = self
            .deployments
            .get(&key(ns, name))
            .ok_or_else(|| self.not_found(Kind::Deployment, ns, name))?;
        let manifests =
            rollplay_core::manifest::load_value(object, &format!("patch of deployment/{name}"))?;
        rollplay_k8s::validate_all(&manifests)?;
        let mut spec =
            DeploymentSpec::from_value(manifests[0].object.get("spec").unwrap_or(&Value::Null));
        spec.replicas_given = d.spec.replicas_given || replicas_given;
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
            let rv = self.ids.resource_version();
            let d = self.deployments.get_mut(&key(ns, name)).expect("exists");
            d.meta.labels = labels;
            d.meta.annotations = annotations;
            d.meta.resource_version = rv;
        }
        Ok(spec_changed)
    }
}
