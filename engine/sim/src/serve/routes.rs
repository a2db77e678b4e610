//! Request paths as the API server lays them out: `/api/v1/...` for the core group,
//! `/apis/GROUP/VERSION/...` for the others, `namespaces/NS/` before namespaced resources,
//! then the resource, the object's name and a subresource.

use super::discovery;
use rollplay_core::kind::Kind;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    Version,
    Health,
    /// The simulated pods' traffic for Prometheus.
    Metrics,
    CoreVersions,
    Groups,
    Group(String),
    Resources(String),
    OpenApiIndex,
    OpenApiDocument(String),
    Object(Target),
    Unknown,
}

/// A resource, or one object of it, or a subresource of that object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub kind: Kind,
    /// None: across namespaces (or a cluster-scoped kind).
    pub namespace: Option<String>,
    pub name: Option<String>,
    pub subresource: Option<String>,
    /// The old `/watch/` path prefix.
    pub watch_path: bool,
}

pub fn route(path: &str) -> Route {
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    match segments.as_slice() {
        ["version"] => Route::Version,
        ["healthz" | "readyz" | "livez", ..] => Route::Health,
        ["metrics"] => Route::Metrics,
        ["api"] => Route::CoreVersions,
        ["apis"] => Route::Groups,
        ["apis", group] => Route::Group(group.to_string()),
        ["api", "v1"] => Route::Resources("v1".into()),
        ["apis", group, version] => Route::Resources(format!("{group}/{version}")),
        ["openapi", "v3"] => Route::OpenApiIndex,
        ["openapi", "v3", rest @ ..] => Route::OpenApiDocument(rest.join("/")),
        ["api", "v1", rest @ ..] => object("v1", rest),
        ["apis", group, version, rest @ ..] => object(&format!("{group}/{version}"), rest),
        _ => Route::Unknown,
    }
}

fn object(group_version: &str, rest: &[&str]) -> Route {
    let (watch_path, rest) = match rest {
        ["watch", rest @ ..] => (true, rest),
        _ => (false, rest),
    };
    let (namespace, rest) = match rest {
        ["namespaces", ns, plural, rest @ ..]
            if discovery::kind_at(group_version, plural).is_some_and(Kind::namespaced) =>
        {
            let mut r = vec![*plural];
            r.extend_from_slice(rest);
            (Some(ns.to_string()), r)
        }
        _ => (None, rest.to_vec()),
    };
    let Some(kind) = rest
        .first()
        .and_then(|plural| discovery::kind_at(group_version, plural))
    else {
        return Route::Unknown;
    };
    if rest.len() > 3 {
        return Route::Unknown;
    }
    Route::Object(Target {
        kind,
        namespace,
        name: rest.get(1).map(|s| s.to_string()),
        subresource: rest.get(2).map(|s| s.to_string()),
        watch_path,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(path: &str) -> Target {
        match route(path) {
            Route::Object(t) => t,
            other => panic!("{path}: {other:?}"),
        }
    }

    #[test]
    fn paths_are_read_as_the_api_server_lays_them_out() {
        let t = target("/apis/apps/v1/namespaces/demo/deployments/web/scale");
        assert_eq!(t.kind, Kind::Deployment);
        assert_eq!(t.namespace.as_deref(), Some("demo"));
        assert_eq!(t.name.as_deref(), Some("web"));
        assert_eq!(t.subresource.as_deref(), Some("scale"));
        let ns = target("/api/v1/namespaces/demo");
        assert_eq!(
            (ns.kind, ns.name.as_deref()),
            (Kind::Namespace, Some("demo"))
        );
        let pods = target("/api/v1/pods");
        assert_eq!((pods.kind, pods.namespace), (Kind::Pod, None));
        assert!(target("/api/v1/watch/namespaces/default/pods").watch_path);
        assert_eq!(
            route("/apis/apps/v1/namespaces/demo/gizmos"),
            Route::Unknown
        );
        assert_eq!(route("/apis/apps/v1"), Route::Resources("apps/v1".into()));
    }
}
