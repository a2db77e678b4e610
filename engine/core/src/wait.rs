//! The one wait: until workloads are rolled out, written once over a backend's clock and
//! change signal, with one absolute deadline, cancellable at once. `kubectl rollout status`
//! semantics per workload (K8S-ROS-1): done when the verdict is, failed on the first verdict
//! that is an error, naming that workload.

pub use crate::backend::{Deadline, Limit};

use crate::backend::{ClusterBackend, ProgressSink, WorkloadStatus};
use crate::error::{Error, Result};
use crate::kind::Kind;
use crate::objref::ObjectRef;
use crate::selector::Selector;
use tokio_util::sync::CancellationToken;

/// What to wait for.
#[derive(Debug, Clone)]
pub enum WaitFor {
    One(ObjectRef),
    /// Several workloads at once: a failure of any is seen while the others still roll.
    All(Vec<ObjectRef>),
    /// The workloads of a kind whose labels match, found when the wait starts.
    Selected {
        kind: Kind,
        namespace: String,
        selector: Selector,
    },
}

/// The workloads `what` names, resolved now.
pub async fn resolve(backend: &dyn ClusterBackend, what: &WaitFor) -> Result<Vec<ObjectRef>> {
    match what {
        WaitFor::One(w) => Ok(vec![w.clone()]),
        WaitFor::All(ws) => Ok(ws.clone()),
        WaitFor::Selected {
            kind,
            namespace,
            selector,
        } => {
            let found = backend.select(*kind, namespace, selector).await?;
            if found.is_empty() {
                return Err(Error::NotFound {
                    kind: kind.name().into(),
                    name: format!("-l {selector}"),
                    namespace: namespace.clone(),
                    target: backend.target().into(),
                    hint: ": no workload's labels match the selector".into(),
                });
            }
            Ok(found)
        }
    }
}

/// Waits until every workload `what` names is rolled out, and returns their statuses in
/// order. Fails on the first workload whose verdict is an error (naming it, at the moment the
/// target reports it), at `deadline`, or as soon as `cancel` fires. Reports each workload's
/// verdict line to `progress` when it changes.
pub async fn wait_ready(
    backend: &dyn ClusterBackend,
    what: &WaitFor,
    deadline: &Deadline,
    cancel: &CancellationToken,
    progress: &dyn ProgressSink,
) -> Result<Vec<WorkloadStatus>> {
    let workloads = resolve(backend, what).await?;
    let label = match what {
        WaitFor::Selected { selector, .. } => format!("wait_ready(-l {selector})"),
        _ => format!(
            "wait_ready({})",
            workloads
                .iter()
                .map(ObjectRef::short)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let mut last: Vec<String> = vec![String::new(); workloads.len()];
    let mut statuses: Vec<Option<WorkloadStatus>> = vec![None; workloads.len()];
    loop {
        let now = backend.now();
        let mut pending: Vec<&ObjectRef> = Vec::new();
        for (i, w) in workloads.iter().enumerate() {
            if statuses[i].as_ref().is_some_and(WorkloadStatus::done) {
                continue;
            }
            let status = backend.status(w).await?;
            if !status.says(&last[i]) {
                last[i] = status.line();
                progress.progress(&w.short(), &last[i], now);
            }
            if let Some(error) = &status.error {
                return Err(Error::Rollout {
                    object: w.short(),
                    target: backend.target().into(),
                    message: error.clone(),
                });
            }
            if !status.done() {
                pending.push(w);
            }
            statuses[i] = Some(status);
        }
        if pending.is_empty() {
            return Ok(statuses.into_iter().flatten().collect());
        }
        if now >= deadline.at {
            let names: Vec<String> = pending.iter().map(|w| w.short()).collect();
            let lasts: Vec<&str> = workloads
                .iter()
                .zip(&last)
                .filter(|(w, _)| pending.contains(w))
                .map(|(_, l)| l.as_str())
                .collect();
            return Err(deadline.expired(
                &label,
                &names.join(", "),
                backend.target(),
                &lasts.join("; "),
                backend.virtual_time(),
            ));
        }
        if cancel.is_cancelled() {
            return Err(Error::Cancelled {
                what: label,
                why: "interrupted".into(),
            });
        }
        backend.changed(&pending, deadline.at, cancel).await?;
    }
}
