//! Field errors as the API server reports them (`spec.replicas: Invalid value: -1: must be
//! greater than or equal to 0`), collected under a path while one manifest is checked.

use crate::json::{at, render};
use serde_json::Value;

/// One step of a field path, owned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathSeg {
    Key(String),
    Index(usize),
}

/// A field error as the API reports it: the path and the detail.
#[derive(Debug)]
pub(crate) struct FieldError {
    pub path: Vec<PathSeg>,
    pub detail: String,
}

impl FieldError {
    pub fn render(&self) -> String {
        let mut out = String::new();
        for seg in &self.path {
            match seg {
                PathSeg::Key(k) => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(k);
                }
                PathSeg::Index(i) => out.push_str(&format!("[{i}]")),
            }
        }
        if out.is_empty() {
            self.detail.clone()
        } else {
            format!("{out}: {}", self.detail)
        }
    }
}

/// Collects field errors under a moving path.
pub(crate) struct Check<'a> {
    pub root: &'a Value,
    pub errors: Vec<FieldError>,
}

pub(crate) fn p(path: &[&str]) -> Vec<PathSeg> {
    path.iter().map(|k| PathSeg::Key(k.to_string())).collect()
}

impl Check<'_> {
    pub fn err(&mut self, path: Vec<PathSeg>, detail: impl Into<String>) {
        self.errors.push(FieldError {
            path,
            detail: detail.into(),
        });
    }
    pub fn get(&self, path: &[&str]) -> Option<&Value> {
        at(self.root, path)
    }
    pub fn non_negative_int(&mut self, path: &[&str]) {
        match self.get(path).cloned() {
            None => {}
            Some(Value::Number(n)) if n.as_i64().is_some_and(|v| v >= 0) => {}
            Some(v @ Value::Number(_)) => {
                let detail = if v.as_f64().is_some_and(|f| f.fract() != 0.0) {
                    format!("Invalid value: {v}: must be an integer")
                } else {
                    format!("Invalid value: {v}: must be greater than or equal to 0")
                };
                self.err(p(path), detail);
            }
            Some(v) => self.err(
                p(path),
                format!("Invalid value: {}: must be an integer", render(&v)),
            ),
        }
    }
    pub fn string_map(&mut self, path: &[&str]) {
        if let Some(Value::Object(map)) = self.get(path).cloned() {
            for (k, v) in map {
                if !v.is_string() {
                    let mut fp = p(path);
                    fp.push(PathSeg::Key(k.clone()));
                    self.err(
                        fp,
                        format!(
                            "Invalid value: {}: must be a string (quote it: \"{}\")",
                            render(&v),
                            v.to_string().trim_matches('"')
                        ),
                    );
                }
            }
        } else if let Some(v) = self.get(path).filter(|v| !v.is_null()).cloned() {
            self.err(
                p(path),
                format!("Invalid value: {}: must be a map of strings", render(&v)),
            );
        }
    }
}
