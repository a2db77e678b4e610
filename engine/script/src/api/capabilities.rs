//! Primitives that ask what the target has (traffic weights, metrics, nodes, numbered
//! revisions, selectors, pause, the simulator's controls), so a playbook can stop before its
//! first change, with exit 2 and the missing capability named, on a target it cannot run on.

use rhai::plugin::*;

#[export_module]
pub mod capabilities {
    use crate::api::host::{RhaiResult, bad_argument, host, runtime_error};
    use rhai::{Array, Dynamic, NativeCallContext};
    use rollplay_core::backend::Capability;

    /// The names of what this target has beyond the common primitives: any of
    /// `traffic_weights`, `metrics`, `nodes`, `numbered_revisions`, `selectors`, `pause`,
    /// `simulator`.
    ///
    /// ```rhai
    /// let caps = capabilities();
    /// assert(caps.contains("metrics") && !caps.contains("traffic_weights"));
    /// ```
    #[rhai_fn(return_raw)]
    pub fn capabilities(ctx: NativeCallContext) -> RhaiResult<Array> {
        Ok(host(&ctx)?
            .backend
            .capabilities()
            .iter()
            .map(|c| Dynamic::from(c.name().to_string()))
            .collect())
    }

    /// Whether the target has a capability (see `capabilities()`).
    ///
    /// Errors: a name that is not a capability.
    ///
    /// ```rhai
    /// if has_capability("simulator") {
    ///     sim_image("web:1.1", #{ error_rate: 0.02 });
    /// }
    /// ```
    #[rhai_fn(return_raw)]
    pub fn has_capability(ctx: NativeCallContext, name: &str) -> RhaiResult<bool> {
        let capability =
            Capability::parse(name).map_err(|e| runtime_error(&e, Some("has_capability")))?;
        Ok(host(&ctx)?.backend.capabilities().has(capability))
    }

    /// Stops the run before anything changes unless the target has every capability named
    /// (one name or an array): the error is bad input (exit 2), naming the first one missing,
    /// the playbook and the target. Call it first, before the first `apply`.
    ///
    /// Errors: a missing capability; a name that is not a capability.
    ///
    /// ```rhai
    /// require(["metrics", "selectors"]);
    /// try { require("traffic_weights"); } catch (e) { assert(e.kind == "missing_capability"); }
    /// ```
    #[rhai_fn(return_raw)]
    pub fn require(ctx: NativeCallContext, needed: Dynamic) -> RhaiResult<()> {
        let names: Vec<String> = if let Some(list) = needed.read_lock::<Array>() {
            list.iter().map(|v| v.to_string()).collect()
        } else if needed.is_string() {
            vec![needed.to_string()]
        } else {
            return Err(bad_argument(
                "require",
                format!(
                    "expected a capability name or an array of them, got {}",
                    needed.type_name()
                ),
            ));
        };
        let wanted = names
            .iter()
            .map(|n| Capability::parse(n))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| runtime_error(&e, Some("require")))?;
        let h = host(&ctx)?;
        let needed_by = ctx.call_source().unwrap_or("the script").to_string();
        h.backend
            .capabilities()
            .require(&wanted, &needed_by, h.backend.target())
            .map_err(|e| runtime_error(&e, Some("require")))
    }
}
