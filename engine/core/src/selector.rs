//! Label selectors as users type them (`app=web`, `tier!=db`, `app in (web,api)`, `track`,
//! `!canary`), parsed and matched the way `kubectl -l` does, on any target.

use crate::error::{Error, Result};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// One requirement of a selector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Requirement {
    Equals(String, String),
    NotEquals(String, String),
    In(String, BTreeSet<String>),
    NotIn(String, BTreeSet<String>),
    Exists(String),
    DoesNotExist(String),
}

/// A parsed selector: every requirement must hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selector {
    text: String,
    requirements: Vec<Requirement>,
}

impl Selector {
    /// Parses kubectl's selector syntax; an empty text is refused (it would select everything).
    ///
    /// ```
    /// use rollplay_core::selector::Selector;
    /// use std::collections::BTreeMap;
    /// let s = Selector::parse("app in (web,api),tier!=db").unwrap();
    /// let labels = BTreeMap::from([("app".to_string(), "api".to_string())]);
    /// assert!(s.matches(&labels));
    /// ```
    pub fn parse(text: &str) -> Result<Selector> {
        let bad = |why: String| {
            Error::bad_input(
                format!("selector \"{text}\""),
                format!(
                    "{why}; expected kubectl's syntax, e.g. \"app=web\", \"app in (web,api)\", \"tier!=db\""
                ),
            )
        };
        let mut requirements = Vec::new();
        for part in split_top_level(text) {
            let part = part.trim();
            if part.is_empty() {
                return Err(bad("an empty requirement".into()));
            }
            requirements.push(parse_requirement(part).map_err(bad)?);
        }
        if requirements.is_empty() {
            return Err(bad("no requirement".into()));
        }
        Ok(Selector {
            text: text.trim().to_string(),
            requirements,
        })
    }

    /// Whether the text looks like a selector rather than an object name.
    pub fn looks_like(text: &str) -> bool {
        text.contains('=')
            || text.contains(" in ")
            || text.contains(" notin ")
            || text.starts_with('!')
    }

    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.requirements.iter().all(|r| match r {
            Requirement::Equals(k, v) => labels.get(k) == Some(v),
            Requirement::NotEquals(k, v) => labels.get(k) != Some(v),
            Requirement::In(k, vs) => labels.get(k).is_some_and(|v| vs.contains(v)),
            Requirement::NotIn(k, vs) => labels.get(k).is_none_or(|v| !vs.contains(v)),
            Requirement::Exists(k) => labels.contains_key(k),
            Requirement::DoesNotExist(k) => !labels.contains_key(k),
        })
    }

    pub fn requirements(&self) -> &[Requirement] {
        &self.requirements
    }

    /// The equality requirements as a map, when the selector has only those (what a
    /// Service's selector or `matchLabels` can hold).
    pub fn as_equalities(&self) -> Option<BTreeMap<String, String>> {
        self.requirements
            .iter()
            .map(|r| match r {
                Requirement::Equals(k, v) => Some((k.clone(), v.clone())),
                _ => None,
            })
            .collect()
    }
}

impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// Splits on commas outside parentheses.
fn split_top_level(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0i32, 0);
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    if !text.trim().is_empty() {
        parts.push(&text[start..]);
    }
    parts
}

fn parse_requirement(part: &str) -> std::result::Result<Requirement, String> {
    let key = |k: &str| -> std::result::Result<String, String> {
        let k = k.trim();
        if k.is_empty() || k.contains(char::is_whitespace) {
            Err(format!("\"{k}\" is not a label key"))
        } else {
            Ok(k.to_string())
        }
    };
    for (word, negated) in [(" notin ", true), (" in ", false)] {
        if let Some((k, rest)) = part.split_once(word) {
            let rest = rest.trim();
            let values = rest
                .strip_prefix('(')
                .and_then(|r| r.strip_suffix(')'))
                .ok_or_else(|| format!("\"{part}\": the values go in parentheses"))?;
            let values: BTreeSet<String> = values
                .split(',')
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
                .collect();
            if values.is_empty() {
                return Err(format!("\"{part}\": at least one value"));
            }
            return Ok(if negated {
                Requirement::NotIn(key(k)?, values)
            } else {
                Requirement::In(key(k)?, values)
            });
        }
    }
    if let Some((k, v)) = part.split_once("!=") {
        return Ok(Requirement::NotEquals(key(k)?, v.trim().to_string()));
    }
    if let Some((k, v)) = part.split_once("==").or_else(|| part.split_once('=')) {
        return Ok(Requirement::Equals(key(k)?, v.trim().to_string()));
    }
    if let Some(k) = part.strip_prefix('!') {
        return Ok(Requirement::DoesNotExist(key(k)?));
    }
    Ok(Requirement::Exists(key(part)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn kubectl_forms_match_as_kubectl_matches_them() {
        let web = labels(&[("app", "web"), ("tier", "front")]);
        let db = labels(&[("app", "db")]);
        for (text, on_web, on_db) in [
            ("app=web", true, false),
            ("app==web", true, false),
            ("app!=web", false, true),
            ("app in (web, api)", true, false),
            ("app notin (web)", false, true),
            ("tier", true, false),
            ("!tier", false, true),
            ("app in (web,db),tier", true, false),
        ] {
            let s = Selector::parse(text).unwrap();
            assert_eq!((s.matches(&web), s.matches(&db)), (on_web, on_db), "{text}");
        }
        assert_eq!(
            Selector::parse("app=web,track=canary")
                .unwrap()
                .as_equalities(),
            Some(labels(&[("app", "web"), ("track", "canary")]))
        );
        assert_eq!(Selector::parse("app in (a)").unwrap().as_equalities(), None);
    }

    #[test]
    fn malformed_selectors_say_what_is_expected() {
        for text in ["", "app in web", "app in ()", ",app=web", "a b=c"] {
            let err = Selector::parse(text).unwrap_err().to_string();
            assert!(err.contains("kubectl's syntax"), "{text}: {err}");
        }
    }
}
