//! The host side of the script layer: what a running script is bound to (backend, namespace,
//! params, journal, output), the sync-Rhai/async-backend bridge, and errors as script values.

use crate::journal::{Action, Journal};
use crate::output::{Level, Output};
use parking_lot::Mutex;
use rhai::{Dynamic, EvalAltResult, Map, NativeCallContext, Position};
use rollplay_core::backend::{ClusterBackend, ProgressSink, Rehearsal};
use rollplay_core::duration::{parse_duration, seconds};
use rollplay_core::error::{Error, ErrorClass};
use rollplay_core::kind::Kind;
use rollplay_core::objref::ObjectRef;
use rollplay_core::wait::Deadline;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Everything a script run is bound to.
pub struct Host {
    pub backend: Arc<dyn ClusterBackend>,
    /// Where `sim_replay` runs its fresh simulators.
    pub rehearsal: Arc<dyn Rehearsal>,
    pub handle: tokio::runtime::Handle,
    /// Replaced per evaluation in the REPL (a token cannot be reset).
    pub cancel: Mutex<CancellationToken>,
    pub namespace: Mutex<String>,
    /// The namespace the user named (`-n`): manifests for another one are refused.
    pub namespace_pinned: Option<String>,
    pub params: BTreeMap<String, String>,
    pub params_read: Mutex<BTreeSet<String>>,
    pub journal: Journal,
    pub output: Arc<dyn Output>,
    /// The run's `--timeout`, as an instant on the target's clock; once the abort path is
    /// taken, the end of its grace.
    pub deadline: Mutex<Option<Deadline>>,
    /// What a run may still do after its `--timeout`.
    pub abort: AbortPath,
    /// The target's clock at the start of the run, for `+hh:mm:ss` stamps on virtual time.
    pub started_at: f64,
    /// Whether `confirm()` may assume yes without a terminal.
    pub assume_yes: bool,
    /// Asks a person yes or no (None when no one can be asked: no terminal).
    pub ask: Option<Asker>,
    /// Where every metrics report read is written (`--record FILE`).
    pub record: Option<Arc<crate::record::MetricsRecord>>,
    /// The Secrets read from manifests, whose values scripts see redacted.
    pub secrets: crate::api::secrets::SecretsRead,
    /// The run's locks on the workloads it changes.
    pub locks: crate::api::run_lock::RunLocks,
}

/// The grace after a run's `--timeout` expired or it was interrupted (the first Ctrl-C or
/// SIGTERM): the playbook's abort path (a rollback, the selector restored) runs within
/// `--abort-timeout` instead of leaving a half-done rollout.
#[derive(Default)]
pub struct AbortPath {
    /// `--abort-timeout`; None where there is no run to abort (the REPL).
    pub grace: Option<Duration>,
    /// The caller's token (Ctrl-C): the abort path's own token is a child of it.
    pub caller: CancellationToken,
    /// Set when the run's `--timeout` fired (by the wall-clock timer on real targets, when the
    /// abort path opens on virtual time).
    pub timed_out: Arc<std::sync::atomic::AtomicBool>,
    /// Set by the first Ctrl-C or SIGTERM.
    pub interrupted: Arc<std::sync::atomic::AtomicBool>,
    /// The grace is given once.
    pub opened: std::sync::atomic::AtomicBool,
}

/// Asks a yes/no question on a terminal; the answer, or None if nobody answered.
pub type Asker = Arc<dyn Fn(&str) -> Option<bool> + Send + Sync>;

/// The host as a script-engine tag (`Engine::set_default_tag`).
#[derive(Clone)]
pub struct HostHandle(pub Arc<Host>);

pub type RhaiResult<T> = Result<T, Box<EvalAltResult>>;

