//! The host side of the script layer: what a running script is bound to (backend, namespace,
//! params, journal, output), the sync-Rhai/async-backend bridge, and errors as script values.

use crate::backend::{ClusterBackend, ProgressSink};
use crate::duration::{parse_duration, seconds};
use crate::error::{Error, ErrorClass};
use crate::kind::Kind;
use crate::objref::ObjectRef;
use crate::script::journal::{Action, Journal};
use crate::script::output::{Level, Output};
use parking_lot::Mutex;
use rhai::{Dynamic, EvalAltResult, Map, NativeCallContext, Position};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Everything a script run is bound to.
pub struct Host {
    pub backend: Arc<dyn ClusterBackend>,
    pub handle: tokio::runtime::Handle,
    /// Replaced per evaluation in the REPL (a token cannot be reset).
    pub cancel: Mutex<CancellationToken>,
    pub namespace: Mutex<String>,
    pub params: BTreeMap<String, String>,
    pub params_read: Mutex<BTreeSet<String>>,
    pub journal: Journal,
    pub output: Arc<dyn Output>,
    /// The run's `--timeout` as an instant on the target's clock (seconds since the epoch).
    pub deadline: Option<f64>,
    /// The run's `--timeout` as given.
    pub timeout: Option<Duration>,
    /// The target's clock at the start of the run, for `+hh:mm:ss` stamps on virtual time.
    pub started_at: f64,
    /// Whether `confirm()` may assume yes without a terminal.
    pub assume_yes: bool,
    /// Asks a person yes or no (None when no one can be asked: no terminal).
    pub ask: Option<Asker>,
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
        self.backend
            .note_action(&serde_json::to_value(&recorded).expect("action serialises"));
    }

    /// How long a wait may take: the asked timeout, cut to what the run's deadline leaves.
    /// The flag says whether the run's deadline is what limits it.
    pub fn wait_budget(&self, asked: Duration) -> (Duration, bool) {
        match self.deadline {
            Some(deadline) => {
                let left = seconds((deadline - self.backend.now()).max(0.0)).unwrap_or_default();
                if left < asked {
                    (left, true)
                } else {
                    (asked, false)
                }
            }
            None => (asked, false),
        }
    }

    /// The error for running out of the run's `--timeout`; `what` names the call and its object.
    pub fn deadline_error(&self, primitive: &str, what: &str) -> Box<EvalAltResult> {
        let virtual_note = if self.backend.virtual_time() {
            " (virtual time)"
        } else {
            ""
        };
        let limit = self
            .timeout
            .map(|t| format!(" of {}", crate::duration::format_duration(t)))
            .unwrap_or_default();
        runtime_error(
            &Error::Cancelled {
                what: what.into(),
                why: format!("the run's --timeout{limit} expired{virtual_note}"),
            },
            Some(primitive),
        )
    }
}

/// `+hh:mm:ss` since the run started on virtual time, wall-clock RFC 3339 otherwise.
pub fn stamp(backend: &dyn ClusterBackend, started_at: f64) -> String {
    let now = backend.now();
    if backend.virtual_time() {
        crate::sim::time::clock(((now - started_at).max(0.0) * 1000.0).round() as u64)
    } else {
        crate::timefmt::rfc3339(now as i64)
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
/// with `kind`, `name` and `namespace` (what `apply()` and `get()` return).
pub fn object_ref(value: &Dynamic, default_kind: Kind, primitive: &str) -> RhaiResult<ObjectRef> {
    if let Some(s) = value.read_lock::<rhai::ImmutableString>() {
        return ObjectRef::parse(&s, default_kind).map_err(|e| runtime_error(&e, Some(primitive)));
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
        let namespace = text(&map, "namespace")
            .or_else(|| meta.as_ref().and_then(|m| text(m, "namespace")))
            .filter(|n| !n.is_empty());
        let kind = match text(&map, "kind") {
            Some(k) => Kind::parse(&k).ok_or_else(|| {
                bad_argument(
                    primitive,
                    format!("unknown kind \"{k}\"; known kinds: {}", Kind::known_names()),
                )
            })?,
            None => default_kind,
        };
        let Some(name) = name else {
            return Err(bad_argument(
                primitive,
                "the map names no object: expected `name` (or `metadata.name`)",
            ));
        };
        return Ok(ObjectRef {
            kind,
            namespace,
            name,
        });
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
