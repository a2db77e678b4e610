//! References to objects as scripts and flags name them: `"web"`, `"deployment/web"`, or a map.

use crate::error::{Error, Result};
use crate::kind::Kind;
use std::fmt;

/// A kind, an optional namespace (None = the run's namespace) and a name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectRef {
    pub kind: Kind,
    pub namespace: Option<String>,
    pub name: String,
}

impl ObjectRef {
    pub fn new(kind: Kind, namespace: Option<&str>, name: &str) -> Self {
        ObjectRef {
            kind,
            namespace: namespace.map(str::to_string),
            name: name.to_string(),
        }
    }

    /// Parses `"name"` (of `default_kind`) or `"kind/name"`.
    pub fn parse(text: &str, default_kind: Kind) -> Result<ObjectRef> {
        let text = text.trim();
        let (kind, name) = match text.split_once('/') {
            Some((k, n)) => {
                let kind = Kind::parse(k).ok_or_else(|| {
                    Error::bad_input(
                        format!("object \"{text}\""),
                        format!("unknown kind \"{k}\"; known kinds: {}", Kind::known_names()),
                    )
                })?;
                (kind, n)
            }
            None => (default_kind, text),
        };
        if name.is_empty() || name.contains('/') {
            return Err(Error::bad_input(
                format!("object \"{text}\""),
                "expected \"NAME\" or \"KIND/NAME\", for example \"web\" or \"deployment/web\"",
            ));
        }
        Ok(ObjectRef {
            kind,
            namespace: None,
            name: name.to_string(),
        })
    }

    /// The namespace to use, given the run's namespace.
    pub fn namespace_or<'a>(&'a self, default: &'a str) -> &'a str {
        if !self.kind.namespaced() {
            return "";
        }
        self.namespace.as_deref().unwrap_or(default)
    }

    /// `deployment/web`, as kubectl prints it.
    pub fn short(&self) -> String {
        format!("{}/{}", self.kind.singular(), self.name)
    }
}

impl fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.namespace {
            Some(ns) if self.kind.namespaced() => {
                write!(f, "{}/{} (namespace {ns})", self.kind.singular(), self.name)
            }
            _ => write!(f, "{}/{}", self.kind.singular(), self.name),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_names_and_kinds() {
        let r = ObjectRef::parse("web", Kind::Deployment).unwrap();
        assert_eq!((r.kind, r.name.as_str()), (Kind::Deployment, "web"));
        let r = ObjectRef::parse("svc/front", Kind::Deployment).unwrap();
        assert_eq!((r.kind, r.name.as_str()), (Kind::Service, "front"));
        let r = ObjectRef::parse("deployments.apps/api", Kind::Service).unwrap();
        assert_eq!(r.kind, Kind::Deployment);
    }

    #[test]
    fn rejects_unknown_kinds_with_the_list() {
        let err = ObjectRef::parse("statefulthing/x", Kind::Deployment)
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown kind \"statefulthing\""), "{err}");
        assert!(err.contains("deployment"), "{err}");
        assert!(ObjectRef::parse("a/b/c", Kind::Deployment).is_err());
        assert!(ObjectRef::parse("", Kind::Deployment).is_err());
    }
}
