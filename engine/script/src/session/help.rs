//! `help()` and `help("name")` in the REPL, from the same documentation as `rollplay api`.

use crate::api::docs;
use rhai::Engine;

/// The primitives by group, a line each, and the REPL's commands.
pub fn overview() -> String {
    let mut out = String::from("Primitives (help(\"name\") for one):\n");
    for g in crate::api::groups() {
        out.push_str(&format!("\n{}\n", g.title));
        let mut seen = Vec::new();
        for d in docs::all().iter().filter(|d| d.group == g.name) {
            if seen.contains(&d.name) {
                continue;
            }
            seen.push(d.name.clone());
            out.push_str(&format!("  {:<44} {}\n", d.signature, d.summary()));
        }
    }
    out.push_str("\nModules: import \"rollplay/rollout\" as rollout;\n\nCommands:\n");
    for (name, what) in super::COMMANDS {
        out.push_str(&format!("  {name:<10} {what}\n"));
    }
    out
}

/// The documentation of one primitive (all its forms).
pub fn one(name: &str) -> String {
    let found = docs::lookup(name);
    if found.is_empty() {
        let names: Vec<String> = docs::all().iter().map(|d| d.name.clone()).collect();
        return format!(
            "no primitive \"{name}\"{}; help() lists them all",
            rollplay_core::suggest::hint(name, names.iter().map(String::as_str))
        );
    }
    found
        .iter()
        .map(|d| format!("{}\n\n{}", d.signature, d.text.trim()))
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// What `register` adds: `help()` and `help(name)`.
pub const SIGNATURES: &[(&str, usize)] = &[("help", 0), ("help", 1)];

/// Registers `help()` and `help(name)`; they return the text, which the REPL prints.
pub fn register(engine: &mut Engine) {
    engine.register_fn("help", overview);
    engine.register_fn("help", |name: &str| one(name));
}
