//! Primitives of the script itself: time, logging, parameters, failing.

use crate::api::host::{RhaiResult, bad_argument};
use rhai::plugin::*;

#[export_module]
pub mod script {
    use crate::api::host::{RhaiResult, duration, failure, host, runtime_error};
    use crate::output::Level;
    use rhai::{Dynamic, NativeCallContext};
    use rollplay_core::error::Error;

    /// Waits for a duration (`"30s"`, `"5m"` or seconds). On the simulator this is virtual
    /// time: the cluster moves on and no wall time passes.
    ///
    /// Errors: the run's `--timeout` would expire first; Ctrl-C.
    ///
    /// ```rhai
    /// let t0 = now();
    /// sleep("2m");
    /// assert(now() - t0 == 120.0);
    /// ```
    #[rhai_fn(return_raw)]
    pub fn sleep(ctx: NativeCallContext, how_long: Dynamic) -> RhaiResult<()> {
        let h = host(&ctx)?;
        let d = duration(&how_long, "sleep")?;
        let deadline = h.deadline(d);
        let cancel = h.cancel_token();
        h.block_on("sleep", h.backend.sleep_until(deadline.at, &cancel))?;
        if deadline.ends_run() {
            let what = format!("sleep({})", rollplay_core::duration::format_duration(d));
            return Err(h.expired(&deadline, "sleep", &what));
        }
        Ok(())
    }

    /// The target the script runs on: `sim`, `kube:CONTEXT` or `swarm:HOST`.
    ///
    /// ```rhai
    /// if target() == "sim" {
    ///     sim_image("web:1.1", #{ error_rate: 0.05 });
    /// }
    /// ```
    #[rhai_fn(return_raw)]
    pub fn target(ctx: NativeCallContext) -> RhaiResult<String> {
        Ok(host(&ctx)?.backend.target().to_string())
    }

    /// Seconds since the Unix epoch on the target's clock (virtual on the simulator, where it
    /// starts at 2026-01-01T00:00:00Z).
    ///
    /// ```rhai
    /// let start = now();
    /// assert(start > 1.7e9);
    /// ```
    #[rhai_fn(return_raw)]
    pub fn now(ctx: NativeCallContext) -> RhaiResult<f64> {
        Ok(host(&ctx)?.backend.now())
    }

    /// A duration (`"90s"`, `"5m"`, `"1h30m"` or seconds) as a number of seconds.
    ///
    /// ```rhai
    /// assert(seconds("1m30s") == 90.0);
    /// ```
    #[rhai_fn(return_raw)]
    pub fn seconds(how_long: Dynamic) -> RhaiResult<f64> {
        Ok(duration(&how_long, "seconds")?.as_secs_f64())
    }

    /// An image reference checked by the distribution spec's grammar, split into `domain`,
    /// `path`, `tag` and `digest` (`()` where absent). Playbooks call it on their `image`
    /// parameter before the first change, so a bad reference changes nothing.
    ///
    /// Errors: bad input (exit 2) saying what is wrong: `x y`, `Web:1`, an empty tag, a digest
    /// of the wrong length.
    ///
    /// ```rhai
    /// let r = image_ref("ghcr.io/rollplay-demo/web:1.1.0");
    /// assert(r.domain == "ghcr.io" && r.path == "rollplay-demo/web" && r.tag == "1.1.0");
    /// assert(image_ref("web").tag == ());
    /// ```
    #[rhai_fn(name = "image_ref", return_raw)]
    pub fn image_ref(reference: &str) -> RhaiResult<rhai::Map> {
        image_ref_of(reference, "image_ref")
    }

    /// As `image_ref(reference)`, with errors that name where the reference came from, so a
    /// playbook's refusal reads `--set image=x y: ...`.
    ///
    /// ```rhai
    /// try { image_ref("x y", "--set image"); } catch (e) { assert(e.message.starts_with("--set image=x y: ")); }
    /// ```
    #[rhai_fn(name = "image_ref", return_raw)]
    pub fn image_ref_from(reference: &str, source: &str) -> RhaiResult<rhai::Map> {
        image_ref_of(reference, &format!("{source}={reference}"))
    }

    fn image_ref_of(reference: &str, what: &str) -> RhaiResult<rhai::Map> {
        let parsed = rollplay_core::image_ref::parse(reference)
            .map_err(|why| super::bad_argument(what, why))?;
        let part = |p: Option<String>| p.map_or(Dynamic::UNIT, Dynamic::from);
        let mut m = rhai::Map::new();
        m.insert("domain".into(), part(parsed.domain));
        m.insert("path".into(), parsed.path.into());
        m.insert("tag".into(), part(parsed.tag));
        m.insert("digest".into(), part(parsed.digest));
        Ok(m)
    }

