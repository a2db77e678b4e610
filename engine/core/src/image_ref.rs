//! Image references checked by the grammar of the distribution spec (the one registries, the
//! Docker engine and the kubelet use), so a playbook refuses `x y`, `Web:1` or an empty image
//! before it changes anything instead of when the cluster rejects it mid-run.
//!
//! ```text
//! reference  := name [ ":" tag ] [ "@" digest ]
//! name       := [ domain "/" ] path-component [ "/" path-component ]*
//! domain     := host [ ":" port ]          host: DNS labels, or "[" IPv6 "]"
//! path-component := [a-z0-9]+ ( ( "." | "_" | "__" | "-"+ ) [a-z0-9]+ )*
//! tag        := [A-Za-z0-9_] [A-Za-z0-9_.-]{0,127}
//! digest     := algorithm ":" hex{32,}      sha256, sha384, sha512 with their lengths
//! ```
//!
//! The name (domain and path) is at most 255 characters.

use std::net::Ipv6Addr;

/// An image reference split into its parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef {
    /// The registry host and port, when the reference names one.
    pub domain: Option<String>,
    /// The repository path inside the registry (`rollplay-demo/web`).
    pub path: String,
    pub tag: Option<String>,
    pub digest: Option<String>,
}

/// The longest name (domain and path) a registry accepts.
pub const NAME_MAX: usize = 255;

/// Parses `reference`, or says what is wrong with it in words a user can act on.
///
/// ```
/// use rollplay_core::image_ref::parse;
/// let r = parse("ghcr.io/rollplay-demo/web:1.1.0").unwrap();
/// assert_eq!((r.domain.as_deref(), r.path.as_str(), r.tag.as_deref()), (Some("ghcr.io"), "rollplay-demo/web", Some("1.1.0")));
/// assert!(parse("web:1.1.0").is_ok());
/// assert_eq!(parse("Web:1").unwrap_err(), "the repository name \"Web\" must be lowercase");
/// assert!(parse("x y").unwrap_err().contains("not an image reference"));
/// ```
pub fn parse(reference: &str) -> Result<ImageRef, String> {
    if reference.is_empty() {
        return Err("the image reference is empty".into());
    }
    let invalid = |why: &str| format!("\"{reference}\" is not an image reference: {why}");
    let (rest, digest) = match reference.split_once('@') {
        Some((rest, digest)) => {
            check_digest(digest).map_err(|why| invalid(&why))?;
            (rest, Some(digest.to_string()))
        }
        None => (reference, None),
    };
    // A tag follows the last ':' that comes after the last '/', so a registry's port is not
    // taken for a tag.
    let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
    let (name, tag) = match rest[last_slash..].rfind(':') {
        Some(i) => {
            let at = last_slash + i;
            (&rest[..at], Some(rest[at + 1..].to_string()))
        }
        None => (rest, None),
    };
    if let Some(tag) = &tag {
        check_tag(tag).map_err(|why| invalid(&why))?;
    }
    if name.is_empty() {
        return Err(invalid("it has no repository name"));
    }
    if name.len() > NAME_MAX {
        return Err(format!(
            "the repository name of \"{reference}\" is {} characters; registries accept at most {NAME_MAX}",
            name.len()
        ));
    }
    let (domain, path) = split_domain(name).map_err(|why| invalid(&why))?;
    for component in path.split('/') {
        if !is_path_component(component) {
            if component.chars().any(|c| c.is_ascii_uppercase())
                && is_path_component(&component.to_ascii_lowercase())
            {
                return Err(format!("the repository name \"{name}\" must be lowercase"));
            }
            return Err(invalid(&format!(
                "\"{component}\" is not a path component (lowercase letters and digits, joined by '.', '_', '__' or '-')"
            )));
        }
    }
    Ok(ImageRef {
        domain: domain.map(str::to_string),
        path: path.to_string(),
        tag,
        digest,
    })
}

/// The first component is a domain when it could only be one (it has a '.' or a ':', is
/// `localhost`, or has capitals a path may not have) and valid as one.
fn split_domain(name: &str) -> Result<(Option<&str>, &str), String> {
    let Some((first, path)) = name.split_once('/') else {
        return Ok((None, name));
    };
    let looks_like_domain = first.contains(['.', ':', '['])
        || first == "localhost"
        || first.chars().any(|c| c.is_ascii_uppercase());
    if !looks_like_domain {
        return Ok((None, name));
    }
    check_domain(first)?;
    Ok((Some(first), path))
}

fn check_domain(domain: &str) -> Result<(), String> {
    let bad = || format!("\"{domain}\" is not a registry host[:port]");
    let (host, port) = if let Some(inner) = domain.strip_prefix('[') {
        let (address, after) = inner.split_once(']').ok_or_else(bad)?;
        address.parse::<Ipv6Addr>().map_err(|_| bad())?;
        match after {
            "" => ("", None),
            _ => ("", Some(after.strip_prefix(':').ok_or_else(bad)?)),
        }
    } else {
        match domain.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (domain, None),
        }
    };
    if let Some(port) = port
        && (port.is_empty() || !port.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(bad());
    }
    if !domain.starts_with('[') && !host.split('.').all(is_domain_label) {
        return Err(bad());
    }
    Ok(())
}

fn is_domain_label(label: &str) -> bool {
    let b = label.as_bytes();
    !b.is_empty()
        && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
        && b[0] != b'-'
        && b[b.len() - 1] != b'-'
}

