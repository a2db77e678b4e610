//! Primitives on any object: apply manifests, read, delete.

use crate::api::host::{Host, RhaiResult, bad_argument, runtime_error, to_json};
use rhai::plugin::*;
use rollplay_core::kind::Kind;
use rollplay_core::manifest::{Manifest, load_path, load_text, load_value};
use rollplay_core::objref::ObjectRef;

#[export_module]
pub mod objects {
    use crate::api::convert;
    use crate::api::host::{RhaiResult, host, runtime_error};
    use crate::api::secrets::shown;
    use rhai::{Dynamic, NativeCallContext};
    use rollplay_core::backend::ApplyResult;
    use serde_json::json;

    /// Applies manifests: a file or directory path (`*.yaml`, `*.yml`, `*.json`, in name
    /// order), YAML text (several `---` documents), or a map or array of maps. Every object is
    /// parsed and validated before the first one is changed; objects are applied namespaces
    /// first, workloads after their configuration. Returns one map per object with `kind`,
    /// `name`, `namespace`, `outcome` (`created`, `configured`, `unchanged`) and `line`
    /// (kubectl's `deployment.apps/web created`); each works as a workload reference.
    ///
    /// Errors: unreadable file; YAML error; an invalid object (the API server's message), all
    /// with file and line; a namespace that does not exist.
    ///
    /// ```rhai
    /// let objs = apply(`
    /// apiVersion: v1
    /// kind: ConfigMap
    /// metadata: {name: settings}
    /// data: {mode: fast}
    /// `);
    /// assert(objs[0].line == "configmap/settings created");
    /// ```
    #[rhai_fn(return_raw)]
    pub fn apply(ctx: NativeCallContext, manifests: Dynamic) -> RhaiResult<rhai::Array> {
        let h = host(&ctx)?;
        let mut loaded = super::load_any(&manifests, "apply")?;
        let ns = h.namespace();
        h.secrets.restore(&mut loaded, &ns, "apply")?;
        super::check_pinned_namespace(&h, &loaded, "apply")?;
        h.block_on("apply", h.backend.validate(&loaded, &ns))?;
        let changed: Vec<ObjectRef> = loaded.iter().map(|m| m.object_ref(&ns)).collect();
        // A first install creates the namespace its locks go in: those are taken right after.
        let deferred = crate::api::run_lock::lock_before_change(&h, &changed, "apply")?;
        let outcome = h.block_on("apply", async { Ok(h.backend.apply(&loaded, &ns).await) })?;
        // What changed is journaled even when the target refused a later object, so the run
        // says exactly what it left behind.
        for a in outcome
            .applied
            .iter()
            .filter(|a| a.result != ApplyResult::Unchanged)
        {
            h.record(
                "apply",
                &format!("{}/{}", a.kind.singular(), a.name),
                &a.namespace,
                a.line(),
                json!({"outcome": a.result.as_str()}),
            );
        }
        if let Some(refused) = outcome.refused {
            return Err(runtime_error(&refused, Some("apply")));
        }
        crate::api::run_lock::lock_before_change(&h, &deferred, "apply")?;
        Ok(outcome.applied.iter().map(convert::applied).collect())
    }

    /// Reads and validates manifests (the forms `apply` takes) without applying them: one map
    /// per object with `kind`, `name`, `namespace` and the `object` itself. Playbooks check
    /// their input with it before changing anything; `apply()` takes what it returns. A
    /// Secret's values read `<redacted>` (its keys stay), and `apply()` of what was returned
    /// applies the real values.
    ///
    /// Errors: as `apply`, for unreadable, malformed or invalid manifests.
    ///
    /// ```rhai
    /// let objs = read_manifests(`
    /// apiVersion: v1
    /// kind: ConfigMap
    /// metadata: {name: settings}
    /// `);
    /// assert(objs[0].kind == "ConfigMap" && get("configmap", "settings") == ());
    /// assert(apply(objs)[0].outcome == "created");
    ///
    /// let secrets = read_manifests(`
    /// apiVersion: v1
    /// kind: Secret
    /// metadata: {name: db}
    /// stringData: {password: hunter2}
    /// `);
    /// assert(secrets[0].object.stringData.password == "<redacted>");
    /// assert(apply(secrets)[0].outcome == "created");
    /// ```
    #[rhai_fn(return_raw)]
    pub fn read_manifests(ctx: NativeCallContext, manifests: Dynamic) -> RhaiResult<rhai::Array> {
        let h = host(&ctx)?;
        let loaded = super::load_any(&manifests, "read_manifests")?;
        super::check_pinned_namespace(&h, &loaded, "read_manifests")?;
        let ns = h.namespace();
        h.block_on("read_manifests", h.backend.validate(&loaded, &ns))?;
        let mut out = rhai::Array::new();
        for m in &loaded {
            if let Some(workloads) = super::stack_workloads(m, &ns)? {
                out.extend(workloads);
                continue;
            }
            let mut map = rhai::Map::new();
            map.insert("kind".into(), m.kind().name().into());
            map.insert("name".into(), m.name().into());
            map.insert("namespace".into(), m.namespace_or(&ns).into());
            map.insert("object".into(), shown(&m.object));
            h.secrets.remember(m, &ns);
            out.push(Dynamic::from_map(map));
        }
        Ok(out)
    }

