//! Resolves `import "rollplay/..."` to the stdlib modules compiled once per process.

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