/// The host of the running script.
pub fn host(ctx: &NativeCallContext) -> RhaiResult<Arc<Host>> {
    ctx.tag()
        .and_then(|t| t.clone().try_cast::<HostHandle>())
        .map(|h| h.0)
        .ok_or_else(|| {
            runtime_error(
                &Error::bad_input("script", "no cluster is attached to this script engine"),
                None,
            )
        })
}

/// An engine error as a script error value: a map with `message`, `kind`, `class` (and
/// `hint`), catchable with `try`/`catch`, positioned at the call site by the engine.
pub fn runtime_error(e: &Error, primitive: Option<&str>) -> Box<EvalAltResult> {
    let mut m = Map::new();
    m.insert("message".into(), e.to_string().into());
    m.insert("kind".into(), e.kind().into());
    m.insert("class".into(), class_name(e.class()).into());
    if let Some(p) = primitive {
        m.insert("primitive".into(), p.into());
    }
    Box::new(EvalAltResult::ErrorRuntime(
        Dynamic::from_map(m),
        Position::NONE,
    ))
}

pub fn class_name(c: ErrorClass) -> &'static str {
    match c {
        ErrorClass::BadInput => "bad_input",
        ErrorClass::Failed => "failed",
    }
}

/// A script-level failure (`fail()`), exit code 1.
pub fn failure(message: String) -> Box<EvalAltResult> {
    let mut m = Map::new();
    m.insert("message".into(), message.into());
    m.insert("kind".into(), "failed".into());
    m.insert("class".into(), "failed".into());
    Box::new(EvalAltResult::ErrorRuntime(
        Dynamic::from_map(m),
        Position::NONE,
    ))
}

/// Bad arguments to a primitive, exit code 2.
pub fn bad_argument(primitive: &str, message: impl Into<String>) -> Box<EvalAltResult> {
    runtime_error(&Error::bad_input(primitive, message), Some(primitive))
}

impl Host {
    pub fn cancel_token(&self) -> CancellationToken {
        self.cancel.lock().clone()
    }

    pub fn namespace(&self) -> String {
        self.namespace.lock().clone()
    }

    /// The simulator's controls, or the error naming the capability the target lacks.
    pub fn simulator(
        &self,
        primitive: &str,
    ) -> RhaiResult<&dyn rollplay_core::backend::SimControls> {
        self.backend.simulator().ok_or_else(|| {
            runtime_error(
                &self
                    .backend
                    .missing(rollplay_core::backend::Capability::Simulator, primitive),
                Some(primitive),
            )
        })
    }

    /// A reference from a script value, resolved in the run's namespace.
    pub fn object(
        &self,
        value: &Dynamic,
        default_kind: Kind,
        primitive: &str,
    ) -> RhaiResult<ObjectRef> {
        object_ref(value, default_kind, &self.namespace(), primitive)
    }

    /// Runs a backend call to completion from the script thread, racing the cancel token.
    pub fn block_on<T>(
        &self,
        primitive: &str,
        fut: impl Future<Output = Result<T, Error>>,
    ) -> RhaiResult<T> {
        let cancel = self.cancel_token();
        let result = self.handle.block_on(async move {
            tokio::select! {
                biased;
                _ = cancel.cancelled() => Err(Error::Cancelled { what: primitive.to_string(), why: "interrupted".into() }),
                r = fut => r,
            }
        });
        result.map_err(|e| runtime_error(&e, Some(primitive)))
    }

    /// The target's clock as log lines show it.
    pub fn stamp(&self) -> String {
        stamp(self.backend.as_ref(), self.started_at)
    }

    pub fn log(&self, level: Level, message: &str) {
        self.output.log(level, message, &self.stamp());
    }

    /// Records a mutating action in the journal and the target's trace.
    pub fn record(
        &self,
        action: &str,
        object: &str,
        namespace: &str,
        summary: String,
        detail: Value,
    ) {
        let recorded = self.journal.record(Action {
            seq: 0,
            at: self.stamp(),
            action: action.to_string(),
            object: object.to_string(),
            namespace: namespace.to_string(),
            target: self.backend.target().to_string(),
            summary,
            detail,
        });
        if let Some(sim) = self.backend.simulator() {
            sim.note_action(&serde_json::to_value(&recorded).expect("action serialises"));
        }
    }

