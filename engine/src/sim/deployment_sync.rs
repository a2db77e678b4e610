//! The Deployment controller as the simulator runs it: one pass per sync (K8S-RU-5 dispatch),
//! applying the decisions of `controller` to the ReplicaSets, with the controller's events,
//! annotations, revisions and status.

use super::controller::status::{self, Condition, DeploymentStatus};
use super::controller::{RsView, history, rolling, scale};
use super::ids::pod_template_hash;
use super::meta::Meta;
use super::replicaset::{ReplicaSet, RsStatus};
use super::{Key, Sim, Wake};
use crate::k8s::{POD_TEMPLATE_HASH, PodTemplate, annotations};
use crate::kind::Kind;
use serde_json::{Value, json};
use std::sync::Arc;

const SOURCE: &str = "deployment-controller";

impl Sim {
    /// Names of the ReplicaSets a Deployment owns, not being deleted.
    fn owned(&self, dk: &Key) -> Vec<String> {
        let Some(d) = self.deployments.get(dk) else {
            return Vec::new();
        };
        let from = (dk.0.clone(), String::new());
        self.replicasets
            .range(from..)
            .take_while(|((ns, _), _)| *ns == dk.0)
            .filter(|(_, rs)| rs.owner_uid == d.meta.uid && rs.meta.deleting.is_none())
            .map(|((_, name), _)| name.clone())
            .collect()
    }

    /// The new ReplicaSet (template equal ignoring the hash label, oldest if several; K8S-RU-6)
    /// and the old ones.
    pub(super) fn new_and_old(&self, dk: &Key) -> (Option<String>, Vec<String>) {
        let Some(d) = self.deployments.get(dk) else {
            return (None, Vec::new());
        };
        let mut matching = Vec::new();
        let mut old = Vec::new();
        for name in self.owned(dk) {
            let rs = &self.replicasets[&(dk.0.clone(), name.clone())];
            if rs.base_hash == d.template_hash && rs.base_template == d.spec.template {
                matching.push(((rs.meta.created, rs.sequence), name));
            } else {
                old.push(name);
            }
        }
        matching.sort();
        let mut matching = matching.into_iter().map(|(_, n)| n);
        let new = matching.next();
        old.extend(matching);
        (new, old)
    }

    fn views(&self, dk: &Key) -> (Option<RsView>, Vec<RsView>) {
        let (new, old) = self.new_and_old(dk);
        let view = |name: &String| self.replicasets[&(dk.0.clone(), name.clone())].view();
        (new.as_ref().map(view), old.iter().map(view).collect())
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
                true,
                "SelectingAll",
                "This deployment is selecting all pods. A non-empty selector is required.".into(),
                SOURCE,
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
        if paused || self.is_scaling_event(dk) {
            self.sync_scaling(dk);
        } else if rolling {
            self.rollout_rolling(dk);
        } else {
            self.rollout_recreate(dk);
        }
        self.trace_deployment(dk);
    }

    fn set_status(&mut self, dk: &Key, next: DeploymentStatus) {
        let rv = self.ids.resource_version();
        let d = self.deployments.get_mut(dk).expect("exists");
        if d.status != next {
            d.status = next;
            d.meta.resource_version = rv;
        }
    }

