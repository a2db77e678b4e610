//! rollplay's numbered revisions of a service, kept in its labels: Swarm itself stores one
//! previous spec, so `rollback(svc, N)` and `history()` need their own record. Each revision
//! keeps the task template it ran, numbered as Kubernetes numbers ReplicaSets (K8S-REV-7: a
//! template rolled back to gets the next number, and an old entry with the same template is
//! dropped).

use bollard::models::{ServiceSpec, TaskSpec};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The current revision's number.
pub const REVISION_LABEL: &str = "rollplay.revision";
/// The revisions, as JSON: `[{"revision": N, "template": TaskSpec}]`, oldest first.
pub const HISTORY_LABEL: &str = "rollplay.history";
/// The digest of the spec as `apply` last wrote it, so applying the same file again is
/// `unchanged`; a change made by any other primitive clears it.
pub const APPLIED_LABEL: &str = "rollplay.applied";
/// Revisions kept: the current one and ten before it (a Deployment's default
/// revisionHistoryLimit).
pub const KEPT: usize = 11;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Entry {
    pub revision: i64,
    pub template: TaskSpec,
}

/// The revisions recorded on a spec, oldest first (none on a service rollplay did not create).
pub fn entries(spec: &ServiceSpec) -> Vec<Entry> {
    spec.labels
        .as_ref()
        .and_then(|l| l.get(HISTORY_LABEL))
        .and_then(|text| serde_json::from_str(text).ok())
        .unwrap_or_default()
}

pub fn revision_of(spec: &ServiceSpec) -> Option<i64> {
    spec.labels.as_ref()?.get(REVISION_LABEL)?.parse().ok()
}

/// The template as rollplay last wrote it for the current revision.
pub fn current_template(spec: &ServiceSpec) -> Option<TaskSpec> {
    let revision = revision_of(spec)?;
    entries(spec)
        .into_iter()
        .find(|e| e.revision == revision)
        .map(|e| e.template)
}

/// What the engine fills in for a container that names no stop grace period (10 s).
const DEFAULT_STOP_GRACE_NANOS: i64 = 10_000_000_000;

/// A template with the engine's defaults (`Runtime: container`, the default stop grace
/// period, empty sections) taken out, so a service's template and its tasks' compare equal.
fn comparable(template: &TaskSpec) -> Value {
    let mut v = serde_json::to_value(template).unwrap_or(Value::Null);
    // The engine's answer lacks the health check (see `faithful`) and adds defaults.
    if let Some(t) = v.as_object_mut()
        && t.get("Runtime").and_then(Value::as_str) == Some("container")
    {
        t.remove("Runtime");
    }
    if let Some(c) = v.get_mut("ContainerSpec").and_then(Value::as_object_mut) {
        c.remove("HealthCheck");
        if c.get("StopGracePeriod").and_then(Value::as_i64) == Some(DEFAULT_STOP_GRACE_NANOS) {
            c.remove("StopGracePeriod");
        }
        if let Some(image) = c.get("Image").and_then(Value::as_str) {
            let bare = crate::status::without_digest(image).to_string();
            c.insert("Image".into(), Value::String(bare));
        }
    }
    strip_empty(&mut v);
    v
}

/// Drops nulls, empty maps, empty lists and zero numbers, which the engine adds as defaults.
fn strip_empty(v: &mut Value) {
    match v {
        Value::Object(map) => {
            for child in map.values_mut() {
                strip_empty(child);
            }
            map.retain(|_, child| !is_empty(child));
        }
        Value::Array(items) => items.iter_mut().for_each(strip_empty),
        _ => {}
    }
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Object(m) => m.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::String(s) => s.is_empty() || s == "default",
        Value::Bool(b) => !b,
    }
}

/// Whether two templates run the same containers (what the engine fills in by default, and
/// the health check bollard cannot read back, aside).
pub fn same_template(a: &TaskSpec, b: &TaskSpec) -> bool {
    comparable(a) == comparable(b)
}