    /// Once the run's `--timeout` has expired or the run was interrupted (the first Ctrl-C or
    /// SIGTERM), opens the abort path: primitives work again for `--abort-timeout` (default
    /// 2m), so the playbook can roll back or restore what it changed instead of stopping
    /// half-way. Call it where the cancellation is caught; true when the grace was given,
    /// false when the run is not being cut short (a second Ctrl-C, say) or the grace was used
    /// already: then rethrow.
    ///
    /// ```rhai
    /// try {
    ///     wait_ready("web");
    /// } catch (e) {
    ///     if e.kind != "cancelled" || !abort_path() { throw e; }
    ///     rollback("web");
    /// }
    /// assert(!abort_path());
    /// ```
    #[rhai_fn(return_raw)]
    pub fn abort_path(ctx: NativeCallContext) -> RhaiResult<bool> {
        Ok(host(&ctx)?.open_abort_path())
    }

    /// Why the run is being cut short: `"the run's --timeout expired"`, `"the run was
    /// interrupted"` (the first Ctrl-C or SIGTERM), or `()` while it is not. Abort paths put it
    /// in their messages.
    ///
    /// ```rhai
    /// assert(abort_reason() == ());
    /// ```
    #[rhai_fn(return_raw)]
    pub fn abort_reason(ctx: NativeCallContext) -> RhaiResult<Dynamic> {
        Ok(host(&ctx)?
            .abort_reason()
            .map(Dynamic::from)
            .unwrap_or(Dynamic::UNIT))
    }

    /// Writes a line to the run's log (stderr, stamped with the target's clock).
    ///
    /// ```rhai
    /// log("starting");
    /// ```
    #[rhai_fn(return_raw)]
    pub fn log(ctx: NativeCallContext, message: Dynamic) -> RhaiResult<()> {
        host(&ctx)?.log(Level::Info, &message.to_string());
        Ok(())
    }

    /// Writes an informational line to the run's log (the same as `log`).
    ///
    /// ```rhai
    /// info(`web runs ${status("web").image}`);
    /// ```
    #[rhai_fn(return_raw)]
    pub fn info(ctx: NativeCallContext, message: Dynamic) -> RhaiResult<()> {
        host(&ctx)?.log(Level::Info, &message.to_string());
        Ok(())
    }

    /// Writes a warning to the run's log.
    ///
    /// ```rhai
    /// warn("canary error rate is rising");
    /// ```
    #[rhai_fn(return_raw)]
    pub fn warn(ctx: NativeCallContext, message: Dynamic) -> RhaiResult<()> {
        host(&ctx)?.log(Level::Warn, &message.to_string());
        Ok(())
    }

    /// A required parameter, as given with `--set name=value` (a string).
    ///
    /// Errors: the parameter was not given (the message says how to pass it); exit code 2.
    ///
    /// ```rhai
    /// let image = param("image");
    /// ```
    #[rhai_fn(name = "param", return_raw)]
    pub fn param(ctx: NativeCallContext, name: &str) -> RhaiResult<Dynamic> {
        let h = host(&ctx)?;
        h.params_read.lock().insert(name.to_string());
        match h.params.get(name) {
            Some(v) => Ok(v.clone().into()),
            None => {
                let hint = rollplay_core::suggest::hint(name, h.params.keys().map(String::as_str));
                Err(runtime_error(
                    &Error::bad_input(
                        format!("parameter \"{name}\""),
                        format!("missing: pass --set {name}=VALUE{hint}"),
                    ),
                    Some("param"),
                ))
            }
        }
    }

    /// An optional parameter with a default; the value is read as the default's type: an
    /// integer, a float, a bool (`true`/`false`), an array (`a,b,c` or JSON), a map (JSON) or a
    /// string.
    ///
    /// Errors: a value that is not of the default's type (`--set replicas=three`); exit code 2.
    ///
    /// ```rhai
    /// let replicas = param("replicas", 3);
    /// let steps = param("steps", [10, 25, 50, 100]);
    /// assert(replicas == 3 && steps.len() == 4);
    /// ```
    #[rhai_fn(name = "param", return_raw)]
    pub fn param_or(ctx: NativeCallContext, name: &str, default: Dynamic) -> RhaiResult<Dynamic> {
        let h = host(&ctx)?;
        h.params_read.lock().insert(name.to_string());
        match h.params.get(name) {
            None => Ok(default),
            Some(raw) => super::typed(name, raw, &default),
        }
    }

    /// Fails the playbook (exit code 1) unless `condition` holds; a check a playbook makes
    /// about the cluster, e.g. after a rollout.
    ///
    /// ```rhai
    /// assert(status("web").available == 3);
    /// ```
    #[rhai_fn(name = "assert", return_raw)]
    pub fn assert(condition: bool) -> RhaiResult<()> {
        if condition {
            Ok(())
        } else {
            Err(failure("assertion failed".into()))
        }
    }

    /// Fails the playbook with `message` unless `condition` holds.
    ///
    /// ```rhai
    /// let st = status("web");
    /// assert(st.available >= 2, `only ${st.available} pods of web are available`);
    /// ```
    #[rhai_fn(name = "assert", return_raw)]
    pub fn assert_with(condition: bool, message: Dynamic) -> RhaiResult<()> {
        if condition {
            Ok(())
        } else {
            Err(failure(message.to_string()))
        }
    }

