//! References to objects as scripts and flags name them (`"web"`, `"deployment/web"`, or a
//! map), resolved once against the run's namespace.

use crate::error::{Error, Result};
use crate::kind::Kind;
use std::fmt;

/// A kind, a namespace and a name. The namespace is resolved when the reference is made (the
/// one the object names, else the run's) and is empty for cluster-scoped kinds.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectRef {
    pub kind: Kind,
    pub namespace: String,
    pub name: String,
}

impl ObjectRef {
    /// A reference in `namespace` (ignored for cluster-scoped kinds).
    pub fn new(kind: Kind, namespace: &str, name: &str) -> Self {
        ObjectRef {
            kind,
            namespace: if kind.namespaced() {
                namespace.to_string()
            } else {
                String::new()
            },
            name: name.to_string(),
        }
    }

    /// Parses `"name"` (of `default_kind`) or `"kind/name"`, in `namespace`.
    pub fn parse(text: &str, default_kind: Kind, namespace: &str) -> Result<ObjectRef> {
        let text = text.trim();
        let (kind, name) = match text.split_once('/') {
            Some((k, n)) => {
                let kind = Kind::parse(k).ok_or_else(|| {
                    Error::bad_input(
                        format!("object \"{text}\""),
                        format!(
                            "unknown kind \"{k}\"{}; known kinds: {}",
                            crate::suggest::hint(
                                k,
                                crate::kind::BUILTIN_KINDS.iter().map(|k| k.plural())
                            ),
                            Kind::known_names()
                        ),
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
        Ok(ObjectRef::new(kind, namespace, name))
    }

    /// `deployment/web`, as kubectl prints it.
    pub fn short(&self) -> String {
        format!("{}/{}", self.kind.singular(), self.name)
    }
}

impl fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.kind.singular(), self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_names_and_kinds_in_the_namespace() {
        let r = ObjectRef::parse("web", Kind::Deployment, "demo").unwrap();
        assert_eq!(
            (r.kind, r.namespace.as_str(), r.name.as_str()),
            (Kind::Deployment, "demo", "web")
        );
        let r = ObjectRef::parse("svc/front", Kind::Deployment, "demo").unwrap();
        assert_eq!((r.kind, r.name.as_str()), (Kind::Service, "front"));
        let r = ObjectRef::parse("deployments.apps/api", Kind::Service, "demo").unwrap();
        assert_eq!(r.kind, Kind::Deployment);
        let r = ObjectRef::parse("sts/zk", Kind::Deployment, "demo").unwrap();
        assert_eq!(r.kind, Kind::StatefulSet);
        let r = ObjectRef::parse("namespace/demo", Kind::Deployment, "other").unwrap();
        assert_eq!(r.namespace, "", "cluster-scoped kinds have no namespace");
    }

    #[test]
    fn rejects_unknown_kinds_with_the_list() {
        let err = ObjectRef::parse("statefulthing/x", Kind::Deployment, "default")
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown kind \"statefulthing\""), "{err}");
        assert!(err.contains("deployment"), "{err}");
        let err = ObjectRef::parse("deploymnts/x", Kind::Service, "default")
            .unwrap_err()
            .to_string();
        assert!(err.contains("did you mean \"deployments\""), "{err}");
        assert!(ObjectRef::parse("a/b/c", Kind::Deployment, "default").is_err());
        assert!(ObjectRef::parse("", Kind::Deployment, "default").is_err());
    }
}
