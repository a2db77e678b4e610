//! Running one playbook against a backend: resolve it, compile it (syntax errors stop here,
//! nothing changed), run it on a blocking thread bound to the host, and report the outcome.

use super::diagnostic::ScriptError;
use super::engine::new_engine;
use super::journal::Action;
use super::output::Output;
use super::stdlib;
use crate::api::host::{AbortPath, Host};
use crate::target::Connection;
use parking_lot::Mutex;
use rhai::Dynamic;
use rollplay_core::backend::ClusterBackend;
use rollplay_core::error::{Error, ErrorClass, Result};
use rollplay_core::wait::Deadline;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// A playbook to run: a built-in or a file.
#[derive(Debug, Clone)]
pub struct Playbook {
    /// `rolling` or the path as given.
    pub name: String,
    /// How errors name it: `playbooks/rolling.rhai` or the path.
    pub file: String,
    pub source: String,
    /// Where `import "x"` looks for `x.rhai`.
    pub dir: Option<PathBuf>,
}

impl Playbook {
    /// A built-in name, or a path to a `.rhai` file (paths win when they contain a `/` or end in `.rhai`).
    pub fn resolve(arg: &str) -> Result<Playbook> {
        let looks_like_path = arg.contains('/') || arg.ends_with(".rhai");
        if !looks_like_path && let Some(source) = stdlib::playbook(arg) {
            return Ok(Playbook {
                name: arg.into(),
                file: format!("playbooks/{arg}.rhai"),
                source: source.into(),
                dir: None,
            });
        }
        let path = PathBuf::from(arg);
        match std::fs::read_to_string(&path) {
            Ok(source) => {
                let dir = path.parent().map(|p| {
                    if p.as_os_str().is_empty() {
                        PathBuf::from(".")
                    } else {
                        p.to_path_buf()
                    }
                });
                Ok(Playbook {
                    name: arg.into(),
                    file: arg.into(),
                    source,
                    dir,
                })
            }
            Err(e) => {
                let builtin: Vec<&str> = stdlib::PLAYBOOKS.iter().map(|(n, _)| *n).collect();
                let hint = rollplay_core::suggest::hint(arg, builtin.iter().copied());
                Err(Error::bad_input(
                    format!("playbook \"{arg}\""),
                    format!(
                        "not a built-in playbook{hint} and not a readable file ({e}); built-in: {}",
                        builtin.join(", ")
                    ),
                ))
            }
        }
    }

    /// Finds a script's source by the name errors use.
    pub fn source_of(&self, name: &str) -> Option<String> {
        if name == self.file {
            return Some(self.source.clone());
        }
        if let Some(s) = stdlib::module(name) {
            return Some(s.to_string());
        }
        std::fs::read_to_string(name).ok()
    }
}

/// How to run.
pub struct RunOptions {
    pub namespace: String,
    /// The namespace was given by the user (`-n`), not defaulted: manifests that carry
    /// another namespace are bad input, as with kubectl.
    pub namespace_pinned: bool,
    /// How long the abort path may take once `timeout` expired (`--abort-timeout`).
    pub abort_timeout: Duration,
    /// The most operations the script may run (`--max-operations`): a loop that never ends
    /// is stopped with a message instead of spinning until the run's timeout.
    pub max_operations: u64,
    /// `--force-unlock`: take the run lock on a workload even while another run holds it.
    pub force_unlock: bool,
    pub params: BTreeMap<String, String>,
    /// The run's budget on the target's clock (virtual on the simulator).
    pub timeout: Option<Duration>,
    pub output: Arc<dyn Output>,
    pub assume_yes: bool,
    /// How `confirm()` asks a person (None: no terminal).
    pub ask: Option<crate::api::host::Asker>,
    /// Cancelled by the second Ctrl-C: the run stops where it is.
    pub cancel: CancellationToken,
    /// Cancelled by the first Ctrl-C or SIGTERM: the running primitive is cancelled and the
    /// playbook's abort path runs, as when the run's `--timeout` expires.
    pub interrupt: CancellationToken,
    /// Every metrics report the run reads is written here (`--record FILE`).
    pub record: Option<Arc<crate::record::MetricsRecord>>,
}

