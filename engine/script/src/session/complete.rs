//! Tab completion: primitives, variables, functions and keywords; stdlib module functions after
//! `alias::`; inside a string, workload and service names, parameter names after `param("` and
//! stdlib modules after `import "`; `:commands` and the file after `:load`.

use super::Session;

const KEYWORDS: &[&str] = &[
    "let", "const", "fn", "if", "else", "while", "loop", "for", "in", "return", "throw", "try",
    "catch", "import", "as", "true", "false", "break", "continue",
];

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == ':'
}

/// (start of the word being completed, sorted unique candidates).
pub fn candidates(session: &Session, line: &str, pos: usize) -> (usize, Vec<String>) {
    let before = &line[..pos.min(line.len())];
    if before.trim_start().starts_with(':') && !before.trim_start().contains(' ') {
        let start = before.len() - before.trim_start().len();
        let word = before.trim_start();
        return (
            start,
            super::COMMANDS
                .iter()
                .map(|(c, _)| c.to_string())
                .filter(|c| c.starts_with(word))
                .collect(),
        );
    }
    if let Some(path) = before.trim_start().strip_prefix(":load ") {
        return (before.len() - path.len(), files(path));
    }
    // Inside a string the whole text after the quote is the word (module paths have slashes).
    let in_string = before.matches('"').count() % 2 == 1;
    let start = if in_string {
        before.rfind('"').map_or(0, |i| i + 1)
    } else {
        before
            .char_indices()
            .rev()
            .find(|(_, c)| !is_word(*c))
            .map(|(i, c)| i + c.len_utf8())
            .unwrap_or(0)
    };
    let word = &before[start..];
    let mut out: Vec<String> = if in_string {
        let opening = before[..start].trim_end_matches('"').trim_end();
        if opening.ends_with("param(") {
            session.options.params.keys().cloned().collect()
        } else if opening.ends_with("import") {
            crate::stdlib::MODULES
                .iter()
                .map(|(name, _)| name.to_string())
                .collect()
        } else {
            session
                .names
                .workloads
                .iter()
                .chain(&session.names.services)
                .cloned()
                .collect()
        }
    } else if let Some((alias, prefix)) = word.split_once("::") {
        module_functions(session, alias)
            .into_iter()
            .filter(|f| f.starts_with(prefix))
            .map(|f| format!("{alias}::{f}"))
            .collect()
    } else {
        let mut words: Vec<String> = crate::api::primitive_names();
        words.extend(KEYWORDS.iter().map(|k| k.to_string()));
        words.extend(session.scope.iter().map(|(name, ..)| name.to_string()));
        words.extend(
            session
                .functions
                .iter_functions()
                .map(|f| f.name.to_string()),
        );
        words.extend(
            session
                .imports
                .iter()
                .map(|(_, alias)| format!("{alias}::")),
        );
        words.push("help".into());
        words
    };
    out.retain(|c| c.starts_with(word) && c != word);
    out.sort();
    out.dedup();
    (start, out)
}

/// Functions of the stdlib module imported as `alias`.
fn module_functions(session: &Session, alias: &str) -> Vec<String> {
    let Some((path, _)) = session.imports.iter().find(|(_, a)| a == alias) else {
        return Vec::new();
    };
    let Some(source) = crate::stdlib::module(path) else {
        return Vec::new();
    };
    source
        .lines()
        .filter_map(|l| l.trim_start().strip_prefix("fn "))
        .filter_map(|rest| rest.split('(').next())
        .map(|name| name.trim().to_string())
        .collect()
}

/// Files and directories starting with `typed` (directories end with `/`).
fn files(typed: &str) -> Vec<String> {
    let (dir, prefix) = match typed.rfind('/') {
        Some(i) => (&typed[..=i], &typed[i + 1..]),
        None => ("", typed),
    };
    let Ok(entries) = std::fs::read_dir(if dir.is_empty() { "." } else { dir }) else {
        return Vec::new();
    };
    let mut out: Vec<String> = entries
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            if !name.starts_with(prefix) || (name.starts_with('.') && !prefix.starts_with('.')) {
                return None;
            }
            let slash = if e.path().is_dir() { "/" } else { "" };
            Some(format!("{dir}{name}{slash}"))
        })
        .collect();
    out.sort();
    out
}
