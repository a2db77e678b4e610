//! Script errors as users read them: what failed, `file:line:column`, the source line with a
//! caret, where inside the stdlib it was raised, and a hint where one exists.

use rhai::{EvalAltResult, ParseError, Position};
use rollplay_core::error::ErrorClass;
use serde::Serialize;

/// A located script error.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScriptError {
    pub message: String,
    #[serde(skip)]
    pub class: ErrorClass,
    /// `rollout_failed`, `timeout`, `bad_input`, `syntax`, `unknown_function`, ...
    pub kind: String,
    pub file: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
    #[serde(skip)]
    pub source_line: Option<String>,
    /// Where the error was raised inside called functions, outermost first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub trace: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// What the script attached to its failure (`fail(message, details)`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<serde_json::Value>,
}

/// Finds a script's source by the name errors give it (a file path or a stdlib module name).
pub type SourceLookup<'a> = &'a dyn Fn(&str) -> Option<String>;

fn line_of(source: Option<String>, line: Option<usize>) -> Option<String> {
    let (source, line) = (source?, line?);
    source
        .lines()
        .nth(line.checked_sub(1)?)
        .map(|l| l.replace('\t', "    "))
}

fn pos(p: Position) -> (Option<usize>, Option<usize>) {
    (p.line(), p.position())
}

impl ScriptError {
    /// A syntax error found when compiling `file`.
    pub fn from_parse(err: &ParseError, file: &str, source: &str) -> ScriptError {
        let (line, column) = pos(err.position());
        ScriptError {
            message: format!("syntax error: {}", err.err_type()),
            class: ErrorClass::BadInput,
            kind: "syntax".into(),
            file: file.into(),
            line,
            column,
            source_line: line_of(Some(source.to_string()), line),
            trace: Vec::new(),
            hint: None,
            details: None,
        }
    }

    /// A runtime error of a script whose top-level source is `file`.
    pub fn from_eval(
        err: &EvalAltResult,
        file: &str,
        sources: SourceLookup,
        known_functions: &[String],
    ) -> ScriptError {
        let (line, column) = pos(err.position());
        let mut trace = Vec::new();
        let mut current = err;
        let mut source = file.to_string();
        loop {
            match current {
                EvalAltResult::ErrorInFunctionCall(name, src, inner, _) => {
                    if !src.is_empty() {
                        source = src.clone();
                    }
                    let (l, c) = pos(inner.position());
                    if let (Some(l), Some(c)) = (l, c) {
                        trace.push(format!("in {name}() at {source}:{l}:{c}"));
                    }
                    current = inner;
                }
                EvalAltResult::ErrorInModule(name, inner, _) => {
                    source = name.clone();
                    let (l, c) = pos(inner.position());
                    if let (Some(l), Some(c)) = (l, c) {
                        trace.push(format!("in module \"{name}\" at {name}:{l}:{c}"));
                    }
                    current = inner;
                }
                _ => break,
            }
        }
        let (message, class, kind, hint) = describe(current, known_functions);
        let details = match current {
            EvalAltResult::ErrorRuntime(value, _) => value
                .clone()
                .try_cast::<rhai::Map>()
                .and_then(|m| m.get("details").cloned())
                .and_then(|d| rhai::serde::from_dynamic::<serde_json::Value>(&d).ok()),
            _ => None,
        };
        ScriptError {
            message,
            class,
            kind,
            file: file.into(),
            line,
            column,
            source_line: line_of(sources(file), line),
            trace,
            hint,
            details,
        }
    }

    /// `error: ...`, ` --> file:line:col`, the line and a caret, notes and hint.
    pub fn render(&self) -> String {
        let mut out = format!("error: {}\n", self.message);
        match (self.line, self.column) {
            (Some(line), col) => {
                out.push_str(&format!(
                    "  --> {}:{line}:{}\n",
                    self.file,
                    col.unwrap_or(1)
                ));
                if let Some(text) = &self.source_line {
                    let gutter = line.to_string().len();
                    let pad = " ".repeat(gutter);
                    out.push_str(&format!("{pad} |\n{line} | {text}\n"));
                    let caret_at = col.unwrap_or(1).saturating_sub(1);
                    let indent: String = text
                        .chars()
                        .take(caret_at)
                        .map(|c| if c.is_whitespace() { c } else { ' ' })
                        .collect();
                    out.push_str(&format!("{pad} | {indent}^\n"));
                }
            }
            (None, _) => out.push_str(&format!("  --> {}\n", self.file)),
        }
        for t in &self.trace {
            out.push_str(&format!("  = note: raised {t}\n"));
        }
        if let Some(h) = &self.hint {
            out.push_str(&format!("  = hint: {h}\n"));
        }
        out
    }
}