/// The spec with what bollard cannot read back restored from rollplay's own record: bollard
/// 0.21 names the container's health check `HealthCheck` while the engine answers
/// `Healthcheck`, so a typed read drops it, and a read-modify-write would remove it.
pub fn faithful(mut spec: ServiceSpec) -> ServiceSpec {
    let Some(recorded) = current_template(&spec) else {
        return spec;
    };
    if let Some(template) = spec.task_template.as_mut()
        && same_template(template, &recorded)
        && let (Some(container), Some(kept)) =
            (template.container_spec.as_mut(), recorded.container_spec)
        && container.health_check.is_none()
    {
        container.health_check = kept.health_check;
    }
    spec
}

/// Records the spec's template as a new revision when it differs from the current one, and
/// returns the revision the spec now runs.
pub fn record(spec: &mut ServiceSpec) -> i64 {
    let template = spec.task_template.clone().unwrap_or_default();
    let mut all = entries(spec);
    let current = revision_of(spec);
    if let Some(now) = current
        && all
            .iter()
            .any(|e| e.revision == now && same_template(&e.template, &template))
    {
        return now;
    }
    let next = all.iter().map(|e| e.revision).max().unwrap_or(0) + 1;
    all.retain(|e| !same_template(&e.template, &template));
    all.push(Entry {
        revision: next,
        template,
    });
    if all.len() > KEPT {
        all.drain(..all.len() - KEPT);
    }
    let labels = spec.labels.get_or_insert_with(Default::default);
    labels.insert(REVISION_LABEL.into(), next.to_string());
    labels.insert(
        HISTORY_LABEL.into(),
        serde_json::to_string(&all).expect("task specs serialise"),
    );
    next
}

#[cfg(test)]
mod tests {
    use super::*;
    use bollard::models::TaskSpecContainerSpec;

    fn template(image: &str) -> TaskSpec {
        TaskSpec {
            container_spec: Some(TaskSpecContainerSpec {
                image: Some(image.into()),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    fn spec_running(image: &str) -> ServiceSpec {
        ServiceSpec {
            task_template: Some(template(image)),
            ..Default::default()
        }
    }

    #[test]
    fn revisions_number_as_kubernetes_numbers_them() {
        let mut spec = spec_running("web:1");
        assert_eq!(record(&mut spec), 1);
        assert_eq!(
            record(&mut spec),
            1,
            "the same template is the same revision"
        );
        spec.task_template = Some(template("web:2"));
        assert_eq!(record(&mut spec), 2);
        // K8S-REV-7: going back to revision 1's template makes it revision 3.
        spec.task_template = Some(template("web:1"));
        assert_eq!(record(&mut spec), 3);
        let numbers: Vec<i64> = entries(&spec).iter().map(|e| e.revision).collect();
        assert_eq!(numbers, [2, 3]);
    }

    #[test]
    fn only_the_last_eleven_revisions_are_kept() {
        let mut spec = spec_running("web:0");
        for i in 1..=20 {
            spec.task_template = Some(template(&format!("web:{i}")));
            record(&mut spec);
        }
        let all = entries(&spec);
        assert_eq!(all.len(), KEPT);
        assert_eq!(all.last().unwrap().revision, 20);
        assert_eq!(all[0].revision, 10);
    }

    #[test]
    fn a_health_check_the_typed_read_dropped_is_restored_from_the_record() {
        let mut written = spec_running("web:1");
        written
            .task_template
            .as_mut()
            .unwrap()
            .container_spec
            .as_mut()
            .unwrap()
            .health_check = Some(bollard::models::HealthConfig {
            interval: Some(1_000_000_000),
            ..Default::default()
        });
        record(&mut written);
        let mut read = written.clone();
        read.task_template
            .as_mut()
            .unwrap()
            .container_spec
            .as_mut()
            .unwrap()
            .health_check = None;
        let restored = faithful(read);
        let check = restored
            .task_template
            .unwrap()
            .container_spec
            .unwrap()
            .health_check;
        assert_eq!(check.and_then(|h| h.interval), Some(1_000_000_000));
    }
}
