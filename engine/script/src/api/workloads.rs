//! Primitives on workloads (Deployments on Kubernetes and the simulator): scale, images,
//! the one wait, rollback, pause, status, history, pods and events.

use crate::api::convert;
use crate::api::host::{Host, ProgressToOutput, RhaiResult, bad_argument, host, runtime_error};
use rhai::plugin::*;
use rollplay_core::backend::RollbackTo;
use rollplay_core::kind::Kind;
use rollplay_core::selector::Selector;
use rollplay_core::wait::{WaitFor, wait_ready};
use serde_json::json;
use std::time::Duration;

#[export_module]
pub mod workloads {
    use crate::api::convert;
    use crate::api::host::{RhaiResult, bad_argument, duration, host};
    use rhai::{Dynamic, NativeCallContext};
    use rollplay_core::backend::RollbackTo;
    use rollplay_core::kind::Kind;
    use serde_json::json;
    use std::time::Duration;

    /// The default time `wait_ready` waits (kubectl waits forever; a playbook should not).
    const DEFAULT_WAIT: Duration = Duration::from_secs(600);

    /// Sets the number of replicas of a workload (`kubectl scale`). Returns the status map.
    ///
    /// Errors: the workload does not exist; `replicas` is negative.
    ///
    /// ```rhai
    /// let st = scale("web", 5);
    /// assert(st.replicas == 5);
    /// ```
    #[rhai_fn(return_raw)]
    pub fn scale(ctx: NativeCallContext, workload: Dynamic, replicas: i64) -> RhaiResult<Dynamic> {
        let h = host(&ctx)?;
        let w = h.object(&workload, Kind::Deployment, "scale")?;
        let replicas = i32::try_from(replicas)
            .map_err(|_| bad_argument("scale", format!("{replicas} replicas is out of range")))?;
        crate::api::run_lock::lock_before_change(&h, std::slice::from_ref(&w), "scale")?;
        let (from, to) = h.block_on("scale", h.backend.scale(&w, replicas))?;
        if from != to {
            h.record(
                "scale",
                &w.short(),
                &w.namespace,
                format!("replicas {from} → {to}"),
                json!({"from": from, "to": to}),
            );
        }
        Ok(convert::status(&h.block_on("scale", h.backend.status(&w))?))
    }

    /// Sets the image of the workload's only container (`kubectl set image`). Returns a map
    /// with `container`, `from`, `to` and `changed` (false when it already ran that image).
    ///
    /// Errors: the workload does not exist; its pods have several containers (name one with
    /// `set_image(workload, container, image)`); the image is not a valid reference.
    ///
    /// ```rhai
    /// let change = set_image("web", "web:1.1");
    /// assert(change.from == "web:1.0" && change.changed);
    /// ```
    #[rhai_fn(name = "set_image", return_raw)]
    pub fn set_image(
        ctx: NativeCallContext,
        workload: Dynamic,
        image: &str,
    ) -> RhaiResult<Dynamic> {
        super::set_image_impl(ctx, workload, None, image)
    }

    /// Sets the image of one named container of a workload.
    ///
    /// Errors: no container of that name (the message lists the containers).
    ///
    /// ```rhai
    /// let change = set_image("web", "web", "web:1.1");
    /// assert(change.container == "web");
    /// ```
    #[rhai_fn(name = "set_image", return_raw)]
    pub fn set_image_container(
        ctx: NativeCallContext,
        workload: Dynamic,
        container: &str,
        image: &str,
    ) -> RhaiResult<Dynamic> {
        super::set_image_impl(ctx, workload, Some(container), image)
    }

