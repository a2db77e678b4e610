//! Manifests: read from files, directories, YAML text or script maps; validated as a batch
//! before anything is applied, with errors that name the file and line.

mod load;
mod locate;
mod schema;
mod validate;

pub use load::{clear_cache, load_path, load_text, load_value};
pub use locate::{Seg, locate};
pub use validate::validate;

use crate::error::{Error, Result, SourceLocation};
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
}

impl Manifest {
    pub fn kind_name(&self) -> &str {
        self.object
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or("")
    }

    /// The kind; only valid after [`validate`].
    pub fn kind(&self) -> Kind {
        Kind::parse(self.kind_name()).expect("validated manifest has a known kind")
    }

    pub fn name(&self) -> &str {
        crate::k8s::json::str_at(&self.object, &["metadata", "name"]).unwrap_or("")
    }

    pub fn namespace(&self) -> Option<&str> {
        crate::k8s::json::str_at(&self.object, &["metadata", "namespace"])
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

    /// An error about this document at `path`.
    pub fn error_at(&self, path: &[Seg], message: impl Into<String>) -> Error {
        Error::Manifest {
            location: self.location_of(path),
            message: message.into(),
        }
    }
}

/// Checks every manifest of a batch and returns the first problem; nothing may be applied
/// unless this passes (DESIGN: bad input changes nothing).
pub fn validate_all(manifests: &[Manifest]) -> Result<()> {
    for m in manifests {
        validate(m)?;
    }
    let mut seen = std::collections::BTreeSet::new();
    for m in manifests {
        let key = (
            m.kind_name().to_string(),
            m.namespace().unwrap_or("").to_string(),
            m.name().to_string(),
        );
        if !seen.insert(key) {
            return Err(m.error_at(
                &[Seg::Key("metadata"), Seg::Key("name")],
                format!(
                    "{} \"{}\" appears twice in this batch; each object may be applied once",
                    m.kind_name(),
                    m.name()
                ),
            ));
        }
    }
    Ok(())
}
