//! Resolves `import "rollplay/..."` to the stdlib modules compiled once per process, and
//! other imports to files inside the playbook's own folder.

use rhai::module_resolvers::ModuleResolver;
use rhai::{Engine, EvalAltResult, Module, Position, Scope, Shared};
use std::sync::OnceLock;

/// The compiled stdlib, in dependency order.
fn compiled() -> &'static [(String, Shared<Module>)] {
    static COMPILED: OnceLock<Vec<(String, Shared<Module>)>> = OnceLock::new();
    COMPILED.get_or_init(|| {
        let mut done: Vec<(String, Shared<Module>)> = Vec::new();
        for (name, source) in super::stdlib::MODULES {
            let mut engine = super::engine::base_engine();
            engine.set_module_resolver(Builtin { upto: done.clone() });
            let mut ast = engine
                .compile(source)
                .unwrap_or_else(|e| panic!("stdlib module {name} does not compile: {e}"));
            ast.set_source(*name);
            let mut module = Module::eval_ast_as_new(Scope::new(), &ast, &engine)
                .unwrap_or_else(|e| panic!("stdlib module {name}: {e}"));
            module.set_id(*name);
            module.build_index();
            done.push((name.to_string(), module.into()));
        }
        done
    })
}

/// The stdlib modules (all of them, or those compiled so far while compiling the stdlib).
pub struct Builtin {
    upto: Vec<(String, Shared<Module>)>,
}

impl Builtin {
    pub fn new() -> Builtin {
        Builtin {
            upto: compiled().to_vec(),
        }
    }
}

impl Default for Builtin {
    fn default() -> Self {
        Builtin::new()
    }
}

impl ModuleResolver for Builtin {
    fn resolve(
        &self,
        _: &Engine,
        _: Option<&str>,
        path: &str,
        pos: Position,
    ) -> Result<Shared<Module>, Box<EvalAltResult>> {
        self.upto
            .iter()
            .find(|(n, _)| n == path)
            .map(|(_, m)| m.clone())
            .ok_or_else(|| Box::new(EvalAltResult::ErrorModuleNotFound(path.into(), pos)))
    }
}

/// Modules next to the playbook: a path that climbs out of its folder (`..`) or names another
/// place (`/etc/...`) is refused, so a playbook reads only what is shipped beside it.
pub struct Confined(pub rhai::module_resolvers::FileModuleResolver);

impl Confined {
    fn check(path: &str, pos: Position) -> Result<(), Box<EvalAltResult>> {
        let p = std::path::Path::new(path);
        let escapes = p.is_absolute()
            || p.components()
                .any(|c| matches!(c, std::path::Component::ParentDir));
        if !escapes {
            return Ok(());
        }
        let refused = rollplay_core::error::Error::bad_input(
            format!("import \"{path}\""),
            "modules come from the stdlib (\"rollplay/...\") or the playbook's own folder; copy the module next to the playbook and import it by a path inside that folder",
        );
        Err(Box::new(EvalAltResult::ErrorInModule(
            path.into(),
            crate::api::host::runtime_error(&refused, None),
            pos,
        )))
    }
}

impl ModuleResolver for Confined {
    fn resolve(
        &self,
        engine: &Engine,
        source: Option<&str>,
        path: &str,
        pos: Position,
    ) -> Result<Shared<Module>, Box<EvalAltResult>> {
        Confined::check(path, pos)?;
        self.0.resolve(engine, source, path, pos)
    }

    fn resolve_raw(
        &self,
        engine: &Engine,
        global: &mut rhai::GlobalRuntimeState,
        scope: &mut Scope,
        path: &str,
        pos: Position,
    ) -> Result<Shared<Module>, Box<EvalAltResult>> {
        Confined::check(path, pos)?;
        self.0.resolve_raw(engine, global, scope, path, pos)
    }

    fn resolve_ast(
        &self,
        engine: &Engine,
        source: Option<&str>,
        path: &str,
        pos: Position,
    ) -> Option<Result<rhai::AST, Box<EvalAltResult>>> {
        if let Err(e) = Confined::check(path, pos) {
            return Some(Err(e));
        }
        self.0.resolve_ast(engine, source, path, pos)
    }
}