    /// Waits until the workload is rolled out, with exactly the rules of `kubectl rollout
    /// status` (the spec update must be observed; all replicas updated, old ones gone, updated
    /// ones available), for at most 10 minutes. Returns the status map. Also takes an array of
    /// workloads, or a label selector (`"app in (web,api)"`, `"tier=front"`) for the
    /// Deployments whose labels match: then all are waited for at once, the first that fails
    /// ends the wait (naming it), and an array of status maps comes back.
    ///
    /// Errors: `deployment "NAME" exceeded its progress deadline` as soon as the Deployment
    /// reports it; `timed out waiting for the condition` when the time runs out; the run's
    /// `--timeout` expiring; Ctrl-C; a selector that matches no workload. Catch them with
    /// `try`/`catch` to roll back.
    ///
    /// ```rhai
    /// set_image("web", "web:1.1");
    /// let st = wait_ready("web");
    /// assert(st.done && st.updated == 3);
    /// let all = wait_ready(["web"]);
    /// assert(all.len() == 1 && all[0].name == "web");
    /// assert(wait_ready("app=web")[0].done);
    /// ```
    #[rhai_fn(name = "wait_ready", return_raw)]
    pub fn wait_ready(ctx: NativeCallContext, workload: Dynamic) -> RhaiResult<Dynamic> {
        super::wait_impl(ctx, workload, DEFAULT_WAIT)
    }

    /// Waits as `wait_ready(workload)` does, for at most `timeout` (`"90s"`, `"5m"` or seconds).
    ///
    /// ```rhai
    /// set_image("web", "web:1.1");
    /// let st = wait_ready("web", "5m");
    /// print(st.message);
    /// ```
    #[rhai_fn(name = "wait_ready", return_raw)]
    pub fn wait_ready_timeout(
        ctx: NativeCallContext,
        workload: Dynamic,
        timeout: Dynamic,
    ) -> RhaiResult<Dynamic> {
        let t = duration(&timeout, "wait_ready")?;
        super::wait_impl(ctx, workload, t)
    }

    /// Rolls the workload back to its previous revision (`kubectl rollout undo`). The restored
    /// template gets a new revision number. Returns `message` (kubectl's line), `skipped`,
    /// `to_revision`, `revision` (the number it runs as now) and `image`.
    ///
    /// Errors (kubectl's texts): `no rollout history found for deployment "NAME"`; `you cannot
    /// rollback a paused deployment; resume it first ...`.
    ///
    /// ```rhai
    /// set_image("web", "web:1.1");
    /// wait_ready("web");
    /// let back = rollback("web");
    /// assert(back.to_revision == 1 && back.revision == 3 && back.image == "web:1.0");
    /// ```
    #[rhai_fn(name = "rollback", return_raw)]
    pub fn rollback(ctx: NativeCallContext, workload: Dynamic) -> RhaiResult<Dynamic> {
        super::rollback_impl(ctx, workload, RollbackTo::Previous)
    }

    /// Rolls the workload back to an explicit revision (`kubectl rollout undo --to-revision=N`).
    ///
    /// Errors: `unable to find specified revision N in history`.
    ///
    /// ```rhai
    /// set_image("web", "web:1.1");
    /// wait_ready("web");
    /// let back = rollback("web", 1);
    /// assert(back.message == "deployment.apps/web rolled back");
    /// ```
    #[rhai_fn(name = "rollback", return_raw)]
    pub fn rollback_to(
        ctx: NativeCallContext,
        workload: Dynamic,
        revision: i64,
    ) -> RhaiResult<Dynamic> {
        if revision < 1 {
            return Err(bad_argument(
                "rollback",
                format!("revision must be 1 or more, got {revision}"),
            ));
        }
        super::rollback_impl(ctx, workload, RollbackTo::Revision(revision))
    }

    /// Pauses the workload's rollout (`kubectl rollout pause`): template edits wait until
    /// `resume`. Returns false if it was already paused.
    ///
    /// ```rhai
    /// assert(pause("web"));
    /// set_image("web", "web:1.1");
    /// assert(status("web").updated == 0);
    /// resume("web");
    /// ```
    #[rhai_fn(return_raw)]
    pub fn pause(ctx: NativeCallContext, workload: Dynamic) -> RhaiResult<bool> {
        super::set_paused(ctx, workload, true)
    }

    /// Resumes a paused rollout (`kubectl rollout resume`); all edits made while paused roll
    /// out as one revision. Returns false if it was not paused.
    ///
    /// ```rhai
    /// pause("web");
    /// assert(resume("web"));
    /// ```
    #[rhai_fn(return_raw)]
    pub fn resume(ctx: NativeCallContext, workload: Dynamic) -> RhaiResult<bool> {
        super::set_paused(ctx, workload, false)
    }

