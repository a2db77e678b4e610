//! Checks a parsed stack file against the schema: every key known, every value of its type.
//! The first problem is returned with its path, which the caller turns into a line.

use super::schema::{Field, IGNORED_BY_SWARM, Ty};
use rollplay_core::duration::parse_duration;
use serde_json::Value;

/// One step of a path into the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Key(String),
    Index(usize),
}

/// What is wrong, and where.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub path: Vec<Step>,
    pub message: String,
}

/// The dotted form of a path: `services.web.deploy.replicas`, `ports[0]`.
pub fn dotted(path: &[Step]) -> String {
    let mut out = String::new();
    for step in path {
        match step {
            Step::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            Step::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

pub fn check_object(value: &Value, fields: &[Field], path: &mut Vec<Step>) -> Result<(), Problem> {
    let Some(map) = value.as_object() else {
        return Err(wrong(path, "a mapping", value));
    };
    for (key, v) in map {
        if key.starts_with("x-") {
            continue; // extension fields are the user's own
        }
        path.push(Step::Key(key.clone()));
        match fields.iter().find(|f| f.name == key) {
            Some(field) => check(v, field.ty, path)?,
            None => return Err(unknown(path, key, fields)),
        }
        path.pop();
    }
    Ok(())
}

fn unknown(path: &[Step], key: &str, fields: &[Field]) -> Problem {
    let is_service = path.len() == 3 && path[0] == Step::Key("services".into());
    let message = match IGNORED_BY_SWARM.iter().find(|(k, _)| *k == key) {
        Some((_, instead)) if is_service => {
            format!("\"{key}\" is not supported by docker stack deploy: {instead}")
        }
        _ => {
            let best = fields
                .iter()
                .map(|f| (strsim::jaro_winkler(key, f.name), f.name))
                .filter(|(score, _)| *score > 0.8)
                .max_by(|a, b| a.0.total_cmp(&b.0));
            match best {
                Some((_, name)) => format!("unknown key \"{key}\"; did you mean \"{name}\"?"),
                None => {
                    let names: Vec<&str> = fields.iter().map(|f| f.name).collect();
                    format!("unknown key \"{key}\"; known here: {}", names.join(", "))
                }
            }
        }
    };
    Problem {
        path: path.to_vec(),
        message,
    }
}

fn wrong(path: &[Step], expected: &str, got: &Value) -> Problem {
    let got = match got {
        Value::Null => "nothing".to_string(),
        Value::String(s) => format!("\"{s}\""),
        Value::Array(_) => "a list".to_string(),
        Value::Object(_) => "a mapping".to_string(),
        other => other.to_string(),
    };
    Problem {
        path: path.to_vec(),
        message: format!("expected {expected}, got {got}"),
    }
}

fn check(value: &Value, ty: Ty, path: &mut Vec<Step>) -> Result<(), Problem> {
    let ok = match ty {
        Ty::Str => value.is_string(),
        Ty::Scalar => value.is_string() || value.is_number(),
        Ty::Int => value.as_i64().is_some_and(|n| n >= 0),
        Ty::Number => value.is_number(),
        Ty::Bool => value.is_boolean(),
        Ty::Duration => match value.as_str() {
            Some(text) => parse_duration(text).is_ok(),
            None => false,
        },
        Ty::Enum(names) => value.as_str().is_some_and(|s| names.contains(&s)),
        Ty::StringOrList => value.is_string() || list_of_strings(value),
        Ty::List => list_of_strings(value),
        Ty::Dict => match value {
            Value::Object(m) => m.values().all(|v| !v.is_object() && !v.is_array()),
            Value::Array(_) => list_of_strings(value),
            _ => false,
        },
        Ty::Object(fields) => return check_object(value, fields, path),
        Ty::ListOf(fields) => {
            let Some(items) = value.as_array() else {
                return Err(wrong(path, "a list", value));
            };
            for (i, item) in items.iter().enumerate() {
                path.push(Step::Index(i));
                match item {
                    Value::String(_) | Value::Number(_) => {}
                    other => check_object(other, fields, path)?,
                }
                path.pop();
            }
            return Ok(());
        }
        Ty::NamesOr(fields) => match value {
            Value::Array(_) if list_of_strings(value) => true,
            Value::Object(_) => return check_named(value, fields, path),
            _ => false,
        },
        Ty::Named(fields) => return check_named(value, fields, path),
    };
    if ok {
        return Ok(());
    }
    let expected = match ty {
        Ty::Str => "a string".to_string(),
        Ty::Scalar => "a string or a number".to_string(),
        Ty::Int => "a whole number of at least 0".to_string(),
        Ty::Number => "a number".to_string(),
        Ty::Bool => "true or false".to_string(),
        Ty::Duration => "a duration such as \"10s\", \"1m30s\" or \"500ms\"".to_string(),
        Ty::Enum(names) => format!("one of {}", names.join(", ")),
        Ty::StringOrList => "a string or a list of strings".to_string(),
        Ty::List => "a list of strings".to_string(),
        Ty::Dict => "a mapping of names to values, or a list of NAME=VALUE".to_string(),
        Ty::NamesOr(_) => "a list of names or a mapping".to_string(),
        _ => "a mapping".to_string(),
    };
    Err(wrong(path, &expected, value))
}

fn check_named(value: &Value, fields: &[Field], path: &mut Vec<Step>) -> Result<(), Problem> {
    let Some(map) = value.as_object() else {
        return Err(wrong(path, "a mapping of names", value));
    };
    for (name, item) in map {
        path.push(Step::Key(name.clone()));
        if !item.is_null() {
            check_object(item, fields, path)?;
        }
        path.pop();
    }
    Ok(())
}

fn list_of_strings(value: &Value) -> bool {
    value
        .as_array()
        .is_some_and(|items| items.iter().all(|i| i.is_string() || i.is_number()))
}