/// What a run did.
#[derive(Debug, Clone)]
pub struct RunReport {
    pub ok: bool,
    /// 0 done, 1 failed or rolled back, 2 bad input, 130 interrupted.
    pub exit_code: i32,
    pub result: Value,
    pub error: Option<ScriptError>,
    pub actions: Vec<Action>,
    pub wall: Duration,
    /// Time that passed on the target's clock.
    pub target_seconds: f64,
    /// `--set` keys the playbook never read.
    pub unread_params: Vec<String>,
    /// Where every workload the run changed stands at its end: the stated state after a
    /// failure, an interruption or a timeout.
    pub state: Vec<WorkloadState>,
}

/// One changed workload at the end of a run.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct WorkloadState {
    pub object: String,
    pub namespace: String,
    pub revision: Option<i64>,
    pub images: Vec<String>,
    pub replicas: i32,
    pub updated: i32,
    pub available: i32,
    pub paused: bool,
    pub rolled_out: bool,
    /// The `kubectl rollout status` line (or error) now.
    pub status: String,
}

impl WorkloadState {
    /// `deployment/web (demo): revision 3, web:1.0, 3/3 available, rolled out`.
    pub fn line(&self) -> String {
        let ns = if self.namespace.is_empty() {
            String::new()
        } else {
            format!(" ({})", self.namespace)
        };
        let revision = self
            .revision
            .map(|r| format!("revision {r}, "))
            .unwrap_or_default();
        let how = if self.rolled_out {
            "rolled out".to_string()
        } else if self.paused {
            format!("paused: {}", self.status)
        } else {
            format!("not rolled out: {}", self.status)
        };
        format!(
            "{}{ns}: {revision}{}, {}/{} available, {how}",
            self.object,
            self.images.join(", "),
            self.available,
            self.replicas
        )
    }
}

/// The state of every Deployment the journal shows the run changed.
async fn final_state(backend: &dyn ClusterBackend, actions: &[Action]) -> Vec<WorkloadState> {
    let mut seen = std::collections::BTreeSet::new();
    let mut out = Vec::new();
    for a in actions {
        let Some(name) = a.object.strip_prefix("deployment/") else {
            continue;
        };
        if !seen.insert((a.namespace.clone(), name.to_string())) {
            continue;
        }
        let object = rollplay_core::objref::ObjectRef::new(
            rollplay_core::kind::Kind::Deployment,
            &a.namespace,
            name,
        );
        let Ok(st) = backend.status(&object).await else {
            continue;
        };
        out.push(WorkloadState {
            object: a.object.clone(),
            namespace: a.namespace.clone(),
            revision: st.revision,
            images: st.images.iter().map(|(_, i)| i.clone()).collect(),
            replicas: st.replicas,
            updated: st.updated,
            available: st.available,
            paused: st.paused,
            rolled_out: st.done(),
            status: st
                .error
                .map(|e| format!("error: {e}"))
                .unwrap_or(st.message),
        });
    }
    out
}

/// Compiled playbooks, by file name and source: running the same playbook again in one process
/// (the REPL, benchmarks, experiments) does not parse it again.
type CompiledKey = (String, u64);

static COMPILED: std::sync::Mutex<Option<std::collections::HashMap<CompiledKey, Arc<rhai::AST>>>> =
    std::sync::Mutex::new(None);

/// Built-in playbooks (no directory to import modules from) that passed `check`: their calls
/// resolve the same way in every run of this process.
static CHECKED: std::sync::Mutex<Option<std::collections::HashSet<CompiledKey>>> =
    std::sync::Mutex::new(None);

fn compiled_key(playbook: &Playbook) -> CompiledKey {
    use std::hash::{Hash, Hasher};
    let mut h = std::hash::DefaultHasher::new();
    playbook.source.hash(&mut h);
    (playbook.file.clone(), h.finish())
}