    /// The deadline of a wait or sleep of `asked`: its own, or the run's when that comes
    /// first (the error at the deadline says which).
    pub fn deadline(&self, asked: Duration) -> Deadline {
        Deadline::within(self.backend.now(), asked, *self.deadline.lock())
    }

    /// Whether the run's `--timeout` has expired (on the target's clock, or by the wall-clock
    /// timer on real targets).
    pub fn run_timed_out(&self) -> bool {
        use std::sync::atomic::Ordering;
        self.abort.timed_out.load(Ordering::SeqCst)
            || self.deadline.lock().is_some_and(|d| {
                matches!(d.limit, rollplay_core::wait::Limit::Run(_)) && self.backend.now() >= d.at
            })
    }

    /// Why the run is being cut short, if it is: `the run's --timeout expired` or `the run
    /// was interrupted`.
    pub fn abort_reason(&self) -> Option<&'static str> {
        use std::sync::atomic::Ordering;
        if self.abort.interrupted.load(Ordering::SeqCst) {
            Some("the run was interrupted")
        } else if self.run_timed_out() {
            Some("the run's --timeout expired")
        } else {
            None
        }
    }

    /// Opens the abort path's grace once the run's `--timeout` expired or the run was
    /// interrupted: a fresh cancellation token (a second Ctrl-C still ends it) and a deadline
    /// `--abort-timeout` from now. False when the run is not being cut short, the grace was
    /// given already, or there is none.
    pub fn open_abort_path(&self) -> bool {
        use std::sync::atomic::Ordering;
        let Some(grace) = self.abort.grace else {
            return false;
        };
        let Some(reason) = self.abort_reason() else {
            return false;
        };
        if self.abort.opened.swap(true, Ordering::SeqCst) {
            return false;
        }
        let timed_out = !self.abort.interrupted.load(Ordering::SeqCst);
        // The deadline is replaced below: the reason must outlive it.
        if timed_out {
            self.abort.timed_out.store(true, Ordering::SeqCst);
        }
        *self.cancel.lock() = self.abort.caller.child_token();
        let run_limit = self
            .deadline
            .lock()
            .replace(Deadline::abort(self.backend.now(), grace))
            .and_then(|d| match d.limit {
                rollplay_core::wait::Limit::Run(limit) => Some(limit),
                _ => None,
            });
        let format = rollplay_core::duration::format_duration;
        let why = if !timed_out {
            reason.to_string()
        } else {
            format!(
                "the run's --timeout{} expired{}",
                run_limit
                    .map(|l| format!(" of {}", format(l)))
                    .unwrap_or_default(),
                if self.backend.virtual_time() {
                    " (virtual time)"
                } else {
                    ""
                },
            )
        };
        self.log(
            Level::Warn,
            &format!(
                "{why}: taking the abort path (--abort-timeout {})",
                format(grace)
            ),
        );
        true
    }

    /// The error for reaching `deadline` in `what` (`wait_ready(deployment/web)`).
    pub fn expired(&self, deadline: &Deadline, primitive: &str, what: &str) -> Box<EvalAltResult> {
        runtime_error(
            &deadline.expired(
                what,
                what,
                self.backend.target(),
                "",
                self.backend.virtual_time(),
            ),
            Some(primitive),
        )
    }
}

/// `+hh:mm:ss` since the run started on virtual time, wall-clock RFC 3339 otherwise.
pub fn stamp(backend: &dyn ClusterBackend, started_at: f64) -> String {
    let now = backend.now();
    if backend.virtual_time() {
        rollplay_core::timefmt::elapsed(((now - started_at).max(0.0) * 1000.0).round() as u64)
    } else {
        rollplay_core::timefmt::rfc3339(now as i64)
    }
}

