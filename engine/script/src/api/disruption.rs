//! Primitives for voluntary disruptions: evicting pods and draining nodes under their
//! PodDisruptionBudgets (PDB-4..6).

use rhai::plugin::*;

#[export_module]
pub mod disruption {
    use crate::api::host::{RhaiResult, duration, host};
    use rhai::{Array, Dynamic, Map, NativeCallContext};
    use serde_json::json;
    use std::time::Duration;

    /// How long `drain` keeps retrying refused evictions unless told otherwise.
    const DEFAULT_DRAIN: Duration = Duration::from_secs(600);

    /// Asks to evict a pod (`POST pods/<pod>/eviction`), as `kubectl drain` does for each pod:
    /// the PodDisruptionBudget that selects it decides. Returns `evicted`, `status` (201, 429
    /// when the budget allows no disruption now, 500 when several budgets select the pod),
    /// `budget`, `message` and `causes`. A refusal is an answer, not an error: retry later.
    /// Rolling updates and `scale()` never ask the budgets (PDB-5).
    ///
    /// Errors: the pod does not exist; a target without this primitive.
    ///
    /// ```rhai
    /// apply(`
    /// apiVersion: policy/v1
    /// kind: PodDisruptionBudget
    /// metadata: {name: web}
    /// spec: {maxUnavailable: 1, selector: {matchLabels: {app: web}}}
    /// `);
    /// let names = pods("web").map(|p| p.name);
    /// assert(evict(names[0]).evicted);
    /// let second = evict(names[1]);
    /// assert(second.status == 429 && !second.evicted);
    /// ```
    #[rhai_fn(return_raw)]
    pub fn evict(ctx: NativeCallContext, pod: &str) -> RhaiResult<Map> {
        let h = host(&ctx)?;
        let ns = h.namespace();
        let target =
            rollplay_core::objref::ObjectRef::new(rollplay_core::kind::Kind::Pod, &ns, pod);
        let e = h.block_on("evict", h.backend.evict(&target))?;
        if e.evicted {
            h.record(
                "evict",
                &format!("pod/{pod}"),
                &ns,
                "evicted".into(),
                json!({"budget": e.budget}),
            );
        }
        let mut m = Map::new();
        m.insert("pod".into(), e.pod.into());
        m.insert("evicted".into(), e.evicted.into());
        m.insert("status".into(), (e.http_status as i64).into());
        m.insert(
            "budget".into(),
            e.budget.map(Dynamic::from).unwrap_or(Dynamic::UNIT),
        );
        m.insert(
            "message".into(),
            e.message.map(Dynamic::from).unwrap_or(Dynamic::UNIT),
        );
        m.insert(
            "causes".into(),
            e.causes
                .into_iter()
                .map(Dynamic::from)
                .collect::<Array>()
                .into(),
        );
        Ok(m)
    }

    /// Drains a node like `kubectl drain`: cordons it, evicts its pods (a refusal is retried
    /// every 5 s until the budget allows it) and waits until they are gone, up to 10 minutes.
    /// Returns `node`, `evicted` (`namespace/pod`), `refused` (refusals seen) and `seconds`.
    ///
    /// Errors: an unknown node; the last schedulable node (its pods would have nowhere to
    /// go); the time running out (the node stays cordoned).
    ///
    /// ```rhai
    /// let node = pods("web")[0].node;
    /// let report = drain(node);
    /// assert(report.evicted.len() >= 1);
    /// assert(pods("web").filter(|p| p.node == node && !p.terminating).is_empty());
    /// uncordon(node);
    /// ```
    #[rhai_fn(return_raw)]
    pub fn drain(ctx: NativeCallContext, node: &str) -> RhaiResult<Map> {
        super::drain_impl(&ctx, node, DEFAULT_DRAIN)
    }

    /// `drain(node)` that gives up after `timeout` (`"5m"` or seconds).
    ///
    /// ```rhai
    /// let report = drain(pods("web")[0].node, "2m");
    /// assert(report.seconds <= 120.0);
    /// ```
    #[rhai_fn(name = "drain", return_raw)]
    pub fn drain_for(ctx: NativeCallContext, node: &str, timeout: Dynamic) -> RhaiResult<Map> {
        let timeout = duration(&timeout, "drain")?;
        super::drain_impl(&ctx, node, timeout)
    }

    /// Marks a node schedulable again (`kubectl uncordon`); false if it was not cordoned.
    ///
    /// ```rhai
    /// assert(!uncordon("sim-node-1"));
    /// ```
    #[rhai_fn(return_raw)]
    pub fn uncordon(ctx: NativeCallContext, node: &str) -> RhaiResult<bool> {
        let h = host(&ctx)?;
        let was = h.block_on("uncordon", h.backend.uncordon(node))?;
        if was {
            h.record(
                "uncordon",
                &format!("node/{node}"),
                "",
                "uncordoned".into(),
                json!({}),
            );
        }
        Ok(was)
    }

    /// The nodes: `name`, `schedulable` and `pods` (how many run there).
    ///
    /// ```rhai
    /// let all = nodes();
    /// assert(all.len() == 3 && all.all(|n| n.schedulable));
    /// ```
    #[rhai_fn(return_raw)]
    pub fn nodes(ctx: NativeCallContext) -> RhaiResult<Array> {
        let h = host(&ctx)?;
        let nodes = h.block_on("nodes", h.backend.nodes())?;
        Ok(nodes
            .into_iter()
            .map(|n| {
                let mut m = Map::new();
                m.insert("name".into(), n.name.into());
                m.insert("schedulable".into(), n.schedulable.into());
                m.insert("pods".into(), (n.pods as i64).into());
                Dynamic::from_map(m)
            })
            .collect())
    }
}

use crate::api::host::{ProgressToOutput, RhaiResult, host};
use rhai::{Array, Dynamic, Map, NativeCallContext};
use serde_json::json;
use std::time::Duration;

fn drain_impl(ctx: &NativeCallContext, node: &str, timeout: Duration) -> RhaiResult<Map> {
    let h = host(ctx)?;
    let deadline = h.deadline(timeout);
    let cancel = h.cancel_token();
    let report = h.block_on(
        "drain",
        h.backend
            .drain(node, &deadline, &cancel, &ProgressToOutput(&h)),
    );
    h.output.progress_done();
    let report = report?;
    h.record(
        "drain",
        &format!("node/{node}"),
        "",
        format!(
            "{} pods evicted, {} refusals retried",
            report.evicted.len(),
            report.refused
        ),
        json!({"evicted": report.evicted, "refused": report.refused}),
    );
    let mut m = Map::new();
    m.insert("node".into(), report.node.into());
    m.insert(
        "evicted".into(),
        report
            .evicted
            .into_iter()
            .map(Dynamic::from)
            .collect::<Array>()
            .into(),
    );
    m.insert("refused".into(), (report.refused as i64).into());
    m.insert("seconds".into(), Dynamic::from_float(report.seconds));
    Ok(m)
}