    /// `getAllReplicaSetsAndSyncRevision`: brings the new ReplicaSet's revision and annotations
    /// up to date (K8S-REV-1..3), creating it when `create` (K8S-RU-6).
    fn sync_revision(&mut self, dk: &Key, create: bool) -> Option<String> {
        let now = self.now;
        let (new, old) = self.new_and_old(dk);
        let old_views: Vec<RsView> = old
            .iter()
            .map(|n| self.replicasets[&(dk.0.clone(), n.clone())].view())
            .collect();
        let next_revision = history::next_revision(&old_views);
        let Some(name) = new else {
            return if create {
                self.create_new_replicaset(dk, next_revision)
            } else {
                None
            };
        };
        let d = &self.deployments[dk];
        let copied: Vec<(String, String)> = d
            .meta
            .annotations
            .iter()
            .filter(|(k, _)| !annotations::SKIPPED_ON_COPY.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let min_ready = d.spec.min_ready_seconds;
        let has_deadline = d.spec.progress_deadline_seconds.is_some();
        let rv = self.ids.resource_version();
        let rs = self
            .replicasets
            .get_mut(&(dk.0.clone(), name.clone()))
            .expect("exists");
        let mut changed = false;
        for (k, v) in copied {
            if rs.meta.annotations.get(&k) != Some(&v) {
                rs.meta.annotations.insert(k, v);
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
                if let Some(h) = history::append_history(
                    rs.meta
                        .annotations
                        .get(annotations::REVISION_HISTORY)
                        .map(String::as_str),
                    previous,
                ) {
                    rs.meta
                        .annotations
                        .insert(annotations::REVISION_HISTORY.into(), h);
                }
            }
            rs.meta
                .annotations
                .insert(annotations::REVISION.into(), next_revision.to_string());
            changed = true;
        }
        if rs.min_ready_seconds != min_ready {
            rs.min_ready_seconds = min_ready;
            changed = true;
        }
        if changed {
            rs.meta.resource_version = rv;
            self.trace.record(
                now,
                "revision",
                json!({"ns": dk.0, "rs": name, "revision": rs.revision()}),
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
        Some(name)
    }

    fn create_new_replicaset(&mut self, dk: &Key, revision: i64) -> Option<String> {
        let now = self.now;
        let d = self.deployments[dk].clone();
        let old_total: i32 = self
            .new_and_old(dk)
            .1
            .iter()
            .map(|n| self.replicasets[&(dk.0.clone(), n.clone())].replicas)
            .sum();
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
        crate::k8s::json::at_mut(&mut template, &["metadata", "labels", POD_TEMPLATE_HASH])
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
            owner_uid: d.meta.uid.clone(),
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
        };
        let rs_key = (dk.0.clone(), name.clone());
        self.replicasets.insert(rs_key.clone(), rs);
        self.dirty_replicasets.insert(rs_key);
        if replicas > 0 {
            self.event(
                Kind::Deployment,
                &dk.0,
                &dk.1,
                false,
                "ScalingReplicaSet",
                format!("Scaled up replica set {name} from 0 to {replicas}"),
                SOURCE,
            );
        }
        self.trace.record(now, "scale", json!({"ns": dk.0, "deployment": dk.1, "rs": name, "from": 0, "to": replicas, "revision": revision}));
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
        Some(name)
    }

    /// Sets a ReplicaSet's size (and desired/max annotations); records the event when the size
    /// changes. `annotate_always` is `scaleReplicaSet`, otherwise `scaleReplicaSetAndRecordEvent`.
    fn scale_replicaset(
        &mut self,
        dk: &Key,
        rs_name: &str,
        to: i32,
        annotate_always: bool,
    ) -> bool {
        let now = self.now;
        let (r, surge) = {
            let d = &self.deployments[dk];
            (d.spec.replicas, d.spec.max_surge())
        };
        let rv = self.ids.resource_version();
        let Some(rs) = self
            .replicasets
            .get_mut(&(dk.0.clone(), rs_name.to_string()))
        else {
            return false;
        };
        let from = rs.replicas;
        let size_changed = from != to;
        if !size_changed && !annotate_always {
            return false;
        }
        let desired = r.to_string();
        let max = (r + surge).to_string();
        let annotations_stale = rs.meta.annotations.get(annotations::DESIRED_REPLICAS)
            != Some(&desired)
            || rs.meta.annotations.get(annotations::MAX_REPLICAS) != Some(&max);
        if !size_changed && !annotations_stale {
            return false;
        }
        rs.replicas = to;
        rs.meta
            .annotations
            .insert(annotations::DESIRED_REPLICAS.into(), desired);
        rs.meta
            .annotations
            .insert(annotations::MAX_REPLICAS.into(), max);
        rs.meta.resource_version = rv;
        if size_changed {
            rs.meta.generation += 1;
            let direction = if from < to { "up" } else { "down" };
            self.event(
                Kind::Deployment,
                &dk.0,
                &dk.1,
                false,
                "ScalingReplicaSet",
                format!("Scaled {direction} replica set {rs_name} from {from} to {to}"),
                SOURCE,
            );
            self.trace.record(
                now,
                "scale",
                json!({"ns": dk.0, "deployment": dk.1, "rs": rs_name, "from": from, "to": to}),
            );
            self.dirty_replicasets
                .insert((dk.0.clone(), rs_name.to_string()));
            self.trace_deployment(dk);
        }
        size_changed
    }

    /// `syncRolloutStatus` plus the deadline re-check (`requeueStuckDeployment`).
    pub(super) fn sync_rollout_status(&mut self, dk: &Key) {
        let now = self.now;
        let (new, old) = self.views(dk);
        let all: Vec<&RsView> = old.iter().chain(new.iter()).collect();
        let d = &self.deployments[dk];
        let next = status::sync_rollout_status(
            &d.meta.name,
            &d.spec,
            d.meta.generation,
            &d.status,
            &all,
            new.as_ref(),
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
    fn is_scaling_event(&mut self, dk: &Key) -> bool {
        self.sync_revision(dk, false);
        let r = self.deployments[dk].spec.replicas;
        let (new, old) = self.views(dk);
        old.iter()
            .chain(new.iter())
            .filter(|v| v.spec > 0)
            .any(|v| v.desired_annotation.is_some_and(|d| d != r))
    }

    /// `sync`: proportional scaling (K8S-PS), history cleanup while paused, plain status.
    fn sync_scaling(&mut self, dk: &Key) {
        let now = self.now;
        self.sync_revision(dk, false);
        let (new, old) = self.views(dk);
        let d = &self.deployments[dk];
        let decisions = scale::proportional(&d.spec, new.as_ref(), &old, d.status.replicas);
        for s in decisions {
            self.scale_replicaset(dk, &s.name, s.to, true);
        }
        if self.deployments[dk].spec.paused {
            self.cleanup_history(dk);
        }
        let (new, old) = self.views(dk);
        let all: Vec<&RsView> = old.iter().chain(new.iter()).collect();
        let d = &self.deployments[dk];
        let next = status::calculate(
            &d.spec,
            d.meta.generation,
            &all,
            new.as_ref(),
            &d.status,
            now,
        );
        self.set_status(dk, next);
    }

    /// `rolloutRolling`: scale the new ReplicaSet up, or the old ones down, one per pass (K8S-RU-8).
    fn rollout_rolling(&mut self, dk: &Key) {
        let existed = self.new_and_old(dk).0.is_some();
        self.sync_revision(dk, true);
        let (new, old) = self.views(dk);
        let Some(new) = new else {
            return self.sync_rollout_status(dk);
        };
        if !existed && new.spec > 0 {
            // Creating the new ReplicaSet at a non-zero size is this pass's one move (K8S-RU-8).
            return self.sync_rollout_status(dk);
        }
        let spec = self.deployments[dk].spec.clone();
        let all_total = new.spec + old.iter().map(|o| o.spec).sum::<i32>();
        if let Some(target) = rolling::new_rs_target(&spec, all_total, new.spec)
            && self.scale_replicaset(dk, &new.name, target, false)
        {
            return self.sync_rollout_status(dk);
        }
        let active_old: Vec<RsView> = old.into_iter().filter(|o| o.spec > 0).collect();
        let mut scaled_down = false;
        for s in rolling::old_rs_scale_down(&spec, &active_old, &new) {
            scaled_down |= self.scale_replicaset(dk, &s.name, s.to, false);
        }
        if scaled_down {
            return self.sync_rollout_status(dk);
        }
        let d = &self.deployments[dk];
        if status::complete(&d.spec, d.meta.generation, &d.status) {
            self.cleanup_history(dk);
        }
        self.sync_rollout_status(dk);
    }

    /// `rolloutRecreate`: old ReplicaSets to 0, wait until their pods are gone, then the new
    /// one at full size (K8S-RC-1..3).
    fn rollout_recreate(&mut self, dk: &Key) {
        let mut new = self.sync_revision(dk, false);
        let (_, old) = self.views(dk);
        let mut scaled = false;
        for o in old.iter().filter(|o| o.spec > 0) {
            scaled |= self.scale_replicaset(dk, &o.name, 0, false);
        }
        if scaled {
            return self.sync_rollout_status(dk);
        }
        let old_pods_running = old.iter().any(|o| {
            o.status_replicas > 0
                || self
                    .replicasets
                    .get(&(dk.0.clone(), o.name.clone()))
                    .is_some_and(|rs| !rs.pods.is_empty())
        });
        if old_pods_running {
            return self.sync_rollout_status(dk);
        }
        if new.is_none() {
            new = self.sync_revision(dk, true);
        }
        if let Some(name) = new {
            let r = self.deployments[dk].spec.replicas;
            self.scale_replicaset(dk, &name, r, false);
        }
        let d = &self.deployments[dk];
        if status::complete(&d.spec, d.meta.generation, &d.status) {
            self.cleanup_history(dk);
        }
        self.sync_rollout_status(dk);
    }

    /// `cleanupDeployment` (K8S-REV-5).
    fn cleanup_history(&mut self, dk: &Key) {
        let limit = self.deployments[dk].spec.revision_history_limit;
        let (_, old) = self.views(dk);
        for name in history::cleanup(limit, &old) {
            self.replicasets.remove(&(dk.0.clone(), name.clone()));
            self.trace.record(
                self.now,
                "rs_deleted",
                json!({"ns": dk.0, "deployment": dk.1, "rs": name}),
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
        let (new, _) = self.new_and_old(dk);
        let (mut spec_total, mut pods, mut terminating, mut ready, mut available, mut updated) =
            (0, 0, 0, 0, 0, 0);
        for name in self.owned(dk) {
            let rs = &self.replicasets[&(dk.0.clone(), name.clone())];
            spec_total += rs.replicas;
            for p in rs
                .pods
                .iter()
                .filter_map(|p| self.pods.get(&(dk.0.clone(), p.clone())))
            {
                if p.meta.deleting.is_some() {
                    terminating += 1;
                    continue;
                }
                pods += 1;
                ready += p.ready as i32;
                available += p.available(rs.min_ready_seconds, now) as i32;
                updated += (Some(&name) == new.as_ref()) as i32;
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
            "progressing": d.status.condition(status::PROGRESSING).map(|c| c.reason.clone()),
            "paused": d.spec.paused,
        });
        let id = format!("deployment/{}/{}", dk.0, dk.1);
        let text = snapshot.to_string();
        if self.traced.get(&id) != Some(&text) {
            self.traced.insert(id, text);
            self.trace.record(now, "deployment", snapshot);
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
