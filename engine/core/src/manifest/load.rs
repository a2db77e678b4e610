//! Reading manifests: files, directories (lexical order, like `kubectl apply -f DIR`), YAML text
//! with several documents, and script maps; `List` objects are expanded.

use super::{Manifest, Origin};
use crate::error::{Error, Result, SourceLocation};
use serde_json::Value;
use std::path::Path;
use std::sync::Arc;

/// Parsed files, keyed by path and by what the file system says about it (size, modification
/// time, inode), so re-applying unchanged files (the REPL, repeated runs in one process) does
/// not parse them again.
type FileKey = (std::path::PathBuf, u64, Option<std::time::SystemTime>, u64);

static PARSED: std::sync::Mutex<Option<std::collections::HashMap<FileKey, Vec<Manifest>>>> =
    std::sync::Mutex::new(None);

fn file_key(path: &Path, meta: &std::fs::Metadata) -> FileKey {
    use std::os::unix::fs::MetadataExt;
    (
        path.to_path_buf(),
        meta.len(),
        meta.modified().ok(),
        meta.ino(),
    )
}

/// Forgets every parsed file (benchmarks measure parsing with this).
pub fn clear_cache() {
    *PARSED.lock().unwrap_or_else(|e| e.into_inner()) = None;
}

fn load_file(path: &Path, meta: &std::fs::Metadata, shown: &str) -> Result<Vec<Manifest>> {
    let key = file_key(path, meta);
    if let Some(hit) = PARSED
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .as_ref()
        .and_then(|c| c.get(&key))
    {
        return Ok(hit.clone());
    }
    let text = std::fs::read_to_string(path).map_err(|e| Error::Manifest {
        location: SourceLocation {
            file: shown.to_string(),
            line: 1,
            column: None,
            document: None,
        },
        message: format!("cannot read manifests: {e}"),
    })?;
    let parsed = load_text(&text, shown)?;
    let mut cache = PARSED.lock().unwrap_or_else(|e| e.into_inner());
    let cache = cache.get_or_insert_with(Default::default);
    if cache.len() >= 256 {
        cache.clear();
    }
    cache.insert(key, parsed.clone());
    Ok(parsed)
}

/// Reads a file or every `*.yaml`, `*.yml` and `*.json` file of a directory (not recursive).
pub fn load_path(path: &Path) -> Result<Vec<Manifest>> {
    let shown = path.display().to_string();
    let unreadable = |e: std::io::Error| Error::Manifest {
        location: SourceLocation {
            file: shown.clone(),
            line: 1,
            column: None,
            document: None,
        },
        message: format!("cannot read manifests: {e}"),
    };
    let meta = std::fs::metadata(path).map_err(unreadable)?;
    if !meta.is_dir() {
        return load_file(path, &meta, &shown);
    }
    let mut files: Vec<_> = std::fs::read_dir(path)
        .map_err(unreadable)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.is_file()
                && matches!(
                    p.extension().and_then(|e| e.to_str()),
                    Some("yaml" | "yml" | "json")
                )
        })
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(Error::Manifest {
            location: SourceLocation {
                file: shown,
                line: 1,
                column: None,
                document: None,
            },
            message: "no manifests here: the directory has no .yaml, .yml or .json files".into(),
        });
    }
    let mut out = Vec::new();
    for file in files {
        out.extend(load_path(&file)?);
    }
    Ok(out)
}

/// Parses YAML (or JSON) text with any number of `---`-separated documents.
pub fn load_text(text: &str, file: &str) -> Result<Vec<Manifest>> {
    let docs = split_documents(text);
    let count = docs.len();
    let mut out = Vec::new();
    for (i, (first_line, body)) in docs.into_iter().enumerate() {
        let origin = Origin {
            file: file.to_string(),
            first_line,
            document: i + 1,
            documents: count,
            text: Arc::from(body.as_str()),
        };
        let value: Value = serde_saphyr::from_str(&body).map_err(|e| {
            let (line, column) = e
                .location()
                .map(|l| (l.line() as usize, Some(l.column() as usize)))
                .unwrap_or((1, None));
            Error::Manifest {
                location: SourceLocation {
                    file: file.to_string(),
                    line: first_line + line - 1,
                    column,
                    document: Some((i + 1, count)),
                },
                message: format!("invalid YAML: {}", yaml_message(&e)),
            }
        })?;
        push_object(value, origin, &mut out)?;
    }
    Ok(out)
}

