//! Finds the line of a field in block-style YAML, so validation errors point at the field
//! (`spec.strategy.rollingUpdate.maxUnavailable`) rather than at the whole document.

/// One step of a field path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seg<'a> {
    Key(&'a str),
    Index(usize),
}

#[derive(Debug)]
struct Entry {
    line: usize,
    indent: usize,
    key: Option<String>,
    dash: bool,
}

/// The 1-based (line, column) of `path` in `text`, or of the deepest ancestor found.
/// Flow-style (`{...}`) parts are not searched; their ancestor's line is returned.
pub fn locate(text: &str, path: &[Seg]) -> Option<(usize, Option<usize>)> {
    let entries = entries(text);
    let mut range = 0..entries.len();
    let mut found = entries.first().map(|e| (e.line, None));
    for seg in path {
        let Some(first) = entries.get(range.start).filter(|_| !range.is_empty()) else {
            return found;
        };
        let idx = match *seg {
            Seg::Key(key) => {
                let base = first.indent;
                range.clone().find(|&i| {
                    let e = &entries[i];
                    !e.dash && e.indent == base && e.key.as_deref() == Some(key)
                })
            }
            Seg::Index(n) => {
                let base = range
                    .clone()
                    .find(|&i| entries[i].dash)
                    .map(|i| entries[i].indent);
                range
                    .clone()
                    .filter(|&i| entries[i].dash && Some(entries[i].indent) == base)
                    .nth(n)
            }
        };
        let Some(idx) = idx else { return found };
        let e = &entries[idx];
        found = Some((e.line, Some(e.indent + 1)));
        let mut end = idx + 1;
        while end < range.end {
            let next = &entries[end];
            let inside =
                next.indent > e.indent || (!e.dash && next.dash && next.indent == e.indent);
            if !inside {
                break;
            }
            end += 1;
        }
        range = idx + 1..end;
    }
    found
}

fn entries(text: &str) -> Vec<Entry> {
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let trimmed = raw.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let mut indent = raw.len() - trimmed.len();
        let mut rest = trimmed;
        while rest == "-" || rest.starts_with("- ") {
            out.push(Entry {
                line: i + 1,
                indent,
                key: None,
                dash: true,
            });
            let after = rest[1..].trim_start();
            indent += rest.len() - after.len();
            rest = after;
            if rest.is_empty() {
                break;
            }
        }
        if rest.is_empty() {
            continue;
        }
        out.push(Entry {
            line: i + 1,
            indent,
            key: key_of(rest),
            dash: false,
        });
    }
    out
}

fn key_of(content: &str) -> Option<String> {
    if let Some(q) = content.chars().next().filter(|c| *c == '"' || *c == '\'') {
        let end = content[1..].find(q)? + 1;
        let after = content[end + 1..].trim_start();
        return after.starts_with(':').then(|| content[1..end].to_string());
    }
    let colon = content
        .find(": ")
        .or_else(|| content.strip_suffix(':').map(|s| s.len()))?;
    let key = content[..colon].trim_end();
    (!key.starts_with('{') && !key.starts_with('[')).then(|| key.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  strategy:
    rollingUpdate:
      maxSurge: 0
      maxUnavailable: 0
  template:
    spec:
      containers:
      - name: web
        image: a
        readinessProbe:
          periodSeconds: 0
      - name: side
        image: b
";

    #[test]
    fn finds_nested_keys_and_sequence_items() {
        let path = [
            Seg::Key("spec"),
            Seg::Key("strategy"),
            Seg::Key("rollingUpdate"),
            Seg::Key("maxUnavailable"),
        ];
        assert_eq!(locate(DOC, &path), Some((9, Some(7))));
        let path = [
            Seg::Key("spec"),
            Seg::Key("template"),
            Seg::Key("spec"),
            Seg::Key("containers"),
            Seg::Index(1),
            Seg::Key("image"),
        ];
        assert_eq!(locate(DOC, &path), Some((18, Some(9))));
        let path = [
            Seg::Key("spec"),
            Seg::Key("template"),
            Seg::Key("spec"),
            Seg::Key("containers"),
            Seg::Index(0),
            Seg::Key("readinessProbe"),
            Seg::Key("periodSeconds"),
        ];
        assert_eq!(locate(DOC, &path), Some((16, Some(11))));
    }

    #[test]
    fn missing_fields_fall_back_to_the_deepest_ancestor() {
        let path = [Seg::Key("spec"), Seg::Key("selector")];
        assert_eq!(locate(DOC, &path), Some((5, Some(1))));
        assert_eq!(
            locate("a: {b: 1}\n", &[Seg::Key("a"), Seg::Key("b")]),
            Some((1, Some(1)))
        );
    }
}
