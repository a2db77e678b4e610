//! Primitives on Services: traffic switching and endpoints.

use rhai::plugin::*;

#[export_module]
pub mod services {
    use crate::api::convert;
    use crate::api::host::{RhaiResult, bad_argument, host};
    use rhai::{Dynamic, Map, NativeCallContext};
    use rollplay_core::kind::Kind;
    use serde_json::json;
    use std::collections::BTreeMap;

    /// Replaces a Service's selector in one write (blue/green switching). Returns the previous
    /// selector, so switching back is `switch_selector(svc, previous)`. The new pods should be
    /// ready first: a selector that matches no ready pod drops all new traffic.
    ///
    /// Errors: the Service does not exist; an empty selector; non-string values.
    ///
    /// ```rhai
    /// let before = switch_selector("web", #{ app: "web", track: "green" });
    /// assert(before.app == "web");
    /// switch_selector("web", before);
    /// ```
    #[rhai_fn(return_raw)]
    pub fn switch_selector(
        ctx: NativeCallContext,
        service: Dynamic,
        selector: Map,
    ) -> RhaiResult<Dynamic> {
        let h = host(&ctx)?;
        let s = h.object(&service, Kind::Service, "switch_selector")?;
        let mut wanted = BTreeMap::new();
        for (k, v) in &selector {
            let Some(text) = v.clone().try_cast::<rhai::ImmutableString>() else {
                return Err(bad_argument(
                    "switch_selector",
                    format!(
                        "selector value of `{k}` must be a string, got {}",
                        v.type_name()
                    ),
                ));
            };
            wanted.insert(k.to_string(), text.to_string());
        }
        crate::api::run_lock::lock_before_change(&h, std::slice::from_ref(&s), "switch_selector")?;
        let previous = h.block_on(
            "switch_selector",
            h.backend.switch_selector(&s, wanted.clone()),
        )?;
        let show = |m: &BTreeMap<String, String>| {
            m.iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(",")
        };
        h.record(
            "switch_selector",
            &s.short(),
            &s.namespace,
            format!("selector {} → {}", show(&previous), show(&wanted)),
            json!({"from": previous, "to": wanted}),
        );
        Ok(convert::string_map(&previous))
    }

    /// A Service's endpoints as its EndpointSlices list them: maps with `pod`, `ip`, `ready`,
    /// `serving`, `terminating`. New connections go to ready ones.
    ///
    /// ```rhai
    /// let eps = endpoints("web");
    /// assert(eps.len() == 3 && eps.all(|e| e.ready));
    /// ```
    #[rhai_fn(return_raw)]
    pub fn endpoints(ctx: NativeCallContext, service: Dynamic) -> RhaiResult<rhai::Array> {
        let h = host(&ctx)?;
        let s = h.object(&service, Kind::Service, "endpoints")?;
        Ok(h.block_on("endpoints", h.backend.endpoints(&s))?
            .iter()
            .map(convert::endpoint)
            .collect())
    }
}
