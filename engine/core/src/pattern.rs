//! Matching text against a pattern with one wildcard token (`*` in image profiles, `...` in
//! reference cases).

/// Whether `text` matches `pattern`, where every `wildcard` in the pattern stands for any run
/// of characters.
pub fn matches(pattern: &str, text: &str, wildcard: &str) -> bool {
    let parts: Vec<&str> = pattern.split(wildcard).collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if text.len() < first.len() + last.len() || !text.starts_with(first) || !text.ends_with(last) {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for part in &parts[1..parts.len() - 1] {
        match rest.find(part) {
            Some(i) => rest = &rest[i + part.len()..],
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn wildcards_stand_for_any_run() {
        assert!(matches("web:*", "web:1.2", "*"));
        assert!(matches("*/web:*", "ghcr.io/x/web:1", "*"));
        assert!(!matches("web:*", "api:1", "*"));
        assert!(matches("a*b*c", "a-b-c", "*"));
        assert!(!matches("ab*ba", "aba", "*"));
        assert!(matches("x: ...: y", "x: \"0%\": y", "..."));
        assert!(matches("exact", "exact", "*"));
    }
}