    /// The workload's status now: `replicas`, `current`, `updated`, `ready`, `available`,
    /// `unavailable`, `revision`, `image` (first container), `images` (container → image),
    /// `paused`, `strategy`, `generation`, `observed_generation`, `conditions`, and the
    /// `kubectl rollout status` verdict as `done`, `message` and `error`.
    ///
    /// ```rhai
    /// let st = status("web");
    /// assert(st.available == 3 && st.image == "web:1.0" && st.done);
    /// ```
    #[rhai_fn(return_raw)]
    pub fn status(ctx: NativeCallContext, workload: Dynamic) -> RhaiResult<Dynamic> {
        let h = host(&ctx)?;
        let w = h.object(&workload, Kind::Deployment, "status")?;
        Ok(convert::status(
            &h.block_on("status", h.backend.status(&w))?,
        ))
    }

    /// The workload's revisions, oldest first (`kubectl rollout history`): maps with
    /// `revision`, `image`, `images`, `replica_set`, `change_cause`, `replicas`, `current`.
    ///
    /// ```rhai
    /// set_image("web", "web:1.1");
    /// wait_ready("web");
    /// let h = history("web");
    /// assert(h.len() == 2 && h[1].current && h[1].image == "web:1.1");
    /// ```
    #[rhai_fn(return_raw)]
    pub fn history(ctx: NativeCallContext, workload: Dynamic) -> RhaiResult<rhai::Array> {
        let h = host(&ctx)?;
        let w = h.object(&workload, Kind::Deployment, "history")?;
        Ok(h.block_on("history", h.backend.history(&w))?
            .iter()
            .map(convert::history)
            .collect())
    }

    /// The workload's pods, oldest first, terminating ones included: maps with `name`,
    /// `status` (`Running`, `CrashLoopBackOff`, `Terminating`, ...), `ready`, `restarts`,
    /// `revision`, `image`, `ip`, `age` (seconds), `replica_set`, `terminating`.
    ///
    /// ```rhai
    /// let ps = pods("web");
    /// assert(ps.len() == 3 && ps.all(|p| p.ready));
    /// ```
    #[rhai_fn(return_raw)]
    pub fn pods(ctx: NativeCallContext, workload: Dynamic) -> RhaiResult<rhai::Array> {
        let h = host(&ctx)?;
        let w = h.object(&workload, Kind::Deployment, "pods")?;
        let now = h.backend.now();
        Ok(h.block_on("pods", h.backend.pods(&w))?
            .iter()
            .map(|p| convert::pod(p, now))
            .collect())
    }

    /// Events about an object and, for a workload, about its ReplicaSets and pods, oldest
    /// first: maps with `time`, `type` (`Normal`/`Warning`), `reason`, `object`, `message`, `count`.
    ///
    /// ```rhai
    /// let evs = events("web");
    /// assert(evs.some(|e| e.reason == "ScalingReplicaSet"));
    /// ```
    #[rhai_fn(return_raw)]
    pub fn events(ctx: NativeCallContext, object: Dynamic) -> RhaiResult<rhai::Array> {
        let h = host(&ctx)?;
        let o = h.object(&object, Kind::Deployment, "events")?;
        Ok(h.block_on("events", h.backend.events(&o))?
            .iter()
            .map(convert::event)
            .collect())
    }
}

fn set_image_impl(
    ctx: NativeCallContext,
    workload: Dynamic,
    container: Option<&str>,
    image: &str,
) -> RhaiResult<Dynamic> {
    let h = host(&ctx)?;
    let w = h.object(&workload, Kind::Deployment, "set_image")?;
    // Every target gets only references its registry could serve.
    rollplay_core::image_ref::parse(image)
        .map_err(|why| bad_argument(&format!("set_image {}", w.short()), why))?;
    crate::api::run_lock::lock_before_change(&h, std::slice::from_ref(&w), "set_image")?;
    let change = h.block_on("set_image", h.backend.set_image(&w, container, image))?;
    if change.changed {
        h.record(
            "set_image",
            &w.short(),
            &w.namespace,
            format!("{}: {} → {}", change.container, change.from, change.to),
            json!({"container": change.container, "from": change.from, "to": change.to}),
        );
    }
    let mut m = rhai::Map::new();
    m.insert("container".into(), change.container.into());
    m.insert("from".into(), change.from.into());
    m.insert("to".into(), change.to.into());
    m.insert("changed".into(), change.changed.into());
    Ok(Dynamic::from_map(m))
}