fn is_path_component(component: &str) -> bool {
    let b = component.as_bytes();
    let alnum = |c: &u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    if b.is_empty() || !alnum(&b[0]) || !alnum(&b[b.len() - 1]) {
        return false;
    }
    let mut i = 0;
    while i < b.len() {
        if alnum(&b[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && !alnum(&b[i]) {
            i += 1;
        }
        let separator = &component[start..i];
        let dashes = separator.bytes().all(|c| c == b'-');
        if !(separator == "." || separator == "_" || separator == "__" || dashes) {
            return false;
        }
    }
    true
}

fn check_tag(tag: &str) -> Result<(), String> {
    let b = tag.as_bytes();
    let word = |c: &u8| c.is_ascii_alphanumeric() || *c == b'_';
    if b.is_empty() {
        return Err("the tag after ':' is empty".into());
    }
    if b.len() > 128 {
        return Err(format!("the tag is {} characters; at most 128", b.len()));
    }
    if !word(&b[0]) || !b.iter().all(|c| word(c) || *c == b'.' || *c == b'-') {
        return Err(format!(
            "the tag \"{tag}\" may hold letters, digits, '_', '.' and '-', and starts with a letter, digit or '_'"
        ));
    }
    Ok(())
}

fn check_digest(digest: &str) -> Result<(), String> {
    let Some((algorithm, hex)) = digest.split_once(':') else {
        return Err(format!("the digest \"{digest}\" is not ALGORITHM:HEX"));
    };
    let length = match algorithm {
        "sha256" => 64,
        "sha384" => 96,
        "sha512" => 128,
        _ => {
            return Err(format!(
                "the digest algorithm \"{algorithm}\" is not one of sha256, sha384, sha512"
            ));
        }
    };
    if hex.len() != length || !hex.bytes().all(|c| c.is_ascii_hexdigit()) {
        return Err(format!(
            "a {algorithm} digest is {length} hexadecimal characters"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Cases restated from distribution/reference's reference_test.go (TestReferenceParse):
    /// the reference, and its domain, path and tag when it is valid.
    #[test]
    fn the_upstream_reference_table() {
        let sha = "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff";
        let valid: &[(&str, Option<&str>, &str, Option<&str>)] = &[
            ("test_com", None, "test_com", None),
            ("test.com:tag", None, "test.com", Some("tag")),
            ("test.com:5000", None, "test.com", Some("5000")),
            ("test.com/repo:tag", Some("test.com"), "repo", Some("tag")),
            ("test:5000/repo", Some("test:5000"), "repo", None),
            ("test:5000/repo:tag", Some("test:5000"), "repo", Some("tag")),
            ("lowercase:Uppercase", None, "lowercase", Some("Uppercase")),
            (
                "sub-dom1.foo.com/bar/baz/quux",
                Some("sub-dom1.foo.com"),
                "bar/baz/quux",
                None,
            ),
            (
                "b.gcr.io/test.example.com/my-app:test.example.com",
                Some("b.gcr.io"),
                "test.example.com/my-app",
                Some("test.example.com"),
            ),
            (
                "xn--n3h.com/myimage:xn--n3h.com",
                Some("xn--n3h.com"),
                "myimage",
                Some("xn--n3h.com"),
            ),
            ("foo_bar.com:8080", None, "foo_bar.com", Some("8080")),
            (
                "foo/foo_bar.com:8080",
                None,
                "foo/foo_bar.com",
                Some("8080"),
            ),
            ("[2001:db8::1]/repo", Some("[2001:db8::1]"), "repo", None),
            (
                "[2001:db8::1]:5000/repo",
                Some("[2001:db8::1]:5000"),
                "repo",
                None,
            ),
            (
                "[2001:db8::]:5000/repo",
                Some("[2001:db8::]:5000"),
                "repo",
                None,
            ),
            ("[::1]:5000/repo", Some("[::1]:5000"), "repo", None),
            ("localhost/repo", Some("localhost"), "repo", None),
            ("a__b/c---d/e.f", None, "a__b/c---d/e.f", None),
        ];
        for (reference, domain, path, tag) in valid {
            let r = parse(reference).unwrap_or_else(|e| panic!("{reference}: {e}"));
            assert_eq!(
                (r.domain.as_deref(), r.path.as_str(), r.tag.as_deref()),
                (*domain, *path, *tag),
                "{reference}"
            );
        }
        let with_digest = format!("test:5000/repo:tag@sha256:{sha}");
        assert_eq!(
            parse(&with_digest).unwrap().digest,
            Some(format!("sha256:{sha}"))
        );

        let too_long_name = format!("{}a:tag", "a/".repeat(128));
        let longest_name = format!("{}a:tag-puts-this-over-max", "a/".repeat(127));
        assert!(parse(&longest_name).is_ok());
        let invalid: &[(&str, &str)] = &[
            ("", "empty"),
            (":justtag", "no repository name"),
            (
                "@sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
                "no repository name",
            ),
            (
                "repo@sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
                "64 hexadecimal",
            ),
            (
                "validname@invaliddigest:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
                "not one of sha256",
            ),
            ("Uppercase:tag", "must be lowercase"),
            ("test:5000/Uppercase/lowercase:tag", "must be lowercase"),
            (&too_long_name, "at most 255"),
            ("aa/asdf$$^/aa", "not a path component"),
            ("[2001:db8::1]:tag", "not a path component"),
            ("[fe80::1%eth0]:5000/repo", "registry host"),
            ("x y", "not a path component"),
            ("web:", "tag after ':' is empty"),
            ("web:-1", "the tag \"-1\""),
            ("-web", "not a path component"),
            ("web_-x", "not a path component"),
            ("host:port/repo", "registry host"),
        ];
        for (reference, why) in invalid {
            let error = parse(reference).expect_err(reference);
            assert!(error.contains(why), "{reference}: {error}");
        }
    }
}
