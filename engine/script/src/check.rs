//! Checks a compiled script before it runs: calls to functions that exist nowhere, or with a
//! number of arguments no overload takes, are reported with their position while nothing has
//! been changed yet. (Argument types can only be checked as the script runs.)

use super::diagnostic::ScriptError;
use rhai::{AST, ASTNode, Engine, Expr, Stmt};
use rollplay_core::error::ErrorClass;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

/// Function names the language handles itself.
const KEYWORDS: &[&str] = &[
    "print",
    "debug",
    "type_of",
    "eval",
    "Fn",
    "call",
    "curry",
    "is_shared",
    "is_def_var",
    "is_def_fn",
];

/// Every native function the engine knows (primitives and Rhai's standard library), with the
/// argument counts it accepts.
static TABLE: OnceLock<BTreeMap<String, BTreeSet<usize>>> = OnceLock::new();

/// Whether the language or the host registers a function of this name (once a script has
/// been checked in this process).
pub fn is_native(name: &str) -> bool {
    TABLE.get().is_some_and(|t| t.contains_key(name))
}

fn native_functions(engine: &Engine) -> &'static BTreeMap<String, BTreeSet<usize>> {
    TABLE.get_or_init(|| {
        let mut table: BTreeMap<String, BTreeSet<usize>> = BTreeMap::new();
        let json: serde_json::Value = engine
            .gen_fn_metadata_to_json(true)
            .ok()
            .and_then(|j| serde_json::from_str(&j).ok())
            .unwrap_or_default();
        for f in json["functions"].as_array().into_iter().flatten() {
            if let (Some(name), Some(n)) = (f["name"].as_str(), f["numParams"].as_u64()) {
                table
                    .entry(name.to_string())
                    .or_default()
                    .insert(n as usize);
            }
        }
        table
    })
}

/// The first call that cannot work, as an error at its position.
pub fn check(engine: &Engine, ast: &AST, file: &str, source: &str) -> Result<(), Box<ScriptError>> {
    check_with(engine, ast, file, source, &[])
}

/// As `check`, also knowing `extra` (name, argument count): functions an engine registers on
/// top of the playbook engine's (the table of those is built once, from the first engine).
pub fn check_with(
    engine: &Engine,
    ast: &AST,
    file: &str,
    source: &str,
    extra: &[(&str, usize)],
) -> Result<(), Box<ScriptError>> {
    let native = native_functions(engine);
    let mut script: BTreeMap<String, BTreeSet<usize>> = BTreeMap::new();
    for (name, arity) in extra {
        script.entry(name.to_string()).or_default().insert(*arity);
    }
    let mut variables: BTreeSet<String> = BTreeSet::new();
    for f in ast.iter_functions() {
        script
            .entry(f.name.to_string())
            .or_default()
            .insert(f.params.len());
        variables.extend(f.params.iter().map(|p| p.to_string()));
    }
    ast.walk(&mut |path: &[ASTNode]| {
        if let Some(ASTNode::Stmt(Stmt::Var(x, ..))) = path.last() {
            variables.insert(x.0.name.to_string());
        }
        true
    });
    let mut problem: Option<(String, Option<String>, rhai::Position)> = None;
    ast.walk(&mut |path: &[ASTNode]| {
        let (call, pos) = match path.last() {
            Some(ASTNode::Expr(Expr::FnCall(call, pos)))
            | Some(ASTNode::Stmt(Stmt::FnCall(call, pos))) => (call, pos),
            _ => return true,
        };
        if call.is_operator_call()
            || !call.namespace.is_empty()
            || KEYWORDS.contains(&call.name.as_str())
            || variables.contains(call.name.as_str())
        {
            return true;
        }
        let name = call.name.as_str();
        let arity = call.args.len();
        let known: BTreeSet<usize> = native
            .get(name)
            .into_iter()
            .chain(script.get(name))
            .flatten()
            .copied()
            .collect();
        if known.is_empty() {
            let candidates = native.keys().chain(script.keys()).map(String::as_str);
            let hint = rollplay_core::suggest::did_you_mean(name, candidates)
                .map(|s| format!("did you mean `{s}`?"));
            problem = Some((format!("unknown function {name}()"), hint, *pos));
            return false;
        }
        if !known.contains(&arity) {
            let takes: Vec<String> = known.iter().map(|n| n.to_string()).collect();
            let docs: Vec<String> = crate::api::docs::lookup(name)
                .iter()
                .map(|d| d.signature.clone())
                .collect();
            let hint = if docs.is_empty() {
                None
            } else {
                Some(format!("{name} takes: {}", docs.join("; ")))
            };
            problem = Some((
                format!(
                    "{name}() takes {} argument(s), not {arity}",
                    takes.join(" or ")
                ),
                hint,
                *pos,
            ));
            return false;
        }
        true
    });
    match problem {
        None => Ok(()),
        Some((message, hint, pos)) => Err(Box::new(ScriptError {
            message,
            class: ErrorClass::BadInput,
            kind: "unknown_function".into(),
            file: file.into(),
            line: pos.line(),
            column: pos.position(),
            source_line: pos
                .line()
                .and_then(|l| source.lines().nth(l - 1))
                .map(|l| l.replace('\t', "    ")),
            trace: Vec::new(),
            hint,
            details: None,
        })),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn first_problem(source: &str) -> Option<String> {
        let engine = super::super::engine::base_engine();
        let ast = engine.compile(source).expect("compiles");
        check(&engine, &ast, "t.rhai", source).err().map(|e| {
            format!(
                "{}:{}: {}",
                e.line.unwrap_or(0),
                e.column.unwrap_or(0),
                e.message
            )
        })
    }

    #[test]
    fn unknown_functions_and_wrong_counts_are_found() {
        assert_eq!(
            first_problem("let x = 1;\nsclae(\"web\", 3);").as_deref(),
            Some("2:1: unknown function sclae()")
        );
        assert_eq!(
            first_problem("let y = status(\"web\", 1, 2);").as_deref(),
            Some("1:9: status() takes 1 argument(s), not 3")
        );
        assert_eq!(
            first_problem("fn f(a) { g(a) }").as_deref(),
            Some("1:11: unknown function g()")
        );
    }

    #[test]
    fn known_calls_pass() {
        for ok in [
            "scale(\"web\", 3); print(type_of(1)); let f = |x| x + 1; f.call(2);",
            "fn f(a) { a * 2 } f(3); [1, 2].len(); len([1]);",
            "let g = Fn(\"h\"); fn h() { 1 } h();",
        ] {
            assert_eq!(first_problem(ok), None, "{ok}");
        }
    }
}
