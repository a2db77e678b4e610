//! An interactive session: entries evaluated one after another against one target, with
//! variables, functions and imports kept between entries, `help()`, the `:commands`, and
//! completion. The `rollplay repl` line editor drives it; tests drive it directly.

mod complete;
mod help;
pub mod render;

use crate::api::host::{Asker, Host};
use crate::diagnostic::ScriptError;
use crate::engine::new_engine;
use crate::output::Output;
use crate::target::{Connection, Target, TargetOptions};
use parking_lot::Mutex;
use rhai::{AST, Dynamic, Engine, ParseErrorType, Scope};
use rollplay_core::kind::Kind;
use std::collections::BTreeMap;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// How a session is set up.
#[derive(Clone)]
pub struct SessionOptions {
    pub namespace: String,
    pub params: BTreeMap<String, String>,
    /// The simulator's seed, profiles and pace, for `sim` and `:target sim`.
    pub target: TargetOptions,
    pub assume_yes: bool,
    pub ask: Option<Asker>,
    pub output: Arc<dyn Output>,
}

/// What an entry produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// A value, rendered (empty for `()`).
    Value(String),
    /// An error, rendered with the entry's line and a caret.
    Error(String),
    /// The text of a `:command` or `help()`.
    Text(String),
}

/// Cancels whatever the session is evaluating (Ctrl-C).
#[derive(Clone)]
pub struct Interrupter(Arc<Mutex<Arc<Host>>>);

impl Interrupter {
    pub fn interrupt(&self) {
        self.0.lock().cancel.lock().cancel();
    }
}

/// Names on the target, for completion.
#[derive(Default, Clone)]
struct Names {
    workloads: Vec<String>,
    services: Vec<String>,
}

pub struct Session {
    engine: Engine,
    host: Arc<Host>,
    /// The current host, shared with interrupters (the host changes with `:target`).
    current: Arc<Mutex<Arc<Host>>>,
    scope: Scope<'static>,
    /// Functions defined by earlier entries.
    functions: AST,
    /// Import statements of earlier entries, run again before each entry.
    imports: Vec<(String, String)>,
    options: SessionOptions,
    target: String,
    handle: tokio::runtime::Handle,
    names: Names,
    entries: usize,
}

/// The REPL's own commands, for `:help` and completion.
pub const COMMANDS: &[(&str, &str)] = &[
    (
        ":target",
        "sim | kube[:CONTEXT] | swarm[:HOST]: switch the target (sim starts a fresh simulator)",
    ),
    (":ns", "NAME: the namespace for names without one"),
    (
        ":load",
        "FILE: run a playbook or module file into the session",
    ),
    (
        ":reset",
        "forget variables, functions and imports (the cluster stays)",
    ),
    (":history", "show the input history"),
    (":help", "what `help()` prints"),
    (":quit", "leave (Ctrl-D does too)"),
];

fn connect(
    target: &str,
    options: &SessionOptions,
    handle: &tokio::runtime::Handle,
) -> Result<Connection, String> {
    Target::parse(target)
        .and_then(|t| t.connect(&options.target, handle))
        .map_err(|e| e.to_string())
}

impl Session {
    /// A session on `target` (`sim` for now). Call from outside the runtime: primitives block
    /// on `handle`.
    pub fn new(
        target: &str,
        options: SessionOptions,
        handle: tokio::runtime::Handle,
    ) -> Result<Session, String> {
        let connection = connect(target, &options, &handle)?;
        let host = Self::host_for(connection, &options, &handle);
        let engine = Self::engine_for(&host);
        let mut session = Session {
            engine,
            current: Arc::new(Mutex::new(host.clone())),
            host,
            scope: Scope::new(),
            functions: AST::empty(),
            imports: Vec::new(),
            options,
            target: target.to_string(),
            handle,
            names: Names::default(),
            entries: 0,
        };
        session.refresh_names();
        Ok(session)
    }

