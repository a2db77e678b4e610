//! Variable interpolation as `docker stack deploy` does it, on the parsed values (not the
//! text): `$VAR`, `${VAR}`, `${VAR:-default}` (unset or empty), `${VAR-default}` (unset),
//! `${VAR:?message}` / `${VAR?message}` (required), and `$$` for a literal `$`.

use std::collections::BTreeMap;

/// Interpolates one string; `Err` carries the message of a required variable that is missing
/// or of a malformed reference.
pub fn interpolate(text: &str, env: &BTreeMap<String, String>) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            out.push('$');
            rest = tail;
        } else if let Some(braced) = after.strip_prefix('{') {
            let end = braced
                .find('}')
                .ok_or_else(|| format!("\"{text}\": unclosed \"${{\""))?;
            out.push_str(&expand(&braced[..end], env, text)?);
            rest = &braced[end + 1..];
        } else {
            let len = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            if len == 0 {
                return Err(format!(
                    "\"{text}\": a \"$\" must start a variable or be written \"$$\""
                ));
            }
            out.push_str(env.get(&after[..len]).map(String::as_str).unwrap_or(""));
            rest = &after[len..];
        }
    }
    out.push_str(rest);
    Ok(out)
}

fn expand(inner: &str, env: &BTreeMap<String, String>, whole: &str) -> Result<String, String> {
    let name_len = inner
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(inner.len());
    let (name, op) = inner.split_at(name_len);
    if name.is_empty() {
        return Err(format!("\"{whole}\": \"${{{inner}}}\" names no variable"));
    }
    let value = env.get(name);
    let empty = value.is_none_or(|v| v.is_empty());
    let (unset_only, rule) = match op {
        "" => return Ok(value.cloned().unwrap_or_default()),
        o if o.starts_with(":-") => (false, ('-', &o[2..])),
        o if o.starts_with('-') => (true, ('-', &o[1..])),
        o if o.starts_with(":?") => (false, ('?', &o[2..])),
        o if o.starts_with('?') => (true, ('?', &o[1..])),
        o => {
            return Err(format!(
                "\"{whole}\": \"{o}\" after {name} is not one of :-, -, :?, ?"
            ));
        }
    };
    let missing = if unset_only { value.is_none() } else { empty };
    match (missing, rule) {
        (false, _) => Ok(value.cloned().unwrap_or_default()),
        (true, ('-', default)) => interpolate(default, env),
        (true, (_, message)) => Err(if message.is_empty() {
            format!("required variable {name} is missing a value")
        } else {
            format!("required variable {name} is missing a value: {message}")
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env() -> BTreeMap<String, String> {
        [("TAG", "1.1.0"), ("EMPTY", "")]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn forms_of_docker_stack_deploy() {
        let e = env();
        assert_eq!(interpolate("web:$TAG", &e).unwrap(), "web:1.1.0");
        assert_eq!(interpolate("web:${TAG}-x", &e).unwrap(), "web:1.1.0-x");
        assert_eq!(interpolate("${NOPE:-1.0.0}", &e).unwrap(), "1.0.0");
        assert_eq!(interpolate("${EMPTY:-d}", &e).unwrap(), "d");
        assert_eq!(interpolate("${EMPTY-d}", &e).unwrap(), "");
        assert_eq!(interpolate("cost $$5", &e).unwrap(), "cost $5");
        let err = interpolate("${NOPE:?set NOPE to the release}", &e).unwrap_err();
        assert!(err.contains("NOPE") && err.contains("set NOPE"), "{err}");
        assert!(interpolate("${TAG", &e).is_err());
    }
}
