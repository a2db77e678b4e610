//! One run per workload: before a run's first change to a Deployment or a Service, it takes
//! the target's lock on it (a Lease on Kubernetes), renews it while it runs and releases it
//! at the end. Another run's lock stops the change with exit 2 naming the holder; a lock left
//! by a run that died is taken over once it expired, or at once with `--force-unlock`.

use crate::api::host::{Host, RhaiResult, runtime_error};
use crate::output::Level;
use parking_lot::Mutex;
use rollplay_core::backend::{LockHolder, LockOutcome};
use rollplay_core::error::Error;
use rollplay_core::kind::Kind;
use rollplay_core::objref::ObjectRef;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// How long a lock counts without a renewal: a killed run's lock is free this long after its
/// last renewal. Renewed every third of it.
pub const LOCK_TTL: Duration = Duration::from_secs(60);

/// The locks of one run.
#[derive(Default)]
pub struct RunLocks {
    /// Who this run is; None where nothing is locked (the REPL, checks without a run).
    pub holder: Option<LockHolder>,
    /// `--force-unlock`: take a lock another run holds.
    pub force: bool,
    /// The objects this run has locked, and whether the target keeps a lock to renew.
    held: Mutex<BTreeMap<ObjectRef, bool>>,
    /// The target has no lock: said once per run.
    warned: AtomicBool,
}

/// The identity a run's locks carry: what it runs, its process and its machine.
pub fn holder_identity(playbook: &str) -> String {
    let host = std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "localhost".into());
    format!(
        "rollplay run {playbook}, pid {} on {host}",
        std::process::id()
    )
}

fn lockable(object: &ObjectRef) -> bool {
    matches!(object.kind, Kind::Deployment | Kind::Service)
}

impl RunLocks {
    /// The locks of a run by `holder`, taking other runs' locks with `force`.
    pub fn new(holder: LockHolder, force: bool) -> RunLocks {
        RunLocks {
            holder: Some(holder),
            force,
            ..Default::default()
        }
    }

    /// The locks the target keeps, to renew and to release.
    pub fn renewable(&self) -> Vec<ObjectRef> {
        self.held
            .lock()
            .iter()
            .filter(|(_, renew)| **renew)
            .map(|(o, _)| o.clone())
            .collect()
    }
}

/// Locks every Deployment and Service among `objects` this run has not locked yet, before
/// `primitive` changes them. Returns those that could not be locked because their namespace
/// does not exist yet (a first install): the caller locks them once it has created it.
pub fn lock_before_change(
    h: &Host,
    objects: &[ObjectRef],
    primitive: &str,
) -> RhaiResult<Vec<ObjectRef>> {
    let Some(holder) = &h.locks.holder else {
        return Ok(Vec::new());
    };
    let mut deferred = Vec::new();
    for object in objects.iter().filter(|o| lockable(o)) {
        if h.locks.held.lock().contains_key(object) {
            continue;
        }
        let taken = h.block_on(primitive, async {
            Ok(h.backend.lock(object, holder, h.locks.force).await)
        })?;
        let renew = match taken {
            Ok(LockOutcome::Held { took_over }) => {
                if let Some(previous) = took_over {
                    h.log(
                        Level::Warn,
                        &format!("{}: took over the run lock of {previous}", object.short()),
                    );
                }
                true
            }
            Ok(LockOutcome::Private) => false,
            // The namespace the lock goes in does not exist yet.
            Err(Error::NotFound { .. }) => {
                deferred.push(object.clone());
                continue;
            }
            Err(e @ Error::Unsupported { .. }) => {
                if !h.locks.warned.swap(true, Ordering::SeqCst) {
                    h.log(Level::Warn, &e.to_string());
                }
                false
            }
            Err(e) => return Err(runtime_error(&e, Some(primitive))),
        };
        h.locks.held.lock().insert(object.clone(), renew);
    }
    Ok(deferred)
}

/// Renews every lock the run holds, every third of their time to live, until `stop`. A lock
/// another run took meanwhile (with `--force-unlock`) is reported: this run no longer owns
/// the workload.
pub async fn renew_until(h: std::sync::Arc<Host>, stop: tokio_util::sync::CancellationToken) {
    let Some(holder) = h.locks.holder.clone() else {
        return;
    };
    let every = holder.ttl / 3;
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(every) => {}
        }
        for object in h.locks.renewable() {
            if let Err(e) = h.backend.lock(&object, &holder, false).await {
                h.log(
                    Level::Warn,
                    &format!("{}: the run lock could not be renewed: {e}", object.short()),
                );
            }
        }
    }
}

/// Releases every lock the run holds; a failure is said, and the lock expires on its own.
pub async fn release_all(h: &Host) {
    let Some(holder) = &h.locks.holder else {
        return;
    };
    for object in h.locks.renewable() {
        if let Err(e) = h.backend.unlock(&object, holder).await {
            h.log(
                Level::Warn,
                &format!(
                    "{}: the run lock was not released ({e}); it expires {} s after its last renewal",
                    object.short(),
                    holder.ttl.as_secs()
                ),
            );
        }
    }
    h.locks.held.lock().clear();
}