    /// An object as the API returns it (`kubectl get -o json`), or `()` when it does not exist.
    /// `kind` is what kubectl accepts: `deployment`, `deploy`, `svc`, `configmap`, `hpa`, ...
    /// A Secret's values read `<redacted>`: a script can check its keys, never print a value.
    ///
    /// ```rhai
    /// let d = get("deployment", "web");
    /// assert(d.spec.replicas == 3);
    /// assert(get("service", "nope") == ());
    /// apply(#{apiVersion: "v1", kind: "Secret", metadata: #{name: "token"}, stringData: #{key: "s3cr3t"}});
    /// assert(get("secret", "token").data.keys() == ["key"]);
    /// assert(get("secret", "token").data.key == "<redacted>");
    /// ```
    #[rhai_fn(return_raw)]
    pub fn get(ctx: NativeCallContext, kind: &str, name: &str) -> RhaiResult<Dynamic> {
        let h = host(&ctx)?;
        let object = super::reference(kind, name, &h.namespace(), "get")?;
        Ok(h.block_on("get", h.backend.get(&object))?
            .as_ref()
            .map(shown)
            .unwrap_or(Dynamic::UNIT))
    }

    /// Every object of a kind in the namespace (`kubectl get KIND -o json`'s items), by name.
    ///
    /// ```rhai
    /// let names = list("deployment").map(|d| d.metadata.name);
    /// assert(names == ["web"]);
    /// ```
    #[rhai_fn(return_raw)]
    pub fn list(ctx: NativeCallContext, kind: &str) -> RhaiResult<rhai::Array> {
        let h = host(&ctx)?;
        let object = super::reference(kind, "*", &h.namespace(), "list")?;
        let mut items = h.block_on("list", h.backend.list(object.kind, &object.namespace))?;
        items.sort_by(|a, b| {
            let name = |v: &serde_json::Value| {
                v.pointer("/metadata/name")
                    .and_then(|n| n.as_str())
                    .map(String::from)
            };
            name(a).cmp(&name(b))
        });
        Ok(items.iter().map(shown).collect())
    }

    /// Deletes an object; a Deployment takes its ReplicaSets and pods with it. Returns false
    /// when there was nothing to delete.
    ///
    /// ```rhai
    /// assert(delete("deployment", "web"));
    /// assert(!delete("deployment", "web"));
    /// ```
    #[rhai_fn(return_raw)]
    pub fn delete(ctx: NativeCallContext, kind: &str, name: &str) -> RhaiResult<bool> {
        let h = host(&ctx)?;
        let object = super::reference(kind, name, &h.namespace(), "delete")?;
        crate::api::run_lock::lock_before_change(&h, std::slice::from_ref(&object), "delete")?;
        let deleted = h.block_on("delete", h.backend.delete(&object))?;
        if deleted {
            h.record(
                "delete",
                &object.short(),
                &object.namespace,
                format!("{} deleted", object.short()),
                json!({}),
            );
        }
        Ok(deleted)
    }

    /// The namespace primitives use for names without one (`-n NS`, default `default`).
    ///
    /// ```rhai
    /// info(`working in ${namespace()}`);
    /// ```
    #[rhai_fn(return_raw)]
    pub fn namespace(ctx: NativeCallContext) -> RhaiResult<String> {
        Ok(host(&ctx)?.namespace())
    }

    /// Switches the namespace for names without one, for the rest of the run (the REPL's
    /// `:ns`); returns the previous one. Playbooks use it to work where their manifests put
    /// the application.
    ///
    /// Errors: a name that is not a valid namespace name.
    ///
    /// ```rhai
    /// let before = namespace("kube-system");
    /// assert(namespace() == "kube-system");
    /// namespace(before);
    /// ```
    #[rhai_fn(name = "namespace", return_raw)]
    pub fn set_namespace(ctx: NativeCallContext, name: &str) -> RhaiResult<String> {
        let h = host(&ctx)?;
        let valid = !name.is_empty()
            && name.len() <= 63
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !name.starts_with('-')
            && !name.ends_with('-');
        if !valid {
            return Err(crate::api::host::bad_argument(
                "namespace",
                format!(
                    "\"{name}\" is not a namespace name (lowercase letters, digits and '-', at most 63)"
                ),
            ));
        }
        let mut current = h.namespace.lock();
        Ok(std::mem::replace(&mut *current, name.to_string()))
    }
}

