//! The Deployment controller as the simulator runs it: one pass per sync (K8S-RU-5 dispatch),
//! applying the decisions of `controller` to the ReplicaSets, with the controller's events,
//! annotations, revisions and status.

use super::controller::status::{self, Condition, DeploymentStatus};
use super::controller::{RsView, history, rolling, scale};
use super::ids::pod_template_hash;
use super::meta::Meta;
use super::replicaset::{ReplicaSet, RsStatus};
use super::{Key, Sim, Wake};
use rollplay_core::kind::Kind;
use rollplay_k8s::{POD_TEMPLATE_HASH, PodTemplate, annotations};
use serde_json::{Value, json};
use std::sync::Arc;

/// What one controller pass works on: the Deployment's ReplicaSets as views, taken once at the
/// start of the pass (as the real controller reads its informer cache) and updated by the
/// pass's own writes. ReplicaSet statuses do not change within a pass.
struct Pass {
    sets: Vec<RsView>,
    /// Index of the new ReplicaSet in `sets`.
    new: Option<usize>,
}

impl Pass {
    fn new_rs(&self) -> Option<&RsView> {
        self.new.map(|i| &self.sets[i])
    }

    fn old(&self) -> Vec<RsView> {
        self.sets
            .iter()
            .enumerate()
            .filter(|(i, _)| Some(*i) != self.new)
            .map(|(_, v)| v.clone())
            .collect()
    }

    fn all(&self) -> Vec<&RsView> {
        self.sets.iter().collect()
    }

    fn index(&self, name: &str) -> Option<usize> {
        self.sets.iter().position(|v| &*v.name == name)
    }
}

impl Sim {
    /// The Deployment's ReplicaSets (not being deleted), oldest first, and which is new: the
    /// oldest whose template equals the Deployment's ignoring the hash label (K8S-RU-6).
    fn take_pass(&self, dk: &Key) -> Pass {
        let Some(d) = self.deployments.get(dk) else {
            return Pass {
                sets: Vec::new(),
                new: None,
            };
        };
        let from = (dk.0.clone(), String::new());
        let mut owned: Vec<&ReplicaSet> = self
            .replicasets
            .range(from..)
            .take_while(|((ns, _), _)| *ns == dk.0)
            .map(|(_, rs)| rs)
            .filter(|rs| rs.owner_uid == d.meta.uid && rs.meta.deleting.is_none())
            .collect();
        owned.sort_by_key(|rs| (rs.meta.created, rs.sequence));
        let new = owned
            .iter()
            .position(|rs| rs.has_template(d.template_hash, &d.spec.template));
        Pass {
            sets: owned.iter().map(|rs| rs.view()).collect(),
            new,
        }
    }

    /// The name of a Deployment's new ReplicaSet, if it has one.
    pub(super) fn new_replicaset_name(&self, dk: &Key) -> Option<String> {
        self.take_pass(dk).new_rs().map(|v| v.name.to_string())
    }

    /// One sync of a Deployment (K8S-RU-5).
    pub(super) fn sync_deployment(&mut self, dk: &Key) {
        let now = self.now;
        let Some(d) = self.deployments.get(dk) else {
            return;
        };
        if d.spec.selector.is_empty() {
            let (ns, name) = dk.clone();
            self.event(
                Kind::Deployment,
                &ns,
                &name,
                "SelectingAll",
                "This deployment is selecting all pods. A non-empty selector is required.".into(),
            );
            let d = self.deployments.get_mut(dk).expect("exists");
            d.status.observed_generation = d.status.observed_generation.max(d.meta.generation);
            return;
        }
        if let Some(next) = status::paused_conditions(&d.spec, &d.status, now) {
            self.set_status(dk, next);
        }
        let d = &self.deployments[dk];
        let (paused, rolling) = (d.spec.paused, d.spec.strategy.is_rolling());
        let mut pass = self.take_pass(dk);
        if paused || self.is_scaling_event(dk, &mut pass) {
            self.sync_scaling(dk, &mut pass);
        } else if rolling {
            self.rollout_rolling(dk, &mut pass);
        } else {
            self.rollout_recreate(dk, &mut pass);
        }
        self.trace_deployment(dk);
    }

    /// Writes a new status. Like the controller, which watches its own Deployments, a written
    /// status queues another pass: that pass sees the status it wrote (e.g. complete, so old
    /// ReplicaSets are cleaned up, K8S-REV-5).
    fn set_status(&mut self, dk: &Key, next: DeploymentStatus) {
        let d = self.deployments.get_mut(dk).expect("exists");
        if d.status != next {
            d.status = next;
            d.meta.resource_version = self.ids.resource_version();
            self.dirty_deployments.insert(dk.clone());
        }
    }

