//! The reference of the primitives, read from their `///` comments (kept by the script
//! engine's metadata): one source for `rollplay api`, `help()` and the example test.

use super::groups;
use rhai::Engine;
use serde_json::Value;
use std::sync::OnceLock;

/// One documented primitive (one overload).
#[derive(Debug, Clone)]
pub struct PrimitiveDoc {
    pub group: &'static str,
    pub name: String,
    /// `scale(workload, replicas: int) -> map`.
    pub signature: String,
    /// The doc comment without `///`, Markdown.
    pub text: String,
    /// The ```rhai blocks of the comment.
    pub examples: Vec<String>,
}

impl PrimitiveDoc {
    /// The first sentence.
    pub fn summary(&self) -> &str {
        let first = self.text.split("\n\n").next().unwrap_or_default();
        first
            .split(". ")
            .next()
            .unwrap_or(first)
            .trim_end_matches('.')
    }
}

/// Every primitive, grouped, in registration order within a group.
pub fn all() -> &'static [PrimitiveDoc] {
    static DOCS: OnceLock<Vec<PrimitiveDoc>> = OnceLock::new();
    DOCS.get_or_init(|| {
        let mut out = Vec::new();
        for g in groups() {
            let mut engine = Engine::new_raw();
            engine.register_global_module(g.module.clone());
            let json: Value =
                serde_json::from_str(&engine.gen_fn_metadata_to_json(false).expect("metadata"))
                    .expect("json");
            let mut docs: Vec<PrimitiveDoc> = json["functions"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .iter()
                .map(|f| from_metadata(g.name, f))
                .collect();
            docs.sort_by_key(|d| (source_order(&g.module, &d.name), d.signature.len()));
            out.extend(docs);
        }
        out
    })
}

/// The primitives named `name` (all overloads).
pub fn lookup(name: &str) -> Vec<&'static PrimitiveDoc> {
    all().iter().filter(|d| d.name == name).collect()
}

fn source_order(_module: &rhai::Module, name: &str) -> usize {
    const ORDER: &[&str] = &[
        "apply",
        "read_manifests",
        "get",
        "delete",
        "namespace",
        "set_image",
        "scale",
        "wait_ready",
        "rollback",
        "pause",
        "resume",
        "status",
        "history",
        "pods",
        "events",
        "switch_selector",
        "endpoints",
        "param",
        "confirm",
        "log",
        "info",
        "warn",
        "assert",
        "bad_input",
        "fail",
        "abort_path",
        "sleep",
        "now",
        "seconds",
        "image_ref",
        "sim_image",
    ];
    ORDER.iter().position(|n| *n == name).unwrap_or(ORDER.len())
}

fn from_metadata(group: &'static str, f: &Value) -> PrimitiveDoc {
    let name = f["name"].as_str().unwrap_or_default().to_string();
    let params: Vec<String> = f["params"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|p| {
            let n = p["name"].as_str().unwrap_or("_");
            match p["type"].as_str().map(display_type) {
                Some(t) if !t.is_empty() => format!("{n}: {t}"),
                _ => n.to_string(),
            }
        })
        .collect();
    let ret = f["returnType"]
        .as_str()
        .map(display_type)
        .unwrap_or_default();
    let signature = if ret.is_empty() || ret == "()" {
        format!("{name}({})", params.join(", "))
    } else {
        format!("{name}({}) -> {ret}", params.join(", "))
    };
    let raw: Vec<String> = f["docComments"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .filter_map(|c| c.as_str().map(String::from))
        .collect();
    let text = raw
        .iter()
        .flat_map(|block| {
            block
                .lines()
                .map(|l| {
                    l.trim_start()
                        .trim_start_matches("///")
                        .strip_prefix(' ')
                        .unwrap_or(l.trim_start().trim_start_matches("///"))
                        .to_string()
                })
                .collect::<Vec<_>>()
        })
        .collect::<Vec<_>>()
        .join("\n");
    let examples = code_blocks(&text);
    PrimitiveDoc {
        group,
        name,
        signature,
        text,
        examples,
    }
}

/// Script-facing type names: `int`, `float`, `bool`, `string`, `map`, `array`; `Dynamic`
/// (accepts several types) shows no type.
fn display_type(t: &str) -> String {
    let t = t.trim();
    for wrapper in ["RhaiResult<", "Result<"] {
        if let Some(inner) = t.strip_prefix(wrapper) {
            let inner = inner
                .split(',')
                .next()
                .unwrap_or(inner)
                .trim_end_matches('>');
            return display_type(inner);
        }
    }
    let base = t.rsplit("::").next().unwrap_or(t);
    match base {
        "Dynamic" | "?" => String::new(),
        "i64" | "INT" | "int" => "int".into(),
        "f64" | "FLOAT" | "float" => "float".into(),
        "bool" => "bool".into(),
        "&str" | "ImmutableString" | "String" | "string" | "&'static str" => "string".into(),
        "Map" | "map" => "map".into(),
        "Array" | "array" => "array".into(),
        "()" => "()".into(),
        other => other.to_lowercase(),
    }
}

fn code_blocks(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        let t = line.trim();
        match &mut current {
            None if t == "```rhai" => current = Some(String::new()),
            Some(_) if t == "```" => out.push(current.take().expect("open block")),
            Some(block) => {
                block.push_str(line);
                block.push('\n');
            }
            None => {}
        }
    }
    out
}

/// The whole reference as Markdown, for `rollplay api`.
pub fn reference() -> String {
    let mut out = String::from(
        "# rollplay primitives\n\nEvery playbook and the REPL can call these. Workloads and services are named \"web\" or\n\"deployment/web\" (in the run's namespace, `-n`), or passed as the maps that `apply()` and `get()` return.\nDurations are \"90s\", \"5m\", \"1h30m\" or a number of seconds. A failed primitive throws an error map with\n`message`, `kind` and `class`; catch it with `try { ... } catch (e) { ... }`.\nThe examples run on the simulator against a Deployment `web` (3 replicas of `web:1.0`, container `web`)\nand a Service `web` selecting it.\n",
    );
    for g in groups() {
        out.push_str(&format!("\n## {}\n", g.title));
        for d in all().iter().filter(|d| d.group == g.name) {
            out.push_str(&format!("\n### `{}`\n\n{}\n", d.signature, d.text.trim()));
        }
    }
    out
}