    /// Asks a person to confirm a step (a manual gate): `true` for yes. With `--yes` it answers
    /// yes without asking; otherwise it asks on the terminal, and fails when there is none.
    ///
    /// Errors: no terminal and no `--yes`.
    ///
    /// ```rhai
    /// if confirm("switch traffic to green?") {
    ///     info("switching");
    /// }
    /// ```
    #[rhai_fn(return_raw)]
    pub fn confirm(ctx: NativeCallContext, message: Dynamic) -> RhaiResult<bool> {
        let h = host(&ctx)?;
        let question = message.to_string();
        if h.assume_yes {
            h.log(Level::Info, &format!("{question} yes (--yes)"));
            return Ok(true);
        }
        if let Some(answer) = h.ask.as_ref().and_then(|ask| ask(&question)) {
            h.log(
                Level::Info,
                &format!("{question} {}", if answer { "yes" } else { "no" }),
            );
            return Ok(answer);
        }
        Err(runtime_error(
            &Error::bad_input(
                format!("confirm(\"{question}\")"),
                "no terminal to ask on: answer with --yes, or run from a terminal",
            ),
            Some("confirm"),
        ))
    }

    /// Stops the playbook because its input is wrong (a parameter, a name): exit code 2 when
    /// nothing has been changed yet, 1 after a change.
    ///
    /// ```rhai
    /// let replicas = param("replicas", 3);
    /// if replicas > 100 {
    ///     bad_input(`--set replicas=${replicas}: at most 100`);
    /// }
    /// ```
    #[rhai_fn(return_raw)]
    pub fn bad_input(message: Dynamic) -> RhaiResult<()> {
        Err(runtime_error(
            &Error::bad_input("playbook input", message.to_string()),
            Some("bad_input"),
        ))
    }

    /// Stops the playbook with a failure (exit code 1); `--output json` carries the message.
    ///
    /// ```rhai
    /// if status("web").available < 3 {
    ///     fail("web is not fully available");
    /// }
    /// ```
    #[rhai_fn(return_raw)]
    pub fn fail(message: Dynamic) -> RhaiResult<()> {
        Err(failure(message.to_string()))
    }

    /// Stops the playbook with a failure and attaches `details` (a map): the run's `result`
    /// and the error's `details` in `--output json`, printed under the message in text.
    ///
    /// ```rhai
    /// let st = status("web");
    /// if st.available < 3 {
    ///     fail("web is not fully available", #{ available: st.available });
    /// }
    /// ```
    #[rhai_fn(name = "fail", return_raw)]
    pub fn fail_with(message: Dynamic, details: Dynamic) -> RhaiResult<()> {
        let mut err = failure(message.to_string());
        if let rhai::EvalAltResult::ErrorRuntime(value, _) = err.as_mut()
            && let Some(mut map) = value.clone().try_cast::<rhai::Map>()
        {
            map.insert("details".into(), details);
            *value = Dynamic::from_map(map);
        }
        Err(err)
    }
}

fn typed(name: &str, raw: &str, default: &Dynamic) -> RhaiResult<Dynamic> {
    let wrong = |what: &str| {
        bad_argument(
            "param",
            format!("--set {name}={raw}: expected {what}, like the default {default}"),
        )
    };
    let text = raw.trim();
    if default.is_int() {
        return text
            .parse::<i64>()
            .map(Dynamic::from)
            .map_err(|_| wrong("an integer"));
    }
    if default.is_float() {
        return text
            .parse::<f64>()
            .map(Dynamic::from)
            .map_err(|_| wrong("a number"));
    }
    if default.is_bool() {
        return match text.to_ascii_lowercase().as_str() {
            "true" | "yes" | "on" | "1" => Ok(true.into()),
            "false" | "no" | "off" | "0" => Ok(false.into()),
            _ => Err(wrong("true or false")),
        };
    }
    if default.is_array() || default.is_map() {
        if text.starts_with('[') || text.starts_with('{') {
            let v: serde_json::Value = serde_json::from_str(text).map_err(|_| wrong("JSON"))?;
            let d = rhai::serde::to_dynamic(&v).map_err(|_| wrong("JSON"))?;
            if d.is_array() == default.is_array() {
                return Ok(d);
            }
            return Err(wrong(if default.is_array() {
                "a list"
            } else {
                "a map"
            }));
        }
        if default.is_map() {
            return Err(wrong("a JSON map"));
        }
        let ints = default
            .clone()
            .into_array()
            .ok()
            .and_then(|a| a.first().map(|x| x.is_int()))
            .unwrap_or(false);
        let items: Result<rhai::Array, _> = text
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| {
                if ints {
                    s.parse::<i64>()
                        .map(Dynamic::from)
                        .map_err(|_| wrong("a list of integers"))
                } else {
                    Ok(Dynamic::from(s.to_string()))
                }
            })
            .collect();
        return items.map(Dynamic::from_array);
    }
    Ok(raw.to_string().into())
}