    /// `getAllReplicaSetsAndSyncRevision`: brings the new ReplicaSet's revision and annotations
    /// up to date (K8S-REV-1..3), creating it when `create` (K8S-RU-6).
    fn sync_revision(&mut self, dk: &Key, pass: &mut Pass, create: bool) -> Option<usize> {
        let now = self.now;
        let next_revision = history::next_revision(
            pass.sets
                .iter()
                .enumerate()
                .filter(|(i, _)| Some(*i) != pass.new)
                .map(|(_, v)| v),
        );
        let Some(index) = pass.new else {
            return if create {
                self.create_new_replicaset(dk, pass, next_revision)
            } else {
                None
            };
        };
        let name = pass.sets[index].name.to_string();
        let d = &self.deployments[dk];
        let min_ready = d.spec.min_ready_seconds;
        let has_deadline = d.spec.progress_deadline_seconds.is_some();
        let rs = self
            .replicasets
            .get_mut(&(dk.0.clone(), name.clone()))
            .expect("exists");
        let mut changed = false;
        for (k, v) in &d.meta.annotations {
            if !annotations::SKIPPED_ON_COPY.contains(&k.as_str())
                && rs.meta.annotations.get(k) != Some(v)
            {
                rs.annotate(k, v.clone());
                changed = true;
            }
        }
        let current = rs.meta.annotations.get(annotations::REVISION).cloned();
        let current_number = match current.as_deref() {
            None | Some("") => Some(0),
            Some(text) => text.parse::<i64>().ok(),
        };
        if let Some(cur) = current_number
            && cur < next_revision
        {
            if let Some(previous) = current.as_deref().filter(|p| !p.is_empty()) {
                // Rolling back to this ReplicaSet: keep its old number (K8S-REV-1, K8S-REV-7).
                let history = rs
                    .meta
                    .annotations
                    .get(annotations::REVISION_HISTORY)
                    .map(String::as_str);
                if let Some(h) = history::append_history(history, previous) {
                    rs.annotate(annotations::REVISION_HISTORY, h);
                }
            }
            rs.annotate(annotations::REVISION, next_revision.to_string());
            pass.sets[index].revision = next_revision;
            changed = true;
        }
        if rs.min_ready_seconds != min_ready {
            rs.min_ready_seconds = min_ready;
            changed = true;
        }
        if changed {
            rs.meta.resource_version = self.ids.resource_version();
            self.trace.record(
                now,
                "revision",
                || json!({"ns": dk.0, "rs": name, "revision": rs.revision()}),
            );
        }
        let rs_revision = rs.meta.annotations.get(annotations::REVISION).cloned();
        let d = self.deployments.get_mut(dk).expect("exists");
        if let Some(r) = rs_revision
            && d.meta.annotations.get(annotations::REVISION) != Some(&r)
        {
            d.meta.annotations.insert(annotations::REVISION.into(), r);
        }
        if has_deadline && d.status.condition(status::PROGRESSING).is_none() {
            let mut next = d.status.clone();
            next.set_condition(Condition::new(
                status::PROGRESSING,
                "True",
                status::FOUND_NEW_RS,
                format!("Found new replica set \"{name}\""),
                now,
            ));
            self.set_status(dk, next);
        }
        Some(index)
    }

