//! `kubectl drain` on the simulator: cordon the node, ask to evict each of its pods (a refusal
//! by a disruption budget is retried every 5 s, PDB-6), then wait until the evicted pods are
//! gone, all within one deadline; running out of time leaves the node cordoned.

use super::SimBackend;
use crate::TARGET;
use crate::pdb::{
    DRAIN_RETRY, DrainStep, drain_step, evicted_line, termination_timeout_error, timeout_error,
};
use crate::time::{from_unix_seconds, unix_seconds};
use rollplay_core::backend::{Deadline, Limit};
use rollplay_core::backend::{DrainReport, ProgressSink};
use rollplay_core::error::{Error, Result};
use rollplay_core::kind::Kind;
use tokio_util::sync::CancellationToken;

pub(crate) async fn drain(
    backend: &SimBackend,
    node: &str,
    deadline: &Deadline,
    cancel: &CancellationToken,
    progress: &dyn ProgressSink,
) -> Result<DrainReport> {
    let (started, mut pending) = backend.with_sim(|sim| -> Result<_> {
        sim.cordon(node, true)?;
        Ok((sim.now(), sim.pods_on_node(node)))
    })?;
    let object = format!("node/{node}");
    progress.progress(
        &object,
        &format!("node/{node} cordoned"),
        unix_seconds(started),
    );
    let until = from_unix_seconds(deadline.at);
    let timeout = match deadline.limit {
        Limit::Wait(d) | Limit::Run(d) | Limit::Abort(d) => d,
    };
    let mut report = DrainReport {
        node: node.to_string(),
        evicted: Vec::new(),
        refused: 0,
        seconds: 0.0,
    };
    let what = format!("drain({node})");
    // Either wait ends the same way when time runs out: an error, the node left cordoned.
    let timed_out = |object: &str, why: String| {
        deadline.expired(
            &what,
            object,
            TARGET,
            &format!("{why}; node/{node} stays cordoned"),
            true,
        )
    };
    let mut gone_wait = Vec::new();
    loop {
        let mut refused = Vec::new();
        for (ns, pod) in pending {
            let (decision, now) = backend.with_sim(|sim| (sim.evict(&ns, &pod), sim.now()));
            let decision = match decision {
                Ok(d) => d,
                // Already gone: what the drain wanted.
                Err(Error::NotFound { .. }) => continue,
                Err(e) => return Err(e),
            };
            match drain_step(&ns, &pod, &decision) {
                DrainStep::Evicted => {
                    report.evicted.push(format!("{ns}/{pod}"));
                    gone_wait.push((ns, pod));
                }
                DrainStep::Retry { stderr, .. } => {
                    report.refused += 1;
                    progress.progress(&object, &stderr, unix_seconds(now));
                    refused.push((ns, pod));
                }
                DrainStep::Failed { error } => {
                    return Err(Error::Refused {
                        object: format!("pod/{pod}"),
                        target: TARGET.into(),
                        message: error,
                    });
                }
            }
        }
        pending = refused;
        let now = backend.with_sim(|sim| sim.now());
        if pending.is_empty() {
            break;
        }
        if now + DRAIN_RETRY >= until {
            let (ns, pod) = &pending[0];
            let ms = timeout.as_millis() as u64;
            return Err(timed_out(&object, timeout_error(ns, pod, ms)));
        }
        backend.advance(now + DRAIN_RETRY, cancel, &what).await?;
    }
    // kubectl waits until the evicted pods are deleted, within the same timeout.
    loop {
        let (still_there, now, next) = backend.with_sim(|sim| {
            (
                gone_wait
                    .iter()
                    .find(|(ns, p)| sim.get(Kind::Pod, ns, p).is_some())
                    .cloned(),
                sim.now(),
                sim.next_wake().unwrap_or(until).min(until),
            )
        });
        let Some((ns, pod)) = still_there else {
            break;
        };
        if now >= until {
            return Err(timed_out(&object, termination_timeout_error(&ns, &pod)));
        }
        backend.advance(next.max(now + 1), cancel, &what).await?;
    }
    let now = backend.with_sim(|sim| sim.now());
    for p in &report.evicted {
        let name = p.split('/').nth(1).unwrap_or(p);
        progress.progress(&object, &evicted_line(name), unix_seconds(now));
    }
    report.seconds = (now - started) as f64 / 1000.0;
    Ok(report)
}
