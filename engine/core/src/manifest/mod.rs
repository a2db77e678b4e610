//! Manifests: read from files, directories, YAML text or script maps, each document with
//! where it came from, so every target's validation can point at the file, line and column.

mod load;
mod locate;

pub use load::{clear_cache, load_path, load_text, load_value};
pub use locate::{Seg, locate};

use crate::error::{Error, SourceLocation};
use crate::kind::Kind;
use serde_json::Value;
use std::sync::Arc;

/// Where a manifest document came from.
#[derive(Debug, Clone)]
pub struct Origin {
    /// File path as given, `<inline>` for YAML text or `<script map>` for maps.
    pub file: String,
    /// 1-based line of the document's first line within the file.
    pub first_line: usize,
    /// 1-based document index and document count of the file.
    pub document: usize,
    pub documents: usize,
    /// The document's own text, for pointing at fields (empty for maps).
    pub text: Arc<str>,
}

/// One object to apply, as written (shared: manifests are read, never changed).
#[derive(Debug, Clone)]
pub struct Manifest {
    pub object: std::sync::Arc<Value>,
    pub origin: Origin,
    /// Resolved once: batches sort, validate and apply by kind many times.
    kind: Kind,
}

/// A batch in install order (stable: objects of one kind keep the order they were given).
pub fn install_order(manifests: &[Manifest]) -> Vec<&Manifest> {
    let mut ordered: Vec<&Manifest> = manifests.iter().collect();
    ordered.sort_by_key(|m| m.kind().install_rank());
    ordered
}

impl Manifest {
    pub fn new(object: Value, origin: Origin) -> Manifest {
        let text = |field: &str| object.get(field).and_then(Value::as_str).unwrap_or("");
        let kind = Kind::resolve(text("apiVersion"), text("kind"));
        Manifest {
            object: Arc::new(object),
            origin,
            kind,
        }
    }

    pub fn kind_name(&self) -> &str {
        self.object
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or("")
    }

    pub fn api_version(&self) -> &str {
        self.object
            .get("apiVersion")
            .and_then(Value::as_str)
            .unwrap_or("")
    }

    /// The kind its `apiVersion` and `kind` name: built in, or custom.
    pub fn kind(&self) -> Kind {
        self.kind
    }

    pub fn name(&self) -> &str {
        self.metadata("name").unwrap_or("")
    }

    pub fn namespace(&self) -> Option<&str> {
        self.metadata("namespace")
    }

    fn metadata(&self, field: &str) -> Option<&str> {
        self.object
            .get("metadata")
            .and_then(|m| m.get(field))
            .and_then(Value::as_str)
    }

    /// The namespace the object goes to: its own, else `default` (empty when cluster-scoped).
    pub fn namespace_or<'a>(&'a self, default: &'a str) -> &'a str {
        if !self.kind().namespaced() {
            return "";
        }
        self.namespace().unwrap_or(default)
    }

    /// The object this manifest applies, with its namespace resolved.
    pub fn object_ref(&self, default_namespace: &str) -> crate::objref::ObjectRef {
        crate::objref::ObjectRef::new(
            self.kind(),
            self.namespace_or(default_namespace),
            self.name(),
        )
    }

    /// The file, line and column of a field of this document (or of the document start).
    pub fn location_of(&self, path: &[Seg]) -> SourceLocation {
        let (line, column) = locate(&self.origin.text, path).unwrap_or((1, None));
        SourceLocation {
            file: self.origin.file.clone(),
            line: self.origin.first_line + line - 1,
            column,
            document: Some((self.origin.document, self.origin.documents)),
        }
    }

    /// Refuses an object whose own namespace differs from the one the user asked for with
    /// `-n`, as kubectl does ("the namespace from the provided object does not match"):
    /// deploying it elsewhere than asked would be a silent surprise.
    pub fn check_namespace_pinned(&self, pinned: &str) -> Result<(), Error> {
        match self.namespace() {
            Some(own) if self.kind().namespaced() && own != pinned => Err(self.error_at(
                &[Seg::Key("metadata"), Seg::Key("namespace")],
                format!(
                    "{}/{} is for namespace \"{own}\", but -n {pinned} was given; pass -n {own} or leave -n out",
                    self.kind().singular(),
                    self.name()
                ),
            )),
            _ => Ok(()),
        }
    }

    /// An error about this document at `path`.
    pub fn error_at(&self, path: &[Seg], message: impl Into<String>) -> Error {
        Error::Manifest {
            location: self.location_of(path),
            message: message.into(),
        }
    }
}
