//! The script engine a run uses: host API registered, safety limits, the embedded stdlib and
//! modules next to the playbook importable, `print` routed to the run's log, cancellation.

use crate::api::host::{Host, HostHandle};
use crate::output::Level;
use rhai::module_resolvers::{FileModuleResolver, ModuleResolversCollection};
use rhai::{Dynamic, Engine};
use std::path::Path;
use std::sync::{Arc, OnceLock};

/// Limits that keep a runaway script from taking the machine down.
pub const MAX_OPERATIONS: u64 = 200_000_000;

/// An engine with Rhai's standard library and rollplay's primitives. The standard package is
/// built once per process: building it is most of what `Engine::new()` costs.
pub fn base_engine() -> Engine {
    static STANDARD: OnceLock<rhai::Shared<rhai::Module>> = OnceLock::new();
    let standard = STANDARD.get_or_init(|| {
        use rhai::packages::Package;
        rhai::packages::StandardPackage::new().as_shared_module()
    });
    let mut engine = Engine::new_raw();
    engine.set_max_strings_interned(256);
    engine.register_global_module(standard.clone());
    crate::api::register(&mut engine);
    set_limits(&mut engine);
    engine
}

/// The same limits for playbooks, the stdlib and the REPL.
pub fn set_limits(engine: &mut Engine) {
    engine.set_max_operations(MAX_OPERATIONS);
    engine.set_max_call_levels(64);
    engine.set_max_expr_depths(128, 128);
    engine.set_max_string_size(4 << 20);
    engine.set_max_array_size(1 << 20);
    engine.set_max_map_size(1 << 20);
    engine.set_max_modules(256);
}

/// A new engine. With a host, primitives act on its backend and `print` goes to its log;
/// without one (syntax checks, completion) primitives fail if called.
pub fn new_engine(host: Option<Arc<Host>>, script_dir: Option<&Path>) -> Engine {
    let mut engine = base_engine();

    let mut resolvers = ModuleResolversCollection::new();
    resolvers.push(super::modules::Builtin::new());
    if let Some(dir) = script_dir {
        let mut files = FileModuleResolver::new_with_path(dir);
        files.enable_cache(true);
        resolvers.push(super::modules::Confined(files));
    }
    engine.set_module_resolver(resolvers);

    if let Some(h) = host {
        engine.set_default_tag(Dynamic::from(HostHandle(h.clone())));
        let printer = h.clone();
        engine.on_print(move |s| printer.log(Level::Info, s));
        let debugger = h.clone();
        engine.on_debug(move |s, _, _| debugger.log(Level::Info, s));
        engine.on_progress(move |ops| {
            if ops % 1024 == 0 && h.cancel.lock().is_cancelled() {
                return Some(Dynamic::from("cancelled"));
            }
            None
        });
    }
    engine
}
