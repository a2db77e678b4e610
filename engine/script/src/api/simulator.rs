//! Primitives that exist only on the simulator.

use rhai::plugin::*;

#[export_module]
pub mod simulator {
    use crate::api::host::{RhaiResult, from_json, host, runtime_error, to_json};
    use rhai::{Dynamic, Map, NativeCallContext};
    use serde_json::json;

    /// Sets how an image behaves on the simulator, for pods started from now on. Keys (all
    /// optional): `ready` (false: never passes readiness), `startup_seconds`,
    /// `crash_after_seconds`, `error_rate` (0..1), `latency_ms` (`#{p50, p99}`),
    /// `cpu_millis_per_request`, `shutdown_seconds`, `memory_mb`. An image may be a `*` pattern.
    /// Returns the image's whole profile.
    ///
    /// Errors: an unknown key or a value out of range; any target but `sim`.
    ///
    /// ```rhai
    /// sim_image("web:1.1", #{ ready: false });
    /// set_image("web", "web:1.1");
    /// try { wait_ready("web", "2m"); } catch (e) { print(e.message); }
    /// ```
    #[rhai_fn(return_raw)]
    pub fn sim_image(ctx: NativeCallContext, image: &str, profile: Map) -> RhaiResult<Dynamic> {
        let h = host(&ctx)?;
        let overrides = to_json(&Dynamic::from_map(profile), "sim_image")?;
        let full = h
            .simulator("sim_image")?
            .set_image_profile(image, &overrides)
            .map_err(|e| runtime_error(&e, Some("sim_image")))?;
        h.record(
            "sim_image",
            &format!("image/{image}"),
            "",
            format!("profile {overrides}"),
            json!({"image": image, "profile": full}),
        );
        Ok(from_json(&full))
    }
}