/// `check`, remembered for playbooks that cannot import files.
fn checked(
    engine: &rhai::Engine,
    ast: &rhai::AST,
    playbook: &Playbook,
) -> Result<(), Box<ScriptError>> {
    let key = compiled_key(playbook);
    let cacheable = playbook.dir.is_none();
    if cacheable
        && CHECKED
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .is_some_and(|c| c.contains(&key))
    {
        return Ok(());
    }
    super::check::check(engine, ast, &playbook.file, &playbook.source)?;
    if cacheable {
        let mut cache = CHECKED.lock().unwrap_or_else(|e| e.into_inner());
        let cache = cache.get_or_insert_with(Default::default);
        if cache.len() >= 64 {
            cache.clear();
        }
        cache.insert(key);
    }
    Ok(())
}

fn compiled(
    engine: &rhai::Engine,
    playbook: &Playbook,
) -> Result<Arc<rhai::AST>, rhai::ParseError> {
    let key = compiled_key(playbook);
    if let Some(ast) = COMPILED
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .as_ref()
        .and_then(|c| c.get(&key))
    {
        return Ok(ast.clone());
    }
    let mut ast = engine.compile(&playbook.source)?;
    ast.set_source(playbook.file.clone());
    let ast = Arc::new(ast);
    let mut cache = COMPILED.lock().unwrap_or_else(|e| e.into_inner());
    let cache = cache.get_or_insert_with(Default::default);
    if cache.len() >= 64 {
        cache.clear();
    }
    cache.insert(key, ast.clone());
    Ok(ast)
}

/// Forgets compiled playbooks (benchmarks measure compiling with this).
pub fn clear_cache() {
    *COMPILED.lock().unwrap_or_else(|e| e.into_inner()) = None;
    *CHECKED.lock().unwrap_or_else(|e| e.into_inner()) = None;
}