/// Manifests from a path, YAML text, a map or an array of maps, parsed (the target validates
/// them).
pub(crate) fn load_any(manifests: &Dynamic, primitive: &str) -> RhaiResult<Vec<Manifest>> {
    let loaded: Vec<Manifest> =
        if let Some(text) = manifests.clone().try_cast::<rhai::ImmutableString>() {
            let text = text.as_str();
            let looks_like_yaml =
                text.contains('\n') || text.trim_start().starts_with('{') || text.contains(": ");
            if looks_like_yaml {
                load_text(text, "<inline yaml>")
            } else {
                load_path(std::path::Path::new(text))
            }
        } else if manifests.is_map() || manifests.is_array() {
            load_value(to_json(manifests, primitive)?, "<script map>")
        } else {
            return Err(bad_argument(
                primitive,
                format!(
                    "expected a path, YAML text, a map or an array of maps; got {}",
                    manifests.type_name()
                ),
            ));
        }
        .map_err(|e| runtime_error(&e, Some(primitive)))?;
    if loaded.is_empty() {
        return Err(bad_argument(primitive, "no objects found in the manifests"));
    }
    Ok(loaded)
}

/// With `-n` given, every namespaced object must be for that namespace (or name none).
pub(crate) fn check_pinned_namespace(
    h: &Host,
    loaded: &[Manifest],
    primitive: &str,
) -> RhaiResult<()> {
    let Some(pinned) = &h.namespace_pinned else {
        return Ok(());
    };
    for m in loaded {
        m.check_namespace_pinned(pinned)
            .map_err(|e| runtime_error(&e, Some(primitive)))?;
    }
    Ok(())
}

fn reference(kind: &str, name: &str, namespace: &str, primitive: &str) -> RhaiResult<ObjectRef> {
    let k = Kind::parse(kind).ok_or_else(|| {
        let known: Vec<String> = rollplay_core::kind::BUILTIN_KINDS
            .iter()
            .map(|k| k.singular())
            .collect();
        bad_argument(
            primitive,
            format!(
                "unknown kind \"{kind}\"{}; known kinds: {}",
                rollplay_core::suggest::hint(kind, known.iter().map(String::as_str)),
                known.join(", ")
            ),
        )
    })?;
    if name.is_empty() {
        return Err(bad_argument(primitive, "the name is empty"));
    }
    Ok(ObjectRef::new(k, namespace, name))
}

/// The services of a compose stack file (deployed as stack `namespace`) as workloads of
/// the shape a Deployment has, so that playbooks written against `read_manifests()` run on
/// a Swarm target unchanged: `kind: "Deployment"`, one container named after the service,
/// its image and replicas after interpolation, and the service's own section as `compose`.
/// None for anything that is not a stack file.
pub fn stack_workloads(
    m: &Manifest,
    namespace: &str,
) -> Result<Option<Vec<Dynamic>>, Box<rhai::EvalAltResult>> {
    if m.object.get("services").is_none() || m.object.get("kind").is_some() {
        return Ok(None);
    }
    let env: std::collections::BTreeMap<String, String> = std::env::vars().collect();
    let stack = rollplay_stack::compose::read_stack(m.clone(), namespace, &env)
        .map_err(|e| runtime_error(&e, Some("read_manifests")))?;
    Ok(Some(
        stack
            .services
            .iter()
            .map(|def| {
                let replicas = match def.mode {
                    rollplay_stack::compose::Mode::Replicated(n) => serde_json::json!(n),
                    rollplay_stack::compose::Mode::Global => serde_json::Value::Null,
                };
                let view = serde_json::json!({
                    "metadata": {"name": def.key, "namespace": namespace, "labels": def.labels},
                    "spec": {
                        "replicas": replicas,
                        "template": {"spec": {"containers": [{"name": def.key, "image": def.image}]}},
                    },
                    "compose": def.raw,
                });
                let mut map = rhai::Map::new();
                map.insert("kind".into(), Kind::Deployment.name().into());
                map.insert("name".into(), def.key.clone().into());
                map.insert("namespace".into(), namespace.into());
                map.insert("object".into(), crate::api::host::from_json(&view));
                Dynamic::from_map(map)
            })
            .collect(),
    ))
}