/// A manifest given as a script map (already structured data).
pub fn load_value(value: Value, name: &str) -> Result<Vec<Manifest>> {
    let origin = Origin {
        file: name.to_string(),
        first_line: 1,
        document: 1,
        documents: 1,
        text: Arc::from(""),
    };
    let mut out = Vec::new();
    match value {
        Value::Array(items) => {
            for item in items {
                push_object(unwrap_read(item), origin.clone(), &mut out)?;
            }
        }
        other => push_object(unwrap_read(other), origin, &mut out)?,
    }
    Ok(out)
}

/// What `read_manifests` returns (`kind`, `name`, `namespace` and the `object`) stands for its
/// object, so `apply(read_manifests(path))` applies what was read.
fn unwrap_read(value: Value) -> Value {
    match value {
        Value::Object(mut map)
            if !map.contains_key("apiVersion")
                && map.get("object").is_some_and(Value::is_object) =>
        {
            map.remove("object").unwrap_or_default()
        }
        other => other,
    }
}

fn push_object(value: Value, origin: Origin, out: &mut Vec<Manifest>) -> Result<()> {
    match value {
        Value::Null => Ok(()),
        Value::Object(ref map)
            if map
                .get("kind")
                .and_then(Value::as_str)
                .is_some_and(|k| k.ends_with("List")) =>
        {
            for item in map
                .get("items")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default()
            {
                push_object(item, origin.clone(), out)?;
            }
            Ok(())
        }
        Value::Object(_) => {
            out.push(Manifest::new(value, origin));
            Ok(())
        }
        other => Err(Error::Manifest {
            location: SourceLocation {
                file: origin.file.clone(),
                line: origin.first_line,
                column: None,
                document: Some((origin.document, origin.documents)),
            },
            message: format!(
                "expected a Kubernetes object (a mapping with apiVersion, kind and metadata), found {}",
                match other {
                    Value::Array(_) => "a list",
                    Value::String(_) => "a string",
                    _ => "a scalar",
                }
            ),
        }),
    }
}

/// Splits at `---` document markers, keeping each document's first line number (1-based).
/// The marker itself is blanked so that columns stay where they were.
fn split_documents(text: &str) -> Vec<(usize, String)> {
    let mut docs = Vec::new();
    let mut current = String::new();
    let mut start = 1;
    for (i, line) in text.lines().enumerate() {
        let is_marker = line == "---" || line.starts_with("--- ") || line.starts_with("---\t");
        let is_end = line == "..." || line.starts_with("... ");
        if is_marker || is_end {
            if !current.is_empty() || i > 0 {
                docs.push((start, std::mem::take(&mut current)));
            }
            start = i + 1;
            if is_marker {
                current.push_str("   ");
                current.push_str(&line[3..]);
                current.push('\n');
            } else {
                current.push('\n');
            }
            continue;
        }
        current.push_str(line);
        current.push('\n');
    }
    docs.push((start, current));
    docs.retain(|(_, body)| !is_blank(body));
    docs
}

fn is_blank(body: &str) -> bool {
    body.lines().all(|l| {
        let t = l.trim();
        t.is_empty() || t.starts_with('#')
    })
}

/// The YAML error message without the location prefix and the source snippet.
fn yaml_message(e: &serde_saphyr::Error) -> String {
    let text = e.without_snippet().to_string();
    let first = text.lines().next().unwrap_or_default();
    let first = first.strip_prefix("error: ").unwrap_or(first);
    // "line 2 column 4: unclosed bracket" → "unclosed bracket"
    match first.split_once(": ") {
        Some((loc, rest)) if loc.starts_with("line ") => rest.to_string(),
        _ => first.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_keep_their_line_numbers() {
        let text = "a: 1\n---\nb: 2\n\n---\n# only a comment\n---\nc: [3,\n";
        let err = load_text(text, "m.yaml").unwrap_err();
        match err {
            Error::Manifest { location, message } => {
                assert_eq!(location.line, 8, "{message}");
                assert_eq!(
                    location.document,
                    Some((3, 3)),
                    "blank documents are not counted"
                );
                assert!(message.starts_with("invalid YAML"), "{message}");
            }
            other => panic!("{other}"),
        }
    }

    #[test]
    fn lists_are_expanded_and_blank_documents_skipped() {
        let text = "---\nkind: List\nitems:\n- {kind: A}\n- {kind: B}\n---\n---\nkind: C\n";
        let m = load_text(text, "m.yaml").unwrap();
        let kinds: Vec<_> = m.iter().map(|m| m.kind_name().to_string()).collect();
        assert_eq!(kinds, ["A", "B", "C"]);
        assert_eq!(m[2].origin.first_line, 7);
    }

    #[test]
    fn scalars_are_not_objects() {
        let err = load_text("just text\n", "m.yaml").unwrap_err().to_string();
        assert!(err.contains("expected a Kubernetes object"), "{err}");
    }
}