    fn host_for(
        connection: Connection,
        options: &SessionOptions,
        handle: &tokio::runtime::Handle,
    ) -> Arc<Host> {
        let now = connection.backend.now();
        Arc::new(Host {
            backend: connection.backend,
            rehearsal: connection.rehearsal,
            handle: handle.clone(),
            cancel: Mutex::new(CancellationToken::new()),
            namespace: Mutex::new(options.namespace.clone()),
            // The REPL moves between namespaces at will.
            namespace_pinned: None,
            params: options.params.clone(),
            params_read: Mutex::new(Default::default()),
            journal: Default::default(),
            output: options.output.clone(),
            deadline: Mutex::new(None),
            abort: Default::default(),
            started_at: now,
            assume_yes: options.assume_yes,
            ask: options.ask.clone(),
            record: None,
            secrets: Default::default(),
            // A session is a person at a prompt, not a run to serialise.
            locks: Default::default(),
        })
    }

    fn engine_for(host: &Arc<Host>) -> Engine {
        let mut engine = new_engine(Some(host.clone()), Some(std::path::Path::new(".")));
        help::register(&mut engine);
        engine
    }

    /// `rollplay sim:default> `.
    pub fn prompt(&self) -> String {
        format!("rollplay {}:{}> ", self.target, self.host.namespace())
    }

    pub fn interrupter(&self) -> Interrupter {
        Interrupter(self.current.clone())
    }

    /// Whether the input is an unfinished statement (an open block, a trailing operator), so
    /// the editor should read another line.
    pub fn is_incomplete(&self, input: &str) -> bool {
        if input.trim_start().starts_with(':') {
            return false;
        }
        match self.engine.compile_with_scope(&self.scope, input) {
            Ok(_) => false,
            Err(e) => {
                matches!(e.err_type(), ParseErrorType::UnexpectedEOF)
                    || (matches!(e.err_type(), ParseErrorType::MissingToken(..))
                        && e.position().line() >= Some(input.lines().count()))
            }
        }
    }

    /// Evaluates an entry or runs a `:command`.
    pub fn submit(&mut self, input: &str) -> Reply {
        let trimmed = input.trim();
        if let Some(command) = trimmed.strip_prefix(':') {
            return self.command(command);
        }
        if trimmed.is_empty() {
            return Reply::Value(String::new());
        }
        self.entries += 1;
        let reply = self.evaluate(input, "<repl>");
        self.refresh_names();
        reply
    }

    fn evaluate(&mut self, source: &str, file: &str) -> Reply {
        let ast = match self.engine.compile_with_scope(&self.scope, source) {
            Ok(ast) => ast,
            Err(e) => return Reply::Error(ScriptError::from_parse(&e, file, source).render()),
        };
        let imports = self
            .imports
            .iter()
            .map(|(path, alias)| format!("import \"{path}\" as {alias};"))
            .collect::<Vec<_>>()
            .join("\n");
        let imports_ast = match self.engine.compile(&imports) {
            Ok(a) => a,
            Err(e) => {
                return Reply::Error(format!(
                    "error: the session's imports no longer compile: {e}"
                ));
            }
        };
        let combined = self.functions.merge(&imports_ast).merge(&ast);
        if let Err(e) =
            crate::check::check_with(&self.engine, &combined, file, source, help::SIGNATURES)
        {
            return Reply::Error(e.render());
        }
        *self.host.cancel.lock() = CancellationToken::new();
        let result = self
            .engine
            .eval_ast_with_scope::<Dynamic>(&mut self.scope, &combined);
        self.host.output.progress_done();
        self.functions = self.functions.merge(&ast.clone_functions_only());
        self.remember_imports(&ast);
        match result {
            Ok(value) => Reply::Value(render::render(&value)),
            Err(e) => {
                let known = crate::api::primitive_names();
                let owned = source.to_string();
                let file_name = file.to_string();
                let lookup = move |name: &str| {
                    if name == file_name {
                        Some(owned.clone())
                    } else {
                        crate::stdlib::module(name).map(String::from)
                    }
                };
                Reply::Error(ScriptError::from_eval(&e, file, &lookup, &known).render())
            }
        }
    }