/// Message, exit class, kind and hint of the innermost error.
fn describe(err: &EvalAltResult, known: &[String]) -> (String, ErrorClass, String, Option<String>) {
    use EvalAltResult as E;
    let bad = ErrorClass::BadInput;
    let failed = ErrorClass::Failed;
    match err {
        E::ErrorRuntime(value, _) => {
            if let Some(map) = value.clone().try_cast::<rhai::Map>() {
                let text = |k: &str| map.get(k).map(|v| v.to_string());
                let message = text("message").unwrap_or_else(|| value.to_string());
                let class = if text("class").as_deref() == Some("bad_input") {
                    bad
                } else {
                    failed
                };
                (
                    message,
                    class,
                    text("kind").unwrap_or_else(|| "thrown".into()),
                    None,
                )
            } else {
                (value.to_string(), failed, "thrown".into(), None)
            }
        }
        E::ErrorFunctionNotFound(signature, _) => {
            let name = signature
                .split([' ', '('])
                .next()
                .unwrap_or(signature)
                .to_string();
            let args = signature
                .find('(')
                .map(|i| signature[i..].to_string())
                .unwrap_or_default();
            let args = simplify_types(&args);
            if known.contains(&name) {
                let expected: Vec<String> = crate::api::docs::lookup(&name)
                    .iter()
                    .map(|d| d.signature.clone())
                    .collect();
                let hint = (!expected.is_empty())
                    .then(|| format!("{name} takes: {}", expected.join("; ")));
                (
                    format!("wrong arguments for {name}{args}"),
                    bad,
                    "wrong_arguments".into(),
                    hint,
                )
            } else if crate::check::is_native(&name) {
                let hint = args.contains("()").then(|| {
                    "an argument is `()`, nothing: functions that change a value in place, such as trim() or sort(), return `()`".to_string()
                });
                (
                    format!("no form of {name} takes these arguments: {name}{args}"),
                    bad,
                    "wrong_arguments".into(),
                    hint,
                )
            } else {
                let hint =
                    rollplay_core::suggest::did_you_mean(&name, known.iter().map(String::as_str))
                        .map(|s| format!("did you mean `{s}`?"));
                (
                    format!("unknown function {name}{args}"),
                    bad,
                    "unknown_function".into(),
                    hint,
                )
            }
        }
        E::ErrorVariableNotFound(name, _) => (
            format!("unknown variable `{name}`"),
            bad,
            "unknown_variable".into(),
            None,
        ),
        E::ErrorModuleNotFound(name, _) => {
            let builtin: Vec<&str> = super::stdlib::MODULES.iter().map(|(n, _)| *n).collect();
            let hint = Some(format!(
                "built-in modules: {}; other paths are read next to the playbook",
                builtin.join(", ")
            ));
            (
                format!("module \"{name}\" not found"),
                bad,
                "unknown_module".into(),
                hint,
            )
        }
        E::ErrorParsing(t, _) => (format!("syntax error: {t}"), bad, "syntax".into(), None),
        E::ErrorMismatchDataType(..)
        | E::ErrorMismatchOutputType(..)
        | E::ErrorIndexingType(..)
        | E::ErrorPropertyNotFound(..)
        | E::ErrorFor(..)
        | E::ErrorAssignmentToConstant(..)
        | E::ErrorDotExpr(..) => (
            strip_position(&err.to_string()),
            bad,
            "type_error".into(),
            None,
        ),
        E::ErrorTerminated(..) => ("cancelled".into(), failed, "cancelled".into(), None),
        E::ErrorTooManyOperations(_) => (
            format!(
                "the script ran more than {} operations",
                super::engine::MAX_OPERATIONS
            ),
            failed,
            "too_many_operations".into(),
            Some(
                "does a loop never end? wait with wait_ready() or sleep() instead of spinning"
                    .into(),
            ),
        ),
        other => (
            strip_position(&other.to_string()),
            failed,
            "script_error".into(),
            None,
        ),
    }
}

fn strip_position(text: &str) -> String {
    match text.rfind(" (line ") {
        Some(i) if text.ends_with(')') => text[..i].to_string(),
        _ => text.to_string(),
    }
}

/// `(&str | ImmutableString | String, i64)` → `(string, int)`.
fn simplify_types(args: &str) -> String {
    let inner = args.trim().trim_start_matches('(').trim_end_matches(')');
    if inner.is_empty() {
        return "()".into();
    }
    let parts: Vec<String> = inner
        .split(", ")
        .map(|t| {
            let t = t.trim();
            if t.contains("ImmutableString") || t == "&str" || t == "String" {
                "string".into()
            } else {
                match t.rsplit("::").next().unwrap_or(t) {
                    "i64" => "int".into(),
                    "f64" => "float".into(),
                    "Map" => "map".into(),
                    "Array" => "array".into(),
                    "()" => "()".into(),
                    other => other.to_lowercase(),
                }
            }
        })
        .collect();
    format!("({})", parts.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_location_line_and_caret() {
        let e = ScriptError {
            message: "unknown function sclae(string, int)".into(),
            class: ErrorClass::BadInput,
            kind: "unknown_function".into(),
            file: "p.rhai".into(),
            line: Some(12),
            column: Some(5),
            source_line: Some("    sclae(\"web\", 3);".into()),
            trace: vec![],
            hint: Some("did you mean `scale`?".into()),
            details: None,
        };
        assert_eq!(
            e.render(),
            "error: unknown function sclae(string, int)\n  --> p.rhai:12:5\n   |\n12 |     sclae(\"web\", 3);\n   |     ^\n  = hint: did you mean `scale`?\n"
        );
    }

    #[test]
    fn type_lists_read_like_the_docs() {
        assert_eq!(
            simplify_types("(&str | ImmutableString | String, i64)"),
            "(string, int)"
        );
        assert_eq!(simplify_types("()"), "()");
    }
}