/// Forwards wait progress to the run's output.
pub struct ProgressToOutput<'a>(pub &'a Host);

impl ProgressSink for ProgressToOutput<'_> {
    fn progress(&self, object: &str, line: &str, _at: f64) {
        self.0.output.progress(object, line, &self.0.stamp());
    }
}

/// A workload or object reference from a script value: `"web"`, `"deployment/web"`, or a map
/// with `kind`, `name` and `namespace` (what `apply()` and `get()` return), resolved in
/// `namespace` when it names none.
pub fn object_ref(
    value: &Dynamic,
    default_kind: Kind,
    namespace: &str,
    primitive: &str,
) -> RhaiResult<ObjectRef> {
    if let Some(s) = value.read_lock::<rhai::ImmutableString>() {
        return ObjectRef::parse(&s, default_kind, namespace)
            .map_err(|e| runtime_error(&e, Some(primitive)));
    }
    // Borrowed, not cloned: the map may be a whole manifest.
    if let Some(map) = value.read_lock::<Map>() {
        let text = |m: &Map, k: &str| {
            m.get(k).and_then(|v| {
                v.read_lock::<rhai::ImmutableString>()
                    .map(|s| s.to_string())
            })
        };
        let meta = map.get("metadata").and_then(|m| m.read_lock::<Map>());
        let name = text(&map, "name").or_else(|| meta.as_ref().and_then(|m| text(m, "name")));
        let named_namespace = text(&map, "namespace")
            .or_else(|| meta.as_ref().and_then(|m| text(m, "namespace")))
            .filter(|n| !n.is_empty());
        let kind = match (text(&map, "kind"), text(&map, "apiVersion")) {
            // A whole manifest names its kind exactly, custom kinds included.
            (Some(k), Some(api_version)) => Kind::resolve(&api_version, &k),
            (Some(k), None) => Kind::parse(&k).ok_or_else(|| {
                bad_argument(
                    primitive,
                    format!("unknown kind \"{k}\"; known kinds: {}", Kind::known_names()),
                )
            })?,
            (None, _) => default_kind,
        };
        let Some(name) = name else {
            return Err(bad_argument(
                primitive,
                "the map names no object: expected `name` (or `metadata.name`)",
            ));
        };
        return Ok(ObjectRef::new(
            kind,
            named_namespace.as_deref().unwrap_or(namespace),
            &name,
        ));
    }
    Err(bad_argument(
        primitive,
        format!(
            "expected a name like \"web\" or \"deployment/web\", or an object map; got {}",
            value.type_name()
        ),
    ))
}

/// A duration from a script value: `"90s"`, `"5m"`, or a number of seconds.
pub fn duration(value: &Dynamic, primitive: &str) -> RhaiResult<Duration> {
    if let Some(s) = value.clone().try_cast::<rhai::ImmutableString>() {
        return parse_duration(&s).map_err(|e| runtime_error(&e, Some(primitive)));
    }
    let secs = if let Ok(i) = value.as_int() {
        Some(i as f64)
    } else {
        value.as_float().ok()
    };
    secs.and_then(seconds).ok_or_else(|| {
        bad_argument(
            primitive,
            format!(
                "expected a duration like \"90s\", \"5m\" or a number of seconds; got {}",
                value.type_name()
            ),
        )
    })
}

/// A script value as JSON (maps and arrays recursively).
pub fn to_json(value: &Dynamic, primitive: &str) -> RhaiResult<Value> {
    rhai::serde::from_dynamic::<Value>(value)
        .map_err(|e| bad_argument(primitive, format!("cannot use this value: {e}")))
}

/// JSON as a script value.
pub fn from_json(value: &Value) -> Dynamic {
    rhai::serde::to_dynamic(value).unwrap_or(Dynamic::UNIT)
}