/// Compiles and runs a playbook; never panics on script problems, always reports.
pub async fn run(target: Connection, playbook: &Playbook, opts: RunOptions) -> RunReport {
    let started = Instant::now();
    let backend = target.backend.clone();
    let t0 = backend.now();
    // The run's own token: the run's --timeout cancels it without cancelling the caller's.
    let cancel = opts.cancel.child_token();
    let timed_out = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let interrupted = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let host = Arc::new(Host {
        backend: backend.clone(),
        rehearsal: target.rehearsal.clone(),
        handle: tokio::runtime::Handle::current(),
        cancel: Mutex::new(cancel.clone()),
        namespace: Mutex::new(opts.namespace.clone()),
        namespace_pinned: opts.namespace_pinned.then(|| opts.namespace.clone()),
        params: opts.params.clone(),
        params_read: Mutex::new(Default::default()),
        journal: Default::default(),
        output: opts.output.clone(),
        deadline: Mutex::new(opts.timeout.map(|d| Deadline::run(t0, d))),
        abort: AbortPath {
            grace: Some(opts.abort_timeout),
            caller: opts.cancel.clone(),
            timed_out: timed_out.clone(),
            interrupted: interrupted.clone(),
            opened: Default::default(),
        },
        started_at: t0,
        assume_yes: opts.assume_yes,
        ask: opts.ask.clone(),
        record: opts.record.clone(),
        secrets: Default::default(),
        locks: crate::api::run_lock::RunLocks::new(
            rollplay_core::backend::LockHolder {
                identity: crate::api::run_lock::holder_identity(&playbook.name),
                ttl: crate::api::run_lock::LOCK_TTL,
            },
            opts.force_unlock,
        ),
    });
    let mut engine = new_engine(Some(host.clone()), playbook.dir.as_deref());
    engine.set_max_operations(opts.max_operations);
    let finish = |result: Value, error: Option<ScriptError>| {
        let exit_code = match &error {
            None => 0,
            // Exit code 2 promises that nothing changed; after a change it is a failed run.
            Some(e) if e.class == ErrorClass::BadInput && host.journal.is_empty() => 2,
            // An interrupted run ends as a shell expects of SIGINT, its state stated.
            Some(_) if interrupted.load(std::sync::atomic::Ordering::SeqCst) => 130,
            Some(_) => 1,
        };
        let read = host.params_read.lock().clone();
        RunReport {
            ok: error.is_none(),
            exit_code,
            result,
            error,
            actions: host.journal.all(),
            wall: started.elapsed(),
            target_seconds: backend.now() - t0,
            unread_params: opts
                .params
                .keys()
                .filter(|k| !read.contains(*k))
                .cloned()
                .collect(),
            state: Vec::new(),
        }
    };
    let ast = match compiled(&engine, playbook) {
        Ok(ast) => match checked(&engine, &ast, playbook) {
            Ok(()) => ast,
            Err(e) => return finish(Value::Null, Some(*e)),
        },
        Err(e) => {
            return finish(
                Value::Null,
                Some(ScriptError::from_parse(
                    &e,
                    &playbook.file,
                    &playbook.source,
                )),
            );
        }
    };

    // A wall-clock budget on real targets; on the simulator --timeout is virtual time and the
    // primitives enforce it.
    let timer = opts.timeout.filter(|_| !backend.virtual_time()).map(|t| {
        let token = cancel.clone();
        let flag = timed_out.clone();
        tokio::spawn(async move {
            tokio::time::sleep(t).await;
            flag.store(true, std::sync::atomic::Ordering::SeqCst);
            token.cancel();
        })
    });
    let interruption = {
        let (interrupt, run, flag) = (opts.interrupt.clone(), cancel.clone(), interrupted.clone());
        tokio::spawn(async move {
            interrupt.cancelled().await;
            flag.store(true, std::sync::atomic::Ordering::SeqCst);
            run.cancel();
        })
    };
    let renewing = tokio_util::sync::CancellationToken::new();
    let renewal = tokio::spawn(crate::api::run_lock::renew_until(
        host.clone(),
        renewing.clone(),
    ));
    let outcome = tokio::task::spawn_blocking(move || engine.eval_ast::<Dynamic>(&ast)).await;
    if let Some(timer) = timer {
        timer.abort();
    }
    interruption.abort();
    renewing.cancel();
    let _ = renewal.await;
    crate::api::run_lock::release_all(&host).await;
    let mut report = match outcome {
        Err(panic) => finish(
            Value::Null,
            Some(ScriptError {
                message: format!("internal error: the script thread panicked: {panic}"),
                class: ErrorClass::Failed,
                kind: "internal".into(),
                file: playbook.file.clone(),
                line: None,
                column: None,
                source_line: None,
                trace: Vec::new(),
                hint: None,
                details: None,
            }),
        ),
        Ok(Ok(value)) => {
            let result = rhai::serde::from_dynamic::<Value>(&value)
                .unwrap_or_else(|_| Value::String(value.to_string()));
            finish(result, None)
        }
        Ok(Err(e)) => {
            let known = crate::api::primitive_names();
            let lookup = |name: &str| playbook.source_of(name);
            let mut error = ScriptError::from_eval(&e, &playbook.file, &lookup, &known);
            // A cancelled primitive only knows it was cancelled; the run knows why.
            let unexplained = error.kind == "cancelled" && error.message.contains("(interrupted)");
            if unexplained && interrupted.load(std::sync::atomic::Ordering::SeqCst) {
                error.message = "cancelled: the run was interrupted".into();
            } else if unexplained && timed_out.load(std::sync::atomic::Ordering::SeqCst) {
                error.message = "cancelled: the run's --timeout expired".into();
            }
            if error.kind == "too_many_operations" {
                error.message = format!(
                    "the script ran more than {} operations (--max-operations)",
                    opts.max_operations
                );
                error.hint = Some(
                    "does a loop never end? wait with wait_ready() or sleep() instead of spinning; if the work is real, raise --max-operations"
                        .into(),
                );
            }
            // What a playbook attached to its failure is its outcome: a canary's verdict, say.
            let result = error.details.clone().unwrap_or(Value::Null);
            finish(result, Some(error))
        }
    };
    report.state = final_state(backend.as_ref(), &report.actions).await;
    report
}
