//! `kubectl rollout undo` for Deployments (K8S-REV-6): which ReplicaSet to return to and the
//! patch that restores its template and annotations.

use crate::{POD_TEMPLATE_HASH, annotations};
use serde_json::Value;
use std::collections::BTreeMap;

/// A ReplicaSet owned by the Deployment, as undo sees it.
#[derive(Debug, Clone)]
pub struct RevisionCandidate<'a> {
    pub name: &'a str,
    /// None when the revision annotation is missing or not a number.
    pub revision: Option<i64>,
    pub template: &'a Value,
    pub annotations: &'a BTreeMap<String, String>,
}

/// What undo will do.
#[derive(Debug, Clone, PartialEq)]
pub enum UndoPlan {
    /// The current template already matches: kubectl prints `deployment.apps/N skipped rollback
    /// (current template already matches revision R)` with R as requested (0 when not given).
    Skip { requested: i64 },
    /// Replace the template and the annotations.
    Patch {
        revision: i64,
        template: Value,
        annotations: BTreeMap<String, String>,
    },
}

/// The template without the `pod-template-hash` label.
pub fn strip_hash(template: &Value) -> Value {
    let mut t = template.clone();
    if let Some(labels) = t
        .pointer_mut("/metadata/labels")
        .and_then(Value::as_object_mut)
    {
        labels.remove(POD_TEMPLATE_HASH);
    }
    t
}

/// Plans an undo to `to_revision` (0 = the previous revision). Errors are kubectl's texts.
pub fn plan_undo(
    deployment: &str,
    paused: bool,
    current_template: &Value,
    current_annotations: &BTreeMap<String, String>,
    candidates: &[RevisionCandidate],
    to_revision: i64,
) -> Result<UndoPlan, String> {
    if paused {
        return Err(
            "you cannot rollback a paused deployment; resume it first with 'kubectl rollout resume' and try again".into(),
        );
    }
    let target = find(deployment, candidates, to_revision)?;
    let template = strip_hash(target.template);
    if template == strip_hash(current_template) {
        return Ok(UndoPlan::Skip {
            requested: to_revision,
        });
    }
    let mut annotations = BTreeMap::new();
    for key in annotations::SKIPPED_ON_COPY {
        if let Some(v) = current_annotations.get(key) {
            annotations.insert(key.to_string(), v.clone());
        }
    }
    for (k, v) in target.annotations {
        if !annotations::SKIPPED_ON_COPY.contains(&k.as_str()) {
            annotations.insert(k.clone(), v.clone());
        }
    }
    Ok(UndoPlan::Patch {
        revision: target.revision.unwrap_or(0),
        template,
        annotations,
    })
}

/// `deploymentRevision`: the ReplicaSet of `to_revision`, or the second-highest revision.
fn find<'a>(
    deployment: &str,
    candidates: &'a [RevisionCandidate<'a>],
    to_revision: i64,
) -> Result<&'a RevisionCandidate<'a>, String> {
    let mut latest: Option<(&RevisionCandidate, i64)> = None;
    let mut previous: Option<(&RevisionCandidate, i64)> = None;
    for c in candidates {
        let Some(v) = c.revision else { continue };
        if to_revision == 0 {
            if latest.is_none_or(|(_, l)| l < v) {
                previous = latest;
                latest = Some((c, v));
            } else if previous.is_none_or(|(_, p)| p < v) {
                previous = Some((c, v));
            }
        } else if to_revision == v {
            return Ok(c);
        }
    }
    if to_revision > 0 {
        return Err(format!(
            "unable to find specified revision {to_revision} in history"
        ));
    }
    previous
        .map(|(c, _)| c)
        .ok_or_else(|| format!("no rollout history found for deployment \"{deployment}\""))
}