    fn remember_imports(&mut self, ast: &AST) {
        for stmt in ast.statements() {
            if let rhai::Stmt::Import(x, _) = stmt
                && let rhai::Expr::StringConstant(path, _) = &x.0
            {
                let entry = (path.to_string(), x.1.name.to_string());
                self.imports.retain(|(_, alias)| *alias != entry.1);
                self.imports.push(entry);
            }
        }
    }

    fn command(&mut self, command: &str) -> Reply {
        let mut words = command.split_whitespace();
        let name = words.next().unwrap_or_default();
        let arg = words.collect::<Vec<_>>().join(" ");
        match name {
            "target" => {
                if arg.is_empty() {
                    return Reply::Text(format!("target: {}", self.target));
                }
                match connect(&arg, &self.options, &self.handle) {
                    Ok(connection) => {
                        let mut options = self.options.clone();
                        options.namespace = self.host.namespace();
                        self.host = Self::host_for(connection, &options, &self.handle);
                        *self.current.lock() = self.host.clone();
                        self.engine = Self::engine_for(&self.host);
                        self.target = arg.clone();
                        self.refresh_names();
                        Reply::Text(format!(
                            "target: {arg} (a fresh simulator; variables and functions kept)"
                        ))
                    }
                    Err(e) => Reply::Error(format!("error: {e}")),
                }
            }
            "ns" => {
                if arg.is_empty() {
                    return Reply::Text(format!("namespace: {}", self.host.namespace()));
                }
                let exists = self
                    .handle
                    .block_on(
                        self.host
                            .backend
                            .get(&rollplay_core::objref::ObjectRef::new(
                                Kind::Namespace,
                                "",
                                &arg,
                            )),
                    )
                    .ok()
                    .flatten()
                    .is_some();
                *self.host.namespace.lock() = arg.clone();
                self.refresh_names();
                if exists {
                    Reply::Text(format!("namespace: {arg}"))
                } else {
                    Reply::Text(format!(
                        "namespace: {arg} (it does not exist on {} yet)",
                        self.target
                    ))
                }
            }
            "load" => {
                if arg.is_empty() {
                    return Reply::Error("error: :load FILE: name the file to run".into());
                }
                match std::fs::read_to_string(&arg) {
                    Ok(source) => {
                        let reply = self.evaluate(&source, &arg);
                        self.refresh_names();
                        reply
                    }
                    Err(e) => Reply::Error(format!("error: {arg}: {e}")),
                }
            }
            "reset" => {
                self.scope.clear();
                self.functions = AST::empty();
                self.imports.clear();
                Reply::Text("variables, functions and imports forgotten".into())
            }
            "help" => Reply::Text(help::overview()),
            other => {
                let names: Vec<&str> = COMMANDS
                    .iter()
                    .map(|(c, _)| c.trim_start_matches(':'))
                    .collect();
                Reply::Error(format!(
                    "error: unknown command :{other}{}; commands: {}",
                    rollplay_core::suggest::hint(other, names.iter().copied()),
                    names.join(", ")
                ))
            }
        }
    }

    /// Completion of the word before `pos`: the start of that word and the candidates.
    pub fn complete(&self, line: &str, pos: usize) -> (usize, Vec<String>) {
        complete::candidates(self, line, pos)
    }

    fn refresh_names(&mut self) {
        let ns = self.host.namespace();
        let names = |kind| {
            self.handle
                .block_on(self.host.backend.names(kind, &ns))
                .unwrap_or_default()
        };
        self.names = Names {
            workloads: names(Kind::Deployment),
            services: names(Kind::Service),
        };
    }

    /// The actions of the session so far, as `changes` lists them.
    pub fn actions(&self) -> Vec<crate::journal::Action> {
        self.host.journal.all()
    }
}

#[cfg(test)]
mod tests;