fn wait_impl(ctx: NativeCallContext, what: Dynamic, timeout: Duration) -> RhaiResult<Dynamic> {
    let h = host(&ctx)?;
    let (wait_for, many) = wait_target(&h, &what)?;
    let deadline = h.deadline(timeout);
    let cancel = h.cancel_token();
    let sink = ProgressToOutput(&h);
    let result = h.block_on(
        "wait_ready",
        wait_ready(h.backend.as_ref(), &wait_for, &deadline, &cancel, &sink),
    );
    h.output.progress_done();
    let statuses = result?;
    Ok(if many {
        Dynamic::from_array(statuses.iter().map(convert::status).collect())
    } else {
        convert::status(&statuses[0])
    })
}

/// What `wait_ready` was given: one workload, an array of them, or a label selector; and
/// whether an array of statuses answers it.
fn wait_target(h: &Host, what: &Dynamic) -> RhaiResult<(WaitFor, bool)> {
    if let Some(text) = what.read_lock::<rhai::ImmutableString>()
        && Selector::looks_like(&text)
    {
        let selector = Selector::parse(&text).map_err(|e| runtime_error(&e, Some("wait_ready")))?;
        return Ok((
            WaitFor::Selected {
                kind: Kind::Deployment,
                namespace: h.namespace(),
                selector,
            },
            true,
        ));
    }
    if let Some(items) = what.read_lock::<rhai::Array>() {
        if items.is_empty() {
            return Err(bad_argument("wait_ready", "the array names no workload"));
        }
        let workloads = items
            .iter()
            .map(|w| h.object(w, Kind::Deployment, "wait_ready"))
            .collect::<RhaiResult<Vec<_>>>()?;
        return Ok((WaitFor::All(workloads), true));
    }
    Ok((
        WaitFor::One(h.object(what, Kind::Deployment, "wait_ready")?),
        false,
    ))
}

fn rollback_impl(ctx: NativeCallContext, workload: Dynamic, to: RollbackTo) -> RhaiResult<Dynamic> {
    let h = host(&ctx)?;
    let w = h.object(&workload, Kind::Deployment, "rollback")?;
    crate::api::run_lock::lock_before_change(&h, std::slice::from_ref(&w), "rollback")?;
    let outcome = h.block_on("rollback", h.backend.rollback(&w, to))?;
    if !outcome.skipped {
        h.record(
            "rollback",
            &w.short(),
            &w.namespace,
            format!("to revision {} ({}), now revision {}", outcome.to_revision.unwrap_or(0), outcome.images.join(", "), outcome.revision_now.unwrap_or(0)),
            json!({"to_revision": outcome.to_revision, "revision": outcome.revision_now, "images": outcome.images, "message": outcome.message}),
        );
    }
    Ok(convert::rollback(&outcome))
}

fn set_paused(ctx: NativeCallContext, workload: Dynamic, paused: bool) -> RhaiResult<bool> {
    let h = host(&ctx)?;
    let primitive = if paused { "pause" } else { "resume" };
    let w = h.object(&workload, Kind::Deployment, primitive)?;
    crate::api::run_lock::lock_before_change(&h, std::slice::from_ref(&w), primitive)?;
    let changed = h.block_on(primitive, h.backend.set_paused(&w, paused))?;
    if changed {
        h.record(
            primitive,
            &w.short(),
            &w.namespace,
            format!(
                "{}/{} {primitive}d",
                w.kind.qualified().to_lowercase(),
                w.name
            ),
            json!({}),
        );
    }
    Ok(changed)
}