    fn create_new_replicaset(&mut self, dk: &Key, pass: &mut Pass, revision: i64) -> Option<usize> {
        let now = self.now;
        let d = self.deployments[dk].clone();
        let old_total: i32 = pass.sets.iter().map(|v| v.spec).sum();
        let mut collisions = d.status.collision_count.unwrap_or(0);
        let (name, hash) = loop {
            let hash = pod_template_hash(d.template_hash, collisions);
            let name = format!("{}-{hash}", d.meta.name);
            if !self.replicasets.contains_key(&(dk.0.clone(), name.clone())) {
                break (name, hash);
            }
            // K8S-REV-4: a clash with a ReplicaSet of another template bumps collisionCount.
            collisions += 1;
        };
        let replicas = if d.spec.strategy.is_rolling() {
            rolling::new_rs_new_replicas(&d.spec, old_total, 0)
        } else {
            d.spec.replicas
        };
        let mut template = d.spec.template.clone();
        rollplay_k8s::json::at_mut(&mut template, &["metadata", "labels", POD_TEMPLATE_HASH])
            .clone_from(&Value::from(hash.clone()));
        let parsed = Arc::new(PodTemplate::from_value(&template));
        let mut rs_annotations: std::collections::BTreeMap<String, String> = d
            .meta
            .annotations
            .iter()
            .filter(|(k, _)| !annotations::SKIPPED_ON_COPY.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        rs_annotations.insert(annotations::REVISION.into(), revision.to_string());
        rs_annotations.insert(
            annotations::DESIRED_REPLICAS.into(),
            d.spec.replicas.to_string(),
        );
        rs_annotations.insert(
            annotations::MAX_REPLICAS.into(),
            (d.spec.replicas + d.spec.max_surge()).to_string(),
        );
        let rs = ReplicaSet {
            meta: Meta {
                name: name.clone(),
                namespace: dk.0.clone(),
                uid: self.ids.uid(),
                labels: parsed.labels.clone(),
                annotations: rs_annotations,
                generation: 1,
                created: now,
                resource_version: self.ids.resource_version(),
                deleting: None,
            },
            owner: Some(d.meta.name.clone()),
            owner_uid: d.meta.uid,
            replicas,
            min_ready_seconds: d.spec.min_ready_seconds,
            selector: d.spec.selector.with_label(POD_TEMPLATE_HASH, &hash),
            pod_spec: Arc::new(template.get("spec").cloned().unwrap_or(Value::Null)),
            template,
            base_template: d.spec.template.clone(),
            base_hash: d.template_hash,
            parsed,
            status: RsStatus::default(),
            pods: Default::default(),
            sequence: self.ids.sequence(),
            shared_name: Arc::from(name.as_str()),
            confirmed_hash: std::cell::Cell::new(Some(d.template_hash)),
            numbers: Default::default(),
        };
        let mut rs = rs;
        rs.numbers = super::replicaset::Numbers::of(&rs.meta.annotations);
        pass.sets.push(rs.view());
        pass.new = Some(pass.sets.len() - 1);
        let rs_key = (dk.0.clone(), name.clone());
        self.replicasets.insert(rs_key.clone(), rs);
        self.dirty_replicasets.insert(rs_key);
        if replicas > 0 {
            self.event(
                Kind::Deployment,
                &dk.0,
                &dk.1,
                "ScalingReplicaSet",
                format!("Scaled up replica set {name} from 0 to {replicas}"),
            );
        }
        self.trace.record(now, "scale", || json!({"ns": dk.0, "deployment": dk.1, "rs": name, "from": 0, "to": replicas, "revision": revision}));
        let rv = self.ids.resource_version();
        let d = self.deployments.get_mut(dk).expect("exists");
        d.meta
            .annotations
            .insert(annotations::REVISION.into(), revision.to_string());
        d.meta.resource_version = rv;
        if collisions > d.status.collision_count.unwrap_or(0) {
            d.status.collision_count = Some(collisions);
        }
        if d.spec.progress_deadline_seconds.is_some() {
            let mut next = d.status.clone();
            next.set_condition(Condition::new(
                status::PROGRESSING,
                "True",
                status::NEW_RS_CREATED,
                format!("Created new replica set \"{name}\""),
                now,
            ));
            self.set_status(dk, next);
        }
        pass.new
    }

    /// Sets a ReplicaSet's size (and desired/max annotations); records the event when the size
    /// changes. `annotate_always` is `scaleReplicaSet`, otherwise `scaleReplicaSetAndRecordEvent`.
    fn scale_replicaset(
        &mut self,
        dk: &Key,
        pass: &mut Pass,
        rs_name: &str,
        to: i32,
        annotate_always: bool,
    ) -> bool {
        let now = self.now;
        let (r, surge) = {
            let d = &self.deployments[dk];
            (d.spec.replicas, d.spec.max_surge())
        };
        let Some(index) = pass.index(rs_name) else {
            return false;
        };
        let view = &mut pass.sets[index];
        let from = view.spec;
        let size_changed = from != to;
        if !size_changed && !annotate_always {
            return false;
        }
        let annotations_stale =
            view.desired_annotation != Some(r) || view.max_annotation != Some(r + surge);
        if !size_changed && !annotations_stale {
            return false;
        }
        view.spec = to;
        view.desired_annotation = Some(r);
        view.max_annotation = Some(r + surge);
        let rv = self.ids.resource_version();
        let rs = self
            .replicasets
            .get_mut(&(dk.0.clone(), rs_name.to_string()))
            .expect("in the pass");
        rs.replicas = to;
        rs.annotate(annotations::DESIRED_REPLICAS, r.to_string());
        rs.annotate(annotations::MAX_REPLICAS, (r + surge).to_string());
        rs.meta.resource_version = rv;
        if size_changed {
            rs.meta.generation += 1;
            let direction = if from < to { "up" } else { "down" };
            self.event(
                Kind::Deployment,
                &dk.0,
                &dk.1,
                "ScalingReplicaSet",
                format!("Scaled {direction} replica set {rs_name} from {from} to {to}"),
            );
            self.trace.record(
                now,
                "scale",
                || json!({"ns": dk.0, "deployment": dk.1, "rs": rs_name, "from": from, "to": to}),
            );
            self.dirty_replicasets
                .insert((dk.0.clone(), rs_name.to_string()));
            self.trace_deployment(dk);
        }
        size_changed
    }

    /// `syncRolloutStatus` of a Deployment outside a pass (conformance stepping).
    pub(super) fn sync_rollout_status_now(&mut self, dk: &Key) {
        let mut pass = self.take_pass(dk);
        self.sync_rollout_status(dk, &mut pass);
    }

    /// `syncRolloutStatus` plus the deadline re-check (`requeueStuckDeployment`).
    fn sync_rollout_status(&mut self, dk: &Key, pass: &mut Pass) {
        let now = self.now;
        let d = &self.deployments[dk];
        let next = status::sync_rollout_status(
            &d.meta.name,
            &d.spec,
            d.meta.generation,
            &d.status,
            &pass.all(),
            pass.new_rs(),
            now,
        );
        let recheck = status::recheck_at(&d.spec, d.meta.generation, &next, now);
        self.set_status(dk, next);
        let d = self.deployments.get_mut(dk).expect("exists");
        if let Some(at) = recheck
            && d.recheck_at != Some(at)
        {
            d.recheck_at = Some(at);
            self.schedule(at, Wake::Deployment(dk.clone()));
        }
    }

    /// `isScalingEvent`: an active ReplicaSet was told a different size than spec.replicas.
    fn is_scaling_event(&mut self, dk: &Key, pass: &mut Pass) -> bool {
        self.sync_revision(dk, pass, false);
        let r = self.deployments[dk].spec.replicas;
        pass.sets
            .iter()
            .filter(|v| v.spec > 0)
            .any(|v| v.desired_annotation.is_some_and(|d| d != r))
    }

    /// `sync`: proportional scaling (K8S-PS), history cleanup while paused, plain status.
    fn sync_scaling(&mut self, dk: &Key, pass: &mut Pass) {
        let now = self.now;
        self.sync_revision(dk, pass, false);
        let d = &self.deployments[dk];
        let decisions = scale::proportional(&d.spec, pass.new_rs(), &pass.old(), d.status.replicas);
        for s in decisions {
            self.scale_replicaset(dk, pass, &s.name, s.to, true);
        }
        if self.deployments[dk].spec.paused {
            self.cleanup_history(dk, pass);
        }
        let d = &self.deployments[dk];
        let next = status::calculate(
            &d.spec,
            d.meta.generation,
            &pass.all(),
            pass.new_rs(),
            &d.status,
            now,
        );
        self.set_status(dk, next);
    }

    /// `rolloutRolling`: scale the new ReplicaSet up, or the old ones down, one per pass (K8S-RU-8).
    fn rollout_rolling(&mut self, dk: &Key, pass: &mut Pass) {
        let existed = pass.new.is_some();
        self.sync_revision(dk, pass, true);
        let Some(new) = pass.new_rs().cloned() else {
            return self.sync_rollout_status(dk, pass);
        };
        if !existed && new.spec > 0 {
            // Creating the new ReplicaSet at a non-zero size is this pass's one move (K8S-RU-8).
            return self.sync_rollout_status(dk, pass);
        }
        let all_total = pass.sets.iter().map(|v| v.spec).sum::<i32>();
        let target = rolling::new_rs_target(&self.deployments[dk].spec, all_total, new.spec);
        if let Some(target) = target
            && self.scale_replicaset(dk, pass, &new.name, target, false)
        {
            return self.sync_rollout_status(dk, pass);
        }
        let active_old: Vec<RsView> = pass
            .sets
            .iter()
            .enumerate()
            .filter(|(i, o)| Some(*i) != pass.new && o.spec > 0)
            .map(|(_, o)| o.clone())
            .collect();
        let mut scaled_down = false;
        for s in rolling::old_rs_scale_down(&self.deployments[dk].spec, &active_old, &new) {
            scaled_down |= self.scale_replicaset(dk, pass, &s.name, s.to, false);
        }
        if scaled_down {
            return self.sync_rollout_status(dk, pass);
        }
        let d = &self.deployments[dk];
        if status::complete(&d.spec, d.meta.generation, &d.status) {
            self.cleanup_history(dk, pass);
        }
        self.sync_rollout_status(dk, pass);
    }

    /// `rolloutRecreate`: old ReplicaSets to 0, wait until their pods are gone, then the new
    /// one at full size (K8S-RC-1..3).
    fn rollout_recreate(&mut self, dk: &Key, pass: &mut Pass) {
        self.sync_revision(dk, pass, false);
        let old = pass.old();
        let mut scaled = false;
        for o in old.iter().filter(|o| o.spec > 0) {
            scaled |= self.scale_replicaset(dk, pass, &o.name, 0, false);
        }
        if scaled {
            return self.sync_rollout_status(dk, pass);
        }
        let old_pods_running = old.iter().any(|o| {
            o.status_replicas > 0
                || self
                    .replicasets
                    .get(&(dk.0.clone(), o.name.to_string()))
                    .is_some_and(|rs| !rs.pods.is_empty())
        });
        if old_pods_running {
            return self.sync_rollout_status(dk, pass);
        }
        if pass.new.is_none() {
            self.sync_revision(dk, pass, true);
        }
        if let Some(name) = pass.new_rs().map(|v| v.name.clone()) {
            let r = self.deployments[dk].spec.replicas;
            self.scale_replicaset(dk, pass, &name, r, false);
        }
        let d = &self.deployments[dk];
        if status::complete(&d.spec, d.meta.generation, &d.status) {
            self.cleanup_history(dk, pass);
        }
        self.sync_rollout_status(dk, pass);
    }

    /// `cleanupDeployment` (K8S-REV-5).
    fn cleanup_history(&mut self, dk: &Key, pass: &mut Pass) {
        let limit = self.deployments[dk].spec.revision_history_limit;
        for name in history::cleanup(limit, &pass.old()) {
            self.replicasets.remove(&(dk.0.clone(), name.to_string()));
            if let Some(i) = pass.index(&name) {
                pass.sets.remove(i);
                pass.new = pass.new.map(|n| if n > i { n - 1 } else { n });
            }
            self.trace.record(
                self.now,
                "rs_deleted",
                || json!({"ns": dk.0, "deployment": dk.1, "rs": name}),
            );
        }
    }

    /// Records a snapshot of a Deployment in the trace when it changed: spec and live pod counts.
    pub(super) fn trace_deployment(&mut self, dk: &Key) {
        if !self.trace.enabled() {
            return;
        }
        let now = self.now;
        let Some(d) = self.deployments.get(dk) else {
            return;
        };
        let pass = self.take_pass(dk);
        let new = pass.new_rs().map(|v| v.name.clone());
        let (mut spec_total, mut pods, mut terminating, mut ready, mut available, mut updated) =
            (0, 0, 0, 0, 0, 0);
        for name in pass.sets.iter().map(|v| v.name.to_string()) {
            let rs = &self.replicasets[&(dk.0.clone(), name.clone())];
            spec_total += rs.replicas;
            for p in rs.pods.iter().filter_map(|p| self.pods.get(p)) {
                if p.meta.deleting.is_some() {
                    terminating += 1;
                    continue;
                }
                pods += 1;
                ready += p.ready as i32;
                available += p.available(rs.min_ready_seconds, now) as i32;
                updated += (Some(name.as_str()) == new.as_deref()) as i32;
            }
        }
        let snapshot = json!({
            "ns": dk.0,
            "name": dk.1,
            "generation": d.meta.generation,
            "observed": d.status.observed_generation,
            "replicas": d.spec.replicas,
            "rs_spec_total": spec_total,
            "pods": pods,
            "terminating": terminating,
            "ready": ready,
            "available": available,
            "updated": updated,
            "revision": d.revision(),
            "progressing": d.status.condition(status::PROGRESSING).map(|c| c.reason),
            "paused": d.spec.paused,
        });
        let id = format!("deployment/{}/{}", dk.0, dk.1);
        let text = snapshot.to_string();
        if self.traced.get(&id) != Some(&text) {
            self.traced.insert(id, text);
            self.trace.record(now, "deployment", || snapshot);
        }
    }

    /// Traces every Deployment and Service (when tracing starts).
    pub(super) fn trace_all(&mut self) {
        let keys: Vec<Key> = self.deployments.keys().cloned().collect();
        for k in keys {
            self.trace_deployment(&k);
        }
        self.trace_services();
    }
}
